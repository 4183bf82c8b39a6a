/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* lock.h - the per-interface lock: an flock on its pin directory. */
#ifndef XDPLB_LOCK_H
#define XDPLB_LOCK_H

/* Holds the lock of dir: another xdplb waits up to 10 s
 * ($XDPLB_LOCK_WAIT_MS), then fails with -EBUSY. Returns the fd to give
 * lb_unlock(). */
int lb_lock(const char *dir);
void lb_unlock(int fd);

#endif

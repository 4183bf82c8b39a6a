/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * lock.h - the per-interface lock: an flock on a file of its own in
 * /run/xdplb/locks ($XDPLB_RUN_DIR), named after the pin directory. Not on
 * the pin directory itself: `unload` removes that, and a lock on a removed
 * directory holds nothing (a load racing an unload failed, or said
 * "attached" and left nothing behind).
 */
#ifndef XDPLB_LOCK_H
#define XDPLB_LOCK_H

/* Holds the lock of dir: another xdplb waits up to 10 s
 * ($XDPLB_LOCK_WAIT_MS), then fails with -EBUSY. Returns the fd to give
 * lb_unlock(). */
int lb_lock(const char *dir);
/* The same without waiting: -EBUSY (unsaid) when another holds it. */
int lb_trylock(const char *dir);
void lb_unlock(int fd);

#endif

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * mono.h - CLOCK_MONOTONIC in seconds, the one clock of every timing the
 * loader measures or schedules by (checks, commits, verification, serve).
 */
#ifndef XDPLB_MONO_H
#define XDPLB_MONO_H

double mono_now(void);

#endif /* XDPLB_MONO_H */

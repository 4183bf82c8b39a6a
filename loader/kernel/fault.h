/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * fault.h - crash injection for the tests: XDPLB_FAULT=STEP makes the
 * process die (_exit, like a kill -9: no cleanup, no flush) when it reaches
 * fault_point("STEP"); XDPLB_FAULT=STEP:pause=MS makes it sleep there
 * instead (to hold the lock, say). The steps of a load, in order, are listed in
 * docs/atomicity.md; `xdplb load` with XDPLB_FAULT=list prints them.
 */
#ifndef XDPLB_FAULT_H
#define XDPLB_FAULT_H

void fault_point(const char *step);

#endif

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * khz.h - the kernel's tick rate (CONFIG_HZ). conntrack keeps a flow's
 * last-seen time in jiffies (the cheapest clock a BPF program reads), so
 * a timeout in seconds needs HZ, which the kernel does not export as such.
 */
#ifndef XDPLB_KHZ_H
#define XDPLB_KHZ_H

#include <linux/types.h>

/* HZ from the resolution of CLOCK_MONOTONIC_COARSE (one tick), else 250
 * (said). */
__u32 kernel_hz(void);

#endif

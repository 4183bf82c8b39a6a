// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * khz.c - the kernel's tick rate (khz.h).
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "khz.h"
#include "log.h"

#define HZ_FALLBACK 250

/* The coarse clocks advance once a tick, and the kernel gives their
 * resolution as one tick (TICK_NSEC, 1e9 / HZ rounded): no file to read,
 * so it works in a unit whose /proc shows only processes. */
__u32 kernel_hz(void)
{
	struct timespec r;

	if (clock_getres(CLOCK_MONOTONIC_COARSE, &r) || r.tv_sec || r.tv_nsec <= 0) {
		pr_warn("the kernel's tick from clock_getres(CLOCK_MONOTONIC_COARSE): %s: taking HZ %u (UDP flows idle longer or shorter than udp_timeout if it is wrong)\n",
			strerror(errno), HZ_FALLBACK);
		return HZ_FALLBACK;
	}
	return (__u32)((1000000000L + r.tv_nsec / 2) / r.tv_nsec);
}

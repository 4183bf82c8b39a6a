// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* mono.c - CLOCK_MONOTONIC in seconds (mono.h). */
#include <time.h>

#include "mono.h"

double mono_now(void)
{
	struct timespec t;

	/* cannot fail for CLOCK_MONOTONIC with a valid pointer */
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

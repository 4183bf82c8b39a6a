// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault.h"

#define FAULT_EXIT 99

void fault_point(const char *step)
{
	const char *want = getenv("XDPLB_FAULT");

	if (!want || !*want)
		return;
	if (!strcmp(want, "list")) {
		fprintf(stderr, "fault point: %s\n", step);
		return;
	}
	size_t n = strlen(step);

	if (!strncmp(want, step, n) && !strncmp(want + n, ":pause=", 7)) {
		/* hold whatever is held at this step (the lock...) for a while */
		long ms = strtol(want + n + 7, NULL, 10);

		fprintf(stderr, "XDPLB_FAULT: pausing %ld ms at %s\n", ms, step);
		usleep((useconds_t)(ms > 0 && ms < 60000 ? ms : 0) * 1000);
		return;
	}
	if (!strcmp(want, step)) {
		fprintf(stderr, "XDPLB_FAULT: dying at %s\n", step);
		_exit(FAULT_EXIT);
	}
}

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
	if (!strcmp(want, step)) {
		fprintf(stderr, "XDPLB_FAULT: dying at %s\n", step);
		_exit(FAULT_EXIT);
	}
}

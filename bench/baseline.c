// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* baseline.c - the comparison with another revision: not written yet. */
#include <stdio.h>

#include "bench.h"

int bench_baseline(const struct bench_opts *o, cJSON *out)
{
	(void)out;
	fprintf(stderr, "baseline: %s: not implemented yet\n", o->baseline);
	return 1;
}

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* maglev.c - table build time, against one pass over the table (memset). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "maglev.h"
#include "mono.h"

static void backends(struct maglev_backend *b, __u32 n, int mixed)
{
	for (__u32 i = 0; i < n; i++) {
		memset(&b[i], 0, sizeof(b[i]));
		b[i].family = XDPLB_AF_INET;
		b[i].addr.v4 = htonl(0x0a000000 + i * 7 + 1);
		b[i].weight = mixed ? 100 * (1 + i % 4) : 100;
	}
}

int bench_maglev(const struct bench_opts *o, cJSON *out)
{
	const __u32 ms[] = { 65537, 655373 }, ns[] = { 10, 100, 1000, 5000 };
	cJSON *arr = cJSON_AddArrayToObject(out, "maglev");
	struct maglev_backend *b = calloc(5000, sizeof(*b));
	__u32 *t = malloc(655373 * sizeof(*t));
	volatile __u32 sink = 0;
	double v[64];

	if (!b || !t)
		return 1;
	printf("\nMaglev table build, one core, median of %d\n", o->runs);
	printf("  %-8s %-6s %-6s %10s %10s %8s\n", "M", "N", "weights", "ms", "memset ms", "ratio");
	for (size_t mi = 0; mi < 2; mi++) {
		double floor_ms;

		for (int k = 0; k < o->runs; k++) {
			double t0 = mono_now();

			memset(t, k, ms[mi] * sizeof(*t));
			sink += t[ms[mi] / 2];
			v[k] = (mono_now() - t0) * 1e3;
		}
		floor_ms = median(v, o->runs);
		for (size_t ni = 0; ni < 4; ni++) {
			for (int mixed = 0; mixed < 2; mixed++) {
				cJSON *j = cJSON_CreateObject();
				double ms_med;

				if (o->quick && (ms[mi] > 65537 || ns[ni] > 1000))
					continue;
				backends(b, ns[ni], mixed);
				for (int k = 0; k < o->runs; k++) {
					double t0 = mono_now();

					maglev_build(b, ns[ni], ms[mi], 0x5eed, t);
					v[k] = (mono_now() - t0) * 1e3;
				}
				ms_med = median(v, o->runs);
				printf("  %-8u %-6u %-7s %10.3f %10.4f %7.0fx%s\n", ms[mi], ns[ni],
				       mixed ? "mixed" : "equal", ms_med, floor_ms, ms_med / floor_ms,
				       ms[mi] == 65537 && ns[ni] == 1000 && !mixed ?
					       (ms_med < 1.0 ? "  goal < 1 ms: met" : "  goal < 1 ms: MISSED") :
					       "");
				cJSON_AddNumberToObject(j, "m", ms[mi]);
				cJSON_AddNumberToObject(j, "n", ns[ni]);
				cJSON_AddStringToObject(j, "weights", mixed ? "mixed" : "equal");
				cJSON_AddNumberToObject(j, "ms", ms_med);
				cJSON_AddNumberToObject(j, "memset_ms", floor_ms);
				cJSON_AddItemToArray(arr, j);
			}
		}
	}
	free(b);
	free(t);
	return 0;
}

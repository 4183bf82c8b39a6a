/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* bench.h - the sections of `make bench` and how they report. */
#ifndef XDPLB_BENCH_H
#define XDPLB_BENCH_H

#include <cjson/cJSON.h>
#include <stdbool.h>

struct bench_opts {
	unsigned long repeat; /* BPF_PROG_TEST_RUN iterations per run */
	int runs; /* runs per scenario; the median is reported */
	bool quick; /* smaller sizes, for a smoke run */
	bool no_check; /* profiling variants: report even when the counters disagree */
	const char *xdplb; /* path of the xdplb binary */
	const char *pktgen; /* path of the packet generator */
};

/* Each section prints its table to stdout and adds its figures to out.
 * It returns the number of scenarios whose *behaviour* was wrong (wrong
 * action, counters that prove another path ran): never a slowness. */
int bench_packets(const struct bench_opts *o, cJSON *out);
int bench_maglev(const struct bench_opts *o, cJSON *out);
int bench_load(const struct bench_opts *o, cJSON *out);
int bench_veth(const struct bench_opts *o, cJSON *out);
int bench_scrape(const struct bench_opts *o, cJSON *out);

double bench_now(void);
double median(double *v, int n);

#endif

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* bench.h - the sections of `make bench` and how they report. */
#ifndef XDPLB_BENCH_H
#define XDPLB_BENCH_H

#include <cjson/cJSON.h>
#include <stdbool.h>

struct bench_opts {
	unsigned long repeat; /* BPF_PROG_TEST_RUN iterations per run */
	int runs; /* runs per scenario; the median is reported */
	int rounds; /* baseline: rounds per scenario (0: runs) */
	bool quick; /* smaller sizes, for a smoke run */
	bool no_check; /* profiling variants: report even when the counters disagree */
	const char *xdplb; /* path of the xdplb binary */
	const char *pktgen; /* path of the packet generator */
	const char *probe; /* path of xdplb-probe (the service's listener and floor) */
	const char *baseline; /* another revision's xdplb to compare with, or NULL */
	unsigned long flood_flows; /* SYN flood: established flows */
	unsigned long flood_syns; /* SYN flood: new-flow SYNs sent over them */
	const char *scenarios; /* packets, baseline: only these (comma list), or NULL */
};

/* Is the scenario one of o->scenarios (all when that is NULL)? */
bool bench_wanted(const struct bench_opts *o, const char *scenario);

/* Each section prints its table to stdout and adds its figures to out.
 * It returns the number of scenarios whose *behaviour* was wrong (wrong
 * action, counters that prove another path ran): never a slowness. */
int bench_packets(const struct bench_opts *o, cJSON *out);
int bench_maglev(const struct bench_opts *o, cJSON *out);
int bench_load(const struct bench_opts *o, cJSON *out);
int bench_veth(const struct bench_opts *o, cJSON *out);
int bench_scrape(const struct bench_opts *o, cJSON *out);
int bench_service(const struct bench_opts *o, cJSON *out);
int bench_twocore(const struct bench_opts *o, cJSON *out);
int bench_flood(const struct bench_opts *o, cJSON *out);
int bench_baseline(const struct bench_opts *o, cJSON *out);

double median(double *v, int n);
/* The 95% confidence interval of the median of v (sorted by median()),
 * from order statistics, which assume nothing of the distribution. */
void median_ci(const double *v, int n, double *lo, double *hi);

/* system.c: a namespace with a veth pair gen0 <-> lb0 and a private bpffs
 * (XDPLB_BPFFS), which this process enters; the load, veth and scrape
 * sections run in one. */
struct bench_sandbox {
	char ns[32], tmp[64], bpffs[96];
	char peer_ns[40]; /* a second namespace a section made, or "" */
	int home; /* our own network namespace, to go back to */
};

int bench_sandbox_up(struct bench_sandbox *s, const char *tag);
void bench_sandbox_down(struct bench_sandbox *s);
/* Takes down the sandbox that is up, if any (a signal's last act). */
void bench_sandbox_abort(void);
/* Bytes of kernel memory a map fd holds (its fdinfo's memlock). */
unsigned long long bench_memlock(int fd);
/* system(3) of a formatted command line */
int bench_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The config of n VIPs x nb backends with tables of m slots on lb0; bump
 * changes one weight (an update that rebuilds one table). */
int bench_write_config(const char *path, int n, int nb, int m, int bump);

#endif

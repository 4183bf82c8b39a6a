// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench.c - `make bench`: one table of figures, each against a floor
 * measured in the same run, and the same as JSON (bench/results/).
 * Exits non-zero only when a scenario's behaviour was wrong, never
 * because something was slow.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "log.h"
#include "mono.h"

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_dbl);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void median_ci(const double *v, int n, double *lo, double *hi)
{
	/* the median lies between the j-th and k-th of n sorted values with
	 * 95% probability, j and k = n/2 -/+ 1.96 sqrt(n)/2 (the normal
	 * approximation of the binomial); seven values or fewer have none
	 * narrower than their whole range */
	int d = (int)ceil(0.98 * sqrt((double)n)), j = n / 2 - d, k = (n + 1) / 2 + d - 1;

	*lo = v[j < 0 ? 0 : j];
	*hi = v[k >= n ? n - 1 : k];
}

/* SIGINT, SIGTERM: no namespace, bpffs or pin is left behind. The section
 * running is abandoned; the LBs loaded in this process go with it. */
static void on_signal(int sig)
{
	bench_sandbox_abort();
	_exit(128 + sig);
}

bool bench_wanted(const struct bench_opts *o, const char *scenario)
{
	size_t n = strlen(scenario);

	for (const char *p = o->scenarios; p && *p; p += strcspn(p, ","), p += *p == ',')
		if (strcspn(p, ",") == n && !strncmp(p, scenario, n))
			return true;
	return !o->scenarios;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = { { "json", required_argument, NULL, 'j' },
					    { "quick", no_argument, NULL, 'q' },
					    { "repeat", required_argument, NULL, 'r' },
					    { "runs", required_argument, NULL, 'n' },
					    { "rounds", required_argument, NULL, 'R' },
					    { "only", required_argument, NULL, 'o' },
					    { "xdplb", required_argument, NULL, 'x' },
					    { "pktgen", required_argument, NULL, 'p' },
					    { "probe", required_argument, NULL, 'P' },
					    { "no-check", no_argument, NULL, 'C' },
					    { "baseline-xdplb", required_argument, NULL, 'B' },
					    { "flood-flows", required_argument, NULL, 'F' },
					    { "flood-syns", required_argument, NULL, 'S' },
					    { "scenarios", required_argument, NULL, 's' },
					    { 0 } };
	struct bench_opts o = { .repeat = 1000000,
				.runs = 5,
				.xdplb = "build/xdplb",
				.pktgen = "build/xdplb-pktgen",
				.probe = "build/xdplb-probe",
				.flood_flows = 10000,
				.flood_syns = 1000000 };
	const char *json = NULL, *only = NULL;
	cJSON *out = cJSON_CreateObject();
	int c, wrong = 0;
	char when[32];
	time_t now = time(NULL);

	while ((c = getopt_long(argc, argv, "j:qr:n:R:o:x:p:P:CB:F:S:s:", lo, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = optarg;
			break;
		case 'q':
			o.quick = true;
			o.repeat = 100000;
			o.runs = 3;
			break;
		case 'r':
			o.repeat = strtoul(optarg, NULL, 10);
			break;
		case 'n':
			o.runs = atoi(optarg);
			break;
		case 'R':
			o.rounds = atoi(optarg);
			break;
		case 'o':
			only = optarg;
			break;
		case 'x':
			o.xdplb = optarg;
			break;
		case 'p':
			o.pktgen = optarg;
			break;
		case 'P':
			o.probe = optarg;
			break;
		case 'C':
			o.no_check = true; /* for comparing variants of the program */
			break;
		case 'B':
			o.baseline = optarg;
			break;
		case 'F':
			o.flood_flows = strtoul(optarg, NULL, 10);
			break;
		case 'S':
			o.flood_syns = strtoul(optarg, NULL, 10);
			break;
		case 's':
			o.scenarios = optarg; /* profiling one path: perf record */
			break;
		default:
			fprintf(stderr,
				"usage: xdplb-bench [--quick] [--repeat N] [--runs N] [--only packets,twocore,flood,baseline,maglev,load,veth,scrape,service] [--json FILE]\n"
				"       [--baseline-xdplb PATH] [--rounds N] [--flood-flows N] [--flood-syns N] [--no-check]\n"
				"       [--scenarios NAME,...] (packets and baseline: only these rows)\n");
			return 2;
		}
	}
	if (o.runs < 1 || o.runs > 64 || o.repeat < 1) {
		fprintf(stderr, "--runs 1..64, --repeat >= 1\n");
		return 2;
	}
	if (!o.rounds)
		o.rounds = o.runs;
	if (o.rounds < 1 || o.rounds > 4096) {
		fprintf(stderr, "--rounds 1..4096\n");
		return 2;
	}
	log_setup_libbpf();
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	cJSON_AddStringToObject(out, "time", when);
	cJSON_AddNumberToObject(out, "repeat", (double)o.repeat);
	cJSON_AddNumberToObject(out, "runs", o.runs);
#define SECTION(name, fn)                \
	if (!only || strstr(only, name)) \
		wrong += fn(&o, out);
	SECTION("packets", bench_packets)
	SECTION("twocore", bench_twocore)
	SECTION("flood", bench_flood)
	if (o.baseline && (!only || strstr(only, "baseline")))
		wrong += bench_baseline(&o, out);
	else if (only && strstr(only, "baseline"))
		fprintf(stderr,
			"baseline: no --baseline-xdplb PATH given (tools/bench --baseline REV builds one)\n");
	SECTION("maglev", bench_maglev)
	SECTION("load", bench_load)
	SECTION("veth", bench_veth)
	SECTION("scrape", bench_scrape)
	SECTION("service", bench_service)
	if (json) {
		FILE *f = fopen(json, "w");
		char *s = cJSON_Print(out);

		if (!f || !s || fputs(s, f) < 0) {
			perror(json);
			wrong++;
		}
		if (f)
			fclose(f);
		free(s);
	}
	cJSON_Delete(out);
	if (wrong)
		fprintf(stderr, "%d scenario%s behaved wrongly\n", wrong, wrong == 1 ? "" : "s");
	return wrong ? 1 : 0;
}

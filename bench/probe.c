// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xdplb-probe: a driver for the health-check engine (kernel/probe.c) and
 * the health core (core/health.c), for tests/e2e/test_probe.sh and
 * tools/probe-bench. Not installed.
 *
 *   xdplb-probe check [OPTIONS] SPEC...    checks, one line per result
 *   xdplb-probe bench [OPTIONS] < ADDRS    tcp checks of every address: CPU, latency
 *   xdplb-probe sink --port P --seconds S  accepts and closes, on [::]:P (v4 too)
 *
 * SPEC: tcp:ADDR:PORT or http:ADDR:PORT/PATH[=STATUS]; IPv6 as [ADDR].
 * OPTIONS: --interval S (1), --timeout S (1), --rounds N (1; check),
 * --duration S (20; bench), --port P (bench), --mark M, --src ADDR,
 * --health (check: feed the results to the health core with rise 1,
 * fall 1 and print its transitions; every spec a backend of one VIP),
 * --floor (bench: the same connects without the engine, see floor_run).
 * Every run is bounded in time.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "addr.h"
#include "health.h"
#include "log.h"
#include "probe.h"
#include "mono.h"

#define MAX_SPECS 4096

struct args {
	double interval, timeout, duration;
	int rounds, port;
	__u32 mark;
	const char *src;
	bool health;
	bool floor; /* bench: the floor instead of the engine */
};

/* "ADDR" or "[ADDR6]" and a port into ss. 0, or -EINVAL. */
static int sockaddr_of(const char *addr, int port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	char a[INET6_ADDRSTRLEN];
	size_t len = strlen(addr);

	memset(ss, 0, sizeof(*ss));
	if (addr[0] == '[' && len > 2 && addr[len - 1] == ']' && len - 2 < sizeof(a)) {
		memcpy(a, addr + 1, len - 2);
		a[len - 2] = 0;
		addr = a;
	}
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((__u16)port);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((__u16)port);
		return 0;
	}
	return -EINVAL;
}

/* tcp:ADDR:PORT or http:ADDR:PORT/PATH[=STATUS]; spec is cut up. 0, or
 * -EINVAL. */
static int parse_spec(char *spec, struct probe_target *t)
{
	char *ep = strchr(spec, ':'), *end, *slash, *eq, *colon;

	memset(t, 0, sizeof(*t));
	if (!ep)
		return -EINVAL;
	*ep++ = 0;
	if (!strcmp(spec, "tcp"))
		t->kind = PROBE_TCP;
	else if (!strcmp(spec, "http"))
		t->kind = PROBE_HTTP;
	else
		return -EINVAL;
	/* the address ends at its ']' (IPv6) or at the port's ':' */
	end = ep[0] == '[' ? strchr(ep, ']') : ep;
	if (!end)
		return -EINVAL;
	slash = strchr(end, '/');
	if ((t->kind == PROBE_HTTP) != (slash != NULL))
		return -EINVAL;
	if (slash) {
		eq = strrchr(slash, '=');
		if (eq) {
			*eq = 0;
			t->expect_status = atoi(eq + 1);
		}
		t->path = strdup(slash);
		*slash = 0;
	}
	colon = strrchr(end, ':');
	if (!colon)
		return -EINVAL;
	*colon = 0;
	return sockaddr_of(ep, atoi(colon + 1), &t->dst);
}

static int common_opts(struct probe_target *t, const struct args *a)
{
	t->interval = a->interval;
	t->timeout = a->timeout;
	t->mark = a->mark;
	if (a->src && sockaddr_of(a->src, 0, &t->src))
		return -EINVAL;
	return 0;
}

static const char *err_name(int err)
{
	const char *n = err ? strerrorname_np(err) : "0";

	return n ? n : "?";
}

/* ---------------------------------------------------------------- check */

/* The health core over the specs: one VIP, every spec a backend. */
static int health_setup(struct health *h, __u32 n)
{
	struct health_params p;
	struct health_member *m = calloc(n, sizeof(*m));
	int err;

	if (!m)
		return -ENOMEM;
	health_params_default(&p);
	p.rise = p.fall = 1;
	err = health_init(h, &p, n, mono_now());
	for (__u32 i = 0; i < n && !err; i++) {
		char a[16];

		snprintf(a, sizeof(a), "192.0.2.%u", i % 250 + 1);
		m[i] = (struct health_member){ .target = i, .admin = XDPLB_BE_ACTIVE, .weight = 1 };
		m[i].family = (__u8)addr_parse(a, &m[i].addr);
	}
	if (!err)
		err = health_add_vip(h, m, n, -1);
	free(m);
	return err < 0 ? err : 0;
}

static void print_health(const struct health_report *rep, char **specs)
{
	for (size_t i = 0; i < rep->n_tr; i++)
		printf("transition %s %s\n", specs[rep->tr[i].target],
		       health_event_str(rep->tr[i].ev));
	for (size_t v = 0; v < rep->n_vip; v++) {
		const struct health_vip_report *r = &rep->vip[v];

		if (!r->changed)
			continue;
		printf("vip changed out=%u unhealthy=%u active=%u fail_open=%d\n", r->n_out,
		       r->n_unhealthy, r->n_active, r->fail_open);
	}
}

static int do_check(const struct args *a, char **specs, int n)
{
	struct probe_target *t = calloc((size_t)n, sizeof(*t));
	char **names = calloc((size_t)n, sizeof(*names));
	int *count = calloc((size_t)n, sizeof(*count));
	struct probe_engine *pe = NULL;
	struct health h = { 0 };
	double t0, end;
	int err = 0, left = n;

	if (!t || !names || !count)
		return 3;
	for (int i = 0; i < n && !err; i++) {
		names[i] = strdup(specs[i]);
		err = parse_spec(specs[i], &t[i]) || common_opts(&t[i], a);
		if (err)
			fprintf(stderr, "xdplb-probe: %s: not a check spec\n", names[i]);
	}
	if (!err)
		err = probe_new(t, (__u32)n, NULL, &pe);
	if (!err && a->health)
		err = health_setup(&h, (__u32)n);
	if (err)
		return 3;
	t0 = mono_now();
	/* bounded: every target has had its rounds by then, or it is a bug */
	end = t0 + a->rounds * a->interval + a->timeout + 2;
	while (left > 0 && mono_now() < end) {
		const struct probe_result *r;
		struct health_result hr[MAX_SPECS];
		const struct health_report *rep;
		size_t k;

		if (probe_run(pe, fmin(mono_now() + 0.05, end)))
			break;
		k = probe_take(pe, &r);
		for (size_t j = 0; j < k; j++) {
			printf("%s %s err=%s status=%d start=%.3f latency_ms=%.2f\n",
			       names[r[j].target], r[j].ok ? "ok" : "fail", err_name(r[j].err),
			       r[j].status, r[j].start - t0, r[j].latency * 1000);
			hr[j] = (struct health_result){ .target = r[j].target,
							.ok = r[j].ok,
							.latency = r[j].latency };
			if (++count[r[j].target] == a->rounds)
				left--;
		}
		if (a->health && k && !health_round(&h, mono_now(), hr, k, &rep))
			print_health(rep, names);
		fflush(stdout);
	}
	{
		struct probe_stats st;

		probe_get_stats(pe, &st);
		printf("stats started=%llu ok=%llu failed=%llu timeouts=%llu local_errors=%llu peak_inflight=%u\n",
		       (unsigned long long)st.started, (unsigned long long)st.ok,
		       (unsigned long long)st.failed, (unsigned long long)st.timeouts,
		       (unsigned long long)st.local_errors, st.peak_inflight);
	}
	probe_free(pe);
	if (a->health)
		health_free(&h);
	return left ? 1 : 0;
}

/* ---------------------------------------------------------------- bench */

static int cmp_dbl(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

static void rusage_split(double *user, double *sys)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	*user = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
	*sys = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* Addresses, one a line, from stdin. */
static int read_targets(const struct args *a, struct probe_target **out)
{
	struct probe_target *t = calloc(MAX_SPECS, sizeof(*t));
	char line[128];
	int n = 0;

	if (!t)
		return -ENOMEM;
	while (n < MAX_SPECS && fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, " \r\n")] = 0;
		if (!line[0])
			continue;
		if (sockaddr_of(line, a->port, &t[n].dst) || common_opts(&t[n], a)) {
			fprintf(stderr, "xdplb-probe: %s: not an address\n", line);
			free(t);
			return -EINVAL;
		}
		t[n++].kind = PROBE_TCP;
	}
	*out = t;
	return n;
}

/* The floor: the same connects at the same times (every 10 ms, the
 * targets due), with nothing but socket, connect, SO_LINGER 0 and close:
 * no epoll, no verdict. On loopback the handshake completes within
 * connect(), so the kernel work per check is the engine's. Returns the
 * connects made. */
static __u64 floor_run(const struct probe_target *t, int n, const struct args *a)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	double t0 = mono_now(), end = t0 + a->duration;
	__u64 k = 0, done = 0; /* k: connects due so far, in schedule order */

	while (mono_now() < end) {
		struct timespec pause = { .tv_nsec = 10 * 1000 * 1000 };
		double due_until = mono_now() - t0 + 0.01;

		for (; (double)k * a->interval / n <= due_until; k++) {
			const struct probe_target *x = &t[k % (__u64)n];
			int fd = socket(x->dst.ss_family,
					SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

			if (fd < 0)
				continue;
			connect(fd, (const struct sockaddr *)&x->dst, sizeof(x->dst));
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
			close(fd);
			done++;
		}
		nanosleep(&pause, NULL);
	}
	return done;
}

static int do_floor(const struct args *a)
{
	struct probe_target *t;
	double t0, c0, u0, s0, u1, s1, wall, cpu;
	int n = read_targets(a, &t);
	__u64 done;

	if (n <= 0 || !a->port)
		return 2;
	rusage_split(&u0, &s0);
	c0 = cpu_seconds();
	t0 = mono_now();
	done = floor_run(t, n, a);
	wall = mono_now() - t0;
	cpu = cpu_seconds() - c0;
	rusage_split(&u1, &s1);
	printf("floor: %llu connects (socket, connect, SO_LINGER 0, close; no epoll) in %.2fs\n",
	       (unsigned long long)done, wall);
	printf("floor cpu user %.3fs sys %.3fs = %.2f%% of one core (%.1f us per connect)\n",
	       u1 - u0, s1 - s0, 100 * cpu / wall, done ? 1e6 * cpu / done : 0);
	free(t);
	return 0;
}

static int do_bench(const struct args *a)
{
	struct probe_target *t;
	struct probe_engine *pe;
	struct probe_stats st;
	double *lat, t0, c0, u0, s0, u1, s1, wall, cpu;
	size_t n_lat = 0, cap;
	int n = read_targets(a, &t);

	if (n <= 0 || !a->port)
		return 2;
	cap = (size_t)n * (size_t)(a->duration / a->interval + 2);
	lat = calloc(cap, sizeof(*lat));
	if (!lat || probe_new(t, (__u32)n, NULL, &pe))
		return 3;
	rusage_split(&u0, &s0);
	c0 = cpu_seconds();
	t0 = mono_now();
	while (mono_now() < t0 + a->duration) {
		const struct probe_result *r;
		size_t k;

		if (probe_run(pe, fmin(mono_now() + 0.25, t0 + a->duration)))
			return 3;
		k = probe_take(pe, &r);
		for (size_t j = 0; j < k && n_lat < cap; j++)
			lat[n_lat++] = r[j].latency;
	}
	wall = mono_now() - t0;
	cpu = cpu_seconds() - c0;
	rusage_split(&u1, &s1);
	probe_get_stats(pe, &st);
	qsort(lat, n_lat, sizeof(*lat), cmp_dbl);
	printf("targets %d interval %.2fs timeout %.2fs wall %.2fs\n", n, a->interval, a->timeout,
	       wall);
	printf("checks %llu ok %llu failed %llu timeouts %llu local_errors %llu peak_inflight %u\n",
	       (unsigned long long)st.started, (unsigned long long)st.ok,
	       (unsigned long long)st.failed, (unsigned long long)st.timeouts,
	       (unsigned long long)st.local_errors, st.peak_inflight);
	printf("cpu user %.3fs sys %.3fs = %.2f%% of one core (%.1f us per check)\n", u1 - u0,
	       s1 - s0, 100 * cpu / wall, st.started ? 1e6 * cpu / st.started : 0);
	if (n_lat)
		printf("latency p50 %.3f ms p99 %.3f ms max %.3f ms\n", 1000 * lat[n_lat / 2],
		       1000 * lat[(size_t)(n_lat * 0.99)], 1000 * lat[n_lat - 1]);
	probe_free(pe);
	free(lat);
	free(t);
	return 0;
}

/* ---------------------------------------------------------------- sink */

static int do_sink(const struct args *a)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = htons((__u16)a->port) };
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), off = 0, on = 1;
	double end = mono_now() + a->duration;
	unsigned long long n = 0;

	if (fd < 0 || setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) ||
	    bind(fd, (struct sockaddr *)&s6, sizeof(s6)) || listen(fd, 4096)) {
		fprintf(stderr, "xdplb-probe: listening on [::]:%d: %s\n", a->port,
			strerror(errno));
		return 3;
	}
	printf("listening\n");
	fflush(stdout);
	/* accepts every 10 ms instead of sleeping in poll(): on loopback the
	 * handshake runs in the checker's connect(), and so would waking the
	 * sink up, 1,000 times a second; a real backend wakes up on its own
	 * CPU. The backlog holds 10 ms of connections many times over. */
	while (mono_now() < end) {
		struct timespec pause = { .tv_nsec = 10 * 1000 * 1000 };
		int c;

		nanosleep(&pause, NULL);
		while ((c = accept4(fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
			close(c);
			n++;
		}
	}
	printf("accepted %llu\n", n);
	close(fd);
	return 0;
}

/* ---------------------------------------------------------------- main */

static int usage(void)
{
	fprintf(stderr,
		"usage: xdplb-probe check [--interval S] [--timeout S] [--rounds N] [--mark M] [--src ADDR] [--health] SPEC...\n"
		"       xdplb-probe bench --port P [--interval S] [--timeout S] [--duration S] [--mark M] [--src ADDR] [--floor] < ADDRS\n"
		"       xdplb-probe sink --port P --duration S\n"
		"SPEC: tcp:ADDR:PORT | http:ADDR:PORT/PATH[=STATUS], IPv6 as [ADDR]\n");
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "timeout", required_argument, NULL, 't' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "duration", required_argument, NULL, 'd' },
		{ "port", required_argument, NULL, 'p' },
		{ "mark", required_argument, NULL, 'm' },
		{ "src", required_argument, NULL, 's' },
		{ "health", no_argument, NULL, 'H' },
		{ "floor", no_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	struct args a = { .interval = 1, .timeout = 1, .duration = 20, .rounds = 1 };
	const char *cmd;
	int c;

	if (argc < 2)
		return usage();
	cmd = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			a.interval = atof(optarg);
			break;
		case 't':
			a.timeout = atof(optarg);
			break;
		case 'r':
			a.rounds = atoi(optarg);
			break;
		case 'd':
			a.duration = atof(optarg);
			break;
		case 'p':
			a.port = atoi(optarg);
			break;
		case 'm':
			a.mark = (__u32)strtoul(optarg, NULL, 0);
			break;
		case 's':
			a.src = optarg;
			break;
		case 'H':
			a.health = true;
			break;
		case 'F':
			a.floor = true;
			break;
		default:
			return usage();
		}
	}
	/* bounded runs only */
	if (!(a.interval > 0 && a.timeout > 0 && a.duration > 0 && a.duration <= 600) ||
	    a.rounds < 1 || a.rounds > 1000)
		return usage();
	log_level = LOG_INFO; /* the RLIMIT_NOFILE message */
	if (!strcmp(cmd, "check") && optind < argc && argc - optind <= MAX_SPECS)
		return do_check(&a, argv + optind, argc - optind);
	if (!strcmp(cmd, "bench"))
		return a.floor ? do_floor(&a) : do_bench(&a);
	if (!strcmp(cmd, "sink") && a.port)
		return do_sink(&a);
	return usage();
}

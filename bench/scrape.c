// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * scrape.c - what a Prometheus scrape of `xdplb serve` costs on a large
 * host: 1,000 VIPs x 100 backends loaded on a veth in a namespace, the
 * exporter started there, scrapes timed from an HTTP client in the same
 * namespace. The floor is the same maps read raw (batch lookups; tables
 * through their mapping) and nothing else (no names matched, no text):
 * with every table for the first
 * scrape, without them for the steady state (the exporter counts a frozen
 * table's slots once).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bench.h"
#include "maps.h"
#include "mono.h"

#define STEADY_RUNS 5
#define PORT 9435

/* The sandbox (entered), the LB's pin directory and the exporter's pid. */
struct scrape_env {
	struct bench_sandbox sb;
	char pin[256];
	pid_t serve;
};

static int env_up(struct scrape_env *e, const struct bench_opts *o, int vips)
{
	char cfg[128], pidf[128];
	glob_t g;
	FILE *f;

	if (bench_sandbox_up(&e->sb, "s"))
		return -EIO;
	snprintf(cfg, sizeof(cfg), "%s/lb.json", e->sb.tmp);
	if (bench_write_config(cfg, vips, 100, 65537, 0) || bench_sh("ip link set lo up") ||
	    bench_sh("%s load --iface lb0 --state-dir %s/sd %s >/dev/null", o->xdplb, e->sb.tmp,
		     cfg))
		return -EIO;
	snprintf(pidf, sizeof(pidf), "%s/xdplb/lb0@ns*", e->sb.bpffs);
	if (glob(pidf, 0, NULL, &g) || !g.gl_pathc)
		return -ENOENT;
	snprintf(e->pin, sizeof(e->pin), "%s", g.gl_pathv[0]);
	globfree(&g);
	/* the shell forks and execs the exporter: $! is its pid */
	snprintf(pidf, sizeof(pidf), "%s/serve.pid", e->sb.tmp);
	if (bench_sh("%s serve --listen 127.0.0.1:%d 2>/dev/null & echo $! >%s", o->xdplb, PORT,
		     pidf))
		return -EIO;
	f = fopen(pidf, "r");
	if (!f || fscanf(f, "%d", &e->serve) != 1)
		e->serve = 0;
	if (f)
		fclose(f);
	return e->serve > 0 ? 0 : -EIO;
}

static void env_down(struct scrape_env *e, const struct bench_opts *o)
{
	if (e->serve > 0) {
		kill(e->serve, SIGTERM);
		for (int i = 0; i < 50 && !kill(e->serve, 0); i++)
			usleep(100000);
		kill(e->serve, SIGKILL);
	}
	if (e->sb.ns[0])
		bench_sh("%s unload --iface lb0 >/dev/null 2>&1", o->xdplb);
	bench_sandbox_down(&e->sb);
}

/* One GET /metrics: seconds, or < 0. Counts bytes, and samples unless
 * samples is NULL (Prometheus parses too, but that is not our cost). */
/* One GET /metrics: its time, the bytes received, the samples counted
 * (plain text only); gzip asks for a compressed body, as Prometheus does. */
static double scrape_enc(size_t *bytes, size_t *samples, bool gzip)
{
	static const char plain[] = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
	static const char gz[] = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n"
				 "Accept-Encoding: gzip\r\n\r\n";
	const char *req = gzip ? gz : plain;
	size_t req_len = strlen(req);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	static char buf[1 << 16];
	double t0 = mono_now();
	bool bol = false, ok = false;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ssize_t r;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    write(fd, req, req_len) != (ssize_t)req_len) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*bytes = 0;
	if (samples)
		*samples = 0;
	while ((r = read(fd, buf, sizeof(buf))) > 0) {
		if (!*bytes)
			ok = r > 12 && !memcmp(buf + 9, "200", 3);
		for (ssize_t i = 0; samples && i < r; i++) {
			if (bol && buf[i] == 'x')
				(*samples)++;
			bol = buf[i] == '\n';
		}
		*bytes += (size_t)r;
	}
	close(fd);
	return ok && r == 0 ? mono_now() - t0 : -1;
}

static double scrape(size_t *bytes, size_t *samples)
{
	return scrape_enc(bytes, samples, false);
}

/* The floor: the maps a scrape reads, raw (batch lookups). */
static double floor_read(const char *pin)
{
	int ncpu = libbpf_num_possible_cpus();
	double t0 = mono_now();
	struct lb_maps m;
	struct xdplb_ctl ctl;
	__u32 zero = 0, *ids = NULL, nv = 0;
	void *buf = NULL;
	int err;

	if (maps_open_pinned(pin, &m))
		return -1;
	err = bpf_map_lookup_elem(LB_FD(&m, ctl), &zero, &ctl);
	if (!err) {
		buf = malloc((size_t)(ctl.be_span + 1) * 64 * (ncpu > 0 ? ncpu : 1));
		ids = calloc(XDPLB_TABLE_SLOTS, sizeof(*ids));
		err = !buf || !ids ||
		      maps_read_range(LB_FD(&m, tables), 0, XDPLB_TABLE_SLOTS, ids);
	}
	/* the VIPs are ids 0..nv-1 of the active bank */
	for (__u32 v = 0; !err && v < XDPLB_MAX_VIPS; v++)
		if (ids[xdplb_table_slot(xdplb_active_bank(&ctl), v)] != ids[XDPLB_BARRIER_SLOT])
			nv = v + 1;
	if (!err)
		err = maps_read_range(LB_FD(&m, be_stats), 0, ctl.be_span, buf) ||
		      maps_read_range(LB_FD(&m, be_names), 0, ctl.be_span, buf) ||
		      maps_read_range(LB_FD(&m, vip_stats), 0, nv, buf) ||
		      maps_read_range(LB_FD(&m, vip_names), 0, nv, buf);
	free(ids);
	free(buf);
	maps_close(&m);
	return err ? -1 : mono_now() - t0;
}

int bench_scrape(const struct bench_opts *o, cJSON *out)
{
	struct scrape_env e = { .sb.home = -1 };
	int vips = o->quick ? 100 : 1000, wrong = 0;
	double first = -1, steady[STEADY_RUNS], steady_gz[STEADY_RUNS], fl[3], st, sgz, f0;
	size_t bytes = 0, samples = 0, gz_bytes = 0;

	printf("\nA Prometheus scrape of xdplb serve: %d VIPs x 100 backends, M = 65537, on a veth\n",
	       vips);
	if (env_up(&e, o, vips)) {
		printf("  FAILED to set up (namespace, load or serve)\n");
		env_down(&e, o);
		return 1;
	}
	for (int i = 0; i < 50 && first < 0; i++) { /* the exporter may still be starting */
		first = scrape(&bytes, &samples);
		if (first < 0)
			usleep(100000);
	}
	for (int i = 0; i < STEADY_RUNS && first >= 0; i++)
		if ((steady[i] = scrape(&bytes, NULL)) < 0)
			first = -1;
	for (int i = 0; i < STEADY_RUNS && first >= 0; i++)
		if ((steady_gz[i] = scrape_enc(&gz_bytes, NULL, true)) < 0)
			first = -1;
	for (int i = 0; i < 3; i++)
		fl[i] = floor_read(e.pin);
	env_down(&e, o);
	if (first < 0 || fl[0] < 0) {
		printf("  FAILED: a scrape or the floor read failed\n");
		return 1;
	}
	st = median(steady, STEADY_RUNS);
	sgz = median(steady_gz, STEADY_RUNS);
	f0 = median(fl, 3);
	printf("  %zu samples, %.1f MB of text per scrape, %.1f MB gzip'ed\n", samples, bytes / 1e6,
	       gz_bytes / 1e6);
	/* the exporter reads no table: slot counts are published (be_slots) */
	printf("  %-40s %8.3f s   floor %6.3f s (the maps' raw reads)        %6.1fx\n",
	       "first scrape", first, f0, first / f0);
	printf("  %-40s %8.3f s   floor %6.3f s                              %6.1fx\n",
	       "steady state (median of 5)", st, f0, st / f0);
	printf("  %-40s %8.3f s   floor %6.3f s                              %6.1fx\n",
	       "steady state, gzip (as Prometheus asks)", sgz, f0, sgz / f0);
	cJSON *j = cJSON_AddObjectToObject(out, "scrape");

	cJSON_AddNumberToObject(j, "vips", vips);
	cJSON_AddNumberToObject(j, "backends_per_vip", 100);
	cJSON_AddNumberToObject(j, "samples", (double)samples);
	cJSON_AddNumberToObject(j, "bytes", (double)bytes);
	cJSON_AddNumberToObject(j, "first_s", first);
	cJSON_AddNumberToObject(j, "steady_s", st);
	cJSON_AddNumberToObject(j, "steady_gzip_s", sgz);
	cJSON_AddNumberToObject(j, "gzip_bytes", (double)gz_bytes);
	cJSON_AddNumberToObject(j, "floor_s", f0);
	return wrong;
}

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
#include <fcntl.h>
#include <glob.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bench.h"
#include "maps.h"

#define STEADY_RUNS 5
#define PORT 9435

struct scrape_env {
	char ns[32], tmp[64], bpffs[96], pin[256];
	int home; /* our network namespace */
	pid_t serve;
};

static int run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static int enter(const char *ns)
{
	char path[64];
	int fd, err = 0;

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET))
		err = -errno;
	if (fd >= 0)
		close(fd);
	return err;
}

/* n VIPs of nb backends, tables of m slots (the same shape as the load bench). */
static int write_cfg(const char *path, int n, int nb, int m)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	fprintf(f, "{ \"interface\": \"lb0\", \"next_hop_mac\": \"02:00:00:00:00:01\","
		   " \"source_v4\": \"192.0.2.1\", \"vips\": [");
	for (int v = 0; v < n; v++) {
		fprintf(f,
			"%s{ \"name\": \"v%d\", \"address\": \"203.0.%d.%d\", \"port\": 80,"
			" \"table_size\": %d, \"backends\": [",
			v ? ", " : "", v, v / 256 % 256, v % 256, m);
		for (int b = 0; b < nb; b++)
			fprintf(f, "%s{ \"name\": \"b%d\", \"address\": \"198.%d.%d.%d\" }",
				b ? ", " : "", b, 18 + (b >> 8), v % 256, b % 256 + 1);
		fprintf(f, "] }");
	}
	fprintf(f, "] }\n");
	return fclose(f) ? -errno : 0;
}

static int env_up(struct scrape_env *e, const struct bench_opts *o, int vips)
{
	char cfg[128], pidf[128];
	glob_t g;
	FILE *f;

	snprintf(e->ns, sizeof(e->ns), "xdplbbs%d", getpid());
	snprintf(e->tmp, sizeof(e->tmp), "/tmp/xdplb-scrape.XXXXXX");
	if (!mkdtemp(e->tmp))
		return -errno;
	snprintf(e->bpffs, sizeof(e->bpffs), "%s/bpffs", e->tmp);
	if (mkdir(e->bpffs, 0700) || mount("bpf", e->bpffs, "bpf", 0, NULL))
		return -errno;
	setenv("XDPLB_BPFFS", e->bpffs, 1);
	snprintf(cfg, sizeof(cfg), "%s/lb.json", e->tmp);
	if (write_cfg(cfg, vips, 100, 65537) ||
	    run("ip netns add %s && ip -n %s link add gen0 type veth peer name lb0 &&"
		" ip -n %s link set gen0 up && ip -n %s link set lb0 up && ip -n %s link set lo up",
		e->ns, e->ns, e->ns, e->ns, e->ns) ||
	    run("nsenter --net=/run/netns/%s %s load --iface lb0 --state-dir %s/sd %s >/dev/null",
		e->ns, o->xdplb, e->tmp, cfg))
		return -EIO;
	snprintf(pidf, sizeof(pidf), "%s/xdplb/lb0@ns*", e->bpffs);
	if (glob(pidf, 0, NULL, &g) || !g.gl_pathc)
		return -ENOENT;
	snprintf(e->pin, sizeof(e->pin), "%s", g.gl_pathv[0]);
	globfree(&g);
	/* nsenter execs: the pid is the exporter's */
	snprintf(pidf, sizeof(pidf), "%s/serve.pid", e->tmp);
	if (run("nsenter --net=/run/netns/%s %s serve --listen 127.0.0.1:%d 2>/dev/null & echo $! >%s",
		e->ns, o->xdplb, PORT, pidf))
		return -EIO;
	f = fopen(pidf, "r");
	if (!f || fscanf(f, "%d", &e->serve) != 1)
		e->serve = 0;
	if (f)
		fclose(f);
	e->home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	return e->serve > 0 && e->home >= 0 ? enter(e->ns) : -EIO;
}

static void env_down(struct scrape_env *e, const struct bench_opts *o)
{
	if (e->home >= 0) {
		setns(e->home, CLONE_NEWNET);
		close(e->home);
	}
	if (e->serve > 0) {
		kill(e->serve, SIGTERM);
		for (int i = 0; i < 50 && !kill(e->serve, 0); i++)
			usleep(100000);
		kill(e->serve, SIGKILL);
	}
	if (e->ns[0]) {
		run("nsenter --net=/run/netns/%s %s unload --iface lb0 >/dev/null 2>&1", e->ns,
		    o->xdplb);
		run("ip netns del %s 2>/dev/null", e->ns);
	}
	if (e->bpffs[0])
		umount(e->bpffs);
	if (e->tmp[0])
		run("rm -rf %s", e->tmp);
	unsetenv("XDPLB_BPFFS");
}

/* One GET /metrics: seconds, or < 0. Counts bytes, and samples unless
 * samples is NULL (Prometheus parses too, but that is not our cost). */
static double scrape(size_t *bytes, size_t *samples)
{
	static const char req[] = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	static char buf[1 << 16];
	double t0 = bench_now();
	bool bol = false, ok = false;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ssize_t r;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    write(fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1)) {
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
	return ok && r == 0 ? bench_now() - t0 : -1;
}

/* The floor: the maps a scrape reads, raw (batch lookups, mapped tables). */
static double floor_read(const char *pin, bool tables)
{
	int ncpu = libbpf_num_possible_cpus();
	double t0 = bench_now();
	struct lb_maps m;
	struct live l;
	void *buf;
	int err, live_err;

	if (maps_open_pinned(pin, &m))
		return -1;
	err = live_err = maps_read_live(&m, &l);
	buf = malloc((size_t)(l.ctl.be_span + 1) * 64 * (ncpu > 0 ? ncpu : 1));
	if (!err && buf) {
		err = maps_read_range(m.fd[M_BE_STATS], 0, l.ctl.be_span, buf) ||
		      maps_read_range(m.fd[M_BE_NAMES], 0, l.ctl.be_span, buf) ||
		      maps_read_range(m.fd[M_VIP_STATS], 0, l.n_vips / 2, buf) ||
		      maps_read_range(m.fd[M_VIP_NAMES], 0, l.n_vips / 2, buf);
	}
	for (__u32 i = 0; tables && !err && buf && i < l.n_vips; i++) {
		const struct xdplb_vip_cfg *c = &l.vips[i].val.bank[l.ctl.active & 1];
		__u32 *t;

		if (!l.vips[i].key.proto || !c->table_size)
			continue;
		t = malloc(c->table_size * sizeof(*t));
		err = !t || maps_read_table(&m, (l.ctl.active & 1) * XDPLB_MAX_VIPS + c->vip_id,
					    c->table_size, t);
		free(t);
	}
	if (!live_err)
		live_free(&l);
	free(buf);
	maps_close(&m);
	return err ? -1 : bench_now() - t0;
}

int bench_scrape(const struct bench_opts *o, cJSON *out)
{
	struct scrape_env e = { .home = -1 };
	int vips = o->quick ? 100 : 1000, wrong = 0;
	double first = -1, steady[STEADY_RUNS], fl_t[3], fl[3], st, ft, f0;
	size_t bytes = 0, samples = 0;

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
	for (int i = 0; i < 3; i++) {
		fl_t[i] = floor_read(e.pin, true);
		fl[i] = floor_read(e.pin, false);
	}
	env_down(&e, o);
	if (first < 0 || fl_t[0] < 0 || fl[0] < 0) {
		printf("  FAILED: a scrape or the floor read failed\n");
		return 1;
	}
	st = median(steady, STEADY_RUNS);
	ft = median(fl_t, 3);
	f0 = median(fl, 3);
	printf("  %zu samples, %.1f MB of text per scrape\n", samples, bytes / 1e6);
	printf("  %-40s %8.3f s   floor %6.3f s (raw reads, tables too)      %6.1fx\n",
	       "first scrape (counts every table)", first, ft, first / ft);
	printf("  %-40s %8.3f s   floor %6.3f s (raw reads, no tables)       %6.1fx\n",
	       "steady state (median of 5)", st, f0, st / f0);
	cJSON *j = cJSON_AddObjectToObject(out, "scrape");

	cJSON_AddNumberToObject(j, "vips", vips);
	cJSON_AddNumberToObject(j, "backends_per_vip", 100);
	cJSON_AddNumberToObject(j, "samples", (double)samples);
	cJSON_AddNumberToObject(j, "bytes", (double)bytes);
	cJSON_AddNumberToObject(j, "first_s", first);
	cJSON_AddNumberToObject(j, "steady_s", st);
	cJSON_AddNumberToObject(j, "floor_tables_s", ft);
	cJSON_AddNumberToObject(j, "floor_s", f0);
	return wrong;
}

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * system.c - the benches that need a real interface: `xdplb load` end to
 * end (time and map memory) and packets per second through veth against
 * the MAC-swap floor. Each runs in a network namespace and a private bpffs
 * it creates and removes, and returns to the caller's namespace.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "bench_abi.h" /* before the skeleton: its .bss holds a struct bench_count[] */
#include "bench.skel.h"

#include "bench.h"
#include "maps.h"
#include "mono.h"

int bench_sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* The sandbox up now, for bench_sandbox_abort. */
static struct bench_sandbox *live;

void bench_sandbox_abort(void)
{
	if (live)
		bench_sandbox_down(live);
}

int bench_sandbox_up(struct bench_sandbox *s, const char *tag)
{
	char path[64];
	int fd;

	live = s;

	snprintf(s->ns, sizeof(s->ns), "xdplbb%s%d", tag, getpid());
	snprintf(s->tmp, sizeof(s->tmp), "/tmp/xdplb-bench.XXXXXX");
	if (!mkdtemp(s->tmp))
		return -errno;
	snprintf(s->bpffs, sizeof(s->bpffs), "%s/bpffs", s->tmp);
	if (mkdir(s->bpffs, 0700) || mount("bpf", s->bpffs, "bpf", 0, NULL))
		return -errno;
	setenv("XDPLB_BPFFS", s->bpffs, 1);
	if (bench_sh(
		    "ip netns add %s && ip -n %s link add gen0 type veth peer name lb0 && ip -n %s link set gen0 up && ip -n %s link set lb0 up",
		    s->ns, s->ns, s->ns, s->ns))
		return -EIO;
	s->home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/run/netns/%s", s->ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (s->home < 0 || fd < 0 || setns(fd, CLONE_NEWNET)) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	close(fd);
	return 0;
}

void bench_sandbox_down(struct bench_sandbox *s)
{
	if (live == s)
		live = NULL;
	if (s->home >= 0) {
		setns(s->home, CLONE_NEWNET);
		close(s->home);
	}
	if (s->peer_ns[0])
		bench_sh("ip netns del %s 2>/dev/null", s->peer_ns);
	if (s->ns[0])
		bench_sh("ip netns del %s 2>/dev/null", s->ns);
	if (s->bpffs[0])
		umount(s->bpffs);
	if (s->tmp[0])
		bench_sh("rm -rf %s", s->tmp);
	unsetenv("XDPLB_BPFFS");
}

unsigned long long bench_memlock(int fd)
{
	char path[64], line[128];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %llu", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

int bench_write_config(const char *path, int n, int nb, int m, int bump)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	fprintf(f, "{ \"interface\": \"lb0\", \"next_hop_mac\": \"02:00:00:00:00:01\","
		   " \"source_v4\": \"192.0.2.1\", \"conntrack_size\": 1048576, \"vips\": [");
	for (int v = 0; v < n; v++) {
		fprintf(f,
			"%s{ \"name\": \"v%d\", \"address\": \"203.%d.%d.%d\", \"port\": 80,"
			" \"table_size\": %d, \"backends\": [",
			v ? ", " : "", v, 0 + v / 65536, v / 256 % 256, v % 256, m);
		for (int b = 0; b < nb; b++)
			fprintf(f,
				"%s{ \"name\": \"b%d\", \"address\": \"198.%d.%d.%d\", \"weight\": %d }",
				b ? ", " : "", b, 18 + (b >> 8), v % 256, b % 256 + 1,
				bump && v == 0 && b == 0 ? 150 : 100);
		fprintf(f, "] }");
	}
	fprintf(f, "] }\n");
	return fclose(f) ? -errno : 0;
}

/* Memory of every map of the live LB: the pinned ones, and the inner tables. */
static void lb_memory(const char *bpffs, unsigned long long *total, unsigned long long *tables,
		      unsigned long long *ct, unsigned int *ct_entries)
{
	char pattern[160];
	struct lb_maps m;
	glob_t g;

	*total = *tables = *ct = *ct_entries = 0;
	snprintf(pattern, sizeof(pattern), "%s/xdplb/lb0@ns*", bpffs);
	if (glob(pattern, 0, NULL, &g) || !g.gl_pathc)
		return;
	if (maps_open_pinned(g.gl_pathv[0], &m) == 0) {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);

		struct bpf_map *map;

		for (map = bpf_object__next_map(m.skel->obj, NULL); map;
		     map = bpf_object__next_map(m.skel->obj, map))
			*total += bench_memlock(bpf_map__fd(map));
		*ct = bench_memlock(LB_FD(&m, conntrack));
		if (!bpf_obj_get_info_by_fd(LB_FD(&m, conntrack), &info, &len))
			*ct_entries = info.max_entries;
		/* every table once: banks share unchanged tables, and the
		 * one-entry empty table (counted above) fills the unused slots */
		__u32 *seen = calloc(XDPLB_TABLE_SLOTS, sizeof(*seen)), nseen = 0;

		for (__u32 slot = 0; seen && slot < XDPLB_TABLE_SLOTS - 1; slot++) {
			struct bpf_map_info ti = {};
			__u32 id, tlen = sizeof(ti), k;
			int fd;

			if (bpf_map_lookup_elem(LB_FD(&m, tables), &slot, &id))
				continue;
			for (k = 0; k < nseen && seen[k] != id; k++)
				;
			if (k < nseen)
				continue;
			seen[nseen++] = id;
			fd = bpf_map_get_fd_by_id(id);
			if (fd < 0)
				continue;
			if (!bpf_obj_get_info_by_fd(fd, &ti, &tlen) && ti.max_entries > 1)
				*tables += bench_memlock(fd);
			close(fd);
		}
		free(seen);
		*total += *tables;
		maps_close(&m);
	}
	globfree(&g);
}

int bench_load(const struct bench_opts *o, cJSON *out)
{
	const struct {
		int vips, backends, m;
	} sizes[] = {
		{ 1, 100, 65537 }, { 100, 100, 65537 }, { 1000, 100, 65537 }, { 1000, 100, 10007 }
	};
	cJSON *arr = cJSON_AddArrayToObject(out, "load");
	struct bench_sandbox s = { .home = -1 };
	char cfg[160], cfg2[160];
	int wrong = 0;

	if (bench_sandbox_up(&s, "l")) {
		fprintf(stderr, "load: cannot set up a namespace\n");
		bench_sandbox_down(&s);
		return 1;
	}
	printf("\nxdplb load, end to end (validate, tables, commit), on a veth\n");
	printf("  %-6s %-9s %-8s %10s %10s %10s %12s %14s\n", "VIPs", "backends", "M", "first s",
	       "update s", "maps MB", "tables/VIP KB", "conntrack B/flow");
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned long long total, tables, ct;
		unsigned int ct_entries;
		double t0, first, update;
		int rc1, rc2;

		if (o->quick && sizes[i].vips > 100)
			continue;
		snprintf(cfg, sizeof(cfg), "%s/lb%zu.json", s.tmp, i);
		snprintf(cfg2, sizeof(cfg2), "%s/lb%zu-b.json", s.tmp, i);
		if (bench_write_config(cfg, sizes[i].vips, sizes[i].backends, sizes[i].m, 0) ||
		    bench_write_config(cfg2, sizes[i].vips, sizes[i].backends, sizes[i].m, 1))
			return wrong + 1;
		t0 = mono_now();
		rc1 = bench_sh("%s load --iface lb0 --state-dir %s/sd %s >/dev/null", o->xdplb,
			       s.tmp, cfg);
		first = mono_now() - t0;
		t0 = mono_now();
		rc2 = bench_sh("%s load --iface lb0 --state-dir %s/sd %s >/dev/null", o->xdplb,
			       s.tmp, cfg2);
		update = mono_now() - t0;
		lb_memory(s.bpffs, &total, &tables, &ct, &ct_entries);
		bench_sh("%s unload --iface lb0 2>/dev/null", o->xdplb);
		if (rc1 || rc2) {
			printf("  %-6d FAILED (load exit %d, update exit %d)\n", sizes[i].vips, rc1,
			       rc2);
			wrong++;
			continue;
		}
		printf("  %-6d %-9d %-8d %10.3f %10.3f %10.1f %12.1f %14.1f\n", sizes[i].vips,
		       sizes[i].backends, sizes[i].m, first, update, total / 1048576.0,
		       tables / 1024.0 / sizes[i].vips, ct_entries ? (double)ct / ct_entries : 0);

		cJSON *j = cJSON_CreateObject();

		cJSON_AddNumberToObject(j, "vips", sizes[i].vips);
		cJSON_AddNumberToObject(j, "backends", sizes[i].backends);
		cJSON_AddNumberToObject(j, "m", sizes[i].m);
		cJSON_AddNumberToObject(j, "first_s", first);
		cJSON_AddNumberToObject(j, "update_s", update);
		cJSON_AddNumberToObject(j, "maps_bytes", (double)total);
		cJSON_AddNumberToObject(j, "table_bytes_per_vip", (double)tables / sizes[i].vips);
		cJSON_AddNumberToObject(j, "conntrack_bytes_per_entry",
					ct_entries ? (double)ct / ct_entries : 0);
		cJSON_AddNumberToObject(j, "swaps_per_load", 1);
		cJSON_AddItemToArray(arr, j);
	}
	printf("  every load swaps the config with one 4-byte flip: the data path is never in a mixed state\n"
	       "  (docs/atomicity.md; proved by tests/bpf/test_reload.c)\n");
	bench_sandbox_down(&s);
	return wrong;
}

/* Attaches a program to an interface of the current namespace; a link fd. */
static int attach(int prog, const char *ifname)
{
	LIBBPF_OPTS(bpf_link_create_opts, lo, .flags = XDP_FLAGS_DRV_MODE);

	return bpf_link_create(prog, (int)if_nametoindex(ifname), BPF_XDP, &lo);
}

static unsigned long long run_cnt(int prog)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(prog, &info, &len) ? 0 : info.run_cnt;
}

/* The LB's program fd, from its pinned link. */
static int lb_prog(const char *bpffs)
{
	char pattern[160], path[256];
	struct bpf_link_info li = {};
	__u32 len = sizeof(li);
	glob_t g;
	int fd, pfd = -1;

	snprintf(pattern, sizeof(pattern), "%s/xdplb/lb0@ns*", bpffs);
	if (glob(pattern, 0, NULL, &g) || !g.gl_pathc)
		return -1;
	snprintf(path, sizeof(path), "%s/link", g.gl_pathv[0]);
	globfree(&g);
	fd = bpf_obj_get(path);
	if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &li, &len))
		pfd = bpf_prog_get_fd_by_id(li.prog_id);
	if (fd >= 0)
		close(fd);
	return pfd;
}

/* NAPI in kernel threads (veth has NAPI only once XDP is attached): the
 * LB's thread gets core 1 to itself; the generator and the peer's thread,
 * which drops the returning frames, share core 0. Without it the LB would
 * run inside the generator's sendmmsg calls, on its core. */
static int threaded_napi(const struct bench_sandbox *s)
{
	return bench_sh(
		"ip netns exec %s sh -c 'echo 1 > /sys/class/net/lb0/threaded &&"
		" echo 1 > /sys/class/net/gen0/threaded' &&"
		" for p in $(pgrep -f 'napi/gen0-'); do taskset -pc 0 $p >/dev/null; done &&"
		" for p in $(pgrep -f 'napi/lb0-'); do taskset -pc 1 $p >/dev/null; done",
		s->ns);
}

/* Frames per second a program handled while pktgen sent for `secs`. */
static double measure(const struct bench_opts *o, int prog, const char *mac, double secs)
{
	unsigned long long c0 = run_cnt(prog);
	double t0 = mono_now();

	if (bench_sh(
		    "taskset -c 0 %s --iface gen0 --dst-mac %s --dst 203.0.113.10 --dport 80 --flows 1024 --seconds %.1f >/dev/null",
		    o->pktgen, mac, secs))
		return -1;
	return (run_cnt(prog) - c0) / (mono_now() - t0);
}

int bench_veth(const struct bench_opts *o, cJSON *out)
{
	struct bench_sandbox s = { .home = -1 };
	struct bench_bpf *bn = NULL;
	char mac[32] = "", cfg[160];
	int peer = -1, floor_link = -1, prog = -1, stats_was = 0, wrong = 0;
	double secs = o->quick ? 1 : 3, lb_pps = -1, floor_pps = -1, ratio;
	int rounds = o->quick ? 1 : 3;
	double lb[3], fl[3], q[3];
	FILE *f;

	if (bench_sandbox_up(&s, "v") || !(bn = bench_bpf__open_and_load())) {
		fprintf(stderr, "veth: cannot set up\n");
		wrong++;
		goto out;
	}
	f = fopen("/proc/sys/kernel/bpf_stats_enabled", "r");
	if (f) {
		if (fscanf(f, "%d", &stats_was) != 1)
			stats_was = 0;
		fclose(f);
	}
	bench_sh("sysctl -qw kernel.bpf_stats_enabled=1");
	/* our /sys still shows the host's namespace: ask ip */
	f = popen("ip -br link show lb0 | awk '{print $3}'", "r");
	if (!f || !fgets(mac, sizeof(mac), f))
		wrong++;
	if (f)
		pclose(f);
	mac[strcspn(mac, "\n")] = '\0';
	/* the generator's side drops what comes back (veth XDP_TX needs a program there) */
	peer = attach(bpf_program__fd(bn->progs.floor_drop), "gen0");
	snprintf(cfg, sizeof(cfg), "%s/veth.json", s.tmp);
	f = fopen(cfg, "w");
	if (!f || peer < 0) {
		wrong++;
		goto out;
	}
	fprintf(f,
		"{ \"interface\": \"lb0\", \"next_hop_mac\": \"02:00:00:00:00:01\", \"source_v4\": \"192.0.2.1\","
		" \"vips\": [ { \"name\": \"web\", \"address\": \"203.0.113.10\", \"port\": 80,"
		" \"backends\": [");
	for (int b = 0; b < 10; b++)
		fprintf(f, "%s{ \"name\": \"b%d\", \"address\": \"198.51.100.%d\" }", b ? ", " : "",
			b, b + 1);
	fprintf(f, "] } ] }\n");
	fclose(f);
	/* rounds of LB then floor; the ratio is the median of per-round ratios */
	for (int r = 0; r < rounds; r++) {
		if (bench_sh("%s load --iface lb0 --state-dir %s/sd %s >/dev/null", o->xdplb, s.tmp,
			     cfg) ||
		    (prog = lb_prog(s.bpffs)) < 0 || threaded_napi(&s)) {
			wrong++;
			goto out;
		}
		/* establish the flows, then measure the conntrack-hit path */
		bench_sh(
			"%s --iface gen0 --dst-mac %s --dst 203.0.113.10 --flows 1024 --seconds 0.2 --syn >/dev/null",
			o->pktgen, mac);
		lb[r] = measure(o, prog, mac, secs);
		close(prog);
		prog = -1;
		bench_sh("%s unload --iface lb0 >/dev/null 2>&1", o->xdplb);
		floor_link = attach(bpf_program__fd(bn->progs.floor_macswap), "lb0");
		if (floor_link < 0 || threaded_napi(&s)) {
			wrong++;
			goto out;
		}
		fl[r] = measure(o, bpf_program__fd(bn->progs.floor_macswap), mac, secs);
		close(floor_link);
		floor_link = -1;
		if (lb[r] < 0 || fl[r] <= 0) {
			wrong++;
			goto out;
		}
		q[r] = lb[r] / fl[r];
	}
	lb_pps = median(lb, rounds);
	floor_pps = median(fl, rounds);
	ratio = median(q, rounds);
	printf("\nThroughput on veth, native XDP with threaded NAPI (the LB's thread on core 1), one\n"
	       "AF_PACKET sendmmsg generator on core 0, %.0f s per measure\n",
	       secs);
	printf("  %-34s %12.0f pps\n", "xdplb (conntrack hit, IPIP, XDP_TX)", lb_pps);
	printf("  %-34s %12.0f pps\n", "floor: MAC swap + XDP_TX", floor_pps);
	printf("  %-34s %12.2fx  %s (median of %d rounds)\n", "ratio", ratio,
	       ratio >= 0.9 ? "goal >= 0.9x: met" : "goal >= 0.9x: MISSED", rounds);
	cJSON *j = cJSON_AddObjectToObject(out, "veth");

	cJSON_AddNumberToObject(j, "lb_pps", lb_pps);
	cJSON_AddNumberToObject(j, "floor_pps", floor_pps);
	cJSON_AddNumberToObject(j, "ratio", ratio);
out:
	if (prog >= 0)
		close(prog);
	if (floor_link >= 0)
		close(floor_link);
	if (peer >= 0)
		close(peer);
	if (!stats_was)
		bench_sh("sysctl -qw kernel.bpf_stats_enabled=0");
	bench_bpf__destroy(bn);
	bench_sandbox_down(&s);
	return wrong;
}

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * baseline.c - every LB scenario of the per-packet table for the current
 * program and for another revision's (xdplb-bench --baseline-xdplb PATH;
 * tools/bench --baseline REV builds one), interleaved round by round:
 * current, baseline, floor. For each scenario: the cost above the floor of
 * each program (median of the rounds), and current / baseline, the median
 * of the per-round ratios of (scenario - floor).
 *
 * The baseline is loaded by its own `xdplb load`, with the same config, on
 * a veth of a network namespace of its own and a private bpffs (pins under
 * xdplb/lb0@ns<cookie>, or @ns<inode> for older revisions): lb0 with
 * conntrack_size 4M, lb1 with 64K for the *_64k rows. Its program is taken
 * from its pinned link (bpf_obj_get, the link's info, prog_id,
 * bpf_prog_get_fd_by_id) and run behind the same wrapper as the current
 * one. Its counters are read from its pinned vip_stats and global_stats
 * where their layout is the current one; where it is not, that check is
 * skipped and said. A baseline that takes another path (another action,
 * counters that disagree) is reported and not compared, but is not a
 * failure of the bench: only the current program's behaviour is judged.
 * The namespace, its interfaces, the pins and the bpffs are removed at the
 * end, also on failure (and on SIGINT/SIGTERM, by bench.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "bench.h"
#include "rig.h"

struct base {
	const char *ifname;
	unsigned int ct_size;
	struct lbprog lb;
	bool up;
	const char *note; /* why its counters are not (all) checked */
};

/* An fd of the pin `name` in the interface's pin dir, or -1. */
static int pin_get(const char *bpffs, const char *ifname, const char *name)
{
	char pattern[256], path[512];
	glob_t g;
	int fd = -1;

	snprintf(pattern, sizeof(pattern), "%s/xdplb/%s@ns*", bpffs, ifname);
	if (glob(pattern, 0, NULL, &g) || g.gl_pathc != 1) {
		if (!g.gl_pathc)
			fprintf(stderr, "baseline: no pin dir %s\n", pattern);
		globfree(&g);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s", g.gl_pathv[0], name);
	globfree(&g);
	fd = bpf_obj_get(path);
	if (fd < 0 && strcmp(name, "link"))
		fprintf(stderr, "baseline: %s: %s\n", path, strerror(errno));
	return fd;
}

/* The program behind the interface's pinned link. */
static int base_prog(const char *bpffs, const char *ifname)
{
	struct bpf_link_info li = {};
	__u32 len = sizeof(li);
	int link = pin_get(bpffs, ifname, "link"), prog = -1;

	if (link < 0) {
		fprintf(stderr, "baseline: no pinned link for %s\n", ifname);
		return -1;
	}
	if (!bpf_obj_get_info_by_fd(link, &li, &len))
		prog = bpf_prog_get_fd_by_id(li.prog_id);
	if (prog < 0)
		fprintf(stderr, "baseline: the program of %s's link: %s\n", ifname,
			strerror(errno));
	close(link);
	return prog;
}

/* The baseline's counters, where their layout is ours. */
static void base_counters(const char *bpffs, struct base *b, const struct rig *r)
{
	struct bpf_map_info mi = {};
	__u32 len = sizeof(mi);
	int fd;

	b->lb.vip_stats = b->lb.global_stats = -1;
	b->lb.global_max = 0;
	fd = pin_get(bpffs, b->ifname, "vip_stats");
	if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &mi, &len) &&
	    mi.type == BPF_MAP_TYPE_PERCPU_ARRAY &&
	    mi.value_size == sizeof(struct xdplb_vip_stats) && mi.max_entries >= r->c.cfg.n_vips) {
		b->lb.vip_stats = fd;
	} else {
		b->note = "its vip_stats is not of this layout: VIP counters not checked";
		if (fd >= 0)
			close(fd);
	}
	memset(&mi, 0, sizeof(mi));
	len = sizeof(mi);
	fd = pin_get(bpffs, b->ifname, "global_stats");
	if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &mi, &len) &&
	    mi.type == BPF_MAP_TYPE_PERCPU_ARRAY && mi.value_size == sizeof(__u64) &&
	    mi.max_entries >= XDPLB_ACTION_MAX) {
		b->lb.global_stats = fd;
		/* XDP actions are numbered by the kernel; drop reasons may be
		 * numbered otherwise in another revision */
		b->lb.global_max = XDPLB_ACTION_MAX;
	} else {
		b->note = "its global_stats is not of this layout: global counters not checked";
		if (fd >= 0)
			close(fd);
	}
}

/* The baseline's `xdplb load` of the rig's config (the whole one, or
 * without the keys newer than the baseline: old); 0 when it took it. */
static int base_load(const struct bench_opts *o, const struct bench_sandbox *s,
		     const struct base *b, bool old, char *path, size_t len)
{
	char cfg[8192];
	FILE *f;

	if (old)
		rig_config_baseline(cfg, sizeof(cfg), b->ifname, b->ct_size);
	else
		rig_config(cfg, sizeof(cfg), b->ifname, b->ct_size);
	snprintf(path, len, "%s/%s%s.json", s->tmp, b->ifname, old ? "-old" : "");
	f = fopen(path, "w");
	if (!f || fputs(cfg, f) < 0) {
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	return bench_sh("%s load --iface %s --state-dir %s/sd-%s %s >/dev/null 2>&1", o->baseline,
			b->ifname, s->tmp, b->ifname, path);
}

static int base_up(const struct bench_opts *o, const struct bench_sandbox *s, struct base *b,
		   const struct rig *r)
{
	char path[160];

	/* a baseline that knows every key of the rig's config runs as the
	 * rig does (icmp_rate, so that too-big rows are answered every time) */
	if (base_load(o, s, b, false, path, sizeof(path)) &&
	    base_load(o, s, b, true, path, sizeof(path))) {
		fprintf(stderr, "baseline: `%s load` of %s failed\n", o->baseline, path);
		return -1;
	}
	b->up = true;
	b->lb.prog = base_prog(s->bpffs, b->ifname);
	if (b->lb.prog < 0)
		return -1;
	base_counters(s->bpffs, b, r);
	return 0;
}

static void base_down(const struct bench_opts *o, struct base *b)
{
	if (b->lb.prog >= 0)
		close(b->lb.prog);
	if (b->lb.vip_stats >= 0)
		close(b->lb.vip_stats);
	if (b->lb.global_stats >= 0)
		close(b->lb.global_stats);
	b->lb.prog = b->lb.vip_stats = b->lb.global_stats = -1;
	if (b->up)
		bench_sh("%s unload --iface %s >/dev/null 2>&1", o->baseline, b->ifname);
	b->up = false;
}

/* The counter of s for one program before/after; *ok false when it shows
 * another path. Returns whether it could be checked. */
static bool grew(const struct rig *r, const struct scenario *s, const struct lbprog *lb,
		 __u64 before, __u64 want, bool *ok)
{
	bool checked;
	__u64 after = scen_counter(r, s, lb, &checked);

	if (checked && after - before != want)
		*ok = false;
	return checked;
}

/* A drop scenario's reason slot in a baseline, numbered as this revision
 * numbers it (0 when it has none). A baseline from 2026-12-03 on counts a
 * drop by its reason alone and leaves XDP_DROP's slot (xdplb_global_fold());
 * one from before counted the action as well. */
static __u64 base_reason(const struct scenario *s, const struct lbprog *lb)
{
	__u64 v = 0;

	if (s->action != XDP_DROP || s->counter < 0 || lb->global_stats < 0 ||
	    maps_sum_percpu(lb->global_stats, (__u32)s->counter, &v, 1))
		return 0;
	return v;
}

int bench_baseline(const struct bench_opts *o, cJSON *out)
{
	struct bench_sandbox sb = { .home = -1 };
	struct base bases[2] = { { .ifname = "lb0", .ct_size = CT_4M, .lb = { -1, -1, -1, 0 } },
				 { .ifname = "lb1", .ct_size = CT_64K, .lb = { -1, -1, -1, 0 } } };
	struct rig r4 = { 0 }, r64 = { 0 };
	cJSON *j = cJSON_AddObjectToObject(out, "baseline"), *arr;
	int wrong = 0, cpu = -1;
	char mac[32];
	cpu_set_t old;
	size_t n;
	const struct scenario *all = scen_all(&n);
	/* per round: each program's ns above the floor, and their ratio */
	double *rdc = calloc((size_t)o->rounds, sizeof(double));
	double *rdb = calloc((size_t)o->rounds, sizeof(double));
	double *rq = calloc((size_t)o->rounds, sizeof(double));

	cJSON_AddStringToObject(j, "xdplb", o->baseline);
	arr = cJSON_AddArrayToObject(j, "packets");
	if (access(o->baseline, X_OK) || !rdc || !rdb || !rq) {
		fprintf(stderr, "baseline: %s: %s\n", o->baseline,
			strerror(rdc && rdb && rq ? errno : ENOMEM));
		free(rdc);
		free(rdb);
		free(rq);
		return 1;
	}
	/* the LB's interfaces get the MAC the scenarios' frames are sent to:
	 * a data path that passes frames for another MAC sees them as its own */
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", LB_MAC[0], LB_MAC[1], LB_MAC[2],
		 LB_MAC[3], LB_MAC[4], LB_MAC[5]);
	/* IPv6 off on the four ends: the baseline is attached to lb0 and lb1,
	 * and router solicitations and MLD reports from gen0 and gen1 made its
	 * XDP_PASS count grow by a few more than the scenario sent (`pass`
	 * read "its counters show another path" in runs of 20 s and more) */
	if (bench_sandbox_up(&sb, "b") ||
	    bench_sh("ip -n %s link add gen1 type veth peer name lb1 && ip -n %s link set gen1 up && ip -n %s link set lb1 up"
		     " && ip -n %s link set lb0 address %s && ip -n %s link set lb1 address %s"
		     " && for i in gen0 lb0 gen1 lb1; do echo 1 >/proc/sys/net/ipv6/conf/$i/disable_ipv6; done",
		     sb.ns, sb.ns, sb.ns, sb.ns, mac, sb.ns, mac)) {
		fprintf(stderr, "baseline: cannot set up a namespace\n");
		wrong++;
		goto out;
	}
	r4.fine_clock = r64.fine_clock = true;
	if (rig_open(&r4, CT_4M) || rig_open(&r64, CT_64K)) {
		fprintf(stderr, "baseline: cannot set up the current LB\n");
		wrong++;
		goto out;
	}
	if (base_up(o, &sb, &bases[0], &r4) || base_up(o, &sb, &bases[1], &r64)) {
		fprintf(stderr, "baseline: cannot load the baseline %s\n", o->baseline);
		wrong++;
		goto out;
	}
	cJSON_AddStringToObject(j, "namespace", sb.ns); /* gone at the end: the smoke test checks */
	cpu = bench_pin(-1, &old);
	printf("\nCurrent against the baseline %s, every LB scenario, interleaved round by round\n"
	       "(current and baseline, first in turn, then the floor), repeat %lu, %d rounds, on CPU %d; ns above the floor\n"
	       "(median; the wrapper's fine clock, in fractions of a ns), and current / baseline (median of the per-round ratios of scenario - floor, and its\n"
	       "95%% confidence interval: two builds of one revision read 0.94-1.07x in single runs of 41 rounds\n"
	       "on this VM, so a 3%% difference needs the interval, and hundreds of rounds)\n",
	       o->baseline, o->repeat, o->rounds, cpu);
	for (int i = 0; i < 2; i++)
		if (bases[i].note)
			printf("  note: the baseline on %s (conntrack %u): %s\n", bases[i].ifname,
			       bases[i].ct_size, bases[i].note);
	printf("  %-18s %-14s %10s %10s %9s %11s\n", "scenario", "floor", "current", "baseline",
	       "cur/base", "95% CI");
	for (size_t i = 0; i < n; i++) {
		const struct scenario *s = &all[i];
		const struct scenario *fs = s->floor ? scen_by_name(s->floor) : NULL;
		bool small = s->ct_size == CT_64K;
		struct rig *r = small ? &r64 : &r4;
		struct base *b = &bases[small];
		struct lbprog cur = rig_lb(r);
		double *dc = rdc, *db = rdb, *q = rq, tc, tb, tf;
		__u64 bc, bb, br, want = (__u64)o->rounds * o->repeat;
		bool ok = true, counted = true, bok = true, checked, bchecked, by_reason = false;
		struct armed ac, ab, af;
		const char *bnote = NULL;
		int nq = 0;

		if (s->target != T_LB || !fs || !bench_wanted(o, s->name))
			continue;
		scen_prepare(r, s, &cur, &ac);
		scen_prepare(r, s, &b->lb, &ab);
		scen_prepare(r, fs, &cur, &af);
		if (s->warm) {
			ok = !scen_warm(r, s, &cur);
			bok = !scen_warm(r, s, &b->lb);
			if (!bok)
				bnote = "its warm-up took another action";
		}
		bc = scen_counter(r, s, &cur, &checked);
		bb = scen_counter(r, s, &b->lb, &bchecked);
		br = base_reason(s, &b->lb);
		for (int k = 0; k < o->rounds && ok; k++) {
			/* the two programs take turns at going first: with the
			 * same program on both sides a fixed order read 15 ns
			 * against 8 for `pass` */
			if (k & 1) {
				tb = bok ? scen_run(r, &ab, o->repeat) : 0;
				tc = scen_run(r, &ac, o->repeat);
			} else {
				tc = scen_run(r, &ac, o->repeat);
				tb = bok ? scen_run(r, &ab, o->repeat) : 0;
			}
			tf = scen_run(r, &af, o->repeat);
			ok = tc >= 0 && tf > 0;
			if (bok && tb < 0) {
				bok = false;
				bnote = "another action";
			}
			dc[k] = tc - tf;
			db[k] = tb - tf;
			if (bok && db[k] > 0)
				q[nq++] = dc[k] / db[k];
		}
		/* a wrong action fails the row; counters that disagree fail it
		 * unless --no-check (variants of the program) */
		if (ok && !grew(r, s, &cur, bc, want, &counted))
			counted = false; /* the current program's counters are always ours */
		if (ok && !counted) {
			fprintf(stderr, "%s: the current program's counters show another path%s\n",
				s->name, o->no_check ? " (--no-check: reported anyway)" : "");
			ok = o->no_check;
		}
		if (!ok) {
			printf("  %-18s FAILED\n", s->name);
			wrong++;
			continue;
		}
		bchecked = false;
		if (bok) {
			bool good = true;

			bchecked = grew(r, s, &b->lb, bb, want, &good);
			if (!good && scen_counter(r, s, &b->lb, &checked) == bb &&
			    base_reason(s, &b->lb) - br == want)
				good = by_reason = true; /* its drops counted by reason alone */
			if (!good && !o->no_check) {
				bok = false;
				bnote = "its counters show another path";
			}
		}
		double mc = median(dc, o->rounds);

		cJSON *e = cJSON_CreateObject();

		cJSON_AddStringToObject(e, "scenario", s->name);
		cJSON_AddStringToObject(e, "floor", s->floor);
		cJSON_AddNumberToObject(e, "current_ns_above_floor", mc);
		cJSON_AddBoolToObject(e, "baseline_checked", bchecked);
		if (!bok) {
			printf("  %-18s %-14s %10.1f %10s %9s baseline not compared: %s\n", s->name,
			       s->floor, mc, "-", "-", bnote);
			cJSON_AddStringToObject(e, "baseline_not_compared", bnote);
		} else {
			double mb = median(db, o->rounds), ratio = nq ? median(q, nq) : 0;
			double lo = 0, hi = 0;
			char rs[16] = "n/a", ci[24] = "";

			if (nq) {
				median_ci(q, nq, &lo, &hi);
				snprintf(rs, sizeof(rs), "%.2fx", ratio);
				snprintf(ci, sizeof(ci), "%.2f-%.2f", lo, hi);
			}
			printf("  %-18s %-14s %10.1f %10.1f %9s %11s%s\n", s->name, s->floor, mc,
			       mb, rs, ci,
			       !bchecked ? "  (baseline's counters not checked)" :
			       by_reason ? "  (baseline: its reason counted, as numbered here)" :
			       !s->vip && (__u32)s->counter >= b->lb.global_max ?
					   "  (baseline: its action counted, not the reason)" :
					   "");
			cJSON_AddNumberToObject(e, "baseline_ns_above_floor", mb);
			if (nq) {
				cJSON_AddNumberToObject(e, "ratio", ratio);
				cJSON_AddNumberToObject(e, "ratio_ci95_low", lo);
				cJSON_AddNumberToObject(e, "ratio_ci95_high", hi);
			}
		}
		cJSON_AddItemToArray(arr, e);
	}
out:
	if (cpu >= 0)
		bench_unpin(&old);
	for (int i = 0; i < 2; i++)
		base_down(o, &bases[i]);
	rig_close(&r4);
	rig_close(&r64);
	bench_sandbox_down(&sb);
	free(rdc);
	free(rdb);
	free(rq);
	return wrong;
}

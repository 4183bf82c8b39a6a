// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * stats_cmd.c - `xdplb stats [--iface IF] [--watch SEC [--count N]] [--json]`.
 * Reads the live state with status.c (the same read as `status`), and
 * hands one read (totals) or two consecutive reads (rates) to stats.c.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bpffs.h"
#include "cli.h"
#include "log.h"
#include "render.h"
#include "status.h"
#include "maps.h"
#include "stats.h"
#include "mono.h"

#define MAX_IFACES 64

struct stats_opts {
	const char *iface;
	double watch; /* seconds between reads; 0: totals once */
	unsigned long long count; /* reads after the first; 0: until interrupted */
};

/* Table slots of the backends of prev, carried over to s: the tables are
 * the same while the generation is (a load is the only writer). */
static bool carry_slots(const struct lb_live *prev, struct lb_live *s)
{
	if (!prev || live_g(prev)->generation != live_g(s)->generation ||
	    live_active(prev) != live_active(s))
		return false;
	for (__u32 v = 0; v < s->n_vips; v++) {
		const struct st_vip *pv = v < prev->n_vips && prev->vips[v].id == s->vips[v].id ?
						  &prev->vips[v] :
						  NULL;

		for (__u32 b = 0; b < s->vips[v].n_be; b++) {
			if (!pv || b >= pv->n_be || pv->be[b].id != s->vips[v].be[b].id)
				return false;
			s->vips[v].be[b].slots = pv->be[b].slots;
		}
	}
	return true;
}

/*
 * The live state, as `status` reads it. Reading the tables to count slots
 * is most of the cost (a 1,000 VIP x 65,537 slot config: seconds), so a
 * watch reads them only when the generation changed since prev.
 */
static int read_live(const char *ifname, const struct lb_live *prev, struct lb_live *s)
{
	struct lb_maps m;
	int err = 0;

	if (!prev) {
		err = status_read(ifname, LIVE_STATUS, s);
		goto out;
	}
	memset(s, 0, sizeof(*s));
	snprintf(s->ifname, sizeof(s->ifname), "%s", ifname);
	err = pin_dir(ifname, 0, s->pin_dir, sizeof(s->pin_dir));
	if (!err)
		err = maps_open_pinned(s->pin_dir, &m);
	if (err)
		goto out;
	/* flows: a draining backend's progress (a bounded read, flows.h) */
	err = status_read_maps(&m, LIVE_COUNTERS | LIVE_FLOWS, s);
	if (!err && !carry_slots(prev, s))
		err = status_count_slots(&m, s);
	maps_close(&m);
out:
	if (err == -ENOENT)
		pr_warn("%s: xdplb is not loaded\n", ifname);
	else if (err)
		pr_warn("%s: reading the live state: %s\n", ifname, strerror(-err));
	return err;
}

static void sleep_until(double t)
{
	double d = t - mono_now();
	struct timespec ts;

	if (d <= 0)
		return;
	ts.tv_sec = (time_t)d;
	ts.tv_nsec = (long)((d - floor(d)) * 1e9);
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int show(const struct lb_live *prev, const struct lb_live *cur, double secs,
		const struct stats_opts *o, bool tty)
{
	struct stats s;

	if (stats_compute(prev, cur, secs, &s)) {
		pr_warn("stats: out of memory\n");
		return -ENOMEM;
	}
	if (cli_json()) {
		cJSON *j = stats_json(cur, &s);

		/* one object per line when watching: a stream of JSON lines */
		if (o->watch)
			print_json_line(j);
		else
			print_json(j);
	} else {
		if (tty && prev)
			printf("\033[H\033[2J"); /* a live view in place, like top */
		stats_print(stdout, cur, &s);
	}
	fflush(stdout);
	stats_free(&s);
	return 0;
}

/* Rates: read, wait, read again, print the difference; count times. */
static int watch(const char *ifname, const struct stats_opts *o)
{
	struct lb_live prev, cur;
	bool tty = isatty(STDOUT_FILENO);
	double t_prev, start;
	int err = read_live(ifname, NULL, &prev);

	if (err)
		return err;
	start = t_prev = mono_now();
	for (unsigned long i = 1; !o->count || i <= o->count; i++) {
		double t;

		/* on a fixed grid, so that slow reads do not stretch the interval */
		sleep_until(start + (double)i * o->watch);
		err = read_live(ifname, &prev, &cur);
		if (err)
			break;
		t = mono_now();
		err = show(&prev, &cur, t - t_prev, o, tty);
		live_free(&prev);
		prev = cur;
		t_prev = t;
		if (err)
			break;
	}
	live_free(&prev);
	return err;
}

static int run_stats(void *args, int argc, char **argv)
{
	const struct stats_opts *o = args;
	char ifname[IF_NAMESIZE];
	struct lb_live s;
	int err;

	if (o->count && !o->watch) {
		pr_warn("xdplb stats: --count only means something with --watch\n");
		return -1;
	}
	if (cli_pick_iface(o->iface ? o->iface : argc ? argv[0] : NULL, ifname))
		return EXIT_INVALID;
	if (o->watch > 0) {
		err = watch(ifname, o);
	} else {
		err = read_live(ifname, NULL, &s);
		if (!err) {
			err = show(NULL, &s, 0, o, false);
			live_free(&s);
		}
	}
	return !err ? EXIT_OK : err == -ENOENT ? EXIT_INVALID : EXIT_SYSTEM;
}

static const struct cli_opt stats_opts[] = {
	OPT_IFACE_READ(struct stats_opts, iface),
	OPT("watch", 'w', OPT_NUM, "SEC", "rates every SEC seconds (0.1 to 3600) instead of totals",
	    offsetof(struct stats_opts, watch), .min = 0.1, .max = 3600),
	OPT("count", 'c', OPT_UINT, "N",
	    "with --watch: stop after N reads (default: until interrupted)",
	    offsetof(struct stats_opts, count), .min = 1, .max = 1000000000),
	OPT_END,
};

const struct cli_cmd cmd_stats = {
	.name = "stats",
	.args = "[IF]",
	.max_args = 1,
	.summary = "where traffic goes, next to where the weights say it should",
	.description =
		"Per VIP and backend: packets, bytes, new flows, drops, conntrack hits, and each\n"
		"backend's share of new flows next to its weight share and table share, with a\n"
		"bar and SKEW flagged by the exporter's imbalance rule. Without --watch: totals\n"
		"since the counters were created; with --watch SEC: the difference between two\n"
		"reads as rates (on a terminal, redrawn in place; --json: one object per line).\n"
		"Exit 0; 1 when xdplb is not loaded; 3 system error.\n",
	.opts = stats_opts,
	.args_size = sizeof(struct stats_opts),
	.run = run_stats,
};

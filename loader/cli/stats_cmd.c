// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * stats_cmd.c - `xdplb stats [--iface IF] [--watch SEC [--count N]] [--json]`.
 * Reads the live state with status.c (the same read as `status`), and
 * hands one read (totals) or two consecutive reads (rates) to stats.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bpffs.h"
#include "commands.h"
#include "render.h"
#include "status.h"
#include "maps.h"
#include "stats.h"

#define MAX_IFACES 64

struct stats_opts {
	const char *iface;
	double watch; /* seconds between reads; 0: totals once */
	unsigned long count; /* reads after the first; 0: until interrupted */
	bool json;
};

static int parse(int argc, char **argv, struct stats_opts *o)
{
	static const struct option lo[] = { { "iface", required_argument, NULL, 'i' },
					    { "watch", required_argument, NULL, 'w' },
					    { "count", required_argument, NULL, 'c' },
					    { "json", no_argument, NULL, 'j' },
					    { "help", no_argument, NULL, 'h' },
					    { 0 } };
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	o->json = cli_json();
	optind = 1;
	while ((c = getopt_long(argc, argv, "i:w:c:jh", lo, NULL)) != -1) {
		switch (c) {
		case 'i':
			o->iface = optarg;
			break;
		case 'w':
			o->watch = strtod(optarg, &end);
			if (*end || !(o->watch >= 0.1) || o->watch > 3600)
				return -1;
			break;
		case 'c':
			o->count = strtoul(optarg, &end, 10);
			if (*end || !o->count || o->count > 1000000000UL)
				return -1;
			break;
		case 'j':
			o->json = true;
			break;
		default:
			return -1;
		}
	}
	if (o->count && !o->watch)
		return -1; /* --count only means something with --watch */
	return optind == argc ? 0 : -1;
}

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
	err = status_read_maps(&m, LIVE_COUNTERS, s);
	if (!err && !carry_slots(prev, s))
		err = status_count_slots(&m, s);
	maps_close(&m);
out:
	if (err == -ENOENT)
		fprintf(stderr, "%s: xdplb is not loaded\n", ifname);
	else if (err)
		fprintf(stderr, "%s: reading the live state: %s\n", ifname, strerror(-err));
	return err;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void sleep_until(double t)
{
	double d = t - now_s();
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
		fprintf(stderr, "stats: out of memory\n");
		return -ENOMEM;
	}
	if (o->json) {
		cJSON *j = stats_json(cur, &s);
		/* one object per line when watching: a stream of JSON lines */
		char *txt = o->watch ? cJSON_PrintUnformatted(j) : cJSON_Print(j);

		if (txt)
			printf("%s\n", txt);
		free(txt);
		cJSON_Delete(j);
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
	start = t_prev = now_s();
	for (unsigned long i = 1; !o->count || i <= o->count; i++) {
		double t;

		/* on a fixed grid, so that slow reads do not stretch the interval */
		sleep_until(start + (double)i * o->watch);
		err = read_live(ifname, &prev, &cur);
		if (err)
			break;
		t = now_s();
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

int do_stats(int argc, char **argv)
{
	char ifname[IF_NAMESIZE];
	struct stats_opts o;
	struct lb_live s;
	int err;

	if (parse(argc, argv, &o))
		return -2;
	if (cli_pick_iface(o.iface, ifname))
		return 1;
	if (o.watch > 0) {
		err = watch(ifname, &o);
	} else {
		err = read_live(ifname, NULL, &s);
		if (!err) {
			err = show(NULL, &s, 0, &o, false);
			live_free(&s);
		}
	}
	return !err ? 0 : err == -ENOENT ? 1 : 3;
}

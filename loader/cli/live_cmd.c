// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * live_cmd.c - the commands that change or read a live LB: load (with --verify),
 * status, unload, history, rollback, audit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "cli.h"
#include "render.h"
#include "load.h"
#include "sha256.h"
#include "status.h"
#include "verify.h"

static void print_loaded(const struct checked *c, const struct load_result *r)
{
	char dg[80];

	if (cli_json()) {
		cJSON *j = cJSON_CreateObject();

		cJSON_AddStringToObject(j, "interface", c->cfg.interface);
		cJSON_AddBoolToObject(j, "created", r->created);
		cJSON_AddBoolToObject(j, "program_replaced", r->prog_replaced);
		cJSON_AddNumberToObject(j, "prog_id", r->prog_id);
		cJSON_AddNumberToObject(j, "link_id", r->link_id);
		cJSON_AddNumberToObject(j, "generation", r->generation);
		cJSON_AddNumberToObject(j, "history_entry", r->history_seq);
		cJSON_AddStringToObject(j, "config_digest", digest_str(c->cfg.digest, dg));
		cJSON_AddStringToObject(j, "pin_dir", r->pin_dir);
		print_json(j);
		return;
	}
	printf("%s: %s generation %u (%s mode, prog %u, link %u%s), %s, history entry %u; %u new VIP id%s, %u new backend id%s\n",
	       c->cfg.interface, r->created ? "attached," : "updated to", r->generation,
	       c->cfg.mode == XDPLB_MODE_GENERIC ? "generic" : "native", r->prog_id, r->link_id,
	       r->prog_replaced ? ", program replaced" : "", digest_str(c->cfg.digest, dg),
	       r->history_seq, r->new_vips, r->new_vips == 1 ? "" : "s", r->new_backends,
	       r->new_backends == 1 ? "" : "s");
}

/* --verify: watch real traffic; roll back when it breaks the guards. */
static int verify_after_load(const struct checked *c, const struct opts *o,
			     const struct load_result *r)
{
	struct verify_result v;
	struct load_result rr;
	unsigned int seq = 0;
	int err;

	fprintf(stderr, "%s: verifying new flows for %.1f s\n", c->cfg.interface, o->verify);
	err = verify_watch(c->cfg.interface, c, o->verify, &v);
	if (err) {
		fprintf(stderr, "%s: reading the counters: %s\n", c->cfg.interface, strerror(-err));
		return EXIT_SYSTEM;
	}
	if (!v.failed) {
		if (v.flows < VERIFY_MIN_FLOWS)
			fprintf(stderr,
				"%s: only %llu new flows in %.1f s: nothing to verify, keeping the new config\n",
				c->cfg.interface, v.flows, v.seconds);
		else
			fprintf(stderr,
				"%s: verified: %llu new flows in %.1f s within the guards\n",
				c->cfg.interface, v.flows, v.seconds);
		return EXIT_OK;
	}
	fprintf(stderr, "%s: VERIFY FAILED after %.1f s:\n%s", c->cfg.interface, v.seconds,
		v.report);
	if (r->created) {
		fprintf(stderr, "%s: no earlier config: unloading\n", c->cfg.interface);
		err = lb_unload(c->cfg.interface);
		return err ? EXIT_SYSTEM : EXIT_INVALID;
	}
	err = lb_rollback(c->cfg.interface, o->state_dir, 0, o->mode, &rr, &seq);
	if (err) {
		fprintf(stderr, "%s: ROLLBACK FAILED: %s\n", c->cfg.interface, strerror(-err));
		return EXIT_SYSTEM;
	}
	fprintf(stderr, "%s: rolled back to history entry %u (generation %u)\n", c->cfg.interface,
		seq, rr.generation);
	return EXIT_INVALID;
}

int do_load(int argc, char **argv)
{
	struct load_result r;
	struct checked c;
	struct opts o;
	char *text;
	size_t len;
	int err;

	if (parse_opts(argc, argv, "imjfsV", &o) || optind != argc - 1)
		return -EXIT_USAGE;
	err = check_text(argv[optind], &o, &c, &text, &len);
	if (err)
		return exit_code(err);
	char src[PATH_MAX];
	struct load_opts lo = { .text = text,
				.len = len,
				.state_dir = o.state_dir,
				.force = o.force,
				.note = o.force ? "forced" : NULL,
				.source = realpath(argv[optind], src) ? src : argv[optind] };

	err = lb_load(&c, &lo, &r);
	if (!err) {
		print_loaded(&c, &r);
		if (o.verify > 0) {
			fflush(stdout);
			int ret = verify_after_load(&c, &o, &r);

			checked_free(&c);
			free(text);
			return ret;
		}
	}
	checked_free(&c);
	free(text);
	return exit_code(err);
}

int do_status(int argc, char **argv)
{
	char ifname[IF_NAMESIZE];
	struct lb_live s;
	struct opts o;
	int err;

	if (parse_opts(argc, argv, "ij", &o) || argc - optind > 1)
		return -EXIT_USAGE;
	if (pick_iface(&o, argc, argv, ifname))
		return EXIT_INVALID;
	err = status_read(ifname, LIVE_STATUS, &s);
	if (err == -ENOENT) {
		fprintf(stderr, "%s: xdplb is not loaded\n", ifname);
		return EXIT_INVALID;
	}
	if (err) {
		fprintf(stderr, "%s: reading the live state: %s\n", ifname, strerror(-err));
		return EXIT_SYSTEM;
	}
	status_print(&s, cli_json());
	live_free(&s);
	return EXIT_OK;
}

int do_unload(int argc, char **argv)
{
	char ifname[IF_NAMESIZE];
	struct opts o;
	int err;

	if (parse_opts(argc, argv, "i", &o) || argc - optind > 1)
		return -EXIT_USAGE;
	if (!o.iface && optind == argc) {
		fprintf(stderr, "unload: name the interface (--iface IF)\n");
		return -EXIT_USAGE;
	}
	snprintf(ifname, sizeof(ifname), "%s", o.iface ? o.iface : argv[optind]);
	err = lb_unload(ifname);
	if (!err)
		fprintf(stderr, "%s: unloaded\n", ifname);
	return exit_code(err);
}

int do_history(int argc, char **argv)
{
	char ifname[IF_NAMESIZE], dir[512], dg[80] = "", ts[32];
	__u8 live_digest[32] = { 0 };
	bool loaded = false;
	struct lb_live st;
	struct history h;
	struct opts o;
	cJSON *arr = NULL;
	__u32 live_gen = 0;

	if (parse_opts(argc, argv, "isj", &o) || argc - optind > 1)
		return -EXIT_USAGE;
	if (pick_iface(&o, argc, argv, ifname))
		return EXIT_INVALID;
	state_dir_of(&o, ifname, dir, sizeof(dir));
	if (!status_read(ifname, 0, &st)) {
		digest_str(live_g(&st)->digest, dg);
		memcpy(live_digest, live_g(&st)->digest, sizeof(live_digest));
		live_gen = live_g(&st)->generation;
		loaded = true;
		live_free(&st);
	}
	if (history_open(dir, &h))
		return EXIT_SYSTEM;
	/* a load killed half-way leaves a pending entry: settle it by what is live */
	if (loaded && history_resolve(&h, live_gen, live_digest)) {
		history_free(&h);
		return EXIT_SYSTEM;
	}
	if (cli_json())
		arr = cJSON_CreateArray();
	else if (!h.n)
		printf("%s: no history in %s\n", ifname, dir);
	for (size_t i = h.n; i > 0; i--) {
		const struct hist_entry *e = &h.e[i - 1];
		bool live = !e->pending && e->generation == live_gen && !strcmp(e->digest, dg);
		time_t t = (time_t)e->time;
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		if (arr) {
			cJSON *j = cJSON_CreateObject();

			cJSON_AddNumberToObject(j, "entry", e->seq);
			cJSON_AddStringToObject(j, "time", ts);
			cJSON_AddStringToObject(j, "user", e->user);
			cJSON_AddNumberToObject(j, "generation", e->generation);
			cJSON_AddStringToObject(j, "digest", e->digest);
			cJSON_AddStringToObject(j, "source", e->source);
			cJSON_AddStringToObject(j, "note", e->note);
			cJSON_AddBoolToObject(j, "live", live);
			cJSON_AddBoolToObject(j, "pending", e->pending);
			cJSON_AddItemToArray(arr, j);
			continue;
		}
		printf("%c %4u  %s  %-10s gen %-4u %.19s  %s%s%s\n", live ? '*' : ' ', e->seq, ts,
		       e->user, e->generation, e->digest, e->source, e->note[0] ? "  # " : "",
		       e->note);
	}
	if (arr)
		print_json(arr);
	history_free(&h);
	return EXIT_OK;
}

int do_rollback(int argc, char **argv)
{
	char ifname[IF_NAMESIZE];
	struct load_result r;
	unsigned int seq = 0;
	struct opts o;
	int err;

	if (parse_opts(argc, argv, "istmj", &o) || argc - optind > 1)
		return -EXIT_USAGE;
	if (pick_iface(&o, argc, argv, ifname))
		return EXIT_INVALID;
	err = lb_rollback(ifname, o.state_dir, o.to, o.mode, &r, &seq);
	if (!err)
		printf("%s: rolled back to history entry %u: generation %u, history entry %u\n",
		       ifname, seq, r.generation, r.history_seq);
	return exit_code(err);
}

int do_audit(int argc, char **argv)
{
	struct checked want;
	struct audit a;
	struct opts o;
	int err, ret;

	if (parse_opts(argc, argv, "ij", &o) || optind != argc - 1)
		return -EXIT_USAGE;
	err = check(argv[optind], &o, &want);
	if (err)
		return exit_code(err);
	err = audit_run(want.cfg.interface, &want, &a);
	if (err) {
		fprintf(stderr, "%s: reading the live state: %s\n", want.cfg.interface,
			strerror(-err));
		checked_free(&want);
		return EXIT_SYSTEM;
	}
	if (cli_json())
		print_json(audit_json(&a, want.cfg.interface));
	else
		audit_print(&a, want.cfg.interface, stdout);
	ret = a.n ? EXIT_INVALID : EXIT_OK;
	audit_free(&a);
	checked_free(&want);
	return ret;
}

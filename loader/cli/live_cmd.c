// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * live_cmd.c - the commands that change or read a live LB: load (with --verify),
 * status, unload, history, rollback, audit.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "cli.h"
#include "history.h"
#include "overrides.h"
#include "render.h"
#include "load.h"
#include "log.h"
#include "sha256.h"
#include "status.h"
#include "verify.h"

/* What --verify saw, for the load's result. */
struct verify_outcome {
	bool ran, failed, unloaded;
	struct verify_result v;
	unsigned int rolled_back_to; /* history entry, 0: none */
	__u32 generation; /* after the rollback */
};

struct load_args {
	struct cfg_args cfg;
	double verify; /* seconds; 0: no verification */
	const char *state_dir;
	bool no_history;
};

/* --verify: watch real traffic; roll back when it breaks the guards.
 * Returns the exit code. */
static int verify_after_load(const struct checked *c, const struct load_args *o,
			     const struct load_result *r, struct verify_outcome *out)
{
	struct verify_result *v = &out->v;
	struct load_result rr;
	unsigned int seq = 0;
	int err;

	out->ran = true;
	pr_info("%s: verifying new flows for %.1f s\n", c->cfg.interface, o->verify);
	err = verify_watch(c->cfg.interface, c, o->verify, v);
	if (err) {
		pr_err("%s: reading the counters: %s\n", c->cfg.interface, strerror(-err));
		return EXIT_SYSTEM;
	}
	if (!v->failed) {
		if (v->flows < VERIFY_MIN_FLOWS)
			fprintf(stderr,
				"%s: only %llu new flows in %.1f s: nothing to verify, keeping the new config\n",
				c->cfg.interface, v->flows, v->seconds);
		else
			fprintf(stderr,
				"%s: verified: %llu new flows in %.1f s within the guards\n",
				c->cfg.interface, v->flows, v->seconds);
		return EXIT_OK;
	}
	out->failed = true;
	pr_err("%s: VERIFY FAILED after %.1f s:\n%s", c->cfg.interface, v->seconds, v->report);
	if (r->created) {
		pr_warn("%s: no earlier config: unloading\n", c->cfg.interface);
		err = lb_unload(c->cfg.interface);
		out->unloaded = !err;
		return err ? EXIT_SYSTEM : EXIT_INVALID;
	}
	err = lb_rollback(c->cfg.interface, o->state_dir, 0, o->cfg.mode, o->no_history, &rr, &seq);
	if (err) {
		pr_err("%s: ROLLBACK FAILED: %s\n", c->cfg.interface, strerror(-err));
		return EXIT_SYSTEM;
	}
	out->rolled_back_to = seq;
	out->generation = rr.generation;
	pr_warn("%s: rolled back to history entry %u (generation %u)\n", c->cfg.interface, seq,
		rr.generation);
	return EXIT_INVALID;
}

static void print_loaded(const struct checked *c, const struct load_result *r,
			 const struct verify_outcome *vo)
{
	char dg[80], entry[64];

	if (cli_json()) {
		cJSON *j = cJSON_CreateObject(), *v;

		cJSON_AddStringToObject(j, "interface", c->cfg.interface);
		cJSON_AddBoolToObject(j, "created", r->created);
		cJSON_AddBoolToObject(j, "unchanged", r->unchanged);
		cJSON_AddBoolToObject(j, "program_replaced", r->prog_replaced);
		cJSON_AddNumberToObject(j, "prog_id", r->prog_id);
		cJSON_AddNumberToObject(j, "link_id", r->link_id);
		cJSON_AddNumberToObject(j, "generation", r->generation);
		cJSON_AddNumberToObject(j, "history_entry", r->history_seq);
		cJSON_AddBoolToObject(j, "unrecorded", r->unrecorded);
		cJSON_AddStringToObject(j, "config_digest", digest_str(c->cfg.digest, dg));
		cJSON_AddStringToObject(j, "pin_dir", r->pin_dir);
		if (vo && vo->ran) {
			v = cJSON_AddObjectToObject(j, "verify");
			cJSON_AddBoolToObject(v, "failed", vo->failed);
			cJSON_AddNumberToObject(v, "seconds", vo->v.seconds);
			cJSON_AddNumberToObject(v, "new_flows", (double)vo->v.flows);
			cJSON_AddStringToObject(v, "report", vo->v.report);
			cJSON_AddBoolToObject(v, "unloaded", vo->unloaded);
			cJSON_AddNumberToObject(v, "rolled_back_to", vo->rolled_back_to);
			if (vo->rolled_back_to)
				cJSON_AddNumberToObject(v, "generation", vo->generation);
		}
		print_json(j);
		return;
	}
	if (r->unchanged) {
		printf("%s: unchanged: %s is live, generation %u (nothing done, no history entry; --force applies it again)\n",
		       c->cfg.interface, digest_str(c->cfg.digest, dg), r->generation);
		return;
	}
	if (r->unrecorded)
		snprintf(entry, sizeof(entry), "UNRECORDED (in no history)");
	else
		snprintf(entry, sizeof(entry), "history entry %u", r->history_seq);
	printf("%s: %s generation %u (%s mode, prog %u, link %u%s), %s, %s; %u new VIP id%s, %u new backend id%s\n",
	       c->cfg.interface, r->created ? "attached," : "updated to", r->generation,
	       c->cfg.mode == XDPLB_MODE_GENERIC ? "generic" : "native", r->prog_id, r->link_id,
	       r->prog_replaced ? ", program replaced" : "", digest_str(c->cfg.digest, dg), entry,
	       r->new_vips, r->new_vips == 1 ? "" : "s", r->new_backends,
	       r->new_backends == 1 ? "" : "s");
}

static void init_load(void *args)
{
	((struct load_args *)args)->cfg.mode = -1;
}

static int run_load(void *args, int argc, char **argv)
{
	struct load_args *o = args;
	struct verify_outcome vo = { 0 };
	struct load_result r;
	char src[PATH_MAX], hsrc[PATH_MAX];
	struct cfg_text t;
	struct checked c;
	int err, ret;

	err = check_text(argv[0], &o->cfg, &c, &t);
	if (err)
		return exit_code(err);
	struct load_opts lo = { .text = t.text,
				.len = t.len,
				.host_text = t.host,
				.host_len = t.host_len,
				.host_source = history_source(o->cfg.host, hsrc),
				.state_dir = o->state_dir,
				.force = o->cfg.force,
				.note = o->cfg.force ? "forced" : NULL,
				.skip_same = !o->cfg.force,
				.no_history = o->no_history,
				.source = realpath(argv[0], src) ? src : argv[0] };

	err = lb_load(&c, &lo, &r);
	ret = exit_code(err);
	if (!err && !cli_json())
		print_loaded(&c, &r, NULL);
	if (!err && o->verify > 0 && r.unchanged && !cli_json())
		printf("%s: nothing changed, nothing to verify\n", c.cfg.interface);
	if (!err && o->verify > 0 && !r.unchanged) {
		fflush(stdout);
		ret = verify_after_load(&c, o, &r, &vo);
	}
	if (!err && cli_json()) /* one object, verification included */
		print_loaded(&c, &r, &vo);
	checked_free(&c);
	cfg_text_free(&t);
	return ret;
}

static const struct cli_opt load_opts[] = {
	OPT_IFACE_CFG(struct load_args, cfg.iface),
	OPT_MODE(struct load_args, cfg.mode),
	OPT_HOST(struct load_args, cfg.host),
	OPT_SHARED(struct load_args, cfg.shared),
	OPT("force", 'f', OPT_FLAG, NULL,
	    "apply despite the guards (each refusal is printed as a warning; schema errors still refuse)",
	    offsetof(struct load_args, cfg.force)),
	OPT("verify", 'V', OPT_NUM, "SEC",
	    "then watch real new flows for SEC seconds and roll back if they break the guards",
	    offsetof(struct load_args, verify), .min = 0, .max = 3600, .min_open = true),
	OPT_STATE_DIR(struct load_args, state_dir),
	OPT("no-history", 0, OPT_FLAG, NULL,
	    "write nothing to the state dir: the way through a full or read-only one (the config goes live unrecorded, said loudly and marked; the next load records it)",
	    offsetof(struct load_args, no_history)),
	OPT_END,
};

const struct cli_cmd cmd_load = {
	.name = "load",
	.args = "CONFIG",
	.min_args = 1,
	.max_args = 1,
	.summary = "validate a config and make it live, atomically",
	.description =
		"Validates CONFIG, then attaches xdplb (first time) or updates it in place:\n"
		"takes the interface's lock (a second load waits up to 10 s, then fails with\n"
		"exit 3); reads what is live once; checks max_flows_moved against it (--force to\n"
		"override); writes the history entry as pending; writes the new config into the\n"
		"inactive bank, flips one word, waits for in-flight packets and frees the old\n"
		"bank (docs/atomicity.md); commits the history entry. The program is loaded only\n"
		"when the live one is not this binary's (a new version replaces it through the\n"
		"link, keeping the maps and so every flow). An invalid or refused config changes\n"
		"nothing. Exit 0 applied (and verified), 1 invalid, refused or verification\n"
		"failed (rolled back), 2 usage, 3 system error.\n",
	.opts = load_opts,
	.args_size = sizeof(struct load_args),
	.init = init_load,
	.run = run_load,
};

struct read_args {
	const char *iface;
};

/* The interface of a read command: --iface or the positional one. */
static int read_iface(const struct read_args *a, int argc, char **argv, char *ifname)
{
	return cli_pick_iface(a->iface ? a->iface : argc ? argv[0] : NULL, ifname);
}

static int not_loaded(const char *ifname, int err)
{
	if (err == -ENOENT) {
		pr_err("%s: xdplb is not loaded\n", ifname);
		return EXIT_INVALID;
	}
	pr_err("%s: reading the live state: %s\n", ifname, strerror(-err));
	return exit_code(err);
}

static int run_status(void *args, int argc, char **argv)
{
	char ifname[IF_NAMESIZE];
	struct lb_live s;
	int err;

	if (read_iface(args, argc, argv, ifname))
		return EXIT_INVALID;
	err = status_read(ifname, LIVE_STATUS, &s);
	if (err)
		return not_loaded(ifname, err);
	if (cli_json())
		print_json(status_json(&s));
	else
		status_print(&s);
	live_free(&s);
	return EXIT_OK;
}

static const struct cli_opt read_opts[] = {
	OPT_IFACE_READ(struct read_args, iface),
	OPT_END,
};

const struct cli_cmd cmd_status = {
	.name = "status",
	.args = "[IF]",
	.max_args = 1,
	.summary = "what is live: program, config, VIPs, backends, counters",
	.description =
		"What is live, read from the maps and the link (never from a config file):\n"
		"program and link ids, mode, config digest and generation, load time, globals,\n"
		"every VIP with its backends (weight, state, share of table slots) and their\n"
		"counters, XDP actions and drops by reason. Exit 0; 1 when xdplb is not loaded.\n",
	.opts = read_opts,
	.args_size = sizeof(struct read_args),
	.run = run_status,
};

static int run_unload(void *args, int argc, char **argv)
{
	const struct read_args *a = args;
	char ifname[IF_NAMESIZE];
	int err;

	if (!a->iface && !argc) {
		pr_err("xdplb unload: name the interface (--iface IF)\n");
		return -1;
	}
	snprintf(ifname, sizeof(ifname), "%s", a->iface ? a->iface : argv[0]);
	err = lb_unload(ifname);
	if (!err && cli_json()) {
		cJSON *j = cJSON_CreateObject();

		cJSON_AddStringToObject(j, "interface", ifname);
		cJSON_AddBoolToObject(j, "unloaded", true);
		print_json(j);
	} else if (!err) {
		fprintf(stderr, "%s: unloaded\n", ifname);
	}
	return exit_code(err);
}

static const struct cli_opt unload_opts[] = {
	OPT("iface", 'i', OPT_STR, "IF", "the interface (required, or as the argument)",
	    offsetof(struct read_args, iface)),
	OPT_END,
};

const struct cli_cmd cmd_unload = {
	.name = "unload",
	.args = "[IF]",
	.max_args = 1,
	.summary = "detach xdplb and remove its pins",
	.description =
		"Detaches the program and removes every pin of the interface (its conntrack and\n"
		"counters go with them); the history stays. Harmless when nothing is loaded.\n",
	.opts = unload_opts,
	.args_size = sizeof(struct read_args),
	.run = run_unload,
};

struct history_args {
	const char *iface;
	const char *state_dir;
};

static void print_history(const char *ifname, const char *dir, const struct history *h,
			  __u32 live_gen, const char *live_dg)
{
	cJSON *arr = cli_json() ? cJSON_CreateArray() : NULL;
	bool live_seen = false;
	char ts[32];

	if (!arr && !h->n)
		printf("%s: no history in %s\n", ifname, dir);
	for (size_t i = h->n; i > 0; i--) {
		const struct hist_entry *e = &h->e[i - 1];
		/* the newest entry that matches: a copy of it further down is
		 * not live too */
		bool live = !live_seen && !e->pending && e->generation == live_gen &&
			    !strcmp(e->digest, live_dg);
		time_t t = (time_t)e->time;
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		live_seen |= live;
		if (arr) {
			cJSON *j = cJSON_CreateObject();

			cJSON_AddNumberToObject(j, "entry", e->seq);
			cJSON_AddStringToObject(j, "time", ts);
			cJSON_AddStringToObject(j, "user", e->user);
			cJSON_AddNumberToObject(j, "generation", e->generation);
			cJSON_AddStringToObject(j, "digest", e->digest);
			cJSON_AddStringToObject(j, "source", e->source);
			cJSON_AddStringToObject(j, "file_digest", e->file_digest);
			cJSON_AddStringToObject(j, "host_source", e->host_source);
			cJSON_AddStringToObject(j, "host_file_digest", e->host_file_digest);
			cJSON_AddStringToObject(j, "note", e->note);
			cJSON_AddBoolToObject(j, "live", live);
			cJSON_AddBoolToObject(j, "pending", e->pending);
			cJSON_AddBoolToObject(j, "config_kept", !e->no_config);
			cJSON_AddItemToArray(arr, j);
			continue;
		}
		if (!arr && i == h->n)
			printf("  %5s  %-20s  %-10s %5s  %-19s  %s\n", "ENTRY", "TIME (UTC)",
			       "USER", "GEN", "DIGEST", "SOURCE  # NOTE");
		printf("%c %5u  %-20s  %-10s %5u  %.19s  %s%s%s%s%s\n", live ? '*' : ' ', e->seq,
		       ts, e->user, e->generation, e->digest, e->source,
		       e->host_source[0] ? " --host " : "", e->host_source,
		       e->note[0] ? "  # " : "", e->note);
	}
	if (arr)
		print_json(arr);
}

static int run_history(void *args, int argc, char **argv)
{
	const struct history_args *a = args;
	char ifname[IF_NAMESIZE], dir[512], dg[80] = "";
	struct read_args ra = { .iface = a->iface };
	__u8 live_digest[32] = { 0 };
	bool loaded = false;
	struct lb_live st;
	struct history h;
	__u32 live_gen = 0;

	if (read_iface(&ra, argc, argv, ifname))
		return EXIT_INVALID;
	state_dir_of(a->state_dir, ifname, dir, sizeof(dir));
	if (!status_read(ifname, 0, &st)) {
		digest_str(live_g(&st)->digest, dg);
		memcpy(live_digest, live_g(&st)->digest, sizeof(live_digest));
		live_gen = live_g(&st)->generation;
		loaded = true;
		live_free(&st);
	}
	if (history_open(dir, &h))
		return EXIT_SYSTEM;
	/* a load killed half-way leaves a pending entry: settle it by what
	 * is live (a read-only state dir: listed as it is) */
	if (loaded && history_resolve(&h, live_gen, live_digest))
		pr_warn("%s: pending entries not settled: listed as they are\n", dir);
	print_history(ifname, dir, &h, live_gen, dg);
	history_free(&h);
	return EXIT_OK;
}

static const struct cli_opt history_opts[] = {
	OPT_IFACE_READ(struct history_args, iface),
	OPT_STATE_DIR(struct history_args, state_dir),
	OPT_END,
};

const struct cli_cmd cmd_history = {
	.name = "history",
	.args = "[IF]",
	.max_args = 1,
	.summary = "the configs applied to an interface, newest first",
	.description =
		"Entry number, time, user ($SUDO_USER, else the login name), the generation it\n"
		"became, its digest (of the shared part, docs/fleet.md), the file it came from\n"
		"(and its host file, --host), and a note (forced, rollback to 3). * marks the\n"
		"live one. The last 50 are kept, each with the config's bytes as applied\n"
		"(STATE_DIR/NNNNNN.json, and NNNNNN.host.json); --json adds each file's SHA-256.\n",
	.opts = history_opts,
	.args_size = sizeof(struct history_args),
	.run = run_history,
};

struct rollback_args {
	const char *iface;
	const char *state_dir;
	unsigned long long to;
	int mode;
	bool no_history;
};

static void init_rollback(void *args)
{
	((struct rollback_args *)args)->mode = -1;
}

static int run_rollback(void *args, int argc, char **argv)
{
	const struct rollback_args *a = args;
	struct read_args ra = { .iface = a->iface };
	char ifname[IF_NAMESIZE];
	struct load_result r;
	unsigned int seq = 0;
	int err;

	if (read_iface(&ra, argc, argv, ifname))
		return EXIT_INVALID;
	err = lb_rollback(ifname, a->state_dir, (unsigned int)a->to, a->mode, a->no_history, &r,
			  &seq);
	if (!err && cli_json()) {
		cJSON *j = cJSON_CreateObject();

		cJSON_AddStringToObject(j, "interface", ifname);
		cJSON_AddNumberToObject(j, "rolled_back_to", seq);
		cJSON_AddNumberToObject(j, "generation", r.generation);
		cJSON_AddNumberToObject(j, "history_entry", r.history_seq);
		cJSON_AddBoolToObject(j, "unrecorded", r.unrecorded);
		cJSON_AddBoolToObject(j, "program_replaced", r.prog_replaced);
		print_json(j);
	} else if (!err && r.unrecorded) {
		printf("%s: rolled back to history entry %u: generation %u, UNRECORDED (in no history)\n",
		       ifname, seq, r.generation);
	} else if (!err) {
		printf("%s: rolled back to history entry %u: generation %u, history entry %u\n",
		       ifname, seq, r.generation, r.history_seq);
	}
	return exit_code(err);
}

static const struct cli_opt rollback_opts[] = {
	OPT_IFACE_READ(struct rollback_args, iface),
	OPT("to", 't', OPT_UINT, "N",
	    "the history entry to go back to (default: the one before the live one)",
	    offsetof(struct rollback_args, to), .min = 1, .max = HIST_SEQ_MAX,
	    .what = "a history entry number (xdplb history)"),
	OPT_STATE_DIR(struct rollback_args, state_dir),
	OPT_MODE(struct rollback_args, mode),
	OPT("no-history", 0, OPT_FLAG, NULL,
	    "write nothing to the state dir (read-only or full): the config goes live unrecorded",
	    offsetof(struct rollback_args, no_history)),
	OPT_END,
};

const struct cli_cmd cmd_rollback = {
	.name = "rollback",
	.args = "[IF]",
	.max_args = 1,
	.summary = "re-apply an earlier config from the history",
	.description =
		"Re-applies an earlier entry (default: the one before the live one) through the\n"
		"same validated, atomic path as load, recorded as a new entry. Guards are\n"
		"warnings here: the config was live before, and a rollback must not be refused\n"
		"at 3 a.m. A rollback's own entry is the live one, so a second rollback in a row\n"
		"returns to the config you rolled back from (entries 3 and 4, 4 live: rollback\n"
		"applies 3 as entry 5, a second applies 4 as entry 6), as Helm does; to go further\n"
		"back, --to N (xdplb history lists the entries, a rollback's with its note).\n",
	.opts = rollback_opts,
	.args_size = sizeof(struct rollback_args),
	.init = init_rollback,
	.run = run_rollback,
};

struct audit_args {
	struct cfg_args cfg;
	const char *state_dir;
};

static int run_audit(void *args, int argc, char **argv)
{
	const struct audit_args *o = args;
	struct overrides ov = { 0 };
	struct checked want;
	struct audit a;
	char dir[512];
	int err, ret;

	err = check(argv[0], &o->cfg, &want);
	if (err)
		return exit_code(err);
	/* what operators meant besides the file */
	state_dir_of(o->state_dir, want.cfg.interface, dir, sizeof(dir));
	err = history_overrides_read(dir, &ov);
	if (err) {
		checked_free(&want);
		return exit_code(err);
	}
	err = audit_run(want.cfg.interface, &want, &ov, &a);
	overrides_free(&ov);
	if (err) {
		pr_err("%s: reading the live state: %s\n", want.cfg.interface, strerror(-err));
		checked_free(&want);
		return exit_code(err);
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

static void init_audit(void *args)
{
	((struct audit_args *)args)->cfg.mode = -1;
}

static const struct cli_opt audit_opts[] = {
	OPT_IFACE_CFG(struct audit_args, cfg.iface),
	OPT_HOST(struct audit_args, cfg.host),
	OPT_STATE_DIR(struct audit_args, state_dir),
	OPT_END,
};

const struct cli_cmd cmd_audit = {
	.name = "audit",
	.args = "CONFIG",
	.min_args = 1,
	.max_args = 1,
	.summary = "compare what is live with a config: report every drift",
	.description =
		"Compares what is live with what CONFIG says: the program and its link, the mode,\n"
		"the globals, every VIP, backend and table slot, and the maps' own consistency\n"
		"(docs/cli.md lists every kind of finding). What operators meant besides the file,\n"
		"the overrides the state dir records (`xdplb backend list`), and what health checks\n"
		"decided are reported apart, as by design; an override in the maps that the state\n"
		"dir does not record is drift. Read-only: safe from cron or\n"
		"xdplb-audit@.timer. Exit 0 identical, 1 drift (or not loaded), 3 system error.\n",
	.opts = audit_opts,
	.args_size = sizeof(struct audit_args),
	.init = init_audit,
	.run = run_audit,
};

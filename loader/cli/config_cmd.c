// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * config_cmd.c - the commands about a config file: validate, simulate, diff.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "names.h"
#include "cli.h"
#include "log.h"
#include "render.h"
#include "diff.h"
#include "effective.h"
#include "guards.h"
#include "load.h"
#include "sha256.h"
#include "simulate.h"
#include "status.h"

static __u32 max_slots(const struct checked *c, __u32 v)
{
	__u32 best = 0;

	for (__u32 b = 0; b < c->cfg.vips[v].n_backends; b++)
		if (c->tables.counts[v][b] > best)
			best = c->tables.counts[v][b];
	return best;
}

static void print_valid(const char *file, const struct checked *c)
{
	const struct xdplb_config *cfg = &c->cfg;
	char dg[80], vl[80];
	__u32 nb = 0;

	for (__u32 v = 0; v < cfg->n_vips; v++)
		nb += cfg->vips[v].n_backends;
	if (cli_json()) {
		cJSON *r = cJSON_CreateObject(), *vips = NULL;

		cJSON_AddStringToObject(r, "file", file);
		cJSON_AddBoolToObject(r, "valid", true);
		cJSON_AddStringToObject(r, "digest", digest_str(cfg->digest, dg));
		/* the file's own bytes (the history's), and this LB's settings */
		cJSON_AddStringToObject(r, "file_digest", digest_str(cfg->file_digest, dg));
		cJSON_AddStringToObject(r, "host_digest", digest_str(cfg->host_digest, dg));
		cJSON_AddStringToObject(r, "interface", cfg->interface);
		vips = cJSON_AddArrayToObject(r, "vips");
		for (__u32 v = 0; v < cfg->n_vips; v++) {
			cJSON *jv = cJSON_CreateObject();

			cJSON_AddStringToObject(jv, "name", cfg->vips[v].name);
			cJSON_AddNumberToObject(jv, "table_size", cfg->vips[v].table_size);
			cJSON_AddStringToObject(jv, "hash", config_hash_names[cfg->vips[v].hash]);
			cJSON_AddNumberToObject(jv, "max_backend_share",
						(double)max_slots(c, v) / cfg->vips[v].table_size);
			cJSON_AddNumberToObject(jv, "max_backend_share_allowed",
						guard_max_backend_share(cfg, &cfg->vips[v]));
			cJSON_AddItemToArray(vips, jv);
		}
		print_json(r);
		return;
	}
	printf("%s: OK: %u VIP%s, %u backend%s, %s\n", file, cfg->n_vips,
	       cfg->n_vips == 1 ? "" : "s", nb, nb == 1 ? "" : "s", digest_str(cfg->digest, dg));
	for (__u32 v = 0; v < cfg->n_vips; v++) {
		const struct cfg_vip *vip = &cfg->vips[v];
		__u32 n_active;

		vip_active_weight(vip, &n_active);
		vip_endpoint_str(&vip->addr, vip->family, vip->port, vip->proto, vl, sizeof(vl));
		printf("  %s %s: table %u%s, %u/%u backends take new flows, largest share %.1f%% (allowed %.1f%%)\n",
		       vip->name, vl, vip->table_size,
		       vip->hash == CFG_HASH_SOURCE ? ", hash source" : "", n_active,
		       vip->n_backends, 100.0 * max_slots(c, v) / vip->table_size,
		       100.0 * guard_max_backend_share(cfg, vip));
	}
}

struct validate_args {
	struct cfg_args cfg;
	bool canonical;
};

/* --canonical: what the digest is the SHA-256 of (docs/fleet.md), one line;
 * diff two of them to see why two LBs' digests differ. */
static int print_canonical(const char *file, const struct checked *c)
{
	char *s = config_canonical(&c->cfg), dg[80];

	if (!s)
		return EXIT_SYSTEM;
	if (cli_json()) {
		cJSON *r = cJSON_CreateObject();

		cJSON_AddStringToObject(r, "file", file);
		cJSON_AddStringToObject(r, "digest", digest_str(c->cfg.digest, dg));
		cJSON_AddItemToObject(r, "canonical", cJSON_Parse(s));
		print_json(r);
	} else {
		printf("%s\n", s);
	}
	free(s);
	return EXIT_OK;
}

static void init_cfg(void *a)
{
	((struct cfg_args *)a)->mode = -1;
}

static int run_validate(void *args, int argc, char **argv)
{
	struct validate_args *a = args;
	struct checked c;
	int err = check(argv[0], &a->cfg, &c);

	if (err)
		return exit_code(err);
	if (a->canonical)
		err = print_canonical(argv[0], &c);
	else
		print_valid(argv[0], &c);
	checked_free(&c);
	return err;
}

static const struct cli_opt validate_opts[] = {
	OPT_IFACE_CFG(struct validate_args, cfg.iface),
	OPT_MODE(struct validate_args, cfg.mode),
	OPT_HOST(struct validate_args, cfg.host),
	OPT_SHARED(struct validate_args, cfg.shared),
	OPT("canonical", 'c', OPT_FLAG, NULL,
	    "print the canonical form of the shared part instead (its SHA-256 is the digest)",
	    offsetof(struct validate_args, canonical)),
	OPT("force", 'f', OPT_FLAG, NULL,
	    "guard refusals become warnings, as `load --force` would take them (schema errors never do)",
	    offsetof(struct validate_args, cfg.force)),
	OPT_END,
};

const struct cli_cmd cmd_validate = {
	.name = "validate",
	.args = "CONFIG",
	.min_args = 1,
	.max_args = 1,
	.summary = "check a config file; change nothing",
	.description =
		"Parses and checks the whole config: schema, the Maglev table of every VIP, and\n"
		"the guards computed on those tables. Prints every problem as FILE: PATH: REASON\n"
		"and changes nothing; needs no root. On success, one line per VIP: table size,\n"
		"backends taking new flows, the largest backend share and what the guard allows.\n"
		"The digest is of the shared part in canonical form (docs/fleet.md): the same\n"
		"for every LB of a fleet running the same service.\n"
		"Exit 0 valid, 1 invalid (or refused by a guard), 2 usage, 3 unreadable.\n",
	.opts = validate_opts,
	.args_size = sizeof(struct validate_args),
	.init = init_cfg,
	.run = run_validate,
};

static void print_sim(const struct checked *c, const struct sim_vip *s, __u64 flows)
{
	const struct xdplb_config *cfg = &c->cfg;
	char vl[80], a[ADDR_STRLEN];

	if (cli_json()) {
		cJSON *r = cJSON_CreateObject(), *vips = cJSON_AddArrayToObject(r, "vips");

		cJSON_AddNumberToObject(r, "flows_per_vip", (double)flows);
		for (__u32 v = 0; v < cfg->n_vips; v++) {
			const struct cfg_vip *vip = &cfg->vips[v];
			cJSON *jv = cJSON_CreateObject(), *bs;

			cJSON_AddItemToArray(vips, jv);
			cJSON_AddStringToObject(jv, "name", vip->name);
			cJSON_AddNumberToObject(jv, "table_size", vip->table_size);
			cJSON_AddStringToObject(jv, "hash", config_hash_names[vip->hash]);
			cJSON_AddNumberToObject(jv, "max_table_ratio", s[v].max_table_ratio);
			cJSON_AddNumberToObject(jv, "max_flow_ratio", s[v].max_flow_ratio);
			cJSON_AddNumberToObject(jv, "max_table_error", s[v].max_table_error);
			cJSON_AddNumberToObject(jv, "max_flow_error", s[v].max_flow_error);
			bs = cJSON_AddArrayToObject(jv, "backends");
			for (__u32 b = 0; b < vip->n_backends; b++) {
				cJSON *jb = cJSON_CreateObject();

				cJSON_AddItemToArray(bs, jb);
				cJSON_AddStringToObject(jb, "name", vip->backends[b].name);
				cJSON_AddStringToObject(jb, "address",
							addr_str(&vip->backends[b].addr,
								 vip->backends[b].family, a));
				cJSON_AddNumberToObject(jb, "weight", vip->backends[b].weight);
				cJSON_AddStringToObject(jb, "state",
							state_str(vip->backends[b].state));
				cJSON_AddNumberToObject(jb, "weight_share", s[v].b[b].weight_share);
				cJSON_AddNumberToObject(jb, "table_share", s[v].b[b].table_share);
				cJSON_AddNumberToObject(jb, "flow_share", s[v].b[b].flow_share);
				cJSON_AddNumberToObject(jb, "flows", (double)s[v].b[b].flows);
			}
		}
		print_json(r);
		return;
	}
	for (__u32 v = 0; v < cfg->n_vips; v++) {
		const struct cfg_vip *vip = &cfg->vips[v];

		vip_endpoint_str(&vip->addr, vip->family, vip->port, vip->proto, vl, sizeof(vl));
		/* a source VIP's synthetic flows are each another client's */
		printf("vip %s %s: table %u%s, %llu flows\n", vip->name, vl, vip->table_size,
		       vip->hash == CFG_HASH_SOURCE ? ", hash source (one flow per client)" : "",
		       (unsigned long long)flows);
		printf("  %-16s %-7s %-6s %8s %8s %8s\n", "backend", "weight", "state", "weight%",
		       "table%", "flows%");
		for (__u32 b = 0; b < vip->n_backends; b++)
			printf("  %-16s %-7u %-6s %7.2f%% %7.2f%% %7.2f%%\n", vip->backends[b].name,
			       vip->backends[b].weight, state_str(vip->backends[b].state),
			       100 * s[v].b[b].weight_share, 100 * s[v].b[b].table_share,
			       100 * s[v].b[b].flow_share);
		printf("  max share/weight share: table %.3f, flows %.3f; max error: table %.2f, flows %.2f points\n",
		       s[v].max_table_ratio, s[v].max_flow_ratio, 100 * s[v].max_table_error,
		       100 * s[v].max_flow_error);
	}
}

struct simulate_args {
	struct cfg_args cfg;
	unsigned long long flows;
};

static void init_simulate(void *args)
{
	struct simulate_args *a = args;

	a->cfg.mode = -1;
	a->flows = 100000;
}

static int run_simulate(void *args, int argc, char **argv)
{
	struct simulate_args *a = args;
	struct sim_vip *s;
	struct checked c;
	int err = check(argv[0], &a->cfg, &c);

	if (err)
		return exit_code(err);
	s = simulate(&c, a->flows, 0x5eed5eedULL);
	if (!s) {
		checked_free(&c);
		return EXIT_SYSTEM;
	}
	print_sim(&c, s, a->flows);
	simulate_free(s, c.cfg.n_vips);
	checked_free(&c);
	return EXIT_OK;
}

static const struct cli_opt simulate_opts[] = {
	OPT("flows", 'n', OPT_UINT, "N", "synthetic flows per VIP (default 100000)",
	    offsetof(struct simulate_args, flows), .min = 1, .max = 100000000),
	OPT_IFACE_CFG(struct simulate_args, cfg.iface),
	OPT_HOST(struct simulate_args, cfg.host),
	OPT_SHARED(struct simulate_args, cfg.shared),
	OPT_END,
};

const struct cli_cmd cmd_simulate = {
	.name = "simulate",
	.args = "CONFIG",
	.min_args = 1,
	.max_args = 1,
	.summary = "where N synthetic flows would go, by the data path's own hash",
	.description =
		"Per backend of every VIP: weight share, table share, and share of N synthetic\n"
		"flows hashed exactly as the data path hashes them; the largest ratio to the\n"
		"weight share. Needs no root; changes nothing.\n",
	.opts = simulate_opts,
	.args_size = sizeof(struct simulate_args),
	.init = init_simulate,
	.run = run_simulate,
};

struct diff_args {
	struct cfg_args cfg;
	const char *state_dir;
};

/* What load would do to NEW: the overrides kept for the interface on top. */
static int with_overrides(const char *ifname, const char *state_dir, struct checked *c)
{
	char dir[512];
	int n;

	state_dir_of(state_dir, ifname, dir, sizeof(dir));
	n = lb_kept_overrides(dir, c);
	if (n > 0 && !cli_json())
		printf("with %d override%s kept in %s/overrides.json (xdplb backend list)\n", n,
		       n == 1 ? "" : "s", dir);
	return n < 0 ? n : 0;
}

static int run_diff(void *args, int argc, char **argv)
{
	const struct diff_args *da = args;
	const struct cfg_args *o = &da->cfg;
	char ifname[IF_NAMESIZE] = "";
	struct checked a, b;
	struct diags d = { 0 };
	struct diff df;
	int err, ret;

	if (argc == 2 && da->state_dir) {
		pr_warn("xdplb diff: --state-dir is for diffing against what is live (one file)\n");
		return EXIT_USAGE;
	}
	if (argc == 2) {
		err = check(argv[0], o, &a);
	} else {
		/* against what is live */
		if (cli_pick_iface(o->iface, ifname))
			return EXIT_INVALID;
		struct lb_live l;

		err = status_read(ifname, LIVE_LINK | LIVE_TABLES, &l);
		if (!err)
			err = live_to_checked(&l, &a, true);
		/* the configured state, not what health made of it */
		if (!err)
			err = effective_configured(&a);
		live_free(&l);
		if (err == -ENOENT)
			pr_warn("%s: xdplb is not loaded: nothing to diff against\n", ifname);
		else if (err)
			pr_warn("%s: reading the live state: %s\n", ifname, strerror(-err));
	}
	if (err)
		return exit_code(err == -ENOENT ? -ECANCELED : err);
	err = check(argv[argc - 1], o, &b);
	if (!err && *ifname)
		err = with_overrides(ifname, da->state_dir, &b);
	if (err) {
		checked_free(&a);
		return exit_code(err);
	}
	err = diff_compute(&a, &b, &df);
	if (err) {
		checked_free(&a);
		checked_free(&b);
		return EXIT_SYSTEM;
	}
	diff_guard(&df, &d);
	if (cli_json()) {
		cJSON *j = diff_json(&df);

		cJSON_AddItemToObject(j, "refusals", diags_json(&d));
		print_json(j);
	} else {
		diff_print(&df, stdout);
		for (size_t i = 0; i < d.n; i++)
			printf("refused: %s: %s\n", d.v[i].path, d.v[i].msg);
	}
	/* 1 when `load` would refuse this change without --force */
	ret = d.n && !o->force ? EXIT_INVALID : EXIT_OK;
	diags_free(&d);
	diff_free(&df);
	checked_free(&a);
	checked_free(&b);
	return ret;
}

static const struct cli_opt diff_opts[] = {
	OPT_IFACE_READ(struct diff_args, cfg.iface),
	OPT("force", 'f', OPT_FLAG, NULL,
	    "exit 0 even when load would refuse the change (as `load --force` would apply it)",
	    offsetof(struct diff_args, cfg.force)),
	OPT_STATE_DIR(struct diff_args, state_dir),
	OPT_HOST(struct diff_args, cfg.host),
	OPT_SHARED(struct diff_args, cfg.shared),
	OPT_END,
};

const struct cli_cmd cmd_diff = {
	.name = "diff",
	.args = "[OLD] NEW",
	.min_args = 1,
	.max_args = 2,
	.summary = "what a change would do to new flows",
	.description =
		"What would change, and the impact: per VIP, the fraction of new flows that move\n"
		"to another backend (exact, slot by slot, when the table size, hash_seed and the\n"
		"VIP's hash are unchanged; estimated from 65,536 synthetic flows otherwise), and\n"
		"each backend's table share and weight share before and after. With one file, OLD\n"
		"is what is live (read back from the maps) and NEW gets the overrides kept for the\n"
		"interface (`xdplb backend list`), as load would. Established flows are not\n"
		"counted: conntrack keeps them on their backend. Exit 1 when load would refuse the\n"
		"change without --force (max_flows_moved), 0 otherwise.\n",
	.opts = diff_opts,
	.args_size = sizeof(struct diff_args),
	.init = init_cfg,
	.run = run_diff,
};

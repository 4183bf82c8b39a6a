// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * config_cmd.c - the commands about a config file: validate, simulate, diff.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "names.h"
#include "cli.h"
#include "render.h"
#include "diff.h"
#include "guards.h"
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
		cJSON_AddStringToObject(r, "interface", cfg->interface);
		vips = cJSON_AddArrayToObject(r, "vips");
		for (__u32 v = 0; v < cfg->n_vips; v++) {
			cJSON *jv = cJSON_CreateObject();

			cJSON_AddStringToObject(jv, "name", cfg->vips[v].name);
			cJSON_AddNumberToObject(jv, "table_size", cfg->vips[v].table_size);
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
		printf("  %s %s: table %u, %u/%u backends take new flows, largest share %.1f%% (allowed %.1f%%)\n",
		       vip->name, vl, vip->table_size, n_active, vip->n_backends,
		       100.0 * max_slots(c, v) / vip->table_size,
		       100.0 * guard_max_backend_share(cfg, vip));
	}
}

int do_validate(int argc, char **argv)
{
	struct checked c;
	struct opts o;
	int err;

	if (parse_opts(argc, argv, "ijmf", &o) || optind != argc - 1)
		return -EXIT_USAGE;
	err = check(argv[optind], &o, &c);
	if (err)
		return exit_code(err);
	print_valid(argv[optind], &c);
	checked_free(&c);
	return EXIT_OK;
}

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
		printf("vip %s %s: table %u, %llu flows\n", vip->name, vl, vip->table_size,
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

int do_simulate(int argc, char **argv)
{
	struct sim_vip *s;
	struct checked c;
	struct opts o;
	int err;

	if (parse_opts(argc, argv, "nji", &o) || optind != argc - 1)
		return -EXIT_USAGE;
	err = check(argv[optind], &o, &c);
	if (err)
		return exit_code(err);
	s = simulate(&c, o.flows, 0x5eed5eedULL);
	if (!s) {
		checked_free(&c);
		return EXIT_SYSTEM;
	}
	print_sim(&c, s, o.flows);
	simulate_free(s, c.cfg.n_vips);
	checked_free(&c);
	return EXIT_OK;
}

int do_diff(int argc, char **argv)
{
	struct checked a, b;
	struct diags d = { 0 };
	struct diff df;
	struct opts o;
	int err, ret;

	if (parse_opts(argc, argv, "ijf", &o) || argc - optind < 1 || argc - optind > 2)
		return -EXIT_USAGE;
	if (argc - optind == 2) {
		err = check(argv[optind], &o, &a);
	} else {
		char ifname[IF_NAMESIZE];

		/* against what is live */
		if (pick_iface(&o, argc - 1, argv, ifname)) /* no positional left for it */
			return EXIT_INVALID;
		struct lb_live l;

		err = status_read(ifname, LIVE_LINK | LIVE_TABLES, &l);
		if (!err)
			err = live_to_checked(&l, &a, true);
		live_free(&l);
		if (err == -ENOENT)
			fprintf(stderr, "%s: xdplb is not loaded: nothing to diff against\n",
				ifname);
		else if (err)
			fprintf(stderr, "%s: reading the live state: %s\n", ifname, strerror(-err));
	}
	if (err)
		return exit_code(err == -ENOENT ? -ECANCELED : err);
	err = check(argv[argc - 1], &o, &b);
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
		cJSON *j = diff_json(&df), *g = cJSON_AddArrayToObject(j, "refusals");

		for (size_t i = 0; i < d.n; i++) {
			cJSON *e = cJSON_CreateObject();

			cJSON_AddStringToObject(e, "path", d.v[i].path);
			cJSON_AddStringToObject(e, "message", d.v[i].msg);
			cJSON_AddItemToArray(g, e);
		}
		print_json(j);
	} else {
		diff_print(&df, stdout);
		for (size_t i = 0; i < d.n; i++)
			printf("refused: %s: %s\n", d.v[i].path, d.v[i].msg);
	}
	/* 1 when `load` would refuse this change without --force */
	ret = d.n && !o.force ? EXIT_INVALID : EXIT_OK;
	diags_free(&d);
	diff_free(&df);
	checked_free(&a);
	checked_free(&b);
	return ret;
}

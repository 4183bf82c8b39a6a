// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xdplb.c - the command line: a table of subcommands over the library.
 * Exit codes: 0 ok; 1 config invalid or change refused; 2 usage; 3 system
 * error (BPF, netlink, I/O). Data on stdout, diagnostics on stderr.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "audit.h"
#include "commands.h"
#include "diff.h"
#include "history.h"
#include "snapshot.h"
#include "guards.h"
#include "lb.h"
#include "log.h"
#include "serve.h"
#include "sha256.h"
#include "simulate.h"
#include "status.h"
#include "validate.h"
#include "verify.h"

#define XDPLB_VERSION "0.1.0"

enum { EXIT_OK = 0, EXIT_INVALID = 1, EXIT_USAGE = 2, EXIT_SYSTEM = 3 };

static bool json_out;

bool cli_json(void)
{
	return json_out;
}

static int exit_code(int err)
{
	if (!err)
		return EXIT_OK;
	return err == -EINVAL || err == -ECANCELED ? EXIT_INVALID : EXIT_SYSTEM;
}

static void print_json(cJSON *o)
{
	char *s = cJSON_Print(o);

	if (s)
		printf("%s\n", s);
	free(s);
	cJSON_Delete(o);
}

/* Common options of the subcommands. */
struct opts {
	const char *iface;
	int mode;
	__u64 flows;
	bool force;
	const char *addrs[16];
	int n_addrs;
	const char *state_dir;
	double verify; /* seconds; 0: no verification */
	unsigned int to; /* rollback --to N */
};

/* Parses argv for the options a command accepts (a string of letters);
 * leaves positional arguments in argv[optind..]. */
static int parse_opts(int argc, char **argv, const char *accept, struct opts *o)
{
	static const struct option longopts[] = { { "iface", required_argument, NULL, 'i' },
						  { "mode", required_argument, NULL, 'm' },
						  { "flows", required_argument, NULL, 'n' },
						  { "json", no_argument, NULL, 'j' },
						  { "force", no_argument, NULL, 'f' },
						  { "address", required_argument, NULL, 'a' },
						  { "help", no_argument, NULL, 'h' },
						  { "state-dir", required_argument, NULL, 's' },
						  { "verify", required_argument, NULL, 'V' },
						  { "to", required_argument, NULL, 't' },
						  { 0 } };
	int c;

	memset(o, 0, sizeof(*o));
	o->mode = -1;
	o->flows = 100000;
	optind = 1;
	while ((c = getopt_long(argc, argv, "i:m:n:jfa:hs:V:t:", longopts, NULL)) != -1) {
		if (c == 'h' || c == '?' || !strchr(accept, c))
			return -1;
		switch (c) {
		case 'i':
			o->iface = optarg;
			break;
		case 'm':
			if (!strcmp(optarg, "native"))
				o->mode = 0;
			else if (!strcmp(optarg, "generic"))
				o->mode = 1;
			else
				return -1;
			break;
		case 'n': {
			char *end;

			o->flows = strtoull(optarg, &end, 10);
			if (*end || !o->flows || o->flows > 100000000ULL)
				return -1;
			break;
		}
		case 'j':
			json_out = true;
			break;
		case 'f':
			o->force = true;
			break;
		case 'a':
			if (o->n_addrs == 16)
				return -1;
			o->addrs[o->n_addrs++] = optarg;
			break;
		case 's':
			o->state_dir = optarg;
			break;
		case 'V': {
			char *end;

			o->verify = strtod(optarg, &end);
			if (*end || !(o->verify > 0) || o->verify > 3600)
				return -1;
			break;
		}
		case 't': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (*end || !v || v > 999999)
				return -1;
			o->to = (unsigned int)v;
			break;
		}
		}
	}
	return 0;
}

static int read_file(const char *path, char **text, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;

	if (!f)
		return -errno;
	for (;;) {
		if (n == cap) {
			char *nb = realloc(buf, (cap = cap ? cap * 2 : 65536) + 1);

			if (!nb) {
				free(buf);
				fclose(f);
				return -ENOMEM;
			}
			buf = nb;
		}
		size_t r = fread(buf + n, 1, cap - n, f);

		n += r;
		if (!r)
			break;
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		return -EIO;
	}
	fclose(f);
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}

/* Validates a config file; prints errors on stderr (or in JSON), and guard
 * refusals as warnings when forced. *text keeps the bytes validated. */
static int check_text(const char *file, const struct opts *o, struct checked *c, char **text,
		      size_t *len)
{
	struct config_opts co = { .iface = o->iface, .mode = o->mode, .force = o->force };
	struct diags d = { 0 };
	int err = read_file(file, text, len);

	if (err) {
		fprintf(stderr, "%s: %s\n", file, strerror(-err));
		return err;
	}
	err = validate_text(*text, *len, &co, c, &d);
	if (!err && d.n) {
		for (size_t i = 0; i < d.n; i++)
			fprintf(stderr, "%s: %s: (forced) %s\n", file, d.v[i].path, d.v[i].msg);
	}
	if (err)
		free(*text);
	if (err == -EINVAL) {
		if (json_out) {
			cJSON *r = cJSON_CreateObject(), *arr;

			cJSON_AddStringToObject(r, "file", file);
			cJSON_AddBoolToObject(r, "valid", false);
			arr = cJSON_AddArrayToObject(r, "errors");
			for (size_t i = 0; i < d.n; i++) {
				cJSON *e = cJSON_CreateObject();

				cJSON_AddStringToObject(e, "path", d.v[i].path);
				cJSON_AddStringToObject(e, "message", d.v[i].msg);
				cJSON_AddItemToArray(arr, e);
			}
			print_json(r);
		} else {
			diags_print(&d, file, stderr);
			fprintf(stderr, "%s: %zu error%s; nothing was changed\n", file, d.n,
				d.n == 1 ? "" : "s");
		}
	} else if (err) {
		fprintf(stderr, "%s: %s\n", file, strerror(-err));
	}
	diags_free(&d);
	return err;
}

static int check(const char *file, const struct opts *o, struct checked *c)
{
	char *text;
	size_t len;
	int err = check_text(file, o, c, &text, &len);

	if (!err)
		free(text);
	return err;
}

static __u32 max_slots(const struct checked *c, __u32 v)
{
	__u32 best = 0;

	for (__u32 b = 0; b < c->cfg.vips[v].n_backends; b++)
		if (c->tables.counts[v][b] > best)
			best = c->tables.counts[v][b];
	return best;
}

static void vip_line(const struct cfg_vip *v, char *buf, size_t len)
{
	char a[ADDR_STRLEN];

	addr_str(&v->addr, v->family, a);
	snprintf(buf, len, "%s%s%s:%u/%s", v->family == XDPLB_AF_INET6 ? "[" : "", a,
		 v->family == XDPLB_AF_INET6 ? "]" : "", v->port, proto_str(v->proto));
}

static void print_valid(const char *file, const struct checked *c)
{
	const struct xdplb_config *cfg = &c->cfg;
	char dg[80], vl[80];
	__u32 nb = 0;

	for (__u32 v = 0; v < cfg->n_vips; v++)
		nb += cfg->vips[v].n_backends;
	if (json_out) {
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
		vip_line(vip, vl, sizeof(vl));
		printf("  %s %s: table %u, %u/%u backends take new flows, largest share %.1f%% (allowed %.1f%%)\n",
		       vip->name, vl, vip->table_size, n_active, vip->n_backends,
		       100.0 * max_slots(c, v) / vip->table_size,
		       100.0 * guard_max_backend_share(cfg, vip));
	}
}

static int do_validate(int argc, char **argv)
{
	struct checked c;
	struct opts o;
	int err;

	if (parse_opts(argc, argv, "ijm", &o) || optind != argc - 1)
		return -EXIT_USAGE;
	err = check(argv[optind], &o, &c);
	if (err)
		return exit_code(err);
	print_valid(argv[optind], &c);
	checked_free(&c);
	return EXIT_OK;
}

static void print_loaded(const struct checked *c, const struct load_result *r)
{
	char dg[80];

	if (json_out) {
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

static int do_load(int argc, char **argv)
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

/* The interface a read command is about: --iface, a positional one, or the
 * only one loaded in this network namespace. */
static int pick_iface(const struct opts *o, int argc, char **argv, char *out)
{
	char names[64][IF_NAMESIZE];
	int n;

	if (o->iface || optind < argc) {
		snprintf(out, IF_NAMESIZE, "%s", o->iface ? o->iface : argv[optind]);
		return 0;
	}
	n = status_list(names, 64);
	if (n == 1) {
		memcpy(out, names[0], IF_NAMESIZE);
		return 0;
	}
	if (!n)
		fprintf(stderr, "xdplb is not loaded on any interface of this network namespace\n");
	else
		fprintf(stderr, "xdplb is loaded on %d interfaces: name one with --iface\n", n);
	return -ENOENT;
}

static int do_status(int argc, char **argv)
{
	char ifname[IF_NAMESIZE];
	struct lb_status s;
	struct opts o;
	int err;

	if (parse_opts(argc, argv, "ij", &o) || argc - optind > 1)
		return -EXIT_USAGE;
	if (pick_iface(&o, argc, argv, ifname))
		return EXIT_INVALID;
	err = status_read(ifname, &s);
	if (err == -ENOENT) {
		fprintf(stderr, "%s: xdplb is not loaded\n", ifname);
		return EXIT_INVALID;
	}
	if (err) {
		fprintf(stderr, "%s: reading the live state: %s\n", ifname, strerror(-err));
		return EXIT_SYSTEM;
	}
	status_print(&s, json_out);
	status_free(&s);
	return EXIT_OK;
}

static int do_unload(int argc, char **argv)
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

static void print_sim(const struct checked *c, const struct sim_vip *s, __u64 flows)
{
	const struct xdplb_config *cfg = &c->cfg;
	char vl[80], a[ADDR_STRLEN];

	if (json_out) {
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

		vip_line(vip, vl, sizeof(vl));
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

static int do_simulate(int argc, char **argv)
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

static int decap_status(const char *ifname)
{
	static const char *const names[XDPLB_DECAP_MAX] = {
		[XDPLB_DECAP_V4_IN_V4] = "ipip",   [XDPLB_DECAP_V6_IN_V6] = "ip6ip6",
		[XDPLB_DECAP_V4_IN_V6] = "ip4in6", [XDPLB_DECAP_V6_IN_V4] = "ip6in4",
		[XDPLB_DECAP_PASS] = "passed",	   [XDPLB_DECAP_MALFORMED] = "malformed",
	};
	__u64 c[XDPLB_DECAP_MAX];
	int err = lb_decap_counters(ifname, c);

	if (err) {
		fprintf(stderr, "%s: %s\n", ifname,
			err == -ENOENT ? "no decap program attached" : strerror(-err));
		return err == -ENOENT ? EXIT_INVALID : EXIT_SYSTEM;
	}
	if (json_out) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "interface", ifname);
		for (int i = 0; i < XDPLB_DECAP_MAX; i++)
			cJSON_AddNumberToObject(o, names[i], (double)c[i]);
		print_json(o);
		return EXIT_OK;
	}
	printf("%s: decap", ifname);
	for (int i = 0; i < XDPLB_DECAP_MAX; i++)
		printf(" %s %llu", names[i], (unsigned long long)c[i]);
	printf("\n");
	return EXIT_OK;
}

static int do_decap(int argc, char **argv)
{
	struct decap_opts d = { 0 };
	const char *verb;
	struct opts o;
	int err;

	if (argc < 3)
		return -EXIT_USAGE;
	verb = argv[1];
	if (parse_opts(argc - 1, argv + 1, "maj", &o) || optind != argc - 2)
		return -EXIT_USAGE;
	if (!strcmp(verb, "attach")) {
		d.mode = o.mode < 0 ? 0 : o.mode;
		d.extra = o.addrs;
		d.n_extra = o.n_addrs;
		err = lb_decap_attach(argv[argc - 1], &d);
	} else if (!strcmp(verb, "detach")) {
		err = lb_decap_detach(argv[argc - 1]);
	} else if (!strcmp(verb, "status")) {
		return decap_status(argv[argc - 1]);
	} else {
		return -EXIT_USAGE;
	}
	return exit_code(err);
}

static int do_diff(int argc, char **argv)
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
		err = snapshot_read(ifname, &a, NULL);
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
	if (json_out) {
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

static void state_dir_of(const struct opts *o, const char *ifname, char *buf, size_t len)
{
	if (o->state_dir)
		snprintf(buf, len, "%s", o->state_dir);
	else
		history_default_dir(ifname, buf, len);
}

static int do_history(int argc, char **argv)
{
	char ifname[IF_NAMESIZE], dir[512], dg[80] = "", ts[32];
	__u8 live_digest[32] = { 0 };
	bool loaded = false;
	struct lb_status st;
	struct history h;
	struct opts o;
	cJSON *arr = NULL;
	__u32 live_gen = 0;

	if (parse_opts(argc, argv, "isj", &o) || argc - optind > 1)
		return -EXIT_USAGE;
	if (pick_iface(&o, argc, argv, ifname))
		return EXIT_INVALID;
	state_dir_of(&o, ifname, dir, sizeof(dir));
	if (!status_read(ifname, &st)) {
		digest_str(st.g.digest, dg);
		memcpy(live_digest, st.g.digest, sizeof(live_digest));
		live_gen = st.g.generation;
		loaded = true;
		status_free(&st);
	}
	if (history_open(dir, &h))
		return EXIT_SYSTEM;
	/* a load killed half-way leaves a pending entry: settle it by what is live */
	if (loaded && history_resolve(&h, live_gen, live_digest)) {
		history_free(&h);
		return EXIT_SYSTEM;
	}
	if (json_out)
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

static int do_rollback(int argc, char **argv)
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

static int do_audit(int argc, char **argv)
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
	if (json_out)
		print_json(audit_json(&a, want.cfg.interface));
	else
		audit_print(&a, want.cfg.interface, stdout);
	ret = a.n ? EXIT_INVALID : EXIT_OK;
	audit_free(&a);
	checked_free(&want);
	return ret;
}

static int do_help(int argc, char **argv);

static int do_version(int argc, char **argv)
{
	printf("xdplb %s (ABI %d)\n", XDPLB_VERSION, XDPLB_ABI_VERSION);
	return EXIT_OK;
}

static const struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
} cmds[] = {
	{ "validate", do_validate, "validate CONFIG [--iface IF] [--json]" },
	{ "load", do_load,
	  "load CONFIG [--iface IF] [--mode native|generic] [--force] [--verify SEC] [--state-dir DIR] [--json]" },
	{ "diff", do_diff,
	  "diff [OLD] NEW [--iface IF] [--json]   (one file: against what is live)" },
	{ "history", do_history, "history [--iface IF] [--state-dir DIR] [--json]" },
	{ "rollback", do_rollback, "rollback [--iface IF] [--to N] [--state-dir DIR]" },
	{ "audit", do_audit, "audit CONFIG [--iface IF] [--json]" },
	{ "status", do_status, "status [--iface IF] [--json]" },
	{ "stats", do_stats, "stats [--iface IF] [--watch SEC [--count N]] [--json]" },
	{ "explain", do_explain,
	  "explain tcp|udp SRC:PORT DST:PORT [--syn] [--payload N] [--iface IF] [--json]   (IPv6: [ADDR]:PORT)" },
	{ "unload", do_unload, "unload --iface IF" },
	{ "simulate", do_simulate, "simulate CONFIG [--flows N] [--json]" },
	{ "serve", do_serve, SERVE_USAGE },
	{ "decap", do_decap,
	  "decap attach|detach|status IFACE [--address ADDR]... [--mode native|generic] [--json]" },
	{ "version", do_version, "version" },
	{ "help", do_help, "help" },
	{ 0 },
};

static void usage(FILE *f, const struct cmd *only)
{
	if (only) {
		fprintf(f, "usage: xdplb %s\n", only->usage);
		return;
	}
	fprintf(f, "usage: xdplb [-v] [--json] COMMAND [ARGS]\n\ncommands:\n");
	for (const struct cmd *c = cmds; c->name; c++)
		fprintf(f, "  xdplb %s\n", c->usage);
	fprintf(f, "\nexit codes: 0 ok, 1 invalid or refused, 2 usage, 3 system error\n"
		   "docs: README.md, docs/config.md\n");
}

static int do_help(int argc, char **argv)
{
	usage(stdout, NULL);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	int i = 1, ret;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose"))
			log_level = log_level == LOG_WARN ? LOG_INFO : LOG_DEBUG;
		else if (!strcmp(argv[i], "-vv"))
			log_level = LOG_DEBUG;
		else if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json"))
			json_out = true;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return do_help(0, NULL);
		else if (!strcmp(argv[i], "-V") || !strcmp(argv[i], "--version"))
			return do_version(0, NULL);
		else {
			usage(stderr, NULL);
			return EXIT_USAGE;
		}
	}
	if (i == argc) {
		usage(stderr, NULL);
		return EXIT_USAGE;
	}
	log_setup_libbpf();
	for (const struct cmd *c = cmds; c->name; c++) {
		if (strcmp(c->name, argv[i]))
			continue;
		ret = c->fn(argc - i, argv + i);
		if (ret == -EXIT_USAGE) {
			usage(stderr, c);
			return EXIT_USAGE;
		}
		return ret;
	}
	fprintf(stderr, "xdplb: unknown command '%s'\n", argv[i]);
	usage(stderr, NULL);
	return EXIT_USAGE;
}

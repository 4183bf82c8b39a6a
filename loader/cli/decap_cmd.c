// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * decap_cmd.c - xdplb decap attach|detach|status: the backends' program.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#include "cli.h"
#include "config.h"
#include "decap.h"
#include "load.h"
#include "log.h"

#define MAX_SOURCE_OPTS 64
#define MAX_CONFIG_OPTS 16

static int decap_status(const char *ifname)
{
	static const char *const names[XDPLB_DECAP_MAX] = {
		[XDPLB_DECAP_V4_IN_V4] = "ipip",	 [XDPLB_DECAP_V6_IN_V6] = "ip6ip6",
		[XDPLB_DECAP_V4_IN_V6] = "ip4in6",	 [XDPLB_DECAP_V6_IN_V4] = "ip6in4",
		[XDPLB_DECAP_PASS] = "passed",		 [XDPLB_DECAP_MALFORMED] = "malformed",
		[XDPLB_DECAP_BAD_SOURCE] = "bad_source",
	};
	__u64 c[XDPLB_DECAP_MAX];
	struct decap_srcs srcs;
	char buf[DECAP_SRC_STRLEN];
	int err = lb_decap_counters(ifname, c), srcs_err = 0;

	if (!err)
		srcs_err = lb_decap_sources(ifname, &srcs);
	if (srcs_err == -ENOENT) /* a program from before the filter */
		pr_warn("%s: this decap program has no source filter: it strips tunnels from any "
			"source (decap attach again replaces it)\n",
			ifname);
	else if (srcs_err)
		err = srcs_err;
	if (err) {
		pr_warn("%s: %s\n", ifname,
			err == -ENOENT ? "no decap program attached" : strerror(-err));
		return err == -ENOENT ? EXIT_INVALID : EXIT_SYSTEM;
	}
	if (cli_json()) {
		cJSON *o = cJSON_CreateObject();

		cJSON *a = cJSON_AddArrayToObject(o, "sources");

		cJSON_AddStringToObject(o, "interface", ifname);
		for (int i = 0; !srcs_err && i < srcs.n; i++)
			cJSON_AddItemToArray(a, cJSON_CreateString(decap_src_str(&srcs.v[i], buf)));
		cJSON_AddBoolToObject(o, "any_source", srcs_err || decap_srcs_is_any(&srcs));
		for (int i = 0; i < XDPLB_DECAP_MAX; i++)
			cJSON_AddNumberToObject(o, names[i], (double)c[i]);
		print_json(o);
		return EXIT_OK;
	}
	printf("%s: decap", ifname);
	for (int i = 0; i < XDPLB_DECAP_MAX; i++)
		printf(" %s %llu", names[i], (unsigned long long)c[i]);
	printf("\n%s: sources", ifname);
	if (srcs_err || decap_srcs_is_any(&srcs))
		printf(" any (--any-source: tunnels from every address are stripped)");
	else
		for (int i = 0; i < srcs.n; i++)
			printf(" %s", decap_src_str(&srcs.v[i], buf));
	printf("\n");
	return EXIT_OK;
}

struct decap_args {
	int mode;
	const char *addrs[16];
	int n_addrs;
	const char *sources[MAX_SOURCE_OPTS];
	int n_sources;
	const char *configs[MAX_CONFIG_OPTS];
	int n_configs;
	bool any_source;
};

/* Is text a fleet's host file (a JSON object without "vips")? Then its
 * sources are an LB's own, and the shared file has none to give. */
static bool is_host_file(const char *text)
{
	cJSON *o = cJSON_Parse(text);
	bool host = cJSON_IsObject(o) && !cJSON_GetObjectItemCaseSensitive(o, "vips");

	cJSON_Delete(o);
	return host;
}

/* An LB config's source_v4/source_v6 into set: a whole config, or in a
 * fleet an LB's host file (docs/fleet.md). The whole file is checked
 * (schema, not guards): a config the LB would refuse is no source of truth. */
static int config_sources(const char *file, struct decap_srcs *set)
{
	static const char no_service[] = "{\"vips\": []}";
	/* the LB's interface is not this host's business: a name stands in
	 * for a config that leaves it to `load --iface` */
	struct config_opts co = { .iface = "lb", .mode = -1, .name = file };
	struct xdplb_config cfg;
	struct diags d = { 0 };
	char *text = NULL;
	size_t len = 0;
	int n = config_read_file(file, &text, &len);

	if (!n && is_host_file(text)) { /* merged into a service of no VIP */
		co.host_text = text;
		co.host_len = len;
		co.host_name = file;
		n = config_parse(no_service, sizeof(no_service) - 1, &co, &cfg, &d);
	} else if (!n) {
		n = config_parse(text, len, &co, &cfg, &d);
	}
	free(text);
	if (n == -EINVAL) {
		log_diags(&d, file);
		pr_warn("%s: %zu error%s; nothing was changed\n", file, d.n, d.n == 1 ? "" : "s");
	} else if (n) {
		pr_warn("%s: %s\n", file, config_read_strerror(n));
	}
	diags_free(&d);
	if (n)
		return n;
	n = decap_srcs_add_config(set, &cfg);
	config_free(&cfg);
	if (!n)
		pr_warn("%s: has neither source_v4 nor source_v6: no tunnel source to accept; "
			"nothing was changed\n",
			file);
	if (n == -E2BIG)
		pr_warn("%s: more than %d tunnel sources in all; nothing was changed\n", file,
			XDPLB_DECAP_MAX_SRCS);
	return n > 0 ? 0 : n ? n : -EINVAL;
}

/* The sources to accept, from --source, --config and --any-source; refuses
 * to guess: with none of them nothing is attached. */
static int attach_sources(const struct decap_args *a, struct decap_srcs *set)
{
	char why[160];
	struct decap_src s;
	int err;

	memset(set, 0, sizeof(*set));
	if (a->any_source && (a->n_sources || a->n_configs)) {
		pr_warn("decap attach: --any-source accepts every source: not with --source or --config\n");
		return -EINVAL;
	}
	if (a->any_source) {
		decap_srcs_any(set);
		return 0;
	}
	if (!a->n_sources && !a->n_configs) {
		pr_warn("decap attach: no tunnel source given; nothing was changed. Name the LBs' tunnel\n"
			"sources (their source_v4/source_v6) with --source PREFIX or --config LB.json, or\n"
			"say --any-source to strip tunnels from every address (then anyone who reaches\n"
			"this host can hand its stack packets with any client address)\n");
		return -EINVAL;
	}
	for (int i = 0; i < a->n_sources; i++) {
		if (decap_src_parse(a->sources[i], &s, why, sizeof(why))) {
			pr_warn("--source %s; nothing was changed\n", why);
			return -EINVAL;
		}
		decap_srcs_add(set, &s); /* fits: at most MAX_SOURCE_OPTS */
	}
	for (int i = 0; i < a->n_configs; i++) {
		err = config_sources(a->configs[i], set);
		if (err)
			return err;
	}
	return 0;
}

static int run_attach(void *args, int argc, char **argv)
{
	const struct decap_args *a = args;
	struct decap_srcs *srcs = calloc(1, sizeof(*srcs));
	struct decap_opts d = { .mode = a->mode,
				.extra = (const char **)a->addrs,
				.n_extra = a->n_addrs,
				.srcs = srcs };
	int err;

	if (!srcs)
		return exit_code(-ENOMEM);
	err = attach_sources(a, srcs);
	if (!err)
		err = lb_decap_attach(argv[0], &d);
	free(srcs);
	return exit_code(err);
}

static int run_detach(void *args, int argc, char **argv)
{
	return exit_code(lb_decap_detach(argv[0]));
}

static int run_dstatus(void *args, int argc, char **argv)
{
	return decap_status(argv[0]);
}

static const struct cli_opt attach_opts[] = {
	OPT("source", 's', OPT_LIST, "PREFIX",
	    "an LB's tunnel source (address or prefix, IPv4 or IPv6) to accept tunnels from (repeatable, up to 64)",
	    offsetof(struct decap_args, sources), .max_count = MAX_SOURCE_OPTS,
	    .off_count = offsetof(struct decap_args, n_sources)),
	OPT("config", 'c', OPT_LIST, "LB.json",
	    "accept tunnels from this LB config's (or LB host file's) source_v4/source_v6 (repeatable: every LB of a fleet, up to 16)",
	    offsetof(struct decap_args, configs), .max_count = MAX_CONFIG_OPTS,
	    .off_count = offsetof(struct decap_args, n_configs)),
	OPT("any-source", 0, OPT_FLAG, NULL,
	    "accept tunnels from every source (no filter: anyone who reaches the host can inject)",
	    offsetof(struct decap_args, any_source)),
	OPT("address", 'a', OPT_LIST, "ADDR",
	    "an outer destination to accept besides the interface's own addresses (repeatable, up to 16)",
	    offsetof(struct decap_args, addrs), .max_count = 16,
	    .off_count = offsetof(struct decap_args, n_addrs)),
	OPT("mode", 'm', OPT_ENUM, NULL, "XDP mode (default native; never falls back)",
	    offsetof(struct decap_args, mode), .values = mode_names),
	OPT_END,
};

static const struct cli_cmd decap_cmds[] = {
	{ .name = "attach",
	  .args = "IFACE",
	  .min_args = 1,
	  .max_args = 1,
	  .summary = "attach the decap program (again: refresh its addresses and sources)",
	  .description =
		  "Strips xdplb's tunnels (IPIP, IPv6-in-IPv6, 4in6, 6in4) addressed to IFACE's\n"
		  "addresses and --address, and passes the inner packet, addressed to the VIP, to\n"
		  "the stack. Only tunnels from the LBs' sources are stripped: --source and every\n"
		  "--config's source_v4/source_v6; one of them, or --any-source, is required. A\n"
		  "tunnel to IFACE from another source is dropped and counted (bad_source).\n"
		  "Attaching again refreshes the addresses and replaces the sources, without\n"
		  "detaching. Exit 1 when a source or config is bad or none is given; nothing is\n"
		  "changed then.\n",
	  .opts = attach_opts,
	  .args_size = sizeof(struct decap_args),
	  .run = run_attach },
	{ .name = "detach",
	  .args = "IFACE",
	  .min_args = 1,
	  .max_args = 1,
	  .summary = "detach the decap program and remove its pins",
	  .run = run_detach },
	{ .name = "status",
	  .args = "IFACE",
	  .min_args = 1,
	  .max_args = 1,
	  .summary = "the decap program's counters and the sources it accepts",
	  .description = "Exit 0; 1 when no decap program is attached.\n",
	  .run = run_dstatus },
	{ 0 },
};

const struct cli_cmd cmd_decap = {
	.name = "decap",
	.summary = "the backends' side: strip xdplb's tunnels",
	.description =
		"Runs on the backends: an XDP program that decapsulates what the LB sent, so that\n"
		"the VIP's traffic reaches the stack with the client's address (direct server\n"
		"return; the VIP is configured on lo with arp_ignore=1, arp_announce=2).\n",
	.subs = decap_cmds,
};

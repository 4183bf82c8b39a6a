// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * hc_tunnel_cmd.c - xdplb hc-tunnel attach|detach|status IFACE, xdplb
 * hc-tunnel mark BACKEND_ID: health checks through the tunnel, the LB side
 * (docs/hc-tunnel.md).
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "cli.h"
#include "hc_tunnel.h"
#include "log.h"

static const char *const hc_counter_names[XDPLB_HC_MAX] = {
	[XDPLB_HC_ENCAP] = "encapsulated",    [XDPLB_HC_PASS] = "passed",
	[XDPLB_HC_NO_BACKEND] = "no_backend", [XDPLB_HC_TOO_BIG] = "too_big",
	[XDPLB_HC_ERROR] = "error",	      [XDPLB_HC_STRAY_RST] = "stray_rst",
};

static int hc_status(const char *ifname)
{
	struct hc_tunnel_status st;
	int err = hc_tunnel_status(ifname, &st);

	if (err) {
		pr_warn("%s: %s\n", ifname,
			err == -ENOENT ? "no health-check tunnel attached" : strerror(-err));
		return err == -ENOENT ? EXIT_INVALID : EXIT_SYSTEM;
	}
	if (cli_json()) {
		cJSON *o = cJSON_CreateObject(), *c;

		cJSON_AddStringToObject(o, "interface", ifname);
		cJSON_AddBoolToObject(o, "attached", st.attached);
		cJSON_AddNumberToObject(o, "link_id", st.link_id);
		cJSON_AddNumberToObject(o, "prog_id", st.prog_id);
		cJSON_AddNumberToObject(o, "mark_tag", XDPLB_HC_MARK_TAG);
		cJSON_AddNumberToObject(o, "mark_mask", XDPLB_HC_MARK_TAG_MASK);
		cJSON_AddNumberToObject(o, "table", HC_TUNNEL_TABLE);
		c = cJSON_AddObjectToObject(o, "counters");
		for (int i = 0; i < XDPLB_HC_MAX; i++)
			cJSON_AddNumberToObject(c, hc_counter_names[i], (double)st.counters[i]);
		print_json(o);
		return st.attached ? EXIT_OK : EXIT_INVALID;
	}
	if (st.attached)
		printf("%s: health-check tunnel on egress (link %u, prog %u), fwmark 0x%x/0x%x lookup %d:",
		       ifname, st.link_id, st.prog_id, XDPLB_HC_MARK_TAG, XDPLB_HC_MARK_TAG_MASK,
		       HC_TUNNEL_TABLE);
	else
		printf("%s: health-check tunnel pinned but no longer on the interface:", ifname);
	for (int i = 0; i < XDPLB_HC_MAX; i++)
		printf(" %s %llu", hc_counter_names[i], (unsigned long long)st.counters[i]);
	printf("\n");
	return st.attached ? EXIT_OK : EXIT_INVALID;
}

static int run_mark(void *args, int argc, char **argv)
{
	char *end;
	unsigned long id = strtoul(argv[0], &end, 10);
	__u32 mark;

	if (!*argv[0] || *end || id >= XDPLB_MAX_BACKENDS || hc_tunnel_mark((__u32)id, &mark)) {
		pr_warn("xdplb hc-tunnel mark: a backend id 0..%u (xdplb status --json), got %s\n",
			XDPLB_MAX_BACKENDS - 1, argv[0]);
		return -1;
	}
	if (cli_json()) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddNumberToObject(o, "backend_id", (double)id);
		cJSON_AddNumberToObject(o, "mark", mark);
		print_json(o);
	} else {
		printf("0x%08x\n", mark);
	}
	return EXIT_OK;
}

struct attach_args {
	const char *vias[2]; /* --via GATEWAY: one IPv4, one IPv6 */
	int n_vias;
};

static int run_attach(void *args, int argc, char **argv)
{
	const struct attach_args *a = args;
	struct hc_route r[2];
	struct hc_tunnel_opts ho = { .routes = r, .n_routes = a->n_vias };
	int err;

	for (int i = 0; i < a->n_vias; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].family = (__u8)addr_parse(a->vias[i], &r[i].via);
		if (!r[i].family) {
			pr_warn("xdplb hc-tunnel attach: --via %s: not an IP address\n",
				a->vias[i]);
			return -1;
		}
		if (i && r[i].family == r[0].family) {
			pr_warn("xdplb hc-tunnel attach: --via: one gateway per family\n");
			return -1;
		}
	}
	err = hc_tunnel_attach(argv[0], &ho);
	return err == -ENOENT ? EXIT_INVALID : exit_code(err);
}

static int run_detach(void *args, int argc, char **argv)
{
	return exit_code(hc_tunnel_detach(argv[0]));
}

static int run_status(void *args, int argc, char **argv)
{
	return hc_status(argv[0]);
}

static const struct cli_opt attach_opts[] = {
	OPT("via", 'g', OPT_LIST, "GATEWAY",
	    "also install the probes' routing through this next hop (one IPv4, one IPv6)",
	    offsetof(struct attach_args, vias), .max_count = 2,
	    .off_count = offsetof(struct attach_args, n_vias)),
	OPT_END,
};

static const struct cli_cmd hc_cmds[] = {
	{ .name = "attach",
	  .args = "IFACE",
	  .min_args = 1,
	  .max_args = 1,
	  .summary = "the tunnel program on IFACE's egress (again: swapped in place)",
	  .description =
		  "Puts the tc egress program on IFACE, on the maps of the xdplb loaded there\n"
		  "(exit 1 when none is), through a tcx link pinned next to them; attaching again\n"
		  "swaps the program in place and keeps the counters. --via also installs the\n"
		  "probes' routing: `ip rule fwmark 0x7e5c0000/0xfffc0000 lookup 30820 pref 30820`\n"
		  "and `default via GATEWAY dev IFACE mtu (mtu - 40)` in table 30820, per family.\n",
	  .opts = attach_opts,
	  .args_size = sizeof(struct attach_args),
	  .run = run_attach },
	{ .name = "detach",
	  .args = "IFACE",
	  .min_args = 1,
	  .max_args = 1,
	  .summary = "remove the program, its pins, rules and routes (unload does it too)",
	  .run = run_detach },
	{ .name = "status",
	  .args = "IFACE",
	  .min_args = 1,
	  .max_args = 1,
	  .summary = "the link and the counters (exit 1 when nothing is attached)",
	  .run = run_status },
	{ .name = "mark",
	  .args = "BACKEND_ID",
	  .min_args = 1,
	  .max_args = 1,
	  .summary = "the SO_MARK of a probe to a backend id (ids: xdplb status --json)",
	  .run = run_mark },
	{ 0 },
};

const struct cli_cmd cmd_hc_tunnel = {
	.name = "hc-tunnel",
	.summary = "health-check probes through the tunnel, on the LB",
	.description =
		"A probe that sets SO_MARK to `hc-tunnel mark ID` and connects to a VIP leaves the\n"
		"LB encapsulated to backend ID exactly as client packets do, so it fails when the\n"
		"backend lost its decap program or its VIP on lo while its own port answers\n"
		"(docs/hc-tunnel.md).\n",
	.subs = hc_cmds,
};

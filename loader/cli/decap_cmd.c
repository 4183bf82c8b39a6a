// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * decap_cmd.c - xdplb decap attach|detach|status: the backends' program.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "decap.h"
#include "load.h"
#include "log.h"

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
		pr_warn("%s: %s\n", ifname,
			err == -ENOENT ? "no decap program attached" : strerror(-err));
		return err == -ENOENT ? EXIT_INVALID : EXIT_SYSTEM;
	}
	if (cli_json()) {
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

struct decap_args {
	int mode;
	const char *addrs[16];
	int n_addrs;
};

static int run_attach(void *args, int argc, char **argv)
{
	const struct decap_args *a = args;
	struct decap_opts d = { .mode = a->mode,
				.extra = (const char **)a->addrs,
				.n_extra = a->n_addrs };

	return exit_code(lb_decap_attach(argv[0], &d));
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
	  .summary = "attach the decap program (again: refresh its addresses)",
	  .description =
		  "Strips xdplb's tunnels (IPIP, IPv6-in-IPv6, 4in6, 6in4) addressed to IFACE's\n"
		  "addresses and --address, and passes the inner packet, addressed to the VIP, to\n"
		  "the stack. Attaching again refreshes the addresses.\n",
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
	  .summary = "the decap program's counters",
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

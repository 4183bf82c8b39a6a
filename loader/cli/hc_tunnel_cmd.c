// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * hc_tunnel_cmd.c - xdplb hc-tunnel attach|detach|status IFACE, xdplb
 * hc-tunnel mark BACKEND_ID: health checks through the tunnel, the LB side
 * (docs/hc-tunnel.md).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "cli.h"
#include "hc_tunnel.h"

static const char *const hc_counter_names[XDPLB_HC_MAX] = {
	[XDPLB_HC_ENCAP] = "encapsulated",    [XDPLB_HC_PASS] = "passed",
	[XDPLB_HC_NO_BACKEND] = "no_backend", [XDPLB_HC_TOO_BIG] = "too_big",
	[XDPLB_HC_ERROR] = "error",
};

static int hc_status(const char *ifname)
{
	struct hc_tunnel_status st;
	int err = hc_tunnel_status(ifname, &st);

	if (err) {
		fprintf(stderr, "%s: %s\n", ifname,
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

static int hc_mark(const char *arg)
{
	char *end;
	unsigned long id = strtoul(arg, &end, 10);
	__u32 mark;

	if (!*arg || *end || id >= XDPLB_MAX_BACKENDS || hc_tunnel_mark((__u32)id, &mark)) {
		fprintf(stderr,
			"xdplb hc-tunnel mark: a backend id 0..%u (xdplb status --json), got %s\n",
			XDPLB_MAX_BACKENDS - 1, arg);
		return EXIT_USAGE;
	}
	if (cli_json())
		printf("{ \"backend_id\": %lu, \"mark\": %u }\n", id, mark);
	else
		printf("0x%08x\n", mark);
	return EXIT_OK;
}

static int hc_attach(const char *ifname, const struct opts *o)
{
	struct hc_route r[2];
	struct hc_tunnel_opts ho = { .routes = r, .n_routes = o->n_vias };
	int err;

	for (int i = 0; i < o->n_vias; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].family = (__u8)addr_parse(o->vias[i], &r[i].via);
		if (!r[i].family) {
			fprintf(stderr, "xdplb hc-tunnel: --via %s: not an IP address\n",
				o->vias[i]);
			return EXIT_USAGE;
		}
		if (i && r[i].family == r[0].family) {
			fprintf(stderr, "xdplb hc-tunnel: --via: one gateway per family\n");
			return EXIT_USAGE;
		}
	}
	err = hc_tunnel_attach(ifname, &ho);
	return err == -ENOENT ? EXIT_INVALID : exit_code(err);
}

int do_hc_tunnel(int argc, char **argv)
{
	const char *verb;
	struct opts o;

	if (argc < 3)
		return -EXIT_USAGE;
	verb = argv[1];
	if (parse_opts(argc - 1, argv + 1, "gj", &o) || optind != argc - 2)
		return -EXIT_USAGE;
	if (o.n_vias && strcmp(verb, "attach")) {
		fprintf(stderr, "xdplb hc-tunnel %s: --via applies to attach only\n", verb);
		return -EXIT_USAGE;
	}
	if (!strcmp(verb, "attach"))
		return hc_attach(argv[argc - 1], &o);
	if (!strcmp(verb, "detach"))
		return exit_code(hc_tunnel_detach(argv[argc - 1]));
	if (!strcmp(verb, "status"))
		return hc_status(argv[argc - 1]);
	if (!strcmp(verb, "mark"))
		return hc_mark(argv[argc - 1]);
	return -EXIT_USAGE;
}

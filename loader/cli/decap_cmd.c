// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * decap_cmd.c - xdplb decap attach|detach|status: the backends' program.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "decap.h"
#include "load.h"

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

int do_decap(int argc, char **argv)
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

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xdplb.c - the command line: global options and the table of subcommands
 * (commands.h); exit codes in cli.h.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "serve.h"
#include "xdplb_abi.h"

#define XDPLB_VERSION "0.1.0"

static int do_help(int argc, char **argv);

static int do_version(int argc, char **argv)
{
	if (cli_json())
		printf("{ \"version\": \"%s\", \"abi\": %d }\n", XDPLB_VERSION, XDPLB_ABI_VERSION);
	else
		printf("xdplb %s (ABI %d)\n", XDPLB_VERSION, XDPLB_ABI_VERSION);
	return EXIT_OK;
}

static const struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
} cmds[] = {
	{ "validate", do_validate,
	  "validate CONFIG [--iface IF] [--mode native|generic] [--force] [--json]" },
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
	{ "hc-tunnel", do_hc_tunnel,
	  "hc-tunnel attach IFACE [--via GATEWAY]... | detach|status IFACE [--json] | mark BACKEND_ID" },
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
	fprintf(f, "usage: xdplb [-v|-vv] [--json] COMMAND [ARGS]\n\ncommands:\n");
	for (const struct cmd *c = cmds; c->name; c++)
		fprintf(f, "  xdplb %s\n", c->usage);
	fprintf(f,
		"\nexit codes: 0 ok, 1 invalid, refused, verification failed, drift or not loaded,\n"
		"2 usage, 3 system error\n"
		"docs: README.md, docs/cli.md, docs/config.md, docs/runbook.md\n");
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
			cli_set_json(true);
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
		for (int k = i + 1; k < argc; k++) {
			if (!strcmp(argv[k], "--"))
				break;
			if (!strcmp(argv[k], "-h") || !strcmp(argv[k], "--help")) {
				usage(stdout, c);
				return EXIT_OK;
			}
		}
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

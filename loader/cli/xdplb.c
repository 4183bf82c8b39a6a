// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xdplb.c - the command line: global options and the table of commands.
 * Each command is a table of its own (opts.h) in its family's file; the
 * usage, every --help, docs/cli.md's reference and the man page are made
 * from those tables.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "version.h"
#include "log.h"
#include "xdplb_abi.h"

static int run_version(void *args, int argc, char **argv)
{
	if (cli_json()) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "version", XDPLB_VERSION);
		cJSON_AddNumberToObject(o, "abi", XDPLB_ABI_VERSION);
		print_json(o);
	} else {
		printf("xdplb %s (ABI %d)\n", XDPLB_VERSION, XDPLB_ABI_VERSION);
	}
	return EXIT_OK;
}

static const struct cli_cmd cmd_version = {
	.name = "version",
	.summary = "this binary's version and BPF ABI",
	.run = run_version,
};

static const struct cli_cmd cmd_help;

/* In the order of the usage and the reference. */
const struct cli_cmd *const cli_commands[] = {
	&cmd_validate, &cmd_load,      &cmd_run,     &cmd_diff,	    &cmd_history,
	&cmd_rollback, &cmd_audit,     &cmd_status,  &cmd_backend,  &cmd_announce,
	&cmd_stats,    &cmd_explain,   &cmd_unload,  &cmd_simulate, &cmd_serve,
	&cmd_decap,    &cmd_hc_tunnel, &cmd_version, &cmd_help,	    NULL,
};

static const char *const globals =
	"global options (before the command):\n"
	"  -v, --verbose   more diagnostics (-vv: libbpf's debug output too)\n"
	"  -q, --quiet     warnings and errors only (the service then logs no verdicts or reloads)\n"
	"  -j, --json      JSON output, as the command's own --json\n"
	"  -h, --help      this help\n"
	"  -V, --version   as `xdplb version`\n";

static const char *const exits =
	"exit codes: 0 ok; 1 invalid, refused, verification failed, drift or not loaded;\n"
	"2 usage; 3 system error (BPF, netlink, I/O)\n";

static void usage(FILE *f)
{
	fprintf(f, "usage: xdplb [-v|-vv|-q] [--json] COMMAND [ARGS]\n\ncommands:\n");
	for (int i = 0; cli_commands[i]; i++)
		fprintf(f, "  %-10s %s\n", cli_commands[i]->name, cli_commands[i]->summary);
	fprintf(f,
		"\n%s\n%s\nxdplb COMMAND --help explains a command and every option;\n"
		"docs: README.md, docs/cli.md, docs/config.md, docs/runbook.md\n",
		globals, exits);
}

static const struct cli_cmd *find(const char *name)
{
	for (int i = 0; name && cli_commands[i]; i++)
		if (!strcmp(cli_commands[i]->name, name))
			return cli_commands[i];
	return NULL;
}

struct help_args {
	int format; /* enum help_format */
};

static const char *const help_formats[] = { "text", "markdown", NULL };

/* The whole reference, as docs/cli.md carries it between its markers. */
static void reference(enum help_format fmt)
{
	for (int i = 0; cli_commands[i]; i++)
		cli_help(stdout, cli_commands[i], "xdplb", fmt);
}

static int run_help(void *args, int argc, char **argv)
{
	const struct help_args *a = args;
	const struct cli_cmd *c = argc ? find(argv[0]) : NULL;

	if (argc && !c) {
		pr_err("xdplb help: no command %s\n", argv[0]);
		return -1;
	}
	if (c)
		cli_help(stdout, c, "xdplb", a->format);
	else if (a->format == HELP_MARKDOWN)
		reference(HELP_MARKDOWN);
	else
		usage(stdout);
	return EXIT_OK;
}

static const struct cli_opt help_opts[] = {
	OPT("format", 'F', OPT_ENUM, NULL,
	    "text, or markdown (without a command: the reference of docs/cli.md)",
	    offsetof(struct help_args, format), .values = help_formats),
	OPT_END,
};

static const struct cli_cmd cmd_help = {
	.name = "help",
	.args = "[COMMAND]",
	.max_args = 1,
	.summary = "the commands, or one command and every option",
	.opts = help_opts,
	.args_size = sizeof(struct help_args),
	.run = run_help,
};

/* Options before the command. Returns the index of the command, or an
 * exit code below 0 (negated) when it is done. */
static int global_opts(int argc, char **argv)
{
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose"))
			log_level = log_level == LOG_WARN ? LOG_INFO : LOG_DEBUG;
		else if (!strcmp(argv[i], "-vv"))
			log_level = LOG_DEBUG;
		else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet"))
			log_quiet = true;
		else if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json"))
			cli_set_json(true);
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return -(usage(stdout), EXIT_OK) - 1;
		else if (!strcmp(argv[i], "-V") || !strcmp(argv[i], "--version"))
			return -run_version(NULL, 0, NULL) - 1;
		else
			return pr_err("xdplb: unknown option %s\n", argv[i]), -EXIT_USAGE - 1;
	}
	if (i == argc) {
		pr_err("xdplb: which command?\n");
		return -EXIT_USAGE - 1;
	}
	return i;
}

int main(int argc, char **argv)
{
	const struct cli_cmd *c;
	int i, ret;

	/* --json may come after the command: collect from the start */
	cli_errors_collect();
	log_setup_libbpf();
	i = global_opts(argc, argv);
	if (i < 0) {
		ret = -i - 1;
		if (ret == EXIT_USAGE && !cli_json())
			usage(stderr);
	} else if (!(c = find(argv[i]))) {
		for (int k = i + 1; k < argc; k++) /* --json after it still asks for JSON */
			if (!strcmp(argv[k], "--json") || !strcmp(argv[k], "-j"))
				cli_set_json(true);
		pr_err("xdplb: unknown command '%s'\n", argv[i]);
		if (!cli_json())
			usage(stderr);
		ret = EXIT_USAGE;
	} else {
		ret = cli_dispatch(c, argc - i, argv + i, "xdplb");
	}
	fflush(stdout);
	cli_errors_json(ret);
	return ret;
}

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * opts.h - one table per command: its arguments, its options with their
 * types, ranges and one line of help, and what it does. From the table
 * come the parsing, `xdplb COMMAND --help`, the command reference in
 * docs/cli.md (`xdplb help --format markdown`; a test compares the two),
 * and the man page. Nothing about a command's options is written twice.
 */
#ifndef XDPLB_OPTS_H
#define XDPLB_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum opt_kind {
	OPT_FLAG, /* bool */
	OPT_STR, /* const char * */
	OPT_UINT, /* unsigned long long in [min, max] */
	OPT_NUM, /* double in [min, max], or (min, max] with min_open */
	OPT_ENUM, /* int: the index of the value in values[] */
	OPT_LIST, /* const char *[max_count], repeatable; the count in an int at off_count */
};

struct cli_opt {
	const char *name; /* --name */
	char short_name; /* -x, or 0 */
	enum opt_kind kind;
	const char *arg; /* what the value is called in the usage: IF, SEC, N */
	const char *help; /* one line */
	size_t off; /* where the value goes in the command's arguments */
	double min, max; /* OPT_UINT, OPT_NUM */
	bool min_open;
	const char *const *values; /* OPT_ENUM, NULL-terminated */
	int max_count; /* OPT_LIST */
	size_t off_count;
	const char *what; /* a bad value is refused with "must be WHAT, got V"; default: the range */
};

/* A table entry: the first six fields in order, then any of .min, .max,
 * .min_open, .values, .max_count, .off_count, .what by name. */
#define OPT(n, s, k, a, h, o, ...)                                                                \
	{                                                                                         \
		.name = (n), .short_name = (s), .kind = (k), .arg = (a), .help = (h), .off = (o), \
		##__VA_ARGS__                                                                     \
	}

#define OPT_END   \
	{         \
		0 \
	}

struct cli_cmd {
	const char *name;
	const char *args; /* the arguments in the usage: "CONFIG", "[OLD] NEW" */
	int min_args, max_args;
	const char *summary; /* one line, for the command list */
	const char *description; /* what it does, exit status: --help, docs, man */
	const struct cli_opt *opts; /* OPT_END-terminated; --json and --help are implied */
	size_t args_size; /* the command's arguments structure */
	void (*init)(void *args); /* defaults; NULL: all zero */
	/* runs with the arguments parsed and argv[0..argc) the positional
	 * ones; returns an exit code (enum in cli.h) */
	int (*run)(void *args, int argc, char **argv);
	const struct cli_cmd *subs; /* subcommands (decap attach|detach|status), NULL-name ended */
};

/* Every command, NULL-ended (xdplb.c): says which command an option of
 * another one belongs to. */
extern const struct cli_cmd *const cli_commands[];

/* Parses argv[0] (the command name), options and arguments, and runs the
 * command; `COMMAND --help` prints its help. Usage errors are said on
 * stderr with the reason and return EXIT_USAGE. */
int cli_dispatch(const struct cli_cmd *cmd, int argc, char **argv, const char *prefix);

enum help_format { HELP_TEXT, HELP_MARKDOWN };

/* The usage line: "load CONFIG [--iface IF] ... [--json]". */
void cli_usage_line(FILE *f, const struct cli_cmd *c, const char *prefix);
/* A command's whole help: usage, description, every option explained. */
void cli_help(FILE *f, const struct cli_cmd *c, const char *prefix, enum help_format fmt);

#endif

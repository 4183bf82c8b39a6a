// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * opts.c - parsing and help from a command's table (opts.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "opts.h"

#define MAX_OPTS 32

/* Every command also takes these two. */
static const struct cli_opt common[] = {
	OPT("json", 'j', OPT_FLAG, NULL,
	    "JSON on stdout, errors included ({\"error\": ...}); also before the command", 0),
	OPT("help", 'h', OPT_FLAG, NULL, "this help", 0),
};
enum { COMMON_JSON, COMMON_HELP, N_COMMON };

static int n_opts(const struct cli_opt *o)
{
	int n = 0;

	while (o && o[n].name)
		n++;
	return n;
}

/* The i-th option of a command, its own first, then the common ones. */
static const struct cli_opt *opt_at(const struct cli_cmd *c, int i)
{
	int n = n_opts(c->opts);

	return i < n ? &c->opts[i] : i < n + N_COMMON ? &common[i - n] : NULL;
}

/* "native|generic", the argument's name, or NULL for a flag. */
static const char *arg_name(const struct cli_opt *o, char *buf, size_t len)
{
	size_t n = 0;

	if (o->kind == OPT_FLAG)
		return NULL;
	if (o->kind != OPT_ENUM || o->arg)
		return o->arg ? o->arg : "VALUE";
	buf[0] = '\0';
	for (int i = 0; o->values[i] && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? "|" : "", o->values[i]);
	return buf;
}

/* "1..100000000", "more than 0 and at most 3600", "native or generic" */
static const char *what(const struct cli_opt *o, char *buf, size_t len)
{
	if (o->what)
		return o->what;
	if (o->kind == OPT_ENUM) {
		size_t n = 0;

		buf[0] = '\0';
		for (int i = 0; o->values[i] && n < len; i++)
			n += (size_t)snprintf(buf + n, len - n, "%s%s",
					      !i	       ? "" :
					      o->values[i + 1] ? ", " :
								 " or ",
					      o->values[i]);
	} else if (o->min_open) {
		snprintf(buf, len, "more than %g and at most %g", o->min, o->max);
	} else {
		snprintf(buf, len, "%.15g..%.15g", o->min, o->max);
	}
	return buf;
}

static void *field(void *args, size_t off)
{
	return (char *)args + off;
}

static int bad_value(const char *prefix, const struct cli_opt *o, const char *v)
{
	char buf[160];

	pr_err("%s: --%s: %s, got %s\n", prefix, o->name, what(o, buf, sizeof(buf)), v);
	return -1;
}

/* Stores one option's value into args. */
static int store(const char *prefix, const struct cli_opt *o, const char *v, void *args)
{
	char *end;

	switch (o->kind) {
	case OPT_FLAG:
		*(bool *)field(args, o->off) = true;
		return 0;
	case OPT_STR:
		if (!*v)
			return bad_value(prefix, o, v);
		*(const char **)field(args, o->off) = v;
		return 0;
	case OPT_UINT: {
		unsigned long long n;

		errno = 0;
		n = strtoull(v, &end, 10);
		if (!*v || *end || errno || *v == '-' || (double)n < o->min || (double)n > o->max)
			return bad_value(prefix, o, v);
		*(unsigned long long *)field(args, o->off) = n;
		return 0;
	}
	case OPT_NUM: {
		double d = strtod(v, &end);

		if (!*v || *end || !isfinite(d) || (o->min_open ? d <= o->min : d < o->min) ||
		    d > o->max)
			return bad_value(prefix, o, v);
		*(double *)field(args, o->off) = d;
		return 0;
	}
	case OPT_ENUM:
		for (int i = 0; o->values[i]; i++) {
			if (!strcmp(v, o->values[i])) {
				*(int *)field(args, o->off) = i;
				return 0;
			}
		}
		return bad_value(prefix, o, v);
	case OPT_LIST: {
		int *count = field(args, o->off_count);

		if (*count >= o->max_count) {
			pr_err("%s: --%s: at most %d of them\n", prefix, o->name, o->max_count);
			return -1;
		}
		if (!*v)
			return bad_value(prefix, o, v);
		((const char **)field(args, o->off))[(*count)++] = v;
		return 0;
	}
	}
	return -1;
}

/* getopt_long's tables from a command's: long option val = index + 256. */
static int getopt_tables(const struct cli_cmd *c, struct option *lo, char *shorts)
{
	int n = 0, s = 0;
	const struct cli_opt *o;

	shorts[s++] = ':'; /* a missing value is ':', not '?' */
	for (int i = 0; (o = opt_at(c, i)); i++, n++) {
		if (n == MAX_OPTS - 1)
			return -1;
		lo[n] = (struct option){ o->name,
					 o->kind == OPT_FLAG ? no_argument : required_argument,
					 NULL, 256 + i };
		if (o->short_name) {
			shorts[s++] = o->short_name;
			if (o->kind != OPT_FLAG)
				shorts[s++] = ':';
		}
	}
	lo[n] = (struct option){ 0 };
	shorts[s] = '\0';
	return 0;
}

static int index_of_short(const struct cli_cmd *c, int ch)
{
	const struct cli_opt *o;

	for (int i = 0; (o = opt_at(c, i)); i++)
		if (o->short_name == ch)
			return i;
	return -1;
}

/* A command that takes the long option arg ("--verify" or "--verify=5"). */
static const char *owner_of(const char *arg)
{
	size_t len = strcspn(arg + 2, "=");

	if (strncmp(arg, "--", 2))
		return NULL;
	for (int i = 0; cli_commands[i]; i++)
		for (const struct cli_opt *o = cli_commands[i]->opts; o && o->name; o++)
			if (strlen(o->name) == len && !strncmp(o->name, arg + 2, len))
				return cli_commands[i]->name;
	return NULL;
}

/* Options into args; positional ones left in argv[optind..]. 1 for --help,
 * -1 for a usage error (said), 0. */
static int parse(const struct cli_cmd *c, int argc, char **argv, const char *prefix, void *args)
{
	struct option lo[MAX_OPTS];
	char shorts[2 * MAX_OPTS + 2];
	int ch, idx, help = 0;

	if (getopt_tables(c, lo, shorts))
		return -1;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		if (ch == '?' || ch == ':') {
			const char *arg = argv[optind - 1];

			const char *owner = ch == '?' && !optopt ? owner_of(arg) : NULL;

			if (ch == ':')
				pr_err("%s: %s needs a value\n", prefix, arg);
			else if (optopt)
				pr_err("%s: unknown option -%c\n", prefix, optopt);
			else if (owner)
				pr_err("%s: %.40s: does not apply to this command (it is one of %s's)\n",
				       prefix, arg, owner);
			else
				pr_err("%s: unknown option %s\n", prefix, arg);
			return -1;
		}
		idx = ch >= 256 ? ch - 256 : index_of_short(c, ch);
		if (idx < 0)
			return -1;
		if (idx == n_opts(c->opts) + COMMON_JSON)
			cli_set_json(true);
		else if (idx == n_opts(c->opts) + COMMON_HELP)
			help = 1;
		else if (store(prefix, opt_at(c, idx), optarg, args))
			return -1;
	}
	return help;
}

static const struct cli_cmd *find_sub(const struct cli_cmd *c, const char *name)
{
	for (const struct cli_cmd *s = c->subs; s && s->name; s++)
		if (name && !strcmp(s->name, name))
			return s;
	return NULL;
}

static bool wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return true;
	return false;
}

int cli_dispatch(const struct cli_cmd *c, int argc, char **argv, const char *prefix)
{
	char name[64];
	void *args;
	int r, npos;

	snprintf(name, sizeof(name), "%s %s", prefix, c->name);
	if (c->subs) {
		const struct cli_cmd *s = find_sub(c, argc > 1 ? argv[1] : NULL);

		if (s)
			return cli_dispatch(s, argc - 1, argv + 1, name);
		if (wants_help(argc, argv)) {
			cli_help(stdout, c, prefix, HELP_TEXT);
			return EXIT_OK;
		}
		pr_err("%s: %s%s\n", name, argc > 1 ? "unknown subcommand " : "which one?",
		       argc > 1 ? argv[1] : "");
		cli_help(stderr, c, prefix, HELP_TEXT);
		return EXIT_USAGE;
	}
	/* --json anywhere: even a usage error is then said in JSON */
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j"))
			cli_set_json(true);
	args = calloc(1, c->args_size ? c->args_size : 1);
	if (!args)
		return EXIT_SYSTEM;
	if (c->init)
		c->init(args);
	r = parse(c, argc, argv, name, args);
	npos = argc - optind;
	if (r == 1) {
		cli_help(stdout, c, prefix, HELP_TEXT);
		r = EXIT_OK;
	} else if (!r && (npos < c->min_args || npos > c->max_args)) {
		pr_err("%s: %s\n", name,
		       npos < c->min_args ? "missing arguments" : "too many arguments");
		r = -1;
	} else if (!r) {
		r = c->run(args, npos, argv + optind);
	}
	if (r < 0) {
		fprintf(stderr, "usage: ");
		cli_usage_line(stderr, c, prefix);
		fprintf(stderr, "(%s %s --help says more)\n", prefix, c->name);
		r = EXIT_USAGE;
	}
	free(args);
	return r;
}

/* ------------------------------------------------------------------ help */

/* Calls fn on every subcommand of c, with "PREFIX NAME" as their prefix. */
static void each_sub(FILE *f, const struct cli_cmd *c, const char *prefix,
		     void (*fn)(FILE *, const struct cli_cmd *, const char *))
{
	char p[64];

	snprintf(p, sizeof(p), "%s %s", prefix, c->name);
	for (const struct cli_cmd *s = c->subs; s->name; s++)
		fn(f, s, p);
}

void cli_usage_line(FILE *f, const struct cli_cmd *c, const char *prefix)
{
	const struct cli_opt *o;
	char buf[160];

	if (c->subs) {
		each_sub(f, c, prefix, cli_usage_line);
		return;
	}
	fprintf(f, "%s %s%s%s", prefix, c->name, c->args ? " " : "", c->args ? c->args : "");
	for (int i = 0; (o = opt_at(c, i)); i++) {
		const char *a = arg_name(o, buf, sizeof(buf));

		if (o == &common[COMMON_HELP])
			continue;
		fprintf(f, " [--%s%s%s]%s", o->name, a ? " " : "", a ? a : "",
			o->kind == OPT_LIST ? "..." : "");
	}
	fprintf(f, "\n");
}

/* "-i, --iface IF" */
static void opt_label(const struct cli_opt *o, char *out, size_t len)
{
	char buf[160];
	const char *a = arg_name(o, buf, sizeof(buf));

	snprintf(out, len, "%s%c%s--%s%s%s", o->short_name ? "-" : "",
		 o->short_name ? o->short_name : ' ', o->short_name ? ", " : "  ", o->name,
		 a ? " " : "", a ? a : "");
	if (!o->short_name)
		memmove(out, out + 1, strlen(out)); /* no "- " for a long-only option */
}

static void help_text(FILE *f, const struct cli_cmd *c, const char *prefix)
{
	const struct cli_opt *o;
	char label[200];

	fprintf(f, "usage: ");
	cli_usage_line(f, c, prefix);
	fprintf(f, "\n%s\n", c->summary);
	if (c->description)
		fprintf(f, "\n%s", c->description);
	if (c->subs) {
		fprintf(f, "\nsubcommands:\n");
		for (const struct cli_cmd *s = c->subs; s->name; s++)
			fprintf(f, "  %-10s %s\n", s->name, s->summary);
		fprintf(f, "\n%s %s SUBCOMMAND --help says more.\n", prefix, c->name);
		return;
	}
	fprintf(f, "\noptions:\n");
	for (int i = 0; (o = opt_at(c, i)); i++) {
		opt_label(o, label, sizeof(label));
		fprintf(f, "  %-28s %s\n", label, o->help);
	}
}

/* A table cell: | would end it. */
static void md_cell(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputc('\\', f);
		fputc(*s, f);
	}
}

static void help_markdown(FILE *f, const struct cli_cmd *c, const char *prefix)
{
	const struct cli_opt *o;
	char label[200];

	fprintf(f, "### %s %s\n\n%s\n\n```\n", prefix, c->name, c->summary);
	cli_usage_line(f, c, prefix);
	fprintf(f, "```\n\n");
	if (c->description)
		fprintf(f, "%s\n", c->description);
	if (c->subs) {
		each_sub(f, c, prefix, help_markdown);
		return;
	}
	fprintf(f, "| option | |\n|---|---|\n");
	for (int i = 0; (o = opt_at(c, i)); i++) {
		opt_label(o, label, sizeof(label));
		fprintf(f, "| `");
		md_cell(f, label);
		fprintf(f, "` | ");
		md_cell(f, o->help);
		fprintf(f, " |\n");
	}
	fprintf(f, "\n");
}

void cli_help(FILE *f, const struct cli_cmd *c, const char *prefix, enum help_format fmt)
{
	if (fmt == HELP_MARKDOWN)
		help_markdown(f, c, prefix);
	else
		help_text(f, c, prefix);
}

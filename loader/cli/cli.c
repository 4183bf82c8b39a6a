// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * cli.c - what the subcommands share: options, exit codes, reading and checking
 * a config file, the interface a command is about.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "load.h"
#include "status.h"

static bool json_out;

bool cli_json(void)
{
	return json_out;
}

void cli_set_json(bool on)
{
	json_out = on;
}

int exit_code(int err)
{
	if (!err)
		return EXIT_OK;
	return err == -EINVAL || err == -ECANCELED ? EXIT_INVALID : EXIT_SYSTEM;
}

void print_json(cJSON *o)
{
	char *s = cJSON_Print(o);

	if (s)
		printf("%s\n", s);
	free(s);
	cJSON_Delete(o);
}

/* An option the command cannot take: says which and why (the caller then
 * prints the command's usage). */
static int bad_opt(char **argv, const struct option *lo, int c, const char *why, const char *got)
{
	while (lo->name && lo->val != c)
		lo++;
	fprintf(stderr, "xdplb %s: --%s: %s%s%s\n", argv[0], lo->name ? lo->name : "?", why,
		got ? " " : "", got ? got : "");
	return -1;
}

/* Parses argv for the options a command accepts (a string of letters);
 * leaves positional arguments in argv[optind..]. */
int parse_opts(int argc, char **argv, const char *accept, struct opts *o)
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
						  { "via", required_argument, NULL, 'g' },
						  { 0 } };
	int c;

	memset(o, 0, sizeof(*o));
	o->mode = -1;
	o->flows = 100000;
	optind = 1;
	while ((c = getopt_long(argc, argv, "i:m:n:jfa:hs:V:t:g:", longopts, NULL)) != -1) {
		if (c == '?') /* getopt said why */
			return -1;
		if (c == 'h' || !strchr(accept, c))
			return bad_opt(argv, longopts, c, "does not apply to this command", NULL);
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
				return bad_opt(argv, longopts, c, "native or generic, got", optarg);
			break;
		case 'n': {
			char *end;

			o->flows = strtoull(optarg, &end, 10);
			if (*end || !o->flows || o->flows > 100000000ULL)
				return bad_opt(argv, longopts, c, "1..100000000, got", optarg);
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
				return bad_opt(argv, longopts, c, "at most 16 of them", NULL);
			o->addrs[o->n_addrs++] = optarg;
			break;
		case 's':
			o->state_dir = optarg;
			break;
		case 'g':
			if (o->n_vias == 2)
				return bad_opt(argv, longopts, c, "at most 2 of them (IPv4, IPv6)",
					       NULL);
			o->vias[o->n_vias++] = optarg;
			break;
		case 'V': {
			char *end;

			o->verify = strtod(optarg, &end);
			if (*end || !(o->verify > 0) || o->verify > 3600)
				return bad_opt(argv, longopts, c,
					       "seconds, more than 0 and at most 3600, got",
					       optarg);
			break;
		}
		case 't': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (*end || !v || v > 999999)
				return bad_opt(argv, longopts, c,
					       "a history entry number (xdplb history), got",
					       optarg);
			o->to = (unsigned int)v;
			break;
		}
		}
	}
	return 0;
}

/* Validates a config file; prints errors on stderr (or in JSON), and guard
 * refusals as warnings when forced. *text keeps the bytes validated. */
int check_text(const char *file, const struct opts *o, struct checked *c, char **text, size_t *len)
{
	struct config_opts co = { .iface = o->iface, .mode = o->mode, .force = o->force };
	struct diags d = { 0 };
	int err = config_read_file(file, text, len);

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

int check(const char *file, const struct opts *o, struct checked *c)
{
	char *text;
	size_t len;
	int err = check_text(file, o, c, &text, &len);

	if (!err)
		free(text);
	return err;
}

/* The interface named, or the only one loaded in this network namespace. */
int cli_pick_iface(const char *want, char *out)
{
	char names[64][IF_NAMESIZE];
	int n;

	if (want) {
		snprintf(out, IF_NAMESIZE, "%s", want);
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

int pick_iface(const struct opts *o, int argc, char **argv, char *out)
{
	return cli_pick_iface(o->iface ? o->iface : optind < argc ? argv[optind] : NULL, out);
}

void state_dir_of(const struct opts *o, const char *ifname, char *buf, size_t len)
{
	if (o->state_dir)
		snprintf(buf, len, "%s", o->state_dir);
	else
		history_default_dir(ifname, buf, len);
}

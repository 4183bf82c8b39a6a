// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * cli.c - what the subcommands share: options, exit codes, reading and checking
 * a config file, the interface a command is about.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "render.h"
#include "history.h"
#include "log.h"
#include "status.h"

static bool json_out, json_printed;
static char **errors; /* errors and warnings said on stderr, for {"error": ...} */
static size_t n_errors, cap_errors;

const char *const mode_names[] = { "native", "generic", NULL };

bool cli_json(void)
{
	return json_out;
}

void cli_set_json(bool on)
{
	json_out = on;
}

/* Short decimals: a fraction with 6 significant digits (0.666667, not
 * cJSON's round-trip 0.66666666666666663), a larger number with 6 decimals
 * (a timestamp keeps its microseconds). Integers (ids, counters,
 * generations) stay exact. */
static void json_shorten(cJSON *o)
{
	for (cJSON *c = o ? o->child : NULL; c; c = c->next) {
		double v = c->valuedouble;

		if (cJSON_IsNumber(c) && isfinite(v) && v != floor(v)) {
			char b[32];

			if (fabs(v) < 1)
				snprintf(b, sizeof(b), "%.6g", v);
			else
				snprintf(b, sizeof(b), "%.6f", v);
			cJSON_SetNumberValue(c, strtod(b, NULL));
		}
		json_shorten(c);
	}
}

static void emit_json(cJSON *o, bool pretty)
{
	char *s;

	json_shorten(o);
	s = pretty ? cJSON_Print(o) : cJSON_PrintUnformatted(o);

	if (s)
		printf("%s\n", s);
	free(s);
	cJSON_Delete(o);
	json_printed = true;
}

void print_json(cJSON *o)
{
	emit_json(o, true);
}

void print_json_line(cJSON *o)
{
	emit_json(o, false);
}

bool cli_json_printed(void)
{
	return json_printed;
}

static void keep_error(const char *msg)
{
	size_t len = strlen(msg);

	/* doubling: grown by one, 150,000 messages (a file of unknown keys)
	 * made realloc copy quadratically: 194 s under ASan, 4 s now */
	if (n_errors == cap_errors) {
		size_t cap = cap_errors ? 2 * cap_errors : 16;
		char **n = realloc(errors, cap * sizeof(*errors));

		if (!n)
			return;
		errors = n;
		cap_errors = cap;
	}
	errors[n_errors] = strndup(msg, len && msg[len - 1] == '\n' ? len - 1 : len);
	if (errors[n_errors])
		n_errors++;
}

void cli_errors_collect(void)
{
	log_set_hook(keep_error);
}

void cli_errors_json(int ret)
{
	cJSON *o, *arr;
	char msg[1024] = "";

	if (!json_out || !ret || json_printed)
		return;
	o = cJSON_CreateObject();
	/* the first is the cause; the rest say what came of it */
	if (n_errors)
		snprintf(msg, sizeof(msg), "%s", errors[0]);
	else
		snprintf(msg, sizeof(msg), "%s", ret == EXIT_USAGE ? "usage error" : "failed");
	cJSON_AddStringToObject(o, "error", msg);
	arr = cJSON_AddArrayToObject(o, "messages");
	for (size_t i = 0; i < n_errors; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(errors[i]));
	cJSON_AddNumberToObject(o, "exit_code", ret);
	print_json(o);
}

int exit_code(int err)
{
	if (!err)
		return EXIT_OK;
	return err == -EINVAL || err == -ECANCELED || err == -EFBIG ? EXIT_INVALID : EXIT_SYSTEM;
}

void cfg_text_free(struct cfg_text *t)
{
	free(t->text);
	free(t->host);
	memset(t, 0, sizeof(*t));
}

static int read_one(const char *file, char **text, size_t *len)
{
	int err = config_read_file(file, text, len);

	if (err)
		pr_err("%s: %s\n", file, config_read_strerror(err));
	return err;
}

static void print_invalid(const char *file, const char *host, const struct diags *d)
{
	if (json_out) {
		cJSON *r = cJSON_CreateObject();

		cJSON_AddStringToObject(r, "file", file);
		if (host)
			cJSON_AddStringToObject(r, "host_file", host);
		cJSON_AddBoolToObject(r, "valid", false);
		cJSON_AddItemToObject(r, "errors", diags_json(d));
		print_json(r);
		return;
	}
	log_diags(d, file);
	pr_err("%s: %zu error%s; nothing was changed\n", file, d->n, d->n == 1 ? "" : "s");
}

int check_text(const char *file, const struct cfg_args *o, struct checked *c, struct cfg_text *t)
{
	struct config_opts co = { .iface = o->iface,
				  .mode = o->mode,
				  .force = o->force,
				  .name = file,
				  .host_name = o->host,
				  .shared = o->shared };
	struct diags d = { 0 };
	int err;

	memset(t, 0, sizeof(*t));
	err = read_one(file, &t->text, &t->len);
	if (!err && o->host)
		err = read_one(o->host, &t->host, &t->host_len);
	if (err) {
		cfg_text_free(t);
		return err;
	}
	co.host_text = t->host;
	co.host_len = t->host_len;
	err = validate_text(t->text, t->len, &co, c, &d);
	if (!err && d.n) {
		for (size_t i = 0; i < d.n; i++)
			pr_warn("%s: %s: (forced) %s\n", diag_file(&d.v[i], file), d.v[i].path,
				d.v[i].msg);
	}
	if (err)
		cfg_text_free(t);
	if (err == -EINVAL)
		print_invalid(file, o->host, &d);
	else if (err)
		pr_err("%s: %s\n", file, strerror(-err));
	diags_free(&d);
	return err;
}

int check(const char *file, const struct cfg_args *o, struct checked *c)
{
	struct cfg_text t;
	int err = check_text(file, o, c, &t);

	if (!err)
		cfg_text_free(&t);
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
		pr_warn("xdplb is not loaded on any interface of this network namespace\n");
	else
		pr_warn("xdplb is loaded on %d interfaces: name one with --iface\n", n);
	return -ENOENT;
}

void state_dir_of(const char *state_dir, const char *ifname, char *buf, size_t len)
{
	if (state_dir)
		snprintf(buf, len, "%s", state_dir);
	else
		history_default_dir(ifname, buf, len);
}

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * json_walk.h - typed reads of a cJSON document that report every problem
 * with its JSON path ("vips[2].backends[0].weight") and carry on, so that
 * one run of `validate` shows all of them. The config schema (config.c)
 * and its cross-field rules (config_rules.c) are written with these. Pure.
 */
#ifndef XDPLB_JSON_WALK_H
#define XDPLB_JSON_WALK_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

#define JW_PATH_MAX 512

/* The walk's state: where we are in the document, and the error list. */
struct walk {
	struct diags *d;
	char path[JW_PATH_MAX];
	size_t len;
};

/* Path steps: each returns the length to give jw_pop() to undo it. */
size_t jw_push_key(struct walk *w, const char *key);
size_t jw_push_idx(struct walk *w, int i);
void jw_pop(struct walk *w, size_t old);
/* The current path, "(root)" at the top. */
const char *jw_here(const struct walk *w);

/* A problem at the current path. */
#define jw_err(w, ...) diag_add((w)->d, jw_here(w), __VA_ARGS__)
/* A problem at PATH.key, without keeping key pushed. */
void jw_err_at_key(struct walk *w, const char *key, const char *fmt, const char *a);
/* "string \"80\"", "80.5", "object", ...: what was found instead. */
const char *jw_got(const cJSON *j, char *buf, size_t len);

/* Unknown keys (with a "did you mean") and duplicate keys of an object;
 * keys is NULL-terminated, at most 64 of them. false if j is not an object
 * (reported). */
bool jw_object(struct walk *w, const cJSON *j, const char *const keys[]);
const cJSON *jw_member(const cJSON *obj, const char *key);

/* Typed members. 1 present and valid, 0 absent (reported when required),
 * -1 invalid (reported). */
int jw_int(struct walk *w, const cJSON *obj, const char *key, long long lo, long long hi,
	   bool required, long long *out);
int jw_string(struct walk *w, const cJSON *obj, const char *key, bool required, const char **out);
/* A number in [lo, hi], or (lo, hi] with lo_open; never required. */
int jw_number(struct walk *w, const cJSON *obj, const char *key, double lo, bool lo_open, double hi,
	      double *out);
/* true or false; never required. */
int jw_bool(struct walk *w, const cJSON *obj, const char *key, bool *out);
/* One of vals[] (NULL-terminated): its index, dflt if absent, -1 if bad. */
int jw_enum(struct walk *w, const cJSON *obj, const char *key, const char *const vals[], int dflt);

/* Sorts the members of every object of j, at every depth, by key (byte
 * order): a canonical order for hashing (canonical.c). */
void jw_sort_keys(cJSON *j);

#endif

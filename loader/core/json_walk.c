// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * json_walk.c - walking a cJSON document with a JSON path, reporting every
 * problem with its path and carrying on (json_walk.h).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_walk.h"

size_t jw_push_key(struct walk *w, const char *key)
{
	size_t old = w->len;
	int n = snprintf(w->path + w->len, sizeof(w->path) - w->len, "%s%s", w->len ? "." : "",
			 key);

	if (n > 0)
		w->len = strnlen(w->path, sizeof(w->path) - 1);
	return old;
}

size_t jw_push_idx(struct walk *w, int i)
{
	size_t old = w->len;
	int n = snprintf(w->path + w->len, sizeof(w->path) - w->len, "[%d]", i);

	if (n > 0)
		w->len = strnlen(w->path, sizeof(w->path) - 1);
	return old;
}

void jw_pop(struct walk *w, size_t old)
{
	w->len = old;
	w->path[old] = '\0';
}

const char *jw_here(const struct walk *w)
{
	return w->len ? w->path : "(root)";
}

/* Reports at PATH.key without keeping it pushed. */
void jw_err_at_key(struct walk *w, const char *key, const char *fmt, const char *a)
{
	size_t old = jw_push_key(w, key);

	diag_add(w->d, jw_here(w), fmt, a);
	jw_pop(w, old);
}

/* "string \"80\"", "80.5", "object", ...: what was found instead. */
const char *jw_got(const cJSON *j, char *buf, size_t len)
{
	if (cJSON_IsString(j)) {
		snprintf(buf, len, "string \"%.40s%s\"", j->valuestring,
			 strlen(j->valuestring) > 40 ? "..." : "");
	} else if (cJSON_IsNumber(j)) {
		double v = j->valuedouble;

		if (v == floor(v) && fabs(v) < 1e18)
			snprintf(buf, len, "%.0f", v);
		else
			snprintf(buf, len, "%g", v);
	} else if (cJSON_IsBool(j)) {
		snprintf(buf, len, "%s", cJSON_IsTrue(j) ? "true" : "false");
	} else if (cJSON_IsNull(j)) {
		snprintf(buf, len, "null");
	} else if (cJSON_IsArray(j)) {
		snprintf(buf, len, "array");
	} else {
		snprintf(buf, len, "object");
	}
	return buf;
}

/* Levenshtein distance, for "did you mean". Keys are short. */
static int edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int row[64];

	if (la >= 63 || lb >= 63)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		int prev = row[0];

		row[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int cur = row[j];
			int sub = prev + (tolower((unsigned char)a[i - 1]) !=
					  tolower((unsigned char)b[j - 1]));
			int best = sub;

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	return row[lb];
}

/* The index of k in keys, or -1. */
static int key_index(const char *k, const char *const keys[])
{
	for (int i = 0; keys[i]; i++)
		if (!strcmp(k, keys[i]))
			return i;
	return -1;
}

static void unknown_key(struct walk *w, const char *k, const char *const keys[])
{
	const char *best = NULL;
	int best_d = 3;

	for (int i = 0; keys[i]; i++) {
		int dist = edit_distance(k, keys[i]);

		if (dist < best_d) {
			best_d = dist;
			best = keys[i];
		}
	}
	if (best) {
		char msg[128];

		snprintf(msg, sizeof(msg), "unknown key (did you mean \"%s\"?)", best);
		jw_err_at_key(w, k, "%s", msg);
	} else {
		jw_err_at_key(w, k, "unknown key%s", "");
	}
}

/* Unknown and duplicate keys of an object, in time linear in its size (a
 * duplicate can only be of a known key: an unknown one is an error
 * anyway). Returns false if j is not an object (after reporting it). */
bool jw_object(struct walk *w, const cJSON *j, const char *const keys[])
{
	unsigned long long seen = 0;
	char gbuf[64];

	if (!cJSON_IsObject(j)) {
		jw_err(w, "must be an object, got %s", jw_got(j, gbuf, sizeof(gbuf)));
		return false;
	}
	for (const cJSON *c = j->child; c; c = c->next) {
		int k = key_index(c->string, keys);

		if (k < 0)
			unknown_key(w, c->string, keys);
		else if (seen & (1ULL << k))
			jw_err_at_key(w, c->string, "duplicate key%s", "");
		seen |= k >= 0 ? 1ULL << k : 0;
	}
	return true;
}

const cJSON *jw_member(const cJSON *obj, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(obj, key);
}

/* An integer member in [lo, hi]. Returns 1 if present and valid, 0 if
 * absent (reported when required), -1 if invalid (reported). */
int jw_int(struct walk *w, const cJSON *obj, const char *key, long long lo, long long hi,
	   bool required, long long *out)
{
	const cJSON *j = jw_member(obj, key);
	char gbuf[64];
	size_t old;
	int ret = 1;

	if (!j) {
		if (required)
			jw_err_at_key(w, key, "missing (required)%s", "");
		return 0;
	}
	old = jw_push_key(w, key);
	if (!cJSON_IsNumber(j) || !isfinite(j->valuedouble) ||
	    j->valuedouble != floor(j->valuedouble)) {
		jw_err(w, "must be an integer, got %s", jw_got(j, gbuf, sizeof(gbuf)));
		ret = -1;
	} else if (j->valuedouble < (double)lo || j->valuedouble > (double)hi) {
		jw_err(w, "must be %lld..%lld, got %s", lo, hi, jw_got(j, gbuf, sizeof(gbuf)));
		ret = -1;
	} else {
		*out = (long long)j->valuedouble;
	}
	jw_pop(w, old);
	return ret;
}

int jw_string(struct walk *w, const cJSON *obj, const char *key, bool required, const char **out)
{
	const cJSON *j = jw_member(obj, key);
	char gbuf[64];

	if (!j) {
		if (required)
			jw_err_at_key(w, key, "missing (required)%s", "");
		return 0;
	}
	if (!cJSON_IsString(j)) {
		size_t old = jw_push_key(w, key);

		jw_err(w, "must be a string, got %s", jw_got(j, gbuf, sizeof(gbuf)));
		jw_pop(w, old);
		return -1;
	}
	*out = j->valuestring;
	return 1;
}

int jw_bool(struct walk *w, const cJSON *obj, const char *key, bool *out)
{
	const cJSON *j = jw_member(obj, key);
	char gbuf[64];

	if (!j)
		return 0;
	if (!cJSON_IsBool(j)) {
		size_t old = jw_push_key(w, key);

		jw_err(w, "must be true or false, got %s", jw_got(j, gbuf, sizeof(gbuf)));
		jw_pop(w, old);
		return -1;
	}
	*out = cJSON_IsTrue(j);
	return 1;
}

/* One of vals[] (NULL-terminated); returns its index, dflt if absent, -1 if
 * bad. A bad value, a string or not, is told the values it may take. */
int jw_enum(struct walk *w, const cJSON *obj, const char *key, const char *const vals[], int dflt)
{
	const cJSON *j = jw_member(obj, key);
	char msg[160] = "", gbuf[64];
	size_t old;

	if (!j)
		return dflt;
	for (int i = 0; vals[i]; i++) {
		if (cJSON_IsString(j) && !strcmp(j->valuestring, vals[i]))
			return i;
		snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg), "%s\"%s\"",
			 !i	     ? "" :
			 vals[i + 1] ? ", " :
				       " or ",
			 vals[i]);
	}
	old = jw_push_key(w, key);
	if (cJSON_IsString(j))
		jw_err(w, "must be %s, got \"%.40s\"", msg, j->valuestring);
	else
		jw_err(w, "must be %s, got %s", msg, jw_got(j, gbuf, sizeof(gbuf)));
	jw_pop(w, old);
	return -1;
}

/* A number in [lo, hi] (or (lo, hi] with lo_open). 1 ok, 0 absent, -1 bad. */
int jw_number(struct walk *w, const cJSON *obj, const char *key, double lo, bool lo_open, double hi,
	      double *out)
{
	const cJSON *j = jw_member(obj, key);
	char gbuf[64];
	size_t old;
	int ret = 1;

	if (!j)
		return 0;
	old = jw_push_key(w, key);
	if (!cJSON_IsNumber(j) || !isfinite(j->valuedouble)) {
		jw_err(w, "must be a number, got %s", jw_got(j, gbuf, sizeof(gbuf)));
		ret = -1;
	} else if ((lo_open ? j->valuedouble <= lo : j->valuedouble < lo) || j->valuedouble > hi) {
		if (lo_open)
			jw_err(w, "must be greater than %g and at most %g, got %s", lo, hi,
			       jw_got(j, gbuf, sizeof(gbuf)));
		else
			jw_err(w, "must be %g..%g, got %s", lo, hi, jw_got(j, gbuf, sizeof(gbuf)));
		ret = -1;
	} else {
		*out = j->valuedouble;
	}
	jw_pop(w, old);
	return ret;
}

/* A list sort: objects are small. */
void jw_sort_keys(cJSON *j)
{
	cJSON *head = NULL;

	for (cJSON *c = j->child; c; c = c->next)
		jw_sort_keys(c);
	if (!cJSON_IsObject(j))
		return;
	while (j->child) { /* insertion sort into head */
		cJSON *c = j->child, **at = &head;

		j->child = c->next;
		while (*at && strcmp((*at)->string, c->string) <= 0)
			at = &(*at)->next;
		c->next = *at;
		*at = c;
	}
	/* cJSON lists are doubly linked; the head's prev is the tail */
	for (cJSON *c = head, *prev = NULL; c; prev = c, c = c->next)
		c->prev = prev;
	if (head) {
		cJSON *tail = head;

		while (tail->next)
			tail = tail->next;
		head->prev = tail;
	}
	j->child = head;
}

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * overrides.c - operators' overrides of one backend (overrides.h).
 */
#define _GNU_SOURCE
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_walk.h"
#include "names.h"
#include "overrides.h"

static const char *const item_keys[] = { "vip", "backend", "state", "weight", NULL };
static const char *const top_keys[] = { "overrides", NULL };
static const char *const states[] = { "active", "drain", "down", NULL };
static const int state_val[] = { XDPLB_BE_ACTIVE, XDPLB_BE_DRAIN, XDPLB_BE_DOWN };

static void parse_item(struct walk *w, const cJSON *j, struct override *e)
{
	const char *s;
	long long v;
	int st;

	e->state = e->weight = -1;
	if (!jw_object(w, j, item_keys))
		return;
	if (jw_string(w, j, "vip", true, &s) > 0)
		snprintf(e->vip, sizeof(e->vip), "%s", s);
	if (jw_string(w, j, "backend", true, &s) > 0)
		snprintf(e->backend, sizeof(e->backend), "%s", s);
	st = jw_enum(w, j, "state", states, -1);
	if (st >= 0)
		e->state = state_val[st];
	if (jw_int(w, j, "weight", 0, 65535, false, &v) > 0)
		e->weight = (int)v;
}

int overrides_parse(const char *text, size_t len, struct overrides *o, struct diags *d)
{
	cJSON *root = cJSON_ParseWithLength(text, len);
	struct walk w = { .d = d };
	const cJSON *arr;
	size_t before = d->n, old;
	int i = 0;

	memset(o, 0, sizeof(*o));
	if (!root) {
		diag_add(d, "(syntax)", "not JSON");
		return -EINVAL;
	}
	if (jw_object(&w, root, top_keys) && (arr = jw_member(root, "overrides"))) {
		old = jw_push_key(&w, "overrides");
		if (!cJSON_IsArray(arr)) {
			jw_err(&w, "must be an array");
		} else {
			o->v = calloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof(*o->v));
			for (const cJSON *j = arr->child; o->v && j; j = j->next, i++) {
				size_t o2 = jw_push_idx(&w, i);

				parse_item(&w, j, &o->v[o->n++]);
				jw_pop(&w, o2);
			}
		}
		jw_pop(&w, old);
	}
	cJSON_Delete(root);
	if (d->n > before) {
		overrides_free(o);
		return -EINVAL;
	}
	return 0;
}

char *overrides_json(const struct overrides *o)
{
	cJSON *root = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(root, "overrides");
	char *s;

	for (size_t i = 0; i < o->n; i++) {
		cJSON *e = cJSON_CreateObject();

		cJSON_AddStringToObject(e, "vip", o->v[i].vip);
		cJSON_AddStringToObject(e, "backend", o->v[i].backend);
		if (o->v[i].state >= 0)
			cJSON_AddStringToObject(e, "state", state_str((__u8)o->v[i].state));
		if (o->v[i].weight >= 0)
			cJSON_AddNumberToObject(e, "weight", o->v[i].weight);
		cJSON_AddItemToArray(arr, e);
	}
	s = cJSON_Print(root);
	cJSON_Delete(root);
	return s;
}

struct override *overrides_find(const struct overrides *o, const char *vip, const char *backend)
{
	for (size_t i = 0; i < o->n; i++)
		if (!strcmp(o->v[i].vip, vip) && !strcmp(o->v[i].backend, backend))
			return &o->v[i];
	return NULL;
}

int overrides_set(struct overrides *o, const char *vip, const char *backend, int state, int weight)
{
	struct override *e = overrides_find(o, vip, backend);

	if (state < 0 && weight < 0) {
		if (e)
			*e = o->v[--o->n];
		return 0;
	}
	if (!e) {
		struct override *nv = realloc(o->v, (o->n + 1) * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		o->v = nv;
		e = &o->v[o->n++];
		memset(e, 0, sizeof(*e));
		snprintf(e->vip, sizeof(e->vip), "%s", vip);
		snprintf(e->backend, sizeof(e->backend), "%s", backend);
		e->state = e->weight = -1;
	}
	if (state >= 0)
		e->state = state;
	if (weight >= 0)
		e->weight = weight;
	return 0;
}

int overrides_set_all(struct overrides *dst, const struct overrides *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->v = calloc(src->n + 1, sizeof(*dst->v));
	if (!dst->v)
		return -ENOMEM;
	if (src->n) /* an empty set may have no array: memcpy from NULL is UB */
		memcpy(dst->v, src->v, src->n * sizeof(*dst->v));
	dst->n = src->n;
	return 0;
}

void overrides_free(struct overrides *o)
{
	free(o->v);
	memset(o, 0, sizeof(*o));
}

struct cfg_backend *overrides_target(struct checked *c, const char *vip_name, const char *backend,
				     __u32 *vi)
{
	for (__u32 v = 0; v < c->cfg.n_vips; v++) {
		struct cfg_vip *vip = &c->cfg.vips[v];

		if (strcmp(vip->name, vip_name))
			continue;
		for (__u32 b = 0; b < vip->n_backends; b++) {
			if (!strcmp(vip->backends[b].name, backend)) {
				*vi = v;
				return &vip->backends[b];
			}
		}
	}
	return NULL;
}

int overrides_apply(struct checked *c, const struct overrides *o, struct diags *d)
{
	bool *touched = calloc(c->cfg.n_vips + 1, sizeof(*touched));
	int n = 0, err = 0;

	if (!touched)
		return -ENOMEM;
	for (size_t i = 0; i < o->n; i++) {
		const struct override *e = &o->v[i];
		struct cfg_backend *cb;
		char path[32];
		__u32 v = 0;

		cb = overrides_target(c, e->vip, e->backend, &v);
		if (!cb) {
			snprintf(path, sizeof(path), "overrides[%zu]", i);
			diag_add(d, path, "VIP %s has no backend %s any more: override left out",
				 e->vip, e->backend);
			continue;
		}
		if (e->state >= 0)
			cb->cfg_state = cb->state = (__u8)e->state;
		if (e->weight >= 0)
			cb->weight = (__u32)e->weight;
		cb->override = true;
		touched[v] = true;
		n++;
	}
	for (__u32 v = 0; v < c->cfg.n_vips && !err; v++) {
		if (!touched[v])
			continue;
		free(c->tables.slots[v]);
		free(c->tables.counts[v]);
		c->tables.slots[v] = c->tables.counts[v] = NULL;
		err = tables_build_vip(&c->cfg, v, &c->tables);
	}
	free(touched);
	return err ? err : n;
}

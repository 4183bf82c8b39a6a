// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* render_diff.c - `xdplb diff` as text and JSON (the computation: core/diff.c). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "names.h"
#include "render.h"
#include "tables.h"

static double weight_share(const struct cfg_vip *v, int b)
{
	__u64 sum = vip_active_weight(v, NULL);

	return b < 0 || !sum ? 0 : (double)backend_new_flow_weight(&v->backends[b]) / sum;
}

static double table_share(const struct checked *c, int v, int b)
{
	return b < 0 ? 0 : (double)c->tables.counts[v][b] / c->cfg.vips[v].table_size;
}

static void vip_title(const struct cfg_vip *v, char *buf, size_t len)
{
	char e[ADDR_STRLEN + 16];

	snprintf(buf, len, "%s %s", v->name,
		 vip_endpoint_str(&v->addr, v->family, v->port, v->proto, e, sizeof(e)));
}

/* Calls fn for every backend of either side of a VIP: (index in a, in b). */
static void each_backend(const struct diff *d, const struct vip_diff *vd,
			 void (*fn)(const struct diff *, const struct vip_diff *, int, int, void *),
			 void *arg)
{
	const struct cfg_vip *x = vd->a >= 0 ? &d->a->cfg.vips[vd->a] : NULL;
	const struct cfg_vip *y = vd->b >= 0 ? &d->b->cfg.vips[vd->b] : NULL;

	for (__u32 i = 0; x && i < x->n_backends; i++)
		fn(d, vd, (int)i, y ? diff_find_backend(y, &x->backends[i]) : -1, arg);
	for (__u32 j = 0; y && j < y->n_backends; j++)
		if (!x || diff_find_backend(x, &y->backends[j]) < 0)
			fn(d, vd, -1, (int)j, arg);
}

static void print_backend(const struct diff *d, const struct vip_diff *vd, int ia, int ib,
			  void *arg)
{
	const struct cfg_vip *x = vd->a >= 0 ? &d->a->cfg.vips[vd->a] : NULL;
	const struct cfg_vip *y = vd->b >= 0 ? &d->b->cfg.vips[vd->b] : NULL;
	const struct cfg_backend *bx = ia >= 0 ? &x->backends[ia] : NULL;
	const struct cfg_backend *by = ib >= 0 ? &y->backends[ib] : NULL;
	const struct cfg_backend *any = by ? by : bx;
	char what[160] = "", a[ADDR_STRLEN];
	FILE *f = arg;

	if (!bx)
		snprintf(what, sizeof(what), "added (weight %u, %s)", by->weight,
			 state_str(by->state));
	else if (!by)
		snprintf(what, sizeof(what), "removed");
	else {
		if (bx->weight != by->weight)
			snprintf(what + strlen(what), sizeof(what) - strlen(what),
				 "weight %u -> %u ", bx->weight, by->weight);
		if (bx->state != by->state)
			snprintf(what + strlen(what), sizeof(what) - strlen(what), "%s -> %s ",
				 state_str(bx->state), state_str(by->state));
		if (strcmp(bx->name, by->name))
			snprintf(what + strlen(what), sizeof(what) - strlen(what),
				 "renamed from %s ", bx->name);
		if (bx->override && !by->override)
			snprintf(what + strlen(what), sizeof(what) - strlen(what),
				 "(override cleared) ");
	}
	bool changed = what[0];

	if (by && by->override)
		snprintf(what + strlen(what), sizeof(what) - strlen(what), "(override) ");
	fprintf(f,
		"    %s %-14s %-39s table %5.1f%% -> %5.1f%%  weight share %5.1f%% -> %5.1f%%  %s\n",
		!bx	? "+" :
		!by	? "-" :
		changed ? "~" :
			  " ",
		any->name, addr_str(&any->addr, any->family, a),
		100 * (x ? table_share(d->a, vd->a, ia) : 0),
		100 * (y ? table_share(d->b, vd->b, ib) : 0), 100 * (x ? weight_share(x, ia) : 0),
		100 * (y ? weight_share(y, ib) : 0), what);
}

void diff_print(const struct diff *d, FILE *f)
{
	char t[160];

	if (diff_empty(d)) {
		fprintf(f, "no difference\n");
		return;
	}
	for (size_t i = 0; i < d->n_global; i++)
		fprintf(f, "~ %s\n", d->global[i]);
	for (size_t i = 0; i < d->n; i++) {
		const struct vip_diff *vd = &d->v[i];

		if (!vd->changed)
			continue;
		if (vd->a < 0) {
			vip_title(&d->b->cfg.vips[vd->b], t, sizeof(t));
			fprintf(f, "+ vip %s: added\n", t);
		} else if (vd->b < 0) {
			vip_title(&d->a->cfg.vips[vd->a], t, sizeof(t));
			fprintf(f, "- vip %s: removed\n", t);
		} else {
			const struct cfg_vip *x = &d->a->cfg.vips[vd->a],
					     *y = &d->b->cfg.vips[vd->b];

			vip_title(y, t, sizeof(t));
			fprintf(f, "~ vip %s: %.1f%% of new flows move to another backend (%s)\n",
				t, 100 * vd->moved, vd->estimated ? "estimated" : "exact");
			if (x->hash != y->hash)
				fprintf(f, "    hash: %s -> %s (every flow is hashed anew)\n",
					config_hash_names[x->hash], config_hash_names[y->hash]);
		}
		each_backend(d, vd, print_backend, f);
	}
}

static void json_backend(const struct diff *d, const struct vip_diff *vd, int ia, int ib, void *arg)
{
	const struct cfg_vip *x = vd->a >= 0 ? &d->a->cfg.vips[vd->a] : NULL;
	const struct cfg_vip *y = vd->b >= 0 ? &d->b->cfg.vips[vd->b] : NULL;
	const struct cfg_backend *bx = ia >= 0 ? &x->backends[ia] : NULL;
	const struct cfg_backend *by = ib >= 0 ? &y->backends[ib] : NULL;
	const struct cfg_backend *any = by ? by : bx;
	cJSON *o = cJSON_CreateObject();
	char a[ADDR_STRLEN];

	cJSON_AddStringToObject(o, "name", any->name);
	cJSON_AddStringToObject(o, "address", addr_str(&any->addr, any->family, a));
	cJSON_AddStringToObject(o, "change", !bx ? "added" : !by ? "removed" : "kept");
	if (bx) {
		cJSON_AddNumberToObject(o, "weight_before", bx->weight);
		cJSON_AddStringToObject(o, "state_before", state_str(bx->state));
		cJSON_AddBoolToObject(o, "override_before", bx->override);
	}
	if (by) {
		cJSON_AddNumberToObject(o, "weight_after", by->weight);
		cJSON_AddStringToObject(o, "state_after", state_str(by->state));
		cJSON_AddBoolToObject(o, "override_after", by->override);
	}
	cJSON_AddNumberToObject(o, "table_share_before", x ? table_share(d->a, vd->a, ia) : 0);
	cJSON_AddNumberToObject(o, "table_share_after", y ? table_share(d->b, vd->b, ib) : 0);
	cJSON_AddNumberToObject(o, "weight_share_before", x ? weight_share(x, ia) : 0);
	cJSON_AddNumberToObject(o, "weight_share_after", y ? weight_share(y, ib) : 0);
	cJSON_AddItemToArray(arg, o);
}

cJSON *diff_json(const struct diff *d)
{
	cJSON *r = cJSON_CreateObject(), *g = cJSON_AddArrayToObject(r, "global"),
	      *vs = cJSON_AddArrayToObject(r, "vips");

	cJSON_AddBoolToObject(r, "identical", diff_empty(d));
	for (size_t i = 0; i < d->n_global; i++)
		cJSON_AddItemToArray(g, cJSON_CreateString(d->global[i]));
	for (size_t i = 0; i < d->n; i++) {
		const struct vip_diff *vd = &d->v[i];
		const struct cfg_vip *v = vd->b >= 0 ? &d->b->cfg.vips[vd->b] :
						       &d->a->cfg.vips[vd->a];
		cJSON *o = cJSON_CreateObject();
		char t[160];

		vip_title(v, t, sizeof(t));
		cJSON_AddStringToObject(o, "name", v->name);
		cJSON_AddStringToObject(o, "vip", strchr(t, ' ') + 1);
		cJSON_AddStringToObject(o, "change",
					vd->a < 0   ? "added" :
					vd->b < 0   ? "removed" :
					vd->changed ? "changed" :
						      "same");
		if (vd->a >= 0)
			cJSON_AddStringToObject(o, "hash_before",
						config_hash_names[d->a->cfg.vips[vd->a].hash]);
		if (vd->b >= 0)
			cJSON_AddStringToObject(o, "hash_after",
						config_hash_names[d->b->cfg.vips[vd->b].hash]);
		cJSON_AddNumberToObject(o, "flows_moved", vd->moved);
		cJSON_AddBoolToObject(o, "estimated", vd->estimated);
		each_backend(d, vd, json_backend, cJSON_AddArrayToObject(o, "backends"));
		cJSON_AddItemToArray(vs, o);
	}
	return r;
}

cJSON *diags_json(const struct diags *d)
{
	cJSON *arr = cJSON_CreateArray();

	for (size_t i = 0; i < d->n; i++) {
		cJSON *e = cJSON_CreateObject();

		if (d->v[i].file) /* a host file's (else the config's own) */
			cJSON_AddStringToObject(e, "file", d->v[i].file);
		cJSON_AddStringToObject(e, "path", d->v[i].path);
		cJSON_AddStringToObject(e, "message", d->v[i].msg);
		cJSON_AddItemToArray(arr, e);
	}
	return arr;
}

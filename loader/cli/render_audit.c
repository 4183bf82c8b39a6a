// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* render_audit.c - `xdplb audit` findings as text and JSON (kernel/audit.c). */
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

void audit_print(const struct audit *a, const char *ifname, FILE *f)
{
	if (!a->n)
		fprintf(f, "%s: live state matches the config (program %u, generation %u, %s)\n",
			ifname, a->prog_id, a->generation, a->live_digest);
	else
		fprintf(f, "%s: %zu drift%s from the config (program %u, generation %u, %s):\n",
			ifname, a->n, a->n == 1 ? "" : "s", a->prog_id, a->generation,
			a->live_digest);
	for (size_t i = 0; i < a->n; i++)
		fprintf(f, "  %-8s %s: %s\n", a->f[i].what, a->f[i].where, a->f[i].msg);
	if (a->n_notes)
		fprintf(f, "%s: by design, not drift:\n", ifname);
	for (size_t i = 0; i < a->n_notes; i++)
		fprintf(f, "  %-8s %s: %s\n", a->notes[i].what, a->notes[i].where, a->notes[i].msg);
}

static cJSON *findings_json(const struct finding *f, size_t n)
{
	cJSON *arr = cJSON_CreateArray();

	for (size_t i = 0; i < n; i++) {
		cJSON *e = cJSON_CreateObject();

		cJSON_AddStringToObject(e, "kind", f[i].what);
		cJSON_AddStringToObject(e, "where", f[i].where);
		cJSON_AddStringToObject(e, "message", f[i].msg);
		cJSON_AddItemToArray(arr, e);
	}
	return arr;
}

cJSON *audit_json(const struct audit *a, const char *ifname)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "interface", ifname);
	cJSON_AddBoolToObject(o, "drift", a->n > 0);
	cJSON_AddNumberToObject(o, "prog_id", a->prog_id);
	cJSON_AddNumberToObject(o, "generation", a->generation);
	cJSON_AddStringToObject(o, "live_digest", a->live_digest);
	cJSON_AddItemToObject(o, "findings", findings_json(a->f, a->n));
	cJSON_AddItemToObject(o, "by_design", findings_json(a->notes, a->n_notes));
	return o;
}

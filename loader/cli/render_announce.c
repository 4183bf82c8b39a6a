// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* render_announce.c - `xdplb announce status` as text (render.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "render.h"

static bool has_route(const cJSON *routes, const char *addr)
{
	const cJSON *r;

	cJSON_ArrayForEach(r, routes) if (cJSON_IsString(r) &&
					  !strcmp(r->valuestring, addr)) return true;
	return false;
}

static void print_vips(FILE *f, const cJSON *vips)
{
	const cJSON *v;
	const char *sep = "";

	cJSON_ArrayForEach(v, vips)
	{
		fprintf(f, "%s%s", sep, cJSON_IsString(v) ? v->valuestring : "?");
		sep = ",";
	}
}

void announce_print(FILE *f, const cJSON *o)
{
	const cJSON *svc = cJSON_GetObjectItem(o, "service"),
		    *routes = cJSON_GetObjectItem(o, "routes");
	const cJSON *a, *t;
	bool drained = cJSON_IsTrue(cJSON_GetObjectItem(o, "drained"));

	fprintf(f, "%s: %s\n", cJSON_GetObjectItem(o, "interface")->valuestring,
		drained ? "drained (xdplb announce off): every VIP withdrawn" : "not drained");
	if (!cJSON_IsObject(svc)) {
		fprintf(f, "  no service state (no service with \"announce\" has run here)\n");
	} else {
		t = cJSON_GetObjectItem(svc, "time");
		fprintf(f,
			"  service (PID %d) decided %.0f s ago: table %d, %s, program %s, health %s\n",
			(int)cJSON_GetObjectItem(svc, "pid")->valuedouble,
			cJSON_IsNumber(t) ? difftime(time(NULL), (time_t)t->valuedouble) : -1.0,
			(int)cJSON_GetObjectItem(svc, "table")->valuedouble,
			cJSON_IsTrue(cJSON_GetObjectItem(svc, "enabled")) ?
				"announce on" :
				"announce off in the config",
			cJSON_IsTrue(cJSON_GetObjectItem(svc, "attached")) ? "attached" :
									     "NOT attached",
			cJSON_IsTrue(cJSON_GetObjectItem(svc, "settled")) ? "settled" :
									    "not settled yet");
		fprintf(f, "  %-28s %-10s %-6s %-20s %s\n", "ADDRESS", "DECIDED", "ROUTE", "VIPS",
			"WHY");
		cJSON_ArrayForEach(a, cJSON_GetObjectItem(svc, "addresses"))
		{
			const char *ad = cJSON_GetObjectItem(a, "address")->valuestring;

			fprintf(f, "  %-28s %-10s %-6s ", ad,
				cJSON_IsTrue(cJSON_GetObjectItem(a, "announced")) ? "announce" :
										    "withdraw",
				has_route(routes, ad) ? "yes" : "no");
			print_vips(f, cJSON_GetObjectItem(a, "vips"));
			fprintf(f, "  %s\n", cJSON_GetObjectItem(a, "reason")->valuestring);
		}
	}
	if (cJSON_GetArraySize(routes) == 0)
		fprintf(f, "  routes in the kernel's announce table: none\n");
}

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* render_stats.c - `xdplb stats` as text and JSON (the numbers: core/stats.c). */
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
#include <math.h>
#include <linux/bpf.h>
#include "metrics.h"

static int cells(double share, double scale, int width)
{
	double c = scale > 0 ? share / scale * width : 0;

	return c <= 0 ? 0 : c >= width ? width : (int)lround(c);
}

char *stats_bar(char *buf, double share, double weight_share, double scale, int width)
{
	int fill = cells(share, scale, width), mark = cells(weight_share, scale, width), o = 0;

	for (int i = 0; i <= width; i++) {
		if (i == mark)
			buf[o++] = '|';
		if (i < width)
			buf[o++] = i < fill ? '#' : ' ';
	}
	if (scale > 0 && share > scale)
		buf[o - 1 - (mark == width)] = '>'; /* clipped: more than a bar */
	buf[o] = '\0';
	return buf;
}

char *stats_human(char *buf, size_t len, double v)
{
	static const char unit[] = " kMGTPE";
	int u = 0;

	if (v < 1000) {
		snprintf(buf, len, v == floor(v) ? "%.0f" : "%.1f", v);
		return buf;
	}
	while (v >= 999.5 && u < 6) {
		v /= 1000;
		u++;
	}
	snprintf(buf, len, v < 9.995 ? "%.2f%c" : v < 99.95 ? "%.1f%c" : "%.0f%c", v, unit[u]);
	return buf;
}

/* A count over the window, or its rate when the window has a length. */
static char *amount(char *buf, size_t len, __u64 n, const struct stats *s)
{
	return stats_human(buf, len, s->seconds > 0 ? (double)n / s->seconds : (double)n);
}

static void print_vip_head(FILE *f, const struct stats_vip *v, const struct stats *s)
{
	char a[96], p[16], b[16], n[16], d[16];
	const char *per = s->seconds > 0 ? "/s" : "";

	fprintf(f, "vip %s %s: packets%s %s  bytes%s %s  new flows%s %s  drops%s %s", v->st->name.s,
		vip_endpoint_str(&v->st->key.addr, v->st->key.family, ntohs(v->st->key.port),
				 v->st->key.proto, a, sizeof(a)),
		per, amount(p, sizeof(p), v->packets, s), per, amount(b, sizeof(b), v->bytes, s),
		per, amount(n, sizeof(n), v->new_flows, s), per, amount(d, sizeof(d), v->drops, s));
	if (v->ct_hits + v->ct_misses)
		fprintf(f, "  conntrack hits %.1f%%\n", 100 * v->ct_hit_ratio);
	else
		fprintf(f, "  conntrack hits -\n");
	fprintf(f, "  %-16s %-6s %6s %7s %7s %7s %7s %9s %9s  %s\n", "backend", "state", "weight",
		"weight%", "table%", "flows%", "pkts%", s->seconds > 0 ? "flows/s" : "new flows",
		s->seconds > 0 ? "pkts/s" : "packets", "new flows (| = weight share)");
}

static void print_backend(FILE *f, const struct stats_vip *v, const struct stats_be *b,
			  const struct stats *s)
{
	char bar[STATS_BAR_WIDTH + 2], n[16], p[16], why[80];

	fprintf(f, "  %-16s %-6s %6u %6.1f%% %6.1f%% %6.1f%% %6.1f%% %9s %9s  %s", b->st->name.s,
		state_str(b->st->state), b->st->weight, 100 * b->weight_share, 100 * b->table_share,
		100 * b->flow_share, 100 * b->packet_share, amount(n, sizeof(n), b->new_flows, s),
		amount(p, sizeof(p), b->packets, s),
		stats_bar(bar, b->flow_share, b->weight_share, v->bar_scale, STATS_BAR_WIDTH));
	if (b->skew)
		fprintf(f, "  SKEW %.2fx weight share", b->flow_share / b->weight_share);
	/* a backend taking no new flows: how far its drain has come */
	if (b->st->state != XDPLB_BE_ACTIVE && b->st->idle_s >= 0)
		fprintf(f, "  %llu flows left, idle %.0f s", (unsigned long long)b->st->flows,
			b->st->idle_s);
	else if (b->st->state != XDPLB_BE_ACTIVE)
		fprintf(f, "  no flows left");
	fprintf(f, "%s\n", state_why(b->st, why, sizeof(why)));
}

static void print_globals(FILE *f, const struct stats *s)
{
	char n[16];
	int any = 0;

	fprintf(f, "drops%s:", s->seconds > 0 ? "/s" : "");
	for (int i = 0; i < XDPLB_DROP_MAX; i++) {
		if (!s->drops[i])
			continue;
		fprintf(f, " %s %s", drop_reason_names[i], amount(n, sizeof(n), s->drops[i], s));
		any = 1;
	}
	fprintf(f, "%s", any ? "" : " none");
	for (int i = 0; i < XDPLB_PASS_MAX; i++)
		if (s->passes[i])
			fprintf(f, "\npassed%s: %s %s", s->seconds > 0 ? "/s" : "",
				pass_reason_names[i], amount(n, sizeof(n), s->passes[i], s));
	for (int i = 0; i < XDPLB_REPLY_MAX; i++)
		if (s->replies[i])
			fprintf(f, "\nanswered%s: %s %s", s->seconds > 0 ? "/s" : "",
				reply_kind_names[i], amount(n, sizeof(n), s->replies[i], s));
	for (int i = 0; i < XDPLB_ICMP_MAX; i++)
		if (s->icmp[i])
			fprintf(f, "\nicmp%s: %s %s", s->seconds > 0 ? "/s" : "",
				icmp_action_names[i], amount(n, sizeof(n), s->icmp[i], s));
	fprintf(f, "\nxdp actions%s:", s->seconds > 0 ? "/s" : "");
	for (int i = 0; i < XDPLB_ACTION_MAX; i++)
		if (s->actions[i] || i == XDP_PASS || i == XDP_TX)
			fprintf(f, " %s %s", xdp_action_names[i],
				amount(n, sizeof(n), s->actions[i], s));
	fprintf(f, "\n");
}

void stats_print(FILE *f, const struct lb_live *cur, const struct stats *s)
{
	if (s->seconds > 0)
		fprintf(f, "%s: rates over the last %.2f s\n", cur->ifname, s->seconds);
	else
		fprintf(f, "%s: totals since the counters were created\n", cur->ifname);
	for (__u32 i = 0; i < s->n_vips; i++) {
		const struct stats_vip *v = &s->vips[i];

		print_vip_head(f, v, s);
		for (__u32 b = 0; b < v->n_be; b++)
			print_backend(f, v, &v->be[b], s);
	}
	print_globals(f, s);
}

/* count and, over a window, its rate next to it: "<key>" and "<key>_per_s" */
static void add_amount(cJSON *o, const char *key, __u64 n, const struct stats *s)
{
	char k[64];

	cJSON_AddNumberToObject(o, key, (double)n);
	if (s->seconds > 0) {
		snprintf(k, sizeof(k), "%s_per_s", key);
		cJSON_AddNumberToObject(o, k, (double)n / s->seconds);
	}
}

static cJSON *backend_json(const struct stats_be *b, const struct stats *s)
{
	cJSON *o = cJSON_CreateObject();
	char a[ADDR_STRLEN];

	cJSON_AddStringToObject(o, "name", b->st->name.s);
	cJSON_AddNumberToObject(o, "id", b->st->id);
	cJSON_AddStringToObject(o, "address", addr_str(&b->st->addr, b->st->family, a));
	cJSON_AddStringToObject(o, "state", state_str(b->st->state));
	cJSON_AddStringToObject(o, "configured_state", state_str(b->st->cfg_state));
	cJSON_AddStringToObject(o, "health", health_str(b->st->health));
	cJSON_AddBoolToObject(o, "override", b->st->override);
	cJSON_AddNumberToObject(o, "weight", b->st->weight);
	cJSON_AddNumberToObject(o, "table_slots", b->st->slots);
	add_amount(o, "packets", b->packets, s);
	add_amount(o, "bytes", b->bytes, s);
	add_amount(o, "new_flows", b->new_flows, s);
	cJSON_AddNumberToObject(o, "weight_share", b->weight_share);
	cJSON_AddNumberToObject(o, "table_share", b->table_share);
	cJSON_AddNumberToObject(o, "flow_share", b->flow_share);
	cJSON_AddNumberToObject(o, "packet_share", b->packet_share);
	cJSON_AddBoolToObject(o, "skew", b->skew);
	cJSON_AddNumberToObject(o, "conntrack_flows", (double)b->st->flows);
	if (b->st->idle_s >= 0)
		cJSON_AddNumberToObject(o, "idle_seconds", (double)(long)(b->st->idle_s * 10) / 10);
	else
		cJSON_AddNullToObject(o, "idle_seconds");
	return o;
}

static cJSON *vip_json(const struct stats_vip *v, const struct stats *s)
{
	cJSON *o = cJSON_CreateObject(), *bs;
	char a[ADDR_STRLEN];

	cJSON_AddStringToObject(o, "name", v->st->name.s);
	cJSON_AddNumberToObject(o, "id", v->st->id);
	cJSON_AddStringToObject(o, "address", addr_str(&v->st->key.addr, v->st->key.family, a));
	cJSON_AddNumberToObject(o, "port", ntohs(v->st->key.port));
	cJSON_AddStringToObject(o, "protocol", proto_str(v->st->key.proto));
	cJSON_AddNumberToObject(o, "table_size", v->st->table_size);
	add_amount(o, "packets", v->packets, s);
	add_amount(o, "bytes", v->bytes, s);
	add_amount(o, "new_flows", v->new_flows, s);
	add_amount(o, "conntrack_hits", v->ct_hits, s);
	add_amount(o, "conntrack_misses", v->ct_misses, s);
	add_amount(o, "drops", v->drops, s);
	cJSON_AddNumberToObject(o, "conntrack_hit_ratio", v->ct_hit_ratio);
	bs = cJSON_AddArrayToObject(o, "backends");
	for (__u32 i = 0; i < v->n_be; i++)
		cJSON_AddItemToArray(bs, backend_json(&v->be[i], s));
	return o;
}

cJSON *stats_json(const struct lb_live *cur, const struct stats *s)
{
	cJSON *o = cJSON_CreateObject(), *acts, *drops, *vips;

	cJSON_AddStringToObject(o, "interface", cur->ifname);
	cJSON_AddStringToObject(o, "window", s->seconds > 0 ? "interval" : "totals");
	cJSON_AddNumberToObject(o, "seconds", s->seconds);
	acts = cJSON_AddObjectToObject(o, "xdp_actions");
	for (int i = 0; i < XDPLB_ACTION_MAX; i++)
		add_amount(acts, xdp_action_names[i], s->actions[i], s);
	drops = cJSON_AddObjectToObject(o, "drops");
	for (int i = 0; i < XDPLB_DROP_MAX; i++)
		add_amount(drops, drop_reason_names[i], s->drops[i], s);
	drops = cJSON_AddObjectToObject(o, "passes");
	for (int i = 0; i < XDPLB_PASS_MAX; i++)
		add_amount(drops, pass_reason_names[i], s->passes[i], s);
	drops = cJSON_AddObjectToObject(o, "replies");
	for (int i = 0; i < XDPLB_REPLY_MAX; i++)
		add_amount(drops, reply_kind_names[i], s->replies[i], s);
	drops = cJSON_AddObjectToObject(o, "icmp");
	for (int i = 0; i < XDPLB_ICMP_MAX; i++)
		add_amount(drops, icmp_action_names[i], s->icmp[i], s);
	vips = cJSON_AddArrayToObject(o, "vips");
	for (__u32 i = 0; i < s->n_vips; i++)
		cJSON_AddItemToArray(vips, vip_json(&s->vips[i], s));
	return o;
}

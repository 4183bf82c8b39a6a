// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* stats: windows, rates, shares, the skew flag, bars and JSON keys. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <linux/bpf.h>
#include <math.h>
#include <stdlib.h>

#include "render.h"
#include "stats.h"

/* One VIP with three backends: a (weight 100), b (weight 300), c draining. */
static struct st_backend be_cur[3], be_prev[3];
static struct st_vip vip_cur, vip_prev;
static struct lb_live cur, prev;

static void fill(struct lb_live *s, struct st_vip *v, struct st_backend *b, __u64 scale)
{
	static const char *const names[3] = { "a", "b", "c" };
	static const __u16 weights[3] = { 100, 300, 50 };
	static const __u8 states[3] = { XDPLB_BE_ACTIVE, XDPLB_BE_ACTIVE, XDPLB_BE_DRAIN };
	static const __u32 slots[3] = { 25, 76, 0 };

	memset(s, 0, sizeof(*s));
	memset(v, 0, sizeof(*v));
	snprintf(s->ifname, sizeof(s->ifname), "eth0");
	v->id = 4;
	snprintf(v->name.s, sizeof(v->name.s), "web");
	v->key.family = XDPLB_AF_INET;
	inet_pton(AF_INET, "203.0.113.10", &v->key.addr.v4);
	v->key.port = htons(80);
	v->key.proto = IPPROTO_TCP;
	v->table_size = 101;
	v->be = b;
	v->n_be = 3;
	for (int i = 0; i < 3; i++) {
		memset(&b[i], 0, sizeof(b[i]));
		b[i].id = 10 + i;
		snprintf(b[i].name.s, sizeof(b[i].name.s), "%s", names[i]);
		b[i].family = XDPLB_AF_INET;
		b[i].addr.b[0] = 198, b[i].addr.b[1] = 51, b[i].addr.b[2] = 100,
		b[i].addr.b[3] = 11 + i;
		b[i].state = b[i].cfg_state = states[i];
		b[i].weight = weights[i];
		b[i].slots = slots[i];
	}
	s->vips = v;
	s->n_vips = 1;
	/* new flows 1:3 (as weighted), packets twice the flows, 100 B each */
	b[0].st = (struct xdplb_be_stats){ 2 * scale, 200 * scale, 1 * scale };
	b[1].st = (struct xdplb_be_stats){ 6 * scale, 600 * scale, 3 * scale };
	b[2].st = (struct xdplb_be_stats){ 2 * scale, 200 * scale, 0 };
	v->st = (struct xdplb_vip_stats){ .packets = 10 * scale,
					  .bytes = 1000 * scale,
					  .new_flows = 4 * scale,
					  .ct_hits = 6 * scale,
					  .ct_misses = 4 * scale };
	s->global[XDP_TX] = 10 * scale;
	s->global[XDP_PASS] = 7;
	s->global[XDPLB_CNT_DROP_BASE + XDPLB_DROP_TOO_BIG] = scale / 10;
}

static void setup(void)
{
	fill(&prev, &vip_prev, be_prev, 100);
	fill(&cur, &vip_cur, be_cur, 300);
}

TestSuite(stats, .init = setup);

Test(stats, totals_and_shares)
{
	struct stats s;

	cr_assert(eq(int, stats_compute(NULL, &cur, 5, &s), 0));
	cr_expect(eq(dbl, s.seconds, 0), "no previous read: totals, no window");
	cr_assert(eq(u32, s.n_vips, 1));
	const struct stats_vip *v = &s.vips[0];

	cr_expect(eq(u64, v->packets, 3000));
	cr_expect(eq(u64, v->new_flows, 1200));
	cr_expect(eq(dbl, v->ct_hit_ratio, 0.6));
	cr_expect(eq(dbl, v->be[0].weight_share, 0.25));
	cr_expect(eq(dbl, v->be[1].weight_share, 0.75));
	cr_expect(eq(dbl, v->be[2].weight_share, 0), "draining: takes no new flows");
	cr_expect(eq(dbl, v->be[0].flow_share, 0.25));
	cr_expect(eq(dbl, v->be[1].packet_share, 0.6));
	cr_expect(eq(dbl, v->be[1].table_share, 76.0 / 101));
	cr_expect(not(v->be[0].skew || v->be[1].skew || v->be[2].skew));
	cr_expect(eq(u64, s.actions[XDP_TX], 3000));
	cr_expect(eq(u64, s.drops[XDPLB_DROP_TOO_BIG], 30));
	stats_free(&s);
}

Test(stats, rates_between_two_reads)
{
	struct stats s;

	cr_assert(eq(int, stats_compute(&prev, &cur, 2.0, &s), 0));
	cr_expect(eq(dbl, s.seconds, 2.0));
	cr_expect(eq(u64, s.vips[0].packets, 2000), "300 - 100 scale: the window's packets");
	cr_expect(eq(u64, s.vips[0].be[1].new_flows, 600));
	cr_expect(eq(u64, s.actions[XDP_PASS], 0), "unchanged counter: nothing in the window");
	cr_expect(eq(u64, s.drops[XDPLB_DROP_TOO_BIG], 20));

	cJSON *j = stats_json(&cur, &s);
	cJSON *v = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "vips"), 0);

	cr_expect(eq(dbl, cJSON_GetObjectItem(v, "packets_per_s")->valuedouble, 1000));
	cr_expect(eq(dbl, cJSON_GetObjectItem(v, "bytes_per_s")->valuedouble, 100000));
	cr_expect(eq(dbl, cJSON_GetObjectItem(v, "new_flows_per_s")->valuedouble, 400));
	cJSON_Delete(j);
	stats_free(&s);
}

Test(stats, counter_that_went_backwards_counts_from_zero)
{
	struct stats s;

	/* backend id 11 handed to a new backend between the reads: zeroed */
	be_cur[1].st.new_flows = 5;
	cr_assert(eq(int, stats_compute(&prev, &cur, 1.0, &s), 0));
	cr_expect(eq(u64, s.vips[0].be[1].new_flows, 5));
	stats_free(&s);
}

Test(stats, skew_is_flagged)
{
	struct stats s;

	/* b's weight share is 0.75: a at 0.25 only skews past 1.5x = 0.375 */
	be_cur[0].st.new_flows = 100 + 60000, be_prev[0].st.new_flows = 100;
	be_cur[1].st.new_flows = 300 + 40000, be_prev[1].st.new_flows = 300;
	cr_assert(eq(int, stats_compute(&prev, &cur, 1.0, &s), 0));
	cr_expect(s.vips[0].be[0].skew, "a has 60%% of new flows for a 25%% weight share");
	cr_expect(not(s.vips[0].be[1].skew));
	stats_free(&s);
}

Test(stats, skew_needs_enough_flows)
{
	/* twice the weight share, but from 8 flows: chance, not a skew */
	cr_expect(not(stats_is_skew(0.5, 0.25, 8)));
	cr_expect(stats_is_skew(0.5, 0.25, 400));
	/* a small excess over many flows: real but not 1.5x */
	cr_expect(not(stats_is_skew(0.3, 0.25, 1000000)));
	/* the postmortem: 97% for a 25% weight share */
	cr_expect(stats_is_skew(0.97, 0.25, 100));
	/* no weight share (draining): never flagged */
	cr_expect(not(stats_is_skew(0.5, 0, 100000)));
}

Test(stats, bar_exact_strings)
{
	char b[STATS_BAR_WIDTH + 2];

	/* 20 cells; the marker sits between cells at the weight share */
	cr_expect(eq(str, stats_bar(b, 0.5, 0.5, 1, 20), "##########|          "));
	cr_expect(eq(str, stats_bar(b, 0.6, 0.5, 1, 20), "##########|##        "));
	cr_expect(eq(str, stats_bar(b, 0.25, 0.5, 1, 20), "#####     |          "));
	cr_expect(eq(str, stats_bar(b, 0, 0, 1, 20), "|                    "));
	cr_expect(eq(str, stats_bar(b, 1, 1, 1, 20), "####################|"));
	/* a 10% weight share on a 20% scale: mid-bar; 35% is clipped */
	cr_expect(eq(str, stats_bar(b, 0.35, 0.1, 0.2, 10), "#####|####>"));
	cr_expect(eq(str, stats_bar(b, 0.5, 0.2, 0.2, 10), "#########>|"));
	cr_expect(eq(int, (int)strlen(stats_bar(b, 0.123, 0.456, 1, STATS_BAR_WIDTH)),
		     STATS_BAR_WIDTH + 1));
}

Test(stats, human_numbers)
{
	char b[16];

	cr_expect(eq(str, stats_human(b, sizeof(b), 0), "0"));
	cr_expect(eq(str, stats_human(b, sizeof(b), 999), "999"));
	cr_expect(eq(str, stats_human(b, sizeof(b), 2.5), "2.5"));
	cr_expect(eq(str, stats_human(b, sizeof(b), 1234), "1.23k"));
	cr_expect(eq(str, stats_human(b, sizeof(b), 12345), "12.3k"));
	cr_expect(eq(str, stats_human(b, sizeof(b), 123456), "123k"));
	cr_expect(eq(str, stats_human(b, sizeof(b), 999999), "1.00M"));
	cr_expect(eq(str, stats_human(b, sizeof(b), 2.5e9), "2.50G"));
}

Test(stats, text_lines)
{
	struct stats s;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert(eq(int, stats_compute(NULL, &cur, 0, &s), 0));
	stats_print(f, &cur, &s);
	fclose(f);
	cr_expect(not(eq(ptr, strstr(buf, "vip web 203.0.113.10:80/tcp: packets 3.00k"), NULL)),
		  "%s", buf);
	cr_expect(not(eq(ptr, strstr(buf, "conntrack hits 60.0%"), NULL)), "%s", buf);
	cr_expect(not(eq(ptr,
			 strstr(buf, "  a                active    100   25.0%   24.8%   25.0%   "
				     "20.0%       300       600  "
				     "########|                      \n"),
			 NULL)),
		  "%s", buf);
	cr_expect(not(eq(ptr, strstr(buf, "drops: too_big 30\n"), NULL)), "%s", buf);
	cr_expect(not(eq(ptr, strstr(buf, "xdp actions: pass 7 tx 3.00k\n"), NULL)), "%s", buf);
	free(buf);
	stats_free(&s);
}

static void expect_keys(cJSON *o, const char *const *keys, const char *what)
{
	int n = 0;
	cJSON *it;

	for (int i = 0; keys[i]; i++)
		cr_expect(cJSON_HasObjectItem(o, keys[i]), "%s: no key %s", what, keys[i]);
	cJSON_ArrayForEach(it, o)
	{
		n++;
	}
	for (int i = 0; keys[i]; i++)
		n--;
	cr_expect(eq(int, n, 0), "%s: keys beyond the documented ones", what);
}

Test(stats, json_keys)
{
	static const char *const top[] = { "interface", "window", "seconds", "xdp_actions",
					   "drops",	"passes", "replies", "icmp",
					   "vips",	NULL };
	static const char *const vip[] = { "name",
					   "id",
					   "address",
					   "port",
					   "protocol",
					   "table_size",
					   "packets",
					   "bytes",
					   "new_flows",
					   "conntrack_hits",
					   "conntrack_misses",
					   "drops",
					   "conntrack_hit_ratio",
					   "backends",
					   NULL };
	static const char *const be[] = {
		"name",		"id",	     "address",		"state",	"configured_state",
		"health",	"override",  "weight",		"table_slots",	"packets",
		"bytes",	"new_flows", "weight_share",	"table_share",	"flow_share",
		"packet_share", "skew",	     "conntrack_flows", "idle_seconds", NULL
	};
	static const char *const acts[] = { "aborted", "drop", "pass", "tx", "redirect", NULL };
	struct stats s;

	cr_assert(eq(int, stats_compute(NULL, &cur, 0, &s), 0));
	cJSON *j = stats_json(&cur, &s);
	cJSON *v = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "vips"), 0);
	cJSON *b = cJSON_GetArrayItem(cJSON_GetObjectItem(v, "backends"), 1);

	expect_keys(j, top, "top");
	expect_keys(v, vip, "vip");
	expect_keys(b, be, "backend");
	expect_keys(cJSON_GetObjectItem(j, "xdp_actions"), acts, "xdp_actions");
	cr_expect(eq(int, cJSON_GetArraySize(cJSON_GetObjectItem(j, "drops")), XDPLB_DROP_MAX));
	cr_expect(eq(str, cJSON_GetObjectItem(j, "window")->valuestring, "totals"));
	cr_expect(eq(str, cJSON_GetObjectItem(b, "name")->valuestring, "b"));
	cr_expect(eq(str, cJSON_GetObjectItem(b, "address")->valuestring, "198.51.100.12"));
	cr_expect(eq(dbl, cJSON_GetObjectItem(b, "new_flows")->valuedouble, 900));
	cr_expect(eq(dbl, cJSON_GetObjectItem(b, "weight_share")->valuedouble, 0.75));
	cr_expect(eq(dbl,
		     cJSON_GetObjectItem(cJSON_GetObjectItem(j, "drops"), "too_big")->valuedouble,
		     30));
	cJSON_Delete(j);
	stats_free(&s);
}

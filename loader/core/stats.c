// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * stats.c - the arithmetic and the layout of `xdplb stats`. The command
 * (stats_cmd.c) reads lb_live reads; everything here is pure.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "config.h"
#include "metrics.h"
#include "names.h"
#include "stats.h"

/* cur - prev, or cur when the counter went backwards (zeroed for a new
 * owner of the id) or there is no prev. */
static __u64 delta(__u64 cur, const __u64 *prev)
{
	return prev && *prev <= cur ? cur - *prev : cur;
}

static const struct st_vip *find_vip(const struct lb_live *s, __u32 id)
{
	for (__u32 i = 0; s && i < s->n_vips; i++)
		if (s->vips[i].id == id)
			return &s->vips[i];
	return NULL;
}

static const struct st_backend *find_be(const struct st_vip *v, __u32 id)
{
	for (__u32 i = 0; v && i < v->n_be; i++)
		if (v->be[i].id == id)
			return &v->be[i];
	return NULL;
}

bool stats_is_skew(double share, double w, __u64 n)
{
	/* w == 0: a backend that takes no new flows; its flows in the window
	 * come from a change of weights within it, not from a skew. The rule
	 * is the exporter's imbalance, so the terminal and the alert agree. */
	if (w <= 0 || w >= 1 || !n)
		return false;
	return wilson_lower(share * (double)n, (double)n, IMB_Z) / w > IMB_ALERT;
}

static void backend_window(const struct st_backend *cur, const struct st_backend *prev,
			   struct stats_be *b)
{
	b->st = cur;
	b->packets = delta(cur->st.packets, prev ? &prev->st.packets : NULL);
	b->bytes = delta(cur->st.bytes, prev ? &prev->st.bytes : NULL);
	b->new_flows = delta(cur->st.new_flows, prev ? &prev->st.new_flows : NULL);
}

/* Shares within one VIP, once its backends' windows are known. */
static void vip_shares(const struct st_vip *cur, struct stats_vip *v)
{
	__u64 wsum = 0;
	double max_w = 0;

	for (__u32 i = 0; i < v->n_be; i++) {
		if (v->be[i].st->state == XDPLB_BE_ACTIVE)
			wsum += v->be[i].st->weight;
		v->be_new_flows += v->be[i].new_flows;
		v->be_packets += v->be[i].packets;
	}
	for (__u32 i = 0; i < v->n_be; i++) {
		struct stats_be *b = &v->be[i];

		if (wsum && b->st->state == XDPLB_BE_ACTIVE)
			b->weight_share = (double)b->st->weight / (double)wsum;
		if (cur->table_size)
			b->table_share = (double)b->st->slots / cur->table_size;
		if (v->be_new_flows)
			b->flow_share = (double)b->new_flows / (double)v->be_new_flows;
		if (v->be_packets)
			b->packet_share = (double)b->packets / (double)v->be_packets;
		b->skew = stats_is_skew(b->flow_share, b->weight_share, v->be_new_flows);
		if (b->weight_share > max_w)
			max_w = b->weight_share;
	}
	/* the heaviest backend's weight share sits mid-bar, so up to twice
	 * its share fits; equal halves fill exactly half a bar each */
	v->bar_scale = max_w > 0 && max_w < 0.5 ? 2 * max_w : 1;
}

static int vip_window(const struct st_vip *cur, const struct st_vip *prev, struct stats_vip *v)
{
	const struct xdplb_vip_stats *p = prev ? &prev->st : NULL;

	v->st = cur;
	v->packets = delta(cur->st.packets, p ? &p->packets : NULL);
	v->bytes = delta(cur->st.bytes, p ? &p->bytes : NULL);
	v->new_flows = delta(cur->st.new_flows, p ? &p->new_flows : NULL);
	v->ct_hits = delta(cur->st.ct_hits, p ? &p->ct_hits : NULL);
	v->ct_misses = delta(cur->st.ct_misses, p ? &p->ct_misses : NULL);
	v->drops = delta(cur->st.drops, p ? &p->drops : NULL);
	if (v->ct_hits + v->ct_misses)
		v->ct_hit_ratio = (double)v->ct_hits / (double)(v->ct_hits + v->ct_misses);
	v->be = calloc(cur->n_be + 1, sizeof(*v->be));
	if (!v->be)
		return -ENOMEM;
	v->n_be = cur->n_be;
	for (__u32 i = 0; i < cur->n_be; i++)
		backend_window(&cur->be[i], find_be(prev, cur->be[i].id), &v->be[i]);
	vip_shares(cur, v);
	return 0;
}

int stats_compute(const struct lb_live *prev, const struct lb_live *cur, double seconds,
		  struct stats *out)
{
	memset(out, 0, sizeof(*out));
	out->seconds = prev ? seconds : 0;
	for (int i = 0; i < XDPLB_ACTION_MAX; i++)
		out->actions[i] = delta(cur->global[i], prev ? &prev->global[i] : NULL);
	for (int i = 0; i < XDPLB_DROP_MAX; i++)
		out->drops[i] = delta(cur->global[XDPLB_CNT_DROP_BASE + i],
				      prev ? &prev->global[XDPLB_CNT_DROP_BASE + i] : NULL);
	for (int i = 0; i < XDPLB_PASS_MAX; i++)
		out->passes[i] = delta(cur->global[XDPLB_CNT_PASS_BASE + i],
				       prev ? &prev->global[XDPLB_CNT_PASS_BASE + i] : NULL);
	for (int i = 0; i < XDPLB_REPLY_MAX; i++)
		out->replies[i] = delta(cur->global[XDPLB_CNT_REPLY_BASE + i],
					prev ? &prev->global[XDPLB_CNT_REPLY_BASE + i] : NULL);
	for (int i = 0; i < XDPLB_ICMP_MAX; i++)
		out->icmp[i] = delta(cur->global[XDPLB_CNT_ICMP_BASE + i],
				     prev ? &prev->global[XDPLB_CNT_ICMP_BASE + i] : NULL);
	out->vips = calloc(cur->n_vips + 1, sizeof(*out->vips));
	if (!out->vips)
		return -ENOMEM;
	for (__u32 i = 0; i < cur->n_vips; i++) {
		out->n_vips = i + 1;
		if (vip_window(&cur->vips[i], prev ? find_vip(prev, cur->vips[i].id) : NULL,
			       &out->vips[i])) {
			stats_free(out);
			return -ENOMEM;
		}
	}
	return 0;
}

void stats_free(struct stats *s)
{
	for (__u32 i = 0; i < s->n_vips; i++)
		free(s->vips[i].be);
	free(s->vips);
	s->vips = NULL;
	s->n_vips = 0;
}

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "simulate.h"
#include "xdplb_hash.h"

static __u64 splitmix64(__u64 *s)
{
	__u64 z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

__u32 simulate_pick(const struct checked *c, __u32 vip, const struct xdplb_flow_key *f)
{
	const struct cfg_vip *v = &c->cfg.vips[vip];
	__u32 h = xdplb_vip_hash(f, c->cfg.hash_seed, config_vip_hash_flags(v));

	return c->tables.slots[vip][h % v->table_size];
}

void simulate_flow(const struct cfg_vip *v, __u64 *rng, struct xdplb_flow_key *f)
{
	__u64 r = splitmix64(rng);

	memset(f, 0, sizeof(*f));
	f->family = v->family;
	f->proto = v->proto;
	f->dst = v->addr;
	if (v->family == XDPLB_AF_INET) {
		f->src.v4 = (__u32)r;
	} else {
		__u64 r2 = splitmix64(rng);

		memcpy(&f->src.b[0], &r, 8);
		memcpy(&f->src.b[8], &r2, 8);
	}
	r = splitmix64(rng);
	f->sport = htons((__u16)(1024 + r % (65536 - 1024)));
	f->dport = htons(v->port ? v->port : (__u16)(1 + (r >> 16) % 65535));
}

static void summarize(const struct cfg_vip *v, struct sim_vip *s)
{
	__u64 wsum = vip_active_weight(v, NULL);

	for (__u32 b = 0; b < v->n_backends; b++) {
		struct sim_backend *sb = &s->b[b];

		sb->flow_share = s->flows ? (double)sb->flows / s->flows : 0;
		if (!wsum || !sb->weight_share)
			continue;
		if (sb->table_share / sb->weight_share > s->max_table_ratio)
			s->max_table_ratio = sb->table_share / sb->weight_share;
		if (sb->flow_share / sb->weight_share > s->max_flow_ratio)
			s->max_flow_ratio = sb->flow_share / sb->weight_share;
	}
	for (__u32 b = 0; b < v->n_backends; b++) {
		struct sim_backend *sb = &s->b[b];

		if (fabs(sb->table_share - sb->weight_share) > s->max_table_error)
			s->max_table_error = fabs(sb->table_share - sb->weight_share);
		if (fabs(sb->flow_share - sb->weight_share) > s->max_flow_error)
			s->max_flow_error = fabs(sb->flow_share - sb->weight_share);
	}
}

struct sim_vip *simulate(const struct checked *c, __u64 flows, __u64 seed)
{
	const struct xdplb_config *cfg = &c->cfg;
	struct sim_vip *out = calloc(cfg->n_vips ? cfg->n_vips : 1, sizeof(*out));
	__u64 rng = seed;

	if (!out)
		return NULL;
	for (__u32 vi = 0; vi < cfg->n_vips; vi++) {
		const struct cfg_vip *v = &cfg->vips[vi];
		__u64 wsum = vip_active_weight(v, NULL);
		struct sim_vip *s = &out[vi];
		struct xdplb_flow_key f;

		s->b = calloc(v->n_backends, sizeof(*s->b));
		if (!s->b) {
			simulate_free(out, vi);
			return NULL;
		}
		for (__u32 b = 0; b < v->n_backends; b++) {
			s->b[b].weight_share =
				wsum ? (double)backend_new_flow_weight(&v->backends[b]) / wsum : 0;
			s->b[b].table_share = (double)c->tables.counts[vi][b] / v->table_size;
		}
		for (__u64 i = 0; i < flows; i++) {
			__u32 b;

			simulate_flow(v, &rng, &f);
			b = simulate_pick(c, vi, &f);
			if (b < v->n_backends) {
				s->b[b].flows++;
				s->flows++;
			}
		}
		summarize(v, s);
	}
	return out;
}

void simulate_free(struct sim_vip *s, __u32 n)
{
	if (!s)
		return;
	for (__u32 i = 0; i < n; i++)
		free(s[i].b);
	free(s);
}

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * live.c - the live state's views (live.h): the active bank indexed as
 * VIPs and backends, slot counts, and the active bank as a config.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "live.h"
#include "maglev.h"
#include "tables.h"

static int cmp_vip(const void *a, const void *b)
{
	const struct st_vip *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static void name_of(struct xdplb_name *out, const struct xdplb_name *names, __u32 n, __u32 id)
{
	if (names && id < n)
		*out = names[id];
	else
		memset(out, 0, sizeof(*out));
}

/* The VIPs of the active bank (not the address sentinels), sorted by id. */
static int index_vips(struct lb_live *l)
{
	__u32 a = live_active(l);

	l->vips = calloc(l->n_entries + 1, sizeof(*l->vips));
	if (!l->vips)
		return -ENOMEM;
	l->n_vips = 0;
	for (__u32 i = 0; i < l->n_entries; i++) {
		const struct xdplb_vip_cfg *vc = &l->entries[i].val.bank[a];
		struct st_vip *v;

		if (!(vc->flags & XDPLB_VIP_F_PRESENT) || !l->entries[i].key.proto ||
		    vc->vip_id >= XDPLB_MAX_VIPS)
			continue;
		v = &l->vips[l->n_vips++];
		v->id = vc->vip_id;
		v->key = l->entries[i].key;
		v->table_size = vc->table_size;
		v->flags = vc->flags;
		name_of(&v->name, l->vnames, l->n_vnames, v->id);
	}
	qsort(l->vips, l->n_vips, sizeof(*l->vips), cmp_vip);
	return 0;
}

/* Each backend of the active bank under its VIP, in id order. */
static int index_backends(struct lb_live *l)
{
	__u32 a = live_active(l), *pos = malloc(XDPLB_MAX_VIPS * sizeof(*pos));
	__u32 span = l->be ? XDPLB_MAX_BACKENDS : 0;

	if (!pos)
		return -ENOMEM;
	memset(pos, 0xff, XDPLB_MAX_VIPS * sizeof(*pos));
	for (__u32 vi = 0; vi < l->n_vips; vi++)
		pos[l->vips[vi].id] = vi;
	for (__u32 id = 0; id < span; id++) {
		const struct xdplb_backend *b = &l->be[id];

		if (b->state[a] != XDPLB_BE_NONE && b->vip_id < XDPLB_MAX_VIPS &&
		    pos[b->vip_id] < l->n_vips)
			l->vips[pos[b->vip_id]].n_be++;
	}
	for (__u32 vi = 0; vi < l->n_vips; vi++) {
		l->vips[vi].be = calloc(l->vips[vi].n_be + 1, sizeof(struct st_backend));
		if (!l->vips[vi].be) {
			free(pos);
			return -ENOMEM;
		}
		l->vips[vi].n_be = 0;
	}
	for (__u32 id = 0; id < span; id++) {
		const struct xdplb_backend *b = &l->be[id];
		struct st_backend *sb;
		struct st_vip *v;

		if (b->state[a] == XDPLB_BE_NONE || b->vip_id >= XDPLB_MAX_VIPS ||
		    pos[b->vip_id] >= l->n_vips)
			continue;
		v = &l->vips[pos[b->vip_id]];
		sb = &v->be[v->n_be++];
		sb->id = id;
		sb->addr = b->addr;
		sb->family = b->family;
		sb->state = b->state[a];
		sb->cfg_state = b->cfg_state[a];
		sb->health = b->health[a];
		sb->override = b->flags[a] & XDPLB_BE_F_OVERRIDE;
		sb->weight = b->weight[a];
		name_of(&sb->name, l->bnames, l->n_bnames, id);
	}
	free(pos);
	return 0;
}

int live_index(struct lb_live *l)
{
	int err = index_vips(l);

	return err ? err : index_backends(l);
}

/* Position of a backend id in v->be (sorted by id), or -1. */
static int be_pos(const struct st_vip *v, __u32 id)
{
	__u32 lo = 0, hi = v->n_be;

	while (lo < hi) {
		__u32 mid = lo + (hi - lo) / 2;

		if (v->be[mid].id == id)
			return (int)mid;
		if (v->be[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

void live_count_slots(struct st_vip *v, const __u32 *table)
{
	__u32 last = UINT32_MAX;
	int p = -1;

	/* runs of the same id are common: look each run up once */
	for (__u32 i = 0; i < v->table_size; i++) {
		if (table[i] != last) {
			last = table[i];
			p = be_pos(v, last);
		}
		if (p >= 0)
			v->be[p].slots++;
	}
}

__u32 live_id_span(const struct lb_live *l, bool vips)
{
	__u32 n = 0;

	for (__u32 v = 0; v < l->n_vips; v++) {
		if (vips && l->vips[v].id + 1 > n)
			n = l->vips[v].id + 1;
		for (__u32 b = 0; !vips && b < l->vips[v].n_be; b++)
			if (l->vips[v].be[b].id + 1 > n)
				n = l->vips[v].be[b].id + 1;
	}
	return n;
}

/* ------------------------------------------------------ as a config */

/* A host mask over the last 32 bits back to a prefix length. */
static int plen_of(int family, __be32 hostmask)
{
	return (family == XDPLB_AF_INET ? 32 : 128) - __builtin_popcount(ntohl(hostmask));
}

static void globals(const struct lb_live *l, struct xdplb_config *cfg)
{
	const struct xdplb_global_cfg *g = live_g(l);
	static const struct xdplb_addr zero;

	snprintf(cfg->interface, sizeof(cfg->interface), "%s", l->ifname);
	/* from the maps alone the link, and so the mode, is unknown */
	cfg->mode = !strcmp(l->mode, "generic") ? XDPLB_MODE_GENERIC :
		    !strcmp(l->mode, "native")	? XDPLB_MODE_NATIVE :
						  XDPLB_MODE_UNKNOWN;
	memcpy(cfg->nh_mac, g->nh_mac, 6);
	if (g->src_v4) {
		cfg->src_v4.v4 = g->src_v4;
		cfg->src_v4_plen = plen_of(XDPLB_AF_INET, g->src_v4_hostmask);
	}
	if (memcmp(&g->src_v6, &zero, sizeof(zero))) {
		cfg->src_v6 = g->src_v6;
		cfg->src_v6_plen = plen_of(XDPLB_AF_INET6, g->src_v6_hostmask);
	}
	cfg->mtu = g->mtu;
	cfg->hash_seed = g->hash_seed;
	cfg->udp_timeout = g->udp_timeout;
	cfg->icmp_rate = g->icmp_rate;
	cfg->ct_size = l->ct_size;
	cfg->guards = GUARDS_UNSET;
	hc_unset(&cfg->hc);
	memcpy(cfg->digest, g->digest, sizeof(cfg->digest));
}

/* The live table of sv as backend indexes of v (LIVE_FOREIGN for an id
 * that is not one of its backends). */
static int vip_table(const struct st_vip *sv, const struct cfg_vip *v, __u32 **slots,
		     __u32 **counts)
{
	*slots = malloc(((size_t)v->table_size + 1) * sizeof(**slots));
	*counts = calloc(sv->n_be + 1, sizeof(**counts));
	if (!*slots || !*counts)
		return -ENOMEM;
	for (__u32 i = 0; i < v->table_size; i++) {
		int p = sv->table_size && sv->table ? be_pos(sv, sv->table[i]) : -1;

		(*slots)[i] = p >= 0			  ? (__u32)p :
			      sv->table_size && sv->table ? LIVE_FOREIGN :
							    MAGLEV_NONE;
	}
	maglev_count(*slots, v->table_size, sv->n_be, *counts);
	return 0;
}

static int vip_config(const struct st_vip *sv, struct cfg_vip *v)
{
	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "%s", sv->name.s);
	v->addr = sv->key.addr;
	v->family = sv->key.family;
	v->proto = sv->key.proto;
	v->port = ntohs(sv->key.port);
	v->hash = sv->flags & XDPLB_VIP_F_HASH_SOURCE ? CFG_HASH_SOURCE : CFG_HASH_5TUPLE;
	v->guards = GUARDS_UNSET;
	hc_unset(&v->hc);
	v->n_backends = sv->n_be;
	/* 0 in the map: no backend takes new flows, the table is empty */
	v->table_size = sv->table_size ? sv->table_size : table_size_default(sv->n_be);
	v->backends = calloc(sv->n_be + 1, sizeof(*v->backends));
	if (!v->backends)
		return -ENOMEM;
	for (__u32 b = 0; b < sv->n_be; b++) {
		struct cfg_backend *cb = &v->backends[b];

		snprintf(cb->name, sizeof(cb->name), "%s", sv->be[b].name.s);
		cb->addr = sv->be[b].addr;
		cb->family = sv->be[b].family;
		cb->state = sv->be[b].state;
		cb->cfg_state = sv->be[b].cfg_state;
		cb->health = sv->be[b].health;
		cb->override = sv->be[b].override;
		cb->weight = sv->be[b].weight;
	}
	return 0;
}

int live_to_checked(const struct lb_live *l, struct checked *c, bool with_tables)
{
	struct xdplb_config *cfg = &c->cfg;
	int err = 0;

	memset(c, 0, sizeof(*c));
	globals(l, cfg);
	cfg->n_vips = l->n_vips;
	cfg->vips = calloc(l->n_vips + 1, sizeof(*cfg->vips));
	c->tables.n = l->n_vips;
	c->tables.slots = calloc(l->n_vips + 1, sizeof(*c->tables.slots));
	c->tables.counts = calloc(l->n_vips + 1, sizeof(*c->tables.counts));
	if (!cfg->vips || !c->tables.slots || !c->tables.counts)
		err = -ENOMEM;
	with_tables = with_tables && (l->parts & LIVE_TABLES);
	for (__u32 i = 0; i < l->n_vips && !err; i++) {
		err = vip_config(&l->vips[i], &cfg->vips[i]);
		if (!err && with_tables)
			err = vip_table(&l->vips[i], &cfg->vips[i], &c->tables.slots[i],
					&c->tables.counts[i]);
	}
	if (err)
		checked_free(c);
	return err;
}

int live_ids(const struct lb_live *l, const struct checked *c, __u32 *vip_ids, __u32 **be_ids)
{
	for (__u32 v = 0; v < c->cfg.n_vips; v++) {
		const struct cfg_vip *vip = &c->cfg.vips[v];
		const struct st_vip *sv = NULL;

		for (__u32 i = 0; i < l->n_vips && !sv; i++)
			if (l->vips[i].key.family == vip->family &&
			    l->vips[i].key.proto == vip->proto &&
			    l->vips[i].key.port == htons(vip->port) &&
			    !memcmp(&l->vips[i].key.addr, &vip->addr, sizeof(vip->addr)))
				sv = &l->vips[i];
		if (!sv)
			return -ENOENT;
		vip_ids[v] = sv->id;
		for (__u32 b = 0; b < vip->n_backends; b++) {
			const struct cfg_backend *cb = &vip->backends[b];
			int p = -1;

			for (__u32 k = 0; k < sv->n_be && p < 0; k++)
				if (sv->be[k].family == cb->family &&
				    !memcmp(&sv->be[k].addr, &cb->addr, sizeof(cb->addr)))
					p = (int)k;
			if (p < 0)
				return -ENOENT;
			be_ids[v][b] = sv->be[p].id;
		}
	}
	return 0;
}

const struct st_vip *live_find_vip(const struct lb_live *l, const struct cfg_vip *v)
{
	for (__u32 i = 0; i < l->n_vips; i++) {
		const struct xdplb_vip_key *k = &l->vips[i].key;

		if (k->family == v->family && k->proto == v->proto && k->port == htons(v->port) &&
		    !addr_cmp(&k->addr, &v->addr))
			return &l->vips[i];
	}
	return NULL;
}

const struct st_backend *live_find_be(const struct st_vip *sv, const struct cfg_backend *cb)
{
	for (__u32 k = 0; sv && k < sv->n_be; k++)
		if (sv->be[k].family == cb->family && !addr_cmp(&sv->be[k].addr, &cb->addr))
			return &sv->be[k];
	return NULL;
}

void live_free(struct lb_live *l)
{
	for (__u32 i = 0; i < l->n_vips; i++) {
		free(l->vips[i].be);
		free(l->vips[i].table);
	}
	free(l->vips);
	free(l->entries);
	free(l->be);
	free(l->table_ids);
	free(l->vnames);
	free(l->bnames);
	l->vnames = l->bnames = NULL;
	l->n_vnames = l->n_bnames = 0;
	l->vips = NULL;
	l->entries = NULL;
	l->be = NULL;
	l->table_ids = NULL;
	l->n_vips = l->n_entries = 0;
}

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot.h"

/* A host mask over the last 32 bits back to a prefix length. */
static int plen_of(int family, __be32 hostmask)
{
	return (family == XDPLB_AF_INET ? 32 : 128) - __builtin_popcount(ntohl(hostmask));
}

static void globals(const struct lb_status *st, struct xdplb_config *cfg)
{
	const struct xdplb_global_cfg *g = &st->g;
	static const struct xdplb_addr zero;

	snprintf(cfg->interface, sizeof(cfg->interface), "%s", st->ifname);
	/* from the maps alone the link, and so the mode, is unknown */
	cfg->mode = !strcmp(st->mode, "generic") ? XDPLB_MODE_GENERIC :
		    !strcmp(st->mode, "native")	 ? XDPLB_MODE_NATIVE :
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
	cfg->ct_size = st->ct_size;
	cfg->guards = GUARDS_UNSET;
	memcpy(cfg->digest, g->digest, sizeof(cfg->digest));
}

/* idx_of: an all-0xff array indexed by backend id, left so on return. */
static int vip(const struct st_vip *sv, struct cfg_vip *v, __u32 **slots, __u32 **counts,
	       __u32 *idx_of, bool with_tables)
{
	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "%s", sv->name.s);
	v->addr = sv->key.addr;
	v->family = sv->key.family;
	v->proto = sv->key.proto;
	v->port = ntohs(sv->key.port);
	v->guards = GUARDS_UNSET;
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
		cb->weight = sv->be[b].weight;
	}
	if (!with_tables)
		return 0; /* slots and counts stay NULL */
	*slots = malloc(((size_t)v->table_size + 1) * sizeof(**slots));
	*counts = calloc(sv->n_be + 1, sizeof(**counts));
	if (!*slots || !*counts)
		return -ENOMEM;
	for (__u32 b = 0; b < sv->n_be; b++)
		idx_of[sv->be[b].id] = b;
	for (__u32 i = 0; i < v->table_size; i++) {
		__u32 idx = MAGLEV_NONE;

		if (sv->table_size && sv->table) {
			__u32 id = sv->table[i];

			idx = id < XDPLB_MAX_BACKENDS && idx_of[id] != UINT32_MAX ? idx_of[id] :
										    SNAP_FOREIGN;
		}
		(*slots)[i] = idx;
	}
	for (__u32 b = 0; b < sv->n_be; b++)
		idx_of[sv->be[b].id] = UINT32_MAX;
	maglev_count(*slots, v->table_size, sv->n_be, *counts);
	return 0;
}

int snapshot_from_status(const struct lb_status *st, struct checked *c)
{
	return snapshot_from_status_opt(st, c, true);
}

int snapshot_from_status_opt(const struct lb_status *st, struct checked *c, bool with_tables)
{
	struct xdplb_config *cfg = &c->cfg;
	int err = 0;

	memset(c, 0, sizeof(*c));
	globals(st, cfg);
	cfg->n_vips = st->n_vips;
	cfg->vips = calloc(st->n_vips + 1, sizeof(*cfg->vips));
	c->tables.n = st->n_vips;
	c->tables.slots = calloc(st->n_vips + 1, sizeof(*c->tables.slots));
	c->tables.counts = calloc(st->n_vips + 1, sizeof(*c->tables.counts));
	if (!cfg->vips || !c->tables.slots || !c->tables.counts)
		err = -ENOMEM;
	__u32 *idx_of = malloc(XDPLB_MAX_BACKENDS * sizeof(*idx_of));

	if (!idx_of)
		err = -ENOMEM;
	else
		memset(idx_of, 0xff, XDPLB_MAX_BACKENDS * sizeof(*idx_of));
	for (__u32 i = 0; i < st->n_vips && !err; i++)
		err = vip(&st->vips[i], &cfg->vips[i], &c->tables.slots[i], &c->tables.counts[i],
			  idx_of, with_tables);
	free(idx_of);
	if (err)
		checked_free(c);
	return err;
}

int snapshot_read(const char *ifname, struct checked *c, struct lb_status *st)
{
	struct lb_status local;
	struct lb_status *s = st ? st : &local;
	int err = status_read_tables(ifname, s);

	if (err)
		return err;
	err = snapshot_from_status(s, c);
	if (!st)
		status_free(s);
	return err;
}

int snapshot_read_maps(const struct lb_maps *m, struct checked *c, bool with_tables)
{
	struct lb_status s;
	int err;

	memset(&s, 0, sizeof(s));
	err = status_read_maps(m, &s, with_tables ? ST_TABLES_KEEP : ST_TABLES_SKIP);
	if (!err)
		err = snapshot_from_status_opt(&s, c, with_tables);
	status_free(&s);
	return err;
}

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "plan.h"
#include "tables.h"
#include "xdplb_hash.h"

struct xdplb_vip_key vip_key_of(const struct cfg_vip *v)
{
	struct xdplb_vip_key k;

	memset(&k, 0, sizeof(k));
	k.addr = v->addr;
	k.port = htons(v->port);
	k.proto = v->proto;
	k.family = v->family;
	return k;
}

struct xdplb_vip_key sentinel_key_of(const struct cfg_vip *v)
{
	struct xdplb_vip_key k = vip_key_of(v);

	k.port = 0;
	k.proto = 0;
	return k;
}

/* vips map entries, sorted by key; both the live ones and the plan's */
static int vw_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct plan_vip_write *)a)->key,
		      &((const struct plan_vip_write *)b)->key, sizeof(struct xdplb_vip_key));
}

/* A live backend's identity, for finding its id again. */
struct be_ident {
	__u32 vip_id;
	__u8 family;
	struct xdplb_addr addr;
	__u32 id;
};

static int ident_cmp(const void *pa, const void *pb)
{
	const struct be_ident *a = pa, *b = pb;

	if (a->vip_id != b->vip_id)
		return a->vip_id < b->vip_id ? -1 : 1;
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->addr.b, b->addr.b, sizeof(a->addr.b));
}

/* The id allocator's state for one plan. */
struct alloc {
	__u8 *vip_used, *be_used;
	__u32 vip_cursor, be_cursor;
	struct plan_vip_write *live; /* live vips entries, sorted by key */
	__u32 n_live;
	struct be_ident *idents; /* live backends of the active bank, sorted */
	__u32 n_idents;
	__u32 next_cookie;
};

static void alloc_free(struct alloc *s)
{
	free(s->vip_used);
	free(s->be_used);
	free(s->live);
	free(s->idents);
}

static int alloc_init(struct alloc *s, const struct lb_live *l, __u32 a)
{
	memset(s, 0, sizeof(*s));
	s->vip_used = calloc(XDPLB_MAX_VIPS, 1);
	s->be_used = calloc(XDPLB_MAX_BACKENDS, 1);
	s->live = calloc(l->n_entries + 1, sizeof(*s->live));
	s->idents = calloc(l->be ? XDPLB_MAX_BACKENDS : 1, sizeof(*s->idents));
	if (!s->vip_used || !s->be_used || !s->live || !s->idents)
		return -ENOMEM;
	for (__u32 i = 0; i < l->n_entries; i++) {
		const struct xdplb_vip_cfg *vc = &l->entries[i].val.bank[a];

		s->live[i].key = l->entries[i].key;
		s->live[i].val = l->entries[i].val;
		if ((vc->flags & XDPLB_VIP_F_PRESENT) && l->entries[i].key.proto &&
		    vc->vip_id < XDPLB_MAX_VIPS)
			s->vip_used[vc->vip_id] = 1;
	}
	s->n_live = l->n_entries;
	qsort(s->live, s->n_live, sizeof(*s->live), vw_cmp);
	for (__u32 id = 0; l->be && id < XDPLB_MAX_BACKENDS; id++) {
		const struct xdplb_backend *b = &l->be[id];

		if (b->state[a] == XDPLB_BE_NONE || !b->cookie)
			continue;
		s->be_used[id] = 1;
		s->idents[s->n_idents++] = (struct be_ident){
			.vip_id = b->vip_id, .family = b->family, .addr = b->addr, .id = id
		};
	}
	qsort(s->idents, s->n_idents, sizeof(*s->idents), ident_cmp);
	s->next_cookie = l->ctl.next_cookie ? l->ctl.next_cookie : 1;
	return 0;
}

/* Lowest free id at or after the cursor. */
static int take(__u8 *used, __u32 max, __u32 *cursor, __u32 *out)
{
	for (__u32 i = *cursor; i < max; i++) {
		if (!used[i]) {
			used[i] = 1;
			*cursor = i + 1;
			*out = i;
			return 0;
		}
	}
	return -ENOSPC;
}

static const struct plan_vip_write *live_find(const struct alloc *s, const struct xdplb_vip_key *k)
{
	struct plan_vip_write probe = { .key = *k };

	return bsearch(&probe, s->live, s->n_live, sizeof(*s->live), vw_cmp);
}

/* VIP ids: the live one for a known key, else a fresh one. */
static int assign_vips(struct alloc *s, const struct checked *c, __u32 a, struct plan *p)
{
	for (__u32 v = 0; v < c->cfg.n_vips; v++) {
		struct xdplb_vip_key k = vip_key_of(&c->cfg.vips[v]);
		const struct plan_vip_write *lv = live_find(s, &k);

		if (lv && (lv->val.bank[a].flags & XDPLB_VIP_F_PRESENT)) {
			p->vip_ids[v] = lv->val.bank[a].vip_id;
			continue;
		}
		p->vip_fresh[v] = true;
		if (take(s->vip_used, XDPLB_MAX_VIPS, &s->vip_cursor, &p->vip_ids[v]))
			return -ENOSPC;
	}
	return 0;
}

static int assign_backends(struct alloc *s, const struct checked *c, struct plan *p)
{
	for (__u32 v = 0; v < c->cfg.n_vips; v++) {
		const struct cfg_vip *vip = &c->cfg.vips[v];

		p->be_ids[v] = calloc(vip->n_backends, sizeof(__u32));
		p->be_fresh[v] = calloc(vip->n_backends, sizeof(bool));
		if (!p->be_ids[v] || !p->be_fresh[v])
			return -ENOMEM;
		for (__u32 b = 0; b < vip->n_backends; b++) {
			const struct cfg_backend *be = &vip->backends[b];
			struct be_ident probe = { .vip_id = p->vip_ids[v],
						  .family = be->family,
						  .addr = be->addr };
			const struct be_ident *hit = NULL;

			if (!p->vip_fresh[v])
				hit = bsearch(&probe, s->idents, s->n_idents, sizeof(probe),
					      ident_cmp);
			if (hit) {
				p->be_ids[v][b] = hit->id;
				continue;
			}
			p->be_fresh[v][b] = true;
			if (take(s->be_used, XDPLB_MAX_BACKENDS, &s->be_cursor, &p->be_ids[v][b]))
				return -ENOSPC;
		}
	}
	return 0;
}

/* New state of every backend entry that is, was or becomes in use. */
static int plan_backends(struct alloc *s, const struct lb_live *l, const struct checked *c, __u32 a,
			 __u32 i, struct plan *p)
{
	struct xdplb_backend *nv = calloc(XDPLB_MAX_BACKENDS, sizeof(*nv));
	__u8 *touched = calloc(XDPLB_MAX_BACKENDS, 1);

	if (!nv || !touched) {
		free(nv);
		free(touched);
		return -ENOMEM;
	}
	for (__u32 id = 0; l->be && id < XDPLB_MAX_BACKENDS; id++) {
		if (l->be[id].state[a] == XDPLB_BE_NONE && l->be[id].state[i] == XDPLB_BE_NONE)
			continue;
		nv[id] = l->be[id];
		nv[id].state[i] = XDPLB_BE_NONE; /* unless the config keeps it, below */
		nv[id].weight[i] = 0;
		touched[id] = 1;
	}
	for (__u32 v = 0; v < c->cfg.n_vips; v++) {
		const struct cfg_vip *vip = &c->cfg.vips[v];

		for (__u32 b = 0; b < vip->n_backends; b++) {
			const struct cfg_backend *cb = &vip->backends[b];
			__u32 id = p->be_ids[v][b];

			if (p->be_fresh[v][b]) {
				memset(&nv[id], 0, sizeof(nv[id]));
				nv[id].addr = cb->addr;
				nv[id].family = cb->family;
				nv[id].vip_id = p->vip_ids[v];
				nv[id].cookie = s->next_cookie++;
				if (!s->next_cookie)
					s->next_cookie = 1;
			}
			nv[id].state[i] = cb->state;
			nv[id].weight[i] = (__u16)cb->weight;
			touched[id] = 1;
		}
	}
	for (__u32 id = 0; id < XDPLB_MAX_BACKENDS; id++)
		p->n_bw += touched[id];
	p->bw = calloc(p->n_bw + 1, sizeof(*p->bw));
	if (p->bw) {
		__u32 k = 0;

		for (__u32 id = 0; id < XDPLB_MAX_BACKENDS; id++)
			if (touched[id])
				p->bw[k++] = (struct plan_be_write){ .id = id, .val = nv[id] };
	}
	free(nv);
	free(touched);
	return p->bw ? 0 : -ENOMEM;
}

/* Every key of either bank, with the new bank's half filled in. */
static int plan_vip_entries(struct alloc *s, const struct checked *c, __u32 i, struct plan *p)
{
	__u32 cap = s->n_live + 2 * c->cfg.n_vips, n = 0;
	struct plan_vip_write *vw = calloc(cap + 1, sizeof(*vw));

	if (!vw)
		return -ENOMEM;
	for (__u32 k = 0; k < s->n_live; k++) {
		vw[n] = s->live[k];
		memset(&vw[n].val.bank[i], 0, sizeof(vw[n].val.bank[i]));
		n++;
	}
	for (__u32 v = 0; v < c->cfg.n_vips; v++) {
		vw[n++].key = vip_key_of(&c->cfg.vips[v]);
		vw[n++].key = sentinel_key_of(&c->cfg.vips[v]);
	}
	qsort(vw, n, sizeof(*vw), vw_cmp);
	/* keep the first of equal keys: a live entry sorts with its new twin;
	 * prefer the one whose other bank is filled (the live one) */
	__u32 m = 0;

	for (__u32 k = 0; k < n; k++) {
		if (m && !memcmp(&vw[m - 1].key, &vw[k].key, sizeof(vw[k].key))) {
			if (!vw[m - 1].val.bank[i ^ 1].flags)
				vw[m - 1] = vw[k];
			continue;
		}
		vw[m++] = vw[k];
	}
	for (__u32 v = 0; v < c->cfg.n_vips; v++) {
		const struct cfg_vip *vip = &c->cfg.vips[v];
		struct plan_vip_write probe = { .key = vip_key_of(vip) };
		struct plan_vip_write *e = bsearch(&probe, vw, m, sizeof(*vw), vw_cmp);
		__u32 n_active;

		vip_active_weight(vip, &n_active);
		e->val.bank[i] = (struct xdplb_vip_cfg){
			.flags = XDPLB_VIP_F_PRESENT,
			.vip_id = p->vip_ids[v],
			.table_size = n_active ? vip->table_size : 0,
		};
		probe.key = sentinel_key_of(vip);
		e = bsearch(&probe, vw, m, sizeof(*vw), vw_cmp);
		e->val.bank[i].flags = XDPLB_VIP_F_PRESENT;
	}
	p->vw = vw;
	p->n_vw = m;
	return 0;
}

static void plan_ctl(const struct lb_live *l, const struct checked *c, const struct plan_env *env,
		     __u32 a, __u32 i, __u32 next_cookie, struct plan *p)
{
	const struct xdplb_config *cfg = &c->cfg;
	struct xdplb_global_cfg *g;

	p->ctl = l->ctl;
	p->ctl.active = a;
	p->ctl.abi_version = XDPLB_ABI_VERSION;
	p->ctl.next_cookie = next_cookie;
	for (__u32 k = 0; k < p->n_bw; k++) /* bw is sorted by id */
		if (p->bw[k].id + 1 > p->ctl.be_span)
			p->ctl.be_span = p->bw[k].id + 1;
	g = &p->ctl.bank[i];
	memset(g, 0, sizeof(*g));
	memcpy(g->if_mac, env->if_mac, 6);
	memcpy(g->nh_mac, cfg->nh_mac, 6);
	for (__u32 v = 0; v < cfg->n_vips; v++)
		if (!cfg->vips[v].port)
			g->flags |= XDPLB_G_F_PORTLESS;
	g->hash_seed = cfg->hash_seed;
	g->mtu = cfg->mtu;
	if (cfg->src_v4_plen) {
		g->src_v4 = cfg->src_v4.v4;
		g->src_v4_hostmask = prefix_hostmask(XDPLB_AF_INET, cfg->src_v4_plen);
	}
	if (cfg->src_v6_plen) {
		g->src_v6 = cfg->src_v6;
		g->src_v6_hostmask = prefix_hostmask(XDPLB_AF_INET6, cfg->src_v6_plen);
	}
	g->generation = l->ctl.bank[a].generation + 1;
	memcpy(p->ctl.prog_digest, env->prog_digest, sizeof(p->ctl.prog_digest));
	p->ctl.prog_id = env->prog_id;
	g->load_time = env->now;
	memcpy(g->digest, cfg->digest, sizeof(g->digest));
}

/* (id, weight) of a backend taking new flows, for comparing tables. */
struct eligible {
	__u32 id, weight;
};

static int elig_cmp(const void *a, const void *b)
{
	const struct eligible *x = a, *y = b;

	return x->id != y->id	     ? (x->id < y->id ? -1 : 1) :
	       x->weight < y->weight ? -1 :
				       x->weight > y->weight;
}

/* Is the new table of config VIP v the live one? A table is a function of
 * the eligible backends' identities (ids are stable per address) and
 * weights, the table size and the seed. */
static bool same_table(const struct lb_live *l, const struct checked *c, const struct plan *p,
		       __u32 v, __u32 a, const struct plan_vip_write *lv)
{
	const struct cfg_vip *vip = &c->cfg.vips[v];
	struct eligible *x, *y;
	__u32 nx = 0, ny = 0;
	bool same = false;

	if (p->vip_fresh[v] || !lv || !lv->val.bank[a].table_size ||
	    lv->val.bank[a].table_size != vip->table_size ||
	    l->ctl.bank[a].hash_seed != c->cfg.hash_seed || !l->be)
		return false;
	x = calloc(vip->n_backends + 1, sizeof(*x));
	y = calloc(vip->n_backends + 1, sizeof(*y));
	if (!x || !y)
		goto out;
	for (__u32 b = 0; b < vip->n_backends; b++)
		if (backend_new_flow_weight(&vip->backends[b]))
			x[nx++] = (struct eligible){ p->be_ids[v][b], vip->backends[b].weight };
	for (__u32 id = 0; id < l->ctl.be_span && id < XDPLB_MAX_BACKENDS; id++) {
		const struct xdplb_backend *be = &l->be[id];

		if (be->vip_id != p->vip_ids[v] || be->state[a] != XDPLB_BE_ACTIVE ||
		    !be->weight[a])
			continue;
		if (ny == nx) /* more live eligible backends than new ones */
			goto out;
		y[ny++] = (struct eligible){ id, be->weight[a] };
	}
	if (nx != ny)
		goto out;
	qsort(x, nx, sizeof(*x), elig_cmp);
	qsort(y, ny, sizeof(*y), elig_cmp);
	same = !memcmp(x, y, nx * sizeof(*x));
out:
	free(x);
	free(y);
	return same;
}

void plan_filter(const struct xdplb_config *cfg, struct xdplb_vip_filter *f)
{
	memset(f, 0, sizeof(*f));
	for (__u32 v = 0; v < cfg->n_vips; v++) {
		__u32 bit = xdplb_vip_filter_bit(&cfg->vips[v].addr, cfg->vips[v].family);

		f->w[bit / 64] |= 1ULL << (bit % 64);
	}
}

int plan_build(const struct lb_live *l, const struct checked *c, const struct plan_env *env,
	       struct plan *p)
{
	__u32 n = c->cfg.n_vips ? c->cfg.n_vips : 1;
	__u32 a = xdplb_active_bank(&l->ctl), i = a ^ 1;
	struct alloc s;
	int err;

	memset(p, 0, sizeof(*p));
	p->bank = i;
	p->vip_ids = calloc(n, sizeof(*p->vip_ids));
	p->vip_fresh = calloc(n, sizeof(*p->vip_fresh));
	p->be_ids = calloc(n, sizeof(*p->be_ids));
	p->be_fresh = calloc(n, sizeof(*p->be_fresh));
	err = alloc_init(&s, l, a);
	if (!err && (!p->vip_ids || !p->vip_fresh || !p->be_ids || !p->be_fresh))
		err = -ENOMEM;
	if (!err)
		err = assign_vips(&s, c, a, p);
	if (!err)
		err = assign_backends(&s, c, p);
	if (!err)
		err = plan_backends(&s, l, c, a, i, p);
	if (!err)
		err = plan_vip_entries(&s, c, i, p);
	if (!err) {
		plan_ctl(l, c, env, a, i, s.next_cookie, p);
		plan_filter(&c->cfg, &p->filter);
		p->reuse = calloc(n, sizeof(*p->reuse));
		if (!p->reuse)
			err = -ENOMEM;
		for (__u32 v = 0; !err && v < c->cfg.n_vips; v++) {
			struct xdplb_vip_key k = vip_key_of(&c->cfg.vips[v]);

			p->reuse[v] = same_table(l, c, p, v, a, live_find(&s, &k));
		}
	}
	alloc_free(&s);
	if (err)
		plan_free(p, c->cfg.n_vips);
	return err;
}

void plan_free(struct plan *p, __u32 n_vips)
{
	for (__u32 v = 0; v < n_vips; v++) {
		if (p->be_ids)
			free(p->be_ids[v]);
		if (p->be_fresh)
			free(p->be_fresh[v]);
	}
	free(p->vip_ids);
	free(p->vip_fresh);
	free(p->reuse);
	free(p->be_ids);
	free(p->be_fresh);
	free(p->vw);
	free(p->bw);
	memset(p, 0, sizeof(*p));
}

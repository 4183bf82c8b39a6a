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

/* Backend ids below this may be in use in either bank. */
static __u32 live_span(const struct lb_live *l)
{
	if (!l->be)
		return 0;
	return l->ctl.be_span < XDPLB_MAX_BACKENDS ? l->ctl.be_span : XDPLB_MAX_BACKENDS;
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

/* The live entries sorted by key, and (unless the caller knows the ids)
 * the ids in use with the identities they belong to. */
static int alloc_init(struct alloc *s, const struct lb_live *l, __u32 a, bool ids)
{
	memset(s, 0, sizeof(*s));
	s->vip_used = calloc(XDPLB_MAX_VIPS, 1);
	s->be_used = calloc(XDPLB_MAX_BACKENDS, 1);
	s->live = calloc(l->n_entries + 1, sizeof(*s->live));
	s->idents = calloc(ids ? live_span(l) + 1 : 1, sizeof(*s->idents));
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
	s->next_cookie = l->ctl.next_cookie ? l->ctl.next_cookie : 1;
	for (__u32 id = 0; ids && id < live_span(l); id++) {
		const struct xdplb_backend *b = &l->be[id];

		if (b->state[a] == XDPLB_BE_NONE || !b->cookie)
			continue;
		s->be_used[id] = 1;
		s->idents[s->n_idents++] = (struct be_ident){
			.vip_id = b->vip_id, .family = b->family, .addr = b->addr, .id = id
		};
	}
	qsort(s->idents, s->n_idents, sizeof(*s->idents), ident_cmp);
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

/* The bank-i half of a backend entry as the config wants it (NONE: not
 * in the config). */
static void set_bank(struct xdplb_backend *e, __u32 i, const struct cfg_backend *cb)
{
	e->state[i] = cb ? cb->state : XDPLB_BE_NONE;
	e->cfg_state[i] = cb ? cb->cfg_state : XDPLB_BE_NONE;
	e->health[i] = cb ? cb->health : XDPLB_HEALTH_NONE;
	e->flags[i] = cb && cb->override ? XDPLB_BE_F_OVERRIDE : 0;
	e->weight[i] = cb ? (__u16)cb->weight : 0;
}

/* The other bank made equal to bank i. */
static struct xdplb_backend mirrored(const struct xdplb_backend *e, __u32 i)
{
	struct xdplb_backend m = *e;

	m.state[i ^ 1] = e->state[i];
	m.cfg_state[i ^ 1] = e->cfg_state[i];
	m.health[i ^ 1] = e->health[i];
	m.flags[i ^ 1] = e->flags[i];
	m.weight[i ^ 1] = e->weight[i];
	return m;
}

/* The config's backend of each id below span (NULL: none), and fresh
 * entries' identities. */
static int want_backends(struct alloc *s, const struct checked *c, const struct plan *p, __u32 span,
			 const struct cfg_backend **by_id, struct xdplb_backend *fresh)
{
	for (__u32 v = 0; v < c->cfg.n_vips; v++) {
		const struct cfg_vip *vip = &c->cfg.vips[v];

		for (__u32 b = 0; b < vip->n_backends; b++) {
			__u32 id = p->be_ids[v][b];

			if (id >= span)
				return -EINVAL;
			by_id[id] = &vip->backends[b];
			if (!p->be_fresh[v][b])
				continue;
			memset(&fresh[id], 0, sizeof(fresh[id]));
			fresh[id].addr = vip->backends[b].addr;
			fresh[id].family = vip->backends[b].family;
			fresh[id].vip_id = p->vip_ids[v];
			fresh[id].cookie = s->next_cookie++;
			if (!s->next_cookie)
				s->next_cookie = 1;
		}
	}
	return 0;
}

/* Every backend entry that is, was or becomes in use: the phase A writes
 * (bank i as wanted) and the mirror writes (the other bank equal to it). */
static int plan_backends(struct alloc *s, const struct lb_live *l, const struct checked *c, __u32 i,
			 struct plan *p)
{
	__u32 span = live_span(l), n = 0, nm = 0;
	const struct cfg_backend **by_id;
	struct xdplb_backend *fresh;
	int err;

	for (__u32 v = 0; v < c->cfg.n_vips; v++)
		for (__u32 b = 0; b < c->cfg.vips[v].n_backends; b++)
			if (p->be_ids[v][b] + 1 > span)
				span = p->be_ids[v][b] + 1;
	by_id = calloc(span + 1, sizeof(*by_id));
	fresh = calloc(span + 1, sizeof(*fresh));
	p->bw = calloc(span + 1, sizeof(*p->bw));
	p->mbw = calloc(span + 1, sizeof(*p->mbw));
	err = by_id && fresh && p->bw && p->mbw ? 0 : -ENOMEM;
	if (!err)
		err = want_backends(s, c, p, span, by_id, fresh);
	for (__u32 id = 0; !err && id < span; id++) {
		static const struct xdplb_backend zero;
		const struct xdplb_backend *cur = id < live_span(l) ? &l->be[id] : &zero;
		struct xdplb_backend want = fresh[id].cookie ? fresh[id] : *cur, m;

		if (!by_id[id] && !memcmp(cur, &zero, sizeof(zero)))
			continue;
		if (fresh[id].cookie) /* the other bank: nothing of the old owner */
			set_bank(&want, i ^ 1, NULL);
		set_bank(&want, i, by_id[id]);
		if (memcmp(&want, cur, sizeof(want)))
			p->bw[n++] = (struct plan_be_write){ .id = id, .val = want };
		m = mirrored(&want, i);
		if (memcmp(&m, &want, sizeof(m)))
			p->mbw[nm++] = (struct plan_be_write){ .id = id, .val = m };
	}
	p->n_bw = n;
	p->n_mbw = nm;
	free(by_id);
	free(fresh);
	return err;
}

static int bw_cmp(const void *a, const void *b)
{
	__u32 x = ((const struct plan_be_write *)a)->id, y = ((const struct plan_be_write *)b)->id;

	return (x > y) - (x < y);
}

/* plan_backends for a health change (hint->touched): the ids are the live
 * ones and none is fresh, so only the touched VIPs' entries can differ
 * from the live ones; the same writes, without a pass over every id. */
static int plan_backends_touched(const struct lb_live *l, const struct checked *c, __u32 i,
				 const bool *touched, struct plan *p)
{
	__u32 span = live_span(l), cap = 0, n = 0, nm = 0;

	for (__u32 v = 0; v < c->cfg.n_vips; v++)
		if (touched[v])
			cap += c->cfg.vips[v].n_backends;
	p->bw = calloc(cap + 1, sizeof(*p->bw));
	p->mbw = calloc(cap + 1, sizeof(*p->mbw));
	if (!p->bw || !p->mbw)
		return -ENOMEM;
	for (__u32 v = 0; v < c->cfg.n_vips; v++) {
		const struct cfg_vip *vip = &c->cfg.vips[v];

		for (__u32 b = 0; touched[v] && b < vip->n_backends; b++) {
			__u32 id = p->be_ids[v][b];
			struct xdplb_backend want, m;

			if (id >= span)
				return -EINVAL; /* not live: not a health change */
			want = l->be[id];
			set_bank(&want, i, &vip->backends[b]);
			if (memcmp(&want, &l->be[id], sizeof(want)))
				p->bw[n++] = (struct plan_be_write){ .id = id, .val = want };
			m = mirrored(&want, i);
			if (memcmp(&m, &want, sizeof(m)))
				p->mbw[nm++] = (struct plan_be_write){ .id = id, .val = m };
		}
	}
	qsort(p->bw, n, sizeof(*p->bw), bw_cmp);
	qsort(p->mbw, nm, sizeof(*p->mbw), bw_cmp);
	p->n_bw = n;
	p->n_mbw = nm;
	return 0;
}

/* Every key of either bank, with the new bank's half filled in: the phase
 * A writes are those that change, the mirror writes those whose halves
 * then differ, the deletions those empty in both. */
static int plan_vip_entries(struct alloc *s, const struct checked *c, __u32 i, struct plan *p)
{
	__u32 cap = s->n_live + 2 * c->cfg.n_vips, n = 0, m = 0;
	struct plan_vip_write *all = calloc(cap + 1, sizeof(*all));

	p->vw = calloc(cap + 1, sizeof(*p->vw));
	p->mvw = calloc(cap + 1, sizeof(*p->mvw));
	p->vdel = calloc(cap + 1, sizeof(*p->vdel));
	if (!all || !p->vw || !p->mvw || !p->vdel) {
		free(all);
		return -ENOMEM;
	}
	for (__u32 k = 0; k < s->n_live; k++) {
		all[n] = s->live[k];
		memset(&all[n].val.bank[i], 0, sizeof(all[n].val.bank[i]));
		n++;
	}
	for (__u32 v = 0; v < c->cfg.n_vips; v++) {
		all[n++].key = vip_key_of(&c->cfg.vips[v]);
		all[n++].key = sentinel_key_of(&c->cfg.vips[v]);
	}
	qsort(all, n, sizeof(*all), vw_cmp);
	/* keep the first of equal keys: a live entry sorts with its new twin;
	 * prefer the one whose other bank is filled (the live one) */
	for (__u32 k = 0; k < n; k++) {
		if (m && !memcmp(&all[m - 1].key, &all[k].key, sizeof(all[k].key))) {
			if (!all[m - 1].val.bank[i ^ 1].flags)
				all[m - 1] = all[k];
			continue;
		}
		all[m++] = all[k];
	}
	for (__u32 v = 0; v < c->cfg.n_vips; v++) {
		const struct cfg_vip *vip = &c->cfg.vips[v];
		struct plan_vip_write probe = { .key = vip_key_of(vip) };
		struct plan_vip_write *e = bsearch(&probe, all, m, sizeof(*all), vw_cmp);
		__u32 n_active = 0;

		/* a reused table is the live one, so is its size (0: empty):
		 * no pass over the backends of every VIP a change keeps */
		if (p->reuse[v])
			n_active = e->val.bank[i ^ 1].table_size != 0;
		else
			vip_active_weight(vip, &n_active);
		e->val.bank[i] = (struct xdplb_vip_cfg){
			.flags = XDPLB_VIP_F_PRESENT | config_vip_hash_flags(vip),
			.vip_id = p->vip_ids[v],
			.table_size = n_active ? vip->table_size : 0,
		};
		probe.key = sentinel_key_of(vip);
		e = bsearch(&probe, all, m, sizeof(*all), vw_cmp);
		/* shared by the VIPs of the address: serving if one takes
		 * new flows (echo replies, bpf/xdplb_abi.h) */
		e->val.bank[i].flags |= XDPLB_VIP_F_PRESENT | (n_active ? XDPLB_VIP_F_SERVING : 0);
	}
	for (__u32 k = 0; k < m; k++) {
		const struct plan_vip_write *cur = live_find(s, &all[k].key);
		struct plan_vip_write mw = all[k];

		if (!cur || memcmp(&cur->val, &all[k].val, sizeof(cur->val)))
			p->vw[p->n_vw++] = all[k];
		mw.val.bank[i ^ 1] = mw.val.bank[i];
		if (!(mw.val.bank[i].flags & XDPLB_VIP_F_PRESENT))
			p->vdel[p->n_vdel++] = mw.key;
		else if (memcmp(&mw.val, &all[k].val, sizeof(mw.val)))
			p->mvw[p->n_mvw++] = mw;
	}
	free(all);
	return 0;
}

/* ---------------------------------- a health change's VIP entries */

static int cmp_entry(const void *a, const void *b)
{
	return memcmp(&((const struct live_entry *)a)->key, &((const struct live_entry *)b)->key,
		      sizeof(struct xdplb_vip_key));
}

/* Is l->entries sorted by key, as plan_apply_to_live() leaves it? */
static bool entries_sorted(const struct lb_live *l)
{
	for (__u32 k = 1; k < l->n_entries; k++)
		if (cmp_entry(&l->entries[k - 1], &l->entries[k]) >= 0)
			return false;
	return true;
}

static const struct live_entry *entry_find(const struct lb_live *l, const struct xdplb_vip_key *k)
{
	struct live_entry probe = { .key = *k };

	return bsearch(&probe, l->entries, l->n_entries, sizeof(*l->entries), cmp_entry);
}

/* At most this many touched VIPs are planned alone; more go the way of a
 * load (a sentinel's VIPs are found by a pass over the config's). */
#define TOUCHED_ALONE 32

/* Can a health change plan only the touched VIPs' vips entries? When the
 * live state is that of a complete commit (both banks equal: the vips map
 * holds exactly the config's keys, both halves the same) and the entries
 * are sorted, only a touched VIP's entry and its address sentinel can
 * change: plan_vip_entries() would write nothing for any other key. */
static bool touched_plan(const struct lb_live *l, const struct plan_env *env,
			 const struct checked *c)
{
	__u32 n = 0;

	if (!env->health_only || !env->hint || !env->hint->touched || !l->be ||
	    memcmp(&l->ctl.bank[0], &l->ctl.bank[1], sizeof(l->ctl.bank[0])))
		return false;
	for (__u32 v = 0; v < c->cfg.n_vips; v++)
		n += env->hint->touched[v];
	return n <= TOUCHED_ALONE && entries_sorted(l);
}

/* Does config VIP v take new flows in bank i? As plan_vip_entries()
 * decides it: a reused table's size is the live one. -1: no live entry. */
static int vip_serving(const struct lb_live *l, const struct checked *c, const struct plan *p,
		       __u32 v, __u32 i)
{
	struct xdplb_vip_key k = vip_key_of(&c->cfg.vips[v]);
	const struct live_entry *e;
	__u32 n_active = 0;

	if (p->reuse[v]) {
		e = entry_find(l, &k);
		if (!e)
			return -1;
		return e->val.bank[i ^ 1].table_size != 0;
	}
	vip_active_weight(&c->cfg.vips[v], &n_active);
	return n_active != 0;
}

/* One entry as plan_vip_entries() plans it: the live value with bank i's
 * half `half`; a phase A write when it differs, a mirror write when the
 * halves then differ. */
static void plan_entry(const struct live_entry *cur, const struct xdplb_vip_cfg *half, __u32 i,
		       struct plan *p)
{
	struct plan_vip_write w = { .key = cur->key, .val = cur->val }, mw;

	w.val.bank[i] = *half;
	if (memcmp(&cur->val, &w.val, sizeof(w.val)))
		p->vw[p->n_vw++] = w;
	mw = w;
	mw.val.bank[i ^ 1] = mw.val.bank[i];
	if (memcmp(&mw.val, &w.val, sizeof(mw.val)))
		p->mvw[p->n_mvw++] = mw;
}

/* plan_vip_entries() for a health change (touched_plan()): the touched
 * VIPs' entries and their sentinels only, in key order. -EAGAIN when a key
 * is not live (then the whole plan). */
static int plan_vip_entries_touched(const struct lb_live *l, const struct checked *c, __u32 i,
				    const bool *touched, struct plan *p)
{
	__u32 n = 0, cap = 0;
	struct live_entry *keys;
	int err = 0;

	for (__u32 v = 0; v < c->cfg.n_vips; v++)
		cap += touched[v] ? 2 : 0;
	keys = calloc(cap + 1, sizeof(*keys));
	p->vw = calloc(cap + 1, sizeof(*p->vw));
	p->mvw = calloc(cap + 1, sizeof(*p->mvw));
	p->vdel = calloc(1, sizeof(*p->vdel));
	if (!keys || !p->vw || !p->mvw || !p->vdel) {
		free(keys);
		return -ENOMEM;
	}
	for (__u32 v = 0; v < c->cfg.n_vips; v++) {
		if (!touched[v])
			continue;
		keys[n++].key = vip_key_of(&c->cfg.vips[v]);
		keys[n++].key = sentinel_key_of(&c->cfg.vips[v]);
	}
	qsort(keys, n, sizeof(*keys), cmp_entry);
	for (__u32 k = 0; k < n && !err; k++) {
		const struct live_entry *cur = entry_find(l, &keys[k].key);
		struct xdplb_vip_cfg half = { 0 };
		bool serving = false;

		if (k && !cmp_entry(&keys[k - 1], &keys[k]))
			continue; /* a sentinel of two touched VIPs */
		if (!cur) {
			err = -EAGAIN;
			break;
		}
		for (__u32 v = 0; v < c->cfg.n_vips && !err; v++) {
			const struct cfg_vip *vip = &c->cfg.vips[v];
			struct xdplb_vip_key vk = vip_key_of(vip), sk = sentinel_key_of(vip);
			int on;

			if (!memcmp(&vk, &cur->key, sizeof(vk))) {
				on = vip_serving(l, c, p, v, i);
				half.flags |= XDPLB_VIP_F_PRESENT | config_vip_hash_flags(vip);
				half.vip_id = p->vip_ids[v];
				half.table_size = on > 0 ? vip->table_size : 0;
			} else if (!memcmp(&sk, &cur->key, sizeof(sk))) {
				on = vip_serving(l, c, p, v, i);
				serving |= on > 0;
				half.flags |= XDPLB_VIP_F_PRESENT;
			} else {
				continue;
			}
			err = on < 0 ? -EAGAIN : 0;
		}
		if (serving)
			half.flags |= XDPLB_VIP_F_SERVING;
		if (!err)
			plan_entry(cur, &half, i, p);
	}
	free(keys);
	return err;
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
	if (env->health_only) { /* the config as it was; only the states changed */
		p->ctl.bank[i] = l->ctl.bank[a];
		p->ctl.bank[i].health_seq = l->ctl.bank[a].health_seq + 1;
		if (env->macs) {
			memcpy(p->ctl.bank[i].if_mac, env->if_mac, 6);
			memcpy(p->ctl.bank[i].nh_mac, cfg->nh_mac, 6);
		}
		memcpy(p->ctl.prog_digest, env->prog_digest, sizeof(p->ctl.prog_digest));
		p->ctl.prog_id = env->prog_id;
		return;
	}
	g = &p->ctl.bank[i];
	memset(g, 0, sizeof(*g));
	memcpy(g->if_mac, env->if_mac, 6);
	memcpy(g->nh_mac, cfg->nh_mac, 6);
	for (__u32 v = 0; v < cfg->n_vips; v++)
		if (!cfg->vips[v].port)
			g->flags |= XDPLB_G_F_PORTLESS;
	if (cfg->icmp_echo)
		g->flags |= XDPLB_G_F_ICMP_ECHO;
	g->hash_seed = cfg->hash_seed;
	g->mtu = cfg->mtu;
	g->udp_timeout = cfg->udp_timeout;
	g->icmp_rate = cfg->icmp_rate;
	if (cfg->src_v4_plen) {
		g->src_v4 = cfg->src_v4.v4;
		g->src_v4_hostmask = prefix_hostmask(XDPLB_AF_INET, cfg->src_v4_plen);
	}
	if (cfg->src_v6_plen) {
		g->src_v6 = cfg->src_v6;
		g->src_v6_hostmask = prefix_hostmask(XDPLB_AF_INET6, cfg->src_v6_plen);
	}
	g->generation = l->ctl.bank[a].generation + 1;
	g->health_seq = l->ctl.bank[a].health_seq;
	memcpy(p->ctl.prog_digest, env->prog_digest, sizeof(p->ctl.prog_digest));
	p->ctl.prog_id = env->prog_id;
	g->load_time = env->now;
	memcpy(g->digest, cfg->digest, sizeof(g->digest));
	g->host_tag = config_host_tag(cfg);
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
	for (__u32 id = 0; id < live_span(l); id++) {
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

/* Names of the config's VIPs and backends that the live maps do not hold
 * (new ids, renames). */
static int plan_names(const struct lb_live *l, const struct checked *c, struct plan *p)
{
	__u32 nb = 0;

	for (__u32 v = 0; v < c->cfg.n_vips; v++)
		nb += c->cfg.vips[v].n_backends;
	p->vname_ids = calloc(c->cfg.n_vips + 1, sizeof(__u32));
	p->vnames = calloc(c->cfg.n_vips + 1, sizeof(*p->vnames));
	p->bname_ids = calloc(nb + 1, sizeof(__u32));
	p->bnames = calloc(nb + 1, sizeof(*p->bnames));
	if (!p->vname_ids || !p->vnames || !p->bname_ids || !p->bnames)
		return -ENOMEM;
	for (__u32 v = 0; v < c->cfg.n_vips; v++) {
		const struct cfg_vip *vip = &c->cfg.vips[v];
		__u32 id = p->vip_ids[v];

		if (id >= l->n_vnames || strncmp(l->vnames[id].s, vip->name, XDPLB_NAME_LEN)) {
			p->vname_ids[p->n_vnames] = id;
			memcpy(p->vnames[p->n_vnames++].s, vip->name, XDPLB_NAME_LEN);
		}
		for (__u32 b = 0; b < vip->n_backends; b++) {
			id = p->be_ids[v][b];
			if (id < l->n_bnames &&
			    !strncmp(l->bnames[id].s, vip->backends[b].name, XDPLB_NAME_LEN))
				continue;
			p->bname_ids[p->n_bnames] = id;
			memcpy(p->bnames[p->n_bnames++].s, vip->backends[b].name, XDPLB_NAME_LEN);
		}
	}
	return 0;
}

void plan_filter(const struct xdplb_config *cfg, struct xdplb_vip_filter *f)
{
	memset(f, 0, sizeof(*f));
	for (__u32 v = 0; v < cfg->n_vips; v++) {
		__u32 bit = xdplb_vip_filter_bit(&cfg->vips[v].addr, cfg->vips[v].family);

		f->w[bit / 64] |= 1ULL << (bit % 64);
	}
}

/* Ids and table reuse as the caller knows them (a health change): the
 * hint's backend ids themselves (the caller keeps them past the plan),
 * and one array of "not fresh" for every VIP. */
static int take_hint(const struct plan_hint *h, const struct checked *c, struct plan *p)
{
	__u32 max = 0;

	for (__u32 v = 0; v < c->cfg.n_vips; v++)
		if (c->cfg.vips[v].n_backends > max)
			max = c->cfg.vips[v].n_backends;
	p->no_fresh = calloc(max + 1, sizeof(bool));
	if (!p->no_fresh)
		return -ENOMEM;
	p->borrowed = true;
	for (__u32 v = 0; v < c->cfg.n_vips; v++) {
		p->vip_ids[v] = h->vip_ids[v];
		p->reuse[v] = h->table_same[v];
		p->be_ids[v] = h->be_ids[v];
		p->be_fresh[v] = p->no_fresh;
	}
	return 0;
}

static int assign(struct alloc *s, const struct lb_live *l, const struct checked *c,
		  const struct plan_env *env, __u32 a, struct plan *p)
{
	int err;

	if (env->hint)
		return take_hint(env->hint, c, p);
	err = assign_vips(s, c, a, p);
	if (!err)
		err = assign_backends(s, c, p);
	for (__u32 v = 0; !err && v < c->cfg.n_vips; v++) {
		struct xdplb_vip_key k = vip_key_of(&c->cfg.vips[v]);

		p->reuse[v] = same_table(l, c, p, v, a, live_find(s, &k));
	}
	return err;
}

int plan_build(const struct lb_live *l, const struct checked *c, const struct plan_env *env,
	       struct plan *p)
{
	__u32 n = c->cfg.n_vips ? c->cfg.n_vips : 1;
	__u32 a = xdplb_active_bank(&l->ctl), i = a ^ 1;
	bool alone = touched_plan(l, env, c);
	struct alloc s;
	int err;

	memset(p, 0, sizeof(*p));
	p->bank = i;
	p->same_ids = env->hint && env->health_only;
	p->vip_ids = calloc(n, sizeof(*p->vip_ids));
	p->vip_fresh = calloc(n, sizeof(*p->vip_fresh));
	p->be_ids = calloc(n, sizeof(*p->be_ids));
	p->be_fresh = calloc(n, sizeof(*p->be_fresh));
	p->reuse = calloc(n, sizeof(*p->reuse));
	if (alone) { /* neither ids to give nor the live entries sorted */
		memset(&s, 0, sizeof(s));
		s.next_cookie = l->ctl.next_cookie ? l->ctl.next_cookie : 1;
		err = 0;
	} else {
		err = alloc_init(&s, l, a, !env->hint);
	}
	if (!err && (!p->vip_ids || !p->vip_fresh || !p->be_ids || !p->be_fresh || !p->reuse))
		err = -ENOMEM;
	if (!err)
		err = assign(&s, l, c, env, a, p);
	if (!err && env->hint && env->hint->touched && l->be)
		err = plan_backends_touched(l, c, i, env->hint->touched, p);
	else if (!err)
		err = plan_backends(&s, l, c, i, p);
	if (!err && alone) {
		err = plan_vip_entries_touched(l, c, i, env->hint->touched, p);
		if (err == -EAGAIN) { /* a key not live: every entry, sorted */
			free(p->vw);
			free(p->mvw);
			free(p->vdel);
			p->vw = p->mvw = NULL;
			p->vdel = NULL;
			p->n_vw = p->n_mvw = p->n_vdel = 0;
			err = alloc_init(&s, l, a, false);
		}
		if (!err && !p->vw)
			err = plan_vip_entries(&s, c, i, p);
	} else if (!err) {
		err = plan_vip_entries(&s, c, i, p);
	}
	/* a health change: the config is the live one, its names too */
	if (!err && !env->health_only)
		err = plan_names(l, c, p);
	if (!err) {
		plan_ctl(l, c, env, a, i, s.next_cookie, p);
		plan_filter(&c->cfg, &p->filter);
	}
	alloc_free(&s);
	if (err)
		plan_free(p, c->cfg.n_vips);
	return err;
}

void plan_free(struct plan *p, __u32 n_vips)
{
	for (__u32 v = 0; !p->borrowed && v < n_vips; v++) {
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
	free(p->no_fresh);
	free(p->vw);
	free(p->bw);
	free(p->mvw);
	free(p->mbw);
	free(p->vdel);
	free(p->vname_ids);
	free(p->vnames);
	free(p->bname_ids);
	free(p->bnames);
	memset(p, 0, sizeof(*p));
}

/* ------------------------------------------- the live state afterwards */

/* The vips map after the commit: every key of the mirror writes and of the
 * live map but the deleted ones, both halves the new bank's. */
static int entries_after(struct lb_live *l, const struct plan *p)
{
	__u32 n = 0;
	struct live_entry *e = calloc(l->n_entries + p->n_vw + 1, sizeof(*e));

	if (!e)
		return -ENOMEM;
	if (entries_sorted(l)) { /* merged: p->vw is sorted by key too */
		__u32 a = 0, b = 0;

		while (a < p->n_vw || b < l->n_entries) {
			int d = a == p->n_vw	  ? 1 :
				b == l->n_entries ? -1 :
						    memcmp(&p->vw[a].key, &l->entries[b].key,
							   sizeof(p->vw[a].key));

			if (d <= 0) {
				e[n++] = (struct live_entry){ .key = p->vw[a].key,
							      .val = p->vw[a].val };
				a++;
			} else {
				e[n++] = l->entries[b++];
			}
			b += !d; /* the live entry the write replaces */
		}
	} else {
		for (__u32 k = 0; k < p->n_vw; k++)
			e[n++] = (struct live_entry){ .key = p->vw[k].key, .val = p->vw[k].val };
		for (__u32 k = 0; k < l->n_entries; k++) {
			struct plan_vip_write probe = { .key = l->entries[k].key };

			/* p->vw is sorted by key */
			if (!bsearch(&probe, p->vw, p->n_vw, sizeof(*p->vw), vw_cmp))
				e[n++] = l->entries[k];
		}
		qsort(e, n, sizeof(*e), cmp_entry);
	}
	for (__u32 k = 0; k < n; k++)
		e[k].val.bank[p->bank ^ 1] = e[k].val.bank[p->bank];
	/* drop those present in neither bank */
	__u32 m = 0;

	for (__u32 k = 0; k < n; k++)
		if (e[k].val.bank[p->bank].flags & XDPLB_VIP_F_PRESENT)
			e[m++] = e[k];
	free(l->entries);
	l->entries = e;
	l->n_entries = m;
	return 0;
}

static int names_after(struct xdplb_name **names, __u32 *n, const __u32 *ids,
		       const struct xdplb_name *vals, __u32 count)
{
	for (__u32 k = 0; k < count; k++) {
		if (ids[k] >= *n) {
			struct xdplb_name *nn = realloc(*names, (ids[k] + 1) * sizeof(**names));

			if (!nn)
				return -ENOMEM;
			memset(nn + *n, 0, (ids[k] + 1 - *n) * sizeof(**names));
			*names = nn;
			*n = ids[k] + 1;
		}
		(*names)[ids[k]] = vals[k];
	}
	return 0;
}

int plan_apply_to_live(struct lb_live *l, const struct plan *p, const struct checked *c,
		       const __u32 *table_ids)
{
	int err;

	if (!l->be) {
		l->be = calloc(XDPLB_MAX_BACKENDS, sizeof(*l->be));
		if (!l->be)
			return -ENOMEM;
	}
	for (__u32 k = 0; k < p->n_bw; k++)
		l->be[p->bw[k].id] = mirrored(&p->bw[k].val, p->bank);
	for (__u32 k = 0; k < p->n_mbw; k++)
		l->be[p->mbw[k].id] = p->mbw[k].val;
	l->ctl = p->ctl;
	l->ctl.active = p->bank;
	l->ctl.bank[p->bank ^ 1] = l->ctl.bank[p->bank];
	err = entries_after(l, p);
	if (!err)
		err = names_after(&l->vnames, &l->n_vnames, p->vname_ids, p->vnames, p->n_vnames);
	if (!err)
		err = names_after(&l->bnames, &l->n_bnames, p->bname_ids, p->bnames, p->n_bnames);
	if (err || !l->table_ids)
		return err;
	for (__u32 s = 0; s < XDPLB_BARRIER_SLOT; s++)
		l->table_ids[s] = l->empty_table_id;
	for (__u32 v = 0; v < c->cfg.n_vips; v++) {
		__u32 id = table_ids[v] ? table_ids[v] : l->empty_table_id;

		l->table_ids[xdplb_table_slot(0, p->vip_ids[v])] = id;
		l->table_ids[xdplb_table_slot(1, p->vip_ids[v])] = id;
	}
	return 0;
}

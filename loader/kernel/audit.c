// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "addr.h"
#include "names.h"
#include "audit.h"
#include "tables.h"
#include "bpffs.h"
#include "diff.h"
#include "effective.h"
#include "maps.h"
#include "neigh.h"
#include "netdev.h"
#include "overrides.h"
#include "plan.h"
#include "xdplb_hash.h"
#include "sha256.h"
#include "status.h"

static void vadd(struct finding **f, size_t *n, const char *what, const char *where,
		 const char *fmt, va_list ap)
{
	struct finding *nf = reallocarray(*f, *n + 1, sizeof(*nf));

	if (!nf)
		return;
	*f = nf;
	memset(&nf[*n], 0, sizeof(nf[*n]));
	snprintf(nf[*n].what, sizeof(nf[*n].what), "%s", what);
	snprintf(nf[*n].where, sizeof(nf[*n].where), "%s", where);
	vsnprintf(nf[*n].msg, sizeof(nf[*n].msg), fmt, ap);
	(*n)++;
}

/* A drift. */
static void add(struct audit *a, const char *what, const char *where, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vadd(&a->f, &a->n, what, where, fmt, ap);
	va_end(ap);
}

/* What differs by design: health, overrides. */
static void note(struct audit *a, const char *what, const char *where, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vadd(&a->notes, &a->n_notes, what, where, fmt, ap);
	va_end(ap);
}

static void program(const struct lb_live *st, struct checked *want, struct audit *a)
{
	const char *want_mode = want->cfg.mode == XDPLB_MODE_GENERIC ? "generic" : "native";

	if (!st->attached) {
		add(a, "program", "link",
		    "the program is not attached (link %u, program %u): the interface passes everything; run `xdplb load` again",
		    st->link_id, st->prog_id);
		return;
	}
	if (strcmp(st->prog_name, "xdplb_lb"))
		add(a, "program", "link", "the attached program is \"%s\", not xdplb_lb",
		    st->prog_name);
	if (strcmp(st->mode, want_mode))
		add(a, "mode", "link", "attached in %s mode, the config says %s", st->mode,
		    want_mode);
}

static void globals(const struct checked *live, const struct checked *want, struct audit *a)
{
	const struct xdplb_config *l = &live->cfg, *w = &want->cfg;
	char m1[20], m2[20];

	/* a next_hop address is the service's to keep resolved: compared
	 * once resolved (neigh_lookup_cfg()) */
	if (memcmp(l->nh_mac, w->nh_mac, 6) && (w->nh.kind == NH_MAC || !mac_is_zero(w->nh_mac)))
		add(a, "global", "next_hop_mac", "live %s, config %s", mac_str(l->nh_mac, m1),
		    mac_str(w->nh_mac, m2));
	if (l->udp_timeout != w->udp_timeout)
		add(a, "global", "udp_timeout", "live %u, config %u", l->udp_timeout,
		    w->udp_timeout);
	if (l->icmp_rate != w->icmp_rate)
		add(a, "global", "icmp_rate", "live %u, config %u", l->icmp_rate, w->icmp_rate);
	if (l->mtu != w->mtu)
		add(a, "global", "mtu", "live %u, config %u", l->mtu, w->mtu);
	if (l->hash_seed != w->hash_seed)
		add(a, "global", "hash_seed", "live 0x%x, config 0x%x", l->hash_seed, w->hash_seed);
	if (l->ct_size != w->ct_size)
		add(a, "global", "conntrack_size", "live %u, config %u", l->ct_size, w->ct_size);
	if (l->src_v4_plen != w->src_v4_plen || addr_cmp(&l->src_v4, &w->src_v4))
		add(a, "global", "source_v4", "live and config differ");
	if (l->src_v6_plen != w->src_v6_plen || addr_cmp(&l->src_v6, &w->src_v6))
		add(a, "global", "source_v6", "live and config differ");
}

/* VIPs, backends and table slots, through the same diff as `xdplb diff`. */
static void contents(const struct checked *live, const struct checked *want, struct audit *a)
{
	struct diff d;
	char where[160], addr[ADDR_STRLEN];

	if (diff_compute(live, want, &d))
		return;
	for (size_t i = 0; i < d.n; i++) {
		const struct vip_diff *vd = &d.v[i];
		const struct cfg_vip *lv = vd->a >= 0 ? &live->cfg.vips[vd->a] : NULL;
		const struct cfg_vip *wv = vd->b >= 0 ? &want->cfg.vips[vd->b] : NULL;

		if (!vd->changed)
			continue;
		snprintf(where, sizeof(where), "vip %s", wv ? wv->name : lv->name);
		if (!lv) {
			add(a, "vip", where, "missing: in the config, not live");
			continue;
		}
		if (!wv) {
			add(a, "vip", where, "extra: live, not in the config");
			continue;
		}
		if (strcmp(lv->name, wv->name))
			add(a, "vip", where, "live name \"%s\"", lv->name);
		/* the maps record no size for a VIP whose backends take no new
		 * flows (its table is the empty one): nothing to compare */
		if (lv->table_size != wv->table_size && vip_active_weight(lv, NULL) > 0)
			add(a, "vip", where, "table size: live %u, config %u", lv->table_size,
			    wv->table_size);
		if (lv->hash != wv->hash)
			add(a, "vip", where, "hash: live %s, config %s",
			    config_hash_names[lv->hash], config_hash_names[wv->hash]);
		for (__u32 b = 0; b < wv->n_backends; b++) {
			const struct cfg_backend *wb = &wv->backends[b];
			const struct cfg_backend *lb = NULL;

			for (__u32 k = 0; k < lv->n_backends; k++)
				if (lv->backends[k].family == wb->family &&
				    !addr_cmp(&lv->backends[k].addr, &wb->addr))
					lb = &lv->backends[k];
			snprintf(where, sizeof(where), "vip %s backend %s", wv->name, wb->name);
			if (!lb)
				add(a, "backend", where, "missing (%s)",
				    addr_str(&wb->addr, wb->family, addr));
			else if (lb->weight != wb->weight || lb->cfg_state != wb->cfg_state ||
				 lb->state != wb->state)
				add(a, "backend", where, "live weight %u %s, config weight %u %s",
				    lb->weight, state_str(lb->cfg_state), wb->weight,
				    state_str(wb->cfg_state));
		}
		for (__u32 k = 0; k < lv->n_backends; k++) {
			bool known = false;

			for (__u32 b = 0; b < wv->n_backends; b++)
				known |= lv->backends[k].family == wv->backends[b].family &&
					 !addr_cmp(&lv->backends[k].addr, &wv->backends[b].addr);
			snprintf(where, sizeof(where), "vip %s backend %s", wv->name,
				 lv->backends[k].name);
			if (!known)
				add(a, "backend", where, "extra: live, not in the config (%s)",
				    addr_str(&lv->backends[k].addr, lv->backends[k].family, addr));
		}
		if (vd->moved > 0 && lv->table_size == wv->table_size) {
			__u32 n = 0, first = 0, foreign = 0;

			for (__u32 s = 0; s < wv->table_size; s++) {
				__u32 li = live->tables.slots[vd->a][s],
				      wi = want->tables.slots[vd->b][s];
				const struct cfg_backend *x =
					li < lv->n_backends ? &lv->backends[li] : NULL;
				const struct cfg_backend *y =
					wi < wv->n_backends ? &wv->backends[wi] : NULL;

				if (x && y && x->family == y->family &&
				    !addr_cmp(&x->addr, &y->addr))
					continue;
				if (!x && !y)
					continue;
				if (!n++)
					first = s;
				foreign += li == LIVE_FOREIGN;
			}
			snprintf(where, sizeof(where), "vip %s table", wv->name);
			if (n)
				add(a, "table", where,
				    "%u of %u slots differ from the config's Maglev table (first: slot %u)%s",
				    n, wv->table_size, first,
				    foreign ? "; some name an id that is no backend of this VIP" :
					      "");
		}
	}
	diff_free(&d);
}

/* What an audit reads: the live tables, every backend entry, table ids,
 * and the slot counts published for the exporter. */
#define AUDIT_PARTS (LIVE_TABLES | LIVE_TABLE_IDS | LIVE_ALL_BACKENDS | LIVE_PUB_SLOTS)

/* Has the active bank an entry for key? */
static bool has_entry(const struct lb_live *st, const struct xdplb_vip_key *k)
{
	for (__u32 i = 0; i < st->n_entries; i++)
		if (!memcmp(&st->entries[i].key, k, sizeof(*k)))
			return st->entries[i].val.bank[live_active(st)].flags & XDPLB_VIP_F_PRESENT;
	return false;
}

/* A VIP's address sentinel and its table map. */
static void hygiene_vip(const struct lb_live *st, const struct st_vip *v, struct audit *a)
{
	struct xdplb_vip_key k = v->key;
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char where[160];
	int fd;

	k.port = 0;
	k.proto = 0;
	snprintf(where, sizeof(where), "vip %s", v->name.s);
	if (!has_entry(st, &k))
		add(a, "map", where,
		    "the address sentinel is missing: malformed packets to this address are passed instead of dropped");
	for (__u32 b = 0; b < v->n_be; b++) {
		if (!(st->parts & LIVE_PUB_SLOTS) || v->be[b].pub_slots == v->be[b].slots)
			continue;
		/* the exporter reports these, not the table's */
		snprintf(where, sizeof(where), "vip %s backend %s", v->name.s, v->be[b].name.s);
		add(a, "map", where, "be_slots publishes %u table slots, the table holds %u",
		    v->be[b].pub_slots, v->be[b].slots);
	}
	snprintf(where, sizeof(where), "vip %s", v->name.s);
	if (!v->table_size)
		return;
	fd = bpf_map_get_fd_by_id(st->table_ids[xdplb_table_slot(live_active(st), v->id)]);
	if (fd < 0) {
		add(a, "map", where, "the table map is missing");
		return;
	}
	if (!bpf_obj_get_info_by_fd(fd, &info, &len) &&
	    info.max_entries != XDPLB_TABLE_ENTRIES(v->table_size))
		add(a, "map", where, "the table map holds %u slots, the VIP has %u",
		    2 * info.max_entries, v->table_size);
	close(fd);
}

static void hygiene_filter(const struct lb_maps *m, const struct lb_live *st, struct audit *a)
{
	struct xdplb_vip_filter *filter = malloc(sizeof(*filter));
	__u32 act = live_active(st);
	char where[160];

	if (filter && !bpf_map_lookup_elem(LB_FD(m, vip_filter), &act, filter)) {
		for (__u32 v = 0; v < st->n_vips; v++) {
			__u32 bit =
				xdplb_vip_filter_bit(&st->vips[v].key.addr, st->vips[v].key.family);

			snprintf(where, sizeof(where), "vip %s", st->vips[v].name.s);
			if (!((filter->w[bit / 64] >> (bit % 64)) & 1))
				add(a, "map", where,
				    "the VIP filter lacks its address: its traffic is passed, not balanced");
		}
	}
	free(filter);
}

/* The maps' own consistency: address sentinels, orphan backend entries,
 * inner table sizes, the VIP filter. */
static void hygiene(const struct lb_maps *m, const struct lb_live *st, struct audit *a)
{
	__u32 act = live_active(st);
	char where[160];

	for (__u32 v = 0; v < st->n_vips; v++)
		hygiene_vip(st, &st->vips[v], a);
	if (!(st->parts & LIVE_PUB_SLOTS))
		add(a, "map", "be_slots", "the published slot counts cannot be read");
	hygiene_filter(m, st, a);
	for (__u32 id = 0; id < XDPLB_MAX_BACKENDS; id++) {
		const struct xdplb_backend *b = &st->be[id];
		bool owned = false;

		if (b->state[act] == XDPLB_BE_NONE)
			continue;
		for (__u32 v = 0; v < st->n_vips && !owned; v++)
			owned = st->vips[v].id == b->vip_id;
		snprintf(where, sizeof(where), "backend id %u", id);
		if (!owned)
			add(a, "map", where, "an active backend entry of no live VIP (vip id %u)",
			    b->vip_id);
	}
	for (__u32 i = 0; i < st->n_entries; i++) {
		const struct live_entry *e = &st->entries[i];
		bool known = false, serving = false, flag;
		char ab[ADDR_STRLEN];

		if (!(e->val.bank[act].flags & XDPLB_VIP_F_PRESENT) || e->key.proto)
			continue;
		for (__u32 v = 0; v < st->n_vips; v++) {
			if (st->vips[v].key.family != e->key.family ||
			    addr_cmp(&st->vips[v].key.addr, &e->key.addr))
				continue;
			known = true;
			serving |= st->vips[v].table_size != 0;
		}
		snprintf(where, sizeof(where), "sentinel %s",
			 addr_str(&e->key.addr, e->key.family, ab));
		if (!known)
			add(a, "map", where,
			    "an address sentinel of no live VIP: packets to it are dropped as malformed");
		flag = e->val.bank[act].flags & XDPLB_VIP_F_SERVING;
		if (known && flag != serving)
			add(a, "map", where,
			    serving ?
				    "not marked serving, though a VIP of the address takes new flows: echo requests to it are not answered" :
				    "marked serving, though no VIP of the address takes new flows: echo requests to it are answered");
	}
}

/* The overrides the state dir records (ov, what operators meant) onto
 * want: each is said as a note; one the maps do not hold, or one the maps
 * hold that nobody recorded, is drift. */
static int recorded_overrides(const struct lb_live *st, struct checked *want,
			      const struct overrides *ov, struct audit *a)
{
	struct diags d = { 0 };
	char where[160];
	int n = ov ? overrides_apply(want, ov, &d) : 0;

	for (size_t i = 0; i < d.n; i++)
		note(a, "override", d.v[i].path, "%s", d.v[i].msg);
	diags_free(&d);
	if (n < 0)
		return n;
	for (__u32 v = 0; v < want->cfg.n_vips; v++) {
		const struct cfg_vip *vip = &want->cfg.vips[v];
		const struct st_vip *sv = live_find_vip(st, vip);

		for (__u32 b = 0; b < vip->n_backends; b++) {
			const struct cfg_backend *cb = &vip->backends[b];
			const struct st_backend *sb = sv ? live_find_be(sv, cb) : NULL;

			snprintf(where, sizeof(where), "vip %s backend %s", vip->name, cb->name);
			if (cb->override)
				note(a, "override", where,
				     "%s, weight %u: set by `xdplb backend set`",
				     state_str(cb->cfg_state), cb->weight);
			if (!sb || cb->override == sb->override)
				continue;
			if (cb->override)
				add(a, "backend", where,
				    "the state dir records an override the maps do not hold");
			else
				add(a, "backend", where,
				    "the maps hold an override (%s, weight %u) that the state dir does not record",
				    state_str(sb->cfg_state), sb->weight);
		}
	}
	return 0;
}

/* The recorded overrides and the live health onto want (the file), each
 * said as a note: they are what makes the live states differ from the
 * file's by design. */
static int by_design(const struct lb_live *st, struct checked *want, const struct overrides *ov,
		     struct audit *a)
{
	char where[160];
	int err = recorded_overrides(st, want, ov, a);

	if (err)
		return err;
	effective_from_live(want, st);
	for (__u32 v = 0; v < want->cfg.n_vips; v++) {
		const struct cfg_vip *vip = &want->cfg.vips[v];

		for (__u32 b = 0; b < vip->n_backends; b++) {
			const struct cfg_backend *cb = &vip->backends[b];

			snprintf(where, sizeof(where), "vip %s backend %s", vip->name, cb->name);
			if (cb->health == XDPLB_HEALTH_OUT)
				note(a, "health", where, "taken out by its health checks");
			else if (cb->health == XDPLB_HEALTH_KEPT)
				note(a, "health", where,
				     "failing its health checks, kept in by the cascade guard (fail open)");
		}
	}
	return effective_apply(want, NULL);
}

static int audit_live(const struct lb_maps *m, const struct lb_live *st, struct checked *want,
		      const struct overrides *ov, struct audit *a)
{
	struct checked live;
	int err = by_design(st, want, ov, a);

	if (!err)
		err = live_to_checked(st, &live, true);
	if (err)
		return err;
	a->generation = live_g(st)->generation;
	digest_str(live_g(st)->digest, a->live_digest);
	/* the digest covers what the maps do not hold (guards, health checks) */
	if (memcmp(live_g(st)->digest, want->cfg.digest, sizeof(want->cfg.digest))) {
		char dg[80];

		add(a, "config", "digest", "live %s, config %s", a->live_digest,
		    digest_str(want->cfg.digest, dg));
	}
	globals(&live, want, a);
	contents(&live, want, a);
	hygiene(m, st, a);
	checked_free(&live);
	return 0;
}

int audit_maps(const struct lb_maps *m, struct checked *want, const struct overrides *ov,
	       struct audit *a)
{
	struct lb_live st;
	int err;

	memset(&st, 0, sizeof(st));
	err = status_read_maps(m, AUDIT_PARTS, &st);
	if (!err)
		err = audit_live(m, &st, want, ov, a);
	live_free(&st);
	return err;
}

/* A next_hop address: the MAC the neighbour table has for it now, for
 * globals() to compare with the live one (the service keeps them equal). */
static void next_hop(const char *ifname, struct checked *want, struct audit *a)
{
	struct nh_found f;
	char s[64];

	if (want->cfg.nh.kind == NH_MAC)
		return;
	if (neigh_peek(netdev_ifindex(ifname), &want->cfg.nh, &f) || !f.resolved) {
		add(a, "global", "next_hop", "%s does not resolve on %s now",
		    next_hop_str(&want->cfg.nh, NULL, s, sizeof(s)), ifname);
		return;
	}
	memcpy(want->cfg.nh_mac, f.mac, 6);
}

int audit_run(const char *ifname, struct checked *want, const struct overrides *ov, struct audit *a)
{
	struct lb_live st;
	struct lb_maps m;
	__u8 mac[6];
	int err;

	memset(a, 0, sizeof(*a));
	memset(&st, 0, sizeof(st));
	snprintf(st.ifname, sizeof(st.ifname), "%s", ifname);
	err = pin_dir(ifname, 0, st.pin_dir, sizeof(st.pin_dir));
	if (!err)
		err = maps_open_pinned(st.pin_dir, &m);
	if (err == -ENOENT) {
		add(a, "program", "link", "xdplb is not loaded on %s", ifname);
		return 0;
	}
	if (err)
		return err;
	/* the link, the mode and the interface: what the maps cannot say */
	status_read_link(&st);
	err = status_read_maps(&m, AUDIT_PARTS, &st);
	if (!err) {
		a->prog_id = st.prog_id;
		a->link_id = st.link_id;
		program(&st, want, a);
		if (!netdev_mac(ifname, mac) && memcmp(mac, live_g(&st)->if_mac, 6)) {
			char m1[20], m2[20];

			add(a, "global", "interface MAC",
			    "frames leave with source %s but the interface is now %s: reload",
			    mac_str(live_g(&st)->if_mac, m1), mac_str(mac, m2));
		}
		next_hop(ifname, want, a);
		err = audit_live(&m, &st, want, ov, a);
	}
	live_free(&st);
	maps_close(&m);
	return err;
}

void audit_free(struct audit *a)
{
	free(a->f);
	free(a->notes);
	memset(a, 0, sizeof(*a));
}

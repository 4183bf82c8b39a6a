// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "diff.h"
#include "names.h"
#include "guards.h"
#include "simulate.h"

static bool same_vip(const struct cfg_vip *x, const struct cfg_vip *y)
{
	return x->family == y->family && x->port == y->port && x->proto == y->proto &&
	       !addr_cmp(&x->addr, &y->addr);
}

int diff_find_backend(const struct cfg_vip *v, const struct cfg_backend *b)
{
	for (__u32 i = 0; i < v->n_backends; i++)
		if (v->backends[i].family == b->family && !addr_cmp(&v->backends[i].addr, &b->addr))
			return (int)i;
	return -1;
}

/* The backend identity of a slot (NULL: no backend). */
static const struct cfg_backend *slot_backend(const struct cfg_vip *v, __u32 idx)
{
	return idx < v->n_backends ? &v->backends[idx] : NULL;
}

static bool same_backend(const struct cfg_backend *x, const struct cfg_backend *y)
{
	if (!x || !y)
		return x == y;
	return x->family == y->family && !addr_cmp(&x->addr, &y->addr);
}

static double moved_fraction(const struct checked *a, int va, const struct checked *b, int vb,
			     bool *estimated)
{
	const struct cfg_vip *x = &a->cfg.vips[va], *y = &b->cfg.vips[vb];
	__u64 moved = 0, rng = 0x5eed;

	/* the same hash into tables of one size: a flow keeps its slot, so
	 * counting slots is exact; another seed or hash mode sends flows to
	 * other slots, and only flows tell how many change backend */
	if (x->table_size == y->table_size && a->cfg.hash_seed == b->cfg.hash_seed &&
	    x->hash == y->hash) {
		*estimated = false;
		for (__u32 s = 0; s < x->table_size; s++)
			moved += !same_backend(slot_backend(x, a->tables.slots[va][s]),
					       slot_backend(y, b->tables.slots[vb][s]));
		return (double)moved / x->table_size;
	}
	*estimated = true;
	for (__u32 i = 0; i < DIFF_SAMPLES; i++) {
		struct xdplb_flow_key f;

		simulate_flow(x, &rng, &f);
		moved += !same_backend(slot_backend(x, simulate_pick(a, (__u32)va, &f)),
				       slot_backend(y, simulate_pick(b, (__u32)vb, &f)));
	}
	return (double)moved / DIFF_SAMPLES;
}

static bool vip_changed(const struct checked *a, int va, const struct checked *b, int vb)
{
	const struct cfg_vip *x = &a->cfg.vips[va], *y = &b->cfg.vips[vb];

	if (strcmp(x->name, y->name) || x->table_size != y->table_size || x->hash != y->hash ||
	    x->n_backends != y->n_backends)
		return true;
	for (__u32 i = 0; i < x->n_backends; i++) {
		int j = diff_find_backend(y, &x->backends[i]);

		if (j < 0 || x->backends[i].weight != y->backends[j].weight ||
		    x->backends[i].state != y->backends[j].state ||
		    strcmp(x->backends[i].name, y->backends[j].name))
			return true;
	}
	return false;
}

static void global(struct diff *d, const char *fmt, ...)
{
	char **ng = reallocarray(d->global, d->n_global + 1, sizeof(*ng));
	va_list ap;

	if (!ng)
		return;
	d->global = ng;
	va_start(ap, fmt);
	if (vasprintf(&d->global[d->n_global], fmt, ap) >= 0)
		d->n_global++;
	va_end(ap);
}

static void source_str(const struct xdplb_addr *a, int family, int plen, char *buf, size_t len)
{
	char s[ADDR_STRLEN];

	if (!plen)
		snprintf(buf, len, "(none)");
	else if (plen == (family == XDPLB_AF_INET ? 32 : 128))
		snprintf(buf, len, "%s", addr_str(a, family, s));
	else
		snprintf(buf, len, "%s/%d", addr_str(a, family, s), plen);
}

/* A next_hop is a MAC only once the kernel resolved it (load, service):
 * a file's address is compared with another file's address, a MAC with a
 * MAC, and an address with the MAC the maps hold not at all. */
static void next_hop_diff(struct diff *d, const struct xdplb_config *x,
			  const struct xdplb_config *y)
{
	char s1[80], s2[80];

	if (!mac_is_zero(x->nh_mac) && !mac_is_zero(y->nh_mac)) {
		if (memcmp(x->nh_mac, y->nh_mac, 6))
			global(d, "next_hop_mac: %s -> %s", mac_str(x->nh_mac, s1),
			       mac_str(y->nh_mac, s2));
		return;
	}
	if (x->nh.kind == NH_MAC || y->nh.kind == NH_MAC)
		return;
	next_hop_str(&x->nh, x->nh_mac, s1, sizeof(s1));
	next_hop_str(&y->nh, y->nh_mac, s2, sizeof(s2));
	if (strcmp(s1, s2))
		global(d, "next_hop: %s -> %s", s1, s2);
}

static void globals(struct diff *d)
{
	const struct xdplb_config *x = &d->a->cfg, *y = &d->b->cfg;
	char s1[80], s2[80];

	/* a snapshot read from maps alone knows neither */
	if (x->interface[0] && y->interface[0] && strcmp(x->interface, y->interface))
		global(d, "interface: %s -> %s", x->interface, y->interface);
	if (x->mode >= 0 && y->mode >= 0 && x->mode != y->mode)
		global(d, "mode: %s -> %s", x->mode ? "generic" : "native",
		       y->mode ? "generic" : "native");
	next_hop_diff(d, x, y);
	if (x->src_v4_plen != y->src_v4_plen || addr_cmp(&x->src_v4, &y->src_v4)) {
		source_str(&x->src_v4, XDPLB_AF_INET, x->src_v4_plen, s1, sizeof(s1));
		source_str(&y->src_v4, XDPLB_AF_INET, y->src_v4_plen, s2, sizeof(s2));
		global(d, "source_v4: %s -> %s", s1, s2);
	}
	if (x->src_v6_plen != y->src_v6_plen || addr_cmp(&x->src_v6, &y->src_v6)) {
		source_str(&x->src_v6, XDPLB_AF_INET6, x->src_v6_plen, s1, sizeof(s1));
		source_str(&y->src_v6, XDPLB_AF_INET6, y->src_v6_plen, s2, sizeof(s2));
		global(d, "source_v6: %s -> %s", s1, s2);
	}
	if (x->mtu != y->mtu)
		global(d, "mtu: %u -> %u", x->mtu, y->mtu);
	if (x->udp_timeout != y->udp_timeout)
		global(d, "udp_timeout: %u -> %u s", x->udp_timeout, y->udp_timeout);
	if (x->icmp_rate != y->icmp_rate)
		global(d, "icmp_rate: %u -> %u a second per CPU", x->icmp_rate, y->icmp_rate);
	if (x->hash_seed != y->hash_seed)
		global(d, "hash_seed: 0x%x -> 0x%x (every VIP's flows are rehashed)", x->hash_seed,
		       y->hash_seed);
	if (x->ct_size != y->ct_size)
		global(d, "conntrack_size: %u -> %u (needs unload: it is fixed at the first load)",
		       x->ct_size, y->ct_size);
}

bool diff_vip_inputs_differ(const struct checked *a, int va, const struct checked *b, int vb)
{
	return vip_changed(a, va, b, vb) || a->cfg.hash_seed != b->cfg.hash_seed;
}

int diff_compute(const struct checked *a, const struct checked *b, struct diff *d)
{
	size_t cap = (size_t)a->cfg.n_vips + b->cfg.n_vips + 1;

	memset(d, 0, sizeof(*d));
	d->a = a;
	d->b = b;
	d->v = calloc(cap, sizeof(*d->v));
	if (!d->v)
		return -ENOMEM;
	for (__u32 i = 0; i < a->cfg.n_vips; i++) {
		struct vip_diff *vd = &d->v[d->n++];

		vd->a = (int)i;
		vd->b = -1;
		for (__u32 j = 0; j < b->cfg.n_vips; j++)
			if (same_vip(&a->cfg.vips[i], &b->cfg.vips[j]))
				vd->b = (int)j;
		if (vd->b < 0) {
			vd->changed = true;
			vd->moved = 1;
			continue;
		}
		vd->changed = vip_changed(a, vd->a, b, vd->b) ||
			      a->cfg.hash_seed != b->cfg.hash_seed;
		/* without a table (a snapshot read without them) an unchanged
		 * VIP moves nothing: same inputs, same Maglev table */
		if (a->tables.slots[vd->a] && b->tables.slots[vd->b]) {
			vd->moved = moved_fraction(a, vd->a, b, vd->b, &vd->estimated);
			vd->changed |= vd->moved > 0;
		}
	}
	for (__u32 j = 0; j < b->cfg.n_vips; j++) {
		bool known = false;

		for (__u32 i = 0; i < a->cfg.n_vips; i++)
			known |= same_vip(&a->cfg.vips[i], &b->cfg.vips[j]);
		if (!known)
			d->v[d->n++] = (struct vip_diff){
				.a = -1, .b = (int)j, .changed = true, .moved = 1
			};
	}
	globals(d);
	return 0;
}

void diff_free(struct diff *d)
{
	for (size_t i = 0; i < d->n_global; i++)
		free(d->global[i]);
	free(d->global);
	free(d->v);
	memset(d, 0, sizeof(*d));
}

bool diff_empty(const struct diff *d)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].changed)
			return false;
	return d->n_global == 0;
}

int diff_guard(const struct diff *d, struct diags *out)
{
	int bad = 0;

	for (size_t i = 0; i < d->n; i++) {
		const struct vip_diff *vd = &d->v[i];
		const struct cfg_vip *v;
		struct guards g;
		char path[32], vep[96];
		int prec;

		if (vd->a < 0 || vd->b < 0)
			continue; /* a new or removed VIP has no flows to move */
		v = &d->b->cfg.vips[vd->b];
		g = config_vip_guards(&d->b->cfg, v);
		/* counted slot by slot, one slot over the limit is the limit: a
		 * prime table gives one of two equal backends 32769 of 65537 */
		if (vd->moved <=
		    g.max_flows_moved + (vd->estimated ? 0 : 1.0 / v->table_size) + 1e-9)
			continue;
		snprintf(path, sizeof(path), "vips[%d]", vd->b);
		/* enough decimals that "above" never reads "50.0% above 50.0%" */
		prec = (int)(1000 * vd->moved + 0.5) == (int)(1000 * g.max_flows_moved + 0.5) ? 3 :
												1;
		vip_endpoint_str(&v->addr, v->family, v->port, v->proto, vep, sizeof(vep));
		diag_add(
			out, path,
			"this update moves %.*f%% of the new flows of VIP \"%s\" at %s to other backends (%s), above %.*f%% allowed by max_flows_moved; pass --force to apply it anyway",
			prec, 100 * vd->moved, v->name, vep,
			vd->estimated ? "estimated from synthetic flows" : "exact, slot by slot",
			prec, 100 * g.max_flows_moved);
		diag_mark_guard(out);
		bad++;
	}
	return bad;
}

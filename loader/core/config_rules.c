// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * config_rules.c - the rules of a config that no single key shows: unique
 * names, addresses and VIP tuples, weights not all zero, table sizes,
 * sources for each backend family, capacities (docs/config.md). Run after
 * the schema walk (config.c), on what it parsed. Pure.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "config_rules.h"
#include "names.h"
#include "tables.h"

/* Rules within one VIP: names and addresses unique, weights, table size. */
static void check_vip(struct walk *w, struct cfg_vip *v)
{
	char vpath[JW_PATH_MAX], abuf[ADDR_STRLEN];
	bool any_weight = false;

	snprintf(vpath, sizeof(vpath), "%s", jw_here(w));
	for (__u32 i = 0; i < v->n_backends; i++) {
		struct cfg_backend *b = &v->backends[i];
		size_t old = jw_push_key(w, "backends");

		jw_push_idx(w, (int)i);
		any_weight |= b->weight > 0;
		for (__u32 k = 0; k < i; k++) {
			struct cfg_backend *o = &v->backends[k];
			size_t o2;

			if (b->name[0] && !strcmp(b->name, o->name)) {
				o2 = jw_push_key(w, "name");
				jw_err(w, "same name as %s.backends[%u] (\"%s\")", vpath, k,
				       o->name);
				jw_pop(w, o2);
			}
			if (b->family && b->family == o->family && !addr_cmp(&b->addr, &o->addr)) {
				o2 = jw_push_key(w, "address");
				jw_err(w, "same address as %s.backends[%u] (%s)", vpath, k,
				       addr_str(&b->addr, b->family, abuf));
				jw_pop(w, o2);
			}
		}
		jw_pop(w, old);
	}
	if (v->n_backends && !any_weight) {
		size_t old = jw_push_key(w, "backends");

		jw_err(w, "every weight is 0");
		jw_pop(w, old);
	}
	if (!v->n_backends)
		return;
	if (!v->table_size) {
		v->table_size = table_size_default(v->n_backends);
		if (!v->table_size) {
			size_t old = jw_push_key(w, "backends");

			jw_err(w,
			       "%u backends do not fit the largest table (%u slots, %u per backend)",
			       v->n_backends, XDPLB_MAX_TABLE_SIZE, CFG_MIN_SLOTS_PER_BACKEND);
			jw_pop(w, old);
		}
		return;
	}
	size_t old = jw_push_key(w, "table_size");

	if (!is_prime(v->table_size))
		jw_err(w, "must be prime, got %u", v->table_size);
	else if ((unsigned long long)v->n_backends * CFG_MIN_SLOTS_PER_BACKEND > v->table_size)
		jw_err(w, "must be at least %u × %u backends = %u, got %u",
		       CFG_MIN_SLOTS_PER_BACKEND, v->n_backends,
		       v->n_backends * CFG_MIN_SLOTS_PER_BACKEND, v->table_size);
	jw_pop(w, old);
}

struct vip_addr {
	struct xdplb_addr addr;
	__u8 family;
	__u32 vip;
};

static int vip_addr_cmp(const void *a, const void *b)
{
	const struct vip_addr *x = a, *y = b;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return addr_cmp(&x->addr, &y->addr);
}

/* A backend whose address is a VIP address of the config: its tunnel
 * would come back to this LB as traffic for that VIP. Sorted VIP
 * addresses, so that 262,144 backends against 4,096 VIPs stay quick. */
static void check_backends_not_vips(struct walk *w, const struct xdplb_config *c)
{
	struct vip_addr *va = calloc(c->n_vips + 1, sizeof(*va)), key = { 0 }, *hit;

	if (!va)
		return;
	for (__u32 i = 0; i < c->n_vips; i++)
		va[i] = (struct vip_addr){ c->vips[i].addr, c->vips[i].family, i };
	qsort(va, c->n_vips, sizeof(*va), vip_addr_cmp);
	for (__u32 i = 0; i < c->n_vips; i++) {
		for (__u32 b = 0; b < c->vips[i].n_backends; b++) {
			const struct cfg_backend *be = &c->vips[i].backends[b];
			char path[96];

			key.addr = be->addr;
			key.family = be->family;
			hit = be->family ? bsearch(&key, va, c->n_vips, sizeof(*va), vip_addr_cmp) :
					   NULL;
			if (!hit)
				continue;
			snprintf(path, sizeof(path), "vips[%u].backends[%u].address", i, b);
			diag_add(
				w->d, path,
				"is the address of vips[%u] (\"%s\"): its tunnel would come back to the LB as traffic for that VIP",
				hit->vip, c->vips[hit->vip].name);
		}
	}
	free(va);
}

/* Rules across VIPs and with the top level. */
void config_check_rules(struct walk *w, struct xdplb_config *c, const cJSON *root)
{
	char abuf[ADDR_STRLEN];
	bool v6_backend = false, said_v4 = false, said_v6 = false;
	unsigned long long total = 0;

	for (__u32 i = 0; i < c->n_vips; i++) {
		struct cfg_vip *v = &c->vips[i];
		size_t old = jw_push_key(w, "vips");

		jw_push_idx(w, (int)i);
		check_vip(w, v);
		check_health_rules(w, c, v);
		for (__u32 k = 0; k < i; k++) {
			struct cfg_vip *o = &c->vips[k];

			if (v->family && v->family == o->family && v->port == o->port &&
			    v->proto == o->proto && !addr_cmp(&v->addr, &o->addr)) {
				addr_str(&v->addr, v->family, abuf);
				jw_err(w,
				       "same address, port and protocol as vips[%u] (%s%s%s:%u/%s)",
				       k, v->family == XDPLB_AF_INET6 ? "[" : "", abuf,
				       v->family == XDPLB_AF_INET6 ? "]" : "", v->port,
				       proto_str(v->proto));
			}
			if (v->name[0] && !strcmp(v->name, o->name)) {
				size_t o2 = jw_push_key(w, "name");

				jw_err(w, "same name as vips[%u] (\"%s\")", k, o->name);
				jw_pop(w, o2);
			}
		}
		for (__u32 b = 0; b < v->n_backends; b++) {
			struct cfg_backend *be = &v->backends[b];
			size_t o2 = jw_push_key(w, "backends");

			jw_push_idx(w, (int)b);
			jw_push_key(w, "address");
			/* once per missing source, at the first backend needing it */
			/* a fleet's shared file leaves the sources to the hosts */
			if (be->family == XDPLB_AF_INET && !said_v4 && !c->shared_only &&
			    !jw_member(root, "source_v4")) {
				jw_err(w, "an IPv4 backend needs \"source_v4\"");
				said_v4 = true;
			}
			if (be->family == XDPLB_AF_INET6 && !said_v6 && !c->shared_only &&
			    !jw_member(root, "source_v6")) {
				jw_err(w, "an IPv6 backend needs \"source_v6\"");
				said_v6 = true;
			}
			v6_backend |= be->family == XDPLB_AF_INET6;
			jw_pop(w, o2);
		}
		total += v->n_backends;
		jw_pop(w, old);
	}
	check_backends_not_vips(w, c);
	if (total > CFG_MAX_BACKENDS) {
		size_t old = jw_push_key(w, "vips");

		jw_err(w, "at most %u backends in all, got %llu", CFG_MAX_BACKENDS, total);
		jw_pop(w, old);
	}
	if (v6_backend && c->mtu < CFG_MIN_MTU_V6 && jw_member(root, "mtu")) {
		size_t old = jw_push_key(w, "mtu");

		jw_err(w, "must be at least %u with IPv6 backends, got %u", CFG_MIN_MTU_V6, c->mtu);
		jw_pop(w, old);
	}
}

int config_mtu_check(const struct xdplb_config *cfg, int if_mtu, char *buf, size_t len)
{
	if (if_mtu <= 0 || cfg->mtu <= (__u32)if_mtu)
		return 0;
	snprintf(
		buf, len,
		"mtu %u is above the MTU of %s (%d): an encapsulated packet of %d to %u bytes would be lost by the interface, uncounted, instead of dropped and counted as too_big; lower \"mtu\" to %d or raise the interface's (ip link set %s mtu %u)",
		cfg->mtu, cfg->interface, if_mtu, if_mtu + 1, cfg->mtu, if_mtu, cfg->interface,
		cfg->mtu);
	return 1;
}

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * config_fleet.c - the per-host keys of a fleet's LB (config_fleet.h):
 * next_hop / next_hop_mac and announce. Pure: the address is resolved by
 * the kernel layer (neigh.c), the routes installed by announce.c.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "config.h"
#include "config_rules.h"
#include "json_walk.h"

static void parse_mac(struct walk *w, const char *s, __u8 mac[6])
{
	if (mac_parse(s, mac))
		jw_err(w, "not a MAC address: \"%.40s\"", s);
	else if (mac[0] & 1)
		jw_err(w, "must be a unicast MAC, got \"%s\"", s);
	else if (mac_is_zero(mac))
		jw_err(w, "must not be all-zero, got \"%s\"", s);
}

/* A router's address, or "gateway". Link-local is fine (an IPv6 router is
 * often known by its fe80:: address only); what no neighbour can be is not. */
static void parse_nh_addr(struct walk *w, const char *s, struct cfg_next_hop *nh)
{
	const char *sp;
	int fam;

	if (!strcmp(s, "gateway")) {
		nh->kind = NH_GATEWAY;
		return;
	}
	fam = addr_parse(s, &nh->addr);
	if (!fam) {
		jw_err(w, "not an IP address nor \"gateway\": \"%.60s\"", s);
		return;
	}
	sp = addr_special(&nh->addr, fam, fam == XDPLB_AF_INET ? 32 : 128);
	if (sp && !strstr(sp, "link-local")) {
		jw_err(w, "must be a unicast address, got \"%.60s\" (in %s)", s, sp);
		return;
	}
	nh->kind = NH_ADDR;
	nh->family = (__u8)fam;
}

void parse_next_hop(struct walk *w, const cJSON *root, struct xdplb_config *c)
{
	const char *mac = NULL, *addr = NULL;
	int rm = jw_string(w, root, "next_hop_mac", false, &mac);
	int ra = jw_string(w, root, "next_hop", false, &addr);
	size_t old;

	if (rm < 0 || ra < 0) /* said: not a string */
		return;
	if (rm > 0 && ra > 0) {
		jw_err_at_key(w, "next_hop",
			      "give next_hop or next_hop_mac, not both (next_hop_mac is %s)", mac);
		return;
	}
	if (!rm && !ra) {
		if (c->shared_only) /* a fleet's shared file: each host file gives it */
			return;
		jw_err_at_key(
			w, "next_hop_mac",
			"missing (required: next_hop_mac, or next_hop: a router's address or \"gateway\")%s",
			"");
		return;
	}
	old = jw_push_key(w, rm > 0 ? "next_hop_mac" : "next_hop");
	if (rm > 0) {
		c->nh.kind = NH_MAC;
		parse_mac(w, mac, c->nh_mac);
	} else {
		parse_nh_addr(w, addr, &c->nh);
	}
	jw_pop(w, old);
}

static const char *const announce_keys[] = { "table", NULL };

void parse_announce(struct walk *w, const cJSON *root, struct xdplb_config *c)
{
	const cJSON *j = jw_member(root, "announce");
	long long v;
	size_t old;

	c->announce.table = ANNOUNCE_DEFAULT_TABLE;
	if (!j)
		return;
	old = jw_push_key(w, "announce");
	if (jw_object(w, j, announce_keys)) {
		c->announce.on = true;
		/* 0 is no table; 253..255 are default, main and local, which
		 * route: a blackhole there would swallow the VIPs' traffic */
		if (jw_int(w, j, "table", 1, 0xffffffffLL, false, &v) > 0) {
			if (v >= 253 && v <= 255) {
				size_t o2 = jw_push_key(w, "table");

				jw_err(w,
				       "must not be %lld (%s): the routes are blackholes, for BIRD only",
				       v,
				       v == 253 ? "default" :
				       v == 254 ? "main" :
						  "local");
				jw_pop(w, o2);
			} else {
				c->announce.table = (__u32)v;
			}
		}
	}
	jw_pop(w, old);
}

const char *next_hop_str(const struct cfg_next_hop *nh, const __u8 mac[6], char *buf, size_t len)
{
	char a[64];

	if (nh->kind == NH_GATEWAY)
		snprintf(buf, len, "gateway");
	else if (nh->kind == NH_ADDR)
		snprintf(buf, len, "%s", addr_str(&nh->addr, nh->family, a));
	else
		snprintf(buf, len, "%s", mac_str(mac, a));
	return buf;
}

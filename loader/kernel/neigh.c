// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * neigh.c - the next hop through the neighbour table and the default
 * route (neigh.h), by rtnetlink.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "addr.h"
#include "log.h"
#include "neigh.h"
#include "netdev.h"
#include "rtnl.h"
#include "mono.h"

static int af_of(__u8 family)
{
	return family == XDPLB_AF_INET ? AF_INET : AF_INET6;
}

static size_t alen(__u8 family)
{
	return family == XDPLB_AF_INET ? 4 : 16;
}

struct gw_find {
	int ifindex;
	__u8 family;
	struct xdplb_addr *out;
	bool found;
};

/* A default route of the main table out of ifindex, with a gateway. */
static int gw_cb(const struct nlmsghdr *h, void *arg)
{
	struct gw_find *g = arg;
	struct rtmsg *r = NLMSG_DATA(h);
	struct rtattr *tb[RTA_MAX + 1];
	__u32 table;

	if (h->nlmsg_type != RTM_NEWROUTE || g->found || r->rtm_dst_len ||
	    r->rtm_type != RTN_UNICAST)
		return 0;
	rtnl_parse(tb, RTA_MAX, RTM_RTA(r), (int)RTM_PAYLOAD(h));
	table = tb[RTA_TABLE] ? *(__u32 *)RTA_DATA(tb[RTA_TABLE]) : r->rtm_table;
	if (table != RT_TABLE_MAIN || !tb[RTA_GATEWAY] || !tb[RTA_OIF] ||
	    *(int *)RTA_DATA(tb[RTA_OIF]) != g->ifindex)
		return 0;
	memset(g->out, 0, sizeof(*g->out));
	memcpy(g->out->b, RTA_DATA(tb[RTA_GATEWAY]), alen(g->family));
	g->found = true;
	return 0;
}

/* The gateway of the interface's default route: IPv4's, else IPv6's. */
static int gateway(int ifindex, struct nh_found *f)
{
	const __u8 fams[] = { XDPLB_AF_INET, XDPLB_AF_INET6 };

	for (int i = 0; i < 2; i++) {
		struct gw_find g = { .ifindex = ifindex, .family = fams[i], .out = &f->addr };
		struct rtnl_req q;
		int err;

		memset(&q, 0, sizeof(q));
		q.n.nlmsg_len = NLMSG_LENGTH(sizeof(q.r));
		q.n.nlmsg_type = RTM_GETROUTE;
		q.n.nlmsg_flags = NLM_F_DUMP;
		q.r.rtm_family = (__u8)af_of(fams[i]);
		err = rtnl_request(&q.n, gw_cb, &g);
		if (err && err != -EAFNOSUPPORT)
			return err;
		if (g.found) {
			f->family = fams[i];
			return 0;
		}
	}
	return -ENETUNREACH;
}

/* A managed entry for the address (made once; replacing it keeps its
 * MAC), else a probe. */
static int keep(int ifindex, struct nh_found *f)
{
	__u32 ext = NTF_EXT_MANAGED;
	struct rtnl_req q;
	int err;

	memset(&q, 0, sizeof(q));
	q.n.nlmsg_len = NLMSG_LENGTH(sizeof(q.nd));
	q.n.nlmsg_type = RTM_NEWNEIGH;
	q.n.nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
	q.nd.ndm_family = (__u8)af_of(f->family);
	q.nd.ndm_ifindex = ifindex;
	q.nd.ndm_state = NUD_NONE;
	rtnl_attr(&q, NDA_DST, f->addr.b, alen(f->family));
	rtnl_attr(&q, NDA_FLAGS_EXT, &ext, sizeof(ext));
	err = rtnl_request(&q.n, NULL, NULL);
	if (!err)
		return 0;
	/* an older kernel: NTF_USE starts a resolution like a packet would */
	memset(&q, 0, sizeof(q));
	q.n.nlmsg_len = NLMSG_LENGTH(sizeof(q.nd));
	q.n.nlmsg_type = RTM_NEWNEIGH;
	q.nd.ndm_family = (__u8)af_of(f->family);
	q.nd.ndm_ifindex = ifindex;
	q.nd.ndm_flags = NTF_USE;
	rtnl_attr(&q, NDA_DST, f->addr.b, alen(f->family));
	return rtnl_request(&q.n, NULL, NULL);
}

/* The entry this resolution made, when it did not resolve: a managed
 * entry is probed for as long as it exists. */
static void forget(int ifindex, const struct nh_found *f)
{
	struct rtnl_req q;

	if (!f->created)
		return;
	memset(&q, 0, sizeof(q));
	q.n.nlmsg_len = NLMSG_LENGTH(sizeof(q.nd));
	q.n.nlmsg_type = RTM_DELNEIGH;
	q.nd.ndm_family = (__u8)af_of(f->family);
	q.nd.ndm_ifindex = ifindex;
	rtnl_attr(&q, NDA_DST, f->addr.b, alen(f->family));
	rtnl_request(&q.n, NULL, NULL);
}

static int lookup_cb(const struct nlmsghdr *h, void *arg)
{
	struct nh_found *f = arg;
	struct ndmsg *nd = NLMSG_DATA(h);
	struct rtattr *tb[NDA_MAX + 1];

	if (h->nlmsg_type != RTM_NEWNEIGH)
		return 0;
	f->present = true;
	rtnl_parse(tb, NDA_MAX, (struct rtattr *)((char *)nd + NLMSG_ALIGN(sizeof(*nd))),
		   (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*nd))));
	/* INCOMPLETE and FAILED have no usable address; STALE, DELAY and
	 * PROBE do (the kernel is confirming it) */
	if (tb[NDA_FLAGS_EXT] && (*(__u32 *)RTA_DATA(tb[NDA_FLAGS_EXT]) & NTF_EXT_MANAGED))
		f->managed = true;
	if (!tb[NDA_LLADDR] || RTA_PAYLOAD(tb[NDA_LLADDR]) != 6 ||
	    (nd->ndm_state & (NUD_INCOMPLETE | NUD_FAILED | NUD_NONE)) || nd->ndm_state == NUD_NONE)
		return 0;
	memcpy(f->mac, RTA_DATA(tb[NDA_LLADDR]), 6);
	f->resolved = !mac_is_zero(f->mac);
	return 0;
}

static int lookup(int ifindex, struct nh_found *f)
{
	struct rtnl_req q;
	int err;

	memset(&q, 0, sizeof(q));
	q.n.nlmsg_len = NLMSG_LENGTH(sizeof(q.nd));
	q.n.nlmsg_type = RTM_GETNEIGH;
	q.nd.ndm_family = (__u8)af_of(f->family);
	q.nd.ndm_ifindex = ifindex;
	rtnl_attr(&q, NDA_DST, f->addr.b, alen(f->family));
	f->resolved = false;
	f->managed = false;
	f->present = false;
	err = rtnl_request(&q.n, lookup_cb, f);
	return err == -ENOENT ? 0 : err;
}

/* f starts as the next hop's address: the config's, or the gateway's. */
static int nh_address(int ifindex, const struct cfg_next_hop *nh, struct nh_found *f)
{
	memset(f, 0, sizeof(*f));
	if (nh->kind == NH_GATEWAY)
		return gateway(ifindex, f);
	f->addr = nh->addr;
	f->family = nh->family;
	return 0;
}

int neigh_peek(int ifindex, const struct cfg_next_hop *nh, struct nh_found *f)
{
	int err = nh_address(ifindex, nh, f);

	return err ? err : lookup(ifindex, f);
}

int neigh_find(int ifindex, const struct cfg_next_hop *nh, struct nh_found *f)
{
	int err = nh_address(ifindex, nh, f);

	if (err)
		return err;
	/* made managed once (replacing the entry again would restart its
	 * resolution); probed each time where managed entries are refused */
	err = lookup(ifindex, f);
	if (!err && !f->managed) {
		f->created = !f->present;
		err = keep(ifindex, f);
		if (!err && !f->resolved)
			err = lookup(ifindex, f);
	}
	return err;
}

int neigh_resolve(const char *ifname, const struct cfg_next_hop *nh, double timeout,
		  struct nh_found *f)
{
	int ifindex = netdev_ifindex(ifname), err;
	double end = mono_now() + timeout;
	bool made = false;
	char a[64];

	if (ifindex < 0) {
		pr_warn("next_hop: interface %s not found\n", ifname);
		return ifindex;
	}
	for (;;) {
		err = neigh_find(ifindex, nh, f);
		made |= f->created;
		if (err || f->resolved || mono_now() >= end)
			break;
		usleep(20 * 1000);
	}
	f->created = made;
	if (err == -ENETUNREACH) {
		pr_warn("next_hop \"gateway\": %s has no default route with a gateway (main table, IPv4 or IPv6)\n",
			ifname);
	} else if (err) {
		pr_warn("next_hop %s on %s: asking the neighbour table: %s\n",
			addr_str(&f->addr, f->family, a), ifname, strerror(-err));
	} else if (!f->resolved) {
		forget(ifindex, f);
		pr_warn("next_hop %s%s on %s did not resolve within %.1f s (no ARP/ND answer): nothing changed\n",
			addr_str(&f->addr, f->family, a),
			nh->kind == NH_GATEWAY ? " (the gateway)" : "", ifname, timeout);
		err = -EHOSTUNREACH;
	}
	return err;
}

int neigh_resolve_cfg(struct xdplb_config *cfg)
{
	struct nh_found f;
	int err;

	if (cfg->nh.kind == NH_MAC)
		return 0;
	err = neigh_resolve(cfg->interface, &cfg->nh, NEIGH_LOAD_TIMEOUT, &f);
	if (!err)
		memcpy(cfg->nh_mac, f.mac, 6);
	return err;
}

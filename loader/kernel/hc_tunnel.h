/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * hc_tunnel.h - health checks through the tunnel, the LB side
 * (bpf/hc.bpf.c, docs/hc-tunnel.md): the tc egress program on the LB's
 * interface, on the LB's own pinned maps, attached through a tcx link
 * pinned next to them (<pin dir>/hc_link) so that it outlives the process
 * that attached it; and the policy routing that sends a marked probe out
 * of that interface to the next hop.
 */
#ifndef XDPLB_HC_TUNNEL_H
#define XDPLB_HC_TUNNEL_H

#include <stdbool.h>
#include <linux/types.h>

#include "xdplb_abi.h"

/* The probes' routing: `ip rule add fwmark XDPLB_HC_MARK_TAG/
 * XDPLB_HC_MARK_TAG_MASK lookup HC_TUNNEL_TABLE pref HC_TUNNEL_RULE_PREF`,
 * and a default route via the gateway in that table. 30820 is "xd" in
 * ASCII; the preference puts the rule before main (32766). */
#define HC_TUNNEL_TABLE 30820
#define HC_TUNNEL_RULE_PREF 30820

struct hc_bpf;

/* A gateway for the probes of one family (that of the address). */
struct hc_route {
	__u8 family; /* XDPLB_AF_INET or XDPLB_AF_INET6 */
	struct xdplb_addr via;
};

struct hc_tunnel_opts {
	const struct hc_route *routes; /* none: the routing is someone else's */
	int n_routes;
};

/* The SO_MARK a probe to backend_id sets: 0 and *mark, or -EINVAL when
 * the id cannot be a backend id. */
int hc_tunnel_mark(__u32 backend_id, __u32 *mark);

/* Opens and loads bpf/hc.bpf.c on the LB's backends, ctl and vips maps, and on
 * stats_fd as its counters when >= 0 (fresh counters otherwise). *skel for
 * hc_bpf__destroy(). 0 or -errno (said why). */
struct lb_maps;
int hc_tunnel_open(const struct lb_maps *m, int stats_fd, struct hc_bpf **skel);

/* Attaches the program to ifname's egress, or swaps the attached one for
 * this build's in place (bpf_link_update: no packet goes without it), on
 * the maps of the xdplb loaded there (-ENOENT, said, when there is none).
 * Counters survive. With o->routes, also installs (replaces) the rule and
 * one default route per family in HC_TUNNEL_TABLE, with an MTU that leaves
 * room for the outer header. Idempotent. */
int hc_tunnel_attach(const char *ifname, const struct hc_tunnel_opts *o);

/* Detaches the program, removes its pins, the rules and the routes of
 * HC_TUNNEL_TABLE. Nothing attached is not an error. */
int hc_tunnel_detach(const char *ifname);

struct hc_tunnel_status {
	bool attached; /* a pinned link, still on the interface */
	__u32 link_id, prog_id;
	__u64 counters[XDPLB_HC_MAX]; /* enum xdplb_hc_counter, summed over CPUs */
};

/* What is attached on ifname and its counters. -ENOENT when nothing is. */
int hc_tunnel_status(const char *ifname, struct hc_tunnel_status *st);

#endif

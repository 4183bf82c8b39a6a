/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * announce_plan.h - which VIP addresses this LB announces, and why
 * (docs/fleet.md, Announcement). Pure: the service gathers the gates and
 * installs the routes (kernel/announce.c).
 *
 * A route is per address, and several VIPs (ports, protocols) may share
 * one: the address is announced while at least one of its VIPs has a
 * backend taking new flows (effective state active, weight > 0) and every
 * gate of the LB is open.
 */
#ifndef XDPLB_ANNOUNCE_PLAN_H
#define XDPLB_ANNOUNCE_PLAN_H

#include <stdbool.h>

#include "config.h"

/* Why an address is (not) announced: the first that holds, in this order. */
enum ann_why {
	ANN_YES = 0, /* announced */
	ANN_OFF, /* the config has no "announce" */
	ANN_DRAINED, /* `xdplb announce off` */
	ANN_DETACHED, /* the program is not attached to the interface */
	ANN_LINK_DOWN, /* the interface is down or has no carrier */
	ANN_UNSETTLED, /* the health checks have not given their first verdicts */
	ANN_NO_BACKEND, /* no VIP of the address has a backend taking new flows */
};

const char *ann_why_str(enum ann_why w);

struct ann_gates {
	bool drained, attached, link_up, settled;
};

struct ann_addr {
	struct xdplb_addr addr;
	__u8 family;
	enum ann_why why;
	__u32 first_vip; /* the config's first VIP with this address */
};

/* One entry per distinct VIP address of c (in the order of first
 * appearance), decided; *out malloc'ed. How many, or -ENOMEM. Each VIP's
 * own verdict (for the metrics) in vip_yes[v] when vip_yes is not NULL. */
int ann_plan(const struct xdplb_config *c, const struct ann_gates *g, struct ann_addr **out,
	     bool *vip_yes);

/* Does VIP v have a backend taking new flows? */
bool ann_vip_serves(const struct cfg_vip *v);

#endif

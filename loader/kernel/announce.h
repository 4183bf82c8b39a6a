/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * announce.h - the VIPs' routes that a BGP daemon announces (docs/fleet.md,
 * Announcement): one blackhole route per VIP address, /32 or /128, in the
 * config's announce table, protocol ANNOUNCE_RTPROT. Route present:
 * announce; absent: withdraw. No `ip rule` points at the table: nothing
 * on the LB is routed by it. Only routes of protocol ANNOUNCE_RTPROT are
 * ever added or removed.
 *
 * The decisions (which address, and why) are the service's
 * (kernel/service.c with core/announce_plan); the drain flag and the state
 * file live in the state dir, so that `xdplb announce` and a restarted
 * service see them.
 */
#ifndef XDPLB_ANNOUNCE_H
#define XDPLB_ANNOUNCE_H

#include <stdbool.h>

#include "xdplb_abi.h"

/* Adds (replaces) or deletes the route of one address in table. Deleting
 * one that is not there is not an error. 0 or -errno. */
int announce_route(const struct xdplb_addr *a, __u8 family, __u32 table, bool add);

struct ann_route {
	struct xdplb_addr addr;
	__u8 family;
	__u32 table;
};

/* xdplb's routes (protocol ANNOUNCE_RTPROT) in table (0: in any), both
 * families, into *out (malloc'ed): how many, or -errno. */
int announce_list(__u32 table, struct ann_route **out);

/* Deletes every route of xdplb's in table (0: in any table): how many, or
 * -errno. */
int announce_flush(__u32 table);

/* The drain flag (`xdplb announce off`): <dir>/announce-off. */
#define ANNOUNCE_OFF_FILE "announce-off"
/* What the service decided, for `xdplb announce status`. */
#define ANNOUNCE_STATE_FILE "announce.json"

#endif

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * config_fleet.h - the per-host keys of an LB in a fleet (docs/fleet.md):
 * where its encapsulated frames go (next_hop, or the fixed next_hop_mac)
 * and whether the service announces its VIPs (announce). Parsed by
 * config_fleet.c; resolved and acted on by the kernel layer (neigh.c,
 * announce.c).
 */
#ifndef XDPLB_CONFIG_FLEET_H
#define XDPLB_CONFIG_FLEET_H

#include <stdbool.h>
#include <stddef.h>

#include "xdplb_abi.h"

enum nh_kind {
	NH_MAC = 0, /* next_hop_mac: a fixed MAC, nothing to resolve */
	NH_ADDR = 1, /* next_hop: a router's address, through the neighbour table */
	NH_GATEWAY = 2, /* next_hop "gateway": the interface's default route's gateway */
};

struct cfg_next_hop {
	int kind; /* enum nh_kind */
	struct xdplb_addr addr; /* NH_ADDR */
	__u8 family; /* NH_ADDR: XDPLB_AF_INET or XDPLB_AF_INET6 */
};

/* The routing table the VIPs' routes go to when "announce" gives none:
 * any id works; this one is the lab's and contrib/bird's. */
#define ANNOUNCE_DEFAULT_TABLE 30821
/* The routes' protocol number (rtm_protocol, `ip route ... proto 120`):
 * what marks a route as xdplb's, so that withdrawing never touches
 * another's. Not in iproute2's rt_protos; BIRD learns any protocol but
 * its own and kernel's. */
#define ANNOUNCE_RTPROT 120

struct cfg_announce {
	bool on; /* the key is there */
	__u32 table;
};

/* "192.0.2.2", "gateway" or the MAC, for messages. */
const char *next_hop_str(const struct cfg_next_hop *nh, const __u8 mac[6], char *buf, size_t len);

#endif

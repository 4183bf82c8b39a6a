/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * neigh.h - the next hop's MAC from the kernel's neighbour table
 * (config "next_hop": docs/fleet.md, Next hop).
 *
 * Only XDP_TX sends to the next hop, and the kernel never sees those
 * frames: an entry nothing else uses goes stale and is collected. So the
 * entry is made a managed one (NTF_EXT_MANAGED, Linux 5.16): the kernel
 * keeps it resolved by itself, re-probing it when it would go stale.
 * Where the kernel refuses managed entries, a probe (NTF_USE) at every
 * resolution refreshes it instead.
 */
#ifndef XDPLB_NEIGH_H
#define XDPLB_NEIGH_H

#include <stdbool.h>

#include "config.h"

/* A next hop as found: its address (a "gateway" resolved through the
 * default route) and, when the table has a usable entry, its MAC. */
struct nh_found {
	struct xdplb_addr addr;
	__u8 family;
	__u8 mac[6];
	bool resolved; /* mac is valid */
	bool managed; /* the entry is kept by the kernel (else NTF_USE) */
	bool present; /* the table has an entry (resolved or not) */
	bool created; /* the entry was made by this look (none was there) */
};

/* One look: the address of nh on ifindex, its entry made managed (or
 * probed), and its MAC if the table has one. 0 (f->resolved says), or
 * -errno; -ENETUNREACH: "gateway" and no default route out of ifindex. */
int neigh_find(int ifindex, const struct cfg_next_hop *nh, struct nh_found *f);

/* The same, changing nothing (audit): no entry made managed, no probe. */
int neigh_peek(int ifindex, const struct cfg_next_hop *nh, struct nh_found *f);

/* neigh_find() until resolved or timeout seconds have passed: 0 and the
 * MAC in f, -EHOSTUNREACH (unresolved), or -errno. Said on failure, with
 * the address and the interface. */
int neigh_resolve(const char *ifname, const struct cfg_next_hop *nh, double timeout,
		  struct nh_found *f);

/* A config's next_hop into its nh_mac (next_hop_mac: nothing to do),
 * waiting at most NEIGH_LOAD_TIMEOUT: what `load` does. */
#define NEIGH_LOAD_TIMEOUT 3.0
int neigh_resolve_cfg(struct xdplb_config *cfg);

#endif

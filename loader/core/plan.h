/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * plan.h - what an update writes, computed from a snapshot of the live maps
 * and a checked config. Pure: maps.c does the writing.
 *
 * Ids are stable: a VIP keeps its id while its (address, port, protocol)
 * stays in the config, a backend while its (VIP, address) does. New ones
 * get the lowest id free in the live bank; a reused backend id gets a new
 * cookie, so conntrack entries of the old owner never follow it.
 */
#ifndef XDPLB_PLAN_H
#define XDPLB_PLAN_H

#include <stdbool.h>

#include "live.h"
#include "validate.h"

struct plan_env {
	__u8 if_mac[6];
	__u64 now; /* seconds since the epoch */
	__u8 prog_digest[32]; /* the program the link runs after this change */
	__u32 prog_id;
};

struct plan_vip_write {
	struct xdplb_vip_key key;
	struct xdplb_vip_val val;
};

struct plan_be_write {
	__u32 id;
	struct xdplb_backend val;
};

struct plan {
	__u32 bank; /* the inactive bank this plan fills */
	struct xdplb_ctl ctl; /* new ctl, still pointing at the old bank */
	__u32 *vip_ids; /* per config VIP */
	bool *vip_fresh; /* id newly given: zero its counters */
	__u32 **be_ids; /* per config VIP, per backend */
	bool **be_fresh;
	bool *reuse; /* per config VIP: its table is the live one, keep that map */
	struct plan_vip_write *vw; /* every vips key of either bank */
	__u32 n_vw;
	struct plan_be_write *bw; /* every backend entry that changes */
	__u32 n_bw;
	struct xdplb_vip_filter filter; /* the new bank's VIP filter */
};

/* The VIP filter of a config: a bit for every VIP address. */
void plan_filter(const struct xdplb_config *cfg, struct xdplb_vip_filter *f);

/* 0, -ENOSPC when ids run out, -ENOMEM. */
int plan_build(const struct lb_live *l, const struct checked *c, const struct plan_env *env,
	       struct plan *p);
void plan_free(struct plan *p, __u32 n_vips);

/* The key of a config VIP, and of its address sentinel. */
struct xdplb_vip_key vip_key_of(const struct cfg_vip *v);
struct xdplb_vip_key sentinel_key_of(const struct cfg_vip *v);

#endif

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * plan.h - what a change writes, computed from the live state (live.h) and
 * a checked config. Pure: kernel/commit.c does the writing.
 *
 * Writes are deltas. The live state holds both banks; the plan fills the
 * inactive bank I with what the new config needs there and lists only the
 * entries whose bank-I half differs (phase A). After the flip, the mirror
 * writes make the other bank equal to bank I (phase C), so that after a
 * complete commit both banks hold the live config and the next change
 * writes only what it changes: a health change of one backend writes one
 * backend entry and one table (docs/atomicity.md).
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

/* What a caller already knows, to spare the plan work: the service, for a
 * health change, whose VIPs and backends are those of the last plan. */
struct plan_hint {
	const __u32 *vip_ids; /* per config VIP: its id */
	__u32 *const *be_ids; /* per config VIP, per backend */
	const bool *table_same; /* per config VIP: its table is the live one */
	/* NULL, or per config VIP: some of its backends' states or health
	 * changed. Planned from the live state of a complete commit, only
	 * those VIPs' backend entries are compared: a health change costs the
	 * VIPs it touched, not every backend of the config. */
	const bool *touched;
};

struct plan_env {
	__u8 if_mac[6];
	__u64 now; /* seconds since the epoch */
	__u8 prog_digest[32]; /* the program the link runs after this change */
	__u32 prog_id;
	bool health_only; /* a health change: health_seq + 1, generation kept */
	/* with health_only: if_mac and the config's nh_mac replace the live
	 * ones (the service found the next hop's or the interface's MAC
	 * changed); the config is otherwise the live one */
	bool macs;
	const struct plan_hint *hint; /* NULL: work ids and reuse out */
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
	/* be_ids[v] are the hint's, be_fresh[v] all one array of false:
	 * neither is freed per VIP (a health change allocates nothing per
	 * VIP) */
	bool borrowed;
	bool *no_fresh;
	bool *reuse; /* per config VIP: its table is the live one, keep that map */
	/* every id is the live one and none is fresh (a health change, ids
	 * from the hint): a table slot that keeps its map keeps the slot
	 * counts its backends have in be_slots */
	bool same_ids;
	/* phase A: entries whose bank-I half changes (whole values) */
	struct plan_vip_write *vw;
	__u32 n_vw;
	struct plan_be_write *bw;
	__u32 n_bw;
	/* phase C: the other bank made equal to bank I */
	struct plan_vip_write *mvw;
	__u32 n_mvw;
	struct plan_be_write *mbw;
	__u32 n_mbw;
	struct xdplb_vip_key *vdel; /* keys in neither bank any more: deleted */
	__u32 n_vdel;
	/* names that differ from the live ones (new ids, renames) */
	__u32 *vname_ids, n_vnames, *bname_ids, n_bnames;
	struct xdplb_name *vnames, *bnames;
	struct xdplb_vip_filter filter; /* the new bank's VIP filter */
};

/* The VIP filter of a config: a bit for every VIP address. */
void plan_filter(const struct xdplb_config *cfg, struct xdplb_vip_filter *f);

/* 0, -ENOSPC when ids run out, -ENOMEM. */
int plan_build(const struct lb_live *l, const struct checked *c, const struct plan_env *env,
	       struct plan *p);
void plan_free(struct plan *p, __u32 n_vips);

/* l as the maps are after p was committed completely (both banks equal):
 * what a writer that keeps the live state plans its next change from.
 * table_ids: the map id now in each of the config's VIPs' slots (0: no
 * table); the vips/names views are not rebuilt. 0 or -ENOMEM. */
int plan_apply_to_live(struct lb_live *l, const struct plan *p, const struct checked *c,
		       const __u32 *table_ids);

/* The key of a config VIP, and of its address sentinel. */
struct xdplb_vip_key vip_key_of(const struct cfg_vip *v);
struct xdplb_vip_key sentinel_key_of(const struct cfg_vip *v);

#endif

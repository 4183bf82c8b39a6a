/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * live.h - what is live on an interface, in one structure: the maps as the
 * kernel layer read them (kernel/status.c, once per command), the active
 * bank as VIPs with their backends, and what the command asked for on top
 * (counters, table slots, the link). A config change plans from it, the
 * guards and the diff compare with it (live_to_checked()), the history
 * records its generation; status, stats, verify, audit and the exporter
 * print it. Plain data and pure functions: the core and the renderers use
 * it without touching the kernel.
 */
#ifndef XDPLB_LIVE_H
#define XDPLB_LIVE_H

#include <stdbool.h>
#include <net/if.h>

#include "validate.h"
#include "xdplb_abi.h"

/* One entry of the vips map (both banks; address sentinels included). */
struct live_entry {
	struct xdplb_vip_key key;
	struct xdplb_vip_val val;
};

struct st_backend {
	__u32 id;
	struct xdplb_name name;
	struct xdplb_addr addr;
	__u8 family;
	__u8 state; /* effective: what the data path obeys */
	__u8 cfg_state; /* configured: the config, or an override */
	__u8 health; /* enum xdplb_health */
	bool override; /* cfg_state and weight are an operator's override */
	__u16 weight;
	__u32 slots; /* in the live table (LIVE_SLOTS) */
	__u32 pub_slots; /* as published in be_slots for the live bank (LIVE_PUB_SLOTS) */
	struct xdplb_be_stats st; /* LIVE_COUNTERS */
	/* LIVE_FLOWS: conntrack entries that name it (its cookie), all CPUs;
	 * counted in lb_live.flows_sampled buckets of ct_buckets and scaled
	 * (exact when they are equal) */
	__u64 flows;
	/* LIVE_FLOWS: seconds since the newest last-seen stamp of those
	 * entries (the last packet of any of its flows, within a second or
	 * so); -1 when the sample holds none */
	double idle_s;
};

struct st_vip {
	__u32 id;
	struct xdplb_name name;
	struct xdplb_vip_key key;
	__u32 table_size; /* 0: no backend takes new flows */
	__u32 flags; /* XDPLB_VIP_F_*: the hash mode */
	struct st_backend *be; /* sorted by id */
	__u32 n_be;
	struct xdplb_vip_stats st; /* LIVE_COUNTERS */
	__u32 *table; /* the live table's backend ids (LIVE_TABLES) */
};

/* What a read gets besides the config maps (ctl, vips, backends, names). */
enum live_part {
	LIVE_TABLE_IDS = 1u
			 << 0, /* the map id in every tables slot: what a plan reuses and frees */
	LIVE_SLOTS = 1u << 1, /* each backend's slots in its VIP's live table */
	LIVE_TABLES = 1u << 2, /* each VIP's live table itself (audit, diff against live) */
	LIVE_COUNTERS = 1u << 3, /* per VIP, per backend and global counters */
	LIVE_LINK = 1u << 4, /* the program's link: attached, ids, mode */
	LIVE_ALL_BACKENDS = 1u << 5, /* every backend entry, not only below ctl.be_span (audit) */
	LIVE_FLOWS = 1u << 7, /* each backend's conntrack entries (sampled: flows.h) */
	LIVE_PUB_SLOTS = 1u << 6, /* each backend's slots as the commit published them (be_slots);
				    * cleared from parts when they cannot be read */
};

struct lb_live {
	char ifname[IF_NAMESIZE];
	char pin_dir[512];
	unsigned int parts; /* enum live_part: what was read */

	/* LIVE_LINK */
	bool attached; /* the link exists and its interface too */
	__u32 link_id, prog_id;
	char prog_name[16];
	char mode[8]; /* "native", "generic", "?" */

	/* the maps as they are; all zero (be NULL) before a first load */
	struct xdplb_ctl ctl;
	struct live_entry *entries; /* the vips map */
	__u32 n_entries;
	struct xdplb_backend *be; /* XDPLB_MAX_BACKENDS entries; zero from ctl.be_span on */
	__u32 *table_ids; /* LIVE_TABLE_IDS: XDPLB_TABLE_SLOTS map ids */
	struct xdplb_name *vnames, *bnames; /* by id: the names maps below the spans */
	__u32 n_vnames, n_bnames;
	__u32 empty_table_id; /* the placeholder table unused slots point at */
	__u32 ct_size; /* conntrack_size as configured (ctl.ct_size) */
	__u32 ct_buckets; /* conntrack's buckets, all CPUs (XDPLB_CT_WAYS flows each) */
	__u32 flows_sampled; /* LIVE_FLOWS: of those, the buckets read */

	/* the active bank: its VIPs, sorted by id, with their backends */
	struct st_vip *vips;
	__u32 n_vips;
	__u64 global[XDPLB_GLOBAL_MAX]; /* LIVE_COUNTERS */
};

/* The bank packets use, and its globals. */
static inline __u32 live_active(const struct lb_live *l)
{
	return xdplb_active_bank(&l->ctl);
}

static inline const struct xdplb_global_cfg *live_g(const struct lb_live *l)
{
	return &l->ctl.bank[live_active(l)];
}

/* Builds l->vips from the raw entries, backends and names (l->vnames,
 * l->bnames). 0 or -ENOMEM. */
int live_index(struct lb_live *l);
/* Adds each backend's slots of VIP v's live table (backend ids, table_size
 * of them). */
void live_count_slots(struct st_vip *v, const __u32 *table);
/* The highest VIP id + 1 of the active bank (vips) or backend id + 1. */
__u32 live_id_span(const struct lb_live *l, bool vips);

/* A table slot naming an id that is not a backend of its VIP. */
#define LIVE_FOREIGN 0xfffffffeu

/* The active bank as the same config + tables that a file gives, so that
 * diff and audit compare like with like (guards stay unset: the maps do not
 * hold them). Each backend carries its effective state (state), configured
 * state and health as live, and the tables are the live ones, made from
 * the effective states (effective_configured() turns it into the
 * configured config that diff compares). Without tables (or when l has none), tables.slots[] and
 * counts[] stay NULL: diff then treats a VIP whose inputs did not change
 * as unmoved. */
int live_to_checked(const struct lb_live *l, struct checked *c, bool with_tables);

/* The ids of config c's VIPs and backends in l (the active bank): what a
 * writer that keeps l passes the plan as its hint. 0, or -ENOENT when
 * one of them is not live (c is not what l holds). */
int live_ids(const struct lb_live *l, const struct checked *c, __u32 *vip_ids, __u32 **be_ids);

/* The live VIP of config VIP v (by address, port and protocol), and the
 * live backend of config backend cb in it (by address); NULL: none. */
const struct st_vip *live_find_vip(const struct lb_live *l, const struct cfg_vip *v);
const struct st_backend *live_find_be(const struct st_vip *sv, const struct cfg_backend *cb);
void live_free(struct lb_live *l);

#endif

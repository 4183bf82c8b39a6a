/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * stats.h - `xdplb stats`: where traffic goes, next to where the weights
 * say it should go. Pure: works on lb_live reads that status.c read
 * (two of them for rates), no BPF and no syscalls, so the unit tests cover
 * every number and every character printed.
 */
#ifndef XDPLB_STATS_H
#define XDPLB_STATS_H

#include <stdbool.h>
#include <stdio.h>
#include <cjson/cJSON.h>

#include "live.h"

/* A backend is flagged SKEW when a conservative (Wilson, z = 3) lower
 * bound of its share of new flows is above 1.5 times its weight share: the
 * rule of the exporter's xdplb_vip_imbalance and of its alert. A handful
 * of flows never triggers it, a real skew does within a few hundred. */
#define STATS_BAR_WIDTH 30

/* Counts over the window: totals since the counters were created, or the
 * difference between two reads. */
struct stats_be {
	const struct st_backend *st; /* in the newer read */
	__u64 packets, bytes, new_flows;
	double weight_share; /* weight / sum of weights of the active backends */
	double table_share; /* slots in the live table / table size */
	double flow_share; /* new flows / new flows of every backend of the VIP */
	double packet_share;
	bool skew;
};

struct stats_vip {
	const struct st_vip *st;
	__u64 packets, bytes, new_flows, ct_hits, ct_misses, drops;
	double ct_hit_ratio; /* hits / (hits + misses); 0 without lookups */
	double bar_scale; /* the share a full bar stands for */
	__u64 be_new_flows, be_packets; /* sums over the backends: share denominators */
	struct stats_be *be;
	__u32 n_be;
};

struct stats {
	double seconds; /* the window; 0: totals since load */
	__u64 actions[XDPLB_ACTION_MAX];
	__u64 drops[XDPLB_DROP_MAX];
	__u64 passes[XDPLB_PASS_MAX];
	__u64 replies[XDPLB_REPLY_MAX];
	__u64 icmp[XDPLB_ICMP_MAX];
	struct stats_vip *vips;
	__u32 n_vips;
};

/* The window from prev to cur (prev NULL: totals of cur). Entries are
 * matched by id; a counter that went backwards (an id handed to a new
 * VIP or backend, its counters zeroed) counts from zero. Returns 0 or
 * -ENOMEM. cur must outlive out. */
int stats_compute(const struct lb_live *prev, const struct lb_live *cur, double seconds,
		  struct stats *out);
void stats_free(struct stats *s);

/* Is an observed share of n new flows a skew against weight share w? */
bool stats_is_skew(double share, double w, __u64 n);

#endif

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * commit.h - a plan applied to the maps atomically (docs/atomicity.md).
 */
#ifndef XDPLB_COMMIT_H
#define XDPLB_COMMIT_H

#include "maps.h"
#include "plan.h"

/* What a commit spent waiting for grace periods (wall time of the syscalls
 * that wait: every write to the tables map, and the barriers): the
 * kernel's RCU, not this process's CPU. And when the flip happened
 * (CLOCK_MONOTONIC seconds, 0: no flip): from then on packets use the new
 * config, while the commit goes on to make the old bank equal. */
struct commit_stats {
	double rcu_s;
	double flip_at;
};

/*
 * Applies a plan made from l (the live state it was read as): writes what
 * changes into the inactive bank, flips the active index, waits for every
 * packet that may still use the old bank, then makes the old bank equal to
 * the new one. A failure before the flip leaves the live config untouched.
 * table_ids (NULL, or per config VIP) gets the map id of each VIP's table
 * (0: the empty one); st (NULL or) the grace periods' wall time.
 * Returns 0 or -errno; what failed is reported.
 */
int maps_commit(const struct lb_maps *m, const struct lb_live *l, const struct plan *p,
		const struct checked *c, __u32 *table_ids, struct commit_stats *st);

/* Waits for an RCU grace period: every XDP program that started before has
 * finished. */
int maps_barrier(const struct lb_maps *m);

/* Points every slot of a new tables map at the empty table (frozen now),
 * so that the slots read back with one batch (an empty slot would stop it). */
int maps_fill_slots(const struct lb_maps *m);

#endif

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * commit.h - a plan applied to the maps atomically (docs/atomicity.md).
 */
#ifndef XDPLB_COMMIT_H
#define XDPLB_COMMIT_H

#include "maps.h"
#include "plan.h"

/*
 * Applies a plan: fills the inactive bank, flips the active index, waits
 * for every packet that may still use the old bank, then frees it. A
 * failure before the flip leaves the live config untouched.
 * Returns 0 or -errno; what failed is reported.
 */
int maps_commit(const struct lb_maps *m, const struct lb_live *l, const struct plan *p,
		const struct checked *c);

/* Waits for an RCU grace period: every XDP program that started before has
 * finished. */
int maps_barrier(const struct lb_maps *m);

/* Points every slot of a new tables map at the empty table (frozen now),
 * so that the slots read back with one batch (an empty slot would stop it). */
int maps_fill_slots(const struct lb_maps *m);

#endif

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * maps.h - the LB's maps: open the pinned ones, read them, and apply a plan
 * atomically (docs/atomicity.md).
 */
#ifndef XDPLB_MAPS_H
#define XDPLB_MAPS_H

#include "plan.h"

enum lb_map {
	M_VIPS,
	M_BACKENDS,
	M_TABLES,
	M_CONNTRACK,
	M_CTL,
	M_BE_STATS,
	M_VIP_STATS,
	M_GLOBAL_STATS,
	M_VIP_NAMES,
	M_BE_NAMES,
	M_VIP_FILTER,
	M_COUNT,
};

/* The names in the BPF object, which are also the pin names. */
extern const char *const lb_map_names[M_COUNT];

struct lb_maps {
	int fd[M_COUNT]; /* -1 when not open */
};

void maps_init(struct lb_maps *m);
/* Opens every map pinned in dir. -ENOENT if one is missing. */
int maps_open_pinned(const char *dir, struct lb_maps *m);
int maps_pin(const struct lb_maps *m, const char *dir);
void maps_close(struct lb_maps *m);

int maps_read_live(const struct lb_maps *m, struct live *l);
/* The same reading every backend entry, not only the span in use (audit). */
int maps_read_live_all(const struct lb_maps *m, struct live *l, bool all_backends);

/* Values of keys first..first+n-1 of an array map, in one batch (per-CPU
 * arrays: ncpu values of 8-byte-rounded size per key). */
int maps_read_range(int fd, __u32 first, __u32 n, void *values);

/* A live table: size entries of table slot `slot` into out. */
/* The n entries of the table map fd (a mapping when it is mmapable, batch
 * lookups otherwise); -EBADMSG when it is not a table of n entries. */
int maps_table_pairs(int fd, __u32 n, struct xdplb_slot_pair *out);
int maps_read_table(const struct lb_maps *m, __u32 slot, __u32 size, __u32 *out);

/* Per-CPU values summed: nvals __u64 counters per entry, entry `key`. */
int maps_sum_percpu(int fd, __u32 key, __u64 *out, __u32 nvals);

#endif

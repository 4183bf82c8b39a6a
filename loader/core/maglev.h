/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * maglev.h - weighted Maglev lookup tables (Eisenbud et al., NSDI 2016).
 *
 * Each backend walks its own permutation of the M slots (offset, skip from
 * hashes of its address and the seed) and claims the next free slot on its
 * turns; a backend takes a turn in a round with probability weight/max
 * weight (as a running sum, so deterministically). Backends take their
 * turns in address order, so the table depends on the set of backends and
 * not on the order of the config. Pure.
 */
#ifndef XDPLB_MAGLEV_H
#define XDPLB_MAGLEV_H

#include "xdplb_abi.h"

#define MAGLEV_NONE 0xffffffffu

struct maglev_backend {
	struct xdplb_addr addr; /* identity */
	__u8 family;
	__u32 weight; /* 0: takes no slot (drained, down, or weight 0) */
};

/* One backend's permutation (offset, skip) and weight, for maglev_populate(). */
struct maglev_perm {
	__u32 offset; /* < m */
	__u32 skip; /* 1..m-1 */
	__u32 weight; /* > 0 */
	__u32 idx; /* what its slots are filled with */
};

/* The population loop of the paper, weighted: backends take turns in the
 * order given. Fills every slot of table[0..m) with some perm's idx (or
 * MAGLEV_NONE if n == 0). Returns 0 or -ENOMEM. */
int maglev_populate(const struct maglev_perm *perm, __u32 n, __u32 m, __u32 *table);

/* Fills table[0..m) with indexes into b[], or MAGLEV_NONE everywhere when
 * no backend has a weight. m must be prime. 0, or -EINVAL / -ENOMEM. */
int maglev_build(const struct maglev_backend *b, __u32 n, __u32 m, __u32 seed, __u32 *table);

/* counts[i] = slots of backend i; counts has n entries. */
void maglev_count(const __u32 *table, __u32 m, __u32 n, __u32 *counts);

#endif

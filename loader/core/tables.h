/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * tables.h - the Maglev table of every VIP of a config. Pure.
 * A slot holds the index of a backend in its VIP's backend list, or
 * MAGLEV_NONE. Only active backends with a weight take slots.
 */
#ifndef XDPLB_TABLES_H
#define XDPLB_TABLES_H

#include "config.h"
#include "maglev.h"

struct vip_tables {
	__u32 n; /* = cfg->n_vips */
	__u32 **slots; /* slots[v][0..vips[v].table_size) */
	__u32 **counts; /* counts[v][b]: slots held by backend b */
};

int tables_build(const struct xdplb_config *cfg, struct vip_tables *t);
/* Builds the table of VIP v only (t already sized for cfg, slots[v] NULL). */
int tables_build_vip(const struct xdplb_config *cfg, __u32 v, struct vip_tables *t);
void tables_free(struct vip_tables *t);

/* The table size a VIP of n backends gets when its config names none:
 * 65537, or the next prime of the ladder that keeps CFG_MIN_SLOTS_PER_BACKEND
 * slots per backend; 0 when none does. */
__u32 table_size_default(__u32 n_backends);
bool is_prime(__u32 n);

/* The weight a backend has for new flows: 0 unless active. */
__u32 backend_new_flow_weight(const struct cfg_backend *b);
/* Sum of backend_new_flow_weight() over a VIP, and how many are > 0. */
__u64 vip_active_weight(const struct cfg_vip *v, __u32 *n_active);

#endif

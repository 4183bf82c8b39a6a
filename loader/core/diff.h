/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * diff.h - what changes between two configs (or what is live and a file),
 * and the impact on new flows, computed on the real Maglev tables. Pure.
 *
 * VIPs match by (address, port, protocol), backends within a VIP by
 * address. "Moved" is the fraction of a VIP's new flows whose backend
 * changes: exact, slot by slot, when the table size, hash seed and the
 * VIP's hash mode are the same; otherwise estimated from DIFF_SAMPLES synthetic flows hashed as the
 * data path does. Established flows are not counted: conntrack keeps them.
 */
#ifndef XDPLB_DIFF_H
#define XDPLB_DIFF_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>

#include "validate.h"

#define DIFF_SAMPLES 65536

struct vip_diff {
	int a, b; /* index in each config, -1 when absent */
	bool changed; /* anything differs (backends, table, hash mode, name) */
	double moved; /* fraction of new flows that change backend */
	bool estimated; /* moved is sampled, not exact */
};

struct diff {
	const struct checked *a, *b;
	struct vip_diff *v;
	size_t n;
	char **global; /* "hash_seed: 0x1 -> 0x2", ... */
	size_t n_global;
};

int diff_compute(const struct checked *a, const struct checked *b, struct diff *d);
/* Anything a VIP's table depends on (or its name, weights, states) differs. */
/* The index of backend b (matched by address) in v, or -1. */
int diff_find_backend(const struct cfg_vip *v, const struct cfg_backend *b);
bool diff_vip_inputs_differ(const struct checked *a, int va, const struct checked *b, int vb);
void diff_free(struct diff *d);
/* max_flows_moved of the new config: one guard diagnostic per VIP over it. */
int diff_guard(const struct diff *d, struct diags *out);
/* Nothing differs that the data path would notice. */
bool diff_empty(const struct diff *d);

#endif

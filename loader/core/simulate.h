/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * simulate.h - what a config would do with traffic, without a kernel: each
 * backend's share of the Maglev table and of N synthetic flows (hashed with
 * the data path's own flow hash), next to its weight share. Pure.
 */
#ifndef XDPLB_SIMULATE_H
#define XDPLB_SIMULATE_H

#include "validate.h"

struct sim_backend {
	double weight_share; /* of new flows, from the weights of active backends */
	double table_share;
	double flow_share;
	__u64 flows;
};

struct sim_vip {
	struct sim_backend *b; /* one per backend of the VIP */
	__u64 flows;
	/* max over backends taking new flows of share / weight share */
	double max_table_ratio, max_flow_ratio;
	/* max |share - weight share|, in share units */
	double max_table_error, max_flow_error;
};

/* Runs @flows synthetic flows per VIP from a fixed PRNG seed, so the
 * output is reproducible. Returns an array of cfg.n_vips, or NULL. */
struct sim_vip *simulate(const struct checked *c, __u64 flows, __u64 seed);
void simulate_free(struct sim_vip *s, __u32 n);

/* The backend a flow goes to on a table miss: the same computation as the
 * data path. Returns the backend index in the VIP, or MAGLEV_NONE. */
__u32 simulate_pick(const struct checked *c, __u32 vip, const struct xdplb_flow_key *f);

/* A synthetic flow to a VIP from a splitmix64 state: random source and
 * source port (random destination port for a port-less VIP). */
void simulate_flow(const struct cfg_vip *v, __u64 *rng, struct xdplb_flow_key *f);

#endif

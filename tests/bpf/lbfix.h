/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * lbfix.h - the LB under test: the real BPF object loaded through its
 * skeleton, maps filled by the loader library (lb_apply, as `xdplb load`
 * does), packets through BPF_PROG_TEST_RUN. Nothing is attached or pinned.
 */
#ifndef XDPLB_TEST_LBFIX_H
#define XDPLB_TEST_LBFIX_H

#include <stdbool.h>

#include "flows.h"
#include "maps.h"
#include "pkt.h"
#include "validate.h"

struct lbfix {
	struct xdplb_bpf *skel;
	struct lb_maps m;
	struct checked c; /* the config last applied */
	bool applied;
	int prog_fd;
};

/* Runs the calling test on that CPU from now on (0, or -errno). */
int lbfix_pin_cpu(int cpu);
/* Loads the object and applies the config; aborts the test on failure.
 * Pins the test to CPU 0. */
void lbfix_open(struct lbfix *f, const char *json);
/* A reload: validates and applies a new config (0, or -errno). */
int lbfix_apply(struct lbfix *f, const char *json);
void lbfix_close(struct lbfix *f);

/* Runs one frame; returns the XDP action, the output in out/out_len. */
int lbfix_run(struct lbfix *f, const __u8 *in, size_t len, __u8 *out, size_t *out_len);

/* A global counter, all CPUs, as readers see it (XDP_DROP: the sum of the
 * drop reasons, xdplb_global_fold()); _raw: the slot as the program left it. */
__u64 lbfix_global(struct lbfix *f, __u32 idx);
__u64 lbfix_global_raw(struct lbfix *f, __u32 idx);
/* Every counter of global_stats, all CPUs. */
struct lbfix_counters {
	__u64 v[XDPLB_GLOBAL_MAX];
};
struct lbfix_counters lbfix_counters(struct lbfix *f);
/* A source port for s whose new flow the current tables send to the
 * backend named want (the test fails when there is none). */
__u16 lbfix_port_to(const struct lbfix *f, struct pkt_spec s, const char *want);
struct xdplb_vip_stats lbfix_vip_stats(struct lbfix *f, const char *vip);
struct xdplb_be_stats lbfix_be_stats(struct lbfix *f, const char *vip, const char *backend);
/* The live id of a VIP's backend, or -1. */
int lbfix_backend_id(struct lbfix *f, const char *vip, const char *backend);

/* The live ctl map's value. */
struct xdplb_ctl lbfix_ctl(struct lbfix *f);
/* The hash the outer headers take for a flow (encap_hash() in bpf/encap.h). */
__u32 lbfix_encap_hash(struct lbfix *f, const struct xdplb_flow_key *k);
/* The flow's conntrack entries, one per CPU that keeps it (at most max). */
int lbfix_flows(struct lbfix *f, const struct xdplb_flow_key *k, struct flow_entry *e, int max);
/* Flows conntrack keeps, all CPUs. */
__u64 lbfix_ct_count(struct lbfix *f);

/* The config VIP a flow belongs to (exact port, then port 0), or -1. */
int lbfix_vip_of(const struct lbfix *f, const struct xdplb_flow_key *k);
/* The backend the current tables give a new flow, or NULL. */
const struct cfg_backend *lbfix_pick(const struct lbfix *f, const struct xdplb_flow_key *k);
/* The backend whose address is the outer destination of an encapsulated
 * frame (any VIP), or NULL. */
const struct cfg_backend *lbfix_dest(const struct lbfix *f, const __u8 *frame);

#endif

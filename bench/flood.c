// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * flood.c - do established flows survive a SYN flood? At conntrack_size
 * 4M: establish F flows (a SYN then an ACK each, distinct sources), send S
 * SYNs from other distinct sources (new flows), then one ACK for each of
 * the F flows, and count from the VIP's counters how many were conntrack
 * hits. Defaults F = 10^4, S = 10^6; the goal is >= 99% hits. Everything
 * runs on one CPU (the flow table may be per CPU). Only the LB's counters
 * are read: the conntrack itself is never looked at.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <linux/bpf.h>

#include "bench.h"
#include "rig.h"

#define FLOOD_GOAL_PCT 99.0

/* The sources: the established flows from 11.0.0.1 on, the flood's from
 * 12.0.0.1 on (16M apart: neither range reaches the other). */
#define EST_BASE 0x0b000001u
#define FLOOD_BASE 0x0c000001u

/* One phase: n packets through the wrapper; the VIP's counters before and
 * after in b and a. */
static int phase(struct rig *r, const struct lbprog *lb, const struct pkt_spec *p, __u32 sources,
		 __u32 base, unsigned long n, __u64 b[6], __u64 a[6], double *ns)
{
	__u8 frame[PKT_MAX];
	size_t len = pkt_build(p, frame);

	if (rig_vip_stats(r, lb->vip_stats, "web4", b) ||
	    rig_arm(r, frame, len, p->family, sources, 0, lb->prog, base))
		return -1;
	*ns = rig_run(rig_wrapper(r), frame, len, n, XDP_TX);
	if (*ns < 0 || rig_vip_stats(r, lb->vip_stats, "web4", a))
		return -1;
	return 0;
}

int bench_flood(const struct bench_opts *o, cJSON *out)
{
	struct pkt_spec syn = { .family = 4,
				.src = "11.0.0.1",
				.dst = "203.0.113.10",
				.proto = IPPROTO_TCP,
				.sport = 3000,
				.dport = 80,
				.tcp_flags = TCPF_SYN };
	struct pkt_spec ack = syn;
	unsigned long flows = o->flood_flows, syns = o->flood_syns;
	__u64 b[6], a[6], hits = 0, misses = 0;
	double ns_flood = 0, ns, pct = 0;
	struct rig r = { 0 };
	struct lbprog lb;
	const char *bad = NULL;
	cpu_set_t old;
	int cpu;

	ack.tcp_flags = TCPF_ACK;
	if (flows < 2 || flows > 0x01000000 || syns < 1 || syns > 0x7fffffff) {
		fprintf(stderr, "flood: --flood-flows 2..16M, --flood-syns 1..2^31-1\n");
		return 1;
	}
	cpu = bench_pin(-1, &old);
	if (cpu < 0 || rig_open(&r, CT_4M)) {
		fprintf(stderr, "flood: cannot set up the LB\n");
		rig_close(&r);
		if (cpu >= 0)
			bench_unpin(&old);
		return 1;
	}
	lb = rig_lb(&r);
	/* 1. the established flows: each a new flow, then a hit */
	if (phase(&r, &lb, &syn, (__u32)flows, EST_BASE, flows, b, a, &ns))
		bad = "establishing (SYN)";
	else if (a[V_NEW] - b[V_NEW] != flows)
		bad = "establishing: not every SYN was a new flow";
	else if (phase(&r, &lb, &ack, (__u32)flows, EST_BASE, flows, b, a, &ns))
		bad = "establishing (ACK)";
	else if (a[V_HITS] - b[V_HITS] != flows)
		bad = "establishing: not every first ACK was a conntrack hit";
	/* 2. the flood: every SYN a new flow */
	else if (phase(&r, &lb, &syn, VARY_NEW, FLOOD_BASE, syns, b, a, &ns_flood))
		bad = "the flood";
	else if (a[V_NEW] - b[V_NEW] != syns)
		bad = "the flood: not every SYN was a new flow";
	/* 3. one ACK per established flow: which ones does the LB remember? */
	else if (phase(&r, &lb, &ack, (__u32)flows, EST_BASE, flows, b, a, &ns))
		bad = "the ACKs after the flood";
	else if (a[V_PACKETS] - b[V_PACKETS] != flows)
		bad = "the ACKs after the flood: not every ACK reached the VIP";
	hits = a[V_HITS] - b[V_HITS];
	misses = a[V_MISSES] - b[V_MISSES];
	rig_close(&r);
	bench_unpin(&old);
	printf("\nSYN flood, conntrack_size %u, on CPU %d: %lu flows established (SYN + ACK), then\n"
	       "%lu new-flow SYNs, then one ACK per established flow\n",
	       CT_4M, cpu, flows, syns);
	if (bad) {
		fprintf(stderr, "flood: %s\n", bad);
		printf("  %-18s FAILED (%s)\n", "syn_flood", bad);
		return 1;
	}
	pct = 100.0 * (double)hits / (double)flows;
	printf("  %-18s %lu of %lu ACKs were conntrack hits: %.2f%% (%llu misses); the flood's SYNs %.1f ns each; %s %.0f%%\n",
	       "syn_flood", (unsigned long)hits, flows, pct, (unsigned long long)misses, ns_flood,
	       pct >= FLOOD_GOAL_PCT ? "goal met, >=" : "goal MISSED, <", FLOOD_GOAL_PCT);

	cJSON *j = cJSON_AddObjectToObject(out, "syn_flood");

	cJSON_AddNumberToObject(j, "conntrack_size", CT_4M);
	cJSON_AddNumberToObject(j, "flows", (double)flows);
	cJSON_AddNumberToObject(j, "syns", (double)syns);
	cJSON_AddNumberToObject(j, "hits", (double)hits);
	cJSON_AddNumberToObject(j, "misses", (double)misses);
	cJSON_AddNumberToObject(j, "hit_pct", pct);
	cJSON_AddNumberToObject(j, "goal_pct", FLOOD_GOAL_PCT);
	cJSON_AddNumberToObject(j, "flood_ns_per_syn", ns_flood);
	cJSON_AddNumberToObject(j, "cpu", cpu);
	return 0;
}

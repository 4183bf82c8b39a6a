/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * flowtab.h - conntrack's geometry (bpf/xdplb_abi.h): the buckets each CPU
 * gets for a conntrack_size. The size is the flows of all CPUs together
 * (a flow lives on the CPU its packets arrive on), shared out evenly and
 * rounded up to a power of two of buckets per CPU, so that the program
 * picks a bucket with a mask.
 */
#ifndef XDPLB_FLOWTAB_H
#define XDPLB_FLOWTAB_H

#include <linux/types.h>
#include "xdplb_abi.h"

/* log2 of the buckets per CPU */
static inline __u32 flowtab_bits(__u32 ct_size, __u32 ncpus)
{
	__u64 per_cpu = ((__u64)ct_size + ncpus - 1) / (ncpus ? ncpus : 1);
	__u64 buckets = (per_cpu + XDPLB_CT_WAYS - 1) / XDPLB_CT_WAYS;
	__u32 bits = 0;

	while ((1ull << bits) < buckets)
		bits++;
	return bits;
}

/* Flows the table holds: every CPU's buckets, every way. */
static inline __u64 flowtab_capacity(__u32 bits, __u32 ncpus)
{
	return ((__u64)ncpus << bits) * XDPLB_CT_WAYS;
}

#endif

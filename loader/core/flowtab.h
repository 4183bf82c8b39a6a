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

/* How long ago, in seconds, the table's last-seen stamp `seen` (jiffies >>
 * XDPLB_CT_TIME_SHIFT, truncated to 32 bits) was written, at monotonic
 * time mono_s. The kernel has no call for jiffies, but it starts them at
 * INITIAL_JIFFIES (2^32 - 300 s of ticks) and counts one a tick since the
 * monotonic clock started: measured here, within 0.3 s. A stamp that
 * reads from the future (clock skew) is 0 s old. */
static inline double flowtab_seen_age(__u32 seen, __u32 hz, double mono_s)
{
	__u64 now = (1ull << 32) - 300ull * hz + (__u64)(mono_s * hz);
	__u32 units = (__u32)(now >> XDPLB_CT_TIME_SHIFT) - seen;

	if (!hz || units > 0x80000000u)
		return 0;
	return (double)units * (1u << XDPLB_CT_TIME_SHIFT) / hz;
}

#endif

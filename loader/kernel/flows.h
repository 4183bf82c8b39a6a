/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * flows.h - conntrack from userspace: where a flow is kept, in which CPU's
 * bucket and way (bpf/xdplb_abi.h has the layout), for explain and the
 * tests. The ctl given names the table's geometry and hash key.
 */
#ifndef XDPLB_FLOWS_H
#define XDPLB_FLOWS_H

#include <stdbool.h>
#include <linux/types.h>
#include "xdplb_abi.h"

struct flow_entry {
	__u32 cpu, way;
	__u32 backend_id, vip_id, cookie;
	__u32 seen; /* jiffies >> XDPLB_CT_TIME_SHIFT */
	bool est; /* seen again after its first packet */
};

/* The flow's entries, one per CPU that keeps it, at most max: their
 * number, or -errno (said). */
int flows_find(int ct_fd, const struct xdplb_ctl *ctl, const struct xdplb_flow_key *k,
	       struct flow_entry *e, int max);
/* Puts the flow into CPU cpu's bucket, in the way that holds it already or
 * else in a free way or way 0. 0, or -errno (said). */
int flows_put(int ct_fd, const struct xdplb_ctl *ctl, const struct xdplb_flow_key *k,
	      const struct flow_entry *e);

/* Buckets flows_by_backend() reads at most: 4 MB, a few ms (docs/metrics.md) */
#define FLOWS_SAMPLE_BUCKETS 65536

/* Counts conntrack's entries per backend id (< span, and whose cookie is
 * cookie[id]) into count[], and keeps the newest last-seen stamp of each
 * id's entries in newest[] (left as it is for an id with none), reading at
 * most max buckets evenly spread over the table (all of it when it has no
 * more). Sets *sampled to the buckets read; the caller scales. 0, or
 * -errno (said). */
int flows_by_backend(int ct_fd, __u32 n_buckets, __u32 max, __u32 span, const __u32 *cookie,
		     __u64 *count, __u32 *newest, __u32 *sampled);

#endif

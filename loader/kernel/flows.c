// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * flows.c - conntrack from userspace (flows.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "flows.h"
#include "log.h"
#include "xdplb_hash.h"

static int read_bucket(int fd, __u32 idx, struct xdplb_flow_bucket *b)
{
	if (!bpf_map_lookup_elem(fd, &idx, b))
		return 0;
	pr_warn("reading conntrack bucket %u: %s\n", idx, strerror(errno));
	return -errno;
}

static __u32 bucket_of(const struct xdplb_ctl *ctl, __u32 cpu, __u64 tag)
{
	__u32 bits = ctl->ct_bits & 31;

	return cpu << bits | xdplb_ct_bucket(tag, bits);
}

static int way_of(const struct xdplb_flow_bucket *b, __u64 tag)
{
	for (int w = 0; w < XDPLB_CT_WAYS; w++)
		if ((b->flags & XDPLB_CT_F_USED(w)) && b->tag[w] == tag)
			return w;
	return -1;
}

int flows_find(int ct_fd, const struct xdplb_ctl *ctl, const struct xdplb_flow_key *k,
	       struct flow_entry *e, int max)
{
	__u64 tag = xdplb_flow_tag(k, ctl->ct_key);
	struct xdplb_flow_bucket b;
	int n = 0, err, w;

	for (__u32 cpu = 0; cpu < ctl->ct_cpus && n < max; cpu++) {
		err = read_bucket(ct_fd, bucket_of(ctl, cpu, tag), &b);
		if (err)
			return err;
		w = way_of(&b, tag);
		if (w < 0)
			continue;
		e[n++] = (struct flow_entry){ .cpu = cpu,
					      .way = (__u32)w,
					      .backend_id = xdplb_ct_ref_backend(b.ref[w]),
					      .vip_id = xdplb_ct_ref_vip(b.ref[w]),
					      .cookie = b.cookie[w],
					      .seen = b.seen[w],
					      .est = b.flags & XDPLB_CT_F_EST(w) };
	}
	return n;
}

int flows_put(int ct_fd, const struct xdplb_ctl *ctl, const struct xdplb_flow_key *k,
	      const struct flow_entry *e)
{
	__u64 tag = xdplb_flow_tag(k, ctl->ct_key);
	__u32 idx = bucket_of(ctl, e->cpu, tag);
	struct xdplb_flow_bucket b;
	int err = read_bucket(ct_fd, idx, &b), w;

	if (err)
		return err;
	w = way_of(&b, tag);
	for (int i = 0; w < 0 && i < XDPLB_CT_WAYS; i++)
		if (!(b.flags & XDPLB_CT_F_USED(i)))
			w = i;
	if (w < 0)
		w = 0;
	b.tag[w] = tag;
	b.ref[w] = xdplb_ct_ref(e->backend_id, e->vip_id);
	b.cookie[w] = e->cookie;
	b.seen[w] = e->seen;
	b.flags = (b.flags & ~XDPLB_CT_F_EST(w)) | XDPLB_CT_F_USED(w) |
		  (e->est ? XDPLB_CT_F_EST(w) : 0);
	if (bpf_map_update_elem(ct_fd, &idx, &b, BPF_ANY)) {
		err = -errno;
		pr_warn("writing conntrack bucket %u: %s\n", idx, strerror(errno));
	}
	return err;
}

static void count_bucket(const struct xdplb_flow_bucket *b, __u32 span, const __u32 *cookie,
			 __u64 *count, __u32 *newest)
{
	for (int w = 0; w < XDPLB_CT_WAYS; w++) {
		__u32 id = xdplb_ct_ref_backend(b->ref[w]);

		if (!(b->flags & XDPLB_CT_F_USED(w)) || id >= span || b->cookie[w] != cookie[id])
			continue;
		/* newer: ahead by less than half the stamp's range */
		if (!count[id]++ || (__s32)(b->seen[w] - newest[id]) > 0)
			newest[id] = b->seen[w];
	}
}

/* The table is mmapable: one mapping, read in place (a lookup per bucket
 * costs a syscall); without the mapping, lookups of at most 4,096. */
int flows_by_backend(int ct_fd, __u32 n_buckets, __u32 max, __u32 span, const __u32 *cookie,
		     __u64 *count, __u32 *newest, __u32 *sampled)
{
	size_t len = (size_t)n_buckets * sizeof(struct xdplb_flow_bucket);
	const struct xdplb_flow_bucket *t = mmap(NULL, len, PROT_READ, MAP_SHARED, ct_fd, 0);
	struct xdplb_flow_bucket b;
	__u32 step, n = 0;
	int err = 0;

	if (t == MAP_FAILED && max > 4096)
		max = 4096;
	step = n_buckets > max && max ? n_buckets / max : 1;
	for (__u64 i = 0; i < n_buckets && n < max; i += step, n++) {
		if (t != MAP_FAILED) {
			count_bucket(&t[i], span, cookie, count, newest);
			continue;
		}
		err = read_bucket(ct_fd, (__u32)i, &b);
		if (err)
			break;
		count_bucket(&b, span, cookie, count, newest);
	}
	if (t != MAP_FAILED)
		munmap((void *)t, len);
	*sampled = n;
	return err;
}

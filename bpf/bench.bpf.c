// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench.bpf.c - what `make bench` measures the LB against.
 *
 * BPF_PROG_TEST_RUN with repeat runs the program N times on the same
 * buffer without resetting it, so an encapsulating program would see its
 * own output from the second iteration on. bench_restore puts the original
 * frame back (and, for new-flow scenarios, a new source) before every
 * iteration, then tail-calls the program under test: both the LB and the
 * encapsulation floor run behind it, so the ratio compares like with like,
 * and bench_restore + floor_drop gives the wrapper's own cost.
 *
 * Floors: floor_drop (XDP_DROP), floor_macswap (parse Ethernet + IPv4,
 * swap MACs, XDP_TX), floor_encap (a minimal fixed IPIP encapsulation with
 * its checksum, XDP_TX).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "xdplb_abi.h"
#include "bench_abi.h"
#include "csum.h"
#include "parsing.h"

char LICENSE[] SEC("license") = "GPL";

/* [0]: the frame to restore */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bench_frame);
} bench_frames SEC(".maps");

/* [0]: the program under test */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} bench_jmp SEC(".maps");

/* iterations so far: one count when the frame has no cpu_stride (a single
 * thread), else per CPU */
__u64 iterations = 0;
struct bench_count bench_iters[BENCH_MAX_CPUS] = {};

/* The fine clock: BPF_PROG_TEST_RUN reports whole nanoseconds (its total
 * divided by the repeat count, truncated), and a conntrack hit costs ~30 ns
 * above its floor, so a ratio of two such figures moved in steps of ~0.03.
 * With bench_clock.on, bench_restore reads the time at the start of every
 * BENCH_CLOCK_BLOCK-th iteration and keeps each block's length; the bench
 * leaves out the blocks in which the loop stopped to reschedule (which the
 * kernel's figure leaves out too) and divides. Once a block, because a
 * clock read in every iteration changed what it measured: it waits for
 * the work before it, and the iterations no longer overlap (hits read
 * 0.72x a46fc2b where the kernel's figure read 0.68x). Single-thread
 * frames (no cpu_stride). */
struct bench_clock bench_clock = {};

static __always_inline void clock_tick(__u64 n)
{
	__u64 now, d;

	if (n % BENCH_CLOCK_BLOCK)
		return;
	now = bpf_ktime_get_ns();
	d = now - bench_clock.last;
	if (bench_clock.last && bench_clock.n < BENCH_CLOCK_MAX_BLOCKS) {
		bench_clock.blk[bench_clock.n & (BENCH_CLOCK_MAX_BLOCKS - 1)] =
			d > 0xffffffffULL ? 0xffffffffU : (__u32)d;
		bench_clock.n++;
	}
	bench_clock.last = now;
}

SEC("xdp")
int bench_restore(struct xdp_md *ctx)
{
	__u32 zero = 0, len, cur, cpu = 0;
	struct bench_frame *f = bpf_map_lookup_elem(&bench_frames, &zero);
	__u64 *it = &iterations;

	if (!f)
		return XDP_ABORTED;
	if (f->cpu_stride) {
		cpu = bpf_get_smp_processor_id();
		it = &bench_iters[cpu & (BENCH_MAX_CPUS - 1)].n;
	} else if (bench_clock.on) {
		clock_tick(*it);
	}
	len = f->len;
	if (len < 14 || len > 4096)
		return XDP_ABORTED;
	cur = ctx->data_end - ctx->data;
	if (cur != len && f->head_delta) {
		/* the start back where it was, then the end */
		if (bpf_xdp_adjust_head(ctx, -f->head_delta))
			return XDP_ABORTED;
		cur = ctx->data_end - ctx->data;
		if (cur != len && bpf_xdp_adjust_tail(ctx, (int)(len - cur)))
			return XDP_ABORTED;
	} else if (cur != len && bpf_xdp_adjust_head(ctx, (int)(cur - len))) {
		return XDP_ABORTED;
	}
	if (bpf_xdp_store_bytes(ctx, 0, f->data, len < BENCH_FRAME_MAX ? len : BENCH_FRAME_MAX))
		return XDP_ABORTED;
	if (f->vary_off) {
		__u32 n = (__u32)*it, b = f->vary_base + cpu * f->cpu_stride;
		__be32 v = bpf_htonl(b + (f->vary_mod ? n % f->vary_mod : n));

		if (bpf_xdp_store_bytes(ctx, f->vary_off, &v, sizeof(v)))
			return XDP_ABORTED;
	}
	(*it)++;
	bpf_tail_call(ctx, &bench_jmp, 0);
	return XDP_ABORTED;
}

SEC("xdp")
int floor_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

SEC("xdp")
int floor_macswap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);
	__u8 tmp[ETH_ALEN];

	if ((void *)(iph + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	if (iph->daddr == 0) /* read the header, as a parser would */
		return XDP_PASS;
	__builtin_memcpy(tmp, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, tmp, ETH_ALEN);
	return XDP_TX;
}

/* The minimal IPIP encapsulation of floor_encap. */
static __always_inline int encap_min(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data, *neth;
	struct iphdr *iph = (void *)(eth + 1), *o;
	__u16 tot, len;

	if ((void *)(iph + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	tot = bpf_ntohs(iph->tot_len);
	if (bpf_xdp_adjust_head(ctx, -(int)sizeof(*o)))
		return XDP_DROP;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	neth = data;
	o = (void *)(neth + 1);
	if ((void *)(o + 1) > end)
		return XDP_DROP;
	/* fixed MACs and addresses: what any encapsulation must at least
	 * write, and its checksum from registers (as encap.h does) */
	__builtin_memset(neth->h_dest, 0x02, ETH_ALEN);
	__builtin_memset(neth->h_source, 0x04, ETH_ALEN);
	neth->h_proto = bpf_htons(ETH_P_IP);
	len = bpf_htons(tot + sizeof(*o));
	*(__u16 *)o = bpf_htons(0x4500);
	o->tot_len = len;
	o->id = 0;
	o->frag_off = bpf_htons(IP4_DF);
	*(__u16 *)&o->ttl = bpf_htons(64 << 8 | IPPROTO_IPIP);
	o->saddr = bpf_htonl(0xc0000201);
	o->daddr = bpf_htonl(0xc633640b);
	o->check = ip4_csum_words((__u32)bpf_htons(0x4500) + len + bpf_htons(IP4_DF) +
					  bpf_htons(64 << 8 | IPPROTO_IPIP),
				  bpf_htonl(0xc0000201), bpf_htonl(0xc633640b));
	return XDP_TX;
}

SEC("xdp")
int floor_encap(struct xdp_md *ctx)
{
	return encap_min(ctx);
}

/* floor_cold's lines: ARRAY[nr CPUs << cold_bits] of a cache line each
 * (BPF_F_MMAPABLE, as conntrack: vmalloc'ed, every value on its own line).
 * The bench sizes it like the LB's flow table before loading, or leaves it
 * at one line when no section uses it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bench_count);
} cold_lines SEC(".maps");

const volatile __u32 cold_bits = 0; /* log2 of the lines per CPU */

/*
 * floor_cold: what a new flow cannot avoid: the encapsulation, and one read-modify-write
 * of a line picked by the flow's hash in this CPU's part of a table as big
 * as the LB's (a SYN's conntrack bucket). Its cost is the host's memory
 * system: the two-core bench runs it beside the SYN rows, so that how far
 * the host scales a cold line per packet is measured in the same rounds.
 */
SEC("xdp")
int floor_cold(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct iphdr *iph = data + sizeof(struct ethhdr);
	__u32 idx, h, bits = cold_bits & 31;
	struct bench_count *l;

	if ((void *)(iph + 1) > end)
		return XDP_PASS;
	h = bpf_ntohl(iph->saddr) * 0x9e3779b1u; /* the varied source: a line each */
	idx = bpf_get_smp_processor_id() << bits | (bits ? h >> (32 - bits) : 0);
	l = bpf_map_lookup_elem(&cold_lines, &idx);
	if (l && l->n != h) {
		l->n = h;
		l->pad[0]++;
	}
	return encap_min(ctx);
}

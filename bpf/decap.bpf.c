// SPDX-License-Identifier: GPL-2.0-only
/*
 * decap.bpf.c - the backend side of direct server return.
 *
 * Strips the outer IPv4 or IPv6 header that xdplb added (IPIP, IPv6-in-IPv6,
 * 4in6, 6in4) when the outer destination is one of this host's decap
 * addresses and the outer source one of the LBs' (decap_srcs), and passes
 * the inner packet, addressed to the VIP, to the stack. A tunnel to us from
 * another source is dropped and counted. Everything else leaves with
 * XDP_PASS, untouched. This kernel, like many production ones, has no
 * tunnel devices; a BPF decap is also faster.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "xdplb_abi.h"
#include "parsing.h"

char LICENSE[] SEC("license") = "GPL";

/* outer destination address -> 1: the addresses decapsulated here */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct xdplb_decap_key);
	__type(value, __u32);
} decap_addrs SEC(".maps");

/* outer source prefix -> 1: the LBs allowed to tunnel to us (xdplb_abi.h) */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, XDPLB_DECAP_MAX_SRCS);
	__type(key, struct xdplb_decap_src_key);
	__type(value, __u32);
} decap_srcs SEC(".maps");

/* enum xdplb_decap_counter -> packets, per CPU */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XDPLB_DECAP_MAX);
	__type(key, __u32);
	__type(value, __u64);
} decap_stats SEC(".maps");

static __always_inline int count(__u32 idx, int act)
{
	__u64 *c = bpf_map_lookup_elem(&decap_stats, &idx);

	if (c)
		*c += 1;
	return act;
}

static __always_inline int is_local(const struct xdplb_decap_key *k)
{
	return bpf_map_lookup_elem(&decap_addrs, k) != NULL;
}

/* Is this outer source (len 4 or 16 bytes) one of the LBs' (decap_srcs)? A
 * tunnel to us from elsewhere is dropped, not passed: a stack with tunnel
 * devices would strip it all the same. */
static __always_inline int from_lb(__u8 family, const void *saddr, __u32 len)
{
	struct xdplb_decap_src_key k = { .family = family };

	k.prefixlen = XDPLB_DECAP_SRC_PLEN(len * 8);
	if (len == 4)
		__builtin_memcpy(&k.addr, saddr, 4);
	else
		__builtin_memcpy(&k.addr, saddr, 16);
	return bpf_map_lookup_elem(&decap_srcs, &k) != NULL;
}

/* Inner header right after the outer one: the version must match the
 * tunnel's protocol and the header must fit. 0, or
 * VERDICT_DROP(XDPLB_DECAP_MALFORMED). */
static __always_inline int inner_ok(void *inner, void *end, __u8 proto)
{
	if (proto == IPPROTO_IPIP) {
		struct iphdr *ih = inner;

		if ((void *)(ih + 1) <= end && ih->version == 4)
			return 0;
	} else {
		struct ipv6hdr *ih6 = inner;

		if ((void *)(ih6 + 1) <= end && ih6->version == 6)
			return 0;
	}
	return VERDICT_DROP(XDPLB_DECAP_MALFORMED);
}

/* Remove olen bytes after the L2 header: move Ethernet (+ tag) forward,
 * point its EtherType at the inner protocol, and advance the frame start.
 * 0, or VERDICT_DROP(XDPLB_DECAP_MALFORMED). */
static __always_inline int strip(struct xdp_md *ctx, __u32 olen, __u32 l2len, __be16 inner_proto)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *src = data, *dst;
	struct vlan_hdr *vh;

	if (l2len == sizeof(struct ethhdr)) {
		if (data + sizeof(struct ethhdr) + olen > end)
			return VERDICT_DROP(XDPLB_DECAP_MALFORMED);
		dst = data + olen;
		__builtin_memmove(dst, src, sizeof(struct ethhdr));
		dst->h_proto = inner_proto;
	} else {
		if (data + sizeof(struct ethhdr) + sizeof(*vh) + olen > end)
			return VERDICT_DROP(XDPLB_DECAP_MALFORMED);
		dst = data + olen;
		__builtin_memmove(dst, src, sizeof(struct ethhdr) + sizeof(*vh));
		vh = (void *)(dst + 1);
		vh->encap_proto = inner_proto;
	}
	if (bpf_xdp_adjust_head(ctx, olen))
		return VERDICT_DROP(XDPLB_DECAP_MALFORMED);
	return 0;
}

/* An IPv4 outer header: the counter of its tunnel kind (>= 0) when it is a
 * tunnel to one of our addresses from an LB, VERDICT_PASS when it is no
 * tunnel to us, a drop when it is one from elsewhere. */
static __always_inline int tunnel_v4(struct cursor *c, __u8 *inner, __u32 *olen)
{
	struct xdplb_decap_key k = { .family = XDPLB_AF_INET };
	struct iphdr *iph;

	if (IS_VERDICT(parse_ip4(c, &iph)))
		return VERDICT_PASS;
	*inner = iph->protocol;
	if (*inner != IPPROTO_IPIP && *inner != IPPROTO_IPV6)
		return VERDICT_PASS;
	k.addr.v4 = iph->daddr;
	/* fragments and options: not what xdplb sends; the stack decides */
	if (iph->ihl != 5 || (iph->frag_off & bpf_htons(IP4_MF | IP4_OFFSET)) || !is_local(&k))
		return VERDICT_PASS;
	if (!from_lb(XDPLB_AF_INET, &iph->saddr, 4))
		return VERDICT_DROP(XDPLB_DECAP_BAD_SOURCE);
	*olen = sizeof(*iph);
	return *inner == IPPROTO_IPIP ? XDPLB_DECAP_V4_IN_V4 : XDPLB_DECAP_V6_IN_V4;
}

static __always_inline int tunnel_v6(struct cursor *c, __u8 *inner, __u32 *olen)
{
	struct xdplb_decap_key k = { .family = XDPLB_AF_INET6 };
	struct ipv6hdr *ip6h;

	if (IS_VERDICT(parse_ip6(c, &ip6h)))
		return VERDICT_PASS;
	*inner = ip6h->nexthdr;
	if (*inner != IPPROTO_IPIP && *inner != IPPROTO_IPV6)
		return VERDICT_PASS;
	__builtin_memcpy(&k.addr, &ip6h->daddr, sizeof(k.addr));
	if (!is_local(&k))
		return VERDICT_PASS;
	if (!from_lb(XDPLB_AF_INET6, &ip6h->saddr, 16))
		return VERDICT_DROP(XDPLB_DECAP_BAD_SOURCE);
	*olen = sizeof(*ip6h);
	return *inner == IPPROTO_IPIP ? XDPLB_DECAP_V4_IN_V6 : XDPLB_DECAP_V6_IN_V6;
}

/* The counter of the tunnel stripped (>= 0), or a verdict. */
static __always_inline int decap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct cursor c = { .pos = data, .end = end };
	struct ethhdr *eth;
	struct vlan_hdr *vh;
	__u32 l2len, olen = 0;
	__u8 inner = 0;
	int proto, kind, ret;

	proto = parse_eth(&c, &eth, &vh);
	if (IS_VERDICT(proto))
		return proto;
	l2len = c.pos - data;
	if (proto == bpf_htons(ETH_P_IP))
		kind = tunnel_v4(&c, &inner, &olen);
	else if (proto == bpf_htons(ETH_P_IPV6))
		kind = tunnel_v6(&c, &inner, &olen);
	else
		return VERDICT_PASS;
	if (IS_VERDICT(kind))
		return kind;
	/* a tunnel to us: from here on a bad packet is dropped, not passed,
	 * so that the stack never sees a half-parsed tunnel packet */
	ret = inner_ok(c.pos, end, inner);
	if (!IS_VERDICT(ret))
		ret = strip(ctx, olen, l2len,
			    inner == IPPROTO_IPIP ? bpf_htons(ETH_P_IP) : bpf_htons(ETH_P_IPV6));
	return IS_VERDICT(ret) ? ret : kind;
}

SEC("xdp")
int xdplb_decap(struct xdp_md *ctx)
{
	int ret = decap(ctx);

	if (ret == VERDICT_PASS)
		return count(XDPLB_DECAP_PASS, XDP_PASS);
	if (IS_VERDICT(ret)) /* the reason is a decap counter */
		return count(VERDICT_REASON(ret), XDP_DROP);
	return count(ret, XDP_PASS);
}

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * icmp.h - the LB's ICMP: the "fragmentation needed" / "packet too big"
 * it sends a client whose VIP packet would not fit once encapsulated, and
 * the reading of an ICMP error to a VIP address that quotes a packet of a
 * VIP flow (so that the error can follow the flow to its backend).
 * docs/datapath.md ("ICMP") has the rules.
 */
#ifndef XDPLB_ICMP_H
#define XDPLB_ICMP_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "csum.h"
#include "encap.h"
#include "parsing.h"
#include "verdict.h"
#include "xdplb_abi.h"

#define ICMP_DEST_UNREACH 3
#define ICMP_FRAG_NEEDED 4 /* code of ICMP_DEST_UNREACH */
#define ICMP_TIME_EXCEEDED 11
#define ICMPV6_DEST_UNREACH 1
#define ICMPV6_PKT_TOOBIG 2
#define ICMPV6_TIME_EXCEED 3
/* IPv4 TOS of the LB's ICMP errors: precedence "internetwork control",
 * as the kernel's own (RFC 1812 4.3.2.5) */
#define XDPLB_ICMP_TOS 0xc0

/* The first 8 bytes of an ICMP or ICMPv6 error; mtu is the low half of
 * the 32-bit field that follows the checksum (IPv4: next-hop MTU, RFC
 * 1191; IPv6: the whole field is the MTU, RFC 4443 3.2). */
struct icmp_err_hdr {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	__be32 rest;
};

/* The sum (unfolded) of len bytes at p, len a constant multiple of 4:
 * bpf_csum_diff() takes at most 512 bytes a call. */
static __always_inline __u32 csum_chunks(void *p, __u32 len, __u32 sum)
{
	__u32 off = 0;

#pragma unroll
	for (int i = 0; i < 3; i++) {
		__u32 n = len - off > 512 ? 512 : len - off;

		if (off < len)
			sum = (__u32)bpf_csum_diff(NULL, 0, p + off, n, sum);
		off += 512;
	}
	return sum;
}

/* Ethernet of an error back to the sender of the frame now at `old`: the
 * MACs swapped, the same VLAN tag (the regions do not overlap). */
static __always_inline void write_l2_back(struct ethhdr *eth, const struct ethhdr *old,
					  const struct pkt *p, __be16 proto)
{
	write_eth(eth, old->h_source, old->h_dest, p, proto);
}

/* Makes room for hl bytes of IP + ICMP header in front of the first
 * quote bytes of the packet p describes (the rest, and any Ethernet
 * padding, cut off). The new frame's start, or NULL. */
static __always_inline void *icmp_room(struct xdp_md *ctx, const struct pkt *p, __u32 l2, __u32 hl,
				       __u32 quote)
{
	if (bpf_xdp_adjust_tail(ctx, (int)(l2 + quote) - (int)p->frame_len))
		return NULL;
	if (bpf_xdp_adjust_head(ctx, -(int)hl))
		return NULL;
	return (void *)(long)ctx->data;
}

/* The IPv4 packet p (DF, too big once encapsulated) becomes an ICMP
 * "fragmentation needed" from the VIP to the client, next-hop MTU mtu,
 * quoting XDPLB_ICMP4_QUOTE bytes of it (576 bytes in all). 0, or a
 * verdict. */
static __always_inline int write_frag_needed(struct xdp_md *ctx, const struct pkt *p, __u16 mtu,
					     __u16 id)
{
	const __u32 hl = sizeof(struct iphdr) + sizeof(struct icmp_err_hdr);
	__u32 l2 = sizeof(struct ethhdr) + (p->vlan_tpid ? sizeof(struct vlan_hdr) : 0);
	struct icmp_err_hdr *ih;
	void *data, *end, *l3;
	struct iphdr *iph;

	if (p->l3_len < XDPLB_ICMP4_QUOTE)
		return VERDICT_DROP(XDPLB_DROP_TOO_BIG); /* mtu >= 576 makes it impossible */
	data = icmp_room(ctx, p, l2, hl, XDPLB_ICMP4_QUOTE);
	if (!data)
		return VERDICT_DROP(XDPLB_DROP_ENCAP);
	end = (void *)(long)ctx->data_end;
	l3 = data + l2;
	if (l3 + hl + XDPLB_ICMP4_QUOTE > end)
		return VERDICT_DROP(XDPLB_DROP_ENCAP);
	iph = l3;
	ih = l3 + sizeof(*iph);
	/* the old Ethernet header is now hl bytes on: read before written */
	write_l2_back(data, data + hl, p, bpf_htons(ETH_P_IP));
	*(__u8 *)iph = 0x45;
	iph->tos = XDPLB_ICMP_TOS;
	iph->tot_len = bpf_htons(hl + XDPLB_ICMP4_QUOTE);
	iph->id = bpf_htons(id);
	iph->frag_off = 0;
	iph->ttl = XDPLB_ECHO_TTL;
	iph->protocol = IPPROTO_ICMP;
	iph->check = 0;
	iph->saddr = p->flow.dst.v4;
	iph->daddr = p->flow.src.v4;
	iph->check = ip4_hdr_csum(iph);
	ih->type = ICMP_DEST_UNREACH;
	ih->code = ICMP_FRAG_NEEDED;
	ih->checksum = 0;
	ih->rest = bpf_htonl(mtu);
	ih->checksum = csum_fold32(csum_chunks(ih, sizeof(*ih) + XDPLB_ICMP4_QUOTE, 0));
	return 0;
}

/* The ICMPv6 pseudo-header (RFC 8200 8.1). */
struct ip6_pseudo {
	struct in6_addr saddr;
	struct in6_addr daddr;
	__be32 len;
	__be32 nexthdr;
};

/* The IPv6 packet p (too big once encapsulated) becomes an ICMPv6 "packet
 * too big" from the VIP to the client, MTU mtu, quoting its first quote
 * bytes (a constant). 0, or a verdict. */
static __always_inline int write_pkt_too_big(struct xdp_md *ctx, const struct pkt *p, __u32 mtu,
					     const __u32 quote)
{
	const __u32 hl = sizeof(struct ipv6hdr) + sizeof(struct icmp_err_hdr);
	__u32 l2 = sizeof(struct ethhdr) + (p->vlan_tpid ? sizeof(struct vlan_hdr) : 0);
	struct icmp_err_hdr *ih;
	struct ip6_pseudo ph;
	struct ipv6hdr *ip6h;
	void *data, *end, *l3;

	data = icmp_room(ctx, p, l2, hl, quote);
	if (!data)
		return VERDICT_DROP(XDPLB_DROP_ENCAP);
	end = (void *)(long)ctx->data_end;
	l3 = data + l2;
	if (l3 + hl + quote > end)
		return VERDICT_DROP(XDPLB_DROP_ENCAP);
	ip6h = l3;
	ih = l3 + sizeof(*ip6h);
	write_l2_back(data, data + hl, p, bpf_htons(ETH_P_IPV6));
	*(__be32 *)ip6h = bpf_htonl(6u << 28); /* class 0, no flow label */
	ip6h->payload_len = bpf_htons(sizeof(*ih) + quote);
	ip6h->nexthdr = IPPROTO_ICMPV6;
	ip6h->hop_limit = XDPLB_ECHO_TTL;
	__builtin_memcpy(&ip6h->saddr, &p->flow.dst, sizeof(ip6h->saddr));
	__builtin_memcpy(&ip6h->daddr, &p->flow.src, sizeof(ip6h->daddr));
	ih->type = ICMPV6_PKT_TOOBIG;
	ih->code = 0;
	ih->checksum = 0;
	ih->rest = bpf_htonl(mtu);
	__builtin_memcpy(&ph.saddr, &p->flow.dst, sizeof(ph.saddr));
	__builtin_memcpy(&ph.daddr, &p->flow.src, sizeof(ph.daddr));
	ph.len = bpf_htonl(sizeof(*ih) + quote);
	ph.nexthdr = bpf_htonl(IPPROTO_ICMPV6);
	ih->checksum = csum_fold32(csum_chunks(ih, sizeof(*ih) + quote,
					       bpf_csum_diff(NULL, 0, (void *)&ph, sizeof(ph), 0)));
	return 0;
}

static __always_inline int in6_eq(const struct in6_addr *a, const struct in6_addr *b)
{
	return !((a->in6_u.u6_addr32[0] ^ b->in6_u.u6_addr32[0]) |
		 (a->in6_u.u6_addr32[1] ^ b->in6_u.u6_addr32[1]) |
		 (a->in6_u.u6_addr32[2] ^ b->in6_u.u6_addr32[2]) |
		 (a->in6_u.u6_addr32[3] ^ b->in6_u.u6_addr32[3]));
}

/* Is this ICMP (4: IPv4, else ICMPv6) type an error that quotes a packet
 * the VIP sent, and that its sender's stack acts on? */
static __always_inline int icmp_is_error(int v4, __u8 type)
{
	if (v4)
		return type == ICMP_DEST_UNREACH || type == ICMP_TIME_EXCEEDED;
	return type == ICMPV6_DEST_UNREACH || type == ICMPV6_PKT_TOOBIG ||
	       type == ICMPV6_TIME_EXCEED;
}

/* The ICMP error p (to a VIP address; IPv4 without options, not a
 * fragment) when it quotes a TCP or UDP packet sent from that address: q
 * becomes the packet a client of that flow sends (the quoted addresses
 * and ports reversed), with the length, TOS and DF of the error itself,
 * which is what gets encapsulated. 0, or VERDICT_PASS. */
static __always_inline int icmp_quoted_flow(struct xdp_md *ctx, const struct pkt *p, struct pkt *q)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	void *l3 = data + sizeof(struct ethhdr) + (p->vlan_tpid ? sizeof(struct vlan_hdr) : 0);
	struct icmp_err_hdr *ih;
	__be16 *ports;

	*q = *p;
	q->icmp = 1;
	q->syn = 0;
	if (p->flow.family == XDPLB_AF_INET) {
		struct iphdr *iph = l3, *in;
		__u32 tot;

		ih = l3 + sizeof(*iph);
		in = (void *)(ih + 1);
		ports = (void *)(in + 1);
		if ((void *)(ports + 2) > end || *(__u8 *)iph != 0x45 ||
		    (iph->frag_off & bpf_htons(IP4_MF | IP4_OFFSET)))
			return VERDICT_PASS;
		tot = bpf_ntohs(iph->tot_len);
		if (tot < (void *)(ports + 2) - l3 || l3 + tot > end)
			return VERDICT_PASS;
		if (!icmp_is_error(1, ih->type) || *(__u8 *)in != 0x45 ||
		    (in->frag_off & bpf_htons(IP4_OFFSET)) ||
		    (in->protocol != IPPROTO_TCP && in->protocol != IPPROTO_UDP) ||
		    in->saddr != iph->daddr)
			return VERDICT_PASS;
		addr_set_v4(&q->flow.src, in->daddr);
		addr_set_v4(&q->flow.dst, in->saddr);
		q->flow.proto = in->protocol;
		q->l3_len = tot;
		q->tos = iph->tos;
		q->df = !!(iph->frag_off & bpf_htons(IP4_DF));
	} else {
		struct ipv6hdr *ip6h = l3, *in;
		__u32 plen;

		ih = l3 + sizeof(*ip6h);
		in = (void *)(ih + 1);
		ports = (void *)(in + 1);
		if ((void *)(ports + 2) > end || ip6h->version != 6)
			return VERDICT_PASS;
		plen = bpf_ntohs(ip6h->payload_len);
		if (plen < (void *)(ports + 2) - (void *)ih || (void *)ih + plen > end)
			return VERDICT_PASS;
		if (!icmp_is_error(0, ih->type) || in->version != 6 ||
		    (in->nexthdr != IPPROTO_TCP && in->nexthdr != IPPROTO_UDP) ||
		    !in6_eq(&in->saddr, &ip6h->daddr))
			return VERDICT_PASS;
		addr_set_v6(&q->flow.src, &in->daddr);
		addr_set_v6(&q->flow.dst, &in->saddr);
		q->flow.proto = in->nexthdr;
		q->l3_len = sizeof(*ip6h) + plen;
		q->tos = ip6_tclass(ip6h);
		q->df = 1;
	}
	q->flow.sport = ports[1];
	q->flow.dport = ports[0];
	return 0;
}

#endif /* XDPLB_ICMP_H */

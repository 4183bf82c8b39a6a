/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * encap.h - the LB's encapsulation: Ethernet (with the packet's own VLAN
 * tag) and an outer IPv4 or IPv6 header to the backend, in front of the
 * packet as received (IPIP, IPv6-in-IPv6, 4in6, 6in4). docs/datapath.md
 * has the field-by-field rules.
 */
#ifndef XDPLB_ENCAP_H
#define XDPLB_ENCAP_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "csum.h"
#include "parsing.h"
#include "verdict.h"
#include "xdplb_abi.h"
#include "xdplb_hash.h"

/* Ethernet from src to dst with the packet's own VLAN tag (if any), then
 * proto. */
static __always_inline void write_eth(struct ethhdr *eth, const __u8 *dst, const __u8 *src,
				      const struct pkt *p, __be16 proto)
{
	mac_copy(eth->h_dest, dst);
	mac_copy(eth->h_source, src);
	if (p->vlan_tpid) {
		struct vlan_hdr *vh = (void *)(eth + 1);

		eth_set_proto(eth, p->vlan_tpid);
		vh->tci = p->vlan_tci;
		vh->encap_proto = proto;
	} else {
		eth_set_proto(eth, proto);
	}
}

/* Ethernet of an encapsulated frame: from this interface to the next hop. */
static __always_inline void write_l2(struct ethhdr *eth, const struct pkt *p,
				     const struct xdplb_global_cfg *g, __be16 proto)
{
	write_eth(eth, g->nh_mac, g->if_mac, p, proto);
}

/* id: the outer IPv4 ID when the inner packet has no DF (RFC 2003: DF
 * comes from the inner header; RFC 6864: without it the ID must vary).
 * Every 16-bit word is made in a register, stored, and summed for the
 * checksum from the same register: read back from the packet, a word
 * written a byte at a time waits for those stores to drain (store
 * forwarding fails), which cost a conntrack hit ~10% of its time. A
 * 16-bit word's sum does not depend on the byte order it is taken in
 * (RFC 1071), so each is summed as a 16-bit load of it would read it. */
static __always_inline void write_outer_v4(struct iphdr *o, const struct pkt *p,
					   const struct xdplb_backend *be,
					   const struct xdplb_global_cfg *g, __u32 hash, __u16 id)
{
	__u16 vt = bpf_htons(0x4500 | p->tos); /* version 4, ihl 5, tos */
	__u16 len = bpf_htons(p->l3_len + sizeof(*o));
	__u16 idv = p->df ? 0 : bpf_htons(id);
	__u16 frag = p->df ? bpf_htons(IP4_DF) : 0;
	__u16 tp = bpf_htons(XDPLB_ENCAP_TTL << 8 |
			     (p->flow.family == XDPLB_AF_INET ? IPPROTO_IPIP : IPPROTO_IPV6));
	__be32 sa = g->src_v4 | (hash & g->src_v4_hostmask), da = be->addr.v4;

	*(__u16 *)o = vt;
	o->tot_len = len;
	o->id = idv;
	o->frag_off = frag;
	*(__u16 *)&o->ttl = tp; /* ttl, protocol */
	o->saddr = sa;
	o->daddr = da;
	o->check = ip4_csum_words((__u32)vt + len + idv + frag + tp, sa, da);
}

static __always_inline void write_outer_v6(struct ipv6hdr *o, const struct pkt *p,
					   const struct xdplb_backend *be,
					   const struct xdplb_global_cfg *g, __u32 hash)
{
	/* version, traffic class from the inner header, flow label from the
	 * flow hash so that ECMP and RSS on the way spread flows */
	__u32 nh = p->flow.family == XDPLB_AF_INET ? IPPROTO_IPIP : IPPROTO_IPV6;
	__be32 *w = (__be32 *)o;

	w[0] = bpf_htonl(6u << 28 | (__u32)p->tos << 20 | (hash & 0xfffff));
	/* payload length, next header and hop limit: one word */
	w[1] = bpf_htonl(p->l3_len << 16 | nh << 8 | XDPLB_ENCAP_TTL);
	/* the source's host bits OR-ed in a register: OR-ed in the packet,
	 * the word is stored, loaded back and stored again */
	w[2] = g->src_v6.v6[0];
	w[3] = g->src_v6.v6[1];
	w[4] = g->src_v6.v6[2];
	w[5] = g->src_v6.v6[3] | (hash & g->src_v6_hostmask);
	__builtin_memcpy(&o->daddr, &be->addr, sizeof(o->daddr));
}

/* Bytes of outer IP header to a backend. */
static __always_inline __u32 encap_outer_len(const struct xdplb_backend *be)
{
	return be->family == XDPLB_AF_INET ? XDPLB_IPV4_HDR_LEN : XDPLB_IPV6_HDR_LEN;
}

/* The hash write_outer_v4/v6 take, to vary an IPv6 flow label or the
 * host bits of an outer source per flow: the flow's conntrack tag
 * (xdplb_flow_tag() with ctl.ct_key), which the LB computes for its
 * lookup anyway, mixed (xdplb_flow_mix()); the health-check tunnel
 * computes the same. */
static __always_inline __u32 encap_hash(const struct pkt *p,
					const __u64 ct_key[2][XDPLB_CT_TAG_KEYS])
{
	return xdplb_flow_mix(xdplb_flow_tag(&p->flow, ct_key));
}

/* Prepends Ethernet (+ the same VLAN tag) and the outer IP header to the
 * packet p describes, without what follows it in the frame (Ethernet
 * padding); hash from encap_hash(), id for write_outer_v4(). 0, or
 * VERDICT_DROP(TOO_BIG or ENCAP). */
static __always_inline int encap(struct xdp_md *ctx, const struct pkt *p,
				 const struct xdplb_backend *be, const struct xdplb_global_cfg *g,
				 __u32 hash, __u16 id)
{
	__u32 olen = encap_outer_len(be);
	void *data, *end, *outer;
	struct ethhdr *eth;

	__u32 l2 = sizeof(*eth) + (p->vlan_tpid ? sizeof(struct vlan_hdr) : 0);

	if (p->l3_len + olen > g->mtu)
		return VERDICT_DROP(XDPLB_DROP_TOO_BIG);
	/* Ethernet padding (or anything else after the IP packet) is not
	 * sent: the frame that leaves is L2 + outer + IP length, never
	 * longer than mtu + L2 (a 60-byte minimum frame grows past padding
	 * anyway); one compare for every frame that has none */
	if (p->frame_len > l2 + p->l3_len &&
	    bpf_xdp_adjust_tail(ctx, (int)(l2 + p->l3_len) - (int)p->frame_len))
		return VERDICT_DROP(XDPLB_DROP_ENCAP);
	if (bpf_xdp_adjust_head(ctx, -(int)olen))
		return VERDICT_DROP(XDPLB_DROP_ENCAP);
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	eth = data;
	if ((void *)(eth + 1) + sizeof(struct vlan_hdr) > end)
		return VERDICT_DROP(XDPLB_DROP_ENCAP);
	outer = (void *)(eth + 1) + (p->vlan_tpid ? sizeof(struct vlan_hdr) : 0);
	if (be->family == XDPLB_AF_INET) {
		if (outer + sizeof(struct iphdr) > end)
			return VERDICT_DROP(XDPLB_DROP_ENCAP);
		write_l2(eth, p, g, bpf_htons(ETH_P_IP));
		write_outer_v4(outer, p, be, g, hash, id);
	} else {
		if (outer + sizeof(struct ipv6hdr) > end)
			return VERDICT_DROP(XDPLB_DROP_ENCAP);
		write_l2(eth, p, g, bpf_htons(ETH_P_IPV6));
		write_outer_v6(outer, p, be, g, hash);
	}
	return 0;
}

#endif /* XDPLB_ENCAP_H */

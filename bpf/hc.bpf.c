// SPDX-License-Identifier: GPL-2.0-only
/*
 * hc.bpf.c - health checks through the tunnel: tc egress on the LB's
 * interface.
 *
 * A health checker on the LB host connects to VIP:port with SO_MARK =
 * xdplb_hc_mark(backend id). This program wraps each packet of that socket
 * in the outer header the XDP program would give a client packet to that
 * backend (encap.h: same TTL, DF, TOS, source, flow label, next-hop MAC),
 * so the probe is accepted only by a backend whose decap program runs and
 * whose lo carries the VIP. Packets without the tag leave untouched
 * (except this host's RSTs to a VIP address: stray_rst()). A
 * tagged packet that cannot be encapsulated is dropped, never passed: the
 * router would hand a VIP-addressed probe back to the LB, whose Maglev
 * table would pick some healthy backend, and the check would pass for a
 * backend it never reached. docs/hc-tunnel.md has the rest.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "xdplb_abi.h"
#include "encap.h"
#include "parsing.h"
#include "verdict.h"

char LICENSE[] SEC("license") = "GPL";

/* The LB's own maps, declared as in xdplb.bpf.c. The loader always points
 * them at the LB's pins (bpf_map__reuse_fd), so there is one backend list. */

/* backend id -> address, owner VIP, cookie, per-bank state and weight */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XDPLB_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct xdplb_backend);
} backends SEC(".maps");

/* (VIP address, port, proto) -> per-bank VIP config; (address, 0, 0) is
 * the address sentinel */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4 * XDPLB_MAX_VIPS);
	__type(key, struct xdplb_vip_key);
	__type(value, struct xdplb_vip_val);
} vips SEC(".maps");

/* [0] -> active bank and the global settings of both banks */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xdplb_ctl);
} ctl SEC(".maps");

/* enum xdplb_hc_counter -> packets, per CPU */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XDPLB_HC_MAX);
	__type(key, __u32);
	__type(value, __u64);
} hc_stats SEC(".maps");

static __always_inline int count(__u32 idx, int act)
{
	__u64 *c = bpf_map_lookup_elem(&hc_stats, &idx);

	if (c)
		*c += 1;
	return act;
}

/* The TCP/UDP ports of a packet that is not a later fragment, into the
 * flow key: the same 5-tuple the XDP program would hash. Other packets
 * keep ports 0. */
static __always_inline void probe_ports(struct __sk_buff *skb, struct pkt *p, __u32 l4off)
{
	__be16 ports[2];

	if (p->flow.proto != IPPROTO_TCP && p->flow.proto != IPPROTO_UDP)
		return;
	if (bpf_skb_load_bytes(skb, l4off, ports, sizeof(ports)))
		return;
	p->flow.sport = ports[0];
	p->flow.dport = ports[1];
}

static __always_inline int probe_v4(struct __sk_buff *skb, struct pkt *p)
{
	struct iphdr ih;

	if (bpf_skb_load_bytes(skb, sizeof(struct ethhdr), &ih, sizeof(ih)) || ih.version != 4 ||
	    ih.ihl < 5)
		return VERDICT_DROP(XDPLB_HC_ERROR);
	p->flow.family = XDPLB_AF_INET;
	p->flow.src.v4 = ih.saddr;
	p->flow.dst.v4 = ih.daddr;
	p->flow.proto = ih.protocol;
	p->l3_len = bpf_ntohs(ih.tot_len);
	p->tos = ih.tos;
	p->df = !!(ih.frag_off & bpf_htons(IP4_DF));
	if (!(ih.frag_off & bpf_htons(IP4_OFFSET)))
		probe_ports(skb, p, sizeof(struct ethhdr) + ih.ihl * 4);
	return 0;
}

static __always_inline int probe_v6(struct __sk_buff *skb, struct pkt *p)
{
	struct ipv6hdr ih;

	if (bpf_skb_load_bytes(skb, sizeof(struct ethhdr), &ih, sizeof(ih)) || ih.version != 6)
		return VERDICT_DROP(XDPLB_HC_ERROR);
	p->flow.family = XDPLB_AF_INET6;
	__builtin_memcpy(&p->flow.src, &ih.saddr, sizeof(p->flow.src));
	__builtin_memcpy(&p->flow.dst, &ih.daddr, sizeof(p->flow.dst));
	p->flow.proto = ih.nexthdr;
	p->l3_len = sizeof(ih) + bpf_ntohs(ih.payload_len);
	p->tos = ip6_tclass(&ih);
	p->df = 1;
	probe_ports(skb, p, sizeof(struct ethhdr) + sizeof(ih));
	return 0;
}

/* What the outer header needs to know of the probe: family, length, TOS,
 * DF, and the 5-tuple for the flow hash. Plain Ethernet only: at tc egress
 * a VLAN tag normally sits in the skb's metadata, where it stays; an
 * in-band tag makes skb->protocol 802.1Q, which bpf_skb_adjust_room
 * refuses anyway. 0, or VERDICT_DROP(XDPLB_HC_ERROR). */
static __always_inline int probe_parse(struct __sk_buff *skb, struct pkt *p)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > end || eth->h_proto != skb->protocol)
		return VERDICT_DROP(XDPLB_HC_ERROR);
	if (skb->protocol == bpf_htons(ETH_P_IP))
		return probe_v4(skb, p);
	if (skb->protocol == bpf_htons(ETH_P_IPV6))
		return probe_v6(skb, p);
	return VERDICT_DROP(XDPLB_HC_ERROR);
}

/* Makes room after Ethernet and writes the headers encap.h writes for the
 * XDP program. The kernel keeps the inner packet's offloads valid: a
 * CHECKSUM_PARTIAL inner checksum stays partial (csum_start follows the
 * inner header), and ENCAP_L3 marks the skb encapsulated (inner headers,
 * SKB_GSO_IPXIP4/6) so that GSO segments the inner TCP stream and fixes the
 * outer header of every segment. Without BPF_F_ADJ_ROOM_FIXED_GSO the
 * kernel shrinks gso_size by olen: each segment stays the size the stack
 * chose, within the MTU. UDP GSO needs FIXED_GSO and is refused (ERROR).
 * 0, or VERDICT_DROP(XDPLB_HC_ERROR). */
static __always_inline int probe_encap(struct __sk_buff *skb, const struct pkt *p,
				       const struct xdplb_backend *be,
				       const struct xdplb_global_cfg *g,
				       const __u64 ct_key[2][XDPLB_CT_TAG_KEYS])
{
	__u32 olen = encap_outer_len(be);
	__u32 hash = encap_hash(p, ct_key);
	__u64 flags = be->family == XDPLB_AF_INET ? BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 :
						    BPF_F_ADJ_ROOM_ENCAP_L3_IPV6;
	void *data, *end, *outer;
	struct ethhdr *eth;

	if (bpf_skb_adjust_room(skb, olen, BPF_ADJ_ROOM_MAC, flags))
		return VERDICT_DROP(XDPLB_HC_ERROR);
	data = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;
	eth = data;
	outer = eth + 1;
	if (be->family == XDPLB_AF_INET) {
		if (outer + sizeof(struct iphdr) > end)
			return VERDICT_DROP(XDPLB_HC_ERROR);
		write_l2(eth, p, g, bpf_htons(ETH_P_IP));
		/* probes are few: a random ID is cheap enough here */
		write_outer_v4(outer, p, be, g, hash, (__u16)bpf_get_prandom_u32());
	} else {
		if (outer + sizeof(struct ipv6hdr) > end)
			return VERDICT_DROP(XDPLB_HC_ERROR);
		write_l2(eth, p, g, bpf_htons(ETH_P_IPV6));
		write_outer_v6(outer, p, be, g, hash);
	}
	return 0;
}

/*
 * A probe's socket is closed with a RST (probe.c); a packet of the backend
 * that arrives after that (its FIN, a late SYN-ACK of a check that timed
 * out) finds no socket, and this host's stack answers with a RST that
 * carries no mark: it would go to the router, come back to the XDP
 * program as a packet for the VIP, and reach whichever backend Maglev
 * picks, counted as a new flow. Such a RST from this host to a VIP
 * address is dropped: 1, or 0 for anything else (passed untouched).
 */
static __always_inline int stray_rst(struct __sk_buff *skb, const struct xdplb_ctl *c)
{
	struct xdplb_vip_key k = {};
	struct xdplb_vip_val *v;
	__u32 l4off = sizeof(struct ethhdr);
	__u8 flags;

	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		struct iphdr ih;

		if (bpf_skb_load_bytes(skb, l4off, &ih, sizeof(ih)) || ih.protocol != IPPROTO_TCP ||
		    (ih.frag_off & bpf_htons(IP4_OFFSET)))
			return 0;
		k.family = XDPLB_AF_INET;
		k.addr.v4 = ih.daddr;
		l4off += ih.ihl * 4;
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr ih;

		if (bpf_skb_load_bytes(skb, l4off, &ih, sizeof(ih)) || ih.nexthdr != IPPROTO_TCP)
			return 0;
		k.family = XDPLB_AF_INET6;
		__builtin_memcpy(&k.addr, &ih.daddr, sizeof(k.addr));
		l4off += sizeof(ih);
	} else {
		return 0;
	}
	/* byte 13 of the TCP header: the flags */
	if (bpf_skb_load_bytes(skb, l4off + 13, &flags, 1) || !(flags & 0x04))
		return 0;
	v = bpf_map_lookup_elem(&vips, &k);
	return v && (v->bank[xdplb_active_bank(c)].flags & XDPLB_VIP_F_PRESENT);
}

/* XDPLB_HC_ENCAP, or a verdict: VERDICT_PASS for a packet without the
 * tag, VERDICT_DROP(enum xdplb_hc_counter) for a tagged one that cannot
 * go to its backend. */
static __always_inline int hc(struct __sk_buff *skb)
{
	__u32 mark = skb->mark, id = mark & XDPLB_HC_MARK_ID_MASK, zero = 0, bank;
	const struct xdplb_global_cfg *g;
	const struct xdplb_backend *be;
	const struct xdplb_ctl *c;
	struct pkt p = {};
	int ret;

	c = bpf_map_lookup_elem(&ctl, &zero);
	if ((mark & XDPLB_HC_MARK_TAG_MASK) != XDPLB_HC_MARK_TAG)
		return c && stray_rst(skb, c) ? VERDICT_DROP(XDPLB_HC_STRAY_RST) : VERDICT_PASS;
	be = bpf_map_lookup_elem(&backends, &id);
	if (!c || !be)
		return VERDICT_DROP(XDPLB_HC_NO_BACKEND);
	bank = xdplb_active_bank(c);
	/* a down or draining backend is probed too: that is how it comes back */
	if (be->state[bank] == XDPLB_BE_NONE ||
	    (be->family != XDPLB_AF_INET && be->family != XDPLB_AF_INET6))
		return VERDICT_DROP(XDPLB_HC_NO_BACKEND);
	g = &c->bank[bank];
	ret = probe_parse(skb, &p);
	if (IS_VERDICT(ret))
		return ret;
	/* the XDP program's rule; a GSO packet is cut into segments that fit */
	if (!skb->gso_size && p.l3_len + encap_outer_len(be) > g->mtu)
		return VERDICT_DROP(XDPLB_HC_TOO_BIG);
	ret = probe_encap(skb, &p, be, g, c->ct_key);
	return IS_VERDICT(ret) ? ret : XDPLB_HC_ENCAP;
}

/* TC_ACT_UNSPEC (tcx: TCX_NEXT) rather than TC_ACT_OK for what goes on, so
 * that a program attached after this one still sees every packet. */
SEC("tc")
int xdplb_hc(struct __sk_buff *skb)
{
	int ret = hc(skb);

	if (ret == VERDICT_PASS)
		return count(XDPLB_HC_PASS, TC_ACT_UNSPEC);
	if (IS_VERDICT(ret)) /* the reason is an hc counter */
		return count(VERDICT_REASON(ret), TC_ACT_SHOT);
	return count(ret, TC_ACT_UNSPEC);
}

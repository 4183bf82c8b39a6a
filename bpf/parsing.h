/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * parsing.h - packet parsing helpers for XDP.
 *
 * A cursor walks the frame; every read is preceded by a bounds check against
 * data_end, so the verifier can see it. Parsers follow verdict.h: they
 * return the next protocol (>= 0), or VERDICT_PASS when the header does not
 * fit (a frame too short to be for us is the stack's business).
 */
#ifndef XDPLB_PARSING_H
#define XDPLB_PARSING_H

#include <linux/types.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>

#include "verdict.h"
#include "xdplb_abi.h"

#ifndef ETH_P_8021Q
#define ETH_P_8021Q 0x8100
#endif
#ifndef ETH_P_8021AD
#define ETH_P_8021AD 0x88A8
#endif

struct cursor {
	void *pos;
	void *end;
};

struct vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

/* What the LB's parser learnt about a packet; the encapsulation's input.
 * 8-aligned: its addresses are written and read as 8-byte words
 * (addr_set_v4(), addr_set_v6(), vip_key_set()), and the verifier wants
 * every stack access aligned to its size. */
struct __attribute__((aligned(8))) pkt {
	struct xdplb_flow_key flow;
	__u32 frame_len; /* bytes as received */
	__u32 l3_len; /* IP total length: what gets encapsulated */
	__be16 vlan_tpid; /* 0 when untagged */
	__be16 vlan_tci;
	__u8 tos; /* DSCP + ECN of the inner header, copied outward */
	__u8 syn; /* TCP SYN without ACK: a new connection */
	__u8 df; /* IPv4 DF of the inner header (IPv6 inner: 1) */
	/* an ICMP error about the flow, not a packet of it: it reads
	 * conntrack and writes nothing there, and is never answered with
	 * an ICMP error itself */
	__u8 icmp;
};

/* An IPv4 address into a zeroed struct xdplb_addr, as one 8-byte store.
 * Map keys copy addresses 8 bytes at a time, and an 8-byte load that
 * spans a 4-byte store cannot be forwarded from it: the load waits for
 * the store to commit (x86), which was a quarter of a dropped packet's
 * cost (reject()'s key). */
static __always_inline void addr_set_v4(struct xdplb_addr *a, __be32 v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	*(__u64 *)a->b = (__u64)v;
#else
	*(__u64 *)a->b = (__u64)v << 32;
#endif
}

/* An IPv6 address from a header into a struct xdplb_addr as two 8-byte
 * words: a memcpy of the 4-aligned header field takes four 4-byte loads,
 * two shifts and two ors (the verifier lets a packet load be unaligned
 * where the architecture handles it: x86-64, arm64). */
static __always_inline void addr_set_v6(struct xdplb_addr *a, const struct in6_addr *v)
{
	const __u64 *s = (const __u64 *)v;
	__u64 *d = (__u64 *)a->b;

	d[0] = s[0];
	d[1] = s[1];
}

/* An ICMP or ICMPv6 echo request or reply (RFC 792, RFC 4443 4.1);
 * linux/icmp.h pulls in libc headers that BPF cannot take */
struct echo_hdr {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	__be16 id;
	__be16 seq;
};

#define ICMP_ECHOREPLY 0
#define ICMP_ECHO 8
#define ICMPV6_ECHO_REQUEST 128
#define ICMPV6_ECHO_REPLY 129

/* IPv4 flags/fragment offset field */
#define IP4_MF 0x2000
#define IP4_DF 0x4000
/* TCP flags in the header's 14th byte */
#define TCP_FLAG_SYN_B 0x02
#define TCP_FLAG_ACK_B 0x10
#define IP4_OFFSET 0x1fff

/* The EtherType as one 16-bit access. struct ethhdr is packed, and clang
 * reads a packed field a byte at a time (two loads, a shift and an or)
 * and writes it with two stores. */
static __always_inline __be16 eth_proto(const struct ethhdr *e)
{
	return *(const __be16 *)((const __u8 *)e + __builtin_offsetof(struct ethhdr, h_proto));
}

static __always_inline void eth_set_proto(struct ethhdr *e, __be16 proto)
{
	*(__be16 *)((__u8 *)e + __builtin_offsetof(struct ethhdr, h_proto)) = proto;
}

/* A MAC address as a 4-byte and a 2-byte word: a byte-wise copy (the
 * packed struct's) costs twelve loads and stores. */
static __always_inline void mac_copy(__u8 *to, const __u8 *from)
{
	*(__u32 *)to = *(const __u32 *)from;
	*(__u16 *)(to + 4) = *(const __u16 *)(from + 4);
}

/* Destination and source MAC swapped, in registers. */
static __always_inline void mac_swap(struct ethhdr *e)
{
	__u32 d = *(const __u32 *)e->h_dest;
	__u16 d4 = *(const __u16 *)(e->h_dest + 4);

	mac_copy(e->h_dest, e->h_source);
	*(__u32 *)e->h_source = d;
	*(__u16 *)(e->h_source + 4) = d4;
}

/* Ethernet and at most one 802.1Q/802.1ad tag. Returns the EtherType of the
 * payload (network order) and sets *vlan to the tag, or VERDICT_PASS. */
static __always_inline int parse_eth(struct cursor *c, struct ethhdr **eth, struct vlan_hdr **vlan)
{
	struct ethhdr *e = c->pos;
	__be16 proto;

	*eth = e;
	*vlan = NULL;
	if ((void *)(e + 1) > c->end)
		return VERDICT_PASS;
	c->pos = e + 1;
	proto = eth_proto(e);
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
		struct vlan_hdr *v = c->pos;

		if ((void *)(v + 1) > c->end)
			return VERDICT_PASS;
		c->pos = v + 1;
		*vlan = v;
		proto = v->encap_proto;
	}
	return proto;
}

/* The fixed 20-byte IPv4 header; options are the caller's business. */
static __always_inline int parse_ip4(struct cursor *c, struct iphdr **iph)
{
	struct iphdr *h = c->pos;

	if ((void *)(h + 1) > c->end)
		return VERDICT_PASS;
	*iph = h;
	c->pos = h + 1;
	return h->protocol;
}

static __always_inline int parse_ip6(struct cursor *c, struct ipv6hdr **ip6h)
{
	struct ipv6hdr *h = c->pos;

	if ((void *)(h + 1) > c->end)
		return VERDICT_PASS;
	*ip6h = h;
	c->pos = h + 1;
	return h->nexthdr;
}

/* IPv6 extension headers and other next headers xdplb does not walk. */
static __always_inline int ip6_is_exthdr(__u8 nh)
{
	switch (nh) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_FRAGMENT:
	case IPPROTO_DSTOPTS:
	case IPPROTO_AH:
	case IPPROTO_ESP:
	case 135: /* mobility */
	case 139: /* HIP */
	case 140: /* shim6 */
	case 253: /* experimental */
	case 254:
		return 1;
	}
	return 0;
}

/* Traffic class of an IPv6 header: DSCP and ECN. */
static __always_inline __u8 ip6_tclass(const struct ipv6hdr *h)
{
	return (h->priority << 4) | (h->flow_lbl[0] >> 4);
}

#endif /* XDPLB_PARSING_H */

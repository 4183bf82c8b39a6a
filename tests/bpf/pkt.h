/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * pkt.h - crafted frames for the BPF tests, and the frames xdplb should
 * make of them. Written from the RFCs, not from the BPF code, so that the
 * tests do not share the program's mistakes.
 */
#ifndef XDPLB_TEST_PKT_H
#define XDPLB_TEST_PKT_H

#include <stddef.h>
#include <linux/types.h>

#include "xdplb_abi.h"

#define PKT_MAX 2048
#define TCPF_SYN 0x02
#define TCPF_ACK 0x10
#define TCPF_PSH 0x08
#define TCPF_RST 0x04

/* The LB's own MAC (frames arrive to it) and the sender's. */
extern const __u8 LB_MAC[6], ROUTER_MAC[6], NEXT_HOP_MAC[6];

struct pkt_spec {
	int family; /* 4 or 6 */
	const char *src, *dst;
	__u16 sport, dport;
	__u8 proto; /* IPPROTO_TCP, _UDP, _ICMP, _ICMPV6, ... */
	__u8 tcp_flags;
	__u8 tos; /* IPv4 TOS or IPv6 traffic class */
	__u16 vlan_tpid; /* 0: untagged; 0x8100 or 0x88a8 */
	__u16 vlan_tci;
	__u16 payload; /* L4 payload bytes */
	__u16 frag; /* IPv4 flags + fragment offset field, host order */
	__u8 v4_opt_words; /* 32-bit words of IPv4 options (NOPs) */
	__u8 v6_ext; /* with has_v6_ext: an 8-byte extension header of this type before L4 */
	__u8 has_v6_ext;
	__u16 ethertype; /* override (e.g. ARP); 0: from family */
	__u16 pad_to; /* Ethernet padding up to this frame length */
	/* ICMP / ICMPv6: with has_icmp_type this type and code, else an
	 * echo request; identifier = sport, sequence = dport, checksum
	 * computed (ICMPv6: with the pseudo-header) */
	__u8 icmp_type, icmp_code, has_icmp_type;
};

/* Builds the frame; returns its length. */
size_t pkt_build(const struct pkt_spec *s, __u8 *buf);

/* RFC 1071 sum of an ICMPv6 message with its pseudo-header (RFC 8200
 * 8.1), folded and complemented: 0 when its checksum is right. The
 * message is the IPv6 packet at ip6's payload (payload length bytes). */
__u16 pkt_icmp6_csum(const __u8 *ip6);

/* What an encapsulated frame should look like. */
struct encap_want {
	int backend_family; /* 4 or 6 */
	struct xdplb_addr backend;
	struct xdplb_addr src; /* outer source */
	__u32 flow_hash; /* for the IPv6 flow label */
};

/* The expected frame of `in` encapsulated; returns its length. Ethernet
 * padding after the IP packet is not sent (docs/datapath.md). For an
 * IPv4 outer header without DF, the ID is taken from `actual` (it is
 * random by design) and the checksum computed with it. */
size_t pkt_expect_encap(const __u8 *in, size_t in_len, const struct encap_want *w,
			const __u8 *actual, __u8 *out);

/* RFC 1071 checksum of len bytes (folded, complemented). */
__u16 csum(const void *data, size_t len);

/* Offset of the IP header in a frame (14 or 18). */
size_t pkt_l3_off(const __u8 *frame);

/* The 5-tuple key of a crafted packet, as the LB sees it. */
struct xdplb_flow_key pkt_flow(const struct pkt_spec *s);

/* Human-readable first difference between two frames ("" when equal). */
const char *pkt_diff(const __u8 *a, size_t alen, const __u8 *b, size_t blen, char *buf, size_t len);

#endif

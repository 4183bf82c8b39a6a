/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * frame.h - the one frame `xdplb explain` feeds the program: Ethernet,
 * IPv4 or IPv6, TCP or UDP, with correct checksums; and the decoding of
 * what the program made of it. Pure.
 */
#ifndef XDPLB_FRAME_H
#define XDPLB_FRAME_H

#include <stdbool.h>
#include <stddef.h>

#include "xdplb_abi.h"

#define FRAME_TTL 64
#define FRAME_MAX_PAYLOAD 3000u /* BPF_PROG_TEST_RUN takes at most a page */
#define FRAME_ETH_LEN 14

struct frame_spec {
	__u8 proto; /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 family; /* XDPLB_AF_INET or XDPLB_AF_INET6, of both addresses */
	struct xdplb_addr src, dst;
	__u16 sport, dport; /* host order */
	bool syn; /* TCP: a SYN opening a connection; else an ACK within one */
	__u32 payload; /* L4 payload bytes */
	__u8 src_mac[6], dst_mac[6];
};

/* "ADDR:PORT" or "[ADDR6]:PORT". Returns the family, or 0 when it is not
 * one. */
int frame_parse_endpoint(const char *s, struct xdplb_addr *a, __u16 *port);

/* The frame, in buf of cap bytes. Returns its length, or 0 when it does
 * not fit (or the spec is not TCP/UDP over one family). */
size_t frame_build(const struct frame_spec *s, __u8 *buf, size_t cap);

/* The 5-tuple as the data path keys conntrack with it. */
struct xdplb_flow_key frame_flow_key(const struct frame_spec *s);

/* RFC 1071: the one's complement sum of len bytes added to sum (not
 * folded, not complemented), so that pseudo-headers chain. */
__u32 frame_sum(const void *data, size_t len, __u32 sum);
/* Folded and complemented: the checksum field's value, network order. */
__u16 frame_fold(__u32 sum);

struct frame_ip {
	__u8 family; /* 0: not IP */
	struct xdplb_addr src, dst;
	__u8 proto; /* IPv4 protocol or IPv6 next header */
	__u8 ttl; /* or hop limit */
	__u8 tos; /* or traffic class */
	__u16 len; /* IPv4 total length; IPv6 payload length */
	__u32 flow_label; /* IPv6 */
	bool df; /* IPv4 */
	bool csum_ok; /* IPv4 header checksum; IPv6 has none: true */
	__u16 sport, dport; /* TCP/UDP directly inside, host order */
};

struct frame_info {
	__u8 dst_mac[6], src_mac[6];
	__u16 vlan_tci; /* with has_vlan */
	bool has_vlan;
	__u16 ethertype; /* after the tag, host order */
	struct frame_ip outer; /* the first IP header */
	struct frame_ip inner; /* an IP header inside it (IPIP, IPv6-in-...) */
};

/* What a frame carries, as far as it is complete. 0, or -1 when it is
 * shorter than Ethernet. */
int frame_decode(const __u8 *f, size_t len, struct frame_info *out);

#endif

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * frame.c - build a TCP/UDP frame from a 5-tuple, and decode an
 * encapsulated one. Written from RFC 791, 8200, 793, 768 and 1071, not
 * from the BPF code, so that explain does not share its mistakes.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "frame.h"

#define TCP_SYN 0x02
#define TCP_ACK 0x10
#define ETH_P_IPV4 0x0800
#define ETH_P_IPV6_ 0x86dd
#define ETH_P_8021Q_ 0x8100
#define ETH_P_8021AD_ 0x88a8

static void put16(__u8 *p, __u16 v)
{
	p[0] = (__u8)(v >> 8);
	p[1] = (__u8)v;
}

static void put32(__u8 *p, __u32 v)
{
	put16(p, (__u16)(v >> 16));
	put16(p + 2, (__u16)v);
}

static __u16 get16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

int frame_parse_endpoint(const char *s, struct xdplb_addr *a, __u16 *port)
{
	char host[64];
	const char *colon;
	unsigned long p;
	char *end;
	bool bracket = s[0] == '[';
	size_t n;
	int fam;

	if (bracket) {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return 0;
		n = (size_t)(close - s - 1);
		colon = close + 1;
		s++;
	} else {
		colon = strrchr(s, ':');
		if (!colon || strchr(s, ':') != colon) /* IPv6 needs brackets */
			return 0;
		n = (size_t)(colon - s);
	}
	if (n == 0 || n >= sizeof(host) || !colon[1])
		return 0;
	memcpy(host, s, n);
	host[n] = '\0';
	p = strtoul(colon + 1, &end, 10);
	if (*end || p > 65535)
		return 0;
	fam = addr_parse(host, a);
	if (fam == XDPLB_AF_INET6 ? !bracket : bracket)
		return 0;
	*port = (__u16)p;
	return fam;
}

__u32 frame_sum(const void *data, size_t len, __u32 sum)
{
	const __u8 *p = data;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (__u32)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (__u32)p[len - 1] << 8;
	return sum;
}

__u16 frame_fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((__u16)~sum);
}

/* The pseudo-header's sum: addresses, protocol and L4 length. */
static __u32 pseudo_sum(const struct frame_spec *s, __u32 l4_len)
{
	size_t alen = s->family == XDPLB_AF_INET ? 4 : 16;
	__u32 sum = frame_sum(s->src.b, alen, 0);

	sum = frame_sum(s->dst.b, alen, sum);
	return sum + s->proto + (l4_len & 0xffff) + (l4_len >> 16);
}

/* TCP or UDP header and payload at p; returns their length. */
static __u32 put_l4(const struct frame_spec *s, __u8 *p)
{
	__u32 hl = s->proto == IPPROTO_TCP ? 20 : 8, len = hl + s->payload;
	__u16 ck;

	memset(p, 0, hl);
	put16(p, s->sport);
	put16(p + 2, s->dport);
	if (s->proto == IPPROTO_TCP) {
		put32(p + 4, 1); /* sequence number */
		put32(p + 8, s->syn ? 0 : 1); /* acknowledgment number */
		p[12] = 5 << 4; /* data offset: no options */
		p[13] = s->syn ? TCP_SYN : TCP_ACK;
		put16(p + 14, 65535); /* window */
	} else {
		put16(p + 4, (__u16)len);
	}
	for (__u32 i = 0; i < s->payload; i++)
		p[hl + i] = (__u8)('a' + i % 26);
	ck = frame_fold(frame_sum(p, len, pseudo_sum(s, len)));
	if (s->proto == IPPROTO_UDP && !ck)
		ck = 0xffff; /* RFC 768: zero means "no checksum" */
	memcpy(p + (s->proto == IPPROTO_TCP ? 16 : 6), &ck, 2);
	return len;
}

static void put_ip4(const struct frame_spec *s, __u8 *p, __u32 l4_len)
{
	__u16 ck;

	memset(p, 0, 20);
	p[0] = 0x45; /* version 4, 5 words: no options */
	put16(p + 2, (__u16)(20 + l4_len));
	put16(p + 6, 0x4000); /* DF, as TCP stacks send */
	p[8] = FRAME_TTL;
	p[9] = s->proto;
	memcpy(p + 12, &s->src.v4, 4);
	memcpy(p + 16, &s->dst.v4, 4);
	ck = frame_fold(frame_sum(p, 20, 0));
	memcpy(p + 10, &ck, 2);
}

static void put_ip6(const struct frame_spec *s, __u8 *p, __u32 l4_len)
{
	memset(p, 0, 40);
	p[0] = 0x60; /* version 6, traffic class 0, flow label 0 */
	put16(p + 4, (__u16)l4_len);
	p[6] = s->proto;
	p[7] = FRAME_TTL;
	memcpy(p + 8, s->src.b, 16);
	memcpy(p + 24, s->dst.b, 16);
}

size_t frame_build(const struct frame_spec *s, __u8 *buf, size_t cap)
{
	size_t l3 = s->family == XDPLB_AF_INET ? 20 : 40;
	size_t hl = s->proto == IPPROTO_TCP ? 20 : 8;
	size_t len = FRAME_ETH_LEN + l3 + hl + s->payload;
	__u32 l4_len;

	if ((s->proto != IPPROTO_TCP && s->proto != IPPROTO_UDP) ||
	    (s->family != XDPLB_AF_INET && s->family != XDPLB_AF_INET6) ||
	    s->payload > FRAME_MAX_PAYLOAD || len > cap)
		return 0;
	memcpy(buf, s->dst_mac, 6);
	memcpy(buf + 6, s->src_mac, 6);
	put16(buf + 12, s->family == XDPLB_AF_INET ? ETH_P_IPV4 : ETH_P_IPV6_);
	/* L4 first: IPv4's total length and checksum need its length */
	l4_len = put_l4(s, buf + FRAME_ETH_LEN + l3);
	if (s->family == XDPLB_AF_INET)
		put_ip4(s, buf + FRAME_ETH_LEN, l4_len);
	else
		put_ip6(s, buf + FRAME_ETH_LEN, l4_len);
	return len;
}

struct xdplb_flow_key frame_flow_key(const struct frame_spec *s)
{
	struct xdplb_flow_key k;

	memset(&k, 0, sizeof(k));
	k.src = s->src;
	k.dst = s->dst;
	k.sport = htons(s->sport);
	k.dport = htons(s->dport);
	k.proto = s->proto;
	k.family = s->family;
	return k;
}

/* One IP header at p (len bytes left); returns its length, or 0. */
static size_t decode_ip(const __u8 *p, size_t len, struct frame_ip *ip)
{
	size_t hl;

	memset(ip, 0, sizeof(*ip));
	if (len >= 20 && p[0] >> 4 == 4) {
		hl = (size_t)(p[0] & 0xf) * 4;
		if (hl < 20 || hl > len)
			return 0;
		ip->family = XDPLB_AF_INET;
		ip->tos = p[1];
		ip->len = get16(p + 2);
		ip->df = p[6] & 0x40;
		ip->ttl = p[8];
		ip->proto = p[9];
		ip->csum_ok = frame_fold(frame_sum(p, hl, 0)) == 0;
		memcpy(&ip->src.v4, p + 12, 4);
		memcpy(&ip->dst.v4, p + 16, 4);
	} else if (len >= 40 && p[0] >> 4 == 6) {
		hl = 40;
		ip->family = XDPLB_AF_INET6;
		ip->tos = (__u8)((p[0] & 0xf) << 4 | p[1] >> 4);
		ip->flow_label = (__u32)(p[1] & 0xf) << 16 | get16(p + 2);
		ip->len = get16(p + 4);
		ip->proto = p[6];
		ip->ttl = p[7];
		ip->csum_ok = true;
		memcpy(ip->src.b, p + 8, 16);
		memcpy(ip->dst.b, p + 24, 16);
	} else {
		return 0;
	}
	if ((ip->proto == IPPROTO_TCP || ip->proto == IPPROTO_UDP) && len >= hl + 4) {
		ip->sport = get16(p + hl);
		ip->dport = get16(p + hl + 2);
	}
	return hl;
}

int frame_decode(const __u8 *f, size_t len, struct frame_info *out)
{
	size_t off = FRAME_ETH_LEN, hl;

	memset(out, 0, sizeof(*out));
	if (len < FRAME_ETH_LEN)
		return -1;
	memcpy(out->dst_mac, f, 6);
	memcpy(out->src_mac, f + 6, 6);
	out->ethertype = get16(f + 12);
	if ((out->ethertype == ETH_P_8021Q_ || out->ethertype == ETH_P_8021AD_) && len >= 18) {
		out->has_vlan = true;
		out->vlan_tci = get16(f + 14);
		out->ethertype = get16(f + 16);
		off = 18;
	}
	if (out->ethertype != ETH_P_IPV4 && out->ethertype != ETH_P_IPV6_)
		return 0;
	hl = decode_ip(f + off, len - off, &out->outer);
	if (hl && (out->outer.proto == IPPROTO_IPIP || out->outer.proto == IPPROTO_IPV6))
		decode_ip(f + off + hl, len - off - hl, &out->inner);
	return 0;
}

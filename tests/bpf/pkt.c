// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "pkt.h"

const __u8 LB_MAC[6] = { 0x02, 0, 0, 0, 0, 0xaa };
const __u8 ROUTER_MAC[6] = { 0x02, 0, 0, 0, 0, 0xcc };
const __u8 NEXT_HOP_MAC[6] = { 0x02, 0, 0, 0, 0, 0x01 };

static __u32 sum16(const void *data, size_t len, __u32 sum)
{
	const __u8 *p = data;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (__u32)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (__u32)p[len - 1] << 8;
	return sum;
}

static __u16 fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((__u16)~sum);
}

__u16 csum(const void *data, size_t len)
{
	return fold(sum16(data, len, 0));
}

static void put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void addr(int family, const char *s, __u8 *out)
{
	if (inet_pton(family == 4 ? AF_INET : AF_INET6, s, out) != 1)
		fprintf(stderr, "pkt: bad address %s\n", s);
}

/* L4 header + payload at p; returns its length. Checksum with the
 * pseudo-header of family/src/dst. */
static size_t l4(const struct pkt_spec *s, __u8 *p, const __u8 *src, const __u8 *dst)
{
	size_t hl = s->proto == IPPROTO_TCP ? 20 : 8, len = hl + s->payload;
	__u8 pseudo[40];
	size_t plen;
	__u32 sum;

	if (s->proto == IPPROTO_ICMP || s->proto == IPPROTO_ICMPV6) { /* RFC 792, RFC 4443 */
		len = 8 + s->payload;
		memset(p, 0, len);
		p[0] = s->has_icmp_type ? s->icmp_type : s->proto == IPPROTO_ICMPV6 ? 128 : 8;
		p[1] = s->icmp_code;
		put16(p + 4, s->sport); /* identifier */
		put16(p + 6, s->dport); /* sequence */
		for (size_t i = 0; i < s->payload; i++)
			p[8 + i] = (__u8)(0x30 + i % 64);
		if (s->proto == IPPROTO_ICMP) {
			put16(p + 2, ntohs(csum(p, len)));
			return len;
		}
		memcpy(pseudo, src, 16);
		memcpy(pseudo + 16, dst, 16);
		put16(pseudo + 32, 0), put16(pseudo + 34, (__u16)len);
		put16(pseudo + 36, 0), pseudo[38] = 0, pseudo[39] = IPPROTO_ICMPV6;
		put16(p + 2, ntohs(fold(sum16(p, len, sum16(pseudo, 40, 0)))));
		return len;
	}
	if (s->proto != IPPROTO_TCP && s->proto != IPPROTO_UDP) { /* GRE, SCTP, ...: any bytes */
		memset(p, 0, 8 + s->payload);
		p[0] = 8;
		return 8 + s->payload;
	}
	memset(p, 0, hl);
	put16(p, s->sport);
	put16(p + 2, s->dport);
	if (s->proto == IPPROTO_TCP) {
		put16(p + 4, 0x1234), put16(p + 6, 0x5678); /* seq */
		p[12] = 5 << 4;
		p[13] = s->tcp_flags;
		put16(p + 14, 65535);
	} else {
		put16(p + 4, (__u16)len);
	}
	for (size_t i = 0; i < s->payload; i++)
		p[hl + i] = (__u8)('a' + i % 26);
	if (s->family == 4) {
		memcpy(pseudo, src, 4);
		memcpy(pseudo + 4, dst, 4);
		pseudo[8] = 0, pseudo[9] = s->proto;
		put16(pseudo + 10, (__u16)len);
		plen = 12;
	} else {
		memcpy(pseudo, src, 16);
		memcpy(pseudo + 16, dst, 16);
		put16(pseudo + 32, 0), put16(pseudo + 34, (__u16)len);
		put16(pseudo + 36, 0), pseudo[38] = 0, pseudo[39] = s->proto;
		plen = 40;
	}
	sum = sum16(pseudo, plen, 0);
	sum = sum16(p, len, sum);
	put16(p + (s->proto == IPPROTO_TCP ? 16 : 6), ntohs(fold(sum)));
	return len;
}

size_t pkt_build(const struct pkt_spec *s, __u8 *buf)
{
	size_t off = 12, l3, n;
	__u8 src[16], dst[16];

	memset(buf, 0, PKT_MAX);
	memcpy(buf, LB_MAC, 6);
	memcpy(buf + 6, ROUTER_MAC, 6);
	if (s->vlan_tpid) {
		put16(buf + off, s->vlan_tpid);
		put16(buf + off + 2, s->vlan_tci);
		off += 4;
	}
	put16(buf + off, s->ethertype ? s->ethertype : s->family == 4 ? 0x0800 : 0x86dd);
	l3 = off + 2;
	if (s->ethertype == 0x0806) { /* a who-has ARP request */
		__u8 arp[28] = { 0, 1, 8, 0, 6, 4, 0, 1 };

		memcpy(arp + 8, ROUTER_MAC, 6);
		memcpy(buf + l3, arp, 28);
		n = l3 + 28;
		goto pad;
	}
	addr(s->family, s->src, src);
	addr(s->family, s->dst, dst);
	if (s->family == 4) {
		__u8 *ip = buf + l3;
		size_t ihl = 20 + 4 * s->v4_opt_words;

		ip[0] = 0x40 | (__u8)(ihl / 4);
		ip[1] = s->tos;
		put16(ip + 4, 1);
		put16(ip + 6, s->frag);
		ip[8] = 64;
		ip[9] = s->proto;
		memcpy(ip + 12, src, 4);
		memcpy(ip + 16, dst, 4);
		memset(ip + 20, 1, ihl - 20); /* NOP options */
		n = ihl + l4(s, ip + ihl, src, dst);
		put16(ip + 2, (__u16)n);
		put16(ip + 10, ntohs(csum(ip, ihl)));
		n += l3;
	} else {
		__u8 *ip = buf + l3, *p = ip + 40;
		size_t ext = s->has_v6_ext ? 8 : 0;

		ip[0] = 0x60 | s->tos >> 4;
		ip[1] = (__u8)(s->tos << 4);
		ip[6] = s->has_v6_ext ? s->v6_ext : s->proto;
		ip[7] = 64;
		memcpy(ip + 8, src, 16);
		memcpy(ip + 24, dst, 16);
		if (ext) {
			memset(p, 0, 8);
			p[0] = s->proto;
			p[2] = 1, p[3] = 4; /* a PadN option filling the header */
		}
		n = ext + l4(s, p + ext, src, dst);
		put16(ip + 4, (__u16)n);
		n += l3 + 40;
	}
pad:
	if (s->pad_to > n)
		n = s->pad_to;
	return n;
}

__u16 pkt_icmp6_csum(const __u8 *ip6)
{
	size_t len = (size_t)(ip6[4] << 8 | ip6[5]);
	__u8 pseudo[40];

	memcpy(pseudo, ip6 + 8, 32);
	put16(pseudo + 32, 0), put16(pseudo + 34, (__u16)len);
	put16(pseudo + 36, 0), pseudo[38] = 0, pseudo[39] = IPPROTO_ICMPV6;
	return fold(sum16(ip6 + 40, len, sum16(pseudo, 40, 0)));
}

size_t pkt_l3_off(const __u8 *f)
{
	__u16 t = (__u16)(f[12] << 8 | f[13]);

	return t == 0x8100 || t == 0x88a8 ? 18 : 14;
}

size_t pkt_expect_encap(const __u8 *in, size_t in_len, const struct encap_want *w,
			const __u8 *actual, __u8 *out)
{
	size_t l2 = pkt_l3_off(in), olen = w->backend_family == 4 ? 20 : 40;
	const __u8 *ip = in + l2;
	int inner4 = (ip[0] >> 4) == 4;
	__u16 l3len = inner4 ? (__u16)(ip[2] << 8 | ip[3]) : (__u16)(40 + (ip[4] << 8 | ip[5]));
	__u8 tos = inner4 ? ip[1] : (__u8)((ip[0] & 0xf) << 4 | ip[1] >> 4);
	__u8 *o = out + l2;

	memcpy(out, NEXT_HOP_MAC, 6);
	memcpy(out + 6, LB_MAC, 6);
	memcpy(out + 12, in + 12, l2 - 12); /* the VLAN tag, if any, unchanged */
	put16(out + l2 - 2, w->backend_family == 4 ? 0x0800 : 0x86dd);
	memset(o, 0, olen);
	if (w->backend_family == 4) {
		int df = !inner4 || (ip[6] & 0x40);

		o[0] = 0x45;
		o[1] = tos;
		put16(o + 2, (__u16)(l3len + 20));
		if (!df) /* random ID: take the program's, check the rest */
			memcpy(o + 4, actual + l2 + 4, 2);
		put16(o + 6, df ? 0x4000 : 0);
		o[8] = XDPLB_ENCAP_TTL;
		o[9] = inner4 ? 4 : 41;
		memcpy(o + 12, w->src.b, 4);
		memcpy(o + 16, w->backend.b, 4);
		put16(o + 10, ntohs(csum(o, 20)));
	} else {
		__u32 first = 6u << 28 | (__u32)tos << 20 | (w->flow_hash & 0xfffff);

		put16(o, first >> 16);
		put16(o + 2, first & 0xffff);
		put16(o + 4, l3len);
		o[6] = inner4 ? 4 : 41;
		o[7] = XDPLB_ENCAP_TTL;
		memcpy(o + 8, w->src.b, 16);
		memcpy(o + 24, w->backend.b, 16);
	}
	if (l3len > in_len - l2) /* a frame cut short: what there is */
		l3len = (__u16)(in_len - l2);
	memcpy(o + olen, ip, l3len); /* the whole inner packet, not the padding */
	return l2 + olen + l3len;
}

struct xdplb_flow_key pkt_flow(const struct pkt_spec *s)
{
	struct xdplb_flow_key k;

	memset(&k, 0, sizeof(k));
	k.family = s->family == 4 ? XDPLB_AF_INET : XDPLB_AF_INET6;
	addr(s->family, s->src, k.src.b);
	addr(s->family, s->dst, k.dst.b);
	k.sport = htons(s->sport);
	k.dport = htons(s->dport);
	k.proto = s->proto;
	return k;
}

const char *pkt_diff(const __u8 *a, size_t alen, const __u8 *b, size_t blen, char *buf, size_t len)
{
	buf[0] = '\0';
	if (alen != blen) {
		snprintf(buf, len, "length %zu, want %zu", alen, blen);
		return buf;
	}
	for (size_t i = 0; i < alen; i++) {
		if (a[i] != b[i]) {
			snprintf(buf, len, "byte %zu is 0x%02x, want 0x%02x", i, a[i], b[i]);
			return buf;
		}
	}
	return buf;
}

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* frame: the bytes explain feeds the program, field by field, and checksums
 * verified with a sum written here (not frame_sum). */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <netinet/in.h>

#include "addr.h"
#include "frame.h"

static const __u8 SRC_MAC[6] = { 2, 0, 0, 0, 0, 0xcc }, DST_MAC[6] = { 2, 0, 0, 0, 0, 0xaa };

/* The one's complement sum of 16-bit big-endian words, folded: a correct
 * header or segment (with its pseudo-header) sums to 0xffff. */
static unsigned int ones_sum(const unsigned char *p, size_t n, unsigned long acc)
{
	for (size_t i = 0; i < n; i++)
		acc += i % 2 ? p[i] : (unsigned long)p[i] << 8;
	while (acc > 0xffff)
		acc = (acc & 0xffff) + (acc >> 16);
	return (unsigned int)acc;
}

static unsigned int be16(const __u8 *p)
{
	return (unsigned int)p[0] << 8 | p[1];
}

static struct frame_spec spec(const char *src, const char *dst, __u8 proto)
{
	struct frame_spec s;

	memset(&s, 0, sizeof(s));
	cr_assert(eq(int, frame_parse_endpoint(src, &s.src, &s.sport),
		     frame_parse_endpoint(dst, &s.dst, &s.dport)));
	s.family = (__u8)frame_parse_endpoint(src, &s.src, &s.sport);
	s.proto = proto;
	memcpy(s.src_mac, SRC_MAC, 6);
	memcpy(s.dst_mac, DST_MAC, 6);
	return s;
}

Test(frame, endpoints)
{
	struct xdplb_addr a;
	__u16 port;

	cr_expect(eq(int, frame_parse_endpoint("198.51.100.7:40000", &a, &port), XDPLB_AF_INET));
	cr_expect(eq(u16, port, 40000));
	cr_expect(eq(u8, a.b[3], 7));
	cr_expect(eq(int, frame_parse_endpoint("[2001:db8::7]:443", &a, &port), XDPLB_AF_INET6));
	cr_expect(eq(u16, port, 443));
	cr_expect(eq(u8, a.b[15], 7));
	cr_expect(eq(int, frame_parse_endpoint("2001:db8::7:443", &a, &port), 0), "needs []");
	cr_expect(eq(int, frame_parse_endpoint("[198.51.100.7]:1", &a, &port), 0));
	cr_expect(eq(int, frame_parse_endpoint("198.51.100.7", &a, &port), 0));
	cr_expect(eq(int, frame_parse_endpoint("198.51.100.7:", &a, &port), 0));
	cr_expect(eq(int, frame_parse_endpoint("198.51.100.7:65536", &a, &port), 0));
	cr_expect(eq(int, frame_parse_endpoint("example:80", &a, &port), 0));
}

Test(frame, tcp_syn_ipv4)
{
	struct frame_spec s = spec("198.51.100.7:40000", "203.0.113.10:80", IPPROTO_TCP);
	__u8 f[2048];
	size_t len;

	s.syn = true;
	s.payload = 5;
	len = frame_build(&s, f, sizeof(f));
	cr_assert(eq(sz, len, 14 + 20 + 20 + 5));
	/* Ethernet */
	cr_expect(eq(int, memcmp(f, DST_MAC, 6), 0));
	cr_expect(eq(int, memcmp(f + 6, SRC_MAC, 6), 0));
	cr_expect(eq(u32, be16(f + 12), 0x0800));
	/* IPv4 */
	const __u8 *ip = f + 14;

	cr_expect(eq(u8, ip[0], 0x45));
	cr_expect(eq(u8, ip[1], 0), "TOS");
	cr_expect(eq(u32, be16(ip + 2), 45), "total length");
	cr_expect(eq(u32, be16(ip + 6), 0x4000), "DF, offset 0");
	cr_expect(eq(u8, ip[8], 64), "TTL");
	cr_expect(eq(u8, ip[9], IPPROTO_TCP));
	cr_expect(eq(int, memcmp(ip + 12, (const __u8[]){ 198, 51, 100, 7 }, 4), 0));
	cr_expect(eq(int, memcmp(ip + 16, (const __u8[]){ 203, 0, 113, 10 }, 4), 0));
	cr_expect(eq(u32, ones_sum(ip, 20, 0), 0xffff), "IPv4 header checksum");
	/* TCP */
	const __u8 *th = ip + 20;

	cr_expect(eq(u32, be16(th), 40000));
	cr_expect(eq(u32, be16(th + 2), 80));
	cr_expect(eq(u8, th[12], 0x50), "data offset 5");
	cr_expect(eq(u8, th[13], 0x02), "SYN only");
	cr_expect(eq(int, memcmp(th + 20, "abcde", 5), 0));
	/* pseudo-header: src, dst, zero + protocol, TCP length */
	unsigned long ph = ones_sum(ip + 12, 8, 0) + IPPROTO_TCP + 25;

	cr_expect(eq(u32, ones_sum(th, 25, ph), 0xffff), "TCP checksum over an odd length");
}

Test(frame, tcp_ack_ipv6)
{
	struct frame_spec s = spec("[2001:db8:1::7]:40000", "[2001:db8:10::80]:443", IPPROTO_TCP);
	__u8 f[2048];
	size_t len = frame_build(&s, f, sizeof(f));
	const __u8 *ip = f + 14, *th = ip + 40;
	struct xdplb_addr a;

	cr_assert(eq(sz, len, 14 + 40 + 20));
	cr_expect(eq(u32, be16(f + 12), 0x86dd));
	cr_expect(eq(u8, ip[0], 0x60));
	cr_expect(eq(u8, ip[1] | ip[2] | ip[3], 0), "traffic class, flow label 0");
	cr_expect(eq(u32, be16(ip + 4), 20), "payload length");
	cr_expect(eq(u8, ip[6], IPPROTO_TCP));
	cr_expect(eq(u8, ip[7], 64), "hop limit");
	addr_parse("2001:db8:1::7", &a);
	cr_expect(eq(int, memcmp(ip + 8, a.b, 16), 0));
	addr_parse("2001:db8:10::80", &a);
	cr_expect(eq(int, memcmp(ip + 24, a.b, 16), 0));
	cr_expect(eq(u8, th[13], 0x10), "ACK: an established flow");
	unsigned long ph = ones_sum(ip + 8, 32, 0) + IPPROTO_TCP + 20;

	cr_expect(eq(u32, ones_sum(th, 20, ph), 0xffff),
		  "TCP checksum with the IPv6 pseudo-header");
}

Test(frame, udp_both_families)
{
	const char *src[2] = { "198.51.100.7:5353", "[2001:db8:1::7]:5353" };
	const char *dst[2] = { "203.0.113.53:53", "[2001:db8:10::53]:53" };

	for (int i = 0; i < 2; i++) {
		struct frame_spec s = spec(src[i], dst[i], IPPROTO_UDP);
		size_t l3 = i ? 40 : 20, len;
		__u8 f[2048];

		s.payload = 100;
		len = frame_build(&s, f, sizeof(f));
		cr_assert(eq(sz, len, 14 + l3 + 8 + 100));
		const __u8 *ip = f + 14, *uh = ip + l3;

		cr_expect(eq(u32, be16(uh + 4), 108), "UDP length");
		cr_expect(not(eq(u32, be16(uh + 6), 0)), "UDP checksum present");
		unsigned long ph = ones_sum(ip + (i ? 8 : 12), i ? 32 : 8, 0) + IPPROTO_UDP + 108;

		cr_expect(eq(u32, ones_sum(uh, 108, ph), 0xffff), "UDP checksum, family %d", i);
	}
}

Test(frame, limits)
{
	struct frame_spec s = spec("198.51.100.7:1", "203.0.113.10:80", IPPROTO_TCP);
	__u8 f[100];

	cr_expect(eq(sz, frame_build(&s, f, 54), 54));
	cr_expect(eq(sz, frame_build(&s, f, 53), 0), "does not fit");
	s.proto = IPPROTO_ICMP;
	cr_expect(eq(sz, frame_build(&s, f, sizeof(f)), 0));
}

Test(frame, flow_key)
{
	struct frame_spec s = spec("198.51.100.7:40000", "203.0.113.10:80", IPPROTO_UDP);
	struct xdplb_flow_key k = frame_flow_key(&s);

	cr_expect(eq(u16, k.sport, htons(40000)));
	cr_expect(eq(u16, k.dport, htons(80)));
	cr_expect(eq(u8, k.proto, IPPROTO_UDP));
	cr_expect(eq(u8, k.family, XDPLB_AF_INET));
	cr_expect(eq(u32, k.dst.v4, htonl(0xcb00710a)));
	cr_expect(eq(u8, k.pad[0] | k.pad[1], 0));
}

Test(frame, decode_ipip)
{
	struct frame_spec s = spec("198.51.100.7:40000", "203.0.113.10:80", IPPROTO_TCP);
	__u8 in[256], f[256] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0xaa, 0x08, 0x00 };
	struct frame_info fi;
	size_t len = frame_build(&s, in, sizeof(in));
	__u8 *o = f + 14;

	/* an IPIP frame as RFC 2003 has it: outer 192.0.2.1 -> 198.51.100.11 */
	memcpy(f + 14 + 20, in + 14, len - 14);
	o[0] = 0x45, o[2] = 0, o[3] = (__u8)(20 + len - 14), o[6] = 0x40, o[8] = 64, o[9] = 4;
	memcpy(o + 12, (const __u8[]){ 192, 0, 2, 1, 198, 51, 100, 11 }, 8);
	__u16 ck = frame_fold(frame_sum(o, 20, 0));

	memcpy(o + 10, &ck, 2);
	cr_assert(eq(int, frame_decode(f, len + 20, &fi), 0));
	cr_expect(eq(u8, fi.dst_mac[5], 1));
	cr_expect(eq(u32, fi.ethertype, 0x0800));
	cr_expect(eq(u8, fi.outer.family, XDPLB_AF_INET));
	cr_expect(eq(u8, fi.outer.proto, 4));
	cr_expect(eq(u8, fi.outer.ttl, 64));
	cr_expect(fi.outer.df);
	cr_expect(fi.outer.csum_ok);
	cr_expect(eq(u8, fi.outer.dst.b[3], 11));
	cr_expect(eq(u8, fi.inner.family, XDPLB_AF_INET));
	cr_expect(eq(u16, fi.inner.sport, 40000));
	cr_expect(eq(u16, fi.inner.dport, 80));
	o[10] ^= 1;
	frame_decode(f, len + 20, &fi);
	cr_expect(not(fi.outer.csum_ok), "a broken checksum is seen");
	cr_expect(eq(int, frame_decode(f, 13, &fi), -1));
}

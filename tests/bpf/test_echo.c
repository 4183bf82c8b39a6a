// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * ICMP and ICMPv6 echo requests to a VIP address, answered by the LB
 * (docs/datapath.md, "Echo requests"). Every reply is checked byte for
 * byte against the request: the MACs swapped, the VLAN tag kept, the
 * addresses swapped, TTL / hop limit 64, the type a reply, every other
 * byte of the IP header, identifier, sequence, payload and padding the
 * request's; the IPv4 header checksum and the ICMP checksum (ICMPv6: with
 * its pseudo-header) recomputed here from RFC 1071, not from the program.
 * The counters: XDP_TX and the icmp_echo reply slot, nothing else. The
 * cases that must not be answered (an address whose VIPs take no new
 * flows, other ICMP types, options, fragments, multicast sources, ...)
 * are passed untouched in tests/bpf/test_datapath.c; here: the switch,
 * and a reload that takes the last backend away.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "lbfix.h"

extern const char *const DP_CONFIG;

#define REPLY_SLOT (XDPLB_CNT_REPLY_BASE + XDPLB_REPLY_ICMP_ECHO)

static __u16 get16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

/* Exactly one XDP_TX and one echo reply counted; nothing else moved. */
static void expect_one_reply(struct lbfix *f, const struct lbfix_counters *before, const char *what)
{
	struct lbfix_counters now = lbfix_counters(f);

	for (__u32 i = 0; i < XDPLB_GLOBAL_MAX; i++)
		cr_expect(eq(u64, now.v[i], before->v[i] + (i == XDP_TX || i == REPLY_SLOT)),
			  "%s: global counter %u", what, i);
}

/* The reply to the request `in`, checked field by field. */
static void check_reply(const __u8 *in, size_t in_len, const __u8 *out, size_t out_len,
			const char *what)
{
	size_t l2 = pkt_l3_off(in);
	const __u8 *iq = in + l2, *op = out + l2;
	int v4 = (iq[0] >> 4) == 4;
	size_t ihl = v4 ? 20 : 40, l3 = v4 ? get16(iq + 2) : 40 + get16(iq + 4);

	cr_assert(eq(sz, out_len, in_len), "%s: a reply as long as the request", what);
	/* Ethernet: the request's source is the destination, ours the source */
	cr_expect(eq(u8[6], (__u8 *)out, (__u8 *)ROUTER_MAC), "%s: destination MAC", what);
	cr_expect(eq(u8[6], (__u8 *)out + 6, (__u8 *)LB_MAC), "%s: source MAC", what);
	cr_expect(eq(int, memcmp(out + 12, in + 12, l2 - 12), 0), "%s: EtherType/tag", what);
	if (v4) {
		cr_expect(eq(u8, op[0], 0x45), "%s: version/IHL", what);
		cr_expect(eq(int, memcmp(op + 1, iq + 1, 7), 0), "%s: TOS, length, ID, DF", what);
		cr_expect(eq(u8, op[8], XDPLB_ECHO_TTL), "%s: TTL", what);
		cr_expect(eq(u8, op[8], 64));
		cr_expect(eq(u8, op[9], IPPROTO_ICMP), "%s: protocol", what);
		cr_expect(eq(int, memcmp(op + 12, iq + 16, 4), 0), "%s: source = the VIP", what);
		cr_expect(eq(int, memcmp(op + 16, iq + 12, 4), 0), "%s: destination = client",
			  what);
		cr_expect(eq(u16, csum(op, 20), 0), "%s: IPv4 header checksum", what);
		cr_expect(eq(u8, op[ihl], 0), "%s: type echo reply", what);
		cr_expect(eq(u16, csum(op + ihl, l3 - ihl), 0), "%s: ICMP checksum", what);
	} else {
		cr_expect(eq(int, memcmp(op, iq, 7), 0), "%s: version, class, label, length, NH",
			  what);
		cr_expect(eq(u8, op[7], 64), "%s: hop limit", what);
		cr_expect(eq(int, memcmp(op + 8, iq + 24, 16), 0), "%s: source = the VIP", what);
		cr_expect(eq(int, memcmp(op + 24, iq + 8, 16), 0), "%s: destination = client",
			  what);
		cr_expect(eq(u8, op[ihl], 129), "%s: type echo reply", what);
		cr_expect(eq(u16, pkt_icmp6_csum(op), 0), "%s: ICMPv6 checksum (pseudo-header)",
			  what);
	}
	cr_expect(eq(u8, op[ihl + 1], 0), "%s: code", what);
	/* identifier, sequence, payload, and anything after the packet */
	cr_expect(eq(int, memcmp(op + ihl + 4, iq + ihl + 4, in_len - l2 - ihl - 4), 0),
		  "%s: identifier, sequence, payload or padding changed", what);
}

/* A request that has come some hops: TTL / hop limit not 64, so that the
 * reply's 64 is the program's (IPv4 header checksum made right again). */
static void set_hops(__u8 *frame, __u8 hops)
{
	__u8 *ip = frame + pkt_l3_off(frame);

	if ((ip[0] >> 4) == 6) {
		ip[7] = hops;
		return;
	}
	ip[8] = hops;
	ip[10] = ip[11] = 0;
	memcpy(ip + 10, &(__u16){ csum(ip, 20) }, 2);
}

struct echo_case {
	const char *what;
	struct pkt_spec s;
};

static const struct echo_case answered[] = {
	{ "IPv4 echo to a TCP VIP",
	  { .family = 4,
	    .src = "192.0.2.7",
	    .dst = "203.0.113.10",
	    .proto = IPPROTO_ICMP,
	    .sport = 0x1234,
	    .dport = 7,
	    .payload = 56,
	    .tos = 0x10 } },
	{ "IPv4 echo to a UDP VIP, DF, odd payload",
	  { .family = 4,
	    .src = "198.18.3.4",
	    .dst = "203.0.113.53",
	    .proto = IPPROTO_ICMP,
	    .sport = 0xffff,
	    .dport = 0xfffe,
	    .payload = 33,
	    .frag = 0x4000 } },
	{ "IPv4 echo to a port-less VIP, 802.1Q",
	  { .family = 4,
	    .src = "192.0.2.7",
	    .dst = "203.0.113.30",
	    .proto = IPPROTO_ICMP,
	    .sport = 1,
	    .dport = 2,
	    .payload = 8,
	    .vlan_tpid = 0x8100,
	    .vlan_tci = 0x0064 } },
	{ "IPv4 echo, 1472 bytes of payload (a 1500-byte packet)",
	  { .family = 4,
	    .src = "192.0.2.7",
	    .dst = "203.0.113.10",
	    .proto = IPPROTO_ICMP,
	    .sport = 9,
	    .dport = 9,
	    .payload = 1472 } },
	{ "IPv4 echo in a padded 60-byte frame: the padding comes back",
	  { .family = 4,
	    .src = "192.0.2.7",
	    .dst = "203.0.113.10",
	    .proto = IPPROTO_ICMP,
	    .sport = 5,
	    .dport = 6,
	    .pad_to = 60 } },
	{ "IPv6 echo to a TCP VIP",
	  { .family = 6,
	    .src = "2001:db8:1::7",
	    .dst = "2001:db8:10::80",
	    .proto = IPPROTO_ICMPV6,
	    .sport = 0xbeef,
	    .dport = 1,
	    .payload = 56,
	    .tos = 0xb8 } },
	{ "IPv6 echo to a VIP on an IPv4 backend, 802.1ad",
	  { .family = 6,
	    .src = "2001:db8:1::7",
	    .dst = "2001:db8:10::20",
	    .proto = IPPROTO_ICMPV6,
	    .sport = 3,
	    .dport = 0x8000,
	    .payload = 1,
	    .vlan_tpid = 0x88a8,
	    .vlan_tci = 3 } },
	{ "IPv6 echo, 1452 bytes of payload (a 1500-byte packet)",
	  { .family = 6,
	    .src = "2001:db8:1::7",
	    .dst = "2001:db8:10::53",
	    .proto = IPPROTO_ICMPV6,
	    .sport = 77,
	    .dport = 78,
	    .payload = 1452 } },
};

Test(echo, answered)
{
	struct lbfix f;

	lbfix_open(&f, DP_CONFIG);
	for (size_t i = 0; i < sizeof(answered) / sizeof(answered[0]); i++) {
		const struct echo_case *c = &answered[i];
		__u8 in[PKT_MAX], out[PKT_MAX];
		size_t in_len = pkt_build(&c->s, in), out_len;
		struct lbfix_counters before = lbfix_counters(&f);
		int act;

		const __u8 *ip = in + pkt_l3_off(in);

		set_hops(in, (__u8)(50 + i));
		/* the request itself is well made */
		if (c->s.family == 4)
			cr_assert(eq(u16, csum(ip, 20), 0), "%s: request header checksum", c->what);
		if (c->s.family == 4)
			cr_assert(eq(u16, csum(ip + 20, get16(ip + 2) - 20u), 0),
				  "%s: request checksum", c->what);
		else
			cr_assert(eq(u16, pkt_icmp6_csum(ip), 0), "%s: request checksum", c->what);
		act = lbfix_run(&f, in, in_len, out, &out_len);
		cr_assert(eq(int, act, XDP_TX), "%s", c->what);
		check_reply(in, in_len, out, out_len, c->what);
		expect_one_reply(&f, &before, c->what);
	}
	lbfix_close(&f);
}

/* A reply of a reply is not answered: the reply goes to the client. */
Test(echo, reply_is_not_answered_again)
{
	const struct pkt_spec s = { .family = 4,
				    .src = "192.0.2.7",
				    .dst = "203.0.113.10",
				    .proto = IPPROTO_ICMP,
				    .sport = 1,
				    .dport = 1,
				    .payload = 4 };
	__u8 in[PKT_MAX], out[PKT_MAX], again[PKT_MAX];
	size_t in_len, out_len, again_len;
	struct lbfix f;

	lbfix_open(&f, DP_CONFIG);
	in_len = pkt_build(&s, in);
	cr_assert(eq(int, lbfix_run(&f, in, in_len, out, &out_len), XDP_TX));
	/* the reply, back at the LB as if to it */
	memcpy(out, LB_MAC, 6);
	cr_assert(eq(int, lbfix_run(&f, out, out_len, again, &again_len), XDP_PASS));
	cr_expect(eq(int, memcmp(again, out, out_len), 0));
	lbfix_close(&f);
}

/* "icmp_echo": false: every echo request is passed untouched (counted as
 * ICMP passed). */
Test(echo, switched_off)
{
	char cfg[8192];
	const char *at = strstr(DP_CONFIG, "\"conntrack_size\"");
	struct lbfix f;

	cr_assert(not(eq(ptr, (void *)at, NULL)));
	snprintf(cfg, sizeof(cfg), "%.*s\"icmp_echo\": false, %s", (int)(at - DP_CONFIG), DP_CONFIG,
		 at);
	lbfix_open(&f, cfg);
	for (size_t i = 0; i < sizeof(answered) / sizeof(answered[0]); i++) {
		__u8 in[PKT_MAX], out[PKT_MAX];
		size_t in_len = pkt_build(&answered[i].s, in), out_len;
		struct lbfix_counters before = lbfix_counters(&f), now;

		cr_expect(eq(int, lbfix_run(&f, in, in_len, out, &out_len), XDP_PASS), "%s",
			  answered[i].what);
		cr_expect(eq(sz, out_len, in_len));
		cr_expect(eq(int, memcmp(out, in, in_len), 0), "%s: changed", answered[i].what);
		now = lbfix_counters(&f);
		/* passed, and counted as ICMP to a VIP address left to the stack */
		for (__u32 k = 0; k < XDPLB_GLOBAL_MAX; k++)
			cr_expect(eq(u64, now.v[k],
				     before.v[k] + (k == XDP_PASS ||
						    k == XDPLB_CNT_ICMP_BASE + XDPLB_ICMP_PASSED)),
				  "counter %u", k);
	}
	lbfix_close(&f);
}

/* An address answers while one of its VIPs takes new flows: a reload
 * that drains its last backend stops the answers, one that brings a
 * backend back starts them again. Two VIPs on one address: either one
 * serving is enough. */
Test(echo, follows_the_backends)
{
	const char *fmt =
		"{ \"interface\": \"test0\", \"next_hop_mac\": \"02:00:00:00:00:01\","
		"  \"source_v4\": \"192.0.2.1\", \"conntrack_size\": 4096, \"vips\": ["
		"  { \"name\": \"a\", \"address\": \"203.0.113.10\", \"port\": 80, \"table_size\": 101,"
		"    \"guards\": { \"min_active_backends\": 0 }, \"backends\": ["
		"    { \"name\": \"b1\", \"address\": \"198.51.100.11\", \"state\": \"%s\" } ] },"
		"  { \"name\": \"b\", \"address\": \"203.0.113.10\", \"port\": 443, \"table_size\": 101,"
		"    \"guards\": { \"min_active_backends\": 0 }, \"backends\": ["
		"    { \"name\": \"b2\", \"address\": \"198.51.100.12\", \"state\": \"%s\" } ] } ] }";
	static const struct {
		const char *a, *b;
		int act;
	} steps[] = { { "active", "down", XDP_TX },   { "drain", "down", XDP_PASS },
		      { "down", "drain", XDP_PASS },  { "down", "active", XDP_TX },
		      { "drain", "drain", XDP_PASS }, { "active", "active", XDP_TX } };
	const struct pkt_spec s = { .family = 4,
				    .src = "192.0.2.7",
				    .dst = "203.0.113.10",
				    .proto = IPPROTO_ICMP,
				    .sport = 1,
				    .dport = 2,
				    .payload = 16 };
	__u8 in[PKT_MAX], out[PKT_MAX];
	size_t in_len = pkt_build(&s, in), out_len;
	char cfg[2048];
	struct lbfix f;

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		snprintf(cfg, sizeof(cfg), fmt, steps[i].a, steps[i].b);
		if (!i)
			lbfix_open(&f, cfg);
		else
			cr_assert(eq(int, lbfix_apply(&f, cfg), 0), "reload %zu", i);
		cr_expect(eq(int, lbfix_run(&f, in, in_len, out, &out_len), steps[i].act),
			  "a %s, b %s", steps[i].a, steps[i].b);
		if (steps[i].act == XDP_TX)
			check_reply(in, in_len, out, out_len, steps[i].a);
		else
			cr_expect(eq(int, memcmp(out, in, in_len), 0), "passed frame changed");
	}
	lbfix_close(&f);
}

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The LB's ICMP (docs/datapath.md, "ICMP"): a VIP packet too big once
 * encapsulated is answered with a fragmentation needed (IPv4) or packet
 * too big (IPv6), rate-limited per CPU; an ICMP error to a VIP address
 * that quotes a packet of a VIP flow is encapsulated to that flow's
 * backend (conntrack first, on any CPU, then the Maglev table), writing
 * nothing into conntrack. Every reply is checked byte by byte against
 * the RFCs (792, 1191, 4443, 8200 8.1), with checksums recomputed here;
 * every steered error against the frame the encapsulation must make.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "lbfix.h"

extern const char *const DP_CONFIG;

#define TX_SLOT(kind) (XDPLB_CNT_REPLY_BASE + XDPLB_REPLY_##kind)
#define STEERED (XDPLB_CNT_ICMP_BASE + XDPLB_ICMP_STEERED)
#define PASSED (XDPLB_CNT_ICMP_BASE + XDPLB_ICMP_PASSED)
#define TOO_BIG_DROPS (XDPLB_CNT_DROP_BASE + XDPLB_DROP_TOO_BIG)

static __u16 get16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

static __u32 get32(const __u8 *p)
{
	return (__u32)get16(p) << 16 | get16(p + 2);
}

static void put16(__u8 *p, __u16 v)
{
	p[0] = (__u8)(v >> 8);
	p[1] = (__u8)v;
}

/* Exactly the slots a and b (if not 0) moved, by one each. */
static void expect_moved(struct lbfix *f, const struct lbfix_counters *before, __u32 a, __u32 b,
			 const char *what)
{
	struct lbfix_counters now = lbfix_counters(f);

	for (__u32 i = 0; i < XDPLB_GLOBAL_MAX; i++)
		cr_expect(eq(u64, now.v[i], before->v[i] + (i == a) + (b && i == b)),
			  "%s: global counter %u", what, i);
}

/* A config with "key": value added (before "conntrack_size"). */
static const char *with(const char *base, const char *kv, char *buf, size_t len)
{
	const char *at = strstr(base, "\"conntrack_size\"");

	cr_assert(not(eq(ptr, (void *)at, NULL)));
	snprintf(buf, len, "%.*s%s, %s", (int)(at - base), base, kv, at);
	return buf;
}

/* ---------------------------------------------------------- too big */

/* The ICMP error `out` answering the too-big frame `in`, field by field:
 * Ethernet back the way the frame came (MACs swapped, the same tag), from
 * the VIP to the client, quoting the first `quote` bytes of the packet,
 * the MTU field `mtu`. */
static void check_too_big(const __u8 *in, const __u8 *out, size_t out_len, __u32 mtu, size_t quote,
			  const char *what)
{
	size_t l2 = pkt_l3_off(in);
	const __u8 *iq = in + l2, *op = out + l2;
	int v4 = (iq[0] >> 4) == 4;
	size_t hl = v4 ? 20 : 40;
	const __u8 *ic = op + hl;

	cr_assert(eq(sz, out_len, l2 + hl + 8 + quote), "%s: length", what);
	cr_expect(eq(u8[6], (__u8 *)out, (__u8 *)in + 6), "%s: destination MAC", what);
	cr_expect(eq(u8[6], (__u8 *)out + 6, (__u8 *)in), "%s: source MAC", what);
	cr_expect(eq(int, memcmp(out + 12, in + 12, l2 - 12), 0), "%s: EtherType/tag", what);
	if (v4) {
		cr_expect(eq(u8, op[0], 0x45), "%s: version/IHL", what);
		cr_expect(eq(u8, op[1], 0xc0), "%s: TOS internetwork control", what);
		cr_expect(eq(u16, get16(op + 2), 576), "%s: 576 bytes in all", what);
		cr_expect(eq(u16, get16(op + 6), 0), "%s: no DF, not a fragment", what);
		cr_expect(eq(u8, op[8], 64), "%s: TTL", what);
		cr_expect(eq(u8, op[9], IPPROTO_ICMP), "%s: protocol", what);
		cr_expect(eq(int, memcmp(op + 12, iq + 16, 4), 0), "%s: source = the VIP", what);
		cr_expect(eq(int, memcmp(op + 16, iq + 12, 4), 0), "%s: destination = client",
			  what);
		cr_expect(eq(u16, csum(op, 20), 0), "%s: IPv4 header checksum", what);
		cr_expect(eq(u8, ic[0], 3), "%s: destination unreachable", what);
		cr_expect(eq(u8, ic[1], 4), "%s: fragmentation needed", what);
		cr_expect(eq(u16, get16(ic + 4), 0), "%s: unused", what);
		cr_expect(eq(u16, get16(ic + 6), mtu), "%s: next-hop MTU", what);
		cr_expect(eq(u16, csum(ic, 8 + quote), 0), "%s: ICMP checksum", what);
	} else {
		cr_expect(eq(u32, get32(op), 0x60000000), "%s: version, class 0, label 0", what);
		cr_expect(eq(u16, get16(op + 4), 8 + quote), "%s: payload length", what);
		cr_expect(eq(u8, op[6], IPPROTO_ICMPV6), "%s: next header", what);
		cr_expect(eq(u8, op[7], 64), "%s: hop limit", what);
		cr_expect(eq(int, memcmp(op + 8, iq + 24, 16), 0), "%s: source = the VIP", what);
		cr_expect(eq(int, memcmp(op + 24, iq + 8, 16), 0), "%s: destination = client",
			  what);
		cr_expect(eq(u8, ic[0], 2), "%s: packet too big", what);
		cr_expect(eq(u8, ic[1], 0), "%s: code", what);
		cr_expect(eq(u32, get32(ic + 4), mtu), "%s: MTU", what);
		cr_expect(eq(u16, pkt_icmp6_csum(op), 0), "%s: ICMPv6 checksum (pseudo-header)",
			  what);
	}
	cr_expect(eq(int, memcmp(ic + 8, iq, quote), 0), "%s: the quote", what);
}

struct too_big_case {
	const char *what, *vip;
	struct pkt_spec s;
	__u32 mtu; /* the error's MTU field */
	size_t quote;
	__u32 reply; /* counter slot */
};

#define CLIENT4 .family = 4, .src = "192.0.2.7", .proto = IPPROTO_TCP, .sport = 40000
#define CLIENT6 .family = 6, .src = "2001:db8:1::7", .proto = IPPROTO_TCP, .sport = 40000

static const struct too_big_case too_big_cases[] = {
	{ "IPv4 DF, 1481 bytes, IPv4 backend (IPIP adds 20)",
	  "web4",
	  { CLIENT4, .dst = "203.0.113.10", .dport = 80, .tcp_flags = TCPF_ACK, .payload = 1441,
	    .frag = 0x4000 },
	  1480,
	  548,
	  TX_SLOT(FRAG_NEEDED) },
	{ "IPv4 DF, 802.1Q, UDP",
	  "dns4",
	  { .family = 4,
	    .src = "192.0.2.8",
	    .proto = IPPROTO_UDP,
	    .sport = 5353,
	    .dst = "203.0.113.53",
	    .dport = 53,
	    .payload = 1460,
	    .frag = 0x4000,
	    .vlan_tpid = 0x8100,
	    .vlan_tci = 0x0064 },
	  1480,
	  548,
	  TX_SLOT(FRAG_NEEDED) },
	{ "IPv4 DF, 1461 bytes, IPv6 backend (4in6 adds 40)",
	  "v4on6",
	  { CLIENT4, .dst = "203.0.113.20", .dport = 8080, .tcp_flags = TCPF_ACK, .payload = 1421,
	    .frag = 0x4000 },
	  1460,
	  548,
	  TX_SLOT(FRAG_NEEDED) },
	{ "IPv4 DF in a padded frame: the padding is not quoted",
	  "web4",
	  { CLIENT4, .dst = "203.0.113.10", .dport = 80, .tcp_flags = TCPF_ACK, .payload = 1450,
	    .frag = 0x4000 },
	  1480,
	  548,
	  TX_SLOT(FRAG_NEEDED) },
	{ "IPv6, 1461 bytes, IPv6 backend",
	  "web6",
	  { CLIENT6, .dst = "2001:db8:10::80", .dport = 443, .tcp_flags = TCPF_ACK,
	    .payload = 1401 },
	  1460,
	  1232,
	  TX_SLOT(PACKET_TOO_BIG) },
	{ "IPv6, 1481 bytes, IPv4 backend (6in4 adds 20), 802.1ad",
	  "v6on4",
	  { CLIENT6, .dst = "2001:db8:10::20", .dport = 8080, .tcp_flags = TCPF_ACK,
	    .payload = 1421, .vlan_tpid = 0x88a8, .vlan_tci = 7 },
	  1480,
	  1232,
	  TX_SLOT(PACKET_TOO_BIG) },
};

Test(icmp, too_big_answered)
{
	struct lbfix f;

	lbfix_open(&f, DP_CONFIG);
	for (size_t i = 0; i < sizeof(too_big_cases) / sizeof(too_big_cases[0]); i++) {
		const struct too_big_case *c = &too_big_cases[i];
		__u8 in[PKT_MAX], out[PKT_MAX];
		size_t in_len = pkt_build(&c->s, in), out_len;
		struct xdplb_flow_key k = pkt_flow(&c->s);
		struct lbfix_counters before = lbfix_counters(&f);
		__u64 drops = lbfix_vip_stats(&f, c->vip).drops;
		struct flow_entry e[1];

		if (strstr(c->what, "padded")) /* 4 bytes of padding after the IP packet */
			memset(in + in_len, 0, 4), in_len += 4;
		cr_assert(eq(int, lbfix_run(&f, in, in_len, out, &out_len), XDP_TX), "%s", c->what);
		check_too_big(in, out, out_len, c->mtu, c->quote, c->what);
		expect_moved(&f, &before, XDP_TX, c->reply, c->what);
		cr_expect(eq(u64, lbfix_vip_stats(&f, c->vip).drops, drops + 1),
			  "%s: not delivered: a VIP drop", c->what);
		cr_expect(eq(int, lbfix_flows(&f, &k, e, 1), 0), "%s: no flow started", c->what);
	}
	lbfix_close(&f);
}

/* IPv6 backends need mtu >= 1280, IPv4 ones do not: an IPv6 packet too
 * big for mtu 1000 is told 1280 (the least an IPv6 link has), and one
 * shorter than 1232 bytes is quoted 512. */
Test(icmp, too_big_ipv6_never_below_1280)
{
	const char *cfg =
		"{ \"interface\": \"test0\", \"next_hop_mac\": \"02:00:00:00:00:01\","
		"  \"source_v4\": \"192.0.2.1\", \"mtu\": 1000, \"conntrack_size\": 4096, \"vips\": ["
		"  { \"name\": \"v6on4\", \"address\": \"2001:db8:10::20\", \"port\": 8080,"
		"    \"table_size\": 101, \"backends\": ["
		"    { \"name\": \"b64\", \"address\": \"198.51.100.41\" } ] } ] }";
	const struct pkt_spec s = { CLIENT6, .dst = "2001:db8:10::20", .dport = 8080,
				    .tcp_flags = TCPF_ACK, .payload = 940 };
	__u8 in[PKT_MAX], out[PKT_MAX];
	size_t in_len, out_len;
	struct lbfix f;

	lbfix_open(&f, cfg);
	in_len = pkt_build(&s, in); /* 1000 bytes of IPv6 + 20 > 1000 */
	cr_assert(eq(int, lbfix_run(&f, in, in_len, out, &out_len), XDP_TX));
	check_too_big(in, out, out_len, 1280, 512, "mtu 1000");
	lbfix_close(&f);
}

/* IPv4 without DF asked to be fragmented, which XDP cannot do: dropped
 * and counted, never answered. So is everything while icmp_rate is 0. */
Test(icmp, too_big_dropped_without_df_or_rate)
{
	const struct pkt_spec nodf = { CLIENT4, .dst = "203.0.113.10", .dport = 80,
				       .tcp_flags = TCPF_ACK, .payload = 1441 };
	char cfg[8192];
	__u8 in[PKT_MAX], out[PKT_MAX];
	size_t in_len, out_len;
	struct lbfix f;

	lbfix_open(&f, DP_CONFIG);
	in_len = pkt_build(&nodf, in);
	struct lbfix_counters before = lbfix_counters(&f);

	cr_expect(eq(int, lbfix_run(&f, in, in_len, out, &out_len), XDP_DROP));
	expect_moved(&f, &before, XDP_DROP, TOO_BIG_DROPS, "no DF");
	lbfix_close(&f);

	lbfix_open(&f, with(DP_CONFIG, "\"icmp_rate\": 0", cfg, sizeof(cfg)));
	for (size_t i = 0; i < sizeof(too_big_cases) / sizeof(too_big_cases[0]); i++) {
		in_len = pkt_build(&too_big_cases[i].s, in);
		before = lbfix_counters(&f);
		cr_expect(eq(int, lbfix_run(&f, in, in_len, out, &out_len), XDP_DROP), "%s",
			  too_big_cases[i].what);
		expect_moved(&f, &before, XDP_DROP, TOO_BIG_DROPS, too_big_cases[i].what);
	}
	lbfix_close(&f);
}

/* icmp_rate 3: at most 3 errors in a second's window of a CPU, the rest
 * dropped as too_big. The window is the program's (jiffies / HZ); a burst
 * may straddle two, so the rule is checked per window. */
Test(icmp, too_big_rate_limited_per_cpu)
{
	const struct pkt_spec *s = &too_big_cases[0].s;
	__u8 in[PKT_MAX], out[PKT_MAX];
	size_t in_len = pkt_build(s, in), out_len;
	__u64 win = 0, sent_in_win = 0, dropped = 0;
	char cfg[8192];
	struct lbfix f;

	lbfix_open(&f, with(DP_CONFIG, "\"icmp_rate\": 3", cfg, sizeof(cfg)));
	for (int i = 0; i < 10; i++) {
		int act = lbfix_run(&f, in, in_len, out, &out_len);
		__u64 w = lbfix_global(&f, XDPLB_SLOT_ICMP_WINDOW);

		if (w != win) {
			cr_expect(sent_in_win <= 3 && (!dropped || sent_in_win == 3),
				  "window %llu: %llu sent, %llu dropped", (unsigned long long)win,
				  (unsigned long long)sent_in_win, (unsigned long long)dropped);
			win = w;
			sent_in_win = dropped = 0;
		}
		cr_assert(act == XDP_TX || act == XDP_DROP);
		if (act == XDP_TX)
			sent_in_win++;
		else
			dropped++;
	}
	cr_expect(eq(u64, sent_in_win, 3), "the last window: 3 sent");
	cr_expect(ge(u64, dropped, 1), "and the rest dropped");
	cr_expect(eq(u64, lbfix_global(&f, TX_SLOT(FRAG_NEEDED)) + lbfix_global(&f, TOO_BIG_DROPS),
		     10));
	lbfix_close(&f);
}

/* ----------------------------------------------------------- steering */

/* An ICMP error from a router on the way to the client, to the VIP,
 * quoting the first `quote` bytes of `quoted` (a packet the VIP sent).
 * IPv4: type/code, next-hop MTU; IPv6: type/code, MTU. Returns its length. */
static size_t error_frame(const struct pkt_spec *quoted, __u8 type, __u8 code, __u32 mtu,
			  size_t quote, __u8 *buf)
{
	__u8 q[PKT_MAX];
	size_t ql = pkt_build(quoted, q), l2 = pkt_l3_off(q), hl, n;
	int v4 = quoted->family == 4;
	__u8 *ip, *ic;

	ql -= l2;
	if (quote > ql)
		quote = ql;
	/* Ethernet from the router to the LB, as pkt_build() makes it */
	const struct pkt_spec carrier = { .family = quoted->family,
					  .src = v4 ? "198.51.100.254" : "2001:db8:1::fe",
					  .dst = quoted->src,
					  .proto = v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6,
					  .payload = (__u16)(quote - 0),
					  .has_icmp_type = 1,
					  .icmp_type = type,
					  .icmp_code = code };
	n = pkt_build(&carrier, buf);
	ip = buf + l2;
	hl = v4 ? 20 : 40;
	ic = ip + hl;
	memcpy(ic + 8, q + l2, quote);
	ic[4] = ic[5] = 0;
	if (v4)
		put16(ic + 6, (__u16)mtu);
	else
		put16(ic + 4, (__u16)(mtu >> 16)), put16(ic + 6, (__u16)mtu);
	ic[2] = ic[3] = 0;
	/* sums of native 16-bit loads, as set_hops() in test_echo.c: stored as
	 * they are; with a zero checksum field, the value to put there */
	memcpy(ic + 2, &(__u16){ v4 ? csum(ic, 8 + quote) : pkt_icmp6_csum(ip) }, 2);
	cr_assert(eq(u16, v4 ? csum(ic, 8 + quote) : pkt_icmp6_csum(ip), 0), "error's checksum");
	return n;
}

/* What the VIP sends to the client of flow s (addresses, ports swapped). */
static struct pkt_spec reply_of(const struct pkt_spec *s, __u16 payload)
{
	struct pkt_spec r = *s;

	r.src = s->dst;
	r.dst = s->src;
	r.sport = s->dport;
	r.dport = s->sport;
	r.tcp_flags = s->proto == IPPROTO_TCP ? TCPF_ACK : 0;
	r.payload = payload;
	r.frag = s->family == 4 ? 0x4000 : 0;
	r.vlan_tpid = 0;
	return r;
}

/* The frame `out` is `in` encapsulated to backend `be` with the flow's
 * hash (the outer header that the flow's own packets get). */
static void check_steered(struct lbfix *f, const struct pkt_spec *flow, const char *be,
			  const __u8 *in, size_t in_len, const __u8 *out, size_t out_len,
			  const char *what)
{
	struct xdplb_flow_key k = pkt_flow(flow);
	const struct cfg_backend *b = lbfix_dest(f, out);
	struct encap_want w = { 0 };
	__u8 exp[PKT_MAX];
	size_t exp_len;
	char diff[96];

	cr_assert(not(eq(ptr, (void *)b, NULL)), "%s: to no backend", what);
	cr_expect(eq(str, (char *)b->name, (char *)be), "%s: to the flow's backend", what);
	w.backend_family = b->family;
	w.backend = b->addr;
	w.src = b->family == XDPLB_AF_INET ? f->c.cfg.src_v4 : f->c.cfg.src_v6;
	w.flow_hash = lbfix_encap_hash(f, &k);
	exp_len = pkt_expect_encap(in, in_len, &w, out, exp);
	cr_expect(eq(str, (char *)pkt_diff(out, out_len, exp, exp_len, diff, sizeof(diff)), ""),
		  "%s: the encapsulated error differs", what);
}

/* web4 with be1..be3; a source port whose new flow goes to `want`. */
static const char *STEER_CONFIG(const char *be1_state, char *buf, size_t len)
{
	snprintf(
		buf, len,
		"{ \"interface\": \"test0\", \"next_hop_mac\": \"02:00:00:00:00:01\","
		"  \"source_v4\": \"192.0.2.1\", \"source_v6\": \"2001:db8::1\","
		"  \"conntrack_size\": 65536, \"guards\": { \"max_backend_share\": 1 }, \"vips\": ["
		"  { \"name\": \"web4\", \"address\": \"203.0.113.10\", \"port\": 80,"
		"    \"table_size\": 1009, \"backends\": ["
		"    { \"name\": \"be1\", \"address\": \"198.51.100.11\", \"state\": \"%s\" },"
		"    { \"name\": \"be2\", \"address\": \"198.51.100.12\" },"
		"    { \"name\": \"be3\", \"address\": \"198.51.100.13\" } ] },"
		"  { \"name\": \"web6\", \"address\": \"2001:db8:10::80\", \"port\": 443,"
		"    \"table_size\": 1009, \"backends\": ["
		"    { \"name\": \"w6a\", \"address\": \"2001:db8:20::11\", \"state\": \"%s\" },"
		"    { \"name\": \"w6b\", \"address\": \"2001:db8:20::12\" } ] } ] }",
		be1_state, be1_state);
	return buf;
}

static struct pkt_spec client_flow(int family, __u16 sport, __u8 flags)
{
	return (struct pkt_spec){ .family = family,
				  .src = family == 4 ? "192.0.2.77" : "2001:db8:1::77",
				  .dst = family == 4 ? "203.0.113.10" : "2001:db8:10::80",
				  .proto = IPPROTO_TCP,
				  .sport = sport,
				  .dport = family == 4 ? 80 : 443,
				  .tcp_flags = flags,
				  .payload = 20 };
}

struct steer_case {
	int family;
	const char *vip, *first; /* the VIP, and the backend the flow starts on */
	__u8 type, code;
	__u32 mtu;
	const char *what;
};

static const struct steer_case steer_cases[] = {
	{ 4, "web4", "be1", 3, 4, 1400, "IPv4 fragmentation needed" },
	{ 4, "web4", "be1", 11, 0, 0, "IPv4 time exceeded" },
	{ 4, "web4", "be1", 3, 1, 0, "IPv4 host unreachable" },
	{ 6, "web6", "w6a", 2, 0, 1400, "ICMPv6 packet too big" },
	{ 6, "web6", "w6a", 1, 4, 0, "ICMPv6 port unreachable" },
	{ 6, "web6", "w6a", 3, 0, 0, "ICMPv6 time exceeded" },
};

/* A flow starts on be1 (w6a); the config then drains be1, so the Maglev
 * table no longer names it: an error about the flow still goes to be1,
 * found in conntrack (on the flow's CPU or, when the error comes in on
 * another, on that one), and conntrack is left as it was. An error about
 * a flow conntrack does not know goes where the table sends the flow. */
static void steer_case(const struct steer_case *c, int other_cpu)
{
	char a[4096], b[4096];
	struct lbfix f;
	struct flow_entry e[XDPLB_CT_MAX_CPUS], e2[XDPLB_CT_MAX_CPUS];
	__u8 in[PKT_MAX], out[PKT_MAX];
	size_t in_len, out_len;
	__u16 p;
	int n;

	lbfix_open(&f, STEER_CONFIG("active", a, sizeof(a)));
	p = lbfix_port_to(&f, client_flow(c->family, 0, TCPF_SYN), c->first);
	struct pkt_spec syn = client_flow(c->family, p, TCPF_SYN);
	struct pkt_spec back = reply_of(&syn, 1400);
	struct xdplb_flow_key k = pkt_flow(&syn);

	if (other_cpu)
		cr_assert(eq(int, lbfix_pin_cpu(1), 0));
	in_len = pkt_build(&syn, in);
	cr_assert(eq(int, lbfix_run(&f, in, in_len, out, &out_len), XDP_TX));
	cr_assert(eq(str, (char *)lbfix_dest(&f, out)->name, (char *)c->first));
	cr_assert(eq(int, lbfix_apply(&f, STEER_CONFIG("drain", b, sizeof(b))), 0));
	cr_assert(not(eq(str, (char *)lbfix_pick(&f, &k)->name, (char *)c->first)),
		  "precondition: the table no longer names the flow's backend");
	if (other_cpu)
		cr_assert(eq(int, lbfix_pin_cpu(0), 0));
	n = lbfix_flows(&f, &k, e, XDPLB_CT_MAX_CPUS);
	cr_assert(eq(int, n, 1));

	in_len = error_frame(&back, c->type, c->code, c->mtu, c->family == 4 ? 548 : 1232, in);
	struct lbfix_counters before = lbfix_counters(&f);
	struct xdplb_be_stats bs = lbfix_be_stats(&f, c->vip, c->first);

	cr_assert(eq(int, lbfix_run(&f, in, in_len, out, &out_len), XDP_TX), "%s", c->what);
	check_steered(&f, &syn, c->first, in, in_len, out, out_len, c->what);
	expect_moved(&f, &before, XDP_TX, STEERED, c->what);
	cr_expect(eq(u64, lbfix_be_stats(&f, c->vip, c->first).packets, bs.packets + 1));
	cr_expect(eq(u64, lbfix_be_stats(&f, c->vip, c->first).new_flows, bs.new_flows));
	/* conntrack as it was: no copy on this CPU, nothing marked */
	cr_expect(eq(int, lbfix_flows(&f, &k, e2, XDPLB_CT_MAX_CPUS), 1), "%s: entries", c->what);
	cr_expect(eq(u32, e2[0].cpu, e[0].cpu));
	cr_expect(eq(int, e2[0].est, e[0].est), "%s: marked established", c->what);

	/* a flow conntrack does not know: the table's backend */
	struct pkt_spec other = client_flow(c->family, (__u16)(p + 1), TCPF_ACK);
	struct pkt_spec other_back = reply_of(&other, 100);
	struct xdplb_flow_key ko = pkt_flow(&other);
	__u64 ct = lbfix_ct_count(&f);

	in_len = error_frame(&other_back, c->type, c->code, c->mtu, 548, in);
	cr_assert(eq(int, lbfix_run(&f, in, in_len, out, &out_len), XDP_TX), "%s", c->what);
	check_steered(&f, &other, lbfix_pick(&f, &ko)->name, in, in_len, out, out_len, c->what);
	cr_expect(eq(u64, lbfix_ct_count(&f), ct), "%s: the error started a flow", c->what);
	lbfix_close(&f);
}

Test(icmp, errors_follow_their_flow)
{
	for (size_t i = 0; i < sizeof(steer_cases) / sizeof(steer_cases[0]); i++)
		steer_case(&steer_cases[i], 0);
}

/* RSS hashes the router's packet, not the flow: the error may come in on
 * another CPU than the flow's. It finds the flow there, and copies
 * nothing. */
Test(icmp, errors_follow_their_flow_across_cpus)
{
	if (libbpf_num_possible_cpus() < 2 || lbfix_pin_cpu(1))
		cr_skip_test("needs two CPUs");
	lbfix_pin_cpu(0);
	steer_case(&steer_cases[0], 1);
	steer_case(&steer_cases[3], 1);
}

/* Errors that quote no packet of a VIP flow are passed untouched and
 * counted: a quote whose source is not the VIP the error is addressed to
 * (someone else's packet), a port no VIP has, a quote too short for the
 * ports, an informational type, an error to a VIP address of a flow that
 * is not TCP/UDP. */
Test(icmp, errors_about_no_vip_flow_passed)
{
	char a[4096];
	struct lbfix f;
	__u8 in[PKT_MAX], out[PKT_MAX];
	size_t in_len, out_len;
	struct pkt_spec flow = client_flow(4, 40000, TCPF_ACK);
	struct pkt_spec back = reply_of(&flow, 100);

	lbfix_open(&f, STEER_CONFIG("active", a, sizeof(a)));
	struct {
		const char *what;
		struct pkt_spec q;
		__u8 type;
		size_t quote;
	} cases[] = {
		{ "the quote is from another address", back, 3, 548 },
		{ "a port no VIP has", back, 3, 548 },
		{ "a quote of 22 bytes: no ports", back, 3, 22 },
		{ "a redirect (type 5)", back, 5, 548 },
	};

	cases[0].q.src = "203.0.113.11";
	cases[1].q.sport = 81;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct lbfix_counters before = lbfix_counters(&f);

		in_len = error_frame(&cases[i].q, cases[i].type, 0, 0, cases[i].quote, in);
		/* always to the VIP address: the carrier's destination */
		if (i == 0)
			memcpy(in + pkt_l3_off(in) + 16, (__u8[]){ 203, 0, 113, 10 }, 4),
				memset(in + pkt_l3_off(in) + 10, 0, 2),
				memcpy(in + pkt_l3_off(in) + 10,
				       &(__u16){ csum(in + pkt_l3_off(in), 20) }, 2);
		cr_expect(eq(int, lbfix_run(&f, in, in_len, out, &out_len), XDP_PASS), "%s",
			  cases[i].what);
		cr_expect(eq(int, memcmp(out, in, in_len), 0), "%s: changed", cases[i].what);
		expect_moved(&f, &before, XDP_PASS, PASSED, cases[i].what);
	}
	lbfix_close(&f);
}

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The health-check tunnel (bpf/hc.bpf.c) on the LB's own maps, filled by
 * the loader library (lbfix), through BPF_PROG_TEST_RUN with skb->mark
 * set: a probe leaves wrapped exactly as the XDP program wraps a client's
 * packet with the same 5-tuple to the same backend (compared byte for
 * byte with the XDP program's output and with the frame pkt.c builds from
 * the RFCs), every outer field checked on its own too; unmarked and
 * foreign-marked packets leave untouched; a tagged packet that cannot go
 * to its backend is dropped, never passed; the counters say which.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <netinet/in.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "hc.skel.h"

#include "addr.h"
#include "hc_tunnel.h"
#include "lbfix.h"
#include "maps.h"
#include "xdplb_hash.h"

extern const char *const DP_CONFIG;

/* Sources given as prefixes: the host bits come from the flow hash, so the
 * probe's outer source must be the one a client flow would get. */
static const char *const PREFIX_CONFIG =
	"{ \"interface\": \"test0\", \"next_hop_mac\": \"02:00:00:00:00:01\","
	"  \"source_v4\": \"192.0.2.16/28\", \"source_v6\": \"2001:db8::100/120\","
	"  \"hash_seed\": \"0x5eed\", \"conntrack_size\": 4096, \"vips\": ["
	"  { \"name\": \"web4\", \"address\": \"203.0.113.10\", \"port\": 80, \"backends\": ["
	"    { \"name\": \"be1\", \"address\": \"198.51.100.11\" },"
	"    { \"name\": \"be2\", \"address\": \"198.51.100.12\" } ] },"
	"  { \"name\": \"web6\", \"address\": \"2001:db8:10::80\", \"port\": 443, \"table_size\": 1009,"
	"    \"backends\": [ { \"name\": \"w6a\", \"address\": \"2001:db8:20::11\" } ] },"
	"  { \"name\": \"v4on6\", \"address\": \"203.0.113.20\", \"port\": 8080, \"table_size\": 1009,"
	"    \"backends\": [ { \"name\": \"b46\", \"address\": \"2001:db8:20::31\" } ] },"
	"  { \"name\": \"v6on4\", \"address\": \"2001:db8:10::20\", \"port\": 8080, \"table_size\": 1009,"
	"    \"backends\": [ { \"name\": \"b64\", \"address\": \"198.51.100.41\" } ] } ] }";

#define TC_PASS_ON ((__u32)TC_ACT_UNSPEC) /* what the program returns for "go on" */

static struct lbfix f;
static struct hc_bpf *hc;

static void open_with(const char *config)
{
	lbfix_open(&f, config);
	cr_assert(hc_tunnel_open(&f.m, -1, &hc) == 0, "loading hc.bpf.c on the LB's maps");
}

static void hc_setup(void)
{
	open_with(DP_CONFIG);
}

static void hc_teardown(void)
{
	hc_bpf__destroy(hc);
	hc = NULL;
	lbfix_close(&f);
}

/* One frame through the tc program with skb->mark = mark: the return
 * code, the frame out. */
static __u32 run_hc(const __u8 *in, size_t len, __u32 mark, __u8 *out, size_t *out_len)
{
	struct __sk_buff ctx = { .mark = mark };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = (__u32)len,
		    .data_out = out, .data_size_out = PKT_MAX, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);
	int err = bpf_prog_test_run_opts(bpf_program__fd(hc->progs.xdplb_hc), &o);

	cr_assert(err == 0, "BPF_PROG_TEST_RUN: %s", strerror(errno));
	*out_len = o.data_size_out;
	return o.retval;
}

static __u64 hc_counter(__u32 idx)
{
	__u64 v = 0;

	cr_assert(maps_sum_percpu(bpf_map__fd(hc->maps.hc_stats), idx, &v, 1) == 0);
	return v;
}

/* The frame as the LB's stack hands it to the egress hook: from the LB's
 * MAC to the gateway's (not necessarily next_hop_mac). */
static size_t egress_frame(const struct pkt_spec *s, __u8 *buf)
{
	static const __u8 gw[6] = { 0x02, 0, 0, 0, 0, 0xee };
	size_t n = pkt_build(s, buf);

	memcpy(buf, gw, 6);
	memcpy(buf + 6, LB_MAC, 6);
	return n;
}

static __u32 mark_of(const char *vip, const char *backend)
{
	int id = lbfix_backend_id(&f, vip, backend);
	__u32 mark;

	cr_assert(id >= 0, "no live backend %s/%s", vip, backend);
	cr_assert(hc_tunnel_mark((__u32)id, &mark) == 0);
	return mark;
}

static struct xdplb_addr outer_src(int backend_family, __u32 hash)
{
	struct xdplb_addr a = backend_family == 4 ? f.c.cfg.src_v4 : f.c.cfg.src_v6;
	struct xdplb_ctl c;
	__u32 zero = 0;

	cr_assert(bpf_map_lookup_elem(LB_FD(&f.m, ctl), &zero, &c) == 0);
	if (backend_family == 4)
		a.v4 |= hash & c.bank[xdplb_active_bank(&c)].src_v4_hostmask;
	else
		a.v6[3] |= hash & c.bank[xdplb_active_bank(&c)].src_v6_hostmask;
	return a;
}

/* ------------------------------------------------------------ probes */

struct probe_case {
	const char *desc;
	struct pkt_spec s;
};

#define TCP_TO(from, to, port, flags)                                                \
	.src = from, .dst = to, .proto = IPPROTO_TCP, .sport = 41000, .dport = port, \
	.tcp_flags = flags
#define TCP_SYN(from, to, port) TCP_TO(from, to, port, TCPF_SYN)
static const struct probe_case probes[] = {
	{ "IPv4 VIP, IPv4 backend: IPIP",
	  { 4, TCP_SYN("192.0.2.1", "203.0.113.10", 80), .frag = 0x4000 } },
	{ "IPv6 VIP, IPv6 backend: IPv6-in-IPv6",
	  { 6, TCP_SYN("2001:db8::1", "2001:db8:10::80", 443) } },
	{ "IPv4 VIP, IPv6 backend: 4in6",
	  { 4, TCP_SYN("192.0.2.1", "203.0.113.20", 8080), .frag = 0x4000 } },
	{ "IPv6 VIP, IPv4 backend: 6in4", { 6, TCP_SYN("2001:db8::1", "2001:db8:10::20", 8080) } },
	{ "an HTTP request with payload, TOS 0xb8",
	  { 4, TCP_TO("192.0.2.1", "203.0.113.10", 80, TCPF_ACK | TCPF_PSH), .payload = 300,
	    .tos = 0xb8, .frag = 0x4000 } },
};

/* For each probe: the backend the LB's table gives its 5-tuple, the XDP
 * program's frame for it as a client packet, and the tc program's frame
 * for it as a probe marked for that backend: the same bytes, and those of
 * the frame built from the RFCs. */
static void probe_equals_client_packet(void)
{
	__u8 in[PKT_MAX], eg[PKT_MAX], xdp_out[PKT_MAX], hc_out[PKT_MAX], want[PKT_MAX];
	char diff[128];

	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		const struct probe_case *pc = &probes[i];
		struct xdplb_flow_key k = pkt_flow(&pc->s);
		const struct cfg_backend *be = lbfix_pick(&f, &k);
		size_t in_len = pkt_build(&pc->s, in), eg_len = egress_frame(&pc->s, eg);
		size_t xdp_len, hc_len, want_len;
		__u64 encap0 = hc_counter(XDPLB_HC_ENCAP);
		struct encap_want w = { 0 };
		__u32 id, mark;

		cr_assert(be != NULL, "%s: the table has no backend", pc->desc);
		cr_assert(eq(int, lbfix_run(&f, in, in_len, xdp_out, &xdp_len), XDP_TX), "%s: XDP",
			  pc->desc);
		id = (__u32)lbfix_backend_id(&f, f.c.cfg.vips[lbfix_vip_of(&f, &k)].name, be->name);
		cr_assert(hc_tunnel_mark(id, &mark) == 0);
		cr_assert(eq(u32, run_hc(eg, eg_len, mark, hc_out, &hc_len), TC_PASS_ON),
			  "%s: the probe goes on", pc->desc);
		cr_expect(eq(str,
			     (char *)pkt_diff(hc_out, hc_len, xdp_out, xdp_len, diff, sizeof(diff)),
			     ""),
			  "%s (to %s): the probe differs from the client packet", pc->desc,
			  be->name);

		w.backend_family = be->family == XDPLB_AF_INET ? 4 : 6;
		w.backend = be->addr;
		w.flow_hash = lbfix_encap_hash(&f, &k);
		w.src = outer_src(w.backend_family, w.flow_hash);
		want_len = pkt_expect_encap(in, in_len, &w, hc_out, want);
		cr_expect(eq(str,
			     (char *)pkt_diff(hc_out, hc_len, want, want_len, diff, sizeof(diff)),
			     ""),
			  "%s: the probe differs from the RFCs' frame", pc->desc);
		cr_expect(eq(u64, hc_counter(XDPLB_HC_ENCAP), encap0 + 1), "%s: counted", pc->desc);
	}
}

Test(hc_tunnel, probe_equals_client_packet, .init = hc_setup, .fini = hc_teardown)
{
	probe_equals_client_packet();
}

Test(hc_tunnel, probe_equals_client_packet_source_prefix, .fini = hc_teardown)
{
	open_with(PREFIX_CONFIG);
	probe_equals_client_packet();
}

static __u16 get16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

/* IPIP, field by field, with and without DF. */
Test(hc_tunnel, ipv4_outer_fields, .init = hc_setup, .fini = hc_teardown)
{
	__u8 in[PKT_MAX], out[PKT_MAX];
	__u32 mark = mark_of("web4", "be2");

	for (int df = 0; df <= 1; df++) {
		struct pkt_spec s = { 4, TCP_SYN("192.0.2.1", "203.0.113.10", 80), .payload = 20,
				      .tos = 0x2d, .frag = df ? 0x4000 : 0 };
		size_t len = egress_frame(&s, in), out_len;
		const __u8 *o = out + 14;

		cr_assert(eq(u32, run_hc(in, len, mark, out, &out_len), TC_PASS_ON));
		cr_assert(eq(sz, out_len, len + 20));
		cr_expect(eq(int, memcmp(out, NEXT_HOP_MAC, 6), 0),
			  "Ethernet destination: next_hop_mac");
		cr_expect(eq(int, memcmp(out + 6, LB_MAC, 6), 0), "Ethernet source: the LB's MAC");
		cr_expect(eq(u16, get16(out + 12), 0x0800));
		cr_expect(eq(u8, o[0], 0x45), "version 4, IHL 5");
		cr_expect(eq(u8, o[1], 0x2d), "TOS from the inner header");
		cr_expect(eq(u16, get16(o + 2), len - 14 + 20), "total length");
		cr_expect(eq(u16, get16(o + 6), df ? 0x4000 : 0), "DF from the inner header");
		if (df)
			cr_expect(eq(u16, get16(o + 4), 0), "ID 0 with DF");
		cr_expect(eq(u8, o[8], 64), "TTL");
		cr_expect(eq(u8, o[9], 4), "protocol IPIP");
		cr_expect(eq(u16, csum(o, 20), 0), "header checksum");
		cr_expect(eq(int, memcmp(o + 12, (__u8[]){ 192, 0, 2, 1 }, 4), 0), "source_v4");
		cr_expect(eq(int, memcmp(o + 16, (__u8[]){ 198, 51, 100, 12 }, 4), 0), "be2");
		cr_expect(eq(int, memcmp(o + 20, in + 14, len - 14), 0), "inner packet unchanged");
	}
}

/* IPv6-in-IPv6 and 4in6, field by field. */
Test(hc_tunnel, ipv6_outer_fields, .init = hc_setup, .fini = hc_teardown)
{
	const struct {
		struct pkt_spec s;
		const char *vip, *be, *be_addr;
		__u8 nexthdr;
	} c[] = {
		{ { 6, TCP_SYN("2001:db8::1", "2001:db8:10::80", 443), .tos = 0xa1 },
		  "web6",
		  "w6b",
		  "2001:db8:20::12",
		  41 },
		{ { 4, TCP_SYN("192.0.2.1", "203.0.113.20", 8080), .tos = 0x10, .payload = 7 },
		  "v4on6",
		  "b46",
		  "2001:db8:20::31",
		  4 },
	};
	__u8 in[PKT_MAX], out[PKT_MAX];

	for (size_t i = 0; i < 2; i++) {
		struct xdplb_flow_key k = pkt_flow(&c[i].s);
		__u32 label = lbfix_encap_hash(&f, &k) & 0xfffff;
		size_t len = egress_frame(&c[i].s, in), out_len;
		const __u8 *o = out + 14;
		__u8 src[16], dst[16];

		cr_assert(eq(u32, run_hc(in, len, mark_of(c[i].vip, c[i].be), out, &out_len),
			     TC_PASS_ON));
		cr_assert(eq(sz, out_len, len + 40));
		cr_expect(eq(int, memcmp(out, NEXT_HOP_MAC, 6), 0));
		cr_expect(eq(u16, get16(out + 12), 0x86dd), "EtherType IPv6");
		cr_expect(eq(u8, o[0] >> 4, 6), "version 6");
		cr_expect(eq(u8, (__u8)((o[0] & 0xf) << 4 | o[1] >> 4), c[i].s.tos),
			  "traffic class from the inner header");
		cr_expect(eq(u32, (__u32)(o[1] & 0xf) << 16 | get16(o + 2), label),
			  "flow label from the flow hash");
		cr_expect(eq(u16, get16(o + 4), len - 14), "payload length = the inner packet");
		cr_expect(eq(u8, o[6], c[i].nexthdr), "next header");
		cr_expect(eq(u8, o[7], 64), "hop limit");
		inet_pton(AF_INET6, "2001:db8::1", src);
		inet_pton(AF_INET6, c[i].be_addr, dst);
		cr_expect(eq(int, memcmp(o + 8, src, 16), 0), "source_v6");
		cr_expect(eq(int, memcmp(o + 24, dst, 16), 0), "the backend");
		cr_expect(eq(int, memcmp(o + 40, in + 14, len - 14), 0), "inner packet unchanged");
	}
}

/* ------------------------------------------------------------ not probes */

Test(hc_tunnel, unmarked_and_foreign_marks_untouched, .init = hc_setup, .fini = hc_teardown)
{
	__u32 id = (__u32)lbfix_backend_id(&f, "web4", "be1");
	const __u32 marks[] = {
		0,
		1,
		0x4000, /* kube-proxy's masquerade bit */
		id, /* the id without the tag */
		(XDPLB_HC_MARK_TAG ^ 0x80000000u) | id, /* one tag bit off */
		(XDPLB_HC_MARK_TAG ^ 0x00040000u) | id, /* the lowest tag bit off */
		0xffffffffu,
	};
	struct pkt_spec specs[] = {
		{ 4, TCP_SYN("192.0.2.1", "203.0.113.10", 80) },
		{ 6, TCP_SYN("2001:db8::1", "2001:db8:10::80", 443) },
		{ 4, .ethertype = 0x0806 },
	};
	__u8 in[PKT_MAX], out[PKT_MAX];
	__u64 pass0 = hc_counter(XDPLB_HC_PASS);
	char diff[128];
	int runs = 0;

	for (size_t s = 0; s < sizeof(specs) / sizeof(specs[0]); s++) {
		size_t len = egress_frame(&specs[s], in), out_len;

		for (size_t m = 0; m < sizeof(marks) / sizeof(marks[0]); m++, runs++) {
			cr_expect(eq(u32, run_hc(in, len, marks[m], out, &out_len), TC_PASS_ON),
				  "mark 0x%x goes on", marks[m]);
			cr_expect(eq(str,
				     (char *)pkt_diff(out, out_len, in, len, diff, sizeof(diff)),
				     ""),
				  "mark 0x%x: untouched", marks[m]);
		}
	}
	cr_expect(eq(u64, hc_counter(XDPLB_HC_PASS), pass0 + (__u64)runs));
	cr_expect(eq(u64, hc_counter(XDPLB_HC_ENCAP), 0));
}

/* This host's unmarked RSTs to a VIP address (a probe's late packet found
 * no socket) are dropped and counted; other RSTs, and other packets to a
 * VIP, go on untouched. */
Test(hc_tunnel, stray_rst_to_vip_dropped, .init = hc_setup, .fini = hc_teardown)
{
	static const struct {
		struct pkt_spec s;
		__u32 want;
	} cases[] = {
		{ { 4, TCP_TO("192.0.2.1", "203.0.113.10", 80, TCPF_RST) }, TC_ACT_SHOT },
		{ { 4, TCP_TO("192.0.2.1", "203.0.113.10", 80, TCPF_RST | TCPF_ACK) },
		  TC_ACT_SHOT },
		/* another port of a VIP address: the same stray */
		{ { 4, TCP_TO("192.0.2.1", "203.0.113.10", 8443, TCPF_RST) }, TC_ACT_SHOT },
		{ { 6, TCP_TO("2001:db8::1", "2001:db8:10::80", 443, TCPF_RST) }, TC_ACT_SHOT },
		{ { 4, TCP_TO("192.0.2.1", "198.51.100.99", 80, TCPF_RST) }, TC_PASS_ON },
		{ { 6, TCP_TO("2001:db8::1", "2001:db8:20::99", 443, TCPF_RST) }, TC_PASS_ON },
		{ { 4, TCP_TO("192.0.2.1", "203.0.113.10", 80, TCPF_ACK) }, TC_PASS_ON },
		{ { 6, TCP_TO("2001:db8::1", "2001:db8:10::80", 443, TCPF_ACK | TCPF_PSH) },
		  TC_PASS_ON },
	};
	__u8 in[PKT_MAX], out[PKT_MAX];
	__u64 stray0 = hc_counter(XDPLB_HC_STRAY_RST), drops = 0;
	size_t out_len;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = egress_frame(&cases[i].s, in);

		cr_expect(eq(u32, run_hc(in, len, 0, out, &out_len), cases[i].want),
			  "case %zu: %s to %s flags 0x%x", i, cases[i].s.src, cases[i].s.dst,
			  cases[i].s.tcp_flags);
		drops += cases[i].want == TC_ACT_SHOT;
	}
	cr_expect(eq(u64, hc_counter(XDPLB_HC_STRAY_RST), stray0 + drops));
	cr_expect(eq(u64, hc_counter(XDPLB_HC_ENCAP), 0));
}

/* A probe that cannot reach its backend is dropped: passed, it would go to
 * the VIP through the LB and be answered by whichever backend Maglev
 * picks. A draining or down backend is still probed. */
Test(hc_tunnel, only_live_backend_ids, .init = hc_setup, .fini = hc_teardown)
{
	struct pkt_spec s = { 4, TCP_SYN("192.0.2.1", "203.0.113.40", 80) };
	__u8 in[PKT_MAX], out[PKT_MAX];
	size_t len = egress_frame(&s, in), out_len;
	__u32 m2 = (__u32)lbfix_backend_id(&f, "maint", "m2"), mark;
	char cfg[8192], *p, *from, *to;

	cr_expect(eq(u32, run_hc(in, len, mark_of("maint", "m1"), out, &out_len), TC_PASS_ON),
		  "draining m1: probed");
	cr_expect(eq(u32, run_hc(in, len, mark_of("maint", "m2"), out, &out_len), TC_PASS_ON),
		  "down m2: probed");
	cr_expect(eq(u64, hc_counter(XDPLB_HC_ENCAP), 2));

	cr_assert(hc_tunnel_mark(XDPLB_MAX_BACKENDS - 1, &mark) == 0);
	cr_expect(eq(u32, run_hc(in, len, mark, out, &out_len), (__u32)TC_ACT_SHOT),
		  "an id never handed out: dropped");
	cr_expect(eq(u64, hc_counter(XDPLB_HC_NO_BACKEND), 1));

	/* m2 removed by a reload: NONE in the active bank */
	cr_assert(strlen(DP_CONFIG) < sizeof(cfg));
	strcpy(cfg, DP_CONFIG);
	p = strstr(cfg, "{ \"name\": \"m2\"");
	cr_assert(p != NULL);
	for (from = p; *from != ','; from--)
		;
	to = strchr(p, '}') + 1;
	memmove(from, to, strlen(to) + 1);
	cr_assert(lbfix_apply(&f, cfg) == 0, "reload without m2");
	cr_assert(hc_tunnel_mark(m2, &mark) == 0);
	cr_expect(eq(u32, run_hc(in, len, mark, out, &out_len), (__u32)TC_ACT_SHOT),
		  "removed m2: dropped");
	cr_expect(eq(u64, hc_counter(XDPLB_HC_NO_BACKEND), 2));
	cr_expect(eq(u64, hc_counter(XDPLB_HC_PASS), 0));
}

/* The XDP program's MTU rule: inner + outer header above mtu is dropped
 * and counted (a GSO packet is cut to fit instead: the e2e test). */
Test(hc_tunnel, too_big, .init = hc_setup, .fini = hc_teardown)
{
	struct pkt_spec s = { 4, TCP_TO("192.0.2.1", "203.0.113.10", 80, TCPF_ACK),
			      .payload = 1440 };
	__u8 in[PKT_MAX], out[PKT_MAX];
	size_t len = egress_frame(&s, in), out_len;
	__u32 mark = mark_of("web4", "be1");

	cr_expect(eq(u32, run_hc(in, len, mark, out, &out_len), TC_PASS_ON),
		  "1480 bytes + 20 = mtu 1500: fits");
	cr_expect(eq(sz, out_len, len + 20));
	s.payload = 1441;
	len = egress_frame(&s, in);
	cr_expect(eq(u32, run_hc(in, len, mark, out, &out_len), (__u32)TC_ACT_SHOT),
		  "1481 + 20: too big");
	cr_expect(eq(u64, hc_counter(XDPLB_HC_TOO_BIG), 1));
	cr_expect(eq(u64, hc_counter(XDPLB_HC_ENCAP), 1));
}

/* Tagged, but nothing an outer IP header can go in front of. */
Test(hc_tunnel, tagged_not_ip_dropped, .init = hc_setup, .fini = hc_teardown)
{
	struct pkt_spec arp = { 4, .ethertype = 0x0806 };
	struct pkt_spec tagged = { 4, TCP_SYN("192.0.2.1", "203.0.113.10", 80), .vlan_tpid = 0x8100,
				   .vlan_tci = 5 };
	__u8 in[PKT_MAX], out[PKT_MAX];
	size_t len, out_len;
	__u32 mark = mark_of("web4", "be1");

	len = egress_frame(&arp, in);
	cr_expect(eq(u32, run_hc(in, len, mark, out, &out_len), (__u32)TC_ACT_SHOT), "ARP");
	len = egress_frame(&tagged, in);
	cr_expect(eq(u32, run_hc(in, len, mark, out, &out_len), (__u32)TC_ACT_SHOT),
		  "an in-band 802.1Q tag");
	cr_expect(eq(u64, hc_counter(XDPLB_HC_ERROR), 2));
	cr_expect(eq(u64, hc_counter(XDPLB_HC_ENCAP), 0));
}

Test(hc_tunnel, mark_layout)
{
	__u32 m;

	cr_assert(hc_tunnel_mark(0, &m) == 0);
	cr_expect(eq(u32, m, XDPLB_HC_MARK_TAG));
	cr_assert(hc_tunnel_mark(XDPLB_MAX_BACKENDS - 1, &m) == 0);
	cr_expect(eq(u32, m, XDPLB_HC_MARK_TAG | 0x3ffff));
	cr_expect(eq(u32, m & XDPLB_HC_MARK_TAG_MASK, XDPLB_HC_MARK_TAG),
		  "every probe matches the one fwmark rule");
	cr_expect(eq(int, hc_tunnel_mark(XDPLB_MAX_BACKENDS, &m), -EINVAL));
}

/* Not a check: the per-packet cost, for docs/hc-tunnel.md. An untouched
 * packet can run `repeat` times; a probe cannot (the second run would see
 * the first one's output), so each probe runs alone and the kernel's
 * duration of a lone run, timer overhead included, is averaged: the
 * probe's cost is the repeated pass figure plus the lone-run difference. */
Test(hc_tunnel, cost, .init = hc_setup, .fini = hc_teardown)
{
	struct pkt_spec s4 = { 4, TCP_SYN("192.0.2.1", "203.0.113.10", 80), .frag = 0x4000 };
	struct pkt_spec s6 = { 6, TCP_SYN("2001:db8::1", "2001:db8:10::80", 443) };
	const struct {
		const char *what;
		struct pkt_spec *s;
		__u32 mark;
	} c[] = {
		{ "unmarked, passed", &s4, 0 },
		{ "probe, IPIP", &s4, mark_of("web4", "be1") },
		{ "probe, IPv6-in-IPv6", &s6, mark_of("web6", "w6a") },
	};
	const int n = 20000, reps = 200000;
	__u8 in[PKT_MAX], out[PKT_MAX];
	double lone[3], pass;

	for (size_t i = 0; i < 3; i++) {
		struct __sk_buff ctx = { .mark = c[i].mark };
		size_t len = egress_frame(c[i].s, in);
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = (__u32)len,
			    .data_out = out, .data_size_out = PKT_MAX, .ctx_in = &ctx,
			    .ctx_size_in = sizeof(ctx), .repeat = 1);
		__u64 total = 0;

		for (int k = 0; k < n; k++) {
			cr_assert(bpf_prog_test_run_opts(bpf_program__fd(hc->progs.xdplb_hc), &o) ==
				  0);
			total += o.duration;
		}
		lone[i] = (double)total / n;
		if (i == 0) {
			o.repeat = reps;
			cr_assert(bpf_prog_test_run_opts(bpf_program__fd(hc->progs.xdplb_hc), &o) ==
				  0);
			pass = o.duration;
		}
	}
	cr_log_info("hc.bpf.c, unmarked packet: %.0f ns (repeat %d)", pass, reps);
	for (size_t i = 1; i < 3; i++)
		cr_log_info(
			"hc.bpf.c, %s: %.0f ns (lone runs: %.0f ns, unmarked %.0f ns, mean of %d)",
			c[i].what, pass + lone[i] - lone[0], lone[i], lone[0], n);
	cr_expect(eq(u64, hc_counter(XDPLB_HC_ENCAP), 2 * (__u64)n), "the probes were wrapped");
	cr_expect(eq(u64, hc_counter(XDPLB_HC_PASS), (__u64)n + reps));
}

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The backend side: the decap program strips exactly what the LB added,
 * for its own addresses only, and hands the stack the client's packet.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "decap.skel.h"

#include "addr.h"
#include "decap_src.h"
#include "lbfix.h"
#include "maps.h"

extern const char *const DP_CONFIG;

static struct decap_bpf *skel;

/* Replaces the accepted tunnel sources (prefixes), as `decap attach --source` does. */
static void set_sources(const char *const *srcs, size_t n)
{
	int fd = bpf_map__fd(skel->maps.decap_srcs);
	struct xdplb_decap_src_key k, next;
	__u32 one = 1;

	while (!bpf_map_get_next_key(fd, NULL, &next)) {
		k = next;
		cr_assert(bpf_map_delete_elem(fd, &k) == 0);
	}
	for (size_t i = 0; i < n; i++) {
		struct decap_src s;
		char why[160];

		cr_assert(decap_src_parse(srcs[i], &s, why, sizeof(why)) == 0, "%s", why);
		decap_src_key(&s, &k);
		cr_assert(bpf_map_update_elem(fd, &k, &one, 0) == 0);
	}
}

/* The backend owns every backend address of DP_CONFIG, and accepts
 * tunnels from the LB of DP_CONFIG (source_v4 192.0.2.1, source_v6
 * 2001:db8::1) and the prefixes 198.18.0.0/15 and 2001:db8:5::/48. */
static void decap_setup(void)
{
	const char *srcs[] = { "192.0.2.1", "2001:db8::1", "198.18.0.0/15", "2001:db8:5::/48" };

	const char *addrs[] = { "198.51.100.11",   "198.51.100.12",   "198.51.100.13",
				"198.51.100.21",   "198.51.100.22",   "198.51.100.41",
				"198.51.100.51",   "2001:db8:20::11", "2001:db8:20::12",
				"2001:db8:20::53", "2001:db8:20::31" };
	__u32 one = 1;

	skel = decap_bpf__open_and_load();
	cr_assert(skel != NULL, "loading the decap program");
	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		struct xdplb_decap_key k;

		memset(&k, 0, sizeof(k));
		k.family = (__u8)addr_parse(addrs[i], &k.addr);
		cr_assert(bpf_map_update_elem(bpf_map__fd(skel->maps.decap_addrs), &k, &one, 0) ==
			  0);
	}
	set_sources(srcs, sizeof(srcs) / sizeof(srcs[0]));
}

static void decap_teardown(void)
{
	decap_bpf__destroy(skel);
}

static int run_decap(const __u8 *in, size_t len, __u8 *out, size_t *out_len)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = (__u32)len,
		    .data_out = out, .data_size_out = PKT_MAX, .repeat = 1);

	cr_assert(bpf_prog_test_run_opts(bpf_program__fd(skel->progs.xdplb_decap), &o) == 0);
	*out_len = o.data_size_out;
	return (int)o.retval;
}

static __u64 counter(__u32 idx)
{
	__u64 v;

	cr_assert(maps_sum_percpu(bpf_map__fd(skel->maps.decap_stats), idx, &v, 1) == 0);
	return v;
}

/* The DSR round trip for every family combination: client frame -> LB ->
 * backend's decap = the client's IP packet, with the L2 header of the
 * tunnel frame and the inner EtherType. */
Test(decap, round_trip_through_the_lb, .init = decap_setup, .fini = decap_teardown)
{
	const struct {
		struct pkt_spec s;
		__u32 counter;
	} c[] = {
		{ { .family = 4,
		    .src = "192.0.2.7",
		    .dst = "203.0.113.10",
		    .proto = IPPROTO_TCP,
		    .sport = 40000,
		    .dport = 80,
		    .tcp_flags = TCPF_SYN,
		    .payload = 64 },
		  XDPLB_DECAP_V4_IN_V4 },
		{ { .family = 6,
		    .src = "2001:db8:1::7",
		    .dst = "2001:db8:10::80",
		    .proto = IPPROTO_TCP,
		    .sport = 40000,
		    .dport = 443,
		    .payload = 64 },
		  XDPLB_DECAP_V6_IN_V6 },
		{ { .family = 4,
		    .src = "192.0.2.7",
		    .dst = "203.0.113.20",
		    .proto = IPPROTO_TCP,
		    .sport = 40000,
		    .dport = 8080,
		    .payload = 64 },
		  XDPLB_DECAP_V4_IN_V6 },
		{ { .family = 6,
		    .src = "2001:db8:1::7",
		    .dst = "2001:db8:10::20",
		    .proto = IPPROTO_TCP,
		    .sport = 40000,
		    .dport = 8080,
		    .payload = 64 },
		  XDPLB_DECAP_V6_IN_V4 },
		{ { .family = 4,
		    .src = "192.0.2.7",
		    .dst = "203.0.113.53",
		    .proto = IPPROTO_UDP,
		    .sport = 40000,
		    .dport = 53,
		    .payload = 30,
		    .vlan_tpid = 0x8100,
		    .vlan_tci = 42 },
		  XDPLB_DECAP_V4_IN_V4 },
	};
	struct lbfix f;

	lbfix_open(&f, DP_CONFIG);
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		__u8 in[PKT_MAX], mid[PKT_MAX], out[PKT_MAX];
		size_t in_len = pkt_build(&c[i].s, in), mid_len, out_len, l2 = pkt_l3_off(in);
		__u64 before = counter(c[i].counter);

		cr_assert(eq(int, lbfix_run(&f, in, in_len, mid, &mid_len), XDP_TX), "case %zu", i);
		cr_assert(eq(int, run_decap(mid, mid_len, out, &out_len), XDP_PASS), "case %zu", i);
		cr_expect(eq(sz, out_len, in_len), "case %zu", i);
		/* L2: the tunnel frame's MACs and tag, the inner EtherType */
		cr_expect(eq(int, memcmp(out, mid, l2 - 2), 0), "case %zu: MACs/tag", i);
		cr_expect(eq(int, memcmp(out + l2 - 2, in + l2 - 2, 2), 0), "case %zu: EtherType",
			  i);
		/* the client's packet, every byte */
		cr_expect(eq(int, memcmp(out + l2, in + l2, in_len - l2), 0), "case %zu: packet",
			  i);
		cr_expect(eq(u64, counter(c[i].counter), before + 1), "case %zu: counter", i);
	}
	lbfix_close(&f);
}

/* A tunnel frame built by hand: outer header (IPv4 or IPv6, from the
 * addresses' family) from src to dst around `inner_frame`'s packet. */
static size_t tunnel(const char *src, const char *dst, const __u8 *inner_frame, size_t inner_len,
		     __u8 *out)
{
	struct encap_want w = { 0 };

	w.backend_family = addr_parse(src, &w.src);
	cr_assert(eq(int, addr_parse(dst, &w.backend), w.backend_family));
	return pkt_expect_encap(inner_frame, inner_len, &w, NULL, out);
}

/* Build an IPIP frame by hand: outer v4 from the LB to dst around `inner`. */
static size_t ipip(const char *dst, const __u8 *inner_frame, size_t inner_len, __u8 *out,
		   void (*mut)(__u8 *))
{
	size_t n = tunnel("192.0.2.1", dst, inner_frame, inner_len, out);

	if (mut)
		mut(out + 14);
	return n;
}

static void outer_options(__u8 *ip)
{
	ip[0] = 0x46;
}

static void outer_fragment(__u8 *ip)
{
	ip[6] |= 0x20;
}

static void inner_version_6(__u8 *ip)
{
	ip[20] = 0x65;
}

Test(decap, everything_else_passes_untouched, .init = decap_setup, .fini = decap_teardown)
{
	struct pkt_spec plain = { .family = 4,
				  .src = "192.0.2.7",
				  .dst = "198.51.100.11",
				  .proto = IPPROTO_TCP,
				  .sport = 1,
				  .dport = 22,
				  .payload = 10,
				  .frag = 0x4000 };
	struct pkt_spec inner = { .family = 4,
				  .src = "192.0.2.7",
				  .dst = "203.0.113.10",
				  .proto = IPPROTO_TCP,
				  .sport = 1,
				  .dport = 80,
				  .payload = 10,
				  .frag = 0x4000 };
	__u8 a[PKT_MAX], b[PKT_MAX], out[PKT_MAX];
	size_t alen, blen, out_len;
	void (*muts[])(__u8 *) = { NULL, outer_options, outer_fragment };
	const char *dsts[] = { "198.51.100.99", "198.51.100.11", "198.51.100.11" };
	__u64 pass0 = counter(XDPLB_DECAP_PASS);

	/* not a tunnel */
	alen = pkt_build(&plain, a);
	cr_expect(eq(int, run_decap(a, alen, out, &out_len), XDP_PASS));
	cr_expect(eq(int, memcmp(a, out, alen), 0));
	/* a tunnel, but: to another host; with options; a fragment */
	blen = pkt_build(&inner, b);
	for (int i = 0; i < 3; i++) {
		alen = ipip(dsts[i], b, blen, a, muts[i]);
		cr_expect(eq(int, run_decap(a, alen, out, &out_len), XDP_PASS), "case %d", i);
		cr_expect(eq(sz, out_len, alen), "case %d", i);
		cr_expect(eq(int, memcmp(a, out, alen), 0), "case %d changed", i);
	}
	cr_expect(eq(u64, counter(XDPLB_DECAP_PASS), pass0 + 4));
}

/* A tunnel to us whose inner packet is not what the outer header says
 * is dropped, never handed half-parsed to the stack. */
Test(decap, bad_inner_packet_dropped, .init = decap_setup, .fini = decap_teardown)
{
	struct pkt_spec inner = { .family = 4,
				  .src = "192.0.2.7",
				  .dst = "203.0.113.10",
				  .proto = IPPROTO_TCP,
				  .sport = 1,
				  .dport = 80,
				  .frag = 0x4000 };
	__u8 a[PKT_MAX], b[PKT_MAX], out[PKT_MAX];
	size_t alen, blen, out_len;
	__u64 bad0 = counter(XDPLB_DECAP_MALFORMED);

	blen = pkt_build(&inner, b);
	alen = ipip("198.51.100.11", b, blen, a, inner_version_6);
	cr_expect(eq(int, run_decap(a, alen, out, &out_len), XDP_DROP));
	alen = ipip("198.51.100.11", b, blen, a, NULL);
	cr_expect(eq(int, run_decap(a, 14 + 20 + 10, out, &out_len), XDP_DROP), "inner cut short");
	cr_expect(eq(u64, counter(XDPLB_DECAP_MALFORMED), bad0 + 2));
}

/* A tunnel to us from a source that is no LB's is dropped and counted,
 * whatever it carries: otherwise anyone who reaches the backend could hand
 * its stack packets with any client address, to any port. Tunnels from
 * the accepted addresses and prefixes, IPv4 and IPv6, pass with the inner
 * packet untouched; to another host, any source passes untouched. */
Test(decap, tunnels_only_from_the_lbs_sources, .init = decap_setup, .fini = decap_teardown)
{
	struct pkt_spec in4 = { .family = 4,
				.src = "192.0.2.7",
				.dst = "203.0.113.10",
				.proto = IPPROTO_TCP,
				.sport = 1234,
				.dport = 22,
				.payload = 20,
				.frag = 0x4000 /* DF: a fixed outer header */ };
	struct pkt_spec in6 = { .family = 6,
				.src = "2001:db8:1::7",
				.dst = "2001:db8:10::80",
				.proto = IPPROTO_UDP,
				.sport = 1234,
				.dport = 53,
				.payload = 20 };
	static const struct {
		const char *src, *dst;
		int inner; /* 4 or 6 */
		int want; /* XDP_PASS (stripped), XDP_DROP, or -1: passed untouched */
	} c[] = {
		{ "192.0.2.1", "198.51.100.11", 4, XDP_PASS }, /* the LB */
		{ "192.0.2.2", "198.51.100.11", 4, XDP_DROP }, /* its neighbour */
		{ "203.0.113.99", "198.51.100.11", 6, XDP_DROP },
		{ "198.18.0.0", "198.51.100.12", 4, XDP_PASS }, /* first of the /15 */
		{ "198.19.255.255", "198.51.100.12", 6, XDP_PASS }, /* last */
		{ "198.17.255.255", "198.51.100.12", 4, XDP_DROP }, /* just before */
		{ "198.20.0.0", "198.51.100.12", 4, XDP_DROP }, /* just after */
		{ "2001:db8::1", "2001:db8:20::11", 6, XDP_PASS },
		{ "2001:db8::2", "2001:db8:20::11", 6, XDP_DROP },
		{ "2001:db8:5::", "2001:db8:20::12", 4, XDP_PASS }, /* the /48 */
		{ "2001:db8:5:ffff:ffff:ffff:ffff:ffff", "2001:db8:20::12", 6, XDP_PASS },
		{ "2001:db8:6::", "2001:db8:20::12", 6, XDP_DROP },
		{ "2001:db8:4:ffff::1", "2001:db8:20::12", 4, XDP_DROP },
		{ "192.0.2.99", "198.51.100.99", 4, -1 }, /* not to us: not ours to judge */
		{ "2001:db8:bad::1", "2001:db8:20::99", 6, -1 },
	};
	__u8 i4[PKT_MAX], i6[PKT_MAX], a[PKT_MAX], out[PKT_MAX];
	size_t l4 = pkt_build(&in4, i4), l6 = pkt_build(&in6, i6);
	__u64 bad0 = counter(XDPLB_DECAP_BAD_SOURCE), pass0 = counter(XDPLB_DECAP_PASS);
	__u64 n_bad = 0, n_pass = 0;

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		const __u8 *inner = c[i].inner == 4 ? i4 : i6;
		size_t ilen = c[i].inner == 4 ? l4 : l6, alen, out_len;
		int act;

		alen = tunnel(c[i].src, c[i].dst, inner, ilen, a);
		act = run_decap(a, alen, out, &out_len);
		cr_expect(eq(int, act, c[i].want < 0 ? XDP_PASS : c[i].want), "%s -> %s", c[i].src,
			  c[i].dst);
		if (c[i].want == XDP_PASS) { /* stripped: the inner packet, every byte */
			cr_expect(eq(sz, out_len, ilen), "%s", c[i].src);
			cr_expect(eq(int, memcmp(out + 14, inner + 14, ilen - 14), 0), "%s: inner",
				  c[i].src);
		} else if (c[i].want < 0) { /* untouched */
			cr_expect(eq(sz, out_len, alen), "%s", c[i].src);
			cr_expect(eq(int, memcmp(out, a, alen), 0), "%s: changed", c[i].src);
			n_pass++;
		} else {
			n_bad++;
		}
	}
	cr_expect(eq(u64, counter(XDPLB_DECAP_BAD_SOURCE), bad0 + n_bad));
	cr_expect(eq(u64, counter(XDPLB_DECAP_PASS), pass0 + n_pass));
}

/* --any-source is 0.0.0.0/0 and ::/0; the sources can be replaced on the
 * live program, and with none at all every tunnel to us is dropped. */
Test(decap, any_source_and_replaced_sources, .init = decap_setup, .fini = decap_teardown)
{
	struct pkt_spec in4 = { .family = 4,
				.src = "192.0.2.7",
				.dst = "203.0.113.10",
				.proto = IPPROTO_TCP,
				.sport = 1234,
				.dport = 80,
				.payload = 8,
				.frag = 0x4000 };
	__u8 i4[PKT_MAX], a[PKT_MAX], b[PKT_MAX], out[PKT_MAX];
	size_t l4 = pkt_build(&in4, i4), alen, blen, out_len;
	const char *other[] = { "192.0.2.2" };
	struct decap_srcs any;
	struct xdplb_decap_src_key k;
	__u32 one = 1;

	alen = tunnel("203.0.113.99", "198.51.100.11", i4, l4, a);
	blen = tunnel("2001:db8:bad::1", "2001:db8:20::11", i4, l4, b);
	cr_expect(eq(int, run_decap(a, alen, out, &out_len), XDP_DROP));
	decap_srcs_any(&any);
	cr_assert(decap_srcs_is_any(&any));
	for (int i = 0; i < any.n; i++) {
		decap_src_key(&any.v[i], &k);
		cr_assert(bpf_map_update_elem(bpf_map__fd(skel->maps.decap_srcs), &k, &one, 0) ==
			  0);
	}
	cr_expect(eq(int, run_decap(a, alen, out, &out_len), XDP_PASS), "any: v4");
	cr_expect(eq(sz, out_len, l4));
	cr_expect(eq(int, run_decap(b, blen, out, &out_len), XDP_PASS), "any: v6");
	set_sources(other, 1);
	alen = tunnel("192.0.2.1", "198.51.100.11", i4, l4, a);
	cr_expect(eq(int, run_decap(a, alen, out, &out_len), XDP_DROP), "the old LB, replaced");
	alen = tunnel("192.0.2.2", "198.51.100.11", i4, l4, a);
	cr_expect(eq(int, run_decap(a, alen, out, &out_len), XDP_PASS), "the new one");
	set_sources(NULL, 0);
	cr_expect(eq(int, run_decap(a, alen, out, &out_len), XDP_DROP), "no source at all");
}

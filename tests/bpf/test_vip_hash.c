// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Per-VIP hashing ("hash": "5tuple" or "source"): a source VIP sends every
 * connection of a client to one backend and spreads clients; a 5tuple VIP
 * spreads one client's connections; the program and the loader's tools
 * (simulate, explain, diff) agree on the backend in both modes; conntrack
 * still keeps each connection, across a change of mode.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "addr.h"
#include "lbfix.h"
#include "load.h"
#include "xdplb_hash.h"

#define NB 4 /* backends of each VIP */

#define BACKENDS4                                                 \
	"[ { \"name\": \"b1\", \"address\": \"198.51.100.11\" }," \
	"  { \"name\": \"b2\", \"address\": \"198.51.100.12\" }," \
	"  { \"name\": \"b3\", \"address\": \"198.51.100.13\" }," \
	"  { \"name\": \"b4\", \"address\": \"198.51.100.14\" } ]"
#define BACKENDS6                                                   \
	"[ { \"name\": \"s1\", \"address\": \"2001:db8:20::11\" }," \
	"  { \"name\": \"s2\", \"address\": \"2001:db8:20::12\" }," \
	"  { \"name\": \"s3\", \"address\": \"198.51.100.23\" },"   \
	"  { \"name\": \"s4\", \"address\": \"2001:db8:20::14\" } ]"

/* src4's hash is given (HASH: "source" or "5tuple"); the others fixed. */
static const char *config(const char *hash, char *buf, size_t len)
{
	snprintf(
		buf, len,
		"{ \"interface\": \"test0\", \"next_hop_mac\": \"02:00:00:00:00:01\","
		"  \"source_v4\": \"192.0.2.1\", \"source_v6\": \"2001:db8::1\", \"hash_seed\": \"0x5eed\","
		"  \"conntrack_size\": 65536, \"vips\": ["
		"  { \"name\": \"src4\", \"address\": \"203.0.113.10\", \"port\": 80, \"table_size\": 1009,"
		"    \"hash\": \"%s\", \"backends\": " BACKENDS4 " },"
		"  { \"name\": \"tup4\", \"address\": \"203.0.113.11\", \"port\": 80, \"table_size\": 1009,"
		"    \"hash\": \"5tuple\", \"backends\": " BACKENDS4 " },"
		"  { \"name\": \"src6\", \"address\": \"2001:db8:10::80\", \"port\": 443, \"table_size\": 1009,"
		"    \"hash\": \"source\", \"backends\": " BACKENDS6 " },"
		"  { \"name\": \"srcany\", \"address\": \"203.0.113.30\", \"port\": 0, \"table_size\": 1009,"
		"    \"hash\": \"source\", \"backends\": " BACKENDS4 " },"
		"  { \"name\": \"srcudp\", \"address\": \"203.0.113.53\", \"port\": 53, \"protocol\": \"udp\","
		"    \"table_size\": 1009, \"hash\": \"source\", \"backends\": " BACKENDS4 " } ] }",
		hash);
	return buf;
}

static const struct cfg_backend *send_pkt(struct lbfix *f, const struct pkt_spec *s)
{
	__u8 in[PKT_MAX], out[PKT_MAX];
	size_t in_len = pkt_build(s, in), out_len;
	int act = lbfix_run(f, in, in_len, out, &out_len);

	return act == XDP_TX ? lbfix_dest(f, out) : NULL;
}

static const char *name_of(const struct cfg_backend *b)
{
	return b ? b->name : "(none)";
}

/* The index 0..NB-1 of a backend by the digit of its name (b3, s3: 2). */
static int idx_of(const struct cfg_backend *b)
{
	return b ? b->name[1] - '1' : -1;
}

static struct pkt_spec syn(int family, const char *src, const char *dst, __u8 proto, __u16 sport,
			   __u16 dport)
{
	return (struct pkt_spec){ .family = family,
				  .src = src,
				  .dst = dst,
				  .proto = proto,
				  .sport = sport,
				  .dport = dport,
				  .tcp_flags = proto == IPPROTO_TCP ? TCPF_SYN : 0,
				  .payload = 20 };
}

/* Every connection of one client to a source VIP, from 300 source ports
 * (and, port-less, to 300 ports), goes to one backend, and it is the one
 * userspace names; each is still a flow of its own in conntrack. */
Test(vip_hash, source_keeps_a_client_on_one_backend)
{
	static const char *const clients4[] = { "192.0.2.77", "198.18.0.1", "10.9.8.7" };
	static const char *const clients6[] = { "2001:db8:99::1", "2001:db8:99::2" };
	struct lbfix f;
	char buf[4096];

	lbfix_open(&f, config("source", buf, sizeof(buf)));
	for (size_t c = 0; c < 3; c++) {
		const struct cfg_backend *first = NULL;

		for (__u16 i = 0; i < 300; i++) {
			struct pkt_spec tcp = syn(4, clients4[c], "203.0.113.10", IPPROTO_TCP,
						  (__u16)(1024 + i * 199), 80);
			struct pkt_spec any = syn(4, clients4[c], "203.0.113.30", IPPROTO_TCP,
						  (__u16)(40000 + i), (__u16)(1 + i * 211));
			struct pkt_spec udp = syn(4, clients4[c], "203.0.113.53", IPPROTO_UDP,
						  (__u16)(2000 + i * 7), 53);
			struct xdplb_flow_key k = pkt_flow(&tcp);
			const struct cfg_backend *b = send_pkt(&f, &tcp);

			cr_assert(not(eq(ptr, (void *)b, NULL)));
			if (!first)
				first = b;
			cr_assert(eq(str, (char *)b->name, (char *)first->name),
				  "client %s port %u", clients4[c], tcp.sport);
			cr_assert(eq(str, (char *)b->name, (char *)name_of(lbfix_pick(&f, &k))));
			/* the port-less source VIP: any destination port too, and
			 * the pick is the one of the addresses alone */
			k = pkt_flow(&any);
			b = send_pkt(&f, &any);
			cr_assert(eq(str, (char *)name_of(b), (char *)name_of(lbfix_pick(&f, &k))));
			k.sport = k.dport = htons(1);
			cr_assert(eq(str, (char *)name_of(b), (char *)name_of(lbfix_pick(&f, &k))));
			k = pkt_flow(&udp);
			cr_assert(eq(str, (char *)name_of(send_pkt(&f, &udp)),
				     (char *)name_of(lbfix_pick(&f, &k))));
		}
	}
	for (size_t c = 0; c < 2; c++) {
		const struct cfg_backend *first = NULL;

		for (__u16 i = 0; i < 300; i++) {
			struct pkt_spec s = syn(6, clients6[c], "2001:db8:10::80", IPPROTO_TCP,
						(__u16)(1024 + i * 199), 443);
			const struct cfg_backend *b = send_pkt(&f, &s);

			cr_assert(not(eq(ptr, (void *)b, NULL)));
			if (!first)
				first = b;
			cr_assert(eq(str, (char *)b->name, (char *)first->name),
				  "client %s port %u", clients6[c], s.sport);
		}
	}
	/* conntrack is keyed by the 5-tuple: 900 connections, 900 flows */
	cr_expect(eq(u64, lbfix_vip_stats(&f, "src4").new_flows, 900));
	cr_expect(eq(u64, lbfix_vip_stats(&f, "src6").new_flows, 600));
	lbfix_close(&f);
}

/* Clients spread over the backends of a source VIP (each holds a quarter
 * of the table: at least 15% of 800 clients each), and one client's
 * connections to a 5tuple VIP spread over all of them. */
Test(vip_hash, source_spreads_clients_5tuple_spreads_ports)
{
	unsigned src[NB] = { 0 }, src6[NB] = { 0 }, tup[NB] = { 0 };
	struct lbfix f;
	char buf[4096], a[64];

	lbfix_open(&f, config("source", buf, sizeof(buf)));
	for (int i = 0; i < 800; i++) {
		struct pkt_spec s;
		int b;

		snprintf(a, sizeof(a), "10.%d.%d.%d", i % 7, (i * 37) & 255, i & 255);
		s = syn(4, a, "203.0.113.10", IPPROTO_TCP, 33000, 80);
		b = idx_of(send_pkt(&f, &s));
		cr_assert(b >= 0 && b < NB);
		src[b]++;
		snprintf(a, sizeof(a), "2001:db8:%x::%x", i * 13, i + 1);
		s = syn(6, a, "2001:db8:10::80", IPPROTO_TCP, 33000, 443);
		b = idx_of(send_pkt(&f, &s));
		cr_assert(b >= 0 && b < NB);
		src6[b]++;
		s = syn(4, "192.0.2.77", "203.0.113.11", IPPROTO_TCP, (__u16)(1024 + i * 67), 80);
		b = idx_of(send_pkt(&f, &s));
		cr_assert(b >= 0 && b < NB);
		tup[b]++;
	}
	for (int b = 0; b < NB; b++) {
		cr_expect(src[b] >= 120, "source v4: backend %d has %u of 800 clients", b, src[b]);
		cr_expect(src6[b] >= 120, "source v6: backend %d has %u of 800 clients", b,
			  src6[b]);
		cr_expect(tup[b] >= 120, "5tuple: backend %d has %u of one client's 800 ports", b,
			  tup[b]);
	}
	lbfix_close(&f);
}

/* The program and the loader's pick (simulate_pick(): xdplb_vip_hash()
 * with the VIP's flags) agree on every new flow, in both modes, v4 and
 * v6, exact-port and port-less, TCP and UDP; and the source hash is the
 * hash of the addresses alone. */
Test(vip_hash, program_agrees_with_userspace_both_modes)
{
	struct lbfix f;
	__u64 rng = 7;
	char buf[4096];

	lbfix_open(&f, config("source", buf, sizeof(buf)));
	for (int i = 0; i < 3000; i++) {
		char src[64];
		struct pkt_spec s;
		struct xdplb_flow_key k, nop;
		const struct cfg_backend *want, *got;
		__u16 sport;

		rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
		sport = (__u16)(1024 + (rng >> 33) % 60000);
		switch (i % 5) {
		case 0:
			snprintf(src, sizeof(src), "10.%u.%u.%u", (unsigned)(rng >> 8) & 255,
				 (unsigned)(rng >> 16) & 255, (unsigned)(rng >> 24) & 255);
			s = syn(4, src, "203.0.113.10", IPPROTO_TCP, sport, 80);
			break;
		case 1:
			snprintf(src, sizeof(src), "10.%u.%u.%u", (unsigned)(rng >> 8) & 255,
				 (unsigned)(rng >> 16) & 255, (unsigned)(rng >> 24) & 255);
			s = syn(4, src, "203.0.113.11", IPPROTO_TCP, sport, 80);
			break;
		case 2:
			snprintf(src, sizeof(src), "2001:db8:%x::%x",
				 (unsigned)(rng >> 20) & 0xffff, (unsigned)(rng >> 40) & 0xffff);
			s = syn(6, src, "2001:db8:10::80", IPPROTO_TCP, sport, 443);
			break;
		case 3:
			snprintf(src, sizeof(src), "198.18.%u.%u", (unsigned)(rng >> 30) & 255,
				 (unsigned)(rng >> 45) & 255);
			s = syn(4, src, "203.0.113.30", IPPROTO_TCP, sport,
				(__u16)(1 + (rng >> 17) % 65535));
			break;
		default:
			snprintf(src, sizeof(src), "192.0.2.%u", (unsigned)(rng >> 50) & 255);
			s = syn(4, src, "203.0.113.53", IPPROTO_UDP, sport, 53);
			break;
		}
		k = pkt_flow(&s);
		want = lbfix_pick(&f, &k);
		got = send_pkt(&f, &s);
		cr_assert(eq(str, (char *)name_of(got), (char *)name_of(want)), "flow %d", i);
		/* what the modes hash */
		nop = k;
		nop.sport = nop.dport = 0;
		cr_assert(eq(u32, xdplb_vip_hash(&k, 0x5eed, XDPLB_VIP_F_HASH_SOURCE),
			     xdplb_vip_hash(&nop, 0x5eed, XDPLB_VIP_F_HASH_SOURCE)));
		cr_assert(eq(u32, xdplb_vip_hash(&k, 0x5eed, 0), xdplb_flow_hash(&k, 0x5eed)));
	}
	lbfix_close(&f);
}

/* A change of mode is a reload like any: the client's established
 * connections stay where conntrack keeps them, its new ones follow the
 * new mode (5tuple: spread again; back to source: one backend). */
Test(vip_hash, mode_change_keeps_established_flows)
{
	/* names: a reload frees the config the backends point into */
	char before[200][XDPLB_NAME_LEN];
	unsigned seen[NB] = { 0 };
	int spread = 0;
	struct lbfix f;
	char buf[4096];

	lbfix_open(&f, config("source", buf, sizeof(buf)));
	for (int i = 0; i < 200; i++) {
		struct pkt_spec s =
			syn(4, "192.0.2.77", "203.0.113.10", IPPROTO_TCP, (__u16)(1024 + i), 80);

		snprintf(before[i], sizeof(before[i]), "%s", name_of(send_pkt(&f, &s)));
		cr_assert(not(eq(str, before[i], "(none)")));
		cr_assert(eq(str, before[i], before[0]));
	}
	cr_assert(eq(int, lbfix_apply(&f, config("5tuple", buf, sizeof(buf))), 0));
	for (int i = 0; i < 200; i++) {
		struct pkt_spec s =
			syn(4, "192.0.2.77", "203.0.113.10", IPPROTO_TCP, (__u16)(1024 + i), 80);
		struct pkt_spec fresh = s;
		const struct cfg_backend *b;
		struct xdplb_flow_key k;

		s.tcp_flags = TCPF_ACK;
		cr_assert(eq(str, (char *)name_of(send_pkt(&f, &s)), (char *)before[i]),
			  "established port %u", s.sport);
		fresh.sport = (__u16)(20000 + i);
		k = pkt_flow(&fresh);
		b = send_pkt(&f, &fresh);
		cr_assert(not(eq(ptr, (void *)b, NULL)));
		cr_assert(eq(str, (char *)b->name, (char *)name_of(lbfix_pick(&f, &k))));
		seen[idx_of(b)]++;
	}
	for (int b = 0; b < NB; b++)
		spread += seen[b] > 0;
	cr_expect(eq(int, spread, NB), "new connections after the change reach %d backends",
		  spread);
	cr_assert(eq(int, lbfix_apply(&f, config("source", buf, sizeof(buf))), 0));
	for (int i = 0; i < 50; i++) {
		struct pkt_spec s =
			syn(4, "192.0.2.77", "203.0.113.10", IPPROTO_TCP, (__u16)(30000 + i), 80);

		cr_expect(eq(str, (char *)name_of(send_pkt(&f, &s)), (char *)before[0]));
	}
	lbfix_close(&f);
}

/* One load as `xdplb load` makes it (no history): 0, or -ECANCELED when
 * max_flows_moved refuses it. */
static int load(struct lbfix *f, const char *json, bool force)
{
	struct load_opts o = { .force = force };
	struct config_opts co = { .mode = -1 };
	struct load_result res = { 0 };
	struct diags d = { 0 };
	struct checked c;
	struct lb_txn t;
	int err;

	cr_assert(eq(int, validate_text(json, strlen(json), &co, &c, &d), 0));
	err = lb_txn_begin(&t, &f->m, true, &c, &o);
	if (!err)
		err = lb_txn_apply(&t, &f->m, &c, LB_MAC, &res);
	err = lb_txn_end(&t, !err, &res) ?: err;
	checked_free(&c);
	return err;
}

/* A change of mode moves about 3/4 of src4's new flows (4 backends):
 * load refuses it against what is live by max_flows_moved, leaving the
 * mode as it was, and applies it with --force. */
Test(vip_hash, load_guards_a_mode_change)
{
	struct xdplb_vip_key k = { .port = htons(80),
				   .proto = IPPROTO_TCP,
				   .family = XDPLB_AF_INET };
	struct xdplb_vip_val v;
	struct xdplb_ctl ctl;
	struct lbfix f;
	char buf[4096];

	k.addr.v4 = htonl(0xcb00710a); /* 203.0.113.10 */
	lbfix_open(&f, config("5tuple", buf, sizeof(buf)));
	cr_expect(eq(int, load(&f, config("source", buf, sizeof(buf)), false), -ECANCELED));
	ctl = lbfix_ctl(&f);
	cr_assert(eq(int, bpf_map_lookup_elem(LB_FD(&f.m, vips), &k, &v), 0));
	cr_expect(eq(u32, v.bank[xdplb_active_bank(&ctl)].flags & XDPLB_VIP_F_HASH_SOURCE, 0),
		  "refused: still 5tuple");
	cr_expect(eq(int, load(&f, config("source", buf, sizeof(buf)), true), 0));
	ctl = lbfix_ctl(&f);
	cr_assert(eq(int, bpf_map_lookup_elem(LB_FD(&f.m, vips), &k, &v), 0));
	cr_expect(eq(u32, v.bank[xdplb_active_bank(&ctl)].flags & XDPLB_VIP_F_HASH_SOURCE,
		     XDPLB_VIP_F_HASH_SOURCE));
	cr_expect(eq(int, load(&f, config("source", buf, sizeof(buf)), false), 0),
		  "the same config again moves nothing");
	lbfix_close(&f);
}

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Flows over time: SYN then ACK on one backend, conntrack across reloads,
 * drain / down / removed backends, reused backend ids, the flow hash the
 * tools share with the program, per-VIP and per-backend counters.
 */
#include <arpa/inet.h>
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
#include "status.h"
#include "xdplb_hash.h"

extern const char *const DP_CONFIG;

/* web4 with the backends listed, e.g. "be1:active,be2:active,be4:drain";
 * backend beN is 198.51.100.(10+N). Also a v6 VIP and a UDP VIP. A
 * conntrack of 16,384 buckets a CPU: the tests' few hundred flows never
 * fill a bucket's 3 ways (at 1,024 buckets, 200 UDP flows did in about one
 * run in twenty, and a flow "moved"). */
static const char *config(const char *backends, char *buf, size_t len)
{
	char list[1024] = "", item[160], copy[256];
	char *save = NULL;

	snprintf(copy, sizeof(copy), "%s", backends);
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int n = atoi(t + 2);
		const char *state = strchr(t, ':') ? strchr(t, ':') + 1 : "active";

		snprintf(
			item, sizeof(item),
			"%s{ \"name\": \"be%d\", \"address\": \"198.51.100.%d\", \"state\": \"%s\" }",
			list[0] ? ", " : "", n, 10 + n, state);
		strncat(list, item, sizeof(list) - strlen(list) - 1);
	}
	snprintf(
		buf, len,
		"{ \"interface\": \"test0\", \"next_hop_mac\": \"02:00:00:00:00:01\","
		"  \"source_v4\": \"192.0.2.1\", \"source_v6\": \"2001:db8::1\", \"conntrack_size\": 65536,"
		"  \"guards\": { \"max_backend_share\": 1 }, \"vips\": ["
		"  { \"name\": \"web4\", \"address\": \"203.0.113.10\", \"port\": 80, \"table_size\": 1009,"
		"    \"backends\": [ %s ] },"
		"  { \"name\": \"udp4\", \"address\": \"203.0.113.53\", \"port\": 53, \"protocol\": \"udp\","
		"    \"table_size\": 1009, \"backends\": [ %s ] } ] }",
		list, list);
	return buf;
}

static struct pkt_spec flow4(__u16 sport, __u8 flags)
{
	return (struct pkt_spec){ .family = 4,
				  .src = "192.0.2.77",
				  .dst = "203.0.113.10",
				  .proto = IPPROTO_TCP,
				  .sport = sport,
				  .dport = 80,
				  .tcp_flags = flags,
				  .payload = 20 };
}

/* Sends a frame; returns the backend it was tunnelled to (NULL if not TX). */
static const struct cfg_backend *send_pkt(struct lbfix *f, const struct pkt_spec *s,
					  size_t *frame_len)
{
	__u8 in[PKT_MAX], out[PKT_MAX];
	size_t in_len = pkt_build(s, in), out_len;
	int act = lbfix_run(f, in, in_len, out, &out_len);

	if (frame_len)
		*frame_len = in_len;
	return act == XDP_TX ? lbfix_dest(f, out) : NULL;
}

static const char *name_of(const struct cfg_backend *b)
{
	return b ? b->name : "(none)";
}

/* A source port whose new flow the current tables send to `want`. */
static __u16 port_to(struct lbfix *f, const char *want)
{
	return lbfix_port_to(f, flow4(0, TCPF_SYN), want);
}

/* The backend a config's tables give a new flow (without loading it). */
static const char *pick_under(const char *json, const struct xdplb_flow_key *k, char *buf)
{
	struct config_opts o = { .mode = -1 };
	struct diags d = { 0 };
	struct lbfix g;

	cr_assert(validate_text(json, strlen(json), &o, &g.c, &d) == 0);
	snprintf(buf, XDPLB_NAME_LEN, "%s", name_of(lbfix_pick(&g, k)));
	checked_free(&g.c);
	return buf;
}

/* A flow whose backend is `now` with the live tables and not `not_later`
 * under the config `later`. */
static __u16 port_moving(struct lbfix *f, const char *now, const char *later, const char *not_later)
{
	char buf[XDPLB_NAME_LEN];

	for (__u16 p = 3000; p < 60000; p++) {
		struct pkt_spec s = flow4(p, TCPF_SYN);
		struct xdplb_flow_key k = pkt_flow(&s);

		if (strcmp(name_of(lbfix_pick(f, &k)), now))
			continue;
		if (strcmp(pick_under(later, &k, buf), not_later))
			return p;
	}
	cr_fatal("no such flow");
	return 0;
}

Test(conntrack, syn_then_ack_same_backend)
{
	char cfg[4096];
	struct lbfix f;
	struct pkt_spec syn = flow4(41000, TCPF_SYN), ack = flow4(41000, TCPF_ACK);
	const struct cfg_backend *b1, *b2;
	struct xdplb_vip_stats vs;
	struct xdplb_be_stats bs;
	size_t l1, l2;

	lbfix_open(&f, config("be1,be2,be3", cfg, sizeof(cfg)));
	b1 = send_pkt(&f, &syn, &l1);
	b2 = send_pkt(&f, &ack, &l2);
	cr_assert(not(eq(ptr, (void *)b1, NULL)));
	cr_expect(eq(str, (char *)name_of(b2), (char *)name_of(b1)));
	vs = lbfix_vip_stats(&f, "web4");
	cr_expect(eq(u64, vs.packets, 2));
	cr_expect(eq(u64, vs.bytes, l1 + l2));
	cr_expect(eq(u64, vs.new_flows, 1));
	cr_expect(eq(u64, vs.ct_misses, 1));
	cr_expect(eq(u64, vs.ct_hits, 1));
	cr_expect(eq(u64, vs.drops, 0));
	bs = lbfix_be_stats(&f, "web4", b1->name);
	cr_expect(eq(u64, bs.packets, 2));
	cr_expect(eq(u64, bs.bytes, l1 + l2));
	cr_expect(eq(u64, bs.new_flows, 1));
	lbfix_close(&f);
}

/* An established flow keeps its backend when a reload changes the table. */
Test(conntrack, established_flow_survives_table_change)
{
	char a[4096], b[4096];
	struct lbfix f;
	const struct cfg_backend *d;
	struct xdplb_flow_key k;
	__u16 p;

	lbfix_open(&f, config("be1,be2,be3", a, sizeof(a)));
	/* a flow on be1 now whose new-flow backend after the reload is not be1 */
	p = port_moving(&f, "be1", config("be1,be2,be3,be4,be5,be6", b, sizeof(b)), "be1");
	struct pkt_spec syn = flow4(p, TCPF_SYN), ack = flow4(p, TCPF_ACK);

	cr_assert(eq(str, (char *)name_of(send_pkt(&f, &syn, NULL)), "be1"));
	struct xdplb_be_stats bs = lbfix_be_stats(&f, "web4", "be1");
	struct xdplb_vip_stats vs = lbfix_vip_stats(&f, "web4");

	cr_assert(eq(int, lbfix_apply(&f, b), 0));
	/* the reload kept the counters of the VIP and the backend */
	cr_expect(eq(u64, lbfix_be_stats(&f, "web4", "be1").packets, bs.packets));
	cr_expect(eq(u64, lbfix_be_stats(&f, "web4", "be1").new_flows, bs.new_flows));
	cr_expect(eq(u64, lbfix_vip_stats(&f, "web4").packets, vs.packets));
	cr_expect(eq(u64, lbfix_vip_stats(&f, "web4").bytes, vs.bytes));
	k = pkt_flow(&ack);
	cr_assert(not(eq(str, (char *)name_of(lbfix_pick(&f, &k)), "be1")), "precondition");
	d = send_pkt(&f, &ack, NULL);
	cr_expect(eq(str, (char *)name_of(d), "be1"), "the ACK left its backend");
	/* a retransmitted SYN of the same connection stays too (be1 is active) */
	d = send_pkt(&f, &syn, NULL);
	cr_expect(eq(str, (char *)name_of(d), "be1"));
	/* and a new flow follows the new table, to a new backend */
	struct pkt_spec fresh = flow4(port_to(&f, "be6"), TCPF_SYN);

	cr_expect(eq(str, (char *)name_of(send_pkt(&f, &fresh, NULL)), "be6"));
	lbfix_close(&f);
}

/* Draining: established flows stay, nothing new comes, a reused 5-tuple
 * with a new SYN goes elsewhere. */
Test(conntrack, drain_keeps_established_only)
{
	char a[4096], b[4096];
	struct lbfix f;
	__u16 p;

	lbfix_open(&f, config("be1,be2,be3", a, sizeof(a)));
	p = port_to(&f, "be2");
	struct pkt_spec syn = flow4(p, TCPF_SYN), ack = flow4(p, TCPF_ACK);

	cr_assert(eq(str, (char *)name_of(send_pkt(&f, &syn, NULL)), "be2"));
	cr_assert(eq(int, lbfix_apply(&f, config("be1,be2:drain,be3", b, sizeof(b))), 0));
	cr_expect(eq(str, (char *)name_of(send_pkt(&f, &ack, NULL)), "be2"));
	cr_expect(not(eq(str, (char *)name_of(send_pkt(&f, &syn, NULL)), "be2")),
		  "a new SYN went to a draining backend");
	for (__u16 q = 20000; q < 20300; q++) {
		struct pkt_spec s = flow4(q, TCPF_SYN);

		cr_assert(not(eq(str, (char *)name_of(send_pkt(&f, &s, NULL)), "be2")),
			  "new flow %u to a draining backend", q);
	}
	lbfix_close(&f);
}

/* Down: the flow moves to the backend the table names, and stays there. */
Test(conntrack, down_reselects)
{
	char a[4096], b[4096];
	struct lbfix f;
	struct xdplb_vip_stats before, after;
	struct xdplb_flow_key k;
	const struct cfg_backend *d;
	__u16 p;

	lbfix_open(&f, config("be1,be2,be3", a, sizeof(a)));
	p = port_to(&f, "be3");
	struct pkt_spec syn = flow4(p, TCPF_SYN), ack = flow4(p, TCPF_ACK);

	cr_assert(eq(str, (char *)name_of(send_pkt(&f, &syn, NULL)), "be3"));
	cr_assert(eq(int, lbfix_apply(&f, config("be1,be2,be3:down", b, sizeof(b))), 0));
	before = lbfix_vip_stats(&f, "web4");
	k = pkt_flow(&ack);
	d = send_pkt(&f, &ack, NULL);
	cr_expect(eq(str, (char *)name_of(d), (char *)name_of(lbfix_pick(&f, &k))));
	cr_expect(not(eq(str, (char *)name_of(d), "be3")));
	after = lbfix_vip_stats(&f, "web4");
	cr_expect(eq(u64, after.ct_misses, before.ct_misses + 1));
	cr_expect(eq(u64, after.new_flows, before.new_flows + 1));
	/* conntrack now remembers the new backend */
	cr_expect(eq(str, (char *)name_of(send_pkt(&f, &ack, NULL)), (char *)name_of(d)));
	cr_expect(eq(u64, lbfix_vip_stats(&f, "web4").ct_hits, after.ct_hits + 1));
	lbfix_close(&f);
}

Test(conntrack, removed_reselects)
{
	char a[4096], b[4096];
	struct lbfix f;
	struct xdplb_flow_key k;
	__u16 p;

	lbfix_open(&f, config("be1,be2,be3", a, sizeof(a)));
	p = port_to(&f, "be1");
	struct pkt_spec syn = flow4(p, TCPF_SYN), ack = flow4(p, TCPF_ACK);

	cr_assert(eq(str, (char *)name_of(send_pkt(&f, &syn, NULL)), "be1"));
	cr_assert(eq(int, lbfix_apply(&f, config("be2,be3", b, sizeof(b))), 0));
	k = pkt_flow(&ack);
	cr_expect(eq(str, (char *)name_of(send_pkt(&f, &ack, NULL)),
		     (char *)name_of(lbfix_pick(&f, &k))));
	lbfix_close(&f);
}

/* A removed backend's id handed to a new backend does not inherit its
 * flows: the cookie in conntrack no longer matches. */
Test(conntrack, reused_id_does_not_inherit_flows)
{
	char a[4096], b[4096], c[4096];
	struct lbfix f;
	struct xdplb_vip_stats before;
	struct xdplb_flow_key k;
	int id1, id9;
	__u16 p;

	lbfix_open(&f, config("be1,be2,be3", a, sizeof(a)));
	id1 = lbfix_backend_id(&f, "web4", "be1");
	/* following the stale id would wrongly give be9 */
	p = port_moving(&f, "be1", config("be2,be3,be9", c, sizeof(c)), "be9");
	struct pkt_spec syn = flow4(p, TCPF_SYN), ack = flow4(p, TCPF_ACK);

	cr_assert(eq(str, (char *)name_of(send_pkt(&f, &syn, NULL)), "be1"));
	cr_assert(eq(int, lbfix_apply(&f, config("be2,be3", b, sizeof(b))), 0));
	cr_assert(eq(int, lbfix_apply(&f, c), 0)); /* be1's id is free again: be9 gets it */
	id9 = lbfix_backend_id(&f, "web4", "be9");
	cr_assert(eq(int, id9, id1), "precondition: be9 reuses be1's id %d (got %d)", id1, id9);
	before = lbfix_vip_stats(&f, "web4");
	k = pkt_flow(&ack);
	cr_expect(eq(str, (char *)name_of(send_pkt(&f, &ack, NULL)),
		     (char *)name_of(lbfix_pick(&f, &k))));
	cr_expect(eq(u64, lbfix_vip_stats(&f, "web4").ct_misses, before.ct_misses + 1));
	lbfix_close(&f);
}

/* UDP flows are remembered too. */
Test(conntrack, udp_flow_survives_table_change)
{
	char a[4096], b[4096];
	struct lbfix f;
	struct pkt_spec u = { .family = 4,
			      .src = "192.0.2.78",
			      .dst = "203.0.113.53",
			      .proto = IPPROTO_UDP,
			      .dport = 53,
			      .payload = 30 };
	lbfix_open(&f, config("be1,be2", a, sizeof(a)));
	for (__u16 p = 5000; p < 5200; p++) {
		u.sport = p;
		cr_assert(not(eq(ptr, (void *)send_pkt(&f, &u, NULL), NULL)));
	}
	/* twice, so that both banks have held the new config */
	cr_assert(eq(int, lbfix_apply(&f, config("be1,be2,be3,be4,be5", b, sizeof(b))), 0));
	cr_assert(eq(int, lbfix_apply(&f, b), 0));
	for (__u16 p = 5000; p < 5200; p++) {
		const char *now;

		u.sport = p;
		now = name_of(send_pkt(&f, &u, NULL));
		cr_expect(eq(int, !strcmp(now, "be1") || !strcmp(now, "be2"), 1),
			  "UDP flow %u moved to %s", p, now);
	}
	lbfix_close(&f);
}

/* A hit is counted to its flow's VIP from the conntrack entry itself (its
 * ref names the backend and the backend's VIP): the second VIP's hits go to
 * it, none to the first. */
Test(conntrack, hit_counted_to_its_vip_from_the_entry)
{
	char a[4096];
	struct lbfix f;
	struct pkt_spec u = { .family = 4,
			      .src = "192.0.2.79",
			      .dst = "203.0.113.53",
			      .proto = IPPROTO_UDP,
			      .sport = 6000,
			      .dport = 53,
			      .payload = 30 };
	struct xdplb_flow_key k = pkt_flow(&u);
	struct xdplb_vip_stats web0, udp0, web1, udp1;
	struct xdplb_backend be;
	struct flow_entry e;

	lbfix_open(&f, config("be1,be2", a, sizeof(a)));
	web0 = lbfix_vip_stats(&f, "web4");
	udp0 = lbfix_vip_stats(&f, "udp4");
	cr_assert(not(eq(ptr, (void *)send_pkt(&f, &u, NULL), NULL)));
	cr_assert(not(eq(ptr, (void *)send_pkt(&f, &u, NULL), NULL)));
	cr_assert(eq(int, lbfix_flows(&f, &k, &e, 1), 1), "the flow is kept");
	cr_assert(eq(int, bpf_map_lookup_elem(LB_FD(&f.m, backends), &e.backend_id, &be), 0));
	cr_expect(eq(u32, e.vip_id, be.vip_id), "the entry names its backend's VIP");
	cr_expect(not(eq(u32, e.vip_id, 0)), "precondition: udp4 is not VIP id 0");
	web1 = lbfix_vip_stats(&f, "web4");
	udp1 = lbfix_vip_stats(&f, "udp4");
	cr_expect(eq(u64, udp1.ct_hits, udp0.ct_hits + 1));
	cr_expect(eq(u64, udp1.packets, udp0.packets + 2));
	cr_expect(eq(u64, web1.packets, web0.packets), "nothing counted to the other VIP");
	cr_expect(eq(u64, web1.ct_hits, web0.ct_hits));
	lbfix_close(&f);
}

/* The program and the loader's tools (simulate, explain) agree on the
 * backend of every new flow: same hash, same table. */
Test(conntrack, program_agrees_with_userspace_hash)
{
	struct lbfix f;
	__u64 rng = 1;
	int n = 0;

	lbfix_open(&f, DP_CONFIG);
	for (int i = 0; i < 3000; i++) {
		char src[64];
		struct pkt_spec s = { .tcp_flags = TCPF_SYN, .payload = 1 };
		struct xdplb_flow_key k;
		const struct cfg_backend *want, *got;

		rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
		s.sport = (__u16)(1024 + (rng >> 33) % 60000);
		switch (i % 4) {
		case 0:
			snprintf(src, sizeof(src), "10.%u.%u.%u", (unsigned)(rng >> 8) & 255,
				 (unsigned)(rng >> 16) & 255, (unsigned)(rng >> 24) & 255);
			s.family = 4, s.dst = "203.0.113.10", s.proto = IPPROTO_TCP, s.dport = 80;
			break;
		case 1:
			snprintf(src, sizeof(src), "2001:db8:%x::%x",
				 (unsigned)(rng >> 20) & 0xffff, (unsigned)(rng >> 40) & 0xffff);
			s.family = 6, s.dst = "2001:db8:10::80", s.proto = IPPROTO_TCP,
			s.dport = 443;
			break;
		case 2:
			snprintf(src, sizeof(src), "192.0.2.%u", (unsigned)(rng >> 50) & 255);
			s.family = 4, s.dst = "203.0.113.53", s.proto = IPPROTO_UDP, s.dport = 53;
			break;
		default:
			snprintf(src, sizeof(src), "198.18.%u.%u", (unsigned)(rng >> 30) & 255,
				 (unsigned)(rng >> 45) & 255);
			s.family = 4, s.dst = "203.0.113.30", s.proto = IPPROTO_UDP,
			s.dport = (__u16)(1 + (rng >> 17) % 65535);
			break;
		}
		s.src = src;
		k = pkt_flow(&s);
		want = lbfix_pick(&f, &k);
		got = send_pkt(&f, &s, NULL);
		cr_assert(eq(str, (char *)name_of(got), (char *)name_of(want)), "flow %d", i);
		n++;
	}
	cr_expect(eq(int, n, 3000));
	lbfix_close(&f);
}

/* A source prefix varies the outer source per flow (for backends' RSS):
 * host bits = the flow hash's, within the prefix. */
Test(conntrack, outer_source_from_prefix)
{
	const char *cfg =
		"{ \"interface\": \"test0\", \"next_hop_mac\": \"02:00:00:00:00:01\","
		"  \"source_v4\": \"192.0.2.16/28\", \"source_v6\": \"2001:db8::100/120\", \"vips\": ["
		"  { \"name\": \"v\", \"address\": \"203.0.113.10\", \"port\": 80, \"table_size\": 1009,"
		"    \"backends\": [ { \"name\": \"a\", \"address\": \"198.51.100.11\" } ] },"
		"  { \"name\": \"w\", \"address\": \"203.0.113.11\", \"port\": 80, \"table_size\": 1009,"
		"    \"backends\": [ { \"name\": \"b\", \"address\": \"2001:db8:20::1\" } ] } ] }";
	__u8 in[PKT_MAX], out[PKT_MAX], seen4[16] = { 0 };
	struct lbfix f;
	int distinct = 0;

	lbfix_open(&f, cfg);
	for (__u16 p = 1000; p < 1100; p++) {
		struct pkt_spec s = flow4(p, TCPF_SYN);
		struct xdplb_flow_key k = pkt_flow(&s);
		__u32 h = lbfix_encap_hash(&f, &k);
		size_t in_len = pkt_build(&s, in), out_len;
		__u32 src;

		cr_assert(eq(int, lbfix_run(&f, in, in_len, out, &out_len), XDP_TX));
		memcpy(&src, out + 14 + 12, 4);
		cr_expect(eq(u32, src, htonl(0xc0000210) | (h & htonl(0xf))), "port %u", p);
		distinct += !seen4[ntohl(src) & 0xf]++;

		s.dst = "203.0.113.11";
		k = pkt_flow(&s);
		h = lbfix_encap_hash(&f, &k);
		in_len = pkt_build(&s, in);
		cr_assert(eq(int, lbfix_run(&f, in, in_len, out, &out_len), XDP_TX));
		cr_expect(eq(u8, out[14 + 8 + 15], (__u8)(0 | ((h & htonl(0xff)) >> 24))),
			  "v6 source, port %u", p);
		cr_expect(eq(int,
			     memcmp(out + 14 + 8, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\x01", 15),
			     0));
	}
	cr_expect(gt(int, distinct, 8), "only %d distinct sources", distinct);
	lbfix_close(&f);
}

/* Drops after the VIP is known are counted on the VIP too. */
Test(conntrack, vip_counts_its_drops)
{
	struct lbfix f;
	struct pkt_spec s = { .family = 4,
			      .src = "192.0.2.9",
			      .dst = "203.0.113.40",
			      .proto = IPPROTO_TCP,
			      .sport = 1234,
			      .dport = 80,
			      .tcp_flags = TCPF_SYN };
	struct xdplb_vip_stats vs;

	lbfix_open(&f, DP_CONFIG);
	cr_expect(eq(ptr, (void *)send_pkt(&f, &s, NULL), NULL));
	cr_expect(eq(ptr, (void *)send_pkt(&f, &s, NULL), NULL));
	vs = lbfix_vip_stats(&f, "maint");
	cr_expect(eq(u64, vs.packets, 2));
	cr_expect(eq(u64, vs.drops, 2));
	cr_expect(eq(u64, vs.new_flows, 0));
	cr_expect(eq(u64, lbfix_global(&f, XDPLB_CNT_DROP_BASE + XDPLB_DROP_NO_BACKEND), 2));
	lbfix_close(&f);
}

/* A new flow whose first packet is dropped after the backend pick (too big
 * for the tunnel) leaves nothing behind: no conntrack entry, no new flow;
 * its next packet that fits is the flow's first, counted once on the VIP
 * and once on the backend. */
Test(conntrack, dropped_first_packet_starts_no_flow)
{
	char cfg[4096];
	struct lbfix f;
	struct pkt_spec big = flow4(4242, TCPF_SYN), small = flow4(4242, TCPF_SYN);
	struct xdplb_vip_stats vs;
	const struct cfg_backend *b;
	__u64 be_flows = 0;

	big.payload = 1500 - 20 - 20; /* a full 1500-byte IP packet: 20 too many */
	lbfix_open(&f, config("be1,be2", cfg, sizeof(cfg)));
	cr_expect(eq(ptr, (void *)send_pkt(&f, &big, NULL), NULL), "too big: dropped");
	vs = lbfix_vip_stats(&f, "web4");
	cr_expect(eq(u64, vs.ct_misses, 1));
	cr_expect(eq(u64, vs.drops, 1));
	cr_expect(eq(u64, vs.new_flows, 0), "a dropped packet starts no flow");
	cr_expect(eq(u64, lbfix_global(&f, XDPLB_CNT_DROP_BASE + XDPLB_DROP_TOO_BIG), 1));

	b = send_pkt(&f, &small, NULL);
	cr_assert(b != NULL);
	vs = lbfix_vip_stats(&f, "web4");
	cr_expect(eq(u64, vs.ct_misses, 2), "no entry was left: a miss again");
	cr_expect(eq(u64, vs.ct_hits, 0));
	cr_expect(eq(u64, vs.new_flows, 1));
	for (int i = 1; i <= 2; i++) {
		char name[8];

		snprintf(name, sizeof(name), "be%d", i);
		be_flows += lbfix_be_stats(&f, "web4", name).new_flows;
	}
	cr_expect(eq(u64, be_flows, vs.new_flows), "the VIP's new flows are its backends'");
	cr_expect(eq(str, (char *)name_of(send_pkt(&f, &small, NULL)), (char *)b->name));
	cr_expect(eq(u64, lbfix_vip_stats(&f, "web4").ct_hits, 1));
	lbfix_close(&f);
}

/* A flow whose packets move to another CPU (RSS changed, a veth's sender
 * moved) keeps its backend after a table change: a packet that is not a
 * SYN and misses its CPU's bucket finds the flow in another CPU's, and
 * that CPU keeps a copy, marked established. */
Test(conntrack, flow_moving_cpu_keeps_backend)
{
	char a[4096], b[4096];
	struct flow_entry e[XDPLB_CT_MAX_CPUS];
	struct lbfix f;
	struct xdplb_flow_key k;
	int n;
	__u16 p;

	if (libbpf_num_possible_cpus() < 2 || lbfix_pin_cpu(1))
		cr_skip_test("needs two CPUs");
	lbfix_open(&f, config("be1,be2,be3", a, sizeof(a)));
	p = port_moving(&f, "be1", config("be1,be2,be3,be4,be5,be6", b, sizeof(b)), "be1");
	struct pkt_spec syn = flow4(p, TCPF_SYN), ack = flow4(p, TCPF_ACK);

	k = pkt_flow(&syn);
	cr_assert(eq(str, (char *)name_of(send_pkt(&f, &syn, NULL)), "be1"));
	n = lbfix_flows(&f, &k, e, XDPLB_CT_MAX_CPUS);
	cr_assert(eq(int, n, 1));
	cr_expect(eq(u32, e[0].cpu, 0));
	cr_expect(not(e[0].est), "a SYN alone is not established");
	cr_assert(eq(int, lbfix_apply(&f, b), 0));
	cr_assert(not(eq(str, (char *)name_of(lbfix_pick(&f, &k)), "be1")), "precondition");

	cr_assert(eq(int, lbfix_pin_cpu(1), 0));
	cr_expect(eq(str, (char *)name_of(send_pkt(&f, &ack, NULL)), "be1"),
		  "the ACK on CPU 1 left its backend");
	cr_expect(eq(u64, lbfix_vip_stats(&f, "web4").ct_hits, 1), "found on CPU 0: a hit");
	n = lbfix_flows(&f, &k, e, XDPLB_CT_MAX_CPUS);
	cr_assert(eq(int, n, 2), "CPU 1 keeps a copy");
	cr_expect(eq(u32, e[1].cpu, 1));
	cr_expect(e[1].est, "the copy is established");
	cr_expect(eq(u32, e[1].backend_id, e[0].backend_id));
	/* a retransmitted SYN on CPU 1 now hits there */
	cr_expect(eq(str, (char *)name_of(send_pkt(&f, &syn, NULL)), "be1"));
	lbfix_close(&f);
}

/* A SYN flood evicts its own entries, not established flows: 100 flows
 * (SYN, then ACK) and then 10,000 new SYNs into 4,096 buckets of 3 ways
 * on the flood's CPU. Least-recently-used alone would have lost ~40% of
 * the 100 (a bucket that gets 3 SYNs after a flow forgets it). */
Test(conntrack, syn_flood_evicts_its_own)
{
	static const char cfg[] =
		"{ \"interface\": \"test0\", \"next_hop_mac\": \"02:00:00:00:00:01\","
		"  \"source_v4\": \"192.0.2.1\", \"conntrack_size\": 16384, \"vips\": ["
		"  { \"name\": \"web4\", \"address\": \"203.0.113.10\", \"port\": 80, \"table_size\": 1009,"
		"    \"backends\": [ { \"name\": \"be1\", \"address\": \"198.51.100.11\" },"
		"                   { \"name\": \"be2\", \"address\": \"198.51.100.12\" } ] } ] }";
	struct lbfix f;
	__u64 hits;

	lbfix_open(&f, cfg);
	cr_assert(le(u32, lbfix_ctl(&f).ct_bits, 12), "at most 4,096 buckets per CPU");
	for (__u16 p = 1000; p < 1100; p++) {
		struct pkt_spec syn = flow4(p, TCPF_SYN), ack = flow4(p, TCPF_ACK);

		cr_assert(send_pkt(&f, &syn, NULL) != NULL);
		cr_assert(send_pkt(&f, &ack, NULL) != NULL);
	}
	for (__u16 p = 20000; p < 30000; p++) {
		struct pkt_spec syn = flow4(p, TCPF_SYN);

		syn.src = "198.18.0.1";
		cr_assert(send_pkt(&f, &syn, NULL) != NULL);
	}
	hits = lbfix_vip_stats(&f, "web4").ct_hits;
	for (__u16 p = 1000; p < 1100; p++) {
		struct pkt_spec ack = flow4(p, TCPF_ACK);

		cr_assert(send_pkt(&f, &ack, NULL) != NULL);
	}
	hits = lbfix_vip_stats(&f, "web4").ct_hits - hits;
	cr_expect(ge(u64, hits, 99), "%llu of 100 established flows still hit after the flood",
		  (unsigned long long)hits);
	lbfix_close(&f);
}

/* The outer IPv4 ID: 0 with DF; without DF it varies from packet to
 * packet of one flow (RFC 6864): the backend's packet count on this CPU. */
Test(conntrack, outer_ipv4_id)
{
	char cfg[4096];
	__u8 in[PKT_MAX], out[PKT_MAX];
	struct pkt_spec s = flow4(5000, TCPF_ACK);
	struct lbfix f;
	__u16 id[3];
	size_t in_len, out_len;

	lbfix_open(&f, config("be1,be2", cfg, sizeof(cfg)));
	for (int i = 0; i < 3; i++) {
		in_len = pkt_build(&s, in);
		cr_assert(eq(int, lbfix_run(&f, in, in_len, out, &out_len), XDP_TX));
		memcpy(&id[i], out + 14 + 4, 2);
	}
	cr_expect(id[0] != id[1] && id[1] != id[2] && id[0] != id[2],
		  "no DF: IDs %u %u %u must differ", id[0], id[1], id[2]);
	s.frag = 0x4000; /* DF */
	in_len = pkt_build(&s, in);
	cr_assert(eq(int, lbfix_run(&f, in, in_len, out, &out_len), XDP_TX));
	memcpy(&id[0], out + 14 + 4, 2);
	cr_expect(eq(u16, id[0], 0), "DF: ID 0");
	cr_expect(eq(u8, out[14 + 6] & 0x40, 0x40), "DF copied outward");
	lbfix_close(&f);
}

/* Ages the flow's entry on CPU 0 by sec seconds (its last-seen time moved
 * back), as if it had idled that long. */
static void age_flow(struct lbfix *f, const struct pkt_spec *s, __u32 sec)
{
	struct xdplb_ctl c = lbfix_ctl(f);
	struct xdplb_flow_key k = pkt_flow(s);
	struct flow_entry e;

	cr_assert(eq(int, lbfix_flows(f, &k, &e, 1), 1), "the flow is kept");
	cr_assert(gt(u32, c.ct_hz, 0), "the kernel's HZ is known");
	e.seen -= (sec * c.ct_hz) >> XDPLB_CT_TIME_SHIFT;
	cr_assert(eq(int, flows_put(LB_FD(&f->m, conntrack), &c, &k, &e), 0));
}

/* A UDP flow idle longer than udp_timeout (default 30 s) is a new flow:
 * a conntrack miss and a new flow of its VIP; one idle less stays, and a
 * TCP flow never expires. */
Test(conntrack, udp_flows_expire)
{
	char cfg[4096];
	struct pkt_spec u = flow4(5300, 0), t = flow4(5301, TCPF_SYN), ta = flow4(5301, TCPF_ACK);
	struct xdplb_vip_stats a, b;
	struct lbfix f;

	u.proto = IPPROTO_UDP;
	u.dst = "203.0.113.53";
	u.dport = 53;
	lbfix_open(&f, config("be1,be2,be3", cfg, sizeof(cfg)));
	struct xdplb_ctl c = lbfix_ctl(&f);

	cr_assert(eq(u32, c.bank[xdplb_active_bank(&c)].udp_timeout, 30), "the default");
	cr_assert(send_pkt(&f, &u, NULL) != NULL);
	age_flow(&f, &u, 25);
	a = lbfix_vip_stats(&f, "udp4");
	cr_assert(send_pkt(&f, &u, NULL) != NULL);
	b = lbfix_vip_stats(&f, "udp4");
	cr_expect(eq(u64, b.ct_hits, a.ct_hits + 1), "idle 25 s of 30: still the flow");
	age_flow(&f, &u, 40);
	cr_assert(send_pkt(&f, &u, NULL) != NULL);
	a = lbfix_vip_stats(&f, "udp4");
	cr_expect(eq(u64, a.ct_misses, b.ct_misses + 1), "idle 40 s: a miss");
	cr_expect(eq(u64, a.new_flows, b.new_flows + 1), "... and a new flow");
	cr_expect(eq(u64, a.ct_hits, b.ct_hits));
	/* the new flow is kept (one entry, fresh): the next packet hits */
	cr_assert(send_pkt(&f, &u, NULL) != NULL);
	cr_expect(eq(u64, lbfix_vip_stats(&f, "udp4").ct_hits, a.ct_hits + 1));

	cr_assert(send_pkt(&f, &t, NULL) != NULL);
	cr_assert(send_pkt(&f, &ta, NULL) != NULL);
	age_flow(&f, &t, 3600);
	a = lbfix_vip_stats(&f, "web4");
	cr_assert(send_pkt(&f, &ta, NULL) != NULL);
	cr_expect(eq(u64, lbfix_vip_stats(&f, "web4").ct_hits, a.ct_hits + 1),
		  "a TCP flow idle an hour still hits");
	lbfix_close(&f);
}

/* Each CPU refreshes its own copy of a flow: a UDP flow whose packets
 * moved to CPU 1 (RSS, a veth's sender) is not expired when one lands on
 * CPU 0 again, whose copy is older than udp_timeout (seen in the lab: a
 * datagram every 0.5 s with udp_timeout 2 was re-selected): CPU 0 looks at
 * the other CPUs and takes CPU 1's fresh copy over its stale way. Only when
 * every copy is older is it a new flow. */
Test(conntrack, udp_flow_seen_on_another_cpu_is_not_expired)
{
	char cfg[4096];
	struct pkt_spec u = flow4(5350, 0);
	struct flow_entry e[XDPLB_CT_MAX_CPUS];
	struct xdplb_vip_stats a, b;
	struct xdplb_flow_key k;
	struct xdplb_ctl c;
	struct lbfix f;
	int n;

	if (libbpf_num_possible_cpus() < 2 || lbfix_pin_cpu(1))
		cr_skip_test("needs two CPUs");
	u.proto = IPPROTO_UDP;
	u.dst = "203.0.113.53";
	u.dport = 53;
	k = pkt_flow(&u);
	lbfix_open(&f, config("be1,be2,be3", cfg, sizeof(cfg)));
	c = lbfix_ctl(&f);
	cr_assert(send_pkt(&f, &u, NULL) != NULL); /* CPU 0 */
	cr_assert(eq(int, lbfix_pin_cpu(1), 0));
	cr_assert(send_pkt(&f, &u, NULL) != NULL); /* CPU 1: a copy */
	n = lbfix_flows(&f, &k, e, XDPLB_CT_MAX_CPUS);
	cr_assert(eq(int, n, 2), "a copy on each CPU");
	cr_assert(eq(u32, e[0].cpu, 0));
	/* CPU 0's copy idle 40 s of 30, CPU 1's fresh */
	e[0].seen -= (40 * c.ct_hz) >> XDPLB_CT_TIME_SHIFT;
	cr_assert(eq(int, flows_put(LB_FD(&f.m, conntrack), &c, &k, &e[0]), 0));
	cr_assert(eq(int, lbfix_pin_cpu(0), 0));
	a = lbfix_vip_stats(&f, "udp4");
	cr_assert(send_pkt(&f, &u, NULL) != NULL);
	b = lbfix_vip_stats(&f, "udp4");
	cr_expect(eq(u64, b.ct_hits, a.ct_hits + 1), "seen on CPU 1 within the timeout: a hit");
	cr_expect(eq(u64, b.new_flows, a.new_flows), "... not a new flow");
	n = lbfix_flows(&f, &k, e, XDPLB_CT_MAX_CPUS);
	cr_assert(eq(int, n, 2), "still one copy a CPU (CPU 0's way taken over)");
	cr_expect(eq(u32, e[0].seen, e[1].seen), "CPU 0's copy refreshed from CPU 1's");
	cr_expect(e[0].est, "and established");
	/* both copies idle 40 s: a new flow */
	for (int i = 0; i < n; i++) {
		e[i].seen -= (40 * c.ct_hz) >> XDPLB_CT_TIME_SHIFT;
		cr_assert(eq(int, flows_put(LB_FD(&f.m, conntrack), &c, &k, &e[i]), 0));
	}
	cr_assert(send_pkt(&f, &u, NULL) != NULL);
	a = lbfix_vip_stats(&f, "udp4");
	cr_expect(eq(u64, a.ct_misses, b.ct_misses + 1), "every copy idle 40 s: a miss");
	cr_expect(eq(u64, a.new_flows, b.new_flows + 1), "... and a new flow");
	cr_expect(eq(int, lbfix_flows(&f, &k, e, XDPLB_CT_MAX_CPUS), 2),
		  "written over CPU 0's way, not a third entry");
	lbfix_close(&f);
}

/* Sets the flow's last-seen stamp on CPU 0 to units before the stamp of
 * the packet just sent, sends the packet again and says what became of
 * it: 1 a hit, 0 a new flow, -1 the clock's unit ticked in between (the
 * two packets' stamps differ: try again). */
static int hit_after_units(struct lbfix *f, const struct pkt_spec *s, __u32 units)
{
	struct xdplb_ctl c = lbfix_ctl(f);
	struct xdplb_flow_key k = pkt_flow(s);
	struct xdplb_vip_stats a;
	struct flow_entry e;
	__u32 stamp;

	cr_assert(send_pkt(f, s, NULL) != NULL);
	cr_assert(eq(int, lbfix_flows(f, &k, &e, 1), 1), "the flow is kept");
	stamp = e.seen;
	e.seen = stamp - units;
	cr_assert(eq(int, flows_put(LB_FD(&f->m, conntrack), &c, &k, &e), 0));
	a = lbfix_vip_stats(f, "udp4");
	cr_assert(send_pkt(f, s, NULL) != NULL);
	cr_assert(eq(int, lbfix_flows(f, &k, &e, 1), 1));
	if (e.seen != stamp)
		return -1;
	return lbfix_vip_stats(f, "udp4").ct_hits == a.ct_hits + 1;
}

/* udp_timeout in the stamps' units (jiffies >> 8) is rounded up: two
 * stamps that many units apart may be less than udp_timeout apart, so the
 * flow is kept; one unit more, and it is a new flow. Rounded down (before
 * xdplb_ct_idle_units()), udp_timeout 2 at HZ 250 was one unit, and a
 * datagram 1.03 s after the last could go to another backend (seen in the
 * lab, test_lab_udp_hash.sh, on a busy machine). */
Test(conntrack, udp_timeout_rounds_up_to_whole_units)
{
	char cfg[4096], cfg2[4200];
	struct pkt_spec u = flow4(5350, 0);
	struct lbfix f;
	__u32 units;
	int r;

	u.proto = IPPROTO_UDP;
	u.dst = "203.0.113.53";
	u.dport = 53;
	config("be1,be2,be3", cfg, sizeof(cfg));
	snprintf(cfg2, sizeof(cfg2), "{ \"udp_timeout\": 2, %s", strchr(cfg, '{') + 1);
	lbfix_open(&f, cfg2);
	struct xdplb_ctl c = lbfix_ctl(&f);

	units = (2 * c.ct_hz + 255) / 256;
	cr_assert(gt(u32, units, (2 * c.ct_hz) >> XDPLB_CT_TIME_SHIFT),
		  "HZ %u: rounding up differs from rounding down", c.ct_hz);
	cr_assert(eq(u32, xdplb_ct_idle_units(2, c.ct_hz), units));
	for (int i = 0; i < 5 && (r = hit_after_units(&f, &u, units)) < 0; i++)
		;
	cr_expect(eq(int, r, 1), "stamps %u units apart (udp_timeout 2 at HZ %u): still the flow",
		  units, c.ct_hz);
	for (int i = 0; i < 5 && (r = hit_after_units(&f, &u, units + 1)) < 0; i++)
		;
	cr_expect(eq(int, r, 0), "stamps %u units apart: a new flow", units + 1);
	lbfix_close(&f);
}

/* udp_timeout 0: UDP flows never expire. */
Test(conntrack, udp_timeout_zero_never_expires)
{
	char cfg[4096], cfg0[4200];
	struct pkt_spec u = flow4(5400, 0);
	struct xdplb_vip_stats a;
	struct lbfix f;
	const char *brace;

	u.proto = IPPROTO_UDP;
	u.dst = "203.0.113.53";
	u.dport = 53;
	config("be1,be2", cfg, sizeof(cfg));
	brace = strchr(cfg, '{');
	snprintf(cfg0, sizeof(cfg0), "{ \"udp_timeout\": 0, %s", brace + 1);
	lbfix_open(&f, cfg0);
	cr_assert(send_pkt(&f, &u, NULL) != NULL);
	age_flow(&f, &u, 86400);
	a = lbfix_vip_stats(&f, "udp4");
	cr_assert(send_pkt(&f, &u, NULL) != NULL);
	cr_expect(eq(u64, lbfix_vip_stats(&f, "udp4").ct_hits, a.ct_hits + 1),
		  "idle a day, udp_timeout 0: still the flow");
	lbfix_close(&f);
}

/* Drain progress: each backend's conntrack entries, read as status and
 * the exporter read them (a small table: every bucket, exact). */
Test(conntrack, flows_per_backend)
{
	char cfg[4096];
	struct lbfix f;
	struct lb_live l = { 0 };
	__u64 sum = 0, per[3] = { 0 };

	lbfix_open(&f, config("be1,be2,be3", cfg, sizeof(cfg)));
	for (__u16 p = 7000; p < 7060; p++) {
		struct pkt_spec syn = flow4(p, TCPF_SYN);
		const struct cfg_backend *b = send_pkt(&f, &syn, NULL);

		cr_assert(b != NULL);
		per[b->name[2] - '1']++;
	}
	cr_assert(eq(int, status_read_maps(&f.m, LIVE_FLOWS, &l), 0));
	cr_assert(eq(u32, l.parts & LIVE_FLOWS, (__u32)LIVE_FLOWS), "read");
	cr_expect(eq(u32, l.flows_sampled, l.ct_buckets), "a small table is read whole");
	for (__u32 b = 0; b < l.vips[0].n_be; b++) {
		const struct st_backend *sb = &l.vips[0].be[b];

		cr_expect(eq(u64, sb->flows, per[sb->name.s[2] - '1']), "%s", sb->name.s);
		sum += sb->flows;
		/* the program's jiffies stamps read back as "just now": the
		 * loader's jiffies from the monotonic clock agree with the
		 * kernel's (a stamp is 256 jiffies, ~1 s, wide) */
		if (sb->flows)
			cr_expect(sb->idle_s >= 0 && sb->idle_s < 3, "%s idle %.2f s", sb->name.s,
				  sb->idle_s);
	}
	cr_expect(eq(u64, sum, 60), "every flow, once");
	for (__u32 b = 0; b < l.vips[1].n_be; b++) /* the UDP VIP had no flows */
		cr_expect(eq(int, (int)l.vips[1].be[b].idle_s, -1), "%s: no flows, no idle time",
			  l.vips[1].be[b].name.s);
	live_free(&l);
	lbfix_close(&f);
}

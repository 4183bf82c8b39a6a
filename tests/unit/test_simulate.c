// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* simulate: synthetic flows land on backends in proportion to table shares. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <arpa/inet.h>
#include <math.h>

#include "helpers.h"
#include "simulate.h"
#include "xdplb_hash.h"

Test(simulate, flows_follow_weights)
{
	const char *json =
		"{" BASE_TOP ", \"vips\": [ { \"name\": \"v\", \"address\": \"203.0.113.1\","
		" \"port\": 80, \"guards\": { \"max_backend_share\": 0.6 }, \"backends\": ["
		" { \"name\": \"a\", \"address\": \"198.51.100.1\", \"weight\": 100 },"
		" { \"name\": \"b\", \"address\": \"198.51.100.2\", \"weight\": 200 },"
		" { \"name\": \"c\", \"address\": \"2001:db8::3\", \"weight\": 300 },"
		" { \"name\": \"d\", \"address\": \"198.51.100.4\", \"weight\": 50, \"state\": \"drain\" } ] },"
		" { \"name\": \"w\", \"address\": \"2001:db8::80\", \"port\": 0, \"backends\": ["
		" { \"name\": \"e\", \"address\": \"2001:db8::5\" }, { \"name\": \"f\", \"address\": \"2001:db8::6\" } ] } ] }";
	const __u64 flows = 200000;
	struct checked c;
	struct diags d;
	struct sim_vip *s;

	cr_assert(eq(int, check_str(json, &c, &d), 0));
	s = simulate(&c, flows, 1);
	cr_assert(not(eq(ptr, s, NULL)));
	for (__u32 v = 0; v < 2; v++) {
		for (__u32 b = 0; b < c.cfg.vips[v].n_backends; b++) {
			const struct sim_backend *sb = &s[v].b[b];
			/* 6 standard deviations of a binomial share */
			double tol =
				6 * sqrt(sb->table_share * (1 - sb->table_share) / flows) + 1e-9;

			cr_expect(le(dbl, fabs(sb->flow_share - sb->table_share), tol),
				  "vip %u backend %u: flows %.4f table %.4f", v, b, sb->flow_share,
				  sb->table_share);
			cr_expect(le(dbl, fabs(sb->table_share - sb->weight_share), 0.001));
		}
	}
	cr_expect(eq(u64, s[0].b[3].flows, 0), "a draining backend gets no new flow");
	cr_expect(eq(dbl, s[0].b[1].weight_share, 2.0 / 6));
	simulate_free(s, c.cfg.n_vips);
	checked_free(&c);
}

/* simulate_pick() follows a VIP's hash: on a "source" VIP every port of a
 * client picks one backend, the one of the addresses' hash; on a "5tuple"
 * VIP, of the same table, the ports spread. simulate() still balances both. */
Test(simulate, pick_follows_vip_hash)
{
	const char *json =
		"{" BASE_TOP ", \"hash_seed\": 99, \"vips\": ["
		" { \"name\": \"s\", \"address\": \"203.0.113.1\", \"port\": 0, \"hash\": \"source\","
		"   \"table_size\": 1009, \"backends\": [ { \"name\": \"a\", \"address\": \"198.51.100.1\" },"
		"   { \"name\": \"b\", \"address\": \"198.51.100.2\" }, { \"name\": \"c\", \"address\": \"198.51.100.3\" } ] },"
		" { \"name\": \"t\", \"address\": \"203.0.113.1\", \"port\": 0, \"protocol\": \"udp\","
		"   \"table_size\": 1009, \"backends\": [ { \"name\": \"a\", \"address\": \"198.51.100.1\" },"
		"   { \"name\": \"b\", \"address\": \"198.51.100.2\" }, { \"name\": \"c\", \"address\": \"198.51.100.3\" } ] } ] }";
	struct xdplb_flow_key f = { .family = XDPLB_AF_INET, .proto = 6 };
	unsigned spread[3] = { 0 };
	struct checked c;
	struct diags d;
	struct sim_vip *s;
	__u32 first, want;

	cr_assert(eq(int, check_str(json, &c, &d), 0));
	f.src.v4 = htonl(0xc6120007);
	f.dst = c.cfg.vips[0].addr;
	want = c.tables.slots[0][xdplb_vip_hash(&f, 99, XDPLB_VIP_F_HASH_SOURCE) % 1009];
	first = simulate_pick(&c, 0, &f);
	cr_expect(eq(u32, first, want));
	for (__u32 p = 1; p < 2000; p++) {
		f.sport = htons((__u16)(p * 31));
		f.dport = htons((__u16)(p * 17));
		f.proto = 6;
		cr_assert(eq(u32, simulate_pick(&c, 0, &f), first), "port %u", p);
		f.proto = 17;
		spread[simulate_pick(&c, 1, &f) % 3]++;
		cr_assert(eq(u32, simulate_pick(&c, 1, &f),
			     c.tables.slots[1][xdplb_flow_hash(&f, 99) % 1009]));
	}
	for (int b = 0; b < 3; b++)
		cr_expect(gt(u32, spread[b], 500), "5tuple: backend %d has %u of 2000", b,
			  spread[b]);
	/* many clients: a source VIP is balanced like any */
	s = simulate(&c, 30000, 5);
	cr_assert(not(eq(ptr, s, NULL)));
	for (__u32 b = 0; b < 3; b++)
		cr_expect(le(dbl, fabs(s[0].b[b].flow_share - s[0].b[b].table_share), 0.02),
			  "backend %u: flows %.4f table %.4f", b, s[0].b[b].flow_share,
			  s[0].b[b].table_share);
	simulate_free(s, c.cfg.n_vips);
	checked_free(&c);
}

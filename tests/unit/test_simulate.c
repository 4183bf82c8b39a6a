// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* simulate: synthetic flows land on backends in proportion to table shares. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <math.h>

#include "helpers.h"
#include "simulate.h"

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

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The tunnel sources a backend accepts: what --source takes and refuses,
 * an LB config's sources, and the map key they become. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <string.h>

#include "decap_src.h"
#include "helpers.h"

Test(decap_src, parses_addresses_and_prefixes)
{
	static const struct {
		const char *in, *out;
	} ok[] = {
		{ "192.0.2.1", "192.0.2.1/32" },      { "192.0.2.0/24", "192.0.2.0/24" },
		{ "10.0.0.0/8", "10.0.0.0/8" },	      { "2001:db8::1", "2001:db8::1/128" },
		{ "2001:db8::/32", "2001:db8::/32" }, { "2001:db8:0:1::/64", "2001:db8:0:1::/64" },
		{ "198.18.0.0/15", "198.18.0.0/15" },
	};
	char why[160], buf[DECAP_SRC_STRLEN];
	struct decap_src s;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		cr_assert(eq(int, decap_src_parse(ok[i].in, &s, why, sizeof(why)), 0), "%s: %s",
			  ok[i].in, why);
		cr_expect(eq(str, (char *)decap_src_str(&s, buf), (char *)ok[i].out));
	}
}

Test(decap_src, refuses_what_no_lb_sends_from)
{
	static const struct {
		const char *in, *why;
	} bad[] = {
		{ "lb1", "not an IPv4 or IPv6 address" },
		{ "192.0.2.1/33", "prefix length" },
		{ "2001:db8::/129", "prefix length" },
		{ "192.0.2.0/x", "prefix length" },
		{ "0.0.0.0/0", "--any-source" },
		{ "::/0", "--any-source" },
		{ "192.0.2.1/24", "host bits" },
		{ "2001:db8::1/64", "host bits" },
		{ "2001:db8:0:1::/32", "host bits" },
		{ "224.0.0.0/16", "multicast" },
		{ "127.0.0.1", "loopback" },
		{ "0.0.0.0/8", "this network" },
		{ "255.255.255.255", "broadcast" },
		{ "ff02::/96", "ff00::/8" },
		{ "fe80::1", "fe80::/10" },
		{ "::ffff:192.0.2.1", "::ffff:0:0/96" },
		{ "128.0.0.0/1", "which no LB sends from" }, /* overlaps special ranges */
	};
	char why[160];
	struct decap_src s;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		cr_expect(eq(int, decap_src_parse(bad[i].in, &s, why, sizeof(why)), -EINVAL), "%s",
			  bad[i].in);
		cr_expect(strstr(why, bad[i].why) != NULL, "%s: \"%s\" does not say \"%s\"",
			  bad[i].in, why, bad[i].why);
	}
}

Test(decap_src, an_lb_configs_sources)
{
	const char *json = "{ \"interface\": \"eth0\", \"next_hop_mac\": \"02:00:00:00:00:01\", "
			   "\"source_v4\": \"192.0.2.0/28\", \"source_v6\": \"2001:db8::1\", "
			   "\"vips\": [] }";
	struct decap_srcs set = { 0 };
	char buf[DECAP_SRC_STRLEN];
	struct checked c;
	struct diags d;

	cr_assert(eq(int, check_str(json, &c, &d), 0));
	cr_expect(eq(int, decap_srcs_add_config(&set, &c.cfg), 2));
	cr_expect(eq(int, decap_srcs_add_config(&set, &c.cfg), 2), "again: the same two");
	cr_expect(eq(int, set.n, 2), "no duplicates");
	cr_expect(eq(str, (char *)decap_src_str(&set.v[0], buf), "192.0.2.0/28"));
	cr_expect(eq(str, (char *)decap_src_str(&set.v[1], buf), "2001:db8::1/128"));
	cr_expect(not(decap_srcs_is_any(&set)));
	checked_free(&c);
	diags_free(&d);
}

Test(decap_src, map_keys_round_trip)
{
	const char *in[] = { "192.0.2.0/24", "2001:db8:5::/48", "198.51.100.7" };
	struct xdplb_decap_src_key k;
	struct decap_src s, back;
	struct decap_srcs any;
	char why[160];

	for (size_t i = 0; i < 3; i++) {
		cr_assert(eq(int, decap_src_parse(in[i], &s, why, sizeof(why)), 0));
		decap_src_key(&s, &k);
		cr_expect(eq(u32, k.prefixlen, XDPLB_DECAP_SRC_PLEN(s.plen)));
		cr_expect(eq(int, decap_src_of_key(&k, &back), 0));
		cr_expect(eq(int, memcmp(&s, &back, sizeof(s)), 0), "%s", in[i]);
	}
	k.prefixlen = XDPLB_DECAP_SRC_PLEN(33);
	k.family = XDPLB_AF_INET;
	cr_expect(eq(int, decap_src_of_key(&k, &back), -EINVAL), "v4 /33");
	decap_srcs_any(&any);
	cr_expect(decap_srcs_is_any(&any));
	cr_expect(eq(int, any.n, 2));
}

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Special-purpose address ranges: the edges of each, as addresses and as
 * prefixes that overlap them or stop just short. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <string.h>

#include "addr.h"

static const char *special(const char *s)
{
	struct xdplb_addr a;
	int plen, fam = prefix_parse(s, &a, &plen);

	cr_assert(fam > 0, "%s parses", s);
	return addr_special(&a, fam, plen);
}

Test(addr, special_ranges_and_their_edges)
{
	static const struct {
		const char *addr, *range; /* range: NULL for an address xdplb may use */
	} cases[] = {
		{ "0.0.0.0", "0.0.0.0/8, this network" },
		{ "0.255.255.255", "0.0.0.0/8, this network" },
		{ "1.0.0.0", NULL },
		{ "126.255.255.255", NULL },
		{ "127.0.0.1", "127.0.0.0/8, loopback" },
		{ "128.0.0.0", NULL },
		{ "169.253.255.255", NULL },
		{ "169.254.0.1", "169.254.0.0/16, link-local" },
		{ "169.255.0.0", NULL },
		{ "223.255.255.255", NULL },
		{ "224.0.0.0", "224.0.0.0/4, multicast" },
		{ "239.255.255.255", "224.0.0.0/4, multicast" },
		{ "240.0.0.0", "240.0.0.0/4, reserved and broadcast" },
		{ "255.255.255.255", "240.0.0.0/4, reserved and broadcast" },
		{ "192.0.2.1", NULL }, /* the documentation ranges stay usable */
		{ "198.51.100.1", NULL },
		{ "203.0.113.1", NULL },
		{ "::", "::/128, unspecified" },
		{ "::1", "::1/128, loopback" },
		{ "::2", NULL },
		{ "::ffff:192.0.2.1", "::ffff:0:0/96, IPv4-mapped" },
		{ "::fffe:c000:201", NULL },
		{ "fe7f:ffff::1", NULL },
		{ "fe80::1", "fe80::/10, link-local" },
		{ "febf:ffff::1", "fe80::/10, link-local" },
		{ "fec0::1", NULL },
		{ "ff02::1", "ff00::/8, multicast" },
		{ "2001:db8::1", NULL },
		/* prefixes: any address of them special makes them special */
		{ "192.0.2.0/24", NULL },
		{ "224.0.0.0/16", "224.0.0.0/4, multicast" },
		{ "0.0.0.0/0", "0.0.0.0/8, this network" },
		{ "128.0.0.0/1", "169.254.0.0/16, link-local" }, /* the first it overlaps */
		{ "2001:db8::/96", NULL },
		{ "::/96", "::/128, unspecified" },
		{ "::ffff:0:0/104", "::ffff:0:0/96, IPv4-mapped" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = special(cases[i].addr);

		if (!cases[i].range)
			cr_expect(got == NULL, "%s: usable, got \"%s\"", cases[i].addr, got);
		else
			cr_expect(got && !strcmp(got, cases[i].range), "%s: %s, got %s",
				  cases[i].addr, cases[i].range, got ? got : "(usable)");
	}
}

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The fleet's per-host keys: next_hop / next_hop_mac, announce; and which
 * VIP addresses an LB announces (core/config_fleet.c, core/announce_plan.c). */
#include <errno.h>
#include <stdlib.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "addr.h"
#include "announce_plan.h"
#include "diff.h"
#include "helpers.h"

#define TOP_NO_NH \
	"\"interface\": \"eth0\", \"source_v4\": \"192.0.2.1\", \"source_v6\": \"2001:db8::1\""
#define VIPS                                                                            \
	"\"vips\": [ { \"name\": \"web\", \"address\": \"203.0.113.10\", \"port\": 80," \
	" \"backends\": [ { \"name\": \"a\", \"address\": \"198.51.100.1\" },"          \
	" { \"name\": \"b\", \"address\": \"198.51.100.2\" } ] },"                      \
	" { \"name\": \"web-tls\", \"address\": \"203.0.113.10\", \"port\": 443,"       \
	" \"backends\": [ { \"name\": \"c\", \"address\": \"198.51.100.3\" } ] },"      \
	" { \"name\": \"web6\", \"address\": \"2001:db8:10::80\", \"port\": 80,"        \
	" \"backends\": [ { \"name\": \"d\", \"address\": \"2001:db8:20::1\" } ] } ]"

/* cfg with extra top-level members; 0 or the error count (first in *path, *msg). */
static int parse(const char *extra, struct checked *c, char *path, char *msg)
{
	char json[2048];
	struct diags d;
	int err;

	snprintf(json, sizeof(json), "{ " TOP_NO_NH "%s%s, " VIPS " }", *extra ? ", " : "", extra);
	err = check_str(json, c, &d);
	if (err) {
		cr_assert(ge(sz, d.n, 1));
		snprintf(path, 128, "%s", d.v[0].path);
		snprintf(msg, 256, "%s", d.v[0].msg);
		err = (int)d.n;
	}
	diags_free(&d);
	return err;
}

Test(config_fleet, next_hop_address)
{
	struct checked c;
	char path[128], msg[256], s[64];

	cr_assert(eq(int, parse("\"next_hop\": \"192.0.2.2\"", &c, path, msg), 0));
	cr_expect(eq(int, c.cfg.nh.kind, NH_ADDR));
	cr_expect(eq(int, c.cfg.nh.family, XDPLB_AF_INET));
	cr_expect(eq(str, (char *)addr_str(&c.cfg.nh.addr, c.cfg.nh.family, s), "192.0.2.2"));
	cr_expect(mac_is_zero(c.cfg.nh_mac), "resolved by the kernel layer, not here");
	cr_expect(not(c.cfg.announce.on), "announce is off unless asked for");
	checked_free(&c);

	cr_assert(eq(int, parse("\"next_hop\": \"fe80::1\"", &c, path, msg), 0),
		  "an IPv6 router's link-local address: %s", msg);
	cr_expect(eq(int, c.cfg.nh.family, XDPLB_AF_INET6));
	checked_free(&c);

	cr_assert(eq(int, parse("\"next_hop\": \"gateway\"", &c, path, msg), 0));
	cr_expect(eq(int, c.cfg.nh.kind, NH_GATEWAY));
	checked_free(&c);

	cr_assert(eq(int, parse("\"next_hop_mac\": \"02:00:00:00:00:01\"", &c, path, msg), 0));
	cr_expect(eq(int, c.cfg.nh.kind, NH_MAC));
	cr_expect(eq(u8, c.cfg.nh_mac[5], 1));
	checked_free(&c);
}

struct bad {
	const char *extra, *path, *frag;
};

Test(config_fleet, next_hop_bad)
{
	static const struct bad cases[] = {
		{ "", "next_hop_mac", "missing (required: next_hop_mac, or next_hop" },
		{ "\"next_hop\": \"192.0.2.2\", \"next_hop_mac\": \"02:00:00:00:00:01\"",
		  "next_hop", "not both" },
		{ "\"next_hop\": \"router1\"", "next_hop", "not an IP address nor \"gateway\"" },
		{ "\"next_hop\": \"224.0.0.5\"", "next_hop", "must be a unicast address" },
		{ "\"next_hop\": \"::\"", "next_hop", "unspecified" },
		{ "\"next_hop\": \"127.0.0.1\"", "next_hop", "loopback" },
		{ "\"next_hop\": 3232235778", "next_hop", "must be a string" },
		{ "\"next_hop\": \"192.0.2.2/32\"", "next_hop", "not an IP address" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct checked c;
		char path[128], msg[256];

		cr_expect(eq(int, parse(cases[i].extra, &c, path, msg), 1), "%s: one error",
			  cases[i].extra);
		cr_expect(eq(str, path, (char *)cases[i].path), "%s", cases[i].extra);
		cr_expect(strstr(msg, cases[i].frag) != NULL, "%s: \"%s\" lacks \"%s\"",
			  cases[i].extra, msg, cases[i].frag);
	}
}

Test(config_fleet, announce)
{
	static const struct bad cases[] = {
		{ "\"announce\": true", "announce", "must be an object" },
		{ "\"announce\": {\"tabel\": 5}", "announce.tabel", "unknown key" },
		{ "\"announce\": {\"table\": 0}", "announce.table", "must be 1..4294967295" },
		{ "\"announce\": {\"table\": 254}", "announce.table", "main" },
		{ "\"announce\": {\"table\": 255}", "announce.table", "local" },
		{ "\"announce\": {\"table\": \"30821\"}", "announce.table", "" },
	};
	char path[128], msg[256];
	struct checked c;

	cr_assert(eq(int, parse("\"next_hop\": \"gateway\", \"announce\": {}", &c, path, msg), 0));
	cr_expect(c.cfg.announce.on);
	cr_expect(eq(u32, c.cfg.announce.table, ANNOUNCE_DEFAULT_TABLE));
	checked_free(&c);
	cr_assert(eq(int,
		     parse("\"next_hop\": \"gateway\", \"announce\": {\"table\": 100}", &c, path,
			   msg),
		     0));
	cr_expect(eq(u32, c.cfg.announce.table, 100));
	checked_free(&c);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char extra[200];

		snprintf(extra, sizeof(extra), "\"next_hop\": \"gateway\", %s", cases[i].extra);
		cr_expect(eq(int, parse(extra, &c, path, msg), 1), "%s: one error", cases[i].extra);
		cr_expect(eq(str, path, (char *)cases[i].path), "%s", cases[i].extra);
		cr_expect(strstr(msg, cases[i].frag) != NULL, "%s: \"%s\" lacks \"%s\"",
			  cases[i].extra, msg, cases[i].frag);
	}
}

/* ------------------------------------------------------------ the plan */

static void load(struct checked *c, bool announce)
{
	char path[128], msg[256];

	cr_assert(eq(int,
		     parse(announce ? "\"next_hop\": \"192.0.2.2\", \"announce\": {}" :
				      "\"next_hop\": \"192.0.2.2\"",
			   c, path, msg),
		     0));
}

static enum ann_why why_of(struct checked *c, const struct ann_gates *g, int addr, bool *vip_yes)
{
	struct ann_addr *a;
	int n = ann_plan(&c->cfg, g, &a, vip_yes);
	enum ann_why w;

	cr_assert(eq(int, n, 2), "two distinct addresses (web and web-tls share one)");
	w = a[addr].why;
	free(a);
	return w;
}

Test(announce_plan, gates_in_order)
{
	struct ann_gates open = { .attached = true, .link_up = true, .settled = true };
	struct ann_gates g;
	struct checked c;

	load(&c, false);
	cr_expect(eq(int, why_of(&c, &open, 0, NULL), ANN_OFF));
	checked_free(&c);
	load(&c, true);
	cr_expect(eq(int, why_of(&c, &open, 0, NULL), ANN_YES));
	cr_expect(eq(int, why_of(&c, &open, 1, NULL), ANN_YES));
	g = open;
	g.settled = false;
	cr_expect(eq(int, why_of(&c, &g, 0, NULL), ANN_UNSETTLED));
	g.link_up = false;
	cr_expect(eq(int, why_of(&c, &g, 0, NULL), ANN_LINK_DOWN));
	g.attached = false;
	cr_expect(eq(int, why_of(&c, &g, 0, NULL), ANN_DETACHED));
	g.drained = true;
	cr_expect(eq(int, why_of(&c, &g, 0, NULL), ANN_DRAINED), "a drain says so first");
	checked_free(&c);
}

Test(announce_plan, per_address)
{
	struct ann_gates open = { .attached = true, .link_up = true, .settled = true };
	bool yes[3];
	struct checked c;

	load(&c, true);
	/* web's two backends out: web-tls on the same address still serves */
	c.cfg.vips[0].backends[0].state = XDPLB_BE_DRAIN;
	c.cfg.vips[0].backends[1].state = XDPLB_BE_DOWN;
	cr_expect(eq(int, why_of(&c, &open, 0, yes), ANN_YES));
	cr_expect(yes[0], "web draws traffic while its address is announced");
	cr_expect(yes[1]);
	/* and web-tls's too: the address goes */
	c.cfg.vips[1].backends[0].state = XDPLB_BE_DOWN;
	cr_expect(eq(int, why_of(&c, &open, 0, yes), ANN_NO_BACKEND));
	cr_expect(not(yes[0]));
	cr_expect(not(yes[1]));
	cr_expect(yes[2], "another address is its own");
	/* weight 0 takes no new flows either */
	c.cfg.vips[2].backends[0].weight = 0;
	cr_expect(eq(int, why_of(&c, &open, 1, yes), ANN_NO_BACKEND));
	checked_free(&c);
}

/* ------------------------------------------------------------ diff */

static size_t globals_of(const char *x, const char *y, char *first)
{
	struct checked a, b;
	char path[128], msg[256];
	struct diff d;
	size_t n;

	cr_assert(eq(int, parse(x, &a, path, msg), 0));
	cr_assert(eq(int, parse(y, &b, path, msg), 0));
	cr_assert(eq(int, diff_compute(&a, &b, &d), 0));
	n = d.n_global;
	snprintf(first, 128, "%s", n ? d.global[0] : "");
	diff_free(&d);
	checked_free(&a);
	checked_free(&b);
	return n;
}

/* A next_hop is compared with another file's next_hop, a MAC with a MAC;
 * a file's address against the MAC the maps hold is not a change. */
Test(config_fleet, diff_next_hop)
{
	char g[128];

	cr_expect(eq(sz,
		     globals_of("\"next_hop\": \"192.0.2.2\"", "\"next_hop\": \"192.0.2.2\"", g),
		     0));
	cr_expect(eq(sz, globals_of("\"next_hop\": \"192.0.2.2\"", "\"next_hop\": \"gateway\"", g),
		     1));
	cr_expect(eq(str, g, "next_hop: 192.0.2.2 -> gateway"));
	cr_expect(eq(sz,
		     globals_of("\"next_hop_mac\": \"02:00:00:00:00:01\"",
				"\"next_hop\": \"192.0.2.2\"", g),
		     0),
		  "an unresolved address against a MAC: %s", g);
	cr_expect(eq(sz,
		     globals_of("\"next_hop_mac\": \"02:00:00:00:00:01\"",
				"\"next_hop_mac\": \"02:00:00:00:00:02\"", g),
		     1));
	cr_expect(eq(str, g, "next_hop_mac: 02:00:00:00:00:01 -> 02:00:00:00:00:02"));
	cr_expect(eq(sz,
		     globals_of("\"next_hop\": \"gateway\"",
				"\"next_hop\": \"gateway\", \"announce\": {}", g),
		     0),
		  "announce is the host's business, not the tables'");
}

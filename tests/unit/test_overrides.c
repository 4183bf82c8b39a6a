// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Operators' overrides: the file round-trips, bad files name the JSON path,
 * set/clear edit one entry, and apply changes exactly the backends named
 * and rebuilds their VIP's table. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <stdlib.h>

#include "helpers.h"
#include "overrides.h"

#define TWO_VIPS                                                                                       \
	"{" BASE_TOP ", \"vips\": ["                                                                   \
	"{ \"name\": \"web\", \"address\": \"203.0.113.10\", \"port\": 80, \"table_size\": 1009,"      \
	" \"backends\": [ { \"name\": \"w1\", \"address\": \"198.51.100.11\" },"                       \
	" { \"name\": \"w2\", \"address\": \"198.51.100.12\" },"                                       \
	" { \"name\": \"w3\", \"address\": \"198.51.100.13\" } ] },"                                   \
	"{ \"name\": \"dns\", \"address\": \"203.0.113.53\", \"port\": 53, \"protocol\": \"udp\","     \
	" \"table_size\": 1009, \"backends\": [ { \"name\": \"d1\", \"address\": \"198.51.100.21\" }," \
	" { \"name\": \"d2\", \"address\": \"198.51.100.22\" } ] } ] }"

static int parse(const char *s, struct overrides *o, struct diags *d)
{
	memset(d, 0, sizeof(*d));
	return overrides_parse(s, strlen(s), o, d);
}

Test(overrides, json_round_trip)
{
	struct overrides o = { 0 }, back;
	struct diags d;
	char *s;

	cr_assert(eq(int, overrides_set(&o, "web", "w1", XDPLB_BE_DRAIN, -1), 0));
	cr_assert(eq(int, overrides_set(&o, "web", "w2", -1, 7), 0));
	s = overrides_json(&o);
	cr_assert(s != NULL);
	cr_assert(eq(int, parse(s, &back, &d), 0));
	cr_assert(eq(sz, back.n, 2));
	cr_expect(eq(str, back.v[0].vip, "web"));
	cr_expect(eq(str, back.v[0].backend, "w1"));
	cr_expect(eq(int, back.v[0].state, XDPLB_BE_DRAIN));
	cr_expect(eq(int, back.v[0].weight, -1));
	cr_expect(eq(str, back.v[1].backend, "w2"));
	cr_expect(eq(int, back.v[1].state, -1));
	cr_expect(eq(int, back.v[1].weight, 7));
	free(s);
	overrides_free(&o);
	overrides_free(&back);
}

Test(overrides, set_updates_and_clear_removes)
{
	struct overrides o = { 0 };

	overrides_set(&o, "web", "w1", XDPLB_BE_DRAIN, -1);
	overrides_set(&o, "web", "w1", -1, 50); /* the state stays */
	cr_assert(eq(sz, o.n, 1));
	cr_expect(eq(int, o.v[0].state, XDPLB_BE_DRAIN));
	cr_expect(eq(int, o.v[0].weight, 50));
	cr_expect(overrides_find(&o, "web", "w1") != NULL);
	cr_expect(overrides_find(&o, "web", "w2") == NULL);
	cr_expect(overrides_find(&o, "dns", "w1") == NULL);
	overrides_set(&o, "web", "w1", -1, -1);
	cr_expect(eq(sz, o.n, 0));
	overrides_set(&o, "web", "w9", -1, -1); /* clearing none: no-op */
	cr_expect(eq(sz, o.n, 0));
	overrides_free(&o);
}

/* Every problem of a hand-edited file, with its path. */
Test(overrides, bad_files_name_the_path)
{
	static const struct {
		const char *text, *path, *msg_part;
	} bad[] = {
		{ "[", "(syntax)", "not JSON" },
		{ "{\"overrides\": 3}", "overrides", "must be an array" },
		{ "{\"overrides\": [{\"vip\": \"web\"}]}", "overrides[0].backend", "required" },
		{ "{\"overrides\": [{\"vip\": \"web\", \"backend\": \"w1\", \"state\": \"up\"}]}",
		  "overrides[0].state", "active" },
		{ "{\"overrides\": [{\"vip\": \"web\", \"backend\": \"w1\", \"weight\": 70000}]}",
		  "overrides[0].weight", "65535" },
		{ "{\"overrides\": [], \"extra\": 1}", "extra", "unknown" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct overrides o;
		struct diags d;

		cr_assert(eq(int, parse(bad[i].text, &o, &d), -EINVAL), "%s", bad[i].text);
		cr_assert(d.n >= 1, "%s", bad[i].text);
		cr_expect(eq(str, d.v[0].path, (char *)bad[i].path), "%s", bad[i].text);
		cr_expect(strstr(d.v[0].msg, bad[i].msg_part) != NULL, "%s: %s", bad[i].text,
			  d.v[0].msg);
		cr_expect(eq(sz, o.n, 0));
		diags_free(&d);
	}
}

/* slots of VIP v's table held by its backend b */
static __u32 slots_of(const struct checked *c, __u32 v, __u32 b)
{
	return c->tables.counts[v][b];
}

/* Draining w1 empties its slots in web's table only; a weight override
 * shifts shares; a stale override is said and left out. */
Test(overrides, apply_rebuilds_the_named_vip)
{
	struct overrides o = { 0 };
	struct checked c;
	struct diags d;
	__u32 *dns_before, dns_size;
	const __u32 w1 = 0, w2 = 1;

	cr_assert(eq(int, check_str(TWO_VIPS, &c, &d), 0));
	cr_assert(slots_of(&c, 0, w1) > 0);
	dns_size = c.cfg.vips[1].table_size;
	dns_before = malloc(dns_size * sizeof(__u32));
	memcpy(dns_before, c.tables.slots[1], dns_size * sizeof(__u32));

	overrides_set(&o, "web", "w1", XDPLB_BE_DRAIN, -1);
	overrides_set(&o, "web", "w2", -1, 300);
	overrides_set(&o, "web", "gone", XDPLB_BE_DOWN, -1);
	memset(&d, 0, sizeof(d));
	cr_assert(eq(int, overrides_apply(&c, &o, &d), 2));
	cr_assert(eq(sz, d.n, 1));
	cr_expect(eq(str, d.v[0].path, "overrides[2]"));
	cr_expect(strstr(d.v[0].msg, "no backend gone") != NULL, "%s", d.v[0].msg);

	cr_expect(eq(int, c.cfg.vips[0].backends[0].cfg_state, XDPLB_BE_DRAIN));
	cr_expect(c.cfg.vips[0].backends[0].override);
	cr_expect(eq(u32, c.cfg.vips[0].backends[1].weight, 300));
	cr_expect(eq(int, c.cfg.vips[0].backends[1].cfg_state, XDPLB_BE_ACTIVE));
	cr_expect(eq(int, c.cfg.vips[0].backends[2].override, 0));
	cr_expect(eq(u32, slots_of(&c, 0, w1), 0));
	/* w2 at 300 against w3 at 100: three quarters of web's table */
	cr_expect(slots_of(&c, 0, w2) > 1009 * 7 / 10, "w2 has %u of 1009", slots_of(&c, 0, w2));
	cr_expect(eq(int, memcmp(dns_before, c.tables.slots[1], dns_size * sizeof(__u32)), 0));

	free(dns_before);
	diags_free(&d);
	overrides_free(&o);
	checked_free(&c);
}

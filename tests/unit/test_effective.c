// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Configured state and health to the effective state (effective.[ch],
 * docs/health.md, "Configured and effective state"): every
 * configured state x health x out state; the VIP's out state from the
 * config; an operator's override is a configured state like the file's;
 * the live health carried onto a new config by address, only where a VIP
 * is checked; the tables rebuilt for the VIPs whose effective states moved,
 * and only those; configured-only for diff.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdlib.h>

#include "addr.h"
#include "effective.h"
#include "helpers.h"
#include "overrides.h"

/* web: checked, out drain (the default), w3 drained and w4 down by the
 * file; dns: checked, out down for this VIP; plain: checked at the top
 * level, turned off for this VIP. */
#define CFG                                                                                         \
	"{" BASE_TOP ", \"health_check\": { \"type\": \"tcp\" }, \"vips\": ["                       \
	"{ \"name\": \"web\", \"address\": \"203.0.113.10\", \"port\": 80, \"table_size\": 1009,"   \
	" \"guards\": { \"max_backend_share\": 1, \"min_active_backends\": 1 },"                    \
	" \"backends\": [ { \"name\": \"w1\", \"address\": \"198.51.100.11\" },"                    \
	" { \"name\": \"w2\", \"address\": \"198.51.100.12\" },"                                    \
	" { \"name\": \"w3\", \"address\": \"198.51.100.13\", \"state\": \"drain\" },"              \
	" { \"name\": \"w4\", \"address\": \"198.51.100.14\", \"state\": \"down\" } ] },"           \
	"{ \"name\": \"dns\", \"address\": \"203.0.113.53\", \"port\": 53, \"protocol\": \"udp\","  \
	" \"table_size\": 1009, \"health_check\": { \"out\": \"down\" },"                           \
	" \"guards\": { \"max_backend_share\": 1, \"min_active_backends\": 1 },"                    \
	" \"backends\": [ { \"name\": \"d1\", \"address\": \"198.51.100.21\" },"                    \
	" { \"name\": \"d2\", \"address\": \"198.51.100.22\" } ] },"                                \
	"{ \"name\": \"plain\", \"address\": \"203.0.113.80\", \"port\": 80, \"table_size\": 1009," \
	" \"health_check\": { \"type\": \"none\" },"                                                \
	" \"guards\": { \"max_backend_share\": 1, \"min_active_backends\": 1 },"                    \
	" \"backends\": [ { \"name\": \"p1\", \"address\": \"198.51.100.31\" },"                    \
	" { \"name\": \"p2\", \"address\": \"198.51.100.32\" } ] } ] }"

enum { WEB, DNS, PLAIN };

static void load(struct checked *c)
{
	struct diags d;
	int err = check_str(CFG, c, &d);

	cr_assert(eq(int, err, 0), "%s: %s", d.n ? d.v[0].path : "", d.n ? d.v[0].msg : "");
}

static struct cfg_backend *be(struct checked *c, __u32 v, __u32 b)
{
	return &c->cfg.vips[v].backends[b];
}

static const char *st(__u8 s)
{
	static const char *const names[] = { "none", "active", "drain", "down" };

	return s < 4 ? names[s] : "?";
}

/* The whole rule: only an active backend its checks took out changes, and
 * it becomes the out state; every other configured state is kept, every
 * other health (none, up, kept in by fail-open) leaves the configured
 * state as it is. */
Test(effective, every_configured_state_health_and_out)
{
	static const __u8 cfgs[] = { XDPLB_BE_ACTIVE, XDPLB_BE_DRAIN, XDPLB_BE_DOWN };
	static const __u8 healths[] = { XDPLB_HEALTH_NONE, XDPLB_HEALTH_UP, XDPLB_HEALTH_OUT,
					XDPLB_HEALTH_KEPT };
	static const __u8 outs[] = { XDPLB_BE_DRAIN, XDPLB_BE_DOWN };

	for (size_t i = 0; i < sizeof(cfgs); i++)
		for (size_t h = 0; h < sizeof(healths); h++)
			for (size_t o = 0; o < sizeof(outs); o++) {
				__u8 got = effective_state(cfgs[i], healths[h], outs[o]);
				bool taken = cfgs[i] == XDPLB_BE_ACTIVE &&
					     healths[h] == XDPLB_HEALTH_OUT;
				__u8 want = taken ? outs[o] : cfgs[i];

				cr_expect(eq(u8, got, want), "configured %s, health %u, out %s: %s",
					  st(cfgs[i]), healths[h], st(outs[o]), st(got));
			}
}

/* The corners the loop covers, said once each. */
Test(effective, operators_win_and_fail_open_keeps_in)
{
	cr_expect(eq(u8, effective_state(XDPLB_BE_DRAIN, XDPLB_HEALTH_UP, XDPLB_BE_DOWN),
		     XDPLB_BE_DRAIN),
		  "health passing never brings a drained backend back");
	cr_expect(eq(u8, effective_state(XDPLB_BE_DRAIN, XDPLB_HEALTH_OUT, XDPLB_BE_DOWN),
		     XDPLB_BE_DRAIN),
		  "out down never cuts the flows an operator's drain keeps");
	cr_expect(eq(u8, effective_state(XDPLB_BE_DOWN, XDPLB_HEALTH_OUT, XDPLB_BE_DRAIN),
		     XDPLB_BE_DOWN),
		  "out drain never lets a down backend's flows back");
	cr_expect(eq(u8, effective_state(XDPLB_BE_ACTIVE, XDPLB_HEALTH_KEPT, XDPLB_BE_DRAIN),
		     XDPLB_BE_ACTIVE),
		  "failing but kept in by the cascade guard: active");
	cr_expect(eq(u8, effective_state(XDPLB_BE_ACTIVE, XDPLB_HEALTH_NONE, XDPLB_BE_DOWN),
		     XDPLB_BE_ACTIVE),
		  "no verdict yet (cold start): active");
}

/* The out state: drain by default, "out": "down" per VIP; a VIP without
 * checks gets the default too (nothing takes its backends out anyway). */
Test(effective, out_state_from_the_config)
{
	struct checked c;

	load(&c);
	cr_expect(eq(u8, effective_out_state(&c.cfg, &c.cfg.vips[WEB]), XDPLB_BE_DRAIN));
	cr_expect(eq(u8, effective_out_state(&c.cfg, &c.cfg.vips[DNS]), XDPLB_BE_DOWN));
	cr_expect(eq(u8, effective_out_state(&c.cfg, &c.cfg.vips[PLAIN]), XDPLB_BE_DRAIN));
	checked_free(&c);
}

Test(effective, out_state_top_level_down)
{
	static const char *json =
		"{" BASE_TOP
		", \"health_check\": { \"type\": \"tcp\", \"out\": \"down\" }, \"vips\": ["
		"{ \"name\": \"a\", \"address\": \"203.0.113.10\", \"port\": 80,"
		" \"backends\": [ { \"name\": \"a1\", \"address\": \"198.51.100.11\" } ] },"
		"{ \"name\": \"b\", \"address\": \"203.0.113.11\", \"port\": 80,"
		" \"health_check\": { \"out\": \"drain\" },"
		" \"backends\": [ { \"name\": \"b1\", \"address\": \"198.51.100.12\" } ] } ] }";
	struct checked c;
	struct diags d;

	cr_assert(eq(int, check_str(json, &c, &d), 0));
	cr_expect(eq(u8, effective_out_state(&c.cfg, &c.cfg.vips[0]), XDPLB_BE_DOWN));
	cr_expect(eq(u8, effective_out_state(&c.cfg, &c.cfg.vips[1]), XDPLB_BE_DRAIN),
		  "a VIP's own out replaces the top level's");
	checked_free(&c);
}

/* A config as parsed: no health, effective = configured. */
Test(effective, parsed_config_is_configured)
{
	struct checked c;

	load(&c);
	for (__u32 v = 0; v < c.cfg.n_vips; v++)
		for (__u32 b = 0; b < c.cfg.vips[v].n_backends; b++) {
			cr_expect(eq(u8, be(&c, v, b)->health, XDPLB_HEALTH_NONE));
			cr_expect(eq(u8, be(&c, v, b)->state, be(&c, v, b)->cfg_state));
		}
	cr_expect(eq(u8, be(&c, WEB, 2)->cfg_state, XDPLB_BE_DRAIN));
	cr_expect(eq(u8, be(&c, WEB, 3)->cfg_state, XDPLB_BE_DOWN));
	checked_free(&c);
}

/* Health on every backend of web and dns: only the active ones that are
 * out change, each to its VIP's out state; the tables of those VIPs are
 * rebuilt without them, the third VIP's is not touched. */
Test(effective, apply_takes_out_and_rebuilds_only_changed_vips)
{
	struct checked c;
	bool changed[3] = { 0 };
	__u32 *plain_slots;

	load(&c);
	plain_slots = c.tables.slots[PLAIN];
	cr_expect(eq(u32, c.tables.counts[WEB][0] + c.tables.counts[WEB][1], 1009));

	be(&c, WEB, 0)->health = XDPLB_HEALTH_OUT; /* active: out (drain) */
	be(&c, WEB, 1)->health = XDPLB_HEALTH_UP;
	be(&c, WEB, 2)->health = XDPLB_HEALTH_OUT; /* drain by the file: stays drain */
	be(&c, WEB, 3)->health = XDPLB_HEALTH_UP; /* down by the file: stays down */
	be(&c, DNS, 0)->health = XDPLB_HEALTH_OUT; /* active: out (down, dns's out) */
	be(&c, DNS, 1)->health = XDPLB_HEALTH_KEPT; /* fail open: in */
	cr_assert(eq(int, effective_apply(&c, changed), 0));

	cr_expect(eq(u8, be(&c, WEB, 0)->state, XDPLB_BE_DRAIN));
	cr_expect(eq(u8, be(&c, WEB, 0)->cfg_state, XDPLB_BE_ACTIVE), "configured untouched");
	cr_expect(eq(u8, be(&c, WEB, 1)->state, XDPLB_BE_ACTIVE));
	cr_expect(eq(u8, be(&c, WEB, 2)->state, XDPLB_BE_DRAIN));
	cr_expect(eq(u8, be(&c, WEB, 3)->state, XDPLB_BE_DOWN));
	cr_expect(eq(u8, be(&c, DNS, 0)->state, XDPLB_BE_DOWN));
	cr_expect(eq(u8, be(&c, DNS, 1)->state, XDPLB_BE_ACTIVE));
	cr_expect(changed[WEB] && changed[DNS]);
	cr_expect(not(changed[PLAIN]));

	cr_expect(eq(u32, c.tables.counts[WEB][0], 0), "w1 out of web's table");
	cr_expect(eq(u32, c.tables.counts[WEB][1], 1009), "w2 holds it all");
	cr_expect(eq(u32, c.tables.counts[DNS][0], 0));
	cr_expect(eq(u32, c.tables.counts[DNS][1], 1009));
	cr_expect(eq(ptr, c.tables.slots[PLAIN], plain_slots), "plain's table not rebuilt");

	/* the same again: nothing moves, nothing is rebuilt */
	__u32 *web_slots = c.tables.slots[WEB];

	cr_assert(eq(int, effective_apply(&c, changed), 0));
	cr_expect(not(changed[WEB] || changed[DNS] || changed[PLAIN]));
	cr_expect(eq(ptr, c.tables.slots[WEB], web_slots));

	/* w1 passes again: back in, with its slots */
	be(&c, WEB, 0)->health = XDPLB_HEALTH_UP;
	cr_assert(eq(int, effective_apply_vip(&c, WEB, &changed[WEB]), 0));
	cr_expect(changed[WEB]);
	cr_expect(eq(u8, be(&c, WEB, 0)->state, XDPLB_BE_ACTIVE));
	cr_expect(gt(u32, c.tables.counts[WEB][0], 400));
	checked_free(&c);
}

/* A VIP whose every active backend is out has an empty table; the
 * cascade guard (health.c) decides whether that may happen, not this. */
Test(effective, all_out_empties_the_table)
{
	struct checked c;

	load(&c);
	be(&c, DNS, 0)->health = XDPLB_HEALTH_OUT;
	be(&c, DNS, 1)->health = XDPLB_HEALTH_OUT;
	cr_assert(eq(int, effective_apply(&c, NULL), 0));
	cr_expect(eq(u32, c.tables.counts[DNS][0] + c.tables.counts[DNS][1], 0));
	checked_free(&c);
}

/* An override is a configured state: health goes on top of it as on the
 * file's. Draining an active backend that is out changes nothing in the
 * data path; activating a file-drained backend that is out leaves it out. */
Test(effective, override_is_configured_health_on_top)
{
	struct checked c;
	struct overrides o = { 0 };
	struct diags d = { 0 };

	load(&c);
	be(&c, WEB, 0)->health = XDPLB_HEALTH_OUT;
	be(&c, WEB, 2)->health = XDPLB_HEALTH_OUT;
	be(&c, WEB, 3)->health = XDPLB_HEALTH_UP;
	cr_assert(eq(int, overrides_set(&o, "web", "w1", XDPLB_BE_DOWN, -1), 0));
	cr_assert(eq(int, overrides_set(&o, "web", "w3", XDPLB_BE_ACTIVE, -1), 0));
	cr_assert(eq(int, overrides_set(&o, "web", "w4", XDPLB_BE_ACTIVE, -1), 0));
	cr_assert(eq(int, overrides_apply(&c, &o, &d), 3));
	cr_assert(eq(int, effective_apply(&c, NULL), 0));

	cr_expect(eq(u8, be(&c, WEB, 0)->cfg_state, XDPLB_BE_DOWN));
	cr_expect(eq(u8, be(&c, WEB, 0)->state, XDPLB_BE_DOWN),
		  "an operator's down wins over health's drain");
	cr_expect(eq(u8, be(&c, WEB, 2)->cfg_state, XDPLB_BE_ACTIVE));
	cr_expect(eq(u8, be(&c, WEB, 2)->state, XDPLB_BE_DRAIN),
		  "set active by hand, but failing: out all the same");
	cr_expect(eq(u8, be(&c, WEB, 3)->state, XDPLB_BE_ACTIVE), "set active, passing: in");
	cr_expect(be(&c, WEB, 0)->override && be(&c, WEB, 2)->override);
	cr_expect(eq(u32, c.tables.counts[WEB][0], 0));
	cr_expect(eq(u32, c.tables.counts[WEB][2], 0));
	cr_expect(eq(u32, c.tables.counts[WEB][1] + c.tables.counts[WEB][3], 1009));
	overrides_free(&o);
	checked_free(&c);
}

/* diff and the flows-moved guard: the configured config, health gone and
 * the tables as the configured states make them. */
Test(effective, configured_drops_health)
{
	struct checked c, ref;
	bool changed[3];

	load(&c);
	load(&ref);
	be(&c, WEB, 0)->health = XDPLB_HEALTH_OUT;
	be(&c, DNS, 1)->health = XDPLB_HEALTH_OUT;
	cr_assert(eq(int, effective_apply(&c, changed), 0));
	cr_assert(eq(int, effective_configured(&c), 0));
	for (__u32 v = 0; v < c.cfg.n_vips; v++) {
		for (__u32 b = 0; b < c.cfg.vips[v].n_backends; b++) {
			cr_expect(eq(u8, be(&c, v, b)->health, XDPLB_HEALTH_NONE));
			cr_expect(eq(u8, be(&c, v, b)->state, be(&c, v, b)->cfg_state));
			cr_expect(eq(u32, c.tables.counts[v][b], ref.tables.counts[v][b]));
		}
		cr_expect(eq(int,
			     memcmp(c.tables.slots[v], ref.tables.slots[v],
				    c.cfg.vips[v].table_size * sizeof(__u32)),
			     0),
			  "VIP %u: the configured table", v);
	}
	checked_free(&c);
	checked_free(&ref);
}

/* A live copy of config c, backends' health as given (h[v][b]). */
static void live_of(const struct checked *c, struct lb_live *l, const __u8 h[3][4])
{
	memset(l, 0, sizeof(*l));
	l->n_vips = c->cfg.n_vips;
	l->vips = calloc(l->n_vips, sizeof(*l->vips));
	cr_assert(l->vips != NULL);
	for (__u32 v = 0; v < c->cfg.n_vips; v++) {
		const struct cfg_vip *cv = &c->cfg.vips[v];
		struct st_vip *sv = &l->vips[v];

		sv->key.addr = cv->addr;
		sv->key.family = cv->family;
		sv->key.proto = cv->proto;
		sv->key.port = htons(cv->port);
		sv->n_be = cv->n_backends;
		sv->be = calloc(sv->n_be, sizeof(*sv->be));
		cr_assert(sv->be != NULL);
		for (__u32 b = 0; b < cv->n_backends; b++) {
			sv->be[b].id = v * 16 + b;
			sv->be[b].addr = cv->backends[b].addr;
			sv->be[b].family = cv->backends[b].family;
			sv->be[b].health = h[v][b];
		}
	}
}

/* A new config (a reload, a rollback) takes the live health by VIP and
 * backend address; a VIP without checks takes none, whatever the maps
 * say (its checks were turned off: nothing takes its backends out). */
Test(effective, from_live_carries_health_where_checked)
{
	static const __u8 h[3][4] = {
		{ XDPLB_HEALTH_OUT, XDPLB_HEALTH_UP, XDPLB_HEALTH_OUT, XDPLB_HEALTH_NONE },
		{ XDPLB_HEALTH_KEPT, XDPLB_HEALTH_OUT },
		{ XDPLB_HEALTH_OUT, XDPLB_HEALTH_OUT },
	};
	struct checked c;
	struct lb_live l;

	load(&c);
	live_of(&c, &l, h);
	effective_from_live(&c, &l);
	cr_expect(eq(u8, be(&c, WEB, 0)->health, XDPLB_HEALTH_OUT));
	cr_expect(eq(u8, be(&c, WEB, 1)->health, XDPLB_HEALTH_UP));
	cr_expect(eq(u8, be(&c, WEB, 2)->health, XDPLB_HEALTH_OUT));
	cr_expect(eq(u8, be(&c, DNS, 0)->health, XDPLB_HEALTH_KEPT));
	cr_expect(eq(u8, be(&c, DNS, 1)->health, XDPLB_HEALTH_OUT));
	cr_expect(eq(u8, be(&c, PLAIN, 0)->health, XDPLB_HEALTH_NONE), "plain is not checked");
	cr_expect(eq(u8, be(&c, PLAIN, 1)->health, XDPLB_HEALTH_NONE));

	cr_assert(eq(int, effective_apply(&c, NULL), 0));
	cr_expect(eq(u8, be(&c, WEB, 0)->state, XDPLB_BE_DRAIN));
	cr_expect(eq(u8, be(&c, DNS, 0)->state, XDPLB_BE_ACTIVE));
	cr_expect(eq(u8, be(&c, DNS, 1)->state, XDPLB_BE_DOWN));
	cr_expect(eq(u8, be(&c, PLAIN, 0)->state, XDPLB_BE_ACTIVE));
	live_free(&l);
	checked_free(&c);
}

/* Matching is by address: a backend renamed keeps its health, one at a
 * new address starts with none, and a VIP not live (new, or moved to
 * another port) has none. */
Test(effective, from_live_matches_by_address)
{
	static const __u8 h[3][4] = {
		{ XDPLB_HEALTH_OUT, XDPLB_HEALTH_OUT },
		{ XDPLB_HEALTH_OUT, XDPLB_HEALTH_OUT },
	};
	struct checked c;
	struct lb_live l;

	load(&c);
	live_of(&c, &l, h);
	snprintf(l.vips[WEB].be[0].name.s, XDPLB_NAME_LEN, "renamed");
	cr_assert(eq(int, addr_parse("198.51.100.99", &l.vips[WEB].be[1].addr), XDPLB_AF_INET));
	l.vips[DNS].key.port = htons(5353);
	effective_from_live(&c, &l);
	cr_expect(eq(u8, be(&c, WEB, 0)->health, XDPLB_HEALTH_OUT), "same address, another name");
	cr_expect(eq(u8, be(&c, WEB, 1)->health, XDPLB_HEALTH_NONE), "not live at this address");
	cr_expect(eq(u8, be(&c, DNS, 0)->health, XDPLB_HEALTH_NONE), "its VIP is not live");
	cr_expect(eq(u8, be(&c, DNS, 1)->health, XDPLB_HEALTH_NONE));
	live_free(&l);
	checked_free(&c);
}

/* Nothing live (a first load): no health anywhere. */
Test(effective, from_live_nothing_live)
{
	struct checked c;
	struct lb_live l = { 0 };

	load(&c);
	be(&c, WEB, 0)->health = XDPLB_HEALTH_OUT;
	effective_from_live(&c, &l);
	for (__u32 v = 0; v < c.cfg.n_vips; v++)
		for (__u32 b = 0; b < c.cfg.vips[v].n_backends; b++)
			cr_expect(eq(u8, be(&c, v, b)->health, XDPLB_HEALTH_NONE));
	checked_free(&c);
}

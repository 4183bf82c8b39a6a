// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The update plan: stable ids across reloads, cookies on reuse, banks.
 * apply() models what maps_commit() leaves in the maps.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "plan.h"

/* What a complete commit leaves in the maps (both banks equal). */
static void apply(struct lb_live *l, const struct plan *p, const struct checked *c)
{
	cr_assert(eq(int, plan_apply_to_live(l, p, c, NULL), 0));
}

/* The phase A value of backend id, or NULL when it is not written. */
static const struct xdplb_backend *written(const struct plan *p, __u32 id)
{
	for (__u32 k = 0; k < p->n_bw; k++)
		if (p->bw[k].id == id)
			return &p->bw[k].val;
	return NULL;
}

/* a config with VIPs "a:1,2,3;b:4" meaning backend addresses 198.51.100.N */
static void load(const char *spec, struct checked *c)
{
	char json[4096], *o = json;
	struct diags d;
	int v = 0;

	o += sprintf(o, "{" BASE_TOP ", \"vips\": [");
	for (const char *s = spec; *s;) {
		char name = *s;
		int b = 0;

		s += 2;
		o += sprintf(o,
			     "%s{ \"name\": \"%c\", \"address\": \"203.0.113.%d\", \"port\": 80,"
			     " \"guards\": { \"max_backend_share\": 1 }, \"backends\": [",
			     v++ ? ", " : "", name, name);
		while (*s && *s != ';') {
			int a = (int)strtol(s, (char **)&s, 10);

			o += sprintf(o, "%s{ \"name\": \"be%d\", \"address\": \"198.51.100.%d\" }",
				     b++ ? ", " : "", a, a);
			if (*s == ',')
				s++;
		}
		o += sprintf(o, "] }");
		if (*s == ';')
			s++;
	}
	sprintf(o, "] }");
	cr_assert(eq(int, check_str(json, c, &d), 0), "%s", d.n ? d.v[0].msg : "");
}

static const struct plan_env env = { .if_mac = { 2, 0, 0, 0, 0, 9 }, .now = 1000 };

/* plans spec on top of l, applies it; returns the plan (caller frees) */
static void step(struct lb_live *l, const char *spec, struct checked *c, struct plan *p)
{
	load(spec, c);
	cr_assert(eq(int, plan_build(l, c, &env, p), 0));
	apply(l, p, c);
}

Test(plan, first_load_fills_bank_1)
{
	struct lb_live l = { 0 };
	struct checked c;
	struct plan p;

	step(&l, "a:1,2,3", &c, &p);
	cr_expect(eq(u32, p.bank, 1));
	cr_expect(eq(u32, p.ctl.active, 0), "the plan itself never flips");
	cr_expect(eq(u32, p.vip_ids[0], 0));
	cr_expect(p.vip_fresh[0]);
	for (__u32 b = 0; b < 3; b++) {
		const struct xdplb_backend *w = written(&p, b);

		cr_expect(eq(u32, p.be_ids[0][b], b));
		cr_expect(p.be_fresh[0][b]);
		cr_assert(w != NULL);
		cr_expect(eq(u8, w->state[1], XDPLB_BE_ACTIVE), "phase A fills bank 1");
		cr_expect(eq(u8, w->state[0], XDPLB_BE_NONE), "and leaves bank 0 alone");
		cr_expect(eq(u8, w->cfg_state[1], XDPLB_BE_ACTIVE));
		cr_expect(eq(u8, l.be[b].state[0], XDPLB_BE_ACTIVE), "the mirror copies it");
		cr_expect(not(eq(u32, l.be[b].cookie, 0)));
	}
	cr_expect(eq(u32, p.n_mbw, 3), "one mirror write per backend");
	cr_expect(eq(u32, p.ctl.bank[1].generation, 1));
	cr_expect(eq(u32, l.n_entries, 2), "the VIP and its address sentinel");
	plan_free(&p, c.cfg.n_vips);
	checked_free(&c);
	live_free(&l);
}

/* The same config twice: same ids, no new cookie, the other bank. */
Test(plan, reload_keeps_ids)
{
	struct lb_live l = { 0 };
	struct checked c;
	struct plan p;
	__u32 cookie1;

	step(&l, "a:1,2,3;b:4", &c, &p);
	cookie1 = l.be[2].cookie;
	plan_free(&p, c.cfg.n_vips);
	checked_free(&c);
	step(&l, "b:4;a:3,1,2", &c, &p); /* reordered */
	cr_expect(eq(u32, p.bank, 0));
	cr_expect(eq(u32, p.vip_ids[0], 1)); /* b kept its id */
	cr_expect(eq(u32, p.vip_ids[1], 0));
	cr_expect(eq(u32, p.be_ids[1][0], 2)); /* backend .3 kept id 2 */
	cr_expect(not(p.be_fresh[1][0] || p.vip_fresh[0]));
	cr_expect(eq(u32, l.be[2].cookie, cookie1));
	cr_expect(eq(u8, l.be[2].state[0], XDPLB_BE_ACTIVE));
	cr_expect(eq(u32, p.ctl.bank[0].generation, 2));
	plan_free(&p, c.cfg.n_vips);
	checked_free(&c);
	live_free(&l);
}

/* A removed backend keeps its id out of reach while the old bank may use
 * it; once free, a reuse comes with a new cookie. */
Test(plan, removed_id_reused_with_new_cookie)
{
	struct lb_live l = { 0 };
	struct checked c;
	struct plan p;
	__u32 old_cookie;

	step(&l, "a:1,2,3", &c, &p); /* ids 0,1,2 */
	old_cookie = l.be[1].cookie;
	plan_free(&p, c.cfg.n_vips);
	checked_free(&c);

	step(&l, "a:1,3,5", &c, &p); /* .2 removed, .5 added */
	cr_assert(written(&p, 1) != NULL);
	cr_expect(eq(u8, written(&p, 1)->state[p.bank], XDPLB_BE_NONE), "removed in the new bank");
	cr_expect(eq(u8, written(&p, 1)->state[p.bank ^ 1], XDPLB_BE_ACTIVE),
		  "still in the old bank while the commit runs");
	cr_expect(eq(u32, p.be_ids[0][2], 3), "id 1 is still live in the old bank");
	cr_expect(eq(u8, l.be[1].state[p.bank ^ 1], XDPLB_BE_NONE), "gone from both after it");
	plan_free(&p, c.cfg.n_vips);
	checked_free(&c);

	step(&l, "a:1,3,5,6", &c, &p); /* now id 1 is free */
	cr_expect(eq(u32, p.be_ids[0][3], 1));
	cr_expect(p.be_fresh[0][3]);
	cr_expect(not(eq(u32, l.be[1].cookie, old_cookie)));
	cr_expect(eq(u32, l.be[1].addr.v4, htonl(0xc6336406))); /* 198.51.100.6 */
	plan_free(&p, c.cfg.n_vips);
	checked_free(&c);
	live_free(&l);
}

/* A removed VIP's entries are absent from the new bank (and deleted). */
Test(plan, removed_vip)
{
	struct lb_live l = { 0 };
	struct checked c;
	struct plan p;

	step(&l, "a:1;b:2", &c, &p);
	cr_expect(eq(u32, l.n_entries, 4));
	plan_free(&p, c.cfg.n_vips);
	checked_free(&c);
	step(&l, "a:1", &c, &p);
	cr_expect(eq(u32, l.n_entries, 2));
	cr_expect(eq(u8, l.be[1].state[p.bank], XDPLB_BE_NONE));
	cr_expect(eq(u32, p.n_vdel, 2), "b and its sentinel deleted after the flip");
	plan_free(&p, c.cfg.n_vips);
	checked_free(&c);
	live_free(&l);
}

/* The same config again writes nothing but ctl: the banks are equal. */
Test(plan, same_config_writes_nothing)
{
	struct lb_live l = { 0 };
	struct checked c;
	struct plan p;

	step(&l, "a:1,2,3;b:4", &c, &p);
	plan_free(&p, c.cfg.n_vips);
	checked_free(&c);
	step(&l, "a:1,2,3;b:4", &c, &p);
	cr_expect(eq(u32, p.n_bw + p.n_vw + p.n_mbw + p.n_mvw + p.n_vdel, 0));
	cr_expect(eq(u32, p.n_vnames + p.n_bnames, 0), "names already there");
	cr_expect(p.reuse[0] && p.reuse[1], "both tables shared");
	plan_free(&p, c.cfg.n_vips);
	checked_free(&c);
	live_free(&l);
}

/* A health change: one backend's effective state, its ids known. One
 * entry written in each phase, the generation kept, health_seq + 1. */
Test(plan, health_change_writes_one_entry)
{
	struct lb_live l = { 0 };
	struct checked c;
	struct plan p, q;
	bool same[2] = { false, true };

	step(&l, "a:1,2,3;b:4", &c, &p);
	struct plan_hint h = { .vip_ids = p.vip_ids, .be_ids = p.be_ids, .table_same = same };
	struct plan_env e = env;

	e.health_only = true;
	e.hint = &h;
	c.cfg.vips[0].backends[1].state = XDPLB_BE_DOWN;
	c.cfg.vips[0].backends[1].health = XDPLB_HEALTH_OUT;
	cr_assert(eq(int, plan_build(&l, &c, &e, &q), 0));
	cr_expect(eq(u32, q.n_bw, 1));
	cr_assert(written(&q, 1) != NULL);
	cr_expect(eq(u8, written(&q, 1)->state[q.bank], XDPLB_BE_DOWN));
	cr_expect(eq(u8, written(&q, 1)->cfg_state[q.bank], XDPLB_BE_ACTIVE), "configured: active");
	cr_expect(eq(u8, written(&q, 1)->health[q.bank], XDPLB_HEALTH_OUT));
	cr_expect(eq(u32, q.n_mbw, 1));
	cr_expect(eq(u32, q.n_vw + q.n_mvw + q.n_vdel + q.n_vnames + q.n_bnames, 0));
	cr_expect(eq(u32, q.ctl.bank[q.bank].generation, l.ctl.bank[p.bank].generation));
	cr_expect(eq(u32, q.ctl.bank[q.bank].health_seq, l.ctl.bank[p.bank].health_seq + 1));
	cr_expect(q.reuse[1] && !q.reuse[0], "only a's table rebuilt");
	plan_free(&q, c.cfg.n_vips);
	plan_free(&p, c.cfg.n_vips);
	checked_free(&c);
	live_free(&l);
}

/* The service's commit of new MACs (a next hop that changed): only ctl
 * changes, the MACs in the new bank, the generation kept. */
Test(plan, macs_only)
{
	struct lb_live l = { 0 };
	struct checked c;
	struct plan p, q;
	bool same[2] = { true, true }, touched[2] = { false, false };
	const __u8 nh[6] = { 2, 0, 0, 0, 0, 0xaa }, ifm[6] = { 2, 0, 0, 0, 0, 0xbb };

	step(&l, "a:1,2,3;b:4", &c, &p);
	struct plan_hint h = {
		.vip_ids = p.vip_ids, .be_ids = p.be_ids, .table_same = same, .touched = touched
	};
	struct plan_env e = env;

	e.health_only = true;
	e.macs = true;
	e.hint = &h;
	memcpy(e.if_mac, ifm, 6);
	memcpy(c.cfg.nh_mac, nh, 6);
	cr_assert(eq(int, plan_build(&l, &c, &e, &q), 0));
	cr_expect(eq(u32, q.n_bw + q.n_vw + q.n_mbw + q.n_mvw + q.n_vdel, 0), "no entry written");
	cr_expect(eq(u8[6], q.ctl.bank[q.bank].nh_mac, (__u8 *)nh));
	cr_expect(eq(u8[6], q.ctl.bank[q.bank].if_mac, (__u8 *)ifm));
	cr_expect(eq(u32, q.ctl.bank[q.bank].generation, l.ctl.bank[p.bank].generation));
	cr_expect(eq(u32, q.ctl.bank[q.bank].hash_seed, l.ctl.bank[p.bank].hash_seed));
	plan_free(&q, c.cfg.n_vips);
	/* without macs, a health commit keeps the live MACs */
	e.macs = false;
	cr_assert(eq(int, plan_build(&l, &c, &e, &q), 0));
	cr_expect(eq(u8[6], q.ctl.bank[q.bank].nh_mac, l.ctl.bank[p.bank].nh_mac));
	plan_free(&q, c.cfg.n_vips);
	plan_free(&p, c.cfg.n_vips);
	checked_free(&c);
	live_free(&l);
}

/* A health change with the touched VIPs named compares only their backend
 * entries, and plans exactly what the pass over every id plans. */
Test(plan, health_change_touched_only)
{
	struct lb_live l = { 0 };
	struct checked c;
	struct plan p, full, part;
	bool same[3] = { false, true, true }, touched[3] = { true, false, false };

	step(&l, "a:1,2,3;b:4,5;c:6", &c, &p);
	struct plan_hint h = { .vip_ids = p.vip_ids, .be_ids = p.be_ids, .table_same = same };
	struct plan_env e = env;

	e.health_only = true;
	e.hint = &h;
	c.cfg.vips[0].backends[2].state = XDPLB_BE_DRAIN;
	c.cfg.vips[0].backends[2].health = XDPLB_HEALTH_OUT;
	c.cfg.vips[0].backends[0].health = XDPLB_HEALTH_UP; /* a verdict, no state change */
	cr_assert(eq(int, plan_build(&l, &c, &e, &full), 0));
	h.touched = touched;
	cr_assert(eq(int, plan_build(&l, &c, &e, &part), 0));
	cr_expect(eq(u32, part.n_bw, 2), "the drained backend and the one with a verdict");
	cr_assert(eq(u32, part.n_bw, full.n_bw));
	cr_assert(eq(u32, part.n_mbw, full.n_mbw));
	cr_expect(eq(int, memcmp(part.bw, full.bw, full.n_bw * sizeof(*full.bw)), 0));
	cr_expect(eq(int, memcmp(part.mbw, full.mbw, full.n_mbw * sizeof(*full.mbw)), 0));
	cr_expect(eq(int, memcmp(&part.ctl, &full.ctl, sizeof(full.ctl)), 0));
	cr_expect(eq(u32, part.n_vw + part.n_mvw + part.n_vdel + part.n_vnames + part.n_bnames, 0));
	plan_free(&part, c.cfg.n_vips);
	plan_free(&full, c.cfg.n_vips);
	plan_free(&p, c.cfg.n_vips);
	checked_free(&c);
	live_free(&l);
}

/* Plans the health change in c both ways, with the touched VIPs named and
 * without, expects the very same writes, and applies it. */
static void same_both_ways(struct lb_live *l, const struct checked *c, struct plan_hint *h,
			   const bool *touched, __u32 want_vw)
{
	struct plan_env e = env;
	struct plan full, part;

	e.health_only = true;
	e.hint = h;
	h->touched = NULL;
	cr_assert(eq(int, plan_build(l, c, &e, &full), 0));
	h->touched = touched;
	cr_assert(eq(int, plan_build(l, c, &e, &part), 0));
	cr_expect(eq(u32, part.n_vw, want_vw));
	cr_assert(eq(u32, part.n_vw, full.n_vw));
	cr_assert(eq(u32, part.n_mvw, full.n_mvw));
	cr_assert(eq(u32, part.n_vdel, full.n_vdel));
	cr_assert(eq(u32, part.n_bw, full.n_bw));
	cr_expect(eq(int, memcmp(part.vw, full.vw, full.n_vw * sizeof(*full.vw)), 0));
	cr_expect(eq(int, memcmp(part.mvw, full.mvw, full.n_mvw * sizeof(*full.mvw)), 0));
	cr_expect(eq(int, memcmp(part.bw, full.bw, full.n_bw * sizeof(*full.bw)), 0));
	cr_expect(eq(int, memcmp(&part.ctl, &full.ctl, sizeof(full.ctl)), 0));
	cr_expect(part.same_ids && full.same_ids);
	apply(l, &part, c);
	plan_free(&part, c->cfg.n_vips);
	plan_free(&full, c->cfg.n_vips);
}

static void set_health(struct cfg_backend *b, bool up)
{
	b->state = up ? XDPLB_BE_ACTIVE : XDPLB_BE_DOWN;
	b->health = up ? XDPLB_HEALTH_UP : XDPLB_HEALTH_OUT;
}

/* A health change plans only the touched VIPs' vips entries and their
 * address sentinels (shared with VIPs it did not touch), and writes what
 * the plan over every entry writes: a VIP's table size to 0 and back, the
 * sentinel's serving flag kept by a sibling, then cleared, then set. The
 * same with the live entries out of order (the plan over every entry). */
Test(plan, health_change_entries_alone)
{
	const char *json =
		"{" BASE_TOP ", \"vips\": ["
		" { \"name\": \"a\", \"address\": \"203.0.113.1\", \"port\": 80,"
		"   \"guards\": { \"min_active_backends\": 0, \"max_backend_share\": 1 }, \"backends\": ["
		"   { \"name\": \"b1\", \"address\": \"198.51.100.1\" },"
		"   { \"name\": \"b2\", \"address\": \"198.51.100.2\" } ] },"
		" { \"name\": \"b\", \"address\": \"203.0.113.1\", \"port\": 443,"
		"   \"guards\": { \"min_active_backends\": 0, \"max_backend_share\": 1 }, \"backends\": ["
		"   { \"name\": \"b3\", \"address\": \"198.51.100.3\" } ] },"
		" { \"name\": \"c\", \"address\": \"203.0.113.2\", \"port\": 80,"
		"   \"guards\": { \"max_backend_share\": 1 }, \"backends\": ["
		"   { \"name\": \"b4\", \"address\": \"198.51.100.4\" } ] } ] }";
	struct lb_live l = { 0 };
	struct checked c;
	struct diags d;
	struct plan p;
	bool same[3] = { false, false, true }, ta[3] = { true, false, false },
	     tb[3] = { false, true, false }, tab[3] = { true, true, false };

	cr_assert(eq(int, check_str(json, &c, &d), 0), "%s", d.n ? d.v[0].msg : "");
	cr_assert(eq(int, plan_build(&l, &c, &env, &p), 0));
	apply(&l, &p, &c);
	struct plan_hint h = { .vip_ids = p.vip_ids, .be_ids = p.be_ids, .table_same = same };

	/* a empty: its entry only, b keeps the sentinel serving */
	set_health(&c.cfg.vips[0].backends[0], false);
	set_health(&c.cfg.vips[0].backends[1], false);
	same_both_ways(&l, &c, &h, ta, 1);
	/* b empty too: its entry and the sentinel */
	set_health(&c.cfg.vips[1].backends[0], false);
	same_both_ways(&l, &c, &h, tb, 2);
	/* both back: both entries and the sentinel */
	set_health(&c.cfg.vips[0].backends[1], true);
	set_health(&c.cfg.vips[1].backends[0], true);
	same_both_ways(&l, &c, &h, tab, 3);
	/* the live entries out of order: the plan over every entry, the same */
	cr_assert(gt(u32, l.n_entries, 1));
	struct live_entry x = l.entries[0];

	l.entries[0] = l.entries[1];
	l.entries[1] = x;
	set_health(&c.cfg.vips[0].backends[1], false);
	set_health(&c.cfg.vips[0].backends[0], false);
	same_both_ways(&l, &c, &h, ta, 1);
	plan_free(&p, c.cfg.n_vips);
	checked_free(&c);
	live_free(&l);
}

/* "icmp_echo": false clears the global flag (echo requests are passed). */
Test(plan, icmp_echo_off)
{
	const char *json = "{" BASE_TOP ", \"icmp_echo\": false, \"vips\": [ { \"name\": \"v\","
			   " \"address\": \"203.0.113.1\", \"port\": 80, \"backends\": ["
			   " { \"name\": \"b\", \"address\": \"198.51.100.1\" } ] } ] }";
	struct lb_live l = { 0 };
	struct checked c;
	struct diags d;
	struct plan p;

	cr_assert(eq(int, check_str(json, &c, &d), 0));
	cr_expect(not(c.cfg.icmp_echo));
	cr_assert(eq(int, plan_build(&l, &c, &env, &p), 0));
	cr_expect(eq(u32, p.ctl.bank[1].flags & XDPLB_G_F_ICMP_ECHO, 0));
	plan_free(&p, c.cfg.n_vips);
	checked_free(&c);
}

/* The address sentinel is serving when one VIP of the address takes new
 * flows (another VIP of it with none does not matter), and not when none
 * does: the data path answers echo requests by it. */
Test(plan, sentinel_serving)
{
	const char *json =
		"{" BASE_TOP ", \"vips\": ["
		" { \"name\": \"up\", \"address\": \"203.0.113.1\", \"port\": 80, \"backends\": ["
		"   { \"name\": \"b\", \"address\": \"198.51.100.1\" } ] },"
		" { \"name\": \"gone\", \"address\": \"203.0.113.1\", \"port\": 81,"
		"   \"guards\": { \"min_active_backends\": 0 }, \"backends\": ["
		"   { \"name\": \"c\", \"address\": \"198.51.100.2\", \"state\": \"down\" } ] },"
		" { \"name\": \"dark\", \"address\": \"2001:db8:10::1\", \"port\": 80,"
		"   \"guards\": { \"min_active_backends\": 0 }, \"backends\": ["
		"   { \"name\": \"d\", \"address\": \"198.51.100.3\", \"state\": \"drain\" } ] } ] }";
	struct lb_live l = { 0 };
	struct checked c;
	struct diags d;
	struct plan p;
	int sentinels = 0;

	cr_assert(eq(int, check_str(json, &c, &d), 0));
	cr_assert(eq(int, plan_build(&l, &c, &env, &p), 0));
	for (__u32 i = 0; i < p.n_vw; i++) {
		const struct xdplb_vip_cfg *v = &p.vw[i].val.bank[1];

		if (p.vw[i].key.proto)
			continue;
		sentinels++;
		cr_expect(eq(u32, v->flags & XDPLB_VIP_F_PRESENT, XDPLB_VIP_F_PRESENT));
		if (p.vw[i].key.family == XDPLB_AF_INET)
			cr_expect(ne(u32, v->flags & XDPLB_VIP_F_SERVING, 0),
				  "203.0.113.1: VIP up takes flows");
		else
			cr_expect(eq(u32, v->flags & XDPLB_VIP_F_SERVING, 0),
				  "2001:db8:10::1: nothing does");
	}
	cr_expect(eq(int, sentinels, 2));
	plan_free(&p, c.cfg.n_vips);
	checked_free(&c);
}

/* A VIP whose backends all stopped taking new flows has an empty table. */
Test(plan, no_active_backend_means_table_size_0)
{
	const char *json =
		"{" BASE_TOP ", \"vips\": [ { \"name\": \"v\", \"address\": \"203.0.113.1\","
		" \"port\": 80, \"guards\": { \"min_active_backends\": 0 }, \"backends\": ["
		" { \"name\": \"b\", \"address\": \"198.51.100.1\", \"state\": \"drain\" } ] } ] }";
	struct lb_live l = { 0 };
	struct checked c;
	struct diags d;
	struct plan p;

	cr_assert(eq(int, check_str(json, &c, &d), 0));
	cr_assert(eq(int, plan_build(&l, &c, &env, &p), 0));
	for (__u32 i = 0; i < p.n_vw; i++)
		if (p.vw[i].key.proto)
			cr_expect(eq(u32, p.vw[i].val.bank[1].table_size, 0));
	cr_expect(eq(u8, p.bw[0].val.state[1], XDPLB_BE_DRAIN));
	plan_free(&p, c.cfg.n_vips);
	checked_free(&c);
}

Test(plan, globals)
{
	const char *json =
		"{ \"interface\": \"eth0\", \"next_hop_mac\": \"02:00:00:00:00:01\","
		" \"source_v4\": \"198.51.100.16/28\", \"hash_seed\": 7, \"mtu\": 9000,"
		" \"vips\": [ { \"name\": \"v\", \"address\": \"203.0.113.1\", \"port\": 0,"
		" \"backends\": [ { \"name\": \"b\", \"address\": \"198.51.100.1\" } ] } ] }";
	struct lb_live l = { 0 };
	struct checked c;
	struct diags d;
	struct plan p;
	const struct xdplb_global_cfg *g;

	cr_assert(eq(int, check_str(json, &c, &d), 0));
	cr_assert(eq(int, plan_build(&l, &c, &env, &p), 0));
	g = &p.ctl.bank[1];
	cr_expect(eq(u32, g->hash_seed, 7));
	cr_expect(eq(u32, g->mtu, 9000));
	cr_expect(eq(u32, g->flags & XDPLB_G_F_PORTLESS, XDPLB_G_F_PORTLESS));
	cr_expect(eq(u32, g->flags & XDPLB_G_F_ICMP_ECHO, XDPLB_G_F_ICMP_ECHO), "on by default");
	cr_expect(eq(u32, g->src_v4, htonl(0xc6336410)));
	cr_expect(eq(u32, g->src_v4_hostmask, htonl(0xf)));
	cr_expect(eq(u8[6], (__u8 *)g->if_mac, (__u8 *)env.if_mac));
	cr_expect(eq(u64, g->load_time, 1000));
	cr_expect(eq(u8[32], (__u8 *)g->digest, c.cfg.digest));
	plan_free(&p, c.cfg.n_vips);
	checked_free(&c);
}

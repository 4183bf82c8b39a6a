// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Health: rise/fall, cold start, flap damping, the cascade guard, determinism. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "health.h"

#define MAXB 16

/* One engine, one VIP of n backends 198.51.100.10+i, target i each. */
struct fix {
	struct health h;
	struct health_member m[MAXB];
	const struct health_report *rep;
	double now;
};

static void member(struct health_member *m, __u32 target, __u8 admin)
{
	char a[32];

	snprintf(a, sizeof(a), "198.51.100.%u", 10 + target);
	memset(m, 0, sizeof(*m));
	m->target = target;
	m->family = (__u8)addr_parse(a, &m->addr);
	m->admin = admin;
	m->weight = 100;
}

static void fix_init(struct fix *f, const struct health_params *p, __u32 n)
{
	struct health_params dp;

	if (!p) {
		health_params_default(&dp);
		p = &dp;
	}
	memset(f, 0, sizeof(*f));
	cr_assert(eq(int, health_init(&f->h, p, n, 0), 0));
	for (__u32 i = 0; i < n; i++)
		member(&f->m[i], i, XDPLB_BE_ACTIVE);
}

static void fix_vip(struct fix *f, __u32 n, double max_out)
{
	cr_assert(ge(int, health_add_vip(&f->h, f->m, n, max_out), 0));
}

/* One round at f->now with one result per target listed; ok[i] for
 * targets[i]. */
static void round_of(struct fix *f, const __u32 *targets, const bool *ok, size_t n)
{
	struct health_result r[MAXB];

	for (size_t i = 0; i < n; i++)
		r[i] = (struct health_result){ .target = targets[i],
					       .ok = ok[i],
					       .latency = 0.001 };
	cr_assert(eq(int, health_round(&f->h, f->now, r, n, &f->rep), 0));
}

/* A round where target t alone reports ok. */
static void one(struct fix *f, __u32 t, bool ok)
{
	round_of(f, &t, &ok, 1);
}

/* Rounds where every target of 0..n-1 reports ok[i], k times, a second apart. */
static void all(struct fix *f, const bool *ok, __u32 n, int k)
{
	__u32 t[MAXB];

	for (__u32 i = 0; i < n; i++)
		t[i] = i;
	for (int j = 0; j < k; j++) {
		f->now += 1;
		round_of(f, t, ok, n);
	}
}

static __u8 st(const struct fix *f, __u32 vip, __u32 member_idx)
{
	return f->rep->vip[vip].state[member_idx];
}

/* ---------------------------------------------------------------- params */

Test(health, defaults_are_valid_and_bad_params_are_refused)
{
	struct health_params p;
	const char *why;
	struct health h;

	health_params_default(&p);
	cr_expect(eq(int, health_params_check(&p, &why), 0));
	cr_expect(eq(u32, p.rise, 2));
	cr_expect(eq(u32, p.fall, 3));
	cr_expect(eq(int, p.cold, HEALTH_COLD_UP));
	cr_expect(eq(dbl, p.max_out, 0.5));
	cr_expect(eq(u8, p.out_state, XDPLB_BE_DRAIN));

	p.rise = 0;
	cr_expect(eq(int, health_params_check(&p, &why), -EINVAL));
	cr_expect(not(eq(ptr, strstr(why, "rise"), NULL)));
	cr_expect(eq(int, health_init(&h, &p, 1, 0), -EINVAL));

	health_params_default(&p);
	p.reuse = p.suppress;
	cr_expect(eq(int, health_params_check(&p, &why), -EINVAL));
	health_params_default(&p);
	p.max_out = 1.5;
	cr_expect(eq(int, health_params_check(&p, &why), -EINVAL));
	health_params_default(&p);
	p.out_state = XDPLB_BE_ACTIVE;
	cr_expect(eq(int, health_params_check(&p, &why), -EINVAL));
	/* a hold could never start: 750 * 2^(1/60) is below 2500 */
	health_params_default(&p);
	p.max_hold = 1;
	cr_expect(eq(int, health_params_check(&p, &why), -EINVAL));
	cr_expect(not(eq(ptr, strstr(why, "suppress"), NULL)));
	/* no damping: the damping figures do not matter */
	p.penalty = 0;
	cr_expect(eq(int, health_params_check(&p, &why), 0));
}

/* ---------------------------------------------------------------- rise/fall */

Test(health, rise_successes_make_up_from_unknown)
{
	struct fix f;

	fix_init(&f, NULL, 1);
	one(&f, 0, true);
	cr_expect(eq(int, f.h.t[0].state, HEALTH_UNKNOWN));
	cr_expect(eq(sz, f.rep->n_tr, 0));
	one(&f, 0, true);
	cr_expect(eq(int, f.h.t[0].state, HEALTH_UP));
	cr_assert(eq(sz, f.rep->n_tr, 1));
	cr_expect(eq(int, f.rep->tr[0].ev, HEALTH_EV_UP));
	cr_expect(eq(int, f.rep->tr[0].from, HEALTH_UNKNOWN));
	cr_expect(eq(int, f.rep->tr[0].to, HEALTH_UP));
	health_free(&f.h);
}

Test(health, fall_consecutive_failures_make_down_and_a_success_resets_them)
{
	struct fix f;

	fix_init(&f, NULL, 1);
	one(&f, 0, true);
	one(&f, 0, true);
	one(&f, 0, false);
	one(&f, 0, false);
	one(&f, 0, true); /* the run of failures starts over */
	one(&f, 0, false);
	one(&f, 0, false);
	cr_expect(eq(int, f.h.t[0].state, HEALTH_UP));
	one(&f, 0, false);
	cr_expect(eq(int, f.h.t[0].state, HEALTH_DOWN));
	cr_assert(eq(sz, f.rep->n_tr, 1));
	cr_expect(eq(int, f.rep->tr[0].ev, HEALTH_EV_DOWN));
	cr_expect(eq(int, f.rep->tr[0].from, HEALTH_UP));
	cr_expect(eq(u64, f.h.t[0].n_fail, 5));
	cr_expect(eq(u64, f.h.t[0].n_ok, 3));
	health_free(&f.h);
}

Test(health, down_needs_rise_consecutive_successes)
{
	struct fix f;

	fix_init(&f, NULL, 1);
	for (int i = 0; i < 3; i++)
		one(&f, 0, false);
	cr_assert(eq(int, f.h.t[0].state, HEALTH_DOWN));
	one(&f, 0, true);
	one(&f, 0, false);
	one(&f, 0, true);
	cr_expect(eq(int, f.h.t[0].state, HEALTH_DOWN));
	one(&f, 0, true);
	cr_expect(eq(int, f.h.t[0].state, HEALTH_UP));
	health_free(&f.h);
}

/* rise = fall = 1: every result decides, as a checker without hysteresis */
Test(health, rise_and_fall_of_one)
{
	struct health_params p;
	struct fix f;

	health_params_default(&p);
	p.rise = p.fall = 1;
	p.penalty = 0;
	fix_init(&f, &p, 1);
	one(&f, 0, false);
	cr_expect(eq(int, f.h.t[0].state, HEALTH_DOWN));
	one(&f, 0, true);
	cr_expect(eq(int, f.h.t[0].state, HEALTH_UP));
	health_free(&f.h);
}

/* ---------------------------------------------------------------- cold start */

Test(health, cold_up_keeps_unknown_backends_in)
{
	struct fix f;

	fix_init(&f, NULL, 2);
	fix_vip(&f, 2, -1);
	cr_assert(eq(int, health_round(&f.h, 0, NULL, 0, &f.rep), 0));
	cr_expect(eq(u8, st(&f, 0, 0), XDPLB_BE_ACTIVE));
	cr_expect(eq(u8, st(&f, 0, 1), XDPLB_BE_ACTIVE));
	cr_expect(not(f.rep->vip[0].changed));
	cr_expect(eq(sz, f.rep->n_changed, 0));
	/* one failure is not fall failures: still in */
	one(&f, 0, false);
	cr_expect(eq(u8, st(&f, 0, 0), XDPLB_BE_ACTIVE));
	health_free(&f.h);
}

Test(health, cold_down_keeps_unknown_backends_out_until_rise)
{
	struct health_params p;
	struct fix f;

	health_params_default(&p);
	p.cold = HEALTH_COLD_DOWN;
	p.max_out = 1; /* no guard here: the cold start alone */
	fix_init(&f, &p, 2);
	fix_vip(&f, 2, -1);
	cr_assert(eq(int, health_round(&f.h, 0, NULL, 0, &f.rep), 0));
	cr_expect(eq(u8, st(&f, 0, 0), XDPLB_BE_DRAIN));
	cr_expect(eq(u8, st(&f, 0, 1), XDPLB_BE_DRAIN));
	cr_expect(f.rep->vip[0].changed); /* against the config as loaded */
	one(&f, 0, true);
	cr_expect(eq(u8, st(&f, 0, 0), XDPLB_BE_DRAIN));
	one(&f, 0, true);
	cr_expect(eq(u8, st(&f, 0, 0), XDPLB_BE_ACTIVE));
	cr_expect(eq(u8, st(&f, 0, 1), XDPLB_BE_DRAIN));
	cr_expect(f.rep->vip[0].changed);
	health_free(&f.h);
}

/* With the guard, a cold-down VIP keeps half in until checks decide: the
 * never-healthy are equal, so the address decides which half. */
Test(health, cold_down_with_the_guard_takes_half_out_by_address)
{
	struct health_params p;
	struct fix f;

	health_params_default(&p);
	p.cold = HEALTH_COLD_DOWN;
	fix_init(&f, &p, 4);
	fix_vip(&f, 4, -1);
	cr_assert(eq(int, health_round(&f.h, 0, NULL, 0, &f.rep), 0));
	cr_expect(f.rep->vip[0].fail_open);
	cr_expect(eq(u8, st(&f, 0, 0), XDPLB_BE_DRAIN));
	cr_expect(eq(u8, st(&f, 0, 1), XDPLB_BE_DRAIN));
	cr_expect(eq(u8, st(&f, 0, 2), XDPLB_BE_ACTIVE));
	cr_expect(eq(u8, st(&f, 0, 3), XDPLB_BE_ACTIVE));
	health_free(&f.h);
}

/* A backend added to the config starts cold-down on its own. */
Test(health, target_reset_gives_one_target_its_own_cold_start)
{
	struct fix f;

	fix_init(&f, NULL, 3);
	fix_vip(&f, 3, -1);
	cr_assert(eq(int, health_target_reset(&f.h, 2, HEALTH_COLD_DOWN, 0), 0));
	cr_assert(eq(int, health_round(&f.h, 0, NULL, 0, &f.rep), 0));
	cr_expect(eq(u8, st(&f, 0, 0), XDPLB_BE_ACTIVE));
	cr_expect(eq(u8, st(&f, 0, 2), XDPLB_BE_DRAIN));
	cr_expect(eq(int, health_target_reset(&f.h, 3, HEALTH_COLD_DOWN, 0), -EINVAL));
	health_free(&f.h);
}

Test(health, unknown_to_down_is_not_a_flap)
{
	struct fix f;

	fix_init(&f, NULL, 1);
	for (int i = 0; i < 3; i++)
		one(&f, 0, false);
	cr_assert(eq(int, f.h.t[0].state, HEALTH_DOWN));
	cr_expect(eq(int, f.rep->tr[0].from, HEALTH_UNKNOWN));
	cr_expect(eq(dbl, f.h.t[0].penalty, 0));
	health_free(&f.h);
}

/* ---------------------------------------------------------------- damping */

/* up for rise results, down for fall results: one flap, a second apart */
static void flap_once(struct fix *f, __u32 t)
{
	for (__u32 i = 0; i < f->h.p.rise; i++, f->now += 1)
		one(f, t, true);
	for (__u32 i = 0; i < f->h.p.fall; i++, f->now += 1)
		one(f, t, false);
}

static bool has_ev(const struct fix *f, __u32 t, enum health_event ev)
{
	for (size_t i = 0; i < f->rep->n_tr; i++)
		if (f->rep->tr[i].target == t && f->rep->tr[i].ev == ev)
			return true;
	return false;
}

Test(health, two_flaps_are_never_held)
{
	struct fix f;

	fix_init(&f, NULL, 1);
	flap_once(&f, 0);
	flap_once(&f, 0);
	cr_expect(eq(dbl, round(f.h.t[0].penalty), round(1000 + 1000 * exp2(-5.0 / 60))));
	cr_expect(not(f.h.t[0].held));
	for (int i = 0; i < 2; i++, f.now += 1)
		one(&f, 0, true);
	cr_expect(f.h.t[0].in);
	health_free(&f.h);
}

Test(health, the_third_quick_flap_holds_until_the_penalty_decays)
{
	struct fix f;
	double left, pen;

	fix_init(&f, NULL, 2);
	fix_vip(&f, 2, -1);
	flap_once(&f, 0);
	flap_once(&f, 0);
	flap_once(&f, 0);
	cr_assert(f.h.t[0].held);
	cr_expect(has_ev(&f, 0, HEALTH_EV_DOWN));
	cr_expect(has_ev(&f, 0, HEALTH_EV_HOLD));
	/* it comes back up by its checks, and stays out */
	for (int i = 0; i < 2; i++, f.now += 1)
		one(&f, 0, true);
	cr_expect(eq(int, f.h.t[0].state, HEALTH_UP));
	cr_expect(eq(u8, st(&f, 0, 0), XDPLB_BE_DRAIN));
	/* released when the penalty reaches reuse: half_life * log2(p / reuse) */
	pen = health_penalty(&f.h, 0, f.now);
	left = health_hold_left(&f.h, 0, f.now);
	cr_expect(ieee_ulp_eq(dbl, left, 60 * log2(pen / 750), 64));
	cr_expect(gt(dbl, left, 90));
	cr_expect(lt(dbl, left, 120));
	f.now += left - 0.5;
	cr_assert(eq(int, health_round(&f.h, f.now, NULL, 0, &f.rep), 0));
	cr_expect(f.h.t[0].held);
	f.now += 1;
	cr_assert(eq(int, health_round(&f.h, f.now, NULL, 0, &f.rep), 0));
	cr_expect(not(f.h.t[0].held));
	cr_expect(has_ev(&f, 0, HEALTH_EV_RELEASE));
	cr_expect(eq(u8, st(&f, 0, 0), XDPLB_BE_ACTIVE));
	cr_expect(f.rep->vip[0].changed);
	health_free(&f.h);
}

/* However long and fast it flapped, a hold ends max_hold after the last
 * flap. (With rise = fall = 1 a flap takes 2 s: the penalty would settle
 * at 1000 / (1 - 2^(-2/60)) = 30k without the cap of 750 * 2^5 = 24k.) */
Test(health, the_penalty_is_capped_so_no_hold_outlasts_max_hold)
{
	struct health_params p;
	struct fix f;

	health_params_default(&p);
	p.rise = p.fall = 1;
	fix_init(&f, &p, 1);
	for (int i = 0; i < 100; i++)
		flap_once(&f, 0);
	cr_assert(f.h.t[0].held);
	cr_expect(le(dbl, f.h.t[0].penalty, 750 * 32 + 1e-6));
	cr_expect(le(dbl, health_hold_left(&f.h, 0, f.now), HEALTH_MAX_HOLD + 1e-6));
	cr_expect(gt(dbl, health_hold_left(&f.h, 0, f.now), HEALTH_MAX_HOLD - 10));
	health_free(&f.h);
}

/* Flaps far apart decay between them: never held. */
Test(health, slow_flaps_decay_and_are_never_held)
{
	struct fix f;

	fix_init(&f, NULL, 1);
	for (int i = 0; i < 20; i++) {
		flap_once(&f, 0);
		f.now += 120;
		cr_expect(not(f.h.t[0].held));
	}
	health_free(&f.h);
}

Test(health, penalty_zero_turns_damping_off)
{
	struct health_params p;
	struct fix f;

	health_params_default(&p);
	p.penalty = 0;
	fix_init(&f, &p, 1);
	for (int i = 0; i < 10; i++)
		flap_once(&f, 0);
	cr_expect(not(f.h.t[0].held));
	health_free(&f.h);
}

/* ---------------------------------------------------------------- the guard */

/* n backends, the first `down` of them down (in that order, a second apart). */
static void guard_case(struct fix *f, __u32 n, __u32 down, double max_out)
{
	bool ok[MAXB];

	fix_init(f, NULL, n);
	fix_vip(f, n, max_out);
	for (__u32 i = 0; i < n; i++)
		ok[i] = true;
	all(f, ok, n, 2);
	for (__u32 d = 0; d < down; d++) {
		ok[d] = false;
		all(f, ok, n, 3);
	}
}

static __u32 count_state(const struct fix *f, __u8 s)
{
	__u32 c = 0;

	for (__u32 i = 0; i < f->rep->vip[0].n_members; i++)
		c += st(f, 0, i) == s;
	return c;
}

Test(health, guard_exactly_half_goes_out)
{
	struct fix f;

	guard_case(&f, 4, 2, -1);
	cr_expect(eq(u32, f.rep->vip[0].max_out, 2));
	cr_expect(eq(u32, f.rep->vip[0].n_unhealthy, 2));
	cr_expect(eq(u32, f.rep->vip[0].n_out, 2));
	cr_expect(not(f.rep->vip[0].fail_open));
	cr_expect(eq(u8, st(&f, 0, 0), XDPLB_BE_DRAIN));
	cr_expect(eq(u8, st(&f, 0, 1), XDPLB_BE_DRAIN));
	cr_expect(eq(u32, count_state(&f, XDPLB_BE_ACTIVE), 2));
	health_free(&f.h);
}

/* One over: fail open, the longest unhealthy stay out, the most recently
 * healthy comes back in. */
Test(health, guard_one_over_fails_open_keeping_the_most_recently_healthy)
{
	struct fix f;

	guard_case(&f, 4, 3, -1);
	cr_expect(eq(u32, f.rep->vip[0].n_unhealthy, 3));
	cr_expect(eq(u32, f.rep->vip[0].n_out, 2));
	cr_expect(f.rep->vip[0].fail_open);
	cr_expect(eq(u8, st(&f, 0, 0), XDPLB_BE_DRAIN));
	cr_expect(eq(u8, st(&f, 0, 1), XDPLB_BE_DRAIN));
	cr_expect(eq(u8, st(&f, 0, 2), XDPLB_BE_ACTIVE)); /* down last: kept in */
	cr_expect(eq(u8, st(&f, 0, 3), XDPLB_BE_ACTIVE));
	/* once one recovers, the guard is no longer open, and the kept one goes out */
	{
		bool ok[4] = { true, false, false, true };

		all(&f, ok, 4, 2);
	}
	cr_expect(not(f.rep->vip[0].fail_open));
	cr_expect(eq(u8, st(&f, 0, 0), XDPLB_BE_ACTIVE));
	cr_expect(eq(u8, st(&f, 0, 2), XDPLB_BE_DRAIN));
	health_free(&f.h);
}

/* Five backends: floor(2.5) = 2 may go out; the third fails open. */
Test(health, guard_rounds_the_allowance_down)
{
	struct fix f;

	guard_case(&f, 5, 3, -1);
	cr_expect(eq(u32, f.rep->vip[0].max_out, 2));
	cr_expect(f.rep->vip[0].fail_open);
	cr_expect(eq(u32, count_state(&f, XDPLB_BE_DRAIN), 2));
	health_free(&f.h);
}

Test(health, guard_single_backend_is_never_taken_out_by_default)
{
	struct fix f;

	guard_case(&f, 1, 1, -1);
	cr_expect(eq(int, f.h.t[0].state, HEALTH_DOWN));
	cr_expect(eq(u32, f.rep->vip[0].max_out, 0));
	cr_expect(f.rep->vip[0].fail_open);
	cr_expect(eq(u8, st(&f, 0, 0), XDPLB_BE_ACTIVE));
	health_free(&f.h);

	/* a VIP that allows everything out */
	guard_case(&f, 1, 1, 1.0);
	cr_expect(not(f.rep->vip[0].fail_open));
	cr_expect(eq(u8, st(&f, 0, 0), XDPLB_BE_DRAIN));
	health_free(&f.h);
}

Test(health, guard_zero_configured_active)
{
	struct fix f;

	fix_init(&f, NULL, 2);
	f.m[0].admin = XDPLB_BE_DRAIN;
	f.m[1].admin = XDPLB_BE_DOWN;
	fix_vip(&f, 2, -1);
	for (int i = 0; i < 3; i++)
		one(&f, 0, false);
	cr_expect(eq(u32, f.rep->vip[0].n_active, 0));
	cr_expect(eq(u32, f.rep->vip[0].max_out, 0));
	cr_expect(eq(u32, f.rep->vip[0].n_unhealthy, 0));
	cr_expect(not(f.rep->vip[0].fail_open));
	cr_expect(eq(u8, st(&f, 0, 0), XDPLB_BE_DRAIN));
	cr_expect(eq(u8, st(&f, 0, 1), XDPLB_BE_DOWN));
	cr_expect(not(f.rep->vip[0].changed));
	health_free(&f.h);

	/* an empty VIP is harmless too */
	fix_init(&f, NULL, 1);
	fix_vip(&f, 0, -1);
	cr_assert(eq(int, health_round(&f.h, 0, NULL, 0, &f.rep), 0));
	cr_expect(eq(u32, f.rep->vip[0].n_members, 0));
	cr_expect(not(f.rep->vip[0].fail_open));
	health_free(&f.h);
}

/* The operator's drain and down stand whatever the checks say, and are
 * not counted by the guard. */
Test(health, health_never_overrides_drain_or_down)
{
	struct fix f;
	bool ok[4] = { true, true, true, true };

	fix_init(&f, NULL, 4);
	f.m[0].admin = XDPLB_BE_DRAIN;
	f.m[1].admin = XDPLB_BE_DOWN;
	fix_vip(&f, 4, -1);
	all(&f, ok, 4, 2);
	cr_expect(eq(u8, st(&f, 0, 0), XDPLB_BE_DRAIN));
	cr_expect(eq(u8, st(&f, 0, 1), XDPLB_BE_DOWN));
	cr_expect(eq(u32, f.rep->vip[0].n_active, 2));
	ok[2] = false;
	all(&f, ok, 4, 3);
	/* 1 of 2 active: allowed out */
	cr_expect(eq(u8, st(&f, 0, 2), XDPLB_BE_DRAIN));
	cr_expect(not(f.rep->vip[0].fail_open));
	health_free(&f.h);
}

/* Weight 0 takes no new flows: out when unhealthy, outside the guard's count. */
Test(health, weight_zero_is_outside_the_guard)
{
	struct fix f;
	bool ok[2] = { true, false };

	fix_init(&f, NULL, 2);
	f.m[1].weight = 0;
	fix_vip(&f, 2, -1);
	all(&f, ok, 2, 3);
	cr_expect(eq(u32, f.rep->vip[0].n_active, 1));
	cr_expect(eq(u8, st(&f, 0, 1), XDPLB_BE_DRAIN));
	cr_expect(not(f.rep->vip[0].fail_open));
	health_free(&f.h);
}

Test(health, out_state_down_when_configured)
{
	struct health_params p;
	struct fix f;
	bool ok[2] = { false, true };

	health_params_default(&p);
	p.out_state = XDPLB_BE_DOWN;
	fix_init(&f, &p, 2);
	fix_vip(&f, 2, -1);
	all(&f, ok, 2, 3);
	cr_expect(eq(u8, st(&f, 0, 0), XDPLB_BE_DOWN));
	health_free(&f.h);
}

/* Held targets count as unhealthy for the guard. */
Test(health, a_held_backend_counts_against_the_guard)
{
	struct fix f;

	fix_init(&f, NULL, 2);
	fix_vip(&f, 2, -1);
	for (int i = 0; i < 3; i++)
		flap_once(&f, 0);
	for (int i = 0; i < 2; i++, f.now += 1)
		one(&f, 0, true);
	cr_assert(f.h.t[0].held);
	cr_expect(eq(u32, f.rep->vip[0].n_unhealthy, 1));
	cr_expect(eq(u8, st(&f, 0, 0), XDPLB_BE_DRAIN));
	health_free(&f.h);
}

/* ---------------------------------------------------------------- rounds */

Test(health, changed_only_when_the_set_changes_and_one_target_moves_every_vip)
{
	struct fix f;
	bool ok[3] = { true, true, true };

	fix_init(&f, NULL, 3);
	fix_vip(&f, 3, -1); /* targets 0,1,2 */
	fix_vip(&f, 2, -1); /* targets 0,1 */
	f.m[0] = f.m[2];
	fix_vip(&f, 1, 1.0); /* target 2 alone */
	all(&f, ok, 3, 2);
	cr_expect(eq(sz, f.rep->n_vip, 3));
	cr_expect(eq(sz, f.rep->n_changed, 0));
	ok[2] = false;
	all(&f, ok, 3, 2);
	cr_expect(eq(sz, f.rep->n_changed, 0)); /* 2 of 3 failures: still up */
	all(&f, ok, 3, 1);
	cr_expect(eq(sz, f.rep->n_changed, 2)); /* vips 0 and 2, both with target 2 */
	cr_expect(f.rep->vip[0].changed);
	cr_expect(not(f.rep->vip[1].changed));
	cr_expect(f.rep->vip[2].changed);
	all(&f, ok, 3, 1);
	cr_expect(eq(sz, f.rep->n_changed, 0));
	health_free(&f.h);
}

Test(health, a_result_for_an_unknown_target_changes_nothing)
{
	struct fix f;
	struct health_result r[2] = { { .target = 0, .ok = false }, { .target = 9, .ok = true } };
	const struct health_report *rep;

	fix_init(&f, NULL, 1);
	cr_expect(eq(int, health_round(&f.h, 1, r, 2, &rep), -EINVAL));
	cr_expect(eq(u32, f.h.t[0].fail_run, 0));
	cr_expect(eq(int, health_add_vip(&f.h, &f.m[0], 1, 2.0), -EINVAL));
	f.m[0].target = 5;
	cr_expect(eq(int, health_add_vip(&f.h, &f.m[0], 1, -1), -EINVAL));
	health_free(&f.h);
}

Test(health, transitions_are_sorted_by_target)
{
	struct fix f;
	__u32 t[3] = { 2, 0, 1 };
	bool ok[3] = { true, true, true };

	fix_init(&f, NULL, 3);
	round_of(&f, t, ok, 3);
	round_of(&f, t, ok, 3);
	cr_assert(eq(sz, f.rep->n_tr, 3));
	for (__u32 i = 0; i < 3; i++)
		cr_expect(eq(u32, f.rep->tr[i].target, i));
	health_free(&f.h);
}

/* ---------------------------------------------------------------- determinism */

/* The same scenario with members and results in another order gives the
 * same state per backend and the same transitions. */
struct outcome {
	__u8 state_by_target[MAXB];
	bool fail_open;
	__u32 n_out;
	struct health_transition tr[4 * MAXB];
	size_t n_tr;
};

static void scenario(const __u32 *perm, __u32 n, struct outcome *o)
{
	struct health h;
	struct health_params p;
	struct health_member m[MAXB];
	struct health_result r[MAXB];
	const struct health_report *rep = NULL;

	health_params_default(&p);
	cr_assert(eq(int, health_init(&h, &p, n, 0), 0));
	for (__u32 i = 0; i < n; i++)
		member(&m[i], perm[i], XDPLB_BE_ACTIVE);
	cr_assert(ge(int, health_add_vip(&h, m, n, -1), 0));
	memset(o, 0, sizeof(*o));
	/* every target fails at once: who stays in is decided by address */
	for (int k = 0; k < 5; k++) {
		for (__u32 i = 0; i < n; i++)
			r[i] = (struct health_result){ .target = perm[(i + k) % n],
						       .ok = k < 2 || perm[(i + k) % n] % 3 == 0 };
		cr_assert(eq(int, health_round(&h, k, r, n, &rep), 0));
		for (size_t i = 0; i < rep->n_tr; i++)
			o->tr[o->n_tr++] = rep->tr[i];
	}
	for (__u32 i = 0; i < n; i++)
		o->state_by_target[m[i].target] = rep->vip[0].state[i];
	o->fail_open = rep->vip[0].fail_open;
	o->n_out = rep->vip[0].n_out;
	health_free(&h);
}

static void expect_same_transitions(const struct outcome *a, const struct outcome *b)
{
	cr_assert(eq(sz, a->n_tr, b->n_tr));
	for (size_t i = 0; i < a->n_tr; i++) {
		cr_expect(eq(u32, a->tr[i].target, b->tr[i].target));
		cr_expect(eq(int, a->tr[i].ev, b->tr[i].ev));
	}
}

Test(health, same_inputs_in_any_order_give_the_same_sets)
{
	__u32 id[10], rev[10], mix[10] = { 3, 7, 0, 9, 1, 5, 8, 2, 6, 4 };
	struct outcome a, b, c;

	for (__u32 i = 0; i < 10; i++) {
		id[i] = i;
		rev[i] = 9 - i;
	}
	scenario(id, 10, &a);
	scenario(rev, 10, &b);
	scenario(mix, 10, &c);
	/* 6 of 10 fail (every target but 0, 3, 6, 9): 5 out, fail open */
	cr_expect(a.fail_open);
	cr_expect(eq(u32, a.n_out, 5));
	cr_expect(eq(int, memcmp(a.state_by_target, b.state_by_target, 10), 0));
	cr_expect(eq(int, memcmp(a.state_by_target, c.state_by_target, 10), 0));
	/* all went down in the same round: the lowest addresses go out */
	cr_expect(eq(u8, a.state_by_target[1], XDPLB_BE_DRAIN));
	cr_expect(eq(u8, a.state_by_target[8], XDPLB_BE_ACTIVE));
	expect_same_transitions(&a, &b);
	expect_same_transitions(&a, &c);
}

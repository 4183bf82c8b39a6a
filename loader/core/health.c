// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * health.c - rise/fall, flap damping and the cascade guard (health.h,
 * docs/health.md). Pure: time comes in as an argument.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "health.h"

void health_params_default(struct health_params *p)
{
	*p = (struct health_params){
		.rise = HEALTH_RISE,
		.fall = HEALTH_FALL,
		.cold = HEALTH_COLD_UP,
		.penalty = HEALTH_PENALTY,
		.suppress = HEALTH_SUPPRESS,
		.reuse = HEALTH_REUSE,
		.half_life = HEALTH_HALF_LIFE,
		.max_hold = HEALTH_MAX_HOLD,
		.max_out = HEALTH_MAX_OUT,
		.out_state = XDPLB_BE_DRAIN,
	};
}

/* The ceiling of the penalty: decaying from it to reuse takes max_hold. */
static double max_penalty(const struct health_params *p)
{
	return p->reuse * exp2(p->max_hold / p->half_life);
}

int health_params_check(const struct health_params *p, const char **why)
{
	const char *w = NULL;

	if (p->rise < 1 || p->fall < 1)
		w = "rise and fall must be at least 1";
	else if (p->cold != HEALTH_COLD_UP && p->cold != HEALTH_COLD_DOWN)
		w = "cold start must be up or down";
	else if (!(p->max_out >= 0 && p->max_out <= 1))
		w = "max_out must be 0..1";
	else if (p->out_state != XDPLB_BE_DRAIN && p->out_state != XDPLB_BE_DOWN)
		w = "out_state must be drain or down";
	else if (!(p->penalty >= 0) || !isfinite(p->penalty))
		w = "penalty must be 0 (no damping) or more";
	else if (p->penalty > 0 && !(p->half_life > 0 && p->max_hold > 0))
		w = "half_life and max_hold must be above 0";
	else if (p->penalty > 0 && !(p->reuse > 0 && p->reuse < p->suppress))
		w = "reuse must be above 0 and below suppress";
	else if (p->penalty > 0 && !(p->suppress < max_penalty(p)))
		w = "suppress must be below reuse * 2^(max_hold / half_life), or nothing is ever held";
	if (why)
		*why = w;
	return w ? -EINVAL : 0;
}

static void target_reset(struct health_target *t, enum health_cold cold, double now)
{
	__u32 rise = t->rise, fall = t->fall;

	*t = (struct health_target){
		.rise = rise,
		.fall = fall,
		.state = HEALTH_UNKNOWN,
		.cold = cold,
		.in = cold == HEALTH_COLD_UP,
		.penalty_at = now,
		.out_since = -INFINITY,
		.since = now,
	};
}

int health_init(struct health *h, const struct health_params *p, __u32 n_targets, double now)
{
	memset(h, 0, sizeof(*h));
	if (health_params_check(p, NULL))
		return -EINVAL;
	h->p = *p;
	h->t = calloc(n_targets ? n_targets : 1, sizeof(*h->t));
	if (!h->t)
		return -ENOMEM;
	h->n_targets = n_targets;
	for (__u32 i = 0; i < n_targets; i++)
		target_reset(&h->t[i], p->cold, now);
	return 0;
}

void health_free(struct health *h)
{
	for (size_t i = 0; i < h->n_vips; i++) {
		free(h->v[i].m);
		free(h->v[i].state);
		free(h->v[i].next);
		free(h->v[i].cand);
	}
	free(h->v);
	free(h->vr);
	free(h->tr);
	free(h->t);
	memset(h, 0, sizeof(*h));
}

static int grow_vips(struct health *h)
{
	size_t cap = h->cap_vips ? 2 * h->cap_vips : 8;
	struct health_vip *v = realloc(h->v, cap * sizeof(*v));
	struct health_vip_report *vr;

	if (!v)
		return -ENOMEM;
	h->v = v;
	vr = realloc(h->vr, cap * sizeof(*vr));
	if (!vr)
		return -ENOMEM;
	h->vr = vr;
	h->cap_vips = cap;
	return 0;
}

int health_add_vip(struct health *h, const struct health_member *m, __u32 n, double max_out)
{
	struct health_vip v = { .n = n, .max_out = max_out < 0 ? h->p.max_out : max_out };
	size_t sz = n ? n : 1;

	if (!(v.max_out <= 1))
		return -EINVAL;
	for (__u32 i = 0; i < n; i++)
		if (m[i].target >= h->n_targets)
			return -EINVAL;
	if (h->n_vips == h->cap_vips && grow_vips(h))
		return -ENOMEM;
	v.m = malloc(sz * sizeof(*v.m));
	v.state = malloc(sz);
	v.next = malloc(sz);
	v.cand = malloc(sz * sizeof(*v.cand));
	if (!v.m || !v.state || !v.next || !v.cand) {
		free(v.m);
		free(v.state);
		free(v.next);
		free(v.cand);
		return -ENOMEM;
	}
	memcpy(v.m, m, n * sizeof(*m));
	/* "changed" of the first round is against the config as loaded */
	for (__u32 i = 0; i < n; i++)
		v.state[i] = m[i].admin;
	h->v[h->n_vips] = v;
	return (int)h->n_vips++;
}

int health_target_reset(struct health *h, __u32 target, enum health_cold cold, double now)
{
	if (target >= h->n_targets || (cold != HEALTH_COLD_UP && cold != HEALTH_COLD_DOWN))
		return -EINVAL;
	target_reset(&h->t[target], cold, now);
	return 0;
}

/* ---------------------------------------------------------------- damping */

static double decayed(const struct health_params *p, const struct health_target *t, double now)
{
	if (t->penalty <= 0 || now <= t->penalty_at)
		return t->penalty;
	return t->penalty * exp2(-(now - t->penalty_at) / p->half_life);
}

double health_penalty(const struct health *h, __u32 target, double now)
{
	return target < h->n_targets ? decayed(&h->p, &h->t[target], now) : 0;
}

double health_hold_left(const struct health *h, __u32 target, double now)
{
	double pen;

	if (target >= h->n_targets || !h->t[target].held)
		return 0;
	pen = decayed(&h->p, &h->t[target], now);
	return pen <= h->p.reuse ? 0 : h->p.half_life * log2(pen / h->p.reuse);
}

/* ---------------------------------------------------------------- a round */

/* Room for a round's transitions, before anything changes: a round never
 * fails halfway. Each result makes at most two (down, hold), and each
 * target at most one release. */
static int reserve_tr(struct health *h, size_t n_results)
{
	size_t need = 2 * n_results + h->n_targets;
	struct health_transition *n;

	if (need <= h->cap_tr)
		return 0;
	n = realloc(h->tr, need * sizeof(*n));
	if (!n)
		return -ENOMEM;
	h->tr = n;
	h->cap_tr = need;
	return 0;
}

static void add_tr(struct health *h, struct health_transition tr)
{
	tr.seq = (__u32)h->n_tr;
	h->tr[h->n_tr++] = tr;
}

/* An up -> down: the penalty grows (capped), and past suppress it holds. */
static void flap(struct health *h, __u32 ti, double now, double latency)
{
	struct health_target *t = &h->t[ti];

	if (h->p.penalty <= 0)
		return;
	t->penalty = fmin(decayed(&h->p, t, now) + h->p.penalty, max_penalty(&h->p));
	t->penalty_at = now;
	if (t->held || t->penalty <= h->p.suppress)
		return;
	t->held = true;
	add_tr(h, (struct health_transition){ .target = ti,
					      .ev = HEALTH_EV_HOLD,
					      .from = t->state,
					      .to = t->state,
					      .penalty = t->penalty,
					      .latency = latency });
}

/* rise/fall: the state this result moves the target to (or the same). */
static enum health_state next_state(const struct health_params *p, struct health_target *t, bool ok)
{
	if (ok) {
		t->fail_run = 0;
		t->ok_run++;
		if (t->state != HEALTH_UP && t->ok_run >= (t->rise ? t->rise : p->rise))
			return HEALTH_UP;
	} else {
		t->ok_run = 0;
		t->fail_run++;
		if (t->state != HEALTH_DOWN && t->fail_run >= (t->fall ? t->fall : p->fall))
			return HEALTH_DOWN;
	}
	return t->state;
}

static void apply_result(struct health *h, const struct health_result *r, double now)
{
	struct health_target *t = &h->t[r->target];
	enum health_state from = t->state, to = next_state(&h->p, t, r->ok);

	t->latency = r->latency;
	if (r->ok)
		t->n_ok++;
	else
		t->n_fail++;
	if (to == from)
		return;
	t->state = to;
	t->since = now;
	add_tr(h, (struct health_transition){ .target = r->target,
					      .ev = to == HEALTH_UP ? HEALTH_EV_UP : HEALTH_EV_DOWN,
					      .from = from,
					      .to = to,
					      .penalty = decayed(&h->p, t, now),
					      .latency = r->latency });
	/* only a fall from up is a flap: unknown -> down is news, not noise */
	if (from == HEALTH_UP && to == HEALTH_DOWN)
		flap(h, r->target, now, r->latency);
}

/* Holds whose penalty has decayed below reuse end. */
static void release_holds(struct health *h, double now)
{
	for (__u32 i = 0; i < h->n_targets; i++) {
		struct health_target *t = &h->t[i];
		double pen;

		if (!t->held)
			continue;
		pen = decayed(&h->p, t, now);
		if (pen >= h->p.reuse)
			continue;
		t->held = false;
		add_tr(h, (struct health_transition){ .target = i,
						      .ev = HEALTH_EV_RELEASE,
						      .from = t->state,
						      .to = t->state,
						      .penalty = pen });
	}
}

/* Healthy as the guard sees it; out_since remembers when it stopped. */
static void update_in(struct health *h, double now)
{
	for (__u32 i = 0; i < h->n_targets; i++) {
		struct health_target *t = &h->t[i];
		bool in = !t->held && (t->state == HEALTH_UP ||
				       (t->state == HEALTH_UNKNOWN && t->cold == HEALTH_COLD_UP));

		if (t->in && !in)
			t->out_since = now;
		t->in = in;
	}
}

/* ---------------------------------------------------------------- the guard */

/* The order in which the guard takes unhealthy members out: unhealthy the
 * longest first (never healthy: first of all), then by address, then by
 * target. A total order on what the members are, never on where they are
 * in the list, so any order of the config gives the same set. */
static int cand_cmp(const void *pa, const void *pb)
{
	const struct health_cand *a = pa, *b = pb;
	int r;

	if (a->out_since != b->out_since)
		return a->out_since < b->out_since ? -1 : 1;
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	r = addr_cmp(&a->addr, &b->addr);
	if (r)
		return r;
	return a->target < b->target ? -1 : a->target > b->target;
}

/* A VIP's effective states into st[] (per member), and the report's figures. */
static void guard_vip(const struct health *h, struct health_vip *v, __u8 *st,
		      struct health_vip_report *r)
{
	__u32 n_cand = 0;

	memset(r, 0, sizeof(*r));
	r->n_members = v->n;
	for (__u32 i = 0; i < v->n; i++) {
		const struct health_member *m = &v->m[i];
		bool in = h->t[m->target].in;

		st[i] = m->admin; /* drain and down are the operator's */
		if (m->admin != XDPLB_BE_ACTIVE)
			continue;
		if (!m->weight) {
			/* takes no new flows: taking it out costs no capacity */
			st[i] = in ? XDPLB_BE_ACTIVE : h->p.out_state;
			continue;
		}
		r->n_active++;
		if (!in)
			v->cand[n_cand++] =
				(struct health_cand){ .out_since = h->t[m->target].out_since,
						      .addr = m->addr,
						      .family = m->family,
						      .target = m->target,
						      .idx = i };
	}
	/* the epsilon: 0.29 x 100 is 28.999999999999996 in binary */
	r->max_out = (__u32)floor(v->max_out * r->n_active + 1e-9);
	r->n_unhealthy = n_cand;
	r->fail_open = n_cand > r->max_out;
	if (r->fail_open)
		qsort(v->cand, n_cand, sizeof(*v->cand), cand_cmp);
	r->n_out = r->fail_open ? r->max_out : n_cand;
	for (__u32 k = 0; k < r->n_out; k++)
		st[v->cand[k].idx] = h->p.out_state;
}

static int tr_cmp(const void *a, const void *b)
{
	const struct health_transition *x = a, *y = b;

	if (x->target != y->target)
		return x->target < y->target ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Every VIP's set; changed against the last round's. */
static void guard_all(struct health *h)
{
	h->rep.n_changed = 0;
	for (size_t i = 0; i < h->n_vips; i++) {
		struct health_vip *v = &h->v[i];
		struct health_vip_report *r = &h->vr[i];

		guard_vip(h, v, v->next, r);
		r->changed = memcmp(v->next, v->state, v->n) != 0;
		memcpy(v->state, v->next, v->n);
		r->state = v->state;
		h->rep.n_changed += r->changed;
	}
}

static int check_results(const struct health *h, const struct health_result *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (r[i].target >= h->n_targets)
			return -EINVAL;
	return 0;
}

int health_round(struct health *h, double now, const struct health_result *r, size_t n,
		 const struct health_report **rep)
{
	int err = check_results(h, r, n);

	if (!err)
		err = reserve_tr(h, n);
	if (err)
		return err;
	h->n_tr = 0;
	for (size_t i = 0; i < n; i++)
		apply_result(h, &r[i], now);
	release_holds(h, now);
	update_in(h, now);
	guard_all(h);
	qsort(h->tr, h->n_tr, sizeof(*h->tr), tr_cmp);
	h->rep = (struct health_report){ .tr = h->tr,
					 .n_tr = h->n_tr,
					 .vip = h->vr,
					 .n_vip = h->n_vips,
					 .n_changed = h->rep.n_changed };
	if (rep)
		*rep = &h->rep;
	return 0;
}

const char *health_state_str(enum health_state s)
{
	switch (s) {
	case HEALTH_UNKNOWN:
		return "unknown";
	case HEALTH_UP:
		return "up";
	case HEALTH_DOWN:
		return "down";
	}
	return "?";
}

const char *health_event_str(enum health_event e)
{
	switch (e) {
	case HEALTH_EV_UP:
		return "up";
	case HEALTH_EV_DOWN:
		return "down";
	case HEALTH_EV_HOLD:
		return "hold";
	case HEALTH_EV_RELEASE:
		return "release";
	}
	return "?";
}

int health_target_limits(struct health *h, __u32 target, __u32 rise, __u32 fall)
{
	if (target >= h->n_targets || rise < 1 || fall < 1)
		return -EINVAL;
	h->t[target].rise = rise;
	h->t[target].fall = fall;
	return 0;
}

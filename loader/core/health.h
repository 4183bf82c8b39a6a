/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * health.h - backends' health from check results, and what it does to each
 * VIP's backend set. Three rules, in this order (docs/health.md):
 *
 *  1. rise/fall, per target (as keepalived and HAProxy): `rise` consecutive
 *     successes make a target up, `fall` consecutive failures down. Until
 *     either, it is unknown, and its cold start says whether unknown counts
 *     as up or as down.
 *  2. flap damping, per target (BGP route-flap damping, RFC 2439): every
 *     up -> down adds `penalty`, which halves every `half_life` seconds; past
 *     `suppress` the target is held out, whatever its checks say, until the
 *     penalty decays below `reuse`. No hold outlasts the last flap by more
 *     than `max_hold` seconds (the penalty is capped).
 *  3. the cascade guard, per VIP: health takes out at most floor(max_out x
 *     N) of the N backends the config has active (weight > 0). When more are
 *     unhealthy, it fails open, as Envoy's panic threshold does: it takes out
 *     the floor(max_out x N) that have been unhealthy the longest, keeps the
 *     most recently healthy ones in, and says fail_open so that an alert
 *     fires. Health never overrides an operator's drain or down.
 *
 * Pure: no clock is read and no syscall made. Time is passed in as seconds
 * of any monotonic clock, so tests drive it.
 *
 * A target is what one check checks (an address, port and kind); the
 * caller numbers them 0..n_targets-1. A VIP lists its backends as members,
 * each naming its target; several members (of several VIPs) may share one.
 */
#ifndef XDPLB_HEALTH_H
#define XDPLB_HEALTH_H

#include <stdbool.h>
#include <stddef.h>

#include "xdplb_abi.h"

enum health_state {
	HEALTH_UNKNOWN = 0, /* neither rise successes nor fall failures yet */
	HEALTH_UP = 1,
	HEALTH_DOWN = 2,
};

/* What an unknown target counts as, until its checks decide. */
enum health_cold {
	/* Up: restarting the checker takes nothing out; a dead backend goes
	 * out after fall failures. The default: the data path kept serving
	 * while the checker was away, and an LB restart must not empty VIPs. */
	HEALTH_COLD_UP = 0,
	/* Down: no new flows before rise successes. For a backend that has
	 * just been added, which has never served. */
	HEALTH_COLD_DOWN = 1,
};

/* Defaults, docs/health.md says why. */
#define HEALTH_RISE 2
#define HEALTH_FALL 3
#define HEALTH_PENALTY 1000.0 /* per up -> down */
#define HEALTH_SUPPRESS 2500.0 /* 3 downs within ~30 s; 2 never */
#define HEALTH_REUSE 750.0
#define HEALTH_HALF_LIFE 60.0 /* seconds */
#define HEALTH_MAX_HOLD 300.0 /* seconds after the last flap, at most */
#define HEALTH_MAX_OUT 0.5 /* fraction of a VIP's active backends */

struct health_params {
	__u32 rise, fall; /* >= 1 */
	enum health_cold cold; /* of every target at health_init() */
	double penalty; /* added at each up -> down; 0 turns damping off */
	double suppress; /* held once the penalty is above this */
	double reuse; /* released once it has decayed below this; < suppress */
	double half_life; /* seconds, > 0 */
	double max_hold; /* seconds, > 0: caps the penalty at reuse * 2^(max_hold / half_life) */
	double max_out; /* the cascade guard of VIPs that set none: 0..1 */
	__u8 out_state; /* what "out" is: XDPLB_BE_DRAIN (default) or XDPLB_BE_DOWN */
};

void health_params_default(struct health_params *p);
/* 0, or -EINVAL with *why saying what is wrong. */
int health_params_check(const struct health_params *p, const char **why);

/* One target's state; read it freely, change it only through this API. */
struct health_target {
	__u32 rise, fall; /* its own; 0: the params' */
	enum health_state state; /* by the checks (rise/fall) */
	enum health_cold cold; /* what unknown counts as */
	__u32 ok_run, fail_run; /* consecutive results */
	bool held; /* damped: out whatever the checks say */
	bool in; /* healthy as the guard sees it: (up, or unknown cold-up), not held */
	double penalty, penalty_at; /* the penalty as of time penalty_at */
	/* when it last stopped being in; -INFINITY if it never was: the
	 * guard keeps the most recently healthy in */
	double out_since;
	double since; /* time of its last state change (or of its reset) */
	double latency; /* of the last result, seconds */
	__u64 n_ok, n_fail;
};

/* A backend of a VIP, as the config has it. */
struct health_member {
	__u32 target;
	struct xdplb_addr addr; /* its identity: breaks ties, never its position */
	__u8 family;
	__u8 admin; /* enum xdplb_backend_state of the config: ACTIVE, DRAIN or DOWN */
	__u32 weight; /* 0: takes no new flows anyway, not counted by the guard */
};

/* One check's result. */
struct health_result {
	__u32 target;
	bool ok;
	double latency; /* seconds; kept, not judged */
};

enum health_event {
	HEALTH_EV_UP, /* unknown or down -> up */
	HEALTH_EV_DOWN, /* unknown or up -> down */
	HEALTH_EV_HOLD, /* damping holds it out */
	HEALTH_EV_RELEASE, /* the hold has decayed */
};

struct health_transition {
	__u32 target;
	enum health_event ev;
	enum health_state from, to; /* the checks' state before and after */
	double penalty; /* after the event */
	double latency; /* of the result that caused it; 0 for a release */
	__u32 seq; /* order of the events within the round */
};

/* Per VIP, after a round. */
struct health_vip_report {
	const __u8 *state; /* per member, in the members' order: the
			    * enum xdplb_backend_state to load */
	__u32 n_members;
	__u32 n_active; /* configured active with weight > 0: the guard's N */
	__u32 n_unhealthy; /* of those, not in (down, held, unknown cold-down) */
	__u32 n_out; /* of those, taken out: min(n_unhealthy, max_out) */
	__u32 max_out; /* floor(fraction x n_active) */
	bool fail_open; /* n_unhealthy > max_out: unhealthy backends kept in */
	bool changed; /* state[] differs from the last round's (the first
		       * round: from the members' admin states) */
};

struct health_report {
	const struct health_transition *tr; /* sorted by target, then as they happened */
	size_t n_tr;
	const struct health_vip_report *vip; /* one per VIP, in health_add_vip() order */
	size_t n_vip;
	size_t n_changed; /* VIPs with changed set: to go out in one commit */
};

/* A member the guard may take out, with what orders it. */
struct health_cand {
	double out_since;
	struct xdplb_addr addr;
	__u8 family;
	__u32 target, idx; /* idx: the member's position */
};

struct health_vip {
	struct health_member *m;
	__u32 n;
	double max_out; /* fraction */
	__u8 *state; /* the last round's effective states */
	__u8 *next; /* scratch: this round's */
	struct health_cand *cand; /* scratch: the unhealthy members */
};

struct health {
	struct health_params p;
	struct health_target *t;
	__u32 n_targets;
	struct health_vip *v;
	struct health_vip_report *vr;
	size_t n_vips, cap_vips;
	struct health_transition *tr;
	size_t n_tr, cap_tr;
	struct health_report rep;
};

/* Every target unknown, with p->cold, as of time now. 0, -EINVAL (bad
 * params, see health_params_check), -ENOMEM. */
int health_init(struct health *h, const struct health_params *p, __u32 n_targets, double now);
void health_free(struct health *h);

/* Adds a VIP (members copied); max_out < 0 takes the params' default.
 * Returns its index, or -EINVAL (a member's target out of range, a
 * fraction above 1), -ENOMEM. */
int health_add_vip(struct health *h, const struct health_member *m, __u32 n, double max_out);

/* A target's own rise and fall (the checks of one VIP may differ from
 * another's). 0, or -EINVAL. */
int health_target_limits(struct health *h, __u32 target, __u32 rise, __u32 fall);

/* Forgets what is known of one target: unknown again, with its own cold
 * start (a backend just added to the config: HEALTH_COLD_DOWN). */
int health_target_reset(struct health *h, __u32 target, enum health_cold cold, double now);

/*
 * One round: the results, in the order given (a target's several results
 * count in that order); then penalties decay and holds end; then every
 * VIP's set. *rep stays valid until the next call. Results with an unknown
 * target are refused (-EINVAL) before anything changes; -ENOMEM. A round
 * without results is fine: holds still end.
 */
int health_round(struct health *h, double now, const struct health_result *r, size_t n,
		 const struct health_report **rep);

/* The penalty of a target at time now (decayed). */
double health_penalty(const struct health *h, __u32 target, double now);
/* Seconds until a held target is released if it does not flap again
 * (0 if it is not held). */
double health_hold_left(const struct health *h, __u32 target, double now);

const char *health_state_str(enum health_state s); /* "unknown", "up", "down" */
const char *health_event_str(enum health_event e); /* "up", "down", "hold", "release" */

#endif

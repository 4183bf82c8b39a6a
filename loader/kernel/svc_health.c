// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * svc_health.c - the service's health checks (svc_health.h).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "effective.h"
#include "log.h"
#include "names.h"
#include "svc_health.h"

#define NO_CHECK UINT32_MAX

static void sockaddr_of(const struct xdplb_addr *a, __u8 family, __u16 port,
			struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == XDPLB_AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		s4->sin_addr.s_addr = a->v4;
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, a->b, 16);
	}
}

/* The check backend b of VIP v needs. */
static void check_of(const struct checked *c, __u32 v, __u32 b, __u32 be_id, struct svc_check *k)
{
	const struct cfg_vip *vip = &c->cfg.vips[v];
	const struct cfg_backend *cb = &vip->backends[b];
	struct health_check_cfg h = config_vip_hc(&c->cfg, vip);
	bool tunnel = h.through == HC_TUNNEL;
	char a[ADDR_STRLEN];

	memset(k, 0, sizeof(*k));
	k->t.kind = h.type == HC_HTTP ? PROBE_HTTP : PROBE_TCP;
	if (tunnel)
		sockaddr_of(&vip->addr, vip->family, (__u16)h.port, &k->t.dst);
	else
		sockaddr_of(&cb->addr, cb->family, (__u16)h.port, &k->t.dst);
	k->t.mark = tunnel ? xdplb_hc_mark(be_id) : 0;
	k->t.interval = h.interval;
	k->t.timeout = h.timeout;
	k->t.expect_status = h.expect;
	if (h.type == HC_HTTP) {
		snprintf(k->path, sizeof(k->path), "%s", h.path);
		snprintf(k->host, sizeof(k->host), "%s", h.host);
	}
	k->rise = (__u32)h.rise;
	k->fall = (__u32)h.fall;
	snprintf(k->name, sizeof(k->name), "%s/%s %s %s:%d%s", vip->name, cb->name,
		 h.type == HC_HTTP ? "http" : "tcp", addr_str(&cb->addr, cb->family, a), h.port,
		 tunnel ? " through the tunnel" : "");
}

/* What makes two checks the same one (not the name). */
static int check_cmp(const struct svc_check *x, const struct svc_check *y)
{
	int d = memcmp(&x->t.dst, &y->t.dst, sizeof(x->t.dst));

	if (!d)
		d = (x->t.kind > y->t.kind) - (x->t.kind < y->t.kind);
	if (!d)
		d = (x->t.mark > y->t.mark) - (x->t.mark < y->t.mark);
	if (!d)
		d = (x->t.interval > y->t.interval) - (x->t.interval < y->t.interval);
	if (!d)
		d = (x->t.timeout > y->t.timeout) - (x->t.timeout < y->t.timeout);
	if (!d)
		d = (x->t.expect_status > y->t.expect_status) -
		    (x->t.expect_status < y->t.expect_status);
	if (!d)
		d = strcmp(x->path, y->path);
	if (!d)
		d = strcmp(x->host, y->host);
	if (!d)
		d = (x->rise > y->rise) - (x->rise < y->rise);
	if (!d)
		d = (x->fall > y->fall) - (x->fall < y->fall);
	return d;
}

static int check_qcmp(const void *a, const void *b)
{
	return check_cmp(a, b);
}

/* Every check of c, sorted and unique, and each backend's. */
static int collect(struct svc_health *hc, const struct checked *c, __u32 *const *be_ids)
{
	__u32 n = 0, cap = 0;

	for (__u32 v = 0; v < c->cfg.n_vips; v++)
		cap += c->cfg.vips[v].n_backends;
	hc->chk = calloc(cap + 1, sizeof(*hc->chk));
	hc->check_of = calloc(c->cfg.n_vips + 1, sizeof(*hc->check_of));
	if (!hc->chk || !hc->check_of)
		return -ENOMEM;
	for (__u32 v = 0; v < c->cfg.n_vips; v++) {
		bool on = config_vip_hc(&c->cfg, &c->cfg.vips[v]).type != HC_NONE;

		for (__u32 b = 0; on && b < c->cfg.vips[v].n_backends; b++)
			check_of(c, v, b, be_ids[v][b], &hc->chk[n++]);
	}
	qsort(hc->chk, n, sizeof(*hc->chk), check_qcmp);
	__u32 m = 0;

	for (__u32 k = 0; k < n; k++)
		if (!m || check_cmp(&hc->chk[m - 1], &hc->chk[k]))
			hc->chk[m++] = hc->chk[k];
	hc->n = m;
	for (__u32 v = 0; v < c->cfg.n_vips; v++) {
		const struct cfg_vip *vip = &c->cfg.vips[v];
		bool on = config_vip_hc(&c->cfg, vip).type != HC_NONE;

		hc->check_of[v] = malloc((vip->n_backends + 1) * sizeof(__u32));
		if (!hc->check_of[v])
			return -ENOMEM;
		for (__u32 b = 0; b < vip->n_backends; b++) {
			struct svc_check k, *hit = NULL;

			if (on) {
				check_of(c, v, b, be_ids[v][b], &k);
				hit = bsearch(&k, hc->chk, m, sizeof(k), check_qcmp);
			}
			hc->check_of[v][b] = hit ? (__u32)(hit - hc->chk) : NO_CHECK;
			hc->tunnel |= hit && hit->t.mark;
			hc->on |= hit != NULL;
		}
	}
	for (__u32 k = 0; k < m; k++) {
		hc->chk[k].t.path = hc->chk[k].path[0] ? hc->chk[k].path : NULL;
		hc->chk[k].t.host = hc->chk[k].host[0] ? hc->chk[k].host : NULL;
	}
	return 0;
}

/* What old knew of each check that is still here; the live verdicts for
 * the others. */
static void carry_over(struct svc_health *hc, const struct svc_health *old, const struct checked *c,
		       double now)
{
	for (__u32 k = 0; k < hc->n; k++) {
		struct svc_check *was = NULL;

		if (old && old->n)
			was = bsearch(&hc->chk[k], old->chk, old->n, sizeof(*old->chk), check_qcmp);
		if (!was)
			continue;
		hc->h.t[k] = old->h.t[was - old->chk];
		hc->chk[k].n_ok = was->n_ok;
		hc->chk[k].n_fail = was->n_fail;
		hc->chk[k].n_transitions = was->n_transitions;
		hc->chk[k].latency = was->latency;
		hc->chk[k].t.path = hc->chk[k].path[0] ? hc->chk[k].path : NULL;
	}
	/* a backend the maps have out, and nothing known of its check: it
	 * comes back after rise successes, not at once */
	for (__u32 v = 0; v < c->cfg.n_vips; v++) {
		for (__u32 b = 0; b < c->cfg.vips[v].n_backends; b++) {
			__u32 k = hc->check_of[v][b];
			bool known = false;

			if (k == NO_CHECK || c->cfg.vips[v].backends[b].health != XDPLB_HEALTH_OUT)
				continue;
			if (old && old->n)
				known = bsearch(&hc->chk[k], old->chk, old->n, sizeof(*old->chk),
						check_qcmp) != NULL;
			if (!known)
				health_target_reset(&hc->h, k, HEALTH_COLD_DOWN, now);
		}
	}
}

/* The health core's VIPs: each checked VIP with its members. */
static int add_vips(struct svc_health *hc, const struct checked *c)
{
	hc->n_vips = c->cfg.n_vips;
	hc->vidx = malloc((c->cfg.n_vips + 1) * sizeof(*hc->vidx));
	if (!hc->vidx)
		return -ENOMEM;
	for (__u32 v = 0; v < c->cfg.n_vips; v++) {
		const struct cfg_vip *vip = &c->cfg.vips[v];
		struct health_member *m = calloc(vip->n_backends + 1, sizeof(*m));
		__u32 n = 0;

		hc->vidx[v] = -1;
		if (!m)
			return -ENOMEM;
		for (__u32 b = 0; b < vip->n_backends; b++) {
			const struct cfg_backend *cb = &vip->backends[b];

			if (hc->check_of[v][b] == NO_CHECK)
				continue;
			m[n++] = (struct health_member){ .target = hc->check_of[v][b],
							 .addr = cb->addr,
							 .family = cb->family,
							 .admin = cb->cfg_state,
							 .weight = cb->weight };
		}
		if (n)
			hc->vidx[v] =
				health_add_vip(&hc->h, m, n, config_vip_hc(&c->cfg, vip).max_out);
		free(m);
		if (n && hc->vidx[v] < 0)
			return hc->vidx[v];
	}
	return 0;
}

int svc_health_build(struct svc_health *hc, struct svc_health *old, const struct checked *c,
		     __u32 *const *be_ids, double now)
{
	struct health_params p;
	struct probe_target *t = NULL;
	int err;

	memset(hc, 0, sizeof(*hc));
	health_params_default(&p);
	err = collect(hc, c, be_ids);
	if (!err)
		err = health_init(&hc->h, &p, hc->n, now);
	for (__u32 k = 0; !err && k < hc->n; k++)
		err = health_target_limits(&hc->h, k, hc->chk[k].rise, hc->chk[k].fall);
	if (!err) {
		carry_over(hc, old, c, now);
		err = add_vips(hc, c);
	}
	if (!err && hc->n) {
		t = calloc(hc->n, sizeof(*t));
		if (!t)
			return -ENOMEM;
		for (__u32 k = 0; k < hc->n; k++)
			t[k] = hc->chk[k].t;
		err = probe_new(t, hc->n, NULL, &hc->pe);
		free(t);
	}
	return err;
}

void svc_health_free(struct svc_health *hc)
{
	for (__u32 v = 0; hc->check_of && v < hc->n_vips; v++)
		free(hc->check_of[v]);
	free(hc->check_of);
	free(hc->vidx);
	free(hc->chk);
	if (hc->pe)
		probe_free(hc->pe);
	if (hc->h.t)
		health_free(&hc->h);
	memset(hc, 0, sizeof(*hc));
}

/* The verdict of member m of a VIP, for the maps. */
static __u8 verdict(const struct svc_health *hc, __u32 k, __u8 admin, __u8 now_state)
{
	const struct health_target *t = &hc->h.t[k];

	if (t->in)
		return t->state == HEALTH_UP ? XDPLB_HEALTH_UP : XDPLB_HEALTH_NONE;
	if (admin != XDPLB_BE_ACTIVE)
		return XDPLB_HEALTH_OUT; /* said, but the operator's state stands */
	return now_state != admin ? XDPLB_HEALTH_OUT : XDPLB_HEALTH_KEPT;
}

static void note_results(struct svc_health *hc, const struct probe_result *r, size_t n,
			 struct health_result *hr)
{
	for (size_t i = 0; i < n; i++) {
		struct svc_check *k = &hc->chk[r[i].target];

		hr[i] = (struct health_result){ .target = r[i].target,
						.ok = r[i].ok,
						.latency = r[i].latency };
		k->latency = r[i].latency;
		k->last_err = r[i].err;
		k->last_status = r[i].status;
		if (r[i].ok)
			k->n_ok++;
		else
			k->n_fail++;
	}
}

static void log_transitions(struct svc_health *hc, const struct health_report *rep)
{
	for (size_t i = 0; i < rep->n_tr; i++) {
		const struct health_transition *t = &rep->tr[i];
		struct svc_check *k = &hc->chk[t->target];
		const char *why = k->last_err ? strerror(k->last_err) : "";
		char st[32] = "";

		k->n_transitions++;
		if (k->last_status && !k->last_err)
			snprintf(st, sizeof(st), "HTTP status %d", k->last_status);
		if (t->ev == HEALTH_EV_DOWN || t->ev == HEALTH_EV_HOLD)
			pr_warn("health: %s: %s (%s%s)\n", k->name, health_event_str(t->ev),
				*why ? why : st, t->ev == HEALTH_EV_HOLD ? ", flapping" : "");
		else
			pr_info("health: %s: %s\n", k->name, health_event_str(t->ev));
	}
}

int svc_health_round(struct svc_health *hc, struct checked *c, double now, bool *changed,
		     bool *touched)
{
	const struct probe_result *r;
	const struct health_report *rep;
	struct health_result *hr;
	size_t n = hc->pe ? probe_take(hc->pe, &r) : 0;
	int err, nchg = 0;

	hr = calloc(n + 1, sizeof(*hr));
	if (!hr)
		return -ENOMEM;
	note_results(hc, r, n, hr);
	err = health_round(&hc->h, now, hr, n, &rep);
	free(hr);
	if (err)
		return err;
	log_transitions(hc, rep);
	for (__u32 v = 0; v < c->cfg.n_vips; v++) {
		struct cfg_vip *vip = &c->cfg.vips[v];
		const struct health_vip_report *vr;
		bool was_kept = false;
		__u32 mi = 0;

		if (hc->vidx[v] < 0)
			continue;
		vr = &rep->vip[hc->vidx[v]];
		touched[v] = false;
		for (__u32 b = 0; b < vip->n_backends; b++) {
			__u32 k = hc->check_of[v][b];
			__u8 was = vip->backends[b].health;

			if (k == NO_CHECK)
				continue;
			was_kept |= was == XDPLB_HEALTH_KEPT;
			vip->backends[b].health =
				verdict(hc, k, vip->backends[b].cfg_state, vr->state[mi++]);
			touched[v] |= vip->backends[b].health != was;
		}
		/* touched: a backend became kept (the set out did not change) */
		if ((vr->changed || touched[v]) && vr->fail_open)
			pr_warn("health: VIP %s: %u of %u backends fail their checks, more than the %u the cascade guard lets out: failing ones kept in (fail open)\n",
				vip->name, vr->n_unhealthy, vr->n_active, vr->max_out);
		else if (was_kept && !vr->fail_open)
			pr_info("health: VIP %s: %u of %u backends fail their checks: no longer failing open\n",
				vip->name, vr->n_unhealthy, vr->n_active);
	}
	/* only a VIP whose verdicts moved can change effective states (the
	 * configured ones change by a reload, which rebuilds all this): a
	 * round that decides nothing costs the checked VIPs, not the config */
	for (__u32 v = 0; v < c->cfg.n_vips; v++) {
		changed[v] = false;
		touched[v] = hc->vidx[v] >= 0 && touched[v];
		if (!touched[v])
			continue;
		err = effective_apply_vip(c, v, &changed[v]);
		if (err)
			return err;
		nchg++;
	}
	return nchg;
}

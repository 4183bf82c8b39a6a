// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * config_health.c - the "health_check" object of a config, at the top
 * level (every VIP's default) and per VIP (docs/config.md, docs/health.md):
 * its schema, and the check a VIP ends up with.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "config_rules.h"
#include "json_walk.h"

static const char *const hc_keys[] = { "type",	  "through",  "port",	 "path", "host",
				       "expect",  "interval", "timeout", "rise", "fall",
				       "max_out", "out",      NULL };
static const char *const hc_types[] = { "none", "tcp", "http", NULL };
static const char *const hc_paths[] = { "tunnel", "direct", NULL };
static const char *const hc_outs[] = { "down", "drain", NULL };

void hc_unset(struct health_check_cfg *h)
{
	memset(h, 0, sizeof(*h));
	h->type = h->through = h->out = -1;
	h->interval = h->timeout = h->max_out = -1;
	h->rise = h->fall = h->expect = -1;
}

/* A path or Host header: printable, no space, no control characters (they
 * go into the request as they are). */
static void get_text(struct walk *w, const cJSON *obj, const char *key, char *out, size_t len,
		     bool slash)
{
	const char *s;
	size_t old;
	bool ok;

	if (jw_string(w, obj, key, false, &s) <= 0)
		return;
	ok = *s && strlen(s) < len && (!slash || *s == '/');
	for (const char *c = s; ok && *c; c++)
		ok = isgraph((unsigned char)*c);
	if (ok) {
		snprintf(out, len, "%s", s);
		return;
	}
	old = jw_push_key(w, key);
	jw_err(w, "must be %s1..%zu printable characters without spaces, got \"%.60s\"",
	       slash ? "\"/\" then " : "", len - 1, s);
	jw_pop(w, old);
}

void parse_health_check(struct walk *w, const cJSON *obj, struct health_check_cfg *h)
{
	const cJSON *j = jw_member(obj, "health_check");
	long long v;
	size_t old;

	hc_unset(h);
	if (!j)
		return;
	old = jw_push_key(w, "health_check");
	if (jw_object(w, j, hc_keys)) {
		h->type = jw_enum(w, j, "type", hc_types, -1);
		h->through = jw_enum(w, j, "through", hc_paths, -1);
		h->out = jw_enum(w, j, "out", hc_outs, -1);
		if (jw_int(w, j, "port", 1, 65535, false, &v) > 0)
			h->port = (int)v;
		if (jw_int(w, j, "expect", 100, 599, false, &v) > 0)
			h->expect = (int)v;
		if (jw_int(w, j, "rise", 1, 100, false, &v) > 0)
			h->rise = (int)v;
		if (jw_int(w, j, "fall", 1, 100, false, &v) > 0)
			h->fall = (int)v;
		jw_number(w, j, "interval", 0.1, false, 3600, &h->interval);
		jw_number(w, j, "timeout", 0.01, false, 3600, &h->timeout);
		jw_number(w, j, "max_out", 0, false, 1, &h->max_out);
		get_text(w, j, "path", h->path, sizeof(h->path), true);
		get_text(w, j, "host", h->host, sizeof(h->host), false);
	}
	jw_pop(w, old);
}

/* A's keys where set, else B's. */
static void inherit(struct health_check_cfg *a, const struct health_check_cfg *b)
{
#define TAKE(f)       \
	if (a->f < 0) \
	a->f = b->f
	TAKE(type);
	TAKE(through);
	TAKE(out);
	TAKE(expect);
	TAKE(rise);
	TAKE(fall);
	TAKE(interval);
	TAKE(timeout);
	TAKE(max_out);
#undef TAKE
	if (!a->port)
		a->port = b->port;
	if (!a->path[0])
		snprintf(a->path, sizeof(a->path), "%s", b->path);
	if (!a->host[0])
		snprintf(a->host, sizeof(a->host), "%s", b->host);
}

struct health_check_cfg config_vip_hc(const struct xdplb_config *cfg, const struct cfg_vip *vip)
{
	struct health_check_cfg h = vip->hc, d;

	inherit(&h, &cfg->hc);
	/* defaults (docs/health.md says why) */
	hc_unset(&d);
	d.type = HC_NONE;
	d.through = HC_TUNNEL;
	d.out = 1; /* drain: established flows are not cut on the word of a check */
	d.expect = 200;
	d.rise = 2;
	d.fall = 3;
	d.interval = 2;
	d.timeout = 1;
	d.max_out = 0.5;
	d.port = vip->port;
	snprintf(d.path, sizeof(d.path), "/");
	inherit(&h, &d);
	return h;
}

/* The rules a VIP's check must follow once inherited (w at the VIP). */
void check_health_rules(struct walk *w, const struct xdplb_config *c, const struct cfg_vip *v)
{
	struct health_check_cfg h = config_vip_hc(c, v);
	size_t old;

	if (h.type == HC_NONE)
		return;
	old = jw_push_key(w, "health_check");
	if (!h.port)
		jw_err_at_key(w, "port",
			      "required: the VIP takes every port, so the check needs one%s", "");
	if (h.timeout > h.interval)
		jw_err(w,
		       "timeout %g s is longer than the interval %g s: a check would still run when the next one is due",
		       h.timeout, h.interval);
	if (h.type != HC_HTTP && (v->hc.path[0] || v->hc.host[0] || v->hc.expect >= 0))
		jw_err(w, "path, host and expect are for \"type\": \"http\"");
	jw_pop(w, old);
}

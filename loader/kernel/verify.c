// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "guards.h"
#include "status.h"
#include "verify.h"
#include "mono.h"

/* The new_flows counter of a config backend in a status, or 0. */
static __u64 new_flows(const struct lb_live *s, const struct cfg_vip *v,
		       const struct cfg_backend *b)
{
	for (__u32 i = 0; i < s->n_vips; i++) {
		const struct st_vip *sv = &s->vips[i];

		if (sv->key.family != v->family || sv->key.proto != v->proto ||
		    ntohs(sv->key.port) != v->port || addr_cmp(&sv->key.addr, &v->addr))
			continue;
		for (__u32 k = 0; k < sv->n_be; k++)
			if (sv->be[k].family == b->family && !addr_cmp(&sv->be[k].addr, &b->addr))
				return sv->be[k].st.new_flows;
	}
	return 0;
}

static void note(struct verify_result *r, const char *line)
{
	size_t used = strlen(r->report);

	snprintf(r->report + used, sizeof(r->report) - used, "%s\n", line);
}

/* Judges one VIP; returns 1 when a guard is certainly broken. */
static int judge(const struct checked *c, __u32 vi, const __u64 *delta, __u64 n, double secs,
		 struct verify_result *r)
{
	const struct cfg_vip *v = &c->cfg.vips[vi];
	struct guards g = config_vip_guards(&c->cfg, v);
	double max_share = guard_max_backend_share(&c->cfg, v);
	__u64 wsum = vip_active_weight(v, NULL);
	char line[400];

	if (n < VERIFY_MIN_FLOWS || !wsum)
		return 0;
	for (__u32 b = 0; b < v->n_backends; b++) {
		double p = (double)delta[b] / n;
		double w = (double)backend_new_flow_weight(&v->backends[b]) / wsum;
		double se_p = sqrt(p * (1 - p) / n), se_w = sqrt(w * (1 - w) / n);

		if (p - VERIFY_Z * se_p > max_share) {
			snprintf(
				line, sizeof(line),
				"VIP \"%s\": backend %s took %.1f%% of %llu new flows in %.1f s (weight share %.1f%%), above %.1f%% allowed by max_backend_share",
				v->name, v->backends[b].name, 100 * p, (unsigned long long)n, secs,
				100 * w, 100 * max_share);
			note(r, line);
			return 1;
		}
		if (fabs(p - w) - VERIFY_Z * se_w > g.max_share_error) {
			snprintf(
				line, sizeof(line),
				"VIP \"%s\": backend %s took %.1f%% of %llu new flows in %.1f s, %.1f points from its weight share %.1f%% (max_share_error %.1f points)",
				v->name, v->backends[b].name, 100 * p, (unsigned long long)n, secs,
				100 * fabs(p - w), 100 * w, 100 * g.max_share_error);
			note(r, line);
			return 1;
		}
	}
	return 0;
}

int verify_watch(const char *ifname, const struct checked *c, double sec, struct verify_result *r)
{
	const struct xdplb_config *cfg = &c->cfg;
	struct lb_live base, cur;
	double t0 = mono_now(), t;
	__u64 **b0 = calloc(cfg->n_vips + 1, sizeof(*b0));
	__u64 *delta = NULL;
	__u32 maxb = 1;
	int err;

	memset(r, 0, sizeof(*r));
	if (!b0)
		return -ENOMEM;
	err = status_read(ifname, LIVE_COUNTERS, &base);
	if (err) {
		free(b0);
		return err;
	}
	for (__u32 v = 0; v < cfg->n_vips; v++) {
		const struct cfg_vip *vip = &cfg->vips[v];

		maxb = vip->n_backends > maxb ? vip->n_backends : maxb;
		b0[v] = calloc(vip->n_backends + 1, sizeof(**b0));
		if (!b0[v]) {
			err = -ENOMEM;
			goto out;
		}
		for (__u32 b = 0; b < vip->n_backends; b++)
			b0[v][b] = new_flows(&base, vip, &vip->backends[b]);
	}
	delta = calloc(maxb, sizeof(*delta));
	if (!delta) {
		err = -ENOMEM;
		goto out;
	}
	do {
		usleep(VERIFY_TICK_MS * 1000);
		t = mono_now() - t0;
		err = status_read(ifname, LIVE_COUNTERS, &cur);
		if (err)
			goto out;
		r->flows = 0;
		for (__u32 v = 0; v < cfg->n_vips && !r->failed; v++) {
			const struct cfg_vip *vip = &cfg->vips[v];
			__u64 n = 0;

			for (__u32 b = 0; b < vip->n_backends; b++) {
				delta[b] = new_flows(&cur, vip, &vip->backends[b]) - b0[v][b];
				n += delta[b];
			}
			r->flows += n;
			r->failed = judge(c, v, delta, n, t, r);
		}
		live_free(&cur);
	} while (!r->failed && t < sec);
	r->seconds = t;
out:
	for (__u32 v = 0; v < cfg->n_vips; v++)
		free(b0[v]);
	free(b0);
	free(delta);
	live_free(&base);
	return err;
}

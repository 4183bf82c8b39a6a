// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <math.h>
#include <stdio.h>

#include "guards.h"

double guard_max_backend_share(const struct xdplb_config *cfg, const struct cfg_vip *v)
{
	struct guards g = config_vip_guards(cfg, v);

	if (g.max_backend_share > 0)
		return g.max_backend_share;
	/* twice the fair share of the backends listed: 1 and 2 backends may
	 * take everything, 4 at most half, 10 at most a fifth */
	return v->n_backends <= 2 ? 1.0 : 2.0 / v->n_backends;
}

/* Where a guard's value came from, for the refusal message. */
static const char *origin(const struct xdplb_config *cfg, const struct cfg_vip *v, double vip_val,
			  double top_val, char *buf, size_t len)
{
	if (vip_val >= 0)
		return "set on the VIP";
	if (top_val >= 0)
		return "set in the top-level guards";
	snprintf(buf, len, "default for %u backend%s", v->n_backends,
		 v->n_backends == 1 ? "" : "s");
	(void)cfg;
	return buf;
}

static int check_vip(const struct xdplb_config *cfg, __u32 vi, const __u32 *counts, struct diags *d)
{
	const struct cfg_vip *v = &cfg->vips[vi];
	struct guards g = config_vip_guards(cfg, v);
	double max_share = guard_max_backend_share(cfg, v);
	char path[96], obuf[48];
	__u32 n_active;
	__u64 wsum = vip_active_weight(v, &n_active);
	int bad = 0;

	if ((int)n_active < g.min_active_backends) {
		snprintf(path, sizeof(path), "vips[%u].backends", vi);
		diag_add(
			d, path,
			"%u backend%s take%s new flows (active with weight > 0), fewer than %d required by min_active_backends; set \"guards\": {\"min_active_backends\": %u} on the VIP to allow it",
			n_active, n_active == 1 ? "" : "s", n_active == 1 ? "s" : "",
			g.min_active_backends, n_active);
		diag_mark_guard(d);
		bad++;
	}
	if (!wsum)
		return bad;
	for (__u32 b = 0; b < v->n_backends; b++) {
		double wshare = (double)backend_new_flow_weight(&v->backends[b]) / (double)wsum;
		double tshare = (double)counts[b] / v->table_size;

		snprintf(path, sizeof(path), "vips[%u].backends[%u]", vi, b);
		/* a prime table cannot split exactly: one slot above the limit
		 * is the limit (200:100 gives 43692 of 65537 slots, not 2/3) */
		if (tshare > max_share + 1.0 / v->table_size + 1e-9) {
			diag_add(
				d, path,
				"would take %.1f%% of new flows of VIP \"%s\" (weight share %.1f%%), above %.1f%% allowed by max_backend_share (%s); set \"guards\": {\"max_backend_share\": %.2f} on the VIP to allow it",
				100 * tshare, v->name, 100 * wshare, 100 * max_share,
				origin(cfg, v, v->guards.max_backend_share,
				       cfg->guards.max_backend_share, obuf, sizeof(obuf)),
				ceil(tshare * 100) / 100);
			diag_mark_guard(d);
			bad++;
		}
		if (fabs(tshare - wshare) > g.max_share_error + 1e-9) {
			diag_add(
				d, path,
				"table share %.2f%% is %.2f points from its weight share %.2f%%, more than max_share_error (%.2f points)",
				100 * tshare, 100 * fabs(tshare - wshare), 100 * wshare,
				100 * g.max_share_error);
			diag_mark_guard(d);
			bad++;
		}
	}
	return bad;
}

int guards_check(const struct xdplb_config *cfg, const struct vip_tables *t, struct diags *d)
{
	int bad = 0;

	for (__u32 v = 0; v < cfg->n_vips && v < t->n; v++)
		bad += check_vip(cfg, v, t->counts[v], d);
	return bad;
}

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <math.h>
#include <stdio.h>

#include "guards.h"
#include "names.h"
#include "addr.h"

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

/* The smallest max_backend_share that lets every backend of the VIP
 * through: one suggestion per VIP, whichever backend's line it is on. */
static double share_needed(const struct cfg_vip *v, const __u32 *counts)
{
	__u32 most = 0;

	for (__u32 b = 0; b < v->n_backends; b++)
		if (counts[b] > most)
			most = counts[b];
	return ceil((double)most / v->table_size * 100) / 100;
}

static int check_vip(const struct xdplb_config *cfg, __u32 vi, const __u32 *counts, struct diags *d)
{
	const struct cfg_vip *v = &cfg->vips[vi];
	struct guards g = config_vip_guards(cfg, v);
	double max_share = guard_max_backend_share(cfg, v);
	char path[96], obuf[48], vep[96], bad_addr[ADDR_STRLEN];
	__u32 n_active;
	__u64 wsum = vip_active_weight(v, &n_active);
	int bad = 0;

	/* an engineer thinks of names and addresses, not JSON paths */
	vip_endpoint_str(&v->addr, v->family, v->port, v->proto, vep, sizeof(vep));
	if ((int)n_active < g.min_active_backends) {
		snprintf(path, sizeof(path), "vips[%u].backends", vi);
		diag_add(
			d, path,
			"VIP \"%s\" at %s: %u backend%s take%s new flows (active with weight > 0), fewer than %d required by min_active_backends; set \"guards\": {\"min_active_backends\": %u} on the VIP to allow it",
			v->name, vep, n_active, n_active == 1 ? "" : "s", n_active == 1 ? "s" : "",
			g.min_active_backends, n_active);
		diag_mark_guard(d);
		bad++;
	}
	if (!wsum)
		return bad;
	for (__u32 b = 0; b < v->n_backends; b++) {
		const struct cfg_backend *be = &v->backends[b];
		double wshare = (double)backend_new_flow_weight(be) / (double)wsum;
		double tshare = (double)counts[b] / v->table_size;

		snprintf(path, sizeof(path), "vips[%u].backends[%u]", vi, b);
		addr_str(&be->addr, be->family, bad_addr);
		/* a prime table cannot split exactly: one slot above the limit
		 * is the limit (200:100 gives 43692 of 65537 slots, not 2/3) */
		if (tshare > max_share + 1.0 / v->table_size + 1e-9) {
			diag_add(
				d, path,
				"backend \"%s\" (%s) would take %.1f%% of new flows of VIP \"%s\" at %s (weight share %.1f%%), above %.1f%% allowed by max_backend_share (%s); set \"guards\": {\"max_backend_share\": %.2f} on the VIP to allow it",
				be->name, bad_addr, 100 * tshare, v->name, vep, 100 * wshare,
				100 * max_share,
				origin(cfg, v, v->guards.max_backend_share,
				       cfg->guards.max_backend_share, obuf, sizeof(obuf)),
				share_needed(v, counts));
			diag_mark_guard(d);
			bad++;
		}
		if (fabs(tshare - wshare) > g.max_share_error + 1e-9) {
			diag_add(
				d, path,
				"backend \"%s\" (%s) of VIP \"%s\": table share %.2f%% is %.2f points from its weight share %.2f%%, more than max_share_error (%.2f points)",
				be->name, bad_addr, v->name, 100 * tshare,
				100 * fabs(tshare - wshare), 100 * wshare, 100 * g.max_share_error);
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

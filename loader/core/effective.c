// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * effective.c - configured state and health to the effective state
 * (effective.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "effective.h"

__u8 effective_state(__u8 cfg_state, __u8 health, __u8 out_state)
{
	if (cfg_state != XDPLB_BE_ACTIVE || health != XDPLB_HEALTH_OUT)
		return cfg_state;
	return out_state;
}

__u8 effective_out_state(const struct xdplb_config *cfg, const struct cfg_vip *v)
{
	return config_vip_hc(cfg, v).out == 1 ? XDPLB_BE_DRAIN : XDPLB_BE_DOWN;
}

int effective_configured(struct checked *c)
{
	for (__u32 v = 0; v < c->cfg.n_vips; v++)
		for (__u32 b = 0; b < c->cfg.vips[v].n_backends; b++)
			c->cfg.vips[v].backends[b].health = XDPLB_HEALTH_NONE;
	return effective_apply(c, NULL);
}

void effective_from_live(struct checked *c, const struct lb_live *l)
{
	for (__u32 v = 0; v < c->cfg.n_vips; v++) {
		struct cfg_vip *vip = &c->cfg.vips[v];
		const struct st_vip *sv = live_find_vip(l, vip);
		bool checked = config_vip_hc(&c->cfg, vip).type != HC_NONE;

		for (__u32 b = 0; b < vip->n_backends; b++) {
			struct cfg_backend *cb = &vip->backends[b];
			const struct st_backend *sb = checked ? live_find_be(sv, cb) : NULL;

			cb->health = sb ? sb->health : XDPLB_HEALTH_NONE;
		}
	}
}

int effective_apply_vip(struct checked *c, __u32 v, bool *changed)
{
	struct cfg_vip *vip = &c->cfg.vips[v];
	__u8 out = effective_out_state(&c->cfg, vip);
	bool diff = false;

	for (__u32 b = 0; b < vip->n_backends; b++) {
		struct cfg_backend *cb = &vip->backends[b];
		__u8 s = effective_state(cb->cfg_state, cb->health, out);

		diff |= s != cb->state;
		cb->state = s;
	}
	if (changed)
		*changed = diff;
	if (!diff)
		return 0;
	free(c->tables.slots[v]);
	free(c->tables.counts[v]);
	c->tables.slots[v] = NULL;
	c->tables.counts[v] = NULL;
	return tables_build_vip(&c->cfg, v, &c->tables);
}

int effective_apply(struct checked *c, bool *changed)
{
	for (__u32 v = 0; v < c->cfg.n_vips; v++) {
		int err = effective_apply_vip(c, v, changed ? &changed[v] : NULL);

		if (err)
			return err;
	}
	return 0;
}

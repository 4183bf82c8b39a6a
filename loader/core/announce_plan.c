// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* announce_plan.c - which VIP addresses to announce, and why (announce_plan.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "announce_plan.h"

const char *ann_why_str(enum ann_why w)
{
	switch (w) {
	case ANN_YES:
		return "announced";
	case ANN_OFF:
		return "the config has no \"announce\"";
	case ANN_DRAINED:
		return "drained (xdplb announce off)";
	case ANN_DETACHED:
		return "the program is not attached";
	case ANN_LINK_DOWN:
		return "the interface is down";
	case ANN_UNSETTLED:
		return "waiting for the health checks' first verdicts";
	case ANN_NO_BACKEND:
		return "no backend takes new flows";
	}
	return "?";
}

bool ann_vip_serves(const struct cfg_vip *v)
{
	for (__u32 k = 0; k < v->n_backends; k++)
		if (v->backends[k].state == XDPLB_BE_ACTIVE && v->backends[k].weight > 0)
			return true;
	return false;
}

static enum ann_why gate(const struct xdplb_config *c, const struct ann_gates *g)
{
	if (!c->announce.on)
		return ANN_OFF;
	if (g->drained)
		return ANN_DRAINED;
	if (!g->attached)
		return ANN_DETACHED;
	if (!g->link_up)
		return ANN_LINK_DOWN;
	if (!g->settled)
		return ANN_UNSETTLED;
	return ANN_YES;
}

int ann_plan(const struct xdplb_config *c, const struct ann_gates *g, struct ann_addr **out,
	     bool *vip_yes)
{
	struct ann_addr *v = calloc(c->n_vips + 1, sizeof(*v));
	enum ann_why lb = gate(c, g);
	int n = 0;

	if (!v)
		return -ENOMEM;
	for (__u32 i = 0; i < c->n_vips; i++) {
		const struct cfg_vip *vip = &c->vips[i];
		bool serves = ann_vip_serves(vip);
		int k;

		if (vip_yes)
			vip_yes[i] = lb == ANN_YES && serves;
		for (k = 0; k < n; k++)
			if (v[k].family == vip->family &&
			    !memcmp(&v[k].addr, &vip->addr, sizeof(vip->addr)))
				break;
		if (k == n) {
			v[n].addr = vip->addr;
			v[n].family = vip->family;
			v[n].first_vip = i;
			v[n].why = ANN_NO_BACKEND;
			n++;
		}
		if (serves)
			v[k].why = ANN_YES;
	}
	for (int k = 0; k < n; k++)
		if (lb != ANN_YES)
			v[k].why = lb;
	/* a VIP whose address is announced (by a sibling VIP) draws traffic
	 * too: its own verdict is the address's */
	for (__u32 i = 0; vip_yes && i < c->n_vips; i++)
		for (int k = 0; k < n; k++)
			if (v[k].family == c->vips[i].family &&
			    !memcmp(&v[k].addr, &c->vips[i].addr, sizeof(v[k].addr)))
				vip_yes[i] = v[k].why == ANN_YES;
	*out = v;
	return n;
}

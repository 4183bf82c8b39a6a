/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * effective.h - configured state and health make the effective state, the
 * one the Maglev tables are built from and the data path obeys
 * (docs/health.md, "Configured and effective state"): the configured
 * state, unless it is active and health took the backend out, then the
 * VIP's out state (down, or drain). Health never overrides an operator's
 * drain or down. Pure.
 */
#ifndef XDPLB_EFFECTIVE_H
#define XDPLB_EFFECTIVE_H

#include <stdbool.h>

#include "live.h"
#include "validate.h"

/* A backend's effective state. */
__u8 effective_state(__u8 cfg_state, __u8 health, __u8 out_state);
/* What a failing backend of config VIP v becomes: XDPLB_BE_DOWN or DRAIN. */
__u8 effective_out_state(const struct xdplb_config *cfg, const struct cfg_vip *v);

/* Each backend of c takes the health that is live for it (the same VIP
 * and address), so that a change of config keeps what the health checks
 * decided; new backends, and those of VIPs without a check, have none. */
void effective_from_live(struct checked *c, const struct lb_live *l);

/* c as configured: no health, the effective states the configured ones,
 * and the tables of the VIPs that changes rebuilt (diff and the
 * flows-moved guard compare configured states). 0 or -ENOMEM. */
int effective_configured(struct checked *c);

/* Sets every backend's effective state from its configured state and
 * health, and rebuilds the Maglev table of each VIP whose effective states
 * changed, and only those; changed[v] (NULL, or per VIP) says which.
 * 0 or -ENOMEM. */
int effective_apply(struct checked *c, bool *changed);
/* The same for config VIP v alone; *changed (or NULL) says whether its
 * effective states changed. 0 or -ENOMEM. */
int effective_apply_vip(struct checked *c, __u32 v, bool *changed);

#endif

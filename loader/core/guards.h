/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * guards.h - refuse configs that would concentrate traffic (the outage shape
 * of the postmortem) before they reach the kernel. Computed on the real
 * Maglev tables. Semantics and defaults: docs/config.md, "Guards". Pure.
 */
#ifndef XDPLB_GUARDS_H
#define XDPLB_GUARDS_H

#include "config.h"
#include "tables.h"

/* The max_backend_share that applies to a VIP (its default depends on N). */
double guard_max_backend_share(const struct xdplb_config *cfg, const struct cfg_vip *v);
/* Adds one diagnostic per violation; returns how many. */
int guards_check(const struct xdplb_config *cfg, const struct vip_tables *t, struct diags *d);

#endif

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * overrides.h - an operator's change of one backend without a whole file
 * (`xdplb backend set`): its configured state and/or weight, kept across
 * reloads of the config until cleared (docs/health.md, "Configured and
 * effective state"). The set lives in the state dir (overrides.json) and
 * each history entry keeps the set it was applied with. Pure.
 *
 * The file: {"overrides": [{"vip": "web", "backend": "web-1",
 *                          "state": "drain", "weight": 50}]}
 */
#ifndef XDPLB_OVERRIDES_H
#define XDPLB_OVERRIDES_H

#include <stddef.h>

#include "validate.h"

struct override {
	char vip[XDPLB_NAME_LEN], backend[XDPLB_NAME_LEN];
	int state; /* enum xdplb_backend_state; -1: the config's */
	int weight; /* 0..65535; -1: the config's */
};

struct overrides {
	struct override *v;
	size_t n;
};

/* 0, or -EINVAL with each problem (and its JSON path) in d. */
int overrides_parse(const char *text, size_t len, struct overrides *o, struct diags *d);
/* The file's text (malloc'ed), or NULL (no memory). */
char *overrides_json(const struct overrides *o);
/* Sets (state or weight >= 0) or, with both < 0, clears the override of
 * vip/backend. 0 or -ENOMEM. */
int overrides_set(struct overrides *o, const char *vip, const char *backend, int state, int weight);
/* The override of vip/backend in o, or NULL. */
struct override *overrides_find(const struct overrides *o, const char *vip, const char *backend);
/* dst, a copy of src. 0 or -ENOMEM. */
int overrides_set_all(struct overrides *dst, const struct overrides *src);
void overrides_free(struct overrides *o);

/* The backend of config c that vip/backend name, or NULL; *vi its VIP's
 * index. */
struct cfg_backend *overrides_target(struct checked *c, const char *vip, const char *backend,
				     __u32 *vi);
/* The overrides onto config c: each backend named takes its configured
 * state and weight (its effective state with them, health aside), and the
 * tables of the VIPs that change are rebuilt. One that names no backend
 * of c is said in d (as a warning) and left out. Returns how many applied,
 * or -ENOMEM. */
int overrides_apply(struct checked *c, const struct overrides *o, struct diags *d);

#endif

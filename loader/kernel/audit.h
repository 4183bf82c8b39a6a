/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * audit.h - does what is live equal what a config says? The program and
 * its link, the globals, every VIP, backend and table slot, and the maps'
 * own consistency (address sentinels, orphan backend entries, table sizes).
 * Read-only: safe from cron or a systemd timer.
 */
#ifndef XDPLB_AUDIT_H
#define XDPLB_AUDIT_H

#include <cjson/cJSON.h>
#include <stdio.h>

#include "validate.h"

struct finding {
	char what[24]; /* program, mode, global, vip, backend, table, map */
	char where[160]; /* "vips[0] web", "backend web-1", ... */
	char msg[320];
};

struct audit {
	struct finding *f; /* drift */
	size_t n;
	/* what differs from the file by design, never drift: backends taken
	 * out (or kept in, failing) by health checks, operators' overrides */
	struct finding *notes;
	size_t n_notes;
	__u32 prog_id, link_id, generation;
	char live_digest[80];
};

/* 0 and a->n findings (0 = no drift); -errno when nothing can be read.
 * The overrides ov (what the state dir records, or NULL: none) and the
 * live health are applied to want first (its states and the tables of the
 * VIPs they change), so that they are compared as what they are, not as
 * drift; an override the maps hold but ov does not, or the reverse, is. */
struct overrides;
int audit_run(const char *ifname, struct checked *want, const struct overrides *ov,
	      struct audit *a);
/* The part of an audit that needs only the maps (everything but the
 * program, link, mode and interface MAC); a must be zeroed first. */
struct lb_maps;
int audit_maps(const struct lb_maps *m, struct checked *want, const struct overrides *ov,
	       struct audit *a);
void audit_free(struct audit *a);

#endif

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
	struct finding *f;
	size_t n;
	__u32 prog_id, link_id, generation;
	char live_digest[80];
};

/* 0 and a->n findings (0 = no drift); -errno when nothing can be read. */
int audit_run(const char *ifname, const struct checked *want, struct audit *a);
/* The part of an audit that needs only the maps (everything but the
 * program, link, mode and interface MAC); a must be zeroed first. */
struct lb_maps;
int audit_maps(const struct lb_maps *m, const struct checked *want, struct audit *a);
void audit_free(struct audit *a);

#endif

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * verify.h - after a load, watch where new flows really go.
 *
 * Every VERIFY_TICK_MS the per-backend new-flow counters are read back from
 * the maps; for each VIP with at least VERIFY_MIN_FLOWS new flows since the
 * load, a backend fails when, with z = VERIFY_Z standard errors of margin,
 *   its observed share is above the VIP's max_backend_share, or
 *   its observed share is further than max_share_error from its weight share.
 * z = 5 keeps false alarms below 1e-4 over a whole watch even though the
 * test is repeated at every tick; a real skew (97% on one of four backends)
 * is certain after about 20 flows.
 */
#ifndef XDPLB_VERIFY_H
#define XDPLB_VERIFY_H

#include <stdbool.h>

#include "validate.h"

#define VERIFY_TICK_MS 200
#define VERIFY_MIN_FLOWS 20
#define VERIFY_Z 5.0

struct verify_result {
	bool failed; /* a guard is broken by real traffic */
	double seconds; /* how long it watched */
	unsigned long long flows; /* new flows seen, over every VIP */
	char report[1024]; /* the figures, one line per finding */
};

/* Watches ifname for up to sec seconds against config c (the one just
 * loaded). 0, or -errno when the counters cannot be read. */
int verify_watch(const char *ifname, const struct checked *c, double sec, struct verify_result *r);

#endif

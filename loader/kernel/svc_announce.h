/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * svc_announce.h - the service's half of the announcement (docs/fleet.md):
 * the gates (drain flag, program attached, health settled), the decision
 * per VIP address (core/announce_plan.h), the routes in the announce
 * table kept as decided (announce.h), and the state file that `xdplb
 * announce status` reads.
 *
 * Changes go out at once (the round after the verdict or the flag); every
 * ANN_RECONCILE seconds the table is compared with the decision, so a
 * route removed or added by someone else is put right. The table is the
 * service's: every route of protocol ANNOUNCE_RTPROT in it that is not
 * decided is withdrawn (one announce table per interface).
 */
#ifndef XDPLB_SVC_ANNOUNCE_H
#define XDPLB_SVC_ANNOUNCE_H

#include <net/if.h>

#include "announce_plan.h"
#include "metrics.h"
#include "svc_health.h"

#define ANN_RECONCILE 1.0 /* seconds between comparisons with the table */
#define ANN_SETTLE_SLACK 0.5 /* seconds beyond the slowest check's first verdict */

struct svc_announce {
	char ifname[IF_NAMESIZE], pin_dir[512], dir[512];
	__u32 table; /* where routes were last put; 0: none yet */
	double settle_at; /* settled by then, verdicts or not */
	double settle_span; /* the slowest check's first verdict, from a start */
	bool settle_full; /* the whole span (after the link's return), not the first verdicts */
	bool settled, drained, attached, link_up;
	double next_link, next_reconcile;
	struct ann_addr *a; /* the decision */
	int n;
	bool *vip_yes; /* per config VIP, for the metrics */
	__u32 n_vips;
	bool dirty; /* the config or the verdicts changed: decide again */
	/* for the metrics */
	__u64 n_announce, n_withdraw, n_restored, n_errors;
};

void sann_init(struct svc_announce *a, const char *ifname, const char *pin_dir, const char *dir);
/* The checks as started: first verdicts expected by now + the slowest
 * check's max(rise, fall) intervals and a timeout. */
void sann_start(struct svc_announce *a, const struct svc_health *hc, double now);
/* One step (every round): gates, decision, routes. c: what is live. */
void sann_step(struct svc_announce *a, const struct checked *c, const struct svc_health *hc,
	       double now);
/* Every route withdrawn (stop). */
void sann_stop(struct svc_announce *a);
void sann_free(struct svc_announce *a);
void sann_metrics(struct mbuf *b, const struct svc_announce *a, const struct checked *c);

#endif

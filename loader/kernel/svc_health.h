/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * svc_health.h - the service's health checks (docs/health.md): the checks
 * a config asks for, run by the probe engine, judged by the health core
 * (rise/fall, damping, the cascade guard), and their verdicts written into
 * the config's backends (health, then the effective state).
 *
 * A check is what one probe checks: kind, destination (the VIP through the
 * tunnel, with the backend's mark, or the backend itself), port, HTTP
 * path, host and status, interval, timeout, rise and fall. Backends of
 * several VIPs that need the same check share it.
 */
#ifndef XDPLB_SVC_HEALTH_H
#define XDPLB_SVC_HEALTH_H

#include <stdbool.h>

#include "health.h"
#include "probe.h"
#include "validate.h"

struct svc_check {
	struct probe_target t; /* t.path and t.host point at path and host */
	char path[128], host[128];
	__u32 rise, fall;
	char name[160]; /* "web/web-1 tcp 198.51.100.11:80", for the log */
	/* for the metrics */
	__u64 n_ok, n_fail, n_transitions;
	double latency; /* of the last result, seconds */
	int last_err, last_status;
};

struct svc_health {
	struct health h;
	struct probe_engine *pe;
	struct svc_check *chk;
	__u32 n;
	__u32 **check_of; /* per config VIP, per backend: its check, or UINT32_MAX */
	int *vidx; /* per config VIP: its VIP in the health core, or -1 */
	__u32 n_vips;
	bool tunnel; /* some check goes through the tunnel */
	bool on; /* some VIP has checks */
};

/* The checks of config c (whose backends' ids are be_ids, and whose
 * backends carry the live health) as of time now. What old knew of a
 * check that c still asks for carries over; a backend the live maps have
 * out starts down (it needs rise successes to come back), the others
 * unknown, counted as up (docs/health.md: cold start). 0 or -errno. */
int svc_health_build(struct svc_health *hc, struct svc_health *old, const struct checked *c,
		     __u32 *const *be_ids, double now);
void svc_health_free(struct svc_health *hc);

/* One round: the engine's results into the health core, the verdicts
 * into c's backends (health and effective state; tables of the VIPs whose
 * effective states changed rebuilt). changed[v]: VIP v's effective states
 * changed; touched[v]: any of its verdicts did (what to write). Returns
 * how many VIPs were touched, or -errno. Transitions are logged. */
int svc_health_round(struct svc_health *hc, struct checked *c, double now, bool *changed,
		     bool *touched);

#endif

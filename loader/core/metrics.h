/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * metrics.h - the Prometheus text exposition (format 0.0.4) of what
 * status_read() returns, and the imbalance window: pure code, no BPF and no
 * syscalls, so that unit tests link it. The families and their labels are
 * documented in docs/metrics.md; the serving side is serve.c.
 */
#ifndef XDPLB_METRICS_H
#define XDPLB_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "live.h"

/* A growing text buffer; oom is sticky, the text is then incomplete. */
struct mbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

void mbuf_printf(struct mbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mbuf_free(struct mbuf *b);

/* A label value as the format wants it: \ " and newline escaped. */
void metrics_escape(struct mbuf *b, const char *s);

/* One interface of the exposition. */
struct metrics_if {
	const char *ifname;
	const struct lb_live *st; /* NULL: xdplb is not loaded there (xdplb_up 0) */
	bool load_ok; /* xdplb_config_last_load_successful, see docs/metrics.md */
	/* xdplb_read_error: the maps (st NULL) or some table could not be read
	 * for a reason other than "not loaded" (a missing capability, ...):
	 * what depends on it is left out rather than reported as zeros */
	bool read_error;
	bool tables_unread; /* the slot counts: no slots, no last_load_successful */
	const double *imbalance; /* per st->vips[i]; NULL: no imbalance samples */
};

/* The whole exposition: each family once, HELP and TYPE first, then its
 * samples of every interface. scrape_seconds < 0 leaves out the exporter's
 * own xdplb_scrape_duration_seconds. */
void metrics_write(struct mbuf *b, const struct metrics_if *ifs, size_t n, double scrape_seconds);

/* For families of another writer's (the service's): HELP and TYPE, then
 * samples; kv is NULL-ended key, value pairs (a NULL value is left out). */
void metrics_family(struct mbuf *b, const char *name, const char *type, const char *help);
void metrics_sample(struct mbuf *b, const char *name, const char *const *kv, double v);

/* Every table slot of every VIP names one of its active backends: the sum
 * of active backends' slots equals the table size (status counts slots). */
bool metrics_tables_consistent(const struct lb_live *st);

/* A backend's decap program (xdplb decap attach): its counters, summed. */
struct metrics_decap {
	const char *ifname;
	__u64 c[XDPLB_DECAP_MAX];
};
/* xdplb_decap_packets_total{iface,result} of each; nothing when n is 0
 * (an LB without a decap program exports no such family). */
void metrics_write_decap(struct mbuf *b, const struct metrics_decap *d, size_t n);

/*
 * The imbalance window: a few earlier readings of each backend's new-flow
 * counter, at least window/8 apart. The imbalance of a VIP compares the
 * current counters with the newest reading at least one window old (or,
 * before there is one, the oldest reading; before any, zero): per active
 * backend, a conservative (Wilson, z = 3) lower bound of its share of the
 * VIP's new flows, divided by its weight share; the maximum over backends.
 */
#define IMB_KEEP 16
#define IMB_Z 3.0
/* where docs/prometheus/alerts.yml says a backend is skewed; xdplb stats
 * flags SKEW by the same rule */
#define IMB_ALERT 1.5

struct imb_count {
	__u32 be_id, vip_id;
	__u64 new_flows;
};

struct imb_reading {
	double t; /* seconds, any monotonic clock */
	struct imb_count *c; /* sorted by be_id */
	__u32 n;
};

/* The readings of one interface. */
struct imb_hist {
	char ifname[IF_NAMESIZE];
	struct imb_reading r[IMB_KEEP]; /* oldest first */
	int n;
};

/* The imbalance of every VIP of st (out[i] for st->vips[i]) at time now,
 * against the readings in h. */
void imb_compute(const struct imb_hist *h, const struct lb_live *st, double now, double window,
		 double *out);
/* Keeps st's counters as a reading if the newest one is at least window/8
 * old, and drops readings no longer needed. 0 or -ENOMEM. */
int imb_record(struct imb_hist *h, const struct lb_live *st, double now, double window);
void imb_free(struct imb_hist *h);

/* The lower bound of a binomial share k/n at z standard deviations
 * (Wilson score interval); 0 when n is 0. */
double wilson_lower(double k, double n, double z);

#endif

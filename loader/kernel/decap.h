/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * decap.h - the backends' side of direct server return: the decap program
 * on an interface (decap.c, bpf/decap.bpf.c).
 */
#ifndef XDPLB_DECAP_H
#define XDPLB_DECAP_H

#include "decap_src.h"
#include "xdplb_abi.h"

struct decap_opts {
	int mode; /* enum xdplb_mode */
	const char **extra; /* more outer destinations to accept (addresses) */
	int n_extra;
	const struct decap_srcs *srcs; /* the outer sources to accept: at least one */
};

/* Attaches the decap program (or, when attached, refreshes its addresses:
 * the interface's own and o->extra, and replaces its sources with
 * o->srcs, without a moment where a source in both sets is refused). A
 * decap program from before source filtering is replaced. */
int lb_decap_attach(const char *ifname, const struct decap_opts *o);
int lb_decap_detach(const char *ifname);
/* The decap program's counters (enum xdplb_decap_counter), summed over CPUs. */
int lb_decap_counters(const char *ifname, __u64 out[XDPLB_DECAP_MAX]);
/* The sources the attached program accepts. */
int lb_decap_sources(const char *ifname, struct decap_srcs *out);

#endif

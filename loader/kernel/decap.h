/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * decap.h - the backends' side of direct server return: the decap program
 * on an interface (decap.c, bpf/decap.bpf.c).
 */
#ifndef XDPLB_DECAP_H
#define XDPLB_DECAP_H

#include "xdplb_abi.h"

struct decap_opts {
	int mode; /* enum xdplb_mode */
	const char **extra; /* more outer destinations to accept (addresses) */
	int n_extra;
};

/* Attaches the decap program (or, when attached, refreshes its addresses:
 * the interface's own and o->extra). */
int lb_decap_attach(const char *ifname, const struct decap_opts *o);
int lb_decap_detach(const char *ifname);
/* The decap program's counters (enum xdplb_decap_counter), summed over CPUs. */
int lb_decap_counters(const char *ifname, __u64 out[XDPLB_DECAP_MAX]);

#endif

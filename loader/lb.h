/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * lb.h - the operations on an interface: load (attach or update), unload,
 * and the backend-side decap program.
 *
 * Errors: 0 on success; -ECANCELED when the change was refused (a config
 * conflict with what is live: exit code 1); any other -errno for a system
 * error (exit code 3). What went wrong has been printed.
 */
#ifndef XDPLB_LB_H
#define XDPLB_LB_H

#include <stdbool.h>

#include "validate.h"

struct load_result {
	bool created; /* first load on the interface (else an update) */
	bool prog_replaced; /* the program was swapped for a new version */
	__u32 prog_id, link_id;
	__u32 generation;
	__u32 new_vips, new_backends; /* ids handed out */
	char pin_dir[512];
};

int lb_load(const struct checked *c, struct load_result *res);

struct lb_maps;
/* The config part of a load, on maps that are already open (pinned or
 * fresh): read the live state, plan, commit. `load` and the BPF tests use
 * it; mac is the interface's. */
int lb_apply(const struct lb_maps *m, bool exists, const struct checked *c, const __u8 mac[6],
	     struct load_result *res);
/* Detaches and removes every pin. Nothing loaded is not an error. */
int lb_unload(const char *ifname);

struct decap_opts {
	int mode; /* enum xdplb_mode */
	const char **extra; /* more outer destinations to accept (addresses) */
	int n_extra;
};
int lb_decap_attach(const char *ifname, const struct decap_opts *o);
int lb_decap_detach(const char *ifname);
/* The decap program's counters (enum xdplb_decap_counter), summed over CPUs. */
int lb_decap_counters(const char *ifname, __u64 out[XDPLB_DECAP_MAX]);

/* Holds the per-interface lock: another xdplb waits up to 10 s, then fails. */
int lb_lock(const char *dir);
void lb_unlock(int fd);

#endif

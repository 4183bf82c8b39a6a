/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * load.h - the operations on an interface: load (attach or update),
 * rollback, unload.
 *
 * Errors: 0 on success; -ECANCELED when the change was refused (a config
 * conflict with what is live: exit code 1); any other -errno for a system
 * error (exit code 3). What went wrong has been printed.
 */
#ifndef XDPLB_LOAD_H
#define XDPLB_LOAD_H

#include <stdbool.h>

#include "validate.h"

struct lb_maps;

struct load_result {
	bool created; /* first load on the interface (else an update) */
	bool unchanged; /* the config was live already: nothing done (load_opts.skip_same) */
	bool prog_replaced; /* the program was swapped for a new version */
	__u32 prog_id, link_id;
	__u32 generation;
	__u32 new_vips, new_backends; /* ids handed out */
	unsigned int history_seq; /* the history entry of this load */
	bool unrecorded; /* live, but in no history (--no-history, or its recording failed) */
	char pin_dir[512];
};

struct load_opts {
	const char *text; /* the config's bytes, kept in the history */
	size_t len;
	const char *source; /* where they came from (a path), for the history */
	const char *host_text; /* the host file's bytes, kept beside them; NULL: none */
	size_t host_len;
	const char *host_source; /* its path, for the history */
	const char *state_dir; /* NULL: history_default_dir() */
	bool force; /* apply despite max_flows_moved */
	/* not judged by max_flows_moved: an override names the one backend
	 * whose flows it means to move (the other guards still judge it) */
	bool no_moves_guard;
	const char *note; /* for the history: "rollback to 3", ... */
	/* write nothing to the state dir: the way through a full or read-only
	 * one. The config goes live unrecorded (said loudly, marked in ctl:
	 * XDPLB_CTL_F_UNRECORDED) and the next load that records its own
	 * entry records this one first. */
	bool no_history;
	/* the operators' overrides to apply (and keep in the state dir once
	 * live); NULL: those of the state dir */
	const struct overrides *overrides;
	/* a config whose configured state is the live one (the canonical
	 * digest, the host settings, the kept overrides), on a complete
	 * commit, the same program attached: nothing is done, no generation,
	 * no history entry (`load` without --force) */
	bool skip_same;
	/* set by lb_load for skip_same: what the interface has now */
	const __u8 *if_mac;
	__u32 link_prog_id; /* the program the pinned link runs, attached as asked; 0: not so */
};

int lb_load(struct checked *c, const struct load_opts *o, struct load_result *res);

/*
 * One config change on open maps, from one read of what is live, recorded
 * in the history:
 *   lb_txn_begin(): reads what is live (once: the guard, the history and
 *                   the plan all use t->live), max_flows_moved against it
 *                   (unless forced), then the pending history entry;
 *   lb_txn_apply(): the plan and its atomic commit;
 *   lb_txn_end():   the entry committed (ok) or dropped.
 * lb_load() is this plus the program and its link; tests drive it on maps
 * of their own.
 */
#include "history.h"
#include "live.h"
#include "overrides.h"

struct lb_txn {
	bool exists; /* an update (else a first load) */
	struct lb_live live; /* read by lb_txn_begin() */
	struct history h;
	struct hist_entry e;
	bool pending;
	bool unrecorded; /* --no-history: this config goes live in no history */
	const struct lb_maps *m; /* the maps it changes */
	struct overrides ov; /* applied */
	bool own_ov; /* given by the caller: the state dir's once live */
	__u8 prog_digest[32]; /* the program the link runs after the change */
	__u32 prog_id; /* 0: the object's program if loaded (tests) */
	bool unchanged; /* lb_txn_begin() found the config live (skip_same) */
};

int lb_txn_begin(struct lb_txn *t, const struct lb_maps *m, bool exists, struct checked *c,
		 const struct load_opts *o);
int lb_txn_apply(struct lb_txn *t, const struct lb_maps *m, struct checked *c, const __u8 mac[6],
		 struct load_result *res);
int lb_txn_end(struct lb_txn *t, bool ok, struct load_result *res);

/* The overrides kept in state dir dir (overrides.json) onto c, as a load
 * applies them, stale ones warned about: how many applied, or -errno. */
int lb_kept_overrides(const char *dir, struct checked *c);

/* Re-applies history entry `to` (0: the one before the live one; the
 * newest one when the live config is in no entry) through the same
 * validated, atomic path. *seq gets the entry applied. no_history: as
 * load_opts. */
int lb_rollback(const char *ifname, const char *state_dir, unsigned int to, int mode,
		bool no_history, struct load_result *res, unsigned int *seq);

/* An operator's override of one backend of the live config: its
 * configured state (state, or -1) and/or weight (or -1); both -1 clear it.
 * Applied like a load (guards, --force, history, atomic), kept in the
 * state dir and across reloads until cleared. 1 (and nothing done) when
 * clearing one there is not. */
int lb_override(const char *ifname, const char *state_dir, const char *vip, const char *backend,
		int state, int weight, bool force, struct load_result *res);

/* The config part of a load, on maps that are already open (pinned or
 * fresh): read what is live, plan, commit; no history. The BPF tests and
 * the bench use it; mac is the interface's. */
int lb_apply(const struct lb_maps *m, bool exists, struct checked *c, const __u8 mac[6],
	     struct load_result *res);
/* Detaches (the health-check tunnel too) and removes every pin. Nothing
 * loaded is not an error. */
int lb_unload(const char *ifname);

#endif

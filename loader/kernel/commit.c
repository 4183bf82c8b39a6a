// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * commit.c - applying a plan to the maps, atomically (commit.h,
 * docs/atomicity.md): write what changes into the inactive bank, flip one
 * word, wait for the packets that read the old bank, then make the old
 * bank equal to the new one, so that the next change writes only itself.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "commit.h"
#include "fault.h"
#include "log.h"
#include "maps.h"
#include "mono.h"

/* Updating a map-in-map slot makes the kernel wait for an RCU grace period
 * (maybe_wait_bpf_programs): when the syscall returns, every XDP program
 * that started before it has returned. */
int maps_barrier(const struct lb_maps *m)
{
	__u32 slot = XDPLB_BARRIER_SLOT;
	int fd = LB_FD(m, table_empty);

	if (bpf_map_update_elem(LB_FD(m, tables), &slot, &fd, BPF_ANY)) {
		int err = -errno;

		pr_warn("waiting for in-flight packets (barrier update): %s\n", strerror(errno));
		return err;
	}
	return 0;
}

static int batch_update(int fd, const void *keys, const void *vals, __u32 n, const char *what)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	const __u32 chunk = 65536;

	for (__u32 done = 0; done < n;) {
		__u32 cnt = n - done < chunk ? n - done : chunk;
		struct bpf_map_info info = {};
		__u32 ilen = sizeof(info);

		if (bpf_obj_get_info_by_fd(fd, &info, &ilen))
			return -errno;
		if (bpf_map_update_batch(fd, (const char *)keys + (size_t)done * info.key_size,
					 (const char *)vals +
						 (size_t)done * info.value_size *
							 (info.type == BPF_MAP_TYPE_PERCPU_ARRAY ?
								  libbpf_num_possible_cpus() :
								  1),
					 &cnt, &o)) {
			int err = -errno;

			pr_warn("writing %s (%u entries from %u): %s\n", what, n - done, done,
				strerror(errno));
			return err;
		}
		done += cnt;
	}
	return 0;
}

/* A new table map (ARRAY, XDPLB_TABLE_MAP_FLAGS) for VIP id vip_id. The
 * syscall itself, not libbpf's bpf_map_create(): that one probes kernel
 * features by loading two programs on its first call, and an update that
 * does not change the program loads none. */
static int table_create(__u32 vip_id, __u32 entries)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = sizeof(__u32);
	attr.value_size = sizeof(struct xdplb_slot_pair);
	attr.max_entries = entries;
	attr.map_flags = XDPLB_TABLE_MAP_FLAGS;
	snprintf(attr.map_name, sizeof(attr.map_name), "xdplb_t%u", vip_id);
	return (int)syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
}

/* The slots of config VIP v as backend ids, into out (pairs: an odd
 * table's unused half is MAGLEV_NONE). */
static void table_ids_of(const struct plan *p, const struct checked *c, __u32 v, __u32 *out)
{
	const __u32 *slots = c->tables.slots[v], *ids = p->be_ids[v];
	__u32 size = c->cfg.vips[v].table_size;

	for (__u32 s = 0; s < size; s++)
		out[s] = ids[slots[s]];
	if (size % 2)
		out[size] = MAGLEV_NONE;
}

/* Writes config VIP v's table into the new map fd: filled in place through
 * a mapping of the (mmapable) array, no copy; by batch update where
 * mapping fails. The mapping is gone before the caller freezes the map (a
 * frozen map refuses writable mappings, and freezing refuses a map that
 * has one). */
static int table_write(int fd, const struct plan *p, const struct checked *c, __u32 v)
{
	__u32 n = XDPLB_TABLE_ENTRIES(c->cfg.vips[v].table_size), *keys, *ids;
	size_t bytes = (size_t)n * sizeof(struct xdplb_slot_pair);
	void *map = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	int err;

	if (map != MAP_FAILED) {
		table_ids_of(p, c, v, map);
		munmap(map, bytes);
		return 0;
	}
	keys = malloc(n * sizeof(*keys));
	ids = malloc(bytes);
	err = keys && ids ? 0 : -ENOMEM;
	if (!err) {
		for (__u32 k = 0; k < n; k++)
			keys[k] = k;
		table_ids_of(p, c, v, ids);
		err = batch_update(fd, keys, ids, n, "a Maglev table");
	}
	free(keys);
	free(ids);
	return err;
}

int maps_fill_slots(const struct lb_maps *m)
{
	__u32 *slots = malloc(XDPLB_TABLE_SLOTS * sizeof(*slots));
	__u32 *vals = malloc(XDPLB_TABLE_SLOTS * sizeof(*vals));
	int err = 0;

	if (!slots || !vals) {
		err = -ENOMEM;
		goto out;
	}
	/* nothing ever writes the empty table, not even bpftool */
	if (bpf_map_freeze(LB_FD(m, table_empty)) && errno != EBUSY) {
		err = -errno;
		pr_warn("freezing the empty table: %s\n", strerror(errno));
		goto out;
	}
	for (__u32 i = 0; i < XDPLB_TABLE_SLOTS; i++) {
		slots[i] = i;
		vals[i] = (__u32)LB_FD(m, table_empty);
	}
	err = batch_update(LB_FD(m, tables), slots, vals, XDPLB_TABLE_SLOTS,
			   "the tables map (new)");
out:
	free(slots);
	free(vals);
	return err;
}

/* The tables of a commit: per config VIP, the map its slots get (a new
 * one, or the live one it shares), its fd and id; empty: none. */
struct tables {
	int *fd; /* -1: not open (the empty table, or a kept one) */
	__u32 *id; /* 0: the empty table */
	bool *own; /* fd is ours to close */
	__u32 n;
	__u32 empty_id;
};

static void tables_close(struct tables *t)
{
	for (__u32 v = 0; t->fd && v < t->n; v++)
		if (t->own[v])
			close(t->fd[v]);
	free(t->fd);
	free(t->id);
	free(t->own);
}

/* The map id now in slot s (a new LB: the empty table everywhere). */
static __u32 slot_id(const struct lb_live *l, const struct tables *t, __u32 s)
{
	return l->table_ids ? l->table_ids[s] : t->empty_id;
}

/* The live table of config VIP v, if the plan reuses it and it is what it
 * should be; -1 otherwise. */
static int live_table(const struct lb_live *l, const struct plan *p, const struct checked *c,
		      __u32 v)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), id;
	int fd;

	if (!p->reuse || !p->reuse[v] || !l->table_ids)
		return -1;
	id = l->table_ids[xdplb_table_slot(p->bank ^ 1, p->vip_ids[v])];
	fd = bpf_map_get_fd_by_id(id);
	if (fd >= 0 && (bpf_obj_get_info_by_fd(fd, &info, &len) ||
			info.max_entries != XDPLB_TABLE_ENTRIES(c->cfg.vips[v].table_size))) {
		close(fd); /* not what it should be: build it anew */
		fd = -1;
	}
	return fd;
}

/* The live table of config VIP v when the plan reuses it and both banks'
 * slots hold it already (after a complete commit): no slot gets written,
 * so no fd is needed. Its id, or 0. A health change of one VIP opens no
 * other VIP's table (two syscalls and a close each). */
static __u32 kept_table(const struct lb_live *l, const struct plan *p, const struct tables *t,
			__u32 v)
{
	__u32 x, y;

	if (!p->reuse || !p->reuse[v] || !l->table_ids)
		return 0;
	x = l->table_ids[xdplb_table_slot(p->bank ^ 1, p->vip_ids[v])];
	y = l->table_ids[xdplb_table_slot(p->bank, p->vip_ids[v])];
	return x == y && x != t->empty_id ? x : 0;
}

/* A new table for config VIP v, filled and frozen. */
static int new_table(const struct plan *p, const struct checked *c, __u32 v)
{
	const struct cfg_vip *vip = &c->cfg.vips[v];
	int fd, err;

	fd = table_create(p->vip_ids[v], XDPLB_TABLE_ENTRIES(vip->table_size));
	if (fd < 0) {
		err = -errno;
		pr_warn("creating the table of VIP %s (%u slots): %s\n", vip->name, vip->table_size,
			strerror(errno));
		return err;
	}
	err = table_write(fd, p, c, v);
	/* read-only from userspace from now on: a published table never
	 * changes (a later load may share it), not even by bpftool */
	if (!err && bpf_map_freeze(fd)) {
		err = -errno;
		pr_warn("freezing the table of VIP %s: %s\n", vip->name, strerror(errno));
	}
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/* Every config VIP's table: the live one when unchanged, else a new one. */
static int make_tables(const struct lb_maps *m, const struct lb_live *l, const struct plan *p,
		       const struct checked *c, struct tables *t)
{
	__u32 n = c->cfg.n_vips;
	int err = maps_id(LB_FD(m, table_empty), &t->empty_id);

	t->n = n;
	t->fd = malloc((n + 1) * sizeof(*t->fd));
	t->id = calloc(n + 1, sizeof(*t->id));
	t->own = calloc(n + 1, sizeof(*t->own));
	if (!err && (!t->fd || !t->id || !t->own))
		err = -ENOMEM;
	for (__u32 v = 0; !err && v < n; v++) {
		t->fd[v] = -1;
		/* first: a kept table is a live non-empty one, and a health
		 * change keeps all but a few, so this spares a pass over the
		 * backends of every other VIP */
		t->id[v] = kept_table(l, p, t, v);
		if (t->id[v])
			continue;
		if (vip_active_weight(&c->cfg.vips[v], NULL) == 0)
			continue; /* no backend takes new flows: the empty table */
		t->fd[v] = live_table(l, p, c, v);
		if (t->fd[v] >= 0) {
			t->own[v] = true;
			t->id[v] = l->table_ids[xdplb_table_slot(p->bank ^ 1, p->vip_ids[v])];
			continue;
		}
		t->fd[v] = new_table(p, c, v);
		if (t->fd[v] < 0) {
			err = t->fd[v];
			break;
		}
		t->own[v] = true;
		err = maps_id(t->fd[v], &t->id[v]);
	}
	return err;
}

/* Makes bank b's slots what t says: each config VIP's table, the empty
 * one in every other slot that holds something. Only slots that differ
 * from what l read (or, for the first write of a new LB, the empty
 * table) are written, in one batch. */
static int write_slots(const struct lb_maps *m, const struct lb_live *l, const struct plan *p,
		       const struct tables *t, __u32 b, struct commit_stats *st)
{
	double t0;
	__u32 *slots = calloc(XDPLB_MAX_VIPS + 1, sizeof(*slots)), n = 0;
	__u32 *vals = calloc(XDPLB_MAX_VIPS + 1, sizeof(*vals));
	__u8 *mine = calloc(XDPLB_MAX_VIPS, 1);
	int empty = LB_FD(m, table_empty), err;

	if (!slots || !vals || !mine) {
		err = -ENOMEM;
		goto out;
	}
	for (__u32 v = 0; v < t->n; v++) {
		__u32 s = xdplb_table_slot(b, p->vip_ids[v]);
		__u32 want = t->id[v] ? t->id[v] : t->empty_id;

		mine[p->vip_ids[v]] = 1;
		if (slot_id(l, t, s) == want)
			continue;
		if (t->fd[v] < 0 && t->id[v]) { /* kept: both slots held it */
			err = -ESTALE;
			goto out;
		}
		slots[n] = s;
		vals[n++] = (__u32)(t->fd[v] >= 0 ? t->fd[v] : empty);
	}
	for (__u32 v = 0; l->table_ids && v < XDPLB_MAX_VIPS; v++) {
		__u32 s = xdplb_table_slot(b, v);

		if (mine[v] || !l->table_ids[s] || l->table_ids[s] == t->empty_id)
			continue;
		slots[n] = s;
		vals[n++] = (__u32)empty;
	}
	/* a write to a map of maps waits for a grace period (one per batch) */
	t0 = mono_now();
	err = batch_update(LB_FD(m, tables), slots, vals, n, "the tables map");
	if (st && n)
		st->rcu_s += mono_now() - t0;
out:
	free(slots);
	free(vals);
	free(mine);
	return err;
}

/* Does bank b's slot of config VIP v hold the table t gives it already,
 * and its backends their counts of it? After a complete commit (both
 * banks equal), in a plan whose ids are all the live ones (same_ids: a
 * health change), yes when the slot keeps its map: the commit that put
 * the map there wrote the counts of its backends in that bank. */
static bool be_slots_kept(const struct lb_live *l, const struct plan *p, const struct tables *t,
			  __u32 v, __u32 b, bool complete)
{
	__u32 want = t->id[v] ? t->id[v] : t->empty_id;

	return complete && p->same_ids && l->table_ids &&
	       slot_id(l, t, xdplb_table_slot(b, p->vip_ids[v])) == want;
}

/* Publishes bank b's slot count of every backend of the config (be_slots,
 * bpf/xdplb_abi.h): from the table this commit built for its VIP when
 * there is one (the Maglev counts), 0 with the empty table, and for a
 * table kept from the other bank that bank's counts (the same map and the
 * same ids). Through a mapping of the pages that hold the entries written,
 * no syscall per entry; a health change writes only its VIPs' entries. */
static int write_be_slots(const struct lb_maps *m, const struct lb_live *l, const struct plan *p,
			  const struct checked *c, const struct tables *t, __u32 b, bool complete)
{
	__u32 lo = UINT32_MAX, hi = 0;
	struct be_slots_window w;
	struct xdplb_be_slots *bs;

	for (__u32 v = 0; v < t->n; v++) {
		if (be_slots_kept(l, p, t, v, b, complete))
			continue;
		for (__u32 k = 0; k < c->cfg.vips[v].n_backends; k++) {
			__u32 id = p->be_ids[v][k];

			lo = id < lo ? id : lo;
			hi = id > hi ? id : hi;
		}
	}
	if (lo > hi)
		return 0; /* nothing to write */
	bs = maps_be_slots_map_range(m, lo, hi - lo + 1, &w);
	if (!bs) {
		int err = -errno;

		pr_warn("mapping be_slots to publish the slot counts: %s\n", strerror(errno));
		return err;
	}
	for (__u32 v = 0; v < t->n; v++) {
		const __u32 *counts = c->tables.counts ? c->tables.counts[v] : NULL;

		if (be_slots_kept(l, p, t, v, b, complete))
			continue;
		for (__u32 k = 0; k < c->cfg.vips[v].n_backends; k++) {
			struct xdplb_be_slots *e = &bs[p->be_ids[v][k] - lo];

			if (!t->id[v])
				e->slots[b] = 0;
			else if (counts)
				e->slots[b] = counts[k];
			else
				e->slots[b] = e->slots[b ^ 1];
		}
	}
	maps_be_slots_unmap_range(&w);
	return 0;
}

/* Zeroes the counters of ids handed out by this plan, and writes the
 * names the live maps do not hold. */
static int write_ids_data(const struct lb_maps *m, const struct plan *p, const struct checked *c)
{
	const struct xdplb_config *cfg = &c->cfg;
	__u32 ncpu = (__u32)libbpf_num_possible_cpus(), nfv = 0, nfb = 0, total_be = 0;
	int err = -ENOMEM;
	void *zeros = NULL;

	if (p->same_ids && !p->n_vnames && !p->n_bnames)
		return 0; /* a health change: no fresh id, no name */
	for (__u32 v = 0; v < cfg->n_vips; v++)
		total_be += cfg->vips[v].n_backends;

	__u32 *fvkeys = calloc(cfg->n_vips + 1, sizeof(__u32));
	__u32 *fbkeys = calloc(total_be + 1, sizeof(__u32));

	if (!fvkeys || !fbkeys)
		goto out;
	for (__u32 v = 0; v < cfg->n_vips; v++) {
		if (p->vip_fresh[v])
			fvkeys[nfv++] = p->vip_ids[v];
		for (__u32 b = 0; b < cfg->vips[v].n_backends; b++)
			if (p->be_fresh[v][b])
				fbkeys[nfb++] = p->be_ids[v][b];
	}
	/* zeros for the fresh ids only (none in a health change), not for
	 * every backend of the config */
	zeros = calloc((size_t)((nfv > nfb ? nfv : nfb) + 1) * ncpu,
		       sizeof(struct xdplb_vip_stats));
	if (!zeros)
		goto out;
	err = batch_update(LB_FD(m, vip_stats), fvkeys, zeros, nfv, "VIP counters");
	if (!err)
		err = batch_update(LB_FD(m, be_stats), fbkeys, zeros, nfb, "backend counters");
	if (!err)
		err = batch_update(LB_FD(m, vip_names), p->vname_ids, p->vnames, p->n_vnames,
				   "VIP names");
	if (!err)
		err = batch_update(LB_FD(m, be_names), p->bname_ids, p->bnames, p->n_bnames,
				   "backend names");
out:
	free(fvkeys);
	free(fbkeys);
	free(zeros);
	return err;
}

/* Backend and vips entries, whole values, in two batches. */
static int write_entries(const struct lb_maps *m, const struct plan_be_write *bw, __u32 nb,
			 const struct plan_vip_write *vw, __u32 nv)
{
	__u32 *bkeys = calloc(nb + 1, sizeof(*bkeys));
	struct xdplb_backend *bvals = calloc(nb + 1, sizeof(*bvals));
	struct xdplb_vip_key *vkeys = calloc(nv + 1, sizeof(*vkeys));
	struct xdplb_vip_val *vvals = calloc(nv + 1, sizeof(*vvals));
	int err = -ENOMEM;

	if (!bkeys || !bvals || !vkeys || !vvals)
		goto out;
	for (__u32 i = 0; i < nb; i++) {
		bkeys[i] = bw[i].id;
		bvals[i] = bw[i].val;
	}
	for (__u32 i = 0; i < nv; i++) {
		vkeys[i] = vw[i].key;
		vvals[i] = vw[i].val;
	}
	err = batch_update(LB_FD(m, backends), bkeys, bvals, nb, "the backends map");
	if (!err)
		err = batch_update(LB_FD(m, vips), vkeys, vvals, nv, "the vips map");
out:
	free(bkeys);
	free(bvals);
	free(vkeys);
	free(vvals);
	return err;
}

static int write_filter(const struct lb_maps *m, __u32 bank, const struct xdplb_vip_filter *f)
{
	if (bpf_map_update_elem(LB_FD(m, vip_filter), &bank, f, BPF_ANY)) {
		int err = -errno;

		pr_warn("writing the VIP filter: %s\n", strerror(errno));
		return err;
	}
	return 0;
}

/* After the flip: keys in neither bank any more. */
static int delete_stale_vips(const struct lb_maps *m, const struct plan *p)
{
	for (__u32 i = 0; i < p->n_vdel; i++) {
		if (bpf_map_delete_elem(LB_FD(m, vips), &p->vdel[i]) && errno != ENOENT) {
			int err = -errno;

			pr_warn("deleting a removed VIP entry: %s\n", strerror(errno));
			return err;
		}
	}
	return 0;
}

static int write_ctl(const struct lb_maps *m, const struct xdplb_ctl *ctl)
{
	__u32 zero = 0;

	if (bpf_map_update_elem(LB_FD(m, ctl), &zero, ctl, BPF_ANY)) {
		int err = -errno;

		pr_warn("writing the ctl map: %s\n", strerror(errno));
		return err;
	}
	return 0;
}

/* The barrier's wall time, apart from the commit's own work. */
static int timed_barrier(const struct lb_maps *m, struct commit_stats *st)
{
	double t0 = mono_now();
	int err = maps_barrier(m);

	if (st)
		st->rcu_s += mono_now() - t0;
	return err;
}

/* The bank packets do not use holds the new config. */
static int fill_inactive(const struct lb_maps *m, const struct lb_live *l, const struct plan *p,
			 const struct checked *c, const struct tables *t, bool complete,
			 struct commit_stats *st)
{
	int err = write_slots(m, l, p, t, p->bank, st);

	if (!err)
		err = write_be_slots(m, l, p, c, t, p->bank, complete);
	fault_point("tables-written");
	if (!err)
		err = write_ids_data(m, p, c);
	fault_point("names-written");
	if (!err)
		err = write_entries(m, p->bw, p->n_bw, p->vw, p->n_vw);
	if (!err)
		err = write_filter(m, p->bank, &p->filter);
	fault_point("entries-written");
	if (!err)
		err = write_ctl(m, &p->ctl);
	fault_point("ctl-written");
	return err;
}

/* After the flip and the barrier: the old bank made equal to the new. */
static int mirror(const struct lb_maps *m, const struct lb_live *l, const struct plan *p,
		  const struct checked *c, const struct tables *t, bool complete,
		  struct xdplb_ctl *ctl, struct commit_stats *st)
{
	int err = write_slots(m, l, p, t, p->bank ^ 1, st);

	if (!err)
		err = write_be_slots(m, l, p, c, t, p->bank ^ 1, complete);
	fault_point("old-bank-released");
	if (!err)
		err = write_entries(m, p->mbw, p->n_mbw, p->mvw, p->n_mvw);
	if (!err)
		err = delete_stale_vips(m, p);
	if (!err)
		err = write_filter(m, p->bank ^ 1, &p->filter);
	fault_point("stale-vips-deleted");
	/* last: equal banks say that this commit completed */
	ctl->bank[p->bank ^ 1] = ctl->bank[p->bank];
	if (!err)
		err = write_ctl(m, ctl);
	return err;
}

int maps_commit(const struct lb_maps *m, const struct lb_live *l, const struct plan *p,
		const struct checked *c, __u32 *table_ids, struct commit_stats *st)
{
	struct xdplb_ctl ctl = p->ctl;
	struct tables t = { 0 };
	bool complete = !memcmp(&l->ctl.bank[0], &l->ctl.bank[1], sizeof(l->ctl.bank[0]));
	int err = 0;

	/* 1. an earlier commit that did not complete may have flipped without
	 * waiting; one that completed left both banks equal */
	if (!complete)
		err = timed_barrier(m, st);
	fault_point("barrier-before");
	/* 2. the inactive bank: nothing reads it, so any order works */
	if (!err)
		err = make_tables(m, l, p, c, &t);
	if (!err)
		err = fill_inactive(m, l, p, c, &t, complete, st);
	if (err)
		goto out; /* the live bank was never touched */
	/* 3. the commit point: one aligned word */
	ctl.active = p->bank;
	err = write_ctl(m, &ctl);
	if (err)
		goto out;
	if (st)
		st->flip_at = mono_now();
	fault_point("flipped");
	/* 4. wait for packets that read the old index, then copy forward */
	err = timed_barrier(m, st);
	fault_point("barrier-after");
	if (!err)
		err = mirror(m, l, p, c, &t, complete, &ctl, st);
	if (err)
		pr_warn("the new config is live, but making the other bank equal failed; the next change writes it whole\n");
	err = 0;
	for (__u32 v = 0; table_ids && v < t.n; v++)
		table_ids[v] = t.id[v];
out:
	tables_close(&t);
	return err;
}

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * commit.c - applying a plan to the maps, atomically (commit.h,
 * docs/atomicity.md): fill the inactive bank, flip one word, wait for the
 * packets that read the old bank, free it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "commit.h"
#include "fault.h"
#include "log.h"
#include "maps.h"

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

/* Writes a new table's n entries: through a mapping of the (mmapable)
 * array, one memcpy instead of a syscall copy per entry; by batch update
 * where mapping fails. The mapping is gone before the caller freezes the
 * map (a frozen map refuses writable mappings, and freezing refuses a map
 * that has one). */
static int table_write(int fd, const struct xdplb_slot_pair *pairs, const __u32 *keys, __u32 n)
{
	size_t bytes = (size_t)n * sizeof(*pairs);
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return batch_update(fd, keys, pairs, n, "a Maglev table");
	memcpy(p, pairs, bytes);
	munmap(p, bytes);
	return 0;
}

/* The slots of a bank that held a table when l was read (not the empty
 * one). A new LB (no table ids) has none. */
static __u32 busy_slots(const struct lb_live *l, __u32 empty_id, __u32 bank, __u32 *out)
{
	__u32 n = 0;

	for (__u32 v = 0; l->table_ids && v < XDPLB_MAX_VIPS; v++) {
		__u32 slot = xdplb_table_slot(bank, v);

		if (l->table_ids[slot] && l->table_ids[slot] != empty_id)
			out[n++] = slot;
	}
	return n;
}

/* Points the tables slots slots[0..n) at the empty table, in one batch. */
static int to_empty(const struct lb_maps *m, const __u32 *slots, __u32 n, const char *what)
{
	__u32 *vals = malloc((n + 1) * sizeof(*vals));
	int err;

	if (!vals)
		return -ENOMEM;
	for (__u32 i = 0; i < n; i++)
		vals[i] = (__u32)LB_FD(m, table_empty);
	err = batch_update(LB_FD(m, tables), slots, vals, n, what);
	free(vals);
	return err;
}

int maps_fill_slots(const struct lb_maps *m)
{
	__u32 *slots = malloc(XDPLB_TABLE_SLOTS * sizeof(*slots));
	int err = 0;

	if (!slots)
		return -ENOMEM;
	/* nothing ever writes the empty table, not even bpftool */
	if (bpf_map_freeze(LB_FD(m, table_empty)) && errno != EBUSY) {
		err = -errno;
		pr_warn("freezing the empty table: %s\n", strerror(errno));
	}
	for (__u32 i = 0; i < XDPLB_TABLE_SLOTS; i++)
		slots[i] = i;
	if (!err)
		err = to_empty(m, slots, XDPLB_TABLE_SLOTS, "the tables map (new)");
	free(slots);
	return err;
}

/* Points every slot of a bank that held a table at the empty one, freeing
 * its tables. Nothing reads that bank (callers make sure). */
static int release_bank(const struct lb_maps *m, const struct lb_live *l, __u32 empty_id,
			__u32 bank)
{
	__u32 *slots = malloc(XDPLB_MAX_VIPS * sizeof(*slots));
	int err;

	if (!slots)
		return -ENOMEM;
	err = to_empty(m, slots, busy_slots(l, empty_id, bank, slots),
		       "the tables map (freeing a bank)");
	free(slots);
	return err;
}

/* One inner table map per VIP that takes new flows, filled, then put into
 * the bank's slots with one batch. */
static int write_tables(const struct lb_maps *m, const struct lb_live *l, __u32 empty_id,
			const struct plan *p, const struct checked *c)
{
	const struct xdplb_config *cfg = &c->cfg;
	__u32 *slots = calloc(cfg->n_vips + XDPLB_MAX_VIPS, sizeof(*slots));
	int *fds = calloc(cfg->n_vips + XDPLB_MAX_VIPS, sizeof(*fds));
	__u32 n = 0, nt = 0, *keys = NULL, *ids = NULL, *busy = NULL;
	int err = 0;

	keys = malloc(XDPLB_MAX_TABLE_SIZE * sizeof(*keys));
	ids = malloc((XDPLB_MAX_TABLE_SIZE + 1) * sizeof(*ids)); /* read as pairs */
	if (!slots || !fds || !keys || !ids) {
		err = -ENOMEM;
		goto out;
	}
	for (__u32 k = 0; k < XDPLB_MAX_TABLE_SIZE; k++)
		keys[k] = k;
	for (__u32 v = 0; v < cfg->n_vips; v++) {
		const struct cfg_vip *vip = &cfg->vips[v];
		int fd;

		if (vip_active_weight(vip, NULL) == 0)
			continue;
		if (p->reuse && p->reuse[v]) {
			/* the same table: the new bank shares the live map (tables
			 * are never written once published) */
			__u32 live_slot = xdplb_table_slot(p->bank ^ 1, p->vip_ids[v]);
			struct bpf_map_info info = {};
			__u32 ilen = sizeof(info);

			fd = l->table_ids ? bpf_map_get_fd_by_id(l->table_ids[live_slot]) : -1;
			if (fd >= 0 && (bpf_obj_get_info_by_fd(fd, &info, &ilen) ||
					info.max_entries != XDPLB_TABLE_ENTRIES(vip->table_size))) {
				close(fd); /* not what it should be: build it anew */
				fd = -1;
			}
			if (fd >= 0) {
				fds[n] = fd;
				slots[n++] = xdplb_table_slot(p->bank, p->vip_ids[v]);
				nt = n;
				continue;
			}
		}
		for (__u32 s = 0; s < vip->table_size; s++)
			ids[s] = p->be_ids[v][c->tables.slots[v][s]];
		ids[vip->table_size] = MAGLEV_NONE; /* the unused half of an odd table */
		fd = table_create(p->vip_ids[v], XDPLB_TABLE_ENTRIES(vip->table_size));
		if (fd < 0) {
			err = -errno;
			pr_warn("creating the table of VIP %s (%u slots): %s\n", vip->name,
				vip->table_size, strerror(errno));
			goto out;
		}
		fds[n] = fd;
		slots[n++] = xdplb_table_slot(p->bank, p->vip_ids[v]);
		nt = n; /* tables created so far: closed at the end */
		err = table_write(fd, (const struct xdplb_slot_pair *)ids, keys,
				  XDPLB_TABLE_ENTRIES(vip->table_size));
		/* read-only from userspace from now on: a published table never
		 * changes (a later load may share it), not even by bpftool */
		if (!err && bpf_map_freeze(fd)) {
			err = -errno;
			pr_warn("freezing the table of VIP %s: %s\n", vip->name, strerror(errno));
		}
		if (err)
			goto out;
	}
	/* slots of this bank that held tables no longer wanted: the empty one */
	busy = malloc(XDPLB_MAX_VIPS * sizeof(*busy));
	if (!busy) {
		err = -ENOMEM;
		goto out;
	}
	for (__u32 i = 0, nb = busy_slots(l, empty_id, p->bank, busy); i < nb; i++) {
		bool wanted = false;

		for (__u32 k = 0; k < nt && !wanted; k++)
			wanted = slots[k] == busy[i];
		if (!wanted) {
			slots[n] = busy[i];
			fds[n++] = LB_FD(m, table_empty);
		}
	}
	if (n) {
		/* the fds as __u32 values, as the kernel wants them */
		__u32 *vals = calloc(n, sizeof(*vals));

		if (!vals) {
			err = -ENOMEM;
			goto out;
		}
		for (__u32 i = 0; i < n; i++)
			vals[i] = (__u32)fds[i];
		err = batch_update(LB_FD(m, tables), slots, vals, n, "the tables map");
		free(vals);
	}
out:
	for (__u32 i = 0; i < nt; i++)
		close(fds[i]);
	free(slots);
	free(fds);
	free(keys);
	free(ids);
	free(busy);
	return err;
}

/* Zeroes the counters of ids handed out by this plan, and writes names. */
static int write_ids_data(const struct lb_maps *m, const struct plan *p, const struct checked *c)
{
	const struct xdplb_config *cfg = &c->cfg;
	__u32 ncpu = (__u32)libbpf_num_possible_cpus(), nv = 0, nb = 0, nfv = 0, nfb = 0;
	__u32 total_be = 0;
	int err = -ENOMEM;

	for (__u32 v = 0; v < cfg->n_vips; v++)
		total_be += cfg->vips[v].n_backends;

	__u32 *vkeys = calloc(cfg->n_vips + 1, sizeof(__u32));
	__u32 *bkeys = calloc(total_be + 1, sizeof(__u32));
	__u32 *fvkeys = calloc(cfg->n_vips + 1, sizeof(__u32));
	__u32 *fbkeys = calloc(total_be + 1, sizeof(__u32));
	struct xdplb_name *vnames = calloc(cfg->n_vips + 1, sizeof(*vnames));
	struct xdplb_name *bnames = calloc(total_be + 1, sizeof(*bnames));
	void *zeros =
		calloc((size_t)(total_be + cfg->n_vips + 1) * ncpu, sizeof(struct xdplb_vip_stats));

	if (!vkeys || !bkeys || !fvkeys || !fbkeys || !vnames || !bnames || !zeros)
		goto out;
	for (__u32 v = 0; v < cfg->n_vips; v++) {
		const struct cfg_vip *vip = &cfg->vips[v];

		vkeys[nv] = p->vip_ids[v];
		memcpy(vnames[nv++].s, vip->name, sizeof(vip->name));
		if (p->vip_fresh[v])
			fvkeys[nfv++] = p->vip_ids[v];
		for (__u32 b = 0; b < vip->n_backends; b++) {
			bkeys[nb] = p->be_ids[v][b];
			memcpy(bnames[nb++].s, vip->backends[b].name, XDPLB_NAME_LEN);
			if (p->be_fresh[v][b])
				fbkeys[nfb++] = p->be_ids[v][b];
		}
	}
	err = batch_update(LB_FD(m, vip_stats), fvkeys, zeros, nfv, "VIP counters");
	if (!err)
		err = batch_update(LB_FD(m, be_stats), fbkeys, zeros, nfb, "backend counters");
	if (!err)
		err = batch_update(LB_FD(m, vip_names), vkeys, vnames, nv, "VIP names");
	if (!err)
		err = batch_update(LB_FD(m, be_names), bkeys, bnames, nb, "backend names");
out:
	free(vkeys);
	free(bkeys);
	free(fvkeys);
	free(fbkeys);
	free(vnames);
	free(bnames);
	free(zeros);
	return err;
}

static int write_entries(const struct lb_maps *m, const struct plan *p)
{
	__u32 *bkeys = calloc(p->n_bw + 1, sizeof(*bkeys));
	struct xdplb_backend *bvals = calloc(p->n_bw + 1, sizeof(*bvals));
	struct xdplb_vip_key *vkeys = calloc(p->n_vw + 1, sizeof(*vkeys));
	struct xdplb_vip_val *vvals = calloc(p->n_vw + 1, sizeof(*vvals));
	int err = -ENOMEM;

	if (!bkeys || !bvals || !vkeys || !vvals)
		goto out;
	for (__u32 i = 0; i < p->n_bw; i++) {
		bkeys[i] = p->bw[i].id;
		bvals[i] = p->bw[i].val;
	}
	for (__u32 i = 0; i < p->n_vw; i++) {
		vkeys[i] = p->vw[i].key;
		vvals[i] = p->vw[i].val;
	}
	err = batch_update(LB_FD(m, backends), bkeys, bvals, p->n_bw, "the backends map");
	if (!err)
		err = batch_update(LB_FD(m, vips), vkeys, vvals, p->n_vw, "the vips map");
	if (!err && bpf_map_update_elem(LB_FD(m, vip_filter), &p->bank, &p->filter, BPF_ANY)) {
		err = -errno;
		pr_warn("writing the VIP filter: %s\n", strerror(errno));
	}
out:
	free(bkeys);
	free(bvals);
	free(vkeys);
	free(vvals);
	return err;
}

/* After the flip: entries that the new active bank does not have. */
static int delete_stale_vips(const struct lb_maps *m, const struct plan *p)
{
	for (__u32 i = 0; i < p->n_vw; i++) {
		if (p->vw[i].val.bank[p->bank].flags & XDPLB_VIP_F_PRESENT)
			continue;
		if (bpf_map_delete_elem(LB_FD(m, vips), &p->vw[i].key) && errno != ENOENT) {
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

int maps_commit(const struct lb_maps *m, const struct lb_live *l, const struct plan *p,
		const struct checked *c)
{
	struct xdplb_ctl ctl = p->ctl;
	__u32 empty_id;
	int err;

	err = maps_id(LB_FD(m, table_empty), &empty_id);
	if (err) {
		pr_warn("reading the empty table's id: %s\n", strerror(-err));
		return err;
	}
	/* 1. a crashed earlier load may have flipped without waiting */
	err = maps_barrier(m);
	fault_point("barrier-before");
	/* 2. the inactive bank: nothing reads it, so any order works */
	if (!err)
		err = write_tables(m, l, empty_id, p, c);
	fault_point("tables-written");
	if (!err)
		err = write_ids_data(m, p, c);
	fault_point("names-written");
	if (!err)
		err = write_entries(m, p);
	fault_point("entries-written");
	if (!err)
		err = write_ctl(m, &ctl);
	fault_point("ctl-written");
	if (err)
		return err; /* the live bank was never touched */
	/* 3. the commit point: one aligned word */
	ctl.active = p->bank;
	err = write_ctl(m, &ctl);
	if (err)
		return err;
	fault_point("flipped");
	/* 4. wait for packets that read the old index, then free the old bank */
	err = maps_barrier(m);
	fault_point("barrier-after");
	if (!err)
		err = release_bank(m, l, empty_id, p->bank ^ 1);
	fault_point("old-bank-released");
	if (!err)
		err = delete_stale_vips(m, p);
	fault_point("stale-vips-deleted");
	if (err)
		pr_warn("the new config is live, but cleaning up the old one failed; the next load retries\n");
	return 0;
}

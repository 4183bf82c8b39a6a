/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * maps.h - the LB's maps, reached through the skeleton (skel->maps.NAME,
 * LB_FD(m, NAME)): there is no second table of map names. The object is
 * opened (its ELF parsed, no syscall) and its maps either reused from the
 * pins of an interface or created by a load; the program itself is loaded
 * only when it is needed (first load, a new program version, explain).
 */
#ifndef XDPLB_MAPS_H
#define XDPLB_MAPS_H

#include <bpf/libbpf.h>

#include "xdplb.skel.h"
#include "xdplb_abi.h"

struct lb_maps {
	struct xdplb_bpf *skel;
};

#define LB_MAP(m, name) ((m)->skel->maps.name)
#define LB_FD(m, name) bpf_map__fd(LB_MAP(m, name))

/* Opens the embedded object; nothing is created until it is loaded. */
int maps_open(struct lb_maps *m);
/* The same with every map reused from its pin in dir. -ENOENT when dir
 * holds none (nothing loaded); -EPROTO (said) when it holds another
 * xdplb version's set (some missing, or of other sizes). */
int maps_open_pinned(const char *dir, struct lb_maps *m);
/* Makes the next load pin every map it creates in dir (libbpf's pinning). */
int maps_pin_at(const struct lb_maps *m, const char *dir);
void maps_close(struct lb_maps *m);

/* Sizes conntrack for ct_size flows (loader/core/flowtab.h), before the
 * object is loaded. */
int maps_ct_size(const struct lb_maps *m, __u32 ct_size);
/* conntrack's geometry and a new random hash key into ctl, for the first
 * commit into maps that maps_ct_size() sized. */
int maps_ct_geometry(__u32 ct_size, struct xdplb_ctl *ctl);

/* SHA-256 of the embedded BPF object: what ctl.prog_digest records. */
void maps_object_digest(__u8 out[32]);

/* Values of keys first..first+n-1 of an array map, in one batch (per-CPU
 * arrays: ncpu values of 8-byte-rounded size per key). */
int maps_read_range(int fd, __u32 first, __u32 n, void *values);
/* The id of the map behind fd. */
int maps_id(int fd, __u32 *id);

/* The n entries of the table map fd (a mapping when it is mmapable, batch
 * lookups otherwise); -EBADMSG when it is not a table of n entries. */
int maps_table_pairs(int fd, __u32 n, struct xdplb_slot_pair *out);
/* The size slots of the table map with this id, as backend ids. */
int maps_read_table_id(__u32 map_id, __u32 size, __u32 *out);
/* The same for the table in tables slot `slot`. */
int maps_read_table(const struct lb_maps *m, __u32 slot, __u32 size, __u32 *out);

/* The be_slots map (XDPLB_MAX_BACKENDS entries) mapped into memory,
 * writable or read-only; NULL with errno set when it cannot be. Reads and
 * writes through it are no syscalls. */
struct xdplb_be_slots *maps_be_slots_map(const struct lb_maps *m, bool writable);
void maps_be_slots_unmap(struct xdplb_be_slots *bs);

/* Entries [first, first + n) of be_slots only (n > 0), writable: the pages
 * that hold them are mapped, not the whole map (2 MB: mapping and
 * unmapping it is most of what a health commit's slot counts cost).
 * Returns the entry `first`, or NULL with errno set; w keeps the mapping
 * for maps_be_slots_unmap_range(). */
struct be_slots_window {
	void *map;
	size_t len;
};
struct xdplb_be_slots *maps_be_slots_map_range(const struct lb_maps *m, __u32 first, __u32 n,
					       struct be_slots_window *w);
void maps_be_slots_unmap_range(struct be_slots_window *w);

/* Per-CPU values summed: nvals __u64 counters per entry, entry `key`. */
int maps_sum_percpu(int fd, __u32 key, __u64 *out, __u32 nvals);

#endif

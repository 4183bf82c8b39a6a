// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * maps.c - the LB's maps through the skeleton (maps.h), and the reads that
 * every reader shares.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "maps.h"
#include "flowtab.h"
#include "khz.h"
#include "sha256.h"

_Static_assert(sizeof(struct xdplb_vip_key) == 20, "vip key layout");
_Static_assert(sizeof(struct xdplb_vip_val) == 32, "vip value layout");
_Static_assert(sizeof(struct xdplb_backend) == 40, "backend layout");
_Static_assert(XDPLB_GLOBAL_MAX <= XDPLB_SLOT_ICMP_SENT,
	       "global_stats has a slot for each counter");
_Static_assert(sizeof(struct xdplb_flow_key) == 40, "flow key layout");
_Static_assert(sizeof(struct xdplb_flow_bucket) == 64, "a flow bucket is one cache line");
_Static_assert(XDPLB_MAX_BACKENDS == 1u << XDPLB_CT_REF_ID_BITS &&
		       XDPLB_MAX_VIPS <= 1u << (32 - XDPLB_CT_REF_ID_BITS),
	       "a conntrack ref holds every backend id and every VIP id");
_Static_assert(sizeof(struct xdplb_global_cfg) % 8 == 0, "global cfg padding");
_Static_assert(sizeof(struct xdplb_ctl) % 8 == 0, "ctl padding");
_Static_assert(sizeof(struct xdplb_be_stats) == 24, "backend stats layout");
_Static_assert(sizeof(struct xdplb_vip_stats) == 48, "vip stats layout");

int maps_open(struct lb_maps *m)
{
	m->skel = xdplb_bpf__open();
	if (!m->skel) {
		int err = -errno;

		pr_warn("opening the embedded BPF object: %s\n", strerror(errno));
		return err;
	}
	return 0;
}

void maps_close(struct lb_maps *m)
{
	xdplb_bpf__destroy(m->skel);
	m->skel = NULL;
}

/* The ABI version a pinned ctl map of another layout says it has. */
static __u32 pinned_abi(int fd, __u32 value_size)
{
	__u32 zero = 0, v = 0, *raw = calloc(1, value_size > 8 ? value_size : 8);

	if (raw && !bpf_map_lookup_elem(fd, &zero, raw))
		v = raw[1]; /* struct xdplb_ctl: active, then abi_version, in every version */
	free(raw);
	return v;
}

/* Reuses the map pinned at path for map; -ENOENT when there is none. */
static int reuse_pin(struct bpf_map *map, const char *path)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_obj_get(path), err = 0;

	if (fd < 0)
		return -errno;
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		err = -errno;
	} else if (info.value_size != bpf_map__value_size(map) ||
		   info.key_size != bpf_map__key_size(map)) {
		if (!strcmp(bpf_map__name(map), "ctl"))
			pr_err("the live maps have ABI version %u, this xdplb has %u: unload first\n",
			       pinned_abi(fd, info.value_size), XDPLB_ABI_VERSION);
		else
			pr_err("%s: a map of another layout (another xdplb version): unload first\n",
			       path);
		err = -EPROTO;
	} else {
		err = bpf_map__reuse_fd(map, fd);
		if (err)
			pr_warn("reusing the pinned map %s: %s\n", path, strerror(-err));
	}
	close(fd);
	return err;
}

int maps_open_pinned(const char *dir, struct lb_maps *m)
{
	struct bpf_map *map;
	int found = 0, missing = 0, err;
	char path[600];

	err = maps_open(m);
	if (err)
		return err;
	bpf_object__for_each_map(map, m->skel->obj)
	{
		snprintf(path, sizeof(path), "%s/%s", dir, bpf_map__name(map));
		err = reuse_pin(map, path);
		if (err == -ENOENT) {
			missing++;
			continue;
		}
		if (err) {
			if (err != -EPROTO)
				pr_warn("opening pinned map %s: %s\n", path, strerror(-err));
			goto fail;
		}
		found++;
	}
	if (!missing)
		return 0;
	err = -ENOENT;
	if (found) {
		pr_err("%s holds maps of another xdplb version (some are missing): unload first\n",
		       dir);
		err = -EPROTO;
	}
fail:
	maps_close(m);
	return err;
}

int maps_pin_at(const struct lb_maps *m, const char *dir)
{
	struct bpf_map *map;
	char path[600];

	bpf_object__for_each_map(map, m->skel->obj)
	{
		int err;

		snprintf(path, sizeof(path), "%s/%s", dir, bpf_map__name(map));
		err = bpf_map__set_pin_path(map, path);
		if (err) {
			pr_warn("setting the pin path %s: %s\n", path, strerror(-err));
			return err;
		}
	}
	return 0;
}

static __u32 possible_cpus(void)
{
	int n = libbpf_num_possible_cpus();

	return n > 0 ? (__u32)n : 1;
}

int maps_ct_size(const struct lb_maps *m, __u32 ct_size)
{
	__u32 n = possible_cpus(), bits = flowtab_bits(ct_size, n);
	int err = bpf_map__set_max_entries(m->skel->maps.conntrack, n << bits);

	if (err)
		pr_warn("sizing conntrack for %u flows (%u CPUs x %u buckets): %s\n", ct_size, n,
			1u << bits, strerror(-err));
	return err;
}

int maps_ct_geometry(__u32 ct_size, struct xdplb_ctl *ctl)
{
	__u32 n = possible_cpus();

	ctl->ct_cpus = n;
	ctl->ct_bits = flowtab_bits(ct_size, n);
	ctl->ct_size = ct_size;
	ctl->ct_hz = kernel_hz();
	if (getrandom(ctl->ct_key, sizeof(ctl->ct_key), 0) != sizeof(ctl->ct_key)) {
		int err = -errno;

		pr_warn("conntrack's hash key from getrandom: %s\n", strerror(errno));
		return err;
	}
	return 0;
}

void maps_object_digest(__u8 out[32])
{
	size_t len;
	const void *elf = xdplb_bpf__elf_bytes(&len);

	sha256(elf, len, out);
}

int maps_read_range(int fd, __u32 first, __u32 n, void *values)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	__u32 *keys = malloc((n ? n : 1) * sizeof(*keys)), prev = first - 1, out_batch, cnt = n;
	int err = 0;

	if (!keys)
		return -ENOMEM;
	/* an array's batch starts after the key given (none: at 0) */
	if (bpf_map_lookup_batch(fd, first ? &prev : NULL, &out_batch, keys, values, &cnt, &o) &&
	    errno != ENOENT)
		err = -errno;
	else if (cnt != n)
		err = -ENODATA;
	free(keys);
	return err;
}

#define BE_SLOTS_BYTES ((size_t)XDPLB_MAX_BACKENDS * sizeof(struct xdplb_be_slots))

struct xdplb_be_slots *maps_be_slots_map(const struct lb_maps *m, bool writable)
{
	int prot = PROT_READ | (writable ? PROT_WRITE : 0);
	void *p = mmap(NULL, BE_SLOTS_BYTES, prot, MAP_SHARED, LB_FD(m, be_slots), 0);

	return p == MAP_FAILED ? NULL : p;
}

void maps_be_slots_unmap(struct xdplb_be_slots *bs)
{
	if (bs)
		munmap(bs, BE_SLOTS_BYTES);
}

struct xdplb_be_slots *maps_be_slots_map_range(const struct lb_maps *m, __u32 first, __u32 n,
					       struct be_slots_window *w)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), sz = sizeof(struct xdplb_be_slots);
	size_t from = (size_t)first * sz / page * page, to = (size_t)(first + n) * sz;

	w->map = NULL;
	if (!n || (size_t)first + n > XDPLB_MAX_BACKENDS) {
		errno = EINVAL;
		return NULL;
	}
	w->len = (to - from + page - 1) / page * page;
	w->map = mmap(NULL, w->len, PROT_READ | PROT_WRITE, MAP_SHARED, LB_FD(m, be_slots),
		      (off_t)from);
	if (w->map == MAP_FAILED) {
		w->map = NULL;
		return NULL;
	}
	return (struct xdplb_be_slots *)((char *)w->map + ((size_t)first * sz - from));
}

void maps_be_slots_unmap_range(struct be_slots_window *w)
{
	if (w->map)
		munmap(w->map, w->len);
	w->map = NULL;
}

int maps_table_pairs(int fd, __u32 n, struct xdplb_slot_pair *out)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), cnt = n, out_batch, *keys;
	size_t bytes = (size_t)n * sizeof(*out);
	void *p;
	int err = 0;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.max_entries != n || info.value_size != sizeof(*out))
		return -EBADMSG; /* not a table of this size */
	if (info.map_flags & BPF_F_MMAPABLE) {
		p = mmap(NULL, bytes, PROT_READ, MAP_SHARED, fd, 0);
		if (p != MAP_FAILED) {
			memcpy(out, p, bytes);
			munmap(p, bytes);
			return 0;
		}
	}
	keys = malloc(n * sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	if (bpf_map_lookup_batch(fd, NULL, &out_batch, keys, out, &cnt, &o) && errno != ENOENT)
		err = -errno;
	else if (cnt != n)
		err = -EBADMSG;
	free(keys);
	return err;
}

int maps_read_table_id(__u32 map_id, __u32 size, __u32 *out)
{
	__u32 n = XDPLB_TABLE_ENTRIES(size);
	struct xdplb_slot_pair *pairs;
	int fd = bpf_map_get_fd_by_id(map_id), err;

	if (fd < 0)
		return -errno;
	pairs = malloc(n * sizeof(*pairs));
	err = pairs ? maps_table_pairs(fd, n, pairs) : -ENOMEM;
	if (!err)
		memcpy(out, pairs, size * sizeof(*out));
	free(pairs);
	close(fd);
	return err;
}

int maps_read_table(const struct lb_maps *m, __u32 slot, __u32 size, __u32 *out)
{
	__u32 id;

	if (bpf_map_lookup_elem(LB_FD(m, tables), &slot, &id))
		return -errno;
	return maps_read_table_id(id, size, out);
}

int maps_id(int fd, __u32 *id)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	*id = info.id;
	return 0;
}

int maps_sum_percpu(int fd, __u32 key, __u64 *out, __u32 nvals)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *buf;

	if (ncpu < 0)
		return ncpu;
	buf = calloc((size_t)ncpu * nvals, sizeof(__u64));
	if (!buf)
		return -ENOMEM;
	memset(out, 0, nvals * sizeof(__u64));
	if (bpf_map_lookup_elem(fd, &key, buf)) {
		int err = -errno;

		free(buf);
		return err;
	}
	for (int c = 0; c < ncpu; c++)
		for (__u32 v = 0; v < nvals; v++)
			out[v] += buf[(size_t)c * nvals + v];
	free(buf);
	return 0;
}

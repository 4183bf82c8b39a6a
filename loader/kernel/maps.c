// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fault.h"
#include "log.h"
#include "maps.h"

_Static_assert(sizeof(struct xdplb_vip_key) == 20, "vip key layout");
_Static_assert(sizeof(struct xdplb_vip_val) == 32, "vip value layout");
_Static_assert(sizeof(struct xdplb_backend) == 32, "backend layout");
_Static_assert(sizeof(struct xdplb_flow_key) == 40, "flow key layout");
_Static_assert(sizeof(struct xdplb_flow_val) == 8, "flow value layout");
_Static_assert(sizeof(struct xdplb_global_cfg) % 8 == 0, "global cfg padding");
_Static_assert(sizeof(struct xdplb_be_stats) == 24, "backend stats layout");
_Static_assert(sizeof(struct xdplb_vip_stats) == 48, "vip stats layout");

const char *const lb_map_names[M_COUNT] = {
	[M_VIPS] = "vips",
	[M_BACKENDS] = "backends",
	[M_TABLES] = "tables",
	[M_CONNTRACK] = "conntrack",
	[M_CTL] = "ctl",
	[M_BE_STATS] = "be_stats",
	[M_VIP_STATS] = "vip_stats",
	[M_GLOBAL_STATS] = "global_stats",
	[M_VIP_NAMES] = "vip_names",
	[M_BE_NAMES] = "be_names",
	[M_VIP_FILTER] = "vip_filter",
};

void maps_init(struct lb_maps *m)
{
	for (int i = 0; i < M_COUNT; i++)
		m->fd[i] = -1;
}

void maps_close(struct lb_maps *m)
{
	for (int i = 0; i < M_COUNT; i++) {
		if (m->fd[i] >= 0)
			close(m->fd[i]);
		m->fd[i] = -1;
	}
}

int maps_open_pinned(const char *dir, struct lb_maps *m)
{
	char path[512];

	maps_init(m);
	for (int i = 0; i < M_COUNT; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, lb_map_names[i]);
		m->fd[i] = bpf_obj_get(path);
		if (m->fd[i] < 0) {
			int err = -errno;

			if (err != -ENOENT)
				pr_warn("opening pinned map %s: %s\n", path, strerror(-err));
			maps_close(m);
			return err;
		}
	}
	return 0;
}

int maps_pin(const struct lb_maps *m, const char *dir)
{
	char path[512];

	for (int i = 0; i < M_COUNT; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, lb_map_names[i]);
		if (bpf_obj_pin(m->fd[i], path)) {
			int err = -errno;

			pr_warn("pinning map %s: %s\n", path, strerror(errno));
			return err;
		}
	}
	return 0;
}

/* Dumps a hash map through batch lookups. */
static int dump_vips(int fd, struct live *l)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	__u32 cap = 4 * XDPLB_MAX_VIPS, n = 0, out_batch, cnt;
	struct xdplb_vip_key *keys = calloc(cap, sizeof(*keys));
	struct xdplb_vip_val *vals = calloc(cap, sizeof(*vals));
	void *in = NULL;
	int err = 0;

	if (!keys || !vals) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		cnt = cap - n;
		if (!cnt)
			break;
		if (bpf_map_lookup_batch(fd, in, &out_batch, keys + n, vals + n, &cnt, &o)) {
			if (errno != ENOENT) {
				err = -errno;
				pr_warn("reading the vips map: %s\n", strerror(errno));
				goto out;
			}
			n += cnt;
			break;
		}
		n += cnt;
		in = &out_batch;
	}
	l->vips = calloc(n + 1, sizeof(*l->vips));
	if (!l->vips) {
		err = -ENOMEM;
		goto out;
	}
	for (__u32 i = 0; i < n; i++) {
		l->vips[i].key = keys[i];
		l->vips[i].val = vals[i];
	}
	l->n_vips = n;
out:
	free(keys);
	free(vals);
	return err;
}

/* Backend entries below ctl.be_span (the rest were never used: zero), or
 * all of them. */
static int dump_backends(int fd, struct live *l, bool all)
{
	__u32 span = all || l->ctl.be_span > XDPLB_MAX_BACKENDS ? XDPLB_MAX_BACKENDS :
								  l->ctl.be_span;
	int err = 0;

	l->be = calloc(XDPLB_MAX_BACKENDS, sizeof(*l->be));
	if (!l->be)
		return -ENOMEM;
	if (span)
		err = maps_read_range(fd, 0, span, l->be);
	if (err)
		pr_warn("reading the backends map: %s\n", strerror(-err));
	return err;
}

int maps_read_live(const struct lb_maps *m, struct live *l)
{
	return maps_read_live_all(m, l, false);
}

int maps_read_live_all(const struct lb_maps *m, struct live *l, bool all_backends)
{
	__u32 zero = 0;
	int err;

	memset(l, 0, sizeof(*l));
	l->exists = true;
	if (bpf_map_lookup_elem(m->fd[M_CTL], &zero, &l->ctl)) {
		err = -errno;
		pr_warn("reading the ctl map: %s\n", strerror(errno));
		return err;
	}
	if (l->ctl.abi_version && l->ctl.abi_version != XDPLB_ABI_VERSION) {
		pr_warn("the live maps have ABI version %u, this xdplb has %u: unload first\n",
			l->ctl.abi_version, XDPLB_ABI_VERSION);
		return -EPROTO;
	}
	err = dump_vips(m->fd[M_VIPS], l);
	if (!err)
		err = dump_backends(m->fd[M_BACKENDS], l, all_backends);
	if (err)
		live_free(l);
	return err;
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

int maps_read_table(const struct lb_maps *m, __u32 slot, __u32 size, __u32 *out)
{
	__u32 id, n = XDPLB_TABLE_ENTRIES(size);
	struct xdplb_slot_pair *pairs;
	int fd, err;

	if (bpf_map_lookup_elem(m->fd[M_TABLES], &slot, &id))
		return -errno;
	fd = bpf_map_get_fd_by_id(id);
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

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "addr.h"
#include "bpffs.h"
#include "config.h"
#include "log.h"
#include "maps.h"
#include "names.h"
#include "netdev.h"
#include "sha256.h"
#include "status.h"

static void read_link(struct lb_status *s)
{
	char path[600];
	struct bpf_link_info li = {};
	struct bpf_prog_info pi = {};
	__u32 len = sizeof(li);
	int fd, pfd, ifindex;

	snprintf(s->mode, sizeof(s->mode), "?");
	snprintf(path, sizeof(path), "%s/link", s->pin_dir);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return;
	if (!bpf_obj_get_info_by_fd(fd, &li, &len)) {
		s->link_id = li.id;
		s->prog_id = li.prog_id;
		ifindex = netdev_ifindex(s->ifname);
		s->attached = li.xdp.ifindex && (int)li.xdp.ifindex == ifindex;
	}
	close(fd);
	pfd = bpf_prog_get_fd_by_id(s->prog_id);
	if (pfd >= 0) {
		len = sizeof(pi);
		if (!bpf_obj_get_info_by_fd(pfd, &pi, &len))
			snprintf(s->prog_name, sizeof(s->prog_name), "%s", pi.name);
		close(pfd);
	}
	if (s->attached) {
		LIBBPF_OPTS(bpf_xdp_query_opts, q);

		if (!bpf_xdp_query(li.xdp.ifindex, 0, &q))
			snprintf(s->mode, sizeof(s->mode), "%s",
				 q.attach_mode == XDP_ATTACHED_SKB ? "generic" :
				 q.attach_mode == XDP_ATTACHED_DRV ? "native" :
								     "other");
	}
}

static int cmp_vip(const void *a, const void *b)
{
	const struct st_vip *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* Slots of each backend in a live table; idx_of maps ids to positions in
 * v->be and is left all-MAX again. */
static void count_slots(struct st_vip *v, const __u32 *table, __u32 *idx_of)
{
	for (__u32 b = 0; b < v->n_be; b++)
		idx_of[v->be[b].id] = b;
	for (__u32 i = 0; i < v->table_size; i++)
		if (table[i] < XDPLB_MAX_BACKENDS && idx_of[table[i]] < v->n_be)
			v->be[idx_of[table[i]]].slots++;
	for (__u32 b = 0; b < v->n_be; b++)
		idx_of[v->be[b].id] = UINT32_MAX;
}

/* Names and summed per-CPU counters of ids 0..n-1 of a names map and a
 * counters map, in two batches. Returns them in *names and *sums (nvals
 * __u64 per id), malloc'ed. */
static int read_id_range(int names_fd, int stats_fd, __u32 n, __u32 stats_size,
			 struct xdplb_name **names, __u64 **sums)
{
	int ncpu = libbpf_num_possible_cpus();
	__u32 nvals = stats_size / sizeof(__u64);
	__u64 *raw;
	int err;

	*names = calloc(n + 1, sizeof(**names));
	*sums = calloc((size_t)(n + 1) * nvals, sizeof(**sums));
	raw = calloc((size_t)(n + 1) * (ncpu > 0 ? ncpu : 1), stats_size);
	if (!*names || !*sums || !raw || ncpu < 0) {
		free(raw);
		return -ENOMEM;
	}
	err = n ? maps_read_range(names_fd, 0, n, *names) : 0;
	if (!err && n)
		err = maps_read_range(stats_fd, 0, n, raw);
	for (__u32 id = 0; !err && id < n; id++)
		for (int c = 0; c < ncpu; c++)
			for (__u32 k = 0; k < nvals; k++)
				(*sums)[(size_t)id * nvals + k] +=
					raw[((size_t)id * ncpu + c) * nvals + k];
	free(raw);
	return err;
}

/* The highest id + 1 among a status' VIPs (vips) or backends. */
static __u32 id_span(const struct lb_status *s, bool vips)
{
	__u32 n = 0;

	for (__u32 v = 0; v < s->n_vips; v++) {
		if (vips && s->vips[v].id + 1 > n)
			n = s->vips[v].id + 1;
		for (__u32 b = 0; !vips && b < s->vips[v].n_be; b++)
			if (s->vips[v].be[b].id + 1 > n)
				n = s->vips[v].be[b].id + 1;
	}
	return n;
}

static int read_vip_extras(const struct lb_maps *m, struct lb_status *s)
{
	__u32 n = id_span(s, true), nv = sizeof(struct xdplb_vip_stats) / sizeof(__u64);
	struct xdplb_name *names;
	__u64 *sums;
	int err = read_id_range(m->fd[M_VIP_NAMES], m->fd[M_VIP_STATS], n,
				sizeof(struct xdplb_vip_stats), &names, &sums);

	for (__u32 v = 0; !err && v < s->n_vips; v++) {
		s->vips[v].name = names[s->vips[v].id];
		memcpy(&s->vips[v].st, &sums[(size_t)s->vips[v].id * nv], sizeof(s->vips[v].st));
	}
	free(names);
	free(sums);
	return err;
}

static int read_backend_extras(const struct lb_maps *m, struct lb_status *s)
{
	__u32 n = id_span(s, false), nv = sizeof(struct xdplb_be_stats) / sizeof(__u64);
	struct xdplb_name *names;
	__u64 *sums;
	int err = read_id_range(m->fd[M_BE_NAMES], m->fd[M_BE_STATS], n,
				sizeof(struct xdplb_be_stats), &names, &sums);

	for (__u32 v = 0; !err && v < s->n_vips; v++) {
		for (__u32 b = 0; b < s->vips[v].n_be; b++) {
			struct st_backend *sb = &s->vips[v].be[b];

			sb->name = names[sb->id];
			memcpy(&sb->st, &sums[(size_t)sb->id * nv], sizeof(sb->st));
		}
	}
	free(names);
	free(sums);
	return err;
}

/* VIPs of the active bank, with their backends, slots and counters. */
static int read_vips(const struct lb_maps *m, const struct live *l, struct lb_status *s,
		     __u32 *idx_of, enum status_tables t)
{
	__u32 a = s->active;
	int err;

	s->vips = calloc(l->n_vips + 1, sizeof(*s->vips));
	if (!s->vips)
		return -ENOMEM;
	for (__u32 i = 0; i < l->n_vips; i++) {
		const struct xdplb_vip_cfg *vc = &l->vips[i].val.bank[a];

		if (!(vc->flags & XDPLB_VIP_F_PRESENT) || !l->vips[i].key.proto)
			continue;
		struct st_vip *v = &s->vips[s->n_vips++];

		v->id = vc->vip_id;
		v->key = l->vips[i].key;
		v->table_size = vc->table_size;
	}
	err = read_vip_extras(m, s);
	if (err)
		return err;
	qsort(s->vips, s->n_vips, sizeof(*s->vips), cmp_vip);
	/* one pass over the backends: idx_of[vip id] = position in s->vips */
	for (__u32 vi = 0; vi < s->n_vips; vi++)
		if (s->vips[vi].id < XDPLB_MAX_VIPS)
			idx_of[s->vips[vi].id] = vi;
	for (__u32 id = 0; id < XDPLB_MAX_BACKENDS; id++) {
		const struct xdplb_backend *b = &l->be[id];

		if (b->state[a] != XDPLB_BE_NONE && b->vip_id < XDPLB_MAX_VIPS &&
		    idx_of[b->vip_id] < s->n_vips)
			s->vips[idx_of[b->vip_id]].n_be++;
	}
	for (__u32 vi = 0; vi < s->n_vips; vi++) {
		s->vips[vi].be = calloc(s->vips[vi].n_be + 1, sizeof(struct st_backend));
		if (!s->vips[vi].be)
			return -ENOMEM;
		s->vips[vi].n_be = 0;
	}
	for (__u32 id = 0; id < XDPLB_MAX_BACKENDS; id++) {
		const struct xdplb_backend *b = &l->be[id];
		struct st_backend *sb;
		struct st_vip *v;

		if (b->state[a] == XDPLB_BE_NONE || b->vip_id >= XDPLB_MAX_VIPS ||
		    idx_of[b->vip_id] >= s->n_vips)
			continue;
		v = &s->vips[idx_of[b->vip_id]];
		sb = &v->be[v->n_be++];
		sb->id = id;
		sb->addr = b->addr;
		sb->family = b->family;
		sb->state = b->state[a];
		sb->weight = b->weight[a];
	}
	err = read_backend_extras(m, s);
	if (err)
		return err;
	for (__u32 vi = 0; vi < s->n_vips; vi++)
		if (s->vips[vi].id < XDPLB_MAX_VIPS)
			idx_of[s->vips[vi].id] = UINT32_MAX;
	for (__u32 vi = 0; vi < s->n_vips; vi++) {
		struct st_vip *v = &s->vips[vi];
		__u32 *table;

		if (!v->table_size || t == ST_TABLES_SKIP)
			continue;
		table = malloc(v->table_size * sizeof(*table));
		if (!table)
			return -ENOMEM;
		if (!maps_read_table(m, xdplb_table_slot(a, v->id), v->table_size, table))
			count_slots(v, table, idx_of);
		if (t == ST_TABLES_KEEP)
			v->table = table;
		else
			free(table);
	}
	return 0;
}

int status_read_maps(const struct lb_maps *m, struct lb_status *s, enum status_tables t)
{
	struct live l;
	struct bpf_map_info mi = {};
	__u32 len = sizeof(mi), *idx_of;
	int err = maps_read_live(m, &l);

	if (err)
		return err;
	s->active = xdplb_active_bank(&l.ctl);
	s->g = l.ctl.bank[s->active];
	if (!bpf_obj_get_info_by_fd(m->fd[M_CONNTRACK], &mi, &len))
		s->ct_size = mi.max_entries;
	for (__u32 i = 0; i < XDPLB_GLOBAL_MAX; i++)
		maps_sum_percpu(m->fd[M_GLOBAL_STATS], i, &s->global[i], 1);
	idx_of = malloc(XDPLB_MAX_BACKENDS * sizeof(*idx_of));
	if (idx_of) {
		memset(idx_of, 0xff, XDPLB_MAX_BACKENDS * sizeof(*idx_of));
		err = read_vips(m, &l, s, idx_of, t);
	} else {
		err = -ENOMEM;
	}
	free(idx_of);
	live_free(&l);
	return err;
}

static int read_status(const char *ifname, struct lb_status *s, enum status_tables t)
{
	struct lb_maps m;
	int err;

	memset(s, 0, sizeof(*s));
	snprintf(s->ifname, sizeof(s->ifname), "%s", ifname);
	err = pin_dir(ifname, 0, s->pin_dir, sizeof(s->pin_dir));
	if (err)
		return err;
	err = maps_open_pinned(s->pin_dir, &m);
	if (err)
		return err;
	read_link(s);
	err = status_read_maps(&m, s, t);
	maps_close(&m);
	return err;
}

int status_read(const char *ifname, struct lb_status *s)
{
	return read_status(ifname, s, ST_TABLES_COUNT);
}

int status_read_tables(const char *ifname, struct lb_status *s)
{
	return read_status(ifname, s, ST_TABLES_KEEP);
}

int status_read_how(const char *ifname, struct lb_status *s, enum status_tables t)
{
	return read_status(ifname, s, t);
}

void status_free(struct lb_status *s)
{
	for (__u32 i = 0; i < s->n_vips; i++) {
		free(s->vips[i].be);
		free(s->vips[i].table);
	}
	free(s->vips);
	s->vips = NULL;
	s->n_vips = 0;
}

int status_list(char names[][IF_NAMESIZE], int max)
{
	char root[256], dir[300], suffix[40];
	struct dirent *de;
	DIR *d;
	int n = 0;

	if (bpffs_root(root, sizeof(root)))
		return 0;
	netns_suffix(suffix, sizeof(suffix));
	snprintf(dir, sizeof(dir), "%s/xdplb", root);
	d = opendir(dir);
	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		const char *at = strchr(de->d_name, '@');
		size_t len = at ? (size_t)(at - de->d_name) : strlen(de->d_name);

		if (de->d_name[0] == '.' || !strcmp(de->d_name, "decap") || len >= IF_NAMESIZE)
			continue;
		if (strcmp(at ? at : "", suffix)) /* another network namespace's */
			continue;
		memcpy(names[n], de->d_name, len);
		names[n++][len] = '\0';
	}
	closedir(d);
	return n;
}

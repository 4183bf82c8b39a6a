// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * status.c - the one reader of what is live (status.h, core/live.h): every
 * command that looks at a live LB reads it here, once, with the parts it
 * needs. The config maps cost five map reads (ctl, vips, backends, two
 * name ranges), the table ids one more, the counters three; table
 * contents are read through mappings.
 */
#define _GNU_SOURCE
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

#include "bpffs.h"
#include "log.h"
#include "maps.h"
#include "netdev.h"
#include "flows.h"
#include "flowtab.h"
#include "status.h"

void status_read_link(struct lb_live *s)
{
	char path[600];
	struct bpf_link_info li = {};
	struct bpf_prog_info pi = {};
	__u32 len = sizeof(li);
	int fd, pfd, ifindex;

	s->parts |= LIVE_LINK;
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

/* The vips map, every entry, through batch lookups. */
static int read_entries(int fd, struct lb_live *l)
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
	l->entries = calloc(n + 1, sizeof(*l->entries));
	if (!l->entries) {
		err = -ENOMEM;
		goto out;
	}
	for (__u32 i = 0; i < n; i++) {
		l->entries[i].key = keys[i];
		l->entries[i].val = vals[i];
	}
	l->n_entries = n;
out:
	free(keys);
	free(vals);
	return err;
}

/* Backend entries below ctl.be_span (the rest were never used: zero), or
 * all of them. */
static int read_backends(int fd, struct lb_live *l, bool all)
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

/* The highest VIP id + 1 of the active bank's entries. */
static __u32 vip_span(const struct lb_live *l)
{
	__u32 n = 0;

	for (__u32 i = 0; i < l->n_entries; i++) {
		const struct xdplb_vip_cfg *vc = &l->entries[i].val.bank[live_active(l)];

		if ((vc->flags & XDPLB_VIP_F_PRESENT) && vc->vip_id < XDPLB_MAX_VIPS &&
		    vc->vip_id + 1 > n)
			n = vc->vip_id + 1;
	}
	return n;
}

/* ids 0..n-1 of a names map */
static int read_names(int fd, __u32 n, struct xdplb_name **out)
{
	int err;

	*out = calloc(n + 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	err = n ? maps_read_range(fd, 0, n, *out) : 0;
	if (err)
		pr_warn("reading names: %s\n", strerror(-err));
	return err;
}

/* The config maps: ctl, vips, backends and names, indexed. */
static int read_config(const struct lb_maps *m, unsigned int parts, struct lb_live *l)
{
	__u32 zero = 0, nv, nb;
	int err;

	if (bpf_map_lookup_elem(LB_FD(m, ctl), &zero, &l->ctl)) {
		err = -errno;
		pr_warn("reading the ctl map: %s\n", strerror(errno));
		return err;
	}
	if (l->ctl.abi_version && l->ctl.abi_version != XDPLB_ABI_VERSION) {
		pr_err("the live maps have ABI version %u, this xdplb has %u: unload first\n",
		       l->ctl.abi_version, XDPLB_ABI_VERSION);
		return -EPROTO;
	}
	err = read_entries(LB_FD(m, vips), l);
	if (!err)
		err = read_backends(LB_FD(m, backends), l, parts & LIVE_ALL_BACKENDS);
	nv = vip_span(l);
	nb = l->ctl.be_span > XDPLB_MAX_BACKENDS ? XDPLB_MAX_BACKENDS : l->ctl.be_span;
	if (!err)
		err = read_names(LB_FD(m, vip_names), nv, &l->vnames);
	l->n_vnames = l->vnames ? nv : 0;
	if (!err)
		err = read_names(LB_FD(m, be_names), nb, &l->bnames);
	l->n_bnames = l->bnames ? nb : 0;
	if (!err)
		err = live_index(l);
	return err;
}

/* Every tables slot's map id, and each VIP's live table when asked. */
static int read_tables(const struct lb_maps *m, unsigned int parts, struct lb_live *l)
{
	__u32 a = live_active(l);
	int err;

	l->table_ids = calloc(XDPLB_TABLE_SLOTS, sizeof(*l->table_ids));
	if (!l->table_ids)
		return -ENOMEM;
	err = maps_read_range(LB_FD(m, tables), 0, XDPLB_TABLE_SLOTS, l->table_ids);
	if (err) {
		pr_warn("reading the tables map: %s\n", strerror(-err));
		return err;
	}
	for (__u32 vi = 0; (parts & (LIVE_SLOTS | LIVE_TABLES)) && vi < l->n_vips; vi++) {
		struct st_vip *v = &l->vips[vi];
		__u32 *table;

		if (!v->table_size)
			continue;
		table = malloc(v->table_size * sizeof(*table));
		if (!table)
			return -ENOMEM;
		if (!maps_read_table_id(l->table_ids[xdplb_table_slot(a, v->id)], v->table_size,
					table))
			live_count_slots(v, table);
		if (parts & LIVE_TABLES)
			v->table = table;
		else
			free(table);
	}
	return 0;
}

/* Each backend's slots in the live bank as the commit published them: no
 * table opened, so CAP_BPF and the pins' permissions are enough. */
static int read_pub_slots(const struct lb_maps *m, struct lb_live *l)
{
	struct xdplb_be_slots *bs = maps_be_slots_map(m, false);
	__u32 a = live_active(l);

	if (!bs) {
		int err = -errno;

		pr_warn("mapping be_slots: %s\n", strerror(errno));
		return err;
	}
	for (__u32 v = 0; v < l->n_vips; v++)
		for (__u32 b = 0; b < l->vips[v].n_be; b++) {
			__u32 id = l->vips[v].be[b].id;

			if (id < XDPLB_MAX_BACKENDS)
				l->vips[v].be[b].pub_slots = bs[id].slots[a];
		}
	maps_be_slots_unmap(bs);
	return 0;
}

/* Per-CPU counters of ids 0..n-1, summed: nvals __u64 per id into sums. */
static int read_sums(int fd, __u32 n, __u32 nvals, __u64 *sums)
{
	int ncpu = libbpf_num_possible_cpus(), err;
	__u64 *raw;

	if (ncpu < 0)
		return ncpu;
	raw = calloc((size_t)(n + 1) * ncpu * nvals, sizeof(*raw));
	if (!raw)
		return -ENOMEM;
	err = n ? maps_read_range(fd, 0, n, raw) : 0;
	for (__u32 id = 0; !err && id < n; id++)
		for (int c = 0; c < ncpu; c++)
			for (__u32 k = 0; k < nvals; k++)
				sums[(size_t)id * nvals + k] +=
					raw[((size_t)id * ncpu + c) * nvals + k];
	free(raw);
	return err;
}

static int read_counters(const struct lb_maps *m, struct lb_live *l)
{
	__u32 nv = live_id_span(l, true), nb = live_id_span(l, false);
	const __u32 vn = sizeof(struct xdplb_vip_stats) / 8, bn = sizeof(struct xdplb_be_stats) / 8;
	__u64 *vs = calloc((size_t)(nv + 1) * vn, 8), *bs = calloc((size_t)(nb + 1) * bn, 8);
	int err = vs && bs ? 0 : -ENOMEM;

	if (!err)
		err = read_sums(LB_FD(m, global_stats), XDPLB_GLOBAL_MAX, 1, l->global);
	if (!err)
		xdplb_global_fold(l->global);
	if (!err)
		err = read_sums(LB_FD(m, vip_stats), nv, vn, vs);
	if (!err)
		err = read_sums(LB_FD(m, be_stats), nb, bn, bs);
	for (__u32 v = 0; !err && v < l->n_vips; v++) {
		struct st_vip *sv = &l->vips[v];

		memcpy(&sv->st, &vs[(size_t)sv->id * vn], sizeof(sv->st));
		for (__u32 b = 0; b < sv->n_be; b++)
			memcpy(&sv->be[b].st, &bs[(size_t)sv->be[b].id * bn], sizeof(sv->be[b].st));
	}
	if (err && err != -ENOMEM)
		pr_warn("reading the counters: %s\n", strerror(-err));
	free(vs);
	free(bs);
	return err;
}

/* Each backend's conntrack entries, sampled in bounded time (flows.h). */
static int read_flows(const struct lb_maps *m, struct lb_live *l)
{
	__u32 span = live_id_span(l, false), *cookie = calloc(span + 1, sizeof(*cookie));
	__u32 *newest = calloc(span + 1, sizeof(*newest));
	__u64 *count = calloc(span + 1, sizeof(*count));
	int err = cookie && count && newest ? 0 : -ENOMEM;
	struct timespec ts;
	double scale;

	for (__u32 v = 0; !err && v < l->n_vips; v++)
		for (__u32 b = 0; b < l->vips[v].n_be; b++)
			if (l->vips[v].be[b].id < span)
				cookie[l->vips[v].be[b].id] = l->be[l->vips[v].be[b].id].cookie;
	if (!err)
		err = flows_by_backend(LB_FD(m, conntrack), l->ct_buckets, FLOWS_SAMPLE_BUCKETS,
				       span, cookie, count, newest, &l->flows_sampled);
	scale = l->flows_sampled ? (double)l->ct_buckets / l->flows_sampled : 0;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	for (__u32 v = 0; !err && v < l->n_vips; v++)
		for (__u32 b = 0; b < l->vips[v].n_be; b++) {
			struct st_backend *sb = &l->vips[v].be[b];
			bool any = sb->id < span && count[sb->id];

			sb->flows = any ? (__u64)(count[sb->id] * scale + 0.5) : 0;
			sb->idle_s = any ? flowtab_seen_age(newest[sb->id], l->ctl.ct_hz,
							    ts.tv_sec + ts.tv_nsec / 1e9) :
					   -1;
		}
	free(cookie);
	free(newest);
	free(count);
	return err;
}

int status_read_maps(const struct lb_maps *m, unsigned int parts, struct lb_live *l)
{
	struct bpf_map_info mi = {};
	__u32 len = sizeof(mi);
	int err;

	l->parts |= parts & ~LIVE_LINK;
	if (!bpf_obj_get_info_by_fd(LB_FD(m, conntrack), &mi, &len))
		l->ct_buckets = mi.max_entries;
	err = maps_id(LB_FD(m, table_empty), &l->empty_table_id);
	if (!err)
		err = read_config(m, parts, l);
	l->ct_size = l->ctl.ct_size; /* as configured; the capacity is ct_buckets' */
	if (!err && (parts & (LIVE_TABLE_IDS | LIVE_SLOTS | LIVE_TABLES)))
		err = read_tables(m, parts, l);
	if (!err && (parts & LIVE_COUNTERS))
		err = read_counters(m, l);
	/* soft too: an exporter that cannot read conntrack still exports
	 * the rest (the family is left out) */
	if (!err && (parts & LIVE_FLOWS) && read_flows(m, l))
		l->parts &= ~LIVE_FLOWS;
	/* soft: without them the rest still stands (the exporter says so) */
	if (!err && (parts & LIVE_PUB_SLOTS) && read_pub_slots(m, l))
		l->parts &= ~LIVE_PUB_SLOTS;
	if (err)
		live_free(l);
	return err;
}

int status_count_slots(const struct lb_maps *m, struct lb_live *l)
{
	int err;

	free(l->table_ids);
	l->parts |= LIVE_TABLE_IDS | LIVE_SLOTS;
	err = read_tables(m, LIVE_SLOTS, l);
	if (err)
		live_free(l);
	return err;
}

int status_read(const char *ifname, unsigned int parts, struct lb_live *l)
{
	struct lb_maps m;
	int err;

	memset(l, 0, sizeof(*l));
	snprintf(l->ifname, sizeof(l->ifname), "%s", ifname);
	err = pin_dir(ifname, 0, l->pin_dir, sizeof(l->pin_dir));
	if (err)
		return err;
	err = maps_open_pinned(l->pin_dir, &m);
	if (err)
		return err;
	if (parts & LIVE_LINK)
		status_read_link(l);
	err = status_read_maps(&m, parts, l);
	maps_close(&m);
	return err;
}

/* The interfaces of this network namespace with a pin dir in
 * <bpffs>/<sub> (the suffix says whose namespace a dir is). */
static int list_pins(const char *sub, char names[][IF_NAMESIZE], int max)
{
	char root[256], dir[300], suffix[40];
	struct dirent *de;
	DIR *d;
	int n = 0;

	if (bpffs_root(root, sizeof(root)))
		return 0;
	netns_suffix(suffix, sizeof(suffix));
	snprintf(dir, sizeof(dir), "%s/%s", root, sub);
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

int status_list(char names[][IF_NAMESIZE], int max)
{
	return list_pins("xdplb", names, max);
}

int status_list_decap(char names[][IF_NAMESIZE], int max)
{
	return list_pins("xdplb/decap", names, max);
}

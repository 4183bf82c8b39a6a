// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * decap.c - the backends' side: attach, refresh, detach the decap program
 * and read its counters (decap.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "decap.skel.h"

#include "addr.h"
#include "bpffs.h"
#include "decap.h"
#include "link.h"
#include "lock.h"
#include "log.h"
#include "maps.h"
#include "netdev.h"

static int decap_fill(int map_fd, const char *ifname, const struct decap_opts *o)
{
	struct xdplb_addr addrs[64];
	__u8 fams[64];
	__u32 one = 1;
	int n = netdev_addrs(ifname, addrs, fams, 64);

	if (n < 0) {
		pr_warn("reading the addresses of %s: %s\n", ifname, strerror(-n));
		return n;
	}
	for (int i = 0; i < o->n_extra && n < 64; i++, n++) {
		fams[n] = (__u8)addr_parse(o->extra[i], &addrs[n]);
		if (!fams[n]) {
			pr_warn("--address %s: not an IP address\n", o->extra[i]);
			return -EINVAL;
		}
	}
	for (int i = 0; i < n; i++) {
		struct xdplb_decap_key k;

		memset(&k, 0, sizeof(k));
		k.addr = addrs[i];
		k.family = fams[i];
		if (bpf_map_update_elem(map_fd, &k, &one, BPF_ANY)) {
			int err = -errno;

			pr_warn("writing decap addresses: %s\n", strerror(errno));
			return err;
		}
	}
	if (!n)
		pr_warn("%s has no IP address: nothing will be decapsulated (add --address)\n",
			ifname);
	return 0;
}

/* Every key of the decap_srcs map (at most XDPLB_DECAP_MAX_SRCS). */
static int srcs_read(int map_fd, struct decap_srcs *out)
{
	struct xdplb_decap_src_key k, next;
	void *prev = NULL;

	memset(out, 0, sizeof(*out));
	while (out->n < XDPLB_DECAP_MAX_SRCS && !bpf_map_get_next_key(map_fd, prev, &next)) {
		if (!decap_src_of_key(&next, &out->v[out->n]))
			out->n++;
		k = next;
		prev = &k;
	}
	return errno == ENOENT || out->n == XDPLB_DECAP_MAX_SRCS ? 0 : -errno;
}

static int srcs_add(int map_fd, const struct decap_srcs *set)
{
	struct xdplb_decap_src_key k;
	__u32 one = 1;

	for (int i = 0; i < set->n; i++) {
		decap_src_key(&set->v[i], &k);
		if (bpf_map_update_elem(map_fd, &k, &one, BPF_ANY))
			return -errno;
	}
	return 0;
}

/* Removes what old has and keep does not. */
static int srcs_remove(int map_fd, const struct decap_srcs *old, const struct decap_srcs *keep)
{
	struct xdplb_decap_src_key k;

	for (int i = 0; i < old->n; i++) {
		if (decap_srcs_has(keep, &old->v[i]))
			continue;
		decap_src_key(&old->v[i], &k);
		if (bpf_map_delete_elem(map_fd, &k) && errno != ENOENT)
			return -errno;
	}
	return 0;
}

/* Makes the map hold exactly set. New prefixes go in before old ones go
 * out: an address covered by an old prefix and a new one (a /24 narrowed
 * to a /28) is never refused on the way. Only when both would not fit
 * together do the old ones go first. A source in both sets stays all along. */
static int srcs_write(int map_fd, const struct decap_srcs *set)
{
	struct decap_srcs *old = calloc(1, sizeof(*old));
	int err, added = 0;

	err = old ? srcs_read(map_fd, old) : -ENOMEM;
	if (err)
		goto out;
	for (int i = 0; i < set->n; i++)
		added += !decap_srcs_has(old, &set->v[i]);
	if (old->n + added <= XDPLB_DECAP_MAX_SRCS) {
		err = srcs_add(map_fd, set);
		if (!err)
			err = srcs_remove(map_fd, old, set);
	} else {
		err = srcs_remove(map_fd, old, set);
		if (!err)
			err = srcs_add(map_fd, set);
	}
out:
	if (err)
		pr_warn("writing the decap sources: %s\n", strerror(-err));
	free(old);
	return err;
}

/* Attached already: refresh the addresses and the sources. */
static int decap_refresh(const char *dir, const char *ifname, const struct decap_opts *o)
{
	char path[600];
	int fd, err;

	snprintf(path, sizeof(path), "%s/decap_addrs", dir);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	err = decap_fill(fd, ifname, o);
	close(fd);
	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/decap_srcs", dir);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	err = srcs_write(fd, o->srcs);
	close(fd);
	return err;
}

int lb_decap_attach(const char *ifname, const struct decap_opts *o)
{
	char dir[512], path[600];
	struct decap_bpf *skel = NULL;
	int ifindex, lock, fd, err;

	if (!o->srcs || !o->srcs->n) { /* the CLI refuses first; a caller may not */
		pr_warn("decap attach %s: no tunnel source: nothing would be decapsulated\n",
			ifname);
		return -EINVAL;
	}
	ifindex = netdev_ifindex(ifname);
	if (ifindex < 0) {
		pr_warn("interface %s: not found in this network namespace\n", ifname);
		return ifindex;
	}
	err = pin_dir(ifname, 1, dir, sizeof(dir));
	if (!err)
		err = mkdir_p(dir);
	if (err)
		return err;
	lock = lb_lock(dir);
	if (lock < 0)
		return lock;
	err = decap_refresh(dir, ifname, o);
	if (err != -ENOENT)
		goto out;
	snprintf(path, sizeof(path), "%s/decap_addrs", dir);
	if (!access(path, F_OK)) {
		/* a program from before source filtering: it strips tunnels
		 * from anyone. A fresh one replaces it (in between, tunnels
		 * reach a stack that has no tunnel device and drops them). */
		pr_warn("%s: replacing a decap program that has no source filter\n", ifname);
		err = link_detach_dir(dir, ifname);
		if (!err) /* it removed the emptied directory */
			err = mkdir_p(dir);
		if (err)
			goto out;
	}
	skel = decap_bpf__open_and_load();
	if (!skel) {
		err = -errno;
		pr_warn("loading the decap program: %s\n", strerror(errno));
		goto out;
	}
	err = decap_fill(bpf_map__fd(skel->maps.decap_addrs), ifname, o);
	if (!err)
		err = srcs_write(bpf_map__fd(skel->maps.decap_srcs), o->srcs);
	if (err)
		goto out_unpin;
	snprintf(path, sizeof(path), "%s/decap_addrs", dir);
	if (bpf_obj_pin(bpf_map__fd(skel->maps.decap_addrs), path))
		err = -errno;
	snprintf(path, sizeof(path), "%s/decap_srcs", dir);
	if (!err && bpf_obj_pin(bpf_map__fd(skel->maps.decap_srcs), path))
		err = -errno;
	snprintf(path, sizeof(path), "%s/decap_stats", dir);
	if (!err && bpf_obj_pin(bpf_map__fd(skel->maps.decap_stats), path))
		err = -errno;
	if (err) {
		pr_warn("pinning the decap maps in %s: %s\n", dir, strerror(-err));
		goto out_unpin;
	}
	snprintf(path, sizeof(path), "%s/link", dir);
	fd = link_attach(bpf_program__fd(skel->progs.xdplb_decap), ifindex, ifname, o->mode, path);
	if (fd < 0) {
		err = fd;
		goto out_unpin;
	}
	close(fd);
	goto out;
out_unpin:
	pins_remove(dir);
out:
	decap_bpf__destroy(skel);
	lb_unlock(lock);
	return err;
}

/* The decap map `name` pinned for ifname: its fd, or -errno. */
static int decap_map(const char *ifname, const char *name)
{
	char dir[512], path[600];
	int fd, err = pin_dir(ifname, 1, dir, sizeof(dir));

	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

int lb_decap_counters(const char *ifname, __u64 out[XDPLB_DECAP_MAX])
{
	int fd = decap_map(ifname, "decap_stats"), err = 0;

	if (fd < 0)
		return fd;
	memset(out, 0, sizeof(__u64) * XDPLB_DECAP_MAX);
	for (__u32 i = 0; i < XDPLB_DECAP_MAX && !err; i++) {
		err = maps_sum_percpu(fd, i, &out[i], 1);
		/* a program from before a counter was added: it has none */
		if (err == -ENOENT && i >= XDPLB_DECAP_BAD_SOURCE)
			err = 0;
	}
	close(fd);
	return err;
}

int lb_decap_sources(const char *ifname, struct decap_srcs *out)
{
	int fd = decap_map(ifname, "decap_srcs"), err;

	if (fd < 0)
		return fd;
	err = srcs_read(fd, out);
	close(fd);
	return err;
}

int lb_decap_detach(const char *ifname)
{
	return link_unload(ifname, 1);
}

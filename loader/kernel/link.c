// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * link.c - the program on the interface: attached through a BPF link
 * pinned next to the maps, so that a crash of the loader leaves the data
 * path running, and a new program version replaces the old one in place
 * (bpf_link_update) while the pinned maps, and so conntrack and counters,
 * are reused.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "bpffs.h"
#include "config.h"
#include "fault.h"
#include "link.h"
#include "lock.h"
#include "log.h"

static __u32 xdp_flags(int mode)
{
	return mode == XDPLB_MODE_GENERIC ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
}

const char *mode_str(int mode)
{
	return mode == XDPLB_MODE_GENERIC ? "generic" : "native";
}

/* Attaches prog to ifindex in exactly the requested mode, as a link pinned
 * at path. Returns the link fd. */
int link_attach(int prog_fd, int ifindex, const char *ifname, int mode, const char *path)
{
	LIBBPF_OPTS(bpf_link_create_opts, o, .flags = xdp_flags(mode));
	int fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &o);

	if (fd < 0) {
		int err = -errno;

		if (mode == XDPLB_MODE_NATIVE && (err == -EOPNOTSUPP || err == -EINVAL))
			pr_warn("native XDP attach on %s failed: %s; the driver may not support native XDP: use --mode generic (slower) if that is what you want\n",
				ifname, strerror(-err));
		else if (err == -EBUSY || err == -EEXIST)
			pr_warn("attaching to %s: another XDP program is attached (%s); detach it first\n",
				ifname, strerror(-err));
		else
			pr_warn("attaching XDP (%s mode) to %s: %s\n", mode_str(mode), ifname,
				strerror(-err));
		return err;
	}
	if (bpf_obj_pin(fd, path)) {
		int err = -errno;

		pr_warn("pinning the link at %s: %s\n", path, strerror(errno));
		close(fd);
		return err;
	}
	return fd;
}

int link_prog_info(int prog_fd, struct bpf_prog_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	return bpf_obj_get_info_by_fd(prog_fd, info, &len) ? -errno : 0;
}

int link_info(int link_fd, struct bpf_link_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	return bpf_obj_get_info_by_fd(link_fd, info, &len) ? -errno : 0;
}

/* The mode the program on ifindex runs in, or -1 when it cannot be told. */
static int live_mode(int ifindex)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (bpf_xdp_query(ifindex, 0, &q))
		return -1;
	return q.attach_mode == XDP_ATTACHED_SKB ? XDPLB_MODE_GENERIC : XDPLB_MODE_NATIVE;
}

int link_check_quiet(int link_fd, int ifindex, int mode, struct bpf_link_info *li)
{
	int err = link_info(link_fd, li), m;

	if (err)
		return err;
	if (li->xdp.ifindex != (__u32)ifindex)
		return -ENOLINK; /* the interface went away; the link is dead */
	m = live_mode(ifindex);
	return m >= 0 && m != mode ? -ECANCELED : 0;
}

int link_check(int link_fd, int ifindex, const char *ifname, int mode, struct bpf_link_info *li)
{
	int err = link_check_quiet(link_fd, ifindex, mode, li);

	if (err == -ECANCELED)
		pr_warn("%s runs xdplb in %s mode and the config asks for %s: changing the mode needs `xdplb unload` first\n",
			ifname, mode_str(live_mode(ifindex)), mode_str(mode));
	return err;
}

int link_replace(int link_fd, __u32 live_prog_id, int prog_fd, __u32 *prog_id)
{
	struct bpf_prog_info newp, oldp;
	int old_fd, err;

	err = link_prog_info(prog_fd, &newp);
	if (err)
		return err;
	*prog_id = newp.id;
	old_fd = bpf_prog_get_fd_by_id(live_prog_id);
	if (old_fd >= 0) {
		err = link_prog_info(old_fd, &oldp);
		close(old_fd);
		if (!err && !memcmp(oldp.tag, newp.tag, sizeof(oldp.tag))) {
			*prog_id = oldp.id; /* the same instructions: keep the live one */
			return 0;
		}
	}
	if (bpf_link_update(link_fd, prog_fd, NULL)) {
		err = -errno;
		pr_warn("replacing the program of the live link: %s\n", strerror(errno));
		return err;
	}
	return 1;
}

/* Detaches the pinned link of dir, if any, then removes the pins. */
int link_detach_dir(const char *dir, const char *ifname)
{
	char path[600];
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/link", dir);
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		/* detach now, even if some other process holds the link */
		if (bpf_link_detach(fd) && errno != ENOLINK && errno != EINVAL) {
			err = -errno;
			pr_warn("detaching XDP from %s: %s\n", ifname, strerror(errno));
		}
		close(fd);
	}
	if (!err)
		pins_remove(dir);
	return err;
}

int link_unload(const char *ifname, int decap)
{
	char dir[512];
	int lock, err;

	err = pin_dir(ifname, decap, dir, sizeof(dir));
	if (err)
		return err;
	if (access(dir, F_OK)) {
		pr_info("nothing loaded on %s\n", ifname);
		return 0;
	}
	lock = lb_lock(dir);
	if (lock < 0)
		return lock;
	fault_point("unload-locked");
	err = link_detach_dir(dir, ifname);
	lb_unlock(lock);
	return err;
}

/* Does dir hold a pinned link whose device is gone? The kernel detaches
 * an XDP link when its interface is deleted, with it its network
 * namespace, and the link then says ifindex 0: the maps beside it are an
 * LB that runs nowhere. No link at all (a first load that stopped before
 * attaching) is not that. */
bool link_pin_dead(const char *dir)
{
	struct bpf_link_info li;
	char path[600];
	bool dead;
	int fd;

	snprintf(path, sizeof(path), "%s/link", dir);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return false;
	dead = !link_info(fd, &li) && li.type == BPF_LINK_TYPE_XDP && li.xdp.ifindex == 0;
	close(fd);
	return dead;
}

/* Removes the pins of LBs whose interface is gone, in every network
 * namespace: nothing can reach them again (a namespace's pins are keyed by
 * its cookie, never reused), and each holds its conntrack's memory. One
 * another xdplb holds the lock of is left for later. */
void link_gc_dead(const char *own)
{
	char root[256], dir[600];
	struct dirent *de;
	DIR *d;

	if (bpffs_root(root, sizeof(root)))
		return;
	snprintf(dir, sizeof(dir), "%s/xdplb", root);
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		int lock;

		if (de->d_name[0] == '.' || !strcmp(de->d_name, "decap"))
			continue;
		snprintf(dir, sizeof(dir), "%s/xdplb/%s", root, de->d_name);
		if (!strcmp(dir, own) || !link_pin_dead(dir))
			continue;
		lock = lb_trylock(dir);
		if (lock < 0)
			continue;
		if (link_pin_dead(dir)) {
			pins_remove(dir);
			pr_info("removed %s: the pins of an LB whose interface is gone\n", dir);
		}
		lb_unlock(lock);
	}
	if (d)
		closedir(d);
}

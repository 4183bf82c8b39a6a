// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * hc_tunnel.c - the health-check tunnel on the LB's interface
 * (hc_tunnel.h): the tc egress program through a pinned tcx link, and the
 * probes' policy routing through rtnetlink.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/fib_rules.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "hc.skel.h"

#include "bpffs.h"
#include "hc_tunnel.h"
#include "link.h"
#include "lock.h"
#include "log.h"
#include "maps.h"
#include "netdev.h"
#include "rtnl.h"

/* From linux/bpf.h of 6.6 (tcx), newer than this system's uapi header and
 * libbpf 1.1; bpf_link_create passes an attach type it does not know
 * through to the kernel. In struct bpf_link_info, tcx.ifindex sits where
 * xdp.ifindex does: first in the union. */
#define HC_ATTACH_TCX_EGRESS 47
#define HC_LINK_TYPE_TCX 11

#define HC_LINK_PIN "hc_link"
#define HC_STATS_PIN "hc_stats"

_Static_assert(XDPLB_HC_MARK_ID_MASK + 1 == XDPLB_MAX_BACKENDS, "the mark holds every backend id");
_Static_assert((XDPLB_HC_MARK_TAG & XDPLB_HC_MARK_ID_MASK) == 0,
	       "the tag leaves the id bits clear");

/* Is the pinned counters map one of XDPLB_HC_MAX counters? */
static bool stats_fit(int fd)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);

	return !bpf_obj_get_info_by_fd(fd, &info, &len) && info.max_entries == XDPLB_HC_MAX;
}

int hc_tunnel_mark(__u32 backend_id, __u32 *mark)
{
	if (backend_id >= XDPLB_MAX_BACKENDS)
		return -EINVAL;
	*mark = xdplb_hc_mark(backend_id);
	return 0;
}

int hc_tunnel_open(const struct lb_maps *m, int stats_fd, struct hc_bpf **out)
{
	struct hc_bpf *skel = hc_bpf__open();
	int err;

	*out = NULL;
	if (!skel) {
		err = -errno;
		pr_warn("opening the health-check tunnel program: %s\n", strerror(errno));
		return err;
	}
	err = bpf_map__reuse_fd(skel->maps.backends, LB_FD(m, backends));
	if (!err)
		err = bpf_map__reuse_fd(skel->maps.ctl, LB_FD(m, ctl));
	if (!err)
		err = bpf_map__reuse_fd(skel->maps.vips, LB_FD(m, vips));
	if (!err && stats_fd >= 0)
		err = bpf_map__reuse_fd(skel->maps.hc_stats, stats_fd);
	if (err) {
		pr_warn("reusing the LB's maps for the health-check tunnel program: %s\n",
			strerror(-err));
		goto out_destroy;
	}
	err = hc_bpf__load(skel);
	if (err) {
		pr_warn("loading the health-check tunnel program: %s\n", strerror(-err));
		goto out_destroy;
	}
	*out = skel;
	return 0;
out_destroy:
	hc_bpf__destroy(skel);
	return err;
}

/* ------------------------------------------------------------ routing */

static int af_of(__u8 family)
{
	return family == XDPLB_AF_INET ? AF_INET : AF_INET6;
}

/* The rule that sends every probe of a family to HC_TUNNEL_TABLE. */
static int hc_rule(__u8 family, bool add)
{
	__u32 mark = XDPLB_HC_MARK_TAG, mask = XDPLB_HC_MARK_TAG_MASK;
	__u32 table = HC_TUNNEL_TABLE, pref = HC_TUNNEL_RULE_PREF;
	struct rtnl_req q;
	int err;

	memset(&q, 0, sizeof(q));
	q.n.nlmsg_len = NLMSG_LENGTH(sizeof(q.f));
	q.n.nlmsg_type = add ? RTM_NEWRULE : RTM_DELRULE;
	/* EXCL: one rule however often attach runs */
	q.n.nlmsg_flags = add ? NLM_F_CREATE | NLM_F_EXCL : 0;
	q.f.family = (__u8)af_of(family);
	q.f.action = FR_ACT_TO_TBL;
	rtnl_attr(&q, FRA_FWMARK, &mark, sizeof(mark));
	rtnl_attr(&q, FRA_FWMASK, &mask, sizeof(mask));
	rtnl_attr(&q, FRA_TABLE, &table, sizeof(table));
	rtnl_attr(&q, FRA_PRIORITY, &pref, sizeof(pref));
	err = rtnl_request(&q.n, NULL, NULL);
	if ((add && err == -EEXIST) || (!add && (err == -ENOENT || err == -EAFNOSUPPORT)))
		return 0;
	return err;
}

/* The default route of a family in HC_TUNNEL_TABLE: via the gateway, out
 * of ifindex, with an MTU that leaves room for the outer header (so TCP's
 * MSS does, and no full-size probe segment is too big once encapsulated). */
static int hc_default_route(__u8 family, int ifindex, const struct xdplb_addr *via, __u32 mtu,
			    bool add)
{
	__u32 table = HC_TUNNEL_TABLE;
	struct rtattr *metrics;
	struct rtnl_req q;
	int err;

	memset(&q, 0, sizeof(q));
	q.n.nlmsg_len = NLMSG_LENGTH(sizeof(q.r));
	q.n.nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
	q.n.nlmsg_flags = add ? NLM_F_CREATE | NLM_F_REPLACE : 0;
	q.r.rtm_family = (__u8)af_of(family);
	q.r.rtm_table = RT_TABLE_UNSPEC; /* RTA_TABLE: ids above 255 */
	q.r.rtm_protocol = RTPROT_STATIC; /* deletion matches it: only ours goes */
	q.r.rtm_scope = add ? RT_SCOPE_UNIVERSE : RT_SCOPE_NOWHERE;
	q.r.rtm_type = RTN_UNICAST;
	rtnl_attr(&q, RTA_TABLE, &table, sizeof(table));
	if (add) {
		rtnl_attr(&q, RTA_GATEWAY, via->b, family == XDPLB_AF_INET ? 4 : 16);
		rtnl_attr(&q, RTA_OIF, &ifindex, sizeof(ifindex));
		metrics = rtnl_attr(&q, RTA_METRICS, NULL, 0);
		rtnl_attr(&q, RTAX_MTU, &mtu, sizeof(mtu));
		metrics->rta_len = (unsigned short)((char *)&q + q.n.nlmsg_len - (char *)metrics);
	}
	err = rtnl_request(&q.n, NULL, NULL);
	if (!add && (err == -ESRCH || err == -ENOENT || err == -EAFNOSUPPORT))
		return 0;
	return err;
}

static int hc_routes_install(const char *ifname, int ifindex, const struct hc_tunnel_opts *o,
			     __u32 mtu)
{
	for (int i = 0; i < o->n_routes; i++) {
		const struct hc_route *r = &o->routes[i];
		/* worst case, an IPv6 outer header; IPv6 routes need 1280 */
		__u32 m = mtu - XDPLB_IPV6_HDR_LEN;
		int err;

		if (r->family == XDPLB_AF_INET6 && m < 1280)
			m = 1280;
		err = hc_default_route(r->family, ifindex, &r->via, m, true);
		if (err) {
			pr_warn("adding the probes' default route (table %d, via the gateway, out of %s): %s\n",
				HC_TUNNEL_TABLE, ifname, strerror(-err));
			return err;
		}
		err = hc_rule(r->family, true);
		if (err) {
			pr_warn("adding the probes' rule (fwmark 0x%x/0x%x lookup %d): %s\n",
				XDPLB_HC_MARK_TAG, XDPLB_HC_MARK_TAG_MASK, HC_TUNNEL_TABLE,
				strerror(-err));
			return err;
		}
	}
	return 0;
}

static int hc_routes_remove(void)
{
	static const __u8 fams[] = { XDPLB_AF_INET, XDPLB_AF_INET6 };
	int err, ret = 0;

	for (size_t i = 0; i < sizeof(fams); i++) {
		err = hc_rule(fams[i], false);
		if (err) {
			pr_warn("removing the probes' rule (IPv%d): %s\n", fams[i], strerror(-err));
			ret = ret ?: err;
		}
		err = hc_default_route(fams[i], 0, NULL, 0, false);
		if (err) {
			pr_warn("removing the probes' default route (IPv%d, table %d): %s\n",
				fams[i], HC_TUNNEL_TABLE, strerror(-err));
			ret = ret ?: err;
		}
	}
	return ret;
}

/* ------------------------------------------------------------ the link */

static int pin_get(const char *dir, const char *name)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return bpf_obj_get(path);
}

static void pin_remove(const char *dir, const char *name)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

static int pin_fd(int fd, const char *dir, const char *name)
{
	char path[600];
	int err;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (!bpf_obj_pin(fd, path))
		return 0;
	err = -errno;
	pr_warn("pinning %s: %s\n", path, strerror(errno));
	return err;
}

/* Is the pinned link fd a tcx link still on ifindex? (A link whose
 * interface went away stays pinned, attached to nothing.) */
static bool link_alive(int fd, int ifindex, struct bpf_link_info *li)
{
	return !link_info(fd, li) && li->type == HC_LINK_TYPE_TCX &&
	       li->xdp.ifindex == (__u32)ifindex;
}

/* The program on ifindex's egress through the link pinned in dir: the
 * live link gets this program (atomically), or a new link is made. */
static int hc_link(const char *dir, const char *ifname, int ifindex, int prog_fd)
{
	struct bpf_link_info li;
	int fd = pin_get(dir, HC_LINK_PIN), err;

	if (fd >= 0 && link_alive(fd, ifindex, &li)) {
		err = bpf_link_update(fd, prog_fd, NULL) ? -errno : 0;
		if (err)
			pr_warn("replacing the health-check tunnel program on %s: %s\n", ifname,
				strerror(-err));
		close(fd);
		return err;
	}
	if (fd >= 0) { /* a dead link */
		close(fd);
		pin_remove(dir, HC_LINK_PIN);
	}
	fd = bpf_link_create(prog_fd, ifindex, (enum bpf_attach_type)HC_ATTACH_TCX_EGRESS, NULL);
	if (fd < 0) {
		err = -errno;
		pr_warn("attaching the health-check tunnel program to the egress of %s (tcx link): %s%s\n",
			ifname, strerror(errno),
			err == -EINVAL ? " (tcx needs Linux 6.6 or later)" : "");
		return err;
	}
	err = pin_fd(fd, dir, HC_LINK_PIN);
	if (err)
		bpf_link_detach(fd);
	close(fd);
	return err;
}

/* The active bank's MTU: the routes leave room for the outer header. */
static int live_mtu(int ctl_fd, __u32 *mtu)
{
	struct xdplb_ctl c;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(ctl_fd, &zero, &c))
		return -errno;
	*mtu = c.bank[xdplb_active_bank(&c)].mtu;
	return 0;
}

int hc_tunnel_attach(const char *ifname, const struct hc_tunnel_opts *o)
{
	int ifindex, lock, sfd, err;
	struct hc_bpf *skel = NULL;
	struct lb_maps m = { 0 };
	char dir[512];
	__u32 mtu = 0;

	ifindex = netdev_ifindex(ifname);
	if (ifindex < 0) {
		pr_warn("interface %s: not found in this network namespace\n", ifname);
		return ifindex;
	}
	err = pin_dir(ifname, 0, dir, sizeof(dir));
	if (err)
		return err;
	if (access(dir, F_OK)) {
		pr_warn("xdplb is not loaded on %s: the health-check tunnel works on its maps; `xdplb load` first\n",
			ifname);
		return -ENOENT;
	}
	lock = lb_lock(dir);
	if (lock < 0)
		return lock;
	err = maps_open_pinned(dir, &m);
	if (err) {
		pr_warn("opening the LB's pinned maps in %s: %s\n", dir, strerror(-err));
		goto out;
	}
	err = live_mtu(LB_FD(&m, ctl), &mtu);
	if (err) {
		pr_warn("reading the LB's ctl map: %s\n", strerror(-err));
		goto out;
	}
	/* the counters of an earlier attach, unless they are of a version
	 * with other counters */
	sfd = pin_get(dir, HC_STATS_PIN);
	if (sfd >= 0 && !stats_fit(sfd)) {
		close(sfd);
		sfd = -1;
		pin_remove(dir, HC_STATS_PIN);
	}
	err = hc_tunnel_open(&m, sfd, &skel);
	if (sfd >= 0)
		close(sfd);
	else if (!err)
		err = pin_fd(bpf_map__fd(skel->maps.hc_stats), dir, HC_STATS_PIN);
	if (err)
		goto out;
	err = hc_link(dir, ifname, ifindex, bpf_program__fd(skel->progs.xdplb_hc));
	/* the routes only once the program is there: a probe routed out
	 * unencapsulated would reach the VIP through the LB, and some other
	 * backend would answer it */
	if (!err && o && o->n_routes)
		err = hc_routes_install(ifname, ifindex, o, mtu);
out:
	maps_close(&m);
	hc_bpf__destroy(skel);
	lb_unlock(lock);
	return err;
}

int hc_tunnel_detach(const char *ifname)
{
	char dir[512];
	int lock = -1, fd, err;

	err = pin_dir(ifname, 0, dir, sizeof(dir));
	if (err)
		return err;
	/* the routes first: while they exist, probes must be encapsulated */
	err = hc_routes_remove();
	if (access(dir, F_OK))
		return err;
	lock = lb_lock(dir);
	if (lock < 0)
		return lock;
	fd = pin_get(dir, HC_LINK_PIN);
	if (fd >= 0) {
		/* now, even if some other process holds the link */
		if (bpf_link_detach(fd) && errno != ENOLINK && errno != EINVAL) {
			err = err ?: -errno;
			pr_warn("detaching the health-check tunnel program from %s: %s\n", ifname,
				strerror(errno));
		}
		close(fd);
	}
	pin_remove(dir, HC_LINK_PIN);
	pin_remove(dir, HC_STATS_PIN);
	lb_unlock(lock);
	return err;
}

int hc_tunnel_status(const char *ifname, struct hc_tunnel_status *st)
{
	struct bpf_link_info li;
	int ifindex, fd, err;
	char dir[512];

	memset(st, 0, sizeof(*st));
	err = pin_dir(ifname, 0, dir, sizeof(dir));
	if (err)
		return err;
	ifindex = netdev_ifindex(ifname);
	fd = pin_get(dir, HC_LINK_PIN);
	if (fd < 0)
		return -ENOENT;
	if (ifindex > 0 && link_alive(fd, ifindex, &li)) {
		st->attached = true;
		st->link_id = li.id;
		st->prog_id = li.prog_id;
	}
	close(fd);
	fd = pin_get(dir, HC_STATS_PIN);
	if (fd < 0)
		return -errno;
	for (__u32 i = 0; i < XDPLB_HC_MAX && !err; i++)
		err = maps_sum_percpu(fd, i, &st->counters[i], 1);
	close(fd);
	return err;
}

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * lb.c - attach, update and detach xdplb on an interface.
 *
 * The program is attached through a BPF link pinned next to the maps: a
 * crash of the loader leaves the data path running, and a new program
 * version replaces the old one in place (bpf_link_update) while the pinned
 * maps, and so conntrack and counters, are reused.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "xdplb.skel.h"
#include "decap.skel.h"

#include "addr.h"
#include "bpffs.h"
#include "diff.h"
#include "fault.h"
#include "history.h"
#include "sha256.h"
#include "snapshot.h"
#include "lb.h"
#include "log.h"
#include "maps.h"
#include "netdev.h"

#define LOCK_WAIT_MS 10000

int lb_lock(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		int err = -errno;

		pr_warn("opening %s: %s\n", dir, strerror(errno));
		return err;
	}
	const char *env = getenv("XDPLB_LOCK_WAIT_MS"); /* tests shorten the wait */
	int max_wait = env ? atoi(env) : LOCK_WAIT_MS;

	for (int waited = 0; flock(fd, LOCK_EX | LOCK_NB); waited += 50) {
		if (errno != EWOULDBLOCK || waited >= max_wait) {
			pr_warn("another xdplb is changing %s (waited %d ms): %s\n", dir, waited,
				strerror(errno));
			close(fd);
			return -EBUSY;
		}
		if (!waited)
			pr_warn("waiting for another xdplb to finish with %s\n", dir);
		usleep(50 * 1000);
	}
	return fd;
}

void lb_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the flock */
}

static __u32 xdp_flags(int mode)
{
	return mode == XDPLB_MODE_GENERIC ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
}

static const char *mode_str(int mode)
{
	return mode == XDPLB_MODE_GENERIC ? "generic" : "native";
}

/* Attaches prog to ifindex in exactly the requested mode, as a link pinned
 * at path. Returns the link fd. */
static int attach_link(int prog_fd, int ifindex, const char *ifname, int mode, const char *path)
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

static int prog_info(int prog_fd, struct bpf_prog_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	return bpf_obj_get_info_by_fd(prog_fd, info, &len) ? -errno : 0;
}

static int link_info(int link_fd, struct bpf_link_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	return bpf_obj_get_info_by_fd(link_fd, info, &len) ? -errno : 0;
}

/* 0 if dir/name exists. */
static int access_pin(const char *dir, const char *name)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK);
}

static const char *const decap_map_names[] = { "decap_addrs", "decap_stats" };

/* Removes the named pins and the link of a pin dir, then the dir. */
static void unpin_dir(const char *dir, const char *const *names, int n)
{
	char path[600];

	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/link", dir);
	unlink(path);
	rmdir(dir);
	/* and the parents, xdplb/decap and xdplb, once empty */
	snprintf(path, sizeof(path), "%s", dir);
	for (int up = 0; up < 2; up++) {
		char *slash = strrchr(path, '/');

		if (!slash)
			break;
		*slash = '\0';
		if (strcmp(strrchr(path, '/') ? strrchr(path, '/') + 1 : path, "xdplb") &&
		    strcmp(strrchr(path, '/') ? strrchr(path, '/') + 1 : path, "decap"))
			break;
		rmdir(path); /* fails harmlessly when not empty */
	}
}

static void unpin_all(const char *dir)
{
	unpin_dir(dir, lb_map_names, M_COUNT);
}

/* Points the skeleton's maps at the pinned ones, or sizes the new ones. */
static int prepare_maps(struct xdplb_bpf *skel, const struct lb_maps *live, bool exists,
			const struct xdplb_config *cfg)
{
	struct bpf_map *ct = skel->maps.conntrack;

	if (!exists)
		return bpf_map__set_max_entries(ct, cfg->ct_size);
	for (int i = 0; i < M_COUNT; i++) {
		struct bpf_map *map = bpf_object__find_map_by_name(skel->obj, lb_map_names[i]);
		int err;

		if (!map) {
			pr_warn("the BPF object has no map %s\n", lb_map_names[i]);
			return -ENOENT;
		}
		if (i == M_CONNTRACK) {
			struct bpf_map_info info = {};
			__u32 len = sizeof(info);

			if (bpf_obj_get_info_by_fd(live->fd[i], &info, &len))
				return -errno;
			if (info.max_entries != cfg->ct_size) {
				pr_warn("conntrack_size %u differs from the live %u: it is fixed at the first load; `xdplb unload` first (which forgets every flow)\n",
					cfg->ct_size, info.max_entries);
				return -ECANCELED;
			}
		}
		err = bpf_map__reuse_fd(map, live->fd[i]);
		if (err) {
			pr_warn("reusing the pinned map %s: %s\n", lb_map_names[i], strerror(-err));
			return err;
		}
	}
	return 0;
}

static int skel_maps(struct xdplb_bpf *skel, struct lb_maps *m)
{
	maps_init(m);
	for (int i = 0; i < M_COUNT; i++) {
		struct bpf_map *map = bpf_object__find_map_by_name(skel->obj, lb_map_names[i]);

		m->fd[i] = map ? dup(bpf_map__fd(map)) : -1;
		if (m->fd[i] < 0) {
			maps_close(m);
			return -ENOENT;
		}
	}
	return 0;
}

/* The live link: swap in the new program when it differs, check the mode. */
static int update_link(int link_fd, int prog_fd, int ifindex, const struct xdplb_config *cfg,
		       struct load_result *res)
{
	struct bpf_prog_info newp, oldp;
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_link_info li;
	int old_fd, err;

	err = link_info(link_fd, &li);
	if (err)
		return err;
	if (li.xdp.ifindex != (__u32)ifindex)
		return -ENOLINK; /* the interface went away; the link is dead */
	if (!bpf_xdp_query(ifindex, 0, &q)) {
		int live_mode = q.attach_mode == XDP_ATTACHED_SKB ? XDPLB_MODE_GENERIC :
								    XDPLB_MODE_NATIVE;

		if (live_mode != (int)cfg->mode) {
			pr_warn("%s runs xdplb in %s mode and the config asks for %s: changing the mode needs `xdplb unload` first\n",
				cfg->interface, mode_str(live_mode), mode_str(cfg->mode));
			return -ECANCELED;
		}
	}
	old_fd = bpf_prog_get_fd_by_id(li.prog_id);
	if (old_fd < 0)
		return -errno;
	err = prog_info(old_fd, &oldp);
	close(old_fd);
	if (!err)
		err = prog_info(prog_fd, &newp);
	if (err)
		return err;
	res->link_id = li.id;
	res->prog_id = oldp.id;
	if (!memcmp(oldp.tag, newp.tag, sizeof(oldp.tag)))
		return 0;
	if (bpf_link_update(link_fd, prog_fd, NULL)) {
		err = -errno;
		pr_warn("replacing the program of the live link: %s\n", strerror(errno));
		return err;
	}
	res->prog_replaced = true;
	res->prog_id = newp.id;
	return 0;
}

int lb_apply(const struct lb_maps *m, bool exists, const struct checked *c, const __u8 mac[6],
	     struct load_result *res)
{
	struct plan_env env = { .now = (__u64)time(NULL) };
	struct live live = { 0 };
	struct plan p;
	int err = 0;

	memcpy(env.if_mac, mac, 6);
	if (exists)
		err = maps_read_live(m, &live);
	else
		err = maps_fill_slots(m);
	if (!err)
		err = plan_build(&live, c, &env, &p);
	if (err == -ENOSPC)
		pr_warn("no free VIP or backend id for this update: apply it in two smaller steps\n");
	if (err) {
		live_free(&live);
		return err;
	}
	for (__u32 v = 0; v < c->cfg.n_vips; v++) {
		res->new_vips += p.vip_fresh[v];
		for (__u32 b = 0; b < c->cfg.vips[v].n_backends; b++)
			res->new_backends += p.be_fresh[v][b];
	}
	res->generation = p.ctl.bank[p.bank].generation;
	err = maps_commit(m, &p, c);
	plan_free(&p, c->cfg.n_vips);
	live_free(&live);
	return err;
}

/* First load: pin the maps, fill them, then attach and pin the link. */
static int first_load(struct xdplb_bpf *skel, const struct lb_maps *m, const struct checked *c,
		      int ifindex, const __u8 mac[6], struct load_result *res)
{
	const char *dir = res->pin_dir;
	struct bpf_link_info li;
	char path[600];
	int err, fd;

	err = maps_pin(m, dir);
	if (!err)
		err = lb_apply(m, false, c, mac, res);
	if (err)
		goto out_unpin;
	snprintf(path, sizeof(path), "%s/link", dir);
	fd = attach_link(bpf_program__fd(skel->progs.xdplb_lb), ifindex, c->cfg.interface,
			 c->cfg.mode, path);
	if (fd < 0) {
		err = fd;
		goto out_unpin;
	}
	if (!link_info(fd, &li)) {
		res->link_id = li.id;
		res->prog_id = li.prog_id;
	}
	close(fd);
	res->created = true;
	return 0;
out_unpin:
	unpin_all(dir);
	return err;
}

static int live_update(struct xdplb_bpf *skel, const struct lb_maps *m, const struct checked *c,
		       int ifindex, const __u8 mac[6], struct load_result *res)
{
	int prog_fd = bpf_program__fd(skel->progs.xdplb_lb);
	char path[600];
	int link_fd, err;

	snprintf(path, sizeof(path), "%s/link", res->pin_dir);
	link_fd = bpf_obj_get(path);
	if (link_fd >= 0) {
		err = update_link(link_fd, prog_fd, ifindex, &c->cfg, res);
		close(link_fd);
		if (err != -ENOLINK) {
			if (err)
				return err;
			return lb_apply(m, true, c, mac, res);
		}
		pr_warn("the pinned link of %s is dead (detached by hand, or the interface was re-created): attaching anew\n",
			c->cfg.interface);
		unlink(path);
	}
	err = lb_apply(m, true, c, mac, res);
	if (err)
		return err;
	link_fd = attach_link(prog_fd, ifindex, c->cfg.interface, c->cfg.mode, path);
	if (link_fd < 0)
		return link_fd;
	struct bpf_link_info li;

	if (!link_info(link_fd, &li)) {
		res->link_id = li.id;
		res->prog_id = li.prog_id;
	}
	close(link_fd);
	return 0;
}

/* max_flows_moved, against what is live in the maps. */
static int check_moves(const struct lb_maps *m, const struct checked *c, const struct load_opts *o)
{
	struct checked live;
	struct diags d = { 0 };
	struct diff df = { 0 };
	int err = snapshot_read_maps(m, &live, false);

	if (err)
		return err;
	/* the live tables of the VIPs that change, rebuilt from the live
	 * config: reading them back would cost far more */
	for (__u32 v = 0; !err && v < c->cfg.n_vips; v++) {
		for (__u32 k = 0; k < live.cfg.n_vips; k++) {
			const struct cfg_vip *x = &live.cfg.vips[k], *y = &c->cfg.vips[v];

			if (x->family != y->family || x->port != y->port || x->proto != y->proto ||
			    memcmp(&x->addr, &y->addr, sizeof(x->addr)))
				continue;
			if (diff_vip_inputs_differ(&live, (int)k, c, (int)v) &&
			    !live.tables.slots[k])
				err = tables_build_vip(&live.cfg, k, &live.tables);
		}
	}
	if (!err)
		err = diff_compute(&live, c, &df);
	if (!err && diff_guard(&df, &d)) {
		for (size_t i = 0; i < d.n; i++)
			pr_warn("%s: %s: %s%s\n", o->source ? o->source : "config", d.v[i].path,
				o->force ? "(forced) " : "", d.v[i].msg);
		if (!o->force)
			err = -ECANCELED;
	}
	diags_free(&d);
	diff_free(&df);
	checked_free(&live);
	return err;
}

/* The pending history entry of this load, written before its commit point. */
static int history_start(struct history *h, const struct checked *c, const struct load_opts *o,
			 const struct lb_maps *live, bool exists, struct hist_entry *e)
{
	if (!o->text)
		return 0;
	struct xdplb_ctl ctl = { 0 };
	__u32 zero = 0;
	char dir[512];
	int err;

	if (o->state_dir)
		snprintf(dir, sizeof(dir), "%s", o->state_dir);
	else
		history_default_dir(c->cfg.interface, dir, sizeof(dir));
	err = history_open(dir, h);
	if (err)
		return err;
	if (exists && bpf_map_lookup_elem(live->fd[M_CTL], &zero, &ctl))
		return -errno;
	/* a load killed earlier may have left a pending entry */
	err = history_resolve(h, ctl.bank[xdplb_active_bank(&ctl)].generation,
			      ctl.bank[xdplb_active_bank(&ctl)].digest);
	if (err)
		return err;
	memset(e, 0, sizeof(*e));
	digest_str(c->cfg.digest, e->digest);
	e->time = (long long)time(NULL);
	history_user(e->user, sizeof(e->user));
	e->generation = ctl.bank[xdplb_active_bank(&ctl)].generation + 1; /* what plan.c gives */
	snprintf(e->source, sizeof(e->source), "%s", o->source ? o->source : "");
	snprintf(e->note, sizeof(e->note), "%s", o->note ? o->note : "");
	return history_begin(h, o->text, o->len, e);
}

int lb_txn_begin(struct lb_txn *t, const struct lb_maps *m, bool exists, const struct checked *c,
		 const struct load_opts *o)
{
	int err = exists ? check_moves(m, c, o) : 0;

	memset(t, 0, sizeof(*t));
	if (!err && o->text) {
		err = history_start(&t->h, c, o, m, exists, &t->e);
		t->pending = !err;
	}
	return err;
}

int lb_txn_end(struct lb_txn *t, bool ok, struct load_result *res)
{
	int err = 0;

	if (t->pending && ok) {
		fault_point("applied");
		err = history_commit(&t->h, t->e.seq);
		res->history_seq = t->e.seq;
		fault_point("history-committed");
		if (!err)
			err = history_prune(&t->h, HISTORY_KEEP);
		if (err)
			pr_warn("the config is live, but recording it in %s failed\n", t->h.dir);
	} else if (t->pending) {
		history_drop(&t->h, t->e.seq); /* this load never went live */
	}
	t->pending = false;
	history_free(&t->h);
	return err;
}

int lb_load(const struct checked *c, const struct load_opts *o, struct load_result *res)
{
	const struct xdplb_config *cfg = &c->cfg;
	struct lb_txn txn = { 0 };
	struct lb_maps live, m;
	struct xdplb_bpf *skel = NULL;
	int ifindex, lock, err, herr;
	bool exists;
	__u8 mac[6];

	memset(res, 0, sizeof(*res));
	maps_init(&m);
	ifindex = netdev_ifindex(cfg->interface);
	if (ifindex < 0) {
		pr_warn("interface %s: not found in this network namespace\n", cfg->interface);
		return ifindex;
	}
	err = netdev_mac(cfg->interface, mac);
	if (err) {
		pr_warn("reading the MAC address of %s: %s\n", cfg->interface, strerror(-err));
		return err;
	}
	err = pin_dir(cfg->interface, 0, res->pin_dir, sizeof(res->pin_dir));
	if (!err)
		err = mkdir_p(res->pin_dir);
	if (err) {
		pr_warn("creating the pin directory %s: %s\n", res->pin_dir, strerror(-err));
		return err;
	}
	lock = lb_lock(res->pin_dir);
	if (lock < 0)
		return lock;
	fault_point("locked");
	exists = maps_open_pinned(res->pin_dir, &live) == 0;
	if (!exists && !access_pin(res->pin_dir, "ctl")) {
		pr_warn("%s holds maps of another xdplb version (some are missing): `xdplb unload --iface %s` first\n",
			res->pin_dir, cfg->interface);
		err = -EPROTO;
		lb_unlock(lock);
		return err;
	}
	err = lb_txn_begin(&txn, &live, exists, c, o);
	if (err)
		goto out;

	skel = xdplb_bpf__open();
	if (!skel) {
		err = -errno;
		pr_warn("opening the BPF object: %s\n", strerror(errno));
		goto out;
	}
	err = prepare_maps(skel, &live, exists, cfg);
	if (err)
		goto out;
	err = xdplb_bpf__load(skel);
	if (err) {
		pr_warn("loading the BPF program: %s\n", strerror(-err));
		goto out;
	}
	err = skel_maps(skel, &m);
	if (err)
		goto out;
	if (exists)
		err = live_update(skel, &m, c, ifindex, mac, res);
	else
		err = first_load(skel, &m, c, ifindex, mac, res);
out:
	herr = lb_txn_end(&txn, !err, res);
	err = err ? err : herr;
	maps_close(&m);
	if (exists)
		maps_close(&live);
	xdplb_bpf__destroy(skel);
	if (err && !exists)
		rmdir(res->pin_dir); /* only if still empty */
	lb_unlock(lock);
	return err;
}

int lb_rollback(const char *ifname, const char *state_dir, unsigned int to, int mode,
		struct load_result *res, unsigned int *seq)
{
	struct config_opts co = { .iface = ifname, .mode = mode, .force = true };
	const struct hist_entry *last, *target = NULL;
	struct diags d = { 0 };
	struct history h;
	struct checked c;
	char dir[512], note[64], source[256], *text = NULL;
	size_t len;
	int err;

	if (state_dir)
		snprintf(dir, sizeof(dir), "%s", state_dir);
	else
		history_default_dir(ifname, dir, sizeof(dir));
	err = history_open(dir, &h);
	if (err)
		return err;
	last = history_last(&h);
	if (to) {
		target = history_find(&h, to);
	} else if (last) {
		for (size_t i = 0; i < h.n; i++)
			if (!h.e[i].pending && h.e[i].seq < last->seq)
				target = &h.e[i];
	}
	if (!target) {
		if (to)
			pr_warn("%s: no history entry %u in %s\n", ifname, to, dir);
		else
			pr_warn("%s: no earlier config in %s to roll back to\n", ifname, dir);
		err = -ECANCELED;
		goto out;
	}
	*seq = target->seq;
	err = history_read_config(&h, target->seq, &text, &len);
	if (err) {
		pr_warn("reading history entry %u: %s\n", target->seq, strerror(-err));
		goto out;
	}
	/* it went live before: guards that refused nothing then are warnings */
	err = validate_text(text, len, &co, &c, &d);
	if (err) {
		diags_print(&d, "history", stderr);
		goto out;
	}
	snprintf(note, sizeof(note), "rollback to %u", target->seq);
	snprintf(source, sizeof(source), "%s", target->source);
	struct load_opts lo = { .text = text,
				.len = len,
				.source = source,
				.state_dir = dir,
				.force = true,
				.note = note };

	history_free(&h); /* target points into it */
	err = lb_load(&c, &lo, res);
	checked_free(&c);
	diags_free(&d);
	free(text);
	return err;
out:
	diags_free(&d);
	free(text);
	history_free(&h);
	return err;
}

/* Detaches the pinned link of dir, if any, then removes the pins. */
static int detach_dir(const char *dir, const char *ifname, const char *const *names, int n)
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
		unpin_dir(dir, names, n);
	return err;
}

static int unload_dir(const char *ifname, int decap)
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
	if (decap)
		err = detach_dir(dir, ifname, decap_map_names, 2);
	else
		err = detach_dir(dir, ifname, lb_map_names, M_COUNT);
	lb_unlock(lock);
	return err;
}

int lb_unload(const char *ifname)
{
	return unload_dir(ifname, 0);
}

int lb_decap_detach(const char *ifname)
{
	return unload_dir(ifname, 1);
}

/* ------------------------------------------------------------------ decap */

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

int lb_decap_attach(const char *ifname, const struct decap_opts *o)
{
	char dir[512], path[600];
	struct decap_bpf *skel = NULL;
	int ifindex, lock, fd, err;

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
	snprintf(path, sizeof(path), "%s/decap_addrs", dir);
	fd = bpf_obj_get(path);
	if (fd >= 0) { /* attached already: refresh the addresses */
		err = decap_fill(fd, ifname, o);
		close(fd);
		goto out;
	}
	skel = decap_bpf__open_and_load();
	if (!skel) {
		err = -errno;
		pr_warn("loading the decap program: %s\n", strerror(errno));
		goto out;
	}
	err = decap_fill(bpf_map__fd(skel->maps.decap_addrs), ifname, o);
	if (!err && bpf_obj_pin(bpf_map__fd(skel->maps.decap_addrs), path))
		err = -errno;
	snprintf(path, sizeof(path), "%s/decap_stats", dir);
	if (!err && bpf_obj_pin(bpf_map__fd(skel->maps.decap_stats), path))
		err = -errno;
	if (err) {
		pr_warn("pinning the decap maps in %s: %s\n", dir, strerror(-err));
		goto out_unpin;
	}
	snprintf(path, sizeof(path), "%s/link", dir);
	fd = attach_link(bpf_program__fd(skel->progs.xdplb_decap), ifindex, ifname, o->mode, path);
	if (fd < 0) {
		err = fd;
		goto out_unpin;
	}
	close(fd);
	goto out;
out_unpin:
	unpin_dir(dir, decap_map_names, 2);
out:
	decap_bpf__destroy(skel);
	lb_unlock(lock);
	return err;
}

int lb_decap_counters(const char *ifname, __u64 out[XDPLB_DECAP_MAX])
{
	char dir[512], path[600];
	int fd, err;

	err = pin_dir(ifname, 1, dir, sizeof(dir));
	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/decap_stats", dir);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	for (__u32 i = 0; i < XDPLB_DECAP_MAX && !err; i++)
		err = maps_sum_percpu(fd, i, &out[i], 1);
	close(fd);
	return err;
}

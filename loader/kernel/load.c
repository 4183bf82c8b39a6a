// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * load.c - the load transaction (load.h): lock, read what is live, guard,
 * record, commit, attach or update; rollback through the same path; unload.
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

#include "addr.h"
#include "bpffs.h"
#include "diff.h"
#include "fault.h"
#include "hc_tunnel.h"
#include "history.h"
#include "sha256.h"
#include "snapshot.h"
#include "link.h"
#include "load.h"
#include "lock.h"
#include "log.h"
#include "commit.h"
#include "maps.h"
#include "netdev.h"

#define LOCK_WAIT_MS 10000

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
	fd = link_attach(bpf_program__fd(skel->progs.xdplb_lb), ifindex, c->cfg.interface,
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
	pins_remove(dir, lb_map_names, M_COUNT);
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
		struct bpf_link_info li;

		err = link_check(link_fd, ifindex, c->cfg.interface, c->cfg.mode, &li);
		if (!err) {
			int r = link_replace(link_fd, li.prog_id, prog_fd, &res->prog_id);

			res->link_id = li.id;
			res->prog_replaced = r > 0;
			err = r < 0 ? r : 0;
		}
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
	link_fd = link_attach(prog_fd, ifindex, c->cfg.interface, c->cfg.mode, path);
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
	char path[600];
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
	snprintf(path, sizeof(path), "%s/ctl", res->pin_dir);
	if (!exists && !access(path, F_OK)) {
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

int lb_unload(const char *ifname)
{
	/* the health-check tunnel runs on these maps: it goes first, and
	 * the data path goes even if it could not */
	int hc_err = hc_tunnel_detach(ifname);
	int err = link_unload(ifname, 0, lb_map_names, M_COUNT);

	return err ?: hc_err;
}

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
#include "effective.h"
#include "fault.h"
#include "hc_tunnel.h"
#include "guards.h"
#include "history.h"
#include "overrides.h"
#include "sha256.h"
#include "status.h"
#include "link.h"
#include "load.h"
#include "lock.h"
#include "log.h"
#include "commit.h"
#include "maps.h"
#include "names.h"
#include "neigh.h"
#include "netdev.h"

/* ------------------------------------------------------------ the plan */

/* The program the link will run after this change: the live one unless
 * this load replaces it. Tests that load the object themselves apply with
 * its program. */
static void prog_env(const struct lb_txn *t, const struct lb_maps *m, struct plan_env *env)
{
	struct bpf_prog_info pi;
	int fd = bpf_program__fd(m->skel->progs.xdplb_lb);

	if (t->prog_id) {
		memcpy(env->prog_digest, t->prog_digest, sizeof(env->prog_digest));
		env->prog_id = t->prog_id;
		return;
	}
	maps_object_digest(env->prog_digest);
	if (fd >= 0 && !link_prog_info(fd, &pi))
		env->prog_id = pi.id;
}

int lb_txn_apply(struct lb_txn *t, const struct lb_maps *m, struct checked *c, const __u8 mac[6],
		 struct load_result *res)
{
	struct plan_env env = { .now = (__u64)time(NULL) };
	struct plan p;
	int err = 0;

	memcpy(env.if_mac, mac, 6);
	prog_env(t, m, &env);
	/* fresh maps: conntrack's geometry and key go live with the first
	 * commit's ctl, and every later plan copies them from the live one */
	if (!t->exists)
		err = maps_ct_geometry(c->cfg.ct_size, &t->live.ctl);
	if (!err && !t->exists)
		err = maps_fill_slots(m);
	if (!err)
		err = plan_build(&t->live, c, &env, &p);
	if (err == -ENOSPC)
		pr_err("no free VIP or backend id for this update: apply it in two smaller steps\n");
	if (err)
		return err;
	for (__u32 v = 0; v < c->cfg.n_vips; v++) {
		res->new_vips += p.vip_fresh[v];
		for (__u32 b = 0; b < c->cfg.vips[v].n_backends; b++)
			res->new_backends += p.be_fresh[v][b];
	}
	res->generation = p.ctl.bank[p.bank].generation;
	/* the mark goes live with the config it is about, in the same commit */
	if (t->unrecorded)
		p.ctl.flags |= XDPLB_CTL_F_UNRECORDED;
	else if (t->pending)
		p.ctl.flags &= ~XDPLB_CTL_F_UNRECORDED;
	err = maps_commit(m, &t->live, &p, c, NULL, NULL);
	plan_free(&p, c->cfg.n_vips);
	return err;
}

int lb_apply(const struct lb_maps *m, bool exists, struct checked *c, const __u8 mac[6],
	     struct load_result *res)
{
	struct lb_txn t = { .exists = exists };
	int err = exists ? status_read_maps(m, LIVE_TABLE_IDS, &t.live) : 0;

	if (!err)
		err = lb_txn_apply(&t, m, c, mac, res);
	live_free(&t.live);
	return err;
}

/* ---------------------------------------------------- the transaction */

/* max_flows_moved, against what is live. */
static int check_moves(const struct lb_live *l, struct checked *c, const struct load_opts *o)
{
	struct checked live;
	struct diags d = { 0 };
	struct diff df = { 0 };
	int err = live_to_checked(l, &live, false);

	/* configured against configured: health is not a change of config */
	if (!err)
		err = effective_configured(&live);
	if (err) {
		checked_free(&live);
		return err;
	}
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
			log_msg(o->force ? LOG_WARN : LOG_ERR, "%s: %s: %s%s\n",
				o->source ? o->source : "config", d.v[i].path,
				o->force ? "(forced) " : "", d.v[i].msg);
		if (!o->force)
			err = -ECANCELED;
	}
	diags_free(&d);
	diff_free(&df);
	checked_free(&live);
	return err;
}

static void state_dir(const struct load_opts *o, const struct checked *c, char *dir, size_t len)
{
	if (o->state_dir)
		snprintf(dir, len, "%s", o->state_dir);
	else
		history_default_dir(c->cfg.interface, dir, len);
}

/* The overrides onto c (the state dir's, or those the caller gives), and
 * the guards of the config run again on them: an override is a change of
 * the configured state like any other. */
/* ov onto c, stale ones warned about; how many applied, or -errno. */
static int apply_ov(struct checked *c, const struct overrides *ov, const char *dir)
{
	struct diags d = { 0 };
	int n = overrides_apply(c, ov, &d);

	for (size_t i = 0; i < d.n; i++)
		pr_warn("%s/overrides.json: %s: %s\n", dir, d.v[i].path, d.v[i].msg);
	diags_free(&d);
	return n;
}

int lb_kept_overrides(const char *dir, struct checked *c)
{
	struct overrides ov;
	int n = history_overrides_read(dir, &ov);

	if (n)
		return n;
	n = apply_ov(c, &ov, dir);
	overrides_free(&ov);
	return n;
}

static int apply_overrides(struct lb_txn *t, struct checked *c, const struct load_opts *o)
{
	struct diags g = { 0 };
	char dir[512];
	int n, err = 0;

	state_dir(o, c, dir, sizeof(dir));
	if (o->overrides)
		err = overrides_set_all(&t->ov, o->overrides);
	else
		err = history_overrides_read(dir, &t->ov);
	if (err)
		return err;
	n = apply_ov(c, &t->ov, dir);
	if (n <= 0)
		return n;
	if (guards_check(&c->cfg, &c->tables, &g)) {
		for (size_t i = 0; i < g.n; i++)
			log_msg(o->force ? LOG_WARN : LOG_ERR, "with the overrides: %s: %s%s\n",
				g.v[i].path, o->force ? "(forced) " : "", g.v[i].msg);
		if (!o->force) {
			pr_err("refused: nothing changed (--force applies it anyway)\n");
			err = -ECANCELED;
		}
	}
	diags_free(&g);
	return err;
}

/* What is live, for every refusal that must say it and that nothing
 * changed. */
static void say_live(const struct lb_txn *t)
{
	const struct xdplb_global_cfg *g;
	char dg[80];

	if (!t->exists) {
		pr_err("%s: nothing changed: xdplb is not loaded there\n", t->live.ifname);
		return;
	}
	g = live_g(&t->live);
	pr_err("%s: nothing changed: live is still generation %u, %s\n", t->live.ifname,
	       g->generation, digest_str(g->digest, dg));
}

/* The pending history entry of this load, written before its commit point.
 * A live config a --no-history load left unrecorded is recorded first. */
static int history_start(struct lb_txn *t, struct checked *c, const struct load_opts *o)
{
	const struct xdplb_global_cfg *g = live_g(&t->live);
	struct hist_entry *e = &t->e;
	char dir[512], *ov = NULL;
	int err;

	state_dir(o, c, dir, sizeof(dir));
	err = history_open(dir, &t->h);
	if (err)
		return err;
	/* a load killed earlier may have left a pending entry */
	err = history_resolve(&t->h, g->generation, g->digest);
	if (!err && t->exists && (t->live.ctl.flags & XDPLB_CTL_F_UNRECORDED))
		err = history_record_live(&t->h, g->generation, g->digest, (long long)g->load_time);
	if (err)
		return err;
	memset(e, 0, sizeof(*e));
	digest_str(c->cfg.digest, e->digest);
	e->time = (long long)time(NULL);
	history_user(e->user, sizeof(e->user));
	e->generation = g->generation + 1; /* what plan.c gives */
	snprintf(e->source, sizeof(e->source), "%s", o->source ? o->source : "");
	snprintf(e->note, sizeof(e->note), "%s", o->note ? o->note : "");
	digest_str(c->cfg.file_digest, e->file_digest);
	if (o->host_text) {
		__u8 hd[32];

		snprintf(e->host_source, sizeof(e->host_source), "%s",
			 o->host_source ? o->host_source : "");
		sha256(o->host_text, o->host_len, hd);
		digest_str(hd, e->host_file_digest);
	}
	if (t->ov.n && !(ov = overrides_json(&t->ov)))
		return -ENOMEM;
	err = history_begin(&t->h, o->text, o->len, o->host_text, o->host_len, ov, e);
	free(ov);
	return err;
}

/* Is c, with the overrides applied, what is live, completely, recorded,
 * with this binary's program attached as asked? (load_opts.skip_same; a
 * config live unrecorded (--no-history) gets recorded by the next load) */
static bool same_as_live(const struct lb_txn *t, const struct checked *c, const struct load_opts *o)
{
	const struct xdplb_ctl *ctl = &t->live.ctl;
	__u8 digest[32];

	maps_object_digest(digest);
	return !memcmp(&ctl->bank[0], &ctl->bank[1], sizeof(ctl->bank[0])) &&
	       !(ctl->flags & XDPLB_CTL_F_UNRECORDED) && !o->no_history &&
	       config_is_live(&c->cfg, live_g(&t->live)) && o->if_mac &&
	       !memcmp(live_g(&t->live)->if_mac, o->if_mac, 6) && o->link_prog_id &&
	       o->link_prog_id == ctl->prog_id && !memcmp(ctl->prog_digest, digest, 32);
}

/* The history could not be written: the load is refused, and says why,
 * what is live and the way through. */
static void history_refused(const struct lb_txn *t, const struct checked *c,
			    const struct load_opts *o, int err)
{
	char dir[512];

	state_dir(o, c, dir, sizeof(dir));
	if (err == -EPERM) /* an untrusted state dir (said): no way around it */
		pr_err("%s: refused: the state dir %s is not safe to use\n", t->live.ifname, dir);
	else
		pr_err("%s: refused: the history cannot be recorded in %s (%s); --no-history applies the config unrecorded (an emergency way through: the next load that can write the history records it)\n",
		       t->live.ifname, dir, strerror(-err));
	say_live(t);
}

/* --no-history: said loudly, on stderr and in the log (the journal when
 * run by systemd). */
static void say_unrecorded(const struct checked *c, const struct load_opts *o)
{
	char dg[80];

	pr_warn("%s: --no-history: this config (%s, from %s, by %s) goes live RECORDED IN NO HISTORY; `xdplb status` says so until a load records it; `xdplb rollback` cannot return to it\n",
		c->cfg.interface, digest_str(c->cfg.digest, dg), o->source ? o->source : "?",
		getenv("SUDO_USER") ? getenv("SUDO_USER") : "the caller");
	if (o->overrides) /* a rollback's: applied, not kept for the next reload */
		pr_warn("%s: --no-history: the overrides it goes live with are not kept in the state dir either: the next load applies those of the state dir\n",
			c->cfg.interface);
}

int lb_txn_begin(struct lb_txn *t, const struct lb_maps *m, bool exists, struct checked *c,
		 const struct load_opts *o)
{
	int err = 0;

	memset(t, 0, sizeof(*t));
	t->exists = exists;
	t->m = m;
	t->own_ov = o->overrides != NULL;
	snprintf(t->live.ifname, sizeof(t->live.ifname), "%s", c->cfg.interface);
	/* the one read of what is live: the guard, the history and the plan
	 * all work on it */
	if (exists)
		err = status_read_maps(m, LIVE_TABLE_IDS, &t->live);
	if (!err) {
		err = apply_overrides(t, c, o);
		if (err && err != -ECANCELED) /* the state dir's overrides unread (said) */
			say_live(t);
	}
	if (!err && exists && o->skip_same && same_as_live(t, c, o)) {
		t->unchanged = true;
		return 0;
	}
	if (!err && exists && t->live.ct_size != c->cfg.ct_size) {
		pr_err("conntrack_size %u differs from the live %u: it is fixed at the first load; `xdplb unload` first (which forgets every flow)\n",
		       c->cfg.ct_size, t->live.ct_size);
		err = -ECANCELED;
	}
	if (!err && exists && !o->no_moves_guard)
		err = check_moves(&t->live, c, o);
	if (!err && o->text && o->no_history) {
		say_unrecorded(c, o);
		t->unrecorded = true;
	} else if (!err && o->text) {
		err = history_start(t, c, o);
		t->pending = !err;
		if (err)
			history_refused(t, c, o, err);
	}
	/* what the health checks decided stays: the configured states of the
	 * new config, with the live health on top (docs/health.md) */
	if (!err && exists) {
		effective_from_live(c, &t->live);
		err = effective_apply(c, NULL);
	}
	return err;
}

/* The live config is in no history: the mark in ctl, for status and for
 * the next load (a config whose entry could not be committed). */
static void mark_unrecorded(const struct lb_txn *t)
{
	struct xdplb_ctl ctl;
	__u32 zero = 0;

	if (!t->m || bpf_map_lookup_elem(LB_FD(t->m, ctl), &zero, &ctl))
		return;
	ctl.flags |= XDPLB_CTL_F_UNRECORDED;
	if (bpf_map_update_elem(LB_FD(t->m, ctl), &zero, &ctl, BPF_ANY))
		pr_warn("marking the live config unrecorded in the ctl map: %s\n", strerror(errno));
}

int lb_txn_end(struct lb_txn *t, bool ok, struct load_result *res)
{
	int err = 0;

	res->unrecorded = t->unrecorded && ok;
	if (t->pending && ok) {
		fault_point("applied");
		err = history_commit(&t->h, t->e.seq);
		/* the overrides a caller gave (backend set, rollback) are now the
		 * state dir's */
		if (!err && t->own_ov)
			err = history_overrides_write(t->h.dir, &t->ov);
		res->history_seq = t->e.seq;
		fault_point("history-committed");
		if (!err)
			err = history_prune(&t->h, HISTORY_KEEP);
		if (err) {
			pr_warn("%s: the config is live (generation %u), but recording it in %s failed: marked unrecorded; the next load that can write the history records it\n",
				t->live.ifname, res->generation, t->h.dir);
			mark_unrecorded(t);
			res->unrecorded = true;
		}
	} else if (t->pending) {
		history_drop(&t->h, t->e.seq); /* this load never went live */
	}
	t->pending = false;
	history_free(&t->h);
	live_free(&t->live);
	overrides_free(&t->ov);
	return err;
}

/* ------------------------------------------------------- the program */

static int load_program(const struct lb_maps *m)
{
	int err = xdplb_bpf__load(m->skel);

	if (err)
		pr_err("loading the BPF program: %s\n", strerror(-err));
	return err;
}

static void note_link(int link_fd, struct load_result *res)
{
	struct bpf_link_info li;

	if (!link_info(link_fd, &li)) {
		res->link_id = li.id;
		res->prog_id = li.prog_id;
	}
}

/* The pinned link of an update, if it still runs on the interface: the
 * program it runs stays unless it is not the one this binary embeds (the
 * digest recorded in ctl, and the id the link runs, tell without loading
 * anything). *link_dead when it must be attached anew after the commit. */
static int update_program(struct lb_txn *t, const struct lb_maps *m, struct checked *c, int ifindex,
			  struct load_result *res, bool *link_dead)
{
	const struct xdplb_ctl *ctl = &t->live.ctl;
	struct bpf_link_info li;
	char path[600];
	int fd, err, r;

	snprintf(path, sizeof(path), "%s/link", res->pin_dir);
	fd = bpf_obj_get(path);
	err = fd < 0 ? -ENOLINK : link_check(fd, ifindex, c->cfg.interface, c->cfg.mode, &li);
	if (err == -ENOLINK) {
		if (fd >= 0)
			pr_warn("the pinned link of %s is dead (detached by hand, or the interface was re-created): attaching anew\n",
				c->cfg.interface);
		if (fd >= 0)
			close(fd);
		unlink(path);
		*link_dead = true;
		return load_program(m);
	}
	if (err)
		goto out;
	res->link_id = li.id;
	res->prog_id = li.prog_id;
	if (ctl->prog_id == li.prog_id && !memcmp(ctl->prog_digest, t->prog_digest, 32)) {
		t->prog_id = li.prog_id; /* the same program: nothing to load */
		goto out;
	}
	err = load_program(m);
	if (err)
		goto out;
	r = link_replace(fd, li.prog_id, bpf_program__fd(m->skel->progs.xdplb_lb), &t->prog_id);
	if (r < 0)
		err = r;
	res->prog_replaced = r > 0;
	res->prog_id = t->prog_id;
out:
	close(fd);
	return err;
}

static int attach(const struct lb_maps *m, struct checked *c, int ifindex, struct load_result *res)
{
	char path[600];
	int fd;

	snprintf(path, sizeof(path), "%s/link", res->pin_dir);
	fd = link_attach(bpf_program__fd(m->skel->progs.xdplb_lb), ifindex, c->cfg.interface,
			 c->cfg.mode, path);
	if (fd < 0)
		return fd;
	note_link(fd, res);
	close(fd);
	return 0;
}

/* The program's id once loaded. */
static void note_prog(struct lb_txn *t, const struct lb_maps *m)
{
	struct bpf_prog_info pi;

	if (!link_prog_info(bpf_program__fd(m->skel->progs.xdplb_lb), &pi))
		t->prog_id = pi.id;
}

/* First load: libbpf creates the maps and pins them; fill them, then
 * attach and pin the link. */
static int first_load(struct lb_txn *t, const struct lb_maps *m, struct checked *c, int ifindex,
		      const __u8 mac[6], struct load_result *res)
{
	int err = maps_pin_at(m, res->pin_dir);

	if (!err)
		err = maps_ct_size(m, c->cfg.ct_size);
	if (!err)
		err = load_program(m);
	if (!err) {
		note_prog(t, m);
		err = lb_txn_apply(t, m, c, mac, res);
	}
	if (!err)
		err = attach(m, c, ifindex, res);
	if (!err)
		res->created = true;
	return err;
}

static int update(struct lb_txn *t, const struct lb_maps *m, struct checked *c, int ifindex,
		  const __u8 mac[6], struct load_result *res)
{
	bool link_dead = false;
	int err = update_program(t, m, c, ifindex, res, &link_dead);

	if (!err && link_dead)
		note_prog(t, m);
	if (!err)
		err = lb_txn_apply(t, m, c, mac, res);
	if (!err && link_dead)
		err = attach(m, c, ifindex, res);
	return err;
}

/* ----------------------------------------------------------- load */

/* The interface's index, MAC and pin dir (made). */
static int interface(struct xdplb_config *cfg, int *ifindex, __u8 mac[6], struct load_result *res)
{
	char msg[512];
	int err, mtu;

	*ifindex = netdev_ifindex(cfg->interface);
	if (*ifindex < 0) {
		pr_err("interface %s: not found in this network namespace\n", cfg->interface);
		return *ifindex;
	}
	err = netdev_mac(cfg->interface, mac);
	if (err) {
		pr_err("reading the MAC address of %s: %s\n", cfg->interface, strerror(-err));
		return err;
	}
	/* the frames that leave are at most mtu + L2: can the interface
	 * send them? Said, not refused (docs/design-changes.md 39) */
	mtu = netdev_mtu(cfg->interface);
	if (mtu < 0)
		pr_warn("warning: reading the MTU of %s: %s: mtu %u not checked against it\n",
			cfg->interface, strerror(-mtu), cfg->mtu);
	else if (config_mtu_check(cfg, mtu, msg, sizeof(msg)))
		pr_warn("warning: %s\n", msg);
	/* a next_hop address: its MAC now, before anything is written (said) */
	err = neigh_resolve_cfg(cfg);
	if (err)
		return err == -EHOSTUNREACH || err == -ENETUNREACH ? -ECANCELED : err;
	return pin_dir(cfg->interface, 0, res->pin_dir, sizeof(res->pin_dir));
}

/* The program the link pinned in dir runs when it is attached to ifindex
 * in the mode cfg asks for; 0 otherwise (dead, another mode, none). */
static __u32 link_prog_now(const char *dir, int ifindex, const struct xdplb_config *cfg)
{
	struct bpf_link_info li;
	char path[600];
	__u32 id = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/link", dir);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	if (!link_check_quiet(fd, ifindex, cfg->mode, &li))
		id = li.prog_id;
	close(fd);
	return id;
}

int lb_load(struct checked *c, const struct load_opts *o, struct load_result *res)
{
	struct load_opts lo = *o;
	struct lb_txn txn = { 0 };
	struct lb_maps m = { 0 };
	int ifindex, lock, err, herr;
	bool exists;
	__u8 mac[6];

	memset(res, 0, sizeof(*res));
	err = interface(&c->cfg, &ifindex, mac, res);
	if (err)
		return err;
	lock = lb_lock(res->pin_dir);
	if (lock < 0)
		return lock;
	fault_point("locked");
	/* under the lock: an unload that ran while this load waited removed it */
	err = mkdir_p(res->pin_dir);
	if (err) {
		pr_err("creating the pin directory %s: %s\n", res->pin_dir, strerror(-err));
		lb_unlock(lock);
		return err;
	}
	link_gc_dead(res->pin_dir);
	if (link_pin_dead(res->pin_dir)) {
		pr_warn("%s: the pins in %s are of an LB whose interface is gone (its link is detached): stale, loading anew\n",
			c->cfg.interface, res->pin_dir);
		pins_remove(res->pin_dir);
		err = mkdir_p(res->pin_dir);
		if (err) {
			pr_err("creating the pin directory %s: %s\n", res->pin_dir, strerror(-err));
			lb_unlock(lock);
			return err;
		}
	}
	err = maps_open_pinned(res->pin_dir, &m);
	exists = !err;
	if (err == -ENOENT)
		err = maps_open(&m);
	if (!err && exists && o->skip_same) {
		lo.if_mac = mac;
		lo.link_prog_id = link_prog_now(res->pin_dir, ifindex, &c->cfg);
	}
	if (!err)
		err = lb_txn_begin(&txn, &m, exists, c, &lo);
	if (!err && txn.unchanged) {
		res->unchanged = true;
		res->generation = live_g(&txn.live)->generation;
		res->prog_id = txn.live.ctl.prog_id;
	} else if (!err) {
		maps_object_digest(txn.prog_digest);
		if (exists)
			err = update(&txn, &m, c, ifindex, mac, res);
		else
			err = first_load(&txn, &m, c, ifindex, mac, res);
	}
	herr = lb_txn_end(&txn, !err, res);
	err = err ? err : herr;
	if (err && !exists && m.skel)
		pins_remove(res->pin_dir); /* nothing of a failed first load stays */
	maps_close(&m);
	lb_unlock(lock);
	return err;
}

/* Loads history entry seq again, with overrides ov, through the same path
 * as a load. The config went live before: its own guards are warnings;
 * force says whether the overrides' are. must, if not NULL, is the
 * override that has to name a backend of that config; is_override: an
 * operator's override (not judged by max_flows_moved). */
static int reapply(struct history *h, unsigned int seq, const char *ifname, int mode,
		   const struct overrides *ov, const struct override *must, bool is_override,
		   const char *note, bool force, bool no_history, struct load_result *res)
{
	struct config_opts co = { .iface = ifname, .mode = mode, .force = true };
	const struct hist_entry *e = history_find(h, seq);
	char source[256], host_source[256], *text = NULL, *host = NULL;
	struct diags d = { 0 };
	struct checked c;
	size_t len, host_len = 0;
	__u32 vi;
	int err = history_read_entry(h, seq, &text, &len, &host, &host_len);

	if (err)
		return err;
	co.host_text = host;
	co.host_len = host_len;
	co.host_name = "history (host file)";
	err = validate_text(text, len, &co, &c, &d);
	if (err) {
		log_diags(&d, "history");
		goto out;
	}
	if (must && !overrides_target(&c, must->vip, must->backend, &vi)) {
		pr_err("%s: the live config (history entry %u) has no VIP %s with a backend %s\n",
		       ifname, seq, must->vip, must->backend);
		err = -EINVAL;
		checked_free(&c);
		goto out;
	}
	snprintf(source, sizeof(source), "%s", e ? e->source : "");
	snprintf(host_source, sizeof(host_source), "%s", e ? e->host_source : "");
	struct load_opts lo = { .text = text,
				.len = len,
				.host_text = host,
				.host_len = host_len,
				.host_source = host_source,
				.source = source,
				.state_dir = h->dir,
				.force = force,
				.note = note,
				.overrides = ov,
				.no_history = no_history,
				.no_moves_guard = is_override };

	err = lb_load(&c, &lo, res);
	checked_free(&c);
out:
	diags_free(&d);
	free(text);
	free(host);
	return err;
}

static int open_history(const char *ifname, const char *state_dir, struct history *h)
{
	char dir[512];

	if (state_dir)
		snprintf(dir, sizeof(dir), "%s", state_dir);
	else
		history_default_dir(ifname, dir, sizeof(dir));
	return history_open(dir, h);
}

/* Whether e is the config live on ifname (an entry a --no-history load
 * left behind is not). */
static bool is_live(const char *ifname, const struct hist_entry *e)
{
	struct lb_live st;
	char dg[80];
	bool live;

	if (status_read(ifname, 0, &st))
		return true; /* nothing to compare: as before */
	digest_str(live_g(&st)->digest, dg);
	live = live_g(&st)->generation == e->generation && !strcmp(dg, e->digest);
	live_free(&st);
	return live;
}

int lb_rollback(const char *ifname, const char *state_dir, unsigned int to, int mode,
		bool no_history, struct load_result *res, unsigned int *seq)
{
	const struct hist_entry *last, *target = NULL;
	struct overrides ov = { 0 };
	struct history h;
	char note[64];
	int err = open_history(ifname, state_dir, &h);

	if (err)
		return err;
	last = history_last(&h);
	if (to) {
		target = history_find(&h, to);
	} else if (last && !is_live(ifname, last)) {
		pr_warn("%s: the live config is in no entry of %s (loaded with --no-history?): rolling back to the newest, %u\n",
			ifname, h.dir, last->seq);
		target = last;
	} else if (last) {
		for (size_t i = 0; i < h.n; i++)
			if (!h.e[i].pending && h.e[i].seq < last->seq)
				target = &h.e[i];
	}
	if (!target) {
		if (to)
			pr_err("%s: no history entry %u in %s\n", ifname, to, h.dir);
		else
			pr_err("%s: no earlier config in %s to roll back to\n", ifname, h.dir);
		err = -ECANCELED;
		goto out;
	}
	*seq = target->seq;
	snprintf(note, sizeof(note), "rollback to %u", target->seq);
	/* the configured state of then: its config and its overrides */
	err = history_entry_overrides(&h, target->seq, &ov);
	if (!err)
		err = reapply(&h, target->seq, ifname, mode, &ov, NULL, false, note, true,
			      no_history, res);
out:
	overrides_free(&ov);
	history_free(&h);
	return err;
}

int lb_override(const char *ifname, const char *state_dir, const char *vip, const char *backend,
		int state, int weight, bool force, struct load_result *res)
{
	struct override must = { .state = state, .weight = weight };
	const struct hist_entry *last;
	struct overrides ov = { 0 };
	struct history h;
	char note[160];
	int err = open_history(ifname, state_dir, &h);

	if (err)
		return err;
	snprintf(must.vip, sizeof(must.vip), "%s", vip);
	snprintf(must.backend, sizeof(must.backend), "%s", backend);
	last = history_last(&h);
	if (!last) {
		pr_err("%s: no config in %s to override (xdplb load first)\n", ifname, h.dir);
		err = -ECANCELED;
		goto out;
	}
	err = history_overrides_read(h.dir, &ov);
	if (err)
		goto out;
	if (state < 0 && weight < 0 && !overrides_find(&ov, vip, backend)) {
		err = 1;
		goto out;
	}
	err = overrides_set(&ov, vip, backend, state, weight);
	if (err)
		goto out;
	if (state < 0 && weight < 0)
		snprintf(note, sizeof(note), "override %s/%s cleared", vip, backend);
	else if (weight < 0)
		snprintf(note, sizeof(note), "override %s/%s %s", vip, backend,
			 state_str((__u8)state));
	else
		snprintf(note, sizeof(note), "override %s/%s %s weight %d", vip, backend,
			 state >= 0 ? state_str((__u8)state) : "", weight);
	err = reapply(&h, last->seq, ifname, -1, &ov, state >= 0 || weight >= 0 ? &must : NULL,
		      true, note, force, false, res);
out:
	overrides_free(&ov);
	history_free(&h);
	return err;
}

int lb_unload(const char *ifname)
{
	/* the health-check tunnel runs on these maps: it goes first, and
	 * the data path goes even if it could not */
	int hc_err = hc_tunnel_detach(ifname);
	int err = link_unload(ifname, 0);

	return err ?: hc_err;
}

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * service.c - `xdplb run` (service.h): one thread and one epoll set for
 * signals, the config file, the checks and the timers; the exporter in a
 * thread of its own, which reads the service's check state under mu.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <bpf/bpf.h>
#include <systemd/sd-daemon.h>

#include "addr.h"
#include "bpffs.h"
#include "commit.h"
#include "effective.h"
#include "hc_tunnel.h"
#include "history.h"
#include "load.h"
#include "lock.h"
#include "log.h"
#include "maps.h"
#include "metrics.h"
#include "neigh.h"
#include "netdev.h"
#include "serve.h"
#include "service.h"
#include "sha256.h"
#include "status.h"
#include "svc_announce.h"
#include "svc_health.h"
#include "mono.h"

#define RELOAD_SETTLE 0.2 /* seconds after the last change of the file */
#define NH_REFRESH 1.0 /* seconds between looks at the next hop's and the interface's MACs */

struct svc {
	const struct service_opts *o;
	char ifname[IF_NAMESIZE], pin_dir[512], dir[PATH_MAX], base[NAME_MAX + 1];
	char host_base[NAME_MAX + 1]; /* the host file's name ("": none) */
	struct lb_maps m; /* open from the first sync on */
	struct lb_live live; /* as last read or written */
	struct checked cfg; /* configured + health = effective: what is live */
	bool have_cfg;
	__u32 *vip_ids, **be_ids; /* of cfg */
	bool *changed, *touched; /* scratch of a round, per cfg VIP */
	struct svc_health hc;
	struct svc_announce ann; /* the VIPs' routes for BGP (docs/fleet.md) */
	pthread_mutex_t mu; /* hc, cfg and the counters, for the exporter */
	struct serve *http;
	int ep, sigfd, ino;
	unsigned int hc_gen; /* counts rebuilds of the checks (a new engine fd) */
	double reload_at, next_round, next_wd, wd_interval;
	bool stop;
	/* for the metrics */
	__u64 reloads_ok, reloads_refused, reloads_failed, applies, apply_failures;
	bool last_reload_ok, tunnel_ok;
	double apply_cpu, apply_rcu, apply_wall, apply_live;
	/* the next hop (a next_hop address: the neighbour table's MAC) */
	double next_nh;
	bool nh_unresolved;
	__u64 nh_changes;
};

static double cpu_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* ------------------------------------------------------------ configs */

/* The history and overrides directory: --state-dir or the default. */
static void state_dir_path(const struct svc *s, char *dir, size_t len)
{
	if (s->o->state_dir)
		snprintf(dir, len, "%s", s->o->state_dir);
	else
		history_default_dir(s->ifname, dir, len);
}

/* The bytes of the file and of its host file (NULL: none). */
struct svc_text {
	char *text, *host;
	size_t len, host_len;
};

static void svc_text_free(struct svc_text *t)
{
	free(t->text);
	free(t->host);
	memset(t, 0, sizeof(*t));
}

static int read_one(const char *path, char **text, size_t *len)
{
	int err = config_read_file(path, text, len);

	if (err)
		pr_warn("%s: %s\n", path, config_read_strerror(err));
	return err;
}

/* The file (and its host file), validated; 0, -EINVAL (said), or -errno
 * (said). */
static int read_file(struct svc *s, struct checked *c, struct svc_text *t)
{
	struct config_opts co = { .iface = s->o->iface,
				  .mode = s->o->mode,
				  .name = s->o->config,
				  .host_name = s->o->host };
	struct diags d = { 0 };
	int err;

	memset(t, 0, sizeof(*t));
	err = read_one(s->o->config, &t->text, &t->len);
	if (!err && s->o->host)
		err = read_one(s->o->host, &t->host, &t->host_len);
	if (err) {
		svc_text_free(t);
		return err;
	}
	co.host_text = t->host;
	co.host_len = t->host_len;
	err = validate_text(t->text, t->len, &co, c, &d);
	if (err == -EINVAL)
		log_diags(&d, s->o->config);
	else if (err)
		pr_err("%s: %s\n", s->o->config, strerror(-err));
	diags_free(&d);
	if (err)
		svc_text_free(t);
	return err;
}

/* The config that is live, from the history's newest committed entry:
 * what the service runs when the file cannot be loaded. */
static int history_config(struct svc *s, struct checked *c)
{
	/* the service's own --mode, as it loads: the host settings must
	 * compare equal with what it made live */
	struct config_opts co = { .iface = s->ifname, .mode = s->o->mode, .force = true };
	const struct hist_entry *e;
	struct diags d = { 0 };
	struct history h;
	char dir[512], *text = NULL, *host = NULL;
	size_t len, host_len;
	int err;

	state_dir_path(s, dir, sizeof(dir));
	err = history_open(dir, &h);
	if (err)
		return err;
	e = history_last(&h);
	err = e ? history_read_entry(&h, e->seq, &text, &len, &host, &host_len) : -ENOENT;
	co.host_text = host;
	co.host_len = host_len;
	if (!err)
		err = validate_text(text, len, &co, c, &d);
	free(host);
	if (err)
		pr_warn("%s: the live config's history entry cannot be read: %s\n", s->ifname,
			strerror(-err));
	diags_free(&d);
	free(text);
	history_free(&h);
	return err;
}

static int load(struct svc *s, struct checked *c, const struct svc_text *t)
{
	char src[PATH_MAX], hsrc[PATH_MAX];
	struct load_opts lo = { .text = t->text,
				.len = t->len,
				.host_text = t->host,
				.host_len = t->host_len,
				.host_source = history_source(s->o->host, hsrc),
				.state_dir = s->o->state_dir,
				.source = realpath(s->o->config, src) ? src : s->o->config,
				.note = "xdplb run" };
	struct load_result r;
	int err = lb_load(c, &lo, &r);

	if (!err)
		pr_info("%s: %s generation %u, history entry %u\n", s->ifname,
			r.created ? "attached," : "updated to", r.generation, r.history_seq);
	return err;
}

/* ------------------------------------------------------------ syncing */

static void free_ids(struct svc *s)
{
	for (__u32 v = 0; s->be_ids && v < s->cfg.cfg.n_vips; v++)
		free(s->be_ids[v]);
	free(s->be_ids);
	free(s->vip_ids);
	free(s->changed);
	free(s->touched);
	s->be_ids = NULL;
	s->vip_ids = NULL;
	s->changed = s->touched = NULL;
}

static int alloc_ids(struct svc *s)
{
	__u32 n = s->cfg.cfg.n_vips + 1;

	s->vip_ids = calloc(n, sizeof(*s->vip_ids));
	s->be_ids = calloc(n, sizeof(*s->be_ids));
	s->changed = calloc(n, sizeof(*s->changed));
	s->touched = calloc(n, sizeof(*s->touched));
	if (!s->vip_ids || !s->be_ids || !s->changed || !s->touched)
		return -ENOMEM;
	for (__u32 v = 0; v < s->cfg.cfg.n_vips; v++) {
		s->be_ids[v] = calloc(s->cfg.cfg.vips[v].n_backends + 1, sizeof(__u32));
		if (!s->be_ids[v])
			return -ENOMEM;
	}
	return 0;
}

/* The checks go through the tunnel only when its program is on the
 * interface: without it a probe to the VIP would reach some backend
 * through the LB and say nothing of the one it names. */
static void tunnel(struct svc *s)
{
	int err;

	/* the metric: 1 unless checks that need the tunnel cannot run (hc is
	 * emptied below, so hc.tunnel cannot say it afterwards) */
	s->tunnel_ok = true;
	if (!s->hc.tunnel)
		return;
	err = hc_tunnel_attach(s->ifname, NULL);
	s->tunnel_ok = !err;
	if (err) {
		pr_warn("%s: the health-check tunnel cannot be attached (%s): no checks run, nothing is taken out\n",
			s->ifname, strerror(-err));
		svc_health_free(&s->hc);
	}
}

/* cfg (owned from now on) is what the maps hold: read them, and rebuild
 * the ids and the checks (what the old checks knew carries over). The
 * caller holds the interface's lock: the overrides, the maps (and the
 * history entry cfg came from) are then one reading, never the halves of
 * a load by hand that flipped the maps but has not written its overrides
 * yet (a health commit planned from such a reading undid the override).
 * The tunnel is attached afterwards, by svc_tunnel(): that takes the lock. */
static int svc_sync_locked(struct svc *s, struct checked *cfg)
{
	struct svc_health old = s->hc;
	char dir[512];
	int err = 0;

	/* what is live is the config with the operators' overrides: the
	 * health commits must not undo them */
	state_dir_path(s, dir, sizeof(dir));
	err = lb_kept_overrides(dir, cfg);
	if (err < 0) {
		checked_free(cfg);
		pr_warn("%s: reading the overrides: %s\n", s->ifname, strerror(-err));
		return err;
	}
	err = 0;

	pthread_mutex_lock(&s->mu);
	if (!s->m.skel)
		err = maps_open_pinned(s->pin_dir, &s->m);
	live_free(&s->live);
	snprintf(s->live.ifname, sizeof(s->live.ifname), "%s", s->ifname);
	if (!err)
		err = status_read_maps(&s->m, LIVE_TABLE_IDS, &s->live);
	free_ids(s);
	if (s->have_cfg)
		checked_free(&s->cfg);
	s->cfg = *cfg;
	s->have_cfg = true;
	s->hc_gen++;
	if (!err) {
		effective_from_live(&s->cfg, &s->live);
		err = effective_apply(&s->cfg, NULL);
	}
	if (!err)
		err = alloc_ids(s);
	if (!err)
		err = live_ids(&s->live, &s->cfg, s->vip_ids, s->be_ids);
	/* the checks are rebuilt only from a consistent reading; until then
	 * the old ones stay (freeing them here left s->hc dangling) */
	if (!err) {
		err = svc_health_build(&s->hc, &old, &s->cfg, s->be_ids, mono_now());
		svc_health_free(&old);
	}
	/* a next_hop address adopted (not loaded) has no MAC yet: the live one */
	if (!err && mac_is_zero(s->cfg.cfg.nh_mac))
		memcpy(s->cfg.cfg.nh_mac, live_g(&s->live)->nh_mac, 6);
	s->ann.dirty = true;
	s->next_nh = 0; /* a new config may name another next hop */
	pthread_mutex_unlock(&s->mu);
	if (err)
		pr_warn("%s: reading what is live: %s\n", s->ifname, strerror(-err));
	return err;
}

/* After a sync, with the interface's lock released. */
static void svc_tunnel(struct svc *s)
{
	pthread_mutex_lock(&s->mu);
	tunnel(s);
	pthread_mutex_unlock(&s->mu);
	pr_info("%s: %u VIPs, %u checks%s\n", s->ifname, s->cfg.cfg.n_vips, s->hc.n,
		s->hc.tunnel && s->tunnel_ok ? " (through the tunnel)" : "");
}

static int svc_sync(struct svc *s, struct checked *cfg)
{
	int lock = lb_lock(s->pin_dir), err;

	if (lock < 0) {
		checked_free(cfg);
		pr_warn("%s: reading what is live: %s\n", s->ifname, strerror(-lock));
		return lock;
	}
	err = svc_sync_locked(s, cfg);
	lb_unlock(lock);
	if (!err)
		svc_tunnel(s);
	return err;
}

/* The maps changed under the service (an `xdplb load`, `rollback` or
 * `backend set` by hand): it runs what is live now. Called without mu
 * (svc_sync_locked takes it). The history's newest entry, the overrides
 * and the maps are read under the interface's lock, which every writer
 * holds from its flip to its history commit: one consistent reading. A
 * live config that is still not the newest entry was loaded with
 * --no-history: the service runs the entry (its next commit restores it). */
static int adopt_external(struct svc *s)
{
	struct checked c;
	int lock, err;

	lock = lb_lock(s->pin_dir);
	if (lock < 0) {
		pr_warn("%s: the maps changed by hand; locking them to read them: %s\n", s->ifname,
			strerror(-lock));
		return lock;
	}
	err = history_config(s, &c);
	if (!err) {
		maps_close(&s->m); /* the maps themselves may be new (unload, load) */
		err = svc_sync_locked(s, &c);
	}
	lb_unlock(lock);
	if (err)
		return err;
	svc_tunnel(s);
	if (config_is_live(&s->cfg.cfg, live_g(&s->live))) {
		pr_warn("%s: the live config changed outside the service (now generation %u): running it\n",
			s->ifname, live_g(&s->live)->generation);
		return 0;
	}
	pr_warn("%s: the live config (generation %u) is not the history's newest entry: running that entry\n",
		s->ifname, live_g(&s->live)->generation);
	return -ESTALE;
}

/* ------------------------------------------------------------ health */

/* Did anyone else write the maps since the service last did? */
static int external_change(struct svc *s)
{
	struct xdplb_ctl ctl;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(LB_FD(&s->m, ctl), &zero, &ctl))
		return -errno;
	return memcmp(&ctl, &s->live.ctl, sizeof(ctl)) != 0;
}

/* if_mac: NULL for a health commit; else a commit of the MACs (the
 * interface's, and the config's nh_mac), nothing else. st: the commit's
 * timings, added to what the caller zeroed (flip_at stays 0 if the commit
 * never flipped), or NULL. */
static int commit(struct svc *s, const __u8 *if_mac, struct commit_stats *st)
{
	struct plan_hint hint = { .vip_ids = s->vip_ids,
				  .be_ids = s->be_ids,
				  .touched = s->touched };
	__u32 *table_ids = calloc(s->cfg.cfg.n_vips + 1, sizeof(*table_ids));
	bool *same = calloc(s->cfg.cfg.n_vips + 1, sizeof(*same));
	struct plan_env env = { .now = (__u64)time(NULL), .health_only = true, .hint = &hint };
	struct plan p;
	int lock, err;

	if (!table_ids || !same) {
		err = -ENOMEM;
		goto out;
	}
	for (__u32 v = 0; v < s->cfg.cfg.n_vips; v++)
		same[v] = !s->changed[v];
	hint.table_same = same;
	memcpy(env.if_mac, if_mac ? if_mac : live_g(&s->live)->if_mac, 6);
	env.macs = if_mac != NULL;
	memcpy(env.prog_digest, s->live.ctl.prog_digest, sizeof(env.prog_digest));
	env.prog_id = s->live.ctl.prog_id;
	lock = lb_lock(s->pin_dir);
	if (lock < 0) {
		err = lock;
		goto out;
	}
	err = external_change(s);
	if (err > 0) {
		lb_unlock(lock);
		err = -ESTALE; /* the caller adopts what is live, without mu */
		goto out;
	}
	if (!err)
		err = plan_build(&s->live, &s->cfg, &env, &p);
	if (!err) {
		err = maps_commit(&s->m, &s->live, &p, &s->cfg, table_ids, st);
		if (!err)
			err = plan_apply_to_live(&s->live, &p, &s->cfg, table_ids);
		plan_free(&p, s->cfg.cfg.n_vips);
	}
	lb_unlock(lock);
out:
	free(table_ids);
	free(same);
	return err;
}

/* One round: results in, verdicts out, and what changed in one commit. */
static void round_(struct svc *s, double now)
{
	double cpu0 = cpu_now(), t0 = mono_now();
	struct commit_stats st = { 0 };
	int n, err;

	pthread_mutex_lock(&s->mu);
	n = s->hc.on ? svc_health_round(&s->hc, &s->cfg, now, s->changed, s->touched) : 0;
	if (n > 0) {
		s->ann.dirty = true;
		err = commit(s, NULL, &st);
		s->applies += !err;
		/* ESTALE: the maps changed by hand; adopted, applied next round */
		s->apply_failures += err && err != -ESTALE;
		s->apply_cpu = cpu_now() - cpu0;
		s->apply_wall = mono_now() - t0;
		/* live: packets use the new tables from the flip on; the
		 * rest of the commit makes the old bank equal */
		s->apply_rcu = st.rcu_s;
		s->apply_live = st.flip_at > 0 ? st.flip_at - t0 : s->apply_wall;
		if (err) {
			if (err != -ESTALE)
				pr_warn("%s: applying health changes: %s; reading the maps again\n",
					s->ifname, strerror(-err));
			pthread_mutex_unlock(&s->mu);
			adopt_external(s);
			return;
		}
		pr_info("%s: health changes of %d VIP%s applied: %.2f ms of CPU, %.2f ms waiting for grace periods, live %.2f ms after the decision, commit complete after %.2f ms\n",
			s->ifname, n, n == 1 ? "" : "s", 1e3 * s->apply_cpu, 1e3 * s->apply_rcu,
			1e3 * s->apply_live, 1e3 * s->apply_wall);
	} else if (n < 0) {
		pr_warn("%s: a health round failed: %s\n", s->ifname, strerror(-n));
	} else if (s->m.skel && external_change(s) > 0) {
		/* a load or rollback by hand: run it now, not at the next
		 * health change (one map lookup a round) */
		pthread_mutex_unlock(&s->mu);
		adopt_external(s);
		return;
	}
	pthread_mutex_unlock(&s->mu);
}

/* ------------------------------------------------------------ next hop */

/* The MAC the next hop has now: the config's fixed one, or the neighbour
 * table's for a next_hop address. 1 found, 0 unresolved (said once). */
static int nh_now(struct svc *s, __u8 mac[6])
{
	const struct xdplb_config *c = &s->cfg.cfg;
	struct nh_found f;
	char a[64];
	int err;

	if (c->nh.kind == NH_MAC) {
		memcpy(mac, c->nh_mac, 6);
		return 1;
	}
	err = neigh_find(netdev_ifindex(s->ifname), &c->nh, &f);
	if (err || !f.resolved) {
		if (!s->nh_unresolved)
			pr_warn("%s: next_hop %s does not resolve now%s%s: the data path keeps sending to %s\n",
				s->ifname, next_hop_str(&c->nh, NULL, a, sizeof(a)),
				err ? ": " : "", err ? strerror(-err) : "",
				mac_str(live_g(&s->live)->nh_mac, a));
		s->nh_unresolved = true;
		return 0;
	}
	if (s->nh_unresolved)
		pr_info("%s: next_hop %s resolves again\n", s->ifname,
			next_hop_str(&c->nh, NULL, a, sizeof(a)));
	s->nh_unresolved = false;
	memcpy(mac, f.mac, 6);
	return 1;
}

/* A next hop whose MAC changed (a router replaced, a VRRP failover), or an
 * interface whose own MAC did (the program passes frames to any other
 * MAC: a stale if_mac is an outage), goes live through a commit of the
 * MACs alone. Under mu. */
static void nh_refresh(struct svc *s, double now)
{
	const struct xdplb_global_cfg *g = live_g(&s->live);
	char m1[20], m2[20], m3[20], m4[20];
	__u8 nh[6], ifm[6];
	int err;

	if (now < s->next_nh || !s->have_cfg || !s->m.skel)
		return;
	s->next_nh = now + NH_REFRESH;
	if (netdev_mac(s->ifname, ifm) || nh_now(s, nh) <= 0)
		return;
	if (!memcmp(nh, g->nh_mac, 6) && !memcmp(ifm, g->if_mac, 6))
		return;
	pr_info("%s: next hop MAC %s -> %s, interface MAC %s -> %s: committing\n", s->ifname,
		mac_str(g->nh_mac, m1), mac_str(nh, m2), mac_str(g->if_mac, m3), mac_str(ifm, m4));
	memcpy(s->cfg.cfg.nh_mac, nh, 6);
	memset(s->changed, 0, (s->cfg.cfg.n_vips + 1) * sizeof(*s->changed));
	memset(s->touched, 0, (s->cfg.cfg.n_vips + 1) * sizeof(*s->touched));
	err = commit(s, ifm, NULL);
	if (err) {
		s->next_nh = now; /* again at the next round */
		if (err != -ESTALE)
			pr_warn("%s: committing the new MACs: %s\n", s->ifname, strerror(-err));
		return;
	}
	s->nh_changes++;
}

/* ------------------------------------------------------------ reloads */

static void reload(struct svc *s)
{
	struct svc_text t;
	struct checked c;
	int err;

	sd_notify(0, "RELOADING=1");
	err = read_file(s, &c, &t);
	if (err) {
		s->reloads_refused += err == -EINVAL;
		s->reloads_failed += err != -EINVAL;
		goto out;
	}
	if (config_is_live(&c.cfg, live_g(&s->live))) {
		pr_info("%s: %s unchanged\n", s->ifname, s->o->config);
		s->last_reload_ok = true; /* the file is what is live (again) */
		checked_free(&c);
		svc_text_free(&t);
		sd_notify(0, "READY=1");
		return;
	}
	err = load(s, &c, &t);
	svc_text_free(&t);
	if (err) {
		checked_free(&c);
		s->reloads_refused += err == -ECANCELED;
		s->reloads_failed += err != -ECANCELED;
		goto out;
	}
	err = svc_sync(s, &c);
	s->reloads_ok += !err;
	s->reloads_failed += !!err;
out:
	if (err)
		pr_warn("%s: %s refused: the running config (generation %u) stays live\n",
			s->ifname, s->o->config, live_g(&s->live)->generation);
	s->last_reload_ok = !err;
	sd_notify(0, "READY=1");
}

/* At start: the file, loaded (or adopted when it is what is live), else
 * what is live, else nothing to run. */
static int start(struct svc *s)
{
	bool pinned = !maps_open_pinned(s->pin_dir, &s->m);
	struct svc_text t = { 0 };
	struct checked c;
	int err = read_file(s, &c, &t);

	if (pinned) {
		snprintf(s->live.ifname, sizeof(s->live.ifname), "%s", s->ifname);
		if (status_read_maps(&s->m, 0, &s->live))
			pinned = false;
	}
	if (!err && pinned && config_is_live(&c.cfg, live_g(&s->live))) {
		pr_info("%s: %s is live already (generation %u): adopting it\n", s->ifname,
			s->o->config, live_g(&s->live)->generation);
		svc_text_free(&t);
		s->last_reload_ok = true;
		return svc_sync(s, &c);
	}
	maps_close(&s->m);
	if (!err)
		err = load(s, &c, &t);
	svc_text_free(&t);
	s->last_reload_ok = !err;
	if (!err)
		return svc_sync(s, &c);
	if (!pinned) {
		pr_warn("%s: %s cannot be loaded and nothing is live: stopping\n", s->ifname,
			s->o->config);
		return err == -EINVAL || err == -ECANCELED ? -ECANCELED : err;
	}
	pr_warn("%s: %s refused: running the live config (generation %u)\n", s->ifname,
		s->o->config, live_g(&s->live)->generation);
	err = history_config(s, &c);
	return err ? err : svc_sync(s, &c);
}

/* ------------------------------------------------------------ metrics */

static void backend_metrics(struct mbuf *b, const struct svc *s, const char *name, int what)
{
	for (__u32 v = 0; v < s->cfg.cfg.n_vips && s->hc.check_of; v++) {
		const struct cfg_vip *vip = &s->cfg.cfg.vips[v];

		for (__u32 k = 0; k < vip->n_backends; k++) {
			__u32 c = s->hc.check_of[v][k];
			const struct svc_check *ck = &s->hc.chk[c];
			const char *kv[] = { "iface",	s->ifname, "vip",
					     vip->name, "backend", vip->backends[k].name,
					     "result",	NULL,	   NULL };

			if (c == UINT32_MAX)
				continue;
			if (what == 0) {
				kv[7] = "ok";
				metrics_sample(b, name, kv, (double)ck->n_ok);
				kv[7] = "fail";
				metrics_sample(b, name, kv, (double)ck->n_fail);
			} else if (what == 1) {
				metrics_sample(b, name, kv, ck->latency);
			} else if (what == 2) {
				metrics_sample(b, name, kv, s->hc.h.t[c].in);
			} else if (what == 3) {
				metrics_sample(b, name, kv, s->hc.h.t[c].held);
			} else {
				metrics_sample(b, name, kv, (double)ck->n_transitions);
			}
		}
	}
}

static void metrics(struct mbuf *b, void *arg)
{
	struct svc *s = arg;
	const char *lif[] = { "iface", s->ifname, NULL };
	const char *res[] = { "iface", s->ifname, "result", NULL, NULL };
	struct probe_stats ps = { 0 };

	pthread_mutex_lock(&s->mu);
	if (s->hc.pe)
		probe_get_stats(s->hc.pe, &ps);
	metrics_family(b, "xdplb_service_reloads_total", "counter",
		       "Reloads of the config by the service, by result (ok, refused, failed)");
	res[3] = "ok";
	metrics_sample(b, "xdplb_service_reloads_total", res, (double)s->reloads_ok);
	res[3] = "refused";
	metrics_sample(b, "xdplb_service_reloads_total", res, (double)s->reloads_refused);
	res[3] = "failed";
	metrics_sample(b, "xdplb_service_reloads_total", res, (double)s->reloads_failed);
	metrics_family(
		b, "xdplb_service_last_reload_successful", "gauge",
		"1 when the service's last load of the file went live, 0 when it was refused (the running config stays)");
	metrics_sample(b, "xdplb_service_last_reload_successful", lif, s->last_reload_ok);
	metrics_family(b, "xdplb_health_applies_total", "counter",
		       "Commits of health changes (each round's changes in one)");
	metrics_sample(b, "xdplb_health_applies_total", lif, (double)s->applies);
	metrics_family(b, "xdplb_health_apply_failures_total", "counter",
		       "Commits of health changes that failed");
	metrics_sample(b, "xdplb_health_apply_failures_total", lif, (double)s->apply_failures);
	metrics_family(
		b, "xdplb_health_apply_cpu_seconds", "gauge",
		"CPU time of the last round that changed something: verdicts, tables, commit");
	metrics_sample(b, "xdplb_health_apply_cpu_seconds", lif, s->apply_cpu);
	metrics_family(
		b, "xdplb_health_apply_rcu_wait_seconds", "gauge",
		"Time the last health commit waited for RCU grace periods (the kernel's, not CPU)");
	metrics_sample(b, "xdplb_health_apply_rcu_wait_seconds", lif, s->apply_rcu);
	metrics_family(
		b, "xdplb_health_apply_live_seconds", "gauge",
		"Wall time of the last round that changed something, from its verdicts to the flip: from then on the data path uses the change");
	metrics_sample(b, "xdplb_health_apply_live_seconds", lif, s->apply_live);
	metrics_family(
		b, "xdplb_health_apply_seconds", "gauge",
		"Wall time of the last round that changed something, from its verdicts to the end of its commit (the old bank made equal after the flip)");
	metrics_sample(b, "xdplb_health_apply_seconds", lif, s->apply_wall);
	metrics_family(b, "xdplb_health_checks_inflight", "gauge", "Checks running now");
	metrics_sample(b, "xdplb_health_checks_inflight", lif, ps.inflight);
	metrics_family(b, "xdplb_health_check_local_errors_total", "counter",
		       "Checks that could not start for a reason of this host (never a verdict)");
	metrics_sample(b, "xdplb_health_check_local_errors_total", lif, (double)ps.local_errors);
	metrics_family(b, "xdplb_health_tunnel_attached", "gauge",
		       "1 when the checks through the tunnel can run (its program is attached)");
	metrics_sample(b, "xdplb_health_tunnel_attached", lif, s->tunnel_ok);
	metrics_family(b, "xdplb_health_checks_total", "counter",
		       "Checks of the backend, by result (ok, fail)");
	backend_metrics(b, s, "xdplb_health_checks_total", 0);
	metrics_family(b, "xdplb_health_check_latency_seconds", "gauge",
		       "How long the backend's last check took");
	backend_metrics(b, s, "xdplb_health_check_latency_seconds", 1);
	metrics_family(
		b, "xdplb_health_check_passing", "gauge",
		"1 when the backend passes its checks (up, or not yet decided), 0 when it fails or is held");
	backend_metrics(b, s, "xdplb_health_check_passing", 2);
	metrics_family(b, "xdplb_health_check_held", "gauge",
		       "1 when flap damping holds the backend out");
	backend_metrics(b, s, "xdplb_health_check_held", 3);
	metrics_family(b, "xdplb_health_transitions_total", "counter",
		       "Changes of the backend's checks between up, down, held and released");
	backend_metrics(b, s, "xdplb_health_transitions_total", 4);
	if (s->have_cfg) {
		sann_metrics(b, &s->ann, &s->cfg);
		metrics_family(
			b, "xdplb_next_hop_resolved", "gauge",
			"1 when the next hop's MAC is known (next_hop_mac, or next_hop resolved at the last look)");
		metrics_sample(b, "xdplb_next_hop_resolved", lif, !s->nh_unresolved);
		metrics_family(b, "xdplb_next_hop_changes_total", "counter",
			       "Commits of a new next hop or interface MAC by the service");
		metrics_sample(b, "xdplb_next_hop_changes_total", lif, (double)s->nh_changes);
	}
	pthread_mutex_unlock(&s->mu);
}

/* ------------------------------------------------------------ the loop */

static int watch_file(struct svc *s)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s", s->o->config);
	snprintf(s->dir, sizeof(s->dir), "%s", dirname(tmp));
	snprintf(tmp, sizeof(tmp), "%s", s->o->config);
	snprintf(s->base, sizeof(s->base), "%s", basename(tmp));
	s->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	/* editors and config management replace the file: watch its dir */
	if (s->ino < 0 ||
	    inotify_add_watch(s->ino, s->dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE) < 0) {
		pr_warn("%s: watching %s: %s (SIGHUP still reloads)\n", s->ifname, s->dir,
			strerror(errno));
		return -errno;
	}
	if (!s->o->host)
		return 0;
	/* and the host file's (a second watch of the same dir is the same) */
	snprintf(tmp, sizeof(tmp), "%s", s->o->host);
	snprintf(s->host_base, sizeof(s->host_base), "%s", basename(tmp));
	snprintf(tmp, sizeof(tmp), "%s", s->o->host);
	if (inotify_add_watch(s->ino, dirname(tmp), IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE) < 0) {
		pr_warn("%s: watching the dir of %s: %s (SIGHUP still reloads)\n", s->ifname,
			s->o->host, strerror(errno));
		return -errno;
	}
	return 0;
}

static void file_events(struct svc *s, double now)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while ((n = read(s->ino, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *e = (struct inotify_event *)p;

			/* by name alone: two files of that name in two
			 * watched dirs cost one reload more */
			if (e->len && (!strcmp(e->name, s->base) ||
				       (s->host_base[0] && !strcmp(e->name, s->host_base))))
				s->reload_at = now + RELOAD_SETTLE;
			p += sizeof(*e) + e->len;
		}
	}
}

static void signals(struct svc *s)
{
	struct signalfd_siginfo si;

	while (read(s->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			pr_info("%s: SIGHUP: reloading %s\n", s->ifname, s->o->config);
			reload(s);
		} else {
			s->stop = true;
		}
	}
}

static int add_fd(struct svc *s, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return fd < 0 || epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

/* How long epoll may wait: until the next round, watchdog ping, reload
 * or check due. */
static int wait_ms(const struct svc *s, double now)
{
	double t = s->next_round;

	if (s->wd_interval > 0 && s->next_wd < t)
		t = s->next_wd;
	if (s->reload_at > 0 && s->reload_at < t)
		t = s->reload_at;
	if (s->hc.pe && probe_next_due(s->hc.pe) < t)
		t = probe_next_due(s->hc.pe);
	return t <= now ? 0 : (int)ceil((t - now) * 1e3);
}

static void tick(struct svc *s)
{
	double now = mono_now();

	if (s->hc.pe)
		probe_step(s->hc.pe, 0);
	if (s->reload_at > 0 && now >= s->reload_at) {
		s->reload_at = 0;
		pr_info("%s: %s changed: reloading\n", s->ifname, s->o->config);
		reload(s);
	}
	if (now >= s->next_round) {
		round_(s, now);
		s->next_round = now + s->o->round;
		pthread_mutex_lock(&s->mu);
		nh_refresh(s, now);
		if (s->have_cfg)
			sann_step(&s->ann, &s->cfg, &s->hc, now);
		pthread_mutex_unlock(&s->mu);
	}
	if (s->wd_interval > 0 && now >= s->next_wd) {
		sd_notify(0, "WATCHDOG=1");
		s->next_wd = now + s->wd_interval;
	}
}

static int loop(struct svc *s)
{
	unsigned int gen = 0;

	while (!s->stop) {
		struct epoll_event ev[8];
		int n;

		/* a rebuild of the checks closed the engine's fd and opened
		 * another (epoll forgets a closed fd by itself) */
		if (s->hc.pe && gen != s->hc_gen) {
			gen = s->hc_gen;
			add_fd(s, probe_fd(s->hc.pe));
		}
		n = epoll_wait(s->ep, ev, 8, wait_ms(s, mono_now()));
		if (n < 0 && errno != EINTR) {
			pr_warn("%s: epoll_wait: %s\n", s->ifname, strerror(errno));
			return -errno;
		}
		for (int i = 0; i < n; i++) {
			if (ev[i].data.fd == s->sigfd)
				signals(s);
			else if (ev[i].data.fd == s->ino)
				file_events(s, mono_now());
		}
		tick(s);
	}
	return 0;
}

static int setup(struct svc *s)
{
	sigset_t set;
	int err;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	/* before any thread: the exporter's inherits the mask */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	s->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	s->ep = epoll_create1(EPOLL_CLOEXEC);
	if (s->sigfd < 0 || s->ep < 0)
		return -errno;
	err = add_fd(s, s->sigfd);
	if (!err && !watch_file(s))
		err = add_fd(s, s->ino);
	return err;
}

/* The interface the files name (quietly: start() says what is wrong). */
static int probe_iface(const struct service_opts *o, char *ifname)
{
	struct diags d = { 0 };
	struct svc_text t = { 0 };
	struct xdplb_config cfg;
	int err = config_read_file(o->config, &t.text, &t.len);

	if (!err && o->host)
		err = config_read_file(o->host, &t.host, &t.host_len);
	if (!err)
		err = config_parse(t.text, t.len,
				   &(struct config_opts){ .mode = -1,
							  .host_text = t.host,
							  .host_len = t.host_len },
				   &cfg, &d);
	if (!err) {
		snprintf(ifname, IF_NAMESIZE, "%s", cfg.interface);
		config_free(&cfg);
	}
	diags_free(&d);
	svc_text_free(&t);
	return err;
}

int service_run(const struct service_opts *o)
{
	struct svc *s = calloc(1, sizeof(*s));
	uint64_t usec = 0;
	int err;

	if (!s)
		return 3;
	s->o = o;
	s->ino = -1;
	/* a service says what it does (journalctl -u xdplb@IF); -v adds debug */
	if (log_level < LOG_INFO && !log_quiet) /* verdicts and reloads, unless -q */
		log_level = LOG_INFO;
	pthread_mutex_init(&s->mu, NULL);
	/* the interface: --iface, else the file's (read again below) */
	if (o->iface) {
		snprintf(s->ifname, sizeof(s->ifname), "%s", o->iface);
	} else if (!probe_iface(o, s->ifname)) {
		/* from the config or its host file */
	} else {
		pr_warn("%s: no interface: the config is unreadable and --iface is not given\n",
			o->config);
		free(s);
		return 1;
	}
	err = pin_dir(s->ifname, 0, s->pin_dir, sizeof(s->pin_dir));
	if (!err)
		err = setup(s);
	if (!err) {
		char dir[512];

		state_dir_path(s, dir, sizeof(dir));
		sann_init(&s->ann, s->ifname, s->pin_dir, dir);
		err = start(s);
	}
	if (!err)
		sann_start(&s->ann, &s->hc, mono_now());
	if (!err && o->listen) {
		struct serve_cfg sc = { .listen = o->listen, .window = 60, .n_ifaces = 1 };

		sc.ifaces[0] = s->ifname;
		err = serve_start(&sc, metrics, s, &s->http) ? -EADDRNOTAVAIL : 0;
	}
	if (!err) {
		if (sd_watchdog_enabled(0, &usec) > 0)
			s->wd_interval = (double)usec / 2e6;
		s->next_round = mono_now() + o->round;
		sd_notifyf(0, "READY=1\nSTATUS=%u VIPs, %u checks", s->cfg.cfg.n_vips, s->hc.n);
		pr_info("%s: running (%s)\n", s->ifname, o->config);
		err = loop(s);
		sd_notify(0, "STOPPING=1");
		/* a stopped service cannot keep its verdicts current: the
		 * routers stop sending here (docs/fleet.md) */
		sann_stop(&s->ann);
		pr_info("%s: stopping; the data path keeps running\n", s->ifname);
	}
	serve_stop(s->http);
	pthread_mutex_lock(&s->mu);
	svc_health_free(&s->hc);
	sann_free(&s->ann);
	free_ids(s);
	if (s->have_cfg)
		checked_free(&s->cfg);
	live_free(&s->live);
	maps_close(&s->m);
	pthread_mutex_unlock(&s->mu);
	free(s);
	return !err ? 0 : err == -ECANCELED ? 1 : 3;
}

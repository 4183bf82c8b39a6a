// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* svc_announce.c - the service's announcement of its VIPs (svc_announce.h). */
#define _GNU_SOURCE
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "announce.h"
#include "history.h"
#include "log.h"
#include "netdev.h"
#include "status.h"
#include "svc_announce.h"

void sann_init(struct svc_announce *a, const char *ifname, const char *pin_dir, const char *dir)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->ifname, sizeof(a->ifname), "%s", ifname);
	snprintf(a->pin_dir, sizeof(a->pin_dir), "%s", pin_dir);
	snprintf(a->dir, sizeof(a->dir), "%s", dir);
	a->dirty = true;
	a->link_up = true;
}

void sann_start(struct svc_announce *a, const struct svc_health *hc, double now)
{
	double worst = 0;

	for (__u32 c = 0; c < hc->n; c++) {
		const struct svc_check *k = &hc->chk[c];
		__u32 runs = k->rise > k->fall ? k->rise : k->fall;
		double t = runs * k->t.interval + k->t.timeout;

		if (t > worst)
			worst = t;
	}
	a->settle_span = worst + ANN_SETTLE_SLACK;
	a->settle_at = now + a->settle_span;
	a->settled = false;
}

/* Every check has given a verdict (up or down), or it is time. */
static bool settled(const struct svc_announce *a, const struct svc_health *hc, double now)
{
	if (now >= a->settle_at)
		return true;
	if (a->settle_full)
		return false;
	for (__u32 t = 0; t < hc->h.n_targets; t++)
		if (hc->h.t[t].state == HEALTH_UNKNOWN)
			return false;
	return true;
}

/* The interface's carrier. Back after a loss, the checks that failed
 * meanwhile (no route to anyone) need their rise passes: health settles
 * again, over the whole span, before anything is announced. */
static void carrier(struct svc_announce *a, double now)
{
	bool up = netdev_running(a->ifname) == 1;

	if (up == a->link_up)
		return;
	a->link_up = up;
	a->dirty = true;
	pr_info("%s: the interface is %s\n", a->ifname,
		up ? "up again: health settles before the VIPs are announced" : "down");
	if (up) {
		a->settled = false;
		a->settle_full = true;
		a->settle_at = now + a->settle_span;
	}
}

static void gates(struct svc_announce *a, const struct svc_health *hc, double now)
{
	char path[600];
	bool v;

	snprintf(path, sizeof(path), "%s/%s", a->dir, ANNOUNCE_OFF_FILE);
	v = !access(path, F_OK);
	if (v != a->drained) {
		pr_info("%s: announcement %s (%s)\n", a->ifname, v ? "drained" : "resumed", path);
		a->drained = v;
		a->dirty = true;
	}
	if (now >= a->next_link) {
		struct lb_live l = { 0 };

		snprintf(l.ifname, sizeof(l.ifname), "%s", a->ifname);
		snprintf(l.pin_dir, sizeof(l.pin_dir), "%s", a->pin_dir);
		status_read_link(&l);
		if (l.attached != a->attached) {
			a->attached = l.attached;
			a->dirty = true;
		}
		carrier(a, now);
		a->next_link = now + ANN_RECONCILE;
	}
	if (!a->settled && settled(a, hc, now)) {
		a->settled = true;
		a->settle_full = false;
		a->dirty = true;
		pr_info("%s: health settled%s: announcing what can be served\n", a->ifname,
			now >= a->settle_at ? " (time's up)" : " (every check has a verdict)");
	}
}

static bool same_addr(const struct ann_addr *x, const struct xdplb_addr *a, __u8 family)
{
	return x->family == family && !memcmp(&x->addr, a, sizeof(*a));
}

/* The route of one address, said when it fails. */
static int route(struct svc_announce *a, const struct xdplb_addr *ad, __u8 fam, __u32 table,
		 bool add)
{
	char s[64];
	int err = announce_route(ad, fam, table, add);

	if (err) {
		a->n_errors++;
		pr_warn("%s: %s the route of %s in table %u: %s\n", a->ifname,
			add ? "adding" : "deleting", addr_str(ad, fam, s), table, strerror(-err));
	}
	return err;
}

static void write_state(const struct svc_announce *a, const struct checked *c)
{
	cJSON *o = cJSON_CreateObject(), *arr = cJSON_CreateArray();
	char s[64], *text;

	cJSON_AddStringToObject(o, "interface", a->ifname);
	cJSON_AddBoolToObject(o, "enabled", c->cfg.announce.on);
	cJSON_AddNumberToObject(o, "table", c->cfg.announce.table);
	cJSON_AddNumberToObject(o, "time", (double)time(NULL));
	cJSON_AddNumberToObject(o, "pid", getpid());
	cJSON_AddBoolToObject(o, "drained", a->drained);
	cJSON_AddBoolToObject(o, "attached", a->attached);
	cJSON_AddBoolToObject(o, "settled", a->settled);
	for (int k = 0; k < a->n; k++) {
		cJSON *e = cJSON_CreateObject(), *vips = cJSON_CreateArray();

		cJSON_AddStringToObject(e, "address", addr_str(&a->a[k].addr, a->a[k].family, s));
		for (__u32 v = 0; v < c->cfg.n_vips; v++)
			if (same_addr(&a->a[k], &c->cfg.vips[v].addr, c->cfg.vips[v].family))
				cJSON_AddItemToArray(vips, cJSON_CreateString(c->cfg.vips[v].name));
		cJSON_AddItemToObject(e, "vips", vips);
		cJSON_AddBoolToObject(e, "announced", a->a[k].why == ANN_YES);
		cJSON_AddStringToObject(e, "reason", ann_why_str(a->a[k].why));
		cJSON_AddItemToArray(arr, e);
	}
	cJSON_AddItemToObject(o, "addresses", arr);
	text = cJSON_Print(o);
	if (text && history_write_file(a->dir, ANNOUNCE_STATE_FILE, text, strlen(text)))
		pr_warn("%s: writing %s/%s: %s\n", a->ifname, a->dir, ANNOUNCE_STATE_FILE,
			strerror(errno));
	free(text);
	cJSON_Delete(o);
}

/* The new decision against the old: each address that moved, at once. */
static void apply(struct svc_announce *a, struct ann_addr *nv, int n, __u32 table)
{
	char s[64];

	for (int k = 0; k < n; k++) {
		bool was = false;

		for (int j = 0; j < a->n; j++)
			if (same_addr(&a->a[j], &nv[k].addr, nv[k].family))
				was = a->a[j].why == ANN_YES;
		if (was == (nv[k].why == ANN_YES) && a->table == table)
			continue;
		/* before the first verdicts, a route an earlier run left stays:
		 * the data path kept serving while no service ran */
		if (nv[k].why == ANN_UNSETTLED)
			continue;
		if (!route(a, &nv[k].addr, nv[k].family, table, nv[k].why == ANN_YES) &&
		    was != (nv[k].why == ANN_YES)) {
			if (nv[k].why == ANN_YES)
				pr_info("%s: announce %s (table %u)\n", a->ifname,
					addr_str(&nv[k].addr, nv[k].family, s), table);
			else
				pr_info("%s: withdraw %s: %s\n", a->ifname,
					addr_str(&nv[k].addr, nv[k].family, s),
					ann_why_str(nv[k].why));
			if (nv[k].why == ANN_YES)
				a->n_announce++;
			else
				a->n_withdraw++;
		}
	}
}

/* The table against the decision: missing routes back, others out. */
static void reconcile(struct svc_announce *a, __u32 table)
{
	struct ann_route *r = NULL;
	int n = announce_list(table, &r);
	char s[64];

	if (n < 0) {
		a->n_errors++;
		pr_warn("%s: reading table %u: %s\n", a->ifname, table, strerror(-n));
		return;
	}
	for (int k = 0; k < a->n; k++) {
		bool want = a->a[k].why == ANN_YES, have = false;

		for (int i = 0; i < n; i++)
			have |= same_addr(&a->a[k], &r[i].addr, r[i].family);
		if (want && !have && !route(a, &a->a[k].addr, a->a[k].family, table, true)) {
			a->n_restored++;
			pr_warn("%s: the route of %s was gone from table %u: added again\n",
				a->ifname, addr_str(&a->a[k].addr, a->a[k].family, s), table);
		}
	}
	for (int i = 0; i < n; i++) {
		bool want = false;

		for (int k = 0; k < a->n; k++)
			want |= same_addr(&a->a[k], &r[i].addr, r[i].family) &&
				a->a[k].why == ANN_YES;
		if (!want && !route(a, &r[i].addr, r[i].family, table, false)) {
			a->n_restored++;
			pr_warn("%s: %s in table %u was not decided: withdrawn\n", a->ifname,
				addr_str(&r[i].addr, r[i].family, s), table);
		}
	}
	free(r);
}

static bool decision_equal(const struct svc_announce *a, const struct ann_addr *nv, int n)
{
	if (n != a->n)
		return false;
	for (int k = 0; k < n; k++)
		if (!same_addr(&a->a[k], &nv[k].addr, nv[k].family) || a->a[k].why != nv[k].why)
			return false;
	return true;
}

void sann_step(struct svc_announce *a, const struct checked *c, const struct svc_health *hc,
	       double now)
{
	struct ann_gates g;
	struct ann_addr *nv;
	__u32 table = c->cfg.announce.table;
	bool same;
	int n;

	if (!c->cfg.announce.on) {
		if (a->table) { /* switched off by a reload: what it announced goes */
			sann_stop(a);
			a->dirty = true;
		}
		if (a->dirty) {
			a->dirty = false;
			free(a->a);
			a->a = NULL;
			a->n = 0;
		}
		return;
	}
	gates(a, hc, now);
	if (!a->dirty && now < a->next_reconcile)
		return;
	if (a->n_vips != c->cfg.n_vips) {
		free(a->vip_yes);
		a->vip_yes = calloc(c->cfg.n_vips + 1, sizeof(bool));
		a->n_vips = a->vip_yes ? c->cfg.n_vips : 0;
	}
	g = (struct ann_gates){ .drained = a->drained,
				.attached = a->attached,
				.link_up = a->link_up,
				.settled = a->settled };
	n = ann_plan(&c->cfg, &g, &nv, a->vip_yes);
	if (n < 0)
		return;
	if (a->table && a->table != table) /* the config moved it */
		announce_flush(a->table);
	same = decision_equal(a, nv, n) && a->table == table;
	apply(a, nv, n, table);
	free(a->a);
	a->a = nv;
	a->n = n;
	a->table = table;
	a->dirty = false;
	if (now >= a->next_reconcile && a->settled) {
		reconcile(a, table);
		a->next_reconcile = now + ANN_RECONCILE;
	}
	if (!same)
		write_state(a, c);
}

void sann_stop(struct svc_announce *a)
{
	int n;

	if (!a->table)
		return;
	n = announce_flush(a->table);
	if (n < 0)
		pr_warn("%s: withdrawing the routes of table %u: %s\n", a->ifname, a->table,
			strerror(-n));
	else
		pr_info("%s: %d route%s withdrawn from table %u\n", a->ifname, n, n == 1 ? "" : "s",
			a->table);
	a->table = 0;
}

void sann_free(struct svc_announce *a)
{
	free(a->a);
	free(a->vip_yes);
	a->a = NULL;
	a->vip_yes = NULL;
}

void sann_metrics(struct mbuf *b, const struct svc_announce *a, const struct checked *c)
{
	const char *lif[] = { "iface", a->ifname, NULL };
	const char *res[] = { "iface", a->ifname, "action", NULL, NULL };
	char s[64];

	metrics_family(b, "xdplb_announce_enabled", "gauge",
		       "1 when the config asks the service to announce its VIPs (\"announce\")");
	metrics_sample(b, "xdplb_announce_enabled", lif, c->cfg.announce.on);
	metrics_family(b, "xdplb_announce_drained", "gauge",
		       "1 while `xdplb announce off` withdraws every VIP of this LB");
	metrics_sample(b, "xdplb_announce_drained", lif, a->drained);
	metrics_family(b, "xdplb_announce_settled", "gauge",
		       "1 once the health checks gave their first verdicts after the start");
	metrics_sample(b, "xdplb_announce_settled", lif, a->settled);
	if (c->cfg.announce.on && a->n_vips)
		metrics_family(
			b, "xdplb_vip_announced", "gauge",
			"1 while the VIP's address is announced (its route in the announce table)");
	for (__u32 v = 0; v < c->cfg.n_vips && v < a->n_vips && c->cfg.announce.on; v++) {
		const char *kv[] = {
			"iface",   a->ifname,
			"vip",	   c->cfg.vips[v].name,
			"address", addr_str(&c->cfg.vips[v].addr, c->cfg.vips[v].family, s),
			NULL
		};

		metrics_sample(b, "xdplb_vip_announced", kv, a->vip_yes[v]);
	}
	metrics_family(
		b, "xdplb_announce_changes_total", "counter",
		"Routes of the announce table changed by the service: announce, withdraw, restored (put right after someone else changed the table), error");
	res[3] = "announce";
	metrics_sample(b, "xdplb_announce_changes_total", res, (double)a->n_announce);
	res[3] = "withdraw";
	metrics_sample(b, "xdplb_announce_changes_total", res, (double)a->n_withdraw);
	res[3] = "restored";
	metrics_sample(b, "xdplb_announce_changes_total", res, (double)a->n_restored);
	res[3] = "error";
	metrics_sample(b, "xdplb_announce_changes_total", res, (double)a->n_errors);
}

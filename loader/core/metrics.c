// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * metrics.c - the Prometheus text exposition of a status, and the
 * imbalance window. Pure: no BPF, no syscalls (see metrics.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "version.h"
#include "names.h"

/* ------------------------------------------------------------ buffer */

static bool mbuf_room(struct mbuf *b, size_t more)
{
	size_t cap;
	char *np;

	if (b->oom)
		return false;
	if (b->len + more + 1 <= b->cap)
		return true;
	cap = b->cap ? b->cap : 4096;
	while (cap < b->len + more + 1)
		cap *= 2;
	np = realloc(b->p, cap);
	if (!np) {
		b->oom = true;
		return false;
	}
	b->p = np;
	b->cap = cap;
	return true;
}

static void mbuf_put(struct mbuf *b, const char *s, size_t n)
{
	if (!mbuf_room(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void mbuf_puts(struct mbuf *b, const char *s)
{
	mbuf_put(b, s, strlen(s));
}

void mbuf_printf(struct mbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!mbuf_room(b, 128))
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	if ((size_t)n >= b->cap - b->len) {
		if (!mbuf_room(b, (size_t)n))
			return;
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

void mbuf_free(struct mbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

void metrics_escape(struct mbuf *b, const char *s)
{
	size_t plain = strcspn(s, "\\\"\n");

	/* names are nearly always plain: one copy */
	mbuf_put(b, s, plain);
	for (s += plain; *s; s++) {
		if (*s == '\\')
			mbuf_put(b, "\\\\", 2);
		else if (*s == '"')
			mbuf_put(b, "\\\"", 2);
		else if (*s == '\n')
			mbuf_put(b, "\\n", 2);
		else
			mbuf_put(b, s, 1);
	}
}

/* ------------------------------------------------------------ samples */

static const char *const state_label[] = { [XDPLB_BE_NONE] = "none",
					   [XDPLB_BE_ACTIVE] = "active",
					   [XDPLB_BE_DRAIN] = "drain",
					   [XDPLB_BE_DOWN] = "down" };

/* The labels of one sample; NULL ones are left out. */
struct lbl {
	const char *iface, *vip, *backend, *key, *val;
	const char *pre; /* iface, vip and backend already rendered ("{...", no '}') */
	size_t pre_len;
};

static void head(struct mbuf *b, const char *name, const char *type, const char *help)
{
	mbuf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void labels(struct mbuf *b, const char *name, const struct lbl *l)
{
	const char *keys[] = { "iface", "vip", "backend", l->key };
	const char *vals[] = { l->iface, l->vip, l->backend, l->val };
	bool first = true;
	int i = 0;

	mbuf_puts(b, name);
	if (l->pre) {
		mbuf_put(b, l->pre, l->pre_len);
		first = false;
		i = 3;
	}
	for (; i < 4; i++) {
		if (!keys[i] || !vals[i])
			continue;
		mbuf_puts(b, first ? "{" : ",");
		mbuf_puts(b, keys[i]);
		mbuf_puts(b, "=\"");
		metrics_escape(b, vals[i]);
		mbuf_puts(b, "\"");
		first = false;
	}
	if (!first)
		mbuf_puts(b, "}");
}

static void sample_u(struct mbuf *b, const char *name, const struct lbl *l, __u64 v)
{
	char buf[24], *p = buf + sizeof(buf);

	labels(b, name, l);
	/* 800,000 samples on a large host: no printf per sample */
	*--p = '\n';
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	*--p = ' ';
	mbuf_put(b, p, (size_t)(buf + sizeof(buf) - p));
}

static void sample_d(struct mbuf *b, const char *name, const struct lbl *l, double v)
{
	labels(b, name, l);
	if (isnan(v))
		mbuf_puts(b, " NaN\n");
	else if (isinf(v))
		mbuf_puts(b, v > 0 ? " +Inf\n" : " -Inf\n");
	else
		mbuf_printf(b, " %.9g\n", v);
}

/* ------------------------------------------------------------ families */

/* Families with one sample per interface (of the loaded ones, except up). */
enum if_field { F_UP, F_READ_ERROR, F_ATTACHED, F_INFO, F_GEN, F_LOAD_TIME, F_LOAD_OK, F_CT_SIZE };

static const struct family {
	const char *name, *type, *help;
} if_fam[] = {
	[F_UP] = { "xdplb_up", "gauge",
		   "1 if xdplb's pinned maps on this interface could be read, 0 if not (not loaded)" },
	[F_READ_ERROR] = { "xdplb_read_error", "gauge",
			   "1 if some of xdplb's state on this interface could not be read (not for want of a load: a missing capability, a map gone mid-read); the values that depend on it are left out, not reported as zeros" },
	[F_ATTACHED] = { "xdplb_program_attached", "gauge",
			 "1 if the XDP program is attached to the interface through its pinned link" },
	[F_INFO] = { "xdplb_config_info", "gauge",
		     "The live config: its SHA-256 digest as a label; always 1" },
	[F_GEN] = { "xdplb_config_generation", "gauge",
		    "Generation of the live config, +1 with every applied load" },
	[F_LOAD_TIME] = { "xdplb_config_last_load_timestamp_seconds", "gauge",
			  "When the live config was applied, seconds since the epoch" },
	[F_LOAD_OK] = { "xdplb_config_last_load_successful", "gauge",
			"1 if the last config written to the maps is completely live: program attached, no newer config half-applied, every table names only active backends" },
	[F_CT_SIZE] = { "xdplb_conntrack_max_entries", "gauge",
			"Flows conntrack holds: every CPU's buckets times their ways (conntrack_size, shared among the CPUs and rounded up to a power of two of buckets per CPU)" },
};

static void digest_hex(const __u8 *d, char *out)
{
	static const char hex[] = "0123456789abcdef";

	memcpy(out, "sha256:", 7);
	for (int i = 0; i < 32; i++) {
		out[7 + 2 * i] = hex[d[i] >> 4];
		out[7 + 2 * i + 1] = hex[d[i] & 15];
	}
	out[7 + 64] = '\0';
}

static void if_family(struct mbuf *b, enum if_field f, const struct metrics_if *ifs, size_t n)
{
	head(b, if_fam[f].name, if_fam[f].type, if_fam[f].help);
	for (size_t i = 0; i < n; i++) {
		const struct lb_live *st = ifs[i].st;
		struct lbl l = { .iface = ifs[i].ifname };
		char dg[80];

		if (f == F_UP) {
			sample_u(b, if_fam[f].name, &l, st != NULL);
			continue;
		}
		if (f == F_READ_ERROR) {
			sample_u(b, if_fam[f].name, &l, ifs[i].read_error || ifs[i].tables_unread);
			continue;
		}
		if (!st || (f == F_LOAD_OK && ifs[i].tables_unread))
			continue;
		switch (f) {
		case F_ATTACHED:
			sample_u(b, if_fam[f].name, &l, st->attached);
			break;
		case F_INFO:
			digest_hex(live_g(st)->digest, dg);
			l.key = "digest";
			l.val = dg;
			sample_u(b, if_fam[f].name, &l, 1);
			break;
		case F_GEN:
			sample_u(b, if_fam[f].name, &l, live_g(st)->generation);
			break;
		case F_LOAD_TIME:
			sample_u(b, if_fam[f].name, &l, live_g(st)->load_time);
			break;
		case F_LOAD_OK:
			sample_u(b, if_fam[f].name, &l, ifs[i].load_ok);
			break;
		case F_CT_SIZE:
			sample_u(b, if_fam[f].name, &l, (__u64)st->ct_buckets * XDPLB_CT_WAYS);
			break;
		default:
			break;
		}
	}
}

/* Global counters: XDP actions and drops by reason. */
static void global_families(struct mbuf *b, const struct metrics_if *ifs, size_t n)
{
	head(b, "xdplb_xdp_actions_total", "counter",
	     "Packets the LB program returned each XDP action for");
	for (size_t i = 0; i < n; i++)
		for (int a = 0; ifs[i].st && a < XDPLB_ACTION_MAX; a++) {
			struct lbl l = { .iface = ifs[i].ifname,
					 .key = "action",
					 .val = xdp_action_names[a] };

			sample_u(b, "xdplb_xdp_actions_total", &l, ifs[i].st->global[a]);
		}
	head(b, "xdplb_drops_total", "counter",
	     "Packets to a VIP address dropped, by reason (docs/datapath.md)");
	for (size_t i = 0; i < n; i++)
		for (int r = 0; ifs[i].st && r < XDPLB_DROP_MAX; r++) {
			struct lbl l = { .iface = ifs[i].ifname,
					 .key = "reason",
					 .val = drop_reason_names[r] };

			sample_u(b, "xdplb_drops_total", &l,
				 ifs[i].st->global[XDPLB_CNT_DROP_BASE + r]);
		}
	head(b, "xdplb_passes_total", "counter",
	     "Frames passed to the kernel untouched for a reason worth counting: foreign_mac, a unicast frame to another MAC (promiscuous mode, a bridge)");
	for (size_t i = 0; i < n; i++)
		for (int r = 0; ifs[i].st && r < XDPLB_PASS_MAX; r++) {
			struct lbl l = { .iface = ifs[i].ifname,
					 .key = "reason",
					 .val = pass_reason_names[r] };

			sample_u(b, "xdplb_passes_total", &l,
				 ifs[i].st->global[XDPLB_CNT_PASS_BASE + r]);
		}
	head(b, "xdplb_replies_total", "counter",
	     "Packets the LB answered itself with XDP_TX (also in xdplb_xdp_actions_total{action=\"tx\"}), by kind: icmp_echo, an ICMP or ICMPv6 echo request to a VIP address that takes new flows; frag_needed and packet_too_big, a VIP packet too big once encapsulated answered with ICMP (docs/datapath.md)");
	for (size_t i = 0; i < n; i++)
		for (int r = 0; ifs[i].st && r < XDPLB_REPLY_MAX; r++) {
			struct lbl l = { .iface = ifs[i].ifname,
					 .key = "kind",
					 .val = reply_kind_names[r] };

			sample_u(b, "xdplb_replies_total", &l,
				 ifs[i].st->global[XDPLB_CNT_REPLY_BASE + r]);
		}
	head(b, "xdplb_icmp_total", "counter",
	     "ICMP and ICMPv6 to VIP addresses other than echo requests answered, by action: steered, an error quoting a packet of a VIP flow, encapsulated to the flow's backend; passed, the rest, left to the stack");
	for (size_t i = 0; i < n; i++)
		for (int r = 0; ifs[i].st && r < XDPLB_ICMP_MAX; r++) {
			struct lbl l = { .iface = ifs[i].ifname,
					 .key = "action",
					 .val = icmp_action_names[r] };

			sample_u(b, "xdplb_icmp_total", &l,
				 ifs[i].st->global[XDPLB_CNT_ICMP_BASE + r]);
		}
}

enum vip_field {
	V_PKT,
	V_BYTES,
	V_NEW,
	V_HITS,
	V_MISSES,
	V_DROPS,
	V_TSIZE,
	V_IMB,
	V_OUT,
	V_FAIL_OPEN,
	V_MAX
};

static const struct family vip_fam[V_MAX] = {
	[V_PKT] = { "xdplb_vip_packets_total", "counter", "Packets to the VIP" },
	[V_BYTES] = { "xdplb_vip_bytes_total", "counter",
		      "Bytes of frames to the VIP, as received" },
	[V_NEW] = { "xdplb_vip_new_flows_total", "counter",
		    "Flows of the VIP that took a backend from the Maglev table" },
	[V_HITS] = { "xdplb_vip_conntrack_hits_total", "counter",
		     "Packets of the VIP whose flow was found in conntrack" },
	[V_MISSES] = { "xdplb_vip_conntrack_misses_total", "counter",
		       "Packets of the VIP not found in conntrack (new flows and re-selections)" },
	[V_DROPS] = { "xdplb_vip_drops_total", "counter", "Packets to the VIP dropped" },
	[V_TSIZE] = { "xdplb_vip_table_size", "gauge",
		      "Slots of the VIP's live Maglev table (0: no backend takes new flows)" },
	[V_IMB] = { "xdplb_vip_imbalance", "gauge",
		    "Max over active backends of (lower bound of its share of new flows in the window) / (its weight share); about 1 balanced, 0 without new flows" },
	[V_OUT] = { "xdplb_vip_backends_health_out", "gauge",
		    "Backends of the VIP that its health checks took out" },
	[V_FAIL_OPEN] = { "xdplb_vip_health_fail_open", "gauge",
			  "1 when more of the VIP's backends fail their checks than the cascade guard lets out: failing ones are kept in" },
};

/* Backends of a VIP with this health verdict. "out" counts only those the
 * config has active: a drained or down backend whose checks fail is said
 * out too (per backend), but health took nothing out there. */
static __u64 n_health(const struct st_vip *v, __u8 h)
{
	__u64 n = 0;

	for (__u32 b = 0; b < v->n_be; b++)
		n += v->be[b].health == h &&
		     (h != XDPLB_HEALTH_OUT || v->be[b].cfg_state == XDPLB_BE_ACTIVE);
	return n;
}

static void vip_family(struct mbuf *b, enum vip_field f, const struct metrics_if *ifs, size_t n)
{
	head(b, vip_fam[f].name, vip_fam[f].type, vip_fam[f].help);
	for (size_t i = 0; i < n; i++) {
		const struct lb_live *st = ifs[i].st;

		for (__u32 v = 0; st && v < st->n_vips; v++) {
			const struct xdplb_vip_stats *s = &st->vips[v].st;
			struct lbl l = { .iface = ifs[i].ifname, .vip = st->vips[v].name.s };
			const char *nm = vip_fam[f].name;

			switch (f) {
			case V_PKT:
				sample_u(b, nm, &l, s->packets);
				break;
			case V_BYTES:
				sample_u(b, nm, &l, s->bytes);
				break;
			case V_NEW:
				sample_u(b, nm, &l, s->new_flows);
				break;
			case V_HITS:
				sample_u(b, nm, &l, s->ct_hits);
				break;
			case V_MISSES:
				sample_u(b, nm, &l, s->ct_misses);
				break;
			case V_DROPS:
				sample_u(b, nm, &l, s->drops);
				break;
			case V_TSIZE:
				sample_u(b, nm, &l, st->vips[v].table_size);
				break;
			case V_IMB:
				if (ifs[i].imbalance)
					sample_d(b, nm, &l, ifs[i].imbalance[v]);
				break;
			case V_OUT:
				sample_u(b, nm, &l, n_health(&st->vips[v], XDPLB_HEALTH_OUT));
				break;
			case V_FAIL_OPEN:
				sample_u(b, nm, &l, n_health(&st->vips[v], XDPLB_HEALTH_KEPT) > 0);
				break;
			default:
				break;
			}
		}
	}
}

enum be_field {
	B_PKT,
	B_BYTES,
	B_NEW,
	B_WEIGHT,
	B_WSHARE,
	B_SLOTS,
	B_UP,
	B_STATE,
	B_CFG_STATE,
	B_HEALTH,
	B_FLOWS,
	B_IDLE,
	B_MAX
};

static const struct family be_fam[B_MAX] = {
	[B_PKT] = { "xdplb_backend_packets_total", "counter", "Packets sent to the backend" },
	[B_BYTES] = { "xdplb_backend_bytes_total", "counter",
		      "Bytes of frames sent to the backend, as received (before encapsulation)" },
	[B_NEW] = { "xdplb_backend_new_flows_total", "counter",
		    "New flows the Maglev table gave to the backend" },
	[B_WEIGHT] = { "xdplb_backend_weight", "gauge", "The backend's weight in the live config" },
	[B_WSHARE] = { "xdplb_backend_weight_share", "gauge",
		       "The backend's share of its VIP's new flows by weight: weight over the sum of active backends' weights (0 unless active)" },
	[B_SLOTS] = { "xdplb_backend_table_slots", "gauge",
		      "Slots of the VIP's live Maglev table that name the backend" },
	[B_UP] = { "xdplb_backend_up", "gauge",
		   "1 if the backend takes new flows (state active), 0 if draining or down" },
	[B_STATE] = { "xdplb_backend_state", "gauge",
		      "The backend's effective state as a label (active, drain, down): the configured one, unless its health checks took it out; always 1" },
	[B_CFG_STATE] = { "xdplb_backend_configured_state", "gauge",
			  "The backend's configured state as a label (the config's, or an operator's override); always 1" },
	[B_FLOWS] = { "xdplb_backend_conntrack_flows", "gauge",
		      "Conntrack entries that name the backend, all CPUs: flows it still has (drain progress); counted in at most 65536 buckets spread over the table and scaled" },
	[B_IDLE] = { "xdplb_backend_idle_seconds", "gauge",
		     "Seconds since the last packet of any of the backend's conntrack flows (their last-seen stamps, ~1 s granularity, same sample as xdplb_backend_conntrack_flows): a drained backend is idle when this grows; absent while it has none" },
	[B_HEALTH] = { "xdplb_backend_health", "gauge",
		       "What the health checks decided, as a label: none (not checked), up, out (taken out), kept (failing, kept in by the cascade guard); always 1" },
};

/* Sum of the weights of a VIP's backends that take new flows. */
static double active_weight(const struct st_vip *v)
{
	double w = 0;

	for (__u32 b = 0; b < v->n_be; b++)
		if (v->be[b].state == XDPLB_BE_ACTIVE)
			w += v->be[b].weight;
	return w;
}

static void be_sample(struct mbuf *b, enum be_field f, const struct st_backend *sb, struct lbl *l,
		      double wsum)
{
	const char *nm = be_fam[f].name;

	switch (f) {
	case B_PKT:
		sample_u(b, nm, l, sb->st.packets);
		break;
	case B_BYTES:
		sample_u(b, nm, l, sb->st.bytes);
		break;
	case B_NEW:
		sample_u(b, nm, l, sb->st.new_flows);
		break;
	case B_WEIGHT:
		sample_u(b, nm, l, sb->weight);
		break;
	case B_WSHARE:
		sample_d(b, nm, l,
			 sb->state == XDPLB_BE_ACTIVE && wsum > 0 ? sb->weight / wsum : 0.0);
		break;
	case B_SLOTS:
		sample_u(b, nm, l, sb->slots);
		break;
	case B_FLOWS:
		sample_u(b, nm, l, sb->flows);
		break;
	case B_IDLE:
		sample_d(b, nm, l, sb->idle_s);
		break;
	case B_UP:
		sample_u(b, nm, l, sb->state == XDPLB_BE_ACTIVE);
		break;
	case B_STATE:
		l->key = "state";
		l->val = sb->state < 4 ? state_label[sb->state] : "unknown";
		sample_u(b, nm, l, 1);
		break;
	case B_CFG_STATE:
		l->key = "state";
		l->val = sb->cfg_state < 4 ? state_label[sb->cfg_state] : "unknown";
		sample_u(b, nm, l, 1);
		break;
	case B_HEALTH:
		l->key = "health";
		l->val = health_str(sb->health);
		sample_u(b, nm, l, 1);
		break;
	default:
		break;
	}
}

/* The label sets of every backend, rendered and escaped once for the eight
 * backend families: off[k]..off[k + 1] in pre.p for the k-th backend. */
struct be_labels {
	struct mbuf pre;
	size_t *off;
};

static int be_labels_build(struct be_labels *bl, const struct metrics_if *ifs, size_t n)
{
	size_t total = 0, k = 0;

	for (size_t i = 0; i < n; i++)
		for (__u32 v = 0; ifs[i].st && v < ifs[i].st->n_vips; v++)
			total += ifs[i].st->vips[v].n_be;
	bl->off = malloc((total + 1) * sizeof(*bl->off));
	if (!bl->off)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		for (__u32 v = 0; ifs[i].st && v < ifs[i].st->n_vips; v++) {
			const struct st_vip *vp = &ifs[i].st->vips[v];

			for (__u32 b = 0; b < vp->n_be; b++) {
				struct lbl l = { .iface = ifs[i].ifname,
						 .vip = vp->name.s,
						 .backend = vp->be[b].name.s };

				bl->off[k++] = bl->pre.len;
				labels(&bl->pre, "", &l);
				if (!bl->pre.oom)
					bl->pre.len--; /* the closing brace comes with each sample */
			}
		}
	}
	bl->off[k] = bl->pre.len;
	return bl->pre.oom ? -ENOMEM : 0;
}

static void be_family(struct mbuf *b, enum be_field f, const struct metrics_if *ifs, size_t n,
		      const struct be_labels *bl)
{
	size_t k = 0;

	head(b, be_fam[f].name, be_fam[f].type, be_fam[f].help);
	for (size_t i = 0; i < n; i++) {
		const struct lb_live *st = ifs[i].st;

		for (__u32 v = 0; st && v < st->n_vips; v++) {
			const struct st_vip *vp = &st->vips[v];
			double wsum = f == B_WSHARE ? active_weight(vp) : 0;

			for (__u32 j = 0; j < vp->n_be; j++, k++) {
				struct lbl l = { .iface = ifs[i].ifname,
						 .vip = vp->name.s,
						 .backend = vp->be[j].name.s };

				if (bl) {
					l.pre = bl->pre.p + bl->off[k];
					l.pre_len = bl->off[k + 1] - bl->off[k];
				}
				if ((f != B_SLOTS || !ifs[i].tables_unread) &&
				    (f != B_FLOWS || (st->parts & LIVE_FLOWS)) &&
				    (f != B_IDLE ||
				     ((st->parts & LIVE_FLOWS) && vp->be[j].idle_s >= 0)))
					be_sample(b, f, &vp->be[j], &l, wsum);
			}
		}
	}
}

void metrics_write(struct mbuf *b, const struct metrics_if *ifs, size_t n, double scrape_seconds)
{
	for (int f = F_UP; f <= F_CT_SIZE; f++)
		if_family(b, (enum if_field)f, ifs, n);
	global_families(b, ifs, n);
	for (int f = 0; f < V_MAX; f++)
		vip_family(b, (enum vip_field)f, ifs, n);
	struct be_labels bl = { 0 };
	bool pre = !be_labels_build(&bl, ifs, n);

	for (int f = 0; f < B_MAX; f++)
		be_family(b, (enum be_field)f, ifs, n, pre ? &bl : NULL);
	mbuf_free(&bl.pre);
	free(bl.off);
	if (scrape_seconds >= 0) {
		struct lbl none = { 0 };
		size_t loaded = 0;

		for (size_t i = 0; i < n; i++)
			loaded += ifs[i].st != NULL;
		/* always there, 0 included: when nothing is loaded every
		 * per-interface series vanishes, and no alert on them fires */
		head(b, "xdplb_interfaces_loaded", "gauge",
		     "Interfaces this exporter found xdplb loaded on (named by --iface, or all in its network namespace)");
		sample_u(b, "xdplb_interfaces_loaded", &none, loaded);
		head(b, "xdplb_build_info", "gauge",
		     "Always 1: the exporter's xdplb version and the map layout (ABI) it reads");
		mbuf_printf(b, "xdplb_build_info{version=\"%s\",abi=\"%d\"} 1\n", XDPLB_VERSION,
			    XDPLB_ABI_VERSION);
		head(b, "xdplb_scrape_duration_seconds", "gauge",
		     "Time this scrape took to read the maps of every interface");
		sample_d(b, "xdplb_scrape_duration_seconds", &none, scrape_seconds);
	}
}

/* By enum xdplb_decap_stat (bpf/xdplb_abi.h). */
static const char *const decap_results[XDPLB_DECAP_MAX] = {
	[XDPLB_DECAP_V4_IN_V4] = "v4_in_v4",
	[XDPLB_DECAP_V6_IN_V6] = "v6_in_v6",
	[XDPLB_DECAP_V4_IN_V6] = "v4_in_v6",
	[XDPLB_DECAP_V6_IN_V4] = "v6_in_v4",
	[XDPLB_DECAP_PASS] = "pass",
	[XDPLB_DECAP_MALFORMED] = "malformed",
	[XDPLB_DECAP_BAD_SOURCE] = "bad_source",
};

void metrics_write_decap(struct mbuf *b, const struct metrics_decap *d, size_t n)
{
	if (!n)
		return;
	head(b, "xdplb_decap_packets_total", "counter",
	     "Packets the backend's decap program handled, by result: a tunnel stripped (v4_in_v4, v6_in_v6, v4_in_v6, v6_in_v4), passed (pass: not a tunnel to this host), dropped (malformed, bad_source: not from an LB's tunnel source)");
	for (size_t i = 0; i < n; i++)
		for (int r = 0; r < XDPLB_DECAP_MAX; r++) {
			struct lbl l = { .iface = d[i].ifname,
					 .key = "result",
					 .val = decap_results[r] };

			sample_u(b, "xdplb_decap_packets_total", &l, d[i].c[r]);
		}
}

bool metrics_tables_consistent(const struct lb_live *st)
{
	for (__u32 v = 0; v < st->n_vips; v++) {
		const struct st_vip *vp = &st->vips[v];
		__u64 slots = 0;

		for (__u32 k = 0; k < vp->n_be; k++)
			if (vp->be[k].state == XDPLB_BE_ACTIVE)
				slots += vp->be[k].slots;
		if (slots != vp->table_size)
			return false;
	}
	return true;
}

/* ------------------------------------------------------------ imbalance */

double wilson_lower(double k, double n, double z)
{
	double p, z2, c, r;

	if (n <= 0)
		return 0;
	p = k / n;
	z2 = z * z;
	c = p + z2 / (2 * n);
	r = z * sqrt(p * (1 - p) / n + z2 / (4 * n * n));
	return fmax(0.0, (c - r) / (1 + z2 / n));
}

static int cmp_count(const void *a, const void *b)
{
	const struct imb_count *x = a, *y = b;

	return x->be_id < y->be_id ? -1 : x->be_id > y->be_id;
}

/* The reading to compare with: the newest at least one window old, else
 * the oldest; NULL when there is none. */
static const struct imb_reading *base_reading(const struct imb_hist *h, double now, double window)
{
	for (int i = h->n - 1; i >= 0; i--)
		if (now - h->r[i].t >= window)
			return &h->r[i];
	return h->n ? &h->r[0] : NULL;
}

/* New flows of a backend since the base reading. A counter that went down,
 * or an id now owned by another VIP, was zeroed: everything counts. */
static __u64 flows_since(const struct imb_reading *base, const struct st_vip *v,
			 const struct st_backend *sb)
{
	struct imb_count key = { .be_id = sb->id };
	const struct imb_count *c;

	if (!base)
		return sb->st.new_flows;
	c = bsearch(&key, base->c, base->n, sizeof(*base->c), cmp_count);
	if (!c || c->vip_id != v->id || c->new_flows > sb->st.new_flows)
		return sb->st.new_flows;
	return sb->st.new_flows - c->new_flows;
}

static double vip_imbalance(const struct imb_reading *base, const struct st_vip *v)
{
	double total = 0, wsum = active_weight(v), worst = 0;
	__u64 *d = calloc(v->n_be + 1, sizeof(*d));

	if (!d)
		return NAN;
	for (__u32 k = 0; k < v->n_be; k++) {
		d[k] = flows_since(base, v, &v->be[k]);
		total += (double)d[k];
	}
	for (__u32 k = 0; k < v->n_be && wsum > 0; k++) {
		const struct st_backend *sb = &v->be[k];
		double r;

		if (sb->state != XDPLB_BE_ACTIVE || !sb->weight)
			continue;
		r = wilson_lower((double)d[k], total, IMB_Z) / (sb->weight / wsum);
		if (r > worst)
			worst = r;
	}
	free(d);
	return worst;
}

void imb_compute(const struct imb_hist *h, const struct lb_live *st, double now, double window,
		 double *out)
{
	const struct imb_reading *base = base_reading(h, now, window);

	for (__u32 v = 0; v < st->n_vips; v++)
		out[v] = vip_imbalance(base, &st->vips[v]);
}

static void drop_oldest(struct imb_hist *h, int k)
{
	for (int i = 0; i < k; i++)
		free(h->r[i].c);
	memmove(h->r, h->r + k, (size_t)(h->n - k) * sizeof(h->r[0]));
	h->n -= k;
}

int imb_record(struct imb_hist *h, const struct lb_live *st, double now, double window)
{
	struct imb_reading r = { .t = now };
	__u32 n = 0;

	if (h->n && now - h->r[h->n - 1].t < window / 8)
		return 0;
	for (__u32 v = 0; v < st->n_vips; v++)
		n += st->vips[v].n_be;
	r.c = calloc(n + 1, sizeof(*r.c));
	if (!r.c)
		return -ENOMEM;
	for (__u32 v = 0; v < st->n_vips; v++)
		for (__u32 k = 0; k < st->vips[v].n_be; k++)
			r.c[r.n++] =
				(struct imb_count){ .be_id = st->vips[v].be[k].id,
						    .vip_id = st->vips[v].id,
						    .new_flows = st->vips[v].be[k].st.new_flows };
	qsort(r.c, r.n, sizeof(*r.c), cmp_count);
	if (h->n == IMB_KEEP)
		drop_oldest(h, 1);
	h->r[h->n++] = r;
	/* only the newest reading at least one window old is ever a base */
	for (int i = h->n - 1; i > 0; i--) {
		if (now - h->r[i].t >= window) {
			drop_oldest(h, i);
			break;
		}
	}
	return 0;
}

void imb_free(struct imb_hist *h)
{
	drop_oldest(h, h->n);
}

void metrics_family(struct mbuf *b, const char *name, const char *type, const char *help)
{
	head(b, name, type, help);
}

void metrics_sample(struct mbuf *b, const char *name, const char *const *kv, double v)
{
	bool first = true;

	mbuf_puts(b, name);
	for (; kv && kv[0]; kv += 2) {
		if (!kv[1])
			continue;
		mbuf_puts(b, first ? "{" : ",");
		mbuf_puts(b, kv[0]);
		mbuf_puts(b, "=\"");
		metrics_escape(b, kv[1]);
		mbuf_puts(b, "\"");
		first = false;
	}
	if (!first)
		mbuf_puts(b, "}");
	if (v == (double)(__u64)v && v >= 0 && v < 1e18)
		mbuf_printf(b, " %llu\n", (unsigned long long)v);
	else
		mbuf_printf(b, " %.9g\n", v);
}

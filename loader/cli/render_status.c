// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* render_status.c - `xdplb status` as text and JSON (kernel/status.c reads it). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "names.h"
#include "render.h"
#include "sha256.h"

cJSON *status_json(const struct lb_live *s)
{
	char buf[96], a[ADDR_STRLEN];
	cJSON *o = cJSON_CreateObject(), *vips, *g, *drops, *acts;

	cJSON_AddStringToObject(o, "interface", s->ifname);
	cJSON_AddStringToObject(o, "pin_dir", s->pin_dir);
	cJSON_AddBoolToObject(o, "attached", s->attached);
	cJSON_AddStringToObject(o, "mode", s->mode);
	cJSON_AddNumberToObject(o, "link_id", s->link_id);
	cJSON_AddNumberToObject(o, "prog_id", s->prog_id);
	cJSON_AddStringToObject(o, "prog_name", s->prog_name);
	cJSON_AddNumberToObject(o, "generation", live_g(s)->generation);
	cJSON_AddNumberToObject(o, "health_seq", live_g(s)->health_seq);
	cJSON_AddStringToObject(o, "config_digest", digest_str(live_g(s)->digest, buf));
	cJSON_AddNumberToObject(o, "load_time", (double)live_g(s)->load_time);
	cJSON_AddBoolToObject(o, "unrecorded", !!(s->ctl.flags & XDPLB_CTL_F_UNRECORDED));
	cJSON_AddNumberToObject(o, "active_bank", live_active(s));
	cJSON_AddNumberToObject(o, "conntrack_size", s->ct_size);
	/* what conntrack holds: ct_cpus CPUs' buckets of XDPLB_CT_WAYS ways */
	cJSON_AddNumberToObject(o, "conntrack_capacity", (double)s->ct_buckets * XDPLB_CT_WAYS);
	cJSON_AddNumberToObject(o, "conntrack_cpus", s->ctl.ct_cpus);
	if (s->parts & LIVE_FLOWS) {
		cJSON_AddNumberToObject(o, "conntrack_buckets", s->ct_buckets);
		/* of those, read for each backend's conntrack_flows (scaled) */
		cJSON_AddNumberToObject(o, "conntrack_buckets_sampled", s->flows_sampled);
	}
	cJSON_AddNumberToObject(o, "hash_seed", live_g(s)->hash_seed);
	cJSON_AddNumberToObject(o, "mtu", live_g(s)->mtu);
	cJSON_AddNumberToObject(o, "udp_timeout", live_g(s)->udp_timeout);
	cJSON_AddNumberToObject(o, "icmp_rate", live_g(s)->icmp_rate);
	cJSON_AddStringToObject(o, "next_hop_mac", mac_str(live_g(s)->nh_mac, buf));
	cJSON_AddStringToObject(o, "interface_mac", mac_str(live_g(s)->if_mac, buf));
	acts = cJSON_AddObjectToObject(o, "xdp_actions");
	for (int i = 0; i < XDPLB_ACTION_MAX; i++)
		cJSON_AddNumberToObject(acts, xdp_action_names[i], (double)s->global[i]);
	drops = cJSON_AddObjectToObject(o, "drops");
	for (int i = 0; i < XDPLB_DROP_MAX; i++)
		cJSON_AddNumberToObject(drops, drop_reason_names[i],
					(double)s->global[XDPLB_CNT_DROP_BASE + i]);
	drops = cJSON_AddObjectToObject(o, "passes");
	for (int i = 0; i < XDPLB_PASS_MAX; i++)
		cJSON_AddNumberToObject(drops, pass_reason_names[i],
					(double)s->global[XDPLB_CNT_PASS_BASE + i]);
	drops = cJSON_AddObjectToObject(o, "replies");
	for (int i = 0; i < XDPLB_REPLY_MAX; i++)
		cJSON_AddNumberToObject(drops, reply_kind_names[i],
					(double)s->global[XDPLB_CNT_REPLY_BASE + i]);
	drops = cJSON_AddObjectToObject(o, "icmp");
	for (int i = 0; i < XDPLB_ICMP_MAX; i++)
		cJSON_AddNumberToObject(drops, icmp_action_names[i],
					(double)s->global[XDPLB_CNT_ICMP_BASE + i]);
	vips = cJSON_AddArrayToObject(o, "vips");
	for (__u32 i = 0; i < s->n_vips; i++) {
		const struct st_vip *v = &s->vips[i];
		cJSON *jv = cJSON_CreateObject(), *bs;

		cJSON_AddItemToArray(vips, jv);
		cJSON_AddStringToObject(jv, "name", v->name.s);
		cJSON_AddNumberToObject(jv, "id", v->id);
		cJSON_AddStringToObject(jv, "address", addr_str(&v->key.addr, v->key.family, a));
		cJSON_AddNumberToObject(jv, "port", ntohs(v->key.port));
		cJSON_AddStringToObject(jv, "protocol", proto_str(v->key.proto));
		cJSON_AddNumberToObject(jv, "table_size", v->table_size);
		cJSON_AddStringToObject(jv, "hash", vip_hash_str(v->flags));
		g = cJSON_AddObjectToObject(jv, "counters");
		cJSON_AddNumberToObject(g, "packets", (double)v->st.packets);
		cJSON_AddNumberToObject(g, "bytes", (double)v->st.bytes);
		cJSON_AddNumberToObject(g, "new_flows", (double)v->st.new_flows);
		cJSON_AddNumberToObject(g, "conntrack_hits", (double)v->st.ct_hits);
		cJSON_AddNumberToObject(g, "conntrack_misses", (double)v->st.ct_misses);
		cJSON_AddNumberToObject(g, "drops", (double)v->st.drops);
		bs = cJSON_AddArrayToObject(jv, "backends");
		for (__u32 b = 0; b < v->n_be; b++) {
			const struct st_backend *sb = &v->be[b];
			cJSON *jb = cJSON_CreateObject();

			cJSON_AddItemToArray(bs, jb);
			cJSON_AddStringToObject(jb, "name", sb->name.s);
			cJSON_AddNumberToObject(jb, "id", sb->id);
			cJSON_AddStringToObject(jb, "address", addr_str(&sb->addr, sb->family, a));
			cJSON_AddNumberToObject(jb, "weight", sb->weight);
			cJSON_AddStringToObject(jb, "state", state_str(sb->state));
			cJSON_AddStringToObject(jb, "configured_state", state_str(sb->cfg_state));
			cJSON_AddStringToObject(jb, "health", health_str(sb->health));
			cJSON_AddBoolToObject(jb, "override", sb->override);
			cJSON_AddNumberToObject(jb, "table_slots", sb->slots);
			if (s->parts & LIVE_FLOWS) { /* entries that name it: drain progress */
				cJSON_AddNumberToObject(jb, "conntrack_flows", (double)sb->flows);
				if (sb->idle_s >= 0)
					cJSON_AddNumberToObject(jb, "idle_seconds",
								(double)(long)(sb->idle_s * 10) /
									10);
				else
					cJSON_AddNullToObject(jb, "idle_seconds");
			}
			g = cJSON_AddObjectToObject(jb, "counters");
			cJSON_AddNumberToObject(g, "packets", (double)sb->st.packets);
			cJSON_AddNumberToObject(g, "bytes", (double)sb->st.bytes);
			cJSON_AddNumberToObject(g, "new_flows", (double)sb->st.new_flows);
		}
	}
	return o;
}

const char *state_why(const struct st_backend *sb, char *buf, size_t len)
{
	buf[0] = '\0';
	if (sb->health == XDPLB_HEALTH_NONE && sb->cfg_state == sb->state && !sb->override)
		return buf;
	snprintf(buf, len, "  (configured %s, health %s%s)", state_str(sb->cfg_state),
		 health_str(sb->health), sb->override ? "; override" : "");
	return buf;
}

void status_print(const struct lb_live *s)
{
	char buf[96], a[ADDR_STRLEN], ts[32];
	time_t t = (time_t)live_g(s)->load_time;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%s: %s", s->ifname, s->attached ? "attached" : "NOT ATTACHED");
	if (s->attached)
		printf(" (%s mode, prog %u %s, link %u)", s->mode, s->prog_id, s->prog_name,
		       s->link_id);
	printf("\n  config %s, generation %u, loaded %s\n", digest_str(live_g(s)->digest, buf),
	       live_g(s)->generation, ts);
	if (s->ctl.flags & XDPLB_CTL_F_UNRECORDED)
		printf("  UNRECORDED: this config is in no history (loaded with --no-history); the next load records it\n");
	printf("  next hop %s, mtu %u, hash seed 0x%x, conntrack %u flows (%llu on %u CPUs)\n",
	       mac_str(live_g(s)->nh_mac, buf), live_g(s)->mtu, live_g(s)->hash_seed, s->ct_size,
	       (unsigned long long)s->ct_buckets * XDPLB_CT_WAYS, s->ctl.ct_cpus);
	for (__u32 i = 0; i < s->n_vips; i++) {
		const struct st_vip *v = &s->vips[i];

		/* the hash only where it is not the default */
		printf("  vip %s %s  table %u%s%s  packets %llu  new flows %llu  drops %llu\n",
		       v->name.s,
		       vip_endpoint_str(&v->key.addr, v->key.family, ntohs(v->key.port),
					v->key.proto, buf, sizeof(buf)),
		       v->table_size, v->flags & XDPLB_VIP_F_HASH_SOURCE ? "  hash " : "",
		       v->flags & XDPLB_VIP_F_HASH_SOURCE ? vip_hash_str(v->flags) : "",
		       (unsigned long long)v->st.packets, (unsigned long long)v->st.new_flows,
		       (unsigned long long)v->st.drops);
		for (__u32 b = 0; b < v->n_be; b++) {
			const struct st_backend *sb = &v->be[b];

			char why[96];

			char idle[32] = "";

			if ((s->parts & LIVE_FLOWS) && sb->idle_s >= 0)
				snprintf(idle, sizeof(idle), " (idle %.0f s)", sb->idle_s);
			printf("    %-16s %-39s weight %-5u %-6s slots %5.1f%%  packets %llu  flows %s%llu%s%s\n",
			       sb->name.s, addr_str(&sb->addr, sb->family, a), sb->weight,
			       state_str(sb->state),
			       v->table_size ? 100.0 * sb->slots / v->table_size : 0.0,
			       (unsigned long long)sb->st.packets,
			       s->flows_sampled < s->ct_buckets ? "~" : "",
			       (unsigned long long)sb->flows, idle,
			       state_why(sb, why, sizeof(why)));
		}
	}
	printf("  drops:");
	for (int i = 0; i < XDPLB_DROP_MAX; i++)
		printf(" %s %llu", drop_reason_names[i],
		       (unsigned long long)s->global[XDPLB_CNT_DROP_BASE + i]);
	printf("\n  passed:");
	for (int i = 0; i < XDPLB_PASS_MAX; i++)
		printf(" %s %llu", pass_reason_names[i],
		       (unsigned long long)s->global[XDPLB_CNT_PASS_BASE + i]);
	printf("\n  answered:");
	for (int i = 0; i < XDPLB_REPLY_MAX; i++)
		printf(" %s %llu", reply_kind_names[i],
		       (unsigned long long)s->global[XDPLB_CNT_REPLY_BASE + i]);
	printf("\n  icmp:");
	for (int i = 0; i < XDPLB_ICMP_MAX; i++)
		printf(" %s %llu", icmp_action_names[i],
		       (unsigned long long)s->global[XDPLB_CNT_ICMP_BASE + i]);
	printf("\n");
}

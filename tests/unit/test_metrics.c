// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* metrics: the exposition writer (escaping, exact text, one HELP/TYPE per
 * family) and the imbalance window's arithmetic. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "version.h"

/* One VIP "web" with backends a (active, 100), b (drain, 50), c (active,
 * 300) on eth0; the caller may change anything. Free with free_status. */
static void small_status(struct lb_live *s, __u32 n_be)
{
	static const char *const names[] = { "a", "b", "c", "d", "e", "f", "g", "h" };

	memset(s, 0, sizeof(*s));
	snprintf(s->ifname, sizeof(s->ifname), "eth0");
	s->attached = true;
	s->ct_size = 1024;
	s->ct_buckets = 512; /* 2 CPUs x 256 buckets x 3 ways = 1536 flows */
	s->ctl.bank[0].generation = 7;
	s->ctl.bank[0].load_time = 1700000000;
	for (int i = 0; i < 32; i++)
		s->ctl.bank[0].digest[i] = (__u8)i;
	s->global[2] = 5; /* pass */
	s->global[3] = 40; /* tx */
	s->global[XDPLB_CNT_DROP_BASE + XDPLB_DROP_TOO_BIG] = 2;
	s->global[XDPLB_CNT_PASS_BASE + XDPLB_PASS_FOREIGN_MAC] = 3;
	s->global[XDPLB_CNT_REPLY_BASE + XDPLB_REPLY_ICMP_ECHO] = 4;
	s->n_vips = 1;
	s->vips = calloc(1, sizeof(*s->vips));
	snprintf(s->vips[0].name.s, XDPLB_NAME_LEN, "web");
	s->vips[0].id = 0;
	s->vips[0].table_size = 101;
	s->vips[0].st = (struct xdplb_vip_stats){ 45, 4500, 9, 36, 9, 2 };
	s->vips[0].n_be = n_be;
	s->vips[0].be = calloc(n_be, sizeof(struct st_backend));
	for (__u32 b = 0; b < n_be; b++) {
		struct st_backend *sb = &s->vips[0].be[b];

		sb->id = b + 10;
		snprintf(sb->name.s, XDPLB_NAME_LEN, "%s", names[b % 8]);
		sb->state = XDPLB_BE_ACTIVE;
		sb->cfg_state = XDPLB_BE_ACTIVE;
		sb->weight = 100;
	}
}

static void free_status(struct lb_live *s)
{
	free(s->vips[0].be);
	free(s->vips);
}

Test(metrics, escapes_label_values)
{
	struct mbuf b = { 0 };

	metrics_escape(&b, "plain");
	metrics_escape(&b, "|a\\b\"c\nd|");
	cr_assert(eq(str, b.p, "plain|a\\\\b\\\"c\\nd|"));
	mbuf_free(&b);
}

Test(metrics, escaped_names_in_samples)
{
	struct lb_live s;
	struct metrics_if mi = { .ifname = "eth0", .load_ok = true };
	struct mbuf b = { 0 };

	small_status(&s, 1);
	snprintf(s.vips[0].name.s, XDPLB_NAME_LEN, "we\"b");
	snprintf(s.vips[0].be[0].name.s, XDPLB_NAME_LEN, "a\\1\n");
	mi.st = &s;
	metrics_write(&b, &mi, 1, -1);
	cr_assert(
		not(eq(ptr,
		       strstr(b.p,
			      "xdplb_backend_packets_total{iface=\"eth0\",vip=\"we\\\"b\",backend=\"a\\\\1\\n\"} 0\n"),
		       NULL)),
		"%s", b.p);
	mbuf_free(&b);
	free_status(&s);
}

static const char golden[] =
	"# HELP xdplb_up 1 if xdplb's pinned maps on this interface could be read, 0 if not (not loaded)\n"
	"# TYPE xdplb_up gauge\n"
	"xdplb_up{iface=\"eth0\"} 1\n"
	"xdplb_up{iface=\"eth9\"} 0\n"
	"# HELP xdplb_read_error 1 if some of xdplb's state on this interface could not be read (not for want of a load: a missing capability, a map gone mid-read); the values that depend on it are left out, not reported as zeros\n"
	"# TYPE xdplb_read_error gauge\n"
	"xdplb_read_error{iface=\"eth0\"} 0\n"
	"xdplb_read_error{iface=\"eth9\"} 0\n"
	"# HELP xdplb_program_attached 1 if the XDP program is attached to the interface through its pinned link\n"
	"# TYPE xdplb_program_attached gauge\n"
	"xdplb_program_attached{iface=\"eth0\"} 1\n"
	"# HELP xdplb_config_info The live config: its SHA-256 digest as a label; always 1\n"
	"# TYPE xdplb_config_info gauge\n"
	"xdplb_config_info{iface=\"eth0\",digest=\"sha256:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\"} 1\n"
	"# HELP xdplb_config_generation Generation of the live config, +1 with every applied load\n"
	"# TYPE xdplb_config_generation gauge\n"
	"xdplb_config_generation{iface=\"eth0\"} 7\n"
	"# HELP xdplb_config_last_load_timestamp_seconds When the live config was applied, seconds since the epoch\n"
	"# TYPE xdplb_config_last_load_timestamp_seconds gauge\n"
	"xdplb_config_last_load_timestamp_seconds{iface=\"eth0\"} 1700000000\n"
	"# HELP xdplb_config_last_load_successful 1 if the last config written to the maps is completely live: program attached, no newer config half-applied, every table names only active backends\n"
	"# TYPE xdplb_config_last_load_successful gauge\n"
	"xdplb_config_last_load_successful{iface=\"eth0\"} 1\n"
	"# HELP xdplb_conntrack_max_entries Flows conntrack holds: every CPU's buckets times their ways (conntrack_size, shared among the CPUs and rounded up to a power of two of buckets per CPU)\n"
	"# TYPE xdplb_conntrack_max_entries gauge\n"
	"xdplb_conntrack_max_entries{iface=\"eth0\"} 1536\n"
	"# HELP xdplb_xdp_actions_total Packets the LB program returned each XDP action for\n"
	"# TYPE xdplb_xdp_actions_total counter\n"
	"xdplb_xdp_actions_total{iface=\"eth0\",action=\"aborted\"} 0\n"
	"xdplb_xdp_actions_total{iface=\"eth0\",action=\"drop\"} 0\n"
	"xdplb_xdp_actions_total{iface=\"eth0\",action=\"pass\"} 5\n"
	"xdplb_xdp_actions_total{iface=\"eth0\",action=\"tx\"} 40\n"
	"xdplb_xdp_actions_total{iface=\"eth0\",action=\"redirect\"} 0\n"
	"# HELP xdplb_drops_total Packets to a VIP address dropped, by reason (docs/datapath.md)\n"
	"# TYPE xdplb_drops_total counter\n"
	"xdplb_drops_total{iface=\"eth0\",reason=\"malformed\"} 0\n"
	"xdplb_drops_total{iface=\"eth0\",reason=\"ipv4_options\"} 0\n"
	"xdplb_drops_total{iface=\"eth0\",reason=\"fragment\"} 0\n"
	"xdplb_drops_total{iface=\"eth0\",reason=\"ipv6_exthdr\"} 0\n"
	"xdplb_drops_total{iface=\"eth0\",reason=\"no_backend\"} 0\n"
	"xdplb_drops_total{iface=\"eth0\",reason=\"too_big\"} 2\n"
	"xdplb_drops_total{iface=\"eth0\",reason=\"encap\"} 0\n"
	"xdplb_drops_total{iface=\"eth0\",reason=\"internal\"} 0\n"
	"# HELP xdplb_passes_total Frames passed to the kernel untouched for a reason worth counting: foreign_mac, a unicast frame to another MAC (promiscuous mode, a bridge)\n"
	"# TYPE xdplb_passes_total counter\n"
	"xdplb_passes_total{iface=\"eth0\",reason=\"foreign_mac\"} 3\n"
	"# HELP xdplb_replies_total Packets the LB answered itself with XDP_TX (also in xdplb_xdp_actions_total{action=\"tx\"}), by kind: icmp_echo, an ICMP or ICMPv6 echo request to a VIP address that takes new flows; frag_needed and packet_too_big, a VIP packet too big once encapsulated answered with ICMP (docs/datapath.md)\n"
	"# TYPE xdplb_replies_total counter\n"
	"xdplb_replies_total{iface=\"eth0\",kind=\"icmp_echo\"} 4\n"
	"xdplb_replies_total{iface=\"eth0\",kind=\"frag_needed\"} 0\n"
	"xdplb_replies_total{iface=\"eth0\",kind=\"packet_too_big\"} 0\n"
	"# HELP xdplb_icmp_total ICMP and ICMPv6 to VIP addresses other than echo requests answered, by action: steered, an error quoting a packet of a VIP flow, encapsulated to the flow's backend; passed, the rest, left to the stack\n"
	"# TYPE xdplb_icmp_total counter\n"
	"xdplb_icmp_total{iface=\"eth0\",action=\"steered\"} 0\n"
	"xdplb_icmp_total{iface=\"eth0\",action=\"passed\"} 0\n"
	"# HELP xdplb_vip_packets_total Packets to the VIP\n"
	"# TYPE xdplb_vip_packets_total counter\n"
	"xdplb_vip_packets_total{iface=\"eth0\",vip=\"web\"} 45\n"
	"# HELP xdplb_vip_bytes_total Bytes of frames to the VIP, as received\n"
	"# TYPE xdplb_vip_bytes_total counter\n"
	"xdplb_vip_bytes_total{iface=\"eth0\",vip=\"web\"} 4500\n"
	"# HELP xdplb_vip_new_flows_total Flows of the VIP that took a backend from the Maglev table\n"
	"# TYPE xdplb_vip_new_flows_total counter\n"
	"xdplb_vip_new_flows_total{iface=\"eth0\",vip=\"web\"} 9\n"
	"# HELP xdplb_vip_conntrack_hits_total Packets of the VIP whose flow was found in conntrack\n"
	"# TYPE xdplb_vip_conntrack_hits_total counter\n"
	"xdplb_vip_conntrack_hits_total{iface=\"eth0\",vip=\"web\"} 36\n"
	"# HELP xdplb_vip_conntrack_misses_total Packets of the VIP not found in conntrack (new flows and re-selections)\n"
	"# TYPE xdplb_vip_conntrack_misses_total counter\n"
	"xdplb_vip_conntrack_misses_total{iface=\"eth0\",vip=\"web\"} 9\n"
	"# HELP xdplb_vip_drops_total Packets to the VIP dropped\n"
	"# TYPE xdplb_vip_drops_total counter\n"
	"xdplb_vip_drops_total{iface=\"eth0\",vip=\"web\"} 2\n"
	"# HELP xdplb_vip_table_size Slots of the VIP's live Maglev table (0: no backend takes new flows)\n"
	"# TYPE xdplb_vip_table_size gauge\n"
	"xdplb_vip_table_size{iface=\"eth0\",vip=\"web\"} 101\n"
	"# HELP xdplb_vip_imbalance Max over active backends of (lower bound of its share of new flows in the window) / (its weight share); about 1 balanced, 0 without new flows\n"
	"# TYPE xdplb_vip_imbalance gauge\n"
	"xdplb_vip_imbalance{iface=\"eth0\",vip=\"web\"} 0.5\n"
	"# HELP xdplb_vip_backends_health_out Backends of the VIP that its health checks took out\n"
	"# TYPE xdplb_vip_backends_health_out gauge\n"
	"xdplb_vip_backends_health_out{iface=\"eth0\",vip=\"web\"} 1\n"
	"# HELP xdplb_vip_health_fail_open 1 when more of the VIP's backends fail their checks than the cascade guard lets out: failing ones are kept in\n"
	"# TYPE xdplb_vip_health_fail_open gauge\n"
	"xdplb_vip_health_fail_open{iface=\"eth0\",vip=\"web\"} 0\n"
	"# HELP xdplb_backend_packets_total Packets sent to the backend\n"
	"# TYPE xdplb_backend_packets_total counter\n"
	"xdplb_backend_packets_total{iface=\"eth0\",vip=\"web\",backend=\"a\"} 30\n"
	"xdplb_backend_packets_total{iface=\"eth0\",vip=\"web\",backend=\"b\"} 15\n"
	"# HELP xdplb_backend_bytes_total Bytes of frames sent to the backend, as received (before encapsulation)\n"
	"# TYPE xdplb_backend_bytes_total counter\n"
	"xdplb_backend_bytes_total{iface=\"eth0\",vip=\"web\",backend=\"a\"} 3000\n"
	"xdplb_backend_bytes_total{iface=\"eth0\",vip=\"web\",backend=\"b\"} 1500\n"
	"# HELP xdplb_backend_new_flows_total New flows the Maglev table gave to the backend\n"
	"# TYPE xdplb_backend_new_flows_total counter\n"
	"xdplb_backend_new_flows_total{iface=\"eth0\",vip=\"web\",backend=\"a\"} 6\n"
	"xdplb_backend_new_flows_total{iface=\"eth0\",vip=\"web\",backend=\"b\"} 3\n"
	"# HELP xdplb_backend_weight The backend's weight in the live config\n"
	"# TYPE xdplb_backend_weight gauge\n"
	"xdplb_backend_weight{iface=\"eth0\",vip=\"web\",backend=\"a\"} 100\n"
	"xdplb_backend_weight{iface=\"eth0\",vip=\"web\",backend=\"b\"} 50\n"
	"# HELP xdplb_backend_weight_share The backend's share of its VIP's new flows by weight: weight over the sum of active backends' weights (0 unless active)\n"
	"# TYPE xdplb_backend_weight_share gauge\n"
	"xdplb_backend_weight_share{iface=\"eth0\",vip=\"web\",backend=\"a\"} 1\n"
	"xdplb_backend_weight_share{iface=\"eth0\",vip=\"web\",backend=\"b\"} 0\n"
	"# HELP xdplb_backend_table_slots Slots of the VIP's live Maglev table that name the backend\n"
	"# TYPE xdplb_backend_table_slots gauge\n"
	"xdplb_backend_table_slots{iface=\"eth0\",vip=\"web\",backend=\"a\"} 101\n"
	"xdplb_backend_table_slots{iface=\"eth0\",vip=\"web\",backend=\"b\"} 0\n"
	"# HELP xdplb_backend_up 1 if the backend takes new flows (state active), 0 if draining or down\n"
	"# TYPE xdplb_backend_up gauge\n"
	"xdplb_backend_up{iface=\"eth0\",vip=\"web\",backend=\"a\"} 1\n"
	"xdplb_backend_up{iface=\"eth0\",vip=\"web\",backend=\"b\"} 0\n"
	"# HELP xdplb_backend_state The backend's effective state as a label (active, drain, down): the configured one, unless its health checks took it out; always 1\n"
	"# TYPE xdplb_backend_state gauge\n"
	"xdplb_backend_state{iface=\"eth0\",vip=\"web\",backend=\"a\",state=\"active\"} 1\n"
	"xdplb_backend_state{iface=\"eth0\",vip=\"web\",backend=\"b\",state=\"drain\"} 1\n"
	"# HELP xdplb_backend_configured_state The backend's configured state as a label (the config's, or an operator's override); always 1\n"
	"# TYPE xdplb_backend_configured_state gauge\n"
	"xdplb_backend_configured_state{iface=\"eth0\",vip=\"web\",backend=\"a\",state=\"active\"} 1\n"
	"xdplb_backend_configured_state{iface=\"eth0\",vip=\"web\",backend=\"b\",state=\"active\"} 1\n"
	"# HELP xdplb_backend_health What the health checks decided, as a label: none (not checked), up, out (taken out), kept (failing, kept in by the cascade guard); always 1\n"
	"# TYPE xdplb_backend_health gauge\n"
	"xdplb_backend_health{iface=\"eth0\",vip=\"web\",backend=\"a\",health=\"up\"} 1\n"
	"xdplb_backend_health{iface=\"eth0\",vip=\"web\",backend=\"b\",health=\"out\"} 1\n"
	"# HELP xdplb_backend_conntrack_flows Conntrack entries that name the backend, all CPUs: flows it still has (drain progress); counted in at most 65536 buckets spread over the table and scaled\n"
	"# TYPE xdplb_backend_conntrack_flows gauge\n"
	"xdplb_backend_conntrack_flows{iface=\"eth0\",vip=\"web\",backend=\"a\"} 12\n"
	"xdplb_backend_conntrack_flows{iface=\"eth0\",vip=\"web\",backend=\"b\"} 4\n"
	"# HELP xdplb_backend_idle_seconds Seconds since the last packet of any of the backend's conntrack flows (their last-seen stamps, ~1 s granularity, same sample as xdplb_backend_conntrack_flows): a drained backend is idle when this grows; absent while it has none\n"
	"# TYPE xdplb_backend_idle_seconds gauge\n"
	"xdplb_backend_idle_seconds{iface=\"eth0\",vip=\"web\",backend=\"a\"} 0.5\n"
	"# HELP xdplb_interfaces_loaded Interfaces this exporter found xdplb loaded on (named by --iface, or all in its network namespace)\n"
	"# TYPE xdplb_interfaces_loaded gauge\n"
	"xdplb_interfaces_loaded 1\n"
	"# HELP xdplb_build_info Always 1: the exporter's xdplb version and the map layout (ABI) it reads\n"
	"# TYPE xdplb_build_info gauge\n"
	"xdplb_build_info{version=\"" XDPLB_VERSION "\",abi=\"9\"} 1\n"
	"# HELP xdplb_scrape_duration_seconds Time this scrape took to read the maps of every interface\n"
	"# TYPE xdplb_scrape_duration_seconds gauge\n"
	"xdplb_scrape_duration_seconds 0.25\n";

/* Two backends: a active (weight 100, every slot), b draining (weight 50);
 * plus an interface without xdplb. */
static void golden_fixture(struct lb_live *s)
{
	small_status(s, 2);
	s->vips[0].be[0].st = (struct xdplb_be_stats){ 30, 3000, 6 };
	s->vips[0].be[0].slots = 101;
	s->vips[0].be[1].st = (struct xdplb_be_stats){ 15, 1500, 3 };
	s->vips[0].be[1].state = XDPLB_BE_DRAIN;
	s->vips[0].be[1].weight = 50;
	/* b: configured active, its checks took it out (to drain) */
	s->vips[0].be[1].health = XDPLB_HEALTH_OUT;
	s->vips[0].be[0].health = XDPLB_HEALTH_UP;
	/* b drains: 4 flows still name it */
	s->parts |= LIVE_FLOWS;
	s->vips[0].be[0].flows = 12;
	s->vips[0].be[1].flows = 4;
	s->vips[0].be[0].idle_s = 0.5;
	s->vips[0].be[1].idle_s = -1; /* none in the sample: no sample */
}

Test(metrics, exact_exposition)
{
	struct lb_live s;
	double imb[1] = { 0.5 };
	struct metrics_if mi[2] = { { .ifname = "eth0", .load_ok = true, .imbalance = imb },
				    { .ifname = "eth9" } };
	struct mbuf b = { 0 };

	golden_fixture(&s);
	mi[0].st = &s;
	metrics_write(&b, mi, 2, 0.25);
	cr_assert(not(b.oom));
	cr_assert(eq(str, b.p, (char *)golden));
	mbuf_free(&b);
	free_status(&s);
}

/* What could not be read is left out and said, never reported as zeros:
 * maps unreadable (eth9: not "not loaded"), a table unreadable (eth0: no
 * slots, no last_load_successful); nothing loaded still exports 0. */
Test(metrics, read_errors_leave_values_out)
{
	struct lb_live s;
	struct metrics_if mi[2] = { { .ifname = "eth0", .load_ok = false, .tables_unread = true },
				    { .ifname = "eth9", .read_error = true } };
	struct mbuf b = { 0 }, none = { 0 };

	golden_fixture(&s);
	mi[0].st = &s;
	metrics_write(&b, mi, 2, 0.25);
	cr_expect(not(eq(ptr, strstr(b.p, "xdplb_read_error{iface=\"eth0\"} 1\n"), NULL)));
	cr_expect(not(eq(ptr, strstr(b.p, "xdplb_read_error{iface=\"eth9\"} 1\n"), NULL)));
	cr_expect(not(eq(ptr, strstr(b.p, "xdplb_up{iface=\"eth9\"} 0\n"), NULL)));
	cr_expect(eq(ptr, strstr(b.p, "xdplb_backend_table_slots{"), NULL), "no slots of eth0");
	cr_expect(eq(ptr, strstr(b.p, "xdplb_config_last_load_successful{"), NULL),
		  "no last_load_successful of eth0");
	cr_expect(not(eq(ptr, strstr(b.p, "xdplb_backend_packets_total{iface=\"eth0\""), NULL)),
		  "the counters, which were read, are there");
	cr_expect(not(eq(ptr, strstr(b.p, "xdplb_interfaces_loaded 1\n"), NULL)));
	metrics_write(&none, NULL, 0, 0.01);
	cr_expect(not(eq(ptr, strstr(none.p, "xdplb_interfaces_loaded 0\n"), NULL)), "%s", none.p);
	mbuf_free(&b);
	mbuf_free(&none);
	free_status(&s);
}

/* A backend the operator drained whose checks fail is out per backend, but
 * not among the VIP's backends that health took out. */
Test(metrics, health_out_counts_configured_active_only)
{
	struct lb_live s;
	struct metrics_if mi = { .ifname = "eth0", .load_ok = true, .st = &s };
	struct mbuf b = { 0 };

	golden_fixture(&s);
	s.vips[0].be[1].cfg_state = XDPLB_BE_DRAIN;
	metrics_write(&b, &mi, 1, -1);
	cr_assert(
		not(eq(ptr,
		       strstr(b.p, "xdplb_vip_backends_health_out{iface=\"eth0\",vip=\"web\"} 0\n"),
		       NULL)),
		"%s", b.p);
	cr_assert(not(eq(
		ptr,
		strstr(b.p,
		       "xdplb_backend_health{iface=\"eth0\",vip=\"web\",backend=\"b\",health=\"out\"} 1\n"),
		NULL)));
	mbuf_free(&b);
	free_status(&s);
}

/* The family a sample line belongs to: its name up to '{' or ' '. */
static void family_of(const char *line, char *out, size_t len)
{
	size_t n = strcspn(line, "{ ");

	snprintf(out, len, "%.*s", (int)n, line);
}

Test(metrics, one_help_and_type_per_family_samples_together)
{
	struct lb_live s[2];
	struct metrics_if mi[3] = { { .ifname = "eth0" },
				    { .ifname = "none" },
				    { .ifname = "eth1" } };
	struct mbuf b = { 0 };
	char cur[128] = "", fam[128], names[64][128];
	int n_names = 0, helps = 0, types = 0;

	golden_fixture(&s[0]);
	small_status(&s[1], 5);
	mi[0].st = &s[0];
	mi[2].st = &s[1];
	metrics_write(&b, mi, 3, 0.1);
	for (char *line = strtok(b.p, "\n"); line; line = strtok(NULL, "\n")) {
		if (!strncmp(line, "# HELP ", 7)) {
			family_of(line + 7, fam, sizeof(fam));
			for (int i = 0; i < n_names; i++)
				cr_assert(not(eq(str, names[i], fam)), "HELP twice for %s", fam);
			snprintf(names[n_names++], 128, "%s", fam);
			snprintf(cur, sizeof(cur), "%s", fam);
			helps++;
			continue;
		}
		if (!strncmp(line, "# TYPE ", 7)) {
			family_of(line + 7, fam, sizeof(fam));
			cr_assert(eq(str, fam, cur), "TYPE right after its HELP");
			types++;
			continue;
		}
		family_of(line, fam, sizeof(fam));
		cr_assert(eq(str, fam, cur), "sample of %s under family %s", fam, cur);
	}
	cr_expect(eq(int, helps, types));
	cr_expect(eq(int, helps, 38), "every family, even one with no samples");
	mbuf_free(&b);
	free_status(&s[0]);
	free_status(&s[1]);
}

Test(metrics, tables_consistent_only_with_active_backends)
{
	struct lb_live s;

	small_status(&s, 2);
	s.vips[0].be[0].slots = 50;
	s.vips[0].be[1].slots = 51;
	cr_expect(metrics_tables_consistent(&s));
	s.vips[0].be[1].state = XDPLB_BE_DRAIN; /* a draining backend still in the table */
	cr_expect(not(metrics_tables_consistent(&s)));
	s.vips[0].be[1].state = XDPLB_BE_ACTIVE;
	s.vips[0].be[1].slots = 50; /* a slot names a foreign id */
	cr_expect(not(metrics_tables_consistent(&s)));
	free_status(&s);
}

Test(metrics, wilson_lower_bound)
{
	cr_expect(eq(dbl, wilson_lower(0, 0, 3), 0));
	cr_expect(eq(dbl, wilson_lower(0, 100, 3), 0));
	cr_expect(lt(dbl, fabs(wilson_lower(50, 100, 3) - 0.3563261), 1e-6));
	/* tight with many flows, loose with few */
	cr_expect(gt(dbl, wilson_lower(500000, 1000000, 3), 0.498));
	cr_expect(lt(dbl, wilson_lower(5, 5, 3), 0.36));
}

/* Sets new-flow counters of the fixture's backends. */
static void set_flows(struct lb_live *s, const __u64 *f)
{
	for (__u32 b = 0; b < s->vips[0].n_be; b++)
		s->vips[0].be[b].st.new_flows = f[b];
}

Test(metrics, window_keeps_readings_an_eighth_apart_and_one_window_old)
{
	struct imb_hist h = { 0 };
	struct lb_live s;
	const __u64 zero[4] = { 0 };

	small_status(&s, 4);
	set_flows(&s, zero);
	cr_assert(eq(int, imb_record(&h, &s, 0, 60), 0));
	cr_expect(eq(int, imb_record(&h, &s, 7, 60), 0));
	cr_expect(eq(int, h.n, 1), "7 s < 60/8: no new reading");
	imb_record(&h, &s, 8, 60);
	cr_expect(eq(int, h.n, 2));
	for (int t = 16; t <= 200; t += 8)
		imb_record(&h, &s, t, 60);
	cr_expect(le(int, h.n, 10), "%d readings", h.n);
	cr_expect(le(dbl, h.r[0].t, 200 - 60), "the oldest is at least a window old");
	cr_expect(gt(dbl, h.r[1].t, 200 - 60), "and it is the only one");
	imb_free(&h);
	free_status(&s);
}

Test(metrics, imbalance_against_the_reading_one_window_old)
{
	struct imb_hist h = { 0 };
	struct lb_live s;
	double out[1];
	const __u64 t0[4] = { 1000000, 0, 0, 0 }; /* a skew long ago */
	const __u64 t30[4] = { 1000000 + 10000, 10000, 10000, 10000 };
	const __u64 t90[4] = { 1000000 + 40000, 40000, 40000, 40000 };

	small_status(&s, 4);
	set_flows(&s, t0);
	imb_compute(&h, &s, 0, 60, out);
	cr_expect(gt(dbl, out[0], 3.9), "no reading yet: counters since zero, %f", out[0]);
	imb_record(&h, &s, 0, 60);
	set_flows(&s, t30);
	imb_compute(&h, &s, 30, 60, out);
	/* before a window has passed, the oldest reading: balanced since */
	cr_expect(lt(dbl, out[0], 1.0), "%f", out[0]);
	cr_expect(gt(dbl, out[0], 0.9), "%f", out[0]);
	imb_record(&h, &s, 30, 60);
	set_flows(&s, t90);
	imb_compute(&h, &s, 90, 60, out);
	/* the base is the reading at 30 s: 30000 each, balanced, slightly under 1 */
	cr_expect(lt(dbl, out[0], 1.0), "%f", out[0]);
	cr_expect(gt(dbl, out[0], 0.95), "%f", out[0]);
	imb_free(&h);
	free_status(&s);
}

Test(metrics, imbalance_sees_a_skew_not_a_handful_of_flows)
{
	struct imb_hist h = { 0 };
	struct lb_live s;
	double out[1];
	const __u64 none[4] = { 0 }, skew[4] = { 970, 10, 10, 10 }, few[4] = { 4, 0, 0, 0 };

	small_status(&s, 4);
	set_flows(&s, none);
	imb_record(&h, &s, 0, 60);
	set_flows(&s, none);
	imb_compute(&h, &s, 61, 60, out);
	cr_expect(eq(dbl, out[0], 0), "no new flows: 0");
	set_flows(&s, skew); /* the postmortem: 97% on one of four */
	imb_compute(&h, &s, 61, 60, out);
	cr_expect(gt(dbl, out[0], 3.5), "%f", out[0]);
	set_flows(&s, few); /* four flows, all on one backend: chance, not skew */
	imb_compute(&h, &s, 61, 60, out);
	cr_expect(lt(dbl, out[0], 1.5), "%f", out[0]);
	imb_free(&h);
	free_status(&s);
}

Test(metrics, imbalance_by_weight_and_after_a_reset)
{
	struct imb_hist h = { 0 };
	struct lb_live s;
	double out[1];
	const __u64 before[2] = { 5000, 15000 }, after[2] = { 20000 + 5000, 10000 };

	small_status(&s, 2);
	s.vips[0].be[0].weight = 200; /* a takes 2/3 by weight */
	set_flows(&s, before);
	imb_record(&h, &s, 0, 60);
	/* b's counter went down (its id was reassigned, counters zeroed) */
	set_flows(&s, after);
	imb_compute(&h, &s, 60, 60, out);
	/* deltas 20000 and 10000 (b counted from zero): shares 2/3 and 1/3 */
	cr_expect(gt(dbl, out[0], 0.97), "%f", out[0]);
	cr_expect(lt(dbl, out[0], 1.0), "%f", out[0]);
	/* a draining backend is no part of the weights */
	s.vips[0].be[1].state = XDPLB_BE_DRAIN;
	s.vips[0].be[1].st.new_flows = 15000;
	s.vips[0].be[0].st.new_flows = 5000 + 30000;
	imb_compute(&h, &s, 60, 60, out);
	cr_expect(gt(dbl, out[0], 0.99), "%f", out[0]);
	cr_expect(lt(dbl, out[0], 1.0), "%f", out[0]);
	imb_free(&h);
	free_status(&s);
}

/* A backend's decap counters: one family, a sample per result, labels
 * from the ABI's order; nothing at all without a decap program. */
Test(metrics, decap_counters)
{
	struct metrics_decap d = { .ifname = "eth1" };
	struct mbuf b = { 0 }, none = { 0 };

	for (int r = 0; r < XDPLB_DECAP_MAX; r++)
		d.c[r] = 10 + (__u64)r;
	metrics_write_decap(&b, &d, 1);
	cr_assert(not(eq(ptr, b.p, NULL)));
	cr_expect(not(eq(ptr, strstr(b.p, "# TYPE xdplb_decap_packets_total counter\n"), NULL)));
	cr_expect(
		not(eq(ptr,
		       strstr(b.p,
			      "xdplb_decap_packets_total{iface=\"eth1\",result=\"v4_in_v4\"} 10\n"),
		       NULL)),
		"%s", b.p);
	cr_expect(
		not(eq(ptr,
		       strstr(b.p,
			      "xdplb_decap_packets_total{iface=\"eth1\",result=\"bad_source\"} 16\n"),
		       NULL)),
		"%s", b.p);
	metrics_write_decap(&none, &d, 0);
	cr_expect(eq(sz, none.len, 0));
	mbuf_free(&b);
}

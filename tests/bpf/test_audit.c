// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* audit: every kind of drift between the maps and a config is found. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "audit.h"
#include "diff.h"
#include "lbfix.h"
#include "maglev.h"
#include "plan.h"
#include "render.h"
#include "status.h"

#define TOP                                                                    \
	"{ \"interface\": \"test0\", \"next_hop_mac\": \"02:00:00:00:00:01\"," \
	"  \"source_v4\": \"192.0.2.1\", \"conntrack_size\": 4096, "
#define WEB(backends)                                                                             \
	"{ \"name\": \"web\", \"address\": \"203.0.113.10\", \"port\": 80, \"table_size\": 1009," \
	"  \"backends\": [ " backends " ] }"
#define BE(n) "{ \"name\": \"be" #n "\", \"address\": \"198.51.100." #n "\" }"

static const char *const LIVE = TOP "\"vips\": [ " WEB(BE(1) "," BE(2) "," BE(3)) " ] }";

static struct lbfix f;

static void setup(void)
{
	lbfix_open(&f, LIVE);
}

static void teardown(void)
{
	lbfix_close(&f);
}

/* Audits the fixture's maps against json; returns the findings' text. */
static size_t audit(const char *json, char *out, size_t len)
{
	struct config_opts o = { .mode = -1 };
	struct diags d = { 0 };
	struct checked want;
	struct audit a = { 0 };
	size_t n;

	cr_assert(eq(int, validate_text(json, strlen(json), &o, &want, &d), 0));
	cr_assert(eq(int, audit_maps(&f.m, &want, NULL, &a), 0));
	out[0] = '\0';
	for (size_t i = 0; i < a.n; i++)
		snprintf(out + strlen(out), len - strlen(out), "%s|%s|%s\n", a.f[i].what,
			 a.f[i].where, a.f[i].msg);
	n = a.n;
	audit_free(&a);
	checked_free(&want);
	return n;
}

#define FOUND(text, s) cr_expect(not(eq(ptr, strstr(text, s), NULL)), "no \"%s\" in:\n%s", s, text)

static __u32 active_bank(void)
{
	struct xdplb_ctl ctl;
	__u32 zero = 0;

	cr_assert(eq(int, bpf_map_lookup_elem(LB_FD(&f.m, ctl), &zero, &ctl), 0));
	return xdplb_active_bank(&ctl);
}

/* The fd of web's live table. */
static int web_table(__u32 *slot)
{
	struct xdplb_vip_key k = { .port = htons(80), .proto = 6, .family = XDPLB_AF_INET };
	struct xdplb_vip_val v;
	__u32 id;

	k.addr.v4 = htonl(0xcb00710a); /* 203.0.113.10 */
	cr_assert(eq(int, bpf_map_lookup_elem(LB_FD(&f.m, vips), &k, &v), 0));
	*slot = xdplb_table_slot(active_bank(), v.bank[active_bank()].vip_id);
	cr_assert(eq(int, bpf_map_lookup_elem(LB_FD(&f.m, tables), slot, &id), 0));
	return bpf_map_get_fd_by_id(id);
}

TestSuite(audit, .init = setup, .fini = teardown);

Test(audit, identical_is_clean)
{
	char out[4096];

	cr_expect(eq(sz, audit(LIVE, out, sizeof(out)), 0), "%s", out);
}

Test(audit, backends_and_vips)
{
	char out[4096];

	audit(TOP "\"vips\": [ " WEB(BE(1) "," BE(2)) " ] }", out, sizeof(out));
	FOUND(out, "backend|vip web backend be3|extra: live, not in the config");
	audit(TOP "\"vips\": [ " WEB(BE(1) "," BE(2) "," BE(3) "," BE(4)) " ] }", out, sizeof(out));
	FOUND(out, "backend|vip web backend be4|missing");
	audit(TOP "\"vips\": [ " WEB(BE(1) "," BE(2) "," BE(
		      3)) ", { \"name\": \"dns\","
			  " \"address\": \"203.0.113.53\", \"port\": 53, \"protocol\": \"udp\", \"table_size\": 1009,"
			  " \"backends\": [ " BE(9) " ] } ] }",
	      out, sizeof(out));
	FOUND(out, "vip|vip dns|missing: in the config, not live");
	audit(TOP "\"vips\": [ " WEB(
		      "{ \"name\": \"be1\", \"address\": \"198.51.100.1\", \"weight\": 50 }," BE(
			      2) "," BE(3)) " ] }",
	      out, sizeof(out));
	FOUND(out, "live weight 100 active, config weight 50 active");
}

Test(audit, globals)
{
	char out[4096];

	audit("{ \"interface\": \"test0\", \"next_hop_mac\": \"02:00:00:00:00:02\", \"mtu\": 1400,"
	      " \"hash_seed\": 7, \"source_v4\": \"192.0.2.8\", \"conntrack_size\": 8192,"
	      " \"vips\": [ " WEB(BE(1) "," BE(2) "," BE(3)) " ] }",
	      out, sizeof(out));
	FOUND(out, "global|next_hop_mac|live 02:00:00:00:00:01, config 02:00:00:00:00:02");
	FOUND(out, "global|mtu|live 1500, config 1400");
	FOUND(out, "global|hash_seed|live 0x0, config 0x7");
	FOUND(out, "global|source_v4|");
	FOUND(out, "global|conntrack_size|live 4096, config 8192");
}

/* A live table with one slot changed, put in the live slot by hand. */
static void swap_in_edited_table(__u32 slot_no, __u32 new_id)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = XDPLB_TABLE_MAP_FLAGS);
	__u32 slot, m = 1009, ids[1010];
	int fd = web_table(&slot), copy;

	cr_assert(fd >= 0);
	close(fd);
	cr_assert(eq(int, maps_read_table(&f.m, slot, m, ids), 0));
	ids[slot_no] = new_id;
	ids[m] = MAGLEV_NONE;
	copy = bpf_map_create(BPF_MAP_TYPE_ARRAY, "edited", 4, sizeof(struct xdplb_slot_pair),
			      XDPLB_TABLE_ENTRIES(m), &o);
	cr_assert(copy >= 0);
	for (__u32 k = 0; k < XDPLB_TABLE_ENTRIES(m); k++)
		cr_assert(eq(int, bpf_map_update_elem(copy, &k, &ids[2 * k], 0), 0));
	cr_assert(eq(int, bpf_map_update_elem(LB_FD(&f.m, tables), &slot, &copy, 0), 0));
	close(copy);
}

/* Published tables are frozen: not even bpftool can write one. */
Test(audit, tables_cannot_be_edited)
{
	struct xdplb_slot_pair pair = { .id = { 1, 1 } };
	__u32 slot, key = 1;
	int fd = web_table(&slot);

	cr_assert(fd >= 0);
	cr_expect(not(eq(int, bpf_map_update_elem(fd, &key, &pair, 0), 0)), "a table was writable");
	close(fd);
}

/* Tables are mmapable (ABI 3): a read-only mapping shows what a batch
 * lookup shows, and a frozen table refuses a writable mapping. */
Test(audit, tables_read_through_a_mapping)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	struct bpf_map_info info = {};
	__u32 slot, len = sizeof(info), n = XDPLB_TABLE_ENTRIES(1009), cnt = n, out_batch;
	struct xdplb_slot_pair mapped[XDPLB_TABLE_ENTRIES(1009)], batch[XDPLB_TABLE_ENTRIES(1009)];
	__u32 keys[XDPLB_TABLE_ENTRIES(1009)];
	int fd = web_table(&slot);

	cr_assert(fd >= 0);
	cr_assert(eq(int, bpf_obj_get_info_by_fd(fd, &info, &len), 0));
	cr_expect(ne(u32, info.map_flags & BPF_F_MMAPABLE, 0), "flags 0x%x", info.map_flags);
	cr_assert(eq(int, maps_table_pairs(fd, n, mapped), 0));
	int r = bpf_map_lookup_batch(fd, NULL, &out_batch, keys, batch, &cnt, &o);

	/* a whole-map batch ends with ENOENT */
	cr_assert(r == 0 || errno == ENOENT, "batch lookup: %s", strerror(errno));
	cr_assert(eq(u32, cnt, n));
	cr_expect(eq(int, memcmp(mapped, batch, sizeof(batch)), 0));
	cr_expect(eq(ptr, mmap(NULL, sizeof(batch), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0),
		     MAP_FAILED),
		  "a frozen table was mapped writable");
	cr_expect(eq(int, maps_table_pairs(fd, n - 1, mapped), -EBADMSG), "wrong size not noticed");
	close(fd);
}

/* A table swapped by hand: a slot to another backend of the VIP, or to an
 * id that is no backend of it. */
Test(audit, table_slot_edited)
{
	__u32 slot, ids[1010];
	char out[4096];
	int fd = web_table(&slot);

	close(fd);
	cr_assert(eq(int, maps_read_table(&f.m, slot, 1009, ids), 0));
	swap_in_edited_table(3, ids[3] == 0 ? 1 : 0); /* ids 0..2 are web's backends */
	audit(LIVE, out, sizeof(out));
	FOUND(out,
	      "table|vip web table|1 of 1009 slots differ from the config's Maglev table (first: slot 3)");
	swap_in_edited_table(3, 200000);
	audit(LIVE, out, sizeof(out));
	FOUND(out, "some name an id that is no backend of this VIP");
}

Test(audit, sentinels)
{
	struct xdplb_vip_key k = { .family = XDPLB_AF_INET };
	struct xdplb_vip_val v = { 0 };
	char out[4096];

	k.addr.v4 = htonl(0xcb00710a);
	cr_assert(eq(int, bpf_map_delete_elem(LB_FD(&f.m, vips), &k), 0));
	audit(LIVE, out, sizeof(out));
	FOUND(out, "map|vip web|the address sentinel is missing");

	k.addr.v4 = htonl(0xcb00714d); /* 203.0.113.77: no VIP */
	v.bank[active_bank()].flags = XDPLB_VIP_F_PRESENT;
	cr_assert(eq(int, bpf_map_update_elem(LB_FD(&f.m, vips), &k, &v, 0), 0));
	audit(LIVE, out, sizeof(out));
	FOUND(out, "map|sentinel 203.0.113.77|an address sentinel of no live VIP");
}

/* The serving flag of the address sentinel must match the VIPs' tables:
 * cleared by hand, pings go unanswered; set on an address none of whose
 * VIPs takes new flows, they are answered. */
static const char *const DRAINED = TOP
	"\"vips\": [ { \"name\": \"web\", \"address\": \"203.0.113.10\", \"port\": 80,"
	" \"table_size\": 1009, \"guards\": { \"min_active_backends\": 0 }, \"backends\": ["
	" { \"name\": \"be1\", \"address\": \"198.51.100.1\", \"state\": \"drain\" } ] } ] }";

Test(audit, sentinel_serving_flag)
{
	struct xdplb_vip_key k = { .family = XDPLB_AF_INET };
	struct xdplb_vip_val v;
	char out[4096];

	k.addr.v4 = htonl(0xcb00710a); /* 203.0.113.10 */
	cr_assert(eq(int, bpf_map_lookup_elem(LB_FD(&f.m, vips), &k, &v), 0));
	cr_expect(eq(u32, v.bank[active_bank()].flags, XDPLB_VIP_F_PRESENT | XDPLB_VIP_F_SERVING));
	v.bank[active_bank()].flags = XDPLB_VIP_F_PRESENT;
	cr_assert(eq(int, bpf_map_update_elem(LB_FD(&f.m, vips), &k, &v, 0), 0));
	audit(LIVE, out, sizeof(out));
	FOUND(out,
	      "map|sentinel 203.0.113.10|not marked serving, though a VIP of the address takes "
	      "new flows");

	/* every backend drained: the address no longer serves */
	cr_assert(eq(int, lbfix_apply(&f, DRAINED), 0));
	cr_assert(eq(int, bpf_map_lookup_elem(LB_FD(&f.m, vips), &k, &v), 0));
	cr_expect(eq(u32, v.bank[active_bank()].flags, XDPLB_VIP_F_PRESENT), "not serving");
	cr_expect(eq(sz, audit(DRAINED, out, sizeof(out)), 0), "%s", out);
	v.bank[active_bank()].flags |= XDPLB_VIP_F_SERVING;
	cr_assert(eq(int, bpf_map_update_elem(LB_FD(&f.m, vips), &k, &v, 0), 0));
	audit(DRAINED, out, sizeof(out));
	FOUND(out,
	      "map|sentinel 203.0.113.10|marked serving, though no VIP of the address takes new "
	      "flows");
}

Test(audit, orphan_backend_entry)
{
	struct xdplb_backend b = { .family = XDPLB_AF_INET, .vip_id = 4000, .cookie = 77 };
	__u32 id = 5000;
	char out[4096];

	b.addr.v4 = htonl(0xc6336463);
	b.state[active_bank()] = XDPLB_BE_ACTIVE;
	cr_assert(eq(int, bpf_map_update_elem(LB_FD(&f.m, backends), &id, &b, 0), 0));
	audit(LIVE, out, sizeof(out));
	FOUND(out, "map|backend id 5000|an active backend entry of no live VIP (vip id 4000)");
}

Test(audit, table_of_the_wrong_size)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = XDPLB_TABLE_MAP_FLAGS);
	__u32 slot;
	char out[4096];
	int fd = web_table(&slot), small;

	close(fd);
	struct xdplb_slot_pair zeros = { 0 };

	small = bpf_map_create(BPF_MAP_TYPE_ARRAY, "t", 4, sizeof(zeros), 51, &o);
	cr_assert(small >= 0);
	for (__u32 i = 0; i < 51; i++)
		bpf_map_update_elem(small, &i, &zeros, 0);
	cr_assert(eq(int, bpf_map_update_elem(LB_FD(&f.m, tables), &slot, &small, 0), 0));
	audit(LIVE, out, sizeof(out));
	FOUND(out, "map|vip web|the table map holds 102 slots, the VIP has 1009");
	close(small);
}

/* A VIP whose filter bit is clear would have its traffic passed. */
Test(audit, vip_filter_bit_cleared)
{
	struct xdplb_vip_filter *vf = calloc(1, sizeof(*vf));
	__u32 bank = active_bank();
	char out[4096];

	cr_assert(eq(int, bpf_map_update_elem(LB_FD(&f.m, vip_filter), &bank, vf, 0), 0));
	audit(LIVE, out, sizeof(out));
	FOUND(out, "map|vip web|the VIP filter lacks its address");
	free(vf);
}

/* be_slots (ABI 6) publishes what the tables hold, for the exporter: a
 * count written by hand is found, with both numbers. */
Test(audit, published_slot_counts_checked)
{
	struct xdplb_be_slots *bs = maps_be_slots_map(&f.m, true);
	int id = lbfix_backend_id(&f, "web", "be2");
	char out[4096], want[128];
	__u32 real;

	cr_assert(not(eq(ptr, bs, NULL)), "mapping be_slots: %s", strerror(errno));
	cr_assert(id >= 0);
	real = bs[id].slots[active_bank()];
	cr_expect(gt(u32, real, 300), "be2 publishes %u of 1009 slots", real);
	bs[id].slots[active_bank()] = real + 7;
	audit(LIVE, out, sizeof(out));
	snprintf(want, sizeof(want),
		 "map|vip web backend be2|be_slots publishes %u table slots, the table holds %u",
		 real + 7, real);
	FOUND(out, want);
	bs[id].slots[active_bank()] = real;
	cr_expect(eq(sz, audit(LIVE, out, sizeof(out)), 0), "%s", out);
	maps_be_slots_unmap(bs);
}

/* Every kind of commit publishes counts equal to its tables: a VIP
 * added, a weight changed in one VIP (the other's table kept, its counts
 * copied from the other bank), a backend drained, a VIP emptied, a VIP
 * removed. audit() compares each backend's published count with its
 * live table's, so a clean audit after each step is the check. */
Test(audit, published_slot_counts_follow_every_commit)
{
#define API(backends)                                                                              \
	"{ \"name\": \"api\", \"address\": \"203.0.113.11\", \"port\": 443, \"table_size\": 2003," \
	"  \"backends\": [ " backends " ] }"
#define BEW(n, w) \
	"{ \"name\": \"be" #n "\", \"address\": \"198.51.100." #n "\", \"weight\": " #w " }"
#define BES(n, s) \
	"{ \"name\": \"be" #n "\", \"address\": \"198.51.100." #n "\", \"state\": \"" s "\" }"
	static const char *const steps[] = {
		TOP "\"vips\": [ " WEB(BE(1) "," BE(2) "," BE(3)) ", " API(BE(4) "," BE(5)) " ] }",
		TOP "\"vips\": [ " WEB(BE(1) "," BE(2) "," BE(3)) ", " API(
			BE(4) "," BEW(5, 300)) " ] }",
		TOP "\"vips\": [ " WEB(BE(1) "," BES(2, "drain") "," BE(3)) ", " API(
			BE(4) "," BEW(5, 300)) " ] }",
		TOP
		"\"vips\": [ { \"name\": \"web\", \"address\": \"203.0.113.10\", \"port\": 80,"
		" \"table_size\": 1009, \"guards\": { \"min_active_backends\": 0 }, \"backends\": [ " BES(
			1,
			"drain") "," BES(2,
					 "drain") "," BES(3,
							  "down") " ] }, " API(BE(4) "," BEW(5,
											     300)) " ] }",
		TOP "\"vips\": [ " API(BE(4) "," BE(5)) " ] }",
		LIVE,
	};
	char out[4096];

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		cr_assert(eq(int, lbfix_apply(&f, steps[i]), 0), "step %zu", i);
		cr_expect(eq(sz, audit(steps[i], out, sizeof(out)), 0), "step %zu:\n%s", i, out);
	}
}

/* A VIP's hash mode is in its live entry's flags: read back by the live
 * config (so diff and audit see it), and audit says when it is not the
 * config's. */
Test(audit, vip_hash_mode)
{
	const char *src = TOP "\"vips\": [ { \"name\": \"web\", \"address\": \"203.0.113.10\","
			      " \"port\": 80, \"table_size\": 1009, \"hash\": \"source\","
			      " \"backends\": [ " BE(1) "," BE(2) "," BE(3) " ] } ] }";
	struct xdplb_vip_key k = { .port = htons(80), .proto = 6, .family = XDPLB_AF_INET };
	struct config_opts o = { .mode = -1 };
	struct checked live, want;
	struct diags d = { 0 };
	struct lb_live l = { 0 };
	struct xdplb_vip_val v;
	struct diff df;
	char out[4096];
	cJSON *j;

	k.addr.v4 = htonl(0xcb00710a); /* 203.0.113.10 */
	audit(src, out, sizeof(out));
	FOUND(out, "vip|vip web|hash: live 5tuple, config source");
	cr_assert(eq(int, lbfix_apply(&f, src), 0));
	cr_assert(eq(int, bpf_map_lookup_elem(LB_FD(&f.m, vips), &k, &v), 0));
	cr_expect(eq(u32, v.bank[active_bank()].flags,
		     XDPLB_VIP_F_PRESENT | XDPLB_VIP_F_HASH_SOURCE));
	cr_expect(eq(sz, audit(src, out, sizeof(out)), 0), "%s", out);
	/* status reads it back; the live config diffs empty against the file */
	cr_assert(eq(int, status_read_maps(&f.m, LIVE_TABLES, &l), 0));
	j = status_json(&l);
	cr_expect(eq(str,
		     cJSON_GetStringValue(cJSON_GetObjectItem(
			     cJSON_GetArrayItem(cJSON_GetObjectItem(j, "vips"), 0), "hash")),
		     "source"));
	cJSON_Delete(j);
	cr_assert(eq(int, live_to_checked(&l, &live, true), 0));
	live_free(&l);
	cr_assert(eq(int, validate_text(src, strlen(src), &o, &want, &d), 0));
	cr_assert(eq(int, diff_compute(&live, &want, &df), 0));
	cr_expect(diff_empty(&df));
	diff_free(&df);
	checked_free(&live);
	checked_free(&want);
	audit(LIVE, out, sizeof(out));
	FOUND(out, "vip|vip web|hash: live source, config 5tuple");
}

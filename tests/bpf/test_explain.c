// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * explain against a running LB (the fixture's maps stand for the pinned
 * ones): it says what the data path then really does with the same frame,
 * and it changes no counter and no conntrack entry of the LB it explains.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "render.h"
#include "addr.h"
#include "explain.h"
#include "lbfix.h"

static const char *const CONFIG =
	"{ \"interface\": \"test0\", \"next_hop_mac\": \"02:00:00:00:00:01\","
	"  \"source_v4\": \"192.0.2.1\", \"source_v6\": \"2001:db8::1\", \"conntrack_size\": 4096,"
	"  \"vips\": ["
	"  { \"name\": \"web4\", \"address\": \"203.0.113.10\", \"port\": 80, \"table_size\": 1009,"
	"    \"backends\": [ { \"name\": \"be1\", \"address\": \"198.51.100.11\" },"
	"                    { \"name\": \"be2\", \"address\": \"198.51.100.12\" },"
	"                    { \"name\": \"be3\", \"address\": \"198.51.100.13\" } ] },"
	"  { \"name\": \"web6\", \"address\": \"2001:db8:10::80\", \"port\": 443, \"table_size\": 1009,"
	"    \"backends\": [ { \"name\": \"v6a\", \"address\": \"2001:db8:20::11\" },"
	"                    { \"name\": \"v6b\", \"address\": \"2001:db8:20::12\" } ] },"
	"  { \"name\": \"maint\", \"address\": \"203.0.113.40\", \"port\": 80, \"table_size\": 1009,"
	"    \"guards\": { \"min_active_backends\": 0 }, \"backends\": ["
	"    { \"name\": \"m1\", \"address\": \"198.51.100.61\", \"state\": \"drain\" } ] },"
	"  { \"name\": \"anyudp\", \"address\": \"203.0.113.30\", \"port\": 0, \"protocol\": \"udp\","
	"    \"table_size\": 1009, \"backends\": [ { \"name\": \"any1\", \"address\": \"198.51.100.51\" } ] },"
	"  { \"name\": \"sticky\", \"address\": \"203.0.113.50\", \"port\": 0, \"table_size\": 1009,"
	"    \"hash\": \"source\", \"backends\": [ { \"name\": \"st1\", \"address\": \"198.51.100.71\" },"
	"                    { \"name\": \"st2\", \"address\": \"198.51.100.72\" },"
	"                    { \"name\": \"st3\", \"address\": \"198.51.100.73\" } ] } ] }";

static struct lbfix f;

static void setup(void)
{
	lbfix_open(&f, CONFIG);
}

static void teardown(void)
{
	lbfix_close(&f);
}

TestSuite(explain, .init = setup, .fini = teardown);

/* Every counter and the number of conntrack entries of the fixture's LB. */
struct live_state {
	__u64 global[XDPLB_GLOBAL_MAX];
	struct xdplb_vip_stats vip[2];
	struct xdplb_be_stats be[5];
	__u32 ct_entries;
};

static void read_state(struct live_state *s)
{
	static const char *const be[5][2] = {
		{ "web4", "be1" }, { "web4", "be2" }, { "web4", "be3" },
		{ "web6", "v6a" }, { "web6", "v6b" },
	};

	memset(s, 0, sizeof(*s));
	for (__u32 i = 0; i < XDPLB_GLOBAL_MAX; i++)
		s->global[i] = lbfix_global(&f, i);
	s->vip[0] = lbfix_vip_stats(&f, "web4");
	s->vip[1] = lbfix_vip_stats(&f, "web6");
	for (int i = 0; i < 5; i++)
		s->be[i] = lbfix_be_stats(&f, be[i][0], be[i][1]);
	s->ct_entries = lbfix_ct_count(&f);
}

static void explain(const char *src, const char *dst, __u8 proto, bool syn, __u32 payload,
		    struct explain_result *r)
{
	struct explain_req rq = { .live = &f.m, .live_prog_fd = f.prog_fd };

	rq.spec.proto = proto;
	rq.spec.family = (__u8)frame_parse_endpoint(src, &rq.spec.src, &rq.spec.sport);
	cr_assert(eq(int, frame_parse_endpoint(dst, &rq.spec.dst, &rq.spec.dport), rq.spec.family));
	rq.spec.syn = syn;
	rq.spec.payload = payload;
	cr_assert(eq(int, explain_run(&rq, r), 0));
}

/* The same frame through the fixture's program for real: the backend the
 * data path picked (by outer destination), or NULL. */
static const struct cfg_backend *send_real(const struct explain_result *r, int *act)
{
	__u8 out[PKT_MAX];
	size_t out_len;

	*act = lbfix_run(&f, r->in, r->in_len, out, &out_len);
	return *act == XDP_TX ? lbfix_dest(&f, out) : NULL;
}

static void expect_unchanged(const struct live_state *a, const char *what)
{
	struct live_state b;

	read_state(&b);
	cr_expect(eq(int, memcmp(a->global, b.global, sizeof(a->global)), 0),
		  "%s: a global counter changed", what);
	cr_expect(eq(int, memcmp(a->vip, b.vip, sizeof(a->vip)), 0), "%s: VIP counters changed",
		  what);
	cr_expect(eq(int, memcmp(a->be, b.be, sizeof(a->be)), 0), "%s: backend counters changed",
		  what);
	cr_expect(eq(u32, a->ct_entries, b.ct_entries), "%s: conntrack entries %u -> %u", what,
		  a->ct_entries, b.ct_entries);
}

Test(explain, new_flow_then_established)
{
	struct explain_result *r = malloc(sizeof(*r)), *r2 = malloc(sizeof(*r2));
	const struct cfg_backend *real;
	struct live_state before;
	char a[ADDR_STRLEN];
	int act;

	read_state(&before);
	explain("192.0.2.77:40000", "203.0.113.10:80", IPPROTO_TCP, true, 0, r);
	expect_unchanged(&before, "explaining a new flow");
	cr_expect(r->vip_found);
	cr_expect(eq(str, r->vip_name.s, "web4"));
	cr_expect(r->ct_miss && !r->ct_hit && !r->ct_live, "a new flow misses");
	cr_assert(r->have_backend && r->have_slot);
	cr_expect(eq(u32, r->slot_backend, r->backend_id), "a miss takes the slot's backend");
	cr_expect(eq(u32, r->slot, r->hash % 1009));
	cr_expect(r->new_flow);
	cr_expect(eq(int, r->action, XDP_TX));
	cr_expect(eq(int, r->drop_reason, -1));
	cr_expect(r->tag_checked && r->tag_same, "the fixture runs this very program");
	cr_expect(eq(u8, r->outer.outer.family, XDPLB_AF_INET));
	cr_expect(eq(u8, r->outer.outer.proto, IPPROTO_IPIP));
	cr_expect(r->outer.outer.csum_ok);
	cr_expect(eq(u32, r->outer.outer.dst.v4, r->be.addr.v4), "outer destination = backend");

	/* the real data path, same frame: the backend explain named */
	real = send_real(r, &act);
	cr_assert(eq(int, act, XDP_TX));
	cr_assert(real != NULL);
	cr_expect(eq(str, (char *)real->name, r->be_name.s),
		  "explain said %s, the data path picked %s", r->be_name.s, real->name);
	cr_expect(eq(int, addr_cmp(&real->addr, &r->be.addr), 0), "explain's address %s",
		  addr_str(&r->be.addr, r->be.family, a));

	/* now established: explain says hit, same backend, and changes nothing */
	read_state(&before);
	explain("192.0.2.77:40000", "203.0.113.10:80", IPPROTO_TCP, false, 100, r2);
	expect_unchanged(&before, "explaining an established flow");
	cr_expect(r2->ct_live && r2->ct_hit && !r2->ct_miss, "an established flow hits");
	cr_expect(not(r2->new_flow));
	cr_expect(eq(u32, r2->backend_id, r->backend_id));
	cr_expect(eq(str, r2->be_name.s, r->be_name.s));
	cr_expect(eq(int, r2->action, XDP_TX));
	free(r);
	free(r2);
}

Test(explain, many_flows_agree_with_the_data_path)
{
	struct explain_result *r = malloc(sizeof(*r));
	char src[64];
	int act;

	for (int i = 0; i < 40; i++) {
		const struct cfg_backend *real;

		snprintf(src, sizeof(src), "[2001:db8:1::%x]:%d", i + 1, 1024 + 7 * i);
		explain(src, "[2001:db8:10::80]:443", IPPROTO_TCP, true, 0, r);
		real = send_real(r, &act);
		cr_assert(eq(int, act, r->action));
		cr_assert(real != NULL);
		cr_expect(eq(str, (char *)real->name, r->be_name.s),
			  "flow %d: explain %s, data path %s", i, r->be_name.s, real->name);
		cr_expect(eq(u8, r->outer.outer.family, XDPLB_AF_INET6));
	}
	free(r);
}

Test(explain, not_a_vip_is_passed)
{
	struct explain_result *r = malloc(sizeof(*r));
	struct live_state before;

	read_state(&before);
	explain("192.0.2.77:40000", "203.0.113.99:80", IPPROTO_TCP, true, 0, r);
	cr_expect(not(r->vip_found));
	cr_expect(not(r->have_backend || r->have_slot));
	cr_expect(eq(int, r->action, XDP_PASS));
	cr_expect(eq(int, r->drop_reason, -1));
	/* a VIP address, another port: not a VIP either */
	explain("192.0.2.77:40000", "203.0.113.10:81", IPPROTO_UDP, false, 0, r);
	cr_expect(not(r->vip_found));
	cr_expect(eq(int, r->action, XDP_PASS));
	expect_unchanged(&before, "explaining non-VIP packets");
	free(r);
}

Test(explain, too_big_after_encapsulation_names_the_reason)
{
	struct explain_result *r = malloc(sizeof(*r));
	struct live_state before;
	int act;

	read_state(&before);
	/* 20 + 20 + 1441 = 1481: fits the link, not once 20 bytes of IPIP
	 * are added; TCP sets DF: answered with a fragmentation needed */
	explain("192.0.2.77:40001", "203.0.113.10:80", IPPROTO_TCP, true, 1441, r);
	expect_unchanged(&before, "explaining a too-big packet");
	cr_expect(r->vip_found && r->have_backend);
	cr_expect(eq(int, r->action, XDP_TX));
	cr_expect(eq(int, r->drop_reason, -1));
	cr_expect(eq(int, r->reply, XDPLB_REPLY_FRAG_NEEDED));
	cr_expect(eq(u32, r->mtu, 1500));
	send_real(r, &act);
	cr_expect(eq(int, act, XDP_TX), "the data path answers it too");
	cr_expect(eq(u64, lbfix_global(&f, XDPLB_CNT_REPLY_BASE + XDPLB_REPLY_FRAG_NEEDED),
		     before.global[XDPLB_CNT_REPLY_BASE + XDPLB_REPLY_FRAG_NEEDED] + 1));
	cr_expect(eq(u64, lbfix_global(&f, XDPLB_CNT_DROP_BASE + XDPLB_DROP_TOO_BIG),
		     before.global[XDPLB_CNT_DROP_BASE + XDPLB_DROP_TOO_BIG]));
	/* one byte less fits: 1480 + 20 = the MTU */
	explain("192.0.2.77:40002", "203.0.113.10:80", IPPROTO_TCP, true, 1440, r);
	cr_expect(eq(int, r->action, XDP_TX));
	cr_expect(eq(int, r->reply, -1));
	free(r);
}

Test(explain, a_flow_whose_backend_went_down_reselects)
{
	struct explain_result *r = malloc(sizeof(*r));
	const struct cfg_backend *real;
	const char *down = ", \"state\": \"down\" ";
	char cfg[4096], gone[XDPLB_NAME_LEN], *p;
	int act;

	explain("192.0.2.78:40000", "203.0.113.10:80", IPPROTO_TCP, true, 0, r);
	real = send_real(r, &act);
	cr_assert(real != NULL);
	snprintf(gone, sizeof(gone), "%s", real->name);
	/* the same config with that backend down */
	snprintf(cfg, sizeof(cfg), "%s", CONFIG);
	p = strstr(cfg, gone);
	cr_assert(p != NULL);
	p = strchr(p, '}');
	memmove(p + strlen(down), p, strlen(p) + 1);
	memcpy(p, down, strlen(down));
	cr_assert(eq(int, lbfix_apply(&f, cfg), 0));

	explain("192.0.2.78:40000", "203.0.113.10:80", IPPROTO_TCP, false, 0, r);
	cr_expect(r->ct_live && r->ct_miss && !r->ct_hit, "the live entry no longer takes it");
	cr_expect(eq(str, r->ct_name.s, gone));
	cr_assert(r->have_backend);
	cr_expect(not(eq(str, r->be_name.s, gone)), "re-selected away from %s", gone);
	cr_expect(r->new_flow);
	real = send_real(r, &act);
	cr_assert(real != NULL);
	cr_expect(eq(str, (char *)real->name, r->be_name.s), "explain %s, data path %s",
		  r->be_name.s, real->name);
	free(r);
}

Test(explain, no_backend_takes_new_flows)
{
	struct explain_result *r = malloc(sizeof(*r));
	int act;

	explain("192.0.2.77:40000", "203.0.113.40:80", IPPROTO_TCP, true, 0, r);
	cr_expect(r->vip_found);
	cr_expect(eq(str, r->vip_name.s, "maint"));
	cr_expect(eq(u32, r->table_size, 0), "every backend drains: no table");
	cr_expect(r->ct_miss, "the program looked the flow up and missed");
	cr_expect(not(r->have_backend || r->have_slot));
	cr_expect(eq(int, r->action, XDP_DROP));
	cr_expect(eq(int, r->drop_reason, XDPLB_DROP_NO_BACKEND));
	send_real(r, &act);
	cr_expect(eq(int, act, XDP_DROP));
	free(r);
}

Test(explain, a_port_less_vip_matches_any_port)
{
	struct explain_result *r = malloc(sizeof(*r));
	const struct cfg_backend *real;
	int act;

	explain("192.0.2.77:40000", "203.0.113.30:5353", IPPROTO_UDP, false, 0, r);
	cr_expect(r->vip_found);
	cr_expect(eq(str, r->vip_name.s, "anyudp"));
	cr_expect(eq(u16, r->vip_key.port, 0), "the port-less entry matched");
	cr_expect(eq(str, r->be_name.s, "any1"));
	real = send_real(r, &act);
	cr_assert(real != NULL);
	cr_expect(eq(str, (char *)real->name, "any1"));
	/* TCP to the same address is not that VIP */
	explain("192.0.2.77:40000", "203.0.113.30:5353", IPPROTO_TCP, true, 0, r);
	cr_expect(not(r->vip_found));
	cr_expect(eq(int, r->action, XDP_PASS));
	free(r);
}

Test(explain, json_keys)
{
	static const char *const keys[] = { "interface",   "generation", "frame",   "vip",
					    "conntrack",   "maglev",	 "backend", "action",
					    "drop_reason", "reply",	 "sent",    "program",
					    NULL };
	struct explain_result *r = malloc(sizeof(*r));
	cJSON *j;

	explain("192.0.2.77:40000", "203.0.113.10:80", IPPROTO_TCP, true, 0, r);
	j = explain_json("test0", r);
	for (int i = 0; keys[i]; i++)
		cr_expect(cJSON_HasObjectItem(j, keys[i]), "no key %s", keys[i]);
	cr_expect(eq(int, cJSON_GetArraySize(j), 12));
	cr_expect(eq(str, cJSON_GetObjectItem(j, "action")->valuestring, "XDP_TX"));
	cr_expect(cJSON_IsNull(cJSON_GetObjectItem(j, "reply")), "forwarded, not answered");
	cr_expect(
		eq(str,
		   cJSON_GetObjectItem(cJSON_GetObjectItem(j, "conntrack"), "result")->valuestring,
		   "miss"));
	cr_expect(eq(str,
		     cJSON_GetObjectItem(cJSON_GetObjectItem(j, "backend"), "name")->valuestring,
		     r->be_name.s));
	cr_expect(cJSON_IsTrue(
		cJSON_GetObjectItem(cJSON_GetObjectItem(j, "program"), "same_as_live")));
	cJSON_Delete(j);
	free(r);
}

Test(explain, another_live_program_is_told)
{
	/* r0 = XDP_PASS; exit: any program but this binary's xdplb */
	const struct bpf_insn pass[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct explain_result *r = malloc(sizeof(*r));
	struct explain_req rq = { .live = &f.m };
	int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "other", "GPL", pass, 2, NULL);

	cr_assert(fd >= 0, "loading a two-instruction program: %s", strerror(errno));
	rq.live_prog_fd = fd;
	rq.spec.proto = IPPROTO_UDP;
	rq.spec.family = (__u8)frame_parse_endpoint("192.0.2.77:1", &rq.spec.src, &rq.spec.sport);
	frame_parse_endpoint("203.0.113.10:80", &rq.spec.dst, &rq.spec.dport);
	cr_assert(eq(int, explain_run(&rq, r), 0));
	cr_expect(r->tag_checked);
	cr_expect(not(r->tag_same), "a different program has a different tag");
	close(fd);
	free(r);
}

/* A source VIP: explain hashes as the data path does (the VIP's flags
 * from the live map), so every port of a client has one slot and the
 * backend the program really picks; clients differ; it says the mode. */
Test(explain, source_hash_vip)
{
	struct explain_result *r = malloc(sizeof(*r));
	char src[64], dst[64], first[XDPLB_NAME_LEN] = "", *text = NULL;
	__u32 slot = 0, slots_seen = 0, prev = ~0u;
	size_t len = 0;
	cJSON *j;
	FILE *out;
	int act;

	for (int c = 0; c < 8; c++) {
		for (int i = 0; i < 12; i++) {
			const struct cfg_backend *real;

			snprintf(src, sizeof(src), "198.18.%d.9:%d", c, 1024 + 977 * i);
			snprintf(dst, sizeof(dst), "203.0.113.50:%d", 20 + 1111 * i);
			explain(src, dst, IPPROTO_TCP, true, 0, r);
			cr_assert(r->vip_found && r->have_slot && r->have_backend);
			cr_expect(eq(str, r->vip_name.s, "sticky"));
			cr_expect(eq(u32, r->vip_flags & XDPLB_VIP_F_HASH_SOURCE,
				     XDPLB_VIP_F_HASH_SOURCE));
			if (!i) {
				slot = r->slot;
				snprintf(first, sizeof(first), "%s", r->slot_name.s);
				slots_seen += slot != prev;
				prev = slot;
			}
			cr_expect(eq(u32, r->slot, slot), "client %d port %d: another slot", c, i);
			real = send_real(r, &act);
			cr_assert(eq(int, act, XDP_TX));
			cr_assert(real != NULL);
			cr_expect(eq(str, (char *)real->name, r->be_name.s));
			cr_expect(eq(str, (char *)real->name, first), "client %d port %d", c, i);
		}
	}
	cr_expect(gt(u32, slots_seen, 1), "8 clients, one slot");
	out = open_memstream(&text, &len);
	explain_print(out, "test0", r);
	fclose(out);
	cr_expect(not(eq(ptr, strstr(text, "hash source"), NULL)), "%s", text);
	free(text);
	j = explain_json("test0", r);
	cr_expect(
		eq(str,
		   cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "vip"), "hash")),
		   "source"));
	cJSON_Delete(j);
	free(r);
}

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * packets.c - per-packet cost of the data path with BPF_PROG_TEST_RUN,
 * scenario by scenario, against floors measured in the same run.
 *
 * Scenarios that rewrite the frame (every encapsulation) or need a new
 * flow per packet run behind bench_restore (bpf/bench.bpf.c); so does the
 * encapsulation floor they are compared with. The others run directly. After
 * each scenario the LB's own counters must show that every iteration took
 * the intended path (a million conntrack hits, a million inserts, ...).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bench.h"
#include "bench_abi.h"
#include "load.h"
#include "rig.h"
#include "mono.h"

/* ten backends per VIP; conntrack_size as asked (4M: new flows insert into
 * a table of millions) */
/* clang-format off */
#define BE4(n) "{ \"name\": \"b" #n "\", \"address\": \"198.51.100." #n "\" }"
#define BE6(n) "{ \"name\": \"c" #n "\", \"address\": \"2001:db8:20::" #n "\" }"
#define TEN4 BE4(1) "," BE4(2) "," BE4(3) "," BE4(4) "," BE4(5) "," BE4(6) "," BE4(7) "," BE4(8) "," BE4(9) "," BE4(10)
#define TEN6 BE6(1) "," BE6(2) "," BE6(3) "," BE6(4) "," BE6(5) "," BE6(6) "," BE6(7) "," BE6(8) "," BE6(9) "," BE6(10)
static const char *const CONFIG_FMT =
	"{ \"interface\": \"%s\", \"next_hop_mac\": \"02:00:00:00:00:01\","
	"  \"source_v4\": \"192.0.2.1\", \"source_v6\": \"2001:db8::1\", \"conntrack_size\": %u,"
	"  \"icmp_rate\": 100000000,"
	"  \"vips\": ["
	"  { \"name\": \"web4\", \"address\": \"203.0.113.10\", \"port\": 80, \"backends\": [ " TEN4 " ] },"
	"  { \"name\": \"udp4\", \"address\": \"203.0.113.53\", \"port\": 53, \"protocol\": \"udp\", \"backends\": [ " TEN4 " ] },"
	"  { \"name\": \"web6\", \"address\": \"2001:db8:10::80\", \"port\": 443, \"backends\": [ " TEN6 " ] },"
	"  { \"name\": \"v4on6\", \"address\": \"203.0.113.20\", \"port\": 8080, \"backends\": [ " TEN6 " ] },"
	"  { \"name\": \"maint\", \"address\": \"203.0.113.40\", \"port\": 80, \"table_size\": 1009,"
	"    \"guards\": { \"min_active_backends\": 0 },"
	"    \"backends\": [ { \"name\": \"m\", \"address\": \"198.51.100.60\", \"state\": \"drain\" } ] } ] }";

void rig_config(char *buf, size_t len, const char *ifname, unsigned int ct_size)
{
	snprintf(buf, len, CONFIG_FMT, ifname, ct_size);
}

/* The config for a baseline's own `xdplb load` when it refuses the rig's:
 * without the keys added since a46fc2b was written. */
void rig_config_baseline(char *buf, size_t len, const char *ifname, unsigned int ct_size)
{
	char *k;

	rig_config(buf, len, ifname, ct_size);
	k = strstr(buf, "  \"icmp_rate\"");
	if (k)
		memmove(k, strchr(k, ',') + 1, strlen(strchr(k, ',') + 1) + 1);
}

static void tcp_doff_4(__u8 *f)
{
	f[14 + 20 + 12] = 4 << 4;
}

/* The TCP frame 10.0.0.1:1000 -> 203.0.113.10:80 with 28 bytes of payload
 * (82 bytes) made an ICMP fragmentation needed from a router to the VIP
 * quoting the VIP's reply on that flow (20 + 8 + 20 + 20 = 68): the warm-up
 * SYN of the same spec puts the flow in conntrack, so the error hits. */
static void to_frag_needed(__u8 *f)
{
	__u8 *ip = f + 14, *ic = ip + 20, *in = ic + 8, *th = in + 20;
	__u32 sum = 0;

	ip[9] = IPPROTO_ICMP;
	memcpy(ip + 12, (__u8[]){ 10, 0, 0, 254 }, 4); /* from a router, to the VIP */
	ip[10] = ip[11] = 0;
	for (int i = 0; i < 20; i += 2)
		sum += (__u32)(ip[i] << 8 | ip[i + 1]);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = ~((sum & 0xffff) + (sum >> 16)) & 0xffff;
	ip[10] = (__u8)(sum >> 8), ip[11] = (__u8)sum;
	memset(ic, 0, 8);
	ic[0] = 3, ic[1] = 4, ic[6] = 1400 >> 8, ic[7] = 1400 & 0xff; /* checksum unread */
	memset(in, 0, 20);
	in[0] = 0x45, in[2] = 1500 >> 8, in[3] = 1500 & 0xff, in[6] = 0x40, in[8] = 64;
	in[9] = IPPROTO_TCP;
	memcpy(in + 12, ip + 16, 4); /* quoted: the VIP's packet to the client */
	memcpy(in + 16, (__u8[]){ 10, 0, 0, 1 }, 4);
	th[0] = 0, th[1] = 80, th[2] = 1000 >> 8, th[3] = 1000 & 0xff;
}

#define P4(d, p, pr, fl) { .family = 4, .src = "10.0.0.1", .dst = d, .proto = pr, .sport = 1000, .dport = p, .tcp_flags = fl }
#define P6(d, p, pr, fl) { .family = 6, .src = "2001:db8:1::1", .dst = d, .proto = pr, .sport = 1000, .dport = p, .tcp_flags = fl }
#define TCP4(fl) P4("203.0.113.10", 80, IPPROTO_TCP, fl)
#define SYN4 { .family = 4, .src = "10.0.0.1", .dst = "203.0.113.10", .proto = IPPROTO_TCP, .sport = 2000, .dport = 80, .tcp_flags = SYN }
#define SYN6 { .family = 6, .src = "2001:db8:1::1", .dst = "2001:db8:10::80", .proto = IPPROTO_TCP, .sport = 2000, .dport = 443, .tcp_flags = SYN }
#define DROPC(r) (XDPLB_CNT_DROP_BASE + XDPLB_DROP_##r)
#define REPLYC(k) (XDPLB_CNT_REPLY_BASE + XDPLB_REPLY_##k)
#define ACK TCPF_ACK
#define SYN TCPF_SYN

static const struct scenario scenarios[] = {
	/* floors */
	{ "floor_drop", "XDP_DROP", TCP4(ACK), NULL, T_DROP, false, 1, 0, XDP_DROP, -1, NULL, -1, NULL, 0 },
	{ "floor_macswap", "parse Ethernet+IPv4, swap MACs, XDP_TX", TCP4(ACK), NULL, T_MACSWAP, false, 1, 0, XDP_TX, -1, NULL, -1, NULL, 0 },
	{ "floor_encap", "minimal IPIP encapsulation", TCP4(ACK), NULL, T_ENCAP, true, 1, 0, XDP_TX, -1, NULL, -1, NULL, 0 },
	{ "wrapper", "the restoring wrapper + XDP_DROP", TCP4(ACK), NULL, T_DROP, true, 1, 0, XDP_DROP, -1, NULL, -1, NULL, 0 },
	/* the LB */
	{ "tcp4_hit", "TCP v4, conntrack hit", TCP4(ACK), NULL, T_LB, true, 1, 1, XDP_TX, XDP_TX, "web4", V_HITS, "floor_encap", 2.6 },
	{ "tcp4_syn_4m", "TCP v4 SYN: Maglev + insert, conntrack 4M", SYN4, NULL, T_LB, true, VARY_NEW, 0, XDP_TX, XDP_TX, "web4", V_NEW, "floor_encap", 7.5, CT_4M },
	{ "tcp4_syn_64k", "TCP v4 SYN: Maglev + insert, conntrack 64K", SYN4, NULL, T_LB, true, VARY_NEW, 0, XDP_TX, XDP_TX, "web4", V_NEW, "floor_encap", 7.5, CT_64K },
	{ "tcp4_4096", "TCP v4, 4,096 sources, conntrack hits", TCP4(ACK), NULL, T_LB, true, 4096, 4096, XDP_TX, XDP_TX, "web4", V_HITS, "floor_encap", 0 },
	{ "udp4_hit", "UDP v4, conntrack hit", P4("203.0.113.53", 53, IPPROTO_UDP, 0), NULL, T_LB, true, 1, 1, XDP_TX, XDP_TX, "udp4", V_HITS, "floor_encap", 0 },
	{ "tcp6_hit", "TCP v6, conntrack hit", P6("2001:db8:10::80", 443, IPPROTO_TCP, ACK), NULL, T_LB, true, 1, 1, XDP_TX, XDP_TX, "web6", V_HITS, "floor_encap", 0 },
	{ "tcp6_syn_4m", "TCP v6 SYN: Maglev + insert, conntrack 4M", SYN6, NULL, T_LB, true, VARY_NEW, 0, XDP_TX, XDP_TX, "web6", V_NEW, "floor_encap", 0, CT_4M },
	{ "tcp6_syn_64k", "TCP v6 SYN: Maglev + insert, conntrack 64K", SYN6, NULL, T_LB, true, VARY_NEW, 0, XDP_TX, XDP_TX, "web6", V_NEW, "floor_encap", 0, CT_64K },
	{ "4in6_hit", "TCP v4 VIP on IPv6 backends, hit", P4("203.0.113.20", 8080, IPPROTO_TCP, ACK), NULL, T_LB, true, 1, 1, XDP_TX, XDP_TX, "v4on6", V_HITS, "floor_encap", 0 },
	{ "pass", "not for a VIP: XDP_PASS", P4("203.0.113.99", 80, IPPROTO_TCP, ACK), NULL, T_LB, false, 1, 0, XDP_PASS, XDP_PASS, NULL, -1, "floor_macswap", 1.7 },
	{ "drop_fragment", "IPv4 fragment to a VIP", { .family = 4, .src = "10.0.0.1", .dst = "203.0.113.10", .proto = IPPROTO_UDP, .sport = 1, .dport = 80, .frag = 0x2000 }, NULL, T_LB, false, 1, 0, XDP_DROP, DROPC(FRAGMENT), NULL, -1, "floor_drop", 0 },
	{ "drop_ipv4_options", "IPv4 options to a VIP", { .family = 4, .src = "10.0.0.1", .dst = "203.0.113.10", .proto = IPPROTO_TCP, .sport = 1, .dport = 80, .v4_opt_words = 1 }, NULL, T_LB, false, 1, 0, XDP_DROP, DROPC(IPV4_OPTIONS), NULL, -1, "floor_drop", 0 },
	{ "drop_ipv6_exthdr", "IPv6 extension header to a VIP", { .family = 6, .src = "2001:db8:1::1", .dst = "2001:db8:10::80", .proto = IPPROTO_TCP, .sport = 1, .dport = 443, .has_v6_ext = 1 }, NULL, T_LB, false, 1, 0, XDP_DROP, DROPC(IPV6_EXTHDR), NULL, -1, "floor_drop", 0 },
	{ "drop_malformed", "TCP data offset 4 to a VIP", TCP4(ACK), tcp_doff_4, T_LB, false, 1, 0, XDP_DROP, DROPC(MALFORMED), NULL, -1, "floor_drop", 0 },
	{ "drop_too_big", "1481-byte IPv4 of an established flow", { .family = 4, .src = "10.0.0.1", .dst = "203.0.113.10", .proto = IPPROTO_TCP, .sport = 1, .dport = 80, .tcp_flags = ACK, .payload = 1441 }, NULL, T_LB, false, 1, 1, XDP_DROP, DROPC(TOO_BIG), NULL, -1, "floor_drop", 0 },
	{ "drop_no_backend", "new flow, every backend draining", P4("203.0.113.40", 80, IPPROTO_TCP, SYN), NULL, T_LB, false, 1, 0, XDP_DROP, DROPC(NO_BACKEND), NULL, -1, "floor_drop", 0 },
	/* ICMP (docs/datapath.md): answered in place against the MAC swap, steered against the encapsulation */
	{ "echo4", "ICMP echo request to a VIP, answered", { .family = 4, .src = "10.0.0.1", .dst = "203.0.113.10", .proto = IPPROTO_ICMP, .sport = 1, .dport = 1, .payload = 56 }, NULL, T_LB, true, 1, 0, XDP_TX, REPLYC(ICMP_ECHO), NULL, -1, "floor_macswap", 0 },
	{ "too_big4_icmp", "1481-byte IPv4 DF: fragmentation needed", { .family = 4, .src = "10.0.0.1", .dst = "203.0.113.10", .proto = IPPROTO_TCP, .sport = 1, .dport = 80, .tcp_flags = ACK, .payload = 1441, .frag = 0x4000 }, NULL, T_LB, true, 1, 0, XDP_TX, REPLYC(FRAG_NEEDED), NULL, -1, "floor_macswap", 0, 0, -28 },
	{ "too_big6_icmp", "1461-byte IPv6: packet too big", { .family = 6, .src = "2001:db8:1::1", .dst = "2001:db8:10::80", .proto = IPPROTO_TCP, .sport = 1, .dport = 443, .tcp_flags = ACK, .payload = 1401 }, NULL, T_LB, true, 1, 0, XDP_TX, REPLYC(PACKET_TOO_BIG), NULL, -1, "floor_macswap", 0, 0, -48 },
	{ "icmp4_steered", "frag needed about a VIP flow, to its backend", { .family = 4, .src = "10.0.0.1", .dst = "203.0.113.10", .proto = IPPROTO_TCP, .sport = 1000, .dport = 80, .tcp_flags = ACK, .payload = 28 }, to_frag_needed, T_LB, true, 1, 1, XDP_TX, XDPLB_CNT_ICMP_BASE + XDPLB_ICMP_STEERED, NULL, -1, "floor_encap", 0 },
};
/* clang-format on */

#define N_SCEN (sizeof(scenarios) / sizeof(scenarios[0]))

const struct scenario *scen_all(size_t *n)
{
	*n = N_SCEN;
	return scenarios;
}

const struct scenario *scen_by_name(const char *name)
{
	for (size_t i = 0; i < N_SCEN; i++)
		if (!strcmp(scenarios[i].name, name))
			return &scenarios[i];
	return NULL;
}

/* floor_cold's table: each CPU's part the size of its part of the LB's
 * flow table (the memory the kernel charges for it, shared out over the
 * possible CPUs, rounded down to a power of two of lines). */
static int size_cold_floor(struct rig *r)
{
	const char *name;
	unsigned long long per_cpu;
	int ncpu = libbpf_num_possible_cpus(), err;
	__u32 bits = 0;

	if (ncpu < 1)
		return ncpu < 0 ? ncpu : -EINVAL;
	per_cpu = rig_ct_memory(r, &name) / (unsigned int)ncpu / sizeof(struct bench_count);
	while (bits < 24 && (2ull << bits) <= per_cpu)
		bits++;
	r->bn->rodata->cold_bits = bits;
	err = bpf_map__set_max_entries(r->bn->maps.cold_lines, (__u32)ncpu << bits);
	if (err)
		fprintf(stderr, "sizing cold_lines (%d CPUs x %u lines): %s\n", ncpu, 1u << bits,
			strerror(-err));
	r->cold_lines = (unsigned long long)ncpu << bits;
	return err;
}

int rig_open(struct rig *r, unsigned int ct_size)
{
	struct config_opts co = { .mode = -1 };
	struct diags d = { 0 };
	struct load_result res;
	char cfg[8192];
	int err;

	rig_config(cfg, sizeof(cfg), "bench0", ct_size);
	err = validate_text(cfg, strlen(cfg), &co, &r->c, &d);
	if (err) {
		diags_print(&d, "bench config", stderr);
		return err;
	}
	r->ct_size = r->c.cfg.ct_size;
	err = maps_open(&r->m);
	if (err)
		return err;
	r->lb = r->m.skel;
	r->bn = bench_bpf__open();
	if (!r->bn)
		return -errno;
	/* as `xdplb load` does at a first load: the config's conntrack_size
	 * is the only thing the bench says about the flow table */
	err = maps_ct_size(&r->m, r->c.cfg.ct_size);
	if (!err)
		err = xdplb_bpf__load(r->lb);
	if (!err && r->cold_floor)
		err = size_cold_floor(r);
	if (!err)
		err = bench_bpf__load(r->bn);
	if (err)
		return err;
	return lb_apply(&r->m, false, &r->c, LB_MAC, &res);
}

void rig_close(struct rig *r)
{
	bench_bpf__destroy(r->bn);
	r->bn = NULL;
	if (r->m.skel)
		maps_close(&r->m); /* r->lb */
	r->m.skel = r->lb = NULL;
	checked_free(&r->c);
}

struct lbprog rig_lb(const struct rig *r)
{
	return (struct lbprog){ .prog = bpf_program__fd(r->lb->progs.xdplb_lb),
				.vip_stats = LB_FD(&r->m, vip_stats),
				.global_stats = LB_FD(&r->m, global_stats),
				.global_max = XDPLB_GLOBAL_MAX };
}

int rig_wrapper(const struct rig *r)
{
	return bpf_program__fd(r->bn->progs.bench_restore);
}

int rig_target(const struct rig *r, const struct lbprog *lb, enum target t)
{
	switch (t) {
	case T_LB:
		return lb->prog;
	case T_DROP:
		return bpf_program__fd(r->bn->progs.floor_drop);
	case T_MACSWAP:
		return bpf_program__fd(r->bn->progs.floor_macswap);
	case T_ENCAP:
		return bpf_program__fd(r->bn->progs.floor_encap);
	case T_COLD:
		return bpf_program__fd(r->bn->progs.floor_cold);
	}
	return -1;
}

int rig_arm(struct rig *r, const __u8 *frame, size_t len, int family, __u32 sources,
	    __u32 cpu_stride, int target, __u32 base)
{
	struct bench_frame bf = { .len = (__u32)len, .head_delta = r->head_delta };
	__u32 zero = 0;

	if (len > PKT_MAX)
		return -E2BIG;
	memcpy(bf.data, frame, len < sizeof(bf.data) ? len : sizeof(bf.data));
	if (sources > 1 || cpu_stride) {
		/* the IPv4 source, or the last word of the IPv6 one */
		bf.vary_off = family == 4 ? 14 + 12 : 14 + 8 + 12;
		bf.vary_mod = sources == VARY_NEW ? 0 : sources;
		bf.vary_base = base;
		bf.cpu_stride = cpu_stride;
	}
	r->bn->bss->iterations = 0;
	memset(r->bn->bss->bench_iters, 0, sizeof(r->bn->bss->bench_iters));
	if (bpf_map_update_elem(bpf_map__fd(r->bn->maps.bench_frames), &zero, &bf, 0) ||
	    bpf_map_update_elem(bpf_map__fd(r->bn->maps.bench_jmp), &zero, &target, 0))
		return -errno;
	return 0;
}

double rig_run(int prog, const __u8 *frame, size_t len, unsigned long repeat, int want)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = (__u32)len,
		    .repeat = (int)repeat);

	if (bpf_prog_test_run_opts(prog, &o)) {
		fprintf(stderr, "BPF_PROG_TEST_RUN: %s\n", strerror(errno));
		return -1;
	}
	if ((int)o.retval != want) {
		fprintf(stderr, "wrong action %u, want %d\n", o.retval, want);
		return -2;
	}
	return o.duration; /* the kernel's mean ns per iteration */
}

int rig_vip_stats(const struct rig *r, int fd, const char *vip, __u64 out[6])
{
	/* vip ids follow config order on a first load */
	for (__u32 i = 0; i < r->c.cfg.n_vips; i++)
		if (!strcmp(r->c.cfg.vips[i].name, vip))
			return maps_sum_percpu(fd, i, out, 6);
	return -ENOENT;
}

__u64 scen_counter(const struct rig *r, const struct scenario *s, const struct lbprog *lb,
		   bool *checked)
{
	__u64 v = 0, vs[6];
	__u32 idx;

	*checked = false;
	if (s->target != T_LB)
		return 0;
	if (s->vip) {
		if (lb->vip_stats < 0 || rig_vip_stats(r, lb->vip_stats, s->vip, vs))
			return 0;
		*checked = true;
		return vs[s->vip_field];
	}
	idx = (__u32)s->counter;
	if (idx >= lb->global_max)
		idx = (__u32)s->action; /* another revision's reasons: its action at least */
	if (lb->global_stats < 0 || idx >= lb->global_max ||
	    maps_sum_percpu(lb->global_stats, idx, &v, 1))
		return 0;
	*checked = true;
	return v;
}

void scen_prepare(struct rig *r, const struct scenario *s, const struct lbprog *lb, struct armed *a)
{
	a->s = s;
	a->len = pkt_build(&s->pkt, a->frame);
	if (s->mutate)
		s->mutate(a->frame);
	a->target = rig_target(r, lb, s->target);
	a->prog = s->wrap ? rig_wrapper(r) : a->target;
	a->next_base = s->pkt.family == 4 ? 0x0a000001 : 1;
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return (x > y) - (x < y);
}

/* scen_run() on the wrapper's fine clock: the mean iteration in ns, to a
 * fraction of one, over the blocks no longer than four times the median
 * block: a reschedule stops the loop for milliseconds (the kernel's figure
 * leaves that out), and a relative cut keeps the slow rows whole (a new
 * flow at 4M entries is ~1 us an iteration for a46fc2b, and its blocks
 * vary with the cold memory). When the cut would leave out more than one
 * block in 20, or there are no blocks (repeat under two), the run falls
 * back to the kernel's whole ns, and says so. */
static double fine_run(struct rig *r, struct armed *a, unsigned long repeat)
{
	struct bench_clock *c = &r->bn->bss->bench_clock;
	__u32 *b = NULL, cut;
	double ns, sum = 0;
	size_t n, kept = 0;

	c->on = 1;
	c->last = c->n = 0;
	ns = rig_run(a->prog, a->frame, a->len, repeat, a->s->action);
	c->on = 0;
	if (ns < 0)
		return ns;
	n = c->n < BENCH_CLOCK_MAX_BLOCKS ? c->n : BENCH_CLOCK_MAX_BLOCKS;
	b = n ? malloc(n * sizeof(*b)) : NULL;
	if (!b) {
		fprintf(stderr, "%s: no fine clock (repeat %lu): whole ns\n", a->s->name, repeat);
		return ns;
	}
	memcpy(b, c->blk, n * sizeof(*b));
	qsort(b, n, sizeof(*b), cmp_u32);
	cut = b[n / 2] > 0xffffffffU / 4 ? 0xffffffffU : b[n / 2] * 4;
	for (size_t i = 0; i < n && b[i] <= cut; i++, kept++)
		sum += b[i];
	free(b);
	if (kept * 20 < n * 19) {
		fprintf(stderr, "%s: the fine clock would leave out %zu of %zu blocks: whole ns\n",
			a->s->name, n - kept, n);
		return ns;
	}
	return sum / ((double)kept * BENCH_CLOCK_BLOCK);
}

double scen_run(struct rig *r, struct armed *a, unsigned long repeat)
{
	const struct scenario *s = a->s;

	int err;

	r->head_delta = s->head_delta;
	err = s->wrap &&
	      rig_arm(r, a->frame, a->len, s->pkt.family, s->sources, 0, a->target, a->next_base);
	r->head_delta = 0;
	if (err)
		return -1;
	if (s->sources == VARY_NEW)
		a->next_base += (__u32)repeat; /* never a tuple seen before */
	if (!r->fine_clock || !s->wrap)
		return rig_run(a->prog, a->frame, a->len, repeat, s->action);
	return fine_run(r, a, repeat);
}

int scen_warm(struct rig *r, const struct scenario *s, const struct lbprog *lb)
{
	struct pkt_spec w = s->pkt;
	__u8 wf[PKT_MAX];
	size_t wl;

	w.tcp_flags = s->pkt.proto == IPPROTO_TCP ? TCPF_SYN : 0;
	w.payload = 0; /* a flow whose packets are too big now began with a SYN that was not */
	wl = pkt_build(&w, wf);
	if (rig_arm(r, wf, wl, w.family, s->sources, 0, rig_target(r, lb, s->target),
		    w.family == 4 ? 0x0a000001 : 1))
		return -1;
	return rig_run(rig_wrapper(r), wf, wl, s->warm, XDP_TX) < 0 ? -1 : 0; /* forwarded */
}

unsigned long long rig_ct_memory(const struct rig *r, const char **name)
{
	struct bpf_map *map = bpf_object__find_map_by_name(r->lb->obj, "conntrack"), *m;
	unsigned long long best = 0;

	if (map) {
		*name = bpf_map__name(map);
		return bench_memlock(bpf_map__fd(map));
	}
	for (m = bpf_object__next_map(r->lb->obj, NULL); m;
	     m = bpf_object__next_map(r->lb->obj, m)) {
		unsigned long long v = bench_memlock(bpf_map__fd(m));

		if (v > best) {
			best = v;
			*name = bpf_map__name(m);
		}
	}
	return best;
}

int bench_pin(int cpu, cpu_set_t *old)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(*old), old))
		return -errno;
	if (cpu < 0)
		cpu = sched_getcpu();
	if (cpu < 0)
		return -errno;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		return -errno;
	return cpu;
}

void bench_unpin(const cpu_set_t *old)
{
	sched_setaffinity(0, sizeof(*old), old);
}

/* One dependent random load in a buffer as big as the conntrack's bucket
 * array (roundup_pow_of_two(entries) x 16 bytes): what a new flow pays
 * before any code runs, because its bucket is cold. */
static void memory_floor(cJSON *arr)
{
	size_t n = 4194304 * 16 / 8, p = 0;
	__u64 *a = malloc(n * sizeof(*a));
	const long steps = 2000000;
	double t0;

	if (!a)
		return;
	for (size_t i = 0; i < n; i++)
		a[i] = i;
	srand(1);
	for (size_t i = n - 1; i > 0; i--) { /* Sattolo: one random cycle */
		size_t j = ((size_t)rand() * RAND_MAX + (size_t)rand()) % i;
		__u64 t = a[i];

		a[i] = a[j];
		a[j] = t;
	}
	t0 = mono_now();
	for (long s = 0; s < steps; s++)
		p = a[p];
	double ns = (mono_now() - t0) / steps * 1e9;

	printf("  %-18s %-44s %8.1f%s\n", "floor_memory",
	       "a random load in 64 MB (conntrack's buckets)", ns, p == (size_t)-1 ? "!" : "");
	printf("  (a new flow touches one cold bucket: compare tcp4_syn_4m with floor_encap + floor_memory)\n");
	cJSON *j = cJSON_CreateObject();

	cJSON_AddStringToObject(j, "scenario", "floor_memory");
	cJSON_AddNumberToObject(j, "ns", ns);
	cJSON_AddItemToArray(arr, j);
	free(a);
}

/* The flow table's memory at each conntrack_size: in all, per possible
 * CPU (the new table is per CPU) and per flow the config asks for. */
static void flow_memory(struct rig *rigs[2], cJSON *out)
{
	int ncpu = libbpf_num_possible_cpus();
	cJSON *arr = cJSON_AddArrayToObject(out, "flow_memory");

	printf("\nFlow table memory (the map's memlock; %d possible CPUs)\n", ncpu);
	printf("  %-16s %-12s %12s %12s %10s\n", "conntrack_size", "map", "total MB", "per CPU MB",
	       "per flow B");
	for (int i = 0; i < 2; i++) {
		const char *name = "?";
		unsigned long long b;

		if (!rigs[i] || ncpu < 1)
			continue;
		b = rig_ct_memory(rigs[i], &name);
		printf("  %-16u %-12s %12.1f %12.1f %10.1f\n", rigs[i]->ct_size, name,
		       b / 1048576.0, b / 1048576.0 / ncpu, (double)b / rigs[i]->ct_size);

		cJSON *j = cJSON_CreateObject();

		cJSON_AddNumberToObject(j, "conntrack_size", rigs[i]->ct_size);
		cJSON_AddStringToObject(j, "map", name);
		cJSON_AddNumberToObject(j, "bytes", (double)b);
		cJSON_AddNumberToObject(j, "possible_cpus", ncpu);
		cJSON_AddNumberToObject(j, "bytes_per_cpu", (double)b / ncpu);
		cJSON_AddNumberToObject(j, "bytes_per_flow", (double)b / rigs[i]->ct_size);
		cJSON_AddItemToArray(arr, j);
	}
}

/*
 * Each run measures the scenario and then its floor, back to back; the
 * ratio reported is the median of those per-run ratios, so that the slow
 * drift of a shared machine cancels out. The section runs on one CPU: a
 * hit must find the flow its warm-up left in a per-CPU table.
 */
int bench_packets(const struct bench_opts *o, cJSON *out)
{
	cJSON *arr = cJSON_AddArrayToObject(out, "packets");
	double t[64], tf[64], q[64];
	struct rig r4 = { 0 }, r64 = { 0 };
	struct rig *rigs[2] = { &r4, &r64 };
	int wrong = 0, cpu;
	cpu_set_t old;

	cpu = bench_pin(-1, &old);
	if (rig_open(&r4, CT_4M) || rig_open(&r64, CT_64K)) {
		fprintf(stderr, "packets: cannot set up the LB\n");
		rig_close(&r4);
		rig_close(&r64);
		if (cpu >= 0)
			bench_unpin(&old);
		return 1;
	}
	printf("\nPer-packet cost, BPF_PROG_TEST_RUN, repeat %lu, median of %d runs (ratio: median\n"
	       "of per-run ratios to the floor measured right after), on CPU %d\n",
	       o->repeat, o->runs, cpu);
	printf("  %-18s %-44s %8s %8s %-14s %s\n", "scenario", "", "ns/pkt", "ratio", "vs", "goal");
	for (size_t i = 0; i < N_SCEN; i++) {
		const struct scenario *s = &scenarios[i];
		const struct scenario *fs = s->floor ? scen_by_name(s->floor) : NULL;
		struct rig *r = s->ct_size == CT_64K ? &r64 : &r4;
		struct lbprog lb = rig_lb(r);
		struct armed a, fa;
		__u64 before, after;
		bool ok = true, checked;
		double ns, ratio = 0;
		char rs[16] = "", goal[32] = "";

		if (!bench_wanted(o, s->name))
			continue;
		scen_prepare(r, s, &lb, &a);
		if (fs)
			scen_prepare(r, fs, &lb, &fa);
		if (s->warm)
			ok = !scen_warm(r, s, &lb);
		before = scen_counter(r, s, &lb, &checked);
		for (int k = 0; k < o->runs && ok; k++) {
			t[k] = scen_run(r, &a, o->repeat);
			ok = t[k] >= 0;
			if (ok && fs) {
				tf[k] = scen_run(r, &fa, o->repeat);
				ok = tf[k] > 0;
				q[k] = ok ? t[k] / tf[k] : 0;
			}
		}
		after = scen_counter(r, s, &lb, &checked);
		/* the counters prove which path every iteration took */
		if (ok && s->target == T_LB && after - before != (__u64)o->runs * o->repeat) {
			fprintf(stderr, "%s: counter grew by %llu, want %llu: another path ran%s\n",
				s->name, (unsigned long long)(after - before),
				(unsigned long long)o->runs * o->repeat,
				o->no_check ? " (--no-check: reported anyway)" : "");
			ok = o->no_check;
		}
		if (!ok) {
			printf("  %-18s FAILED\n", s->name);
			wrong++;
			continue;
		}
		ns = median(t, o->runs);
		if (fs) {
			ratio = median(q, o->runs);
			snprintf(rs, sizeof(rs), "%.2fx", ratio);
		}
		if (s->goal)
			snprintf(goal, sizeof(goal), "%s %.1fx",
				 ratio <= s->goal ? "met, <=" : "MISSED, >", s->goal);
		printf("  %-18s %-44s %8.1f %8s %-14s %s\n", s->name, s->what, ns, rs,
		       s->floor ? s->floor : "", goal);

		cJSON *j = cJSON_CreateObject();

		cJSON_AddStringToObject(j, "scenario", s->name);
		cJSON_AddNumberToObject(j, "ns", ns);
		if (s->target == T_LB)
			cJSON_AddNumberToObject(j, "conntrack_size", r->ct_size);
		if (fs) {
			cJSON_AddStringToObject(j, "floor", s->floor);
			cJSON_AddNumberToObject(j, "ratio", ratio);
		}
		if (s->goal)
			cJSON_AddNumberToObject(j, "goal", s->goal);
		cJSON_AddItemToArray(arr, j);
	}
	flow_memory(rigs, out);
	rig_close(&r4);
	rig_close(&r64);
	if (cpu >= 0)
		bench_unpin(&old);
	memory_floor(arr);
	return wrong;
}

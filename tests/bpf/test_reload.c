// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Reloads: a load killed at every step leaves the old or the new config
 * entirely live and the history consistent; reloads under traffic never
 * move an established flow and never show a packet a mix of two configs.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/parameterized.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "diff.h"
#include "load.h"
#include "lbfix.h"
#include "simulate.h"
#include "sha256.h"
#include "status.h"

/* Two configs that differ in every way a packet can show: backend set,
 * weights, table contents and the outer source address. The backends of
 * A all stay active in B, so A's flows may never move. */
#define CFG(src, backends)                                                                          \
	"{ \"interface\": \"test0\", \"next_hop_mac\": \"02:00:00:00:00:01\","                      \
	"  \"source_v4\": \"" src "\", \"conntrack_size\": 1048576,"                                \
	"  \"guards\": { \"max_backend_share\": 1, \"max_flows_moved\": 1 }, \"vips\": ["           \
	"  { \"name\": \"web\", \"address\": \"203.0.113.10\", \"port\": 80, \"table_size\": 1009," \
	"    \"backends\": [ " backends " ] } ] }"
#define BE(n, w) \
	"{ \"name\": \"be" #n "\", \"address\": \"198.51.100." #n "\", \"weight\": " #w " }"

static const char *const CFG_A =
	CFG("192.0.2.1", BE(1, 100) "," BE(2, 100) "," BE(3, 100) "," BE(4, 100));
static const char *const CFG_B =
	CFG("192.0.2.2", BE(1, 100) "," BE(2, 300) "," BE(3, 100) "," BE(4, 100) "," BE(5, 100));
static const char *const CFG_C = CFG("192.0.2.3", BE(1, 100) "," BE(3, 100) "," BE(6, 100));

static struct pkt_spec syn(__u16 sport, __u8 flags)
{
	return (struct pkt_spec){ .family = 4,
				  .src = "192.0.2.99",
				  .dst = "203.0.113.10",
				  .proto = IPPROTO_TCP,
				  .sport = sport,
				  .dport = 80,
				  .tcp_flags = flags,
				  .payload = 8 };
}

/* Outer source and destination of one packet (0 when not XDP_TX). */
static int send_one(struct lbfix *f, const struct pkt_spec *s, __u32 *src, __u32 *dst)
{
	__u8 in[PKT_MAX], out[PKT_MAX];
	size_t in_len = pkt_build(s, in), out_len;
	int act = lbfix_run(f, in, in_len, out, &out_len);

	*src = *dst = 0;
	if (act == XDP_TX) {
		memcpy(src, out + 14 + 12, 4);
		memcpy(dst, out + 14 + 16, 4);
	}
	return act;
}

static void parse(const char *json, struct checked *c)
{
	struct config_opts o = { .mode = -1 };
	struct diags d = { 0 };

	cr_assert(eq(int, validate_text(json, strlen(json), &o, c, &d), 0));
}

/* The backend address a config's table gives a new flow (network order). */
static __u32 pick(const struct checked *c, const struct pkt_spec *s)
{
	struct xdplb_flow_key k = pkt_flow(s);
	__u32 b = simulate_pick(c, 0, &k);

	return b == MAGLEV_NONE ? 0 : c->cfg.vips[0].backends[b].addr.v4;
}

/* ---------------------------------------------------- crash at every step */

/* Every fault point of one change, in the order a load reaches them. */
static const char *const steps[] = {
	"history-config-written", "history-pending-written", "barrier-before",	   "tables-written",
	"names-written",	  "entries-written",	     "ctl-written",	   "flipped",
	"barrier-after",	  "old-bank-released",	     "stale-vips-deleted", "applied",
	"history-committed",
};
#define FIRST_NEW 7 /* from "flipped" on, the new config is live */

/* One change on the fixture's maps, as `xdplb load` makes it. */
static int change(struct lbfix *f, const char *json, const char *state_dir)
{
	struct load_opts o = { .text = json, .len = strlen(json), .state_dir = state_dir };
	struct load_result res;
	struct checked c;
	struct lb_txn t;
	int err;

	parse(json, &c);
	memset(&res, 0, sizeof(res));
	err = lb_txn_begin(&t, &f->m, true, &c, &o);
	if (!err)
		err = lb_txn_apply(&t, &f->m, &c, LB_MAC, &res);
	err = lb_txn_end(&t, !err, &res) ?: err;
	checked_free(&c);
	return err;
}

/* The live maps hold exactly this config, and packets say so too. */
/* New flows (ports base..base+49, unused so far) must follow this config. */
static void expect_live(struct lbfix *f, const char *json, __u16 base, const char *what)
{
	struct checked want, live;
	struct diff d;
	__u32 src, dst;

	parse(json, &want);
	struct lb_live l = { 0 };

	cr_assert(eq(int, status_read_maps(&f->m, LIVE_TABLES, &l), 0));
	cr_assert(eq(int, live_to_checked(&l, &live, true), 0));
	live_free(&l);
	cr_assert(eq(int, diff_compute(&live, &want, &d), 0));
	cr_expect(diff_empty(&d), "%s: the live maps are not exactly that config", what);
	for (__u16 p = base; p < base + 50; p++) {
		struct pkt_spec s = syn(p, TCPF_SYN);

		cr_assert(eq(int, send_one(f, &s, &src, &dst), XDP_TX));
		cr_expect(eq(u32, dst, pick(&want, &s)), "%s: flow %u", what, p);
		cr_expect(eq(u32, src, want.cfg.src_v4.v4), "%s: outer source", what);
	}
	diff_free(&d);
	checked_free(&live);
	checked_free(&want);
}

ParameterizedTestParameters(reload, crash_at_every_step)
{
	size_t n = sizeof(steps) / sizeof(steps[0]);
	size_t *idx = cr_malloc(n * sizeof(*idx));

	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	return cr_make_param_array(size_t, idx, n);
}

/* The history directory of one crash: removed by the fini, so that a
 * failed assertion leaves nothing behind either. */
static char dir[64];

static void mkcrashdir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/xdplb-crash.XXXXXX");
	cr_assert(mkdtemp(dir) != NULL);
}

static void rmcrashdir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		cr_log_warn("could not remove %s", dir);
}

ParameterizedTest(size_t *step, reload, crash_at_every_step, .init = mkcrashdir, .fini = rmcrashdir)
{
	const char *want = *step >= FIRST_NEW ? CFG_B : CFG_A;
	struct xdplb_ctl ctl;
	struct history h;
	struct lbfix f;
	__u32 zero = 0;
	int status;
	pid_t pid;
	char dg[80];

	lbfix_open(&f, CFG_A);
	cr_assert(eq(int, change(&f, CFG_A, dir), 0), "A recorded in the history");

	pid = fork();
	cr_assert(pid >= 0);
	if (!pid) {
		setenv("XDPLB_FAULT", steps[*step], 1);
		change(&f, CFG_B, dir);
		_exit(0); /* the fault point was never reached */
	}
	cr_assert(eq(int, waitpid(pid, &status, 0), pid));
	cr_assert(eq(int, WIFEXITED(status) ? WEXITSTATUS(status) : -1, 99),
		  "the load did not die at %s", steps[*step]);

	expect_live(&f, want, 7000, steps[*step]);

	/* the history, once settled by what is live, ends with the live config */
	cr_assert(eq(int, bpf_map_lookup_elem(LB_FD(&f.m, ctl), &zero, &ctl), 0));
	cr_assert(eq(int, history_open(dir, &h), 0));
	cr_assert(eq(int,
		     history_resolve(&h, ctl.bank[ctl.active].generation,
				     ctl.bank[ctl.active].digest),
		     0));
	cr_assert(not(eq(ptr, (void *)history_last(&h), NULL)));
	cr_expect(eq(str, (char *)history_last(&h)->digest,
		     (char *)digest_str(ctl.bank[ctl.active].digest, dg)),
		  "%s: the history does not end with the live config", steps[*step]);
	for (size_t k = 0; k < h.n; k++)
		cr_expect(not(h.e[k].pending), "%s: a pending entry is left", steps[*step]);
	history_free(&h);

	/* and the next load repairs whatever the crash left behind */
	cr_assert(eq(int, change(&f, CFG_C, dir), 0), "%s: the next load failed", steps[*step]);
	expect_live(&f, CFG_C, 8000, "after recovery");
	lbfix_close(&f);
}

/* ---------------------------------------------------- reloads under traffic */

struct reloader {
	struct lbfix *f;
	int reloads, failed;
	volatile int applied, done;
};

static void *reload_loop(void *arg)
{
	struct reloader *r = arg;

	for (int i = 0; i < r->reloads; i++) {
		r->failed += lbfix_apply(r->f, i % 2 ? CFG_A : CFG_B) != 0;
		r->applied++;
	}
	r->done = 1;
	return NULL;
}

/*
 * 40 reloads between A and B while packets flow: every packet of every
 * established flow reaches its backend; a new flow reaches the backend of
 * A's table with A's outer source, or of B's with B's: never a mix of the
 * two configs within one packet.
 */
Test(reload, established_flows_and_atomicity_under_reloads)
{
	enum { ESTABLISHED = 64 };
	struct checked a, b;
	struct reloader r = { .reloads = 40 };
	struct lbfix f;
	pthread_t th;
	__u32 est_be[ESTABLISHED], src, dst;
	unsigned long packets = 0, seen_a = 0, seen_b = 0, moved = 0, mixed = 0;
	__u16 next = 20000;
	unsigned int wrap = 0;
	char fresh_src[32] = "198.18.0.0";

	parse(CFG_A, &a);
	parse(CFG_B, &b);
	lbfix_open(&f, CFG_A);
	for (int e = 0; e < ESTABLISHED; e++) {
		struct pkt_spec s = syn((__u16)(10000 + e), TCPF_SYN);

		cr_assert(eq(int, send_one(&f, &s, &src, &est_be[e]), XDP_TX));
	}
	r.f = &f;
	cr_assert(eq(int, pthread_create(&th, NULL, reload_loop, &r), 0));
	while (!r.done && packets < 2000000) {
		struct pkt_spec ack = syn((__u16)(10000 + packets % ESTABLISHED), TCPF_ACK);
		struct pkt_spec fresh = syn(next, TCPF_SYN);

		fresh.src = fresh_src; /* a new source per round of ports: never a reused tuple */

		send_one(&f, &ack, &src, &dst);
		moved += dst != est_be[packets % ESTABLISHED];
		mixed += src != a.cfg.src_v4.v4 && src != b.cfg.src_v4.v4;
		send_one(&f, &fresh, &src, &dst);
		if (src == a.cfg.src_v4.v4 && dst == pick(&a, &fresh))
			seen_a++;
		else if (src == b.cfg.src_v4.v4 && dst == pick(&b, &fresh))
			seen_b++;
		else
			mixed++;
		packets += 2;
		if (next == 60000) {
			next = 20000;
			wrap++;
			snprintf(fresh_src, sizeof(fresh_src), "198.18.%u.%u", wrap / 256,
				 wrap % 256);
		} else {
			next++;
		}
	}
	int during = r.applied;

	pthread_join(th, NULL);
	cr_log_info("%lu packets during %d reloads: %lu new flows on A, %lu on B", packets, during,
		    seen_a, seen_b);
	cr_expect(ge(int, during, 10), "only %d reloads overlapped the traffic", during);
	cr_expect(eq(int, r.failed, 0), "reloads failed");
	cr_expect(eq(u64, moved, 0), "established packets reached another backend");
	cr_expect(eq(u64, mixed, 0), "packets saw a mix of two configs");
	cr_expect(gt(u64, seen_a, 0), "no packet saw config A: no interleaving happened");
	cr_expect(gt(u64, seen_b, 0), "no packet saw config B: no interleaving happened");
	checked_free(&a);
	checked_free(&b);
	lbfix_close(&f);
}

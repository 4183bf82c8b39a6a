// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * twocore.c - does the data path scale over two CPUs? One thread pinned
 * per CPU (sched_setaffinity), each its own BPF_PROG_TEST_RUN loop on its
 * own copy of the frame; BPF_F_TEST_RUN_ON_CPU serves only raw tracepoints,
 * so the thread's CPU is where its program runs. Each round runs the
 * scenario on the first CPU alone, then on both at once; the scaling is
 * the aggregate rate (the two threads' packets per second added) over the
 * one-core rate of the same round, median of the rounds: 2 is perfect,
 * the goal for new flows is 1.8.
 *
 * Rates come from the kernel's own per-iteration time of each run
 * (BPF_PROG_TEST_RUN's duration), which leaves out the time a thread was
 * scheduled out: on a machine shared with other work the figure is what
 * the program costs while it runs, including what the CPUs do to each
 * other (shared cache lines, locks), not how much CPU the bench was given.
 *
 * Sources: the wrapper adds CPU number x 2^28 to each new-flow source
 * (cpu_stride), so each CPU's flows are a range of its own; the hit
 * scenario's thread warms its own flow on its own CPU (the flow table may
 * be per CPU). Counters (vip_stats) must show every iteration of every
 * thread on the intended path.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>

#include "bench.h"
#include "rig.h"

#define CPU_STRIDE 0x10000000u

struct two {
	pthread_barrier_t bar;
	int wrapper;
	__u8 frame[PKT_MAX];
	size_t len;
	unsigned long repeat;
	int want;
	bool warm; /* the round is a warm-up: one iteration each */
	bool stop;
};

struct worker {
	struct two *t;
	int idx, cpu;
	double alone[64], both[64];
	int err;
	pthread_t th;
};

/* Each round: [barrier] idx 0 alone [barrier] both [barrier]. */
static void *work(void *arg)
{
	struct worker *w = arg;
	struct two *t = w->t;
	cpu_set_t set;
	__u8 frame[PKT_MAX];

	CPU_ZERO(&set);
	CPU_SET(w->cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		w->err = -errno;
	for (int k = 0;; k++) {
		pthread_barrier_wait(&t->bar);
		if (t->stop)
			break;
		memcpy(frame, t->frame, t->len); /* this thread's own frame */
		if (t->warm) {
			if (!w->err && rig_run(t->wrapper, frame, t->len, 1, t->want) < 0)
				w->err = -EIO;
			pthread_barrier_wait(&t->bar);
			pthread_barrier_wait(&t->bar);
			k--;
			continue;
		}
		if (w->idx == 0 && !w->err)
			w->alone[k] = rig_run(t->wrapper, frame, t->len, t->repeat, t->want);
		pthread_barrier_wait(&t->bar);
		if (!w->err)
			w->both[k] = rig_run(t->wrapper, frame, t->len, t->repeat, t->want);
		pthread_barrier_wait(&t->bar);
		if ((w->idx == 0 && w->alone[k] < 0) || w->both[k] < 0)
			w->err = -EIO;
	}
	return NULL;
}

/* Three barrier waits of the main thread per round, as the workers'. */
static void round3(struct two *t)
{
	pthread_barrier_wait(&t->bar);
	pthread_barrier_wait(&t->bar);
	pthread_barrier_wait(&t->bar);
}

static int arm_frame(struct rig *r, struct two *t, const struct pkt_spec *p, __u32 sources,
		     __u32 base, int target)
{
	t->len = pkt_build(p, t->frame);
	return rig_arm(r, t->frame, t->len, p->family, sources, CPU_STRIDE, target, base);
}

struct row {
	const char *name, *what;
	struct pkt_spec pkt;
	bool new_flows;
	int field;
	double goal;
};

/* One row; returns 1 if it behaved wrongly. */
static int row(const struct bench_opts *o, struct rig *r, const struct row *rw, const int cpus[2],
	       cJSON *arr)
{
	struct lbprog lb = rig_lb(r);
	/* on the heap: should a thread fail to start, the other one stays
	 * blocked at the barrier, and both are left behind */
	struct two *t = calloc(1, sizeof(*t));
	struct worker *w = calloc(2, sizeof(*w));
	double one[64], agg[64], sc[64], rate1, rate2, scaling;
	__u64 b[6], a[6], want;
	int err = 0;
	/* sources from 10.0.0.1 (hits) or 10.16.0.1 (new flows), + CPU x 2^28 */
	__u32 base = rw->new_flows ? 0x0a100001u : 0x0a000001u;

	if (!t || !w) {
		free(t);
		free(w);
		return 1;
	}
	*t = (struct two){ .wrapper = rig_wrapper(r), .repeat = o->repeat, .want = XDP_TX };
	pthread_barrier_init(&t->bar, NULL, 3);
	for (int i = 0; i < 2; i++) {
		w[i] = (struct worker){ .t = t, .idx = i, .cpu = cpus[i] };
		if (pthread_create(&w[i].th, NULL, work, &w[i])) {
			printf("  %-18s FAILED (cannot start a thread)\n", rw->name);
			return 1;
		}
	}
	if (!rw->new_flows) {
		/* each thread establishes its own flow on its own CPU */
		struct pkt_spec s = rw->pkt;

		s.tcp_flags = TCPF_SYN;
		t->warm = true;
		if (arm_frame(r, t, &s, 1, base, lb.prog))
			err = -EIO;
		round3(t);
		t->warm = false;
	}
	if (!err && arm_frame(r, t, &rw->pkt, rw->new_flows ? VARY_NEW : 1, base, lb.prog))
		err = -EIO;
	if (!err)
		err = rig_vip_stats(r, lb.vip_stats, "web4", b);
	for (int k = 0; k < o->runs && !err; k++) {
		round3(t);
		if (w[0].err || w[1].err)
			err = -EIO;
	}
	t->stop = true;
	pthread_barrier_wait(&t->bar);
	for (int i = 0; i < 2; i++)
		pthread_join(w[i].th, NULL);
	pthread_barrier_destroy(&t->bar);
	if (err || rig_vip_stats(r, lb.vip_stats, "web4", a)) {
		printf("  %-18s FAILED (a wrong action, or no counters)\n", rw->name);
		goto wrong;
	}
	want = (__u64)o->runs * o->repeat * 3; /* alone, then both */
	if (a[rw->field] - b[rw->field] != want) {
		fprintf(stderr, "%s: counter grew by %llu, want %llu: another path ran%s\n",
			rw->name, (unsigned long long)(a[rw->field] - b[rw->field]),
			(unsigned long long)want,
			o->no_check ? " (--no-check: reported anyway)" : "");
		if (!o->no_check) {
			printf("  %-18s FAILED\n", rw->name);
			goto wrong;
		}
	}
	for (int k = 0; k < o->runs; k++) {
		one[k] = 1e9 / w[0].alone[k];
		agg[k] = 1e9 / w[0].both[k] + 1e9 / w[1].both[k];
		sc[k] = agg[k] / one[k];
	}
	free(t);
	free(w);
	rate1 = median(one, o->runs);
	rate2 = median(agg, o->runs);
	scaling = median(sc, o->runs);
	printf("  %-18s %-40s %10.2f %10.2f %8.2fx %s\n", rw->name, rw->what, rate1 / 1e6,
	       rate2 / 1e6, scaling,
	       rw->goal ? (scaling >= rw->goal ? "goal >= 1.8x: met" : "goal >= 1.8x: MISSED") :
			  "");

	cJSON *j = cJSON_CreateObject();

	cJSON_AddStringToObject(j, "scenario", rw->name);
	cJSON_AddNumberToObject(j, "conntrack_size", r->ct_size);
	cJSON_AddNumberToObject(j, "one_core_pps", rate1);
	cJSON_AddNumberToObject(j, "two_core_pps", rate2);
	cJSON_AddNumberToObject(j, "scaling", scaling);
	cJSON_AddNumberToObject(j, "vs_twice_one_core", scaling / 2);
	if (rw->goal)
		cJSON_AddNumberToObject(j, "goal", rw->goal);
	cJSON_AddItemToArray(arr, j);
	return 0;
wrong:
	free(t);
	free(w);
	return 1;
}

int bench_twocore(const struct bench_opts *o, cJSON *out)
{
	static const struct row rows[] = {
		{ "tcp4_syn_4m_2cpu",
		  "TCP v4 SYN, new flows, conntrack 4M",
		  { .family = 4,
		    .src = "10.0.0.1",
		    .dst = "203.0.113.10",
		    .proto = IPPROTO_TCP,
		    .sport = 2000,
		    .dport = 80,
		    .tcp_flags = TCPF_SYN },
		  true,
		  V_NEW,
		  1.8 },
		{ "tcp4_hit_2cpu",
		  "TCP v4, conntrack hit (a flow per CPU)",
		  { .family = 4,
		    .src = "10.0.0.1",
		    .dst = "203.0.113.10",
		    .proto = IPPROTO_TCP,
		    .sport = 1000,
		    .dport = 80,
		    .tcp_flags = TCPF_ACK },
		  false,
		  V_HITS,
		  0 },
	};
	cJSON *arr = cJSON_AddArrayToObject(out, "two_core");
	struct rig r = { 0 };
	int cpus[2], n = 0, wrong = 0;
	cpu_set_t mine;

	if (sched_getaffinity(0, sizeof(mine), &mine))
		return 1;
	for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
		if (CPU_ISSET(c, &mine))
			cpus[n++] = c;
	if (n < 2) {
		printf("\nTwo cores: this process may run on one CPU only; not measured\n");
		return 0;
	}
	if (rig_open(&r, CT_4M)) {
		fprintf(stderr, "two cores: cannot set up the LB\n");
		rig_close(&r);
		return 1;
	}
	printf("\nTwo cores: a thread pinned on each of CPUs %d and %d, each its own\n"
	       "BPF_PROG_TEST_RUN loop (repeat %lu); per round CPU %d alone, then both; median of %d\n"
	       "rounds of aggregate / one-core (2.00x: perfect)\n",
	       cpus[0], cpus[1], o->repeat, cpus[0], o->runs);
	printf("  %-18s %-40s %10s %10s %9s\n", "scenario", "", "1 CPU Mpps", "2 CPU Mpps",
	       "scaling");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		wrong += row(o, &r, &rows[i], cpus, arr);
	rig_close(&r);
	return wrong;
}

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * rig.h - the LB loaded in this process (not attached) with the bench's
 * config, the restoring wrapper in front of it, and the per-packet
 * scenarios; packets.c owns them, and the baseline, two-core and SYN-flood
 * sections use them. Whatever happened is judged only through the LB's
 * counters (vip_stats, global_stats): no section reads or writes the
 * conntrack, whose layout is the data path's business.
 */
#ifndef XDPLB_BENCH_RIG_H
#define XDPLB_BENCH_RIG_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "bench_abi.h" /* before the skeleton: its .bss holds a struct bench_count[] */
#include "xdplb.skel.h"
#include "bench.skel.h"

#include "maps.h"
#include "validate.h"
#include "../tests/bpf/pkt.h"

#define CT_4M 4194304u
#define CT_64K 65536u

struct rig {
	struct xdplb_bpf *lb;
	struct bench_bpf *bn;
	struct lb_maps m;
	struct checked c;
	unsigned int ct_size;
	int head_delta; /* rig_arm()'s bench_frame.head_delta */
	/* set before rig_open: size floor_cold's table like the flow
	 * table (else it is one line); rig_open says how many lines */
	bool cold_floor;
	unsigned long long cold_lines;
	/* scen_run() of a wrapped scenario reads the wrapper's fine clock
	 * (bench_clock in bpf/bench.bpf.c) instead of the kernel's whole ns */
	bool fine_clock;
};

/* A program under test and the counters that judge it: the rig's own LB,
 * or a baseline's through its pins. -1: that family is not checked. */
struct lbprog {
	int prog;
	int vip_stats;
	int global_stats;
	__u32 global_max; /* global_stats indices below this are comparable */
};

/* The bench's config (VIPs web4, udp4, web6, v4on6, maint) for ifname with
 * a conntrack of ct_size entries. */
void rig_config(char *buf, size_t len, const char *ifname, unsigned int ct_size);
void rig_config_baseline(char *buf, size_t len, const char *ifname, unsigned int ct_size);
/* The LB with that config and ct_size, its tables filled, not attached. */
int rig_open(struct rig *r, unsigned int ct_size);
void rig_close(struct rig *r);
struct lbprog rig_lb(const struct rig *r);
int rig_wrapper(const struct rig *r);
/* Points the wrapper at frame and target; sources > 1 vary the source
 * address from base (VARY_NEW: a new one each iteration, else rotating over
 * `sources`), plus cpu_stride per CPU number. Zeroes the per-CPU counts. */
int rig_arm(struct rig *r, const __u8 *frame, size_t len, int family, __u32 sources,
	    __u32 cpu_stride, int target, __u32 base);
/* One BPF_PROG_TEST_RUN; the kernel's mean ns per iteration, or < 0 (a
 * wrong action, said on stderr). */
double rig_run(int prog, const __u8 *frame, size_t len, unsigned long repeat, int want);
/* A VIP's counters summed over CPUs (struct xdplb_vip_stats as __u64s). */
int rig_vip_stats(const struct rig *r, int vip_stats_fd, const char *vip, __u64 out[6]);
/* The memory the kernel charges for the LB's flow table: the map named
 * conntrack or, if the data path has none of that name, its largest map. */
unsigned long long rig_ct_memory(const struct rig *r, const char **name);

/* Pins the calling thread to one CPU (the current one if cpu < 0); the
 * old mask in old, for bench_unpin. Returns the CPU, or < 0. */
int bench_pin(int cpu, cpu_set_t *old);
void bench_unpin(const cpu_set_t *old);

#define VARY_NEW 0xffffffffu /* a new source every iteration */

enum target { T_LB, T_DROP, T_MACSWAP, T_ENCAP, T_COLD };
enum { V_PACKETS = 0, V_NEW = 2, V_HITS = 3, V_MISSES = 4 };

/* The program a target names: lb's, or one of the rig's floors. */
int rig_target(const struct rig *r, const struct lbprog *lb, enum target t);

struct scenario {
	const char *name;
	const char *what;
	struct pkt_spec pkt;
	void (*mutate)(__u8 *frame);
	enum target target;
	bool wrap; /* behind bench_restore */
	__u32 sources; /* distinct sources: 1, N (rotating), or VARY_NEW */
	__u32 warm; /* flows to establish (SYN) before measuring */
	int action;
	int counter; /* global counter that must grow by every iteration, or -1 */
	const char *vip; /* and this VIP's counter ... */
	int vip_field; /* ... (index in struct xdplb_vip_stats), or -1 */
	const char *floor; /* compared with */
	double goal; /* the target ratio, 0 if none */
	unsigned int ct_size; /* the LB's conntrack_size; 0: CT_4M */
	int head_delta; /* the wrapper's bench_frame.head_delta (bpf/bench_abi.h) */
};

const struct scenario *scen_all(size_t *n);
const struct scenario *scen_by_name(const char *name);

/* A scenario ready to run: its frame, and what to point the wrapper at. */
struct armed {
	const struct scenario *s;
	__u8 frame[PKT_MAX];
	size_t len;
	int target, prog;
	__u32 next_base; /* new-flow scenarios: the next unused source */
};

void scen_prepare(struct rig *r, const struct scenario *s, const struct lbprog *lb,
		  struct armed *a);
/* One run: re-arm the wrapper, run, advance the sources. */
double scen_run(struct rig *r, struct armed *a, unsigned long repeat);
/* Establishes the flows a hit scenario needs (s->warm of them). */
int scen_warm(struct rig *r, const struct scenario *s, const struct lbprog *lb);
/* The counter that must grow by every iteration of s; *checked false when
 * this program's counters cannot tell (a baseline of another layout). A
 * global counter past lb->global_max is replaced by the action's. */
__u64 scen_counter(const struct rig *r, const struct scenario *s, const struct lbprog *lb,
		   bool *checked);

#endif

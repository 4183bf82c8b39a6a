/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* bench_abi.h - the contract between bpf/bench.bpf.c and tools/bench. */
#ifndef XDPLB_BENCH_ABI_H
#define XDPLB_BENCH_ABI_H

#include <linux/types.h>

#define BENCH_FRAME_MAX 256

/* bench_frames[0]: the frame bench_restore writes back before each iteration:
 * its first min(len, BENCH_FRAME_MAX) bytes; a longer frame's other bytes
 * are still in the buffer from the first run (a program that answers in
 * place shrinks the frame and overwrites only its start).
 * The varied value of iteration n on CPU c (n counted in `iterations`, or
 * per CPU in bench_iters when cpu_stride is set; the bench zeroes both
 * when it arms a frame) is
 * vary_base + c * cpu_stride + (vary_mod ? n % vary_mod : n). */
struct bench_frame {
	__u32 len; /* bytes of data[] */
	__u32 vary_off; /* offset of a __be32 to vary (a source address), 0: none */
	__u32 vary_mod; /* rotate over this many values; 0: a new one each iteration */
	__u32 vary_base; /* host order */
	__u32 cpu_stride; /* added per CPU number: each CPU's sources a range of its own */
	/* bytes the target moves the frame's start by (a too-big answer:
	 * -28, -48), when it also changes the end; 0: the end moves with the
	 * start (an encapsulation), found from the length */
	__s32 head_delta;
	__u8 data[BENCH_FRAME_MAX];
};

/* bench_iters[CPU number mod BENCH_MAX_CPUS]: iterations so far on that
 * CPU, a cache line each, so that threads on two CPUs share neither a
 * count nor a line (a global in .bss: no map lookup per iteration); used
 * only by frames with a cpu_stride, so one thread pays for none of it */
#define BENCH_MAX_CPUS 256
struct bench_count {
	__u64 n;
	__u64 pad[7];
};

/* The fine clock (bench_clock in bench.bpf.c): the time at the start of
 * every BENCH_CLOCK_BLOCK-th iteration, and each block's ns, for the
 * first BENCH_CLOCK_MAX_BLOCKS blocks of a run. */
#define BENCH_CLOCK_BLOCK 1024
#define BENCH_CLOCK_MAX_BLOCKS 4096 /* a power of 2 */
struct bench_clock {
	__u64 on; /* set by the bench around a run */
	__u64 last; /* the last block's start (ktime ns) */
	__u64 n; /* blocks in blk[] */
	__u32 blk[BENCH_CLOCK_MAX_BLOCKS]; /* ns, saturated */
};

#endif

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * verdict.h - the one return convention of the BPF helpers.
 *
 * Every helper returns an int: a value >= 0 to go on (the next protocol,
 * 0 for "done, nothing to say"), or a verdict < 0 that ends the packet's
 * way: VERDICT_PASS (leave the frame, untouched, to the stack) or
 * VERDICT_DROP(reason) (enum xdplb_drop_reason). The program's entry point
 * alone turns a verdict into an XDP action and counts it, so no helper
 * counts and no helper returns an XDP_* code.
 */
#ifndef XDPLB_VERDICT_H
#define XDPLB_VERDICT_H

#define VERDICT_PASS (-1)
#define VERDICT_DROP(reason) (-2 - (int)(reason))
#define IS_VERDICT(r) ((r) < 0)
/* the reason of a VERDICT_DROP() */
#define VERDICT_REASON(v) ((__u32)(-2 - (v)))

#endif /* XDPLB_VERDICT_H */

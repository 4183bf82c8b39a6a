/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * explain.h - "where did my packet go": one frame through the xdplb
 * program with BPF_PROG_TEST_RUN, and what it did with it.
 *
 * The live data path is never touched: the program that runs is the one
 * embedded in this binary, loaded afresh, reading the live config maps
 * (vips, backends, tables, ctl, vip_filter, names) but writing private
 * conntrack and counter maps. The flow's live conntrack entry, if any, is
 * copied into the private conntrack first, so that a hit is reproduced.
 */
#ifndef XDPLB_EXPLAIN_H
#define XDPLB_EXPLAIN_H

#include <stdbool.h>
#include <stdio.h>
#include <cjson/cJSON.h>

#include "flows.h"
#include "frame.h"
#include "maps.h"

#define EXPLAIN_FRAME_MAX 4096

struct explain_req {
	const struct lb_maps *live; /* the live maps, read only */
	int live_prog_fd; /* the attached program, for its tag; -1: none */
	struct frame_spec spec; /* zero MACs: the interface's and a made-up sender's */
};

struct explain_result {
	struct frame_spec spec; /* as sent, with the MACs filled in */
	__u8 in[EXPLAIN_FRAME_MAX], out[EXPLAIN_FRAME_MAX];
	size_t in_len, out_len;
	int action; /* XDP_* */
	int drop_reason; /* enum xdplb_drop_reason, or -1 */
	int reply; /* enum xdplb_reply_kind: the LB answered it itself; or -1 */
	__u32 active_bank, generation;
	__u32 mtu; /* the live config's, for a too_big drop */

	bool vip_found; /* (dst, port, proto) is a VIP in the active bank */
	__u32 vip_id, table_size;
	__u32 vip_flags; /* XDPLB_VIP_F_*: the hash mode */
	struct xdplb_vip_key vip_key; /* the entry that matched (port 0: port-less) */
	struct xdplb_name vip_name;

	bool ct_live; /* the live conntrack has an entry for the flow */
	struct flow_entry ct_val; /* the first CPU's that keeps it */
	int ct_cpus; /* how many CPUs keep it */
	struct xdplb_name ct_name; /* of the live entry's backend id */
	bool ct_hit, ct_miss; /* as the program counted them */

	bool have_slot; /* the VIP's Maglev table: flow hash, slot, its backend */
	__u32 hash, slot, slot_backend;
	struct xdplb_name slot_name;

	bool have_backend; /* the backend the flow went to (or was dropped at) */
	__u32 backend_id;
	struct xdplb_backend be;
	struct xdplb_name be_name;
	bool new_flow; /* chosen from the table now, remembered by conntrack */

	struct frame_info outer; /* the output frame, decoded (XDP_TX) */

	bool tag_checked, tag_same; /* embedded program vs the attached one */
	__u8 own_tag[8], live_tag[8];
};

/* 0, or -errno (what failed has been printed). */
int explain_run(const struct explain_req *rq, struct explain_result *r);

#endif

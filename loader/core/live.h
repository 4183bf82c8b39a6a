/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * live.h - what is live on an interface, as the kernel layer reads it back
 * from the maps and the link (kernel/status.c): program, mode, config
 * digest, VIPs, backends with their table slots, counters. Plain data, so
 * that the pure core (metrics, stats) and the renderers work on it.
 */
#ifndef XDPLB_LIVE_H
#define XDPLB_LIVE_H

#include <stdbool.h>
#include <net/if.h>

#include "xdplb_abi.h"

struct st_backend {
	__u32 id;
	struct xdplb_name name;
	struct xdplb_addr addr;
	__u8 family, state;
	__u16 weight;
	__u32 slots; /* in the live table */
	struct xdplb_be_stats st;
};

struct st_vip {
	__u32 id;
	struct xdplb_name name;
	struct xdplb_vip_key key;
	__u32 table_size;
	struct st_backend *be;
	__u32 n_be;
	struct xdplb_vip_stats st;
	__u32 *table; /* the live table (backend ids), with status_read_tables() */
};

struct lb_status {
	char ifname[IF_NAMESIZE];
	char pin_dir[512];
	bool attached; /* the link exists and its interface too */
	__u32 link_id, prog_id;
	char prog_name[16];
	char mode[8]; /* "native", "generic", "?" */
	__u32 ct_size;
	__u32 active;
	struct xdplb_global_cfg g;
	struct st_vip *vips;
	__u32 n_vips;
	__u64 global[XDPLB_GLOBAL_MAX];
};

#endif

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * status.h - what is live on an interface, read back from the pinned maps
 * and the link (never from a config file): program, mode, config digest,
 * VIPs, backends with their table slots, and counters.
 */
#ifndef XDPLB_STATUS_H
#define XDPLB_STATUS_H

#include <stdbool.h>
#include <net/if.h>

#include "../bpf/xdplb_abi.h"

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

/* 0; -ENOENT when xdplb is not loaded on ifname; other -errno. */
int status_read(const char *ifname, struct lb_status *s);
/* The same, keeping each VIP's live table in st_vip.table. */
int status_read_tables(const char *ifname, struct lb_status *s);
/* What to do with the live tables: count each backend's slots (status),
 * also keep them in st_vip.table (snapshots for audit and diff), or not
 * read them at all (slots stay 0). */
enum status_tables { ST_TABLES_COUNT, ST_TABLES_KEEP, ST_TABLES_SKIP };
/* status_read with a choice of what to do with the tables (the exporter
 * counts slots itself, once per table map: tables are frozen). */
int status_read_how(const char *ifname, struct lb_status *s, enum status_tables t);

/* The maps' part of a status (no link, no interface), from open maps;
 * s must be zeroed (or hold ifname/link fields) before. */
struct lb_maps;
int status_read_maps(const struct lb_maps *m, struct lb_status *s, enum status_tables t);
void status_free(struct lb_status *s);
void status_print(const struct lb_status *s, bool json);

/* Names of the interfaces with xdplb loaded in this network namespace.
 * Returns the count (up to max). */
int status_list(char names[][IF_NAMESIZE], int max);

#endif

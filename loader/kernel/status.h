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

#include "live.h"

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

/* Names of the interfaces with xdplb loaded in this network namespace.
 * Returns the count (up to max). */
int status_list(char names[][IF_NAMESIZE], int max);

#endif

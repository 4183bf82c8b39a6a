/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * status.h - the one reader of what is live on an interface (core/live.h):
 * the pinned maps and the link, never a config file.
 */
#ifndef XDPLB_STATUS_H
#define XDPLB_STATUS_H

#include <net/if.h>

#include "live.h"

/* What `xdplb status` shows: the link, slots and counters. */
#define LIVE_STATUS (LIVE_LINK | LIVE_SLOTS | LIVE_COUNTERS | LIVE_FLOWS)

/* Reads the LB on ifname with the parts asked (enum live_part) into l
 * (zeroed first; live_free() it). 0; -ENOENT when xdplb is not loaded
 * there; -EPROTO (said) for another xdplb version's maps; other -errno. */
int status_read(const char *ifname, unsigned int parts, struct lb_live *l);

/* The maps' part, from open maps (no link); l holds what the caller set
 * (ifname, say) and is live_free()d on failure. */
struct lb_maps;
int status_read_maps(const struct lb_maps *m, unsigned int parts, struct lb_live *l);

/* Adds LIVE_SLOTS to l, read from m (a watch that found the tables changed). */
int status_count_slots(const struct lb_maps *m, struct lb_live *l);

/* The link part (LIVE_LINK) of l, whose ifname and pin_dir are set. */
void status_read_link(struct lb_live *l);

/* Names of the interfaces with xdplb loaded in this network namespace.
 * Returns the count (up to max). */
int status_list(char names[][IF_NAMESIZE], int max);
/* The same for the interfaces with a decap program (xdplb decap attach). */
int status_list_decap(char names[][IF_NAMESIZE], int max);

#endif

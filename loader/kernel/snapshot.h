/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * snapshot.h - what is live on an interface, as the same config + tables
 * that a file gives, so that diff and audit compare like with like. The
 * maps do not hold guards: those stay unset.
 */
#ifndef XDPLB_SNAPSHOT_H
#define XDPLB_SNAPSHOT_H

#include "status.h"
#include "validate.h"

/* A table slot naming an id that is not a backend of its VIP. */
#define SNAP_FOREIGN 0xfffffffeu

/* Fills c from a status read with status_read_tables(). */
int snapshot_from_status(const struct lb_status *st, struct checked *c);
/* The same; without tables, tables.slots[] and counts[] stay NULL. */
int snapshot_from_status_opt(const struct lb_status *st, struct checked *c, bool with_tables);
/* status_read_tables() + snapshot_from_status(); *st may be NULL. */
int snapshot_read(const char *ifname, struct checked *c, struct lb_status *st);
/* The same from open maps (no link information). Without tables, the
 * table slots stay NULL: diff then treats a VIP whose inputs did not
 * change as unmoved (the caller builds what it needs, tables_build_vip). */
struct lb_maps;
int snapshot_read_maps(const struct lb_maps *m, struct checked *c, bool with_tables);

#endif

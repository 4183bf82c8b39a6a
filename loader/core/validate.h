/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * validate.h - the whole check of a config, as `validate`, `load` and
 * `simulate` run it: schema, Maglev tables, guards. Pure.
 */
#ifndef XDPLB_VALIDATE_H
#define XDPLB_VALIDATE_H

#include "config.h"
#include "tables.h"

struct checked {
	struct xdplb_config cfg;
	struct vip_tables tables;
};

/* 0: valid, and @c holds config and tables. -EINVAL: invalid, every problem
 * in @d. Other -errno: the file could not be read (or no memory).
 * With o->force, guard refusals stay in @d (marked .guard) as warnings and
 * the result is 0 if they are the only problems. */
int validate_file(const char *path, const struct config_opts *o, struct checked *c,
		  struct diags *d);
int validate_text(const char *text, size_t len, const struct config_opts *o, struct checked *c,
		  struct diags *d);
void checked_free(struct checked *c);

#endif

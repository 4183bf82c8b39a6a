/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * render.h - every text and JSON renderer of the CLI, one file per family
 * (render_*.c). Renderers take data that the core computed or the kernel
 * layer read, and print it; they read no map and change nothing. JSON keys
 * are documented in docs/cli.md.
 */
#ifndef XDPLB_RENDER_H
#define XDPLB_RENDER_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>

#include "audit.h"
#include "diff.h"
#include "explain.h"
#include "stats.h"
#include "status.h"

/* status */
cJSON *status_json(const struct lb_live *s);
void status_print(const struct lb_live *s);
/* "  (configured active, health out; override)": how a backend's effective
 * state came to be, or "" when it is simply the configured one. */
const char *state_why(const struct st_backend *sb, char *buf, size_t len);

/* audit */
void audit_print(const struct audit *a, const char *ifname, FILE *f);
cJSON *audit_json(const struct audit *a, const char *ifname);

/* diff, and diagnostics: [{"path": ..., "message": ...}] */
void diff_print(const struct diff *d, FILE *f);
cJSON *diff_json(const struct diff *d);
cJSON *diags_json(const struct diags *d);

/* announce status: the object announce_cmd.c builds (docs/cli.md) */
void announce_print(FILE *f, const cJSON *o);

/* explain */
void explain_print(FILE *f, const char *ifname, const struct explain_result *r);
cJSON *explain_json(const char *ifname, const struct explain_result *r);

/* stats */
/*
 * A bar of `width` cells, '#' for the observed share, with '|' inserted
 * where the weight share ends: width + 1 characters. `scale` is the share
 * a full bar stands for; a share beyond it ends in '>'. buf must hold
 * width + 2 bytes.
 */
char *stats_bar(char *buf, double share, double weight_share, double scale, int width);
/* 123, 12.3k, 1.23M, ... in 5 characters at most (for counts and rates). */
char *stats_human(char *buf, size_t len, double v);
void stats_print(FILE *f, const struct lb_live *cur, const struct stats *s);
cJSON *stats_json(const struct lb_live *cur, const struct stats *s);

#endif

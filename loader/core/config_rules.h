/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * config_rules.h - cross-field rules of a config (config_rules.c), run by
 * config_parse() after the schema walk. Internal to the config parser.
 */
#ifndef XDPLB_CONFIG_RULES_H
#define XDPLB_CONFIG_RULES_H

#include "config.h"
#include "json_walk.h"

#define CFG_MAX_VIPS (XDPLB_MAX_VIPS / 2)
#define CFG_MAX_BACKENDS (XDPLB_MAX_BACKENDS / 2)

/* Rules across VIPs, within each VIP and with the top level; fills in
 * default table sizes. root is the document (which keys were given). */
void config_check_rules(struct walk *w, struct xdplb_config *c, const cJSON *root);

#endif

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

/* config_health.c: the "health_check" member of obj (all unset when
 * absent), and a VIP's check once inherited (w at the VIP). */
void parse_health_check(struct walk *w, const cJSON *obj, struct health_check_cfg *h);
void check_health_rules(struct walk *w, const struct xdplb_config *c, const struct cfg_vip *v);

/* config_fleet.c: the host's next hop (next_hop or next_hop_mac, exactly
 * one) and "announce", at the top level. */
void parse_next_hop(struct walk *w, const cJSON *root, struct xdplb_config *c);
void parse_announce(struct walk *w, const cJSON *root, struct xdplb_config *c);

#endif

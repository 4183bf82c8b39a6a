/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * names.h - the words for the ABI's numbers, one table each: drop reasons
 * (from the XDPLB_DROP_REASONS X-macro), XDP actions, backend states,
 * protocols, and a VIP's ADDR:PORT/proto. Status, stats, explain, diff,
 * validate and the metrics all print these; pure, so unit tests link it.
 */
#ifndef XDPLB_NAMES_H
#define XDPLB_NAMES_H

#include <stddef.h>

#include "xdplb_abi.h"

/* "too_big", ...: labels, JSON keys */
extern const char *const drop_reason_names[XDPLB_DROP_MAX];
/* "larger than the MTU once encapsulated", ...: for people */
extern const char *const drop_reason_help[XDPLB_DROP_MAX];
/* "foreign_mac", ...: the metric labels of enum xdplb_pass_reason */
extern const char *const pass_reason_names[XDPLB_PASS_MAX];
/* "icmp_echo": the metric labels of enum xdplb_reply_kind */
extern const char *const reply_kind_names[XDPLB_REPLY_MAX];
extern const char *const reply_kind_help[XDPLB_REPLY_MAX];
/* "steered", "passed": the metric labels of enum xdplb_icmp_action */
extern const char *const icmp_action_names[XDPLB_ICMP_MAX];
/* "aborted", "drop", "pass", "tx", "redirect" */
extern const char *const xdp_action_names[XDPLB_ACTION_MAX];

/* "XDP_TX", ...; "?" for a value outside the table */
const char *xdp_action_str(int action);

/* "tcp", "udp", "?" */
const char *proto_str(__u8 proto);
/* A VIP's hash mode from its XDPLB_VIP_F_* flags: "5tuple", "source"
 * (the config's words, config_hash_names) */
const char *vip_hash_str(__u32 vip_flags);
/* "active", "drain", "down", "none" (enum xdplb_backend_state) */
const char *state_str(__u8 state);
/* "none", "up", "out", "kept" (enum xdplb_health) */
const char *health_str(__u8 health);
/* "203.0.113.10:80/tcp", "[2001:db8::1]:443/tcp"; port in host order */
const char *vip_endpoint_str(const struct xdplb_addr *a, int family, __u16 port, __u8 proto,
			     char *buf, size_t len);

#endif

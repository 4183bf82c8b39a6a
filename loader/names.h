/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * names.h - the words for the ABI's numbers, one table each: drop reasons
 * (from the XDPLB_DROP_REASONS X-macro) and XDP actions. Status, stats,
 * explain and the metrics all print these; pure, so unit tests link it.
 */
#ifndef XDPLB_NAMES_H
#define XDPLB_NAMES_H

#include "../bpf/xdplb_abi.h"

/* "too_big", ...: labels, JSON keys */
extern const char *const drop_reason_names[XDPLB_DROP_MAX];
/* "larger than the MTU once encapsulated", ...: for people */
extern const char *const drop_reason_help[XDPLB_DROP_MAX];
/* "aborted", "drop", "pass", "tx", "redirect" */
extern const char *const xdp_action_names[XDPLB_ACTION_MAX];

/* "XDP_TX", ...; "?" for a value outside the table */
const char *xdp_action_str(int action);

#endif

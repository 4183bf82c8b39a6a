// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* names.c - the words for the ABI's numbers (see names.h). */
#include "names.h"

#define X_NAME(name, label, help) [XDPLB_DROP_##name] = label,
const char *const drop_reason_names[XDPLB_DROP_MAX] = { XDPLB_DROP_REASONS(X_NAME) };
#undef X_NAME

#define X_HELP(name, label, help) [XDPLB_DROP_##name] = help,
const char *const drop_reason_help[XDPLB_DROP_MAX] = { XDPLB_DROP_REASONS(X_HELP) };
#undef X_HELP

const char *const xdp_action_names[XDPLB_ACTION_MAX] = { "aborted", "drop", "pass", "tx",
							 "redirect" };

const char *xdp_action_str(int action)
{
	static const char *const n[XDPLB_ACTION_MAX] = { "XDP_ABORTED", "XDP_DROP", "XDP_PASS",
							 "XDP_TX", "XDP_REDIRECT" };

	return action >= 0 && action < XDPLB_ACTION_MAX ? n[action] : "?";
}

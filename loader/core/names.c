// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* names.c - the words for the ABI's numbers (see names.h). */
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>

#include "addr.h"
#include "names.h"

#define X_NAME(name, label, help) [XDPLB_DROP_##name] = label,
const char *const drop_reason_names[XDPLB_DROP_MAX] = { XDPLB_DROP_REASONS(X_NAME) };
#undef X_NAME

#define X_HELP(name, label, help) [XDPLB_DROP_##name] = help,
const char *const drop_reason_help[XDPLB_DROP_MAX] = { XDPLB_DROP_REASONS(X_HELP) };
#undef X_HELP

#define X_NAME(name, label, help) [XDPLB_PASS_##name] = label,
const char *const pass_reason_names[XDPLB_PASS_MAX] = { XDPLB_PASS_REASONS(X_NAME) };
#undef X_NAME

#define X_NAME(name, label, help) [XDPLB_REPLY_##name] = label,
const char *const reply_kind_names[XDPLB_REPLY_MAX] = { XDPLB_REPLY_KINDS(X_NAME) };
#undef X_NAME

#define X_HELP(name, label, help) [XDPLB_REPLY_##name] = help,
const char *const reply_kind_help[XDPLB_REPLY_MAX] = { XDPLB_REPLY_KINDS(X_HELP) };
#undef X_HELP

#define X_NAME(name, label, help) [XDPLB_ICMP_##name] = label,
const char *const icmp_action_names[XDPLB_ICMP_MAX] = { XDPLB_ICMP_ACTIONS(X_NAME) };
#undef X_NAME

const char *const xdp_action_names[XDPLB_ACTION_MAX] = { "aborted", "drop", "pass", "tx",
							 "redirect" };

const char *xdp_action_str(int action)
{
	static const char *const n[XDPLB_ACTION_MAX] = { "XDP_ABORTED", "XDP_DROP", "XDP_PASS",
							 "XDP_TX", "XDP_REDIRECT" };

	return action >= 0 && action < XDPLB_ACTION_MAX ? n[action] : "?";
}

const char *proto_str(__u8 proto)
{
	return proto == IPPROTO_UDP ? "udp" : proto == IPPROTO_TCP ? "tcp" : "?";
}

const char *vip_hash_str(__u32 vip_flags)
{
	return vip_flags & XDPLB_VIP_F_HASH_SOURCE ? "source" : "5tuple";
}

const char *vip_endpoint_str(const struct xdplb_addr *a, int family, __u16 port, __u8 proto,
			     char *buf, size_t len)
{
	char s[ADDR_STRLEN];
	bool v6 = family == XDPLB_AF_INET6;

	addr_str(a, family, s);
	snprintf(buf, len, "%s%s%s:%u/%s", v6 ? "[" : "", s, v6 ? "]" : "", port, proto_str(proto));
	return buf;
}

const char *state_str(__u8 state)
{
	switch (state) {
	case XDPLB_BE_ACTIVE:
		return "active";
	case XDPLB_BE_DRAIN:
		return "drain";
	case XDPLB_BE_DOWN:
		return "down";
	}
	return "none";
}

const char *health_str(__u8 health)
{
	static const char *const n[] = { "none", "up", "out", "kept" };

	return health < sizeof(n) / sizeof(n[0]) ? n[health] : "?";
}

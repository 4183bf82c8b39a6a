/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * rtnl.h - rtnetlink requests, answers and dumps: the neighbour table
 * (neigh.c), the announcement routes (announce.c), the health-check
 * tunnel's rule and routes (hc_tunnel.c).
 */
#ifndef XDPLB_RTNL_H
#define XDPLB_RTNL_H

#include <stddef.h>
#include <linux/fib_rules.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

/* One request: a header, the family's message, attributes. */
struct rtnl_req {
	struct nlmsghdr n;
	union {
		struct ndmsg nd;
		struct rtmsg r;
		struct fib_rule_hdr f;
	};
	char attrs[256];
};

/* Appends attribute type (len bytes of data) to q. */
struct rtattr *rtnl_attr(struct rtnl_req *q, __u16 type, const void *data, size_t len);

/* Sends n (a request; NLM_F_ACK is added) and calls cb on every message
 * the kernel answers with, until its ack, its error or the dump's end.
 * cb returns 0 to go on. Returns 0, the kernel's -errno, or cb's < 0. */
typedef int (*rtnl_cb)(const struct nlmsghdr *h, void *arg);
int rtnl_request(struct nlmsghdr *n, rtnl_cb cb, void *arg);

/* The attributes of a message, by type (up to max; tb zeroed first). */
void rtnl_parse(struct rtattr *tb[], int max, struct rtattr *rta, int len);

#endif

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* announce.c - the announcement routes, by rtnetlink (announce.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "announce.h"
#include "config_fleet.h"
#include "rtnl.h"

static int af_of(__u8 family)
{
	return family == XDPLB_AF_INET ? AF_INET : AF_INET6;
}

int announce_route(const struct xdplb_addr *a, __u8 family, __u32 table, bool add)
{
	struct rtnl_req q;
	int err;

	memset(&q, 0, sizeof(q));
	q.n.nlmsg_len = NLMSG_LENGTH(sizeof(q.r));
	q.n.nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
	q.n.nlmsg_flags = add ? NLM_F_CREATE | NLM_F_REPLACE : 0;
	q.r.rtm_family = (__u8)af_of(family);
	q.r.rtm_dst_len = family == XDPLB_AF_INET ? 32 : 128;
	q.r.rtm_table = RT_TABLE_UNSPEC; /* RTA_TABLE: ids above 255 */
	/* deletion matches the protocol too: never another's route */
	q.r.rtm_protocol = ANNOUNCE_RTPROT;
	q.r.rtm_scope = add ? RT_SCOPE_UNIVERSE : RT_SCOPE_NOWHERE;
	q.r.rtm_type = RTN_BLACKHOLE;
	rtnl_attr(&q, RTA_TABLE, &table, sizeof(table));
	rtnl_attr(&q, RTA_DST, a->b, family == XDPLB_AF_INET ? 4 : 16);
	err = rtnl_request(&q.n, NULL, NULL);
	if (!add && (err == -ESRCH || err == -ENOENT))
		return 0;
	return err;
}

struct list_ctx {
	__u32 table;
	struct ann_route *v;
	int n, cap;
};

static int list_cb(const struct nlmsghdr *h, void *arg)
{
	struct list_ctx *c = arg;
	struct rtmsg *r = NLMSG_DATA(h);
	struct rtattr *tb[RTA_MAX + 1];
	struct ann_route *e;
	__u32 table;

	if (h->nlmsg_type != RTM_NEWROUTE || r->rtm_protocol != ANNOUNCE_RTPROT)
		return 0;
	rtnl_parse(tb, RTA_MAX, RTM_RTA(r), (int)RTM_PAYLOAD(h));
	table = tb[RTA_TABLE] ? *(__u32 *)RTA_DATA(tb[RTA_TABLE]) : r->rtm_table;
	if ((c->table && table != c->table) || !tb[RTA_DST])
		return 0;
	if (c->n == c->cap) {
		int cap = c->cap ? 2 * c->cap : 64;
		void *p = realloc(c->v, (size_t)cap * sizeof(*c->v));

		if (!p)
			return -ENOMEM;
		c->v = p;
		c->cap = cap;
	}
	e = &c->v[c->n++];
	memset(e, 0, sizeof(*e));
	e->family = r->rtm_family == AF_INET ? XDPLB_AF_INET : XDPLB_AF_INET6;
	memcpy(e->addr.b, RTA_DATA(tb[RTA_DST]), r->rtm_family == AF_INET ? 4 : 16);
	e->table = table;
	return 0;
}

int announce_list(__u32 table, struct ann_route **out)
{
	struct list_ctx c = { .table = table };
	const int fams[] = { AF_INET, AF_INET6 };

	for (int i = 0; i < 2; i++) {
		struct rtnl_req q;
		int err;

		memset(&q, 0, sizeof(q));
		q.n.nlmsg_len = NLMSG_LENGTH(sizeof(q.r));
		q.n.nlmsg_type = RTM_GETROUTE;
		q.n.nlmsg_flags = NLM_F_DUMP;
		q.r.rtm_family = (__u8)fams[i];
		err = rtnl_request(&q.n, list_cb, &c);
		if (err && err != -EAFNOSUPPORT) {
			free(c.v);
			return err;
		}
	}
	*out = c.v;
	return c.n;
}

int announce_flush(__u32 table)
{
	struct ann_route *v = NULL;
	int n = announce_list(table, &v), err = 0;

	for (int i = 0; i < n && !err; i++)
		err = announce_route(&v[i].addr, v[i].family, v[i].table, false);
	free(v);
	return n < 0 ? n : err ? err : n;
}

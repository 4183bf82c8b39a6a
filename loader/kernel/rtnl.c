// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* rtnl.c - rtnetlink requests and dumps (rtnl.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "rtnl.h"

struct rtattr *rtnl_attr(struct rtnl_req *q, __u16 type, const void *data, size_t len)
{
	struct rtattr *a = (void *)((char *)q + NLMSG_ALIGN(q->n.nlmsg_len));

	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	q->n.nlmsg_len = NLMSG_ALIGN(q->n.nlmsg_len) + RTA_ALIGN(a->rta_len);
	return a;
}

void rtnl_parse(struct rtattr *tb[], int max, struct rtattr *rta, int len)
{
	memset(tb, 0, sizeof(*tb) * (size_t)(max + 1));
	for (; RTA_OK(rta, len); rta = RTA_NEXT(rta, len))
		if (rta->rta_type <= max)
			tb[rta->rta_type] = rta;
}

/* The messages of one datagram: 1 at the end (ack, error or done), 0 to
 * read on, or cb's < 0. *err gets the kernel's answer. */
static int walk(char *buf, ssize_t len, __u32 seq, rtnl_cb cb, void *arg, int *err)
{
	for (struct nlmsghdr *h = (void *)buf; NLMSG_OK(h, (size_t)len); h = NLMSG_NEXT(h, len)) {
		if (h->nlmsg_seq != seq)
			continue;
		if (h->nlmsg_type == NLMSG_ERROR) {
			*err = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
			return 1;
		}
		if (h->nlmsg_type == NLMSG_DONE)
			return 1;
		if (cb) {
			int r = cb(h, arg);

			if (r < 0)
				return r;
		}
	}
	return 0;
}

int rtnl_request(struct nlmsghdr *n, rtnl_cb cb, void *arg)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	static __u32 seq;
	char buf[32768] __attribute__((aligned(NLMSG_ALIGNTO)));
	int fd, r = 0, err = 0;
	ssize_t len;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	n->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	n->nlmsg_seq = ++seq;
	if (sendto(fd, n, n->nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		goto out;
	}
	while (!r) {
		len = recv(fd, buf, sizeof(buf), 0);
		if (len < 0 && errno == EINTR)
			continue;
		if (len <= 0) {
			err = len < 0 ? -errno : -EPROTO;
			break;
		}
		r = walk(buf, len, n->nlmsg_seq, cb, arg, &err);
		if (r < 0)
			err = r;
	}
out:
	close(fd);
	return err;
}

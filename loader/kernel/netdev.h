/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* netdev.h - interface index and MAC, in the caller's network namespace. */
#ifndef XDPLB_NETDEV_H
#define XDPLB_NETDEV_H

#include <linux/types.h>

/* > 0, or -ENODEV. */
int netdev_ifindex(const char *ifname);
int netdev_mac(const char *ifname, __u8 mac[6]);
/* The interface's MTU (> 0), or -errno. */
int netdev_mtu(const char *ifname);
/* 1 when the interface is up with a carrier, 0 when not, or -errno. */
int netdev_running(const char *ifname);
/* Every IPv4/IPv6 address of the interface, as xdplb_decap_key-ready
 * family/address pairs. Returns the count (at most max) or -errno. */
struct xdplb_addr;
int netdev_addrs(const char *ifname, struct xdplb_addr *addrs, __u8 *families, int max);

#endif

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* addr.h - IP addresses, prefixes and MACs: parsing and printing. Pure. */
#ifndef XDPLB_ADDR_H
#define XDPLB_ADDR_H

#include <stdbool.h>
#include <netinet/in.h>
#include "xdplb_abi.h"

#define ADDR_STRLEN INET6_ADDRSTRLEN

/* Parses an IPv4 or IPv6 address; returns the xdplb family, or 0. */
int addr_parse(const char *s, struct xdplb_addr *a);
/* "ADDR" or "ADDR/LEN". *plen is the full length without "/LEN".
 * Returns the family, 0 if not an address, -1 if the length is not a number. */
int prefix_parse(const char *s, struct xdplb_addr *a, int *plen);
/* Not unspecified, loopback, multicast, broadcast or link-local. */
bool addr_is_unicast(const struct xdplb_addr *a, int family);
/* The address bits past plen, as a mask in network order over the last
 * 32 bits (v4: the address; v6: the last word). Valid for plen >= 96 / 0. */
__be32 prefix_hostmask(int family, int plen);
bool prefix_host_bits_set(const struct xdplb_addr *a, int family, int plen);
const char *addr_str(const struct xdplb_addr *a, int family, char *buf);
int addr_cmp(const struct xdplb_addr *a, const struct xdplb_addr *b);

int mac_parse(const char *s, __u8 mac[6]);
const char *mac_str(const __u8 mac[6], char *buf /* >= 18 */);

#endif

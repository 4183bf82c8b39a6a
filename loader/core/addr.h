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
/* The special-purpose range ("224.0.0.0/4, multicast", ...) that prefix
 * a/plen overlaps, or NULL: an address (plen 32 or 128) or every address
 * of a prefix that xdplb may send to or from. The ranges: 0/8, 127/8,
 * 169.254/16, 224/4, 240/4 (255.255.255.255 included); ::/128, ::1/128,
 * ::ffff:0:0/96, fe80::/10, ff00::/8. The documentation ranges are not
 * among them: the lab, the examples and the tests use them. */
const char *addr_special(const struct xdplb_addr *a, int family, int plen);
/* The address bits past plen, as a mask in network order over the last
 * 32 bits (v4: the address; v6: the last word). Valid for plen >= 96 / 0. */
__be32 prefix_hostmask(int family, int plen);
bool prefix_host_bits_set(const struct xdplb_addr *a, int family, int plen);
const char *addr_str(const struct xdplb_addr *a, int family, char *buf);
int addr_cmp(const struct xdplb_addr *a, const struct xdplb_addr *b);

int mac_parse(const char *s, __u8 mac[6]);
const char *mac_str(const __u8 mac[6], char *buf /* >= 18 */);
/* 00:00:00:00:00:00: no MAC (a next_hop not yet resolved) */
bool mac_is_zero(const __u8 mac[6]);

#endif

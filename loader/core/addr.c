// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

int addr_parse(const char *s, struct xdplb_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &a->v4) == 1)
		return XDPLB_AF_INET;
	if (inet_pton(AF_INET6, s, a->b) == 1)
		return XDPLB_AF_INET6;
	return 0;
}

int prefix_parse(const char *s, struct xdplb_addr *a, int *plen)
{
	const char *slash = strchr(s, '/');
	char buf[ADDR_STRLEN + 1];
	int fam;
	char *end;
	long l;

	if (!slash) {
		fam = addr_parse(s, a);
		*plen = fam == XDPLB_AF_INET ? 32 : 128;
		return fam;
	}
	if ((size_t)(slash - s) >= sizeof(buf))
		return 0;
	memcpy(buf, s, slash - s);
	buf[slash - s] = '\0';
	fam = addr_parse(buf, a);
	if (!fam)
		return 0;
	if (!isdigit((unsigned char)slash[1]))
		return -1;
	l = strtol(slash + 1, &end, 10);
	if (*end || l > 999)
		return -1; /* a sane length is the caller's range check */
	*plen = (int)l;
	return fam;
}

bool addr_is_unicast(const struct xdplb_addr *a, int family)
{
	if (family == XDPLB_AF_INET) {
		__u32 h = ntohl(a->v4);

		return h != 0 && (h >> 24) != 127 && (h >> 28) != 0xe && h != 0xffffffffu &&
		       (h >> 16) != 0xa9fe; /* 169.254/16 */
	}
	static const __u8 loopback[16] = { [15] = 1 };
	static const __u8 zero[16];

	if (!memcmp(a->b, zero, 16) || !memcmp(a->b, loopback, 16))
		return false;
	if (a->b[0] == 0xff) /* multicast */
		return false;
	if (a->b[0] == 0xfe && (a->b[1] & 0xc0) == 0x80) /* fe80::/10 */
		return false;
	return true;
}

__be32 prefix_hostmask(int family, int plen)
{
	int bits = (family == XDPLB_AF_INET ? 32 : 128) - plen; /* host bits */

	if (bits <= 0)
		return 0;
	if (bits >= 32)
		return 0xffffffffu;
	return htonl((1u << bits) - 1);
}

bool prefix_host_bits_set(const struct xdplb_addr *a, int family, int plen)
{
	__be32 m = prefix_hostmask(family, plen);
	__be32 last = family == XDPLB_AF_INET ? a->v4 : a->v6[3];

	return (last & m) != 0;
}

const char *addr_str(const struct xdplb_addr *a, int family, char *buf)
{
	if (!inet_ntop(family == XDPLB_AF_INET ? AF_INET : AF_INET6, a->b, buf, ADDR_STRLEN))
		snprintf(buf, ADDR_STRLEN, "?");
	return buf;
}

int addr_cmp(const struct xdplb_addr *a, const struct xdplb_addr *b)
{
	return memcmp(a->b, b->b, sizeof(a->b));
}

int mac_parse(const char *s, __u8 mac[6])
{
	for (int i = 0; i < 6; i++) {
		if (!isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1]))
			return -1;
		char hex[3] = { s[0], s[1], 0 };

		mac[i] = (__u8)strtoul(hex, NULL, 16);
		s += 2;
		if (i < 5 && *s++ != ':')
			return -1;
	}
	return *s ? -1 : 0;
}

const char *mac_str(const __u8 m[6], char *buf)
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return buf;
}

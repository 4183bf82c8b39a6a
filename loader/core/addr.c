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

struct special_range {
	__u8 family, len;
	__u8 pfx[16];
	const char *what;
};

static const struct special_range specials[] = {
	{ XDPLB_AF_INET, 8, { 0 }, "0.0.0.0/8, this network" },
	{ XDPLB_AF_INET, 8, { 127 }, "127.0.0.0/8, loopback" },
	{ XDPLB_AF_INET, 16, { 169, 254 }, "169.254.0.0/16, link-local" },
	{ XDPLB_AF_INET, 4, { 224 }, "224.0.0.0/4, multicast" },
	{ XDPLB_AF_INET, 4, { 240 }, "240.0.0.0/4, reserved and broadcast" },
	{ XDPLB_AF_INET6, 128, { 0 }, "::/128, unspecified" },
	{ XDPLB_AF_INET6, 128, { [15] = 1 }, "::1/128, loopback" },
	{ XDPLB_AF_INET6, 96, { [10] = 0xff, [11] = 0xff }, "::ffff:0:0/96, IPv4-mapped" },
	{ XDPLB_AF_INET6, 10, { 0xfe, 0x80 }, "fe80::/10, link-local" },
	{ XDPLB_AF_INET6, 8, { 0xff }, "ff00::/8, multicast" },
};

/* Are the first n bits of a and b equal? */
static bool bits_equal(const __u8 *a, const __u8 *b, int n)
{
	int bytes = n / 8, rest = n % 8;

	if (memcmp(a, b, (size_t)bytes))
		return false;
	return !rest || !((a[bytes] ^ b[bytes]) & (0xff << (8 - rest)));
}

const char *addr_special(const struct xdplb_addr *a, int family, int plen)
{
	for (size_t i = 0; i < sizeof(specials) / sizeof(specials[0]); i++) {
		const struct special_range *r = &specials[i];

		/* two prefixes overlap when they agree on the shorter one */
		if (r->family == family && bits_equal(a->b, r->pfx, plen < r->len ? plen : r->len))
			return r->what;
	}
	return NULL;
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

bool mac_is_zero(const __u8 m[6])
{
	return !(m[0] | m[1] | m[2] | m[3] | m[4] | m[5]);
}

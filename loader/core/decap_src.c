// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * decap_src.c - the tunnel sources a backend accepts (decap_src.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "decap_src.h"

static int full_len(int family)
{
	return family == XDPLB_AF_INET ? 32 : 128;
}

/* Any bit set past plen? (addr.c's prefix_host_bits_set covers only the
 * last 32 bits: the LB's source prefixes; these may be any length.) */
static bool host_bits_set(const struct xdplb_addr *a, int plen)
{
	for (int bit = plen; bit < 128; bit++)
		if (a->b[bit / 8] & (0x80 >> (bit % 8)))
			return true;
	return false;
}

int decap_src_parse(const char *s, struct decap_src *out, char *err, size_t errlen)
{
	const char *range;
	int plen, fam;

	memset(out, 0, sizeof(*out));
	fam = prefix_parse(s, &out->addr, &plen);
	if (!fam) {
		snprintf(err, errlen, "\"%s\": not an IPv4 or IPv6 address or prefix", s);
		return -EINVAL;
	}
	if (fam < 0 || plen > full_len(fam)) {
		snprintf(
			err, errlen,
			"\"%s\": the prefix length must be a number, 1..32 (IPv4) or 1..128 (IPv6)",
			s);
		return -EINVAL;
	}
	if (!plen) {
		snprintf(err, errlen, "\"%s\": every address; say --any-source if that is meant",
			 s);
		return -EINVAL;
	}
	if (host_bits_set(&out->addr, plen)) {
		snprintf(err, errlen, "\"%s\": host bits set", s);
		return -EINVAL;
	}
	range = addr_special(&out->addr, fam, plen);
	if (range) {
		snprintf(err, errlen, "\"%s\": in %s, which no LB sends from", s, range);
		return -EINVAL;
	}
	out->family = (__u8)fam;
	out->plen = (__u8)plen;
	return 0;
}

bool decap_srcs_has(const struct decap_srcs *set, const struct decap_src *s)
{
	for (int i = 0; i < set->n; i++) {
		const struct decap_src *x = &set->v[i];

		if (x->family == s->family && x->plen == s->plen && !addr_cmp(&x->addr, &s->addr))
			return true;
	}
	return false;
}

int decap_srcs_add(struct decap_srcs *set, const struct decap_src *s)
{
	if (decap_srcs_has(set, s))
		return 0;
	if (set->n >= XDPLB_DECAP_MAX_SRCS)
		return -E2BIG;
	set->v[set->n++] = *s;
	return 0;
}

static int add_source(struct decap_srcs *set, const struct xdplb_addr *a, int family, int plen)
{
	struct decap_src s = { .addr = *a, .family = (__u8)family, .plen = (__u8)plen };

	return decap_srcs_add(set, &s);
}

int decap_srcs_add_config(struct decap_srcs *set, const struct xdplb_config *cfg)
{
	int n = 0, err;

	if (cfg->src_v4_plen) {
		err = add_source(set, &cfg->src_v4, XDPLB_AF_INET, cfg->src_v4_plen);
		if (err)
			return err;
		n++;
	}
	if (cfg->src_v6_plen) {
		err = add_source(set, &cfg->src_v6, XDPLB_AF_INET6, cfg->src_v6_plen);
		if (err)
			return err;
		n++;
	}
	return n;
}

void decap_srcs_any(struct decap_srcs *set)
{
	memset(set, 0, sizeof(*set));
	set->v[0].family = XDPLB_AF_INET;
	set->v[1].family = XDPLB_AF_INET6;
	set->n = 2;
}

bool decap_srcs_is_any(const struct decap_srcs *set)
{
	bool v4 = false, v6 = false;

	for (int i = 0; i < set->n; i++) {
		if (set->v[i].plen)
			continue;
		v4 |= set->v[i].family == XDPLB_AF_INET;
		v6 |= set->v[i].family == XDPLB_AF_INET6;
	}
	return v4 && v6;
}

void decap_src_key(const struct decap_src *s, struct xdplb_decap_src_key *k)
{
	memset(k, 0, sizeof(*k));
	k->prefixlen = XDPLB_DECAP_SRC_PLEN(s->plen);
	k->family = s->family;
	k->addr = s->addr;
}

int decap_src_of_key(const struct xdplb_decap_src_key *k, struct decap_src *s)
{
	memset(s, 0, sizeof(*s));
	if ((k->family != XDPLB_AF_INET && k->family != XDPLB_AF_INET6) ||
	    k->prefixlen < XDPLB_DECAP_SRC_PLEN(0) ||
	    k->prefixlen > XDPLB_DECAP_SRC_PLEN((__u32)full_len(k->family)))
		return -EINVAL;
	s->family = k->family;
	s->plen = (__u8)(k->prefixlen - XDPLB_DECAP_SRC_PLEN(0));
	s->addr = k->addr;
	return 0;
}

const char *decap_src_str(const struct decap_src *s, char *buf)
{
	char a[ADDR_STRLEN];

	snprintf(buf, DECAP_SRC_STRLEN, "%s/%d", addr_str(&s->addr, s->family, a), s->plen);
	return buf;
}

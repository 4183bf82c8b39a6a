/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * xdplb_hash.h - the flow hash and the Maglev permutation hashes.
 *
 * Shared, unchanged, by the BPF program and the loader: `simulate`, `explain`
 * and the tests must pick the same backend as the data path, and every LB
 * host with the same hash_seed must too. Bob Jenkins' lookup3 (public
 * domain), the same function as the kernel's jhash, over 32-bit words
 * loaded in host order (all LB hosts are assumed to share endianness).
 */
#ifndef XDPLB_HASH_H
#define XDPLB_HASH_H

#include <linux/types.h>
#include "xdplb_abi.h"

#ifndef __xdplb_inline
#define __xdplb_inline static inline __attribute__((always_inline))
#endif

#define XDPLB_JHASH_INITVAL 0xdeadbeef

__xdplb_inline __u32 xdplb_rol32(__u32 w, unsigned int s)
{
	return (w << s) | (w >> (32 - s));
}

#define XDPLB_JHASH_MIX(a, b, c)                         \
	do {                                             \
		a -= c, a ^= xdplb_rol32(c, 4), c += b;  \
		b -= a, b ^= xdplb_rol32(a, 6), a += c;  \
		c -= b, c ^= xdplb_rol32(b, 8), b += a;  \
		a -= c, a ^= xdplb_rol32(c, 16), c += b; \
		b -= a, b ^= xdplb_rol32(a, 19), a += c; \
		c -= b, c ^= xdplb_rol32(b, 4), b += a;  \
	} while (0)

#define XDPLB_JHASH_FINAL(a, b, c)               \
	do {                                     \
		c ^= b, c -= xdplb_rol32(b, 14); \
		a ^= c, a -= xdplb_rol32(c, 11); \
		b ^= a, b -= xdplb_rol32(a, 25); \
		c ^= b, c -= xdplb_rol32(b, 16); \
		a ^= c, a -= xdplb_rol32(c, 4);  \
		b ^= a, b -= xdplb_rol32(a, 14); \
		c ^= b, c -= xdplb_rol32(b, 24); \
	} while (0)

__xdplb_inline __u32 xdplb_jhash_3words(__u32 a, __u32 b, __u32 c, __u32 seed)
{
	a += XDPLB_JHASH_INITVAL;
	b += XDPLB_JHASH_INITVAL;
	c += seed;
	XDPLB_JHASH_FINAL(a, b, c);
	return c;
}

/* lookup3's hashword2(): two 32-bit results (c, then b) of one pass, for
 * n 32-bit words; n is a constant at every call site. */
__xdplb_inline __u64 xdplb_jhash2_words(const __u32 *k, __u32 n, __u32 seed)
{
	__u32 a, b, c;

	a = b = c = XDPLB_JHASH_INITVAL + (n << 2) + seed;
	while (n > 3) {
		a += k[0];
		b += k[1];
		c += k[2];
		XDPLB_JHASH_MIX(a, b, c);
		n -= 3;
		k += 3;
	}
	switch (n) {
	case 3:
		c += k[2];
		/* fallthrough */
	case 2:
		b += k[1];
		/* fallthrough */
	case 1:
		a += k[0];
		XDPLB_JHASH_FINAL(a, b, c);
		/* fallthrough */
	case 0:
		break;
	}
	return (__u64)b << 32 | c;
}

/* lookup3's hashword(): hashword2()'s first result */
__xdplb_inline __u32 xdplb_jhash_words(const __u32 *k, __u32 n, __u32 seed)
{
	return (__u32)xdplb_jhash2_words(k, n, seed);
}

/* The flow hash that indexes the Maglev table. Ports are the two __be16 of
 * the key read as one word. Source and destination both count, so one
 * client's flows to two port-less VIP ports spread independently. */
__xdplb_inline __u32 xdplb_flow_hash(const struct xdplb_flow_key *f, __u32 seed)
{
	__u32 ports = ((__u32)f->sport << 16) | f->dport;

	if (f->family == XDPLB_AF_INET)
		return xdplb_jhash_3words(f->src.v4, f->dst.v4, ports, seed);

	__u32 w[6] = {
		f->src.v6[0],
		f->src.v6[1],
		f->src.v6[2],
		f->src.v6[3],
		f->dst.v6[0] ^ f->dst.v6[1] ^ f->dst.v6[2] ^ f->dst.v6[3],
		ports,
	};
	return xdplb_jhash_words(w, 6, seed);
}

/* The hash that indexes a VIP's Maglev table, by the VIP's hash mode
 * (vip_flags: struct xdplb_vip_cfg's): the flow hash, or with
 * XDPLB_VIP_F_HASH_SOURCE the source and VIP addresses alone, so that
 * every connection of a client, from any source port and to any port of
 * a port-less VIP, picks the same slot. The one function the program's
 * maglev_pick(), simulate, explain and diff call. */
__xdplb_inline __u32 xdplb_vip_hash(const struct xdplb_flow_key *f, __u32 seed, __u32 vip_flags)
{
	if (!(vip_flags & XDPLB_VIP_F_HASH_SOURCE))
		return xdplb_flow_hash(f, seed);
	if (f->family == XDPLB_AF_INET)
		return xdplb_jhash_3words(f->src.v4, f->dst.v4, 0, seed);

	__u32 w[5] = {
		f->src.v6[0],
		f->src.v6[1],
		f->src.v6[2],
		f->src.v6[3],
		f->dst.v6[0] ^ f->dst.v6[1] ^ f->dst.v6[2] ^ f->dst.v6[3],
	};
	return xdplb_jhash_words(w, 5, seed);
}

/* conntrack's name for a flow: two hashes of the tuple's ten 32-bit words
 * (the addresses, the ports, protocol and family; an IPv4 address is one
 * word), taken in pairs (x, y): a source word and the destination word at
 * its place, then the ports and protocol/family. Each half is the high 32
 * bits of
 *     key[j][10] + sum over pairs i of (key[j][2i] + x) * (key[j][2i+1] + y)
 * mod 2^64, with random 64-bit keys from ctl.ct_key, its own for each half
 * j: Lemire and Kaser's MULTILINEAR-HM ("Strongly universal string hashing
 * is fast", 2014), one multiply a pair. For two distinct tuples some key
 * enters the difference of their sums once, linearly, times a nonzero
 * difference of 32-bit words (an IPv4 and an IPv6 tuple: key[j][8], times
 * the family's), so that difference is uniform over a coset of 2^v Z
 * (v < 32) and independent of key[j][10], which makes a sum's low half
 * uniform: the high halves agree with probability under 2^-31 (1.8 x 2^-8
 * at most in a scaled-down check: 8-bit words, 16-bit sums, 3,000
 * structured pairs; the multilinear hash before it, one multiply a word,
 * read 1.75), the whole tag under 2^-62, whichever two tuples they are.
 * Design-changes 51 and 52. Both halves are summed in one pass, each word
 * read once; the products are independent of each other, so the hash is
 * one multiply deep. Ports, protocol and family are read field by field:
 * the parser stored them 1 and 2 bytes at a time, and a wider load of them
 * waits for the stores to drain. */
__xdplb_inline void xdplb_tag_pair(__u64 s[2], const __u64 key[2][XDPLB_CT_TAG_KEYS], int i,
				   __u64 x, __u64 y)
{
	s[0] += (key[0][2 * i] + x) * (key[0][2 * i + 1] + y);
	s[1] += (key[1][2 * i] + x) * (key[1][2 * i + 1] + y);
}

/* Words of the tag (xdplb_flow_tag()) besides the addresses: the ports as
 * one word, the family and protocol as another. */
__xdplb_inline __u32 xdplb_tag_ports(__be16 sport, __be16 dport)
{
	return (__u32)dport << 16 | sport;
}

__xdplb_inline __u32 xdplb_tag_pf(__u8 family, __u8 proto)
{
	return (__u32)family << 8 | proto;
}

/* The tag of an IPv4 flow, and of an IPv6 flow from its addresses' words
 * (a struct xdplb_addr's, or a header's as the parser reads them). */
__xdplb_inline __u64 xdplb_flow_tag4(__u32 src, __u32 dst, __u32 ports, __u32 pf,
				     const __u64 key[2][XDPLB_CT_TAG_KEYS])
{
	__u64 s[2] = { key[0][XDPLB_CT_TAG_WORDS], key[1][XDPLB_CT_TAG_WORDS] };

	xdplb_tag_pair(s, key, 4, ports, pf);
	xdplb_tag_pair(s, key, 0, src, dst);
	return (s[0] >> 32) << 32 | s[1] >> 32;
}

__xdplb_inline __u64 xdplb_flow_tag6(const __u32 src[4], const __u32 dst[4], __u32 ports, __u32 pf,
				     const __u64 key[2][XDPLB_CT_TAG_KEYS])
{
	__u64 s[2] = { key[0][XDPLB_CT_TAG_WORDS], key[1][XDPLB_CT_TAG_WORDS] };

	xdplb_tag_pair(s, key, 4, ports, pf);
	for (int i = 0; i < 4; i++)
		xdplb_tag_pair(s, key, i, src[i], dst[i]);
	return (s[0] >> 32) << 32 | s[1] >> 32;
}

/* The tag: the first half high, the second low. Its bucket:
 * xdplb_ct_bucket(); the outer headers' per-flow hash: xdplb_flow_mix().
 * The data path's parser computes it from the header's words
 * (xdplb_flow_tag4(), xdplb_flow_tag6()); everything else from the key. */
__xdplb_inline __u64 xdplb_flow_tag(const struct xdplb_flow_key *f,
				    const __u64 key[2][XDPLB_CT_TAG_KEYS])
{
	__u32 ports = xdplb_tag_ports(f->sport, f->dport), pf = xdplb_tag_pf(f->family, f->proto);

	if (f->family == XDPLB_AF_INET)
		return xdplb_flow_tag4(f->src.v4, f->dst.v4, ports, pf, key);
	return xdplb_flow_tag6(f->src.v6, f->dst.v6, ports, pf, key);
}

/* The tag through a bijection that is not linear (xor-shift, multiply,
 * xor-shift): the tag is linear in each word of the tuple, so the flows of
 * a sequence land on a lattice, and its own bits spread them at up to 17
 * times a random spread's variance under some keys; mixed, at 0.96-1.02
 * times (tests/unit/test_flow_tag.c). A bijection: mixed tags are equal
 * only if the tags are. */
__xdplb_inline __u64 xdplb_tag_mixed(__u64 tag)
{
	tag ^= tag >> 31;
	tag *= 0xbf58476d1ce4e5b9ULL;
	return tag ^ (tag >> 29);
}

/* A tag's bucket among the 1 << bits of a CPU. */
__xdplb_inline __u32 xdplb_ct_bucket(__u64 tag, __u32 bits)
{
	return (__u32)(xdplb_tag_mixed(tag) >> 32) & ((1u << bits) - 1);
}

/* 32 bits of a flow for the outer headers (the IPv6 flow label, the host
 * bits of the outer source), apart from the bucket's. */
__xdplb_inline __u32 xdplb_flow_mix(__u64 tag)
{
	return (__u32)xdplb_tag_mixed(tag);
}

/* The bit of the VIP filter for a destination address: its words folded
 * (xdplb_vip_filter_fold6() for IPv6) and mixed once (addresses differ in
 * their last bits). The data path's screen() folds and mixes straight
 * from the packet's header. */
__xdplb_inline __u32 xdplb_vip_filter_mix(__u32 x)
{
	x *= 0x9e3779b1u; /* Fibonacci hashing: the top bits mix every input bit */
	return x >> (32 - XDPLB_FILTER_SHIFT);
}

__xdplb_inline __u32 xdplb_vip_filter_fold6(const __be32 w[4])
{
	return w[0] ^ w[1] ^ w[2] ^ w[3];
}

__xdplb_inline __u32 xdplb_vip_filter_bit(const struct xdplb_addr *a, __u8 family)
{
	return xdplb_vip_filter_mix(family == XDPLB_AF_INET ? a->v4 :
							      xdplb_vip_filter_fold6(a->v6));
}

/* Seeds of the two Maglev permutation hashes (offset and skip), mixed with
 * the config's hash_seed so that LB fleets with different seeds differ. */
#define XDPLB_MAGLEV_OFFSET_SEED 0x4d61676cU /* "Magl" */
#define XDPLB_MAGLEV_SKIP_SEED 0x65765f32U /* "ev_2" */

#endif /* XDPLB_HASH_H */

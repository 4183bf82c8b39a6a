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

/* Odd 64-bit constants of SplitMix64 (Steele, Lea, Flood 2014): each
 * multiply and each xor-shift below is a bijection of a 64-bit word */
#define XDPLB_TAG_K1 0x9e3779b97f4a7c15ULL
#define XDPLB_TAG_K2 0xbf58476d1ce4e5b9ULL
#define XDPLB_TAG_K3 0x94d049bb133111ebULL

/* One 64-bit word into the running tag: a multiply and a shift. No
 * rotate: BPF has none, and lookup3's rotates (three instructions each)
 * made the 5-tuple's hash a quarter of a conntrack hit. */
__xdplb_inline __u64 xdplb_tag_step(__u64 h, __u64 w)
{
	h = (h ^ w) * XDPLB_TAG_K1;
	return h ^ (h >> 32);
}

/* conntrack's name for a flow: a 64-bit hash of the whole 5-tuple keyed
 * with the table's random seed (ctl.ct_seed): the addresses in 64-bit
 * words through xdplb_tag_step(), each a bijection of the running word, so
 * that two flows are taken for one only if all 64 bits agree. No
 * finaliser: one would not make two tags equal less often (it is a
 * bijection too), and a hit's bucket load waited for its two multiplies.
 * Its bucket: xdplb_ct_bucket(); the outer headers' per-flow hash:
 * xdplb_flow_mix(). Ports, protocol and family are read field by field:
 * the parser stored them 1 and 2 bytes at a time, and a wider load of them
 * waits for the stores to drain. */
__xdplb_inline __u64 xdplb_flow_tag(const struct xdplb_flow_key *f, __u32 seed)
{
	__u64 h = (__u64)seed * XDPLB_TAG_K3 + ((__u64)f->family << 40 | (__u64)f->proto << 32 |
						(__u32)f->dport << 16 | f->sport);

	if (f->family == XDPLB_AF_INET) {
		h = xdplb_tag_step(h, (__u64)f->dst.v4 << 32 | f->src.v4);
	} else {
		h = xdplb_tag_step(h, (__u64)f->src.v6[1] << 32 | f->src.v6[0]);
		h = xdplb_tag_step(h, (__u64)f->src.v6[3] << 32 | f->src.v6[2]);
		h = xdplb_tag_step(h, (__u64)f->dst.v6[1] << 32 | f->dst.v6[0]);
		h = xdplb_tag_step(h, (__u64)f->dst.v6[3] << 32 | f->dst.v6[2]);
	}
	return h;
}

/* A tag's bucket among the 1 << bits of a CPU: the high word of one more
 * multiply. The tag's own bits are not spread enough for it: an IPv4 tag
 * is a single multiply, and flows that differ in a few bits (hosts 2^16
 * apart, or the last octet and the port) crowded some buckets to 1.2-4x
 * the variance of a random spread; this one reads as random on every
 * pattern tried (tests/unit/test_flow_tag.c), for a multiply where the
 * finaliser took two and three shifts. */
__xdplb_inline __u32 xdplb_ct_bucket(__u64 tag, __u32 bits)
{
	return (__u32)((tag * XDPLB_TAG_K2) >> 32) & ((1u << bits) - 1);
}

/* 32 bits of a flow for the outer headers (the IPv6 flow label, the host
 * bits of the outer source): the tag through SplitMix64's finaliser, so
 * that the low bits too depend on every bit of the tuple. Only encap reads
 * it, off the lookup's path. */
__xdplb_inline __u32 xdplb_flow_mix(__u64 tag)
{
	tag ^= tag >> 30;
	tag *= XDPLB_TAG_K2;
	tag ^= tag >> 27;
	tag *= XDPLB_TAG_K3;
	return (__u32)(tag ^ (tag >> 31));
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

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * conntrack's flow tag and bucket (xdplb_hash.h): structured flows (ports
 * in sequence, hosts in sequence or 2^16 apart, last octet and port, port
 * sweeps) spread over the buckets as random flows would, and never share
 * a tag; the outer headers' per-flow hash spreads its low bits too; pairs
 * that differ in a word's top bits do not share a tag under any key.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "xdplb_abi.h"
#include "xdplb_hash.h"

#define BITS 14
#define N_BUCKETS (1u << BITS)
#define N_FLOWS (3u * N_BUCKETS) /* 3 a bucket: a full table's load */
#define N_PATTERNS 6

typedef __u64 tag_key[2][XDPLB_CT_TAG_KEYS];

/* ct_key as getrandom would fill it, from a seed (SplitMix64) */
static void make_key(tag_key key, __u64 seed)
{
	for (int j = 0; j < 2; j++)
		for (int i = 0; i < XDPLB_CT_TAG_KEYS; i++) {
			__u64 z = (seed += 0x9e3779b97f4a7c15ULL);

			z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
			z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
			key[j][i] = z ^ (z >> 31);
		}
}

/* Flow i of pattern pat, IPv4 or IPv6: client addresses as the parser
 * stores them (network order words). */
static struct xdplb_flow_key flow(int pat, __u32 i, int v6)
{
	struct xdplb_flow_key k = { .family = v6 ? XDPLB_AF_INET6 : XDPLB_AF_INET,
				    .proto = IPPROTO_TCP,
				    .dport = 80,
				    .sport = 40000 };
	__u32 host = 0;

	switch (pat) {
	case 0: /* a few clients, every port */
		k.sport = (__u16)(1024 + (i & 0xffff));
		host = i >> 16;
		break;
	case 1: /* hosts in sequence, one port */
		host = i;
		break;
	case 2: /* the last octet (first byte in memory: low bits) and the port */
		host = (i & 255) << 24;
		k.sport = (__u16)(1024 + (i >> 8));
		break;
	case 3: /* hosts 2^16 apart */
		host = (i & 0xffff) << 16;
		k.sport = (__u16)(1024 + (i >> 16));
		break;
	case 4: /* one client sweeping destination ports */
		k.dport = (__u16)(1 + (i & 0xfff));
		host = i >> 12;
		break;
	default: /* hosts 4,096 apart */
		host = i << 12;
		break;
	}
	if (v6) {
		k.src.v6[0] = k.dst.v6[0] = htonl(0x20010db8);
		k.dst.v6[3] = htonl(1);
		k.src.v6[3] = host;
	} else {
		k.src.v4 = htonl(0xc6336400) ^ host; /* 198.51.100.0 */
		k.dst.v4 = htonl(0xcb00710a); /* 203.0.113.10 */
	}
	return k;
}

/* chi^2 of the counts over their degrees of freedom: 1 +- 0.011 for a
 * random spread of this size. The tag alone, linear in the tuple, read
 * 0.03-16 here (a sequence of flows lands on a lattice of buckets, too
 * even under one key and crowded under another): the bucket is taken from
 * the tag mixed (xdplb_tag_mixed()). */
static double chi2_df(const __u32 *count, __u32 n, __u32 flows)
{
	double e = (double)flows / n, chi = 0;

	for (__u32 b = 0; b < n; b++)
		chi += (count[b] - e) * (count[b] - e) / e;
	return chi / (n - 1);
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

static void check_pattern(int pat, int v6, __u32 seed)
{
	static __u32 bucket[N_BUCKETS], mix[N_BUCKETS];
	static __u64 tag[N_FLOWS];
	tag_key key;
	double cb, cm;

	make_key(key, seed);
	memset(bucket, 0, sizeof(bucket));
	memset(mix, 0, sizeof(mix));
	for (__u32 i = 0; i < N_FLOWS; i++) {
		struct xdplb_flow_key k = flow(pat, i, v6);

		tag[i] = xdplb_flow_tag(&k, (const __u64(*)[XDPLB_CT_TAG_KEYS])key);
		bucket[xdplb_ct_bucket(tag[i], BITS)]++;
		mix[xdplb_flow_mix(tag[i]) & (N_BUCKETS - 1)]++;
	}
	cb = chi2_df(bucket, N_BUCKETS, N_FLOWS);
	cm = chi2_df(mix, N_BUCKETS, N_FLOWS);
	cr_expect(cb > 0.9 && cb < 1.1, "IPv%d pattern %d key %u: buckets chi2/df %.3f, not random",
		  v6 ? 6 : 4, pat, seed, cb);
	cr_expect(cm > 0.9 && cm < 1.1, "IPv%d pattern %d key %u: flow_mix chi2/df %.3f", v6 ? 6 : 4,
		  pat, seed, cm);
	qsort(tag, N_FLOWS, sizeof(tag[0]), cmp_u64);
	for (__u32 i = 1; i < N_FLOWS; i++)
		if (tag[i] == tag[i - 1]) {
			cr_fail("IPv%d pattern %d seed %u: two flows share tag %llx", v6 ? 6 : 4,
				pat, seed, (unsigned long long)tag[i]);
			break;
		}
}

Test(flow_tag, structured_flows_spread_as_random_ones)
{
	static const __u32 seeds[] = { 1, 2, 3, 0x9e3779b9, 0xdeadbeef, 0x12345678 };

	for (unsigned s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++)
		for (int pat = 0; pat < N_PATTERNS; pat++)
			for (int v6 = 0; v6 < 2; v6++)
				check_pattern(pat, v6, seeds[s]);
}

/* The tag is keyed: the same flow under two keys gets two tags and, for
 * most flows, two buckets (nobody outside can aim flows at one bucket). */
Test(flow_tag, keyed)
{
	tag_key k1, k2;
	__u32 same = 0;

	make_key(k1, 1);
	make_key(k2, 2);
	for (__u32 i = 0; i < 4096; i++) {
		struct xdplb_flow_key k = flow(1, i, (int)(i & 1));
		__u64 a = xdplb_flow_tag(&k, (const __u64(*)[XDPLB_CT_TAG_KEYS])k1),
		      b = xdplb_flow_tag(&k, (const __u64(*)[XDPLB_CT_TAG_KEYS])k2);

		cr_assert(not(eq(u64, a, b)));
		same += xdplb_ct_bucket(a, BITS) == xdplb_ct_bucket(b, BITS);
	}
	cr_expect(lt(u32, same, 10), "%u of 4096 flows kept their bucket under another seed", same);
}

/* The top bit of an address's words 1, 2 and 3 (as loaded): bit 31 of
 * the chain's first 64-bit word, bits 31 and 63 of its second. */
static void flip_top3(__be32 w[4])
{
	for (int i = 1; i < 4; i++)
		w[i] ^= 0x80000000u;
}

/* Pairs that differ only in top bits of some words: the multiply-shift
 * chain before design-changes 51 gave the first two pairs one tag under
 * every seed and the third under half of them. And an IPv4 tuple against
 * the IPv6 one with the same words, which only the family word tells
 * apart. Under 1,000 keys, none. */
Test(flow_tag, no_pair_shares_a_tag_whatever_the_key)
{
	for (__u64 s = 1; s <= 1000; s++) {
		struct xdplb_flow_key a = { .family = XDPLB_AF_INET6,
					    .proto = IPPROTO_TCP,
					    .sport = 40000,
					    .dport = 443 },
				      b, c = { .family = XDPLB_AF_INET,
					       .proto = IPPROTO_TCP,
					       .sport = 1234,
					       .dport = 80 },
				      d;
		tag_key key;
		const __u64(*kp)[XDPLB_CT_TAG_KEYS] = (const __u64(*)[XDPLB_CT_TAG_KEYS])key;

		make_key(key, s);
		a.src.v6[0] = a.dst.v6[0] = htonl(0x20010db8);
		a.src.v6[2] = (__u32)(s * 2654435761u);
		a.src.v6[3] = (__u32)(s * 40503u);
		a.dst.v6[3] = htonl(1);
		for (int dst = 0; dst < 2; dst++) {
			b = a;
			flip_top3(dst ? b.dst.v6 : b.src.v6);
			cr_assert(not(eq(u64, xdplb_flow_tag(&a, kp), xdplb_flow_tag(&b, kp))),
				  "key %llu: IPv6 %s 3 top bits apart", (unsigned long long)s,
				  dst ? "destinations" : "sources");
		}
		c.src.v4 = htonl(0x0a000001);
		c.dst.v4 = htonl(0xcb00710a);
		d = c;
		d.sport ^= 0x8000;
		d.src.v4 ^= 0x8000;
		cr_assert(not(eq(u64, xdplb_flow_tag(&c, kp), xdplb_flow_tag(&d, kp))),
			  "key %llu: IPv4 port and address bit 15", (unsigned long long)s);
		/* the IPv6 tuple with the IPv4 one's words and zeros: the
		 * family alone tells them apart */
		d = c;
		d.family = XDPLB_AF_INET6;
		cr_assert(not(eq(u64, xdplb_flow_tag(&c, kp), xdplb_flow_tag(&d, kp))),
			  "key %llu: IPv4 and IPv6 with the same words", (unsigned long long)s);
	}
}

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * csum.h - Internet checksums (RFC 1071) of headers the BPF programs write.
 */
#ifndef XDPLB_CSUM_H
#define XDPLB_CSUM_H

#include <linux/types.h>
#include <linux/ip.h>

static __always_inline __u16 csum_fold32(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* The checksum of a 20-byte IPv4 header from its parts in registers: the
 * sum of its other 16-bit words, and its addresses (as in the packet). */
static __always_inline __u16 ip4_csum_words(__u32 words, __be32 saddr, __be32 daddr)
{
	return csum_fold32(words + (saddr & 0xffff) + (saddr >> 16) + (daddr & 0xffff) +
			   (daddr >> 16));
}

/* Header checksum of a 20-byte IPv4 header whose check field is 0, read
 * from the packet (for headers written rarely: the ICMP answers). */
static __always_inline __u16 ip4_hdr_csum(const struct iphdr *iph)
{
	const __u16 *w = (const __u16 *)iph;
	__u32 sum = 0;

#pragma unroll
	for (int i = 0; i < (int)(sizeof(*iph) / 2); i++)
		sum += w[i];
	return csum_fold32(sum);
}

#endif /* XDPLB_CSUM_H */

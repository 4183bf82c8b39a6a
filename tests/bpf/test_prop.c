// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The LB's data path over random and mutated frames (a property test):
 * 100,000 frames a run through BPF_PROG_TEST_RUN, each a crafted frame of
 * a random kind (to a VIP, to a VIP's address on another port or protocol,
 * to a backend, to anywhere; TCP, UDP, ICMP, other protocols; VLAN tags,
 * IPv4 options, IPv6 extension headers, fragments, padding) with up to
 * four mutations (a bit, a byte, a truncation, trailing bytes, any IPv4
 * IHL, total length, fragment field or version, any IPv6 payload length
 * or next header, any TCP data offset or UDP length, any EtherType, a
 * foreign, multicast or broadcast MAC, a second VLAN tag, a tag removed),
 * or plain random bytes. For every frame:
 *
 *   - the action is XDP_PASS, XDP_DROP or XDP_TX, and it is the one a
 *     model of docs/datapath.md written here (not from the BPF code)
 *     expects; in particular XDP_TX only for a well-formed TCP/UDP packet
 *     (IPv4 without options or fragments, lengths consistent, TCP data
 *     offset and UDP length inside the packet) to a configured VIP and
 *     port, on our MAC; an ICMP or ICMPv6 echo request to a VIP address
 *     some VIP of which takes new flows is answered (XDP_TX: IPv4 without
 *     options or fragments, consistent lengths, a unicast source), and
 *     every other ICMP and ICMPv6 packet is passed (random frames never
 *     quote a VIP flow: tests/bpf/test_icmp.c steers those); a VIP packet
 *     too big once encapsulated is dropped (too_big) or, IPv6 or IPv4
 *     with DF, may be answered with an ICMP error instead (the rate limit
 *     decides which); nothing to an address that is no VIP's is ever
 *     dropped;
 *   - a passed frame is byte-identical to the input;
 *   - a transmitted one is the input with the outer header of the backend
 *     the Maglev table gives its flow: the inner packet byte for byte,
 *     without what followed it in the frame (Ethernet padding, trailing
 *     bytes); an echo reply is the request with MACs and addresses
 *     swapped, TTL / hop limit 64, the type a reply, the IPv4 header
 *     checksum right and the ICMP checksum right exactly when the
 *     request's was, every other byte unchanged;
 *   - the counters moved by exactly this frame: one action, and for a
 *     drop exactly one reason (the expected one), for a foreign unicast
 *     MAC the foreign_mac pass reason, for an echo reply icmp_echo, for
 *     a too-big answer its reply kind, for other ICMP to a VIP address
 *     the ICMP passed counter.
 *
 * At the end the totals add up: actions = frames, drops = the sum of the
 * reasons, the VIPs' packets = transmitted + drops after the VIP lookup,
 * the backends' packets = transmitted - echo replies. And every kind of outcome was
 * reached, so that a generator gone blind fails the test.
 *
 * XDPLB_PROP_SEED (default below; printed) replays a run, XDPLB_PROP_FRAMES
 * changes its length. Every frame is its own BPF_PROG_TEST_RUN with
 * repeat 1: with repeat > 1 the program would see its own output from the
 * second iteration on (docs: design brief, section 6).
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>

#include "addr.h"
#include "lbfix.h"

extern const char *const DP_CONFIG;

#define PROP_SEED 0x5eedda7a9a7b0001ULL
#define PROP_FRAMES 100000
#define PROP_MAX_LEN 1800 /* + 40 bytes of encapsulation fits PKT_MAX */

/* ------------------------------------------------------------ random */
struct rng {
	__u64 s;
};

static __u64 rnd(struct rng *r) /* splitmix64 */
{
	__u64 z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static __u32 below(struct rng *r, __u32 n)
{
	return (__u32)(rnd(r) % n);
}

static bool chance(struct rng *r, __u32 pct)
{
	return below(r, 100) < pct;
}

static void put16(__u8 *p, __u32 v)
{
	p[0] = (__u8)(v >> 8);
	p[1] = (__u8)v;
}

static __u16 get16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

/* ------------------------------------------------------------ frames */
struct gen {
	struct rng r;
	const struct lbfix *f;
	char src[ADDR_STRLEN], dst[ADDR_STRLEN];
};

static void rand_addr(struct gen *g, int family, char *out)
{
	struct xdplb_addr a;

	memset(&a, 0, sizeof(a));
	for (int i = 0; i < (family == 4 ? 4 : 16); i++)
		a.b[i] = (__u8)rnd(&g->r);
	addr_str(&a, family == 4 ? XDPLB_AF_INET : XDPLB_AF_INET6, out);
}

/* A destination: a VIP (mostly with its protocol and port), one of a
 * VIP's addresses with any port, a backend, or anywhere. */
static void pick_dst(struct gen *g, struct pkt_spec *s)
{
	const struct xdplb_config *c = &g->f->c.cfg;
	const struct cfg_vip *v = &c->vips[below(&g->r, c->n_vips)];
	__u32 k = below(&g->r, 100);

	s->family = v->family == XDPLB_AF_INET ? 4 : 6;
	if (k < 70) { /* the VIP, or its address */
		addr_str(&v->addr, v->family, g->dst);
		s->proto = v->proto;
		s->dport = v->port ? v->port : (__u16)rnd(&g->r);
		if (k >= 50)
			s->dport = (__u16)rnd(&g->r);
		if (k >= 60)
			s->proto = chance(&g->r, 50) ? IPPROTO_TCP : IPPROTO_UDP;
	} else if (k < 80) { /* a backend: the LB is on the backends' path too */
		const struct cfg_backend *b = &v->backends[below(&g->r, v->n_backends)];

		s->family = b->family == XDPLB_AF_INET ? 4 : 6;
		addr_str(&b->addr, b->family, g->dst);
		s->proto = chance(&g->r, 50) ? IPPROTO_TCP : IPPROTO_UDP;
		s->dport = (__u16)rnd(&g->r);
	} else {
		s->family = chance(&g->r, 50) ? 4 : 6;
		rand_addr(g, s->family, g->dst);
		s->proto = chance(&g->r, 50) ? IPPROTO_TCP : IPPROTO_UDP;
		s->dport = (__u16)rnd(&g->r);
	}
	s->dst = g->dst;
}

static const __u8 v6_exts[] = { 0, 43, 44, 60, 51, 50, 135, 139, 140, 253 };
static const __u8 protos[] = { IPPROTO_ICMP, 4, 41, 47, 132, 58, 0, 255 };

/* A well-formed frame of a random kind. */
static size_t base_frame(struct gen *g, __u8 *buf)
{
	struct pkt_spec s = { 0 };

	pick_dst(g, &s);
	rand_addr(g, s.family, g->src);
	s.src = g->src;
	if (chance(&g->r, 12)) /* ICMP, ICMPv6, tunnels, GRE, SCTP, ... */
		s.proto = protos[below(&g->r, sizeof(protos))];
	if (s.proto == IPPROTO_ICMP && s.family == 6)
		s.proto = IPPROTO_ICMPV6;
	s.sport = (__u16)rnd(&g->r);
	s.tcp_flags = (__u8)rnd(&g->r);
	s.tos = (__u8)rnd(&g->r);
	s.payload = (__u16)(chance(&g->r, 75) ? below(&g->r, 200) : below(&g->r, 1600));
	if (chance(&g->r, 15)) {
		s.vlan_tpid = chance(&g->r, 50) ? 0x8100 : 0x88a8;
		s.vlan_tci = (__u16)rnd(&g->r);
	}
	if (s.family == 4 && chance(&g->r, 8))
		s.v4_opt_words = (__u8)(1 + below(&g->r, 10));
	if (s.family == 4 && chance(&g->r, 8)) {
		const __u16 fr[] = { 0x2000, 0x0001, 0x2010, 0x1fff, 0x8000 };

		s.frag = fr[below(&g->r, 5)];
	} else if (s.family == 4 && chance(&g->r, 50)) {
		s.frag = 0x4000; /* DF */
	}
	if (s.family == 6 && chance(&g->r, 8)) {
		s.has_v6_ext = 1;
		s.v6_ext = v6_exts[below(&g->r, sizeof(v6_exts))];
	}
	if (chance(&g->r, 10))
		s.pad_to = (__u16)(60 + below(&g->r, 40));
	return pkt_build(&s, buf);
}

/* ------------------------------------------------------------ mutations */
static size_t ip_off(const __u8 *f, size_t len)
{
	return len >= 14 ? pkt_l3_off(f) : 14;
}

static void mutate(struct gen *g, __u8 *f, size_t *len)
{
	size_t l3 = ip_off(f, *len), l4 = l3 + ((f[l3] >> 4) == 6 ? 40 : (f[l3] & 0xf) * 4u);
	const __u16 types[] = { 0x0800, 0x86dd, 0x8100, 0x88a8, 0x0806, 0x88cc, 0x0000, 0xffff };
	const __u8 macs[][6] = { { 0x02, 0, 0, 0, 0, 0xbb },
				 { 0x01, 0x00, 0x5e, 0, 0, 1 },
				 { 0x33, 0x33, 0, 0, 0, 1 },
				 { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
	size_t n;

	switch (below(&g->r, 16)) {
	case 0: /* a bit anywhere in the headers */
		n = *len < 100 ? *len : 100;
		f[below(&g->r, (__u32)n)] ^= (__u8)(1u << below(&g->r, 8));
		break;
	case 1: /* a byte */
		n = *len < 100 ? *len : 100;
		f[below(&g->r, (__u32)n)] = (__u8)rnd(&g->r);
		break;
	case 2: /* cut short, anywhere (the kernel takes 14 bytes at least) */
		*len = 14 + below(&g->r, (__u32)(*len - 14 + 1));
		break;
	case 3: /* trailing bytes */
		n = 1 + below(&g->r, 64);
		if (*len + n <= PROP_MAX_LEN) {
			for (size_t i = 0; i < n; i++)
				f[*len + i] = (__u8)rnd(&g->r);
			*len += n;
		}
		break;
	case 4: /* IPv4 IHL */
		f[l3] = (__u8)((f[l3] & 0xf0) | below(&g->r, 16));
		break;
	case 5: /* IPv4 total length: any, or off by a little */
		put16(f + l3 + 2, chance(&g->r, 50) ? (__u32)rnd(&g->r) :
						      get16(f + l3 + 2) + below(&g->r, 9) - 4);
		break;
	case 6: /* IPv4 fragment field */
		put16(f + l3 + 6, (__u32)rnd(&g->r) & (chance(&g->r, 50) ? 0xffff : 0x2001));
		break;
	case 7: /* IPv6 payload length */
		put16(f + l3 + 4, chance(&g->r, 50) ? (__u32)rnd(&g->r) :
						      get16(f + l3 + 4) + below(&g->r, 9) - 4);
		break;
	case 8: /* TCP data offset, UDP length (whichever the bytes are) */
		if (l4 + 14 <= PKT_MAX) {
			f[l4 + 12] = (__u8)(below(&g->r, 16) << 4 | (f[l4 + 12] & 0xf));
			put16(f + l4 + 4, chance(&g->r, 50) ?
						  (__u32)rnd(&g->r) :
						  get16(f + l4 + 4) + below(&g->r, 9) - 4);
		}
		break;
	case 9: /* IP version */
		f[l3] = (__u8)(below(&g->r, 16) << 4 | (f[l3] & 0xf));
		break;
	case 10: /* EtherType (of the tag's payload when tagged) */
		put16(f + l3 - 2, types[below(&g->r, 8)]);
		break;
	case 11: /* someone else's MAC, multicast, broadcast */
		memcpy(f, macs[below(&g->r, 4)], 6);
		break;
	case 12: /* a second VLAN tag (QinQ: never parsed past) */
		if (*len + 4 <= PROP_MAX_LEN) {
			memmove(f + 16, f + 12, *len - 12);
			put16(f + 12, chance(&g->r, 50) ? 0x88a8 : 0x8100);
			put16(f + 14, (__u32)rnd(&g->r));
			*len += 4;
		}
		break;
	case 13: /* the tag removed */
		if (l3 == 18 && *len >= 18) {
			memmove(f + 12, f + 16, *len - 16);
			*len -= 4;
		}
		break;
	case 14: /* IPv4 protocol or IPv6 next header */
		if (chance(&g->r, 50))
			f[l3 + 9] = chance(&g->r, 50) ? protos[below(&g->r, sizeof(protos))] :
							(__u8)rnd(&g->r);
		else
			f[l3 + 6] = chance(&g->r, 50) ? v6_exts[below(&g->r, sizeof(v6_exts))] :
							(__u8)rnd(&g->r);
		break;
	default: /* the IPv6 next header of an IPv4 frame, and so on: random header bytes */
		n = *len > l3 ? *len - l3 : 1;
		n = n < 48 ? n : 48;
		f[l3 + below(&g->r, (__u32)n)] = (__u8)rnd(&g->r);
		break;
	}
}

static size_t make_frame(struct gen *g, __u8 *f)
{
	size_t len;

	if (chance(&g->r, 3)) { /* noise */
		len = 14 + below(&g->r, 200);
		for (size_t i = 0; i < len; i++)
			f[i] = (__u8)rnd(&g->r);
		if (chance(&g->r, 50))
			memcpy(f, LB_MAC, 6);
		return len;
	}
	len = base_frame(g, f);
	if (chance(&g->r, 35))
		return len;
	for (__u32 m = 1 + below(&g->r, 4); m; m--)
		mutate(g, f, &len);
	return len;
}

/* ------------------------------------------------------------ the model */
/* What docs/datapath.md says happens to a frame. */
enum outcome {
	O_PASS, /* untouched */
	O_DROP, /* with .reason */
	O_VIP, /* a well-formed packet for a VIP: XDP_TX, or dropped after the lookup */
	O_ECHO, /* an echo request the LB answers: XDP_TX, a reply */
};

struct expect {
	enum outcome o;
	__u32 reason; /* O_DROP */
	bool foreign; /* O_PASS: counted as foreign_mac */
	bool icmp; /* an ICMP or ICMPv6 packet (ICMP's invariant: passed unless O_ECHO) */
	bool icmp_vip; /* ... to a VIP address: counted when passed */
	bool df; /* IPv4 DF (IPv6: true): too big may be answered */
	size_t l2;
	__u32 l3_len; /* O_VIP */
	struct xdplb_flow_key k; /* O_VIP */
	int vip; /* O_VIP: the config VIP */
};

static bool is_vip_addr(const struct lbfix *f, const struct xdplb_addr *a, __u8 fam)
{
	for (__u32 v = 0; v < f->c.cfg.n_vips; v++)
		if (f->c.cfg.vips[v].family == fam && !addr_cmp(&f->c.cfg.vips[v].addr, a))
			return true;
	return false;
}

/* Does some VIP of the address take new flows (a backend active, of
 * weight > 0)? Only then is an echo request to it answered. */
static bool vip_addr_serving(const struct lbfix *f, const struct xdplb_addr *a, __u8 fam)
{
	for (__u32 v = 0; v < f->c.cfg.n_vips; v++) {
		const struct cfg_vip *vip = &f->c.cfg.vips[v];

		if (vip->family != fam || addr_cmp(&vip->addr, a))
			continue;
		for (__u32 b = 0; b < vip->n_backends; b++)
			if (vip->backends[b].state == XDPLB_BE_ACTIVE && vip->backends[b].weight)
				return true;
	}
	return false;
}

/* An ICMP echo request (RFC 792) the LB answers: to a serving VIP
 * address, IPv4 header 0x45, not a fragment, a total length that holds
 * the 8-byte echo header and fits the frame, type 8 code 0, the source
 * neither 0.0.0.0/8 nor multicast or above. */
static bool echo_v4(const struct lbfix *f, const __u8 *ip, size_t avail, const struct expect *e)
{
	__u32 tot = get16(ip + 2);

	return ip[9] == IPPROTO_ICMP && ip[0] == 0x45 && !(get16(ip + 6) & 0x3fff) && tot >= 28 &&
	       tot <= avail && ip[20] == 8 && ip[21] == 0 && ip[12] != 0 && ip[12] < 224 &&
	       vip_addr_serving(f, &e->k.dst, XDPLB_AF_INET);
}

/* ICMPv6 (RFC 4443): next header 58, version 6, a payload length that
 * holds the 8-byte echo header and fits the frame, type 128 code 0, the
 * source neither multicast nor ::. */
static bool echo_v6(const struct lbfix *f, const __u8 *ip, size_t avail, const struct expect *e)
{
	static const __u8 zero[16];
	__u32 plen = get16(ip + 4);

	return ip[6] == IPPROTO_ICMPV6 && ip[0] >> 4 == 6 && plen >= 8 && 40 + plen <= avail &&
	       ip[40] == 128 && ip[41] == 0 && ip[8] != 0xff && memcmp(ip + 8, zero, 16) &&
	       vip_addr_serving(f, &e->k.dst, XDPLB_AF_INET6);
}

static bool is_v6_ext(__u8 nh)
{
	for (size_t i = 0; i < sizeof(v6_exts); i++)
		if (v6_exts[i] == nh)
			return true;
	return nh == 254;
}

/* TCP or UDP: the header inside the frame and inside the IP packet's
 * l4_len bytes; its ports into k. */
static bool l4_ok(const __u8 *l4, size_t avail, __u32 l4_len, struct xdplb_flow_key *k)
{
	if (k->proto == IPPROTO_TCP) {
		if (avail < 20 || (l4[12] >> 4) < 5 || (l4[12] >> 4) * 4u > l4_len)
			return false;
	} else if (avail < 8 || get16(l4 + 4) < 8 || get16(l4 + 4) > l4_len) {
		return false;
	}
	memcpy(&k->sport, l4, 2);
	memcpy(&k->dport, l4 + 2, 2);
	return true;
}

/* A VIP address: dropped (reason) when malformed; passed otherwise. */
static struct expect drop(struct expect e, __u32 reason)
{
	e.o = O_DROP;
	e.reason = reason;
	return e;
}

static struct expect model_v4(const struct lbfix *f, const __u8 *ip, size_t avail, struct expect e)
{
	__u32 tot = get16(ip + 2);

	e.k.family = XDPLB_AF_INET;
	memcpy(e.k.src.b, ip + 12, 4);
	memcpy(e.k.dst.b, ip + 16, 4);
	e.k.proto = ip[9];
	e.icmp = ip[9] == IPPROTO_ICMP;
	e.df = get16(ip + 6) & 0x4000;
	if (e.icmp && avail >= 28 && echo_v4(f, ip, avail, &e)) {
		e.o = O_ECHO;
		e.l3_len = tot;
		return e;
	}
	if ((ip[9] != IPPROTO_TCP && ip[9] != IPPROTO_UDP) ||
	    !is_vip_addr(f, &e.k.dst, XDPLB_AF_INET))
		return e;
	if (ip[0] >> 4 != 4 || (ip[0] & 0xf) < 5)
		return drop(e, XDPLB_DROP_MALFORMED);
	if ((ip[0] & 0xf) != 5)
		return drop(e, XDPLB_DROP_IPV4_OPTIONS);
	if (get16(ip + 6) & 0x3fff)
		return drop(e, XDPLB_DROP_FRAGMENT);
	if (tot < 20 || tot > avail || !l4_ok(ip + 20, avail - 20, tot - 20, &e.k))
		return drop(e, XDPLB_DROP_MALFORMED);
	e.l3_len = tot;
	return e;
}

static struct expect model_v6(const struct lbfix *f, const __u8 *ip, size_t avail, struct expect e)
{
	__u32 plen = get16(ip + 4);

	e.k.family = XDPLB_AF_INET6;
	memcpy(e.k.src.b, ip + 8, 16);
	memcpy(e.k.dst.b, ip + 24, 16);
	e.k.proto = ip[6];
	e.icmp = ip[6] == IPPROTO_ICMPV6;
	e.df = true;
	if (!is_vip_addr(f, &e.k.dst, XDPLB_AF_INET6))
		return e;
	if (is_v6_ext(ip[6]))
		return drop(e, XDPLB_DROP_IPV6_EXTHDR);
	if (e.icmp && avail >= 48 && echo_v6(f, ip, avail, &e)) {
		e.o = O_ECHO;
		e.l3_len = 40 + plen;
		return e;
	}
	if (ip[6] != IPPROTO_TCP && ip[6] != IPPROTO_UDP)
		return e;
	if (ip[0] >> 4 != 6 || !plen || 40 + plen > avail ||
	    !l4_ok(ip + 40, avail - 40, plen, &e.k))
		return drop(e, XDPLB_DROP_MALFORMED);
	e.l3_len = 40 + plen;
	return e;
}

static struct expect model(const struct lbfix *f, const __u8 *fr, size_t len)
{
	struct expect e = { .o = O_PASS, .vip = -1 };
	__u16 type = get16(fr + 12);

	e.l2 = 14;
	if (type == 0x8100 || type == 0x88a8) {
		if (len < 18)
			return e; /* no room for the tag: not even looked at */
		e.l2 = 18;
		type = get16(fr + 16);
	}
	if (memcmp(fr, LB_MAC, 6)) {
		e.foreign = !(fr[0] & 1);
		return e;
	}
	if (type == 0x0800 && len >= e.l2 + 20)
		e = model_v4(f, fr + e.l2, len - e.l2, e);
	else if (type == 0x86dd && len >= e.l2 + 40)
		e = model_v6(f, fr + e.l2, len - e.l2, e);
	else
		return e;
	e.icmp_vip = e.icmp && is_vip_addr(f, &e.k.dst, e.k.family);
	if (e.o == O_ECHO && (fr[6] & 1)) { /* never answered to a multicast source MAC */
		e.o = O_PASS;
		e.l3_len = 0;
	}
	if (e.o == O_PASS && e.l3_len) {
		e.vip = lbfix_vip_of(f, &e.k);
		if (e.vip >= 0)
			e.o = O_VIP;
	}
	return e;
}

/* ------------------------------------------------------------ checks */
struct run {
	struct gen g;
	struct lbfix f;
	__u64 seed;
	__u32 i; /* the frame */
	const __u8 *in;
	size_t in_len;
	__u64 prev[XDPLB_GLOBAL_MAX];
	__u64 actions[XDPLB_ACTION_MAX], reasons[XDPLB_DROP_MAX], foreign, icmp, vip_drops, echo;
	__u64 answered; /* too big, answered with an ICMP error */
	bool answer; /* this frame's XDP_TX is such an answer */
};

static void dump(const struct run *r)
{
	char line[3 * 16 + 1];

	fprintf(stderr, "frame %u of seed 0x%llx (XDPLB_PROP_SEED=0x%llx), %zu bytes:\n", r->i,
		(unsigned long long)r->seed, (unsigned long long)r->seed, r->in_len);
	for (size_t o = 0; o < r->in_len; o += 16) {
		size_t n = 0;

		for (size_t j = o; j < r->in_len && j < o + 16; j++)
			n += (size_t)snprintf(line + n, sizeof(line) - n, " %02x", r->in[j]);
		fprintf(stderr, "  %04zx:%s\n", o, line);
	}
}

#define prop_assert(r, cond, fmt, ...)                                     \
	do {                                                               \
		if (!(cond)) {                                             \
			dump(r);                                           \
			cr_fatal("frame %u: " fmt, (r)->i, ##__VA_ARGS__); \
		}                                                          \
	} while (0)

/* The transmitted frame: our MACs, the same tag, an outer header to the
 * backend of the flow, the inner packet unchanged and nothing after it
 * (Ethernet padding and trailing bytes are not sent). */
static void check_tx(struct run *r, const struct expect *e, const __u8 *out, size_t out_len)
{
	const struct cfg_backend *be = lbfix_pick(&r->f, &e->k);
	size_t l2 = e->l2, olen;

	prop_assert(r, be, "XDP_TX, but the table gives the flow no backend");
	olen = be->family == XDPLB_AF_INET ? 20 : 40;
	prop_assert(r, !memcmp(out, NEXT_HOP_MAC, 6) && !memcmp(out + 6, LB_MAC, 6), "MACs");
	prop_assert(r, !memcmp(out + 12, r->in + 12, l2 - 14), "VLAN tag changed");
	prop_assert(r, get16(out + l2 - 2) == (olen == 20 ? 0x0800 : 0x86dd), "EtherType");
	prop_assert(r, lbfix_dest(&r->f, out) == be, "outer destination is not %s", be->name);
	prop_assert(r, olen == 40 || csum(out + l2, 20) == 0, "outer IPv4 checksum");
	prop_assert(r, out_len == l2 + olen + e->l3_len, "XDP_TX of %zu bytes, want %zu", out_len,
		    l2 + olen + e->l3_len);
	prop_assert(r, !memcmp(out + l2 + olen, r->in + l2, e->l3_len), "inner packet changed");
}

/* A too-big answer: back to the sender's MAC, from the VIP to the
 * client, an ICMP error of the family's type and size quoting the packet
 * (tests/bpf/test_icmp.c checks every byte). */
static void check_answer(struct run *r, const struct expect *e, const __u8 *out, size_t out_len)
{
	size_t l2 = e->l2, q = e->k.family == XDPLB_AF_INET ? 548 : e->l3_len >= 1232 ? 1232 : 512;
	size_t hl = e->k.family == XDPLB_AF_INET ? 20 : 40;

	prop_assert(r, !memcmp(out, r->in + 6, 6) && !memcmp(out + 6, r->in, 6), "answer's MACs");
	prop_assert(r, out_len == l2 + hl + 8 + q, "answer of %zu bytes", out_len);
	prop_assert(r, out[l2 + hl] == (hl == 20 ? 3 : 2), "answer's ICMP type");
	prop_assert(r, !memcmp(out + l2 + hl + 8, r->in + l2, q), "answer's quote");
}

/* RFC 1071 sum over an ICMP message: 0 when its checksum is right. */
static __u16 icmp_sum(const __u8 *ip)
{
	return (ip[0] >> 4) == 4 ? csum(ip + 20, get16(ip + 2) - 20u) : pkt_icmp6_csum(ip);
}

/* The echo reply: the request with MACs and addresses swapped, TTL / hop
 * limit 64, the type a reply, the IPv4 header checksum right, the ICMP
 * checksum right exactly when the request's was; every other byte (the
 * tag, identifier, sequence, payload, padding) the request's. */
static void check_echo(struct run *r, const struct expect *e, const __u8 *out, size_t out_len)
{
	const __u8 *in = r->in, *iq = in + e->l2, *op = out + e->l2;
	bool v4 = e->k.family == XDPLB_AF_INET;
	size_t hl = v4 ? 20 : 40, alen = v4 ? 4 : 16, a = v4 ? 12 : 8;

	prop_assert(r, out_len == r->in_len, "echo reply of %zu bytes, want %zu", out_len,
		    r->in_len);
	prop_assert(r, !memcmp(out, in + 6, 6) && !memcmp(out + 6, in, 6), "MACs not swapped");
	prop_assert(r, !memcmp(out + 12, in + 12, e->l2 - 12), "EtherType or tag changed");
	prop_assert(r, !memcmp(op + a, iq + a + alen, alen) && !memcmp(op + a + alen, iq + a, alen),
		    "addresses not swapped");
	prop_assert(r, op[v4 ? 8 : 7] == 64, "TTL / hop limit %u", op[v4 ? 8 : 7]);
	if (v4) {
		prop_assert(r, !memcmp(op, iq, 8) && op[9] == iq[9], "IPv4 header changed");
		prop_assert(r, csum(op, 20) == 0, "IPv4 header checksum");
	} else {
		prop_assert(r, !memcmp(op, iq, 7), "IPv6 header changed");
	}
	prop_assert(r, op[hl] == (v4 ? 0 : 129) && op[hl + 1] == 0, "type %u code %u", op[hl],
		    op[hl + 1]);
	prop_assert(r, (icmp_sum(op) == 0) == (icmp_sum(iq) == 0),
		    "ICMP checksum: request %s, reply %s", icmp_sum(iq) ? "bad" : "good",
		    icmp_sum(op) ? "bad" : "good");
	prop_assert(r, !memcmp(op + hl + 4, iq + hl + 4, r->in_len - e->l2 - hl - 4),
		    "identifier, sequence, payload or padding changed");
}

/* The drop reasons that come after the VIP lookup (the VIP counts them). */
static bool after_lookup(__u32 reason)
{
	return reason == XDPLB_DROP_NO_BACKEND || reason == XDPLB_DROP_TOO_BIG ||
	       reason == XDPLB_DROP_ENCAP || reason == XDPLB_DROP_INTERNAL;
}

static void check_action(struct run *r, const struct expect *e, int act, __u32 *reason)
{
	const struct cfg_backend *be;

	prop_assert(r, act == XDP_PASS || act == XDP_DROP || act == XDP_TX, "action %d", act);
	if (e->o == O_ECHO) {
		prop_assert(r, act == XDP_TX, "echo request not answered: action %d", act);
		return;
	}
	if (e->icmp)
		prop_assert(r, act == XDP_PASS, "ICMP not passed: action %d", act);
	if (e->o == O_PASS) {
		prop_assert(r, act == XDP_PASS, "want XDP_PASS, got %d", act);
		return;
	}
	if (e->o == O_DROP) {
		prop_assert(r, act == XDP_DROP, "want XDP_DROP (reason %u), got %d", e->reason,
			    act);
		*reason = e->reason;
		return;
	}
	/* a VIP's: the backend the table gives, unless it does not fit */
	be = lbfix_pick(&r->f, &e->k);
	if (!be)
		*reason = XDPLB_DROP_NO_BACKEND;
	else if (e->l3_len + (be->family == XDPLB_AF_INET ? 20u : 40u) > r->f.c.cfg.mtu)
		*reason = XDPLB_DROP_TOO_BIG;
	else
		*reason = XDPLB_DROP_MAX; /* none: XDP_TX */
	r->answer = *reason == XDPLB_DROP_TOO_BIG && e->df && act == XDP_TX;
	if (r->answer)
		return;
	if (*reason == XDPLB_DROP_MAX)
		prop_assert(r, act == XDP_TX, "want XDP_TX to %s, got %d", be->name, act);
	else
		prop_assert(r, act == XDP_DROP, "want XDP_DROP (reason %u), got %d", *reason, act);
}

/* Exactly this frame's counters moved: its action, its drop reason, its
 * pass reason. */
static void check_counters(struct run *r, const struct expect *e, int act, __u32 reason)
{
	struct lbfix_counters c = lbfix_counters(&r->f);

	for (__u32 i = 0; i < XDPLB_GLOBAL_MAX; i++) {
		__u64 now = c.v[i], want = r->prev[i];

		if (i == (__u32)act)
			want++;
		if (act == XDP_DROP && i == XDPLB_CNT_DROP_BASE + reason)
			want++;
		if (act == XDP_PASS && e->foreign &&
		    i == XDPLB_CNT_PASS_BASE + XDPLB_PASS_FOREIGN_MAC)
			want++;
		if (e->o == O_ECHO && i == XDPLB_CNT_REPLY_BASE + XDPLB_REPLY_ICMP_ECHO)
			want++;
		if (r->answer && i == XDPLB_CNT_REPLY_BASE + (e->k.family == XDPLB_AF_INET ?
								      XDPLB_REPLY_FRAG_NEEDED :
								      XDPLB_REPLY_PACKET_TOO_BIG))
			want++;
		if (act == XDP_PASS && e->icmp_vip && i == XDPLB_CNT_ICMP_BASE + XDPLB_ICMP_PASSED)
			want++;
		prop_assert(r, now == want, "global counter %u: %llu -> %llu, want %llu", i,
			    (unsigned long long)r->prev[i], (unsigned long long)now,
			    (unsigned long long)want);
		r->prev[i] = now;
	}
}

/* lbfix_run, with the frame shown when the kernel refuses it */
static int run_frame(struct run *r, __u8 *out, size_t *out_len)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = r->in, .data_size_in = (__u32)r->in_len,
		    .data_out = out, .data_size_out = PKT_MAX, .repeat = 1);
	int err = bpf_prog_test_run_opts(r->f.prog_fd, &o);

	prop_assert(r, !err, "BPF_PROG_TEST_RUN: %s", strerror(errno));
	*out_len = o.data_size_out;
	return (int)o.retval;
}

static void one_frame(struct run *r)
{
	static __u8 in[PKT_MAX], out[PKT_MAX];
	__u32 reason = XDPLB_DROP_MAX;
	struct expect e;
	size_t out_len;
	int act;

	memset(in, 0, sizeof(in));
	r->in = in;
	r->in_len = make_frame(&r->g, in);
	e = model(&r->f, in, r->in_len);
	r->answer = false;
	act = run_frame(r, out, &out_len);
	check_action(r, &e, act, &reason);
	if (act == XDP_PASS)
		prop_assert(r, out_len == r->in_len && !memcmp(out, in, r->in_len),
			    "passed frame changed");
	else if (act == XDP_TX && e.o == O_ECHO)
		check_echo(r, &e, out, out_len);
	else if (r->answer)
		check_answer(r, &e, out, out_len);
	else if (act == XDP_TX)
		check_tx(r, &e, out, out_len);
	check_counters(r, &e, act, reason);
	r->actions[act]++;
	if (act == XDP_DROP) {
		r->reasons[reason]++;
		r->vip_drops += after_lookup(reason);
	}
	r->foreign += act == XDP_PASS && e.foreign;
	r->icmp += e.icmp;
	r->echo += e.o == O_ECHO;
	r->answered += r->answer;
}

static __u64 env_u64(const char *name, __u64 def)
{
	const char *s = getenv(name);

	return s && *s ? strtoull(s, NULL, 0) : def;
}

/* The totals add up: per VIP and backend as the global counters say. */
static void check_totals(struct run *r)
{
	const struct xdplb_config *c = &r->f.c.cfg;
	__u64 vip_pkts = 0, vip_drops = 0, be_pkts = 0, sum = 0;

	for (__u32 v = 0; v < c->n_vips; v++) {
		struct xdplb_vip_stats vs = lbfix_vip_stats(&r->f, c->vips[v].name);

		vip_pkts += vs.packets;
		vip_drops += vs.drops;
		for (__u32 b = 0; b < c->vips[v].n_backends; b++)
			be_pkts +=
				lbfix_be_stats(&r->f, c->vips[v].name, c->vips[v].backends[b].name)
					.packets;
	}
	for (__u32 a = 0; a < XDPLB_ACTION_MAX; a++)
		sum += r->prev[a];
	cr_expect(eq(u64, sum, r->i), "actions counted = frames");
	cr_expect(eq(u64, lbfix_global_raw(&r->f, XDP_DROP), 0),
		  "XDP_DROP's slot left to readers (the sum of the reasons)");
	cr_expect(eq(u64, r->prev[XDP_DROP], r->actions[XDP_DROP]));
	cr_expect(eq(u64, r->prev[XDP_PASS], r->actions[XDP_PASS]));
	cr_expect(eq(u64, r->prev[XDP_TX], r->actions[XDP_TX]));
	cr_expect(eq(u64, vip_pkts, r->actions[XDP_TX] - r->echo + r->vip_drops),
		  "VIP packets = transmitted - echo replies + dropped after the lookup");
	cr_expect(eq(u64, vip_drops, r->vip_drops + r->answered),
		  "VIP drops (too-big answers included: not delivered)");
	cr_expect(eq(u64, be_pkts, r->actions[XDP_TX] - r->echo - r->answered),
		  "backend packets = transmitted - echo replies - too-big answers");
	cr_expect(eq(u64,
		     r->prev[XDPLB_CNT_REPLY_BASE + XDPLB_REPLY_FRAG_NEEDED] +
			     r->prev[XDPLB_CNT_REPLY_BASE + XDPLB_REPLY_PACKET_TOO_BIG],
		     r->answered),
		  "too-big answers counted");
	cr_expect(eq(u64, r->prev[XDPLB_CNT_REPLY_BASE + XDPLB_REPLY_ICMP_ECHO], r->echo),
		  "echo replies counted");
}

/* Every kind of outcome was reached: a generator that stopped making
 * some kind of frame would make the properties vacuous. */
static void check_coverage(const struct run *r)
{
	const __u32 reasons[] = { XDPLB_DROP_MALFORMED,	 XDPLB_DROP_IPV4_OPTIONS,
				  XDPLB_DROP_FRAGMENT,	 XDPLB_DROP_IPV6_EXTHDR,
				  XDPLB_DROP_NO_BACKEND, XDPLB_DROP_TOO_BIG };
	__u64 min = r->i / 1000;

	cr_expect(r->actions[XDP_TX] > r->i / 10, "transmitted: %llu",
		  (unsigned long long)r->actions[XDP_TX]);
	cr_expect(r->actions[XDP_PASS] > r->i / 10, "passed");
	for (size_t k = 0; k < sizeof(reasons) / sizeof(reasons[0]); k++)
		cr_expect(r->reasons[reasons[k]] > min, "drop reason %u: %llu", reasons[k],
			  (unsigned long long)r->reasons[reasons[k]]);
	cr_expect(r->foreign > min, "foreign MACs");
	cr_expect(r->icmp > min, "ICMP");
	cr_expect(r->echo > min, "echo replies: %llu", (unsigned long long)r->echo);
	/* rate-limited (icmp_rate a second): a few hundred in a run */
	cr_expect(r->answered > 0, "too-big answers: %llu", (unsigned long long)r->answered);
	cr_expect(eq(u64, r->reasons[XDPLB_DROP_INTERNAL], 0), "internal (a bug) never");
}

Test(datapath_prop, random_and_mutated_frames, .timeout = 300)
{
	static struct run r;
	struct timespec t0, t1;
	__u32 frames = (__u32)env_u64("XDPLB_PROP_FRAMES", PROP_FRAMES);
	double secs;

	memset(&r, 0, sizeof(r));
	r.seed = env_u64("XDPLB_PROP_SEED", PROP_SEED);
	r.g.r.s = r.seed;
	lbfix_open(&r.f, DP_CONFIG);
	r.g.f = &r.f;
	for (__u32 i = 0; i < XDPLB_GLOBAL_MAX; i++)
		r.prev[i] = lbfix_global(&r.f, i);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (r.i = 0; r.i < frames; r.i++)
		one_frame(&r);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	fprintf(stderr,
		"datapath_prop: seed 0x%llx (XDPLB_PROP_SEED), %u frames in %.1f s: "
		"%llu passed (%llu foreign MAC), %llu dropped (malformed %llu, options %llu, "
		"fragment %llu, exthdr %llu, no backend %llu, too big %llu), %llu transmitted; "
		"%llu ICMP (%llu echo replies), %llu too-big answers\n",
		(unsigned long long)r.seed, frames, secs, (unsigned long long)r.actions[XDP_PASS],
		(unsigned long long)r.foreign, (unsigned long long)r.actions[XDP_DROP],
		(unsigned long long)r.reasons[XDPLB_DROP_MALFORMED],
		(unsigned long long)r.reasons[XDPLB_DROP_IPV4_OPTIONS],
		(unsigned long long)r.reasons[XDPLB_DROP_FRAGMENT],
		(unsigned long long)r.reasons[XDPLB_DROP_IPV6_EXTHDR],
		(unsigned long long)r.reasons[XDPLB_DROP_NO_BACKEND],
		(unsigned long long)r.reasons[XDPLB_DROP_TOO_BIG],
		(unsigned long long)r.actions[XDP_TX], (unsigned long long)r.icmp,
		(unsigned long long)r.echo, (unsigned long long)r.answered);
	check_totals(&r);
	check_coverage(&r);
	lbfix_close(&r.f);
}

/* ------------------------------------------------------------ decap */
/*
 * The backends' decap program over random and mutated tunnel frames (and
 * the LB's frames above as noise): IPIP, IPv6-in-IPv6, 4in6, 6in4 from the
 * accepted sources and the edges around them, to this host and to others,
 * then the same mutations. For every frame: a frame is stripped only when
 * it is a tunnel to this host from an LB's source with an inner header of
 * the right version, and then the output is the input without its outer
 * header (the L2 header moved up, the EtherType the inner one); a passed
 * frame is untouched; a drop is a tunnel to this host only; exactly one
 * decap counter moved, the expected one. The outer header's version,
 * length and checksum are not checked: the stack checks the inner packet
 * it is handed.
 */
#include "decap.skel.h"

#include "decap_src.h"

static const char *const d_srcs[] = { "192.0.2.1", "198.18.0.0/15", "2001:db8::1",
				      "2001:db8:5::/48" };
static const char *const d_addrs[] = { "198.51.100.11", "2001:db8:20::11" };
/* outer sources: accepted, at the edges of the accepted prefixes, others */
static const char *const d_from4[] = { "192.0.2.1",    "198.18.0.0",  "198.19.255.255",
				       "198.18.200.7", "192.0.2.2",   "198.17.255.255",
				       "198.20.0.0",   "203.0.113.10" };
static const char *const d_from6[] = {
	"2001:db8::1", "2001:db8:5::", "2001:db8:5:ffff:ffff:ffff:ffff:ffff", "2001:db8:5:1::9",
	"2001:db8::2", "2001:db8:6::", "2001:db8:4:ffff:ffff:ffff:ffff:ffff", "::ffff:192.0.2.1"
};
static const char *const d_to4[] = { "198.51.100.11", "198.51.100.12" };
static const char *const d_to6[] = { "2001:db8:20::11", "2001:db8:20::12" };

struct dec {
	struct decap_bpf *skel;
	struct decap_src src[4];
	struct xdplb_addr local[2];
	__u64 prev[XDPLB_DECAP_MAX], seen[XDPLB_DECAP_MAX];
};

static void dec_open(struct dec *d)
{
	int fd;
	__u32 one = 1;
	char why[160];

	d->skel = decap_bpf__open_and_load();
	cr_assert(d->skel != NULL, "loading the decap program");
	fd = bpf_map__fd(d->skel->maps.decap_srcs);
	for (int i = 0; i < 4; i++) {
		struct xdplb_decap_src_key k;

		cr_assert(decap_src_parse(d_srcs[i], &d->src[i], why, sizeof(why)) == 0, "%s", why);
		decap_src_key(&d->src[i], &k);
		cr_assert(bpf_map_update_elem(fd, &k, &one, 0) == 0);
	}
	for (int i = 0; i < 2; i++) {
		struct xdplb_decap_key k;

		memset(&k, 0, sizeof(k));
		k.family = (__u8)addr_parse(d_addrs[i], &k.addr);
		d->local[i] = k.addr;
		cr_assert(bpf_map_update_elem(bpf_map__fd(d->skel->maps.decap_addrs), &k, &one,
					      0) == 0);
	}
}

/* A tunnel frame around a random frame of the LB generator. */
static size_t tunnel_frame(struct gen *g, __u8 *out)
{
	static __u8 inner[PKT_MAX];
	struct encap_want w = { 0 };
	size_t n;
	bool v6 = chance(&g->r, 50);

	memset(inner, 0, sizeof(inner));
	n = base_frame(g, inner);
	w.backend_family = v6 ? 6 : 4;
	addr_parse(v6 ? d_from6[below(&g->r, 8)] : d_from4[below(&g->r, 8)], &w.src);
	addr_parse(v6 ? d_to6[below(&g->r, 2)] : d_to4[below(&g->r, 2)], &w.backend);
	w.flow_hash = (__u32)rnd(&g->r);
	if (chance(&g->r, 5)) /* anyone's */
		for (int i = 0; i < (v6 ? 16 : 4); i++)
			w.src.b[i] = (__u8)rnd(&g->r);
	return pkt_expect_encap(inner, n, &w, inner, out);
}

static bool prefix_has(const struct decap_src *s, __u8 fam, const __u8 *a)
{
	if (s->family != fam)
		return false;
	for (int bit = 0; bit < s->plen; bit++)
		if ((a[bit / 8] ^ s->addr.b[bit / 8]) & (0x80 >> (bit % 8)))
			return false;
	return true;
}

enum { D_PASS, D_STRIP, D_DROP };

struct dexpect {
	int o;
	__u32 counter; /* the decap counter of the outcome */
	size_t l2, olen;
	__u16 inner_type;
};

/* The tunnel part once the outer header is known to be a tunnel to us. */
static struct dexpect dec_tunnel(const struct dec *d, struct dexpect e, __u8 fam, const __u8 *src,
				 __u8 proto, const __u8 *inner, size_t avail)
{
	bool from_lb = false;

	for (int i = 0; i < 4; i++)
		from_lb |= prefix_has(&d->src[i], fam, src);
	e.o = D_DROP;
	if (!from_lb) {
		e.counter = XDPLB_DECAP_BAD_SOURCE;
		return e;
	}
	e.counter = XDPLB_DECAP_MALFORMED;
	if (proto == 4 && (avail < 20 || inner[0] >> 4 != 4))
		return e;
	if (proto == 41 && (avail < 40 || inner[0] >> 4 != 6))
		return e;
	e.o = D_STRIP;
	e.inner_type = proto == 4 ? 0x0800 : 0x86dd;
	if (fam == XDPLB_AF_INET)
		e.counter = proto == 4 ? XDPLB_DECAP_V4_IN_V4 : XDPLB_DECAP_V6_IN_V4;
	else
		e.counter = proto == 4 ? XDPLB_DECAP_V4_IN_V6 : XDPLB_DECAP_V6_IN_V6;
	return e;
}

static struct dexpect dec_model(const struct dec *d, const __u8 *f, size_t len)
{
	struct dexpect e = { .o = D_PASS, .counter = XDPLB_DECAP_PASS, .l2 = 14 };
	__u16 type = get16(f + 12);
	const __u8 *ip;
	struct xdplb_addr dst;

	if (type == 0x8100 || type == 0x88a8) {
		if (len < 18)
			return e;
		e.l2 = 18;
		type = get16(f + 16);
	}
	ip = f + e.l2;
	memset(&dst, 0, sizeof(dst));
	if (type == 0x0800 && len >= e.l2 + 20) {
		memcpy(dst.b, ip + 16, 4);
		if ((ip[9] != 4 && ip[9] != 41) || (ip[0] & 0xf) != 5 || (get16(ip + 6) & 0x3fff) ||
		    addr_cmp(&dst, &d->local[0]))
			return e;
		e.olen = 20;
		return dec_tunnel(d, e, XDPLB_AF_INET, ip + 12, ip[9], ip + 20, len - e.l2 - 20);
	}
	if (type == 0x86dd && len >= e.l2 + 40) {
		memcpy(dst.b, ip + 24, 16);
		if ((ip[6] != 4 && ip[6] != 41) || addr_cmp(&dst, &d->local[1]))
			return e;
		e.olen = 40;
		return dec_tunnel(d, e, XDPLB_AF_INET6, ip + 8, ip[6], ip + 40, len - e.l2 - 40);
	}
	return e;
}

static void dec_frame(struct run *r, struct dec *d, __u8 *in, __u8 *out)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_out = out, .data_size_out = PKT_MAX,
		    .repeat = 1);
	struct dexpect e;
	int err, act;

	memset(in, 0, PKT_MAX);
	r->in = in;
	if (chance(&r->g.r, 10)) {
		r->in_len = make_frame(&r->g, in);
	} else {
		r->in_len = tunnel_frame(&r->g, in);
		if (chance(&r->g.r, 50))
			for (__u32 m = 1 + below(&r->g.r, 3); m; m--)
				mutate(&r->g, in, &r->in_len);
	}
	e = dec_model(d, in, r->in_len);
	o.data_size_in = (__u32)r->in_len;
	err = bpf_prog_test_run_opts(bpf_program__fd(d->skel->progs.xdplb_decap), &o);
	prop_assert(r, !err, "BPF_PROG_TEST_RUN: %s", strerror(errno));
	act = (int)o.retval;
	if (e.o == D_PASS) {
		prop_assert(r,
			    act == XDP_PASS && o.data_size_out == r->in_len &&
				    !memcmp(out, in, r->in_len),
			    "want passed untouched, got action %d, %u bytes", act, o.data_size_out);
	} else if (e.o == D_DROP) {
		prop_assert(r, act == XDP_DROP, "want dropped (counter %u), got %d", e.counter,
			    act);
	} else {
		prop_assert(r, act == XDP_PASS, "want stripped, got action %d", act);
		prop_assert(r, o.data_size_out == r->in_len - e.olen,
			    "stripped to %u bytes, want %zu", o.data_size_out, r->in_len - e.olen);
		prop_assert(r, !memcmp(out, in, e.l2 - 2), "MACs or tag changed");
		prop_assert(r, get16(out + e.l2 - 2) == e.inner_type, "EtherType");
		prop_assert(r, !memcmp(out + e.l2, in + e.l2 + e.olen, r->in_len - e.l2 - e.olen),
			    "inner packet changed");
	}
	for (__u32 i = 0; i < XDPLB_DECAP_MAX; i++) {
		__u64 now;

		cr_assert(maps_sum_percpu(bpf_map__fd(d->skel->maps.decap_stats), i, &now, 1) == 0);
		prop_assert(r, now == d->prev[i] + (i == e.counter),
			    "decap counter %u: %llu -> %llu, want counter %u only", i,
			    (unsigned long long)d->prev[i], (unsigned long long)now, e.counter);
		d->prev[i] = now;
	}
	d->seen[e.counter]++;
}

Test(datapath_prop, decap_random_and_mutated_tunnels, .timeout = 300)
{
	static struct run r;
	static __u8 in[PKT_MAX], out[PKT_MAX];
	static struct dec d;
	__u32 frames = (__u32)env_u64("XDPLB_PROP_FRAMES", PROP_FRAMES) / 2;

	memset(&r, 0, sizeof(r));
	memset(&d, 0, sizeof(d));
	r.seed = env_u64("XDPLB_PROP_SEED", PROP_SEED);
	r.g.r.s = r.seed;
	lbfix_open(&r.f, DP_CONFIG); /* the LB generator's addresses */
	r.g.f = &r.f;
	dec_open(&d);
	for (r.i = 0; r.i < frames; r.i++)
		dec_frame(&r, &d, in, out);
	fprintf(stderr,
		"datapath_prop decap: seed 0x%llx, %u frames: stripped ipip %llu ip6ip6 %llu "
		"ip4in6 %llu ip6in4 %llu, passed %llu, malformed %llu, bad source %llu\n",
		(unsigned long long)r.seed, frames,
		(unsigned long long)d.seen[XDPLB_DECAP_V4_IN_V4],
		(unsigned long long)d.seen[XDPLB_DECAP_V6_IN_V6],
		(unsigned long long)d.seen[XDPLB_DECAP_V4_IN_V6],
		(unsigned long long)d.seen[XDPLB_DECAP_V6_IN_V4],
		(unsigned long long)d.seen[XDPLB_DECAP_PASS],
		(unsigned long long)d.seen[XDPLB_DECAP_MALFORMED],
		(unsigned long long)d.seen[XDPLB_DECAP_BAD_SOURCE]);
	for (__u32 i = 0; i < XDPLB_DECAP_MAX; i++)
		cr_expect(d.seen[i] > frames / 1000, "decap outcome %u reached: %llu", i,
			  (unsigned long long)d.seen[i]);
	decap_bpf__destroy(d.skel);
	lbfix_close(&r.f);
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * xdplb.bpf.c - the load balancer's XDP program.
 *
 * parse -> VIP? -> conntrack -> Maglev table -> encapsulate -> XDP_TX.
 * Anything that is not a TCP/UDP packet to a VIP leaves with XDP_PASS,
 * untouched. Malformed or unsupported packets to a VIP address are dropped
 * and counted by reason (docs/datapath.md has the rules).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "xdplb_abi.h"
#include "parsing.h"
#define __xdplb_inline static __always_inline
#include "xdplb_hash.h"

char LICENSE[] SEC("license") = "GPL";

/* Config maps. Layouts and byte order: bpf/xdplb_abi.h. */

/* (VIP address, port, proto) -> per-bank VIP config. Not preallocated, so
 * that an update replaces the element under RCU and a reader never sees a
 * value being rewritten. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4 * XDPLB_MAX_VIPS); /* VIPs and address sentinels, both banks */
	__type(key, struct xdplb_vip_key);
	__type(value, struct xdplb_vip_val);
} vips SEC(".maps");

/* bank -> a bit per hash of a VIP address: the cheap "not for us" test */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XDPLB_BANKS);
	__type(key, __u32);
	__type(value, struct xdplb_vip_filter);
} vip_filter SEC(".maps");

/* backend id -> address, owner VIP, cookie, per-bank state and weight */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XDPLB_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct xdplb_backend);
} backends SEC(".maps");

/* One Maglev table: slot -> backend id. Sizes differ per VIP. */
struct maglev_table {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, XDPLB_TABLE_MAP_FLAGS);
	__uint(max_entries, XDPLB_TABLE_ENTRIES(XDPLB_MIN_TABLE_SIZE));
	__type(key, __u32);
	/* struct xdplb_slot_pair; declared by size because BTF would only
	 * carry a forward declaration of a struct used solely here */
	__type(value, __u64);
};

/* bank * XDPLB_MAX_VIPS + vip_id -> that VIP's table in that bank */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, XDPLB_TABLE_SLOTS);
	__type(key, __u32);
	__array(values, struct maglev_table);
} tables SEC(".maps");

/* 5-tuple -> backend id and cookie. Sized by the config (conntrack_size). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, XDPLB_DEFAULT_CT_SIZE);
	__type(key, struct xdplb_flow_key);
	__type(value, struct xdplb_flow_val);
} conntrack SEC(".maps");

/* [0] -> active bank and the global settings of both banks */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xdplb_ctl);
} ctl SEC(".maps");

/* Counters, per CPU: per backend id, per VIP id, and global. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XDPLB_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct xdplb_be_stats);
} be_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XDPLB_MAX_VIPS);
	__type(key, __u32);
	__type(value, struct xdplb_vip_stats);
} vip_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XDPLB_GLOBAL_MAX);
	__type(key, __u32);
	__type(value, __u64);
} global_stats SEC(".maps");

/* Names from the config, for status and metrics; the data path never reads them. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XDPLB_MAX_VIPS);
	__type(key, __u32);
	__type(value, struct xdplb_name);
} vip_names SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XDPLB_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct xdplb_name);
} be_names SEC(".maps");

/* What the parser learnt about a packet. */
struct pkt {
	struct xdplb_flow_key flow;
	__u32 frame_len; /* bytes as received */
	__u32 l3_len; /* IP total length: what gets encapsulated */
	__be16 vlan_tpid; /* 0 when untagged */
	__be16 vlan_tci;
	__u8 tos; /* DSCP + ECN of the inner header, copied outward */
	__u8 syn; /* TCP SYN without ACK: a new connection */
	__u8 df; /* IPv4 DF of the inner header (IPv6 inner: 1) */
};

static __always_inline void count_global(__u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(&global_stats, &idx);

	if (c)
		*c += 1;
}

static __always_inline int drop(__u32 reason)
{
	count_global(XDPLB_CNT_DROP_BASE + reason);
	return XDP_DROP;
}

/* A VIP config of the active bank, or NULL. An exact port wins over a
 * port-less VIP (port 0) of the same address and protocol. */
static __always_inline struct xdplb_vip_cfg *vip_lookup(struct xdplb_vip_key *k, __u32 bank,
							__u32 gflags)
{
	struct xdplb_vip_val *v = bpf_map_lookup_elem(&vips, k);

	if (v && (v->bank[bank].flags & XDPLB_VIP_F_PRESENT))
		return &v->bank[bank];
	if (!(gflags & XDPLB_G_F_PORTLESS) || !k->port)
		return NULL;
	k->port = 0;
	v = bpf_map_lookup_elem(&vips, k);
	if (v && (v->bank[bank].flags & XDPLB_VIP_F_PRESENT))
		return &v->bank[bank];
	return NULL;
}

/* Can the destination be a VIP address? A clear bit says certainly not. */
static __always_inline int maybe_vip(const struct pkt *p, __u32 bank)
{
	struct xdplb_vip_filter *f = bpf_map_lookup_elem(&vip_filter, &bank);
	__u32 bit = xdplb_vip_filter_bit(&p->flow.dst, p->flow.family);

	return f && (f->w[bit / 64] >> (bit % 64)) & 1;
}

/* A packet xdplb cannot handle: dropped and counted if it is addressed to a
 * VIP address (any port or protocol), passed untouched otherwise. */
static __always_inline int reject(const struct pkt *p, __u32 bank, __u32 reason)
{
	struct xdplb_vip_key k = {
		.addr = p->flow.dst,
		.family = p->flow.family,
	};
	struct xdplb_vip_val *v = bpf_map_lookup_elem(&vips, &k);

	if (v && (v->bank[bank].flags & XDPLB_VIP_F_PRESENT))
		return drop(reason);
	return XDP_PASS;
}

static __always_inline int parse_l4(struct pkt *p, void *l4, void *end, __u32 l4_len)
{
	if (p->flow.proto == IPPROTO_TCP) {
		struct tcphdr *th = l4;

		if ((void *)(th + 1) > end || th->doff < 5 || th->doff * 4 > l4_len)
			return -1;
		p->flow.sport = th->source;
		p->flow.dport = th->dest;
		p->syn = th->syn && !th->ack;
	} else {
		struct udphdr *uh = l4;

		if ((void *)(uh + 1) > end || bpf_ntohs(uh->len) < sizeof(*uh) ||
		    bpf_ntohs(uh->len) > l4_len)
			return -1;
		p->flow.sport = uh->source;
		p->flow.dport = uh->dest;
	}
	return 0;
}

/* IPv4 after the fixed header. Returns -1 to go on, or an XDP action. */
static __always_inline int parse_v4(struct cursor *c, struct pkt *p, __u32 bank)
{
	struct iphdr *iph;
	int proto = parse_ip4(c, &iph);
	__u32 tot;

	if (proto < 0)
		return XDP_PASS; /* too short to carry a destination */
	p->flow.family = XDPLB_AF_INET;
	p->flow.dst.v4 = iph->daddr;
	p->flow.src.v4 = iph->saddr;
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return XDP_PASS; /* ICMP and the rest are not VIP traffic */
	if (!maybe_vip(p, bank))
		return XDP_PASS; /* most non-VIP traffic leaves here */
	p->flow.proto = proto;
	if (iph->version != 4 || iph->ihl < 5)
		return reject(p, bank, XDPLB_DROP_MALFORMED);
	if (iph->ihl != 5)
		return reject(p, bank, XDPLB_DROP_IPV4_OPTIONS);
	if (iph->frag_off & bpf_htons(IP4_MF | IP4_OFFSET))
		return reject(p, bank, XDPLB_DROP_FRAGMENT);
	tot = bpf_ntohs(iph->tot_len);
	if (tot < sizeof(*iph) || (void *)iph + tot > c->end)
		return reject(p, bank, XDPLB_DROP_MALFORMED);
	if (parse_l4(p, c->pos, c->end, tot - sizeof(*iph)))
		return reject(p, bank, XDPLB_DROP_MALFORMED);
	p->l3_len = tot;
	p->tos = iph->tos;
	p->df = !!(iph->frag_off & bpf_htons(IP4_DF));
	return -1;
}

static __always_inline int parse_v6(struct cursor *c, struct pkt *p, __u32 bank)
{
	struct ipv6hdr *ip6h;
	int nh = parse_ip6(c, &ip6h);
	__u32 plen;

	if (nh < 0)
		return XDP_PASS;
	p->flow.family = XDPLB_AF_INET6;
	__builtin_memcpy(&p->flow.dst, &ip6h->daddr, sizeof(p->flow.dst));
	__builtin_memcpy(&p->flow.src, &ip6h->saddr, sizeof(p->flow.src));
	if (!maybe_vip(p, bank))
		return XDP_PASS;
	if (nh != IPPROTO_TCP && nh != IPPROTO_UDP) {
		if (ip6_is_exthdr(nh))
			return reject(p, bank, XDPLB_DROP_IPV6_EXTHDR);
		return XDP_PASS; /* ICMPv6 (and so neighbour discovery), ... */
	}
	p->flow.proto = nh;
	plen = bpf_ntohs(ip6h->payload_len);
	if (ip6h->version != 6 || plen == 0 || (void *)(ip6h + 1) + plen > c->end)
		return reject(p, bank, XDPLB_DROP_MALFORMED);
	if (parse_l4(p, c->pos, c->end, plen))
		return reject(p, bank, XDPLB_DROP_MALFORMED);
	p->l3_len = sizeof(*ip6h) + plen;
	p->tos = ip6_tclass(ip6h);
	p->df = 1;
	return -1;
}

/* What the backend choice decided. */
struct pick {
	__u32 id; /* backend id */
	int reason; /* drop reason when no backend */
	int new_flow; /* the flow was (re)assigned from the Maglev table */
};

/* The flow's remembered backend, if it still takes this packet: same
 * cookie (the id was not handed to another backend), and in the active
 * config active, or draining and the packet is not a new connection. A
 * removed backend (or one of a removed VIP) is NONE, so this also proves
 * the VIP is still there: a hit needs no VIP lookup at all. */
static __always_inline struct xdplb_backend *conntrack_hit(const struct pkt *p, __u32 bank,
							   __u32 *id)
{
	struct xdplb_flow_val *ct = bpf_map_lookup_elem(&conntrack, &p->flow);
	struct xdplb_backend *be;

	if (!ct)
		return NULL;
	*id = ct->backend_id;
	be = bpf_map_lookup_elem(&backends, id);
	if (be && be->cookie == ct->cookie &&
	    (be->state[bank] == XDPLB_BE_ACTIVE || (be->state[bank] == XDPLB_BE_DRAIN && !p->syn)))
		return be;
	return NULL;
}

/* A new flow (or one whose backend no longer takes it): the VIP's Maglev
 * table. Conntrack remembers the choice once the packet is on its way. */
static __always_inline struct xdplb_backend *maglev_pick(struct pkt *p,
							 const struct xdplb_vip_cfg *vip,
							 const struct xdplb_global_cfg *g,
							 __u32 bank, struct pick *out)
{
	struct xdplb_backend *be;
	struct xdplb_slot_pair *pair;
	__u32 slot, idx, half, id;
	void *table;

	if (!vip->table_size) {
		out->reason = XDPLB_DROP_NO_BACKEND;
		return NULL;
	}
	slot = bank * XDPLB_MAX_VIPS + vip->vip_id;
	table = bpf_map_lookup_elem(&tables, &slot);
	if (!table)
		goto internal;
	idx = xdplb_flow_hash(&p->flow, g->hash_seed) % vip->table_size;
	half = idx / 2;
	pair = bpf_map_lookup_elem(table, &half);
	if (!pair)
		goto internal;
	id = pair->id[idx & 1];
	be = bpf_map_lookup_elem(&backends, &id);
	if (!be || be->state[bank] != XDPLB_BE_ACTIVE)
		goto internal;

	out->id = id;
	out->new_flow = 1;
	return be;
internal:
	out->reason = XDPLB_DROP_INTERNAL;
	return NULL;
}

static __always_inline void write_l2(struct ethhdr *eth, const struct pkt *p,
				     const struct xdplb_global_cfg *g, __be16 proto)
{
	__builtin_memcpy(eth->h_dest, g->nh_mac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, g->if_mac, ETH_ALEN);
	if (p->vlan_tpid) {
		struct vlan_hdr *vh = (void *)(eth + 1);

		eth->h_proto = p->vlan_tpid;
		vh->tci = p->vlan_tci;
		vh->encap_proto = proto;
	} else {
		eth->h_proto = proto;
	}
}

static __always_inline void write_outer_v4(struct iphdr *o, const struct pkt *p,
					   const struct xdplb_backend *be,
					   const struct xdplb_global_cfg *g, __u32 hash)
{
	*(__u8 *)o = 0x45; /* version 4, ihl 5 */
	o->tos = p->tos;
	o->tot_len = bpf_htons(p->l3_len + sizeof(*o));
	/* RFC 2003: DF from the inner header. Without DF the ID must vary. */
	o->id = p->df ? 0 : (__be16)bpf_get_prandom_u32();
	o->frag_off = p->df ? bpf_htons(IP4_DF) : 0;
	o->ttl = XDPLB_ENCAP_TTL;
	o->protocol = p->flow.family == XDPLB_AF_INET ? IPPROTO_IPIP : IPPROTO_IPV6;
	o->check = 0;
	o->saddr = g->src_v4 | (hash & g->src_v4_hostmask);
	o->daddr = be->addr.v4;
	o->check = ip4_hdr_csum(o);
}

static __always_inline void write_outer_v6(struct ipv6hdr *o, const struct pkt *p,
					   const struct xdplb_backend *be,
					   const struct xdplb_global_cfg *g, __u32 hash)
{
	/* version, traffic class from the inner header, flow label from the
	 * flow hash so that ECMP and RSS on the way spread flows */
	*(__be32 *)o = bpf_htonl(6u << 28 | (__u32)p->tos << 20 | (hash & 0xfffff));
	o->payload_len = bpf_htons(p->l3_len);
	o->nexthdr = p->flow.family == XDPLB_AF_INET ? IPPROTO_IPIP : IPPROTO_IPV6;
	o->hop_limit = XDPLB_ENCAP_TTL;
	__builtin_memcpy(&o->saddr, &g->src_v6, sizeof(o->saddr));
	o->saddr.in6_u.u6_addr32[3] |= hash & g->src_v6_hostmask;
	__builtin_memcpy(&o->daddr, &be->addr, sizeof(o->daddr));
}

/* Prepend Ethernet (+ the same VLAN tag) and the outer IP header. */
static __always_inline int encap(struct xdp_md *ctx, const struct pkt *p,
				 const struct xdplb_backend *be, const struct xdplb_global_cfg *g)
{
	__u32 olen = be->family == XDPLB_AF_INET ? XDPLB_IPV4_HDR_LEN : XDPLB_IPV6_HDR_LEN;
	/* the flow hash varies an IPv6 flow label or a source prefix; a fixed
	 * IPv4 source needs none, which spares the common case a jhash */
	__u32 hash = be->family == XDPLB_AF_INET && !g->src_v4_hostmask ?
			     0 :
			     xdplb_flow_hash(&p->flow, g->hash_seed);
	void *data, *end, *outer;
	struct ethhdr *eth;

	if (p->l3_len + olen > g->mtu)
		return XDPLB_DROP_TOO_BIG;
	if (bpf_xdp_adjust_head(ctx, -(int)olen))
		return XDPLB_DROP_ENCAP;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	eth = data;
	if ((void *)(eth + 1) + sizeof(struct vlan_hdr) > end)
		return XDPLB_DROP_ENCAP;
	outer = (void *)(eth + 1) + (p->vlan_tpid ? sizeof(struct vlan_hdr) : 0);
	if (be->family == XDPLB_AF_INET) {
		if (outer + sizeof(struct iphdr) > end)
			return XDPLB_DROP_ENCAP;
		write_l2(eth, p, g, bpf_htons(ETH_P_IP));
		write_outer_v4(outer, p, be, g, hash);
	} else {
		if (outer + sizeof(struct ipv6hdr) > end)
			return XDPLB_DROP_ENCAP;
		write_l2(eth, p, g, bpf_htons(ETH_P_IPV6));
		write_outer_v6(outer, p, be, g, hash);
	}
	return -1;
}

static __always_inline int process(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct cursor c = { .pos = data, .end = end };
	struct xdplb_vip_stats *vs;
	struct xdplb_be_stats *bs;
	struct xdplb_global_cfg *g;
	struct xdplb_vip_cfg *vip;
	struct xdplb_backend *be;
	struct xdplb_vip_key k;
	struct ethhdr *eth;
	struct vlan_hdr *vh;
	struct pkt p = {};
	struct pick pk = { .reason = XDPLB_DROP_INTERNAL };
	struct xdplb_ctl *cl;
	__u32 zero = 0, bank;
	int proto, ret;

	cl = bpf_map_lookup_elem(&ctl, &zero);
	if (!cl)
		return XDP_PASS;
	bank = cl->active & 1;
	g = &cl->bank[bank];

	proto = parse_eth(&c, &eth, &vh);
	if (proto < 0)
		return XDP_PASS;
	if (vh) {
		p.vlan_tpid = eth->h_proto;
		p.vlan_tci = vh->tci;
	}
	if (proto == bpf_htons(ETH_P_IP))
		ret = parse_v4(&c, &p, bank);
	else if (proto == bpf_htons(ETH_P_IPV6))
		ret = parse_v6(&c, &p, bank);
	else
		return XDP_PASS; /* ARP, LLDP, truncated frames, ... */
	if (ret >= 0)
		return ret;

	p.frame_len = end - data;
	be = conntrack_hit(&p, bank, &pk.id);
	if (be) {
		vs = bpf_map_lookup_elem(&vip_stats, &be->vip_id);
		if (vs)
			vs->ct_hits++;
	} else {
		k = (struct xdplb_vip_key){
			.addr = p.flow.dst,
			.port = p.flow.dport,
			.proto = p.flow.proto,
			.family = p.flow.family,
		};
		vip = vip_lookup(&k, bank, g->flags);
		if (!vip)
			return XDP_PASS;
		vs = bpf_map_lookup_elem(&vip_stats, &vip->vip_id);
		if (vs)
			vs->ct_misses++;
		be = maglev_pick(&p, vip, g, bank, &pk);
	}
	if (vs) {
		vs->packets++;
		vs->bytes += p.frame_len;
	}
	if (be)
		pk.reason = encap(ctx, &p, be, g);
	if (pk.reason >= 0) {
		if (vs)
			vs->drops++;
		return drop(pk.reason);
	}
	/* Only a forwarded packet starts a flow: a dropped one (too big, say)
	 * leaves no conntrack entry, and a VIP's new flows stay the sum of its
	 * backends' */
	if (pk.new_flow) {
		struct xdplb_flow_val nv = { .backend_id = pk.id, .cookie = be->cookie };

		bpf_map_update_elem(&conntrack, &p.flow, &nv, BPF_ANY);
		if (vs)
			vs->new_flows++;
	}
	bs = bpf_map_lookup_elem(&be_stats, &pk.id);
	if (bs) {
		bs->packets++;
		bs->bytes += p.frame_len;
		bs->new_flows += pk.new_flow;
	}
	return XDP_TX;
}

SEC("xdp")
int xdplb_lb(struct xdp_md *ctx)
{
	int act = process(ctx);

	count_global(act);
	return act;
}

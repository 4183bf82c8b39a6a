// SPDX-License-Identifier: GPL-2.0-only
/*
 * xdplb.bpf.c - the load balancer's XDP program.
 *
 * parse -> VIP? -> conntrack -> Maglev table -> encapsulate -> XDP_TX.
 * ICMP to a VIP address (icmp()): an echo request to one that takes new
 * flows is answered (echo()); an error quoting a packet of a VIP flow
 * follows that flow to its backend (steer()). A VIP packet too big once
 * encapsulated is answered with an ICMP error (too_big()). Anything else
 * that is not a TCP/UDP packet to a VIP leaves with XDP_PASS, untouched. Malformed or unsupported packets to a VIP address are dropped
 * and counted by reason (docs/datapath.md has the rules). Helpers return
 * verdicts (verdict.h); only xdplb_lb() turns one into an XDP action.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "xdplb_abi.h"
#include "encap.h"
#include "icmp.h"
#include "parsing.h"
#include "verdict.h"
#include "xdplb_hash.h"

char LICENSE[] SEC("license") = "GPL";

/* parse()'s "go on" value for an ICMP or ICMPv6 packet to what may be a
 * VIP address: icmp() decides (0 is a TCP/UDP packet to go on with) */
#define PARSED_ICMP 1

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

/* xdplb_table_slot(bank, vip_id) -> that VIP's table in that bank */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, XDPLB_TABLE_SLOTS);
	__type(key, __u32);
	__array(values, struct maglev_table);
} tables SEC(".maps");

/* Flows -> backend id and cookie: per-CPU set-associative buckets
 * (bpf/xdplb_abi.h). The loader sizes it from conntrack_size. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xdplb_flow_bucket);
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
	__uint(max_entries, XDPLB_GLOBAL_SLOTS);
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

/* Published slot counts (bpf/xdplb_abi.h); the data path never reads them. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, XDPLB_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct xdplb_be_slots);
} be_slots SEC(".maps");

/* The empty table: every tables slot that holds no VIP's table points at
 * it (an array of maps has no batch delete, and a slot cleared one by one
 * costs a grace period each), and the loader updates the barrier slot with
 * it to wait for one grace period. Frozen at the first load; the data path
 * never reads it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, XDPLB_TABLE_MAP_FLAGS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} table_empty SEC(".maps");

static __always_inline void count_global(__u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(&global_stats, &idx);

	if (c)
		*c += 1;
}

/* The XDP action of a verdict, counted: a pass by its action, a drop by
 * its reason alone (readers sum the reasons for XDP_DROP's count, and a
 * drop costs one counter update, not two). */
static __always_inline int verdict_action(int v)
{
	if (v == VERDICT_PASS) {
		count_global(XDP_PASS);
		return XDP_PASS;
	}
	count_global(XDPLB_CNT_DROP_BASE + VERDICT_REASON(v));
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

/* Is the bit set in the active bank's VIP filter (f)? A clear bit says
 * the destination is certainly not a VIP address. */
static __always_inline int vip_filter_has(const struct xdplb_vip_filter *f, __u32 bit)
{
	return (f->w[bit / 64] >> (bit % 64)) & 1;
}

/* Can the parsed destination be a VIP address? */
static __always_inline int maybe_vip(const struct pkt *p, const struct xdplb_vip_filter *f)
{
	return vip_filter_has(f, xdplb_vip_filter_bit(&p->flow.dst, p->flow.family));
}

/* The vips key (8-aligned) of p's destination address with port and
 * proto (0, 0: the address sentinel). The address goes in as two 8-byte
 * words: copied as a struct of 4-byte words it took four loads, two
 * shifts and two ors. */
static __always_inline void vip_key_set(struct xdplb_vip_key *k, const struct pkt *p, __be16 port,
					__u8 proto)
{
	const __u64 *a = (const __u64 *)p->flow.dst.b;
	__u64 *d = (__u64 *)k->addr.b;

	d[0] = a[0];
	d[1] = a[1];
	k->port = port;
	k->proto = proto;
	k->family = p->flow.family;
}

/* The flags (XDPLB_VIP_F_*) of the destination address's sentinel in the
 * active config; 0 when it is no VIP's address. */
static __always_inline __u32 vip_addr_flags(const struct pkt *p, __u32 bank)
{
	struct xdplb_vip_key k __attribute__((aligned(8)));
	struct xdplb_vip_val *v;

	vip_key_set(&k, p, 0, 0);
	v = bpf_map_lookup_elem(&vips, &k);
	return v ? v->bank[bank].flags : 0;
}

/* A packet xdplb cannot handle: dropped for reason if it is addressed to
 * a VIP address (any port or protocol), passed untouched otherwise. */
static __always_inline int reject(const struct pkt *p, __u32 bank, __u32 reason)
{
	if (vip_addr_flags(p, bank) & XDPLB_VIP_F_PRESENT)
		return VERDICT_DROP(reason);
	return VERDICT_PASS;
}

/* TCP or UDP ports. 0, or VERDICT_DROP(MALFORMED). */
static __always_inline int parse_l4(struct pkt *p, void *l4, void *end, __u32 l4_len)
{
	if (p->flow.proto == IPPROTO_TCP) {
		struct tcphdr *th = l4;

		if ((void *)(th + 1) > end || th->doff < 5 || th->doff * 4 > l4_len)
			return VERDICT_DROP(XDPLB_DROP_MALFORMED);
		p->flow.sport = th->source;
		p->flow.dport = th->dest;
		/* SYN without ACK, from the flags byte in one load (the
		 * bitfields cost two and their shifts) */
		p->syn = (((__u8 *)th)[13] & (TCP_FLAG_SYN_B | TCP_FLAG_ACK_B)) == TCP_FLAG_SYN_B;
	} else {
		struct udphdr *uh = l4;

		if ((void *)(uh + 1) > end || bpf_ntohs(uh->len) < sizeof(*uh) ||
		    bpf_ntohs(uh->len) > l4_len)
			return VERDICT_DROP(XDPLB_DROP_MALFORMED);
		p->flow.sport = uh->source;
		p->flow.dport = uh->dest;
	}
	return 0;
}

/* IPv4 from the fixed header on. 0 to go on (and the flow's tag, keyed
 * with key, in *tag), or a verdict. */
static __always_inline int parse_v4(struct cursor *c, struct pkt *p, __u32 bank,
				    const struct xdplb_vip_filter *f, int screened,
				    const __u64 key[2][XDPLB_CT_TAG_KEYS], __u64 *tag)
{
	struct iphdr *iph;
	int proto = parse_ip4(c, &iph);
	__u32 tot;

	if (IS_VERDICT(proto))
		return proto; /* too short to carry a destination */
	p->flow.family = XDPLB_AF_INET;
	addr_set_v4(&p->flow.dst, iph->daddr);
	addr_set_v4(&p->flow.src, iph->saddr);
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP) {
		/* the rest is not VIP traffic, but ICMP to a VIP address may
		 * be answered or steered (icmp()) */
		if (proto == IPPROTO_ICMP && (screened || maybe_vip(p, f)))
			return PARSED_ICMP;
		return VERDICT_PASS;
	}
	if (!screened && !maybe_vip(p, f))
		return VERDICT_PASS; /* most non-VIP traffic leaves here */
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
	if (IS_VERDICT(parse_l4(p, c->pos, c->end, tot - sizeof(*iph))))
		return reject(p, bank, XDPLB_DROP_MALFORMED);
	p->l3_len = tot;
	p->tos = iph->tos;
	p->df = !!(iph->frag_off & bpf_htons(IP4_DF));
	/* from the header's words as they are read (design-changes 53) */
	*tag = xdplb_flow_tag4(iph->saddr, iph->daddr,
			       xdplb_tag_ports(p->flow.sport, p->flow.dport),
			       xdplb_tag_pf(XDPLB_AF_INET, p->flow.proto), key);
	return 0;
}

/* IPv6 from the fixed header on. 0 to go on (and the flow's tag in *tag),
 * or a verdict. */
static __always_inline int parse_v6(struct cursor *c, struct pkt *p, __u32 bank,
				    const struct xdplb_vip_filter *f, int screened,
				    const __u64 key[2][XDPLB_CT_TAG_KEYS], __u64 *tag)
{
	struct ipv6hdr *ip6h;
	int nh = parse_ip6(c, &ip6h);
	__u32 plen;

	if (IS_VERDICT(nh))
		return nh;
	p->flow.family = XDPLB_AF_INET6;
	addr_set_v6(&p->flow.dst, &ip6h->daddr);
	addr_set_v6(&p->flow.src, &ip6h->saddr);
	if (!screened && !maybe_vip(p, f))
		return VERDICT_PASS;
	if (nh != IPPROTO_TCP && nh != IPPROTO_UDP) {
		if (ip6_is_exthdr(nh))
			return reject(p, bank, XDPLB_DROP_IPV6_EXTHDR);
		if (nh == IPPROTO_ICMPV6)
			return PARSED_ICMP; /* icmp(): neighbour discovery is passed */
		return VERDICT_PASS;
	}
	p->flow.proto = nh;
	plen = bpf_ntohs(ip6h->payload_len);
	if (ip6h->version != 6 || plen == 0 || (void *)(ip6h + 1) + plen > c->end)
		return reject(p, bank, XDPLB_DROP_MALFORMED);
	if (IS_VERDICT(parse_l4(p, c->pos, c->end, plen)))
		return reject(p, bank, XDPLB_DROP_MALFORMED);
	p->l3_len = sizeof(*ip6h) + plen;
	p->tos = ip6_tclass(ip6h);
	p->df = 1;
	/* from the header: computed later from struct pkt's copy of the
	 * addresses, the IPv6 hit cost ~3 ns more (design-changes 53) */
	*tag = xdplb_flow_tag6(ip6h->saddr.in6_u.u6_addr32, ip6h->daddr.in6_u.u6_addr32,
			       xdplb_tag_ports(p->flow.sport, p->flow.dport),
			       xdplb_tag_pf(XDPLB_AF_INET6, p->flow.proto), key);
	return 0;
}

/* The backend a packet goes to, and where conntrack keeps its flow. */
struct pick {
	struct xdplb_backend *be;
	__u32 id; /* backend id */
	__u32 vip_id; /* be's VIP: from conntrack's ref on a hit, no wait on be */
	int new_flow; /* (re)assigned from the Maglev table: conntrack remembers it */
	int copied; /* found in another CPU's bucket: this CPU's remembers it */
	__u64 tag; /* xdplb_flow_tag() */
	__u32 now; /* XDPLB_CT_TIME_SHIFT units */
	__u32 idx; /* the flow's bucket on this CPU */
	struct xdplb_flow_bucket *bk; /* ... or NULL: no conntrack */
	int way; /* the way of bk that holds the flow, or -1 */
};

/* Does the remembered backend (ref: xdplb_ct_ref()) still take this
 * packet? Same cookie (the id was not handed to another backend), and in
 * the active config active, or draining and the packet is not a new
 * connection. A removed backend (or one of a removed VIP) is NONE, so this
 * also proves the VIP is still there: a hit needs no VIP lookup at all. */
static __always_inline int ct_takes(const struct pkt *p, __u32 bank, __u32 ref, __u32 cookie,
				    struct pick *pk)
{
	__u32 id = xdplb_ct_ref_backend(ref);
	struct xdplb_backend *be = bpf_map_lookup_elem(&backends, &id);

	if (!be || be->cookie != cookie)
		return 0;
	if (be->state[bank] != XDPLB_BE_ACTIVE && (be->state[bank] != XDPLB_BE_DRAIN || p->syn))
		return 0;
	pk->be = be;
	pk->id = id;
	pk->vip_id = xdplb_ct_ref_vip(ref);
	return 1;
}

/* The way of b that holds the flow tagged tag, or -1. */
static __always_inline int ct_way(const struct xdplb_flow_bucket *b, __u64 tag)
{
	for (int w = 0; w < XDPLB_CT_WAYS; w++)
		if ((b->flags & XDPLB_CT_F_USED(w)) && b->tag[w] == tag)
			return w;
	return -1;
}

struct peek {
	const struct pkt *p;
	struct pick *pk;
	__u32 bank, cpu, bits, off, idle;
};

/* Has the flow in way w idled past idle (seen units; 0: never, which is
 * every TCP flow's: it ends when its backend's stack says so)? */
static __always_inline int ct_expired(const struct xdplb_flow_bucket *b, int w, __u32 now,
				      __u32 idle)
{
	return idle && now - b->seen[w] > idle;
}

/* bpf_loop's body: CPU i's bucket of the flow. 1 (stop) when it holds the
 * flow and its backend takes the packet. */
static long ct_peek_one(__u32 i, void *arg)
{
	struct peek *x = arg;
	struct xdplb_flow_bucket *b;
	__u32 idx = i << x->bits | x->off;
	int w;

	if (i == x->cpu)
		return 0;
	b = bpf_map_lookup_elem(&conntrack, &idx);
	if (!b)
		return 1;
	w = ct_way(b, x->pk->tag);
	if (w < 0 || w >= XDPLB_CT_WAYS || ct_expired(b, w, x->pk->now, x->idle))
		return 0;
	x->pk->copied = ct_takes(x->p, x->bank, b->ref[w], b->cookie[w], x->pk);
	return x->pk->copied;
}

/* The flow's remembered backend, if it still takes this packet. Its CPU's
 * bucket first; a packet that is not a SYN and misses there looks at the
 * other CPUs' (its flow may have started on another). 1 on a hit. A way
 * that holds the flow with a backend that no longer takes it is kept in
 * pk->way: the new pick overwrites it. A UDP flow that looks expired here
 * may have been seen on another CPU since this one's copy was last
 * refreshed (each CPU refreshes its own copy): it looks there too, and
 * is new only when no CPU saw it within the timeout. */
static __always_inline int conntrack_hit(const struct pkt *p, const struct xdplb_ctl *cl,
					 __u32 bank, struct pick *pk)
{
	__u32 bits = cl->ct_bits & 31, cpu = bpf_get_smp_processor_id();
	/* udp_timeout in seen units (jiffies >> XDPLB_CT_TIME_SHIFT); a TCP
	 * flow never idles out, and its hit skips the multiply */
	__u32 idle = p->flow.proto != IPPROTO_UDP ?
			     0 :
			     xdplb_ct_idle_units(cl->bank[bank].udp_timeout, cl->ct_hz);
	__u32 off = xdplb_ct_bucket(pk->tag, bits);
	struct xdplb_flow_bucket *b;
	struct peek x;
	int w;

	pk->way = -1;
	pk->idx = cpu << bits | off;
	b = bpf_map_lookup_elem(&conntrack, &pk->idx);
	if (!b)
		return 0; /* no conntrack (a CPU beyond ct_cpus) */
	pk->bk = b;
	/* jiffies: a load; the coarse clock's seqcount read cost a hit
	 * ~20% of its work here */
	pk->now = bpf_jiffies64() >> XDPLB_CT_TIME_SHIFT;
	w = ct_way(b, pk->tag);
	if (w >= 0 && w < XDPLB_CT_WAYS && !ct_expired(b, w, pk->now, idle)) {
		pk->way = w;
		if (!ct_takes(p, bank, b->ref[w], b->cookie[w], pk))
			return 0;
		if (p->icmp)
			return 1; /* an error about the flow is not a sign of life */
		/* a TCP SYN or a flow's first UDP packet starts it; any other
		 * packet of it marks it established (the last to be evicted) */
		if (!p->syn && !(b->flags & XDPLB_CT_F_EST(w)))
			b->flags |= XDPLB_CT_F_EST(w);
		if (b->seen[w] != pk->now)
			b->seen[w] = pk->now;
		return 1;
	}
	/* expired here: a fresh copy elsewhere is copied over this way,
	 * else the new pick overwrites it */
	if (w >= 0 && w < XDPLB_CT_WAYS)
		pk->way = w;
	if (p->syn || cl->ct_cpus < 2)
		return 0;
	x = (struct peek){
		.p = p, .pk = pk, .bank = bank, .cpu = cpu, .bits = bits, .off = off, .idle = idle
	};
	bpf_loop(cl->ct_cpus < XDPLB_CT_MAX_CPUS ? cl->ct_cpus : XDPLB_CT_MAX_CPUS, ct_peek_one, &x,
		 0);
	return pk->copied;
}

/* The way a new flow takes: a free one, else the oldest flow never seen
 * after its first packet (a flood of SYNs or spoofed datagrams evicts
 * its own), else the oldest. */
static __always_inline int ct_victim(const struct xdplb_flow_bucket *b, __u32 now)
{
	__u32 best_age = 0, best_est = 2;
	int best = 0;

	for (int w = 0; w < XDPLB_CT_WAYS; w++) {
		__u32 est = !!(b->flags & XDPLB_CT_F_EST(w)), age = now - b->seen[w];

		if (!(b->flags & XDPLB_CT_F_USED(w)))
			return w;
		if (est < best_est || (est == best_est && age > best_age)) {
			best = w;
			best_est = est;
			best_age = age;
		}
	}
	return best;
}

/* Writes the flow into its CPU's bucket: a new pick, or one copied from
 * another CPU (established: it was seen there). */
static __always_inline void ct_remember(const struct pkt *p, const struct pick *pk)
{
	struct xdplb_flow_bucket *b = pk->bk;
	int w;
	__u32 est;

	if (!b)
		return;
	w = pk->way >= 0 ? pk->way : ct_victim(b, pk->now);
	if (w < 0 || w >= XDPLB_CT_WAYS)
		return;
	/* a TCP packet other than a SYN that starts an entry is the middle
	 * of a flow (re-selected, or its entry lost): established */
	est = pk->copied || (p->flow.proto == IPPROTO_TCP && !p->syn);
	b->tag[w] = pk->tag;
	b->ref[w] = xdplb_ct_ref(pk->id, pk->vip_id);
	b->cookie[w] = pk->be->cookie;
	b->seen[w] = pk->now;
	b->flags = (b->flags & ~XDPLB_CT_F_EST(w)) | XDPLB_CT_F_USED(w) |
		   (est ? XDPLB_CT_F_EST(w) : 0);
}

/* What pick_new() found, copied into struct pick after a miss. A struct
 * of its own: handing pick_new() the struct pick itself laid forward()
 * out differently and cost some hit rows up to 10% (design-changes 48). */
struct new_pick {
	struct xdplb_backend *be;
	__u32 id, vip_id;
	int new_flow;
};

/* A new flow (or one whose backend no longer takes it): the VIP's Maglev
 * table, at the slot of the VIP's hash (the 5-tuple's, or the source's:
 * xdplb_vip_hash()). 0, or VERDICT_DROP(NO_BACKEND, or INTERNAL for maps
 * that disagree). */
static __always_inline int maglev_pick(const struct pkt *p, const struct xdplb_vip_cfg *vip,
				       const struct xdplb_global_cfg *g, __u32 bank,
				       struct new_pick *np)
{
	struct xdplb_slot_pair *pair;
	__u32 slot, idx, half;
	void *table;

	if (!vip->table_size)
		return VERDICT_DROP(XDPLB_DROP_NO_BACKEND);
	slot = xdplb_table_slot(bank, vip->vip_id);
	table = bpf_map_lookup_elem(&tables, &slot);
	if (!table)
		return VERDICT_DROP(XDPLB_DROP_INTERNAL);
	idx = xdplb_vip_hash(&p->flow, g->hash_seed, vip->flags) % vip->table_size;
	half = idx / 2;
	pair = bpf_map_lookup_elem(table, &half);
	if (!pair)
		return VERDICT_DROP(XDPLB_DROP_INTERNAL);
	np->id = pair->id[idx & 1];
	np->be = bpf_map_lookup_elem(&backends, &np->id);
	if (!np->be || np->be->state[bank] != XDPLB_BE_ACTIVE)
		return VERDICT_DROP(XDPLB_DROP_INTERNAL);
	np->new_flow = !p->icmp; /* an ICMP error starts no flow */
	return 0;
}

/* A new flow's backend: the VIP of the packet's destination (VERDICT_PASS:
 * none) and its Maglev pick (maglev_pick()'s verdict). Not inlined:
 * forward() calls it in two places, a SYN's before its conntrack lookup
 * and any other packet's after a miss. */
static __noinline int pick_new(const struct pkt *p, const struct xdplb_global_cfg *g, __u32 bank,
			       struct new_pick *np)
{
	struct xdplb_vip_key k __attribute__((aligned(8))); /* vip_key_set() */
	struct xdplb_vip_cfg *vip;

	vip_key_set(&k, p, p->flow.dport, p->flow.proto);
	vip = vip_lookup(&k, bank, g->flags);
	if (!vip)
		return VERDICT_PASS;
	*np = (struct new_pick){ .vip_id = vip->vip_id };
	return maglev_pick(p, vip, g, bank, np);
}

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define XDPLB_MAC_MASK 0x0000ffffffffffffull /* the first 6 bytes of a load */
#else
#define XDPLB_MAC_MASK 0xffffffffffff0000ull
#endif

/* Is the frame addressed to this interface's MAC? */
static __always_inline int for_us_quiet(const struct ethhdr *eth, const struct xdplb_global_cfg *g)
{
	/* one 8-byte load each: the destination and 2 bytes of the source,
	 * if_mac and 2 bytes of nh_mac (8-aligned in ctl); compared on the
	 * 6 bytes of the MACs (three 2-byte compares cost pass ~6 ns) */
	__u64 d = *(const __u64 *)eth, m = *(const __u64 *)g->if_mac;

	return !((d ^ m) & XDPLB_MAC_MASK);
}

/* The same, counted: a frame to another unicast MAC (promiscuous mode, a
 * bridge) is someone else's, never balanced; multicast and broadcast
 * frames are never a VIP's either. */
static __always_inline int for_us(const struct ethhdr *eth, const struct xdplb_global_cfg *g)
{
	if (for_us_quiet(eth, g))
		return 1;
	if (!(eth->h_dest[0] & 1))
		count_global(XDPLB_CNT_PASS_BASE + XDPLB_PASS_FOREIGN_MAC);
	return 0;
}

/* Ethernet, then IPv4 or IPv6 and TCP or UDP into p; from the IP header
 * on when screen() gave the EtherType (screened). 0 (and the flow's tag,
 * xdplb_flow_tag() keyed with key, in *tag), or a verdict. */
static __always_inline int parse(struct xdp_md *ctx, struct pkt *p, __u32 bank,
				 const struct xdplb_global_cfg *g, const struct xdplb_vip_filter *f,
				 int screened, const __u64 key[2][XDPLB_CT_TAG_KEYS], __u64 *tag)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct cursor c = { .pos = data, .end = end };
	struct ethhdr *eth;
	struct vlan_hdr *vh;
	int proto, ret;

	if (screened) {
		/* screen(): untagged, for us, a destination that may be a
		 * VIP's */
		c.pos = data + sizeof(struct ethhdr);
		proto = screened;
	} else {
		proto = parse_eth(&c, &eth, &vh);
		if (IS_VERDICT(proto))
			return proto;
		if (!for_us(eth, g))
			return VERDICT_PASS;
		if (vh) {
			p->vlan_tpid = eth_proto(eth);
			p->vlan_tci = vh->tci;
		}
	}
	if (proto == bpf_htons(ETH_P_IP))
		ret = parse_v4(&c, p, bank, f, screened, key, tag);
	else if (proto == bpf_htons(ETH_P_IPV6))
		ret = parse_v6(&c, p, bank, f, screened, key, tag);
	else
		return VERDICT_PASS; /* ARP, LLDP, ... */
	p->frame_len = end - data;
	return ret;
}

/* The VIP's counters of a packet that reached a VIP. */
static __always_inline void count_vip(struct xdplb_vip_stats *vs, const struct pkt *p, int hit)
{
	if (!vs)
		return;
	vs->packets++;
	vs->bytes += p->frame_len;
	if (hit)
		vs->ct_hits++;
	else
		vs->ct_misses++;
}

/* Only a forwarded packet starts a flow: a dropped one (too big, say)
 * leaves no conntrack entry, and a VIP's new flows stay the sum of its
 * backends'. An ICMP error about a flow starts none (pick_backend()).
 * bs: the backend's counters on this CPU, or NULL. */
static __always_inline void forwarded(const struct pkt *p, const struct pick *pk,
				      struct xdplb_vip_stats *vs, struct xdplb_be_stats *bs)
{
	if ((pk->new_flow || pk->copied) && !p->icmp)
		ct_remember(p, pk);
	if (pk->new_flow && vs)
		vs->new_flows++;
	if (bs) {
		bs->packets++;
		bs->bytes += p->frame_len;
		if (pk->new_flow)
			bs->new_flows++;
	}
}

/* This CPU's next IPv4 ID for an ICMP answer (XDPLB_SLOT_IPV4_ID),
 * spread by CPU so that two CPUs' sequences do not run in step. */
static __always_inline __u16 next_ipv4_id(void)
{
	__u32 slot = XDPLB_SLOT_IPV4_ID;
	__u64 *n = bpf_map_lookup_elem(&global_stats, &slot);

	if (!n)
		return 0;
	return (__u16)((*n)++ + bpf_get_smp_processor_id() * 0x9e37u);
}

/* The outer IPv4 ID of p to be: 0 with DF (or no IPv4 outer header). Else
 * the count of packets this CPU sent to the backend (bs, counted right
 * after), spread by CPU: what RFC 6864 asks of a packet that may be
 * fragmented, an ID that does not repeat soon between the same outer
 * source and destination, from a counter the packet increments anyway. */
static __always_inline __u16 ipv4_id(const struct pkt *p, const struct xdplb_backend *be,
				     const struct xdplb_be_stats *bs)
{
	if (p->df || be->family != XDPLB_AF_INET)
		return 0;
	return (__u16)((bs ? bs->packets : 0) + bpf_get_smp_processor_id() * 0x9e37u);
}

/* Does some VIP of the packet's destination address take new flows? The
 * address sentinel says (XDPLB_VIP_F_SERVING, computed by the loader). */
static __always_inline int serving(const struct pkt *p, __u32 bank)
{
	__u32 want = XDPLB_VIP_F_PRESENT | XDPLB_VIP_F_SERVING;

	return (vip_addr_flags(p, bank) & want) == want;
}

/* RFC 1624 (eqn. 3): a checksum after one 16-bit word went from old to new
 * (every value as it is in the packet: the sum does not care about byte
 * order). */
static __always_inline __u16 csum_replace16(__u16 check, __u16 old, __u16 new)
{
	return csum_fold32((__u32)(__u16)~check + (__u16)~old + new);
}

/* An ICMP echo request (IPv4: no options, not a fragment) or ICMPv6 echo
 * request (no extension header) to a VIP address some VIP of which takes
 * new flows, from a unicast source: answered in place. MACs and addresses
 * swapped, TTL / hop limit XDPLB_ECHO_TTL, the type made a reply and the
 * checksums updated (the ICMPv6 pseudo-header's sum does not change when
 * the addresses swap); identifier, sequence, payload and any Ethernet
 * padding unchanged. 0 (send it back), or VERDICT_PASS for everything
 * else. docs/datapath.md has the rules. */
static __always_inline int echo(struct xdp_md *ctx, const struct pkt *p, __u32 bank)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	void *l3 = data + sizeof(*eth) + (p->vlan_tpid ? sizeof(struct vlan_hdr) : 0);
	__u16 *w, old;

	if ((void *)(eth + 1) > end || (eth->h_source[0] & 1))
		return VERDICT_PASS; /* never answer a multicast source */
	if (p->flow.family == XDPLB_AF_INET) {
		struct iphdr *iph = l3;
		struct echo_hdr *ih = l3 + sizeof(*iph);
		__u8 s0 = ((__u8 *)&iph->saddr)[0];
		__be32 a;

		if ((void *)(ih + 1) > end || *(__u8 *)iph != 0x45 ||
		    (iph->frag_off & bpf_htons(IP4_MF | IP4_OFFSET)) ||
		    bpf_ntohs(iph->tot_len) < sizeof(*iph) + sizeof(*ih) ||
		    (void *)iph + bpf_ntohs(iph->tot_len) > end)
			return VERDICT_PASS;
		if (ih->type != ICMP_ECHO || ih->code || !s0 || s0 >= 224)
			return VERDICT_PASS; /* 0.0.0.0/8, multicast, class E, broadcast */
		if (!serving(p, bank))
			return VERDICT_PASS;
		a = iph->saddr;
		iph->saddr = iph->daddr;
		iph->daddr = a;
		iph->ttl = XDPLB_ECHO_TTL;
		iph->check = 0;
		iph->check = ip4_hdr_csum(iph);
		w = (__u16 *)ih;
		old = *w;
		ih->type = ICMP_ECHOREPLY;
		ih->checksum = csum_replace16(ih->checksum, old, *w);
	} else {
		struct ipv6hdr *ip6h = l3;
		struct echo_hdr *ih = l3 + sizeof(*ip6h);
		struct in6_addr a;

		if ((void *)(ih + 1) > end || ip6h->version != 6 ||
		    bpf_ntohs(ip6h->payload_len) < sizeof(*ih) ||
		    (void *)(ip6h + 1) + bpf_ntohs(ip6h->payload_len) > end)
			return VERDICT_PASS;
		if (ih->type != ICMPV6_ECHO_REQUEST || ih->code)
			return VERDICT_PASS; /* neighbour discovery, errors, ... */
		if (ip6h->saddr.in6_u.u6_addr8[0] == 0xff ||
		    !(ip6h->saddr.in6_u.u6_addr32[0] | ip6h->saddr.in6_u.u6_addr32[1] |
		      ip6h->saddr.in6_u.u6_addr32[2] | ip6h->saddr.in6_u.u6_addr32[3]))
			return VERDICT_PASS; /* multicast or unspecified source */
		if (!serving(p, bank))
			return VERDICT_PASS;
		a = ip6h->saddr;
		ip6h->saddr = ip6h->daddr;
		ip6h->daddr = a;
		ip6h->hop_limit = XDPLB_ECHO_TTL;
		w = (__u16 *)ih;
		old = *w;
		ih->type = ICMPV6_ECHO_REPLY;
		ih->checksum = csum_replace16(ih->checksum, old, *w);
	}
	mac_swap(eth);
	count_global(XDPLB_CNT_REPLY_BASE + XDPLB_REPLY_ICMP_ECHO);
	return 0;
}

/* May this CPU send one more ICMP error? "icmp_rate" a second (a fixed
 * window of one second, per CPU: no lock, no shared cache line); 0 sends
 * none. An LB answers spoofed sources too: the limit bounds what it
 * reflects. */
static __always_inline int icmp_allowed(const struct xdplb_ctl *cl,
					const struct xdplb_global_cfg *g)
{
	__u32 ws = XDPLB_SLOT_ICMP_WINDOW, ss = XDPLB_SLOT_ICMP_SENT;
	__u64 *win = bpf_map_lookup_elem(&global_stats, &ws);
	__u64 *sent = bpf_map_lookup_elem(&global_stats, &ss);
	__u64 now;

	if (!g->icmp_rate || !win || !sent)
		return 0;
	now = bpf_jiffies64() / (cl->ct_hz ? cl->ct_hz : 250);
	if (*win != now) {
		*win = now;
		*sent = 0;
	}
	if (*sent >= g->icmp_rate)
		return 0;
	*sent += 1;
	return 1;
}

/* A VIP packet that would not fit once encapsulated (to be, whose outer
 * header is olen bytes): answered with the ICMP error that makes its
 * sender lower its path MTU to mtu - olen (IPv6: never below 1280), when
 * the rate limit allows. An IPv4 packet without DF asked for fragments,
 * which XDP cannot make (and the LB would drop as a fragment): it is
 * dropped, as are ICMP errors themselves. 0 (send it back), or
 * VERDICT_DROP(TOO_BIG). */
static __always_inline int too_big(struct xdp_md *ctx, const struct pkt *p,
				   const struct xdplb_ctl *cl, const struct xdplb_global_cfg *g,
				   const struct xdplb_backend *be)
{
	__u32 mtu = g->mtu - encap_outer_len(be);
	int ret;

	if (p->icmp || !p->df || !icmp_allowed(cl, g))
		return VERDICT_DROP(XDPLB_DROP_TOO_BIG);
	if (p->flow.family == XDPLB_AF_INET) {
		ret = write_frag_needed(ctx, p, (__u16)mtu, next_ipv4_id());
		if (!ret)
			count_global(XDPLB_CNT_REPLY_BASE + XDPLB_REPLY_FRAG_NEEDED);
		return ret;
	}
	if (mtu < XDPLB_IPV6_MIN_MTU)
		mtu = XDPLB_IPV6_MIN_MTU;
	if (p->l3_len >= XDPLB_ICMP6_QUOTE)
		ret = write_pkt_too_big(ctx, p, mtu, XDPLB_ICMP6_QUOTE);
	else
		ret = write_pkt_too_big(ctx, p, mtu, XDPLB_ICMP6_QUOTE_SHORT);
	if (!ret)
		count_global(XDPLB_CNT_REPLY_BASE + XDPLB_REPLY_PACKET_TOO_BIG);
	return ret;
}

/* A TCP/UDP packet to a VIP address, or an ICMP error about one of its
 * flows (p->icmp), tagged tag (xdplb_flow_tag()): to the flow's backend,
 * encapsulated. The flow's remembered backend if it still takes the
 * packet, else the VIP's Maglev table. XDP_TX, or a verdict (VERDICT_PASS:
 * no such VIP). */
static __always_inline int forward(struct xdp_md *ctx, const struct pkt *p,
				   const struct xdplb_ctl *cl, __u32 bank,
				   const struct xdplb_global_cfg *g, __u64 tag)
{
	struct xdplb_be_stats *bs = NULL;
	struct xdplb_vip_stats *vs;
	struct new_pick np;
	struct pick pk;
	int ret, hit;

	pk = (struct pick){ .tag = tag, .way = -1 };
	ret = 1; /* not picked yet */
	if (p->syn) {
		/* most likely a new flow: its Maglev slot is read before its
		 * bucket, so that the two cold loads are in flight together */
		ret = pick_new(p, g, bank, &np);
		if (ret == VERDICT_PASS)
			return VERDICT_PASS;
	}
	hit = conntrack_hit(p, cl, bank, &pk);
	if (hit) {
		vs = bpf_map_lookup_elem(&vip_stats, &pk.vip_id);
		ret = 0;
	} else {
		if (ret > 0)
			ret = pick_new(p, g, bank, &np);
		if (ret == VERDICT_PASS)
			return VERDICT_PASS;
		vs = bpf_map_lookup_elem(&vip_stats, &np.vip_id);
		pk.be = np.be;
		pk.id = np.id;
		pk.vip_id = np.vip_id;
		pk.new_flow = np.new_flow;
	}
	count_vip(vs, p, hit);
	if (!IS_VERDICT(ret)) {
		bs = bpf_map_lookup_elem(&be_stats, &pk.id);
		ret = encap(ctx, p, pk.be, g, xdplb_flow_mix(pk.tag), ipv4_id(p, pk.be, bs));
	}
	if (IS_VERDICT(ret)) {
		/* not delivered, whether the sender hears of it or not */
		if (vs)
			vs->drops++;
		if (ret == VERDICT_DROP(XDPLB_DROP_TOO_BIG))
			ret = too_big(ctx, p, cl, g, pk.be);
		return IS_VERDICT(ret) ? ret : XDP_TX;
	}
	forwarded(p, &pk, vs, bs);
	return XDP_TX;
}

/* ICMP or ICMPv6 to what may be a VIP address: an echo request answered
 * (echo(), with "icmp_echo"), an error quoting a packet of a VIP flow
 * encapsulated to the flow's backend; everything else (neighbour
 * discovery, an error about no VIP flow, ...) passed, and counted when
 * the address is a VIP's. XDP_TX or a verdict. */
static __always_inline int icmp(struct xdp_md *ctx, const struct pkt *p, const struct xdplb_ctl *cl,
				__u32 bank, const struct xdplb_global_cfg *g)
{
	struct pkt q;
	int ret;

	if ((g->flags & XDPLB_G_F_ICMP_ECHO) && !IS_VERDICT(echo(ctx, p, bank)))
		return XDP_TX;
	if (!IS_VERDICT(icmp_quoted_flow(ctx, p, &q))) {
		ret = forward(ctx, &q, cl, bank, g, xdplb_flow_tag(&q.flow, cl->ct_key));
		if (ret == XDP_TX)
			count_global(XDPLB_CNT_ICMP_BASE + XDPLB_ICMP_STEERED);
		if (ret != VERDICT_PASS)
			return ret;
	}
	if (vip_addr_flags(p, bank) & XDPLB_VIP_F_PRESENT)
		count_global(XDPLB_CNT_ICMP_BASE + XDPLB_ICMP_PASSED);
	return VERDICT_PASS;
}

/* Most of what an LB receives is not for a VIP. An untagged IPv4 or IPv6
 * frame to this interface whose destination the VIP filter rules out is
 * passed here, from registers, before the parser fills struct pkt: pass
 * costs 0.9x a46fc2b's with it, 1.4x without. VERDICT_PASS: such a frame
 * (the parser would pass it too, with no pass reason); the EtherType of
 * one that may be a VIP's, for parse() to go on from its IP header; 0:
 * anything else (a tag, another MAC, a short header), which parse() takes
 * from the start, and counts. */
static __always_inline int screen(struct xdp_md *ctx, const struct xdplb_vip_filter *f,
				  const struct xdplb_global_cfg *g)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__be16 proto;
	__u32 x;

	if ((void *)(eth + 1) > end)
		return 0;
	proto = eth_proto(eth);
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = (void *)(eth + 1);

		if ((void *)(iph + 1) > end)
			return 0;
		x = iph->daddr;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = (void *)(eth + 1);

		if ((void *)(ip6h + 1) > end)
			return 0;
		x = xdplb_vip_filter_fold6(ip6h->daddr.in6_u.u6_addr32);
	} else {
		return 0;
	}
	if (!for_us_quiet(eth, g))
		return 0;
	if (!vip_filter_has(f, xdplb_vip_filter_mix(x)))
		return VERDICT_PASS;
	return proto;
}

/* The packet's way; XDP_TX when it leaves encapsulated (or is answered),
 * else a verdict. */
static __always_inline int process(struct xdp_md *ctx)
{
	struct xdplb_vip_filter *f;
	struct xdplb_global_cfg *g;
	struct xdplb_ctl *cl;
	__u32 zero = 0, bank;
	int ret, screened;

	cl = bpf_map_lookup_elem(&ctl, &zero);
	if (!cl)
		return VERDICT_PASS;
	bank = xdplb_active_bank(cl);
	g = &cl->bank[bank];
	/* the filter looked up before any of the packet is read: a lookup
	 * is a call to the compiler, and one in the middle of the screen
	 * made it spill what the parser needs next (drops cost 5% more
	 * screened than parsed from the start) */
	f = bpf_map_lookup_elem(&vip_filter, &bank);
	if (!f)
		return VERDICT_PASS;
	screened = screen(ctx, f, g);
	if (IS_VERDICT(screened))
		return screened;

	/* zeroed only for a frame that may be a VIP's */
	struct pkt p = {};
	__u64 tag = 0;

	ret = parse(ctx, &p, bank, g, f, screened, cl->ct_key, &tag);
	if (IS_VERDICT(ret))
		return ret;
	if (ret == PARSED_ICMP)
		return icmp(ctx, &p, cl, bank, g);
	return forward(ctx, &p, cl, bank, g, tag);
}

SEC("xdp")
int xdplb_lb(struct xdp_md *ctx)
{
	int ret = process(ctx);

	if (IS_VERDICT(ret))
		return verdict_action(ret);
	count_global(ret);
	return ret;
}

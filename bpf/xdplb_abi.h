/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * xdplb_abi.h - the one contract between the BPF programs and userspace.
 *
 * Every map key, value, flag and limit that both sides use is defined here
 * and nowhere else. Fixed-width types, explicit padding, no bitfields: the
 * loader checks the sizes with _Static_assert.
 *
 * Atomic reloads use two banks. Everything that a config changes is stored
 * twice, once per bank (bank[0], bank[1]); the active bank is one __u32 in
 * the ctl map. A packet reads it once and then uses only that bank. The
 * loader writes the whole new config into the inactive bank, flips the
 * active index (one aligned word), then waits for an RCU grace period before
 * it may touch the old bank again. See docs/atomicity.md.
 */
#ifndef XDPLB_ABI_H
#define XDPLB_ABI_H

#include <linux/types.h>
#include <linux/bpf.h> /* enum xdp_action */

/* 3: tables BPF_F_MMAPABLE; 4: ctl records the program, backends carry
 * configured state and health next to the effective state; 5: global_stats
 * of 64 slots; 6: be_slots, each backend's table slots published; 7:
 * conntrack a per-CPU set-associative flow table in an array, its geometry
 * and seed in ctl; 8: conntrack's flow tags from xdplb_flow_tag()'s
 * multiply-shift hash (a version-7 program's entries would not be found:
 * the same layout, other contents); 9: a conntrack way keeps its VIP's id
 * next to the backend id (ref, xdplb_ct_ref()), and the tag is two
 * pair-multiply hashes keyed with ctl.ct_key (ct_seed is gone) */
#define XDPLB_ABI_VERSION 9

#ifndef __xdplb_inline
#define __xdplb_inline static inline __attribute__((always_inline))
#endif

/* Capacities. Maps are created with these sizes. They are twice what one
 * config may hold (docs/config.md), so that any update fits while the old
 * config is still live in the other bank. */
#define XDPLB_MAX_VIPS 8192 /* VIP ids 0..MAX_VIPS-1 */
#define XDPLB_MAX_BACKENDS 262144 /* backend ids, over all VIPs */
#define XDPLB_MIN_TABLE_SIZE 101
#define XDPLB_MAX_TABLE_SIZE 1048573 /* largest prime below 2^20 */
#define XDPLB_DEFAULT_TABLE_SIZE 65537
#define XDPLB_DEFAULT_CT_SIZE 1048576
#define XDPLB_NAME_LEN 64 /* names of VIPs and backends, NUL included */

#define XDPLB_BANKS 2
/* tables outer map: slot xdplb_table_slot(bank, vip_id), plus one barrier
 * slot that the loader updates only to wait for an RCU grace period. */
#define XDPLB_TABLE_SLOTS (XDPLB_BANKS * XDPLB_MAX_VIPS + 1)
#define XDPLB_BARRIER_SLOT (XDPLB_BANKS * XDPLB_MAX_VIPS)

/* The tables slot of a VIP's table in a bank. */
__xdplb_inline __u32 xdplb_table_slot(__u32 bank, __u32 vip_id)
{
	return bank * XDPLB_MAX_VIPS + vip_id;
}

/* Outer headers written by the encapsulation. */
#define XDPLB_ENCAP_TTL 64
/* TTL / hop limit of the LB's own echo replies and ICMP errors */
#define XDPLB_ECHO_TTL 64
/* The LB's "fragmentation needed" (IPv4) and "packet too big" (IPv6) for
 * a VIP packet that does not fit once encapsulated quote the packet's
 * first bytes: as many as keep the error within 576 bytes (IPv4, RFC 1812
 * 4.3.2.3) or 1280 (IPv6, RFC 4443 2.4(c)). config mtu >= 576 makes every
 * too-big IPv4 packet longer than XDPLB_ICMP4_QUOTE; an IPv6 packet that
 * is too big yet shorter than XDPLB_ICMP6_QUOTE (IPv4 backends, mtu below
 * 1272) is quoted XDPLB_ICMP6_QUOTE_SHORT bytes. Fixed sizes: the
 * checksum is summed in constant chunks the verifier can follow. */
#define XDPLB_ICMP4_QUOTE 548 /* 576 - 20 - 8 */
#define XDPLB_ICMP6_QUOTE 1232 /* 1280 - 40 - 8 */
#define XDPLB_ICMP6_QUOTE_SHORT 512
#define XDPLB_IPV6_MIN_MTU 1280 /* a packet too big never says less */
#define XDPLB_DEFAULT_ICMP_RATE 100 /* ICMP errors a second per CPU */
#define XDPLB_IPV4_HDR_LEN 20
#define XDPLB_IPV6_HDR_LEN 40

enum xdplb_family {
	XDPLB_AF_NONE = 0,
	XDPLB_AF_INET = 4,
	XDPLB_AF_INET6 = 6,
};

/* An IPv4 or IPv6 address. IPv4 lives in v4 (= v6[0]); bytes 4..15 are zero. */
struct xdplb_addr {
	union {
		__be32 v4;
		__be32 v6[4];
		__u8 b[16];
	};
};

/* ----------------------------------------------------------------------- */
/* vips: HASH, key struct xdplb_vip_key, value struct xdplb_vip_val.
 * One entry per (address, port, protocol) of a VIP; port 0 = every port of
 * that address and protocol (an exact port wins). proto 0, port 0 is the
 * address sentinel: it marks an address as a VIP address, so that malformed
 * or unsupported packets to it are dropped and counted instead of passed.
 * On the sentinel alone, XDPLB_VIP_F_SERVING says that some VIP of the
 * address has a backend taking new flows in that bank (a table_size other
 * than 0): the loader computes it with the tables, so that an ICMP echo
 * request to the address is answered only when the service can be
 * reached, for the price of the one lookup that finds the sentinel. */
struct xdplb_vip_key {
	struct xdplb_addr addr;
	__be16 port; /* network byte order */
	__u8 proto; /* IPPROTO_TCP, IPPROTO_UDP, or 0 for the address sentinel */
	__u8 family; /* enum xdplb_family */
};

#define XDPLB_VIP_F_PRESENT (1u << 0) /* the entry exists in this bank */
/* The VIP's Maglev table is indexed by the hash of the source and VIP
 * addresses alone, no ports (config "hash": "source"): every connection of
 * a client goes to one backend. Clear: the 5-tuple's (xdplb_vip_hash()). */
#define XDPLB_VIP_F_HASH_SOURCE (1u << 1)
#define XDPLB_VIP_F_SERVING (1u << 2) /* sentinel: some VIP of the address takes new flows */

struct xdplb_vip_cfg {
	__u32 flags; /* XDPLB_VIP_F_* */
	__u32 vip_id; /* index into vip_stats, vip_names and tables */
	__u32 table_size; /* Maglev M; 0 = no backend takes new flows */
	__u32 pad;
};

struct xdplb_vip_val {
	struct xdplb_vip_cfg bank[XDPLB_BANKS];
};

/* ----------------------------------------------------------------------- */
/* backends: ARRAY[XDPLB_MAX_BACKENDS], value struct xdplb_backend.
 * A backend id belongs to one (VIP, backend address) pair for as long as the
 * pair is in the config. addr/family/vip_id/cookie never change while an id
 * is in use; the rest changes per bank. cookie changes each time an id is
 * handed to a new backend, and conntrack entries carry it, so a flow never
 * follows a reused id to the wrong server.
 *
 * Three states per bank (docs/health.md): cfg_state is the configured one
 * (the config file, or an operator's override: XDPLB_BE_F_OVERRIDE);
 * health is what the health checks decided; state, the effective one and
 * the only one the data path reads, is cfg_state unless cfg_state is
 * ACTIVE and health is OUT, then the VIP's out state (down or drain). The
 * fields the data path reads come first, in the first 27 bytes. */
enum xdplb_backend_state {
	XDPLB_BE_NONE = 0, /* not in this bank's config (removed, or not yet added) */
	XDPLB_BE_ACTIVE = 1, /* new and established flows */
	XDPLB_BE_DRAIN = 2, /* established flows only */
	XDPLB_BE_DOWN = 3, /* nothing; its flows re-select */
};

enum xdplb_health {
	XDPLB_HEALTH_NONE = 0, /* not checked, or not decided yet */
	XDPLB_HEALTH_UP = 1, /* passing */
	XDPLB_HEALTH_OUT = 2, /* failing: taken out */
	XDPLB_HEALTH_KEPT = 3, /* failing, kept in by the cascade guard (fail open) */
};

#define XDPLB_BE_F_OVERRIDE (1u << 0) /* cfg_state/weight set by `xdplb backend set` */

struct xdplb_backend {
	struct xdplb_addr addr;
	__u32 vip_id;
	__u32 cookie; /* 0 = never used */
	__u8 family; /* enum xdplb_family */
	__u8 state[XDPLB_BANKS]; /* effective: enum xdplb_backend_state */
	__u8 cfg_state[XDPLB_BANKS]; /* configured: enum xdplb_backend_state */
	__u8 health[XDPLB_BANKS]; /* enum xdplb_health */
	__u8 flags[XDPLB_BANKS]; /* XDPLB_BE_F_* */
	__u8 pad;
	__u16 weight[XDPLB_BANKS]; /* configured; informational: the data path uses tables */
	__u16 pad2;
};

/* ----------------------------------------------------------------------- */
/* tables: ARRAY_OF_MAPS[XDPLB_TABLE_SLOTS]; inner: ARRAY of slot pairs,
 * XDPLB_TABLE_ENTRIES(table_size) entries, created XDPLB_TABLE_MAP_FLAGS:
 * BPF_F_INNER_MAP because sizes differ per VIP, BPF_F_MMAPABLE so that
 * userspace writes a table and reads it back (status, every scrape's
 * first look) at memory speed instead of a syscall copy per entry. Outer
 * slot xdplb_table_slot(bank, vip_id). Table slot i = flow hash %
 * table_size is id[i % 2] of entry i / 2: array maps round values up to 8
 * bytes, so two 32-bit ids per entry halve a table's memory. */
struct xdplb_slot_pair {
	__u32 id[2]; /* backend ids */
};

#define XDPLB_TABLE_ENTRIES(m) (((m) + 1) / 2)
#define XDPLB_TABLE_MAP_FLAGS (BPF_F_INNER_MAP | BPF_F_MMAPABLE) /* from linux/bpf.h */

/* be_slots: ARRAY[XDPLB_MAX_BACKENDS] (BPF_F_MMAPABLE), value struct
 * xdplb_be_slots, by backend id. How many slots of its VIP's table in each
 * bank a backend holds, written by the commit with the tables. The data
 * path never reads it: it is there so that an exporter counts slots
 * without opening the tables, which are unpinned inner maps reachable
 * only by id (BPF_MAP_GET_FD_BY_ID needs CAP_SYS_ADMIN); a pinned,
 * mmapable array needs the pin's file permissions and CAP_BPF. `audit`
 * checks it against the tables themselves. */
struct xdplb_be_slots {
	__u32 slots[XDPLB_BANKS];
};

/* ----------------------------------------------------------------------- */
/* The 5-tuple of a packet to a VIP, as received: what conntrack remembers
 * (hashed, xdplb_flow_tag()) and what the Maglev hash reads. */
struct xdplb_flow_key {
	struct xdplb_addr src;
	struct xdplb_addr dst;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 family;
	__u8 pad[2];
};

/* conntrack: ARRAY[ct_cpus << ct_bits] of struct xdplb_flow_bucket,
 * BPF_F_MMAPABLE (which also aligns every bucket to its cache line). A
 * per-CPU set-associative flow table (docs/design-changes.md 37): CPU c
 * owns buckets [c << ct_bits, (c + 1) << ct_bits) and only it writes them,
 * so an insert takes no lock and evicts by a rule of its own instead of the
 * kernel's LRU lists. A flow is found by the 64-bit keyed hash of its
 * 5-tuple (xdplb_flow_tag()): xdplb_ct_bucket() picks the bucket, all 64 bits
 * are compared. A packet that is not a SYN and misses its CPU's bucket
 * looks at the same bucket of the other CPUs (a flow whose packets moved
 * CPU keeps its backend) and copies what it finds. Victims, in order: a
 * free way, the oldest flow never seen again after its first packet (a SYN
 * flood evicts its own), the oldest. A way names its backend and that
 * backend's VIP in one word (ref): a hit counts the VIP without waiting
 * for the backend's entry to name it. */
#define XDPLB_CT_WAYS 3
#define XDPLB_CT_MAX_CPUS 128 /* CPUs a packet looks at, its own included */
#define XDPLB_CT_F_USED(w) (1u << (w)) /* the way holds a flow */
#define XDPLB_CT_F_EST(w) (1u << (8 + (w))) /* ... seen again after its first packet */
/* seen: jiffies >> XDPLB_CT_TIME_SHIFT (1.02 s at HZ 250, 0.26 s at HZ 1000):
 * the kernel's tick count, the cheapest clock a program can read */
#define XDPLB_CT_TIME_SHIFT 8
/* the flow tag's words (xdplb_flow_tag()) and keys a half: a key a word
 * (two a pair of words) and a constant term */
#define XDPLB_CT_TAG_WORDS 10
#define XDPLB_CT_TAG_KEYS (XDPLB_CT_TAG_WORDS + 1)
/* ref: the backend id in the low XDPLB_CT_REF_ID_BITS, the id of its VIP
 * above (an id's VIP never changes while the id is in use, and the cookie
 * says whether it still is) */
#define XDPLB_CT_REF_ID_BITS 18
#define XDPLB_CT_REF_ID_MASK ((1u << XDPLB_CT_REF_ID_BITS) - 1)

__xdplb_inline __u32 xdplb_ct_ref(__u32 backend_id, __u32 vip_id)
{
	return vip_id << XDPLB_CT_REF_ID_BITS | (backend_id & XDPLB_CT_REF_ID_MASK);
}

__xdplb_inline __u32 xdplb_ct_ref_backend(__u32 ref)
{
	return ref & XDPLB_CT_REF_ID_MASK;
}

__xdplb_inline __u32 xdplb_ct_ref_vip(__u32 ref)
{
	return ref >> XDPLB_CT_REF_ID_BITS;
}

/* udp_timeout (seconds) in seen units at the kernel's hz, rounded up: a
 * flow is expired when now - seen is more than this. Two stamps d units
 * apart may be as little as (d - 1) units of real time apart, so a flow
 * that idled less than the timeout is never taken for expired; it may
 * idle up to two units (2 s at HZ 250) longer. Rounded down, udp_timeout
 * 2 at HZ 250 was one unit: a flow idle 1.03 s could expire. */
__xdplb_inline __u32 xdplb_ct_idle_units(__u32 timeout_s, __u32 hz)
{
	return (timeout_s * hz + (1u << XDPLB_CT_TIME_SHIFT) - 1) >> XDPLB_CT_TIME_SHIFT;
}

struct xdplb_flow_bucket {
	__u64 tag[XDPLB_CT_WAYS]; /* xdplb_flow_tag() of the way's flow */
	__u32 ref[XDPLB_CT_WAYS]; /* xdplb_ct_ref(backend id, its VIP's id) */
	__u32 cookie[XDPLB_CT_WAYS]; /* must equal the backend's cookie */
	__u32 seen[XDPLB_CT_WAYS]; /* last packet: jiffies >> XDPLB_CT_TIME_SHIFT */
	__u32 flags; /* XDPLB_CT_F_* */
};

/* ----------------------------------------------------------------------- */
/* ctl: ARRAY[1], value struct xdplb_ctl. Global settings per bank and the
 * active bank index. */
#define XDPLB_G_F_PORTLESS (1u << 0) /* some VIP is port-less: try port 0 */
#define XDPLB_G_F_ICMP_ECHO (1u << 1) /* answer echo requests to VIP addresses ("icmp_echo") */

struct xdplb_global_cfg {
	__u8 if_mac[6]; /* source MAC of encapsulated frames */
	__u8 nh_mac[6]; /* destination MAC: the next hop */
	__u32 flags; /* XDPLB_G_F_* */
	__u32 hash_seed;
	__u32 mtu; /* L3 MTU after encapsulation */
	__be32 src_v4; /* outer source; host bits come from the flow hash */
	__be32 src_v4_hostmask; /* network byte order; 0 = fixed source */
	struct xdplb_addr src_v6;
	__be32 src_v6_hostmask; /* applies to the last word, v6[3] */
	__u32 generation; /* increments with every applied config (not with health) */
	__u32 health_seq; /* increments with every commit of health changes alone */
	/* the loader's alone (the program never reads it): the first 4 bytes
	 * of the SHA-256 of this LB's host settings, so that a changed host
	 * file is not taken for the live config (was padding: 0) */
	__u32 host_tag;
	__u64 load_time; /* seconds since the epoch */
	/* SHA-256 of the canonical form of the config's shared part
	 * (docs/fleet.md): the same on every LB of a fleet running the same
	 * service */
	__u8 digest[32];
	__u32 udp_timeout; /* seconds a UDP flow may idle, then it is a new flow; 0: never */
	/* "icmp_rate": fragmentation-needed / packet-too-big errors each CPU
	 * may send a second (a window of one second); 0: none (was padding) */
	__u32 icmp_rate;
};

struct xdplb_ctl {
	__u32 active; /* the bank packets use: read it with xdplb_active_bank() */
	__u32 abi_version;
	__u32 next_cookie; /* the loader's allocator for backend cookies */
	__u32 be_span; /* backend ids ever used are below this: what a reader reads */
	struct xdplb_global_cfg bank[XDPLB_BANKS];
	/* The program the link runs, as the last load left it: SHA-256 of the
	 * BPF object it came from and its id. A load whose object has the same
	 * digest, on a link still running that id, loads no program. */
	__u8 prog_digest[32];
	__u32 prog_id;
	__u32 flags; /* XDPLB_CTL_F_*: the loader's, the program reads none (was padding) */
	/* conntrack's geometry and hash key, written when it is created and
	 * never again (the flows it holds are found with them): buckets per
	 * CPU 1 << ct_bits, CPUs ct_cpus, xdplb_flow_tag() keys ct_key (from
	 * getrandom, so that nobody outside can aim flows at one bucket), and
	 * the conntrack_size it was made for (the loader's: the program reads
	 * the others) */
	__u32 ct_bits;
	__u32 ct_cpus;
	__u32 ct_size;
	__u32 ct_hz; /* the kernel's HZ: seen is in its jiffies (udp_timeout) */
	__u64 ct_key[2][XDPLB_CT_TAG_KEYS];
};

/* The live config is in no history: loaded with --no-history, or its
 * history entry could not be committed. The next load that can write the
 * history records it (as an entry without the config's bytes) and clears
 * this. */
#define XDPLB_CTL_F_UNRECORDED (1u << 0)

/* The bank packets use (and the one a loader must leave alone). */
__xdplb_inline __u32 xdplb_active_bank(const struct xdplb_ctl *c)
{
	return c->active & 1;
}

/* ----------------------------------------------------------------------- */
/* vip_filter: ARRAY[XDPLB_BANKS], value struct xdplb_vip_filter. A bit per
 * hash of a VIP destination address (xdplb_vip_filter_bit()): a packet
 * whose destination's bit is clear in the active bank cannot be for a VIP
 * and is passed before any hash lookup. A bloom filter with one hash:
 * false positives only cost the full lookup. */
#define XDPLB_FILTER_SHIFT 16
#define XDPLB_FILTER_BITS (1u << XDPLB_FILTER_SHIFT)
#define XDPLB_FILTER_WORDS (XDPLB_FILTER_BITS / 64)

struct xdplb_vip_filter {
	__u64 w[XDPLB_FILTER_WORDS];
};

/* ----------------------------------------------------------------------- */
/* Counters. All per-CPU arrays; readers sum the CPUs. */

/* be_stats: PERCPU_ARRAY[XDPLB_MAX_BACKENDS] */
struct xdplb_be_stats {
	__u64 packets;
	__u64 bytes; /* frame bytes as received, before encapsulation */
	__u64 new_flows;
};

/* vip_stats: PERCPU_ARRAY[XDPLB_MAX_VIPS] */
struct xdplb_vip_stats {
	__u64 packets;
	__u64 bytes;
	__u64 new_flows;
	__u64 ct_hits;
	__u64 ct_misses;
	__u64 drops;
};

/* The reasons a packet is dropped (or, for the decap program, passed
 * instead of decapsulated). X(enum suffix, metric label, what it means). */
#define XDPLB_DROP_REASONS(X)                                                             \
	X(MALFORMED, "malformed", "truncated or inconsistent IP/TCP/UDP header to a VIP") \
	X(IPV4_OPTIONS, "ipv4_options", "IPv4 header with options to a VIP address")      \
	X(FRAGMENT, "fragment", "IPv4 fragment to a VIP address")                         \
	X(IPV6_EXTHDR, "ipv6_exthdr", "IPv6 extension header to a VIP address")           \
	X(NO_BACKEND, "no_backend", "new flow and no backend takes new flows")            \
	X(TOO_BIG, "too_big", "larger than the MTU once encapsulated")                    \
	X(ENCAP, "encap", "could not make room for the outer header or trim the padding") \
	X(INTERNAL, "internal", "inconsistent maps (a bug): table slot to a bad backend")

#define XDPLB_X_ENUM(name, label, help) XDPLB_DROP_##name,
enum xdplb_drop_reason {
	XDPLB_DROP_REASONS(XDPLB_X_ENUM) XDPLB_DROP_MAX,
};
#undef XDPLB_X_ENUM

/* Packets passed to the kernel untouched for a reason worth counting
 * (everything not for a VIP is passed too, and counted only as XDP_PASS).
 * X(enum suffix, metric label, what it means). */
#define XDPLB_PASS_REASONS(X)         \
	X(FOREIGN_MAC, "foreign_mac", \
	  "unicast frame to another MAC (promiscuous mode, a bridge): never balanced")

#define XDPLB_X_ENUM(name, label, help) XDPLB_PASS_##name,
enum xdplb_pass_reason {
	XDPLB_PASS_REASONS(XDPLB_X_ENUM) XDPLB_PASS_MAX,
};
#undef XDPLB_X_ENUM

/* Packets the LB answers itself with XDP_TX (they are counted as XDP_TX
 * too, and on no VIP or backend). X(enum suffix, metric label, what it
 * means). */
#define XDPLB_REPLY_KINDS(X)                                                                   \
	X(ICMP_ECHO, "icmp_echo",                                                              \
	  "ICMP or ICMPv6 echo request to a VIP address that takes new flows, answered")       \
	X(FRAG_NEEDED, "frag_needed",                                                          \
	  "IPv4 VIP packet with DF too big once encapsulated, answered with an ICMP "          \
	  "fragmentation needed (instead of a too_big drop)")                                  \
	X(PACKET_TOO_BIG, "packet_too_big",                                                    \
	  "IPv6 VIP packet too big once encapsulated, answered with an ICMPv6 packet too big " \
	  "(instead of a too_big drop)")

#define XDPLB_X_ENUM(name, label, help) XDPLB_REPLY_##name,
enum xdplb_reply_kind {
	XDPLB_REPLY_KINDS(XDPLB_X_ENUM) XDPLB_REPLY_MAX,
};
#undef XDPLB_X_ENUM

/* ICMP and ICMPv6 to a VIP address other than echo requests answered:
 * what became of it. X(enum suffix, metric label, what it means). A new
 * group (not pass reasons) so that no counter already pinned moves slot. */
#define XDPLB_ICMP_ACTIONS(X)                                                               \
	X(STEERED, "steered",                                                               \
	  "error (unreachable, too big, time exceeded) quoting a packet of a VIP flow, "    \
	  "encapsulated to the flow's backend (also counted as XDP_TX and on the backend)") \
	X(PASSED, "passed",                                                                 \
	  "any other ICMP to a VIP address (other types, an error quoting no VIP flow, "    \
	  "echo requests while icmp_echo is off), left to the stack")

#define XDPLB_X_ENUM(name, label, help) XDPLB_ICMP_##name,
enum xdplb_icmp_action {
	XDPLB_ICMP_ACTIONS(XDPLB_X_ENUM) XDPLB_ICMP_MAX,
};
#undef XDPLB_X_ENUM

/* global_stats: PERCPU_ARRAY[XDPLB_GLOBAL_SLOTS] of __u64.
 * [0, XDPLB_ACTION_MAX): XDP action counts by return code, but for
 *   XDP_DROP, which the data path leaves at 0: a drop is counted once, by
 *   its reason (one counter update less per drop), and readers fill in
 *   the action's count as their sum (xdplb_global_fold()).
 * [XDPLB_CNT_DROP_BASE + reason]: drops by reason.
 * [XDPLB_CNT_PASS_BASE + reason]: passes by reason.
 * [XDPLB_CNT_REPLY_BASE + kind]: packets answered by the LB, by kind.
 * [XDPLB_CNT_ICMP_BASE + action]: ICMP to VIP addresses, by what became of it.
 * Slots up to XDPLB_GLOBAL_SLOTS are room for counters to come: adding
 * one does not change the map (and the ABI). */
#define XDPLB_ACTION_MAX 5 /* XDP_ABORTED .. XDP_REDIRECT */
#define XDPLB_CNT_DROP_BASE XDPLB_ACTION_MAX
#define XDPLB_CNT_PASS_BASE (XDPLB_CNT_DROP_BASE + XDPLB_DROP_MAX)
#define XDPLB_CNT_REPLY_BASE (XDPLB_CNT_PASS_BASE + XDPLB_PASS_MAX)
#define XDPLB_CNT_ICMP_BASE (XDPLB_CNT_REPLY_BASE + XDPLB_REPLY_MAX)
#define XDPLB_GLOBAL_MAX (XDPLB_CNT_ICMP_BASE + XDPLB_ICMP_MAX)
#define XDPLB_GLOBAL_SLOTS 64

/* The XDP_DROP slot of summed global counters: the sum of the drop
 * reasons. Since 2026-12-03 the program leaves the slot at 0. No ABI
 * version change: the sum is exact for the programs before too, which
 * counted every drop by its action and by its reason, so a live LB is
 * upgraded without an unload. */
__xdplb_inline void xdplb_global_fold(__u64 g[XDPLB_GLOBAL_MAX])
{
	__u64 sum = 0;

	for (int i = 0; i < XDPLB_DROP_MAX; i++)
		sum += g[XDPLB_CNT_DROP_BASE + i];
	g[XDP_DROP] = sum;
}
/* Not a counter: this CPU's sequence for the outer IPv4 ID of packets
 * without DF (RFC 6864: it must vary; a per-CPU counter costs an add
 * where bpf_get_prandom_u32() cost 20 ns). Readers of counters skip it. */
#define XDPLB_SLOT_IPV4_ID (XDPLB_GLOBAL_SLOTS - 1)
/* Not counters either: this CPU's ICMP error rate limit (icmp_rate), the
 * second of its window (jiffies / HZ) and the errors sent in it. */
#define XDPLB_SLOT_ICMP_WINDOW (XDPLB_GLOBAL_SLOTS - 2)
#define XDPLB_SLOT_ICMP_SENT (XDPLB_GLOBAL_SLOTS - 3)

/* names: ARRAY, value struct xdplb_name. vip_names[XDPLB_MAX_VIPS] and
 * be_names[XDPLB_MAX_BACKENDS]: the config's names, for status and metrics
 * labels. Not read by the data path. */
struct xdplb_name {
	char s[XDPLB_NAME_LEN];
};

/* ----------------------------------------------------------------------- */
/* Backend side: the decap program.
 * decap_addrs: HASH, key struct xdplb_decap_key, value __u32 (unused, 1).
 * Outer destinations that the decap program accepts. */
struct xdplb_decap_key {
	struct xdplb_addr addr;
	__u8 family;
	__u8 pad[3];
};

/* decap_srcs: LPM_TRIE (BPF_F_NO_PREALLOC), key struct xdplb_decap_src_key,
 * value __u32 (unused, 1). The outer sources a tunnel is stripped from: the
 * LBs' source_v4/source_v6 (prefixes). A tunnel to us from anywhere else is
 * dropped and counted (XDPLB_DECAP_BAD_SOURCE): otherwise anyone who reaches
 * a backend could hand its stack packets with any client address. "Any
 * source" is 0.0.0.0/0 and ::/0. The family byte and pad are part of the
 * matched bits: prefixlen = XDPLB_DECAP_SRC_PLEN(address prefix length). */
struct xdplb_decap_src_key {
	__u32 prefixlen;
	__u8 family; /* enum xdplb_family */
	__u8 pad[3]; /* zero */
	struct xdplb_addr addr;
};

#define XDPLB_DECAP_SRC_PLEN(plen) (32 + (plen))
#define XDPLB_DECAP_MAX_SRCS 256

/* decap_stats: PERCPU_ARRAY[XDPLB_DECAP_MAX] of __u64 */
enum xdplb_decap_counter {
	XDPLB_DECAP_V4_IN_V4 = 0, /* IPIP stripped */
	XDPLB_DECAP_V6_IN_V6, /* IPv6-in-IPv6 stripped */
	XDPLB_DECAP_V4_IN_V6, /* 4in6 stripped */
	XDPLB_DECAP_V6_IN_V4, /* 6in4 stripped */
	XDPLB_DECAP_PASS, /* not a tunnel to us: passed untouched */
	XDPLB_DECAP_MALFORMED, /* tunnel to us, but truncated: dropped */
	XDPLB_DECAP_BAD_SOURCE, /* tunnel to us from a source not in decap_srcs: dropped */
	XDPLB_DECAP_MAX,
};

/* ----------------------------------------------------------------------- */
/* LB side: health checks through the tunnel (bpf/hc.bpf.c, tc egress on the
 * LB's interface; docs/hc-tunnel.md). A checker's socket sets SO_MARK to
 * xdplb_hc_mark(backend id); the program encapsulates that socket's packets
 * to the backend exactly as the XDP program encapsulates client packets.
 * The mark: a fixed tag in bits 31..18, the backend id in bits 17..0 (ids
 * are below XDPLB_MAX_BACKENDS = 2^18). One `ip rule fwmark TAG/TAG_MASK`
 * routes every probe. */
#define XDPLB_HC_MARK_ID_BITS 18
#define XDPLB_HC_MARK_ID_MASK ((1u << XDPLB_HC_MARK_ID_BITS) - 1)
#define XDPLB_HC_MARK_TAG_MASK (~XDPLB_HC_MARK_ID_MASK)
#define XDPLB_HC_MARK_TAG 0x7e5c0000u

/* The SO_MARK of a probe to backend_id (< XDPLB_MAX_BACKENDS). */
__xdplb_inline __u32 xdplb_hc_mark(__u32 backend_id)
{
	return XDPLB_HC_MARK_TAG | (backend_id & XDPLB_HC_MARK_ID_MASK);
}

/* hc_stats: PERCPU_ARRAY[XDPLB_HC_MAX] of __u64 */
enum xdplb_hc_counter {
	XDPLB_HC_ENCAP = 0, /* a probe, encapsulated to its backend */
	XDPLB_HC_PASS, /* no health-check tag: passed untouched */
	XDPLB_HC_NO_BACKEND, /* tagged, the backend id is not in the active config: dropped */
	XDPLB_HC_TOO_BIG, /* tagged, not GSO and larger than mtu once encapsulated: dropped */
	XDPLB_HC_ERROR, /* tagged, not IPv4/IPv6 behind plain Ethernet, or no room: dropped */
	/* untagged: a TCP RST of this host's stack to a VIP address, sent for
	 * a probe's late packet after its socket is gone: dropped */
	XDPLB_HC_STRAY_RST,
	XDPLB_HC_MAX,
};

#endif /* XDPLB_ABI_H */

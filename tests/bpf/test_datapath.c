// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The data path, one crafted frame at a time: {desc, frame, want_action,
 * want_frame}. A passed frame must come out byte for byte unchanged; an
 * encapsulated one must equal the frame built from the RFCs in pkt.c for
 * the backend the loader's own Maglev table names; a dropped one must be
 * counted under its reason. Every case also checks the global counters.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/parameterized.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <string.h>

#include "addr.h"
#include "lbfix.h"
#include "status.h"
#include "xdplb_hash.h"

/* The LB config of this suite: every kind of VIP. */
const char *const DP_CONFIG =
	"{ \"interface\": \"test0\", \"next_hop_mac\": \"02:00:00:00:00:01\","
	"  \"source_v4\": \"192.0.2.1\", \"source_v6\": \"2001:db8::1\", \"hash_seed\": \"0x5eed\","
	"  \"conntrack_size\": 4096, \"vips\": ["
	"  { \"name\": \"web4\", \"address\": \"203.0.113.10\", \"port\": 80, \"backends\": ["
	"    { \"name\": \"be1\", \"address\": \"198.51.100.11\" },"
	"    { \"name\": \"be2\", \"address\": \"198.51.100.12\" },"
	"    { \"name\": \"be3\", \"address\": \"198.51.100.13\", \"state\": \"drain\" } ] },"
	"  { \"name\": \"dns4\", \"address\": \"203.0.113.53\", \"port\": 53, \"protocol\": \"udp\","
	"    \"table_size\": 1009, \"backends\": ["
	"    { \"name\": \"dns1\", \"address\": \"198.51.100.21\" },"
	"    { \"name\": \"dns2\", \"address\": \"198.51.100.22\" } ] },"
	"  { \"name\": \"web6\", \"address\": \"2001:db8:10::80\", \"port\": 443, \"table_size\": 1009,"
	"    \"backends\": [ { \"name\": \"w6a\", \"address\": \"2001:db8:20::11\" },"
	"                  { \"name\": \"w6b\", \"address\": \"2001:db8:20::12\" } ] },"
	"  { \"name\": \"dns6\", \"address\": \"2001:db8:10::53\", \"port\": 53, \"protocol\": \"udp\","
	"    \"table_size\": 1009, \"backends\": [ { \"name\": \"d6\", \"address\": \"2001:db8:20::53\" } ] },"
	"  { \"name\": \"v4on6\", \"address\": \"203.0.113.20\", \"port\": 8080, \"table_size\": 1009,"
	"    \"backends\": [ { \"name\": \"b46\", \"address\": \"2001:db8:20::31\" } ] },"
	"  { \"name\": \"v6on4\", \"address\": \"2001:db8:10::20\", \"port\": 8080, \"table_size\": 1009,"
	"    \"backends\": [ { \"name\": \"b64\", \"address\": \"198.51.100.41\" } ] },"
	"  { \"name\": \"anyudp\", \"address\": \"203.0.113.30\", \"port\": 0, \"protocol\": \"udp\","
	"    \"table_size\": 1009, \"backends\": [ { \"name\": \"any1\", \"address\": \"198.51.100.51\" } ] },"
	"  { \"name\": \"maint\", \"address\": \"203.0.113.40\", \"port\": 80, \"table_size\": 1009,"
	"    \"guards\": { \"min_active_backends\": 0 }, \"backends\": ["
	"    { \"name\": \"m1\", \"address\": \"198.51.100.61\", \"state\": \"drain\" },"
	"    { \"name\": \"m2\", \"address\": \"198.51.100.62\", \"state\": \"down\" } ] } ] }";

typedef void (*mutator)(__u8 *f, size_t *len);

struct fixture {
	const char *desc;
	struct pkt_spec in;
	mutator mutate;
	int want_action; /* XDP_PASS: unchanged; XDP_TX: encapsulated; XDP_DROP */
	int want_reason; /* for XDP_DROP: the drop reason; for XDP_PASS: 1 + the
			  * pass reason counted, or 0 for none */
	int want_icmp_passed; /* XDP_PASS: counted as ICMP to a VIP address passed */
};

/* ------------------------------------------------------------ mutators */
#define L3(f) ((f) + pkt_l3_off(f))

static void to_other_mac(__u8 *f, size_t *len)
{
	static const __u8 other[6] = { 0x02, 0, 0, 0, 0, 0xbb };

	memcpy(f, other, 6);
}

static void to_multicast_mac(__u8 *f, size_t *len)
{
	static const __u8 mc[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x0a };

	memcpy(f, mc, 6);
}

static void to_broadcast_mac(__u8 *f, size_t *len)
{
	memset(f, 0xff, 6);
}

static void set16(__u8 *p, __u16 v)
{
	p[0] = v >> 8, p[1] = v & 0xff;
}

static __u16 get16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

static void ihl_4(__u8 *f, size_t *len)
{
	L3(f)[0] = 0x44;
}

static void version_6_in_v4(__u8 *f, size_t *len)
{
	L3(f)[0] = 0x65;
}

static void totlen_beyond_frame(__u8 *f, size_t *len)
{
	set16(L3(f) + 2, get16(L3(f) + 2) + 100);
}

static void totlen_below_header(__u8 *f, size_t *len)
{
	set16(L3(f) + 2, 10);
}

static void tcp_cut_at_10(__u8 *f, size_t *len)
{
	*len = pkt_l3_off(f) + 30;
	set16(L3(f) + 2, 30);
}

static void udp_cut_at_4(__u8 *f, size_t *len)
{
	*len = pkt_l3_off(f) + 24;
	set16(L3(f) + 2, 24);
}

static void tcp_doff_4(__u8 *f, size_t *len)
{
	L3(f)[20 + 12] = 4 << 4;
}

static void tcp_doff_15(__u8 *f, size_t *len)
{
	L3(f)[20 + 12] = 15 << 4;
}

static void udp_len_4(__u8 *f, size_t *len)
{
	set16(L3(f) + 20 + 4, 4);
}

static void udp_len_beyond(__u8 *f, size_t *len)
{
	set16(L3(f) + 20 + 4, 1000);
}

static void v6_plen_beyond(__u8 *f, size_t *len)
{
	set16(L3(f) + 4, get16(L3(f) + 4) + 100);
}

static void v6_plen_0(__u8 *f, size_t *len)
{
	set16(L3(f) + 4, 0);
}

static void cut_ip4_header(__u8 *f, size_t *len)
{
	*len = pkt_l3_off(f) + 12;
}

static void cut_ip6_header(__u8 *f, size_t *len)
{
	*len = pkt_l3_off(f) + 30;
}

/* ------------------------------------------------------------ the table */
#define V4 .family = 4
#define V6 .family = 6
#define CLIENT4 .src = "192.0.2.7"
#define CLIENT6 .src = "2001:db8:1::7"
#define TCP(d, p, fl) .proto = IPPROTO_TCP, .dst = d, .sport = 40000, .dport = p, .tcp_flags = fl
#define UDP(d, p) .proto = IPPROTO_UDP, .dst = d, .sport = 40001, .dport = p
#define SYN TCPF_SYN
#define ACK TCPF_ACK
/* an ICMP packet to a VIP address, passed and counted as such */
#define ICMP_PASSED XDP_PASS, 0, 1
#define DROP(r) XDP_DROP, XDPLB_DROP_##r

static const struct fixture fixtures[] = {
	/* encapsulation, every family combination */
	{ "v4 TCP SYN to a VIP: IPIP to the table's backend",
	  { V4, CLIENT4, TCP("203.0.113.10", 80, SYN), .payload = 10 },
	  NULL,
	  XDP_TX },
	{ "v4 TCP ACK with payload (conntrack miss): IPIP",
	  { V4, CLIENT4, TCP("203.0.113.10", 80, ACK | TCPF_PSH), .payload = 100 },
	  NULL,
	  XDP_TX },
	{ "v4 UDP to a UDP VIP: IPIP",
	  { V4, CLIENT4, UDP("203.0.113.53", 53), .payload = 40 },
	  NULL,
	  XDP_TX },
	{ "v6 TCP SYN: IPv6-in-IPv6",
	  { V6, CLIENT6, TCP("2001:db8:10::80", 443, SYN), .payload = 0 },
	  NULL,
	  XDP_TX },
	{ "v6 UDP: IPv6-in-IPv6",
	  { V6, CLIENT6, UDP("2001:db8:10::53", 53), .payload = 33 },
	  NULL,
	  XDP_TX },
	{ "v4 VIP on an IPv6 backend: 4in6",
	  { V4, CLIENT4, TCP("203.0.113.20", 8080, SYN), .payload = 5 },
	  NULL,
	  XDP_TX },
	{ "v6 VIP on an IPv4 backend: 6in4 (DF set)",
	  { V6, CLIENT6, TCP("2001:db8:10::20", 8080, SYN), .payload = 5 },
	  NULL,
	  XDP_TX },
	{ "port-less UDP VIP, any port",
	  { V4, CLIENT4, UDP("203.0.113.30", 5353), .payload = 12 },
	  NULL,
	  XDP_TX },
	{ "802.1Q tagged: the tag stays, outer inside it",
	  { V4, CLIENT4, TCP("203.0.113.10", 80, SYN), .vlan_tpid = 0x8100, .vlan_tci = 0x2064 },
	  NULL,
	  XDP_TX },
	{ "802.1ad tagged v6: the tag stays",
	  { V6, CLIENT6, TCP("2001:db8:10::80", 443, SYN), .vlan_tpid = 0x88a8, .vlan_tci = 7 },
	  NULL,
	  XDP_TX },
	{ "DSCP/ECN copied outward (v4 tos 0xb9)",
	  { V4, CLIENT4, TCP("203.0.113.10", 80, SYN), .tos = 0xb9 },
	  NULL,
	  XDP_TX },
	{ "traffic class copied outward (v6 0x2a)",
	  { V6, CLIENT6, TCP("2001:db8:10::80", 443, SYN), .tos = 0x2a },
	  NULL,
	  XDP_TX },
	{ "inner DF: outer DF, ID 0",
	  { V4, CLIENT4, TCP("203.0.113.10", 80, SYN), .frag = 0x4000 },
	  NULL,
	  XDP_TX },
	{ "Ethernet padding (60-byte frame) is not sent: the IP packet alone inside",
	  { V4, CLIENT4, UDP("203.0.113.53", 53), .payload = 2, .pad_to = 60 },
	  NULL,
	  XDP_TX },
	{ "a 1514-byte frame whose IPv4 length is 40 leaves as 74 bytes, not 1534",
	  { V4, CLIENT4, TCP("203.0.113.10", 80, SYN), .pad_to = 1514 },
	  NULL,
	  XDP_TX },
	{ "a padded IPv6 frame on an IPv4 backend (6in4): trimmed to the IPv6 length",
	  { V6, CLIENT6, TCP("2001:db8:10::20", 8080, SYN), .pad_to = 1514 },
	  NULL,
	  XDP_TX },
	{ "a padded 802.1Q frame to a 4in6 VIP: trimmed, the tag kept",
	  { V4, CLIENT4, TCP("203.0.113.20", 8080, SYN), .vlan_tpid = 0x8100, .vlan_tci = 9,
	    .pad_to = 1518 },
	  NULL,
	  XDP_TX },
	{ "MTU edge with padding: 1480-byte IPv4 in a 1514-byte frame leaves as 1514",
	  { V4, CLIENT4, TCP("203.0.113.10", 80, ACK), .payload = 1440, .pad_to = 1514 },
	  NULL,
	  XDP_TX },
	{ "MTU edge: 1480-byte IPv4 becomes exactly 1500",
	  { V4, CLIENT4, TCP("203.0.113.10", 80, ACK), .payload = 1440 },
	  NULL,
	  XDP_TX },
	{ "MTU edge: 1460-byte IPv6 becomes exactly 1500",
	  { V6, CLIENT6, TCP("2001:db8:10::80", 443, ACK), .payload = 1400 },
	  NULL,
	  XDP_TX },

	/* not VIP traffic: passed, untouched */
	{ "ARP", { V4, .ethertype = 0x0806 }, NULL, XDP_PASS },
	{ "a SYN to a VIP in a frame to another MAC (promiscuous mode): passed, counted",
	  { V4, CLIENT4, TCP("203.0.113.10", 80, SYN) },
	  to_other_mac,
	  XDP_PASS,
	  1 + XDPLB_PASS_FOREIGN_MAC },
	{ "an IPv6 packet to a VIP in a frame to another MAC: passed, counted",
	  { V6, CLIENT6, TCP("2001:db8:10::80", 443, SYN) },
	  to_other_mac,
	  XDP_PASS,
	  1 + XDPLB_PASS_FOREIGN_MAC },
	{ "a VIP's packet in a multicast frame: passed, not counted",
	  { V4, CLIENT4, TCP("203.0.113.10", 80, SYN) },
	  to_multicast_mac,
	  XDP_PASS },
	{ "a VIP's packet in a broadcast frame: passed, not counted",
	  { V4, CLIENT4, UDP("203.0.113.53", 53) },
	  to_broadcast_mac,
	  XDP_PASS },
	{ "802.1Q ARP",
	  { V4, .ethertype = 0x0806, .vlan_tpid = 0x8100, .vlan_tci = 5 },
	  NULL,
	  XDP_PASS },
	{ "QinQ (two tags): not parsed, passed",
	  { V4, CLIENT4, TCP("203.0.113.10", 80, SYN), .vlan_tpid = 0x88a8, .ethertype = 0x8100 },
	  NULL,
	  XDP_PASS },
	{ "another IPv4 address", { V4, CLIENT4, TCP("203.0.113.99", 80, SYN) }, NULL, XDP_PASS },
	{ "another IPv6 address",
	  { V6, CLIENT6, TCP("2001:db8:10::99", 443, SYN) },
	  NULL,
	  XDP_PASS },
	/* screen() passes most non-VIP frames before the parser: not those
	 * to another MAC, which are counted whatever their destination */
	{ "another IPv4 address in a frame to another MAC: passed, counted",
	  { V4, CLIENT4, TCP("203.0.113.99", 80, SYN) },
	  to_other_mac,
	  XDP_PASS,
	  1 + XDPLB_PASS_FOREIGN_MAC },
	{ "another IPv6 address in a frame to another MAC: passed, counted",
	  { V6, CLIENT6, TCP("2001:db8:10::99", 443, SYN) },
	  to_other_mac,
	  XDP_PASS,
	  1 + XDPLB_PASS_FOREIGN_MAC },
	{ "802.1Q, another IPv4 address: passed",
	  { V4, CLIENT4, TCP("203.0.113.99", 80, SYN), .vlan_tpid = 0x8100, .vlan_tci = 5 },
	  NULL,
	  XDP_PASS },
	{ "VIP address, another port",
	  { V4, CLIENT4, TCP("203.0.113.10", 81, SYN) },
	  NULL,
	  XDP_PASS },
	{ "VIP address and port, other protocol (UDP to a TCP VIP)",
	  { V4, CLIENT4, UDP("203.0.113.10", 80) },
	  NULL,
	  XDP_PASS },
	/* ICMP other than an answered echo request (tests/bpf/test_echo.c) or
	 * a steered error (tests/bpf/test_icmp.c): passed, and counted when
	 * the address is a VIP's */
	{ "ICMP echo to a VIP whose backends take no new flows",
	  { V4, CLIENT4, .dst = "203.0.113.40", .proto = IPPROTO_ICMP },
	  NULL,
	  ICMP_PASSED },
	{ "ICMP echo reply to a VIP",
	  { V4, CLIENT4, .dst = "203.0.113.10", .proto = IPPROTO_ICMP, .has_icmp_type = 1 },
	  NULL,
	  ICMP_PASSED },
	{ "ICMP destination unreachable to a VIP, quoting no VIP flow",
	  { V4, CLIENT4, .dst = "203.0.113.10", .proto = IPPROTO_ICMP, .has_icmp_type = 1,
	    .icmp_type = 3, .icmp_code = 4, .payload = 28 },
	  NULL,
	  ICMP_PASSED },
	{ "ICMP echo with IPv4 options to a VIP",
	  { V4, CLIENT4, .dst = "203.0.113.10", .proto = IPPROTO_ICMP, .v4_opt_words = 1 },
	  NULL,
	  ICMP_PASSED },
	{ "ICMP echo fragment to a VIP",
	  { V4, CLIENT4, .dst = "203.0.113.10", .proto = IPPROTO_ICMP, .frag = 0x2000 },
	  NULL,
	  ICMP_PASSED },
	{ "ICMP echo to another address",
	  { V4, CLIENT4, .dst = "203.0.113.99", .proto = IPPROTO_ICMP },
	  NULL,
	  XDP_PASS },
	{ "ICMP echo to a VIP from a multicast source",
	  { V4, .src = "224.0.0.1", .dst = "203.0.113.10", .proto = IPPROTO_ICMP },
	  NULL,
	  ICMP_PASSED },
	{ "ICMP echo to a VIP from 0.0.0.0",
	  { V4, .src = "0.0.0.0", .dst = "203.0.113.10", .proto = IPPROTO_ICMP },
	  NULL,
	  ICMP_PASSED },
	{ "ICMPv6 neighbour solicitation to a VIP (neighbour discovery must pass)",
	  { V6, CLIENT6, .dst = "2001:db8:10::80", .proto = IPPROTO_ICMPV6, .has_icmp_type = 1,
	    .icmp_type = 135, .payload = 16 },
	  NULL,
	  ICMP_PASSED },
	{ "ICMPv6 echo reply to a VIP",
	  { V6, CLIENT6, .dst = "2001:db8:10::80", .proto = IPPROTO_ICMPV6, .has_icmp_type = 1,
	    .icmp_type = 129 },
	  NULL,
	  ICMP_PASSED },
	{ "ICMPv6 echo to a VIP from the unspecified address",
	  { V6, .src = "::", .dst = "2001:db8:10::80", .proto = IPPROTO_ICMPV6 },
	  NULL,
	  ICMP_PASSED },
	{ "ICMPv6 echo to another address",
	  { V6, CLIENT6, .dst = "2001:db8:10::99", .proto = IPPROTO_ICMPV6 },
	  NULL,
	  XDP_PASS },
	{ "IPv4 fragment to another address",
	  { V4, CLIENT4, UDP("203.0.113.99", 53), .frag = 0x2000 },
	  NULL,
	  XDP_PASS },
	{ "IPv6 extension header to another address",
	  { V6, CLIENT6, TCP("2001:db8:10::99", 443, SYN), .has_v6_ext = 1, .v6_ext = 0 },
	  NULL,
	  XDP_PASS },
	{ "IPv6 no-next-header to a VIP",
	  { V6, CLIENT6, TCP("2001:db8:10::80", 443, SYN), .has_v6_ext = 1, .v6_ext = 59 },
	  NULL,
	  XDP_PASS },
	{ "IPv4 header cut short: no destination to judge",
	  { V4, CLIENT4, TCP("203.0.113.10", 80, SYN) },
	  cut_ip4_header,
	  XDP_PASS },
	{ "IPv6 header cut short",
	  { V6, CLIENT6, TCP("2001:db8:10::80", 443, SYN) },
	  cut_ip6_header,
	  XDP_PASS },
	{ "malformed TCP to another address: passed, not counted",
	  { V4, CLIENT4, TCP("203.0.113.99", 80, SYN) },
	  tcp_doff_4,
	  XDP_PASS },

	/* unsupported or malformed, to a VIP address: dropped by reason */
	{ "IPv4 first fragment (MF) to a VIP",
	  { V4, CLIENT4, UDP("203.0.113.53", 53), .frag = 0x2000 },
	  NULL,
	  DROP(FRAGMENT) },
	{ "IPv4 later fragment (offset) to a VIP",
	  { V4, CLIENT4, UDP("203.0.113.53", 53), .frag = 0x0010 },
	  NULL,
	  DROP(FRAGMENT) },
	{ "IPv4 options to a VIP",
	  { V4, CLIENT4, TCP("203.0.113.10", 80, SYN), .v4_opt_words = 1 },
	  NULL,
	  DROP(IPV4_OPTIONS) },
	{ "IPv4 options to a VIP address on another port",
	  { V4, CLIENT4, TCP("203.0.113.10", 22, SYN), .v4_opt_words = 2 },
	  NULL,
	  DROP(IPV4_OPTIONS) },
	{ "IPv6 hop-by-hop header to a VIP",
	  { V6, CLIENT6, TCP("2001:db8:10::80", 443, SYN), .has_v6_ext = 1, .v6_ext = 0 },
	  NULL,
	  DROP(IPV6_EXTHDR) },
	{ "IPv6 fragment header to a VIP",
	  { V6, CLIENT6, UDP("2001:db8:10::53", 53), .has_v6_ext = 1, .v6_ext = 44 },
	  NULL,
	  DROP(IPV6_EXTHDR) },
	{ "IPv6 routing header to a VIP",
	  { V6, CLIENT6, TCP("2001:db8:10::80", 443, SYN), .has_v6_ext = 1, .v6_ext = 43 },
	  NULL,
	  DROP(IPV6_EXTHDR) },
	{ "IPv4 IHL below 5",
	  { V4, CLIENT4, TCP("203.0.113.10", 80, SYN) },
	  ihl_4,
	  DROP(MALFORMED) },
	{ "IPv4 EtherType, version 6",
	  { V4, CLIENT4, TCP("203.0.113.10", 80, SYN) },
	  version_6_in_v4,
	  DROP(MALFORMED) },
	{ "IPv4 total length beyond the frame",
	  { V4, CLIENT4, TCP("203.0.113.10", 80, SYN) },
	  totlen_beyond_frame,
	  DROP(MALFORMED) },
	{ "IPv4 total length below its header",
	  { V4, CLIENT4, TCP("203.0.113.10", 80, SYN) },
	  totlen_below_header,
	  DROP(MALFORMED) },
	{ "TCP header cut at 10 bytes",
	  { V4, CLIENT4, TCP("203.0.113.10", 80, SYN) },
	  tcp_cut_at_10,
	  DROP(MALFORMED) },
	{ "UDP header cut at 4 bytes",
	  { V4, CLIENT4, UDP("203.0.113.53", 53) },
	  udp_cut_at_4,
	  DROP(MALFORMED) },
	{ "TCP data offset below 5",
	  { V4, CLIENT4, TCP("203.0.113.10", 80, SYN) },
	  tcp_doff_4,
	  DROP(MALFORMED) },
	{ "TCP data offset beyond the packet",
	  { V4, CLIENT4, TCP("203.0.113.10", 80, SYN) },
	  tcp_doff_15,
	  DROP(MALFORMED) },
	{ "UDP length below its header",
	  { V4, CLIENT4, UDP("203.0.113.53", 53), .payload = 8 },
	  udp_len_4,
	  DROP(MALFORMED) },
	{ "UDP length beyond the packet",
	  { V4, CLIENT4, UDP("203.0.113.53", 53), .payload = 8 },
	  udp_len_beyond,
	  DROP(MALFORMED) },
	{ "IPv6 payload length beyond the frame",
	  { V6, CLIENT6, UDP("2001:db8:10::53", 53) },
	  v6_plen_beyond,
	  DROP(MALFORMED) },
	{ "IPv6 payload length 0 (jumbogram)",
	  { V6, CLIENT6, UDP("2001:db8:10::53", 53) },
	  v6_plen_0,
	  DROP(MALFORMED) },
	/* too big with DF or IPv6: answered with ICMP, tests/bpf/test_icmp.c */
	{ "too big: 1481-byte IPv4 without DF cannot take 20 more",
	  { V4, CLIENT4, TCP("203.0.113.10", 80, ACK), .payload = 1441 },
	  NULL,
	  DROP(TOO_BIG) },
	{ "too big: 1461-byte IPv4 without DF on an IPv6 backend (4in6 adds 40)",
	  { V4, CLIENT4, TCP("203.0.113.20", 8080, ACK), .payload = 1421 },
	  NULL,
	  DROP(TOO_BIG) },
	{ "new flow, every backend draining or down",
	  { V4, CLIENT4, TCP("203.0.113.40", 80, SYN) },
	  NULL,
	  DROP(NO_BACKEND) },
	{ "established-looking packet, every backend draining or down (no conntrack entry)",
	  { V4, CLIENT4, TCP("203.0.113.40", 80, ACK) },
	  NULL,
	  DROP(NO_BACKEND) },
};

/* Criterion runs each test in a new process of this binary, so a
 * parameter may not hold pointers: it is the fixture's index. */
ParameterizedTestParameters(datapath, fixture)
{
	size_t n = sizeof(fixtures) / sizeof(fixtures[0]);
	size_t *idx = cr_malloc(n * sizeof(*idx));

	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	return cr_make_param_array(size_t, idx, n);
}

/* The outer source the program must use for this flow. */
static struct xdplb_addr outer_src(const struct lbfix *f, int backend_family)
{
	return backend_family == XDPLB_AF_INET ? f->c.cfg.src_v4 : f->c.cfg.src_v6;
}

static void check_encap(struct lbfix *f, const struct fixture *fx, const __u8 *in, size_t in_len,
			const __u8 *out, size_t out_len)
{
	struct xdplb_flow_key k = pkt_flow(&fx->in);
	const struct cfg_backend *want = lbfix_pick(f, &k);
	struct encap_want w = { 0 };
	const __u8 *ip = in + pkt_l3_off(in);
	/* the IP packet's length, read here from the RFC fields */
	size_t l3_len = (ip[0] >> 4) == 4 ? (size_t)(ip[2] << 8 | ip[3]) :
					    40 + (size_t)(ip[4] << 8 | ip[5]);
	__u8 exp[PKT_MAX];
	size_t exp_len;
	char diff[96];

	cr_assert(not(eq(ptr, (void *)want, NULL)), "%s: no backend in the table", fx->desc);
	w.backend_family = want->family;
	w.backend = want->addr;
	w.src = outer_src(f, want->family);
	w.flow_hash = lbfix_encap_hash(f, &k);
	exp_len = pkt_expect_encap(in, in_len, &w, out, exp);
	cr_expect(eq(str, (char *)pkt_diff(out, out_len, exp, exp_len, diff, sizeof(diff)), ""),
		  "%s: output differs from the expected frame", fx->desc);
	/* and the outer IPv4 checksum, verified independently of pkt.c */
	if (want->family == XDPLB_AF_INET)
		cr_expect(eq(u16, csum(out + pkt_l3_off(out), 20), 0), "%s: outer checksum",
			  fx->desc);
	/* the inner packet is untouched, and nothing follows it: no
	 * padding, nothing longer than mtu + L2 */
	cr_expect(eq(int, memcmp(out + out_len - l3_len, in + pkt_l3_off(in), l3_len), 0),
		  "%s: inner packet changed", fx->desc);
	cr_expect(le(sz, out_len - pkt_l3_off(out), f->c.cfg.mtu), "%s: %zu bytes leave", fx->desc,
		  out_len);
}

ParameterizedTest(size_t *idx, datapath, fixture)
{
	const struct fixture *fx = &fixtures[*idx];
	__u64 before[XDPLB_GLOBAL_MAX], after[XDPLB_GLOBAL_MAX];
	__u8 in[PKT_MAX], out[PKT_MAX];
	size_t in_len, out_len;
	struct lbfix f;
	int act;

	lbfix_open(&f, DP_CONFIG);
	in_len = pkt_build(&fx->in, in);
	if (fx->mutate)
		fx->mutate(in, &in_len);
	for (__u32 i = 0; i < XDPLB_GLOBAL_MAX; i++)
		before[i] = lbfix_global(&f, i);

	act = lbfix_run(&f, in, in_len, out, &out_len);
	cr_assert(eq(int, act, fx->want_action), "%s", fx->desc);
	if (act == XDP_PASS) {
		cr_expect(eq(sz, out_len, in_len), "%s: length changed", fx->desc);
		cr_expect(eq(int, memcmp(out, in, in_len), 0), "%s: passed frame changed",
			  fx->desc);
	} else if (act == XDP_TX) {
		check_encap(&f, fx, in, in_len, out, out_len);
	}

	/* exactly one action counted, and for a drop exactly its reason */
	for (__u32 i = 0; i < XDPLB_GLOBAL_MAX; i++) {
		__u64 want = before[i];

		after[i] = lbfix_global(&f, i);
		if (i == (__u32)fx->want_action)
			want++;
		if (fx->want_action == XDP_DROP &&
		    i == XDPLB_CNT_DROP_BASE + (__u32)fx->want_reason)
			want++;
		if (fx->want_action == XDP_PASS && fx->want_reason &&
		    i == XDPLB_CNT_PASS_BASE + (__u32)fx->want_reason - 1)
			want++;
		if (fx->want_icmp_passed && i == XDPLB_CNT_ICMP_BASE + XDPLB_ICMP_PASSED)
			want++;
		cr_expect(eq(u64, after[i], want), "%s: global counter %u", fx->desc, i);
	}
	lbfix_close(&f);
}

/* A drop is counted by its reason alone: XDP_DROP's slot stays 0
 * and the loader's reader reports the sum of the reasons as the action's
 * count, as xdplb status and the metrics show it. */
Test(datapath, drops_counted_by_reason)
{
	struct pkt_spec frag = { V4, CLIENT4, UDP("203.0.113.53", 53), .frag = 0x2000 };
	struct pkt_spec other = { V4, CLIENT4, TCP("203.0.113.99", 80, SYN) };
	__u8 in[PKT_MAX], out[PKT_MAX];
	struct lb_live l = { 0 };
	size_t len, out_len;
	struct lbfix f;

	lbfix_open(&f, DP_CONFIG);
	len = pkt_build(&frag, in);
	for (int i = 0; i < 3; i++)
		cr_assert(eq(int, lbfix_run(&f, in, len, out, &out_len), XDP_DROP));
	len = pkt_build(&other, in);
	cr_assert(eq(int, lbfix_run(&f, in, len, out, &out_len), XDP_PASS));
	cr_expect(eq(u64, lbfix_global_raw(&f, XDP_DROP), 0), "the program leaves the slot");
	cr_expect(eq(u64, lbfix_global_raw(&f, XDPLB_CNT_DROP_BASE + XDPLB_DROP_FRAGMENT), 3));
	cr_assert(eq(int, status_read_maps(&f.m, LIVE_COUNTERS, &l), 0));
	cr_expect(eq(u64, l.global[XDP_DROP], 3), "the reader's sum of the reasons");
	cr_expect(eq(u64, l.global[XDP_PASS], 1));
	live_free(&l);
	lbfix_close(&f);
}

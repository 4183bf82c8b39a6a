#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""An independent check of what the LB sends, for test_lab_decode.sh.

  lab_decode.py CAPTURE.pcap PORT_FIRST PORT_LAST

CAPTURE is taken on the far end of the LB's wire (the router's lb0): it holds
the client's packets going to the LB and the LB's encapsulated packets coming
back. scapy reads and dissects the frames; the checksums are computed here
from the raw bytes, not by scapy. Every encapsulated packet must have:
  - Ethernet: source the LB's MAC, destination the configured next hop;
  - outer IPv4: version 4, IHL 5, protocol 4, source 192.0.2.1, destination a
    backend, TTL 64, total length = 20 + inner length, a valid header
    checksum, DF and TOS copied from the inner header; or
  - outer IPv6: next header 41 (IPv6 inner) or 4 (IPv4 inner, 4in6), source
    2001:db8::1, destination a backend, hop limit 64, payload length = inner
    length, traffic class copied;
  - an inner packet byte for byte equal to a packet the client sent to the
    LB (so addresses, ports, TTL, payload are intact), with a valid TCP
    checksum, from a client source port in [PORT_FIRST, PORT_LAST], to a VIP
    port 80;
and every packet the client sent to a VIP must come back out exactly once;
one flow, one backend; no reply from a VIP crosses the LB's wire (direct
server return: replies go from the backends to the client through the router). Prints a summary; exit 1 on any violation.
"""
import collections
import logging
import struct
import sys

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import IP, TCP, Ether, IPv6, rdpcap  # noqa: E402

LB_MAC = "02:00:00:00:00:02"
NEXT_HOP = "02:00:00:00:00:01"
VIPS = {"203.0.113.10", "203.0.113.46", "2001:db8:10::80"}
SRC4, SRC6 = "192.0.2.1", "2001:db8::1"


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def tcp_ok(l3):
    """The TCP checksum of an IPv4 or IPv6 packet (raw bytes), verified."""
    if l3[0] >> 4 == 4:
        ihl = (l3[0] & 15) * 4
        tot = struct.unpack("!H", l3[2:4])[0]
        seg = l3[ihl:tot]
        pseudo = l3[12:20] + struct.pack("!BBH", 0, 6, len(seg))
    else:
        plen = struct.unpack("!H", l3[4:6])[0]
        seg = l3[40:40 + plen]
        pseudo = l3[8:40] + struct.pack("!IxxxB", len(seg), 6)
    return csum(pseudo + seg) == 0xFFFF


def l3_of(frame):
    """The IP packet in an Ethernet frame, without Ethernet padding."""
    data = bytes(frame)[14:]
    if data[0] >> 4 == 4:
        return data[:struct.unpack("!H", data[2:4])[0]]
    return data[:40 + struct.unpack("!H", data[4:6])[0]]


def main():
    pkts = rdpcap(sys.argv[1])
    p_lo, p_hi = int(sys.argv[2]), int(sys.argv[3])
    sent = collections.Counter()  # client -> LB, IP bytes
    outs = []
    bad = []
    replies = 0  # direct server return: no reply from a VIP ever crosses the LB's wire
    for p in pkts:
        if Ether not in p:
            continue
        e = p[Ether]
        if TCP in p and (IP in p or IPv6 in p) and p[TCP].sport == 80 and \
                (p[IP] if IP in p else p[IPv6]).src in VIPS:
            replies += 1
        if e.dst == LB_MAC and (IP in p or IPv6 in p) and TCP in p:
            ip = p[IP] if IP in p else p[IPv6]
            if ip.dst in VIPS and p[TCP].dport == 80:
                sent[l3_of(p)] += 1
        elif e.src == LB_MAC and e.type in (0x0800, 0x86DD):
            outs.append(p)
    kinds = collections.Counter()
    flows = {}
    backends = collections.Counter()
    for p in outs:
        raw = bytes(p)
        e = p[Ether]
        why = []
        if e.dst != NEXT_HOP:
            why.append("destination MAC %s" % e.dst)
        if e.type == 0x0800:
            o = p[IP]
            hdr = raw[14:34]
            inner = raw[34:14 + o.len]
            if o.version != 4 or o.ihl != 5:
                why.append("version/IHL %d/%d" % (o.version, o.ihl))
            if o.proto != 4:
                why.append("protocol %d" % o.proto)
            if o.src != SRC4:
                why.append("outer source %s" % o.src)
            if o.ttl != 64:
                why.append("TTL %d" % o.ttl)
            if o.len != 20 + len(inner) or len(inner) < 20:
                why.append("total length %d for %d inner bytes" % (o.len, len(inner)))
            if csum(hdr) != 0xFFFF:
                why.append("header checksum 0x%04x does not verify" % o.chksum)
            if inner and inner[0] >> 4 == 4:
                if (o.flags.DF) != bool(inner[6] & 0x40):
                    why.append("DF not copied")
                if o.tos != inner[1]:
                    why.append("TOS 0x%x, inner 0x%x" % (o.tos, inner[1]))
            outer_dst, kind = o.dst, "IPIP"
        else:
            o = p[IPv6]
            inner = raw[54:54 + o.plen]
            if o.version != 6:
                why.append("version %d" % o.version)
            if o.src != SRC6:
                why.append("outer source %s" % o.src)
            if o.hlim != 64:
                why.append("hop limit %d" % o.hlim)
            if o.plen != len(inner) or len(inner) < 20:
                why.append("payload length %d for %d inner bytes" % (o.plen, len(inner)))
            want_nh = 4 if inner and inner[0] >> 4 == 4 else 41
            if o.nh != want_nh:
                why.append("next header %d, want %d" % (o.nh, want_nh))
            tc_in = inner[1] if inner[0] >> 4 == 4 else ((inner[0] & 15) << 4 | inner[1] >> 4)
            if o.tc != tc_in:
                why.append("traffic class 0x%x, inner 0x%x" % (o.tc, tc_in))
            outer_dst, kind = o.dst, "4in6" if want_nh == 4 else "IPv6-in-IPv6"
        if inner:
            ip = IP(inner) if inner[0] >> 4 == 4 else IPv6(inner)
            if TCP not in ip:
                why.append("inner packet is not TCP")
            else:
                t = ip[TCP]
                if ip.dst not in VIPS or t.dport != 80:
                    why.append("inner destination %s:%d" % (ip.dst, t.dport))
                if not p_lo <= t.sport <= p_hi:
                    why.append("inner source port %d not one the client used" % t.sport)
                if not tcp_ok(inner):
                    why.append("inner TCP checksum does not verify")
                flow = (ip.src, t.sport, ip.dst)
                if flows.setdefault(flow, outer_dst) != outer_dst:
                    why.append("flow %s went to %s and %s" % (flow, flows[flow], outer_dst))
            if sent[inner] > 0:
                sent[inner] -= 1
            else:
                why.append("inner packet differs from every packet the client sent")
        if why:
            bad.append("%s to %s: %s" % (kind, outer_dst, "; ".join(why)))
        kinds[kind] += 1
        backends[outer_dst] += 1
    missing = sum(sent.values())
    print("decoded %d encapsulated packets: %s" % (len(outs), dict(kinds)))
    print("  outer destinations: %s" % dict(sorted(backends.items())))
    print("  %d flows, each to one backend; largest inner packet %d bytes" % (
        len(flows), max((len(l3_of(p)) - (20 if p[Ether].type == 0x800 else 40) for p in outs),
                        default=0)))
    print("  client packets to a VIP never seen encapsulated: %d" % missing)
    print("  replies from a VIP on the LB's wire: %d (direct server return: 0)" % replies)
    for b in bad[:10]:
        print("  BAD %s" % b)
    if bad or missing or replies or not outs:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

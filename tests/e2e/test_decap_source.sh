#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# The backends' decap program strips tunnels only from the LBs' sources.
# A backend (veth1: 198.51.100.11, 2001:db8:20::11; the VIPs 203.0.113.10
# and 2001:db8:10::80 on lo, a UDP listener on VIP:5353) and, on veth0,
# scapy sending tunnel frames (IPIP, IPv6-in-IPv6) to it: from the LB's
# sources the inner datagram reaches the listener; from another address,
# spoofed, it does not, and bad_source counts it. Then the sources are
# replaced on the attached program, --any-source accepts the spoofed one
# (the behaviour before the filter: the check can fail), and attach
# refuses to guess. TAP output; one namespace, removed on exit.
set -u

NS=xdplbds$$
TMP=$(mktemp -d /tmp/xdplb-e2e.XXXXXX)
. "$(dirname "$0")/lib.sh"
scratch "$NS"
PY=/usr/bin/python3 # Debian's, with python3-scapy

if ! $PY -c 'import scapy' 2>/dev/null; then
	echo "1..0 # SKIP python3-scapy is not installed (tools/install-deps)"
	exit 0
fi
VIP4=203.0.113.10
VIP6=2001:db8:10::80
LB4=192.0.2.1
LB6=2001:db8:1::1
SPOOF4=192.0.2.66
SPOOF6=2001:db8:bad::1

setup() {
	veth_ns "$NS" &&
		ip -n "$NS" link set lo up &&
		ip -n "$NS" addr add 198.51.100.11/24 dev veth1 &&
		ip -n "$NS" addr add 2001:db8:20::11/64 dev veth1 nodad &&
		ip -n "$NS" addr add $VIP4/32 dev lo &&
		ip -n "$NS" addr add $VIP6/128 dev lo nodad &&
		ip netns exec "$NS" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
			net.ipv4.conf.default.rp_filter=0 net.ipv4.conf.veth1.rp_filter=0
}
if ! setup >"$TMP/out" 2>"$TMP/err"; then
	echo "Bail out! setting up the namespace: $(cat "$TMP/err")"
	exit 1
fi
BE_MAC=$(ip -n "$NS" -br link show veth1 | awk '{print $3}')
x() { in_ns "$NS" "$XDPLB" "$@"; }

# The listener: the payloads that reach VIP:5353 (v4 and v6), one a line,
# until "END" arrives (every source list here takes END's) or 20 s pass:
# with the e2e suites three at a time, scapy's import alone took most of
# the 5 s this used to wait, and the listener left between two frames.
cat >"$TMP/listen.py" <<EOF
import select, socket, sys, time
s4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s4.bind(("$VIP4", 5353))
s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s6.bind(("$VIP6", 5353))
open(sys.argv[1], "w").close()  # ready
end = time.time() + 20
done = False
while not done and time.time() < end:
    r, _, _ = select.select([s4, s6], [], [], 0.2)
    for s in r:
        data = s.recv(2048).decode()
        if data == "END":
            done = True
        else:
            print(data, flush=True)
# END is sent last, but it may be read before a datagram already queued on
# the other family's socket: take what comes until 0.3 s pass without any
while done:
    r, _, _ = select.select([s4, s6], [], [], 0.3)
    if not r:
        break
    for s in r:
        data = s.recv(2048).decode()
        if data != "END":
            print(data, flush=True)
EOF
# send.py OUTER_SRC TAG [OUTER_SRC TAG]...: one tunnel frame per pair to the
# backend, the outer family from the source's (v4: IPIP around an IPv4
# datagram, v6: IPv6-in-IPv6 around an IPv6 one), then END from the LB
cat >"$TMP/send.py" <<EOF
import sys
from scapy.all import Ether, IP, IPv6, UDP, Raw, sendp
def frame(src, tag):
    if ":" in src:
        outer = IPv6(src=src, dst="2001:db8:20::11", hlim=64)
        inner = IPv6(src="2001:db8:c::7", dst="$VIP6") / UDP(sport=40000, dport=5353)
    else:
        outer = IP(src=src, dst="198.51.100.11", ttl=64, flags="DF")
        inner = IP(src="198.51.100.200", dst="$VIP4", flags="DF") / UDP(sport=40000, dport=5353)
    return Ether(dst="$BE_MAC") / outer / inner / Raw(tag.encode())
a = sys.argv[1:]
frames = [frame(a[i], a[i + 1]) for i in range(0, len(a), 2)]
frames.append(frame("$LB4", "END"))
sendp(frames, iface="veth0", verbose=False)
EOF

# exchange OUTER_SRC TAG...: send the frames; the tags that arrived, sorted
exchange() {
	rm -f "$TMP/ready"
	in_ns "$NS" timeout 30 $PY "$TMP/listen.py" "$TMP/ready" >"$TMP/got" &
	local lpid=$!
	for _ in $(seq 50); do [ -e "$TMP/ready" ] && break; sleep 0.1; done
	in_ns "$NS" timeout 30 $PY "$TMP/send.py" "$@" >/dev/null 2>"$TMP/send.err"
	wait $lpid
	sort "$TMP/got" | tr '\n' ' ' | sed 's/ $//'
}
counter() { # a decap counter
	x --json decap status veth1 | $PY -c "import json,sys; print(json.load(sys.stdin)['$1'])"
}
prog_id() { ip -n "$NS" -j link show veth1 | $PY -c "import json,sys; print(json.load(sys.stdin)[0]['xdp']['prog']['id'])"; }

echo "TAP version 13"

# attach refuses to guess
expect_rc "decap attach without a source: 1" 1 x decap attach veth1
assert "... says to name the LBs' sources or --any-source" grep -q -- "--source PREFIX or --config LB.json" "$TMP/err"
assert "... and attached nothing" bash -c "! ip -n $NS link show veth1 | grep -q xdp"
expect_rc "a multicast source: 1" 1 x decap attach veth1 --source 224.0.0.0/16
assert "... named with its range" grep -q "224.0.0.0/4, multicast" "$TMP/err"
expect_rc "a source with host bits: 1" 1 x decap attach veth1 --source 192.0.2.1/24
expect_rc "--any-source with --source: 1" 1 x decap attach veth1 --any-source --source $LB4
echo '{ "interface": "eth0", "source_v4": 7 }' >"$TMP/bad.json"
expect_rc "a bad --config: 1" 1 x decap attach veth1 --config "$TMP/bad.json"
assert "... names the file and the JSON path" grep -q "bad.json: source_v4" "$TMP/err"
assert "... and attached nothing" bash -c "! ip -n $NS link show veth1 | grep -q xdp"

# the LB's sources: an address, and a prefix
expect_rc "decap attach --source $LB4 --source 2001:db8:1::/64" 0 \
	x decap attach veth1 --source $LB4 --source 2001:db8:1::/64
check "decap status --json" x --json decap status veth1
check_json "... lists the two sources" "d['sources'] == ['$LB4/32', '2001:db8:1::/64'] and not d['any_source']"
got=$(exchange $LB4 lb4 $SPOOF4 spoof4 $LB6 lb6 $SPOOF6 spoof6)
[ "$got" = "lb4 lb6" ] && ok "from the LB's sources delivered, spoofed v4 and v6 not (got: $got)" ||
	not_ok "delivered: '$got', want 'lb4 lb6' ($(cat "$TMP/send.err"))"
[ "$(counter bad_source)" = 2 ] && ok "bad_source counts the two" || not_ok "bad_source $(counter bad_source)"
[ "$(counter ipip)" = 2 ] && [ "$(counter ip6ip6)" = 1 ] && ok "ipip 2 (lb4, END), ip6ip6 1 (lb6)" ||
	not_ok "ipip $(counter ipip) ip6ip6 $(counter ip6ip6)"
check "decap status (text)" x decap status veth1
assert "... shows bad_source and the sources" grep -q "bad_source 2" "$TMP/out"
# the exporter on the backend exports the decap counters, as status reads them
x serve --once >"$TMP/metrics" 2>"$TMP/serve.err"
grep -q '^xdplb_decap_packets_total{iface="veth1",result="bad_source"} 2$' "$TMP/metrics" &&
	[ "$(grep -c '^xdplb_decap_packets_total{iface="veth1",' "$TMP/metrics")" = 7 ] &&
	ok "serve on the backend: xdplb_decap_packets_total, bad_source 2, seven results" ||
	not_ok "decap metrics: $(grep decap_packets "$TMP/metrics" | head -8) $(head -2 "$TMP/serve.err")"

# replacing the sources on the attached program: no detach
id1=$(prog_id)
expect_rc "attach again with --source $SPOOF4 --source $LB4 (the new LB, END's)" 0 \
	x decap attach veth1 --source $SPOOF4 --source $LB4
[ "$(prog_id)" = "$id1" ] && ok "the same program (id $id1) runs: not detached" || not_ok "program $(prog_id), was $id1"
got=$(exchange $SPOOF4 spoof4 $LB6 lb6)
[ "$got" = "spoof4" ] && ok "now $SPOOF4 is delivered and $LB6 (removed) is not (got: $got)" ||
	not_ok "delivered: '$got', want 'spoof4'"

# --config: the sources of an LB config (two: a fleet; lb2.json leaves its
# interface to `load --iface`)
printf '{ "interface": "eth0", "next_hop_mac": "02:00:00:00:00:01", "source_v4": "%s", "source_v6": "%s", "vips": [] }\n' \
	$LB4 $LB6 >"$TMP/lb1.json"
printf '{ "next_hop_mac": "02:00:00:00:00:01", "source_v4": "192.0.2.8/29", "vips": [] }\n' \
	>"$TMP/lb2.json"
expect_rc "attach --config lb1.json --config lb2.json" 0 x decap attach veth1 --config "$TMP/lb1.json" --config "$TMP/lb2.json"
check "decap status --json" x --json decap status veth1
check_json "... the fleet's three sources" "sorted(d['sources']) == sorted(['$LB4/32', '$LB6/128', '192.0.2.8/29'])"
# a fleet keeps each LB's sources in its host file (docs/fleet.md): --config
# takes host files too
printf '{ "interface": "eth0", "next_hop": "192.0.2.2", "source_v4": "%s", "source_v6": "%s" }\n' \
	$LB4 $LB6 >"$TMP/lb1.host.json"
printf '{ "interface": "eth0", "next_hop_mac": "02:00:00:00:00:01", "source_v4": "192.0.2.8/29" }\n' \
	>"$TMP/lb2.host.json"
expect_rc "attach --config lb1.host.json --config lb2.host.json" 0 \
	x decap attach veth1 --config "$TMP/lb1.host.json" --config "$TMP/lb2.host.json"
check "decap status --json" x --json decap status veth1
check_json "... the same three sources from the host files" "sorted(d['sources']) == sorted(['$LB4/32', '$LB6/128', '192.0.2.8/29'])"
printf '{ "interface": "eth0", "next_hop_mac": "02:00:00:00:00:01", "mtu": "big" }\n' >"$TMP/bad.host.json"
expect_rc "a host file with an error: refused (exit 1), nothing changed" 1 x decap attach veth1 --config "$TMP/bad.host.json"
assert "... the error names the file and the key" grep -q "bad.host.json: mtu: must be an integer" "$TMP/err"
check "decap status --json" x --json decap status veth1
check_json "... the sources stay" "len(d['sources']) == 3"
got=$(exchange 192.0.2.15 lb2 $SPOOF4 spoof4 $LB6 lb6)
[ "$got" = "lb2 lb6" ] && ok "LB 2's prefix and LB 1's v6 delivered, $SPOOF4 not (got: $got)" ||
	not_ok "delivered: '$got', want 'lb2 lb6'"

# --any-source: the old behaviour, which lets the spoofed packet in
expect_rc "attach --any-source" 0 x decap attach veth1 --any-source
check "decap status" x decap status veth1
assert "... says any" grep -q "sources any" "$TMP/out"
got=$(exchange $SPOOF4 spoof4 $SPOOF6 spoof6)
[ "$got" = "spoof4 spoof6" ] && ok "with --any-source the spoofed packets are delivered (got: $got)" ||
	not_ok "delivered: '$got', want 'spoof4 spoof6'"
expect_rc "decap detach" 0 x decap detach veth1
tap_end

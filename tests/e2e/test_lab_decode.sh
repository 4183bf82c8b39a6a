#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# What the LB sends, checked by an independent decoder (tests/e2e/lab_decode.py,
# scapy plus its own checksum code) reading a tcpdump capture of the LB's
# wire: IPIP, IPv6-in-IPv6 and 4in6, outer header fields and checksum, inner
# packet byte for byte what the client sent, full-size segments included.
#
# The capture is taken at the router's end of the wire (lb0): on the LB's own
# eth0 a capture sees none of it, because XDP runs before the packet taps and
# an XDP_TX frame never passes them (the test checks that too). TAP.
#
# The lab runs without the service (--no-service): its health checks are
# the LB's own packets, encapsulated by tc on eth0's egress, so they would
# cross both captures without being a client's.
. "$(dirname "$0")/lab_lib.sh"

lab_start --backends 2 --ipv6 --no-service
lab config >"$TMP/lb.json"
expect_rc "load: web (IPIP), web6 (IPv6-in-IPv6), web46 (4in6)" 0 x load "$TMP/lb.json"

cap() { # cap NS IFACE FILE: tcpdump in the background, bounded in packets and time
	bg "cap-$1" lab exec "$1" timeout 40 tcpdump -i "$2" -n -U -s 2000 -c 3000 -w "$3" \
		'tcp port 80 or ip proto 4 or ip6 proto 41 or ip6 proto 4'
}
cap router lb0 "$TMP/wire.pcap" 2>"$TMP/tcpdump-router.err"
cap lb eth0 "$TMP/lb.pcap" 2>"$TMP/tcpdump-lb.err"
k=0
while [ $k -lt 50 ] && ! { grep -q listening "$TMP/tcpdump-router.err" && grep -q listening "$TMP/tcpdump-lb.err"; }; do
	sleep 0.1
	k=$((k + 1))
done
sleep 0.3

# 20 requests per VIP and 2 uploads of 8 KB (full-size segments), from
# client source ports 40000..40999
p=40000
for addr in 203.0.113.10 2001:db8:10::80 203.0.113.46; do
	fam=4
	[[ $addr == *:* ]] && fam=6
	expect_rc "20 requests to $addr" 0 client 30 http -n 20 --vip "$addr" --sources "$(lab sources $fam)" --port-base $p
	expect_rc "2 uploads of 8 KB to $addr" 0 client 30 http -n 2 --body-size 8192 --vip "$addr" \
		--sources "$(lab sources $fam)" --port-base $((p + 100))
	p=$((p + 200))
done
sleep 0.5
kill -TERM "$(cat "$TMP/cap-router.pid")" "$(cat "$TMP/cap-lb.pid")" 2>/dev/null
wait_bg cap-router 5
wait_bg cap-lb 5
judge "every packet the LB sent decodes right: outer header, checksum, inner packet intact; no reply crosses the LB (DSR)" \
	$PY "$SRC/tests/e2e/lab_decode.py" "$TMP/wire.pcap" 40000 40999
n_lb=$(tcpdump -r "$TMP/lb.pcap" -n 2>/dev/null | wc -l)
[ "$n_lb" = 0 ] && ok "a capture on the LB's own eth0 sees none of it (XDP runs before the taps)" ||
	not_ok "the LB's eth0 capture has $n_lb packets"

# The backends strip tunnels only from the LBs' sources (tools/lab attaches
# decap with them): a host on the backends' network (the router's br0
# address, 198.51.100.1) that tunnels a client's SYN to be1 is refused; the
# same frame from the LB's source reaches be1's stack (the control: the
# check can fail). be1's TcpInSegs counts what its TCP received.
BE1_MAC=$(lab exec be1 ip -br link show eth0 | awk '{print $3}')
cat >"$TMP/spoof.py" <<EOF
import sys
from scapy.all import Ether, IP, TCP, sendp
f = Ether(dst="$BE1_MAC") / IP(src=sys.argv[1], dst="198.51.100.11", flags="DF") / \
    IP(src="192.0.2.130", dst="203.0.113.10", flags="DF") / TCP(sport=45678, dport=80, flags="S", seq=1)
sendp(f, iface="b1", verbose=False)
EOF
in_segs() { lab exec be1 nstat -az TcpInSegs | awk '/TcpInSegs/ {print $2}'; }
bad_source() {
	lab exec be1 "$XDPLB" --json decap status eth0 |
		$PY -c "import json,sys; print(json.load(sys.stdin)['bad_source'])"
}
seg0=$(in_segs) bad0=$(bad_source)
expect_rc "a tunnelled SYN from 198.51.100.1 (no LB) sent to be1" 0 \
	lab exec router timeout 20 $PY "$TMP/spoof.py" 198.51.100.1
sleep 0.3
[ "$(in_segs)" = "$seg0" ] && ok "... never reaches be1's TCP (TcpInSegs $seg0)" || not_ok "TcpInSegs $seg0 -> $(in_segs)"
[ "$(bad_source)" = $((bad0 + 1)) ] && ok "... counted: bad_source $((bad0 + 1))" ||
	not_ok "bad_source $bad0 -> $(bad_source)"
expect_rc "the same from the LB's source 192.0.2.1" 0 lab exec router timeout 20 $PY "$TMP/spoof.py" 192.0.2.1
sleep 0.3
[ "$(in_segs)" -gt "$seg0" ] && ok "... reaches be1's TCP (TcpInSegs $seg0 -> $(in_segs))" || not_ok "TcpInSegs still $seg0"
tap_end

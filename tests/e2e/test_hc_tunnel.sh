#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Health checks through the tunnel, for real: an LB namespace running
# xdplb and `xdplb hc-tunnel attach`, a router, a backend running `xdplb
# decap attach` with the VIPs on lo and a TCP server on VIP:80. A connect()
# from the LB with SO_MARK = the backend's mark reaches the server only
# through the tunnel: it succeeds (the backend's decap counters move), and
# fails as soon as the backend loses its decap program or its VIP, while
# the server still answers on the backend's own address. No checksum
# offload is turned off anywhere. TAP output; the namespaces (ht-*), the
# server and the private bpffs are removed on exit, even on failure.
set -u

NS_LB=ht-lb-$$
NS_RT=ht-rt-$$
NS_BE=ht-be-$$
TMP=$(mktemp -d /tmp/ht-hc-tunnel.XXXXXX)
. "$(dirname "$0")/lib.sh"

VIP4=203.0.113.10
VIP6=2001:db8:10::80
BE4=198.51.100.11
BE6=2001:db8:2::11
SERVER_PID=

lb() { in_ns "$NS_LB" "$XDPLB" "$@"; }
be() { in_ns "$NS_BE" "$XDPLB" "$@"; }

cleanup() {
	[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
	for ns in "$NS_LB" "$NS_RT" "$NS_BE"; do
		ip netns list | grep -qw "$ns" && ip netns del "$ns"
	done
	release_bpffs
	rm -rf "$TMP"
}
trap cleanup EXIT
trap "exit 1" INT TERM # so that a timeout still cleans up

private_bpffs
sysctls() { # sysctls NS KEY=VALUE...
	local ns=$1
	shift
	ip netns exec "$ns" sysctl -qw "$@" >/dev/null
}

# client (LB) --- ht-lb 192.0.2.1 | 192.0.2.254 ht-rl [router] ht-rb 198.51.100.254 | 198.51.100.11 ht-be --- backend
setup() {
	for ns in "$NS_LB" "$NS_RT" "$NS_BE"; do
		ip netns add "$ns" && ip -n "$ns" link set lo up || return
	done
	ip link add ht-lb netns "$NS_LB" type veth peer name ht-rl netns "$NS_RT" &&
		ip link add ht-be netns "$NS_BE" type veth peer name ht-rb netns "$NS_RT" || return
	ip -n "$NS_LB" addr add 192.0.2.1/24 dev ht-lb &&
		ip -n "$NS_LB" addr add 2001:db8:1::1/64 dev ht-lb nodad &&
		ip -n "$NS_RT" addr add 192.0.2.254/24 dev ht-rl &&
		ip -n "$NS_RT" addr add 2001:db8:1::fe/64 dev ht-rl nodad &&
		ip -n "$NS_RT" addr add 198.51.100.254/24 dev ht-rb &&
		ip -n "$NS_RT" addr add 2001:db8:2::fe/64 dev ht-rb nodad &&
		ip -n "$NS_BE" addr add $BE4/24 dev ht-be &&
		ip -n "$NS_BE" addr add $BE6/64 dev ht-be nodad || return
	for l in "$NS_LB ht-lb" "$NS_RT ht-rl" "$NS_RT ht-rb" "$NS_BE ht-be"; do
		ip -n "${l% *}" link set "${l#* }" up || return
	done
	sysctls "$NS_RT" net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 || return
	# the router sends VIP traffic to the LB, as in production: a probe
	# that left unencapsulated would come back to the LB's XDP program
	ip -n "$NS_RT" route add $VIP4/32 via 192.0.2.1 &&
		ip -n "$NS_RT" route add $VIP6/128 via 2001:db8:1::1 || return
	# the LB reaches the backends' own addresses (the plain checks) and has
	# no route to the VIPs: only the probes' rule and table take them out
	ip -n "$NS_LB" route add 198.51.100.0/24 via 192.0.2.254 &&
		ip -n "$NS_LB" route add 2001:db8:2::/64 via 2001:db8:1::fe || return
	# replies come from the VIP, which the LB's main table has no route
	# to: a reverse-path filter would drop them (docs/hc-tunnel.md)
	sysctls "$NS_LB" net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
		net.ipv4.conf.ht-lb.rp_filter=0 || return
	# the backend: VIPs on lo, never answered for on the wire; DSR replies
	# to the LB through the router
	ip -n "$NS_BE" addr add $VIP4/32 dev lo &&
		ip -n "$NS_BE" addr add $VIP6/128 dev lo &&
		ip -n "$NS_BE" route add default via 198.51.100.254 &&
		ip -n "$NS_BE" route add default via 2001:db8:2::fe || return
	sysctls "$NS_BE" net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
}

# a TCP server on the backend, every address: port 80 answers an HTTP
# request, port 9000 counts the bytes it is sent until EOF
cat >"$TMP/server.py" <<'EOF'
import socket, threading
def serve(port, handle):
    s = socket.create_server(("::", port), family=socket.AF_INET6, dualstack_ipv6=True, backlog=64)
    while True:
        c, _ = s.accept()
        c.settimeout(10)
        threading.Thread(target=handle, args=(c,), daemon=True).start()
def http(c):
    try:
        buf = b""
        while b"\r\n\r\n" not in buf:
            d = c.recv(4096)
            if not d:
                break
            buf += d
        c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n")
    except OSError:
        pass
    c.close()
def sink(c):
    n = 0
    try:
        while True:
            d = c.recv(65536)
            if not d:
                break
            n += len(d)
        c.sendall(str(n).encode())
    except OSError:
        pass
    c.close()
threading.Thread(target=serve, args=(9000, sink), daemon=True).start()
serve(80, http)
EOF
# probe MARK ADDR PORT [BYTES]: connect() with SO_MARK (0: none), 2 s at
# most; BYTES: send that many and expect the count back, else an HTTP GET
cat >"$TMP/probe.py" <<'EOF'
import socket, sys
mark, addr, port = int(sys.argv[1], 0), sys.argv[2], int(sys.argv[3])
size = int(sys.argv[4]) if len(sys.argv) > 4 else 0
s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_STREAM)
if mark:
    s.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_MARK", 36), mark)
s.settimeout(2 if not size else 15)
try:
    s.connect((addr, port))
    if size:
        s.sendall(b"x" * size)
        s.shutdown(socket.SHUT_WR)
    else:
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
    got = b""
    while True:
        d = s.recv(4096)
        if not d:
            break
        got += d
except OSError as e:
    print("probe %s:%d: %s" % (addr, port, e))
    sys.exit(1)
want = str(size).encode() if size else b"200 OK"
print(got[:60])
sys.exit(0 if want in got else 1)
EOF
probe() { in_ns "$NS_LB" timeout 20 python3 "$TMP/probe.py" "$@"; }

# counter NAME: a decap counter of the backend (ipip, ip6ip6, ...)
decap_count() {
	be --json decap status ht-be | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"
}
hc_count() {
	lb --json hc-tunnel status ht-lb | python3 -c "import json,sys; print(json.load(sys.stdin)['counters']['$1'])"
}
csum_errors() {
	ip netns exec "$NS_BE" nstat -az TcpInCsumErrors | awk '/TcpInCsumErrors/ {print $2}'
}

echo "TAP version 13"
if ! setup >"$TMP/out" 2>"$TMP/err"; then
	echo "Bail out! setting up the namespaces: $(cat "$TMP/err")"
	exit 1
fi
RT_MAC=$(ip -n "$NS_RT" -br link show ht-rl | awk '{print $3}')
cat >"$TMP/lb.json" <<EOF
{ "interface": "ht-lb", "next_hop_mac": "$RT_MAC", "source_v4": "192.0.2.1",
  "source_v6": "2001:db8:1::1",
  "vips": [
    { "name": "web", "address": "$VIP4", "port": 80, "backends": [ { "name": "be1", "address": "$BE4" } ] },
    { "name": "web6", "address": "$VIP6", "port": 80, "backends": [ { "name": "be1v6", "address": "$BE6" } ] } ] }
EOF
# nsenter execs timeout: $! is what to kill (timeout passes it on)
nsenter --net=/run/netns/"$NS_BE" timeout 120 python3 "$TMP/server.py" &
SERVER_PID=$!
# listening on both ports before anything is sent to it (at most 5 s)
for _ in $(seq 50); do
	[ "$(ip netns exec "$NS_BE" ss -Hltn '( sport = :80 or sport = :9000 )' | wc -l)" -ge 2 ] && break
	sleep 0.1
done

expect_rc "hc-tunnel attach before xdplb is loaded: 1" 1 lb hc-tunnel attach ht-lb --via 192.0.2.254
assert "... says to load first" grep -q "xdplb is not loaded on ht-lb" "$TMP/err"
expect_rc "load the LB" 0 lb load --state-dir "$TMP/state" "$TMP/lb.json"
# the LB's config as the decap's sources: the probes' outer source is the
# LB's source_v4/source_v6, as for client traffic, so they pass the filter
expect_rc "decap on the backend, tunnels from the LB's sources only" 0 be decap attach ht-be --config "$TMP/lb.json"
expect_rc "hc-tunnel attach with an IPv4 and an IPv6 gateway" 0 \
	lb hc-tunnel attach ht-lb --via 192.0.2.254 --via 2001:db8:1::fe
expect_rc "hc-tunnel status --json: 0" 0 lb --json hc-tunnel status ht-lb
check_json "attached, through a link" "d['attached'] and d['link_id'] > 0 and d['table'] == 30820"
link1=$(jq_out "d['link_id']")
ip -n "$NS_LB" rule show >"$TMP/rules"
ip -n "$NS_LB" route show table 30820 >"$TMP/routes"
ip -n "$NS_LB" -6 route show table 30820 >>"$TMP/routes"
r4=$(grep -c 'fwmark 0x7e5c0000/0xfffc0000 lookup 30820' "$TMP/rules")
r6=$(ip -n "$NS_LB" -6 rule show | grep -c 'fwmark 0x7e5c0000/0xfffc0000 lookup 30820')
assert "one fwmark rule per family" [ "$r4" = 1 -a "$r6" = 1 ]
assert "the probes' default routes leave room for the outer header (mtu 1460)" \
	[ "$(grep -c 'default via .* dev ht-lb .*mtu 1460' "$TMP/routes")" = 2 ]
expect_rc "attach again: 0" 0 lb hc-tunnel attach ht-lb --via 192.0.2.254 --via 2001:db8:1::fe
lb --json hc-tunnel status ht-lb >"$TMP/out"
check_json "... the same link (the program swapped in place)" "d['link_id'] == $link1"
assert "... still one rule" [ "$(ip -n "$NS_LB" rule show | grep -c 'lookup 30820')" = 1 ]

# the backend ids of the config, from status
lb --json status --iface ht-lb >"$TMP/out"
ID4=$(jq_out "[b['id'] for v in d['vips'] for b in v['backends'] if b['name'] == 'be1'][0]")
ID6=$(jq_out "[b['id'] for v in d['vips'] for b in v['backends'] if b['name'] == 'be1v6'][0]")
MARK4=$("$XDPLB" hc-tunnel mark "$ID4")
MARK6=$("$XDPLB" hc-tunnel mark "$ID6")
echo "# backend ids $ID4 $ID6, marks $MARK4 $MARK6"

expect_rc "a plain connect to the VIP from the LB: no route" 1 probe 0 $VIP4 80
ipip0=$(decap_count ipip)
ip6ip60=$(decap_count ip6ip6)
enc0=$(hc_count encapsulated)
expect_rc "a probe marked for be1 to $VIP4:80 succeeds" 0 probe "$MARK4" $VIP4 80
assert "... through the tunnel: the backend stripped IPIP" [ "$(decap_count ipip)" -gt "$ipip0" ]
assert "... and the LB wrapped it" [ "$(hc_count encapsulated)" -gt "$enc0" ]
expect_rc "a probe marked for be1v6 to [$VIP6]:80 succeeds" 0 probe "$MARK6" $VIP6 80
assert "... the backend stripped IPv6-in-IPv6" [ "$(decap_count ip6ip6)" -gt "$ip6ip60" ]
assert "... no probe was refused for its outer source (bad_source 0)" [ "$(decap_count bad_source)" = 0 ]

# 1 MB through a probe socket: the stack hands the egress hook GSO packets
# with partial checksums; every byte arrives, none is too big, none fails
# its checksum
cs0=$(csum_errors)
enc0=$(hc_count encapsulated)
expect_rc "1 MB through a marked IPv4 connection arrives whole" 0 probe "$MARK4" $VIP4 9000 1048576
expect_rc "1 MB through a marked IPv6 connection arrives whole" 0 probe "$MARK6" $VIP6 9000 1048576
# one full-size segment is not GSO: without the route's MTU it would be
# 1500 bytes of IP, too big once encapsulated, and the probe would hang
expect_rc "1448 bytes (a full segment at MTU 1500) through a marked connection" 0 \
	probe "$MARK4" $VIP4 9000 1448
lb --json hc-tunnel status ht-lb >"$TMP/out"
check_json "no probe packet too big or refused" "d['counters']['too_big'] == 0 and d['counters']['error'] == 0"
echo "# 2 MB through the tunnel in $(($(hc_count encapsulated) - enc0)) packets at the egress hook (GSO when far below 1500)"
assert "the backend counted no TCP checksum error" [ "$(csum_errors)" = "${cs0:-0}" ]
echo "# LB interface offloads: $(ip netns exec "$NS_LB" ethtool -k ht-lb 2>/dev/null | grep -E '^(tx-checksumming|tcp-segmentation-offload|generic-segmentation-offload):' | tr '\n' ' ')"

nb0=$(hc_count no_backend)
expect_rc "a probe marked for a backend id not in use fails" 1 probe "$("$XDPLB" hc-tunnel mark 4000)" $VIP4 80
assert "... dropped at the LB, counted no_backend" [ "$(hc_count no_backend)" -gt "$nb0" ]

# the backend loses its decap program: its port still answers on its own
# address, the probe no longer gets through
expect_rc "decap detach on the backend" 0 be decap detach ht-be
expect_rc "without decap, the marked probe to $VIP4:80 fails" 1 probe "$MARK4" $VIP4 80
expect_rc "... the IPv6 one too" 1 probe "$MARK6" $VIP6 80
expect_rc "... while a plain connect to $BE4:80 succeeds" 0 probe 0 $BE4 80
expect_rc "decap back on the backend" 0 be decap attach ht-be --config "$TMP/lb.json"
expect_rc "the probe succeeds again" 0 probe "$MARK4" $VIP4 80

# the backend loses its VIP
ip -n "$NS_BE" addr del $VIP4/32 dev lo
expect_rc "without the VIP on lo, the marked probe fails" 1 probe "$MARK4" $VIP4 80
expect_rc "... while a plain connect to $BE4:80 succeeds" 0 probe 0 $BE4 80
expect_rc "... and the IPv6 VIP, still there, answers" 0 probe "$MARK6" $VIP6 80

# unload takes the tunnel, its rule and its routes with it
expect_rc "unload the LB" 0 lb unload --iface ht-lb
expect_rc "hc-tunnel status after unload: 1" 1 lb hc-tunnel status ht-lb
r4=$(ip -n "$NS_LB" rule show | grep -c 30820)
r6=$(ip -n "$NS_LB" -6 rule show | grep -c 30820)
assert "no rule left" [ "$r4" = 0 -a "$r6" = 0 ]
assert "no route left in table 30820" [ -z "$(ip -n "$NS_LB" route show table 30820 2>/dev/null)" ]
assert "nothing left in the bpffs" [ -z "$(find "$XDPLB_BPFFS" -mindepth 1 -path '*ht-lb*' 2>/dev/null)" ]
expect_rc "hc-tunnel detach with nothing attached: 0" 0 lb hc-tunnel detach ht-lb

tap_end

#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# ICMP through the lab (docs/datapath.md, "Echo requests" and "ICMP errors:
# too big, and steered"): path MTU discovery works through the LB in both
# directions, IPv4 and IPv6, and pings of the VIPs answer. TAP.
#
# Lab A (--lb-mtu 1500: the LB's link and the config's mtu 1500, the client's
# link 1500): a full-size client segment does not fit once encapsulated. The
# LB answers it with "fragmentation needed" / "packet too big" from the VIP,
# the client lowers its segment size and 2 MB uploads complete (IPIP, 6in6,
# 4in6). `ping -c 3` and `ping -6 -c 3` of every VIP answer.
# Lab B (--client-mtu 1400: the router's side of the client's link): the
# backends send 1500-byte replies; the router answers them with ICMP to the
# VIP, which reaches the LB; the LB steers it to the backend of the flow,
# which lowers its path MTU, and 2 MB downloads complete.
# The LB's counters must move (replies.frag_needed / packet_too_big,
# icmp.steered): without the LB's part, the transfers would hang (no
# PLPMTUD: net.ipv4.tcp_mtu_probing is 0), and every transfer is bounded
# (30 s socket timeout, 40 s in all).
. "$(dirname "$0")/lab_lib.sh"

SIZE=2097152
VIPS="203.0.113.10 2001:db8:10::80 203.0.113.46"
# status KEY: xdplb status --json of the LB into $TMP/KEY.json
status() { x status --json >"$TMP/$1.json"; }
# delta A B GROUP KEY: counter B - A of status files A and B
delta() {
	$PY -c 'import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
print(b[sys.argv[3]][sys.argv[4]] - a[sys.argv[3]][sys.argv[4]])' "$TMP/$1.json" "$TMP/$2.json" "$3" "$4"
}
# transfer KIND VIP PORTBASE: one 2 MB upload or download, the result's JSON in $TMP/xfer.json
transfer() {
	local src=192.0.2.130
	[[ $2 == *:* ]] && src=2001:db8:c::2
	client 40 http -n 1 "--$1-size" $SIZE --timeout 30 --max-time 30 --vip "$2" --sources $src \
		--port-base "$3" --json >"$TMP/xfer.json" 2>"$TMP/err"
}
xfer_ok() { $PY -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.exit(d["ok"] != 1)' "$TMP/xfer.json" 2>/dev/null; }
xfer_fig() { $PY -c 'import json, sys; d = json.load(open(sys.argv[1])); print("%s s, %s" % (d["seconds"], d["by_backend"] or d["errors"]))' "$TMP/xfer.json" 2>/dev/null; }

# ------------------------------------------------------------ lab A: uploads
t_start=$(now)
lab_start --backends 2 --ipv6 --lb-mtu 1500
echo "# lab A up in $(printf %.1f "$($PY -c "print($(now) - $t_start)")") s"
x status --json >"$TMP/out"
check_json "the live mtu is 1500" "d['mtu'] == 1500"
lab exec lb ip -o link show eth0 | grep -q ' mtu 1500 ' && ok "the LB's eth0 has MTU 1500" ||
	not_ok "the LB's eth0 has MTU 1500: $(lab exec lb ip -o link show eth0)"

base=21000
for vip in $VIPS; do
	status a0
	t0=$(now)
	transfer body "$vip" $base
	t1=$(now)
	status a1
	if xfer_ok; then ok "2 MB upload to $vip through the LB completes ($(xfer_fig))"; else
		not_ok "2 MB upload to $vip through the LB completes ($(xfer_fig))"
		show_output 10
		sed 's/^/# /' "$TMP/xfer.json"
	fi
	fn=$(delta a0 a1 replies frag_needed)
	ptb=$(delta a0 a1 replies packet_too_big)
	tb=$(delta a0 a1 drops too_big)
	want=frag_needed
	[[ $vip == *:* ]] && want=packet_too_big
	got=$fn
	[ "$want" = packet_too_big ] && got=$ptb
	pmtu=$(lab exec client ip route get "$vip" 2>/dev/null | grep -o 'mtu [0-9]*' | head -1)
	if [ "$got" -ge 1 ]; then
		ok "the LB answered $vip's too-big segments: replies.$want +$got (frag_needed +$fn, packet_too_big +$ptb, too_big drops +$tb); the client's path MTU to it: ${pmtu:-none}"
	else
		not_ok "the LB answered $vip's too-big segments: replies.$want +$got (frag_needed +$fn, packet_too_big +$ptb, too_big +$tb)"
	fi
	printf '# %s: %.2f s wall\n' "$vip" "$($PY -c "print($t1 - $t0)")"
	base=$((base + 100))
done

# pings: answered by the LB itself (replies.icmp_echo), IPv4 and IPv6
status p0
for vip in $VIPS; do
	fam=-4
	[[ $vip == *:* ]] && fam=-6
	if lab exec client timeout 10 ping $fam -c 3 -i 0.2 -W 2 "$vip" >"$TMP/out" 2>"$TMP/err" &&
		grep -q ' 3 received' "$TMP/out"; then
		ok "ping $fam -c 3 $vip: $(grep -o '[0-9]* received' "$TMP/out"), $(grep -o 'rtt.*' "$TMP/out")"
	else
		not_ok "ping $fam -c 3 $vip"
		show_output 10
	fi
done
status p1
echo=$(delta p0 p1 replies icmp_echo)
[ "$echo" = 9 ] && ok "the LB answered the 9 echo requests itself (replies.icmp_echo +$echo)" ||
	not_ok "the LB answered the 9 echo requests itself (replies.icmp_echo +$echo)"

# ---------------------------------------------------------- lab B: downloads
t0=$(now)
lab down >/dev/null 2>&1
if lab up --backends 2 --ipv6 --client-mtu 1400 >"$TMP/out" 2>&1; then
	ok "lab B up --client-mtu 1400 (lab A down and B up in $(printf %.1f "$($PY -c "print($(now) - $t0)")") s)"
else
	not_ok "lab B up --client-mtu 1400"
	show_output 20
	tap_end
	exit
fi
base=22000
for vip in $VIPS; do
	status b0
	t0=$(now)
	transfer download "$vip" $base
	t1=$(now)
	status b1
	if xfer_ok; then ok "2 MB download from $vip through a 1400-byte hop completes ($(xfer_fig))"; else
		not_ok "2 MB download from $vip through a 1400-byte hop completes ($(xfer_fig))"
		show_output 10
		sed 's/^/# /' "$TMP/xfer.json"
	fi
	st=$(delta b0 b1 icmp steered)
	be=$($PY -c 'import json, sys; print(next(iter(json.load(open(sys.argv[1]))["by_backend"]), ""))' "$TMP/xfer.json" 2>/dev/null)
	dst=192.0.2.130
	[[ $vip == *:* ]] && dst=2001:db8:c::2
	pmtu=
	[ -n "$be" ] && pmtu=$(lab exec "$be" ip route get "$dst" 2>/dev/null | grep -o 'mtu [0-9]*' | head -1)
	if [ "$st" -ge 1 ]; then
		ok "the router's ICMP about $vip's replies was steered to the backend: icmp.steered +$st; ${be:-?}'s path MTU to the client: ${pmtu:-none}"
	else
		not_ok "the router's ICMP about $vip's replies was steered to the backend: icmp.steered +$st"
	fi
	printf '# %s: %.2f s wall\n' "$vip" "$($PY -c "print($t1 - $t0)")"
	base=$((base + 100))
done
echo "# whole test: $(printf %.1f "$($PY -c "print($(now) - $t_start)")") s before the last teardown"
tap_end

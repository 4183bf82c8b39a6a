#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Real TCP through the lab (tools/lab, docs/lab.md): 500 HTTP requests, one
# connection each, to an IPv4 VIP on IPv4 backends, an IPv6 VIP on IPv6
# backends and an IPv4 VIP on IPv6 backends (4in6). All succeed, every
# backend serves some, and each backend's count is within 4 binomial standard
# deviations of its weight share. The 500 (source address, source port) pairs
# are fixed, so the result is the same on every run; the bound holds for any
# pairs. Full-size segments (uploads) cross the encapsulation whole. TAP.
. "$(dirname "$0")/lab_lib.sh"

lab_start --backends 4 --ipv6
lab config --weights 200,100,100,100 >"$TMP/lb.json"
expect_rc "load the lab config: weights 40/20/20/20 %" 0 x load "$TMP/lb.json"

base=20000
for vip in web:203.0.113.10 web6:2001:db8:10::80 web46:203.0.113.46; do
	name=${vip%%:*} addr=${vip#*:}
	client 90 http -n 500 --vip "$addr" --sources "$(lab sources "$([[ $addr == *:* ]] && echo 6 || echo 4)")" \
		--port-base $base --json >"$TMP/$name.json" 2>"$TMP/err"
	judge "$name ($addr): 500 requests ok, every backend within z <= 4 of its weight share" \
		$PY "$CHECK" split "$TMP/$name.json" "$TMP/lb.json" "$name"
	base=$((base + 1000))
done

# The LB counted the same: 500 new flows per VIP, nothing dropped
x status --json >"$TMP/st.json"
judge "the LB counted 500 new flows per VIP and dropped nothing" $PY - "$TMP/st.json" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
for v in s["vips"]:
    nf = sum(b["counters"]["new_flows"] for b in v["backends"])
    print("%s: %d new flows, per backend %s" % (v["name"], nf,
          {b["name"]: b["counters"]["new_flows"] for b in v["backends"]}))
    assert nf == 500, nf
assert not any(s["drops"].values()), s["drops"]
EOF

# Full-size segments: 256 KB uploads (1500-byte client packets, 1520/1540
# once encapsulated, within the lab's 1600 MTU) arrive whole
for addr in 203.0.113.10 2001:db8:10::80 203.0.113.46; do
	fam=4
	[[ $addr == *:* ]] && fam=6
	expect_rc "5 uploads of 256 KB to $addr arrive whole" 0 \
		client 60 http -n 5 --body-size 262144 --vip "$addr" --sources "$(lab sources $fam)" --port-base 25000
done
x status --json >"$TMP/st.json"
judge "no packet was too big after encapsulation" $PY -c "
import json; s = json.load(open('$TMP/st.json')); print(s['drops']); assert s['drops']['too_big'] == 0"

tap_end

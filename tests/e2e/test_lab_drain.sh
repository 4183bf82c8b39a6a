#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Drain in the lab: a backend set to "drain" gets no new connection and keeps
# its open ones; set active again, it gets new ones again. 12 long-lived
# keep-alive connections run throughout; 300 new connections (fixed source
# pairs) are made while be2 drains. Last, the example config's web VIP is
# staged on the lab (tools/lab config --from) and behaves the same. TAP.
. "$(dirname "$0")/lab_lib.sh"

lab_start --backends 3
cfg "$TMP/c0.json" be1:100,be2:100,be3:100
cfg "$TMP/drain.json" be1:100,be2:100:drain,be3:100
expect_rc "load be1..be3" 0 x load "$TMP/c0.json"

bg hold client 60 hold --conns 12 --interval 0.1 --duration 40 --sources "$(lab sources 4)" \
	--port-base 30000 --stop-file "$TMP/stop" --ready-file "$TMP/ready" --out "$TMP/hold.json"
k=0
while [ ! -s "$TMP/ready" ] && [ $k -lt 100 ]; do sleep 0.1; k=$((k + 1)); done
[ -s "$TMP/ready" ] && ok "12 long-lived connections answer: $($PY -c 'import json,sys,collections; print(dict(sorted(collections.Counter(json.load(open(sys.argv[1])).values()).items())))' "$TMP/ready")" ||
	not_ok "the long-lived connections did not start"

expect_rc "drain be2" 0 x load "$TMP/drain.json"
x status --json >"$TMP/st0.json"
client 60 http -n 300 --sources "$(lab sources 4)" --port-base 20000 --json >"$TMP/r.json"
judge "300 new connections while be2 drains: all ok, none on be2, be1/be3 within z <= 4 of half each" \
	$PY "$CHECK" split "$TMP/r.json" "$TMP/drain.json" web
x status --json >"$TMP/st1.json"
judge "the LB's counters agree: be2 got no new flow, its open connections still send packets" \
	$PY - "$TMP/st0.json" "$TMP/st1.json" <<'PYEOF'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
def be(s, name):
    return [x for x in s["vips"][0]["backends"] if x["name"] == name][0]
d_new = be(b, "be2")["counters"]["new_flows"] - be(a, "be2")["counters"]["new_flows"]
d_pkt = be(b, "be2")["counters"]["packets"] - be(a, "be2")["counters"]["packets"]
print("be2 (%s): %d new flows, %d packets during the 300 requests" % (be(b, "be2")["state"], d_new, d_pkt))
assert be(b, "be2")["state"] == "drain" and d_new == 0 and d_pkt > 0
PYEOF
sleep 1
expect_rc "be2 active again" 0 x load "$TMP/c0.json"
client 60 http -n 300 --sources "$(lab sources 4)" --port-base 21000 --json >"$TMP/r2.json"
judge "300 new connections with be2 active again: be2 gets its third" \
	$PY "$CHECK" split "$TMP/r2.json" "$TMP/c0.json" web
# staging a production config: examples/lb.json's web VIP (web-3 draining) on the lab
lab config --from "$SRC/examples/lb.json" >"$TMP/staged.json" 2>"$TMP/map"
expect_rc "tools/lab config --from examples/lb.json (web-1..3 as be1..3), loaded" 0 x load "$TMP/staged.json"
sed 's/^/# /' "$TMP/map"
client 60 http -n 300 --sources "$(lab sources 4)" --port-base 22000 --json >"$TMP/r3.json"
judge "the staged example: be3 (web-3, draining) gets no new connection, be1/be2 half each" \
	$PY "$CHECK" split "$TMP/r3.json" "$TMP/staged.json" web
touch "$TMP/stop"
wait_bg hold 10
judge "the long-lived connections, be2's and be3's included, never failed nor moved" \
	$PY "$CHECK" hold "$TMP/hold.json" --keep be1,be2,be3 --min-requests 10
tap_end

#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Long-lived connections through the lab keep their backend while backends
# are added, drained and removed by reloads. 24 keep-alive HTTP connections
# (fixed source address and port each) send a request every 100 ms for the
# whole test; each answer names the backend. What the design says
# (docs/datapath.md, conntrack): a flow stays on its backend while that
# backend is active or draining, whatever else changes; a removed backend's
# flows are re-selected by the table, so their next packet reaches another
# backend, which knows no such connection and resets it (RST straight to the
# client). So: connections on kept backends never fail nor move; connections
# on a removed backend work until the removal and are reset after it. TAP.
. "$(dirname "$0")/lab_lib.sh"

lab_start --backends 5
cfg "$TMP/c0.json" be1:100,be2:100,be3:100,be4:100
cfg "$TMP/c1.json" be1:100,be2:100,be3:100,be4:100,be5:100         # add be5
cfg "$TMP/c2.json" be1:100,be2:100:drain,be3:100,be4:100,be5:100   # drain be2
cfg "$TMP/c3.json" be1:100,be2:100:drain,be4:100,be5:100           # remove be3
cfg "$TMP/c4.json" be1:100,be4:100,be5:100                         # remove be2 (drained)
expect_rc "load be1..be4" 0 x load "$TMP/c0.json"

bg hold client 60 hold --conns 24 --interval 0.1 --duration 40 --sources "$(lab sources 4)" \
	--port-base 30000 --stop-file "$TMP/stop" --ready-file "$TMP/ready" --out "$TMP/hold.json"
k=0
while [ ! -s "$TMP/ready" ] && [ $k -lt 100 ]; do sleep 0.1; k=$((k + 1)); done
[ -s "$TMP/ready" ] && ok "24 long-lived connections answer: $(cat "$TMP/ready" | $PY -c 'import json,sys,collections; print(dict(sorted(collections.Counter(json.load(sys.stdin).values()).items())))')" ||
	not_ok "the long-lived connections did not start"
sleep 1
expect_rc "reload: add be5" 0 x load "$TMP/c1.json"
sleep 1.5
expect_rc "reload: drain be2" 0 x load "$TMP/c2.json"
sleep 1.5
t_be3=$(now)
expect_rc "reload: remove be3" 0 x load "$TMP/c3.json"
sleep 1.5
t_be2=$(now)
expect_rc "reload: remove be2 (drained since 1.5 s)" 0 x load "$TMP/c4.json"
sleep 1.5
touch "$TMP/stop"
wait_bg hold 10
[ -s "$TMP/hold.json" ] && ok "the client finished" || not_ok "no client output"
judge "on be1, be4: never failed nor moved (through add, drain, removals); on be2 (drained, then removed) and be3: worked until their removal, reset after it" \
	$PY "$CHECK" hold "$TMP/hold.json" --keep be1,be4 --reset "be3=$t_be3,be2=$t_be2" --min-requests 30
expect_rc "a new connection after all that works" 0 client 20 http -n 20 --sources "$(lab sources 4)" --port-base 31000
tap_end

#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Reload under load in the lab: a client opens new connections at about
# 40/s (a request each) while the config changes 20 times: weights, backends
# drained, re-activated, added and removed, and three `xdplb rollback`s.
# 8 long-lived connections run throughout. Zero failed connections, zero
# resets of established ones.
#
# A backend is removed only after it drained for a second: a connection still
# open on a removed backend is reset by design (test_lab_longlived.sh), so
# the safe procedure (docs/runbook.md) is drain, wait, remove. Every step
# passes the default guards (max_flows_moved 0.5, max_backend_share 2/N).
# The lab's service runs beside the loads by hand (with its health checks):
# it adopts each change, and answers /metrics at the end. TAP.
. "$(dirname "$0")/lab_lib.sh"

lab_start --backends 5
i=0
steps=(
	"weights: be1 200|be1:200,be2:100,be3:100,be4:100"
	"weights: be1 100, be2 150|be1:100,be2:150,be3:100,be4:100"
	"add be5|be1:100,be2:150,be3:100,be4:100,be5:100"
	"weights: be5 200|be1:100,be2:150,be3:100,be4:100,be5:200"
	"weights: be3 50|be1:100,be2:150,be3:50,be4:100,be5:200"
	"rollback|"
	"drain be4|be1:100,be2:150,be3:100,be4:100:drain,be5:200"
	"be4 active again|be1:100,be2:150,be3:100,be4:100,be5:200"
	"drain be5|be1:100,be2:150,be3:100,be4:100,be5:200:drain"
	"remove be5 (drained)|be1:100,be2:150,be3:100,be4:100"
	"weights: be2 100|be1:100,be2:100,be3:100,be4:100"
	"add be5 again|be1:100,be2:100,be3:100,be4:100,be5:100"
	"weights: be1 150|be1:150,be2:100,be3:100,be4:100,be5:100"
	"drain be2|be1:150,be2:100:drain,be3:100,be4:100,be5:100"
	"rollback|"
	"weights: be3 120|be1:150,be2:100,be3:120,be4:100,be5:100"
	"rollback|"
	"drain be5|be1:150,be2:100,be3:100,be4:100,be5:100:drain"
	"remove be5 (drained)|be1:150,be2:100,be3:100,be4:100"
	"weights: all 100|be1:100,be2:100,be3:100,be4:100"
)
cfg "$TMP/c0.json" be1:100,be2:100,be3:100,be4:100
expect_rc "load be1..be4" 0 x load "$TMP/c0.json"

bg hold client 300 hold --conns 8 --interval 0.1 --duration 240 --sources "$(lab sources 4)" \
	--port-base 30000 --stop-file "$TMP/stop" --ready-file "$TMP/ready" --out "$TMP/hold.json"
bg churn client 300 churn --rate 40 --parallel 4 --duration 240 --sources "$(lab sources 4)" \
	--stop-file "$TMP/stop" --out "$TMP/churn.json"
k=0
while [ ! -s "$TMP/ready" ] && [ $k -lt 100 ]; do sleep 0.1; k=$((k + 1)); done
sleep 0.5

t0=$(now)
for s in "${steps[@]}"; do
	i=$((i + 1))
	desc=${s%%|*} spec=${s#*|}
	if [ -z "$spec" ]; then
		expect_rc "change $i: xdplb rollback" 0 x rollback
	else
		cfg "$TMP/s$i.json" "$spec"
		expect_rc "change $i: $desc" 0 x load "$TMP/s$i.json"
	fi
	case $desc in drain*) sleep 1.2 ;; *) sleep 0.5 ;; esac
done
t1=$(now)
sleep 1
touch "$TMP/stop"
wait_bg churn 15
wait_bg hold 15
echo "# 20 changes in $($PY -c "print('%.1f' % ($t1 - $t0))") s"
x history --json >"$TMP/hist.json"
judge "history: 22 entries (the service's first load, then these 21), the newest live" $PY -c "
import json; h = json.load(open('$TMP/hist.json')); print(len(h), 'entries'); assert len(h) == 22 and h[0]['live']"
x status --json --iface eth0 >"$TMP/out"
gen=$(jq_out "d['generation']")
lab service log >"$TMP/svc.log"
last=$(grep 'changed outside the service' "$TMP/svc.log" | tail -1)
echo "# the service adopted $(grep -c 'changed outside the service' "$TMP/svc.log") loads by hand; the last: ${last#* }"
assert "the service runs the live config (its last adoption: generation $gen)" \
	grep -q "now generation $gen)" <<<"$last"
check "the service still answers /metrics (never hung)" lab service metrics
# the last change is live, exactly
expect_rc "audit: what is live is change 20's config, slot by slot" 0 x audit "$TMP/s20.json"
judge "no connection failed while the config changed 20 times" $PY "$CHECK" churn "$TMP/churn.json" --min 600
judge "no long-lived connection was reset or moved" $PY "$CHECK" hold "$TMP/hold.json" --min-requests 100
tap_end

#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# The postmortem, replayed in the lab with real traffic. Five backends share
# a VIP equally; the bad change gives one of them 80% of the weight. It is
# refused by validation and by load (max_backend_share, max_flows_moved).
# Forced anyway with `--force --verify 5` while a client keeps opening
# connections (about 100/s), the verification sees the skew in the LB's
# per-backend new-flow counters and rolls back by itself. The test prints the
# time from the load to the restored distribution, and checks the
# distribution after it on 500 fixed connections. TAP.
. "$(dirname "$0")/lab_lib.sh"

lab_start --backends 5
cfg "$TMP/good.json" be1:100,be2:100,be3:100,be4:100,be5:100
cfg "$TMP/pm.json" be1:25,be2:25,be3:400,be4:25,be5:25
expect_rc "load the good config: 5 backends, 20% each" 0 x load "$TMP/good.json"

expect_rc "validate refuses the postmortem's config" 1 "$XDPLB" validate "$TMP/pm.json"
grep -q "be3\|backends\[2\]" "$TMP/err" && grep -q "max_backend_share" "$TMP/err" &&
	ok "it names be3 and max_backend_share: $(grep -m1 -o 'would take [0-9.]*% .*allowed by max_backend_share' "$TMP/err")" ||
	not_ok "refusal: $(cat "$TMP/err")"
expect_rc "load refuses it too" 1 x load "$TMP/pm.json"
expect_rc "nothing changed: the good config is live" 0 x audit "$TMP/good.json"

web_flows() { x stats --json --iface eth0 | $PY -c '
import json, sys
print([v for v in json.load(sys.stdin)["vips"] if v["name"] == "web"][0]["new_flows"])'; }
f0=$(web_flows)
bg churn client 60 churn --rate 100 --parallel 8 --duration 40 --sources "$(lab sources 4)" \
	--stop-file "$TMP/stop" --out "$TMP/churn.json"
# the client's connections are reaching the LB before the load (at most
# 20 s: python's start-up is slow on a loaded machine, and --verify needs
# 20 new flows in its window)
for _ in $(seq 100); do
	[ $(($(web_flows) - f0)) -ge 20 ] && break
	sleep 0.2
done
t0=$(now)
expect_rc "load --force --verify 5: verification fails and rolls back (exit 1)" 1 \
	x load --force --verify 5 "$TMP/pm.json"
t1=$(now)
cp "$TMP/err" "$TMP/verify.err"
sed 's/^/# /' "$TMP/verify.err"
grep -q "VERIFY FAILED" "$TMP/verify.err" && grep -q "backend be3 took" "$TMP/verify.err" &&
	grep -q "rolled back" "$TMP/verify.err" &&
	ok "it saw be3's skew in real traffic and rolled back" || not_ok "verify output above"
expect_rc "the good config is live again (audit)" 0 x audit "$TMP/good.json"
ms=$($PY -c "print(round(($t1 - $t0) * 1000))")
echo "# load -> restored distribution: $ms ms (load, verification failed $(grep -o 'after [0-9.]* s' "$TMP/verify.err" | head -1), rollback)"
[ "$ms" -lt 5000 ] && ok "restored in $ms ms, before the 5 s window ended" || not_ok "took $ms ms"
sleep 1
touch "$TMP/stop"
wait_bg churn 15
judge "the client saw the skew while it lasted, and no failed connection" \
	sh -c "$PY '$CHECK' window '$TMP/churn.json' be3 $t0 $t1 && $PY '$CHECK' churn '$TMP/churn.json' --min 100"
client 60 http -n 500 --sources "$(lab sources 4)" --port-base 20000 --json >"$TMP/r.json"
judge "after the rollback: 500 new connections split 20% each (z <= 4)" \
	$PY "$CHECK" split "$TMP/r.json" "$TMP/good.json" web
tap_end

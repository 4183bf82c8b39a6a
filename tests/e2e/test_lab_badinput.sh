#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Bad input in the lab: invalid configs (and one whose next_hop nobody
# answers for) loaded while a client keeps opening
# connections (about 50/s) change nothing: every load is refused with exit 1
# (or 3 for a missing file), the live digest and generation stay, audit finds
# no drift, and no request fails. TAP.
. "$(dirname "$0")/lab_lib.sh"

lab_start --backends 3
cfg "$TMP/good.json" be1:100,be2:100,be3:100
expect_rc "load the good config" 0 x load "$TMP/good.json"
x status --json >"$TMP/st0.json"
state() { $PY -c "import json; d = json.load(open('$1')); print(d['config_digest'], d['generation'], d['prog_id'])"; }
before=$(state "$TMP/st0.json")

# the bad inputs
sed 's/"weight": 100/"wieght": 100/' "$TMP/good.json" >"$TMP/typo.json"
sed '0,/"weight": 100/s//"weight": -1/' "$TMP/good.json" >"$TMP/negative.json"
head -c 200 "$TMP/good.json" >"$TMP/truncated.json"
sed 's/"198.51.100.12"/"198.51.100.300"/' "$TMP/good.json" >"$TMP/address.json"
edit() { # edit OUT PYTHON: good.json, c, changed by a Python statement
	$PY -c 'import json, sys; c = json.load(open(sys.argv[1])); exec(sys.argv[2]); print(json.dumps(c, indent=1))' \
		"$TMP/good.json" "$2" >"$1"
}
# a bad fixed MAC instead of the lab's next_hop address
edit "$TMP/mac.json" 'c.pop("next_hop", None); c["next_hop_mac"] = "02:00:00:00:00"'
# a next hop nobody answers for: refused after the resolution's 3 s
edit "$TMP/unresolved.json" 'c["next_hop"] = "192.0.2.5"' 
cfg "$TMP/allzero.json" be1:0,be2:0,be3:0
cfg "$TMP/skew.json" be1:1000,be2:10,be3:10

bg churn client 60 churn --rate 50 --parallel 4 --duration 40 --sources "$(lab sources 4)" \
	--stop-file "$TMP/stop" --out "$TMP/churn.json"
sleep 1
for f in typo negative truncated address mac unresolved allzero skew; do
	expect_rc "load $f.json during traffic: refused (exit 1)" 1 x load "$TMP/$f.json"
	echo "# $(head -1 "$TMP/err")"
	x status --json >"$TMP/st.json"
	[ "$(state "$TMP/st.json")" = "$before" ] && ok "digest, generation and program unchanged after $f.json" ||
		not_ok "live state changed after $f.json: $(state "$TMP/st.json") (was $before)"
	sleep 0.3
done
expect_rc "load a missing file: exit 3" 3 x load "$TMP/nope.json"
expect_rc "audit: what is live is still the good config" 0 x audit "$TMP/good.json"
sleep 0.5
touch "$TMP/stop"
wait_bg churn 15
judge "no request failed while the bad configs were tried" $PY "$CHECK" churn "$TMP/churn.json" --min 100
tap_end

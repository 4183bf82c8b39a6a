#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Configured and effective state (docs/health.md) with `xdplb run` live and
# one backend out for health: health commits write no history entry and
# leave the generation; `audit` reports the backend as health, by design,
# never as drift; `diff` of the live config against its own file shows no
# change; a reload (SIGHUP) and a rollback apply the configured state with
# the live health on top, so the dead backend stays out. TAP output;
# everything it makes is removed on exit, processes by PID.
set -u

NS=xdplbh$$
TMP=$(mktemp -d /tmp/xdplb-health-state.XXXXXX)
. "$(dirname "$0")/lib.sh"
SD=$TMP/state
CFG=$TMP/svc/lb.json
SVC_PID=
declare -A LPID

x() { nsenter --net=/run/netns/"$NS" "$XDPLB" "$@"; }
be() { # be BACKEND KEY: web's backend's KEY in `status --json`
	x status --json veth0 | python3 -c "
import json, sys
d = json.load(sys.stdin)
print([b for v in d['vips'] for b in v['backends'] if b['name'] == '$1'][0]['$2'])"
}
be_is() { test "$(be "$1" "$2")" = "$3"; } # be_is BACKEND KEY VALUE
top() { x status --json veth0 | python3 -c "import json, sys; print(json.load(sys.stdin)['$1'])"; }
entries() { x history --json --state-dir "$SD" veth0 | python3 -c "import json, sys; print(len(json.load(sys.stdin)))"; }
# wait_for SEC CMD...: polls CMD every 0.1 s for at most SEC seconds
wait_for() {
	local end=$((SECONDS + $1))
	shift
	while [ $SECONDS -le $end ]; do
		"$@" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

cleanup() {
	stop_pid "$SVC_PID"
	for p in "${LPID[@]}"; do stop_pid "$p"; done
	veth_ns_del "$NS"
	release_bpffs
	rm -rf "$TMP"
}
trap cleanup EXIT
private_bpffs
veth_ns "$NS"
ip -n "$NS" link set lo up
mkdir -p "$TMP/svc"

# web: three backends on the namespace's lo, tcp checks every 0.2 s; b3's
# weight is what the configs A and B differ in
for i in 1 2 3; do ip -n "$NS" addr add 198.51.100.1$i/32 dev lo; done
config() { # config B3_WEIGHT FILE
	cat >"$2" <<EOF
{ "interface": "veth0", "next_hop_mac": "02:00:00:00:00:01", "source_v4": "192.0.2.1",
  "health_check": { "type": "tcp", "through": "direct", "interval": 0.2, "timeout": 0.1,
                    "rise": 2, "fall": 2 },
  "vips": [ { "name": "web", "address": "203.0.113.10", "port": 80, "table_size": 1021,
              "guards": { "max_backend_share": 1, "max_flows_moved": 1 },
              "backends": [ { "name": "b1", "address": "198.51.100.11" },
                            { "name": "b2", "address": "198.51.100.12" },
                            { "name": "b3", "address": "198.51.100.13", "weight": $1 } ] } ] }
EOF
}
config 100 "$TMP/a.json"
config 50 "$TMP/b.json"
cp "$TMP/a.json" "$CFG"

listen() { # listen N: backend bN accepts on :80 until stopped (10 min at most)
	nsenter --net=/run/netns/"$NS" timeout 600 python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 80)); s.listen(64)
while True:
    s.accept()[0].close()' "198.51.100.1$1" &
	LPID[$1]=$!
}
kill_be() { # kill_be N: backend bN stops accepting (its checks fail: refused)
	stop_pid "${LPID[$1]}"
	LPID[$1]=
}
for i in 1 2 3; do listen $i; done

echo "TAP version 13"

nsenter --net=/run/netns/"$NS" "$XDPLB" run --state-dir "$SD" "$CFG" 2>>"$TMP/svc.err" &
SVC_PID=$!
if wait_for 10 be_is b2 health up; then ok "the service runs, b2's checks pass"; else
	not_ok "b2 not up: service log:"
	sed 's/^/# /' "$TMP/svc.err" | tail
fi
h0=$(entries)
g0=$(top generation)
s0=$(top health_seq)
assert "one history entry, generation 1" test "$h0/$g0" = 1/1

# (b) b2 out, in, out: three health commits, no history entry, no generation
kill_be 2
assert "b2 out for health" wait_for 5 be_is b2 health out
listen 2
assert "b2 back in" wait_for 5 be_is b2 health up
kill_be 2
assert "b2 out again" wait_for 5 be_is b2 health out
assert "b2: effective drain, configured active, no slot" \
	test "$(be b2 state)/$(be b2 configured_state)/$(be b2 table_slots)" = drain/active/0
s1=$(top health_seq)
assert "health_seq counted the commits ($s0 -> $s1)" test "$s1" -ge $((s0 + 3))
assert "the generation did not move" test "$(top generation)" = "$g0"
assert "no history entry for health: still $h0" test "$(entries)" = "$h0"

# (a) audit: b2 by design (health), no drift
expect_rc "audit of the file: no drift (exit 0)" 0 \
	x audit --iface veth0 --state-dir "$SD" --json "$CFG"
check_json "b2 reported as health, by design" \
	"not d['drift'] and [(f['kind'], f['where']) for f in d['by_design']] == [('health', 'vip web backend b2')]"
check_json "no finding at all" "d['findings'] == []"

# (d) diff of the live config against its own file: nothing, health aside
expect_rc "diff of the file against live: exit 0" 0 x diff --iface veth0 --state-dir "$SD" "$CFG"
assert "no difference" grep -q "no difference" "$TMP/out"
check "diff --json against B (b3 50)" x diff --json --iface veth0 --state-dir "$SD" "$TMP/b.json"
check_json "b2 active on both sides: configured states, not health's drain" \
	"[(b['state_before'], b['state_after'], b['change']) for v in d['vips'] for b in v['backends'] if b['name'] == 'b2'] == [('active', 'active', 'kept')]"

# (e) a reload to B: the new configured state with the live health on top;
# b2 stays out, with no commit that put it back and took it out again
s1=$(top health_seq)
t1=$(grep -c "health: " "$TMP/svc.err")
cp "$TMP/b.json" "$CFG.new" && mv "$CFG.new" "$CFG"
kill -HUP "$SVC_PID"
assert "reloaded: generation $((g0 + 1))" wait_for 5 eval 'test "$(top generation)" = $((g0 + 1))'
assert "b3 has B's weight" test "$(be b3 weight)" = 50
assert "b2 still out for health right after the reload" \
	test "$(be b2 health)/$(be b2 state)/$(be b2 table_slots)" = out/drain/0
sleep 1 # five check intervals: a reset verdict would have come and gone
assert "b2 still out a second later" test "$(be b2 health)/$(be b2 state)" = out/drain
assert "no health commit since the reload (health_seq $s1)" test "$(top health_seq)" = "$s1"
assert "no health transition logged since the reload" \
	test "$(grep -c "health: " "$TMP/svc.err")" = "$t1"
assert "two history entries: the reload's and the start's" test "$(entries)" = $((h0 + 1))

# (c) rollback to A: A's configured state, the live health on top
check "rollback" x rollback --state-dir "$SD"
assert "b3 has A's weight again" test "$(be b3 weight)" = 100
assert "b2 still out after the rollback" \
	test "$(be b2 health)/$(be b2 state)/$(be b2 configured_state)/$(be b2 table_slots)" = out/drain/active/0
assert "the service adopted the rollback" wait_for 5 grep -q "changed outside the service" "$TMP/svc.err"
sleep 1
assert "b2 still out once adopted" test "$(be b2 health)/$(be b2 state)" = out/drain
assert "no health commit since (health_seq $s1)" test "$(top health_seq)" = "$s1"
assert "b3 still A's weight (the service did not undo the rollback)" test "$(be b3 weight)" = 100
expect_rc "audit of A: no drift, b2 by design" 0 \
	x audit --iface veth0 --state-dir "$SD" --json "$TMP/a.json"

# b2 comes back: the checks still run on the rolled-back config
listen 2
assert "b2 back in after the rollback" wait_for 5 be_is b2 health up
assert "b2 active again" test "$(be b2 state)" = active

stop_pid "$SVC_PID"
SVC_PID=
tap_end

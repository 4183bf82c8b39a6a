#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# xdplb run, the service, on the lab (three backends, real TCP):
#   1. an invalid config (a bad weight) written to its file and then SIGHUP:
#      both reloads refused, the reason in its log, the running config
#      untouched (digest and generation in `status --json`),
#      xdplb_service_reloads_total{result="refused"} 2;
#   2. a valid change, the file edited in place (no signal; the bad one was
#      renamed into place): picked up by itself, live within a second (the
#      time is printed);
#   3. SIGKILL while a client opens ~40 connections a second: the data path
#      keeps forwarding (no connection fails while the service is dead);
#      restarted, it adopts what is live: same generation, no new history
#      entry, the same table slots, "adopting" in its log;
#   4. started with nothing loaded (as after a reboot: unload, then start):
#      it loads the file;
#   5. an operator override (`xdplb backend set web be1 drain`) survives a
#      reload of the file and the service's own health commits, shows in
#      `status` and in `audit` as by design (exit 0); SKIP while
#      `xdplb backend` does not exist. TAP.
. "$(dirname "$0")/lab_lib.sh"

T_TEST=$(now)
lab_start --backends 3
SVC_FILE=$(lab service file)
ms() { $PY -c "print(round((float('$1') - float('$2')) * 1000))"; }
# wait_log AFTER REGEX [REGEX2]: stamps of the service's log lines (lab_check.py logtime); at most 10 s
wait_log() {
	for _ in $(seq 100); do
		lab service log >"$TMP/svc.log" 2>/dev/null
		$PY "$CHECK" logtime "$TMP/svc.log" "$@" && return 0
		sleep 0.1
	done
	return 1
}
status_json() { x status --json --iface eth0 >"$TMP/out" 2>"$TMP/err"; }
# cfg_edit OUT PYTHON: the lab's config as up wrote it, c, edited by a Python statement, to OUT
cfg_edit() {
	$PY - "$TMP/good.json" "$1" "$2" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(c, open(sys.argv[2], "w"), indent=1)
EOF
}
# put FILE: FILE becomes the service's file as config management does it (rename)
put() { cp "$1" "$SVC_FILE.tmp" && mv "$SVC_FILE.tmp" "$SVC_FILE"; }
metric() { # metric NAME{LABELS}: its value on the service's /metrics
	lab service metrics 2>/dev/null | awk -v m="$1" '$1 == m {print $2}'
}
be_health() { # be_health NAME: its health on VIP web
	x status --json --iface eth0 | $PY -c "
import json, sys
print([b['health'] for b in json.load(sys.stdin)['vips'][0]['backends'] if b['name'] == '$1'][0])"
}
history_len() { x history --json --iface eth0 | $PY -c "import json, sys; print(len(json.load(sys.stdin)))"; }
slots() { # backend=slots,... of VIP web
	x status --json --iface eth0 | $PY -c "
import json, sys
d = json.load(sys.stdin)
print(','.join('%s=%s/%s' % (b['name'], b['table_slots'], b['state']) for b in d['vips'][0]['backends']))"
}

# ---------------------------------------------------------------- 1. refused
status_json
digest0=$(jq_out "d['config_digest']")
gen0=$(jq_out "d['generation']")
cp "$SVC_FILE" "$TMP/good.json"
cfg_edit "$TMP/bad.json" "c['vips'][0]['backends'][1]['weight'] = -5"
t=$(now)
put "$TMP/bad.json"
if wait_log "$t" 'changed: reloading' 'refused: the running config' >/dev/null; then
	ok "the bad file, written: reload refused, the running config stays"
else
	not_ok "no refusal in the service's log after the bad file was written"
fi
t=$(now)
check "SIGHUP (lab service reload)" lab service reload
if wait_log "$t" 'SIGHUP: reloading' 'refused: the running config' >/dev/null; then
	ok "SIGHUP: reload refused, the running config stays"
else
	not_ok "no refusal in the service's log after SIGHUP"
fi
lab service log >"$TMP/svc.log"
reason=$(grep -o 'vips\[0\]\.backends\[1\]\.weight: .*' "$TMP/svc.log" | tail -1)
assert "the reason in the service's log: ${reason:-none}" [ -n "$reason" ]
grep -E 'reloading|weight|refused' "$TMP/svc.log" | tail -6 | sed 's/^/#   /'
status_json
check_json "status --json: digest and generation unchanged ($gen0)" \
	"d['config_digest'] == '$digest0' and d['generation'] == $gen0"
r=$(metric 'xdplb_service_reloads_total{iface="eth0",result="refused"}')
assert "xdplb_service_reloads_total{result=\"refused\"} 2 (is ${r:-none})" [ "$r" = 2 ]
r=$(metric 'xdplb_service_last_reload_successful{iface="eth0"}')
assert "xdplb_service_last_reload_successful 0 (is ${r:-none})" [ "$r" = 0 ]
lab http 100 --json >"$TMP/r.json" 2>"$TMP/err"
check_json "100 requests meanwhile: all ok" "json.load(open('$TMP/r.json'))['failed'] == 0 and json.load(open('$TMP/r.json'))['ok'] == 100"

# ---------------------------------------------------------------- 2. the file changes
cfg_edit "$TMP/w.json" "c['vips'][0]['backends'][0]['weight'] = 200"
t=$(now)
cp "$TMP/w.json" "$SVC_FILE" # edited in place this time (the bad one was renamed into place)
if times=$(wait_log "$t" 'changed: reloading' 'updated to generation'); then
	ok "the file edited in place (no signal): the service reloaded it by itself"
	echo "# file written -> new generation live: $(ms "${times#* }" "$t") ms (the service waits 0.2 s for the writes to settle)"
else
	not_ok "the service did not pick up the changed file within 10 s"
	lab service log -n 10 | sed 's/^/# /'
fi
status_json
check_json "status --json: be1 weight 200, generation $((gen0 + 1))" \
	"d['vips'][0]['backends'][0]['weight'] == 200 and d['generation'] == $gen0 + 1"
r=$(metric 'xdplb_service_reloads_total{iface="eth0",result="ok"}')
assert "xdplb_service_reloads_total{result=\"ok\"} 1 (is ${r:-none})" [ "$r" = 1 ]
r=$(metric 'xdplb_service_last_reload_successful{iface="eth0"}')
assert "xdplb_service_last_reload_successful 1 (is ${r:-none})" [ "$r" = 1 ]

# ---------------------------------------------------------------- 3. SIGKILL
status_json
gen1=$(jq_out "d['generation']")
hist1=$(history_len)
slots1=$(slots)
bg churn client 40 churn --rate 40 --parallel 8 --timeout 1 --duration 30 --sources "$(lab sources 4)" \
	--stop-file "$TMP/stop" --out "$TMP/churn.json"
sleep 1
check "SIGKILL (lab service kill KILL)" lab service kill KILL
t_kill=$(now)
sleep 3
expect_rc "3 s later: not running (lab service status: 3)" 3 lab service status
t=$(now)
check "restarted (lab service start)" lab service start
t_start=$(now)
sleep 1
touch "$TMP/stop"
wait_bg churn 10
judge "no connection failed, before, while the service was dead, or after its restart" \
	"$PY" "$CHECK" churn "$TMP/churn.json" --min 100
$PY - "$TMP/churn.json" "$t_kill" "$t" <<'EOF' | sed 's/^/# /'
import json, sys
d = json.load(open(sys.argv[1]))
a, b = float(sys.argv[2]), float(sys.argv[3])
w = [x for x in d["log"] if a <= d["t0_wall"] + x[0] <= b]
print("while the service was dead (%.1f s): %d connections, %d failed" % (
    b - a, len(w), sum(1 for x in w if x[2])))
EOF
lab service log >"$TMP/svc.log"
adopt=
if $PY "$CHECK" logtime "$TMP/svc.log" "$t" 'is live already .*adopting it' >/dev/null; then
	adopt=$(grep 'adopting it' "$TMP/svc.log" | tail -1)
fi
assert "its log says it adopts: ${adopt#* }" [ -n "$adopt" ]
status_json
check_json "generation unchanged ($gen1)" "d['generation'] == $gen1"
hist2=$(history_len)
assert "no new history entry ($hist2, was $hist1)" [ "$hist2" = "$hist1" ]
slots2=$(slots)
assert "the same table slots and states: $slots2" [ "$slots2" = "$slots1" ]
echo "# restart: started $(ms "$t_start" "$t") ms after the command"

# ---------------------------------------------------------------- 4. nothing loaded
status_json
digest2=$(jq_out "d['config_digest']")
check "service stopped (SIGTERM)" lab service stop
check "xdplb unload: nothing live, no pins" x unload --iface eth0
expect_rc "status: not loaded (exit 1)" 1 x status --iface eth0
t=$(now)
check "service started with no pins" lab service start
lab service log >"$TMP/svc.log"
loaded=
if $PY "$CHECK" logtime "$TMP/svc.log" "$t" 'eth0: attached, generation' >/dev/null; then
	loaded=$(grep 'eth0: attached, generation' "$TMP/svc.log" | tail -1)
fi
assert "it loaded the file: ${loaded#* }" [ -n "$loaded" ]
status_json
check_json "status --json: attached, the file's digest" "d['attached'] and d['config_digest'] == '$digest2'"
healthy=
for _ in $(seq 50); do
	status_json
	healthy=$(jq_out "all(b['health'] == 'up' for v in d['vips'] for b in v['backends'])" 2>/dev/null)
	[ "$healthy" = True ] && break
	sleep 0.2
done
assert "its checks run (the tunnel attached again): every backend up" [ "$healthy" = True ]
lab http 100 --json >"$TMP/r.json" 2>"$TMP/err"
check_json "100 requests: all ok" "json.load(open('$TMP/r.json'))['ok'] == 100"

# ---------------------------------------------------------------- 5. overrides
check "xdplb backend set web be1 drain" x backend set web be1 drain --iface eth0
status_json
check_json "status --json: be1 drain, configured drain (the override), override" \
	"[(b['state'], b['configured_state'], b['override']) for b in d['vips'][0]['backends'] if b['name'] == 'be1'] == [('drain', 'drain', True)]"
check "status (text) shows the override" x status --iface eth0
grep be1 "$TMP/out" | sed 's/^/# /'
assert "status (text): be1's line says override" grep -q 'be1 .*override' "$TMP/out"
# a health commit of the service meanwhile (be3 out and back) must
# write be1's override, not the file's state
lab exec router ip link set b3 down
for _ in $(seq 40); do [ "$(be_health be3)" = out ] && break; sleep 0.2; done
lab exec router ip link set b3 up
for _ in $(seq 40); do [ "$(be_health be3)" = up ] && break; sleep 0.2; done
status_json
check_json "be3 out and back by its checks (two health commits): be1 still drain by override" \
	"[(b['name'], b['state'], b['health'], b['override']) for b in d['vips'][0]['backends'] if b['name'] in ('be1', 'be3')] == [('be1', 'drain', 'up', True), ('be3', 'active', 'up', False)]"
cfg_edit "$TMP/o.json" "c['vips'][0]['backends'][0]['weight'] = 200; c['vips'][0]['backends'][2]['weight'] = 150"
t=$(now)
put "$TMP/o.json"
if wait_log "$t" 'changed: reloading' 'updated to generation' >/dev/null; then
	ok "the file changed: reloaded"
else
	not_ok "the file change was not loaded"
	lab service log -n 10 | sed 's/^/# /'
fi
status_json
check_json "after the reload: be3 weight 150, be1 still drain by override" \
	"[(b['name'], b['state'], b['override']) for b in d['vips'][0]['backends'] if b['name'] in ('be1', 'be3')] == [('be1', 'drain', True), ('be3', 'active', False)] and d['vips'][0]['backends'][2]['weight'] == 150"
expect_rc "audit FILE: exit 0 (by design, not drift)" 0 x audit "$SVC_FILE" --iface eth0
expect_rc "audit FILE --json: exit 0" 0 x audit "$SVC_FILE" --iface eth0 --json
check_json "audit --json: no drift; by_design has be1's override" \
	"not d['drift'] and any(f['kind'] == 'override' and 'be1' in f['where'] for f in d['by_design'])"
check "xdplb backend set web be1 clear" x backend set web be1 clear --iface eth0
status_json
check_json "cleared: be1 active, no override" \
	"[(b['state'], b['override']) for b in d['vips'][0]['backends'] if b['name'] == 'be1'] == [('active', False)]"

echo "# test_lab_service.sh: $(ms "$(now)" "$T_TEST") ms in all"
tap_end

#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Operators' overrides (`xdplb backend set|list`): applied through the
# guarded, atomic load path; read back from the maps; kept across reloads of
# the file; seen by diff, audit and stats as overrides, not drift; restored
# by rollback; refused and unchanged on a bad name or a guard. TAP output;
# everything it makes is removed on exit.
set -u

NS=xdplbo$$
TMP=$(mktemp -d /tmp/xdplb-override.XXXXXX)
. "$(dirname "$0")/lib.sh"
SD=$TMP/state
A=$SRC/examples/lb.json

x() { nsenter --net=/run/netns/"$NS" "$XDPLB" "$@"; }
# be VIP BACKEND KEY: a backend's KEY in `status --json`, read from the maps
be() {
	x status --json veth0 | python3 -c "
import json, sys
d = json.load(sys.stdin)
print([b for v in d['vips'] if v['name'] == '$1' for b in v['backends'] if b['name'] == '$2'][0]['$3'])"
}
gen() { x status --json veth0 | python3 -c "import json, sys; print(json.load(sys.stdin)['generation'])"; }

scratch "$NS"
veth_ns "$NS"
python3 -c "
import json; d = json.load(open('$A'))
d['vips'][0]['backends'][0]['weight'] = 120
d['vips'][0]['backends'][1]['weight'] = 60
json.dump(d, open('$TMP/w60.json', 'w'))"

echo "TAP version 13"

expect_rc "load the example" 0 x load --iface veth0 --state-dir "$SD" "$A"
expect_rc "no override at first" 0 x backend list veth0 --state-dir "$SD"
assert "list says so" grep -q "no override" "$TMP/out"
s0=$(be web6 web6-1 table_slots)

# drain web-1: web-3 is drained already, so web-2 would take all of web's
# new flows: refused by max_backend_share, and nothing changes
g=$(gen)
w1=$(be web web-1 table_slots)
expect_rc "drain web-1: refused by max_backend_share" 1 \
	x backend set web web-1 drain --state-dir "$SD"
assert "the refusal names the guard and --force" \
	eval 'grep -q "max_backend_share" "$TMP/err" && grep -q -- "--force" "$TMP/err"'
assert "nothing changed: generation $g" test "$(gen)" = "$g"
assert "nothing changed: web-1 still holds $w1 slots" test "$(be web web-1 table_slots)" = "$w1"
assert "nothing kept" test ! -e "$SD/overrides.json"

# drain web6-1 (half of web6's flows): the move is the point of an
# override, so max_flows_moved does not judge it
check "drain web6-1" x backend set web6 web6-1 drain --state-dir "$SD"
assert "no flows-moved refusal or warning" eval '! grep -q max_flows_moved "$TMP/err"'
assert "the output says the new generation" grep -q "generation $((g + 1))" "$TMP/out"
assert "web6-1 is drain in the maps" test "$(be web6 web6-1 state)" = drain
assert "configured_state drain" test "$(be web6 web6-1 configured_state)" = drain
assert "marked override" test "$(be web6 web6-1 override)" = True
assert "and holds no slot of web6's table" test "$(be web6 web6-1 table_slots)" = 0
assert "web6-2 took half of them" test "$(be web6 web6-2 table_slots)" -gt 30000
assert "web-1 untouched" test "$(be web web-1 override)" = False

# a weight override, on another VIP
check "web-2 active --weight 50" x backend set web web-2 active --weight 50 --state-dir "$SD"
assert "web-2 weight 50 in the maps" test "$(be web web-2 weight)" = 50
assert "web-2 has a third of web's table" \
	test "$(be web web-2 table_slots)" -gt 21000 -a "$(be web web-2 table_slots)" -lt 22700

check "backend list --json" x backend list --json veth0 --state-dir "$SD"
check_json "both overrides listed, with what they set" \
	"sorted((o['vip'], o['backend'], o.get('state'), o.get('weight')) for o in d) == [('web', 'web-2', 'active', 50), ('web6', 'web6-1', 'drain', None)]"

# a bad name changes nothing
g=$(gen)
expect_rc "an unknown backend: exit 1" 1 x backend set web nosuch drain --state-dir "$SD"
assert "the error names VIP and backend" grep -q "no VIP web with a backend nosuch" "$TMP/err"
expect_rc "an unknown state: usage, exit 2" 2 x backend set web web-1 up --state-dir "$SD"
expect_rc "a weight out of range: usage, exit 2" 2 \
	x backend set web web-1 active --weight 70000 --state-dir "$SD"
expect_rc "clear takes no weight: usage, exit 2" 2 x backend set web web-1 clear --weight 5 --state-dir "$SD"
assert "generation still $g" test "$(gen)" = "$g"

# the history says who changed what
check "history" x history --state-dir "$SD"
assert "entries noted as overrides" grep -q "override web6/web6-1 drain" "$TMP/out"

# a reload of the unchanged file keeps them
check "reload the file" x load --iface veth0 --state-dir "$SD" "$A"
assert "web6-1 still drain after the reload" test "$(be web6 web6-1 state)" = drain
assert "web-2 still weight 50" test "$(be web web-2 weight)" = 50

expect_rc "diff of the file against live: no difference (overrides applied)" 0 \
	x diff --iface veth0 --state-dir "$SD" "$A"
assert "diff says no difference" grep -q "no difference" "$TMP/out"
assert "and that overrides were applied" grep -q "with 2 overrides" "$TMP/out"
check "diff --json against a file with web-1 at 120 and web-2 at 60" \
	x diff --json --iface veth0 --state-dir "$SD" "$TMP/w60.json"
check_json "web-1 goes to 120; web-2 stays an override at 50 (the file's 60 is overridden)" \
	"sorted((b['name'], b['weight_after'], b['override_after']) for v in d['vips'] for b in v['backends'] if b['name'] in ('web-1', 'web-2')) == [('web-1', 120, False), ('web-2', 50, True)]"
check "diff (text) of the same" x diff --iface veth0 --state-dir "$SD" "$TMP/w60.json"
assert "marks web-2 as an override" grep -q "web-2 .*(override)" "$TMP/out"

expect_rc "audit: no drift" 0 x audit --iface veth0 --state-dir "$SD" --json "$A"
check_json "audit lists both as by design" \
	"not d['drift'] and sorted(f['where'] for f in d['by_design'] if f['kind'] == 'override') == ['vip web backend web-2', 'vip web6 backend web6-1']"
mkdir -p "$TMP/empty"
expect_rc "audit against a state dir that records none: drift" 1 \
	x audit --iface veth0 --state-dir "$TMP/empty" --json "$A"
check_json "each unrecorded override is a finding" \
	"sorted(f['where'] for f in d['findings'] if 'does not record' in f['message']) == ['vip web backend web-2', 'vip web6 backend web6-1']"

check "stats --json" x stats --json veth0
check_json "stats marks the override" \
	"[b['override'] and b['configured_state'] == 'drain' for v in d['vips'] if v['name'] == 'web6' for b in v['backends'] if b['name'] == 'web6-1'] == [True]"

# clear one; clearing one that is not there is a no-op
check "clear web6-1" x backend set web6 web6-1 clear --state-dir "$SD"
assert "web6-1 active again" test "$(be web6 web6-1 state)" = active
assert "with its slots back" test "$(be web6 web6-1 table_slots)" = "$s0"
assert "no longer an override" test "$(be web6 web6-1 override)" = False
g=$(gen)
check "clear web6-1 again: nothing to do" x backend set web6 web6-1 clear --state-dir "$SD"
assert "said so" grep -q "has no override" "$TMP/out"
assert "no new generation" test "$(gen)" = "$g"

# rollback restores the overrides the entry was applied with
check "rollback to the entry before the clear" x rollback --state-dir "$SD"
assert "web6-1 drain again" test "$(be web6 web6-1 state)" = drain
check "backend list" x backend list veth0 --state-dir "$SD"
assert "the list has it again" grep -q "web6/web6-1 drain" "$TMP/out"

# one recorded that the maps do not hold (as after someone's hand edit)
mkdir -p "$TMP/more"
python3 -c "
import json; o = json.load(open('$SD/overrides.json'))
o['overrides'].append({'vip': 'dns', 'backend': 'dns-1', 'state': 'drain'})
json.dump(o, open('$TMP/more/overrides.json', 'w'))"
expect_rc "audit with an override the maps lack: drift" 1 \
	x audit --iface veth0 --state-dir "$TMP/more" --json "$A"
check_json "named as recorded but not held" \
	"[f['where'] for f in d['findings'] if 'do not hold' in f['message']] == ['vip dns backend dns-1']"

# a hand-broken overrides file: a load refuses (an operator's override
# must not vanish quietly), naming the file and the JSON path
echo '{"overrides": [{"vip": "web"}]}' >"$SD/overrides.json"
g=$(gen)
expect_rc "a broken overrides.json: load refuses" 1 x load --iface veth0 --state-dir "$SD" "$A"
assert "naming the file and the path" grep -q "overrides.json.*overrides\[0\].backend" "$TMP/err"
assert "nothing changed" test "$(gen)" = "$g"

tap_end

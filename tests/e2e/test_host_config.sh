#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Shared and host config (docs/fleet.md): two LBs, each in a network
# namespace of this test, load one shared file with host files of their own
# (`load --host`); their digests are equal, and equal to the single-file
# form of the same service; a formatting change keeps it, a shared change
# moves it; history keeps the host file beside the config and rollback
# restores both; audit reads the host file too; host-file errors name the
# host file and the JSON path; the service (`xdplb run --host`) adopts what
# is live, reloads a changed host file and ignores a rewrite that changes
# nothing. TAP output.
set -u

TAG=xdplbh$$
NS1=$TAG-a
NS2=$TAG-b
TMP=$(mktemp -d /tmp/xdplb-e2e.XXXXXX)
. "$(dirname "$0")/lib.sh"

SVC_PID=
cleanup() {
	[ -z "$SVC_PID" ] || { kill "$SVC_PID" 2>/dev/null; wait "$SVC_PID" 2>/dev/null; }
	veth_ns_del "$NS1"
	veth_ns_del "$NS2"
	release_bpffs
	rm -rf "$TMP"
}
trap cleanup EXIT

private_bpffs
for ns in "$NS1" "$NS2"; do
	veth_ns "$ns"
	ip -n "$ns" link set lo up
done

F=$SRC/tests/configs/fleet
# the fixtures' host files name eth0/ens3: here both LBs are on veth0
for k in 1 2; do
	python3 -c "import json,sys; h=json.load(open('$F/lb$k.host.json')); h['interface']='veth0'; h['mode']='generic'; h['conntrack_size']=65536; print(json.dumps(h))" >"$TMP/lb$k.host.json"
done
digest_of() { # digest_of NS: the live config digest
	in_ns "$1" "$XDPLB" status --iface veth0 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["config_digest"])'
}

echo "TAP version 13"

expect_rc "validate the shared file alone (--shared): 0" 0 "$XDPLB" validate --shared "$F/shared.json"
expect_rc "validate the shared file alone without --shared: 1 (no interface)" 1 "$XDPLB" validate "$F/shared.json"
expect_rc "validate shared + host: 0" 0 "$XDPLB" validate "$F/shared.json" --host "$TMP/lb1.host.json"
echo '{"interface": "veth0", "next_hop_mac": "02:00:00:00:00:01", "source_v4": "192.0.2.1", "source_v6": "2001:db8::1", "hash_seed": 7, "mtu": "9000"}' >"$TMP/bad.host.json"
expect_rc "a bad host file: 1" 1 "$XDPLB" validate "$F/shared.json" --host "$TMP/bad.host.json"
assert "its errors name the host file and the JSON path" \
	grep -q "^$TMP/bad.host.json: hash_seed: a shared setting" "$TMP/err"
assert "... each of them" grep -q "^$TMP/bad.host.json: mtu: must be an integer" "$TMP/err"
python3 -c "import json; c=json.load(open('$F/shared.json')); c.update(json.load(open('$TMP/lb1.host.json'))); c['mtu']=1500; print(json.dumps(c))" >"$TMP/single.json"
echo '{"mtu": 1400}' >"$TMP/mtu.host.json"
expect_rc "a host key in both files: 1" 1 "$XDPLB" validate "$TMP/single.json" --host "$TMP/mtu.host.json"
assert "the error names both" grep -q "mtu.host.json: mtu: also set in $TMP/single.json (mtu)" "$TMP/err"

expect_rc "LB1: load shared --host lb1: 0" 0 in_ns "$NS1" "$XDPLB" load "$F/shared.json" --host "$TMP/lb1.host.json"
expect_rc "LB2: load shared --host lb2: 0" 0 in_ns "$NS2" "$XDPLB" load "$F/shared.json" --host "$TMP/lb2.host.json"
d1=$(digest_of "$NS1") d2=$(digest_of "$NS2")
assert "the two LBs report one digest ($d1)" [ -n "$d1" -a "$d1" = "$d2" ]
check "LB2 runs its host settings (mtu 9000, next hop 02:..:02)" in_ns "$NS2" "$XDPLB" status --iface veth0 --json
check_json "... status says so" 'd["mtu"] == 9000 and d["next_hop_mac"] == "02:00:00:00:00:02"'
"$XDPLB" validate --json "$TMP/single.json" >"$TMP/out" 2>/dev/null
check_json "the single-file form of LB1 has the same digest" "d['digest'] == '$d1'"
c=$("$XDPLB" validate --canonical --shared "$F/shared.json" | tr -d '\n' | sha256sum | cut -d' ' -f1)
assert "the digest is SHA-256 of validate --canonical (sha256:$c)" [ "sha256:$c" = "$d1" ]

# a formatting change and a shared change, on LB1
python3 -c "import json; print(json.dumps(json.load(open('$F/shared.json')), sort_keys=True, separators=(',',':')))" >"$TMP/compact.json"
expect_rc "LB1: the shared file compacted, keys sorted: 0" 0 in_ns "$NS1" "$XDPLB" load "$TMP/compact.json" --host "$TMP/lb1.host.json"
assert "same digest" [ "$(digest_of "$NS1")" = "$d1" ]
sed 's/"weight": 200/"weight": 201/' "$F/shared.json" >"$TMP/changed.json"
expect_rc "LB1: a shared change: 0" 0 in_ns "$NS1" "$XDPLB" load "$TMP/changed.json" --host "$TMP/lb1.host.json" --force
assert "another digest" [ "$(digest_of "$NS1")" != "$d1" ]

# a host change on LB2, then rollback restores the host file
sed 's/"mtu": 9000/"mtu": 4000/' "$TMP/lb2.host.json" >"$TMP/lb2b.host.json"
grep -q 4000 "$TMP/lb2b.host.json" || python3 -c "import json; h=json.load(open('$TMP/lb2.host.json')); h['mtu']=4000; print(json.dumps(h))" >"$TMP/lb2b.host.json"
expect_rc "LB2: the host file changed (mtu 4000): 0" 0 in_ns "$NS2" "$XDPLB" load "$F/shared.json" --host "$TMP/lb2b.host.json"
assert "LB2's digest stays (host settings are not in it)" [ "$(digest_of "$NS2")" = "$d1" ]
check "LB2: history" in_ns "$NS2" "$XDPLB" history --iface veth0 --json
check_json "history shows the host file of each entry" \
	"d[0]['host_source'].endswith('lb2b.host.json') and d[1]['host_source'].endswith('lb2.host.json')"
HD=$(ls -d "$XDPLB_STATE_DIR"/veth0@* | while read -r d; do [ -f "$d/000002.host.json" ] && grep -q 4000 "$d/000002.host.json" && echo "$d"; done | head -1)
assert "the state dir keeps the host file beside the config (${HD:-none})" [ -n "$HD" -a -f "$HD/000001.host.json" ]
expect_rc "LB2: rollback: 0" 0 in_ns "$NS2" "$XDPLB" rollback --iface veth0
check "LB2 status after rollback" in_ns "$NS2" "$XDPLB" status --iface veth0 --json
check_json "rollback restored the host file's mtu (9000)" 'd["mtu"] == 9000'
expect_rc "LB2: audit shared --host lb2: 0 (no drift)" 0 in_ns "$NS2" "$XDPLB" audit "$F/shared.json" --host "$TMP/lb2.host.json"
expect_rc "LB2: audit shared --host lb2b: 1 (mtu drift)" 1 in_ns "$NS2" "$XDPLB" audit "$F/shared.json" --host "$TMP/lb2b.host.json"
assert "... named" grep -q "mtu" "$TMP/out"
expect_rc "LB1: audit against the unchanged shared file: 1 (LB1 runs the changed one)" 1 in_ns "$NS1" "$XDPLB" audit "$F/shared.json" --host "$TMP/lb1.host.json"
expect_rc "diff of two shared files (--shared): 0" 0 "$XDPLB" diff --shared --force "$F/shared.json" "$TMP/changed.json"
assert "... web-2 gains" grep -q "web-2" "$TMP/out"

# the service on LB2: shared file + host file
wait_for() { # wait_for SEC CMD...: polls CMD every 0.1 s for at most SEC seconds
	local i
	for i in $(seq $(($1 * 10))); do "${@:2}" && return 0; sleep 0.1; done
	return 1
}
logged() { grep -q -- "$1" "$TMP/svc.log"; }
cp "$F/shared.json" "$TMP/svc.json"
cp "$TMP/lb2.host.json" "$TMP/svc.host.json"
nsenter --net=/run/netns/"$NS2" timeout 120 "$XDPLB" run "$TMP/svc.json" --host "$TMP/svc.host.json" \
	--round 0.1 2>"$TMP/svc.log" &
SVC_PID=$!
wait_for 10 logged ': running (' && ok "xdplb run --host: running" || not_ok "the service did not start: $(tail -5 "$TMP/svc.log")"
assert "it adopted what is live (the same shared and host settings), no load" logged 'is live already'
gen=$(in_ns "$NS2" "$XDPLB" status --iface veth0 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["generation"])')
python3 -c "import json; h=json.load(open('$TMP/lb2.host.json')); h['mtu']=3000; print(json.dumps(h))" >"$TMP/svc.host.tmp"
mv "$TMP/svc.host.tmp" "$TMP/svc.host.json"
mtu_is() { [ "$(in_ns "$NS2" "$XDPLB" status --iface veth0 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["mtu"])')" = "$1" ]; }
wait_for 10 mtu_is 3000 && ok "the host file changed (mtu 3000): the service loaded it" ||
	not_ok "mtu after the host file changed: $(tail -5 "$TMP/svc.log")"
assert "... with the same digest" [ "$(digest_of "$NS2")" = "$d1" ]
python3 -c "import json; print(json.dumps(json.load(open('$TMP/svc.host.json')), indent=5))" >"$TMP/svc.host.tmp"
mv "$TMP/svc.host.tmp" "$TMP/svc.host.json"
wait_for 10 logged 'svc.json unchanged' && ok "the host file rewritten, same settings: unchanged, no load" ||
	not_ok "no 'unchanged' after a rewrite: $(tail -5 "$TMP/svc.log")"
gen2=$(in_ns "$NS2" "$XDPLB" status --iface veth0 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["generation"])')
assert "one load in all (generation $gen -> $gen2)" [ "$gen2" = $((gen + 1)) ]
kill "$SVC_PID" 2>/dev/null
wait "$SVC_PID" 2>/dev/null
SVC_PID=

tap_end

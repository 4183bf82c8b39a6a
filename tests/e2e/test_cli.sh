#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# The CLI contract on real interfaces: exit codes, load / update / status /
# unload, refusals that change nothing, one LB per network namespace with
# the same interface name, native vs generic mode, decap. TAP output.
#
# Everything lives in network namespaces this script creates and a private
# bpffs mount; both are removed on exit, even on failure.
set -u

TAG=xdplbt$$
NS1=$TAG-a
NS2=$TAG-b
TMP=$(mktemp -d /tmp/xdplb-e2e.XXXXXX)
. "$(dirname "$0")/lib.sh"

cleanup() {
	veth_ns_del "$NS1"
	veth_ns_del "$NS2"
	release_bpffs
	rm -rf "$TMP"
}
trap cleanup EXIT

private_bpffs
for ns in "$NS1" "$NS2"; do
	veth_ns "$ns"
	ip -n "$ns" addr add 198.51.100.11/24 dev veth1
	ip -n "$ns" link set lo up
done

CFG=$SRC/examples/lb.json
jq_() { python3 -c "import json,sys; d=json.load(open('$TMP/out')); print($1)"; }

echo "TAP version 13"

# exit codes
expect_rc "validate a good config: 0" 0 "$XDPLB" validate "$CFG"
expect_rc "validate a bad config: 1" 1 "$XDPLB" validate "$SRC/tests/configs/bad/147-backend-weight-negative.json"
grep -q 'vips\[0\].backends\[1\].weight: must be 0..65535, got -1' "$TMP/err" &&
	ok "the error names the JSON path and the reason" || not_ok "error message: $(cat "$TMP/err")"
expect_rc "validate a missing file: 3" 3 "$XDPLB" validate "$TMP/nope.json"
expect_rc "an unknown command: 2" 2 "$XDPLB" frobnicate
expect_rc "load without a config: 2" 2 "$XDPLB" load
# usage errors say which option and why; --help is not an error
expect_rc "simulate --flows abc: 2" 2 "$XDPLB" simulate "$CFG" --flows abc
assert "... and says why" grep -q "simulate: --flows: 1..100000000, got abc" "$TMP/err"
expect_rc "validate --verify (a load option): 2" 2 "$XDPLB" validate "$CFG" --verify 5
assert "... and says it does not apply" grep -q "validate: --verify: does not apply" "$TMP/err"
expect_rc "validate --help: 0" 0 "$XDPLB" validate --help
assert "... the usage on stdout" grep -q "^usage: xdplb validate CONFIG" "$TMP/out"
expect_rc "validate the postmortem example: 1" 1 "$XDPLB" validate "$SRC/examples/postmortem.json"
assert "... names the backend and the override" \
	grep -q 'vips\[0\].backends\[2\]: backend "web-3" (198.51.100.13) would take 80.0%.*"max_backend_share": 0.81' "$TMP/err"
expect_rc "validate --force the postmortem example: 0, a warning" 0 "$XDPLB" validate --force "$SRC/examples/postmortem.json"
assert "... marked (forced)" grep -q "(forced) backend \"web-3\" (198.51.100.13) would take 80.0%" "$TMP/err"
expect_rc "validate a directory: 3" 3 "$XDPLB" validate "$TMP"
assert "... says it is a directory" grep -q "Is a directory" "$TMP/err"
expect_rc "validate /dev/zero: 1, not read to the end of memory" 1 "$XDPLB" validate /dev/zero
assert "... says it is too large" grep -q "/dev/zero: larger than 64 MiB" "$TMP/err"
# unknown and duplicate keys in linear time: 150,000 unknown keys in one
# object, each reported, in under 5 s (1.7 s here; a check of each key
# against the keys before it, quadratic, took over a minute); 20 s under
# the sanitizers (tools/test-asan sets ASAN_OPTIONS: 4.1 s here, 194 s
# while the CLI kept its messages in an array grown by one)
python3 - "$CFG" "$TMP/keys.json" <<'EOF'
import sys
text = open(sys.argv[1]).read().rstrip()
assert text.endswith("}")
extra = ",".join('"k%d": %d' % (i, i) for i in range(150000))
open(sys.argv[2], "w").write(text[:-1].rstrip() + ",\n" + extra + "}\n")
EOF
t0=$(date +%s%N)
expect_rc "validate, 150,000 unknown keys in one object: 1" 1 "$XDPLB" validate "$TMP/keys.json"
ms=$((($(date +%s%N) - t0) / 1000000))
bound=$([ -n "${ASAN_OPTIONS:-}" ] && echo 20 || echo 5)
assert "... in under $bound s ($ms ms)" test "$ms" -lt $((bound * 1000))
assert "... each reported" test "$(grep -c ': unknown key' "$TMP/err")" = 150000
assert "... the last by its path" grep -q "^$TMP/keys.json: k149999: unknown key" "$TMP/err"
expect_rc "--json version: 0" 0 "$XDPLB" --json version
assert "... JSON with the ABI" python3 -c "import json,sys; d=json.load(open('$TMP/out')); sys.exit(d['abi'] < 3)"
# short decimals in JSON (loader/cli/cli.c): a fraction with 6 significant
# digits (2/3 is 0.666667, not 0.66666666666666663), a larger number with 6
# decimals at most
short_decimals() { # FILE: every number literal in it is short
	python3 - "$1" <<'EOF'
import re, sys
bad = []
for m in re.finditer(r'(?<![\w."])-?\d+\.(\d+)(?:[eE][-+]?\d+)?', open(sys.argv[1]).read()):
    lit, frac = m.group(0), m.group(1)
    v = abs(float(lit))
    digits = len(lit.lstrip("-").split("e")[0].replace(".", "").lstrip("0")) if v < 1 else len(frac)
    if digits > 6:
        bad.append(lit)
if bad:
    print(" ".join(bad[:5]))
sys.exit(1 if bad else 0)
EOF
}
expect_rc "validate --json: 0" 0 "$XDPLB" --json validate "$CFG"
assert "... max_backend_share_allowed 2/3 printed 0.666667" grep -q '"max_backend_share_allowed":[[:space:]]*0.666667,\?$' "$TMP/out"
assert "... every number in it short (6 significant digits, 6 decimals)" short_decimals "$TMP/out"
expect_rc "simulate --json: 0" 0 "$XDPLB" --json simulate "$CFG"
assert "... shares with a fraction ($(grep -c '\.[0-9]' "$TMP/out") numbers), every one short" \
	test "$(grep -c '\.[0-9]' "$TMP/out")" -gt 5 -a -n "$(short_decimals "$TMP/out" && echo yes)"
expect_rc "status where nothing is loaded: 1" 1 in_ns "$NS1" "$XDPLB" status --iface veth0

# load, status
expect_rc "load on veth0 (native): 0" 0 in_ns "$NS1" "$XDPLB" load --iface veth0 "$CFG"
check "status --json" in_ns "$NS1" "$XDPLB" status --iface veth0 --json
# the digest of the file's shared part in canonical form (docs/fleet.md), as validate prints it
digest=$("$XDPLB" validate --json "$CFG" | python3 -c 'import json,sys; print(json.load(sys.stdin)["digest"][7:])')
[ "$(jq_ 'd["config_digest"]')" = "sha256:$digest" ] && ok "status digest = validate's digest of the file" ||
	not_ok "digest $(jq_ 'd["config_digest"]') != $digest"
[ "$(jq_ 'd["attached"], d["mode"], d["generation"]')" = "True native 1" ] &&
	ok "attached, native, generation 1" || not_ok "status: $(jq_ 'd["attached"], d["mode"], d["generation"]')"
[ "$(jq_ 'sorted(b["name"]+":"+b["state"]+":"+str(b["table_slots"]>0) for v in d["vips"] for b in v["backends"])')" = \
	"['dns-1:active:True', 'dns-2:active:True', 'web-1:active:True', 'web-2:active:True', 'web-3:drain:False', 'web6-1:active:True', 'web6-2:active:True', 'web6-3:active:True']" ] &&
	ok "every backend is live, a draining one has no table slot" || not_ok "backends: $(jq_ 'd["vips"]')"
prog=$(jq_ 'd["prog_id"]')
ip -n "$NS1" link show veth0 | grep -q "xdp" && ok "ip link shows XDP on veth0" || not_ok "no XDP on veth0"
ls "$XDPLB_BPFFS/xdplb/" | grep -q "^veth0@ns" && ok "pinned under veth0@ns<cookie>" ||
	not_ok "pin dir: $(ls "$XDPLB_BPFFS/xdplb/")"
check "status finds the only LB without --iface" in_ns "$NS1" "$XDPLB" status

# an update in place
sed 's/"weight": 200/"weight": 300/' "$CFG" >"$TMP/lb2.json"
expect_rc "load a changed config on the live interface: 0" 0 in_ns "$NS1" "$XDPLB" load --iface veth0 "$TMP/lb2.json"
check "status after the update" in_ns "$NS1" "$XDPLB" status --iface veth0 --json
[ "$(jq_ 'd["generation"], d["prog_id"]')" = "2 $prog" ] && ok "generation 2, same program (no re-attach)" ||
	not_ok "after update: $(jq_ 'd["generation"], d["prog_id"]')"

# the same config again (and the same reformatted: the digest is of the
# canonical form) is a no-op: no generation, no history entry; --force
# applies it again
hist_n() { in_ns "$NS1" "$XDPLB" history --iface veth0 --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
h0=$(hist_n)
in_ns "$NS1" "$XDPLB" load --iface veth0 "$TMP/lb2.json" >"$TMP/out2" 2>&1 && grep -q "unchanged" "$TMP/out2" &&
	ok "the same config again: unchanged" || not_ok "same config: $(cat "$TMP/out2")"
python3 -c 'import json,sys; json.dump(json.load(open(sys.argv[1])), open(sys.argv[2], "w"), sort_keys=True)' \
	"$TMP/lb2.json" "$TMP/lb2c.json"
in_ns "$NS1" "$XDPLB" --json load --iface veth0 "$TMP/lb2c.json" >"$TMP/out2" 2>&1
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(not (d["unchanged"] and d["generation"] == 2))' "$TMP/out2" &&
	ok "reformatted (sorted keys, one line): unchanged, generation 2 (--json)" || not_ok "reformatted: $(cat "$TMP/out2")"
[ "$(hist_n)" = "$h0" ] && ok "no history entry for either ($h0 entries)" || not_ok "history: $h0 -> $(hist_n)"
expect_rc "--force applies it again: 0" 0 in_ns "$NS1" "$XDPLB" load --iface veth0 --force "$TMP/lb2.json"
check "status after the forced load" in_ns "$NS1" "$XDPLB" status --iface veth0 --json
[ "$(jq_ 'd["generation"]')" = 3 ] && [ "$(hist_n)" = $((h0 + 1)) ] &&
	ok "generation 3 and a history entry" || not_ok "after --force: generation $(jq_ 'd["generation"]'), history $(hist_n)"

# refusals change nothing
cp "$TMP/out" "$TMP/before.json"
expect_rc "a bad config on the live interface is refused: 1" 1 in_ns "$NS1" "$XDPLB" load --iface veth0 "$SRC/tests/configs/bad/147-backend-weight-negative.json"
expect_rc "the postmortem shape is refused: 1" 1 in_ns "$NS1" "$XDPLB" load --iface veth0 "$SRC/tests/configs/bad/$(ls "$SRC/tests/configs/bad" | grep -m1 postmortem)"
expect_rc "a mode change on a live interface is refused: 1" 1 in_ns "$NS1" "$XDPLB" load --iface veth0 --mode generic "$TMP/lb2.json"
in_ns "$NS1" "$XDPLB" status --iface veth0 --json >"$TMP/after.json"
python3 - "$TMP/before.json" "$TMP/after.json" <<'EOF' && ok "after three refusals the live state is unchanged" || not_ok "live state changed"
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
for d in (a, b):
    d.pop("xdp_actions"); d.pop("drops")
sys.exit(0 if a == b else 1)
EOF

# a second LB, same interface name, another namespace
expect_rc "load in a second namespace, same interface name: 0" 0 in_ns "$NS2" "$XDPLB" load --iface veth0 "$CFG"
[ "$(ls "$XDPLB_BPFFS/xdplb/" | grep -c '^veth0@ns')" = 2 ] && ok "two pin dirs, no collision" ||
	not_ok "pin dirs: $(ls "$XDPLB_BPFFS/xdplb/")"
expect_rc "unload the second: 0" 0 in_ns "$NS2" "$XDPLB" unload --iface veth0
check "the first is still attached" in_ns "$NS1" "$XDPLB" status --iface veth0 --json
[ "$(jq_ 'd["attached"], d["generation"]')" = "True 3" ] && ok "the first LB is untouched" ||
	not_ok "first LB: $(jq_ 'd["attached"], d["generation"]')"

# native mode is never a silent fallback
expect_rc "native XDP on lo (no driver support) fails clearly: 3" 3 in_ns "$NS2" "$XDPLB" load --iface lo "$CFG"
grep -q "use --mode generic" "$TMP/err" && ok "the error says to use --mode generic" || not_ok "error: $(cat "$TMP/err")"
expect_rc "--mode generic on lo: 0" 0 in_ns "$NS2" "$XDPLB" load --iface lo --mode generic "$CFG"
check "status on lo" in_ns "$NS2" "$XDPLB" status --iface lo --json
[ "$(jq_ 'd["mode"]')" = "generic" ] && ok "status says generic" || not_ok "mode: $(jq_ 'd["mode"]')"
expect_rc "unload lo: 0" 0 in_ns "$NS2" "$XDPLB" unload --iface lo

# decap on the backend side
expect_rc "decap attach without a tunnel source: 1" 1 in_ns "$NS1" "$XDPLB" decap attach veth1
expect_rc "decap attach --config (the LB's sources): 0" 0 in_ns "$NS1" "$XDPLB" decap attach veth1 --config "$CFG"
ip -n "$NS1" link show veth1 | grep -q xdp && ok "decap attached to veth1" || not_ok "no XDP on veth1"
expect_rc "decap attach again (refreshes addresses): 0" 0 in_ns "$NS1" "$XDPLB" decap attach veth1 --config "$CFG"
expect_rc "decap detach: 0" 0 in_ns "$NS1" "$XDPLB" decap detach veth1

# standard input as the config ("-"), as in `jq ... | xdplb validate -`
"$XDPLB" validate - <"$CFG" >"$TMP/out" 2>&1 && grep -q "^-: OK: 3 VIPs" "$TMP/out" &&
	ok "validate - reads the config from standard input" || not_ok "validate -: $(head -2 "$TMP/out")"
sed '0,/"weight": 100/s//"weight": -3/' "$CFG" | "$XDPLB" validate - >"$TMP/out" 2>&1
[ $? = 1 ] && grep -q "^-: vips\[0\].backends\[0\].weight: must be 0..65535, got -3" "$TMP/out" &&
	ok "a bad config on standard input: exit 1, its JSON path" || not_ok "validate - (bad): $(head -2 "$TMP/out")"
sed '0,/"weight": 100/s//"weight": 150/' "$CFG" >"$TMP/w150.json"
"$XDPLB" diff - "$TMP/w150.json" <"$CFG" >"$TMP/out" 2>&1 && grep -q "web-1" "$TMP/out" &&
	ok "diff - NEW: the old config from standard input" || not_ok "diff -: $(head -3 "$TMP/out")"
expect_rc "run - is refused (the service re-reads its file): exit 2" 2 "$XDPLB" run -
# -q: warnings and errors only (what -v says at info is left out)
in_ns "$NS1" "$XDPLB" -v load --iface veth0 --force --verify 0.2 "$TMP/lb2.json" >/dev/null 2>"$TMP/v.err"
in_ns "$NS1" "$XDPLB" -v -q load --iface veth0 --force --verify 0.2 "$TMP/lb2.json" >/dev/null 2>"$TMP/q.err"
grep -q "verifying new flows" "$TMP/v.err" && ! grep -q "verifying new flows" "$TMP/q.err" &&
	grep -q "nothing to verify" "$TMP/q.err" &&
	ok "-q: the info line -v prints is left out, the warning stays" ||
	not_ok "-q: $(head -3 "$TMP/q.err") / -v: $(head -3 "$TMP/v.err")"
# history has a header row
in_ns "$NS1" "$XDPLB" history --iface veth0 >"$TMP/out" 2>&1
head -1 "$TMP/out" | grep -q "ENTRY.*TIME (UTC).*USER.*GEN.*DIGEST.*SOURCE" &&
	[ "$(sed -n 2p "$TMP/out" | cut -c1)" = "*" ] &&
	ok "history: a header row, then the live entry (*)" || not_ok "history: $(head -3 "$TMP/out")"

# an LB of another ABI version (faked: another abi_version written into
# its pinned ctl map) is refused until `unload`, and the refusal changes
# nothing (docs/packaging.md, "Upgrades")
CTL=$(ls -d "$XDPLB_BPFFS"/xdplb/veth0@ns*)/ctl
abi=$("$XDPLB" --json version | python3 -c 'import json,sys; print(json.load(sys.stdin)["abi"])')
in_ns "$NS1" "$XDPLB" status --iface veth0 --json >"$TMP/abi-before.json"
hist_before=$(hist_n)
if ! command -v bpftool >/dev/null; then
	ok "an LB of another ABI # SKIP no bpftool to fake one"
elif ctl_abi "$CTL" $((abi - 1)) >/dev/null && [ "$(ctl_abi "$CTL")" = $((abi - 1)) ]; then
	bpftool -j map lookup pinned "$CTL" key 0 0 0 0 >"$TMP/ctl-before"
	link_before=$(ip -n "$NS1" -d link show veth0 | grep -o 'prog/xdp id [0-9]*')
	expect_rc "load onto the maps of ABI $((abi - 1)): refused, exit 3" 3 in_ns "$NS1" "$XDPLB" load --iface veth0 "$CFG"
	assert "... says: unload first" \
		grep -q "the live maps have ABI version $((abi - 1)), this xdplb has $abi: unload first" "$TMP/err"
	expect_rc "load --force too: exit 3" 3 in_ns "$NS1" "$XDPLB" load --iface veth0 --force "$CFG"
	expect_rc "rollback too: exit 3" 3 in_ns "$NS1" "$XDPLB" rollback --iface veth0
	assert "... says: unload first" grep -q "unload first" "$TMP/err"
	expect_rc "status: exit 3, unload first" 3 in_ns "$NS1" "$XDPLB" status --iface veth0
	bpftool -j map lookup pinned "$CTL" key 0 0 0 0 >"$TMP/ctl-after"
	assert "... the ctl map is as it was (not a byte written)" cmp -s "$TMP/ctl-before" "$TMP/ctl-after"
	assert "... the same program on veth0 ($link_before)" \
		test "$(ip -n "$NS1" -d link show veth0 | grep -o 'prog/xdp id [0-9]*')" = "$link_before"
	ctl_abi "$CTL" "$abi" >/dev/null
	assert "... no history entry" test "$(hist_n)" = "$hist_before"
	in_ns "$NS1" "$XDPLB" status --iface veth0 --json >"$TMP/abi-after.json"
	python3 - "$TMP/abi-before.json" "$TMP/abi-after.json" <<'EOF2' &&
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
for d in (a, b):
    d.pop("xdp_actions"); d.pop("drops")
sys.exit(0 if a == b else 1)
EOF2
		ok "... with ABI $abi written back, the live state is as before" || not_ok "live state changed"
	# what the refusal asks for: unload (which works on any ABI), then load
	ctl_abi "$CTL" $((abi - 1)) >/dev/null
	expect_rc "unload the LB of ABI $((abi - 1)): 0" 0 in_ns "$NS1" "$XDPLB" unload --iface veth0
	expect_rc "... then load: 0" 0 in_ns "$NS1" "$XDPLB" load --iface veth0 "$TMP/lb2.json"
else
	not_ok "writing ABI $((abi - 1)) into $CTL"
fi

# unload leaves nothing
expect_rc "unload: 0" 0 in_ns "$NS1" "$XDPLB" unload --iface veth0
ip -n "$NS1" link show veth0 | grep -q "xdp" && not_ok "XDP still on veth0" || ok "no XDP left on veth0"
# (maps.debug and progs.debug belong to the kernel's BPF preload, in every bpffs)
[ ! -e "$XDPLB_BPFFS/xdplb" ] && ok "no pins left" || not_ok "pins left: $(find "$XDPLB_BPFFS/xdplb")"
expect_rc "unload again is harmless: 0" 0 in_ns "$NS1" "$XDPLB" unload --iface veth0

tap_end

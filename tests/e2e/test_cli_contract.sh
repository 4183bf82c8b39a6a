#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# The CLI's contract as the option tables make it: docs/cli.md agrees with
# them, every command and option has its help, --json works before or
# after every command and turns errors into {"error": ...} with the same
# exit code; and a config update reads what is live once and loads no
# program (bpf() calls counted with strace). TAP output.
set -u

TAG=xdplbc$$
NS=$TAG-a
TMP=$(mktemp -d /tmp/xdplb-e2e.XXXXXX)
. "$(dirname "$0")/lib.sh"

scratch "$NS"
veth_ns "$NS"
CFG=$SRC/examples/lb.json

echo "TAP version 13"

# docs/cli.md's reference is the tables'
check "docs/cli.md's reference is what the option tables say" "$SRC/tools/cli-doc" --check "$XDPLB"

# every command's --help explains every option of its usage line
cmds=$("$XDPLB" help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { exit }')
[ "$(echo "$cmds" | wc -w)" -ge 14 ] && ok "xdplb help lists the commands" || not_ok "commands: $cmds"
# a command with subcommands: each of them
all=$(for c in $cmds; do
	"$XDPLB" "$c" --help | awk -v c="$c" '/^subcommands:/ { s = 1; next } s && /^  [a-z]/ { print c "_" $1; n++ } END { if (!n) print c }'
done)
for c in $all; do
	c=${c/_/ }
	# shellcheck disable=SC2086
	"$XDPLB" $c --help >"$TMP/out" 2>"$TMP/err"
	rc=$?
	missing=$(grep -o -- '--[a-z-]*' <(head -3 "$TMP/out" | grep '^usage:') | sort -u |
		while read -r o; do grep -qE "^  (-., |  )?$o( |$)" "$TMP/out" || echo "$o"; done)
	[ $rc = 0 ] && grep -q "^usage: xdplb $c" "$TMP/out" && [ -z "$missing" ] &&
		ok "$c --help: exit 0, every option of its usage explained" ||
		{ not_ok "$c --help (exit $rc; unexplained: $missing)"; show_output; }
	# shellcheck disable=SC2086
	"$XDPLB" $c --json --help >/dev/null 2>"$TMP/err" &&
		ok "$c takes --json" || not_ok "$c --json: $(cat "$TMP/err")"
done

[ "$(echo "$all" | grep -c _)" -ge 7 ] && ok "decap and hc-tunnel list their subcommands" ||
	not_ok "subcommands: $all"
check "decap --help: its subcommands" "$XDPLB" decap --help
assert "... each with its usage" grep -q "^xdplb decap status IFACE" "$TMP/out"

# --json before or after the command: the same
"$XDPLB" --json version >"$TMP/a"
"$XDPLB" version --json >"$TMP/b"
cmp -s "$TMP/a" "$TMP/b" && python3 -c "import json; json.load(open('$TMP/a'))" &&
	ok "version: --json before and after print the same JSON" || not_ok "$(cat "$TMP/a" "$TMP/b")"

# errors under --json: one object, the same exit code as without --json
json_err() { # json_err DESC RC ARGS...: with --json first and last
	local desc=$1 want=$2 rc
	shift 2
	"$XDPLB" "$@" >/dev/null 2>&1
	rc=$?
	[ "$rc" = "$want" ] || { not_ok "$desc: exit $rc without --json, want $want"; return; }
	for where in before after; do
		if [ $where = before ]; then in_ns "$NS" "$XDPLB" --json "$@" >"$TMP/out" 2>"$TMP/err"
		else in_ns "$NS" "$XDPLB" "$@" --json >"$TMP/out" 2>"$TMP/err"; fi
		rc=$?
		[ "$rc" = "$want" ] && python3 -c "
import json, sys
d = json.load(open('$TMP/out'))
assert isinstance(d.get('error'), str) and d['error'], d
assert d['exit_code'] == $want, d
assert d['error'] in d['messages'], d" 2>>"$TMP/err" &&
			ok "$desc, --json $where: {\"error\": ...}, exit $want" ||
			{ not_ok "$desc, --json $where (exit $rc)"; show_output; }
	done
}
json_err "a usage error" 2 simulate "$CFG" --flows abc
json_err "an option of another command" 2 validate "$CFG" --verify 5
json_err "an unknown command" 2 frobnicate
json_err "a missing file" 3 validate "$TMP/nope.json"
json_err "status where nothing is loaded" 1 status --iface veth0
json_err "rollback with no history" 1 rollback --iface veth0
assert "... the error names the cause" grep -q '"error":.*no earlier config' "$TMP/out"

# a verdict is the command's own JSON, not an error object
in_ns "$NS" "$XDPLB" validate "$SRC/examples/postmortem.json" --json >"$TMP/out" 2>"$TMP/err"
[ $? = 1 ] && check_json "validate --json of a refused config: its own verdict" \
	'd["valid"] is False and "error" not in d' || not_ok "validate --json: not exit 1"

# the drift fixes of the loader-architecture issue
check "diff --help lists --force" "$XDPLB" diff --help
assert "... with its meaning" grep -q -- "--force .*exit 0" "$TMP/out"
check "load" in_ns "$NS" "$XDPLB" load --iface veth0 "$CFG"
sed 's/"weight": 100/"weight": 90/' "$CFG" >"$TMP/lb2.json"
check "update" in_ns "$NS" "$XDPLB" load --iface veth0 "$TMP/lb2.json"
check "rollback --json" in_ns "$NS" "$XDPLB" rollback --iface veth0 --json
check_json "... prints JSON: the entry it went back to" 'd["rolled_back_to"] == 1 and d["history_entry"] == 3'
# a second rollback in a row returns to the config rolled back from (the
# first rollback's entry is the live one): docs/cli.md, docs/runbook.md
check "rollback again --json" in_ns "$NS" "$XDPLB" rollback --iface veth0 --json
check_json "... goes back to entry 2 (the config rolled back from), as entry 4" \
	'd["rolled_back_to"] == 2 and d["history_entry"] == 4'
digest2=$("$XDPLB" validate --json "$TMP/lb2.json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["digest"])')
check "status --json" in_ns "$NS" "$XDPLB" status --iface veth0 --json
check_json "... the live config is the update's again ($digest2)" "d['config_digest'] == '$digest2'"
check "history --json" in_ns "$NS" "$XDPLB" history --iface veth0 --json
check_json "... entries 3 and 4 noted 'rollback to 1', 'rollback to 2'" \
	'sorted((e["entry"], e["note"]) for e in d)[-2:] == [(3, "rollback to 1"), (4, "rollback to 2")]'
check "unload --json" in_ns "$NS" "$XDPLB" unload --iface veth0 --json
check_json "... prints JSON" 'd["unloaded"] is True'

# under systemd, stderr lines carry their syslog priority for journald
bad=$SRC/tests/configs/bad/01-json-syntax-trailing-comma.json
: >"$TMP/journal"
JOURNAL_STREAM=$(stat -c '%d:%i' "$TMP/journal") "$XDPLB" validate "$bad" 2>>"$TMP/journal"
assert "JOURNAL_STREAM on stderr: a refused config's every line starts <3> (err: journalctl -p err)" \
	test "$(grep -c . "$TMP/journal")" -ge 2 -a "$(grep -vc '^<3>' "$TMP/journal")" = 0
: >"$TMP/journal"
JOURNAL_STREAM=$(stat -c '%d:%i' "$TMP/journal") "$XDPLB" frobnicate 2>>"$TMP/journal"
assert "... a usage error: <3>" grep -q "^<3>xdplb: unknown command 'frobnicate'" "$TMP/journal"
: >"$TMP/journal"
JOURNAL_STREAM=$(stat -c '%d:%i' "$TMP/journal") in_ns "$NS" "$XDPLB" status --iface veth0 2>>"$TMP/journal"
assert "... nothing loaded (status exits 1): <3>" grep -q "^<3>veth0: xdplb is not loaded" "$TMP/journal"
: >"$TMP/journal"
JOURNAL_STREAM=$(stat -c '%d:%i' "$TMP/journal") "$XDPLB" validate --force "$SRC/examples/postmortem.json" \
	>/dev/null 2>>"$TMP/journal"
assert "... a warning (a guard --force overrides): <4>, no <3>" \
	test "$(grep -c '^<4>.*(forced)' "$TMP/journal")" -ge 1 -a "$(grep -c '^<3>' "$TMP/journal")" = 0
JOURNAL_STREAM=1:1 "$XDPLB" validate "$bad" 2>"$TMP/journal"
assert "JOURNAL_STREAM naming another file: plain lines" \
	test "$(grep -c '^<' "$TMP/journal")" = 0 -a -s "$TMP/journal"

# one read of what is live, no program load, for an update of 100 VIPs
if command -v strace >/dev/null; then
	python3 - "$TMP" <<'PY'
import json, sys
d = sys.argv[1]
for bump in (0, 1):
    vips = [{"name": f"v{v}", "address": f"203.0.113.{v + 1}", "port": 80, "table_size": 65537,
             "backends": [{"name": f"b{b}", "address": f"198.51.{100 + b // 250}.{b % 250 + 1}",
                           "weight": 150 if bump and b == 0 else 100} for b in range(100)]}
            for v in range(100)]
    json.dump({"interface": "veth0", "next_hop_mac": "02:00:00:00:00:01",
               "source_v4": "192.0.2.1", "vips": vips}, open(f"{d}/c100-{bump}.json", "w"))
PY
	check "load 100 VIPs x 100 backends" in_ns "$NS" "$XDPLB" load "$TMP/c100-0.json"
	check "update one weight in each VIP, under strace" \
		in_ns "$NS" "$SRC/tools/bpf-calls" --json -- "$XDPLB" load "$TMP/c100-1.json"
	tail -1 "$TMP/out" >"$TMP/calls.json"
	cp "$TMP/calls.json" "$TMP/out"
	echo "# bpf() calls of the update: $(cat "$TMP/calls.json")"
	check_json "... loads no program and no BTF" \
		'd["calls"].get("BPF_PROG_LOAD", 0) == 0 and d["calls"].get("BPF_BTF_LOAD", 0) == 0'
	check_json "... at most 10 map reads (lookup, batch lookup, get next key)" 'd["map_reads"] <= 10'
	check "unload" in_ns "$NS" "$XDPLB" unload --iface veth0
else
	not_ok "strace is missing (tools/install-deps installs it)"
fi

tap_end

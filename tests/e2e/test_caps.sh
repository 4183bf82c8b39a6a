#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# The capabilities each command needs, measured: every command is run as
# root's uid with a capability bounding set that grows along a ladder
# (none, CAP_BPF, + CAP_NET_ADMIN, + CAP_PERFMON, + CAP_SYS_ADMIN) until it
# exits 0; the smallest set is compared with the table in docs/security.md,
# so the documentation cannot drift. A refused attempt must change nothing:
# `status --json` after each is compared with before. TAP output.
set -u

TAG=xdplbc$$
NS=$TAG
TMP=$(mktemp -d /tmp/xdplb-caps.XXXXXX)
. "$(dirname "$0")/lib.sh"
SD=$TMP/state
scratch "$NS"
veth_ns "$NS" || {
	echo "Bail out! cannot make namespace $NS"
	exit 1
}
CFG=$SRC/examples/lb.json
DOC=$SRC/docs/security.md
LADDER=("" "bpf" "bpf,net_admin" "bpf,net_admin,perfmon" "bpf,net_admin,perfmon,sys_admin")
x() { in_ns "$NS" "$XDPLB" "$@"; }

# with CAPS CMD...: runs CMD with only CAPS (a,b,c or empty) in its bounding set
with() {
	local bs=-all
	[ -n "$PREP" ] && { eval "$PREP" >"$TMP/prep" 2>&1 || [ -z "${CAPS_DEBUG:-}" ] || echo "## prep failed: $(tr "\n" " " <"$TMP/prep")" >&2; }
	[ -n "$1" ] && bs="-all,$(echo "$1" | sed 's/\([a-z_]*\)/+\1/g')"
	shift
	in_ns "$NS" setpriv --inh-caps=-all --ambient-caps=-all --bounding-set="$bs" \
		"$XDPLB" "$@" >"$TMP/out" 2>"$TMP/err"; local rc=$?; [ -n "${CAPS_DEBUG:-}" ] && echo "## [$1] $* -> $rc: $(head -c 300 "$TMP/err" "$TMP/out" | tr "\n" " ")" >&2; return $rc
}
# smallest CMD...: the first set of the ladder CMD succeeds with, then
# without each capability it can do without ("-": none succeeds)
smallest() {
	local caps="" c keep found=0
	for caps in "${LADDER[@]}"; do
		with "$caps" "$@" && found=1 && break
	done
	[ $found = 1 ] || {
		echo "-"
		return
	}
	for c in ${caps//,/ }; do
		keep=$(echo ",$caps," | sed "s/,$c,/,/; s/^,//; s/,$//")
		with "$keep" "$@" && caps=$keep
	done
	echo "${caps:-none}"
}

live() { x status --iface veth0 --json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d.get("generation"), d.get("config_digest") or d.get("digest"))' 2>/dev/null; }

echo "TAP version 13"
declare -A got
sed '0,/"weight": 100/s//"weight": 150/' "$CFG" >"$TMP/b.json"
PREP=
# run NAME CMD...: measures CMD; $PREP (run with every capability before
# each attempt) puts back the state the command starts from
run() {
	local name=$1 before after
	shift
	before=$(live)
	got[$name]=$(smallest "$@")
	after=$(live)
	echo "# $name: ${got[$name]}"
	# a load/rollback changes the generation once, at its success
	case $name in load* | rollback | "backend set" | unload) ;;
	*) [ "$before" = "$after" ] || not_ok "$name changed what is live: $before -> $after" ;;
	esac
}
run validate validate --iface veth0 "$CFG"
run simulate simulate --iface veth0 --flows 1000 "$CFG"
PREP='x unload --iface veth0'
run "load (first)" load --iface veth0 --state-dir "$SD" "$CFG"
PREP='x load --iface veth0 --state-dir "$SD" "$CFG"'
run "load (update)" load --iface veth0 --state-dir "$SD" "$TMP/b.json"
x load --iface veth0 --state-dir "$SD" "$CFG" >/dev/null 2>&1
PREP=
run status status --iface veth0
run stats stats --iface veth0
run "serve --once" serve --once --iface veth0
run diff diff --iface veth0 "$TMP/b.json"
run audit audit --iface veth0 --state-dir "$SD" "$CFG"
run history history --iface veth0 --state-dir "$SD"
run explain explain tcp 198.51.100.7:40000 203.0.113.10:80 --iface veth0 --syn
PREP='x backend set web web-3 clear --iface veth0 --state-dir "$SD"'
run "backend set" backend set web web-3 active --iface veth0 --state-dir "$SD"
PREP='x backend set web web-3 clear --iface veth0 --state-dir "$SD"; x load --iface veth0 --state-dir "$SD" "$CFG"; x load --iface veth0 --state-dir "$SD" "$TMP/b.json"'
run rollback rollback --iface veth0 --state-dir "$SD"
PREP='x load --iface veth0 --state-dir "$SD" "$CFG"'
run unload unload --iface veth0

# the table of docs/security.md: | `xdplb NAME` | caps | ...
for name in validate simulate "load (first)" "load (update)" status stats "serve --once" diff audit history explain "backend set" rollback unload; do
	doc=$(awk -F'|' -v n="\`xdplb $name\`" '{ gsub(/^ +| +$/, "", $2); gsub(/^ +| +$/, "", $3) } $2 == n { print $3; exit }' "$DOC")
	[ "$doc" = "${got[$name]}" ] && ok "xdplb $name needs ${got[$name]}, as docs/security.md says" ||
		not_ok "xdplb $name needs ${got[$name]} (measured); docs/security.md says '${doc}'"
done
tap_end

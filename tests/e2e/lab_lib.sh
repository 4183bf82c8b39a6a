# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# shellcheck shell=bash disable=SC2034
# Sourced by tests/e2e/test_lab_*.sh: TAP helpers and a private lab.
#
# lab_start [tools/lab up options]: a lab named xdplbt<PID> (so parallel runs
# never collide) with a private bpffs; lab_cleanup (an EXIT trap) stops the
# background clients, tears the lab down and removes every file, even when
# the test fails half-way.
set -u

TMP=$(mktemp -d /tmp/xdplb-lab-test.XXXXXX)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" # ok, not_ok, expect_rc, private_bpffs, tap_end, ...
export XDPLB
export LAB_ID=xdplbt$$
PY=/usr/bin/python3
CHECK=$SRC/tests/e2e/lab_check.py
BG_PIDS=()

# judge DESC CMD...: a checker (lab_check.py, lab_decode.py) must succeed; its
# figures are shown as TAP comments either way
judge() {
	local desc=$1
	shift
	if "$@" >"$TMP/jout" 2>&1; then
		ok "$desc"
		sed 's/^/# /' "$TMP/jout"
	else
		not_ok "$desc"
		sed 's/^/# /' "$TMP/jout" | head -40
	fi
}
lab() { "$SRC/tools/lab" "$@"; }
x() { "$SRC/tools/lab" xdplb "$@"; } # xdplb in the LB's namespace
now() { date +%s.%N; }

# How long after a failure is in effect a lab LB's service may still send a
# backend new flows: docs/health.md's bound for the lab's checks (tools/lab's
# HEALTH_CHECK: fall x interval + timeout + the service's round + the
# engine's slack = 1.5 + 0.3 + 0.1 + 0.01 = 1.91 s) plus 0.4 s for the
# commit and a busy CI machine (three e2e suites share two cores; the log's
# stamps are taken when tools/lab's stamper reads the line, so its wake-up
# counts too). Count it from the end of the command that made the failure.
# A detection one interval late (2.41 s) still fails.
LAB_DETECT_GRACE=2.31

# bg NAME CMD...: a background command whose PID cleanup knows; $TMP/NAME.pid
# (lab and client are expanded here so that the PID is the command's own,
# not a subshell's: tools/lab exec and nsenter exec, timeout forwards TERM)
bg() {
	local name=$1 t
	shift
	case $1 in
	lab) shift && set -- "$SRC/tools/lab" "$@" ;;
	client)
		t=$2
		shift 2
		set -- "$SRC/tools/lab" exec client timeout "$t" $PY "$SRC/tools/lab_traffic.py" "$@"
		;;
	esac
	"$@" &
	BG_PIDS+=($!)
	echo $! >"$TMP/$name.pid"
}
# wait_bg NAME SECONDS: wait for a background command, at most SECONDS
wait_bg() {
	local pid k=0
	pid=$(cat "$TMP/$1.pid")
	while kill -0 "$pid" 2>/dev/null && [ $k -lt $(($2 * 10)) ]; do
		sleep 0.1
		k=$((k + 1))
	done
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}
# client traffic (tools/lab_traffic.py) in the client namespace, bounded by timeout
client() { # client TIMEOUT SUBCOMMAND ARGS...
	local t=$1
	shift
	lab exec client timeout "$t" $PY "$SRC/tools/lab_traffic.py" "$@"
}

lab_cleanup() {
	local pid
	touch "$TMP"/stop 2>/dev/null
	for pid in "${BG_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${BG_PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	lab down >/dev/null 2>&1
	release_bpffs
	rm -rf "$TMP"
}

lab_start() {
	trap lab_cleanup EXIT
	trap 'exit 130' INT TERM
	[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
	private_bpffs
	echo "TAP version 13"
	if lab up "$@" >"$TMP/out" 2>&1; then ok "lab up $*"; else
		not_ok "lab up $*"
		sed 's/^/# /' "$TMP/out"
		echo "Bail out! no lab"
		exit 1
	fi
}


# cfg OUT SPEC [GUARDS-JSON]: the lab's config with, on every VIP, only the
# backends of SPEC ("be1:100,be2:50:drain,be4:100": name:weight[:state])
cfg() {
	lab config >"$TMP/base.json" || return 1
	$PY - "$TMP/base.json" "$2" "${3:-}" >"$1" <<'PYEOF'
import json, sys
c = json.load(open(sys.argv[1]))
spec = [x.split(":") for x in sys.argv[2].split(",")]
for v in c["vips"]:
    by = {b["name"]: b for b in v["backends"]}
    v["backends"] = []
    for s in spec:
        b = dict(by[s[0]], weight=int(s[1]))
        b.pop("state", None)
        if len(s) > 2 and s[2] != "active":
            b["state"] = s[2]
        v["backends"].append(b)
    if sys.argv[3]:
        v["guards"] = json.loads(sys.argv[3])
print(json.dumps(c, indent=1))
PYEOF
}

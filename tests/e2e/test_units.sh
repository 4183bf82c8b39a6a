#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# The systemd units as installed: `make install` with another PREFIX puts
# that PREFIX in every ExecStart; `systemd-analyze security` rates each
# service at most 4.0 (the figure is printed); and each service's command
# works inside its sandbox: run as the unit runs it (its ExecStart, with
# only its CapabilityBoundingSet and no_new_privs, applied by setpriv) and
# traced, it makes no system call outside SystemCallFilter=, opens no
# socket outside RestrictAddressFamilies=, writes nowhere outside
# ReadWritePaths= and reads no /proc or /dev file the unit hides. What
# cannot be shown without systemd as PID 1 (the mount namespace itself,
# IPAddressDeny=) is in docs/security.md, "Units". TAP output.
set -u

NS=xdplbu$$
TMP=$(mktemp -d /tmp/xdplb-units.XXXXXX)
. "$(dirname "$0")/lib.sh"
SVC_PID='' NOTIFY_PID=''
MAX_EXPOSURE=4.0
CHECK=$SRC/tests/e2e/unit_sandbox.py

wait_for() { # wait_for SEC CMD...: polls CMD every 0.1 s for at most SEC seconds
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
	stop_pid "$NOTIFY_PID"
	veth_ns_del "$NS"
	release_bpffs
	rm -rf "$TMP"
}
trap cleanup EXIT
private_bpffs
veth_ns "$NS"
ip -n "$NS" link set lo up
export XDPLB_RUN_DIR=$TMP/run
mkdir -p "$XDPLB_STATE_DIR" "$XDPLB_RUN_DIR"

echo "TAP version 13"

# ---------------------------------------------------------------- install
ROOT=$TMP/root
O=$(dirname "$XDPLB")
if make -s -C "$SRC" O="$O" install DESTDIR="$ROOT" PREFIX=/opt/xdplb-test >"$TMP/out" 2>"$TMP/err"; then
	ok "make install DESTDIR=... PREFIX=/opt/xdplb-test"
else
	not_ok "make install"
	show_output
fi
UNITS=$ROOT/opt/xdplb-test/lib/systemd/system
assert "... the binary and both man pages under PREFIX" test -x "$ROOT/opt/xdplb-test/sbin/xdplb" \
	-a -s "$ROOT/opt/xdplb-test/share/man/man8/xdplb.8" \
	-a -s "$ROOT/opt/xdplb-test/share/man/man5/xdplb.json.5"
grep -h '^Exec' "$UNITS"/*.service | grep -v '^ExecReload=/bin/kill' >"$TMP/out"
assert "... every unit's ExecStart runs PREFIX/sbin/xdplb" \
	test "$(grep -c . "$TMP/out")" -ge 3 -a "$(grep -vc '^Exec[A-Za-z]*=/opt/xdplb-test/sbin/xdplb ' "$TMP/out")" = 0
assert "... no unit names /usr/local" test "$(grep -l /usr/local "$UNITS"/* | wc -l)" = 0
make -s -C "$SRC" O="$O" uninstall DESTDIR="$ROOT" PREFIX=/opt/xdplb-test >"$TMP/out" 2>&1
assert "make uninstall removes every file install put there" \
	test "$(find "$ROOT" -type f | wc -l)" = 0
make -s -C "$SRC" O="$O" install DESTDIR="$ROOT" PREFIX=/usr UNITDIR=/lib/systemd/system \
	>"$TMP/out" 2>&1
UNITS=$ROOT/lib/systemd/system

# ---------------------------------------------------------------- exposure
if ! systemd-analyze security --help 2>/dev/null | grep -q -- --offline; then
	not_ok "systemd-analyze security --offline is missing (systemd 252 or later)"
fi
for u in "$UNITS"/*.service; do
	name=$(basename "$u")
	systemd-analyze security --offline=true "$u" >"$TMP/out" 2>"$TMP/err"
	score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' "$TMP/out")
	echo "# exposure of $name: ${score:-?}"
	if [ -n "$score" ] && python3 -c "import sys; sys.exit(not $score <= $MAX_EXPOSURE)"; then
		ok "$name: exposure $score <= $MAX_EXPOSURE"
	else
		not_ok "$name: exposure ${score:-unknown} above $MAX_EXPOSURE"
		grep '✗' "$TMP/out" | sed 's/^/# /' | head -30
	fi
done

# ---------------------------------------------------------------- sandbox
# The units' paths, where this test put them
MAPS=("/sys/fs/bpf=$XDPLB_BPFFS" "/var/lib/xdplb=$XDPLB_STATE_DIR" "/run/xdplb=$XDPLB_RUN_DIR")
mkdir -p "$TMP/etc"
cat >"$TMP/etc/veth0.json" <<'EOF'
{ "interface": "veth0", "next_hop_mac": "02:00:00:00:00:01", "source_v4": "192.0.2.1",
  "health_check": { "type": "tcp", "interval": 0.2, "timeout": 0.1 },
  "vips": [ { "name": "web", "address": "203.0.113.10", "port": 80, "table_size": 1021,
              "backends": [ { "name": "b1", "address": "198.51.100.11" },
                            { "name": "b2", "address": "198.51.100.12" } ] } ] }
EOF

# exec_of UNIT: its ExecStart for interface veth0, with this build's binary
# and this test's config
exec_of() {
	sed -n 's/^ExecStart=//p' "$1" | sed -e "s|^/usr/sbin/xdplb|$XDPLB|" -e 's/%i/veth0/g' \
		-e 's/\$XDPLB_RUN_ARGS//' -e 's/\$XDPLB_CONFIG_ARGS//' -e "s|/etc/xdplb/|$TMP/etc/|g"
}
# sandboxed UNIT TRACE CMD...: CMD with the unit's bounding set and
# no_new_privs, in the test's namespace, traced (2 minutes at most)
sandboxed() {
	local unit=$1 trace=$2 caps
	shift 2
	caps=$("$CHECK" get "$unit" CapabilityBoundingSet | tr '[:upper:]' '[:lower:]' | sed 's/cap_/+/g; s/ /,/g')
	timeout -k 5 120 nsenter --net=/run/netns/"$NS" setpriv --no-new-privs --inh-caps=-all --ambient-caps=-all \
		--bounding-set="-all${caps:+,$caps}" strace -f -qq -o "$trace" "$@"
}
# stop_traced: SIGTERM to the xdplb that $SVC_PID (a subshell) runs under
# timeout and strace, as systemd stops it (found among its descendants)
stop_traced() {
	local pids=$SVC_PID svc="" i
	for i in 1 2 3 4 5; do
		pids=$(for p in $pids; do pgrep -P "$p"; done)
		svc=$(for p in $pids; do [ "$(cat /proc/"$p"/comm 2>/dev/null)" = xdplb ] && echo "$p"; done)
		[ -n "$svc" ] || [ -z "$pids" ] && break
	done
	[ -n "$svc" ] && kill -TERM $svc
}
# inside UNIT TRACE: the trace stayed inside the unit's sandbox
inside() {
	if "$CHECK" check "$1" "$2" "${MAPS[@]}" >"$TMP/out" 2>"$TMP/err"; then
		ok "$(basename "$1"): its command stayed inside the sandbox (system calls, socket families, writes, /proc, /dev)"
	else
		not_ok "$(basename "$1"): outside its sandbox"
		show_output 30
	fi
}

# xdplb@.service: `xdplb run`, until READY=1, then stopped as systemd does
UNIT=$UNITS/xdplb@.service
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1])
s.settimeout(120)
with open(sys.argv[2], "a") as f:
    try:
        while True:
            m = s.recv(4096).decode()
            f.write(m.replace("\n", " ") + "\n"); f.flush()
    except TimeoutError:
        pass' "$TMP/notify.sock" "$TMP/notify.log" &
NOTIFY_PID=$!
wait_for 5 test -S "$TMP/notify.sock"
: >"$TMP/notify.log"
# shellcheck disable=SC2046
NOTIFY_SOCKET=$TMP/notify.sock WATCHDOG_USEC=2000000 \
	sandboxed "$UNIT" "$TMP/trace.run" $(exec_of "$UNIT") 2>"$TMP/svc.err" &
SVC_PID=$!
if wait_for 20 grep -q READY=1 "$TMP/notify.log"; then
	ok "xdplb@.service: xdplb run with CAP_BPF CAP_PERFMON CAP_NET_ADMIN CAP_SYS_ADMIN only: READY"
else
	not_ok "xdplb@.service: no READY=1 within 20 s"
	sed 's/^/# /' "$TMP/svc.err" | head -20
fi
wait_for 5 grep -q WATCHDOG=1 "$TMP/notify.log" &&
	ok "... the watchdog is fed" || not_ok "... no WATCHDOG=1"
check "... the config is live" nsenter --net=/run/netns/"$NS" "$XDPLB" status --iface veth0 --json
check_json "... with its two backends" 'len(d["vips"][0]["backends"]) == 2'
sleep 1 # a few health rounds through the tunnel (SO_MARK)
grep -q "hc\|health" "$TMP/svc.err" && sed 's/^/# run: /' "$TMP/svc.err" | head -5
stop_traced
wait "$SVC_PID"
rc=$?
SVC_PID=
[ "$rc" = 0 ] && ok "... SIGTERM: exit 0" || not_ok "... SIGTERM: exit $rc"
grep -qi "permission\|not permitted\|EPERM" "$TMP/svc.err" &&
	not_ok "... a permission error in its log: $(grep -i -m1 'permission\|permitted' "$TMP/svc.err")" ||
	ok "... no permission error in its log"
inside "$UNIT" "$TMP/trace.run"
check "... and the data path stayed: status after the service stopped" \
	nsenter --net=/run/netns/"$NS" "$XDPLB" status --iface veth0

# xdplb-audit@.service: `xdplb audit` of what the service loaded
UNIT=$UNITS/xdplb-audit@.service
# shellcheck disable=SC2046
sandboxed "$UNIT" "$TMP/trace.audit" $(exec_of "$UNIT") >"$TMP/out" 2>"$TMP/err"
rc=$?
[ $rc = 0 ] && ok "xdplb-audit@.service: audit with CAP_SYS_ADMIN only: exit 0 (no drift)" ||
	{ not_ok "xdplb-audit@.service: audit exit $rc"; show_output; }
inside "$UNIT" "$TMP/trace.audit"

# xdplb-serve.service: the exporter, scraped once
UNIT=$UNITS/xdplb-serve.service
PORT=$((20000 + $$ % 20000))
# shellcheck disable=SC2046
sandboxed "$UNIT" "$TMP/trace.serve" $(exec_of "$UNIT" | sed "s/:9435/:$PORT/") \
	>"$TMP/serve.out" 2>"$TMP/serve.err" &
SVC_PID=$!
if wait_for 10 nsenter --net=/run/netns/"$NS" curl -sf -o "$TMP/metrics" "http://127.0.0.1:$PORT/metrics"; then
	ok "xdplb-serve.service: serve with CAP_BPF only answers /metrics"
else
	not_ok "xdplb-serve.service: no answer on 127.0.0.1:$PORT"
	sed 's/^/# /' "$TMP/serve.err" | head
fi
assert "... xdplb_up 1 for veth0, no read error" \
	grep -q '^xdplb_up{[^}]*iface="veth0"[^}]*} 1' "$TMP/metrics"
stop_traced
wait "$SVC_PID"
SVC_PID=
inside "$UNIT" "$TMP/trace.serve"

tap_end

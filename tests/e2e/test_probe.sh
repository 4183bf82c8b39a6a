#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# The health-check engine (loader/kernel/probe.c) against real sockets in a
# namespace of its own, through its driver build/xdplb-probe: tcp up,
# refused, blackholed (timeout) and unroutable; http 200, 503, a status line
# in pieces, RST, FIN, no answer, not HTTP; IPv4 and IPv6; SO_MARK and the
# source address; the spread schedule; results into the health core; 1,000
# checks in flight under a soft RLIMIT_NOFILE of 256. TAP output; the
# namespace and the server are removed on exit. Needs root (namespaces).
set -u

NS=he-probe-$$
PORT=8080
TMP=$(mktemp -d /tmp/xdplb-probe.XXXXXX)
. "$(dirname "$0")/lib.sh"
PROBE=$(readlink -f "$(dirname "$XDPLB")/xdplb-probe")
SERVER_PID=

cleanup() {
	[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

echo "TAP version 13"
if [ ! -x "$PROBE" ]; then
	echo "Bail out! $PROBE is missing: make $(basename "$(dirname "$PROBE")")/xdplb-probe"
	exit 1
fi

# The namespace: backends on lo (198.51.100.1, .3, 2001:db8::1); a veth
# whose far end drops everything, with 203.0.113.0/24 and 2001:db8:ff::/64
# routed into it through a next hop that is never there (a permanent
# neighbour entry): SYNs leave and nothing comes back. Marked packets
# (0x77) find only unreachable routes.
setup() {
	ip netns add "$NS" &&
		ip -n "$NS" link set lo up &&
		ip -n "$NS" addr add 198.51.100.1/32 dev lo &&
		ip -n "$NS" addr add 198.51.100.3/32 dev lo &&
		ip -n "$NS" addr add 2001:db8::1/128 dev lo nodad &&
		ip -n "$NS" link add he-bh0 type veth peer name he-bh1 &&
		ip -n "$NS" link set he-bh0 up && ip -n "$NS" link set he-bh1 up &&
		ip -n "$NS" neigh add 192.0.2.254 lladdr 02:00:00:00:00:99 dev he-bh0 nud permanent &&
		ip -n "$NS" route add 203.0.113.0/24 via 192.0.2.254 dev he-bh0 onlink &&
		ip -n "$NS" -6 neigh add fe80::99 lladdr 02:00:00:00:00:99 dev he-bh0 nud permanent &&
		ip -n "$NS" -6 route add 2001:db8:ff::/64 via fe80::99 dev he-bh0 &&
		ip -n "$NS" rule add fwmark 0x77 lookup 77 &&
		ip -n "$NS" route add unreachable default table 77 &&
		ip -n "$NS" -6 rule add fwmark 0x77 lookup 77 &&
		ip -n "$NS" -6 route add unreachable default table 77
}
if ! setup >"$TMP/err" 2>&1; then
	echo "Bail out! cannot set up namespace $NS: $(head -1 "$TMP/err")"
	exit 1
fi
in_ns "$NS" timeout 120 python3 "$SRC/tests/e2e/probe_server.py" "$PORT" 110 >"$TMP/server" 2>&1 &
SERVER_PID=$!
for _ in $(seq 50); do grep -q listening "$TMP/server" && break; sleep 0.1; done

# probe ARGS...: the driver in the namespace, bounded; output in $TMP/out
probe() {
	in_ns "$NS" timeout 30 "$PROBE" "$@" >"$TMP/out" 2>"$TMP/err"
}
# field SPEC KEY: KEY=VALUE of SPEC's first result line
field() {
	awk -v s="$1" -v k="$2" '$1 == s { for (i = 3; i <= NF; i++) { split($i, kv, "=");
		if (kv[1] == k) { print kv[2]; exit } } }' "$TMP/out"
}
verdict() { awk -v s="$1" '$1 == s { print $2; exit }' "$TMP/out"; }
# result DESC SPEC OK|FAIL ERR [STATUS]: SPEC's first result is that
result() {
	local desc=$1 spec=$2 want=$3 err=$4 status=${5:-0}
	if [ "$(verdict "$spec")" = "$want" ] && [ "$(field "$spec" err)" = "$err" ] &&
		[ "$(field "$spec" status)" = "$status" ]; then
		ok "$desc"
	else
		not_ok "$desc (got: $(grep -F "$spec " "$TMP/out" | head -1))"
		show_output 10
	fi
}
# latency_between SPEC LO HI: its latency in ms is within [LO, HI]
latency_between() {
	awk -v l="$(field "$1" latency_ms)" -v lo="$2" -v hi="$3" \
		'BEGIN { exit !(l != "" && l >= lo && l <= hi) }'
}

V4=198.51.100.1 V6='[2001:db8::1]'

probe check --timeout 0.3 "tcp:$V4:$PORT" "tcp:$V6:$PORT" "tcp:$V4:8081" "tcp:$V6:8081" \
	tcp:203.0.113.9:80 "tcp:[2001:db8:ff::9]:80" tcp:192.0.2.1:80
result "tcp, IPv4: a listener is up" "tcp:$V4:$PORT" ok 0
result "tcp, IPv6: a listener is up" "tcp:$V6:$PORT" ok 0
result "tcp, IPv4: no listener is refused" "tcp:$V4:8081" fail ECONNREFUSED
result "tcp, IPv6: no listener is refused" "tcp:$V6:8081" fail ECONNREFUSED
# the bounds leave a loaded machine's wake-ups room (CI runs three suites at
# once on two cores) and still tell the behaviours apart
assert "a refusal fails fast (< 150 ms, not at the 300 ms timeout)" latency_between "tcp:$V4:8081" 0 150
result "tcp, IPv4: a blackholed address times out" tcp:203.0.113.9:80 fail ETIMEDOUT
result "tcp, IPv6: a blackholed address times out" "tcp:[2001:db8:ff::9]:80" fail ETIMEDOUT
assert "the timeout is the check's own (0.3 s)" latency_between tcp:203.0.113.9:80 295 600
result "tcp: no route fails at once" tcp:192.0.2.1:80 fail ENETUNREACH

probe check --timeout 0.5 "http:$V4:$PORT/ok" "http:$V6:$PORT/ok" "http:$V4:$PORT/fail" \
	"http:$V6:$PORT/fail=503" "http:$V4:$PORT/split" "http:$V4:$PORT/rst" \
	"http:$V4:$PORT/close" "http:$V4:$PORT/hang" "http:$V6:$PORT/garbage"
result "http, IPv4: 200 is up" "http:$V4:$PORT/ok" ok 0 200
result "http, IPv6: 200 is up" "http:$V6:$PORT/ok" ok 0 200
result "http: 503 is down, and says 503" "http:$V4:$PORT/fail" fail 0 503
result "http: 503 is up when 503 is expected" "http:$V6:$PORT/fail=503" ok 0 503
result "http: a status line in three pieces is read whole" "http:$V4:$PORT/split" ok 0 200
assert "... after its last piece (>= 100 ms)" latency_between "http:$V4:$PORT/split" 100 500
result "http: a RST instead of an answer" "http:$V4:$PORT/rst" fail ECONNRESET
result "http: closed before a status line" "http:$V4:$PORT/close" fail ENODATA
result "http: no answer times out" "http:$V4:$PORT/hang" fail ETIMEDOUT
result "http: not HTTP" "http:$V6:$PORT/garbage" fail EPROTO

probe check --timeout 0.3 --mark 0x77 tcp:203.0.113.9:80 "tcp:[2001:db8:ff::9]:80"
result "SO_MARK, IPv4: a marked check takes the marked routes" tcp:203.0.113.9:80 fail EHOSTUNREACH
result "SO_MARK, IPv6: a marked check takes the marked routes" "tcp:[2001:db8:ff::9]:80" fail EHOSTUNREACH

FROM="http:$V4:$PORT/from/198.51.100.3"
probe check --src 198.51.100.3 "$FROM"
result "source address: the backend sees the one bound" "$FROM" ok 0 200
probe check "$FROM"
result "without it, the kernel's choice" "$FROM" fail 0 403
in_ns "$NS" timeout 30 "$PROBE" check --interval 0.2 --src 192.0.2.99 "$FROM" >"$TMP/out" 2>"$TMP/err"
assert "a source address not here is this host's error: no result, counted, said" \
	eval '! grep -q "^http" "$TMP/out" && grep -q "local_errors=[1-9]" "$TMP/out" &&
	grep -q "binding the source address: Cannot assign requested address" "$TMP/err"'

# The schedule: 4 targets every 0.4 s start 0.1 s apart, then keep the grid.
probe check --interval 0.4 --rounds 3 "tcp:$V4:$PORT" "tcp:$V6:$PORT" "tcp:198.51.100.3:$PORT" \
	"tcp:$V4:8081"
assert "every target has its 3 rounds" eval '[ "$(grep -c "^tcp" "$TMP/out")" -ge 12 ]'
assert "first starts spread over the interval (0, 0.1, 0.2, 0.3 s)" \
	eval 'grep "^tcp" "$TMP/out" | head -4 | awk "{ split(\$5, a, \"=\"); s[NR] = a[2] }
	END { for (i = 2; i <= 4; i++) if (s[i] - s[i-1] < 0.07 || s[i] - s[i-1] > 0.15) exit 1 }"'
assert "later starts keep the grid (target 0: 0.4 s after its first)" \
	eval 'grep "^tcp:$V4:$PORT " "$TMP/out" | awk "{ split(\$5, a, \"=\"); s[NR] = a[2] }
	END { exit !(s[2] - s[1] > 0.37 && s[2] - s[1] < 0.5) }"'

# Results into the health core (rise 1, fall 1): one VIP of two backends.
probe check --health --rounds 2 "http:$V4:$PORT/ok" "http:$V6:$PORT/fail"
assert "health: the failing backend goes down, the other up" \
	eval 'grep -qxF "transition http:$V6:$PORT/fail down" "$TMP/out" &&
	grep -qxF "transition http:$V4:$PORT/ok up" "$TMP/out"'
assert "health: the VIP changes once, one of two out, the guard closed" \
	eval '[ "$(grep -c "^vip changed out=1 unhealthy=1 active=2 fail_open=0" "$TMP/out")" = 1 ]'

# 1,000 checks in flight at once (blackholed, 1.9 s each, starting over
# 2 s) from a process started with a soft limit of 256 descriptors.
for i in $(seq 1 1000); do printf '2001:db8:ff::%x\n' "$i"; done >"$TMP/addrs"
in_ns "$NS" bash -c "ulimit -Sn 256 && timeout 30 '$PROBE' bench --port 80 --interval 2 \
	--timeout 1.9 --duration 3 <'$TMP/addrs'" >"$TMP/out" 2>"$TMP/err"
assert "1,000 sockets: the soft RLIMIT_NOFILE is raised, and said" \
	grep -q "raised the soft RLIMIT_NOFILE from 256 to" "$TMP/err"
assert "1,000 sockets: over 900 checks in flight at once, none failed to start" \
	eval 'awk "/^checks/ { exit !(\$12 >= 900 && \$10 == 0) }" "$TMP/out"'

tap_end

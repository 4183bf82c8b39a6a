# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# shellcheck shell=bash disable=SC2034
# Sourced by tests/e2e/test_lab_fleet*.sh after lab_lib.sh: helpers for a lab
# of several LBs behind the router's ECMP (tools/lab up --lbs N).

VIP=203.0.113.10
ms() { $PY -c "print(round((float('$1') - float('$2')) * 1000))"; }
secs() { $PY -c "print('%.2f' % (float('$1') - float('$2')))"; }

# lb_flows K: new flows LB K's XDP program counted on VIP web (its own counters)
lb_flows() {
	lab xdplb --lb "$1" stats --json --iface eth0 | $PY -c '
import json, sys
print([v for v in json.load(sys.stdin)["vips"] if v["name"] == "web"][0]["new_flows"])'
}
npaths() { lab paths "${1:-$VIP}" | wc -l; }
lb_addr() { echo "192.0.2.$((8 * ($1 - 1) + 1))"; } # LB K's link address (tools/lab)

# wait_paths N [SECONDS]: until the router's route to the VIP has N next hops
# (default at most 15 s); prints the seconds it took
wait_paths() {
	local t0 k
	t0=$(now)
	for k in $(seq $((${2:-15} * 50))); do
		if [ "$(npaths)" = "$1" ]; then
			secs "$(now)" "$t0"
			return 0
		fi
		sleep 0.02
	done
	echo "timeout"
	return 1
}

# only_lb K: the router sends every flow to LB K (the others withdraw the VIPs
# from their announce table; BGP takes them away); then `lab paths` is LB K's
only_lb() {
	local k j
	for j in $(seq 1 "$NLB"); do
		if [ "$j" = "$1" ]; then lab announce "lb$j" on; else lab announce "lb$j" off; fi
	done
	for k in $(seq 150); do
		[ "$(lab paths)" = "$(lb_addr "$1")" ] && return 0
		sleep 0.05
	done
	return 1
}
all_lbs() { # every LB announces again; until the router has every path
	local j
	for j in $(seq 1 "$NLB"); do lab announce "lb$j" on; done
	wait_paths "$NLB" >/dev/null
}

# paths_of HOLD-READY-JSON SRCS PORT-BASE: "id:K ..." for the hold's
# connections: the LB K the router picks for each (`ip route get` with the
# 5-tuple: the same L4 hash its forwarding uses; one `ip -batch` for all)
paths_of() {
	$PY - "$1" "$2" "$3" "$VIP" >"$TMP/getroutes" <<'EOF'
import json, sys
n, srcs, base = len(json.load(open(sys.argv[1]))), sys.argv[2].split(","), int(sys.argv[3])
for i in range(n):
    print("route get %s from %s iif c0 ipproto tcp sport %d dport 80" % (sys.argv[4], srcs[i % len(srcs)], base + i))
EOF
	lab exec router ip -batch "$TMP/getroutes" | $PY -c '
import re, sys
vias = re.findall(r"via ([0-9.]+)", sys.stdin.read())
print(" ".join("%d:%d" % (i, (int(v.split(".")[3]) - 1) // 8 + 1) for i, v in enumerate(vias)))'
}
on_lb() { # on_lb "id:K ..." K: how many are on LB K
	echo "$1" | tr ' ' '\n' | grep -c ":$2$"
}

lb_gen() { lab xdplb --lb "$1" status --json --iface eth0 | $PY -c 'import json, sys; print(json.load(sys.stdin)["generation"])'; }

# put_lb K SHARED-JSON-FILE: LB K's service file (the shared part; its host
# file, LB K's own part, stays) becomes SHARED-JSON-FILE, written aside and
# renamed (as config management does); waits (10 s) for its generation to move
put_lb() {
	local f gen k
	f=$(lab service --lb "$1" file)
	gen=$(lb_gen "$1")
	$PY -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1])), indent=2))' "$2" >"$f.tmp"
	mv "$f.tmp" "$f"
	for k in $(seq 100); do
		[ "$(lb_gen "$1")" != "$gen" ] && return 0
		sleep 0.1
	done
	return 1
}

# roll_lb K SHARED-JSON-FILE SECONDS: what docs/fleet.md tells operators to do
# on each LB in turn: `xdplb load SHARED --host HOSTFILE --verify SECONDS` in
# LB K (the service adopts what is live), then SHARED installed as the
# service's file (written aside and renamed), so that a restart does not
# revert the LB; the service must find that file live already (its log says
# "unchanged", waited for at most 10 s; the generation stays). The load's
# output in $TMP/roll$K.out; $TMP/roll$K.t: the epoch seconds of the load's
# start, its end and the install. 1 when the load failed (rolled back, exit
# 1) or the service reloaded the file into a new generation.
roll_lb() {
	local f gen n t0 t1 k seen=
	f=$(lab service --lb "$1" file)
	t0=$(now)
	lab xdplb --lb "$1" load "$2" --host "$(lab service --lb "$1" host-file)" --verify "$3" \
		--iface eth0 >"$TMP/roll$1.out" 2>&1 || return 1
	t1=$(now)
	gen=$(lb_gen "$1")
	n=$(lab service --lb "$1" log | grep -c ' unchanged$')
	cp "$2" "$f.tmp"
	mv "$f.tmp" "$f"
	echo "$t0 $t1 $(now)" >"$TMP/roll$1.t"
	for k in $(seq 100); do
		[ "$(lab service --lb "$1" log | grep -c ' unchanged$')" -gt "$n" ] && seen=1 && break
		sleep 0.1
	done
	[ -n "$seen" ] && [ "$(lb_gen "$1")" = "$gen" ]
}

# explain_flows FLOWS OUT: each line "ID K SRC PORT BACKEND" of FLOWS (a
# connection through LB K that started on BACKEND) explained on LB K and on
# the other LB of two (xdplb explain: the live program with a private copy of
# the flow's conntrack entry; nothing live changes); OUT gets "ID K SRC PORT
# BACKEND OWN-BACKEND OWN-CONNTRACK OTHER-BACKEND OTHER-SLOT" a line. One
# python for all, xdplb run by nsenter as tools/lab xdplb does, two at a
# time (through tools/lab, with a JSON parser each, 0.4 s an explain here);
# at most 150 s in all
explain_flows() {
	timeout 150 "$PY" - "$1" "$VIP" "$XDPLB" "/run/netns/$(lab ns lb1)" "/run/netns/$(lab ns lb2)" >"$2" <<'EOF'
import json, subprocess, sys
from concurrent.futures import ThreadPoolExecutor
flows, vip, xdplb, ns = sys.argv[1], sys.argv[2], sys.argv[3], {"1": sys.argv[4], "2": sys.argv[5]}
def explain(k, src, port):
    r = subprocess.run(["nsenter", "--net=" + ns[k], xdplb, "explain", "tcp", "%s:%s" % (src, port),
                        vip + ":80", "--json", "--iface", "eth0"], capture_output=True, text=True, timeout=20)
    try:
        d = json.loads(r.stdout)
    except ValueError:
        return "-", "-", "-"
    return ((d.get("backend") or {}).get("name", "-"), (d.get("conntrack") or {}).get("result", "-"),
            (d.get("maglev") or {}).get("slot", "-"))
rows = [line.split() for line in open(flows)]
other = {"1": "2", "2": "1"}
with ThreadPoolExecutor(2) as pool:  # two at a time: each explain mostly waits for the verifier
    own = list(pool.map(lambda r: explain(r[1], r[2], r[3]), rows))
    far = list(pool.map(lambda r: explain(other[r[1]], r[2], r[3]), rows))
for (i, k, src, port, b), (ob, oc, _), (xb, _, xs) in zip(rows, own, far):
    print(i, k, src, port, b, ob, oc, xb, xs)
EOF
}

# hold_stats OUT: "broken moved total" of a hold's connections
hold_stats() {
	$PY - "$1" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
c = d["conns"]
print(sum(1 for x in c if x["error"]), sum(1 for x in c if x["changes"]), len(c))
EOF
}

# sessions_down: the router's BIRD log lines where a BGP session to an LB went
# down or why (BFD, hold timer, link down), "epoch-seconds line" each
sessions_down() {
	lab bird router log 2>/dev/null | $PY -c '
import re, sys, time, datetime
for line in sys.stdin:
    m = re.match(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) <\w+> (lb\d+_[46]): (.*)", line)
    if m and re.search(r"State changed to stop|BFD session down|Error|Link down", m.group(3)):
        t = datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f").timestamp()
        print("%.3f %s: %s" % (t, m.group(2), m.group(3).strip()))'
}
# health_moves K: LB K's service log lines where a backend went down or up
health_moves() { lab service --lb "$1" log 2>/dev/null | grep -E 'health: .*: (down|up)' | grep -v 'up$' || true; }

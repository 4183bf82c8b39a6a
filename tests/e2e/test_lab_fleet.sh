#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Two LBs behind the router's ECMP (tools/lab up --lbs 2: BIRD on the router
# and on each LB, BGP + BFD, multipath, L4 hash), the same shared config
# (same hash_seed) on both, each run by its service. Real TCP. TAP.
#   1. 500 connections: each LB carries 30 to 70% of them, counted by its own
#      XDP program (xdplb stats --json, new flows), all answered.
#   2. The same 200 5-tuples sent through LB1 only, then through LB2 only (the
#      router steered by withdrawing the other LB's announcement): each LB's
#      counters show it carried all 200, and every 5-tuple reached the same
#      backend both times; `xdplb explain` in each LB agrees on a sample.
#   3. 60 long-lived connections (a request every 0.2 s) spread over both
#      LBs, and a client opening ~40 connections/s with a 1 s timeout, while
#      LB1 fails and comes back twice: (a) its service and BIRD SIGKILLed, then
#      restarted; (b) its link down (the LB's side: the router notices by BFD),
#      then up. Each move shifts about half the flows from one LB to the other
#      (counted from the router's own hash, `ip route get` with the 5-tuple).
#      Claims: no long-lived connection breaks or changes backend (the other
#      LB's Maglev picks the same backend, the DSR backend keeps the TCP
#      state); new connections fail for less than 1 s after each event. The
#      measured figures are printed.
. "$(dirname "$0")/lab_lib.sh"
. "$(dirname "$0")/fleet_lib.sh"

T_TEST=$(now)
NLB=2
command -v bird >/dev/null || { echo "1..0 # SKIP bird (bird2) is not installed: tools/install-deps"; exit 0; }
lab_start --lbs 2 --backends 4
SRCS=$(lab sources 4)

# ---------------------------------------------------------------- 1. both LBs carry
assert "the router has 2 paths to the VIP: $(lab paths | tr '\n' ' ')" [ "$(npaths)" = 2 ]
a1=$(lb_flows 1) a2=$(lb_flows 2)
lab http 500 --port-base 30000 --json >"$TMP/r500.json" 2>"$TMP/err"
b1=$(lb_flows 1) b2=$(lb_flows 2)
d1=$((b1 - a1)) d2=$((b2 - a2))
check_json_file() { cp "$1" "$TMP/out"; check_json "$2" "$3"; }
check_json_file "$TMP/r500.json" "500 connections through the router's ECMP: all answered" "d['ok'] == 500"
echo "# per backend: $(jq_out "d['by_backend']")"
assert "LB1 carried $d1 and LB2 $d2 of 500 (their own new-flow counters): both 30..70%, $((d1 + d2)) in all" \
	[ "$d1" -ge 150 -a "$d1" -le 350 -a "$d2" -ge 150 -a "$d2" -le 350 -a $((d1 + d2)) = 500 ]

# ---------------------------------------------------------------- 2. same backend on either LB
pinned() { # pinned K OUT: the 200 flows through LB K only; "new flows on LB1 LB2"
	local k=$1 x1 x2
	x1=$(lb_flows 1) x2=$(lb_flows 2)
	client 60 http -n 200 --vip $VIP --sources "$SRCS" --port-base 40000 --conns-out "$2" --json >"$2.sum"
	echo "$(($(lb_flows 1) - x1)) $(($(lb_flows 2) - x2))"
}
if only_lb 1; then ok "router steered: only LB1 announces, the only path is $(lab paths)"; else not_ok "steering to LB1"; fi
read -r p11 p12 < <(pinned 1 "$TMP/via1.json")
assert "through LB1: LB1 counted $p11 new flows, LB2 $p12 (want 200, 0)" [ "$p11" = 200 -a "$p12" = 0 ]
if only_lb 2; then ok "router steered: only LB2 announces, the only path is $(lab paths)"; else not_ok "steering to LB2"; fi
read -r p21 p22 < <(pinned 2 "$TMP/via2.json")
assert "through LB2: LB1 counted $p21 new flows, LB2 $p22 (want 0, 200)" [ "$p21" = 0 -a "$p22" = 200 ]
all_lbs
judge "the same 200 5-tuples: every one answered by the same backend through LB1 and through LB2" \
	$PY - "$TMP/via1.json" "$TMP/via2.json" <<'EOF'
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
same = sum(1 for x, y in zip(a, b) if x[2] and x[2] == y[2])
diff = [(x[0], x[1], x[2], y[2]) for x, y in zip(a, b) if x[2] != y[2] or not x[2]]
by = {}
for x in a:
    by[x[2]] = by.get(x[2], 0) + 1
print("%d of %d 5-tuples on the same backend via LB1 and via LB2; per backend %s" % (
    same, len(a), dict(sorted(by.items(), key=str))))
for d in diff[:10]:
    print("  %s:%s  via LB1 %s  via LB2 %s" % d)
sys.exit(0 if same == len(a) == 200 else 1)
EOF
# xdplb explain in each LB (a SYN of the same 5-tuple, a private copy of the
# program: nothing live changes) names the backend the packets reached
$PY -c "
import json
for s, p, b, e in json.load(open('$TMP/via1.json'))[:12]:
    print(s, p, b)" >"$TMP/sample"
bad=0
while read -r s p b; do
	for k in 1 2; do
		e=$(lab xdplb --lb $k explain tcp "$s:$p" "$VIP:80" --syn --json --iface eth0 |
			$PY -c 'import json, sys; print(json.load(sys.stdin)["backend"]["name"])' 2>&1)
		[ "$e" = "$b" ] || { bad=$((bad + 1)); echo "# $s:$p: real packets reached $b, explain on LB$k says $e"; }
	done
done <"$TMP/sample"
assert "xdplb explain on LB1 and LB2: the same backend as the real connections (12 5-tuples)" [ "$bad" = 0 ]

# ---------------------------------------------------------------- 3. LB1 fails and comes back
h1=$(lb_flows 1) h2=$(lb_flows 2)
bg hold client 400 hold --vip $VIP --conns 60 --interval 0.2 --timeout 5 --duration 360 \
	--sources "$SRCS" --port-base 45000 --ready-file "$TMP/ready.json" --stop-file "$TMP/stop" --out "$TMP/hold.json"
for _ in $(seq 150); do [ -s "$TMP/ready.json" ] && break; sleep 0.1; done
sleep 0.5
g1=$(($(lb_flows 1) - h1)) g2=$(($(lb_flows 2) - h2))
P0=$(paths_of "$TMP/ready.json" "$SRCS" 45000)
assert "60 long-lived connections: LB1 carries $g1, LB2 $g2 (their counters; the router's hash says $(on_lb "$P0" 1) and $(on_lb "$P0" 2)), both at least 10" \
	[ "$g1" -ge 10 -a "$g2" -ge 10 -a "$g1" = "$(on_lb "$P0" 1)" -a "$g2" = "$(on_lb "$P0" 2)" ]
bg churn client 400 churn --vip $VIP --rate 40 --parallel 16 --timeout 1 --duration 360 --sources "$SRCS" \
	--stop-file "$TMP/stop" --out "$TMP/churn.json"
sleep 2

moved() { # moved "id:lb ..." "id:lb ...": how many changed LB
	$PY -c "
a = dict(x.split(':') for x in '''$1'''.split())
b = dict(x.split(':') for x in '''$2'''.split())
print(sum(1 for k in a if a[k] != b.get(k)))"
}
EVENTS=()
# (a) service and BIRD SIGKILLed
t_a=$(now)
lab service --lb 1 kill KILL >/dev/null 2>&1 &
kpid=$!
lab bird lb1 kill KILL
wait $kpid # only that one: the clients run in the background too
w=$(wait_paths 1)
EVENTS+=("a-kill=$t_a")
P1=$(paths_of "$TMP/ready.json" "$SRCS" 45000)
echo "# (a) LB1's service and BIRD SIGKILLed: the router had 1 path ${w} s later; $(moved "$P0" "$P1") of 60 long-lived connections moved to LB2"
assert "(a) killed: LB1's path withdrawn (in ${w} s)" [ "$w" != timeout ]
sleep 3
t_b=$(now)
check "(a) LB1's service restarted (it adopts what is live)" lab service --lb 1 start
t_svc=$(now)
check "(a) LB1's BIRD restarted" lab bird lb1 start
w=$(wait_paths 2)
EVENTS+=("a-back=$t_b")
P2=$(paths_of "$TMP/ready.json" "$SRCS" 45000)
echo "# (a) back: the service running $(secs "$t_svc" "$t_b") s after its start, 2 paths ${w} s after BIRD's start; $(moved "$P1" "$P2") of 60 moved back to LB1"
assert "(a) back: the router has 2 paths again" [ "$w" != timeout ]
sleep 3
# (b) LB1's link down on the LB's side: the router's side loses carrier and
# keeps the path until BFD (100 ms x 3) says the neighbour is gone
t_c=$(now)
lab exec lb1 ip link set eth0 down
w=$(wait_paths 1)
EVENTS+=("b-down=$t_c")
P3=$(paths_of "$TMP/ready.json" "$SRCS" 45000)
echo "# (b) LB1's link down: the router had 1 path ${w} s later; $(moved "$P2" "$P3") of 60 moved to LB2"
assert "(b) link down: LB1's path withdrawn (in ${w} s)" [ "$w" != timeout ]
sleep 3
t_d=$(now)
lab exec lb1 ip link set eth0 up
# an administratively downed interface loses its routes: the LB's default route back
lab exec lb1 ip route replace default via 192.0.2.2
w=$(wait_paths 2)
EVENTS+=("b-up=$t_d")
P4=$(paths_of "$TMP/ready.json" "$SRCS" 45000)
echo "# (b) link up: 2 paths ${w} s later; $(moved "$P3" "$P4") of 60 moved back to LB1"
assert "(b) link up: the router has 2 paths again" [ "$w" != timeout ]
sleep 3
touch "$TMP/stop"
wait_bg churn 15
wait_bg hold 15

judge "60 long-lived connections across (a) and (b): none broke, none changed backend" \
	"$PY" "$CHECK" hold "$TMP/hold.json" --min-requests 50
read -r broken chg total < <(hold_stats "$TMP/hold.json")
echo "# long-lived: $broken of $total broke, $chg changed backend"
judge "new connections: each event's failures end within 1 s of it" \
	"$PY" "$CHECK" events "$TMP/churn.json" "${EVENTS[@]}"
# what else moved flows: BGP sessions that went down (besides the test's own
# events), health verdicts of the services (a backend taken out)
sessions_down >"$TMP/sess"
echo "# BGP sessions down on the router: $(wc -l <"$TMP/sess")"
sed 's/^/#   /' "$TMP/sess" | head -10
for k in 1 2; do
	echo "# LB$k's service: $(health_moves $k | grep -c ': down') health transitions to down"
	health_moves $k | head -5 | sed 's/^/#   /'
done
echo "# test_lab_fleet.sh: $(secs "$(now)" "$T_TEST") s in all"
tap_end

#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# The health-gated announcement in a fleet (docs/fleet.md): two LBs behind
# the router's ECMP (tools/lab up --lbs 2: the services announce the VIP
# through table 30821, BIRD exports it with BFD), four backends, real TCP,
# 60 long-lived connections and ~40 new connections/s (1 s timeout). TAP.
#   1. LB1's service stopped (SIGTERM): it withdraws its route, BIRD the path
#      from the router (times printed: to the route gone, to the router's
#      single path); the long-lived connections it carried cross to LB2 and
#      none breaks; new connections fail for less than 1 s. Started again: it
#      announces once its checks gave their first verdicts, the path comes
#      back.
#   2. Only LB1 sees be2 fail (the router drops what LB1 sends to be2, its
#      checks included; LB2's path is fine): LB1 takes be2 out,
#      LB2 keeps it up and keeps sending it new flows, both LBs keep
#      announcing (each still has backends); the divergence shows on the
#      services' /metrics as the XdplbFleetHealthDivergence rule reads it
#      (max - min of xdplb_health_check_passing over the LBs = 1); no new
#      connection started LAB_DETECT_GRACE (lab_lib.sh, 2.31 s) after the
#      failure is in effect fails (the connections LB1 had on be2 are lost:
#      their path is cut). Healed, LB1 takes be2 back and the divergence
#      is 0.
#   3. `xdplb announce off` on LB2 (a drain): its path leaves the router, it
#      gets no new flow; `on`: back.
#   4. LB1's link down: its service withdraws (the interface is down); up
#      again, it announces only once its checks, which failed while the link
#      was down, have put every backend back up.
. "$(dirname "$0")/lab_lib.sh"
. "$(dirname "$0")/fleet_lib.sh"

T_TEST=$(now)
NLB=2
command -v bird >/dev/null || { echo "1..0 # SKIP bird (bird2) is not installed: tools/install-deps"; exit 0; }
lab_start --lbs 2 --backends 4
SRCS=$(lab sources 4)
route_on() { lab exec "lb$1" ip route show table 30821 proto 120 | grep -c "^blackhole $VIP "; }
passing() { # passing K BACKEND: LB K's xdplb_health_check_passing of web/BACKEND
	lab service --lb "$1" metrics 2>/dev/null |
		awk -v b="backend=\"$2\"" '$1 ~ /^xdplb_health_check_passing\{/ && index($1, b) && index($1, "vip=\"web\"") {print $2}'
}
be_flows() { # be_flows K BACKEND: new flows LB K sent to BACKEND of web
	lab xdplb --lb "$1" stats --json --iface eth0 | $PY -c "
import json, sys
v = [v for v in json.load(sys.stdin)['vips'] if v['name'] == 'web'][0]
print([b for b in v['backends'] if b['name'] == '$2'][0]['new_flows'])"
}
assert "the router has 2 paths to the VIP: $(lab paths | tr '\n' ' ')" [ "$(npaths)" = 2 ]
assert "each LB's service put the VIP's route in its table 30821 (proto 120)" [ "$(route_on 1)" = 1 -a "$(route_on 2)" = 1 ]

bg hold client 400 hold --vip $VIP --conns 60 --interval 0.2 --timeout 5 --duration 360 \
	--sources "$SRCS" --port-base 47000 --ready-file "$TMP/ready.json" --stop-file "$TMP/stop" --out "$TMP/hold.json"
for _ in $(seq 150); do [ -s "$TMP/ready.json" ] && break; sleep 0.1; done
P0=$(paths_of "$TMP/ready.json" "$SRCS" 47000)
bg churn client 400 churn --vip $VIP --rate 40 --parallel 16 --timeout 1 --duration 360 --sources "$SRCS" \
	--stop-file "$TMP/stop" --out "$TMP/churn.json"
sleep 2

# ---------------------------------------------------------------- 1. a service stopped
pid=$(lab service --lb 1 pid)
t_stop=$(now)
kill -TERM "$pid"
t_route=timeout
for _ in $(seq 500); do
	[ "$(route_on 1)" = 0 ] && { t_route=$(now); break; }
	sleep 0.01
done
w=$(wait_paths 1)
t_path=$(now)
if [ "$t_route" != timeout ] && [ "$w" != timeout ]; then
	ok "LB1's service stopped (SIGTERM): its route gone $(ms "$t_route" "$t_stop") ms after the signal, the router's path $(ms "$t_path" "$t_stop") ms after it; $(on_lb "$P0" 1) of 60 long-lived connections crossed to LB2"
else
	not_ok "SIGTERM: route gone $t_route, router paths $(npaths)"
fi
EVENTS=("stop $t_stop")
sleep 3
t_start=$(now)
lab service --lb 1 start >/dev/null
t_run=$(now)
w=$(wait_paths 2 15)
t_back=$(now)
EVENTS+=("start $t_start")
if [ "$w" != timeout ]; then
	ok "LB1's service started again: running after $(ms "$t_run" "$t_start") ms, the path back $(ms "$t_back" "$t_run") ms later (its checks' first verdicts, then BGP)"
else
	not_ok "LB1's path did not come back"
	lab service --lb 1 log | tail -10 | sed 's/^/# /'
fi
sleep 3

# ---------------------------------------------------------------- 2. only LB1 sees be2 fail
b2_lb1=$(be_flows 1 be2) b2_lb2=$(be_flows 2 be2)
t_fail0=$(now)
# what LB1 sends to be2 (balanced flows and its checks, all encapsulated
# from its source 192.0.2.1) dies at the router; LB2's path is untouched
lab exec router ip rule add from 192.0.2.1 to 198.51.100.12 prio 90 blackhole
t_fail=$(now) # the failure is in effect: detection is timed from here
echo "# the one-sided failure took $(ms "$t_fail" "$t_fail0") ms to make"
t_out=timeout
for _ in $(seq 100); do
	[ "$(passing 1 be2)" = 0 ] && { t_out=$(now); break; }
	sleep 0.05
done
sleep 2
p1=$(passing 1 be2) p2=$(passing 2 be2)
div=$($PY -c "v = [float(x) for x in '$p1 $p2'.split()]; print(int(max(v) - min(v)))" 2>/dev/null)
if [ "$t_out" != timeout ] && [ "$p2" = 1 ]; then
	ok "only LB1 sees be2 fail: LB1 takes it out $(ms "$t_out" "$t_fail") ms after the failure (its metric), LB2 keeps it (passing $p2)"
else
	not_ok "one-sided failure: LB1 passing ${p1:-?} (out at $t_out), LB2 ${p2:-?}"
	lab service --lb 1 log | tail -8 | sed 's/^/# /'
fi
assert "the divergence as XdplbFleetHealthDivergence reads it: max - min of xdplb_health_check_passing{backend=\"be2\"} over the LBs = ${div:-?} (LB1 $p1, LB2 $p2)" [ "${div:-}" = 1 ]
assert "both LBs keep announcing the VIP (each has backends taking new flows): $(npaths) paths, routes $(route_on 1) $(route_on 2)" \
	[ "$(npaths)" = 2 -a "$(route_on 1)" = 1 -a "$(route_on 2)" = 1 ]
sleep 3
t_heal=$(now)
n1=$(($(be_flows 1 be2) - b2_lb1)) n2=$(($(be_flows 2 be2) - b2_lb2))
echo "# while LB1 had be2 out: LB1 sent be2 $n1 new flows (those before its verdict), LB2 sent it $n2"
assert "LB2 still gives be2 new flows while LB1 has it out ($n2 in 5 s)" [ "$n2" -gt 0 ]
# the fail event's window opens before the command (a connection started
# during it may fail) and its grace is LAB_DETECT_GRACE after the command
EVENTS+=("fail $t_fail0 $($PY -c "print(round($t_fail - $t_fail0 + $LAB_DETECT_GRACE, 3))")" "heal $t_heal")
lab exec router ip rule del from 192.0.2.1 to 198.51.100.12 prio 90 blackhole
t_in=timeout
for _ in $(seq 100); do
	[ "$(passing 1 be2)" = 1 ] && { t_in=$(now); break; }
	sleep 0.05
done
if [ "$t_in" != timeout ]; then ok "healed: LB1 takes be2 back $(ms "$t_in" "$t_heal") ms later; divergence 0 (LB1 $(passing 1 be2), LB2 $(passing 2 be2))"; else
	not_ok "LB1 did not take be2 back"
fi
sleep 2

# ---------------------------------------------------------------- 3. drain LB2
t_drain=$(now)
lab announce lb2 off
w=$(wait_paths 1)
t_gone=$(now)
EVENTS+=("drain $t_drain")
if [ "$w" != timeout ]; then
	ok "xdplb announce off on LB2: its path left the router $(ms "$t_gone" "$t_drain") ms after the command began; $(on_lb "$P0" 2) long-lived connections crossed to LB1"
else
	not_ok "drain: the router still has $(npaths) paths"
fi
f2a=$(lb_flows 2)
sleep 2
f2b=$(lb_flows 2)
assert "drained, LB2 gets no new flow ($((f2b - f2a)) in 2 s)" [ $((f2b - f2a)) = 0 ]
t_on=$(now)
lab announce lb2 on
w=$(wait_paths 2)
EVENTS+=("undrain $t_on")
if [ "$w" != timeout ]; then ok "xdplb announce on: LB2's path back in $w s"; else not_ok "announce on: no path"; fi
sleep 2

# ---------------------------------------------------------------- 4. LB1's link down and up
all_up() { # every backend of LB K's web up by its checks
	lab xdplb --lb "$1" status --json --iface eth0 | $PY -c '
import json, sys
v = [v for v in json.load(sys.stdin)["vips"] if v["name"] == "web"][0]
sys.exit(0 if all(b["health"] == "up" for b in v["backends"]) else 1)'
}
t_down=$(now)
lab exec lb1 ip link set eth0 down
w=$(wait_paths 1)
for _ in $(seq 200); do [ "$(route_on 1)" = 0 ] && break; sleep 0.01; done
EVENTS+=("linkdown $t_down")
assert "LB1's link down: the router's path gone in $w s, and LB1's service withdrew its route ($(route_on 1) left)" [ "$w" != timeout -a "$(route_on 1)" = 0 ]
sleep 3
t_up=$(now)
lab exec lb1 ip link set eth0 up
lab exec lb1 ip route replace default via 192.0.2.2
EVENTS+=("linkup $t_up")
healthy_then=unknown
for _ in $(seq 1000); do
	if [ "$(route_on 1)" = 1 ]; then
		if all_up 1; then healthy_then=yes; else healthy_then=no; fi
		break
	fi
	sleep 0.01
done
t_ann=$(now)
w=$(wait_paths 2)
if [ "$healthy_then" = yes ]; then
	ok "LB1's link back: it announces $(ms "$t_ann" "$t_up") ms later, once its checks have put every backend back up (not with the table its link loss degraded); the router's 2 paths ${w} s after that"
else
	not_ok "LB1's link back: announced with every backend up: $healthy_then"
	lab service --lb 1 log | tail -12 | sed 's/^/# /'
fi
sleep 2

touch "$TMP/stop"
wait_bg churn 15
wait_bg hold 15
# be2's connections through LB1 die with the one-sided failure: that is the
# failure, not the fleet; the others must not break
$PY - "$TMP/hold.json" "$P0" >"$TMP/holdsum" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
via = dict(x.split(":") for x in sys.argv[2].split())
cut = [c for c in d["conns"] if c.get("backend") == "be2" and via.get(str(c["id"])) == "1"]
other = [c for c in d["conns"] if c not in cut]
bad = [c for c in other if c["error"] or c["changes"]]
print(len(d["conns"]), len(cut), sum(1 for c in cut if c["error"]), len(bad))
EOF
read -r total ncut cutbroke bad <"$TMP/holdsum"
assert "60 long-lived connections across the stop, the one-sided failure, the drain and the link's loss: $bad of the $((total - ncut)) not on be2 through LB1 broke or changed backend; $cutbroke of the $ncut on be2 through LB1 broke (the failure cut their path)" [ "$bad" = 0 ]
judge "new connections: failures end within 1 s of each event, and none started $LAB_DETECT_GRACE s after the one-sided failure fails" $PY - "$TMP/churn.json" "${EVENTS[@]}" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
t0 = d["t0_wall"]
# "NAME TIME [GRACE]": GRACE only for the failure, whose checks take time
ev = [(x.split()[0], float(x.split()[1]), float((x.split() + ["2"])[2])) for x in sys.argv[2:]]
good = True
print("%d connections in %.1f s, %d failed (timeout 1 s)" % (d["connections"], d["seconds"], d["failed"]))
for j, (name, te, grace) in enumerate(ev):
    end = ev[j + 1][1] if j + 1 < len(ev) else t0 + d["seconds"]
    win = [x for x in d["log"] if te <= t0 + x[0] < end]
    bad = [x for x in win if x[2]]
    span = max(t0 + x[0] for x in bad) - te if bad else 0.0
    print("  %-8s %4d connections after it, %d failed %s; failures end %.2f s after it" % (
        name, len(win), len(bad), sorted(set(x[2] for x in bad)), span))
    if name == "fail":  # LB1's checks need up to the grace to see it
        late = [x for x in bad if t0 + x[0] >= te + grace]
        print("           %d of them started %.2f s or more after it" % (len(late), grace))
        good &= not late
    else:
        good &= span < 1.0
sys.exit(0 if good else 1)
EOF
for k in 1 2; do
	lab service --lb $k log | grep -E "announce|withdraw|drained|resumed|health: web/be2" | sed "s/^/# LB$k: /" | head -12
done
echo "# test_lab_fleet_announce.sh: $(secs "$(now)" "$T_TEST") s in all"
tap_end

#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# The next hop and the announcement (docs/fleet.md), on the lab (one LB,
# three backends, the service with health checks; its config has
# "next_hop": "192.0.2.2", the router, and "announce": {"table": 30821}):
#   1. next_hop resolved through the neighbour table: the live next hop MAC
#      is the router's, the entry is a managed one; "gateway" resolves to
#      the same; a config naming an
#      address nobody answers for is refused (exit 1, the address and the
#      interface named), nothing changed;
#   2. the VIP's route (blackhole, proto 120) is in table 30821 once health
#      settled; removed by someone else, it comes back;
#   3. every backend of the VIP down (`xdplb backend set ... down --force`):
#      withdrawn (the time is printed); cleared: announced again;
#   4. every backend's server stopped: the cascade guard fails open and the
#      VIP stays announced (fail-open never withdraws);
#   5. `xdplb announce off`: withdrawn at once, still withdrawn after a
#      restart of the service, `status` says why; `on`: back;
#   6. SIGTERM: withdrawn (time printed); started again: back;
#   7. the router's MAC changes (a new router on the same address): the
#      service commits the new next hop MAC (time printed), and requests
#      still get through;
#   8. the LB's own MAC changes: the service commits the program's if_mac
#      (frames to another MAC are passed since ABI 5), requests get
#      through. TAP.
. "$(dirname "$0")/lab_lib.sh"

TABLE=30821
VIP4=203.0.113.10
lab_start --backends 3
ms() { $PY -c "print(round((float('$1') - float('$2')) * 1000))"; }
route() { lab exec lb ip route show table $TABLE proto 120 2>/dev/null | grep -c "^blackhole $VIP4 "; }
# wait_route 0|1 [SECONDS]: until the route is (not) there (default 10 s); prints the ms it took
wait_route() {
	local t0
	t0=$(now)
	for _ in $(seq $((${2:-10} * 100))); do
		if [ "$(route)" = "$1" ]; then
			ms "$(now)" "$t0"
			return 0
		fi
		sleep 0.01
	done
	echo timeout
	return 1
}
nh_mac() { x status --json --iface eth0 | $PY -c 'import json, sys; print(json.load(sys.stdin)["next_hop_mac"])'; }
gen() { x status --json --iface eth0 | $PY -c 'import json, sys; d = json.load(sys.stdin); print(d["generation"], d["config_digest"])'; }
http_ok() { # http_ok N: N requests, all answered
	lab http "$1" --json >"$TMP/http" 2>&1 && $PY -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if d["failed"] == 0 and d["ok"] == int(sys.argv[2]) else 1)' "$TMP/http" "$1"
}

# 1. the next hop
RT_MAC=$(lab exec router ip -o link show lb0 | grep -o "link/ether [0-9a-f:]*" | cut -d" " -f2)
if [ "$(nh_mac)" = "$RT_MAC" ]; then ok "next_hop 192.0.2.2 resolved: the live next hop MAC is the router's ($RT_MAC)"; else
	not_ok "next hop MAC $(nh_mac), the router's is $RT_MAC"
fi
if lab exec lb ip neigh show 192.0.2.2 dev eth0 | grep -q managed; then ok "the router's neighbour entry is managed (the kernel keeps it resolved)"; else
	not_ok "neighbour entry: $(lab exec lb ip neigh show 192.0.2.2 dev eth0)"
fi
# "gateway": the default route's gateway out of eth0 (192.0.2.2 in the lab)
lab config | $PY -c 'import json, sys; c = json.load(sys.stdin); c["next_hop"] = "gateway"; print(json.dumps(c))' >"$TMP/gw.json"
if x load "$TMP/gw.json" >"$TMP/out" 2>"$TMP/err" && [ "$(nh_mac)" = "$RT_MAC" ]; then ok "next_hop \"gateway\": the default route's gateway, resolved to the router's MAC"; else
	not_ok "next_hop gateway: $(nh_mac)"
	show_output
fi
lab config >"$TMP/lab.json"
x load "$TMP/lab.json" >/dev/null 2>&1
before=$(gen)
lab config | $PY -c 'import json, sys; c = json.load(sys.stdin); c["next_hop"] = "192.0.2.5"; print(json.dumps(c))' >"$TMP/unres.json"
t0=$(now)
x load "$TMP/unres.json" >"$TMP/out" 2>"$TMP/err"
rc=$?
t1=$(now)
if [ $rc = 1 ] && grep -q "next_hop 192.0.2.5 on eth0 did not resolve" "$TMP/err" && [ "$(gen)" = "$before" ]; then
	ok "an unresolvable next_hop is refused (exit 1, after $(ms "$t1" "$t0") ms): $(head -1 "$TMP/err")"
else
	not_ok "unresolvable next_hop: rc $rc, generation/digest $(gen) (was $before)"
	show_output
fi

# 2. announced once settled; put back when removed by someone else
if w=$(wait_route 1 10); then ok "the VIP's route is in table $TABLE (blackhole, proto 120)"; else
	not_ok "no route in table $TABLE: $(lab exec lb ip route show table $TABLE 2>&1)"
	lab service log | tail -20 | sed 's/^/# /'
fi
lab exec lb ip route flush table $TABLE proto 120
if w=$(wait_route 1 5); then ok "a route flushed by hand is put back by the service ($w ms)"; else
	not_ok "the flushed route did not come back in 5 s"
fi

# 3. every backend of the VIP down
for b in be1 be2; do x backend set web $b down --force --iface eth0 >/dev/null 2>&1; done
if [ "$(route)" = 1 ]; then ok "be1 and be2 down, be3 still takes new flows: announced"; else not_ok "withdrawn with be3 active"; fi
t0=$(now)
x backend set web be3 down --force --iface eth0 >"$TMP/out" 2>"$TMP/err"
if w=$(wait_route 0 5); then
	ok "every backend of web down: withdrawn $(ms "$(now)" "$t0") ms after the override's command began (the route gone ${w} ms after it returned)"
else
	not_ok "still announced with every backend down"
	show_output
	lab service log | tail -30 | sed 's/^/# /'
fi
x announce status --iface eth0 >"$TMP/out" 2>&1
if grep -q "withdraw .*no backend takes new flows" "$TMP/out"; then ok "announce status says why: no backend takes new flows"; else
	not_ok "announce status"
	show_output
fi
# --force: with one backend back, max_backend_share refuses the other clears
for b in be1 be2 be3; do x backend set web $b clear --force --iface eth0 >/dev/null 2>&1; done
if w=$(wait_route 1 5); then ok "overrides cleared: announced again ($w ms)"; else not_ok "not announced after clearing the overrides"; fi

# 4. fail-open keeps it announced
for b in be1 be2 be3; do lab server stop $b; done
fo=0
for _ in $(seq 100); do
	if lab service log | grep -q "fail"; then
		lab service metrics 2>/dev/null | grep -q '^xdplb_vip_health_fail_open{.*} 1' && fo=1 && break
	fi
	sleep 0.1
done
sleep 1
if [ $fo = 1 ] && [ "$(route)" = 1 ]; then ok "every backend's server stopped: the cascade guard fails open and web stays announced"; else
	not_ok "fail-open: metric seen $fo, route $(route)"
	lab service log | tail -10 | sed 's/^/# /'
fi
for b in be1 be2 be3; do lab server start $b; done

# 5. drain: announce off, across a restart
t0=$(now)
x announce off --iface eth0 >"$TMP/out" 2>"$TMP/err"
w=$(wait_route 0 2)
if [ "$(route)" = 0 ]; then ok "announce off: withdrawn at once ($(ms "$(now)" "$t0") ms with the command): $(cat "$TMP/out")"; else
	not_ok "announce off: route still there"
	show_output
fi
lab service stop
lab service start >/dev/null
sleep 4
x announce status --iface eth0 >"$TMP/out" 2>&1
if [ "$(route)" = 0 ] && grep -q "drained (xdplb announce off)" "$TMP/out"; then ok "the drain survives a restart of the service (4 s after its start: withdrawn, status says drained)"; else
	not_ok "after the restart: route $(route)"
	show_output
fi
if http_ok 50; then ok "drained, the LB still forwards: 50 of 50 requests answered"; else not_ok "requests failed while drained: $(cat "$TMP/http")"; fi
x announce on --iface eth0 >/dev/null
if w=$(wait_route 1 3); then ok "announce on: announced again ($w ms)"; else not_ok "announce on: no route"; fi

# 6. SIGTERM withdraws
pid=$(lab service pid)
t0=$(now)
kill -TERM "$pid"
if w=$(wait_route 0 5); then ok "SIGTERM: withdrawn ($(ms "$(now)" "$t0") ms after the signal)"; else not_ok "SIGTERM: still announced"; fi
# the route goes before the service has exited: a start before then finds
# it running (at most 5 s)
for _ in $(seq 100); do [ -e "/proc/$pid" ] || break; sleep 0.05; done
lab service start >/dev/null
if w=$(wait_route 1 10); then ok "started again: announced once its checks gave verdicts ($w ms after it was running)"; else not_ok "no route after the restart"; fi

# 7. a new router MAC on the same address
NEW_MAC=02:00:00:00:00:aa
t0=$(now)
lab exec router ip link set lb0 address $NEW_MAC
# the new router says who it is: an ARP request to the LB (what a router
# does when it comes up; with none, the entry turns stale within the
# neighbour table's reachable time and the kernel probes it)
lab exec router ip neigh flush dev lb0
lab exec router "$PY" -c 'import socket
try: socket.create_connection(("192.0.2.1", 9), 0.5)
except OSError: pass'

got=""
for _ in $(seq 200); do
	got=$(nh_mac)
	[ "$got" = "$NEW_MAC" ] && break
	sleep 0.05
done
if [ "$got" = "$NEW_MAC" ]; then ok "the router's new MAC is live $(ms "$(now)" "$t0") ms after it changed (a commit of the MACs by the service)"; else
	not_ok "next hop MAC $got, want $NEW_MAC"
	lab service log | tail -5 | sed 's/^/# /'
fi
if http_ok 50; then ok "through the new router MAC: 50 of 50 requests answered"; else not_ok "requests failed after the MAC change: $(cat "$TMP/http")"; fi

# 8. the LB's own MAC changes: frames to any other MAC are passed (ABI 5),
# so the program's if_mac must follow (the kernel announces the new MAC
# with arp_notify)
NEW_IF=02:00:00:00:00:bb
lab exec lb sysctl -q -w net.ipv4.conf.eth0.arp_notify=1
t0=$(now)
lab exec lb ip link set eth0 address $NEW_IF
got=""
for _ in $(seq 200); do
	got=$(x status --json --iface eth0 | $PY -c 'import json, sys; print(json.load(sys.stdin)["interface_mac"])')
	[ "$got" = "$NEW_IF" ] && break
	sleep 0.05
done
if [ "$got" = "$NEW_IF" ]; then ok "the LB's new interface MAC is live $(ms "$(now)" "$t0") ms after it changed"; else
	not_ok "interface MAC in the maps $got, want $NEW_IF"
fi
if http_ok 50; then ok "to the LB's new MAC: 50 of 50 requests answered"; else not_ok "requests failed after the LB's MAC change: $(cat "$TMP/http")"; fi
lab service log | grep -E "announce|withdraw|next hop|settled" | sed 's/^/# /'
tap_end

#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# UDP flow timeouts and per-VIP hashing through the lab (issue 13; docs/config.md,
# `udp_timeout` and "Hashing"). TAP.
#
# UDP: a VIP dns 203.0.113.10:5353/udp with `udp_timeout` 5; a UDP server on
# each backend answers with its name from the VIP. One 5-tuple from the client
# lands on backend X; X is then drained (`xdplb backend set dns X drain`:
# established flows stay, new ones go elsewhere). Datagrams every 0.5 s for
# 6 s (longer than the timeout, never idle as long) all stay on X, also
# when they cross CPUs (each CPU keeps its own copy of the flow: sent from
# CPU 1, then from CPU 0, whose copy is older than the timeout by then);
# after 7 s of idling (timeout + its ~1 s granularity + 1 s) the same
# 5-tuple is a new flow and lands on another backend. The LB's per-backend
# counters agree. The timeout is 5 s, not 2, because the gaps between the
# senders (a commit, process start-ups) must stay under it on a loaded
# machine: at 2 s they had less than 2 s of margin.
# Hashing: 20 TCP connections from one client address (20 source ports) to
# web: with the default "5tuple" they spread over more than one backend; with
# "hash": "source" all 20 land on one, and so do 20 from an IPv6 client to web6.
. "$(dirname "$0")/lab_lib.sh"

t_start=$(now)
lab_start --backends 3 --ipv6
# the lab's config plus the UDP VIP (no health check: the lab's are TCP),
# udp_timeout 5 s; argv: out, base, web's hash
mkcfg() {
	$PY - "$TMP/base.json" "$2" >"$1" <<'PYEOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["udp_timeout"] = 5
for v in c["vips"]:
    if v["name"] in ("web", "web6"):
        v["hash"] = sys.argv[2]
        if sys.argv[2] == "source":
            # changing the hash moves about 2/3 of new flows: above the
            # default max_flows_moved 0.5 (docs/config.md, "Hashing")
            v["guards"] = {"max_flows_moved": 1}
udp = {"name": "dns", "address": "203.0.113.10", "port": 5353, "protocol": "udp",
       "health_check": {"type": "none"},
       "backends": [dict(b) for b in c["vips"][0]["backends"]]}
c["vips"].append(udp)
print(json.dumps(c, indent=1))
PYEOF
}
lab config >"$TMP/base.json"
mkcfg "$TMP/c5.json" 5tuple
mkcfg "$TMP/cs.json" source
expect_rc "load the lab's config with a UDP VIP dns (udp_timeout 5)" 0 x load "$TMP/c5.json"

# ------------------------------------------------------------------ UDP
for i in 1 2 3; do
	bg "udp$i" lab exec "be$i" timeout 120 $PY "$SRC/tools/lab_traffic.py" udp-serve --name "be$i" \
		--bind 203.0.113.10 --port 5353 --pidfile "$TMP/udp$i.srv" --duration 110
done
k=0
while { [ ! -s "$TMP/udp1.srv" ] || [ ! -s "$TMP/udp2.srv" ] || [ ! -s "$TMP/udp3.srv" ]; } && [ $k -lt 50 ]; do
	sleep 0.1
	k=$((k + 1))
done
[ $k -lt 50 ] && ok "UDP servers on be1..be3 (203.0.113.10:5353)" || not_ok "UDP servers on be1..be3 did not start"

# udp_send OUT COUNT CPU: COUNT datagrams from 192.0.2.130:40000, 0.5 s
# apart, the sender pinned to CPU (the LB's XDP runs on the sender's CPU:
# veth), so that the flow's packets cross CPUs the way the test says
NCPU=$(nproc)
udp_send() {
	local cpu=$(($3 % NCPU))
	lab exec client taskset -c $cpu timeout 30 $PY "$SRC/tools/lab_traffic.py" udp --vip 203.0.113.10 \
		--port 5353 --source 192.0.2.130 --sport 40000 --count "$2" --interval 0.5 --timeout 1 \
		>"$TMP/$1.json" 2>"$TMP/err"
}
backends_of() { $PY -c 'import json, sys; print(" ".join(str(r[1]) for r in json.load(open(sys.argv[1]))["replies"]))' "$TMP/$1.json" 2>/dev/null; }
# dns_pkts FILE: the dns VIP's packets per backend, "be1:N be2:N be3:N"
dns_pkts() { $PY -c 'import json, sys
v = [v for v in json.load(open(sys.argv[1]))["vips"] if v["name"] == "dns"][0]
print(" ".join("%s:%d" % (b["name"], b["counters"]["packets"]) for b in v["backends"]))' "$TMP/$1.json"; }

x status --json >"$TMP/u0.json"
udp_send first 1 0
X=$(backends_of first)
if [[ $X == be[123] ]]; then ok "a datagram of 192.0.2.130:40000 -> dns answered by $X"; else
	not_ok "a datagram of 192.0.2.130:40000 -> dns answered: '$X'"
	show_output 10
fi
expect_rc "xdplb backend set dns $X drain" 0 x backend set dns "$X" drain
t_drain=$(now)
# 12 datagrams from CPU 1, then one from CPU 0 again, whose copy of the
# flow is then ~6 s old: the flow was seen on CPU 1 meanwhile, so it is not
# idle
udp_send within 12 1
sleep 0.5
udp_send within2 1 0
got="$(backends_of within) $(backends_of within2)"
want_x=$(for _ in $(seq 13); do printf '%s ' "$X"; done | sed 's/ $//')
span=$(printf %.1f "$($PY -c "print($(now) - $t_drain)")")
if [ "$got" = "$want_x" ]; then
	ok "within the timeout (13 datagrams 0.5 s apart over $span s after the drain, > udp_timeout 5; 12 sent from CPU 1, the last from CPU 0): all stay on drained $X"
else
	not_ok "within the timeout all 13 stay on drained $X (12 from CPU 1, the last from CPU 0): got $got"
fi
sleep 7
udp_send after 1 0
Y=$(backends_of after)
if [[ $Y == be[123] ]] && [ "$Y" != "$X" ]; then
	ok "after 7 s idle (> udp_timeout 5 and its granularity) the same 5-tuple is a new flow: answered by $Y"
else
	not_ok "after 7 s idle the same 5-tuple moves off $X: answered by '$Y'"
fi
x status --json >"$TMP/u1.json"
judge "the LB's counters agree: $X got 14 datagrams of dns, ${Y:-?} 1, the third none" \
	$PY - "$TMP/u0.json" "$TMP/u1.json" "$X" "$Y" <<'PYEOF'
import json, sys
def pk(f):
    v = [v for v in json.load(open(f))["vips"] if v["name"] == "dns"][0]
    return {b["name"]: b["counters"]["packets"] for b in v["backends"]}
a, b = pk(sys.argv[1]), pk(sys.argv[2])
d = {k: b[k] - a[k] for k in b}
print("dns packets per backend:", d, "udp_timeout", json.load(open(sys.argv[2]))["udp_timeout"])
want = {k: 0 for k in d}
want[sys.argv[3]], want[sys.argv[4]] = 14, 1
assert d == want, want
PYEOF
expect_rc "xdplb backend set dns $X clear" 0 x backend set dns "$X" clear

# -------------------------------------------------------------- hashing
# spread BASE VIP SOURCE: 20 connections from SOURCE, ports BASE..BASE+19
spread() {
	client 60 http -n 20 --vip "$2" --sources "$3" --port-base "$1" --json >"$TMP/h.json" 2>"$TMP/err"
	$PY -c 'import json, sys; d = json.load(open(sys.argv[1])); print(d["ok"], len(d["by_backend"]), d["by_backend"])' "$TMP/h.json" 2>/dev/null
}
read -r nok nbe by <<<"$(spread 30000 203.0.113.10 192.0.2.130)"
if [ "${nok:-0}" = 20 ] && [ "${nbe:-0}" -gt 1 ]; then
	ok "hash 5tuple: 20 connections from 192.0.2.130 spread over $nbe backends: $by"
else
	not_ok "hash 5tuple: 20 connections from 192.0.2.130 spread over more than one backend: ${nok:-?} ok, $by"
fi
expect_rc "load web and web6 with \"hash\": \"source\"" 0 x load "$TMP/cs.json"
for c in 31000:203.0.113.10:192.0.2.130 32000:203.0.113.10:192.0.2.131 33000:2001:db8:10::80:2001:db8:c::2; do
	base=${c%%:*} rest=${c#*:}
	if [[ $rest == 203.* ]]; then vip=${rest%%:*} src=${rest#*:}; else vip=2001:db8:10::80 src=2001:db8:c::2; fi
	read -r nok nbe by <<<"$(spread "$base" "$vip" "$src")"
	if [ "${nok:-0}" = 20 ] && [ "${nbe:-0}" = 1 ]; then
		ok "hash source: 20 connections from $src to $vip all on one backend: $by"
	else
		not_ok "hash source: 20 connections from $src to $vip all on one backend: ${nok:-?} ok, $by"
	fi
done
x status --json >"$TMP/out"
check_json "status says web and web6 hash source, dns 5tuple" \
	"{v['name']: v['hash'] for v in d['vips']} == {'web': 'source', 'web6': 'source', 'web46': '5tuple', 'dns': '5tuple'}"
echo "# whole test: $(printf %.1f "$($PY -c "print($(now) - $t_start)")") s before the teardown"
tap_end

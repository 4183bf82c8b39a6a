#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Observability at the terminal, on a real LB on a veth: `stats` counts what
# `status` counts, after real frames; `explain` names the backend that the
# data path then really picks for that flow, says hit once the flow is
# established, names no VIP and too_big, and changes no live counter and no
# live conntrack entry. TAP output; everything it makes is removed on exit.
set -u

NS=xdplbo$$
TMP=$(mktemp -d /tmp/xdplb-observe.XXXXXX)
. "$(dirname "$0")/lib.sh"
BPFTOOL=$(command -v bpftool || echo /usr/sbin/bpftool)

x() { nsenter --net=/run/netns/"$NS" "$XDPLB" "$@"; }

scratch "$NS"
ip netns add "$NS"
# no IPv6 autoconfiguration traffic: every packet the LB counts is the test's
ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
veth_ns "$NS"

# frames from veth1 into the LB on veth0: "tcp|udp SRC SPORT DST DPORT FLAGS PAYLOAD" lines
send() {
	ip netns exec "$NS" timeout 60 /usr/bin/python3 -c "
import logging, sys
logging.getLogger('scapy.runtime').setLevel(logging.ERROR)
from scapy.all import Ether, IP, TCP, UDP, conf
s = conf.L2socket(iface='veth1')
for line in sys.stdin:
    p, src, sp, dst, dp, fl, pl = line.split()
    l4 = TCP(sport=int(sp), dport=int(dp), flags=fl) if p == 'tcp' else UDP(sport=int(sp), dport=int(dp))
    s.send(Ether(dst='$lbmac')/IP(src=src, dst=dst)/l4/(b'x' * int(pl)))
"
}
# the live conntrack's flows (ways in use over every CPU's buckets), read
# with bpftool (not with xdplb)
ct_entries() {
	"$BPFTOOL" map dump pinned "$(ls -d "$XDPLB_BPFFS"/xdplb/veth0@*)/conntrack" -j |
		python3 -c 'import json,sys; print(sum(bin(e["formatted"]["value"]["flags"] & 0xff).count("1") for e in json.load(sys.stdin)))'
}

echo "TAP version 13"
# the example with a smaller conntrack, so that bpftool dumps it quickly;
# room enough that the test's 300 flows never fill a bucket's 3 ways
# (4,096 did, now and then: 1,024 buckets a CPU)
python3 -c "import json,sys; c=json.load(open(sys.argv[1])); c['conntrack_size']=65536; json.dump(c, open(sys.argv[2],'w'))" \
	"$SRC/examples/lb.json" "$TMP/lb.json"
expect_rc "load the example config" 0 x load --iface veth0 --state-dir "$TMP/state" "$TMP/lb.json"
expect_rc "decap on the peer (veth XDP_TX needs a program there)" 0 x decap attach veth1 --config "$TMP/lb.json"
lbmac=$(ip -n "$NS" -br link show veth0 | awk '{print $3}')

# traffic: 200 web SYNs, 100 DNS queries, then their second packets, and 3 too big
python3 -c "
import random
r = random.Random(4)
fl = [('tcp', '192.0.2.%d' % r.randint(1, 254), r.randint(1024, 65535), '203.0.113.10', 80) for i in range(200)]
fl += [('udp', '192.0.2.%d' % r.randint(1, 254), r.randint(1024, 65535), '203.0.113.53', 53) for i in range(100)]
for f in fl: print(*f, 'S', 0)
for f in fl: print(*f, 'A', 10)
for i in range(3): print('udp 192.0.2.9', 7000 + i, '203.0.113.53 53 A 1460')
" >"$TMP/frames"
send <"$TMP/frames"
sleep 0.3

expect_rc "stats: 0" 0 x stats --iface veth0
grep -q "^vip web 203.0.113.10:80/tcp: packets 400" "$TMP/out" && ok "stats counts the web packets" ||
	not_ok "stats: $(head -3 "$TMP/out")"
grep -q "^drops: too_big 3$" "$TMP/out" && ok "stats shows drops by reason" || not_ok "$(grep drops "$TMP/out")"
x status --iface veth0 --json >"$TMP/status.json"
expect_rc "stats --json: 0" 0 x stats --iface veth0 --json
python3 - "$TMP/status.json" "$TMP/out" <<'EOF' && ok "stats --json counters = status --json counters" || not_ok "counters differ"
import json, sys
st, sa = (json.load(open(f)) for f in sys.argv[1:3])
bad = []
if st["xdp_actions"] != sa["xdp_actions"]: bad.append(("actions", st["xdp_actions"], sa["xdp_actions"]))
if st["drops"] != sa["drops"]: bad.append(("drops", st["drops"], sa["drops"]))
keys = {"packets": "packets", "bytes": "bytes", "new_flows": "new_flows", "conntrack_hits": "conntrack_hits",
        "conntrack_misses": "conntrack_misses", "drops": "drops"}
for v, w in zip(st["vips"], sa["vips"]):
    for k in keys:
        if v["counters"][k] != w[k]: bad.append((v["name"], k, v["counters"][k], w[k]))
    for b, c in zip(v["backends"], w["backends"]):
        if b["name"] != c["name"] or b["table_slots"] != c["table_slots"]: bad.append((b["name"], c["name"]))
        for k in ("packets", "bytes", "new_flows"):
            if b["counters"][k] != c[k]: bad.append((b["name"], k, b["counters"][k], c[k]))
total = sum(b["counters"]["packets"] for v in st["vips"] for b in v["backends"])
if total != 600: bad.append(("backend packets", total))
for b in bad: print("#", b)
sys.exit(1 if bad else 0)
EOF
check_json "web: the conntrack hit ratio is 50%, shares sum to 1" \
	"abs(d['vips'][0]['conntrack_hit_ratio'] - 0.5) < 1e-9 and abs(sum(b['flow_share'] for b in d['vips'][0]['backends']) - 1) < 1e-9"

expect_rc "stats --watch 0.2 --count 2 --json: 0" 0 x stats --iface veth0 --watch 0.2 --count 2 --json
python3 -c "
import json, sys
ls = open('$TMP/out').read().splitlines()
ds = [json.loads(l) for l in ls]
sys.exit(0 if len(ds) == 2 and all(d['window'] == 'interval' and d['seconds'] > 0.1 and 'packets_per_s' in d['vips'][0] for d in ds) else 1)
" && ok "two JSON lines of rates" || not_ok "watch output: $(head -c 300 "$TMP/out")"

# explain a new flow: nothing live changes
x status --iface veth0 --json >"$TMP/before.json"
ct0=$(ct_entries)
expect_rc "explain a new flow: 0" 0 x explain tcp 192.0.2.200:40000 203.0.113.10:80 --syn --iface veth0 --json
cp "$TMP/out" "$TMP/explain1.json"
check_json "new flow: VIP web, conntrack miss, a backend, XDP_TX, IPIP outer header" \
	"d['vip']['name'] == 'web' and d['conntrack']['result'] == 'miss' and not d['conntrack']['live_entry'] and d['backend']['name'].startswith('web-') and d['action'] == 'XDP_TX' and d['sent']['outer']['protocol'] == 4 and d['sent']['outer']['destination'] == d['backend']['address'] and d['sent']['outer']['checksum_ok']"
check_json "the program that ran is the attached one (same tag)" "d['program']['same_as_live']"
want=$(python3 -c "import json; print(json.load(open('$TMP/explain1.json'))['backend']['name'])")
x explain tcp 192.0.2.200:40000 203.0.113.10:80 --syn --iface veth0 >/dev/null 2>&1
x status --iface veth0 --json >"$TMP/after.json"
# idle_seconds moves with the clock, not with packets: left out
no_idle() { sed -i '/"idle_seconds"/d' "$@"; }
no_idle "$TMP/before.json" "$TMP/after.json"
cmp -s "$TMP/before.json" "$TMP/after.json" && ok "two explains changed no live counter" ||
	not_ok "status changed: $(diff "$TMP/before.json" "$TMP/after.json" | head -5)"
[ "$(ct_entries)" = "$ct0" ] && ok "... and no live conntrack entry ($ct0 entries)" ||
	not_ok "conntrack entries $ct0 -> $(ct_entries)"

# the same flow for real: the backend explain named gets it
echo "tcp 192.0.2.200 40000 203.0.113.10 80 S 0" | send
sleep 0.2
x status --iface veth0 --json >"$TMP/after.json"
got=$(python3 - "$TMP/before.json" "$TMP/after.json" <<'EOF'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
nf = lambda d: {be["name"]: be["counters"]["new_flows"] for v in d["vips"] for be in v["backends"]}
print(" ".join(k for k in nf(b) if nf(b)[k] != nf(a)[k]))
EOF
)
[ "$got" = "$want" ] && ok "the data path put the flow on $want, as explain said" ||
	not_ok "explain said $want, new flows went to '$got'"
[ "$(ct_entries)" = "$((ct0 + 1))" ] && ok "the real packet made one conntrack entry" ||
	not_ok "conntrack entries $ct0 -> $(ct_entries)"

expect_rc "explain the established flow: 0" 0 x explain tcp 192.0.2.200:40000 203.0.113.10:80 --iface veth0 --json
check_json "established: conntrack hit (live entry), same backend, XDP_TX" \
	"d['conntrack'] == {'live_entry': True, 'result': 'hit'} and d['backend']['name'] == '$want' and not d['backend']['new_flow'] and d['action'] == 'XDP_TX'"

expect_rc "explain a non-VIP packet: 0" 0 x explain udp 192.0.2.200:5353 203.0.113.99:53 --iface veth0 --json
check_json "not a VIP: XDP_PASS, no VIP, no backend" "d['vip'] is None and d['backend'] is None and d['action'] == 'XDP_PASS'"
expect_rc "explain a packet too big once encapsulated: 0" 0 \
	x explain udp 192.0.2.200:5353 203.0.113.53:53 --payload 1460 --iface veth0
# explain's IPv4 frames carry DF, as stacks send them: answered with ICMP
grep -q "action     XDP_TX: answered, frag_needed" "$TMP/out" && grep -q "1488 + 20 bytes of outer header > mtu 1500" "$TMP/out" &&
	grep -q "^  sent .*IPv4 203.0.113.53 > 192.0.2.200 ICMP" "$TMP/out" &&
	ok "too big: answered with a fragmentation needed, the sizes, the error" || not_ok "$(cat "$TMP/out")"
expect_rc "explain of an IPv6 flow: 0" 0 x explain tcp "[2001:db8:1::7]:5000" "[2001:db8:10::80]:443" --syn --iface veth0
grep -q "^  sent .*IPv6 2001:db8::1 > 2001:db8:20::1[12] IPv6\|^  sent .*IPv4 192.0.2.1 > 198.51.100.14 IPv6" "$TMP/out" &&
	ok "IPv6 VIP: the outer header to its backend" || not_ok "$(cat "$TMP/out")"
x status --iface veth0 --json >"$TMP/after2.json"
no_idle "$TMP/after.json" "$TMP/after2.json"
python3 - "$TMP/after.json" "$TMP/after2.json" <<'EOF' && ok "the later explains changed no live counter either" || not_ok "counters changed: $(diff "$TMP/after.json" "$TMP/after2.json" | head -6)"
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
sys.exit(0 if a == b else 1)
EOF

# a skew, for real: flows chosen (with an independent copy of the flow hash
# and the live table read by bpftool) to land on one of three equal backends
sed 's/"hash_seed": "0x5eed"/"hash_seed": "0x5eed", "guards": { "max_flows_moved": 1 }/' "$TMP/lb.json" |
	python3 -c "
import json, sys
d = json.load(sys.stdin)
d['vips'].append({'name': 'sk', 'address': '203.0.113.20', 'port': 80, 'table_size': 1009, 'backends': [
    {'name': 'sk-%d' % i, 'address': '198.51.100.%d' % (30 + i)} for i in (1, 2, 3)]})
json.dump(d, sys.stdout)" >"$TMP/skew.json"
expect_rc "load a config with a VIP of three equal backends" 0 x load --iface veth0 --state-dir "$TMP/state" "$TMP/skew.json"
x status --iface veth0 --json >"$TMP/st.json"
dir=$(ls -d "$XDPLB_BPFFS"/xdplb/veth0@*)
python3 - "$TMP/st.json" "$dir" "$BPFTOOL" >"$TMP/skewflows" 2>"$TMP/err" <<'EOF2'
import json, socket, subprocess, sys
st, pins, bpftool = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
vip = [v for v in st["vips"] if v["name"] == "sk"][0]
ids = {b["id"]: b["name"] for b in vip["backends"]}
run = lambda *a: json.loads(subprocess.check_output([bpftool, "-j", *a]))
slot = st["active_bank"] * 8192 + vip["id"]
outer = run("map", "lookup", "pinned", pins + "/tables", "key", *[str(slot >> s & 255) for s in (0, 8, 16, 24)])
v = outer["value"] if isinstance(outer, dict) else outer
inner = int.from_bytes(bytes(int(b, 16) for b in v), "little") if isinstance(v, list) else v
table = {}
for e in run("map", "dump", "id", str(inner)):
    k, val = (bytes(int(b, 16) for b in e[x]) for x in ("key", "value"))
    i = int.from_bytes(k, "little")
    table[2 * i], table[2 * i + 1] = int.from_bytes(val[:4], "little"), int.from_bytes(val[4:], "little")
M = 0xffffffff
rol = lambda x, k: ((x << k) | (x >> (32 - k))) & M
def jhash3(a, b, c, seed):  # bpf/xdplb_hash.h: lookup3's final() over three words
    a, b, c = (a + 0xdeadbeef) & M, (b + 0xdeadbeef) & M, (c + seed) & M
    for x, y, z, r in ((2, 1, 2, 14), (0, 2, 0, 11), (1, 0, 1, 25), (2, 1, 2, 16), (0, 2, 0, 4), (1, 0, 1, 14), (2, 1, 2, 24)):
        w = [a, b, c]
        w[x] ^= w[y]; w[x] = (w[x] - rol(w[y], r)) & M
        a, b, c = w
    return c
word = lambda ip: int.from_bytes(socket.inet_aton(ip), "little")
be16 = lambda p: int.from_bytes(p.to_bytes(2, "big"), "little")
want, n = None, 0
for sport in range(20000, 30000):
    h = jhash3(word("192.0.2.50"), word("203.0.113.20"), be16(sport) << 16 | be16(80), st["hash_seed"])
    if sport == 20000:
        print("# hash of 192.0.2.50:20000", h, file=sys.stderr)
    name = ids[table[h % 1009]]
    want = want or name
    if name == want and n < 150:
        print("tcp 192.0.2.50", sport, "203.0.113.20 80 S 0")
        n += 1
print(want, file=sys.stderr)
EOF2
heavy=$(tail -1 "$TMP/err")
hash=$(sed -n 's/^# hash of 192.0.2.50:20000 //p' "$TMP/err")
x explain tcp 192.0.2.50:20000 203.0.113.20:80 --syn --iface veth0 --json >"$TMP/out" 2>&1
check_json "the test's copy of the flow hash is the program's ($hash)" "d['maglev']['hash'] == ${hash:-0}"
[ "$(wc -l <"$TMP/skewflows")" = 150 ] && ok "150 flows that all hash to $heavy" || not_ok "$(wc -l <"$TMP/skewflows") flows"
send <"$TMP/skewflows"
sleep 0.3
expect_rc "stats after the skewed flows: 0" 0 x stats --iface veth0
grep -q "^  $heavy .* 33.3% .*100.0% .*SKEW 3.00x weight share" "$TMP/out" && ok "$heavy is flagged: SKEW 3.00x" ||
	not_ok "no SKEW line: $(grep -A4 '^vip sk' "$TMP/out")"
[ "$(grep -c SKEW "$TMP/out")" = 1 ] && ok "and nothing else is (web and dns saw random flows)" ||
	not_ok "$(grep SKEW "$TMP/out")"
grep -A4 '^vip sk' "$TMP/out" | sed 's/^/# /'
expect_rc "stats --json after the skewed flows: 0" 0 x stats --iface veth0 --json
check_json "--json: skew true for $heavy only" \
	"[b['name'] for v in d['vips'] for b in v['backends'] if b['skew']] == ['$heavy']"

expect_rc "explain with a bad endpoint: 2" 2 x explain tcp 2001:db8::1:80 203.0.113.10:80
expect_rc "explain with mixed families: 2" 2 x explain tcp "[2001:db8::1]:80" 203.0.113.10:80
expect_rc "stats --count without --watch: 2" 2 x stats --count 2
x unload --iface veth0 >/dev/null 2>&1
expect_rc "stats where nothing is loaded: 1" 1 x stats --iface veth0
expect_rc "explain where nothing is loaded: 1" 1 x explain udp 192.0.2.1:1 203.0.113.53:53 --iface veth0

tap_end

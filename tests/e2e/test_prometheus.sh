#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# The exporter against a real Prometheus: traffic through the live XDP
# program, the service (`xdplb run --listen`, with direct tcp health checks
# against listeners in the namespace) scraped every second by Debian's
# prometheus as job xdplb, and what Prometheus stored compared with the map
# sums of `xdplb status --json`; `xdplb serve` next to it exports the same
# samples of the maps. Also: both raw expositions pass `promtool check
# metrics`, the alert rules pass `promtool test rules`, HTTP paths and
# methods, exit codes, the dashboard's queries (health and service panels
# included), health verdicts in Prometheus (a backend out, a drained one not
# alerted), the service's reload metrics on a refused file, a VIP failing
# open making XdplbVipHealthFailOpen go pending, the imbalance alert going
# pending on a skew written into the counters, and
# xdplb_config_last_load_successful after a load killed half-way.
# TAP output. Everything runs in a network namespace this script creates
# (so its ports collide with nobody) and a private bpffs; all of it, and
# every process it started, is removed on exit, even on failure.
set -u

NS=xdplbp$$
TMP=$(mktemp -d /tmp/xdplb-prom.XXXXXX)
. "$(dirname "$0")/lib.sh"
SD=$TMP/state
SERVE_PID=
SVC_PID=
PROM_PID=
WEB_PID=
DNS_PID=
EXPORTER=127.0.0.1:9435
SERVICE=127.0.0.1:9436
PROM=127.0.0.1:9090
CFG=$TMP/svc/lb.json # examples/lb.json with a health check: the service's file
x() { in_ns "$NS" "$XDPLB" "$@"; }

stop_pid() { # PID: TERM, then KILL after 5 s
	local pid=$1
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

cleanup() {
	stop_pid "$SVC_PID"
	stop_pid "$SERVE_PID"
	stop_pid "$PROM_PID"
	stop_pid "$WEB_PID"
	stop_pid "$DNS_PID"
	veth_ns_del "$NS"
	ip netns del "${NS}e" 2>/dev/null
	release_bpffs
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM # so that a timeout still cleans up

echo "TAP version 13"
for t in prometheus promtool curl; do
	command -v $t >/dev/null || {
		echo "Bail out! $t not installed (tools/install-deps installs it)"
		exit 1
	}
done
private_bpffs
ip netns add "$NS"
ip -n "$NS" link set lo up
# no IPv6 of their own on the veths made below (lo keeps it, for web6's
# backends): their router solicitations, MLD reports and DAD moved the
# pass counters between two scrapes that are compared whole
ip netns exec "$NS" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
veth_ns "$NS"
in_ns "$NS" ethtool -K veth1 tx off >/dev/null 2>&1 || true

# examples/lb.json with direct tcp checks every 0.5 s (fall 2, rise 2;
# out: drain)
mkdir -p "$TMP/svc"
python3 - "$SRC/examples/lb.json" >"$CFG" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["health_check"] = {"type": "tcp", "through": "direct", "interval": 0.5, "timeout": 0.25, "rise": 2, "fall": 2,
                     "out": "drain"}
print(json.dumps(d, indent=2))
EOF
expect_rc "load examples/lb.json with a health check on veth0" 0 x load --iface veth0 --state-dir "$SD" "$CFG"
# XDP_TX on a veth needs an XDP program on the peer: the decap one
expect_rc "decap on the peer" 0 x decap attach veth1 --config "$CFG"

# Bounded traffic from the peer: TCP SYNs and a data packet per flow to
# web and web6, UDP to dns, and a few IPv4 fragments to web (dropped).
lbmac=$(ip -n "$NS" -br link show veth0 | awk '{print $3}')
in_ns "$NS" timeout 120 /usr/bin/python3 - "$lbmac" <<'EOF' >"$TMP/send" 2>&1
import logging, random, sys
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import Ether, IP, IPv6, TCP, UDP, Raw, conf
mac = sys.argv[1]
s = conf.L2socket(iface="veth1")
r = random.Random(4)
for i in range(300):
    src, sport = "192.0.2.%d" % r.randint(1, 254), r.randint(1024, 65535)
    s.send(Ether(dst=mac)/IP(src=src, dst="203.0.113.10")/TCP(sport=sport, dport=80, flags="S"))
    s.send(Ether(dst=mac)/IP(src=src, dst="203.0.113.10")/TCP(sport=sport, dport=80, flags="A")/Raw(b"x" * 100))
for i in range(200):
    s.send(Ether(dst=mac)/IP(src="198.51.100.%d" % r.randint(100, 200), dst="203.0.113.53")/UDP(sport=r.randint(1024, 65535), dport=53)/Raw(b"q" * 30))
for i in range(100):
    s.send(Ether(dst=mac)/IPv6(src="2001:db8:1::%x" % r.randint(1, 65535), dst="2001:db8:10::80")/TCP(sport=r.randint(1024, 65535), dport=443, flags="S"))
for i in range(7):
    s.send(Ether(dst=mac)/IP(src="192.0.2.9", dst="203.0.113.10", flags="MF", frag=0)/TCP(sport=999, dport=80))
print("sent")
EOF
grep -q sent "$TMP/send" && ok "1,307 frames sent through the XDP program" || { not_ok "sender: $(tail -3 "$TMP/send")"; }

# The backends the checks reach, on lo (never through the XDP program):
# web-1, web-2, web6-1 and web6-2 listen; dns-1 and dns-2 in a process of
# their own (stopped below); web-3 (drained) and web6-3 have no address.
for a in 198.51.100.11 198.51.100.12 198.51.100.21 198.51.100.22; do
	ip -n "$NS" addr add $a/32 dev lo
done
for a in 2001:db8:20::11 2001:db8:20::12; do
	ip -n "$NS" addr add $a/128 dev lo nodad
done
# listen ADDR:PORT...: accepts and closes connections until killed (at
# most 10 minutes); exec, so that $! is timeout itself (a TERM reaches python)
listen() {
	exec nsenter --net=/run/netns/"$NS" timeout 600 python3 -c '
import selectors, socket, sys
sel = selectors.DefaultSelector()
for a in sys.argv[1:]:
    h, p = a.rsplit(":", 1)
    s = socket.socket(socket.AF_INET6 if ":" in h else socket.AF_INET)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((h, int(p)))
    s.listen(128)
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
print("listening", flush=True)
while True:
    for k, _ in sel.select():
        try:
            k.fileobj.accept()[0].close()
        except OSError:
            pass' "$@"
}
listen 198.51.100.11:80 198.51.100.12:80 2001:db8:20::11:443 2001:db8:20::12:443 >"$TMP/web.out" 2>&1 &
WEB_PID=$!
listen 198.51.100.21:53 198.51.100.22:53 >"$TMP/dns.out" 2>&1 &
DNS_PID=$!
for _ in $(seq 50); do grep -q listening "$TMP/web.out" && grep -q listening "$TMP/dns.out" && break; sleep 0.1; done

# the service, the exporter and Prometheus, all in the namespace; Prometheus
# scrapes the service, as on an LB that runs it (serve is for hosts without)
# nsenter, not the in_ns function: $! must be the process itself
nsenter --net=/run/netns/"$NS" "$XDPLB" run --iface veth0 --state-dir "$SD" --listen "$SERVICE" "$CFG" 2>"$TMP/svc.err" &
SVC_PID=$!
nsenter --net=/run/netns/"$NS" "$XDPLB" serve --listen "$EXPORTER" 2>"$TMP/serve.err" &
SERVE_PID=$!
cat >"$TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $SRC/docs/prometheus/alerts.yml
scrape_configs:
  - job_name: xdplb
    static_configs:
      - targets: ["$SERVICE"]
EOF
nsenter --net=/run/netns/"$NS" prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/tsdb" \
	--web.listen-address="$PROM" --log.level=warn >"$TMP/prom.log" 2>&1 &
PROM_PID=$!

# q EXPR: Prometheus' instant query, one "labels value" line per sample
q() {
	in_ns "$NS" python3 - "$PROM" "$1" <<'EOF'
import json, sys, urllib.parse, urllib.request
url = "http://%s/api/v1/query?%s" % (sys.argv[1], urllib.parse.urlencode({"query": sys.argv[2]}))
d = json.load(urllib.request.urlopen(url, timeout=5))
for r in d["data"]["result"]:
    m = r["metric"]
    print(" ".join("%s=%s" % (k, m[k]) for k in sorted(m) if k not in ("instance", "job", "__name__")), r["value"][1])
EOF
}

# two scrapes stored (at most 60 s)
scrapes=0
for _ in $(seq 120); do
	scrapes=$(q 'count_over_time(xdplb_up{iface="veth0"}[5m])' 2>/dev/null | awk '{print $NF}')
	[ "${scrapes:-0}" -ge 2 ] 2>/dev/null && break
	kill -0 "$PROM_PID" 2>/dev/null || break
	sleep 0.5
done
[ "${scrapes:-0}" -ge 2 ] 2>/dev/null && ok "Prometheus stored $scrapes scrapes of the service's /metrics" ||
	{ not_ok "Prometheus has no two scrapes (got '${scrapes:-}')"; sed 's/^/# /' "$TMP/prom.log" "$TMP/svc.err" | tail -20; }
[ "$(q 'up{job="xdplb"}' | awk '{print $NF}')" = 1 ] && ok "up{job=\"xdplb\"} is 1" || not_ok "up: $(q up)"

# health: web6-3 (nothing there) taken out within a few checks, web-3
# (drained, nothing there) said out with the operator's drain standing,
# every other backend up; as Prometheus has it
verdicts() { q 'xdplb_backend_health == 1' | sed -E 's/.*backend=([^ ]*) health=([^ ]*) .*/\1=\2/' | sort | tr '\n' ' '; }
want="dns-1=up dns-2=up web-1=up web-2=up web-3=out web6-1=up web6-2=up web6-3=out "
for _ in $(seq 60); do
	[ "$(verdicts)" = "$want" ] && break
	sleep 0.5
done
[ "$(verdicts)" = "$want" ] && ok "health verdicts in Prometheus: web6-3 out, web-3 out (drained), the rest up" ||
	{ not_ok "verdicts: $(verdicts)"; sed 's/^/# /' "$TMP/svc.err" | tail; }
got=$(q 'xdplb_vip_backends_health_out' | awk '{print $2 "=" $NF}' | sort | tr '\n' ' ')
[ "$got" = "vip=dns=0 vip=web6=1 vip=web=0 " ] && ok "xdplb_vip_backends_health_out: web6 1, web 0 (its drained backend is the operator's)" ||
	not_ok "backends_health_out: $got"
[ "$(q 'xdplb_backend_state{backend="web6-3"}' | awk '{print $3}')" = state=drain ] &&
	[ "$(q 'xdplb_backend_configured_state{backend="web6-3"}' | awk '{print $3}')" = state=active ] &&
	ok "web6-3: configured active, effective drain (out: drain)" ||
	not_ok "web6-3: $(q 'xdplb_backend_state{backend="web6-3"}') / $(q 'xdplb_backend_configured_state{backend="web6-3"}')"
# the rule's own expression, as Prometheus loaded it: web6-3, not web-3
rule_q() { # ALERTNAME: the query of that rule
	in_ns "$NS" python3 -c "
import json, urllib.request
d = json.load(urllib.request.urlopen('http://$PROM/api/v1/rules', timeout=5))
print([r['query'] for g in d['data']['groups'] for r in g['rules'] if r['name'] == '$1'][0])"
}
got=$(q "$(rule_q XdplbBackendHealthOut)" | awk '{print $1}' | tr '\n' ' ')
[ "$got" = "backend=web6-3 " ] && ok "XdplbBackendHealthOut's expression selects web6-3 only, not the drained web-3" ||
	not_ok "XdplbBackendHealthOut selects: '$got'"
got=$(q 'sum by (backend) (xdplb_health_checks_total{result="ok"}) > 0' | awk '{print $1}' | sort | tr '\n' ' ')
[ "$got" = "backend=dns-1 backend=dns-2 backend=web-1 backend=web-2 backend=web6-1 backend=web6-2 " ] &&
	[ -n "$(q 'xdplb_health_checks_total{backend="web6-3",result="fail"} > 1')" ] &&
	ok "checks counted per backend and result in Prometheus" || not_ok "checks ok: $got"
[ "$(q 'xdplb_service_last_reload_successful' | awk '{print $NF}')" = 1 ] &&
	ok "xdplb_service_last_reload_successful 1 after the service adopted the live file" ||
	not_ok "last_reload_successful: $(q xdplb_service_last_reload_successful)"
[ "$(q 'xdplb_health_tunnel_attached' | awk '{print $NF}')" = 1 ] &&
	[ "$(q 'xdplb_health_applies_total > 0' | wc -l)" = 1 ] &&
	ok "no check through a tunnel: tunnel_attached 1; the verdicts were applied" ||
	not_ok "tunnel_attached $(q xdplb_health_tunnel_attached), applies $(q xdplb_health_applies_total)"

# what Prometheus stored equals the map sums
x status --iface veth0 --json >"$TMP/status.json"
python3 - "$TMP/status.json" >"$TMP/want" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
for v in d["vips"]:
    for b in v["backends"]:
        for k in ("packets", "bytes", "new_flows"):
            print("xdplb_backend_%s_total backend=%s iface=veth0 vip=%s %d" % (k, b["name"], v["name"], b["counters"][k]))
    for k, m in (("packets", "packets"), ("bytes", "bytes"), ("new_flows", "new_flows"),
                 ("conntrack_hits", "conntrack_hits"), ("conntrack_misses", "conntrack_misses")):
        print("xdplb_vip_%s_total iface=veth0 vip=%s %d" % (m, v["name"], v["counters"][k]))
for r, c in d["drops"].items():
    print("xdplb_drops_total iface=veth0 reason=%s %d" % (r, c))
EOF
: >"$TMP/got"
for f in backend_packets backend_bytes backend_new_flows vip_packets vip_bytes vip_new_flows \
	vip_conntrack_hits vip_conntrack_misses drops; do
	q "xdplb_${f}_total" | sed "s/^/xdplb_${f}_total /" >>"$TMP/got"
done
sort -o "$TMP/want" "$TMP/want"
sort -o "$TMP/got" "$TMP/got"
if [ -s "$TMP/want" ] && diff "$TMP/want" "$TMP/got" >"$TMP/diff"; then
	ok "every per-backend, per-VIP and drop counter in Prometheus equals the map sums ($(wc -l <"$TMP/want") series)"
else
	not_ok "Prometheus differs from xdplb status --json"
	sed 's/^/# /' "$TMP/diff" | head -20
fi
python3 - "$TMP/want" <<'EOF' && ok "the traffic is in those counters (web: 300 flows, 600 packets; dns, web6; 7 fragments dropped)" || not_ok "counters: $(grep -E 'new_flows|fragment' "$TMP/want" | tr '\n' ';')"
import sys
c = {" ".join(l.split()[:-1]): int(l.split()[-1]) for l in open(sys.argv[1])}
nf = lambda v: c["xdplb_vip_new_flows_total iface=veth0 vip=%s" % v]
ok = nf("web") == 300 and nf("dns") >= 190 and nf("web6") == 100
ok = ok and c["xdplb_drops_total iface=veth0 reason=fragment"] == 7
ok = ok and c["xdplb_vip_packets_total iface=veth0 vip=web"] == 600
sys.exit(0 if ok else 1)
EOF
# the first scrape had no earlier reading: counters since zero, i.e. all the traffic
imb=$(q 'max_over_time(xdplb_vip_imbalance{vip="web"}[5m])' | awk '{print $NF}')
python3 -c "import sys; v=float('$imb'); sys.exit(0 if 0.5 < v < 1.5 else 1)" 2>/dev/null &&
	ok "web's imbalance ($imb) is below the alert threshold" || not_ok "imbalance of web: '$imb'"
imb=$(q 'xdplb_vip_imbalance{vip="web"}' | awk '{print $NF}')
[ "$imb" = 0 ] && ok "no new flows since the exporter's first reading: imbalance 0" ||
	not_ok "imbalance of web now: '$imb'"
[ "$(q 'xdplb_config_last_load_successful' | awk '{print $NF}')" = 1 ] &&
	ok "xdplb_config_last_load_successful 1" || not_ok "last_load_successful: $(q xdplb_config_last_load_successful)"
digest=$("$XDPLB" validate --json "$CFG" | python3 -c 'import json,sys; print(json.load(sys.stdin)["digest"][7:])')
q 'xdplb_config_info' | grep -q "digest=sha256:$digest" && ok "xdplb_config_info carries the config's digest" ||
	not_ok "config_info: $(q xdplb_config_info)"
rules=$(in_ns "$NS" python3 -c "
import json, urllib.request
d = json.load(urllib.request.urlopen('http://$PROM/api/v1/rules', timeout=5))
r = [x for g in d['data']['groups'] for x in g['rules']]
print(len(r), all(x['health'] == 'ok' for x in r))")
nrules=$(grep -c '^ *- alert:' "$SRC/docs/prometheus/alerts.yml")
[ "$rules" = "$nrules True" ] && ok "Prometheus loaded the $nrules alert rules, all healthy" || not_ok "rules: $rules"
bad=$(in_ns "$NS" python3 - "$PROM" "$SRC/docs/grafana/xdplb.json" <<'EOF'
import json, sys, urllib.parse, urllib.request
d = json.load(open(sys.argv[2]))
exprs = [t["expr"] for p in d["panels"] for t in p.get("targets", [])]
exprs += [v["query"]["query"] for v in d["templating"]["list"] if v["type"] == "query"]
bad = 0
for e in exprs:
    e = e.replace("$__rate_interval", "1m").replace('"$job"', '"xdplb"').replace("$instance", ".*").replace("$vip", ".*").replace("$iface", ".*")
    if e.startswith("label_values("):  # a Grafana function: check its selector
        e = e[len("label_values("):].rsplit(",", 1)[0]
    url = "http://%s/api/v1/query?%s" % (sys.argv[1], urllib.parse.urlencode({"query": e}))
    try:
        r = json.load(urllib.request.urlopen(url, timeout=5))
        ok = r["status"] == "success" and r["data"]["result"]
    except Exception:
        ok = False
    if not ok:
        bad += 1
        print("# no data or error:", e)
print("BAD", bad, "OF", len(exprs))
EOF
)
# loadable by Grafana's file provisioning: no __inputs, every panel and
# variable on the $datasource variable; the variables and panels an SRE
# expects
prov=$(python3 - "$SRC/docs/grafana/xdplb.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
ds = []
def walk(o):
    if isinstance(o, dict):
        for k, v in o.items():
            if k == "datasource" and isinstance(v, dict):
                ds.append(v.get("uid"))
            else:
                walk(v)
    elif isinstance(o, list):
        for x in o:
            walk(x)
walk(d["panels"]); walk(d["templating"])
var = {v["name"]: v["type"] for v in d["templating"]["list"]}
exprs = " ".join(t["expr"] for p in d["panels"] for t in p.get("targets", []))
problems = []
if "__inputs" in d: problems.append("__inputs")
if set(ds) != {"${datasource}"}: problems.append("datasources %s" % sorted(set(map(str, ds))))
if var.get("datasource") != "datasource" or var.get("iface") != "query": problems.append("variables %s" % var)
for want in ('action="aborted"', "xdplb_program_attached", "xdplb_backend_health"):
    if want not in exprs: problems.append("no panel on " + want)
print("; ".join(problems) or "ok %d datasource references" % len(ds))
EOF
)
[ "${prov%% *}" = ok ] && ok "the dashboard provisions as is: no __inputs, a datasource and an iface variable, panels for aborted actions, attachment and health (${prov#ok })" ||
	not_ok "dashboard provisioning: $prov"
grep -q "^BAD 0 OF" <<<"$bad" && ok "every query of the Grafana dashboard runs and has data ($(grep -o 'OF [0-9]*' <<<"$bad" | cut -c4-) queries)" ||
	{ not_ok "dashboard queries"; grep '^#' <<<"$bad" | head; }
firing=$(q 'ALERTS{alertstate="firing"}')
[ -z "$firing" ] && ok "no alert fires on a healthy LB" || not_ok "firing: $firing"

# the raw exposition
in_ns "$NS" curl -s -D "$TMP/headers" -o "$TMP/metrics.txt" "http://$EXPORTER/metrics"
grep -qi '^Content-Type: text/plain; version=0.0.4; charset=utf-8' "$TMP/headers" &&
	ok "Content-Type text/plain; version=0.0.4" || not_ok "headers: $(tr -d '\r' <"$TMP/headers" | tr '\n' ';')"
if promtool check metrics <"$TMP/metrics.txt" >"$TMP/lint" 2>&1 && [ ! -s "$TMP/lint" ]; then
	ok "promtool check metrics: clean ($(grep -vc '^#' "$TMP/metrics.txt") samples)"
else
	not_ok "promtool check metrics"
	sed 's/^/# /' "$TMP/lint" | head
fi
! grep -qE '192\.0\.2\.|2001:db8:1::' "$TMP/metrics.txt" && ok "no client address in any label" ||
	not_ok "a client address is in the exposition"
code() { in_ns "$NS" curl -s -o /dev/null -w '%{http_code}' "$@"; }
[ "$(code "http://$EXPORTER/")" = 200 ] && ok "GET / is a page" || not_ok "GET /"
[ "$(code "http://$EXPORTER/nope")" = 404 ] && ok "GET /nope is 404" || not_ok "GET /nope"
[ "$(code -X POST "http://$EXPORTER/metrics")" = 405 ] && ok "POST /metrics is 405" || not_ok "POST"
expect_rc "promtool test rules docs/prometheus/alerts_test.yml" 0 promtool test rules "$SRC/docs/prometheus/alerts_test.yml"
# every alert links its section of docs/runbook.md
/usr/bin/python3 - "$SRC/docs/prometheus/alerts.yml" "$SRC/docs/runbook.md" >"$TMP/rb" 2>&1 <<'EOF' &&
import re, sys
rules, book = open(sys.argv[1]).read(), open(sys.argv[2]).read()
anchors = {h.strip().lower() for h in re.findall(r"^### (Xdplb\w+)$", book, re.M)}
bad = []
for block in re.split(r"\n\s*- alert: ", rules)[1:]:
    name = block.split()[0]
    m = re.search(r'runbook_url: "file:///usr/share/doc/xdplb/runbook.md#(\w+)"', block)
    if not m or m.group(1) != name.lower() or m.group(1) not in anchors:
        bad.append(name)
print(len(re.findall(r"- alert: ", rules)), "alerts, missing or wrong:", bad)
sys.exit(1 if bad else 0)
EOF
	ok "every alert's runbook_url names its section of docs/runbook.md ($(cat "$TMP/rb"))" ||
	not_ok "runbook_url: $(cat "$TMP/rb")"

# the service's exposition: clean, its own families, and the same samples
# of the maps as serve's (the imbalance window and the scrape's duration
# are each exporter's own; a backend's idle time moves in 1.024 s steps
# between the two scrapes, which on a loaded machine can straddle one:
# compared by its labels)
in_ns "$NS" curl -s -o "$TMP/svc.txt" "http://$SERVICE/metrics"
in_ns "$NS" curl -s -o "$TMP/serve2.txt" "http://$EXPORTER/metrics"
if promtool check metrics <"$TMP/svc.txt" >"$TMP/lint" 2>&1 && [ ! -s "$TMP/lint" ]; then
	ok "promtool check metrics on the service's exposition: clean ($(grep -vc '^#' "$TMP/svc.txt") samples)"
else
	not_ok "promtool check metrics on the service's exposition"
	sed 's/^/# /' "$TMP/lint" | head
fi
fams=$(grep -c '^# TYPE xdplb_\(service\|health\)_' "$TMP/svc.txt")
[ "$fams" = 16 ] && [ "$(grep -c '^# HELP xdplb_\(service\|health\)_' "$TMP/svc.txt")" = 16 ] &&
	ok "the service's 16 families, each with HELP and TYPE" || not_ok "service families with TYPE: $fams"
idle_by_labels() { sed -E 's/^(xdplb_backend_idle_seconds\{[^}]*\}) .*/\1/'; }
samples() {
	grep -v '^#' "$1" | grep -vE '^xdplb_(vip_imbalance|scrape_duration_seconds)[{ ]' |
		idle_by_labels | sort
}
missing=$(comm -23 <(samples "$TMP/serve2.txt") <(samples "$TMP/svc.txt"))
[ -z "$missing" ] && [ "$(samples "$TMP/serve2.txt" | wc -l)" -gt 100 ] &&
	ok "every sample of xdplb serve ($(samples "$TMP/serve2.txt" | wc -l)) is in the service's exposition, with the same value (idle times: the same labels)" ||
	{ not_ok "serve's samples missing from the service's"; sed 's/^/# /' <<<"$missing" | head; }
! grep -qE '192\.0\.2\.|198\.51\.100\.|2001:db8:' "$TMP/svc.txt" &&
	ok "no client or backend address in the service's labels" || not_ok "an address is in the service's exposition"

# a refused file: counted, last_reload_successful 0, the running config
# stays; the file put back (what is live again): 1
svc_metric() { in_ns "$NS" curl -s "http://$SERVICE/metrics" | awk -v m="$1" '$1 == m {print $NF}'; }
gen=$(svc_metric 'xdplb_config_generation{iface="veth0"}')
cp "$CFG" "$TMP/good.json"
python3 - "$CFG" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["vips"][0]["backends"][0]["wieght"] = 1
open(sys.argv[1], "w").write(json.dumps(d, indent=2))
EOF
for _ in $(seq 50); do
	[ "$(svc_metric 'xdplb_service_reloads_total{iface="veth0",result="refused"}')" = 1 ] && break
	sleep 0.1
done
[ "$(svc_metric 'xdplb_service_reloads_total{iface="veth0",result="refused"}')" = 1 ] &&
	[ "$(svc_metric 'xdplb_service_last_reload_successful{iface="veth0"}')" = 0 ] &&
	[ "$(svc_metric 'xdplb_config_generation{iface="veth0"}')" = "$gen" ] &&
	ok "a refused file: reloads_total{result=\"refused\"} 1, last_reload_successful 0, generation $gen stays" ||
	{ not_ok "after a refused file: $(in_ns "$NS" curl -s "http://$SERVICE/metrics" | grep -E '^xdplb_(service|config_generation)')"; sed 's/^/# /' "$TMP/svc.err" | tail -5; }
cp "$TMP/good.json" "$CFG"
for _ in $(seq 50); do
	[ "$(svc_metric 'xdplb_service_last_reload_successful{iface="veth0"}')" = 1 ] && break
	sleep 0.1
done
[ "$(svc_metric 'xdplb_service_last_reload_successful{iface="veth0"}')" = 1 ] &&
	[ "$(svc_metric 'xdplb_service_reloads_total{iface="veth0",result="ok"}')" = 0 ] &&
	ok "the file put back: last_reload_successful 1, nothing loaded" ||
	not_ok "after the file was put back: $(in_ns "$NS" curl -s "http://$SERVICE/metrics" | grep -E '^xdplb_service')"

# dns-1 and dns-2 stop answering: the guard takes one out and keeps the
# other in (max_out 0.5 of 2), and XdplbVipHealthFailOpen goes pending
stop_pid "$DNS_PID"
DNS_PID=
pending=
for _ in $(seq 60); do
	pending=$(q 'ALERTS{alertname="XdplbVipHealthFailOpen"}')
	[ -n "$pending" ] && break
	sleep 0.5
done
grep -q "alertstate=pending.*vip=dns" <<<"$pending" && [ "$(wc -l <<<"$pending")" = 1 ] &&
	ok "dns fails open: XdplbVipHealthFailOpen is pending for it" || not_ok "fail open: '$pending'"
got=$(q 'xdplb_backend_health{vip="dns"} == 1' | sed -E 's/.*health=([^ ]*) .*/\1/' | sort | tr '\n' ' ')
[ "$got" = "kept out " ] && ok "dns: one backend out, one kept" || not_ok "dns verdicts: $got"

# the alert path end to end: a skew written into web-1's counters (as if
# 100,000 new flows per CPU had gone there) makes the imbalance jump and
# Prometheus' XdplbBackendAboveWeightShare go pending
be=$(python3 -c "import json; d=json.load(open('$TMP/status.json')); print([b['id'] for v in d['vips'] for b in v['backends'] if b['name'] == 'web-1'][0])")
val=$(python3 -c "import struct; print(' '.join(str(b) for b in struct.pack('<QQQ', 100000, 10000000, 100000)))")
bpftool map update pinned "$(ls -d "$XDPLB_BPFFS"/xdplb/veth0@*)/be_stats" key $be 0 0 0 value $val &&
	ok "wrote a skew into backend $be's counters" || not_ok "bpftool map update"
pending=
for _ in $(seq 40); do
	pending=$(q 'ALERTS{alertname="XdplbBackendAboveWeightShare",vip="web"}')
	[ -n "$pending" ] && break
	sleep 0.5
done
grep -q "alertstate=pending" <<<"$pending" && ok "XdplbBackendAboveWeightShare is pending for web ($(q 'xdplb_vip_imbalance{vip="web"}' | awk '{print $NF}'))" ||
	not_ok "no pending alert: imbalance $(q 'xdplb_vip_imbalance{vip="web"}')"

# the service stops; the data path keeps its last verdicts
kill -TERM "$SVC_PID"
wait "$SVC_PID"
rc=$?
SVC_PID=
[ "$rc" = 0 ] && ok "the service exits 0 on SIGTERM" || not_ok "the service exit $rc on SIGTERM"
x serve --once --iface veth0 >"$TMP/out"
grep -q '^xdplb_vip_health_fail_open{iface="veth0",vip="dns"} 1$' "$TMP/out" &&
	grep -q '^xdplb_backend_health{iface="veth0",vip="web6",backend="web6-3",health="out"} 1$' "$TMP/out" &&
	ok "without the service, the maps keep its last verdicts (serve --once)" ||
	not_ok "after the service stopped: $(grep -E 'fail_open|web6-3.*health' "$TMP/out")"

# exit codes, a named interface without xdplb
expect_rc "serve --listen nonsense: exit 2" 2 x serve --listen localhost --once
expect_rc "serve on a port in use: exit 3" 3 x serve --listen "$PROM"
grep -q "Address already in use" "$TMP/err" && ok "the bind error says why" || not_ok "$(cat "$TMP/err")"
# gzip when asked (Prometheus asks): the same exposition, smaller (two
# scrapes: their durations, the backends' idle times and the VIPs'
# imbalance may differ: its base is the newest reading a window old, which
# can change between two scrapes a few ms apart)
in_ns "$NS" curl -s -H 'Accept-Encoding: gzip' -D "$TMP/gzh" -o "$TMP/m.gz" "http://$EXPORTER/metrics"
in_ns "$NS" curl -s -D "$TMP/plainh" -o "$TMP/m.txt" "http://$EXPORTER/metrics"
timeless() { grep -v '^xdplb_scrape_duration_seconds \|^xdplb_vip_imbalance{' | idle_by_labels; }
if grep -qi '^content-encoding: gzip' "$TMP/gzh" && ! grep -qi '^content-encoding' "$TMP/plainh" &&
	grep -qi '^vary: accept-encoding' "$TMP/plainh" &&
	diff <(gunzip -c "$TMP/m.gz" | timeless) <(timeless <"$TMP/m.txt") >/dev/null; then
	ok "gzip when asked: the same exposition, $(stat -c %s "$TMP/m.txt") -> $(stat -c %s "$TMP/m.gz") bytes; plain otherwise, Vary: Accept-Encoding"
else
	# the headers, and what differs between the two scrapes (seen once
	# in CI with the headers right: the diff says which series moved)
	not_ok "gzip: $(grep -i 'content-encoding\|vary' "$TMP/gzh" "$TMP/plainh")
$(diff <(gunzip -c "$TMP/m.gz" | timeless) <(timeless <"$TMP/m.txt") | head -8)"
fi
grep -q '^xdplb_build_info{version="[0-9.]*",abi="[0-9]*"} 1$' "$TMP/m.txt" &&
	ok "xdplb_build_info: $(grep '^xdplb_build_info' "$TMP/m.txt")" || not_ok "no xdplb_build_info"

# ":PORT" listens on every address, IPv4 and IPv6
nsenter --net=/run/netns/"$NS" "$XDPLB" serve --listen :19437 >/dev/null 2>&1 & # $! is xdplb: nsenter execs it
LPID=$!
for i in $(seq 1 50); do
	in_ns "$NS" curl -s -o /dev/null "http://127.0.0.1:19437/metrics" && break
	sleep 0.1
done
in_ns "$NS" curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:19437/metrics" >"$TMP/c4"
in_ns "$NS" curl -s -o /dev/null -w '%{http_code}' "http://[::1]:19437/metrics" >"$TMP/c6"
stop_pid "$LPID"
[ "$(cat "$TMP/c4") $(cat "$TMP/c6")" = "200 200" ] && ok "serve --listen :PORT answers on 127.0.0.1 and [::1]" ||
	not_ok "--listen :PORT: IPv4 $(cat "$TMP/c4"), IPv6 $(cat "$TMP/c6")"
expect_rc "serve --once --iface veth0 --iface nope" 0 x serve --once --iface veth0 --iface nope
grep -q '^xdplb_up{iface="nope"} 0$' "$TMP/out" && grep -q '^xdplb_up{iface="veth0"} 1$' "$TMP/out" &&
	ok "xdplb_up 0 for a named interface without xdplb" || not_ok "$(grep xdplb_up "$TMP/out")"

# with CAP_BPF alone (the pins' file permissions do the rest) the exporter
# reads everything: slot counts come from be_slots, which the commit
# publishes, not from the tables (opening those by id needs CAP_SYS_ADMIN)
x serve --once --iface veth0 >"$TMP/full"
in_ns "$NS" setpriv --inh-caps=-all --ambient-caps=-all --bounding-set=-all,+bpf \
	"$XDPLB" serve --once --iface veth0 >"$TMP/out" 2>"$TMP/err"
grep -q '^xdplb_read_error{iface="veth0"} 0$' "$TMP/out" &&
	grep -q '^xdplb_config_last_load_successful{iface="veth0"} 1$' "$TMP/out" &&
	[ "$(grep -c '^xdplb_backend_table_slots{' "$TMP/out")" -gt 0 ] &&
	diff <(grep -E '^xdplb_(backend_table_slots|backend_packets_total|config_info)\{' "$TMP/out") \
		<(grep -E '^xdplb_(backend_table_slots|backend_packets_total|config_info)\{' "$TMP/full") >/dev/null &&
	ok "with CAP_BPF alone: read_error 0, last_load_successful 1, every slot count as with root's capabilities" ||
	not_ok "with CAP_BPF alone: $(grep -E 'read_error|last_load' "$TMP/out" | head -3) $(head -3 "$TMP/err")"
# no capability at all, as the pins' owner: reads on pinned maps need
# only the file's permissions on this kernel (since 6.5 the sysctl
# unprivileged_bpf_disabled guards map creation and program loads only)
in_ns "$NS" setpriv --inh-caps=-all --ambient-caps=-all --bounding-set=-all \
	"$XDPLB" serve --once --iface veth0 >"$TMP/out" 2>"$TMP/err"
diff <(grep -E '^xdplb_(backend_table_slots|config_last_load_successful|read_error)\{' "$TMP/out") \
	<(grep -E '^xdplb_(backend_table_slots|config_last_load_successful|read_error)\{' "$TMP/full") >/dev/null &&
	ok "with no capability, as the pins' owner: the same slots, last_load_successful and read_error 0" ||
	not_ok "with no capability: $(grep -E '^xdplb_(up|read_error|config_last)' "$TMP/out") $(head -3 "$TMP/err")"
# another user: the pins (root's, 0600 in a 0700 directory) are closed
in_ns "$NS" setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
	"$XDPLB" serve --once --iface veth0 >"$TMP/out" 2>"$TMP/err"
grep -q '^xdplb_up{iface="veth0"} 0$' "$TMP/out" && grep -q '^xdplb_read_error{iface="veth0"} 1$' "$TMP/out" &&
	grep -q 'Permission denied' "$TMP/err" &&
	ok "as another user: xdplb_up 0, read_error 1, Permission denied on stderr" ||
	not_ok "as another user: $(grep -E '^xdplb_(up|read_error)' "$TMP/out") $(head -3 "$TMP/err")"
x serve --once --iface veth0 >"$TMP/out"
grep -q '^xdplb_read_error{iface="veth0"} 0$' "$TMP/out" && grep -q '^xdplb_interfaces_loaded 1$' "$TMP/out" &&
	ok "with it: read_error 0, interfaces_loaded 1" || not_ok "$(grep -E 'read_error|interfaces_loaded' "$TMP/out")"
# where nothing is loaded the exporter still says so (every other series is gone)
ip netns add "${NS}e"
nsenter --net=/run/netns/"${NS}e" "$XDPLB" serve --once >"$TMP/out" 2>"$TMP/err"
ip netns del "${NS}e"
grep -q '^xdplb_interfaces_loaded 0$' "$TMP/out" && ok "nothing loaded: xdplb_interfaces_loaded 0" ||
	not_ok "nothing loaded: $(head -5 "$TMP/out")"

# last_load_successful: a load killed after writing the inactive bank's tables
sed 's/"weight": 200/"weight": 300/' "$SRC/examples/lb.json" >"$TMP/B.json"
ok_now() { x serve --once --iface veth0 | awk '/^xdplb_config_last_load_successful/ {print $NF}'; }
XDPLB_FAULT=tables-written x load --iface veth0 --state-dir "$SD" "$TMP/B.json" >/dev/null 2>&1
[ "$(ok_now)" = 0 ] && ok "a load killed with tables in the inactive bank: last_load_successful 0" ||
	not_ok "after a half-applied load: $(ok_now)"
expect_rc "the next load completes" 0 x load --iface veth0 --state-dir "$SD" "$TMP/B.json"
[ "$(ok_now)" = 1 ] && ok "and last_load_successful is 1 again" || not_ok "after a good load: $(ok_now)"
XDPLB_FAULT=ctl-written x load --iface veth0 --state-dir "$SD" "$SRC/examples/lb.json" >/dev/null 2>&1
[ "$(ok_now)" = 0 ] && ok "a newer generation written but never flipped: 0" || not_ok "after ctl-written: $(ok_now)"
expect_rc "repaired by a load" 0 x load --iface veth0 --state-dir "$SD" "$SRC/examples/lb.json"

# clients that connect and say nothing do not block scrapes: 60 half-sent
# requests from the scraper's own address, then a scrape at once, and 200
# (more than one address may hold), then a scrape once they timed out
idle_then_scrape() { # idle_then_scrape N WAIT: the scrape's HTTP code
	in_ns "$NS" timeout 30 python3 -c '
import socket, subprocess, sys, time
host, port = sys.argv[1].rsplit(":", 1)
socks = []
for _ in range(int(sys.argv[2])):
    s = socket.socket(); s.connect((host, int(port)))
    s.send(b"GET /metrics HTTP/1.1\r\nHost: x\r\n"); socks.append(s)
time.sleep(float(sys.argv[3]))
print(subprocess.run(["curl", "-s", "-m", "10", "-o", "/dev/null", "-w", "%{http_code}",
                      "http://%s/metrics" % sys.argv[1]], capture_output=True, text=True).stdout)' \
		"$EXPORTER" "$1" "$2"
}
got=$(idle_then_scrape 60 0)
[ "$got" = 200 ] && ok "a scrape beside 60 idle half-sent connections: 200 at once" ||
	not_ok "a scrape beside 60 idle connections: $got"
got=$(idle_then_scrape 200 6)
[ "$got" = 200 ] && ok "200 idle connections are closed after 5 s: the next scrape is served" ||
	not_ok "a scrape 6 s after 200 idle connections: $got"

# SIGTERM ends serve with 0
kill -TERM "$SERVE_PID"
wait "$SERVE_PID"
rc=$?
SERVE_PID=
[ "$rc" = 0 ] && ok "serve exits 0 on SIGTERM" || not_ok "serve exit $rc on SIGTERM"

tap_end

#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The benchmark's behaviour checks (every scenario took its intended path,
# proved by the counters), in a few seconds: no timing is judged here. The
# JSON is read too, so that a row that did nothing cannot pass.
set -u
cd "$(dirname "$0")/../.."
O=${O:-build}
echo "TAP version 13"
if [ ! -x "$O/xdplb-bench" ]; then
	make -s "$O/xdplb" "$O/xdplb-bench" "$O/xdplb-pktgen" >/dev/null || { echo "not ok 1 - build the bench"; echo "1..1"; exit 1; }
fi
tmp=$(mktemp -d /tmp/bench-smoke.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
n=0

# run NAME JSONCHECK ARGS...: the bench with ARGS must exit 0 with no
# FAILED row, and the python expression JSONCHECK must hold of its JSON (j)
run() {
	local name=$1 check=$2 out rc
	shift 2
	n=$((n + 1))
	out=$("$O/xdplb-bench" --json "$tmp/$n.json" "$@" 2>&1)
	rc=$?
	if [ $rc = 0 ] && ! grep -q FAILED <<<"$out" &&
		python3 -c "import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if ($check) else 1)" "$tmp/$n.json"; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name (exit $rc)"
		sed 's/^/# /' <<<"$out" | grep -E "FAILED|counter|wrong|error|cannot|baseline" | head
		fails=$((fails + 1))
	fi
}

P='{p["scenario"]: p for p in j["packets"]}'
run "every per-packet scenario took its intended path; SYN rows at 64K and 4M; flow memory" \
	"all(s in $P and $P[s]['ns'] > 0 and $P[s]['conntrack_size'] == c for s, c in
	     (('tcp4_syn_4m', 4194304), ('tcp4_syn_64k', 65536), ('tcp6_syn_4m', 4194304), ('tcp6_syn_64k', 65536)))
	 and sorted(m['conntrack_size'] for m in j['flow_memory']) == [65536, 4194304]
	 and all(m['bytes_per_flow'] > 0 and m['bytes_per_cpu'] > 0 for m in j['flow_memory'])" \
	--only packets,maglev --repeat 2000 --runs 1 --quick

T='{t["scenario"]: t for t in j["two_core"]}'
run "two cores: floors, new flows and hits on both CPUs at once, every packet counted" \
	"len(j['two_core']) == 5 and all(t['one_core_pps'] > 0 and t['two_core_pps'] > 0 and t['scaling'] > 0
	     for t in j['two_core']) and set($T) == {'floor_encap_2cpu', 'floor_cold_2cpu',
	     'tcp4_syn_4m_2cpu', 'tcp4_syn_64k_2cpu', 'tcp4_hit_2cpu'}
	 and $T['tcp4_syn_4m_2cpu']['floor'] == 'floor_cold_2cpu' and $T['tcp4_syn_4m_2cpu']['vs_floor'] > 0
	 and $T['floor_cold_2cpu']['lines'] >= 2**20" \
	--only twocore --repeat 2000 --runs 2

run "SYN flood: 200 flows established, 5000 SYNs, every ACK after them a hit or a miss" \
	"j['syn_flood']['flows'] == 200 and j['syn_flood']['syns'] == 5000
	 and j['syn_flood']['hits'] + j['syn_flood']['misses'] == 200 and j['syn_flood']['hits'] > 0
	 and abs(j['syn_flood']['hit_pct'] - j['syn_flood']['hits'] / 2) < 1e-9" \
	--only flood --flood-flows 200 --flood-syns 5000

# the baseline machinery with this build's own xdplb as the baseline: its
# own namespace, load, program from the pinned link, counters from the pins
B='[b for b in j["baseline"]["packets"]]'
run "baseline: every LB scenario run for both programs, the baseline's counters checked, each ratio within its interval" \
	"len($B) >= 16 and all(b['baseline_checked'] and 'baseline_ns_above_floor' in b for b in $B)
	 and {'tcp4_hit', 'tcp4_syn_64k', 'tcp4_syn_4m'} <= {b['scenario'] for b in $B}
	 and all(b['ratio_ci95_low'] <= b['ratio'] <= b['ratio_ci95_high'] for b in $B if 'ratio' in b)
	 and sum('ratio' in b for b in $B) >= 16" \
	--only baseline --baseline-xdplb "$O/xdplb" --repeat 2000 --runs 1 --rounds 7
n=$((n + 1))
ns=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['baseline'].get('namespace', ''))" "$tmp/$((n - 1)).json" 2>/dev/null)
if [ -z "$ns" ] || ip netns list | grep -q "^$ns\b"; then
	echo "not ok $n - the baseline's namespace was removed"
	fails=$((fails + 1))
else
	echo "ok $n - the baseline's namespace was removed"
fi
echo "1..$n"
[ $fails = 0 ]

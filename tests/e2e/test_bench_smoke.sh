#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The benchmark's behaviour checks (every scenario took its intended path,
# proved by the counters), in a few seconds: no timing is judged here.
set -u
cd "$(dirname "$0")/../.."
O=${O:-build}
echo "TAP version 13"
if [ ! -x "$O/xdplb-bench" ]; then
	make -s "$O/xdplb-bench" "$O/xdplb-pktgen" >/dev/null || { echo "not ok 1 - build the bench"; echo "1..1"; exit 1; }
fi
out=$("$O/xdplb-bench" --only packets,maglev --repeat 2000 --runs 1 --quick 2>&1)
rc=$?
if [ $rc = 0 ] && ! grep -q FAILED <<<"$out"; then
	echo "ok 1 - every per-packet scenario took its intended path"
else
	echo "not ok 1 - bench scenarios (exit $rc)"
	sed 's/^/# /' <<<"$out" | grep -E "FAILED|counter|wrong|error" | head
fi
echo "1..1"
[ $rc = 0 ]

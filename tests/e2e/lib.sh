# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Shared by the e2e TAP scripts: source it after setting TMP (a scratch
# directory the script removes on exit). Command output goes to $TMP/out and
# $TMP/err so a failing check can show it.

XDPLB=$(readlink -f "${XDPLB:-$(dirname "${BASH_SOURCE[0]}")/../../build/xdplb}")
SRC=$(readlink -f "$(dirname "${BASH_SOURCE[0]}")/../..")

# histories stay in the scratch directory, never in /var/lib/xdplb
export XDPLB_STATE_DIR=$TMP/state

n=0
failed=0
ok() {
	n=$((n + 1))
	echo "ok $n - $*"
}
not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $*"
}
show_output() { # show_output LINES: the last command's output, as TAP comments
	sed 's/^/# /' "$TMP/out" "$TMP/err" 2>/dev/null | head -"${1:-20}"
}
# check DESC CMD...: the command must succeed
check() {
	local desc=$1
	shift
	if "$@" >"$TMP/out" 2>"$TMP/err"; then ok "$desc"; else
		not_ok "$desc"
		show_output
	fi
}
# expect_rc DESC RC CMD...: the command must exit with RC
expect_rc() {
	local desc=$1 want=$2 rc
	shift 2
	"$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	if [ "$rc" = "$want" ]; then ok "$desc"; else
		not_ok "$desc (exit $rc, want $want)"
		show_output
	fi
}
# assert DESC CONDITION-CMD...: a condition on what is already in $TMP
assert() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else
		not_ok "$desc"
		show_output 10
	fi
}
# check_json DESC PYTHON-EXPR: true of d, the JSON in $TMP/out
check_json() {
	local desc=$1 got
	got=$(python3 -c "import json; d=json.load(open('$TMP/out')); print(bool($2))" 2>&1)
	if [ "$got" = True ]; then ok "$desc"; else
		not_ok "$desc"
		show_output 40
	fi
}
# in_ns NS CMD...: like `ip netns exec`, without remounting /sys (which
# would hide the host's bpffs)
in_ns() {
	local ns=$1
	shift
	nsenter --net=/run/netns/"$ns" "$@"
}
# jq_out EXPR: a Python expression over d, the JSON in $TMP/out
jq_out() {
	python3 -c "import json; d=json.load(open('$TMP/out')); print($1)"
}
# veth_ns NS: the namespace (made if missing) with veth0 (the LB's side)
# and veth1 (the sender's, with the examples' next-hop MAC), both up
veth_ns() {
	local ns=$1
	ip netns list | grep -qw "$ns" || ip netns add "$ns" || return
	ip -n "$ns" link add veth0 type veth peer name veth1 &&
		ip -n "$ns" link set veth1 address 02:00:00:00:00:01 &&
		ip -n "$ns" link set veth0 up && ip -n "$ns" link set veth1 up
}
# veth_ns_del NS: unload the LB, detach decap, delete the namespace;
# harmless when it is gone
veth_ns_del() {
	local ns=$1
	ip netns list | grep -qw "$ns" || return 0
	in_ns "$ns" "$XDPLB" unload --iface veth0 >/dev/null 2>&1
	in_ns "$ns" "$XDPLB" decap detach veth1 >/dev/null 2>&1
	ip netns del "$ns"
}
# ctl_abi CTL-PIN [N]: the abi_version the pinned ctl map says (bytes 4..7
# of its value, host order), or with N, write N there and nothing else (an
# LB of another ABI, faked); needs bpftool
ctl_abi() {
	bpftool -j map lookup pinned "$1" key 0 0 0 0 | python3 -c '
import json, subprocess, sys
v = [int(b, 16) for b in json.load(sys.stdin)["value"]]
if len(sys.argv) < 3:
    print(int.from_bytes(bytes(v[4:8]), sys.byteorder))
    sys.exit()
v[4:8] = int(sys.argv[2]).to_bytes(4, sys.byteorder)
sys.exit(subprocess.call(["bpftool", "map", "update", "pinned", sys.argv[1], "key", "0", "0", "0", "0",
                          "value"] + [str(b) for b in v]))' "$@"
}
# private_bpffs: pins go to a bpffs of this test's own (XDPLB_BPFFS)
# stop_pid PID: ends a process the test started (by PID), and reaps it
stop_pid() { [ -n "$1" ] && kill "$1" 2>/dev/null && wait "$1" 2>/dev/null; }

private_bpffs() {
	export XDPLB_BPFFS=$TMP/bpffs
	mkdir -p "$XDPLB_BPFFS" && mount -t bpf bpf "$XDPLB_BPFFS" || {
		echo "Bail out! cannot mount a private bpffs"
		exit 1
	}
}
release_bpffs() {
	umount "$TMP/bpffs" 2>/dev/null
}
# scratch NS: pins in a private bpffs, and on exit, even a failed one, the
# LB and namespace NS, the bpffs and $TMP go
scratch() {
	SCRATCH_NS=$1
	trap 'veth_ns_del "$SCRATCH_NS"; release_bpffs; rm -rf "$TMP"' EXIT
	private_bpffs
}
# tap_end: the plan line; the exit status says whether everything passed
tap_end() {
	echo "1..$n"
	[ "$failed" = 0 ]
}

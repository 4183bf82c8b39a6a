#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Pins and history of one network namespace are never found by another
# (issue 14, item 2). A namespace deleted with its LB loaded leaves pins
# behind; its inode number is reused within seconds by the next namespace,
# which used to find those pins (they were keyed by the inode), adopt the
# dead LB's maps and refuse its own first config as "moves 100% of the
# flows". Pins are now keyed by the namespace's cookie; a pinned link whose
# interface is gone marks its maps as stale; the history of a named
# namespace is keyed by its name. TAP output.
set -u

TAG=xdplbn$$
NS_A=$TAG-a
NS_B=$TAG-b
TMP=$(mktemp -d /tmp/xdplb-netns.XXXXXX)
. "$(dirname "$0")/lib.sh"
export XDPLB_RUN_DIR=$TMP/run
CFG=$SRC/examples/lb.json

cleanup() {
	local ns
	for ns in $(ip netns list | awk '{print $1}' | grep "^$TAG-"); do
		veth_ns_del "$ns"
	done
	release_bpffs
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
private_bpffs

pins() { ls "$XDPLB_BPFFS/xdplb" 2>/dev/null | grep -v '^decap$'; }
ino() { stat -L -c %i "/run/netns/$1"; }
# another seed: every flow would move, which the flows-moved guard refuses
# as an update of a live LB (and accepts as a first load)
sed 's/"hash_seed": "0x5eed"/"hash_seed": "0x1234"/' "$CFG" >"$TMP/seed.json"

echo "TAP version 13"
veth_ns "$NS_A"
expect_rc "load in namespace A" 0 in_ns "$NS_A" "$XDPLB" load --iface veth0 "$CFG"
pin_a=$(pins)
case $pin_a in
veth0@ns[0-9]*) ok "A's pins: $pin_a (the namespace's cookie)" ;;
*) not_ok "A's pins: '$pin_a'" ;;
esac
ino_a=$(ino "$NS_A")
[ "$pin_a" != "veth0@ns$ino_a" ] && ok "not keyed by the inode number ($ino_a)" ||
	not_ok "keyed by the inode number $ino_a"

# A goes away without an unload: its pins stay, its link is detached
ip netns del "$NS_A"
# a new namespace that reuses A's inode number: the kernel hands out the
# lowest free one once A is destroyed (asynchronously), so namespaces that
# get a lower one are kept as padding; bounded to 50 tries
reused=no
for i in $(seq 1 50); do
	ip netns add "$TAG-p$i" || break
	got=$(ino "$TAG-p$i")
	if [ "$got" = "$ino_a" ]; then
		NS_B=$TAG-p$i
		reused=yes
		break
	fi
	[ "$got" -lt "$ino_a" ] && continue
	ip netns del "$TAG-p$i"
	sleep 0.2
done
echo "# namespace B ($NS_B) reuses A's inode number $ino_a: $reused"
veth_ns "$NS_B"
in_ns "$NS_B" "$XDPLB" status --iface veth0 >"$TMP/out" 2>&1
grep -q "xdplb is not loaded" "$TMP/out" && ok "B finds no LB on its veth0" || not_ok "B: $(head -3 "$TMP/out")"
in_ns "$NS_B" "$XDPLB" load --iface veth0 "$TMP/seed.json" >"$TMP/out" 2>&1
rc=$?
[ $rc = 0 ] && grep -q "generation 1" "$TMP/out" &&
	ok "B's first config (another hash seed) loads as a first load: generation 1" ||
	not_ok "B's first load: rc $rc: $(head -3 "$TMP/out")"
pins | grep -qx "$pin_a" && not_ok "A's dead pins are still there" ||
	ok "A's dead pins were removed by B's load (their link was detached)"
[ "$(pins | wc -l)" = 1 ] && ok "one pin dir: B's" || not_ok "pin dirs: $(pins | tr '\n' ' ')"

# the same namespace, the interface re-created: the old link is dead, the
# maps stale; the next load starts anew instead of adopting them
pin_b=$(pins)
ip -n "$NS_B" link del veth0
veth_ns "$NS_B"
in_ns "$NS_B" "$XDPLB" load --iface veth0 "$CFG" >"$TMP/out" 2>&1
rc=$?
[ $rc = 0 ] && grep -q "generation 1" "$TMP/out" && grep -q "stale, loading anew" "$TMP/out" &&
	ok "veth0 re-created: the stale pins are said and replaced, generation 1" ||
	not_ok "after re-creating veth0: rc $rc: $(head -3 "$TMP/out")"
in_ns "$NS_B" "$XDPLB" status --iface veth0 >"$TMP/out" 2>&1 && grep -q "attached" "$TMP/out" &&
	ok "and it is attached" || not_ok "status: $(head -3 "$TMP/out")"
[ "$(pins)" = "$pin_b" ] && ok "under the same pin dir ($pin_b)" || not_ok "pin dirs: $(pins | tr '\n' ' ')"

# history: a named namespace's is keyed by its name, which a reboot's
# setup gives it again
in_ns "$NS_B" "$XDPLB" history --iface veth0 >"$TMP/out" 2>&1
[ -d "$XDPLB_STATE_DIR/veth0@$NS_B" ] && [ "$(grep -c 'sha256:' "$TMP/out")" -ge 2 ] &&
	ok "B's history is $XDPLB_STATE_DIR/veth0@$NS_B, with both of its loads" ||
	not_ok "history: $(ls "$XDPLB_STATE_DIR") / $(head -3 "$TMP/out")"
# an unnamed namespace: keyed by the cookie, gone with the boot
unshare -n sh -c "ip link add veth0 type veth peer name veth1 && ip link set veth1 address 02:00:00:00:00:01 &&
	ip link set veth0 up && ip link set veth1 up && '$XDPLB' load --iface veth0 '$CFG' >/dev/null &&
	'$XDPLB' history --iface veth0 && ls '$XDPLB_STATE_DIR' && '$XDPLB' unload --iface veth0" >"$TMP/out" 2>&1
grep -q '^veth0@ns[0-9]*$' "$TMP/out" && ok "an unnamed namespace's history: veth0@ns<cookie>" ||
	not_ok "unnamed: $(cat "$TMP/out" | head -5)"
tap_end

#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# The state dir (issue 14, items 3 and 5): nothing is written through a
# symlink planted in it; a FIFO named like an entry hangs nothing; a state
# dir another user could write is refused, changing nothing; a read-only
# or full one refuses a load saying what is live and that nothing changed,
# and --no-history goes through, loudly, marked in status, and recorded by
# the next load that can write. TAP output; everything it makes is removed
# on exit (the read-only and full dirs are mounts of a private mount
# namespace: `unshare -m`).
set -u

NS=xdplbsd$$
TMP=$(mktemp -d /tmp/xdplb-statedir.XXXXXX)
. "$(dirname "$0")/lib.sh"
SD=$TMP/state
A=$SRC/examples/lb.json
B=$TMP/b.json

x() { nsenter --net=/run/netns/"$NS" "$XDPLB" "$@"; }
gen() { x status --json veth0 | jq_out_stdin "d['generation']"; }
jq_out_stdin() { python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"; }
# in_mnt SETUP CMD...: CMD in a private mount namespace after the shell
# commands SETUP (mounts that vanish with it)
in_mnt() {
	local setup=$1
	shift
	unshare -m --propagation private bash -c "$setup"' && exec nsenter --net=/run/netns/'"$NS"' "$@"' _ "$XDPLB" "$@"
}
# refused_unchanged DESC GEN: the last command said what is live and that
# nothing changed, and the generation is still GEN
refused_unchanged() {
	assert "$1: says nothing changed and what is live" \
		grep -q "nothing changed: live is still generation $2, sha256:" "$TMP/err"
	assert "$1: the generation is still $2" test "$(gen)" = "$2"
}

scratch "$NS"
trap 'veth_ns_del "$NS"; release_bpffs; umount "$TMP/full" 2>/dev/null; rm -rf "$TMP"' EXIT
veth_ns "$NS"
python3 -c "
import json; d = json.load(open('$A'))
d['vips'][0]['backends'][1]['weight'] = 90
json.dump(d, open('$B', 'w'))"

echo "TAP version 13"

# ---------------------------------------------- planted symlinks (item 3)
mkdir -m 0700 "$SD"
echo precious >"$TMP/precious"
for f in .000001.json.tmp .000001.pending.tmp .overrides.json.tmp; do
	ln -s "$TMP/precious" "$SD/$f"
done
check "load with symlinks planted under the names it writes" \
	x load --iface veth0 --state-dir "$SD" "$A"
assert "their target keeps its bytes" test "$(cat "$TMP/precious")" = precious
check "an override: overrides.json written, not through a symlink" \
	x backend set web web-3 active --state-dir "$SD"
assert "the target still keeps its bytes" test "$(cat "$TMP/precious")" = precious
check "clear it" x backend set web web-3 clear --state-dir "$SD"

# ----------------------------------------------- a FIFO (item 3)
mkfifo "$SD/000099.meta" "$SD/000098.pending"
expect_rc "history with FIFOs named like entries: prompt" 0 \
	timeout 20 nsenter --net=/run/netns/"$NS" "$XDPLB" history --state-dir "$SD" veth0
assert "and says what it skipped" grep -q "000099.meta is a FIFO, not a regular file" "$TMP/err"
expect_rc "load with them: prompt" 0 timeout 20 nsenter --net=/run/netns/"$NS" "$XDPLB" \
	load --iface veth0 --state-dir "$SD" "$B"
expect_rc "rollback with them: prompt" 0 timeout 20 nsenter --net=/run/netns/"$NS" "$XDPLB" \
	rollback --state-dir "$SD" veth0
rm -f "$SD/000099.meta" "$SD/000098.pending"
g=$(gen)

# ------------------------------------------------ junk metadata (item 4)
x history --json --state-dir "$SD" veth0 >"$TMP/h.json"
python3 - "$SD" "$TMP/h.json" <<'PY'
import json, sys
sd, h = sys.argv[1], json.load(open(sys.argv[2]))
live = [e for e in h if e["live"]][0]["entry"]
m = json.load(open(f"{sd}/{live:06d}.meta"))
json.dump(m, open(f"{sd}/000900.meta", "w"))  # a copy: it says another entry
for n, seq in ((901, -5), (902, 4294967295), (903, 1.5)):
    json.dump(dict(m, seq=seq), open(f"{sd}/{n:06d}.meta", "w"))
PY
check "history with junk entries (seq -5, 4294967295, 1.5, a copy of the live one)" \
	x history --json --state-dir "$SD" veth0
check_json "none of them listed, exactly one live" \
	"not [e for e in d if e['entry'] >= 900] and sum(e['live'] for e in d) == 1"
assert "each said" test "$(grep -c 'skipped: seq' "$TMP/err")" = 4
check "a load beside them (--force: the same config would be a no-op)" x load --iface veth0 --force --state-dir "$SD" "$A"
check "history" x history --json --state-dir "$SD" veth0
check_json "numbered above them, none overwritten" "d[0]['entry'] == 904 and d[0]['live']"
rm -f "$SD"/00090[0-3].meta
g=$(gen)

# ---------------------------------- a state dir others could steer (item 3)
chmod 0777 "$SD"
expect_rc "a world-writable state dir: refused" 3 x load --iface veth0 --state-dir "$SD" "$B"
assert "saying why" grep -q "has mode 0777, writable by other users: refused" "$TMP/err"
refused_unchanged "world-writable" "$g"
chmod 0770 "$SD"
expect_rc "a group-writable state dir: refused" 3 x rollback --state-dir "$SD" veth0
assert "rollback changed nothing" test "$(gen)" = "$g"
chmod 0700 "$SD"
chown 65534 "$SD"
expect_rc "a state dir of another user: refused" 3 x load --iface veth0 --state-dir "$SD" "$B"
assert "saying whose" grep -q "is owned by uid 65534, not root" "$TMP/err"
refused_unchanged "another user's" "$g"
chown 0 "$SD"
mkdir -m 0777 "$TMP/open"
expect_rc "a state dir inside a world-writable one: refused" 3 \
	x load --iface veth0 --state-dir "$TMP/open/sd" "$B"
assert "saying which" grep -q "the directory 1 level above it has mode 0777" "$TMP/err"

# ----------------------------------------- read-only (item 5)
ro="mount --bind '$SD' '$SD' && mount -o remount,bind,ro '$SD'"
expect_rc "a read-only state dir: load refused" 3 in_mnt "$ro" load --iface veth0 --state-dir "$SD" "$B"
refused_unchanged "read-only" "$g"
assert "naming the way through" grep -q -- "--no-history applies the config unrecorded" "$TMP/err"
expect_rc "rollback refused the same" 3 in_mnt "$ro" rollback --state-dir "$SD" veth0
refused_unchanged "read-only rollback" "$g"
expect_rc "load --no-history goes through" 0 \
	in_mnt "$ro" load --no-history --iface veth0 --state-dir "$SD" "$B"
assert "saying so on stdout" grep -q "UNRECORDED (in no history)" "$TMP/out"
assert "and loudly on stderr" grep -q "RECORDED IN NO HISTORY" "$TMP/err"
check "status --json" x status --json veth0
check_json "marks it unrecorded" "d['unrecorded'] is True and d['generation'] == $g + 1"
check "status" x status veth0
assert "says UNRECORDED" grep -q "UNRECORDED" "$TMP/out"
expect_rc "rollback --no-history in the read-only dir: goes through" 0 \
	in_mnt "$ro" rollback --no-history --state-dir "$SD" veth0
assert "to the newest entry (the live config is in none)" \
	grep -q "rolling back to the newest" "$TMP/err"
check "history lists what it has (read-only)" in_mnt "$ro" history --json --state-dir "$SD" veth0
check_json "no entry is live" "not any(e['live'] for e in d)"

# the next load that can write records the unrecorded one first
n_before=$(x history --json --state-dir "$SD" veth0 | jq_out_stdin "len(d)")
check "a load with the state dir writable again" x load --iface veth0 --state-dir "$SD" "$A"
check "history" x history --json --state-dir "$SD" veth0
check_json "the unrecorded config is an entry now, without its bytes" \
	"len(d) == $n_before + 2 and d[1]['config_kept'] is False and d[1]['generation'] == $g + 2 and 'no-history' in d[1]['note']"
check_json "exactly one live entry, the newest" "[e['live'] for e in d][:3] == [True, False, False]"
check "status --json" x status --json veth0
check_json "no longer unrecorded" "d['unrecorded'] is False"
expect_rc "a rollback to the entry without bytes: refused" 3 \
	x rollback --state-dir "$SD" --to "$(x history --json --state-dir "$SD" veth0 | jq_out_stdin "d[1]['entry']")" veth0
assert "saying why" grep -q "was loaded with --no-history: its config was not kept" "$TMP/err"

# ------------------------------------------------ full (item 5)
g=$(gen)
mkdir -m 0700 "$TMP/full"
mount -t tmpfs -o size=64k,mode=0700 tmpfs "$TMP/full"
dd if=/dev/zero of="$TMP/full/fill" bs=4k count=64 2>/dev/null
expect_rc "a full state dir: load refused" 3 x load --iface veth0 --state-dir "$TMP/full" "$B"
assert "saying why" grep -q "No space left on device" "$TMP/err"
refused_unchanged "full" "$g"
assert "leaving no partial entry" test -z "$(ls "$TMP/full" | grep -v '^fill$')"
expect_rc "load --no-history goes through" 0 \
	x load --no-history --iface veth0 --state-dir "$TMP/full" "$B"
rm "$TMP/full/fill"
check "space again: a load records both" x load --iface veth0 --state-dir "$TMP/full" "$A"
check "history" x history --json --state-dir "$TMP/full" veth0
check_json "two entries, the first without bytes" \
	"len(d) == 2 and d[1]['config_kept'] is False and d[0]['live'] and d[0]['config_kept']"

tap_end

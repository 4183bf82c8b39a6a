#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# The Debian package, as CI builds and uses it: `make deb` (in a build dir
# of the test's own: the worktree stays as it was), lintian with no error,
# `dpkg -i`, then `xdplb version`, `man -w` and the units from the
# installed package, the maintainer scripts' contents, an upgrade with a
# data path loaded (left as it was), and `dpkg --purge`, which leaves the
# machine as before (and the data path running). When xdplb is installed already (a
# package or /usr/sbin/xdplb), the install round trip is skipped: the test
# never touches what it did not install. TAP output.
set -u

TMP=$(mktemp -d /tmp/xdplb-pkg.XXXXXX)
. "$(dirname "$0")/lib.sh"
INSTALLED=
NS=xdplbp$$
cleanup() {
	[ -n "$INSTALLED" ] && dpkg --purge xdplb >/dev/null 2>&1
	veth_ns_del "$NS"
	release_bpffs
	rm -rf "$TMP"
}
trap cleanup EXIT
O=$TMP/o

echo "TAP version 13"
missing=
for t in dpkg-buildpackage dh lintian scdoc man; do
	command -v $t >/dev/null || missing="$missing $t"
done
if [ -n "$missing" ]; then
	not_ok "missing:$missing (tools/install-deps installs them)"
	tap_end
	exit
fi

# ---------------------------------------------------------------- build
dirty() { git -C "$SRC" status --porcelain --ignored=matching -- . ':!build' 2>/dev/null; }
before=$(dirty)
start=$SECONDS
if make -s -C "$SRC" O="$O" deb DEB_JOBS=2 >"$TMP/out" 2>"$TMP/err"; then
	ok "make deb ($((SECONDS - start)) s)"
else
	not_ok "make deb"
	show_output 40
	tap_end
	exit
fi
echo "# make deb took $((SECONDS - start)) s"
DEB=$(ls "$O"/deb/xdplb_*.deb 2>/dev/null | head -1)
assert "... made $(basename "${DEB:-no .deb}")" test -s "$DEB"
assert "... and left the worktree as it was (nothing new, nothing changed)" test "$(dirty)" = "$before"

start=$SECONDS
lintian -I --pedantic "$DEB" >"$TMP/out" 2>"$TMP/err"
echo "# lintian took $((SECONDS - start)) s: $(grep -c '^[EWIP]: ' "$TMP/out") tags"
grep '^[EWIP]: ' "$TMP/out" | sed 's/^/# /'
assert "lintian: no error" test "$(grep -c '^E: ' "$TMP/out")" = 0

# ---------------------------------------------------------------- contents
dpkg-deb -c "$DEB" | awk '{ print $6 }' | sed 's|^\./|/|' >"$TMP/files"
for f in /usr/sbin/xdplb /usr/share/man/man8/xdplb.8.gz /usr/share/man/man5/xdplb.json.5.gz \
	/lib/systemd/system/xdplb@.service /lib/systemd/system/xdplb-serve.service \
	/lib/systemd/system/xdplb-audit@.service /lib/systemd/system/xdplb-audit@.timer \
	/usr/share/doc/xdplb/prometheus/alerts.yml /usr/share/doc/xdplb/grafana/xdplb.json \
	/usr/share/doc/xdplb/packaging.md /usr/share/doc/xdplb/examples/lb.json; do
	grep -qx "$f" "$TMP/files" || echo "$f"
done >"$TMP/out"
assert "the package has the binary, both man pages, the four units, alert rules, dashboard, docs" \
	test ! -s "$TMP/out"
mkdir -p "$TMP/ctl"
dpkg-deb -e "$DEB" "$TMP/ctl"
# the scripts: the exporter (re)started or stopped, daemon-reload, nothing else
cat "$TMP/ctl"/postinst "$TMP/ctl"/prerm "$TMP/ctl"/postrm 2>/dev/null |
	grep -v '^\s*#' | grep -E 'xdplb( |$)|unload|detach|conntrack|/sys/fs/bpf|bpftool|ip link' >"$TMP/out"
assert "maintainer scripts never run xdplb, unload, detach or touch bpffs" test ! -s "$TMP/out"
# preinst reads the pinned ctl maps' ABI (bpftool map lookup), nothing else
grep -v '^\s*#' "$TMP/ctl/preinst" | grep -v '^\s*echo ' | grep -v 'command -v bpftool' |
	grep -E 'bpftool|xdplb (load|unload|run|rollback|decap)|detach|conntrack|ip link|\<(rm|mv|unlink|umount)\>' |
	grep -v '^\s*bpftool -j map lookup pinned ' >"$TMP/out"
assert "... preinst reads the pins' ABI (bpftool map lookup) and runs nothing else" test ! -s "$TMP/out"
abi=$(sed -n 's/^#define XDPLB_ABI_VERSION \([0-9][0-9]*\).*/\1/p' "$SRC/bpf/xdplb_abi.h")
assert "... and knows this package's ABI ($abi)" grep -qx "NEW_ABI=$abi" "$TMP/ctl/preinst"
assert "... every #TOKEN# substituted" test -z "$(grep -v '^\s*#' "$TMP/ctl/preinst" | grep -o '#[A-Z_.][A-Z_.]*#')"
grep -h 'deb-systemd-invoke\|systemctl' "$TMP/ctl"/p* | grep -v '^\s*#' |
	grep -v "daemon-reload\|xdplb-serve.service" >"$TMP/out"
assert "... and act on no unit but the exporter (an xdplb@IF service is the operator's)" \
	test ! -s "$TMP/out"
assert "... and ship no conffile (the operator's /etc/xdplb/*.json are not the package's)" \
	test ! -s "$TMP/ctl/conffiles"

# ---------------------------------------------------------------- install
if dpkg-query -W -f='${Status}' xdplb 2>/dev/null | grep -q "install ok installed" ||
	[ -e /usr/sbin/xdplb ]; then
	echo "ok $((n + 1)) # SKIP xdplb is installed already: the install round trip would touch it"
	n=$((n + 1))
	tap_end
	exit
fi
etc_before=$([ -e /etc/xdplb ] && echo yes)
start=$SECONDS
INSTALLED=1
if dpkg -i "$DEB" >"$TMP/out" 2>"$TMP/err"; then
	ok "dpkg -i"
else
	# dependencies not installed yet: apt resolves them
	DEBIAN_FRONTEND=noninteractive apt-get install -f -y -qq >>"$TMP/out" 2>>"$TMP/err" &&
		dpkg -s xdplb >/dev/null 2>&1 && ok "dpkg -i, then apt-get install -f" ||
		{ not_ok "dpkg -i"; show_output; }
fi
check "xdplb version, from the package" /usr/sbin/xdplb version
want=$(dpkg-query -W -f='${Version}' xdplb | sed 's/-[^-]*$//')
assert "... says the package's version ($want)" grep -q "^xdplb $want (ABI [0-9]*)" "$TMP/out"
check "man -w xdplb" man -w xdplb
assert "... finds the package's page" grep -qx /usr/share/man/man8/xdplb.8.gz "$TMP/out"
check "man -w 5 xdplb.json" man -w 5 xdplb.json
# where systemd looks: the unit path of this systemd
systemd-analyze unit-paths >"$TMP/paths" 2>/dev/null
for u in xdplb@.service xdplb-serve.service xdplb-audit@.service xdplb-audit@.timer; do
	f=$(while read -r d; do [ -e "$d/$u" ] && echo "$d/$u" && break; done <"$TMP/paths")
	[ -n "$f" ] || echo "$u"
done >"$TMP/out"
assert "the four units are in systemd's unit path ($(dirname "$(ls /lib/systemd/system/xdplb-serve.service)"))" \
	test ! -s "$TMP/out"
check "systemd-analyze verify of the installed units" systemd-analyze verify \
	/lib/systemd/system/xdplb@.service /lib/systemd/system/xdplb-audit@.service \
	/lib/systemd/system/xdplb-serve.service /lib/systemd/system/xdplb-audit@.timer
assert "... ExecStart is /usr/sbin/xdplb in every service" \
	test "$(grep -h '^ExecStart=' /lib/systemd/system/xdplb*.service | grep -vc '^ExecStart=/usr/sbin/xdplb ')" = 0

# ---------------------------------------------------------------- upgrade
# with a data path loaded by the installed binary: the upgrade's scripts
# leave its program, link, generation and conntrack as they were
private_bpffs
veth_ns "$NS"
live() {
	nsenter --net=/run/netns/"$NS" /usr/sbin/xdplb status --iface veth0 --json 2>/dev/null |
		python3 -c "import json, sys; d = json.load(sys.stdin)
print(d['prog_id'], d['link_id'], d['generation'], d['config_digest'], d['attached'])"
}
check "load, with the installed binary" \
	nsenter --net=/run/netns/"$NS" /usr/sbin/xdplb load --iface veth0 "$SRC/examples/lb.json"
before=$(live)
# the same package with a higher version: dpkg runs the upgrade paths
dpkg-deb -R "$DEB" "$TMP/re" && sed -i 's/^Version: .*/&+upgrade1/' "$TMP/re/DEBIAN/control" &&
	dpkg-deb -b "$TMP/re" "$TMP/up.deb" >/dev/null
check "dpkg -i of version $(dpkg-deb -f "$TMP/up.deb" Version): an upgrade" dpkg -i "$TMP/up.deb"
assert "... the data path is as it was (prog, link, generation, digest: $before)" \
	test -n "$before" -a "$(live)" = "$before"

# across an ABI version: with the LB's maps saying another ABI (faked in
# its pinned ctl map), preinst refuses the upgrade and nothing changes;
# after `xdplb unload` (here: the ABI written back) it goes through
CTL=$(ls -d "$XDPLB_BPFFS"/xdplb/veth0@ns* 2>/dev/null | head -1)/ctl
v1=$(dpkg-query -W -f='${Version}' xdplb)
dpkg-deb -R "$DEB" "$TMP/re2" && sed -i 's/^Version: .*/&+upgrade2/' "$TMP/re2/DEBIAN/control" &&
	dpkg-deb -b "$TMP/re2" "$TMP/up2.deb" >/dev/null
if ! command -v bpftool >/dev/null; then
	ok "an upgrade across an ABI version # SKIP no bpftool to fake an LB of another ABI"
elif ctl_abi "$CTL" $((abi - 1)) >/dev/null && [ "$(ctl_abi "$CTL")" = $((abi - 1)) ]; then
	bpftool -j map lookup pinned "$CTL" key 0 0 0 0 >"$TMP/ctl-before"
	expect_rc "dpkg -i, the LB of ABI $((abi - 1)) loaded: refused (exit 1)" 1 dpkg -i "$TMP/up2.deb"
	assert "... preinst says which LB and to unload it first" \
		grep -q "the LB on veth0 (.*/xdplb/veth0@ns[0-9]*) has ABI version $((abi - 1)), this xdplb has $abi: run \`xdplb unload --iface veth0\`" "$TMP/err"
	assert "... the installed package is still $v1" \
		test "$(dpkg-query -W -f='${Version} ${Status}' xdplb)" = "$v1 install ok installed"
	assert "... the LB's ctl map is as it was" \
		cmp -s "$TMP/ctl-before" <(bpftool -j map lookup pinned "$CTL" key 0 0 0 0)
	ctl_abi "$CTL" "$abi" >/dev/null
	assert "... and, its ABI written back, the data path is as it was" test "$(live)" = "$before"
	check "dpkg -i, every LB of this ABI: the upgrade goes through" dpkg -i "$TMP/up2.deb"
	assert "... version $(dpkg-query -W -f='${Version}' xdplb)" \
		test "$(dpkg-query -W -f='${Version}' xdplb)" = "$(dpkg-deb -f "$TMP/up2.deb" Version)"
else
	not_ok "writing ABI $((abi - 1)) into $CTL"
fi

# ---------------------------------------------------------------- purge
check "dpkg --purge xdplb" dpkg --purge xdplb
INSTALLED=
echo "# install, checks and purge took $((SECONDS - start)) s"
left=$(grep -v '/$' "$TMP/files" | while read -r f; do [ -e "$f" ] && echo "$f"; done)
assert "... every file of the package is gone" test -z "$left"
[ -z "$etc_before" ] && assert "... /etc/xdplb is gone (it was empty)" test ! -e /etc/xdplb
assert "... dpkg knows no xdplb" test -z "$(dpkg-query -W -f='${Status}' xdplb 2>/dev/null | grep installed)"
assert "... and the data path still runs (the purge unloads nothing)" \
	test "$(nsenter --net=/run/netns/"$NS" "$XDPLB" status --iface veth0 --json 2>/dev/null |
		python3 -c "import json, sys; print(json.load(sys.stdin)['prog_id'])")" = "${before%% *}"

tap_end

#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# The man pages: `make man` builds xdplb(8) and xdplb.json(5) with scdoc;
# xdplb(8), as man renders it, has a section for every command and
# subcommand of the option tables with its usage line and every option
# (as `xdplb COMMAND --help` lists them); xdplb.json(5) has every key of
# docs/config.md's tables; man reads both without a warning. TAP output.
set -u

TMP=$(mktemp -d /tmp/xdplb-man.XXXXXX)
. "$(dirname "$0")/lib.sh"
trap 'rm -rf "$TMP"' EXIT
O=$(dirname "$XDPLB")

echo "TAP version 13"
check "make man" make -s -C "$SRC" O="$O" man
render() { # render PAGE: plain text, one long line per paragraph
	MANWIDTH=1000 LC_ALL=C.UTF-8 man --no-hyphenation --no-justification -l "$1" 2>"$TMP/warn" |
		col -b
}
for p in xdplb.8 xdplb.json.5; do
	render "$O/man/$p" >"$TMP/$p.txt"
	[ -s "$TMP/$p.txt" ] && [ ! -s "$TMP/warn" ] && ok "man renders $p without a warning" ||
		{ not_ok "man $p: $(head -3 "$TMP/warn")"; }
done

# every command and subcommand, as the tables list them
cmds=$("$XDPLB" help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { exit }')
all=$(for c in $cmds; do
	"$XDPLB" "$c" --help | awk -v c="$c" '/^subcommands:/ { s = 1; next } s && /^  [a-z]/ { print c "_" $1; n++ } END { if (!n) print c }'
done)
python3 - "$TMP/xdplb.8.txt" "$XDPLB" $all >"$TMP/out" 2>&1 <<'PY'
import re, subprocess, sys
man = open(sys.argv[1]).read()
xdplb = sys.argv[2]
# the reference: "   xdplb CMD" subsection headings, each up to the next
sections = {}
for m in re.finditer(r"^   (xdplb [a-z -]+)\n(.*?)(?=^   xdplb |^[A-Z]|\Z)", man, re.M | re.S):
    sections[m.group(1).strip()] = m.group(2)
bad, n = [], 0
for c in sys.argv[3:]:
    words = c.replace("_", " ").split()
    name = "xdplb " + " ".join(words)
    out = subprocess.run([xdplb, *words, "--help"], capture_output=True, text=True).stdout
    sec = sections.get(name)
    if sec is None:
        bad.append(f"{name}: no section")
        continue
    usage = [l[len("usage: "):] for l in out.split("\n") if l.startswith("usage: ")]
    for u in usage:
        if u.strip() not in sec:
            bad.append(f"{name}: usage line missing: {u.strip()}")
    # "  -i, --iface IF    help": the label and its help, both in the section
    for l in out.split("\n"):
        m = re.match(r"^  (-\S.*?)\s{2,}(\S.*)$", l)
        if not m:
            continue
        n += 1
        label, text = m.groups()
        if label not in sec:
            bad.append(f"{name}: option {label} missing")
        elif " ".join(text.replace("`", "").split()) not in " ".join(sec.split()):
            bad.append(f"{name}: help of {label} differs")
print(f"# {len(sys.argv) - 3} commands, {n} options checked")
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
PY
rc=$?
head -1 "$TMP/out"
[ $rc = 0 ] && ok "xdplb(8): every command and subcommand, its usage and every option with its help" ||
	{ not_ok "xdplb(8) misses some of the option tables"; sed 's/^/# /' "$TMP/out" | head -20; }
for c in $cmds; do grep -q "^       $c$" "$TMP/xdplb.8.txt" || echo "$c"; done >"$TMP/out"
assert "xdplb(8) COMMANDS lists every command" test ! -s "$TMP/out"
for g in --verbose --json --help --version; do grep -q -- "^       -.*$g" "$TMP/xdplb.8.txt" || echo "$g"; done >"$TMP/out"
assert "xdplb(8) lists the global options" test ! -s "$TMP/out"

# every key of docs/config.md's tables (the first column of a | `key` | row)
grep -o '^| `[a-z_]*`' "$SRC/docs/config.md" | tr -d '|` ' | sort -u >"$TMP/keys"
while read -r k; do grep -q "^       $k$" "$TMP/xdplb.json.5.txt" || echo "$k"; done <"$TMP/keys" >"$TMP/out"
[ "$(wc -l <"$TMP/keys")" -ge 30 ] && [ ! -s "$TMP/out" ] &&
	ok "xdplb.json(5): every key of docs/config.md ($(wc -l <"$TMP/keys") keys)" ||
	{ not_ok "xdplb.json(5) misses keys: $(tr '\n' ' ' <"$TMP/out")"; }

tap_end

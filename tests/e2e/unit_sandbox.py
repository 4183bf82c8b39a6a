#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""unit_sandbox.py: what a systemd unit allows, and whether a run of its
command (traced with strace -f) stayed inside it. Without systemd as PID 1
the sandbox cannot be applied whole; tests/e2e/test_units.sh applies the
capability bounding set and no_new_privs for real (setpriv) and checks the
rest on the trace:

  unit_sandbox.py get UNIT KEY         the values of KEY (space-separated)
  unit_sandbox.py check UNIT TRACE MAP...
      every system call in TRACE is in SystemCallFilter=, every socket's
      family in RestrictAddressFamilies=, every file written under
      ReadWritePaths= (or /tmp: PrivateTmp=), /proc read only per process
      (ProcSubset=pid), /dev only what PrivateDevices= leaves. MAP is
      UNITPATH=TESTPATH: where the test put what the unit's path names
      (its private bpffs for /sys/fs/bpf). Prints each violation; exit 1 if
      any."""
import re, subprocess, sys


def unit_values(path, key):
    vals = []
    for ln in open(path):
        m = re.match(rf"^{re.escape(key)}=(.*)$", ln.strip())
        if m:
            vals = [] if not m.group(1) else vals + m.group(1).split()
    return vals


def expand(names, seen=None):
    """@groups to syscall names, as systemd-analyze syscall-filter lists them."""
    seen = seen if seen is not None else set()
    out = set()
    for n in names:
        if not n.startswith("@"):
            out.add(n)
            continue
        if n in seen:
            continue
        seen.add(n)
        txt = subprocess.run(["systemd-analyze", "syscall-filter", n], check=True,
                             capture_output=True, text=True).stdout
        sub = [ln.strip() for ln in txt.split("\n")[1:]
               if ln.strip() and not ln.strip().startswith("#")]
        out |= expand(sub, seen)
    return out


# What systemd itself allows whatever the filter says (execve of the
# command, and what the dynamic loader does before main).
IMPLICIT = {"execve", "exit", "exit_group", "rt_sigreturn", "getrandom"}
# PrivateDevices=yes keeps these (systemd.exec(5))
DEVICES = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty",
           "/dev/ptmx", "/dev/pts", "/dev/shm", "/dev/mqueue", "/dev/hugepages", "/dev/log",
           "/dev/stdin", "/dev/stdout", "/dev/stderr", "/dev/fd"}
WRITE_CALLS = {"mkdir", "mkdirat", "unlink", "unlinkat", "rename", "renameat", "renameat2",
               "rmdir", "link", "linkat", "symlink", "symlinkat", "chmod", "fchmodat",
               "truncate", "mknod", "mknodat"}


def under(path, roots):
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


def check(unit, trace, maps):
    allowed = expand(unit_values(unit, "SystemCallFilter")) | IMPLICIT
    families = set(unit_values(unit, "RestrictAddressFamilies"))
    rw = unit_values(unit, "ReadWritePaths")
    for d in ("StateDirectory", "RuntimeDirectory"):
        base = "/var/lib/" if d == "StateDirectory" else "/run/"
        rw += [base + v for v in unit_values(unit, d)]
    if unit_values(unit, "PrivateTmp") == ["yes"]:
        rw += ["/tmp", "/var/tmp"]
    m = dict(x.split("=", 1) for x in maps)
    rw = [m.get(p, p) for p in rw]
    bad = []
    call = re.compile(r"^\d+\s+(?:<\.\.\. )?([a-z0-9_]+)[( ](.*)$")
    for ln in open(trace):
        mm = call.match(ln)
        if not mm:
            continue
        name, rest = mm.groups()
        if name in ("exited", "killed", "restart_syscall"):
            continue
        if name not in allowed:
            bad.append(f"system call {name} outside SystemCallFilter")
        if name == "socket":
            fam = rest.split(",")[0].strip("(")
            if fam not in families:
                bad.append(f"socket family {fam} outside RestrictAddressFamilies")
        paths = re.findall(r'"(/[^"]*)"', rest)
        if name in ("open", "openat", "openat2") and paths:
            p = paths[0]
            if re.search(r"O_WRONLY|O_RDWR|O_CREAT|O_TRUNC", rest) and not under(p, rw) \
                    and not under(p, DEVICES) and not p.startswith("/proc/self/"):
                bad.append(f"writes {p}, outside ReadWritePaths")
            if p.startswith("/proc/") and unit_values(unit, "ProcSubset") == ["pid"] and \
                    not re.match(r"^/proc/(self|thread-self|\d+)(/|$)", p):
                bad.append(f"reads {p}, hidden by ProcSubset=pid")
            if p.startswith("/dev/") and not under(p, DEVICES) and " = -1 " not in rest:
                bad.append(f"opens {p}, hidden by PrivateDevices")
        if name in WRITE_CALLS:
            for p in paths:
                if not under(p, rw):
                    bad.append(f"{name} {p}, outside ReadWritePaths")
    for b in sorted(set(bad)):
        print(b)
    return 1 if bad else 0


def main():
    if sys.argv[1] == "get":
        print(" ".join(unit_values(sys.argv[2], sys.argv[3])))
        return 0
    return check(sys.argv[2], sys.argv[3], sys.argv[4:])


if __name__ == "__main__":
    sys.exit(main())

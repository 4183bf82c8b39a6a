#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Judges what tools/lab_traffic.py recorded, for tests/e2e/test_lab_*.sh.
Prints its figures; exits 1 when the claim does not hold.

  split RESULT CONFIG VIP [--z Z]     every request ok; every active backend served
                                      some, drained/down ones none; each backend's count
                                      within Z binomial standard deviations of its
                                      weight share (Z = 4: a false alarm about 6e-5 per
                                      backend when the split is right)
  hold OUT [--keep B,..] [--reset B=WALL,..] [--min-requests K]
                                      long-lived connections: those that started on a
                                      --keep backend (or on any backend not named in
                                      --reset) never failed nor moved; those on a
                                      --reset backend worked until WALL (epoch s) and were
                                      reset after it
  churn OUT [--min N]                 no connection failed, at least N made
  events OUT NAME=WALL.. [--max S]    new connections (churn) around events at WALL (epoch
                                      s), in order: per event, the connections started from
                                      it to the next one (the last: to the end), how many
                                      failed and when the failures end after it; exit 1 if
                                      one event's failures end S s or more after it (S = 1)
                                      or a connection failed before the first event
  window OUT BACKEND T0 T1            BACKEND's share of the connections made in
                                      [T0, T1] (epoch s) and after T1
  failover OUT BACKEND T_FAIL T_BACK [--grace G]
                                      BACKEND failed at T_FAIL and was brought back at
                                      T_BACK (epoch s): no connection started from
                                      T_FAIL + G on failed (G = 2), and BACKEND got none
                                      of those started in [T_FAIL + G, T_BACK]
  logtime LOG AFTER REGEX [REGEX2]    the time (epoch s) of the service log's first line
                                      matching REGEX stamped at or after AFTER (and of the
                                      first line matching REGEX2 after it); exit 1 if none
"""
import json
import math
import re
import sys
import time


def split(res, cfg, vip, z_max):
    r = json.load(open(res))
    c = json.load(open(cfg))
    v = [v for v in c["vips"] if v["name"] == vip][0]
    act = [b for b in v["backends"] if b.get("state", "active") == "active"]
    wsum = sum(b["weight"] for b in act)
    n = r["requests"]
    good = r["failed"] == 0
    print("%s: %d requests, %d ok, %d failed %s" % (vip, n, r["ok"], r["failed"],
                                                     r["errors"] or ""))
    print("  backend  state    got  expected     sd      z")
    for b in v["backends"]:
        got = r["by_backend"].get(b["name"], 0)
        p = b["weight"] / wsum if b.get("state", "active") == "active" else 0.0
        exp = n * p
        sd = math.sqrt(n * p * (1 - p))
        z = abs(got - exp) / sd if sd else (0.0 if got == 0 else float("inf"))
        bad = z > z_max or (p > 0 and got == 0) or (p == 0 and got > 0)
        good &= not bad
        print("  %-8s %-6s %5d  %8.1f  %5.1f  %5.2f%s" % (b["name"], b.get("state", "active"),
              got, exp, sd, z, "  <- out of bounds" if bad else ""))
    unknown = set(r["by_backend"]) - {b["name"] for b in v["backends"]}
    if unknown:
        print("  served by backends not in the config: %s" % sorted(unknown))
        good = False
    return good


def hold(out, keep, reset, min_req):
    d = json.load(open(out))
    t0 = d["t0_wall"]
    good = True
    by = {}
    for c in d["conns"]:
        b = c["backend"]
        by.setdefault(b, []).append(c)
        err_wall = t0 + c["error_t"] if c["error"] else None
        if b is None:
            print("  conn %d: never answered (%s)" % (c["id"], c["error"]))
            good = False
        elif b in reset:
            t = reset[b]
            if c["error"] is None:
                print("  conn %d on %s: not reset after its backend was removed" % (c["id"], b))
                good = False
            elif err_wall < t:
                print("  conn %d on %s: failed %.2f s BEFORE the removal (%s)" % (
                    c["id"], b, t - err_wall, c["error"]))
                good = False
            elif c["changes"]:
                print("  conn %d on %s: answered by another backend %s" % (c["id"], b,
                                                                          c["changes"]))
                good = False
        else:
            if c["error"] or c["changes"] or c["requests"] < min_req:
                print("  conn %d on %s: error %s at %s, moved %s, %d requests" % (
                    c["id"], b, c["error"], c["error_t"], c["changes"], c["requests"]))
                good = False
    for b in sorted(by, key=str):
        cs = by[b]
        errs = sorted(set(c["error"] for c in cs if c["error"]))
        extra = ""
        if b in reset:
            lat = [t0 + c["error_t"] - reset[b] for c in cs if c["error"]]
            if lat:
                extra = ", reset %.2f..%.2f s after the removal" % (min(lat), max(lat))
        print("  %s: %d connections, %d..%d requests each, %d moved, errors %s%s" % (
            b, len(cs), min(c["requests"] for c in cs), max(c["requests"] for c in cs),
            sum(1 for c in cs if c["changes"]), errs or "none", extra))
    for b in keep:
        if b not in by:
            print("  no connection started on %s: the test cannot judge it" % b)
            good = False
    for b in reset:
        if b not in by:
            print("  no connection started on %s: the test cannot judge it" % b)
            good = False
    return good


def churn(out, min_n):
    d = json.load(open(out))
    errs = {}
    by = {}
    for t, name, err in d["log"]:
        if err:
            errs[err] = errs.get(err, 0) + 1
        else:
            by[name] = by.get(name, 0) + 1
    print("  %d connections in %.1f s, %d failed %s; per backend %s" % (
        d["connections"], d["seconds"], d["failed"], errs or "", dict(sorted(by.items()))))
    for t, name, err in [x for x in d["log"] if x[2]][:5]:
        print("  failed at %.2f s: %s" % (t, err))
    return d["failed"] == 0 and d["connections"] >= min_n


def events(out, ev, max_span):
    d = json.load(open(out))
    t0 = d["t0_wall"]
    lat = dict((round(t, 4), l) for t, l in d.get("latency", []))
    good = True
    print("%d connections in %.1f s, %d failed (timeout 1 s)" % (d["connections"], d["seconds"],
                                                                 d["failed"]))
    for j, (name, te) in enumerate(ev):
        end = ev[j + 1][1] if j + 1 < len(ev) else t0 + d["seconds"]
        win = [x for x in d["log"] if te <= t0 + x[0] < end]
        bad = [x for x in win if x[2]]
        slow = [x for x in win if not x[2] and lat.get(x[0], 0) > 0.5]
        span = max(t0 + x[0] for x in bad) - te if bad else 0.0
        print("  %-8s %4d connections after it, %d failed %s, %d slower than 0.5 s; "
              "failures end %.2f s after it" % (name, len(win), len(bad),
                                                sorted(set(x[2] for x in bad)), len(slow), span))
        good &= span < max_span
    before = [x for x in d["log"] if t0 + x[0] < ev[0][1] and x[2]]
    print("  before the first event: %d failed" % len(before))
    return good and not before


def window(out, backend, t_a, t_b):
    d = json.load(open(out))
    t0 = d["t0_wall"]
    during = [x for x in d["log"] if t_a <= t0 + x[0] <= t_b and not x[2]]
    after = [x for x in d["log"] if t0 + x[0] > t_b and not x[2]]
    for what, xs in (("during the forced config", during), ("after the rollback", after)):
        k = sum(1 for x in xs if x[1] == backend)
        print("  %s took %d of %d new connections %s (%.0f%%)" % (
            backend, k, len(xs), what, 100.0 * k / len(xs) if xs else 0))
    return True


def failover(out, backend, t_fail, t_back, grace):
    d = json.load(open(out))
    t0 = d["t0_wall"]
    t_ok = t_fail + grace
    before = [x for x in d["log"] if t0 + x[0] < t_fail]
    early = [x for x in d["log"] if t_fail <= t0 + x[0] < t_ok]
    after = [x for x in d["log"] if t0 + x[0] >= t_ok]
    out_win = [x for x in after if t0 + x[0] <= t_back]
    on_be = sum(1 for x in out_win if x[1] == backend)
    def nfail(xs):
        return sum(1 for x in xs if x[2])

    errs = {}
    for x in before + early + after:
        if x[2]:
            errs[x[2]] = errs.get(x[2], 0) + 1
    print("  before the failure: %d connections, %d failed" % (len(before), nfail(before)))
    print("  first %.1f s after it: %d connections, %d failed; errors %s" % (
        grace, len(early), nfail(early), errs or "none"))
    print("  from %.1f s after it on: %d connections, %d failed; %d of the %d before %s was "
          "brought back went to it" % (grace, len(after), nfail(after), on_be, len(out_win),
                                       backend))
    fails = [t0 + x[0] - t_fail for x in early + after if x[2]]
    if fails:
        print("  failed connections started %.2f to %.2f s after the failure" % (
            min(fails), max(fails)))
    return nfail(before) == 0 and nfail(after) == 0 and on_be == 0 and len(after) >= 20


def logtime(log, after, rx, rx2):
    """Service log lines are "YYYY-MM-DDTHH:MM:SS.mmm text" (tools/lab's stamps)."""
    t1 = None
    for line in open(log, errors="replace"):
        stamp, _, text = line.partition(" ")
        try:
            t = time.mktime(time.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S")) + float(stamp[19:])
        except ValueError:
            continue
        if t < after:
            continue
        if t1 is None and re.search(rx, text):
            t1 = t
            if not rx2:
                break
        elif t1 is not None and re.search(rx2, text):
            print("%.3f %.3f" % (t1, t))
            return True
    if t1 is not None and not rx2:
        print("%.3f" % t1)
        return True
    return False


def main():
    a = sys.argv[1:]
    opt = {}
    pos = []
    i = 0
    while i < len(a):
        if a[i].startswith("--"):
            opt[a[i][2:]] = a[i + 1]
            i += 2
        else:
            pos.append(a[i])
            i += 1
    cmd = pos[0]
    if cmd == "split":
        good = split(pos[1], pos[2], pos[3], float(opt.get("z", 4)))
    elif cmd == "hold":
        keep = [b for b in opt.get("keep", "").split(",") if b]
        reset = {k: float(v) for k, v in (x.split("=") for x in opt.get("reset", "").split(",")
                                          if x)}
        good = hold(pos[1], keep, reset, int(opt.get("min-requests", 1)))
    elif cmd == "churn":
        good = churn(pos[1], int(opt.get("min", 1)))
    elif cmd == "events":
        ev = [(x.split("=")[0], float(x.split("=")[1])) for x in pos[2:]]
        good = events(pos[1], ev, float(opt.get("max", 1)))
    elif cmd == "window":
        good = window(pos[1], pos[2], float(pos[3]), float(pos[4]))
    elif cmd == "failover":
        good = failover(pos[1], pos[2], float(pos[3]), float(pos[4]),
                        float(opt.get("grace", 2)))
    elif cmd == "logtime":
        good = logtime(pos[1], float(pos[2]), pos[3], pos[4] if len(pos) > 4 else "")
    else:
        sys.exit(__doc__)
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())

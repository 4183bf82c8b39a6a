#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Traffic for the namespace lab (tools/lab): the backends' HTTP server and the
client's request generators. Standard library only; every loop is bounded in
count and in time, every socket has a timeout.

  serve  --name NAME --pidfile F          an HTTP server on [::]:80 (and 0.0.0.0:80)
                                          answering NAME, keep-alive capable
  http   --vip A [--port P] -n N          N requests, one new connection each, from a
                                          fixed set of distinct (source address, port)
                                          pairs; prints per-backend counts (JSON with --json)
  hold   --vip A --conns K --out F        K keep-alive connections, a request on each
                                          every --interval s until --duration or --stop-file
  churn  --vip A --rate R --out F         new connections at about R/s until --duration or
                                          --stop-file; every failure is recorded
  udp-serve --name NAME --bind A,A --port P --pidfile F
                                          a UDP server on each VIP address A (so that replies
                                          leave from the VIP) answering NAME, until --duration
  udp    --vip A --port P --source S --sport N --count K
                                          K datagrams from one 5-tuple, one every --interval s;
                                          prints (JSON) the backend that answered each
"""
import argparse
import errno
import json
import os
import random
import socket
import sys
import threading
import time


# ------------------------------------------------------------------ server
def serve(a):
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    body = (a.name + "\n").encode()

    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive unless the client says close
        timeout = 120

        def do_GET(self):
            # GET /?size=N (N <= 64 MB): a download, NAME then N bytes
            size = 0
            if self.path.startswith("/?size="):
                try:
                    size = min(max(int(self.path[7:]), 0), 64 << 20)
                except ValueError:
                    size = 0
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body) + size))
            self.end_headers()
            self.wfile.write(body)
            chunk = b"y" * 65536
            while size > 0:  # bounded: size / 64 KB writes
                self.wfile.write(chunk[:size])
                size -= min(size, len(chunk))

        def do_POST(self):  # an upload: answers NAME and the bytes received
            n = int(self.headers.get("Content-Length", 0))
            got = 0
            while got < n:
                chunk = self.rfile.read(min(65536, n - got))
                if not chunk:
                    break
                got += len(chunk)
            out = ("%s %d\n" % (a.name, got)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *args):
            pass

    class S(ThreadingHTTPServer):
        address_family = socket.AF_INET6
        daemon_threads = True
        request_queue_size = 256

        def server_bind(self):
            # one dual-stack socket: IPv4 VIPs arrive as v4-mapped addresses
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            super().server_bind()

    srv = S(("::", a.port), H)
    tmp = a.pidfile + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % os.getpid())
    os.rename(tmp, a.pidfile)  # listening from here on
    srv.serve_forever()


# ------------------------------------------------------------------ clients
def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def sources(a):
    """The client's source addresses, as tools/lab configured them."""
    if a.sources:
        return a.sources.split(",")
    return [a.vip and ("2001:db8:c::2" if ":" in a.vip else "192.0.2.130")]


def one_request(vip, port, src, sport, timeout, body_size=0, download_size=0):
    """One connection, one GET (or a POST of body_size bytes, or a GET of
    download_size bytes); returns (backend name, None) or (None, error)."""
    s = socket.socket(family_of(vip), socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((src, sport))
        s.connect((vip, port))
        if body_size:
            s.sendall(b"POST / HTTP/1.1\r\nHost: lab\r\nConnection: close\r\n"
                      b"Content-Length: %d\r\n\r\n" % body_size + b"x" * body_size)
        elif download_size:
            s.sendall(b"GET /?size=%d HTTP/1.1\r\nHost: lab\r\nConnection: close\r\n\r\n"
                      % download_size)
        else:
            s.sendall(b"GET / HTTP/1.1\r\nHost: lab\r\nConnection: close\r\n\r\n")
        chunks, got = [], 0
        while True:  # the server closes after the response (Connection: close)
            chunk = s.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
            if got > download_size + 65536:
                break
        data = b"".join(chunks)
        head, _, body = data.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            return None, "bad response %r" % head[:40]
        if download_size:
            line, _, rest = body.partition(b"\n")
            if len(rest) != download_size:
                return None, "download of %d bytes arrived as %d" % (download_size, len(rest))
            body = line
        name = body.decode().strip()
        if body_size:
            name, _, got = name.partition(" ")
            if got != str(body_size):
                return None, "upload of %d bytes arrived as %s" % (body_size, got)
        return name, None
    except OSError as e:
        return None, errno.errorcode.get(e.errno, "") or type(e).__name__
    finally:
        s.close()


def http(a):
    srcs = sources(a)
    n = a.n
    res = [None] * n
    nxt = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + a.max_time

    def worker():
        while True:
            with lock:
                i = nxt[0]
                nxt[0] += 1
            if i >= n:
                return
            if time.monotonic() > deadline:
                res[i] = (None, "not sent: --max-time reached")
                continue
            # tuple i: a fixed source address and a fixed, distinct source port
            src = srcs[i % len(srcs)]
            sport = a.port_base + i
            res[i] = one_request(a.vip, a.port, src, sport, a.timeout, a.body_size,
                                 a.download_size)

    t0 = time.monotonic()
    th = [threading.Thread(target=worker) for _ in range(min(a.parallel, n))]
    for t in th:
        t.start()
    for t in th:
        t.join()
    by = {}
    errs = {}
    for name, err in res:
        if name:
            by[name] = by.get(name, 0) + 1
        else:
            errs[err] = errs.get(err, 0) + 1
    out = {"requests": n, "ok": sum(by.values()), "failed": n - sum(by.values()),
           "by_backend": dict(sorted(by.items())), "errors": errs,
           "seconds": round(time.monotonic() - t0, 3)}
    if a.conns_out:  # each connection's 5-tuple and its backend (or error)
        with open(a.conns_out, "w") as f:
            json.dump([[srcs[i % len(srcs)], a.port_base + i, res[i][0], res[i][1]]
                       for i in range(n)], f)
    if a.json:
        print(json.dumps(out))
    else:
        print("%d requests to %s port %d in %.1f s: %d ok, %d failed" % (
            n, a.vip, a.port, out["seconds"], out["ok"], out["failed"]))
        for k, v in out["by_backend"].items():
            print("  %-8s %5d  %5.1f%%" % (k, v, 100.0 * v / n))
        for k, v in errs.items():
            print("  error %s: %d" % (k, v))
    return 0 if out["failed"] == 0 else 1


def stop_now(a, deadline):
    return time.monotonic() > deadline or (a.stop_file and os.path.exists(a.stop_file))


def recv_response(s):
    """Reads one HTTP/1.1 response with a Content-Length; returns the body."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            raise ConnectionError("closed by peer")
        data += chunk
        if len(data) > 65536:
            raise ConnectionError("header too long")
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
    while len(body) < length:
        chunk = s.recv(4096)
        if not chunk:
            raise ConnectionError("closed by peer")
        body += chunk
    return body.decode().strip()


def hold(a):
    """K long-lived connections; each records its first backend, every change,
    and the error that ended it, if any."""
    srcs = sources(a)
    t0 = time.monotonic()
    wall0 = time.time()  # log times are seconds since wall0
    deadline = t0 + a.duration
    conns = [dict(id=i, src=srcs[i % len(srcs)], sport=a.port_base + i, backend=None,
                  requests=0, changes=[], error=None, error_t=None, closed_ok=False)
             for i in range(a.conns)]

    def run(c):
        s = socket.socket(family_of(a.vip), socket.SOCK_STREAM)
        s.settimeout(a.timeout)
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((c["src"], c["sport"]))
            s.connect((a.vip, a.port))
            while not stop_now(a, deadline):
                s.sendall(b"GET / HTTP/1.1\r\nHost: lab\r\n\r\n")
                name = recv_response(s)
                c["requests"] += 1
                if c["backend"] is None:
                    c["backend"] = name
                elif name != (c["changes"][-1][1] if c["changes"] else c["backend"]):
                    c["changes"].append((round(time.monotonic() - t0, 3), name))
                time.sleep(a.interval)
            c["closed_ok"] = True
        except (OSError, ConnectionError) as e:
            c["error"] = (errno.errorcode.get(getattr(e, "errno", None) or 0, "")
                          or str(e) or type(e).__name__)
            c["error_t"] = round(time.monotonic() - t0, 3)
        finally:
            s.close()

    th = [threading.Thread(target=run, args=(c,)) for c in conns]
    for t in th:
        t.start()
        time.sleep(0.01)
    if a.ready_file:
        # ready once every connection has answered once (or failed)
        while not stop_now(a, deadline) and any(
                c["requests"] == 0 and c["error"] is None for c in conns):
            time.sleep(0.05)
        with open(a.ready_file, "w") as f:
            json.dump({c["id"]: c["backend"] for c in conns}, f)
    for t in th:
        t.join()
    with open(a.out, "w") as f:
        json.dump({"conns": conns, "t0_wall": wall0, "seconds": round(time.monotonic() - t0, 3)}, f)
    return 0


def churn(a):
    """New connections at about --rate per second, --parallel at a time, each
    one GET; a log line per connection: time, backend or error."""
    srcs = sources(a)
    t0 = time.monotonic()
    wall0 = time.time()  # log times are seconds since wall0
    deadline = t0 + a.duration
    log = []
    lat = []  # (start, seconds to the answer or the error), apart: log keeps its 3 fields
    lock = threading.Lock()
    count = [0]
    limit = int(a.rate * a.duration) + 1

    def worker(k):
        while not stop_now(a, deadline):
            with lock:
                i = count[0]
                count[0] += 1
            if i >= limit:
                return
            due = t0 + i / a.rate
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            if stop_now(a, deadline):
                return
            t = time.monotonic() - t0
            name, err = one_request(a.vip, a.port, srcs[i % len(srcs)], 0, a.timeout)
            with lock:
                log.append((round(t, 4), name, err))
                lat.append((round(t, 4), round(time.monotonic() - t0 - t, 4)))

    th = [threading.Thread(target=worker, args=(k,)) for k in range(a.parallel)]
    for t in th:
        t.start()
    for t in th:
        t.join()
    log.sort()
    lat.sort()
    fails = [x for x in log if x[2]]
    with open(a.out, "w") as f:
        json.dump({"connections": len(log), "failed": len(fails), "log": log, "latency": lat,
                   "t0_wall": wall0, "seconds": round(time.monotonic() - t0, 3)}, f)
    return 0


# ------------------------------------------------------------------ UDP
def udp_serve(a):
    """Answers every datagram with NAME, from the address it was sent to: one
    socket per VIP address (a socket bound to any address would answer from
    the backend's own). Until --duration."""
    import select

    socks = []
    for addr in a.bind.split(","):
        s = socket.socket(family_of(addr), socket.SOCK_DGRAM)
        s.bind((addr, a.port))
        socks.append(s)
    tmp = a.pidfile + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % os.getpid())
    os.rename(tmp, a.pidfile)
    deadline = time.monotonic() + a.duration
    while time.monotonic() < deadline:
        r, _, _ = select.select(socks, [], [], 0.5)
        for s in r:
            _, peer = s.recvfrom(2048)
            s.sendto((a.name + "\n").encode(), peer)
    return 0


def udp(a):
    """--count datagrams from one 5-tuple (--source, --sport), one every
    --interval s, each waiting --timeout s for its answer: prints JSON
    {"replies": [[seconds since the first, backend or null], ...]}."""
    s = socket.socket(family_of(a.vip), socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a.source, a.sport))
    s.settimeout(a.timeout)
    out, t0 = [], time.monotonic()
    for i in range(a.count):
        if i:
            time.sleep(a.interval)
        t = round(time.monotonic() - t0, 3)
        s.sendto(b"which backend? %d" % i, (a.vip, a.port))
        try:
            out.append([t, s.recv(2048).decode().strip()])
        except OSError:
            out.append([t, None])
    print(json.dumps({"replies": out}))
    return 0 if all(r[1] for r in out) else 1


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--name", required=True)
    s.add_argument("--port", type=int, default=80)
    s.add_argument("--pidfile", required=True)
    s.add_argument("--lab", default="")  # only to tell this server from others in ps
    s = sub.add_parser("udp-serve")
    s.add_argument("--name", required=True)
    s.add_argument("--bind", required=True, help="comma-separated VIP addresses")
    s.add_argument("--port", type=int, default=5353)
    s.add_argument("--pidfile", required=True)
    s.add_argument("--duration", type=float, default=300)
    s = sub.add_parser("udp")
    s.add_argument("--vip", default="203.0.113.10")
    s.add_argument("--port", type=int, default=5353)
    s.add_argument("--source", default="192.0.2.130")
    s.add_argument("--sport", type=int, default=40000)
    s.add_argument("--count", type=int, default=1)
    s.add_argument("--interval", type=float, default=0.5)
    s.add_argument("--timeout", type=float, default=1.0)
    for name in ("http", "hold", "churn"):
        c = sub.add_parser(name)
        c.add_argument("--vip", default="203.0.113.10")
        c.add_argument("--port", type=int, default=80)
        c.add_argument("--sources", default="", help="comma-separated source addresses")
        c.add_argument("--port-base", type=int, default=None,
                       help="first client source port (http: random by default, so that a rerun\n"
                            "is new flows, not connections the LB remembers; others: 20000)")
        c.add_argument("--timeout", type=float, default=3.0)
        c.add_argument("--stop-file", default="")
        c.add_argument("--out", default="")
        c.add_argument("--parallel", type=int, default=8)
    h = sub.choices["http"]
    h.add_argument("-n", type=int, default=100)
    h.add_argument("--json", action="store_true")
    h.add_argument("--max-time", type=float, default=60)
    h.add_argument("--body-size", type=int, default=0, help="POST this many bytes instead of a GET")
    h.add_argument("--download-size", type=int, default=0,
                   help="GET /?size=N: the server answers its name and N bytes")
    h.add_argument("--conns-out", default="",
                   help="write each connection's [source, source port, backend, error] (JSON)")
    h = sub.choices["hold"]
    h.add_argument("--conns", type=int, default=6)
    h.add_argument("--interval", type=float, default=0.1)
    h.add_argument("--duration", type=float, default=30)
    h.add_argument("--ready-file", default="")
    h = sub.choices["churn"]
    h.add_argument("--rate", type=float, default=50)
    h.add_argument("--duration", type=float, default=30)
    a = p.parse_args()
    if a.cmd in ("udp-serve", "udp"):
        return {"udp-serve": udp_serve, "udp": udp}[a.cmd](a)
    if a.cmd != "serve" and a.port_base is None:
        # the LB's conntrack keeps a known 5-tuple on its old backend across
        # a config change (by design): a fresh port range shows the new split
        a.port_base = 20000 if a.cmd != "http" else random.randrange(20000, 60000 - min(a.n, 5000))
    if a.cmd != "serve" and a.cmd != "http" and not a.out:
        p.error("--out is required")
    return {"serve": serve, "http": http, "hold": hold, "churn": churn}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""The backends of tests/e2e/test_probe.sh: one dual-stack listener on
[::]:PORT whose answer depends on the path. Exits after SECONDS.

  /ok        200                      /fail      503
  /split     200, its status line in three writes 50 ms apart (partial reads)
  /rst       a RST instead of an answer
  /close     a FIN instead of an answer
  /hang      no answer (the checker times out)
  /garbage   not HTTP
  /from/ADDR 200 if the client's address is ADDR, else 403 (the source option)
"""
import socket
import struct
import sys
import threading
import time


def reply(conn, status, reason):
    conn.sendall(b"HTTP/1.1 %d %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                 % (status, reason))


def handle(conn, peer):
    conn.settimeout(5)
    try:
        req = b""
        while b"\r\n\r\n" not in req and len(req) < 4096:
            chunk = conn.recv(4096)
            if not chunk:
                return
            req += chunk
        path = req.split(b" ")[1].decode()
        client = peer[0].removeprefix("::ffff:")
        if path == "/ok":
            reply(conn, 200, b"OK")
        elif path == "/fail":
            reply(conn, 503, b"Service Unavailable")
        elif path == "/split":
            for part in (b"HTTP/1.1 2", b"0", b"0 OK\r\nConnection: close\r\n\r\n"):
                conn.sendall(part)
                time.sleep(0.05)
        elif path == "/rst":
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        elif path == "/close":
            pass
        elif path == "/hang":
            time.sleep(3)
        elif path == "/garbage":
            conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")
        elif path.startswith("/from/"):
            if client == path[len("/from/"):]:
                reply(conn, 200, b"OK")
            else:
                reply(conn, 403, b"Forbidden")
        else:
            reply(conn, 404, b"Not Found")
    except OSError:
        pass
    finally:
        conn.close()


def main():
    port, seconds = int(sys.argv[1]), float(sys.argv[2])
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", port))
    s.listen(128)
    s.settimeout(0.2)
    print("listening", flush=True)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            conn, peer = s.accept()
        except socket.timeout:
            continue
        threading.Thread(target=handle, args=(conn, peer), daemon=True).start()


main()

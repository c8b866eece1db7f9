#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Fake forward proxy on 127.0.0.1 for the transport tests.

CONNECT host:port opens a tunnel (loopback targets only, and names under
.test, RFC 6761 section 6.2, which this proxy resolves to 127.0.0.1); an
absolute-form request "GET http://host:port/path" is forwarded, one per
connection.
Every request line is recorded in --log as a JSON line with the method,
target and Proxy-Authorization header (absent: null).  With --auth
USER:PASS the proxy answers 407 unless the matching basic credentials are
sent.  With --header-bomb N the CONNECT reply carries N header lines
"a:b" with bare LF line ends.  Connections are counted in <log>.conns.  --echo-secrets (see
fakelib.py) adds the request's Proxy-Authorization to forwarded replies.
"""

import base64
import json
import os
import select
import socket
import socketserver
import sys
import threading

sys.path.insert(0, os.path.dirname(__file__))
import fakelib  # noqa: E402

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def loopback(host):
    host = host.strip("[]").lower()
    return host in LOOPBACK or host.endswith(".test")


class Proxy(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.conns = 0
        super().__init__(("127.0.0.1", 0), Handler)


def read_head(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        b = sock.recv(4096)
        if not b:
            return None, b""
        data += b
    head, rest = data.split(b"\r\n\r\n", 1)
    return head.decode("latin-1").split("\r\n"), rest


def pump(a, b):
    socks = [a, b]
    while True:
        r, _, _ = select.select(socks, [], [], 60)
        if not r:
            return
        for s in r:
            d = s.recv(65536)
            if not d:
                return
            (b if s is a else a).sendall(d)


class Handler(socketserver.BaseRequestHandler):
    def record(self, method, target, auth):
        srv = self.server
        if not srv.args.log:
            return
        with srv.lock:
            with open(srv.args.log, "a") as f:
                f.write(json.dumps({"method": method, "target": target,
                                    "proxy_authorization": auth},
                                   sort_keys=True) + "\n")

    def handle(self):
        srv = self.server
        with srv.lock:
            srv.conns += 1
            if srv.args.log:
                with open(srv.args.log + ".conns", "w") as f:
                    f.write("%d\n" % srv.conns)
        c = self.request
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        lines, rest = read_head(c)
        if not lines:
            return
        method, target, _ = lines[0].split(" ", 2)
        hdrs = {}
        for l in lines[1:]:
            k, _, v = l.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        auth = hdrs.get("proxy-authorization")
        self.record(method, target, auth)
        if srv.args.auth:
            want = "Basic " + base64.b64encode(srv.args.auth.encode()).decode()
            if auth != want:
                c.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                          b"Proxy-Authenticate: Basic realm=\"fake\"\r\n"
                          b"Content-Length: 0\r\n\r\n")
                return
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            if not loopback(host):
                c.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                return
            up = socket.create_connection(("127.0.0.1", int(port)))
            up.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            # --header-bomb N: N "a:b" lines with bare LF in the reply,
            # as RFC 9112 2.2 and 5.1 allow a sender's bytes to be read.
            c.sendall(b"HTTP/1.1 200 Connection established\r\n" +
                      b"a:b\n" * srv.args.header_bomb + b"\r\n")
            pump(c, up)
            up.close()
            return
        # Absolute form: http://host:port/path
        if not target.startswith("http://"):
            c.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            return
        hostport, _, path = target[7:].partition("/")
        host, _, port = hostport.rpartition(":")
        if not loopback(host):
            c.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            return
        up = socket.create_connection(("127.0.0.1", int(port or 80)))
        out = ["%s /%s HTTP/1.1" % (method, path)]
        for l in lines[1:]:
            k = l.partition(":")[0].strip().lower()
            if k not in ("proxy-authorization", "connection"):
                out.append(l)
        out.append("Connection: close")
        up.sendall(("\r\n".join(out) + "\r\n\r\n").encode("latin-1") + rest)
        echo = srv.args.echo_secrets and auth
        while True:
            d = up.recv(65536)
            if not d:
                break
            if echo and b"\r\n" in d:
                # --echo-secrets (fakelib.py): reflect Proxy-Authorization.
                i = d.index(b"\r\n") + 2
                d = d[:i] + b"X-Echo: " + auth.encode() + b"\r\n" + d[i:]
                echo = False
            c.sendall(d)
        up.close()


def main():
    ap = fakelib.parser(__doc__.splitlines()[0])
    ap.add_argument("--auth", default="")
    ap.add_argument("--header-bomb", type=int, default=0)
    args = ap.parse_args()
    srv = Proxy(args)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, args.port_file)
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()

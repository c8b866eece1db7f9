# SPDX-License-Identifier: ISC
"""Shared plumbing for the fake servers under tests/fake/.

Every fake listens on 127.0.0.1 port 0, writes the port it got to
--port-file (atomically, so a test can wait for the file), optionally
speaks TLS with the per-run test CA's certificate, records every request it
receives as one JSON line in --log (method, path, headers, body), and counts
TCP connections (= TLS handshakes) in <log>.conns.  Fakes never reach any
address other than loopback.

--echo-secrets makes a fake reflect secrets, as servers and proxies that
copy input into their answers do (CWE-209, "Generation of Error Message
Containing Sensitive Information", https://cwe.mitre.org/data/definitions/
209.html): every reply carries an X-Echo header with the request's
credentials (Authorization, X-Amz-Security-Token, the IMDSv2 token) and the
secrets the fake handed out in earlier replies (Handler.issue()) or found
in the request's body (Handler.reflect(): the fake EC2 reflects the long
words of RunInstances user data, where a JIT config travels).  A
client that logs reply headers at -vvv must mask each of them.
"""

import argparse
import http.server
import json
import os
import socketserver
import ssl
import sys
import threading
import time


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # A real front end's accept queue, not socketserver's 5: with 5, a
    # client opening several connections at once (ghrctl's launch
    # workers) overflowed it, and Linux dropped the SYN, retried after
    # the initial 1 s retransmission timeout (RFC 6298 section 2): a
    # second of delay no real service adds (Linux's default somaxconn
    # is 4096; nginx listens with a backlog of 511).
    request_queue_size = 512

    def __init__(self, addr, handler, args):
        self.args = args
        self.conns = 0
        self.lock = threading.Lock()
        self.state = {}
        self.issued = []        # secrets handed out, for --echo-secrets
        self.issued_lock = threading.Lock()
        super().__init__(addr, handler)

    def finish_request(self, request, client_address):
        # The TLS handshake in the connection's own thread, as a real
        # server does them in parallel: done by accept() (the socket's
        # default), one slow handshake held up every other connection.
        if isinstance(request, ssl.SSLSocket):
            try:
                request.do_handshake()
            except (ssl.SSLError, OSError):
                return
        super().finish_request(request, client_address)

    def get_request(self):
        sock, addr = super().get_request()
        with self.lock:
            self.conns += 1
            if self.args.log:
                with open(self.args.log + ".conns", "w") as f:
                    f.write("%d\n" % self.conns)
        return sock, addr


class Handler(http.server.BaseHTTPRequestHandler):
    """Base handler: HTTP/1.1 keep-alive, request recording, helpers."""

    protocol_version = "HTTP/1.1"
    server_version = "fake/1"

    def log_message(self, fmt, *a):  # quiet: tests read the JSON log
        pass

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            return self.rfile.read(n)
        if (self.headers.get("Transfer-Encoding") or "").lower() == "chunked":
            out = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        return b""

    def record(self, body=b"", **extra):
        if not self.server.args.log:
            return
        entry = {
            "method": self.command,
            "path": self.path,
            "headers": {k: v for k, v in self.headers.items()},
            "body": body.decode("utf-8", "replace"),
            "t": time.time(),
        }
        entry.update(extra)
        with self.server.lock:
            with open(self.server.args.log, "a") as f:
                f.write(json.dumps(entry, sort_keys=True) + "\n")

    def issue(self, secret):
        """Note a secret this reply hands out: later replies echo it."""
        self.__dict__.setdefault("pending_secrets", []).append(secret)

    def reflect(self, value):
        """Echo a secret the request carried in this very reply."""
        self.__dict__.setdefault("reflected", []).append(value)

    def echo(self):
        """The X-Echo value: request credentials, then earlier secrets."""
        vals = [self.headers.get(h) for h in
                ("Authorization", "X-Amz-Security-Token",
                 "X-aws-ec2-metadata-token")]
        vals += self.__dict__.pop("reflected", [])
        with self.server.issued_lock:
            vals += self.server.issued[-8:]
        return " ".join(v for v in vals if v and "\n" not in v)

    def reply(self, status, body=b"", ctype="application/json", headers=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        if body or status not in (204, 304):
            self.send_header("Content-Type", ctype)
        if getattr(self.server.args, "echo_secrets", False):
            self.send_header("X-Echo", self.echo())
        with self.server.issued_lock:
            self.server.issued += self.__dict__.pop("pending_secrets", [])
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def parser(description):
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", default="")
    ap.add_argument("--cert", default="", help="PEM chain; enables TLS")
    ap.add_argument("--key", default="")
    ap.add_argument("--echo-secrets", action="store_true",
                    help="reflect credentials and issued secrets (X-Echo)")
    return ap


def serve(handler, args):
    srv = Server(("127.0.0.1", 0), handler, args)
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        # Security level 0, so the fake can serve the weak certificates
        # (SHA-1, RSA-1024) the client is tested to refuse; OpenSSL's
        # default level would refuse to load them.
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        ctx.load_cert_chain(args.cert, args.key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True,
                                     do_handshake_on_connect=False)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, args.port_file)
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    sys.exit(0)

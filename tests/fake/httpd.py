#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Generic HTTP(S) test server for the transport tests (tests/integ/t90xx).

Behaviour is chosen by the path; every request is recorded in --log and
every TCP connection counted in <log>.conns (see fakelib.py).

  /hello                 200 "hello\\n"
  /chunked               200, chunked body "chunk-one\\nchunk-two\\n" with an
                         extension and a trailer
  /big?n=BYTES           200, BYTES of 'x' with Content-Length
  /big-chunked?n=BYTES   the same, chunked in 1000-byte chunks
  /stall                 reads the request, never answers
  /slow-body             promises 10 bytes, sends 5, then stalls
  /trickle?n=N&every=S   promises N bytes, sends one every S seconds (each
                         read is quick, the whole reply is not); with
                         first503=1 the first request of the path gets 503
                         with Retry-After: 1 instead
  /cut-body              promises 10 bytes, sends 5, then closes
  /cut-chunked           chunked: one chunk "hello", then closes
  /status/N              status N, empty body
  /status/503-then-200?n=K&ra=S  K times 503 with Retry-After: S (default
                         1 and 1), then 200 "ok\\n"; counted per path
  /redirect?to=URL[&code=302]    redirect to URL
  /loop                  302 to itself
  /echo-headers          200, JSON object of the request headers
  /close                 200 with Connection: close, then closes
  /drop-after            200 with Content-Length, then closes silently
  /eof-body              200 without framing, body until close (with TLS:
                         close_notify, then the TCP close)
  /eof-body-no-notify    the same, but the TCP connection just closes, as
                         when an attacker cuts it (no close_notify)
  /header-bomb?n=N       200 whose head has N "a:b" lines with bare LF line
                         ends and no space after the colon (RFC 9112 2.2
                         lets a recipient take a bare LF as a line end;
                         5.1: optional whitespace around the value)
  other paths            404
  --header-bomb N        every path answers as /header-bomb?n=N with the
                         JSON body of an empty runner list
"""

import json
import socket
import ssl
import sys
import time
import urllib.parse

sys.path.insert(0, __import__("os").path.dirname(__file__))
import fakelib  # noqa: E402


class H(fakelib.Handler):
    def setup(self):
        # Headers and body go out in separate writes; without NODELAY
        # Nagle holds the body until the client's delayed ACK (40 ms).
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().setup()

    def do_GET(self):
        self.handle_any()

    def do_HEAD(self):
        self.handle_any()

    def do_POST(self):
        self.handle_any()

    def do_PUT(self):
        self.handle_any()

    def do_DELETE(self):
        self.handle_any()

    def count(self, key):
        with self.server.lock:
            n = self.server.state.get(key, 0) + 1
            self.server.state[key] = n
        return n

    def header_bomb(self, n, body):
        head = b"HTTP/1.1 200 OK\n" + b"a:b\n" * n + \
            b"Content-Type:application/json\nContent-Length:%d\n\n" % len(body)
        self.wfile.write(head + body)

    def handle_any(self):
        body = self.read_body()
        self.record(body)
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        p = u.path
        if self.server.args.header_bomb:
            self.header_bomb(self.server.args.header_bomb,
                             b'{"total_count":0,"runners":[]}')
        elif p == "/header-bomb":
            self.header_bomb(int(q.get("n", "5000")), b"ok\n")
        elif p == "/hello":
            self.reply(200, "hello\n", "text/plain")
        elif p == "/chunked":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.write(b"a;ext=1\r\nchunk-one\n\r\n")
            self.wfile.flush()
            self.wfile.write(b"A\r\nchunk-two\n\r\n0\r\nX-Trailer: t\r\n\r\n")
        elif p == "/big":
            self.reply(200, b"x" * int(q.get("n", "1000")), "text/plain")
        elif p == "/big-chunked":
            n = int(q.get("n", "1000"))
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            while n > 0:
                k = min(n, 1000)
                self.wfile.write(b"%x\r\n%s\r\n" % (k, b"y" * k))
                n -= k
            self.wfile.write(b"0\r\n\r\n")
        elif p == "/stall":
            time.sleep(60)
            self.close_connection = True
        elif p == "/trickle" and q.get("first503") and self.count(p) == 1:
            self.reply(503, "busy\n", "text/plain", {"Retry-After": "1"})
        elif p == "/trickle":
            n = int(q.get("n", "40"))
            self.send_response(200)
            self.send_header("Content-Length", str(n))
            self.end_headers()
            self.wfile.flush()
            try:
                for _ in range(n):
                    time.sleep(float(q.get("every", "0.25")))
                    self.wfile.write(b"x")
                    self.wfile.flush()
            except OSError:
                pass
            self.close_connection = True
        elif p == "/slow-body":
            self.send_response(200)
            self.send_header("Content-Length", "10")
            self.end_headers()
            self.wfile.write(b"12345")
            self.wfile.flush()
            time.sleep(60)
            self.close_connection = True
        elif p in ("/cut-body", "/cut-chunked"):
            # A peer that dies mid-body (RFC 9112 section 8: an incomplete
            # message; the client must not take it as whole).
            self.send_response(200)
            if p == "/cut-body":
                self.send_header("Content-Length", "10")
                self.end_headers()
                self.wfile.write(b"12345")
            else:
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                self.wfile.write(b"5\r\nhello\r\n")
            self.wfile.flush()
            self.close_connection = True
        elif p.startswith("/status/503-then-200"):
            n = self.count(p)
            if n <= int(q.get("n", "1")):
                self.reply(503, "busy\n", "text/plain",
                           {"Retry-After": q.get("ra", "1")})
            else:
                self.reply(200, "ok\n", "text/plain")
        elif p.startswith("/status/"):
            self.reply(int(p.split("/")[2]), b"")
        elif p == "/redirect":
            self.reply(int(q.get("code", "302")), b"", "text/plain",
                       {"Location": q.get("to", "/hello")})
        elif p == "/loop":
            self.reply(302, b"", "text/plain", {"Location": "/loop"})
        elif p == "/echo-headers":
            self.reply(200, {k: v for k, v in self.headers.items()})
        elif p == "/close":
            self.reply(200, "closing\n", "text/plain", {"Connection": "close"})
            self.close_connection = True
        elif p == "/drop-after":
            self.reply(200, "dropped\n", "text/plain")
            self.close_connection = True
        elif p in ("/eof-body", "/eof-body-no-notify"):
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"until-eof\n" * 3)
            self.close_connection = True
            if p == "/eof-body" and isinstance(self.request, ssl.SSLSocket):
                # close_notify, then the TCP close (RFC 8446 6.1).
                try:
                    self.request.settimeout(5)
                    self.request.unwrap()
                except (OSError, ValueError):
                    pass
        else:
            self.reply(404, {"message": "Not Found"})


def main():
    ap = fakelib.parser(__doc__.splitlines()[0])
    ap.add_argument("--header-bomb", type=int, default=0)
    args = ap.parse_args()
    fakelib.serve(H, args)


if __name__ == "__main__":
    main()

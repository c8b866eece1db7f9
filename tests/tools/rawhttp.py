#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""Raw HTTP/1.1 clients for the --metrics-listen tests (t2160): bytes a
well-behaved client would not send, and clients that misbehave on purpose.

usage:
  rawhttp.py send PORT TEXT      send TEXT (\\r \\n \\t escapes; {big:N}
                                 for N bytes of header), print the status
                                 line and the reply's length
  rawhttp.py slow PORT           slowloris: a request head one byte every
                                 0.5 s, never finished; print what the
                                 server answered and after how many seconds
  rawhttp.py flood PORT N        hold N idle connections, then send one full
                                 GET /metrics on another and print its status
                                 line; then close the N and print the status of
                                 a GET /metrics after them
Every answer is one line on stdout; "closed" when the server closed without
a reply.  A reply is read to its end (the server always closes).
"""
import socket
import sys
import time

HOST = "127.0.0.1"


def expand(text):
    out = text.replace("\\r", "\r").replace("\\n", "\n").replace("\\t", "\t")
    while "{big:" in out:
        a = out.index("{big:")
        b = out.index("}", a)
        n = int(out[a + 5:b])
        out = out[:a] + "X-Big: " + "a" * n + "\r\n" + out[b + 1:]
    return out.encode("latin-1")


def read_all(s, limit=30):
    s.settimeout(limit)
    data = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
    except ConnectionResetError:
        pass
    return data


def status(data):
    if not data:
        return "closed"
    return data.split(b"\r\n", 1)[0].decode("latin-1")


def get(port):
    s = socket.create_connection((HOST, port), timeout=30)
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    r = read_all(s)
    s.close()
    return r


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "send":
        s = socket.create_connection((HOST, port), timeout=30)
        try:
            s.sendall(expand(sys.argv[3]))
        except (BrokenPipeError, ConnectionResetError):
            pass
        r = read_all(s)
        s.close()
        body = r.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in r else b""
        print("%s len=%d" % (status(r), len(body)))
        sys.stdout.write(r.decode("latin-1").replace("\r\n", "\n"))
    elif mode == "slow":
        s = socket.create_connection((HOST, port), timeout=30)
        t0 = time.monotonic()
        head = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200
        data = b""
        s.settimeout(0.5)
        for c in head:
            try:
                s.send(bytes([c]))
            except (BrokenPipeError, ConnectionResetError):
                break
            try:
                d = s.recv(4096)
                if not d:
                    break
                data += d
            except socket.timeout:
                continue
            except ConnectionResetError:
                break
            if time.monotonic() - t0 > 60:
                break
        data += read_all(s, 5)
        print("%s after %d s" % (status(data), round(time.monotonic() - t0)))
    elif mode == "flood":
        n = int(sys.argv[3])
        held = []
        for _ in range(n):
            h = socket.create_connection((HOST, port), timeout=30)
            h.sendall(b"GET")
            held.append(h)
        print("extra: " + status(get(port)))
        for h in held:
            h.close()
        # The server sees the closes on its next turn: ask until it has.
        t0 = time.monotonic()
        while True:
            st = status(get(port))
            if not st.endswith(" 503 Service Unavailable") or \
                    time.monotonic() - t0 > 30:
                break
            time.sleep(0.05)
        print("after: " + st)
    else:
        sys.exit("rawhttp.py: unknown mode " + mode)


if __name__ == "__main__":
    main()

#!/bin/sh
# SPDX-License-Identifier: ISC
# t9010-transport-http.sh: HTTP/1.1 framing, keep-alive, deadlines, body
# cap, retries, redirects and the plain-http policy, through httpc and the
# real transport against tests/fake/httpd.py.
. ./lib.sh

get() {
	g_name=$1
	shift
	tool httpc "$@" >"$T/$g_name.out" 2>"$T/$g_name.err"
	echo $? >"$T/$g_name.rc"
}

start_tls() {
	test_ca && fake_start httpd && URL=https://localhost:$HTTPD_PORT &&
	    GHRCTL_CA_FILE=$CA/ca.pem && export GHRCTL_CA_FILE
}

test_chunked() {
	test_init chunked
	start_tls || { test_done; return; }
	get a "$URL/chunked"
	test_eq "$(cat "$T/a.rc")" 0 "chunked: exit status"
	test_eq "$(cat "$T/a.out")" "$(printf '200\nchunk-one\nchunk-two')" \
	    "chunked: decoded body"
	get b -n 3 "$URL/big-chunked?n=25000"
	test_eq "$(tail -n 1 "$T/b.out" | tr -d '\n' | wc -c)" 25000 \
	    "big chunked body, 3 times"
	test_eq "$(fake_conns httpd)" 2 "chunked bodies keep the connection"
	test_done
}

test_bodies() {
	test_init bodies
	start_tls || { test_done; return; }
	get a "$URL/big?n=300000"
	test_eq "$(tail -n 1 "$T/a.out" | tr -d '\n' | wc -c)" 300000 \
	    "300 KB Content-Length body"
	get b "$URL/eof-body"
	test_eq "$(grep -c until-eof "$T/b.out")" 3 "body read until close"
	test_eq "$(cat "$T/b.rc")" 0 "body until close_notify: exit status"
	get b2 "$URL/eof-body-no-notify"
	test_eq "$(cat "$T/b2.rc")" 76 \
	    "body until a TCP close without close_notify: refused (ERR_PROTO)"
	test_match "$T/b2.err" \
	    "localhost closed the connection without TLS close_notify after 30 body bytes" \
	    "no close_notify: message"
	cleanup
	fake_start httpd --plain || { test_done; return; }
	get b3 "http://localhost:$HTTPD_PORT/eof-body-no-notify"
	test_eq "$(grep -c until-eof "$T/b3.out")" 3 \
	    "plain http: a body until the TCP close is complete"
	start_tls || { test_done; return; }
	get c -X HEAD "$URL/big?n=5000"
	test_eq "$(cat "$T/c.out")" 200 "HEAD: no body read"
	get d -X POST -d 'a=1&b=2' "$URL/echo-headers"
	test_match "$T/d.out" '"Content-Length": "7"' "POST sends Content-Length"
	test_match "$T/httpd.log" '"body": "a=1&b=2"' "POST body received"
	test_done
}

test_keepalive() {
	test_init keepalive
	start_tls || { test_done; return; }
	get a -n 10 "$URL/close"
	test_match "$T/a.err" '^handshakes=10 connects=10$' \
	    "Connection: close is honoured"
	get b -n 3 "$URL/drop-after"
	test_eq "$(cat "$T/b.rc")" 0 "server-closed idle connection: reconnect"
	test_eq "$(head -n 1 "$T/b.out")" 200 "server-closed idle: status"
	test_done
}

test_timeouts() {
	test_init timeouts
	start_tls || { test_done; return; }
	get a --read-timeout 300 "$URL/stall"
	test_eq "$(cat "$T/a.rc")" 75 "stalled server: exit status (ERR_TEMP)"
	test_match "$T/a.err" "timed out after 300 ms waiting for localhost" \
	    "stalled server: message"
	get b --read-timeout 5000 --timeout 400 "$URL/slow-body"
	test_eq "$(cat "$T/b.rc")" 75 "total deadline: exit status"
	test_match "$T/b.err" "timed out after 400 ms waiting for localhost" \
	    "total deadline: message"
	test_done
}

test_body_cap() {
	test_init body_cap
	start_tls || { test_done; return; }
	get a --max-body 1000 "$URL/big?n=100000"
	test_eq "$(cat "$T/a.rc")" 76 "oversize body: exit status (ERR_PROTO)"
	test_match "$T/a.err" "response from localhost exceeds 1000 bytes" \
	    "oversize body: message"
	get b --max-body 1000 "$URL/big-chunked?n=5000"
	test_eq "$(cat "$T/b.rc")" 76 "oversize chunked body refused"
	get c --max-body 1000 "$URL/big?n=1000"
	test_eq "$(cat "$T/c.rc")" 0 "body exactly at the cap accepted"
	test_done
}

test_retry_after() {
	test_init retry_after
	start_tls || { test_done; return; }
	get a --retry "$URL/status/503-then-200?n=1&ra=1"
	test_eq "$(cat "$T/a.rc")" 0 "503 + Retry-After: exit status"
	test_eq "$(cat "$T/a.out")" "$(printf '200\nok')" "retried to 200"
	test_eq "$(grep -c 503-then-200 "$T/httpd.log")" 2 "two requests"
	get b "$URL/status/503-then-200/b?n=1"
	test_eq "$(head -n 1 "$T/b.out")" 503 "without --retry: the 503"
	get c --retry "$URL/status/500"
	test_eq "$(grep -c '/status/500' "$T/httpd.log")" 4 \
	    "500 retried up to the attempt limit"
	test_done
}

# Retry-After: 3 is waited out: the retry comes 3 s after the 503 (the
# server's clock), not a backoff's fraction of a second later.
test_retry_after_waited() {
	test_init retry_after_waited
	start_tls || { test_done; return; }
	get a --retry "$URL/status/503-then-200?n=1&ra=3"
	test_eq "$(cat "$T/a.rc")" 0 "503 + Retry-After: 3, then 200"
	gap=$("$PY" -c 'import json, sys
t = [json.loads(l)["t"] for l in open(sys.argv[1]) if "503-then-200" in l]
print("ok" if len(t) == 2 and t[1] - t[0] >= 2.9 else "gap %s" % t)' \
	    "$T/httpd.log")
	test_eq "$gap" ok "the retry came at least 2.9 s after the 503"
	# A Retry-After past the whole call's timeout fails at once, as
	# temporary (exit 75), without waiting.
	s=$(date +%s)
	get b --retry --timeout 2000 "$URL/status/503-then-200/b?n=1&ra=30"
	test_eq "$(cat "$T/b.rc")" 75 "Retry-After past --timeout: exit 75"
	test_match "$T/b.err" "asked to retry in 30000 ms, past the 2000 ms timeout" \
	    "the error says why"
	test_eq "$(( $(date +%s) - s < 2 ))" 1 "no wait for it"
	test_done
}

# A server that sends a byte every 0.2 s keeps every read short: the whole
# call (all its attempts) still ends at --timeout.
test_trickle_deadline() {
	test_init trickle_deadline
	start_tls || { test_done; return; }
	s=$("$PY" -c 'import time; print(time.time())')
	get a --retry --timeout 2000 --read-timeout 1000 \
	    "$URL/trickle?n=100&every=0.2"
	el=$("$PY" -c 'import sys, time; print("%.1f" % (time.time() - float(sys.argv[1])))' "$s")
	test_eq "$(cat "$T/a.rc")" 75 "trickle past --timeout: exit 75"
	test_match "$T/a.err" "timed out" "a timeout is reported"
	test_eq "$("$PY" -c 'import sys; print(float(sys.argv[1]) < 3.0)' "$el")" True \
	    "the call ended within --timeout 2 s (took $el s)"
	test_eq "$(grep -c /trickle "$T/httpd.log")" 1 "no attempt after the deadline"
	test_done
}

# A retry gets what is left of the whole call's --timeout, not all of it
# again: a 503 (Retry-After: 1), then a trickle, ends at 3 s, not 1 + 3 s.
test_trickle_retry_deadline() {
	test_init trickle_retry_deadline
	start_tls || { test_done; return; }
	s=$("$PY" -c 'import time; print(time.time())')
	get a --retry --timeout 3000 --read-timeout 1000 \
	    "$URL/trickle?n=100&every=0.2&first503=1"
	el=$("$PY" -c 'import sys, time; print("%.1f" % (time.time() - float(sys.argv[1])))' "$s")
	test_eq "$(cat "$T/a.rc")" 75 "503 then a trickle past --timeout: exit 75"
	test_eq "$(grep -c /trickle "$T/httpd.log")" 2 "two attempts"
	test_eq "$("$PY" -c 'import sys; print(float(sys.argv[1]) < 3.7)' "$el")" True \
	    "the retry ended with the whole call's 3 s (took $el s)"
	test_done
}

test_redirect() {
	test_init redirect
	test_ca && fake_start httpd --plain || { test_done; return; }
	p=$HTTPD_PORT
	get a -H 'Authorization: token t9010-secret' \
	    "http://127.0.0.1:$p/redirect?to=http://localhost:$p/echo-headers"
	test_eq "$(head -n 1 "$T/a.out")" 200 "redirect followed"
	test_nomatch "$T/a.out" 'Authorization' \
	    "Authorization not sent to another host"
	test_eq "$(grep -c t9010-secret "$T/httpd.log")" 1 \
	    "Authorization sent to the first host only"
	get b -H 'Authorization: token t9010-same' \
	    "http://127.0.0.1:$p/redirect?to=/echo-headers&code=307"
	test_match "$T/b.out" '"Authorization": "token t9010-same"' \
	    "Authorization kept on a same-origin redirect"
	get c "http://127.0.0.1:$p/redirect?to=/redirect%3Fto%3D/hello"
	test_eq "$(cat "$T/c.out")" "$(printf '200\nhello')" "two redirects"
	get d --no-redirect "http://127.0.0.1:$p/redirect?to=/hello"
	test_eq "$(head -n 1 "$T/d.out")" 302 "--no-redirect"
	get e "http://127.0.0.1:$p/loop"
	test_eq "$(cat "$T/e.rc")" 76 "redirect loop: exit status"
	test_match "$T/e.err" "too many redirects" "redirect loop: message"
	get f -X POST "http://127.0.0.1:$p/redirect?to=/hello"
	test_eq "$(head -n 1 "$T/f.out")" 302 "POST redirect not followed"
	test_done
}

test_plain_http_policy() {
	test_init plain_http_policy
	test_ca && fake_start httpd --plain || { test_done; return; }
	get a "http://example.invalid/hello"
	test_eq "$(cat "$T/a.rc")" 78 "plain http to a remote host: ERR_CONFIG"
	test_match "$T/a.err" "plain http:// to 'example.invalid' is not allowed.*--allow-http" \
	    "plain http refused: message names --allow-http"
	test_match "$T/a.err" '^handshakes=0 connects=0$' "no connection tried"
	get b --allow-http --connect-timeout 500 "http://example.invalid/hello"
	test_nomatch "$T/b.err" "not allowed" "--allow-http lifts the policy"
	test_match "$T/b.err" "cannot resolve 'example.invalid'" \
	    "--allow-http: then resolution is tried"
	get c "http://127.0.0.1:$HTTPD_PORT/hello"
	test_eq "$(cat "$T/c.out")" "$(printf '200\nhello')" "loopback allowed"
	get d "http://localhost:$HTTPD_PORT/hello"
	test_eq "$(head -n 1 "$T/d.out")" 200 "localhost allowed"
	get e "http://127.0.0.1:$HTTPD_PORT/redirect?to=http://example.invalid/"
	test_eq "$(cat "$T/e.rc")" 78 "redirect to plain remote http refused"
	test_eq "$(grep -c '"path"' "$T/httpd.log")" 3 \
	    "refused before any request to the redirect target"
	test_done
}

test_trace_redacts() {
	test_init trace_redacts
	start_tls || { test_done; return; }
	get a -v -H 'Authorization: token t9010-trace-secret' "$URL/hello"
	test_match "$T/a.err" '> GET /hello HTTP/1.1' "trace: request line"
	test_match "$T/a.err" '> Authorization: <redacted>' "trace: redacted"
	test_match "$T/a.err" '< HTTP/1.1 200' "trace: status line"
	test_nomatch "$T/a.err" 't9010-trace-secret' "trace: no secret"
	test_nomatch "$T/a.err" '^hello' "trace: no body"
	test_done
}

# 5,000 header lines "a:b" with bare LF: their stored copy "a: b" is one
# byte longer each, which once overflowed the copy (issue 13).  Through
# httpc (the test build) and the program itself (the release build).
test_header_bomb() {
	test_init header_bomb
	start_tls || { test_done; return; }
	get a "$URL/header-bomb?n=5000"
	test_eq "$(cat "$T/a.rc")" 0 "5,000 bare-LF header lines: exit status"
	test_eq "$(cat "$T/a.out")" "$(printf '200\nok')" \
	    "5,000 bare-LF header lines: body"
	cleanup
	fake_start httpd --header-bomb 5000 || { test_done; return; }
	GITHUB_CONFIG_URL=https://localhost:$HTTPD_PORT/acme \
	    GITHUB_TOKEN=ghp_T9010bomb ghrctl runners list >"$T/b.out" 2>"$T/b.err"
	test_eq "$?" 0 "ghrctl runners list through the header bomb: exit status"
	test_done
}

# A body cut short by the peer is an error, never a shorter body.
test_cut_bodies() {
	test_init cut_bodies
	start_tls || { test_done; return; }
	get a "$URL/cut-body"
	test_eq "$(cat "$T/a.rc")" 76 "Content-Length body cut: ERR_PROTO"
	test_match "$T/a.err" 'closed the connection after 5 of 10 body bytes' \
	    "Content-Length body cut: message"
	get b "$URL/cut-chunked"
	test_eq "$(cat "$T/b.rc")" 76 "chunked body cut: ERR_PROTO"
	test_match "$T/b.err" 'closed the connection in the middle of a chunked body' \
	    "chunked body cut: message"
	test_done
}

run_test test_chunked
run_test test_header_bomb
run_test test_bodies
run_test test_keepalive
run_test test_timeouts
run_test test_body_cap
run_test test_retry_after
run_test test_retry_after_waited
run_test test_trickle_deadline
run_test test_trickle_retry_deadline
run_test test_redirect
run_test test_plain_http_policy
run_test test_trace_redacts
run_test test_cut_bodies

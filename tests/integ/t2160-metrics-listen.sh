#!/bin/sh
# t2160-metrics-listen.sh: poll --follow --metrics-listen serves GET
# /metrics (the exposition of --metrics-file, which the strict parser
# tests/tools/promcheck.py accepts) and GET /healthz over real HTTP, on
# loopback unless told otherwise, and stays bounded: a slowloris client is
# cut off (408), an oversized head gets 431, connections past the limit
# 503, other methods 405 (RFC 9110 sections 15.5.6, 15.5.9; RFC 6585
# section 5), other paths 404 — while the poll loop goes on.  A port in
# use is a one-line error with exit status 69.
. ./lib.sh
. ./aslib.sh

PROM="$TOP/tests/tools/promcheck.py"
RAW="$TOP/tests/tools/rawhttp.py"
has_session() { [ "$(fstate sessions)" != "{}" ]; }
listening() { grep -qs 'metrics: listening on http://' "$T/err"; }
# The port the poller chose (it listens on port 0: no race for a free one).
mport() { sed -n 's|.*metrics: listening on http://[^ ]*:\([0-9]*\)/metrics.*|\1|p' "$T/err" | head -n 1; }

start_poller() {	# ADDR:PORT
	ghrctl poll --follow -o json --log-level info --metrics-listen "$1" \
	    --metrics-file "$T/m.prom" >"$T/out" 2>"$T/err" &
	pid=$!
	wait_long listening && ok "listening" || not_ok "not listening: $(cat "$T/err")"
	PORT=$(mport)
}

stop_poller() {
	kill -TERM "$(leaf "$pid")"
	wait "$pid"
	test_eq "$?" 0 "exit 0 after SIGTERM"
}

test_scrape() {
	test_init scrape
	as_setup --hold 1
	start_poller :0
	grep -q "listening on http://127.0.0.1:$PORT/metrics" "$T/err" && ok "a bare :PORT is loopback" || not_ok "not loopback: $(grep listening "$T/err")"
	wait_long has_session && ok "session opened" || not_ok "no session"
	ctl '{"op":"message","statistics":{"totalAvailableJobs":5,"totalAcquiredJobs":4,"totalAssignedJobs":3,"totalRunningJobs":2,"totalRegisteredRunners":6,"totalBusyRunners":2,"totalIdleRunners":4}}'
	wait_long acked 100000001 && ok "message acked" || not_ok "message not acked"
	wait_for grep -q 'gha_assigned_jobs{.*} 3' "$T/m.prom"
	curl -sS -D "$T/h" -o "$T/scrape" "http://127.0.0.1:$PORT/metrics"
	test_eq "$?" 0 "curl GET /metrics"
	test_match "$T/h" '^HTTP/1.1 200 OK' "200 OK"
	test_match "$T/h" '^Content-Type: text/plain; version=0.0.4; charset=utf-8' "exposition 0.0.4 content type"
	$PY "$PROM" "$T/scrape" >"$T/p" && ok "strict parser accepts the scrape" || not_ok "parser refuses: $(cat "$T/p")"
	grep -qx 'gha_assigned_jobs{name="ghrctl-test",repository="",organization="acme",enterprise="",namespace="acme"} 3' "$T/p" && ok "gha_assigned_jobs 3" || not_ok "gha_assigned_jobs: $(grep assigned "$T/p")"
	cmp -s "$T/scrape" "$T/m.prom" && ok "same content as --metrics-file" || not_ok "scrape and file differ: $(diff "$T/scrape" "$T/m.prom" | head -5)"
	test_eq "$(curl -sS "http://127.0.0.1:$PORT/healthz")" "ok active" "healthz: ok active"
	curl -sS -I -o "$T/hh" "http://127.0.0.1:$PORT/metrics"
	test_match "$T/hh" '^Content-Length: [1-9]' "HEAD: the length of the body"
	test_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/nope")" 404 "an unknown path: 404"
	$PY "$RAW" send "$PORT" 'POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n' >"$T/r"
	test_match "$T/r" '^HTTP/1.1 405 Method Not Allowed len=' "POST: 405"
	test_match "$T/r" '^Allow: GET, HEAD$' "405 names the allowed methods"
	test_eq "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "http://127.0.0.1:$PORT/metrics")" 405 "DELETE: 405"
	$PY "$RAW" send "$PORT" 'GET /metrics HTTP/1.1\r\n\r\n' >"$T/r"
	test_match "$T/r" '^HTTP/1.1 400 ' "HTTP/1.1 without Host: 400"
	$PY "$RAW" send "$PORT" 'GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello' >"$T/r"
	test_match "$T/r" '^HTTP/1.1 400 ' "a request body: 400"
	$PY "$RAW" send "$PORT" 'GET /metrics HTTP/1.1\r\nHost: x\r\n{big:9000}\r\n' >"$T/r"
	test_match "$T/r" '^HTTP/1.1 431 Request Header Fields Too Large' "a 9 KB head: 431"
	$PY "$RAW" send "$PORT" 'GET /metrics HTTP/2.0\r\nHost: x\r\n\r\n' >"$T/r"
	test_match "$T/r" '^HTTP/1.1 505 ' "HTTP/2.0 in a request line: 505"
	$PY "$RAW" send "$PORT" 'GET /healthz HTTP/1.0\r\n\r\n' >"$T/r"
	test_match "$T/r" '^HTTP/1.1 200 OK len=' "HTTP/1.0 needs no Host"
	stop_poller
	test_done
}

# A slow client is cut off, connections past the limit get 503, and the
# poll loop goes on meanwhile.
test_bounds() {
	test_init bounds
	as_setup --hold 1
	start_poller 127.0.0.1:0
	wait_long has_session && ok "session opened" || not_ok "no session"
	$PY "$RAW" slow "$PORT" >"$T/slow" &
	slow=$!
	ctl '{"op":"message","statistics":{"totalAssignedJobs":7}}'
	wait_long acked 100000001 && ok "message acked while a slow client is connected" || not_ok "message not acked"
	wait "$slow"
	test_match "$T/slow" '^HTTP/1.1 408 Request Timeout after [4-9] s$' "slowloris: 408 after about 5 s"
	$PY "$RAW" flood "$PORT" 8 >"$T/flood"
	test_match "$T/flood" '^extra: HTTP/1.1 503 Service Unavailable$' "a ninth connection: 503"
	test_match "$T/flood" '^after: HTTP/1.1 200 OK$' "served again once they closed"
	test_eq "$(curl -sS "http://127.0.0.1:$PORT/healthz")" "ok active" "healthz after the flood"
	stop_poller
	test_done
}

test_errors() {
	test_init errors
	as_setup
	# Hold a port, then ask for it.
	$PY -c 'import socket,sys,time
s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(1)
open(sys.argv[1],"w").write(str(s.getsockname()[1])); time.sleep(60)' "$T/held" &
	holder=$!
	wait_for test -s "$T/held"
	ghrctl poll --follow --metrics-listen "127.0.0.1:$(cat "$T/held")" >"$T/out" 2>"$T/err"
	test_eq "$?" 69 "port in use: exit 69"
	test_eq "$(wc -l <"$T/err")" 1 "one line"
	test_match "$T/err" "--metrics-listen 127.0.0.1:$(cat "$T/held"): address already in use" "names the option, address and cause"
	test_eq "$(count POST /_apis/runtime/runnerscalesets/1/sessions)" 0 "no session opened"
	kill "$holder"
	wait "$holder" 2>/dev/null
	for bad in nonsense 127.0.0.1 '1.2.3.4:99999' 'example.com:9102' '::1:9102'; do
		ghrctl poll --follow --metrics-listen "$bad" >/dev/null 2>"$T/err"
		test_eq "$?" 64 "'$bad': usage error"
	done
	test_match "$T/err" "--metrics-listen '::1:9102': want ADDR:PORT" "the usage error names the option"
	ghrctl poll --metrics-listen :0 >/dev/null 2>"$T/err"
	test_eq "$?" 64 "--metrics-listen without --follow: usage error"
	test_done
}

run_test test_scrape
run_test test_bounds
run_test test_errors

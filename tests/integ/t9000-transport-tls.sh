#!/bin/sh
# SPDX-License-Identifier: ISC
# t9000-transport-tls.sh: certificate verification through the real BearSSL
# path (tests/tools/httpc against tests/fake/httpd.py with the test CA).
. ./lib.sh

# get NAME URL [httpc args]: run httpc, keep stdout/stderr/status in $T.
get() {
	g_name=$1
	shift
	tool httpc "$@" >"$T/$g_name.out" 2>"$T/$g_name.err"
	echo $? >"$T/$g_name.rc"
}

fake_requests_file() {
	f=$T/httpd.log
	[ -f "$f" ] || : >"$f"
	echo "$f"
}

test_good_ca() {
	test_init good_ca
	test_ca && fake_start httpd || { test_done; return; }
	get a --ca-file "$CA/ca.pem" "https://localhost:$HTTPD_PORT/hello"
	test_eq "$(cat "$T/a.rc")" 0 "--ca-file: exit status"
	test_eq "$(cat "$T/a.out")" "$(printf '200\nhello')" "--ca-file: body"
	GHRCTL_CA_FILE=$CA/ca.pem get b "https://localhost:$HTTPD_PORT/hello"
	test_eq "$(head -n 1 "$T/b.out")" 200 "GHRCTL_CA_FILE"
	SSL_CERT_FILE=$CA/ca.pem get c "https://localhost:$HTTPD_PORT/hello"
	test_eq "$(head -n 1 "$T/c.out")" 200 "SSL_CERT_FILE"
	SSL_CERT_FILE=$CA/other-ca.pem get d --ca-file "$CA/ca.pem" "https://localhost:$HTTPD_PORT/hello"
	test_eq "$(head -n 1 "$T/d.out")" 200 "--ca-file wins over SSL_CERT_FILE"
	test_match "$T/a.err" '^handshakes=1 connects=1$' "one handshake"
	test_done
}

test_wrong_ca() {
	test_init wrong_ca
	test_ca && fake_start httpd || { test_done; return; }
	get a --ca-file "$CA/other-ca.pem" "https://localhost:$HTTPD_PORT/hello"
	test_eq "$(cat "$T/a.rc")" 77 "wrong CA: exit status (ERR_PERM)"
	test_match "$T/a.err" \
	    "certificate for 'localhost' is not trusted \(check --ca-file" \
	    "wrong CA: message"
	test_eq "$(wc -l <"$(fake_requests_file)")" 0 "no request sent"
	test_done
}

test_wrong_name() {
	test_init wrong_name
	test_ca && fake_start httpd --cert "$CA/wrongname.pem" \
	    --key "$CA/wrongname.key" || { test_done; return; }
	get a --ca-file "$CA/ca.pem" "https://localhost:$HTTPD_PORT/hello"
	test_eq "$(cat "$T/a.rc")" 77 "wrong name: exit status"
	test_match "$T/a.err" "certificate does not match host name 'localhost'" \
	    "wrong name: message"
	test_ca && fake_start httpd || { test_done; return; }
	get b --ca-file "$CA/ca.pem" "https://127.0.0.1:$HTTPD_PORT/hello"
	test_eq "$(cat "$T/b.rc")" 77 "IP address: exit status"
	test_match "$T/b.err" "host name '127.0.0.1' \(IP addresses cannot be verified" \
	    "IP address: message"
	test_done
}

test_expired() {
	test_init expired
	test_ca && fake_start httpd --cert "$CA/expired.pem" \
	    --key "$CA/expired.key" || { test_done; return; }
	get a --ca-file "$CA/ca.pem" "https://localhost:$HTTPD_PORT/hello"
	test_eq "$(cat "$T/a.rc")" 77 "expired: exit status"
	test_match "$T/a.err" "expired or not yet valid \(check the clock\)" \
	    "expired: message"
	test_done
}

test_rsa_chain() {
	test_init rsa_chain
	test_ca && fake_start httpd --cert "$CA/rsa-server.pem" \
	    --key "$CA/rsa-server.key" || { test_done; return; }
	get a --ca-file "$CA/rsa-ca.pem" "https://localhost:$HTTPD_PORT/hello"
	test_eq "$(cat "$T/a.rc")" 0 "RSA chain: exit status"
	test_eq "$(cat "$T/a.out")" "$(printf '200\nhello')" "RSA chain: body"
	get b --ca-file "$CA/ca.pem" "https://localhost:$HTTPD_PORT/hello"
	test_eq "$(cat "$T/b.rc")" 77 "RSA chain with the EC CA: refused"
	test_done
}

test_bad_ca_file() {
	test_init bad_ca_file
	test_ca && fake_start httpd || { test_done; return; }
	get a --ca-file "$T/missing.pem" "https://localhost:$HTTPD_PORT/hello"
	test_eq "$(cat "$T/a.rc")" 78 "missing CA file: exit status"
	test_match "$T/a.err" "cannot read CA file '.*missing.pem'" \
	    "missing CA file: message"
	echo "not a certificate" >"$T/junk.pem"
	get b --ca-file "$T/junk.pem" "https://localhost:$HTTPD_PORT/hello"
	test_eq "$(cat "$T/b.rc")" 78 "CA file without certificates"
	test_match "$T/b.err" "no usable certificate" "junk CA file: message"
	test_done
}

test_keepalive_one_handshake() {
	test_init keepalive_one_handshake
	test_ca && fake_start httpd || { test_done; return; }
	get a -n 25 --ca-file "$CA/ca.pem" "https://localhost:$HTTPD_PORT/hello"
	test_eq "$(cat "$T/a.rc")" 0 "25 requests: exit status"
	test_match "$T/a.err" '^handshakes=1 connects=1$' "client: one handshake"
	test_eq "$(fake_conns httpd)" 1 "server: one TLS connection"
	test_eq "$(grep -c '"path": "/hello"' "$T/httpd.log")" 25 \
	    "server: 25 requests"
	test_done
}

# Chains that are trusted and name the host, but whose end-entity
# certificate the Web PKI has retired (issue 13): each refused with its
# own message, as a trust failure (ERR_PERM), before any request.
test_weak_leaf() {
	test_init weak_leaf
	for c in sha1:ca:"is signed with SHA-1" \
	    rsa1024:rsa-ca:"has a 1024-bit RSA key; at least 2048 bits are needed" \
	    nosan:ca:"has no subjectAltName DNS name"; do
		n=${c%%:*}
		r=${c#*:}
		ca=${r%%:*}
		msg=${r#*:}
		test_ca && fake_start httpd --cert "$CA/$n.pem" \
		    --key "$CA/$n.key" || { test_done; return; }
		get "$n" --ca-file "$CA/$ca.pem" "https://localhost:$HTTPD_PORT/hello"
		test_eq "$(cat "$T/$n.rc")" 77 "$n: exit status (ERR_PERM)"
		test_match "$T/$n.err" "certificate for 'localhost' $msg" \
		    "$n: message"
		test_eq "$(wc -l <"$(fake_requests_file)")" 0 "$n: no request sent"
		cleanup
		rm -f "$T/httpd.log"
	done
	test_done
}

run_test test_good_ca
run_test test_weak_leaf
run_test test_wrong_ca
run_test test_wrong_name
run_test test_expired
run_test test_rsa_chain
run_test test_bad_ca_file
run_test test_keepalive_one_handshake

#!/bin/sh
# t4030-runners-app.sh: GitHub App auth end to end: RS256 JWT (PKCS#1 and
# PKCS#8 keys, checked by the fake against the public key), installation
# discovery, installation token reuse, key file errors
. ./lib.sh

app_keys() {
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/app8.pem" 2>/dev/null &&
	    openssl rsa -in "$T/app8.pem" -traditional -out "$T/app1.pem" 2>/dev/null &&
	    openssl rsa -in "$T/app8.pem" -pubout -out "$T/app.pub" 2>/dev/null ||
	    not_ok "openssl could not make the test key"
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/other.pem" 2>/dev/null
	chmod 600 "$T"/*.pem
}

gh_env() {
	export GITHUB_CONFIG_URL="https://localhost:$GITHUB_PORT/acme"
	export GHRCTL_CA_FILE="$CA/ca.pem" GITHUB_APP_ID=31337
}

test_app_discover() {
	test_init app_discover
	test_ca && app_keys
	fake_start github --app-id 31337 --app-key-pub "$T/app.pub" --installation-id 777 --runners 150
	gh_env
	GITHUB_APP_PRIVATE_KEY_FILE="$T/app1.pem" ghrctl -vvv runners count -o json >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "PKCS#1 key, installation discovered"
	test_eq "$(cat "$T/out")" '{"busy":40,"idle":80,"offline":30}' "counts through the installation token"
	grep -o '"path": "[^"]*"' "$GITHUB_LOG" >"$T/paths"
	test_eq "$(sed -n 1p "$T/paths")" '"path": "/api/v3/orgs/acme/installation"' "installation looked up first"
	test_eq "$(sed -n 2p "$T/paths")" '"path": "/api/v3/app/installations/777/access_tokens"' "then the access token"
	test_eq "$(grep -c access_tokens "$T/paths")" 1 "one installation token reused for both pages"
	test_nomatch "$T/err" 'ghs_[0-9a-f]{8}' "installation token not in the trace log"
	test_nomatch "$T/err" 'eyJ[A-Za-z0-9_-]{20}' "JWT not in the trace log"
	test_done
}

test_app_pkcs8_id() {
	test_init app_pkcs8_id
	test_ca && app_keys
	fake_start github --app-id 31337 --app-key-pub "$T/app.pub" --installation-id 777 --runners 3
	gh_env
	GITHUB_APP_PRIVATE_KEY_FILE="$T/app8.pem" GITHUB_APP_INSTALLATION_ID=777 ghrctl runners token >"$T/out" 2>"$T/err"
	test_eq "$?" 0 "PKCS#8 key with a configured installation id"
	test_match "$T/out" '^REG' "registration token via the App"
	test_eq "$(grep -c '/installation"' "$GITHUB_LOG")" 0 "no discovery when the id is set"
	GITHUB_APP_PRIVATE_KEY_FILE="$T/other.pem" ghrctl runners list >"$T/out" 2>"$T/err"
	test_eq "$?" 77 "wrong key: exit 77"
	test_match "$T/err" 'GitHub App JWT rejected by localhost:[0-9]+ .*check GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY_FILE' "wrong key explained"
	GITHUB_APP_PRIVATE_KEY_FILE="$T/app8.pem" GITHUB_APP_INSTALLATION_ID=1 ghrctl runners list >"$T/out" 2>"$T/err"
	test_eq "$?" 78 "unknown installation: exit 78"
	test_done
}

test_app_key_errors() {
	test_init app_key_errors
	test_ca && app_keys
	export GITHUB_CONFIG_URL=https://github.com/acme GITHUB_APP_ID=1
	ghrctl runners list >"$T/out" 2>"$T/err"
	test_eq "$?" 78 "App id without key: exit 78"
	test_match "$T/err" 'GITHUB_APP_PRIVATE_KEY_FILE is not' "missing key file named"
	chmod 644 "$T/app8.pem"
	GITHUB_APP_PRIVATE_KEY_FILE="$T/app8.pem" ghrctl runners list >"$T/out" 2>"$T/err"
	test_eq "$?" 77 "readable key: exit 77"
	test_match "$T/err" "run chmod 600 '$T/app8.pem'" "chmod advice"
	printf 'not a key\n' >"$T/junk.pem"
	chmod 600 "$T/junk.pem"
	GITHUB_APP_PRIVATE_KEY_FILE="$T/junk.pem" ghrctl runners list >"$T/out" 2>"$T/err"
	test_eq "$?" 78 "junk key: exit 78"
	test_match "$T/err" "no PEM 'RSA PRIVATE KEY' or 'PRIVATE KEY' found" "junk key explained"
	GITHUB_CONFIG_URL=https://github.com/enterprises/big GITHUB_APP_PRIVATE_KEY_FILE="$T/app1.pem" ghrctl runners list >"$T/out" 2>"$T/err"
	test_eq "$?" 78 "enterprise App without installation id: exit 78"
	test_done
}

run_test test_app_discover
run_test test_app_pkcs8_id
run_test test_app_key_errors

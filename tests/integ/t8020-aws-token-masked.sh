#!/bin/sh
# SPDX-License-Identifier: ISC
# t8020-aws-token-masked.sh: the AWS session token and secret key never
# reach the log, at -vvv (which traces the SigV4 canonical request, where
# the token is a signed header), from each credential source (the
# environment, the shared credentials file, the container endpoint, IMDS)
# and in every command that calls AWS: scale, cleanup, metric, doctor and
# poll --scale.
. ./lib.sh
. ./ec2lib.sh

STOK="IQoJb3JpZ2luX2VjT8020SessionToken/EXAMPLE+w=="
SECRET=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY

setup() {
	ec2_setup --session-token "$STOK" --container-token c0ntainer-T0ken-8020 \
	    || return 1
	unset AWS_ENDPOINT_URL_EC2 AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
	export AWS_ENDPOINT_URL="https://localhost:$AWS_PORT"
	export AWS_SHARED_CREDENTIALS_FILE="$T/credentials" AWS_CONFIG_FILE="$T/config"
	: >"$T/credentials"
	: >"$T/config"
}

# every_command SOURCE: run each AWS-calling command at -vvv; stderr of all
# in $T/SOURCE.err.  The token and secret the fake issued for IMDS and
# container credentials look like token<N>/<hex>+= and secret/<N>+<hex>.
every_command() {
	src=$1
	: >"$T/$src.err"
	for c in "scale" "cleanup -n" "metric --label linux --asg-name a" \
	    "doctor" "poll --scale"; do
		# shellcheck disable=SC2086
		ghrctl -vvv $c >"$T/out" 2>"$T/one.err"
		rc=$?
		cat "$T/one.err" >>"$T/$src.err"
		case $c in
		doctor) ;;	# some checks may fail here; its log still counts
		*) test_eq "$rc" 0 "$src: $c: exit 0" ;;
		esac
		test_match "$T/one.err" 'x-amz-security-token' \
		    "$src: $c: the canonical request was traced"
	done
	test_nomatch "$T/$src.err" "$STOK" "$src: the session token never on stderr"
	test_nomatch "$T/$src.err" 'token[0-9]+/[0-9a-f]{32}' \
	    "$src: no issued session token on stderr"
	test_nomatch "$T/$src.err" "$SECRET" "$src: the secret key never on stderr"
	test_nomatch "$T/$src.err" 'secret/[0-9]+\+[0-9a-f]{32}' \
	    "$src: no issued secret key on stderr"
}

test_env() {
	test_init env
	setup || { test_done; return; }
	export AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=$SECRET
	export AWS_SESSION_TOKEN=$STOK
	every_command env
	test_done
}

test_shared_file() {
	test_init shared_file
	setup || { test_done; return; }
	printf '[default]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = %s\naws_session_token = %s\n' \
	    "$SECRET" "$STOK" >"$T/credentials"
	chmod 600 "$T/credentials"
	every_command shared_file
	test_done
}

test_container() {
	test_init container
	setup || { test_done; return; }
	export AWS_CONTAINER_CREDENTIALS_FULL_URI="https://localhost:$AWS_PORT/container/creds"
	export AWS_CONTAINER_AUTHORIZATION_TOKEN=c0ntainer-T0ken-8020
	every_command container
	test_nomatch "$T/container.err" c0ntainer-T0ken-8020 \
	    "container: the authorization token never on stderr"
	test_done
}

test_imds() {
	test_init imds
	setup || { test_done; return; }
	unset AWS_EC2_METADATA_DISABLED
	export AWS_EC2_METADATA_SERVICE_ENDPOINT="https://localhost:$AWS_PORT/"
	every_command imds
	test_nomatch "$T/imds.err" 'imds-token-[0-9a-f]' \
	    "imds: the IMDSv2 token never on stderr"
	test_done
}

run_test test_env
run_test test_shared_file
run_test test_container
run_test test_imds

#!/bin/sh
# t8000-aws-credentials.sh: every AWS credential source and their
# precedence (env > shared credentials file > config file > container
# endpoint > IMDSv2 instance role), region sources, IMDS token and
# credential refresh, and clear errors for refused credentials.  Driven
# through `ghrctl metric` against the fake GitHub and the fake AWS, which
# checks every signature with botocore.
. ./lib.sh

TOK=ghp_T8000tokenValue0123456789
AKID=AKIDEXAMPLE
SECRET=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
FILEKEY=AKIDFILEEXAMPLE
FILESECRET=fileSecret/EXAMPLE+key
CONFKEY=AKIDCONFEXAMPLE
CONFSECRET=confSecret/EXAMPLE+key

setup() {
	test_ca || return 1
	fake_start github --token "$TOK" --runners 10 &&
	    fake_start aws --static-key "$FILEKEY:$FILESECRET" --static-key "$CONFKEY:$CONFSECRET" "$@" ||
	    return 1
	export GITHUB_CONFIG_URL="https://localhost:$GITHUB_PORT/acme"
	export GITHUB_TOKEN="$TOK" GHRCTL_CA_FILE="$CA/ca.pem"
	export AWS_ENDPOINT_URL_CLOUDWATCH="https://localhost:$AWS_PORT"
	export AWS_SHARED_CREDENTIALS_FILE="$T/credentials" AWS_CONFIG_FILE="$T/config"
	: >"$T/credentials"
	: >"$T/config"
}

metric() {
	ghrctl metric --label linux --asg-name a "$@" >"$T/out" 2>"$T/err"
}

# The access key id of the last PutMetricData the fake accepted.
put_akid() {
	fake_requests aws | grep '"action": "PutMetricData"' | grep -v '"error"' |
	    tail -n 1 | sed -n 's/.*"akid": "\([^"]*\)".*/\1/p'
}

test_env() {
	test_init env
	setup || { test_done; return; }
	export AWS_ACCESS_KEY_ID=$AKID AWS_SECRET_ACCESS_KEY=$SECRET AWS_REGION=us-east-1
	printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
	    "$FILEKEY" "$FILESECRET" >"$T/credentials"
	metric
	test_eq "$?" 0 "env credentials accepted"
	test_eq "$(put_akid)" "$AKID" "env beats the credentials file"
	unset AWS_SECRET_ACCESS_KEY
	metric
	test_eq "$?" 78 "AWS_ACCESS_KEY_ID without a secret: exit 78"
	test_match "$T/err" 'AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not' "partial env named"
	test_done
}

# The AWS_* names in the -c file (the systemd unit and doctor's fix put
# them there): the environment still wins, secrets stay masked, and a
# file holding a secret must be 0600.
test_config_file() {
	test_init config_file
	setup || { test_done; return; }
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_REGION AWS_DEFAULT_REGION
	printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
	    "$FILEKEY" "$FILESECRET" >"$T/credentials"
	printf 'AWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\nAWS_DEFAULT_REGION=us-east-1\n' \
	    "$CONFKEY" "$CONFSECRET" >"$T/ghrctl.conf"
	chmod 600 "$T/ghrctl.conf"
	metric -c "$T/ghrctl.conf"
	test_eq "$?" 0 "keys from the -c file accepted"
	test_eq "$(put_akid)" "$CONFKEY" "the -c file's keys beat the shared credentials file"
	ghrctl -c "$T/ghrctl.conf" config >"$T/cfg" 2>&1
	test_match "$T/cfg" "AWS_ACCESS_KEY_ID" "config lists AWS_ACCESS_KEY_ID"
	test_nomatch "$T/cfg" "$CONFSECRET" "config masks the secret key"
	AWS_ACCESS_KEY_ID=$AKID AWS_SECRET_ACCESS_KEY=$SECRET metric -c "$T/ghrctl.conf"
	test_eq "$(put_akid)" "$AKID" "the environment beats the -c file"
	chmod 644 "$T/ghrctl.conf"
	metric -c "$T/ghrctl.conf"
	test_eq "$?" 77 "a readable -c file with AWS_SECRET_ACCESS_KEY: refused (77)"
	test_done
}

test_session_token() {
	test_init session_token
	setup --session-token "FQoGZXIvYXdzEXAMPLE/TOKEN+=" || { test_done; return; }
	export AWS_ACCESS_KEY_ID=$AKID AWS_SECRET_ACCESS_KEY=$SECRET AWS_REGION=us-east-1
	metric
	test_eq "$?" 77 "missing session token refused"
	test_match "$T/err" 'InvalidClientTokenId' "InvalidClientTokenId reported"
	export AWS_SESSION_TOKEN="FQoGZXIvYXdzEXAMPLE/TOKEN+="
	metric
	test_eq "$?" 0 "session token sent and signed"
	fake_requests aws | grep -v '"error"' | tail -n 1 >"$T/req"
	test_match "$T/req" 'SignedHeaders=content-type;host;x-amz-date;x-amz-security-token' "x-amz-security-token signed"
	test_done
}

test_bad_signature() {
	test_init bad_signature
	setup || { test_done; return; }
	export AWS_ACCESS_KEY_ID=$AKID AWS_SECRET_ACCESS_KEY=wrongSecret AWS_REGION=us-east-1
	metric
	test_eq "$?" 77 "wrong secret: exit 77"
	test_match "$T/err" "cloudwatch PutMetricData in 'us-east-1' failed: SignatureDoesNotMatch: The request signature we calculated does not match the signature you provided" "AWS's message, one line"
	test_match "$T/err" '\(RequestID [0-9a-f-]{36}\)' "request id shown"
	test_match "$T/err" 'credentials from env AWS_ACCESS_KEY_ID; check the secret access key' "source and hint"
	test_nomatch "$T/err" wrongSecret "secret not printed"
	test_eq "$(fake_requests aws | grep -c SignatureDoesNotMatch)" 1 "not retried"
	AWS_SECRET_ACCESS_KEY=$SECRET AWS_REGION=us-esat-1 metric
	test_eq "$?" 77 "a region typo: exit 77"
	test_match "$T/err" "Credential should be scoped to a valid region.*check AWS_REGION" "a region typo says check AWS_REGION"
	test_nomatch "$T/err" "secret access key" "and does not blame the secret key"
	export AWS_ACCESS_KEY_ID=AKIDUNKNOWN
	metric
	test_eq "$?" 77 "unknown key: exit 77"
	test_match "$T/err" 'InvalidClientTokenId: The security token included in the request is invalid' "InvalidClientTokenId"
	test_done
}

test_shared_files() {
	test_init shared_files
	setup || { test_done; return; }
	printf '# comment\n[default]\naws_access_key_id = nope\n[ci]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
	    "$FILEKEY" "$FILESECRET" >"$T/credentials"
	printf '[default]\nregion = eu-west-9\n[profile ci]\nregion = us-east-1\nservices = x\n[profile cfg]\nregion = us-east-1\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
	    "$CONFKEY" "$CONFSECRET" >"$T/config"
	AWS_PROFILE=ci metric
	test_eq "$?" 0 "profile ci from the credentials file, region from [profile ci]"
	test_eq "$(put_akid)" "$FILEKEY" "credentials file key used"
	AWS_PROFILE=cfg metric
	test_eq "$?" 0 "profile cfg from the config file"
	test_eq "$(put_akid)" "$CONFKEY" "config file key used"
	AWS_PROFILE=missing metric
	test_eq "$?" 78 "unknown AWS_PROFILE: exit 78"
	test_match "$T/err" "AWS profile 'missing' not found" "missing profile named"
	test_done
}

test_region_sources() {
	test_init region_sources
	setup --region eu-central-1 || { test_done; return; }
	export AWS_ACCESS_KEY_ID=$AKID AWS_SECRET_ACCESS_KEY=$SECRET
	metric
	test_eq "$?" 78 "no region anywhere: exit 78"
	test_match "$T/err" 'no AWS region' "no region named"
	AWS_DEFAULT_REGION=eu-central-1 metric
	test_eq "$?" 0 "AWS_DEFAULT_REGION used"
	AWS_DEFAULT_REGION=us-east-1 AWS_REGION=eu-central-1 metric
	test_eq "$?" 0 "AWS_REGION beats AWS_DEFAULT_REGION"
	AWS_REGION=us-east-1 metric --region eu-central-1
	test_eq "$?" 0 "--region beats AWS_REGION"
	AWS_REGION=us-east-1 metric
	test_eq "$?" 77 "wrong region: the scope is refused"
	test_match "$T/err" "Credential should be scoped to a valid region" "region mismatch reported"
	test_done
}

test_container() {
	test_init container
	setup --container-token "c0ntainer-T0ken-8000" || { test_done; return; }
	export AWS_REGION=us-east-1
	export AWS_CONTAINER_CREDENTIALS_FULL_URI="https://localhost:$AWS_PORT/container/creds"
	export AWS_CONTAINER_AUTHORIZATION_TOKEN="c0ntainer-T0ken-8000"
	metric
	test_eq "$?" 0 "container credentials"
	test_match /dev/stdin '^ASIACONT' "temporary key from the container endpoint" <<EOF2
$(put_akid)
EOF2
	test_match "$(printf '%s' "$AWS_LOG")" '.' "log exists"
	fake_requests aws | grep '"/container/creds"' | head -n 1 >"$T/creq"
	test_match "$T/creq" '"Authorization": "c0ntainer-T0ken-8000"' "authorization token sent"
	unset AWS_CONTAINER_AUTHORIZATION_TOKEN
	printf 'c0ntainer-T0ken-8000\n' >"$T/tokfile"
	AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="$T/tokfile" metric
	test_eq "$?" 0 "token from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"
	AWS_CONTAINER_AUTHORIZATION_TOKEN=wrong metric
	test_eq "$?" 77 "wrong container token: exit 77"
	test_match "$T/err" 'container credentials from https://localhost:[0-9]+/container/creds: HTTP 403' "container refusal named"
	printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
	    "$FILEKEY" "$FILESECRET" >"$T/credentials"
	AWS_CONTAINER_AUTHORIZATION_TOKEN=wrong metric
	test_eq "$?" 0 "the credentials file beats the container endpoint"
	test_eq "$(put_akid)" "$FILEKEY" "file key used"
	test_done
}

imds_env() {
	unset AWS_EC2_METADATA_DISABLED
	export AWS_EC2_METADATA_SERVICE_ENDPOINT="https://localhost:$AWS_PORT/"
}

test_imds() {
	test_init imds
	setup --region eu-west-3 || { test_done; return; }
	imds_env
	metric
	test_eq "$?" 0 "instance role credentials and region from IMDS"
	test_match /dev/stdin '^ASIAIMDS' "temporary key from IMDS" <<EOF2
$(put_akid)
EOF2
	fake_requests aws >"$T/req"
	test_match "$T/req" '"X-aws-ec2-metadata-token-ttl-seconds": "21600"' "token PUT with TTL 21600"
	test_match "$T/req" '"path": "/latest/meta-data/placement/region"' "region read from IMDS"
	test_match "$T/req" 'Credential=ASIAIMDS[0-9]+/[0-9]{8}/eu-west-3/monitoring/' "signed for the IMDS region"
	test_eq "$(grep '"/latest/meta-data' "$T/req" | grep -vc '"X-aws-ec2-metadata-token": "imds-token-')" 0 "every IMDS GET carries the token"
	test_eq "$(grep -c '"PUT"' "$T/req")" 1 "one token for the whole run"
	export AWS_EC2_METADATA_DISABLED=true AWS_REGION=us-east-1
	metric
	test_eq "$?" 78 "AWS_EC2_METADATA_DISABLED=true and nothing else: exit 78"
	test_match "$T/err" 'no AWS credentials' "no credentials named"
	test_done
}

test_imds_refresh() {
	test_init imds_refresh
	setup --cred-ttl 120 || { test_done; return; }
	imds_env
	export AWS_REGION=us-east-1
	metric --follow --interval 1s --count 3
	test_eq "$?" 0 "three rounds with short-lived credentials"
	fake_requests aws >"$T/req"
	n=$(grep '"path": "/latest/meta-data/iam/security-credentials/ghr-role"' "$T/req" | grep -vc '"error"')
	test_eq "$([ "$n" -ge 3 ] && echo yes)" yes \
	    "credentials within 5 minutes of Expiration fetched again before each use ($n fetches)"
	test_eq "$(grep '"action": "PutMetricData"' "$T/req" | grep -v '"error"' |
	    sed -n 's/.*"akid": "\([^"]*\)".*/\1/p' | sort -u | wc -l | tr -d ' ')" 3 "each round signed with the fresh key"
	test_done
}

test_imds_cached() {
	test_init imds_cached
	setup --imds-token-uses 1 || { test_done; return; }
	imds_env
	export AWS_REGION=us-east-1
	metric --follow --interval 1s --count 3
	test_eq "$?" 0 "three rounds with long-lived credentials"
	fake_requests aws >"$T/req"
	test_eq "$(grep '"path": "/latest/meta-data/iam/security-credentials/ghr-role"' "$T/req" | grep -vc '"error"')" 1 \
	    "credentials fetched once"
	test_eq "$(grep -c '"error": "imds token"' "$T/req")" 1 "a token that stopped working got 401"
	test_eq "$(grep -c '"PUT"' "$T/req")" 2 "and a new token was fetched once"
	test_done
}

run_test test_env
run_test test_config_file
run_test test_session_token
run_test test_bad_signature
run_test test_shared_files
run_test test_region_sources
run_test test_container
run_test test_imds
run_test test_imds_refresh
run_test test_imds_cached

#!/bin/sh
# t8020-aws-not-aws.sh: a 200 that is not the AWS document asked for (an
# HTML page from a proxy or captive portal) fails the call: scale
# launches nothing and exits 76 naming what came, a page answering
# RunInstances is no launch, and metric never takes one for a publication.
. ./lib.sh
. ./ec2lib.sh

test_scale_proxy_page() {
	test_init scale_proxy_page
	ec2_setup || { test_done; return; }
	stats 3
	ectl '{"op":"html","action":"DescribeInstances"}'
	ghrctl scale >"$T/out" 2>"$T/err"
	test_eq "$?" 76 "scale exits 76 on an HTML 200 to DescribeInstances"
	test_eq "$(calls RunInstances)" 0 "no RunInstances: nothing launched"
	test_eq "$(instances)" 0 "no instance"
	test_match "$T/err" "DescribeInstances.*not <DescribeInstancesResponse xmlns=[^ ]*http://ec2.amazonaws.com/doc/2016-11-15/[^ ]*> but <html .*Content-Type 'text/html" \
	    "the error names what was expected and what came"
	test_eq "$(wc -l <"$T/err" | tr -d ' ')" 1 "one line"
	ghrctl scale >"$T/out" 2>"$T/err"
	test_eq "$?" 76 "a second cron run: exit 76 again"
	test_eq "$(calls RunInstances)" 0 "still nothing launched"
	test_done
}

test_run_instances_page() {
	test_init run_instances_page
	ec2_setup || { test_done; return; }
	stats 2
	ectl '{"op":"html","action":"RunInstances"}'
	ghrctl scale >"$T/out" 2>"$T/err"
	test_eq "$?" 76 "scale exits 76 when RunInstances answers a page"
	test_match "$T/err" 'RunInstances.*not <RunInstancesResponse' "the error names RunInstances"
	test_eq "$(instances)" 0 "no instance"
	test_done
}

test_metric_page() {
	test_init metric_page
	test_ca || { test_done; return; }
	echo '[]' >"$T/runners.json"
	fake_start github --token ghp_t8020 --runners-json "$T/runners.json" &&
	    fake_start aws --html-200 'cloudwatch:*' || { test_done; return; }
	export GITHUB_CONFIG_URL="https://localhost:$GITHUB_PORT/acme"
	export GITHUB_TOKEN=ghp_t8020 GHRCTL_CA_FILE="$CA/ca.pem"
	export AWS_ACCESS_KEY_ID=AKIDEXAMPLE
	export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
	export AWS_REGION=us-east-1
	export AWS_ENDPOINT_URL_CLOUDWATCH="https://localhost:$AWS_PORT"
	ghrctl metric --installation-id abc --asg-name r >"$T/out" 2>"$T/err"
	test_eq "$?" 76 "metric exits 76 on an HTML 200 to PutMetricData"
	test_match "$T/err" 'PutMetricData.*not <PutMetricDataResponse xmlns=[^ ]*http://monitoring.amazonaws.com/doc/2010-08-01/' \
	    "the error names CloudWatch's document"
	test_done
}

run_test test_scale_proxy_page
run_test test_run_instances_page
run_test test_metric_page

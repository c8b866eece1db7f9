# SPDX-License-Identifier: ISC
"""The Python/boto3 equivalent of `ghrctl metric` (what the seed's
record_metric Lambda does): list every runner of the org (GitHub REST,
per_page=100, following Link rel="next"), count online busy/idle runners
carrying LABEL, and PutMetricData BusyRunners/IdleRunners (Count,
namespace GitHubRunners, dimension asg_name) with boto3.

usage: metric_boto3.py API_BASE ORG LABEL ASG_NAME CW_ENDPOINT
environment: GITHUB_TOKEN, AWS_* credentials and region, AWS_CA_BUNDLE.
For bench/report only.
"""

import json
import os
import re
import ssl
import sys
import urllib.request

import boto3


def main():
    api, org, label, asg, endpoint = sys.argv[1:6]
    ctx = ssl.create_default_context(cafile=os.environ["AWS_CA_BUNDLE"])
    hdrs = {"Authorization": "Bearer " + os.environ["GITHUB_TOKEN"],
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28"}
    url = "%s/orgs/%s/actions/runners?per_page=100" % (api, org)
    busy = idle = 0
    while url:
        req = urllib.request.Request(url, headers=hdrs)
        with urllib.request.urlopen(req, context=ctx) as r:
            page = json.load(r)
            link = r.headers.get("Link") or ""
        for rn in page["runners"]:
            if rn["status"] != "online":
                continue
            if label not in [x["name"] for x in rn["labels"]]:
                continue
            if rn["busy"]:
                busy += 1
            else:
                idle += 1
        m = re.search(r'<([^>]+)>;\s*rel="next"', link)
        url = m.group(1) if m else None
    cw = boto3.client("cloudwatch", endpoint_url=endpoint)
    dims = [{"Name": "asg_name", "Value": asg}]
    cw.put_metric_data(Namespace="GitHubRunners", MetricData=[
        {"MetricName": "BusyRunners", "Value": busy, "Unit": "Count",
         "Dimensions": dims},
        {"MetricName": "IdleRunners", "Value": idle, "Unit": "Count",
         "Dimensions": dims}])
    print(busy, idle)


if __name__ == "__main__":
    main()

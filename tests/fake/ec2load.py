# SPDX-License-Identifier: ISC
"""Another EC2 API consumer of the same account, for ghrctl's pacing tests
and bench: botocore's own client (retries off, no client-side limiter)
sending DryRun RunInstances (or --action DescribeInstances) at --rate
calls per second, as another tool or host of the account would.  Each
call takes a token from the account's bucket at the fake EC2 (a DryRun
call is throttled like any other).  Writes a JSON summary to --out when it
stops (after --seconds, --count calls, or SIGTERM): calls, per error code
counts, and its own throttled replies.
"""

import argparse
import json
import signal
import sys
import time

import botocore.config
import botocore.exceptions
import botocore.session


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--ca", default=None)
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--access-key", required=True)
    ap.add_argument("--secret-key", required=True)
    ap.add_argument("--action", default="RunInstances")
    ap.add_argument("--rate", type=float, default=1.0)
    ap.add_argument("--max-count", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=0)
    ap.add_argument("--count", type=int, default=0)
    ap.add_argument("--out", default="")
    ap.add_argument("--ready", default="", help="file written when the "
                    "client is built, before the first call")
    a = ap.parse_args()
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    s = botocore.session.get_session()
    c = s.create_client(
        "ec2", region_name=a.region, endpoint_url=a.endpoint,
        verify=a.ca if a.ca else True, aws_access_key_id=a.access_key,
        aws_secret_access_key=a.secret_key,
        config=botocore.config.Config(retries={"total_max_attempts": 1,
                                               "mode": "standard"}))
    if a.ready:
        open(a.ready, "w").write("ready\n")
    codes = {}
    n = 0
    t0 = time.monotonic()
    while not stop:
        if a.count and n >= a.count:
            break
        if a.seconds and time.monotonic() - t0 >= a.seconds:
            break
        due = t0 + n / a.rate if a.rate > 0 else 0
        while not stop and time.monotonic() < due:
            time.sleep(min(0.05, due - time.monotonic()))
        if stop:
            break
        n += 1
        try:
            if a.action == "RunInstances":
                c.run_instances(ImageId="ami-0123456789abcdef0",
                                InstanceType="t3.micro", MinCount=1,
                                MaxCount=a.max_count, DryRun=True)
            else:
                c.describe_instances(
                    Filters=[{"Name": "tag:other", "Values": ["x"]}])
            code = "ok"
        except botocore.exceptions.ClientError as e:
            code = e.response["Error"]["Code"]
        codes[code] = codes.get(code, 0) + 1
    out = {"calls": n, "codes": codes, "rate": a.rate,
           "throttled": codes.get("RequestLimitExceeded", 0) +
           codes.get("RequestResourceCountExceeded", 0),
           "seconds": round(time.monotonic() - t0, 3)}
    if a.out:
        with open(a.out + ".tmp", "w") as f:
            json.dump(out, f)
        import os
        os.rename(a.out + ".tmp", a.out)
    else:
        json.dump(out, sys.stdout)
        print()


if __name__ == "__main__":
    main()

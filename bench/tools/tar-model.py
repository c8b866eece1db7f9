# SPDX-License-Identifier: ISC
"""A model of a TAR-like launch design (terraform-aws-github-runner) under
EC2's and SSM's request throttling, for bench/burst-limits: no fake is
driven, the calls are simulated with token buckets and a fixed seed.

The design as its issues describe it: jobs reach a scale-up function in
SQS batches (--batch jobs each, all invocations at once); each invocation
launches its batch with one CreateFleet (type "instant": the
RunInstances request bucket, 5 refilled 2 a second, and the instance
bucket, 1000 refilled 2 a second; EC2 API reference "Request throttling",
terraform-aws-github-runner PR #5253), then writes each runner's JIT
config to SSM Parameter Store with one PutParameter per instance, all at
once.  PutParameter is throttled at about 3 writes a second in standard
throughput (10 with higher throughput): terraform-aws-github-runner
issues #2944 and #5410 report ThrottlingException there; the bucket here
holds --ssm-rate tokens and refills --ssm-rate a second.  A throttled call
is retried as the AWS SDK's "standard" retry mode does (3 attempts, a
random wait up to min(20 s, base * 2^attempt), base 0.5 s for a throttling
error in the JavaScript SDK v3 TAR's functions use); after the last attempt
the invocation fails and SQS hands the batch out again after the
visibility timeout (--visibility, 30 s), as TAR #5010 and #5253 describe
for stuck queues.

Prints one JSON object: jobs, launch_s (time until the last CreateFleet
that launched), config_s (until the last JIT config was written), calls,
throttled, launch calls, ssm calls, configs never written.
"""

import argparse
import heapq
import json
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "tests", "fake"))
from aws import TokenBucket  # noqa: E402  (the fake EC2's own buckets)


def bucket(cap, rate):
    """A token bucket as the fake EC2 enforces them (starts full)."""
    return TokenBucket(cap, rate, 0.0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--jobs", type=int, required=True)
    ap.add_argument("--batch", type=int, default=10)
    ap.add_argument("--ssm-rate", type=float, default=3.0)
    ap.add_argument("--attempts", type=int, default=3)
    ap.add_argument("--base", type=float, default=0.5)
    ap.add_argument("--visibility", type=float, default=30.0)
    ap.add_argument("--latency", type=float, default=0.05,
                    help="seconds per call")
    ap.add_argument("--seed", type=int, default=14)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    run = bucket(5, 2)
    res = bucket(1000, 2)
    ssm = bucket(a.ssm_rate, a.ssm_rate)
    ev = []     # (time, seq, kind, n, attempt)
    seq = 0

    def push(t, kind, n, attempt):
        nonlocal seq
        seq += 1
        heapq.heappush(ev, (t, seq, kind, n, attempt))

    left = a.jobs
    while left > 0:
        n = min(a.batch, left)
        push(0.0, "fleet", n, 1)
        left -= n
    st = {"calls": 0, "throttled": 0, "fleet": 0, "ssm": 0, "lost": 0,
          "launch_s": 0.0, "config_s": 0.0}

    def backoff(attempt):
        return rnd.uniform(0, min(20.0, a.base * 2 ** attempt))

    while ev:
        t, _, kind, n, attempt = heapq.heappop(ev)
        st["calls"] += 1
        if kind == "fleet":
            st["fleet"] += 1
            ok = run.take(1, t) and res.take(n, t)
            if ok:
                st["launch_s"] = max(st["launch_s"], t)
                for _ in range(n):
                    push(t + a.latency, "ssm", 1, 1)
                continue
        else:
            st["ssm"] += 1
            ok = ssm.take(1, t)
            if ok:
                st["config_s"] = max(st["config_s"], t)
                continue
        st["throttled"] += 1
        if attempt < a.attempts:
            push(t + a.latency + backoff(attempt), kind, n, attempt + 1)
        elif kind == "fleet":
            push(t + a.visibility, kind, n, 1)      # SQS hands it out again
        else:
            st["lost"] += 1     # the runner never gets its config
    st["jobs"] = a.jobs
    print(json.dumps(st, sort_keys=True))


if __name__ == "__main__":
    main()

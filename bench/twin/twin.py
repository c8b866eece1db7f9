#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""bench/twin: the lifecycle twin (issue 15).  A whole round, job queued to
instance gone, on this machine: the fake Actions Service and the fake EC2
of tests/fake on 127.0.0.1 (EC2's request and resource buckets on), the
real `ghrctl poll --follow --scale` scaling, and this driver playing the
instances: each instance the fake EC2 launches "boots" for a time drawn
from the boot model below, then runs the real `ghrctl boot` against its
own IMDS and console view; once boot has opened its sealed JIT config and
started the (simulated) runner, the runner comes up, the service hands it
a job, the job runs for its duration, completes, and the instance powers
off.  Queue time is measured from the job queued to the job started.

Output: one table row per scenario (markdown) with queue time p50/p95/p99
overall and per class (hot: a runner was up before the job queued;
stopped: its instance was started from stopped; cold: launched), ghrctl's
own share (queue time minus the modelled boot and assignment), idle
instance-seconds with a $ estimate, API calls and throttled replies per
job, leftovers and jobs never started; exit status 1 when a job never
started or something was left over.  A pool scenario needs only its
settings: --env passes ghrctl settings, and an instance the fake EC2
starts from stopped boots with the stopped model.  A trace is CSV lines
queued_at,labels,duration (queued_at in seconds from the start or RFC 3339,
duration in seconds), as `ghrctl jobs -o trace` writes them; the journal
file itself (scaleset-NAME.json.jobs) is read through that command.  The
twin has one scale set: labels are carried, not matched.  --baselines
adds, after the scenarios of REST_RUNS, the same jobs under the seed
Lambda design (poll REST every 60 s) run as a process: `ghrctl scale
--source rest` every 60 s (RestTwin); --baseline rest runs only that.
"""

import argparse
import csv
import datetime
import json
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "../.."))
FAKE = os.path.join(TOP, "tests", "fake")
PY = "/usr/bin/python3"

# The boot model: named settings, seconds at time scale 1.  Source: RunsOn's
# published queue times for Linux runners (m7a instances), "Warm pools",
# Expected Queue Times, https://runs-on.com/runners/pools (also
# https://runs-on.com/docs/performance/warm-pools/): cold start < 25 s,
# stopped < 15 s, hot < 6 s.  Their classes are read as: launch (or start)
# to runner ready 20 s +- 3 s cold and 10 s +- 2 s from stopped, and 1 s
# for the service to hand a job to an idle runner -- so a cold job takes
# about 21 s, one from stopped about 11 s and a hot one about 1 s when the
# scaler itself takes no time.  Drawn uniformly in [mean - d, mean + d].
MODEL = {
    "cold_boot": 20.0, "cold_boot_spread": 3.0,
    "stopped_boot": 10.0, "stopped_boot_spread": 2.0,
    "assign": 1.0,
    # Of a boot, what comes after `ghrctl boot` has opened the config: the
    # runner's own start until it listens for jobs.  The rest of the boot
    # (firmware, kernel, cloud-init) comes before `ghrctl boot` starts.
    "runner_start": 3.0,
    # Spot: "a Spot Instance interruption notice ... two minutes before
    # Amazon EC2 stops or terminates your Spot Instance" (Amazon EC2 User
    # Guide, "Spot Instance interruption notices",
    # https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/spot-instance-termination-notices.html).
    "spot_notice": 120.0,
    "spot_rate": 0.0,        # interruptions per spot instance-hour
    "capacity_every": 0.0,   # one InsufficientInstanceCapacity every N s (0: none)
    # Prices (settable): m5.large on-demand, us-east-1, $/hour; gp3 storage
    # $/GB-month and the volume size of a stopped instance (Amazon EC2 and
    # EBS pricing pages).
    "price_hour": 0.096, "ebs_gb_month": 0.08, "volume_gb": 8.0,
    # The REST-polling baseline (RestTwin): the seed Lambda design, poll
    # REST every 60 s: `ghrctl scale --source rest` every rest_poll s.
    "rest_poll": 60.0,
    "boot_interval": "",     # ghrctl boot --interval ("" : its default)
}
SCALED = ("cold_boot", "cold_boot_spread", "stopped_boot", "stopped_boot_spread",
          "assign", "runner_start", "spot_notice", "rest_poll")

# Standard scenarios (make twin).  shape: trickle (n jobs, one every
# `every` s), burst (n at once), day (a working day with a lunchtime dip,
# compressed to `span` s), trace (a file).  env: ghrctl's settings for the
# run (a pool scenario passes its pool settings here).
SCENARIOS = {
    "cold": {"title": "single jobs, cold (no pool)", "shape": "trickle",
             "n": 5, "every": 10, "duration": 5, "env": {}},
    "hot": {"title": "single jobs, hot pool (MIN_RUNNERS=2)", "shape": "trickle",
            "n": 5, "every": 12, "duration": 5, "env": {"MIN_RUNNERS": "2"},
            "warm": 2},
    "burst80": {"title": "PR burst of 80, no pool", "shape": "burst", "n": 80,
                "duration": 20, "env": {"MAX_RUNNERS": "100"}},
    "day": {"title": "working day, no pool (09:00-17:00 compressed to 100 s; boots, "
            "jobs at time scale 1)", "shape": "day", "n": 24, "span": 100,
            "env": {"MAX_RUNNERS": "30"}},
    "day-hot": {"title": "working day, hot pool MIN_RUNNERS=3 (09:00-17:00 compressed to "
                "100 s; boots, jobs at time scale 1)", "shape": "day", "n": 24, "span": 100,
                "env": {"MAX_RUNNERS": "30", "MIN_RUNNERS": "3"}, "warm": 3},
    # Warm pools (issue 15 section 2).  A stopped pool fills before the
    # jobs (warm_stopped); "hot" is the schedule's hot size (the idle
    # runners the run ends with).
    "stopped": {"title": "single jobs, stopped pool (POOL_SCHEDULE=\"* stopped=3\")",
                "shape": "trickle", "n": 6, "every": 12, "duration": 5,
                "env": {"POOL_SCHEDULE": "* stopped=3"}, "warm_stopped": 3},
    "burst80-pool": {"title": "PR burst of 80, stopped pool 20 (POOL_SCHEDULE=\"* "
                     "stopped=20\"), the rest cold", "shape": "burst", "n": 80,
                     "duration": 20, "warm_stopped": 20,
                     "env": {"MAX_RUNNERS": "100", "POOL_SCHEDULE": "* stopped=20"}},
    # The schedule's working-hours window is written around the time of
    # the run (UTC, see pool_schedule()): the compressed day runs inside
    # it, and outside it the pools are 0.
    "day-pool": {"title": "working day with POOL_SCHEDULE=\"HH:MM-HH:MM hot=2 stopped=10; "
                 "* stopped=0\" (the window: the run's UTC time -10 min to +50 min; "
                 "09:00-17:00 compressed to 100 s; boots, jobs at time scale 1)",
                 "shape": "day", "n": 24, "span": 100, "hot": 2, "warm": 2,
                 "warm_stopped": 10,
                 "env": {"MAX_RUNNERS": "30", "POOL_TZ": "UTC",
                         "POOL_SCHEDULE": "{window} hot=2 stopped=10; * stopped=0"}},
}
STANDARD = ["cold", "hot", "burst80", "day", "stopped", "burst80-pool",
            "day-pool"]     # make twin

# The scripted day of `make demo` (times in s at time scale 1; the demo
# runs it at --time-scale 0.25): a trickle, a pull-request burst, a spot
# interruption, and faults.
DEMO = {"title": "demo: a scripted day in fast motion", "shape": "script",
        "env": {"MIN_RUNNERS": "1", "MAX_RUNNERS": "20", "EC2_SPOT_PRICE": "0.05"},
        "warm": 1,
        "script": [
            [0, "say", "a trickle of single jobs"],
            [0, "jobs", 1, 20], [16, "jobs", 1, 20], [32, "jobs", 1, 20],
            [40, "say", "a pull-request burst of 12 jobs"],
            [40, "jobs", 12, 80],
            [44, "fault", "capacity"],
            [60, "fault", "throttle"],
            [70, "fault", "interrupt"],
            [90, "fault", "kill"],
            [100, "jobs", 1, 20], [120, "jobs", 2, 20],
        ]}
DEMO_SHORT = {"title": "demo (short)", "shape": "script",
              "env": {"MAX_RUNNERS": "10", "EC2_SPOT_PRICE": "0.05"},
              "script": [
                  [0, "jobs", 1, 8], [4, "jobs", 4, 8],
                  [8, "fault", "capacity"], [12, "fault", "interrupt"],
                  [16, "fault", "kill"], [20, "jobs", 1, 8],
              ]}

RUNNER_SH = """#!/bin/sh
# The simulated runner `ghrctl boot` starts: it says it got a JIT config
# (never what it is) and leaves; the twin plays the rest.
if [ -n "${ACTIONS_RUNNER_INPUT_JITCONFIG:-}" ]; then s=config; else s=none; fi
echo "$s" >"$TWIN_UP.tmp" && mv "$TWIN_UP.tmp" "$TWIN_UP"
"""


def pct(v, p):
    """Nearest-rank percentile of v (sorted), None when empty."""
    if not v:
        return None
    return v[max(0, math.ceil(p / 100.0 * len(v)) - 1)]


def fmt_s(x):
    return "-" if x is None else "%.1f" % x


def day_times(n, span, rng):
    """n arrival times over a working day (09:00-17:00) compressed to span
    seconds: a morning ramp, a peak, a lunchtime dip (12:00-13:00 at 30 %),
    an afternoon peak, a tail."""
    def rate(h):
        if h < 10:
            return 0.4 + 0.6 * (h - 9)
        if 12 <= h < 13:
            return 0.3
        if h >= 16:
            return max(0.2, 1.0 - 0.8 * (h - 16))
        return 1.0
    hours = [9 + 8 * i / 1000.0 for i in range(1000)]
    w = [rate(h) for h in hours]
    tot = sum(w)
    cdf, acc = [], 0.0
    for x in w:
        acc += x / tot
        cdf.append(acc)
    out = []
    for k in range(n):
        u = (k + rng.random()) / n
        i = next(j for j, c in enumerate(cdf) if c >= u)
        out.append(span * i / 1000.0)
    return sorted(out)


def read_trace(path):
    """queued_at, labels, duration lines (header optional; `ghrctl jobs -o
    trace` writes them): queued_at in seconds from the start or RFC 3339,
    duration in seconds.  Returns [(offset, labels, duration)]."""
    rows = []
    with open(path, newline="") as f:
        for r in csv.reader(f):
            if not r or r[0].strip().startswith("#") or r[0].strip() == "queued_at":
                continue
            if len(r) < 3:
                raise SystemExit("twin: %s: want queued_at,labels,duration: %r" % (path, r))
            q = r[0].strip()
            try:
                t = float(q)
            except ValueError:
                t = datetime.datetime.strptime(q, "%Y-%m-%dT%H:%M:%SZ").replace(
                    tzinfo=datetime.timezone.utc).timestamp()
            rows.append((t, r[1].strip(), float(r[2])))
    if not rows:
        raise SystemExit("twin: %s: no jobs" % path)
    t0 = min(x[0] for x in rows)
    return sorted((t - t0, l, d) for t, l, d in rows)


def journal_trace(path, bin_):
    """The job journal (<state dir>/scaleset-NAME.json.jobs, JSON lines)
    read back by `ghrctl jobs -o trace` into a trace file beside it."""
    d, base = os.path.split(os.path.abspath(path))
    if not (base.startswith("scaleset-") and base.endswith(".json.jobs")):
        raise SystemExit("twin: %s: a journal is named scaleset-NAME.json.jobs" % path)
    env = {"PATH": "/usr/bin:/bin", "GHRCTL_STATE_DIR": d, "HOME": d,
           "RUNNER_SCALE_SET_NAME": base[len("scaleset-"):-len(".json.jobs")],
           "GITHUB_CONFIG_URL": "https://github.com/journal", "GITHUB_TOKEN": "unused"}
    r = subprocess.run([bin_, "jobs", "-o", "trace"], env=env, capture_output=True,
                       text=True, timeout=60)
    if r.returncode != 0:
        raise SystemExit("twin: ghrctl jobs -o trace: %s" % r.stderr.strip())
    fd, out = tempfile.mkstemp(prefix="ghrctl-twin-trace.", suffix=".csv")
    with os.fdopen(fd, "w") as f:
        f.write(r.stdout)
    return out


def pool_schedule(text, now=None):
    """A scenario's POOL_SCHEDULE with {window} as a range of the time of
    day (UTC) from 10 minutes before now to 50 minutes after: the
    working-hours window the compressed day runs in."""
    if "{window}" not in text:
        return text
    t = time.gmtime(now if now is not None else time.time())
    m = t.tm_hour * 60 + t.tm_min
    a, b = (m - 10) % 1440, (m + 50) % 1440
    return text.replace("{window}", "%02d:%02d-%02d:%02d" % (a // 60, a % 60, b // 60,
                                                             b % 60))


def plan_jobs(sc, rng):
    """The scenario's jobs: [(offset s, labels, duration s)] at scale 1."""
    shape = sc["shape"]
    if shape == "trickle":
        return [(k * sc["every"], "", sc["duration"]) for k in range(sc["n"])]
    if shape == "burst":
        return [(0.0, "", sc["duration"]) for _ in range(sc["n"])]
    if shape == "day":
        return [(t, "", rng.uniform(10, 40)) for t in day_times(sc["n"], sc["span"], rng)]
    if shape == "trace":
        return list(sc["rows"])
    if shape == "script":
        return [(at, "", a[1]) for at, op, *a in sc["script"] if op == "jobs"
                for _ in range(a[0])]
    raise SystemExit("twin: unknown shape %s" % shape)


class Twin:
    def __init__(self, name, sc, opts):
        self.name, self.sc, self.o = name, sc, opts
        self.m = dict(MODEL)
        self.m.update(opts.model)
        self.scale = opts.time_scale
        for k in SCALED:
            self.m[k] *= self.scale
        self.rng = random.Random(opts.seed)
        self.d = tempfile.mkdtemp(prefix="ghrctl-twin-%s." % name)
        self.procs = []          # fakes
        self.boots = {}          # instance id -> Popen of ghrctl boot
        self.inst = {}           # instance id -> our record
        self.jobs = {}           # job id -> record
        self.scheduled = []      # [t, fn, args]
        self.ghrctl = None
        self.kills = 0
        self.interrupted = []
        self.narrate = opts.narrate
        self.t0 = time.time()
        self.a_last = None
        self.last_tick = 0.0

    # -------------------------------------------------------------- utils
    def say(self, msg):
        if self.narrate:
            sys.stderr.write("twin %6.1fs  %s\n" % (time.time() - self.t0, msg))
            sys.stderr.flush()

    def at(self, t, fn, *args):
        self.scheduled.append([t, fn, args])

    def actl(self, obj):
        with open(self.actl_path, "a") as f:
            f.write(json.dumps(obj) + "\n")

    def ectl(self, obj):
        with open(self.ectl_path, "a") as f:
            f.write(json.dumps(obj) + "\n")

    def load(self, path):
        try:
            with open(path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    # -------------------------------------------------------------- setup
    def fake(self, name, *args):
        pf = os.path.join(self.d, name + ".port")
        p = subprocess.Popen([PY, os.path.join(FAKE, name + ".py"), "--port-file", pf,
                              "--log", os.path.join(self.d, name + ".log"),
                              "--cert", os.path.join(self.ca, "server.pem"),
                              "--key", os.path.join(self.ca, "server.key")] + list(args),
                             stdout=open(os.path.join(self.d, name + ".out"), "w"),
                             stderr=subprocess.STDOUT)
        self.procs.append(p)
        for _ in range(400):
            if os.path.exists(pf) and os.path.getsize(pf) > 0:
                return int(open(pf).read())
            if p.poll() is not None:
                break
            time.sleep(0.05)
        raise SystemExit("twin: fake %s did not start: %s" % (
            name, open(os.path.join(self.d, name + ".out")).read()[-400:]))

    def setup(self):
        self.ca = self.o.ca or os.path.join(self.d, "ca")
        if not os.path.exists(os.path.join(self.ca, "server.pem")):
            subprocess.run([PY, os.path.join(FAKE, "mkca.py"), self.ca], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.actl_path = os.path.join(self.d, "actions.ctl")
        self.ectl_path = os.path.join(self.d, "ec2.ctl")
        self.console = os.path.join(self.d, "console")
        self.run_dir = os.path.join(self.d, "run")
        for p in (self.console, self.run_dir, os.path.join(self.d, "home")):
            os.makedirs(p, exist_ok=True)
        open(self.actl_path, "w").close()
        open(self.ectl_path, "w").close()
        # A long poll held 20 s (the service holds ~50 s; shorter keeps a
        # stopped run short).
        self.aport = self.fake("actions", "--token", "ghp_twin", "--control",
                               self.actl_path, "--hold", "20", "--bind", "online",
                               *self.actions_args())
        self.eport = self.fake("aws", "--ec2-control", self.ectl_path, "--console-dir",
                               self.console, "--ec2-limits")
        self.runner = os.path.join(self.d, "runner.sh")
        with open(self.runner, "w") as f:
            f.write(RUNNER_SH)
        os.chmod(self.runner, 0o755)
        env = {"PATH": "/usr/bin:/bin", "HOME": os.path.join(self.d, "home"),
               "GITHUB_CONFIG_URL": "https://localhost:%d/acme" % self.aport,
               "GITHUB_TOKEN": "ghp_twin",
               "GHRCTL_CA_FILE": os.path.join(self.ca, "ca.pem"),
               "RUNNER_SCALE_SET_NAME": "ghrctl-twin",
               "GHRCTL_STATE_DIR": os.path.join(self.d, "state"),
               "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
               "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
               "AWS_REGION": "us-east-1",
               "AWS_ENDPOINT_URL_EC2": "https://localhost:%d" % self.eport,
               "AWS_EC2_METADATA_DISABLED": "true",
               "EC2_AMI_ID": "ami-0123456789abcdef0", "EC2_INSTANCE_TYPE": "m5.large",
               "EC2_SUBNET_ID": "subnet-0aaa", "MAX_RUNNERS": "20",
               # Idle runners beyond the pool go after 30 s (default 5m),
               # so a short run ends with none left.
               "GHRCTL_MIN_AGE": "30s"}
        for k in ("TERM", "NO_COLOR", "COLUMNS"):
            if k in os.environ and self.o.tty:
                env[k] = os.environ[k]
        env.update(self.sc.get("env", {}))
        env.update(self.o.env)
        if "POOL_SCHEDULE" in env:
            env["POOL_SCHEDULE"] = pool_schedule(env["POOL_SCHEDULE"])
        self.env = env
        self.register()

    def actions_args(self):
        """More options of the fake Actions Service (a baseline's)."""
        return []

    def register(self):
        r = subprocess.run([self.o.bin, "register"], env=self.env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, timeout=60)
        if r.returncode != 0:
            raise SystemExit("twin: ghrctl register failed: %s" % r.stderr.decode()[-400:])

    def start_ghrctl(self):
        args = [self.o.bin, "poll", "--follow", "--scale"]
        if self.o.tty:
            # The live view: events on stdout, warnings on stderr.
            out = err = None
            args[1:1] = ["--log-format", "text", "--log-level", "warn"]
        else:
            out = open(os.path.join(self.d, "poll.out"), "a")
            err = open(os.path.join(self.d, "poll.err"), "a")
            args[1:1] = ["--log-level", "info"]
        self.ghrctl = subprocess.Popen(args, env=self.env, stdout=out, stderr=err,
                                       start_new_session=True)

    # ----------------------------------------------------------- instances
    def sample_boot(self, kind):
        mean, d = self.m[kind + "_boot"], self.m[kind + "_boot_spread"]
        return self.rng.uniform(mean - d, mean + d)

    def observe_ec2(self, now):
        e = self.load(self.ec2_dump)
        if e is None:
            return
        self.ec2_last = e
        for i in e["instances"]:
            iid, st = i["id"], i["state"]
            r = self.inst.get(iid)
            if r is None:
                if st not in ("pending", "running"):
                    continue
                r = self.inst[iid] = {"id": iid, "runner": i["tags"].get("ghrctl:runner", ""),
                                      "spot": i.get("spot", False), "alive": 0.0,
                                      "stopped_s": 0.0, "busy": 0.0, "seen": now,
                                      "state": None, "gen": 0}
            if st != r["state"]:
                if st == "running" and "running_at" not in r:
                    r["running_at"] = now
                self.transition(r, i, st, now)
            # The tag as it is now: a batch tags after the launch, and a
            # pool instance is tagged again with the runner it is bound to.
            r["runner"] = i["tags"].get("ghrctl:runner") or r["runner"]

    def transition(self, r, i, st, now):
        prev, r["state"] = r["state"], st
        if st in ("pending", "running") and prev not in ("pending", "running"):
            # Launched (cold) or started from stopped: boot from that moment.
            kind = "stopped" if prev in ("stopped", "stopping") else "cold"
            t = i.get("start_time", i["launch"]) if kind == "stopped" else i["launch"]
            if kind == "stopped":
                t = min(now, max(t, r.get("stopped_at", t)))
            r.update(kind=kind, origin=t, boot=self.sample_boot(kind), up=None,
                     ready=None, gen=r["gen"] + 1)
            r.pop("down", None)
            self.at(t + r["boot"] - self.m["runner_start"], self.start_boot, r["id"], r["gen"])
        elif st in ("stopped", "stopping"):
            r["stopped_at"] = now
            self.kill_boot(r["id"])
        elif st in ("shutting-down", "terminated"):
            self.gone(r, now)

    def gone(self, r, now):
        if "down" not in r:
            r["down"] = now
            r["state"] = "terminated"
            self.kill_boot(r["id"])
            if r["runner"] and not r.get("finished"):
                self.actl({"op": "vanish", "name": r["runner"]})

    def start_boot(self, iid, gen):
        r = self.inst[iid]
        if r["gen"] != gen or r["state"] not in ("pending", "running") or "down" in r:
            return
        up = os.path.join(self.run_dir, iid + ".up")
        args = [self.o.bin, "boot", "--imds-endpoint",
                "https://localhost:%d/imds/%s" % (self.eport, iid),
                "--console", os.path.join(self.console, iid + ".console"),
                "--runner", self.runner, "--wait", "10m", "--scrub-after", "1s"]
        if self.m["boot_interval"]:
            args += ["--interval", self.m["boot_interval"]]
        env = {"PATH": "/usr/bin:/bin", "HOME": self.env["HOME"],
               "GHRCTL_CA_FILE": self.env["GHRCTL_CA_FILE"], "TWIN_UP": up}
        r["boot_at"] = time.time()
        self.boots[iid] = subprocess.Popen(
            args, env=env, stdout=open(os.path.join(self.run_dir, iid + ".out"), "a"),
            stderr=open(os.path.join(self.run_dir, iid + ".err"), "a"),
            start_new_session=True)

    def kill_boot(self, iid):
        p = self.boots.pop(iid, None)
        if p is not None and p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
            p.wait()

    def check_boots(self, now):
        for iid, r in self.inst.items():
            if r.get("up") is not None or "down" in r or r["state"] != "running":
                continue
            f = os.path.join(self.run_dir, iid + ".up")
            p = self.boots.get(iid)
            if p is not None and p.poll() == 0 and not os.path.exists(f):
                # `ghrctl boot` found it in the warm pool, said so on the
                # console and ended: the user data powers the instance
                # off, and a pool instance stops (its shutdown behaviour).
                del self.boots[iid]
                self.ectl({"op": "shutdown", "id": iid})
                continue
            if os.path.exists(f):
                got = open(f).read().strip()
                try:
                    r["up_at"] = os.stat(f).st_mtime     # the runner started
                except OSError:
                    pass
                os.unlink(f)
                r["up"] = now
                if got != "config":
                    self.say("instance %s: its runner got no config" % iid)
                    r["noconfig"] = True
                    continue
                # From when the runner started (the file's time), not from
                # this look at it: the twin's own lag is not ghrctl's.
                self.at(min(now, r.get("up_at", now)) + self.m["runner_start"],
                        self.runner_up, iid, r["gen"])

    def runner_up(self, iid, gen):
        r = self.inst[iid]
        if r["gen"] != gen or "down" in r:
            return
        r["ready"] = time.time()
        self.actl({"op": "runner", "name": r["runner"], "status": "online", "busy": False})
        self.actl({"op": "online", "name": r["runner"], "assign_s": self.m["assign"]})

    def power_off(self, iid):
        r = self.inst[iid]
        if "down" in r:
            return
        self.ectl({"op": "state", "id": iid, "state": "terminated"})
        self.gone(r, time.time())

    # ---------------------------------------------------------------- jobs
    def queue(self, ids):
        now = time.time()
        for i in ids:
            self.jobs[i]["queued"] = now
        self.actl({"op": "jobs", "ids": ids})

    def observe_actions(self, now):
        a = self.load(self.astate)
        if a is None:
            return
        self.a_last = a
        by_runner = {r["runner"]: r for r in self.inst.values() if r["runner"]}
        for name, j in a.get("runner_job", {}).items():
            job = self.jobs.get(j)
            r = by_runner.get(name)
            if job is None or r is None or r.get("took") == j:
                continue
            r["took"] = j
            t = a["started"].get(str(j), [name, now])[1]
            if "started" not in job:
                job.update(started=t, runner=name, inst=r["id"])
                job["class"] = "hot" if r.get("ready") and r["ready"] <= job["queued"] \
                    else r.get("kind", "cold")
                boot = r.get("boot", 0.0)
                if job["class"] != "hot":
                    boot = min(boot, max(0.0, r["origin"] + boot - job["queued"]))
                else:
                    boot = 0.0
                job["modelled"] = boot + self.m["assign"]

            r["job_start"] = t
            self.at(t + job["duration"] * self.scale, self.complete, r["id"], j)

    def complete(self, iid, j):
        r = self.inst[iid]
        if "down" in r:
            self.interrupted.append(j)
            return
        r["finished"] = True
        r["busy"] += time.time() - r["job_start"]
        self.jobs[j]["done"] = time.time()
        self.actl({"op": "run", "name": r["runner"]})
        # The runner exits after its one job and the instance powers off
        # (ephemeral runner, InstanceInitiatedShutdownBehavior=terminate).
        self.at(time.time() + 0.5, self.power_off, iid)

    # -------------------------------------------------------------- faults
    def fault(self, kind):
        if kind == "capacity":
            self.say("fault: EC2 answers the next launch InsufficientInstanceCapacity")
            self.ectl({"op": "capacity", "count": 1})
        elif kind == "throttle":
            self.say("fault: EC2 throttles the next 2 RunInstances (RequestLimitExceeded)")
            self.ectl({"op": "throttle", "action": "RunInstances", "count": 2})
        elif kind == "acquire":
            self.say("fault: the service answers an acquire with an empty body")
            self.actl({"op": "acquire_fault", "kind": "empty", "count": 1})
        elif kind == "interrupt":
            live = [r for r in self.inst.values() if "down" not in r and r["state"] == "running"
                    and not r.get("notice")]
            spot = [r for r in live if r["spot"]] or live
            if not spot:
                self.say("fault: no running instance to interrupt")
                return
            # The one with the most of its job still to run, else any.
            busy = [r for r in spot if r.get("took") and not r.get("finished")]
            if busy:
                self.interrupt(max(busy, key=lambda r: r["job_start"] + self.scale *
                                   self.jobs[r["took"]]["duration"]))
            else:
                self.interrupt(self.rng.choice(spot))
        elif kind == "kill":
            self.say("fault: kill -9 ghrctl, then start it again")
            self.kills += 1
            try:
                os.killpg(self.ghrctl.pid, signal.SIGKILL)
            except OSError:
                pass
            self.ghrctl.wait()
            self.start_ghrctl()

    def interrupt(self, r):
        r["notice"] = True
        self.say("spot interruption notice for %s (%s): terminated in %.0f s"
                 % (r["id"], r["runner"], self.m["spot_notice"]))
        self.at(time.time() + self.m["spot_notice"], self.reclaim, r["id"])

    def reclaim(self, iid):
        r = self.inst[iid]
        if "down" in r:
            return
        if r.get("took") and not r.get("finished"):
            self.say("spot instance %s reclaimed in the middle of job %d: the job waits "
                     "for another runner" % (iid, r["took"]))
        else:
            self.say("spot instance %s reclaimed" % iid)
        self.ectl({"op": "state", "id": iid, "state": "terminated"})
        self.gone(r, time.time())

    def spot_tick(self, dt):
        rate = self.m["spot_rate"]
        if rate <= 0:
            return
        for r in list(self.inst.values()):
            if r["spot"] and "down" not in r and not r.get("notice") and \
                    self.rng.random() < rate * dt / 3600.0 / self.scale:
                self.interrupt(r)

    # ---------------------------------------------------------------- run
    def run(self):
        self.setup()
        self.ec2_dump = os.path.join(self.d, "aws.log.ec2")
        self.astate = os.path.join(self.d, "actions.log.state")
        self.t0 = time.time()
        self.start_ghrctl()
        plan = plan_jobs(self.sc, self.rng)
        for k, (off, labels, dur) in enumerate(plan):
            self.jobs[k + 1] = {"id": k + 1, "offset": off, "labels": labels, "duration": dur}
        # A pool fills before the jobs come: idle runners up (hot), and
        # instances stopped (a stopped pool; its settings come with --env).
        warm = self.o.warm if self.o.warm is not None else self.sc.get("warm", 0)
        warm_stopped = self.o.warm_stopped if self.o.warm_stopped is not None else \
            self.sc.get("warm_stopped", 0)
        if warm or warm_stopped:
            self.say("warming: waiting for %d idle runners, %d stopped instances"
                     % (warm, warm_stopped))
            end = time.time() + self.o.warm_time
            while time.time() < end and (sum(
                    1 for r in self.inst.values()
                    if r.get("ready") and "down" not in r and not r.get("took")) < warm or
                    sum(1 for r in self.inst.values() if r["state"] == "stopped") <
                    warm_stopped):
                self.tick()
        start = time.time()
        self.t_jobs = start
        batches = {}
        for j in self.jobs.values():
            batches.setdefault(start + j["offset"] * self.scale, []).append(j["id"])
        for t, ids in sorted(batches.items()):
            self.at(t, self.queue, ids)
        for at, op, *a in self.sc.get("script", []):
            if op == "say":
                self.at(start + at * self.scale, self.say, a[0])
            elif op == "jobs":
                self.at(start + at * self.scale, self.say,
                        "%d job%s queued" % (a[0], "" if a[0] == 1 else "s"))
            elif op == "fault":
                self.at(start + at * self.scale, self.fault, a[0])
        if self.m["capacity_every"] > 0:
            t = start
            while t < start + (plan[-1][0] + 60) * self.scale:
                t += self.m["capacity_every"] * self.scale
                self.at(t, self.fault, "capacity")
        last = start + plan[-1][0] * self.scale
        deadline = last + self.o.budget
        while time.time() < deadline:
            self.tick()
            if time.time() > last and all("done" in j for j in self.jobs.values()):
                break
        self.finish = time.time()
        self.settle()
        return self.report()

    def tick(self, scaler=True):
        now = time.time()
        due = [s for s in self.scheduled if s[0] <= now]
        self.scheduled = [s for s in self.scheduled if s[0] > now]
        for t, fn, args in sorted(due, key=lambda s: s[0]):
            fn(*args)
        self.observe_ec2(now)
        self.check_boots(now)
        self.observe_actions(now)
        if scaler and self.ghrctl.poll() is not None:
            self.say("ghrctl exited with status %d; starting it again" % self.ghrctl.returncode)
            self.start_ghrctl()
        dt = now - self.last_tick if self.last_tick else 0.0
        self.last_tick = now
        self.spot_tick(dt)
        for r in self.inst.values():
            if "down" not in r:
                if r["state"] == "running":
                    r["alive"] += dt
                elif r["state"] == "stopped":
                    r["stopped_s"] += dt
        # Until the next thing due, 0.1 s at most: a step of the model
        # starts on time, not up to a tick late.
        nxt = min((x[0] for x in self.scheduled), default=now + 0.1)
        time.sleep(min(0.1, max(0.005, nxt - time.time())))

    def pool_size(self):
        """The hot pool the run ends with: MIN_RUNNERS or the scenario's
        schedule's hot=."""
        try:
            return max(int(self.env.get("MIN_RUNNERS", "0")), self.sc.get("hot", 0))
        except ValueError:
            return 0

    def stopped_count(self):
        """Instances stopped (the stopped pool, or on their way out)."""
        return sum(1 for r in self.inst.values() if "down" not in r
                   and r["state"] in ("stopping", "stopped"))

    def counts(self):
        live = sum(1 for r in self.inst.values() if "down" not in r
                   and r["state"] in ("pending", "running"))
        runners = len((self.a_last or {}).get("runners", []))
        return live, runners

    def settle(self):
        """After the last job: ghrctl retires what is left (idle runners go
        at its next full reconcile); then ghrctl stops and a `scale` with
        MIN_RUNNERS=0 retires the pool, and everything is stopped."""
        pool = self.pool_size()
        end = time.time() + self.o.settle
        while time.time() < end:
            self.tick()
            live, runners = self.counts()
            if live <= pool and runners <= pool and not any(
                    s[1] == self.complete for s in self.scheduled):
                break
        live, runners = self.counts()
        self.left = (max(0, live - pool), max(0, runners - pool))
        # Stop the scaler, then retire the pool with the real tool.
        self.stop_ghrctl()
        # Instances still booting come up (scale delivers their configs)
        # and are retired once idle.
        # No schedule: the hot and stopped pools go too (scale
        # terminates the stopped pool above a size of 0).
        env = dict(self.env, MIN_RUNNERS="0", POOL_SCHEDULE="")
        end = time.time() + self.o.settle
        while time.time() < end:
            subprocess.run([self.o.bin, "scale", "--min-age", "0s"], env=env,
                           stdout=open(os.path.join(self.d, "teardown.out"), "a"),
                           stderr=open(os.path.join(self.d, "teardown.err"), "a"), timeout=120)
            t = time.time() + 3
            while time.time() < t:
                self.tick(scaler=False)
            live, runners = self.counts()
            if live == 0 and runners == 0 and self.stopped_count() == 0:
                break
        self.after = self.counts()
        self.after_stopped = self.stopped_count()

    def stop_ghrctl(self):
        if self.ghrctl is None:
            return
        try:
            os.killpg(self.ghrctl.pid, signal.SIGTERM)
        except OSError:
            pass
        try:
            self.ghrctl.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.ghrctl.pid, signal.SIGKILL)
            self.ghrctl.wait()

    # ------------------------------------------------------------- report
    def report(self):
        jobs = list(self.jobs.values())
        started = [j for j in jobs if "started" in j]
        q = {"all": sorted(j["started"] - j["queued"] for j in started)}
        share, floor = {}, {}
        for c in ("hot", "stopped", "cold"):
            v = [j for j in started if j["class"] == c]
            q[c] = sorted(j["started"] - j["queued"] for j in v)
            share[c] = sorted((j["started"] - j["queued"]) - j["modelled"] for j in v)
            floor[c] = sorted(j["modelled"] for j in v)
        share["all"] = sorted(x for c in ("hot", "stopped", "cold") for x in share[c])
        # Where ghrctl's share went: from a job queued to the launch of
        # the instance named for it (ghrctl-<set>-r<id>; the job itself
        # may run on another runner that was up first), and from `ghrctl
        # boot` started (its key on the console) to the config opened
        # (delivery, and boot's own polling), per instance.
        own = {}
        for r in self.inst.values():
            mm = re.search(r"-r(\d+)$", r["runner"])
            if mm and r.get("kind") == "cold":
                own.setdefault(int(mm.group(1)), r)
        v = sorted(own[j["id"]]["origin"] - j["queued"] for j in started
                   if j["id"] in own and "queued" in j and j["class"] != "hot")
        parts = {"launch_wait": [pct(v, 50), pct(v, 95), pct(v, 99), len(v)]}
        v = sorted(r["up"] - r["boot_at"] for r in self.inst.values()
                   if r.get("up") and r.get("boot_at"))
        parts["delivery"] = [pct(v, 50), pct(v, 95), pct(v, 99), len(v)]
        steps, per_job = self.share_steps(started, own)
        steps_stopped, _ = self.share_steps(started, own, "stopped")
        alive = sum(r["alive"] for r in self.inst.values())
        busy = sum(r["busy"] for r in self.inst.values())
        idle = max(0.0, alive - busy)
        stopped = sum(r["stopped_s"] for r in self.inst.values())
        ec2_calls = throttled = 0
        acalls = 0
        try:
            with open(os.path.join(self.d, "aws.log")) as f:
                for line in f:
                    try:
                        x = json.loads(line)
                    except ValueError:
                        continue
                    if x.get("api") == "ec2":
                        ec2_calls += 1
            with open(os.path.join(self.d, "actions.log")) as f:
                acalls = sum(1 for _ in f)
        except OSError:
            pass
        e = self.load(self.ec2_dump) or {}
        throttled = sum(e.get("throttled", {}).values())
        n = max(1, len(jobs))
        usd = idle / 3600.0 * self.m["price_hour"] / self.scale
        usd_stopped = stopped / self.scale / (30 * 86400.0) * self.m["ebs_gb_month"] * \
            self.m["volume_gb"]
        title = self.sc["title"]
        if self.scale != 1:
            title += " [time scale %g]" % self.scale
        res = {"scenario": self.name, "title": title, "time_scale": self.scale,
               "jobs": len(jobs), "started": len(started),
               "never_started": len(jobs) - len(started),
               "queue": {k: [pct(v, 50), pct(v, 95), pct(v, 99), len(v)] for k, v in q.items()},
               "share": {k: [pct(v, 50), pct(v, 95), pct(v, 99), len(v)]
                         for k, v in share.items()},
               "share_parts": parts, "share_steps": steps, "share_jobs": per_job,
               "floor": {c: [pct(v, 50), pct(v, 95), pct(v, 99), len(v)]
                         for c, v in floor.items()},
               "share_steps_stopped": steps_stopped,
               "idle_instance_s": idle / self.scale, "idle_usd": usd,
               "stopped_instance_s": stopped / self.scale, "stopped_usd": usd_stopped,
               "instances": len(self.inst), "ec2_calls": ec2_calls, "actions_calls": acalls,
               "ec2_calls_per_job": ec2_calls / n, "actions_calls_per_job": acalls / n,
               "throttled": throttled, "throttled_per_job": throttled / n,
               "leftover_instances": self.left[0], "leftover_runners": self.left[1],
               "after_teardown": list(self.after), "interrupted": len(self.interrupted),
               "after_teardown_stopped": self.after_stopped,
               "pool_served": len(q["hot"]) + len(q["stopped"]),
               "kills": self.kills, "seconds": self.finish - self.t0,
               "noconfig": sum(1 for r in self.inst.values() if r.get("noconfig")),
               "env": {k: v for k, v in self.sc.get("env", {}).items()},
               "model": {k: MODEL[k] for k in MODEL}, "dir": self.d}
        return res

    # Where ghrctl's share of a launched job's queue time goes, step by
    # step: (name, what it holds).
    STEPS = (("react", "job queued to the scaler's acquire of it"),
             ("launch", "acquired to RunInstances (the instance named for it)"),
             ("boot", "RunInstances to `ghrctl boot` started, its key on the console, "
              "beyond the modelled boot"),
             ("key_seen", "key on the console to the sealed config tagged (delivery)"),
             ("opened", "sealed config tagged to `ghrctl boot` opened it (tag polling)"),
             ("ready", "opened to runner ready, beyond the modelled runner start"),
             ("assign", "runner ready to job started, beyond the modelled assignment"))

    def log_entries(self, name):
        """The JSON lines of a fake's log in the run directory."""
        try:
            with open(os.path.join(self.d, name)) as f:
                lines = f.readlines()
        except OSError:
            return
        for line in lines:
            try:
                yield json.loads(line)
            except ValueError:
                continue

    def share_matched(self, started):
        """ghrctl's share with the service's matching taken out: the
        service hands the oldest waiting job to the first runner up, so a
        job may run on a runner launched for a later job (it booted
        quicker) and the share above counts the time between the two
        launches as ghrctl's.  Here each launched runner is ready, in the
        ideal world, its modelled boot after the job it was launched for
        was queued; runners in that order take the oldest waiting job;
        a job's share is its start minus its start in that world.
        [p50, p95, max, n] over the cold jobs."""
        ready, jobs = [], {}
        for r in self.inst.values():
            mm = re.search(r"-r(\d+)$", r["runner"])
            j = self.jobs.get(int(mm.group(1))) if mm else None
            if j is None or "queued" not in j or r.get("kind") != "cold" or \
                    r.get("origin", 0) < j["queued"]:
                continue
            ready.append(j["queued"] + r["boot"])
        for j in started:
            if j["class"] == "cold":
                jobs[j["id"]] = j
        ready.sort()
        waiting = sorted(jobs.values(), key=lambda j: (j["queued"], j["id"]))
        v = []
        for t, j in zip(ready, waiting):
            v.append(j["started"] - max(t, j["queued"]) - self.m["assign"])
        v.sort()
        return [pct(v, 50), pct(v, 95), v[-1] if v else None, len(v)]

    def share_steps(self, started, own, kind="cold"):
        """Per launched job (the instance that ran it, of kind: cold, or
        stopped for one started from the stopped pool): the times of each
        step from the logs of the fakes, and p50/p95/max of each step's
        part of ghrctl's share.  Times are s from the job queued; a
        stopped instance's "launch" is its StartInstances."""
        acquired, sealed_t = {}, {}
        for x in self.log_entries("actions.log"):
            if "/acquirejobs" not in x.get("path", ""):
                continue
            try:
                ids = json.loads(x.get("body") or "[]")
            except ValueError:
                continue
            for j in ids if isinstance(ids, list) else []:
                acquired.setdefault(j, x["t"])
        for x in self.log_entries("aws.log"):
            p = x.get("params", {})
            if x.get("action") == "CreateTags" and any(
                    k.startswith("Tag.") and v.startswith("ghrctl:seal:") for k, v in p.items()):
                for k, v in p.items():
                    if k.startswith("ResourceId."):
                        sealed_t.setdefault(v, []).append(x["t"])
        e = self.load(self.ec2_dump) or {}
        launch = {i["id"]: i["launch"] for i in e.get("instances", [])}
        per_job, parts, missing = [], {k: [] for k, _ in self.STEPS}, {}
        for j in started:
            # The instance whose runner took the job (its boot is the one
            # modelled in the share), else the one named for it.
            r = self.inst.get(j.get("inst")) or own.get(j["id"])
            if r is None or j["class"] == "hot" or r.get("kind") != kind:
                continue
            q = j["queued"]
            sent = launch.get(r["id"]) if kind == "cold" else r.get("origin")
            t = {"acquired": acquired.get(j["id"]), "run_sent": sent,
                 "running": r.get("running_at"), "key": r.get("boot_at"),
                 "sealed": None, "opened": r.get("up_at"),
                 "ready": r.get("ready"), "started": j["started"]}
            # Its config sealed for this boot (a pool instance may have
            # been sealed for an earlier one).
            v = [x for x in sealed_t.get(r["id"], []) if t["key"] is not None
                 and x >= t["key"]]
            t["sealed"] = min(v) if v else None
            if any(v is None for v in t.values()):
                for k, v in t.items():
                    if v is None:
                        missing[k] = missing.get(k, 0) + 1
                continue
            # The boot modelled ahead of the job's queuing (a launch before
            # it was queued was for another job: counted from the queuing).
            boot_due = r["origin"] + r["boot"] - self.m["runner_start"]
            d = {"react": t["acquired"] - q,
                 "launch": t["run_sent"] - t["acquired"],
                 "boot": t["key"] - max(boot_due, q),
                 "key_seen": t["sealed"] - t["key"],
                 "opened": t["opened"] - t["sealed"],
                 "ready": t["ready"] - t["opened"] - self.m["runner_start"],
                 "assign": t["started"] - t["ready"] - self.m["assign"]}
            for k in d:
                parts[k].append(d[k])
            per_job.append({"job": j["id"], "instance": r["id"],
                            "t": {k: round(v - q, 3) for k, v in t.items()},
                            "share": round(j["started"] - q - j["modelled"], 3),
                            "steps": {k: round(v, 3) for k, v in d.items()}})
        steps = {"matched": self.share_matched(started) if kind == "cold"
                 else [None, None, None, 0], "missing": missing}
        for k, _ in self.STEPS:
            v = sorted(parts[k])
            steps[k] = [pct(v, 50), pct(v, 95), v[-1] if v else None, len(v)]
        return steps, per_job

    def close(self):
        if self.ghrctl is not None and self.ghrctl.poll() is None:
            try:
                os.killpg(self.ghrctl.pid, signal.SIGKILL)
            except OSError:
                pass
            self.ghrctl.wait()
        for iid in list(self.boots):
            self.kill_boot(iid)
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if not self.o.keep:
            shutil.rmtree(self.d, ignore_errors=True)


# The REST-polling baseline (make twin --baselines; --baseline rest): the
# seed Lambda design, poll REST every 60 s, run as a process: `ghrctl
# scale --source rest` started every rest_poll s as cron or EventBridge
# would, against the same fakes.  The fake GitHub lists the twin's jobs
# as workflow runs of REST_REPO (tests/fake/actions.py --rest-repo: GitHub
# REST "List workflow runs for a repository" and "List jobs for a
# workflow run"), one run per batch of jobs queued together, with these
# labels; the pool's RUNNER_LABELS match them.  Scenarios run, with what
# they change (none: the same jobs as ghrctl's own row).
# A pass of `ghrctl scale` delivers up to 200 configs (deliver.h
# DELIVER_PASS_CALLS, its clears of opened configs counted in), so each
# scenario runs with its own jobs; each REST run may take `budget` s
# after its last job queued.
REST_RUNS = {"cold": {}, "burst80": {}, "day": {}}
REST_BUDGET = 420
REST_DELIVER = 200
REST_REPO = "acme/app"
REST_LABELS = ["self-hosted", "linux", "x64"]


class RestTwin(Twin):
    """The twin with `ghrctl scale --source rest` every rest_poll s (the
    first at a random phase, as a cron's minute falls anywhere in the
    jobs' arrivals) in place of `poll --follow --scale`.  A pass still
    running when the next is due makes that one exit 75 (the state lock),
    as overlapping cron runs do.  Instances boot as in the twin; a
    launched instance's sealed config is delivered by a later pass
    (ghrctl-scale(1): "a later pass of ghrctl ... reads it"), so a job
    waits for the pass that sees it and the one after its boot."""

    def __init__(self, name, sc, opts):
        sc = dict(sc, **REST_RUNS.get(name, {}))
        sc["title"] = "%s: REST polling every %.0f s (the seed Lambda design: poll REST " \
            "every 60 s; `ghrctl scale --source rest` every %.0f s)%s" % (
                sc["title"], opts.model.get("rest_poll", MODEL["rest_poll"]),
                opts.model.get("rest_poll", MODEL["rest_poll"]),
                "" if sc.get("n") == SCENARIOS.get(name, {}).get("n") else
                " [%d jobs, not %d]" % (sc["n"], SCENARIOS[name]["n"]))
        sc["env"] = dict(sc.get("env", {}), GHRCTL_SOURCE="rest",
                         RUNNER_LABELS=", ".join(REST_LABELS[1:]))
        sc["warm"] = sc["warm_stopped"] = 0
        opts = argparse.Namespace(**vars(opts))
        opts.budget = max(opts.budget, REST_BUDGET)
        super().__init__(name + "-rest", sc, opts)
        self.crons = []
        self.cron_at = None
        self.cron_rng = random.Random(opts.seed + 60)
        self.passes = {"run": 0, "locked": 0, "failed": 0}

    def actions_args(self):
        # No scale set: the service assigns a job to any idle runner
        # whose labels match, as GitHub does for plain self-hosted labels.
        return ["--assign", "service", "--rest-repo", REST_REPO]

    def register(self):
        pass        # --source rest needs no scale set

    def queue(self, ids):
        now = time.time()
        for i in ids:
            self.jobs[i]["queued"] = now
        self.actl({"op": "jobs", "ids": ids, "labels": REST_LABELS})

    def start_ghrctl(self):
        if self.cron_at is None:
            self.cron_at = time.time() + self.cron_rng.uniform(0, self.m["rest_poll"])

    def reap(self):
        for p in self.crons:
            if p.returncode is None and p.poll() is not None:
                self.passes["run"] += 1
                if p.returncode == 75:
                    self.passes["locked"] += 1
                elif p.returncode != 0:
                    self.passes["failed"] += 1

    def cron(self):
        self.reap()
        if time.time() < self.cron_at:
            return
        self.cron_at += self.m["rest_poll"]
        self.say("cron: ghrctl scale --source rest")
        self.ghrctl = subprocess.Popen(
            [self.o.bin, "--log-level", "info", "scale", "--source", "rest"], env=self.env,
            stdout=open(os.path.join(self.d, "scale.out"), "a"),
            stderr=open(os.path.join(self.d, "scale.err"), "a"), start_new_session=True)
        self.crons.append(self.ghrctl)

    def tick(self, scaler=True):
        if scaler:
            self.cron()
        super().tick(scaler=False)

    def stop_ghrctl(self):
        # The cron stops: no pass after this; one running may end.
        self.cron_at = float("inf")
        for p in self.crons:
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.ghrctl = p
                super().stop_ghrctl()
        self.reap()

    def report(self):
        res = super().report()
        res["baseline"] = "rest"
        res["rest_poll"] = self.m["rest_poll"] / self.scale
        res["passes"] = dict(self.passes)
        return res

    def close(self):
        for p in self.crons:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except OSError:
                    pass
                p.wait()
        self.ghrctl = None
        super().close()


def cls(res, c):
    v = res["queue"].get(c, [None, None, None, 0])
    if not v[3]:
        return "-"
    return "%d: %s / %s / %s" % (v[3], fmt_s(v[0]), fmt_s(v[1]), fmt_s(v[2]))


def row(res):
    shares = ", ".join("%s %s" % (c, fmt_s(res["share"][c][1])) for c in
                       ("hot", "stopped", "cold") if res["share"][c][3])
    return ("| %s | %d | %s | %s | %s | %s | %s | %.0f s ($%.4f)%s | %.2f / %.2f | %d | %d + %d"
            " | %d |" % (
                res["title"], res["jobs"], cls(res, "all"), cls(res, "hot"),
                cls(res, "stopped"), cls(res, "cold"), shares or "-",
                res["idle_instance_s"], res["idle_usd"],
                "; stopped %.0f s ($%.6f)" % (res["stopped_instance_s"], res["stopped_usd"])
                if res["stopped_instance_s"] else "",
                res["ec2_calls_per_job"], res["actions_calls_per_job"], res["throttled"],
                res["leftover_instances"], res["leftover_runners"], res["never_started"]))


HEADER = ("| scenario | jobs | queue time p50 / p95 / p99 s (all) | hot: n: p50 / p95 / p99 "
          "| stopped | cold | ghrctl's own share p95 s, per class | idle instance-s ($) "
          "| EC2 / Actions calls per job | throttled | left: instances + runners "
          "| never started |\n|---|---|---|---|---|---|---|---|---|---|---|---|")


def model_text():
    m = MODEL
    return (
        "Boot model (bench/twin/twin.py MODEL, time scale 1): launch to runner ready "
        "%.0f s +- %.0f s cold, start from stopped to runner ready %.0f s +- %.0f s, the "
        "service hands a job to an idle runner %.0f s after both are ready (uniform draws; "
        "derived from RunsOn's published Linux queue times, cold < 25 s, stopped < 15 s, "
        "hot < 6 s: https://runs-on.com/runners/pools).  Of a boot, the last %.0f s are "
        "the runner's own start after `ghrctl boot` opened its config; the rest comes "
        "before `ghrctl boot` starts.  EC2's request and resource buckets on "
        "(tests/fake/aws.py --ec2-limits: RunInstances 5 a burst, 2 a second; EC2 API "
        "reference, \"Request throttling for the Amazon EC2 API\").  Spot: %.0f s notice, "
        "then termination (Amazon EC2 User Guide, \"Spot Instance interruption notices\").  "
        "Prices: $%.3f an instance-hour (m5.large on-demand, us-east-1), $%.2f a GB-month "
        "of gp3 for %.0f GB stopped.  ghrctl's own share: queue time minus the modelled "
        "boot still ahead when the job was queued and the modelled assignment; it "
        "holds ghrctl's reaction, its EC2 pacing, config delivery and `ghrctl boot`'s "
        "tag polling (--interval).  ghrctl runs with GHRCTL_MIN_AGE=30s (idle runners beyond "
        "the pool retire after 30 s, not 5 min, so a short run ends with none left) and EC2's "
        "default pacing." % (
            m["cold_boot"], m["cold_boot_spread"], m["stopped_boot"],
            m["stopped_boot_spread"], m["assign"], m["runner_start"], m["spot_notice"],
            m["price_hour"], m["ebs_gb_month"], m["volume_gb"]))


def targets(results):
    """Issue 15's targets (time scale 1) beside what the runs measured."""
    by = {r["scenario"]: r for r in results if not r.get("baseline")}
    real = [r for r in results if not r.get("baseline") and r.get("time_scale") == 1]

    def q95(name, c):
        r = by.get(name)
        if r is None or not r["queue"][c][3]:
            return "not run"
        fl = r.get("floor", {}).get(c)
        return "%s s (%d jobs%s)" % (
            fmt_s(r["queue"][c][1]), r["queue"][c][3],
            "; the model alone: %s s" % fmt_s(fl[1]) if fl and fl[3] else "")
    shares = []
    for c in ("hot", "stopped", "cold"):
        v = [r["share"][c][1] for r in real if r["share"][c][3]]
        if v:
            shares.append("%s %s s" % (c, fmt_s(max(v))))
    served = []
    for name, what in (("day-pool", "with the schedule"), ("day", "no pool")):
        day = by.get(name)
        if day and day["started"]:
            warm = day["queue"]["hot"][3] + day["queue"]["stopped"][3]
            served.append("%s: %.0f %% hot or stopped (%d of %d), idle %.0f instance-s "
                          "($%.4f), stopped %.0f instance-s ($%.6f)" % (
                              what, 100.0 * warm / day["started"], warm, day["started"],
                              day["idle_instance_s"], day["idle_usd"],
                              day.get("stopped_instance_s", 0), day.get("stopped_usd", 0)))
    served = "; ".join(served) or "not run"
    zero = "never started %d, leftovers %d, throttled %d" % (
        sum(r["never_started"] for r in real),
        sum(r["leftover_instances"] + r["leftover_runners"] for r in real),
        sum(r["throttled"] for r in real))
    return ["| target (time scale 1) | goal, p95 | anchor | measured |", "|---|---|---|---|",
            "| ghrctl's own share of queue time, every class, bursts up to 100 | <= 1 s | - "
            "| worst p95 over the runs: %s |" % (", ".join(shares) or "not run"),
            "| single jobs, hot pool | <= 3 s | RunsOn < 6 s | %s |" % q95("hot", "hot"),
            "| single jobs, stopped pool | <= 12 s | RunsOn < 15 s | %s |" % q95(
                "stopped", "stopped"),
            "| single jobs, cold | <= 22 s | RunsOn < 25 s | %s |" % q95("cold", "cold"),
            "| burst of 80 with stopped pool 20, rest cold | the 20 <= 12 s, the rest <= 23 s "
            "| - | %s; no pool: all 80 cold, %s |" % (
                "stopped %s, cold %s" % (q95("burst80-pool", "stopped"),
                                         q95("burst80-pool", "cold"))
                if "burst80-pool" in by else "not run", q95("burst80", "cold")),
            "| working day with schedule | >= 90 %% of jobs hot or stopped | - | %s |" % served,
            "| zero jobs never started, leftovers, throttled calls | 0 | - | %s |" % zero,
            "", "\"The model alone\": p95 of the same jobs' modelled boot and assignment, "
            "with nothing of ghrctl in it (queue time minus ghrctl's share), the lowest "
            "p95 any scaler reaches in that run.  With many jobs it tends to the "
            "model's own p95: uniform boots, %s s + %s s cold and %s s + %s s "
            "stopped, plus %s s assignment, give %s s cold and %s s stopped, above the "
            "goals of 22 s (cold), 23 s (the burst's cold part) and 12 s (stopped): "
            "those three goals are below the floor of the boot model they come with, "
            "and only a launch before the job is queued (a pool) can meet them." % (
                fmt_s(MODEL["cold_boot"]), fmt_s(MODEL["cold_boot_spread"]),
                fmt_s(MODEL["stopped_boot"]), fmt_s(MODEL["stopped_boot_spread"]),
                fmt_s(MODEL["assign"]),
                fmt_s(MODEL["cold_boot"] + 0.9 * MODEL["cold_boot_spread"] + MODEL["assign"]),
                fmt_s(MODEL["stopped_boot"] + 0.9 * MODEL["stopped_boot_spread"] +
                      MODEL["assign"]))]


def parts_text(results):
    """Where ghrctl's share of a launched job's queue time went."""
    out = []
    for r in results:
        p = r.get("share_parts")
        if not p or not p["launch_wait"][3]:
            continue
        out.append("- %s: job queued to the launch of the instance named for it p50 %s s, "
                   "p95 %s s; `ghrctl boot` started (key on the console) to config opened "
                   "p50 %s s, p95 %s s"
                   % (r["title"], fmt_s(p["launch_wait"][0]), fmt_s(p["launch_wait"][1]),
                      fmt_s(p["delivery"][0]), fmt_s(p["delivery"][1])))
    if out:
        out.insert(0, "Where ghrctl's share of launched jobs went:")
        out.insert(1, "")
    return out


def baseline_text(results):
    """What the REST-polling rows are (when there are any)."""
    b = [r for r in results if r.get("baseline") == "rest"]
    if not b:
        return ""
    return (
        "Rows \"REST polling every 60 s\": the seed Lambda design: poll REST every 60 s, "
        "run in the same twin as a process: `ghrctl scale --source rest` started every "
        "%.0f s as cron or EventBridge would (the first at a seeded random phase; a pass still "
        "running makes the next exit 75), no scale set, no message session.  The fake "
        "GitHub lists the twin's jobs as workflow runs (one per batch queued together; "
        "GitHub REST \"List workflow runs for a repository\", \"List jobs for a workflow "
        "run\"): queued until a runner is bound, in_progress, then completed, read from the "
        "same job model as the Actions Service's; labels %s, RUNNER_LABELS=%s.  Instances, "
        "`ghrctl boot`, runners, prices and EC2 limits as above; a launched instance gets "
        "its sealed config from a later pass, and a pass works on at most %d pending configs, "
        "delivering or clearing opened ones (src/deliver.h DELIVER_PASS_CALLS): %s.  Its share column is queue time minus the "
        "modelled boot and assignment, as for ghrctl's rows: the wait for a pass and for "
        "delivery.  " % (b[0]["rest_poll"],
                         ", ".join(REST_LABELS), ", ".join(REST_LABELS[1:]), REST_DELIVER,
                         "; ".join("%s with %d jobs, not %d" % (k, v["n"], SCENARIOS[k]["n"])
                                   for k, v in REST_RUNS.items() if "n" in v)
                         or "every scenario with its own jobs"))


def steps_text(res, key="share_steps", what="launched"):
    """The share breakdown of a run on stderr (its JSON has it per job)."""
    st = res.get(key)
    if key == "share_steps":
        steps_text(res, "share_steps_stopped", "stopped-pool")
    n = max([st[k][3] for k, _ in Twin.STEPS] if st else [0])
    if not n:
        return
    sys.stderr.write("%s: ghrctl's share of %s jobs, step by step, s p50 / p95 / max "
                     "(%d jobs%s):\n" % (res["scenario"], what, n, "; %s left out: no %s" % (
                         sum(st["missing"].values()), ", ".join(sorted(st["missing"])))
                         if st.get("missing") else ""))
    for k, what in Twin.STEPS + (("matched", "the share with the service's matching of "
                                  "jobs to runners taken out (Twin.share_matched)"),):
        v = st[k]
        sys.stderr.write("  %-9s %6s / %6s / %6s  %s\n" % (
            k, fmt_s(v[0]), fmt_s(v[1]), fmt_s(v[2]), what))


def write_results(path, rows, cmd, results):
    begin, end = "<!-- twin: begin (make twin writes this part) -->", "<!-- twin: end -->"
    text = open(path).read() if os.path.exists(path) else ""
    part = "\n".join([
        begin, "## lifecycle twin (bench/twin)", "",
        "Date: %s  " % time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "Command: `%s`  " % cmd,
        "ghrctl: %s" % subprocess.run([os.path.join(TOP, "ghrctl"), "--version"],
                                      capture_output=True, text=True).stdout.split("\n")[0],
        ""] + parts_text(results) + ["",
        model_text(), "", HEADER] + rows + [""] + targets(results) + [
        "", baseline_text(results), "Queue time: job queued to job "
        "started on a runner.  Hot: the runner was up before the job was queued; "
        "cold: its instance was launched; stopped: started from stopped.", end])
    if begin in text and end in text:
        a = text.index(begin)
        b = text.index(end) + len(end)
        text = text[:a] + part + text[b:]
    else:
        text = text.rstrip("\n") + "\n\n" + part + "\n"
    with open(path, "w") as f:
        f.write(text)


def run_one(kind, name, sc, o):
    tw = kind(name, sc, o)
    try:
        tw.say("scenario %s: %s (time scale %g)" % (tw.name, tw.sc["title"], o.time_scale))
        return tw.run()
    finally:
        tw.close()


def rest_side_by_side(runs, o):
    """The REST baselines of runs [(name, scenario)]: after ghrctl's own
    rows, and side by side when there are several (each waits most of
    its time for the next pass; ghrctl's rows are measured alone).  Each
    is a `--baseline rest` run of this script with the same settings."""
    if len(runs) <= 1:
        return [run_one(RestTwin, n, sc, o) for n, sc in runs]
    procs = []
    d = tempfile.mkdtemp(prefix="ghrctl-twin-rest.")
    try:
        for n, _ in runs:
            out = os.path.join(d, n + ".json")
            args = [PY, os.path.abspath(__file__), "--baseline", "rest", "--scenario", n,
                    "--json", out, "--time-scale", repr(o.time_scale), "--seed", str(o.seed),
                    "--bin", o.bin, "--budget", repr(o.budget), "--settle", repr(o.settle)]
            args += [x for k, v in o.model.items() for x in ("--set", "%s=%s" % (k, v))]
            args += [x for k, v in o.env.items() for x in ("--env", "%s=%s" % (k, v))]
            args += (["--ca", o.ca] if o.ca else []) + (["--keep"] if o.keep else [])
            args += [] if o.narrate else ["--quiet"]
            procs.append((n, out, subprocess.Popen(args, stdout=subprocess.DEVNULL)))
        res = []
        for n, out, p in procs:
            p.wait()
            try:
                with open(out) as f:
                    res.append(json.loads(f.readline()))
            except (OSError, ValueError):
                raise SystemExit("twin: the REST baseline of %s ended %d without results"
                                 % (n, p.returncode))
        return res
    finally:
        for _, _, p in procs:
            if p.poll() is None:
                p.terminate()
                p.wait()
        shutil.rmtree(d, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(prog="bench/twin/twin", description=__doc__.split(
        "\nusage:")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
        usage=argparse.SUPPRESS)
    ap.add_argument("--scenario", action="append", default=[],
                    help="one of %s (repeatable)" % ", ".join(SCENARIOS))
    ap.add_argument("--all", action="store_true",
                    help="the standard scenarios: %s" % ", ".join(STANDARD))
    ap.add_argument("--demo", action="store_true", help="the scripted day of make demo")
    ap.add_argument("--short", action="store_true", help="with --demo: the short one")
    ap.add_argument("--trace", default="", help="replay queued_at,labels,duration lines")
    ap.add_argument("--plan", action="store_true",
                    help="with --trace: print the jobs it would queue (offset s, labels, "
                    "duration s) and stop")
    ap.add_argument("--time-scale", type=float, default=1.0, metavar="S",
                    help="multiply the modelled durations (boots, assignment, spot notice, "
                    "jobs, arrivals) by S; ghrctl's own time does not scale; targets are "
                    "measured at 1")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="a model setting (%s)" % ", ".join(MODEL))
    ap.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                    help="a ghrctl setting for every run (e.g. a pool's)")
    ap.add_argument("--baselines", action="store_true",
                    help="after each of %s, its REST polling every 60 s baseline "
                    "(the seed Lambda design, `ghrctl scale --source rest` every 60 s)"
                    % ", ".join(REST_RUNS))
    ap.add_argument("--baseline", choices=("rest",), default="",
                    help="run only that baseline for the scenarios named (rest: "
                    "`ghrctl scale --source rest` every 60 s)")
    ap.add_argument("--results", default="", help="write the table into this RESULTS.md")
    ap.add_argument("--json", default="", help="write the results as JSON lines")
    ap.add_argument("--from-json", default="", help="no run: the table of these results")
    ap.add_argument("--budget", type=float, default=240,
                    help="seconds after the last job queued before giving up")
    ap.add_argument("--settle", type=float, default=90,
                    help="seconds to wait for ghrctl to retire what is left")
    ap.add_argument("--warm", type=int, default=None,
                    help="idle runners to wait for before the first job")
    ap.add_argument("--warm-stopped", type=int, default=None,
                    help="stopped pool instances to wait for before the first job")
    ap.add_argument("--warm-time", type=float, default=180,
                    help="seconds to wait for them at most")
    ap.add_argument("--seed", type=int, default=15, help="of the random draws (15)")
    ap.add_argument("--bin", default=os.path.join(TOP, "ghrctl"), help="the ghrctl to run")
    ap.add_argument("--ca", default="", help="a test CA directory (tests/fake/mkca.py) "
                    "to use instead of making one")
    ap.add_argument("--keep", action="store_true", help="keep the run directories")
    ap.add_argument("--quiet", action="store_true", help="no narration on stderr")
    o = ap.parse_args()
    # Stopped from outside: unwind, so every process is stopped and the
    # run directory removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    o.model = {}
    for kv in o.set:
        k, _, v = kv.partition("=")
        if k not in MODEL:
            ap.error("--set %s: no such setting (%s)" % (k, ", ".join(MODEL)))
        o.model[k] = v if isinstance(MODEL[k], str) else float(v)
    o.env = dict(kv.partition("=")[::2] for kv in o.env)
    o.tty = False
    o.narrate = not o.quiet
    runs = []
    if o.from_json:
        with open(o.from_json) as f:
            results = [json.loads(line) for line in f if line.strip()]
        rows = [row(r) for r in results]
        print(HEADER)
        print("\n".join(rows))
        print("\n".join(targets(results)))
        if o.results:
            write_results(o.results, rows, os.environ.get("TWIN_COMMAND") or
                          "bench/twin/twin " + " ".join(sys.argv[1:]), results)
        return 0
    if o.demo:
        sc = dict(DEMO_SHORT if o.short else DEMO)
        o.tty = not o.quiet
        runs.append(("demo", sc))
    if o.trace:
        with open(o.trace) as f:
            journal = f.read(1) == "{"
        if journal:
            o.trace = journal_trace(o.trace, o.bin)
            rows = read_trace(o.trace)
            os.unlink(o.trace)
            o.trace = ""
        else:
            rows = read_trace(o.trace)
        if o.plan:
            w = csv.writer(sys.stdout, lineterminator="\n")
            w.writerow(["offset", "labels", "duration"])
            for off, labels, dur in rows:
                w.writerow(["%g" % off, labels, "%g" % dur])
            return 0
        runs.append(("trace", {"title": "trace replay (%d jobs)" % len(rows),
                               "shape": "trace", "rows": rows, "env": {}}))
    names = STANDARD if o.all else o.scenario
    for n in names:
        if n not in SCENARIOS:
            ap.error("--scenario %s: use one of %s" % (n, ", ".join(SCENARIOS)))
        runs.append((n, SCENARIOS[n]))
    if not runs:
        ap.error("name a --scenario, --all, --demo or --trace")
    if not os.access(o.bin, os.X_OK):
        raise SystemExit("twin: %s is missing: run make first" % o.bin)
    results, rest = [], []
    for name, sc in runs:
        if not o.baseline:
            results.append(run_one(Twin, name, sc, o))
        if (o.baselines or o.baseline == "rest") and name in REST_RUNS:
            rest.append((name, sc))
    # Each REST baseline row goes after its scenario's own.
    for b in rest_side_by_side(rest, o):
        at = [k for k, r in enumerate(results) if r["scenario"] == b["scenario"][:-5]]
        results.insert(at[0] + 1 if at else len(results), b)
    if not results:
        ap.error("--baseline rest: name one of %s" % ", ".join(REST_RUNS))
    rows = [row(r) for r in results]
    print()
    print(HEADER)
    for r in rows:
        print(r)
    for res in results:
        print("%s: jobs %d, never started %d, left %d instances + %d runners, after "
              "teardown %d instances + %d runners, interrupted jobs %d, kill -9 %d, "
              "runners without config %d, %.0f s%s" % (
                  res["scenario"], res["jobs"], res["never_started"],
                  res["leftover_instances"], res["leftover_runners"],
                  res["after_teardown"][0], res["after_teardown"][1], res["interrupted"],
                  res["kills"], res["noconfig"], res["seconds"],
                  "" if "passes" not in res else
                  ", scale passes %(run)d (%(locked)d exited 75, %(failed)d failed)"
                  % res["passes"]))
        if "pool_served" in res:
            print("%s: served from pools %d of %d (%.0f %%), stopped instances after "
                  "teardown %d, idle %.0f instance-s ($%.4f), stopped %.0f instance-s "
                  "($%.6f storage)" % (
                      res["scenario"], res["pool_served"], res["started"],
                      100.0 * res["pool_served"] / max(1, res["started"]),
                      res["after_teardown_stopped"], res["idle_instance_s"], res["idle_usd"],
                      res["stopped_instance_s"], res["stopped_usd"]))
        steps_text(res)
    if o.json:
        with open(o.json, "w") as f:
            for res in results:
                f.write(json.dumps(res) + "\n")
    if o.results:
        write_results(o.results, rows, os.environ.get("TWIN_COMMAND") or
                      "bench/twin/twin " + " ".join(sys.argv[1:]), results)
    bad = any(r["never_started"] or r.get("leftover_instances") or r.get("leftover_runners")
              or r.get("after_teardown", [0, 0]) != [0, 0] or r.get("after_teardown_stopped")
              for r in results)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

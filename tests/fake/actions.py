# SPDX-License-Identifier: ISC
"""Fake GitHub Actions Service (runner scale sets), on top of the fake GitHub REST API.

Everything github.py serves (registration tokens, PAT and App auth) plus:
POST {api}/actions/runner-registration (RemoteAuth) -> service URL + admin
JWT, the scale-set, session, message-queue, acquire, JIT and runner
endpoints of actions/scaleset (client.go, session_client.go,
internal/testserver/server.go), with the status codes given there (creates 200, deletes 204, empty poll
202).  Admin calls need api-version=6.0-preview and the admin JWT; queue
calls need the session's queue JWT (401 once it expired).  The message
queue lives on another path tree (/broker/...) than the service
(/tenant/1/...).

  --admin-ttl S    admin token lifetime (default 600)
  --queue-ttl S    queue token lifetime (default 3600)
  --hold S         how long a poll is held before 202 (default 2)
  --no-scale-sets a GHES without the scale set APIs: the registration
                   exchange answers 404 with an HTML page
  --scopes, --ghes-version   as github.py
  --control FILE   JSON lines appended by the test, read on each request:
     {"op":"message","jobs":[...],"statistics":{...}}   queue a message
     {"op":"poison","kinds":[K...],"jobs":[...]}  queue a message whose
                                   body is malformed: K "notjson" makes the
                                   whole body unparsable; "string",
                                   "negative", "huge" (2^64), "noid" add a
                                   JobAvailable entry with such a
                                   runnerRequestId beside the good jobs;
                                   "statistics" sends them as a string
     {"op":"raw","status":200,"body":""}   answer the next poll with this
     {"op":"expire_sessions"}      forget every session (service-side expiry)
     {"op":"jit_delay","seconds":S}  every generatejitconfig answers S s late
     {"op":"expire_queue_tokens"}  queue tokens answer 401 until refreshed
     {"op":"queue_401","count":N}  the next N queue calls answer 401 even
                                   with a fresh token (the session stays)
     {"op":"revoke_token"}         the PAT is revoked (REST answers 401 Bad
                                   credentials) and admin tokens expire
     {"op":"github_mode","mode":M} REST answers as --mode M from now on
                                   (e.g. 403: a missing permission), and
                                   admin tokens expire
     {"op":"session_delay","seconds":N}  the next new session is made at
                                   once but its reply waits N s (a client
                                   killed meanwhile never learns its id)
     {"op":"stall_delete","seconds":N}  the next message DELETE hangs N s,
                                   then fails 503 without acking
     {"op":"delete_scale_set","id":N}   scale set vanishes server-side
     {"op":"labels","id":N,"labels":["a",...]}  scale set N's labels become
                                   these (as another client or the UI set them)
     {"op":"empty_queue_url","count":N} next N sessions have no queue URL
     {"op":"busy_runner","name":R}      removing R: JobStillRunningException
     {"op":"refuse_remove","name":R}    removing R: 403 AccessDeniedException
     {"op":"bom"}                  prefix later JSON replies with a UTF-8 BOM
     {"op":"statistics","stats":{...}}  scale sets report these statistics
     {"op":"runner","name":R,"status":"online","busy":B}  runner status as
                                   GitHub REST lists it (B also makes the
                                   service refuse its removal)
     {"op":"runners","status":"online"}  every runner online and idle
     {"op":"jobs","ids":[N...],"labels":[...]}  jobs waiting for a runner
                                   (the job model, below); labels: their
                                   runs-on labels in the REST view
     {"op":"take","ids":[N...]}    another listener acquired these jobs
     {"op":"run","name":R}         runner R runs its job to the end: the job
                                   is done, R leaves, a JobCompleted is sent
     {"op":"vanish","name":R}      R's instance died before it ran: R goes
                                   and its job waits for another runner
     {"op":"acquire_fault","kind":"empty"|"html"|"nolist","count":N}
                                   the next N acquirejobs answer 200 with
                                   an empty body, an HTML page, or JSON
                                   without the "value" list
     {"op":"phantom","assigned":N} totalAssignedJobs reports N more than
                                   the job model has (stale statistics
                                   after a service incident,
                                   actions/actions-runner-controller#4397)
     {"op":"online","name":R,"assign_s":S}  (--bind online) runner R is
                                   up and idle: the service gives it the
                                   oldest assigned job S seconds after
                                   both were ready (the lifecycle twin)
The job model (--assign acquire|service): jobs added with "jobs" have a
state, and the statistics of messages, sessions and the scale set are
counted from them when they are sent.  --assign acquire: a job is
available (totalAvailableJobs) and a JobAvailable message goes to the
scale set's session if there is one; only acquirejobs makes it assigned
(totalAssignedJobs), and acquirejobs answers with the ids it gave this
call: available ones, or ones already acquired for this scale set;
acquirablejobs lists the available ones (jobs waiting before a session
existed are sent no message).  --assign service: the service assigns a
job by itself (JobAssigned, counted assigned at once) as github.com may
(actions/scaleset listener.go handles JobAssigned without an acquire).
A job is served once a runner is made for it (generatejitconfig: the
runner ghrctl-<set>-r<id> takes job <id>, any other the oldest assigned
job); it counts as assigned (and running) from then on, as jobs on busy
runners do.
--bind online (the lifecycle twin, bench/twin): a job is not bound when
its runner is made but when a runner is up and idle, as GitHub hands a
job to any idle runner whose labels match ("Using self-hosted runners in
a workflow", docs.github.com: "the job is queued until a matching runner
is available"); the oldest assigned job goes first.  A background thread
applies control lines and these assignments every 50 ms, so they do not
wait for a request; "started" in the state dump has [runner, time] per
job, "runner_job" the job each runner runs.
Runners made by generatejitconfig are also listed by the REST API (offline
until a control line says otherwise) and go from both when removed.
--rest-repo OWNER/NAME (the lifecycle twin's REST-polling baseline): the
job model is also GitHub REST's view of repository OWNER/NAME, read under
the same lock, so the two never disagree: each "jobs" line is one
workflow run whose jobs are "queued" until a runner is bound to them,
"in_progress" (with runner_name) from then on and "completed" once run;
the run is "queued" while all its jobs are, "completed" when all are,
"in_progress" otherwise (GitHub REST "List workflow runs for a
repository", GET /repos/{owner}/{repo}/actions/runs?status=, and "List
jobs for a workflow run", GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs,
docs.github.com/en/rest/actions/workflow-runs and .../workflow-jobs).
Runners made through REST generatejitconfig take jobs as the service's
own do (--bind online: any idle runner whose labels match gets one).
Message ids belong to a session: a new one numbers from 100000001 again
(see AState.renumber).  State is dumped to <log>.state (JSON) after every
request: acked message ids, acquired request ids, sessions, scale sets,
"sent" ([messageId, time the reply carrying it was sent]) and "acquired_t"
([[runnerRequestId...], time the acquirejobs request arrived]).  --no-state dumps it only at exit
(SIGTERM), for bench/poll-messages: with 10,000 messages a dump per request
would set the pace.
"""

import base64
import json
import os
import re
import signal
import sys
import threading
import time
import urllib.parse
import uuid

import fakelib
import github

API = "6.0-preview"
FIRST_MSG = 100000001      # a session's first messageId


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(claims):
    h = b64u(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    c = b64u(json.dumps(claims).encode())
    return "%s.%s.%s" % (h, c, b64u(os.urandom(16)))


def jwt_exp(tok):
    try:
        c = tok.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(c + "=" * (-len(c) % 4)))["exp"]
    except Exception:
        return 0


def exc(name):
    return "GitHub.Actions.Runtime.WebApi.%s, GitHub.Actions.Runtime.WebApi" % name


# Malformed job messages, as a service or a proxy in between may send them:
# GitHub's own listener fails the whole message on any of these (its
# json.Unmarshal in parseMessage, actions/actions-runner-controller
# cmd/ghalistener/listener/listener.go), so they are worth a fault mode.
POISON = {
    "string": '{"messageType":"JobAvailable","runnerRequestId":"9001"}',
    "negative": '{"messageType":"JobAvailable","runnerRequestId":-9001}',
    "huge": '{"messageType":"JobAvailable","runnerRequestId":18446744073709551616}',
    "noid": '{"messageType":"JobAvailable"}',
}


def poison_body(c):
    """The body string of a poison message (see --control "poison")."""
    kinds = c.get("kinds", ["notjson"])
    kinds = [k for k in kinds if k != "statistics"]
    if "notjson" in kinds:
        return '[{"messageType":"JobAvailable","runnerRequestId":1'
    parts = [json.dumps(j) for j in c.get("jobs", [])]
    for i, k in enumerate(kinds):
        parts.insert(min(i, len(parts)), POISON[k])
    return "[" + ",".join(parts) + "]"


class AState:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.args = args
        self.admin = {}            # admin token -> exp
        self.groups = {1: "Default", 2: "gpu"}
        self.sets = {}             # id -> scale set
        self.next_set = 1
        self.sessions = {}         # scale set id -> session dict
        self.queue = {}            # scale set id -> [messages]
        self.next_id = {}          # scale set id -> its session's next messageId
        self.acked = []
        self.acquired = []
        self.runners = {}          # id -> runner
        self.next_runner = 17
        self.busy = set()
        self.refuse = set()  # names whose removal fails 403
        self.raw = []
        self.stall = 0
        self.session_delay = 0
        self.q401 = 0              # queue calls still to refuse (queue_401)
        self.empty_url = 0
        self.bom = False
        self.ctl_off = 0
        self.polls = 0
        self.sent = []             # [messageId, unix time of the reply]
        self.acquired_t = []       # [[request ids], unix time of arrival]
        self.served = []           # [[arrival, reply written]] (bench)
        self.rest = None           # github.State: the REST runner list
        self.jobs = {}             # job model: request id -> state
        self.runner_job = {}       # runner name -> the job it took
        self.done_by = {}          # job -> the runners that ran it
        self.acquire_fault = []    # kinds of the next acquirejobs replies
        self.phantom = 0
        self.jit_delay = 0
        self.idle = {}             # --bind online: name -> [up since, assign_s]
        self.acq_t = {}            # job -> when it became assigned
        self.started = {}          # job -> [runner, time it was bound]
        self.rest_jobs = {}        # --rest-repo: job -> [run id, labels, queued at]
        self.done_t = {}           # --rest-repo: job -> when it completed
        self.next_run = 7000001    # --rest-repo: workflow run ids

    def control(self):
        path = self.args.control
        if not path or not os.path.exists(path):
            return False
        with open(path) as f:
            f.seek(self.ctl_off)
            data = f.read()
        if not data.endswith("\n"):
            data = data[:data.rfind("\n") + 1]
        self.ctl_off += len(data.encode())
        for line in data.splitlines():
            if line.strip():
                self.apply(json.loads(line))
        return bool(data)

    def take_id(self, sid):
        """The next messageId of scale set sid's session."""
        n = self.next_id.get(sid, FIRST_MSG)
        self.next_id[sid] = n + 1
        return n

    def renumber(self, sid):
        """A new session numbers its messages from the start again, and
        what the old one did not ack comes again under new ids: GitHub's
        own listener starts every session at lastMessageID 0
        (actions/actions-runner-controller, cmd/ghalistener/listener/
        listener.go), so a client that polls a new session with an old
        session's lastMessageId skips them, and one that acks an old id
        acks another message."""
        n = FIRST_MSG
        for m in self.queue.get(sid, []):
            m["messageId"] = n
            n += 1
        self.next_id[sid] = n

    def default_set(self):
        return min(self.sets) if self.sets else 1

    def job_stats(self):
        """Statistics counted from the job model (None when unused)."""
        if not self.jobs and not self.phantom:
            return None
        n = lambda st: sum(1 for v in self.jobs.values() if v == st)
        return {"totalAvailableJobs": n("available"), "totalAcquiredJobs": n("assigned"),
                "totalAssignedJobs": n("assigned") + n("served") + self.phantom,
                "totalRunningJobs": n("served"),
                "totalRegisteredRunners": len(self.runners),
                "totalBusyRunners": 0, "totalIdleRunners": len(self.runners)}

    def serve(self, name):
        """A new runner takes its job request, else the oldest assigned."""
        m = re.match(r"ghrctl-\d+-r(\d+)$", name)
        if m and self.jobs.get(int(m.group(1))) == "assigned":
            self.jobs[int(m.group(1))] = "served"
            self.runner_job[name] = int(m.group(1))
            return
        for i in sorted(self.jobs):
            if self.jobs[i] == "assigned":
                self.jobs[i] = "served"
                self.runner_job[name] = i
                return

    def drop_runner(self, name):
        self.busy.discard(name)
        for rid, r in list(self.runners.items()):
            if r["name"] == name:
                del self.runners[rid]
        with self.rest.lock:
            self.rest.runners[:] = [x for x in self.rest.runners if x["name"] != name]

    def run(self, name, sid):
        """Runner name runs its job to the end (JobCompleted) and leaves."""
        if name not in self.runner_job and self.args.bind == "jit":
            self.serve(name)            # it may take a job that came later
        i = self.runner_job.pop(name, None)
        if i is None:
            return                      # nothing to run: it stays idle
        self.jobs[i] = "done"
        self.done_t[i] = time.time()
        self.done_by.setdefault(str(i), []).append(name)
        self.drop_runner(name)
        m = {"messageId": self.take_id(sid), "messageType": "RunnerScaleSetJobMessages",
             "body": json.dumps([{"messageType": "JobCompleted", "runnerRequestId": i,
                                  "runnerName": name, "result": "succeeded"}]),
             "statistics": None}
        self.queue.setdefault(sid, []).append(m)

    def apply(self, c):
        op = c["op"]
        if op == "message":
            sid = c.get("scaleSetId", self.default_set())
            stats = c.get("statistics", {"totalAssignedJobs": len(c.get("jobs", []))})
            m = {"messageId": self.take_id(sid),
                 "messageType": c.get("messageType", "RunnerScaleSetJobMessages"),
                 "body": json.dumps(c.get("jobs", [])) if "body" not in c else c["body"],
                 "statistics": stats}
            self.queue.setdefault(sid, []).append(m)
        elif op == "poison":
            m = dict(c, op="message", body=poison_body(c))
            if "statistics" in c.get("kinds", []):
                m["statistics"] = "7"      # not an object
            self.apply(m)
        elif op == "raw":
            self.raw.append(c)
        elif op == "expire_sessions":
            self.sessions = {}
        elif op == "jit_delay":
            self.jit_delay = float(c.get("seconds", 0))
        elif op == "expire_queue_tokens":
            for s in self.sessions.values():
                s["expired"] = True
        elif op == "queue_401":
            # A queue that refuses a token just refreshed: GitHub's own
            # listener refreshes once and then fails the same way ("failed
            # to get next message after message session refresh",
            # actions/actions-runner-controller cmd/ghalistener/listener/
            # listener.go); the session itself is still live.
            self.q401 = c.get("count", 2)
        elif op == "revoke_token":
            # A revoked PAT answers 401 "Bad credentials" (docs.github.com,
            # REST API troubleshooting); the service's admin tokens live
            # on until they expire, so expire them to make the next admin
            # call register again with the revoked PAT.
            with self.rest.lock:
                self.rest.tokens.clear()
            self.admin = {}
        elif op == "github_mode":
            self.args.mode = c["mode"]
            self.admin = {}
        elif op == "session_delay":
            self.session_delay = c["seconds"]
        elif op == "stall_delete":
            self.stall = c["seconds"]
        elif op == "delete_scale_set":
            self.sets.pop(c["id"], None)
            self.sessions.pop(c["id"], None)
        elif op == "labels":
            self.sets[c["id"]]["labels"] = [{"type": "System", "name": n}
                                            for n in c["labels"]]
        elif op == "empty_queue_url":
            self.empty_url = c.get("count", 1)
        elif op == "busy_runner":
            self.busy.add(c["name"])
        elif op == "refuse_remove":
            self.refuse.add(c["name"])
        elif op == "bom":
            self.bom = True
        elif op == "statistics":
            for s in self.sets.values():
                s["statistics"] = c["stats"]
        elif op == "jobs":
            sid = c.get("scaleSetId", self.default_set())
            mode = self.args.assign
            kind = "JobAssigned" if mode == "service" else "JobAvailable"
            run = self.next_run
            self.next_run += 1
            for i in c["ids"]:
                self.jobs[i] = "assigned" if mode == "service" else "available"
                self.rest_jobs[i] = [run, list(c.get("labels", ["self-hosted"])),
                                     time.time()]
                if mode == "service":
                    self.acq_t[i] = time.time()
            if sid in self.sessions or mode == "service":
                m = {"messageId": self.take_id(sid),
                     "messageType": "RunnerScaleSetJobMessages",
                     "body": json.dumps([{"messageType": kind, "runnerRequestId": i,
                                          "repositoryName": "app", "ownerName": "acme"}
                                         for i in c["ids"]]),
                     "statistics": None}
                self.queue.setdefault(sid, []).append(m)
        elif op == "run":
            self.run(c["name"], c.get("scaleSetId", self.default_set()))
        elif op == "online":
            self.idle[c["name"]] = [time.time(), float(c.get("assign_s", 0))]
        elif op == "vanish":    # its instance died before the runner ran
            self.idle.pop(c["name"], None)
            i = self.runner_job.pop(c["name"], None)
            if i is not None and self.jobs.get(i) == "served":
                self.jobs[i] = "assigned"   # the job still waits
            self.drop_runner(c["name"])
        elif op == "take":      # acquired by another scale set's listener
            for i in c["ids"]:
                self.jobs[i] = "elsewhere"
        elif op == "acquire_fault":
            self.acquire_fault += [c.get("kind", "empty")] * c.get("count", 1)
        elif op == "phantom":
            self.phantom = c["assigned"]
        elif op in ("runner", "runners"):
            for r in self.rest.runners:
                if op == "runners" or r["name"] == c["name"]:
                    r["status"] = c.get("status", "online")
                    r["busy"] = bool(c.get("busy", False))
                    if r["busy"]:
                        self.busy.add(r["name"])
                    else:
                        self.busy.discard(r["name"])

    def assign(self):
        """--bind online: idle runners take the oldest assigned jobs once
        both have been ready for the runner's assign_s (lock held)."""
        if self.args.bind != "online" or not self.idle:
            return False
        now, done = time.time(), False
        # The service's runners and those made through REST alike.
        names = {r["name"] for r in self.runners.values()} | \
            {r["name"] for r in self.rest.runners}
        bound = set(self.runner_job.values())
        waiting = sorted((self.acq_t.get(i, now), i) for i, v in self.jobs.items()
                         if v == "assigned" and i not in bound)
        for name, (up, wait) in sorted(self.idle.items(), key=lambda x: x[1][0]):
            if name not in names:
                del self.idle[name]     # removed meanwhile
                continue
            for k, (t, i) in enumerate(waiting):
                if max(t, up) + wait <= now:
                    self.jobs[i] = "served"
                    self.runner_job[name] = i
                    self.started.setdefault(str(i), [name, now])
                    # Busy from now on: its removal is refused, and REST
                    # lists it busy.
                    self.busy.add(name)
                    for x in self.rest.runners:
                        if x["name"] == name:
                            x["busy"] = True
                    del self.idle[name]
                    del waiting[k]
                    done = True
                    break
        return done

    def rest_view(self, repo):
        """--rest-repo: the job model as GitHub REST's workflows of repo
        (lock held), in the shape github.py serves."""
        ts = lambda t: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t)) \
            if t else None
        runs = {}
        for i, (run, labels, queued) in sorted(self.rest_jobs.items()):
            v = self.jobs.get(i)
            st = self.started.get(str(i))
            if v == "done":
                status = "completed"
            elif st is not None or v == "elsewhere":
                status = "in_progress"
            else:
                status = "queued"
            runs.setdefault(run, []).append({
                "id": i, "status": status, "name": "build (%d)" % i,
                "workflow_name": "ci", "head_branch": "main",
                "conclusion": "success" if status == "completed" else None,
                "created_at": ts(queued), "started_at": ts(st and st[1]),
                "completed_at": ts(self.done_t.get(i)),
                "runner_name": st[0] if st else None, "labels": labels})
        out = []
        for run, jobs in sorted(runs.items()):
            ss = {j["status"] for j in jobs}
            out.append({"id": run, "jobs": jobs,
                        "status": ss.pop() if len(ss) == 1 else "in_progress"})
        return {"repos": [{"full_name": repo, "runs": out}], "runners": {}}

    def dump(self, log):
        if not log:
            return
        d = {"acked": self.acked, "acquired": self.acquired,
             "sessions": {str(k): {"sessionId": v["sessionId"], "ownerName": v["ownerName"]}
                          for k, v in self.sessions.items()},
             "sets": {str(k): v for k, v in self.sets.items()},
             "runners": list(self.runners.values()), "polls": self.polls,
             "sent": self.sent, "acquired_t": self.acquired_t,
             "served": self.served, "jobs": {str(k): v for k, v in self.jobs.items()},
             "done_by": self.done_by, "started": self.started,
             "runner_job": self.runner_job, "idle": sorted(self.idle),
             "queued": {str(k): [m["messageId"] for m in v] for k, v in self.queue.items()}}
        tmp = log + ".state.tmp"
        with open(tmp, "w") as f:
            json.dump(d, f, sort_keys=True)
        os.rename(tmp, log + ".state")


class H(github.H):
    def do_PATCH(self):
        self.route("PATCH")

    def route(self, method):
        self.t0 = time.time()   # headers read: the request has arrived
        path = urllib.parse.urlsplit(self.path).path
        path = re.sub("/+", "/", path)
        if path in ("/api/v3/actions/runner-registration", "/actions/runner-registration") \
                or path.startswith("/tenant/") or path.startswith("/broker/"):
            r = self.aroute(method, path)
            # Time this fake spent on the request, so bench/event-latency
            # can tell ghrctl's share of an event's latency from ours.
            with self.server.ast.lock:
                self.server.ast.served.append([self.t0, time.time()])
            return r
        # Control lines apply to the REST runner list too.
        with self.server.ast.lock:
            self.server.ast.control()
            if self.server.args.rest_repo:
                self.server.st.wf = self.server.ast.rest_view(
                    self.server.args.rest_repo)
        return super().route(method)

    def ajson(self, status, obj, headers=None):
        body = json.dumps(obj).encode()
        if self.server.ast.bom:
            body = b"\xef\xbb\xbf" + body
        h = {"ActivityId": str(uuid.uuid4())}
        h.update(headers or {})
        self.reply(status, body, headers=h)

    def aerr(self, status, name, msg):
        self.ajson(status, {"typeName": exc(name), "message": msg,
                            "errorCode": 0, "eventId": 3000})

    def base(self):
        return "https://localhost:%d" % self.server.server_address[1]

    def aroute(self, method, path):
        st = self.server.ast
        body = self.read_body()
        self.record(body)
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        with st.lock:
            st.control()
        try:
            if path.endswith("/actions/runner-registration"):
                if self.server.args.no_scale_sets:
                    return self.reply(404, "<html><body>Not Found</body>"
                                      "</html>", ctype="text/html")
                return self.registration(body)
            if path.startswith("/broker/"):
                return self.broker(method, path, q, body)
            return self.admin(method, path, q, body)
        finally:
            if not self.server.args.no_state:
                with st.lock:
                    st.dump(self.server.args.log)

    def registration(self, body):
        st, a = self.server.ast, self.server.args
        auth = self.headers.get("Authorization") or ""
        m = re.match(r"RemoteAuth (REG[0-9A-F]{26})$", auth)
        if not m:
            return self.reply(401, {"message": "Bad credentials"})
        try:
            req = json.loads(body)
        except ValueError:
            return self.reply(400, {"message": "bad json"})
        if req.get("runner_event") != "register" or not req.get("url"):
            return self.reply(400, {"message": "url and runner_event required"})
        exp = int(time.time()) + a.admin_ttl
        tok = jwt({"exp": exp, "iat": int(time.time()), "scp": "admin"})
        with st.lock:
            st.admin[tok] = exp
        self.issue(tok)
        self.ajson(201, {"url": self.base() + "/tenant/1/", "token": tok,
                         "token_schema": "OAuthAccessToken"})

    def admin_ok(self, q):
        st = self.server.ast
        if q.get("api-version") != [API]:
            self.ajson(400, {"message": "api-version missing"})
            return False
        auth = self.headers.get("Authorization") or ""
        tok = auth[7:] if auth.startswith("Bearer ") else ""
        with st.lock:
            exp = st.admin.get(tok, 0)
        if exp <= time.time():
            self.reply(401, b"", ctype="text/plain")
            return False
        return True

    def queue_ok(self, sid=None):
        st = self.server.ast
        if st.q401 > 0:
            st.q401 -= 1
            return None
        auth = self.headers.get("Authorization") or ""
        tok = auth[7:] if auth.startswith("Bearer ") else ""
        for ssid, s in st.sessions.items():
            if s["token"] == tok and not s.get("expired") and jwt_exp(tok) > time.time():
                if sid is None or sid == ssid:
                    s["seen"] = time.time()
                    return ssid
        return None

    def new_session(self, ssid, owner):
        st, a = self.server.ast, self.server.args
        tok = jwt({"exp": int(time.time()) + a.queue_ttl, "scp": "queue"})
        s = st.sessions.get(ssid)
        if s is None:
            s = {"sessionId": str(uuid.uuid4()), "ownerName": owner}
            st.renumber(ssid)
        s["token"] = tok
        self.issue(tok)
        s["expired"] = False
        s["seen"] = time.time()
        st.sessions[ssid] = s
        url = self.base() + "/broker/%d/message?sessionId=%s" % (ssid, s["sessionId"])
        if st.empty_url > 0:
            st.empty_url -= 1
            url = ""
        stats = st.job_stats() or {
            "totalAvailableJobs": 0, "totalAcquiredJobs": 0, "totalAssignedJobs": 0,
            "totalRunningJobs": 0, "totalRegisteredRunners": len(st.runners),
            "totalBusyRunners": 0, "totalIdleRunners": len(st.runners)}
        return {"sessionId": s["sessionId"], "ownerName": s["ownerName"],
                "runnerScaleSet": st.sets[ssid], "messageQueueUrl": url,
                "messageQueueAccessToken": tok, "statistics": stats}

    def admin(self, method, path, q, body):
        st = self.server.ast
        if not path.startswith("/tenant/1/_apis/"):
            return self.ajson(404, {"message": "no such path"})
        rest = path[len("/tenant/1/_apis"):]
        if rest.startswith("/runtime/runnerscalesets/") and rest.endswith("/acquirejobs"):
            return self.acquire(rest, body)
        if not self.admin_ok(q):
            return
        if rest.endswith("/generatejitconfig") and st.jit_delay > 0:
            time.sleep(st.jit_delay)    # outside the lock: calls overlap
        with st.lock:
            return self.admin_locked(method, rest, q, body)

    def admin_locked(self, method, rest, q, body):
        st = self.server.ast
        if rest in ("/runtime/runnergroups", "/runtime/runnergroups/") and method == "GET":
            name = q.get("groupName", [""])[0]
            v = [{"id": i, "name": n, "size": 0, "isDefaultGroup": i == 1}
                 for i, n in st.groups.items() if n == name]
            return self.ajson(200, {"count": len(v), "value": v})
        if rest == "/runtime/runnerscalesets" and method == "GET":
            name = q.get("name", [""])[0]
            gid = int(q.get("runnerGroupId", ["0"])[0])
            v = [s for s in st.sets.values() if s["name"] == name and s["runnerGroupId"] == gid]
            return self.ajson(200, {"count": len(v), "value": v})
        if rest == "/runtime/runnerscalesets" and method == "POST":
            req = json.loads(body)
            gid = req.get("runnerGroupId", 1)
            s = {"id": st.next_set, "name": req["name"], "runnerGroupId": gid,
                 "runnerGroupName": st.groups.get(gid, "?"),
                 "labels": req.get("labels") or [{"type": "System", "name": req["name"]}],
                 "RunnerSetting": req.get("RunnerSetting") or req.get("runnerSetting") or {},
                 "createdOn": "2026-11-23T10:00:00Z", "runnerJitConfigUrl": ""}
            st.next_set += 1
            st.sets[s["id"]] = s
            return self.ajson(200, s)
        m = re.match(r"/runtime/runnerscalesets/(\d+)(/.*)?$", rest)
        if m:
            ssid, sub = int(m.group(1)), m.group(2) or ""
            if ssid not in st.sets:
                return self.aerr(404, "RunnerScaleSetNotFoundException",
                                 "The runner scale set %d does not exist." % ssid)
            return self.scale_set(method, ssid, sub, body)
        m = re.match(r"/distributedtask/pools/0/agents(/(\d+))?$", rest)
        if m:
            return self.agents(method, m.group(2), q)
        return self.ajson(404, {"message": "no route"})

    def scale_set(self, method, ssid, sub, body):
        st = self.server.ast
        s = st.sets[ssid]
        if sub == "" and method == "GET":
            js = st.job_stats()
            return self.ajson(200, dict(s, statistics=js) if js else s)
        if sub == "" and method == "PATCH":
            req = json.loads(body)
            for k in ("name", "runnerGroupId", "labels"):
                if k in req and req[k]:
                    s[k] = req[k]
            return self.ajson(200, s)
        if sub == "" and method == "DELETE":
            del st.sets[ssid]
            st.sessions.pop(ssid, None)
            return self.reply(204)
        if sub == "/sessions" and method == "POST":
            req = json.loads(body)
            cur = st.sessions.get(ssid)
            idle = self.server.args.session_idle
            if cur is not None and idle > 0 and time.time() - cur.get("seen", 0) > idle:
                # Nobody polled it for --session-idle seconds: the
                # service drops it, so a listener that crashed before it
                # learnt its session's id is not locked out for good
                # (actions/runner#1506: the runner's own listener retries
                # a session conflict for 240 s, counting on this).
                del st.sessions[ssid]
            if ssid in st.sessions:
                # Both wordings are seen: "... already has an active
                # session for owner X." (actions-runner-controller issue
                # 3351) and "... already has an active session." (issue 4285).
                owner = st.sessions[ssid].get("ownerName", "")
                tail = " for owner %s." % owner if self.server.args.conflict_owner else "."
                return self.aerr(409, "RunnerScaleSetSessionConflictException",
                                 "The actions runner scaleset %s already has an active session%s"
                                 % (s["name"], tail))
            made = self.new_session(ssid, req.get("ownerName", ""))
            if st.session_delay:
                time.sleep(st.session_delay)
                st.session_delay = 0
            return self.ajson(200, made)
        m = re.match(r"/sessions/([^/]+)$", sub)
        if m:
            cur = st.sessions.get(ssid)
            if cur is None or cur["sessionId"] != m.group(1):
                if method == "DELETE":
                    return self.aerr(400, "RunnerScaleSetSessionExpiredException",
                                     "The session identifier %s is not valid." % m.group(1))
                return self.aerr(404, "RunnerAdminException",
                                 "session ID that doesn't exist in redis")
            if method == "PATCH":
                return self.ajson(200, self.new_session(ssid, cur["ownerName"]))
            if method == "DELETE":
                del st.sessions[ssid]
                return self.reply(204)
        if sub == "/acquirablejobs" and method == "GET":
            if not st.jobs:
                return self.reply(204)
            v = [{"runnerRequestId": i, "messageType": "JobAvailable",
                  "acquireJobUrl": "", "requestLabels": []}
                 for i, x in sorted(st.jobs.items()) if x == "available"]
            return self.ajson(200, {"count": len(v), "value": v})
        if sub == "/generatejitconfig" and method == "POST":
            req = json.loads(body)
            if any(r["name"] == req["name"] for r in st.runners.values()):
                return self.aerr(409, "AgentExistsException",
                                 "Agent %s already exists." % req["name"])
            rest = self.server.st
            rid = max(st.next_runner, rest.next_id)
            r = {"id": rid, "name": req["name"], "runnerScaleSetId": ssid}
            st.next_runner = rest.next_id = rid + 1
            st.runners[r["id"]] = r
            if self.server.args.bind == "jit":
                st.serve(req["name"])
            with rest.lock:
                rest.runners.append({
                    "id": rid, "name": req["name"], "os": "linux",
                    "status": "offline", "busy": False, "ephemeral": True,
                    "runner_group_id": st.sets[ssid]["runnerGroupId"],
                    "labels": [{"id": 1, "name": l["name"], "type": "custom"}
                               for l in st.sets[ssid]["labels"]]})
            cfg = base64.b64encode(("JITSECRET-" + uuid.uuid4().hex).encode()).decode()
            self.issue(cfg)
            return self.ajson(200, {"runner": r, "encodedJITConfig": cfg})
        return self.ajson(404, {"message": "no route"})

    def agents(self, method, rid, q):
        st = self.server.ast
        if rid is None and method == "GET":
            name = q.get("agentName", [""])[0]
            v = [r for r in st.runners.values() if r["name"] == name]
            return self.ajson(200, {"count": len(v), "value": v})
        r = st.runners.get(int(rid)) if rid else None
        if r is None:
            return self.aerr(404, "AgentNotFoundException", "no such agent")
        if method == "GET":
            return self.ajson(200, r)
        if method == "DELETE":
            if r["name"] in st.refuse:
                return self.aerr(403, "AccessDeniedException",
                                 "Access denied to agent %s" % r["name"])
            if r["name"] in st.busy:
                return self.aerr(400, "JobStillRunningException",
                                 "Job is still running on agent %s" % r["name"])
            del st.runners[r["id"]]
            st.idle.pop(r["name"], None)
            # Removed before it ran its job: the job waits for another.
            i = st.runner_job.pop(r["name"], None)
            if i is not None and st.jobs.get(i) == "served":
                st.jobs[i] = "assigned"
            rest = self.server.st
            with rest.lock:
                rest.runners[:] = [x for x in rest.runners if x["id"] != r["id"]]
            return self.reply(204)
        return self.ajson(404, {"message": "no route"})

    def acquire(self, rest, body):
        st = self.server.ast
        ssid = int(rest.split("/")[3])
        with st.lock:
            if self.queue_ok(ssid) is None:
                return self.reply(401, b"", ctype="text/plain")
            ids = json.loads(body)
            fault = st.acquire_fault.pop(0) if st.acquire_fault else None
            if fault is None and st.jobs:
                # Only what this call was given (actions/scaleset
                # client.go AcquireJobs returns the reply's "value").
                ids = [i for i in ids if st.jobs.get(i) in ("available", "assigned")]
                for i in ids:
                    st.jobs[i] = "assigned"
                    st.acq_t.setdefault(i, self.t0)
            if fault is None:
                st.acquired.extend(ids)
                st.acquired_t.append([ids, self.t0])
        if fault == "empty":     # seen from the service: 200, no body
            return self.reply(200, b"", ctype="application/json")
        if fault == "html":
            return self.reply(200, b"<html>oops</html>", ctype="text/html")
        if fault == "nolist":
            return self.ajson(200, {"count": len(ids)})
        self.ajson(200, {"count": len(ids), "value": ids})

    def broker(self, method, path, q, body):
        st, a = self.server.ast, self.server.args
        m = re.match(r"/broker/(\d+)/message(/(\d+))?$", path)
        if not m:
            return self.ajson(404, {"message": "no route"})
        ssid = int(m.group(1))
        with st.lock:
            ok = self.queue_ok(ssid)
        if ok is None:
            return self.reply(401, b"", ctype="text/plain")
        if method == "DELETE" and m.group(3):
            mid = int(m.group(3))
            with st.lock:
                stall, st.stall = st.stall, 0
            if stall:
                time.sleep(stall)
                return self.reply(503, b"stalled", ctype="text/plain")
            with st.lock:
                msgs = st.queue.get(ssid, [])
                for x in msgs:
                    if x["messageId"] == mid:
                        msgs.remove(x)
                        st.acked.append(mid)
                        break
            return self.reply(204)
        if method != "GET":
            return self.ajson(405, {"message": "method"})
        if self.headers.get("X-ScaleSetMaxCapacity") is None:
            return self.ajson(400, {"message": "X-ScaleSetMaxCapacity missing"})
        last = int(q.get("lastMessageId", ["0"])[0])
        end = time.time() + a.hold
        with st.lock:
            st.polls += 1
        while True:
            with st.lock:
                st.control()
                if st.raw:
                    r = st.raw.pop(0)
                    return self.reply(r.get("status", 200), r.get("body", "").encode())
                if self.queue_ok(ssid) is None:
                    return self.reply(401, b"", ctype="text/plain")
                for x in st.queue.get(ssid, []):
                    if x["messageId"] > last:
                        st.sent.append([x["messageId"], time.time()])
                        if x.get("statistics", 0) is None:
                            x = dict(x, statistics=st.job_stats())
                        return self.ajson(200, x)
            if time.time() >= end:
                return self.reply(202)
            time.sleep(0.05)


def main():
    ap = fakelib.parser(__doc__.splitlines()[0])
    github.add_arguments(ap, runners=0)
    ap.add_argument("--admin-ttl", type=int, default=600)
    ap.add_argument("--queue-ttl", type=int, default=3600)
    ap.add_argument("--hold", type=float, default=2)
    ap.add_argument("--session-idle", type=float, default=120,
                    help="a session nobody polled for this many seconds is "
                    "dropped when another is asked for (0: never)")
    ap.add_argument("--control", default="")
    ap.add_argument("--assign", choices=("acquire", "service"), default="acquire",
                    help="job model: jobs assigned after acquirejobs, or by the service")
    ap.add_argument("--bind", choices=("jit", "online"), default="jit",
                    help="a job goes to its runner when the runner is made, "
                    "or to any runner once it is up and idle")
    ap.add_argument("--rest-repo", default="", metavar="OWNER/NAME",
                    help="list the job model's jobs through GitHub REST as "
                    "workflow runs of this repository")
    ap.add_argument("--no-scale-sets", action="store_true",
                    help="a GHES without the scale set APIs: 404 HTML")
    ap.add_argument("--no-state", action="store_true",
                    help="dump <log>.state only at exit (SIGTERM)")
    ap.add_argument("--conflict-owner", action="store_true",
                    help="a 409 session conflict names the holder's ownerName")
    args = ap.parse_args()
    servers = []
    if args.no_state:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    class Srv(fakelib.Server):
        def __init__(self, addr, handler, a):
            super().__init__(addr, handler, a)
            self.st = github.State(a)
            self.ast = AState(a)
            self.ast.rest = self.st
            servers.append(self)
            if a.bind == "online":
                threading.Thread(target=self.ticker, daemon=True).start()

        def ticker(self):
            st = self.ast
            while True:
                time.sleep(0.05)
                with st.lock:
                    ctl = st.control()
                    if (st.assign() or ctl) and not self.args.no_state:
                        st.dump(self.args.log)
    fakelib.Server = Srv
    try:
        fakelib.serve(H, args)
    finally:
        if args.no_state and servers:
            st = servers[0].ast
            if st.lock.acquire(timeout=5):
                st.dump(args.log)


if __name__ == "__main__":
    main()

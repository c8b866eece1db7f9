# SPDX-License-Identifier: ISC
"""Fake GitHub REST API for the self-hosted runner endpoints.

Serves both layouts: GHES (/api/v3/...) and hosted (no prefix).  Scopes:
/orgs/ORG, /repos/ORG/REPO (any repo of ORG) and /enterprises/ENT share
one set of runners.  Facts: GitHub REST API docs ("REST API endpoints for
self-hosted runners", "Authenticating as a GitHub App installation",
"Rate limits for the REST API").

  --org ORG --enterprise ENT     the scopes that exist (others: 404)
  --token TOK                    the accepted PAT (repeatable)
  --auth-message TEXT            the 401 message (default: Bad credentials)
  --runners N                    N generated runners (see make_runner)
  --runners-json FILE            or these runners (a JSON list)
  --app-id ID --app-key-pub PEM --installation-id N
                                 GitHub App: JWTs are checked against the
                                 public key (RS256, iat/exp/iss rules)
  --token-ttl S                  installation token lifetime (default 3600)
  --mode MODE                    ok (default), 401, 403, 403-scope, 404,
                                 primary-limit, secondary-limit,
                                 secondary-noretry, 500
  --mode-count N                 MODE affects only the first N requests
                                 (default: all)
  --mode-after N                 MODE spares the first N requests
  --page-delay S                 answer runner list pages after the first
                                 S seconds late
  --reset-in S                   primary-limit: reset S seconds ahead
  --retry-after S                secondary-limit: retry-after value
  --max-per-page N               cap per_page (default 100)
  --link-base-file F             origin for Link URLs read from F (when
                                 behind a proxy that rewrites Host)
  --scopes LIST                  X-OAuth-Scopes sent to ghp_ tokens
  --ghes-version V               X-GitHub-Enterprise-Version on replies
  --workflows FILE               JSON re-read when it changes:
                                 {"repos": [{"full_name", "archived", "runs":
                                 [{"id", "status", "jobs": [{"id", "status",
                                 "labels"}]}]}], "runners": {NAME: {"status",
                                 "busy", "stale"}}}; serves GET /orgs/ORG/repos,
                                 .../actions/runs?status=S and
                                 .../actions/runs/ID/jobs (paginated, ETag/304);
                                 "stale" runners list as idle but refuse
                                 DELETE with 422 while busy
  --runner-group NAME            a runner group besides Default (id 1),
                                 ids 2, 3, ... in order (repeatable);
                                 GET /orgs/ORG/actions/runner-groups and
                                 /enterprises/ENT/actions/runner-groups
                                 (paginated), none for a repository
GET /meta answers 200 without authentication.

Every response carries x-ratelimit-* headers; list pages carry an ETag and
answer 304 to a matching If-None-Match; Link rel="next"/"last" paginate.
"""

import base64
import hashlib
import json
import os
import re
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse

import fakelib

OPENSSL = "/usr/bin/openssl"


def make_runner(i):
    online = i % 5 != 0
    labels = ["self-hosted", "linux", "x64"] + (["gpu"] if i % 4 == 0 else [])
    return {
        "id": i,
        "name": "runner-%05d" % i,
        "os": "linux",
        "status": "online" if online else "offline",
        "busy": online and i % 3 == 0,
        "ephemeral": False,
        "runner_group_id": 1,
        "labels": [{"id": n + 1, "name": l,
                    "type": "read-only" if n < 3 else "custom"}
                   for n, l in enumerate(labels)],
    }


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


class State:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.args = args
        if args.runners_json:
            with open(args.runners_json) as f:
                self.runners = json.load(f)
        else:
            self.runners = [make_runner(i) for i in range(1, args.runners + 1)]
        self.next_id = max([r["id"] for r in self.runners] + [0]) + 1
        self.tokens = set(args.token)
        self.inst_tokens = {}
        self.requests = 0
        self.pages = {}            # pre-serialised list pages (bench/)
        self.remaining = 5000
        self.reset = int(time.time()) + 3600
        self.wf = {"repos": [], "runners": {}}
        self.wf_mtime = None


class H(fakelib.Handler):
    def setup(self):
        super().setup()
        # Headers and body go out in two writes: without this, Nagle and
        # delayed ACKs add 40 ms to every reply.
        sock = getattr(self.connection, "setsockopt", None)
        if sock:
            self.connection.setsockopt(socket.IPPROTO_TCP,
                                       socket.TCP_NODELAY, 1)

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def do_DELETE(self):
        self.route("DELETE")

    # -- helpers ---------------------------------------------------------

    def rl_headers(self, st, remaining=None, reset=None):
        rem = st.remaining if remaining is None else remaining
        return {
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": str(rem),
            "x-ratelimit-used": str(5000 - rem),
            "x-ratelimit-reset": str(st.reset if reset is None else reset),
            "x-ratelimit-resource": "core",
            "X-GitHub-Request-Id": "FAKE:%d" % st.requests,
        }

    def send(self, status, body=b"", headers=None):
        st, a = self.server.st, self.server.args
        h = self.rl_headers(st)
        if getattr(a, "ghes_version", ""):
            h["X-GitHub-Enterprise-Version"] = a.ghes_version
        if getattr(a, "scopes", None) is not None and \
                (self.headers.get("Authorization") or "").startswith(
                    ("token ghp_", "Bearer ghp_")):
            h["X-OAuth-Scopes"] = a.scopes
        h.update(headers or {})
        self.reply(status, body, headers=h)

    def error(self, status, message, headers=None, **extra):
        body = {"message": message,
                "documentation_url": "https://docs.github.com/rest"}
        body.update(extra)
        self.send(status, body, headers)

    def verify_jwt(self, tok):
        a = self.server.args
        try:
            h, c, s = tok.split(".")
            hdr = json.loads(b64url_decode(h))
            cl = json.loads(b64url_decode(c))
            sig = b64url_decode(s)
        except Exception:
            return "JWT is malformed"
        if hdr.get("alg") != "RS256":
            return "alg must be RS256"
        with tempfile.NamedTemporaryFile() as sf:
            sf.write(sig)
            sf.flush()
            p = subprocess.run([OPENSSL, "dgst", "-sha256", "-verify",
                                a.app_key_pub, "-signature", sf.name],
                               input=(h + "." + c).encode(),
                               capture_output=True)
        if p.returncode != 0:
            return "A JSON web token could not be decoded"
        now = int(time.time())
        iat, exp = cl.get("iat"), cl.get("exp")
        if not isinstance(iat, int) or not isinstance(exp, int):
            return "iat and exp must be integers"
        if iat > now + 5 or exp <= now or exp - now > 600 or exp <= iat:
            return "'Expiration time' claim ('exp') is too far in the future"
        if str(cl.get("iss")) != str(a.app_id):
            return "Integration not found"
        return None

    def auth(self, jwt=False):
        """Check Authorization; returns None when fine, else sent a reply."""
        st = self.server.st
        v = self.headers.get("Authorization") or ""
        m = re.match(r"(?i)(bearer|token) (\S+)$", v)
        if not m:
            self.error(401, "Requires authentication")
            return False
        tok = m.group(2)
        if jwt:
            err = self.verify_jwt(tok) if self.server.args.app_id else "no app"
            if err:
                self.error(401, err)
                return False
            return True
        with st.lock:
            exp = st.inst_tokens.get(tok)
        if tok in st.tokens or (exp is not None and exp > time.time()):
            return True
        self.error(401, self.server.args.auth_message)
        return False

    def mode_active(self):
        a = self.server.args
        n = self.server.st.requests
        return a.mode != "ok" and (a.mode_count < 0 or
                                   n <= a.mode_count) and n > a.mode_after

    def apply_mode(self):
        """Answer with the configured failure; True when it did."""
        a, st = self.server.args, self.server.st
        if not self.mode_active():
            return False
        m = a.mode
        if m == "401":
            self.error(401, "Bad credentials")
        elif m == "403":
            self.error(403, "Resource not accessible by personal access token",
                       {"X-Accepted-GitHub-Permissions":
                        "organization_self_hosted_runners=write"})
        elif m == "403-scope":
            self.error(403, "Must have admin rights to Repository.",
                       {"X-Accepted-OAuth-Scopes": "admin:org"})
        elif m == "404":
            self.error(404, "Not Found")
        elif m == "500":
            self.error(500, "Server Error")
        elif m == "primary-limit":
            reset = int(time.time()) + a.reset_in
            self.send(403, {"message": "API rate limit exceeded for user."},
                      self.rl_headers(st, 0, reset))
        elif m == "secondary-limit":
            self.send(429, {"message": "You have exceeded a secondary rate "
                            "limit. Please wait a few minutes."},
                      {"retry-after": str(a.retry_after)})
        elif m == "secondary-noretry":
            self.send(403, {"message": "You have exceeded a secondary rate "
                            "limit. Please wait a few minutes."})
        else:
            return False
        return True

    # -- routing -------------------------------------------------------------

    def route(self, method):
        st, a = self.server.st, self.server.args
        body = self.read_body()
        self.record(body)
        with st.lock:
            st.requests += 1
            st.remaining = max(st.remaining - 1, 0)
        u = urllib.parse.urlsplit(self.path)
        path = u.path
        if path.startswith("/api/v3/"):
            path = path[len("/api/v3"):]
        q = urllib.parse.parse_qs(u.query)
        if path == "/meta" and method == "GET":
            return self.send(200, {"verifiable_password_authentication":
                                   False})
        m = re.match(r"/app/installations/(\d+)/access_tokens$", path)
        if m and method == "POST":
            return self.access_token(int(m.group(1)))
        m = re.match(r"/(orgs/([^/]+)|repos/([^/]+)/([^/]+)|enterprises/([^/]+))"
                     r"(/.*)$", path)
        if not m:
            return self.error(404, "Not Found")
        org = m.group(2) or m.group(3)
        ent = m.group(5)
        rest = m.group(6)
        if rest == "/installation" and method == "GET":
            if not self.auth(jwt=True):
                return
            if ent or urllib.parse.unquote(org) != a.org:
                return self.error(404, "Not Found")
            return self.send(200, {"id": a.installation_id,
                                   "app_id": int(a.app_id or 0),
                                   "account": {"login": a.org}})
        if not self.auth():
            return
        if self.apply_mode():
            return
        self.load_workflows()
        if (ent and urllib.parse.unquote(ent) != a.enterprise) or \
                (org and urllib.parse.unquote(org) != a.org):
            return self.error(404, "Not Found")
        if rest == "/actions/runners" and method == "GET":
            return self.list_runners(q)
        if rest == "/actions/runner-groups" and method == "GET" and \
                not m.group(3):
            return self.runner_groups(q, m.group(1))
        if m.group(2) and rest == "/repos" and method == "GET":
            return self.send_page(q, [
                {"name": r["full_name"].split("/")[1],
                 "full_name": r["full_name"],
                 "archived": bool(r.get("archived"))}
                for r in st.wf["repos"]], None)
        if m.group(3) and method == "GET" and rest.startswith("/actions/runs"):
            return self.workflow_runs(m.group(3) + "/" + m.group(4), rest, q)
        m = re.match(r"/actions/runners/(\d+)$", rest)
        if m and method == "GET":
            return self.get_runner(int(m.group(1)))
        if m and method == "DELETE":
            return self.delete_runner(int(m.group(1)))
        if rest in ("/actions/runners/registration-token",
                    "/actions/runners/remove-token") and method == "POST":
            kind = "REG" if "registration" in rest else "REM"
            tok = kind + hashlib.sha1(os.urandom(8)).hexdigest().upper()[:26]
            exp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z",
                                time.gmtime(time.time() + 3600))
            self.issue(tok)
            return self.send(201, {"token": tok, "expires_at": exp})
        if rest == "/actions/runners/generate-jitconfig" and method == "POST":
            return self.jit(body)
        return self.error(404, "Not Found")

    def load_workflows(self):
        st, a = self.server.st, self.server.args
        if not a.workflows or not os.path.exists(a.workflows):
            return
        with st.lock:
            mt = os.stat(a.workflows).st_mtime_ns
            if mt == st.wf_mtime:
                return
            with open(a.workflows) as f:
                st.wf = json.load(f)
            st.wf_mtime = mt
            for r in st.runners:
                r.update({k: v for k, v in st.wf.get("runners", {}).get(
                    r["name"], {}).items() if k in ("status", "busy")})

    def workflow_runs(self, full, rest, q):
        st = self.server.st
        repo = [r for r in st.wf["repos"] if r["full_name"] == full]
        if not repo:
            return self.error(404, "Not Found")
        runs = repo[0].get("runs", [])
        if rest == "/actions/runs":
            want = q.get("status", [None])[0]
            return self.send_page(q, [{"id": r["id"], "status": r["status"],
                                       "name": "ci"} for r in runs
                                      if want is None or r["status"] == want],
                                  "workflow_runs")
        mm = re.match(r"/actions/runs/(\d+)/jobs$", rest)
        run = [r for r in runs if mm and r["id"] == int(mm.group(1))]
        if not run:
            return self.error(404, "Not Found")
        return self.send_page(q, [dict(j, run_id=run[0]["id"])
                                  for j in run[0].get("jobs", [])], "jobs")

    def send_page(self, q, items, key):
        """One page of items (a bare list when key is None), with Link,
        ETag and 304 on a matching If-None-Match."""
        st, a = self.server.st, self.server.args
        try:
            per = int(q.get("per_page", ["30"])[0])
            page = int(q.get("page", ["1"])[0])
        except ValueError:
            return self.error(422, "Invalid request.")
        per = max(1, min(per, a.max_per_page))
        last = max(1, (len(items) + per - 1) // per)
        chunk = items[(page - 1) * per:page * per]
        body = json.dumps(chunk if key is None else
                          {"total_count": len(items), key: chunk}).encode()
        etag = 'W/"%s"' % hashlib.sha1(body).hexdigest()
        h = {"ETag": etag}
        if page < last:
            scheme = "https" if a.cert else "http"
            base = "%s://%s%s" % (scheme, self.headers.get("Host"),
                                  urllib.parse.urlsplit(self.path).path)
            qq = {k: v[0] for k, v in q.items()}
            qq["page"] = str(page + 1)
            h["Link"] = '<%s?%s>; rel="next"' % (base,
                                                 urllib.parse.urlencode(qq))
        if self.headers.get("If-None-Match") == etag:
            with st.lock:
                st.remaining += 1
            self.record_status(304)
            return self.send(304, b"", h)
        self.send(200, body, h)

    def runner_groups(self, q, scope):
        """The groups, shaped as GitHub's REST docs describe them."""
        names = ["Default"] + self.server.args.runner_group
        base = "https://%s/api/v3/%s/actions/runner-groups" % (
            self.headers.get("Host"), scope)
        groups = [{"id": i + 1, "name": n, "visibility": "all",
                   "default": i == 0,
                   "runners_url": "%s/%d/runners" % (base, i + 1),
                   "inherited": False,
                   "allows_public_repositories": False,
                   "restricted_to_workflows": False,
                   "selected_workflows": [],
                   "workflow_restrictions_read_only": False}
                  for i, n in enumerate(names)]
        return self.send_page(q, groups, "runner_groups")

    def record_status(self, status):
        if self.server.args.log:
            with self.server.lock:
                with open(self.server.args.log + ".304", "a") as f:
                    f.write("%s\n" % self.path)

    def access_token(self, inst):
        a, st = self.server.args, self.server.st
        if not self.auth(jwt=True):
            return
        if inst != a.installation_id:
            return self.error(404, "Not Found")
        tok = "ghs_" + hashlib.sha1(os.urandom(8)).hexdigest()
        exp = time.time() + a.token_ttl
        with st.lock:
            st.inst_tokens[tok] = exp
        self.issue(tok)
        self.send(201, {"token": tok, "expires_at": time.strftime(
            "%Y-%m-%dT%H:%M:%SZ", time.gmtime(exp)),
            "permissions": {"organization_self_hosted_runners": "write"}})

    def list_runners(self, q):
        st, a = self.server.st, self.server.args
        try:
            per = int(q.get("per_page", ["30"])[0])
            page = int(q.get("page", ["1"])[0])
        except ValueError:
            return self.error(422, "Invalid request.")
        per = max(1, min(per, a.max_per_page))
        if page > 1 and a.page_delay > 0:
            time.sleep(a.page_delay)
        with st.lock:
            stale = {n for n, v in st.wf.get("runners", {}).items()
                     if v.get("stale")}
            rs = [dict(r, busy=False) if r["name"] in stale else r
                  for r in st.runners]
            # Serialised once per runner-set version: with thousands of
            # runners the clients, not json.dumps, should set the pace.
            key = (page, per, len(rs), st.next_id, q.get("name", [""])[0])
            cached = st.pages.get(key)
        if "name" in q:
            rs = [r for r in rs if r["name"] == q["name"][0]]
        last = max(1, (len(rs) + per - 1) // per)
        # A runner's status changes too (online, offline): not only busy.
        if cached is None or any((r["busy"], r["status"]) != b for r, b in
                                 zip(rs[(page - 1) * per:page * per],
                                     cached[2])):
            chunk = rs[(page - 1) * per:page * per]
            body = json.dumps({"total_count": len(rs),
                               "runners": chunk}).encode()
            cached = (body, 'W/"%s"' % hashlib.sha1(body).hexdigest(),
                      [(r["busy"], r["status"]) for r in chunk])
            with st.lock:
                st.pages[key] = cached
        body, etag = cached[0], cached[1]
        h = {"ETag": etag, "Cache-Control": "private, max-age=60, s-maxage=60"}
        if page < last:
            scheme = "https" if a.cert else "http"
            origin = "%s://%s" % (scheme, self.headers.get("Host"))
            if a.link_base_file and os.path.exists(a.link_base_file):
                # Behind a proxy (Prism) that rewrites Host.
                with open(a.link_base_file) as f:
                    origin = f.read().strip()
            base = origin + urllib.parse.urlsplit(self.path).path

            def link(p):
                qq = {k: v[0] for k, v in q.items()}
                qq["page"] = str(p)
                return "<%s?%s>" % (base, urllib.parse.urlencode(qq))
            h["Link"] = '%s; rel="next", %s; rel="last"' % (link(page + 1),
                                                            link(last))
        if self.headers.get("If-None-Match") == etag:
            # Conditional hits do not count against the primary limit.
            with st.lock:
                st.remaining += 1
            return self.send(304, b"", h)
        self.send(200, body, h)

    def find(self, rid):
        for r in self.server.st.runners:
            if r["id"] == rid:
                return r
        return None

    def get_runner(self, rid):
        with self.server.st.lock:
            r = self.find(rid)
        if r is None:
            return self.error(404, "Not Found")
        self.send(200, r)

    def delete_runner(self, rid):
        st = self.server.st
        with st.lock:
            r = self.find(rid)
            if r is not None and not r["busy"]:
                st.runners.remove(r)
        if r is None:
            return self.error(404, "Not Found")
        if r["busy"]:
            return self.error(422, 'Bad request - Runner "%s" is still '
                              'running a job"' % r["name"])
        self.send(204)

    def jit(self, body):
        st = self.server.st
        try:
            req = json.loads(body)
        except ValueError:
            return self.error(400, "Problems parsing JSON")
        name, gid, labels = (req.get("name"), req.get("runner_group_id"),
                             req.get("labels"))
        if not isinstance(name, str) or not isinstance(gid, int) or \
                not isinstance(labels, list) or not labels or \
                not all(isinstance(x, str) for x in labels):
            return self.error(422, "Invalid request.",
                              errors=["name, runner_group_id and labels "
                                      "are required"])
        with st.lock:
            if any(r["name"] == name for r in st.runners):
                return self.error(409, "Already exists - A runner with the "
                                  "name %s already exists." % name)
            r = {"id": st.next_id, "name": name, "os": "unknown",
                 "status": "offline", "busy": False, "ephemeral": True,
                 "runner_group_id": gid,
                 "labels": [{"id": 0, "name": l, "type": "custom"}
                            for l in labels]}
            st.next_id += 1
            st.runners.append(r)
        cfg = base64.b64encode(json.dumps(
            {".runner": "JIT-SECRET-" + name}).encode()).decode()
        self.issue(cfg)
        self.send(201, {"runner": r, "encoded_jit_config": cfg})


def add_arguments(ap, runners=3):
    """The options of this fake; actions.py, which serves the same REST
    API, takes them from here."""
    ap.add_argument("--org", default="acme")
    ap.add_argument("--enterprise", default="acme-ent")
    ap.add_argument("--token", action="append", default=[])
    # A hostile server's text for the 401 message (escape sequences).
    ap.add_argument("--auth-message", default="Bad credentials")
    ap.add_argument("--runners", type=int, default=runners)
    ap.add_argument("--runners-json", default="")
    ap.add_argument("--app-id", default="")
    ap.add_argument("--app-key-pub", default="")
    ap.add_argument("--installation-id", type=int, default=4242)
    ap.add_argument("--token-ttl", type=int, default=3600)
    ap.add_argument("--mode", default="ok")
    ap.add_argument("--mode-count", type=int, default=-1)
    ap.add_argument("--mode-after", type=int, default=0)
    ap.add_argument("--page-delay", type=float, default=0)
    ap.add_argument("--reset-in", type=int, default=2)
    ap.add_argument("--retry-after", type=int, default=1)
    ap.add_argument("--max-per-page", type=int, default=100)
    ap.add_argument("--link-base-file", default="")
    ap.add_argument("--scopes", default=None)
    ap.add_argument("--ghes-version", default="")
    ap.add_argument("--workflows", default="")
    ap.add_argument("--runner-group", action="append", default=[])


def main():
    ap = fakelib.parser(__doc__.splitlines()[0])
    add_arguments(ap)
    args = ap.parse_args()
    srv_args = args

    class Srv(fakelib.Server):
        def __init__(self, addr, handler, a):
            super().__init__(addr, handler, a)
            self.st = State(a)
    orig = fakelib.Server
    fakelib.Server = Srv
    try:
        fakelib.serve(H, srv_args)
    finally:
        fakelib.Server = orig


if __name__ == "__main__":
    main()

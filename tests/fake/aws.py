# SPDX-License-Identifier: ISC
"""Fake AWS for ghrctl's tests: query APIs (CloudWatch now, EC2 later),
CloudWatch's JSON 1.0 protocol, IMDSv2 and the container credentials
endpoint, all on one loopback port.

It is a strict judge, not a mock:
  * every API request's SigV4 signature is recomputed with botocore
    (Debian's python3-botocore, run with /usr/bin/python3) from the
    client's own SignedHeaders; a mismatch gets AWS's real
    SignatureDoesNotMatch reply; host, x-amz-date and every x-amz-* header
    sent must be signed; the scope must name this region and the service's
    signing name; X-Amz-Date must be within 5 minutes;
  * access keys are checked: the static key (--access-key/--secret-key),
    and the temporary keys this fake handed out through IMDS or the
    container endpoint, each with its session token and Expiration;
  * query parameter names (and JSON member names) are checked against
    botocore's shipped service model of the operation, with the query
    protocol's ".member.N" lists for CloudWatch and EC2's ".N" lists and
    queryName/locationName wire names; unknown or missing-required
    parameters get 400 errors.

EC2: RunInstances (ClientToken idempotency as EC2 does it),
DescribeInstances (filters, NextToken pages), TerminateInstances,
CreateTags, DeleteTags, GetConsoleOutput (--console-dir) and DryRun, a
per-instance IMDS under /imds/ID/ (instance id, launch index, user data,
tags when InstanceMetadataTags=enabled), with fault injection through --ec2-control (see
the comment above Ec2State).  Adding EC2 actions: add a handler to
ACTIONS[("ec2", "ActionName")] taking (handler, params) and returning the
XML body; the signature, key, model and throttling checks above apply
unchanged.

Options (besides fakelib's): --region, --access-key/--secret-key,
--static-key AKID:SECRET (another valid key, repeatable),
--throttle N (the first N API requests answer 400 Throttling),
--retry-after-ms MS (send x-amz-retry-after with throttling replies),
--fail-5xx N (the first N API requests answer 500 InternalFailure),
--bare-5xx LIST (then one API request per status in LIST, e.g.
502,503,504, answers it with an HTML page and no AWS error code, as a load
balancer does),
--role, --cred-ttl SECONDS (Expiration of IMDS/container credentials),
--imds-token-uses N (an IMDS token stops working after N GETs),
--container-token TOKEN (required Authorization of the container
endpoint), --deny API:ACTION (e.g. ec2:RunInstances: refused with
UnauthorizedOperation / AccessDenied before validation, repeatable),
--identity-arn ARN (what sts GetCallerIdentity answers),
--ec2-limits (EC2's request and resource token buckets, see
EC2_REQUEST_BUCKETS; 503 RequestLimitExceeded over them),
--html-200 API:ACTION (answer 200 with a proxy's HTML page; ACTION may
be *; repeatable; EC2 also takes {"op":"html"} on --ec2-control), --check-vectors DIR (verify tests/vectors/sigv4 with botocore
and exit).

Every request is logged (fakelib) with extra fields: "api" (service),
"action", "protocol" ("query" or "json"), "akid", "params" (decoded) and
"error" (the code answered, if any).
"""

import base64
import datetime
import hmac
import json
import os
import re
import socket
import sys
import threading
import time
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakelib  # noqa: E402

from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest, HTTPHeaders  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402
import botocore.session  # noqa: E402

# Query-API services this fake knows: Version -> (api, signing name, model).
SERVICES = {
    "2010-08-01": ("cloudwatch", "monitoring", "cloudwatch"),
    "2016-11-15": ("ec2", "ec2", "ec2"),
    "2011-06-15": ("sts", "sts", "sts"),
}
JSON_TARGETS = {
    "GraniteServiceVersion20100801": ("cloudwatch", "monitoring", "cloudwatch"),
}
NS = {
    "cloudwatch": "http://monitoring.amazonaws.com/doc/2010-08-01/",
    "ec2": "http://ec2.amazonaws.com/doc/2016-11-15/",
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
}
SIG_MISMATCH = ("The request signature we calculated does not match the "
                "signature you provided. Check your AWS Secret Access Key "
                "and signing method. Consult the service documentation "
                "for details.")

_models = {}


def model(name):
    if name not in _models:
        _models[name] = botocore.session.get_session().get_service_model(name)
    return _models[name]


class ApiError(Exception):
    def __init__(self, status, code, message, sender=True, headers=None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.sender = sender
        self.headers = headers or {}


# ----------------------------------------------------------------------
# Signatures: re-signed with botocore's SigV4Auth at the request's own
# X-Amz-Date (botocore/auth.py), so the check does not depend on clocks.

def botocore_authz(method, url, headers, body, amz_date, region, service,
                   akid, secret, token):
    req = AWSRequest(method=method, url=url, data=body)
    h = HTTPHeaders()
    for k, v in headers:
        h.add_header(k, v)
    req.headers = h
    req.context["timestamp"] = amz_date
    auth = SigV4Auth(Credentials(akid, secret, token), service, region)
    auth._modify_request_before_signing(req)
    creq = auth.canonical_request(req)
    sts = auth.string_to_sign(req, creq)
    auth._inject_signature_to_request(req, auth.signature(sts, req))
    return req.headers["Authorization"], creq, sts


AUTH_RE = re.compile(r"^AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/"
                     r"([^/]+)/aws4_request, SignedHeaders=([a-z0-9;-]+), "
                     r"Signature=([0-9a-f]{64})$")


def verify(h, body, region, service):
    """Check h's Authorization; return the access key id or raise."""
    srv = h.server
    authz = h.headers.get("Authorization")
    if not authz:
        raise ApiError(403, "MissingAuthenticationToken",
                       "Request is missing Authentication Token")
    m = AUTH_RE.match(authz)
    if not m:
        raise ApiError(400, "IncompleteSignature",
                       "Authorization header requires 'Credential', "
                       "'Signature' and 'SignedHeaders' parameters. "
                       "Authorization=" + authz[:60])
    akid, day, sregion, sservice, signed, _ = m.groups()
    amz_date = h.headers.get("X-Amz-Date", "")
    if not re.match(r"^\d{8}T\d{6}Z$", amz_date):
        raise ApiError(400, "IncompleteSignature",
                       "Authorization header requires existence of either "
                       "a 'X-Amz-Date' or a 'Date' header.")
    if day != amz_date[:8]:
        raise ApiError(403, "SignatureDoesNotMatch",
                       "Date in Credential scope does not match YYYYMMDD "
                       "from ISO-8601 version of date from HTTP: '%s' != "
                       "'%s', from '%s'." % (day, amz_date[:8], amz_date))
    if sregion != region:
        raise ApiError(403, "SignatureDoesNotMatch",
                       "Credential should be scoped to a valid region, "
                       "not '%s'. " % sregion)
    if sservice != service:
        raise ApiError(403, "SignatureDoesNotMatch",
                       "Credential should be scoped to correct service: "
                       "'%s'. " % service)
    when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()
    now = time.time()
    if abs(now - when) > 300:
        raise ApiError(403, "SignatureDoesNotMatch",
                       "Signature expired: %s is now earlier than %s" % (
                           amz_date, time.strftime("%Y%m%dT%H%M%SZ",
                                                   time.gmtime(now - 300))))
    names = signed.split(";")
    if names != sorted(names) or "host" not in names or \
            "x-amz-date" not in names:
        raise ApiError(403, "SignatureDoesNotMatch", SIG_MISMATCH)
    for k in h.headers.keys():
        if k.lower().startswith("x-amz-") and k.lower() not in names:
            raise ApiError(403, "SignatureDoesNotMatch", SIG_MISMATCH)
    with srv.lock:
        key = srv.keys.get(akid)
    if key is None:
        raise ApiError(403, "InvalidClientTokenId",
                       "The security token included in the request is "
                       "invalid.")
    secret, token, expires = key
    sent_token = h.headers.get("X-Amz-Security-Token")
    if token is not None and sent_token != token or \
            token is None and sent_token is not None:
        raise ApiError(403, "InvalidClientTokenId",
                       "The security token included in the request is "
                       "invalid.")
    if expires is not None and now >= expires:
        raise ApiError(403, "ExpiredToken",
                       "The security token included in the request is "
                       "expired")
    hdrs = [(k, v) for k, v in h.headers.items()
            if k.lower() in names and k.lower() not in
            ("host", "x-amz-date", "x-amz-security-token")]
    url = "http://" + h.headers.get("Host", "") + h.path
    want, creq, sts = botocore_authz(h.command, url, hdrs, body, amz_date,
                                     region, service, akid, secret, token)
    if not hmac.compare_digest(want, authz):
        h.signature_debug = {"canonical_request": creq,
                             "string_to_sign": sts}
        raise ApiError(403, "SignatureDoesNotMatch", SIG_MISMATCH)
    return akid


# ----------------------------------------------------------------------
# Parameter validation against botocore's models

def _wire_name(proto, mname, mshape):
    if proto == "ec2":
        if "queryName" in mshape.serialization:
            return mshape.serialization["queryName"]
        ln = mshape.serialization.get("name")
        if ln:
            return ln[0].upper() + ln[1:]
        return mname
    return mshape.serialization.get("name", mname)


def _walk(proto, shape, keys, prefix, errors):
    """keys: list of (suffix-list, value) below prefix; shape: botocore."""
    t = shape.type_name
    if t == "structure":
        byname = {}
        for parts, v in keys:
            if not parts:
                errors.append("%s: expected members" % prefix)
                continue
            byname.setdefault(parts[0], []).append((parts[1:], v))
        wire = {_wire_name(proto, n, s): (n, s)
                for n, s in shape.members.items()}
        for w, sub in byname.items():
            if w not in wire:
                errors.append("%s%s: unknown parameter" % (prefix, w))
                continue
            _walk(proto, wire[w][1], sub, prefix + w + ".", errors)
        for req in shape.required_members:
            w = _wire_name(proto, req, shape.members[req])
            if w not in byname:
                errors.append("%s%s: missing required parameter" % (
                    prefix, w))
    elif t == "list":
        flat = proto == "ec2" or shape.serialization.get("flattened")
        idx = {}
        for parts, v in keys:
            if not flat:
                if not parts or parts[0] != "member":
                    errors.append("%s: expected .member.N" % prefix)
                    continue
                parts = parts[1:]
            if not parts or not parts[0].isdigit() or parts[0] == "0":
                errors.append("%s: bad list index" % prefix)
                continue
            idx.setdefault(int(parts[0]), []).append((parts[1:], v))
        for i, sub in idx.items():
            _walk(proto, shape.member, sub, "%s%s%d." % (
                prefix, "" if flat else "member.", i), errors)
    elif t == "map":
        for parts, v in keys:
            if len(parts) < 3 or parts[0] != "entry":
                errors.append("%s: expected .entry.N.key/value" % prefix)
    else:
        for parts, v in keys:
            if parts:
                errors.append("%s%s: unknown parameter" % (
                    prefix, ".".join(parts)))
        if t == "timestamp":
            for _, v in keys:
                if not re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$",
                                v):
                    errors.append("%s: bad timestamp '%s'" % (prefix, v))
        if t in ("double", "integer", "long"):
            for _, v in keys:
                try:
                    x = float(v)
                    if x != x or x in (float("inf"), float("-inf")):
                        raise ValueError
                except ValueError:
                    errors.append("%s: bad number '%s'" % (prefix, v))
        if "enum" in shape.metadata:
            for _, v in keys:
                if v not in shape.metadata["enum"]:
                    errors.append("%s: '%s' not in enum" % (prefix, v))


def validate_query(mname, action, params):
    m = model(mname)
    try:
        op = m.operation_model(action)
    except Exception:
        raise ApiError(400, "InvalidAction", "The action %s is not valid "
                       "for this web service." % action)
    keys = [(k.split("."), v) for k, v in params.items()
            if k not in ("Action", "Version")]
    errors = []
    _walk(m.protocol if m.protocol == "ec2" else "query", op.input_shape,
          keys, "", errors)
    if errors:
        code = "UnknownParameter" if "unknown" in errors[0] else \
            "MissingParameter" if "missing" in errors[0] else \
            "InvalidParameterValue"
        raise ApiError(400, code, errors[0].rstrip("."))


def validate_json(mname, action, doc):
    op = model(mname).operation_model(action)
    errors = []

    def walk(shape, v, path):
        t = shape.type_name
        if t == "structure":
            if not isinstance(v, dict):
                errors.append("%s: expected object" % path)
                return
            for k, x in v.items():
                if k not in shape.members:
                    errors.append("%s%s: unknown member" % (path, k))
                else:
                    walk(shape.members[k], x, path + k + ".")
            for r in shape.required_members:
                if r not in v:
                    errors.append("%s%s: missing required member" % (
                        path, r))
        elif t == "list":
            if not isinstance(v, list):
                errors.append("%s: expected array" % path)
                return
            for i, x in enumerate(v):
                walk(shape.member, x, "%s%d." % (path, i))
        elif t == "timestamp":
            if not isinstance(v, (int, float)) or isinstance(v, bool):
                errors.append("%s: timestamp must be epoch seconds" % path)
        elif t in ("double", "integer", "long"):
            if not isinstance(v, (int, float)) or isinstance(v, bool):
                errors.append("%s: expected number" % path)
    walk(op.input_shape, doc, "")
    if errors:
        raise ApiError(400, "InvalidParameterValue", errors[0])


# ----------------------------------------------------------------------
# Actions

def put_metric_data(h, params):
    return "<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata>" \
        % h.request_id


# ----------------------------------------------------------------------
# EC2 (Amazon EC2 API Reference: RunInstances, DescribeInstances,
# TerminateInstances, CreateTags, "Query API responses"): RunInstances with ClientToken idempotency,
# DescribeInstances with filters and NextToken pages, TerminateInstances,
# CreateTags, DryRun.  Fault injection through --ec2-control (JSON lines
# appended by the test, read on every EC2 request):
#   {"op":"capacity","type":T|"*","market":"spot"|"on-demand"|"*",
#    "code":"InsufficientInstanceCapacity","count":N}   (count -1: forever)
#   {"op":"delay","action":A,"seconds":S,"count":N}  the instance is made
#                                 (RunInstances), started or stopped
#                                 (StartInstances, StopInstances), tagged
#                                 (CreateTags), then the reply waits S s
#   {"op":"throttle","action":A|"*","count":N}  503 RequestLimitExceeded
#   {"op":"partial","max":K,"count":N}  the next N RunInstances launch at
#                                 most K instances each (capacity short:
#                                 EC2 launches between MinCount and
#                                 MaxCount, RunInstances reference); K
#                                 below MinCount: InsufficientInstanceCapacity
#   {"op":"deny","action":A}      403 UnauthorizedOperation
#   {"op":"age","id":ID|"*","seconds":S}  launch time S seconds earlier
#   {"op":"page","size":N}        at most N instances per Describe page
#   {"op":"state","id":ID,"state":S}
#   {"op":"hide","id":ID}         Describe lags: the instance is missing
#                                 from every Describe but client-token ones
#   {"op":"html","action":A|"*","count":N}  (count -1: forever) a 200
#                                 with a proxy's HTML page (well-formed,
#                                 so it parses as XML) instead of EC2's
#                                 reply; the action is not performed
#   {"op":"limits","on":true|false}  EC2's request throttling (below), as
#                                 --ec2-limits turns it on from the start
#   {"op":"launch","id":ID,"tags":{K:V},"type":T,"spot":B,...}  an
#                                 instance that exists without a
#                                 RunInstances (running, t3.micro,
#                                 on-demand unless given)
#   {"op":"shutdown","id":ID}     the instance powers itself off: its
#                                 InstanceInitiatedShutdownBehavior
#                                 decides (stop: stopping, then stopped;
#                                 terminate: terminated)
#   {"op":"timing","start":S,"stop":S}  seconds pending lasts after
#                                 StartInstances and stopping lasts
#                                 (default 0.2 each)
# StartInstances and StopInstances (EC2 API reference; lifecycle in the
# EC2 User Guide, "Amazon EC2 instance state changes"): stopped ->
# pending -> running, running -> stopping -> stopped; starting a running
# or pending instance and stopping a stopped or stopping one change
# nothing; any other state is IncorrectInstanceState.  A one-time spot
# instance cannot be stopped or started: UnsupportedOperation (EC2 User
# Guide, "Stop a Spot Instance": only persistent requests' instances).
# A start sets launchTime to the time of the start (EC2 API reference,
# Instance: "The time that the instance was last launched").
# The EC2 state is dumped to <log>.ec2 (JSON) after every EC2 request:
# instances, "max_live" (the most pending+running instances at any
# moment: the MAX_RUNNERS watermark), "run_calls", "run_times",
# "throttled" (throttled replies per action), "throttled_keys" (the same
# per access key id) and "throttle_times" ([time, action, code, key]).

CAPACITY_MSG = {
    "InsufficientInstanceCapacity": "We currently do not have sufficient "
    "%s capacity in the Availability Zone you requested (us-east-1a). Our "
    "system will be working on provisioning additional capacity.",
    "SpotMaxPriceTooLow": "Your Spot request price of 0.001 is lower than "
    "the minimum required Spot request fulfillment price.",
    "MaxSpotInstanceCountExceeded": "Max spot instance count exceeded",
}
CAPACITY_STATUS = {"InsufficientInstanceCapacity": 500}

# EC2's request throttling, per account and region (Amazon EC2 Developer
# Guide, "Request throttling for the Amazon EC2 API",
# https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html):
# token buckets, one per API action, each request takes one token from
# its action's bucket, which refills at a set rate up to its capacity.
# Sizes (capacity, refill per second) from that page's tables:
#   non-mutating actions (Describe*, List*, Search*, Get*)      100, 20
#   unfiltered and unpaginated non-mutating actions
#     (DescribeInstances without a filter or pagination, ...)    50, 10
#   mutating actions not listed otherwise (StopInstances, ...)   50, 5
#   uncategorized: RunInstances 5, 2; StartInstances 5, 2;
#     TerminateInstances 100, 5; CreateTags 100, 10; DeleteTags 100, 10
# CreateFleet draws from the RunInstances bucket (terraform-aws-github-
# runner PR #5253, runs-on PR #18).  Resource buckets (one token per
# instance the call names or launches; MaxCount counts): RunInstances
# 1000, 2; TerminateInstances 1000, 20; StartInstances 1000, 2;
# StopInstances 1000, 20.  Over a request bucket: 503 RequestLimitExceeded
# (the EC2 API error codes page; bosh-aws-cpi#61 and cdk-github-runners
# #946 show the 503); over a resource bucket: RequestResourceCountExceeded.
# A throttled call does nothing.  The page says tokens are added "every
# second"; this fake refills continuously at the same rate, which never
# gives more tokens over a whole second.  A DryRun call takes its token
# too.  Off unless --ec2-limits or {"op":"limits","on":true}.
EC2_NONMUTATING = (100, 20)
EC2_UNFILTERED = (50, 10)
EC2_MUTATING = (50, 5)
EC2_REQUEST_BUCKETS = {
    "RunInstances": (5, 2), "StartInstances": (5, 2),
    "TerminateInstances": (100, 5), "CreateTags": (100, 10),
    "DeleteTags": (100, 10),
}
EC2_SHARED_BUCKET = {"CreateFleet": "RunInstances"}
EC2_UNFILTERED_ACTIONS = (
    "DescribeInstances", "DescribeInstanceStatus", "DescribeNetworkInterfaces",
    "DescribeSecurityGroups", "DescribeSnapshots",
    "DescribeSpotInstanceRequests", "DescribeVolumes")
EC2_RESOURCE_BUCKETS = {
    "RunInstances": (1000, 2), "TerminateInstances": (1000, 20),
    "StartInstances": (1000, 2), "StopInstances": (1000, 20),
}


class TokenBucket:
    def __init__(self, cap, rate, now):
        self.cap, self.rate = float(cap), float(rate)
        self.level, self.t = float(cap), now

    def take(self, n, now):
        self.level = min(self.cap, self.level + (now - self.t) * self.rate)
        self.t = now
        if self.level + 1e-9 < n:
            return False
        self.level -= n
        return True


def ec2_request_bucket(action, params):
    """The name and size of the request bucket action draws from."""
    action = EC2_SHARED_BUCKET.get(action, action)
    if action in EC2_REQUEST_BUCKETS:
        return action, EC2_REQUEST_BUCKETS[action]
    if action.startswith(("Describe", "List", "Search", "Get")):
        if action in EC2_UNFILTERED_ACTIONS and not any(
                k.startswith("Filter.") or k in ("MaxResults", "NextToken")
                for k in params):
            return action + " (unfiltered)", EC2_UNFILTERED
        return action, EC2_NONMUTATING
    return action, EC2_MUTATING


def ec2_resource_cost(action, params):
    """Resource tokens action takes: instances launched or named."""
    if action == "RunInstances":
        try:
            return max(1, int(params.get("MaxCount", "1")))
        except ValueError:
            return 1
    return sum(1 for k in params if k.startswith("InstanceId."))


class Ec2State:
    def __init__(self, args):
        self.args = args
        self.ctl_off = 0
        self.instances = {}        # id -> dict, in creation order
        self.tokens = {}           # client token -> (params, [ids], rid)
        self.capacity = []
        self.delay = []
        self.throttle = []
        self.partial = []
        self.html = []
        self.deny = set()
        self.page = 0
        self.max_live = 0
        self.run_calls = 0
        self.run_times = []
        self.serial = 0
        self.limits = bool(getattr(args, "ec2_limits", False))
        self.buckets = {}          # name -> TokenBucket
        self.throttled = {}        # action -> throttled replies
        self.throttled_keys = {}   # akid -> {action: n}
        self.throttle_times = []   # [t, action, code, akid]
        self.start_s = 0.2
        self.stop_s = 0.2

    def control(self):
        path = self.args.ec2_control
        if not path or not os.path.exists(path):
            return False
        with open(path) as f:
            f.seek(self.ctl_off)
            data = f.read()
        data = data[:data.rfind("\n") + 1]
        self.ctl_off += len(data.encode())
        if not data:
            return False
        for line in data.splitlines():
            if not line.strip():
                continue
            c = json.loads(line)
            op = c["op"]
            if op == "capacity":
                self.capacity.append(dict(c, count=c.get("count", -1)))
            elif op == "delay":
                self.delay.append(dict(c, count=c.get("count", 1)))
            elif op == "throttle":
                self.throttle.append(dict(c, count=c.get("count", 1)))
            elif op == "partial":
                self.partial.append(dict(c, count=c.get("count", 1)))
            elif op == "deny":
                self.deny.add(c["action"])
            elif op == "age":
                for i in self.instances.values():
                    if c.get("id", "*") in ("*", i["id"]):
                        i["launch"] -= c["seconds"]
            elif op == "page":
                self.page = c["size"]
            elif op == "state":
                self.instances[c["id"]]["state"] = c["state"]
            elif op == "hide":
                self.instances[c["id"]]["hidden"] = True
            elif op == "html":
                self.html.append(dict(c, count=c.get("count", -1)))
            elif op == "launch":
                self.instances[c["id"]] = {
                    "id": c["id"], "type": c.get("type", "t3.micro"),
                    "state": "running", "launch": time.time(),
                    "spot": bool(c.get("spot", False)),
                    "subnet": "subnet-default", "token": "",
                    "tags": dict(c.get("tags", {})), "volume_tags": {},
                    "image": "ami-test", "template": "",
                    "user_data": base64.b64encode(
                        c.get("user_data", "").encode()).decode(),
                    "metadata_tags": c.get("metadata_tags", "enabled"),
                    "launch_index": c.get("launch_index", 0),
                    "console": ""}
            elif op == "tags":
                t = self.instances[c["id"]]["tags"]
                t.update(c.get("set", {}))
                for k in c.get("delete", []):
                    t.pop(k, None)
            elif op == "limits":
                self.limits = bool(c.get("on", True))
                self.buckets = {}
            elif op == "shutdown":
                i = self.instances[c["id"]]
                if i.get("shutdown", "stop") == "stop":
                    self.move(i, "stopping", "stopped", self.stop_s)
                else:
                    i["state"] = "terminated"
            elif op == "timing":
                self.start_s = float(c.get("start", self.start_s))
                self.stop_s = float(c.get("stop", self.stop_s))
        self.tick()
        return True

    def move(self, inst, now_state, next_state, after):
        inst["state"] = now_state
        inst["until"] = [time.time() + after, next_state]

    def tick(self):
        """Finish the state changes whose time has come; True when one
        was."""
        t = time.time()
        changed = False
        for i in self.instances.values():
            u = i.get("until")
            if u and t >= u[0] and i["state"] in ("pending", "stopping"):
                i["state"] = u[1]
                del i["until"]
                changed = True
            elif u and i["state"] not in ("pending", "stopping"):
                del i["until"]
        self.max_live = max(self.max_live, self.live())
        return changed

    def bucket(self, name, size, now):
        b = self.buckets.get(name)
        if b is None:
            b = self.buckets[name] = TokenBucket(size[0], size[1], now)
        return b

    def limit(self, action, params, akid):
        """The throttling error code for this call, or None (lock held)."""
        if not self.limits:
            return None
        now = time.monotonic()
        name, size = ec2_request_bucket(action, params)
        code = None
        if not self.bucket(name, size, now).take(1, now):
            code = "RequestLimitExceeded"
        elif action in EC2_RESOURCE_BUCKETS and not self.bucket(
                action + " (resources)", EC2_RESOURCE_BUCKETS[action],
                now).take(ec2_resource_cost(action, params), now):
            code = "RequestResourceCountExceeded"
        if code is not None:
            self.throttled[action] = self.throttled.get(action, 0) + 1
            k = self.throttled_keys.setdefault(akid or "", {})
            k[action] = k.get(action, 0) + 1
            self.throttle_times.append([time.time(), action, code, akid])
        return code

    def live(self):
        return sum(1 for i in self.instances.values()
                   if i["state"] in ("pending", "running"))

    def take(self, lst, match):
        for c in lst:
            if c["count"] != 0 and match(c):
                if c["count"] > 0:
                    c["count"] -= 1
                return c
        return None

    def dump(self, log):
        if not log:
            return
        d = {"instances": list(self.instances.values()),
             "max_live": self.max_live, "live": self.live(),
             "run_calls": self.run_calls, "run_times": self.run_times,
             "throttled": self.throttled,
             "throttled_keys": self.throttled_keys,
             "throttle_times": self.throttle_times}
        tmp = log + ".ec2.tmp"
        with open(tmp, "w") as f:
            json.dump(d, f, sort_keys=True)
        os.rename(tmp, log + ".ec2")


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t))


def instance_xml(i, pending=False):
    st = "pending" if pending else i["state"]
    code = {"pending": 0, "running": 16, "shutting-down": 32,
            "terminated": 48, "stopping": 64, "stopped": 80}[st]
    tags = "".join("<item><key>%s</key><value>%s</value></item>" % (
        xml_escape(k), xml_escape(v)) for k, v in i["tags"].items())
    spot = ("<instanceLifecycle>spot</instanceLifecycle>"
            "<spotInstanceRequestId>sir-%s</spotInstanceRequestId>" % i["id"][2:]
            if i["spot"] else "")
    # instanceState's code carries a high byte, and stateReason has its own
    # <code>, to catch readers that take the first <code>.
    return ("<item><instanceId>%s</instanceId><imageId>%s</imageId>"
            "<stateReason><code>Client.UserInitiatedShutdown</code>"
            "<message>x</message></stateReason>"
            "<instanceState><code>%d</code><name>%s</name></instanceState>"
            "<instanceType>%s</instanceType><launchTime>%s</launchTime>"
            "<subnetId>%s</subnetId><clientToken>%s</clientToken>%s"
            "<amiLaunchIndex>%d</amiLaunchIndex>"
            "<tagSet>%s</tagSet></item>" % (
                i["id"], i["image"], code | 0x5100, st, i["type"],
                iso(i["launch"]), i["subnet"], xml_escape(i["token"]), spot,
                i.get("launch_index", 0), tags))


def ec2_state(h):
    srv = h.server
    return srv.ec2


def ec2_tags(params, rtype):
    tags = {}
    n = 1
    while "TagSpecification.%d.ResourceType" % n in params:
        if params["TagSpecification.%d.ResourceType" % n] == rtype:
            m = 1
            while "TagSpecification.%d.Tag.%d.Key" % (n, m) in params:
                tags[params["TagSpecification.%d.Tag.%d.Key" % (n, m)]] = \
                    params.get("TagSpecification.%d.Tag.%d.Value" % (n, m), "")
                m += 1
        n += 1
    return tags


def run_instances(h, params):
    st = ec2_state(h)
    t0 = time.time()
    market = "spot" if params.get("InstanceMarketOptions.MarketType") == \
        "spot" else "on-demand"
    itype = params.get("InstanceType", "t3.micro")
    # MinCount and MaxCount (RunInstances reference): both required, at
    # least 1, MinCount <= MaxCount.  EC2 launches as many as capacity
    # allows between them, or none ("If Amazon EC2 cannot launch the
    # minimum number of instances you request, no instances will be
    # launched"); each instance gets its amiLaunchIndex 0..N-1.
    try:
        lo, hi = int(params["MinCount"]), int(params["MaxCount"])
    except (KeyError, ValueError):
        raise ApiError(400, "MissingParameter", "The request must contain "
                       "the parameters MinCount and MaxCount")
    if lo < 1 or hi < lo:
        raise ApiError(400, "InvalidParameterValue", "MinCount must be at "
                       "least 1 and at most MaxCount")
    if "UserData" in params:
        try:
            ud = base64.b64decode(params["UserData"], validate=True)
        except Exception:
            raise ApiError(400, "InvalidParameterValue",
                           "Invalid BASE64 encoding of user data.")
        for w in re.findall(rb"[A-Za-z0-9+/=]{24,}", ud):
            h.reflect(w.decode())
    if market == "on-demand" and any(
            params.get("TagSpecification.%d.ResourceType" % n) ==
            "spot-instances-request" for n in range(1, 10)):
        raise ApiError(400, "InvalidParameterValue", "You cannot specify "
                       "tags for Spot instances requests if there are no "
                       "Spot instances requests being created by the "
                       "request.")
    # ClientToken (EC2 API reference, "Ensuring idempotency in Amazon EC2
    # API requests"): a repeat with the same token and parameters returns
    # the first call's instances and launches none; the same token with
    # other parameters is IdempotentParameterMismatch.  A call that failed
    # launched nothing and leaves the token unused.
    token = params.get("ClientToken", "")
    sig = {k: v for k, v in params.items() if k not in ("Action", "Version")}
    delay = 0
    with h.server.lock:
        st.run_calls += 1
        if token and token in st.tokens:
            old, ids, rid = st.tokens[token]
            if old != sig:
                raise ApiError(400, "IdempotentParameterMismatch",
                               "Arguments on this idempotent request are "
                               "inconsistent with arguments used in "
                               "previous request(s).")
            insts = [st.instances[i] for i in ids]
        else:
            c = st.take(st.capacity, lambda c: c.get("type", "*") in
                        ("*", itype) and c.get("market", "*") in
                        ("*", market))
            if c is not None:
                code = c.get("code", "InsufficientInstanceCapacity")
                raise ApiError(CAPACITY_STATUS.get(code, 400), code,
                               CAPACITY_MSG.get(code, code).replace(
                                   "%s", itype), sender=code not in
                               CAPACITY_STATUS)
            count = hi
            p = st.take(st.partial, lambda c: True)
            if p is not None:
                count = min(count, p.get("max", 1))
            count = min(count, h.server.args.ec2_limit - st.live())
            if count < lo:
                if p is not None and p.get("max", 1) < lo:
                    raise ApiError(500, "InsufficientInstanceCapacity",
                                   CAPACITY_MSG[
                                       "InsufficientInstanceCapacity"]
                                   .replace("%s", itype), sender=False)
                raise ApiError(400, "InstanceLimitExceeded",
                               "You have requested more instances than "
                               "your current instance limit allows.")
            insts = [new_instance(st, params, itype, market, token, k)
                     for k in range(count)]
            rid = "r-%017x" % (0xb000000000 + int(insts[0]["id"][2:], 16) -
                               0xa000000000)
            st.max_live = max(st.max_live, st.live())
            if token:
                st.tokens[token] = (sig, [i["id"] for i in insts], rid)
        st.run_times.append(t0)
        d = st.take(st.delay, lambda c: c.get("action") == "RunInstances")
        if d is not None:
            delay = d.get("seconds", 1)
        st.dump(h.server.args.log)
    if delay:
        time.sleep(delay)
    return ("<requestId>%s</requestId><reservationId>%s</reservationId>"
            "<ownerId>123456789012</ownerId><groupSet/><instancesSet>%s"
            "</instancesSet>" % (h.request_id, rid, "".join(
                instance_xml(i, pending=True) for i in insts)))


def new_instance(st, params, itype, market, token, index):
    """Instance index of a RunInstances call (lock held)."""
    st.serial += 1
    iid = "i-%017x" % (0xa000000000 + st.serial)
    inst = {"id": iid, "type": itype, "state": "running",
            "launch": time.time(), "spot": market == "spot",
            "subnet": params.get("SubnetId", "subnet-default"),
            "token": token, "tags": ec2_tags(params, "instance"),
            "volume_tags": ec2_tags(params, "volume"),
            "image": params.get("ImageId", "ami-fromtemplate"),
            "user_data": params.get("UserData", ""),
            "metadata_tags": params.get(
                "MetadataOptions.InstanceMetadataTags", "disabled"),
            "launch_index": index, "console": "",
            "shutdown": params.get(
                "InstanceInitiatedShutdownBehavior", "stop"),
            "template": params.get(
                "LaunchTemplate.LaunchTemplateName",
                params.get("LaunchTemplate.LaunchTemplateId", ""))}
    st.instances[iid] = inst
    return inst


def filter_values(params, n):
    vals, m = [], 1
    while "Filter.%d.Value.%d" % (n, m) in params:
        vals.append(params["Filter.%d.Value.%d" % (n, m)])
        m += 1
    return vals


def describe_instances(h, params):
    st = ec2_state(h)
    filters, n = [], 1
    while "Filter.%d.Name" % n in params:
        filters.append((params["Filter.%d.Name" % n], filter_values(params, n)))
        n += 1
    ids = [v for k, v in sorted(params.items()) if k.startswith("InstanceId.")]
    if ids and "MaxResults" in params:
        raise ApiError(400, "InvalidParameterCombination", "The parameter "
                       "instancesSet cannot be used with the parameter "
                       "maxResults")
    mr = int(params.get("MaxResults", "1000"))
    if "MaxResults" in params and not 5 <= mr <= 1000:
        raise ApiError(400, "InvalidParameterValue", "MaxResults must be "
                       "between 5 and 1000")

    def match(i):
        for name, vals in filters:
            if name.startswith("tag:"):
                got = i["tags"].get(name[4:])
            elif name == "tag-key":
                got = vals[0] if vals[0] in i["tags"] else None
            elif name == "instance-state-name":
                got = i["state"]
            elif name == "client-token":
                got = i["token"]
            elif name == "instance-id":
                got = i["id"]
            elif name == "instance-type":
                got = i["type"]
            elif name == "instance-lifecycle":
                got = "spot" if i["spot"] else None
            else:
                raise ApiError(400, "InvalidParameterValue",
                               "The filter '%s' is invalid" % name)
            if got not in vals:
                return False
        return True
    with h.server.lock:
        by_token = any(n == "client-token" for n, _ in filters)
        found = [i for i in st.instances.values() if match(i) and
                 (not ids or i["id"] in ids) and
                 (by_token or not i.get("hidden"))]
        size = min(mr, st.page) if st.page else mr
    start = 0
    tok = params.get("NextToken")
    if tok is not None:
        m = re.match(r"^page-(\d+)$", tok)
        if not m or int(m.group(1)) > len(found):
            raise ApiError(400, "InvalidPaginationToken", "The specified "
                           "pagination token is not valid or is expired.")
        start = int(m.group(1))
    page = found[start:start + size]
    nxt = ""
    if start + size < len(found) or (st.page and page and
                                     start + size == len(found)):
        # With forced small pages, the last full page still carries a
        # token (and the next page is empty), as EC2 may do.
        nxt = "<nextToken>page-%d</nextToken>" % (start + size)
    res = "".join("<item><reservationId>r-%s</reservationId><ownerId>"
                  "123456789012</ownerId><groupSet/><instancesSet>%s"
                  "</instancesSet></item>" % (i["id"][2:], instance_xml(i))
                  for i in page)
    return ("<requestId>%s</requestId><reservationSet>%s</reservationSet>%s"
            % (h.request_id, res, nxt))


def terminate_instances(h, params):
    st = ec2_state(h)
    ids = [params["InstanceId.%d" % n] for n in range(1, 1001)
           if "InstanceId.%d" % n in params]
    if len(ids) > 1000:
        raise ApiError(400, "InvalidParameterValue", "too many ids")
    out = []
    with h.server.lock:
        for i in ids:
            if i not in st.instances:
                raise ApiError(400, "InvalidInstanceID.NotFound",
                               "The instance ID '%s' does not exist" % i)
        for i in ids:
            inst = st.instances[i]
            prev = inst["state"]
            inst["state"] = "terminated"
            out.append("<item><instanceId>%s</instanceId><currentState>"
                       "<code>32</code><name>shutting-down</name>"
                       "</currentState><previousState><code>16</code>"
                       "<name>%s</name></previousState></item>" % (i, prev))
        st.dump(h.server.args.log)
    return ("<requestId>%s</requestId><instancesSet>%s</instancesSet>"
            % (h.request_id, "".join(out)))


def start_stop(h, params, start):
    """StartInstances / StopInstances (see the comment at the top)."""
    st = ec2_state(h)
    ids = [params["InstanceId.%d" % n] for n in range(1, 1001)
           if "InstanceId.%d" % n in params]
    codes = {"pending": 0, "running": 16, "shutting-down": 32,
             "terminated": 48, "stopping": 64, "stopped": 80}
    out = []
    with h.server.lock:
        st.tick()
        for i in ids:
            if i not in st.instances:
                raise ApiError(400, "InvalidInstanceID.NotFound",
                               "The instance ID '%s' does not exist" % i)
            inst = st.instances[i]
            if inst["spot"]:
                raise ApiError(400, "UnsupportedOperation", "You can't %s "
                               "the Spot Instance '%s' because it is "
                               "associated with a one-time Spot Instance "
                               "request." % ("start" if start else "stop",
                                             i))
            ok = ("stopped", "pending", "running") if start else \
                ("running", "stopping", "stopped")
            if inst["state"] not in ok:
                raise ApiError(400, "IncorrectInstanceState", "The "
                               "instance '%s' is not in a state from which "
                               "it can be %s." % (i, "started" if start
                                                  else "stopped"))
        for i in ids:
            inst = st.instances[i]
            prev = inst["state"]
            if start and prev == "stopped":
                st.move(inst, "pending", "running", st.start_s)
                inst["launch"] = time.time()
            elif not start and prev == "running":
                st.move(inst, "stopping", "stopped", st.stop_s)
            out.append("<item><instanceId>%s</instanceId><currentState>"
                       "<code>%d</code><name>%s</name></currentState>"
                       "<previousState><code>%d</code><name>%s</name>"
                       "</previousState></item>" % (
                           i, codes[inst["state"]], inst["state"],
                           codes[prev], prev))
        st.max_live = max(st.max_live, st.live())
        d = st.take(st.delay, lambda c: c.get("action") == (
            "StartInstances" if start else "StopInstances"))
        st.dump(h.server.args.log)
    if d is not None:
        time.sleep(d.get("seconds", 1))
    return ("<requestId>%s</requestId><instancesSet>%s</instancesSet>"
            % (h.request_id, "".join(out)))


def create_tags(h, params):
    st = ec2_state(h)
    ids = [v for k, v in params.items() if k.startswith("ResourceId.")]
    with h.server.lock:
        for i in ids:
            if i not in st.instances:
                raise ApiError(400, "InvalidInstanceID.NotFound",
                               "The instance ID '%s' does not exist" % i)
        n = 1
        while "Tag.%d.Key" % n in params:
            k = params["Tag.%d.Key" % n]
            if k.startswith("aws:"):
                raise ApiError(400, "InvalidParameterValue",
                               "Tag keys starting with 'aws:' are reserved")
            for i in ids:
                st.instances[i]["tags"][k] = params.get("Tag.%d.Value" % n, "")
                # When a sealed config became readable by the instance
                # (bench/deliver-latency).
                if k.startswith("ghrctl:seal:"):
                    st.instances[i].setdefault("sealed_at", time.time())
            n += 1
        d = st.take(st.delay, lambda c: c.get("action") == "CreateTags")
        st.dump(h.server.args.log)
    if d is not None:
        time.sleep(d.get("seconds", 1))
    return "<requestId>%s</requestId><return>true</return>" % h.request_id


def delete_tags(h, params):
    """DeleteTags (EC2 API reference): a Tag.N.Value given must match."""
    st = ec2_state(h)
    ids = [v for k, v in params.items() if k.startswith("ResourceId.")]
    with h.server.lock:
        for i in ids:
            if i not in st.instances:
                raise ApiError(400, "InvalidInstanceID.NotFound",
                               "The instance ID '%s' does not exist" % i)
        n = 1
        while "Tag.%d.Key" % n in params:
            k = params["Tag.%d.Key" % n]
            v = params.get("Tag.%d.Value" % n)
            for i in ids:
                t = st.instances[i]["tags"]
                if k in t and (v is None or t[k] == v):
                    del t[k]
            n += 1
        st.dump(h.server.args.log)
    return "<requestId>%s</requestId><return>true</return>" % h.request_id


CONSOLE_MAX = 64 * 1024


def console_text(h, inst):
    """What the instance wrote to its serial console: the file
    --console-dir/ID.console (the local `ghrctl boot` of that instance
    writes it).  EC2 keeps only the last 64 KB (EC2 API reference,
    GetConsoleOutput)."""
    d = h.server.args.console_dir
    if d:
        try:
            with open(os.path.join(d, inst["id"] + ".console"), "rb") as f:
                inst["console"] = f.read()[-CONSOLE_MAX:].decode(
                    "utf-8", "replace")
        except OSError:
            pass
    return inst["console"]


def get_console_output(h, params):
    """GetConsoleOutput (EC2 API reference): base64 output; without
    Latest=true only what was posted at the last state change, which this
    fake models as nothing (an instance that booted after launch has not
    changed state since); Latest=true gives the current buffer."""
    st = ec2_state(h)
    iid = params.get("InstanceId", "")
    with h.server.lock:
        inst = st.instances.get(iid)
        if inst is None:
            raise ApiError(400, "InvalidInstanceID.NotFound",
                           "The instance ID '%s' does not exist" % iid)
        text = console_text(h, inst) if params.get("Latest") == "true" \
            else ""
        st.dump(h.server.args.log)
    out = "<output>%s</output>" % base64.b64encode(
        text.encode()).decode() if text else ""
    return ("<requestId>%s</requestId><instanceId>%s</instanceId>"
            "<timestamp>%s</timestamp>%s" % (h.request_id, iid,
                                             iso(time.time()), out))


class Html200(Exception):
    """Answer 200 with PROXY_PAGE instead of the action's reply."""


# What a TLS-intercepting proxy or captive portal answers with status 200
# (seen in the wild: issue 12 of this project, "an HTML page from a proxy
# was taken as zero instances").  Well-formed on purpose: the worst case
# is a page an XML reader accepts.
PROXY_PAGE = ("<html><head><title>Notice</title></head><body><p>This "
              "request was intercepted by the network proxy.</p>"
              "</body></html>\n")


def html_fault(h, api, action):
    """1 when --html-200 API:ACTION (or API:*) asks for PROXY_PAGE."""
    for spec in h.server.args.html_200:
        a, _, act = spec.partition(":")
        if a == api and act in ("*", action):
            return True
    return False


def ec2_gate(h, action, params, akid=None):
    """Throttling, faults and DryRun before an EC2 action runs."""
    st = ec2_state(h)
    with h.server.lock:
        if st.control():
            st.dump(h.server.args.log)
        st.tick()
        code = st.limit(action, params, akid)
        if code is not None:
            st.dump(h.server.args.log)
            raise ApiError(503, code, "Request limit exceeded." if code ==
                           "RequestLimitExceeded" else
                           "Request resource count exceeded.", sender=False)
        if st.take(st.html, lambda c: c.get("action", "*") in
                   ("*", action)) is not None:
            raise Html200()
        if action in st.deny:
            raise ApiError(403, "UnauthorizedOperation", "You are not "
                           "authorized to perform this operation. Encoded "
                           "authorization failure message: AbCd")
        t = st.take(st.throttle, lambda c: c.get("action", "*") in
                    ("*", action))
    if t is not None:
        raise ApiError(503, "RequestLimitExceeded", "Request limit "
                       "exceeded.", sender=False)
    if params.get("DryRun") == "true":
        raise ApiError(412, "DryRunOperation", "Request would have "
                       "succeeded, but DryRun flag is set.")


def get_caller_identity(h, params):
    a = h.server.args
    return ("<GetCallerIdentityResult><Arn>%s</Arn><UserId>%s</UserId>"
            "<Account>%s</Account></GetCallerIdentityResult>"
            "<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata>"
            % (xml_escape(a.identity_arn), xml_escape(a.access_key),
               a.identity_arn.split(":")[4], h.request_id))


def denied(api, action, arn):
    """The refusal AWS sends when IAM does not allow action (--deny)."""
    if api == "ec2":
        return ApiError(403, "UnauthorizedOperation", "You are not "
                        "authorized to perform this operation.")
    return ApiError(403, "AccessDenied", "User: %s is not authorized to "
                    "perform: %s:%s" % (arn, {"cloudwatch": "cloudwatch"}
                                        .get(api, api), action))


ACTIONS = {
    ("cloudwatch", "PutMetricData"): put_metric_data,
    ("sts", "GetCallerIdentity"): get_caller_identity,
    ("ec2", "RunInstances"): run_instances,
    ("ec2", "DescribeInstances"): describe_instances,
    ("ec2", "TerminateInstances"): terminate_instances,
    ("ec2", "StartInstances"): lambda h, p: start_stop(h, p, True),
    ("ec2", "StopInstances"): lambda h, p: start_stop(h, p, False),
    ("ec2", "CreateTags"): create_tags,
    ("ec2", "DeleteTags"): delete_tags,
    ("ec2", "GetConsoleOutput"): get_console_output,
}


class Handler(fakelib.Handler):
    request_id = ""
    signature_debug = None

    def setup(self):
        super().setup()
        # Headers and body go out in separate writes: without NODELAY a
        # keep-alive client waits for the delayed ACK (~40 ms) per reply.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    # ---------------------------------------------------------- helpers
    def error_reply(self, api, proto, err):
        hdrs = dict(err.headers)
        if proto == "json":
            hdrs["x-amzn-query-error"] = "%s;%s" % (
                err.code, "Sender" if err.sender else "Receiver")
            hdrs["x-amzn-RequestId"] = self.request_id
            body = {"__type": "com.amazonaws.cloudwatch#" + err.code,
                    "message": err.message}
            self.reply(err.status, body, "application/x-amz-json-1.0", hdrs)
        elif api == "ec2":
            body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Response>'
                    "<Errors><Error><Code>%s</Code><Message>%s</Message>"
                    "</Error></Errors><RequestID>%s</RequestID></Response>"
                    % (err.code, xml_escape(err.message), self.request_id))
            self.reply(err.status, body, "text/xml;charset=UTF-8", hdrs)
        else:
            body = ('<ErrorResponse xmlns="%s">\n  <Error>\n    <Type>%s'
                    "</Type>\n    <Code>%s</Code>\n    <Message>%s</Message>"
                    "\n  </Error>\n  <RequestId>%s</RequestId>\n"
                    "</ErrorResponse>\n" % (
                        NS.get(api, NS["cloudwatch"]),
                        "Sender" if err.sender else "Receiver", err.code,
                        xml_escape(err.message), self.request_id))
            self.reply(err.status, body, "text/xml", hdrs)

    def count_api(self):
        srv = self.server
        with srv.lock:
            srv.api_requests += 1
            return srv.api_requests

    # -------------------------------------------------------------- API
    def do_POST(self):
        t0 = time.time()
        body = self.read_body()
        self.request_id = str(uuid.uuid4())
        self.signature_debug = None
        ctype = (self.headers.get("Content-Type") or "").lower()
        target = self.headers.get("X-Amz-Target")
        extra = {"api": None, "action": None, "akid": None, "params": None}
        api = None
        proto = "query"
        try:
            if ctype.startswith("application/x-amz-json-1.0"):
                proto = "json"
                pfx, _, action = (target or "").partition(".")
                if pfx not in JSON_TARGETS:
                    raise ApiError(400, "UnknownOperationException",
                                   "unknown X-Amz-Target '%s'" % target)
                api, signing, mname = JSON_TARGETS[pfx]
                try:
                    doc = json.loads(body or b"{}")
                except ValueError:
                    raise ApiError(400, "SerializationException",
                                   "body is not JSON")
                extra.update(api=api, action=action, params=doc)
            else:
                if not ctype.startswith("application/x-www-form-urlencoded"):
                    raise ApiError(400, "InvalidParameterValue",
                                   "unsupported Content-Type '%s'" % ctype)
                if "?" in self.path and self.path.split("?", 1)[1]:
                    raise ApiError(400, "InvalidParameterValue",
                                   "query string on a POST is not accepted "
                                   "by this fake")
                pairs = urllib.parse.parse_qsl(body.decode("utf-8"),
                                               keep_blank_values=True,
                                               strict_parsing=bool(body))
                params = {}
                for k, v in pairs:
                    if k in params:
                        raise ApiError(400, "InvalidParameterValue",
                                       "parameter %s given twice" % k)
                    params[k] = v
                extra["params"] = params
                action = params.get("Action")
                version = params.get("Version")
                if version not in SERVICES:
                    raise ApiError(400, "InvalidParameterValue",
                                   "unknown Version '%s'" % version)
                api, signing, mname = SERVICES[version]
                extra.update(api=api, action=action)
            extra["akid"] = verify(self, body, self.server.args.region,
                                   signing)
            n = self.count_api()
            if n <= self.server.args.throttle:
                hdrs = {}
                if self.server.args.retry_after_ms is not None:
                    hdrs["x-amz-retry-after"] = str(
                        self.server.args.retry_after_ms)
                raise ApiError(400, "Throttling", "Rate exceeded",
                               headers=hdrs)
            if n <= self.server.args.throttle + self.server.args.fail_5xx:
                raise ApiError(500, "InternalFailure", "The request "
                               "processing has failed because of an unknown "
                               "error, exception or failure.", sender=False)
            k = n - self.server.args.throttle - self.server.args.fail_5xx
            bare = self.server.args.bare_5xx
            if 1 <= k <= len(bare):
                # What a load balancer or proxy in front of the service
                # answers: a 502/503/504 with an HTML page and no AWS
                # error code (Elastic Load Balancing user guide,
                # "Troubleshoot your Application Load Balancers": HTTP 502,
                # 503, 504 are generated by the load balancer).
                st = bare[k - 1]
                extra["error"] = "bare-%d" % st
                self.record(body, **extra)
                self.reply(st, "<html>\r\n<head><title>%d</title></head>"
                           "\r\n<body>\r\n<center><h1>%d</h1></center>\r\n"
                           "</body>\r\n</html>\r\n" % (st, st), "text/html")
                return
            if "%s:%s" % (api, action) in self.server.args.deny:
                raise denied(api, action, self.server.args.identity_arn)
            if proto == "json":
                validate_json(mname, action, doc)
            else:
                validate_query(mname, action, params)
            fn = ACTIONS.get((api, action))
            if fn is None:
                raise ApiError(400, "InvalidAction", "The action %s is not "
                               "valid for this web service." % action)
            if html_fault(self, api, action):
                raise Html200()
            if api == "ec2":
                extra["t"] = t0
                ec2_gate(self, action, extra["params"], extra["akid"])
            inner = fn(self, extra["params"])
        except Html200:
            extra["error"] = "html200"
            self.record(body, **extra)
            self.reply(200, PROXY_PAGE, "text/html; charset=utf-8")
            return
        except ApiError as err:
            extra["error"] = err.code
            if self.signature_debug:
                extra["signature_debug"] = self.signature_debug
            self.record(body, **extra)
            self.error_reply(api, proto, err)
            return
        self.record(body, **extra)
        if proto == "json":
            self.reply(200, {}, "application/x-amz-json-1.0",
                       {"x-amzn-RequestId": self.request_id})
        else:
            self.reply(200, '<%sResponse xmlns="%s">\n  %s\n</%sResponse>\n'
                       % (action, NS[api], inner, action), "text/xml")

    # ------------------------------------------------- IMDS, container
    def imds_instance(self):
        """Per-instance IMDS: a path /imds/ID/latest/... is instance ID's
        view (each instance reaches only its own IMDS at 169.254.169.254;
        tests give each local `ghrctl boot` its own prefix).  Strips the
        prefix from self.path; None when there is none."""
        m = re.match(r"^/imds/(i-[0-9a-f]+)(/.*)$", self.path)
        if not m:
            return None
        self.path = m.group(2)
        return m.group(1)

    def do_PUT(self):
        body = self.read_body()
        srv = self.server
        self.imds_instance()
        if self.path != "/latest/api/token":
            self.record(body)
            return self.reply(404, "", "text/plain")
        if self.headers.get("X-Forwarded-For"):
            self.record(body, error="forwarded")
            return self.reply(403, "", "text/plain")
        ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", "")
        if not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
            self.record(body, error="bad ttl")
            return self.reply(400, "", "text/plain")
        with srv.lock:
            srv.imds_serial += 1
            tok = "imds-token-%d-%s" % (srv.imds_serial, uuid.uuid4().hex)
            srv.imds_tokens[tok] = [time.time() + int(ttl), 0]
        self.record(body)
        self.reply(200, tok, "text/plain",
                   {"X-aws-ec2-metadata-token-ttl-seconds": ttl})

    def issue_creds(self, prefix):
        srv = self.server
        with srv.lock:
            srv.cred_serial += 1
            n = srv.cred_serial
            akid = "%s%012d" % (prefix, n)
            secret = "secret/%d+%s" % (n, uuid.uuid4().hex)
            token = "token%d/%s+=" % (n, uuid.uuid4().hex)
            expires = time.time() + srv.args.cred_ttl
            srv.keys[akid] = (secret, token, expires)
        self.issue(secret)
        self.issue(token)
        exp = datetime.datetime.fromtimestamp(
            int(expires), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return akid, {"AccessKeyId": akid, "SecretAccessKey": secret,
                      "Token": token, "Expiration": exp}

    def do_GET(self):
        srv = self.server
        self.read_body()
        if self.path.startswith("/container/"):
            want = srv.args.container_token
            if want is not None and self.headers.get("Authorization") != want:
                self.record(error="container auth")
                return self.reply(403, {"message": "bad token"})
            akid, c = self.issue_creds("ASIACONT")
            self.record(akid=akid)
            c["RoleArn"] = "arn:aws:iam::123456789012:role/task"
            return self.reply(200, c)
        iid = self.imds_instance()
        if not self.path.startswith("/latest/"):
            self.record()
            return self.reply(404, "", "text/plain")
        tok = self.headers.get("X-aws-ec2-metadata-token")
        with srv.lock:
            t = srv.imds_tokens.get(tok)
            if t is not None:
                t[1] += 1
            ok = t is not None and time.time() < t[0] and (
                srv.args.imds_token_uses == 0 or
                t[1] <= srv.args.imds_token_uses)
        if not ok:
            self.record(error="imds token")
            return self.reply(401, "", "text/plain")
        base = "/latest/meta-data/iam/security-credentials/"
        if self.path == base:
            self.record()
            return self.reply(200, srv.args.role, "text/plain")
        if self.path == base + srv.args.role:
            akid, c = self.issue_creds("ASIAIMDS")
            c.update({"Code": "Success", "Type": "AWS-HMAC",
                      "LastUpdated": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                   time.gmtime())})
            self.record(akid=akid)
            return self.reply(200, json.dumps(c, indent=2), "text/plain")
        if self.path == "/latest/meta-data/placement/region":
            self.record()
            return self.reply(200, srv.args.region, "text/plain")
        if iid is not None:
            return self.imds_of(iid)
        self.record()
        self.reply(404, "", "text/plain")


    def imds_of(self, iid):
        """Instance metadata of one instance (EC2 User Guide, "Instance
        metadata categories"): instance-id, ami-launch-index, user-data
        (404 when none), and tags/instance/ only when the instance was
        launched with MetadataOptions.InstanceMetadataTags=enabled (404
        otherwise, as IMDS answers)."""
        st = self.server.ec2
        with self.server.lock:
            if st.control():
                st.dump(self.server.args.log)
            st.tick()
            inst = st.instances.get(iid)
            inst = dict(inst, tags=dict(inst["tags"])) if inst else None
        self.record()
        if inst is None or inst["state"] not in ("pending", "running"):
            return self.reply(404, "", "text/plain")
        p = self.path
        if p == "/latest/meta-data/instance-id":
            return self.reply(200, iid, "text/plain")
        if p == "/latest/meta-data/ami-launch-index":
            return self.reply(200, str(inst["launch_index"]), "text/plain")
        if p == "/latest/user-data":
            if not inst["user_data"]:
                return self.reply(404, "", "text/plain")
            return self.reply(200, base64.b64decode(inst["user_data"])
                              .decode("utf-8", "replace"), "text/plain")
        base = "/latest/meta-data/tags/instance"
        if p in (base, base + "/") or p.startswith(base + "/"):
            if inst["metadata_tags"] != "enabled":
                return self.reply(404, "", "text/plain")
            key = urllib.parse.unquote(p[len(base) + 1:])
            if key == "":
                return self.reply(200, "\n".join(sorted(inst["tags"])),
                                  "text/plain")
            if key in inst["tags"]:
                return self.reply(200, inst["tags"][key], "text/plain")
        return self.reply(404, "", "text/plain")


def xml_escape(s):
    return (s.replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;"))


def check_vectors(d):
    """Verify tests/vectors/sigv4/<case>/{req,authz} with botocore."""
    bad = 0
    for n in sorted(os.listdir(d)):
        raw = open(os.path.join(d, n, "req"), encoding="utf-8").read()
        want = open(os.path.join(d, n, "authz")).read().strip()
        head, _, body = raw.partition("\n\n")
        lines = head.split("\n")
        method = lines[0].split(" ", 1)[0]
        target = lines[0][len(method) + 1:lines[0].rfind(" ")]
        hdrs = [(k, v) for k, _, v in (x.partition(":") for x in lines[1:])]
        get = {k.lower(): v.strip() for k, v in hdrs}
        m = AUTH_RE.match(want)
        path, _, q = target.partition("?")
        if any(ord(c) > 127 for c in q):
            # botocore reads a raw UTF-8 query differently from the
            # suite's convention; hand it the encoded form the suite means.
            target = path + "?" + urllib.parse.quote(q, safe="=&")
        got, _, _ = botocore_authz(
            method, "https://" + get["host"] + target,
            [(k, v) for k, v in hdrs if k.lower() not in
             ("host", "x-amz-date", "x-amz-security-token")],
            body.encode(), get["x-amz-date"], m.group(3), m.group(4),
            "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            get.get("x-amz-security-token"))
        ok = got == want
        bad += not ok
        print("%s - botocore %s" % ("ok" if ok else "not ok", n))
    return bad


def main():
    ap = fakelib.parser(__doc__.split("\n")[0])
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--access-key", default="AKIDEXAMPLE")
    ap.add_argument("--secret-key",
                    default="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    ap.add_argument("--session-token", default=None)
    ap.add_argument("--static-key", action="append", default=[],
                    help="another valid static key, AKID:SECRET")
    ap.add_argument("--throttle", type=int, default=0)
    ap.add_argument("--retry-after-ms", type=int, default=None)
    ap.add_argument("--fail-5xx", type=int, default=0)
    ap.add_argument("--bare-5xx", default="",
                    type=lambda v: [int(x) for x in v.split(",") if x])
    ap.add_argument("--role", default="ghr-role")
    ap.add_argument("--cred-ttl", type=int, default=21600)
    ap.add_argument("--imds-token-uses", type=int, default=0)
    ap.add_argument("--container-token", default=None)
    ap.add_argument("--deny", action="append", default=[],
                    help="API:Action refused as IAM would (repeatable)")
    ap.add_argument("--identity-arn",
                    default="arn:aws:iam::123456789012:user/ghrctl")
    ap.add_argument("--ec2-control", default="")
    ap.add_argument("--html-200", action="append", default=[],
                    help="API:ACTION (ACTION may be *): answer 200 with a "
                    "proxy's HTML page, repeatable")
    ap.add_argument("--console-dir", default="",
                    help="instance ID's console output is the file "
                    "DIR/ID.console")
    ap.add_argument("--ec2-limit", type=int, default=100000,
                    help="InstanceLimitExceeded beyond this many live")
    ap.add_argument("--ec2-limits", action="store_true",
                    help="enforce EC2's request and resource token "
                    "buckets (RequestLimitExceeded)")
    if "--check-vectors" in sys.argv:
        sys.exit(1 if check_vectors(sys.argv[-1]) else 0)
    args = ap.parse_args()
    # Build the server by hand to add our state before serving.
    orig = fakelib.Server.__init__

    def init(self, addr, handler, a):
        orig(self, addr, handler, a)
        self.keys = {args.access_key: (args.secret_key, args.session_token,
                                       None)}
        for k in args.static_key:
            akid, _, secret = k.partition(":")
            self.keys[akid] = (secret, None, None)
        # --echo-secrets: the caller's secret keys are reflected too.
        self.issued += [v[0] for v in self.keys.values()]
        self.api_requests = 0
        self.imds_tokens = {}
        self.imds_serial = 0
        self.cred_serial = 0
        self.ec2 = Ec2State(args)

        def clock(srv=self):
            # State changes finish on their own, requests or not (and the
            # control file is read, so a test's {"op":"shutdown"} acts).
            while True:
                time.sleep(0.05)
                with srv.lock:
                    ctl = srv.ec2.control()
                    if srv.ec2.tick() or ctl:
                        srv.ec2.dump(args.log)
        threading.Thread(target=clock, daemon=True).start()
    fakelib.Server.__init__ = init
    model("cloudwatch")		# load before the port file says "ready"
    model("ec2")
    fakelib.serve(Handler, args)


if __name__ == "__main__":
    threading.current_thread().name = "fake-aws"
    main()

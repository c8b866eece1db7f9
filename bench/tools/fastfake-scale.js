// SPDX-License-Identifier: ISC
//
// bench/tools/fastfake-scale.js: a fast fake Actions Service + GitHub
// registration + EC2 Query API for bench/burst and bench/event-latency
// only, so that they measure `ghrctl poll --follow --scale` and not the
// fakes.  The Python fakes (tests/fake/actions.py, aws.py) dump their whole
// state to disk after every request and re-sign every EC2 request with
// botocore: ~1.5 ms per launch and growing with the instance count, which
// was most of the burst figure.
//
// It is NOT a judge: it accepts any Authorization and checks no SigV4
// signature, api-version or JWT expiry.  Correctness is what tests/fake/
// checks in the tests; this file answers from memory, in the same shapes,
// the subset `ghrctl register` and `ghrctl poll --follow --scale` use:
//
//   POST [/api/v3]/orgs/ORG/actions/runners/registration-token  201 REG...
//   GET  [/api/v3]/orgs/ORG/actions/runners?per_page&page  the runners made
//        by generatejitconfig (offline), paginated with Link
//   POST [/api/v3]/actions/runner-registration   201 service URL + admin JWT
//   /tenant/1/_apis/runtime/runnergroups?groupName=G             GET
//   /tenant/1/_apis/runtime/runnerscalesets?name=N&runnerGroupId GET, POST
//   /tenant/1/_apis/runtime/runnerscalesets/ID                   GET, PATCH,
//                                                                DELETE
//   .../runnerscalesets/ID/sessions                  POST (409 if one is open)
//   .../runnerscalesets/ID/sessions/SID              PATCH, DELETE
//   .../runnerscalesets/ID/acquirejobs               POST [ids] -> same ids
//   .../runnerscalesets/ID/acquirablejobs            GET 204
//   .../runnerscalesets/ID/generatejitconfig         POST: a unique runner id
//        and a random encodedJITConfig per call (409 on a name in use)
//   /tenant/1/_apis/distributedtask/pools/0/agents[/ID]  GET, DELETE
//   /broker/ID/message?sessionId&lastMessageId  GET: the first queued
//        message above lastMessageId, else 202 after --hold s;
//        DELETE /broker/ID/message/MID acks (removes) it
//   on the EC2 port, POST / (form): RunInstances (ClientToken
//        idempotency: the same token returns the same instance, other
//        parameters with it: IdempotentParameterMismatch),
//        DescribeInstances (filters tag:K, tag-key, instance-state-name,
//        client-token, instance-id, instance-type, instance-lifecycle;
//        MaxResults/NextToken pages), TerminateInstances, CreateTags, in
//        the XML of tests/fake/aws.py.
//
// Messages are queued as with tests/fake/actions.py: JSON lines appended
// to --control FILE ({"op":"message","jobs":[...],"statistics":{...}};
// "messageType", "body", "scaleSetId" optional), read on every Actions
// request and every 5 ms while a poll is held.
//
// usage: node fastfake-scale.js --port-file F --ec2-port-file F2
//        --cert PEM --key PEM [--control FILE] [--stats FILE] [--hold S]
//        [--org ORG] [--run-latency MS]
// Listens on two 127.0.0.1 ports (HTTPS, keep-alive, TCP_NODELAY): the
// Actions Service and GitHub on the first, EC2 on the second; writes each
// port to its file (atomically).  On SIGUSR2 it writes "<stats>.counts"
// (lines "KEY N": runs, instances, running, jit, acked), so a bench can
// wait for progress without this server writing anything while it is
// measured.  On SIGTERM/SIGINT it writes FILE as JSON and exits:
//   sent        [[messageId, time the reply carrying it was sent]]
//   runs        [[runner name, time the RunInstances arrived, instance id,
//               1 if it made a new instance else 0]]
//   served      [[arrival, reply written]] of every Actions request
//   ec2_served  the same for every EC2 request
//   acquired_t  [[[runnerRequestId...], time the acquirejobs arrived]]
//   calls       {"ec2:Action" or "actions:route": count}
//   instances, running, max_live, jit, acked, connections {actions, ec2}
//   cpu         this process's CPU in s: {"user", "system"} at exit, and
//               "burst": between the first message reply and the last
//               RunInstances (what the fake cost during a burst)
// Times are Unix seconds (float), as time.time() in the Python fakes.

"use strict";

const fs = require("fs");
const https = require("https");
const crypto = require("crypto");
const { performance } = require("perf_hooks");

function usage(msg) {
	process.stderr.write("fastfake-scale: " + msg + "\n");
	process.exit(2);
}

const opt = { org: "acme", stats: "", control: "", hold: 1, runLatency: 0 };
for (let i = 2; i < process.argv.length; i += 2) {
	const k = process.argv[i], v = process.argv[i + 1];
	if (v === undefined)
		usage("option " + k + " needs a value");
	switch (k) {
	case "--port-file": opt.portFile = v; break;
	case "--ec2-port-file": opt.ec2PortFile = v; break;
	case "--cert": opt.cert = v; break;
	case "--key": opt.key = v; break;
	case "--control": opt.control = v; break;
	case "--stats": opt.stats = v; break;
	case "--hold": opt.hold = parseFloat(v); break;
	case "--org": opt.org = v; break;
	case "--run-latency": opt.runLatency = parseFloat(v); break;
	default: usage("unknown option " + k);
	}
}
if (!opt.portFile || !opt.ec2PortFile || !opt.cert || !opt.key)
	usage("--port-file, --ec2-port-file, --cert and --key are required");

const T0 = performance.timeOrigin;
function now() {
	return (T0 + performance.now()) / 1000;
}

// --- state ----------------------------------------------------------------

const st = {
	groups: new Map([[1, "Default"], [2, "gpu"]]),
	sets: new Map(),		// id -> scale set
	nextSet: 1,
	sessions: new Map(),		// scale set id -> session
	queue: new Map(),		// scale set id -> [messages]
	nextMsg: 100000001,
	acked: 0,
	runners: new Map(),		// id -> {id, name, runnerScaleSetId}
	names: new Set(),
	rest: [],			// the same runners as GitHub REST lists them
	nextRunner: 17,
	ctlOff: 0,
	held: new Set(),		// polls waiting for a message
	// EC2
	instances: new Map(),		// id -> instance, in creation order
	tokens: new Map(),		// client token -> [signature, id, rid]
	serial: 0,
	live: 0,			// pending + running instances
	maxLive: 0,
	// records
	sent: [], runs: [], served: [], ec2Served: [], acquiredT: [],
	calls: {}, jit: 0, conns: { actions: 0, ec2: 0 },
	cpuFirst: null, cpuLast: null,
};

function count(k) {
	st.calls[k] = (st.calls[k] || 0) + 1;
}

function isLive(state) {
	return state === "pending" || state === "running";
}

// The control file: new complete lines since the last read.
function control() {
	if (!opt.control)
		return false;
	let size;
	try {
		size = fs.statSync(opt.control).size;
	} catch (e) {
		return false;
	}
	if (size <= st.ctlOff)
		return false;
	const fd = fs.openSync(opt.control, "r");
	const b = Buffer.alloc(size - st.ctlOff);
	const n = fs.readSync(fd, b, 0, b.length, st.ctlOff);
	fs.closeSync(fd);
	const end = b.subarray(0, n).lastIndexOf(10) + 1;
	if (end === 0)
		return false;
	st.ctlOff += end;
	let added = false;
	for (const line of b.subarray(0, end).toString("utf8").split("\n")) {
		if (line.trim() === "")
			continue;
		const c = JSON.parse(line);
		if (c.op === "message") {
			const sid = c.scaleSetId !== undefined ? c.scaleSetId :
			    (st.sets.size ? Math.min(...st.sets.keys()) : 1);
			const jobs = c.jobs || [];
			const m = {
				messageId: st.nextMsg++,
				messageType: c.messageType ||
				    "RunnerScaleSetJobMessages",
				body: c.body !== undefined ? c.body :
				    JSON.stringify(jobs),
				statistics: c.statistics ||
				    { totalAssignedJobs: jobs.length },
			};
			if (!st.queue.has(sid))
				st.queue.set(sid, []);
			st.queue.get(sid).push(m);
			added = true;
		} else if (c.op === "statistics") {
			for (const s of st.sets.values())
				s.statistics = c.stats;
		}
		// other ops of actions.py are fault injection: not served here
	}
	return added;
}

// --- replies -----------------------------------------------------------------

function b64u(b) {
	return Buffer.from(b).toString("base64url");
}

function jwt(claims) {
	return b64u(JSON.stringify({ alg: "RS256", typ: "JWT" })) + "." +
	    b64u(JSON.stringify(claims)) + "." + b64u(crypto.randomBytes(16));
}

function send(res, status, body, ctype, extra) {
	const h = extra || {};
	if (status !== 204 && status !== 304) {
		h["Content-Type"] = ctype || "application/json";
		h["Content-Length"] = String(body ? Buffer.byteLength(body) : 0);
	}
	res.writeHead(status, h);
	res.end(status === 204 ? undefined : body);
}

function ajson(res, status, obj) {
	send(res, status, JSON.stringify(obj), "application/json",
	    { ActivityId: crypto.randomUUID() });
}

function exc(name) {
	return "GitHub.Actions.Runtime.WebApi." + name +
	    ", GitHub.Actions.Runtime.WebApi";
}

function aerr(res, status, name, msg) {
	ajson(res, status, { typeName: exc(name), message: msg, errorCode: 0,
	    eventId: 3000 });
}

function ghjson(res, status, obj, extra) {
	const h = Object.assign({
		"x-ratelimit-limit": "5000",
		"x-ratelimit-remaining": "4999",
		"x-ratelimit-used": "1",
		"x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 3600),
		"x-ratelimit-resource": "core",
	}, extra || {});
	send(res, status, JSON.stringify(obj), "application/json; charset=utf-8",
	    h);
}

function notFound(res) {
	ghjson(res, 404, { message: "Not Found",
	    documentation_url: "https://docs.github.com/rest" });
}

// --- Actions Service and GitHub ------------------------------------------------

function base(req) {
	return "https://" + (req.headers.host || "localhost");
}

function github(req, res, path, q, body) {
	let m = path.match(/^\/(?:orgs\/([^/]+)|repos\/([^/]+)\/[^/]+)(\/.*)$/);
	if (!m || decodeURIComponent(m[1] || m[2]) !== opt.org)
		return notFound(res);
	const rest = m[3];
	if (req.method === "POST" && (rest ===
	    "/actions/runners/registration-token" ||
	    rest === "/actions/runners/remove-token")) {
		count("github:" + rest.slice(17));
		const tok = (rest.includes("registration") ? "REG" : "REM") +
		    crypto.randomBytes(13).toString("hex").toUpperCase();
		return ghjson(res, 201, { token: tok, expires_at: new Date(
		    Math.floor(Date.now() / 1000) * 1000 + 3600000)
		    .toISOString() });
	}
	if (req.method === "GET" && rest === "/actions/runners") {
		count("github:runners");
		const per = Math.max(1, Math.min(100,
		    parseInt(q.get("per_page") || "30", 10) || 30));
		const p = Math.max(1, parseInt(q.get("page") || "1", 10) || 1);
		let rs = st.rest;
		if (q.has("name"))
			rs = rs.filter((r) => r.name === q.get("name"));
		const last = Math.max(1, Math.ceil(rs.length / per));
		const h = {};
		if (p < last) {
			const u = base(req) + req.url.split("?")[0] +
			    "?per_page=" + per + "&page=";
			h.Link = "<" + u + (p + 1) + '>; rel="next", <' + u +
			    last + '>; rel="last"';
		}
		return ghjson(res, 200, { total_count: rs.length,
		    runners: rs.slice((p - 1) * per, p * per) }, h);
	}
	m = rest.match(/^\/actions\/runners\/(\d+)$/);
	if (m && req.method === "DELETE") {
		count("github:delete-runner");
		const id = parseInt(m[1], 10);
		if (!removeRunner(id))
			return notFound(res);
		return send(res, 204);
	}
	return notFound(res);
}

function registration(req, res, body) {
	count("actions:runner-registration");
	let r;
	try {
		r = JSON.parse(body);
	} catch (e) {
		return ghjson(res, 400, { message: "bad json" });
	}
	if (!/^RemoteAuth REG[0-9A-F]{26}$/.test(req.headers.authorization ||
	    ""))
		return ghjson(res, 401, { message: "Bad credentials" });
	if (r.runner_event !== "register" || !r.url)
		return ghjson(res, 400, { message: "url and runner_event " +
		    "required" });
	const t = Math.floor(Date.now() / 1000);
	ajson(res, 201, { url: base(req) + "/tenant/1/",
	    token: jwt({ exp: t + 600, iat: t, scp: "admin" }),
	    token_schema: "OAuthAccessToken" });
}

function newSession(req, ssid, owner) {
	const t = Math.floor(Date.now() / 1000);
	const tok = jwt({ exp: t + 3600, scp: "queue" });
	const s = st.sessions.get(ssid) || { sessionId: crypto.randomUUID(),
	    ownerName: owner };
	s.token = tok;
	st.sessions.set(ssid, s);
	const n = st.runners.size;
	return {
		sessionId: s.sessionId, ownerName: s.ownerName,
		runnerScaleSet: st.sets.get(ssid),
		messageQueueUrl: base(req) + "/broker/" + ssid +
		    "/message?sessionId=" + s.sessionId,
		messageQueueAccessToken: tok,
		statistics: { totalAvailableJobs: 0, totalAcquiredJobs: 0,
		    totalAssignedJobs: 0, totalRunningJobs: 0,
		    totalRegisteredRunners: n, totalBusyRunners: 0,
		    totalIdleRunners: n },
	};
}

function removeRunner(id) {
	const r = st.runners.get(id);
	if (r === undefined)
		return false;
	st.runners.delete(id);
	st.names.delete(r.name);
	st.rest = st.rest.filter((x) => x.id !== id);
	return true;
}

function generateJit(res, ssid, body) {
	count("actions:generatejitconfig");
	const r = JSON.parse(body);
	if (st.names.has(r.name))
		return aerr(res, 409, "AgentExistsException", "Agent " +
		    r.name + " already exists.");
	const s = st.sets.get(ssid);
	const id = st.nextRunner++;
	const runner = { id: id, name: r.name, runnerScaleSetId: ssid };
	st.runners.set(id, runner);
	st.names.add(r.name);
	st.rest.push({ id: id, name: r.name, os: "linux", status: "offline",
	    busy: false, ephemeral: true, runner_group_id: s.runnerGroupId,
	    labels: s.labels.map((l) => ({ id: 1, name: l.name,
	    type: "custom" })) });
	st.jit++;
	const cfg = Buffer.from("JITSECRET-" +
	    crypto.randomBytes(16).toString("hex")).toString("base64");
	ajson(res, 200, { runner: runner, encodedJITConfig: cfg });
}

function scaleSet(req, res, ssid, sub, body) {
	const s = st.sets.get(ssid);
	const method = req.method;
	if (sub === "" && method === "GET")
		return ajson(res, 200, s);
	if (sub === "" && method === "PATCH") {
		const r = JSON.parse(body);
		for (const k of ["name", "runnerGroupId", "labels"])
			if (r[k])
				s[k] = r[k];
		return ajson(res, 200, s);
	}
	if (sub === "" && method === "DELETE") {
		st.sets.delete(ssid);
		st.sessions.delete(ssid);
		return send(res, 204);
	}
	if (sub === "/sessions" && method === "POST") {
		count("actions:session-create");
		if (st.sessions.has(ssid))
			return aerr(res, 409,
			    "RunnerScaleSetSessionConflictException",
			    "The actions runner scaleset " + s.name +
			    " already has an active session.");
		const r = JSON.parse(body || "{}");
		return ajson(res, 200, newSession(req, ssid,
		    r.ownerName || ""));
	}
	let m = sub.match(/^\/sessions\/([^/]+)$/);
	if (m) {
		const cur = st.sessions.get(ssid);
		if (cur === undefined || cur.sessionId !== m[1]) {
			if (method === "DELETE")
				return aerr(res, 400,
				    "RunnerScaleSetSessionExpiredException",
				    "The session identifier " + m[1] +
				    " is not valid.");
			return aerr(res, 404, "RunnerAdminException",
			    "session ID that doesn't exist in redis");
		}
		if (method === "PATCH") {
			count("actions:session-refresh");
			return ajson(res, 200, newSession(req, ssid,
			    cur.ownerName));
		}
		if (method === "DELETE") {
			count("actions:session-delete");
			st.sessions.delete(ssid);
			return send(res, 204);
		}
	}
	if (sub === "/acquirablejobs" && method === "GET")
		return send(res, 204);
	if (sub === "/generatejitconfig" && method === "POST")
		return generateJit(res, ssid, body);
	if (sub === "/acquirejobs" && method === "POST") {
		count("actions:acquirejobs");
		const ids = JSON.parse(body);
		st.acquiredT.push([ids, req.t0]);
		return ajson(res, 200, { count: ids.length, value: ids });
	}
	return ajson(res, 404, { message: "no route" });
}

function admin(req, res, path, q, body) {
	const rest = path.slice("/tenant/1/_apis".length);
	const method = req.method;
	if (!path.startsWith("/tenant/1/_apis/"))
		return ajson(res, 404, { message: "no such path" });
	if (rest.replace(/\/$/, "") === "/runtime/runnergroups" &&
	    method === "GET") {
		const name = q.get("groupName") || "";
		const v = [];
		for (const [id, n] of st.groups)
			if (n === name)
				v.push({ id: id, name: n, size: 0,
				    isDefaultGroup: id === 1 });
		return ajson(res, 200, { count: v.length, value: v });
	}
	if (rest === "/runtime/runnerscalesets" && method === "GET") {
		const name = q.get("name") || "";
		const gid = parseInt(q.get("runnerGroupId") || "0", 10);
		const v = [...st.sets.values()].filter((s) => s.name === name &&
		    s.runnerGroupId === gid);
		return ajson(res, 200, { count: v.length, value: v });
	}
	if (rest === "/runtime/runnerscalesets" && method === "POST") {
		const r = JSON.parse(body);
		const gid = r.runnerGroupId || 1;
		const s = {
			id: st.nextSet++, name: r.name, runnerGroupId: gid,
			runnerGroupName: st.groups.get(gid) || "?",
			labels: r.labels && r.labels.length ? r.labels :
			    [{ type: "System", name: r.name }],
			RunnerSetting: r.RunnerSetting || r.runnerSetting || {},
			createdOn: "2026-11-23T10:00:00Z",
			runnerJitConfigUrl: "",
		};
		st.sets.set(s.id, s);
		return ajson(res, 200, s);
	}
	let m = rest.match(/^\/runtime\/runnerscalesets\/(\d+)(\/.*)?$/);
	if (m) {
		const ssid = parseInt(m[1], 10);
		if (!st.sets.has(ssid))
			return aerr(res, 404, "RunnerScaleSetNotFoundException",
			    "The runner scale set " + ssid +
			    " does not exist.");
		return scaleSet(req, res, ssid, m[2] || "", body);
	}
	m = rest.match(/^\/distributedtask\/pools\/0\/agents(?:\/(\d+))?$/);
	if (m) {
		if (m[1] === undefined && method === "GET") {
			const name = q.get("agentName") || "";
			const v = [...st.runners.values()].filter((r) =>
			    r.name === name);
			return ajson(res, 200, { count: v.length, value: v });
		}
		const id = m[1] === undefined ? -1 : parseInt(m[1], 10);
		const r = st.runners.get(id);
		if (r === undefined)
			return aerr(res, 404, "AgentNotFoundException",
			    "no such agent");
		if (method === "GET")
			return ajson(res, 200, r);
		if (method === "DELETE") {
			count("actions:agent-delete");
			removeRunner(id);
			return send(res, 204);
		}
	}
	return ajson(res, 404, { message: "no route" });
}

// A held poll answers as soon as a message above its lastMessageId is
// queued, else 202 after --hold seconds.
function pollAnswer(p) {
	const msgs = st.queue.get(p.ssid) || [];
	for (const x of msgs) {
		if (x.messageId > p.last) {
			const b = JSON.stringify(x);
			const t = now();
			st.sent.push([x.messageId, t]);
			if (st.cpuFirst === null)
				st.cpuFirst = process.cpuUsage();
			send(p.res, 200, b, "application/json",
			    { ActivityId: crypto.randomUUID() });
			return true;
		}
	}
	return false;
}

function pollDone(p) {
	clearInterval(p.timer);
	st.held.delete(p);
	st.served.push([p.req.t0, now()]);
}

function broker(req, res, path, q) {
	const m = path.match(/^\/broker\/(\d+)\/message(?:\/(\d+))?$/);
	if (!m)
		return ajson(res, 404, { message: "no route" });
	const ssid = parseInt(m[1], 10);
	if (!st.sessions.has(ssid))
		return send(res, 401, "", "text/plain");
	if (req.method === "DELETE" && m[2] !== undefined) {
		count("actions:message-delete");
		const mid = parseInt(m[2], 10);
		const msgs = st.queue.get(ssid) || [];
		const i = msgs.findIndex((x) => x.messageId === mid);
		if (i >= 0) {
			msgs.splice(i, 1);
			st.acked++;
		}
		return send(res, 204);
	}
	if (req.method !== "GET")
		return ajson(res, 405, { message: "method" });
	if (req.headers["x-scalesetmaxcapacity"] === undefined)
		return ajson(res, 400, { message: "X-ScaleSetMaxCapacity " +
		    "missing" });
	count("actions:message-get");
	const p = { req: req, res: res, ssid: ssid,
	    last: parseInt(q.get("lastMessageId") || "0", 10) };
	if (pollAnswer(p))
		return true;
	// Held: re-read the control file every 5 ms until the hold ends.
	const end = Date.now() + opt.hold * 1000;
	p.timer = setInterval(() => {
		control();
		if (pollAnswer(p))
			return pollDone(p);
		if (Date.now() >= end) {
			send(res, 202, "");
			pollDone(p);
		}
	}, 5);
	st.held.add(p);
	res.on("close", () => {
		if (st.held.has(p))
			pollDone(p);
	});
	return false;
}

function actions(req, res, body) {
	const u = new URL(req.url, "https://localhost");
	const path = u.pathname.replace(/\/+/g, "/");
	const q = u.searchParams;
	control();
	if (path === "/api/v3/actions/runner-registration" ||
	    path === "/actions/runner-registration")
		return registration(req, res, body);
	if (path.startsWith("/broker/"))
		return broker(req, res, path, q);
	if (path.startsWith("/tenant/"))
		return admin(req, res, path, q, body);
	return github(req, res, path.replace(/^\/api\/v3\//, "/"), q, body);
}

// --- EC2 ------------------------------------------------------------------------

const EC2_NS = "http://ec2.amazonaws.com/doc/2016-11-15/";
const STATE_CODE = { pending: 0, running: 16, "shutting-down": 32,
    terminated: 48, stopping: 64, stopped: 80 };

class ApiError extends Error {
	constructor(status, code, message) {
		super(message);
		this.status = status;
		this.code = code;
	}
}

function esc(s) {
	return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;")
	    .replace(/>/g, "&gt;");
}

function iso(t) {
	return new Date(Math.floor(t) * 1000).toISOString();
}

// The <item> of tests/fake/aws.py instance_xml: instanceState's code
// carries a high byte and stateReason has its own <code>.
function instanceXml(i, pending) {
	const s = pending ? "pending" : i.state;
	let tags = "";
	for (const [k, v] of i.tags)
		tags += "<item><key>" + esc(k) + "</key><value>" + esc(v) +
		    "</value></item>";
	const spot = i.spot ? "<instanceLifecycle>spot</instanceLifecycle>" +
	    "<spotInstanceRequestId>sir-" + i.id.slice(2) +
	    "</spotInstanceRequestId>" : "";
	return "<item><instanceId>" + i.id + "</instanceId><imageId>" +
	    i.image + "</imageId><stateReason><code>" +
	    "Client.UserInitiatedShutdown</code><message>x</message>" +
	    "</stateReason><instanceState><code>" +
	    (STATE_CODE[s] | 0x5100) + "</code><name>" + s +
	    "</name></instanceState><instanceType>" + i.type +
	    "</instanceType><launchTime>" + iso(i.launch) +
	    "</launchTime><subnetId>" + i.subnet + "</subnetId><clientToken>" +
	    esc(i.token) + "</clientToken>" + spot + "<amiLaunchIndex>" +
	    (i.index || 0) + "</amiLaunchIndex><tagSet>" + tags +
	    "</tagSet></item>";
}

function tagsOf(p, rtype) {
	const tags = new Map();
	for (let n = 1; p.has("TagSpecification." + n + ".ResourceType"); n++) {
		if (p.get("TagSpecification." + n + ".ResourceType") !== rtype)
			continue;
		for (let m = 1; p.has("TagSpecification." + n + ".Tag." + m +
		    ".Key"); m++)
			tags.set(p.get("TagSpecification." + n + ".Tag." + m +
			    ".Key"), p.get("TagSpecification." + n + ".Tag." +
			    m + ".Value") || "");
	}
	return tags;
}

function hex17(n) {
	return n.toString(16).padStart(17, "0");
}

function runInstances(req, p, rid0) {
	const market = p.get("InstanceMarketOptions.MarketType") === "spot" ?
	    "spot" : "on-demand";
	const itype = p.get("InstanceType") || "t3.micro";
	// MinCount..MaxCount instances, amiLaunchIndex 0..N-1 (RunInstances
	// reference); ClientToken idempotency ("Ensuring idempotency").
	const lo = parseInt(p.get("MinCount") || "", 10);
	const hi = parseInt(p.get("MaxCount") || "", 10);
	if (!(lo >= 1 && hi >= lo))
		throw new ApiError(400, "InvalidParameterValue",
		    "MinCount must be at least 1 and at most MaxCount");
	const token = p.get("ClientToken") || "";
	const sig = [...p].filter(([k]) => k !== "Action" && k !== "Version")
	    .map(([k, v]) => k + "=" + v).sort().join("&");
	let insts, rid, made = 0;
	const old = token ? st.tokens.get(token) : undefined;
	if (old !== undefined) {
		if (old[0] !== sig)
			throw new ApiError(400, "IdempotentParameterMismatch",
			    "Arguments on this idempotent request are " +
			    "inconsistent with arguments used in previous " +
			    "request(s).");
		insts = old[1].map((id) => st.instances.get(id));
		rid = old[2];
	} else {
		insts = [];
		for (let k = 0; k < hi; k++) {
			st.serial++;
			const id = "i-" + hex17(0xa000000000 + st.serial);
			if (k === 0)
				rid = "r-" + hex17(0xb000000000 + st.serial);
			const inst = {
				id: id, type: itype, state: "running",
				launch: Date.now() / 1000,
				spot: market === "spot",
				subnet: p.get("SubnetId") || "subnet-default",
				token: token, tags: tagsOf(p, "instance"),
				image: p.get("ImageId") || "ami-fromtemplate",
				index: k,
			};
			st.instances.set(id, inst);
			st.live++;
			insts.push(inst);
		}
		st.maxLive = Math.max(st.maxLive, st.live);
		if (token)
			st.tokens.set(token, [sig, insts.map((i) => i.id), rid]);
		made = 1;
	}
	// The runner name is tagged after the launch (CreateTags per
	// instance): createTags() fills it in.
	for (const inst of insts)
		st.runs.push([inst.tags.get("ghrctl:runner") || "", req.t0,
		    inst.id, made]);
	st.cpuLast = process.cpuUsage();
	return "<requestId>" + rid0 + "</requestId><reservationId>" + rid +
	    "</reservationId><ownerId>123456789012</ownerId><groupSet/>" +
	    "<instancesSet>" + insts.map((i) => instanceXml(i, true)).join("") +
	    "</instancesSet>";
}

function values(p, n) {
	const v = [];
	for (let m = 1; p.has("Filter." + n + ".Value." + m); m++)
		v.push(p.get("Filter." + n + ".Value." + m));
	return v;
}

function describeInstances(req, p, rid0) {
	const filters = [];
	for (let n = 1; p.has("Filter." + n + ".Name"); n++)
		filters.push([p.get("Filter." + n + ".Name"), values(p, n)]);
	const ids = [...p].filter(([k]) => k.startsWith("InstanceId."))
	    .map(([, v]) => v);
	if (ids.length && p.has("MaxResults"))
		throw new ApiError(400, "InvalidParameterCombination", "The " +
		    "parameter instancesSet cannot be used with the " +
		    "parameter maxResults");
	const mr = parseInt(p.get("MaxResults") || "1000", 10);
	if (p.has("MaxResults") && !(mr >= 5 && mr <= 1000))
		throw new ApiError(400, "InvalidParameterValue",
		    "MaxResults must be between 5 and 1000");
	function match(i) {
		for (const [name, vals] of filters) {
			let got;
			if (name.startsWith("tag:"))
				got = i.tags.get(name.slice(4));
			else if (name === "tag-key")
				got = i.tags.has(vals[0]) ? vals[0] : undefined;
			else if (name === "instance-state-name")
				got = i.state;
			else if (name === "client-token")
				got = i.token;
			else if (name === "instance-id")
				got = i.id;
			else if (name === "instance-type")
				got = i.type;
			else if (name === "instance-lifecycle")
				got = i.spot ? "spot" : undefined;
			else
				throw new ApiError(400, "InvalidParameterValue",
				    "The filter '" + name + "' is invalid");
			if (!vals.includes(got))
				return false;
		}
		return true;
	}
	const found = [...st.instances.values()].filter((i) => match(i) &&
	    (!ids.length || ids.includes(i.id)));
	let start = 0;
	const tok = p.get("NextToken");
	if (tok !== null) {
		const m = /^page-(\d+)$/.exec(tok);
		if (!m || parseInt(m[1], 10) > found.length)
			throw new ApiError(400, "InvalidPaginationToken", "The " +
			    "specified pagination token is not valid or is " +
			    "expired.");
		start = parseInt(m[1], 10);
	}
	const page = found.slice(start, start + mr);
	const next = start + mr < found.length ? "<nextToken>page-" +
	    (start + mr) + "</nextToken>" : "";
	return "<requestId>" + rid0 + "</requestId><reservationSet>" +
	    page.map((i) => "<item><reservationId>r-" + i.id.slice(2) +
	    "</reservationId><ownerId>123456789012</ownerId><groupSet/>" +
	    "<instancesSet>" + instanceXml(i, false) + "</instancesSet></item>")
	    .join("") + "</reservationSet>" + next;
}

function terminateInstances(req, p, rid0) {
	const ids = [];
	for (let n = 1; n <= 1000; n++)
		if (p.has("InstanceId." + n))
			ids.push(p.get("InstanceId." + n));
	for (const id of ids)
		if (!st.instances.has(id))
			throw new ApiError(400, "InvalidInstanceID.NotFound",
			    "The instance ID '" + id + "' does not exist");
	let out = "";
	for (const id of ids) {
		const i = st.instances.get(id);
		const prev = i.state;
		if (isLive(prev))
			st.live--;
		i.state = "terminated";
		out += "<item><instanceId>" + id + "</instanceId><currentState>" +
		    "<code>32</code><name>shutting-down</name></currentState>" +
		    "<previousState><code>16</code><name>" + prev +
		    "</name></previousState></item>";
	}
	return "<requestId>" + rid0 + "</requestId><instancesSet>" + out +
	    "</instancesSet>";
}

function createTags(req, p, rid0) {
	const ids = [...p].filter(([k]) => k.startsWith("ResourceId."))
	    .map(([, v]) => v);
	for (const id of ids)
		if (!st.instances.has(id))
			throw new ApiError(400, "InvalidInstanceID.NotFound",
			    "The instance ID '" + id + "' does not exist");
	for (let n = 1; p.has("Tag." + n + ".Key"); n++) {
		const k = p.get("Tag." + n + ".Key");
		if (k.startsWith("aws:"))
			throw new ApiError(400, "InvalidParameterValue",
			    "Tag keys starting with 'aws:' are reserved");
		for (const id of ids) {
			st.instances.get(id).tags.set(k,
			    p.get("Tag." + n + ".Value") || "");
			if (k === "ghrctl:runner")
				for (const r of st.runs)
					if (r[2] === id && r[0] === "")
						r[0] = p.get("Tag." + n +
						    ".Value") || "";
		}
	}
	return "<requestId>" + rid0 + "</requestId><return>true</return>";
}

const EC2 = {
	RunInstances: runInstances,
	DescribeInstances: describeInstances,
	TerminateInstances: terminateInstances,
	CreateTags: createTags,
};

function ec2(req, res, body) {
	const rid0 = crypto.randomUUID();
	const p = new URLSearchParams(body.toString("utf8"));
	const action = p.get("Action") || "";
	count("ec2:" + action);
	try {
		if (req.method !== "POST" || req.url.split("?")[0] !== "/")
			throw new ApiError(400, "InvalidAction", "POST / only");
		const fn = EC2[action];
		if (fn === undefined)
			throw new ApiError(400, "InvalidAction", "The action " +
			    action + " is not valid for this web service.");
		if (p.get("DryRun") === "true")
			throw new ApiError(412, "DryRunOperation", "Request " +
			    "would have succeeded, but DryRun flag is set.");
		const inner = fn(req, p, rid0);
		const reply = () => send(res, 200, "<" + action +
		    'Response xmlns="' + EC2_NS + '">\n  ' + inner + "\n</" +
		    action + "Response>\n", "text/xml");
		/* --run-latency: RunInstances answers as slowly as EC2 does. */
		if (action === "RunInstances" && opt.runLatency > 0)
			setTimeout(reply, opt.runLatency);
		else
			reply();
	} catch (e) {
		if (!(e instanceof ApiError))
			throw e;
		count("ec2-error:" + e.code);
		send(res, e.status, '<?xml version="1.0" encoding="UTF-8"?>\n' +
		    "<Response><Errors><Error><Code>" + e.code +
		    "</Code><Message>" + esc(e.message) + "</Message></Error>" +
		    "</Errors><RequestID>" + rid0 + "</RequestID></Response>",
		    "text/xml;charset=UTF-8");
	}
}

// --- servers ------------------------------------------------------------------------

function server(name, handler) {
	const srv = https.createServer({
		cert: fs.readFileSync(opt.cert),
		key: fs.readFileSync(opt.key),
		minVersion: "TLSv1.2",
		noDelay: true,
		keepAlive: true,
		keepAliveTimeout: 60000,
	}, (req, res) => {
		req.t0 = now();		// headers read: the request has arrived
		const chunks = [];
		req.on("data", (c) => chunks.push(c));
		req.on("end", () => {
			const body = Buffer.concat(chunks);
			let held = false;
			try {
				held = handler(req, res, body) === false;
			} catch (e) {
				process.stderr.write("fastfake-scale: " +
				    req.method + " " + req.url + ": " +
				    e.stack + "\n");
				if (!res.headersSent)
					ajson(res, 500, { message: String(e) });
			}
			if (name === "ec2")
				st.ec2Served.push([req.t0, now()]);
			else if (!held && !req.url.startsWith("/api/v3/orgs/"))
				st.served.push([req.t0, now()]);
		});
	});
	srv.keepAliveTimeout = 60000;
	srv.headersTimeout = 65000;
	srv.requestTimeout = 0;
	srv.maxRequestsPerSocket = 0;
	srv.on("secureConnection", (s) => {
		st.conns[name]++;
		s.setNoDelay(true);
	});
	return srv;
}

function writeAtomic(path, data) {
	fs.writeFileSync(path + ".tmp", data);
	fs.renameSync(path + ".tmp", path);
}

function counts() {
	if (!opt.stats)
		return;
	writeAtomic(opt.stats + ".counts", "runs " + st.runs.length +
	    "\ninstances " + st.instances.size + "\nrunning " + st.live +
	    "\njit " + st.jit + "\nacked " + st.acked + "\n");
}

function stop() {
	if (opt.stats) {
		const c = process.cpuUsage();
		let burst = null;
		if (st.cpuFirst !== null && st.cpuLast !== null)
			burst = { user: (st.cpuLast.user - st.cpuFirst.user) / 1e6,
			    system: (st.cpuLast.system - st.cpuFirst.system) / 1e6 };
		writeAtomic(opt.stats, JSON.stringify({
			sent: st.sent, runs: st.runs, served: st.served,
			ec2_served: st.ec2Served,
			acquired_t: st.acquiredT, calls: st.calls,
			instances: st.instances.size, running: st.live,
			max_live: st.maxLive, jit: st.jit, acked: st.acked,
			connections: st.conns,
			cpu: { user: c.user / 1e6, system: c.system / 1e6,
			    burst: burst },
		}) + "\n");
		counts();
	}
	process.exit(0);
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
process.on("SIGUSR2", counts);

const as = server("actions", actions);
const es = server("ec2", ec2);
as.listen(0, "127.0.0.1", () => {
	es.listen(0, "127.0.0.1", () => {
		writeAtomic(opt.ec2PortFile, es.address().port + "\n");
		writeAtomic(opt.portFile, as.address().port + "\n");
	});
});

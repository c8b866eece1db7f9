// SPDX-License-Identifier: ISC
//
// bench/tools/fastfake.js: a fast fake server for bench/report only, so
// that the side-by-side comparisons (ghrctl runners list vs gh api
// --paginate, ghrctl metric vs the Python/boto3 program and aws) measure
// the clients and not the server.  The Python fakes under tests/fake/ cost
// about 0.8 ms per request, which at 100 pages was most of ghrctl's figure.
// Both sides of every comparison talk to this same server, so a fast
// server is fair to both.
//
// It is NOT a judge: it accepts any Authorization and checks no SigV4
// signature, parameter name or body.  Correctness is what tests/fake/
// (github.py, aws.py, with botocore re-signing every request) checks in
// the tests; this file only answers quickly, from memory:
//
//   GET [/api/v3]/orgs/ORG/actions/runners?per_page=N&page=P
//       the GitHub REST runner list (the runners of tests/fake/github.py's
//       make_runner), with Link rel="next"/"last", ETag, x-ratelimit-*
//       headers; every page is serialised once per Host and kept.
//   POST /  CloudWatch PutMetricData, query protocol (form body with
//       Action=PutMetricData: the real PutMetricDataResponse XML) or AWS
//       JSON 1.0 (X-Amz-Target GraniteServiceVersion20100801.PutMetricData,
//       as newer botocore sends it: "{}").
//
// usage: node fastfake.js --port-file F --cert PEM --key PEM
//        [--runners N] [--org ORG] [--stats FILE]
// Listens on 127.0.0.1 port 0 (HTTPS, keep-alive, TCP_NODELAY) and writes
// the port to F (atomically).  On SIGTERM/SIGINT it writes request counts
// to FILE as JSON and exits.

"use strict";

const fs = require("fs");
const https = require("https");
const crypto = require("crypto");

function usage(msg) {
	process.stderr.write("fastfake: " + msg + "\n");
	process.exit(2);
}

const opt = { runners: 10000, org: "acme", stats: "" };
for (let i = 2; i < process.argv.length; i += 2) {
	const k = process.argv[i], v = process.argv[i + 1];
	if (v === undefined)
		usage("option " + k + " needs a value");
	switch (k) {
	case "--port-file": opt.portFile = v; break;
	case "--cert": opt.cert = v; break;
	case "--key": opt.key = v; break;
	case "--runners": opt.runners = parseInt(v, 10); break;
	case "--org": opt.org = v; break;
	case "--stats": opt.stats = v; break;
	default: usage("unknown option " + k);
	}
}
if (!opt.portFile || !opt.cert || !opt.key)
	usage("--port-file, --cert and --key are required");

// The runners of tests/fake/github.py make_runner(i), same fields.
function makeRunner(i) {
	const online = i % 5 !== 0;
	const labels = ["self-hosted", "linux", "x64"];
	if (i % 4 === 0)
		labels.push("gpu");
	return {
		id: i,
		name: "runner-" + String(i).padStart(5, "0"),
		os: "linux",
		status: online ? "online" : "offline",
		busy: online && i % 3 === 0,
		ephemeral: false,
		runner_group_id: 1,
		labels: labels.map((l, n) => ({ id: n + 1, name: l,
		    type: n < 3 ? "read-only" : "custom" })),
	};
}

const runners = [];
for (let i = 1; i <= opt.runners; i++)
	runners.push(makeRunner(i));

const stats = { github_pages: 0, github_304: 0, cloudwatch_query: 0,
    cloudwatch_json: 0, other: 0, connections: 0 };
const pages = new Map();	// "host path per page" -> [headers, body]
const reset = String(Math.floor(Date.now() / 1000) + 3600);

function page(host, path, per, p) {
	const key = host + " " + path + " " + per + " " + p;
	let c = pages.get(key);
	if (c !== undefined)
		return c;
	const last = Math.max(1, Math.ceil(runners.length / per));
	const body = Buffer.from(JSON.stringify({ total_count: runners.length,
	    runners: runners.slice((p - 1) * per, p * per) }));
	const h = {
		"Content-Type": "application/json; charset=utf-8",
		"Content-Length": String(body.length),
		"Cache-Control": "private, max-age=60, s-maxage=60",
		"ETag": 'W/"' + crypto.createHash("sha1").update(body)
		    .digest("hex") + '"',
		"X-GitHub-Api-Version-Selected": "2022-11-28",
		"x-ratelimit-limit": "5000",
		"x-ratelimit-remaining": "4999",
		"x-ratelimit-used": "1",
		"x-ratelimit-reset": reset,
		"x-ratelimit-resource": "core",
	};
	if (p < last) {
		const base = "https://" + host + path + "?per_page=" + per +
		    "&page=";
		h.Link = "<" + base + (p + 1) + '>; rel="next", <' + base +
		    last + '>; rel="last"';
	}
	c = [h, body];
	pages.set(key, c);
	return c;
}

function send(res, status, headers, body) {
	res.writeHead(status, headers);
	res.end(body);
}

function notFound(res) {
	stats.other++;
	const b = Buffer.from('{"message":"Not Found",' +
	    '"documentation_url":"https://docs.github.com/rest"}');
	send(res, 404, { "Content-Type": "application/json; charset=utf-8",
	    "Content-Length": String(b.length) }, b);
}

function github(req, res) {
	const q = req.url.indexOf("?");
	const path = q < 0 ? req.url : req.url.slice(0, q);
	const want = "/orgs/" + opt.org + "/actions/runners";
	if (req.method !== "GET" || (path !== want && path !== "/api/v3" + want))
		return notFound(res);
	const sp = new URLSearchParams(q < 0 ? "" : req.url.slice(q + 1));
	const per = Math.max(1, Math.min(100,
	    parseInt(sp.get("per_page") || "30", 10) || 30));
	const p = Math.max(1, parseInt(sp.get("page") || "1", 10) || 1);
	const [h, body] = page(req.headers.host || "localhost", path, per, p);
	if (req.headers["if-none-match"] === h.ETag) {
		stats.github_304++;
		const h304 = Object.assign({}, h);
		delete h304["Content-Type"];
		h304["Content-Length"] = "0";
		return send(res, 304, h304);
	}
	stats.github_pages++;
	send(res, 200, h, body);
}

const CW_NS = "http://monitoring.amazonaws.com/doc/2010-08-01/";

function cloudwatch(req, res, body) {
	const id = crypto.randomUUID();
	const ctype = (req.headers["content-type"] || "").toLowerCase();
	if (ctype.startsWith("application/x-amz-json-1.0")) {
		stats.cloudwatch_json++;
		const b = Buffer.from("{}");
		return send(res, 200, {
		    "Content-Type": "application/x-amz-json-1.0",
		    "Content-Length": String(b.length),
		    "x-amzn-RequestId": id }, b);
	}
	const form = new URLSearchParams(body.toString("latin1"));
	let b, status = 200;
	if (form.get("Action") === "PutMetricData") {
		stats.cloudwatch_query++;
		b = '<PutMetricDataResponse xmlns="' + CW_NS + '">\n' +
		    "  <ResponseMetadata>\n    <RequestId>" + id +
		    "</RequestId>\n  </ResponseMetadata>\n" +
		    "</PutMetricDataResponse>\n";
	} else {
		stats.other++;
		status = 400;
		b = '<ErrorResponse xmlns="' + CW_NS + '">\n  <Error>\n' +
		    "    <Type>Sender</Type>\n    <Code>InvalidAction</Code>\n" +
		    "    <Message>fastfake serves PutMetricData only</Message>\n" +
		    "  </Error>\n  <RequestId>" + id + "</RequestId>\n" +
		    "</ErrorResponse>\n";
	}
	b = Buffer.from(b);
	send(res, status, { "Content-Type": "text/xml",
	    "Content-Length": String(b.length), "x-amzn-RequestId": id }, b);
}

const srv = https.createServer({
	cert: fs.readFileSync(opt.cert),
	key: fs.readFileSync(opt.key),
	minVersion: "TLSv1.2",
	noDelay: true,
	keepAlive: true,
	keepAliveTimeout: 60000,
}, (req, res) => {
	if (req.method === "POST" && req.url.split("?")[0] === "/") {
		const chunks = [];
		req.on("data", (c) => chunks.push(c));
		req.on("end", () => cloudwatch(req, res, Buffer.concat(chunks)));
		return;
	}
	req.resume();
	github(req, res);
});
srv.keepAliveTimeout = 60000;
srv.headersTimeout = 65000;
srv.requestTimeout = 0;
srv.maxRequestsPerSocket = 0;
srv.on("secureConnection", (s) => {
	stats.connections++;
	s.setNoDelay(true);
});

function stop() {
	if (opt.stats)
		fs.writeFileSync(opt.stats, JSON.stringify(stats) + "\n");
	process.exit(0);
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);

srv.listen(0, "127.0.0.1", () => {
	const tmp = opt.portFile + ".tmp";
	fs.writeFileSync(tmp, srv.address().port + "\n");
	fs.renameSync(tmp, opt.portFile);
});

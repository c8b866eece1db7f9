#!/usr/bin/env python3
"""promcheck.py FILE|-: a strict checker of the Prometheus text exposition
format 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/,
and prometheus/common expfmt's text parser for what it refuses).  Refuses
anything out of line: a sample before its TYPE, a family split in two, a
TYPE or HELP twice, bad names, bad escapes, a duplicate label or series,
a histogram without +Inf, non-cumulative buckets, +Inf != _count, a
missing final newline.  On success prints each sample, normalised:
name{k="v",...} value (labels in their order, escaped), and exits 0; else one line, exit 1.
"""
import math
import re
import sys

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LNAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")


def fail(n, why):
    print("line %d: %s" % (n, why))
    sys.exit(1)


def value(n, s):
    if s in ("+Inf", "Inf"):
        return math.inf
    if s == "-Inf":
        return -math.inf
    if s == "NaN":
        return math.nan
    if not re.fullmatch(r"[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?", s):
        fail(n, "bad value %r" % s)
    return float(s)


def labels(n, s, i):
    """Parse {a="b",...} from s[i] == '{'; return (dict, next index)."""
    out = {}
    i += 1
    while True:
        if s[i:i + 1] == "}":
            return out, i + 1
        m = LNAME.match(s, i)
        if not m:
            fail(n, "bad label name at %d" % i)
        k = m.group(0)
        if k in out:
            fail(n, "duplicate label %s" % k)
        i = m.end()
        if s[i:i + 2] != '="':
            fail(n, "expected =\" after label %s" % k)
        i += 2
        v = []
        while True:
            if i >= len(s):
                fail(n, "unterminated label value")
            c = s[i]
            if c == "\\":
                e = s[i + 1:i + 2]
                if e not in ("\\", '"', "n"):
                    fail(n, "bad escape \\%s" % e)
                v.append("\n" if e == "n" else e)
                i += 2
            elif c == '"':
                i += 1
                break
            elif c == "\n":
                fail(n, "newline in label value")
            else:
                v.append(c)
                i += 1
        out[k] = "".join(v)
        if s[i:i + 1] == ",":
            i += 1
        elif s[i:i + 1] != "}":
            fail(n, "expected , or } after label %s" % k)


def esc(v):
    return v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def family_of(name, types):
    for suf in ("_bucket", "_sum", "_count"):
        if name.endswith(suf) and types.get(name[:-len(suf)]) in ("histogram", "summary"):
            return name[:-len(suf)]
    return name


def main():
    data = sys.stdin.read() if sys.argv[1] == "-" else open(sys.argv[1]).read()
    if data and not data.endswith("\n"):
        fail(0, "no newline at the end")
    types, helps, done, seen = {}, {}, set(), set()
    cur, hist, out = None, {}, []
    for n, line in enumerate(data.split("\n")[:-1], 1):
        if line.startswith("#"):
            p = line.split(" ", 3)
            if len(p) >= 3 and p[1] in ("HELP", "TYPE"):
                name = p[2]
                if not NAME.fullmatch(name):
                    fail(n, "bad metric name %r" % name)
                d = helps if p[1] == "HELP" else types
                if name in d:
                    fail(n, "second %s for %s" % (p[1], name))
                if name in done or (cur is not None and cur != name and name in seen):
                    fail(n, "%s for %s after its samples" % (p[1], name))
                if p[1] == "TYPE":
                    if len(p) != 4 or p[3] not in TYPES:
                        fail(n, "bad TYPE line")
                    if name in seen:
                        fail(n, "TYPE after samples of %s" % name)
                d[name] = p[3] if len(p) == 4 else ""
                if cur != name:
                    if cur is not None:
                        done.add(cur)
                    cur = name
            continue
        if line.strip() == "":
            continue
        m = NAME.match(line)
        if not m:
            fail(n, "bad sample name")
        name, i = m.group(0), m.end()
        lab = {}
        if line[i:i + 1] == "{":
            lab, i = labels(n, line, i)
        rest = line[i:]
        if not rest.startswith(" "):
            fail(n, "expected a space before the value")
        parts = rest.split()
        if len(parts) not in (1, 2):
            fail(n, "trailing garbage")
        v = value(n, parts[0])
        if len(parts) == 2 and not re.fullmatch(r"-?[0-9]+", parts[1]):
            fail(n, "bad timestamp")
        fam = family_of(name, types)
        if fam in done:
            fail(n, "family %s split in two" % fam)
        if fam != cur:
            if cur is not None:
                done.add(cur)
            cur = fam
        t = types.get(fam, "untyped")
        if t == "counter" and (v < 0 or math.isnan(v)):
            fail(n, "negative counter")
        if t == "histogram":
            if name == fam:
                fail(n, "histogram sample without _bucket/_sum/_count")
            key = (fam, tuple(sorted((k, x) for k, x in lab.items() if k != "le")))
            h = hist.setdefault(key, {"b": [], "count": None})
            if name.endswith("_bucket"):
                if "le" not in lab:
                    fail(n, "bucket without le")
                le = value(n, lab["le"])
                if h["b"] and (le <= h["b"][-1][0] or v < h["b"][-1][1]):
                    fail(n, "buckets not increasing/cumulative")
                h["b"].append((le, v))
            elif name.endswith("_count"):
                h["count"] = v
        elif "le" in lab and t != "untyped":
            fail(n, "le label outside a histogram")
        series = (name, tuple(sorted(lab.items())))
        if series in seen:
            fail(n, "duplicate series")
        seen.add(series)
        seen.add(fam)
        out.append("%s{%s} %s" % (name, ",".join('%s="%s"' % (k, esc(x)) for k, x in lab.items()), parts[0]))
    for (fam, _), h in hist.items():
        if not h["b"] or h["b"][-1][0] != math.inf:
            fail(0, "%s: no +Inf bucket" % fam)
        if h["count"] is None or h["count"] != h["b"][-1][1]:
            fail(0, "%s: _count differs from the +Inf bucket" % fam)
    print("\n".join(out))


main()

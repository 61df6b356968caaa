#!/usr/bin/env python3
"""Reference evaluator for the fixtures in tests/telemetry/ (Python 3.11+, stdlib only).

Independent of rulecat: reads the four rules in
catalog/RemoteManagementMonitoring/ (table, `has` / `has_any` operands, `by`
columns), the column types in schema/tables/, applies the KQL semantics of the
project's kql-semantics notes (term-boundary `has`, inclusive `between`,
now() = --now) and prints each rule's summarize output.

    python3 tests/telemetry/expected.py                 # check expected.json
    python3 tests/telemetry/expected.py --write         # regenerate expected.json
    python3 tests/telemetry/expected.py DIR_OR_FILE...  # evaluate arbitrary files

The `has` reading used here (and in examples/gen-telemetry.rs): a case-insensitive
match of the operand's literal text that starts and ends on a term boundary
(a non-alphanumeric character or the end of the value). So a dash or underscore
in the data does not match a space in the operand ('Zoho-Assist' does not have
'Zoho Assist'), while '_' and '-' still separate terms ('Zoho_Corp' has 'Zoho').
"""
import csv, glob, json, os, re, sys, tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
MAIN = os.environ.get("RULECAT_ROOT", os.path.dirname(os.path.dirname(HERE)))

# Fixture directories with an entry in expected.json (each evaluated on its own).
FIXTURE_DIRS = ["zoho_netconn", "zoho_netconn_csv", "zoho_filesig", "action1_filesig",
                "remoteutilities_filesig", "mixed_by_type", "sample_handwritten", "sample"]

def days_from_civil(y, m, d):
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * ((m + 9) % 12) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468

def civil_from_days(z):
    z += 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return (y + (m <= 2), m, d)

DT = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?Z$")
TICK_S = 10_000_000
DAY = 86400 * TICK_S

def parse_dt(s):
    m = DT.match(s)
    if not m:
        raise ValueError(f"not a datetime: {s!r}")
    y, mo, d, hh, mi, ss = map(int, m.groups()[:6])
    frac = (m.group(7) or "").ljust(7, "0")
    return (days_from_civil(y, mo, d) * 86400 + hh * 3600 + mi * 60 + ss) * TICK_S + int(frac or 0)

def fmt_dt(t):
    days, rem = divmod(t, DAY)
    y, m, d = civil_from_days(days)
    secs, frac = divmod(rem, TICK_S)
    return f"{y:04d}-{m:02d}-{d:02d}T{secs//3600:02d}:{secs%3600//60:02d}:{secs%60:02d}.{frac:07d}Z"

def has(hay, needle):
    """KQL `has` (notes): case-insensitive match of the needle text that starts
    and ends on term boundaries (non-alphanumeric chars or the value's ends)."""
    if hay is None:
        hay = ""
    h, n = hay.lower(), needle.lower()
    start = 0
    while True:
        i = h.find(n, start)
        if i < 0:
            return False
        before_ok = i == 0 or not h[i - 1].isalnum() or not n[0].isalnum()
        j = i + len(n)
        after_ok = j == len(h) or not h[j].isalnum() or not n[-1].isalnum()
        if before_ok and after_ok:
            return True
        start = i + 1

def load_schema(table):
    d = tomllib.load(open(f"{MAIN}/schema/tables/{table}.toml", "rb"))
    return {c["name"]: c["type"] for c in d["column"]}

def load_rules():
    rules = []
    for path in sorted(glob.glob(f"{MAIN}/catalog/RemoteManagementMonitoring/*.yaml")):
        if path.endswith(".tests.yaml"):
            continue  # `rulecat test` files beside the rules, not rules
        text = open(path).read()
        q = text.split("query: |", 1)[1]
        table = re.search(r"^\s*(Device\w+)\s*$", q, re.M).group(1)
        conds = []
        m = re.search(r"RemoteUrl has_any \((.*?)\)", q, re.S)
        if m:
            conds.append(("RemoteUrl", "has_any", re.findall(r"'([^']*)'", m.group(1))))
        for col, val in re.findall(r"(\w+) has '([^']*)'", q):
            conds.append((col, "has", [val]))
        q = "\n".join(l.split("//")[0] for l in q.splitlines())
        by = re.search(r"count\(\) by (.*)$", q, re.S).group(1)
        by = [b.strip() for b in by.replace("\n", " ").split(",") if b.strip()]
        rules.append(dict(name=os.path.basename(path)[:-5], table=table, conds=conds, by=by))
    return rules

def typed(v, ty, where):
    if v is None:
        return None
    if ty == "datetime":
        if not isinstance(v, str):
            raise ValueError(f"{where}: datetime expected, got {v!r}")
        return parse_dt(v)
    if ty in ("int", "long"):
        if isinstance(v, bool) or not isinstance(v, int):
            raise ValueError(f"{where}: {ty} expected, got {v!r}")
        return v
    if ty == "bool":
        if not isinstance(v, bool):
            raise ValueError(f"{where}: bool expected, got {v!r}")
        return v
    if not isinstance(v, str):
        raise ValueError(f"{where}: string expected, got {v!r}")
    return v

def read_rows(path, table=None):
    """Yields (table, row dict of typed values)."""
    base = os.path.basename(path)
    stem = base.split(".")[0]
    schemas = {}
    def schema(t):
        if t not in schemas:
            schemas[t] = load_schema(t)
        return schemas[t]
    if path.endswith(".jsonl"):
        for ln, line in enumerate(open(path, encoding="utf-8"), 1):
            if not line.strip():
                continue
            obj = json.loads(line)
            t = table or obj.get("Type") or stem
            sc = schema(t)
            row = {}
            for k, v in obj.items():
                if k not in sc:
                    raise ValueError(f"{path}:{ln}: unknown column {k} for {t}")
                row[k] = typed(v, sc[k], f"{path}:{ln}: {k}")
            yield t, row
    elif path.endswith(".csv"):
        with open(path, newline="", encoding="utf-8") as f:
            rd = csv.reader(f)
            header = next(rd)
            for rec in rd:
                assert len(rec) == len(header), (path, rec)
                raw = dict(zip(header, rec))
                t = table or raw.get("Type") or stem
                sc = schema(t)
                row = {}
                for k, v in raw.items():
                    ty = sc[k]
                    if v == "":
                        row[k] = "" if ty == "string" else None
                    elif ty == "datetime":
                        row[k] = parse_dt(v)
                    elif ty in ("int", "long"):
                        row[k] = int(v)
                    elif ty == "bool":
                        row[k] = {"true": True, "false": False}[v.lower()]
                    else:
                        row[k] = v
                yield t, row

def evaluate(rules, rows, now):
    lo, hi = now - 5 * DAY, now
    out = {}
    for r in rules:
        groups = {}
        for t, row in rows:
            if t != r["table"]:
                continue
            ts = row.get("Timestamp")
            if ts is None or not (lo <= ts <= hi):
                continue
            ok = True
            for col, op, vals in r["conds"]:
                v = row.get(col) or ""
                if not any(has(v, x) for x in vals):
                    ok = False
            if not ok:
                continue
            key = tuple(row.get(b) or "" for b in r["by"])
            g = groups.setdefault(key, dict(first=ts, last=ts, report=set(), count=0))
            g["first"] = min(g["first"], ts)
            g["last"] = max(g["last"], ts)
            if row.get("ReportId") is not None:
                g["report"].add(row["ReportId"])
            g["count"] += 1
        res = []
        for key in sorted(groups):
            g = groups[key]
            d = dict(zip(r["by"], key))
            d.update(FirstSeen=fmt_dt(g["first"]), LastSeen=fmt_dt(g["last"]),
                     Report=sorted(g["report"]), Count=g["count"])
            res.append(d)
        out[r["name"]] = res
    return out

def evaluate_paths(paths, table=None, now="2026-11-27T00:00:00Z"):
    files = []
    for p in paths:
        if os.path.isdir(p):
            files += sorted(f for f in glob.glob(os.path.join(p, "*")) if f.endswith((".jsonl", ".csv")))
        else:
            files.append(p)
    rows = [x for f in files for x in read_rows(f, table)]
    return evaluate(load_rules(), rows, parse_dt(now))

def main():
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("paths", nargs="*")
    ap.add_argument("--now", default="2026-11-27T00:00:00Z")
    ap.add_argument("--table")
    ap.add_argument("--write", action="store_true", help="regenerate expected.json")
    a = ap.parse_args()
    if a.paths:
        print(json.dumps(evaluate_paths(a.paths, a.table, a.now), indent=2))
        return 0
    got = {d: evaluate_paths([os.path.join(HERE, d)], None, a.now) for d in FIXTURE_DIRS}
    text = json.dumps({"now": a.now, "window": ["2026-11-22T00:00:00.0000000Z", "2026-11-27T00:00:00.0000000Z"],
                       "fixtures": got}, indent=2) + "\n"
    path = os.path.join(HERE, "expected.json")
    if a.write:
        open(path, "w", newline="\n").write(text)
        print(f"wrote {path}")
        return 0
    if open(path).read() != text:
        print("expected.json is out of date (run with --write)", file=sys.stderr)
        return 1
    print("expected.json matches the fixtures")
    return 0

if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env bash
# Matcher benchmark: `rulecat match` over 1M-row Defender exports, and DuckDB on the same files.
#
# Builds rulecat and gen-telemetry in release mode, generates ROWS-row DeviceNetworkEvents and
# DeviceFileCertificateInfo files (JSON lines and CSV) into bench-data/match/, compiles the
# bundled catalog, then, in the same run:
#   1. times `rulecat match` on each file on one core (`taskset -c 0`, RAYON_NUM_THREADS=1):
#      rows/s, MB/s, CPU, peak RSS;
#   2. indicator scaling: one rule whose `RemoteUrl has_any (...)` holds N realistic domains,
#      N = 10, 1,000 and 10,000 (the 18 ZohoAssist hosts first, so the hits stay the same),
#      compiled with rulecat and run over the same DeviceNetworkEvents file: ns per row;
#   3. DuckDB (PyPI, in bench-data/venv) running the SQL equivalent of the ZohoAssist network
#      rule and the ZohoAssist file-signature rule over the same JSON-lines and CSV files, with
#      its default threads and with `SET threads=1`; checks that its groups, counts,
#      first/last seen and report lists equal rulecat's, and reports the time ratios.
# Wall time with hyperfine (warm page cache; a timing loop if hyperfine is missing), peak RSS
# with /usr/bin/time. Prints a markdown report, also written to bench-data/match/results.md.
#
# Run from anywhere (it cds to the repo root); idempotent (data files are regenerated only when
# the generator arguments change). Knobs (environment):
#   ROWS=1000000 SEED=7 RUNS=5 WARMUP=1 DUCK_RUNS=3 SCALE_NS="10 1000 10000"
#   DUCKDB_VERSION=2.0.1 INSTALL_TOOLS=1 (apt-get install hyperfine/time when missing, as root)
#   BENCH_NICE=-19 (renice the timed part and its scheduler autogroup, as in bench/load.sh)
#   CPU=0 (the core rulecat is pinned to); RULECAT=path (time another rulecat binary)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

ROWS=${ROWS:-1000000}
SEED=${SEED:-7}
RUNS=${RUNS:-5}
WARMUP=${WARMUP:-1}
DUCK_RUNS=${DUCK_RUNS:-3}
SCALE_NS=${SCALE_NS:-10 1000 10000}
DUCKDB_VERSION=${DUCKDB_VERSION:-2.0.1}
INSTALL_TOOLS=${INSTALL_TOOLS:-1}
CPU=${CPU:-0}
NOW=2026-11-27T00:00:00Z

DATA=bench-data/match
OUT=$DATA/results
TARGET=${CARGO_TARGET_DIR:-target}
# RULECAT=path times another rulecat binary (e.g. a build with a candidate change).
RULECAT=${RULECAT:-$TARGET/release/rulecat}
GEN=$TARGET/release/examples/gen-telemetry
VENV=bench-data/venv
PY=$VENV/bin/python
mkdir -p "$OUT"

BENCH_NAME=bench/match.sh
# shellcheck source=bench/common.sh
. bench/common.sh # (the script has cd-ed to the repository root)

# ---- tools ------------------------------------------------------------
ensure_timing_tools
have taskset || die "taskset (util-linux) is needed"

if ! [ -x "$PY" ] || ! "$PY" -c "import duckdb, sys; sys.exit(duckdb.__version__ != '$DUCKDB_VERSION')" 2>/dev/null; then
    log "installing duckdb $DUCKDB_VERSION into $VENV"
    [ -x "$PY" ] || python3 -m venv "$VENV"
    "$PY" -m pip install --quiet --disable-pip-version-check "duckdb==$DUCKDB_VERSION"
fi

# ---- build, data, bundles ---------------------------------------------------------------------
log "building release binaries"
cargo build --release --quiet --bin rulecat --example gen-telemetry

TABLES="DeviceNetworkEvents DeviceFileCertificateInfo"
for table in $TABLES; do
    for fmt in jsonl csv; do
        f=$DATA/$table.$fmt
        args="--table $table --rows $ROWS --format $fmt --seed $SEED --now $NOW"
        # The stamp holds the arguments and the generator's hash: regenerate when either changes.
        stamp="$args $(sha256sum "$GEN" | cut -c1-16)"
        if [ -f "$f" ] && [ "$(cat "$f.args" 2>/dev/null)" = "$stamp" ]; then
            continue
        fi
        log "generating $f"
        # shellcheck disable=SC2086
        "$GEN" $args --out "$f" 2>"$OUT/gen-$table-$fmt.log"
        echo "$stamp" >"$f.args"
    done
done

log "compiling catalog/ and the ZohoAssist rules"
"$RULECAT" compile catalog/ -o "$DATA/bundle.json" 2>"$OUT/compile.log"
ZOHO=$DATA/catalog-zoho
rm -rf "$ZOHO" && mkdir -p "$ZOHO"
cp catalog/RemoteManagementMonitoring/rmm_ZohoAssist_netconn.yaml \
    catalog/RemoteManagementMonitoring/rmm_ZohoAssist_filesig.yaml "$ZOHO/"
"$RULECAT" compile "$ZOHO" -o "$DATA/bundle-zoho.json" 2>>"$OUT/compile.log"

# Indicator scaling: one rule, N domains in its has_any list (the 18 Zoho hosts first).
for n in $SCALE_NS; do
    dir=$DATA/catalog-scale-$n
    rm -rf "$dir" && mkdir -p "$dir"
    python3 - "$n" "$dir/bench_scale_$n.yaml" <<'PY'
import sys, uuid
n, path = int(sys.argv[1]), sys.argv[2]
zoho = ["assist.zoho.com", "assist.zoho.eu", "assist.zoho.com.au", "assist.zoho.in",
        "assist.zoho.jp", "assist.zoho.uk", "assistlab.zoho.com", "downloads.zohocdn.com",
        "download-accl.zoho.in", "zohoassist.com", "zohopublic.com", "zohopublic.eu",
        "meeting.zoho.com", "meeting.zoho.eu", "static.zohocdn.com", "zohodl.com.cn",
        "zohowebstatic.com", "zohostatic.in"]
hosts = ["relay", "api", "cdn", "update", "dl", "portal", "connect", "agent", "gw", "static"]
words = ["remotely", "deskhelp", "supportly", "fixit", "rmmcloud", "netviewer", "screenlink",
         "tunnelhub", "assistly", "helpdeskio", "controlio", "syncpoint", "beamer", "takeover"]
tlds = ["com", "net", "io", "eu", "co.uk", "de", "app", "cloud"]
domains = zoho[:n]
i = 0
while len(domains) < n:
    d = f"{hosts[i % len(hosts)]}.{words[(i // len(hosts)) % len(words)]}{i // (len(hosts) * len(words))}.{tlds[i % len(tlds)]}"
    domains.append(d)
    i += 1
items = ",\n".join(f"      '{d}'" for d in domains)
rule = f"""id: {uuid.uuid5(uuid.NAMESPACE_DNS, f'rulecat-bench-scale-{n}')}
name: Bench - RemoteUrl has_any {n} domains
description: |
    Indicator-scaling benchmark: the ZohoAssist network rule with {n} domains.
requiredDataConnectors:
- connectorId: MicrosoftThreatProtection
  dataTypes:
  - DeviceNetworkEvents
tactics: CommandAndControl
relevantTechniques: T1219
query: |
  DeviceNetworkEvents
  | where Timestamp between (now(-5d)..now())
  | where RemoteUrl has_any (
{items}
      )
      and InitiatingProcessVersionInfoCompanyName has 'Zoho'
      and InitiatingProcessVersionInfoProductName has 'Zoho Assist'
  | summarize FirstSeen=min(Timestamp), LastSeen=max(Timestamp),
      Report=make_set(ReportId), Count=count() by DeviceId, DeviceName, RemoteUrl
"""
open(path, "w").write(rule)
PY
    "$RULECAT" compile "$dir" -o "$DATA/bundle-scale-$n.json" 2>"$OUT/compile-scale-$n.log" ||
        die "compiling the $n-domain rule failed: $(tail -3 "$OUT/compile-scale-$n.log")"
done

# ---- priority ----------------------------------------------------------------------------------
apply_bench_nice
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

match_cmd() { # BUNDLE FILE
    echo "env RAYON_NUM_THREADS=1 taskset -c $CPU $RULECAT match --bundle $1 --now $NOW --format jsonl $2"
}

# ---- 1. throughput -------------------------------------------------------------------------------
for table in $TABLES; do
    for fmt in jsonl csv; do
        f=$DATA/$table.$fmt
        name=match-$table-$fmt
        log "rulecat match $f (catalog bundle, 1 core)"
        $(match_cmd "$DATA/bundle.json" "$f") >"$OUT/$name.out" 2>"$OUT/$name.stderr" ||
            die "rulecat match failed on $f: $(tail -3 "$OUT/$name.stderr")"
        time_cmd "$name" "$RUNS" "$WARMUP" "$(match_cmd "$DATA/bundle.json" "$f")"
        peak_rss "$name" 1 "$(match_cmd "$DATA/bundle.json" "$f")"
    done
done

# ---- 2. indicator scaling ------------------------------------------------------------------------
for n in $SCALE_NS; do
    f=$DATA/DeviceNetworkEvents.jsonl
    name=scale-$n
    log "rulecat match, $n domains"
    $(match_cmd "$DATA/bundle-scale-$n.json" "$f") >"$OUT/$name.out" 2>"$OUT/$name.stderr" ||
        die "rulecat match failed: $(tail -3 "$OUT/$name.stderr")"
    time_cmd "$name" "$RUNS" "$WARMUP" "$(match_cmd "$DATA/bundle-scale-$n.json" "$f")"
    peak_rss "$name" 1 "$(match_cmd "$DATA/bundle-scale-$n.json" "$f")"
done

# ---- 3. DuckDB against rulecat on the two ZohoAssist rules -----------------------------------------
for table in $TABLES; do
    for fmt in jsonl csv; do
        f=$DATA/$table.$fmt
        name=zoho-$table-$fmt
        log "rulecat match $f (the ZohoAssist rules, 1 core)"
        $(match_cmd "$DATA/bundle-zoho.json" "$f") >"$OUT/$name.out" 2>"$OUT/$name.stderr" ||
            die "rulecat match failed on $f: $(tail -3 "$OUT/$name.stderr")"
        time_cmd "$name" "$RUNS" "$WARMUP" "$(match_cmd "$DATA/bundle-zoho.json" "$f")"
        for threads in 0 1; do
            log "duckdb on $f (threads: ${threads/#0/default})"
            "$PY" - "$table" "$f" "$fmt" "$threads" "$DUCK_RUNS" "$OUT/duck-$table-$fmt-$threads" <<'PY'
import json, statistics, sys, time
import duckdb

table, path, fmt, threads, runs, out = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]

# KQL `has` (case-insensitive, the operand starting and ending on a term boundary: a
# non-alphanumeric character or the end of the value) as an RE2 pattern.
def has_any(terms):
    alts = "|".join(t.replace(".", "\\.") for t in terms)
    return f"(?i)(^|[^[:alnum:]])({alts})($|[^[:alnum:]])"

ZOHO_HOSTS = ["assist.zoho.com", "assist.zoho.eu", "assist.zoho.com.au", "assist.zoho.in",
              "assist.zoho.jp", "assist.zoho.uk", "assistlab.zoho.com", "downloads.zohocdn.com",
              "download-accl.zoho.in", "zohoassist.com", "zohopublic.com", "zohopublic.eu",
              "meeting.zoho.com", "meeting.zoho.eu", "static.zohocdn.com", "zohodl.com.cn",
              "zohowebstatic.com", "zohostatic.in"]
# Timestamps are ISO 8601 UTC with seven fractional digits and `Z` in these files, so string
# order is time order: comparing the text keeps KQL's 100 ns precision (DuckDB's TIMESTAMP
# has microseconds, which would move the inclusive window bounds).
WINDOW = "Timestamp BETWEEN '2026-11-22T00:00:00.0000000Z' AND '2026-11-27T00:00:00.0000000Z'"
if table == "DeviceNetworkEvents":
    cols = ["Timestamp", "DeviceId", "DeviceName", "RemoteUrl",
            "InitiatingProcessVersionInfoCompanyName", "InitiatingProcessVersionInfoProductName",
            "ReportId"]
    where = (f"{WINDOW} AND regexp_matches(RemoteUrl, '{has_any(ZOHO_HOSTS)}')"
             f" AND regexp_matches(InitiatingProcessVersionInfoCompanyName, '{has_any(['zoho'])}')"
             f" AND regexp_matches(InitiatingProcessVersionInfoProductName, '{has_any(['zoho assist'])}')")
    by = ["DeviceId", "DeviceName", "RemoteUrl"]
else:
    cols = ["Timestamp", "DeviceId", "DeviceName", "Signer", "ReportId"]
    where = f"{WINDOW} AND regexp_matches(Signer, '{has_any(['zoho'])}')"
    by = ["DeviceId", "DeviceName"]

def coldef(c):
    return f"'{c}': '{'BIGINT' if c == 'ReportId' else 'VARCHAR'}'"

if fmt == "jsonl":
    # Only the needed keys: DuckDB's JSON reader skips the others.
    src = (f"read_json('{path}', format='newline_delimited', "
           f"columns={{{', '.join(coldef(c) for c in cols)}}})")
else:
    header = open(path, encoding="utf-8").readline().rstrip("\r\n").split(",")
    src = (f"read_csv('{path}', header=true, delim=',', quote='\"', escape='\"', "
           f"columns={{{', '.join(coldef(c) for c in header)}}})")
sql = (f"SELECT {', '.join(by)}, min(Timestamp) AS FirstSeen, max(Timestamp) AS LastSeen, "
       f"list(DISTINCT ReportId ORDER BY ReportId) AS Report, count(*) AS Count "
       f"FROM {src} WHERE {where} GROUP BY ALL")

con = duckdb.connect()
if threads:
    con.execute(f"SET threads={threads}")
used = con.execute("SELECT current_setting('threads')").fetchone()[0]
times, rows = [], None
for _ in range(runs):
    t = time.perf_counter()
    rows = con.execute(sql).fetchall()
    times.append(time.perf_counter() - t)
names = by + ["FirstSeen", "LastSeen", "Report", "Count"]
json.dump({"sql": sql, "threads": used, "times": times, "version": duckdb.__version__,
           "rows": [dict(zip(names, r)) for r in rows]}, open(out + ".json", "w"))
print(f"duckdb {table} {fmt} threads={used}: median {statistics.median(times):.3f} s", file=sys.stderr)
PY
        done
    done
done

LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- report --------------------------------------------------------------------------------------
python3 - "$DATA" "$OUT" "$ROWS" "$RUNS" "$DUCK_RUNS" "$SCALE_NS" "$LOAD_START" "$LOAD_END" \
    >"$DATA/results.md" <<'PY'
import json, os, statistics, sys
data, out, rows, runs, duck_runs, scale_ns, load_start, load_end = sys.argv[1:]
rows = int(rows)
TABLES = ["DeviceNetworkEvents", "DeviceFileCertificateInfo"]
RULES = {"DeviceNetworkEvents": "b915897c-1fe7-47f4-9e06-2ae74da8203e",
         "DeviceFileCertificateInfo": "ba1e02dc-2731-4f65-bdd3-b293e0490e9a"}

def times(name):
    return [float(x) for x in open(f"{out}/{name}.times") if x.strip()]

def med(name):
    return statistics.median(times(name))

def cpu(name):
    try:
        return float(open(f"{out}/{name}.cpu").read())
    except OSError:
        return None

def rss(name):
    return int(open(f"{out}/{name}.rss").read().split()[0]) / 1024

def fmt_cpu(name):
    c = cpu(name)
    return "n/a" if c is None else f"{c:.2f} s"

def rows_of(name):
    """Rows rulecat read, from its summary line."""
    line = [l for l in open(f"{out}/{name}.stderr") if l.startswith("rulecat:")][-1]
    return int(line.split()[1])

print(f"Rows per file: {rows:,}; rulecat pinned to one core (`taskset`, `RAYON_NUM_THREADS=1`); "
      f"median of {runs} runs (hyperfine, warm page cache). Load average (1/5/15 min): "
      f"{load_start} at the start, {load_end} at the end; timed at nice {os.getpriority(os.PRIO_PROCESS, 0)}.")
print()
print("| table | format | file size | median wall | min – max | CPU (user+sys) | rows/s (wall) | MB/s (wall) | rows/s (CPU) | peak RSS |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for t in TABLES:
    for fmt in ["jsonl", "csv"]:
        name = f"match-{t}-{fmt}"
        size = os.path.getsize(f"{data}/{t}.{fmt}")
        n = rows_of(name)
        m = med(name)
        ts = times(name)
        c = cpu(name)
        per_cpu = f"{n / c / 1e6:.2f} M" if c else "n/a"
        print(f"| {t} | {fmt} | {size / 1e6:,.0f} MB | {m:.3f} s | {min(ts):.3f} – {max(ts):.3f} s | "
              f"{fmt_cpu(name)} | {n / m / 1e6:.2f} M | {size / m / 1e6:,.0f} | {per_cpu} | {rss(name):.1f} MiB |")
print()
print("Indicator scaling (one rule, `RemoteUrl has_any (N domains)` plus the two `has` conditions, "
      "over DeviceNetworkEvents.jsonl):")
print()
print("| N domains | indicators in the bundle | median wall | ns/row (wall) | ns/row (CPU) | results | peak RSS |")
print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
base = None
for n in scale_ns.split():
    name = f"scale-{n}"
    b = json.load(open(f"{data}/bundle-scale-{n}.json"))
    nind = len(b["indicators"])
    m = med(name)
    c = cpu(name)
    nrows = rows_of(name)
    results = sum(1 for _ in open(f"{out}/{name}.out"))
    print(f"| {int(n):,} | {nind:,} | {m:.3f} s | {m / nrows * 1e9:.0f} | "
          f"{'n/a' if c is None else f'{c / nrows * 1e9:.0f}'} | {results} groups | {rss(name):.1f} MiB |")
print()

def norm_time(s):
    # Compare instants: pad the fraction to 7 digits.
    s = s.rstrip("Z")
    head, _, frac = s.partition(".")
    return head + "." + frac.ljust(7, "0")

def key_rows(rows, by):
    return sorted(
        (tuple(r[k] for k in by), norm_time(r["FirstSeen"]), norm_time(r["LastSeen"]),
         tuple(sorted(int(x) for x in r["Report"])), int(r["Count"]))
        for r in rows)

print("DuckDB against rulecat, the two ZohoAssist rules (rulecat: a bundle of just those two "
      "rules, 1 core; DuckDB: query time inside one Python process, median of "
      f"{duck_runs} runs, default threads and `SET threads=1`):")
print()
default_threads = json.load(open(f"{out}/duck-{TABLES[0]}-jsonl-0.json"))["threads"]
print(f"| rule | format | rulecat (1 core) | DuckDB ({default_threads} threads, default) | DuckDB (1 thread) | "
      f"ratio DuckDB/rulecat, {default_threads} threads | ratio, 1 thread vs 1 core | groups | results equal |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
version = None
for t in TABLES:
    by = ["DeviceId", "DeviceName"] + (["RemoteUrl"] if t == "DeviceNetworkEvents" else [])
    for fmt in ["jsonl", "csv"]:
        name = f"zoho-{t}-{fmt}"
        rc = [json.loads(l)["row"] for l in open(f"{out}/{name}.out")
              if json.loads(l)["rule"] == RULES[t]]
        r = med(name)
        d = {}
        equal = True
        for th in ["0", "1"]:
            j = json.load(open(f"{out}/duck-{t}-{fmt}-{th}.json"))
            version = j["version"]
            d[th] = (statistics.median(j["times"]), j["threads"])
            equal &= key_rows(j["rows"], by) == key_rows(rc, by)
        rule = "ZohoAssist netconn" if t == "DeviceNetworkEvents" else "ZohoAssist filesig"
        print(f"| {rule} | {fmt} | {r:.3f} s | {d['0'][0]:.3f} s | {d['1'][0]:.3f} s | "
              f"**{d['0'][0] / r:.1f}×** | **{d['1'][0] / r:.1f}×** | {len(rc)} | "
              f"{'yes' if equal else '**NO**'} |")
print()
print(f"DuckDB {version} (PyPI). Ratios above 1 mean rulecat is faster.")
PY
cat "$DATA/results.md"

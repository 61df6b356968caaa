#!/usr/bin/env bash
# Load benchmark: rulecat vs check-jsonschema on a generated catalog.
#
# Builds rulecat in release mode, generates COUNT rules with gen-catalog into
# bench-data/catalog, then times, on the same files in the same run:
#   - `rulecat lint bench-data/catalog --format json`  (2 cores, and RAYON_NUM_THREADS=1)
#   - `check-jsonschema --schemafile schema/hunting-query.schema.json <every file>`  (PyPI, in a venv)
# Wall time with hyperfine (warm page cache; a timing loop if hyperfine is missing),
# peak RSS with /usr/bin/time. Prints a markdown table, also written to
# bench-data/results.md.
#
# Run from anywhere (it cds to the repo root); idempotent. Knobs (environment):
#   COUNT=10000 SEED=42 RUNS=10 WARMUP=2 RSS_RUNS=3 CJ_RUNS=3 CHECK_JSONSCHEMA_VERSION=0.39.0
#   INSTALL_TOOLS=1 (apt-get install hyperfine/time when missing and running as root)
#   SKIP_BUILD=1 (time the release binaries already in target/: the generator's output
#     depends only on COUNT and SEED)
#   BENCH_NICE=-19 (renice the timed part, as root, and its scheduler autogroup when
#     autogroups are on: on a shared machine this gives the measured processes the CPU
#     ahead of other sessions' work, which approximates an idle machine; reset on exit)
# rulecat exits 1 when it finds errors; that is a result, not a failure of the benchmark.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)

COUNT=${COUNT:-10000}
SEED=${SEED:-42}
RUNS=${RUNS:-10}
WARMUP=${WARMUP:-2}
RSS_RUNS=${RSS_RUNS:-3}
CJ_RUNS=${CJ_RUNS:-3}
CJ_VERSION=${CHECK_JSONSCHEMA_VERSION:-0.39.0}
INSTALL_TOOLS=${INSTALL_TOOLS:-1}

DATA=bench-data
CATALOG=$DATA/catalog
SCHEMA=schema/hunting-query.schema.json
TARGET=${CARGO_TARGET_DIR:-target}
RULECAT=$TARGET/release/rulecat
GEN=$TARGET/release/examples/gen-catalog
VENV=$DATA/venv
CJ=$VENV/bin/check-jsonschema
OUT=$DATA/results
mkdir -p "$OUT"

BENCH_NAME=bench/load.sh
# shellcheck source=bench/common.sh
. bench/common.sh # (the script has cd-ed to the repository root)

# ---- tools ------------------------------------------------------------
ensure_timing_tools

# ---- build and generate ---------------------------------------------------------------
if [ "${SKIP_BUILD:-0}" = 1 ]; then
    log "SKIP_BUILD=1: using the release binaries already built"
    [ -x "$RULECAT" ] && [ -x "$GEN" ] || die "SKIP_BUILD=1 but $RULECAT or $GEN is missing"
else
    log "building release binaries"
    cargo build --release --quiet --bin rulecat
    cargo build --release --quiet --example gen-catalog
fi
log "generating $COUNT rules (seed $SEED) into $CATALOG"
GEN_SUMMARY=$("$GEN" --count "$COUNT" --seed "$SEED" --out "$CATALOG")
echo "$GEN_SUMMARY" >&2

FILES=$DATA/files.txt
find "$CATALOG" -type f -name '*.yaml' | LC_ALL=C sort >"$FILES"
NFILES=$(wc -l <"$FILES")
[ "$NFILES" -eq "$COUNT" ] || die "expected $COUNT files in $CATALOG, found $NFILES"

# ---- check-jsonschema in a venv --------------------------------------------------------
if [ ! -x "$CJ" ] || [ "$("$CJ" --version 2>/dev/null | awk '{print $NF}')" != "$CJ_VERSION" ]; then
    log "installing check-jsonschema $CJ_VERSION into $VENV"
    [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "check-jsonschema==$CJ_VERSION"
fi
CJ_VERSION_SEEN=$("$CJ" --version | awk '{print $NF}')

# 10,000 paths do not fit in one shell-command argument (hyperfine passes the command to
# `sh -c`), so a wrapper reads the list and execs check-jsonschema with every file at once.
CJ_WRAPPER=$DATA/check-jsonschema-all.sh
cat >"$CJ_WRAPPER" <<EOF
#!/usr/bin/env bash
set -euo pipefail
cd "$ROOT"
mapfile -t files <"$FILES"
exec "$CJ" --schemafile "$SCHEMA" "\${files[@]}"
EOF
chmod +x "$CJ_WRAPPER"

RULECAT_CMD="$RULECAT lint $CATALOG --format json"

apply_bench_nice

# ---- correctness: one run of each, with exit codes --------------------------------------
log "checking exit codes"
set +e
$RULECAT_CMD >"$OUT/rulecat.json" 2>"$OUT/rulecat.stderr"
RC_RULECAT=$?
"$CJ_WRAPPER" >"$OUT/check-jsonschema.out" 2>&1
RC_CJ=$?
set -e
[ "$RC_RULECAT" -le 1 ] || die "rulecat failed (exit $RC_RULECAT): $(tail -3 "$OUT/rulecat.stderr")"
[ "$RC_CJ" -le 1 ] || die "check-jsonschema failed (exit $RC_CJ): $(tail -3 "$OUT/check-jsonschema.out")"
RULECAT_SUMMARY=$(python3 - "$OUT/rulecat.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
s = report["summary"]
codes = {}
for d in report["diagnostics"]:
    codes[d["code"]] = codes.get(d["code"], 0) + 1
by_code = " (" + ", ".join(f"{k}: {v}" for k, v in sorted(codes.items())) + ")" if codes else ""
print(f"{s['rules']} rules loaded, {s['errors']} errors, {s['warnings']} warnings, {s['notes']} notes{by_code}")
PY
)
CJ_SUMMARY=$(tail -1 "$OUT/check-jsonschema.out")
log "rulecat (exit $RC_RULECAT): $RULECAT_SUMMARY"
log "check-jsonschema (exit $RC_CJ): $CJ_SUMMARY"

# ---- wall time ---------------------------------------------------------------------------
cut -d' ' -f1-3 /proc/loadavg >"$OUT/loadavg.start"
log "timing rulecat, $(nproc) cores ($RUNS runs); load average $(cat "$OUT/loadavg.start")"
time_cmd rulecat-2 "$RUNS" "$WARMUP" "$RULECAT_CMD"
peak_rss rulecat-2 "$RSS_RUNS" "$RULECAT_CMD"
log "timing rulecat, RAYON_NUM_THREADS=1 ($RUNS runs)"
time_cmd rulecat-1 "$RUNS" "$WARMUP" "RAYON_NUM_THREADS=1 $RULECAT_CMD"
peak_rss rulecat-1 "$RSS_RUNS" "env RAYON_NUM_THREADS=1 $RULECAT_CMD"
log "timing check-jsonschema ($CJ_RUNS runs)"
time_cmd check-jsonschema "$CJ_RUNS" 1 "$CJ_WRAPPER"
peak_rss check-jsonschema 1 "$CJ_WRAPPER"

# ---- report ------------------------------------------------------------------------------
python3 - "$OUT" "$RUNS" "$CJ_RUNS" "$NFILES" "$GEN_SUMMARY" "$RULECAT_SUMMARY" "$RC_RULECAT" \
    "$CJ_SUMMARY" "$RC_CJ" "$CJ_VERSION_SEEN" >"$DATA/results.md" <<'PY'
import os, statistics, sys
out, runs, cj_runs, nfiles, gen, rsum, rrc, csum, crc, cjv = sys.argv[1:]

def times(name):
    return [float(x) for x in open(f"{out}/{name}.times") if x.strip()]

def rss(name):
    return max(int(x) for x in open(f"{out}/{name}.rss") if x.strip())

def cpu(name):
    try:
        return f"{float(open(f'{out}/{name}.cpu').read()):.3f} s"
    except OSError:
        return "n/a"

def fmt(ts):
    med = statistics.median(ts)
    return f"{med:.3f} s", f"{min(ts):.3f} – {max(ts):.3f} s", med

rows = [
    ("rulecat lint, 2 cores", "rulecat-2", runs),
    ("rulecat lint, 1 core (`RAYON_NUM_THREADS=1`)", "rulecat-1", runs),
    (f"check-jsonschema {cjv}", "check-jsonschema", cj_runs),
]
meds = {}
load = open("/proc/loadavg").read().split()[:3]
print(f"Catalog: {gen}")
print()
start = open(f"{out}/loadavg.start").read().strip()
print(f"Load average (1, 5, 15 min) at the start of the timed part: {start}; at the end: {' '.join(load)}; timed at nice {os.getpriority(os.PRIO_PROCESS, 0)}")
print()
print("| tool | runs | median wall | min – max | CPU (user+sys, mean) | peak RSS |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
for label, name, n in rows:
    med_s, rng, med = fmt(times(name))
    meds[name] = med
    print(f"| {label} | {n} | {med_s} | {rng} | {cpu(name)} | {rss(name) / 1024:.1f} MiB |")
print()
cj = meds["check-jsonschema"]
print(f"Ratio (check-jsonschema / rulecat, median wall): **{cj / meds['rulecat-2']:.1f}×** "
      f"against 2 cores, **{cj / meds['rulecat-1']:.1f}×** against 1 core.")
target = "met" if meds["rulecat-2"] < 0.5 else "MISSED"
print(f"Target (< 0.5 s for {nfiles} rules on 2 cores, every lint on): {target}.")
print()
print(f"- rulecat (exit {rrc}): {rsum}")
print(f"- check-jsonschema (exit {crc}): {csum}")
PY
cat "$DATA/results.md"

# Shared by the bench/*.sh scripts (sourced, not run): logging and the timing tools.
# The sourcing script sets INSTALL_TOOLS (1 = apt-get missing tools when root) and
# BENCH_NAME (for error messages).

log() { printf '==> %s\n' "$*" >&2; }
die() { printf '%s: error: %s\n' "${BENCH_NAME:-bench}" "$*" >&2; exit 2; }
have() { command -v "$1" >/dev/null 2>&1; }

# hyperfine (optional: a timing loop stands in) and GNU time (needed for peak RSS).
ensure_timing_tools() {
    if ! have hyperfine || [ ! -x /usr/bin/time ]; then
        if [ "${INSTALL_TOOLS:-1}" = 1 ] && [ "$(id -u)" = 0 ] && have apt-get; then
            log "installing hyperfine and time with apt-get"
            { apt-get update -qq && apt-get install -y -qq hyperfine time; } >/dev/null 2>&1 ||
                log "apt-get failed; falling back to a timing loop"
        fi
    fi
    [ -x /usr/bin/time ] || die "/usr/bin/time (GNU time) is needed for peak RSS: apt-get install time"
    have python3 || die "python3 is needed"
}

# apply_bench_nice: with BENCH_NICE set, renices this script (and so the timed part) and,
# with autogroups, its scheduler autogroup: nice alone only orders processes inside one
# session; the group's own nice orders sessions. Restored at exit.
apply_bench_nice() {
    [ -n "${BENCH_NICE:-}" ] || return 0
    renice -n "$BENCH_NICE" -p $$ >/dev/null || die "cannot renice to $BENCH_NICE (root needed for negative values)"
    if [ -w /proc/$$/autogroup ] && [ "$(cat /proc/sys/kernel/sched_autogroup_enabled 2>/dev/null)" = 1 ]; then
        AUTOGROUP_NICE=$(sed -n 's/.*nice \(-\?[0-9]*\).*/\1/p' /proc/$$/autogroup)
        trap 'echo "${AUTOGROUP_NICE:-0}" >/proc/$$/autogroup 2>/dev/null || true' EXIT
        echo "$BENCH_NICE" >/proc/$$/autogroup || die "cannot set the autogroup nice"
    fi
    log "timed part runs at nice $BENCH_NICE"
}

# The timing helpers write into $OUT (set by the sourcing script). A failing command is
# timed all the same (`rulecat lint` exits 1 on findings): check exit codes in a separate
# run first.
# time_cmd NAME RUNS WARMUP COMMAND: writes $OUT/NAME.times (one wall time in seconds a line).
time_cmd() {
    local name=$1 runs=$2 warmup=$3 cmd=$4
    if have hyperfine; then
        hyperfine --ignore-failure --style basic --warmup "$warmup" --runs "$runs" \
            --export-json "$OUT/$name.hyperfine.json" "$cmd" >&2
        python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
for t in r["times"]:
    print(t)
print(r["user"] + r["system"], file=open(sys.argv[2], "w"))' "$OUT/$name.hyperfine.json" "$OUT/$name.cpu" >"$OUT/$name.times"
    else
        local i s e
        rm -f "$OUT/$name.cpu"
        for ((i = 0; i < warmup; i++)); do bash -c "$cmd" >/dev/null 2>&1 || true; done
        : >"$OUT/$name.times"
        for ((i = 0; i < runs; i++)); do
            s=$(date +%s.%N)
            bash -c "$cmd" >/dev/null 2>&1 || true
            e=$(date +%s.%N)
            awk -v s="$s" -v e="$e" 'BEGIN { printf "%.6f\n", e - s }' >>"$OUT/$name.times"
        done
    fi
}

# peak_rss NAME RUNS COMMAND: writes $OUT/NAME.rss (peak RSS in KiB a line).
peak_rss() {
    local name=$1 runs=$2 cmd=$3 i
    : >"$OUT/$name.rss"
    for ((i = 0; i < runs; i++)); do
        /usr/bin/time -f '%M' -o "$OUT/$name.rss.one" bash -c "exec $cmd" >/dev/null 2>&1 || true
        tail -1 "$OUT/$name.rss.one" >>"$OUT/$name.rss"
    done
}

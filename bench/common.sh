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

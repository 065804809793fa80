# Sourced by the test scripts (tests/*.sh): the build folder, a scratch
# folder removed on exit, the pass/fail/skip counters and the closing line
# that tests/run.sh reads. A script may redefine any of these after it.
set -u
BUILD=${BUILD:-build}
pass=0 fail=0 skip=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAILED: $*"; }
check() { # check <name> <command...>: passes when the command succeeds
    local name=$1; shift
    if "$@"; then ok; else bad "$name"; fi
}

# finish <name>: print "<name>: N passed, M failed[, K skipped]"; the status
# is 0 when nothing failed.
finish() {
    if [ "$skip" -gt 0 ]; then
        echo "$1: $pass passed, $fail failed, $skip skipped"
    else
        echo "$1: $pass passed, $fail failed"
    fi
    [ "$fail" -eq 0 ]
}

#!/usr/bin/env bash
# Run every test program of the suite and print one closing line:
# "N passed, M failed[, K skipped]". cmocka binaries report their own
# counts; the other programs print the same closing line themselves.
set -u
BUILD=${BUILD:-build}
export VLAB_BUILD=$BUILD # where 'vlab grade' finds build/guests/*.elf
passed=0 failed=0 skipped=0 bad=()

count() { # count <name> <output file> <exit status>
    local p f s
    p=$(grep -aoE '\[  PASSED  \] [0-9]+' "$2" | awk '{s+=$4} END {print s+0}')
    f=$(grep -aoE '\[  FAILED  \] [0-9]+' "$2" | awk '{s+=$4} END {print s+0}')
    s=$(grep -aoE '\[  SKIPPED \] [0-9]+' "$2" | awk '{s+=$4} END {print s+0}')
    if [ "$p$f$s" = "000" ]; then
        read -r p f s < <(grep -aoE '^([A-Za-z-]+: )?[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?' "$2" | tail -1 |
                          sed -E 's/^[A-Za-z-]+: //; s/[^0-9]+/ /g' | awk '{print $1+0, $2+0, $3+0}')
        p=${p:-0} f=${f:-0} s=${s:-0}
    fi
    if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
    [ "$f" -ne 0 ] && bad+=("$1")
}

run() { # run <name> <command...>
    local name=$1; shift
    local out; out=$(mktemp)
    echo "== $name"
    "$@" >"$out" 2>&1
    local rc=$?
    grep -aE 'SKIPPED|FAILED|mismatch|sequences|passed,' "$out" | grep -v '^\[  PASSED' | head -40
    [ $rc -ne 0 ] && tail -30 "$out"
    count "$name" "$out" $rc
    rm -f "$out"
}

for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] && run "$(basename "$t")" "$t"
done
for t in tests/*.sh; do
    case "$t" in tests/run.sh) continue ;; esac
    run "$(basename "$t")" env BUILD="$BUILD" bash "$t"
done
run native32_selftest "$BUILD/tests/native32_selftest"
run difftest "$BUILD/tests/difftest" --sequences "${DIFF_N:-30000}"
run objdump-corpus "$BUILD/tests/objdump_compare"
run objdump-guests "$BUILD/tests/objdump_compare" "$BUILD"/guests/*.elf

echo
[ ${#bad[@]} -ne 0 ] && echo "failing: ${bad[*]}"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]

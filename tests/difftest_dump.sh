#!/usr/bin/env bash
# difftest --dump: vlab's outcome of every generated sequence, one line each.
# It works with or without a host that runs 32-bit code; two runs of one
# build give the same bytes (the engine is deterministic), so comparing the
# dumps of two builds (cmp) shows exactly where a change altered behaviour —
# the check an optimisation of the interpreter gets where the host CPU
# cannot serve as the oracle.
. "$(dirname "$0")/support/check.sh"
DIFFTEST=$BUILD/tests/difftest

n=20000
"$DIFFTEST" --sequences $n --seed 7 --dump "$tmp/a" >"$tmp/out-a" 2>&1 || bad "first run: $(tail -1 "$tmp/out-a")"
"$DIFFTEST" --sequences $n --seed 7 --dump "$tmp/b" >"$tmp/out-b" 2>&1 || bad "second run: $(tail -1 "$tmp/out-b")"
[ "$(wc -l <"$tmp/a")" -eq $n ] && ok || bad "the dump has $(wc -l <"$tmp/a") lines, not $n"
cmp -s "$tmp/a" "$tmp/b" && ok || bad "two runs of the same seed differ: $(cmp "$tmp/a" "$tmp/b")"
# Every line: the index, 8 registers, then the named fields.
bad_lines=$(grep -cvE '^[0-9]+( [0-9a-f]{8}){8} fl=[0-9a-f]{8} eip=[0-9a-f]{8} sig=-?[0-9]+/-?[0-9]+ err=[0-9a-f]+ addr=[0-9a-f]{8} stop=.+ arena=[0-9a-f]{16}$' "$tmp/a")
[ "$bad_lines" -eq 0 ] && ok || bad "$bad_lines malformed dump lines"
# Faults appear: the generator provokes exceptions (#DE, #PF, #UD ...).
grep -qE 'sig=[1-9]' "$tmp/a" && ok || bad "no sequence faulted"
# Another seed gives other sequences.
"$DIFFTEST" --sequences 200 --seed 8 --dump "$tmp/c" >/dev/null 2>&1
cmp -s <(head -200 "$tmp/a") "$tmp/c" && bad "seeds 7 and 8 gave the same dump" || ok
# A dump that cannot be written: status 2 and the file named.
"$DIFFTEST" --sequences 10 --dump /nonexistent/dir/x >"$tmp/out-d" 2>&1
[ $? -eq 2 ] && grep -q '/nonexistent/dir/x' "$tmp/out-d" && ok || bad "unwritable dump: $(cat "$tmp/out-d")"

finish difftest_dump

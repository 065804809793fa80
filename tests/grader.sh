#!/usr/bin/env bash
# vlab grade as instructors and CI meet it: tests/grader/basic (passing
# tests, a failing expect, a Lua error, a parent's failure skipping its
# child, parts, a hidden file) in every report format, each parsed;
# tests/grader/robust (a SIGSEGV, an abort, an endless loop, a memory hog, a
# sleeper, an instruction budget, a bad image) where each misbehaving test
# fails alone with its reason and the others pass; exit statuses; no
# process left behind after an interrupt.
. "$(dirname "$0")/support/check.sh"
VLAB=${VLAB:-$BUILD/vlab}
BASIC=tests/grader/basic
ROBUST=tests/grader/robust

[ -f "$BUILD/guests/kernel.elf" ] || { echo "grader: guests are missing (make all builds them)"; echo "grader: 0 passed, 1 failed"; exit 1; }

# ---- basic: statuses in the text report, every format parsed ---------------
"$VLAB" grade "$BASIC" --hidden -j 2 >"$tmp/text" 2>"$tmp/text.err"
check "a failing visible test gives exit status 1" [ $? -eq 1 ]
for name in "hello boots" "memory round trip" "exec adds" "decode and walk" "kernel page fault event" "run_until halt" "after the due date" "hidden test"; do
    check "'$name' passed" grep -qE "^[0-9]+ +$name +[a-z]+ +[0-9.]+/[0-9.]+ +passed" "$tmp/text"
done
check "the failing expect failed" grep -qE "^[0-9]+ +a failing expectation .* failed" "$tmp/text"
check "its message names the line, expected and seen" grep -q "grade.lua:[0-9]*: the exit status" "$tmp/text"
check "its message shows the expected value" grep -q "expected: 42 (0x2a)" "$tmp/text"
check "its message shows the last trace events" grep -q "last events of the machine" "$tmp/text"
check "the Lua error failed with its message" grep -q "Lua error: .*attempt to index a nil value" "$tmp/text"
check "the child of a failed parent was skipped" grep -qE "^[0-9]+ +child of a failure .* skipped" "$tmp/text"
check "parts have subtotals" grep -qE "^part boot +7/7$" "$tmp/text"
check "the total is right" grep -q "^total: 19/26 points, 8 of 11 tests passed" "$tmp/text"

"$VLAB" grade "$BASIC" >"$tmp/visible" 2>&1
check "hidden tests are loaded whenever present" grep -q 'hidden test' "$tmp/visible"
"$VLAB" grade "$ROBUST" --hidden >/dev/null 2>&1
check "--hidden without a hidden/ directory is an error (status 2)" [ $? -eq 2 ]
"$VLAB" grade "$BASIC" --min-score 19 >/dev/null 2>&1
check "--min-score met gives exit status 0" [ $? -eq 0 ]
"$VLAB" grade "$BASIC" --min-score 19.5 >/dev/null 2>&1
check "--min-score missed gives exit status 1" [ $? -eq 1 ]
"$VLAB" grade "$BASIC" --format nonsense >/dev/null 2>&1
check "an unknown format gives exit status 2" [ $? -eq 2 ]
"$VLAB" grade "$tmp/nowhere" >/dev/null 2>&1
check "a missing grade.lua gives exit status 2" [ $? -eq 2 ]

for fmt in gradescope prairielearn junit autolab; do
    "$VLAB" grade "$BASIC" --hidden --format "$fmt" --output "$tmp/out.$fmt" 2>/dev/null
    check "--format $fmt exits 1 with a failing test" [ $? -eq 1 ]
done
check "Gradescope results.json parses and says the right things" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
t = {x["name"]: x for x in d["tests"]}
assert d["score"] == 19 and d["max_score"] == 26 and d["execution_time"] >= 0
assert t["hello boots"]["status"] == "passed" and t["hello boots"]["score"] == 5
assert t["a failing expectation"]["status"] == "failed" and t["a failing expectation"]["score"] == 0
assert "expected: 42" in t["a failing expectation"]["output"]
assert t["child of a failure"]["status"] == "failed" and "skipped" in t["child of a failure"]["output"]
assert t["after the due date"]["visibility"] == "after_due_date"
assert t["hidden test"]["visibility"] == "hidden"
assert "console: 52 bytes" in t["hello boots"]["output"]
' "$tmp/out.gradescope"
check "PrairieLearn results.json parses and says the right things" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert abs(d["score"] - 19 / 26) < 1e-6
t = {x["name"]: x for x in d["tests"]}
assert t["exec adds"]["points"] == 3 and t["exec adds"]["max_points"] == 3
assert t["a Lua error"]["points"] == 0 and "attempt to index" in t["a Lua error"]["output"]
' "$tmp/out.prairielearn"
check "JUnit XML parses and counts failures and skips" python3 -c '
import sys, xml.dom.minidom
d = xml.dom.minidom.parse(sys.argv[1])
assert len(d.getElementsByTagName("testcase")) == 11
assert len(d.getElementsByTagName("failure")) == 2
assert len(d.getElementsByTagName("skipped")) == 1
s = d.getElementsByTagName("testsuite")[0]
assert s.getAttribute("failures") == "2" and s.getAttribute("skipped") == "1"
' "$tmp/out.junit"
check "Autolab: the last line is the scores by part" python3 -c '
import json, sys
d = json.loads(open(sys.argv[1]).read().splitlines()[-1])
assert d == {"scores": {"boot": 7, "unit": 9, "failures": 1, "hidden": 2}}, d
' "$tmp/out.autolab"

# ---- robust: each misbehaving test fails alone, with its reason -------------
# (No wall-clock check: that the sleeper was killed at its limit, not waited
# for, is what its reason line below says.)
"$VLAB" grade "$ROBUST" -j 4 >"$tmp/robust" 2>&1
check "the robustness suite exits 1" [ $? -eq 1 ]
reason() { # reason <test> <text>: the line after the test's row has the text
    grep -A1 -E "^[0-9]+ +$1 " "$tmp/robust" | tail -1 | grep -q "$2"
}
if grep -q __asan_init "$VLAB"; then
    echo "grader: an ASan build: the SIGSEGV and memory-limit checks do not apply (ASan catches SIGSEGV itself and needs an unlimited address space)"
else
    check "a SIGSEGV fails its test" reason segfault "crashed with SIGSEGV"
    check "a memory hog runs out of memory" reason "memory hog" "out of memory"
fi
check "an abort fails its test" reason abort "crashed with SIGABRT"
check "an endless loop exceeds its CPU time" reason "endless loop" "exceeded 1 s of CPU time"
check "a sleeper is killed at its wall-clock limit" reason sleeper "exceeded 1 s of wall-clock time"
check "a bad image fails with the loader's sentence" reason "bad image" "no-such.elf: cannot read the image"
for name in "passes before" "guest budget" "passes after"; do
    check "'$name' still passed" grep -qE "^[0-9]+ +$name .* passed" "$tmp/robust"
done

# ---- an interrupt leaves no process behind -----------------------------------
"$VLAB" grade "$ROBUST" -j 9 >/dev/null 2>&1 &
grader=$!
sleep 0.5
kill -INT "$grader"
wait "$grader"
check "SIGINT stops the grader" [ $? -ne 0 ]
left() { pgrep -f '^sleep 30$' || pgrep -f "^$VLAB grade $ROBUST"; }
for _ in $(seq 50); do # the children may take a moment to go on a loaded machine
    [ -z "$(left)" ] && break
    sleep 0.2
done
check "no test process is left after SIGINT" [ -z "$(left)" ]

finish grader

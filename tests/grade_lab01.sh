#!/usr/bin/env bash
# The reference tree scores full marks on lab 1's tests, public and hidden,
# and the Gradescope report says so.
set -u
BUILD=${BUILD:-build}
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$BUILD/vlab" grade labs/01-emulation --hidden -j 2 --format gradescope --output "$tmp/r.json" >"$tmp/out" 2>&1
status=$?
if [ "$status" -eq 0 ]; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAILED: vlab grade exited with $status"; tail -20 "$tmp/out"; fi
if python3 - "$tmp/r.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
bad = [t["name"] for t in r["tests"] if t["status"] != "passed" or t["score"] != t["max_score"]]
assert r["score"] == sum(t["max_score"] for t in r["tests"]) and not bad, bad
assert sum(1 for t in r["tests"] if t.get("visibility") == "visible") >= 15
assert sum(1 for t in r["tests"] if t.get("visibility") != "visible") >= 5
print(f"grade_lab01: {r['score']:g} points of {len(r['tests'])} tests")
PY
then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAILED: the report is not full marks"; fi

echo "grade_lab01: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

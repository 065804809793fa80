#!/usr/bin/env bash
# `make handout` (scripts/handout.sh): the lab 1 student tree.
#
# In a temporary directory (with a space in its path, to keep the script
# honest about quoting):
#   - the script refuses a bad LAB and a non-empty OUT;
#   - the lab 1 handout has no solution region of lab 1 or later left, every
#     lab 1 stub in place, and no labs/*/hidden/;
#   - the reference tree is untouched (its marked files and hidden/ folders);
#   - the handout builds: `make -j2 all`, with -Werror as always;
#   - `build/vlab grade labs/01-emulation` there runs to the end (status 1:
#     failing tests), no test crashes or runs out of time, the parts whose
#     code was stripped score 0 with every test failed or skipped, the tests
#     outside them still pass, and "not implemented: lab01: NAME" is printed
#     for the stubs the tests reach.
#
# Prints "handout: N passed, M failed[, K skipped]".
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
pass=0 fail=0 skip=0
ok() { pass=$((pass + 1)); echo "  ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAILED: $*"; }
skipped() { skip=$((skip + 1)); echo "  skipped: $*"; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vlab handout.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
script=$root/scripts/handout.sh
lab=01 labdir=labs/01-emulation
hand="$tmp/lab 01 handout"
t0=$(date +%s)

# The reference files the handout must not touch: the marked sources (their
# contents) and the hidden/ folders (that they are still there: their
# contents may be being written while this runs).
ref_files() {
    (cd "$root" && grep -rlE --include='*.c' --include='*.h' --include='*.S' \
        'BEGIN SOLUTION lab[0-9][0-9]' core cli grader guests labs tests visualizer 2>/dev/null |
        LC_ALL=C sort)
}
ref_sum() {
    ref_files | while IFS= read -r f; do printf '%s  ' "$f"; md5sum <"$root/$f"; done
    (cd "$root" && find labs -mindepth 2 -maxdepth 2 -type d -name hidden | LC_ALL=C sort)
}
before=$(ref_sum)
nregions_ref=$(ref_files | grep -E '\.(c|h|S)$' | while IFS= read -r f; do
    grep -cE '^[ \t]*/\* BEGIN SOLUTION lab[0-9][0-9] \*/' "$root/$f"; done | awk '{s += $1} END {print s + 0}')
# The stub names of lab 1, from the reference's STUB lines.
stubs=$(ref_files | grep -E '\.(c|h|S)$' | while IFS= read -r f; do
    grep -hoE 'STUB: .*vlab_todo\("lab01: [A-Za-z0-9_]+"' "$root/$f"; done |
    sed -E 's/.*"lab01: ([A-Za-z0-9_]+)"/\1/' | sort -u)

# ---- 1. refusals ------------------------------------------------------------
echo "== refusals"
refuses() { # refuses <what> <expected message part> <args...>
    local what=$1 msg=$2; shift 2
    local out rc
    out=$("$script" "$@" 2>&1); rc=$?
    if [ $rc -ne 0 ] && grep -qi -- "$msg" <<<"$out"; then ok "refuses $what: $out"
    else bad "handout.sh $* (${what}): status $rc, said: $out"; fi
}
refuses "LAB=x" "lab number" x "$tmp/a"
refuses "LAB=9 (no labs/09-*)" "no lab 09" 9 "$tmp/a"
refuses "an empty LAB" "lab number" "" "$tmp/a"
mkdir -p "$tmp/not empty" && : >"$tmp/not empty/file"
refuses "a non-empty OUT" "not empty" 1 "$tmp/not empty"
: >"$tmp/a file"
refuses "an OUT that is a file" "not a directory" 1 "$tmp/a file"
[ ! -e "$tmp/a" ] && ok "nothing written on refusal" || bad "a refused handout wrote $tmp/a"

# ---- 2. the handout ---------------------------------------------------------
echo "== make the lab $lab handout"
if out=$("$script" "$lab" "$hand" 2>&1); then
    echo "  $out"
    n=$(sed -nE 's/.* ([0-9]+) regions stripped in ([0-9]+) files.*/\1/p' <<<"$out")
    if [ -n "$n" ] && [ "$n" -gt 0 ] && [ "$n" -eq "$nregions_ref" ]; then
        ok "all $n regions stripped (every region is of lab 1 or later)"
    else bad "regions stripped: '${n:-?}', the reference has $nregions_ref"; fi
else
    bad "handout.sh $lab failed: $out"
    echo "handout: $pass passed, $fail failed"; exit 1
fi
left=$(cd "$hand" && grep -rlE --include='*.c' --include='*.h' --include='*.S' \
       'BEGIN SOLUTION|END SOLUTION|STUB:' . 2>/dev/null)
[ -z "$left" ] && ok "no solution marker left" || bad "markers left in: $left"
missing=
for s in $stubs; do
    grep -rqF --include='*.c' --include='*.h' --include='*.S' "vlab_todo(\"lab01: $s\"" "$hand" || missing+=" $s"
done
[ -z "$missing" ] && ok "the $(wc -w <<<"$stubs") lab01 stubs are in place" || bad "stubs missing:$missing"
h=$(cd "$hand" && find . -type d -name hidden -path './labs/*')
[ -z "$h" ] && ok "no labs/*/hidden/" || bad "hidden folders handed out: $h"
[ -f "$hand/Makefile" ] && [ -f "$hand/$labdir/README.md" ] && [ -f "$hand/scripts/handout.sh" ] &&
    [ ! -e "$hand/.git" ] && [ ! -e "$hand/build" ] && ok "tracked files copied, no .git or build/" ||
    bad "the handout's files: Makefile, $labdir/README.md, no .git, no build/"
[ "$(ref_sum)" = "$before" ] && ok "the reference tree is untouched" ||
    bad "the reference tree changed while making the handout: $(diff <(echo "$before") <(ref_sum) | head -5)"

# ---- 3. it builds -----------------------------------------------------------
# The handout is built by the same make as the suite (BUILD and, through
# MAKEFLAGS, SAN=1 carry over), so its program is in the same build folder.
HB=${BUILD:-build}
echo "== build the handout: make -j2 all (-Werror)"
tb=$(date +%s)
if make -C "$hand" -j2 all >"$tmp/make.log" 2>&1; then
    ok "the handout builds ($(($(date +%s) - tb)) s)"
else
    bad "the handout does not build:"; grep -E 'error:|warning:|\*\*\*' "$tmp/make.log" | head -20
    echo "handout: $pass passed, $fail failed"; exit 1
fi

# ---- 4. its grader ----------------------------------------------------------
# The parts of grade.lua and the files holding their code (the README's table);
# "kernel" is everything together. A student who has written parts 1..k
# (simulated by putting back the reference files of those parts) gets full
# points for them, and still 0 for the parts not written.
parts_order="alu paging gates pic"
declare -A part_files=(
    [alu]="core/cpu/exec_alu.c core/cpu/flags.c"
    [paging]="core/mmu/walk.c"
    [gates]="core/cpu/intr.c"
    [pic]="core/dev/pic8259.c"
)
cat >"$tmp/check.py" <<'EOF'
import json, re, sys
path, allout, written, stubs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
written = [p for p in written.split(",") if p]
student = ["alu", "paging", "gates", "pic"]
try:
    r = json.load(open(path))
except Exception as e:
    print(f"BAD the Gradescope report {path} does not parse: {e}"); sys.exit()
tests = r.get("tests", [])
if not tests:
    print("BAD the report has no tests"); sys.exit()
print(f"INFO score {r['score']:g}/{r['max_score']:g}, {len(tests)} tests")
crash = re.compile(r"crashed with SIG|exceeded [0-9.]+ s of (CPU|wall-clock) time|out of memory"
                   r"|exited with status -?\d+ before reporting|AddressSanitizer|runtime error")
crashed = [f"{t['name']}: {crash.search(t.get('output') or '').group(0)}"
           for t in tests if crash.search(t.get("output") or "")]
print("BAD tests crashed or timed out: " + "; ".join(crashed) if crashed
      else "OK no test crashed, timed out or ran out of memory")
def state(t):
    if t["status"] == "passed": return "passed"
    return "skipped" if (t.get("output") or "").startswith("skipped:") else "failed"
parts = {}
for t in tests:
    parts.setdefault((t.get("tags") or ["tests"])[0], []).append(t)
unknown = [p for p in parts if p not in student + ["kernel"]]
absent = [p for p in student if p not in parts]
if unknown or absent:
    print(f"BAD grade.lua's parts are {sorted(parts)}; tests/handout.sh knows {student} and kernel: update its map")
for p in parts:
    ts = parts[p]
    score, top = sum(t["score"] for t in ts), sum(t["max_score"] for t in ts)
    n = {s: sum(state(t) == s for t in ts) for s in ("passed", "failed", "skipped")}
    desc = f"{score:g}/{top:g} points, {n['passed']} passed, {n['failed']} failed, {n['skipped']} skipped"
    if p in written or (p == "kernel" and len(written) == len(student)):
        print(f"OK part '{p}' (written): {desc}" if n["passed"] == len(ts)
              else f"BAD part '{p}' is written but does not pass: {desc}; failing: "
                   + "; ".join(t["name"] + ": " + (t.get("output") or "").split("\n")[0]
                               for t in ts if state(t) != "passed"))
    elif p in student or not written:
        print(f"OK part '{p}' (stripped): {desc}" if score == 0 and n["passed"] == 0
              else f"BAD part '{p}' is stripped but scores: {desc}")
    else:
        print(f"INFO part '{p}' (needs every part): {desc}")
if not written:
    # The messages: on standard error for the stubs the tests reach ...
    text = open(allout, errors="replace").read() + "".join(t.get("output") or "" for t in tests)
    seen = sorted(set(re.findall(r"not implemented: lab01: ([A-Za-z0-9_]+)", text)))
    bogus = [s for s in seen if s not in stubs]
    if bogus: print(f"BAD not-implemented messages for unknown stubs: {bogus}")
    notseen = [s for s in stubs if s not in seen]
    print(f"OK 'not implemented: lab01: NAME' printed for {seen}" if seen
          else "BAD no 'not implemented: lab01: ...' message at all")
    if notseen:
        print(f"INFO stubs no test reaches (their tests are skipped after a failed parent): {notseen}")
    # ... and in the report itself, in each failed test's output, where a
    # student reading results.json looks.
    silent = [t["name"] for t in tests if state(t) == "failed"
              and "not implemented: lab01:" not in (t.get("output") or "")]
    print(f"BAD failed tests whose report output does not say 'not implemented: lab01: ...' "
          f"(it goes to vlab grade's standard error only): {silent}" if silent
          else "OK every failed test's report output says 'not implemented: lab01: ...'")
if len(written) == len(student):
    print(f"OK everything written: {r['score']:g}/{r['max_score']:g}" if r["score"] == r["max_score"]
          and all(state(t) == "passed" for t in tests)
          else f"BAD everything written but {r['score']:g}/{r['max_score']:g} (does the reference "
                  "itself pass? build/vlab grade labs/01-emulation in the repository)")
EOF
grade() { # grade <step name> <written parts, comma-separated>
    local name=$1 written=$2 rc tg
    tg=$(date +%s)
    (cd "$hand" && VLAB_ROOT=$hand timeout 900 "$HB/vlab" grade "$labdir" -j 2 \
        --format gradescope --output "$tmp/results.json") >"$tmp/grade.out" 2>"$tmp/grade.err"
    rc=$?
    local want=1; [ "$written" = "alu,paging,gates,pic" ] && want=0
    if [ $rc -eq $want ]; then ok "$name: vlab grade ran to the end, status $rc ($(($(date +%s) - tg)) s)"
    elif [ $rc -eq 124 ]; then bad "$name: vlab grade did not finish within 900 s"
    else bad "$name: vlab grade exited with status $rc ($want expected):"; tail -5 "$tmp/grade.err"; fi
    cat "$tmp/grade.err" "$tmp/grade.out" >"$tmp/grade.all"
    while IFS= read -r line; do
        case "$line" in
        OK\ *) ok "$name: ${line#OK }" ;;
        BAD\ *) bad "$name: ${line#BAD }" ;;
        *) echo "  $name: ${line#INFO }" ;;
        esac
    done < <(python3 "$tmp/check.py" "$tmp/results.json" "$tmp/grade.all" "$written" $stubs)
}

echo "== build/vlab grade $labdir in the handout"
if [ ! -f "$hand/$labdir/grade.lua" ]; then
    skipped "$labdir/grade.lua does not exist yet: the grader checks are not run"
else
    grade "handout" ""
    (cd "$hand" && VLAB_ROOT=$hand "$HB/vlab" grade "$labdir" -j 2 2>&1) | grep -vE '^ *$' |
        sed 's/^/  | /' | cut -c1-160 | head -70
    echo "== a student who has written parts 1..k: those pass, the others still score 0"
    written=
    for p in $parts_order; do
        for f in ${part_files[$p]}; do cp "$root/$f" "$hand/$f"; done
        written=${written:+$written,}$p
        if make -C "$hand" -j2 all >"$tmp/make.log" 2>&1; then
            grade "written $written" "$written"
        else
            bad "the handout with $written written does not build:"; grep -E 'error:|\*\*\*' "$tmp/make.log" | head
        fi
    done
fi

echo "== the reference tree"
[ "$(ref_sum)" = "$before" ] && ok "still untouched after building and grading the handout" ||
    bad "the reference tree changed: $(diff <(echo "$before") <(ref_sum) | head -5)"
echo "handout: $(($(date +%s) - t0)) s"
if [ "$skip" -gt 0 ]; then echo "handout: $pass passed, $fail failed, $skip skipped"
else echo "handout: $pass passed, $fail failed"; fi
[ "$fail" -eq 0 ]

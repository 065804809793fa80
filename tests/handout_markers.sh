#!/usr/bin/env bash
# The solution markers of the labs (DESIGN.md, "Lab folders") are well formed,
# and a tree with the solutions replaced by their stubs still builds with
# -Werror and runs without crashing.
#
# The grammar, one marker per line, in C and assembler sources:
#
#     /* BEGIN SOLUTION labNN */       starts a region of reference code
#     ...reference code...
#     /* END SOLUTION */               ends it
#     /* STUB: code */                 the very next line: what replaces the
#                                      region in a handout, on one line, at the
#                                      STUB line's indentation. "/* STUB: */"
#                                      (no code) removes the region: used for
#                                      helpers that are the student's to design.
#
# Regions do not nest, and a stub that calls vlab_todo("labNN: ...") names
# its own lab. Any other line that mentions the marker words is an error.
#
# For each lab L that has regions, the regions of L and of every later lab are
# stubbed (what `make handout LAB=L` will hand out) in a copy of the tree, and
# the copy must build (`make all` and every unit test, with -Werror) and boot
# hello and the teaching kernel to some stop -- most likely a
# "not implemented" message -- without crashing or hanging the host program.
#
# Prints "handout-markers: N passed, M failed".
. "$(dirname "$0")/support/check.sh"
root=$(cd "$(dirname "$0")/.." && pwd)

sources() { # every C and assembler file that may hold markers
    (cd "$root" && find core cli tests guests labs grader visualizer \
        \( -name '*.c' -o -name '*.h' -o -name '*.S' \) -type f 2>/dev/null | sort)
}

# Check one file's markers. Prints "file:line: problem" for each error and
# "REGION labNN file:line" for each good region.
check_awk='
function err(msg) { printf "%s:%d: %s\n", FILENAME, FNR, msg }
BEGIN { state = 0 }
{
    is_begin = $0 ~ /^[ \t]*\/\* BEGIN SOLUTION lab[0-9][0-9] \*\/[ \t]*$/
    is_end = $0 ~ /^[ \t]*\/\* END SOLUTION \*\/[ \t]*$/
    is_stub = $0 ~ /^[ \t]*\/\* STUB:( .*)? \*\/[ \t]*$/
    if (state == 2) {
        state = 0
        if (!is_stub) {
            err("END SOLUTION (line " end_line ") is not followed by a STUB line")
        } else {
            code = $0
            sub(/^[ \t]*\/\* STUB: ?/, "", code); sub(/ ?\*\/[ \t]*$/, "", code)
            if (index(code, "*/"))
                err("the stub contains \"*/\"")
            else if (match(code, /vlab_todo\("lab[0-9][0-9]:/) && substr(code, RSTART + 11, 5) != lab)
                err("the stub names " substr(code, RSTART + 11, 5) " inside a " lab " region")
            else
                printf "REGION %s %s:%d\n", lab, FILENAME, begin_line
            next
        }
    }
    if (is_begin) {
        if (state == 1) err("BEGIN SOLUTION inside the region of line " begin_line " (regions do not nest)")
        state = 1; begin_line = FNR
        lab = $0; sub(/^.*BEGIN SOLUTION /, "", lab); sub(/ .*$/, "", lab)
    } else if (is_end) {
        if (state != 1) err("END SOLUTION without BEGIN SOLUTION")
        state = 2; end_line = FNR
    } else if (is_stub) {
        err("a STUB line that does not follow END SOLUTION")
    } else if ($0 ~ /BEGIN SOLUTION|END SOLUTION|STUB:/) {
        err("a malformed marker: " $0)
    }
}
END {
    if (state == 1) { FNR = begin_line; err("BEGIN SOLUTION is never ended") }
    if (state == 2) { FNR = end_line; err("END SOLUTION at the end of the file, with no STUB line") }
}'

# The stubbing itself (what `make handout LAB=L` hands out) is scripts/handout.sh.

# ---- 1. The markers ---------------------------------------------------------
files=()
while IFS= read -r f; do
    grep -qE 'BEGIN SOLUTION|END SOLUTION|STUB:' "$root/$f" && files+=("$f")
done < <(sources)
regions=()
for f in "${files[@]}"; do
    out=$(cd "$root" && awk "$check_awk" "$f")
    while IFS= read -r line; do
        case "$line" in
        REGION*) regions+=("${line#REGION }"); ok ;;
        ?*) bad "$line" ;;
        esac
    done <<<"$out"
done
echo "handout-markers: ${#regions[@]} regions in ${#files[@]} files"
for r in "${regions[@]}"; do echo "  $r"; done
if [ ${#regions[@]} -eq 0 ]; then
    bad "no solution regions found"
fi
[ "$fail" -eq 0 ] || { echo "handout-markers: $pass passed, $fail failed"; exit 1; }

# ---- 2. Each handout builds and runs ----------------------------------------
# run_guest <tree build dir> <name> <vlab run args...>: the run must end by
# itself (any stop: exit, halt, triple fault, budget) with vlab's summary, and
# without a sanitizer report or a signal.
run_guest() {
    local build=$1 name=$2; shift 2
    timeout 120 "$build/vlab" run --max-insns 200000000 "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
    local rc=$?
    local todo; todo=$(grep -c '^vlab: not implemented:' "$tmp/$name.err")
    local stop; stop=$(grep -m1 -vE '^vlab: (not implemented|[0-9]+ instructions|exceptions)' "$tmp/$name.err" |
                       grep '^vlab: ' | tail -1)
    if [ $rc -eq 124 ]; then
        bad "$name: vlab run did not stop within 120 s"
    elif grep -qE 'AddressSanitizer|runtime error|Segmentation|Aborted|core dumped' "$tmp/$name.err" ||
         ! grep -qE '^vlab: [0-9]+ instructions' "$tmp/$name.err"; then
        bad "$name: vlab run crashed (status $rc):"; tail -5 "$tmp/$name.err"
    else
        ok
        echo "  $name: status $rc, $todo not-implemented message(s): $(grep '^vlab: not implemented:' \
              "$tmp/$name.err" | sed 's/^vlab: not implemented: //' | tr '\n' ' ')"
        echo "  $name: ${stop:-(no stop line)}"
    fi
}

labs=$(printf '%s\n' "${regions[@]}" | awk '{print substr($1, 4) + 0}' | sort -n | uniq)
for cut in $labs; do
    name=$(printf 'lab%02d' "$cut")
    tree=$tmp/$name/tree build=$tmp/$name/build
    mkdir -p "$tree"
    "$root/scripts/handout.sh" "$cut" "$tree" >"$tmp/$name.handout" 2>&1 ||
        { bad "$name: scripts/handout.sh failed: $(cat "$tmp/$name.handout")"; continue; }
    left=$(cd "$tree" && grep -rlE 'BEGIN SOLUTION lab(0[0-9]|[1-9][0-9])' "${files[@]}" 2>/dev/null |
           xargs -r awk -v cut="$cut" '/BEGIN SOLUTION lab/ { l = $0; sub(/^.*lab/, "", l); if (l + 0 >= cut + 0) print FILENAME }')
    [ -z "$left" ] || bad "$name handout: regions left after stubbing: $left"
    units=$(cd "$tree" && ls tests/unit/test_*.c 2>/dev/null | sed "s|^tests/unit/\(.*\)\.c$|$build/tests/\1|")
    echo "== $name handout (the regions of lab $cut and later stubbed): make all and the unit tests"
    # shellcheck disable=SC2086
    if make -C "$tree" -j2 all $units BUILD="$build" >"$tmp/$name.make" 2>&1; then
        ok
        run_guest "$build" "$name-hello" "$build/guests/hello.elf"
        run_guest "$build" "$name-kernel" --mem 32M "$build/guests/kernel.elf"
    else
        bad "$name handout does not build:"; grep -E 'error:|\*\*\*' "$tmp/$name.make" | head -20
    fi
done

finish handout-markers

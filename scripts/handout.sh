#!/usr/bin/env bash
# scripts/handout.sh LAB OUT -- write the student tree of lab LAB into OUT
# (DESIGN.md, "Lab folders"; `make handout LAB=NN OUT=DIR`).
#
# - copies the repository's files into OUT: in a git checkout, the tracked
#   files plus the untracked ones git does not ignore (`git ls-files
#   --cached --others --exclude-standard`, so that work not yet committed is
#   handed out as it is in the working tree); otherwise the whole tree
#   without .git and the build directories (build, build-*);
# - in every C and assembler file (*.c, *.h, *.S) replaces each solution
#   region of lab LAB or a later lab by its stub line; the regions of
#   earlier labs keep their reference code (and their markers);
# - deletes every labs/*/hidden/ directory (the instructor tests);
# - prints "handout: lab NN into OUT: N regions stripped in M files".
#
# The marker grammar is checked by tests/handout_markers.sh:
#
#     /* BEGIN SOLUTION labNN */
#     ...reference code...
#     /* END SOLUTION */
#     /* STUB: code */            one line, replaces the region at its own
#                                 indentation; "/* STUB: */" removes it.
#
# LAB is a lab number (1, 01, ...) with a labs/NN-* folder. OUT must not
# exist, or be an empty directory. Exit status 0 on success, 1 otherwise.
#
# For tests/handout_markers.sh: `scripts/handout.sh --strip CUT FILE...`
# strips the regions of lab CUT and later in place in the given files.
set -u -o pipefail
shopt -s nullglob

die() { echo "handout: $*" >&2; exit 1; }

# Replace the regions of lab `cut` and later by their stubs (stdin to stdout);
# with -v countfile=F, write the number of regions replaced to F.
strip_awk='
BEGIN { state = 0; n = 0 }
state == 1 { if ($0 ~ /^[ \t]*\/\* END SOLUTION \*\//) state = 2; next }
state == 2 {
    indent = $0; sub(/[^ \t].*$/, "", indent)
    code = $0; sub(/^[ \t]*\/\* STUB: ?/, "", code); sub(/ ?\*\/[ \t]*$/, "", code)
    if (code != "") print indent code
    state = 0; next
}
state == 3 { if ($0 ~ /^[ \t]*\/\* END SOLUTION \*\//) state = 4; print; next }
state == 4 { state = 0; print; next }
/^[ \t]*\/\* BEGIN SOLUTION lab[0-9][0-9] \*\// {
    lab = $0; sub(/^.*BEGIN SOLUTION lab/, "", lab); sub(/ .*$/, "", lab)
    if (lab + 0 >= cut + 0) { state = 1; n++; next }
    state = 3
}
{ print }
END { if (countfile != "") print n > countfile }'

# strip_file CUT FILE: in place, keeping the file's mode. Prints the count.
strip_file() {
    local cut=$1 f=$2 tmpf countf n
    tmpf=$(mktemp) countf=$(mktemp)
    if ! awk -v cut="$cut" -v countfile="$countf" "$strip_awk" "$f" >"$tmpf"; then
        rm -f "$tmpf" "$countf"; die "could not strip $f"
    fi
    n=$(cat "$countf")
    [ "${n:-0}" -gt 0 ] && cat "$tmpf" >"$f"
    rm -f "$tmpf" "$countf"
    echo "${n:-0}"
}

if [ "${1:-}" = "--strip" ]; then
    [ $# -ge 2 ] || die "usage: scripts/handout.sh --strip CUT FILE..."
    cut=$2; shift 2
    for f in "$@"; do strip_file "$cut" "$f" >/dev/null; done
    exit 0
fi

[ $# -eq 2 ] || die "usage: make handout LAB=NN OUT=DIR (scripts/handout.sh LAB OUT)"
lab=$1 out=$2
root=$(cd "$(dirname "$0")/.." && pwd) || die "cannot find the repository root"

# ---- LAB ---------------------------------------------------------------------
[[ "$lab" =~ ^[0-9]{1,2}$ ]] ||
    die "LAB must be a lab number such as 1 or 01, not '$lab' (labs: $(cd "$root/labs" && ls -d [0-9][0-9]-* | tr '\n' ' '))"
nn=$(printf '%02d' "$((10#$lab))")
dirs=("$root"/labs/"$nn"-*/)
[ ${#dirs[@]} -eq 1 ] ||
    die "there is no lab $nn: no labs/$nn-* folder (labs: $(cd "$root/labs" && ls -d [0-9][0-9]-* | tr '\n' ' '))"
labdir=${dirs[0]%/}; labdir=labs/${labdir##*/}

# ---- OUT ---------------------------------------------------------------------
[ -n "$out" ] || die "OUT is empty: make handout LAB=$lab OUT=DIR"
if [ -e "$out" ] || [ -L "$out" ]; then
    [ -d "$out" ] || die "'$out' exists and is not a directory"
    [ -z "$(ls -A "$out")" ] || die "'$out' exists and is not empty; remove it or choose another OUT"
fi
mkdir -p "$out" || die "cannot create '$out'"
out=$(cd "$out" && pwd) || die "cannot enter '$out'"
case "$out/" in
"$root"/*) [ "$out" = "$root" ] && die "OUT is the repository itself" ;;
esac

# ---- copy --------------------------------------------------------------------
if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1 &&
   [ "$(git -C "$root" rev-parse --show-toplevel)" = "$root" ]; then
    how="git ls-files"
    # Files deleted from the working tree but still tracked are skipped, and
    # so is OUT when it lies inside the tree.
    rel=${out#"$root"/}; [ "$rel" = "$out" ] && rel=
    (cd "$root" && git ls-files -z --cached --others --exclude-standard |
        while IFS= read -r -d '' f; do
            [ -n "$rel" ] && [[ "$f" == "$rel"/* ]] && continue
            { [ -f "$f" ] || [ -L "$f" ]; } && printf '%s\0' "$f"
        done |
        sort -zu | tar --null --no-recursion -T - -cf -) |
        tar -C "$out" -xf - || die "copying the tracked files into '$out' failed"
else
    how="a plain copy"
    # Never copy OUT into itself when it lies inside the tree.
    rel=${out#"$root"/}; [ "$rel" = "$out" ] && rel=.nonexistent
    (cd "$root" && tar --exclude=./.git --exclude='./build' --exclude='./build-*' \
        --exclude="./$rel" -cf - .) |
        tar -C "$out" -xf - || die "copying the tree into '$out' failed"
fi

# ---- strip -------------------------------------------------------------------
regions=0 files=0
while IFS= read -r -d '' f; do
    n=$(strip_file "$((10#$nn))" "$out/${f#./}") || exit 1
    if [ "$n" -gt 0 ]; then regions=$((regions + n)); files=$((files + 1)); fi
done < <(cd "$out" && find . \( -name '*.c' -o -name '*.h' -o -name '*.S' \) -type f -print0 |
         xargs -0 -r grep -lZE 'BEGIN SOLUTION lab[0-9][0-9]' | sort -z)

# No region of lab NN or later may be left.
left=$(cd "$out" && find . \( -name '*.c' -o -name '*.h' -o -name '*.S' \) -type f -print0 |
       xargs -0 -r awk -v cut="$((10#$nn))" '/^[ \t]*\/\* BEGIN SOLUTION lab[0-9][0-9]/ {
           l = $0; sub(/^.*BEGIN SOLUTION lab/, "", l); if (l + 0 >= cut + 0) print FILENAME ":" FNR }')
[ -z "$left" ] || die "solution regions left after stripping (malformed markers?): $left"

# ---- hidden/ -----------------------------------------------------------------
hidden=0
for d in "$out"/labs/*/hidden; do
    [ -d "$d" ] || continue
    rm -rf -- "$d" && hidden=$((hidden + 1))
done

echo "handout: lab $nn ($labdir) into $out: copied by $how;" \
     "$regions regions stripped in $files files (labs $nn and later);" \
     "$hidden hidden/ folder(s) removed"

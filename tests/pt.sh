#!/usr/bin/env bash
# vlab pt as a student meets it: the teaching kernel's page tables drawn at
# the first entry to ring 3 (a user process exists) come out as DOT that
# Graphviz parses back and as SVG that is XML; the last page walk is drawn
# in red with its linear address; runs of entries are collapsed, so the
# whole address space is a handful of nodes; a page fault's walk ends in a
# #PF note; bad arguments and points the run never reaches give status 2.
. "$(dirname "$0")/support/check.sh"
VLAB=$BUILD/vlab
IMAGE=$BUILD/guests/kernel.elf
WALK_RED='#e00000' # COLOR_WALK in visualizer/pt.c

# Under the sanitizers: Graphviz's layout and renderers, and the font
# libraries below them, keep allocations until exit; they are not ours.
printf 'leak:%s\n' libgvc libcgraph libcdt libgvplugin libfontconfig libglib libpango libcairo libgd \
    libfreetype >"$tmp/lsan.supp"
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$tmp/lsan.supp"

pt() { "$VLAB" pt "$@" 2>>"$tmp/stderr"; } # vlab pt, its messages kept aside
status_is() { # status_is <want> <command...>: the command exits with <want>
    local want=$1; shift
    "$@" >"$tmp/last.out" 2>&1
    [ $? -eq "$want" ]
}

[ -f "$IMAGE" ] || { echo "pt: $IMAGE is missing (make all builds it)"; echo "pt: 0 passed, 1 failed"; exit 1; }

# A DOT reader built on libcgraph, the library that wrote the file.
cat >"$tmp/dotcheck.c" <<'EOF'
#include <stdio.h>
#include <graphviz/cgraph.h>
int main(int argc, char **argv)
{
    FILE *f = argc == 2 ? fopen(argv[1], "r") : NULL;
    Agraph_t *g = f ? agread(f, NULL) : NULL;
    if (!g)
        return 1;
    printf("%d %d\n", agnnodes(g), agnedges(g));
    return 0;
}
EOF
gcc -o "$tmp/dotcheck" "$tmp/dotcheck.c" $(pkg-config --cflags --libs libcgraph) 2>"$tmp/dotcheck.err" ||
    bad "the DOT checker builds (libcgraph)"

at=event=ring:3
check "a .dot at the first entry to ring 3" pt --mem 32M --at $at -o "$tmp/pt.dot" "$IMAGE"
check "a .svg at the same point" pt --mem 32M --at $at -o "$tmp/pt.svg" "$IMAGE"
check "a .png at the same point" pt --mem 32M --at $at -o "$tmp/pt.png" "$IMAGE"
check "the .png is a PNG" bash -c 'head -c 8 "$0" | od -An -tx1 | grep -q "89 50 4e 47 0d 0a 1a 0a"' "$tmp/pt.png"
"$VLAB" pt --mem 32M --at $at -o "$tmp/again.dot" "$IMAGE" 2>/dev/null
check "the same run gives the same DOT" cmp -s "$tmp/pt.dot" "$tmp/again.dot"

counts=$("$tmp/dotcheck" "$tmp/pt.dot")
check "libcgraph reads the DOT back" [ -n "$counts" ]
nodes=${counts%% *}
check "runs are collapsed: a whole address space in at most 20 nodes ($nodes)" [ "${nodes:-99}" -le 20 ]
check "the DOT has a page directory and user page tables" grep -q 'page directory @ 0x' "$tmp/pt.dot"
check "the kernel map is one row: 4 MiB pages over all 32 MiB" grep -q '4 MiB pages 0x00000000-0x01ffffff' "$tmp/pt.dot"
check "user entries are there" grep -q 'RW U' "$tmp/pt.dot"

check "the SVG is XML" python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$tmp/pt.svg"
check "the SVG draws the walk in red" grep -q "stroke=\"$WALK_RED\"" "$tmp/pt.svg"
lin=$(grep -o 'lin 0x[0-9a-f]\{8\}' "$tmp/pt.svg" | head -1)
check "the walk's edge from CR3 is labelled with its linear address" [ -n "$lin" ]
check "the title names the same walk" grep -q "of ${lin#lin }" "$tmp/pt.svg"
check "the SVG names the point" grep -q 'event=ring:3' "$tmp/pt.svg"

"$VLAB" pt --mem 32M --at event=exception:14 -o "$tmp/pf.dot" "$IMAGE" 2>/dev/null
check "a #PF's walk ends in a #PF note" grep -q '#PF, error code' "$tmp/pf.dot"
"$VLAB" pt --mem 32M --at event=walk:0x40000000 -o "$tmp/walk.dot" "$IMAGE" 2>/dev/null
check "a user walk reads a PDE and a PTE" grep -q 'PTE\[0x000\] = 0x' "$tmp/walk.dot"
check "the end of the run is the default point" pt --mem 32M -o "$tmp/end.dot" "$IMAGE"
check "--at end names the end of the run" grep -q 'at the end of the run' "$tmp/end.dot"
check "insns=N is a point" pt --mem 32M --at insns=200000 -o "$tmp/n.dot" "$IMAGE"
check "insns=N names its point" grep -q 'at insns=200000, after 200000 instructions' "$tmp/n.dot"

check "an unknown extension: status 2" status_is 2 "$VLAB" pt --mem 32M -o "$tmp/pt.jpg" "$IMAGE"
check "an unknown extension is explained" grep -q 'name it .dot, .svg or .png' "$tmp/last.out"
check "no -o: status 2" status_is 2 "$VLAB" pt --mem 32M "$IMAGE"
check "a bad point: status 2" status_is 2 "$VLAB" pt --at event=bogus -o "$tmp/x.dot" "$IMAGE"
check "a bad point is explained" grep -q -- "--at wants insns=N" "$tmp/last.out"
check "a bad occurrence: status 2" status_is 2 "$VLAB" pt --at event=ring#0 -o "$tmp/x.dot" "$IMAGE"
check "a bad count: status 2" status_is 2 "$VLAB" pt --at insns=lots -o "$tmp/x.dot" "$IMAGE"
check "paging still off: status 2" status_is 2 "$VLAB" pt --mem 32M --at insns=5 -o "$tmp/x.dot" "$IMAGE"
check "paging off is explained" grep -q 'paging is off there' "$tmp/last.out"
check "a point never reached: status 2" \
    status_is 2 "$VLAB" pt --mem 32M --max-insns 100000 --at event=ring:3#1000 -o "$tmp/x.dot" "$IMAGE"
check "a point never reached is explained" grep -q 'before event=ring:3#1000' "$tmp/last.out"
check "nothing written after an error" [ ! -e "$tmp/x.dot" ]
check "a missing image: status 2" status_is 2 "$VLAB" pt -o "$tmp/x.dot" "$tmp/none.elf"

finish pt

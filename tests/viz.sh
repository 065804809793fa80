#!/usr/bin/env bash
# vlab viz without a terminal: key scripts played on the teaching kernel,
# the screens written as text and read back pane by pane. Runs to the first
# exception, ring switch, page walk and #PF; a walk's index split checked
# against its linear address; Enter on a #PF shows the walk that faulted;
# console, help overlay, run/pause, run to an address; the same script
# gives the same screens; bad input gives one sentence and status 2.
. "$(dirname "$0")/support/check.sh"
VLAB=$BUILD/vlab
IMAGE=$BUILD/guests/kernel.elf

has() { grep -qF -- "$2" "$1"; } # has <file> <text>
status_is() { # status_is <want> <command...>
    local want=$1; shift
    "$@" >"$tmp/last.out" 2>&1
    [ $? -eq "$want" ]
}
# viz <out> <keys> [options...]: play keys on the kernel, screens to <out>
viz() { local out=$1 keys=$2; shift 2; "$VLAB" viz --mem 32M --headless --keys "$keys" "$@" "$IMAGE" >"$out" 2>"$tmp/err"; }
# pane <file> <title>: the lines of the pane framed with <title> in a
# 120x40 screen, without the frame (left or right column)
pane() {
    awk -v t="$2" '
        index($0, " " t " ") || index($0, "[" t "]") {
            col = (index($0, t) > 60) ? 61 : 1; on = 1; next }
        on { s = substr($0, col + 1, 58); if (substr($0, col, 1) == "+") exit; print s }' "$1"
}

[ -f "$IMAGE" ] || { echo "viz: $IMAGE is missing (make all builds it)"; echo "viz: 0 passed, 1 failed"; exit 1; }

# ---- The first exception: INT 0x80 from user mode ----------------------------------
viz "$tmp/exc" e
check "runs to the first exception" has "$tmp/exc" "stopped at #"
check "the message names the exception and its vector" grep -q 'stopped at #[0-9]*: exception 128: int 0x80' "$tmp/exc"
pane "$tmp/exc" "3 event log" >"$tmp/exc.log"
check "the log shows it with its vector" grep -q '#[0-9]* *exception 128: int 0x80 at 4000' "$tmp/exc.log"
check "the log counts it by vector" grep -q 'vectors: int 0x80 1' "$tmp/exc.log"
pane "$tmp/exc" "4 registers" >"$tmp/exc.regs"
status_eip=$(grep -o 'EIP [0-9a-f]\{8\}' "$tmp/exc" | head -1)
check "the regs pane shows the EIP of the status bar ($status_eip)" grep -q "^$status_eip " "$tmp/exc.regs"
check "the disassembly marks EIP" grep -q "^> ${status_eip#EIP }" "$tmp/exc.regs"
check "the handler runs at CPL 0" grep -q '^CS  0008 ' "$tmp/exc.regs"

# ---- The first switch to user mode ------------------------------------------------
viz "$tmp/ring" r
pane "$tmp/ring" "1 rings" >"$tmp/ring.pane"
check "the rings pane is at CPL 3" grep -q '^CPL 3 (user)' "$tmp/ring.pane"
check "it counts one switch 0->3" grep -q 'switches: 0->3 1 *$' "$tmp/ring.pane"
check "the strip labels the switch iret" grep -q '^ *iret *$' "$tmp/ring.pane"
check "the last switch is 0->3 by iret" grep -q '^last: #[0-9]* 0->3 by iret at' "$tmp/ring.pane"
check "the user code segment is loaded" grep -q '^|CS  001b .*DPL 3' "$tmp/ring"

# ---- A two-level walk: the first walk of the user page at 0x40004000 ---------------
viz "$tmp/walk" 'Nwalk:0x40004000<enter>' --pane walk --size 60x12
check "the walk pane shows the CR3 line" grep -q '^|CR3 [0-9a-f]\{8\}   PDE at ' "$tmp/walk"
check "and the PDE" grep -q '^|PDE\[ 256\] [0-9a-f]\{8\} P R/W U/S' "$tmp/walk"
check "and the PTE" grep -q '^|PTE\[   4\] ' "$tmp/walk"
lin=$(sed -n 's/^|linear \([0-9a-f]\{8\}\) = .*/\1/p' "$tmp/walk")
bits=$(sed -n 's/^|linear [0-9a-f]\{8\} = \([01]\{10\} [01]\{10\} [01]\{12\}\).*/\1/p' "$tmp/walk")
dir=$(sed -n 's/.* dir \([0-9]*\) .*/\1/p' "$tmp/walk")
table=$(sed -n 's/.* table \([0-9]*\) .*/\1/p' "$tmp/walk")
check "the walk is of the page asked for ($lin)" [ "$((0x${lin:-0} >> 12))" -eq $((0x40004)) ]
check "dir is bits 31..22 of the linear address" [ "${dir:-x}" = "$((0x${lin:-0} >> 22))" ]
check "table is bits 21..12" [ "${table:-x}" = "$(((0x${lin:-0} >> 12) & 0x3ff))" ]
read -r b1 b2 b3 <<<"$bits"
check "the bit groups spell the address" [ "$((2#${b1:-0} << 22 | 2#${b2:-0} << 12 | 2#${b3:-0}))" -eq "$((0x${lin:-0}))" ]
cr3=$(sed -n 's/^|CR3 \([0-9a-f]\{8\}\)   PDE at .*/\1/p' "$tmp/walk")
check "the PDE address is CR3 + 4*dir" grep -q "PDE at ${cr3:-x} + 4\*$dir = $(printf %08x $((0x${cr3:-0} + 4 * dir)))" "$tmp/walk"

# ---- A #PF: Enter on it in the log shows the walk that faulted -----------------------
viz "$tmp/pf" 'Nexception:14<enter><dump><up><enter>'
check "runs to the first #PF" grep -q 'stopped at #[0-9]*: exception 14 #PF err=4' "$tmp/pf"
awk '/^=== screen 2/{on=1} on' "$tmp/pf" >"$tmp/pf2"
check "Enter on the #PF says which walk is shown" has "$tmp/pf2" "is in the walk pane"
pane "$tmp/pf2" "2 page walk" >"$tmp/pf.walk"
check "the walk pane shows the log's walk" grep -q '(from the log)' "$tmp/pf.walk"
check "the walk faulted at a PTE not present" grep -q '^PTE\[.*not present' "$tmp/pf.walk"
check "with the #PF error in words" grep -q '^#PF error 0x4: not present, read, user' "$tmp/pf.walk"
check "Enter on an event without a walk says so" \
    bash -c '"$0" viz --mem 32M --headless --keys "r<enter>" "$1" | grep -q "has no page walk"' "$VLAB" "$IMAGE"

# ---- Console, help, run/pause, run to an address ------------------------------------
viz "$tmp/con" '/starting init<enter>'
pane "$tmp/con" "5 console (COM1)" >"$tmp/con.pane"
check "the console shows the kernel's boot line" grep -q '^kernel: booting' "$tmp/con.pane"
check "and stops where the text appeared" grep -q 'kernel: starting init' "$tmp/con.pane"
check "nothing after it yet" bash -c '! grep -q "^init:" "$0"' "$tmp/con.pane"

viz "$tmp/help" '?<dump>s'
check "? shows the help overlay" bash -c 'awk "/=== screen 1/{on=1} /=== screen 2/{on=0} on" "$0" | grep -q "help: keys"' "$tmp/help"
check "any key closes it" bash -c 'awk "/=== screen 2/{on=1} on" "$0" | grep -vq "help: keys"' "$tmp/help"
check "the key that closed help did not step" grep -q 'insn 0 ' "$tmp/help"

viz "$tmp/pause" 'cp'
check "c then p pauses after one slice" has "$tmp/pause" "paused after 200000 instructions"
viz "$tmp/end" 'c'
check "c runs the kernel to its exit" has "$tmp/end" "the guest exited through isa-debug-exit (status 1: success)"
check "a key after the end explains itself" \
    bash -c '"$0" viz --mem 32M --headless --keys "cs" "$1" | grep -q "nothing more to run"' "$VLAB" "$IMAGE"

trap_addr=$(nm "$IMAGE" | awk '$3 == "trap" { print $1 }')
viz "$tmp/goto" "g$trap_addr<enter>"
check "g runs to an address (trap = $trap_addr)" grep -q "EIP $trap_addr  \[paused\]" "$tmp/goto"

viz "$tmp/each" 'ss' --dump-each
check "--dump-each writes a screen per key" [ "$(grep -c '^=== screen' "$tmp/each")" -eq 2 ]
check "each step retires one instruction" bash -c 'grep -q "insn 1 " "$0" && grep -q "insn 2 " "$0"' "$tmp/each"

viz "$tmp/small" 'r' --size 80x24
check "a small screen shows one pane, the log" bash -c 'grep -q "\[3 event log\]" "$0" && ! grep -q "4 registers" "$0"' "$tmp/small"
check "Tab moves to the next pane" bash -c '"$0" viz --mem 32M --headless --keys "<tab>" --size 80x24 "$1" | grep -q "\[4 registers\]"' "$VLAB" "$IMAGE"
viz "$tmp/kind" 'Nfoo<enter>'
check "an unknown kind in the N prompt is explained" has "$tmp/kind" "no event kind starts with 'foo'"

viz "$tmp/again1" 'eNwalk<enter>w<up><up><enter>'
viz "$tmp/again2" 'eNwalk<enter>w<up><up><enter>'
check "the same keys give the same screen" cmp -s "$tmp/again1" "$tmp/again2"

# ---- Lab 1's walkthrough, played through all its stops ------------------------------
TOUR=labs/01-emulation/walkthrough.lua
mapfile -t titles < <(sed -n 's/^ *title = "\(.*\)",$/\1/p' "$TOUR" | tail -n +2)
spaces=$(printf '<space>%.0s' $(seq 0 ${#titles[@]}))
VLAB_BUILD=$BUILD "$VLAB" viz --headless --walkthrough "$TOUR" --dump-each --keys "$spaces" >"$tmp/tour" 2>"$tmp/err"
check "the walkthrough has stops (${#titles[@]})" [ "${#titles[@]}" -ge 5 ]
grep -E '^stop [0-9]+ of [0-9]+: ' "$tmp/tour" >"$tmp/tour.stops"
check "each space reaches the next stop, in order" \
    diff <(for k in "${!titles[@]}"; do echo "stop $((k + 1)) of ${#titles[@]}: ${titles[k]}"; done) "$tmp/tour.stops"
check "each stop's title is in the walkthrough pane" \
    bash -c 'for k in "${@:2}"; do grep -qF -- "$k" "$0" || exit 1; done' "$tmp/tour" "${titles[@]}"
check "the stop's pane is brought forward (paging: the walk pane)" \
    bash -c 'awk "/=== screen 3 ===/{on=1} /=== screen 4 ===/{on=0} on" "$0" | grep -q "\[2 page walk\]"' "$tmp/tour"
check "after the last stop, the end" has "$tmp/tour" "The end: every stop has been reached."
check "and a space more says it is over" has "$tmp/tour" "the walkthrough is over"
VLAB_BUILD=$BUILD "$VLAB" viz --headless --walkthrough "$TOUR" --keys '<space><space><space><space><space>' \
    --pane tour --size 60x30 >"$tmp/tour5" 2>"$tmp/err"
check "--pane tour shows the stop being explained" grep -q "^|5\. ${titles[4]}" "$tmp/tour5"
VLAB_BUILD=$BUILD "$VLAB" viz --headless --walkthrough "$TOUR" --keys '<space><pgdn>' --pane tour --size 60x12 \
    >"$tmp/tourdn" 2>"$tmp/err"
VLAB_BUILD=$BUILD "$VLAB" viz --headless --walkthrough "$TOUR" --keys '<space>' --pane tour --size 60x12 \
    >"$tmp/tourup" 2>"$tmp/err"
check "a long stop says there is more" has "$tmp/tourup" "[more: PgDn]"
check "PgDn scrolls the walkthrough's text" bash -c '[ "$(sed -n 5p "$0")" != "$(sed -n 5p "$1")" ]' "$tmp/tourup" "$tmp/tourdn"
check "the title stays" grep -q "^|1\. ${titles[0]}" "$tmp/tourdn"
check "a missing walkthrough: status 2" status_is 2 "$VLAB" viz --headless --walkthrough "$tmp/none.lua"
check "it names the file" has "$tmp/last.out" "none.lua"

# ---- Bad input --------------------------------------------------------------------------
check "an unknown key name: status 2" status_is 2 "$VLAB" viz --headless --keys '<nope>' "$IMAGE"
check "it is named" has "$tmp/last.out" "unknown key <nope>"
check "no image: status 2" status_is 2 "$VLAB" viz --headless --keys s
check "it is explained" has "$tmp/last.out" "which kernel?"
check "a missing image: status 2" status_is 2 "$VLAB" viz --headless --keys s "$tmp/none.elf"
check "a bad --size: status 2" status_is 2 "$VLAB" viz --headless --size 12by4 "$IMAGE"
check "it is explained" has "$tmp/last.out" "--size wants COLSxROWS"
check "--keys without --headless: status 2" status_is 2 "$VLAB" viz --keys s "$IMAGE"
check "an unknown pane: status 2" status_is 2 "$VLAB" viz --headless --pane nope "$IMAGE"
check "no terminal: status 2" status_is 2 "$VLAB" viz "$IMAGE" </dev/null
check "it says to use --headless" has "$tmp/last.out" "needs a terminal"

finish viz

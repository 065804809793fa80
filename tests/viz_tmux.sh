#!/usr/bin/env bash
# vlab viz in a real terminal: the program runs under tmux (its own server
# on a private socket, a 120x40 window), keys are sent with send-keys and
# the screen read back with capture-pane, polled until the expected text
# appears (never fixed sleeps). Checks the layout, a step, a run to the
# first ring switch, the help overlay, Tab, a resize to 80x24 (one pane
# at a time), colours, the run to the end and q.
set -u
BUILD=${BUILD:-build}
VLAB=$(realpath "$BUILD/vlab")
IMAGE=$(realpath "$BUILD/guests/kernel.elf")
pass=0 fail=0
tmp=$(mktemp -d)
sock=$tmp/tmux.sock
T() { tmux -S "$sock" "$@"; }
trap 'T kill-server 2>/dev/null; rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAILED: $*"; tail -5 "$tmp/screen" 2>/dev/null; }
skip() { echo "SKIPPED: $*"; echo "viz_tmux: 0 passed, 0 failed, 1 skipped"; exit 0; }

[ -x "$VLAB" ] && [ -f "$IMAGE" ] || { echo "viz_tmux: build vlab and the kernel first (make all)"; echo "viz_tmux: 0 passed, 1 failed"; exit 1; }
command -v tmux >/dev/null || skip "tmux is not installed (make deps installs it)"

# Under the sanitizers, ASan's report would go to the terminal: keep it.
# ncurses keeps its terminal description until exit by design: not ours.
printf 'leak:%s\n' libncursesw libtinfo >"$tmp/lsan.supp"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$tmp/asan"
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$tmp/lsan.supp"
T -f /dev/null new-session -d -x 120 -y 40 -s viz "$VLAB viz --mem 32M $IMAGE; echo EXITED \$?; sleep 60" ||
    skip "tmux cannot start a session here"

screen() { T capture-pane -p -t viz >"$tmp/screen" 2>/dev/null; }
# wait_for <text> [absent]: poll the screen (up to 30 s) until <text> is
# there (or, with "absent", gone)
wait_for() {
    local k
    for k in $(seq 1 300); do
        screen
        if [ "${2:-}" = absent ]; then
            grep -qF -- "$1" "$tmp/screen" || return 0
        else
            grep -qF -- "$1" "$tmp/screen" && return 0
        fi
        sleep 0.1
    done
    return 1
}
check() { # check <name> <text> [absent]
    if wait_for "$2" "${3:-}"; then ok; else bad "$1 (waited for '$2'${3:+ to go})"; fi
}
keys() { T send-keys -t viz "$@"; }

check "the status bar is drawn" "vlab viz  kernel.elf  insn 0  cycles 0  CPL 0"
check "the panes are laid out" "[3 event log]"
check "the registers pane is there" "4 registers"
check "the key hints are on the last line" "s step  n next event"

keys s
check "s steps one instruction" "insn 1 "
keys r
check "r runs to the first ring switch" ": ring 0->3 by iret at"
check "the rings pane shows CPL 3" "CPL 3 (user)"
keys '?'
check "? opens the help overlay" "help: keys"
keys x
check "any key closes it" "help: keys" absent
keys Tab
check "Tab selects the registers pane" "[4 registers]"

T capture-pane -e -p -t viz >"$tmp/colour"
if grep -q $'\e\[' "$tmp/colour"; then ok; else bad "the screen has attributes or colours"; fi

T resize-window -t viz -x 80 -y 24
check "a resize to 80x24 shows one pane" "1 rings" absent
check "the selected one" "[4 registers]"
check "the other panes are hidden" "3 event log" absent
T resize-window -t viz -x 120 -y 40
check "back to 120x40: all panes again" "1 rings"

keys c
check "c runs the kernel to its end" "the guest exited through isa-debug-exit (status 1: success)"
check "its console is shown" "init: all 13 tests passed"
keys q
check "q quits with status 0" "EXITED 0"

if ls "$tmp"/asan.* >/dev/null 2>&1; then bad "a sanitizer report: $(cat "$tmp"/asan.*)"; fi

echo "viz_tmux: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

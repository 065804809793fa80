#!/usr/bin/env bash
# The teaching kernel boots through its whole test list on vlab, with the same
# console output as under qemu-system-i386, and deterministically: two runs
# retire the same number of instructions.
. "$(dirname "$0")/support/check.sh"
IMAGE=$BUILD/guests/kernel.elf

[ -f "$IMAGE" ] || { echo "kernel: $IMAGE is missing (make all builds it)"; echo "kernel: 0 passed, 1 failed"; exit 1; }

for run in 1 2; do
    "$BUILD/vlab" run --mem 32M "$IMAGE" >"$tmp/vlab$run.out" 2>"$tmp/vlab$run.err"
    echo $? >"$tmp/vlab$run.status"
done
if [ "$(cat "$tmp/vlab1.status")" = 1 ]; then ok; else
    bad "vlab: exit status $(cat "$tmp/vlab1.status"), expected 1"; tail -5 "$tmp/vlab1.out" "$tmp/vlab1.err"; fi
if grep -q '^init: all [0-9]* tests passed$' "$tmp/vlab1.out"; then ok; else
    bad "vlab: the test list did not pass"; grep -E 'FAILED|panic' "$tmp/vlab1.out" | head; fi
if cmp -s "$tmp/vlab1.out" "$tmp/vlab2.out" &&
   [ "$(grep instructions "$tmp/vlab1.err")" != "" ] &&
   [ "$(grep -o '^vlab: [0-9]* instructions' "$tmp/vlab1.err")" = "$(grep -o '^vlab: [0-9]* instructions' "$tmp/vlab2.err")" ]; then
    ok
else
    bad "two vlab runs differ (console or instruction count)"
fi

if command -v qemu-system-i386 >/dev/null; then
    timeout 120 qemu-system-i386 -kernel "$IMAGE" -nographic -monitor none -serial stdio \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 -no-reboot -m 32 -cpu pentium2 >"$tmp/qemu.raw" 2>&1
    qstatus=$?
    tr -d '\r' <"$tmp/qemu.raw" | sed -n '/kernel: booting/,$p' | sed 's/^.*kernel: booting/kernel: booting/' >"$tmp/qemu.out"
    if [ "$qstatus" = 1 ] && diff -u "$tmp/qemu.out" "$tmp/vlab1.out" >"$tmp/diff"; then ok; else
        bad "QEMU (status $qstatus) and vlab consoles differ:"; head -20 "$tmp/diff"; fi
else
    echo "kernel: SKIPPED the QEMU comparison (qemu-system-i386 not installed)"; skip=$((skip + 1))
fi

finish kernel

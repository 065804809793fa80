#!/usr/bin/env bash
# Real compiler output as a CPU test: the compute workload's checksum on vlab
# must equal the same C code's checksum on the host CPU, and QEMU's.
set -u
BUILD=${BUILD:-build}
pass=0 fail=0 skip=0
N=3
want=$("$BUILD/tests/compute_native" $N)
got=$("$BUILD/vlab" run --quiet --cmdline "iterations=$N" "$BUILD/guests/compute.elf")
if [ "$got" = "$want" ]; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAILED: vlab printed '$got', the host computed '$want'"; fi
if command -v qemu-system-i386 >/dev/null; then
    q=$(timeout 60 qemu-system-i386 -kernel "$BUILD/guests/compute.elf" -append "iterations=$N" -nographic \
        -monitor none -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=0x04 -no-reboot -m 32 |
        tr -d '\r' | grep -o 'compute:.*')
    if [ "$q" = "$want" ]; then pass=$((pass + 1)); else
        fail=$((fail + 1)); echo "FAILED: QEMU printed '$q', the host computed '$want'"; fi
else
    echo "compute: SKIPPED QEMU comparison (qemu-system-i386 not installed)"; skip=$((skip + 1))
fi
echo "compute: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]

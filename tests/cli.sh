#!/usr/bin/env bash
# The vlab program as a user meets it: boot the hello guest, and get one
# clear sentence (and exit status 2) for bad options and bad images.
. "$(dirname "$0")/support/check.sh"
VLAB=$BUILD/vlab

check() { # check <name> <expected status> <pattern in output> <command...>
    local name=$1 want=$2 pattern=$3; shift 3
    "$@" >"$tmp/out" 2>&1
    local got=$?
    if [ "$got" -eq "$want" ] && grep -qE -- "$pattern" "$tmp/out"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAILED: $name: status $got (want $want), output:"
        sed 's/^/    /' "$tmp/out" | head -10
    fi
}

check "hello boots and exits with status 1" 1 "^Hello from a vlab guest!" "$VLAB" run "$BUILD/guests/hello.elf"
check "summary names the exit" 1 "exited through isa-debug-exit \(status 1\)" "$VLAB" run "$BUILD/guests/hello.elf"
check "RAM size reaches the guest" 1 "Memory above 1 MiB: 31 MiB" "$VLAB" run --mem 32M "$BUILD/guests/hello.elf"
printf 'twelve bytes' >"$tmp/mod.txt"
check "modules reach the guest with their command lines" 1 "Module 1: '$tmp/mod.txt', 12 bytes" \
    "$VLAB" run --module "$tmp/mod.txt first arg" --module "$tmp/mod.txt" "$BUILD/guests/hello.elf"
check "a missing module is named" 2 "nope.bin: cannot read the module" \
    "$VLAB" run --module "$tmp/nope.bin" "$BUILD/guests/hello.elf"
check "budget stops the guest" 3 "budget ran out" "$VLAB" run --max-insns 100 "$BUILD/guests/hello.elf"
check "no image: usage" 2 "usage: vlab run" "$VLAB" run
check "unknown engine" 2 "unknown engine 'qemu'" "$VLAB" run --engine qemu "$BUILD/guests/hello.elf"
check "bad --mem" 2 "--mem wants a size" "$VLAB" run --mem lots "$BUILD/guests/hello.elf"
check "missing file" 2 "cannot read the image: No such file" "$VLAB" run "$tmp/nope.elf"
printf 'This is a text file, not a kernel image: it has no ELF header at all.\n' >"$tmp/text.elf"
check "not ELF" 2 "not an ELF file" "$VLAB" run "$tmp/text.elf"
head -c 100 "$BUILD/guests/hello.elf" >"$tmp/trunc.elf"
check "truncated ELF" 2 "outside the file|truncated" "$VLAB" run "$tmp/trunc.elf"
check "64-bit ELF" 2 "wrong ELF class 2" "$VLAB" run "$VLAB"
check "unknown command" 2 "unknown command" "$VLAB" frobnicate
check "help lists run" 0 "run +boot a Multiboot" "$VLAB" help
check "disasm lists instructions" 0 "out +dx,al" "$VLAB" disasm "$BUILD/guests/hello.elf"

finish cli

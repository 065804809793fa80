#!/usr/bin/env bash
# The same images on the real CPU through /dev/kvm (tests/kvm/kvm_run.c) and
# on vlab: hello, compute (iterations=3) and the teaching kernel must print
# the same console output and exit with the same status.
#
# That needs /dev/kvm backed by VT-x or AMD-V (the kvm_intel or kvm_amd
# module). Some cloud machines back it with kvm_pvm instead, which cannot
# run these 32-bit protected-mode guests: IRET is an emulation failure there
# and setting CR0.PG raises #GP, so a guest gets no further than its first
# exception handler or its first page table. This test detects the module
# and says SKIPPED with the reason. KVM_FORCE=1 runs the comparison anyway,
# to see how it fails.
#
# Needs ${BUILD:-build}/vlab, the guests and ${BUILD}/tests/kvm_run; builds
# nothing. Prints "kvm: N passed, M failed, K skipped".
set -u
BUILD=${BUILD:-build}
KVM_RUN=${KVM_RUN:-$BUILD/tests/kvm_run}
MEM=32
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

skip() {
    echo "kvm: SKIPPED ($1)"
    echo "kvm: 0 passed, 0 failed, 1 skipped"
    exit 0
}

# The module behind /dev/kvm: the vendor module that is loaded.
backing_module() {
    local m
    for m in kvm_intel kvm_amd kvm_pvm; do
        if [ -d "/sys/module/$m" ] || grep -qs "^$m " /proc/modules; then
            echo "$m"
            return
        fi
    done
}

[ -c /dev/kvm ] || skip "/dev/kvm does not exist: this machine offers no KVM"
[ -r /dev/kvm ] && [ -w /dev/kvm ] || skip "/dev/kvm is not readable and writable by $(id -un)"
module=$(backing_module)
if [ "${KVM_FORCE:-0}" != 1 ]; then
    case "$module" in
    kvm_intel | kvm_amd) ;;
    kvm_pvm) skip "/dev/kvm is backed by kvm_pvm, which cannot run 32-bit protected-mode guests: it fails on IRET and on turning paging on" ;;
    *) skip "cannot tell which module backs /dev/kvm (none of kvm_intel, kvm_amd, kvm_pvm is loaded)" ;;
    esac
fi
echo "kvm: /dev/kvm is backed by ${module:-an unknown module}"
if [ ! -x "$KVM_RUN" ]; then
    echo "FAILED: $KVM_RUN is missing (make builds it)"
    echo "kvm: 0 passed, 1 failed, 0 skipped"
    exit 1
fi

# compare NAME IMAGE [--cmdline TEXT]: console and exit status on both.
compare() {
    local name=$1 image=$2; shift 2
    "$BUILD/vlab" run --quiet --mem "${MEM}M" "$@" "$image" >"$tmp/$name.vlab" 2>&1
    local vstatus=$?
    "$KVM_RUN" --mem "$MEM" "$@" "$image" >"$tmp/$name.kvm" 2>"$tmp/$name.kvm.err"
    local kstatus=$?
    diff -u "$tmp/$name.vlab" "$tmp/$name.kvm" >"$tmp/$name.diff"
    local same=$?
    if [ "$vstatus" = "$kstatus" ] && [ $same -eq 0 ]; then
        pass=$((pass + 1))
        echo "ok $name (status $kstatus, $(wc -l <"$tmp/$name.kvm") lines)"
    else
        fail=$((fail + 1))
        echo "FAILED: $name: vlab exited with $vstatus, KVM with $kstatus"
        head -20 "$tmp/$name.diff"
        sed 's/^/  /' "$tmp/$name.kvm.err"
    fi
}

compare hello "$BUILD/guests/hello.elf"
compare compute "$BUILD/guests/compute.elf" --cmdline iterations=3
compare kernel "$BUILD/guests/kernel.elf"

echo "kvm: $pass passed, $fail failed, 0 skipped"
[ "$fail" -eq 0 ]

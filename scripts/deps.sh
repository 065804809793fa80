#!/usr/bin/env bash
# Install what vlab needs to build and test, with apt-get; do nothing when
# everything is there. Called by `make deps` (and so by `make run` and
# `make test`). Each line: a check that succeeds when the thing is present,
# then the Debian package that provides it.
set -euo pipefail

need=()
check() { # check "<shell test>" <package>
    if ! eval "$1" >/dev/null 2>&1; then need+=("$2"); fi
}

check 'command -v gcc'                                   gcc
check 'command -v make'                                  make
check 'command -v objdump && command -v ld'              binutils
check 'test -f /usr/include/cmocka.h'                    libcmocka-dev
check 'command -v qemu-system-i386'                      qemu-system-x86
check 'command -v clang'                                 clang
check 'ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a' libclang-rt-14-dev
check 'command -v python3'                               python3
check 'command -v lcov && command -v genhtml'            lcov
check 'command -v pkg-config'                            pkg-config
check 'pkg-config --exists lua5.4'                       liblua5.4-dev
check 'pkg-config --exists libcgraph libgvc'             libgraphviz-dev
check 'pkg-config --exists ncursesw'                     libncurses-dev
check 'command -v tmux'                                  tmux

if [ ${#need[@]} -eq 0 ]; then
    exit 0
fi

echo "deps: installing ${need[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}"

#!/usr/bin/env bash
# vlab bench at a tiny size: every workload runs on the emu engine and prints
# the checksum the same C code gives on the host (checked by vlab bench itself,
# and here against the report and, for compute, against compute_native); the
# JSON report is valid and has the documented fields; --compare qemu runs the
# same images under QEMU, whose checksums must match too; a guest printing a
# wrong checksum makes vlab bench fail; bad options give status 2. The
# teaching kernel's `bench` program runs each workload under `vlab run` and
# refuses an unknown one. No timing is checked: only that times were measured.
. "$(dirname "$0")/support/check.sh"
VLAB=$BUILD/vlab

status_is() { # status_is <want> <name> <command...>
    local want=$1 name=$2; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    local got=$?
    if [ "$got" = "$want" ]; then ok; else bad "$name: status $got, expected $want"; head -5 "$tmp/err"; fi
}

for g in kernel compute empty; do
    [ -f "$BUILD/guests/$g.elf" ] || { echo "bench: $BUILD/guests/$g.elf is missing"; echo "bench: 0 passed, 1 failed"; exit 1; }
done

# The kernel's bench program, by hand: a line with the iterations and a
# checksum, exit status 1; an unknown workload is refused with status 3.
for w in syscall pagefault io switch; do
    "$VLAB" run --quiet --mem 16M --cmdline "init=bench bench=$w iterations=7" "$BUILD/guests/kernel.elf" >"$tmp/out"
    s=$?
    out=$(tail -1 "$tmp/out")
    if [ $s = 1 ] && [[ "$out" =~ ^bench\ $w:\ 7\ iterations\ checksum=[0-9a-f]{8}$ ]]; then ok; else
        bad "bench=$w under vlab run: status $s, output '$out'"; fi
done
status_is 3 "an unknown workload" "$VLAB" run --quiet --mem 16M --cmdline "init=bench bench=nosuch" "$BUILD/guests/kernel.elf"
grep -q "unknown workload" "$tmp/out" && ok || bad "no message for an unknown workload: $(cat "$tmp/out")"

# The whole benchmark at a tiny size, with its JSON report.
if "$VLAB" bench --size 0.0005 --runs 1 --json "$tmp/b.json" >"$tmp/table" 2>"$tmp/err"; then ok; else
    bad "vlab bench --size 0.0005 failed"; cat "$tmp/err"; fi
for w in compute syscall pagefault io switch; do
    grep -q "^$w .* emu " "$tmp/table" && ok || bad "the table has no row for $w"
done
grep -q "^start-up: vlab: [0-9.]* ms from fork to the first guest instruction" "$tmp/table" && ok ||
    bad "the table does not report start-up"
grep -q "^memory: vlab: peak RSS [0-9.]* MiB running a 64 MiB guest" "$tmp/table" && ok ||
    bad "the table does not report memory"
python3 -m json.tool "$tmp/b.json" >/dev/null 2>&1 && ok || bad "the JSON report is not valid JSON"

# The documented fields (docs/benchmarks.md), their types, and the facts they
# must show: every workload's checksum equals the host's, instructions and
# times were measured, the trap-heavy workloads trapped.
python3 - "$tmp/b.json" <<'EOF' >"$tmp/schema" 2>&1 && ok || { bad "the JSON report does not follow its schema:"; cat "$tmp/schema"; }
import json, sys
r = json.load(open(sys.argv[1]))
num = (int, float)
def need(obj, key, types, where):
    assert key in obj, f"{where}: no field '{key}'"
    assert isinstance(obj[key], types), f"{where}.{key}: {obj[key]!r} has the wrong type"
    return obj[key]
assert need(r, "vlab_bench", int, "top") == 1
need(need(r, "machine", dict, "top"), "nproc", int, "machine")
need(r["machine"], "cpu", str, "machine")
need(r, "size", num, "top"); need(r, "runs", int, "top"); need(r, "mem_mib", int, "top")
st = need(r, "startup", dict, "top")
assert need(st, "first_instruction_seconds", num, "startup") > 0
assert need(st, "empty_process_seconds", num, "startup") > 0
assert need(st, "empty_inprocess_seconds", dict, "startup")["emu"] > 0
assert need(need(r, "memory", dict, "top"), "maxrss_kib", int, "memory") > 0
res = need(r, "results", list, "top")
assert sorted(x["workload"] for x in res) == ["compute", "io", "pagefault", "switch", "syscall"], res
for x in res:
    w = x["workload"]
    for k in ("engine", "checksum", "native_checksum"):
        need(x, k, str, w)
    for k in ("iterations", "instructions", "cycles", "traps", "ring_switches", "port_accesses", "mmio_accesses"):
        need(x, k, int, w)
    for k in ("seconds", "run_seconds", "mips", "native_seconds", "ns_per_iteration"):
        need(x, k, num, w)
    for k in ("exceptions", "soft_ints", "interrupts", "page_walks", "tlb_flushes"):
        need(x, k, dict, w)
    need(x, "runs", list, w)
    assert x["checksum"] == x["native_checksum"], f"{w}: {x['checksum']} != {x['native_checksum']}"
    assert x["instructions"] > 0 and x["seconds"] > 0 and x["cycles"] >= x["instructions"], w
    assert len(x["runs"]) == r["runs"], w
    trapping = w in ("syscall", "pagefault", "switch")
    assert (x["ns_per_trap"] is not None) == trapping, f"{w}: ns_per_trap {x['ns_per_trap']}"
    if w == "syscall":
        assert x["soft_ints"]["128"] >= x["iterations"], x["soft_ints"]
    if w == "pagefault":
        assert x["exceptions"]["14"] >= 24 * x["iterations"], x["exceptions"]
    if w == "io":
        assert x["port_accesses"] >= 2 * x["iterations"], x["port_accesses"]
assert need(r, "compare", list, "top") == []
EOF

# compute's checksum in the report is the one compute_native prints.
if [ -x "$BUILD/tests/compute_native" ]; then
    n=$(python3 -c "import json,sys; print([x for x in json.load(open(sys.argv[1]))['results'] if x['workload']=='compute'][0]['iterations'])" "$tmp/b.json")
    c=$(python3 -c "import json,sys; print([x for x in json.load(open(sys.argv[1]))['results'] if x['workload']=='compute'][0]['checksum'])" "$tmp/b.json")
    [ "$("$BUILD/tests/compute_native" "$n")" = "compute: iterations=$n checksum=$c" ] && ok ||
        bad "compute's checksum $c is not compute_native's"
fi

# Against QEMU: the same images, the same checksums, ratios reported.
if command -v qemu-system-i386 >/dev/null; then
    if "$VLAB" bench --size 0.0005 --runs 1 --workload compute,syscall --compare qemu --compare kvm \
        --json "$tmp/q.json" >"$tmp/qtable" 2>"$tmp/err"; then ok; else
        bad "vlab bench --compare qemu failed"; cat "$tmp/err"; fi
    grep -q "^compared with qemu" "$tmp/qtable" && ok || bad "no comparison table for qemu"
    python3 - "$tmp/q.json" <<'EOF' >"$tmp/qschema" 2>&1 && ok || { bad "QEMU's results:"; cat "$tmp/qschema"; }
import json, sys
r = json.load(open(sys.argv[1]))
native = {x["workload"]: x["native_checksum"] for x in r["results"]}
q = [c for c in r["compare"] if c["target"] == "qemu"][0]
assert q["status"] == "ok" and q["empty_seconds"] > 0 and q["maxrss_kib"] > 0, q
assert sorted(x["workload"] for x in q["results"]) == ["compute", "syscall"], q
for x in q["results"]:
    assert x["checksum"] == native[x["workload"]], x
    assert x["seconds"] > 0 and x["ratio_raw"] > 0, x
    assert "ratio_corrected" in x and "seconds_corrected" in x and "mips" in x, x
k = [c for c in r["compare"] if c["target"] == "kvm"][0]
assert k["status"] in ("ok", "skipped"), k
assert k["status"] == "ok" or k["reason"], k
EOF
else
    echo "bench: SKIPPED the QEMU comparison (qemu-system-i386 not installed)"; skip=$((skip + 1))
fi

# A guest that prints the wrong checksum (the empty guest standing in for
# compute) or none (hello) fails the benchmark, saying so.
mkdir -p "$tmp/guests"
cp "$BUILD/guests/kernel.elf" "$BUILD/guests/empty.elf" "$tmp/guests/"
cp "$BUILD/guests/empty.elf" "$tmp/guests/compute.elf"
status_is 1 "a wrong checksum" "$VLAB" bench --size 0.0005 --runs 1 --workload compute --guests "$tmp/guests"
grep -q "CHECKSUM MISMATCH" "$tmp/err" && ok || bad "a wrong checksum was not reported: $(cat "$tmp/err")"
cp "$BUILD/guests/hello.elf" "$tmp/guests/compute.elf"
status_is 1 "no checksum" "$VLAB" bench --size 0.0005 --runs 1 --workload compute --guests "$tmp/guests"
rm "$tmp/guests/compute.elf"
status_is 2 "a missing guest" "$VLAB" bench --workload compute --guests "$tmp/guests"

# Bad options: status 2 and one sentence.
status_is 0 "--help" "$VLAB" bench --help
grep -q -- "--compare" "$tmp/out" && ok || bad "--help does not document --compare"
for args in "--runs 0" "--runs x" "--size 0" "--size -1" "--size abc" "--workload nosuch" "--engine nosuch" \
    "--compare nosuch" "--mem 1K" "extra"; do
    # shellcheck disable=SC2086
    status_is 2 "vlab bench $args" "$VLAB" bench $args
    grep -q "vlab bench" "$tmp/err" && ok || bad "vlab bench $args: no message"
done

finish bench

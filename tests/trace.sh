#!/usr/bin/env bash
# The trace as its consumers meet it (vlab trace, vlab run --trace): the
# same image and options give the same events byte for byte; --kinds keeps
# exactly the events of those kinds, with the numbers they have in the whole
# stream; every JSON line parses; the teaching kernel shows every kind the
# machine emits.
. "$(dirname "$0")/support/check.sh"
VLAB=$BUILD/vlab
IMAGE=$BUILD/guests/kernel.elf

[ -f "$IMAGE" ] || { echo "trace: $IMAGE is missing (make all builds it)"; echo "trace: 0 passed, 1 failed"; exit 1; }

for run in 1 2; do
    "$VLAB" trace --json --mem 32M "$IMAGE" >"$tmp/all$run.json" 2>"$tmp/all$run.err"
    echo $? >"$tmp/all$run.status"
done
check "vlab trace passes the guest's exit status through (1)" [ "$(cat "$tmp/all1.status")" = 1 ]
check "the console goes to standard error" grep -q '^init: all [0-9]* tests passed$' "$tmp/all1.err"
check "the trace is not empty" [ -s "$tmp/all1.json" ]
sum1=$(sha256sum <"$tmp/all1.json") sum2=$(sha256sum <"$tmp/all2.json")
check "two runs give the same trace (sha256)" [ "$sum1" = "$sum2" ]
check "every JSON line parses" python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin]' <"$tmp/all1.json"
for kind in ring exception interrupt walk tlb_flush pio; do
    check "the kernel's trace has $kind events" grep -q "\"kind\":\"$kind\"" "$tmp/all1.json"
done
check "sequence numbers count 1, 2, 3 ..." python3 -c '
import json, sys
seqs = [json.loads(l)["seq"] for l in sys.stdin]
sys.exit(0 if seqs == list(range(1, len(seqs) + 1)) else 1)' <"$tmp/all1.json"

"$VLAB" trace --json --kinds walk,ring --mem 32M "$IMAGE" >"$tmp/some.json" 2>/dev/null
grep -E '"kind":"(walk|ring)"' "$tmp/all1.json" >"$tmp/expected.json"
check "--kinds walk,ring keeps exactly those events, numbered as in the whole stream" \
    cmp -s "$tmp/some.json" "$tmp/expected.json"

"$VLAB" trace --kinds exception --max-insns 2000000 --mem 32M "$IMAGE" >"$tmp/text.out" 2>/dev/null
check "text lines name their kind" [ -s "$tmp/text.out" ]
check "text lines are exceptions only" bash -c '! grep -v -E "^#[0-9]+ cpu0 icount=[0-9]+ cycles=[0-9]+ exception " "$0"' "$tmp/text.out"

"$VLAB" run --trace "$tmp/run.json" --mem 32M "$IMAGE" >"$tmp/run.out" 2>"$tmp/run.err"
check "vlab run --trace writes the same JSON lines as vlab trace --json" cmp -s "$tmp/run.json" "$tmp/all1.json"
check "the run's summary counts page walks" grep -qE '^vlab: page walks: [1-9][0-9]* ok' "$tmp/run.err"
check "the run's summary counts simulated cycles" grep -qE '^vlab: [0-9]+ instructions .* [0-9]+ simulated cycles' "$tmp/run.err"

"$VLAB" trace --kinds sysreg --mem 32M "$IMAGE" >"$tmp/sysreg.out" 2>/dev/null
for reg in gdtr idtr tr cr4 cr3 cr0; do
    check "--kinds sysreg shows the kernel loading $reg" grep -q " sysreg reg=$reg " "$tmp/sysreg.out"
done
check "the first system register loads are LGDT, LTR, LIDT, then CR4, CR3 and CR0" \
    [ "$(head -6 "$tmp/sysreg.out" | sed -E 's/.* reg=([a-z0-9]+) .*/\1/' | tr '\n' ' ')" = "gdtr tr idtr cr4 cr3 cr0 " ]
check "paging turns on: a CR0 load sets PG" grep -qE ' sysreg reg=cr0 old=0x0[0-7][0-9a-f]{6} new=0x[89a-f]' "$tmp/sysreg.out"
check "the run's summary counts system register loads" grep -qE '^vlab: system registers loaded: cr0 [0-9]+ cr3 [1-9]' "$tmp/run.err"

"$VLAB" trace --kinds bogus "$IMAGE" >"$tmp/bogus.out" 2>&1
check "an unknown kind is refused with status 2" [ $? -eq 2 ]
check "an unknown kind is named" grep -q "unknown event kind 'bogus'" "$tmp/bogus.out"

finish trace

/* libFuzzer target: the decoder and the disassembler on arbitrary bytes.
 *
 *   make fuzz SECONDS=60
 *
 * Decodes the input as 16-bit and as 32-bit code. Every outcome must be one
 * of enum decode_status, and an accepted instruction must keep the
 * decoder's promises: 1..15 bytes, within the input, the same record when
 * decoded from exactly its own bytes, DECODE_SHORT from one byte fewer. Its
 * text must come out the same at any address and into any buffer: NUL-
 * terminated, cut to the buffer (as snprintf does, never past it: each
 * buffer is its own allocation, so AddressSanitizer sees an overrun),
 * printable, with no white space at the end. A broken promise aborts.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vlab/insn.h"

#define CHECK(cond)                                                              \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "fuzz_decode: %s:%d: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                             \
        }                                                                        \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool is_status(int st)
{
    return st == DECODE_OK || st == DECODE_UD || st == DECODE_TOO_LONG || st == DECODE_SHORT;
}

/* The decoder reads exactly in->len bytes: no more, and it needs them all. */
static void check_length(const struct insn *in, const uint8_t *data, size_t size, bool code32)
{
    struct insn again;
    CHECK(in->len >= 1 && in->len <= 15 && in->len <= size);
    CHECK(in->osize == 2 || in->osize == 4);
    CHECK(in->asize == 2 || in->asize == 4);
    CHECK(in->npfx < in->len);
    CHECK(insn_decode(&again, data, in->len, code32) == DECODE_OK);
    CHECK(!memcmp(&again, in, sizeof(again)));
    CHECK(insn_decode(&again, data, in->len - 1u, code32) == DECODE_SHORT);
}

/* Into a buffer of `cap` bytes the text is cut as snprintf cuts it. */
static void check_cut(const struct insn *in, uint32_t eip, const char *full, int n, size_t cap)
{
    char *small = malloc(cap);
    CHECK(small);
    CHECK(insn_disasm(in, eip, small, cap) == n);
    size_t kept = cap - 1 < (size_t)n ? cap - 1 : (size_t)n;
    CHECK(strlen(small) == kept && !memcmp(small, full, kept));
    free(small);
}

/* The text: printable, no white space at the end, the same whatever the
 * buffer (`cut` picks one more size to try). */
static void check_text(const struct insn *in, uint32_t eip, unsigned cut)
{
    char full[256];
    int n = insn_disasm(in, eip, full, sizeof(full));
    CHECK(n > 0 && (size_t)n < sizeof(full) && strlen(full) == (size_t)n);
    CHECK(full[n - 1] != ' ');
    for (int k = 0; k < n; k++)
        CHECK(full[k] >= ' ' && full[k] <= '~');
    CHECK(insn_disasm(in, eip, NULL, 0) == n);
    check_cut(in, eip, full, n, 1);
    check_cut(in, eip, full, n, (size_t)n);
    check_cut(in, eip, full, n, (size_t)n + 1);
    check_cut(in, eip, full, n, 1 + cut % (unsigned)n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int code32 = 0; code32 < 2; code32++) {
        struct insn in;
        int st = insn_decode(&in, data, size, code32);
        CHECK(is_status(st));
        if (st != DECODE_OK)
            continue;
        check_length(&in, data, size, code32);
        check_text(&in, 0, data[size - 1]);
        check_text(&in, 0xfffffff0u, data[0]); /* branch targets wrap */
    }
    return 0;
}

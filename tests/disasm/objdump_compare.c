/* objdump_compare: vlab's disassembler, checked against GNU objdump.
 *
 *   objdump_compare            every instruction form the decoder accepts
 *   objdump_compare --random N the same with N random byte strings (400000)
 *   objdump_compare FILE...    every instruction of the executable sections
 *                              of ELF32 files (guest images, .o files)
 *
 * Without arguments it builds a corpus, for 32-bit and for 16-bit code, of
 * the byte strings the decoder accepts: every row of the opcode tables with
 * every ModRM byte, SIB bytes, displacements and immediates of edge values,
 * under single and repeated prefixes, and random byte strings. It writes
 * each corpus to a file, runs `objdump -D -b binary -m i386|i8086 -M intel`
 * on it and compares instruction by instruction: objdump must start an
 * instruction at the same offset, of the same length, with the same text
 * (trailing white space aside).
 *
 * With files, it runs `objdump -d -z -M intel` and decodes each instruction
 * objdump lists from the bytes objdump lists (-z shows every byte, so the
 * byte column is the section's contents). objdump names branch targets after
 * symbols there ("call 3 <f+0x3>"); that is rewritten to "call 0x3". It
 * also stops decoding at each symbol: bytes that would run into the next one
 * (data in a code section) show as ".byte 0x..", which are not compared.
 *
 * Prints each mismatch (at most 50) and ends with the closing line
 * "objdump: N passed, M failed"; exits 0 only without failures. In files,
 * instructions the decoder rejects (x87, newer CPUs' instructions, a test
 * guest's deliberate #UD) are listed and counted as skipped: they raise #UD
 * here and have no text to compare.
 *
 * Known limit: objdump gives up on an instruction after 13 prefixes (it
 * prints them as an instruction of their own), so the corpus has at most 13.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vlab/insn.h"

#ifndef MAX_SHOWN
#define MAX_SHOWN 50
#endif

/* ---- Results -------------------------------------------------------------- */

static unsigned long n_passed, n_failed, n_cut, n_undecoded;

static void report(uint32_t addr, const uint8_t *b, unsigned n, const char *why, const char *theirs,
                   const char *ours)
{
    n_failed++;
    if (n_failed > MAX_SHOWN)
        return;
    printf("mismatch at 0x%x:", addr);
    for (unsigned k = 0; k < n; k++)
        printf(" %02x", b[k]);
    printf(" (%s)\n  objdump: %s\n  vlab:    %s\n", why, theirs, ours);
}

static void strip_right(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n'))
        s[--n] = '\0';
}

/* ---- objdump's listing ---------------------------------------------------- */

struct line {
    uint32_t addr;
    uint8_t bytes[16];
    unsigned nbytes;
    char *text;
    unsigned section; /* lines of one section are contiguous */
};

struct listing {
    struct line *v;
    size_t n, cap;
};

static unsigned parse_bytes(const char **p, uint8_t *out, unsigned have, unsigned max)
{
    unsigned v;
    int used;
    while (**p != '\t' && **p != '\n' && **p && sscanf(*p, " %2x%n", &v, &used) == 1) {
        if (have < max)
            out[have] = (uint8_t)v;
        have++;
        *p += used;
        while (**p == ' ')
            (*p)++;
    }
    return have;
}

/* Read `objdump ...` output: one line per instruction; a long instruction's
 * remaining bytes come on lines without text. */
static int run_objdump(const char *cmd, struct listing *l)
{
    FILE *f = popen(cmd, "r");
    if (!f)
        return -1;
    char buf[512];
    unsigned section = 0;
    while (fgets(buf, sizeof(buf), f)) {
        unsigned addr;
        int used = 0;
        if (!strncmp(buf, "Disassembly of section", 22))
            section++;
        if (sscanf(buf, " %x:%n", &addr, &used) != 1 || !used || buf[used] != '\t')
            continue;
        const char *p = buf + used + 1;
        if (l->n && !strchr(p, '\t')) { /* continuation of the previous line */
            struct line *prev = &l->v[l->n - 1];
            prev->nbytes = parse_bytes(&p, prev->bytes, prev->nbytes, sizeof(prev->bytes));
            continue;
        }
        if (l->n == l->cap) {
            l->cap = l->cap ? 2 * l->cap : 4096;
            l->v = realloc(l->v, l->cap * sizeof(*l->v));
            if (!l->v)
                abort();
        }
        struct line *ln = &l->v[l->n++];
        memset(ln, 0, sizeof(*ln));
        ln->addr = addr;
        ln->section = section;
        ln->nbytes = parse_bytes(&p, ln->bytes, 0, sizeof(ln->bytes));
        ln->text = strdup(*p == '\t' ? p + 1 : p);
        strip_right(ln->text);
    }
    return pclose(f) == 0 ? 0 : -1;
}

static void free_listing(struct listing *l)
{
    for (size_t k = 0; k < l->n; k++)
        free(l->v[k].text);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

/* Compare one instruction of ours (decoded from b) with objdump's line. */
static void compare(const uint8_t *b, size_t avail, bool code32, const struct line *ln)
{
    struct insn in;
    char ours[128];
    if (insn_decode(&in, b, avail, code32) != DECODE_OK) {
        /* #UD here: x87, a newer CPU's instruction, a test's deliberate one */
        if (++n_undecoded <= MAX_SHOWN) {
            printf("not decoded at 0x%x:", ln->addr);
            for (unsigned k = 0; k < ln->nbytes; k++)
                printf(" %02x", b[k]);
            printf(" (objdump: %s)\n", ln->text);
        }
        return;
    }
    insn_disasm(&in, ln->addr, ours, sizeof(ours));
    strip_right(ours);
    if (in.len != ln->nbytes)
        report(ln->addr, b, in.len, "length", ln->text, ours);
    else if (strcmp(ours, ln->text))
        report(ln->addr, b, in.len, "text", ln->text, ours);
    else
        n_passed++;
}

/* ---- The corpus ----------------------------------------------------------- */

#define CORPUS_MAX (1u << 21) /* instructions per corpus */

struct corpus {
    bool code32;
    uint8_t *code;      /* the instructions, back to back */
    size_t len;
    uint32_t *start;    /* offset of each instruction */
    uint8_t *ilen;      /* and its length */
    size_t count;
    uint32_t *slot;     /* hash set of instruction index + 1, to keep each once */
    bool after_fwait;   /* the last instruction is FWAIT */
};

static uint32_t hash(const uint8_t *b, unsigned n)
{
    uint32_t h = 2166136261u;
    for (unsigned k = 0; k < n; k++)
        h = (h ^ b[k]) * 16777619u;
    return h;
}

static void corpus_init(struct corpus *c, bool code32)
{
    c->code32 = code32;
    c->code = malloc((size_t)CORPUS_MAX * 15);
    c->start = malloc(CORPUS_MAX * sizeof(*c->start));
    c->ilen = malloc(CORPUS_MAX);
    c->slot = calloc(2 * CORPUS_MAX, sizeof(*c->slot));
    c->len = c->count = 0;
    c->after_fwait = false;
    if (!c->code || !c->start || !c->ilen || !c->slot)
        abort();
}

static void corpus_free(struct corpus *c)
{
    free(c->code);
    free(c->start);
    free(c->ilen);
    free(c->slot);
}

static void append(struct corpus *c, const uint8_t *b, unsigned n)
{
    if (c->count == CORPUS_MAX) {
        fprintf(stderr, "objdump_compare: more than %u instructions\n", CORPUS_MAX);
        exit(2);
    }
    c->start[c->count] = (uint32_t)c->len;
    c->ilen[c->count++] = (uint8_t)n;
    memcpy(c->code + c->len, b, n);
    c->len += n;
}

/* Keep b if the decoder accepts it (the bytes it consumes), once. */
static void add(struct corpus *c, const uint8_t *b, size_t n)
{
    static const uint8_t nop = 0x90;
    struct insn in;
    if (insn_decode(&in, b, n, c->code32) != DECODE_OK || in.npfx > 13)
        return;
    const uint32_t mask = 2 * CORPUS_MAX - 1;
    uint32_t h = hash(b, in.len) & mask;
    for (; c->slot[h]; h = (h + 1) & mask) {
        size_t k = c->slot[h] - 1;
        if (c->ilen[k] == in.len && !memcmp(c->code + c->start[k], b, in.len))
            return;
    }
    /* objdump reads prefixes after a bare FWAIT as FWAIT's own when another
     * FWAIT follows them (9b 66 9b: "data16 fwait", 66 9b): keep them apart. */
    if (c->after_fwait && in.npfx)
        append(c, &nop, 1);
    c->after_fwait = in.d.mnem == M_FWAIT;
    c->slot[h] = (uint32_t)c->count + 1;
    append(c, b, in.len);
}

/* What follows the ModRM byte: an SIB byte (used when rm = 4), then
 * displacement and immediate bytes of edge values. */
static const uint8_t tails[][12] = {
    { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 },
    { 0x24, 0x78, 0x56, 0x34, 0x12, 0xf0, 0xde, 0xbc, 0x9a, 0x11, 0x22, 0x33 },
    { 0x65, 0x80, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x80, 0xff, 0x01, 0x02, 0x03 },
    { 0xe5, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
    { 0x9c, 0x7f, 0x00, 0x00, 0x80, 0x01, 0x80, 0x00, 0x00, 0x00, 0x7f, 0x00 },
};
#define NTAILS (sizeof(tails) / sizeof(tails[0]))

/* Prefix sequences: each kind alone, the pairs objdump treats specially
 * (HLE, BND, NOTRACK, PAUSE), repeats (only the last of a kind is used). */
static const char *const prefix_seqs[] = {
    "", "66", "67", "6667", "26", "2e", "36", "3e", "64", "65", "f0", "f2", "f3",
    "f0f2", "f0f3", "f2f0", "f3f0", "f2f3", "f3f2", "f2f3f0", "6666", "6767", "2e3e",
    "3e26", "263e", "f0f0", "f3f3", "f2f2", "66f3", "f366", "66f2", "f266", "67f3",
    "3e66", "643e", "646766", "f32e67", "67662e", "f066", "66f0", "f02e", "f067",
    "2666", "26666667f32e3e6465666726",
};

struct bytes {
    uint8_t b[32];
    unsigned n;
};

static void push_hex(struct bytes *s, const char *hex)
{
    for (; hex[0] && hex[1]; hex += 2) {
        unsigned v;
        sscanf(hex, "%2x", &v);
        s->b[s->n++] = (uint8_t)v;
    }
}

static void push(struct bytes *s, const uint8_t *b, unsigned n)
{
    memcpy(s->b + s->n, b, n);
    s->n += n;
}

/* One opcode: prefixes, opcode byte(s), ModRM (if modrm >= 0), tail. */
static void add_form(struct corpus *c, const char *pfx, bool two_byte, uint8_t op, int modrm,
                     const uint8_t *tail)
{
    struct bytes s = { .n = 0 };
    push_hex(&s, pfx);
    if (two_byte)
        s.b[s.n++] = 0x0f;
    s.b[s.n++] = op;
    if (modrm >= 0)
        s.b[s.n++] = (uint8_t)modrm;
    push(&s, tail, 12);
    add(c, s.b, s.n);
}

static const struct opdesc *row_of(bool two_byte, unsigned op)
{
    static const uint8_t not_opcode[256] = {
        [0x0f] = 1, [0x26] = 1, [0x2e] = 1, [0x36] = 1, [0x3e] = 1, [0x64] = 1,
        [0x65] = 1, [0x66] = 1, [0x67] = 1, [0xf0] = 1, [0xf2] = 1, [0xf3] = 1,
    };
    const struct opdesc *row = two_byte ? &optable_0f[op] : &optable_1byte[op];
    if ((!two_byte && not_opcode[op]) || (row->mnem == M_BAD && !(row->flags & F_GROUP)))
        return NULL;
    return row;
}

/* ModRM bytes for the prefixed variants: every reg (group rows), each mod,
 * the special rm values (SIB, disp32/disp16 only). */
static const uint8_t some_modrm[] = { 0x00, 0x04, 0x05, 0x06, 0x46, 0x44, 0x82, 0x84, 0xc1, 0xc7 };

static void gen_tables(struct corpus *c)
{
    for (int two_byte = 0; two_byte < 2; two_byte++) {
        for (unsigned op = 0; op < 256; op++) {
            const struct opdesc *row = row_of(two_byte, op);
            if (!row)
                continue;
            bool modrm = row->flags & F_MODRM;
            for (unsigned t = 0; t < NTAILS; t++)
                for (int m = 0; m < (modrm ? 256 : 1); m++)
                    add_form(c, "", two_byte, (uint8_t)op, modrm ? m : -1, tails[t]);
            for (size_t p = 1; p < sizeof(prefix_seqs) / sizeof(prefix_seqs[0]); p++)
                for (unsigned t = 0; t < 2; t++)
                    for (unsigned reg = 0; reg < (modrm ? 8 : 1); reg++)
                        for (size_t m = 0; m < (modrm ? sizeof(some_modrm) : 1); m++)
                            add_form(c, prefix_seqs[p], two_byte, (uint8_t)op,
                                     modrm ? (int)(some_modrm[m] | reg << 3) : -1, tails[t]);
        }
    }
}

/* Every SIB byte under each mod, and every ModRM byte with each
 * displacement, in both address sizes, for a few instructions. */
static void gen_addresses(struct corpus *c)
{
    static const uint8_t ops[] = { 0x8b, 0x8d, 0xc7, 0xf6, 0x88 };
    static const char *const asize[] = { "", "67" };
    for (size_t k = 0; k < sizeof(ops); k++)
        for (unsigned mod = 0; mod < 3; mod++)
            for (unsigned sib = 0; sib < 256; sib++)
                for (unsigned t = 1; t < NTAILS; t++)
                    for (unsigned a = 0; a < 2; a++) {
                        uint8_t tail[12];
                        tail[0] = (uint8_t)sib;
                        memcpy(tail + 1, tails[t] + 1, 11);
                        add_form(c, asize[a], false, ops[k], (int)(mod << 6 | 2 << 3 | 4), tail);
                        add_form(c, asize[a], false, ops[k], (int)(mod << 6 | (sib & 0x3f)), tail);
                    }
}

static uint8_t random_byte(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return (uint8_t)(*x >> 24);
}

/* Random byte strings behind 0..4 random prefixes, half of them 0F xx. */
static void gen_random(struct corpus *c, unsigned long tries)
{
    static const uint8_t prefixes[] = { 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3 };
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (unsigned long i = 0; i < tries; i++) {
        uint8_t b[32];
        unsigned n = 0, npfx = random_byte(&x) % 5;
        for (unsigned k = 0; k < npfx; k++)
            b[n++] = prefixes[random_byte(&x) % sizeof(prefixes)];
        if (random_byte(&x) & 1)
            b[n++] = 0x0f;
        while (n < sizeof(b))
            b[n++] = random_byte(&x);
        add(c, b, sizeof(b));
    }
}

/* ---- Running the comparisons ---------------------------------------------- */

static int write_file(int fd, const uint8_t *b, size_t n)
{
    FILE *f = fdopen(fd, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(b, 1, n, f);
    return fclose(f) == 0 && w == n ? 0 : -1;
}

/* Disassemble the corpus with objdump and compare each of its instructions. */
static int compare_corpus(const struct corpus *c)
{
    char path[] = "/tmp/vlab-objcmp-XXXXXX";
    int fd = mkstemp(path); /* <unistd.h> is not included: its F_LOCK clashes with ours */
    if (fd < 0)
        return -1;
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "objdump -D -z -b binary -m %s -M intel %s", c->code32 ? "i386" : "i8086",
             path);
    struct listing l = { 0 };
    int err = write_file(fd, c->code, c->len) || run_objdump(cmd, &l);
    remove(path);
    if (err) {
        fprintf(stderr, "objdump_compare: cannot run %s\n", cmd);
        free_listing(&l);
        return -1;
    }
    size_t j = 0;
    for (size_t i = 0; i < c->count; i++) {
        uint32_t at = c->start[i];
        while (j < l.n && l.v[j].addr < at)
            j++;
        if (j < l.n && l.v[j].addr == at) {
            compare(c->code + at, c->len - at, c->code32, &l.v[j]);
            continue;
        }
        const char *theirs = j ? l.v[j - 1].text : "(nothing)";
        report(at, c->code + at, c->ilen[i], "objdump does not start an instruction here", theirs, "");
    }
    free_listing(&l);
    return 0;
}

/* "call   3 <f+0x3>" -> "call   0x3": objdump names targets in ELF files. */
static void unname_target(char *text)
{
    char *lt = strstr(text, " <");
    size_t n = strlen(text);
    if (!lt || text[n - 1] != '>')
        return;
    *lt = '\0';
    char *num = strrchr(text, ' ');
    char *comma = strrchr(text, ',');
    if (comma > num)
        num = comma;
    if (!num)
        return;
    char digits[32];
    snprintf(digits, sizeof(digits), "%s", num + 1);
    snprintf(num + 1, (size_t)(lt - num) + 2, "0x%s", digits);
}

/* Compare every instruction objdump lists in the code sections of an ELF
 * file, decoding from the bytes it lists. */
static int compare_elf(const char *file)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "objdump -d -z -M intel '%s'", file);
    struct listing l = { 0 };
    if (strchr(file, '\'') || run_objdump(cmd, &l)) {
        fprintf(stderr, "objdump_compare: objdump cannot read %s\n", file);
        free_listing(&l);
        return -1;
    }
    uint8_t *bytes = malloc(l.n * 16 + 16);
    if (!bytes)
        abort();
    for (size_t first = 0; first < l.n;) {
        size_t end = first, len = 0;
        uint32_t base = l.v[first].addr;
        while (end < l.n && l.v[end].section == l.v[first].section && l.v[end].addr == base + len) {
            memcpy(bytes + len, l.v[end].bytes, l.v[end].nbytes);
            len += l.v[end].nbytes;
            end++;
        }
        for (size_t k = first; k < end; k++) {
            if (!strncmp(l.v[k].text, ".byte", 5)) {
                n_cut++; /* an instruction cut short by a symbol: data in code */
                continue;
            }
            unname_target(l.v[k].text);
            uint32_t at = l.v[k].addr - base;
            compare(bytes + at, len - at, true, &l.v[k]);
        }
        first = end > first ? end : first + 1;
    }
    free(bytes);
    free_listing(&l);
    return 0;
}

int main(int argc, char **argv)
{
    if (system("objdump --version >/dev/null 2>&1") != 0) {
        printf("objdump: SKIPPED (objdump not found)\n");
        printf("objdump: 0 passed, 0 failed, 1 skipped\n");
        return 0;
    }
    int err = 0;
    unsigned long random_tries = 400000;
    if (argc == 3 && !strcmp(argv[1], "--random")) { /* a longer random run */
        random_tries = strtoul(argv[2], NULL, 0);
        argc = 1;
    }
    if (argc > 1) {
        for (int k = 1; k < argc; k++)
            err |= compare_elf(argv[k]);
    } else {
        for (int code32 = 1; code32 >= 0; code32--) {
            struct corpus c;
            corpus_init(&c, code32);
            gen_tables(&c);
            gen_addresses(&c);
            gen_random(&c, random_tries);
            printf("corpus (%d-bit code): %zu instructions, %zu bytes\n", code32 ? 32 : 16, c.count, c.len);
            err |= compare_corpus(&c);
            corpus_free(&c);
        }
    }
    if (n_failed > MAX_SHOWN)
        printf("(%lu more mismatches not shown)\n", n_failed - MAX_SHOWN);
    if (n_cut)
        printf("%lu \".byte\" lines not compared: objdump stops at each symbol, and these\n"
               "bytes run into the next one (data in a code section)\n", n_cut);
    if (err)
        n_failed++;
    if (n_undecoded)
        printf("objdump: %lu passed, %lu failed, %lu skipped (not decoded: #UD in vlab)\n", n_passed,
               n_failed, n_undecoded);
    else
        printf("objdump: %lu passed, %lu failed\n", n_passed, n_failed);
    return n_failed ? 1 : 0;
}

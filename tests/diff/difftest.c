/*
 * difftest -- vlab's CPU against the host CPU.
 *
 * Each sequence (gen.c) runs twice: natively at CPL 3 in 32-bit mode
 * (native32.c) and on a vlab machine set up the same way (vside.c). Then
 * everything architectural is compared: the eight registers, EFLAGS
 * (except RF and the flags the SDM leaves undefined), EIP, the exception
 * (as the signal Linux delivers: signal, vector, error code, CR2) and the
 * 60 KiB of arena memory.
 *
 *   difftest [--sequences N] [--seed S] [--directed-only] [--verbose]
 *            [--list] [--only I] [--reports N]
 *
 * Half the sequences are directed (one instance of one template, the
 * templates in turn), half mixed (1..8 random templates chained); with
 * --directed-only all are directed. The run is deterministic for a seed;
 * --only I repeats sequence I of it, verbosely. The first --reports
 * mismatches (20) are printed in full.
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "gen.h"
#include "native32.h"
#include "vlab/insn.h"
#include "vside.h"


struct options {
    unsigned long sequences;
    uint64_t seed;
    bool directed_only, verbose, list;
    long only;
    unsigned long reports; /* mismatches printed in full */
};

/* Per template: runs, mismatches and native exceptions of its directed
 * sequences; runs and mismatches of the mixed ones it was part of. */
struct tally {
    unsigned long runs, fails, faults, mixed_runs, mixed_fails;
};

struct tester {
    struct options opt;
    struct vside v;
    uint8_t *native;                /* the host arena */
    uint8_t ref[GEN_MAPPED_SIZE];   /* what both arenas hold between runs */
    struct tally *tally;
    unsigned long mismatches;
};

/* What differs between the two outcomes. */
#define D_EFLAGS 0x100u /* bits 0..7: the registers */
#define D_EIP 0x200u
#define D_FAULT 0x400u
#define D_ARENA 0x800u
#define D_STOP 0x1000u
#define D_UNSAFE 0x2000u

struct result {
    struct outcome nat, vl;
    unsigned diff;
    uint32_t arena_off;           /* first differing arena byte, with D_ARENA */
    uint8_t arena_nat, arena_vl;  /* its values */
};

/* ---- Options ------------------------------------------------------------- */

static void usage(void)
{
    fprintf(stderr, "usage: difftest [--sequences N] [--seed S] [--directed-only] [--verbose]\n"
                    "                [--list] [--only I] [--reports N]\n");
}

static int parse_options(int argc, char **argv, struct options *o)
{
    *o = (struct options){ .sequences = 30000, .seed = 1, .only = -1, .reports = 20 };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_val = i + 1 < argc;
        if (!strcmp(a, "--sequences") && has_val)
            o->sequences = strtoul(argv[++i], NULL, 0);
        else if (!strcmp(a, "--seed") && has_val)
            o->seed = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(a, "--reports") && has_val)
            o->reports = strtoul(argv[++i], NULL, 0);
        else if (!strcmp(a, "--only") && has_val)
            o->only = strtol(argv[++i], NULL, 0);
        else if (!strcmp(a, "--directed-only"))
            o->directed_only = true;
        else if (!strcmp(a, "--verbose"))
            o->verbose = true;
        else if (!strcmp(a, "--list"))
            o->list = true;
        else
            return -1;
    }
    return 0;
}

/* ---- Printing ------------------------------------------------------------ */

static const char *const reg_names[8] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };

static void print_flags(uint32_t mask)
{
    static const struct { uint32_t bit; const char *name; } f[] = {
        { 0x001, "CF" }, { 0x004, "PF" }, { 0x010, "AF" }, { 0x040, "ZF" }, { 0x080, "SF" },
        { 0x100, "TF" }, { 0x200, "IF" }, { 0x400, "DF" }, { 0x800, "OF" }, { 0x3000, "IOPL" },
        { 0x4000, "NT" }, { 0x40000, "AC" }, { 0x200000, "ID" },
    };
    const char *sep = "";
    for (unsigned i = 0; i < sizeof f / sizeof f[0]; i++)
        if (mask & f[i].bit) {
            printf("%s%s", sep, f[i].name);
            sep = " ";
        }
    if (mask & ~0x247fd5u)
        printf("%s%#x", sep, mask & ~0x247fd5u);
}

/* The sequence, one instruction a line, disassembled with vlab's decoder;
 * the int3 padding before a page-crossing sequence as one line. */
static void print_code(const struct seq *s)
{
    size_t off = 0;
    while (off < s->len) {
        size_t pad = 0;
        while (off + pad < s->len && s->code[off + pad] == 0xcc)
            pad++;
        if (pad >= 16) {
            printf("    %08" PRIx32 ":  (%zu bytes of int3)\n", N32_CODE_BASE + (uint32_t)off, pad);
            off += pad;
            continue;
        }
        struct insn in;
        char text[96] = "(bad)";
        size_t n = 1;
        if (insn_decode(&in, s->code + off, s->len - off, true) == DECODE_OK) {
            n = in.len;
            insn_disasm(&in, N32_CODE_BASE + (uint32_t)off, text, sizeof text);
        }
        printf("    %08" PRIx32 ":  ", N32_CODE_BASE + (uint32_t)off);
        for (size_t k = 0; k < 8; k++)
            printf(k < n ? "%02x " : "   ", k < n ? s->code[off + k] : 0);
        printf(" %s%s\n", text, n > 8 ? " ..." : "");
        off += n;
    }
}

static void print_state(const char *what, const uint32_t r[8], uint32_t eflags)
{
    printf("  %-8s", what);
    for (unsigned i = 0; i < 8; i++)
        printf("%s=%08" PRIx32 " ", reg_names[i], r[i]);
    printf("efl=%08" PRIx32 "\n", eflags);
}

static void print_outcome(const char *what, const struct outcome *o)
{
    print_state(what, o->r, o->eflags);
    printf("          eip=%08" PRIx32, o->eip);
    if (o->signo)
        printf("  signal %d, vector %d, error %#" PRIx32 ", addr %#" PRIx32, o->signo,
               o->trapno, o->err, o->addr);
    if (o->stop)
        printf("  (stopped: %s)", o->stop);
    printf("\n");
}

/* What differs, on the current line. */
static void print_diff(const struct result *res, uint32_t mask)
{
    for (unsigned i = 0; i < 8; i++)
        if (res->diff & (1u << i))
            printf(" %s", reg_names[i]);
    if (res->diff & D_EFLAGS) {
        printf(" eflags(");
        print_flags((res->nat.eflags ^ res->vl.eflags) & mask);
        printf(")");
    }
    if (res->diff & D_EIP)
        printf(" eip");
    if (res->diff & D_FAULT)
        printf(" exception");
    if (res->diff & D_ARENA)
        printf(" memory(at %#" PRIx32 ": native %02x, vlab %02x)", N32_ARENA_BASE + res->arena_off,
               res->arena_nat, res->arena_vl);
    if (res->diff & D_UNSAFE)
        printf(" (vlab stopped outside the arena: native run skipped)");
    else if (res->diff & D_STOP)
        printf(" vlab-stopped");
}

/* One line per mismatch; the first opt.reports in full. */
static void report(const struct tester *t, unsigned long i, const struct seq *s,
                   const struct result *res, bool full)
{
    if (res->diff)
        printf("mismatch %lu: ", t->mismatches);
    printf("sequence %lu, %s", i, s->mixed ? "mixed:" : "directed:");
    for (unsigned k = 0; k < s->ntmpl; k++)
        printf("%s \"%s\"", k ? "," : "", gen_name(s->tmpl[k]));
    if (res->diff) {
        printf(": differs:");
        print_diff(res, ~(s->undef | EFLAGS_RF));
    } else {
        printf(": same");
    }
    printf("\n");
    if (!full)
        return;
    print_code(s);
    print_state("before", s->r, 0x202u | (s->eflags & N32_EFLAGS_IN_MASK));
    for (unsigned k = 0; k < s->npatch; k++)
        printf("          [%#" PRIx32 "] = %#" PRIx32 " (%u bytes)\n", s->patch[k].addr,
               s->patch[k].value, s->patch[k].size);
    if (s->undef) {
        printf("          undefined, not compared: ");
        print_flags(s->undef);
        printf("\n");
    }
    print_outcome("native", &res->nat);
    print_outcome("vlab", &res->vl);
}

/* ---- One run ------------------------------------------------------------- */

/* The arenas hold t->ref between runs; a directed sequence's patches go
 * into both. Returns the pages patched. */
static uint32_t apply_patches(struct tester *t, const struct seq *s)
{
    uint32_t pages = 0;
    for (unsigned k = 0; k < s->npatch; k++) {
        const struct gen_patch *p = &s->patch[k];
        for (unsigned b = 0; b < p->size; b++) {
            uint32_t off = p->addr - N32_ARENA_BASE + b;
            t->native[off] = t->v.arena[off / 4096][off % 4096] = (uint8_t)(p->value >> (8 * b));
            pages |= 1u << (off / 4096);
        }
    }
    return pages;
}

/* Compare the arenas page by page; put both back to t->ref where either
 * may have changed. */
static void compare_arenas(struct tester *t, uint32_t touched, struct result *res)
{
    for (unsigned i = 0; i < VSIDE_ARENA_PAGES; i++) {
        uint8_t *nat = t->native + i * 4096, *vl = t->v.arena[i];
        bool differ = memcmp(nat, vl, 4096) != 0;
        if (differ && !(res->diff & D_ARENA)) {
            unsigned k = 0;
            while (nat[k] == vl[k])
                k++;
            res->diff |= D_ARENA;
            res->arena_off = i * 4096 + k;
            res->arena_nat = nat[k];
            res->arena_vl = vl[k];
        }
        if (differ || (touched & (1u << i))) {
            memcpy(nat, t->ref + i * 4096, 4096);
            memcpy(vl, t->ref + i * 4096, 4096);
        }
    }
}

/* A vlab #PF outside the arena and the first 4 KiB means the sequence (or
 * vlab) would touch host memory: the native side must not run it. */
static bool unsafe_for_native(const struct outcome *vl)
{
    if (vl->stop)
        return true;
    if (vl->trapno != 14 || !vl->signo)
        return false;
    return !(vl->addr < 0x1000 || (vl->addr - N32_ARENA_BASE) < N32_ARENA_SIZE);
}

static void compare(const struct seq *s, struct result *res)
{
    const struct outcome *a = &res->nat, *b = &res->vl;
    uint32_t mask = ~(s->undef | EFLAGS_RF);
    for (unsigned i = 0; i < 8; i++)
        if (a->r[i] != b->r[i])
            res->diff |= 1u << i;
    if ((a->eflags ^ b->eflags) & mask)
        res->diff |= D_EFLAGS;
    if (a->eip != b->eip)
        res->diff |= D_EIP;
    if (a->signo != b->signo || a->trapno != b->trapno || a->err != b->err || a->addr != b->addr)
        res->diff |= D_FAULT;
    if (b->stop)
        res->diff |= D_STOP;
}

static void run_seq(struct tester *t, const struct seq *s, struct result *res)
{
    memset(res, 0, sizeof(*res));
    uint32_t touched = apply_patches(t, s);
    vside_run(&t->v, s->code, s->len, s->r, s->eflags, &res->vl);
    if (unsafe_for_native(&res->vl)) {
        res->diff = D_UNSAFE | D_STOP;
    } else {
        struct n32_state st;
        struct n32_fault f;
        memcpy(st.r, s->r, sizeof st.r);
        st.eflags = s->eflags;
        int rc = n32_run(s->code, s->len, &st, &f);
        assert(rc == 0); /* the arguments are always valid */
        (void)rc;
        res->nat = (struct outcome){ .eflags = st.eflags, .eip = st.eip, .signo = f.signo,
                                     .trapno = f.trapno, .err = f.err, .addr = f.addr };
        memcpy(res->nat.r, st.r, sizeof st.r);
        compare(s, res);
    }
    compare_arenas(t, touched | vside_dirty_pages(&t->v), res);
}

/* ---- The run ------------------------------------------------------------- */

static uint64_t seq_seed(uint64_t seed, unsigned long i)
{
    return seed * 0x9e3779b97f4a7c15ull + i * 0xd1b54a32d192ed03ull + 1;
}

static void make_seq(const struct tester *t, unsigned long i, struct seq *s)
{
    if (t->opt.directed_only || i % 2 == 0)
        gen_directed(s, (unsigned)((t->opt.directed_only ? i : i / 2) % gen_count()),
                     seq_seed(t->opt.seed, i));
    else
        gen_mixed(s, seq_seed(t->opt.seed, i));
}

static void count(struct tester *t, const struct seq *s, const struct result *res)
{
    bool failed = res->diff != 0;
    for (unsigned k = 0; k < s->ntmpl; k++) {
        struct tally *y = &t->tally[s->tmpl[k]];
        if (s->mixed) {
            y->mixed_runs++;
            y->mixed_fails += failed;
        } else {
            y->runs++;
            y->fails += failed;
            y->faults += res->nat.signo != 0;
        }
    }
}

static void run_all(struct tester *t)
{
    static struct seq s;
    struct result res;
    unsigned long first = t->opt.only >= 0 ? (unsigned long)t->opt.only : 0;
    unsigned long last = t->opt.only >= 0 ? first + 1 : t->opt.sequences;
    for (unsigned long i = first; i < last; i++) {
        make_seq(t, i, &s);
        run_seq(t, &s, &res);
        count(t, &s, &res);
        if (res.diff)
            t->mismatches++;
        if (res.diff || t->opt.only >= 0)
            report(t, i, &s, &res, t->mismatches <= t->opt.reports || t->opt.only >= 0);
    }
}

static void print_summary(const struct tester *t)
{
    printf("per template: directed runs, mismatches, exceptions;"
           " in mixed sequences runs, mismatches\n");
    for (unsigned k = 0; k < gen_count(); k++) {
        const struct tally *y = &t->tally[k];
        printf("  %-48s %6lu %5lu %5lu   %6lu %5lu%s\n", gen_name(k), y->runs, y->fails, y->faults,
               y->mixed_runs, y->mixed_fails, y->fails ? "  <--" : "");
    }
}

static void list_templates(void)
{
    printf("%u templates (undefined flags are not compared)\n", gen_count());
    for (unsigned k = 0; k < gen_count(); k++) {
        printf("  %3u  %-48s %-8s ", k, gen_name(k), gen_kind(k));
        print_flags(gen_undef(k));
        printf("\n");
    }
}

/* The host side: native32 with the arena's last page unmapped. Returns 0
 * or a negative errno. */
static int setup_native(struct tester *t)
{
    int rc = n32_init();
    if (rc)
        return rc;
    t->native = n32_arena();
    if (mprotect(t->native + GEN_MAPPED_SIZE, 4096, PROT_NONE)) {
        rc = -errno;
        n32_fini();
    }
    return rc;
}

/* The vlab machine; both arenas filled with the same random bytes.
 * Returns 0 or a negative errno. */
static int setup_vlab(struct tester *t)
{
    t->tally = calloc(gen_count(), sizeof *t->tally);
    if (!t->tally)
        return -ENOMEM;
    int rc = vside_init(&t->v);
    if (rc) {
        free(t->tally);
        return rc;
    }
    uint64_t x = t->opt.seed ^ 0x5deece66dull;
    for (size_t i = 0; i < GEN_MAPPED_SIZE; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        t->ref[i] = (uint8_t)(x >> 56);
    }
    for (unsigned i = 0; i < VSIDE_ARENA_PAGES; i++) {
        memcpy(t->native + i * 4096, t->ref + i * 4096, 4096);
        memcpy(t->v.arena[i], t->ref + i * 4096, 4096);
    }
    return 0;
}

int main(int argc, char **argv)
{
    static struct tester t;
    if (parse_options(argc, argv, &t.opt)) {
        usage();
        return 2;
    }
    if (t.opt.list) {
        list_templates();
        return 0;
    }
    int rc = setup_native(&t);
    if (rc) {
        printf("difftest: SKIPPED (cannot run code natively: %s)\n",
               rc == -ENOTSUP ? N32_UNAVAILABLE : strerror(-rc));
        printf("difftest: 0 passed, 0 failed, 1 skipped\n");
        return 0;
    }
    rc = setup_vlab(&t);
    if (rc) {
        printf("difftest: cannot build the vlab machine: %s\n", strerror(-rc));
        n32_fini();
        return 1;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    run_all(&t);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    unsigned long n = t.opt.only >= 0 ? 1 : t.opt.sequences;
    if (t.opt.verbose)
        print_summary(&t);
    printf("difftest: %lu templates, %.2f s, %.0f sequences/s\n", (unsigned long)gen_count(), secs,
           secs > 0 ? (double)n / secs : 0.0);
    printf("difftest: %lu sequences, %lu mismatches\n", n, t.mismatches);
    printf("difftest: %lu passed, %lu failed\n", n - t.mismatches, t.mismatches);
    free(t.tally);
    vside_fini(&t.v);
    n32_fini();
    return t.mismatches ? 1 : 0;
}

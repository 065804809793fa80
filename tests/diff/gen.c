/*
 * gen.c -- the generator engine: randomness, the emission helpers the
 * templates use (gen_internal.h), and the assembly of directed and mixed
 * sequences. The templates themselves are in gen_table.c.
 */
#include <assert.h>
#include <string.h>

#include "gen_internal.h"

/* ---- Randomness ---------------------------------------------------------- */

/* splitmix64: small, fast, and every seed gives a good stream. */
static uint64_t next64(struct gen *g)
{
    uint64_t z = (g->rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint32_t rnd32(struct gen *g)
{
    return (uint32_t)(next64(g) >> 32);
}

unsigned rnd(struct gen *g, unsigned n)
{
    return (unsigned)(((uint64_t)rnd32(g) * n) >> 32);
}

bool chance(struct gen *g, unsigned percent)
{
    return rnd(g, 100) < percent;
}

/* A value for an operand of `size` bytes: often a boundary case of that
 * size (0, 1, the largest positive, the most negative, all ones ...), with
 * random bits above it so that partial-register writes are seen. */
uint32_t pick_value(struct gen *g, unsigned size)
{
    uint32_t m = mask_of(size), sb = (m >> 1) + 1;
    const uint32_t edge[] = { 0, 1, 2, sb - 1, sb, sb + 1, m, m - 1 };
    switch (rnd(g, 8)) {
    case 0: case 1: case 2:
        return rnd32(g);
    case 3:
        return (rnd32(g) & ~m) | rnd(g, 17);
    case 4:
        return (rnd32(g) & ~m) | ((0u - rnd(g, 17)) & m);
    default:
        return (rnd32(g) & ~m) | edge[rnd(g, 8)];
    }
}

/* An address where `size` bytes are mapped arena: uniformly anywhere, or
 * straddling a boundary between two mapped pages (a TLB/crossing case). */
uint32_t pick_addr(struct gen *g, unsigned size)
{
    uint32_t off;
    assert(size >= 1 && size <= GEN_MAPPED_SIZE);
    if (chance(g, 20) && size > 1) {
        uint32_t page = 1 + rnd(g, GEN_MAPPED_SIZE / 4096 - 1);
        off = page * 4096 - 1 - rnd(g, size - 1);
    } else {
        off = rnd(g, GEN_MAPPED_SIZE - size + 1);
        if (chance(g, 50))
            off &= ~(size >= 4 ? 3u : size - 1);
    }
    return N32_ARENA_BASE + off;
}

uint32_t pick_stack_addr(struct gen *g)
{
    return (GEN_STACK - 0x800 + rnd(g, 0x1000)) & ~3u;
}

/* A register the instance may write. In a mixed sequence that excludes
 * ESP (later pushes must stay in the arena); a byte operand's register 4
 * is AH, which is fine. */
unsigned pick_dst(struct gen *g, unsigned size)
{
    unsigned r;
    do
        r = rnd(g, 8);
    while (r == ESP && size != 1 && g->mixed);
    return r;
}

unsigned pick_free(struct gen *g)
{
    unsigned r;
    assert((g->fixed | (1u << ESP)) != 0xff);
    do
        r = rnd(g, 8);
    while (r == ESP || (g->fixed & (1u << r)));
    return r;
}

/* The flags each pair of condition codes (O/NO, B/AE, E/NE ...) reads. */
uint32_t cc_reads(unsigned cc)
{
    static const uint32_t reads[8] = {
        FL_OF, FL_CF, FL_ZF, FL_CF | FL_ZF, FL_SF, FL_PF, FL_SF | FL_OF, FL_ZF | FL_SF | FL_OF,
    };
    return reads[(cc >> 1) & 7];
}

/* ---- Emission ------------------------------------------------------------ */

void put8(struct gen *g, unsigned byte)
{
    assert(g->s->len < GEN_CODE_MAX);
    g->s->code[g->s->len++] = (uint8_t)byte;
}

void put(struct gen *g, uint32_t v, unsigned size)
{
    for (unsigned k = 0; k < size; k++)
        put8(g, (v >> (8 * k)) & 0xff);
}

void put_op(struct gen *g, uint16_t op)
{
    if (op > 0xff)
        put8(g, op >> 8);
    put8(g, op & 0xff);
}

void put_osize(struct gen *g, unsigned size)
{
    if (size == 2)
        put8(g, 0x66);
}

/* Insert bytes at g->start, in front of the current instruction. */
static void insert(struct gen *g, const uint8_t *bytes, size_t n)
{
    struct seq *s = g->s;
    assert(s->len + n <= GEN_CODE_MAX);
    memmove(s->code + g->start + n, s->code + g->start, s->len - g->start);
    memcpy(s->code + g->start, bytes, n);
    s->len += n;
}

void prefix(struct gen *g, unsigned byte)
{
    uint8_t b = (uint8_t)byte;
    insert(g, &b, 1);
}

/* Handles returned by need_*: a register or patch of the initial state
 * (directed), or the code offset of a `mov`'s immediate (mixed). */
#define HANDLE_REG 0x10000u
#define HANDLE_PATCH 0x20000u
static_assert(GEN_CODE_MAX < HANDLE_REG, "handles");

/* Put a `mov` in front of the current instruction; returns the offset of
 * its 32-bit immediate (the last four bytes). */
static unsigned insert_mov(struct gen *g, const uint8_t *bytes, size_t n)
{
    insert(g, bytes, n);
    g->start += n;
    return (unsigned)(g->start - 4);
}

unsigned need_reg(struct gen *g, unsigned reg, uint32_t value)
{
    assert(reg != ESP && reg < 8);
    if (!g->mixed) {
        assert(!(g->fixed & (1u << reg)) || g->s->r[reg] == value);
        g->fixed |= (uint8_t)(1u << reg);
        g->s->r[reg] = value;
        return HANDLE_REG | reg;
    }
    g->fixed |= (uint8_t)(1u << reg);
    uint8_t mov[5] = { (uint8_t)(0xb8 + reg), (uint8_t)value, (uint8_t)(value >> 8),
                       (uint8_t)(value >> 16), (uint8_t)(value >> 24) };
    return insert_mov(g, mov, sizeof mov);
}

unsigned need_mem(struct gen *g, uint32_t addr, unsigned size, uint32_t value)
{
    struct seq *s = g->s;
    assert(addr >= N32_ARENA_BASE && addr + size <= GEN_GUARD);
    if (!g->mixed) {
        assert(s->npatch < GEN_PATCH_MAX);
        s->patch[s->npatch] = (struct gen_patch){ addr, value, (uint8_t)size };
        return HANDLE_PATCH | s->npatch++;
    }
    /* mov byte/word/dword [addr], imm */
    uint8_t mov[11];
    size_t n = 0;
    if (size == 2)
        mov[n++] = 0x66;
    mov[n++] = size == 1 ? 0xc6 : 0xc7;
    mov[n++] = 0x05;
    for (unsigned k = 0; k < 4; k++)
        mov[n++] = (uint8_t)(addr >> (8 * k));
    for (unsigned k = 0; k < size; k++)
        mov[n++] = (uint8_t)(value >> (8 * k));
    return insert_mov(g, mov, n);
}

/* Set the value of a 4-byte need once it is known. */
void fix_need(struct gen *g, unsigned handle, uint32_t value)
{
    struct seq *s = g->s;
    if (handle & HANDLE_REG) {
        s->r[handle & 7] = value;
    } else if (handle & HANDLE_PATCH) {
        assert(s->patch[handle & 0xff].size == 4);
        s->patch[handle & 0xff].value = value;
    } else {
        for (unsigned k = 0; k < 4; k++)
            s->code[handle + k] = (uint8_t)(value >> (8 * k));
    }
}

/* ---- ModRM operands ------------------------------------------------------ */

void modrm_reg(struct gen *g, unsigned regfield, unsigned rm)
{
    put8(g, 0xc0 | (regfield << 3) | rm);
}

static void put_disp(struct gen *g, uint32_t disp, unsigned size)
{
    put(g, disp, size);
}

/* An optional segment override: DS, ES and SS are flat like DS; CS is a
 * readable code segment, so it may only override reads. */
void maybe_seg_override(struct gen *g, enum acc acc)
{
    static const uint8_t seg[] = { 0x3e, 0x26, 0x36, 0x2e };
    if (chance(g, 10))
        prefix(g, seg[rnd(g, acc == ACC_WRITE ? 3 : 4)]);
}

static bool fits8(uint32_t v)
{
    return (int32_t)v >= -128 && (int32_t)v <= 127;
}

/* [esp + disp]: only where ESP's value at the instruction is known. */
static void mem_esp(struct gen *g, unsigned regfield, uint32_t addr)
{
    assert(!g->mixed);
    uint32_t disp = addr - (g->s->r[ESP] + g->esp_ea_delta);
    bool d8 = fits8(disp);
    put8(g, (d8 ? 0x44 : 0x84) | (regfield << 3));
    put8(g, 0x24);
    put_disp(g, disp, d8 ? 1 : 4);
}

/* [base + index * 2^scale + disp], each part optional, built to equal addr. */
static void mem_sib(struct gen *g, unsigned regfield, uint32_t addr, bool has_base)
{
    unsigned index = pick_free(g), scale = rnd(g, 4);
    uint32_t iv = chance(g, 70) ? (uint32_t)(rnd(g, 129) - 64) : rnd32(g);
    need_reg(g, index, iv);
    if (!has_base) {
        put8(g, 0x04 | (regfield << 3));
        put8(g, (scale << 6) | (index << 3) | 5);
        put_disp(g, addr - (iv << scale), 4);
        return;
    }
    unsigned base = pick_free(g);
    unsigned dsize = rnd(g, 3) == 0 ? 0 : rnd(g, 2) ? 1 : 4;
    if (base == EBP && dsize == 0)
        dsize = 1; /* mod 00 with base 101 means "no base" */
    uint32_t disp = dsize == 1 ? (uint32_t)(rnd(g, 256) - 128) : dsize == 4 ? pick_value(g, 4) : 0;
    need_reg(g, base, addr - disp - (iv << scale));
    put8(g, (dsize == 0 ? 0x04 : dsize == 1 ? 0x44 : 0x84) | (regfield << 3));
    put8(g, (scale << 6) | (index << 3) | base);
    put_disp(g, disp, dsize);
}

/* [base + disp]: mod 00 (no disp; not EBP), 01 (disp8) or 10 (disp32). */
static void mem_base(struct gen *g, unsigned regfield, uint32_t addr)
{
    unsigned base = pick_free(g);
    unsigned mod = rnd(g, 3);
    if (base == EBP && mod == 0)
        mod = 1;
    uint32_t disp = mod == 1 ? (uint32_t)(rnd(g, 256) - 128) : mod == 2 ? pick_value(g, 4) : 0;
    need_reg(g, base, addr - disp);
    put8(g, (mod << 6) | (regfield << 3) | base);
    put_disp(g, disp, mod == 1 ? 1 : mod == 2 ? 4 : 0);
}

/* A memory operand at `addr`, in one of the 32-bit addressing forms. */
void modrm_mem(struct gen *g, unsigned regfield, uint32_t addr, enum acc acc)
{
    if (g->seg_ok)
        maybe_seg_override(g, acc);
    unsigned form = rnd(g, g->esp_ea ? 6 : 5);
    if (__builtin_popcount(g->fixed | (1u << ESP)) > 5)
        form = 0; /* not enough registers left to build an address from */
    switch (form) {
    case 0: /* [disp32] */
        put8(g, 0x05 | (regfield << 3));
        put_disp(g, addr, 4);
        break;
    case 1: case 2:
        mem_base(g, regfield, addr);
        break;
    case 3:
        mem_sib(g, regfield, addr, true);
        break;
    case 4:
        mem_sib(g, regfield, addr, false);
        break;
    default:
        mem_esp(g, regfield, addr);
        break;
    }
}

struct rm rm_operand(struct gen *g, const struct tmpl *t, unsigned regfield, unsigned size)
{
    struct rm rm = { .mem = (t->attr & T_MEM) || chance(g, 50) };
    bool write = t->attr & T_WE;
    if (rm.mem) {
        rm.addr = pick_addr(g, size);
        modrm_mem(g, regfield, rm.addr, write ? ACC_WRITE : ACC_READ);
        if ((t->attr & T_LOCK) && chance(g, 30))
            prefix(g, 0xf0);
    } else {
        rm.reg = write ? pick_dst(g, size) : rnd(g, 8);
        modrm_reg(g, regfield, rm.reg);
    }
    return rm;
}

/* One-byte register-only instructions that touch neither memory, ESP nor
 * ECX (a loop's counter): inc/dec r32, nop, cmc, clc, stc. */
void put_filler(struct gen *g, unsigned n)
{
    static const uint8_t pool[] = { 0x40, 0x42, 0x43, 0x45, 0x46, 0x47, 0x48, 0x4a,
                                    0x4b, 0x4d, 0x4e, 0x4f, 0x90, 0xf5, 0xf8, 0xf9 };
    while (n--)
        put8(g, pool[rnd(g, sizeof pool)]);
}

/* ---- Sequences ----------------------------------------------------------- */

unsigned gen_count(void) { return gen_table_len; }
const char *gen_name(unsigned t) { return gen_table[t].name; }
uint32_t gen_undef(unsigned t) { return gen_table[t].undef; }

const char *gen_kind(unsigned t)
{
    if (gen_table[t].attr & T_DIRECTED)
        return "directed";
    return (gen_table[t].attr & T_FAULT) ? "fault" : "";
}

/* Random registers and flags; ESP near the middle of the arena, now and
 * then misaligned. */
static void init_seq(struct gen *g, struct seq *s, uint64_t seed, bool mixed)
{
    memset(s, 0, sizeof(*s));
    memset(g, 0, sizeof(*g));
    g->rng = seed;
    g->s = s;
    g->mixed = mixed;
    s->mixed = mixed;
    for (unsigned r = 0; r < 8; r++)
        s->r[r] = pick_value(g, 4);
    s->r[ESP] = pick_stack_addr(g) + (chance(g, 10) ? rnd(g, 4) : 0);
    s->eflags = rnd32(g) & (FL_ARITH | FL_DF);
}

static void run_template(struct gen *g, unsigned t)
{
    const struct tmpl *row = &gen_table[t];
    g->start = g->s->len;
    g->fixed = 0;
    g->fw = row->fw;
    g->undef = row->undef;
    g->reads = row->reads;
    g->ends = (row->attr & T_FAULT) != 0;
    g->esp_ea = !g->mixed && !(row->attr & T_STACK);
    g->esp_ea_delta = 0;
    g->seg_ok = true;
    row->fn(g, row);
    g->s->tmpl[g->s->ntmpl++] = (uint16_t)t;
}

/* Now and then: jmp rel32 to a few bytes before the second code page, the
 * bytes in between int3. */
static void maybe_cross_page(struct gen *g)
{
    if (!chance(g, 10))
        return;
    uint32_t at = 4096 - 1 - rnd(g, 15);
    put8(g, 0xe9);
    put(g, at - 5, 4);
    while (g->s->len < at)
        put8(g, 0xcc);
}

void gen_directed(struct seq *s, unsigned t, uint64_t seed)
{
    struct gen g;
    assert(t < gen_table_len);
    init_seq(&g, s, seed, false);
    maybe_cross_page(&g);
    g.may_fault = true;
    run_template(&g, t);
    s->undef = g.undef;
}

/* Draw a template for position `last`-or-not of a mixed sequence. */
static unsigned draw(struct gen *g, bool last)
{
    for (;;) {
        unsigned t = rnd(g, gen_table_len);
        uint8_t a = gen_table[t].attr;
        if (a & T_DIRECTED)
            continue;
        if ((a & T_FAULT) && (!last || chance(g, 50)))
            continue;
        return t;
    }
}

/*
 * A mixed sequence: 1..GEN_MIX_MAX instances chained. Flags the SDM leaves
 * undefined are tracked through the chain: an instance that would read one
 * (setz after mul: MUL leaves ZF undefined) is drawn again, so that an
 * undefined flag never flows into a register, memory or a branch. What is still undefined at
 * the end is masked from the comparison.
 */
void gen_mixed(struct seq *s, uint64_t seed)
{
    struct gen g;
    init_seq(&g, s, seed, true);
    maybe_cross_page(&g);
    unsigned n = 1 + rnd(&g, GEN_MIX_MAX);
    uint32_t undef = 0;
    for (unsigned i = 0; i < n; i++) {
        bool last = i == n - 1;
        bool ok = false;
        for (unsigned tries = 0; tries < 64 && !ok; tries++) {
            /* An instance only appends code (its movs go in front of it,
             * after what is there): dropping it is cutting the code. */
            size_t len = s->len;
            g.may_fault = last;
            run_template(&g, draw(&g, last));
            ok = !(g.reads & undef) && s->len < GEN_CODE_MAX - 160;
            if (!ok) {
                s->len = len;
                s->ntmpl--;
            }
        }
        if (!ok)
            break;
        undef = (undef & ~g.fw) | g.undef;
        if (g.ends)
            break;
    }
    s->undef = undef;
}

/*
 * gen_flow.c -- the templates that move ESP or EIP, the string
 * instructions, and the ones that fault.
 *
 * Branches never leave their own few bytes: each jumps forward over (part
 * of) a filler of one-byte instructions it emits itself, or loops back over
 * one a bounded number of times, so a template is self-contained wherever
 * it lands in a mixed sequence. Absolute targets (jmp r/m32, ret) are the
 * sequence's own addresses at N32_CODE_BASE, where both sides run it.
 */
#include <assert.h>

#include "gen_forms.h"

/* The address of the code byte at offset `off` of the sequence. */
static uint32_t code_addr(size_t off)
{
    return N32_CODE_BASE + (uint32_t)off;
}

/* ---- Stack --------------------------------------------------------------- */

/* pop r16/r32; pop esp leaves ESP anywhere, so nothing may follow it. */
void gen_pop_z(struct gen *g, const struct tmpl *t)
{
    unsigned reg = rnd(g, 8);
    if (reg == ESP && g->mixed && !g->may_fault)
        reg = EAX;
    g->ends = reg == ESP;
    put_osize(g, t->size);
    put8(g, t->op + reg);
}

/* push r/m: the address is computed before ESP moves. */
void gen_push_rm(struct gen *g, const struct tmpl *t)
{
    g->esp_ea = !g->mixed;
    gen_e(g, t);
}

/* pop r/m: "if ESP is the base register, the address is computed after
 * ESP is incremented" (SDM Vol. 2, POP). */
void gen_pop_rm(struct gen *g, const struct tmpl *t)
{
    g->esp_ea = !g->mixed;
    g->esp_ea_delta = t->size;
    put_osize(g, t->size);
    put_op(g, t->op);
    struct rm rm = rm_operand(g, t, 0, t->size);
    g->ends = !rm.mem && rm.reg == ESP;
}

void gen_push_imm(struct gen *g, const struct tmpl *t)
{
    put_osize(g, t->size);
    put_op(g, t->op);
    if (t->op == 0x6a)
        put8(g, rnd32(g) & 0xff);
    else
        put(g, pick_value(g, t->size), t->size);
}

/* push imm; popf. At CPL 3 with IOPL 0, POPF silently keeps IF and IOPL
 * (SDM Vol. 2, POPF) -- the value tries to change both. Never TF (it would
 * trap), and AC only in a directed sequence: with AC set, the misaligned
 * accesses of a following instruction would raise #AC on the host, whose
 * CR0.AM is set. */
void gen_popf(struct gen *g, const struct tmpl *t)
{
    uint32_t v = rnd32(g) & ~0x100u;
    if (g->mixed)
        v &= ~0x40000u;
    put_osize(g, t->size);
    put8(g, 0x68);
    put(g, v, t->size);
    put_osize(g, t->size);
    put_op(g, t->op);
}

/* enter size, level: EBP points into the arena, for the frame pointers a
 * nesting level > 1 copies from below it. A large frame (only at the end
 * of a sequence) still leaves ESP in the arena: ENTER checks that the
 * final ESP is writable (SDM Vol. 2, ENTER, #PF). */
void gen_enter(struct gen *g, const struct tmpl *t)
{
    unsigned frame = !g->mixed && chance(g, 10) ? rnd(g, 0x7000) : rnd(g, 0x200);
    unsigned level = chance(g, 20) ? rnd(g, 256) : rnd(g, 5);
    need_reg(g, EBP, pick_stack_addr(g));
    put_osize(g, t->size);
    put_op(g, t->op);
    put(g, frame, 2);
    put8(g, level);
    g->ends = frame >= 0x4000;
}

void gen_leave(struct gen *g, const struct tmpl *t)
{
    need_reg(g, EBP, pick_stack_addr(g) + (chance(g, 10) ? rnd(g, 4) : 0));
    gen_none(g, t);
}

/* ---- Branches ------------------------------------------------------------ */

/* Jump forward by `to` (<= n) over n bytes of filler. */
static void skip_filler(struct gen *g, unsigned disp_size)
{
    unsigned n = rnd(g, 12), to = rnd(g, n + 1);
    put(g, to, disp_size);
    put_filler(g, n);
}

void gen_jmp_rel(struct gen *g, const struct tmpl *t)
{
    put_op(g, t->op);
    skip_filler(g, t->op == 0xeb ? 1 : 4);
}

void gen_jcc(struct gen *g, const struct tmpl *t)
{
    unsigned cc = rnd(g, 16);
    g->reads = cc_reads(cc);
    put_op(g, t->op + cc);
    skip_filler(g, t->op < 0x100 ? 1 : 4);
}

/* jmp/call r/m32 (FF /4, /2): the target, in a register or the arena, is
 * a filler boundary after the instruction. */
void gen_branch_ind(struct gen *g, const struct tmpl *t)
{
    unsigned h;
    put_op(g, t->op);
    if (chance(g, 50)) {
        uint32_t a = pick_addr(g, 4);
        h = need_mem(g, a, 4, 0);
        modrm_mem(g, (unsigned)t->ext, a, ACC_READ);
    } else {
        unsigned r = pick_free(g);
        h = need_reg(g, r, 0);
        modrm_reg(g, (unsigned)t->ext, r);
    }
    unsigned n = rnd(g, 10);
    put_filler(g, n);
    fix_need(g, h, code_addr(g->s->len - rnd(g, n + 1)));
}

/* call rel32: over a filler, or to a local `ret`:
 *       call L ; jmp short +1 ; L: ret            */
void gen_call_rel(struct gen *g, const struct tmpl *t)
{
    put_op(g, t->op);
    if (chance(g, 50)) {
        skip_filler(g, 4);
        return;
    }
    put(g, 2, 4);
    put8(g, 0xeb);
    put8(g, 1);
    put8(g, 0xc3);
}

/* push imm32 target ; ret [imm16] */
void gen_ret(struct gen *g, const struct tmpl *t)
{
    put8(g, 0x68);
    size_t at = g->s->len;
    put(g, 0, 4);
    put_op(g, t->op);
    if (t->op == 0xc2) {
        unsigned n = !g->mixed && chance(g, 10) ? rnd(g, 0x10000) : rnd(g, 0x100);
        put(g, n, 2);
        g->ends = n >= 0x4000;
    }
    unsigned n = rnd(g, 10);
    put_filler(g, n);
    uint32_t target = code_addr(g->s->len - rnd(g, n + 1));
    for (unsigned k = 0; k < 4; k++)
        g->s->code[at + k] = (uint8_t)(target >> (8 * k));
}

/* loop/loope/loopne: forward over a filler with any count, or backward
 * over a filler with a count of 1..4. ext bit 0: 0x67 (CX is the
 * counter, the upper half of ECX stays); bit 1: backward. */
void gen_loop(struct gen *g, const struct tmpl *t)
{
    bool a16 = t->ext & 1, back = t->ext & 2;
    uint32_t count = back ? 1 + rnd(g, 4) : chance(g, 50) ? rnd(g, 3) : pick_value(g, 4);
    need_reg(g, ECX, a16 ? (rnd32(g) & 0xffff0000u) | (count & 0xffff) : count);
    if (back) {
        unsigned n = 1 + rnd(g, 8);
        put_filler(g, n);
        if (a16)
            put8(g, 0x67);
        put_op(g, t->op);
        put8(g, (uint8_t)-(int)(n + 2 + a16));
        return;
    }
    if (a16)
        put8(g, 0x67);
    put_op(g, t->op);
    skip_filler(g, 1);
}

/* jecxz / jcxz (0x67): also "CX is 0 but ECX is not". */
void gen_jecxz(struct gen *g, const struct tmpl *t)
{
    uint32_t v = chance(g, 40) ? 0 : chance(g, 40) ? rnd32(g) & 0xffff0000u : pick_value(g, 4);
    need_reg(g, ECX, v);
    if (t->ext & 1)
        put8(g, 0x67);
    put_op(g, t->op);
    skip_filler(g, 1);
}

/* ---- Self-modifying code ------------------------------------------------- */

/* mov byte [next + 1 + k], v ; mov r32, imm32 -- the store changes a byte
 * of the next instruction's immediate, which must run as modified (x86
 * keeps instruction fetch coherent with stores: SDM Vol. 3, 11.6). */
void gen_smc_next(struct gen *g, const struct tmpl *t)
{
    uint32_t next = code_addr(g->s->len + 7);
    unsigned reg = pick_dst(g, 4);
    put_op(g, t->op);
    put8(g, 0x05);
    put(g, next + 1 + rnd(g, 4), 4);
    put8(g, rnd32(g) & 0xff);
    put8(g, 0xb8 + reg);
    put(g, pick_value(g, 4), 4);
}

/* A loop that changes its own body: the immediate of an `add` it already
 * ran (and vlab decoded) is incremented each time round.
 *       L: add r32, imm32 ; inc dword [L + 2] ; loop L            */
void gen_smc_loop(struct gen *g, const struct tmpl *t)
{
    unsigned reg;
    need_reg(g, ECX, 1 + rnd(g, 4));
    do
        reg = pick_dst(g, 4);
    while (reg == ECX);
    uint32_t imm = code_addr(g->s->len + 2);
    put_op(g, t->op);
    modrm_reg(g, 0, reg);
    put(g, pick_value(g, 4), 4);
    put8(g, 0xff);
    put8(g, 0x05);
    put(g, imm, 4);
    put8(g, 0xe2);
    put8(g, (uint8_t)-14);
}

/* ---- Strings ------------------------------------------------------------- */

enum { S_MOVS, S_CMPS, S_NONE, S_STOS, S_LODS, S_SCAS };
#define USES_SI(k) ((k) == S_MOVS || (k) == S_CMPS || (k) == S_LODS)
#define USES_DI(k) ((k) != S_LODS)
#define COMPARES(k) ((k) == S_CMPS || (k) == S_SCAS)

static unsigned str_kind(uint16_t op)
{
    assert(op >= 0xa4 && op <= 0xaf && (op & 0xfe) != 0xa8);
    return (op - 0xa4) / 2;
}

/* An address with `span` bytes of mapped arena on both sides (DF may be
 * either way in a mixed sequence). */
static uint32_t pick_span(struct gen *g, uint32_t span)
{
    return N32_ARENA_BASE + span + rnd(g, GEN_MAPPED_SIZE - 2 * span);
}

/* Directed REPE/REPNE compares: make them stop early now and then, by
 * making the first j elements equal (REPE) or element j equal (REPNE). */
static void match_elements(struct gen *g, unsigned kind, unsigned rep, unsigned size,
                           unsigned count, uint32_t si, uint32_t di)
{
    uint32_t step = (g->s->eflags & FL_DF) ? 0u - size : size;
    unsigned j = rnd(g, (count < 8 ? count : 8) + 1);
    uint32_t v = pick_value(g, size) & mask_of(size);
    if (kind == S_SCAS)
        need_part(g, EAX, size, v);
    for (unsigned i = 0; i < count; i++) {
        if (rep == 1 ? i >= j : i != j)
            continue;
        if (kind == S_CMPS) {
            v = pick_value(g, size) & mask_of(size);
            need_mem(g, si + i * step, size, v);
        }
        need_mem(g, di + i * step, size, v);
    }
}

/* movs/cmps/stos/lods/scas with or without a REP prefix, mostly 0..8
 * elements, either DF, a segment override on the source, now and then
 * overlapping source and destination. F3 is REPE on the compares, F2
 * REPNE; on the others both repeat the same way. */
void gen_string(struct gen *g, const struct tmpl *t)
{
    unsigned kind = str_kind(t->op), size = t->size;
    unsigned rep = rnd(g, 3); /* none, F3, F2 */
    unsigned count = !rep ? 1 : chance(g, 20) ? rnd(g, 100) : rnd(g, 9);
    uint32_t span = (count + 1) * size;
    uint32_t si = pick_span(g, 2 * span), di = pick_span(g, span);
    if (chance(g, 30))
        di = si + rnd(g, 2 * span + 1) - span;
    if (rep)
        need_reg(g, ECX, count);
    if (USES_SI(kind))
        need_reg(g, ESI, si);
    if (USES_DI(kind))
        need_reg(g, EDI, di);
    if (COMPARES(kind) && rep && !g->mixed)
        match_elements(g, kind, rep, size, count, si, di);
    if (rep)
        put8(g, rep == 1 ? 0xf3 : 0xf2);
    if (USES_SI(kind))
        maybe_seg_override(g, ACC_READ);
    put_osize(g, size);
    put_op(g, t->op);
    if (rep && count == 0)
        g->fw = 0;
}

/* rep string with DF = 0 whose j-th element reaches the unmapped page:
 * the elements before it are done (ECX, ESI, EDI updated), EIP stays at
 * the instruction (SDM Vol. 2, REP: "restartable"). */
void gen_string_pf(struct gen *g, const struct tmpl *t)
{
    unsigned kind = str_kind(t->op), size = t->size;
    unsigned j = rnd(g, 6);
    uint32_t edge = GEN_GUARD - j * size - (size > 1 && chance(g, 30) ? 1 + rnd(g, size - 1) : 0);
    bool src_faults = kind == S_LODS || ((kind == S_MOVS || kind == S_CMPS) && chance(g, 50));
    g->s->eflags &= ~FL_DF;
    need_reg(g, ECX, j + 1 + rnd(g, 4));
    if (USES_SI(kind))
        need_reg(g, ESI, src_faults ? edge : pick_span(g, 16 * size));
    if (USES_DI(kind))
        need_reg(g, EDI, src_faults ? pick_span(g, 16 * size) : edge);
    put8(g, COMPARES(kind) && chance(g, 50) ? 0xf2 : 0xf3);
    put_osize(g, size);
    put_op(g, t->op);
}

/* 0x67 string: SI/DI address the first 4 KiB (16-bit offsets), which are
 * unmapped on both sides -- #PF at the exact low address. Not cmps: which
 * of its two reads comes first is the CPU's business (this AMD host reads
 * ES:DI first). */
void gen_string_a16(struct gen *g, const struct tmpl *t)
{
    unsigned kind = str_kind(t->op);
    if (USES_SI(kind))
        need_reg(g, ESI, (rnd32(g) & 0xffff0000u) | rnd(g, 0x1000));
    if (USES_DI(kind))
        need_reg(g, EDI, (rnd32(g) & 0xffff0000u) | rnd(g, 0x1000));
    put8(g, 0x67);
    if (chance(g, 50)) {
        need_reg(g, ECX, (rnd32(g) & 0xffff0000u) | (1 + rnd(g, 5)));
        put8(g, 0xf3);
    }
    put_osize(g, t->size);
    put_op(g, t->op);
}

/* ---- Faults -------------------------------------------------------------- */

/* Redundant segment prefixes in front of a nop or an add: up to 15 bytes
 * the instruction runs; a longer one raises #GP(0) (SDM Vol. 2, 2.3.11). */
void gen_long_insn(struct gen *g, const struct tmpl *t)
{
    static const uint8_t seg[] = { 0x26, 0x36, 0x3e };
    bool nop = chance(g, 50);
    unsigned len = nop ? 1 : 2, max = 15;
    if (g->may_fault && chance(g, 50))
        max = 16 + rnd(g, 3);
    (void)t;
    g->ends = max > 15;
    if (g->ends || nop)
        g->fw = 0;
    for (unsigned k = len; k < max; k++)
        put8(g, seg[rnd(g, 3)]);
    if (nop) {
        put8(g, 0x90);
    } else {
        put8(g, 0x01);
        modrm_reg(g, rnd(g, 8), pick_dst(g, 4));
    }
}

/* mov to/from CRn or DRn: #GP(0) at CPL 3, except CR1 and CR5..7, which
 * do not exist (#UD, checked first). */
void gen_movcr(struct gen *g, const struct tmpl *t)
{
    put_op(g, t->op);
    modrm_reg(g, rnd(g, 8), rnd(g, 8));
}

void gen_io_imm(struct gen *g, const struct tmpl *t)
{
    gen_none(g, t);
    put8(g, rnd(g, 256));
}

/* int n: Linux's IDT lets CPL 3 through only gates 3, 4 (and 0x80, the
 * system call: never generated). */
void gen_int(struct gen *g, const struct tmpl *t)
{
    unsigned n = chance(g, 10) ? 3 + rnd(g, 2) : rnd(g, 256);
    put_op(g, t->op);
    put8(g, n == 0x80 ? 0x81 : n);
}

/* bound r, m: a signed pair [lo, hi] in the arena and an index inside it,
 * or (when it may fault) outside it: #BR. */
void gen_bound(struct gen *g, const struct tmpl *t)
{
    unsigned size = t->size, bits = 8 * size;
    int64_t lo = sext64(pick_value(g, size), bits), hi = sext64(pick_value(g, size), bits);
    int64_t min = -(1ll << (bits - 1)), max = (1ll << (bits - 1)) - 1, idx;
    if (lo > hi && (!g->may_fault || chance(g, 70))) {
        int64_t x = lo;
        lo = hi;
        hi = x;
    }
    bool out = g->may_fault && chance(g, 50);
    if (out && lo > min)
        idx = lo - 1 - (int64_t)rnd(g, (unsigned)(lo - min < 100 ? lo - min : 100));
    else if (out && hi < max)
        idx = hi + 1 + (int64_t)rnd(g, (unsigned)(max - hi < 100 ? max - hi : 100));
    else
        idx = lo <= hi ? lo + (int64_t)(rnd32(g) % (uint64_t)(hi - lo + 1)) : lo;
    g->ends = idx < lo || idx > hi;
    uint32_t a = pick_addr(g, 2 * size);
    unsigned reg = pick_free(g);
    need_part(g, reg, size, (uint32_t)idx);
    need_mem(g, a, size, (uint32_t)lo);
    need_mem(g, a + size, size, (uint32_t)hi);
    put_osize(g, size);
    put_op(g, t->op);
    modrm_mem(g, reg, a, ACC_READ);
}

/* Encodings that are #UD on every IA-32 CPU (checked on the host): the UD
 * opcodes, undefined group members, register operands where only memory
 * is allowed, CR1, and reserved 0F xx opcodes. */
static const struct { uint8_t len, b[4]; } undefined_ops[] = {
    { 3, { 0x0f, 0xb9, 0xc0 } }, { 3, { 0x0f, 0xff, 0xc0 } }, { 2, { 0xfe, 0xd0 } },
    { 2, { 0xfe, 0xf8 } },       { 2, { 0xfe, 0x13 } },       { 2, { 0xff, 0xf8 } },
    { 2, { 0xff, 0xd8 } },       { 2, { 0xff, 0xe8 } },       { 2, { 0x8d, 0xc0 } },
    { 3, { 0x0f, 0xc7, 0xc8 } }, { 3, { 0xc6, 0xc8, 0x00 } }, { 4, { 0x0f, 0xba, 0xc0, 1 } },
    { 3, { 0x0f, 0x00, 0xf0 } }, { 3, { 0x0f, 0x20, 0xc8 } }, { 3, { 0x0f, 0x22, 0xe8 } },
    { 2, { 0x0f, 0x04 } },       { 2, { 0x0f, 0x0a } },       { 2, { 0x0f, 0x0c } },
    { 2, { 0x0f, 0x24 } },       { 2, { 0x0f, 0x25 } },       { 2, { 0x0f, 0x26 } },
    { 2, { 0x0f, 0x27 } },       { 2, { 0x0f, 0x36 } },       { 2, { 0x0f, 0x39 } },
    { 2, { 0x0f, 0x3b } },       { 2, { 0x0f, 0x3c } },       { 2, { 0x0f, 0x3f } },
    { 2, { 0x0f, 0xa6 } },       { 2, { 0x0f, 0xa7 } },
};

void gen_undefined(struct gen *g, const struct tmpl *t)
{
    (void)t;
    unsigned k = rnd(g, NELEM(undefined_ops));
    for (unsigned i = 0; i < undefined_ops[k].len; i++)
        put8(g, undefined_ops[k].b[i]);
}

/* An opcode, its ModRM.reg when it is a group member (else -1), and the
 * size of its immediate or of its memory operand. */
struct opform { uint16_t op; int8_t ext; uint8_t size; };

static unsigned form_reg(struct gen *g, const struct opform *f)
{
    return f->ext >= 0 ? (unsigned)f->ext : rnd(g, 8);
}

/* lock on a lockable instruction with a register destination: #UD. */
void gen_lock_reg(struct gen *g, const struct tmpl *t)
{
    static const struct opform forms[] = {
        { 0x00, -1, 0 }, { 0x01, -1, 0 }, { 0x09, -1, 0 }, { 0x11, -1, 0 }, { 0x19, -1, 0 },
        { 0x21, -1, 0 }, { 0x29, -1, 0 }, { 0x31, -1, 0 }, { 0x86, -1, 0 }, { 0x87, -1, 0 },
        { 0x83, 0, 1 },  { 0x81, 5, 4 },  { 0xf7, 2, 0 },  { 0xf7, 3, 0 },  { 0xfe, 0, 0 },
        { 0xff, 1, 0 },  { 0x0fc1, -1, 0 }, { 0x0fb1, -1, 0 }, { 0x0fab, -1, 0 }, { 0x0fba, 7, 1 },
    };
    const struct opform *f = &forms[rnd(g, NELEM(forms))];
    (void)t;
    put8(g, 0xf0);
    put_op(g, f->op);
    modrm_reg(g, form_reg(g, f), rnd(g, 8));
    put(g, rnd32(g), f->size);
}

/* lock on an instruction that may not be locked, with a memory operand:
 * mov, cmp, test, a register destination, push, lea, bt: #UD. */
void gen_lock_bad(struct gen *g, const struct tmpl *t)
{
    static const struct opform forms[] = {
        { 0x89, -1, 0 }, { 0x8b, -1, 0 }, { 0x39, -1, 0 }, { 0x85, -1, 0 }, { 0x03, -1, 0 },
        { 0xff, 6, 0 },  { 0x8d, -1, 0 }, { 0x0fa3, -1, 0 }, { 0x0fb6, -1, 0 }, { 0xf6, 0, 1 },
    };
    const struct opform *f = &forms[rnd(g, NELEM(forms))];
    (void)t;
    put8(g, 0xf0);
    put_op(g, f->op);
    modrm_mem(g, form_reg(g, f), pick_addr(g, 4), ACC_READ);
    put(g, rnd32(g), f->size);
}

/* An access of `size` bytes in the unmapped page, or straddling into it
 * from the last mapped one (CR2 is then the page's first byte). */
static uint32_t guard_addr(struct gen *g, unsigned size)
{
    if (size > 1 && chance(g, 50))
        return GEN_GUARD - 1 - rnd(g, size - 1);
    return GEN_GUARD + rnd(g, 4096 - size + 1);
}

/* Loads, stores and read-modify-writes (t->ext 0, 1, 2) at guard_addr();
 * `size` is the memory operand's. */
static const struct opform pf_loads[] = {
    { 0x8b, -1, 4 }, { 0x8a, -1, 1 }, { 0x03, -1, 4 }, { 0x0fb7, -1, 2 }, { 0x0faf, -1, 4 },
    { 0x3a, -1, 1 }, { 0xff, 6, 4 }, /* push m32 */
    { 0x0f44, -1, 4 }, { 0x0f45, -1, 4 }, /* cmove, cmovne: the load happens either way */
};
static const struct opform pf_stores[] = { { 0x89, -1, 4 }, { 0x88, -1, 1 }, { 0x0f94, 0, 1 } };
static const struct opform pf_rmws[] = {
    { 0x01, -1, 4 }, { 0x00, -1, 1 }, { 0x87, -1, 4 },
    { 0xf7, 3, 4 }, { 0xd1, 4, 4 }, { 0x0fc1, -1, 4 },
};
static const struct { const struct opform *forms; unsigned n; } pf_kinds[3] = {
    { pf_loads, NELEM(pf_loads) }, { pf_stores, NELEM(pf_stores) }, { pf_rmws, NELEM(pf_rmws) },
};

void gen_pf_access(struct gen *g, const struct tmpl *t)
{
    const struct opform *f = &pf_kinds[t->ext].forms[rnd(g, pf_kinds[t->ext].n)];
    unsigned size = f->size;
    if (size == 4 && chance(g, 25)) {
        size = 2;
        put8(g, 0x66);
    }
    put_op(g, f->op);
    modrm_mem(g, form_reg(g, f), guard_addr(g, size), t->ext ? ACC_WRITE : ACC_READ);
}

/* Pushes whose first write reaches into the unmapped page: ESP just
 * above its start (push, call, pushf, pusha, enter). */
void gen_pf_push(struct gen *g, const struct tmpl *t)
{
    static const struct { uint8_t len, b[5]; } ops[] = {
        { 1, { 0x50 } }, { 2, { 0x66, 0x53 } }, { 5, { 0x68, 1, 2, 3, 4 } },
        { 1, { 0x9c } }, { 1, { 0x60 } }, { 2, { 0x66, 0x60 } },
        { 5, { 0xe8, 0, 0, 0, 0 } }, { 4, { 0xc8, 8, 0, 0 } },
    };
    unsigned k = rnd(g, NELEM(ops));
    (void)t;
    g->s->r[ESP] = GEN_GUARD + 1 + rnd(g, 4);
    for (unsigned i = 0; i < ops[k].len; i++)
        put8(g, ops[k].b[i]);
}

/* Pops whose first read straddles into the unmapped page: pop, popf,
 * popa, ret, leave (ESP from EBP). Not a popa whose first reads succeed:
 * this AMD host then loads some registers before the fault is raised. */
void gen_pf_pop(struct gen *g, const struct tmpl *t)
{
    static const uint8_t ops[] = { 0x58, 0x5b, 0x9d, 0x61, 0xc3, 0xc9 };
    (void)t;
    uint8_t op = ops[rnd(g, sizeof ops)];
    uint32_t sp = GEN_GUARD - 3 + rnd(g, 3);
    if (op == 0xc9)
        need_reg(g, EBP, sp);
    else
        g->s->r[ESP] = sp;
    put8(g, op);
}

/* push imm32 ; popfd (setting AC) ; a load or store, mostly misaligned:
 * at CPL 3 with CR0.AM (Linux sets it) and EFLAGS.AC, #AC(0). */
void gen_ac(struct gen *g, const struct tmpl *t)
{
    static const struct opform forms[] = { { 0x8b, -1, 4 }, { 0x89, -1, 4 }, { 0x01, -1, 4 } };
    const struct opform *f = &forms[rnd(g, NELEM(forms))];
    unsigned size = chance(g, 30) ? 2 : 4;
    uint32_t a = pick_addr(g, size + 1) & ~(size - 1u);
    (void)t;
    put8(g, 0x68);
    put(g, (rnd32(g) & (FL_ARITH | FL_DF)) | 0x40202u, 4);
    put8(g, 0x9d);
    g->start = g->s->len; /* the address registers' movs go after the popfd */
    if (size == 2)
        put8(g, 0x66);
    put_op(g, f->op);
    modrm_mem(g, form_reg(g, f), a + (chance(g, 80) ? 1 + rnd(g, size - 1) : 0),
              f->op == 0x8b ? ACC_READ : ACC_WRITE);
}

/* A store through a CS override: CS is not writable, #GP(0). */
void gen_cs_store(struct gen *g, const struct tmpl *t)
{
    static const struct opform forms[] = {
        { 0x89, -1, 4 }, { 0x88, -1, 1 }, { 0x01, -1, 4 }, { 0xf6, 2, 1 },
    };
    const struct opform *f = &forms[rnd(g, NELEM(forms))];
    (void)t;
    g->seg_ok = false;
    put8(g, 0x2e);
    put_op(g, f->op);
    modrm_mem(g, form_reg(g, f), pick_addr(g, f->size), ACC_WRITE);
}

/*
 * gen_forms.c -- how each kind of template emits one random instance.
 *
 * The generic forms (gen_eg "op r/m, reg", gen_ge "op reg, r/m", gen_ei
 * "op r/m, imm" ...) serve every row whose operands need no particular
 * values; the others know what their instruction needs: a shift count, a
 * dividend whose quotient fits, a string pointer with room, a branch
 * target inside the sequence, an address in the unmapped page.
 * The rows that use them are in gen_table.c.
 */
#include <assert.h>

#include "gen_forms.h"

void need_part(struct gen *g, unsigned reg, unsigned size, uint32_t v)
{
    uint32_t up = rnd32(g);
    if (size == 4)
        need_reg(g, reg, v);
    else if (size == 2)
        need_reg(g, reg, (up & 0xffff0000u) | (v & 0xffff));
    else if (reg < 4)
        need_reg(g, reg, (up & ~0xffu) | (v & 0xff));
    else
        need_reg(g, reg - 4, (up & ~0xff00u) | ((v & 0xff) << 8));
}

/* A register of `size` whose 32-bit register is free; never ESP. */
static unsigned pick_free_part(struct gen *g, unsigned size)
{
    unsigned r;
    if (size != 1)
        return pick_free(g);
    do
        r = rnd(g, 8);
    while (g->fixed & (1u << (r & 3)));
    return r;
}

/* Redundant prefixes the CPU ignores: 0x66 on a byte operation, 0x67 on an
 * instruction without a memory operand. */
static void maybe_noise(struct gen *g, const struct tmpl *t, const struct rm *rm)
{
    if (t->size == 1 && chance(g, 5))
        prefix(g, 0x66);
    if (!rm->mem && chance(g, 5))
        prefix(g, 0x67);
}

/* ---- Generic forms ------------------------------------------------------- */

void gen_none(struct gen *g, const struct tmpl *t)
{
    put_osize(g, t->size);
    put_op(g, t->op);
}

void gen_eg(struct gen *g, const struct tmpl *t)
{
    unsigned reg = (t->attr & T_WG) ? pick_dst(g, t->size) : rnd(g, 8);
    put_osize(g, t->size);
    put_op(g, t->op);
    struct rm rm = rm_operand(g, t, reg, t->size);
    maybe_noise(g, t, &rm);
}

void gen_ge(struct gen *g, const struct tmpl *t)
{
    unsigned reg = (t->attr & T_WG) ? pick_dst(g, t->size) : rnd(g, 8);
    put_osize(g, t->size);
    put_op(g, t->op);
    struct rm rm = rm_operand(g, t, reg, t->esize ? t->esize : t->size);
    maybe_noise(g, t, &rm);
}

void gen_ai(struct gen *g, const struct tmpl *t)
{
    put_osize(g, t->size);
    put_op(g, t->op);
    put(g, pick_value(g, t->size), t->size);
}

void gen_e(struct gen *g, const struct tmpl *t)
{
    put_osize(g, t->size);
    put_op(g, t->op);
    struct rm rm = rm_operand(g, t, (unsigned)t->ext, t->size);
    maybe_noise(g, t, &rm);
}

void gen_ei(struct gen *g, const struct tmpl *t)
{
    gen_e(g, t);
    put(g, pick_value(g, t->size), t->size);
}

void gen_eib(struct gen *g, const struct tmpl *t)
{
    gen_e(g, t);
    put8(g, pick_value(g, 1) & 0xff);
}

void gen_gei(struct gen *g, const struct tmpl *t)
{
    gen_ge(g, t);
    put(g, pick_value(g, t->size), t->size);
}

void gen_geib(struct gen *g, const struct tmpl *t)
{
    gen_ge(g, t);
    put8(g, pick_value(g, 1) & 0xff);
}

/* The register is in the opcode's low three bits (inc r32, push r32, bswap). */
void gen_z(struct gen *g, const struct tmpl *t)
{
    unsigned reg = (t->attr & T_WG) ? pick_dst(g, t->size) : rnd(g, 8);
    put_osize(g, t->size);
    if (t->op > 0xff)
        put8(g, t->op >> 8);
    put8(g, (t->op & 0xff) + reg);
}

void gen_zi(struct gen *g, const struct tmpl *t)
{
    gen_z(g, t);
    put(g, pick_value(g, t->size), t->size);
}

/* mov al/eax, [moffs32] and back. */
void gen_moffs(struct gen *g, const struct tmpl *t)
{
    put_osize(g, t->size);
    put_op(g, t->op);
    put(g, pick_addr(g, t->size), 4);
    maybe_seg_override(g, (t->op & 2) ? ACC_WRITE : ACC_READ);
}

/* lea: the address is computed, never accessed, so it may be anything. */
void gen_lea(struct gen *g, const struct tmpl *t)
{
    unsigned dst = pick_dst(g, t->size);
    put_osize(g, t->size);
    put_op(g, t->op);
    modrm_mem(g, dst, chance(g, 50) ? rnd32(g) : pick_addr(g, 1), ACC_NONE);
}

/* 67 lea: 16-bit addressing ([bx+si+disp] ...), the sum truncated to 16
 * bits. Any register values will do. */
void gen_lea16(struct gen *g, const struct tmpl *t)
{
    unsigned dst = pick_dst(g, t->size), mod = rnd(g, 3), rm = rnd(g, 8);
    put8(g, 0x67);
    put_osize(g, t->size);
    put_op(g, t->op);
    put8(g, (mod << 6) | (dst << 3) | rm);
    if (mod == 1)
        put8(g, rnd32(g) & 0xff);
    else if (mod == 2 || (mod == 0 && rm == 6))
        put(g, rnd32(g), 2);
}

/* 0f 1f /0: a NOP with a ModRM operand that is never accessed. */
void gen_nopl(struct gen *g, const struct tmpl *t)
{
    put_osize(g, t->size);
    put_op(g, t->op);
    if (chance(g, 70))
        modrm_mem(g, 0, chance(g, 50) ? rnd32(g) : GEN_GUARD + rnd(g, 4096), ACC_NONE);
    else
        modrm_reg(g, 0, rnd(g, 8));
}

void gen_pause(struct gen *g, const struct tmpl *t)
{
    (void)t;
    put8(g, 0xf3);
    put8(g, 0x90);
}

/* ---- Condition codes ----------------------------------------------------- */

void gen_setcc(struct gen *g, const struct tmpl *t)
{
    unsigned cc = rnd(g, 16);
    g->reads = cc_reads(cc);
    put_op(g, t->op + cc);
    struct rm rm = rm_operand(g, t, 0, 1);
    maybe_noise(g, t, &rm);
}

void gen_cmov(struct gen *g, const struct tmpl *t)
{
    unsigned cc = rnd(g, 16);
    unsigned dst = pick_dst(g, t->size);
    g->reads = cc_reads(cc);
    put_osize(g, t->size);
    put_op(g, t->op + cc);
    rm_operand(g, t, dst, t->size);
}

/* ---- Shifts -------------------------------------------------------------- */

/* Shift counts worth trying: 0 (no flags change), 1 (OF defined), the
 * operand widths and their neighbours, 31/32/33 (masking to 5 bits). */
static unsigned pick_count(struct gen *g)
{
    static const uint8_t counts[] = { 0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 255 };
    return chance(g, 30) ? rnd(g, 256) : counts[rnd(g, sizeof counts)];
}

/* The flags of rotate/shift `op` (ModRM.reg: 0 ROL .. 7 SAR) by `count`
 * (SDM Vol. 2, RCL/RCR/ROL/ROR and SAL/SAR/SHL/SHR, "Flags Affected"):
 * a masked count of 0 changes nothing; OF is defined only for a count of
 * 1; the shifts leave AF undefined and, SHL/SHR by at least the operand
 * width (8/16-bit operands), CF too. */
static void shift_flags(struct gen *g, unsigned op, unsigned size, unsigned count)
{
    unsigned mc = count & 31;
    uint32_t of = mc == 1 ? 0 : FL_OF;
    if (mc == 0) {
        g->fw = g->undef = g->reads = 0;
        return;
    }
    if (op < 4) {
        g->undef = of;
        return;
    }
    g->undef = FL_AF | of | (op != 7 && mc >= 8 * size ? FL_CF : 0);
}

void gen_shift(struct gen *g, const struct tmpl *t)
{
    bool by_cl = (t->op & 0xfe) == 0xd2, by_imm = (t->op & 0xfe) == 0xc0;
    unsigned count = by_cl || by_imm ? pick_count(g) : 1;
    if (by_cl)
        need_reg(g, ECX, (rnd32(g) & ~0xffu) | count);
    put_osize(g, t->size);
    put_op(g, t->op);
    struct rm rm = rm_operand(g, t, (unsigned)t->ext, t->size);
    if (by_imm)
        put8(g, count);
    maybe_noise(g, t, &rm);
    shift_flags(g, (unsigned)t->ext, t->size, count);
}

/* shld/shrd: a 16-bit operand shifted by more than 16 is undefined (SDM),
 * so 16-bit counts stay at 0..16 (bits 5..7 of the count are ignored). */
void gen_shxd(struct gen *g, const struct tmpl *t)
{
    bool by_cl = t->op & 1;
    unsigned count = pick_count(g);
    if (t->size == 2 && (count & 31) > 16)
        count = (count & ~31u) | rnd(g, 17);
    if (by_cl)
        need_reg(g, ECX, (rnd32(g) & ~0xffu) | count);
    put_osize(g, t->size);
    put_op(g, t->op);
    rm_operand(g, t, rnd(g, 8), t->size);
    if (!by_cl)
        put8(g, count);
    if ((count & 31) == 0)
        g->fw = g->undef = 0;
    else
        g->undef = FL_AF | ((count & 31) == 1 ? 0 : FL_OF);
}

/* ---- Division ------------------------------------------------------------ */

/* A dividend (2 * size bytes) and divisor for DIV or IDIV (`sgn`) whose
 * quotient fits, or with `fault` one that raises #DE: divisor 0 or a
 * quotient too large. */
static void pick_division(struct gen *g, unsigned size, bool sgn, bool fault,
                          uint64_t *dividend, uint32_t *divisor)
{
    unsigned bits = 8 * size;
    uint32_t m = mask_of(size);
    uint64_t random2 = ((uint64_t)rnd32(g) << 32) | rnd32(g);
    if (fault && chance(g, 40)) {
        *divisor = 0;
        *dividend = random2;
        return;
    }
    uint32_t d;
    do
        d = pick_value(g, size) & m;
    while (d == 0);
    *divisor = d;
    if (!sgn) {
        uint64_t q = pick_value(g, size) & m;
        if (fault) /* high half >= divisor: the quotient needs more than `bits` */
            *dividend = ((d + (uint64_t)rnd32(g) % ((uint64_t)m - d + 1)) << bits) | (random2 & m);
        else
            *dividend = q * d + rnd32(g) % d;
        return;
    }
    int64_t ds = sext64(d, bits), lim = 1ll << (bits - 1);
    if (fault) {
        int64_t q = lim + 1 + (int64_t)rnd(g, (unsigned)(lim / 2)); /* |quotient| > lim */
        ds = 1 + rnd(g, 2);
        *divisor = (uint32_t)(chance(g, 50) ? -ds : ds) & m;
        *dividend = (uint64_t)(chance(g, 50) ? q * ds : -(q + 1) * ds);
        return;
    }
    for (;;) {
        int64_t q = sext64(pick_value(g, size), bits);
        int64_t r = (int64_t)(random2 % (uint64_t)(ds < 0 ? -ds : ds));
        int64_t n = q * ds + ((q * ds < 0 || (q * ds == 0 && chance(g, 50))) ? -r : r);
        if (n / ds == q && q >= -lim && q < lim) {
            *dividend = (uint64_t)n;
            return;
        }
        random2 = rnd32(g);
    }
}

void gen_div(struct gen *g, const struct tmpl *t)
{
    unsigned size = t->size, bits = 8 * size;
    bool fault = g->may_fault && chance(g, 20);
    uint64_t n;
    uint32_t d, up = rnd32(g) & 0xffff0000u;
    pick_division(g, size, t->ext == 7, fault, &n, &d);
    if (size == 1) {
        need_reg(g, EAX, up | (uint32_t)(n & 0xffff));
    } else {
        need_part(g, EAX, size, (uint32_t)n);
        need_part(g, EDX, size, (uint32_t)(n >> bits));
    }
    put_osize(g, size);
    put_op(g, t->op);
    if (chance(g, 50)) {
        uint32_t a = pick_addr(g, size);
        need_mem(g, a, size, d);
        modrm_mem(g, (unsigned)t->ext, a, ACC_READ);
    } else {
        unsigned r = pick_free_part(g, size); /* not the dividend's */
        need_part(g, r, size, d);
        modrm_reg(g, (unsigned)t->ext, r);
    }
    if (fault) /* #DE: no flag is written */
        g->fw = g->undef = 0;
    g->ends = fault;
}

/* ---- Bits ---------------------------------------------------------------- */

/* bt/bts/btr/btc. With a register bit offset and a memory operand the
 * offset is signed and selects any operand-sized word around the address
 * (SDM Vol. 2, BT, "bit base"); here it reaches up to 4 KiB (16-bit) or
 * 32 KiB (32-bit) away, always into the mapped arena. */
void gen_bt(struct gen *g, const struct tmpl *t)
{
    unsigned size = t->size;
    enum acc acc = (t->attr & T_WE) ? ACC_WRITE : ACC_READ;
    put_osize(g, size);
    put_op(g, t->op);
    if (t->op == 0x0fba) {
        rm_operand(g, t, (unsigned)t->ext, size);
        put8(g, pick_count(g));
        return;
    }
    if (chance(g, 50)) {
        modrm_reg(g, rnd(g, 8), acc == ACC_WRITE ? pick_dst(g, size) : rnd(g, 8));
        return;
    }
    int32_t range = size == 2 ? 0x7fff : 0x3ffff;
    int32_t off = chance(g, 40) ? (int32_t)rnd(g, 16 * size) - (int32_t)(8 * size)
                                : (int32_t)rnd(g, 2 * (uint32_t)range + 1) - range;
    int32_t bits = 8 * (int32_t)size;
    int32_t words = off >= 0 ? off / bits : -((-off + bits - 1) / bits); /* rounded down */
    uint32_t a = pick_addr(g, size);
    unsigned reg = pick_free(g);
    need_part(g, reg, size, (uint32_t)off);
    modrm_mem(g, reg, a - (uint32_t)(words * (int32_t)size), acc);
    if ((t->attr & T_LOCK) && chance(g, 30))
        prefix(g, 0xf0);
}

/* bsf/bsr: a zero source now and then (ZF=1; the destination is then
 * undefined per the SDM -- real CPUs keep it, and it is compared). */
void gen_bsf(struct gen *g, const struct tmpl *t)
{
    uint32_t v = chance(g, 25) ? rnd32(g) & ~mask_of(t->size) : pick_value(g, t->size);
    unsigned dst = pick_dst(g, t->size);
    put_osize(g, t->size);
    put_op(g, t->op);
    if (chance(g, 50)) {
        uint32_t a = pick_addr(g, t->size);
        need_mem(g, a, t->size, v);
        modrm_mem(g, dst, a, ACC_READ);
    } else {
        unsigned src = pick_free(g);
        need_part(g, src, t->size, v);
        modrm_reg(g, dst, src);
    }
}

/* ---- BCD ----------------------------------------------------------------- */

/* aam/aad imm8: base 10 usually; aam 0 raises #DE. */
void gen_aam(struct gen *g, const struct tmpl *t)
{
    unsigned base = chance(g, 40) ? 10 : rnd(g, 256);
    if (t->op == 0xd4 && base == 0 && !g->may_fault)
        base = 10;
    if (t->op == 0xd4 && g->may_fault && chance(g, 15))
        base = 0;
    g->ends = t->op == 0xd4 && base == 0;
    if (g->ends) /* #DE: no flag is written */
        g->fw = g->undef = 0;
    put_op(g, t->op);
    put8(g, base);
}

/* ---- Exchange ------------------------------------------------------------ */

/* cmpxchg: half the time the accumulator equals the destination. */
void gen_cmpxchg(struct gen *g, const struct tmpl *t)
{
    unsigned size = t->size;
    bool equal = chance(g, 50);
    uint32_t v = pick_value(g, size);
    put_osize(g, size);
    put_op(g, t->op);
    if (chance(g, 50)) {
        uint32_t a = pick_addr(g, size);
        need_mem(g, a, size, v);
        if (equal)
            need_part(g, EAX, size, v);
        modrm_mem(g, rnd(g, 8), a, ACC_WRITE);
        if (chance(g, 30))
            prefix(g, 0xf0);
        return;
    }
    unsigned r = pick_dst(g, size);
    if (equal && (r & 3) != EAX && r != ESP) {
        need_part(g, r, size, v);
        need_part(g, EAX, size, v);
    }
    modrm_reg(g, rnd(g, 8), r);
}

void gen_cmpxchg8b(struct gen *g, const struct tmpl *t)
{
    uint32_t a = pick_addr(g, 8), lo = pick_value(g, 4), hi = pick_value(g, 4);
    put_op(g, t->op);
    need_mem(g, a, 4, lo);
    need_mem(g, a + 4, 4, hi);
    if (chance(g, 50)) {
        need_reg(g, EAX, lo);
        need_reg(g, EDX, hi);
    }
    modrm_mem(g, 1, a, ACC_WRITE);
    if (chance(g, 30))
        prefix(g, 0xf0);
}

/* xlat: [ebx + al], a 256-byte table in the arena. */
void gen_xlat(struct gen *g, const struct tmpl *t)
{
    need_reg(g, EBX, pick_addr(g, 256));
    maybe_seg_override(g, ACC_READ);
    put_op(g, t->op);
}

/* Fast forms of lab 1's arithmetic (see exec_fast.c for what a fast form
 * is): ADD OR AND SUB XOR CMP with register and immediate operands, 32
 * or 8 bits wide, and INC and DEC of a 32-bit register.
 *
 * They belong to the reference solution of lab 1: each one is ex_ALU or
 * ex_INCDEC (exec_alu.c) for one form, so in a lab 1 handout
 * alu_fast_form() chooses none, and every ALU instruction runs the
 * handlers the student writes. Nothing to write here: the lab's
 * instructions are correct without fast forms, only slower.
 */
#include "cpu_internal.h"

/* BEGIN SOLUTION lab01 */

/* The operation of each fast form: its result, whether it writes it back,
 * and its lazy-flags record (as ex_ALU's table says). ADC and SBB read CF
 * and keep the general handler. */
#define ALU_FORMS(X)                                 \
    X(add, d + s, true, LF_ADD)                      \
    X(or, d | s, true, LF_LOGIC)                     \
    X(and, d & s, true, LF_LOGIC)                    \
    X(sub, d - s, true, LF_SUB)                      \
    X(xor, d ^ s, true, LF_LOGIC)                    \
    X(cmp, d - s, false, LF_SUB)

#define X(name, expr, writes, lf)                                    \
    FAST_FORM(name##_r32_r32, cpu_next,                              \
        uint32_t d = cpu->r[in->o[0].reg], s = cpu->r[in->o[1].reg]; \
        uint32_t r = expr;                                           \
        if (writes)                                                  \
            cpu->r[in->o[0].reg] = r;                                \
        flags_lazy(cpu, lf, 4, d, s, r);)                            \
    FAST_FORM(name##_r32_imm, cpu_next,                              \
        uint32_t d = cpu->r[in->o[0].reg], s = in->imm;              \
        uint32_t r = expr;                                           \
        if (writes)                                                  \
            cpu->r[in->o[0].reg] = r;                                \
        flags_lazy(cpu, lf, 4, d, s, r);)                            \
    FAST_FORM(name##_r8_r8, cpu_next,                                \
        uint32_t d = reg_read(cpu, in->o[0].reg, 1);                 \
        uint32_t s = reg_read(cpu, in->o[1].reg, 1);                 \
        uint32_t r = expr;                                           \
        if (writes)                                                  \
            reg_write(cpu, in->o[0].reg, 1, r);                      \
        flags_lazy(cpu, lf, 1, d, s, r);)                            \
    FAST_FORM(name##_r8_imm, cpu_next,                               \
        uint32_t d = reg_read(cpu, in->o[0].reg, 1), s = in->imm & 0xff; \
        uint32_t r = expr;                                           \
        if (writes)                                                  \
            reg_write(cpu, in->o[0].reg, 1, r);                      \
        flags_lazy(cpu, lf, 1, d, s, r);)
ALU_FORMS(X)
#undef X

/* Indexed by the ALU operation (ALU_ADD ... ALU_CMP) and by whether the
 * operands are 32 bits wide (else 8); NO_FORM: none. */
static const struct fast_form alu_reg_reg[2][8] = {
    { [ALU_ADD] = FORM(add_r8_r8), [ALU_OR] = FORM(or_r8_r8), [ALU_AND] = FORM(and_r8_r8),
      [ALU_SUB] = FORM(sub_r8_r8), [ALU_XOR] = FORM(xor_r8_r8), [ALU_CMP] = FORM(cmp_r8_r8) },
    { [ALU_ADD] = FORM(add_r32_r32), [ALU_OR] = FORM(or_r32_r32), [ALU_AND] = FORM(and_r32_r32),
      [ALU_SUB] = FORM(sub_r32_r32), [ALU_XOR] = FORM(xor_r32_r32), [ALU_CMP] = FORM(cmp_r32_r32) },
};
static const struct fast_form alu_reg_imm[2][8] = {
    { [ALU_ADD] = FORM(add_r8_imm), [ALU_OR] = FORM(or_r8_imm), [ALU_AND] = FORM(and_r8_imm),
      [ALU_SUB] = FORM(sub_r8_imm), [ALU_XOR] = FORM(xor_r8_imm), [ALU_CMP] = FORM(cmp_r8_imm) },
    { [ALU_ADD] = FORM(add_r32_imm), [ALU_OR] = FORM(or_r32_imm), [ALU_AND] = FORM(and_r32_imm),
      [ALU_SUB] = FORM(sub_r32_imm), [ALU_XOR] = FORM(xor_r32_imm), [ALU_CMP] = FORM(cmp_r32_imm) },
};

/* ex_INCDEC's keep_cf: the CF of the current record must survive an
 * INC/DEC record. In line, for the commonest records: after a 32-bit
 * compare (a SUB record without borrow in) or an INC/DEC that followed
 * one, the INC/DEC record keeps the compare's operands, from which CF
 * comes (LF_INC_CMP, LF_DEC_CMP); after no record or an INC/DEC record,
 * CF is in EFLAGS already; after a logic operation it is 0. Elsewhere
 * keep_cf_slow() puts CF into EFLAGS. incdec_op() returns the record's
 * kind, or LF_NONE when the slow path must run. */
static inline enum lf_op incdec_op(struct cpu *cpu, bool dec)
{
    const struct lazy_flags *lf = &cpu->lf;
    if ((lf->op == LF_SUB && lf->size == 4 && lf->res == lf->dst - lf->src) ||
        lf->op == LF_INC_CMP || lf->op == LF_DEC_CMP)
        return dec ? LF_DEC_CMP : LF_INC_CMP;
    if (lf->op == LF_NONE || lf->op == LF_INC || lf->op == LF_DEC)
        return dec ? LF_DEC : LF_INC;
    if (lf->op != LF_LOGIC)
        return LF_NONE;
    cpu->eflags &= ~EFLAGS_CF;
    return dec ? LF_DEC : LF_INC;
}

static void keep_cf_slow(struct cpu *cpu)
{
    bool cf = (flags_arith(cpu) & EFLAGS_CF) != 0;
    cpu->eflags = (cpu->eflags & ~EFLAGS_CF) | (cf ? EFLAGS_CF : 0);
}

/* The INC/DEC record of kind `op` (see incdec_op) for d -> res. */
static inline void incdec_record(struct cpu *cpu, enum lf_op op, uint32_t d, uint32_t res)
{
    if (op == LF_INC_CMP || op == LF_DEC_CMP) {
        cpu->lf.op = (uint8_t)op; /* size 4, dst and src stay the compare's */
        cpu->lf.res = res;
    } else {
        flags_lazy(cpu, op, 4, d, 1, res);
    }
}

/* INC and DEC of a 32-bit register: `name` alone, `name##_run` threaded.
 * Where incdec_op() gives up, the out-of-line `name##_slow` and
 * `name##_slow_run` keep CF, so that the fast paths need no stack frame.
 * name##_rec() does the rest, as record kind `op` says. */
#define INCDEC_FORM(name, delta, dec)                                          \
    static inline void name##_rec(struct cpu *cpu, const struct insn *in,      \
                                  enum lf_op op)                               \
    {                                                                          \
        uint32_t d = cpu->r[in->o[0].reg];                                     \
        cpu->r[in->o[0].reg] = d + (delta);                                    \
        incdec_record(cpu, op, d, d + (delta));                                \
    }                                                                          \
    static __attribute__((noinline)) void name##_slow(struct cpu *cpu,         \
                                                      const struct insn *in)   \
    {                                                                          \
        keep_cf_slow(cpu);                                                     \
        name##_rec(cpu, in, (dec) ? LF_DEC : LF_INC);                          \
    }                                                                          \
    static __attribute__((noinline)) void name##_slow_run(struct cpu *cpu,     \
                                                          const struct insn *in) \
    {                                                                          \
        name##_slow(cpu, in);                                                  \
        cpu_next(cpu, in);                                                     \
    }                                                                          \
    static void name(struct cpu *cpu, const struct insn *in)                   \
    {                                                                          \
        enum lf_op op = incdec_op(cpu, dec);                                   \
        if (op != LF_NONE)                                                     \
            name##_rec(cpu, in, op);                                           \
        else                                                                   \
            name##_slow(cpu, in);                                              \
    }                                                                          \
    static void name##_run(struct cpu *cpu, const struct insn *in)             \
    {                                                                          \
        enum lf_op op = incdec_op(cpu, dec);                                   \
        if (op == LF_NONE) {                                                   \
            name##_slow_run(cpu, in);                                          \
            return;                                                            \
        }                                                                      \
        name##_rec(cpu, in, op);                                               \
        cpu_next(cpu, in);                                                     \
    }
INCDEC_FORM(inc_r32, 1, false)
INCDEC_FORM(dec_r32, (uint32_t)-1, true)
#undef INCDEC_FORM

/* Fused with the Jcc that follows (cpu_fused_form): CMP r32, r32 and CMP
 * r32, imm with any condition but O and P, INC and DEC r32 with E and S.
 * cmp_cond() and incdec_cond() say whether condition `cc` holds after the
 * operation, or -1 when they cannot tell (no fused form then). */
static inline int cmp_cond(unsigned cc, uint32_t d, uint32_t s)
{
    bool r;
    switch (cc >> 1) {
    case CC_B >> 1: r = d < s; break;
    case CC_E >> 1: r = d == s; break;
    case CC_BE >> 1: r = d <= s; break;
    case CC_S >> 1: r = (int32_t)(d - s) < 0; break;
    case CC_L >> 1: r = (int32_t)d < (int32_t)s; break;
    case CC_LE >> 1: r = (int32_t)d <= (int32_t)s; break;
    default: return -1;
    }
    return r != (cc & 1);
}

static inline int incdec_cond(unsigned cc, uint32_t res)
{
    bool r;
    switch (cc >> 1) {
    case CC_E >> 1: r = res == 0; break;
    case CC_S >> 1: r = (int32_t)res < 0; break;
    default: return -1;
    }
    return r != (cc & 1);
}

#define FUSED_FORMS(cc)                                                              \
    static void cmp_r32_r32_##cc(struct cpu *cpu, const struct insn *in)             \
    {                                                                                \
        uint32_t d = cpu->r[in->o[0].reg], s = cpu->r[in->o[1].reg];                 \
        flags_lazy(cpu, LF_SUB, 4, d, s, d - s);                                     \
        cpu_fused_jcc(cpu, in, cmp_cond(cc, d, s) > 0);                              \
    }                                                                                \
    static void cmp_r32_imm_##cc(struct cpu *cpu, const struct insn *in)             \
    {                                                                                \
        uint32_t d = cpu->r[in->o[0].reg], s = in->imm;                              \
        flags_lazy(cpu, LF_SUB, 4, d, s, d - s);                                     \
        cpu_fused_jcc(cpu, in, cmp_cond(cc, d, s) > 0);                              \
    }                                                                                \
    static void inc_r32_##cc(struct cpu *cpu, const struct insn *in)                 \
    {                                                                                \
        enum lf_op op = incdec_op(cpu, false);                                       \
        if (op == LF_NONE) {                                                         \
            inc_r32_slow_run(cpu, in); /* and then the Jcc on its own */             \
            return;                                                                  \
        }                                                                            \
        inc_r32_rec(cpu, in, op);                                                    \
        cpu_fused_jcc(cpu, in, incdec_cond(cc, cpu->r[in->o[0].reg]) > 0);           \
    }                                                                                \
    static void dec_r32_##cc(struct cpu *cpu, const struct insn *in)                 \
    {                                                                                \
        enum lf_op op = incdec_op(cpu, true);                                        \
        if (op == LF_NONE) {                                                         \
            dec_r32_slow_run(cpu, in);                                               \
            return;                                                                  \
        }                                                                            \
        dec_r32_rec(cpu, in, op);                                                    \
        cpu_fused_jcc(cpu, in, incdec_cond(cc, cpu->r[in->o[0].reg]) > 0);           \
    }
FUSED_FORMS(CC_B) FUSED_FORMS(CC_AE) FUSED_FORMS(CC_E) FUSED_FORMS(CC_NE)
FUSED_FORMS(CC_BE) FUSED_FORMS(CC_A) FUSED_FORMS(CC_S) FUSED_FORMS(CC_NS)
FUSED_FORMS(CC_L) FUSED_FORMS(CC_GE) FUSED_FORMS(CC_LE) FUSED_FORMS(CC_G)
#undef FUSED_FORMS

/* By condition; NULL: not fused. */
#define BY_CC(form)                                                                   \
    {                                                                                 \
        [CC_B] = form##_CC_B, [CC_AE] = form##_CC_AE, [CC_E] = form##_CC_E,           \
        [CC_NE] = form##_CC_NE, [CC_BE] = form##_CC_BE, [CC_A] = form##_CC_A,         \
        [CC_S] = form##_CC_S, [CC_NS] = form##_CC_NS, [CC_L] = form##_CC_L,           \
        [CC_GE] = form##_CC_GE, [CC_LE] = form##_CC_LE, [CC_G] = form##_CC_G,         \
    }
static exec_fn *const cmp_r32_r32_fused[16] = BY_CC(cmp_r32_r32);
static exec_fn *const cmp_r32_imm_fused[16] = BY_CC(cmp_r32_imm);
static exec_fn *const inc_r32_fused[16] = BY_CC(inc_r32);
static exec_fn *const dec_r32_fused[16] = BY_CC(dec_r32);
#undef BY_CC
/* END SOLUTION */
/* STUB: */

/* The fused form of an ALU or INC/DEC instruction and a Jcc on `cc`
 * (cpu_fused_form), or NULL. */
exec_fn *alu_fused_form(const struct insn *in, unsigned cc)
{
    /* BEGIN SOLUTION lab01 */
    const struct opnd *d = &in->o[0], *s = &in->o[1];
    if (in->asize != 4 || d->kind != OK_REG || d->size != 4 || cc > 15)
        return NULL;
    if (in->d.exec == EX_INCDEC) {
        if (incdec_cond(cc, 0) < 0)
            return NULL;
        return in->d.arg ? dec_r32_fused[cc] : inc_r32_fused[cc];
    }
    if (in->d.arg != ALU_CMP)
        return NULL;
    if (s->kind == OK_REG)
        return cmp_r32_r32_fused[cc];
    return s->kind == OK_IMM ? cmp_r32_imm_fused[cc] : NULL;
    /* END SOLUTION */
    /* STUB: (void)in; (void)cc; return NULL; */
}

/* The fast form of an ALU (ex_ALU) or INC/DEC (ex_INCDEC) instruction, or
 * NO_FORM to run the general handler. Called when a block is decoded, for
 * instructions with a 32-bit address size. */
struct fast_form alu_fast_form(const struct insn *in)
{
    /* BEGIN SOLUTION lab01 */
    const struct opnd *d = &in->o[0], *s = &in->o[1];
    if (d->kind != OK_REG || (d->size != 4 && d->size != 1))
        return NO_FORM;
    if (in->d.exec == EX_INCDEC)
        return d->size != 4 ? NO_FORM : in->d.arg ? FORM(dec_r32) : FORM(inc_r32);
    if (s->kind == OK_REG)
        return alu_reg_reg[d->size == 4][in->d.arg & 7];
    if (s->kind == OK_IMM)
        return alu_reg_imm[d->size == 4][in->d.arg & 7];
    return NO_FORM;
    /* END SOLUTION */
    /* STUB: (void)in; return NO_FORM; */
}

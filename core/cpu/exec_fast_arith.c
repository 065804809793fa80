/* Fast forms of the shifts, rotates and multiplies of 32-bit registers
 * (see exec_fast.c for what a fast form is): SHL SHR SAR ROL ROR by an
 * immediate or CL, MUL r32, IMUL r32, r32 (, imm). Their flags are those
 * of ex_SHIFT (exec_shift.c) and mul_flags() (exec_muldiv.c), computed
 * eagerly as there.
 */
#include "cpu_internal.h"

/* ---- Shifts and rotates of a 32-bit register ------------------------------- */

/* SHL/SAL, SHR, SAR, ROL, ROR r32 by an immediate count or by CL, with the
 * flags ex_SHIFT (exec_shift.c) gives them for a count of 1..31; a count
 * of 0 (CL only: an immediate count of 0 keeps ex_SHIFT) changes nothing. */
static inline uint32_t shift_szp(uint32_t res)
{
    return parity_flag(res) | (res ? 0 : EFLAGS_ZF) | (res >> 31 ? EFLAGS_SF : 0);
}

static inline uint32_t of_if(bool b) { return b ? EFLAGS_OF : 0; }

/* The shifts write every arithmetic flag. */
static inline void shift_flags(struct cpu *cpu, uint32_t f)
{
    cpu->eflags = (cpu->eflags & ~EFLAGS_ARITH) | f;
    cpu->lf.op = LF_NONE;
}

static inline void shl32(struct cpu *cpu, unsigned reg, unsigned n)
{
    uint32_t d = cpu->r[reg], res = d << n, cf = (d >> (32 - n)) & 1;
    cpu->r[reg] = res;
    shift_flags(cpu, cf | of_if((res >> 31) ^ cf) | shift_szp(res));
}

static inline void shr32(struct cpu *cpu, unsigned reg, unsigned n)
{
    uint32_t d = cpu->r[reg], res = d >> n;
    cpu->r[reg] = res;
    shift_flags(cpu, ((d >> (n - 1)) & 1) | of_if(d >> 31) | shift_szp(res));
}

static inline void sar32(struct cpu *cpu, unsigned reg, unsigned n)
{
    int32_t d = (int32_t)cpu->r[reg];
    uint32_t res = (uint32_t)(d >> n);
    cpu->r[reg] = res;
    shift_flags(cpu, ((uint32_t)(d >> (n - 1)) & 1) | shift_szp(res));
}

/* The rotates write only CF and OF. */
static inline void rol32(struct cpu *cpu, unsigned reg, unsigned n)
{
    uint32_t d = cpu->r[reg], res = (d << n) | (d >> (32 - n)), cf = res & 1;
    cpu->r[reg] = res;
    flags_set(cpu, EFLAGS_CF | EFLAGS_OF, cf | of_if((res >> 31) ^ cf));
}

static inline void ror32(struct cpu *cpu, unsigned reg, unsigned n)
{
    uint32_t d = cpu->r[reg], res = (d >> n) | (d << (32 - n));
    cpu->r[reg] = res;
    flags_set(cpu, EFLAGS_CF | EFLAGS_OF, (res >> 31) | of_if(((res >> 31) ^ (res >> 30)) & 1));
}

#define SHIFT_FORMS(X) X(shl) X(shr) X(sar) X(rol) X(ror)
#define X(op)                                                                  \
    FAST_FORM(op##_r32_imm, cpu_next, op##32(cpu, in->o[0].reg, in->imm & 31);) \
    FAST_FORM(op##_r32_cl, cpu_next,                                           \
        unsigned n = cpu->r[R_ECX] & 31;                                       \
        if (n)                                                                 \
            op##32(cpu, in->o[0].reg, n);)
SHIFT_FORMS(X)
#undef X

struct fast_form shift_fast_form(const struct insn *in)
{
    static const struct fast_form by_imm[8] = {
        [SH_ROL] = FORM(rol_r32_imm), [SH_ROR] = FORM(ror_r32_imm), [SH_SHL] = FORM(shl_r32_imm),
        [SH_SHR] = FORM(shr_r32_imm), [SH_SAL] = FORM(shl_r32_imm), [SH_SAR] = FORM(sar_r32_imm),
    };
    static const struct fast_form by_cl[8] = {
        [SH_ROL] = FORM(rol_r32_cl), [SH_ROR] = FORM(ror_r32_cl), [SH_SHL] = FORM(shl_r32_cl),
        [SH_SHR] = FORM(shr_r32_cl), [SH_SAL] = FORM(shl_r32_cl), [SH_SAR] = FORM(sar_r32_cl),
    };
    const struct opnd *d = &in->o[0], *c = &in->o[1];
    if (d->kind != OK_REG || d->size != 4)
        return NO_FORM;
    if (c->kind == OK_IMM)
        return (in->imm & 31) ? by_imm[in->d.arg & 7] : NO_FORM;
    return by_cl[in->d.arg & 7];
}

/* ---- MUL, IMUL ------------------------------------------------------------ */

/* MUL r32 and IMUL r32, r32 (, imm), with the flags of mul_flags()
 * (exec_muldiv.c): CF = OF = the product did not fit, SF ZF PF from its
 * low half, AF = 0. */
static inline void mul_flags32(struct cpu *cpu, uint32_t low, bool overflow)
{
    shift_flags(cpu, shift_szp(low) | (overflow ? EFLAGS_CF | EFLAGS_OF : 0));
}

FAST_FORM(mul_r32, cpu_next,
    uint64_t prod = (uint64_t)cpu->r[in->o[0].reg] * cpu->r[R_EAX];
    cpu->r[R_EAX] = (uint32_t)prod;
    cpu->r[R_EDX] = (uint32_t)(prod >> 32);
    mul_flags32(cpu, (uint32_t)prod, (prod >> 32) != 0);)

static inline void imul32(struct cpu *cpu, const struct insn *in, uint32_t a, uint32_t b)
{
    int64_t prod = (int64_t)(int32_t)a * (int32_t)b;
    cpu->r[in->o[0].reg] = (uint32_t)prod;
    mul_flags32(cpu, (uint32_t)prod, prod != (int32_t)prod);
}

FAST_FORM(imul_r32_r32, cpu_next, imul32(cpu, in, cpu->r[in->o[1].reg], cpu->r[in->o[0].reg]);)
FAST_FORM(imul_r32_r32_imm, cpu_next, imul32(cpu, in, cpu->r[in->o[1].reg], in->imm);)

struct fast_form mul_fast_form(const struct insn *in)
{
    if (in->o[0].kind != OK_REG || in->o[0].size != 4)
        return NO_FORM;
    return FORM(mul_r32);
}

struct fast_form imul_fast_form(const struct insn *in)
{
    if (in->o[0].size != 4 || in->o[1].kind != OK_REG)
        return NO_FORM;
    if (in->o[2].kind == OK_IMM)
        return FORM(imul_r32_r32_imm);
    return in->o[2].kind == OK_NONE ? FORM(imul_r32_r32) : NO_FORM;
}

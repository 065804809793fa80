/* Multiply and divide: MUL, IMUL (one, two and three operands), DIV, IDIV
 * (SDM Vol. 2, the pages of the same names).
 *
 * The one-operand forms work on the accumulator and widen:
 *
 *   size  multiplicand  product   dividend  quotient  remainder
 *   1     AL            AX        AX        AL        AH
 *   2     AX            DX:AX     DX:AX     AX        DX
 *   4     EAX           EDX:EAX   EDX:EAX   EAX       EDX
 *
 * Flags. MUL and IMUL define only CF = OF = "the product did not fit in the
 * low half" (for IMUL: is not the sign extension of the low half). The SDM
 * leaves SF, ZF, AF and PF undefined; vlab sets SF, ZF and PF from the low
 * half of the product (AL, AX, EAX or the IMUL destination) and clears AF,
 * as QEMU does. DIV and IDIV leave every flag undefined; vlab leaves them
 * unchanged.
 *
 * A zero divisor and a quotient too big for the destination both raise #DE
 * before anything changes. The host never divides by zero and never divides
 * signed values at all (INT_MIN / -1 would trap in the host process): IDIV
 * divides magnitudes and puts the signs back.
 */
#include "cpu_internal.h"

/* The flags of a multiply: CF = OF = `overflow`, SF/ZF/PF from `low`. */
static void mul_flags(struct cpu *cpu, uint32_t low, unsigned size, bool overflow)
{
    uint32_t v = low & size_mask(size);
    uint32_t f = parity_flag(v) | (v ? 0 : EFLAGS_ZF) | (v & sign_bit(size) ? EFLAGS_SF : 0);
    if (overflow)
        f |= EFLAGS_CF | EFLAGS_OF;
    flags_set(cpu, EFLAGS_ARITH, f);
}

/* Write a double-width product: AX for bytes, DX:AX or EDX:EAX otherwise. */
static void write_wide(struct cpu *cpu, unsigned size, uint64_t v)
{
    if (size == 1) {
        reg_write(cpu, R_EAX, 2, (uint32_t)v);
        return;
    }
    reg_write(cpu, R_EAX, size, (uint32_t)v);
    reg_write(cpu, R_EDX, size, (uint32_t)(v >> (size * 8)));
}

/* MUL Eb/Ev: unsigned accumulator * src. */
void ex_MUL(struct cpu *cpu, const struct insn *in)
{
    unsigned size = in->o[0].size;
    uint64_t src = opnd_read(cpu, in, 0);
    uint64_t prod = reg_read(cpu, R_EAX, size) * src;
    write_wide(cpu, size, prod);
    mul_flags(cpu, (uint32_t)prod, size, (prod >> (size * 8)) != 0);
}

/* IMUL Eb/Ev (one operand): signed accumulator * src. */
void ex_IMUL1(struct cpu *cpu, const struct insn *in)
{
    unsigned size = in->o[0].size;
    int64_t src = (int32_t)sext(opnd_read(cpu, in, 0), size);
    int64_t prod = (int32_t)sext(reg_read(cpu, R_EAX, size), size) * src;
    write_wide(cpu, size, (uint64_t)prod);
    mul_flags(cpu, (uint32_t)prod, size, prod != (int32_t)sext((uint32_t)prod, size));
}

/* IMUL Gv, Ev (0F AF) and IMUL Gv, Ev, Ib/Iz (6B, 69): the product is
 * truncated to the destination's size. */
void ex_IMUL(struct cpu *cpu, const struct insn *in)
{
    unsigned size = in->o[0].size;
    bool three = in->o[2].kind == OK_IMM;
    int64_t a = (int32_t)sext(opnd_read(cpu, in, 1), size);
    int64_t b = (int32_t)sext(opnd_read(cpu, in, three ? 2 : 0), size);
    int64_t prod = a * b;
    reg_write(cpu, in->o[0].reg, size, (uint32_t)prod);
    mul_flags(cpu, (uint32_t)prod, size, prod != (int32_t)sext((uint32_t)prod, size));
}

/* The double-width dividend: AX, DX:AX or EDX:EAX. */
static uint64_t read_dividend(const struct cpu *cpu, unsigned size)
{
    if (size == 1)
        return reg_read(cpu, R_EAX, 2);
    return ((uint64_t)reg_read(cpu, R_EDX, size) << (size * 8)) | reg_read(cpu, R_EAX, size);
}

/* Write quotient and remainder: AL/AH, AX/DX or EAX/EDX. */
static void write_quotient(struct cpu *cpu, unsigned size, uint32_t q, uint32_t r)
{
    if (size == 1) {
        reg_write(cpu, R_EAX, 2, (q & 0xff) | (r & 0xff) << 8);
        return;
    }
    reg_write(cpu, R_EAX, size, q);
    reg_write(cpu, R_EDX, size, r);
}

/* DIV Eb/Ev: unsigned. #DE if src is 0 or the quotient does not fit. */
void ex_DIV(struct cpu *cpu, const struct insn *in)
{
    unsigned size = in->o[0].size;
    uint64_t src = opnd_read(cpu, in, 0);
    if (src == 0)
        cpu_fault_noerr(cpu, VEC_DE);
    uint64_t dividend = read_dividend(cpu, size);
    uint64_t q = dividend / src;
    if (q > size_mask(size))
        cpu_fault_noerr(cpu, VEC_DE);
    write_quotient(cpu, size, (uint32_t)q, (uint32_t)(dividend % src));
}

/* IDIV Eb/Ev: signed, the quotient rounded toward zero and the remainder
 * taking the dividend's sign. #DE if src is 0 or the quotient is outside
 * -2^(n-1) .. 2^(n-1) - 1 (so also for the most negative dividend / -1). */
void ex_IDIV(struct cpu *cpu, const struct insn *in)
{
    unsigned size = in->o[0].size;
    unsigned bits = size * 8;
    uint32_t src = opnd_read(cpu, in, 0);
    if (src == 0)
        cpu_fault_noerr(cpu, VEC_DE);
    /* Sign-extend the 2n-bit dividend and the n-bit divisor to 64 bits. */
    uint64_t dividend = read_dividend(cpu, size);
    if (bits < 32)
        dividend = (uint64_t)(int64_t)(int32_t)sext((uint32_t)dividend, size * 2);
    uint64_t divisor = (uint64_t)(int64_t)(int32_t)sext(src, size);
    bool neg_dividend = dividend >> 63, neg_divisor = divisor >> 63;
    uint64_t n = neg_dividend ? 0 - dividend : dividend; /* magnitudes */
    uint64_t d = neg_divisor ? 0 - divisor : divisor;
    uint64_t q = n / d, r = n % d;
    bool neg_q = neg_dividend != neg_divisor;
    /* The largest magnitude the quotient may have: 2^(n-1) if negative. */
    if (q > ((uint64_t)1 << (bits - 1)) - !neg_q)
        cpu_fault_noerr(cpu, VEC_DE);
    write_quotient(cpu, size, (uint32_t)(neg_q ? 0 - q : q), (uint32_t)(neg_dividend ? 0 - r : r));
}

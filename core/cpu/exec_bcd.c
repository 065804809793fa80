/* Decimal arithmetic adjustments: DAA DAS (packed BCD, two digits in AL)
 * and AAA AAS AAM AAD (unpacked BCD, one digit per byte of AX) (SDM Vol. 2,
 * the pages of the same names). Each follows the SDM's pseudo-code.
 *
 * Where the SDM leaves flags undefined vlab picks, as QEMU does:
 *   DAA DAS   OF = 0
 *   AAA AAS   OF SF ZF PF unchanged
 *   AAM AAD   CF = OF = AF = 0 (SF ZF PF from AL, which they define)
 */
#include "cpu_internal.h"

/* SF, ZF and PF of a byte result. */
static uint32_t szp8(uint32_t al)
{
    return parity_flag(al) | (al ? 0 : EFLAGS_ZF) | (al & 0x80 ? EFLAGS_SF : 0);
}

static void set_al(struct cpu *cpu, uint32_t al) { reg_write(cpu, R_EAX, 1, al); }

/* DAA: adjust AL after adding two packed BCD numbers. */
void ex_DAA(struct cpu *cpu, const struct insn *in)
{
    (void)in;
    uint32_t f = flags_arith(cpu);
    uint32_t old_al = reg_read(cpu, R_EAX, 1), al = old_al;
    uint32_t out = 0;
    if ((al & 0x0f) > 9 || (f & EFLAGS_AF)) {
        al += 6;
        out |= EFLAGS_AF;
    }
    if (old_al > 0x99 || (f & EFLAGS_CF)) {
        al += 0x60;
        out |= EFLAGS_CF;
    }
    al &= 0xff;
    set_al(cpu, al);
    flags_set(cpu, EFLAGS_ARITH, out | szp8(al));
}

/* DAS: adjust AL after subtracting two packed BCD numbers. Unlike DAA, a
 * borrow out of the low adjustment sets CF even when the high one is not
 * needed (the SDM's pseudo-code has no "else CF = 0" there). */
void ex_DAS(struct cpu *cpu, const struct insn *in)
{
    (void)in;
    uint32_t f = flags_arith(cpu);
    uint32_t old_al = reg_read(cpu, R_EAX, 1), al = old_al;
    uint32_t out = 0;
    if ((al & 0x0f) > 9 || (f & EFLAGS_AF)) {
        out |= EFLAGS_AF | (al < 6 ? EFLAGS_CF : 0);
        al -= 6;
    }
    if (old_al > 0x99 || (f & EFLAGS_CF)) {
        al -= 0x60;
        out |= EFLAGS_CF;
    }
    al &= 0xff;
    set_al(cpu, al);
    flags_set(cpu, EFLAGS_ARITH, out | szp8(al));
}

/* AAA: adjust AX after adding two unpacked BCD digits: AX += 0x106 (so a
 * carry out of AL reaches AH) and AL keeps only its low digit. */
void ex_AAA(struct cpu *cpu, const struct insn *in)
{
    (void)in;
    uint32_t ax = reg_read(cpu, R_EAX, 2);
    bool adjust = (ax & 0x0f) > 9 || (flags_arith(cpu) & EFLAGS_AF);
    if (adjust)
        ax += 0x106;
    reg_write(cpu, R_EAX, 2, ax & 0xff0f);
    flags_set(cpu, EFLAGS_CF | EFLAGS_AF, adjust ? EFLAGS_CF | EFLAGS_AF : 0);
}

/* AAS: adjust AX after subtracting two unpacked BCD digits: AX -= 6 (a
 * borrow out of AL reaches AH), AH -= 1, and AL keeps its low digit. */
void ex_AAS(struct cpu *cpu, const struct insn *in)
{
    (void)in;
    uint32_t ax = reg_read(cpu, R_EAX, 2);
    bool adjust = (ax & 0x0f) > 9 || (flags_arith(cpu) & EFLAGS_AF);
    if (adjust)
        ax -= 0x106;
    reg_write(cpu, R_EAX, 2, ax & 0xff0f);
    flags_set(cpu, EFLAGS_CF | EFLAGS_AF, adjust ? EFLAGS_CF | EFLAGS_AF : 0);
}

/* AAM Ib: split AL into digits of base Ib (10 for the usual D4 0A):
 * AH = AL / base, AL = AL % base. Base 0 raises #DE. */
void ex_AAM(struct cpu *cpu, const struct insn *in)
{
    uint32_t base = in->imm & 0xff;
    if (base == 0)
        cpu_fault_noerr(cpu, VEC_DE);
    uint32_t al = reg_read(cpu, R_EAX, 1);
    uint32_t q = al / base, r = al % base;
    reg_write(cpu, R_EAX, 2, (q << 8) | r);
    flags_lazy(cpu, LF_LOGIC, 1, r, r, r);
}

/* AAD Ib: join two digits of base Ib before a division:
 * AL = AL + AH * base, AH = 0. */
void ex_AAD(struct cpu *cpu, const struct insn *in)
{
    uint32_t base = in->imm & 0xff;
    uint32_t ax = reg_read(cpu, R_EAX, 2);
    uint32_t al = ((ax & 0xff) + (ax >> 8) * base) & 0xff;
    reg_write(cpu, R_EAX, 2, al);
    flags_lazy(cpu, LF_LOGIC, 1, al, al, al);
}

/* Data movement that touches neither the stack nor control flow: MOV and
 * its widening forms, LEA, the accumulator conversions (CBW/CWDE, CWD/CDQ),
 * XLAT, the AH <-> flags transfers, NOP and the single-flag operations.
 *
 * None of these sets arithmetic flags except SAHF and the FLAGOP rows; MOV,
 * MOVZX, MOVSX, LEA, CBW, CWD and XLAT leave EFLAGS alone (SDM Vol. 2).
 */
#include <assert.h>

#include "cpu_internal.h"

/* MOV dst, src (SDM Vol. 2, MOV): every form the table routes here.
 *
 *   88/89/8A/8B  Eb,Gb  Ev,Gv  Gb,Eb  Gv,Ev
 *   A0..A3       AL,Ob  eAX,Ov Ob,AL  Ov,eAX   (moffs: DS or override, no ModRM)
 *   B0..BF       Zb,Ib  Zv,Iz                  (register in the opcode)
 *   C6/C7 /0     Eb,Ib  Ev,Iz
 *
 * The decoder has resolved all of them into two operands of equal size, so
 * one read and one write cover everything; a memory source is read before
 * anything changes, a memory destination is written last. */
void ex_MOV(struct cpu *cpu, const struct insn *in)
{
    opnd_write(cpu, in, 0, opnd_read(cpu, in, 1));
}

/* MOVZX Gv, Eb/Ew: opnd_read() already zero-extends the source. */
void ex_MOVZX(struct cpu *cpu, const struct insn *in)
{
    opnd_write(cpu, in, 0, opnd_read(cpu, in, 1));
}

/* MOVSX Gv, Eb/Ew: the source's sign bit fills the destination. */
void ex_MOVSX(struct cpu *cpu, const struct insn *in)
{
    opnd_write(cpu, in, 0, sext(opnd_read(cpu, in, 1), in->o[1].size));
}

/* LEA Gv, M (SDM Vol. 2, LEA, its operand-size/address-size table): the
 * effective address itself, no memory access and no segment. The address
 * is computed at the address size (ea_offset truncates it to 16 bits for a
 * 67 prefix in 32-bit code) and then stored at the operand size: a 16-bit
 * destination keeps the low 16 bits, a 32-bit destination receives a
 * 16-bit address zero-extended. */
void ex_LEA(struct cpu *cpu, const struct insn *in)
{
    reg_write(cpu, in->o[0].reg, in->o[0].size, ea_offset(cpu, in));
}

/* CBW (16-bit operand size): AX = sign-extend(AL).
 * CWDE (32-bit):            EAX = sign-extend(AX). */
void ex_CBW(struct cpu *cpu, const struct insn *in)
{
    unsigned half = in->osize / 2;
    reg_write(cpu, R_EAX, in->osize, sext(reg_read(cpu, R_EAX, half), half));
}

/* CWD (16-bit operand size): DX = the sign of AX repeated.
 * CDQ (32-bit):             EDX = the sign of EAX repeated. */
void ex_CWD(struct cpu *cpu, const struct insn *in)
{
    bool negative = (reg_read(cpu, R_EAX, in->osize) & sign_bit(in->osize)) != 0;
    reg_write(cpu, R_EDX, in->osize, negative ? 0xffffffffu : 0);
}

/* XLAT: AL = byte at seg:[eBX + zero-extended AL], seg DS unless
 * overridden; with a 16-bit address size the sum wraps at 64 KiB. */
void ex_XLAT(struct cpu *cpu, const struct insn *in)
{
    uint32_t off = (reg_read(cpu, R_EBX, in->asize) + reg_read(cpu, R_EAX, 1)) & size_mask(in->asize);
    reg_write(cpu, R_EAX, 1, mem_load(cpu, in->seg, off, 1));
}

/* The flags LAHF and SAHF move, at their EFLAGS bit positions, which are
 * also their bit positions in AH:  7  6  5  4  3  2  1  0
 *                                  SF ZF 0  AF 0  PF 1  CF */
#define AH_FLAGS (EFLAGS_SF | EFLAGS_ZF | EFLAGS_AF | EFLAGS_PF | EFLAGS_CF)

/* LAHF: AH = SF:ZF:0:AF:0:PF:1:CF. */
void ex_LAHF(struct cpu *cpu, const struct insn *in)
{
    (void)in;
    reg_write(cpu, 4 /* AH */, 1, (flags_arith(cpu) & AH_FLAGS) | EFLAGS_FIXED1);
}

/* SAHF: SF ZF AF PF CF = the matching bits of AH; OF is unchanged. */
void ex_SAHF(struct cpu *cpu, const struct insn *in)
{
    (void)in;
    flags_set(cpu, AH_FLAGS, reg_read(cpu, 4 /* AH */, 1));
}

/* NOP (90), PAUSE (F3 90), the multi-byte NOP Ev (0F 1F /0) and FWAIT.
 * NOP Ev names a memory operand only to take up bytes: it is never
 * accessed, so it can neither fault nor touch a device. FWAIT waits for the
 * FPU, which this CPU lacks; it still checks for a pending FPU context
 * switch, raising #NM when CR0.MP and CR0.TS are both set (SDM Vol. 2,
 * WAIT/FWAIT; Vol. 3, Table 2-2). */
void ex_NOP(struct cpu *cpu, const struct insn *in)
{
    if (in->d.mnem == M_FWAIT && (cpu->cr0 & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS))
        cpu_fault_noerr(cpu, VEC_NM);
}

/* CLC STC CMC CLD STD as one rule: flag = (flag & ~clear) ^ toggle. */
static const struct {
    uint32_t clear, toggle;
} flag_ops[] = {
    [FL_CLC] = { EFLAGS_CF, 0 },
    [FL_STC] = { EFLAGS_CF, EFLAGS_CF },
    [FL_CMC] = { 0, EFLAGS_CF },
    [FL_CLD] = { EFLAGS_DF, 0 },
    [FL_STD] = { EFLAGS_DF, EFLAGS_DF },
};

void ex_FLAGOP(struct cpu *cpu, const struct insn *in)
{
    assert(in->d.arg < VLAB_ARRAY_SIZE(flag_ops));
    uint32_t clear = flag_ops[in->d.arg].clear, toggle = flag_ops[in->d.arg].toggle;
    uint32_t bit = clear | toggle;
    if (bit & EFLAGS_ARITH) /* CF lives in the lazy flags */
        flags_set(cpu, bit, (flags_arith(cpu) & ~clear) ^ toggle);
    else
        cpu->eflags = (cpu->eflags & ~clear) ^ toggle;
}

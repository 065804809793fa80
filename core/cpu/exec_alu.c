/* Integer arithmetic and logic: ADD OR ADC SBB AND SUB XOR CMP, TEST,
 * INC DEC, NEG NOT (SDM Vol. 2, the instruction pages of the same names).
 *
 * None of these computes flags: each records its operands and result with
 * flags_lazy() and flags.c works the flags out only if something reads
 * them. The record is the same for the carry-in variants, because carry
 * and overflow are recovered from the carry chain (see flags.c):
 *
 *   ADD, ADC            LF_ADD    res = dst + src (+ CF)
 *   SUB, SBB, CMP, NEG  LF_SUB    res = dst - src (- CF); NEG is 0 - src
 *   AND, OR, XOR, TEST  LF_LOGIC  CF = OF = AF = 0
 *   INC, DEC            LF_INC/LF_DEC, which leave CF as it was
 *
 * A memory destination is read, then written, and only then are the flags
 * recorded, so a fault on the write (a read-only page) changes nothing.
 */
#include "cpu_internal.h"

/* The lazy-flags record each ALU operation leaves, in encoding order. */
static const uint8_t alu_lf[8] = {
    [ALU_ADD] = LF_ADD, [ALU_OR] = LF_LOGIC, [ALU_ADC] = LF_ADD, [ALU_SBB] = LF_SUB,
    [ALU_AND] = LF_LOGIC, [ALU_SUB] = LF_SUB, [ALU_XOR] = LF_LOGIC, [ALU_CMP] = LF_SUB,
};

/* The result of ALU operation `op` on dst and src (zero-extended operands;
 * bits above the operand size are garbage the flags and writes ignore). */
static uint32_t alu_result(const struct cpu *cpu, unsigned op, uint32_t dst, uint32_t src)
{
    switch (op) {
    case ALU_ADD: return dst + src;
    case ALU_OR: return dst | src;
    case ALU_ADC: return dst + src + flag_cf(cpu);
    case ALU_SBB: return dst - src - flag_cf(cpu);
    case ALU_AND: return dst & src;
    case ALU_XOR: return dst ^ src;
    default: return dst - src; /* SUB, CMP */
    }
}

/* ADD OR ADC SBB AND SUB XOR CMP dst, src (every form: Eb,Gb Ev,Gv Gb,Eb
 * Gv,Ev AL,Ib eAX,Iz and group 1's Eb,Ib Ev,Iz Ev,Ibs). CMP only compares. */
void ex_ALU(struct cpu *cpu, const struct insn *in)
{
    unsigned op = in->d.arg;
    uint32_t dst = opnd_read(cpu, in, 0);
    uint32_t src = opnd_read(cpu, in, 1);
    uint32_t res = alu_result(cpu, op, dst, src);
    if (op != ALU_CMP)
        opnd_write(cpu, in, 0, res);
    flags_lazy(cpu, (enum lf_op)alu_lf[op], in->o[0].size, dst, src, res);
}

/* TEST: AND without storing the result. */
void ex_TEST(struct cpu *cpu, const struct insn *in)
{
    uint32_t dst = opnd_read(cpu, in, 0);
    uint32_t src = opnd_read(cpu, in, 1);
    flags_lazy(cpu, LF_LOGIC, in->o[0].size, dst, src, dst & src);
}

/* LF_INC and LF_DEC take CF from cpu->eflags: put the current CF there
 * before the record that produced it is overwritten. The other arithmetic
 * bits of cpu->eflags do not matter while a lazy record is active. */
static void keep_cf(struct cpu *cpu)
{
    if (cpu->lf.op == LF_NONE || cpu->lf.op == LF_INC || cpu->lf.op == LF_DEC)
        return;
    cpu->eflags = (cpu->eflags & ~EFLAGS_CF) | (flags_arith(cpu) & EFLAGS_CF);
}

/* INC (arg 0) and DEC (arg 1): add or subtract 1; CF is not affected. */
void ex_INCDEC(struct cpu *cpu, const struct insn *in)
{
    bool dec = in->d.arg != 0;
    uint32_t dst = opnd_read(cpu, in, 0);
    uint32_t res = dec ? dst - 1 : dst + 1;
    opnd_write(cpu, in, 0, res);
    keep_cf(cpu);
    flags_lazy(cpu, dec ? LF_DEC : LF_INC, in->o[0].size, dst, 1, res);
}

/* NEG: two's complement, flags as for 0 - src (so CF = src != 0, and OF is
 * set only for the most negative value). */
void ex_NEG(struct cpu *cpu, const struct insn *in)
{
    uint32_t src = opnd_read(cpu, in, 0);
    uint32_t res = 0u - src;
    opnd_write(cpu, in, 0, res);
    flags_lazy(cpu, LF_SUB, in->o[0].size, 0, src, res);
}

/* NOT: one's complement; no flags change. */
void ex_NOT(struct cpu *cpu, const struct insn *in)
{
    opnd_write(cpu, in, 0, ~opnd_read(cpu, in, 0));
}

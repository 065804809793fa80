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
#include "vlab/todo.h"

/* ---- Lab 1: the arithmetic group ---------------------------------------------
 *
 * Lab 1 (labs/01-emulation/README.md, part 1): you write ex_ALU, ex_INCDEC
 * and ex_NEG below, and the carry and overflow rules in core/cpu/flags.c
 * (add_flags, sub_flags). ex_TEST and ex_NOT are given: read them first,
 * they show the pattern.
 *
 * A handler gets the decoded instruction (`in`, vlab/insn.h): in->d.arg is
 * the row's variant (for ex_ALU the operation, ALU_ADD..ALU_CMP in
 * cpu_internal.h, in the order of the opcode map: ADD OR ADC SBB AND SUB
 * XOR CMP), in->o[0] and in->o[1] the operands (o[n].size in bytes: 1, 2
 * or 4). What you need from cpu_internal.h:
 *
 *   opnd_read(cpu, in, n)        operand n's value, zero-extended (may fault)
 *   opnd_write(cpu, in, n, v)    store the low o[n].size bytes (may fault)
 *   flag_cf(cpu)                 the current CF, 0 or 1
 *   flags_lazy(cpu, op, size, dst, src, res)   record the flags (see above)
 *   flags_arith(cpu)             the six arithmetic flags, computed now
 *   cpu_ud(cpu)                  raise #UD
 *
 * Write memory first, record flags last: a fault on the write (a read-only
 * page) must leave the flags as they were (cpu_internal.h, rule 2).
 *
 * Helpers: yours to design. The reference keeps a table of the lazy-flags
 * kind of each ALU operation and computes the result in a small function.
 */
/* BEGIN SOLUTION lab01 */

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
/* END SOLUTION */
/* STUB: */

/* ADD OR ADC SBB AND SUB XOR CMP dst, src (every form: Eb,Gb Ev,Gv Gb,Eb
 * Gv,Ev AL,Ib eAX,Iz and group 1's Eb,Ib Ev,Iz Ev,Ibs). CMP only compares.
 * ADC adds CF in, SBB subtracts it; the record is LF_ADD or LF_SUB all the
 * same, because flags.c recovers the carry chain from dst, src and res.
 * Operands narrower than 32 bits: compute in 32 bits and let the size
 * mask the rest (flags_lazy and opnd_write ignore the upper bits).
 * Tested by build/tests/test_alu (test_add_*, test_adc_*, test_sub_*,
 * test_sbb_*, test_cmp_*, test_logic_*, test_alu_write_fault_*) and the
 * differential test against the host CPU (build/tests/difftest).
 * Stub: #UD, as on a CPU without the instruction. */
void ex_ALU(struct cpu *cpu, const struct insn *in)
{
    /* BEGIN SOLUTION lab01 */
    unsigned op = in->d.arg;
    uint32_t dst = opnd_read(cpu, in, 0);
    uint32_t src = opnd_read(cpu, in, 1);
    uint32_t res = alu_result(cpu, op, dst, src);
    if (op != ALU_CMP)
        opnd_write(cpu, in, 0, res);
    flags_lazy(cpu, (enum lf_op)alu_lf[op], in->o[0].size, dst, src, res);
    /* END SOLUTION */
    /* STUB: vlab_todo("lab01: ex_ALU", in); cpu_ud(cpu); */
}

/* TEST: AND without storing the result. */
void ex_TEST(struct cpu *cpu, const struct insn *in)
{
    uint32_t dst = opnd_read(cpu, in, 0);
    uint32_t src = opnd_read(cpu, in, 1);
    flags_lazy(cpu, LF_LOGIC, in->o[0].size, dst, src, dst & src);
}

/* BEGIN SOLUTION lab01 */
/* LF_INC and LF_DEC take CF from cpu->eflags: put the current CF there
 * before the record that produced it is overwritten. The other arithmetic
 * bits of cpu->eflags do not matter while a lazy record is active. */
static void keep_cf(struct cpu *cpu)
{
    if (cpu->lf.op == LF_NONE || cpu->lf.op == LF_INC || cpu->lf.op == LF_DEC)
        return;
    cpu->eflags = (cpu->eflags & ~EFLAGS_CF) | (flags_arith(cpu) & EFLAGS_CF);
}
/* END SOLUTION */
/* STUB: */

/* INC (arg 0) and DEC (arg 1): add or subtract 1; CF is not affected. The
 * LF_INC and LF_DEC records compute OF, SF, ZF, AF and PF and take CF from
 * cpu->eflags, so the CF that the previous record implies must be saved
 * there first (it may still be lazy: an ADD's carry, say).
 * Tested by build/tests/test_alu (test_inc_*, test_dec_*).
 * Stub: #UD. */
void ex_INCDEC(struct cpu *cpu, const struct insn *in)
{
    /* BEGIN SOLUTION lab01 */
    bool dec = in->d.arg != 0;
    uint32_t dst = opnd_read(cpu, in, 0);
    uint32_t res = dec ? dst - 1 : dst + 1;
    opnd_write(cpu, in, 0, res);
    keep_cf(cpu);
    flags_lazy(cpu, dec ? LF_DEC : LF_INC, in->o[0].size, dst, 1, res);
    /* END SOLUTION */
    /* STUB: vlab_todo("lab01: ex_INCDEC", in); cpu_ud(cpu); */
}

/* NEG: two's complement, flags as for 0 - src (so CF = src != 0, and OF is
 * set only for the most negative value).
 * Tested by build/tests/test_alu (test_neg_*).
 * Stub: #UD. */
void ex_NEG(struct cpu *cpu, const struct insn *in)
{
    /* BEGIN SOLUTION lab01 */
    uint32_t src = opnd_read(cpu, in, 0);
    uint32_t res = 0u - src;
    opnd_write(cpu, in, 0, res);
    flags_lazy(cpu, LF_SUB, in->o[0].size, 0, src, res);
    /* END SOLUTION */
    /* STUB: vlab_todo("lab01: ex_NEG", in); cpu_ud(cpu); */
}

/* NOT: one's complement; no flags change. */
void ex_NOT(struct cpu *cpu, const struct insn *in)
{
    opnd_write(cpu, in, 0, ~opnd_read(cpu, in, 0));
}

/* Near branches: JMP, Jcc, CALL, RET, LOOP/LOOPE/LOOPNE, JECXZ.
 *
 * A near branch changes EIP within the current code segment. Relative
 * forms add their sign-extended displacement (insn->imm) to the EIP of the
 * next instruction, which is cpu->eip on entry. With a 16-bit operand size
 * the new EIP is truncated to 16 bits. A target beyond the CS limit raises
 * #GP(0) at the branch itself, before anything (the return address of a
 * CALL, ECX of a LOOP) is changed. Far branches (JMPF, CALLF, RETF), which
 * also load CS, have handlers of their own.
 */
#include <assert.h>

#include "cpu_internal.h"

/* `target` truncated to the operand size and checked against CS.limit;
 * raises #GP(0) when it lies outside. */
static uint32_t checked_target(struct cpu *cpu, const struct insn *in, uint32_t target)
{
    if (in->osize == 2)
        target &= 0xffff;
    if (target > cpu->seg[S_CS].limit)
        cpu_gp0(cpu);
    return target;
}

/* The destination of operand 0: EIP-relative for Jb/Jz, else the absolute
 * offset in the register or memory operand (Ev). */
static uint32_t branch_dest(struct cpu *cpu, const struct insn *in)
{
    if (in->o[0].kind == OK_IMM)
        return cpu->eip + in->imm;
    return opnd_read(cpu, in, 0);
}

/* JMP rel8/rel16/rel32, JMP r/m16/r/m32. */
void ex_JMP(struct cpu *cpu, const struct insn *in)
{
    cpu->eip = checked_target(cpu, in, branch_dest(cpu, in));
}

/* Jcc rel8/rel16/rel32: the row's `arg` is the condition (enum cond). */
void ex_JCC(struct cpu *cpu, const struct insn *in)
{
    if (cond_true(cpu, in->d.arg))
        cpu_branch_taken(cpu, checked_target(cpu, in, cpu->eip + in->imm));
}

/* CALL rel16/rel32, CALL r/m16/r/m32: push the return address (the next
 * instruction's EIP, a word or a doubleword by operand size), then jump.
 * The target is read and checked first; a memory operand addressed through
 * ESP sees ESP before the push. */
void ex_CALL(struct cpu *cpu, const struct insn *in)
{
    uint32_t target = checked_target(cpu, in, branch_dest(cpu, in));
    cpu_push(cpu, cpu->eip, in->osize);
    cpu->eip = target;
}

/* RET, RET imm16: pop the return address, check it, then release imm16
 * more bytes of stack (the callee-pops convention of stdcall/pascal). */
void ex_RET(struct cpu *cpu, const struct insn *in)
{
    uint32_t target = checked_target(cpu, in, cpu_pop(cpu, in->osize));
    if (in->o[0].kind == OK_IMM)
        sp_set(cpu, sp_get(cpu) + (in->imm & 0xffff));
    cpu->eip = target;
}

/* The condition each LOOP row adds to "count != 0"; -1: none. */
static const int8_t loop_cond[] = {
    [0] = CC_NE, /* LOOPNE: and ZF = 0 */
    [1] = CC_E,  /* LOOPE:  and ZF = 1 */
    [2] = -1,    /* LOOP */
};

/* LOOP/LOOPE/LOOPNE rel8: decrement the count (ECX, or CX with a 16-bit
 * address size) without touching the flags, and branch while it is not
 * zero and the condition holds. ECX = 1 falls through with ECX = 0;
 * ECX = 0 wraps to 0xffffffff and branches. The count is written only
 * after the target passed its check. */
void ex_LOOP(struct cpu *cpu, const struct insn *in)
{
    assert(in->d.arg < VLAB_ARRAY_SIZE(loop_cond));
    int cc = loop_cond[in->d.arg];
    uint32_t count = (reg_read(cpu, R_ECX, in->asize) - 1) & size_mask(in->asize);
    bool taken = count != 0 && (cc < 0 || cond_true(cpu, (unsigned)cc));
    uint32_t next = taken ? checked_target(cpu, in, cpu->eip + in->imm) : cpu->eip;
    reg_write(cpu, R_ECX, in->asize, count);
    cpu->eip = next;
}

/* JECXZ rel8 (JCXZ with a 16-bit address size): branch if the count is 0. */
void ex_JECXZ(struct cpu *cpu, const struct insn *in)
{
    if (reg_read(cpu, R_ECX, in->asize) == 0)
        cpu->eip = checked_target(cpu, in, cpu->eip + in->imm);
}

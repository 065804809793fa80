/* System instructions that are not about system registers: HLT, the
 * interrupt flag, port I/O, software interrupts, BOUND, #UD and the cache
 * instructions (SDM Vol. 2, one page each).
 *
 * Privilege: rows marked F_PRIV (HLT, INVD, WBINVD) were refused by the run
 * loop before they reach us when CPL != 0. CLI, STI, IN and OUT are
 * IOPL-sensitive and check here. INT n only records the trap: the gate's
 * DPL check against CPL happens when the trap is delivered (cpu_soft_int,
 * then cpu_deliver_exception).
 */
#include "cpu_internal.h"

/* HLT: stop until an interrupt. The CPU leaves cpu_run() with EIP past the
 * HLT; waiting for the interrupt is the machine's job. */
void ex_HLT(struct cpu *cpu, const struct insn *in)
{
    (void)in;
    cpu_exit_after(cpu, CPU_EXIT_HLT);
}

/* CLI and STI need CPL <= IOPL in protected mode (the virtual-interrupt
 * alternatives of CR4.VME/PVI are not offered by this CPU). In real mode
 * CPL is 0, so the check passes. */
static void check_iopl(struct cpu *cpu)
{
    if (cpu->cpl > cpu_iopl(cpu))
        cpu_gp0(cpu);
}

void ex_CLI(struct cpu *cpu, const struct insn *in)
{
    (void)in;
    check_iopl(cpu);
    cpu->eflags &= ~EFLAGS_IF;
}

/* STI: interrupts are recognized only after the next instruction, so that
 * `sti; hlt` and `sti; ret` cannot be interrupted in between. The shadow
 * exists only when STI actually turns IF on. */
void ex_STI(struct cpu *cpu, const struct insn *in)
{
    (void)in;
    check_iopl(cpu);
    if (!(cpu->eflags & EFLAGS_IF))
        cpu->intr_shadow = true;
    cpu->eflags |= EFLAGS_IF;
    cpu_if_set(cpu);
}

/* IN AL/AX/EAX, imm8 or DX: o[0] is the accumulator (its size is the
 * access width), o[1] the port. */
void ex_IN(struct cpu *cpu, const struct insn *in)
{
    uint16_t port = (uint16_t)opnd_read(cpu, in, 1);
    unsigned size = in->o[0].size;
    io_check(cpu, port, size);
    reg_write(cpu, R_EAX, size, cpu_port_in(cpu, port, size));
}

/* OUT imm8 or DX, AL/AX/EAX: o[0] is the port, o[1] the accumulator. */
void ex_OUT(struct cpu *cpu, const struct insn *in)
{
    uint16_t port = (uint16_t)opnd_read(cpu, in, 0);
    unsigned size = in->o[1].size;
    io_check(cpu, port, size);
    cpu_port_out(cpu, port, size, reg_read(cpu, R_EAX, size));
}

/* INT n (CD ib, arg 0) and INT3 (CC, arg 3: the one-byte breakpoint). Both
 * are traps: EIP stays past the instruction. */
void ex_INT(struct cpu *cpu, const struct insn *in)
{
    unsigned vector = in->d.arg == 3 ? VEC_BP : in->imm & 0xff;
    cpu_soft_int(cpu, vector);
}

/* INTO: the overflow trap, taken only when OF is set. */
void ex_INTO(struct cpu *cpu, const struct insn *in)
{
    (void)in;
    if (flags_arith(cpu) & EFLAGS_OF)
        cpu_soft_int(cpu, VEC_OF);
}

/* BOUND r, m: the memory operand holds two signed bounds of the operand
 * size, lower then upper. An index outside [lower, upper] raises #BR, a
 * fault: EIP stays at the BOUND, so the handler can fix the bounds and
 * retry. */
void ex_BOUND(struct cpu *cpu, const struct insn *in)
{
    unsigned size = in->o[0].size;
    uint32_t off = ea_offset(cpu, in);
    int32_t lower = (int32_t)sext(mem_load(cpu, in->seg, off, size), size);
    int32_t upper = (int32_t)sext(mem_load(cpu, in->seg, off + size, size), size);
    int32_t index = (int32_t)sext(reg_read(cpu, in->o[0].reg, size), size);
    if (index < lower || index > upper)
        cpu_fault_noerr(cpu, VEC_BR);
}

/* UD2, undefined group rows and every opcode this CPU does not know. */
void ex_UD(struct cpu *cpu, const struct insn *in)
{
    (void)in;
    cpu_ud(cpu);
}

/* INVD, WBINVD: the machine has no caches to write back or drop. */
void ex_CACHE(struct cpu *cpu, const struct insn *in)
{
    (void)cpu;
    (void)in;
}

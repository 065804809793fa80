/* Exchanges: XCHG, CMPXCHG, CMPXCHG8B, XADD (SDM Vol. 2, the pages of the
 * same names). These are the instructions multiprocessor code builds locks
 * from; with one CPU, LOCK needs nothing more than doing the whole
 * read-modify-write within one instruction.
 *
 * Each writes its memory operand before any register, so a fault on the
 * write (a read-only page) leaves the registers as they were. CMPXCHG and
 * CMPXCHG8B write memory even when the comparison fails (they store back
 * the value they read), as the SDM says the processor does: the write, and
 * so a write fault, happens either way.
 */
#include "cpu_internal.h"

/* XCHG Eb,Gb / Ev,Gv (86, 87) and XCHG Zv, eAX (91..97). */
void ex_XCHG(struct cpu *cpu, const struct insn *in)
{
    uint32_t a = opnd_read(cpu, in, 0);
    uint32_t b = opnd_read(cpu, in, 1);
    opnd_write(cpu, in, 0, b);
    opnd_write(cpu, in, 1, a);
}

/* CMPXCHG Eb,Gb / Ev,Gv: compare the accumulator (AL, AX, EAX) with the
 * destination. Equal: ZF = 1 and dest = src. Not equal: ZF = 0 and the
 * accumulator = dest. The other flags are those of CMP accumulator, dest. */
void ex_CMPXCHG(struct cpu *cpu, const struct insn *in)
{
    unsigned size = in->o[0].size;
    uint32_t dst = opnd_read(cpu, in, 0);
    uint32_t acc = reg_read(cpu, R_EAX, size);
    bool equal = acc == dst;
    opnd_write(cpu, in, 0, equal ? opnd_read(cpu, in, 1) : dst);
    if (!equal)
        reg_write(cpu, R_EAX, size, dst);
    flags_lazy(cpu, LF_SUB, size, acc, dst, acc - dst);
}

/* CMPXCHG8B Mq: compare EDX:EAX with the quadword. Equal: ZF = 1 and the
 * quadword = ECX:EBX. Not equal: ZF = 0 and EDX:EAX = the quadword. Only
 * ZF changes. */
void ex_CMPXCHG8B(struct cpu *cpu, const struct insn *in)
{
    uint32_t off = ea_offset(cpu, in);
    mem_probe_write(cpu, in->seg, off, 8);
    uint32_t lo = mem_load(cpu, in->seg, off, 4);
    uint32_t hi = mem_load(cpu, in->seg, off + 4, 4);
    bool equal = lo == cpu->r[R_EAX] && hi == cpu->r[R_EDX];
    if (equal) {
        lo = cpu->r[R_EBX];
        hi = cpu->r[R_ECX];
    }
    mem_store(cpu, in->seg, off, 4, lo);
    mem_store(cpu, in->seg, off + 4, 4, hi);
    if (!equal) {
        cpu->r[R_EAX] = lo;
        cpu->r[R_EDX] = hi;
    }
    flags_set(cpu, EFLAGS_ZF, equal ? EFLAGS_ZF : 0);
}

/* XADD Eb,Gb / Ev,Gv: src = dest and dest = dest + src; flags as ADD.
 * When both are the same register it ends up holding the sum (the SDM
 * writes the source first). */
void ex_XADD(struct cpu *cpu, const struct insn *in)
{
    uint32_t dst = opnd_read(cpu, in, 0);
    uint32_t src = opnd_read(cpu, in, 1);
    uint32_t sum = dst + src;
    if (in->o[0].kind == OK_MEM) {
        opnd_write(cpu, in, 0, sum);
        opnd_write(cpu, in, 1, dst);
    } else {
        opnd_write(cpu, in, 1, dst);
        opnd_write(cpu, in, 0, sum);
    }
    flags_lazy(cpu, LF_ADD, in->o[0].size, dst, src, sum);
}

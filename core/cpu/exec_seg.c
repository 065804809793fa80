/* Moving segment registers: MOV Sreg and LDS/LES/LFS/LGS/LSS (SDM Vol. 2).
 * The checks of a load are seg_load()'s (segload.c); POP Sreg is with the
 * other stack instructions. */
#include "cpu_internal.h"

/* arg 0: MOV Ev, Sw. To memory the selector is always stored as 16 bits; to
 * a 32-bit register it is zero-extended (what P6 and later processors do).
 * arg 1: MOV Sw, Ew. CS cannot be loaded this way (#UD); loading SS blocks
 * interrupts until the next instruction has executed, so that a MOV ESP
 * that follows runs with the new stack. */
void ex_MOVSEG(struct cpu *cpu, const struct insn *in)
{
    if (in->d.arg == 0) {
        uint16_t sel = cpu->seg[in->o[1].reg].sel;
        if (in->o[0].kind == OK_MEM)
            mem_store(cpu, in->seg, ea_offset(cpu, in), 2, sel);
        else
            reg_write(cpu, in->o[0].reg, in->o[0].size, sel);
        return;
    }
    unsigned sreg = in->o[0].reg;
    if (sreg == S_CS)
        cpu_ud(cpu);
    seg_load(cpu, sreg, (uint16_t)opnd_read(cpu, in, 1));
    if (sreg == S_SS)
        cpu->intr_shadow = true;
}

/* LDS LES LSS LFS LGS r, m16:16/m16:32 (arg: the segment register). The far
 * pointer is offset first, then selector; the general register is written
 * only once the segment load has succeeded. */
void ex_LSEG(struct cpu *cpu, const struct insn *in)
{
    unsigned osize = in->osize;
    uint32_t ea = ea_offset(cpu, in);
    uint32_t off = mem_load(cpu, in->seg, ea, osize);
    uint16_t sel = (uint16_t)mem_load(cpu, in->seg, ea + osize, 2);
    seg_load(cpu, in->d.arg, sel);
    reg_write(cpu, in->o[0].reg, osize, off);
}

/* Lazy evaluation of the arithmetic flags.
 *
 * Most instructions that set flags never have them read: the next ALU
 * instruction overwrites them. So ADD, SUB, the logic operations, INC and
 * DEC only record their operands and result (flags_lazy), and the flags are
 * computed from that record when something reads them: a Jcc, PUSHF, an
 * exception. Carry and overflow come from the carry chain, so ADC and SBB
 * use the same record as ADD and SUB:
 *
 *   carry out of the top bit  = majority(dst, src, carry into the top bit)
 *   carry into bit k          = (dst ^ src ^ res) bit k
 */
#include "cpu_internal.h"

static uint32_t add_flags(uint32_t d, uint32_t s, uint32_t r, uint32_t sb)
{
    uint32_t f = 0;
    if (((d & s) | ((d | s) & ~r)) & sb)
        f |= EFLAGS_CF;
    if ((d ^ r) & (s ^ r) & sb)
        f |= EFLAGS_OF;
    return f;
}

static uint32_t sub_flags(uint32_t d, uint32_t s, uint32_t r, uint32_t sb)
{
    uint32_t f = 0;
    if (((~d & s) | ((~d | s) & r)) & sb)
        f |= EFLAGS_CF;
    if ((d ^ s) & (d ^ r) & sb)
        f |= EFLAGS_OF;
    return f;
}

uint32_t flags_arith(const struct cpu *cpu)
{
    const struct lazy_flags *lf = &cpu->lf;
    if (lf->op == LF_NONE)
        return cpu->eflags & EFLAGS_ARITH;

    uint32_t sb = sign_bit(lf->size);
    uint32_t res = lf->res & size_mask(lf->size);
    uint32_t f = parity_flag(res);
    if (res == 0)
        f |= EFLAGS_ZF;
    if (res & sb)
        f |= EFLAGS_SF;
    f |= (lf->dst ^ lf->src ^ lf->res) & EFLAGS_AF;
    switch (lf->op) {
    case LF_ADD:
        f |= add_flags(lf->dst, lf->src, lf->res, sb);
        break;
    case LF_SUB:
        f |= sub_flags(lf->dst, lf->src, lf->res, sb);
        break;
    case LF_LOGIC:
        f &= ~EFLAGS_AF;
        break;
    case LF_INC:
        f |= add_flags(lf->dst, 1, lf->res, sb) & EFLAGS_OF;
        f |= cpu->eflags & EFLAGS_CF;
        break;
    case LF_DEC:
        f |= sub_flags(lf->dst, 1, lf->res, sb) & EFLAGS_OF;
        f |= cpu->eflags & EFLAGS_CF;
        break;
    default:
        break;
    }
    return f;
}

void flags_set(struct cpu *cpu, uint32_t mask, uint32_t value)
{
    uint32_t cur = (mask & EFLAGS_ARITH) == EFLAGS_ARITH ? 0 : flags_arith(cpu);
    cpu->eflags = (cpu->eflags & ~EFLAGS_ARITH) | (cur & ~mask) | (value & mask & EFLAGS_ARITH);
    cpu->lf.op = LF_NONE;
}

bool cond_true(const struct cpu *cpu, unsigned cc)
{
    const struct lazy_flags *lf = &cpu->lf;
    bool r;
    /* Equality after an ALU op is the commonest test: answer it from the result. */
    if ((cc >> 1) == (CC_E >> 1) && lf->op != LF_NONE) {
        r = (lf->res & size_mask(lf->size)) == 0;
        return (cc & 1) ? !r : r;
    }
    uint32_t f = flags_arith(cpu);
    bool sf = f & EFLAGS_SF, of = f & EFLAGS_OF;
    switch (cc >> 1) {
    case 0: r = of; break;
    case 1: r = f & EFLAGS_CF; break;
    case 2: r = f & EFLAGS_ZF; break;
    case 3: r = f & (EFLAGS_CF | EFLAGS_ZF); break;
    case 4: r = sf; break;
    case 5: r = f & EFLAGS_PF; break;
    case 6: r = sf != of; break;
    default: r = (f & EFLAGS_ZF) || sf != of; break;
    }
    return (cc & 1) ? !r : r;
}

uint32_t cpu_eflags(struct cpu *cpu)
{
    flags_set(cpu, 0, 0);
    return cpu->eflags;
}

/* EFLAGS bits that exist on this CPU (a Pentium-class CPU with CPUID: ID,
 * AC, VM, RF, NT, IOPL, and the status and control flags). VIF/VIP need
 * CR4.VME/PVI, which this CPU does not offer. */
#define EFLAGS_IMPLEMENTED (EFLAGS_ARITH | EFLAGS_TF | EFLAGS_IF | EFLAGS_DF | EFLAGS_IOPL | \
                            EFLAGS_NT | EFLAGS_RF | EFLAGS_VM | EFLAGS_AC | EFLAGS_ID)

void cpu_set_eflags(struct cpu *cpu, uint32_t value)
{
    uint32_t old = cpu->eflags;
    cpu->eflags = (value & EFLAGS_IMPLEMENTED) | EFLAGS_FIXED1;
    cpu->lf.op = LF_NONE;
    if ((old ^ cpu->eflags) & EFLAGS_AC)
        cpu_tlb_flush(cpu); /* alignment checking turns on or off: see cpu_mem.c */
}

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
#include "vlab/todo.h"

/* ---- Lab 1: carry and overflow -------------------------------------------------
 *
 * Lab 1 (labs/01-emulation/README.md, part 1): you write add_flags() and
 * sub_flags(). flags_arith() below works out ZF, SF, PF and AF itself and
 * asks these two for CF and OF (SDM Vol. 1, 3.4.3.1 and Appendix A; the
 * ADD, ADC, SUB, SBB pages of Vol. 2).
 *
 * Both get the operands and the result as recorded (d = dst, s = src, r =
 * res: the low operand-size bits are what counts, the bits above are
 * garbage) and `sb`, the operand size's sign bit (0x80, 0x8000 or
 * 0x80000000). Return EFLAGS_CF and/or EFLAGS_OF.
 *
 *   CF  add: the carry out of the sign bit; subtract: the borrow into it
 *       (that is, unsigned dst < src, counting the borrow-in of SBB).
 *   OF  add: both operands have the same sign and the result's differs;
 *       subtract: the operands' signs differ and the result's differs
 *       from dst's.
 *
 * You may not compare dst + src with dst: ADC and SBB record the same three
 * numbers, and their carry-in is hidden in r. Work from the bits: at each
 * bit position k the carry into k is (d ^ s ^ r) bit k, and the carry out
 * of the top is the majority of d, s and the carry into it. Tested by
 * build/tests/test_alu (carries, borrows and overflows at every operand
 * size) and build/tests/difftest (random sequences against the host CPU).
 *
 * Stub: no CF, no OF -- wrong, but harmless to the host; the
 * not-implemented message says why the flags are wrong.
 */
static uint32_t add_flags(uint32_t d, uint32_t s, uint32_t r, uint32_t sb)
{
    /* BEGIN SOLUTION lab01 */
    uint32_t f = 0;
    if (((d & s) | ((d | s) & ~r)) & sb)
        f |= EFLAGS_CF;
    if ((d ^ r) & (s ^ r) & sb)
        f |= EFLAGS_OF;
    return f;
    /* END SOLUTION */
    /* STUB: vlab_todo("lab01: add_flags", d, s, r, sb); return 0; */
}

static uint32_t sub_flags(uint32_t d, uint32_t s, uint32_t r, uint32_t sb)
{
    /* BEGIN SOLUTION lab01 */
    uint32_t f = 0;
    if (((~d & s) | ((~d | s) & r)) & sb)
        f |= EFLAGS_CF;
    if ((d ^ s) & (d ^ r) & sb)
        f |= EFLAGS_OF;
    return f;
    /* END SOLUTION */
    /* STUB: vlab_todo("lab01: sub_flags", d, s, r, sb); return 0; */
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
    case LF_INC_CMP:
        f &= ~EFLAGS_AF; /* AF from the INC's own operands, not the compare's */
        f |= ((lf->res - 1) ^ 1 ^ lf->res) & EFLAGS_AF;
        f |= add_flags(lf->res - 1, 1, lf->res, sb) & EFLAGS_OF;
        f |= lf->dst < lf->src ? EFLAGS_CF : 0;
        break;
    case LF_DEC_CMP:
        f &= ~EFLAGS_AF;
        f |= ((lf->res + 1) ^ 1 ^ lf->res) & EFLAGS_AF;
        f |= sub_flags(lf->res + 1, 1, lf->res, sb) & EFLAGS_OF;
        f |= lf->dst < lf->src ? EFLAGS_CF : 0;
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

/* The condition `cc >> 1` (without its negation bit) straight from a CMP,
 * SUB or NEG record (no borrow in: res == dst - src) or a logic record, as
 * the comparison it stands for; -1 when the flags must be computed. */
static int cond_from_compare(const struct lazy_flags *lf, unsigned test)
{
    if (lf->op != LF_SUB && lf->op != LF_LOGIC)
        return -1;
    uint32_t mask = size_mask(lf->size);
    uint32_t d = lf->dst & mask, s = lf->src & mask, r = lf->res & mask;
    int32_t sd = (int32_t)sext(d, lf->size), ss = (int32_t)sext(s, lf->size);
    bool sign = r & sign_bit(lf->size);
    if (lf->op == LF_SUB && r == ((d - s) & mask)) {
        switch (test) {
        case CC_B >> 1: return d < s;
        case CC_BE >> 1: return d <= s;
        case CC_S >> 1: return sign;
        case CC_L >> 1: return sd < ss;
        case CC_LE >> 1: return sd <= ss;
        default: return -1;
        }
    }
    if (lf->op == LF_LOGIC) {
        switch (test) {
        case CC_O >> 1:
        case CC_B >> 1: return 0;
        case CC_BE >> 1: return r == 0;
        case CC_S >> 1:
        case CC_L >> 1: return sign;
        case CC_LE >> 1: return r == 0 || sign;
        default: return -1;
        }
    }
    return -1;
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
    /* Then a compare or a logic op followed by Jcc/SETcc/CMOVcc. */
    int quick = cond_from_compare(lf, cc >> 1);
    if (quick >= 0)
        return (cc & 1) ? !quick : quick;
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
    cpu_if_set(cpu);
}

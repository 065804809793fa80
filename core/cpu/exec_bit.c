/* Bit instructions: BT BTS BTR BTC, BSF BSR, SETcc, CMOVcc, BSWAP (SDM
 * Vol. 2, the pages of the same names).
 *
 * BT and friends address a bit string. With a register operand, or with an
 * immediate bit offset, the offset is taken modulo the operand width. With
 * a memory operand and a register offset the string extends both ways from
 * the effective address: the offset is a signed 16- or 32-bit number, and
 * the word or dword holding the bit is
 *
 *   EA + size * floor(offset / (8 * size)),  bit  offset mod (8 * size)
 *
 * so BT [x], -1 tests bit 31 of the dword below x.
 *
 * Flags the SDM leaves undefined are left unchanged here: OF SF AF PF for
 * BT*, and CF OF SF AF PF for BSF and BSR.
 */
#include "cpu_internal.h"

/* What BTS, BTR and BTC do to the selected bit (BT leaves it). */
enum { BT_TEST, BT_SET, BT_RESET, BT_COMPLEMENT };

static uint32_t bt_update(unsigned op, uint32_t v, uint32_t bit)
{
    switch (op) {
    case BT_SET: return v | bit;
    case BT_RESET: return v & ~bit;
    case BT_COMPLEMENT: return v ^ bit;
    default: return v;
    }
}

/* BT (arg 0), BTS (1), BTR (2), BTC (3) Ev, Gv/Ib: CF = the selected bit,
 * then set, clear or flip it. */
void ex_BT(struct cpu *cpu, const struct insn *in)
{
    unsigned size = in->o[0].size, bits = size * 8;
    unsigned op = in->d.arg;
    uint32_t offset = opnd_read(cpu, in, 1);
    uint32_t bit = 1u << (offset & (bits - 1));
    uint32_t v;
    if (in->o[0].kind == OK_REG || in->o[1].kind == OK_IMM) {
        v = opnd_read(cpu, in, 0);
        if (op != BT_TEST)
            opnd_write(cpu, in, 0, bt_update(op, v, bit));
    } else {
        /* Arithmetic shift: floor division of the signed offset. */
        int32_t unit = (int32_t)sext(offset, size) >> (bits == 32 ? 5 : 4);
        uint32_t ea = ea_offset(cpu, in) + (uint32_t)unit * size;
        if (in->asize == 2)
            ea &= 0xffff;
        v = op == BT_TEST ? mem_load(cpu, in->seg, ea, size)
                          : mem_load_rmw(cpu, in->seg, ea, size);
        if (op != BT_TEST)
            mem_store(cpu, in->seg, ea, size, bt_update(op, v, bit));
    }
    flags_set(cpu, EFLAGS_CF, (v & bit) ? EFLAGS_CF : 0);
}

/* BSF Gv, Ev: index of the lowest set bit. A zero source sets ZF and leaves
 * the destination unchanged (AMD documents this; Intel calls the
 * destination undefined, and vlab follows AMD). */
void ex_BSF(struct cpu *cpu, const struct insn *in)
{
    uint32_t src = opnd_read(cpu, in, 1);
    if (src == 0) {
        flags_set(cpu, EFLAGS_ZF, EFLAGS_ZF);
        return;
    }
    reg_write(cpu, in->o[0].reg, in->o[0].size, (uint32_t)__builtin_ctz(src));
    flags_set(cpu, EFLAGS_ZF, 0);
}

/* BSR Gv, Ev: index of the highest set bit; a zero source as for BSF. */
void ex_BSR(struct cpu *cpu, const struct insn *in)
{
    uint32_t src = opnd_read(cpu, in, 1);
    if (src == 0) {
        flags_set(cpu, EFLAGS_ZF, EFLAGS_ZF);
        return;
    }
    reg_write(cpu, in->o[0].reg, in->o[0].size, 31u - (uint32_t)__builtin_clz(src));
    flags_set(cpu, EFLAGS_ZF, 0);
}

/* SETcc Eb (arg = condition): 1 if the condition holds, else 0. */
void ex_SETCC(struct cpu *cpu, const struct insn *in)
{
    opnd_write(cpu, in, 0, cond_true(cpu, in->d.arg));
}

/* CMOVcc Gv, Ev (arg = condition). The source is read whether or not the
 * condition holds, so a bad memory operand faults either way; when it does
 * not hold the destination is left alone (in 32-bit code no upper half is
 * cleared, unlike 64-bit mode). */
void ex_CMOVCC(struct cpu *cpu, const struct insn *in)
{
    uint32_t src = opnd_read(cpu, in, 1);
    if (cond_true(cpu, in->d.arg))
        reg_write(cpu, in->o[0].reg, in->o[0].size, src);
}

/* BSWAP Zv: reverse the bytes of a 32-bit register. With a 16-bit operand
 * the SDM says the result is undefined; Intel and AMD processors clear the
 * low word, and so does vlab. */
void ex_BSWAP(struct cpu *cpu, const struct insn *in)
{
    unsigned reg = in->o[0].reg;
    if (in->o[0].size == 2)
        reg_write(cpu, reg, 2, 0);
    else
        cpu->r[reg] = __builtin_bswap32(cpu->r[reg]);
}

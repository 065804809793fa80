/* The decoder: bytes -> struct insn, driven by the opcode tables.
 *
 * It reads prefixes, the opcode (one byte, or 0F and one byte), ModRM, SIB,
 * displacement and immediates, and resolves each operand form of the table
 * row into an operand the executor can use directly (struct opnd). It knows
 * nothing about what instructions do.
 */
#include "cpu_internal.h"

#define MAX_INSN_LEN 15

struct cursor {
    const uint8_t *b;
    size_t avail, pos;
    bool short_read;
};

static uint32_t take(struct cursor *c, unsigned n)
{
    uint32_t v = 0;
    if (c->pos + n > c->avail) {
        c->short_read = true;
        c->pos += n;
        return 0;
    }
    for (unsigned k = 0; k < n; k++)
        v |= (uint32_t)c->b[c->pos + k] << (8 * k);
    c->pos += n;
    return v;
}

/* 16-bit ModRM addressing (SDM Vol. 2, Table 2-1): base and index per rm. */
static const uint8_t ea16_base[8] = { R_EBX, R_EBX, R_EBP, R_EBP, EA_NONE, EA_NONE, R_EBP, R_EBX };
static const uint8_t ea16_index[8] = { R_ESI, R_EDI, R_ESI, R_EDI, R_ESI, R_EDI, EA_NONE, EA_NONE };

static void decode_ea16(struct insn *in, unsigned mod, unsigned rm)
{
    in->ea_base = ea16_base[rm];
    in->ea_index = ea16_index[rm];
    if (mod == 0 && rm == 6) {
        in->ea_base = EA_NONE;
        in->disp_size = 2;
    } else {
        in->disp_size = mod == 1 ? 1 : mod == 2 ? 2 : 0;
    }
    in->seg = in->ea_base == R_EBP ? S_SS : S_DS;
}

/* 32-bit ModRM/SIB addressing (SDM Vol. 2, Tables 2-2 and 2-3). */
static void decode_ea32(struct insn *in, struct cursor *c, unsigned mod, unsigned rm)
{
    in->ea_base = (uint8_t)rm;
    in->ea_index = EA_NONE;
    if (rm == 4) {
        uint8_t sib = (uint8_t)take(c, 1);
        unsigned index = (sib >> 3) & 7;
        in->has_sib = 1;
        in->ea_scale = sib >> 6;
        in->ea_index = index == 4 ? EA_NONE : (uint8_t)index;
        in->ea_base = sib & 7;
        if (in->ea_base == R_EBP && mod == 0) {
            in->ea_base = EA_NONE;
            in->disp_size = 4;
        }
    } else if (mod == 0 && rm == 5) {
        in->ea_base = EA_NONE;
        in->disp_size = 4;
    }
    if (mod == 1)
        in->disp_size = 1;
    else if (mod == 2)
        in->disp_size = 4;
    in->seg = (in->ea_base == R_ESP || in->ea_base == R_EBP) ? S_SS : S_DS;
}

static void decode_disp(struct insn *in, struct cursor *c)
{
    uint32_t d = take(c, in->disp_size);
    in->disp = in->disp_size ? sext(d, in->disp_size) : 0;
}

/* Take an immediate of `size` bytes into imm, or imm2 if imm is taken. */
static void take_imm(struct insn *in, struct cursor *c, unsigned size, bool sign, bool *have_imm)
{
    uint32_t v = take(c, size);
    if (sign)
        v = sext(v, size);
    if (*have_imm) {
        in->imm2 = (uint16_t)v;
    } else {
        in->imm = v;
        *have_imm = true;
    }
}

static struct opnd mk(unsigned kind, unsigned size, unsigned reg)
{
    return (struct opnd){ (uint8_t)kind, (uint8_t)size, (uint8_t)reg };
}

/* Resolve operand form `f` into in->o[n]; returns false for an encoding that
 * is undefined (#UD). */
static bool decode_operand(struct insn *in, struct cursor *c, unsigned n, unsigned f, bool *have_imm)
{
    bool mem = insn_mod(in) != 3;
    unsigned os = in->osize;
    switch (f) {
    case OF_NONE: in->o[n] = mk(OK_NONE, 0, 0); break;
    case OF_Eb: in->o[n] = mem ? mk(OK_MEM, 1, 0) : mk(OK_REG, 1, insn_rm(in)); break;
    case OF_Ew: in->o[n] = mem ? mk(OK_MEM, 2, 0) : mk(OK_REG, 2, insn_rm(in)); break;
    case OF_Ed: in->o[n] = mem ? mk(OK_MEM, 4, 0) : mk(OK_REG, 4, insn_rm(in)); break;
    case OF_Ev: in->o[n] = mem ? mk(OK_MEM, os, 0) : mk(OK_REG, os, insn_rm(in)); break;
    case OF_Gb: in->o[n] = mk(OK_REG, 1, insn_reg(in)); break;
    case OF_Gw: in->o[n] = mk(OK_REG, 2, insn_reg(in)); break;
    case OF_Gd: in->o[n] = mk(OK_REG, 4, insn_reg(in)); break;
    case OF_Gv: in->o[n] = mk(OK_REG, os, insn_reg(in)); break;
    case OF_M: in->o[n] = mk(OK_MEM, 0, 0); return mem;
    case OF_Mp: in->o[n] = mk(OK_MEM, os + 2, 0); return mem;
    case OF_Mq: in->o[n] = mk(OK_MEM, 8, 0); return mem;
    case OF_Ms: in->o[n] = mk(OK_MEM, 6, 0); return mem;
    case OF_Ma: in->o[n] = mk(OK_MEM, os * 2, 0); return mem;
    case OF_Ib: in->o[n] = mk(OK_IMM, 1, 0); take_imm(in, c, 1, false, have_imm); break;
    case OF_Iw: in->o[n] = mk(OK_IMM, 2, 0); take_imm(in, c, 2, false, have_imm); break;
    case OF_Iz: in->o[n] = mk(OK_IMM, os, 0); take_imm(in, c, os, false, have_imm); break;
    case OF_Ibs: in->o[n] = mk(OK_IMM, os, 0); take_imm(in, c, 1, true, have_imm); break;
    case OF_Jb: in->o[n] = mk(OK_IMM, 1, 0); take_imm(in, c, 1, true, have_imm); break;
    case OF_Jz: in->o[n] = mk(OK_IMM, os, 0); take_imm(in, c, os, true, have_imm); break;
    case OF_Ap:
        in->o[n] = mk(OK_FARPTR, os + 2, 0);
        in->imm = take(c, os);
        in->imm2 = (uint16_t)take(c, 2);
        *have_imm = true;
        break;
    case OF_Ob:
    case OF_Ov:
        in->o[n] = mk(OK_MEM, f == OF_Ob ? 1 : os, 0);
        in->ea_base = in->ea_index = EA_NONE;
        in->disp_size = in->asize;
        in->disp = take(c, in->asize);
        break;
    case OF_Sw:
        in->o[n] = mk(OK_SREG, 2, insn_reg(in));
        return insn_reg(in) <= S_GS;
    case OF_Cd: {
        unsigned r = insn_reg(in);
        in->o[n] = mk(OK_CREG, 4, r);
        return r == 0 || r == 2 || r == 3 || r == 4;
    }
    case OF_Dd: in->o[n] = mk(OK_DREG, 4, insn_reg(in)); break;
    case OF_Rd: in->o[n] = mk(OK_REG, 4, insn_rm(in)); break;
    case OF_Zb: in->o[n] = mk(OK_REG, 1, in->opcode & 7); break;
    case OF_Zv: in->o[n] = mk(OK_REG, os, in->opcode & 7); break;
    case OF_AL: in->o[n] = mk(OK_REG, 1, R_EAX); break;
    case OF_eAX: in->o[n] = mk(OK_REG, os, R_EAX); break;
    case OF_CL: in->o[n] = mk(OK_REG, 1, R_ECX); break;
    case OF_DX: in->o[n] = mk(OK_REG, 2, R_EDX); break;
    case OF_ONE: /* the constant 1 of D0..D3, encoded in the opcode */
        in->o[n] = mk(OK_IMM, 1, 0);
        in->imm = 1;
        *have_imm = true;
        break;
    case OF_ES: case OF_CS: case OF_SS: case OF_DS: case OF_FS: case OF_GS:
        in->o[n] = mk(OK_SREG, 2, f - OF_ES);
        break;
    case OF_Xb: in->o[n] = mk(OK_STR, 1, 0); break;
    case OF_Xv: in->o[n] = mk(OK_STR, os, 0); break;
    case OF_Yb: in->o[n] = mk(OK_STR, 1, 1); break;
    case OF_Yv: in->o[n] = mk(OK_STR, os, 1); break;
    default: return false;
    }
    return true;
}

/* Read legacy prefixes into in->prefix (the last REP/REPNE and segment
 * override win) and record their bytes in in->pfx for the disassembler. */
static void decode_prefixes(struct insn *in, struct cursor *c, uint8_t *seg_override)
{
    static const int8_t seg_of[256] = {
        [0x26] = S_ES + 1, [0x2e] = S_CS + 1, [0x36] = S_SS + 1,
        [0x3e] = S_DS + 1, [0x64] = S_FS + 1, [0x65] = S_GS + 1,
    };
    for (;;) {
        if (c->pos >= c->avail || c->pos >= MAX_INSN_LEN)
            return;
        uint8_t b = c->b[c->pos];
        if (seg_of[b]) {
            *seg_override = (uint8_t)(seg_of[b] - 1);
        } else if (b == 0x66) {
            in->prefix |= P_OSIZE;
        } else if (b == 0x67) {
            in->prefix |= P_ASIZE;
        } else if (b == 0xf0) {
            in->prefix |= P_LOCK;
        } else if (b == 0xf2) {
            in->prefix = (in->prefix & ~P_REP) | P_REPNE;
        } else if (b == 0xf3) {
            in->prefix = (in->prefix & ~P_REPNE) | P_REP;
        } else {
            return;
        }
        if (in->npfx < sizeof(in->pfx))
            in->pfx[in->npfx++] = b;
        c->pos++;
    }
}

/* Pick the row for the opcode, following a group through ModRM.reg. */
static const struct opdesc *lookup_row(struct insn *in, struct cursor *c)
{
    uint8_t op = (uint8_t)take(c, 1);
    const struct opdesc *row;
    if (op == 0x0f) {
        in->two_byte = 1;
        op = (uint8_t)take(c, 1);
        row = &optable_0f[op];
    } else {
        row = &optable_1byte[op];
    }
    in->opcode = op;
    return row;
}

int insn_decode(struct insn *in, const uint8_t *bytes, size_t avail, bool code32)
{
    struct cursor c = { bytes, avail, 0, false };
    uint8_t seg_override = S_NONE;
    bool have_imm = false;

    memset(in, 0, sizeof(*in));
    in->ea_base = in->ea_index = EA_NONE;
    decode_prefixes(in, &c, &seg_override);
    const struct opdesc *row = lookup_row(in, &c);
    in->d = *row;
    if (row->flags & F_MODRM)
        in->modrm = (uint8_t)take(&c, 1);
    if (row->flags & F_GROUP) {
        const struct opdesc *g = &optable_groups[row->arg][insn_reg(in)];
        in->d = *g;
        if (g->opnd[0] == OF_NONE)
            memcpy(in->d.opnd, row->opnd, sizeof(in->d.opnd));
        in->d.flags = (uint16_t)(g->flags | (row->flags & ~(F_GROUP | F_LOCK)));
    }
    const uint16_t fl = in->d.flags;

    in->osize = code32 ? 4 : 2;
    in->asize = code32 ? 4 : 2;
    if ((in->prefix & P_OSIZE) && !(fl & F_NO66))
        in->osize ^= 6;
    if (in->prefix & P_ASIZE)
        in->asize ^= 6;
    in->seg = S_DS;

    bool ok = in->d.mnem != M_BAD;
    /* MOV to/from CRn/DRn ignore ModRM.mod: the operand is always a register,
     * with no SIB or displacement (SDM Vol. 2, MOV-Move to/from Control Registers). */
    if (in->d.opnd[0] == OF_Rd || in->d.opnd[1] == OF_Rd)
        in->modrm |= 0xc0;
    if (fl & F_MODRM) {
        unsigned mod = insn_mod(in);
        if (mod != 3) {
            if (in->asize == 2)
                decode_ea16(in, mod, insn_rm(in));
            else
                decode_ea32(in, &c, mod, insn_rm(in));
            decode_disp(in, &c);
        }
        if ((fl & F_MEMONLY) && mod == 3)
            ok = false;
        if ((fl & F_REGONLY) && mod != 3)
            ok = false;
    }
    if ((fl & F_UD_F2) && (in->prefix & P_REPNE))
        ok = false;
    if ((fl & F_UD_66) && (in->prefix & P_OSIZE) && !(in->prefix & P_REP))
        ok = false;
    for (unsigned n = 0; n < 3 && ok; n++)
        ok = decode_operand(in, &c, n, in->d.opnd[n], &have_imm);
    if (seg_override != S_NONE) {
        in->seg = seg_override;
        in->prefix |= P_SEG;
    }
    if ((in->prefix & P_LOCK) && ok && !((fl & F_LOCK) && in->o[0].kind == OK_MEM))
        ok = false;

    in->len = (uint8_t)(c.pos > MAX_INSN_LEN + 1 ? MAX_INSN_LEN + 1 : c.pos);
    /* A byte missing among the first 15 leaves the length unknown: the
     * caller fetches more. Reading past the buffer has filled in zeros, so
     * c.pos may exceed 15 without the instruction being too long. */
    if (c.short_read && c.avail < MAX_INSN_LEN)
        return DECODE_SHORT;
    if (c.pos > MAX_INSN_LEN)
        return DECODE_TOO_LONG;
    return ok ? DECODE_OK : DECODE_UD;
}

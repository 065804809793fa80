/* The opcode tables: one row per opcode, read by the decoder, the executor,
 * the disassembler and the translator's scanner (SDM Vol. 2, Appendix A).
 *
 * A row says the mnemonic, the handler and its variant (`arg`), the operand
 * forms (destination first) and attributes (F_* in vlab/insn.h). A row with
 * F_GROUP sends ModRM.reg to optable_groups[arg]; a group row with operand
 * forms of its own overrides the main row's, otherwise it inherits them.
 * Rows left zero are M_BAD/EX_UD: the opcode raises #UD.
 */
#include "cpu_internal.h"

#define ROW(m, e, a, o1, o2, o3, f) \
    { M_##m, EX_##e, (a), { OF_##o1, OF_##o2, OF_##o3 }, (f) }
#define R0(m, e, a, f) ROW(m, e, a, NONE, NONE, NONE, f)
#define R1(m, e, a, o1, f) ROW(m, e, a, o1, NONE, NONE, f)
#define R2(m, e, a, o1, o2, f) ROW(m, e, a, o1, o2, NONE, f)
#define R3(m, e, a, o1, o2, o3, f) ROW(m, e, a, o1, o2, o3, f)

/* Group numbers: the `arg` of an F_GROUP row. */
enum {
    GRP1,    /* 80 81 82 83: ALU Ev, imm */
    GRP1A,   /* 8F: POP Ev */
    GRP2,    /* C0 C1 D0..D3: rotates and shifts */
    GRP3B,   /* F6: TEST NOT NEG MUL IMUL DIV IDIV on bytes */
    GRP3V,   /* F7: the same on words/dwords */
    GRP4,    /* FE: INC DEC Eb */
    GRP5,    /* FF: INC DEC CALL CALLF JMP JMPF PUSH */
    GRP6,    /* 0F 00: SLDT STR LLDT LTR VERR VERW */
    GRP7,    /* 0F 01: SGDT SIDT LGDT LIDT SMSW LMSW INVLPG */
    GRP8,    /* 0F BA: BT BTS BTR BTC Ev, Ib */
    GRP9,    /* 0F C7: CMPXCHG8B */
    GRP11B,  /* C6: MOV Eb, Ib */
    GRP11V,  /* C7: MOV Ev, Iz */
    GRP_COUNT
};

/* A group's main row: operand forms for the rows that inherit them; the
 * attributes that matter (F_LOCK ...) come from the group row. */
#define G(n, o1, o2, f) ROW(BAD, UD, n, o1, o2, NONE, F_MODRM | F_GROUP | (f))

/* The eight ALU operations share one encoding pattern at opcode 8*op. */
#define ALU_ROWS(base, m, lock)                                   \
    [(base) + 0] = R2(m, ALU, (base) / 8, Eb, Gb, F_MODRM | F_BYTE | (lock)), \
    [(base) + 1] = R2(m, ALU, (base) / 8, Ev, Gv, F_MODRM | (lock)),          \
    [(base) + 2] = R2(m, ALU, (base) / 8, Gb, Eb, F_MODRM | F_BYTE),          \
    [(base) + 3] = R2(m, ALU, (base) / 8, Gv, Ev, F_MODRM),                   \
    [(base) + 4] = R2(m, ALU, (base) / 8, AL, Ib, F_BYTE),                    \
    [(base) + 5] = R2(m, ALU, (base) / 8, eAX, Iz, 0)

#define EIGHT(first, row) \
    [(first) + 0] = row, [(first) + 1] = row, [(first) + 2] = row, [(first) + 3] = row, \
    [(first) + 4] = row, [(first) + 5] = row, [(first) + 6] = row, [(first) + 7] = row

#define SIXTEEN_CC(first, m, e, o1, o2, f)                                    \
    [(first) + 0x0] = R2(m, e, 0x0, o1, o2, f), [(first) + 0x1] = R2(m, e, 0x1, o1, o2, f), \
    [(first) + 0x2] = R2(m, e, 0x2, o1, o2, f), [(first) + 0x3] = R2(m, e, 0x3, o1, o2, f), \
    [(first) + 0x4] = R2(m, e, 0x4, o1, o2, f), [(first) + 0x5] = R2(m, e, 0x5, o1, o2, f), \
    [(first) + 0x6] = R2(m, e, 0x6, o1, o2, f), [(first) + 0x7] = R2(m, e, 0x7, o1, o2, f), \
    [(first) + 0x8] = R2(m, e, 0x8, o1, o2, f), [(first) + 0x9] = R2(m, e, 0x9, o1, o2, f), \
    [(first) + 0xa] = R2(m, e, 0xa, o1, o2, f), [(first) + 0xb] = R2(m, e, 0xb, o1, o2, f), \
    [(first) + 0xc] = R2(m, e, 0xc, o1, o2, f), [(first) + 0xd] = R2(m, e, 0xd, o1, o2, f), \
    [(first) + 0xe] = R2(m, e, 0xe, o1, o2, f), [(first) + 0xf] = R2(m, e, 0xf, o1, o2, f)

const struct opdesc optable_1byte[256] = {
    ALU_ROWS(0x00, ADD, F_LOCK),
    [0x06] = R1(PUSH, PUSH, 0, ES, F_SENS),
    [0x07] = R1(POP, POP, 0, ES, 0),
    ALU_ROWS(0x08, OR, F_LOCK),
    [0x0e] = R1(PUSH, PUSH, 0, CS, F_SENS),
    ALU_ROWS(0x10, ADC, F_LOCK),
    [0x16] = R1(PUSH, PUSH, 0, SS, F_SENS),
    [0x17] = R1(POP, POP, 0, SS, 0),
    ALU_ROWS(0x18, SBB, F_LOCK),
    [0x1e] = R1(PUSH, PUSH, 0, DS, F_SENS),
    [0x1f] = R1(POP, POP, 0, DS, 0),
    ALU_ROWS(0x20, AND, F_LOCK),
    [0x27] = R0(DAA, DAA, 0, 0),
    ALU_ROWS(0x28, SUB, F_LOCK),
    [0x2f] = R0(DAS, DAS, 0, 0),
    ALU_ROWS(0x30, XOR, F_LOCK),
    [0x37] = R0(AAA, AAA, 0, 0),
    ALU_ROWS(0x38, CMP, 0),
    [0x3f] = R0(AAS, AAS, 0, 0),
    EIGHT(0x40, R1(INC, INCDEC, 0, Zv, 0)),
    EIGHT(0x48, R1(DEC, INCDEC, 1, Zv, 0)),
    EIGHT(0x50, R1(PUSH, PUSH, 0, Zv, 0)),
    EIGHT(0x58, R1(POP, POP, 0, Zv, 0)),
    [0x60] = R0(PUSHA, PUSHA, 0, 0),
    [0x61] = R0(POPA, POPA, 0, 0),
    [0x62] = R2(BOUND, BOUND, 0, Gv, Ma, F_MODRM | F_MEMONLY | F_BRANCH),
    [0x63] = R2(ARPL, ARPL, 0, Ew, Gw, F_MODRM | F_NO66),
    [0x68] = R1(PUSH, PUSH, 0, Iz, 0),
    [0x69] = R3(IMUL, IMUL, 0, Gv, Ev, Iz, F_MODRM),
    [0x6a] = R1(PUSH, PUSH, 0, Ibs, 0),
    [0x6b] = R3(IMUL, IMUL, 0, Gv, Ev, Ibs, F_MODRM),
    [0x6c] = R2(INS, STRING, STR_INS, Yb, DX, F_REP | F_IOPL | F_BYTE),
    [0x6d] = R2(INS, STRING, STR_INS, Yv, DX, F_REP | F_IOPL),
    [0x6e] = R2(OUTS, STRING, STR_OUTS, DX, Xb, F_REP | F_IOPL | F_BYTE),
    [0x6f] = R2(OUTS, STRING, STR_OUTS, DX, Xv, F_REP | F_IOPL),
    SIXTEEN_CC(0x70, JCC, JCC, Jb, NONE, F_BRANCH),
    [0x80] = G(GRP1, Eb, Ib, F_BYTE),
    [0x81] = G(GRP1, Ev, Iz, 0),
    [0x82] = G(GRP1, Eb, Ib, F_BYTE),
    [0x83] = G(GRP1, Ev, Ibs, 0),
    [0x84] = R2(TEST, TEST, 0, Eb, Gb, F_MODRM | F_BYTE),
    [0x85] = R2(TEST, TEST, 0, Ev, Gv, F_MODRM),
    [0x86] = R2(XCHG, XCHG, 0, Eb, Gb, F_MODRM | F_LOCK | F_BYTE),
    [0x87] = R2(XCHG, XCHG, 0, Ev, Gv, F_MODRM | F_LOCK),
    [0x88] = R2(MOV, MOV, 0, Eb, Gb, F_MODRM | F_BYTE),
    [0x89] = R2(MOV, MOV, 0, Ev, Gv, F_MODRM),
    [0x8a] = R2(MOV, MOV, 0, Gb, Eb, F_MODRM | F_BYTE),
    [0x8b] = R2(MOV, MOV, 0, Gv, Ev, F_MODRM),
    [0x8c] = R2(MOV, MOVSEG, 0, Ev, Sw, F_MODRM | F_SENS),
    [0x8d] = R2(LEA, LEA, 0, Gv, M, F_MODRM | F_MEMONLY),
    [0x8e] = R2(MOV, MOVSEG, 1, Sw, Ew, F_MODRM | F_NO66),
    [0x8f] = G(GRP1A, Ev, NONE, 0),
    [0x90] = R0(NOP, NOP, 0, 0),
    [0x91] = R2(XCHG, XCHG, 0, Zv, eAX, 0),
    [0x92] = R2(XCHG, XCHG, 0, Zv, eAX, 0),
    [0x93] = R2(XCHG, XCHG, 0, Zv, eAX, 0),
    [0x94] = R2(XCHG, XCHG, 0, Zv, eAX, 0),
    [0x95] = R2(XCHG, XCHG, 0, Zv, eAX, 0),
    [0x96] = R2(XCHG, XCHG, 0, Zv, eAX, 0),
    [0x97] = R2(XCHG, XCHG, 0, Zv, eAX, 0),
    [0x98] = R0(CBW, CBW, 0, 0),
    [0x99] = R0(CWD, CWD, 0, 0),
    [0x9a] = R1(CALLF, CALLF, 0, Ap, F_BRANCH | F_SENS),
    [0x9b] = R0(FWAIT, NOP, 0, F_NO66),
    [0x9c] = R0(PUSHF, PUSHF, 0, F_SENS),
    [0x9d] = R0(POPF, POPF, 0, F_SENS),
    [0x9e] = R0(SAHF, SAHF, 0, F_NO66),
    [0x9f] = R0(LAHF, LAHF, 0, F_NO66),
    [0xa0] = R2(MOV, MOV, 0, AL, Ob, F_BYTE),
    [0xa1] = R2(MOV, MOV, 0, eAX, Ov, 0),
    [0xa2] = R2(MOV, MOV, 0, Ob, AL, F_BYTE),
    [0xa3] = R2(MOV, MOV, 0, Ov, eAX, 0),
    [0xa4] = R2(MOVS, STRING, STR_MOVS, Yb, Xb, F_REP | F_BYTE),
    [0xa5] = R2(MOVS, STRING, STR_MOVS, Yv, Xv, F_REP),
    [0xa6] = R2(CMPS, STRING, STR_CMPS, Xb, Yb, F_REP | F_BYTE),
    [0xa7] = R2(CMPS, STRING, STR_CMPS, Xv, Yv, F_REP),
    [0xa8] = R2(TEST, TEST, 0, AL, Ib, F_BYTE),
    [0xa9] = R2(TEST, TEST, 0, eAX, Iz, 0),
    [0xaa] = R2(STOS, STRING, STR_STOS, Yb, AL, F_REP | F_BYTE),
    [0xab] = R2(STOS, STRING, STR_STOS, Yv, eAX, F_REP),
    [0xac] = R2(LODS, STRING, STR_LODS, AL, Xb, F_REP | F_BYTE),
    [0xad] = R2(LODS, STRING, STR_LODS, eAX, Xv, F_REP),
    [0xae] = R2(SCAS, STRING, STR_SCAS, AL, Yb, F_REP | F_BYTE),
    [0xaf] = R2(SCAS, STRING, STR_SCAS, eAX, Yv, F_REP),
    EIGHT(0xb0, R2(MOV, MOV, 0, Zb, Ib, F_BYTE)),
    EIGHT(0xb8, R2(MOV, MOV, 0, Zv, Iz, 0)),
    [0xc0] = G(GRP2, Eb, Ib, F_BYTE),
    [0xc1] = G(GRP2, Ev, Ib, 0),
    [0xc2] = R1(RET, RET, 0, Iw, F_BRANCH),
    [0xc3] = R0(RET, RET, 0, F_BRANCH),
    [0xc4] = R2(LES, LSEG, S_ES, Gv, Mp, F_MODRM | F_MEMONLY),
    [0xc5] = R2(LDS, LSEG, S_DS, Gv, Mp, F_MODRM | F_MEMONLY),
    [0xc6] = G(GRP11B, Eb, Ib, F_BYTE),
    [0xc7] = G(GRP11V, Ev, Iz, 0),
    [0xc8] = R2(ENTER, ENTER, 0, Iw, Ib, 0),
    [0xc9] = R0(LEAVE, LEAVE, 0, 0),
    [0xca] = R1(RETF, RETF, 0, Iw, F_BRANCH | F_SENS),
    [0xcb] = R0(RETF, RETF, 0, F_BRANCH | F_SENS),
    [0xcc] = R0(INT3, INT, 3, F_BRANCH | F_NO66),
    [0xcd] = R1(INT, INT, 0, Ib, F_BRANCH | F_SENS | F_NO66),
    [0xce] = R0(INTO, INTO, 0, F_BRANCH | F_NO66),
    [0xcf] = R0(IRET, IRET, 0, F_BRANCH | F_SENS),
    [0xd0] = G(GRP2, Eb, ONE, F_BYTE),
    [0xd1] = G(GRP2, Ev, ONE, 0),
    [0xd2] = G(GRP2, Eb, CL, F_BYTE),
    [0xd3] = G(GRP2, Ev, CL, 0),
    [0xd4] = R1(AAM, AAM, 0, Ib, F_NO66),
    [0xd5] = R1(AAD, AAD, 0, Ib, F_NO66),
    [0xd7] = R0(XLAT, XLAT, 0, F_BYTE | F_NO66),
    [0xe0] = R1(LOOPNE, LOOP, 0, Jb, F_BRANCH),
    [0xe1] = R1(LOOPE, LOOP, 1, Jb, F_BRANCH),
    [0xe2] = R1(LOOP, LOOP, 2, Jb, F_BRANCH),
    [0xe3] = R1(JECXZ, JECXZ, 0, Jb, F_BRANCH),
    [0xe4] = R2(IN, IN, 0, AL, Ib, F_IOPL | F_BYTE),
    [0xe5] = R2(IN, IN, 0, eAX, Ib, F_IOPL),
    [0xe6] = R2(OUT, OUT, 0, Ib, AL, F_IOPL | F_BYTE),
    [0xe7] = R2(OUT, OUT, 0, Ib, eAX, F_IOPL),
    [0xe8] = R1(CALL, CALL, 0, Jz, F_BRANCH),
    [0xe9] = R1(JMP, JMP, 0, Jz, F_BRANCH),
    [0xea] = R1(JMPF, JMPF, 0, Ap, F_BRANCH | F_SENS),
    [0xeb] = R1(JMP, JMP, 0, Jb, F_BRANCH),
    [0xec] = R2(IN, IN, 0, AL, DX, F_IOPL | F_BYTE),
    [0xed] = R2(IN, IN, 0, eAX, DX, F_IOPL),
    [0xee] = R2(OUT, OUT, 0, DX, AL, F_IOPL | F_BYTE),
    [0xef] = R2(OUT, OUT, 0, DX, eAX, F_IOPL),
    [0xf4] = R0(HLT, HLT, 0, F_PRIV | F_BRANCH),
    [0xf5] = R0(CMC, FLAGOP, FL_CMC, 0),
    [0xf6] = G(GRP3B, NONE, NONE, F_BYTE),
    [0xf7] = G(GRP3V, NONE, NONE, 0),
    [0xf8] = R0(CLC, FLAGOP, FL_CLC, 0),
    [0xf9] = R0(STC, FLAGOP, FL_STC, 0),
    [0xfa] = R0(CLI, CLI, 0, F_IOPL),
    [0xfb] = R0(STI, STI, 0, F_IOPL),
    [0xfc] = R0(CLD, FLAGOP, FL_CLD, 0),
    [0xfd] = R0(STD, FLAGOP, FL_STD, 0),
    [0xfe] = G(GRP4, Eb, NONE, F_BYTE),
    [0xff] = G(GRP5, NONE, NONE, 0),
};

const struct opdesc optable_0f[256] = {
    [0x00] = G(GRP6, NONE, NONE, 0),
    [0x01] = G(GRP7, NONE, NONE, 0),
    [0x02] = R2(LAR, LARLSL, 0, Gv, Ew, F_MODRM | F_SENS),
    [0x03] = R2(LSL, LARLSL, 1, Gv, Ew, F_MODRM | F_SENS),
    [0x06] = R0(CLTS, CLTS, 0, F_PRIV),
    [0x08] = R0(INVD, CACHE, 0, F_PRIV),
    [0x09] = R0(WBINVD, CACHE, 1, F_PRIV | F_UD_F2 | F_UD_66),
    [0x0b] = R0(UD2, UD, 0, 0),
    [0x1f] = R1(NOP, NOP, 0, Ev, F_MODRM),
    [0x20] = R2(MOV, MOVCR, 0, Rd, Cd, F_MODRM | F_PRIV | F_NO66),
    [0x21] = R2(MOV, MOVDR, 0, Rd, Dd, F_MODRM | F_PRIV | F_NO66),
    [0x22] = R2(MOV, MOVCR, 1, Cd, Rd, F_MODRM | F_PRIV | F_NO66 | F_BRANCH),
    [0x23] = R2(MOV, MOVDR, 1, Dd, Rd, F_MODRM | F_PRIV | F_NO66),
    [0x30] = R0(WRMSR, WRMSR, 0, F_PRIV),
    [0x31] = R0(RDTSC, RDTSC, 0, F_SENS),
    [0x32] = R0(RDMSR, RDMSR, 0, F_PRIV),
    SIXTEEN_CC(0x40, CMOVCC, CMOVCC, Gv, Ev, F_MODRM),
    SIXTEEN_CC(0x80, JCC, JCC, Jz, NONE, F_BRANCH),
    SIXTEEN_CC(0x90, SETCC, SETCC, Eb, NONE, F_MODRM | F_BYTE),
    [0xa0] = R1(PUSH, PUSH, 0, FS, F_SENS),
    [0xa1] = R1(POP, POP, 0, FS, 0),
    [0xa2] = R0(CPUID, CPUID, 0, F_NO66),
    [0xa3] = R2(BT, BT, 0, Ev, Gv, F_MODRM),
    [0xa4] = R3(SHLD, SHXD, 0, Ev, Gv, Ib, F_MODRM),
    [0xa5] = R3(SHLD, SHXD, 0, Ev, Gv, CL, F_MODRM),
    [0xa8] = R1(PUSH, PUSH, 0, GS, F_SENS),
    [0xa9] = R1(POP, POP, 0, GS, 0),
    [0xab] = R2(BTS, BT, 1, Ev, Gv, F_MODRM | F_LOCK),
    [0xac] = R3(SHRD, SHXD, 1, Ev, Gv, Ib, F_MODRM),
    [0xad] = R3(SHRD, SHXD, 1, Ev, Gv, CL, F_MODRM),
    [0xaf] = R2(IMUL, IMUL, 0, Gv, Ev, F_MODRM),
    [0xb0] = R2(CMPXCHG, CMPXCHG, 0, Eb, Gb, F_MODRM | F_LOCK | F_BYTE),
    [0xb1] = R2(CMPXCHG, CMPXCHG, 0, Ev, Gv, F_MODRM | F_LOCK),
    [0xb2] = R2(LSS, LSEG, S_SS, Gv, Mp, F_MODRM | F_MEMONLY),
    [0xb3] = R2(BTR, BT, 2, Ev, Gv, F_MODRM | F_LOCK),
    [0xb4] = R2(LFS, LSEG, S_FS, Gv, Mp, F_MODRM | F_MEMONLY),
    [0xb5] = R2(LGS, LSEG, S_GS, Gv, Mp, F_MODRM | F_MEMONLY),
    [0xb6] = R2(MOVZX, MOVZX, 0, Gv, Eb, F_MODRM),
    [0xb7] = R2(MOVZX, MOVZX, 0, Gv, Ew, F_MODRM),
    [0xba] = G(GRP8, Ev, Ib, 0),
    [0xbb] = R2(BTC, BT, 3, Ev, Gv, F_MODRM | F_LOCK),
    [0xbc] = R2(BSF, BSF, 0, Gv, Ev, F_MODRM | F_UD_F2),
    [0xbd] = R2(BSR, BSR, 0, Gv, Ev, F_MODRM | F_UD_F2),
    [0xbe] = R2(MOVSX, MOVSX, 0, Gv, Eb, F_MODRM),
    [0xbf] = R2(MOVSX, MOVSX, 0, Gv, Ew, F_MODRM),
    [0xc0] = R2(XADD, XADD, 0, Eb, Gb, F_MODRM | F_LOCK | F_BYTE),
    [0xc1] = R2(XADD, XADD, 0, Ev, Gv, F_MODRM | F_LOCK),
    [0xc7] = G(GRP9, NONE, NONE, 0),
    EIGHT(0xc8, R1(BSWAP, BSWAP, 0, Zv, 0)),
};

/* Group rows: mnemonic, handler and variant per ModRM.reg. */
const struct opdesc optable_groups[GRP_COUNT][8] = {
    [GRP1] = {
        R0(ADD, ALU, 0, F_LOCK), R0(OR, ALU, 1, F_LOCK), R0(ADC, ALU, 2, F_LOCK),
        R0(SBB, ALU, 3, F_LOCK), R0(AND, ALU, 4, F_LOCK), R0(SUB, ALU, 5, F_LOCK),
        R0(XOR, ALU, 6, F_LOCK), R0(CMP, ALU, 7, 0),
    },
    [GRP1A] = { R0(POP, POP, 0, 0) },
    [GRP2] = {
        R0(ROL, SHIFT, 0, 0), R0(ROR, SHIFT, 1, 0), R0(RCL, SHIFT, 2, 0), R0(RCR, SHIFT, 3, 0),
        R0(SHL, SHIFT, 4, 0), R0(SHR, SHIFT, 5, 0), R0(SHL, SHIFT, 6, 0), R0(SAR, SHIFT, 7, 0),
    },
    [GRP3B] = {
        R2(TEST, TEST, 0, Eb, Ib, 0), R2(TEST, TEST, 0, Eb, Ib, 0), R1(NOT, NOT, 0, Eb, F_LOCK),
        R1(NEG, NEG, 0, Eb, F_LOCK), R1(MUL, MUL, 0, Eb, 0), R1(IMUL, IMUL1, 0, Eb, 0),
        R1(DIV, DIV, 0, Eb, 0), R1(IDIV, IDIV, 0, Eb, 0),
    },
    [GRP3V] = {
        R2(TEST, TEST, 0, Ev, Iz, 0), R2(TEST, TEST, 0, Ev, Iz, 0), R1(NOT, NOT, 0, Ev, F_LOCK),
        R1(NEG, NEG, 0, Ev, F_LOCK), R1(MUL, MUL, 0, Ev, 0), R1(IMUL, IMUL1, 0, Ev, 0),
        R1(DIV, DIV, 0, Ev, 0), R1(IDIV, IDIV, 0, Ev, 0),
    },
    [GRP4] = { R0(INC, INCDEC, 0, F_LOCK), R0(DEC, INCDEC, 1, F_LOCK) },
    [GRP5] = {
        R1(INC, INCDEC, 0, Ev, F_LOCK), R1(DEC, INCDEC, 1, Ev, F_LOCK),
        R1(CALL, CALL, 0, Ev, F_BRANCH), R1(CALLF, CALLF, 0, Mp, F_MEMONLY | F_BRANCH | F_SENS),
        R1(JMP, JMP, 0, Ev, F_BRANCH), R1(JMPF, JMPF, 0, Mp, F_MEMONLY | F_BRANCH | F_SENS),
        R1(PUSH, PUSH, 0, Ev, 0),
    },
    [GRP6] = {
        R1(SLDT, LDT_TR, 0, Ev, F_SENS), R1(STR, LDT_TR, 1, Ev, F_SENS),
        R1(LLDT, LDT_TR, 2, Ew, F_PRIV | F_NO66), R1(LTR, LDT_TR, 3, Ew, F_PRIV | F_NO66),
        R1(VERR, VERRW, 0, Ew, F_SENS | F_NO66), R1(VERW, VERRW, 1, Ew, F_SENS | F_NO66),
    },
    [GRP7] = {
        R1(SGDT, DESC_TABLE, 0, Ms, F_MEMONLY | F_SENS), R1(SIDT, DESC_TABLE, 1, Ms, F_MEMONLY | F_SENS),
        R1(LGDT, DESC_TABLE, 2, Ms, F_MEMONLY | F_PRIV), R1(LIDT, DESC_TABLE, 3, Ms, F_MEMONLY | F_PRIV),
        R1(SMSW, MSW, 0, Ev, F_SENS), R0(BAD, UD, 0, 0),
        R1(LMSW, MSW, 1, Ew, F_PRIV | F_NO66), R1(INVLPG, INVLPG, 0, M, F_MEMONLY | F_PRIV),
    },
    [GRP8] = {
        R0(BAD, UD, 0, 0), R0(BAD, UD, 0, 0), R0(BAD, UD, 0, 0), R0(BAD, UD, 0, 0),
        R0(BT, BT, 0, 0), R0(BTS, BT, 1, F_LOCK), R0(BTR, BT, 2, F_LOCK), R0(BTC, BT, 3, F_LOCK),
    },
    [GRP9] = { R0(BAD, UD, 0, 0), R1(CMPXCHG8B, CMPXCHG8B, 0, Mq, F_MEMONLY | F_LOCK | F_NO66) },
    [GRP11B] = { R0(MOV, MOV, 0, 0) },
    [GRP11V] = { R0(MOV, MOV, 0, 0) },
};

const char *const mnem_names[M_COUNT] = {
#define X(name) [M_##name] = #name,
    MNEM_LIST(X)
#undef X
};

const char *const opnd_form_names[OF_COUNT] = {
#define X(name) [OF_##name] = #name,
    OPND_LIST(X)
#undef X
};

const char *const exec_names[EX_COUNT] = {
#define X(name) [EX_##name] = #name,
    EXEC_LIST(X)
#undef X
};

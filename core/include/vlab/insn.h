/* Decoded instructions: the one record every consumer reads.
 *
 * The decoder (core/cpu/decode.c) turns the bytes of one IA-32 instruction
 * into a `struct insn`, driven by the opcode tables in core/cpu/optable.c.
 * The executor, the disassembler, the binary translator's scanner and the
 * trace all read this record; none of them looks at instruction bytes again.
 *
 * An instruction (SDM Vol. 2, 2.1):
 *
 *   [prefixes] [0F] opcode [ModRM] [SIB] [displacement] [immediate]
 *    0..4       0/1  1      0/1     0/1   0,1,2,4        0,1,2,4 (+2 for Ap, ENTER)
 *
 *   ModRM:  7 6 | 5 4 3 | 2 1 0        SIB:  7 6   | 5 4 3 | 2 1 0
 *           mod |  reg  |  rm                scale | index | base
 */
#ifndef VLAB_INSN_H
#define VLAB_INSN_H

#include "vlab/types.h"

/* Every mnemonic the decoder knows, in the spelling objdump uses (Intel
 * syntax); the disassembler adjusts a few for operand size. */
#define MNEM_LIST(X)                                                                          \
    X(BAD) X(ADD) X(OR) X(ADC) X(SBB) X(AND) X(SUB) X(XOR) X(CMP) X(TEST) X(INC) X(DEC)       \
    X(NEG) X(NOT) X(ROL) X(ROR) X(RCL) X(RCR) X(SHL) X(SHR) X(SAR) X(SHLD) X(SHRD) X(MUL)     \
    X(IMUL) X(DIV) X(IDIV) X(BT) X(BTS) X(BTR) X(BTC) X(BSF) X(BSR) X(SETCC) X(CMOVCC)        \
    X(DAA) X(DAS) X(AAA) X(AAS) X(AAM) X(AAD) X(MOV) X(MOVZX) X(MOVSX) X(LEA) X(XCHG)        \
    X(XADD) X(CMPXCHG) X(CMPXCHG8B) X(BSWAP) X(CBW) X(CWD) X(XLAT) X(LAHF) X(SAHF) X(PUSH)   \
    X(POP) X(PUSHA) X(POPA) X(PUSHF) X(POPF) X(ENTER) X(LEAVE) X(JMP) X(JMPF) X(CALL)         \
    X(CALLF) X(RET) X(RETF) X(JCC) X(LOOPNE) X(LOOPE) X(LOOP) X(JECXZ) X(MOVS) X(CMPS)       \
    X(STOS) X(LODS) X(SCAS) X(INS) X(OUTS) X(NOP) X(PAUSE) X(UD2) X(CLC) X(STC) X(CMC)       \
    X(CLD) X(STD) X(CLI) X(STI) X(CPUID) X(RDTSC) X(RDMSR) X(WRMSR) X(IN) X(OUT) X(INT)      \
    X(INT3) X(INTO) X(IRET) X(HLT) X(LGDT) X(LIDT) X(SGDT) X(SIDT) X(LLDT) X(SLDT) X(LTR)    \
    X(STR) X(LMSW) X(SMSW) X(CLTS) X(INVLPG) X(MOVCR) X(MOVDR) X(LAR) X(LSL) X(VERR)         \
    X(VERW) X(ARPL) X(LDS) X(LES) X(LSS) X(LFS) X(LGS) X(BOUND) X(FWAIT) X(WBINVD) X(INVD)

enum mnem {
#define X(name) M_##name,
    MNEM_LIST(X)
#undef X
    M_COUNT
};

/* Operand forms, in the notation of the SDM's opcode map (Vol. 2, A.2). */
#define OPND_LIST(X)                                                                          \
    X(NONE)                                                                                   \
    X(Eb) X(Ew) X(Ed) X(Ev)       /* ModRM r/m: register or memory */                         \
    X(Gb) X(Gw) X(Gd) X(Gv)       /* ModRM reg: general register */                           \
    X(M)                          /* ModRM memory only, no size (LEA, INVLPG) */              \
    X(Mp)                         /* memory far pointer m16:16 / m16:32 */                    \
    X(Mq)                         /* memory quadword (CMPXCHG8B) */                           \
    X(Ms)                         /* memory pseudo-descriptor m16&32 (LGDT ...) */            \
    X(Ma)                         /* memory pair of bounds (BOUND) */                         \
    X(Ib) X(Iw) X(Iz) X(Ibs)      /* immediate byte, word, word/dword, byte sign-extended */  \
    X(Jb) X(Jz)                   /* relative branch displacement */                         \
    X(Ap)                         /* direct far pointer ptr16:16 / ptr16:32 */                \
    X(Ob) X(Ov)                   /* memory offset without ModRM (moffs) */                   \
    X(Sw)                         /* segment register in ModRM reg */                         \
    X(Cd) X(Dd) X(Rd)             /* CRn / DRn in ModRM reg; general register in ModRM rm */ \
    X(Zb) X(Zv)                   /* general register in opcode bits 2..0 */                  \
    X(AL) X(eAX) X(CL) X(DX) X(ONE)                                                           \
    X(ES) X(CS) X(SS) X(DS) X(FS) X(GS)                                                       \
    X(Xb) X(Xv) X(Yb) X(Yv)       /* string source DS:[eSI], destination ES:[eDI] */

enum opnd_form {
#define X(name) OF_##name,
    OPND_LIST(X)
#undef X
    OF_COUNT
};

/* Execution handlers; each lives in one core/cpu/exec_*.c file. A row's `arg`
 * picks the variant (which ALU operation, which condition ...). */
#define EXEC_LIST(X)                                                                          \
    X(UD) X(ALU) X(TEST) X(INCDEC) X(NEG) X(NOT) X(SHIFT) X(SHXD) X(MUL) X(IMUL1) X(IMUL)    \
    X(DIV) X(IDIV) X(BT) X(BSF) X(BSR) X(SETCC) X(CMOVCC) X(DAA) X(DAS) X(AAA) X(AAS)         \
    X(AAM) X(AAD) X(CMPXCHG) X(CMPXCHG8B) X(XADD) X(BSWAP)                                   \
    X(MOV) X(MOVZX) X(MOVSX) X(LEA) X(XCHG) X(CBW) X(CWD) X(XLAT) X(LAHF) X(SAHF) X(PUSH)    \
    X(POP) X(PUSHA) X(POPA) X(PUSHF) X(POPF) X(ENTER) X(LEAVE) X(NOP) X(FLAGOP)              \
    X(JMP) X(JCC) X(CALL) X(RET) X(LOOP) X(JECXZ) X(STRING)                                  \
    X(JMPF) X(CALLF) X(RETF) X(IRET) X(INT) X(INTO) X(BOUND) X(HLT) X(CLI) X(STI) X(IN)      \
    X(OUT) X(MOVSEG) X(LSEG) X(LDT_TR) X(DESC_TABLE) X(MSW) X(CLTS) X(INVLPG) X(MOVCR)       \
    X(MOVDR) X(CPUID) X(RDTSC) X(RDMSR) X(WRMSR) X(LARLSL) X(VERRW) X(ARPL) X(CACHE)

enum exec_id {
#define X(name) EX_##name,
    EXEC_LIST(X)
#undef X
    EX_COUNT
};

/* Row attributes. */
#define F_MODRM 0x0001u   /* a ModRM byte follows the opcode */
#define F_GROUP 0x0002u   /* ModRM.reg selects a row in group `arg` */
#define F_LOCK 0x0004u    /* LOCK is allowed (with a memory destination) */
#define F_PRIV 0x0008u    /* privileged: #GP(0) unless CPL 0 */
#define F_IOPL 0x0010u    /* IOPL-sensitive (CLI STI IN OUT INS OUTS) */
#define F_SENS 0x0020u    /* sensitive but not privileged (Popek & Goldberg) */
#define F_REP 0x0040u     /* string instruction: REP prefixes apply */
#define F_MEMONLY 0x0080u /* ModRM must encode memory, else #UD */
#define F_REGONLY 0x0100u /* ModRM must encode a register, else #UD */
#define F_BRANCH 0x0200u  /* may change EIP other than by falling through */
#define F_BYTE 0x0400u    /* operates on bytes (for the disassembler's suffixes) */
#define F_NO66 0x0800u    /* operand size is fixed: the 0x66 prefix does not apply */
/* Prefixes that newer CPUs read as part of another opcode (SDM Vol. 2, 2.1.2:
 * mandatory prefixes); objdump shows these forms as (bad), so they are #UD. */
#define F_UD_F2 0x1000u   /* #UD when F2 is the last of F2/F3 (F2 0F BC) */
#define F_UD_66 0x2000u   /* #UD with 66 unless F3 is present (66 0F 09) */

struct opdesc {
    uint8_t mnem;     /* enum mnem */
    uint8_t exec;     /* enum exec_id */
    uint8_t arg;      /* variant for the handler, or group number with F_GROUP */
    uint8_t opnd[3];  /* enum opnd_form: destination first, as in Intel syntax */
    uint16_t flags;   /* F_* */
};

/* How a decoded operand is reached. */
enum opnd_kind {
    OK_NONE,
    OK_REG,   /* general register `reg` (byte registers: 0..3 = AL..BL, 4..7 = AH..BH) */
    OK_MEM,   /* memory at the instruction's effective address */
    OK_IMM,   /* insn->imm (for Jb/Jz: the sign-extended displacement) */
    OK_SREG,  /* segment register `reg` */
    OK_CREG,  /* control register `reg` */
    OK_DREG,  /* debug register `reg` */
    OK_FARPTR,/* insn->imm (offset) and insn->imm2 (selector) */
    OK_STR,   /* string operand: Xb/Xv is DS(or override):eSI, Yb/Yv is ES:eDI */
};

struct opnd {
    uint8_t kind;  /* enum opnd_kind */
    uint8_t size;  /* bytes: 1, 2, 4; 6 for Ms and Mp/Ap with 32-bit offset, 8 for Mq */
    uint8_t reg;
};

/* Prefix bits in insn->prefix. */
#define P_LOCK 0x01u
#define P_REP 0x02u   /* F3: REP / REPE */
#define P_REPNE 0x04u /* F2: REPNE */
#define P_OSIZE 0x08u /* 66 present */
#define P_ASIZE 0x10u /* 67 present */
#define P_SEG 0x20u   /* a segment override is present (insn->seg) */

#define EA_NONE 0xffu

struct insn {
    struct opdesc d;           /* the table row (a group's row merged with its main row) */
    uint8_t len;               /* total length in bytes, 1..15 */
    uint8_t osize;             /* operand size: 2 or 4 */
    uint8_t asize;             /* address size: 2 or 4 */
    uint8_t prefix;            /* P_* */
    uint8_t seg;               /* segment of the memory operand (enum cpu_sreg) */
    uint8_t opcode;            /* last opcode byte */
    uint8_t two_byte;          /* 1 if the opcode was 0F xx */
    uint8_t modrm;             /* ModRM byte, when F_MODRM */
    uint8_t ea_base, ea_index; /* registers of the effective address, or EA_NONE */
    uint8_t ea_scale;          /* log2 of the scale: 0..3 */
    uint8_t has_sib;           /* for the disassembler */
    uint8_t disp_size;         /* 0, 1, 2 or 4 bytes of displacement */
    uint32_t disp;             /* sign-extended displacement */
    uint32_t imm;              /* first immediate (sign- or zero-extended per form) */
    uint16_t imm2;             /* second immediate: far selector, ENTER nesting level */
    struct opnd o[3];
    uint8_t npfx;              /* number of prefix bytes */
    uint8_t pfx[14];           /* the prefix bytes in order: the disassembler prints
                                  repeated and unused ones as objdump does */
};

static inline unsigned insn_mod(const struct insn *i) { return i->modrm >> 6; }
static inline unsigned insn_reg(const struct insn *i) { return (i->modrm >> 3) & 7; }
static inline unsigned insn_rm(const struct insn *i) { return i->modrm & 7; }

/* Outcome of decoding. */
enum decode_status {
    DECODE_OK = 0,
    DECODE_UD = -1,      /* not an instruction this CPU knows: #UD */
    DECODE_TOO_LONG = -2,/* more than 15 bytes: #GP(0) */
    DECODE_SHORT = -3,   /* the buffer ended inside the instruction */
};

/* Decode one instruction from `bytes` (at most `avail` of them; 15 are
 * enough for any instruction). `code32` is the default operand/address size
 * of the code segment (CS.D). Returns enum decode_status; on DECODE_UD,
 * insn->len still tells how many bytes were consumed so far. */
int insn_decode(struct insn *insn, const uint8_t *bytes, size_t avail, bool code32);

/* Write the instruction in objdump's Intel syntax (`objdump -d -M intel`,
 * without the address and byte columns) into buf. `insn` is one that
 * decoded with DECODE_OK; `eip` is its address, needed to print branch
 * targets. Returns the length the full text has (as snprintf does). */
int insn_disasm(const struct insn *insn, uint32_t eip, char *buf, size_t size);

extern const char *const mnem_names[M_COUNT];
extern const char *const opnd_form_names[OF_COUNT];
extern const char *const exec_names[EX_COUNT];

/* The opcode tables, exported for the disassembler, the tests and the
 * translator's scanner. */
extern const struct opdesc optable_1byte[256];
extern const struct opdesc optable_0f[256];
extern const struct opdesc optable_groups[][8];

/* Condition codes of Jcc/SETcc/CMOVcc, in encoding order (tttn). */
enum cond { CC_O, CC_NO, CC_B, CC_AE, CC_E, CC_NE, CC_BE, CC_A, CC_S, CC_NS, CC_P, CC_NP,
            CC_L, CC_GE, CC_LE, CC_G };

#endif

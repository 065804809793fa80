/*
 * gen_table.c -- the templates: one row per instruction form.
 *
 * A row: the form's name, the function that emits an instance, opcode,
 * ModRM.reg (group member) or variant, operand size (2 = with 0x66), the
 * r/m size where it differs (movzx), attributes (T_* in gen_internal.h),
 * and its effect on the arithmetic flags as three masks: written, left
 * undefined by the SDM (never compared), read.
 *
 * The undefined masks (SDM Vol. 2, each instruction's "Flags Affected"):
 *   AND OR XOR TEST ........ AF
 *   MUL IMUL ............... SF ZF AF PF
 *   DIV IDIV ............... all six
 *   rotates ................ OF unless the masked count is 1
 *   SHL SHR SAR SHLD SHRD .. AF, and OF unless the count is 1; SHL/SHR by
 *                            at least the operand width (8/16-bit): CF too
 *   BT BTS BTR BTC ......... OF SF AF PF
 *   BSF BSR ................ CF OF SF AF PF (and the destination when the
 *                            source is 0: AMD and Intel CPUs keep it, and
 *                            vlab must too -- it is compared)
 *   DAA DAS ................ OF
 *   AAA AAS ................ OF SF ZF PF (this AMD host sets ZF/PF)
 *   AAM AAD ................ OF AF CF
 * A count of 0 changes no flag at all; gen_shift()/gen_shxd() refine the
 * masks per instance. SHLD/SHRD of a 16-bit operand by more than 16 is
 * undefined (result and flags) and never generated.
 */
#include "gen_forms.h"

/* The last argument, the flag effect, is three masks (the FX_ classes). */
#define T(nm, fn, op, ext, size, attr, ...) { nm, fn, op, ext, size, 0, attr, __VA_ARGS__ }
#define TX(nm, fn, op, size, esize, attr, ...) { nm, fn, op, -1, size, esize, attr, __VA_ARGS__ }

/* Flag effects: written, undefined, read. */
#define FL_AHF (FL_SF | FL_ZF | FL_AF | FL_PF | FL_CF) /* the flags in AH for lahf/sahf */
#define FX_NONE 0, 0, 0
#define FX_ARITH FL_ARITH, 0, 0
#define FX_CARRY FL_ARITH, 0, FL_CF
#define FX_LOGIC FL_ARITH, FL_AF, 0
#define FX_INCDEC (FL_ARITH & ~FL_CF), 0, 0
#define FX_MUL FL_ARITH, FL_SF | FL_ZF | FL_AF | FL_PF, 0
#define FX_DIV FL_ARITH, FL_ARITH, 0
#define FX_ROT1 FL_CF | FL_OF, 0, 0
#define FX_ROT FL_CF | FL_OF, FL_OF, 0
#define FX_RCX1 FL_CF | FL_OF, 0, FL_CF
#define FX_RCX FL_CF | FL_OF, FL_OF, FL_CF
#define FX_SHIFT1 FL_ARITH, FL_AF, 0
#define FX_SHIFT FL_ARITH, FL_CF | FL_OF | FL_AF, 0
#define FX_SAR FL_ARITH, FL_OF | FL_AF, 0
#define FX_SHXD FL_ARITH, FL_OF | FL_AF, 0
#define FX_BT FL_CF | FL_OF | FL_SF | FL_AF | FL_PF, FL_OF | FL_SF | FL_AF | FL_PF, 0
#define FX_BSF FL_ARITH, (FL_ARITH & ~FL_ZF), 0
#define FX_DAA FL_ARITH, FL_OF, FL_CF | FL_AF
#define FX_AAA FL_ARITH, FL_OF | FL_SF | FL_ZF | FL_PF, FL_AF
#define FX_AAM FL_ARITH, FL_OF | FL_AF | FL_CF, 0
#define FX_CC 0, 0, FL_ARITH /* refined to the condition's flags */
#define FX_ZF FL_ZF, 0, 0
#define FX_SAHF FL_AHF, 0, 0
#define FX_LAHF 0, 0, FL_AHF
#define FX_PUSHF 0, 0, FL_ARITH
#define FX_POPF FL_ARITH | FL_DF, 0, 0
#define FX_CF FL_CF, 0, 0
#define FX_CMC FL_CF, 0, FL_CF
#define FX_DF FL_DF, 0, 0
#define FX_LOOPZ 0, 0, FL_ZF
#define FX_INTO 0, 0, FL_OF

#define WG(w) ((w) ? T_WG : 0)

/* The fifteen forms of each of the eight ALU operations (opcode 8*op+0..5
 * and the 80 81 82 83 group members). `w` is T_WE unless it is CMP. */
#define ALU(nm, b, w, lk, fx)                                                     \
    T(nm " r/m8, r8", gen_eg, (b) + 0, -1, 1, (w) | (lk), fx),                    \
    T(nm " r/m16, r16", gen_eg, (b) + 1, -1, 2, (w) | (lk), fx),                  \
    T(nm " r/m32, r32", gen_eg, (b) + 1, -1, 4, (w) | (lk), fx),                  \
    T(nm " r8, r/m8", gen_ge, (b) + 2, -1, 1, WG(w), fx),                         \
    T(nm " r16, r/m16", gen_ge, (b) + 3, -1, 2, WG(w), fx),                       \
    T(nm " r32, r/m32", gen_ge, (b) + 3, -1, 4, WG(w), fx),                       \
    T(nm " al, imm8", gen_ai, (b) + 4, -1, 1, 0, fx),                             \
    T(nm " ax, imm16", gen_ai, (b) + 5, -1, 2, 0, fx),                            \
    T(nm " eax, imm32", gen_ai, (b) + 5, -1, 4, 0, fx),                           \
    T(nm " r/m8, imm8", gen_ei, 0x80, (b) / 8, 1, (w) | (lk), fx),                \
    T(nm " r/m8, imm8 (82)", gen_ei, 0x82, (b) / 8, 1, (w) | (lk), fx),           \
    T(nm " r/m16, imm16", gen_ei, 0x81, (b) / 8, 2, (w) | (lk), fx),              \
    T(nm " r/m32, imm32", gen_ei, 0x81, (b) / 8, 4, (w) | (lk), fx),              \
    T(nm " r/m16, imm8", gen_eib, 0x83, (b) / 8, 2, (w) | (lk), fx),              \
    T(nm " r/m32, imm8", gen_eib, 0x83, (b) / 8, 4, (w) | (lk), fx)

/* A rotate or shift (GRP2 member x) by 1, by CL and by imm8, in 8/16/32 bits. */
#define SHIFTS(nm, x, fx1, fx)                                                    \
    T(nm " r/m8, 1", gen_shift, 0xd0, x, 1, T_WE, fx1),                           \
    T(nm " r/m16, 1", gen_shift, 0xd1, x, 2, T_WE, fx1),                          \
    T(nm " r/m32, 1", gen_shift, 0xd1, x, 4, T_WE, fx1),                          \
    T(nm " r/m8, cl", gen_shift, 0xd2, x, 1, T_WE, fx),                           \
    T(nm " r/m16, cl", gen_shift, 0xd3, x, 2, T_WE, fx),                          \
    T(nm " r/m32, cl", gen_shift, 0xd3, x, 4, T_WE, fx),                          \
    T(nm " r/m8, imm8", gen_shift, 0xc0, x, 1, T_WE, fx),                         \
    T(nm " r/m16, imm8", gen_shift, 0xc1, x, 2, T_WE, fx),                        \
    T(nm " r/m32, imm8", gen_shift, 0xc1, x, 4, T_WE, fx)

/* A one-operand group member (F6/F7, FE/FF) in 8/16/32 bits. */
#define UNARY(nm, x, attr, fx)                                                    \
    T(nm " r/m8", gen_e, 0xf6 + (x >= 8 ? 8 : 0), x & 7, 1, attr, fx),            \
    T(nm " r/m16", gen_e, 0xf7 + (x >= 8 ? 8 : 0), x & 7, 2, attr, fx),           \
    T(nm " r/m32", gen_e, 0xf7 + (x >= 8 ? 8 : 0), x & 7, 4, attr, fx)

/* The four string forms sizes. */
#define STRING(nm, op, fx)                                                        \
    T(nm "b", gen_string, op, -1, 1, 0, fx),                                      \
    T(nm "w", gen_string, (op) + 1, -1, 2, 0, fx),                                \
    T(nm "d", gen_string, (op) + 1, -1, 4, 0, fx)

/* A 16-bit and a 32-bit form. */
#define WD(nm16, nm32, fn, op, ext, attr, fx)                                     \
    T(nm16, fn, op, ext, 2, attr, fx), T(nm32, fn, op, ext, 4, attr, fx)

#define LOOPS(nm, op, fx)                                                         \
    T(nm " rel8", gen_loop, op, 0, 4, 0, fx),                                     \
    T(nm " rel8 (a16: cx)", gen_loop, op, 1, 4, 0, fx),                           \
    T(nm " rel8 backward", gen_loop, op, 2, 4, 0, fx),                            \
    T(nm " rel8 backward (a16: cx)", gen_loop, op, 3, 4, 0, fx)

#define FAULT(nm, fn, op, ext, size) T(nm, fn, op, ext, size, T_FAULT, FX_NONE)
#define PF_STRING(nm, op, size, fx) T(nm, gen_string_pf, op, -1, size, T_FAULT | T_DIRECTED, fx)

const struct tmpl gen_table[] = {
    /* Arithmetic and logic. */
    ALU("add", 0x00, T_WE, T_LOCK, FX_ARITH),
    ALU("or", 0x08, T_WE, T_LOCK, FX_LOGIC),
    ALU("adc", 0x10, T_WE, T_LOCK, FX_CARRY),
    ALU("sbb", 0x18, T_WE, T_LOCK, FX_CARRY),
    ALU("and", 0x20, T_WE, T_LOCK, FX_LOGIC),
    ALU("sub", 0x28, T_WE, T_LOCK, FX_ARITH),
    ALU("xor", 0x30, T_WE, T_LOCK, FX_LOGIC),
    ALU("cmp", 0x38, 0, 0, FX_ARITH),
    T("test r/m8, r8", gen_eg, 0x84, -1, 1, 0, FX_LOGIC),
    WD("test r/m16, r16", "test r/m32, r32", gen_eg, 0x85, -1, 0, FX_LOGIC),
    T("test al, imm8", gen_ai, 0xa8, -1, 1, 0, FX_LOGIC),
    WD("test ax, imm16", "test eax, imm32", gen_ai, 0xa9, -1, 0, FX_LOGIC),
    T("test r/m8, imm8", gen_ei, 0xf6, 0, 1, 0, FX_LOGIC),
    WD("test r/m16, imm16", "test r/m32, imm32", gen_ei, 0xf7, 0, 0, FX_LOGIC),
    T("test r/m8, imm8 (f6 /1)", gen_ei, 0xf6, 1, 1, 0, FX_LOGIC),
    T("test r/m32, imm32 (f7 /1)", gen_ei, 0xf7, 1, 4, 0, FX_LOGIC),
    WD("inc r16", "inc r32", gen_z, 0x40, -1, T_WG, FX_INCDEC),
    WD("dec r16", "dec r32", gen_z, 0x48, -1, T_WG, FX_INCDEC),
    UNARY("inc", 8, T_WE | T_LOCK, FX_INCDEC),
    UNARY("dec", 9, T_WE | T_LOCK, FX_INCDEC),
    UNARY("not", 2, T_WE | T_LOCK, FX_NONE),
    UNARY("neg", 3, T_WE | T_LOCK, FX_ARITH),

    /* Rotates and shifts. */
    SHIFTS("rol", 0, FX_ROT1, FX_ROT),
    SHIFTS("ror", 1, FX_ROT1, FX_ROT),
    SHIFTS("rcl", 2, FX_RCX1, FX_RCX),
    SHIFTS("rcr", 3, FX_RCX1, FX_RCX),
    SHIFTS("shl", 4, FX_SHIFT1, FX_SHIFT),
    SHIFTS("shr", 5, FX_SHIFT1, FX_SHIFT),
    SHIFTS("sal (c0-d3 /6)", 6, FX_SHIFT1, FX_SHIFT),
    SHIFTS("sar", 7, FX_SHIFT1, FX_SAR),
    WD("shld r/m16, r16, imm8", "shld r/m32, r32, imm8", gen_shxd, 0x0fa4, -1, T_WE, FX_SHXD),
    WD("shld r/m16, r16, cl", "shld r/m32, r32, cl", gen_shxd, 0x0fa5, -1, T_WE, FX_SHXD),
    WD("shrd r/m16, r16, imm8", "shrd r/m32, r32, imm8", gen_shxd, 0x0fac, -1, T_WE, FX_SHXD),
    WD("shrd r/m16, r16, cl", "shrd r/m32, r32, cl", gen_shxd, 0x0fad, -1, T_WE, FX_SHXD),

    /* Multiplication and division. */
    UNARY("mul", 4, 0, FX_MUL),
    UNARY("imul", 5, 0, FX_MUL),
    WD("imul r16, r/m16", "imul r32, r/m32", gen_ge, 0x0faf, -1, T_WG, FX_MUL),
    WD("imul r16, r/m16, imm16", "imul r32, r/m32, imm32", gen_gei, 0x69, -1, T_WG, FX_MUL),
    WD("imul r16, r/m16, imm8", "imul r32, r/m32, imm8", gen_geib, 0x6b, -1, T_WG, FX_MUL),
    T("div r/m8", gen_div, 0xf6, 6, 1, 0, FX_DIV),
    WD("div r/m16", "div r/m32", gen_div, 0xf7, 6, 0, FX_DIV),
    T("idiv r/m8", gen_div, 0xf6, 7, 1, 0, FX_DIV),
    WD("idiv r/m16", "idiv r/m32", gen_div, 0xf7, 7, 0, FX_DIV),

    /* Bits and conditions. */
    WD("bt r/m16, r16", "bt r/m32, r32", gen_bt, 0x0fa3, -1, 0, FX_BT),
    WD("bts r/m16, r16", "bts r/m32, r32", gen_bt, 0x0fab, -1, T_WE | T_LOCK, FX_BT),
    WD("btr r/m16, r16", "btr r/m32, r32", gen_bt, 0x0fb3, -1, T_WE | T_LOCK, FX_BT),
    WD("btc r/m16, r16", "btc r/m32, r32", gen_bt, 0x0fbb, -1, T_WE | T_LOCK, FX_BT),
    WD("bt r/m16, imm8", "bt r/m32, imm8", gen_bt, 0x0fba, 4, 0, FX_BT),
    WD("bts r/m16, imm8", "bts r/m32, imm8", gen_bt, 0x0fba, 5, T_WE | T_LOCK, FX_BT),
    WD("btr r/m16, imm8", "btr r/m32, imm8", gen_bt, 0x0fba, 6, T_WE | T_LOCK, FX_BT),
    WD("btc r/m16, imm8", "btc r/m32, imm8", gen_bt, 0x0fba, 7, T_WE | T_LOCK, FX_BT),
    WD("bsf r16, r/m16", "bsf r32, r/m32", gen_bsf, 0x0fbc, -1, T_WG, FX_BSF),
    WD("bsr r16, r/m16", "bsr r32, r/m32", gen_bsf, 0x0fbd, -1, T_WG, FX_BSF),
    T("setcc r/m8", gen_setcc, 0x0f90, -1, 1, T_WE, FX_CC),
    WD("cmovcc r16, r/m16", "cmovcc r32, r/m32", gen_cmov, 0x0f40, -1, T_WG, FX_CC),

    /* Decimal arithmetic. */
    T("daa", gen_none, 0x27, -1, 4, 0, FX_DAA),
    T("das", gen_none, 0x2f, -1, 4, 0, FX_DAA),
    T("aaa", gen_none, 0x37, -1, 4, 0, FX_AAA),
    T("aas", gen_none, 0x3f, -1, 4, 0, FX_AAA),
    T("aam imm8", gen_aam, 0xd4, -1, 4, 0, FX_AAM),
    T("aad imm8", gen_aam, 0xd5, -1, 4, 0, FX_AAM),

    /* Data movement. */
    T("mov r/m8, r8", gen_eg, 0x88, -1, 1, T_WE, FX_NONE),
    WD("mov r/m16, r16", "mov r/m32, r32", gen_eg, 0x89, -1, T_WE, FX_NONE),
    T("mov r8, r/m8", gen_ge, 0x8a, -1, 1, T_WG, FX_NONE),
    WD("mov r16, r/m16", "mov r32, r/m32", gen_ge, 0x8b, -1, T_WG, FX_NONE),
    T("mov r8, imm8", gen_zi, 0xb0, -1, 1, T_WG, FX_NONE),
    WD("mov r16, imm16", "mov r32, imm32", gen_zi, 0xb8, -1, T_WG, FX_NONE),
    T("mov r/m8, imm8", gen_ei, 0xc6, 0, 1, T_WE, FX_NONE),
    WD("mov r/m16, imm16", "mov r/m32, imm32", gen_ei, 0xc7, 0, T_WE, FX_NONE),
    T("mov al, moffs8", gen_moffs, 0xa0, -1, 1, 0, FX_NONE),
    WD("mov ax, moffs16", "mov eax, moffs32", gen_moffs, 0xa1, -1, 0, FX_NONE),
    T("mov moffs8, al", gen_moffs, 0xa2, -1, 1, 0, FX_NONE),
    WD("mov moffs16, ax", "mov moffs32, eax", gen_moffs, 0xa3, -1, 0, FX_NONE),
    TX("movzx r16, r/m8", gen_ge, 0x0fb6, 2, 1, T_WG, FX_NONE),
    TX("movzx r32, r/m8", gen_ge, 0x0fb6, 4, 1, T_WG, FX_NONE),
    TX("movzx r16, r/m16", gen_ge, 0x0fb7, 2, 2, T_WG, FX_NONE),
    TX("movzx r32, r/m16", gen_ge, 0x0fb7, 4, 2, T_WG, FX_NONE),
    TX("movsx r16, r/m8", gen_ge, 0x0fbe, 2, 1, T_WG, FX_NONE),
    TX("movsx r32, r/m8", gen_ge, 0x0fbe, 4, 1, T_WG, FX_NONE),
    TX("movsx r16, r/m16", gen_ge, 0x0fbf, 2, 2, T_WG, FX_NONE),
    TX("movsx r32, r/m16", gen_ge, 0x0fbf, 4, 2, T_WG, FX_NONE),
    WD("lea r16, m", "lea r32, m", gen_lea, 0x8d, -1, T_WG, FX_NONE),
    WD("lea r16, m (a16)", "lea r32, m (a16)", gen_lea16, 0x8d, -1, T_WG, FX_NONE),
    T("xchg r/m8, r8", gen_eg, 0x86, -1, 1, T_WE | T_WG | T_LOCK, FX_NONE),
    WD("xchg r/m16, r16", "xchg r/m32, r32", gen_eg, 0x87, -1, T_WE | T_WG | T_LOCK, FX_NONE),
    WD("xchg r16, ax", "xchg r32, eax", gen_z, 0x90, -1, T_WG, FX_NONE),
    T("xadd r/m8, r8", gen_eg, 0x0fc0, -1, 1, T_WE | T_WG | T_LOCK, FX_ARITH),
    WD("xadd r/m16, r16", "xadd r/m32, r32", gen_eg, 0x0fc1, -1, T_WE | T_WG | T_LOCK, FX_ARITH),
    T("cmpxchg r/m8, r8", gen_cmpxchg, 0x0fb0, -1, 1, T_WE | T_LOCK, FX_ARITH),
    WD("cmpxchg r/m16, r16", "cmpxchg r/m32, r32", gen_cmpxchg, 0x0fb1, -1, T_WE | T_LOCK,
       FX_ARITH),
    T("cmpxchg8b m64", gen_cmpxchg8b, 0x0fc7, 1, 4, T_WE | T_MEM | T_LOCK, FX_ZF),
    T("bswap r32", gen_z, 0x0fc8, -1, 4, T_WG, FX_NONE),
    WD("cbw", "cwde", gen_none, 0x98, -1, 0, FX_NONE),
    WD("cwd", "cdq", gen_none, 0x99, -1, 0, FX_NONE),
    T("xlat", gen_xlat, 0xd7, -1, 1, 0, FX_NONE),
    T("lahf", gen_none, 0x9f, -1, 4, 0, FX_LAHF),
    T("sahf", gen_none, 0x9e, -1, 4, 0, FX_SAHF),

    /* The stack. */
    WD("push r16", "push r32", gen_z, 0x50, -1, T_STACK, FX_NONE),
    WD("pop r16", "pop r32", gen_pop_z, 0x58, -1, T_STACK, FX_NONE),
    WD("push r/m16", "push r/m32", gen_push_rm, 0xff, 6, T_STACK, FX_NONE),
    WD("pop r/m16", "pop r/m32", gen_pop_rm, 0x8f, 0, T_STACK | T_WE, FX_NONE),
    WD("push imm16", "push imm32", gen_push_imm, 0x68, -1, T_STACK, FX_NONE),
    WD("push imm8 (16-bit)", "push imm8", gen_push_imm, 0x6a, -1, T_STACK, FX_NONE),
    WD("pusha", "pushad", gen_none, 0x60, -1, T_STACK, FX_NONE),
    WD("popa", "popad", gen_none, 0x61, -1, T_STACK, FX_NONE),
    WD("pushf", "pushfd", gen_none, 0x9c, -1, T_STACK, FX_PUSHF),
    WD("popf", "popfd", gen_popf, 0x9d, -1, T_STACK, FX_POPF),
    WD("enter imm16, imm8 (16-bit)", "enter imm16, imm8", gen_enter, 0xc8, -1, T_STACK, FX_NONE),
    WD("leave (16-bit)", "leave", gen_leave, 0xc9, -1, T_STACK, FX_NONE),

    /* Control transfer, all to targets inside the sequence. */
    T("jmp rel8", gen_jmp_rel, 0xeb, -1, 4, 0, FX_NONE),
    T("jmp rel32", gen_jmp_rel, 0xe9, -1, 4, 0, FX_NONE),
    T("jcc rel8", gen_jcc, 0x70, -1, 4, 0, FX_CC),
    T("jcc rel32", gen_jcc, 0x0f80, -1, 4, 0, FX_CC),
    T("jmp r/m32", gen_branch_ind, 0xff, 4, 4, 0, FX_NONE),
    T("call r/m32", gen_branch_ind, 0xff, 2, 4, T_STACK, FX_NONE),
    T("call rel32", gen_call_rel, 0xe8, -1, 4, T_STACK, FX_NONE),
    T("ret", gen_ret, 0xc3, -1, 4, T_STACK, FX_NONE),
    T("ret imm16", gen_ret, 0xc2, -1, 4, T_STACK, FX_NONE),
    LOOPS("loop", 0xe2, FX_NONE),
    LOOPS("loope", 0xe1, FX_LOOPZ),
    LOOPS("loopne", 0xe0, FX_LOOPZ),
    T("jecxz rel8", gen_jecxz, 0xe3, 0, 4, 0, FX_NONE),
    T("jcxz rel8 (a16)", gen_jecxz, 0xe3, 1, 4, 0, FX_NONE),

    /* Strings, with and without REP prefixes. */
    STRING("[rep] movs", 0xa4, FX_NONE),
    STRING("[repe|repne] cmps", 0xa6, FX_ARITH),
    STRING("[rep] stos", 0xaa, FX_NONE),
    STRING("[rep] lods", 0xac, FX_NONE),
    STRING("[repe|repne] scas", 0xae, FX_ARITH),

    /* Self-modifying code. */
    T("mov m8 into the next instruction", gen_smc_next, 0xc6, -1, 4, 0, FX_NONE),
    T("add r32, imm32 whose imm32 its loop increments", gen_smc_loop, 0x81, -1, 4, 0, FX_ARITH),

    /* No-ops, flag operations, prefixes. */
    T("nop", gen_none, 0x90, -1, 4, 0, FX_NONE),
    T("xchg ax, ax (66 90)", gen_none, 0x90, -1, 2, 0, FX_NONE),
    T("pause", gen_pause, 0x90, -1, 4, 0, FX_NONE),
    WD("nop r/m16", "nop r/m32", gen_nopl, 0x0f1f, 0, 0, FX_NONE),
    T("clc", gen_none, 0xf8, -1, 4, 0, FX_CF),
    T("stc", gen_none, 0xf9, -1, 4, 0, FX_CF),
    T("cmc", gen_none, 0xf5, -1, 4, 0, FX_CMC),
    T("cld", gen_none, 0xfc, -1, 4, 0, FX_DF),
    T("std", gen_none, 0xfd, -1, 4, 0, FX_DF),
    T("15 bytes of prefixes and opcode (16+: #GP)", gen_long_insn, 0, -1, 4, 0, FX_ARITH),

    /* Privileged or I/O instructions at CPL 3 (IOPL 0): #GP(0). */
    FAULT("hlt", gen_none, 0xf4, -1, 4),
    FAULT("cli", gen_none, 0xfa, -1, 4),
    FAULT("sti", gen_none, 0xfb, -1, 4),
    FAULT("clts", gen_none, 0x0f06, -1, 4),
    FAULT("invd", gen_none, 0x0f08, -1, 4),
    FAULT("wbinvd", gen_none, 0x0f09, -1, 4),
    FAULT("wrmsr", gen_none, 0x0f30, -1, 4),
    FAULT("rdmsr", gen_none, 0x0f32, -1, 4),
    T("lgdt m", gen_e, 0x0f01, 2, 4, T_FAULT | T_MEM, FX_NONE),
    T("lidt m", gen_e, 0x0f01, 3, 4, T_FAULT | T_MEM, FX_NONE),
    T("invlpg m", gen_e, 0x0f01, 7, 4, T_FAULT | T_MEM, FX_NONE),
    FAULT("lmsw r/m16", gen_e, 0x0f01, 6, 4),
    FAULT("lldt r/m16", gen_e, 0x0f00, 2, 4),
    FAULT("ltr r/m16", gen_e, 0x0f00, 3, 4),
    FAULT("mov r32, crN (CR1, CR5-7: #UD)", gen_movcr, 0x0f20, -1, 4),
    FAULT("mov crN, r32 (CR1, CR5-7: #UD)", gen_movcr, 0x0f22, -1, 4),
    FAULT("mov r32, drN", gen_movcr, 0x0f21, -1, 4),
    FAULT("mov drN, r32", gen_movcr, 0x0f23, -1, 4),
    FAULT("in al, imm8", gen_io_imm, 0xe4, -1, 1),
    FAULT("in ax, imm8", gen_io_imm, 0xe5, -1, 2),
    FAULT("in eax, imm8", gen_io_imm, 0xe5, -1, 4),
    FAULT("out imm8, al", gen_io_imm, 0xe6, -1, 1),
    FAULT("out imm8, ax", gen_io_imm, 0xe7, -1, 2),
    FAULT("out imm8, eax", gen_io_imm, 0xe7, -1, 4),
    FAULT("in al, dx", gen_none, 0xec, -1, 1),
    FAULT("in ax, dx", gen_none, 0xed, -1, 2),
    FAULT("in eax, dx", gen_none, 0xed, -1, 4),
    FAULT("out dx, al", gen_none, 0xee, -1, 1),
    FAULT("out dx, ax", gen_none, 0xef, -1, 2),
    FAULT("out dx, eax", gen_none, 0xef, -1, 4),
    FAULT("insb", gen_none, 0x6c, -1, 1),
    FAULT("insw", gen_none, 0x6d, -1, 2),
    FAULT("insd", gen_none, 0x6d, -1, 4),
    FAULT("outsb", gen_none, 0x6e, -1, 1),
    FAULT("outsw", gen_none, 0x6f, -1, 2),
    FAULT("outsd", gen_none, 0x6f, -1, 4),

    /* Software interrupts and other exceptions. */
    FAULT("int imm8", gen_int, 0xcd, -1, 4),
    FAULT("int3", gen_none, 0xcc, -1, 4),
    T("into", gen_none, 0xce, -1, 4, T_FAULT, FX_INTO),
    WD("bound r16, m16&16", "bound r32, m32&32", gen_bound, 0x62, -1, T_MEM, FX_NONE),
    FAULT("ud2", gen_none, 0x0f0b, -1, 4),
    FAULT("#UD: undefined encodings", gen_undefined, 0, -1, 4),
    FAULT("#UD: lock with a register destination", gen_lock_reg, 0, -1, 4),
    FAULT("#UD: lock on a non-lockable instruction", gen_lock_bad, 0, -1, 4),
    FAULT("#GP: store through a cs: override", gen_cs_store, 0, -1, 4),
    FAULT("#AC: misaligned access after popfd sets AC", gen_ac, 0x9d, -1, 4),
    FAULT("#PF: load from the unmapped page", gen_pf_access, 0, 0, 4),
    FAULT("#PF: store to the unmapped page", gen_pf_access, 0, 1, 4),
    FAULT("#PF: read-modify-write at the unmapped page", gen_pf_access, 0, 2, 4),
    T("#PF: push into the unmapped page", gen_pf_push, 0, -1, 4, T_FAULT | T_DIRECTED, FX_NONE),
    T("#PF: pop from the unmapped page", gen_pf_pop, 0, -1, 4, T_FAULT | T_DIRECTED, FX_NONE),
    PF_STRING("#PF: rep movsb into the unmapped page", 0xa4, 1, FX_NONE),
    PF_STRING("#PF: rep movsd into the unmapped page", 0xa5, 4, FX_NONE),
    PF_STRING("#PF: rep stosw into the unmapped page", 0xab, 2, FX_NONE),
    PF_STRING("#PF: rep lodsb into the unmapped page", 0xac, 1, FX_NONE),
    PF_STRING("#PF: repe/repne cmpsd into the unmapped page", 0xa7, 4, FX_ARITH),
    PF_STRING("#PF: repe/repne scasw into the unmapped page", 0xaf, 2, FX_ARITH),
    FAULT("#PF: a16 movsb at the first 4 KiB", gen_string_a16, 0xa4, -1, 1),
    FAULT("#PF: a16 stosd at the first 4 KiB", gen_string_a16, 0xab, -1, 4),
    FAULT("#PF: a16 lodsw at the first 4 KiB", gen_string_a16, 0xad, -1, 2),
    FAULT("#PF: a16 scasb at the first 4 KiB", gen_string_a16, 0xae, -1, 1),
};

const unsigned gen_table_len = sizeof gen_table / sizeof gen_table[0];

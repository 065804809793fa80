/*
 * What the template table (gen_table.c), the template functions
 * (gen_forms.c, gen_flow.c) and the generator engine (gen.c) share: the
 * generator state, the row type, and the emission helpers.
 *
 * How a template function writes one instruction:
 *
 *   1. Decide what it needs: registers with particular values (need_reg:
 *      a string pointer, a shift count, a dividend) and arena values
 *      (need_mem: a divisor, a bounds pair). In a directed sequence these
 *      go into the initial state; in a mixed one they become `mov`s placed
 *      before the instruction, so earlier instructions cannot spoil them.
 *   2. Emit prefixes, opcode and operands. modrm_mem() builds a memory
 *      operand for a chosen address and needs its base/index registers
 *      itself; its `mov`s, too, go before the instruction (g->start).
 *   3. Refine g->fw / g->undef / g->reads (initialised from the row) when
 *      the instance's effect on the flags depends on its operands (a shift
 *      by 0 writes no flags), and set g->ends if it faults or leaves ESP
 *      pointing anywhere (nothing may follow it in a mixed sequence).
 *
 * Positions in s->code are only stable once every need is made: a template
 * that computes branch offsets or absolute targets makes its needs first
 * (fix_need() fills in a value once the target is known).
 */
#ifndef VLAB_TESTS_DIFF_GEN_INTERNAL_H
#define VLAB_TESTS_DIFF_GEN_INTERNAL_H

#include "gen.h"

#define FL_CF 0x001u
#define FL_PF 0x004u
#define FL_AF 0x010u
#define FL_ZF 0x040u
#define FL_SF 0x080u
#define FL_DF 0x400u
#define FL_OF 0x800u
#define FL_ARITH (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

enum { EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI };

struct gen {
    uint64_t rng;
    struct seq *s;
    bool mixed;       /* needs become `mov`s in the code */
    bool may_fault;   /* the instance may fault: directed, or last of a mixed sequence */
    size_t start;     /* where the current instruction (after its `mov`s) begins */
    uint8_t fixed;    /* registers given a needed value for this instruction */
    bool esp_ea;      /* ESP may be a base register (its value is known) */
    uint32_t esp_ea_delta; /* added to ESP when the instruction computes its EA */
    bool seg_ok;      /* modrm_mem() may add a segment override prefix */
    uint32_t fw, undef, reads; /* flags written / left undefined / read */
    bool ends;        /* nothing may follow this instance */
};

struct tmpl;
typedef void tmpl_fn(struct gen *g, const struct tmpl *t);

/* Row attributes. */
#define T_FAULT 0x01u   /* faults (INTO: may): only last in a mixed sequence */
#define T_DIRECTED 0x02u/* needs ESP or DF set up front: directed sequences only */
#define T_LOCK 0x04u    /* LOCK may prefix it when the destination is memory */
#define T_WE 0x08u      /* the r/m operand is written */
#define T_WG 0x10u      /* the reg (or opcode-register) operand is written */
#define T_MEM 0x20u     /* the r/m operand must be memory */
#define T_STACK 0x40u   /* moves ESP: no ESP-relative operands */

struct tmpl {
    const char *name;  /* the form, in Intel syntax */
    tmpl_fn *fn;
    uint16_t op;       /* opcode; 0x0fxx for the two-byte map */
    int8_t ext;        /* ModRM.reg of a group opcode, a variant, or -1 */
    uint8_t size;      /* operand size 1, 2 (0x66) or 4 */
    uint8_t esize;     /* size of the r/m operand when it differs (movzx), else 0 */
    uint8_t attr;      /* T_* */
    uint32_t fw;       /* arithmetic flags and DF it writes */
    uint32_t undef;    /* of those, the ones the SDM leaves undefined */
    uint32_t reads;    /* flags it reads */
};

extern const struct tmpl gen_table[];
extern const unsigned gen_table_len;

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static inline uint32_t mask_of(unsigned size)
{
    return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

/* The low `bits` bits of v as a signed number. */
static inline int64_t sext64(uint64_t v, unsigned bits)
{
    uint64_t sb = 1ull << (bits - 1);
    v &= (sb << 1) - 1;
    return (int64_t)(v ^ sb) - (int64_t)sb;
}

/* ---- Randomness ---------------------------------------------------------- */
uint32_t rnd32(struct gen *g);
unsigned rnd(struct gen *g, unsigned n);        /* 0 .. n-1 */
bool chance(struct gen *g, unsigned percent);
uint32_t pick_value(struct gen *g, unsigned size); /* random with edge cases */
uint32_t pick_addr(struct gen *g, unsigned size);  /* mapped arena bytes for an access */
uint32_t pick_stack_addr(struct gen *g);           /* near GEN_STACK, 4-aligned */
unsigned pick_dst(struct gen *g, unsigned size);   /* a register the instance may write */
unsigned pick_free(struct gen *g);                 /* a 32-bit register not yet needed, not ESP */
uint32_t cc_reads(unsigned cc);                    /* flags a condition code reads */

/* ---- Emission ------------------------------------------------------------ */
void put8(struct gen *g, unsigned byte);
void put(struct gen *g, uint32_t v, unsigned size);
void put_op(struct gen *g, uint16_t op);          /* one byte, or 0F xx */
void put_osize(struct gen *g, unsigned size);     /* 0x66 when size == 2 */
void prefix(struct gen *g, unsigned byte);        /* insert a prefix at g->start */
unsigned need_reg(struct gen *g, unsigned reg, uint32_t value);
unsigned need_mem(struct gen *g, uint32_t addr, unsigned size, uint32_t value);
void fix_need(struct gen *g, unsigned handle, uint32_t value);

/* ModRM operands. `acc` says how a memory operand is used. */
enum acc { ACC_NONE, ACC_READ, ACC_WRITE };
void modrm_reg(struct gen *g, unsigned regfield, unsigned rm);
void modrm_mem(struct gen *g, unsigned regfield, uint32_t addr, enum acc acc);
void maybe_seg_override(struct gen *g, enum acc acc); /* now and then DS/ES/SS (CS for reads) */

/* An r/m operand of `size` bytes, register or memory (T_MEM: memory),
 * picked per the row's T_WE and T_LOCK. */
struct rm { bool mem; unsigned reg; uint32_t addr; };
struct rm rm_operand(struct gen *g, const struct tmpl *t, unsigned regfield, unsigned size);

/* n bytes of one-byte register instructions (not ESP, not ECX) to branch over. */
void put_filler(struct gen *g, unsigned n);

#endif /* VLAB_TESTS_DIFF_GEN_INTERNAL_H */

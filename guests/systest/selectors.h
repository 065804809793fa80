/* selectors.h - the systest guest's descriptor tables, by selector.
 *
 * Shared by the C files and entry.S, so only #defines here.
 *
 * A selector (SDM Vol. 3A, 3.4.2, Figure 3-6):
 *
 *   15                                 3   2   1  0
 *  +------------------------------------+----+-----+
 *  |              index                 | TI | RPL |
 *  +------------------------------------+----+-----+
 *   TI = 0: GDT, 1: LDT.  RPL: requested privilege level.
 *
 * Every GDT entry below exists to be the subject of some check; desc.c
 * builds them (the table there says what each one looks like).
 */
#ifndef SYSTEST_SELECTORS_H
#define SYSTEST_SELECTORS_H

#define SEL_KCODE 0x08     /* ring-0 code, flat, execute/read, 32-bit */
#define SEL_KDATA 0x10     /* ring-0 data, flat, read/write */
#define SEL_UCODE 0x18     /* ring-3 code, flat (used as 0x1b, RPL 3) */
#define SEL_UDATA 0x20     /* ring-3 data, flat (used as 0x23, RPL 3) */
#define SEL_TSS 0x28       /* the 32-bit TSS that LTR loads into TR */
#define SEL_TSS2 0x30      /* a second 32-bit TSS, available, never loaded */
#define SEL_NPDATA 0x38    /* data, read/write, NOT present */
#define SEL_EXPDOWN32 0x40 /* data, expand-down, limit 0xfff, B=1: offsets 0x1000..0xffffffff */
#define SEL_EXPDOWN16 0x48 /* data, expand-down, limit 0xfff, B=0: offsets 0x1000..0xffff */
#define SEL_RODATA 0x50    /* data, read-only */
#define SEL_XOCODE 0x58    /* code, execute-only */
#define SEL_CONFCODE 0x60  /* code, conforming, readable, DPL 0 */
#define SEL_DATA_DPL1 0x68 /* data, read/write, DPL 1 */
#define SEL_DATA_DPL2 0x70 /* data, read/write, DPL 2 */
#define SEL_LDT 0x78       /* the LDT (system descriptor, type 2) */
#define SEL_GATE3 0x80     /* call gate, DPL 3, to gate_target at ring 0, no parameters */
#define SEL_GATE3P 0x88    /* call gate, DPL 3, to gate_target_params, 2 parameters */
#define SEL_GATE0 0x90     /* call gate, DPL 0 (ring 3 may not use it) */
#define SEL_SMALLDATA 0x98 /* data, read/write, limit 0xff (byte granular) */
#define SEL_FRESHDATA 0xa0 /* data, read/write, accessed bit clear until its check loads it */
#define SEL_NPCODE 0xa8    /* code, execute/read, NOT present */
#define SEL_INTGATE 0xb0   /* an interrupt gate put in the GDT (not valid for LAR) */
#define SEL_NPLDT 0xb8     /* an LDT descriptor, NOT present */
#define SEL_SYSRSVD 0xc0   /* system descriptor of the reserved type 0 */
#define GDT_ENTRIES 25

/* The LDT (loaded with LLDT SEL_LDT): two entries, limit 0x0f. */
#define LSEL_UDATA 0x04 /* LDT index 0: data, read/write, DPL 3 (used as 0x07) */
#define LSEL_NPDATA 0x0c /* LDT index 1: data, DPL 3, NOT present (used as 0x0f) */
#define LSEL_OUTSIDE 0x14 /* LDT index 2: beyond the LDT limit */
#define LDT_ENTRIES 2

/* IDT vectors besides the exceptions 0..31 (desc.c says what each gate is). */
#define VEC_RING0_ONLY 0x40 /* interrupt gate, DPL 0 */
#define VEC_NOT_PRESENT 0x41 /* gate with P = 0 */
#define VEC_INTGATE 0x42 /* interrupt gate, DPL 0: clears IF */
#define VEC_TRAPGATE 0x43 /* trap gate, DPL 0: leaves IF alone */
#define VEC_BADTYPE 0x44 /* present gate of an invalid type */
#define VEC_SYSCALL 0x80 /* trap gate, DPL 3 */
#define VEC_USER_EXIT 0x81 /* interrupt gate, DPL 3: ring 3 is done, back to run_user's caller */

#endif

/* The IA-32 CPU: architectural state and the interface to run it.
 *
 * One `struct cpu` is one logical processor. It executes 32-bit protected
 * mode code (real mode is a later addition: every place that depends on the
 * mode reads `cpu->mode`). It talks to the rest of the machine through a
 * physical memory (core/mem), a bus for port I/O and MMIO, and returns to its
 * caller whenever something happens that the caller must decide: an
 * exception, HLT, or an exhausted instruction budget.
 *
 * Exceptions are precise: when cpu_run() returns CPU_EXIT_EXCEPTION, the
 * architectural state is the state before the faulting instruction (EIP
 * points at it), or, for traps (INT n, INT3, INTO), after it. `cpu->exc`
 * says which vector, whether there is an error code and its value, and for
 * #PF the faulting linear address (also in CR2). Who handles it is not the
 * CPU's business: the machine delivers it through the IDT, a monitor may
 * intercept it first.
 */
#ifndef VLAB_CPU_H
#define VLAB_CPU_H

#include <setjmp.h>

#include "vlab/types.h"

struct physmem;
struct bus;
struct trace;

/* General registers, in ModRM encoding order. */
enum cpu_reg { R_EAX, R_ECX, R_EDX, R_EBX, R_ESP, R_EBP, R_ESI, R_EDI };

/* Segment registers, in ModRM/Sreg encoding order. */
enum cpu_sreg { S_ES, S_CS, S_SS, S_DS, S_FS, S_GS, S_NONE = 7 };

/* EFLAGS (SDM Vol. 1, 3.4.3). */
#define EFLAGS_CF 0x00000001u
#define EFLAGS_FIXED1 0x00000002u /* bit 1 always reads as 1 */
#define EFLAGS_PF 0x00000004u
#define EFLAGS_AF 0x00000010u
#define EFLAGS_ZF 0x00000040u
#define EFLAGS_SF 0x00000080u
#define EFLAGS_TF 0x00000100u
#define EFLAGS_IF 0x00000200u
#define EFLAGS_DF 0x00000400u
#define EFLAGS_OF 0x00000800u
#define EFLAGS_IOPL 0x00003000u
#define EFLAGS_IOPL_SHIFT 12
#define EFLAGS_NT 0x00004000u
#define EFLAGS_RF 0x00010000u
#define EFLAGS_VM 0x00020000u
#define EFLAGS_AC 0x00040000u
#define EFLAGS_VIF 0x00080000u
#define EFLAGS_VIP 0x00100000u
#define EFLAGS_ID 0x00200000u
/* The six flags computed by arithmetic, kept lazily (see flags.h). */
#define EFLAGS_ARITH (EFLAGS_CF | EFLAGS_PF | EFLAGS_AF | EFLAGS_ZF | EFLAGS_SF | EFLAGS_OF)

/* Control registers (SDM Vol. 3, 2.5). */
#define CR0_PE 0x00000001u
#define CR0_MP 0x00000002u
#define CR0_EM 0x00000004u
#define CR0_TS 0x00000008u
#define CR0_ET 0x00000010u
#define CR0_NE 0x00000020u
#define CR0_WP 0x00010000u
#define CR0_AM 0x00040000u
#define CR0_NW 0x20000000u
#define CR0_CD 0x40000000u
#define CR0_PG 0x80000000u
#define CR4_VME 0x00000001u
#define CR4_PVI 0x00000002u
#define CR4_TSD 0x00000004u
#define CR4_DE 0x00000008u
#define CR4_PSE 0x00000010u
#define CR4_PGE 0x00000080u
/* The CR4 bits this CPU implements; setting any other bit raises #GP(0). */
#define CR4_SUPPORTED (CR4_TSD | CR4_PSE | CR4_PGE)

/* Exception vectors (SDM Vol. 3, 6.3.1). */
enum cpu_vector {
    VEC_DE = 0, VEC_DB = 1, VEC_NMI = 2, VEC_BP = 3, VEC_OF = 4, VEC_BR = 5,
    VEC_UD = 6, VEC_NM = 7, VEC_DF = 8, VEC_TS = 10, VEC_NP = 11, VEC_SS = 12,
    VEC_GP = 13, VEC_PF = 14, VEC_MF = 16, VEC_AC = 17, VEC_MC = 18,
};

/* #PF error code bits (SDM Vol. 3, 4.7). */
#define PF_P 0x1u    /* 0: not present; 1: protection violation */
#define PF_W 0x2u    /* the access was a write */
#define PF_U 0x4u    /* the access was made at CPL 3 */
#define PF_RSVD 0x8u /* a reserved bit was set in a paging entry */

/* Hidden part of a segment register: the descriptor cache (SDM Vol. 3, 3.4.3).
 *
 * `ar` holds the descriptor's attribute bits in the layout the VMCS uses for
 * guest segment access rights (SDM Vol. 3, 25.4.1), so lab 4 can copy it:
 *
 *   15  14  13  12  11..8  7   6..5  4   3..0
 *   G   D/B L   AVL  -     P   DPL   S   type
 *
 * plus SEG_AR_UNUSABLE (bit 16) for a segment register holding a null selector.
 * `limit` is the byte-granular limit (already scaled by G).
 */
struct seg {
    uint16_t sel;
    uint32_t base;
    uint32_t limit;
    uint32_t ar;
    /* Derived from ar and limit by seg_cache_update() for the access fast
     * path: the lowest and highest offsets an access may touch. */
    uint32_t lo, hi;
    uint8_t acc;  /* SEG_ACC_* */
    uint8_t flat; /* SEG_ACC_R/W of acc when base is 0 and lo..hi is 0..4 GiB-1 */
};
#define SEG_ACC_R 0x1u /* readable */
#define SEG_ACC_W 0x2u /* writable */
#define SEG_ACC_X 0x4u /* executable (CS only) */
#define SEG_AR_TYPE 0x000fu
#define SEG_AR_S 0x0010u
#define SEG_AR_DPL_SHIFT 5
#define SEG_AR_DPL 0x0060u
#define SEG_AR_P 0x0080u
#define SEG_AR_AVL 0x1000u
#define SEG_AR_DB 0x4000u
#define SEG_AR_G 0x8000u
#define SEG_AR_UNUSABLE 0x10000u

/* Descriptor-table registers: GDTR and IDTR. */
struct dtr {
    uint32_t base;
    uint16_t limit;
};

/* What a faulting or trapping instruction reports (see the top of this file). */
struct cpu_exception {
    uint8_t vector;
    bool has_error;
    bool soft;        /* raised by INT n / INT3 / INTO: a trap, EIP already past it */
    uint32_t error;
    gva_t cr2;        /* for #PF: the faulting linear address */
};

/* Why cpu_run() returned. */
enum cpu_exit {
    CPU_EXIT_BUDGET,    /* executed the requested number of instructions */
    CPU_EXIT_EXCEPTION, /* see cpu->exc */
    CPU_EXIT_HLT,       /* HLT executed; EIP is past it */
    CPU_EXIT_STOP,      /* cpu_stop() was called (a device asked to stop), or an
                           instruction set IF while stop_on_if asked for that */
};

/* Lazily evaluated arithmetic flags (see core/cpu/flags.h). */
struct lazy_flags {
    uint32_t res, src, dst; /* result and operands of the last flag-setting op */
    uint8_t op;             /* enum lf_op; LF_NONE: the flags are in cpu->eflags */
    uint8_t size;           /* operand size in bytes */
};

/* The software TLB (core/cpu/cpu_mem.c): one for loads and instruction
 * fetch, one for stores, each TLB_SIZE entries indexed by linear address
 * bits 12..19 (direct-mapped), every entry backed by a victim entry of the
 * same index. A refill moves the entry it replaces to the victim; a miss
 * that finds its page in the victim swaps the two, without a page walk.
 * So two pages whose numbers agree in bits 12..19 (the teaching kernel's
 * code at 1 MiB and a user program at 1 GiB) both stay.
 *
 * An entry filled by a CPL 3 access serves supervisor accesses as well: a
 * page the user may read (write) the supervisor may read (write) too, this
 * CPU having no SMEP/SMAP. Entries of a 4 MiB page are 4 KiB slices of it;
 * the TLB remembers which 4 MiB regions hold any, so that INVLPG elsewhere
 * drops one page's entries only.
 *
 * The model is deterministic (no random replacement): the page walks of
 * the trace are exactly its misses. It caches nothing the architecture
 * forbids caching; what it keeps longer than another TLB would is what
 * every TLB may keep until INVLPG or a CR3 load. */
struct pm_page;
struct tlb_entry {
    uint32_t tag[2];        /* [user]: the page's linear address when the entry
                               serves accesses at CPL 0-2 ([0]) or CPL 3 ([1]),
                               else TLB_INVALID, which no page address equals */
    uint32_t phys;          /* physical address of the page */
    uintptr_t addend;       /* host address = addend + linear address */
    struct pm_page *page;   /* the RAM page's record (for decoded-code tracking) */
};
#define TLB_BITS 8
#define TLB_SIZE (1u << TLB_BITS)
#define TLB_INVALID 0xfffu
#define TLB_REGIONS 1024u /* 4 MiB regions of the linear address space */

/* Model-specific registers this CPU implements. */
#define MSR_IA32_TSC 0x10u
#define MSR_IA32_APIC_BASE 0x1bu
#define MSR_APIC_BASE_BSP 0x100u /* this processor is the bootstrap processor */
#define MSR_APIC_BASE_EN 0x800u  /* the local APIC is globally enabled */
#define MSR_IA32_SYSENTER_CS 0x174u
#define MSR_IA32_SYSENTER_ESP 0x175u
#define MSR_IA32_SYSENTER_EIP 0x176u

struct insn;
struct icache;

enum cpu_mode { CPU_MODE_REAL, CPU_MODE_PROT };

#define CPU_CODE_CTXS 4

/* A segment cache computed from a descriptor (core/cpu/seg.c): an operating
 * system loads the same few descriptors at every system call. */
#define CPU_SEG_MEMO 8
struct seg_memo {
    uint32_t desc[2]; /* the descriptor, accessed bit set */
    bool used;
    struct seg seg;   /* what seg_from_desc() makes of it (sel aside) */
};

struct cpu {
    /* Architectural state. */
    uint32_t r[8];
    uint32_t eip;
    uint32_t eflags;          /* arithmetic bits are valid only after cpu_eflags() */
    struct lazy_flags lf;
    struct seg seg[6];
    struct seg ldtr, tr;
    struct dtr gdtr, idtr;
    uint32_t cr0, cr2, cr3, cr4;
    uint32_t dr[8];           /* debug registers: stored, breakpoints not implemented */
    uint64_t tsc_offset;      /* TSC = tsc_offset + icount: time is virtual (see DESIGN.md) */
    uint64_t apic_base;
    bool apic_present;        /* the machine has a local APIC: CPUID reports it while enabled */
    uint32_t sysenter_cs, sysenter_esp, sysenter_eip;
    enum cpu_mode mode;
    unsigned cpl;             /* current privilege level (CS.RPL in protected mode) */
    bool intr_shadow;         /* STI / MOV SS / POP SS blocks interrupts for one insn */

    /* The machine around it. */
    struct physmem *mem;
    struct bus *bus;
    struct trace *trace;      /* where events and statistics go (vlab/trace.h); NULL: nowhere */
    uint16_t id;              /* which vcpu: the trace's `vcpu` */

    /* Run state. */
    uint64_t icount;          /* instructions retired */
    uint64_t extra_cycles;    /* simulated cycles beyond one per instruction (core/trace/cost.c) */
    uint64_t budget_end;      /* cpu_run stops when icount reaches this */
    struct cpu_exception exc;
    uint8_t exit_req;         /* nonzero: leave cpu_run with this enum cpu_exit + 1 */
    uint32_t stop_on_if;      /* EFLAGS_IF: cpu_run returns CPU_EXIT_STOP after an
                                 instruction that retires with IF set; 0: never.
                                 The run loop sets it while an interrupt waits for
                                 IF (core/vmm/vm.c) */
    bool leave_block;         /* end the block being run after this instruction: a
                                 Jcc was taken, an exit was asked for, or decoded
                                 code was written (core/cpu/cpu.c) */
    jmp_buf fault_jmp;        /* where cpu_raise() unwinds to */
    uint32_t insn_eip;        /* EIP of the instruction being executed */
    uint32_t insn_esp;        /* ESP before it, restored when it faults */

    /* Caches; never architecturally visible. */
    struct tlb_entry tlb_read[TLB_SIZE];   /* loads and instruction fetch */
    struct tlb_entry tlb_write[TLB_SIZE];  /* stores; never maps a page holding decoded code */
    struct tlb_entry tlb_read_victim[TLB_SIZE];  /* what refills pushed out of them */
    struct tlb_entry tlb_write_victim[TLB_SIZE];
    uint32_t tlb_large[TLB_REGIONS / 32];  /* bit set: the region may have 4 MiB-page entries */
    struct icache *icache;
    uint64_t code_epoch;      /* bumped when what instruction fetch finds may change (cpu.c);
                                 its top bits number the code context (code_ctx).
                                 Following a block link checks only this, not the
                                 page's gen: a write to guest memory from outside
                                 the CPU in the middle of cpu_run() (none today; a
                                 DMA device, lab 5) must bump it as well */
    /* The code contexts fetch ran under lately: what it reads from CS and
     * the CPL (core/cpu/segload.c), so that block links made under one stay
     * valid across a system call's switch to another and back. */
    struct code_ctx {
        uint64_t span;        /* CS base | CS limit << 32 */
        uint32_t mode;        /* CS.D (SEG_AR_DB) | 1 at CPL 3 */
    } code_ctx[CPU_CODE_CTXS];
    uint8_t code_ctx_next;    /* the entry the next new context replaces */
    struct seg_memo seg_memo[CPU_SEG_MEMO]; /* by seg.c's memo_slot() of the descriptor */
};

/* Create the CPU's caches and put it in the state after RESET/INIT, switched
 * to flat 32-bit protected mode at CPL 0 with paging off (the state a
 * Multiboot loader hands to a kernel). Returns 0 or -ENOMEM. */
int cpu_init(struct cpu *cpu, struct physmem *mem, struct bus *bus);
void cpu_destroy(struct cpu *cpu);

/* Load the flat protected-mode state: CS/DS/ES/FS/GS/SS with base 0, limit
 * 4 GiB, DPL = RPL = `cpl` (selectors 0x08/0x10 for CPL 0 and 0x1b/0x23 for
 * CPL 3, as a loader would install them), EFLAGS = 0x2. */
void cpu_set_flat(struct cpu *cpu, unsigned cpl);

/* Run until an exit (enum cpu_exit) or until `max_insns` instructions have
 * retired. */
enum cpu_exit cpu_run(struct cpu *cpu, uint64_t max_insns);

/* Execute exactly one instruction (or take one exception). */
enum cpu_exit cpu_step(struct cpu *cpu);

/* Ask a running cpu_run() to return CPU_EXIT_STOP after the current insn. */
void cpu_stop(struct cpu *cpu);

/* Deliver cpu->exc, as left by cpu_run() returning CPU_EXIT_EXCEPTION,
 * through the IDT the way the hardware does (SDM Vol. 3, 6.12): gate type
 * and DPL checks (for INT n/INT3/INTO against CPL), privilege change with
 * the TSS ESP0/SS0 stack switch, the error code, a double fault when
 * delivery itself faults. Returns 0 when the CPU is now at the handler, or
 * -1 on a triple fault (shutdown), with cpu->exc describing the last fault. */
int cpu_deliver_exception(struct cpu *cpu);

/* Deliver external interrupt `vector` through the IDT (the caller checked
 * EFLAGS.IF and the interrupt shadow). Returns 0 or -1 (triple fault). */
int cpu_deliver_interrupt(struct cpu *cpu, uint8_t vector);

/* EFLAGS with the lazily computed bits materialized. */
uint32_t cpu_eflags(struct cpu *cpu);
/* Set EFLAGS wholesale (bit 1 forced to 1, reserved bits cleared). */
void cpu_set_eflags(struct cpu *cpu, uint32_t value);

/* Forget every cached translation (after CR0.PG/CR3/CR4 changes) or one
 * page's (INVLPG). */
void cpu_tlb_flush(struct cpu *cpu);
void cpu_tlb_flush_page(struct cpu *cpu, gva_t lin);

/* Forget every decoded instruction (used by tests and when the caller writes
 * guest memory behind the CPU's back without physmem_write()). */
void cpu_icache_flush(struct cpu *cpu);

/* Names for the trace and error messages. */
const char *cpu_vector_name(unsigned vector);
extern const char *const cpu_reg_names[8];
extern const char *const cpu_sreg_names[6];

#endif

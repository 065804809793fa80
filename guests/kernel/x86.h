/* x86.h - what the IA-32 architecture defines and this kernel uses:
 * selectors, EFLAGS and control-register bits, page-table entries, the TSS
 * and the trap frame. Section numbers are those of the Intel SDM, Vol. 3A,
 * unless said otherwise.
 *
 * The assembly files include this header too, so the C declarations sit
 * under #ifndef __ASSEMBLER__. */
#ifndef X86_H
#define X86_H

/* Segment selectors: descriptor index << 3 | table (0: GDT) | RPL (3.4.2).
 * desc.c builds the GDT in this order. */
#define KERNEL_CS 0x08 /* GDT[1] ring-0 code */
#define KERNEL_DS 0x10 /* GDT[2] ring-0 data */
#define USER_CS 0x1b   /* GDT[3] ring-3 code, RPL 3 */
#define USER_DS 0x23   /* GDT[4] ring-3 data, RPL 3 */
#define TSS_SEL 0x28   /* GDT[5] the task-state segment */
#define GDT_ENTRIES 6
#define DPL_USER 3

/* EFLAGS (Vol. 1, 3.4.3). */
#define FL_FIXED 0x00000002u /* bit 1 always reads as 1 */
#define FL_IF 0x00000200u    /* maskable interrupts enabled */

/* CR0 and CR4 (2.5). */
#define CR0_WP 0x00010000u /* write protect: ring 0 obeys read-only pages too */
#define CR0_PG 0x80000000u /* paging on */
#define CR4_PSE 0x00000010u /* 4 MiB pages in the page directory */
#define CR4_PGE 0x00000080u /* global pages survive CR3 loads */

/* CPUID.01H:EDX feature flags (Vol. 2A, CPUID). */
#define CPUID_PSE (1u << 3)
#define CPUID_PGE (1u << 13)

/*
 * Paging with 4 KiB pages (4.3). A linear address is split in three:
 *
 *    31            22 21            12 11               0
 *   +----------------+----------------+------------------+
 *   | directory (PDX)|  table (PTX)   |  offset in page  |
 *   +----------------+----------------+------------------+
 *
 * CR3 holds the physical address of the page directory, whose entry PDX
 * names a page table, whose entry PTX names the page. A directory entry
 * with PS set maps a whole 4 MiB page instead (needs CR4.PSE).
 *
 * A page-directory or page-table entry (Figure 4-4):
 *
 *    31                  12 11   9  8   7   6   5   4   3   2   1   0
 *   +----------------------+------+---+---+---+---+---+---+---+---+---+
 *   | physical frame       | AVL  | G |PS | D | A |PCD|PWT|U/S|R/W| P |
 *   +----------------------+------+---+---+---+---+---+---+---+---+---+
 *
 * AVL is ignored by the CPU and ours to use: bit 9 marks copy-on-write.
 */
#define PAGE_SIZE 4096u
#define BIGPAGE_SIZE 0x400000u /* 4 MiB */
#define PTE_P 0x001u   /* present */
#define PTE_W 0x002u   /* writable */
#define PTE_U 0x004u   /* user (CPL 3) may access */
#define PTE_A 0x020u   /* accessed: set by the CPU on use */
#define PTE_PS 0x080u  /* directory entry: a 4 MiB page */
#define PTE_G 0x100u   /* global */
#define PTE_COW 0x200u /* AVL: read-only only until written (fault.c) */
#define PDX(va) ((uint32_t)(va) >> 22)
#define PTX(va) (((uint32_t)(va) >> 12) & 0x3ffu)
#define PTE_ADDR(e) ((e) & ~0xfffu)
#define PG_ROUNDDOWN(a) ((uint32_t)(a) & ~(PAGE_SIZE - 1))
#define PG_ROUNDUP(a) (((uint32_t)(a) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1))

/* The page-fault error code (4.7, Figure 4-12); bit 2 (U/S) says whether
 * the access came from CPL 3, which the trap frame's CS tells us too. */
#define PF_P 0x1u /* 0: the page was not present; 1: a protection violation */
#define PF_W 0x2u /* the access was a write */

/* The page-fault vector (6.3.1, Table 6-1; trap.c names them all), and
 * where the remapped PICs put the 16 IRQs (pic.c). */
#define T_PF 14
#define T_IRQ0 32

#ifndef __ASSEMBLER__
#include <stdint.h>

typedef uint32_t pte_t;

/* The operand of LGDT and LIDT: a 16-bit limit and a 32-bit base (3.5.1). */
struct pseudo_desc {
    uint16_t limit;
    uint32_t base;
} __attribute__((packed));

/* The 32-bit task-state segment (7.2.1, Figure 7-2). This kernel never
 * switches tasks: the CPU reads only SS0:ESP0, the stack it switches to
 * when an interrupt takes it from ring 3 to ring 0, and the I/O map base. */
struct tss {
    uint32_t link;
    uint32_t esp0;
    uint16_t ss0, pad0;
    uint32_t esp1;
    uint16_t ss1, pad1;
    uint32_t esp2;
    uint16_t ss2, pad2;
    uint32_t cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
    uint16_t es, pad3, cs, pad4, ss, pad5, ds, pad6, fs, pad7, gs, pad8, ldt, pad9;
    uint16_t trap, iomap_base;
};
_Static_assert(sizeof(struct tss) == 104, "the 32-bit TSS is 104 bytes");

/*
 * The trap frame: what every trap leaves on the process's kernel stack,
 * built by the CPU, the vector's stub and alltraps (trapasm.S), and read
 * back by trapret on the way out. Higher addresses at the top:
 *
 *          +---------------+
 *          | ss            |  pushed by the CPU only when the trap came
 *          | esp           |  from ring 3: the user stack (6.12.1)
 *          +---------------+
 *          | eflags        |
 *          | cs            |  pushed by the CPU
 *          | eip           |
 *          +---------------+
 *          | err           |  the CPU's error code, or 0 from the stub
 *          | trapno        |  the stub: the vector number
 *          +---------------+
 *          | ds es fs gs   |  alltraps
 *          | eax ... edi   |  alltraps: PUSHAL
 *   tf --> +---------------+  the argument of trap(tf)
 *
 * Segment registers are pushed as 32 bits of which only the low 16 are
 * defined (PUSH, Vol. 2B), hence the padding.
 */
struct trapframe {
    uint32_t edi, esi, ebp, esp_pushal, ebx, edx, ecx, eax; /* PUSHAL */
    uint16_t gs, pad0, fs, pad1, es, pad2, ds, pad3;
    uint32_t trapno, err;
    uint32_t eip;
    uint16_t cs, pad4;
    uint32_t eflags;
    uint32_t esp; /* ring 3 only */
    uint16_t ss, pad5;
};

/* Did this trap come from user mode? The RPL of the interrupted CS is the
 * CPL it ran at. */
static inline int tf_from_user(const struct trapframe *tf)
{
    return (tf->cs & 3) == DPL_USER;
}
#endif

#endif

/* The MMU: the IA-32 two-level page walk (32-bit paging, SDM Vol. 3, 4.3).
 *
 *   linear address:  31 ....... 22 | 21 ....... 12 | 11 ........ 0
 *                    directory     | table         | offset
 *                    (10 bits)     | (10 bits)     | (12 bits)
 *
 *   CR3 -> page directory (1024 PDEs) -> page table (1024 PTEs) -> 4 KiB frame
 *   With CR4.PSE and PDE.PS set, the PDE maps a 4 MiB page directly.
 *
 *   PDE / PTE:  31 ............ 12 | 11..9 | 8 | 7  | 6 | 5 | 4   | 3   | 2   | 1   | 0
 *               frame address      | avail | G | PS | D | A | PCD | PWT | U/S | R/W | P
 *               (4 MiB PDE: bits 31..22 are the frame)   (PS: PDE only; PAT in a PTE)
 *
 * Every walk fills a walk record: each step's table address, index and entry,
 * and the fault if any. The CPU turns a fault into #PF; the trace shows the
 * record.
 */
#ifndef VLAB_MMU_H
#define VLAB_MMU_H

#include "vlab/types.h"

struct physmem;

#define PTE_P 0x001u
#define PTE_W 0x002u
#define PTE_U 0x004u
#define PTE_PWT 0x008u
#define PTE_PCD 0x010u
#define PTE_A 0x020u
#define PTE_D 0x040u
#define PTE_PS 0x080u
#define PTE_G 0x100u

/* Access kinds for mmu_walk(). */
#define MMU_WRITE 0x1u
#define MMU_USER 0x2u  /* checked as a CPL 3 access */
#define MMU_FETCH 0x4u

struct mmu_step {
    gpa_t table;    /* physical address of the table */
    unsigned index; /* entry index within it */
    uint32_t entry; /* the entry's value as read (before A/D updates) */
};

struct mmu_walk {
    gva_t lin;
    unsigned access;       /* MMU_* */
    unsigned nsteps;       /* 1 for a 4 MiB page or a fault at the PDE, else 2 */
    struct mmu_step step[2];
    gpa_t pa;              /* the translation, when !fault */
    bool large;            /* a 4 MiB page */
    bool writable;         /* a write at this privilege would be allowed */
    bool global;
    bool fault;
    uint32_t error;        /* #PF error code (PF_* in vlab/cpu.h) when fault */
};

/* Translate `lin` for an access of kind `access` (MMU_*) with paging state
 * cr0/cr3/cr4, setting accessed and dirty bits in guest memory as the
 * hardware does. Returns true and w->pa, or false with w->fault and
 * w->error set. A table outside RAM is treated as not present (a real PC
 * would read all ones from the bus there). */
bool mmu_walk(struct physmem *pm, uint32_t cr0, uint32_t cr3, uint32_t cr4, gva_t lin,
              unsigned access, struct mmu_walk *w);

#endif

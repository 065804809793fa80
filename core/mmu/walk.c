/* The two-level page walk of 32-bit paging (see vlab/mmu.h for the entry
 * layout and the walk record).
 *
 * Lab 1 (labs/01-emulation/README.md, part 2): you write mmu_walk(). The
 * CPU calls it on every TLB miss while CR0.PG is set (cpu_translate() in
 * core/cpu/cpu_mem.c) and turns a false return into #PF with w->error as
 * the error code and `lin` in CR2.
 */
#include "vlab/cpu.h"
#include "vlab/mem.h"
#include "vlab/mmu.h"
#include "vlab/todo.h"

/* ---- Helpers -----------------------------------------------------------------
 *
 * Yours to design. The reference has three: a pointer to entry `index` of
 * the table at guest-physical address `table` (physmem_page() in
 * vlab/mem.h gives the host page behind a guest-physical address, NULL
 * outside RAM), the permission check of SDM Vol. 3, 4.6, and one way to
 * fill in a fault.
 */
/* BEGIN SOLUTION lab01 */

/* Read entry `index` of the table at `table`; NULL when the table is not in RAM. */
static uint32_t *entry_ptr(struct physmem *pm, gpa_t table, unsigned index)
{
    struct pm_page *p = physmem_page(pm, table);
    if (!p)
        return NULL;
    return (uint32_t *)(void *)(p->host + (table & VLAB_PAGE_MASK) + index * 4);
}

/* May an access of kind `access` use a page whose combined U/S and R/W bits
 * are `perm`? (SDM Vol. 3, 4.6.1) */
static bool allowed(uint32_t perm, unsigned access, uint32_t cr0)
{
    if ((access & MMU_USER) && !(perm & PTE_U))
        return false;
    if (!(access & MMU_WRITE))
        return true;
    if (access & MMU_USER)
        return perm & PTE_W;
    return (perm & PTE_W) || !(cr0 & CR0_WP);
}

static bool fail(struct mmu_walk *w, bool present)
{
    w->fault = true;
    w->error = (present ? PF_P : 0) | ((w->access & MMU_WRITE) ? PF_W : 0) |
               ((w->access & MMU_USER) ? PF_U : 0);
    return false;
}
/* END SOLUTION */
/* STUB: */

/* ---- The walk ------------------------------------------------------------------
 *
 * mmu_walk(pm, cr0, cr3, cr4, lin, access, w): translate linear address
 * `lin` for an access of kind `access` (MMU_WRITE, MMU_USER, MMU_FETCH) as
 * the processor does with CR0.PG = 1 and 32-bit paging (SDM Vol. 3, 4.3).
 * Return true with w->pa, or false with w->fault and w->error.
 *
 *  1. The page directory is at CR3 bits 31..12. The PDE is entry lin >> 22
 *     (4 bytes, little-endian). Record the step: w->step[0] = { table,
 *     index, the entry as read }, w->nsteps = 1.
 *  2. P = 0, or a table that is not in RAM: a not-present fault.
 *  3. PS = 1 with CR4.PSE = 1: a 4 MiB page (4.3, Table 4-4). The frame is
 *     PDE bits 31..22, the offset lin bits 21..0; w->large = true. Without
 *     CR4.PSE the PS bit is ignored and the PDE points to a page table.
 *  4. Otherwise the page table is at PDE bits 31..12; the PTE is entry
 *     (lin >> 12) & 0x3ff. Record w->step[1], w->nsteps = 2. P = 0: a
 *     not-present fault. The frame is PTE bits 31..12, the offset lin
 *     bits 11..0.
 *  5. Permissions (4.6): the U/S and R/W that count are those of the PDE
 *     AND those of the PTE (just the PDE for a 4 MiB page). A CPL 3 access
 *     (MMU_USER) needs U/S = 1; a CPL 3 write needs R/W = 1; a supervisor
 *     write needs R/W = 1 only when CR0.WP = 1. A fetch is a read (32-bit
 *     paging has no execute-disable bit). A violation is a fault with P set.
 *  6. Only when the access is allowed, set the accessed bit (A) in every
 *     entry used and, for a write, the dirty bit (D) in the entry that maps
 *     the page (4.8) -- in guest memory, as the hardware does. A faulting
 *     walk changes nothing (the SDM allows either; vlab's tests expect this).
 *  7. Also fill w->writable (would a write with the same MMU_USER be
 *     allowed?) and w->global (G set in the entry that maps the page, and
 *     CR4.PGE).
 *
 * The #PF error code (4.7): bit 0 P (0: not present, 1: protection), bit 1
 * W (the access was a write), bit 2 U (the access was at CPL 3): PF_P,
 * PF_W, PF_U in vlab/cpu.h.
 *
 * Tested by build/tests/test_mmu (each step and error code above),
 * test_sysreg (paging through MOV CR0/CR3/CR4 and the TLB) and the systest
 * guest's paging checks.
 *
 * Stub: a walk that is not written fails every access as not present, so
 * a guest that turns paging on takes #PF at once (and, with its handler
 * unreachable too, a triple fault): the machine stops, the host does not
 * crash.
 */
bool mmu_walk(struct physmem *pm, uint32_t cr0, uint32_t cr3, uint32_t cr4, gva_t lin,
              unsigned access, struct mmu_walk *w)
{
    *w = (struct mmu_walk){ .lin = lin, .access = access };
    /* BEGIN SOLUTION lab01 */
    gpa_t pd = cr3 & ~VLAB_PAGE_MASK;
    unsigned di = lin >> 22;
    uint32_t *pde = entry_ptr(pm, pd, di);
    w->step[0] = (struct mmu_step){ pd, di, pde ? *pde : 0 };
    w->nsteps = 1;
    if (!pde || !(*pde & PTE_P))
        return fail(w, false);

    if ((*pde & PTE_PS) && (cr4 & CR4_PSE)) {
        w->large = true;
        if (!allowed(*pde, access, cr0))
            return fail(w, true);
        *pde |= PTE_A | ((access & MMU_WRITE) ? PTE_D : 0);
        w->pa = (*pde & 0xffc00000u) | (lin & 0x003fffffu);
        w->writable = allowed(*pde, access | MMU_WRITE, cr0);
        w->global = (*pde & PTE_G) && (cr4 & CR4_PGE);
        return true;
    }

    gpa_t pt = *pde & ~VLAB_PAGE_MASK;
    unsigned ti = (lin >> 12) & 0x3ff;
    uint32_t *pte = entry_ptr(pm, pt, ti);
    w->step[1] = (struct mmu_step){ pt, ti, pte ? *pte : 0 };
    w->nsteps = 2;
    if (!pte || !(*pte & PTE_P))
        return fail(w, false);
    uint32_t perm = *pde & *pte;
    if (!allowed(perm, access, cr0))
        return fail(w, true);
    *pde |= PTE_A;
    *pte |= PTE_A | ((access & MMU_WRITE) ? PTE_D : 0);
    w->pa = (*pte & ~VLAB_PAGE_MASK) | (lin & VLAB_PAGE_MASK);
    w->writable = allowed(perm, access | MMU_WRITE, cr0);
    w->global = (*pte & PTE_G) && (cr4 & CR4_PGE);
    return true;
    /* END SOLUTION */
    /* STUB: vlab_todo("lab01: mmu_walk", pm, cr0, cr3, cr4); w->fault = true; return false; */
}

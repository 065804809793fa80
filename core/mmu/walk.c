/* The two-level page walk of 32-bit paging (see vlab/mmu.h). */
#include "vlab/cpu.h"
#include "vlab/mem.h"
#include "vlab/mmu.h"

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

bool mmu_walk(struct physmem *pm, uint32_t cr0, uint32_t cr3, uint32_t cr4, gva_t lin,
              unsigned access, struct mmu_walk *w)
{
    *w = (struct mmu_walk){ .lin = lin, .access = access };

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
}

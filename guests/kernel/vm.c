/* vm.c - page tables: the kernel map, and the address space of each
 * process (see the memory map in kernel.h and the entry format in x86.h).
 *
 * Every page directory holds the kernel map in its low entries: the same
 * entries in all of them, copied from kpgdir, so the kernel sees all of
 * physical memory whatever CR3 holds. The entries from USER_BASE to
 * USER_TOP are the process's own, with page tables of its own. */
#include "kernel.h"

static pte_t *kpgdir;       /* the kernel map alone: for the scheduler */
static unsigned kernel_pdes; /* the directory entries the kernel map uses */

/* Map [0, mem_end) at the same virtual addresses, for ring 0 only. With
 * PSE each directory entry maps 4 MiB itself (the last may reach past the
 * end of RAM; nothing uses those addresses); without, each points to a
 * page table of 1024 4 KiB pages. With PGE the entries are global: they
 * stay in the TLB when CR3 changes, since every address space has them. */
static void map_kernel(bool pse, pte_t global)
{
    kernel_pdes = PDX(mem_end + BIGPAGE_SIZE - 1);
    for (unsigned d = 0; d < kernel_pdes; d++) {
        uint32_t base = d * BIGPAGE_SIZE;
        if (pse) {
            arch->set_pte(&kpgdir[d], base | PTE_PS | global | PTE_W | PTE_P);
            continue;
        }
        pte_t *pt = page_alloc();
        if (!pt)
            panic("out of memory for the kernel's page tables");
        for (unsigned t = 0; t < 1024 && base + t * PAGE_SIZE < mem_end; t++)
            arch->set_pte(&pt[t], (base + t * PAGE_SIZE) | global | PTE_W | PTE_P);
        arch->set_pte(&kpgdir[d], V2P(pt) | PTE_W | PTE_P);
    }
}

/* Build the kernel map and turn paging on. CR0.WP makes ring 0 obey
 * read-only pages too, so that the kernel cannot write to a copy-on-write
 * page by mistake (fault.c resolves those first). */
void vm_init(void)
{
    uint32_t id[4];
    arch->cpuid(1, id);
    bool pse = id[3] & CPUID_PSE, pge = id[3] & CPUID_PGE;
    arch->write_cr4(arch->read_cr4() | (pse ? CR4_PSE : 0) | (pge ? CR4_PGE : 0));

    kpgdir = page_alloc();
    if (!kpgdir)
        panic("out of memory for the kernel's page directory");
    map_kernel(pse, pge ? PTE_G : 0);
    arch->load_cr3(V2P(kpgdir));
    arch->write_cr0(arch->read_cr0() | CR0_PG | CR0_WP);
    kprintf("kernel: paging on, the kernel map in %s pages\n", pse ? "4 MiB" : "4 KiB");
}

/* Run on the kernel map alone (the scheduler does, between processes). */
void vm_switch_kernel(void)
{
    arch->load_cr3(V2P(kpgdir));
}

/* Make P's address space the current one, and its kernel stack the one
 * the CPU switches to on a trap from ring 3. */
void vm_switch(struct proc *p)
{
    arch->set_kernel_stack((uint32_t)p->kstack + KSTACK_SIZE);
    arch->load_cr3(V2P(p->pgdir));
}

/* A new address space: the kernel map and no user page. NULL if out of
 * memory. */
pte_t *vm_create(void)
{
    pte_t *pgdir = page_alloc();
    if (!pgdir)
        return NULL;
    for (unsigned d = 0; d < kernel_pdes; d++)
        arch->set_pte(&pgdir[d], kpgdir[d]);
    return pgdir;
}

/* The page-table entry for the user address VA in PGDIR. If its page table
 * is missing: with CREATE, make one (NULL if out of memory); else NULL. */
pte_t *vm_walk(pte_t *pgdir, uint32_t va, bool create)
{
    pte_t *pde = &pgdir[PDX(va)];
    pte_t *pt;
    if (*pde & PTE_P) {
        pt = P2V(PTE_ADDR(*pde));
    } else {
        if (!create || !(pt = page_alloc()))
            return NULL;
        /* The directory entry allows everything; each PTE restricts. */
        arch->set_pte(pde, V2P(pt) | PTE_U | PTE_W | PTE_P);
    }
    return &pt[PTX(va)];
}

/* Map the page at PA at the user address VA, with permissions PERM
 * (PTE_U, PTE_W). Returns 0, or -1 if out of memory for a page table. */
int vm_map(pte_t *pgdir, uint32_t va, uint32_t pa, uint32_t perm)
{
    pte_t *pte = vm_walk(pgdir, va, true);
    if (!pte)
        return -1;
    if (*pte & PTE_P)
        panic("vm_map: 0x%x is mapped already", va);
    arch->set_pte(pte, pa | perm | PTE_P);
    return 0;
}

/* Unmap the pages of [start, end) (page-aligned) of the current address
 * space, dropping a reference to each. */
void vm_unmap(pte_t *pgdir, uint32_t start, uint32_t end)
{
    for (uint32_t va = start; va < end; va += PAGE_SIZE) {
        pte_t *pte = vm_walk(pgdir, va, false);
        if (!pte || !(*pte & PTE_P))
            continue;
        page_decref(PTE_ADDR(*pte));
        arch->set_pte(pte, 0);
        arch->invlpg(va);
    }
}

/* Free an address space: drop a reference to each user page, free the page
 * tables and the directory. It must not be the current one. */
void vm_free(pte_t *pgdir)
{
    for (unsigned d = PDX(USER_BASE); d < PDX(USER_TOP); d++) {
        if (!(pgdir[d] & PTE_P))
            continue;
        pte_t *pt = P2V(PTE_ADDR(pgdir[d]));
        for (unsigned t = 0; t < 1024; t++)
            if (pt[t] & PTE_P)
                page_decref(PTE_ADDR(pt[t]));
        page_decref(V2P(pt));
    }
    page_decref(V2P(pgdir));
}

/*
 * fork's address space: a new one that shares every user page of PGDIR.
 * No page is copied now: a writable page becomes read-only and
 * copy-on-write in both, and the first write to it, by either side, takes
 * a page fault that gives the writer a copy of its own (fault.c). Pages
 * that were read-only (the program text) are simply shared. NULL if out of
 * memory. The caller must flush the TLB of PGDIR, whose entries changed.
 */
pte_t *vm_fork(pte_t *pgdir)
{
    pte_t *child = vm_create();
    if (!child)
        return NULL;
    for (unsigned d = PDX(USER_BASE); d < PDX(USER_TOP); d++) {
        if (!(pgdir[d] & PTE_P))
            continue;
        pte_t *pt = P2V(PTE_ADDR(pgdir[d]));
        for (unsigned t = 0; t < 1024; t++) {
            pte_t e = pt[t];
            if (!(e & PTE_P))
                continue;
            if (e & PTE_W) {
                e = (e & ~PTE_W) | PTE_COW;
                arch->set_pte(&pt[t], e);
            }
            pte_t *ce = vm_walk(child, d << 22 | t << 12, true);
            if (!ce) {
                vm_free(child);
                return NULL;
            }
            arch->set_pte(ce, e);
            page_incref(PTE_ADDR(e));
        }
    }
    return child;
}

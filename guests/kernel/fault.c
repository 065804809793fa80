/* fault.c - page faults the kernel resolves, and the checks that let the
 * kernel touch user memory safely.
 *
 * Two kinds of page fault are not errors but the way memory is handed out:
 *
 *   copy-on-write   a write to a page fork() left shared and read-only
 *                   (PTE_COW): the writer gets a private copy; if nobody
 *                   else still has the page, it just becomes writable;
 *   demand-zero     a touch of a page nobody mapped yet, inside the bss and
 *                   heap [user_bss_va, brk) or the stack [USTACK_BOTTOM,
 *                   USTACK_TOP): the process gets a fresh zeroed page.
 *
 * Any other fault from user mode kills the process (trap.c); from the
 * kernel it is a bug (panic).
 */
#include "kernel.h"

static bool in_demand_zero_region(const struct proc *p, uint32_t va)
{
    return (va >= (uint32_t)user_bss_va && va < p->brk) || (va >= USTACK_BOTTOM && va < USTACK_TOP);
}

/* Give P its own writable copy of the copy-on-write page at VA. */
static int copy_on_write(struct proc *p, pte_t *pte, uint32_t va)
{
    uint32_t pa = PTE_ADDR(*pte);
    if (page_refcount(pa) == 1) { /* the others have copied or gone: it is ours */
        arch->set_pte(pte, (*pte & ~PTE_COW) | PTE_W);
    } else {
        void *copy = page_alloc();
        if (!copy)
            return -1;
        memcpy(copy, P2V(pa), PAGE_SIZE);
        arch->set_pte(pte, V2P(copy) | PTE_U | PTE_W | PTE_P);
        page_decref(pa);
    }
    if (p == current)
        arch->invlpg(va);
    return 0;
}

static int demand_zero(struct proc *p, uint32_t va)
{
    void *page = page_alloc();
    if (!page)
        return -1;
    if (vm_map(p->pgdir, va, V2P(page), PTE_U | PTE_W) < 0) {
        page_decref(V2P(page));
        return -1;
    }
    return 0;
}

/* Resolve a fault of process P at the user address VA, a write if WRITE.
 * Returns 0 if the access can now be retried, -1 if it is an error (or
 * memory ran out). */
int vm_fault(struct proc *p, uint32_t va, bool write)
{
    if (va < USER_BASE || va >= USER_TOP)
        return -1;
    va = PG_ROUNDDOWN(va);
    pte_t *pte = vm_walk(p->pgdir, va, false);
    if (pte && (*pte & PTE_P))
        return write && (*pte & PTE_COW) ? copy_on_write(p, pte, va) : -1;
    return in_demand_zero_region(p, va) ? demand_zero(p, va) : -1;
}

/*
 * May the kernel, on behalf of P, read (or with WRITE, write) the LEN
 * bytes at the user address VA? Returns 0 if so, having made every page
 * present (and private, for a write), or -1 for a bad address: outside
 * user space, or where P itself would fault for good. A system call checks
 * each user pointer with this before it touches the memory, so a bad
 * pointer is an error returned, not a kernel page fault. P must be the
 * current process: the kernel then reaches its memory at the addresses the
 * process uses.
 */
int uaccess_check(struct proc *p, uint32_t va, uint32_t len, bool write)
{
    if (va < USER_BASE || va > USER_TOP || len > USER_TOP - va)
        return -1;
    for (uint32_t page = PG_ROUNDDOWN(va); page < va + len; page += PAGE_SIZE) {
        pte_t *pte = vm_walk(p->pgdir, page, false);
        bool ok = pte && (*pte & PTE_P) && (*pte & PTE_U) && (!write || (*pte & PTE_W));
        if (!ok && vm_fault(p, page, write) < 0)
            return -1;
    }
    return 0;
}

/* Copy the NUL-terminated string at the user address VA into DST (SIZE
 * bytes). Returns 0; -1 for a bad address or a string that does not fit. */
int uaccess_string(struct proc *p, uint32_t va, char *dst, size_t size)
{
    for (size_t i = 0; i < size; i++) {
        if ((i == 0 || (va + i) % PAGE_SIZE == 0) && uaccess_check(p, va + i, 1, false) < 0)
            return -1;
        dst[i] = *(const char *)(va + i); /* P's memory: it is the current address space */
        if (dst[i] == '\0')
            return 0;
    }
    return -1;
}

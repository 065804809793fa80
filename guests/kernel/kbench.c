/* kbench.c - the kernel's half of three microbenchmarks of Adams and
 * Agesen ("A Comparison of Software and Hardware Techniques for x86
 * Virtualization", ASPLOS 2006): the ones whose operation only ring 0 may
 * perform. A user program (user_bench.c) asks for N of them in one system
 * call; the kernel performs them through the arch-ops table, so that a
 * monitor sees each one as the paper's monitors did:
 *
 *   in      read a device register: IN from the UART's line status
 *   cr8wr   the paper's write of CR8 (the task priority register, which
 *           IA-32 does not have): here a write of CR0 with the value it
 *           holds, a privileged register write that changes nothing
 *   ptemod  modify a page-table entry: clear the accessed bit of the PTE
 *           of a user page, as a page-replacement clock hand does, and
 *           flush the page's TLB entry
 *
 * and the loop of the io workload (workloads.h), which writes and reads a
 * device register N times.
 */
#include "kernel.h"
#include "syscall.h"
#include "workloads.h"

#define UART_LSR_PORT 0x3fd

typedef int bench_fn(uint32_t n, uint32_t va);

static int bench_in(uint32_t n, uint32_t va)
{
    (void)va;
    for (uint32_t i = 0; i < n; i++)
        arch->inb(UART_LSR_PORT);
    return (int)n;
}

static int bench_cr0(uint32_t n, uint32_t va)
{
    (void)va;
    uint32_t cr0 = arch->read_cr0();
    for (uint32_t i = 0; i < n; i++)
        arch->write_cr0(cr0);
    return (int)n;
}

/* VA must be a page of the calling process (made present if need be). */
static int bench_ptemod(uint32_t n, uint32_t va)
{
    if (uaccess_check(current, va, 1, false) < 0)
        return -1;
    pte_t *pte = vm_walk(current->pgdir, va, false);
    for (uint32_t i = 0; i < n; i++) {
        arch->set_pte(pte, *pte & ~PTE_A);
        arch->invlpg(va);
    }
    return (int)n;
}

/* The io workload's loop (workloads.h): VA is the checksum's seed. */
static int bench_scratch(uint32_t n, uint32_t va)
{
    return (int)wl_scratch_loop(n, va, arch->outb, arch->inb);
}

static bench_fn *const benches[NBENCH] = {
    [BENCH_IN] = bench_in,
    [BENCH_CR0] = bench_cr0,
    [BENCH_PTEMOD] = bench_ptemod,
    [BENCH_SCRATCH] = bench_scratch,
};

/* Perform operation OP (BENCH_*) N times; VA is for BENCH_PTEMOD (the
 * page) and BENCH_SCRATCH (the seed). Returns N (BENCH_SCRATCH: the
 * checksum), or -1 for an unknown operation or a bad address. */
int bench_run(unsigned op, uint32_t n, uint32_t va)
{
    return op < NBENCH ? benches[op](n, va) : -1;
}

/* exec.c - replace a process's program with a built-in one.
 *
 * There is no file system: the programs are built into the kernel image,
 * all in one user image (link.ld), and each is a main function in it. exec
 * gives the process a fresh address space holding a private copy of the
 * image, and starts it at ustart (user_lib.c), which calls the program's
 * main and passes what it returns to exit(). */
#include "kernel.h"

/* The programs (user_*.c) and their entry. */
extern int init_main(void), hello_main(void), fresh_main(void);
extern int bench_syscall_main(void), bench_in_main(void), bench_cr8wr_main(void), bench_callret_main(void);
extern int bench_pgfault_main(void), bench_divzero_main(void), bench_ptemod_main(void);
extern int bench_forkwait_main(void), bench_main(void);
extern void ustart(int (*main)(void));

static const struct program {
    const char *name;
    int (*main)(void);
} programs[] = {
    { "init", init_main },
    { "hello", hello_main },
    { "fresh", fresh_main },
    { "bench_syscall", bench_syscall_main },
    { "bench_in", bench_in_main },
    { "bench_cr8wr", bench_cr8wr_main },
    { "bench_callret", bench_callret_main },
    { "bench_pgfault", bench_pgfault_main },
    { "bench_divzero", bench_divzero_main },
    { "bench_ptemod", bench_ptemod_main },
    { "bench_forkwait", bench_forkwait_main },
    { "bench", bench_main },
};

static const struct program *find_program(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(programs); i++)
        if (strcmp(programs[i].name, name) == 0)
            return &programs[i];
    return NULL;
}

/* Copy the user image into fresh pages of PGDIR: text and rodata
 * read-only, data writable. The bss needs no copy: it is demand-zero. */
static int load_image(pte_t *pgdir)
{
    uint32_t start = (uint32_t)user_image_va;
    for (uint32_t va = start; va < (uint32_t)user_bss_va; va += PAGE_SIZE) {
        void *page = page_alloc();
        if (!page)
            return -1;
        memcpy(page, P2V(V2P(user_image_pa) + (va - start)), PAGE_SIZE);
        uint32_t perm = va < (uint32_t)user_data_va ? PTE_U : PTE_U | PTE_W;
        if (vm_map(pgdir, va, V2P(page), perm) < 0) {
            page_decref(V2P(page));
            return -1;
        }
    }
    return 0;
}

/*
 * The first page of the stack, holding the call ustart(main) as if it had
 * been made, which is where the program starts:
 *
 *   USTACK_TOP ----> +--------------------+
 *                    | main               |  ustart's argument
 *                    | 0                  |  its return address: none
 *   initial ESP ---> +--------------------+
 */
static int setup_stack(pte_t *pgdir, const struct program *prog)
{
    uint32_t *page = page_alloc();
    if (!page)
        return -1;
    if (vm_map(pgdir, USTACK_TOP - PAGE_SIZE, V2P(page), PTE_U | PTE_W) < 0) {
        page_decref(V2P(page));
        return -1;
    }
    uint32_t *top = page + PAGE_SIZE / sizeof *page;
    top[-1] = (uint32_t)prog->main;
    top[-2] = 0;
    return 0;
}

/* Ring 3, flat segments, interrupts enabled, at ustart on the new stack;
 * the general registers start at 0. */
static void setup_registers(struct trapframe *tf)
{
    memset(tf, 0, sizeof *tf);
    tf->cs = USER_CS;
    tf->ds = tf->es = tf->fs = tf->gs = tf->ss = USER_DS;
    tf->eflags = FL_IF | FL_FIXED;
    tf->eip = (uint32_t)ustart;
    tf->esp = USTACK_TOP - 8;
}

/* Make P run the program NAME from its beginning, in a new address space;
 * the old one (if any) is freed. Returns 0, or -1 with P unchanged if
 * there is no such program or not enough memory. */
int exec(struct proc *p, const char *name)
{
    const struct program *prog = find_program(name);
    if (!prog)
        return -1;
    pte_t *pgdir = vm_create();
    if (!pgdir)
        return -1;
    if (load_image(pgdir) < 0 || setup_stack(pgdir, prog) < 0) {
        vm_free(pgdir);
        return -1;
    }
    pte_t *old = p->pgdir;
    p->pgdir = pgdir;
    p->brk = (uint32_t)user_end_va;
    p->onfault = 0;
    strlcpy(p->name, prog->name, sizeof p->name);
    setup_registers(p->tf);
    if (p == current)
        vm_switch(p);
    if (old)
        vm_free(old);
    return 0;
}

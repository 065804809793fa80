/* user_bench.c - the microbenchmarks of Adams and Agesen ("A Comparison of
 * Software and Hardware Techniques for x86 Virtualization", ASPLOS 2006,
 * section 6.1), in this kernel's terms. Each is a program that performs
 * its operation a fixed number of times and prints that number: the output
 * never depends on the machine's speed. What a run costs is measured from
 * outside (instructions retired, traps, exits) by whoever runs the kernel.
 *
 *   syscall   a system call: getpid
 *   in        read a device register (IN), done by the kernel
 *   cr8wr     a privileged register write (CR0 standing in for CR8)
 *   call/ret  a call and a return, which binary translators find costly
 *   pgfault   a page fault the kernel resolves: demand-zero
 *   divzero   an exception in user mode: divide error, resumed by onfault
 *   ptemod    a page-table entry changed by the kernel
 *   forkwait  process creation and destruction: fork, exit, wait
 *
 * in, cr8wr and ptemod run in the kernel (kbench.c), asked for by one
 * system call.
 */
#include "user.h"

#define PAGE 4096

int bench_syscall_main(void), bench_in_main(void), bench_cr8wr_main(void), bench_callret_main(void);
int bench_pgfault_main(void), bench_divzero_main(void), bench_ptemod_main(void), bench_forkwait_main(void);

/* Report N iterations of NAME; the exit status: 0. */
static int done(const char *name, int n)
{
    printf("bench %s: %d iterations\n", name, n);
    return 0;
}

int bench_syscall_main(void)
{
    const int n = 10000;
    for (int i = 0; i < n; i++)
        if (getpid() <= 0)
            return 1;
    return done("syscall", n);
}

int bench_in_main(void)
{
    const int n = 10000;
    return bench(BENCH_IN, n, 0) == n ? done("in", n) : 1;
}

int bench_cr8wr_main(void)
{
    const int n = 10000;
    return bench(BENCH_CR0, n, 0) == n ? done("cr8wr", n) : 1;
}

/* A function the compiler may neither inline nor reason about. */
__attribute__((noipa)) static int callee(int x)
{
    return x + 1;
}

int bench_callret_main(void)
{
    const int n = 100000;
    int x = 0;
    for (int i = 0; i < n; i++)
        x = callee(x);
    return x == n ? done("call/ret", n) : 1;
}

/* Grow the heap by a page, touch it (a page fault: the kernel maps a zeroed
 * page), and give the page back, so that the next touch faults again. */
int bench_pgfault_main(void)
{
    const int n = 1000;
    sbrk((int)(-(uint32_t)sbrk(0) & (PAGE - 1))); /* start at a page boundary */
    for (int i = 0; i < n; i++) {
        volatile char *p = sbrk(PAGE);
        if (p == SBRK_FAILED || *p != 0)
            return 1;
        sbrk(-PAGE);
    }
    return done("pgfault", n);
}

/* Divide by zero N times. The divide error would kill the process, but
 * onfault makes the kernel resume it at label 2, after the DIV. */
static void divide_by_zero(uint32_t n)
{
    __asm__ volatile("movl %[sys], %%eax\n\t"
                     "movl $2f, %%ebx\n\t"
                     "int %[vec]\n"          /* onfault(2f) */
                     "1:\txorl %%ecx, %%ecx\n\t"
                     "divl %%ecx\n"          /* #DE */
                     "2:\tdecl %[n]\n\t"
                     "jnz 1b"
                     : [n] "+S"(n)
                     : [sys] "i"(SYS_onfault), [vec] "i"(T_SYSCALL)
                     : "eax", "ebx", "ecx", "edx", "cc", "memory");
    onfault(0);
}

int bench_divzero_main(void)
{
    const int n = 1000;
    divide_by_zero(n);
    return done("divzero", n);
}

int bench_ptemod_main(void)
{
    const int n = 10000;
    static volatile int page_of_data;
    page_of_data = 1;
    return bench(BENCH_PTEMOD, n, (const void *)&page_of_data) == n ? done("ptemod", n) : 1;
}

int bench_forkwait_main(void)
{
    const int n = 100;
    for (int i = 0; i < n; i++) {
        int pid = fork(), status;
        if (pid == 0)
            exit(0);
        if (pid < 0 || wait(&status) != pid || status != 0)
            return 1;
    }
    return done("forkwait", n);
}

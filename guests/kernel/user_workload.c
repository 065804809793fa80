/* user_workload.c - the benchmark workloads (workloads.h): a fixed amount
 * of system calls, page faults, port I/O or context switches, and a
 * checksum of what the program saw while doing it.
 *
 * The file is built twice. In the kernel's user image it runs in ring 3 on
 * the teaching kernel (user_benchrun.c calls it). On the host, where
 * __STDC_HOSTED__ is 1, `vlab bench` runs the same code on Linux to learn
 * the checksum the guest must print: fork, sbrk, wait and yield are the
 * POSIX calls of the same name, and the UART's scratch register is a
 * variable. What a checksum folds in is chosen to be the same on both:
 * never a pid, an address or a time, only what the program wrote and read
 * back, loop counters and exit statuses.
 */
#include "workloads.h"

#define PAGE 4096u

#if __STDC_HOSTED__
#include <sched.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

static int sys_getpid(void) { return getpid(); }
static void *sys_sbrk(int n) { return sbrk(n); }
static int sys_fork(void) { return fork(); }
static _Noreturn void sys_exit(int status) { _exit(status); }
static void sys_yield(void) { sched_yield(); }

/* A child's pid and its exit status (-1 if it did not exit normally). */
static int sys_wait(int *status)
{
    int s;
    int pid = wait(&s);
    *status = pid > 0 && WIFEXITED(s) ? WEXITSTATUS(s) : -1;
    return pid;
}

static uint8_t scratch;
static void scratch_out(uint16_t port, uint8_t v) { (void)port; scratch = v; }
static uint8_t scratch_in(uint16_t port) { (void)port; return scratch; }

static int sys_scratch(uint32_t n, uint32_t seed)
{
    return (int)wl_scratch_loop(n, seed, scratch_out, scratch_in);
}
#else
#include "user.h"

static int sys_getpid(void) { return getpid(); }
static void *sys_sbrk(int n) { return sbrk(n); }
static int sys_fork(void) { return fork(); }
static _Noreturn void sys_exit(int status) { exit(status); }
static void sys_yield(void) { yield(); }
static int sys_wait(int *status) { return wait(status); }

/* The loop runs in the kernel: user mode may not touch ports. */
static int sys_scratch(uint32_t n, uint32_t seed)
{
    return bench(BENCH_SCRATCH, (int)n, (const void *)seed);
}
#endif

/* A system call and back, ITERATIONS times: getpid, the cheapest call
 * there is. */
uint32_t wl_syscall(uint32_t iterations)
{
    uint32_t h = WL_SEED, pid = (uint32_t)sys_getpid();
    for (uint32_t i = 0; i < iterations; i++)
        h = wl_mix(h, (uint32_t)sys_getpid() - pid + i);
    return h;
}

#define WL_PAGES 8 /* pages of heap per round of the pagefault workload */

/* The word of page P the round IT uses: a different one each time. */
static volatile uint32_t *word(volatile uint32_t *heap, uint32_t p, uint32_t it)
{
    return heap + p * (PAGE / 4) + (it * 7 + p) % (PAGE / 4);
}

/* One round: grow the heap by WL_PAGES pages and touch each (demand-zero
 * faults: they must read as 0), fork, let the child write each (copy-on-
 * write faults that copy: the child must see the parent's values), write
 * each again in the parent once the child is gone (copy-on-write faults
 * that only give the write permission back: the parent must see its own
 * values), and give the pages back. Returns the checksum, 0 on a failure. */
static uint32_t pagefault_round(uint32_t h, uint32_t it)
{
    volatile uint32_t *heap = sys_sbrk((int)(WL_PAGES * PAGE));
    if (heap == (void *)-1)
        return 0;
    for (uint32_t p = 0; p < WL_PAGES; p++) {
        h = wl_mix(h, *word(heap, p, it));
        *word(heap, p, it) = h;
    }
    int pid = sys_fork(), status;
    if (pid == 0) {
        uint32_t c = WL_SEED;
        for (uint32_t p = 0; p < WL_PAGES; p++) {
            c = wl_mix(c, *word(heap, p, it));
            *word(heap, p, it) = c;
        }
        sys_exit((int)(c & 0x7f));
    }
    if (pid < 0 || sys_wait(&status) != pid)
        return 0;
    h = wl_mix(h, (uint32_t)status);
    for (uint32_t p = 0; p < WL_PAGES; p++) {
        h = wl_mix(h, *word(heap, p, it));
        *word(heap, p, it) = h;
    }
    sys_sbrk(-(int)(WL_PAGES * PAGE));
    return h;
}

uint32_t wl_pagefault(uint32_t iterations)
{
    uintptr_t end = (uintptr_t)sys_sbrk(0);
    sys_sbrk((int)(-end & (PAGE - 1))); /* to a page boundary: shrinking frees whole pages */
    uint32_t h = WL_SEED;
    for (uint32_t it = 0; it < iterations && h; it++)
        h = pagefault_round(h, it);
    return h;
}

#define WL_IO_CHUNK 1000 /* port round trips per system call */

/* ITERATIONS writes and reads of a device register, in system calls of
 * WL_IO_CHUNK each, each carrying on the checksum of the one before. */
uint32_t wl_io(uint32_t iterations)
{
    uint32_t h = WL_SEED & 0x7fffffff;
    for (uint32_t done = 0; done < iterations;) {
        uint32_t k = iterations - done < WL_IO_CHUNK ? iterations - done : WL_IO_CHUNK;
        int r = sys_scratch(k, h);
        if (r < 0)
            return 0;
        h = (uint32_t)r;
        done += k;
    }
    return h;
}

/* A parent and its child each yield ITERATIONS times: with nothing else
 * to run, every yield is a switch to the other process. */
uint32_t wl_switch(uint32_t iterations)
{
    int pid = sys_fork(), status;
    if (pid < 0)
        return 0;
    uint32_t h = pid == 0 ? WL_SEED ^ 1 : WL_SEED;
    for (uint32_t i = 0; i < iterations; i++) {
        sys_yield();
        h = wl_mix(h, i);
    }
    if (pid == 0)
        sys_exit((int)(h & 0x7f));
    if (sys_wait(&status) != pid)
        return 0;
    return wl_mix(h, (uint32_t)status);
}

/* vlab bench: the workloads, their checksums on the host, and the engines
 * that run a guest inside this process.
 *
 * The workloads' C code is compiled twice: for the guest (guests/compute,
 * guests/kernel/user_workload.c) and into this program, so that the
 * checksum every run must print is computed here, on the host's own CPU,
 * from the same source. */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vlab/vm.h"

#include "../guests/compute/workload.h"
#include "../guests/kernel/workloads.h"
#include "bench.h"

/* The full sizes run for one to a few seconds each on the interpreter as it
 * is now; compute retires about 3.3 billion instructions, as the reference
 * workload the issue measured QEMU and Bochs with. The compute workload is a bare Multiboot image, so
 * that every emulator runs exactly the same bytes; the others are programs
 * of the teaching kernel (guests/kernel/README.md). */
const struct bench_workload bench_workloads[] = {
    { "compute", "compute.elf", "iterations=%u", 6000, 2000000, false,
      "integer mix: arithmetic, a sort, CRC-32, a bytecode interpreter, string instructions", compute_run },
    { "syscall", "kernel.elf", "init=bench bench=syscall iterations=%u", 2000000, 2000, true,
      "a getpid() system call (INT 0x80, IRET)", wl_syscall },
    { "pagefault", "kernel.elf", "init=bench bench=pagefault iterations=%u", 1500, 400000, true,
      "8 demand-zero faults, fork, 16 copy-on-write faults, wait", wl_pagefault },
    { "io", "kernel.elf", "init=bench bench=io iterations=%u", 10000000, 400, false,
      "a write and a read of a UART register, in the kernel", wl_io },
    { "switch", "kernel.elf", "init=bench bench=switch iterations=%u", 200000, 20000, true,
      "two processes each calling yield(): two context switches", wl_switch },
};
const size_t bench_nworkloads = VLAB_ARRAY_SIZE(bench_workloads);

const struct bench_workload *bench_workload_named(const char *name)
{
    for (size_t k = 0; k < bench_nworkloads; k++)
        if (!strcmp(bench_workloads[k].name, name))
            return &bench_workloads[k];
    assert(!"no such workload");
    return NULL;
}

double bench_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

bool bench_find_checksum(const char *out, uint32_t *sum)
{
    const char *p = out ? strstr(out, "checksum=") : NULL;
    if (!p)
        return false;
    char *end;
    errno = 0;
    unsigned long v = strtoul(p + 9, &end, 16);
    if (errno || end != p + 17 || v > UINT32_MAX)
        return false;
    *sum = (uint32_t)v;
    return true;
}

/* What the child of bench_native sends back. */
struct native_answer {
    uint32_t sum;
    double seconds;
};

int bench_native(const struct bench_workload *w, uint32_t n, uint32_t *sum, double *seconds,
                 char *err, size_t errlen)
{
    int fd[2];
    if (pipe(fd) != 0) {
        snprintf(err, errlen, "cannot create a pipe: %s", strerror(errno));
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "cannot fork: %s", strerror(errno));
        close(fd[0]);
        close(fd[1]);
        return -1;
    }
    if (pid == 0) {
        close(fd[0]);
        struct native_answer a;
        double t0 = bench_now();
        a.sum = w->native(n);
        a.seconds = bench_now() - t0;
        _exit(write(fd[1], &a, sizeof a) == sizeof a ? 0 : 1);
    }
    close(fd[1]);
    struct native_answer a;
    ssize_t got;
    do
        got = read(fd[0], &a, sizeof a);
    while (got < 0 && errno == EINTR);
    close(fd[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (got != (ssize_t)sizeof a || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        snprintf(err, errlen, "the %s workload compiled for the host did not finish", w->name);
        return -1;
    }
    *sum = a.sum;
    *seconds = a.seconds;
    return 0;
}

/* ---- emu: the interpreter ------------------------------------------------ */

/* Boot the guest on a fresh machine, its console into memory; time the
 * machine's whole life and vm_run alone. */
static int emu_run(const struct bench_guest *g, struct bench_sample *s, char *err, size_t errlen)
{
    char *console_text = NULL;
    size_t console_len = 0;
    FILE *console = open_memstream(&console_text, &console_len);
    struct vm *vm = malloc(sizeof *vm);
    int rc = -1;
    memset(s, 0, sizeof *s);
    double t0 = bench_now();
    if (!console || !vm || vm_init(vm, g->ram, console) != 0) {
        snprintf(err, errlen, "cannot create a machine with %" PRIu64 " MiB of RAM", g->ram >> 20);
        free(vm);
        goto out;
    }
    if (vm_load_file(vm, g->image, g->cmdline, NULL, 0, err, errlen) != 0)
        goto destroy;
    double t1 = bench_now();
    enum vm_stop why = vm_run(vm, g->max_insns);
    s->run_seconds = bench_now() - t1;
    s->status = why == VM_STOP_EXIT ? vm->exit_status & 0xff : -1;
    s->insns = vm->cpu.icount;
    s->cycles = trace_cycles(&vm->cpu);
    s->stats = vm->trace.stats;
    rc = 0;
destroy:
    vm_destroy(vm);
    free(vm);
    s->seconds = bench_now() - t0;
out:
    if (console) {
        fclose(console);
        s->have_checksum = bench_find_checksum(console_text, &s->checksum);
    }
    free(console_text);
    return rc;
}

const struct bench_engine bench_engines[] = {
    { "emu", "full emulation: the interpreter", emu_run },
};
const size_t bench_nengines = VLAB_ARRAY_SIZE(bench_engines);

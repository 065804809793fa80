/* workloads.h - the benchmark workloads of the teaching kernel
 * (user_workload.c), shared by three builds:
 *
 *   - the user program `bench` (user_benchrun.c), which runs one of them
 *     when the kernel boots with "init=bench bench=NAME iterations=N";
 *   - the kernel, for the part that needs ring 0 (kbench.c: the I/O loop);
 *   - the host: `vlab bench` compiles user_workload.c natively, runs each
 *     workload on Linux with POSIX calls standing in for the kernel's, and
 *     expects the guest to print the same checksum.
 *
 * Each workload does a fixed amount of work and folds what it observes
 * into a 32-bit checksum with wl_mix, so a machine that gets any of it
 * wrong (a lost page, a wrong register after a trap, a missed switch)
 * prints another number. The checksums never depend on timing.
 */
#ifndef WORKLOADS_H
#define WORKLOADS_H

#include <stdint.h>

#define WL_SEED 2166136261u /* FNV-1a's offset basis */

/* Fold the word V into the checksum H (FNV-1a, a word at a time). */
static inline uint32_t wl_mix(uint32_t h, uint32_t v)
{
    return (h ^ v) * 16777619u;
}

/* The UART's scratch register (16550 data sheet: SCR, offset 7 from COM1
 * at 0x3f8): eight bits that hold what was written, and nothing else. */
#define WL_SCRATCH_PORT 0x3ff

/* N round trips through the scratch register: write a byte derived from
 * the checksum so far, read it back, fold it in. Starts from SEED; returns
 * a checksum below 2^31, so that a system call can return it and still
 * tell it from -1. OUT and IN are the kernel's port accessors (or the
 * host's model of the register). */
static inline uint32_t wl_scratch_loop(uint32_t n, uint32_t seed, void (*out)(uint16_t, uint8_t),
                                       uint8_t (*in)(uint16_t))
{
    uint32_t h = seed;
    for (uint32_t i = 0; i < n; i++) {
        out(WL_SCRATCH_PORT, (uint8_t)((h >> 11) ^ i));
        h = wl_mix(h, in(WL_SCRATCH_PORT));
    }
    return h & 0x7fffffff;
}

/* The workloads; each returns its checksum, or 0 after a failure the
 * program saw itself (a system call refused). */
uint32_t wl_syscall(uint32_t iterations);   /* getpid, in a tight loop */
uint32_t wl_pagefault(uint32_t iterations); /* demand-zero and copy-on-write faults */
uint32_t wl_io(uint32_t iterations);        /* port writes and reads, done by the kernel */
uint32_t wl_switch(uint32_t iterations);    /* two processes yielding to each other */

#endif

/* A virtual machine: RAM, the bus with its devices, one vcpu, and the loop
 * that runs it. The `emu` engine: the guest kernel runs on the simulated CPU
 * at CPL 0 and every exception is delivered through the guest's own IDT,
 * as on bare metal. */
#ifndef VLAB_VM_H
#define VLAB_VM_H

#include <stdio.h>

#include "vlab/cpu.h"
#include "vlab/dev.h"
#include "vlab/mem.h"

enum vm_stop {
    VM_STOP_EXIT,         /* the guest wrote to isa-debug-exit: see vm->exit_status */
    VM_STOP_BUDGET,       /* the instruction budget ran out */
    VM_STOP_HALTED,       /* HLT with nothing that could wake the CPU */
    VM_STOP_TRIPLE_FAULT, /* an exception while delivering a double fault */
};

struct vm_stats {
    uint64_t exceptions[32]; /* delivered, by vector */
    uint64_t soft_ints;      /* INT n / INT3 / INTO executed */
};

struct vm {
    struct physmem mem;
    struct bus bus;
    struct cpu cpu;
    struct uart16550 com1;
    struct debug_exit exit_port;
    FILE *console;        /* where COM1's output goes; NULL: nowhere */
    int exit_status;
    struct vm_stats stats;
};

/* Build a machine with `ram` bytes of RAM; console output to `console`.
 * Returns 0 or a negative errno. */
int vm_init(struct vm *vm, uint64_t ram, FILE *console);
void vm_destroy(struct vm *vm);

/* Load a Multiboot kernel from a file. Returns 0; or a negative errno with
 * one sentence in `err` naming the file and the problem. */
int vm_load_file(struct vm *vm, const char *path, const char *cmdline, char *err, size_t errlen);

/* Run until the guest stops or `max_insns` instructions have retired. */
enum vm_stop vm_run(struct vm *vm, uint64_t max_insns);

const char *vm_stop_name(enum vm_stop why);

#endif

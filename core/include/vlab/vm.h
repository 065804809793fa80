/* A virtual machine: RAM, the bus with its devices, one vcpu, and the loop
 * that runs it. The `emu` engine: the guest kernel runs on the simulated CPU
 * at CPL 0 and every exception and interrupt is delivered through the
 * guest's own IDT, as on bare metal.
 *
 * The machine is a PC: a pair of 8259A PICs, an 8254 PIT on IRQ 0, the
 * MC146818 RTC/CMOS on IRQ 8, a 16550 UART (COM1) on IRQ 4, the local APIC
 * at 0xFEE00000 and QEMU's isa-debug-exit port at 0xf4.
 *
 * Virtual time: the simulated CPU runs at a nominal 100 MIPS, every retired
 * instruction taking VLAB_NS_PER_INSN nanoseconds, and time jumps ahead
 * while the CPU waits in HLT:
 *
 *     now (ns) = cpu->icount * VLAB_NS_PER_INSN + vm->idle_ns
 *
 * The PIT, the local APIC timer and the RTC run on this clock and the TSC
 * counts it in instruction times (idle jumps add to cpu->tsc_offset), so
 * the same guest always gives the same run, byte for byte and instruction
 * for instruction. The host's clock is never read. */
#ifndef VLAB_VM_H
#define VLAB_VM_H

#include <stdio.h>

#include "vlab/cpu.h"
#include "vlab/dev.h"
#include "vlab/mem.h"
#include "vlab/trace.h"

enum vm_stop {
    VM_STOP_EXIT,         /* the guest wrote to isa-debug-exit: see vm->exit_status */
    VM_STOP_BUDGET,       /* the instruction budget ran out */
    VM_STOP_HALTED,       /* HLT with nothing that could wake the CPU */
    VM_STOP_TRIPLE_FAULT, /* an exception while delivering a double fault */
};

#define VLAB_NS_PER_INSN 10u /* per retired instruction: a nominal 100 MIPS */

/* The devices with deadlines, each advanced by the run loop. */
enum vm_timer { VM_TIMER_PIT, VM_TIMER_CMOS, VM_TIMER_LAPIC, VM_TIMERS };

struct vm {
    struct physmem mem;
    struct bus bus;
    struct cpu cpu;
    struct pic8259 pic;
    struct pit8254 pit;
    struct cmos cmos;
    struct lapic lapic;
    struct uart16550 com1;
    struct debug_exit exit_port;
    FILE *console;        /* where COM1's output goes; NULL: nowhere */
    uint8_t *input;       /* COM1's input read by vm_load_input(), owned */
    int exit_status;
    struct trace trace;   /* the event stream and its statistics (vlab/trace.h) */

    /* Run state. */
    uint64_t idle_ns;                /* virtual time spent halted */
    uint64_t deadline[VM_TIMERS];    /* when each timed device needs a look */
    uint64_t next_deadline;          /* the earliest of them */
    bool dirty;                      /* a device moved a deadline or raised INT */
    bool in_cpu;                     /* inside cpu_run(): a kick must stop it */
    bool halted;                     /* in HLT, waiting for an interrupt */
};

/* Build a machine with `ram` bytes of RAM; console output to `console`.
 * Returns 0 or a negative errno. */
int vm_init(struct vm *vm, uint64_t ram, FILE *console);
void vm_destroy(struct vm *vm);

/* Load a Multiboot kernel from a file, with `nmodules` modules: each string
 * is "PATH [ARGUMENTS]", the file to load and, whole, the module's command
 * line (as GRUB's `module` line). Returns 0; or a negative errno with one
 * sentence in `err` naming the file and the problem. */
#define VM_MAX_MODULES 16

int vm_load_file(struct vm *vm, const char *path, const char *cmdline, const char *const *modules,
                 unsigned nmodules, char *err, size_t errlen);

/* Give COM1 the bytes of a file as input. Returns 0; or a negative errno
 * with one sentence in `err` naming the file and the problem. */
int vm_load_input(struct vm *vm, const char *path, char *err, size_t errlen);

/* Give COM1 `len` bytes of input (the caller keeps them alive). */
void vm_set_input(struct vm *vm, const uint8_t *input, size_t len);

/* Run until the guest stops or `max_insns` instructions have retired. A
 * halted CPU waiting for a timer lets virtual time jump without retiring
 * instructions. Calling again continues the run. */
enum vm_stop vm_run(struct vm *vm, uint64_t max_insns);

/* Virtual time now, in nanoseconds (see the top of this file). */
uint64_t vm_now_ns(const struct vm *vm);

/* External interrupts delivered so far, all vectors together. */
uint64_t vm_interrupt_count(const struct vm *vm);

const char *vm_stop_name(enum vm_stop why);

#endif

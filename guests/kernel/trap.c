/* trap.c - where every exception, interrupt and system call arrives
 * (trapasm.S calls trap with the trap frame) and what becomes of it.
 *
 *   system call (INT 0x80)  syscall.c
 *   timer (IRQ 0)           preempt: the interrupted process yields
 *   page fault              copy-on-write or demand-zero (fault.c), if
 *                           that is what it is
 *   any other exception     from user mode: the process is killed (or
 *                           resumes at its onfault address); from the
 *                           kernel: panic
 */
#include "kernel.h"
#include "syscall.h"

typedef void trap_handler(struct trapframe *tf);

/* Exception names (SDM Vol. 3A, 6.3.1, Table 6-1). */
static const char *const exception_names[32] = {
    [0] = "divide error",
    [1] = "debug exception",
    [2] = "non-maskable interrupt",
    [3] = "breakpoint",
    [4] = "overflow",
    [5] = "BOUND range exceeded",
    [6] = "invalid opcode",
    [7] = "device not available",
    [8] = "double fault",
    [10] = "invalid TSS",
    [11] = "segment not present",
    [12] = "stack-segment fault",
    [13] = "general protection fault",
    [14] = "page fault",
    [16] = "x87 floating-point error",
    [17] = "alignment check",
    [18] = "machine check",
    [19] = "SIMD floating-point exception",
};

static const char *trap_name(uint32_t vector)
{
    if (vector < ARRAY_SIZE(exception_names) && exception_names[vector])
        return exception_names[vector];
    return "unexpected trap";
}

/* Say why the current process dies, from the trap frame (and, for a page
 * fault, the address). */
static void report_kill(const struct trapframe *tf, uint32_t cr2)
{
    kprintf("kernel: pid %d (%s) killed: %s", current->pid, current->name, trap_name(tf->trapno));
    if (tf->trapno == T_PF)
        kprintf(" at 0x%08x (%s, %s)", cr2, tf->err & PF_W ? "write" : "read",
                tf->err & PF_P ? "protection violation" : "page not present");
    else if (tf->err)
        kprintf(" (error code 0x%x)", tf->err);
    kprintf("\n");
}

/* An exception nobody resolved. In the kernel, a bug: panic. In a user
 * process: resume at its onfault address if it set one (and did not fault
 * there), else kill it. */
static void fatal(struct trapframe *tf, uint32_t cr2)
{
    if (!tf_from_user(tf))
        panic("%s (vector %u, error code 0x%x) in the kernel at eip 0x%08x, cr2 0x%08x", trap_name(tf->trapno),
              tf->trapno, tf->err, tf->eip, cr2);
    if (current->onfault && tf->eip != current->onfault) {
        tf->eip = current->onfault;
        return;
    }
    report_kill(tf, cr2);
    current->killed = true;
}

static void exception(struct trapframe *tf)
{
    fatal(tf, 0);
}

/* The kernel touches user memory only after uaccess_check, so it resolves
 * only the faults of user mode. */
static void page_fault(struct trapframe *tf)
{
    uint32_t va = arch->read_cr2();
    if (tf_from_user(tf) && vm_fault(current, va, tf->err & PF_W) == 0)
        return;
    fatal(tf, va);
}

/* IRQ 0, TIMER_HZ times a second. A process interrupted in user mode has
 * had its time slice: round robin moves on. (The kernel itself is
 * interrupted only when idle, in the scheduler.) */
static void timer_interrupt(struct trapframe *tf)
{
    pic_eoi(0); /* first: the next process needs the next tick */
    if (current && tf_from_user(tf))
        yield();
}

/* An IRQ of a device the kernel does not drive (all are masked), or a
 * spurious one: acknowledge and forget it. */
static void other_irq(struct trapframe *tf)
{
    pic_eoi(tf->trapno - T_IRQ0);
}

static void system_call(struct trapframe *tf)
{
    syscall(tf);
}

static trap_handler *const handlers[] = {
    [T_PF] = page_fault,
    [T_IRQ0] = timer_interrupt,
    [T_SYSCALL] = system_call,
};

static trap_handler *handler_of(uint32_t vector)
{
    if (vector < ARRAY_SIZE(handlers) && handlers[vector])
        return handlers[vector];
    if (vector >= T_IRQ0 && vector < T_IRQ0 + 16)
        return other_irq;
    return exception;
}

/* Handle the trap TF; then, if the current process was killed and is about
 * to return to user mode, let it exit instead. */
void trap(struct trapframe *tf)
{
    handler_of(tf->trapno)(tf);
    if (current && current->killed && tf_from_user(tf))
        exit(-1);
}

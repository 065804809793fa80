/* arch.h - the arch-ops table: every privileged operation of the kernel.
 *
 * The kernel never executes a privileged instruction itself: it calls
 * through `arch`, a table of function pointers chosen once at boot. The
 * native table (arch_native.c) executes the instruction; it is what runs on
 * bare metal, on QEMU and on vlab's `emu` engine. Lab 3 adds a second,
 * paravirtual table whose entries ask a hypervisor instead (a hypercall, a
 * write to a shared page), for a kernel that runs deprivileged at CPL 1.
 * Linux does the same with pv_ops, Xen being the hypervisor.
 *
 * Rules that keep a second table possible:
 *   - the operations say what the kernel wants ("load this page
 *     directory"), not which instruction does it;
 *   - every page-table entry is written through set_pte, because a
 *     hypervisor may want to check each one (Xen's mmu_update);
 *   - nothing else in the kernel uses inline assembly for a privileged or
 *     IOPL-sensitive instruction (CLI, STI, HLT, IN, OUT, MOV to/from CRn,
 *     LGDT, LIDT, LTR, INVLPG). The code that enters and leaves traps
 *     (trapasm.S, swtch.S) uses only PUSH, POP, MOV to segment registers
 *     and IRET.
 */
#ifndef ARCH_H
#define ARCH_H

#include <stdint.h>

#include "x86.h"

struct arch_ops {
    const char *name;

    /* Descriptor tables. load_gdt also reloads CS, DS, ES, FS, GS and SS
     * from the new table (KERNEL_CS and KERNEL_DS). */
    void (*load_gdt)(const struct pseudo_desc *gdtr);
    void (*load_idt)(const struct pseudo_desc *idtr);
    void (*load_tr)(uint16_t selector);
    /* The stack the CPU switches to on a trap from ring 3 (TSS.ESP0). */
    void (*set_kernel_stack)(uint32_t esp0);

    /* The interrupt flag. The kernel runs with interrupts disabled; only
     * user mode and the idle loop take them. */
    void (*irq_disable)(void);
    /* Enable interrupts and wait for one, with no window between the two in
     * which an interrupt could slip by unseen. Returns after the interrupt
     * was handled, with interrupts enabled. */
    void (*safe_halt)(void);
    /* Stop this CPU (interrupts stay as they are). */
    void (*halt)(void);

    /* Control registers and the TLB. */
    uint32_t (*read_cr0)(void);
    void (*write_cr0)(uint32_t value);
    uint32_t (*read_cr4)(void);
    void (*write_cr4)(uint32_t value);
    uint32_t (*read_cr2)(void); /* the linear address of the last page fault */
    void (*load_cr3)(uint32_t pgdir_pa); /* switch address spaces; flushes the TLB */
    void (*invlpg)(uint32_t va);         /* forget the TLB entry of one page */
    /* Write one page-directory or page-table entry. */
    void (*set_pte)(pte_t *entry, pte_t value);

    /* Port I/O. */
    uint8_t (*inb)(uint16_t port);
    void (*outb)(uint16_t port, uint8_t value);

    /* CPUID is not privileged, but a hypervisor may want to change what it
     * reports, so it goes through the table too: regs = EAX, EBX, ECX, EDX. */
    void (*cpuid)(uint32_t leaf, uint32_t regs[4]);
};

/* The table in use; main.c sets it first thing. */
extern const struct arch_ops *arch;
extern const struct arch_ops arch_native;

#endif

/* main.c - the boot sequence. entry.S calls kmain on the boot stack, in
 * protected mode with flat segments, paging off and interrupts disabled. */
#include "kernel.h"

#define MULTIBOOT_BOOTLOADER_MAGIC 0x2badb002u

void kmain(uint32_t magic, const struct multiboot_info *mbi);

/* Each step needs the ones before it: the console to report, the command
 * line saved before its page is freed, the free pages for the page tables, the IDT before anything can trap, paging
 * before the first address space. Interrupts stay disabled in the kernel;
 * the first return to user mode enables them (exec.c gives user mode
 * EFLAGS.IF = 1). */
void kmain(uint32_t magic, const struct multiboot_info *mbi)
{
    arch = &arch_native;
    console_init();
    kprintf("kernel: booting (arch ops: %s)\n", arch->name);
    if (magic != MULTIBOOT_BOOTLOADER_MAGIC)
        panic("not started by a Multiboot loader (eax = 0x%08x)", magic);
    cmdline_init(mbi);
    kmem_init(mbi);
    desc_init();
    kprintf("kernel: GDT, TSS and IDT loaded\n");
    pic_init();
    pit_init(TIMER_HZ);
    kprintf("kernel: PIC remapped to vectors %u-%u, PIT at %u Hz\n", T_IRQ0, T_IRQ0 + 15, TIMER_HZ);
    vm_init();
    proc_start_init();
    kprintf("kernel: starting init\n");
    scheduler();
}

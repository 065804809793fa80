/* entry.S - where the kernel starts.
 *
 * A Multiboot (v1) loader (QEMU's -kernel, vlab run, GRUB) finds the header
 * below in the first 8 KiB of the image, loads the image at the physical
 * addresses link.ld gave it, and jumps to _start in 32-bit protected mode
 * with flat segments, paging off and interrupts disabled, EAX holding the
 * magic value 0x2badb002 and EBX the physical address of the boot
 * information (Multiboot Specification 0.6.96, sections 3.1 and 3.2).
 * We need a stack, and then C: kmain in main.c.
 */
#define MB_MAGIC 0x1badb002
#define MB_FLAGS 0x00000002 /* bit 1: pass the memory map */

    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

    .text
    .globl _start
_start:
    movl $boot_stack_top, %esp
    pushl %ebx                  /* kmain(magic, mbi) */
    pushl %eax
    call kmain                  /* never returns: it becomes the scheduler */

/* The boot stack, which the scheduler keeps using; each process has a
 * kernel stack of its own (proc.c). */
    .bss
    .align 16
    .space 8192
boot_stack_top:

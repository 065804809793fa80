/* The entry of the small bare-metal guests (hello, compute): a Multiboot
 * header, a stack, and a call to guest_main(magic, multiboot_info). A guest
 * includes this file from its own boot.S. If guest_main returns, the CPU
 * halts. */
    .set MB_MAGIC, 0x1BADB002
    .set MB_FLAGS, 0x00000002          /* we want the memory information */

    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

    .section .bss
    .align 16
stack:  .skip 8192
stack_top:

    .section .text
    .globl _start
_start:
    mov $stack_top, %esp
    push %ebx                          /* the Multiboot information */
    push %eax                          /* the boot loader's magic value */
    call guest_main
1:  hlt
    jmp 1b

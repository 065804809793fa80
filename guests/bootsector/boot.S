/* A boot sector for emulators without a Multiboot loader (Bochs): it loads
 * a flat copy of a Multiboot kernel from the floppy, enters protected mode,
 * puts the kernel where its ELF headers say, and jumps to it as a Multiboot
 * loader would (EAX = 0x2BADB002, EBX = the Multiboot information).
 * `vlab bench --compare bochs` writes the floppy (cli/bench_bochs.c):
 *
 *   sector 0      this boot sector; the word at 0x1fc: sectors to load
 *   sector 1      the parameter block: load address, bytes to copy, end of
 *                 the zeroed bss, entry point, KiB of RAM above 1 MiB, and
 *                 the command line (from offset 20, NUL-terminated)
 *   sector 2...   the kernel's bytes, from its load address on
 *
 * The BIOS runs it in real mode at 0x7c00 with the boot drive in DL. It
 * reads sectors 1... to 0x10000 one at a time through INT 13h (a 1.44 MB
 * floppy: 18 sectors a track, 2 heads), so at most 1151 sectors (575 KiB:
 * up to the BIOS data at 0xa0000). Not a guest of its own: it never runs
 * under vlab, which loads Multiboot kernels itself. */
    .set LOAD_SEG, 0x1000            /* the parameter block lands at 0x10000 */
    .set PARAMS, 0x10000
    .set MBI, 0x8000                 /* where the Multiboot information is built */
    .set SECTORS_PER_TRACK, 18
    .set HEADS, 2

    .code16
    .section .boot, "ax"
    .globl _start
_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %ss
    mov $0x7c00, %sp
    mov %dl, drive
    mov $LOAD_SEG, %ax
    mov %ax, %es
    mov $1, %si                      /* the sector to read (LBA) */
read_next:
    cmp sectors, %si
    ja loaded
    mov %si, %ax                     /* LBA -> cylinder, head, sector */
    xor %dx, %dx
    mov $SECTORS_PER_TRACK, %cx
    div %cx                          /* ax = track, dx = sector - 1 */
    mov %dl, %cl
    inc %cl
    xor %dx, %dx
    mov $HEADS, %bx
    div %bx                          /* ax = cylinder, dx = head */
    mov %al, %ch
    mov %dl, %dh
    mov drive, %dl
    xor %bx, %bx
    mov $0x0201, %ax                 /* read one sector to ES:BX */
    int $0x13
    jc read_next                     /* retry: floppies fail now and then */
    mov %es, %ax
    add $0x20, %ax                   /* 512 bytes on */
    mov %ax, %es
    inc %si
    jmp read_next

loaded:
    mov $0x3fb, %dx                  /* COM1's line control: 8 data bits, as a */
    mov $0x03, %al                   /* BIOS leaves it (Bochs honours the width) */
    out %al, %dx
    in $0x92, %al                    /* the A20 line, the fast way */
    or $2, %al
    and $0xfe, %al
    out %al, $0x92
    lgdt gdt_desc
    mov %cr0, %eax
    or $1, %eax                      /* CR0.PE */
    mov %eax, %cr0
    ljmp $0x08, $protected

    .code32
protected:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %fs
    mov %ax, %gs
    mov %ax, %ss
    mov $0x7c00, %esp
    mov $PARAMS, %ebp
    cld
    mov 0(%ebp), %edi                /* the kernel's bytes to its load address */
    lea 512(%ebp), %esi
    mov 4(%ebp), %ecx
    rep movsb
    mov 8(%ebp), %ecx                /* zero the rest, up to the end of the bss */
    sub %edi, %ecx
    xor %eax, %eax
    rep stosb
    mov $MBI, %edi                   /* the Multiboot information (spec 3.3) */
    mov $22, %ecx
    rep stosl
    mov $MBI, %ebx
    movl $0x5, 0(%ebx)               /* flags: memory sizes, command line */
    movl $639, 4(%ebx)               /* KiB below 1 MiB */
    mov 16(%ebp), %eax
    mov %eax, 8(%ebx)                /* KiB above 1 MiB */
    lea 20(%ebp), %eax
    mov %eax, 16(%ebx)               /* the command line */
    mov $0x2badb002, %eax
    jmp *12(%ebp)

    .align 8
gdt:
    .quad 0
    .quad 0x00cf9a000000ffff         /* 0x08: code, base 0, 4 GiB, 32-bit */
    .quad 0x00cf92000000ffff         /* 0x10: data, base 0, 4 GiB */
gdt_desc:
    .word gdt_desc - gdt - 1
    .long gdt
drive:
    .byte 0

    .org 0x1fc
sectors:
    .word 0                          /* patched: the sectors after this one */
    .byte 0x55, 0xaa

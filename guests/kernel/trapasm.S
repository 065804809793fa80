/* trapasm.S - the way into the kernel from a trap, and the way out.
 *
 * Every exception, interrupt and system call enters through an interrupt
 * gate of the IDT (desc.c). From ring 3 the CPU first switches to the
 * kernel stack named by TSS.SS0:ESP0 and pushes the user SS and ESP; then,
 * from any ring, it pushes EFLAGS, CS and EIP, and for some exceptions an
 * error code (SDM Vol. 3A, 6.12.1). An interrupt gate also clears IF.
 *
 * Each vector's stub pushes a 0 where the CPU pushed no error code, so that
 * all frames look alike, then its vector number, and jumps to alltraps,
 * which saves the rest and calls trap(tf) (trap.c). The finished frame is
 * struct trapframe (x86.h, with a picture). trapret undoes it all and
 * IRETs, back to the interrupted code, or to user mode for the first time
 * for a new process.
 */
#include "syscall.h"
#include "x86.h"

/* VECTOR n, cpu_pushes_error: the stub of vector n, and a row (n, stub)
 * in trap_table, from which desc.c fills the IDT. */
.macro VECTOR n, cpu_pushes_error
    .pushsection .rodata
    .long \n, vector\n
    .popsection
vector\n:
    .if \cpu_pushes_error == 0
    pushl $0
    .endif
    pushl $\n
    jmp alltraps
.endm

    .pushsection .rodata
    .align 4
    .globl trap_table
trap_table:
    .popsection

    .text
/* Exceptions (Table 6-1): the CPU pushes an error code for #DF (8), #TS,
 * #NP, #SS, #GP, #PF (10-14) and #AC (17). */
    .irp n, 0,1,2,3,4,5,6,7,9,15,16,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    VECTOR \n, 0
    .endr
    .irp n, 8,10,11,12,13,14,17
    VECTOR \n, 1
    .endr
/* The 16 IRQs of the two PICs (pic.c remaps them to 32..47). */
    .irp n, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
    VECTOR \n, 0
    .endr
/* System calls (syscall.h). */
    VECTOR T_SYSCALL, 0

    .pushsection .rodata
    .globl trap_table_end
trap_table_end:
    .popsection

/* Save the data segment registers and the general registers, switch to the
 * kernel's data segment (ring 3 had its own in DS and ES), and call
 * trap(tf) with tf = the frame's address. */
alltraps:
    pushl %ds
    pushl %es
    pushl %fs
    pushl %gs
    pushal
    movl $KERNEL_DS, %eax
    movl %eax, %ds
    movl %eax, %es
    pushl %esp
    call trap
    addl $4, %esp
    /* fall through */

/* Return from a trap: restore what alltraps saved, drop the vector and the
 * error code, and IRET. A new process starts here (proc_alloc). */
    .globl trapret
trapret:
    popal
    popl %gs
    popl %fs
    popl %es
    popl %ds
    addl $8, %esp
    iret

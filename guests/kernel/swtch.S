/* swtch.S - switch kernel stacks: the heart of the scheduler.
 *
 *   void swtch(struct context **save, struct context *load);
 *
 * Push the registers a C function must preserve (EBP, EBX, ESI, EDI; the
 * System V i386 ABI) on the current stack, store the stack pointer - which
 * now points at a struct context, its EIP being swtch's return address -
 * in *save, switch to the stack `load`, pop the same registers from it, and
 * return to wherever that context was saved. So a call to swtch returns
 * only when some later swtch switches back to it (proc.c).
 *
 *   load/save ->  +-----+
 *                 | edi |  struct context (kernel.h)
 *                 | esi |
 *                 | ebx |
 *                 | ebp |
 *                 | eip |  the return address
 *                 +-----+
 *
 * A new process's first context returns to trapret instead (proc_alloc).
 */
    .text
    .globl swtch
swtch:
    movl 4(%esp), %eax          /* save */
    movl 8(%esp), %edx          /* load */
    pushl %ebp
    pushl %ebx
    pushl %esi
    pushl %edi
    movl %esp, (%eax)
    movl %edx, %esp
    popl %edi
    popl %esi
    popl %ebx
    popl %ebp
    ret

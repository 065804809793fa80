/* entry.S - where the guest starts, one stub per interrupt vector, and the
 * ways into and out of ring 3.
 *
 * Read with check.c (trap(), which every stub calls) and user.c (the ring-3
 * checks, which use run_user and the call gate targets below). */
#include "selectors.h"

/* Multiboot v1 header (Multiboot Specification 0.6.96, 3.1.1): magic,
 * flags (bit 1: please pass the memory map; we do not use it), checksum.
 * The loader enters _start in flat 32-bit protected mode, paging off,
 * interrupts disabled (3.2). */
#define MB_MAGIC 0x1badb002
#define MB_FLAGS 0x00000002

    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

    .text
    .globl _start
_start:
    cli
    cld
    movl $__bss_start, %edi     /* zero .bss: stacks, tables, counters */
    movl $__bss_end, %ecx
    subl %edi, %ecx
    xorl %eax, %eax
    rep stosb
    movl $boot_stack_top, %esp
    pushl $0x2                  /* EFLAGS: IOPL 0, IF 0, only the fixed bit */
    popfl
    call kmain
1:  hlt
    jmp 1b

/*
 * The exception and interrupt stubs.
 *
 * The CPU pushes EFLAGS, CS, EIP (and first SS, ESP when it comes from
 * ring 3), and for some exceptions an error code (SDM Vol. 3A, 6.12.1 and
 * Table 6-1). Each stub makes the frames alike, pushing a 0 where the CPU
 * pushed no error code, then pushes its vector and jumps to alltraps.
 * STUB also adds a row (vector, stub address) to trap_table, from which
 * desc.c fills the IDT.
 */
.macro STUB vector, cpu_pushes_error
    .pushsection .rodata
    .long \vector, stub_\vector
    .popsection
stub_\vector:
    .if \cpu_pushes_error == 0
    pushl $0
    .endif
    pushl $\vector
    jmp alltraps
.endm

    .pushsection .rodata
    .align 4
    .globl trap_table
trap_table:
    .popsection

    STUB 0, 0       /* #DE divide error */
    STUB 1, 0       /* #DB debug */
    STUB 2, 0       /* NMI */
    STUB 3, 0       /* #BP breakpoint (INT3) */
    STUB 4, 0       /* #OF overflow (INTO) */
    STUB 5, 0       /* #BR BOUND range exceeded */
    STUB 6, 0       /* #UD invalid opcode */
    STUB 7, 0       /* #NM device not available */
    STUB 8, 1       /* #DF double fault (error code 0) */
    STUB 9, 0       /* coprocessor segment overrun (reserved) */
    STUB 10, 1      /* #TS invalid TSS */
    STUB 11, 1      /* #NP segment not present */
    STUB 12, 1      /* #SS stack fault */
    STUB 13, 1      /* #GP general protection */
    STUB 14, 1      /* #PF page fault */
    STUB 15, 0      /* reserved */
    STUB 16, 0      /* #MF x87 floating-point error */
    STUB 17, 1      /* #AC alignment check (error code 0) */
    STUB 18, 0      /* #MC machine check */
    STUB 19, 0      /* #XM SIMD floating-point */
    STUB 20, 0      /* #VE virtualization exception */
    STUB 21, 1      /* #CP control protection */
    STUB 22, 0
    STUB 23, 0
    STUB 24, 0
    STUB 25, 0
    STUB 26, 0
    STUB 27, 0
    STUB 28, 0
    STUB 29, 0
    STUB 30, 0
    STUB 31, 0
    STUB 0x40, 0    /* VEC_RING0_ONLY */
    STUB 0x41, 0    /* VEC_NOT_PRESENT */
    STUB 0x42, 0    /* VEC_INTGATE */
    STUB 0x43, 0    /* VEC_TRAPGATE */
    STUB 0x44, 0    /* VEC_BADTYPE */
    STUB 0x80, 0    /* VEC_SYSCALL */

    .pushsection .rodata
    .globl trap_table_end
trap_table_end:
    .popsection

/* Save what the handler may change, switch DS/ES to the kernel's data
 * segment (the interrupted code may have had a null or odd one), call
 * trap(frame), then undo it all and IRET. This is the layout of struct
 * trapframe in check.c, from the lowest address up. */
alltraps:
    pushl %ds
    pushl %es
    pushl %fs
    pushl %gs
    pushal
    movl $SEL_KDATA, %eax
    movl %eax, %ds
    movl %eax, %es
    pushl %esp
    call trap
    addl $4, %esp
    popal
    popl %gs
    popl %fs
    popl %es
    popl %ds
    addl $8, %esp               /* vector and error code */
    iret

/*
 * void run_user(void (*fn)(void), uint32_t eflags, const struct user_segs *segs)
 *
 * Enter ring 3 as an operating system does: build the frame that IRET pops
 * when it returns to an outer privilege level (EIP, CS, EFLAGS, ESP, SS;
 * SDM Vol. 3A, 6.12.1 Figure 6-4, and IRET in Vol. 2A) and execute IRET.
 * The kernel's callee-saved registers and EFLAGS stay on the kernel stack;
 * user_exit_stub returns to them.
 */
    .globl run_user
run_user:
    pushl %ebp
    pushl %ebx
    pushl %esi
    pushl %edi
    pushfl
    movl %esp, kernel_esp
    movl 24(%esp), %eax         /* fn */
    movl 28(%esp), %ecx         /* eflags */
    movl 32(%esp), %edx         /* segs */
    pushl $(SEL_UDATA | 3)      /* SS */
    pushl $user_stack_top       /* ESP */
    pushl %ecx                  /* EFLAGS */
    pushl $(SEL_UCODE | 3)      /* CS */
    pushl %eax                  /* EIP */
    movzwl 2(%edx), %eax
    movl %eax, %es
    movzwl 4(%edx), %eax
    movl %eax, %fs
    movzwl 6(%edx), %eax
    movl %eax, %gs
    movzwl 0(%edx), %eax
    movl %eax, %ds              /* last: the loads above read segs through DS */
    iret

/* The DPL-3 interrupt gate VEC_USER_EXIT: ring 3 is done. Forget the frame
 * on the ring-0 stack and return from run_user on the kernel stack. */
    .globl user_exit_stub
user_exit_stub:
    movl $SEL_KDATA, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %fs
    movl %eax, %gs
    movl kernel_esp, %esp
    popfl
    popl %edi
    popl %esi
    popl %ebx
    popl %ebp
    ret

/*
 * gate_target: ring 3 arrives here with a far CALL through the call gate
 * SEL_GATE3. The CPU has switched to the ring-0 stack named by the TSS and
 * pushed the caller's SS, ESP, CS and EIP (SDM Vol. 3A, 5.8.5, Figure 5-13).
 * Record what we see in user_out, load ES with a DPL-0 segment, which the
 * RETF to ring 3 must null (5.8.6, and RET in Vol. 2B), and return.
 */
    .globl gate_target
gate_target:
    movl %cs, %eax
    movl %eax, %ss:user_out+0   /* our CS: CPL 0 now */
    movl 4(%esp), %eax
    movl %eax, %ss:user_out+4   /* caller's CS */
    movl 12(%esp), %eax
    movl %eax, %ss:user_out+8   /* caller's SS */
    movl 8(%esp), %eax
    movl %eax, %ss:user_out+12  /* caller's ESP */
    movl %esp, %ss:user_out+16  /* where the frame is: ring0_stack_top - 16 */
    movl $SEL_KDATA, %eax
    movl %eax, %es
    lret

/* gate_target_params: through SEL_GATE3P, whose parameter count is 2: the
 * CPU also copied two doublewords from the caller's stack, between the
 * return address and the caller's ESP. RETF 8 drops them from both stacks. */
    .globl gate_target_params
gate_target_params:
    movl 8(%esp), %eax
    movl %eax, %ss:user_out+0   /* the parameter the caller pushed last */
    movl 12(%esp), %eax
    movl %eax, %ss:user_out+4   /* the parameter the caller pushed first */
    movl 20(%esp), %eax
    movl %eax, %ss:user_out+8   /* caller's SS */
    lret $8

    .bss
    .align 16
kernel_esp:
    .long 0
    .align 16
    .space 16384
boot_stack_top:
    .space 8192
    .globl ring0_stack_top
ring0_stack_top:                /* TSS.ESP0: ring 3 enters the kernel here */
    .space 8192
    .globl user_stack_top
user_stack_top:

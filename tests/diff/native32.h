/*
 * native32 -- run a short IA-32 machine-code sequence natively on the host
 * CPU, in 32-bit compatibility mode inside the ordinary 64-bit test process,
 * and report the resulting register state or the fault.
 *
 * This is the "oracle" half of the differential tester (tests/diff): the
 * emulator under test runs the same bytes and the results are compared.
 *
 * How it works (details in native32.c): Linux x86-64 has a ring-3 32-bit code
 * segment in its GDT (__USER32_CS = 0x23).  n32_run() copies the code to
 * N32_CODE_BASE, appends an epilogue, loads DS/ES/SS with __USER_DS (0x2b) and
 * far-returns to 0x23:entry.  A 32-bit entry stub loads EFLAGS and the eight
 * GPRs from a state block in low memory and jumps to the code; the epilogue
 * stores them back and far-jumps to 0x33 (64-bit) to come home.  CPU faults
 * arrive as signals; the handler (on its own sigaltstack) records the
 * interrupted 32-bit state from the ucontext and redirects the sigreturn to
 * the 64-bit resume point.  No syscall is made per run unless the code faults.
 *
 * Contract for the code passed to n32_run() (the caller guarantees it):
 *   - no system calls: never `int 0x80`, `sysenter`, `syscall` (that would be
 *     a real 32-bit Linux system call made by this process);
 *   - no segment register writes (mov/pop to DS/ES/SS/FS/GS, lds, far
 *     jmp/call/ret, iret) -- DS, ES and SS must stay 0x2b, FS/GS are glibc's;
 *   - it must end by running off its last byte (into the epilogue) or by
 *     faulting; it must not write to the code area's control page
 *     (N32_CODE_BASE + 0x10000, 4 KiB), nor to host memory other
 *     than the arena (all of the low 4 GiB of the process is addressable!);
 *   - x87/MMX/SSE/AVX state is not part of the interface: it starts as the
 *     host left it (x87 CW 0x37f, MXCSR 0x1f80 normally) and after each run
 *     the x87 unit is reset (fninit) and the host's x87 CW and MXCSR restored.
 * Everything else (any unprivileged instruction, privileged ones that fault,
 * stack use, flag games including TF/AC) is fine and reported faithfully.
 *
 * Things the oracle reports that are not "pure hardware":
 *   - UMIP (this host has it): sgdt/sidt/sldt/smsw/str at CPL 3 trap and the
 *     KERNEL emulates them for 32-bit code with dummy values (smsw ->
 *     0x80050033, sgdt base 0xfffe0000 limit 0, sidt base 0xffff0000 limit 0,
 *     str -> 0x40, sldt -> 0); no signal is raised.
 *   - cpuid runs under the hypervisor (virtualised leaves).
 *   - segment reads see Linux's selectors: CS 0x23, DS/ES/SS 0x2b, FS/GS 0.
 *   - if the code sets TF with its last instruction, the single-step trap
 *     fires inside the epilogue after its first (register-neutral) store:
 *     signo SIGTRAP, trapno 1, eip = N32_CODE_BASE + len + 6, registers exact.
 * Limitations: there is no timeout (an endless loop hangs the caller; arm
 * alarm() with a SIGALRM handler that has SA_ONSTACK if you need one); any
 * OTHER signal handler the process has that lacks SA_ONSTACK would run on the
 * guest ESP while the code executes; writes the code makes to the code area
 * beyond its own bytes are not undone.  CET user shadow stacks must be off
 * (the bare lretq would not match; Debian 12's glibc 2.36 never enables them).
 *
 * Not thread-safe: one harness per process; call n32_run() from the thread
 * that called n32_init() (the sigaltstack is per thread).
 */
#ifndef VLAB_TESTS_DIFF_NATIVE32_H
#define VLAB_TESTS_DIFF_NATIVE32_H

#include <stdint.h>
#include <stddef.h>

enum { N32_EAX, N32_ECX, N32_EDX, N32_EBX, N32_ESP, N32_EBP, N32_ESI, N32_EDI };

#define N32_ARENA_BASE 0x10000000u   /* guest-visible data arena, 32-bit address */
#define N32_ARENA_PAGES 16           /* 64 KiB, read/write */
#define N32_ARENA_SIZE  (N32_ARENA_PAGES * 4096u)
#define N32_CODE_BASE  0x20000000u   /* where test code is copied, 32-bit address */
#define N32_CODE_MAX   (0x10000u - 128u) /* max code length accepted by n32_run */

/* EFLAGS bits loaded from n32_state.eflags on entry (CF PF AF ZF SF DF OF). */
#define N32_EFLAGS_IN_MASK 0x0cd5u

struct n32_state {
    uint32_t r[8];        /* general registers in the order above; r[N32_ESP] is the
                             ESP the code starts with, must point into the arena
                             (anything else is allowed, but a push/call then
                             faults or scribbles on whatever it points to) */
    uint32_t eflags;      /* in: initial EFLAGS (only the arithmetic flags CF PF AF
                             ZF SF OF and DF are loaded; TF, IF, IOPL etc. are left
                             as the kernel sets them -- in practice the code starts
                             with EFLAGS = 0x202 | (eflags & N32_EFLAGS_IN_MASK));
                             out: EFLAGS after the sequence, all 32 bits as the CPU
                             had them (IF=1, bit 1=1, IOPL=0 at CPL 3; on a fault
                             it is the image from the exception frame, which can
                             have RF (bit 16) set for fault-class exceptions) */
    uint32_t eip;         /* out: on a fault, the EIP the kernel reports: for
                             fault-class exceptions (#DE #UD #GP #PF #AC ...) the
                             EIP of the faulting instruction; for trap-class ones
                             (#BP from int3, #OF from into, single-step #DB) the
                             EIP of the NEXT instruction.  Else (no fault) the
                             address just after the last instruction, i.e.
                             N32_CODE_BASE + len. */
};

struct n32_fault {
    int signo;            /* 0 if the sequence ran to its end; else SIGSEGV, SIGILL,
                             SIGFPE, SIGTRAP, SIGBUS */
    int trapno;           /* CPU vector from uc_mcontext REG_TRAPNO (0 #DE, 1 #DB,
                             3 #BP, 4 #OF, 6 #UD, 13 #GP, 14 #PF, 17 #AC ...);
                             0 when signo == 0 */
    uint32_t err;         /* error code from REG_ERR as the kernel reports it (#PF:
                             bit0 P, bit1 W, bit2 U=1; #GP from `int n`: n*8+2);
                             0 when signo == 0 */
    uint32_t addr;        /* si_addr for SIGSEGV/SIGBUS (CR2 for #PF, 0 for #GP,
                             #OF and #AC); 0 for the other signals */
};

/* Map the arena (N32_ARENA_BASE, RW, zero-filled) and the code area
 * (N32_CODE_BASE, RWX, plus one control page) at fixed addresses with
 * MAP_FIXED_NOREPLACE, set up a sigaltstack and install SA_SIGINFO|SA_ONSTACK
 * handlers for SIGSEGV SIGILL SIGFPE SIGTRAP SIGBUS (faults that do not come
 * from the 32-bit code are passed on to the previous handlers).
 * Returns 0 or -errno (-EEXIST if something already lives at those addresses;
 * -ENOTSUP when the host gives this process no 32-bit code segment: see
 * N32_UNAVAILABLE). Calling it again while initialised is a no-op returning 0. */
int  n32_init(void);

/* Why n32_init() returns -ENOTSUP, for the SKIPPED line of the tests. */
#define N32_UNAVAILABLE                                                              \
    "the host kernel gives this process no 32-bit code segment (the GDT's 0x23 is "  \
    "not present and an LDT code segment is refused: IA-32 emulation disabled, or a " \
    "paravirtualized host kernel such as PVM)"

/* Host pointer to the arena (== (uint8_t *)N32_ARENA_BASE: the mapping is
 * identity), or NULL before n32_init().  Its contents persist between runs;
 * the caller fills and reads it directly and may mprotect() page
 * N32_ARENA_BASE + 15*4096 (e.g. PROT_NONE to provoke #PF); the library
 * never changes arena protections. */
uint8_t *n32_arena(void);

/* Copy code[0..len) to N32_CODE_BASE, append the epilogue, load registers and
 * flags from *st, run, store registers/EFLAGS/EIP back in *st and the fault
 * record in *f.  Returns 0 (also when the code faulted: f->signo tells) or
 * -errno for host errors: -ENXIO not initialised, -EINVAL NULL pointers,
 * -E2BIG len > N32_CODE_MAX.  Bytes of the code area beyond the epilogue are
 * int3 (0xcc).  On return to C, DF, AC, TF, NT are clear again. */
int  n32_run(const uint8_t *code, size_t len, struct n32_state *st, struct n32_fault *f);

/* Restore the previous signal handlers and sigaltstack, unmap everything. */
void n32_fini(void);

#endif /* VLAB_TESTS_DIFF_NATIVE32_H */

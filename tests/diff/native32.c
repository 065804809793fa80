/*
 * native32.c -- run IA-32 code natively in compatibility mode (see native32.h).
 *
 * Memory layout (all below 4 GiB so 32-bit code can address it):
 *
 *   N32_ARENA_BASE  16 pages RW    guest data/stack arena
 *   N32_CODE_BASE   16 pages RWX   test code + appended epilogue, rest int3
 *   CTL = N32_CODE_BASE + 0x10000, 1 page RWX, the control page:
 *     CTL+0x000  in  r[8], eflags      (written by n32_run)
 *     CTL+0x040  out r[8], eflags      (written by the epilogue or the handler)
 *     CTL+0x068  saved host RSP        (written by n32_enter)
 *     CTL+0x070  64-bit resume address (n32_resume64)
 *     CTL+0x100..0x200  tiny stack for the stubs' pushfd/popfd
 *     CTL+0x200  entry32: 32-bit stub that loads EFLAGS + GPRs, jmp code
 *     CTL+0x300  back64:  64-bit stub: rsp = saved, jmp n32_resume64
 *
 * Control flow of one run:
 *   n32_run -> n32_enter (64-bit asm below, in .text): push callee-saved regs,
 *   x87 CW, MXCSR, DS, ES; save RSP to CTL; SS=DS=ES=0x2b; lretq to
 *   0x23:entry32 -> code -> epilogue (stores regs, pushfd, popfd 0x202,
 *   ljmp 0x33:back64) -> back64 -> n32_resume64 (restores all, rax = 0).
 *   On a CPU fault in the 32-bit code the kernel delivers a signal on our
 *   sigaltstack; the handler copies the interrupted state to CTL and rewrites
 *   the ucontext so that sigreturn lands in n32_resume64 with CS=0x33,
 *   RSP = saved RSP, RAX = 1, EFLAGS = 0x202.  Using sigreturn rather than
 *   siglongjmp means the kernel restores the signal mask and the handler
 *   returns normally (no ASan stack bookkeeping issues, no per-run
 *   sigprocmask syscall).
 */
#include "native32.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <asm/ldt.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <ucontext.h>

/* The 32-bit code segment: entry 0 of our own LDT (TI = 1, RPL 3), a flat
 * 4 GiB code segment with D = 1, L = 0. Linux's GDT has one too (0x23), but
 * a kernel with IA-32 emulation disabled (ia32_emulation=false, or
 * CONFIG_IA32_EMULATION_DEFAULT_DISABLED) marks it not present; an LDT
 * entry from modify_ldt works either way. When modify_ldt is not there
 * (CONFIG_MODIFY_LDT_SYSCALL=n), the GDT's selector is the fallback. */
#define N32_LDT_CS32  0x07
#define N32_GDT_CS32  0x23
#define N32_USER_CS   0x33
#define N32_USER_DS   0x2b

/* The selector n32_enter far-returns to (read by its asm): N32_LDT_CS32
 * once n32_init has installed the LDT entry. */
static uint64_t n32_cs32 __attribute__((used)) = N32_GDT_CS32;

#define N32_CODE_SIZE   0x10000u
#define N32_CTL         (N32_CODE_BASE + N32_CODE_SIZE)
#define N32_CTL_IN      (N32_CTL + 0x000)
#define N32_CTL_IN_EFL  (N32_CTL + 0x020)
#define N32_CTL_OUT     (N32_CTL + 0x040)
#define N32_CTL_OUT_EFL (N32_CTL + 0x060)
#define N32_CTL_RSP     (N32_CTL + 0x068)
#define N32_CTL_RESUME  (N32_CTL + 0x070)
#define N32_CTL_STACK   (N32_CTL + 0x200)
#define N32_CTL_ENTRY32 (N32_CTL + 0x200)
#define N32_CTL_BACK64  (N32_CTL + 0x300)

#define N32_STR_(x) #x
#define N32_STR(x) N32_STR_(x)

/* Literal copies of the constants for the asm below (the C macros contain
 * arithmetic and a 'u' suffix the assembler would not accept). */
#define N32_ASM_CTL_RSP     0x20010068
#define N32_ASM_CTL_ENTRY32 0x20010200
_Static_assert(N32_ASM_CTL_RSP == N32_CTL_RSP, "asm constant");
_Static_assert(N32_ASM_CTL_ENTRY32 == N32_CTL_ENTRY32, "asm constant");
#define N32_EPILOGUE_MAX 128u
_Static_assert(N32_CODE_MAX + N32_EPILOGUE_MAX <= N32_CODE_SIZE, "code area");

struct n32_ctl {
    uint32_t in[8];
    uint32_t in_eflags;
    uint32_t pad0[7];
    uint32_t out[8];
    uint32_t out_eflags;
    uint32_t pad1;
    uint64_t saved_rsp;
    uint64_t resume64;
};
_Static_assert(offsetof(struct n32_ctl, in_eflags) == 0x20, "ctl layout");
_Static_assert(offsetof(struct n32_ctl, out) == 0x40, "ctl layout");
_Static_assert(offsetof(struct n32_ctl, out_eflags) == 0x60, "ctl layout");
_Static_assert(offsetof(struct n32_ctl, saved_rsp) == 0x68, "ctl layout");
_Static_assert(offsetof(struct n32_ctl, resume64) == 0x70, "ctl layout");

#define CTL ((struct n32_ctl *)(uintptr_t)N32_CTL)

/*
 * 64-bit side of the transition.  long n32_enter(void): returns 0 when the
 * code ran to the epilogue, 1 when the signal handler redirected a fault.
 * It preserves all callee-saved state of the SysV ABI (rbx rbp r12-r15, x87
 * CW, MXCSR) and DF=0; everything else is clobbered as for a normal call.
 * n32_resume64 is entered with RSP = the value saved in CTL.
 */
__asm__(
    ".text\n"
    ".p2align 4\n"
    ".globl n32_enter\n"
    ".hidden n32_enter\n"
    ".type n32_enter, @function\n"
    "n32_enter:\n"
    "    endbr64\n"
    "    push %rbp\n"
    "    push %rbx\n"
    "    push %r12\n"
    "    push %r13\n"
    "    push %r14\n"
    "    push %r15\n"
    "    sub $8, %rsp\n"
    "    fnstcw (%rsp)\n"
    "    stmxcsr 4(%rsp)\n"
    "    mov %ds, %eax\n"
    "    push %rax\n"
    "    mov %es, %eax\n"
    "    push %rax\n"
    "    mov %rsp, " N32_STR(N32_ASM_CTL_RSP) "\n"
    "    mov $" N32_STR(N32_USER_DS) ", %eax\n"
    /* Reload SS too: guarantees a valid 32-bit SS descriptor cache (AMD's
     * SYSRET leaves SS attributes stale in some cases). */
    "    mov %eax, %ss\n"
    "    mov %eax, %ds\n"
    "    mov %eax, %es\n"
    "    pushq n32_cs32(%rip)\n"
    "    pushq $" N32_STR(N32_ASM_CTL_ENTRY32) "\n"
    "    lretq\n"
    ".size n32_enter, .-n32_enter\n"
    "\n"
    ".p2align 4\n"
    ".globl n32_resume64\n"
    ".hidden n32_resume64\n"
    ".type n32_resume64, @function\n"
    "n32_resume64:\n"
    "    endbr64\n"
    "    cld\n"
    "    pop %rcx\n"
    "    mov %ecx, %es\n"
    "    pop %rcx\n"
    "    mov %ecx, %ds\n"
    "    fninit\n"
    "    fldcw (%rsp)\n"
    "    ldmxcsr 4(%rsp)\n"
    "    add $8, %rsp\n"
    "    pop %r15\n"
    "    pop %r14\n"
    "    pop %r13\n"
    "    pop %r12\n"
    "    pop %rbx\n"
    "    pop %rbp\n"
    "    ret\n"
    ".size n32_resume64, .-n32_resume64\n");

extern long n32_enter(void);
extern char n32_resume64[];

static const int n32_sigs[] = { SIGSEGV, SIGILL, SIGFPE, SIGTRAP, SIGBUS };
#define N32_NSIGS ((int)(sizeof n32_sigs / sizeof n32_sigs[0]))

static bool g_inited;
static volatile sig_atomic_t g_active;    /* 1 while the 32-bit code may run */
static struct sigaction g_old_act[N32_NSIGS];
static stack_t g_old_ss;
static void *g_altstack;
#define N32_ALTSTACK_SIZE (256u * 1024u)
static size_t g_hiwater;                   /* code-area bytes written last run */

/* Filled by the signal handler. */
static volatile int g_f_signo, g_f_trapno;
static volatile uint32_t g_f_err, g_f_addr, g_f_eip;

static uint8_t g_epilogue[N32_EPILOGUE_MAX];
static size_t g_epilogue_len;

/* ---- tiny x86 emitter for the stubs ------------------------------------- */

static uint8_t *e8(uint8_t *p, unsigned b) { *p++ = (uint8_t)b; return p; }
static uint8_t *e16(uint8_t *p, unsigned v)
{
    p = e8(p, v & 0xff);
    return e8(p, (v >> 8) & 0xff);
}
static uint8_t *e32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p = e8(p, (v >> (8 * i)) & 0xff);
    return p;
}

/* 32-bit: mov r32, [abs32]  /  mov [abs32], r32 */
static uint8_t *e_load32(uint8_t *p, int reg, uint32_t a)
{
    p = e8(p, 0x8b);
    p = e8(p, (unsigned)(reg << 3) | 5);
    return e32(p, a);
}
static uint8_t *e_store32(uint8_t *p, int reg, uint32_t a)
{
    p = e8(p, 0x89);
    p = e8(p, (unsigned)(reg << 3) | 5);
    return e32(p, a);
}

static void build_stubs(void)
{
    uint8_t *p;

    /* entry32 (CS=0x23, DS=ES=SS=0x2b). */
    p = (uint8_t *)(uintptr_t)N32_CTL_ENTRY32;
    p = e8(p, 0xbc); p = e32(p, N32_CTL_STACK);            /* mov esp, stack   */
    p = e8(p, 0xff); p = e8(p, 0x35); p = e32(p, N32_CTL_IN_EFL); /* push [in_efl] */
    p = e8(p, 0x9d);                                         /* popfd            */
    for (int r = 0; r < 8; r++)                              /* mov reg, [in+4r] */
        if (r != N32_ESP)
            p = e_load32(p, r, N32_CTL_IN + 4u * (unsigned)r);
    p = e_load32(p, N32_ESP, N32_CTL_IN + 4u * N32_ESP);     /* esp last         */
    {                                                        /* jmp code         */
        uint32_t next = (uint32_t)(uintptr_t)p + 5;
        p = e8(p, 0xe9);
        p = e32(p, N32_CODE_BASE - next);
    }

    /* Epilogue template, copied after the test code each run.  It must not
     * touch the guest stack: switch to the control stack before pushfd. */
    p = g_epilogue;
    p = e_store32(p, N32_EAX, N32_CTL_OUT + 4u * N32_EAX);  /* mov [out+0], eax */
    p = e_store32(p, N32_ESP, N32_CTL_OUT + 4u * N32_ESP);  /* mov [out+16], esp */
    p = e8(p, 0xbc); p = e32(p, N32_CTL_STACK);             /* mov esp, stack    */
    p = e8(p, 0x9c);                                        /* pushfd            */
    p = e8(p, 0x8f); p = e8(p, 0x05); p = e32(p, N32_CTL_OUT_EFL); /* pop [out_efl] */
    for (int r = 0; r < 8; r++)
        if (r != N32_EAX && r != N32_ESP)
            p = e_store32(p, r, N32_CTL_OUT + 4u * (unsigned)r);
    p = e8(p, 0x68); p = e32(p, 0x202);                     /* push 0x202        */
    p = e8(p, 0x9d);                                        /* popfd: clear DF AC TF NT */
    p = e8(p, 0xea); p = e32(p, N32_CTL_BACK64); p = e16(p, N32_USER_CS); /* ljmp 0x33:back64 */
    g_epilogue_len = (size_t)(p - g_epilogue);   /* 73 bytes */

    /* back64 (CS=0x33). */
    p = (uint8_t *)(uintptr_t)N32_CTL_BACK64;
    p = e8(p, 0x48); p = e8(p, 0x8b); p = e8(p, 0x24); p = e8(p, 0x25);
    p = e32(p, N32_CTL_RSP);                                /* mov rsp, [rsp_save] */
    p = e8(p, 0x31); p = e8(p, 0xc0);                       /* xor eax, eax      */
    p = e8(p, 0xff); p = e8(p, 0x24); p = e8(p, 0x25);
    p = e32(p, N32_CTL_RESUME);                             /* jmp [resume64]    */

    CTL->resume64 = (uint64_t)(uintptr_t)n32_resume64;
}

/* ---- signals -------------------------------------------------------------- */

static void n32_forward(int idx, int sig, siginfo_t *si, void *ctx)
{
    const struct sigaction *old = &g_old_act[idx];

    if (old->sa_flags & SA_SIGINFO) {
        if (old->sa_sigaction) {
            old->sa_sigaction(sig, si, ctx);
            return;
        }
    } else if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN) {
        old->sa_handler(sig);
        return;
    }
    /* Default action: reinstate it and let the fault happen again (or
     * re-raise what will not repeat by itself). */
    sigaction(sig, old, NULL);
    if (sig == SIGTRAP || si->si_code <= 0)
        raise(sig);
}

static void n32_handler(int sig, siginfo_t *si, void *ctx)
{
    /* The kernel clears DF/TF/RF for the handler but not AC: if the guest set
     * AC, clear it before C code can do an unaligned access.  (Skip the red
     * zone, the compiler may use it.) */
    __asm__ volatile("lea -128(%%rsp), %%rsp\n\t"
                     "pushfq\n\t"
                     "andl $~0x40000, (%%rsp)\n\t"
                     "popfq\n\t"
                     "lea 128(%%rsp), %%rsp"
                     ::: "cc", "memory");

    ucontext_t *uc = ctx;
    greg_t *g = uc->uc_mcontext.gregs;
    int idx = 0;
    while (idx < N32_NSIGS - 1 && n32_sigs[idx] != sig)
        idx++;

    if (!g_active || (g[REG_CSGSFS] & 0xffff) != n32_cs32 || si->si_code <= 0) {
        n32_forward(idx, sig, si, ctx);
        return;
    }

    struct n32_ctl *c = CTL;
    c->out[N32_EAX] = (uint32_t)g[REG_RAX];
    c->out[N32_ECX] = (uint32_t)g[REG_RCX];
    c->out[N32_EDX] = (uint32_t)g[REG_RDX];
    c->out[N32_EBX] = (uint32_t)g[REG_RBX];
    c->out[N32_ESP] = (uint32_t)g[REG_RSP];
    c->out[N32_EBP] = (uint32_t)g[REG_RBP];
    c->out[N32_ESI] = (uint32_t)g[REG_RSI];
    c->out[N32_EDI] = (uint32_t)g[REG_RDI];
    c->out_eflags = (uint32_t)g[REG_EFL];
    g_f_eip = (uint32_t)g[REG_RIP];
    g_f_signo = sig;
    g_f_trapno = (int)g[REG_TRAPNO];
    g_f_err = (uint32_t)g[REG_ERR];
    g_f_addr = (sig == SIGSEGV || sig == SIGBUS) ? (uint32_t)(uintptr_t)si->si_addr : 0;
    g_active = 0;

    /* Return to 64-bit mode at n32_resume64 via sigreturn. */
    g[REG_RIP] = (greg_t)(uintptr_t)n32_resume64;
    g[REG_RSP] = (greg_t)c->saved_rsp;
    g[REG_RAX] = 1;
    g[REG_EFL] = 0x202;
    g[REG_CSGSFS] = (greg_t)(((uint64_t)g[REG_CSGSFS] & 0x0000ffffffff0000ull) |
                             N32_USER_CS | ((uint64_t)N32_USER_DS << 48));
}

/* ---- API ------------------------------------------------------------------ */

static int map_fixed(uint32_t addr, size_t len, int prot)
{
    void *p = mmap((void *)(uintptr_t)addr, len, prot,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p == MAP_FAILED)
        return -errno;
    if (p != (void *)(uintptr_t)addr) {     /* kernel without NOREPLACE: hint */
        munmap(p, len);
        return -EEXIST;
    }
    return 0;
}

/* Is `sel` a present code segment this process may far-return to, for
 * 32-bit code (D = 1, L = 0)? LAR answers without faulting. */
static bool cs32_usable(uint16_t sel)
{
    uint32_t ar = 0;
    uint8_t ok = 0;
    __asm__ volatile("lar %2, %0\n\tsetz %1" : "=r"(ar), "=q"(ok) : "r"((uint32_t)sel) : "cc");
    return ok && (ar & 0x8000) && (ar & 0x1800) == 0x1800 && (ar & 0x400000) && !(ar & 0x200000);
}

/* Choose the 32-bit code segment: our LDT entry 0 (see N32_LDT_CS32), else
 * the GDT's. Returns 0, or -ENOTSUP when the host offers neither. */
static int choose_cs32(void)
{
    struct user_desc d = {
        .entry_number = 0,
        .base_addr = 0,
        .limit = 0xfffff,
        .seg_32bit = 1,
        .contents = MODIFY_LDT_CONTENTS_CODE,
        .limit_in_pages = 1,
        .useable = 1,
    };
    if (syscall(SYS_modify_ldt, 1, &d, sizeof d) == 0 && cs32_usable(N32_LDT_CS32)) {
        n32_cs32 = N32_LDT_CS32;
        return 0;
    }
    if (cs32_usable(N32_GDT_CS32)) {
        n32_cs32 = N32_GDT_CS32;
        return 0;
    }
    return -ENOTSUP;
}

int n32_init(void)
{
    int rc, i;

    if (g_inited)
        return 0;
    rc = choose_cs32();
    if (rc)
        return rc;
    rc = map_fixed(N32_ARENA_BASE, N32_ARENA_SIZE, PROT_READ | PROT_WRITE);
    if (rc)
        return rc;
    rc = map_fixed(N32_CODE_BASE, N32_CODE_SIZE + 4096, PROT_READ | PROT_WRITE | PROT_EXEC);
    if (rc)
        goto err_arena;
    memset((void *)(uintptr_t)N32_CODE_BASE, 0xcc, N32_CODE_SIZE + 4096);
    g_hiwater = 0;
    build_stubs();

    g_altstack = mmap(NULL, N32_ALTSTACK_SIZE, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (g_altstack == MAP_FAILED) {
        rc = -errno;
        goto err_code;
    }
    stack_t ss = { .ss_sp = g_altstack, .ss_size = N32_ALTSTACK_SIZE, .ss_flags = 0 };
    if (sigaltstack(&ss, &g_old_ss)) {
        rc = -errno;
        goto err_alt;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = n32_handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    for (i = 0; i < N32_NSIGS; i++) {
        if (sigaction(n32_sigs[i], &sa, &g_old_act[i])) {
            rc = -errno;
            goto err_sig;
        }
    }
    g_active = 0;
    g_inited = true;
    return 0;

err_sig:
    while (--i >= 0)
        sigaction(n32_sigs[i], &g_old_act[i], NULL);
    sigaltstack(&g_old_ss, NULL);
err_alt:
    munmap(g_altstack, N32_ALTSTACK_SIZE);
    g_altstack = NULL;
err_code:
    munmap((void *)(uintptr_t)N32_CODE_BASE, N32_CODE_SIZE + 4096);
err_arena:
    munmap((void *)(uintptr_t)N32_ARENA_BASE, N32_ARENA_SIZE);
    return rc;
}

uint8_t *n32_arena(void)
{
    return g_inited ? (uint8_t *)(uintptr_t)N32_ARENA_BASE : NULL;
}

int n32_run(const uint8_t *code, size_t len, struct n32_state *st, struct n32_fault *f)
{
    if (!g_inited)
        return -ENXIO;
    if (!st || !f || (!code && len))
        return -EINVAL;
    if (len > N32_CODE_MAX)
        return -E2BIG;

    uint8_t *cb = (uint8_t *)(uintptr_t)N32_CODE_BASE;
    size_t end = len + g_epilogue_len;
    if (len)
        memcpy(cb, code, len);
    memcpy(cb + len, g_epilogue, g_epilogue_len);
    if (g_hiwater > end)
        memset(cb + end, 0xcc, g_hiwater - end);
    g_hiwater = end;

    struct n32_ctl *c = CTL;
    memcpy(c->in, st->r, sizeof c->in);
    c->in_eflags = 0x202u | (st->eflags & N32_EFLAGS_IN_MASK);
    g_f_signo = 0;
    g_f_trapno = 0;
    g_f_err = 0;
    g_f_addr = 0;

    g_active = 1;
    __asm__ volatile("" ::: "memory");
    long faulted = n32_enter();
    __asm__ volatile("" ::: "memory");
    g_active = 0;

    memcpy(st->r, c->out, sizeof st->r);
    st->eflags = c->out_eflags;
    if (faulted) {
        st->eip = g_f_eip;
        f->signo = g_f_signo;
        f->trapno = g_f_trapno;
        f->err = g_f_err;
        f->addr = g_f_addr;
    } else {
        st->eip = N32_CODE_BASE + (uint32_t)len;
        f->signo = 0;
        f->trapno = 0;
        f->err = 0;
        f->addr = 0;
    }
    return 0;
}

void n32_fini(void)
{
    if (!g_inited)
        return;
    for (int i = 0; i < N32_NSIGS; i++)
        sigaction(n32_sigs[i], &g_old_act[i], NULL);
    sigaltstack(&g_old_ss, NULL);
    munmap(g_altstack, N32_ALTSTACK_SIZE);
    g_altstack = NULL;
    munmap((void *)(uintptr_t)N32_CODE_BASE, N32_CODE_SIZE + 4096);
    munmap((void *)(uintptr_t)N32_ARENA_BASE, N32_ARENA_SIZE);
    g_inited = false;
}

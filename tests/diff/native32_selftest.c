/*
 * native32_selftest.c -- checks the native IA-32 oracle (native32.c).
 *
 * gcc -std=c11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE \
 *     tests/diff/native32.c tests/diff/native32_selftest.c -o /tmp/n32 && /tmp/n32
 * (also with -fsanitize=address,undefined -fno-omit-frame-pointer)
 */
#include "native32.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define CF 0x001u
#define PF 0x004u
#define AF 0x010u
#define ZF 0x040u
#define SF 0x080u
#define TF 0x100u
#define IF 0x200u
#define DF 0x400u
#define OF 0x800u
#define RF 0x10000u
#define AC 0x40000u
#define ARITH (CF | PF | AF | ZF | SF | OF)

#define STACK_TOP (N32_ARENA_BASE + 0x8000u)
#define GUARD_PAGE (N32_ARENA_BASE + 15u * 4096u)

static int n_pass, n_fail;
static const char *cur_case;

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            printf("FAIL [%s] %s:%d: %s\n", cur_case, __FILE__, __LINE__,    \
                   #cond);                                                   \
            ok = 0;                                                          \
        }                                                                    \
    } while (0)

#define CHECK_EQ(a, b)                                                       \
    do {                                                                     \
        uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);                     \
        if (a_ != b_) {                                                      \
            printf("FAIL [%s] %s:%d: %s == 0x%" PRIx64 ", expected %s == "    \
                   "0x%" PRIx64 "\n", cur_case, __FILE__, __LINE__, #a, a_,  \
                   #b, b_);                                                  \
            ok = 0;                                                          \
        }                                                                    \
    } while (0)

static void result(int ok)
{
    if (ok)
        n_pass++;
    else
        n_fail++;
    printf("%s %s\n", ok ? "ok  " : "FAIL", cur_case);
}

/* A distinctive starting register file. */
static void init_state(struct n32_state *st)
{
    static const uint32_t v[8] = { 0x11111111, 0x22222222, 0x33333333, 0x44444444,
                                   STACK_TOP, 0x66666666, 0x77777777, 0x88888888 };
    memcpy(st->r, v, sizeof v);
    st->eflags = 0;
    st->eip = 0;
}

static int run(const uint8_t *code, size_t len, struct n32_state *st, struct n32_fault *f)
{
    int rc = n32_run(code, len, st, f);
    if (rc) {
        printf("n32_run returned %d\n", rc);
        exit(2);
    }
    return rc;
}

/* Expect every register except those in `changed` (bitmask) unchanged. */
static int regs_same_except(const struct n32_state *a, const struct n32_state *b,
                            unsigned changed)
{
    int ok = 1;
    for (int i = 0; i < 8; i++)
        if (!(changed & (1u << i)) && a->r[i] != b->r[i]) {
            printf("FAIL [%s] r[%d] = 0x%08x, expected 0x%08x\n", cur_case, i,
                   b->r[i], a->r[i]);
            ok = 0;
        }
    return ok;
}

static uint64_t host_rflags(void)
{
    return __builtin_ia32_readeflags_u64();
}

/* Generic "this code faults" case. */
static void fault_case(const char *name, const uint8_t *code, size_t len, uint32_t eflags_in,
                       int signo, int trapno, uint32_t err, uint32_t eip_off)
{
    struct n32_state st, in;
    struct n32_fault f;
    int ok = 1;
    cur_case = name;
    init_state(&st);
    st.eflags = eflags_in;
    in = st;
    run(code, len, &st, &f);
    CHECK_EQ(f.signo, signo);
    CHECK_EQ(f.trapno, trapno);
    CHECK_EQ(f.err, err);
    CHECK_EQ(f.addr, 0);
    CHECK_EQ(st.eip, N32_CODE_BASE + eip_off);
    ok &= regs_same_except(&in, &st, 0);
    CHECK_EQ(st.eflags & (ARITH | DF), eflags_in & (ARITH | DF));
    CHECK(st.eflags & IF);
    printf("     reported eflags 0x%08x (RF=%d)\n", st.eflags, !!(st.eflags & RF));
    result(ok);
}

/* ---- the cases ------------------------------------------------------------- */

static void t_empty_passthrough(void)
{
    struct n32_state st, in;
    struct n32_fault f;
    int ok = 1;
    cur_case = "empty sequence: all 8 GPRs and flags pass through exactly";
    static const uint32_t v[8] = { 0xdeadbeef, 0x00000000, 0xffffffff, 0x80000000,
                                   N32_ARENA_BASE + 0x1234, 0x7fffffff, 0x01234567, 0xfedcba98 };
    memcpy(st.r, v, sizeof v);
    st.eflags = ARITH | DF | TF | AC | 0x3000; /* TF/AC/IOPL must be ignored */
    in = st;
    run(NULL, 0, &st, &f);
    CHECK_EQ(f.signo, 0);
    ok &= regs_same_except(&in, &st, 0);
    CHECK_EQ(st.eflags, 0x202u | ARITH | DF);
    CHECK_EQ(st.eip, N32_CODE_BASE);
    CHECK_EQ(host_rflags() & (DF | AC | TF), 0);
    result(ok);
}

static void t_add_carry(void)
{
    static const uint8_t code[] = { 0x01, 0xd8 }; /* add eax, ebx */
    struct n32_state st, in;
    struct n32_fault f;
    int ok = 1;
    cur_case = "add eax,ebx: 0xffffffff+1 -> 0, CF ZF PF AF";
    init_state(&st);
    st.r[N32_EAX] = 0xffffffff;
    st.r[N32_EBX] = 1;
    st.eflags = OF | SF; /* must be overwritten */
    in = st;
    run(code, sizeof code, &st, &f);
    CHECK_EQ(f.signo, 0);
    CHECK_EQ(st.r[N32_EAX], 0);
    ok &= regs_same_except(&in, &st, 1u << N32_EAX);
    CHECK_EQ(st.eflags, 0x202u | CF | ZF | PF | AF);
    CHECK_EQ(st.eip, N32_CODE_BASE + 2);
    result(ok);
}

static void t_sub_overflow(void)
{
    static const uint8_t code[] = { 0x29, 0xd8 }; /* sub eax, ebx */
    struct n32_state st, in;
    struct n32_fault f;
    int ok = 1;
    cur_case = "sub eax,ebx: 0x80000000-1 -> 0x7fffffff, OF AF PF";
    init_state(&st);
    st.r[N32_EAX] = 0x80000000;
    st.r[N32_EBX] = 1;
    st.eflags = CF | ZF | SF;
    in = st;
    run(code, sizeof code, &st, &f);
    CHECK_EQ(f.signo, 0);
    CHECK_EQ(st.r[N32_EAX], 0x7fffffff);
    ok &= regs_same_except(&in, &st, 1u << N32_EAX);
    CHECK_EQ(st.eflags, 0x202u | OF | AF | PF);
    result(ok);
}

static void t_inc_keeps_cf(void)
{
    static const uint8_t code[] = { 0x40 }; /* inc eax */
    struct n32_state st, in;
    struct n32_fault f;
    int ok = 1;
    cur_case = "inc eax: 0x7fffffff -> 0x80000000, OF SF AF PF, CF=1 kept";
    init_state(&st);
    st.r[N32_EAX] = 0x7fffffff;
    st.eflags = CF;
    in = st;
    run(code, sizeof code, &st, &f);
    CHECK_EQ(f.signo, 0);
    CHECK_EQ(st.r[N32_EAX], 0x80000000);
    ok &= regs_same_except(&in, &st, 1u << N32_EAX);
    CHECK_EQ(st.eflags, 0x202u | CF | OF | SF | AF | PF);
    CHECK_EQ(st.eip, N32_CODE_BASE + 1);
    result(ok);
}

static void t_div0(void)
{
    /* nop; xor ecx,ecx; div ecx -- registers after the xor must be reported */
    static const uint8_t code[] = { 0x90, 0x31, 0xc9, 0xf7, 0xf1 };
    struct n32_state st, in;
    struct n32_fault f;
    int ok = 1;
    cur_case = "div ecx (0) -> SIGFPE #DE, EIP of the div, regs at fault";
    init_state(&st);
    in = st;
    run(code, sizeof code, &st, &f);
    CHECK_EQ(f.signo, SIGFPE);
    CHECK_EQ(f.trapno, 0);
    CHECK_EQ(f.err, 0);
    CHECK_EQ(f.addr, 0);
    CHECK_EQ(st.eip, N32_CODE_BASE + 3);
    CHECK_EQ(st.r[N32_ECX], 0);
    ok &= regs_same_except(&in, &st, 1u << N32_ECX);
    CHECK_EQ(st.eflags & ARITH, ZF | PF); /* from xor ecx,ecx */
    result(ok);
}

static void t_ud2(void)
{
    static const uint8_t code[] = { 0x90, 0x90, 0x0f, 0x0b };
    fault_case("ud2 -> SIGILL #UD", code, sizeof code, CF, SIGILL, 6, 0, 2);
}

static void t_hlt(void)
{
    static const uint8_t code[] = { 0xf4 };
    fault_case("hlt at CPL3 -> SIGSEGV #GP(0)", code, sizeof code, 0, SIGSEGV, 13, 0, 0);
}

static void t_cli(void)
{
    static const uint8_t code[] = { 0x90, 0xfa };
    fault_case("cli at CPL3/IOPL0 -> SIGSEGV #GP(0)", code, sizeof code, ZF, SIGSEGV, 13, 0, 1);
}

static void t_in(void)
{
    static const uint8_t code[] = { 0xe4, 0x60 }; /* in al, 0x60 */
    fault_case("in al,0x60 -> SIGSEGV #GP(0)", code, sizeof code, 0, SIGSEGV, 13, 0, 0);
}

static void t_int21(void)
{
    static const uint8_t code[] = { 0x90, 0xcd, 0x21 };
    fault_case("int 0x21 -> SIGSEGV #GP(0x21*8+2)", code, sizeof code, 0, SIGSEGV, 13,
               0x21 * 8 + 2, 1);
}

static void t_int3(void)
{
    static const uint8_t code[] = { 0x90, 0xcc, 0x90 };
    /* #BP is a trap: the kernel reports EIP after the int3 */
    fault_case("int3 -> SIGTRAP #BP, EIP after int3", code, sizeof code, SF, SIGTRAP, 3, 0, 2);
}

static void t_into(void)
{
    static const uint8_t code[] = { 0xce, 0x90 };
    /* #OF is a trap too: EIP after the into */
    fault_case("into with OF=1 -> SIGSEGV #OF, EIP after into", code, sizeof code, OF,
               SIGSEGV, 4, 0, 1);
}

static void t_into_no_of(void)
{
    static const uint8_t code[] = { 0xce };
    struct n32_state st;
    struct n32_fault f;
    int ok = 1;
    cur_case = "into with OF=0 -> no fault";
    init_state(&st);
    run(code, sizeof code, &st, &f);
    CHECK_EQ(f.signo, 0);
    CHECK_EQ(st.eip, N32_CODE_BASE + 1);
    result(ok);
}

static void t_pf_guard(void)
{
    /* mov eax, [GUARD_PAGE + 0x10] */
    uint8_t code[] = { 0x90, 0xa1, 0, 0, 0, 0 };
    uint32_t a = GUARD_PAGE + 0x10;
    memcpy(code + 2, &a, 4);
    struct n32_state st, in;
    struct n32_fault f;
    int ok = 1;
    cur_case = "load from PROT_NONE arena page -> SIGSEGV #PF, addr, err U";
    if (mprotect((void *)(uintptr_t)GUARD_PAGE, 4096, PROT_NONE)) {
        perror("mprotect");
        exit(2);
    }
    init_state(&st);
    in = st;
    run(code, sizeof code, &st, &f);
    CHECK_EQ(f.signo, SIGSEGV);
    CHECK_EQ(f.trapno, 14);
    CHECK_EQ(f.addr, a);
    CHECK(f.err & 4);        /* U/S: user access */
    CHECK(!(f.err & 2));     /* read */
    CHECK_EQ(st.eip, N32_CODE_BASE + 1);
    ok &= regs_same_except(&in, &st, 0);
    printf("     #PF error code for a user read of a PROT_NONE page: 0x%x\n", f.err);

    /* and a write (push onto the guard page) */
    static const uint8_t push[] = { 0x50 };
    init_state(&st);
    st.r[N32_ESP] = GUARD_PAGE + 0x100;
    in = st;
    run(push, sizeof push, &st, &f);
    CHECK_EQ(f.signo, SIGSEGV);
    CHECK_EQ(f.trapno, 14);
    CHECK_EQ(f.addr, GUARD_PAGE + 0xfc);
    CHECK((f.err & 6) == 6); /* user write */
    CHECK_EQ(st.eip, N32_CODE_BASE);
    ok &= regs_same_except(&in, &st, 0); /* ESP not decremented on fault */
    printf("     #PF error code for a user write (push) to a PROT_NONE page: 0x%x\n", f.err);

    if (mprotect((void *)(uintptr_t)GUARD_PAGE, 4096, PROT_READ | PROT_WRITE)) {
        perror("mprotect");
        exit(2);
    }
    /* the same load works again */
    init_state(&st);
    memcpy(n32_arena() + 15 * 4096 + 0x10, "\x78\x56\x34\x12", 4);
    run(code, sizeof code, &st, &f);
    CHECK_EQ(f.signo, 0);
    CHECK_EQ(st.r[N32_EAX], 0x12345678);
    result(ok);
}

static void t_store(void)
{
    /* mov dword [ARENA+0x100], 0xcafef00d ; mov [ARENA+0x104], ebx */
    uint8_t code[16] = { 0xc7, 0x05, 0, 0, 0, 0, 0x0d, 0xf0, 0xfe, 0xca, 0x89, 0x1d };
    uint32_t a = N32_ARENA_BASE + 0x100, b = N32_ARENA_BASE + 0x104, v;
    memcpy(code + 2, &a, 4);
    memcpy(code + 12, &b, 4);
    struct n32_state st;
    struct n32_fault f;
    int ok = 1;
    cur_case = "store to arena visible via n32_arena()";
    CHECK(n32_arena() == (uint8_t *)(uintptr_t)N32_ARENA_BASE);
    memset(n32_arena() + 0x100, 0, 8);
    init_state(&st);
    run(code, sizeof code, &st, &f);
    CHECK_EQ(f.signo, 0);
    memcpy(&v, n32_arena() + 0x100, 4);
    CHECK_EQ(v, 0xcafef00d);
    memcpy(&v, n32_arena() + 0x104, 4);
    CHECK_EQ(v, 0x44444444);
    result(ok);
}

static void t_push_pop(void)
{
    static const uint8_t code[] = { 0x50, 0x53, 0x59 }; /* push eax; push ebx; pop ecx */
    struct n32_state st, in;
    struct n32_fault f;
    uint32_t v;
    int ok = 1;
    cur_case = "push eax; push ebx; pop ecx: ESP and memory";
    uint8_t *ar = n32_arena();
    memset(ar + 0x7ff0, 0xee, 0x20); /* the word just below ESP must stay untouched */
    init_state(&st);
    in = st;
    run(code, sizeof code, &st, &f);
    CHECK_EQ(f.signo, 0);
    CHECK_EQ(st.r[N32_ESP], STACK_TOP - 4);
    CHECK_EQ(st.r[N32_ECX], in.r[N32_EBX]);
    ok &= regs_same_except(&in, &st, (1u << N32_ESP) | (1u << N32_ECX));
    memcpy(&v, ar + 0x7ffc, 4);
    CHECK_EQ(v, in.r[N32_EAX]);
    memcpy(&v, ar + 0x7ff8, 4);
    CHECK_EQ(v, in.r[N32_EBX]);
    memcpy(&v, ar + 0x7ff4, 4); /* the epilogue must not push on the guest stack */
    CHECK_EQ(v, 0xeeeeeeee);
    result(ok);
}

static void t_std(void)
{
    static const uint8_t code[] = { 0xfd }; /* std */
    struct n32_state st;
    struct n32_fault f;
    int ok = 1;
    cur_case = "std at the end: DF reported as 1, host DF clear";
    init_state(&st);
    run(code, sizeof code, &st, &f);
    CHECK_EQ(f.signo, 0);
    CHECK_EQ(st.eflags, 0x202u | DF);
    CHECK_EQ(host_rflags() & DF, 0);
    result(ok);
}

static void t_pushfd(void)
{
    static const uint8_t code[] = { 0x9c, 0x58 }; /* pushfd; pop eax */
    struct n32_state st;
    struct n32_fault f;
    int ok = 1;
    cur_case = "pushfd; pop eax: EFLAGS as read at CPL3";
    init_state(&st);
    st.eflags = CF | ZF;
    run(code, sizeof code, &st, &f);
    CHECK_EQ(f.signo, 0);
    CHECK(st.r[N32_EAX] & IF);
    CHECK(st.r[N32_EAX] & 2);
    CHECK_EQ(st.r[N32_EAX] & 0x3000, 0); /* IOPL 0 */
    CHECK_EQ(st.r[N32_EAX] & ARITH, CF | ZF);
    printf("     pushfd at CPL3 with CF|ZF loaded reads 0x%08x\n", st.r[N32_EAX]);
    result(ok);
}

static void t_ac(void)
{
    /* pushfd; or dword [esp], AC; popfd; mov eax, [ebx+1] (ebx = arena) */
    static const uint8_t code[] = { 0x9c, 0x81, 0x0c, 0x24, 0x00, 0x00, 0x04, 0x00,
                                    0x9d, 0x8b, 0x43, 0x01 };
    struct n32_state st;
    struct n32_fault f;
    int ok = 1;
    cur_case = "AC=1 + misaligned load -> SIGBUS #AC; host AC clear after";
    init_state(&st);
    st.r[N32_EBX] = N32_ARENA_BASE;
    run(code, sizeof code, &st, &f);
    CHECK_EQ(f.signo, SIGBUS);
    CHECK_EQ(f.trapno, 17);
    CHECK_EQ(st.eip, N32_CODE_BASE + 9);
    CHECK(st.eflags & AC);
    CHECK_EQ(host_rflags() & AC, 0);
    printf("     #AC: err 0x%x addr 0x%x eflags 0x%08x\n", f.err, f.addr, st.eflags);
    /* AC set but the sequence ends normally: reported, then cleared for the host */
    static const uint8_t code2[] = { 0x9c, 0x81, 0x0c, 0x24, 0x00, 0x00, 0x04, 0x00, 0x9d };
    init_state(&st);
    run(code2, sizeof code2, &st, &f);
    CHECK_EQ(f.signo, 0);
    CHECK_EQ(st.eflags, 0x202u | AC);
    CHECK_EQ(host_rflags() & AC, 0);
    result(ok);
}

static void t_tf(void)
{
    /* pushfd; or dword [esp], TF; popfd; inc eax; inc eax */
    static const uint8_t code[] = { 0x9c, 0x81, 0x0c, 0x24, 0x00, 0x01, 0x00, 0x00,
                                    0x9d, 0x40, 0x40 };
    struct n32_state st;
    struct n32_fault f;
    int ok = 1;
    cur_case = "TF=1 via popfd -> SIGTRAP #DB after the next instruction";
    init_state(&st);
    run(code, sizeof code, &st, &f);
    CHECK_EQ(f.signo, SIGTRAP);
    CHECK_EQ(f.trapno, 1);
    /* The single-step trap fires after the instruction following popfd. */
    CHECK_EQ(st.eip, N32_CODE_BASE + 10);
    CHECK_EQ(st.r[N32_EAX], 0x11111112);
    printf("     #DB single-step: eip +%u eax 0x%08x err 0x%x eflags 0x%08x\n",
           st.eip - N32_CODE_BASE, st.r[N32_EAX], f.err, st.eflags);
    CHECK_EQ(host_rflags() & TF, 0);
    result(ok);
}

static void t_fault_regs(void)
{
    /* Load distinctive values in every register (incl. ESP, EBP), then ud2. */
    static const uint8_t code[] = {
        0xb8, 0x01, 0x00, 0x00, 0xa0,     /* mov eax, 0xa0000001 */
        0xb9, 0x02, 0x00, 0x00, 0xb0,     /* mov ecx, 0xb0000002 */
        0xba, 0x03, 0x00, 0x00, 0xc0,     /* mov edx, 0xc0000003 */
        0xbb, 0x04, 0x00, 0x00, 0xd0,     /* mov ebx, 0xd0000004 */
        0xbc, 0x00, 0x40, 0x00, 0x10,     /* mov esp, 0x10004000 */
        0xbd, 0x06, 0x00, 0x00, 0xe0,     /* mov ebp, 0xe0000006 */
        0xbe, 0x07, 0x00, 0x00, 0xf0,     /* mov esi, 0xf0000007 */
        0xbf, 0x08, 0x00, 0x00, 0x90,     /* mov edi, 0x90000008 */
        0xf9,                             /* stc */
        0x0f, 0x0b,                       /* ud2 */
    };
    static const uint32_t want[8] = { 0xa0000001, 0xb0000002, 0xc0000003, 0xd0000004,
                                      0x10004000, 0xe0000006, 0xf0000007, 0x90000008 };
    struct n32_state st, w;
    struct n32_fault f;
    int ok = 1;
    cur_case = "registers at a fault are exact (all 8 incl. ESP/EBP)";
    init_state(&st);
    run(code, sizeof code, &st, &f);
    CHECK_EQ(f.signo, SIGILL);
    CHECK_EQ(st.eip, N32_CODE_BASE + 41);
    memcpy(w.r, want, sizeof want);
    ok &= regs_same_except(&w, &st, 0);
    CHECK_EQ(st.eflags & ARITH, CF);
    /* And the same without the fault (runs into the epilogue). */
    init_state(&st);
    run(code, sizeof code - 2, &st, &f);
    CHECK_EQ(f.signo, 0);
    ok &= regs_same_except(&w, &st, 0);
    CHECK_EQ(st.eflags, 0x202u | CF);
    result(ok);
}

static void t_errors(void)
{
    struct n32_state st;
    struct n32_fault f;
    int ok = 1;
    static uint8_t big[N32_CODE_MAX + 1];
    cur_case = "host errors: -E2BIG, -EINVAL; max-size code runs";
    init_state(&st);
    CHECK_EQ(n32_run(big, sizeof big, &st, &f), -E2BIG);
    CHECK_EQ(n32_run(NULL, 1, &st, &f), -EINVAL);
    CHECK_EQ(n32_run(big, 1, NULL, &f), -EINVAL);
    CHECK_EQ(n32_run(big, 1, &st, NULL), -EINVAL);
    memset(big, 0x90, sizeof big); /* nop sled of maximum length */
    init_state(&st);
    CHECK_EQ(n32_run(big, N32_CODE_MAX, &st, &f), 0);
    CHECK_EQ(f.signo, 0);
    CHECK_EQ(st.eip, N32_CODE_BASE + N32_CODE_MAX);
    /* After a long run, bytes past a short sequence's epilogue are int3 again:
     * jmp +0x7f (past the ~73-byte epilogue) lands in them. */
    static const uint8_t jmp[] = { 0xeb, 0x7f };
    init_state(&st);
    run(jmp, sizeof jmp, &st, &f);
    CHECK_EQ(f.signo, SIGTRAP);
    CHECK_EQ(st.eip, N32_CODE_BASE + 2 + 0x7f + 1);
    result(ok);
}

/* ---- random add/adc/sub/sbb sequences vs a C model ------------------------ */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static uint32_t rnd_val(void)
{
    static const uint32_t edge[] = { 0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0x0f, 0x10,
                                     0x7f, 0x80, 0xff };
    uint64_t r = rnd();
    if ((r & 3) == 0)
        return edge[(r >> 8) % (sizeof edge / sizeof edge[0])];
    return (uint32_t)(r >> 16);
}

static int parity8(uint32_t v)
{
    v &= 0xff;
    v ^= v >> 4;
    v ^= v >> 2;
    v ^= v >> 1;
    return !(v & 1);
}

/* op: 0 add, 1 adc, 2 sub, 3 sbb */
static uint32_t model(int op, uint32_t a, uint32_t b, uint32_t *fl)
{
    uint32_t c = *fl & CF, r, f = 0;
    uint64_t wide;
    switch (op) {
    case 0:
    case 1:
        if (op == 0)
            c = 0;
        wide = (uint64_t)a + b + c;
        r = (uint32_t)wide;
        if (wide >> 32)
            f |= CF;
        if (((a ^ r) & (b ^ r)) >> 31)
            f |= OF;
        break;
    default:
        if (op == 2)
            c = 0;
        r = a - b - c;
        if ((uint64_t)a < (uint64_t)b + c)
            f |= CF;
        if (((a ^ b) & (a ^ r)) >> 31)
            f |= OF;
        break;
    }
    if ((a ^ b ^ r) & 0x10)
        f |= AF;
    if (r == 0)
        f |= ZF;
    if (r >> 31)
        f |= SF;
    if (parity8(r))
        f |= PF;
    *fl = (*fl & ~ARITH) | f;
    return r;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void t_random(int n)
{
    static const uint8_t opc[4] = { 0x01, 0x11, 0x29, 0x19 }; /* add adc sub sbb r/m32,r32 */
    static const char *const names[4] = { "add", "adc", "sub", "sbb" };
    static const int regs[7] = { N32_EAX, N32_ECX, N32_EDX, N32_EBX, N32_EBP, N32_ESI, N32_EDI };
    struct n32_state st, exp;
    struct n32_fault f;
    uint8_t code[16];
    int ok = 1, bad = 0;
    cur_case = "random add/adc/sub/sbb sequences vs C model";
    double t0 = now();
    for (int it = 0; it < n; it++) {
        int k = 1 + (int)(rnd() % 4);
        size_t len = 0;
        for (int i = 0; i < 8; i++)
            st.r[i] = rnd_val();
        st.r[N32_ESP] = STACK_TOP - (uint32_t)(rnd() % 64) * 4;
        st.eflags = (uint32_t)rnd() & (ARITH | DF);
        exp = st;
        for (int i = 0; i < k; i++) {
            int op = (int)(rnd() % 4);
            int d = regs[rnd() % 7], s = regs[rnd() % 7];
            code[len++] = opc[op];
            code[len++] = (uint8_t)(0xc0 | (s << 3) | d);
            exp.r[d] = model(op, exp.r[d], exp.r[s], &exp.eflags);
        }
        if (n32_run(code, len, &st, &f) != 0 || f.signo != 0 ||
            memcmp(st.r, exp.r, sizeof st.r) != 0 ||
            st.eflags != (0x202u | (exp.eflags & (ARITH | DF))) ||
            st.eip != N32_CODE_BASE + len) {
            if (bad++ < 5) {
                printf("FAIL [%s] iteration %d signo %d:", cur_case, it, f.signo);
                for (size_t i = 0; i < len; i += 2) {
                    int op = 0;
                    while (op < 3 && opc[op] != code[i])
                        op++;
                    printf(" %s(%02x %02x)", names[op], code[i], code[i + 1]);
                }
                printf("\n      got  eflags %08x, want %08x\n", st.eflags,
                       0x202u | (exp.eflags & (ARITH | DF)));
                for (int i = 0; i < 8; i++)
                    printf("      r%d got %08x want %08x\n", i, st.r[i], exp.r[i]);
            }
        }
    }
    double dt = now() - t0;
    CHECK_EQ(bad, 0);
    printf("     %d random sequences, %d mismatches, %.3f s, %.0f runs/s (%.2f us/run)\n", n, bad,
           dt, n / dt, dt * 1e6 / n);
    result(ok);
}

static void t_fault_speed(int n)
{
    static const uint8_t code[] = { 0x0f, 0x0b };
    struct n32_state st;
    struct n32_fault f;
    int ok = 1;
    cur_case = "repeated faults (signal path) stay healthy";
    double t0 = now();
    for (int i = 0; i < n; i++) {
        init_state(&st);
        run(code, sizeof code, &st, &f);
        if (f.signo != SIGILL || st.r[N32_EBP] != 0x66666666) {
            ok = 0;
            break;
        }
    }
    double dt = now() - t0;
    printf("     %d faulting runs, %.0f runs/s (%.2f us/run)\n", n, n / dt, dt * 1e6 / n);
    result(ok);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    {
        struct n32_state st;
        struct n32_fault f;
        if (n32_run(NULL, 0, &st, &f) != -ENXIO || n32_arena() != NULL) {
            printf("FAIL: n32_run/n32_arena before n32_init\n");
            n_fail++;
        }
    }
    int rc = n32_init();
    if (rc == -ENOTSUP) {
        printf("native32_selftest: SKIPPED (%s)\n", N32_UNAVAILABLE);
        printf("native32_selftest: 0 passed, 0 failed, 1 skipped\n");
        return 0;
    }
    if (rc) {
        printf("n32_init failed: %d (%s)\n", rc, strerror(-rc));
        return 1;
    }
    if (n32_init() != 0) {
        printf("FAIL: second n32_init\n");
        n_fail++;
    }

    t_empty_passthrough();
    t_add_carry();
    t_sub_overflow();
    t_inc_keeps_cf();
    t_div0();
    t_ud2();
    t_hlt();
    t_cli();
    t_in();
    t_pf_guard();
    t_store();
    t_push_pop();
    t_std();
    t_int3();
    t_int21();
    t_into();
    t_into_no_of();
    t_pushfd();
    t_ac();
    t_tf();
    t_fault_regs();
    t_errors();
    t_random(100000);
    t_fault_speed(20000);

    /* Faults outside the 32-bit code still reach the previous handler:
     * checked by re-init after fini (handlers restored cleanly). */
    n32_fini();
    n32_fini();
    rc = n32_init();
    if (rc) {
        printf("FAIL: n32_init after n32_fini: %d\n", rc);
        n_fail++;
    } else {
        t_add_carry();
        n32_fini();
    }

    printf("%d passed, %d failed\n", n_pass, n_fail);
    return n_fail ? 1 : 0;
}

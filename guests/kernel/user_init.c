/* user_init.c - init, the first process. It checks the kernel from user
 * mode, one test at a time, each reporting "test NAME: ok" or "test NAME:
 * FAILED (why)"; runs the microbenchmarks (user_bench.c); and shuts the
 * machine down with exit code 0 if everything passed.
 *
 * Most tests run their subject in a child process, so that what kills it
 * kills only the child. The output never depends on timing: a parent
 * prints nothing while a child it forked may still be running. */
#include "user.h"

#define NO_STATUS (-1000) /* fork or wait failed */
#define EXEC_FAILED 127   /* a child's status when exec returned */
#define KILLED (-1)       /* the status of a process the kernel killed */

int init_main(void);
int fresh_main(void);

static char why[120];

/* A test's result: NULL if it passed, else why it failed. */
static const char *failed(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *failed(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsformat(why, sizeof why, fmt, ap);
    va_end(ap);
    return why;
}

/* The exit status of child PID, or NO_STATUS. */
static int collect(int pid)
{
    int status;
    if (pid < 0 || wait(&status) != pid)
        return NO_STATUS;
    return status;
}

/* Run FN in a child process; its exit status. */
static int in_child(int (*fn)(void))
{
    int pid = fork();
    if (pid == 0)
        exit(fn());
    return collect(pid);
}

/* Run the program NAME in a child process; its exit status. */
static int run_program(const char *name)
{
    int pid = fork();
    if (pid == 0) {
        exec(name);
        exit(EXEC_FAILED);
    }
    return collect(pid);
}

/* ---- processes ---- */

/* The program hello runs, prints its line and exits with 0. */
static const char *test_hello(void)
{
    int status = run_program("hello");
    return status == 0 ? NULL : failed("hello exited with status %d", status);
}

/* init is pid 1; a child's getpid is what fork told the parent. */
static const char *test_getpid(void)
{
    if (getpid() != 1)
        return failed("init's pid is %d, not 1", getpid());
    int pid = fork();
    if (pid == 0)
        exit(getpid());
    int status = collect(pid);
    return status == pid ? NULL : failed("the child said its pid was %d", status);
}

/* write returns the count written, and -1 for an fd that is not open.
 * (Every line init prints is a write, too; bad buffers: test_bad_pointer.) */
static const char *test_write(void)
{
    int r;
    if ((r = write(1, "", 0)) != 0)
        return failed("writing 0 bytes returned %d", r);
    if ((r = write(2, "", 0)) != 0)
        return failed("writing 0 bytes to fd 2 returned %d", r);
    if ((r = write(3, "x", 1)) != -1)
        return failed("writing to fd 3, which is not open, returned %d", r);
    return NULL;
}

/* wait returns the child's pid and exit status; without children, -1. */
static const char *test_fork_wait(void)
{
    int pid = fork();
    if (pid == 0)
        exit(42);
    int status = collect(pid);
    if (status != 42)
        return failed("wait gave status %d, not 42", status);
    int r = wait(&status);
    return r == -1 ? NULL : failed("wait without children returned %d", r);
}

/* ---- memory ---- */

/* NULL if the N bytes at P are all 0. */
static const char *check_zero(const volatile char *p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (p[i] != 0)
            return failed("byte %u of new heap memory is not 0", i);
    return NULL;
}

/* sbrk moves the end of the heap; new heap memory reads as zeros (each
 * page is demand-zero), keeps what is written, and pages given back and
 * taken again are zeroed anew. An impossible size is refused. */
static const char *test_sbrk(void)
{
    const uint32_t n = 3 * 4096 + 100;
    sbrk((int)(-(uint32_t)sbrk(0) & 4095)); /* to a page boundary: shrinking frees whole pages */
    char *start = sbrk(0);
    volatile char *p = sbrk(n);
    const char *r;
    if (p != start || sbrk(0) != start + n)
        return failed("sbrk(%d) did not move the end of the heap", (int)n);
    if ((r = check_zero(p, n)))
        return r;
    for (uint32_t i = 0; i < n; i++)
        p[i] = (char)(i | 1);
    for (uint32_t i = 0; i < n; i++)
        if (p[i] != (char)(i | 1))
            return failed("byte %u of the heap did not keep its value", i);
    if (sbrk(-(int)n) != start + n || sbrk(0) != start)
        return failed("sbrk(-%d) did not shrink the heap", (int)n);
    p = sbrk(n); /* the pages given back must come back zeroed */
    if ((r = check_zero(p, n)))
        return r;
    sbrk(-(int)n);
    return sbrk(0x7fffffff) == SBRK_FAILED ? NULL : failed("a heap of %d bytes was granted", 0x7fffffff);
}

static int cow_global = 1;

/* Parent and child write the same variables, in data and on the stack,
 * each after the other has: each must see only its own writes. */
static const char *test_cow(void)
{
    volatile int local = 10;
    int pid = fork();
    if (pid == 0) {
        cow_global = 2;
        local = 20;
        yield(); /* the parent writes its copies now */
        exit(cow_global == 2 && local == 20 ? 0 : 1);
    }
    cow_global = 3;
    local = 30;
    yield(); /* the child writes its copies now */
    int status = collect(pid);
    if (status != 0)
        return failed("the child saw the parent's writes (status %d)", status);
    return cow_global == 3 && local == 30 ? NULL : failed("the parent saw the child's writes");
}

/* ---- exec ---- */

static int exec_marker = 5;

/* The program "fresh": exits with exec_marker as a new image has it. */
int fresh_main(void)
{
    return exec_marker;
}

/* exec of an unknown program fails and leaves the caller as it was; exec
 * of a known one starts it with its data as built, not as the caller had
 * changed it. */
static const char *test_exec(void)
{
    if (exec("no-such-program") != -1)
        return failed("exec of an unknown program did not fail");
    exec_marker = 6;
    int status = run_program("fresh");
    return status == 5 ? NULL : failed("fresh exited with %d, not 5: not a fresh image", status);
}

/* ---- scheduling ---- */

/* After the parent yields, the child has run (and exited): kill finds no
 * live process. Three yields, so that a timer interrupt cutting the child
 * short once does not fail the test. */
static const char *test_yield(void)
{
    int pid = fork();
    if (pid == 0)
        exit(9);
    for (int i = 0; i < 3; i++)
        if (yield() != 0)
            return failed("yield did not return 0");
    int alive = kill(pid) == 0;
    int status = collect(pid);
    if (alive)
        return failed("the child did not run while the parent yielded (status %d)", status);
    return status == 9 ? NULL : failed("the child exited with %d, not 9", status);
}

/* Spin without a system call for 2^28 iterations: far longer than one
 * time slice (10 ms) on any machine, short enough to end if the kernel
 * does not preempt. */
static int spin(void)
{
    uint32_t n = 1u << 28;
    __asm__ volatile("1:\tdecl %0\n\tjnz 1b" : "+r"(n));
    return 0;
}

/* The parent yields to a spinning child; it runs again only if the timer
 * preempts the child, and then finds the child still spinning. */
static const char *test_preempt(void)
{
    int pid = fork();
    if (pid == 0)
        exit(spin());
    yield();
    int alive = kill(pid) == 0;
    int status = collect(pid);
    if (!alive)
        return failed("the child spun to the end first: no preemption (status %d)", status);
    return status == KILLED ? NULL : failed("the killed child exited with %d", status);
}

/* ---- faults that kill only the process ---- */

static int read_unmapped(void)
{
    return *(volatile int *)0x60000000;
}

static int read_kernel(void)
{
    return *(volatile int *)0x00100000;
}

/* The first byte of the user image (USER_BASE, kernel.h) is program text. */
static int write_text(void)
{
    *(volatile char *)0x40000000 = 0;
    return 0;
}

static int divide_by_zero(void)
{
    volatile int one = 1, zero = 0; /* volatile: GCC computes 1 / x without a DIV */
    return one / zero;
}

static int do_cli(void)
{
    __asm__ volatile("cli");
    return 0;
}

static int do_hlt(void)
{
    __asm__ volatile("hlt");
    return 0;
}

/* Something a child does that should get it killed. */
struct doomed {
    const char *what;
    int (*run)(void);
};

/* Run each of the N cases in a child of its own: each must be killed. */
static const char *expect_killed(const struct doomed *cases, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        int status = in_child(cases[i].run);
        if (status != KILLED)
            return failed("%s: exit status %d, not killed", cases[i].what, status);
    }
    return NULL;
}

/* Reading an unmapped page, reading kernel memory and writing program
 * text: page faults the kernel cannot resolve, which kill the process. */
static const char *test_page_fault(void)
{
    static const struct doomed cases[] = {
        { "read of an unmapped page", read_unmapped },
        { "read of kernel memory", read_kernel },
        { "write to text", write_text },
    };
    return expect_killed(cases, ARRAY_SIZE(cases));
}

/* A divide error (#DE) kills the process. */
static const char *test_divide_error(void)
{
    static const struct doomed cases[] = { { "divide by zero", divide_by_zero } };
    return expect_killed(cases, ARRAY_SIZE(cases));
}

/* CLI and HLT in ring 3, with IOPL 0: #GP, which kills the process. */
static const char *test_privileged(void)
{
    static const struct doomed cases[] = { { "cli", do_cli }, { "hlt", do_hlt } };
    return expect_killed(cases, ARRAY_SIZE(cases));
}

/* ---- bad pointers are errors, not crashes ---- */

/* A system call given a pointer it may not use fails with -1; the kernel
 * neither faults nor lets the process reach memory that is not its own. */
static const char *test_bad_pointer(void)
{
    static const struct {
        const char *what;
        uint32_t addr, len;
    } cases[] = {
        { "address 0", 0, 10 },
        { "kernel memory", 0x00100000, 10 },
        { "an unmapped page", 0x60000000, 4 },
        { "a buffer past the top of user space", 0x7ffffff0, 32 },
        { "a buffer wrapping around 4 GiB", 0x40000000, 0xffffffff },
    };
    for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
        int r = write(1, (const void *)cases[i].addr, cases[i].len);
        if (r != -1)
            return failed("write from %s returned %d", cases[i].what, r);
    }
    if (wait((int *)0x00100000) != -1)
        return failed("wait into kernel memory did not fail");
    return exec((const char *)0x10) == -1 ? NULL : failed("exec of a name at address 0x%x did not fail", 0x10);
}

/* ---- the list ---- */

static const struct test {
    const char *name;
    const char *(*run)(void);
} tests[] = {
    { "hello", test_hello },
    { "getpid", test_getpid },
    { "write", test_write },
    { "fork_wait", test_fork_wait },
    { "sbrk", test_sbrk },
    { "cow", test_cow },
    { "exec", test_exec },
    { "yield", test_yield },
    { "preempt", test_preempt },
    { "page_fault", test_page_fault },
    { "divide_error", test_divide_error },
    { "privileged", test_privileged },
    { "bad_pointer", test_bad_pointer },
};

/* The microbenchmarks: programs of user_bench.c, each printing its own
 * line. */
static const char *const benchmarks[] = {
    "bench_syscall", "bench_in", "bench_cr8wr", "bench_callret",
    "bench_pgfault", "bench_divzero", "bench_ptemod", "bench_forkwait",
};

/* Run the tests, then the benchmarks; shut down with 0 if all went well,
 * else with the number of failures. */
int init_main(void)
{
    int ntests = ARRAY_SIZE(tests), failures = 0;
    printf("init: %d tests, then %d microbenchmarks\n", ntests, (int)ARRAY_SIZE(benchmarks));
    for (int i = 0; i < ntests; i++) {
        const char *r = tests[i].run();
        if (r) {
            printf("test %s: FAILED (%s)\n", tests[i].name, r);
            failures++;
        } else {
            printf("test %s: ok\n", tests[i].name);
        }
    }
    for (unsigned i = 0; i < ARRAY_SIZE(benchmarks); i++) {
        int status = run_program(benchmarks[i]);
        if (status != 0) {
            printf("%s: FAILED (exit status %d)\n", benchmarks[i], status);
            failures++;
        }
    }
    if (failures == 0) {
        printf("init: all %d tests passed\n", ntests);
        shutdown(0);
    }
    printf("init: %d failures\n", failures);
    shutdown(failures < 0x7e ? failures : 0x7e); /* 0x7f is the kernel's panic */
    return 1; /* not reached: init may shut down */
}

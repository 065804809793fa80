/* syscall.c - the system calls (numbers and convention: syscall.h).
 *
 * Each takes the trap frame, reads its arguments from the saved EBX, ECX
 * and EDX, and returns what the program gets back in EAX. Arguments are
 * what a program chose to pass, so each is checked: numbers for range,
 * pointers with uaccess_check (fault.c) before the kernel touches them. */
#include "kernel.h"
#include "syscall.h"

#define EXEC_NAME_MAX 16

static int sys_exit(struct trapframe *tf)
{
    exit((int)tf->ebx);
}

static int sys_fork(struct trapframe *tf)
{
    (void)tf;
    return fork();
}

/* write(fd, buf, n): fds 1 and 2 are the console; returns n. */
static int sys_write(struct trapframe *tf)
{
    uint32_t fd = tf->ebx, buf = tf->ecx, n = tf->edx;
    if ((fd != 1 && fd != 2) || n > INT32_MAX || uaccess_check(current, buf, n, false) < 0)
        return -1;
    for (const char *s = (const char *)buf; s < (const char *)buf + n; s++)
        console_putc(*s);
    return (int)n;
}

/* wait(&status): a child's pid, its exit status in *status (if the pointer
 * is not 0). The pointer is checked before waiting: the process cannot
 * change its memory while it sleeps. */
static int sys_wait(struct trapframe *tf)
{
    uint32_t where = tf->ebx;
    if (where && uaccess_check(current, where, sizeof(int), true) < 0)
        return -1;
    int status;
    int pid = wait(&status);
    if (pid >= 0 && where)
        *(int *)where = status;
    return pid;
}

static int sys_getpid(struct trapframe *tf)
{
    (void)tf;
    return current->pid;
}

static int sys_yield(struct trapframe *tf)
{
    (void)tf;
    yield();
    return 0;
}

/* sbrk(n): move the end of the heap by n bytes (n < 0 shrinks it); returns
 * the old end. Growing maps nothing: the new pages are demand-zero.
 * Shrinking gives the pages past the new end back. */
static int sys_sbrk(struct trapframe *tf)
{
    int32_t n = (int32_t)tf->ebx;
    uint32_t old = current->brk, heap_start = (uint32_t)user_end_va;
    if (n >= 0 && (uint32_t)n > USTACK_BOTTOM - old)
        return -1;
    if (n < 0 && 0u - (uint32_t)n > old - heap_start)
        return -1;
    current->brk = old + (uint32_t)n;
    if (n < 0)
        vm_unmap(current->pgdir, PG_ROUNDUP(current->brk), PG_ROUNDUP(old));
    return (int)old;
}

static int sys_exec(struct trapframe *tf)
{
    char name[EXEC_NAME_MAX];
    if (uaccess_string(current, tf->ebx, name, sizeof name) < 0)
        return -1;
    return exec(current, name);
}

static int sys_kill(struct trapframe *tf)
{
    return kill((int)tf->ebx);
}

/* onfault(eip): from now on, an exception that would kill the process
 * sends it to eip instead, registers as they were (0: kill again). A
 * fault at eip itself still kills. */
static int sys_onfault(struct trapframe *tf)
{
    current->onfault = tf->ebx;
    return 0;
}

/* bench(op, n, va): run a privileged operation n times (kbench.c). */
static int sys_bench(struct trapframe *tf)
{
    if (tf->ecx > INT32_MAX)
        return -1;
    return bench_run(tf->ebx, tf->ecx, tf->edx);
}

/* shutdown(code): power the machine off; only init may. */
static int sys_shutdown(struct trapframe *tf)
{
    if (current->pid != 1)
        return -1;
    shutdown((uint8_t)tf->ebx);
}

/* cmdline(buf, size): copy the kernel command line (cmdline.c) into buf,
 * cut to size - 1 bytes and NUL-terminated; returns its whole length. */
static int sys_cmdline(struct trapframe *tf)
{
    uint32_t buf = tf->ebx, size = tf->ecx;
    if (size == 0 || size > PAGE_SIZE || uaccess_check(current, buf, size, true) < 0)
        return -1;
    const char *line = cmdline_get();
    strlcpy((char *)buf, line, size);
    int n = 0;
    while (line[n])
        n++;
    return n;
}

static int (*const syscalls[NSYSCALLS])(struct trapframe *) = {
    [SYS_exit] = sys_exit,
    [SYS_fork] = sys_fork,
    [SYS_write] = sys_write,
    [SYS_wait] = sys_wait,
    [SYS_getpid] = sys_getpid,
    [SYS_yield] = sys_yield,
    [SYS_sbrk] = sys_sbrk,
    [SYS_exec] = sys_exec,
    [SYS_kill] = sys_kill,
    [SYS_onfault] = sys_onfault,
    [SYS_bench] = sys_bench,
    [SYS_shutdown] = sys_shutdown,
    [SYS_cmdline] = sys_cmdline,
};

/* Dispatch the system call EAX of TF; the result goes back in EAX. An
 * unknown number gets -1. */
void syscall(struct trapframe *tf)
{
    uint32_t n = tf->eax;
    tf->eax = n < NSYSCALLS && syscalls[n] ? (uint32_t)syscalls[n](tf) : (uint32_t)-1;
}

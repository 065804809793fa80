/* user.h - what a user program may use: the system calls (syscall.h) and
 * the small library of user_lib.c.
 *
 * User programs are the files user_*.c. They run in ring 3 in their own
 * address space, linked into the user image (link.ld), and cannot call
 * the kernel's functions: the kernel map is ring 0 only. A program is a
 * function `int NAME_main(void)`, listed in exec.c's table; what it returns
 * is its exit status.
 */
#ifndef USER_H
#define USER_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "syscall.h"

/* INT 0x80 with the call number in EAX and the arguments in EBX, ECX,
 * EDX. The kernel may read or write memory the arguments point to. */
static inline int syscall3(int number, uint32_t a, uint32_t b, uint32_t c)
{
    int result;
    __asm__ volatile("int %[vec]"
                     : "=a"(result)
                     : [vec] "i"(T_SYSCALL), "a"(number), "b"(a), "c"(b), "d"(c)
                     : "memory");
    return result;
}

static inline _Noreturn void exit(int status)
{
    syscall3(SYS_exit, (uint32_t)status, 0, 0);
    __builtin_unreachable();
}

static inline int fork(void)
{
    return syscall3(SYS_fork, 0, 0, 0);
}

static inline int write(int fd, const void *buf, uint32_t n)
{
    return syscall3(SYS_write, (uint32_t)fd, (uint32_t)buf, n);
}

static inline int wait(int *status)
{
    return syscall3(SYS_wait, (uint32_t)status, 0, 0);
}

static inline int getpid(void)
{
    return syscall3(SYS_getpid, 0, 0, 0);
}

static inline int yield(void)
{
    return syscall3(SYS_yield, 0, 0, 0);
}

static inline void *sbrk(int n)
{
    return (void *)syscall3(SYS_sbrk, (uint32_t)n, 0, 0);
}

static inline int exec(const char *name)
{
    return syscall3(SYS_exec, (uint32_t)name, 0, 0);
}

static inline int kill(int pid)
{
    return syscall3(SYS_kill, (uint32_t)pid, 0, 0);
}

static inline int onfault(const void *eip)
{
    return syscall3(SYS_onfault, (uint32_t)eip, 0, 0);
}

static inline int bench(int op, int n, const void *va)
{
    return syscall3(SYS_bench, (uint32_t)op, (uint32_t)n, (uint32_t)va);
}

static inline int shutdown(int code)
{
    return syscall3(SYS_shutdown, (uint32_t)code, 0, 0);
}

static inline int cmdline(char *buf, uint32_t size)
{
    return syscall3(SYS_cmdline, (uint32_t)buf, size, 0);
}

#define SBRK_FAILED ((void *)-1)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- user_lib.c ---- */

/* printf to the console (fd 1), with the conversions of format.h. */
void printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same into BUF of SIZE bytes, always NUL-terminated. */
void vsformat(char *buf, size_t size, const char *fmt, va_list ap);

#endif

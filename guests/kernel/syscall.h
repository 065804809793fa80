/* syscall.h - the system-call interface, shared by the kernel and the user
 * programs.
 *
 * A program asks for system call N with INT 0x80, N in EAX and up to three
 * arguments in EBX, ECX and EDX (the Linux i386 convention); the result
 * comes back in EAX, -1 meaning "refused". syscall.c holds the table. */
#ifndef SYSCALL_H
#define SYSCALL_H

#define T_SYSCALL 0x80

#define SYS_exit 1     /* exit(status): end this process */
#define SYS_fork 2     /* fork(): a copy of this process; 0 in the child */
#define SYS_write 3    /* write(fd, buf, n): fd 1 or 2, the console */
#define SYS_wait 4     /* wait(&status): collect an exited child */
#define SYS_getpid 5   /* getpid() */
#define SYS_yield 6    /* yield(): let the other processes run first */
#define SYS_sbrk 7     /* sbrk(n): move the end of the heap by n bytes */
#define SYS_exec 8     /* exec(name): become a built-in program */
#define SYS_kill 9     /* kill(pid): make a process exit with status -1 */
#define SYS_onfault 10 /* onfault(eip): resume at eip after a fatal exception */
#define SYS_bench 11   /* bench(op, n, va): a privileged operation n times */
#define SYS_shutdown 12 /* shutdown(code): power off (init only) */
#define SYS_cmdline 13 /* cmdline(buf, size): the kernel command line */
#define NSYSCALLS 14

/* The operations of SYS_bench, the microbenchmarks that need ring 0. */
#define BENCH_IN 0     /* read a device register (IN from the UART) */
#define BENCH_CR0 1    /* write a control register (CR0, its own value) */
#define BENCH_PTEMOD 2 /* clear the accessed bit of the PTE mapping va */
#define BENCH_SCRATCH 3 /* write and read back the UART's scratch register;
                           va is the seed of a checksum (workloads.h) */
#define NBENCH 4

#endif

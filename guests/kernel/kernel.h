/* kernel.h - the teaching kernel's shared declarations: the memory map,
 * the process, and what each file offers the others (in boot order). */
#ifndef KERNEL_H
#define KERNEL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch.h"
#include "x86.h"

/*
 * Virtual memory, as every process sees it while it runs (the kernel runs
 * in the address space of the process it serves):
 *
 *  0xffffffff +--------------------------------+
 *             | (nothing)                      |
 *  0x80000000 +--------------------------------+ USER_TOP = USTACK_TOP
 *             | user stack, grows down         | demand-zero (fault.c)
 *  0x7ff00000 +--------------------------------+ USTACK_BOTTOM
 *             | (nothing: a fault here kills)  |
 *             +--------------------------------+ p->brk
 *             | heap, grows up with sbrk()     | demand-zero
 *             +--------------------------------+ user_end_va (first brk)
 *             | bss of the user programs       | demand-zero
 *             +--------------------------------+ user_bss_va
 *             | data of the user programs      | copied by exec, read/write
 *             +--------------------------------+ user_data_va
 *             | text and rodata of every       | copied by exec, read-only
 *             | user program (the user image)  |
 *  0x40000000 +--------------------------------+ USER_BASE
 *             | (nothing)                      |
 *  mem_end    +--------------------------------+ - - - - - - - - - - - - - -
 *             | free pages: page tables,       | the kernel map: virtual
 *             | kernel stacks, user pages      | address = physical address,
 *  kernel_end +--------------------------------+ ring 0 only, the same in
 *             | the user image (exec copies)   | every address space
 *             | kernel bss, data, text         |
 *  0x00100000 +--------------------------------+ where Multiboot loaded us
 *             | BIOS, boot information         |
 *  0x00000000 +--------------------------------+
 *
 * The user programs are linked into the kernel image (link.ld): one user
 * image at USER_BASE holding all of them, like a BusyBox binary. exec()
 * copies it into fresh pages and starts the program asked for. After
 * fork(), parent and child share every user page: read-only ones as they
 * are, writable ones copy-on-write (vm.c, fault.c).
 */
#define USER_BASE 0x40000000u /* link.ld links the user image here */
#define USER_TOP 0x80000000u
#define USTACK_TOP USER_TOP
#define USTACK_BOTTOM (USTACK_TOP - 0x100000u) /* 1 MiB of stack at most */
#define MAX_PHYS 0x10000000u /* the kernel maps (and uses) at most 256 MiB */

#define NPROC 16                /* processes at most */
#define KSTACK_SIZE PAGE_SIZE   /* each process's kernel stack */
#define TIMER_HZ 100
#define PANIC_EXIT_CODE 0x7f    /* what panic() writes to the exit port */

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The kernel map is the identity: a kernel virtual address and the
 * physical address of the same byte are equal. These say which is meant. */
static inline void *P2V(uint32_t pa) { return (void *)pa; }
static inline uint32_t V2P(const void *va) { return (uint32_t)va; }

/* Symbols of link.ld. */
extern char kernel_end[];   /* physical: the first byte after the image */
extern char user_image_pa[]; /* physical: where the user image was loaded */
extern char user_image_va[], user_data_va[], user_bss_va[], user_end_va[];

/* ---- processes (proc.c) ---- */

enum proc_state { UNUSED, EMBRYO, SLEEPING, RUNNABLE, RUNNING, ZOMBIE };

/* What swtch() saves of a process that gives up the CPU: the registers a
 * C function must preserve, and where it resumes (swtch.S). */
struct context {
    uint32_t edi, esi, ebx, ebp, eip;
};

struct proc {
    enum proc_state state;
    int pid;
    char name[16];           /* the program it runs */
    struct proc *parent;
    pte_t *pgdir;            /* its address space (vm.c) */
    uint32_t brk;            /* the end of its heap */
    uint8_t *kstack;         /* its kernel stack: KSTACK_SIZE bytes */
    struct trapframe *tf;    /* at the top of kstack: its user registers */
    struct context *context; /* where it sleeps in swtch() */
    const void *chan;        /* SLEEPING: what it waits for */
    bool killed;             /* exit at the next return to user mode */
    int xstatus;             /* ZOMBIE: its exit status */
    uint32_t onfault;        /* user EIP to resume at after a fatal exception; 0: none */
};

extern struct proc *current; /* the process running now, or NULL */

/* ---- console.c ---- */
void console_init(void);
void console_putc(char c);
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Power off: QEMU's isa-debug-exit port, whose exit status is (code << 1) | 1. */
_Noreturn void shutdown(uint8_t code);

/* ---- string.c ---- */
void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
int strcmp(const char *a, const char *b);
void strlcpy(char *dst, const char *src, size_t size);

/* The part of the Multiboot information the kernel reads (Multiboot
 * Specification 0.6.96, 3.3): flags say which fields are valid. */
struct multiboot_info {
    uint32_t flags;
    uint32_t mem_lower, mem_upper; /* flags bit 0: KiB below 1 MiB, above 1 MiB */
    uint32_t boot_device;
    uint32_t cmdline;              /* flags bit 2: the command line's physical address */
    uint32_t mods_count, mods_addr, syms[4];
    uint32_t mmap_length, mmap_addr; /* flags bit 6: the memory map */
};
#define MBI_MEMORY 0x01u
#define MBI_CMDLINE 0x04u
#define MBI_MMAP 0x40u

/* ---- cmdline.c: the kernel command line ---- */
#define CMDLINE_MAX 256
void cmdline_init(const struct multiboot_info *mbi);
const char *cmdline_get(void);
bool cmdline_option(const char *key, char *value, size_t size);

/* ---- kmem.c: physical pages ---- */
extern uint32_t mem_end;
void kmem_init(const struct multiboot_info *mbi);
void *page_alloc(void); /* a zeroed page, or NULL */
void page_incref(uint32_t pa);
void page_decref(uint32_t pa);
unsigned page_refcount(uint32_t pa);

/* ---- desc.c: GDT, TSS, IDT ---- */
extern struct tss kernel_tss;
void desc_init(void);

/* ---- pic.c and pit.c ---- */
void pic_init(void);
void pic_enable(unsigned irq);
void pic_eoi(unsigned irq);
void pit_init(unsigned hz);

/* ---- vm.c: page tables ---- */
void vm_init(void);
void vm_switch_kernel(void);
void vm_switch(struct proc *p);
pte_t *vm_create(void);
void vm_free(pte_t *pgdir);
pte_t *vm_fork(pte_t *pgdir);
pte_t *vm_walk(pte_t *pgdir, uint32_t va, bool create);
int vm_map(pte_t *pgdir, uint32_t va, uint32_t pa, uint32_t perm);
void vm_unmap(pte_t *pgdir, uint32_t start, uint32_t end);

/* ---- fault.c: page faults and access to user memory ---- */
int vm_fault(struct proc *p, uint32_t va, bool write);
int uaccess_check(struct proc *p, uint32_t va, uint32_t len, bool write);
int uaccess_string(struct proc *p, uint32_t va, char *dst, size_t size);

/* ---- trap.c ---- */
void trap(struct trapframe *tf);

/* ---- proc.c ---- */
struct proc *proc_alloc(void);
void proc_start_init(void);
_Noreturn void scheduler(void);
void yield(void);
void sleep(const void *chan);
void wakeup(const void *chan);
int fork(void);
_Noreturn void exit(int status);
int wait(int *status);
int kill(int pid);

/* ---- swtch.S and trapasm.S ---- */
void swtch(struct context **save, struct context *load);
void trapret(void);

/* ---- exec.c ---- */
int exec(struct proc *p, const char *name);

/* ---- syscall.c and kbench.c ---- */
void syscall(struct trapframe *tf);
int bench_run(unsigned op, uint32_t n, uint32_t va);

#endif

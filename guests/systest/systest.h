/* systest.h - the system-level test guest: shared declarations.
 *
 * The guest checks the CPU's system behaviour (segmentation, descriptor
 * tables, control registers, privilege, exceptions, paging) and prints one
 * line per check, "name: result". The same image runs on QEMU and on vlab
 * (tests/systest.sh compares the two); where they disagree, the Intel SDM
 * decides, so every check also names the result the SDM predicts and the
 * guest flags the lines that differ from it.
 */
#ifndef SYSTEST_H
#define SYSTEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "selectors.h"

/* ---- the instructions C cannot express ---- */

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

#define DEFINE_CR(n)                                                    \
    static inline uint32_t read_cr##n(void)                             \
    {                                                                   \
        uint32_t v;                                                     \
        __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                   \
        return v;                                                       \
    }                                                                   \
    static inline void write_cr##n(uint32_t v)                          \
    {                                                                   \
        __asm__ volatile("mov %0, %%cr" #n : : "r"(v) : "memory");          \
    }
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

static inline uint32_t read_eflags(void)
{
    uint32_t v;
    __asm__ volatile("pushfl; popl %0" : "=r"(v));
    return v;
}

static inline void cpuid(uint32_t leaf, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(0));
}

/* EFLAGS and control register bits (SDM Vol. 1, 3.4.3; Vol. 3A, 2.5). */
#define FL_FIXED 0x00000002u
#define FL_IF 0x00000200u
#define FL_IOPL3 0x00003000u
#define FL_AC 0x00040000u
#define CR0_PE 0x00000001u
#define CR0_MP 0x00000002u
#define CR0_EM 0x00000004u
#define CR0_TS 0x00000008u
#define CR0_ET 0x00000010u
#define CR0_NE 0x00000020u
#define CR0_WP 0x00010000u
#define CR0_AM 0x00040000u
#define CR0_NW 0x20000000u
#define CR0_CD 0x40000000u
#define CR0_PG 0x80000000u
#define CR4_TSD 0x00000004u
#define CR4_PSE 0x00000010u

/* The CR0 the guest runs with between checks: protected mode, ET (which a
 * P6-class CPU hardwires to 1) and nothing else. */
#define CR0_BASE (CR0_PE | CR0_ET)

/* ---- console.c: the COM1 16550, a small formatter, mem* ---- */

void con_init(void);
void con_puts(const char *s);
/* fmt: %s %c %u %x, with an optional 0 flag and width (%08x). */
void vfmt(char *buf, size_t size, const char *f, va_list ap);
void fmt(char *buf, size_t size, const char *f, ...) __attribute__((format(printf, 3, 4)));
void kprintf(const char *f, ...) __attribute__((format(printf, 1, 2)));
void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
int strcmp(const char *a, const char *b);
/* Leave through QEMU's isa-debug-exit port: the exit status is (code << 1) | 1. */
__attribute__((noreturn)) void guest_exit(uint8_t code);

/* ---- desc.c: the GDT, LDT, IDT and TSS ---- */

/* A descriptor as two doublewords: `lo` is bytes 0..3, `hi` bytes 4..7. */
struct desc {
    uint32_t lo, hi;
};

/* The operand of LGDT/LIDT/SGDT/SIDT: a 16-bit limit and a 32-bit base. */
struct pseudo_desc {
    uint16_t limit;
    uint32_t base;
} __attribute__((packed));

/* The 32-bit TSS (SDM Vol. 3A, chapter "Task Management", "32-Bit
 * Task-State Segment (TSS)"), followed by the I/O permission bitmap for
 * ports 0..1023 and the 0xff byte that must end it (Vol. 1, "I/O
 * Permission Bit Map"). */
struct tss {
    uint16_t link, r0;
    uint32_t esp0;
    uint16_t ss0, r1;
    uint32_t esp1;
    uint16_t ss1, r2;
    uint32_t esp2;
    uint16_t ss2, r3;
    uint32_t cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
    uint16_t es, r4, cs, r5, ss, r6, ds, r7, fs, r8, gs, r9, ldt, r10;
    uint16_t trap, iomap_base;
    uint8_t iomap[1024 / 8 + 1];
} __attribute__((packed));

#define IO_ALLOWED_PORT 0x80 /* the one port the I/O bitmap lets ring 3 use */
#define IDT_ENTRIES 256

extern struct desc gdt[GDT_ENTRIES];
extern struct desc ldt[LDT_ENTRIES];
extern struct desc idt[IDT_ENTRIES];
extern struct tss tss;
extern const struct pseudo_desc kernel_gdtr, kernel_idtr;

void desc_init(void);
/* Byte 5 of a descriptor: P, DPL, S and type (the "access rights" byte). */
uint8_t desc_access(const struct desc *d);
void desc_set_access(struct desc *d, uint8_t access);

/* ---- entry.S ---- */

extern char ring0_stack_top[], user_stack_top[];
extern char gate_target[], gate_target_params[];

/* The segment registers run_user loads before it IRETs to ring 3. */
struct user_segs {
    uint16_t ds, es, fs, gs;
};
extern const struct user_segs user_flat;
/* Run FN at CPL 3 (CS 0x1b, SS 0x23, on user_stack_top) with EFLAGS, until
 * it calls user_exit(). */
void run_user(void (*fn)(void), uint32_t eflags, const struct user_segs *segs);

/* Leave ring 3: the DPL-3 gate VEC_USER_EXIT returns to run_user's caller. */
__attribute__((noreturn)) static inline void user_exit(void)
{
    __asm__ volatile("int %0" : : "i"(VEC_USER_EXIT));
    __builtin_unreachable();
}

/* What ring-3 code and gate_target leave for the kernel to print. */
extern volatile uint32_t user_out[8];

/* EFLAGS for run_user. IF stays 0 in ring 3 too. */
#define USER_IOPL0 FL_FIXED
#define USER_IOPL3 (FL_FIXED | FL_IOPL3)

/* ---- check.c: probes, the exception handler, reporting ---- */

/* What the exception handler saw during the current probe. */
struct fault_record {
    uint32_t count;             /* exceptions taken since the probe began */
    uint32_t vector, error;     /* the last one; error is 0 if none was pushed */
    uint32_t eip, cs;           /* the return address the CPU pushed */
    uint32_t esp, ss;           /* pushed only when coming from ring 3, else 0 */
    uint32_t handler_eflags;    /* EFLAGS inside the handler: did the gate clear IF? */
    uint32_t cr2;               /* CR2 in the handler, for #PF */
    uint32_t frame_top;         /* the address just above the frame the CPU pushed */
    uint32_t insn, resume;      /* the probed instruction and the recovery point */
};
extern volatile struct fault_record fault;
extern volatile uint32_t probe_insn, probe_resume;

/*
 * PROBE(setup, insn, after, operands...) runs SETUP, then the instruction
 * INSN under a recovery point, then AFTER, all in one asm statement.
 *
 * If INSN raises an exception, trap() records it in `fault` and resumes at
 * the recovery point just after INSN. Exceptions are precise (SDM Vol. 3A,
 * 6.5): a faulting instruction has no effect, so the code goes on as if
 * INSN had been skipped. AFTER runs either way: put there what must happen
 * before C code resumes, such as restoring a segment register INSN loaded.
 * The markers are written through SS, the one segment register a probe
 * never makes unusable.
 *
 * The operands are the usual ": outputs : inputs : clobbers"; always
 * clobber "memory", since the handler writes memory behind the compiler.
 */
#define PROBE(setup, insn, after, ...)                                  \
    do {                                                                \
        fault_reset();                                                  \
        __asm__ volatile(setup "\n\t"                                       \
                     "movl $1f, %%ss:probe_insn\n\t"                    \
                     "movl $2f, %%ss:probe_resume\n"                    \
                     "1:\t" insn "\n"                                   \
                     "2:\tmovl $0, %%ss:probe_resume\n\t" after         \
                     __VA_ARGS__);                                      \
    } while (0)

void fault_reset(void);
/* What the last probe did: "ok", "#GP(0010)", "#BP eip=next", "#PF(0005) cr2=...". */
void fault_text(char *buf, size_t size);
/* Print "NAME: GOT" (GOT formatted from F); flag it if GOT is not EXPECT,
 * the result the SDM predicts. */
void check(const char *name, const char *expect, const char *f, ...) __attribute__((format(printf, 3, 4)));
/* GOT = what the last probe did: "ok", "#GP(0010)", "#BP eip=next"... */
void check_fault(const char *name, const char *expect);
/* GOT = the fault if the probe faulted, else "ok " and the details from F. */
void check_ok(const char *name, const char *expect, const char *f, ...) __attribute__((format(printf, 3, 4)));
/* The last line: how many checks, how many unlike the SDM; then exit. */
__attribute__((noreturn)) void finish(void);

/* ---- the checks, one file per topic, in the order main runs them ---- */

void check_tables(void);     /* tables.c: LGDT/SGDT, LIDT/SIDT, LLDT/SLDT, LTR/STR */
void check_access(void);     /* access.c: LAR, LSL, VERR, VERW, ARPL */
void check_segments(void);   /* segments.c: segment register loads and segment limits */
void check_control(void);    /* control.c: CR0, CR2, CR3, CR4, LMSW, CLTS, MSRs, #NM */
void check_exceptions(void); /* exceptions.c: vectors, gates, far jumps, double fault */
void check_user(void);       /* user.c: ring 3 */
void check_paging(void);     /* paging.c: #PF, WP, accessed/dirty, INVLPG, PSE */

/* access.c: "lar=.. lsl=.. verr=. verw=." for SEL at the current CPL
 * (user.c asks from ring 3 too). */
void describe_descriptor(uint16_t sel, char *buf, size_t size);

#endif

/* check.c - probes, the exception handler, and the check lines.
 *
 * Every check runs the instruction under test with PROBE (systest.h). The
 * IDT sends every vector to trap() below, which writes down what happened
 * in `fault` and resumes the probe at its recovery point. The check then
 * prints one line, "name: result", and compares the result with the one
 * the Intel SDM predicts. */
#include "systest.h"

volatile struct fault_record fault;
volatile uint32_t probe_insn, probe_resume;

static unsigned n_checks, n_unlike;

/* The frame alltraps (entry.S) builds, from the lowest address up. */
struct trapframe {
    uint32_t edi, esi, ebp, esp_at_pushal, ebx, edx, ecx, eax; /* PUSHAL */
    uint32_t gs, fs, es, ds;
    uint32_t vector, error;   /* pushed by the stub (error: by the CPU or 0) */
    uint32_t eip, cs, eflags; /* pushed by the CPU */
    uint32_t esp, ss;         /* pushed by the CPU only when it came from ring 3 */
};

void trap(struct trapframe *tf);

/* Mnemonics of the exceptions (SDM Vol. 3A, Table 6-1). */
static const char *const exc_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#CSO", "#TS",
    "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

/* The exceptions that push an error code (SDM Vol. 3A, Table 6-1). */
static bool pushes_error(uint32_t vector)
{
    return vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 || vector == 21;
}

static void name_of(uint32_t vector, char *buf, size_t size)
{
    if (vector < 32 && exc_names[vector])
        fmt(buf, size, "%s", exc_names[vector]);
    else
        fmt(buf, size, "int%02x", vector);
}

/* An exception no probe expected: the guest itself is broken. Say where,
 * and stop (exit status 3 under QEMU). */
static void unexpected(const struct trapframe *tf)
{
    char name[8];
    name_of(tf->vector, name, sizeof name);
    kprintf("systest: UNEXPECTED %s(%04x) at %04x:%08x\n", name, tf->error, tf->cs, tf->eip);
    guest_exit(1);
}

void trap(struct trapframe *tf)
{
    bool from_outer_ring = (tf->cs & 3) != 0;
    fault.count++;
    fault.vector = tf->vector;
    fault.error = tf->error;
    fault.eip = tf->eip;
    fault.cs = tf->cs;
    fault.esp = from_outer_ring ? tf->esp : 0;
    fault.ss = from_outer_ring ? tf->ss : 0;
    fault.handler_eflags = read_eflags();
    fault.cr2 = read_cr2();
    fault.frame_top = from_outer_ring ? (uint32_t)(&tf->ss + 1) : (uint32_t)&tf->esp;
    fault.insn = probe_insn;
    fault.resume = probe_resume;
    if (!probe_resume)
        unexpected(tf);
    tf->eip = probe_resume;
    probe_resume = 0;
}

void fault_reset(void)
{
    fault.count = 0;
    fault.vector = fault.error = fault.eip = fault.cs = 0;
    fault.esp = fault.ss = fault.handler_eflags = fault.cr2 = fault.frame_top = 0;
    fault.insn = fault.resume = 0;
}

/* "ok", or the exception as the SDM writes it: "#GP(0010)" with the error
 * code for the vectors that push one, CR2 for #PF, and where EIP pointed
 * if not at the probed instruction: "eip=next" for traps and INT n. */
void fault_text(char *buf, size_t size)
{
    if (fault.count == 0) {
        fmt(buf, size, "ok");
        return;
    }
    char name[8], code[8] = "", cr2[16] = "", where[12] = "", times[8] = "";
    name_of(fault.vector, name, sizeof name);
    if (pushes_error(fault.vector))
        fmt(code, sizeof code, "(%04x)", fault.error);
    if (fault.vector == 14)
        fmt(cr2, sizeof cr2, " cr2=%08x", fault.cr2);
    /* A double fault is an abort: its saved EIP is undefined (6.15, #DF). */
    if (fault.vector != 8 && fault.eip != fault.insn)
        fmt(where, sizeof where, " eip=%s", fault.eip == fault.resume ? "next" : "other");
    if (fault.count > 1)
        fmt(times, sizeof times, " x%u", fault.count);
    fmt(buf, size, "%s%s%s%s%s", name, code, cr2, where, times);
}

static void report(const char *name, const char *expect, const char *got)
{
    n_checks++;
    if (strcmp(got, expect) == 0) {
        kprintf("%s: %s\n", name, got);
    } else {
        n_unlike++;
        kprintf("%s: %s   [SDM: %s]\n", name, got, expect);
    }
}

void check(const char *name, const char *expect, const char *f, ...)
{
    char got[128];
    va_list ap;
    va_start(ap, f);
    vfmt(got, sizeof got, f, ap);
    va_end(ap);
    report(name, expect, got);
}

void check_fault(const char *name, const char *expect)
{
    char got[128];
    fault_text(got, sizeof got);
    report(name, expect, got);
}

void check_ok(const char *name, const char *expect, const char *f, ...)
{
    if (fault.count) {
        check_fault(name, expect);
        return;
    }
    char got[128] = "ok ";
    va_list ap;
    va_start(ap, f);
    vfmt(got + 3, sizeof got - 3, f, ap);
    va_end(ap);
    report(name, expect, got);
}

void finish(void)
{
    kprintf("systest: end, %u checks, %u unlike the SDM\n", n_checks, n_unlike);
    guest_exit(0);
}

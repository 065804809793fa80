/* The trace: one stream of events for everything worth seeing in a run.
 *
 * The machine reports what happens — a ring switch, an exception or
 * interrupt delivered, a page walk, a TLB flush, a port or MMIO access, a
 * system register loaded; the
 * later labs add traps, VM exits, hypercalls and the rest — as events. The
 * visualizer, the grader, `vlab trace`, `vlab run --trace` and the
 * statistics all read this one stream; nobody reaches into engine internals.
 *
 *   CPU / engine hook          struct trace                      consumers
 *   trace_walk(cpu, &w) ---->  stats: counts, simulated cycles   (always)
 *                              mask & kind? --> trace_emit() --> sink 1, sink 2 ...
 *
 * Paid for only when asked: every hook is an inline helper that updates the
 * statistics (a few counters, on paths that are already slow: a TLB miss, an
 * exception, a port access) and builds an event only when some subscriber
 * wants its kind. No hook sits on the per-instruction path, so with nobody
 * listening the CPU runs as fast as without a trace.
 *
 * Every event carries a sequence number (events of every kind are counted,
 * listened to or not, so `--kinds walk` shows the same numbers as the whole
 * stream), the vcpu, the instructions retired before it and the simulated
 * cycles (retired instructions plus the cost model of core/trace/cost.c).
 * Runs are deterministic (see vm.h), and so is the trace, byte for byte.
 *
 * A CPU without a trace (cpu->trace == NULL, as in the unit tests' bare
 * fixtures) neither counts nor charges cycles.
 */
#ifndef VLAB_TRACE_H
#define VLAB_TRACE_H

#include <assert.h>
#include <stdio.h>

#include "vlab/cpu.h"
#include "vlab/mmu.h"

/* ---- Event kinds -----------------------------------------------------------
 *
 * One list feeds the enum, the names used by `--kinds` filters and the text
 * and JSON output. The kinds after `sysreg` are reserved for the labs that
 * will emit them; nothing emits them yet.
 */
#define TRACE_KIND_LIST(X)                                                                    \
    X(RING, ring)               /* CPL changed: far call/ret, iret, delivery */               \
    X(EXCEPTION, exception)     /* an exception or INT n delivered through the IDT */         \
    X(INTERRUPT, interrupt)     /* an external interrupt delivered through the IDT */         \
    X(WALK, walk)               /* a page walk (a TLB miss): every step, the fault if any */  \
    X(TLB_FLUSH, tlb_flush)     /* the whole TLB or one page forgotten */                     \
    X(PIO, pio)                 /* an IN/OUT/INS/OUTS port access */                          \
    X(MMIO, mmio)               /* a load or store that reached a device's memory */          \
    X(SYSREG, sysreg)           /* CR0/CR3/CR4, GDTR, IDTR, LDTR or TR loaded */              \
    /* Reserved: named now so filters and consumers know them; nothing emits them yet. */    \
    X(TRAP, trap)               /* lab 2: a guest fault or instruction trapped to the monitor */ \
    X(VMEXIT, vmexit)           /* lab 4: a VM exit (reason, qualification) */                \
    X(HYPERCALL, hypercall)     /* lab 3: a paravirtual call into the hypervisor */           \
    X(TRANSLATION, translation) /* lab 2: a block scanned into the translation cache */       \
    X(CALLOUT, callout)         /* lab 2: translated code called the monitor */              \
    X(SHADOW_SYNC, shadow_sync) /* lab 2: a shadow page table brought up to date */          \
    X(VQ_KICK, vq_kick)         /* lab 5: a virtqueue notification */                        \
    X(DMA, dma)                 /* lab 5: a device read or wrote guest memory */              \
    X(IOMMU_FAULT, iommu_fault) /* lab 5: the IOMMU refused a DMA */

enum trace_kind {
#define X(upper, lower) TRACE_##upper,
    TRACE_KIND_LIST(X)
#undef X
    TRACE_KIND_COUNT
};

static_assert(TRACE_KIND_COUNT <= 32, "a subscription mask has one bit per kind");

#define TRACE_BIT(kind) (1u << (kind))
#define TRACE_ALL ((uint32_t)((1ull << TRACE_KIND_COUNT) - 1))

/* Why the CPL changed. */
#define TRACE_RING_CAUSE_LIST(X)                                         \
    X(EXCEPTION, exception) /* an exception's delivery */                \
    X(INTERRUPT, interrupt) /* an external interrupt's delivery */       \
    X(SOFT_INT, int)        /* INT n, INT3, INTO */                      \
    X(CALL, call)           /* a far CALL through a call gate */         \
    X(RETF, retf)           /* a far RET to an outer ring */             \
    X(IRET, iret)           /* IRET to an outer ring */

enum trace_ring_cause {
#define X(upper, lower) TRACE_RING_##upper,
    TRACE_RING_CAUSE_LIST(X)
#undef X
    TRACE_RING_CAUSE_COUNT
};

/* The system registers whose loads are reported (MOV CRn, LMSW, CLTS, LGDT,
 * LIDT, LLDT, LTR). */
#define TRACE_SYSREG_LIST(X)                            \
    X(CR0, cr0)   /* MOV CR0, LMSW, CLTS */             \
    X(CR3, cr3)   /* MOV CR3: a new page directory */   \
    X(CR4, cr4)   /* MOV CR4 */                         \
    X(GDTR, gdtr) /* LGDT */                            \
    X(IDTR, idtr) /* LIDT */                            \
    X(LDTR, ldtr) /* LLDT */                            \
    X(TR, tr)     /* LTR */

enum trace_sysreg_reg {
#define X(upper, lower) TRACE_SYSREG_##upper,
    TRACE_SYSREG_LIST(X)
#undef X
    TRACE_SYSREG_COUNT
};

/* ---- Events ----------------------------------------------------------------- */

struct trace_ring {
    uint8_t from, to;   /* CPL before and after */
    uint8_t cause;      /* enum trace_ring_cause */
    uint32_t eip;       /* the instruction that switched (or was interrupted) */
};

struct trace_exception {
    uint8_t vector;
    bool soft;          /* INT n / INT3 / INTO */
    bool has_error;
    uint32_t error;
    uint32_t eip;       /* the faulting (or INT) instruction */
    uint8_t cpl;        /* CPL when it happened */
    gva_t cr2;          /* #PF: the faulting linear address */
};

struct trace_interrupt {
    uint8_t vector;
    uint32_t eip;       /* where the CPU was interrupted (and will return to) */
    uint8_t cpl;
};

struct trace_tlb_flush {
    bool page;          /* one page (INVLPG) or the whole TLB */
    gva_t lin;          /* the page, when `page` */
};

struct trace_io {
    uint64_t addr;      /* the port (pio) or the physical address (mmio) */
    uint32_t value;     /* read or written */
    uint8_t size;       /* 1, 2 or 4 bytes */
    bool write;
};

/* A system register loaded. old_value and new_value are the register for
 * CR0/CR3/CR4, the table's base for GDTR/IDTR (`limit` its new limit), and
 * the selector for LDTR/TR. Reported after the load succeeded (a load that
 * faults reports nothing), whether or not the value changed. */
struct trace_sysreg {
    uint8_t reg;        /* enum trace_sysreg_reg */
    uint16_t limit;     /* GDTR, IDTR: the new limit; 0 for the others */
    uint32_t old_value, new_value;
    uint32_t eip;       /* the instruction that loaded it */
};

struct trace_event {
    uint64_t seq;       /* 1, 2, 3 ...: events of every kind, counted whether emitted or not */
    uint64_t icount;    /* instructions retired before the event */
    uint64_t cycles;    /* simulated cycles so far, this event's cost included */
    uint16_t vcpu;
    uint8_t kind;       /* enum trace_kind */
    union {
        struct trace_ring ring;
        struct trace_exception exception;
        struct trace_interrupt interrupt;
        struct mmu_walk walk;
        struct trace_tlb_flush tlb_flush;
        struct trace_io io; /* pio and mmio */
        struct trace_sysreg sysreg;
    } u;
};

/* ---- Statistics (core/trace/stats.c): always on --------------------------- */

/* Port ranges the statistics count separately: the PC's usual devices. */
#define TRACE_PIO_RANGE_LIST(X)                 \
    X(DMA, dma, 0x00, 0x1f)                     \
    X(PIC1, pic1, 0x20, 0x21)                   \
    X(PIT, pit, 0x40, 0x43)                     \
    X(KBD, kbd, 0x60, 0x64)                     \
    X(RTC, rtc, 0x70, 0x71)                     \
    X(PIC2, pic2, 0xa0, 0xa1)                   \
    X(DEBUG_EXIT, debug_exit, 0xf4, 0xf7)       \
    X(COM2, com2, 0x2f8, 0x2ff)                 \
    X(COM1, com1, 0x3f8, 0x3ff)                 \
    X(PCI, pci, 0xcf8, 0xcff)

enum trace_pio_range {
#define X(upper, lower, first, last) TRACE_PIO_##upper,
    TRACE_PIO_RANGE_LIST(X)
#undef X
    TRACE_PIO_OTHER, /* every other port */
    TRACE_PIO_RANGE_COUNT
};

enum trace_walk_outcome { TRACE_WALK_OK, TRACE_WALK_FAULT, TRACE_WALK_OUTCOMES };
enum trace_walk_size {
    TRACE_WALK_4K,
    TRACE_WALK_4M,
    TRACE_WALK_NO_TABLE, /* stopped at a directory entry that was not present */
    TRACE_WALK_SIZES
};

struct trace_stats {
    uint64_t events[TRACE_KIND_COUNT];
    uint64_t rings[4][4];                /* CPL changes, [from][to] */
    uint64_t exceptions[32];             /* exceptions delivered, by vector */
    uint64_t soft_ints[256];             /* INT n / INT3 / INTO delivered, by vector */
    uint64_t interrupts[256];            /* external interrupts delivered, by vector */
    uint64_t walks[TRACE_WALK_OUTCOMES][TRACE_WALK_SIZES];
    uint64_t walk_steps;                 /* entries read by all the walks */
    uint64_t tlb_flushes_full, tlb_flushes_page;
    uint64_t pio[TRACE_PIO_RANGE_COUNT]; /* port accesses, by range */
    uint64_t mmio_reads, mmio_writes;
    uint64_t sysregs[TRACE_SYSREG_COUNT]; /* system register loads, by register */
};

/* ---- The stream ------------------------------------------------------------ */

/* A subscriber: called for each event of the kinds it asked for. The event
 * lives only during the call. */
typedef void trace_sink_fn(void *ctx, const struct trace_event *ev);

#define TRACE_MAX_SINKS 4

struct trace_sink {
    uint32_t kinds; /* TRACE_BIT() mask; 0: a free slot */
    trace_sink_fn *fn;
    void *ctx;
};

struct trace {
    uint32_t mask;  /* the union of the sinks' kinds: what the hooks test */
    uint64_t seq;   /* events so far, of every kind */
    struct trace_sink sinks[TRACE_MAX_SINKS];
    struct trace_stats stats;
};

/* An empty trace: no subscribers, every counter zero. */
void trace_init(struct trace *t);

/* Subscribe `fn(ctx, ev)` to the kinds in `kinds` (TRACE_BIT mask, nonzero).
 * Returns a handle for trace_unsubscribe(), or -ENOSPC when
 * TRACE_MAX_SINKS subscribers are there already. */
int trace_subscribe(struct trace *t, uint32_t kinds, trace_sink_fn *fn, void *ctx);
void trace_unsubscribe(struct trace *t, int handle);

/* Stamp `ev` (seq, vcpu, icount, cycles: the event must have been counted
 * by trace_count() first) and hand it to every subscriber of its kind. */
void trace_emit(struct trace *t, const struct cpu *cpu, struct trace_event *ev);

/* Count one event of `kind` (its sequence number and the statistics by kind). */
static inline void trace_count(struct trace *t, enum trace_kind kind)
{
    t->seq++;
    t->stats.events[kind]++;
}

/* Does any subscriber want `kind`? */
static inline bool trace_wants(const struct trace *t, enum trace_kind kind)
{
    return vlab_unlikely(t->mask & TRACE_BIT(kind));
}

/* Names: "ring", "walk" ...; NULL for a number out of range. */
const char *trace_kind_name(unsigned kind);
const char *trace_ring_cause_name(unsigned cause);
const char *trace_pio_range_name(unsigned range);
const char *trace_sysreg_name(unsigned reg);

/* The range a port is counted under (enum trace_pio_range). */
enum trace_pio_range trace_pio_range_of(uint16_t port);

/* Parse a comma-separated list of kind names ("walk,pio"; "all" for every
 * kind) into a TRACE_BIT mask. Returns 0; or -EINVAL with one sentence in
 * `err` naming the word it did not know. */
int trace_parse_kinds(const char *list, uint32_t *mask, char *err, size_t errlen);

/* Format `ev` as one line of text or one JSON object (no newline). Both
 * behave like snprintf: they return the length the whole line needs and
 * write at most `len` bytes, always NUL-terminated. */
int trace_format_text(const struct trace_event *ev, char *buf, size_t len);
int trace_format_json(const struct trace_event *ev, char *buf, size_t len);

/* Ready-made sinks: one line per event, text or JSON lines, to the FILE *
 * given as `ctx`. */
void trace_sink_text(void *file, const struct trace_event *ev);
void trace_sink_json(void *file, const struct trace_event *ev);

/* ---- Hooks ---------------------------------------------------------------
 *
 * One line at each place in the machine where something happens. Each
 * updates the statistics and the simulated cycles (core/trace/stats.c) and
 * builds an event only when it is wanted.
 */

void trace_stats_ring(struct trace *t, unsigned from, unsigned to);
void trace_stats_delivered(struct trace *t, struct cpu *cpu, const struct cpu_exception *ev,
                           bool external);
void trace_stats_walk(struct trace *t, struct cpu *cpu, const struct mmu_walk *w);
void trace_stats_tlb_flush(struct trace *t, struct cpu *cpu, bool page);
void trace_stats_io(struct trace *t, enum trace_kind kind, uint64_t addr, bool write);
void trace_stats_sysreg(struct trace *t, enum trace_sysreg_reg reg);

void trace_emit_ring(struct trace *t, const struct cpu *cpu, unsigned from, unsigned to,
                     enum trace_ring_cause cause);
void trace_emit_delivered(struct trace *t, const struct cpu *cpu, const struct cpu_exception *ev,
                          bool external, unsigned cpl);
void trace_emit_walk(struct trace *t, const struct cpu *cpu, const struct mmu_walk *w);
void trace_emit_tlb_flush(struct trace *t, const struct cpu *cpu, bool page, gva_t lin);
void trace_emit_io(struct trace *t, const struct cpu *cpu, enum trace_kind kind, uint64_t addr,
                   unsigned size, uint32_t value, bool write);
void trace_emit_sysreg(struct trace *t, const struct cpu *cpu, enum trace_sysreg_reg reg,
                       uint32_t old_value, uint32_t new_value, uint16_t limit);

/* The CPL goes from `from` to `to` (nothing happens when they are equal);
 * the instruction is cpu->insn_eip. */
static inline void trace_ring(struct cpu *cpu, unsigned from, unsigned to, enum trace_ring_cause cause)
{
    struct trace *t = cpu->trace;
    if (!t || from == to)
        return;
    trace_stats_ring(t, from, to);
    if (trace_wants(t, TRACE_RING))
        trace_emit_ring(t, cpu, from, to, cause);
}

/* `ev` was delivered through the IDT (an external interrupt when
 * `external`), from CPL `cpl` at cpu->insn_eip; also reports the ring
 * switch delivery made, if any. */
static inline void trace_delivered(struct cpu *cpu, const struct cpu_exception *ev, bool external,
                                   unsigned cpl)
{
    struct trace *t = cpu->trace;
    if (!t)
        return;
    enum trace_kind kind = external ? TRACE_INTERRUPT : TRACE_EXCEPTION;
    trace_stats_delivered(t, cpu, ev, external);
    if (trace_wants(t, kind))
        trace_emit_delivered(t, cpu, ev, external, cpl);
    enum trace_ring_cause cause = external ? TRACE_RING_INTERRUPT
                                  : ev->soft ? TRACE_RING_SOFT_INT : TRACE_RING_EXCEPTION;
    trace_ring(cpu, cpl, cpu->cpl, cause);
}

/* A page walk: a TLB miss with paging on. */
static inline void trace_walk(struct cpu *cpu, const struct mmu_walk *w)
{
    struct trace *t = cpu->trace;
    if (!t)
        return;
    trace_stats_walk(t, cpu, w);
    if (trace_wants(t, TRACE_WALK))
        trace_emit_walk(t, cpu, w);
}

/* The whole TLB (page == false) or the entry for `lin` was forgotten. */
static inline void trace_tlb_flush(struct cpu *cpu, bool page, gva_t lin)
{
    struct trace *t = cpu->trace;
    if (!t)
        return;
    trace_stats_tlb_flush(t, cpu, page);
    if (trace_wants(t, TRACE_TLB_FLUSH))
        trace_emit_tlb_flush(t, cpu, page, lin);
}

/* A port access (kind TRACE_PIO, addr = port) or an MMIO access (TRACE_MMIO,
 * addr = physical address). */
static inline void trace_io(struct cpu *cpu, enum trace_kind kind, uint64_t addr, unsigned size,
                            uint32_t value, bool write)
{
    struct trace *t = cpu->trace;
    if (!t)
        return;
    trace_stats_io(t, kind, addr, write);
    if (trace_wants(t, kind))
        trace_emit_io(t, cpu, kind, addr, size, value, write);
}

/* System register `reg` was loaded with `new_value` (was `old_value`; see
 * struct trace_sysreg) by the instruction at cpu->insn_eip. */
static inline void trace_sysreg(struct cpu *cpu, enum trace_sysreg_reg reg, uint32_t old_value,
                                uint32_t new_value, uint16_t limit)
{
    struct trace *t = cpu->trace;
    if (!t)
        return;
    trace_stats_sysreg(t, reg);
    if (trace_wants(t, TRACE_SYSREG))
        trace_emit_sysreg(t, cpu, reg, old_value, new_value, limit);
}

/* ---- Statistics: reading them ----------------------------------------------- */

/* Simulated cycles so far: retired instructions plus the modelled costs. */
static inline uint64_t trace_cycles(const struct cpu *cpu)
{
    return cpu->icount + cpu->extra_cycles;
}

/* Totals over the per-vector arrays. */
uint64_t trace_stats_exceptions(const struct trace_stats *s);
uint64_t trace_stats_soft_ints(const struct trace_stats *s);
uint64_t trace_stats_interrupts(const struct trace_stats *s);

/* The summary of a run, a few lines each starting with `prefix`: exceptions
 * and interrupts by vector, page walks by outcome and size, TLB flushes,
 * ring switches, port I/O by range and MMIO, system register loads. */
void trace_stats_print(const struct trace_stats *s, FILE *f, const char *prefix);

#endif

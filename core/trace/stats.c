/* The statistics: counts by kind and sub-kind, kept for every event whether
 * anyone listens or not, and the simulated cycles each event costs (the
 * model of cost.c). Every function here runs on a path that is already slow
 * (a TLB miss, an exception, a port access): a few additions each.
 */
#include <inttypes.h>
#include <string.h>
#include <threads.h>

#include "vlab/trace.h"

#include "cost.h"

/* ---- Counting ------------------------------------------------------------------ */

void trace_stats_ring(struct trace *t, unsigned from, unsigned to)
{
    trace_count(t, TRACE_RING);
    t->stats.rings[from & 3][to & 3]++;
}

void trace_stats_delivered(struct trace *t, struct cpu *cpu, const struct cpu_exception *ev,
                           bool external)
{
    struct trace_stats *s = &t->stats;
    if (external) {
        trace_count(t, TRACE_INTERRUPT);
        s->interrupts[ev->vector]++;
        cpu->extra_cycles += cost_cycles[COST_INTERRUPT];
        return;
    }
    trace_count(t, TRACE_EXCEPTION);
    if (ev->soft)
        s->soft_ints[ev->vector]++;
    else if (ev->vector < VLAB_ARRAY_SIZE(s->exceptions))
        s->exceptions[ev->vector]++;
    cpu->extra_cycles += cost_cycles[COST_EXCEPTION];
}

static enum trace_walk_size walk_size(const struct mmu_walk *w)
{
    if (w->large)
        return TRACE_WALK_4M;
    return w->nsteps == 2 ? TRACE_WALK_4K : TRACE_WALK_NO_TABLE;
}

void trace_stats_walk(struct trace *t, struct cpu *cpu, const struct mmu_walk *w)
{
    trace_count(t, TRACE_WALK);
    t->stats.walks[w->fault ? TRACE_WALK_FAULT : TRACE_WALK_OK][walk_size(w)]++;
    t->stats.walk_steps += w->nsteps;
    cpu->extra_cycles += w->nsteps * cost_cycles[COST_WALK_STEP];
}

void trace_stats_tlb_flush(struct trace *t, struct cpu *cpu, bool page)
{
    trace_count(t, TRACE_TLB_FLUSH);
    if (page)
        t->stats.tlb_flushes_page++;
    else
        t->stats.tlb_flushes_full++;
    cpu->extra_cycles += cost_cycles[page ? COST_TLB_FLUSH_PAGE : COST_TLB_FLUSH];
}

void trace_stats_io(struct trace *t, enum trace_kind kind, uint64_t addr, bool write)
{
    trace_count(t, kind);
    if (kind == TRACE_PIO)
        t->stats.pio[trace_pio_range_of((uint16_t)addr)]++;
    else if (write)
        t->stats.mmio_writes++;
    else
        t->stats.mmio_reads++;
}

/* Loading a system register costs no cycles of its own in the model: what
 * makes it expensive on hardware is what follows (a CR3 or CR0.PG write
 * flushes the TLB, charged as a flush, and the misses after it, charged as
 * walks). */
void trace_stats_sysreg(struct trace *t, enum trace_sysreg_reg reg)
{
    trace_count(t, TRACE_SYSREG);
    t->stats.sysregs[reg]++;
}

/* ---- Port ranges ------------------------------------------------------------------ */

static const struct {
    uint16_t first, last;
    const char *name;
} pio_ranges[] = {
#define X(upper, lower, lo, hi) [TRACE_PIO_##upper] = { lo, hi, #lower },
    TRACE_PIO_RANGE_LIST(X)
#undef X
    [TRACE_PIO_OTHER] = { 0, 0xffff, "other" },
};
static_assert(VLAB_ARRAY_SIZE(pio_ranges) == TRACE_PIO_RANGE_COUNT, "one row per range");

/* The first range in pio_ranges that holds `port`: the definition. */
static enum trace_pio_range search_range(uint16_t port)
{
    unsigned k = 0;
    while (k < TRACE_PIO_OTHER && (port < pio_ranges[k].first || port > pio_ranges[k].last))
        k++;
    return (enum trace_pio_range)k;
}

/* Every access is counted by range, so the ports where the PC's devices
 * live (all of them below 0x1000) find theirs in a table, built from
 * search_range() the first time it is needed; ports above it are searched. */
#define RANGE_TABLE_PORTS 0x1000u
static uint8_t range_table[RANGE_TABLE_PORTS];
static once_flag range_table_once = ONCE_FLAG_INIT;
static_assert(TRACE_PIO_RANGE_COUNT <= 256, "a range number fits in a byte");

static void build_range_table(void)
{
    for (unsigned port = 0; port < RANGE_TABLE_PORTS; port++)
        range_table[port] = (uint8_t)search_range((uint16_t)port);
}

enum trace_pio_range trace_pio_range_of(uint16_t port)
{
    if (port >= RANGE_TABLE_PORTS)
        return search_range(port);
    call_once(&range_table_once, build_range_table);
    return (enum trace_pio_range)range_table[port];
}

const char *trace_pio_range_name(unsigned range)
{
    return range < TRACE_PIO_RANGE_COUNT ? pio_ranges[range].name : NULL;
}

/* ---- Totals and the summary ----------------------------------------------------------- */

static uint64_t sum(const uint64_t *v, size_t n)
{
    uint64_t total = 0;
    for (size_t k = 0; k < n; k++)
        total += v[k];
    return total;
}

uint64_t trace_stats_exceptions(const struct trace_stats *s)
{
    return sum(s->exceptions, VLAB_ARRAY_SIZE(s->exceptions));
}

uint64_t trace_stats_soft_ints(const struct trace_stats *s)
{
    return sum(s->soft_ints, VLAB_ARRAY_SIZE(s->soft_ints));
}

uint64_t trace_stats_interrupts(const struct trace_stats *s)
{
    return sum(s->interrupts, VLAB_ARRAY_SIZE(s->interrupts));
}

/* " NAME COUNT" for every nonzero vector; " none" when there is none.
 * Exceptions are named by their mnemonic (#PF), other vectors in hex. */
static void print_vectors(FILE *f, const uint64_t *count, unsigned n, bool mnemonics)
{
    unsigned shown = 0;
    for (unsigned v = 0; v < n; v++) {
        if (!count[v])
            continue;
        if (mnemonics) {
            const char *name = cpu_vector_name(v);
            fprintf(f, " %.*s %" PRIu64, (int)strcspn(name, " "), name, count[v]);
        } else {
            fprintf(f, " 0x%02x %" PRIu64, v, count[v]);
        }
        shown++;
    }
    if (!shown)
        fputs(" none", f);
}

static void print_walks(const struct trace_stats *s, FILE *f, const char *prefix)
{
    const uint64_t *ok = s->walks[TRACE_WALK_OK], *bad = s->walks[TRACE_WALK_FAULT];
    fprintf(f, "%spage walks: %" PRIu64 " ok (%" PRIu64 " 4K, %" PRIu64 " 4M), %" PRIu64
               " faulted (%" PRIu64 " 4K, %" PRIu64 " 4M, %" PRIu64 " at the directory); %" PRIu64
               " steps\n",
            prefix, sum(ok, TRACE_WALK_SIZES), ok[TRACE_WALK_4K], ok[TRACE_WALK_4M],
            sum(bad, TRACE_WALK_SIZES), bad[TRACE_WALK_4K], bad[TRACE_WALK_4M],
            bad[TRACE_WALK_NO_TABLE], s->walk_steps);
}

static void print_rings(const struct trace_stats *s, FILE *f)
{
    fputs("; ring switches:", f);
    unsigned shown = 0;
    for (unsigned from = 0; from < 4; from++)
        for (unsigned to = 0; to < 4; to++)
            if (s->rings[from][to]) {
                fprintf(f, " %u->%u %" PRIu64, from, to, s->rings[from][to]);
                shown++;
            }
    if (!shown)
        fputs(" none", f);
}

static void print_io(const struct trace_stats *s, FILE *f, const char *prefix)
{
    fprintf(f, "%sport I/O:", prefix);
    unsigned shown = 0;
    for (unsigned r = 0; r < TRACE_PIO_RANGE_COUNT; r++)
        if (s->pio[r]) {
            fprintf(f, " %s %" PRIu64, pio_ranges[r].name, s->pio[r]);
            shown++;
        }
    fprintf(f, "%s; MMIO: %" PRIu64 " reads, %" PRIu64 " writes\n", shown ? "" : " none",
            s->mmio_reads, s->mmio_writes);
}

static void print_sysregs(const struct trace_stats *s, FILE *f, const char *prefix)
{
    fprintf(f, "%ssystem registers loaded:", prefix);
    unsigned shown = 0;
    for (unsigned r = 0; r < TRACE_SYSREG_COUNT; r++)
        if (s->sysregs[r]) {
            fprintf(f, " %s %" PRIu64, trace_sysreg_name(r), s->sysregs[r]);
            shown++;
        }
    fputs(shown ? "\n" : " none\n", f);
}

void trace_stats_print(const struct trace_stats *s, FILE *f, const char *prefix)
{
    fprintf(f, "%sexceptions:", prefix);
    print_vectors(f, s->exceptions, VLAB_ARRAY_SIZE(s->exceptions), true);
    fputs("; software interrupts:", f);
    print_vectors(f, s->soft_ints, VLAB_ARRAY_SIZE(s->soft_ints), false);
    fprintf(f, "\n%sinterrupts:", prefix);
    print_vectors(f, s->interrupts, VLAB_ARRAY_SIZE(s->interrupts), false);
    fputc('\n', f);
    print_walks(s, f, prefix);
    fprintf(f, "%sTLB flushes: %" PRIu64 " full, %" PRIu64 " single page", prefix,
            s->tlb_flushes_full, s->tlb_flushes_page);
    print_rings(s, f);
    fputc('\n', f);
    print_io(s, f, prefix);
    print_sysregs(s, f, prefix);
}

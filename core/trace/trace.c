/* The event stream: subscribing, emitting, and the two ways of printing an
 * event (one line of text, one JSON object) that `vlab trace`, `vlab run
 * --trace` and the grader share. See vlab/trace.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "vlab/trace.h"

/* ---- Names ---------------------------------------------------------------------- */

static const char *const kind_names[] = {
#define X(upper, lower) [TRACE_##upper] = #lower,
    TRACE_KIND_LIST(X)
#undef X
};
static_assert(VLAB_ARRAY_SIZE(kind_names) == TRACE_KIND_COUNT, "one name per kind");

static const char *const ring_cause_names[] = {
#define X(upper, lower) [TRACE_RING_##upper] = #lower,
    TRACE_RING_CAUSE_LIST(X)
#undef X
};
static_assert(VLAB_ARRAY_SIZE(ring_cause_names) == TRACE_RING_CAUSE_COUNT, "one name per cause");

static const char *const sysreg_names[] = {
#define X(upper, lower) [TRACE_SYSREG_##upper] = #lower,
    TRACE_SYSREG_LIST(X)
#undef X
};
static_assert(VLAB_ARRAY_SIZE(sysreg_names) == TRACE_SYSREG_COUNT, "one name per register");

const char *trace_kind_name(unsigned kind)
{
    return kind < TRACE_KIND_COUNT ? kind_names[kind] : NULL;
}

const char *trace_ring_cause_name(unsigned cause)
{
    return cause < TRACE_RING_CAUSE_COUNT ? ring_cause_names[cause] : NULL;
}

const char *trace_sysreg_name(unsigned reg)
{
    return reg < TRACE_SYSREG_COUNT ? sysreg_names[reg] : NULL;
}

/* The kind called `name` (`len` bytes, not NUL-terminated), or -1. */
static int kind_of(const char *name, size_t len)
{
    for (unsigned k = 0; k < TRACE_KIND_COUNT; k++)
        if (strlen(kind_names[k]) == len && !memcmp(kind_names[k], name, len))
            return (int)k;
    return -1;
}

int trace_parse_kinds(const char *list, uint32_t *mask, char *err, size_t errlen)
{
    uint32_t m = 0;
    for (const char *word = list;; word++) {
        size_t len = strcspn(word, ",");
        int kind = kind_of(word, len);
        if (len == 3 && !memcmp(word, "all", 3))
            m |= TRACE_ALL;
        else if (kind >= 0)
            m |= TRACE_BIT(kind);
        else {
            snprintf(err, errlen, "unknown event kind '%.*s' (known: all, ring, exception, interrupt, "
                     "walk, tlb_flush, pio, mmio, sysreg, and the reserved ones of vlab/trace.h)", (int)len, word);
            return -EINVAL;
        }
        word += len;
        if (!*word)
            break;
    }
    *mask = m;
    return 0;
}

/* ---- Subscribing and emitting ------------------------------------------------------- */

void trace_init(struct trace *t)
{
    memset(t, 0, sizeof(*t));
}

static void update_mask(struct trace *t)
{
    t->mask = 0;
    for (unsigned k = 0; k < TRACE_MAX_SINKS; k++)
        t->mask |= t->sinks[k].kinds;
}

int trace_subscribe(struct trace *t, uint32_t kinds, trace_sink_fn *fn, void *ctx)
{
    assert((kinds & TRACE_ALL) && fn);
    for (unsigned k = 0; k < TRACE_MAX_SINKS; k++) {
        if (t->sinks[k].kinds)
            continue;
        t->sinks[k] = (struct trace_sink){ kinds & TRACE_ALL, fn, ctx };
        update_mask(t);
        return (int)k;
    }
    return -ENOSPC;
}

void trace_unsubscribe(struct trace *t, int handle)
{
    assert(handle >= 0 && handle < TRACE_MAX_SINKS);
    t->sinks[handle] = (struct trace_sink){ 0 };
    update_mask(t);
}

void trace_emit(struct trace *t, const struct cpu *cpu, struct trace_event *ev)
{
    ev->seq = t->seq;
    ev->vcpu = cpu->id;
    ev->icount = cpu->icount;
    ev->cycles = trace_cycles(cpu);
    for (unsigned k = 0; k < TRACE_MAX_SINKS; k++)
        if (t->sinks[k].kinds & TRACE_BIT(ev->kind))
            t->sinks[k].fn(t->sinks[k].ctx, ev);
}

/* ---- The hooks' events (see the inline helpers in vlab/trace.h) -------------------- */

void trace_emit_ring(struct trace *t, const struct cpu *cpu, unsigned from, unsigned to,
                     enum trace_ring_cause cause)
{
    struct trace_event ev = { .kind = TRACE_RING };
    ev.u.ring = (struct trace_ring){ (uint8_t)from, (uint8_t)to, (uint8_t)cause, cpu->insn_eip };
    trace_emit(t, cpu, &ev);
}

void trace_emit_delivered(struct trace *t, const struct cpu *cpu, const struct cpu_exception *e,
                          bool external, unsigned cpl)
{
    struct trace_event ev;
    memset(&ev, 0, sizeof(ev));
    if (external) {
        ev.kind = TRACE_INTERRUPT;
        ev.u.interrupt = (struct trace_interrupt){ e->vector, cpu->insn_eip, (uint8_t)cpl };
    } else {
        ev.kind = TRACE_EXCEPTION;
        ev.u.exception = (struct trace_exception){
            .vector = e->vector, .soft = e->soft, .has_error = e->has_error, .error = e->error,
            .eip = cpu->insn_eip, .cpl = (uint8_t)cpl, .cr2 = e->cr2,
        };
    }
    trace_emit(t, cpu, &ev);
}

void trace_emit_walk(struct trace *t, const struct cpu *cpu, const struct mmu_walk *w)
{
    struct trace_event ev = { .kind = TRACE_WALK };
    ev.u.walk = *w;
    trace_emit(t, cpu, &ev);
}

void trace_emit_tlb_flush(struct trace *t, const struct cpu *cpu, bool page, gva_t lin)
{
    struct trace_event ev = { .kind = TRACE_TLB_FLUSH };
    ev.u.tlb_flush = (struct trace_tlb_flush){ page, page ? lin : 0 };
    trace_emit(t, cpu, &ev);
}

void trace_emit_io(struct trace *t, const struct cpu *cpu, enum trace_kind kind, uint64_t addr,
                   unsigned size, uint32_t value, bool write)
{
    struct trace_event ev = { .kind = (uint8_t)kind };
    ev.u.io = (struct trace_io){ addr, value, (uint8_t)size, write };
    trace_emit(t, cpu, &ev);
}

void trace_emit_sysreg(struct trace *t, const struct cpu *cpu, enum trace_sysreg_reg reg,
                       uint32_t old_value, uint32_t new_value, uint16_t limit)
{
    struct trace_event ev = { .kind = TRACE_SYSREG };
    ev.u.sysreg = (struct trace_sysreg){ (uint8_t)reg, limit, old_value, new_value, cpu->insn_eip };
    trace_emit(t, cpu, &ev);
}

/* ---- Formatting ------------------------------------------------------------------------
 *
 * One description of each kind's fields, written through a small writer
 * that spells them either as text (key=value, addresses in hex) or as JSON
 * (every number in decimal). Field values are numbers and fixed names:
 * nothing ever needs escaping.
 */

struct out {
    char *buf;
    size_t cap;
    size_t len; /* what the whole line needs so far (may exceed cap) */
    bool json;
    bool sep;   /* the next field needs a separator */
};

static void put(struct out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = o->len < o->cap ? o->cap - o->len : 0;
    int n = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
    va_end(ap);
    o->len += n > 0 ? (size_t)n : 0;
}

static void key(struct out *o, const char *name)
{
    if (o->json)
        put(o, "%s\"%s\":", o->sep ? "," : "", name);
    else
        put(o, "%s%s=", o->sep ? " " : "", name);
    o->sep = true;
}

static void field_u(struct out *o, const char *name, uint64_t v)
{
    key(o, name);
    put(o, "%" PRIu64, v);
}

/* An address or bit pattern: hex in text, a plain number in JSON. */
static void field_x(struct out *o, const char *name, uint64_t v)
{
    key(o, name);
    put(o, o->json ? "%" PRIu64 : "0x%08" PRIx64, v);
}

static void field_s(struct out *o, const char *name, const char *s)
{
    key(o, name);
    put(o, o->json ? "\"%s\"" : "%s", s);
}

static void field_b(struct out *o, const char *name, bool b)
{
    key(o, name);
    put(o, "%s", o->json ? (b ? "true" : "false") : (b ? "yes" : "no"));
}

/* Open a list or object: named, or (name NULL) an element of a list. */
static void begin(struct out *o, const char *name, char bracket)
{
    if (name)
        key(o, name);
    else if (o->sep)
        put(o, o->json ? "," : " ");
    put(o, "%c", bracket);
    o->sep = false;
}

static void end(struct out *o, char bracket)
{
    put(o, "%c", bracket);
    o->sep = true;
}

/* ---- Each kind's fields -------------------------------------------------------------------- */

static void fields_ring(struct out *o, const struct trace_event *ev)
{
    const struct trace_ring *r = &ev->u.ring;
    field_u(o, "from", r->from);
    field_u(o, "to", r->to);
    field_s(o, "cause", trace_ring_cause_name(r->cause));
    field_x(o, "eip", r->eip);
}

/* "#PF" for an exception vector, "int" for INT n, "irq" for the rest. */
static void vector_name(unsigned vector, bool soft, char *buf, size_t len)
{
    const char *name = soft ? "int" : vector < 32 ? cpu_vector_name(vector) : "irq";
    snprintf(buf, len, "%.*s", (int)strcspn(name, " "), name);
}

static void fields_exception(struct out *o, const struct trace_event *ev)
{
    const struct trace_exception *e = &ev->u.exception;
    char name[16];
    vector_name(e->vector, e->soft, name, sizeof(name));
    field_u(o, "vector", e->vector);
    field_s(o, "name", name);
    field_b(o, "soft", e->soft);
    if (e->has_error)
        field_x(o, "error", e->error);
    field_x(o, "eip", e->eip);
    field_u(o, "cpl", e->cpl);
    if (e->vector == VEC_PF && !e->soft)
        field_x(o, "cr2", e->cr2);
}

static void fields_interrupt(struct out *o, const struct trace_event *ev)
{
    const struct trace_interrupt *i = &ev->u.interrupt;
    field_u(o, "vector", i->vector);
    field_x(o, "eip", i->eip);
    field_u(o, "cpl", i->cpl);
}

/* An entry's flags by name ("P|W|U|A"); bit 7 is PS in a directory entry
 * and PAT in a page-table entry. */
static void entry_flags(uint32_t entry, bool directory, char *buf, size_t len)
{
    static const struct { uint32_t bit; const char *name; } flags[] = {
        { PTE_P, "P" }, { PTE_W, "W" }, { PTE_U, "U" }, { PTE_PWT, "PWT" }, { PTE_PCD, "PCD" },
        { PTE_A, "A" }, { PTE_D, "D" }, { PTE_PS, NULL }, { PTE_G, "G" },
    };
    size_t n = 0;
    buf[0] = '\0';
    for (unsigned k = 0; k < VLAB_ARRAY_SIZE(flags); k++) {
        const char *name = flags[k].name ? flags[k].name : directory ? "PS" : "PAT";
        if ((entry & flags[k].bit) && n < len)
            n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "|" : "", name);
    }
    if (!n)
        snprintf(buf, len, "-");
}

static void fields_walk(struct out *o, const struct trace_event *ev)
{
    const struct mmu_walk *w = &ev->u.walk;
    field_x(o, "lin", w->lin);
    field_s(o, "access", (w->access & MMU_WRITE) ? "write" : (w->access & MMU_FETCH) ? "fetch" : "read");
    field_b(o, "user", (w->access & MMU_USER) != 0);
    begin(o, "steps", '[');
    for (unsigned k = 0; k < w->nsteps && k < VLAB_ARRAY_SIZE(w->step); k++) {
        char flags[48];
        entry_flags(w->step[k].entry, k == 0, flags, sizeof(flags));
        begin(o, NULL, '{');
        field_s(o, "level", k == 0 ? "pde" : "pte");
        field_x(o, "table", w->step[k].table);
        field_u(o, "index", w->step[k].index);
        field_x(o, "entry", w->step[k].entry);
        field_s(o, "flags", flags);
        end(o, '}');
    }
    end(o, ']');
    field_b(o, "fault", w->fault);
    if (w->fault) {
        field_x(o, "error", w->error);
        return;
    }
    field_x(o, "pa", w->pa);
    field_s(o, "size", w->large ? "4M" : "4K");
}

static void fields_tlb_flush(struct out *o, const struct trace_event *ev)
{
    const struct trace_tlb_flush *f = &ev->u.tlb_flush;
    field_s(o, "scope", f->page ? "page" : "all");
    if (f->page)
        field_x(o, "lin", f->lin);
}

static void fields_pio(struct out *o, const struct trace_event *ev)
{
    const struct trace_io *io = &ev->u.io;
    field_s(o, "dir", io->write ? "out" : "in");
    key(o, "port");
    put(o, o->json ? "%" PRIu64 : "0x%04" PRIx64, io->addr);
    field_u(o, "size", io->size);
    field_x(o, "value", io->value);
    field_s(o, "dev", trace_pio_range_name(trace_pio_range_of((uint16_t)io->addr)));
}

static void fields_mmio(struct out *o, const struct trace_event *ev)
{
    const struct trace_io *io = &ev->u.io;
    field_s(o, "dir", io->write ? "write" : "read");
    field_x(o, "addr", io->addr);
    field_u(o, "size", io->size);
    field_x(o, "value", io->value);
}

/* GDTR and IDTR: the base, and the limit; the others: the whole value. */
static void fields_sysreg(struct out *o, const struct trace_event *ev)
{
    const struct trace_sysreg *r = &ev->u.sysreg;
    field_s(o, "reg", trace_sysreg_name(r->reg));
    field_x(o, "old", r->old_value);
    field_x(o, "new", r->new_value);
    if (r->reg == TRACE_SYSREG_GDTR || r->reg == TRACE_SYSREG_IDTR) {
        key(o, "limit");
        put(o, o->json ? "%u" : "0x%04x", (unsigned)r->limit);
    }
    field_x(o, "eip", r->eip);
}

typedef void fields_fn(struct out *o, const struct trace_event *ev);

/* The reserved kinds have no fields yet: their labs add them. */
static fields_fn *const fields_of[TRACE_KIND_COUNT] = {
    [TRACE_RING] = fields_ring,
    [TRACE_EXCEPTION] = fields_exception,
    [TRACE_INTERRUPT] = fields_interrupt,
    [TRACE_WALK] = fields_walk,
    [TRACE_TLB_FLUSH] = fields_tlb_flush,
    [TRACE_PIO] = fields_pio,
    [TRACE_MMIO] = fields_mmio,
    [TRACE_SYSREG] = fields_sysreg,
};

static int format(const struct trace_event *ev, char *buf, size_t len, bool json)
{
    assert(ev->kind < TRACE_KIND_COUNT);
    struct out o = { .buf = buf, .cap = len, .json = json };
    if (len)
        buf[0] = '\0';
    if (json) {
        begin(&o, NULL, '{');
        field_u(&o, "seq", ev->seq);
        field_u(&o, "vcpu", ev->vcpu);
        field_u(&o, "icount", ev->icount);
        field_u(&o, "cycles", ev->cycles);
        field_s(&o, "kind", kind_names[ev->kind]);
    } else {
        put(&o, "#%" PRIu64 " cpu%u icount=%" PRIu64 " cycles=%" PRIu64 " %s", ev->seq,
            (unsigned)ev->vcpu, ev->icount, ev->cycles, kind_names[ev->kind]);
        o.sep = true;
    }
    if (fields_of[ev->kind])
        fields_of[ev->kind](&o, ev);
    if (json)
        end(&o, '}');
    return (int)o.len;
}

int trace_format_text(const struct trace_event *ev, char *buf, size_t len)
{
    return format(ev, buf, len, false);
}

int trace_format_json(const struct trace_event *ev, char *buf, size_t len)
{
    return format(ev, buf, len, true);
}

/* ---- Sinks that print ---------------------------------------------------------------------- */

static void print_line(FILE *f, const struct trace_event *ev, bool json)
{
    char line[1024];
    int n = format(ev, line, sizeof(line), json);
    assert(n >= 0 && (size_t)n < sizeof(line)); /* the longest event, a walk, needs about 500 */
    fputs(line, f);
    fputc('\n', f);
}

void trace_sink_text(void *file, const struct trace_event *ev)
{
    print_line(file, ev, false);
}

void trace_sink_json(void *file, const struct trace_event *ev)
{
    print_line(file, ev, true);
}

/* Decoding for display: what the panes say about addresses, entries,
 * flags, descriptors and instructions. Nothing here changes the machine. */
#include <inttypes.h>
#include <string.h>

#include "vlab/insn.h"
#include "vlab/mem.h"

#include "viz.h"

/* ---- Text helpers ------------------------------------------------------------- */

/* Append `word` to the space-separated list in out[len]. */
static void add_word(char *out, size_t len, const char *word)
{
    size_t at = strlen(out);
    snprintf(out + at, len - at, "%s%s", at ? " " : "", word);
}

struct bit_name {
    uint32_t bit;
    const char *name;
};

/* The names of the bits of `value` set in `names`, or "-" for none. */
static char *bit_names(uint32_t value, const struct bit_name *names, size_t n, char *out, size_t len)
{
    out[0] = '\0';
    for (size_t k = 0; k < n; k++)
        if (value & names[k].bit)
            add_word(out, len, names[k].name);
    if (!out[0])
        snprintf(out, len, "-");
    return out;
}

/* ---- Linear addresses and page-table entries (vlab/mmu.h) ---------------------- */

struct viz_split viz_split_lin(gva_t lin)
{
    return (struct viz_split){ .dir = lin >> 22, .table = (lin >> 12) & 0x3ffu, .offset = lin & 0xfffu,
                               .offset4m = lin & 0x3fffffu };
}

void viz_lin_bits(gva_t lin, char out[35])
{
    char *p = out;
    for (int bit = 31; bit >= 0; bit--) {
        *p++ = (char)('0' + ((lin >> bit) & 1));
        if (bit == 22 || bit == 12)
            *p++ = ' ';
    }
    *p = '\0';
}

char *viz_pte_flags(uint32_t entry, bool pde, char *out, size_t len)
{
    const struct bit_name flags[] = {
        { PTE_P, "P" }, { PTE_W, "R/W" }, { PTE_U, "U/S" }, { PTE_PWT, "PWT" }, { PTE_PCD, "PCD" },
        { PTE_A, "A" }, { PTE_D, "D" }, { PTE_PS, pde ? "PS" : "PAT" }, { PTE_G, "G" },
    };
    out[0] = '\0';
    for (size_t k = 0; k < VLAB_ARRAY_SIZE(flags); k++) {
        char dashes[4] = "---";
        dashes[strlen(flags[k].name)] = '\0';
        add_word(out, len, (entry & flags[k].bit) ? flags[k].name : dashes);
    }
    return out;
}

char *viz_eflags_text(uint32_t eflags, char *out, size_t len)
{
    static const struct bit_name flags[] = {
        { EFLAGS_CF, "CF" }, { EFLAGS_PF, "PF" }, { EFLAGS_AF, "AF" }, { EFLAGS_ZF, "ZF" },
        { EFLAGS_SF, "SF" }, { EFLAGS_TF, "TF" }, { EFLAGS_IF, "IF" }, { EFLAGS_DF, "DF" },
        { EFLAGS_OF, "OF" }, { EFLAGS_NT, "NT" }, { EFLAGS_RF, "RF" }, { EFLAGS_VM, "VM" },
        { EFLAGS_AC, "AC" }, { EFLAGS_ID, "ID" },
    };
    char names[64];
    bit_names(eflags, flags, VLAB_ARRAY_SIZE(flags), names, sizeof(names));
    snprintf(out, len, "%s IOPL=%u", names, (eflags & EFLAGS_IOPL) >> EFLAGS_IOPL_SHIFT);
    return out;
}

char *viz_cr0_text(uint32_t cr0, char *out, size_t len)
{
    static const struct bit_name bits[] = {
        { CR0_PE, "PE" }, { CR0_MP, "MP" }, { CR0_EM, "EM" }, { CR0_TS, "TS" }, { CR0_ET, "ET" },
        { CR0_NE, "NE" }, { CR0_WP, "WP" }, { CR0_AM, "AM" }, { CR0_NW, "NW" }, { CR0_CD, "CD" },
        { CR0_PG, "PG" },
    };
    return bit_names(cr0, bits, VLAB_ARRAY_SIZE(bits), out, len);
}

char *viz_cr4_text(uint32_t cr4, char *out, size_t len)
{
    static const struct bit_name bits[] = {
        { CR4_VME, "VME" }, { CR4_PVI, "PVI" }, { CR4_TSD, "TSD" }, { CR4_DE, "DE" },
        { CR4_PSE, "PSE" }, { CR4_PGE, "PGE" },
    };
    return bit_names(cr4, bits, VLAB_ARRAY_SIZE(bits), out, len);
}

char *viz_pf_error_text(uint32_t error, char *out, size_t len)
{
    snprintf(out, len, "%s, %s, %s%s", error & PF_P ? "protection violation" : "not present",
             error & PF_W ? "write" : "read", error & PF_U ? "user" : "supervisor",
             error & PF_RSVD ? ", reserved bit set" : "");
    return out;
}

/* ---- Segments (the descriptor cache, vlab/cpu.h) -------------------------------- */

static const char *system_type(unsigned type)
{
    static const char *const names[16] = {
        [0x1] = "tss16", [0x2] = "ldt", [0x3] = "tss16 busy", [0x4] = "call gate16",
        [0x9] = "tss32", [0xb] = "tss32 busy", [0xc] = "call gate32",
    };
    return names[type & 0xf] ? names[type & 0xf] : "system";
}

char *viz_seg_text(const struct seg *s, char *out, size_t len)
{
    if (s->ar & SEG_AR_UNUSABLE) {
        snprintf(out, len, "unusable (null selector)");
        return out;
    }
    unsigned type = s->ar & SEG_AR_TYPE, dpl = (s->ar & SEG_AR_DPL) >> SEG_AR_DPL_SHIFT;
    char kind[24];
    if (!(s->ar & SEG_AR_S))
        snprintf(kind, sizeof(kind), "%s", system_type(type));
    else if (type & 8)
        snprintf(kind, sizeof(kind), "code %sx%s", type & 2 ? "r-" : "--", type & 4 ? " conf" : "");
    else
        snprintf(kind, sizeof(kind), "data r%s-%s", type & 2 ? "w" : "-", type & 4 ? " down" : "");
    bool small = (s->ar & SEG_AR_S) && !(s->ar & SEG_AR_DB);
    snprintf(out, len, "base %08" PRIx32 " limit %08" PRIx32 " %-10s DPL %u%s%s", s->base, s->limit, kind,
             dpl, small ? " 16-bit" : "", (s->ar & SEG_AR_P) ? "" : " not present");
    return out;
}

/* ---- Guest memory, read without side effects ------------------------------------ */

/* The physical address of `lin` by the paging structures, read-only (no
 * accessed/dirty bits, no rights checked: this is for display). */
static bool translate(struct vm *vm, gva_t lin, gpa_t *pa)
{
    const struct cpu *cpu = &vm->cpu;
    if (!(cpu->cr0 & CR0_PG)) {
        *pa = lin;
        return true;
    }
    struct viz_split sp = viz_split_lin(lin);
    uint32_t pde, pte;
    if (physmem_read(&vm->mem, (cpu->cr3 & ~VLAB_PAGE_MASK) + sp.dir * 4u, &pde, 4) != 0 || !(pde & PTE_P))
        return false;
    if ((pde & PTE_PS) && (cpu->cr4 & CR4_PSE)) {
        *pa = (pde & 0xffc00000u) | sp.offset4m;
        return true;
    }
    if (physmem_read(&vm->mem, (pde & ~VLAB_PAGE_MASK) + sp.table * 4u, &pte, 4) != 0 || !(pte & PTE_P))
        return false;
    *pa = (pte & ~VLAB_PAGE_MASK) | sp.offset;
    return true;
}

size_t viz_read_lin(struct vm *vm, gva_t lin, uint8_t *buf, bool *ok, size_t len)
{
    size_t good = 0;
    for (size_t k = 0; k < len;) {
        gva_t at = lin + (gva_t)k;
        size_t chunk = VLAB_PAGE_SIZE - (at & VLAB_PAGE_MASK);
        if (chunk > len - k)
            chunk = len - k;
        gpa_t pa;
        bool readable = translate(vm, at, &pa) && physmem_read(&vm->mem, pa, buf + k, chunk) == 0;
        for (size_t j = 0; j < chunk; j++)
            ok[k + j] = readable;
        good += readable ? chunk : 0;
        k += chunk;
    }
    return good;
}

/* ---- Disassembly ----------------------------------------------------------------- */

/* Decode one line at `eip`; false when its bytes cannot be read or do
 * not decode. */
static bool decode_line(struct vm *vm, uint32_t eip, struct viz_insn_line *line)
{
    const struct seg *cs = &vm->cpu.seg[S_CS];
    uint8_t bytes[15];
    bool ok[15];
    viz_read_lin(vm, cs->base + eip, bytes, ok, sizeof(bytes));
    size_t avail = 0;
    while (avail < sizeof(bytes) && ok[avail])
        avail++;
    memset(line, 0, sizeof(*line));
    line->eip = eip;
    struct insn in;
    if (avail == 0 || insn_decode(&in, bytes, avail, (cs->ar & SEG_AR_DB) != 0) != DECODE_OK) {
        line->len = avail ? 1 : 0;
        line->bytes[0] = bytes[0];
        line->readable = avail != 0;
        snprintf(line->text, sizeof(line->text), avail ? "(bad)" : "??");
        return false;
    }
    line->len = in.len;
    line->readable = true;
    memcpy(line->bytes, bytes, in.len);
    insn_disasm(&in, eip, line->text, sizeof(line->text));
    return true;
}

#define BACK_MAX 24 /* how far before EIP to look for a chain that lands on it */

/* The instructions before `eip`: starting from the earliest address whose
 * chain of decoded instructions lands exactly on `eip`. */
static unsigned lines_before(struct vm *vm, uint32_t eip, unsigned want, struct viz_insn_line *out)
{
    struct viz_insn_line chain[BACK_MAX];
    for (uint32_t back = BACK_MAX; back > 0; back--) {
        unsigned n = 0;
        uint32_t at = eip - back;
        while (at != eip && n < BACK_MAX && (int32_t)(eip - at) > 0 && decode_line(vm, at, &chain[n]))
            at += chain[n++].len;
        if (at != eip || n == 0)
            continue;
        unsigned keep = n < want ? n : want;
        memcpy(out, chain + n - keep, keep * sizeof(*out));
        return keep;
    }
    return 0;
}

unsigned viz_disasm_around(struct vm *vm, unsigned before, unsigned total, struct viz_insn_line *out,
                           unsigned *at)
{
    uint32_t eip = vm->cpu.eip;
    unsigned n = before ? lines_before(vm, eip, before < total ? before : total - 1, out) : 0;
    *at = n;
    while (n < total) {
        decode_line(vm, eip, &out[n]);
        eip += out[n].len ? out[n].len : 1;
        n++;
    }
    return n;
}

/* ---- Events in one line ------------------------------------------------------------ */

const char *viz_cause_short(unsigned cause)
{
    static const char *const names[TRACE_RING_CAUSE_COUNT] = {
        [TRACE_RING_EXCEPTION] = "exc", [TRACE_RING_INTERRUPT] = "irq", [TRACE_RING_SOFT_INT] = "int",
        [TRACE_RING_CALL] = "call", [TRACE_RING_RETF] = "retf", [TRACE_RING_IRET] = "iret",
    };
    return cause < TRACE_RING_CAUSE_COUNT ? names[cause] : "?";
}

static const char *access_text(unsigned access)
{
    return access & MMU_FETCH ? "fetch" : access & MMU_WRITE ? "write" : "read";
}

static void walk_text(const struct mmu_walk *w, char *out, size_t len)
{
    int n = snprintf(out, len, "walk %08" PRIx32 " %s %s -> ", w->lin, access_text(w->access),
                     w->access & MMU_USER ? "user" : "kernel");
    if (n < 0 || (size_t)n >= len)
        return;
    if (w->fault)
        snprintf(out + n, len - n, "#PF err=%" PRIx32 " at the %s", w->error, w->nsteps == 2 ? "PTE" : "PDE");
    else
        snprintf(out + n, len - n, "%08" PRIx64 " (%s page)", w->pa, w->large ? "4M" : "4K");
}

/* "sysreg cr0 00000011 -> 80010011 at 0010xxxx"; GDTR and IDTR with the
 * new limit. */
static void sysreg_text(const struct trace_sysreg *r, char *out, size_t len)
{
    bool table = r->reg == TRACE_SYSREG_GDTR || r->reg == TRACE_SYSREG_IDTR;
    int n = snprintf(out, len, "sysreg %s %08" PRIx32 " -> %08" PRIx32, trace_sysreg_name(r->reg), r->old_value,
                     r->new_value);
    if (n > 0 && (size_t)n < len && table)
        n += snprintf(out + n, len - n, "/%04x", r->limit);
    if (n > 0 && (size_t)n < len)
        snprintf(out + n, len - n, " at %08" PRIx32, r->eip);
}

/* Another kind's text, as `vlab trace` prints it, without the stamp. */
static void plain_text(const struct trace_event *ev, char *out, size_t len)
{
    char line[512];
    trace_format_text(ev, line, sizeof(line));
    const char *kind = strstr(line, trace_kind_name(ev->kind));
    snprintf(out, len, "%s", kind ? kind : line);
}

void viz_event_text(const struct trace_event *ev, char *out, size_t len)
{
    const struct trace_exception *e = &ev->u.exception;
    switch (ev->kind) {
    case TRACE_RING:
        snprintf(out, len, "ring %u->%u by %s at %08" PRIx32, ev->u.ring.from, ev->u.ring.to,
                 trace_ring_cause_name(ev->u.ring.cause), ev->u.ring.eip);
        break;
    case TRACE_EXCEPTION:
        if (e->soft)
            snprintf(out, len, "exception %u: int 0x%02x at %08" PRIx32 " cpl=%u", e->vector, e->vector, e->eip,
                     e->cpl);
        else if (e->vector == VEC_PF)
            snprintf(out, len, "exception 14 #PF err=%" PRIx32 " at %08" PRIx32 " cr2=%08" PRIx32, e->error,
                     e->eip, e->cr2);
        else if (e->has_error)
            snprintf(out, len, "exception %u %s err=%" PRIx32 " at %08" PRIx32 " cpl=%u", e->vector,
                     cpu_vector_name(e->vector), e->error, e->eip, e->cpl);
        else
            snprintf(out, len, "exception %u %s at %08" PRIx32 " cpl=%u", e->vector, cpu_vector_name(e->vector),
                     e->eip, e->cpl);
        break;
    case TRACE_INTERRUPT:
        snprintf(out, len, "interrupt 0x%02x at %08" PRIx32 " cpl=%u", ev->u.interrupt.vector,
                 ev->u.interrupt.eip, ev->u.interrupt.cpl);
        break;
    case TRACE_WALK:
        walk_text(&ev->u.walk, out, len);
        break;
    case TRACE_SYSREG:
        sysreg_text(&ev->u.sysreg, out, len);
        break;
    default:
        plain_text(ev, out, len);
        break;
    }
}

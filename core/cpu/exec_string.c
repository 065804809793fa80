/* String instructions: MOVS CMPS STOS LODS SCAS INS OUTS, with and without
 * REP prefixes (SDM Vol. 2, each instruction and "REP/REPE/REPZ/REPNE/
 * REPNZ"; Vol. 1, 7.3.9).
 *
 * Each works on elements of 1, 2 or 4 bytes at
 *
 *   source       seg:eSI   seg = DS unless a segment override names another
 *   destination  ES:eDI    never overridable
 *
 * and after each element moves eSI and/or eDI by the element size, forward
 * when EFLAGS.DF = 0, backward when DF = 1. The address size picks the
 * registers: ESI/EDI/ECX, or SI/DI/CX with a 16-bit address size (their
 * upper halves then never change; offsets wrap at 64 KiB).
 *
 * REP (F3, or F2 on the non-comparing ones) repeats the element eCX times;
 * with eCX = 0 nothing happens at all. On CMPS and SCAS, F3 is REPE (also
 * stop after an element that compared unequal) and F2 is REPNE (also stop
 * after one that compared equal).
 *
 * Restartable repetition. Every element commits eSI, eDI and eCX before the
 * next one starts. An element that faults changes nothing, and cpu_fault()
 * puts EIP back at the instruction, so the fault handler sees the progress
 * made so far and the IRET that returns to the instruction resumes it.
 *
 * Bounded dispatch. One dispatch runs at most STR_BATCH elements, then sets
 * EIP back to the instruction so that the next dispatch continues it. The
 * run loop gets control back regularly (interrupts, budgets, cpu_stop),
 * and the result is deterministic. What that means for cpu->icount: one
 * dispatch retires one instruction, so a REP instruction of n elements
 * counts as max(1, ceil(n / STR_BATCH)) instructions -- one for any string
 * of up to STR_BATCH elements, and more only for long strings, the same
 * way a REP instruction interrupted k times retires k + 1 times on real
 * hardware.
 */
#include <assert.h>

#include "cpu_internal.h"
#include "vlab/mem.h"

#define STR_BATCH 4096u

/* What every element of one string instruction needs. */
struct str_ctx {
    unsigned size;  /* element size in bytes */
    unsigned asize; /* address size: 2 (SI DI CX) or 4 (ESI EDI ECX) */
    uint32_t step;  /* +size, or -size when DF = 1 (mod 2^32) */
};

static uint32_t str_si(const struct cpu *cpu, const struct str_ctx *c)
{
    return reg_read(cpu, R_ESI, c->asize);
}

static uint32_t str_di(const struct cpu *cpu, const struct str_ctx *c)
{
    return reg_read(cpu, R_EDI, c->asize);
}

/* Move eSI or eDI to the next element. */
static void str_advance(struct cpu *cpu, unsigned reg, const struct str_ctx *c)
{
    reg_write(cpu, reg, c->asize, cpu->r[reg] + c->step);
}

static uint16_t str_port(const struct cpu *cpu)
{
    return (uint16_t)reg_read(cpu, R_EDX, 2);
}

/* One element of each instruction. Memory is read and written before the
 * registers change. */
typedef void str_elem_fn(struct cpu *cpu, const struct insn *in, const struct str_ctx *c);

/* MOVS: ES:[eDI] = seg:[eSI]. */
static void elem_movs(struct cpu *cpu, const struct insn *in, const struct str_ctx *c)
{
    uint32_t v = mem_load(cpu, in->seg, str_si(cpu, c), c->size);
    mem_store(cpu, S_ES, str_di(cpu, c), c->size, v);
    str_advance(cpu, R_ESI, c);
    str_advance(cpu, R_EDI, c);
}

/* CMPS: the flags of seg:[eSI] - ES:[eDI] (the first operand, at eSI,
 * minus the second, at eDI, as CMP would compute them). */
static void elem_cmps(struct cpu *cpu, const struct insn *in, const struct str_ctx *c)
{
    uint32_t a = mem_load(cpu, in->seg, str_si(cpu, c), c->size);
    uint32_t b = mem_load(cpu, S_ES, str_di(cpu, c), c->size);
    flags_lazy(cpu, LF_SUB, c->size, a, b, a - b);
    str_advance(cpu, R_ESI, c);
    str_advance(cpu, R_EDI, c);
}

/* STOS: ES:[eDI] = AL/AX/EAX. */
static void elem_stos(struct cpu *cpu, const struct insn *in, const struct str_ctx *c)
{
    (void)in;
    mem_store(cpu, S_ES, str_di(cpu, c), c->size, reg_read(cpu, R_EAX, c->size));
    str_advance(cpu, R_EDI, c);
}

/* LODS: AL/AX/EAX = seg:[eSI]. */
static void elem_lods(struct cpu *cpu, const struct insn *in, const struct str_ctx *c)
{
    reg_write(cpu, R_EAX, c->size, mem_load(cpu, in->seg, str_si(cpu, c), c->size));
    str_advance(cpu, R_ESI, c);
}

/* SCAS: the flags of AL/AX/EAX - ES:[eDI]. */
static void elem_scas(struct cpu *cpu, const struct insn *in, const struct str_ctx *c)
{
    (void)in;
    uint32_t a = reg_read(cpu, R_EAX, c->size);
    uint32_t b = mem_load(cpu, S_ES, str_di(cpu, c), c->size);
    flags_lazy(cpu, LF_SUB, c->size, a, b, a - b);
    str_advance(cpu, R_EDI, c);
}

/* INS: ES:[eDI] = port DX. Reading a port can have side effects (a FIFO
 * advances), so the destination is checked before the port is read. */
static void elem_ins(struct cpu *cpu, const struct insn *in, const struct str_ctx *c)
{
    (void)in;
    uint32_t di = str_di(cpu, c);
    mem_probe_write(cpu, S_ES, di, c->size);
    mem_store(cpu, S_ES, di, c->size, cpu_port_in(cpu, str_port(cpu), c->size));
    str_advance(cpu, R_EDI, c);
}

/* OUTS: port DX = seg:[eSI]. */
static void elem_outs(struct cpu *cpu, const struct insn *in, const struct str_ctx *c)
{
    uint32_t v = mem_load(cpu, in->seg, str_si(cpu, c), c->size);
    cpu_port_out(cpu, str_port(cpu), c->size, v);
    str_advance(cpu, R_ESI, c);
}

static const struct {
    str_elem_fn *elem;
    bool compares; /* REPE/REPNE also end on the comparison (CMPS SCAS) */
    bool port;     /* port I/O: permission checked first (INS OUTS) */
} str_ops[] = {
    [STR_MOVS] = { elem_movs, false, false },
    [STR_CMPS] = { elem_cmps, true, false },
    [STR_STOS] = { elem_stos, false, false },
    [STR_LODS] = { elem_lods, false, false },
    [STR_SCAS] = { elem_scas, true, false },
    [STR_INS] = { elem_ins, false, true },
    [STR_OUTS] = { elem_outs, false, true },
};

/* After a compared element: does REPE (F3) or REPNE (F2) stop here? */
static bool rep_compare_ends(const struct cpu *cpu, const struct insn *in)
{
    bool equal = cond_true(cpu, CC_E);
    return (in->prefix & P_REPNE) ? equal : !equal;
}

/* The string operand carries the element size (OUTS has DX first). */
static struct str_ctx str_context(const struct cpu *cpu, const struct insn *in)
{
    unsigned size = in->o[0].kind == OK_STR ? in->o[0].size : in->o[1].size;
    return (struct str_ctx){
        .size = size,
        .asize = in->asize,
        .step = (cpu->eflags & EFLAGS_DF) ? 0u - size : size,
    };
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

/* The host address of `n` elements at seg:off going up, when they all lie
 * on one RAM page that the TLB maps for this access (read or write) and
 * the segment is flat; else NULL. Such elements cannot fault, touch no
 * device and hold no decoded code (the write TLB never maps a code page). */
static uint8_t *bulk_ptr(struct cpu *cpu, unsigned sreg, uint32_t off, uint32_t n,
                         const struct str_ctx *c, bool write)
{
    if (!(cpu->seg[sreg].flat & (write ? SEG_ACC_W : SEG_ACC_R)))
        return NULL;
    const struct tlb_entry *e = tlb_find(write ? cpu->tlb_write : cpu->tlb_read, off,
                                         n * c->size, cpu->cpl == 3);
    return e ? (uint8_t *)(e->addend + off) : NULL;
}

/* Copy `bytes` from src to dst as MOVS does, one `size`-byte element after
 * the other going up. That is what memmove does unless the destination
 * starts inside the source after its start: then the elements copied
 * repeat a pattern, and the element loop (with a constant size, so that
 * each element is one host load and store) reproduces it. */
static void bulk_move(uint8_t *dst, const uint8_t *src, uint32_t bytes, unsigned size)
{
    if (dst <= src || dst >= src + bytes) {
        memmove(dst, src, bytes);
        return;
    }
    for (uint32_t k = 0; k < bytes; k += size) {
        switch (size) {
        case 1: store_le(dst + k, 1, load_le(src + k, 1)); break;
        case 2: store_le(dst + k, 2, load_le(src + k, 2)); break;
        default: store_le(dst + k, 4, load_le(src + k, 4)); break;
        }
    }
}

/* Store `n` elements of `size` bytes, each the low bytes of `v`, at dst. */
static void bulk_fill(uint8_t *dst, uint32_t n, unsigned size, uint32_t v)
{
    switch (size) {
    case 1:
        memset(dst, (int)(v & 0xff), n);
        break;
    case 2:
        for (uint32_t k = 0; k < n; k++)
            store_le(dst + 2 * k, 2, v);
        break;
    default:
        for (uint32_t k = 0; k < n; k++)
            store_le(dst + 4 * k, 4, v);
        break;
    }
}

/* REP MOVS and REP STOS going up with a 32-bit address size, a run of
 * elements at a time: as many of the `max` elements still to do as lie on
 * the current source and destination pages, when bulk_ptr() allows them.
 * The elements are moved in order, one after the other, so overlapping
 * MOVS copies exactly as the element loop does. Returns how many were
 * done (ESI, EDI and ECX updated), 0 when none could be. */
static uint32_t str_bulk(struct cpu *cpu, const struct insn *in, const struct str_ctx *c, uint32_t max)
{
    unsigned size = c->size;
    bool movs = in->d.arg == STR_MOVS;
    uint32_t di = cpu->r[R_EDI], si = cpu->r[R_ESI];
    uint32_t n = min_u32(max, (VLAB_PAGE_SIZE - (di & VLAB_PAGE_MASK)) / size);
    if (movs)
        n = min_u32(n, (VLAB_PAGE_SIZE - (si & VLAB_PAGE_MASK)) / size);
    if (n == 0)
        return 0;
    uint8_t *dst = bulk_ptr(cpu, S_ES, di, n, c, true);
    const uint8_t *src = movs ? bulk_ptr(cpu, in->seg, si, n, c, false) : NULL;
    if (!dst || (movs && !src))
        return 0;
    if (movs) {
        bulk_move(dst, src, n * size, size);
        cpu->r[R_ESI] = si + n * size;
    } else {
        bulk_fill(dst, n, size, cpu->r[R_EAX]);
    }
    cpu->r[R_EDI] = di + n * size;
    cpu->r[R_ECX] -= n;
    return n;
}

static bool can_bulk(const struct insn *in, const struct str_ctx *c)
{
    return (in->d.arg == STR_MOVS || in->d.arg == STR_STOS) && c->asize == 4 && c->step == c->size;
}

void ex_STRING(struct cpu *cpu, const struct insn *in)
{
    assert(in->d.arg < VLAB_ARRAY_SIZE(str_ops));
    str_elem_fn *elem = str_ops[in->d.arg].elem;
    const struct str_ctx c = str_context(cpu, in);
    uint32_t count = reg_read(cpu, R_ECX, c.asize);
    bool rep = (in->prefix & (P_REP | P_REPNE)) != 0;

    if (rep && count == 0)
        return;
    if (str_ops[in->d.arg].port)
        io_check(cpu, str_port(cpu), c.size);
    if (!rep) {
        elem(cpu, in, &c);
        return;
    }
    bool bulk = can_bulk(in, &c);
    for (unsigned n = 0; n < STR_BATCH; n++) {
        if (bulk) {
            uint32_t done = str_bulk(cpu, in, &c, min_u32(count, STR_BATCH - n));
            if (done) {
                count -= done;
                n += done - 1;
                if (count == 0)
                    return;
                continue;
            }
        }
        elem(cpu, in, &c);
        reg_write(cpu, R_ECX, c.asize, --count);
        if (count == 0 || (str_ops[in->d.arg].compares && rep_compare_ends(cpu, in)))
            return;
    }
    cpu->eip = cpu->insn_eip; /* more to do: the next dispatch continues */
}

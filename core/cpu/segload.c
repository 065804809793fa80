/* Loading segment registers in protected mode (SDM Vol. 3, 5.5-5.8; Vol. 2,
 * MOV, POP, LDS/LES/LFS/LGS/LSS), and the pieces of privilege changes that
 * far transfers and interrupt delivery share: the inner stack from the TSS
 * and stack frames written only once they are known to fit.
 *
 * A load has two halves: the checks, which compute the new descriptor
 * cache without touching the CPU, and the commit. Real mode (a later
 * addition) only replaces the first half: base = selector * 16.
 */
#include <assert.h>

#include "desc.h"
#include "vlab/mmu.h"

/* ---- Descriptors in memory ---------------------------------------------- */

void seg_mark_accessed(struct cpu *cpu, uint16_t sel, uint32_t desc[2])
{
    if (desc[1] & DESC_TYPE_ACCESSED)
        return;
    desc[1] |= DESC_TYPE_ACCESSED;
    uint32_t table = (sel & 4) ? cpu->ldtr.base : cpu->gdtr.base;
    /* Byte 5 of the descriptor holds P, DPL, S and the type. */
    sys_store(cpu, table + (sel & ~7u) + 5, 1, (desc[1] >> 8) & 0xffu);
}

void seg_set_null(struct seg *s, uint16_t sel)
{
    *s = (struct seg){ .sel = sel, .ar = SEG_AR_UNUSABLE };
    seg_cache_update(s);
}

/* Read the descriptor for non-null `sel`, raising `vector`(sel) when it is
 * outside its table. */
static void read_desc_or_fault(struct cpu *cpu, uint16_t sel, uint32_t desc[2], unsigned vector,
                               uint32_t ext)
{
    if (!seg_read_desc(cpu, sel, desc))
        cpu_fault(cpu, vector, sel_error(sel) | ext);
}

/* ---- MOV/POP/LxS to SS, DS, ES, FS, GS ------------------------------------ */

/* SS (SDM Vol. 2, MOV): a writable data segment with RPL = DPL = CPL. */
static void check_ss(struct cpu *cpu, uint16_t sel, uint32_t desc[2])
{
    if (sel_is_null(sel))
        cpu_gp0(cpu);
    read_desc_or_fault(cpu, sel, desc, VEC_GP, 0);
    if (sel_rpl(sel) != cpu->cpl || desc_dpl(desc) != cpu->cpl || !desc_is_writable_data(desc))
        cpu_fault(cpu, VEC_GP, sel_error(sel));
    if (!desc_present(desc))
        cpu_fault(cpu, VEC_SS, sel_error(sel));
}

/* DS, ES, FS, GS with a non-null selector: a data or readable code segment.
 * Data and non-conforming code need RPL <= DPL and CPL <= DPL; conforming
 * code is readable from any ring. */
static void check_data(struct cpu *cpu, uint16_t sel, uint32_t desc[2])
{
    read_desc_or_fault(cpu, sel, desc, VEC_GP, 0);
    bool code = desc_is_code(desc);
    bool readable = desc_is_seg(desc) && (!code || (desc_type(desc) & 2));
    bool ring_checked = !code || !desc_conforming(desc);
    unsigned dpl = desc_dpl(desc);
    if (!readable || (ring_checked && (sel_rpl(sel) > dpl || cpu->cpl > dpl)))
        cpu_fault(cpu, VEC_GP, sel_error(sel));
    if (!desc_present(desc))
        cpu_fault(cpu, VEC_NP, sel_error(sel));
}

void seg_load(struct cpu *cpu, unsigned sreg, uint16_t sel)
{
    assert(sreg <= S_GS && sreg != S_CS);
    uint32_t desc[2];
    if (sreg != S_SS && sel_is_null(sel)) {
        seg_set_null(&cpu->seg[sreg], sel);
        return;
    }
    if (sreg == S_SS)
        check_ss(cpu, sel, desc);
    else
        check_data(cpu, sel, desc);
    seg_mark_accessed(cpu, sel, desc);
    seg_from_desc_memo(cpu, &cpu->seg[sreg], sel, desc);
}

void seg_set_cs(struct cpu *cpu, uint16_t sel, const uint32_t desc[2], unsigned cpl)
{
    seg_from_desc_memo(cpu, &cpu->seg[S_CS], (uint16_t)((sel & ~3u) | cpl), desc);
    cpu->cpl = cpl;
    cpu_code_ctx_sync(cpu);
}

/* ---- Code contexts: block links across CS loads ---------------------------
 *
 * A block link (cpu.c) holds while what fetch() would find at its EIP has
 * not changed: fetch reads the TLB and the decoded blocks, whose changes
 * bump code_epoch, and CS and the CPL: the CS base and limit, its D bit,
 * and whether CPL is 3 (which entries of the TLB apply). A system call
 * goes from the user's context to the kernel's and back, so instead of
 * voiding every link at each CS load, code_epoch carries in its top bits
 * the number of the context it counts for:
 *
 *   code_epoch:  63 .. 60 | 59 ............................. 0
 *                context  | count of changes to the TLB and the blocks
 *                1..CPU_CODE_CTXS (0: none yet)
 *
 * A link records code_epoch when it was made and is followed only when
 * code_epoch is the same again: the same context, nothing changed since.
 * A context that is not among the last CPU_CODE_CTXS takes the oldest
 * entry's number, and the count moves on, voiding the links made under
 * what that number meant before. */
#define CTX_COUNT_MASK ((UINT64_C(1) << CODE_CTX_SHIFT) - 1)
static_assert(CPU_CODE_CTXS < 16, "a context number fits in code_epoch's top 4 bits");
static_assert((CPU_CODE_CTXS & (CPU_CODE_CTXS - 1)) == 0, "cpu_code_ctx_sync takes it modulo");

void code_ctx_switch(struct cpu *cpu)
{
    struct code_ctx now = code_ctx_now(cpu);
    uint64_t count = cpu->code_epoch & CTX_COUNT_MASK;
    unsigned k = 0;
    while (k < CPU_CODE_CTXS && (cpu->code_ctx[k].span != now.span || cpu->code_ctx[k].mode != now.mode))
        k++;
    if (k == CPU_CODE_CTXS) {
        k = cpu->code_ctx_next;
        cpu->code_ctx_next = (uint8_t)((k + 1) % CPU_CODE_CTXS);
        cpu->code_ctx[k] = now;
        count++;
    }
    cpu->code_epoch = count | (uint64_t)(k + 1) << CODE_CTX_SHIFT;
}

/* ---- The inner stack of a privilege change ------------------------------ */

/* Where a TSS keeps the stack of ring n (SDM Vol. 3, 7.2.1 and 7.6):
 *
 *   32-bit TSS:  +4 ESP0  +8 SS0  +12 ESP1  +16 SS1  +20 ESP2  +24 SS2
 *   16-bit TSS:  +2 SP0   +4 SS0  +6  SP1   +8  SS1  +10 SP2   +12 SS2
 */
static void tss_stack(struct cpu *cpu, unsigned dpl, uint32_t ext, uint16_t *ss, uint32_t *esp)
{
    bool tss32 = (cpu->tr.ar & SYS_32BIT) != 0;
    unsigned width = tss32 ? 4 : 2;
    uint32_t at = tss32 ? (dpl << 3) + 4 : (dpl << 2) + 2;
    if (at + width + 1 > cpu->tr.limit)
        cpu_fault(cpu, VEC_TS, sel_error(cpu->tr.sel) | ext);
    *esp = sys_load(cpu, cpu->tr.base + at, width);
    *ss = (uint16_t)sys_load(cpu, cpu->tr.base + at + width, 2);
}

void seg_inner_stack(struct cpu *cpu, unsigned dpl, uint32_t ext, struct seg *ss,
                     uint32_t ss_desc[2], uint32_t *esp)
{
    uint16_t sel;
    tss_stack(cpu, dpl, ext, &sel, esp);
    if (sel_is_null(sel))
        cpu_fault(cpu, VEC_TS, ext);
    read_desc_or_fault(cpu, sel, ss_desc, VEC_TS, ext);
    if (sel_rpl(sel) != dpl || desc_dpl(ss_desc) != dpl || !desc_is_writable_data(ss_desc))
        cpu_fault(cpu, VEC_TS, sel_error(sel) | ext);
    if (!desc_present(ss_desc))
        cpu_fault(cpu, VEC_SS, sel_error(sel) | ext);
    seg_from_desc_memo(cpu, ss, sel, ss_desc);
}

/* ---- Stack frames ------------------------------------------------------- */

static bool frame_stack32(const struct frame *f) { return (f->ss->ar & SEG_AR_DB) != 0; }

/* Offset of slot k (0 = pushed first) within the stack segment. */
static uint32_t slot_offset(const struct frame *f, unsigned k)
{
    uint32_t off = f->esp - (k + 1) * f->size;
    return frame_stack32(f) ? off : off & 0xffffu;
}

/* Does the whole frame fit, checked as one range? It does when every slot
 * does: on a 32-bit stack whose ESP leaves room for it, the slots are the
 * contiguous offsets ESP - n * size .. ESP - 1. */
static bool frame_fits(const struct frame *f)
{
    const struct seg *s = f->ss;
    uint32_t bytes = f->n * f->size;
    return frame_stack32(f) && f->esp >= bytes && bytes > 0 && f->esp - bytes >= s->lo &&
           f->esp - 1 <= s->hi && (s->acc & SEG_ACC_W);
}

uint32_t frame_place(struct cpu *cpu, const struct frame *f)
{
    const struct seg *s = f->ss;
    if (!frame_fits(f)) {
        for (unsigned k = 0; k < f->n; k++) { /* the first slot that does not fit faults */
            uint32_t off = slot_offset(f, k);
            uint32_t last = off + f->size - 1;
            if (off < s->lo || last > s->hi || last < off || !(s->acc & SEG_ACC_W))
                cpu_fault(cpu, VEC_SS, f->ss_error);
        }
    }
    uint32_t sp = f->esp - f->n * f->size;
    return frame_stack32(f) ? sp : (f->esp & 0xffff0000u) | (sp & 0xffffu);
}

/* The common case: a 32-bit stack whose frame lies in one page that the
 * write TLB holds, so that no slot can fault. Returns false otherwise. */
static bool frame_write_fast(struct cpu *cpu, const struct frame *f)
{
    uint32_t bytes = f->n * f->size;
    if (!frame_stack32(f) || f->esp < bytes)
        return false;
    gva_t low = f->ss->base + (f->esp - bytes);
    const struct tlb_entry *e = tlb_find(cpu->tlb_write, low, bytes, f->user);
    if (!e)
        return false;
    uint8_t *top = (uint8_t *)(e->addend + low) + bytes;
    for (unsigned k = 0; k < f->n; k++)
        store_le(top - (k + 1) * f->size, f->size, f->v[k]);
    return true;
}

void frame_write(struct cpu *cpu, const struct frame *f)
{
    if (frame_write_fast(cpu, f))
        return;
    unsigned access = MMU_WRITE | (f->user ? MMU_USER : 0);
    struct pm_page *page;
    for (unsigned k = 0; k < f->n; k++) {
        gva_t lin = f->ss->base + slot_offset(f, k);
        cpu_translate(cpu, lin, access, &page);
        cpu_translate(cpu, lin + f->size - 1, access, &page);
    }
    for (unsigned k = 0; k < f->n; k++)
        lin_store(cpu, f->ss->base + slot_offset(f, k), f->size, f->v[k], f->user);
}

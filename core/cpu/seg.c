/* Segmentation: the descriptor cache and limit checks (SDM Vol. 3, 3.4-3.5, 5.3).
 *
 * Segment descriptor (8 bytes, as two little-endian dwords):
 *
 *   desc[1]: 31 .. 24 | 23 | 22  | 21 | 20  | 19..16 | 15 | 14 13 | 12 | 11..8 | 7 .. 0
 *            base     | G  | D/B | L  | AVL | limit  | P  | DPL   | S  | type  | base
 *            31:24                           19:16                                23:16
 *   desc[0]: 31 ................ 16 | 15 ................ 0
 *            base 15:0              | limit 15:0
 *
 * Type (S = 1): bit 3 code/data; data: bit 2 expand-down, bit 1 writable;
 * code: bit 2 conforming, bit 1 readable; bit 0 accessed.
 */
#include "cpu_internal.h"

/* lo, hi and acc from ar and limit. */
static void update_limits(struct seg *s)
{
    unsigned type = s->ar & SEG_AR_TYPE;
    s->lo = 0;
    s->hi = s->limit;
    s->acc = 0;
    if ((s->ar & SEG_AR_UNUSABLE) || !(s->ar & SEG_AR_P) || !(s->ar & SEG_AR_S)) {
        s->lo = 1;
        s->hi = 0; /* every access goes to the slow path, which faults */
        return;
    }
    if (type & 8) { /* code */
        s->acc = SEG_ACC_X | ((type & 2) ? SEG_ACC_R : 0);
    } else {
        s->acc = SEG_ACC_R | ((type & 2) ? SEG_ACC_W : 0);
        if (type & 4) { /* expand-down: valid offsets are limit+1 .. 0xffff or 0xffffffff */
            s->lo = s->limit + 1;
            s->hi = (s->ar & SEG_AR_DB) ? 0xffffffffu : 0xffffu;
            if (s->lo == 0) { /* limit 0xffffffff: nothing is valid */
                s->lo = 1;
                s->hi = 0;
            }
        }
    }
}

void seg_cache_update(struct seg *s)
{
    update_limits(s);
    bool flat = s->base == 0 && s->lo == 0 && s->hi == 0xffffffffu;
    s->flat = flat ? s->acc & (SEG_ACC_R | SEG_ACC_W) : 0;
}

void seg_check_slow(struct cpu *cpu, unsigned sreg, uint32_t off, unsigned size, bool write)
{
    const struct seg *s = &cpu->seg[sreg];
    uint32_t last = off + size - 1;
    unsigned vec = sreg == S_SS ? VEC_SS : VEC_GP;
    if (cpu->mode == CPU_MODE_PROT && (s->ar & SEG_AR_UNUSABLE))
        cpu_fault(cpu, VEC_GP, 0);
    if (!(s->acc & (write ? SEG_ACC_W : SEG_ACC_R)))
        cpu_fault(cpu, VEC_GP, 0);
    if (off < s->lo || last > s->hi || last < off)
        cpu_fault(cpu, vec, 0);
}

/* A descriptor is read from the GDT or LDT at every segment load: when the
 * read TLB holds its page, in one step. */
bool seg_read_desc(struct cpu *cpu, uint16_t sel, uint32_t desc[2])
{
    uint32_t base, limit;
    if (sel & 4) {
        if (cpu->ldtr.ar & SEG_AR_UNUSABLE)
            return false;
        base = cpu->ldtr.base;
        limit = cpu->ldtr.limit;
    } else {
        base = cpu->gdtr.base;
        limit = cpu->gdtr.limit;
    }
    uint32_t idx = sel & ~7u;
    if (idx + 7 > limit)
        return false;
    const struct tlb_entry *e = tlb_find(cpu->tlb_read, base + idx, 8, false);
    if (e) {
        memcpy(desc, (const uint8_t *)(e->addend + base + idx), 8);
        return true;
    }
    desc[0] = sys_load(cpu, base + idx, 4);
    desc[1] = sys_load(cpu, base + idx + 4, 4);
    return true;
}

void seg_from_desc(struct seg *s, uint16_t sel, const uint32_t desc[2])
{
    uint32_t limit = (desc[0] & 0xffff) | (desc[1] & 0x000f0000u);
    s->sel = sel;
    s->base = (desc[0] >> 16) | ((desc[1] & 0xff) << 16) | (desc[1] & 0xff000000u);
    s->ar = (desc[1] >> 8) & 0xf0ff;
    s->limit = (s->ar & SEG_AR_G) ? (limit << 12) | 0xfff : limit;
    seg_cache_update(s);
}

void seg_memo_fill(struct seg_memo *m, const uint32_t desc[2])
{
    seg_from_desc(&m->seg, 0, desc);
    m->desc[0] = desc[0];
    m->desc[1] = desc[1];
    m->used = true;
}

/* Memory access slow paths: translation, the software TLB, page crossings,
 * MMIO and self-modifying code.
 *
 * The fast paths (cpu_internal.h) look up a direct-mapped TLB of linear
 * pages and touch host memory directly. Everything else comes here: a TLB
 * miss walks the page tables (or maps linear = physical with paging off),
 * RAM pages are entered in the TLB, device memory goes to the bus every
 * time. A page from which instructions were decoded is never entered in the
 * write TLB, so every store to it passes here and bumps its generation,
 * which invalidates the decoded instructions (see cpu.c).
 *
 * Alignment checking (CR0.AM and EFLAGS.AC at CPL 3, SDM Vol. 3, 6.15 #AC)
 * is done here too: while it is on, no CPL 3 translation is entered in the
 * TLB, so every CPL 3 access comes this way and is checked.
 */
#include "cpu_internal.h"
#include "vlab/mmu.h"
#include "vlab/trace.h"

static void tlb_set(struct cpu *cpu, struct tlb_entry *e, gva_t lin, bool user, gpa_t pa, struct pm_page *p)
{
    e->tag = tlb_tag(lin, user);
    e->phys = (uint32_t)(pa & ~(gpa_t)VLAB_PAGE_MASK);
    e->addend = (uintptr_t)p->host - (uintptr_t)(lin & ~VLAB_PAGE_MASK);
    e->page = p;
    cpu->code_epoch++; /* fetch may now find another page: block links are void (cpu.c) */
}

static bool alignment_checking(const struct cpu *cpu)
{
    return (cpu->cr0 & CR0_AM) && (cpu->eflags & EFLAGS_AC);
}

/* A translation the TLB already holds: no walk, as on the hardware (the
 * trace's page walks are the TLB's misses). */
static const struct tlb_entry *tlb_hit(const struct cpu *cpu, gva_t lin, unsigned access)
{
    unsigned idx = (lin >> VLAB_PAGE_SHIFT) & (TLB_SIZE - 1);
    const struct tlb_entry *e = (access & MMU_WRITE) ? &cpu->tlb_write[idx] : &cpu->tlb_read[idx];
    return e->tag == tlb_tag(lin, (access & MMU_USER) != 0) ? e : NULL;
}

gpa_t cpu_translate(struct cpu *cpu, gva_t lin, unsigned access, struct pm_page **page)
{
    bool user = access & MMU_USER;
    const struct tlb_entry *hit = tlb_hit(cpu, lin, access);
    if (hit) {
        *page = hit->page;
        return hit->phys | (lin & VLAB_PAGE_MASK);
    }
    gpa_t pa = lin;
    if (cpu->cr0 & CR0_PG) {
        struct mmu_walk w;
        bool ok = mmu_walk(cpu->mem, cpu->cr0, cpu->cr3, cpu->cr4, lin, access, &w);
        trace_walk(cpu, &w);
        if (!ok)
            cpu_page_fault(cpu, lin, w.error);
        pa = w.pa;
    }
    struct pm_page *p = physmem_page(cpu->mem, pa);
    *page = p;
    if (p && !(user && alignment_checking(cpu))) {
        unsigned idx = (lin >> VLAB_PAGE_SHIFT) & (TLB_SIZE - 1);
        tlb_set(cpu, &cpu->tlb_read[idx], lin, user, pa, p);
        if ((access & MMU_WRITE) && !p->code)
            tlb_set(cpu, &cpu->tlb_write[idx], lin, user, pa, p);
    }
    return pa;
}

static unsigned access_of(bool write, bool user)
{
    return (write ? MMU_WRITE : 0) | (user ? MMU_USER : 0);
}

/* Device memory: every access goes to the bus (and into the trace). */
static uint32_t mmio_read(struct cpu *cpu, gpa_t pa, unsigned size)
{
    uint32_t v = bus_mmio_read(cpu->bus, pa, size);
    trace_io(cpu, TRACE_MMIO, pa, size, v, false);
    return v;
}

static void mmio_write(struct cpu *cpu, gpa_t pa, unsigned size, uint32_t v)
{
    trace_io(cpu, TRACE_MMIO, pa, size, v, true);
    bus_mmio_write(cpu->bus, pa, size, v);
}

static uint32_t load_one_page(struct cpu *cpu, gva_t lin, unsigned size, bool user)
{
    struct pm_page *p;
    gpa_t pa = cpu_translate(cpu, lin, access_of(false, user), &p);
    if (p)
        return load_le(p->host + (pa & VLAB_PAGE_MASK), size);
    return mmio_read(cpu, pa, size);
}

static void store_one_page(struct cpu *cpu, gva_t lin, unsigned size, uint32_t v, bool user)
{
    struct pm_page *p;
    gpa_t pa = cpu_translate(cpu, lin, access_of(true, user), &p);
    if (!p) {
        mmio_write(cpu, pa, size, v);
        return;
    }
    store_le(p->host + (pa & VLAB_PAGE_MASK), size, v);
    if (p->code) {
        physmem_code_written(p);
        cpu->leave_block = true; /* the code of the block being run may be stale */
    }
}

static bool crosses_page(gva_t lin, unsigned size)
{
    return (lin & VLAB_PAGE_MASK) > VLAB_PAGE_SIZE - size;
}

/* #AC(0) for a misaligned CPL 3 data access while alignment checking is on. */
static void check_alignment(struct cpu *cpu, gva_t lin, unsigned size, bool user)
{
    if (user && (lin & (size - 1)) && alignment_checking(cpu))
        cpu_fault(cpu, VEC_AC, 0);
}

uint32_t mem_load_slow(struct cpu *cpu, gva_t lin, unsigned size, bool user)
{
    check_alignment(cpu, lin, size, user);
    if (!crosses_page(lin, size))
        return load_one_page(cpu, lin, size, user);
    uint32_t v = 0;
    for (unsigned k = 0; k < size; k++)
        v |= load_one_page(cpu, lin + k, 1, user) << (8 * k);
    return v;
}

void mem_store_slow(struct cpu *cpu, gva_t lin, unsigned size, uint32_t v, bool user)
{
    check_alignment(cpu, lin, size, user);
    if (!crosses_page(lin, size)) {
        store_one_page(cpu, lin, size, v, user);
        return;
    }
    /* Both pages must be writable before either is written; a fault on the
     * second reports its first byte in CR2, as the hardware does. */
    struct pm_page *p;
    cpu_translate(cpu, lin, access_of(true, user), &p);
    cpu_translate(cpu, (lin + size - 1) & ~VLAB_PAGE_MASK, access_of(true, user), &p);
    for (unsigned k = 0; k < size; k++)
        store_one_page(cpu, lin + k, 1, v >> (8 * k), user);
}

uint32_t mem_load_seg(struct cpu *cpu, unsigned sreg, uint32_t off, unsigned size)
{
    return lin_load(cpu, seg_lin(cpu, sreg, off, size, false), size, cpu->cpl == 3);
}

void mem_store_seg(struct cpu *cpu, unsigned sreg, uint32_t off, unsigned size, uint32_t v)
{
    lin_store(cpu, seg_lin(cpu, sreg, off, size, true), size, v, cpu->cpl == 3);
}

uint32_t mem_load_rmw_seg(struct cpu *cpu, unsigned sreg, uint32_t off, unsigned size)
{
    gva_t lin = seg_lin(cpu, sreg, off, size, true);
    bool user = cpu->cpl == 3;
    const struct tlb_entry *e = tlb_find(cpu->tlb_write, lin, size, user);
    if (e)
        return load_le((const uint8_t *)(e->addend + lin), size);
    return mem_load_rmw_slow(cpu, lin, size, user);
}

uint32_t mem_load_rmw_slow(struct cpu *cpu, gva_t lin, unsigned size, bool user)
{
    struct pm_page *p;
    check_alignment(cpu, lin, size, user);
    cpu_translate(cpu, lin, access_of(true, user), &p);
    if (crosses_page(lin, size))
        cpu_translate(cpu, (lin + size - 1) & ~VLAB_PAGE_MASK, access_of(true, user), &p);
    return mem_load_slow(cpu, lin, size, user);
}

void mem_probe_write(struct cpu *cpu, unsigned sreg, uint32_t off, uint32_t size)
{
    const struct seg *s = &cpu->seg[sreg];
    uint32_t last = off + size - 1;
    if (off < s->lo || last > s->hi || last < off || !(s->acc & SEG_ACC_W))
        seg_check_slow(cpu, sreg, off, size, true);
    gva_t lin = s->base + off;
    gva_t end_page = (lin + size - 1) & ~VLAB_PAGE_MASK;
    bool user = cpu->cpl == 3;
    for (gva_t at = lin;; at = (at & ~VLAB_PAGE_MASK) + VLAB_PAGE_SIZE) {
        const struct tlb_entry *e = &cpu->tlb_write[(at >> VLAB_PAGE_SHIFT) & (TLB_SIZE - 1)];
        struct pm_page *p;
        if (e->tag != tlb_tag(at, user))
            cpu_translate(cpu, at, access_of(true, user), &p);
        if ((at & ~VLAB_PAGE_MASK) == end_page)
            break;
    }
}

void cpu_tlb_flush(struct cpu *cpu)
{
    trace_tlb_flush(cpu, false, 0);
    cpu->code_epoch++; /* see tlb_set */
    for (unsigned k = 0; k < TLB_SIZE; k++) {
        cpu->tlb_read[k].tag = TLB_INVALID;
        cpu->tlb_write[k].tag = TLB_INVALID;
    }
}

void cpu_tlb_flush_page(struct cpu *cpu, gva_t lin)
{
    unsigned idx = (lin >> VLAB_PAGE_SHIFT) & (TLB_SIZE - 1);
    trace_tlb_flush(cpu, true, lin);
    cpu->code_epoch++; /* see tlb_set */
    cpu->tlb_read[idx].tag = TLB_INVALID;
    cpu->tlb_write[idx].tag = TLB_INVALID;
}

void cpu_paging_changed(struct cpu *cpu)
{
    cpu_tlb_flush(cpu);
}

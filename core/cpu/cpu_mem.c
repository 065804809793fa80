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
    uint32_t page = lin & ~VLAB_PAGE_MASK;
    e->tag[0] = page;
    e->tag[1] = user ? page : TLB_INVALID; /* see struct tlb_entry */
    e->phys = (uint32_t)(pa & ~(gpa_t)VLAB_PAGE_MASK);
    e->addend = (uintptr_t)p->host - (uintptr_t)page;
    e->page = p;
    cpu->code_epoch++; /* fetch may now find another page: block links are void (cpu.c) */
}

static void tlb_invalidate(struct tlb_entry *e)
{
    e->tag[0] = e->tag[1] = TLB_INVALID;
}

/* Enter a translation at index `idx` of one TLB (`tlb` and its `victim`
 * array): the entry it replaces becomes the victim, unless it maps the
 * same page (then the victim, too, must not keep that page). */
static void tlb_fill(struct cpu *cpu, struct tlb_entry *tlb, struct tlb_entry *victim, unsigned idx,
                     gva_t lin, bool user, gpa_t pa, struct pm_page *p)
{
    uint32_t page = lin & ~VLAB_PAGE_MASK;
    if (victim[idx].tag[0] == page)
        tlb_invalidate(&victim[idx]);
    if (tlb[idx].tag[0] != page && tlb[idx].tag[0] != TLB_INVALID)
        victim[idx] = tlb[idx];
    tlb_set(cpu, &tlb[idx], lin, user, pa, p);
}

static bool alignment_checking(const struct cpu *cpu)
{
    return (cpu->cr0 & CR0_AM) && (cpu->eflags & EFLAGS_AC);
}

/* A translation the TLB already holds: no walk, as on the hardware (the
 * trace's page walks are the TLB's misses). A hit on the victim swaps it
 * with the main entry, where the fast paths look. */
static const struct tlb_entry *tlb_hit(struct cpu *cpu, gva_t lin, unsigned access)
{
    unsigned idx = tlb_index(lin);
    bool write = access & MMU_WRITE, user = access & MMU_USER;
    struct tlb_entry *e = write ? &cpu->tlb_write[idx] : &cpu->tlb_read[idx];
    if (tlb_match(e, lin, user))
        return e;
    struct tlb_entry *v = write ? &cpu->tlb_write_victim[idx] : &cpu->tlb_read_victim[idx];
    if (!tlb_match(v, lin, user))
        return NULL;
    struct tlb_entry old = *e;
    *e = *v;
    *v = old;
    return e;
}

/* Remember that 4 MiB region of `lin` may have entries of a 4 MiB page. */
static void note_large(struct cpu *cpu, gva_t lin)
{
    unsigned region = lin >> 22;
    cpu->tlb_large[region / 32] |= 1u << (region % 32);
}

static bool region_has_large(const struct cpu *cpu, gva_t lin)
{
    unsigned region = lin >> 22;
    return (cpu->tlb_large[region / 32] >> (region % 32)) & 1;
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
    bool large = false;
    if (cpu->cr0 & CR0_PG) {
        struct mmu_walk w;
        bool ok = mmu_walk(cpu->mem, cpu->cr0, cpu->cr3, cpu->cr4, lin, access, &w);
        trace_walk(cpu, &w);
        if (!ok)
            cpu_page_fault(cpu, lin, w.error);
        pa = w.pa;
        large = w.large;
    }
    struct pm_page *p = physmem_page(cpu->mem, pa);
    *page = p;
    if (p && !(user && alignment_checking(cpu))) {
        unsigned idx = tlb_index(lin);
        if (large)
            note_large(cpu, lin);
        tlb_fill(cpu, cpu->tlb_read, cpu->tlb_read_victim, idx, lin, user, pa, p);
        if ((access & MMU_WRITE) && !p->code)
            tlb_fill(cpu, cpu->tlb_write, cpu->tlb_write_victim, idx, lin, user, pa, p);
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
        cpu->code_epoch++;       /* and so may that of the blocks linked to (cpu.c) */
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
        const struct tlb_entry *e = &cpu->tlb_write[tlb_index(at)];
        struct pm_page *p;
        if (!tlb_match(e, at, user))
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
        tlb_invalidate(&cpu->tlb_read[k]);
        tlb_invalidate(&cpu->tlb_write[k]);
        tlb_invalidate(&cpu->tlb_read_victim[k]);
        tlb_invalidate(&cpu->tlb_write_victim[k]);
    }
    memset(cpu->tlb_large, 0, sizeof(cpu->tlb_large));
}

/* Drop the entries at index `idx` that map lin's page, or with
 * `whole_region` any page of lin's 4 MiB region. */
static void drop_at(struct cpu *cpu, unsigned idx, gva_t lin, bool whole_region)
{
    unsigned shift = whole_region ? 22 : VLAB_PAGE_SHIFT;
    struct tlb_entry *e[4] = { &cpu->tlb_read[idx], &cpu->tlb_write[idx],
                               &cpu->tlb_read_victim[idx], &cpu->tlb_write_victim[idx] };
    for (unsigned k = 0; k < 4; k++)
        if (((e[k]->tag[0] ^ lin) >> shift) == 0)
            tlb_invalidate(e[k]);
}

/* INVLPG: forget the page holding `lin`. When that is a 4 MiB page, the
 * TLB holds it as 4 KiB slices, all of which must go: so in a region that
 * may have 4 MiB-page entries every entry of the region is dropped
 * (invalidating more than needed is always allowed). */
void cpu_tlb_flush_page(struct cpu *cpu, gva_t lin)
{
    trace_tlb_flush(cpu, true, lin); /* one INVLPG, however many entries it drops */
    cpu->code_epoch++; /* see tlb_set */
    if (!region_has_large(cpu, lin)) {
        drop_at(cpu, tlb_index(lin), lin, false);
        return;
    }
    for (unsigned k = 0; k < TLB_SIZE; k++)
        drop_at(cpu, k, lin, true);
}

void cpu_tlb_drop_writes(struct cpu *cpu, const struct pm_page *page)
{
    for (unsigned k = 0; k < TLB_SIZE; k++) {
        if (cpu->tlb_write[k].page == page)
            tlb_invalidate(&cpu->tlb_write[k]);
        if (cpu->tlb_write_victim[k].page == page)
            tlb_invalidate(&cpu->tlb_write_victim[k]);
    }
}

void cpu_paging_changed(struct cpu *cpu)
{
    cpu_tlb_flush(cpu);
}

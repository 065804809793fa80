/* The trace and the statistics (core/trace/, vlab/trace.h): what the CPU's
 * hooks report for ring switches, deliveries, page walks, TLB flushes and
 * I/O; subscriptions by kind; the cost model's cycles; the text and JSON
 * formats. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "fixture.h"
#include "vlab/trace.h"

#include "../../core/trace/cost.h"

static struct fixture fx;
static struct trace tr;

/* A subscriber that keeps the events it is given. */
#define REC_MAX 64
static struct recorder {
    unsigned n;
    struct trace_event ev[REC_MAX];
} rec;
static int rec_handle;

static void record(void *ctx, const struct trace_event *ev)
{
    struct recorder *r = ctx;
    if (r->n < REC_MAX)
        r->ev[r->n++] = *ev;
}

/* Listen to `kinds` only, forgetting what was recorded so far. */
static void listen(uint32_t kinds)
{
    trace_unsubscribe(&tr, rec_handle);
    rec_handle = trace_subscribe(&tr, kinds, record, &rec);
    assert_true(rec_handle >= 0);
    rec.n = 0;
}

#define GDT 0x20000u
#define IDT 0x21000u
#define TSS 0x22000u
#define PGDIR 0x40000u
#define PGTAB 0x41000u
#define ESP0 0x8000u
#define HANDLER(v) (0x3000u + (v) * 0x10u)

enum { CODE0 = 0x08, DATA0 = 0x10, CODE3 = 0x18, DATA3 = 0x20, TSS_SEL = 0x28, GDT_ENTRIES = 6 };
enum { V_SYSCALL = 0x80, V_IRQ = 0x40, V_ABSENT = 0x82 };

static void set_idt_gate(unsigned vector, uint64_t gate)
{
    fx_write(&fx, IDT + vector * 8, &gate, 8);
}

/* Flat ring 0 and ring 3 segments, a TSS with the ring 0 stack, gates for
 * #UD, #NP, #GP, #PF, INT 0x80 (DPL 3), an interrupt, and an absent gate. */
static void set_tables(void)
{
    const uint64_t gdt[GDT_ENTRIES] = {
        0,
        fx_desc(0, 0xfffff, 0x9a, 0xc),
        fx_desc(0, 0xfffff, 0x92, 0xc),
        fx_desc(0, 0xfffff, 0xfa, 0xc),
        fx_desc(0, 0xfffff, 0xf2, 0xc),
        fx_desc(TSS, 0x67, 0x8b, 0x0),
    };
    fx_set_gdt(&fx, GDT, gdt, GDT_ENTRIES);
    fx_write32(&fx, TSS + 4, ESP0);
    fx_write32(&fx, TSS + 8, DATA0);
    fx.cpu.tr = (struct seg){ .sel = TSS_SEL, .base = TSS, .limit = 0x67, .ar = 0x8b };
    static const uint8_t exceptions[] = { VEC_UD, VEC_NP, VEC_GP, VEC_PF };
    for (unsigned k = 0; k < sizeof exceptions; k++)
        set_idt_gate(exceptions[k], fx_gate(CODE0, HANDLER(exceptions[k]), 0x8e, 0));
    set_idt_gate(V_SYSCALL, fx_gate(CODE0, HANDLER(V_SYSCALL), 0xef, 0));
    set_idt_gate(V_IRQ, fx_gate(CODE0, HANDLER(V_IRQ), 0x8e, 0));
    set_idt_gate(V_ABSENT, fx_gate(CODE0, HANDLER(V_ABSENT), 0x6f, 0));
    fx.cpu.idtr = (struct dtr){ .base = IDT, .limit = 0x7ff };
}

static int setup(void **state)
{
    (void)state;
    int err = fx_init(&fx);
    if (err)
        return err;
    set_tables();
    trace_init(&tr);
    fx.cpu.trace = &tr;
    rec.n = 0;
    rec_handle = trace_subscribe(&tr, TRACE_ALL, record, &rec);
    return rec_handle < 0 ? rec_handle : 0;
}

static int teardown(void **state)
{
    (void)state;
    fx_fini(&fx);
    return 0;
}

/* Paging on: 0-4 MiB mapped 4 KiB by 4 KiB (user, writable) through one
 * page table, 4-8 MiB by one 4 MiB page, nothing above. */
static void paging_on(void)
{
    fx_write32(&fx, PGDIR, PGTAB | PTE_P | PTE_W | PTE_U);
    fx_write32(&fx, PGDIR + 4, 0x400000u | PTE_PS | PTE_P | PTE_W | PTE_U);
    for (uint32_t k = 0; k < 1024; k++)
        fx_write32(&fx, PGTAB + 4 * k, (k << 12) | PTE_P | PTE_W | PTE_U);
    fx.cpu.cr3 = PGDIR;
    fx.cpu.cr4 |= CR4_PSE;
    fx.cpu.cr0 |= CR0_PG;
    cpu_tlb_flush(&fx.cpu);
}

#define RUN(...) fx_run_code(&fx, (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

/* Run one instruction at FX_CODE that must raise an exception. */
static void raise_at_code(const uint8_t *code, size_t len)
{
    fx_write(&fx, FX_CODE, code, len);
    fx.cpu.eip = FX_CODE;
    assert_int_equal(cpu_step(&fx.cpu), CPU_EXIT_EXCEPTION);
}
#define RAISE(...) raise_at_code((const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

/* ---- Port I/O and MMIO -------------------------------------------------------- */

static void test_out_reports_port_size_value_and_direction(void **state)
{
    (void)state;
    RUN(0xb0, 0x41,  /* mov al, 0x41 */
        0xe6, 0xe9); /* out 0xe9, al */
    assert_int_equal(rec.n, 1);
    const struct trace_event *ev = &rec.ev[0];
    assert_int_equal(ev->kind, TRACE_PIO);
    assert_int_equal(ev->u.io.addr, 0xe9);
    assert_int_equal(ev->u.io.size, 1);
    assert_int_equal(ev->u.io.value, 0x41);
    assert_true(ev->u.io.write);
    assert_int_equal(ev->icount, 1); /* the mov retired before it */
    assert_int_equal(ev->seq, 1);
}

static void test_in_reports_the_value_read(void **state)
{
    (void)state;
    RUN(0xe4, 0x60); /* in al, 0x60: nobody claims it, so all ones */
    assert_int_equal(rec.n, 1);
    assert_false(rec.ev[0].u.io.write);
    assert_int_equal(rec.ev[0].u.io.value, 0xff);
    assert_int_equal(tr.stats.pio[TRACE_PIO_KBD], 1);
}

static void test_rep_outsb_reports_every_byte(void **state)
{
    (void)state;
    fx_write(&fx, FX_DATA, "abc", 3);
    RUN(0x66, 0xba, 0xf8, 0x03,             /* mov dx, 0x3f8 */
        0xb9, 0x03, 0x00, 0x00, 0x00,       /* mov ecx, 3 */
        0xbe, 0x00, 0x00, 0x01, 0x00,       /* mov esi, FX_DATA */
        0xf3, 0x6e);                        /* rep outsb */
    assert_int_equal(rec.n, 3);
    for (unsigned k = 0; k < 3; k++) {
        assert_int_equal(rec.ev[k].u.io.addr, 0x3f8);
        assert_int_equal(rec.ev[k].u.io.value, "abc"[k]);
        assert_int_equal(rec.ev[k].seq, k + 1);
    }
    assert_int_equal(tr.stats.pio[TRACE_PIO_COM1], 3);
}

static void test_port_ranges_name_the_pc_devices(void **state)
{
    (void)state;
    assert_int_equal(trace_pio_range_of(0x20), TRACE_PIO_PIC1);
    assert_int_equal(trace_pio_range_of(0x43), TRACE_PIO_PIT);
    assert_int_equal(trace_pio_range_of(0xa1), TRACE_PIO_PIC2);
    assert_int_equal(trace_pio_range_of(0xf4), TRACE_PIO_DEBUG_EXIT);
    assert_int_equal(trace_pio_range_of(0x3fd), TRACE_PIO_COM1);
    assert_int_equal(trace_pio_range_of(0x1234), TRACE_PIO_OTHER);
    assert_string_equal(trace_pio_range_name(TRACE_PIO_COM1), "com1");
    assert_string_equal(trace_pio_range_name(TRACE_PIO_OTHER), "other");
}

static void test_load_from_device_memory_reports_mmio(void **state)
{
    (void)state;
    RUN(0xa1, 0x00, 0x00, 0xc0, 0xfe); /* mov eax, [0xfec00000]: no RAM there */
    assert_int_equal(rec.n, 1);
    assert_int_equal(rec.ev[0].kind, TRACE_MMIO);
    assert_int_equal(rec.ev[0].u.io.addr, 0xfec00000u);
    assert_int_equal(rec.ev[0].u.io.size, 4);
    assert_int_equal(rec.ev[0].u.io.value, 0xffffffffu);
    assert_int_equal(tr.stats.mmio_reads, 1);
}

/* ---- Subscriptions ------------------------------------------------------------ */

static void test_unwanted_kinds_are_counted_but_not_emitted(void **state)
{
    (void)state;
    listen(TRACE_BIT(TRACE_WALK));
    RUN(0xe6, 0x80,  /* out 0x80, al */
        0xe6, 0x80); /* out 0x80, al */
    assert_int_equal(rec.n, 0);
    assert_int_equal(tr.stats.events[TRACE_PIO], 2);
    assert_int_equal(tr.seq, 2);
}

static void test_filtered_events_keep_their_sequence_numbers(void **state)
{
    (void)state;
    paging_on(); /* one full flush: seq 1 */
    listen(TRACE_BIT(TRACE_WALK));
    RUN(0xe6, 0x80,                     /* out 0x80, al (a fetch walk first) */
        0xa1, 0x00, 0x00, 0x01, 0x00);  /* mov eax, [FX_DATA] */
    assert_int_equal(rec.n, 2);
    assert_int_equal(rec.ev[0].seq, 2); /* the fetch walk */
    assert_int_equal(rec.ev[1].seq, 4); /* after the port access, seq 3 */
}

static void test_nobody_listening_means_an_empty_mask(void **state)
{
    (void)state;
    trace_unsubscribe(&tr, rec_handle);
    assert_int_equal(tr.mask, 0);
    int a = trace_subscribe(&tr, TRACE_BIT(TRACE_PIO), record, &rec);
    int b = trace_subscribe(&tr, TRACE_BIT(TRACE_WALK), record, &rec);
    assert_int_equal(tr.mask, TRACE_BIT(TRACE_PIO) | TRACE_BIT(TRACE_WALK));
    trace_unsubscribe(&tr, a);
    assert_int_equal(tr.mask, TRACE_BIT(TRACE_WALK));
    trace_unsubscribe(&tr, b);
    rec_handle = trace_subscribe(&tr, TRACE_ALL, record, &rec);
}

static void test_every_subscriber_of_a_kind_hears_it(void **state)
{
    (void)state;
    static struct recorder second;
    second.n = 0;
    assert_true(trace_subscribe(&tr, TRACE_BIT(TRACE_PIO), record, &second) >= 0);
    RUN(0xe6, 0x80); /* out 0x80, al */
    assert_int_equal(rec.n, 1);
    assert_int_equal(second.n, 1);
}

static void test_a_full_trace_refuses_another_subscriber(void **state)
{
    (void)state;
    for (unsigned k = 1; k < TRACE_MAX_SINKS; k++)
        assert_true(trace_subscribe(&tr, TRACE_BIT(TRACE_PIO), record, &rec) >= 0);
    assert_int_equal(trace_subscribe(&tr, TRACE_BIT(TRACE_PIO), record, &rec), -ENOSPC);
}

static void test_a_cpu_without_a_trace_runs_and_counts_nothing(void **state)
{
    (void)state;
    fx.cpu.trace = NULL;
    paging_on();
    RUN(0xe6, 0x80); /* out 0x80, al */
    assert_int_equal(rec.n, 0);
    assert_int_equal(tr.seq, 0);
    assert_int_equal(fx.cpu.extra_cycles, 0);
}

/* ---- Page walks and the TLB ----------------------------------------------------- */

static void test_walk_records_every_step(void **state)
{
    (void)state;
    paging_on();
    listen(TRACE_BIT(TRACE_WALK));
    RUN(0xa1, 0x00, 0x00, 0x01, 0x00); /* mov eax, [FX_DATA] */
    assert_int_equal(rec.n, 2);
    const struct mmu_walk *fetch = &rec.ev[0].u.walk, *load = &rec.ev[1].u.walk;
    assert_int_equal(fetch->lin, FX_CODE);
    assert_int_equal(fetch->access, MMU_FETCH);
    assert_int_equal(load->lin, FX_DATA);
    assert_int_equal(load->access, 0);
    assert_int_equal(load->nsteps, 2);
    assert_int_equal(load->step[0].table, PGDIR);
    assert_int_equal(load->step[0].index, 0);
    assert_int_equal(load->step[0].entry, PGTAB | PTE_P | PTE_W | PTE_U | PTE_A); /* A: the fetch */
    assert_int_equal(load->step[1].table, PGTAB);
    assert_int_equal(load->step[1].index, FX_DATA >> 12);
    assert_int_equal(load->step[1].entry, FX_DATA | PTE_P | PTE_W | PTE_U);
    assert_false(load->fault);
    assert_int_equal(load->pa, FX_DATA);
    assert_int_equal(tr.stats.walks[TRACE_WALK_OK][TRACE_WALK_4K], 2);
    assert_int_equal(tr.stats.walk_steps, 4);
}

static void test_a_tlb_hit_walks_no_more(void **state)
{
    (void)state;
    paging_on();
    listen(TRACE_BIT(TRACE_WALK));
    RUN(0xa1, 0x00, 0x00, 0x01, 0x00,  /* mov eax, [FX_DATA] */
        0xa1, 0x04, 0x00, 0x01, 0x00,  /* mov eax, [FX_DATA + 4] */
        0xa3, 0x08, 0x00, 0x01, 0x00); /* mov [FX_DATA + 8], eax: the write TLB misses */
    assert_int_equal(rec.n, 3);
    assert_int_equal(rec.ev[2].u.walk.access, MMU_WRITE);
}

static void test_walk_of_a_4m_page_has_one_step(void **state)
{
    (void)state;
    paging_on();
    listen(TRACE_BIT(TRACE_WALK));
    RUN(0xa1, 0x00, 0x01, 0x40, 0x00); /* mov eax, [0x400100] */
    const struct mmu_walk *w = &rec.ev[1].u.walk;
    assert_int_equal(w->nsteps, 1);
    assert_true(w->large);
    assert_int_equal(w->step[0].index, 1);
    assert_int_equal(w->pa, 0x400100);
    assert_int_equal(tr.stats.walks[TRACE_WALK_OK][TRACE_WALK_4M], 1);
}

static void test_faulting_walk_is_reported_before_the_page_fault(void **state)
{
    (void)state;
    paging_on();
    rec.n = 0;
    RAISE(0xa1, 0x00, 0x00, 0x80, 0x00); /* mov eax, [0x800000]: directory entry 2 is absent */
    assert_int_equal(fx.cpu.exc.vector, VEC_PF);
    assert_int_equal(rec.n, 2);
    const struct mmu_walk *w = &rec.ev[1].u.walk;
    assert_true(w->fault);
    assert_int_equal(w->error, 0);
    assert_int_equal(w->nsteps, 1);
    assert_int_equal(w->step[0].index, 2);
    assert_int_equal(tr.stats.walks[TRACE_WALK_FAULT][TRACE_WALK_NO_TABLE], 1);

    assert_int_equal(cpu_deliver_exception(&fx.cpu), 0); /* walks the IDT, GDT, stack pages */
    const struct trace_event *last = &rec.ev[rec.n - 1];
    const struct trace_exception *e = &last->u.exception;
    assert_int_equal(last->kind, TRACE_EXCEPTION);
    assert_int_equal(e->vector, VEC_PF);
    assert_int_equal(e->cr2, 0x800000);
    assert_int_equal(e->eip, FX_CODE);
    assert_int_equal(tr.stats.exceptions[VEC_PF], 1);
}

static void test_invlpg_and_cr3_writes_flush(void **state)
{
    (void)state;
    paging_on();
    listen(TRACE_BIT(TRACE_TLB_FLUSH));
    RUN(0x0f, 0x01, 0x3d, 0x00, 0x00, 0x01, 0x00, /* invlpg [FX_DATA] */
        0xb8, 0x00, 0x00, 0x04, 0x00,             /* mov eax, PGDIR */
        0x0f, 0x22, 0xd8);                        /* mov cr3, eax */
    assert_int_equal(rec.n, 2);
    assert_true(rec.ev[0].u.tlb_flush.page);
    assert_int_equal(rec.ev[0].u.tlb_flush.lin, FX_DATA);
    assert_false(rec.ev[1].u.tlb_flush.page);
    assert_int_equal(tr.stats.tlb_flushes_page, 1);
    assert_int_equal(tr.stats.tlb_flushes_full, 2); /* paging_on's and the CR3 write */
}

static void test_invlpg_without_pse_flushes_one_page(void **state)
{
    (void)state;
    paging_on();
    fx.cpu.cr4 &= ~CR4_PSE; /* 4 KiB pages only: the other INVLPG path */
    listen(TRACE_BIT(TRACE_TLB_FLUSH));
    RUN(0x0f, 0x01, 0x3d, 0x00, 0x00, 0x01, 0x00); /* invlpg [FX_DATA] */
    assert_int_equal(rec.n, 1);
    assert_true(rec.ev[0].u.tlb_flush.page);
    assert_int_equal(rec.ev[0].u.tlb_flush.lin, FX_DATA);
}

/* ---- Deliveries and ring switches ------------------------------------------------ */

static void test_exception_reports_vector_eip_and_cpl(void **state)
{
    (void)state;
    RAISE(0x0f, 0x0b); /* ud2 */
    assert_int_equal(rec.n, 0); /* raised, not yet delivered */
    assert_int_equal(cpu_deliver_exception(&fx.cpu), 0);
    assert_int_equal(rec.n, 1);
    const struct trace_exception *e = &rec.ev[0].u.exception;
    assert_int_equal(e->vector, VEC_UD);
    assert_false(e->soft);
    assert_false(e->has_error);
    assert_int_equal(e->eip, FX_CODE);
    assert_int_equal(e->cpl, 0);
    assert_int_equal(tr.stats.exceptions[VEC_UD], 1);
}

static void test_int80_from_ring3_reports_the_trap_and_the_ring_switch(void **state)
{
    (void)state;
    cpu_set_flat(&fx.cpu, 3);
    RAISE(0xcd, V_SYSCALL); /* int 0x80 */
    assert_int_equal(cpu_deliver_exception(&fx.cpu), 0);
    assert_int_equal(rec.n, 2);
    assert_int_equal(rec.ev[0].kind, TRACE_EXCEPTION);
    assert_true(rec.ev[0].u.exception.soft);
    assert_int_equal(rec.ev[0].u.exception.vector, V_SYSCALL);
    assert_int_equal(rec.ev[0].u.exception.cpl, 3);
    assert_int_equal(rec.ev[1].kind, TRACE_RING);
    assert_int_equal(rec.ev[1].u.ring.from, 3);
    assert_int_equal(rec.ev[1].u.ring.to, 0);
    assert_int_equal(rec.ev[1].u.ring.cause, TRACE_RING_SOFT_INT);
    assert_int_equal(rec.ev[1].u.ring.eip, FX_CODE);
    assert_int_equal(tr.stats.soft_ints[V_SYSCALL], 1);
    assert_int_equal(tr.stats.rings[3][0], 1);
}

static void test_iret_to_ring3_reports_the_ring_switch(void **state)
{
    (void)state;
    cpu_set_flat(&fx.cpu, 3);
    RAISE(0xcd, V_SYSCALL); /* int 0x80 */
    assert_int_equal(cpu_deliver_exception(&fx.cpu), 0);
    rec.n = 0;
    fx_write(&fx, HANDLER(V_SYSCALL), (const uint8_t[]){ 0xcf }, 1); /* iret */
    assert_int_equal(cpu_step(&fx.cpu), CPU_EXIT_BUDGET);
    assert_int_equal(fx.cpu.cpl, 3);
    assert_int_equal(rec.n, 1);
    assert_int_equal(rec.ev[0].u.ring.from, 0);
    assert_int_equal(rec.ev[0].u.ring.to, 3);
    assert_int_equal(rec.ev[0].u.ring.cause, TRACE_RING_IRET);
    assert_int_equal(rec.ev[0].u.ring.eip, HANDLER(V_SYSCALL));
}

static void test_retf_to_ring3_reports_the_ring_switch(void **state)
{
    (void)state;
    uint32_t frame[4] = { 0x5000, CODE3 | 3, 0x7000, DATA3 | 3 }; /* EIP CS ESP SS */
    fx_write(&fx, FX_STACK - 16, frame, sizeof(frame));
    fx.cpu.r[R_ESP] = FX_STACK - 16;
    fx_write(&fx, FX_CODE, (const uint8_t[]){ 0xcb }, 1); /* retf */
    fx.cpu.eip = FX_CODE;
    assert_int_equal(cpu_step(&fx.cpu), CPU_EXIT_BUDGET);
    assert_int_equal(fx.cpu.cpl, 3);
    assert_int_equal(rec.n, 1);
    assert_int_equal(rec.ev[0].u.ring.cause, TRACE_RING_RETF);
    assert_int_equal(tr.stats.rings[0][3], 1);
}

static void test_interrupt_reports_vector_and_where_it_struck(void **state)
{
    (void)state;
    fx.cpu.eip = 0x1234;
    assert_int_equal(cpu_deliver_interrupt(&fx.cpu, V_IRQ), 0);
    assert_int_equal(rec.n, 1);
    assert_int_equal(rec.ev[0].kind, TRACE_INTERRUPT);
    assert_int_equal(rec.ev[0].u.interrupt.vector, V_IRQ);
    assert_int_equal(rec.ev[0].u.interrupt.eip, 0x1234);
    assert_int_equal(tr.stats.interrupts[V_IRQ], 1);
    assert_int_equal(trace_stats_interrupts(&tr.stats), 1);
}

static void test_interrupt_through_an_absent_gate_is_reported_as_np(void **state)
{
    (void)state;
    assert_int_equal(cpu_deliver_interrupt(&fx.cpu, V_ABSENT), 0);
    assert_int_equal(rec.n, 1);
    assert_int_equal(rec.ev[0].kind, TRACE_EXCEPTION);
    assert_int_equal(rec.ev[0].u.exception.vector, VEC_NP);
    assert_int_equal(trace_stats_interrupts(&tr.stats), 0);
    assert_int_equal(tr.stats.exceptions[VEC_NP], 1);
}

/* ---- Simulated cycles ---------------------------------------------------------- */

static void test_cycles_are_instructions_plus_the_cost_model(void **state)
{
    (void)state;
    uint64_t irq = cost_cycles[COST_INTERRUPT], flush = cost_cycles[COST_TLB_FLUSH];
    assert_int_equal(cpu_deliver_interrupt(&fx.cpu, V_IRQ), 0); /* paging off: no walks */
    assert_int_equal(fx.cpu.extra_cycles, irq);
    paging_on();
    assert_int_equal(fx.cpu.extra_cycles, irq + flush);
    RUN(0xa1, 0x00, 0x00, 0x01, 0x00); /* mov eax, [FX_DATA]: two walks of two steps */
    uint64_t extra = irq + flush + 4 * cost_cycles[COST_WALK_STEP];
    assert_int_equal(fx.cpu.extra_cycles, extra);
    assert_int_equal(trace_cycles(&fx.cpu), 1 + extra);
    const struct trace_event *last = &rec.ev[rec.n - 1];
    assert_int_equal(last->kind, TRACE_WALK);
    assert_int_equal(last->cycles, last->icount + extra);
}

/* ---- Formats ----------------------------------------------------------------------- */

static struct trace_event walk_event(void)
{
    struct trace_event ev = { .seq = 7, .icount = 42, .cycles = 102, .kind = TRACE_WALK };
    ev.u.walk = (struct mmu_walk){
        .lin = 0x1000, .access = MMU_WRITE | MMU_USER, .nsteps = 2,
        .step = { { PGDIR, 0, PGTAB | 0x27 }, { PGTAB, 1, 0x1067 } },
        .pa = 0x1000,
    };
    return ev;
}

static void test_json_spells_a_walk_with_its_steps(void **state)
{
    (void)state;
    struct trace_event ev = walk_event();
    char buf[1024];
    int n = trace_format_json(&ev, buf, sizeof(buf));
    assert_string_equal(buf,
        "{\"seq\":7,\"vcpu\":0,\"icount\":42,\"cycles\":102,\"kind\":\"walk\",\"lin\":4096,"
        "\"access\":\"write\",\"user\":true,\"steps\":["
        "{\"level\":\"pde\",\"table\":262144,\"index\":0,\"entry\":266279,\"flags\":\"P|W|U|A\"},"
        "{\"level\":\"pte\",\"table\":266240,\"index\":1,\"entry\":4199,\"flags\":\"P|W|U|A|D\"}],"
        "\"fault\":false,\"pa\":4096,\"size\":\"4K\"}");
    assert_int_equal(n, (int)strlen(buf));
}

static void test_text_spells_a_walk_on_one_line(void **state)
{
    (void)state;
    struct trace_event ev = walk_event();
    char buf[1024];
    trace_format_text(&ev, buf, sizeof(buf));
    assert_string_equal(buf,
        "#7 cpu0 icount=42 cycles=102 walk lin=0x00001000 access=write user=yes steps=["
        "{level=pde table=0x00040000 index=0 entry=0x00041027 flags=P|W|U|A} "
        "{level=pte table=0x00041000 index=1 entry=0x00001067 flags=P|W|U|A|D}] "
        "fault=no pa=0x00001000 size=4K");
}

static void test_json_spells_an_exception(void **state)
{
    (void)state;
    struct trace_event ev = { .seq = 1, .icount = 5, .cycles = 205, .kind = TRACE_EXCEPTION };
    ev.u.exception = (struct trace_exception){ .vector = VEC_PF, .has_error = true, .error = 6,
                                               .eip = 0x100, .cpl = 3, .cr2 = 0x2000 };
    char buf[512];
    trace_format_json(&ev, buf, sizeof(buf));
    assert_string_equal(buf, "{\"seq\":1,\"vcpu\":0,\"icount\":5,\"cycles\":205,\"kind\":\"exception\","
                             "\"vector\":14,\"name\":\"#PF\",\"soft\":false,\"error\":6,\"eip\":256,"
                             "\"cpl\":3,\"cr2\":8192}");
}

static void test_a_reserved_kind_prints_its_header(void **state)
{
    (void)state;
    struct trace_event ev = { .seq = 3, .kind = TRACE_VMEXIT };
    char buf[256];
    trace_format_json(&ev, buf, sizeof(buf));
    assert_string_equal(buf, "{\"seq\":3,\"vcpu\":0,\"icount\":0,\"cycles\":0,\"kind\":\"vmexit\"}");
}

static void test_format_reports_the_length_a_short_buffer_lacks(void **state)
{
    (void)state;
    struct trace_event ev = walk_event();
    char whole[1024], part[10];
    int n = trace_format_json(&ev, whole, sizeof(whole));
    assert_int_equal(trace_format_json(&ev, part, sizeof(part)), n);
    assert_string_equal(part, "{\"seq\":7,");
}

/* ---- Names and filters ------------------------------------------------------------ */

static void test_kind_lists_parse_into_masks(void **state)
{
    (void)state;
    uint32_t mask = 0;
    char err[256];
    assert_int_equal(trace_parse_kinds("walk,pio", &mask, err, sizeof(err)), 0);
    assert_int_equal(mask, TRACE_BIT(TRACE_WALK) | TRACE_BIT(TRACE_PIO));
    assert_int_equal(trace_parse_kinds("all", &mask, err, sizeof(err)), 0);
    assert_int_equal(mask, TRACE_ALL);
    assert_int_equal(trace_parse_kinds("iommu_fault", &mask, err, sizeof(err)), 0);
    assert_int_equal(mask, TRACE_BIT(TRACE_IOMMU_FAULT));
    assert_int_equal(trace_parse_kinds("walk,bogus", &mask, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "'bogus'"));
    assert_int_equal(trace_parse_kinds("", &mask, err, sizeof(err)), -EINVAL);
    assert_int_equal(trace_parse_kinds("walk,", &mask, err, sizeof(err)), -EINVAL);
}

static void test_every_kind_has_a_name(void **state)
{
    (void)state;
    for (unsigned k = 0; k < TRACE_KIND_COUNT; k++)
        assert_non_null(trace_kind_name(k));
    assert_string_equal(trace_kind_name(TRACE_TLB_FLUSH), "tlb_flush");
    assert_null(trace_kind_name(TRACE_KIND_COUNT));
    assert_string_equal(trace_ring_cause_name(TRACE_RING_SOFT_INT), "int");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_out_reports_port_size_value_and_direction),
        T(test_in_reports_the_value_read),
        T(test_rep_outsb_reports_every_byte),
        T(test_port_ranges_name_the_pc_devices),
        T(test_load_from_device_memory_reports_mmio),
        T(test_unwanted_kinds_are_counted_but_not_emitted),
        T(test_filtered_events_keep_their_sequence_numbers),
        T(test_nobody_listening_means_an_empty_mask),
        T(test_every_subscriber_of_a_kind_hears_it),
        T(test_a_full_trace_refuses_another_subscriber),
        T(test_a_cpu_without_a_trace_runs_and_counts_nothing),
        T(test_walk_records_every_step),
        T(test_a_tlb_hit_walks_no_more),
        T(test_walk_of_a_4m_page_has_one_step),
        T(test_faulting_walk_is_reported_before_the_page_fault),
        T(test_invlpg_and_cr3_writes_flush),
        T(test_invlpg_without_pse_flushes_one_page),
        T(test_exception_reports_vector_eip_and_cpl),
        T(test_int80_from_ring3_reports_the_trap_and_the_ring_switch),
        T(test_iret_to_ring3_reports_the_ring_switch),
        T(test_retf_to_ring3_reports_the_ring_switch),
        T(test_interrupt_reports_vector_and_where_it_struck),
        T(test_interrupt_through_an_absent_gate_is_reported_as_np),
        T(test_cycles_are_instructions_plus_the_cost_model),
        T(test_json_spells_a_walk_with_its_steps),
        T(test_text_spells_a_walk_on_one_line),
        T(test_json_spells_an_exception),
        T(test_a_reserved_kind_prints_its_header),
        T(test_format_reports_the_length_a_short_buffer_lacks),
        T(test_kind_lists_parse_into_masks),
        T(test_every_kind_has_a_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The trace's `sysreg` events (core/cpu/exec_sysreg.c, vlab/trace.h): every
 * load of CR0, CR3, CR4, GDTR, IDTR, LDTR and TR reports the register, the
 * old and new values and the instruction; a load that faults reports
 * nothing; the statistics count them by register. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "fixture.h"
#include "vlab/trace.h"

static struct fixture fx;
static struct trace tr;

#define REC_MAX 16
static struct {
    unsigned n;
    struct trace_event ev[REC_MAX];
} rec;

static void record(void *ctx, const struct trace_event *ev)
{
    (void)ctx;
    if (rec.n < REC_MAX)
        rec.ev[rec.n++] = *ev;
}

#define GDT 0x20000u
#define TSS 0x22000u
#define LDT 0x23000u
#define PGDIR 0x40000u
#define DTR_AT 0x24000u  /* a pseudo-descriptor for LGDT/LIDT */

enum { CODE0 = 0x08, DATA0 = 0x10, TSS_SEL = 0x18, LDT_SEL = 0x20, GDT_ENTRIES = 5 };

static int setup(void **state)
{
    (void)state;
    int err = fx_init(&fx);
    if (err)
        return err;
    const uint64_t gdt[GDT_ENTRIES] = {
        0,
        fx_desc(0, 0xfffff, 0x9a, 0xc),
        fx_desc(0, 0xfffff, 0x92, 0xc),
        fx_desc(TSS, 0x67, 0x89, 0x0), /* an available 32-bit TSS */
        fx_desc(LDT, 0xf, 0x82, 0x0),  /* an LDT */
    };
    fx_set_gdt(&fx, GDT, gdt, GDT_ENTRIES);
    trace_init(&tr);
    fx.cpu.trace = &tr;
    rec.n = 0;
    return trace_subscribe(&tr, TRACE_BIT(TRACE_SYSREG), record, NULL) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    fx_fini(&fx);
    return 0;
}

#define RUN(...) fx_run_code(&fx, (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

static void assert_sysreg(unsigned k, enum trace_sysreg_reg reg, uint32_t old, uint32_t new_value,
                          uint32_t eip)
{
    assert_true(k < rec.n);
    const struct trace_event *ev = &rec.ev[k];
    assert_int_equal(ev->kind, TRACE_SYSREG);
    assert_int_equal(ev->u.sysreg.reg, reg);
    assert_int_equal(ev->u.sysreg.old_value, old);
    assert_int_equal(ev->u.sysreg.new_value, new_value);
    assert_int_equal(ev->u.sysreg.eip, eip);
}

static void test_mov_cr0_reports_old_and_new_value(void **state)
{
    (void)state;
    uint32_t cr0 = fx.cpu.cr0;
    RUN(0x0f, 0x20, 0xc0,             /* mov eax, cr0 */
        0x0d, 0x00, 0x00, 0x01, 0x00, /* or eax, CR0_WP */
        0x0f, 0x22, 0xc0);            /* mov cr0, eax */
    assert_int_equal(rec.n, 1);
    assert_sysreg(0, TRACE_SYSREG_CR0, cr0, cr0 | CR0_WP, FX_CODE + 8);
    assert_int_equal(rec.ev[0].u.sysreg.limit, 0);
    assert_int_equal(tr.stats.sysregs[TRACE_SYSREG_CR0], 1);
}

static void test_lmsw_and_clts_are_cr0_loads(void **state)
{
    (void)state;
    uint32_t cr0 = fx.cpu.cr0;
    RUN(0xb8, 0x09, 0x00, 0x00, 0x00, /* mov eax, PE|TS */
        0x0f, 0x01, 0xf0,             /* lmsw ax */
        0x0f, 0x06);                  /* clts */
    assert_int_equal(rec.n, 2);
    assert_sysreg(0, TRACE_SYSREG_CR0, cr0, cr0 | CR0_TS, FX_CODE + 5);
    assert_sysreg(1, TRACE_SYSREG_CR0, cr0 | CR0_TS, cr0 & ~CR0_TS, FX_CODE + 8);
    assert_int_equal(tr.stats.sysregs[TRACE_SYSREG_CR0], 2);
}

static void test_cr3_load_comes_before_its_tlb_flush(void **state)
{
    (void)state;
    trace_subscribe(&tr, TRACE_BIT(TRACE_TLB_FLUSH), record, NULL);
    fx.cpu.cr3 = 0x1000;
    RUN(0xb8, 0x00, 0x00, 0x04, 0x00, /* mov eax, PGDIR */
        0x0f, 0x22, 0xd8);            /* mov cr3, eax */
    assert_int_equal(rec.n, 2);
    assert_sysreg(0, TRACE_SYSREG_CR3, 0x1000, PGDIR, FX_CODE + 5);
    assert_int_equal(rec.ev[1].kind, TRACE_TLB_FLUSH);
    assert_int_equal(rec.ev[1].seq, rec.ev[0].seq + 1);
}

static void test_cr4_load_and_a_refused_one(void **state)
{
    (void)state;
    RUN(0xb8, 0x10, 0x00, 0x00, 0x00, /* mov eax, CR4_PSE */
        0x0f, 0x22, 0xe0);            /* mov cr4, eax */
    assert_int_equal(rec.n, 1);
    assert_sysreg(0, TRACE_SYSREG_CR4, 0, CR4_PSE, FX_CODE + 5);
    /* A reserved bit: #GP(0), and no event. */
    assert_int_equal(RUN(0xb8, 0x00, 0x00, 0x00, 0x80, /* mov eax, 1 << 31 */
                         0x0f, 0x22, 0xe0),            /* mov cr4, eax */
                     CPU_EXIT_EXCEPTION);
    assert_int_equal(fx.cpu.exc.vector, VEC_GP);
    assert_int_equal(rec.n, 1);
    assert_int_equal(tr.stats.sysregs[TRACE_SYSREG_CR4], 1);
}

static void test_lgdt_and_lidt_report_base_and_limit(void **state)
{
    (void)state;
    fx_write(&fx, DTR_AT, (const uint8_t[]){ 0xff, 0x07, 0x00, 0x50, 0x03, 0x00 }, 6); /* 0x7ff, 0x35000 */
    RUN(0x0f, 0x01, 0x1d, 0x00, 0x40, 0x02, 0x00,  /* lidt [DTR_AT] */
        0x0f, 0x01, 0x15, 0x00, 0x40, 0x02, 0x00); /* lgdt [DTR_AT] */
    assert_int_equal(rec.n, 2);
    assert_sysreg(0, TRACE_SYSREG_IDTR, 0, 0x35000, FX_CODE);
    assert_int_equal(rec.ev[0].u.sysreg.limit, 0x7ff);
    assert_sysreg(1, TRACE_SYSREG_GDTR, GDT, 0x35000, FX_CODE + 7);
    assert_int_equal(rec.ev[1].u.sysreg.limit, 0x7ff);
    assert_int_equal(tr.stats.sysregs[TRACE_SYSREG_GDTR], 1);
    assert_int_equal(tr.stats.sysregs[TRACE_SYSREG_IDTR], 1);
}

static void test_ltr_and_lldt_report_the_selectors(void **state)
{
    (void)state;
    RUN(0xb8, TSS_SEL, 0x00, 0x00, 0x00, /* mov eax, TSS_SEL */
        0x0f, 0x00, 0xd8,                /* ltr ax */
        0xb8, LDT_SEL, 0x00, 0x00, 0x00, /* mov eax, LDT_SEL */
        0x0f, 0x00, 0xd0,                /* lldt ax */
        0x31, 0xc0,                      /* xor eax, eax */
        0x0f, 0x00, 0xd0);               /* lldt ax: a null selector */
    assert_int_equal(rec.n, 3);
    assert_sysreg(0, TRACE_SYSREG_TR, 0, TSS_SEL, FX_CODE + 5);
    assert_sysreg(1, TRACE_SYSREG_LDTR, 0, LDT_SEL, FX_CODE + 13);
    assert_sysreg(2, TRACE_SYSREG_LDTR, LDT_SEL, 0, FX_CODE + 18);
    assert_int_equal(tr.stats.sysregs[TRACE_SYSREG_TR], 1);
    assert_int_equal(tr.stats.sysregs[TRACE_SYSREG_LDTR], 2);
}

static void test_ltr_of_a_busy_tss_faults_without_an_event(void **state)
{
    (void)state;
    RUN(0xb8, TSS_SEL, 0x00, 0x00, 0x00, 0x0f, 0x00, 0xd8); /* ltr: now busy */
    assert_int_equal(RUN(0x0f, 0x00, 0xd8), CPU_EXIT_EXCEPTION); /* ltr ax again */
    assert_int_equal(fx.cpu.exc.vector, VEC_GP);
    assert_int_equal(rec.n, 1);
}

static void test_sysreg_events_print_as_text_and_json(void **state)
{
    (void)state;
    struct trace_event ev = { .seq = 4, .icount = 9, .cycles = 9, .kind = TRACE_SYSREG };
    ev.u.sysreg = (struct trace_sysreg){ TRACE_SYSREG_GDTR, 0x2f, 0, 0x1048c0, 0x100014 };
    char buf[256];
    trace_format_text(&ev, buf, sizeof(buf));
    assert_string_equal(buf, "#4 cpu0 icount=9 cycles=9 sysreg reg=gdtr old=0x00000000 new=0x001048c0 "
                             "limit=0x002f eip=0x00100014");
    ev.u.sysreg = (struct trace_sysreg){ TRACE_SYSREG_CR3, 0, 0x1000, 0x2000, 0x100 };
    trace_format_json(&ev, buf, sizeof(buf));
    assert_string_equal(buf, "{\"seq\":4,\"vcpu\":0,\"icount\":9,\"cycles\":9,\"kind\":\"sysreg\","
                             "\"reg\":\"cr3\",\"old\":4096,\"new\":8192,\"eip\":256}");
    uint32_t mask;
    char err[128];
    assert_int_equal(trace_parse_kinds("sysreg", &mask, err, sizeof(err)), 0);
    assert_int_equal(mask, TRACE_BIT(TRACE_SYSREG));
    assert_string_equal(trace_sysreg_name(TRACE_SYSREG_TR), "tr");
    assert_null(trace_sysreg_name(TRACE_SYSREG_COUNT));
}

static void test_sysreg_loads_cost_no_cycles_of_their_own(void **state)
{
    (void)state;
    uint64_t before = fx.cpu.extra_cycles;
    RUN(0x0f, 0x06); /* clts: changes nothing paging depends on */
    assert_int_equal(rec.n, 1);
    assert_int_equal(fx.cpu.extra_cycles, before);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_mov_cr0_reports_old_and_new_value),
        T(test_lmsw_and_clts_are_cr0_loads),
        T(test_cr3_load_comes_before_its_tlb_flush),
        T(test_cr4_load_and_a_refused_one),
        T(test_lgdt_and_lidt_report_base_and_limit),
        T(test_ltr_and_lldt_report_the_selectors),
        T(test_ltr_of_a_busy_tss_faults_without_an_event),
        T(test_sysreg_events_print_as_text_and_json),
        T(test_sysreg_loads_cost_no_cycles_of_their_own),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

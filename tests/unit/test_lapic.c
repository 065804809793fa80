/* The local APIC: registers after reset, software and global enable, the
 * timer in virtual time, priorities, EOI, self-IPIs (core/dev/lapic.c).
 *
 * The timer's bus clock is a nominal 100 MHz: 10 ns per count, times the
 * divisor (divide by 16: 160 ns per count). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>

#include "fixture.h"

#define REG_ID 0x020
#define REG_VERSION 0x030
#define REG_TPR 0x080
#define REG_PPR 0x0a0
#define REG_EOI 0x0b0
#define REG_DFR 0x0e0
#define REG_SVR 0x0f0
#define REG_ISR 0x100
#define REG_IRR 0x200
#define REG_ESR 0x280
#define REG_ICR_LO 0x300
#define REG_ICR_HI 0x310
#define REG_LVT_TIMER 0x320
#define REG_LVT_LINT0 0x350
#define REG_LVT_ERROR 0x370
#define REG_INITIAL 0x380
#define REG_CURRENT 0x390
#define REG_DCR 0x3e0
#define MASKED 0x10000u
#define PERIODIC 0x20000u

struct lapic_fx {
    struct fixture fx; /* the CPU holds IA32_APIC_BASE */
    struct lapic apic;
    struct fx_clock clock;
    unsigned kicks;
};

static int setup(void **state)
{
    struct lapic_fx *f = calloc(1, sizeof(*f));
    if (!f || fx_init(&f->fx) != 0) {
        free(f);
        return -1;
    }
    if (lapic_register(&f->apic, &f->fx.bus, &f->fx.cpu, fx_vclock(&f->clock), fx_kick(&f->kicks))) {
        fx_fini(&f->fx);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct lapic_fx *f = *state;
    fx_fini(&f->fx);
    free(f);
    return 0;
}

static uint32_t rd(struct lapic_fx *f, unsigned reg)
{
    return bus_mmio_read(&f->fx.bus, LAPIC_BASE + reg, 4);
}

static void wr(struct lapic_fx *f, unsigned reg, uint32_t v)
{
    bus_mmio_write(&f->fx.bus, LAPIC_BASE + reg, 4, v);
}

static uint64_t advance(struct lapic_fx *f, uint64_t ns)
{
    f->clock.ns = ns;
    return lapic_advance(&f->apic, ns);
}

static bool irr_has(struct lapic_fx *f, unsigned vector)
{
    return rd(f, REG_IRR + vector / 32 * 16) & (1u << (vector % 32));
}

static bool isr_has(struct lapic_fx *f, unsigned vector)
{
    return rd(f, REG_ISR + vector / 32 * 16) & (1u << (vector % 32));
}

static void enable(struct lapic_fx *f)
{
    wr(f, REG_SVR, 0x1ff);
}

static void test_registers_after_reset(void **state)
{
    struct lapic_fx *f = *state;
    assert_int_equal(rd(f, REG_ID), 0);
    assert_int_equal(rd(f, REG_VERSION), 0x00050014);
    assert_int_equal(rd(f, REG_SVR), 0xff);
    assert_int_equal(rd(f, REG_DFR), 0xffffffffu);
    assert_int_equal(rd(f, REG_LVT_TIMER), MASKED);
    assert_int_equal(rd(f, REG_LVT_LINT0), MASKED);
    assert_int_equal(rd(f, REG_LVT_ERROR), MASKED);
    assert_int_equal(rd(f, REG_CURRENT), 0);
    assert_true(lapic_lint0_open(&f->apic));
}

static void test_lvt_stays_masked_while_software_disabled(void **state)
{
    struct lapic_fx *f = *state;
    wr(f, REG_LVT_TIMER, 0x40);
    assert_int_equal(rd(f, REG_LVT_TIMER), MASKED | 0x40);
    enable(f);
    wr(f, REG_LVT_TIMER, 0x40);
    assert_int_equal(rd(f, REG_LVT_TIMER), 0x40);
    wr(f, REG_SVR, 0xff);
    assert_int_equal(rd(f, REG_LVT_TIMER), MASKED | 0x40);
}

static void test_one_shot_timer_counts_down_with_divide_and_fires_once(void **state)
{
    struct lapic_fx *f = *state;
    enable(f);
    wr(f, REG_DCR, 0x3); /* divide by 16 */
    wr(f, REG_LVT_TIMER, 0x40);
    wr(f, REG_INITIAL, 1000);
    assert_int_equal(advance(f, 0), 160000);
    f->clock.ns = 80000;
    assert_int_equal(rd(f, REG_CURRENT), 500);
    assert_false(irr_has(f, 0x40));
    assert_int_equal(advance(f, 160000), VTIME_NEVER);
    assert_true(irr_has(f, 0x40));
    assert_int_equal(rd(f, REG_CURRENT), 0);
    assert_true(lapic_pending(&f->apic));
    assert_int_equal(lapic_ack(&f->apic), 0x40);
    assert_false(irr_has(f, 0x40));
    assert_true(isr_has(f, 0x40));
    assert_int_equal(advance(f, 10000000), VTIME_NEVER);
    assert_false(irr_has(f, 0x40));
}

static void test_periodic_timer_reloads_every_period(void **state)
{
    struct lapic_fx *f = *state;
    enable(f);
    wr(f, REG_DCR, 0xb); /* divide by 1 */
    wr(f, REG_LVT_TIMER, PERIODIC | 0x50);
    wr(f, REG_INITIAL, 100);
    assert_int_equal(advance(f, 0), 1000);
    assert_int_equal(advance(f, 1000), 2000);
    assert_int_equal(lapic_ack(&f->apic), 0x50);
    wr(f, REG_EOI, 0);
    f->clock.ns = 1500;
    assert_int_equal(rd(f, REG_CURRENT), 50);
    assert_int_equal(advance(f, 2000), 3000);
    assert_int_equal(lapic_ack(&f->apic), 0x50);
}

static void test_changing_the_divisor_keeps_the_counts_done(void **state)
{
    struct lapic_fx *f = *state;
    enable(f);
    wr(f, REG_DCR, 0xb); /* divide by 1: 10 ns per count */
    wr(f, REG_LVT_TIMER, 0x40);
    wr(f, REG_INITIAL, 100);
    f->clock.ns = 500; /* 50 counts done */
    wr(f, REG_DCR, 0x0); /* divide by 2: 20 ns per count */
    assert_int_equal(rd(f, REG_CURRENT), 50);
    assert_int_equal(advance(f, 500), 1500);
}

static void test_masked_timer_counts_but_does_not_interrupt(void **state)
{
    struct lapic_fx *f = *state;
    enable(f);
    wr(f, REG_DCR, 0xb);
    wr(f, REG_LVT_TIMER, MASKED | 0x40);
    wr(f, REG_INITIAL, 10);
    advance(f, 100);
    assert_false(irr_has(f, 0x40));
    assert_false(lapic_timer_can_interrupt(&f->apic));
}

static void test_eoi_clears_the_highest_vector_in_service(void **state)
{
    struct lapic_fx *f = *state;
    enable(f);
    wr(f, REG_ICR_LO, 0x40040); /* self IPI, vector 0x40 */
    assert_int_equal(lapic_ack(&f->apic), 0x40);
    wr(f, REG_ICR_LO, 0x40090);
    assert_int_equal(lapic_ack(&f->apic), 0x90);
    assert_true(isr_has(f, 0x40) && isr_has(f, 0x90));
    wr(f, REG_EOI, 0);
    assert_false(isr_has(f, 0x90));
    assert_true(isr_has(f, 0x40));
    wr(f, REG_EOI, 0);
    assert_false(isr_has(f, 0x40));
}

static void test_in_service_vector_blocks_its_own_priority_class(void **state)
{
    struct lapic_fx *f = *state;
    enable(f);
    wr(f, REG_ICR_LO, 0x40045);
    assert_int_equal(lapic_ack(&f->apic), 0x45);
    assert_int_equal(rd(f, REG_PPR), 0x40);
    wr(f, REG_ICR_LO, 0x40042);
    assert_false(lapic_pending(&f->apic));
    wr(f, REG_ICR_LO, 0x40051);
    assert_int_equal(lapic_ack(&f->apic), 0x51);
    wr(f, REG_EOI, 0);
    wr(f, REG_EOI, 0);
    assert_int_equal(lapic_ack(&f->apic), 0x42);
}

static void test_tpr_holds_back_lower_classes(void **state)
{
    struct lapic_fx *f = *state;
    enable(f);
    wr(f, REG_TPR, 0x50);
    wr(f, REG_ICR_LO, 0x40045);
    assert_false(lapic_pending(&f->apic));
    assert_int_equal(lapic_ack(&f->apic), -1);
    wr(f, REG_TPR, 0x30);
    assert_true(lapic_pending(&f->apic));
}

static void test_software_disable_holds_interrupts_and_opens_lint0(void **state)
{
    struct lapic_fx *f = *state;
    enable(f);
    wr(f, REG_LVT_LINT0, MASKED | 0x700);
    assert_false(lapic_lint0_open(&f->apic));
    wr(f, REG_ICR_LO, 0x40045);
    wr(f, REG_SVR, 0xff);
    assert_false(lapic_pending(&f->apic));
    assert_true(lapic_lint0_open(&f->apic));
    enable(f);
    assert_true(lapic_pending(&f->apic));
}

static void test_lint0_unmasked_as_extint_passes_the_pic(void **state)
{
    struct lapic_fx *f = *state;
    enable(f);
    assert_false(lapic_lint0_open(&f->apic));
    wr(f, REG_LVT_LINT0, 0x700); /* ExtINT, unmasked */
    assert_true(lapic_lint0_open(&f->apic));
}

static void test_global_disable_unmaps_the_registers(void **state)
{
    struct lapic_fx *f = *state;
    enable(f);
    wr(f, REG_ICR_LO, 0x40045);
    f->fx.cpu.apic_base &= ~0x800ull;
    assert_int_equal(rd(f, REG_VERSION), 0xffffffffu);
    assert_int_equal(bus_mmio_read(&f->fx.bus, LAPIC_BASE + REG_SVR, 1), 0xff);
    wr(f, REG_TPR, 0x20);
    assert_false(lapic_pending(&f->apic));
    assert_true(lapic_lint0_open(&f->apic));
    f->fx.cpu.apic_base |= 0x800;
    assert_int_equal(rd(f, REG_TPR), 0);
    assert_true(lapic_pending(&f->apic));
}

static void test_moved_base_leaves_0xfee00000_unclaimed(void **state)
{
    struct lapic_fx *f = *state;
    f->fx.cpu.apic_base = 0xfec00000u | 0x900;
    assert_int_equal(rd(f, REG_VERSION), 0xffffffffu);
}

static void test_self_ipi_through_physical_destination(void **state)
{
    struct lapic_fx *f = *state;
    enable(f);
    wr(f, REG_ID, 0x03000000);
    wr(f, REG_ICR_HI, 0x03000000);
    wr(f, REG_ICR_LO, 0x61);
    assert_true(irr_has(f, 0x61));
    wr(f, REG_ICR_HI, 0x05000000);
    wr(f, REG_ICR_LO, 0x62);
    assert_false(irr_has(f, 0x62));
    wr(f, REG_ICR_LO, 0xc0063); /* all excluding self */
    assert_false(irr_has(f, 0x63));
    wr(f, REG_ICR_LO, 0x40500); /* INIT to self: ignored */
    assert_false(irr_has(f, 0x00));
    assert_int_equal(rd(f, REG_ICR_LO) & 0x1000, 0);
}

static void test_illegal_vector_is_dropped_and_reported_in_esr(void **state)
{
    struct lapic_fx *f = *state;
    enable(f);
    wr(f, REG_ICR_LO, 0x4000f);
    assert_false(lapic_pending(&f->apic));
    assert_int_equal(rd(f, REG_ESR), 0);
    wr(f, REG_ESR, 0);
    assert_int_equal(rd(f, REG_ESR), 0x40);
    wr(f, REG_ESR, 0);
    assert_int_equal(rd(f, REG_ESR), 0);
}

static void test_writes_kick_the_machine(void **state)
{
    struct lapic_fx *f = *state;
    unsigned kicks = f->kicks;
    wr(f, REG_TPR, 0x10);
    assert_int_equal(f->kicks, kicks + 1);
    bus_mmio_write(&f->fx.bus, LAPIC_BASE + REG_TPR, 2, 0x20); /* not a dword: ignored */
    assert_int_equal(rd(f, REG_TPR), 0x10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_registers_after_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lvt_stays_masked_while_software_disabled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_shot_timer_counts_down_with_divide_and_fires_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_periodic_timer_reloads_every_period, setup, teardown),
        cmocka_unit_test_setup_teardown(test_changing_the_divisor_keeps_the_counts_done, setup, teardown),
        cmocka_unit_test_setup_teardown(test_masked_timer_counts_but_does_not_interrupt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eoi_clears_the_highest_vector_in_service, setup, teardown),
        cmocka_unit_test_setup_teardown(test_in_service_vector_blocks_its_own_priority_class, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tpr_holds_back_lower_classes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_software_disable_holds_interrupts_and_opens_lint0, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lint0_unmasked_as_extint_passes_the_pic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_global_disable_unmaps_the_registers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_moved_base_leaves_0xfee00000_unclaimed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_self_ipi_through_physical_destination, setup, teardown),
        cmocka_unit_test_setup_teardown(test_illegal_vector_is_dropped_and_reported_in_esr, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writes_kick_the_machine, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

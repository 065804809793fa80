/* The MC146818 RTC and CMOS RAM: the virtual date, BCD and binary, 12 and
 * 24 hours, UIP, setting the clock, the periodic and update interrupts on
 * IRQ 8 (core/dev/cmos.c). The clock starts at 2026-01-01 00:00:00, a
 * Thursday. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>

#include "fixture.h"

#define S 1000000000ull

struct cmos_fx {
    struct bus bus;
    struct cmos cmos;
    struct fx_clock clock;
    struct fx_irq irq8;
    unsigned kicks;
};

static int setup(void **state)
{
    struct cmos_fx *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    bus_init(&f->bus);
    if (cmos_register(&f->cmos, &f->bus, fx_vclock(&f->clock), fx_irq_line(&f->irq8), fx_kick(&f->kicks))) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

static uint8_t rd(struct cmos_fx *f, uint8_t reg)
{
    bus_pio_write(&f->bus, 0x70, 1, reg);
    return (uint8_t)bus_pio_read(&f->bus, 0x71, 1);
}

static void wr(struct cmos_fx *f, uint8_t reg, uint8_t v)
{
    bus_pio_write(&f->bus, 0x70, 1, reg);
    bus_pio_write(&f->bus, 0x71, 1, v);
}

static void test_power_on_date_reads_in_bcd(void **state)
{
    struct cmos_fx *f = *state;
    assert_int_equal(rd(f, 0x00), 0x00);
    assert_int_equal(rd(f, 0x02), 0x00);
    assert_int_equal(rd(f, 0x04), 0x00);
    assert_int_equal(rd(f, 0x06), 5); /* Thursday */
    assert_int_equal(rd(f, 0x07), 0x01);
    assert_int_equal(rd(f, 0x08), 0x01);
    assert_int_equal(rd(f, 0x09), 0x26);
    assert_int_equal(rd(f, 0x32), 0x20);
    assert_int_equal(rd(f, 0x0a), 0x26);
    assert_int_equal(rd(f, 0x0b), 0x02);
    assert_int_equal(rd(f, 0x0d), 0x80);
}

static void test_time_follows_virtual_seconds(void **state)
{
    struct cmos_fx *f = *state;
    f->clock.ns = (59 * 86400 + 3725) * S + S / 2; /* 2026-03-01 01:02:05.5 */
    assert_int_equal(rd(f, 0x00), 0x05);
    assert_int_equal(rd(f, 0x02), 0x02);
    assert_int_equal(rd(f, 0x04), 0x01);
    assert_int_equal(rd(f, 0x07), 0x01);
    assert_int_equal(rd(f, 0x08), 0x03);
    assert_int_equal(rd(f, 0x06), 1); /* Sunday */
}

static void test_binary_mode_per_status_b(void **state)
{
    struct cmos_fx *f = *state;
    f->clock.ns = 45 * S;
    wr(f, 0x0b, 0x06); /* binary, 24-hour */
    assert_int_equal(rd(f, 0x00), 45);
    assert_int_equal(rd(f, 0x09), 26);
    assert_int_equal(rd(f, 0x32), 20);
}

static void test_12_hour_mode_flags_pm_in_bit_7(void **state)
{
    struct cmos_fx *f = *state;
    wr(f, 0x0b, 0x00); /* BCD, 12-hour */
    assert_int_equal(rd(f, 0x04), 0x12); /* midnight: 12 AM */
    f->clock.ns = 13 * 3600 * S;
    assert_int_equal(rd(f, 0x04), 0x81);
    f->clock.ns = 12 * 3600 * S;
    assert_int_equal(rd(f, 0x04), 0x92);
}

static void test_uip_is_set_in_the_last_244_us_of_a_second(void **state)
{
    struct cmos_fx *f = *state;
    f->clock.ns = S - 244001;
    assert_int_equal(rd(f, 0x0a) & 0x80, 0);
    f->clock.ns = S - 244000;
    assert_int_equal(rd(f, 0x0a) & 0x80, 0x80);
    f->clock.ns = S;
    assert_int_equal(rd(f, 0x0a) & 0x80, 0);
}

static void test_set_bit_stops_the_clock_while_the_time_is_written(void **state)
{
    struct cmos_fx *f = *state;
    f->clock.ns = 10 * S;
    wr(f, 0x0b, 0x82);
    wr(f, 0x04, 0x12);
    wr(f, 0x02, 0x34);
    wr(f, 0x07, 0x29);
    wr(f, 0x08, 0x02);
    wr(f, 0x09, 0x28);
    f->clock.ns = 50 * S;
    assert_int_equal(rd(f, 0x00), 0x10); /* frozen */
    wr(f, 0x0b, 0x02);
    f->clock.ns = 53 * S;
    assert_int_equal(rd(f, 0x00), 0x13);
    assert_int_equal(rd(f, 0x02), 0x34);
    assert_int_equal(rd(f, 0x04), 0x12);
    assert_int_equal(rd(f, 0x07), 0x29); /* 2028-02-29, a Tuesday */
    assert_int_equal(rd(f, 0x08), 0x02);
    assert_int_equal(rd(f, 0x09), 0x28);
    assert_int_equal(rd(f, 0x06), 3);
}

static void test_write_out_of_range_is_ignored(void **state)
{
    struct cmos_fx *f = *state;
    wr(f, 0x02, 0x60);
    assert_int_equal(rd(f, 0x02), 0x00);
    wr(f, 0x08, 0x13);
    assert_int_equal(rd(f, 0x08), 0x01);
}

static void test_day_past_end_of_month_runs_into_the_next(void **state)
{
    struct cmos_fx *f = *state;
    wr(f, 0x0b, 0x82);
    wr(f, 0x08, 0x02);
    wr(f, 0x07, 0x30); /* February 30th, 2026 */
    assert_int_equal(rd(f, 0x07), 0x30);
    wr(f, 0x0b, 0x02);
    assert_int_equal(rd(f, 0x07), 0x02);
    assert_int_equal(rd(f, 0x08), 0x03);
}

static void test_periodic_interrupt_holds_irq8_until_c_is_read(void **state)
{
    struct cmos_fx *f = *state;
    wr(f, 0x0b, 0x42); /* PIE */
    uint64_t d = cmos_advance(&f->cmos, 0);
    assert_int_equal(d, 976563); /* 1024 Hz: 32 ticks of 32.768 kHz */
    assert_false(f->irq8.level);
    f->clock.ns = d;
    assert_int_equal(cmos_advance(&f->cmos, d), VTIME_NEVER);
    assert_true(f->irq8.level);
    f->clock.ns = 5 * d;
    assert_int_equal(rd(f, 0x0c), 0xc0);
    assert_false(f->irq8.level);
    assert_int_equal(rd(f, 0x0c), 0x00);
    assert_int_equal(f->irq8.rises, 1);
}

static void test_update_interrupt_every_second(void **state)
{
    struct cmos_fx *f = *state;
    wr(f, 0x0b, 0x12); /* UIE */
    assert_int_equal(cmos_advance(&f->cmos, S / 3), S);
    f->clock.ns = S;
    cmos_advance(&f->cmos, S);
    assert_true(f->irq8.level);
    assert_int_equal(rd(f, 0x0c), 0xd0); /* IRQF, UF, and PF at its own rate */
    assert_int_equal(cmos_advance(&f->cmos, S), 2 * S);
}

static void test_flags_rise_without_their_interrupt_enabled(void **state)
{
    struct cmos_fx *f = *state;
    f->clock.ns = 2 * S;
    assert_int_equal(rd(f, 0x0c), 0x50); /* PF and UF, no IRQF */
    assert_false(f->irq8.level);
    assert_int_equal(cmos_advance(&f->cmos, 2 * S), VTIME_NEVER);
}

static void test_nvram_keeps_bytes_and_nmi_bit_is_ignored(void **state)
{
    struct cmos_fx *f = *state;
    wr(f, 0x8f, 0xa5); /* bit 7: NMI mask */
    assert_int_equal(rd(f, 0x0f), 0xa5);
    wr(f, 0x7f, 0x5a);
    assert_int_equal(rd(f, 0xff), 0x5a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_power_on_date_reads_in_bcd, setup, teardown),
        cmocka_unit_test_setup_teardown(test_time_follows_virtual_seconds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_binary_mode_per_status_b, setup, teardown),
        cmocka_unit_test_setup_teardown(test_12_hour_mode_flags_pm_in_bit_7, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uip_is_set_in_the_last_244_us_of_a_second, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_bit_stops_the_clock_while_the_time_is_written, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_out_of_range_is_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_day_past_end_of_month_runs_into_the_next, setup, teardown),
        cmocka_unit_test_setup_teardown(test_periodic_interrupt_holds_irq8_until_c_is_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_interrupt_every_second, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flags_rise_without_their_interrupt_enabled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nvram_keeps_bytes_and_nmi_bit_is_ignored, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The 8254 PIT in virtual time: periods of modes 0, 2 and 3, IRQ 0 edges,
 * count and status latches, access modes, channel 2 behind port 0x61
 * (core/dev/pit8254.c).
 *
 * Times: a tick of the 1.193182 MHz clock lasts 838.1 ns; tick t begins at
 * ceil(t * 1e9 / 1193182) ns (so tick 1000 at 838096 ns). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>

#include "fixture.h"

struct pit_fx {
    struct bus bus;
    struct pit8254 pit;
    struct fx_clock clock;
    struct fx_irq irq0;
    unsigned kicks;
};

static int setup(void **state)
{
    struct pit_fx *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    bus_init(&f->bus);
    if (pit_register(&f->pit, &f->bus, fx_vclock(&f->clock), fx_irq_line(&f->irq0), fx_kick(&f->kicks))) {
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

static void out(struct pit_fx *f, uint16_t port, uint8_t v)
{
    bus_pio_write(&f->bus, port, 1, v);
}

static uint8_t in(struct pit_fx *f, uint16_t port)
{
    return (uint8_t)bus_pio_read(&f->bus, port, 1);
}

/* The first nanosecond of PIT tick t. */
static uint64_t at_tick(uint64_t t)
{
    return (t * 1000000000ull + 1193181) / 1193182;
}

/* Move the clock and let the PIT catch up; returns its next deadline. */
static uint64_t advance(struct pit_fx *f, uint64_t ns)
{
    f->clock.ns = ns;
    return pit_advance(&f->pit, ns);
}

/* Program channel `ch` in `mode` (low then high byte) with `count`. */
static void program(struct pit_fx *f, unsigned ch, unsigned mode, uint16_t count)
{
    out(f, 0x43, (uint8_t)(ch << 6 | 0x30 | mode << 1));
    out(f, (uint16_t)(0x40 + ch), (uint8_t)count);
    out(f, (uint16_t)(0x40 + ch), (uint8_t)(count >> 8));
}

static uint16_t read_count(struct pit_fx *f, unsigned ch)
{
    uint8_t lo = in(f, (uint16_t)(0x40 + ch));
    return (uint16_t)(lo | in(f, (uint16_t)(0x40 + ch)) << 8);
}

static uint8_t read_status(struct pit_fx *f, unsigned ch)
{
    out(f, 0x43, (uint8_t)(0xe0 | 2u << ch)); /* read-back: status only */
    return in(f, (uint16_t)(0x40 + ch));
}

static void test_mode2_raises_irq0_once_per_period_at_100_hz(void **state)
{
    struct pit_fx *f = *state;
    program(f, 0, 2, 11932); /* 1193182 / 100 */
    uint64_t d = advance(f, 0);
    f->irq0.rises = 0;              /* the control word raised OUT0 from idle */
    assert_int_equal(d, 9999313);   /* OUT0 falls at tick 11931 ... */
    d = advance(f, d);
    assert_false(f->irq0.level);
    assert_int_equal(d, 10000151);  /* ... and rises at tick 11932 */
    d = advance(f, d);
    assert_true(f->irq0.level);
    assert_int_equal(f->irq0.rises, 1);
    while (d <= at_tick(100 * 11932))
        d = advance(f, d);
    assert_int_equal(f->irq0.rises, 100);
}

static void test_mode2_counts_down_from_n_to_1(void **state)
{
    struct pit_fx *f = *state;
    program(f, 0, 2, 1000);
    f->clock.ns = at_tick(1);
    assert_int_equal(read_count(f, 0), 999);
    f->clock.ns = at_tick(999);
    assert_int_equal(read_count(f, 0), 1);
    f->clock.ns = at_tick(1000);
    assert_int_equal(read_count(f, 0), 1000);
}

static void test_mode3_square_wave_is_high_half_the_period(void **state)
{
    struct pit_fx *f = *state;
    program(f, 0, 3, 1000);
    uint64_t d = advance(f, 0);
    f->irq0.rises = 0;
    assert_true(f->irq0.level);
    assert_int_equal(d, at_tick(500));
    d = advance(f, d);
    assert_false(f->irq0.level);
    assert_int_equal(d, at_tick(1000));
    d = advance(f, d);
    assert_true(f->irq0.level);
    assert_int_equal(f->irq0.rises, 1);
    f->clock.ns = at_tick(1250);
    assert_int_equal(read_count(f, 0), 500); /* counts down by two */
}

static void test_mode0_one_shot_raises_irq0_once_then_keeps_counting(void **state)
{
    struct pit_fx *f = *state;
    program(f, 0, 0, 1000);
    uint64_t d = advance(f, 0);
    assert_false(f->irq0.level);
    assert_int_equal(read_status(f, 0) & 0x80, 0);
    assert_int_equal(d, at_tick(1000));
    d = advance(f, d);
    assert_true(f->irq0.level);
    assert_int_equal(f->irq0.rises, 1);
    assert_int_equal(d, VTIME_NEVER);
    f->clock.ns = at_tick(1005);
    assert_int_equal(read_count(f, 0), 0xfffb);
    advance(f, at_tick(70000));
    assert_int_equal(f->irq0.rises, 1);
}

static void test_mode0_control_word_drops_out0_at_once(void **state)
{
    struct pit_fx *f = *state;
    program(f, 0, 2, 100);
    advance(f, 0);
    assert_true(f->irq0.level);
    out(f, 0x43, 0x30);
    assert_false(f->irq0.level);
    assert_true(f->kicks > 0);
}

static void test_counter_latch_holds_the_count_until_read(void **state)
{
    struct pit_fx *f = *state;
    program(f, 0, 2, 1000);
    f->clock.ns = at_tick(100);
    out(f, 0x43, 0x00); /* latch channel 0 */
    f->clock.ns = at_tick(300);
    assert_int_equal(read_count(f, 0), 900);
    assert_int_equal(read_count(f, 0), 700);
}

static void test_second_latch_before_reading_is_ignored(void **state)
{
    struct pit_fx *f = *state;
    program(f, 0, 2, 1000);
    f->clock.ns = at_tick(100);
    out(f, 0x43, 0x00);
    f->clock.ns = at_tick(200);
    out(f, 0x43, 0x00);
    assert_int_equal(read_count(f, 0), 900);
}

static void test_lobyte_only_access_loads_and_reads_one_byte(void **state)
{
    struct pit_fx *f = *state;
    out(f, 0x43, 0x14); /* channel 0, low byte only, mode 2 */
    out(f, 0x40, 100);
    f->clock.ns = at_tick(10);
    assert_int_equal(in(f, 0x40), 90);
    assert_int_equal(in(f, 0x40), 90);
}

static void test_hibyte_only_access_loads_and_reads_one_byte(void **state)
{
    struct pit_fx *f = *state;
    out(f, 0x43, 0x24); /* channel 0, high byte only, mode 2 */
    out(f, 0x40, 0x02); /* count 0x200 */
    f->clock.ns = at_tick(1);
    assert_int_equal(in(f, 0x40), 0x01); /* 0x1ff */
    uint64_t d = advance(f, at_tick(1));
    assert_int_equal(d, at_tick(0x1ff));
}

static void test_readback_status_reports_mode_access_and_out(void **state)
{
    struct pit_fx *f = *state;
    out(f, 0x43, 0x36); /* channel 0, low/high, mode 3, binary */
    assert_int_equal(read_status(f, 0), 0xf6); /* OUT high, null count, RW 3, mode 3 */
    out(f, 0x40, 0x00);
    out(f, 0x40, 0x01);
    assert_int_equal(read_status(f, 0), 0xb6); /* OUT high, count loaded */
}

static void test_readback_latches_count_of_selected_channels(void **state)
{
    struct pit_fx *f = *state;
    program(f, 0, 2, 1000);
    program(f, 1, 2, 2000);
    f->clock.ns = at_tick(10);
    out(f, 0x43, 0xd6); /* read-back: counts of channels 0 and 1 */
    f->clock.ns = at_tick(500);
    assert_int_equal(read_count(f, 0), 990);
    assert_int_equal(read_count(f, 1), 1990);
}

static void test_new_count_in_mode2_takes_over_at_the_end_of_the_period(void **state)
{
    struct pit_fx *f = *state;
    program(f, 0, 2, 1000);
    uint64_t d = advance(f, at_tick(250));
    out(f, 0x40, 500 & 0xff); /* a new count, no control word */
    out(f, 0x40, 500 >> 8);
    f->clock.ns = at_tick(260);
    assert_int_equal(read_count(f, 0), 740);
    d = pit_advance(&f->pit, f->clock.ns);
    assert_int_equal(d, at_tick(999));
    unsigned rises = f->irq0.rises;
    while (d <= at_tick(2000))
        d = advance(f, d);
    assert_int_equal(f->irq0.rises - rises, 3); /* ticks 1000, 1500, 2000 */
}

static void test_bcd_count_counts_in_decimal(void **state)
{
    struct pit_fx *f = *state;
    out(f, 0x43, 0x35); /* channel 0, low/high, mode 2, BCD */
    out(f, 0x40, 0x00);
    out(f, 0x40, 0x10); /* 1000 */
    f->clock.ns = at_tick(1);
    assert_int_equal(read_count(f, 0), 0x0999);
    assert_int_equal(advance(f, at_tick(1)), at_tick(999));
}

/* Linux's TSC calibration: channel 2 in mode 0 with its gate opened
 * through port 0x61, polling OUT2 in bit 5. */
static void test_channel2_gate_and_out_through_port_61(void **state)
{
    struct pit_fx *f = *state;
    out(f, 0x61, 0x01);
    program(f, 2, 0, 1000);
    f->clock.ns = at_tick(999);
    assert_int_equal(in(f, 0x61) & 0x21, 0x01);
    f->clock.ns = at_tick(1000);
    assert_int_equal(in(f, 0x61) & 0x21, 0x21);
    assert_int_equal(f->irq0.rises, 0);
}

static void test_low_gate_pauses_channel2(void **state)
{
    struct pit_fx *f = *state;
    out(f, 0x61, 0x01);
    program(f, 2, 0, 1000);
    f->clock.ns = at_tick(400);
    out(f, 0x61, 0x00);
    f->clock.ns = at_tick(5000);
    assert_int_equal(read_count(f, 2), 600);
    assert_int_equal(in(f, 0x61) & 0x20, 0);
    out(f, 0x61, 0x01);
    f->clock.ns = at_tick(5599);
    assert_int_equal(in(f, 0x61) & 0x20, 0);
    f->clock.ns = at_tick(5600);
    assert_int_equal(in(f, 0x61) & 0x20, 0x20);
}

static void test_rising_gate_starts_mode1_one_shot(void **state)
{
    struct pit_fx *f = *state;
    program(f, 2, 1, 100);
    f->clock.ns = at_tick(50);
    assert_int_equal(in(f, 0x61) & 0x20, 0x20); /* waiting: OUT high */
    out(f, 0x61, 0x01);
    f->clock.ns = at_tick(149);
    assert_int_equal(in(f, 0x61) & 0x20, 0);
    f->clock.ns = at_tick(150);
    assert_int_equal(in(f, 0x61) & 0x20, 0x20);
}

static void test_refresh_bit_toggles_every_18_ticks(void **state)
{
    struct pit_fx *f = *state;
    uint8_t first = in(f, 0x61) & 0x10;
    f->clock.ns = at_tick(18);
    assert_int_not_equal(in(f, 0x61) & 0x10, first);
    f->clock.ns = at_tick(36);
    assert_int_equal(in(f, 0x61) & 0x10, first);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_mode2_raises_irq0_once_per_period_at_100_hz, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mode2_counts_down_from_n_to_1, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mode3_square_wave_is_high_half_the_period, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mode0_one_shot_raises_irq0_once_then_keeps_counting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mode0_control_word_drops_out0_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_counter_latch_holds_the_count_until_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_latch_before_reading_is_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lobyte_only_access_loads_and_reads_one_byte, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hibyte_only_access_loads_and_reads_one_byte, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readback_status_reports_mode_access_and_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readback_latches_count_of_selected_channels, setup, teardown),
        cmocka_unit_test_setup_teardown(test_new_count_in_mode2_takes_over_at_the_end_of_the_period, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bcd_count_counts_in_decimal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_channel2_gate_and_out_through_port_61, setup, teardown),
        cmocka_unit_test_setup_teardown(test_low_gate_pauses_channel2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rising_gate_starts_mode1_one_shot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refresh_bit_toggles_every_18_ticks, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

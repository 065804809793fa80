/* The 8259A pair: initialization, masks, priorities, EOI, the cascade,
 * spurious interrupts, poll and special mask modes (core/dev/pic8259.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>

#include "fixture.h"

struct pic_fx {
    struct bus bus;
    struct pic8259 pic;
    unsigned kicks;
};

static int setup(void **state)
{
    struct pic_fx *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    bus_init(&f->bus);
    if (pic_register(&f->pic, &f->bus, fx_kick(&f->kicks)) != 0) {
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

static void out(struct pic_fx *f, uint16_t port, uint8_t v)
{
    bus_pio_write(&f->bus, port, 1, v);
}

static uint8_t in(struct pic_fx *f, uint16_t port)
{
    return (uint8_t)bus_pio_read(&f->bus, port, 1);
}

/* ICW1 `icw1` (edge or level), master on 0x20-0x27 and slave on 0x28-0x2f
 * cascaded on IR2, ICW4 `icw4` on both. */
static void init_pair(struct pic_fx *f, uint8_t icw1, uint8_t icw4)
{
    out(f, 0x20, icw1);
    out(f, 0x21, 0x20);
    out(f, 0x21, 0x04);
    out(f, 0x21, icw4);
    out(f, 0xa0, icw1);
    out(f, 0xa1, 0x28);
    out(f, 0xa1, 0x02);
    out(f, 0xa1, icw4);
}

static void init_pc(struct pic_fx *f)
{
    init_pair(f, 0x11, 0x01);
}

static void pulse(struct pic_fx *f, unsigned irq)
{
    pic_set_irq(&f->pic, irq, true);
    pic_set_irq(&f->pic, irq, false);
}

static uint8_t read_isr(struct pic_fx *f, uint16_t cmd)
{
    out(f, cmd, 0x0b);
    return in(f, cmd);
}

static uint8_t read_irr(struct pic_fx *f, uint16_t cmd)
{
    out(f, cmd, 0x0a);
    return in(f, cmd);
}

static void test_icw_sequence_sets_vector_bases_and_clears_masks(void **state)
{
    struct pic_fx *f = *state;
    out(f, 0x21, 0xff);
    init_pc(f);
    assert_int_equal(in(f, 0x21), 0x00);
    assert_int_equal(in(f, 0xa1), 0x00);
    pic_set_irq(&f->pic, 1, true);
    assert_true(pic_output(&f->pic));
    assert_int_equal(pic_inta(&f->pic), 0x21);
    assert_false(pic_output(&f->pic));
}

static void test_masked_request_waits_in_irr_until_unmasked(void **state)
{
    struct pic_fx *f = *state;
    init_pc(f);
    out(f, 0x21, 0x02);
    pic_set_irq(&f->pic, 1, true);
    assert_false(pic_output(&f->pic));
    assert_int_equal(read_irr(f, 0x20), 0x02);
    unsigned kicks = f->kicks;
    out(f, 0x21, 0x00);
    assert_true(pic_output(&f->pic));
    assert_true(f->kicks > kicks);
    assert_int_equal(pic_inta(&f->pic), 0x21);
}

static void test_in_service_request_blocks_lower_priority_until_eoi(void **state)
{
    struct pic_fx *f = *state;
    init_pc(f);
    pic_set_irq(&f->pic, 3, true);
    assert_int_equal(pic_inta(&f->pic), 0x23);
    pic_set_irq(&f->pic, 5, true);
    assert_false(pic_output(&f->pic));
    assert_int_equal(read_isr(f, 0x20), 0x08);
    out(f, 0x20, 0x20); /* non-specific EOI */
    assert_int_equal(read_isr(f, 0x20), 0x00);
    assert_true(pic_output(&f->pic));
    assert_int_equal(pic_inta(&f->pic), 0x25);
}

static void test_higher_priority_request_nests_over_lower_in_service(void **state)
{
    struct pic_fx *f = *state;
    init_pc(f);
    pic_set_irq(&f->pic, 5, true);
    assert_int_equal(pic_inta(&f->pic), 0x25);
    pic_set_irq(&f->pic, 1, true);
    assert_true(pic_output(&f->pic));
    assert_int_equal(pic_inta(&f->pic), 0x21);
    assert_int_equal(read_isr(f, 0x20), 0x22);
    out(f, 0x20, 0x20); /* ends IRQ 1, the highest in service */
    assert_int_equal(read_isr(f, 0x20), 0x20);
}

static void test_specific_eoi_ends_the_named_level(void **state)
{
    struct pic_fx *f = *state;
    init_pc(f);
    pic_set_irq(&f->pic, 5, true);
    pic_inta(&f->pic);
    pic_set_irq(&f->pic, 1, true);
    pic_inta(&f->pic);
    out(f, 0x20, 0x65); /* specific EOI, level 5 */
    assert_int_equal(read_isr(f, 0x20), 0x02);
}

static void test_equal_priority_request_waits_for_eoi(void **state)
{
    struct pic_fx *f = *state;
    init_pc(f);
    pic_set_irq(&f->pic, 0, true);
    assert_int_equal(pic_inta(&f->pic), 0x20);
    pulse(f, 0);
    pic_set_irq(&f->pic, 0, true);
    assert_false(pic_output(&f->pic));
    out(f, 0x20, 0x20);
    assert_true(pic_output(&f->pic));
}

static void test_slave_request_arrives_through_cascade_input_2(void **state)
{
    struct pic_fx *f = *state;
    init_pc(f);
    pic_set_irq(&f->pic, 10, true);
    assert_true(pic_output(&f->pic));
    assert_int_equal(pic_inta(&f->pic), 0x2a);
    assert_int_equal(read_isr(f, 0x20), 0x04);
    assert_int_equal(read_isr(f, 0xa0), 0x04);
    out(f, 0xa0, 0x20);
    out(f, 0x20, 0x20);
    assert_int_equal(read_isr(f, 0x20), 0x00);
    assert_int_equal(read_isr(f, 0xa0), 0x00);
}

static void test_slave_line_masked_at_master_does_not_interrupt(void **state)
{
    struct pic_fx *f = *state;
    init_pc(f);
    out(f, 0x21, 0x04);
    pic_set_irq(&f->pic, 12, true);
    assert_false(pic_output(&f->pic));
    assert_int_equal(read_irr(f, 0xa0), 0x10);
    out(f, 0x21, 0x00);
    assert_int_equal(pic_inta(&f->pic), 0x2c);
}

static void test_higher_slave_request_waits_without_special_fully_nested_mode(void **state)
{
    struct pic_fx *f = *state;
    init_pc(f);
    pic_set_irq(&f->pic, 12, true);
    assert_int_equal(pic_inta(&f->pic), 0x2c);
    pic_set_irq(&f->pic, 9, true);
    assert_false(pic_output(&f->pic));
}

static void test_special_fully_nested_mode_lets_higher_slave_request_through(void **state)
{
    struct pic_fx *f = *state;
    init_pair(f, 0x11, 0x11);
    pic_set_irq(&f->pic, 12, true);
    assert_int_equal(pic_inta(&f->pic), 0x2c);
    pic_set_irq(&f->pic, 9, true);
    assert_true(pic_output(&f->pic));
    assert_int_equal(pic_inta(&f->pic), 0x29);
}

static void test_edge_triggered_line_held_high_interrupts_once(void **state)
{
    struct pic_fx *f = *state;
    init_pc(f);
    pic_set_irq(&f->pic, 1, true);
    assert_int_equal(pic_inta(&f->pic), 0x21);
    out(f, 0x20, 0x20);
    assert_false(pic_output(&f->pic));
    pic_set_irq(&f->pic, 1, false);
    pic_set_irq(&f->pic, 1, true);
    assert_true(pic_output(&f->pic));
}

static void test_level_triggered_line_interrupts_again_while_high(void **state)
{
    struct pic_fx *f = *state;
    init_pair(f, 0x19, 0x01);
    pic_set_irq(&f->pic, 1, true);
    assert_int_equal(pic_inta(&f->pic), 0x21);
    out(f, 0x20, 0x20);
    assert_true(pic_output(&f->pic));
}

static void test_request_withdrawn_before_inta_gives_spurious_irq7(void **state)
{
    struct pic_fx *f = *state;
    init_pair(f, 0x19, 0x01);
    pic_set_irq(&f->pic, 4, true);
    assert_true(pic_output(&f->pic));
    pic_set_irq(&f->pic, 4, false);
    assert_false(pic_output(&f->pic));
    assert_int_equal(pic_inta(&f->pic), 0x27);
    assert_int_equal(read_isr(f, 0x20), 0x00);
}

static void test_edge_request_withdrawn_when_line_falls_before_inta(void **state)
{
    struct pic_fx *f = *state;
    init_pc(f);
    pulse(f, 4);
    assert_false(pic_output(&f->pic));
    assert_int_equal(pic_inta(&f->pic), 0x27);
}

/* The master believes IR3 has a slave too, but IR3 is a plain device line:
 * the slave has nothing to give and answers with its IR7, IRQ 15. */
static void test_cascade_acknowledge_with_no_slave_request_gives_spurious_irq15(void **state)
{
    struct pic_fx *f = *state;
    init_pc(f);
    out(f, 0x20, 0x11);
    out(f, 0x21, 0x20);
    out(f, 0x21, 0x0c);
    out(f, 0x21, 0x01);
    pic_set_irq(&f->pic, 3, true);
    assert_int_equal(pic_inta(&f->pic), 0x2f);
    assert_int_equal(read_isr(f, 0x20), 0x08);
    assert_int_equal(read_isr(f, 0xa0), 0x00);
}

static void test_auto_eoi_leaves_nothing_in_service(void **state)
{
    struct pic_fx *f = *state;
    init_pair(f, 0x11, 0x03);
    pic_set_irq(&f->pic, 3, true);
    assert_int_equal(pic_inta(&f->pic), 0x23);
    assert_int_equal(read_isr(f, 0x20), 0x00);
    pic_set_irq(&f->pic, 5, true);
    assert_true(pic_output(&f->pic));
}

static void test_set_priority_command_rotates_priorities(void **state)
{
    struct pic_fx *f = *state;
    init_pc(f);
    out(f, 0x20, 0xc2); /* IR2 lowest: IR3 is now the highest */
    pic_set_irq(&f->pic, 0, true);
    pic_set_irq(&f->pic, 3, true);
    assert_int_equal(pic_inta(&f->pic), 0x23);
    assert_false(pic_output(&f->pic)); /* IR0 now ranks below IR3 in service */
}

static void test_rotate_on_eoi_makes_the_ended_level_lowest(void **state)
{
    struct pic_fx *f = *state;
    init_pc(f);
    pic_set_irq(&f->pic, 0, true);
    assert_int_equal(pic_inta(&f->pic), 0x20);
    out(f, 0x20, 0xa0); /* rotate on non-specific EOI: IR0 becomes lowest */
    pic_set_irq(&f->pic, 0, false);
    pic_set_irq(&f->pic, 0, true);
    pic_set_irq(&f->pic, 7, true);
    assert_int_equal(pic_inta(&f->pic), 0x27);
}

static void test_poll_command_acknowledges_the_highest_request(void **state)
{
    struct pic_fx *f = *state;
    init_pc(f);
    pic_set_irq(&f->pic, 6, true);
    out(f, 0x20, 0x0c);
    assert_int_equal(in(f, 0x20), 0x86);
    assert_int_equal(read_isr(f, 0x20), 0x40);
    out(f, 0x20, 0x0c);
    assert_int_equal(in(f, 0x20), 0x00);
}

static void test_special_mask_mode_lets_lower_priority_in(void **state)
{
    struct pic_fx *f = *state;
    init_pc(f);
    pic_set_irq(&f->pic, 1, true);
    assert_int_equal(pic_inta(&f->pic), 0x21);
    pic_set_irq(&f->pic, 5, true);
    assert_false(pic_output(&f->pic));
    out(f, 0x21, 0x02);
    out(f, 0x20, 0x68); /* OCW3: set special mask mode */
    assert_true(pic_output(&f->pic));
    assert_int_equal(pic_inta(&f->pic), 0x25);
}

static void test_line_can_interrupt_follows_masks_and_in_service(void **state)
{
    struct pic_fx *f = *state;
    init_pc(f);
    out(f, 0x21, 0x01);
    assert_false(pic_line_can_interrupt(&f->pic, 0));
    assert_true(pic_line_can_interrupt(&f->pic, 1));
    out(f, 0x21, 0x04);
    assert_false(pic_line_can_interrupt(&f->pic, 8));
    out(f, 0x21, 0x00);
    assert_true(pic_line_can_interrupt(&f->pic, 8));
    pic_set_irq(&f->pic, 0, true);
    pic_inta(&f->pic);
    assert_false(pic_line_can_interrupt(&f->pic, 1));
    assert_false(pic_output(&f->pic));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_icw_sequence_sets_vector_bases_and_clears_masks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_masked_request_waits_in_irr_until_unmasked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_in_service_request_blocks_lower_priority_until_eoi, setup, teardown),
        cmocka_unit_test_setup_teardown(test_higher_priority_request_nests_over_lower_in_service, setup, teardown),
        cmocka_unit_test_setup_teardown(test_specific_eoi_ends_the_named_level, setup, teardown),
        cmocka_unit_test_setup_teardown(test_equal_priority_request_waits_for_eoi, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slave_request_arrives_through_cascade_input_2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slave_line_masked_at_master_does_not_interrupt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_higher_slave_request_waits_without_special_fully_nested_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_special_fully_nested_mode_lets_higher_slave_request_through, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edge_triggered_line_held_high_interrupts_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_level_triggered_line_interrupts_again_while_high, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_withdrawn_before_inta_gives_spurious_irq7, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edge_request_withdrawn_when_line_falls_before_inta, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cascade_acknowledge_with_no_slave_request_gives_spurious_irq15, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auto_eoi_leaves_nothing_in_service, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_priority_command_rotates_priorities, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rotate_on_eoi_makes_the_ended_level_lowest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_poll_command_acknowledges_the_highest_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_special_mask_mode_lets_lower_priority_in, setup, teardown),
        cmocka_unit_test_setup_teardown(test_line_can_interrupt_follows_masks_and_in_service, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

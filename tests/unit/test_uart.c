/* The 16550 UART: polled output and input, the received-data and
 * transmitter-empty interrupts on IRQ 4 behind OUT2, IIR priorities,
 * loopback (core/dev/uart16550.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "fixture.h"

#define THR 0x3f8
#define RBR 0x3f8
#define IER 0x3f9
#define IIR 0x3fa
#define LCR 0x3fb
#define MCR 0x3fc
#define LSR 0x3fd
#define MSR 0x3fe

struct uart_fx {
    struct bus bus;
    struct uart16550 uart;
    struct fx_irq irq4;
    char sent[64];
    size_t nsent;
};

static void collect(void *ctx, uint8_t byte)
{
    struct uart_fx *f = ctx;
    if (f->nsent < sizeof(f->sent) - 1)
        f->sent[f->nsent++] = (char)byte;
}

static const uint8_t input[] = "hi!";

static int setup(void **state)
{
    struct uart_fx *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    bus_init(&f->bus);
    if (uart16550_register(&f->uart, &f->bus, UART_COM1, collect, f, input, 3, fx_irq_line(&f->irq4))) {
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

static void out(struct uart_fx *f, uint16_t port, uint8_t v)
{
    bus_pio_write(&f->bus, port, 1, v);
}

static uint8_t in(struct uart_fx *f, uint16_t port)
{
    return (uint8_t)bus_pio_read(&f->bus, port, 1);
}

static void test_transmitted_bytes_reach_the_output(void **state)
{
    struct uart_fx *f = *state;
    assert_int_equal(in(f, LSR) & 0x60, 0x60);
    out(f, THR, 'o');
    out(f, THR, 'k');
    assert_string_equal(f->sent, "ok");
    assert_int_equal(f->uart.tx_count, 2);
}

static void test_input_bytes_are_read_in_order_while_lsr_says_ready(void **state)
{
    struct uart_fx *f = *state;
    char got[4] = { 0 };
    for (unsigned k = 0; k < 3; k++) {
        assert_int_equal(in(f, LSR) & 0x01, 0x01);
        got[k] = (char)in(f, RBR);
    }
    assert_string_equal(got, "hi!");
    assert_int_equal(in(f, LSR) & 0x01, 0x00);
}

static void test_received_data_interrupt_raises_irq4_until_drained(void **state)
{
    struct uart_fx *f = *state;
    out(f, MCR, 0x08);
    assert_false(f->irq4.level);
    out(f, IER, 0x01);
    assert_true(f->irq4.level);
    assert_int_equal(in(f, IIR), 0x04);
    in(f, RBR);
    in(f, RBR);
    assert_true(f->irq4.level);
    in(f, RBR);
    assert_false(f->irq4.level);
    assert_int_equal(in(f, IIR), 0x01);
    assert_int_equal(f->irq4.rises, 1);
}

static void test_no_irq4_without_out2(void **state)
{
    struct uart_fx *f = *state;
    out(f, IER, 0x03);
    assert_int_equal(in(f, IIR), 0x04);
    assert_false(f->irq4.level);
    out(f, MCR, 0x08);
    assert_true(f->irq4.level);
}

static void test_enabling_thre_interrupt_raises_it_and_iir_read_clears_it(void **state)
{
    struct uart_fx *f = *state;
    uart16550_set_input(&f->uart, NULL, 0);
    out(f, MCR, 0x08);
    out(f, IER, 0x02);
    assert_true(f->irq4.level);
    assert_int_equal(in(f, IIR), 0x02);
    assert_false(f->irq4.level);
    assert_int_equal(in(f, IIR), 0x01);
}

static void test_each_thr_write_gives_a_new_thre_edge(void **state)
{
    struct uart_fx *f = *state;
    uart16550_set_input(&f->uart, NULL, 0);
    out(f, MCR, 0x08);
    out(f, IER, 0x02);
    in(f, IIR);
    unsigned rises = f->irq4.rises;
    out(f, THR, 'a');
    out(f, THR, 'b');
    assert_int_equal(f->irq4.rises, rises + 2);
    assert_true(f->irq4.level);
}

static void test_received_data_outranks_thre_in_iir(void **state)
{
    struct uart_fx *f = *state;
    out(f, IER, 0x03);
    assert_int_equal(in(f, IIR), 0x04);
    in(f, RBR);
    in(f, RBR);
    in(f, RBR);
    assert_int_equal(in(f, IIR), 0x02);
}

static void test_fifo_enable_shows_in_iir_top_bits(void **state)
{
    struct uart_fx *f = *state;
    out(f, IIR, 0x07); /* FCR: enable and reset the FIFOs */
    assert_int_equal(in(f, IIR), 0xc1);
    assert_int_equal(in(f, LSR) & 0x01, 0x01); /* the input is not discarded */
}

static void test_loopback_returns_sent_bytes_and_mirrors_modem_lines(void **state)
{
    struct uart_fx *f = *state;
    out(f, MCR, 0x1a); /* loop, OUT2, RTS */
    assert_int_equal(in(f, MSR) & 0xf0, 0x90);
    out(f, IER, 0x01);
    assert_false(f->irq4.level);
    assert_int_equal(in(f, LSR) & 0x01, 0x00); /* the outside input is cut off */
    out(f, THR, 0x5a);
    assert_int_equal(in(f, LSR) & 0x01, 0x01);
    assert_int_equal(in(f, RBR), 0x5a);
    assert_int_equal(f->nsent, 0);
    out(f, MCR, 0x08);
    assert_int_equal(in(f, MSR), 0xb0);
    assert_int_equal(in(f, RBR), 'h');
}

static void test_divisor_latch_and_scratch(void **state)
{
    struct uart_fx *f = *state;
    out(f, LCR, 0x83);
    out(f, THR, 0x01);
    out(f, IER, 0x00);
    assert_int_equal(in(f, THR), 0x01);
    assert_int_equal(in(f, IER), 0x00);
    out(f, LCR, 0x03);
    assert_int_equal(f->nsent, 0);
    out(f, 0x3ff, 0x77);
    assert_int_equal(in(f, 0x3ff), 0x77);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_transmitted_bytes_reach_the_output, setup, teardown),
        cmocka_unit_test_setup_teardown(test_input_bytes_are_read_in_order_while_lsr_says_ready, setup, teardown),
        cmocka_unit_test_setup_teardown(test_received_data_interrupt_raises_irq4_until_drained, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_irq4_without_out2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_enabling_thre_interrupt_raises_it_and_iir_read_clears_it, setup, teardown),
        cmocka_unit_test_setup_teardown(test_each_thr_write_gives_a_new_thre_edge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_received_data_outranks_thre_in_iir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fifo_enable_shows_in_iir_top_bits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loopback_returns_sent_bytes_and_mirrors_modem_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_divisor_latch_and_scratch, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

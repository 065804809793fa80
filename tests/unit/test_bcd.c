/* Decimal adjustments: DAA DAS AAA AAS AAM AAD (core/cpu/exec_bcd.c). */
#include "cpu_test.h"

/* ---- DAA DAS ------------------------------------------------------------ */

static void test_daa_adjusts_a_packed_bcd_sum(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0x79;
    RUN(0x04, 0x35, /* add al, 0x35: 0xae */
        0x27);      /* daa: 79 + 35 = 114 */
    assert_int_equal(fx.cpu.r[R_EAX], 0x14);
    assert_int_equal(arith(), CF | AF | PF);
}

static void test_daa_uses_af_from_the_addition(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0x19;
    RUN(0x04, 0x28, /* add al, 0x28: 0x41 with AF */
        0x27);      /* daa: 19 + 28 = 47 */
    assert_int_equal(fx.cpu.r[R_EAX], 0x47);
    assert_int_equal(arith(), AF | PF);
}

static void test_daa_of_a_valid_value_changes_nothing_but_flags(void **state)
{
    (void)state;
    set_flags(OF);
    fx.cpu.r[R_EAX] = 0x1200;
    RUN(0x27); /* daa */
    assert_int_equal(fx.cpu.r[R_EAX], 0x1200);
    assert_int_equal(arith(), ZF | PF); /* OF = 0 is vlab's choice */
}

static void test_das_adjusts_a_packed_bcd_difference(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0x35;
    RUN(0x2c, 0x47, /* sub al, 0x47: 0xee with CF and AF */
        0x2f);      /* das: 35 - 47 = -12 = 88 borrow 1 */
    assert_int_equal(fx.cpu.r[R_EAX], 0x88);
    assert_int_equal(arith(), CF | AF | SF | PF);
}

static void test_das_borrow_from_the_low_digit_sets_cf(void **state)
{
    (void)state;
    set_flags(AF);
    fx.cpu.r[R_EAX] = 0x03;
    RUN(0x2f); /* das */
    assert_int_equal(fx.cpu.r[R_EAX], 0xfd);
    assert_int_equal(arith(), CF | AF | SF);
}

/* ---- AAA AAS ------------------------------------------------------------ */

static void test_aaa_carries_into_ah(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0x0108;
    RUN(0x04, 0x05, /* add al, 5: 0x0d */
        0x37);      /* aaa: 18 + 5 = 23 */
    assert_int_equal(fx.cpu.r[R_EAX], 0x0203);
    assert_int_equal(arith() & (CF | AF), CF | AF);
}

static void test_aaa_adds_0x106_to_ax(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0x123401fb; /* AL + 6 carries into AH as well */
    RUN(0x37); /* aaa */
    assert_int_equal(fx.cpu.r[R_EAX], 0x12340301);
    assert_int_equal(arith() & (CF | AF), CF | AF);
}

static void test_aaa_without_adjustment_clears_the_high_digit(void **state)
{
    (void)state;
    set_flags(CF | ZF);
    fx.cpu.r[R_EAX] = 0x0135;
    RUN(0x37); /* aaa */
    assert_int_equal(fx.cpu.r[R_EAX], 0x0105);
    assert_int_equal(arith(), ZF); /* CF = AF = 0; ZF untouched */
}

static void test_aas_borrows_from_ah(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0x0203;
    RUN(0x2c, 0x05, /* sub al, 5: 0xfe with AF */
        0x3f);      /* aas: 23 - 5 = 18 */
    assert_int_equal(fx.cpu.r[R_EAX], 0x0108);
    assert_int_equal(arith() & (CF | AF), CF | AF);
}

static void test_aas_subtracts_0x106_from_ax(void **state)
{
    (void)state;
    set_flags(AF);
    fx.cpu.r[R_EAX] = 0x0103;
    RUN(0x3f); /* aas */
    assert_int_equal(fx.cpu.r[R_EAX], 0xff0d);
    fx.cpu.r[R_EAX] = 0x0208;
    set_flags(0);
    RUN(0x3f); /* aas: nothing to adjust */
    assert_int_equal(fx.cpu.r[R_EAX], 0x0208);
    assert_int_equal(arith() & (CF | AF), 0);
}

/* ---- AAM AAD ------------------------------------------------------------ */

static void test_aam_splits_al_into_digits(void **state)
{
    (void)state;
    set_flags(CF | OF | AF);
    fx.cpu.r[R_EAX] = 0xffff003f;
    RUN(0xd4, 0x0a); /* aam */
    assert_int_equal(fx.cpu.r[R_EAX], 0xffff0603);
    assert_int_equal(arith(), PF); /* CF = OF = AF = 0 is vlab's choice */
    fx.cpu.r[R_EAX] = 0xab;
    RUN(0xd4, 0x10); /* aam 16 */
    assert_int_equal(fx.cpu.r[R_EAX], 0x0a0b);
}

static void test_aam_of_zero_gives_zero_flags(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0x1200;
    RUN(0xd4, 0x0a); /* aam */
    assert_int_equal(fx.cpu.r[R_EAX], 0x0000);
    assert_int_equal(arith(), ZF | PF);
}

static void test_aam_base_zero_raises_de_at_the_aam(void **state)
{
    (void)state;
    set_flags(SF);
    fx.cpu.r[R_EAX] = 0x1234;
    static const uint8_t code[] = { 0xd4, 0x00 }; /* aam 0 */
    assert_int_equal(fx_run_code(&fx, code, sizeof code), CPU_EXIT_EXCEPTION);
    assert_int_equal(fx.cpu.exc.vector, VEC_DE);
    assert_int_equal(fx.cpu.eip, FX_CODE);
    assert_int_equal(fx.cpu.r[R_EAX], 0x1234);
    assert_int_equal(arith(), SF);
}

static void test_aad_joins_digits_into_al(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0x55550603;
    RUN(0xd5, 0x0a); /* aad */
    assert_int_equal(fx.cpu.r[R_EAX], 0x5555003f);
    assert_int_equal(arith(), PF);
    fx.cpu.r[R_EAX] = 0x0a0b;
    RUN(0xd5, 0x10); /* aad 16 */
    assert_int_equal(fx.cpu.r[R_EAX], 0x00ab);
    assert_int_equal(arith(), SF);
}

static void test_aad_keeps_only_the_low_byte(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0xffff; /* 255 + 255 * 10 = 0xaf5 */
    RUN(0xd5, 0x0a); /* aad */
    assert_int_equal(fx.cpu.r[R_EAX], 0x00f5);
    assert_int_equal(arith(), SF | PF);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_daa_adjusts_a_packed_bcd_sum),
        T(test_daa_uses_af_from_the_addition),
        T(test_daa_of_a_valid_value_changes_nothing_but_flags),
        T(test_das_adjusts_a_packed_bcd_difference),
        T(test_das_borrow_from_the_low_digit_sets_cf),
        T(test_aaa_carries_into_ah),
        T(test_aaa_adds_0x106_to_ax),
        T(test_aaa_without_adjustment_clears_the_high_digit),
        T(test_aas_borrows_from_ah),
        T(test_aas_subtracts_0x106_from_ax),
        T(test_aam_splits_al_into_digits),
        T(test_aam_of_zero_gives_zero_flags),
        T(test_aam_base_zero_raises_de_at_the_aam),
        T(test_aad_joins_digits_into_al),
        T(test_aad_keeps_only_the_low_byte),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

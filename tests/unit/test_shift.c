/* Shifts and rotates: group 2 (ROL ROR RCL RCR SHL SHR SAL SAR by 1, CL or
 * an immediate) and SHLD/SHRD (core/cpu/exec_shift.c). */
#include "cpu_test.h"

/* ---- SHL SAL ------------------------------------------------------------ */

static void test_shl_by_one_sets_cf_and_of_from_the_top_bits(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0x40000001;
    RUN(0xd1, 0xe0); /* shl eax, 1 */
    assert_int_equal(fx.cpu.r[R_EAX], 0x80000002);
    assert_int_equal(arith(), OF | SF);

    RUN(0xd1, 0xe0); /* shl eax, 1: the top bit goes to CF */
    assert_int_equal(fx.cpu.r[R_EAX], 4);
    assert_int_equal(arith(), CF | OF);
}

static void test_sal_is_shl(void **state)
{
    (void)state;
    fx.cpu.r[R_EDX] = 0x81;
    RUN(0xd0, 0xf2); /* sal dl, 1 (/6) */
    assert_int_equal(fx.cpu.r[R_EDX], 0x02);
    assert_int_equal(arith(), CF | OF);
}

static void test_shl_by_31_keeps_only_the_low_bit(void **state)
{
    (void)state;
    fx.cpu.r[R_EBX] = 0x00000003;
    RUN(0xc1, 0xe3, 0x1f); /* shl ebx, 31 */
    assert_int_equal(fx.cpu.r[R_EBX], 0x80000000);
    assert_int_equal(arith(), CF | SF | PF);
}

static void test_shift_count_is_masked_to_five_bits(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0x40000001;
    fx.cpu.r[R_ECX] = 33; /* acts as 1 */
    RUN(0xd3, 0xe0); /* shl eax, cl */
    assert_int_equal(fx.cpu.r[R_EAX], 0x80000002);
    assert_int_equal(arith(), OF | SF);
    assert_int_equal(fx.cpu.r[R_ECX], 33);
}

static void test_shift_count_zero_changes_no_flags(void **state)
{
    (void)state;
    set_flags(CF | OF | ZF | AF);
    fx.cpu.r[R_EAX] = 0x80000000;
    fx.cpu.r[R_ECX] = 32; /* masked to 0 */
    RUN(0xd3, 0xe0,        /* shl eax, cl */
        0xc1, 0xf8, 0x00,  /* sar eax, 0 */
        0xd3, 0xd0,        /* rcl eax, cl */
        0x0f, 0xa5, 0xc8); /* shld eax, ecx, cl */
    assert_int_equal(fx.cpu.r[R_EAX], 0x80000000);
    assert_int_equal(arith(), CF | OF | ZF | AF);
}

static void test_shift_count_zero_still_needs_a_writable_operand(void **state)
{
    (void)state;
    fx.cpu.seg[S_DS].ar &= ~0x2u; /* read-only data segment */
    seg_cache_update(&fx.cpu.seg[S_DS]);
    fx.cpu.r[R_EBX] = FX_DATA;
    fx.cpu.r[R_ECX] = 0;
    static const uint8_t code[] = { 0xd3, 0x23 }; /* shl dword [ebx], cl */
    assert_int_equal(fx_run_code(&fx, code, sizeof code), CPU_EXIT_EXCEPTION);
    assert_int_equal(fx.cpu.exc.vector, VEC_GP);
    assert_int_equal(fx.cpu.eip, FX_CODE);
}

static void test_shl_byte_past_its_width_gives_zero(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0x1234ffff;
    fx.cpu.r[R_ECX] = 8;
    RUN(0xd2, 0xe0); /* shl al, cl: CF = the old bit 0 */
    assert_int_equal(fx.cpu.r[R_EAX], 0x1234ff00);
    assert_int_equal(arith() & (CF | ZF | SF | PF), CF | ZF | PF);
    fx.cpu.r[R_EAX] = 0xff;
    fx.cpu.r[R_ECX] = 9;
    RUN(0xd2, 0xe0); /* shl al, cl: the SDM's loop leaves CF = 0 */
    assert_int_equal(fx.cpu.r[R_EAX], 0);
    assert_int_equal(arith() & (CF | ZF | SF | PF), ZF | PF);
}

static void test_shl_word_in_memory(void **state)
{
    (void)state;
    fx_write32(&fx, FX_DATA, 0x5555c001);
    fx.cpu.r[R_EBX] = FX_DATA;
    RUN(0x66, 0xc1, 0x23, 0x02); /* shl word [ebx], 2 */
    assert_int_equal(fx_read32(&fx, FX_DATA), 0x55550004);
    assert_int_equal(arith() & ~(OF | AF), CF);
}

/* ---- SHR SAR ------------------------------------------------------------ */

static void test_shr_by_one_sets_of_to_the_old_sign(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0x80000001;
    RUN(0xd1, 0xe8); /* shr eax, 1 */
    assert_int_equal(fx.cpu.r[R_EAX], 0x40000000);
    assert_int_equal(arith(), CF | OF | PF);
}

static void test_shr_fills_with_zeros(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0xffffffff;
    RUN(0xc1, 0xe8, 0x1f); /* shr eax, 31 */
    assert_int_equal(fx.cpu.r[R_EAX], 1);
    assert_int_equal(arith() & ~(OF | AF), CF);
    fx.cpu.r[R_EDX] = 0xabcd8000;
    RUN(0x66, 0xc1, 0xea, 0x10); /* shr dx, 16: CF = the old bit 15 */
    assert_int_equal(fx.cpu.r[R_EDX], 0xabcd0000);
    assert_int_equal(arith() & ~(OF | AF), CF | ZF | PF);
}

static void test_sar_fills_with_the_sign(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0x80000000;
    RUN(0xd1, 0xf8); /* sar eax, 1 */
    assert_int_equal(fx.cpu.r[R_EAX], 0xc0000000);
    assert_int_equal(arith(), SF | PF);
    fx.cpu.r[R_EAX] = 0xfffffff9; /* -7 */
    RUN(0xc1, 0xf8, 0x02); /* sar eax, 2: -2, rounding toward -inf */
    assert_int_equal(fx.cpu.r[R_EAX], 0xfffffffe);
    assert_int_equal(arith() & ~(OF | AF), SF);
}

static void test_sar_byte_past_its_width_gives_the_sign(void **state)
{
    (void)state;
    fx.cpu.r[R_EBX] = 0x00008000;
    fx.cpu.r[R_ECX] = 20;
    RUN(0xd2, 0xff); /* sar bh, cl */
    assert_int_equal(fx.cpu.r[R_EBX], 0x0000ff00);
    assert_int_equal(arith() & ~(OF | AF), CF | SF | PF);
}

/* ---- ROL ROR ------------------------------------------------------------ */

static void test_rol_sets_cf_to_the_bit_rotated_in(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0x80000001;
    RUN(0xd1, 0xc0); /* rol eax, 1 */
    assert_int_equal(fx.cpu.r[R_EAX], 0x00000003);
    assert_int_equal(arith(), CF | OF);
}

static void test_rotates_touch_only_cf_and_of(void **state)
{
    (void)state;
    set_flags(ZF | SF | PF | AF);
    fx.cpu.r[R_EAX] = 0x12345678;
    RUN(0xc1, 0xc8, 0x08); /* ror eax, 8 */
    assert_int_equal(fx.cpu.r[R_EAX], 0x78123456);
    assert_int_equal(arith() & ~OF, ZF | SF | PF | AF);
}

static void test_ror_by_one_sets_of_from_the_top_two_bits(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0x00000001;
    RUN(0xd1, 0xc8); /* ror eax, 1 */
    assert_int_equal(fx.cpu.r[R_EAX], 0x80000000);
    assert_int_equal(arith(), CF | OF);
}

static void test_rol_byte_by_its_width_keeps_the_value_and_sets_cf(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0x81;
    fx.cpu.r[R_ECX] = 8;
    RUN(0xd2, 0xc0); /* rol al, cl: count mod 8 = 0, but CF = LSB */
    assert_int_equal(fx.cpu.r[R_EAX], 0x81);
    assert_int_equal(arith() & CF, CF);
    fx.cpu.r[R_EAX] = 0x1234;
    fx.cpu.r[R_ECX] = 12;
    RUN(0x66, 0xd3, 0xc0); /* rol ax, cl */
    assert_int_equal(fx.cpu.r[R_EAX], 0x4123);
    assert_int_equal(arith() & CF, CF);
}

/* ---- RCL RCR ------------------------------------------------------------ */

static void test_rcl_rotates_through_carry(void **state)
{
    (void)state;
    set_flags(CF);
    fx.cpu.r[R_EAX] = 0x80000000;
    RUN(0xd1, 0xd0); /* rcl eax, 1 */
    assert_int_equal(fx.cpu.r[R_EAX], 0x00000001);
    assert_int_equal(arith(), CF | OF);
}

static void test_rcl_byte_by_nine_is_the_identity(void **state)
{
    (void)state;
    set_flags(CF);
    fx.cpu.r[R_EAX] = 0x5a;
    RUN(0xc0, 0xd0, 0x09); /* rcl al, 9 */
    assert_int_equal(fx.cpu.r[R_EAX], 0x5a);
    assert_int_equal(arith() & CF, CF);
    RUN(0xc0, 0xd0, 0x0a); /* rcl al, 10 = rcl al, 1 */
    assert_int_equal(fx.cpu.r[R_EAX], 0xb5);
    assert_int_equal(arith() & CF, 0);
}

static void test_rcr_word_counts_modulo_seventeen(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0x0001;
    RUN(0x66, 0xc1, 0xd8, 0x11); /* rcr ax, 17: back where it started */
    assert_int_equal(fx.cpu.r[R_EAX], 0x0001);
    assert_int_equal(arith() & CF, 0);
    RUN(0x66, 0xc1, 0xd8, 0x12); /* rcr ax, 18 = rcr ax, 1 */
    assert_int_equal(fx.cpu.r[R_EAX], 0x0000);
    assert_int_equal(arith() & CF, CF);
    RUN(0x66, 0xd1, 0xd8); /* rcr ax, 1: CF comes in at the top */
    assert_int_equal(fx.cpu.r[R_EAX], 0x8000);
    assert_int_equal(arith(), OF);
}

static void test_rcr_by_one_sets_of_from_the_old_value(void **state)
{
    (void)state;
    set_flags(CF);
    fx.cpu.r[R_EDX] = 0x00000002;
    RUN(0xd1, 0xda); /* rcr edx, 1: OF = old MSB ^ old CF = 1 */
    assert_int_equal(fx.cpu.r[R_EDX], 0x80000001);
    assert_int_equal(arith(), OF);
}

static void test_rcl_dword_by_31(void **state)
{
    (void)state;
    set_flags(CF);
    fx.cpu.r[R_EAX] = 0x00000006;
    RUN(0xc1, 0xd0, 0x1f); /* rcl eax, 31: the 33-bit CF:EAX rotated */
    assert_int_equal(fx.cpu.r[R_EAX], 0x40000001);
    assert_int_equal(arith() & CF, CF);
}

/* ---- SHLD SHRD ---------------------------------------------------------- */

static void test_shld_fills_from_the_source(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0x12345678;
    fx.cpu.r[R_EBX] = 0x9abcdef0;
    RUN(0x0f, 0xa4, 0xd8, 0x08); /* shld eax, ebx, 8 */
    assert_int_equal(fx.cpu.r[R_EAX], 0x3456789a);
    assert_int_equal(fx.cpu.r[R_EBX], 0x9abcdef0);
    assert_int_equal(arith() & ~(OF | AF), PF);
}

static void test_shrd_fills_from_the_source(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0x12345678;
    fx.cpu.r[R_EBX] = 0x9abcdef1;
    fx.cpu.r[R_ECX] = 1;
    RUN(0x0f, 0xad, 0xd8); /* shrd eax, ebx, cl */
    assert_int_equal(fx.cpu.r[R_EAX], 0x891a2b3c);
    assert_int_equal(arith(), OF | SF | PF);
}

static void test_shld_cf_is_the_last_bit_out(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0x08000000;
    fx.cpu.r[R_EDX] = 0;
    RUN(0x0f, 0xa4, 0xd0, 0x05); /* shld eax, edx, 5 */
    assert_int_equal(fx.cpu.r[R_EAX], 0);
    assert_int_equal(arith() & ~(OF | AF), CF | ZF | PF);
}

static void test_shld_memory_destination(void **state)
{
    (void)state;
    fx_write32(&fx, FX_DATA, 0x0000ffff);
    fx.cpu.r[R_EBX] = FX_DATA;
    fx.cpu.r[R_EDX] = 0xf0000000;
    fx.cpu.r[R_ECX] = 4;
    RUN(0x0f, 0xa5, 0x13); /* shld [ebx], edx, cl */
    assert_int_equal(fx_read32(&fx, FX_DATA), 0x000fffff);
}

static void test_shld_word_by_more_than_16_keeps_shifting_in_the_source(void **state)
{
    (void)state;
    /* Undefined in the SDM; vlab shifts dst:src:src as AMD processors do. */
    fx.cpu.r[R_EAX] = 0xabcd;
    fx.cpu.r[R_EBX] = 0xef01;
    fx.cpu.r[R_ECX] = 18;
    RUN(0x66, 0x0f, 0xa5, 0xd8); /* shld ax, bx, cl */
    assert_int_equal(fx.cpu.r[R_EAX], 0xbc07);
    fx.cpu.r[R_EAX] = 0xabcd;
    RUN(0x66, 0x0f, 0xad, 0xd8); /* shrd ax, bx, cl: src:src:dst */
    assert_int_equal(fx.cpu.r[R_EAX], 0x7bc0);
}

static void test_shrd_word_by_16_moves_the_source_in(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0x11118000;
    fx.cpu.r[R_EDX] = 0x2222abcd;
    RUN(0x66, 0x0f, 0xac, 0xd0, 0x10); /* shrd ax, dx, 16 */
    assert_int_equal(fx.cpu.r[R_EAX], 0x1111abcd);
    assert_int_equal(arith() & ~(OF | AF), CF | SF);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_shl_by_one_sets_cf_and_of_from_the_top_bits),
        T(test_sal_is_shl),
        T(test_shl_by_31_keeps_only_the_low_bit),
        T(test_shift_count_is_masked_to_five_bits),
        T(test_shift_count_zero_changes_no_flags),
        T(test_shift_count_zero_still_needs_a_writable_operand),
        T(test_shl_byte_past_its_width_gives_zero),
        T(test_shl_word_in_memory),
        T(test_shr_by_one_sets_of_to_the_old_sign),
        T(test_shr_fills_with_zeros),
        T(test_sar_fills_with_the_sign),
        T(test_sar_byte_past_its_width_gives_the_sign),
        T(test_rol_sets_cf_to_the_bit_rotated_in),
        T(test_rotates_touch_only_cf_and_of),
        T(test_ror_by_one_sets_of_from_the_top_two_bits),
        T(test_rol_byte_by_its_width_keeps_the_value_and_sets_cf),
        T(test_rcl_rotates_through_carry),
        T(test_rcl_byte_by_nine_is_the_identity),
        T(test_rcr_word_counts_modulo_seventeen),
        T(test_rcr_by_one_sets_of_from_the_old_value),
        T(test_rcl_dword_by_31),
        T(test_shld_fills_from_the_source),
        T(test_shrd_fills_from_the_source),
        T(test_shld_cf_is_the_last_bit_out),
        T(test_shld_memory_destination),
        T(test_shld_word_by_more_than_16_keeps_shifting_in_the_source),
        T(test_shrd_word_by_16_moves_the_source_in),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

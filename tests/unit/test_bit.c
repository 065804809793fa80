/* Bit instructions: BT BTS BTR BTC (register, immediate and bit-string
 * forms), BSF BSR, SETcc, CMOVcc, BSWAP (core/cpu/exec_bit.c). */
#include "cpu_test.h"

/* ---- BT BTS BTR BTC ----------------------------------------------------- */

static void test_bt_register_offset_is_taken_modulo_the_width(void **state)
{
    (void)state;
    set_flags(ZF | SF);
    fx.cpu.r[R_EAX] = 0x00000002;
    fx.cpu.r[R_ECX] = 33;
    RUN(0x0f, 0xa3, 0xc8); /* bt eax, ecx: bit 1 */
    assert_int_equal(arith(), CF | ZF | SF); /* ZF and the rest untouched */
    fx.cpu.r[R_ECX] = 0x12; /* bit 2 of AX */
    RUN(0x66, 0x0f, 0xa3, 0xc8); /* bt ax, cx */
    assert_int_equal(arith(), ZF | SF);
    assert_int_equal(fx.cpu.r[R_EAX], 2);
}

static void test_bts_btr_btc_update_the_bit_and_report_its_old_value(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0;
    fx.cpu.r[R_ECX] = 31;
    RUN(0x0f, 0xab, 0xc8); /* bts eax, ecx */
    assert_int_equal(fx.cpu.r[R_EAX], 0x80000000);
    assert_int_equal(arith() & CF, 0);
    RUN(0x0f, 0xbb, 0xc8); /* btc eax, ecx */
    assert_int_equal(fx.cpu.r[R_EAX], 0);
    assert_int_equal(arith() & CF, CF);
    RUN(0x0f, 0xbb, 0xc8); /* btc eax, ecx */
    assert_int_equal(fx.cpu.r[R_EAX], 0x80000000);
    assert_int_equal(arith() & CF, 0);
    RUN(0x0f, 0xb3, 0xc8); /* btr eax, ecx */
    assert_int_equal(fx.cpu.r[R_EAX], 0);
    assert_int_equal(arith() & CF, CF);
}

static void test_bt_immediate_offset_is_taken_modulo_the_width_in_memory_too(void **state)
{
    (void)state;
    fx_write32(&fx, FX_DATA, 0x00000002);
    fx_write32(&fx, FX_DATA + 4, 0xffffffff);
    fx.cpu.r[R_EBX] = FX_DATA;
    RUN(0x0f, 0xba, 0x23, 0x21); /* bt dword [ebx], 33: bit 1 of [ebx] */
    assert_int_equal(arith() & CF, CF);
    RUN(0x0f, 0xba, 0x2b, 0x20); /* bts dword [ebx], 32: bit 0 */
    assert_int_equal(fx_read32(&fx, FX_DATA), 3);
    assert_int_equal(fx_read32(&fx, FX_DATA + 4), 0xffffffff);
    assert_int_equal(arith() & CF, 0);
    RUN(0x66, 0x0f, 0xba, 0x3b, 0x11); /* btc word [ebx], 17: bit 1 */
    assert_int_equal(fx_read32(&fx, FX_DATA), 1);
    assert_int_equal(arith() & CF, CF);
}

static void test_bt_memory_register_offset_reaches_past_the_operand(void **state)
{
    (void)state;
    fx_write32(&fx, FX_DATA + 12, 0x00000010);
    fx.cpu.r[R_EBX] = FX_DATA;
    fx.cpu.r[R_ECX] = 100; /* dword 3, bit 4 */
    RUN(0x0f, 0xa3, 0x0b); /* bt [ebx], ecx */
    assert_int_equal(arith() & CF, CF);
    RUN(0x0f, 0xb3, 0x0b); /* btr [ebx], ecx */
    assert_int_equal(fx_read32(&fx, FX_DATA + 12), 0);
    assert_int_equal(fx_read32(&fx, FX_DATA), 0);
}

static void test_bt_memory_negative_offset_addresses_below(void **state)
{
    (void)state;
    fx.cpu.r[R_EBX] = FX_DATA + 8;
    fx.cpu.r[R_ECX] = (uint32_t)-1; /* bit 31 of the dword at EBX - 4 */
    RUN(0x0f, 0xab, 0x0b); /* bts [ebx], ecx */
    assert_int_equal(fx_read32(&fx, FX_DATA + 4), 0x80000000);
    assert_int_equal(fx_read32(&fx, FX_DATA + 8), 0);
    fx.cpu.r[R_ECX] = (uint32_t)-64; /* bit 0 of the dword at EBX - 8 */
    RUN(0x0f, 0xab, 0x0b);
    assert_int_equal(fx_read32(&fx, FX_DATA), 1);
}

static void test_bt_memory_word_offset_is_signed_16_bits(void **state)
{
    (void)state;
    fx.cpu.r[R_EBX] = FX_DATA + 0x10;
    fx.cpu.r[R_ECX] = 0x1234fff0; /* CX = -16: the word at EBX - 2, bit 0 */
    RUN(0x66, 0x0f, 0xab, 0x0b); /* bts word [ebx], cx */
    assert_int_equal(fx_read32(&fx, FX_DATA + 0xc), 0x00010000);
    fx.cpu.r[R_ECX] = 0x0000001f; /* word 1, bit 15 */
    RUN(0x66, 0x0f, 0xab, 0x0b);
    assert_int_equal(fx_read32(&fx, FX_DATA + 0x10), 0x80000000);
}

/* ---- BSF BSR ------------------------------------------------------------ */

static void test_bsf_and_bsr_find_the_lowest_and_highest_set_bit(void **state)
{
    (void)state;
    set_flags(ZF | CF);
    fx.cpu.r[R_ECX] = 0x00f00100;
    RUN(0x0f, 0xbc, 0xc1); /* bsf eax, ecx */
    assert_int_equal(fx.cpu.r[R_EAX], 8);
    assert_int_equal(arith(), CF); /* ZF cleared, the rest untouched */
    RUN(0x0f, 0xbd, 0xd1); /* bsr edx, ecx */
    assert_int_equal(fx.cpu.r[R_EDX], 23);
    fx.cpu.r[R_ECX] = 0x80000001;
    RUN(0x0f, 0xbd, 0xd1);
    assert_int_equal(fx.cpu.r[R_EDX], 31);
    RUN(0x0f, 0xbc, 0xc1);
    assert_int_equal(fx.cpu.r[R_EAX], 0);
}

static void test_bsf_of_zero_sets_zf_and_leaves_the_destination(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0x12345678;
    fx.cpu.r[R_ECX] = 0;
    RUN(0x0f, 0xbc, 0xc1); /* bsf eax, ecx */
    assert_int_equal(fx.cpu.r[R_EAX], 0x12345678);
    assert_int_equal(arith() & ZF, ZF);
    RUN(0x66, 0x0f, 0xbd, 0xc1); /* bsr ax, cx */
    assert_int_equal(fx.cpu.r[R_EAX], 0x12345678);
    assert_int_equal(arith() & ZF, ZF);
}

static void test_bsr_word_from_memory(void **state)
{
    (void)state;
    fx_write32(&fx, FX_DATA, 0xffff0300);
    fx.cpu.r[R_EBX] = FX_DATA;
    fx.cpu.r[R_EAX] = 0xaaaaaaaa;
    RUN(0x66, 0x0f, 0xbd, 0x03); /* bsr ax, [ebx] */
    assert_int_equal(fx.cpu.r[R_EAX], 0xaaaa0009);
    assert_int_equal(arith() & ZF, 0);
}

/* ---- SETcc -------------------------------------------------------------- */

/* After `cmp eax, ebx` with these values, which of the 16 conditions hold. */
struct cc_case {
    uint32_t a, b;
    uint16_t holds; /* bit cc set when condition cc is true */
};

static void test_setcc_evaluates_every_condition(void **state)
{
    (void)state;
    static const struct cc_case cases[] = {
        /* equal: AE, E, BE, NS, P (0 has even parity), NO, GE, LE */
        { 5, 5, 1u << CC_NO | 1u << CC_AE | 1u << CC_E | 1u << CC_BE | 1u << CC_NS |
                    1u << CC_P | 1u << CC_GE | 1u << CC_LE },
        /* 1 - 2: borrow, negative, no overflow; 0xff has even parity */
        { 1, 2, 1u << CC_NO | 1u << CC_B | 1u << CC_NE | 1u << CC_BE | 1u << CC_S |
                    1u << CC_P | 1u << CC_L | 1u << CC_LE },
        /* INT_MIN - 1: overflow, positive result 0x7fffffff */
        { 0x80000000, 1, 1u << CC_O | 1u << CC_AE | 1u << CC_NE | 1u << CC_A |
                             1u << CC_NS | 1u << CC_P | 1u << CC_L | 1u << CC_LE },
        /* 0x40 - 1 = 0x3f: no flag but the parity of 6 bits */
        { 0x40, 1, 1u << CC_NO | 1u << CC_AE | 1u << CC_NE | 1u << CC_A | 1u << CC_NS |
                       1u << CC_P | 1u << CC_GE | 1u << CC_G },
        /* 0x41 - 0x40 = 1: odd parity */
        { 0x41, 0x40, 1u << CC_NO | 1u << CC_AE | 1u << CC_NE | 1u << CC_A | 1u << CC_NS |
                          1u << CC_NP | 1u << CC_GE | 1u << CC_G },
    };
    for (size_t k = 0; k < VLAB_ARRAY_SIZE(cases); k++) {
        for (unsigned cc = 0; cc < 16; cc++) {
            uint8_t code[] = { 0x39, 0xd8,                     /* cmp eax, ebx */
                               0x0f, (uint8_t)(0x90 + cc), 0xc1 }; /* setcc cl */
            fx.cpu.r[R_EAX] = cases[k].a;
            fx.cpu.r[R_EBX] = cases[k].b;
            fx.cpu.r[R_ECX] = 0xaaaaaaaa;
            assert_int_equal(fx_run_code(&fx, code, sizeof code), CPU_EXIT_BUDGET);
            assert_int_equal(fx.cpu.r[R_ECX], 0xaaaaaa00u | ((cases[k].holds >> cc) & 1));
        }
    }
}

static void test_setcc_to_memory_and_high_byte(void **state)
{
    (void)state;
    set_flags(CF);
    fx_write32(&fx, FX_DATA + 0x100, 0xffffffff);
    fx.cpu.r[R_EBX] = FX_DATA + 0x100;
    RUN(0x0f, 0x92, 0x03,  /* setb [ebx] */
        0x0f, 0x93, 0xc7); /* setae bh */
    assert_int_equal(fx_read32(&fx, FX_DATA + 0x100), 0xffffff01);
    assert_int_equal(fx.cpu.r[R_EBX], FX_DATA);
    assert_int_equal(arith(), CF);
}

/* ---- CMOVcc ------------------------------------------------------------- */

static void test_cmov_moves_only_when_the_condition_holds(void **state)
{
    (void)state;
    set_flags(ZF);
    fx.cpu.r[R_EAX] = 1;
    fx.cpu.r[R_ECX] = 2;
    RUN(0x0f, 0x45, 0xc1); /* cmovne eax, ecx */
    assert_int_equal(fx.cpu.r[R_EAX], 1);
    RUN(0x0f, 0x44, 0xc1); /* cmove eax, ecx */
    assert_int_equal(fx.cpu.r[R_EAX], 2);
    fx.cpu.r[R_EDX] = 0xaaaa0000;
    RUN(0x66, 0x0f, 0x44, 0xd1); /* cmove dx, cx */
    assert_int_equal(fx.cpu.r[R_EDX], 0xaaaa0002);
    assert_int_equal(arith(), ZF);
}

static void test_cmov_reads_memory_even_when_false(void **state)
{
    (void)state;
    fx.cpu.seg[S_DS].limit = 0xfff; /* FX_DATA is past the limit */
    seg_cache_update(&fx.cpu.seg[S_DS]);
    fx.cpu.r[R_EBX] = FX_DATA;
    fx.cpu.r[R_EAX] = 7;
    static const uint8_t code[] = { 0x0f, 0x44, 0x03 }; /* cmove eax, [ebx] with ZF = 0 */
    assert_int_equal(fx_run_code(&fx, code, sizeof code), CPU_EXIT_EXCEPTION);
    assert_int_equal(fx.cpu.exc.vector, VEC_GP);
    assert_int_equal(fx.cpu.exc.error, 0);
    assert_int_equal(fx.cpu.eip, FX_CODE);
    assert_int_equal(fx.cpu.r[R_EAX], 7);
}

/* ---- BSWAP -------------------------------------------------------------- */

static void test_bswap_reverses_the_bytes(void **state)
{
    (void)state;
    fx.cpu.r[R_ESI] = 0x12345678;
    RUN(0x0f, 0xce); /* bswap esi */
    assert_int_equal(fx.cpu.r[R_ESI], 0x78563412);
}

static void test_bswap_word_clears_the_low_word(void **state)
{
    (void)state;
    /* Undefined in the SDM; Intel and AMD processors give 0. */
    fx.cpu.r[R_EAX] = 0x12345678;
    RUN(0x66, 0x0f, 0xc8); /* bswap ax */
    assert_int_equal(fx.cpu.r[R_EAX], 0x12340000);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_bt_register_offset_is_taken_modulo_the_width),
        T(test_bts_btr_btc_update_the_bit_and_report_its_old_value),
        T(test_bt_immediate_offset_is_taken_modulo_the_width_in_memory_too),
        T(test_bt_memory_register_offset_reaches_past_the_operand),
        T(test_bt_memory_negative_offset_addresses_below),
        T(test_bt_memory_word_offset_is_signed_16_bits),
        T(test_bsf_and_bsr_find_the_lowest_and_highest_set_bit),
        T(test_bsf_of_zero_sets_zf_and_leaves_the_destination),
        T(test_bsr_word_from_memory),
        T(test_setcc_evaluates_every_condition),
        T(test_setcc_to_memory_and_high_byte),
        T(test_cmov_moves_only_when_the_condition_holds),
        T(test_cmov_reads_memory_even_when_false),
        T(test_bswap_reverses_the_bytes),
        T(test_bswap_word_clears_the_low_word),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

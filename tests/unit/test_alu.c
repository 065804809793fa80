/* Integer arithmetic and logic: ADD OR ADC SBB AND SUB XOR CMP in every
 * operand form, TEST, INC, DEC, NEG, NOT (core/cpu/exec_alu.c). */
#include "cpu_test.h"

/* Make DS a read-only data segment, so writes through it raise #GP(0). */
static void make_ds_read_only(void)
{
    fx.cpu.seg[S_DS].ar &= ~0x2u;
    seg_cache_update(&fx.cpu.seg[S_DS]);
}

/* ---- ADD ADC ------------------------------------------------------------ */

static void test_add_wrapping_to_zero_sets_cf_zf_af_pf(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0xffffffff;
    fx.cpu.r[R_EBX] = 1;
    RUN(0x01, 0xd8); /* add eax, ebx */
    assert_int_equal(fx.cpu.r[R_EAX], 0);
    assert_int_equal(arith(), CF | ZF | AF | PF);
}

static void test_add_past_int_max_sets_of_and_sf(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0x7fffffff;
    RUN(0x83, 0xc0, 0x01); /* add eax, 1 */
    assert_int_equal(fx.cpu.r[R_EAX], 0x80000000);
    assert_int_equal(arith(), OF | SF | AF | PF);
}

static void test_add_byte_registers_leave_the_rest_of_the_register(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0x12348001;
    fx.cpu.r[R_EBX] = 0x0000ff00;
    RUN(0x00, 0xfc); /* add ah, bh */
    assert_int_equal(fx.cpu.r[R_EAX], 0x12347f01);
    assert_int_equal(arith(), CF | OF);
}

static void test_add_word_operand_keeps_the_upper_half(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0xabcd0001;
    RUN(0x66, 0x05, 0xff, 0xff); /* add ax, 0xffff */
    assert_int_equal(fx.cpu.r[R_EAX], 0xabcd0000);
    assert_int_equal(arith(), CF | ZF | AF | PF);
}

static void test_add_imm8_is_sign_extended(void **state)
{
    (void)state;
    fx.cpu.r[R_ECX] = 5;
    RUN(0x83, 0xc1, 0xff); /* add ecx, -1 */
    assert_int_equal(fx.cpu.r[R_ECX], 4);
    assert_int_equal(arith(), CF | AF);
}

static void test_add_to_memory_reads_and_writes_it(void **state)
{
    (void)state;
    fx_write32(&fx, FX_DATA, 0x80000000);
    fx.cpu.r[R_EBX] = FX_DATA;
    fx.cpu.r[R_ECX] = 0x80000000;
    RUN(0x01, 0x0b); /* add [ebx], ecx */
    assert_int_equal(fx_read32(&fx, FX_DATA), 0);
    assert_int_equal(arith(), CF | OF | ZF | PF);
}

static void test_add_register_from_memory(void **state)
{
    (void)state;
    fx_write32(&fx, FX_DATA + 8, 0x01020304);
    fx.cpu.r[R_EBX] = FX_DATA;
    fx.cpu.r[R_EDX] = 0x10;
    RUN(0x02, 0x53, 0x08); /* add dl, [ebx+8] */
    assert_int_equal(fx.cpu.r[R_EDX], 0x14);
    assert_int_equal(arith(), PF);
}

static void test_adc_carries_in_and_out(void **state)
{
    (void)state;
    set_flags(CF);
    fx.cpu.r[R_EAX] = 0xff;
    RUN(0x14, 0x00); /* adc al, 0 */
    assert_int_equal(fx.cpu.r[R_EAX], 0);
    assert_int_equal(arith(), CF | ZF | AF | PF);

    /* 0 + 0xffffffff + carry = 2^32: carry out, no overflow. */
    fx.cpu.r[R_EBX] = 0xffffffff;
    RUN(0x11, 0xd8); /* adc eax, ebx */
    assert_int_equal(fx.cpu.r[R_EAX], 0);
    assert_int_equal(arith(), CF | ZF | AF | PF);
}

static void test_adc_carry_in_can_cause_signed_overflow(void **state)
{
    (void)state;
    set_flags(CF);
    fx.cpu.r[R_EAX] = 0x7ffffffe;
    fx.cpu.r[R_EBX] = 1;
    RUN(0x11, 0xd8); /* adc eax, ebx */
    assert_int_equal(fx.cpu.r[R_EAX], 0x80000000);
    assert_int_equal(arith(), OF | SF | AF | PF);
}

static void test_adc_after_add_chains_a_64_bit_sum(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0xffffffff; /* low halves */
    fx.cpu.r[R_EBX] = 0x00000001;
    fx.cpu.r[R_EDX] = 0x00000001; /* high halves */
    fx.cpu.r[R_ECX] = 0x00000002;
    RUN(0x01, 0xd8,  /* add eax, ebx */
        0x11, 0xca); /* adc edx, ecx */
    assert_int_equal(fx.cpu.r[R_EAX], 0);
    assert_int_equal(fx.cpu.r[R_EDX], 4);
    assert_int_equal(arith(), 0);
}

/* ---- SUB SBB CMP -------------------------------------------------------- */

static void test_sub_equal_values_sets_zf_only(void **state)
{
    (void)state;
    set_flags(CF | OF | SF);
    fx.cpu.r[R_EAX] = 0x12345678;
    fx.cpu.r[R_EBX] = 0x12345678;
    RUN(0x29, 0xd8); /* sub eax, ebx */
    assert_int_equal(fx.cpu.r[R_EAX], 0);
    assert_int_equal(arith(), ZF | PF);
}

static void test_sub_borrow_sets_cf_and_af(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0;
    RUN(0x2c, 0x01); /* sub al, 1 */
    assert_int_equal(fx.cpu.r[R_EAX], 0xff);
    assert_int_equal(arith(), CF | AF | SF | PF);
}

static void test_sbb_borrows_in_and_out(void **state)
{
    (void)state;
    set_flags(CF);
    fx.cpu.r[R_EAX] = 0;
    fx.cpu.r[R_EBX] = 0;
    RUN(0x19, 0xd8); /* sbb eax, ebx */
    assert_int_equal(fx.cpu.r[R_EAX], 0xffffffff);
    assert_int_equal(arith(), CF | AF | SF | PF);

    /* 5 - 0xffffffff - 1 = 5 (mod 2^32), with a borrow. */
    fx.cpu.r[R_EAX] = 5;
    fx.cpu.r[R_EBX] = 0xffffffff;
    RUN(0x19, 0xd8);
    assert_int_equal(fx.cpu.r[R_EAX], 5);
    assert_int_equal(arith(), CF | AF | PF);
}

static void test_sbb_without_carry_is_sub(void **state)
{
    (void)state;
    fx.cpu.r[R_ECX] = 0x8000;
    RUN(0x66, 0x83, 0xd9, 0x01); /* sbb cx, 1 */
    assert_int_equal(fx.cpu.r[R_ECX], 0x7fff);
    assert_int_equal(arith(), OF | AF | PF);
}

static void test_cmp_sets_flags_without_writing(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0x80000000;
    fx.cpu.r[R_EBX] = 1;
    RUN(0x39, 0xd8); /* cmp eax, ebx */
    assert_int_equal(fx.cpu.r[R_EAX], 0x80000000);
    assert_int_equal(arith(), OF | AF | PF);
}

static void test_cmp_memory_with_immediate_does_not_write(void **state)
{
    (void)state;
    make_ds_read_only();
    fx_write32(&fx, FX_DATA, 5);
    fx.cpu.r[R_EBX] = FX_DATA;
    RUN(0x83, 0x3b, 0x07); /* cmp dword [ebx], 7 */
    assert_int_equal(fx_read32(&fx, FX_DATA), 5);
    assert_int_equal(arith(), CF | SF | AF);
}

/* ---- AND OR XOR TEST ---------------------------------------------------- */

static void test_logic_ops_clear_cf_and_of(void **state)
{
    (void)state;
    set_flags(CF | OF | AF);
    fx.cpu.r[R_EAX] = 0xf0f0f0f0;
    RUN(0x25, 0x0f, 0x00, 0x00, 0x80); /* and eax, 0x8000000f */
    assert_int_equal(fx.cpu.r[R_EAX], 0x80000000);
    assert_int_equal(arith(), SF | PF);

    set_flags(CF | OF);
    RUN(0x0c, 0x03); /* or al, 3: flags of the byte result */
    assert_int_equal(fx.cpu.r[R_EAX], 0x80000003);
    assert_int_equal(arith(), PF);

    set_flags(CF | OF);
    RUN(0x31, 0xc0); /* xor eax, eax */
    assert_int_equal(fx.cpu.r[R_EAX], 0);
    assert_int_equal(arith(), ZF | PF);
}

static void test_or_memory_byte_with_register(void **state)
{
    (void)state;
    fx_write32(&fx, FX_DATA, 0x11111101);
    fx.cpu.r[R_EBX] = FX_DATA;
    fx.cpu.r[R_EDX] = 0x0200;
    RUN(0x08, 0x33); /* or [ebx], dh */
    assert_int_equal(fx_read32(&fx, FX_DATA), 0x11111103);
    assert_int_equal(arith(), PF);
}

static void test_test_sets_flags_without_writing(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0x80000001;
    fx.cpu.r[R_ECX] = 0x80000000;
    RUN(0x85, 0xc8); /* test eax, ecx */
    assert_int_equal(fx.cpu.r[R_EAX], 0x80000001);
    assert_int_equal(arith(), SF | PF);

    RUN(0xa8, 0x02); /* test al, 2 */
    assert_int_equal(arith(), ZF | PF);

    fx_write32(&fx, FX_DATA, 0x00ff0000);
    fx.cpu.r[R_EBX] = FX_DATA;
    RUN(0xf7, 0x03, 0x00, 0x00, 0x01, 0x00); /* test dword [ebx], 0x10000 */
    assert_int_equal(arith(), PF);
}

/* ---- A write that faults changes nothing -------------------------------- */

static void test_alu_write_fault_leaves_memory_and_flags(void **state)
{
    (void)state;
    make_ds_read_only();
    set_flags(OF);
    fx_write32(&fx, FX_DATA, 1);
    fx.cpu.r[R_EBX] = FX_DATA;
    fx.cpu.r[R_ECX] = 0xffffffff;
    RUN_FAULT(VEC_GP, 0, 0x01, 0x0b); /* add [ebx], ecx */
    assert_int_equal(fx_read32(&fx, FX_DATA), 1);
    assert_int_equal(arith(), OF);
}

/* ---- INC DEC ------------------------------------------------------------ */

static void test_inc_keeps_cf(void **state)
{
    (void)state;
    set_flags(CF);
    fx.cpu.r[R_EAX] = 0xffffffff;
    RUN(0x40); /* inc eax */
    assert_int_equal(fx.cpu.r[R_EAX], 0);
    assert_int_equal(arith(), CF | ZF | AF | PF);
}

static void test_inc_keeps_cf_computed_by_a_previous_add(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0xffffffff;
    fx.cpu.r[R_EBX] = 5;
    RUN(0x83, 0xc0, 0x02, /* add eax, 2: CF = 1 */
        0x43,             /* inc ebx */
        0x4b,             /* dec ebx */
        0x43);            /* inc ebx */
    assert_int_equal(fx.cpu.r[R_EBX], 6);
    assert_int_equal(arith(), CF | PF);
}

static void test_dec_keeps_cf_clear_after_sub(void **state)
{
    (void)state;
    set_flags(CF);
    fx.cpu.r[R_ECX] = 3;
    RUN(0x83, 0xe9, 0x01, /* sub ecx, 1: CF = 0 */
        0x49);            /* dec ecx */
    assert_int_equal(fx.cpu.r[R_ECX], 1);
    assert_int_equal(arith(), 0);
}

static void test_inc_and_dec_overflow_at_the_signed_limits(void **state)
{
    (void)state;
    fx.cpu.r[R_EDX] = 0x7fffffff;
    RUN(0x42); /* inc edx */
    assert_int_equal(fx.cpu.r[R_EDX], 0x80000000);
    assert_int_equal(arith(), OF | SF | AF | PF);
    RUN(0x4a); /* dec edx */
    assert_int_equal(fx.cpu.r[R_EDX], 0x7fffffff);
    assert_int_equal(arith(), OF | AF | PF);
}

static void test_inc_dec_byte_and_word_forms(void **state)
{
    (void)state;
    fx.cpu.r[R_EBX] = 0x1234ff7f;
    RUN(0xfe, 0xc3); /* inc bl */
    assert_int_equal(fx.cpu.r[R_EBX], 0x1234ff80);
    assert_int_equal(arith(), OF | SF | AF);
    RUN(0xfe, 0xc7); /* inc bh */
    assert_int_equal(fx.cpu.r[R_EBX], 0x12340080);
    assert_int_equal(arith(), ZF | AF | PF);
    RUN(0x66, 0x4b); /* dec bx */
    assert_int_equal(fx.cpu.r[R_EBX], 0x1234007f);
    assert_int_equal(arith(), AF);
}

static void test_inc_dec_memory(void **state)
{
    (void)state;
    fx_write32(&fx, FX_DATA, 0x000000ff);
    fx.cpu.r[R_EBX] = FX_DATA;
    RUN(0xfe, 0x03); /* inc byte [ebx] */
    assert_int_equal(fx_read32(&fx, FX_DATA), 0);
    assert_int_equal(arith(), ZF | AF | PF);
    RUN(0xff, 0x0b); /* dec dword [ebx] */
    assert_int_equal(fx_read32(&fx, FX_DATA), 0xffffffff);
    assert_int_equal(arith(), SF | AF | PF);
}

/* ---- NEG NOT ------------------------------------------------------------ */

static void test_neg_of_zero_clears_cf(void **state)
{
    (void)state;
    set_flags(CF);
    fx.cpu.r[R_EAX] = 0;
    RUN(0xf7, 0xd8); /* neg eax */
    assert_int_equal(fx.cpu.r[R_EAX], 0);
    assert_int_equal(arith(), ZF | PF);
}

static void test_neg_of_nonzero_sets_cf(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 1;
    RUN(0xf7, 0xd8); /* neg eax */
    assert_int_equal(fx.cpu.r[R_EAX], 0xffffffff);
    assert_int_equal(arith(), CF | SF | AF | PF);
}

static void test_neg_of_the_most_negative_value_overflows(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0x80000000;
    RUN(0xf7, 0xd8); /* neg eax */
    assert_int_equal(fx.cpu.r[R_EAX], 0x80000000);
    assert_int_equal(arith(), CF | OF | SF | PF);

    fx.cpu.r[R_ECX] = 0x1280;
    RUN(0xf6, 0xd9); /* neg cl */
    assert_int_equal(fx.cpu.r[R_ECX], 0x1280);
    assert_int_equal(arith(), CF | OF | SF);
}

static void test_neg_memory_word(void **state)
{
    (void)state;
    fx_write32(&fx, FX_DATA, 0xaaaa0002);
    fx.cpu.r[R_EBX] = FX_DATA;
    RUN(0x66, 0xf7, 0x1b); /* neg word [ebx] */
    assert_int_equal(fx_read32(&fx, FX_DATA), 0xaaaafffe);
    assert_int_equal(arith(), CF | SF | AF);
}

static void test_not_inverts_without_touching_flags(void **state)
{
    (void)state;
    set_flags(CF | ZF | OF);
    fx.cpu.r[R_EAX] = 0x0f0f00ff;
    RUN(0xf7, 0xd0); /* not eax */
    assert_int_equal(fx.cpu.r[R_EAX], 0xf0f0ff00);
    RUN(0xf6, 0xd4); /* not ah */
    assert_int_equal(fx.cpu.r[R_EAX], 0xf0f00000);
    fx_write32(&fx, FX_DATA, 0x12345678);
    fx.cpu.r[R_EBX] = FX_DATA;
    RUN(0x66, 0xf7, 0x13); /* not word [ebx] */
    assert_int_equal(fx_read32(&fx, FX_DATA), 0x1234a987);
    assert_int_equal(arith(), CF | ZF | OF);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_add_wrapping_to_zero_sets_cf_zf_af_pf),
        T(test_add_past_int_max_sets_of_and_sf),
        T(test_add_byte_registers_leave_the_rest_of_the_register),
        T(test_add_word_operand_keeps_the_upper_half),
        T(test_add_imm8_is_sign_extended),
        T(test_add_to_memory_reads_and_writes_it),
        T(test_add_register_from_memory),
        T(test_adc_carries_in_and_out),
        T(test_adc_carry_in_can_cause_signed_overflow),
        T(test_adc_after_add_chains_a_64_bit_sum),
        T(test_sub_equal_values_sets_zf_only),
        T(test_sub_borrow_sets_cf_and_af),
        T(test_sbb_borrows_in_and_out),
        T(test_sbb_without_carry_is_sub),
        T(test_cmp_sets_flags_without_writing),
        T(test_cmp_memory_with_immediate_does_not_write),
        T(test_logic_ops_clear_cf_and_of),
        T(test_or_memory_byte_with_register),
        T(test_test_sets_flags_without_writing),
        T(test_alu_write_fault_leaves_memory_and_flags),
        T(test_inc_keeps_cf),
        T(test_inc_keeps_cf_computed_by_a_previous_add),
        T(test_dec_keeps_cf_clear_after_sub),
        T(test_inc_and_dec_overflow_at_the_signed_limits),
        T(test_inc_dec_byte_and_word_forms),
        T(test_inc_dec_memory),
        T(test_neg_of_zero_clears_cf),
        T(test_neg_of_nonzero_sets_cf),
        T(test_neg_of_the_most_negative_value_overflows),
        T(test_neg_memory_word),
        T(test_not_inverts_without_touching_flags),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

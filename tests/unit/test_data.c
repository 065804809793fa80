/* Data movement: MOV (every form), MOVZX, MOVSX, LEA, CBW/CWDE, CWD/CDQ,
 * XLAT, LAHF, SAHF, NOP/FWAIT and the flag operations (core/cpu/exec_data.c). */
#include "cpu_test.h"

static void set_seg_base(unsigned sreg, uint32_t base)
{
    fx.cpu.seg[sreg].base = base;
    seg_cache_update(&fx.cpu.seg[sreg]);
}

/* ---- MOV ---------------------------------------------------------------- */

static void test_mov_register_forms_move_whole_and_partial_registers(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0x11223344;
    fx.cpu.r[R_EBX] = 0xaabbccdd;
    STEP(0x89, 0xc3); /* mov ebx, eax */
    assert_int_equal(fx.cpu.r[R_EBX], 0x11223344);
    STEP(0x88, 0xe7); /* mov bh, ah */
    assert_int_equal(fx.cpu.r[R_EBX], 0x11223344);
    fx.cpu.r[R_ECX] = 0xffffffff;
    STEP(0x8a, 0xec); /* mov ch, ah */
    assert_int_equal(fx.cpu.r[R_ECX], 0xffff33ff);
    STEP(0x66, 0x8b, 0xc8); /* mov cx, ax */
    assert_int_equal(fx.cpu.r[R_ECX], 0xffff3344);
}

static void test_mov_memory_forms_load_and_store(void **state)
{
    (void)state;
    fx_write32(&fx, FX_DATA, 0xcafef00d);
    fx.cpu.r[R_ESI] = FX_DATA;
    STEP(0x8b, 0x06); /* mov eax, [esi] */
    assert_int_equal(fx.cpu.r[R_EAX], 0xcafef00d);
    STEP(0x89, 0x46, 0x08); /* mov [esi+8], eax */
    assert_int_equal(fx_read32(&fx, FX_DATA + 8), 0xcafef00d);
    STEP(0x88, 0x66, 0x10); /* mov [esi+0x10], ah */
    assert_int_equal(fx_read32(&fx, FX_DATA + 0x10), 0xf0);
}

static void test_mov_moffs_uses_ds_unless_overridden(void **state)
{
    (void)state;
    fx_write32(&fx, FX_DATA, 0x01020304);
    fx_write32(&fx, FX_DATA + 0x100, 0x0a0b0c0d);
    STEP(0xa1, 0x00, 0x00, 0x01, 0x00); /* mov eax, ds:0x10000 */
    assert_int_equal(fx.cpu.r[R_EAX], 0x01020304);
    set_seg_base(S_FS, 0x100);
    STEP(0x64, 0xa0, 0x00, 0x00, 0x01, 0x00); /* mov al, fs:0x10000 */
    assert_int_equal(fx.cpu.r[R_EAX], 0x0102030d);
    STEP(0x64, 0xa3, 0x04, 0x00, 0x01, 0x00); /* mov fs:0x10004, eax */
    assert_int_equal(fx_read32(&fx, FX_DATA + 0x104), 0x0102030d);
    STEP(0xa2, 0x08, 0x00, 0x01, 0x00); /* mov ds:0x10008, al */
    assert_int_equal(fx_read32(&fx, FX_DATA + 8), 0x0d);
}

static void test_mov_moffs_with_16bit_address_size_takes_a_word_offset(void **state)
{
    (void)state;
    fx_write32(&fx, 0x1234, 0x55667788);
    STEP(0x67, 0xa1, 0x34, 0x12); /* mov eax, ds:0x1234 (addr16) */
    assert_int_equal(fx.cpu.r[R_EAX], 0x55667788);
}

static void test_mov_immediates_to_registers_and_memory(void **state)
{
    (void)state;
    fx.cpu.r[R_EDX] = 0xffffffff;
    STEP(0xb6, 0x12); /* mov dh, 0x12 */
    assert_int_equal(fx.cpu.r[R_EDX], 0xffff12ff);
    STEP(0xbf, 0x78, 0x56, 0x34, 0x12); /* mov edi, 0x12345678 */
    assert_int_equal(fx.cpu.r[R_EDI], 0x12345678);
    STEP(0x66, 0xbf, 0xcd, 0xab); /* mov di, 0xabcd */
    assert_int_equal(fx.cpu.r[R_EDI], 0x1234abcd);
    STEP(0xc7, 0x05, 0x00, 0x00, 0x01, 0x00, 0xef, 0xbe, 0xad, 0xde); /* mov dword [0x10000], 0xdeadbeef */
    assert_int_equal(fx_read32(&fx, FX_DATA), 0xdeadbeef);
    STEP(0xc6, 0x05, 0x01, 0x00, 0x01, 0x00, 0x42); /* mov byte [0x10001], 0x42 */
    assert_int_equal(fx_read32(&fx, FX_DATA), 0xdead42ef);
    STEP(0x66, 0xc7, 0x05, 0x02, 0x00, 0x01, 0x00, 0x34, 0x12); /* mov word [0x10002], 0x1234 */
    assert_int_equal(fx_read32(&fx, FX_DATA), 0x123442ef);
}

static void test_mov_leaves_flags_alone(void **state)
{
    (void)state;
    cpu_set_eflags(&fx.cpu, EFLAGS_FIXED1 | EFLAGS_CF | EFLAGS_ZF | EFLAGS_OF);
    STEP(0xb8, 0x00, 0x00, 0x00, 0x00); /* mov eax, 0 */
    assert_int_equal(cpu_eflags(&fx.cpu), EFLAGS_FIXED1 | EFLAGS_CF | EFLAGS_ZF | EFLAGS_OF);
}

static void test_mov_store_beyond_segment_limit_faults_without_writing(void **state)
{
    (void)state;
    fx.cpu.seg[S_DS].limit = 0xffff;
    seg_cache_update(&fx.cpu.seg[S_DS]);
    fx.cpu.r[R_EAX] = 0x12345678;
    static const uint8_t code[] = { 0xa3, 0xfe, 0xff, 0x00, 0x00 }; /* mov ds:0xfffe, eax */
    assert_int_equal(step(code, sizeof code), CPU_EXIT_EXCEPTION);
    assert_int_equal(fx.cpu.exc.vector, VEC_GP);
    assert_true(fx.cpu.exc.has_error);
    assert_int_equal(fx.cpu.exc.error, 0);
    assert_int_equal(fx.cpu.eip, FX_CODE);
    assert_int_equal(fx_read32(&fx, 0xfffc), 0);
}

/* ---- MOVZX / MOVSX ------------------------------------------------------ */

static void test_movzx_zero_extends_bytes_and_words(void **state)
{
    (void)state;
    fx.cpu.r[R_EBX] = 0x1234f08a;
    STEP(0x0f, 0xb6, 0xc3); /* movzx eax, bl */
    assert_int_equal(fx.cpu.r[R_EAX], 0x8a);
    STEP(0x0f, 0xb6, 0xcf); /* movzx ecx, bh */
    assert_int_equal(fx.cpu.r[R_ECX], 0xf0);
    STEP(0x0f, 0xb7, 0xd3); /* movzx edx, bx */
    assert_int_equal(fx.cpu.r[R_EDX], 0xf08a);
    fx.cpu.r[R_ESI] = 0xffffffff;
    STEP(0x66, 0x0f, 0xb6, 0xf3); /* movzx si, bl */
    assert_int_equal(fx.cpu.r[R_ESI], 0xffff008a);
    fx_write32(&fx, FX_DATA, 0x9abc);
    STEP(0x0f, 0xb7, 0x3d, 0x00, 0x00, 0x01, 0x00); /* movzx edi, word [0x10000] */
    assert_int_equal(fx.cpu.r[R_EDI], 0x9abc);
}

static void test_movsx_sign_extends_bytes_and_words(void **state)
{
    (void)state;
    fx.cpu.r[R_EBX] = 0x1234807f;
    STEP(0x0f, 0xbe, 0xc3); /* movsx eax, bl */
    assert_int_equal(fx.cpu.r[R_EAX], 0x7f);
    STEP(0x0f, 0xbe, 0xcf); /* movsx ecx, bh */
    assert_int_equal(fx.cpu.r[R_ECX], 0xffffff80);
    STEP(0x0f, 0xbf, 0xd3); /* movsx edx, bx */
    assert_int_equal(fx.cpu.r[R_EDX], 0xffff807f);
    fx.cpu.r[R_ESI] = 0x55550000;
    STEP(0x66, 0x0f, 0xbe, 0xf7); /* movsx si, bh */
    assert_int_equal(fx.cpu.r[R_ESI], 0x5555ff80);
}

/* ---- LEA ---------------------------------------------------------------- */

static void test_lea_computes_the_address_without_touching_memory(void **state)
{
    (void)state;
    fx.cpu.seg[S_DS].limit = 0xff; /* any access through DS would fault */
    seg_cache_update(&fx.cpu.seg[S_DS]);
    fx.cpu.r[R_EBX] = 0x40000000;
    fx.cpu.r[R_ECX] = 0x100;
    STEP(0x8d, 0x44, 0x8b, 0xf0); /* lea eax, [ebx+ecx*4-0x10] */
    assert_int_equal(fx.cpu.r[R_EAX], 0x400003f0);
}

static void test_lea_with_16bit_address_size_wraps_and_zero_extends(void **state)
{
    (void)state;
    fx.cpu.r[R_EBX] = 0x1234fff0;
    fx.cpu.r[R_ESI] = 0x00000020;
    fx.cpu.r[R_EAX] = 0xffffffff;
    STEP(0x67, 0x8d, 0x40, 0x10); /* lea eax, [bx+si+0x10] */
    assert_int_equal(fx.cpu.r[R_EAX], 0x20);
}

static void test_lea_with_16bit_operand_size_keeps_the_upper_half(void **state)
{
    (void)state;
    fx.cpu.r[R_EBX] = 0x00012345;
    fx.cpu.r[R_ECX] = 0x00010001;
    fx.cpu.r[R_EAX] = 0xaaaaaaaa;
    STEP(0x66, 0x8d, 0x04, 0x0b); /* lea ax, [ebx+ecx] */
    assert_int_equal(fx.cpu.r[R_EAX], 0xaaaa2346);
}

/* ---- CBW CWDE CWD CDQ --------------------------------------------------- */

static void test_cbw_and_cwde_sign_extend_the_accumulator(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0x12345680;
    STEP(0x66, 0x98); /* cbw */
    assert_int_equal(fx.cpu.r[R_EAX], 0x1234ff80);
    STEP(0x98); /* cwde */
    assert_int_equal(fx.cpu.r[R_EAX], 0xffffff80);
    fx.cpu.r[R_EAX] = 0xffff7f7f;
    STEP(0x98);
    assert_int_equal(fx.cpu.r[R_EAX], 0x7f7f);
}

static void test_cwd_and_cdq_fill_edx_with_the_sign(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0x00008000;
    fx.cpu.r[R_EDX] = 0x12345678;
    STEP(0x66, 0x99); /* cwd */
    assert_int_equal(fx.cpu.r[R_EDX], 0x1234ffff);
    STEP(0x99); /* cdq */
    assert_int_equal(fx.cpu.r[R_EDX], 0);
    fx.cpu.r[R_EAX] = 0x80000000;
    STEP(0x99);
    assert_int_equal(fx.cpu.r[R_EDX], 0xffffffff);
}

/* ---- XLAT --------------------------------------------------------------- */

static void test_xlat_looks_up_al_in_the_table_at_ebx(void **state)
{
    (void)state;
    static const uint8_t table[256] = { [0] = 0x11, [0x80] = 0x99, [0xff] = 0x77 };
    fx_write(&fx, FX_DATA, table, sizeof table);
    fx.cpu.r[R_EBX] = FX_DATA;
    fx.cpu.r[R_EAX] = 0xabcdef80;
    STEP(0xd7);
    assert_int_equal(fx.cpu.r[R_EAX], 0xabcdef99);
    fx.cpu.r[R_EAX] = 0xff;
    STEP(0xd7);
    assert_int_equal(fx.cpu.r[R_EAX], 0x77);
}

static void test_xlat_honours_a_segment_override(void **state)
{
    (void)state;
    fx_write(&fx, FX_DATA + 0x1005, "\x5a", 1);
    set_seg_base(S_GS, 0x1000);
    fx.cpu.r[R_EBX] = FX_DATA;
    fx.cpu.r[R_EAX] = 5;
    STEP(0x65, 0xd7); /* xlat gs:[ebx] */
    assert_int_equal(fx.cpu.r[R_EAX], 0x5a);
}

static void test_xlat_with_16bit_address_size_uses_bx_and_wraps(void **state)
{
    (void)state;
    fx_write(&fx, 0x0010, "\x3c", 1);
    fx.cpu.r[R_EBX] = 0x7000fff8; /* upper half ignored; 0xfff8 + 0x18 wraps to 0x10 */
    fx.cpu.r[R_EAX] = 0x18;
    STEP(0x67, 0xd7);
    assert_int_equal(fx.cpu.r[R_EAX], 0x3c);
}

/* ---- LAHF SAHF ---------------------------------------------------------- */

static void test_lahf_copies_the_low_flags_with_bit1_set(void **state)
{
    (void)state;
    cpu_set_eflags(&fx.cpu, EFLAGS_SF | EFLAGS_PF | EFLAGS_CF | EFLAGS_OF | EFLAGS_DF);
    fx.cpu.r[R_EAX] = 0xffff00ff;
    STEP(0x9f);
    assert_int_equal(fx.cpu.r[R_EAX], 0xffff87ff);
}

static void test_sahf_sets_five_flags_and_leaves_of_alone(void **state)
{
    (void)state;
    cpu_set_eflags(&fx.cpu, EFLAGS_OF | EFLAGS_CF);
    fx.cpu.r[R_EAX] = 0xfe00; /* AH: SF ZF AF PF set, CF clear, reserved bits 5 3 1 set */
    STEP(0x9e);
    assert_int_equal(cpu_eflags(&fx.cpu),
                     EFLAGS_FIXED1 | EFLAGS_OF | EFLAGS_SF | EFLAGS_ZF | EFLAGS_AF | EFLAGS_PF);
}

/* ---- NOP FWAIT ---------------------------------------------------------- */

static void test_nop_ev_never_accesses_its_memory_operand(void **state)
{
    (void)state;
    fx.cpu.seg[S_DS].limit = 0xff;
    seg_cache_update(&fx.cpu.seg[S_DS]);
    STEP(0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x80); /* nop dword [eax-0x80000000] */
    STEP(0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00);        /* nop word [eax+eax*1+0x0] */
    STEP(0xf3, 0x90);                                /* pause */
}

static void test_fwait_raises_nm_only_when_mp_and_ts_are_set(void **state)
{
    (void)state;
    STEP(0x9b);
    fx.cpu.cr0 |= CR0_TS;
    STEP(0x9b);
    fx.cpu.cr0 |= CR0_MP;
    static const uint8_t code[] = { 0x9b };
    assert_int_equal(step(code, 1), CPU_EXIT_EXCEPTION);
    assert_int_equal(fx.cpu.exc.vector, VEC_NM);
    assert_false(fx.cpu.exc.has_error);
    assert_int_equal(fx.cpu.eip, FX_CODE);
}

/* ---- CLC STC CMC CLD STD ------------------------------------------------ */

static void test_clc_stc_cmc_change_only_cf(void **state)
{
    (void)state;
    const uint32_t others = EFLAGS_FIXED1 | EFLAGS_ZF | EFLAGS_SF | EFLAGS_OF | EFLAGS_DF;
    cpu_set_eflags(&fx.cpu, others);
    STEP(0xf9); /* stc */
    assert_int_equal(cpu_eflags(&fx.cpu), others | EFLAGS_CF);
    STEP(0xf5); /* cmc */
    assert_int_equal(cpu_eflags(&fx.cpu), others);
    STEP(0xf5);
    assert_int_equal(cpu_eflags(&fx.cpu), others | EFLAGS_CF);
    STEP(0xf8); /* clc */
    assert_int_equal(cpu_eflags(&fx.cpu), others);
}

static void test_cld_std_change_only_df(void **state)
{
    (void)state;
    cpu_set_eflags(&fx.cpu, EFLAGS_FIXED1 | EFLAGS_CF | EFLAGS_IF);
    STEP(0xfd); /* std */
    assert_int_equal(cpu_eflags(&fx.cpu), EFLAGS_FIXED1 | EFLAGS_CF | EFLAGS_IF | EFLAGS_DF);
    STEP(0xfc); /* cld */
    assert_int_equal(cpu_eflags(&fx.cpu), EFLAGS_FIXED1 | EFLAGS_CF | EFLAGS_IF);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_mov_register_forms_move_whole_and_partial_registers),
        T(test_mov_memory_forms_load_and_store),
        T(test_mov_moffs_uses_ds_unless_overridden),
        T(test_mov_moffs_with_16bit_address_size_takes_a_word_offset),
        T(test_mov_immediates_to_registers_and_memory),
        T(test_mov_leaves_flags_alone),
        T(test_mov_store_beyond_segment_limit_faults_without_writing),
        T(test_movzx_zero_extends_bytes_and_words),
        T(test_movsx_sign_extends_bytes_and_words),
        T(test_lea_computes_the_address_without_touching_memory),
        T(test_lea_with_16bit_address_size_wraps_and_zero_extends),
        T(test_lea_with_16bit_operand_size_keeps_the_upper_half),
        T(test_cbw_and_cwde_sign_extend_the_accumulator),
        T(test_cwd_and_cdq_fill_edx_with_the_sign),
        T(test_xlat_looks_up_al_in_the_table_at_ebx),
        T(test_xlat_honours_a_segment_override),
        T(test_xlat_with_16bit_address_size_uses_bx_and_wraps),
        T(test_lahf_copies_the_low_flags_with_bit1_set),
        T(test_sahf_sets_five_flags_and_leaves_of_alone),
        T(test_nop_ev_never_accesses_its_memory_operand),
        T(test_fwait_raises_nm_only_when_mp_and_ts_are_set),
        T(test_clc_stc_cmc_change_only_cf),
        T(test_cld_std_change_only_df),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The stack: PUSH, POP, PUSHA, POPA, PUSHF, POPF, ENTER, LEAVE
 * (core/cpu/exec_stack.c). ESP starts at FX_STACK. */
#include "cpu_test.h"

#define ESP0 FX_STACK

static uint16_t read16(gpa_t gpa)
{
    uint16_t v = 0;
    physmem_read(&fx.mem, gpa, &v, 2);
    return v;
}

/* Make SS an expand-down writable data segment whose valid offsets are
 * limit+1 .. 0xffffffff. */
static void ss_expand_down(uint32_t limit)
{
    struct seg *ss = &fx.cpu.seg[S_SS];
    ss->ar = (ss->ar & ~SEG_AR_TYPE) | 0x7;
    ss->limit = limit;
    seg_cache_update(ss);
}

/* ---- PUSH POP ----------------------------------------------------------- */

static void test_push_esp_pushes_the_value_before_the_decrement(void **state)
{
    (void)state;
    STEP(0x54); /* push esp */
    assert_int_equal(fx.cpu.r[R_ESP], ESP0 - 4);
    assert_int_equal(fx_read32(&fx, ESP0 - 4), ESP0);
}

static void test_push_memory_addressed_by_esp_uses_the_old_esp(void **state)
{
    (void)state;
    fx_write32(&fx, ESP0 + 4, 0x600df00d);
    STEP(0xff, 0x74, 0x24, 0x04); /* push dword [esp+4] */
    assert_int_equal(fx.cpu.r[R_ESP], ESP0 - 4);
    assert_int_equal(fx_read32(&fx, ESP0 - 4), 0x600df00d);
}

static void test_pop_esp_loads_the_popped_value(void **state)
{
    (void)state;
    fx_write32(&fx, ESP0, 0x00123450);
    STEP(0x5c); /* pop esp */
    assert_int_equal(fx.cpu.r[R_ESP], 0x00123450);
}

static void test_pop_to_esp_relative_memory_uses_the_incremented_esp(void **state)
{
    (void)state;
    fx_write32(&fx, ESP0, 0xa5a5a5a5);
    STEP(0x8f, 0x44, 0x24, 0x04); /* pop dword [esp+4] */
    assert_int_equal(fx.cpu.r[R_ESP], ESP0 + 4);
    assert_int_equal(fx_read32(&fx, ESP0 + 8), 0xa5a5a5a5);
    assert_int_equal(fx_read32(&fx, ESP0 + 4), 0);
}

static void test_pop_to_memory_that_faults_leaves_esp_unchanged(void **state)
{
    (void)state;
    fx.cpu.seg[S_DS].limit = 0xffff;
    seg_cache_update(&fx.cpu.seg[S_DS]);
    STEP_FAULT(VEC_GP, 0, 0x8f, 0x05, 0x00, 0x00, 0x01, 0x00); /* pop dword [0x10000] */
    assert_int_equal(fx.cpu.r[R_ESP], ESP0);
}

static void test_push_and_pop_registers_with_both_operand_sizes(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0x11223344;
    STEP(0x50);       /* push eax */
    STEP(0x66, 0x50); /* push ax */
    assert_int_equal(fx.cpu.r[R_ESP], ESP0 - 6);
    assert_int_equal(read16(ESP0 - 6), 0x3344);
    assert_int_equal(fx_read32(&fx, ESP0 - 4), 0x11223344);
    fx.cpu.r[R_EBX] = 0xffffffff;
    STEP(0x66, 0x5b); /* pop bx */
    assert_int_equal(fx.cpu.r[R_EBX], 0xffff3344);
    STEP(0x59); /* pop ecx */
    assert_int_equal(fx.cpu.r[R_ECX], 0x11223344);
    assert_int_equal(fx.cpu.r[R_ESP], ESP0);
}

static void test_push_immediates_are_sign_extended_to_the_operand_size(void **state)
{
    (void)state;
    STEP(0x6a, 0x80); /* push -0x80 */
    assert_int_equal(fx_read32(&fx, ESP0 - 4), 0xffffff80);
    STEP(0x66, 0x6a, 0xff); /* push word -1 */
    assert_int_equal(fx.cpu.r[R_ESP], ESP0 - 6);
    assert_int_equal(read16(ESP0 - 6), 0xffff);
    STEP(0x68, 0x78, 0x56, 0x34, 0x12); /* push 0x12345678 */
    assert_int_equal(fx_read32(&fx, ESP0 - 10), 0x12345678);
}

static void test_push_segment_register_writes_a_zero_extended_dword(void **state)
{
    (void)state;
    fx_write32(&fx, ESP0 - 4, 0xdeadbeef);
    STEP(0x1e); /* push ds */
    assert_int_equal(fx.cpu.r[R_ESP], ESP0 - 4);
    assert_int_equal(fx_read32(&fx, ESP0 - 4), 0x10);
    fx_write32(&fx, ESP0 - 8, 0xdeadbeef);
    STEP(0x66, 0x0e); /* push cs (16-bit) */
    assert_int_equal(fx.cpu.r[R_ESP], ESP0 - 6);
    assert_int_equal(fx_read32(&fx, ESP0 - 8), 0x0008beef);
}

static void test_push_beyond_stack_limit_raises_ss(void **state)
{
    (void)state;
    ss_expand_down(ESP0 - 4); /* offsets ESP0-3 and up are valid */
    STEP_FAULT(VEC_SS, 0, 0x50);
    assert_int_equal(fx.cpu.r[R_ESP], ESP0);
}

static void test_pop_ds_loads_the_selector_through_seg_load(void **state)
{
    (void)state;
    const uint64_t gdt[] = { 0, fx_desc(0, 0xfffff, 0x9a, 0xc), fx_desc(0x4000, 0xfffff, 0x92, 0xc) };
    fx_set_gdt(&fx, 0x800, gdt, 3);
    fx_write32(&fx, ESP0, 0x10);
    STEP(0x1f); /* pop ds */
    assert_int_equal(fx.cpu.seg[S_DS].sel, 0x10);
    assert_int_equal(fx.cpu.seg[S_DS].base, 0x4000);
    assert_int_equal(fx.cpu.r[R_ESP], ESP0 + 4);
}

static void test_pop_ss_blocks_interrupts_for_one_instruction(void **state)
{
    (void)state;
    const uint64_t gdt[] = { 0, fx_desc(0, 0xfffff, 0x9a, 0xc), fx_desc(0, 0xfffff, 0x92, 0xc) };
    fx_set_gdt(&fx, 0x800, gdt, 3);
    fx_write32(&fx, ESP0, 0x10);
    STEP(0x17); /* pop ss */
    assert_true(fx.cpu.intr_shadow);
    assert_int_equal(fx.cpu.r[R_ESP], ESP0 + 4);
}

static void test_pop_ds_with_a_bad_selector_faults_and_keeps_esp(void **state)
{
    (void)state;
    const uint64_t gdt[] = { 0, fx_desc(0, 0xfffff, 0x9a, 0xc) };
    fx_set_gdt(&fx, 0x800, gdt, 2);
    fx_write32(&fx, ESP0, 0x18); /* beyond the GDT limit */
    STEP_FAULT(VEC_GP, 0x18, 0x1f);
    assert_int_equal(fx.cpu.r[R_ESP], ESP0);
}

/* ---- PUSHA POPA --------------------------------------------------------- */

static void test_pusha_pushes_eight_registers_with_the_original_esp(void **state)
{
    (void)state;
    for (unsigned r = 0; r < 8; r++)
        if (r != R_ESP)
            fx.cpu.r[r] = 0x1000 * (r + 1) + r;
    STEP(0x60);
    assert_int_equal(fx.cpu.r[R_ESP], ESP0 - 32);
    for (unsigned r = 0; r < 8; r++)
        assert_int_equal(fx_read32(&fx, ESP0 - 4 - 4 * r), r == R_ESP ? ESP0 : fx.cpu.r[r]);
}

static void test_popa_restores_all_but_esp(void **state)
{
    (void)state;
    for (unsigned r = 0; r < 8; r++) /* the image PUSHAD leaves: EDI lowest */
        fx_write32(&fx, ESP0 + 28 - 4 * r, 0xa0000000u + r);
    STEP(0x61);
    for (unsigned r = 0; r < 8; r++)
        assert_int_equal(fx.cpu.r[r], r == R_ESP ? ESP0 + 32 : 0xa0000000u + r);
}

static void test_pusha_popa_16bit_move_words(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0xffff1234;
    fx.cpu.r[R_EDI] = 0xffff5678;
    STEP(0x66, 0x60); /* pushaw */
    assert_int_equal(fx.cpu.r[R_ESP], ESP0 - 16);
    assert_int_equal(read16(ESP0 - 2), 0x1234);
    assert_int_equal(read16(ESP0 - 10), ESP0 & 0xffff);
    assert_int_equal(read16(ESP0 - 16), 0x5678);
    fx.cpu.r[R_EAX] = 0xeeee0000;
    fx.cpu.r[R_EDI] = 0xdddd0000;
    STEP(0x66, 0x61); /* popaw */
    assert_int_equal(fx.cpu.r[R_EAX], 0xeeee1234);
    assert_int_equal(fx.cpu.r[R_EDI], 0xdddd5678);
    assert_int_equal(fx.cpu.r[R_ESP], ESP0);
}

static void test_pusha_that_faults_writes_nothing(void **state)
{
    (void)state;
    fx_write32(&fx, ESP0 - 4, 0x5a5a5a5a);
    ss_expand_down(ESP0 - 20); /* the top 19 bytes below ESP0 are valid, 32 are needed */
    STEP_FAULT(VEC_SS, 0, 0x60);
    assert_int_equal(fx.cpu.r[R_ESP], ESP0);
    assert_int_equal(fx_read32(&fx, ESP0 - 4), 0x5a5a5a5a);
}

/* ---- PUSHF POPF --------------------------------------------------------- */

static void test_pushf_pushes_eflags_with_rf_and_vm_clear(void **state)
{
    (void)state;
    cpu_set_eflags(&fx.cpu, EFLAGS_RF | EFLAGS_IF | EFLAGS_CF | EFLAGS_AC | (2u << EFLAGS_IOPL_SHIFT));
    STEP(0x9c);
    assert_int_equal(fx_read32(&fx, ESP0 - 4),
                     EFLAGS_FIXED1 | EFLAGS_IF | EFLAGS_CF | EFLAGS_AC | (2u << EFLAGS_IOPL_SHIFT));
    STEP(0x66, 0x9c);
    assert_int_equal(read16(ESP0 - 6), EFLAGS_FIXED1 | EFLAGS_IF | EFLAGS_CF | (2u << EFLAGS_IOPL_SHIFT));
}

static void test_popf_at_cpl0_sets_if_and_iopl_and_clears_rf(void **state)
{
    (void)state;
    cpu_set_eflags(&fx.cpu, EFLAGS_FIXED1 | EFLAGS_RF);
    fx_write32(&fx, ESP0, EFLAGS_IF | EFLAGS_IOPL | EFLAGS_ZF | EFLAGS_VM | EFLAGS_RF | EFLAGS_ID);
    STEP(0x9d);
    assert_int_equal(cpu_eflags(&fx.cpu), EFLAGS_FIXED1 | EFLAGS_IF | EFLAGS_IOPL | EFLAGS_ZF | EFLAGS_ID);
    assert_int_equal(fx.cpu.r[R_ESP], ESP0 + 4);
}

static void test_popf_at_cpl3_silently_keeps_if_and_iopl(void **state)
{
    (void)state;
    cpu_set_flat(&fx.cpu, 3);
    cpu_set_eflags(&fx.cpu, EFLAGS_FIXED1 | EFLAGS_IF);
    fx_write32(&fx, ESP0, EFLAGS_IOPL | EFLAGS_CF | EFLAGS_DF); /* IF clear, IOPL 3 */
    STEP(0x9d);
    assert_int_equal(cpu_eflags(&fx.cpu), EFLAGS_FIXED1 | EFLAGS_IF | EFLAGS_CF | EFLAGS_DF);
    assert_int_equal(fx.cpu.r[R_ESP], ESP0 + 4);
}

static void test_popf_at_cpl3_with_iopl3_may_change_if_but_not_iopl(void **state)
{
    (void)state;
    cpu_set_flat(&fx.cpu, 3);
    cpu_set_eflags(&fx.cpu, EFLAGS_FIXED1 | EFLAGS_IOPL);
    fx_write32(&fx, ESP0, EFLAGS_IF);
    STEP(0x9d);
    assert_int_equal(cpu_eflags(&fx.cpu), EFLAGS_FIXED1 | EFLAGS_IOPL | EFLAGS_IF);
}

static void test_popf_at_cpl1_with_iopl0_is_the_deprivileged_kernel_case(void **state)
{
    (void)state;
    cpu_set_flat(&fx.cpu, 1);
    cpu_set_eflags(&fx.cpu, EFLAGS_FIXED1);
    fx_write32(&fx, ESP0, EFLAGS_IF | EFLAGS_ZF);
    STEP(0x9d);
    assert_int_equal(cpu_eflags(&fx.cpu), EFLAGS_FIXED1 | EFLAGS_ZF);
}

static void test_popf_16bit_changes_only_the_low_half(void **state)
{
    (void)state;
    cpu_set_eflags(&fx.cpu, EFLAGS_FIXED1 | EFLAGS_AC | EFLAGS_RF | EFLAGS_CF);
    fx_write32(&fx, ESP0, 0xffff0000u | EFLAGS_SF | EFLAGS_NT);
    STEP(0x66, 0x9d);
    assert_int_equal(cpu_eflags(&fx.cpu), EFLAGS_FIXED1 | EFLAGS_AC | EFLAGS_RF | EFLAGS_SF | EFLAGS_NT);
    assert_int_equal(fx.cpu.r[R_ESP], ESP0 + 2);
}

/* ---- ENTER LEAVE -------------------------------------------------------- */

#define EBP0 0x8800u

static void test_enter_level0_makes_a_plain_frame(void **state)
{
    (void)state;
    fx.cpu.r[R_EBP] = EBP0;
    STEP(0xc8, 0x10, 0x00, 0x00); /* enter 0x10, 0 */
    assert_int_equal(fx_read32(&fx, ESP0 - 4), EBP0);
    assert_int_equal(fx.cpu.r[R_EBP], ESP0 - 4);
    assert_int_equal(fx.cpu.r[R_ESP], ESP0 - 4 - 0x10);
}

static void test_enter_level1_also_pushes_the_frame_pointer(void **state)
{
    (void)state;
    fx.cpu.r[R_EBP] = EBP0;
    STEP(0xc8, 0x08, 0x00, 0x01); /* enter 8, 1 */
    assert_int_equal(fx_read32(&fx, ESP0 - 4), EBP0);
    assert_int_equal(fx_read32(&fx, ESP0 - 8), ESP0 - 4);
    assert_int_equal(fx.cpu.r[R_EBP], ESP0 - 4);
    assert_int_equal(fx.cpu.r[R_ESP], ESP0 - 8 - 8);
}

static void test_enter_level3_copies_the_callers_display(void **state)
{
    (void)state;
    fx.cpu.r[R_EBP] = EBP0;
    fx_write32(&fx, EBP0 - 4, 0xd1d1d1d1);
    fx_write32(&fx, EBP0 - 8, 0xd2d2d2d2);
    fx_write32(&fx, EBP0 - 12, 0xd3d3d3d3); /* not part of a level-3 display */
    STEP(0xc8, 0x00, 0x01, 0x03); /* enter 0x100, 3 */
    assert_int_equal(fx_read32(&fx, ESP0 - 4), EBP0);
    assert_int_equal(fx_read32(&fx, ESP0 - 8), 0xd1d1d1d1);
    assert_int_equal(fx_read32(&fx, ESP0 - 12), 0xd2d2d2d2);
    assert_int_equal(fx_read32(&fx, ESP0 - 16), ESP0 - 4);
    assert_int_equal(fx.cpu.r[R_EBP], ESP0 - 4);
    assert_int_equal(fx.cpu.r[R_ESP], ESP0 - 16 - 0x100);
}

static void test_enter_masks_the_level_to_five_bits(void **state)
{
    (void)state;
    fx.cpu.r[R_EBP] = EBP0;
    STEP(0xc8, 0x00, 0x00, 0x21); /* enter 0, 33: level 1 */
    assert_int_equal(fx_read32(&fx, ESP0 - 8), ESP0 - 4);
    assert_int_equal(fx.cpu.r[R_ESP], ESP0 - 8);
}

static void test_enter_16bit_on_a_32bit_stack_uses_the_whole_ebp(void **state)
{
    (void)state;
    fx.cpu.r[R_EBP] = 0x00010000u | EBP0;
    fx_write(&fx, (0x00010000u | EBP0) - 2, "\x34\x12", 2); /* [EBP-2]: read */
    fx_write(&fx, EBP0 - 2, "\x78\x56", 2);                 /* [BP-2]: not read */
    STEP(0x66, 0xc8, 0x04, 0x00, 0x02); /* enter 4, 2 (16-bit) */
    assert_int_equal(read16(ESP0 - 2), EBP0);
    assert_int_equal(read16(ESP0 - 4), 0x1234);
    assert_int_equal(read16(ESP0 - 6), ESP0 - 2);
    assert_int_equal(fx.cpu.r[R_ESP], ESP0 - 6 - 4);
    assert_int_equal(fx.cpu.r[R_EBP], 0x00010000u | (ESP0 - 2));
}

static void test_enter_whose_frame_would_not_fit_faults_and_changes_nothing(void **state)
{
    (void)state;
    fx.cpu.r[R_EBP] = EBP0;
    ss_expand_down(ESP0 - 0x100); /* room for the push, not for 0x200 bytes of locals */
    STEP_FAULT(VEC_SS, 0, 0xc8, 0x00, 0x02, 0x00); /* enter 0x200, 0 */
    assert_int_equal(fx.cpu.r[R_ESP], ESP0);
    assert_int_equal(fx.cpu.r[R_EBP], EBP0);
}

static void test_leave_undoes_enter(void **state)
{
    (void)state;
    fx.cpu.r[R_EBP] = EBP0;
    STEP(0xc8, 0x20, 0x00, 0x02); /* enter 0x20, 2 */
    STEP(0xc9);                   /* leave */
    assert_int_equal(fx.cpu.r[R_ESP], ESP0);
    assert_int_equal(fx.cpu.r[R_EBP], EBP0);
}

static void test_leave_that_faults_keeps_esp_and_ebp(void **state)
{
    (void)state;
    ss_expand_down(ESP0 - 0x100);
    fx.cpu.r[R_EBP] = ESP0 - 0x200;
    STEP_FAULT(VEC_SS, 0, 0xc9);
    assert_int_equal(fx.cpu.r[R_ESP], ESP0);
    assert_int_equal(fx.cpu.r[R_EBP], ESP0 - 0x200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_push_esp_pushes_the_value_before_the_decrement),
        T(test_push_memory_addressed_by_esp_uses_the_old_esp),
        T(test_pop_esp_loads_the_popped_value),
        T(test_pop_to_esp_relative_memory_uses_the_incremented_esp),
        T(test_pop_to_memory_that_faults_leaves_esp_unchanged),
        T(test_push_and_pop_registers_with_both_operand_sizes),
        T(test_push_immediates_are_sign_extended_to_the_operand_size),
        T(test_push_segment_register_writes_a_zero_extended_dword),
        T(test_push_beyond_stack_limit_raises_ss),
        T(test_pop_ds_loads_the_selector_through_seg_load),
        T(test_pop_ss_blocks_interrupts_for_one_instruction),
        T(test_pop_ds_with_a_bad_selector_faults_and_keeps_esp),
        T(test_pusha_pushes_eight_registers_with_the_original_esp),
        T(test_popa_restores_all_but_esp),
        T(test_pusha_popa_16bit_move_words),
        T(test_pusha_that_faults_writes_nothing),
        T(test_pushf_pushes_eflags_with_rf_and_vm_clear),
        T(test_popf_at_cpl0_sets_if_and_iopl_and_clears_rf),
        T(test_popf_at_cpl3_silently_keeps_if_and_iopl),
        T(test_popf_at_cpl3_with_iopl3_may_change_if_but_not_iopl),
        T(test_popf_at_cpl1_with_iopl0_is_the_deprivileged_kernel_case),
        T(test_popf_16bit_changes_only_the_low_half),
        T(test_enter_level0_makes_a_plain_frame),
        T(test_enter_level1_also_pushes_the_frame_pointer),
        T(test_enter_level3_copies_the_callers_display),
        T(test_enter_masks_the_level_to_five_bits),
        T(test_enter_16bit_on_a_32bit_stack_uses_the_whole_ebp),
        T(test_enter_whose_frame_would_not_fit_faults_and_changes_nothing),
        T(test_leave_undoes_enter),
        T(test_leave_that_faults_keeps_esp_and_ebp),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

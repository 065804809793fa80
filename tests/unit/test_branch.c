/* Near branches: JMP, Jcc, CALL, RET, LOOP/LOOPE/LOOPNE, JECXZ
 * (core/cpu/exec_branch.c). Each test runs one instruction at FX_CODE. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cpu_internal.h"
#include "fixture.h"

static struct fixture fx;

static int setup(void **state)
{
    (void)state;
    return fx_init(&fx);
}

static int teardown(void **state)
{
    (void)state;
    fx_fini(&fx);
    return 0;
}

static enum cpu_exit step(const uint8_t *code, size_t len)
{
    fx_write(&fx, FX_CODE, code, len);
    fx.cpu.eip = FX_CODE;
    return cpu_step(&fx.cpu);
}
/* Run one instruction; it must end with EIP = `target`. */
#define STEP_TO(target, ...)                                                  \
    do {                                                                      \
        static const uint8_t code_[] = { __VA_ARGS__ };                       \
        assert_int_equal(step(code_, sizeof code_), CPU_EXIT_BUDGET);         \
        assert_int_equal(fx.cpu.eip, (target));                               \
    } while (0)
#define STEP_GP0(...)                                                         \
    do {                                                                      \
        static const uint8_t code_[] = { __VA_ARGS__ };                       \
        assert_int_equal(step(code_, sizeof code_), CPU_EXIT_EXCEPTION);      \
        assert_int_equal(fx.cpu.exc.vector, VEC_GP);                          \
        assert_true(fx.cpu.exc.has_error);                                    \
        assert_int_equal(fx.cpu.exc.error, 0);                                \
        assert_int_equal(fx.cpu.eip, FX_CODE);                                \
    } while (0)

static void set_cs_limit(uint32_t limit)
{
    fx.cpu.seg[S_CS].limit = limit;
    seg_cache_update(&fx.cpu.seg[S_CS]);
}

/* ---- JMP ---------------------------------------------------------------- */

static void test_jmp_relative_forms_add_to_the_next_eip(void **state)
{
    (void)state;
    STEP_TO(FX_CODE + 2 + 0x10, 0xeb, 0x10);                        /* jmp short +0x10 */
    STEP_TO(FX_CODE + 2 - 0x80, 0xeb, 0x80);                        /* jmp short -0x80 */
    STEP_TO(FX_CODE + 5 + 0x12345, 0xe9, 0x45, 0x23, 0x01, 0x00);    /* jmp rel32 */
    STEP_TO(FX_CODE + 5 - 0x1000, 0xe9, 0x00, 0xf0, 0xff, 0xff);
}

static void test_jmp_indirect_through_register_and_memory(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0x4321;
    STEP_TO(0x4321, 0xff, 0xe0); /* jmp eax */
    fx_write32(&fx, FX_DATA + 8, 0x5678);
    fx.cpu.r[R_EBX] = FX_DATA;
    STEP_TO(0x5678, 0xff, 0x63, 0x08); /* jmp [ebx+8] */
}

static void test_jmp_with_16bit_operand_size_truncates_eip(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0x00123456;
    STEP_TO(0x3456, 0x66, 0xff, 0xe0); /* jmp ax */
    STEP_TO((FX_CODE + 4 - 0x2000) & 0xffff, 0x66, 0xe9, 0x00, 0xe0); /* jmp rel16 -0x2000 */
}

static void test_jmp_beyond_the_cs_limit_raises_gp_at_the_jmp(void **state)
{
    (void)state;
    set_cs_limit(0x1fff);
    STEP_TO(0x1fff, 0xe9, 0xfa, 0x0f, 0x00, 0x00); /* to the last byte: allowed */
    STEP_GP0(0xe9, 0xfb, 0x0f, 0x00, 0x00);         /* one past it */
}

/* ---- Jcc ---------------------------------------------------------------- */

static void test_jcc_branches_only_when_the_condition_holds(void **state)
{
    (void)state;
    cpu_set_eflags(&fx.cpu, EFLAGS_FIXED1 | EFLAGS_ZF);
    STEP_TO(FX_CODE + 2 + 4, 0x74, 0x04); /* je */
    STEP_TO(FX_CODE + 2, 0x75, 0x04);     /* jne */
    cpu_set_eflags(&fx.cpu, EFLAGS_FIXED1 | EFLAGS_SF);
    STEP_TO(FX_CODE + 6 + 0x100, 0x0f, 0x8c, 0x00, 0x01, 0x00, 0x00); /* jl (SF != OF) */
    STEP_TO(FX_CODE + 6, 0x0f, 0x8d, 0x00, 0x01, 0x00, 0x00);         /* jge */
    cpu_set_eflags(&fx.cpu, EFLAGS_FIXED1 | EFLAGS_CF);
    STEP_TO(FX_CODE + 2 - 2, 0x76, 0xfe); /* jbe to itself */
}

static void test_jcc_not_taken_ignores_an_invalid_target(void **state)
{
    (void)state;
    set_cs_limit(0x1fff);
    cpu_set_eflags(&fx.cpu, EFLAGS_FIXED1);
    STEP_TO(FX_CODE + 6, 0x0f, 0x84, 0x00, 0x00, 0x10, 0x00); /* je far away, not taken */
    cpu_set_eflags(&fx.cpu, EFLAGS_FIXED1 | EFLAGS_ZF);
    STEP_GP0(0x0f, 0x84, 0x00, 0x00, 0x10, 0x00); /* taken */
}

/* ---- CALL RET ----------------------------------------------------------- */

static void test_call_relative_pushes_the_return_address(void **state)
{
    (void)state;
    STEP_TO(FX_CODE + 5 + 0x100, 0xe8, 0x00, 0x01, 0x00, 0x00);
    assert_int_equal(fx.cpu.r[R_ESP], FX_STACK - 4);
    assert_int_equal(fx_read32(&fx, FX_STACK - 4), FX_CODE + 5);
}

static void test_call_through_esp_reads_the_target_before_pushing(void **state)
{
    (void)state;
    fx_write32(&fx, FX_STACK, 0x3000);
    STEP_TO(0x3000, 0xff, 0x14, 0x24); /* call [esp] */
    assert_int_equal(fx_read32(&fx, FX_STACK - 4), FX_CODE + 3);
    assert_int_equal(fx.cpu.r[R_ESP], FX_STACK - 4);
}

static void test_call_with_16bit_operand_size_pushes_a_word(void **state)
{
    (void)state;
    fx.cpu.r[R_ECX] = 0xffff2345;
    STEP_TO(0x2345, 0x66, 0xff, 0xd1); /* call cx */
    assert_int_equal(fx.cpu.r[R_ESP], FX_STACK - 2);
    assert_int_equal(fx_read32(&fx, FX_STACK - 4), (uint32_t)(FX_CODE + 3) << 16);
}

static void test_call_beyond_the_cs_limit_faults_before_pushing(void **state)
{
    (void)state;
    set_cs_limit(0x1fff);
    STEP_GP0(0xe8, 0x00, 0x10, 0x00, 0x00);
    assert_int_equal(fx.cpu.r[R_ESP], FX_STACK);
    assert_int_equal(fx_read32(&fx, FX_STACK - 4), 0);
}

static void test_ret_pops_the_return_address(void **state)
{
    (void)state;
    fx_write32(&fx, FX_STACK, 0x2468);
    STEP_TO(0x2468, 0xc3);
    assert_int_equal(fx.cpu.r[R_ESP], FX_STACK + 4);
}

static void test_ret_imm16_releases_the_arguments_after_popping(void **state)
{
    (void)state;
    fx_write32(&fx, FX_STACK, 0x2468);
    STEP_TO(0x2468, 0xc2, 0x0c, 0x00); /* ret 12 */
    assert_int_equal(fx.cpu.r[R_ESP], FX_STACK + 4 + 12);
}

static void test_call_then_ret_imm16_round_trip(void **state)
{
    (void)state;
    /* push 1; push 2; call f; jmp out; f: ret 8 */
    static const uint8_t code[] = { 0x6a, 0x01, 0x6a, 0x02, 0xe8, 0x02, 0x00, 0x00, 0x00,
                                    0xeb, 0x10, 0xc2, 0x08, 0x00 };
    assert_int_equal(fx_run_code(&fx, code, sizeof code), CPU_EXIT_BUDGET);
    assert_int_equal(fx.cpu.eip, FX_CODE + 11 + 0x10);
    assert_int_equal(fx.cpu.r[R_ESP], FX_STACK);
    assert_int_equal(fx.cpu.icount, 5);
}

static void test_ret_16bit_pops_a_word(void **state)
{
    (void)state;
    fx_write32(&fx, FX_STACK, 0xffff1357);
    STEP_TO(0x1357, 0x66, 0xc3);
    assert_int_equal(fx.cpu.r[R_ESP], FX_STACK + 2);
}

static void test_ret_beyond_the_cs_limit_faults_and_keeps_esp(void **state)
{
    (void)state;
    set_cs_limit(0x1fff);
    fx_write32(&fx, FX_STACK, 0x2000);
    STEP_GP0(0xc2, 0x04, 0x00);
    assert_int_equal(fx.cpu.r[R_ESP], FX_STACK);
}

/* ---- LOOP JECXZ --------------------------------------------------------- */

static void test_loop_with_ecx_1_falls_through_with_ecx_0(void **state)
{
    (void)state;
    fx.cpu.r[R_ECX] = 1;
    STEP_TO(FX_CODE + 2, 0xe2, 0xfe);
    assert_int_equal(fx.cpu.r[R_ECX], 0);
}

static void test_loop_with_ecx_0_wraps_and_branches(void **state)
{
    (void)state;
    fx.cpu.r[R_ECX] = 0;
    STEP_TO(FX_CODE, 0xe2, 0xfe);
    assert_int_equal(fx.cpu.r[R_ECX], 0xffffffff);
}

static void test_loop_runs_a_counted_loop_and_keeps_the_flags(void **state)
{
    (void)state;
    /* l: nop; loop l */
    static const uint8_t code[] = { 0x90, 0xe2, 0xfd };
    cpu_set_eflags(&fx.cpu, EFLAGS_FIXED1 | EFLAGS_ZF | EFLAGS_CF);
    fx.cpu.r[R_ECX] = 5;
    assert_int_equal(fx_run_code(&fx, code, sizeof code), CPU_EXIT_BUDGET);
    assert_int_equal(fx.cpu.r[R_ECX], 0);
    assert_int_equal(fx.cpu.icount, 10);
    assert_int_equal(cpu_eflags(&fx.cpu), EFLAGS_FIXED1 | EFLAGS_ZF | EFLAGS_CF);
}

static void test_loop_with_16bit_address_size_counts_in_cx(void **state)
{
    (void)state;
    fx.cpu.r[R_ECX] = 0x00010000;
    STEP_TO(FX_CODE + 3 - 0x10, 0x67, 0xe2, 0xf0);
    assert_int_equal(fx.cpu.r[R_ECX], 0x0001ffff);
    fx.cpu.r[R_ECX] = 0x00030001;
    STEP_TO(FX_CODE + 3, 0x67, 0xe2, 0xf0);
    assert_int_equal(fx.cpu.r[R_ECX], 0x00030000);
}

static void test_loope_and_loopne_also_test_zf(void **state)
{
    (void)state;
    cpu_set_eflags(&fx.cpu, EFLAGS_FIXED1 | EFLAGS_ZF);
    fx.cpu.r[R_ECX] = 3;
    STEP_TO(FX_CODE + 2 + 8, 0xe1, 0x08); /* loope: ZF = 1, ECX 2 */
    STEP_TO(FX_CODE + 2, 0xe0, 0x08);     /* loopne: ZF = 1 falls through, ECX 1 */
    assert_int_equal(fx.cpu.r[R_ECX], 1);
    cpu_set_eflags(&fx.cpu, EFLAGS_FIXED1);
    fx.cpu.r[R_ECX] = 3;
    STEP_TO(FX_CODE + 2 + 8, 0xe0, 0x08); /* loopne: ZF = 0 */
    STEP_TO(FX_CODE + 2, 0xe1, 0x08);     /* loope: ZF = 0 falls through */
    assert_int_equal(fx.cpu.r[R_ECX], 1);
    STEP_TO(FX_CODE + 2, 0xe0, 0x08); /* loopne with ECX 1 -> 0: falls through */
    assert_int_equal(fx.cpu.r[R_ECX], 0);
}

static void test_loop_to_an_invalid_target_faults_without_decrementing(void **state)
{
    (void)state;
    set_cs_limit(0x1050);
    fx.cpu.r[R_ECX] = 7;
    STEP_GP0(0xe2, 0x7f); /* to 0x1081 */
    assert_int_equal(fx.cpu.r[R_ECX], 7);
}

static void test_jecxz_branches_only_when_the_count_is_zero(void **state)
{
    (void)state;
    fx.cpu.r[R_ECX] = 0;
    STEP_TO(FX_CODE + 2 + 0x20, 0xe3, 0x20);
    fx.cpu.r[R_ECX] = 0x00010000;
    STEP_TO(FX_CODE + 2, 0xe3, 0x20);
    STEP_TO(FX_CODE + 3 + 0x20, 0x67, 0xe3, 0x20); /* jcxz: CX is 0 */
    assert_int_equal(fx.cpu.r[R_ECX], 0x00010000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_jmp_relative_forms_add_to_the_next_eip),
        T(test_jmp_indirect_through_register_and_memory),
        T(test_jmp_with_16bit_operand_size_truncates_eip),
        T(test_jmp_beyond_the_cs_limit_raises_gp_at_the_jmp),
        T(test_jcc_branches_only_when_the_condition_holds),
        T(test_jcc_not_taken_ignores_an_invalid_target),
        T(test_call_relative_pushes_the_return_address),
        T(test_call_through_esp_reads_the_target_before_pushing),
        T(test_call_with_16bit_operand_size_pushes_a_word),
        T(test_call_beyond_the_cs_limit_faults_before_pushing),
        T(test_ret_pops_the_return_address),
        T(test_ret_imm16_releases_the_arguments_after_popping),
        T(test_call_then_ret_imm16_round_trip),
        T(test_ret_16bit_pops_a_word),
        T(test_ret_beyond_the_cs_limit_faults_and_keeps_esp),
        T(test_loop_with_ecx_1_falls_through_with_ecx_0),
        T(test_loop_with_ecx_0_wraps_and_branches),
        T(test_loop_runs_a_counted_loop_and_keeps_the_flags),
        T(test_loop_with_16bit_address_size_counts_in_cx),
        T(test_loope_and_loopne_also_test_zf),
        T(test_loop_to_an_invalid_target_faults_without_decrementing),
        T(test_jecxz_branches_only_when_the_count_is_zero),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Multiply and divide: MUL, IMUL in its one-, two- and three-operand forms,
 * DIV, IDIV and their #DE cases (core/cpu/exec_muldiv.c). */
#include "cpu_test.h"

/* Run `code` (one divide) expecting #DE at it, with every register and the
 * flags as they were. */
static void expect_de(const uint8_t *code, size_t len)
{
    uint32_t regs[8];
    memcpy(regs, fx.cpu.r, sizeof regs);
    uint32_t flags = cpu_eflags(&fx.cpu);
    assert_int_equal(fx_run_code(&fx, code, len), CPU_EXIT_EXCEPTION);
    assert_int_equal(fx.cpu.exc.vector, VEC_DE);
    assert_false(fx.cpu.exc.has_error);
    assert_int_equal(fx.cpu.eip, FX_CODE);
    assert_memory_equal(fx.cpu.r, regs, sizeof regs);
    assert_int_equal(cpu_eflags(&fx.cpu), flags);
}
#define EXPECT_DE(...)                                                        \
    do {                                                                      \
        static const uint8_t code_[] = { __VA_ARGS__ };                       \
        expect_de(code_, sizeof code_);                                       \
    } while (0)

/* ---- MUL ---------------------------------------------------------------- */

static void test_mul_byte_widens_into_ax(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0x123456ff;
    fx.cpu.r[R_EBX] = 0xff;
    RUN(0xf6, 0xe3); /* mul bl */
    assert_int_equal(fx.cpu.r[R_EAX], 0x1234fe01);
    assert_int_equal(arith(), CF | OF);
}

static void test_mul_without_a_high_half_clears_cf_and_of(void **state)
{
    (void)state;
    set_flags(CF | OF | AF);
    fx.cpu.r[R_EAX] = 0x10;
    fx.cpu.r[R_EDX] = 0xdeadbeef;
    fx.cpu.r[R_EBX] = 0x10;
    RUN(0xf7, 0xe3); /* mul ebx */
    assert_int_equal(fx.cpu.r[R_EAX], 0x100);
    assert_int_equal(fx.cpu.r[R_EDX], 0);
    /* SF ZF PF from EAX, AF = 0: vlab's choice for undefined flags. */
    assert_int_equal(arith(), PF);
}

static void test_mul_dword_of_max_values(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0xffffffff;
    fx.cpu.r[R_ECX] = 0xffffffff;
    RUN(0xf7, 0xe1); /* mul ecx */
    assert_int_equal(fx.cpu.r[R_EAX], 0x00000001);
    assert_int_equal(fx.cpu.r[R_EDX], 0xfffffffe);
    assert_int_equal(arith() & (CF | OF), CF | OF);
}

static void test_mul_word_uses_dx_ax(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0xaaaa1234;
    fx.cpu.r[R_EDX] = 0xbbbbbbbb;
    fx_write32(&fx, FX_DATA, 0x100);
    fx.cpu.r[R_EBX] = FX_DATA;
    RUN(0x66, 0xf7, 0x23); /* mul word [ebx] */
    assert_int_equal(fx.cpu.r[R_EAX], 0xaaaa3400);
    assert_int_equal(fx.cpu.r[R_EDX], 0xbbbb0012);
    assert_int_equal(arith() & (CF | OF), CF | OF);
}

/* ---- IMUL, one operand -------------------------------------------------- */

static void test_imul_byte_of_minus_one_squared(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0xff;
    fx.cpu.r[R_ECX] = 0xff;
    RUN(0xf6, 0xe9); /* imul cl */
    assert_int_equal(fx.cpu.r[R_EAX], 0x0001);
    assert_int_equal(arith() & (CF | OF), 0);
}

static void test_imul_byte_that_overflows_a_byte(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0x80; /* -128 */
    fx.cpu.r[R_ECX] = 0xff; /* -1 */
    RUN(0xf6, 0xe9); /* imul cl: +128 does not fit in AL */
    assert_int_equal(fx.cpu.r[R_EAX], 0x0080);
    assert_int_equal(arith() & (CF | OF), CF | OF);
}

static void test_imul_dword_sign_extends_into_edx(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0xfffffffe; /* -2 */
    fx.cpu.r[R_EBX] = 3;
    RUN(0xf7, 0xeb); /* imul ebx */
    assert_int_equal(fx.cpu.r[R_EAX], 0xfffffffa);
    assert_int_equal(fx.cpu.r[R_EDX], 0xffffffff);
    assert_int_equal(arith(), SF | PF);

    fx.cpu.r[R_EAX] = 0x80000000;
    fx.cpu.r[R_EBX] = 0x80000000;
    RUN(0xf7, 0xeb); /* imul ebx: 2^62 */
    assert_int_equal(fx.cpu.r[R_EAX], 0);
    assert_int_equal(fx.cpu.r[R_EDX], 0x40000000);
    assert_int_equal(arith() & (CF | OF), CF | OF);
}

/* ---- IMUL, two and three operands --------------------------------------- */

static void test_imul_two_operands_truncates(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0x10000;
    fx.cpu.r[R_EBX] = 0x10000;
    RUN(0x0f, 0xaf, 0xc3); /* imul eax, ebx */
    assert_int_equal(fx.cpu.r[R_EAX], 0);
    assert_int_equal(arith() & (CF | OF), CF | OF);

    fx.cpu.r[R_EAX] = 0xfffffff9; /* -7 */
    fx.cpu.r[R_EBX] = 6;
    RUN(0x0f, 0xaf, 0xc3);
    assert_int_equal(fx.cpu.r[R_EAX], 0xffffffd6); /* -42 */
    assert_int_equal(arith() & (CF | OF), 0);
}

static void test_imul_word_keeps_the_upper_half(void **state)
{
    (void)state;
    fx.cpu.r[R_ECX] = 0x5555ff00; /* -256 */
    fx.cpu.r[R_EBX] = 0x00000080; /* 128 */
    RUN(0x66, 0x0f, 0xaf, 0xcb); /* imul cx, bx: -32768 fits */
    assert_int_equal(fx.cpu.r[R_ECX], 0x55558000);
    assert_int_equal(arith() & (CF | OF), 0);
}

static void test_imul_three_operands_with_imm8_and_imm32(void **state)
{
    (void)state;
    fx.cpu.r[R_EBX] = 100;
    RUN(0x6b, 0xd3, 0xfd); /* imul edx, ebx, -3 */
    assert_int_equal(fx.cpu.r[R_EDX], (uint32_t)-300);
    assert_int_equal(fx.cpu.r[R_EBX], 100);
    assert_int_equal(arith() & (CF | OF), 0);

    RUN(0x69, 0xd3, 0x00, 0x00, 0x00, 0x40); /* imul edx, ebx, 0x40000000 */
    assert_int_equal(fx.cpu.r[R_EDX], 0);
    assert_int_equal(arith() & (CF | OF), CF | OF);
}

static void test_imul_three_operands_word_imm16_is_signed(void **state)
{
    (void)state;
    fx.cpu.r[R_EBX] = 2;
    fx.cpu.r[R_EDX] = 0x77770000;
    RUN(0x66, 0x69, 0xd3, 0xd4, 0xfe); /* imul dx, bx, -300 */
    assert_int_equal(fx.cpu.r[R_EDX], 0x7777fda8); /* -600 */
    assert_int_equal(arith() & (CF | OF), 0);
}

static void test_imul_memory_source(void **state)
{
    (void)state;
    fx_write32(&fx, FX_DATA + 4, 7);
    fx.cpu.r[R_EBX] = FX_DATA;
    fx.cpu.r[R_ECX] = 6;
    RUN(0x0f, 0xaf, 0x4b, 0x04); /* imul ecx, [ebx+4] */
    assert_int_equal(fx.cpu.r[R_ECX], 42);
}

/* ---- DIV ---------------------------------------------------------------- */

static void test_div_byte_puts_quotient_in_al_and_remainder_in_ah(void **state)
{
    (void)state;
    set_flags(CF | ZF);
    fx.cpu.r[R_EAX] = 0xaaaa03e8; /* AX = 1000 */
    fx.cpu.r[R_EBX] = 7;
    RUN(0xf6, 0xf3); /* div bl */
    assert_int_equal(fx.cpu.r[R_EAX], 0xaaaa068e); /* 142 rem 6 */
    assert_int_equal(arith(), CF | ZF);            /* flags untouched */
}

static void test_div_dword_divides_edx_eax(void **state)
{
    (void)state;
    fx.cpu.r[R_EDX] = 0x00000001;
    fx.cpu.r[R_EAX] = 0x00000005; /* 2^32 + 5 */
    fx.cpu.r[R_ECX] = 2;
    RUN(0xf7, 0xf1); /* div ecx */
    assert_int_equal(fx.cpu.r[R_EAX], 0x80000002);
    assert_int_equal(fx.cpu.r[R_EDX], 1);
}

static void test_div_word_from_memory(void **state)
{
    (void)state;
    fx_write32(&fx, FX_DATA, 0x0010);
    fx.cpu.r[R_EBX] = FX_DATA;
    fx.cpu.r[R_EDX] = 0x11110001;
    fx.cpu.r[R_EAX] = 0x22220023; /* DX:AX = 0x10023 */
    RUN(0x66, 0xf7, 0x33); /* div word [ebx] */
    assert_int_equal(fx.cpu.r[R_EAX], 0x22221002);
    assert_int_equal(fx.cpu.r[R_EDX], 0x11110003);
}

static void test_div_by_zero_raises_de_at_the_div(void **state)
{
    (void)state;
    set_flags(SF | OF);
    fx.cpu.r[R_EAX] = 1234;
    fx.cpu.r[R_EDX] = 0;
    fx.cpu.r[R_ECX] = 0;
    EXPECT_DE(0xf7, 0xf1); /* div ecx */
    EXPECT_DE(0xf6, 0xf1); /* div cl */
}

static void test_div_quotient_overflow_raises_de(void **state)
{
    (void)state;
    fx.cpu.r[R_EDX] = 2;
    fx.cpu.r[R_EAX] = 0;
    fx.cpu.r[R_ECX] = 2;   /* quotient 2^32 */
    EXPECT_DE(0xf7, 0xf1); /* div ecx */
    fx.cpu.r[R_EAX] = 0x0200;
    EXPECT_DE(0xf6, 0xf1); /* div cl: 512 / 2 > 255 */
}

/* ---- IDIV --------------------------------------------------------------- */

static void test_idiv_rounds_toward_zero_and_remainder_takes_the_dividend_sign(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = (uint32_t)-7;
    fx.cpu.r[R_EDX] = 0xffffffff;
    fx.cpu.r[R_EBX] = 2;
    RUN(0xf7, 0xfb); /* idiv ebx */
    assert_int_equal(fx.cpu.r[R_EAX], (uint32_t)-3);
    assert_int_equal(fx.cpu.r[R_EDX], (uint32_t)-1);

    fx.cpu.r[R_EAX] = 7;
    fx.cpu.r[R_EDX] = 0;
    fx.cpu.r[R_EBX] = (uint32_t)-2;
    RUN(0xf7, 0xfb);
    assert_int_equal(fx.cpu.r[R_EAX], (uint32_t)-3);
    assert_int_equal(fx.cpu.r[R_EDX], 1);
}

static void test_idiv_byte_and_word(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0xff00; /* AX = -256 */
    fx.cpu.r[R_ECX] = 2;
    RUN(0xf6, 0xf9); /* idiv cl: -128 is the most negative byte */
    assert_int_equal(fx.cpu.r[R_EAX], 0x0080);

    fx.cpu.r[R_EDX] = 0x5555ffff;
    fx.cpu.r[R_EAX] = 0x6666fffb; /* DX:AX = -5 */
    fx.cpu.r[R_ECX] = 0x0003;
    RUN(0x66, 0xf7, 0xf9); /* idiv cx */
    assert_int_equal(fx.cpu.r[R_EAX], 0x6666ffff); /* -1 */
    assert_int_equal(fx.cpu.r[R_EDX], 0x5555fffe); /* -2 */
}

static void test_idiv_of_int_min_by_minus_one_raises_de(void **state)
{
    (void)state;
    fx.cpu.r[R_EDX] = 0xffffffff;
    fx.cpu.r[R_EAX] = 0x80000000;
    fx.cpu.r[R_ECX] = 0xffffffff;
    EXPECT_DE(0xf7, 0xf9); /* idiv ecx: 2^31 does not fit */

    fx.cpu.r[R_EDX] = 0x80000000;
    fx.cpu.r[R_EAX] = 0; /* the most negative 64-bit dividend */
    EXPECT_DE(0xf7, 0xf9);

    fx.cpu.r[R_EAX] = 0xff80; /* AX = -128 */
    EXPECT_DE(0xf6, 0xf9);    /* idiv cl */
}

static void test_idiv_positive_quotient_overflow_raises_de(void **state)
{
    (void)state;
    fx.cpu.r[R_EDX] = 0;
    fx.cpu.r[R_EAX] = 0x0100; /* AX = 256 */
    fx.cpu.r[R_ECX] = 2;      /* 128 > 127 */
    EXPECT_DE(0xf6, 0xf9);    /* idiv cl */
    fx.cpu.r[R_EAX] = 0x0000;
    EXPECT_DE(0xf6, 0xf8);    /* idiv al: AL = 0 */
}

static void test_idiv_by_zero_in_memory_raises_de(void **state)
{
    (void)state;
    fx_write32(&fx, FX_DATA, 0);
    fx.cpu.r[R_EBX] = FX_DATA;
    fx.cpu.r[R_EAX] = 1;
    EXPECT_DE(0xf7, 0x3b); /* idiv dword [ebx] */
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_mul_byte_widens_into_ax),
        T(test_mul_without_a_high_half_clears_cf_and_of),
        T(test_mul_dword_of_max_values),
        T(test_mul_word_uses_dx_ax),
        T(test_imul_byte_of_minus_one_squared),
        T(test_imul_byte_that_overflows_a_byte),
        T(test_imul_dword_sign_extends_into_edx),
        T(test_imul_two_operands_truncates),
        T(test_imul_word_keeps_the_upper_half),
        T(test_imul_three_operands_with_imm8_and_imm32),
        T(test_imul_three_operands_word_imm16_is_signed),
        T(test_imul_memory_source),
        T(test_div_byte_puts_quotient_in_al_and_remainder_in_ah),
        T(test_div_dword_divides_edx_eax),
        T(test_div_word_from_memory),
        T(test_div_by_zero_raises_de_at_the_div),
        T(test_div_quotient_overflow_raises_de),
        T(test_idiv_rounds_toward_zero_and_remainder_takes_the_dividend_sign),
        T(test_idiv_byte_and_word),
        T(test_idiv_of_int_min_by_minus_one_raises_de),
        T(test_idiv_positive_quotient_overflow_raises_de),
        T(test_idiv_by_zero_in_memory_raises_de),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

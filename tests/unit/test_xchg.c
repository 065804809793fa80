/* Exchanges: XCHG, CMPXCHG, CMPXCHG8B, XADD (core/cpu/exec_xchg.c). */
#include "cpu_test.h"

/* Make DS a read-only data segment, so writes through it raise #GP(0). */
static void make_ds_read_only(void)
{
    fx.cpu.seg[S_DS].ar &= ~0x2u;
    seg_cache_update(&fx.cpu.seg[S_DS]);
}

/* Run one instruction that must raise #GP(0) at itself. */
static void expect_gp0(const uint8_t *code, size_t len)
{
    assert_int_equal(fx_run_code(&fx, code, len), CPU_EXIT_EXCEPTION);
    assert_int_equal(fx.cpu.exc.vector, VEC_GP);
    assert_int_equal(fx.cpu.exc.error, 0);
    assert_int_equal(fx.cpu.eip, FX_CODE);
}
#define EXPECT_GP0(...)                                                       \
    do {                                                                      \
        static const uint8_t code_[] = { __VA_ARGS__ };                       \
        expect_gp0(code_, sizeof code_);                                      \
    } while (0)

/* ---- XCHG --------------------------------------------------------------- */

static void test_xchg_short_form_swaps_with_eax(void **state)
{
    (void)state;
    set_flags(CF | ZF);
    fx.cpu.r[R_EAX] = 1;
    fx.cpu.r[R_EDI] = 2;
    RUN(0x97); /* xchg edi, eax */
    assert_int_equal(fx.cpu.r[R_EAX], 2);
    assert_int_equal(fx.cpu.r[R_EDI], 1);
    RUN(0x66, 0x91); /* xchg cx, ax */
    assert_int_equal(fx.cpu.r[R_EAX], 0);
    assert_int_equal(fx.cpu.r[R_ECX], 2);
    assert_int_equal(arith(), CF | ZF);
}

static void test_xchg_byte_registers(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0x12345678;
    RUN(0x86, 0xc4); /* xchg ah, al */
    assert_int_equal(fx.cpu.r[R_EAX], 0x12347856);
}

static void test_xchg_with_memory(void **state)
{
    (void)state;
    fx_write32(&fx, FX_DATA, 0xaaaaaaaa);
    fx.cpu.r[R_EBX] = FX_DATA;
    fx.cpu.r[R_ECX] = 0x55555555;
    RUN(0x87, 0x0b); /* xchg [ebx], ecx */
    assert_int_equal(fx_read32(&fx, FX_DATA), 0x55555555);
    assert_int_equal(fx.cpu.r[R_ECX], 0xaaaaaaaa);
}

static void test_xchg_write_fault_leaves_the_register(void **state)
{
    (void)state;
    make_ds_read_only();
    fx_write32(&fx, FX_DATA, 0xaaaaaaaa);
    fx.cpu.r[R_EBX] = FX_DATA;
    fx.cpu.r[R_ECX] = 0x55555555;
    EXPECT_GP0(0x87, 0x0b); /* xchg [ebx], ecx */
    assert_int_equal(fx.cpu.r[R_ECX], 0x55555555);
    assert_int_equal(fx_read32(&fx, FX_DATA), 0xaaaaaaaa);
}

/* ---- CMPXCHG ------------------------------------------------------------ */

static void test_cmpxchg_equal_stores_the_source(void **state)
{
    (void)state;
    fx_write32(&fx, FX_DATA, 5);
    fx.cpu.r[R_EBX] = FX_DATA;
    fx.cpu.r[R_EAX] = 5;
    fx.cpu.r[R_ECX] = 9;
    RUN(0x0f, 0xb1, 0x0b); /* cmpxchg [ebx], ecx */
    assert_int_equal(fx_read32(&fx, FX_DATA), 9);
    assert_int_equal(fx.cpu.r[R_EAX], 5);
    assert_int_equal(arith(), ZF | PF);
}

static void test_cmpxchg_unequal_loads_the_accumulator(void **state)
{
    (void)state;
    fx_write32(&fx, FX_DATA, 7);
    fx.cpu.r[R_EBX] = FX_DATA;
    fx.cpu.r[R_EAX] = 5;
    fx.cpu.r[R_ECX] = 9;
    RUN(0x0f, 0xb1, 0x0b); /* cmpxchg [ebx], ecx */
    assert_int_equal(fx_read32(&fx, FX_DATA), 7);
    assert_int_equal(fx.cpu.r[R_EAX], 7);
    assert_int_equal(arith(), CF | SF | AF); /* flags of cmp 5, 7 */
}

static void test_cmpxchg_unequal_still_writes_memory(void **state)
{
    (void)state;
    make_ds_read_only();
    fx_write32(&fx, FX_DATA, 7);
    fx.cpu.r[R_EBX] = FX_DATA;
    fx.cpu.r[R_EAX] = 5;
    EXPECT_GP0(0x0f, 0xb1, 0x0b); /* cmpxchg [ebx], ecx */
    assert_int_equal(fx.cpu.r[R_EAX], 5);
}

static void test_cmpxchg_byte_and_word_registers(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0x11111122;
    fx.cpu.r[R_EBX] = 0x33333322;
    fx.cpu.r[R_EDX] = 0x44444444;
    RUN(0x0f, 0xb0, 0xd3); /* cmpxchg bl, dl */
    assert_int_equal(fx.cpu.r[R_EBX], 0x33333344);
    assert_int_equal(arith() & ZF, ZF);
    RUN(0x66, 0x0f, 0xb1, 0xd3); /* cmpxchg bx, dx: 0x1122 != 0x3344 */
    assert_int_equal(fx.cpu.r[R_EAX], 0x11113344);
    assert_int_equal(fx.cpu.r[R_EBX], 0x33333344);
    assert_int_equal(arith() & ZF, 0);
}

/* ---- CMPXCHG8B ---------------------------------------------------------- */

static void test_cmpxchg8b_equal_stores_ecx_ebx(void **state)
{
    (void)state;
    set_flags(CF | SF);
    fx_write32(&fx, FX_DATA, 0x11111111);
    fx_write32(&fx, FX_DATA + 4, 0x22222222);
    fx.cpu.r[R_ESI] = FX_DATA;
    fx.cpu.r[R_EAX] = 0x11111111;
    fx.cpu.r[R_EDX] = 0x22222222;
    fx.cpu.r[R_EBX] = 0x33333333;
    fx.cpu.r[R_ECX] = 0x44444444;
    RUN(0x0f, 0xc7, 0x0e); /* cmpxchg8b [esi] */
    assert_int_equal(fx_read32(&fx, FX_DATA), 0x33333333);
    assert_int_equal(fx_read32(&fx, FX_DATA + 4), 0x44444444);
    assert_int_equal(fx.cpu.r[R_EAX], 0x11111111);
    assert_int_equal(fx.cpu.r[R_EDX], 0x22222222);
    assert_int_equal(arith(), CF | SF | ZF); /* only ZF changes */
}

static void test_cmpxchg8b_unequal_loads_edx_eax(void **state)
{
    (void)state;
    set_flags(ZF | PF);
    fx_write32(&fx, FX_DATA, 0x11111111);
    fx_write32(&fx, FX_DATA + 4, 0x22222222);
    fx.cpu.r[R_ESI] = FX_DATA;
    fx.cpu.r[R_EAX] = 0x11111111;
    fx.cpu.r[R_EDX] = 0x22222223;
    RUN(0x0f, 0xc7, 0x0e); /* cmpxchg8b [esi] */
    assert_int_equal(fx.cpu.r[R_EAX], 0x11111111);
    assert_int_equal(fx.cpu.r[R_EDX], 0x22222222);
    assert_int_equal(fx_read32(&fx, FX_DATA + 4), 0x22222222);
    assert_int_equal(arith(), PF);
}

static void test_cmpxchg8b_write_fault_changes_nothing(void **state)
{
    (void)state;
    make_ds_read_only();
    fx.cpu.r[R_ESI] = FX_DATA;
    fx.cpu.r[R_EAX] = 1; /* memory holds 0: unequal */
    EXPECT_GP0(0x0f, 0xc7, 0x0e); /* cmpxchg8b [esi] */
    assert_int_equal(fx.cpu.r[R_EAX], 1);
}

/* ---- XADD --------------------------------------------------------------- */

static void test_xadd_memory_exchanges_and_adds(void **state)
{
    (void)state;
    fx_write32(&fx, FX_DATA, 0xffffffff);
    fx.cpu.r[R_EBX] = FX_DATA;
    fx.cpu.r[R_EDX] = 2;
    RUN(0x0f, 0xc1, 0x13); /* xadd [ebx], edx */
    assert_int_equal(fx_read32(&fx, FX_DATA), 1);
    assert_int_equal(fx.cpu.r[R_EDX], 0xffffffff);
    assert_int_equal(arith(), CF | AF);
}

static void test_xadd_same_register_keeps_the_sum(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0x40000000;
    RUN(0x0f, 0xc1, 0xc0); /* xadd eax, eax */
    assert_int_equal(fx.cpu.r[R_EAX], 0x80000000);
    assert_int_equal(arith(), OF | SF | PF);
}

static void test_xadd_byte_registers(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0x00000300;
    fx.cpu.r[R_EBX] = 0x00000004;
    RUN(0x0f, 0xc0, 0xe3); /* xadd bl, ah */
    assert_int_equal(fx.cpu.r[R_EBX], 0x00000007);
    assert_int_equal(fx.cpu.r[R_EAX], 0x00000400);
}

static void test_xadd_write_fault_leaves_the_register(void **state)
{
    (void)state;
    make_ds_read_only();
    fx.cpu.r[R_EBX] = FX_DATA;
    fx.cpu.r[R_EDX] = 2;
    EXPECT_GP0(0x0f, 0xc1, 0x13); /* xadd [ebx], edx */
    assert_int_equal(fx.cpu.r[R_EDX], 2);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_xchg_short_form_swaps_with_eax),
        T(test_xchg_byte_registers),
        T(test_xchg_with_memory),
        T(test_xchg_write_fault_leaves_the_register),
        T(test_cmpxchg_equal_stores_the_source),
        T(test_cmpxchg_unequal_loads_the_accumulator),
        T(test_cmpxchg_unequal_still_writes_memory),
        T(test_cmpxchg_byte_and_word_registers),
        T(test_cmpxchg8b_equal_stores_ecx_ebx),
        T(test_cmpxchg8b_unequal_loads_edx_eax),
        T(test_cmpxchg8b_write_fault_changes_nothing),
        T(test_xadd_memory_exchanges_and_adds),
        T(test_xadd_same_register_keeps_the_sum),
        T(test_xadd_byte_registers),
        T(test_xadd_write_fault_leaves_the_register),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* What the instruction tests share: one fixture per test (set up and torn
 * down by cmocka), macros that run instruction bytes, and the flags.
 *
 *   RUN(bytes...)                 run the bytes to their end (no exception)
 *   RUN_FAULT(vec, err, bytes...) run them: the first must raise vec(err)
 *   STEP(bytes...)                execute exactly one instruction (no exception)
 *   STEP_FAULT(vec, err, bytes...) the one instruction must raise vec(err)
 *   arith()                       the six arithmetic flags now
 *   set_flags(f)                  EFLAGS = f (plus the fixed bit 1)
 *
 * Include it once, from a test program's .c file. */
#ifndef VLAB_CPU_TEST_H
#define VLAB_CPU_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cpu_internal.h"
#include "fixture.h"

#define CF EFLAGS_CF
#define PF EFLAGS_PF
#define AF EFLAGS_AF
#define ZF EFLAGS_ZF
#define SF EFLAGS_SF
#define OF EFLAGS_OF

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

/* Run instruction bytes at FX_CODE to their end. */
#define RUN(...)                                                              \
    do {                                                                      \
        static const uint8_t code_[] = { __VA_ARGS__ };                       \
        assert_int_equal(fx_run_code(&fx, code_, sizeof code_), CPU_EXIT_BUDGET); \
        assert_int_equal(fx.cpu.eip, FX_CODE + sizeof code_);                 \
    } while (0)

/* Run instruction bytes that must fault at their first instruction. */
#define RUN_FAULT(vec, err, ...)                                              \
    do {                                                                      \
        static const uint8_t code_[] = { __VA_ARGS__ };                       \
        assert_int_equal(fx_run_code(&fx, code_, sizeof code_), CPU_EXIT_EXCEPTION); \
        assert_int_equal(fx.cpu.exc.vector, (vec));                           \
        assert_int_equal(fx.cpu.exc.error, (err));                            \
        assert_int_equal(fx.cpu.eip, FX_CODE);                                \
    } while (0)

/* Execute exactly one instruction, placed at FX_CODE. */
static inline enum cpu_exit step(const uint8_t *code, size_t len)
{
    fx_write(&fx, FX_CODE, code, len);
    fx.cpu.eip = FX_CODE;
    return cpu_step(&fx.cpu);
}

#define STEP(...)                                                             \
    do {                                                                      \
        static const uint8_t code_[] = { __VA_ARGS__ };                       \
        assert_int_equal(step(code_, sizeof code_), CPU_EXIT_BUDGET);         \
        assert_int_equal(fx.cpu.eip, FX_CODE + sizeof code_);                 \
    } while (0)

/* One instruction that must fault with `vec` and error code `err`, leaving
 * EIP at it. */
#define STEP_FAULT(vec, err, ...)                                             \
    do {                                                                      \
        static const uint8_t code_[] = { __VA_ARGS__ };                       \
        assert_int_equal(step(code_, sizeof code_), CPU_EXIT_EXCEPTION);      \
        assert_int_equal(fx.cpu.exc.vector, (vec));                           \
        assert_int_equal(fx.cpu.exc.error, (err));                            \
        assert_int_equal(fx.cpu.eip, FX_CODE);                                \
    } while (0)

static inline uint32_t arith(void) { return cpu_eflags(&fx.cpu) & EFLAGS_ARITH; }

static inline void set_flags(uint32_t f) { cpu_set_eflags(&fx.cpu, EFLAGS_FIXED1 | f); }

#endif

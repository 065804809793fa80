/* String instructions: MOVS CMPS STOS LODS SCAS INS OUTS with and without
 * REP/REPE/REPNE (core/cpu/exec_string.c). */
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
/* Run one instruction to completion (however many dispatches it takes). */
#define RUN(...)                                                              \
    do {                                                                      \
        static const uint8_t code_[] = { __VA_ARGS__ };                       \
        enum cpu_exit why_ = fx_run_code(&fx, code_, sizeof code_);           \
        assert_int_equal(why_, CPU_EXIT_BUDGET);                              \
        assert_int_equal(fx.cpu.eip, FX_CODE + sizeof code_);                 \
    } while (0)

#define SRC FX_DATA
#define DST (FX_DATA + 0x1000)

static void read_mem(gpa_t gpa, void *buf, size_t len)
{
    physmem_read(&fx.mem, gpa, buf, len);
}

static void set_regs(uint32_t esi, uint32_t edi, uint32_t ecx)
{
    fx.cpu.r[R_ESI] = esi;
    fx.cpu.r[R_EDI] = edi;
    fx.cpu.r[R_ECX] = ecx;
}

static void assert_regs(uint32_t esi, uint32_t edi, uint32_t ecx)
{
    assert_int_equal(fx.cpu.r[R_ESI], esi);
    assert_int_equal(fx.cpu.r[R_EDI], edi);
    assert_int_equal(fx.cpu.r[R_ECX], ecx);
}

static void set_df(void)
{
    cpu_set_eflags(&fx.cpu, EFLAGS_FIXED1 | EFLAGS_DF);
}

/* ---- MOVS --------------------------------------------------------------- */

static void test_movsb_moves_one_byte_and_steps_by_df(void **state)
{
    (void)state;
    fx_write(&fx, SRC, "xy", 2);
    set_regs(SRC, DST, 5);
    RUN(0xa4);
    assert_regs(SRC + 1, DST + 1, 5);
    set_df();
    RUN(0xa4);
    assert_regs(SRC, DST, 5);
    char got[2];
    read_mem(DST, got, 2);
    assert_memory_equal(got, "xy", 2);
}

static void test_rep_movsb_copies_ecx_bytes_forward(void **state)
{
    (void)state;
    uint8_t buf[100], got[101];
    for (unsigned k = 0; k < sizeof buf; k++)
        buf[k] = (uint8_t)(k * 7 + 1);
    fx_write(&fx, SRC, buf, sizeof buf);
    set_regs(SRC, DST, sizeof buf);
    RUN(0xf3, 0xa4);
    assert_regs(SRC + 100, DST + 100, 0);
    read_mem(DST, got, sizeof got);
    assert_memory_equal(got, buf, sizeof buf);
    assert_int_equal(got[100], 0);
    assert_int_equal(fx.cpu.icount, 1);
}

static void test_rep_movsd_backward_copies_from_the_end(void **state)
{
    (void)state;
    uint32_t buf[8], got[8];
    for (unsigned k = 0; k < 8; k++)
        buf[k] = 0x01010101u * (k + 1);
    fx_write(&fx, SRC, buf, sizeof buf);
    set_df();
    set_regs(SRC + 28, DST + 28, 8);
    RUN(0xf3, 0xa5);
    assert_regs(SRC - 4, DST - 4, 0);
    read_mem(DST, got, sizeof got);
    assert_memory_equal(got, buf, sizeof buf);
    assert_int_equal(fx_read32(&fx, DST - 4), 0);
}

static void test_rep_movsb_forward_overlap_replicates_the_first_byte(void **state)
{
    (void)state;
    char got[9];
    fx_write(&fx, SRC, "ABCDEFGHI", 9);
    set_regs(SRC, SRC + 1, 8);
    RUN(0xf3, 0xa4);
    read_mem(SRC, got, 9);
    assert_memory_equal(got, "AAAAAAAAA", 9);
}

static void test_rep_movsb_backward_overlap_moves_like_memmove(void **state)
{
    (void)state;
    char got[9];
    fx_write(&fx, SRC, "ABCDEFGHI", 9);
    set_df();
    set_regs(SRC + 7, SRC + 8, 8);
    RUN(0xf3, 0xa4);
    read_mem(SRC, got, 9);
    assert_memory_equal(got, "AABCDEFGH", 9);
    assert_regs(SRC - 1, SRC, 0);
}

static void test_repne_prefix_on_movs_repeats_like_rep(void **state)
{
    (void)state;
    fx_write(&fx, SRC, "abcd", 4);
    set_regs(SRC, DST, 4);
    RUN(0xf2, 0xa4);
    assert_regs(SRC + 4, DST + 4, 0);
    assert_int_equal(fx_read32(&fx, DST), 0x64636261);
}

static void test_rep_movs_faulting_midway_keeps_the_progress_made(void **state)
{
    (void)state;
    fx_write(&fx, SRC, "0123456789", 10);
    fx.cpu.seg[S_ES].limit = DST + 3; /* four bytes of room at DST */
    seg_cache_update(&fx.cpu.seg[S_ES]);
    set_regs(SRC, DST, 10);
    static const uint8_t code[] = { 0xf3, 0xa4 };
    assert_int_equal(step(code, sizeof code), CPU_EXIT_EXCEPTION);
    assert_int_equal(fx.cpu.exc.vector, VEC_GP);
    assert_int_equal(fx.cpu.exc.error, 0);
    assert_int_equal(fx.cpu.eip, FX_CODE);
    assert_regs(SRC + 4, DST + 4, 6);
    assert_int_equal(fx_read32(&fx, DST), 0x33323130);
    assert_int_equal(fx_read32(&fx, DST + 4), 0);
}

static void test_rep_movsd_faulting_on_a_straddling_element_copies_none_of_it(void **state)
{
    (void)state;
    fx_write32(&fx, SRC, 0x11111111);
    fx_write32(&fx, SRC + 4, 0x22222222);
    fx.cpu.seg[S_ES].limit = DST + 5;
    seg_cache_update(&fx.cpu.seg[S_ES]);
    set_regs(SRC, DST, 3);
    static const uint8_t code[] = { 0xf3, 0xa5 };
    assert_int_equal(step(code, sizeof code), CPU_EXIT_EXCEPTION);
    assert_int_equal(fx.cpu.exc.vector, VEC_GP);
    assert_int_equal(fx.cpu.eip, FX_CODE);
    assert_regs(SRC + 4, DST + 4, 2);
    assert_int_equal(fx_read32(&fx, DST + 4), 0);
}

static void test_long_rep_runs_in_bounded_slices_and_resumes(void **state)
{
    (void)state;
    static const uint8_t code[] = { 0xf3, 0xaa }; /* rep stosb */
    fx.cpu.r[R_EAX] = 0x5a;
    set_regs(0, DST, 10000);
    assert_int_equal(step(code, sizeof code), CPU_EXIT_BUDGET);
    assert_int_equal(fx.cpu.eip, FX_CODE);
    assert_regs(0, DST + 4096, 10000 - 4096);
    assert_int_equal(fx.cpu.icount, 1);
    assert_int_equal(cpu_run(&fx.cpu, 2), CPU_EXIT_BUDGET); /* two more slices */
    assert_int_equal(fx.cpu.eip, FX_CODE + 2);
    assert_int_equal(fx.cpu.icount, 3);
    assert_regs(0, DST + 10000, 0);
    uint8_t got[2];
    read_mem(DST + 9999, got, 2);
    assert_int_equal(got[0], 0x5a);
    assert_int_equal(got[1], 0);
}

/* ---- CMPS SCAS ---------------------------------------------------------- */

static void test_repe_cmpsb_stops_at_the_first_difference(void **state)
{
    (void)state;
    fx_write(&fx, SRC, "abcdef", 6);
    fx_write(&fx, DST, "abcXef", 6);
    set_regs(SRC, DST, 6);
    RUN(0xf3, 0xa6);
    assert_regs(SRC + 4, DST + 4, 2);
    /* 'd' - 'X' = 0x64 - 0x58 = 0x0c: no borrow, positive, PF (two bits set) */
    assert_int_equal(cpu_eflags(&fx.cpu) & EFLAGS_ARITH, EFLAGS_PF | EFLAGS_AF);
}

static void test_repe_cmpsb_over_equal_strings_runs_out_the_count(void **state)
{
    (void)state;
    fx_write(&fx, SRC, "same", 4);
    fx_write(&fx, DST, "same", 4);
    set_regs(SRC, DST, 4);
    RUN(0xf3, 0xa6);
    assert_regs(SRC + 4, DST + 4, 0);
    assert_true(cpu_eflags(&fx.cpu) & EFLAGS_ZF);
}

static void test_repne_cmpsb_stops_at_the_first_match(void **state)
{
    (void)state;
    fx_write(&fx, SRC, "abcd", 4);
    fx_write(&fx, DST, "xycz", 4);
    set_regs(SRC, DST, 4);
    RUN(0xf2, 0xa6);
    assert_regs(SRC + 3, DST + 3, 1);
    assert_true(cpu_eflags(&fx.cpu) & EFLAGS_ZF);
}

static void test_cmpsd_flags_are_source_minus_destination(void **state)
{
    (void)state;
    fx_write32(&fx, SRC, 1);
    fx_write32(&fx, DST, 2);
    set_regs(SRC, DST, 0);
    RUN(0xa7);
    assert_int_equal(cpu_eflags(&fx.cpu) & EFLAGS_ARITH, EFLAGS_CF | EFLAGS_SF | EFLAGS_PF | EFLAGS_AF);
    assert_regs(SRC + 4, DST + 4, 0);
}

static void test_rep_cmps_with_ecx_zero_leaves_the_flags(void **state)
{
    (void)state;
    cpu_set_eflags(&fx.cpu, EFLAGS_FIXED1 | EFLAGS_CF | EFLAGS_OF);
    set_regs(SRC, DST, 0);
    RUN(0xf3, 0xa6);
    assert_regs(SRC, DST, 0);
    assert_int_equal(cpu_eflags(&fx.cpu), EFLAGS_FIXED1 | EFLAGS_CF | EFLAGS_OF);
}

static void test_repne_scasb_finds_the_terminator(void **state)
{
    (void)state;
    fx_write(&fx, DST, "hello", 6);
    fx.cpu.r[R_EAX] = 0xffffff00; /* AL = 0 */
    set_regs(0, DST, 0xffffffff);
    RUN(0xf2, 0xae);
    /* The strlen idiom: ECX = -(length + 2). */
    assert_regs(0, DST + 6, (uint32_t)-7);
    assert_true(cpu_eflags(&fx.cpu) & EFLAGS_ZF);
}

static void test_scasw_flags_are_accumulator_minus_memory(void **state)
{
    (void)state;
    fx_write(&fx, DST, "\x00\x80", 2); /* 0x8000 */
    fx.cpu.r[R_EAX] = 0x7fff;
    set_regs(0, DST, 0);
    RUN(0x66, 0xaf);
    /* 0x7fff - 0x8000 = 0xffff: borrow and signed overflow */
    assert_int_equal(cpu_eflags(&fx.cpu) & EFLAGS_ARITH, EFLAGS_CF | EFLAGS_OF | EFLAGS_SF | EFLAGS_PF);
    assert_int_equal(fx.cpu.r[R_EDI], DST + 2);
}

/* ---- STOS LODS ---------------------------------------------------------- */

static void test_rep_stos_with_ecx_zero_does_nothing(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0xffffffff;
    set_regs(SRC, DST, 0);
    RUN(0xf3, 0xab);
    assert_regs(SRC, DST, 0);
    assert_int_equal(fx_read32(&fx, DST), 0);
}

static void test_rep_stosd_fills_dwords(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0xcafebabe;
    set_regs(0, DST, 3);
    RUN(0xf3, 0xab);
    assert_regs(0, DST + 12, 0);
    for (unsigned k = 0; k < 3; k++)
        assert_int_equal(fx_read32(&fx, DST + 4 * k), 0xcafebabe);
    assert_int_equal(fx_read32(&fx, DST + 12), 0);
}

static void test_stos_ignores_a_segment_override(void **state)
{
    (void)state;
    fx.cpu.seg[S_FS].base = 0x100;
    seg_cache_update(&fx.cpu.seg[S_FS]);
    fx.cpu.r[R_EAX] = 0x77;
    set_regs(0, DST, 0);
    RUN(0x64, 0xaa); /* stos byte es:[edi], al (the fs prefix does not apply) */
    assert_int_equal(fx_read32(&fx, DST), 0x77);
    assert_int_equal(fx_read32(&fx, DST + 0x100), 0);
}

static void test_lods_reads_through_a_segment_override(void **state)
{
    (void)state;
    fx.cpu.seg[S_GS].base = 0x100;
    seg_cache_update(&fx.cpu.seg[S_GS]);
    fx_write32(&fx, SRC + 0x100, 0x89abcdef);
    fx.cpu.r[R_EAX] = 0x11111111;
    set_regs(SRC, DST, 0);
    RUN(0x65, 0x66, 0xad); /* lods ax, gs:[esi] */
    assert_int_equal(fx.cpu.r[R_EAX], 0x1111cdef);
    assert_regs(SRC + 2, DST, 0);
}

static void test_string_with_16bit_address_size_uses_si_di_cx_and_wraps(void **state)
{
    (void)state;
    fx_write(&fx, 0xffff, "\x42", 1);
    set_regs(0x1234ffff, 0x5678fffe, 0xabcd0002);
    RUN(0xf3, 0x67, 0xa4); /* rep movs byte es:[di], ds:[si] */
    assert_regs(0x12340001, 0x56780000, 0xabcd0000);
    char got[2];
    read_mem(0xfffe, got, 2);
    assert_int_equal(got[0], 0x42);
}

/* ---- INS OUTS ----------------------------------------------------------- */

#define PORT 0x3e0

struct port_dev {
    uint8_t out[16];
    unsigned nout, nin;
    unsigned last_size;
};
static struct port_dev dev;

static uint32_t dev_read(void *opaque, uint64_t offset, unsigned size)
{
    struct port_dev *d = opaque;
    (void)offset;
    d->last_size = size;
    return 0x1100u + d->nin++;
}

static void dev_write(void *opaque, uint64_t offset, unsigned size, uint32_t value)
{
    struct port_dev *d = opaque;
    (void)offset;
    d->last_size = size;
    if (d->nout < sizeof d->out)
        d->out[d->nout++] = (uint8_t)value;
}

static const struct bus_ops dev_ops = { dev_read, dev_write };

static void add_dev(void)
{
    dev = (struct port_dev){ 0 };
    assert_int_equal(bus_add_pio(&fx.bus, PORT, 4, &dev_ops, &dev, "test"), 0);
    fx.cpu.r[R_EDX] = PORT;
}

static void test_rep_outsb_sends_each_byte_to_the_port(void **state)
{
    (void)state;
    add_dev();
    fx_write(&fx, SRC, "ping", 4);
    set_regs(SRC, DST, 4);
    RUN(0xf3, 0x6e);
    assert_int_equal(dev.nout, 4);
    assert_memory_equal(dev.out, "ping", 4);
    assert_int_equal(dev.last_size, 1);
    assert_regs(SRC + 4, DST, 0);
}

static void test_rep_insw_stores_each_word_read_from_the_port(void **state)
{
    (void)state;
    add_dev();
    set_regs(SRC, DST, 3);
    RUN(0xf3, 0x66, 0x6d);
    assert_int_equal(dev.nin, 3);
    assert_int_equal(dev.last_size, 2);
    assert_int_equal(fx_read32(&fx, DST), 0x11011100);
    assert_int_equal(fx_read32(&fx, DST + 4), 0x1102);
    assert_regs(SRC, DST + 6, 0);
}

static void test_ins_into_a_bad_destination_does_not_read_the_port(void **state)
{
    (void)state;
    add_dev();
    fx.cpu.seg[S_ES].limit = DST - 1;
    seg_cache_update(&fx.cpu.seg[S_ES]);
    set_regs(SRC, DST, 0);
    static const uint8_t code[] = { 0x6c };
    assert_int_equal(step(code, sizeof code), CPU_EXIT_EXCEPTION);
    assert_int_equal(fx.cpu.exc.vector, VEC_GP);
    assert_int_equal(dev.nin, 0);
    assert_regs(SRC, DST, 0);
}

static void test_ins_without_io_permission_faults_before_touching_anything(void **state)
{
    (void)state;
    add_dev();
    cpu_set_flat(&fx.cpu, 3);           /* CPL 3 > IOPL 0 */
    fx.cpu.tr.limit = 0x67;            /* a TSS without an I/O bitmap */
    fx.cpu.seg[S_ES].limit = DST - 1;  /* the destination would fault too */
    seg_cache_update(&fx.cpu.seg[S_ES]);
    set_regs(SRC, DST, 2);
    static const uint8_t code[] = { 0xf3, 0x6c };
    assert_int_equal(step(code, sizeof code), CPU_EXIT_EXCEPTION);
    assert_int_equal(fx.cpu.exc.vector, VEC_GP);
    assert_int_equal(fx.cpu.exc.error, 0);
    assert_int_equal(fx.cpu.eip, FX_CODE);
    assert_int_equal(dev.nin, 0);
    assert_regs(SRC, DST, 2);
}

static void test_outs_at_cpl3_with_iopl3_is_allowed(void **state)
{
    (void)state;
    add_dev();
    cpu_set_flat(&fx.cpu, 3);
    cpu_set_eflags(&fx.cpu, EFLAGS_FIXED1 | EFLAGS_IOPL);
    fx.cpu.tr.limit = 0x67;
    fx_write(&fx, SRC, "!", 1);
    set_regs(SRC, DST, 0);
    RUN(0x6e);
    assert_int_equal(dev.nout, 1);
    assert_int_equal(dev.out[0], '!');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_movsb_moves_one_byte_and_steps_by_df),
        T(test_rep_movsb_copies_ecx_bytes_forward),
        T(test_rep_movsd_backward_copies_from_the_end),
        T(test_rep_movsb_forward_overlap_replicates_the_first_byte),
        T(test_rep_movsb_backward_overlap_moves_like_memmove),
        T(test_repne_prefix_on_movs_repeats_like_rep),
        T(test_rep_movs_faulting_midway_keeps_the_progress_made),
        T(test_rep_movsd_faulting_on_a_straddling_element_copies_none_of_it),
        T(test_long_rep_runs_in_bounded_slices_and_resumes),
        T(test_repe_cmpsb_stops_at_the_first_difference),
        T(test_repe_cmpsb_over_equal_strings_runs_out_the_count),
        T(test_repne_cmpsb_stops_at_the_first_match),
        T(test_cmpsd_flags_are_source_minus_destination),
        T(test_rep_cmps_with_ecx_zero_leaves_the_flags),
        T(test_repne_scasb_finds_the_terminator),
        T(test_scasw_flags_are_accumulator_minus_memory),
        T(test_rep_stos_with_ecx_zero_does_nothing),
        T(test_rep_stosd_fills_dwords),
        T(test_stos_ignores_a_segment_override),
        T(test_lods_reads_through_a_segment_override),
        T(test_string_with_16bit_address_size_uses_si_di_cx_and_wraps),
        T(test_rep_outsb_sends_each_byte_to_the_port),
        T(test_rep_insw_stores_each_word_read_from_the_port),
        T(test_ins_into_a_bad_destination_does_not_read_the_port),
        T(test_ins_without_io_permission_faults_before_touching_anything),
        T(test_outs_at_cpl3_with_iopl3_is_allowed),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

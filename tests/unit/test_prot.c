/* LAR, LSL, VERR, VERW and ARPL (core/cpu/exec_prot.c), on a GDT with
 * descriptors of several types and privilege levels. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>

#include "fixture.h"

#define RUN(fx, ...) \
    fx_run_code((fx), (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

#define GDT 0x20000u
#define LDT 0x50000u

/* The GDT every test gets. */
static const uint64_t *gdt(void)
{
    static uint64_t g[16];
    g[0x08 / 8] = fx_desc(0, 0xfffff, 0x9a, 0xc);     /* code, DPL 0, readable */
    g[0x10 / 8] = fx_desc(0, 0xfffff, 0x92, 0xc);     /* data, DPL 0, writable */
    g[0x18 / 8] = fx_desc(0, 0xfffff, 0xfa, 0xc);     /* code, DPL 3, readable */
    g[0x20 / 8] = fx_desc(0, 0xfffff, 0xf2, 0xc);     /* data, DPL 3, writable */
    g[0x28 / 8] = fx_desc(0x1000, 0xffff, 0x90, 0x4); /* data, DPL 0, read-only */
    g[0x30 / 8] = fx_desc(0, 0xfffff, 0xf8, 0xc);     /* code, DPL 3, execute-only */
    g[0x38 / 8] = fx_desc(0, 0xfffff, 0x9e, 0xc);     /* conforming code, DPL 0, readable */
    g[0x40 / 8] = fx_desc(0x30000, 0x67, 0x89, 0);    /* 32-bit TSS, available */
    g[0x48 / 8] = fx_desc(LDT, 0x27, 0x82, 0);        /* LDT */
    g[0x50 / 8] = fx_desc(0, 0, 0xee, 0);             /* 32-bit interrupt gate, DPL 3 */
    g[0x58 / 8] = fx_desc(0, 0, 0xec, 0);             /* 32-bit call gate, DPL 3 */
    g[0x60 / 8] = fx_desc(0, 0xfff, 0x72, 0x4);       /* data, DPL 3, not present */
    g[0x68 / 8] = fx_desc(0, 0xf, 0xf2, 0xc);         /* data, DPL 3, limit 16 pages */
    g[0x70 / 8] = fx_desc(0, 0xfffff, 0x9c, 0xc);     /* conforming code, DPL 0, execute-only */
    g[0x78 / 8] = fx_desc(0, 0xfffff, 0xb2, 0xc);     /* data, DPL 1, writable */
    return g;
}

static uint32_t desc_high(uint16_t sel)
{
    return (uint32_t)(gdt()[sel / 8] >> 32);
}

static int setup(void **state)
{
    struct fixture *fx = malloc(sizeof(*fx));
    if (!fx || fx_init(fx)) {
        free(fx);
        return -1;
    }
    fx_set_gdt(fx, GDT, gdt(), 16);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fx_fini(*state);
    free(*state);
    return 0;
}

/* Instructions taking the selector in CX (or from memory at [EBX]) and
 * writing EAX. */
struct code {
    uint8_t bytes[5];
    unsigned len;
};
static const struct code LAR = { { 0x0f, 0x02, 0xc1 }, 3 };          /* lar eax, ecx */
static const struct code LAR16 = { { 0x66, 0x0f, 0x02, 0xc1 }, 4 };  /* lar ax, cx */
static const struct code LSL = { { 0x0f, 0x03, 0xc1 }, 3 };          /* lsl eax, ecx */
static const struct code LSL16 = { { 0x66, 0x0f, 0x03, 0xc1 }, 4 };  /* lsl ax, cx */
static const struct code VERR = { { 0x0f, 0x00, 0xe1 }, 3 };         /* verr cx */
static const struct code VERW = { { 0x0f, 0x00, 0xe9 }, 3 };         /* verw cx */

#define EAX_BEFORE 0x11111111u

/* Run `c` with CX = sel and EAX = EAX_BEFORE; return ZF. The other flags
 * must come through unchanged. */
static bool zf_after(struct fixture *fx, const struct code *c, uint16_t sel)
{
    struct cpu *cpu = &fx->cpu;
    cpu_set_eflags(cpu, EFLAGS_FIXED1 | EFLAGS_CF | EFLAGS_SF);
    cpu->r[R_EAX] = EAX_BEFORE;
    cpu->r[R_ECX] = 0xabcd0000u | sel; /* only CX counts */
    assert_int_equal(fx_run_code(fx, c->bytes, c->len), CPU_EXIT_BUDGET);
    uint32_t fl = cpu_eflags(cpu);
    assert_int_equal(fl & ~EFLAGS_ZF, EFLAGS_FIXED1 | EFLAGS_CF | EFLAGS_SF);
    return fl & EFLAGS_ZF;
}

/* ZF = 0 and EAX untouched. */
static void assert_refused(struct fixture *fx, const struct code *c, uint16_t sel)
{
    if (zf_after(fx, c, sel) || fx->cpu.r[R_EAX] != EAX_BEFORE)
        fail_msg("selector %#x at CPL %u: ZF set or EAX written (%#x)", sel, fx->cpu.cpl,
                 fx->cpu.r[R_EAX]);
}

/* ZF = 1 and EAX = want. */
static void assert_gives(struct fixture *fx, const struct code *c, uint16_t sel, uint32_t want)
{
    if (!zf_after(fx, c, sel) || fx->cpu.r[R_EAX] != want)
        fail_msg("selector %#x at CPL %u: ZF clear or EAX %#x, want %#x", sel, fx->cpu.cpl,
                 fx->cpu.r[R_EAX], want);
}

static void assert_zf(struct fixture *fx, const struct code *c, uint16_t sel, bool want)
{
    if (zf_after(fx, c, sel) != want)
        fail_msg("selector %#x at CPL %u: ZF should be %d", sel, fx->cpu.cpl, want);
}

/* ---- LAR ---------------------------------------------------------------- */

static void test_lar_returns_the_access_rights_dword(void **state)
{
    struct fixture *fx = *state;
    assert_gives(fx, &LAR, 0x1b, desc_high(0x18) & 0x00ffff00u);
    assert_int_equal(fx->cpu.r[R_EAX], 0x00cffa00); /* G D/B, limit 19:16, P DPL S type */
    assert_gives(fx, &LAR, 0x28, 0x00409000u); /* D/B, P, S, read-only data */
}

static void test_lar_with_16bit_operand_writes_only_the_low_word(void **state)
{
    struct fixture *fx = *state;
    assert_gives(fx, &LAR16, 0x1b, 0x1111fa00u);
}

static void test_lar_and_lsl_refuse_null_and_out_of_table_selectors(void **state)
{
    struct fixture *fx = *state;
    const uint16_t bad[] = { 0x0000, 0x0003, 0x0080, 0xfff8 };
    for (unsigned k = 0; k < VLAB_ARRAY_SIZE(bad); k++) {
        assert_refused(fx, &LAR, bad[k]);
        assert_refused(fx, &LSL, bad[k]);
    }
}

static void test_lar_at_cpl3_refuses_more_privileged_segments(void **state)
{
    struct fixture *fx = *state;
    cpu_set_flat(&fx->cpu, 3);
    assert_refused(fx, &LAR, 0x10);
    assert_refused(fx, &LAR, 0x7b); /* DPL 1 */
    assert_refused(fx, &LAR, 0x40); /* the TSS, DPL 0 */
    assert_gives(fx, &LAR, 0x23, desc_high(0x20) & 0x00ffff00u);
    assert_gives(fx, &LAR, 0x5b, 0x0000ec00u); /* the call gate has DPL 3 */
}

static void test_lar_needs_dpl_at_least_rpl(void **state)
{
    struct fixture *fx = *state;
    assert_refused(fx, &LAR, 0x13); /* DPL 0, RPL 3 */
    assert_refused(fx, &LAR, 0x7a); /* DPL 1, RPL 2 */
    assert_zf(fx, &LAR, 0x79, true);
}

static void test_lar_sees_conforming_code_from_every_level(void **state)
{
    struct fixture *fx = *state;
    cpu_set_flat(&fx->cpu, 3);
    assert_gives(fx, &LAR, 0x3b, desc_high(0x38) & 0x00ffff00u);
    assert_zf(fx, &LAR, 0x73, true);
}

static void test_lar_accepts_tss_ldt_and_call_gates_but_not_interrupt_gates(void **state)
{
    struct fixture *fx = *state;
    assert_gives(fx, &LAR, 0x40, 0x00008900u);
    assert_gives(fx, &LAR, 0x48, 0x00008200u);
    assert_gives(fx, &LAR, 0x58, 0x0000ec00u);
    assert_refused(fx, &LAR, 0x50);
}

static void test_lar_and_lsl_ignore_the_present_bit(void **state)
{
    struct fixture *fx = *state;
    assert_gives(fx, &LAR, 0x63, desc_high(0x60) & 0x00ffff00u);
    assert_gives(fx, &LSL, 0x63, 0xfff);
}

static void test_lar_reads_ldt_selectors_through_ldtr(void **state)
{
    struct fixture *fx = *state;
    const uint64_t ldt[5] = { 0, fx_desc(0x4000, 0x123, 0xf2, 0x4) };
    fx_write(fx, LDT, ldt, sizeof(ldt));
    fx->cpu.ldtr = (struct seg){ .sel = 0x48, .base = LDT, .limit = 0x27, .ar = SEG_AR_P | 0x2 };
    assert_gives(fx, &LAR, 0x0f, 0x0040f200u);
    assert_gives(fx, &LSL, 0x0f, 0x123);
    assert_refused(fx, &LAR, 0x2f); /* past the LDT's limit */
    fx->cpu.ldtr.ar |= SEG_AR_UNUSABLE;
    assert_refused(fx, &LAR, 0x0f);
}

static void test_lar_with_a_memory_operand_reads_the_selector_there(void **state)
{
    struct fixture *fx = *state;
    fx_write32(fx, FX_DATA, 0xffff001b);
    fx->cpu.r[R_EBX] = FX_DATA;
    assert_int_equal(RUN(fx, 0x0f, 0x02, 0x03), CPU_EXIT_BUDGET); /* lar eax, [ebx] */
    assert_int_equal(fx->cpu.r[R_EAX], desc_high(0x18) & 0x00ffff00u);
    assert_true(cpu_eflags(&fx->cpu) & EFLAGS_ZF);
}

/* ---- LSL ---------------------------------------------------------------- */

static void test_lsl_returns_the_limit_in_bytes(void **state)
{
    struct fixture *fx = *state;
    assert_gives(fx, &LSL, 0x28, 0xffff);
    assert_gives(fx, &LSL, 0x1b, 0xffffffffu); /* 0xfffff pages */
    assert_gives(fx, &LSL, 0x6b, 0xffff);      /* 16 pages */
    assert_gives(fx, &LSL, 0x40, 0x67);        /* TSS */
    assert_gives(fx, &LSL, 0x48, 0x27);        /* LDT */
}

static void test_lsl_refuses_gates(void **state)
{
    struct fixture *fx = *state;
    assert_refused(fx, &LSL, 0x58);
    assert_refused(fx, &LSL, 0x50);
}

static void test_lsl_with_16bit_operand_writes_the_low_word(void **state)
{
    struct fixture *fx = *state;
    assert_gives(fx, &LSL16, 0x1b, 0x1111ffffu);
    assert_gives(fx, &LSL16, 0x40, 0x11110067u);
}

static void test_lsl_at_cpl3_refuses_the_dpl0_tss(void **state)
{
    struct fixture *fx = *state;
    cpu_set_flat(&fx->cpu, 3);
    assert_refused(fx, &LSL, 0x43);
    assert_gives(fx, &LSL, 0x6b, 0xffff);
}

/* ---- VERR, VERW --------------------------------------------------------- */

static void test_verr_accepts_data_and_readable_code(void **state)
{
    struct fixture *fx = *state;
    assert_zf(fx, &VERR, 0x10, true);
    assert_zf(fx, &VERR, 0x28, true);  /* read-only data */
    assert_zf(fx, &VERR, 0x08, true);  /* readable code */
    assert_zf(fx, &VERR, 0x33, false); /* execute-only code */
    assert_zf(fx, &VERR, 0x40, false); /* a TSS is no segment to read */
    assert_zf(fx, &VERR, 0x58, false);
    assert_zf(fx, &VERR, 0x00, false);
    assert_zf(fx, &VERR, 0x88, false); /* past the GDT */
}

static void test_verw_accepts_writable_data_only(void **state)
{
    struct fixture *fx = *state;
    assert_zf(fx, &VERW, 0x10, true);
    assert_zf(fx, &VERW, 0x23, true);
    assert_zf(fx, &VERW, 0x28, false); /* read-only data */
    assert_zf(fx, &VERW, 0x08, false); /* code is never writable */
    assert_zf(fx, &VERW, 0x38, false);
    assert_zf(fx, &VERW, 0x48, false);
}

static void test_verr_verw_check_cpl_and_rpl(void **state)
{
    struct fixture *fx = *state;
    assert_zf(fx, &VERW, 0x13, false); /* RPL 3 > DPL 0 */
    assert_zf(fx, &VERR, 0x7a, false); /* RPL 2 > DPL 1 */
    cpu_set_flat(&fx->cpu, 3);
    assert_zf(fx, &VERR, 0x10, false);
    assert_zf(fx, &VERW, 0x78, false);
    assert_zf(fx, &VERW, 0x23, true);
    assert_zf(fx, &VERR, 0x3b, true);  /* conforming and readable: from every level */
    assert_zf(fx, &VERR, 0x73, false); /* conforming but execute-only */
}

static void test_verr_with_a_memory_operand_reads_the_selector_there(void **state)
{
    struct fixture *fx = *state;
    fx_write32(fx, FX_DATA, 0x00000010);
    fx->cpu.r[R_EBX] = FX_DATA;
    assert_int_equal(RUN(fx, 0x0f, 0x00, 0x23), CPU_EXIT_BUDGET); /* verr [ebx] */
    assert_true(cpu_eflags(&fx->cpu) & EFLAGS_ZF);
}

/* ---- ARPL --------------------------------------------------------------- */

static void test_arpl_raises_a_lower_rpl_and_sets_zf(void **state)
{
    struct fixture *fx = *state;
    struct cpu *cpu = &fx->cpu;
    cpu_set_eflags(cpu, EFLAGS_FIXED1 | EFLAGS_CF);
    cpu->r[R_EAX] = 0xabcd0010;
    cpu->r[R_ECX] = 0x0000001b;
    assert_int_equal(RUN(fx, 0x63, 0xc8), CPU_EXIT_BUDGET); /* arpl ax, cx */
    assert_int_equal(cpu->r[R_EAX], 0xabcd0013);
    assert_int_equal(cpu_eflags(cpu), EFLAGS_FIXED1 | EFLAGS_CF | EFLAGS_ZF);
}

static void test_arpl_leaves_an_equal_or_higher_rpl_and_clears_zf(void **state)
{
    struct fixture *fx = *state;
    struct cpu *cpu = &fx->cpu;
    const uint32_t src[] = { 0x0001, 0x0003 };
    for (unsigned k = 0; k < 2; k++) {
        cpu_set_eflags(cpu, EFLAGS_FIXED1 | EFLAGS_ZF | EFLAGS_OF);
        cpu->r[R_EAX] = 0xabcd0013;
        cpu->r[R_ECX] = src[k];
        assert_int_equal(RUN(fx, 0x63, 0xc8), CPU_EXIT_BUDGET);
        assert_int_equal(cpu->r[R_EAX], 0xabcd0013);
        assert_int_equal(cpu_eflags(cpu), EFLAGS_FIXED1 | EFLAGS_OF);
    }
}

static void test_arpl_on_memory_changes_only_the_selector_word(void **state)
{
    struct fixture *fx = *state;
    fx_write32(fx, FX_DATA, 0x55550020);
    fx->cpu.r[R_EBX] = FX_DATA;
    fx->cpu.r[R_ECX] = 2;
    cpu_set_flat(&fx->cpu, 3); /* not privileged */
    assert_int_equal(RUN(fx, 0x63, 0x0b), CPU_EXIT_BUDGET); /* arpl [ebx], cx */
    assert_int_equal(fx_read32(fx, FX_DATA), 0x55550022);
    assert_true(cpu_eflags(&fx->cpu) & EFLAGS_ZF);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_lar_returns_the_access_rights_dword),
        T(test_lar_with_16bit_operand_writes_only_the_low_word),
        T(test_lar_and_lsl_refuse_null_and_out_of_table_selectors),
        T(test_lar_at_cpl3_refuses_more_privileged_segments),
        T(test_lar_needs_dpl_at_least_rpl),
        T(test_lar_sees_conforming_code_from_every_level),
        T(test_lar_accepts_tss_ldt_and_call_gates_but_not_interrupt_gates),
        T(test_lar_and_lsl_ignore_the_present_bit),
        T(test_lar_reads_ldt_selectors_through_ldtr),
        T(test_lar_with_a_memory_operand_reads_the_selector_there),
        T(test_lsl_returns_the_limit_in_bytes),
        T(test_lsl_refuses_gates),
        T(test_lsl_with_16bit_operand_writes_the_low_word),
        T(test_lsl_at_cpl3_refuses_the_dpl0_tss),
        T(test_verr_accepts_data_and_readable_code),
        T(test_verw_accepts_writable_data_only),
        T(test_verr_verw_check_cpl_and_rpl),
        T(test_verr_with_a_memory_operand_reads_the_selector_there),
        T(test_arpl_raises_a_lower_rpl_and_sets_zf),
        T(test_arpl_leaves_an_equal_or_higher_rpl_and_clears_zf),
        T(test_arpl_on_memory_changes_only_the_selector_word),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

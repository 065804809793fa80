/* Far control transfers: JMP, CALL, RETF and IRET between code segments and
 * rings, through call gates and the TSS stack switch (core/cpu/exec_far.c;
 * SDM Vol. 2, JMP, CALL, RET, IRET; Vol. 3, 5.8). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fixture.h"

static struct fixture fx;

#define GDT 0x20000u
#define TSS 0x22000u
#define TARGET 0x3000u  /* where far jumps and calls go */
#define ESP0 0x8000u    /* ring 0 stack in the TSS */
#define ACCESS_BYTE(sel) (GDT + ((sel) & ~7u) + 5)

/* The GDT of these tests. */
enum {
    CODE0 = 0x08,     /* flat code, DPL 0 */
    DATA0 = 0x10,     /* flat data, DPL 0 */
    CODE3 = 0x18,     /* flat code, DPL 3 */
    DATA3 = 0x20,     /* flat data, DPL 3 */
    TSS_SEL = 0x28,   /* 32-bit TSS */
    GATE3 = 0x30,     /* 32-bit call gate, DPL 3 -> CODE0:TARGET, 2 params */
    GATE0 = 0x38,     /* 32-bit call gate, DPL 0 -> CODE0:TARGET */
    CONFORM = 0x40,   /* readable conforming code, DPL 0 */
    GATE16 = 0x48,    /* 16-bit call gate, DPL 3 -> CODE0:TARGET, 2 params */
    SMALL0 = 0x50,    /* code, DPL 0, limit 0xfff */
    ABSENT_GATE = 0x58, /* call gate, DPL 3, not present */
    TASK_GATE = 0x60, /* task gate, DPL 3 */
    GATE3_CONF = 0x68,/* call gate, DPL 3 -> CONFORM:TARGET */
    SMALLDATA = 0x70, /* data, DPL 0, limit FX_STACK - 5 */
    GDT_ENTRIES = 15,
};

static void set_gdt(void)
{
    const uint64_t gdt[GDT_ENTRIES] = {
        0,
        fx_desc(0, 0xfffff, 0x9a, 0xc),
        fx_desc(0, 0xfffff, 0x92, 0xc),
        fx_desc(0, 0xfffff, 0xfa, 0xc),
        fx_desc(0, 0xfffff, 0xf2, 0xc),
        fx_desc(TSS, 0x67, 0x89, 0x0),
        fx_gate(CODE0, TARGET, 0xec, 2),
        fx_gate(CODE0, TARGET, 0x8c, 0),
        fx_desc(0, 0xfffff, 0x9e, 0xc),
        fx_gate(CODE0, TARGET, 0xe4, 2),
        fx_desc(0, 0xfff, 0x9a, 0x4),
        fx_gate(CODE0, TARGET, 0x6c, 0),
        fx_gate(TSS_SEL, 0, 0xe5, 0),
        fx_gate(CONFORM, TARGET, 0xec, 0),
        fx_desc(0, FX_STACK - 5, 0x92, 0x4),
    };
    fx_set_gdt(&fx, GDT, gdt, GDT_ENTRIES);
    fx_write32(&fx, TSS + 4, ESP0);
    fx_write32(&fx, TSS + 8, DATA0);
    fx.cpu.tr = (struct seg){ .sel = TSS_SEL, .base = TSS, .limit = 0x67, .ar = 0x8b };
}

static int setup(void **state)
{
    (void)state;
    int err = fx_init(&fx);
    if (!err)
        set_gdt();
    return err;
}

static int teardown(void **state)
{
    (void)state;
    fx_fini(&fx);
    return 0;
}

static uint16_t read16(gpa_t gpa)
{
    uint16_t v = 0;
    physmem_read(&fx.mem, gpa, &v, 2);
    return v;
}

static uint8_t read8(gpa_t gpa)
{
    uint8_t v = 0;
    physmem_read(&fx.mem, gpa, &v, 1);
    return v;
}

/* Put `code` at `at` and execute one instruction there. */
static enum cpu_exit step_at(gpa_t at, const uint8_t *code, size_t len)
{
    fx_write(&fx, at, code, len);
    fx.cpu.eip = (uint32_t)at;
    return cpu_step(&fx.cpu);
}

#define CODE(...) (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })

/* Execute one instruction at `at` that must complete. */
#define STEP_AT(at, ...) assert_int_equal(step_at((at), CODE(__VA_ARGS__)), CPU_EXIT_BUDGET)

/* Execute one instruction at FX_CODE that must fault with `vec`(err),
 * leaving EIP at it and ESP and CPL as they were. */
#define STEP_FAULT(vec, err, ...)                                             \
    do {                                                                      \
        uint32_t esp_ = fx.cpu.r[R_ESP];                                      \
        unsigned cpl_ = fx.cpu.cpl;                                           \
        assert_int_equal(step_at(FX_CODE, CODE(__VA_ARGS__)), CPU_EXIT_EXCEPTION); \
        assert_int_equal(fx.cpu.exc.vector, (vec));                           \
        assert_int_equal(fx.cpu.exc.error, (err));                            \
        assert_int_equal(fx.cpu.eip, FX_CODE);                                \
        assert_int_equal(fx.cpu.r[R_ESP], esp_);                              \
        assert_int_equal(fx.cpu.cpl, cpl_);                                   \
    } while (0)

/* ptr16:32 operand bytes of a direct far JMP/CALL to sel:off. */
#define FAR32(off, sel) (off) & 0xff, ((off) >> 8) & 0xff, ((off) >> 16) & 0xff, (off) >> 24, (sel) & 0xff, (sel) >> 8
#define JMPF(off, sel) 0xea, FAR32(off, sel)
#define CALLF(off, sel) 0x9a, FAR32(off, sel)
#define RETF 0xcb
#define IRET 0xcf

/* ---- Far JMP ------------------------------------------------------------- */

static void test_jmpf_to_same_ring_code_loads_cs_and_eip(void **state)
{
    (void)state;
    STEP_AT(FX_CODE, JMPF(TARGET, CODE0));
    assert_int_equal(fx.cpu.eip, TARGET);
    assert_int_equal(fx.cpu.seg[S_CS].sel, CODE0);
    assert_int_equal(fx.cpu.cpl, 0);
    assert_int_equal(read8(ACCESS_BYTE(CODE0)), 0x9b);
}

static void test_jmpf_indirect_reads_offset_then_selector(void **state)
{
    (void)state;
    fx_write32(&fx, FX_DATA, TARGET);
    fx_write32(&fx, FX_DATA + 4, CODE0);
    STEP_AT(FX_CODE, 0xff, 0x2d, 0x00, 0x00, 0x01, 0x00); /* jmp far [0x10000] */
    assert_int_equal(fx.cpu.eip, TARGET);
    assert_int_equal(fx.cpu.seg[S_CS].sel, CODE0);
}

static void test_jmpf_to_conforming_code_keeps_cpl(void **state)
{
    (void)state;
    cpu_set_flat(&fx.cpu, 3);
    STEP_AT(FX_CODE, JMPF(TARGET, CONFORM));
    assert_int_equal(fx.cpu.seg[S_CS].sel, CONFORM | 3);
    assert_int_equal(fx.cpu.cpl, 3);
    assert_int_equal(fx.cpu.eip, TARGET);
}

static void test_jmpf_to_more_privileged_code_raises_gp(void **state)
{
    (void)state;
    cpu_set_flat(&fx.cpu, 3);
    STEP_FAULT(VEC_GP, CODE0, JMPF(TARGET, CODE0 | 3));
}

static void test_jmpf_with_rpl_above_cpl_raises_gp(void **state)
{
    (void)state;
    STEP_FAULT(VEC_GP, CODE0, JMPF(TARGET, CODE0 | 3));
}

static void test_jmpf_beyond_the_code_limit_raises_gp0(void **state)
{
    (void)state;
    STEP_FAULT(VEC_GP, 0, JMPF(0x1000, SMALL0));
    STEP_AT(FX_CODE, JMPF(0xfff, SMALL0));
    assert_int_equal(fx.cpu.eip, 0xfff);
}

static void test_jmpf_to_null_selector_raises_gp0(void **state)
{
    (void)state;
    STEP_FAULT(VEC_GP, 0, JMPF(TARGET, 3));
}

static void test_jmpf_to_data_or_task_gate_raises_gp(void **state)
{
    (void)state;
    STEP_FAULT(VEC_GP, DATA0, JMPF(TARGET, DATA0));
    /* Task switches are not implemented: a task gate or TSS is refused. */
    STEP_FAULT(VEC_GP, TASK_GATE, JMPF(0, TASK_GATE));
    STEP_FAULT(VEC_GP, TSS_SEL, JMPF(0, TSS_SEL));
}

static void test_jmpf_through_gate_cannot_raise_privilege(void **state)
{
    (void)state;
    cpu_set_flat(&fx.cpu, 3);
    STEP_FAULT(VEC_GP, CODE0, JMPF(0, GATE3 | 3));
    STEP_AT(FX_CODE, JMPF(0, GATE3_CONF | 3));
    assert_int_equal(fx.cpu.eip, TARGET);
    assert_int_equal(fx.cpu.seg[S_CS].sel, CONFORM | 3);
    assert_int_equal(fx.cpu.cpl, 3);
}

/* ---- Far CALL and RETF in one ring ---------------------------------------- */

static void test_callf_and_retf_in_the_same_ring(void **state)
{
    (void)state;
    STEP_AT(FX_CODE, CALLF(TARGET, CODE0));
    assert_int_equal(fx.cpu.eip, TARGET);
    assert_int_equal(fx.cpu.r[R_ESP], FX_STACK - 8);
    assert_int_equal(fx_read32(&fx, FX_STACK - 4), CODE0);
    assert_int_equal(fx_read32(&fx, FX_STACK - 8), FX_CODE + 7);
    STEP_AT(TARGET, RETF);
    assert_int_equal(fx.cpu.eip, FX_CODE + 7);
    assert_int_equal(fx.cpu.r[R_ESP], FX_STACK);
    assert_int_equal(fx.cpu.seg[S_CS].sel, CODE0);
}

static void test_callf_and_retf_with_16bit_operands_use_words(void **state)
{
    (void)state;
    fx_write32(&fx, FX_STACK - 4, 0xaaaaaaaau);
    STEP_AT(FX_CODE, 0x66, 0x9a, TARGET & 0xff, TARGET >> 8, CODE0, 0); /* call 0x08:0x3000 */
    assert_int_equal(fx.cpu.eip, TARGET);
    assert_int_equal(fx.cpu.r[R_ESP], FX_STACK - 4);
    assert_int_equal(fx_read32(&fx, FX_STACK - 4), (CODE0 << 16) | (FX_CODE + 6));
    STEP_AT(TARGET, 0x66, 0xca, 0x04, 0x00); /* retf 4 */
    assert_int_equal(fx.cpu.eip, FX_CODE + 6);
    assert_int_equal(fx.cpu.r[R_ESP], FX_STACK + 4);
}

static void test_callf_with_a_full_stack_raises_ss0(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = SMALLDATA;
    STEP_AT(FX_CODE, 0x8e, 0xd0); /* mov ss, ax: the first push is beyond the limit */
    fx_write32(&fx, FX_STACK - 8, 0x55555555u);
    STEP_FAULT(VEC_SS, 0, CALLF(TARGET, CODE0));
    assert_int_equal(fx_read32(&fx, FX_STACK - 8), 0x55555555u);
}

static void test_retf_to_more_privileged_code_raises_gp(void **state)
{
    (void)state;
    cpu_set_flat(&fx.cpu, 3);
    fx_write32(&fx, FX_STACK, TARGET);
    fx_write32(&fx, FX_STACK + 4, CODE0);
    STEP_FAULT(VEC_GP, CODE0, RETF);
}

/* ---- Through a call gate into ring 0 and back ----------------------------- */

/* At CPL 3 with two dword parameters pushed, call through GATE3. */
static void call_gate_from_ring3(void)
{
    cpu_set_flat(&fx.cpu, 3);
    fx.cpu.r[R_ESP] = FX_STACK - 8;
    fx_write32(&fx, FX_STACK - 4, 0x11111111u); /* pushed first */
    fx_write32(&fx, FX_STACK - 8, 0x22222222u);
    STEP_AT(FX_CODE, CALLF(0, GATE3 | 3));
}

static void test_callf_through_gate_switches_to_the_tss_stack_and_copies_params(void **state)
{
    (void)state;
    call_gate_from_ring3();
    assert_int_equal(fx.cpu.cpl, 0);
    assert_int_equal(fx.cpu.seg[S_CS].sel, CODE0);
    assert_int_equal(fx.cpu.eip, TARGET);
    assert_int_equal(fx.cpu.seg[S_SS].sel, DATA0);
    assert_int_equal(fx.cpu.r[R_ESP], ESP0 - 24);
    assert_int_equal(fx_read32(&fx, ESP0 - 4), DATA3 | 3);
    assert_int_equal(fx_read32(&fx, ESP0 - 8), FX_STACK - 8);
    assert_int_equal(fx_read32(&fx, ESP0 - 12), 0x11111111u);
    assert_int_equal(fx_read32(&fx, ESP0 - 16), 0x22222222u);
    assert_int_equal(fx_read32(&fx, ESP0 - 20), CODE3 | 3);
    assert_int_equal(fx_read32(&fx, ESP0 - 24), FX_CODE + 7);
    assert_int_equal(read8(ACCESS_BYTE(DATA0)), 0x93);
}

static void test_retf_to_ring3_pops_ss_esp_and_nulls_ring0_data_segments(void **state)
{
    (void)state;
    call_gate_from_ring3();
    fx.cpu.r[R_EAX] = DATA0;
    STEP_AT(TARGET, 0x8e, 0xd8);         /* mov ds, ax */
    STEP_AT(TARGET, 0x8e, 0xe8);         /* mov gs, ax */
    fx.cpu.r[R_EAX] = CONFORM;
    STEP_AT(TARGET, 0x8e, 0xe0);         /* mov fs, ax */
    STEP_AT(TARGET, 0xca, 0x08, 0x00);   /* retf 8 */
    assert_int_equal(fx.cpu.cpl, 3);
    assert_int_equal(fx.cpu.seg[S_CS].sel, CODE3 | 3);
    assert_int_equal(fx.cpu.eip, FX_CODE + 7);
    assert_int_equal(fx.cpu.seg[S_SS].sel, DATA3 | 3);
    assert_int_equal(fx.cpu.r[R_ESP], FX_STACK);
    assert_int_equal(fx.cpu.seg[S_DS].sel, 0);
    assert_true(fx.cpu.seg[S_DS].ar & SEG_AR_UNUSABLE);
    assert_int_equal(fx.cpu.seg[S_GS].sel, 0);
    assert_int_equal(fx.cpu.seg[S_ES].sel, DATA3 | 3); /* DPL 3: kept */
    assert_int_equal(fx.cpu.seg[S_FS].sel, CONFORM);   /* conforming code: kept */
}

static void test_callf_through_16bit_gate_pushes_words(void **state)
{
    (void)state;
    cpu_set_flat(&fx.cpu, 3);
    fx.cpu.r[R_ESP] = FX_STACK - 4;
    fx_write32(&fx, FX_STACK - 4, 0x22221111u); /* two word parameters */
    STEP_AT(FX_CODE, CALLF(0, GATE16 | 3));
    assert_int_equal(fx.cpu.cpl, 0);
    assert_int_equal(fx.cpu.eip, TARGET);
    assert_int_equal(fx.cpu.r[R_ESP], ESP0 - 12);
    assert_int_equal(read16(ESP0 - 2), DATA3 | 3);
    assert_int_equal(read16(ESP0 - 4), (FX_STACK - 4) & 0xffff);
    assert_int_equal(read16(ESP0 - 6), 0x2222);
    assert_int_equal(read16(ESP0 - 8), 0x1111);
    assert_int_equal(read16(ESP0 - 10), CODE3 | 3);
    assert_int_equal(read16(ESP0 - 12), FX_CODE + 7);
}

static void test_callf_through_dpl0_gate_from_ring3_raises_gp(void **state)
{
    (void)state;
    cpu_set_flat(&fx.cpu, 3);
    STEP_FAULT(VEC_GP, GATE0, CALLF(0, GATE0 | 3));
}

static void test_callf_through_not_present_gate_raises_np(void **state)
{
    (void)state;
    cpu_set_flat(&fx.cpu, 3);
    STEP_FAULT(VEC_NP, ABSENT_GATE, CALLF(0, ABSENT_GATE | 3));
}

static void test_callf_with_a_bad_tss_stack_raises_ts_and_changes_nothing(void **state)
{
    (void)state;
    fx_write32(&fx, TSS + 8, CODE0); /* SS0 names a code segment */
    cpu_set_flat(&fx.cpu, 3);
    fx_write32(&fx, ESP0 - 4, 0x55555555u);
    STEP_FAULT(VEC_TS, CODE0, CALLF(0, GATE3 | 3));
    assert_int_equal(fx.cpu.seg[S_SS].sel, DATA3 | 3);
    assert_int_equal(fx.cpu.seg[S_CS].sel, CODE3 | 3);
    assert_int_equal(fx_read32(&fx, ESP0 - 4), 0x55555555u);
    fx_write32(&fx, TSS + 8, 0);
    STEP_FAULT(VEC_TS, 0, CALLF(0, GATE3 | 3));
}

static void test_callf_to_a_new_stack_too_small_raises_ss_with_its_selector(void **state)
{
    (void)state;
    fx_write32(&fx, TSS + 4, FX_STACK); /* the first of 6 slots is beyond the limit */
    fx_write32(&fx, TSS + 8, SMALLDATA);
    fx_write32(&fx, FX_STACK - 8, 0x55555555u);
    cpu_set_flat(&fx.cpu, 3);
    fx.cpu.r[R_ESP] = 0x7000;
    STEP_FAULT(VEC_SS, SMALLDATA, CALLF(0, GATE3 | 3));
    assert_int_equal(fx_read32(&fx, FX_STACK - 8), 0x55555555u);
    assert_int_equal(fx.cpu.seg[S_SS].sel, DATA3 | 3);
}

/* ---- IRET ------------------------------------------------------------------ */

/* An IRET frame at ESP: EIP, CS, EFLAGS, then ESP and SS if `outer`. */
static void put_iret_frame(uint32_t eip, uint16_t cs, uint32_t eflags, bool outer, uint32_t esp, uint16_t ss)
{
    uint32_t at = fx.cpu.r[R_ESP];
    fx_write32(&fx, at, eip);
    fx_write32(&fx, at + 4, cs);
    fx_write32(&fx, at + 8, eflags);
    if (outer) {
        fx_write32(&fx, at + 12, esp);
        fx_write32(&fx, at + 16, ss);
    }
}

static void test_iret_to_ring3_restores_ss_esp_and_flags(void **state)
{
    (void)state;
    fx.cpu.r[R_ESP] = ESP0 - 20;
    fx.cpu.r[R_EAX] = DATA3 | 3;
    STEP_AT(FX_CODE, 0x8e, 0xc0); /* mov es, ax: DPL 3, kept; DS FS GS are DPL 0 */
    put_iret_frame(TARGET, CODE3 | 3, 0x3203 | EFLAGS_AC, true, FX_STACK, DATA3 | 3);
    STEP_AT(FX_CODE, IRET);
    assert_int_equal(fx.cpu.cpl, 3);
    assert_int_equal(fx.cpu.eip, TARGET);
    assert_int_equal(fx.cpu.seg[S_CS].sel, CODE3 | 3);
    assert_int_equal(fx.cpu.seg[S_SS].sel, DATA3 | 3);
    assert_int_equal(fx.cpu.r[R_ESP], FX_STACK);
    assert_int_equal(cpu_eflags(&fx.cpu), 0x3203 | EFLAGS_AC);
    assert_int_equal(fx.cpu.seg[S_ES].sel, DATA3 | 3);
    assert_int_equal(fx.cpu.seg[S_DS].sel, 0);
    assert_int_equal(fx.cpu.seg[S_FS].sel, 0);
    assert_int_equal(fx.cpu.seg[S_GS].sel, 0);
}

static void test_iret_at_cpl3_keeps_if_and_iopl(void **state)
{
    (void)state;
    cpu_set_flat(&fx.cpu, 3);
    cpu_set_eflags(&fx.cpu, 0x202);
    put_iret_frame(TARGET, CODE3 | 3, 0x3000 | EFLAGS_CF | EFLAGS_FIXED1, false, 0, 0);
    STEP_AT(FX_CODE, IRET);
    assert_int_equal(fx.cpu.eip, TARGET);
    assert_int_equal(fx.cpu.r[R_ESP], FX_STACK + 12);
    assert_int_equal(cpu_eflags(&fx.cpu), 0x203);
}

static void test_iret_at_cpl3_with_iopl3_changes_if_but_not_iopl(void **state)
{
    (void)state;
    cpu_set_flat(&fx.cpu, 3);
    cpu_set_eflags(&fx.cpu, 0x3202);
    put_iret_frame(TARGET, CODE3 | 3, EFLAGS_FIXED1, false, 0, 0);
    STEP_AT(FX_CODE, IRET);
    assert_int_equal(cpu_eflags(&fx.cpu), 0x3002);
}

static void test_iret_at_cpl0_restores_if_and_iopl(void **state)
{
    (void)state;
    put_iret_frame(TARGET, CODE0, 0x3202 | EFLAGS_NT, false, 0, 0);
    STEP_AT(FX_CODE, IRET);
    assert_int_equal(fx.cpu.eip, TARGET);
    assert_int_equal(cpu_eflags(&fx.cpu), 0x3202 | EFLAGS_NT);
}

static void test_iret_16bit_pops_words_and_keeps_the_high_flags(void **state)
{
    (void)state;
    cpu_set_eflags(&fx.cpu, EFLAGS_AC | EFLAGS_FIXED1);
    uint16_t frame[3] = { TARGET, CODE0, 0x0203 };
    fx_write(&fx, FX_STACK, frame, sizeof frame);
    STEP_AT(FX_CODE, 0x66, IRET);
    assert_int_equal(fx.cpu.eip, TARGET);
    assert_int_equal(fx.cpu.r[R_ESP], FX_STACK + 6);
    assert_int_equal(cpu_eflags(&fx.cpu), EFLAGS_AC | 0x203);
}

static void test_iret_to_more_privileged_code_raises_gp(void **state)
{
    (void)state;
    cpu_set_flat(&fx.cpu, 3);
    put_iret_frame(TARGET, CODE0, 0x2, false, 0, 0);
    STEP_FAULT(VEC_GP, CODE0, IRET);
}

static void test_iret_to_ring3_with_ring0_stack_raises_gp(void **state)
{
    (void)state;
    put_iret_frame(TARGET, CODE3 | 3, 0x2, true, FX_STACK, DATA0 | 3);
    STEP_FAULT(VEC_GP, DATA0, IRET);
    put_iret_frame(TARGET, CODE3 | 3, 0x2, true, FX_STACK, 0);
    STEP_FAULT(VEC_GP, 0, IRET);
    assert_int_equal(fx.cpu.cpl, 0);
}

static void test_iret_beyond_the_code_limit_raises_gp0(void **state)
{
    (void)state;
    put_iret_frame(0x1000, SMALL0, 0x2, false, 0, 0);
    STEP_FAULT(VEC_GP, 0, IRET);
}

static void test_iret_with_nt_set_raises_gp0(void **state)
{
    (void)state;
    /* A return to the previous task: task switches are not implemented. */
    cpu_set_eflags(&fx.cpu, EFLAGS_NT | EFLAGS_FIXED1);
    put_iret_frame(TARGET, CODE0, 0x2, false, 0, 0);
    STEP_FAULT(VEC_GP, 0, IRET);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_jmpf_to_same_ring_code_loads_cs_and_eip),
        T(test_jmpf_indirect_reads_offset_then_selector),
        T(test_jmpf_to_conforming_code_keeps_cpl),
        T(test_jmpf_to_more_privileged_code_raises_gp),
        T(test_jmpf_with_rpl_above_cpl_raises_gp),
        T(test_jmpf_beyond_the_code_limit_raises_gp0),
        T(test_jmpf_to_null_selector_raises_gp0),
        T(test_jmpf_to_data_or_task_gate_raises_gp),
        T(test_jmpf_through_gate_cannot_raise_privilege),
        T(test_callf_and_retf_in_the_same_ring),
        T(test_callf_and_retf_with_16bit_operands_use_words),
        T(test_callf_with_a_full_stack_raises_ss0),
        T(test_retf_to_more_privileged_code_raises_gp),
        T(test_callf_through_gate_switches_to_the_tss_stack_and_copies_params),
        T(test_retf_to_ring3_pops_ss_esp_and_nulls_ring0_data_segments),
        T(test_callf_through_16bit_gate_pushes_words),
        T(test_callf_through_dpl0_gate_from_ring3_raises_gp),
        T(test_callf_through_not_present_gate_raises_np),
        T(test_callf_with_a_bad_tss_stack_raises_ts_and_changes_nothing),
        T(test_callf_to_a_new_stack_too_small_raises_ss_with_its_selector),
        T(test_iret_to_ring3_restores_ss_esp_and_flags),
        T(test_iret_at_cpl3_keeps_if_and_iopl),
        T(test_iret_at_cpl3_with_iopl3_changes_if_but_not_iopl),
        T(test_iret_at_cpl0_restores_if_and_iopl),
        T(test_iret_16bit_pops_words_and_keeps_the_high_flags),
        T(test_iret_to_more_privileged_code_raises_gp),
        T(test_iret_to_ring3_with_ring0_stack_raises_gp),
        T(test_iret_beyond_the_code_limit_raises_gp0),
        T(test_iret_with_nt_set_raises_gp0),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

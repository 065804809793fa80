/* Segment register loads in protected mode: MOV Sreg, POP Sreg,
 * LDS/LES/LFS/LGS/LSS and the limits of the loaded segments
 * (core/cpu/segload.c, core/cpu/exec_seg.c; SDM Vol. 2, MOV; Vol. 3, 5.5). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fixture.h"

static struct fixture fx;

#define GDT 0x20000u
#define ACCESS_BYTE(sel) (GDT + ((sel) & ~7u) + 5)

/* The GDT of these tests: selector, what it is. */
enum {
    CODE0 = 0x08,    /* flat code, DPL 0 */
    DATA0 = 0x10,    /* flat data, DPL 0 */
    CODE3 = 0x18,    /* flat code, DPL 3 */
    DATA3 = 0x20,    /* flat data, DPL 3 */
    ABSENT = 0x28,   /* data, DPL 0, not present */
    RODATA = 0x30,   /* read-only data, DPL 0 */
    XCODE = 0x38,    /* execute-only code, DPL 0 */
    CONFORM = 0x40,  /* readable conforming code, DPL 0 */
    EXPDOWN = 0x48,  /* expand-down data, base 0x30000, limit 0xfff, B = 1 */
    LDT = 0x50,      /* an LDT descriptor (system) */
    EXPDOWN16 = 0x58,/* expand-down data, base 0x30000, limit 0xfff, B = 0 */
    GDT_ENTRIES = 12,
};

static void set_gdt(void)
{
    const uint64_t gdt[GDT_ENTRIES] = {
        0,
        fx_desc(0, 0xfffff, 0x9a, 0xc),
        fx_desc(0, 0xfffff, 0x92, 0xc),
        fx_desc(0, 0xfffff, 0xfa, 0xc),
        fx_desc(0, 0xfffff, 0xf2, 0xc),
        fx_desc(0, 0xfffff, 0x12, 0xc),
        fx_desc(0, 0xfffff, 0x90, 0xc),
        fx_desc(0, 0xfffff, 0x98, 0xc),
        fx_desc(0, 0xfffff, 0x9e, 0xc),
        fx_desc(0x30000, 0xfff, 0x96, 0x4),
        fx_desc(0x40000, 0xff, 0x82, 0x0),
        fx_desc(0x30000, 0xfff, 0x96, 0x0),
    };
    fx_set_gdt(&fx, GDT, gdt, GDT_ENTRIES);
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

static uint8_t read8(gpa_t gpa)
{
    uint8_t v = 0;
    physmem_read(&fx.mem, gpa, &v, 1);
    return v;
}

static enum cpu_exit step(const uint8_t *code, size_t len)
{
    fx_write(&fx, FX_CODE, code, len);
    fx.cpu.eip = FX_CODE;
    return cpu_step(&fx.cpu);
}

/* Run one instruction that must complete. */
#define STEP(...)                                                             \
    do {                                                                      \
        static const uint8_t code_[] = { __VA_ARGS__ };                       \
        assert_int_equal(step(code_, sizeof code_), CPU_EXIT_BUDGET);         \
        assert_int_equal(fx.cpu.eip, FX_CODE + sizeof code_);                 \
    } while (0)

/* Run one instruction that must fault with `vec` and error code `err`,
 * leaving EIP at it. */
#define STEP_FAULT(vec, err, ...)                                             \
    do {                                                                      \
        static const uint8_t code_[] = { __VA_ARGS__ };                       \
        assert_int_equal(step(code_, sizeof code_), CPU_EXIT_EXCEPTION);      \
        assert_int_equal(fx.cpu.exc.vector, (vec));                           \
        assert_int_equal(fx.cpu.exc.error, (err));                            \
        assert_int_equal(fx.cpu.eip, FX_CODE);                                \
    } while (0)

#define MOV_DS_AX 0x8e, 0xd8
#define MOV_SS_AX 0x8e, 0xd0

/* AX = sel, with garbage above it that a load must ignore. */
static void set_ax(uint16_t sel)
{
    fx.cpu.r[0] = 0xabcd0000u | sel;
}

/* ---- MOV DS/ES/FS/GS ---------------------------------------------------- */

static void test_mov_ds_loads_the_descriptor_cache_and_sets_accessed_bit(void **state)
{
    (void)state;
    assert_int_equal(read8(ACCESS_BYTE(DATA0)), 0x92);
    set_ax(DATA0);
    STEP(MOV_DS_AX);
    const struct seg *ds = &fx.cpu.seg[S_DS];
    assert_int_equal(ds->sel, DATA0);
    assert_int_equal(ds->base, 0);
    assert_int_equal(ds->limit, 0xffffffffu);
    assert_int_equal(ds->ar, 0xc093);
    assert_int_equal(read8(ACCESS_BYTE(DATA0)), 0x93);
}

static void test_mov_ds_beyond_the_gdt_limit_raises_gp_with_the_selector(void **state)
{
    (void)state;
    set_ax(GDT_ENTRIES * 8 + 3);
    STEP_FAULT(VEC_GP, GDT_ENTRIES * 8, MOV_DS_AX);
    assert_int_equal(fx.cpu.seg[S_DS].sel, DATA0);
}

static void test_mov_ds_with_a_system_descriptor_raises_gp(void **state)
{
    (void)state;
    set_ax(LDT);
    STEP_FAULT(VEC_GP, LDT, MOV_DS_AX);
}

static void test_mov_ds_with_execute_only_code_raises_gp(void **state)
{
    (void)state;
    set_ax(XCODE);
    STEP_FAULT(VEC_GP, XCODE, MOV_DS_AX);
}

static void test_mov_es_with_readable_code_is_allowed(void **state)
{
    (void)state;
    set_ax(CODE0);
    STEP(0x8e, 0xc0); /* mov es, ax */
    assert_int_equal(fx.cpu.seg[S_ES].sel, CODE0);
    assert_int_equal(fx.cpu.seg[S_ES].ar & 0xff, 0x9b);
}

static void test_mov_ds_with_rpl_above_dpl_raises_gp(void **state)
{
    (void)state;
    set_ax(DATA0 | 3);
    STEP_FAULT(VEC_GP, DATA0, MOV_DS_AX);
}

static void test_mov_ds_of_ring0_data_at_cpl3_raises_gp(void **state)
{
    (void)state;
    cpu_set_flat(&fx.cpu, 3);
    set_ax(DATA0);
    STEP_FAULT(VEC_GP, DATA0, MOV_DS_AX);
}

static void test_mov_ds_of_conforming_code_at_cpl3_ignores_privilege(void **state)
{
    (void)state;
    cpu_set_flat(&fx.cpu, 3);
    set_ax(CONFORM);
    STEP(MOV_DS_AX);
    assert_int_equal(fx.cpu.seg[S_DS].sel, CONFORM);
}

static void test_mov_ds_of_a_not_present_segment_raises_np(void **state)
{
    (void)state;
    set_ax(ABSENT);
    STEP_FAULT(VEC_NP, ABSENT, MOV_DS_AX);
    assert_int_equal(read8(ACCESS_BYTE(ABSENT)), 0x12);
}

static void test_null_selector_loads_then_an_access_raises_gp0(void **state)
{
    (void)state;
    set_ax(3);
    STEP(MOV_DS_AX);
    assert_int_equal(fx.cpu.seg[S_DS].sel, 3);
    assert_true(fx.cpu.seg[S_DS].ar & SEG_AR_UNUSABLE);
    STEP_FAULT(VEC_GP, 0, 0xa1, 0x00, 0x01, 0x00, 0x00); /* mov eax, [0x100] */
    STEP(0x36, 0xa1, 0x00, 0x01, 0x00, 0x00);            /* mov eax, ss:[0x100] */
}

static void test_mov_fs_gs_load_like_ds(void **state)
{
    (void)state;
    set_ax(DATA0);
    STEP(0x8e, 0xe0); /* mov fs, ax */
    STEP(0x8e, 0xe8); /* mov gs, ax */
    assert_int_equal(fx.cpu.seg[S_FS].sel, DATA0);
    assert_int_equal(fx.cpu.seg[S_GS].sel, DATA0);
    set_ax(ABSENT);
    STEP_FAULT(VEC_NP, ABSENT, 0x8e, 0xe8);
}

/* ---- MOV SS ------------------------------------------------------------- */

static void test_mov_ss_null_raises_gp0(void **state)
{
    (void)state;
    set_ax(0);
    STEP_FAULT(VEC_GP, 0, MOV_SS_AX);
}

static void test_mov_ss_with_rpl_not_cpl_raises_gp(void **state)
{
    (void)state;
    set_ax(DATA0 | 3);
    STEP_FAULT(VEC_GP, DATA0, MOV_SS_AX);
}

static void test_mov_ss_with_dpl_not_cpl_raises_gp(void **state)
{
    (void)state;
    cpu_set_flat(&fx.cpu, 3);
    set_ax(DATA0 | 3);
    STEP_FAULT(VEC_GP, DATA0, MOV_SS_AX);
}

static void test_mov_ss_with_read_only_data_raises_gp(void **state)
{
    (void)state;
    set_ax(RODATA);
    STEP_FAULT(VEC_GP, RODATA, MOV_SS_AX);
}

static void test_mov_ss_with_code_raises_gp(void **state)
{
    (void)state;
    set_ax(CODE0);
    STEP_FAULT(VEC_GP, CODE0, MOV_SS_AX);
}

static void test_mov_ss_of_a_not_present_segment_raises_ss(void **state)
{
    (void)state;
    set_ax(ABSENT);
    STEP_FAULT(VEC_SS, ABSENT, MOV_SS_AX);
}

static void test_mov_ss_beyond_the_gdt_limit_raises_gp(void **state)
{
    (void)state;
    set_ax(0x800);
    STEP_FAULT(VEC_GP, 0x800, MOV_SS_AX);
}

static void test_mov_ss_blocks_interrupts_for_one_instruction(void **state)
{
    (void)state;
    set_ax(DATA0);
    STEP(MOV_SS_AX);
    assert_true(fx.cpu.intr_shadow);
    assert_int_equal(fx.cpu.seg[S_SS].sel, DATA0);
    STEP(0x90);
    assert_false(fx.cpu.intr_shadow);
}

static void test_mov_cs_raises_ud(void **state)
{
    (void)state;
    set_ax(CODE0);
    STEP_FAULT(VEC_UD, 0, 0x8e, 0xc8);
}

/* ---- POP Sreg ----------------------------------------------------------- */

static void test_pop_ds_applies_the_same_checks(void **state)
{
    (void)state;
    fx.cpu.r[R_ESP] = FX_STACK - 4;
    fx_write32(&fx, FX_STACK - 4, ABSENT);
    STEP_FAULT(VEC_NP, ABSENT, 0x1f); /* pop ds */
    assert_int_equal(fx.cpu.r[R_ESP], FX_STACK - 4);
    fx_write32(&fx, FX_STACK - 4, RODATA);
    STEP_FAULT(VEC_GP, RODATA, 0x17); /* pop ss */
    fx_write32(&fx, FX_STACK - 4, ABSENT);
    STEP_FAULT(VEC_SS, ABSENT, 0x17);
    assert_int_equal(fx.cpu.r[R_ESP], FX_STACK - 4);
    fx_write32(&fx, FX_STACK - 4, DATA0);
    STEP(0x1f);
    assert_int_equal(fx.cpu.r[R_ESP], FX_STACK);
    assert_int_equal(fx.cpu.seg[S_DS].sel, DATA0);
}

/* ---- MOV from a segment register ---------------------------------------- */

static void test_mov_r32_from_sreg_zero_extends(void **state)
{
    (void)state;
    fx.cpu.r[R_EAX] = 0xffffffffu;
    STEP(0x8c, 0xd8); /* mov eax, ds */
    assert_int_equal(fx.cpu.r[R_EAX], DATA0);
    fx.cpu.r[R_EAX] = 0xffffffffu;
    STEP(0x66, 0x8c, 0xd8); /* mov ax, ds */
    assert_int_equal(fx.cpu.r[R_EAX], 0xffff0000u | DATA0);
}

static void test_mov_mem_from_sreg_stores_16_bits(void **state)
{
    (void)state;
    fx_write32(&fx, FX_DATA, 0xaaaaaaaau);
    STEP(0x8c, 0x1d, 0x00, 0x00, 0x01, 0x00); /* mov [0x10000], ds */
    assert_int_equal(fx_read32(&fx, FX_DATA), 0xaaaa0000u | DATA0);
}

/* ---- Expand-down segments ----------------------------------------------- */

static void test_expand_down_data_allows_only_offsets_above_the_limit(void **state)
{
    (void)state;
    fx_write32(&fx, 0x31000, 0x12345678u);
    set_ax(EXPDOWN);
    STEP(MOV_DS_AX);
    STEP(0xa1, 0x00, 0x10, 0x00, 0x00); /* mov eax, [0x1000] */
    assert_int_equal(fx.cpu.r[R_EAX], 0x12345678u);
    STEP_FAULT(VEC_GP, 0, 0xa1, 0xff, 0x0f, 0x00, 0x00); /* mov eax, [0xfff] */
    STEP_FAULT(VEC_GP, 0, 0xa1, 0xfe, 0x0f, 0x00, 0x00); /* mov eax, [0xffe]: straddles */
}

static void test_expand_down_16bit_data_ends_at_0xffff(void **state)
{
    (void)state;
    set_ax(EXPDOWN16);
    STEP(MOV_DS_AX);
    STEP(0x66, 0xa1, 0xfe, 0xff, 0x00, 0x00);           /* mov ax, [0xfffe] */
    STEP_FAULT(VEC_GP, 0, 0xa1, 0xfe, 0xff, 0x00, 0x00); /* mov eax, [0xfffe] */
}

static void test_expand_down_stack_limit_raises_ss0(void **state)
{
    (void)state;
    set_ax(EXPDOWN);
    STEP(MOV_SS_AX);
    fx.cpu.r[R_ESP] = 0x1004;
    STEP(0x50); /* push eax: 0x1000..0x1003 */
    assert_int_equal(fx.cpu.r[R_ESP], 0x1000);
    STEP_FAULT(VEC_SS, 0, 0x50);
    assert_int_equal(fx.cpu.r[R_ESP], 0x1000);
}

/* ---- LDS LES LFS LGS LSS ------------------------------------------------ */

static void put_far_pointer(uint32_t off, uint16_t sel)
{
    fx_write32(&fx, FX_DATA, off);
    fx_write(&fx, FX_DATA + 4, &sel, 2);
}

static void test_lds_loads_offset_and_selector(void **state)
{
    (void)state;
    put_far_pointer(0x12345678u, DATA0);
    STEP(0xc5, 0x1d, 0x00, 0x00, 0x01, 0x00); /* lds ebx, [0x10000] */
    assert_int_equal(fx.cpu.r[R_EBX], 0x12345678u);
    assert_int_equal(fx.cpu.seg[S_DS].sel, DATA0);
}

static void test_lds_16bit_reads_a_16_16_pointer(void **state)
{
    (void)state;
    uint16_t ptr[2] = { 0x5678, DATA0 };
    fx_write(&fx, FX_DATA, ptr, 4);
    fx.cpu.r[R_EBX] = 0xffffffffu;
    STEP(0x66, 0xc5, 0x1d, 0x00, 0x00, 0x01, 0x00); /* lds bx, [0x10000] */
    assert_int_equal(fx.cpu.r[R_EBX], 0xffff5678u);
    assert_int_equal(fx.cpu.seg[S_DS].sel, DATA0);
}

static void test_lds_fault_leaves_the_register_unchanged(void **state)
{
    (void)state;
    put_far_pointer(0x12345678u, ABSENT);
    fx.cpu.r[R_EBX] = 0x1111u;
    STEP_FAULT(VEC_NP, ABSENT, 0xc5, 0x1d, 0x00, 0x00, 0x01, 0x00);
    assert_int_equal(fx.cpu.r[R_EBX], 0x1111u);
    assert_int_equal(fx.cpu.seg[S_DS].sel, DATA0);
}

static void test_les_lfs_lgs_load_their_registers(void **state)
{
    (void)state;
    put_far_pointer(0x100, DATA0);
    STEP(0xc4, 0x05, 0x00, 0x00, 0x01, 0x00);       /* les eax, [0x10000] */
    STEP(0x0f, 0xb4, 0x0d, 0x00, 0x00, 0x01, 0x00); /* lfs ecx, [0x10000] */
    STEP(0x0f, 0xb5, 0x15, 0x00, 0x00, 0x01, 0x00); /* lgs edx, [0x10000] */
    assert_int_equal(fx.cpu.seg[S_ES].sel, DATA0);
    assert_int_equal(fx.cpu.seg[S_FS].sel, DATA0);
    assert_int_equal(fx.cpu.seg[S_GS].sel, DATA0);
    assert_int_equal(fx.cpu.r[R_EAX], 0x100);
    assert_int_equal(fx.cpu.r[R_ECX], 0x100);
    assert_int_equal(fx.cpu.r[R_EDX], 0x100);
}

static void test_lss_loads_the_stack_and_checks_like_mov_ss(void **state)
{
    (void)state;
    put_far_pointer(0x7000, DATA0);
    STEP(0x0f, 0xb2, 0x25, 0x00, 0x00, 0x01, 0x00); /* lss esp, [0x10000] */
    assert_int_equal(fx.cpu.r[R_ESP], 0x7000);
    assert_int_equal(fx.cpu.seg[S_SS].sel, DATA0);
    put_far_pointer(0x6000, RODATA);
    STEP_FAULT(VEC_GP, RODATA, 0x0f, 0xb2, 0x25, 0x00, 0x00, 0x01, 0x00);
    assert_int_equal(fx.cpu.r[R_ESP], 0x7000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_mov_ds_loads_the_descriptor_cache_and_sets_accessed_bit),
        T(test_mov_ds_beyond_the_gdt_limit_raises_gp_with_the_selector),
        T(test_mov_ds_with_a_system_descriptor_raises_gp),
        T(test_mov_ds_with_execute_only_code_raises_gp),
        T(test_mov_es_with_readable_code_is_allowed),
        T(test_mov_ds_with_rpl_above_dpl_raises_gp),
        T(test_mov_ds_of_ring0_data_at_cpl3_raises_gp),
        T(test_mov_ds_of_conforming_code_at_cpl3_ignores_privilege),
        T(test_mov_ds_of_a_not_present_segment_raises_np),
        T(test_null_selector_loads_then_an_access_raises_gp0),
        T(test_mov_fs_gs_load_like_ds),
        T(test_mov_ss_null_raises_gp0),
        T(test_mov_ss_with_rpl_not_cpl_raises_gp),
        T(test_mov_ss_with_dpl_not_cpl_raises_gp),
        T(test_mov_ss_with_read_only_data_raises_gp),
        T(test_mov_ss_with_code_raises_gp),
        T(test_mov_ss_of_a_not_present_segment_raises_ss),
        T(test_mov_ss_beyond_the_gdt_limit_raises_gp),
        T(test_mov_ss_blocks_interrupts_for_one_instruction),
        T(test_mov_cs_raises_ud),
        T(test_pop_ds_applies_the_same_checks),
        T(test_mov_r32_from_sreg_zero_extends),
        T(test_mov_mem_from_sreg_stores_16_bits),
        T(test_expand_down_data_allows_only_offsets_above_the_limit),
        T(test_expand_down_16bit_data_ends_at_0xffff),
        T(test_expand_down_stack_limit_raises_ss0),
        T(test_lds_loads_offset_and_selector),
        T(test_lds_16bit_reads_a_16_16_pointer),
        T(test_lds_fault_leaves_the_register_unchanged),
        T(test_les_lfs_lgs_load_their_registers),
        T(test_lss_loads_the_stack_and_checks_like_mov_ss),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

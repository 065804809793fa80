/* HLT, CLI/STI, IN/OUT and the I/O permission bitmap, INT n/INT3/INTO,
 * BOUND, UD2, INVD/WBINVD (core/cpu/exec_sys.c, core/cpu/io.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "fixture.h"

#define RUN(fx, ...) \
    fx_run_code((fx), (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

static int setup(void **state)
{
    struct fixture *fx = malloc(sizeof(*fx));
    if (!fx || fx_init(fx)) {
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fx_fini(*state);
    free(*state);
    return 0;
}

static void assert_fault(struct fixture *fx, enum cpu_exit why, unsigned vector, uint32_t error)
{
    assert_int_equal(why, CPU_EXIT_EXCEPTION);
    assert_int_equal(fx->cpu.exc.vector, vector);
    assert_int_equal(fx->cpu.exc.error, error);
    assert_false(fx->cpu.exc.soft);
    assert_int_equal(fx->cpu.eip, FX_CODE); /* a fault: EIP at the instruction */
}

static void assert_gp0(struct fixture *fx, enum cpu_exit why)
{
    assert_fault(fx, why, VEC_GP, 0);
    assert_true(fx->cpu.exc.has_error);
}

static void enter_user(struct fixture *fx, unsigned iopl)
{
    cpu_set_flat(&fx->cpu, 3);
    cpu_set_eflags(&fx->cpu, EFLAGS_FIXED1 | EFLAGS_IF | (iopl << EFLAGS_IOPL_SHIFT));
}

/* ---- HLT, INVD, WBINVD -------------------------------------------------- */

static void test_hlt_exits_with_eip_past_it(void **state)
{
    struct fixture *fx = *state;
    assert_int_equal(RUN(fx, 0xf4), CPU_EXIT_HLT);
    assert_int_equal(fx->cpu.eip, FX_CODE + 1);
}

static void test_hlt_at_cpl3_raises_gp0(void **state)
{
    struct fixture *fx = *state;
    enter_user(fx, 3);
    assert_gp0(fx, RUN(fx, 0xf4));
}

static void test_invd_and_wbinvd_do_nothing_at_cpl0(void **state)
{
    struct fixture *fx = *state;
    assert_int_equal(RUN(fx, 0x0f, 0x08, 0x0f, 0x09), CPU_EXIT_BUDGET);
    assert_int_equal(fx->cpu.eip, FX_CODE + 4);
}

static void test_invd_and_wbinvd_at_cpl3_raise_gp0(void **state)
{
    struct fixture *fx = *state;
    enter_user(fx, 3);
    assert_gp0(fx, RUN(fx, 0x0f, 0x08));
    assert_gp0(fx, RUN(fx, 0x0f, 0x09));
}

/* ---- CLI, STI ----------------------------------------------------------- */

static void test_cli_clears_if(void **state)
{
    struct fixture *fx = *state;
    cpu_set_eflags(&fx->cpu, EFLAGS_FIXED1 | EFLAGS_IF | EFLAGS_CF);
    assert_int_equal(RUN(fx, 0xfa), CPU_EXIT_BUDGET);
    assert_int_equal(cpu_eflags(&fx->cpu), EFLAGS_FIXED1 | EFLAGS_CF);
}

static void test_sti_sets_if_and_shadows_interrupts_for_one_instruction(void **state)
{
    struct fixture *fx = *state;
    assert_int_equal(RUN(fx, 0xfb), CPU_EXIT_BUDGET);
    assert_int_equal(cpu_eflags(&fx->cpu), EFLAGS_FIXED1 | EFLAGS_IF);
    assert_true(fx->cpu.intr_shadow);
    assert_int_equal(RUN(fx, 0x0f, 0x08), CPU_EXIT_BUDGET); /* the next instruction ends it */
    assert_false(fx->cpu.intr_shadow);
}

static void test_sti_with_if_already_set_has_no_shadow(void **state)
{
    struct fixture *fx = *state;
    cpu_set_eflags(&fx->cpu, EFLAGS_FIXED1 | EFLAGS_IF);
    assert_int_equal(RUN(fx, 0xfb), CPU_EXIT_BUDGET);
    assert_false(fx->cpu.intr_shadow);
}

static void test_cli_sti_at_cpl3_with_iopl0_raise_gp0(void **state)
{
    struct fixture *fx = *state;
    enter_user(fx, 0);
    assert_gp0(fx, RUN(fx, 0xfa));
    assert_gp0(fx, RUN(fx, 0xfb));
    assert_true(cpu_eflags(&fx->cpu) & EFLAGS_IF);
}

static void test_cli_sti_at_cpl3_with_iopl3_are_allowed(void **state)
{
    struct fixture *fx = *state;
    enter_user(fx, 3);
    assert_int_equal(RUN(fx, 0xfa), CPU_EXIT_BUDGET);
    assert_false(cpu_eflags(&fx->cpu) & EFLAGS_IF);
    assert_int_equal(RUN(fx, 0xfb), CPU_EXIT_BUDGET);
    assert_true(cpu_eflags(&fx->cpu) & EFLAGS_IF);
}

static void test_cli_at_cpl1_needs_iopl1(void **state)
{
    struct fixture *fx = *state;
    cpu_set_flat(&fx->cpu, 1);
    assert_gp0(fx, RUN(fx, 0xfa));
    cpu_set_eflags(&fx->cpu, EFLAGS_FIXED1 | EFLAGS_IF | (1u << EFLAGS_IOPL_SHIFT));
    assert_int_equal(RUN(fx, 0xfa), CPU_EXIT_BUDGET);
    assert_false(cpu_eflags(&fx->cpu) & EFLAGS_IF);
}

/* ---- IN, OUT ------------------------------------------------------------ */

/* A device of 8 byte-wide registers at ports 0x40..0x47 that remembers the
 * last access. */
#define DEV_PORT 0x40
struct regdev {
    uint8_t regs[8];
    uint64_t last_off;
    unsigned last_size, reads, writes;
};

static uint32_t regdev_read(void *opaque, uint64_t offset, unsigned size)
{
    struct regdev *d = opaque;
    uint32_t v = 0;
    memcpy(&v, &d->regs[offset], size);
    d->last_off = offset;
    d->last_size = size;
    d->reads++;
    return v;
}

static void regdev_write(void *opaque, uint64_t offset, unsigned size, uint32_t value)
{
    struct regdev *d = opaque;
    memcpy(&d->regs[offset], &value, size);
    d->last_off = offset;
    d->last_size = size;
    d->writes++;
}

static const struct bus_ops regdev_ops = { regdev_read, regdev_write };

static struct regdev *add_regdev(struct fixture *fx)
{
    static struct regdev dev;
    memset(&dev, 0, sizeof(dev));
    assert_int_equal(bus_add_pio(&fx->bus, DEV_PORT, 8, &regdev_ops, &dev, "regdev"), 0);
    return &dev;
}

static void test_out_and_in_with_an_immediate_port_reach_the_device_in_every_width(void **state)
{
    struct fixture *fx = *state;
    struct regdev *dev = add_regdev(fx);
    struct cpu *cpu = &fx->cpu;

    cpu->r[R_EAX] = 0x11223344;
    assert_int_equal(RUN(fx, 0xe6, 0x41), CPU_EXIT_BUDGET); /* out 0x41, al */
    assert_int_equal(dev->last_off, 1);
    assert_int_equal(dev->last_size, 1);
    assert_int_equal(dev->regs[1], 0x44);

    assert_int_equal(RUN(fx, 0x66, 0xe7, 0x42), CPU_EXIT_BUDGET); /* out 0x42, ax */
    assert_int_equal(dev->last_size, 2);
    assert_memory_equal(&dev->regs[2], "\x44\x33", 2);

    assert_int_equal(RUN(fx, 0xe7, 0x44), CPU_EXIT_BUDGET); /* out 0x44, eax */
    assert_int_equal(dev->last_size, 4);
    assert_memory_equal(&dev->regs[4], "\x44\x33\x22\x11", 4);

    cpu->r[R_EAX] = 0xaaaaaaaa;
    assert_int_equal(RUN(fx, 0xe4, 0x41), CPU_EXIT_BUDGET); /* in al, 0x41 */
    assert_int_equal(cpu->r[R_EAX], 0xaaaaaa44);
    assert_int_equal(RUN(fx, 0x66, 0xe5, 0x42), CPU_EXIT_BUDGET); /* in ax, 0x42 */
    assert_int_equal(cpu->r[R_EAX], 0xaaaa3344);
    assert_int_equal(RUN(fx, 0xe5, 0x44), CPU_EXIT_BUDGET); /* in eax, 0x44 */
    assert_int_equal(cpu->r[R_EAX], 0x11223344);
    assert_int_equal(dev->reads, 3);
    assert_int_equal(dev->writes, 3);
}

static void test_out_and_in_through_dx_reach_the_device_in_every_width(void **state)
{
    struct fixture *fx = *state;
    struct regdev *dev = add_regdev(fx);
    struct cpu *cpu = &fx->cpu;

    cpu->r[R_EDX] = 0xffff0000u | DEV_PORT; /* only DX counts */
    cpu->r[R_EAX] = 0xcafef00d;
    assert_int_equal(RUN(fx, 0xef), CPU_EXIT_BUDGET); /* out dx, eax */
    assert_int_equal(dev->last_off, 0);
    assert_memory_equal(dev->regs, "\x0d\xf0\xfe\xca", 4);
    cpu->r[R_EDX] = DEV_PORT + 4;
    assert_int_equal(RUN(fx, 0x66, 0xef), CPU_EXIT_BUDGET); /* out dx, ax */
    assert_int_equal(RUN(fx, 0xee), CPU_EXIT_BUDGET);       /* out dx, al */
    assert_memory_equal(&dev->regs[4], "\x0d\xf0", 2);

    cpu->r[R_EDX] = DEV_PORT + 2;
    cpu->r[R_EAX] = 0x55555555;
    assert_int_equal(RUN(fx, 0xec), CPU_EXIT_BUDGET); /* in al, dx */
    assert_int_equal(cpu->r[R_EAX], 0x555555fe);
    assert_int_equal(RUN(fx, 0x66, 0xed), CPU_EXIT_BUDGET); /* in ax, dx */
    assert_int_equal(cpu->r[R_EAX], 0x5555cafe);
    cpu->r[R_EDX] = DEV_PORT + 1;
    assert_int_equal(RUN(fx, 0xed), CPU_EXIT_BUDGET); /* in eax, dx */
    assert_int_equal(cpu->r[R_EAX], 0x0dcafef0);
    assert_int_equal(dev->last_size, 4);
}

static void test_in_from_an_unclaimed_port_reads_all_ones(void **state)
{
    struct fixture *fx = *state;
    struct cpu *cpu = &fx->cpu;
    cpu->r[R_EAX] = 0x12345678;
    assert_int_equal(RUN(fx, 0xe4, 0x70), CPU_EXIT_BUDGET);
    assert_int_equal(cpu->r[R_EAX], 0x123456ff);
    cpu->r[R_EAX] = 0x12345678;
    assert_int_equal(RUN(fx, 0x66, 0xe5, 0x70), CPU_EXIT_BUDGET);
    assert_int_equal(cpu->r[R_EAX], 0x1234ffff);
    cpu->r[R_EAX] = 0x12345678;
    cpu->r[R_EDX] = 0x1234;
    assert_int_equal(RUN(fx, 0xed), CPU_EXIT_BUDGET);
    assert_int_equal(cpu->r[R_EAX], 0xffffffff);
}

/* ---- The I/O permission bitmap ------------------------------------------ */

/* A 32-bit TSS at TSS_BASE whose bitmap starts at TSS offset 0x68 and covers
 * ports 0..0xff (0x20 bytes), followed by the all-ones byte the SDM asks
 * for. Everything is refused except the ports the tests clear. */
#define TSS_BASE 0x30000u
#define IOMAP 0x68u
#define IOMAP_BYTES 0x20u

static void clear_port(struct fixture *fx, unsigned port)
{
    uint8_t b;
    physmem_read(&fx->mem, TSS_BASE + IOMAP + port / 8, &b, 1);
    b &= (uint8_t)~(1u << (port % 8));
    fx_write(fx, TSS_BASE + IOMAP + port / 8, &b, 1);
}

/* Install the TSS as TR with `limit` and type `type` (0xb: busy 32-bit). */
static void install_tss(struct fixture *fx, uint16_t iomap_offset, uint32_t limit, unsigned type)
{
    uint8_t ones[IOMAP_BYTES + 1];
    memset(ones, 0xff, sizeof(ones));
    fx_write(fx, TSS_BASE + 0x66, &iomap_offset, 2);
    fx_write(fx, TSS_BASE + IOMAP, ones, sizeof(ones));
    fx->cpu.tr = (struct seg){ .sel = 0x28, .base = TSS_BASE, .limit = limit, .ar = SEG_AR_P | type };
}

static void install_bitmap_tss(struct fixture *fx)
{
    install_tss(fx, IOMAP, IOMAP + IOMAP_BYTES, 0xb); /* limit includes the ones byte */
    for (unsigned port = DEV_PORT; port < DEV_PORT + 4; port++)
        clear_port(fx, port);
    clear_port(fx, 0x80);
    clear_port(fx, 0xf8);
}

static void test_in_out_at_cpl3_with_iopl0_and_no_bitmap_raise_gp0(void **state)
{
    struct fixture *fx = *state;
    add_regdev(fx);
    install_tss(fx, IOMAP, IOMAP - 1, 0xb); /* the bitmap starts past the limit */
    enter_user(fx, 0);
    fx->cpu.r[R_EAX] = 0x12345678;
    assert_gp0(fx, RUN(fx, 0xe4, DEV_PORT));
    assert_gp0(fx, RUN(fx, 0xe6, DEV_PORT));
    assert_int_equal(fx->cpu.r[R_EAX], 0x12345678);
}

static void test_in_out_at_cpl3_with_iopl3_skip_the_bitmap(void **state)
{
    struct fixture *fx = *state;
    struct regdev *dev = add_regdev(fx);
    install_tss(fx, IOMAP, IOMAP - 1, 0xb);
    enter_user(fx, 3);
    fx->cpu.r[R_EAX] = 0x99;
    assert_int_equal(RUN(fx, 0xe6, DEV_PORT + 7), CPU_EXIT_BUDGET);
    assert_int_equal(dev->regs[7], 0x99);
}

static void test_bitmap_allows_only_the_ports_whose_bits_are_clear(void **state)
{
    struct fixture *fx = *state;
    struct regdev *dev = add_regdev(fx);
    install_bitmap_tss(fx);
    enter_user(fx, 0);
    struct cpu *cpu = &fx->cpu;

    cpu->r[R_EAX] = 0x01020304;
    assert_int_equal(RUN(fx, 0xe7, DEV_PORT), CPU_EXIT_BUDGET); /* out 0x40, eax: 0x40..0x43 clear */
    assert_memory_equal(dev->regs, "\x04\x03\x02\x01", 4);
    assert_int_equal(RUN(fx, 0xe6, 0x80), CPU_EXIT_BUDGET); /* out 0x80, al */
    assert_int_equal(RUN(fx, 0x66, 0xe5, DEV_PORT + 2), CPU_EXIT_BUDGET); /* in ax, 0x42 */
    assert_int_equal(cpu->r[R_EAX], 0x01020102);

    assert_gp0(fx, RUN(fx, 0xe4, 0x81));            /* in al, 0x81: bit set */
    assert_gp0(fx, RUN(fx, 0xe5, DEV_PORT + 1));    /* in eax, 0x41: 0x44's bit is set */
    cpu->r[R_EDX] = DEV_PORT + 3;
    assert_gp0(fx, RUN(fx, 0x66, 0xef));            /* out dx, ax at 0x43: 0x44 refused */
    assert_int_equal(dev->writes, 1);
    assert_int_equal(dev->reads, 1);
}

static void test_bitmap_is_read_two_bytes_at_a_time_within_the_limit(void **state)
{
    struct fixture *fx = *state;
    install_bitmap_tss(fx);
    enter_user(fx, 0);
    /* Port 0xf8's bit is in the bitmap's last byte; the byte after it (the
     * all-ones byte) is within the limit, so the port is allowed. */
    assert_int_equal(RUN(fx, 0xe4, 0xf8), CPU_EXIT_BUDGET);
    /* Ports past the bitmap: their bits are the ones byte, or past the limit. */
    fx->cpu.r[R_EDX] = 0x100;
    assert_gp0(fx, RUN(fx, 0xec));
    fx->cpu.r[R_EDX] = 0xffff;
    assert_gp0(fx, RUN(fx, 0xec));
    /* Without the ones byte in the limit, port 0xf8 is refused too. */
    fx->cpu.tr.limit = IOMAP + IOMAP_BYTES - 1;
    assert_gp0(fx, RUN(fx, 0xe4, 0xf8));
}

static void test_bitmap_needs_a_32bit_tss(void **state)
{
    struct fixture *fx = *state;
    install_bitmap_tss(fx);
    fx->cpu.tr.ar = SEG_AR_P | 0x3; /* busy 16-bit TSS: no bitmap */
    enter_user(fx, 0);
    assert_gp0(fx, RUN(fx, 0xe4, 0x80));
    fx->cpu.tr.ar = SEG_AR_P | 0x9; /* an available 32-bit TSS has one */
    assert_int_equal(RUN(fx, 0xe4, 0x80), CPU_EXIT_BUDGET);
}

/* ---- INT n, INT3, INTO -------------------------------------------------- */

static void assert_trap(struct fixture *fx, enum cpu_exit why, unsigned vector, uint32_t eip)
{
    assert_int_equal(why, CPU_EXIT_EXCEPTION);
    assert_int_equal(fx->cpu.exc.vector, vector);
    assert_true(fx->cpu.exc.soft);
    assert_false(fx->cpu.exc.has_error);
    assert_int_equal(fx->cpu.eip, eip); /* a trap: EIP past the instruction */
}

static void test_int_n_traps_with_its_vector(void **state)
{
    struct fixture *fx = *state;
    uint64_t before = fx->cpu.icount;
    assert_trap(fx, RUN(fx, 0xcd, 0x80), 0x80, FX_CODE + 2);
    assert_int_equal(fx->cpu.icount, before + 1); /* INT n retires */
}

static void test_int3_and_int_3_trap_with_vector_3(void **state)
{
    struct fixture *fx = *state;
    assert_trap(fx, RUN(fx, 0xcc), VEC_BP, FX_CODE + 1);
    assert_trap(fx, RUN(fx, 0xcd, 0x03), VEC_BP, FX_CODE + 2);
}

static void test_int_n_at_cpl3_leaves_the_dpl_check_to_delivery(void **state)
{
    struct fixture *fx = *state;
    enter_user(fx, 0);
    assert_trap(fx, RUN(fx, 0xcd, 0x0d), VEC_GP, FX_CODE + 2);
}

static void test_into_traps_only_when_of_is_set(void **state)
{
    struct fixture *fx = *state;
    assert_int_equal(RUN(fx, 0xce), CPU_EXIT_BUDGET);
    assert_int_equal(fx->cpu.eip, FX_CODE + 1);
    cpu_set_eflags(&fx->cpu, EFLAGS_FIXED1 | EFLAGS_OF);
    assert_trap(fx, RUN(fx, 0xce), VEC_OF, FX_CODE + 1);
}

/* ---- BOUND -------------------------------------------------------------- */

static void test_bound_within_the_signed_bounds_does_nothing(void **state)
{
    struct fixture *fx = *state;
    int32_t bounds[2] = { -5, 10 };
    fx_write(fx, FX_DATA, bounds, sizeof(bounds));
    fx->cpu.r[R_EBX] = FX_DATA;
    cpu_set_eflags(&fx->cpu, EFLAGS_FIXED1 | EFLAGS_CF | EFLAGS_ZF);
    const uint32_t inside[] = { (uint32_t)-5, 0, 10 };
    for (unsigned k = 0; k < 3; k++) {
        fx->cpu.r[R_EAX] = inside[k];
        assert_int_equal(RUN(fx, 0x62, 0x03), CPU_EXIT_BUDGET); /* bound eax, [ebx] */
        assert_int_equal(fx->cpu.eip, FX_CODE + 2);
    }
    assert_int_equal(cpu_eflags(&fx->cpu), EFLAGS_FIXED1 | EFLAGS_CF | EFLAGS_ZF);
}

static void test_bound_outside_raises_br_at_the_bound(void **state)
{
    struct fixture *fx = *state;
    int32_t bounds[2] = { -5, 10 };
    fx_write(fx, FX_DATA + 8, bounds, sizeof(bounds));
    fx->cpu.r[R_EBX] = FX_DATA;
    fx->cpu.r[R_EAX] = 11;
    enum cpu_exit why = RUN(fx, 0x62, 0x43, 0x08); /* bound eax, [ebx+8] */
    assert_fault(fx, why, VEC_BR, 0);
    assert_false(fx->cpu.exc.has_error);
    fx->cpu.r[R_EAX] = (uint32_t)-6;
    assert_fault(fx, RUN(fx, 0x62, 0x43, 0x08), VEC_BR, 0);
    fx->cpu.r[R_EAX] = 0x80000000u; /* unsigned it would be far above 10 */
    assert_fault(fx, RUN(fx, 0x62, 0x43, 0x08), VEC_BR, 0);
}

static void test_bound_with_16bit_operands_compares_words(void **state)
{
    struct fixture *fx = *state;
    int16_t bounds[2] = { -5, 10 };
    fx_write(fx, FX_DATA, bounds, sizeof(bounds));
    fx_write32(fx, FX_DATA + 4, 0x7fff7fff); /* would be the upper dword with 32 bits */
    fx->cpu.r[R_EBX] = FX_DATA;
    fx->cpu.r[R_EAX] = 0x1234fffb; /* AX = -5 */
    assert_int_equal(RUN(fx, 0x66, 0x62, 0x03), CPU_EXIT_BUDGET);
    fx->cpu.r[R_EAX] = 0x0000000b; /* AX = 11 */
    assert_fault(fx, RUN(fx, 0x66, 0x62, 0x03), VEC_BR, 0);
}

static void test_bound_with_a_register_operand_raises_ud(void **state)
{
    struct fixture *fx = *state;
    assert_fault(fx, RUN(fx, 0x62, 0xc3), VEC_UD, 0);
}

/* ---- UD2 ---------------------------------------------------------------- */

static void test_ud2_raises_ud(void **state)
{
    struct fixture *fx = *state;
    assert_fault(fx, RUN(fx, 0x0f, 0x0b), VEC_UD, 0);
    assert_false(fx->cpu.exc.has_error);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_hlt_exits_with_eip_past_it),
        T(test_hlt_at_cpl3_raises_gp0),
        T(test_invd_and_wbinvd_do_nothing_at_cpl0),
        T(test_invd_and_wbinvd_at_cpl3_raise_gp0),
        T(test_cli_clears_if),
        T(test_sti_sets_if_and_shadows_interrupts_for_one_instruction),
        T(test_sti_with_if_already_set_has_no_shadow),
        T(test_cli_sti_at_cpl3_with_iopl0_raise_gp0),
        T(test_cli_sti_at_cpl3_with_iopl3_are_allowed),
        T(test_cli_at_cpl1_needs_iopl1),
        T(test_out_and_in_with_an_immediate_port_reach_the_device_in_every_width),
        T(test_out_and_in_through_dx_reach_the_device_in_every_width),
        T(test_in_from_an_unclaimed_port_reads_all_ones),
        T(test_in_out_at_cpl3_with_iopl0_and_no_bitmap_raise_gp0),
        T(test_in_out_at_cpl3_with_iopl3_skip_the_bitmap),
        T(test_bitmap_allows_only_the_ports_whose_bits_are_clear),
        T(test_bitmap_is_read_two_bytes_at_a_time_within_the_limit),
        T(test_bitmap_needs_a_32bit_tss),
        T(test_int_n_traps_with_its_vector),
        T(test_int3_and_int_3_trap_with_vector_3),
        T(test_int_n_at_cpl3_leaves_the_dpl_check_to_delivery),
        T(test_into_traps_only_when_of_is_set),
        T(test_bound_within_the_signed_bounds_does_nothing),
        T(test_bound_outside_raises_br_at_the_bound),
        T(test_bound_with_16bit_operands_compares_words),
        T(test_bound_with_a_register_operand_raises_ud),
        T(test_ud2_raises_ud),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Interrupt and exception delivery through the IDT: gates, the TSS stack
 * switch, error codes, IF/TF, double and triple faults (core/cpu/intr.c;
 * SDM Vol. 3, 6.10-6.15; Vol. 2, INT n). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fixture.h"

static struct fixture fx;

#define GDT 0x20000u
#define IDT 0x21000u
#define TSS 0x22000u
#define PGDIR 0x40000u
#define ESP0 0x8000u                /* ring 0 stack in the TSS */
#define HANDLER(v) (0x3000u + (v) * 0x10u)

enum {
    CODE0 = 0x08,       /* flat code, DPL 0 */
    DATA0 = 0x10,       /* flat data, DPL 0 */
    CODE3 = 0x18,       /* flat code, DPL 3 */
    DATA3 = 0x20,       /* flat data, DPL 3 */
    TSS_SEL = 0x28,     /* 32-bit TSS */
    CONFORM = 0x30,     /* readable conforming code, DPL 0 */
    SMALLDATA = 0x38,   /* data, DPL 0, limit FX_STACK - 5 */
    ABSENTCODE = 0x40,  /* code, DPL 0, not present */
    GDT_ENTRIES = 9,
};

/* The IDT of these tests: vector, gate. */
enum {
    V_SYSCALL = 0x80,   /* trap gate, DPL 3 -> CODE0 */
    V_KERNEL = 0x81,    /* interrupt gate, DPL 0 -> CODE0 */
    V_ABSENT = 0x82,    /* trap gate, DPL 3, not present */
    V_IRQ = 0x40,       /* interrupt gate, DPL 0 -> CODE0 */
    V_TRAP = 0x41,      /* trap gate, DPL 0 -> CODE0 */
    V_IRQ16 = 0x42,     /* 16-bit interrupt gate, DPL 0 -> CODE0 */
    V_TASK = 0x43,      /* task gate */
    V_CONFORM = 0x44,   /* interrupt gate, DPL 0 -> CONFORM */
    V_BADCODE = 0x45,   /* interrupt gate, DPL 0 -> ABSENTCODE */
};

static void set_idt_gate(unsigned vector, uint64_t gate)
{
    fx_write(&fx, IDT + vector * 8, &gate, 8);
}

static void set_tables(void)
{
    const uint64_t gdt[GDT_ENTRIES] = {
        0,
        fx_desc(0, 0xfffff, 0x9a, 0xc),
        fx_desc(0, 0xfffff, 0x92, 0xc),
        fx_desc(0, 0xfffff, 0xfa, 0xc),
        fx_desc(0, 0xfffff, 0xf2, 0xc),
        fx_desc(TSS, 0x67, 0x8b, 0x0),
        fx_desc(0, 0xfffff, 0x9e, 0xc),
        fx_desc(0, FX_STACK - 5, 0x92, 0x4),
        fx_desc(0, 0xfffff, 0x1a, 0xc),
    };
    fx_set_gdt(&fx, GDT, gdt, GDT_ENTRIES);
    fx_write32(&fx, TSS + 4, ESP0);
    fx_write32(&fx, TSS + 8, DATA0);
    fx.cpu.tr = (struct seg){ .sel = TSS_SEL, .base = TSS, .limit = 0x67, .ar = 0x8b };

    static const uint8_t exceptions[] = { VEC_DF, VEC_TS, VEC_NP, VEC_SS, VEC_GP, VEC_PF };
    for (unsigned k = 0; k < sizeof exceptions; k++)
        set_idt_gate(exceptions[k], fx_gate(CODE0, HANDLER(exceptions[k]), 0x8e, 0));
    set_idt_gate(V_SYSCALL, fx_gate(CODE0, HANDLER(V_SYSCALL), 0xef, 0));
    set_idt_gate(V_KERNEL, fx_gate(CODE0, HANDLER(V_KERNEL), 0x8e, 0));
    set_idt_gate(V_ABSENT, fx_gate(CODE0, HANDLER(V_ABSENT), 0x6f, 0));
    set_idt_gate(V_IRQ, fx_gate(CODE0, HANDLER(V_IRQ), 0x8e, 0));
    set_idt_gate(V_TRAP, fx_gate(CODE0, HANDLER(V_TRAP), 0x8f, 0));
    set_idt_gate(V_IRQ16, fx_gate(CODE0, HANDLER(V_IRQ16), 0x86, 0));
    set_idt_gate(V_TASK, fx_gate(TSS_SEL, 0, 0x85, 0));
    set_idt_gate(V_CONFORM, fx_gate(CONFORM, HANDLER(V_CONFORM), 0x8e, 0));
    set_idt_gate(V_BADCODE, fx_gate(ABSENTCODE, HANDLER(V_BADCODE), 0x8e, 0));
    fx.cpu.idtr = (struct dtr){ .base = IDT, .limit = 0x7ff };
}

static int setup(void **state)
{
    (void)state;
    int err = fx_init(&fx);
    if (!err)
        set_tables();
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

/* The dword k slots above ESP (on a flat stack). */
static uint32_t stack_slot(unsigned k)
{
    return fx_read32(&fx, fx.cpu.r[R_ESP] + 4 * k);
}

/* Run one instruction at FX_CODE that must raise an exception. */
static void run_to_exception(const uint8_t *code, size_t len)
{
    fx_write(&fx, FX_CODE, code, len);
    fx.cpu.eip = FX_CODE;
    assert_int_equal(cpu_step(&fx.cpu), CPU_EXIT_EXCEPTION);
}
#define RAISE(...) run_to_exception((const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

static void assert_exc(unsigned vector, bool has_error, uint32_t error)
{
    assert_int_equal(fx.cpu.exc.vector, vector);
    assert_int_equal(fx.cpu.exc.has_error, has_error);
    assert_int_equal(fx.cpu.exc.error, error);
}

/* ---- INT n from ring 3 ---------------------------------------------------- */

static void test_int80_from_ring3_switches_to_the_tss_stack(void **state)
{
    (void)state;
    cpu_set_flat(&fx.cpu, 3);
    cpu_set_eflags(&fx.cpu, 0x202 | EFLAGS_CF | EFLAGS_TF);
    RAISE(0xcd, V_SYSCALL); /* int 0x80 */
    assert_true(fx.cpu.exc.soft);
    assert_int_equal(fx.cpu.eip, FX_CODE + 2);
    assert_int_equal(cpu_deliver_exception(&fx.cpu), 0);

    assert_int_equal(fx.cpu.cpl, 0);
    assert_int_equal(fx.cpu.seg[S_CS].sel, CODE0);
    assert_int_equal(fx.cpu.eip, HANDLER(V_SYSCALL));
    assert_int_equal(fx.cpu.seg[S_SS].sel, DATA0);
    assert_int_equal(fx.cpu.r[R_ESP], ESP0 - 20);
    assert_int_equal(stack_slot(0), FX_CODE + 2);
    assert_int_equal(stack_slot(1), CODE3 | 3);
    assert_int_equal(stack_slot(2), 0x203 | EFLAGS_TF);
    assert_int_equal(stack_slot(3), FX_STACK);
    assert_int_equal(stack_slot(4), DATA3 | 3);
    assert_int_equal(cpu_eflags(&fx.cpu), 0x203); /* trap gate: IF stays, TF cleared */
    assert_int_equal(fx.cpu.exc.vector, V_SYSCALL);
}

static void test_iret_from_the_int80_handler_returns_to_ring3(void **state)
{
    (void)state;
    cpu_set_flat(&fx.cpu, 3);
    RAISE(0xcd, V_SYSCALL);
    assert_int_equal(cpu_deliver_exception(&fx.cpu), 0);
    fx_write(&fx, HANDLER(V_SYSCALL), (const uint8_t[]){ 0xcf }, 1); /* iret */
    assert_int_equal(cpu_step(&fx.cpu), CPU_EXIT_BUDGET);
    assert_int_equal(fx.cpu.cpl, 3);
    assert_int_equal(fx.cpu.eip, FX_CODE + 2);
    assert_int_equal(fx.cpu.r[R_ESP], FX_STACK);
    assert_int_equal(fx.cpu.seg[S_SS].sel, DATA3 | 3);
}

static void test_int_to_a_dpl0_gate_from_ring3_raises_gp_at_the_int(void **state)
{
    (void)state;
    cpu_set_flat(&fx.cpu, 3);
    RAISE(0xcd, V_KERNEL);
    assert_int_equal(cpu_deliver_exception(&fx.cpu), 0);
    assert_exc(VEC_GP, true, V_KERNEL * 8 + 2);
    assert_int_equal(fx.cpu.eip, HANDLER(VEC_GP));
    assert_int_equal(fx.cpu.r[R_ESP], ESP0 - 24);
    assert_int_equal(stack_slot(0), V_KERNEL * 8 + 2);
    assert_int_equal(stack_slot(1), FX_CODE); /* the fault is reported at the INT */
    assert_int_equal(stack_slot(2), CODE3 | 3);
}

static void test_external_interrupt_ignores_the_gate_dpl(void **state)
{
    (void)state;
    cpu_set_flat(&fx.cpu, 3);
    fx.cpu.eip = FX_CODE;
    assert_int_equal(cpu_deliver_interrupt(&fx.cpu, V_KERNEL), 0);
    assert_int_equal(fx.cpu.cpl, 0);
    assert_int_equal(fx.cpu.eip, HANDLER(V_KERNEL));
    assert_int_equal(stack_slot(0), FX_CODE);
}

/* ---- Exceptions with error codes ------------------------------------------- */

/* Paging on: the first 4 MiB identity-mapped by one user-writable 4 MiB page. */
static void enable_paging(void)
{
    fx_write32(&fx, PGDIR, 0x87);
    fx.cpu.cr3 = PGDIR;
    fx.cpu.cr4 |= CR4_PSE;
    fx.cpu.cr0 |= CR0_PG;
    cpu_tlb_flush(&fx.cpu);
}

static void test_page_fault_delivery_pushes_the_error_code(void **state)
{
    (void)state;
    enable_paging();
    cpu_set_flat(&fx.cpu, 3);
    cpu_set_eflags(&fx.cpu, 0x202);
    RAISE(0xa1, 0x00, 0x00, 0x80, 0x00); /* mov eax, [0x800000] */
    assert_exc(VEC_PF, true, PF_U);
    assert_int_equal(cpu_deliver_exception(&fx.cpu), 0);
    assert_int_equal(fx.cpu.cr2, 0x800000);
    assert_int_equal(fx.cpu.eip, HANDLER(VEC_PF));
    assert_int_equal(fx.cpu.r[R_ESP], ESP0 - 24);
    assert_int_equal(stack_slot(0), PF_U);
    assert_int_equal(stack_slot(1), FX_CODE);
    assert_int_equal(stack_slot(2), CODE3 | 3);
    assert_int_equal(stack_slot(3), 0x202);
    assert_int_equal(stack_slot(4), FX_STACK);
    assert_int_equal(stack_slot(5), DATA3 | 3);
    assert_int_equal(cpu_eflags(&fx.cpu), 0x002); /* interrupt gate: IF cleared */
}

static void test_interrupt_gate_clears_if_and_trap_gate_does_not(void **state)
{
    (void)state;
    cpu_set_eflags(&fx.cpu, 0x202 | EFLAGS_TF | EFLAGS_NT);
    fx.cpu.eip = FX_CODE;
    assert_int_equal(cpu_deliver_interrupt(&fx.cpu, V_IRQ), 0);
    assert_int_equal(fx.cpu.r[R_ESP], FX_STACK - 12);
    assert_int_equal(stack_slot(0), FX_CODE);
    assert_int_equal(stack_slot(1), CODE0);
    assert_int_equal(stack_slot(2), 0x202 | EFLAGS_TF | EFLAGS_NT);
    assert_int_equal(cpu_eflags(&fx.cpu), 0x002);

    cpu_set_eflags(&fx.cpu, 0x202 | EFLAGS_TF | EFLAGS_NT);
    assert_int_equal(cpu_deliver_interrupt(&fx.cpu, V_TRAP), 0);
    assert_int_equal(fx.cpu.eip, HANDLER(V_TRAP));
    assert_int_equal(cpu_eflags(&fx.cpu), 0x202);
}

static void test_16bit_gate_pushes_words(void **state)
{
    (void)state;
    fx.cpu.eip = FX_CODE;
    assert_int_equal(cpu_deliver_interrupt(&fx.cpu, V_IRQ16), 0);
    assert_int_equal(fx.cpu.eip, HANDLER(V_IRQ16));
    assert_int_equal(fx.cpu.r[R_ESP], FX_STACK - 6);
    assert_int_equal(read16(FX_STACK - 6), FX_CODE);
    assert_int_equal(read16(FX_STACK - 4), CODE0);
    assert_int_equal(read16(FX_STACK - 2), 0x002);
}

static void test_conforming_handler_runs_in_the_current_ring(void **state)
{
    (void)state;
    cpu_set_flat(&fx.cpu, 3);
    fx.cpu.eip = FX_CODE;
    assert_int_equal(cpu_deliver_interrupt(&fx.cpu, V_CONFORM), 0);
    assert_int_equal(fx.cpu.cpl, 3);
    assert_int_equal(fx.cpu.seg[S_CS].sel, CONFORM | 3);
    assert_int_equal(fx.cpu.seg[S_SS].sel, DATA3 | 3);
    assert_int_equal(fx.cpu.r[R_ESP], FX_STACK - 12);
    assert_int_equal(stack_slot(1), CODE3 | 3);
}

/* ---- Faults during delivery -------------------------------------------------- */

static void test_not_present_gate_raises_np_with_the_idt_error_code(void **state)
{
    (void)state;
    RAISE(0xcd, V_ABSENT);
    assert_int_equal(cpu_deliver_exception(&fx.cpu), 0);
    assert_exc(VEC_NP, true, V_ABSENT * 8 + 2);
    assert_int_equal(stack_slot(0), V_ABSENT * 8 + 2);
    assert_int_equal(stack_slot(1), FX_CODE);

    fx.cpu.eip = FX_CODE; /* an external interrupt also sets EXT */
    assert_int_equal(cpu_deliver_interrupt(&fx.cpu, V_ABSENT), 0);
    assert_exc(VEC_NP, true, V_ABSENT * 8 + 3);
}

static void test_handler_code_segment_not_present_raises_np_with_ext(void **state)
{
    (void)state;
    fx.cpu.eip = FX_CODE;
    assert_int_equal(cpu_deliver_interrupt(&fx.cpu, V_BADCODE), 0);
    assert_exc(VEC_NP, true, ABSENTCODE | 1);
    assert_int_equal(fx.cpu.eip, HANDLER(VEC_NP));
}

static void test_task_gate_raises_gp(void **state)
{
    (void)state;
    /* Task switches are not implemented: a task gate is refused like a
     * gate of a bad type. */
    fx.cpu.eip = FX_CODE;
    assert_int_equal(cpu_deliver_interrupt(&fx.cpu, V_TASK), 0);
    assert_exc(VEC_GP, true, V_TASK * 8 + 3);
}

static void test_vector_beyond_the_idt_limit_raises_gp(void **state)
{
    (void)state;
    fx.cpu.idtr.limit = V_SYSCALL * 8 + 6; /* one byte short */
    RAISE(0xcd, V_SYSCALL);
    assert_int_equal(cpu_deliver_exception(&fx.cpu), 0);
    assert_exc(VEC_GP, true, V_SYSCALL * 8 + 2);
}

static void test_stack_fault_during_int_leaves_no_partial_frame(void **state)
{
    (void)state;
    /* The ring 0 stack is too small for the frame, and #SS has a handler in
     * conforming code, which runs on the ring 3 stack. */
    fx_write32(&fx, TSS + 4, FX_STACK);
    fx_write32(&fx, TSS + 8, SMALLDATA);
    set_idt_gate(VEC_SS, fx_gate(CONFORM, HANDLER(VEC_SS), 0x8e, 0));
    cpu_set_flat(&fx.cpu, 3);
    fx.cpu.r[R_ESP] = 0x7000;
    fx_write32(&fx, FX_STACK - 8, 0x55555555u);
    RAISE(0xcd, V_SYSCALL);
    assert_int_equal(cpu_deliver_exception(&fx.cpu), 0);
    assert_exc(VEC_SS, true, SMALLDATA);
    assert_int_equal(fx.cpu.cpl, 3);
    assert_int_equal(fx.cpu.eip, HANDLER(VEC_SS));
    assert_int_equal(fx.cpu.r[R_ESP], 0x7000 - 16);
    assert_int_equal(stack_slot(0), SMALLDATA);
    assert_int_equal(stack_slot(1), FX_CODE);
    assert_int_equal(fx_read32(&fx, FX_STACK - 8), 0x55555555u);
}

static void test_gp_with_its_gate_beyond_the_idt_limit_is_a_double_fault(void **state)
{
    (void)state;
    fx.cpu.idtr.limit = VEC_GP * 8 - 1; /* vectors 0..12 */
    fx.cpu.r[R_EAX] = 0x800;
    RAISE(0x8e, 0xd8); /* mov ds, ax: #GP(0x800) */
    assert_exc(VEC_GP, true, 0x800);
    assert_int_equal(cpu_deliver_exception(&fx.cpu), 0);
    assert_exc(VEC_DF, true, 0);
    assert_int_equal(fx.cpu.eip, HANDLER(VEC_DF));
    assert_int_equal(fx.cpu.r[R_ESP], FX_STACK - 16);
    assert_int_equal(stack_slot(0), 0);
    assert_int_equal(stack_slot(1), FX_CODE);
}

static void test_page_fault_during_page_fault_delivery_is_a_double_fault(void **state)
{
    (void)state;
    enable_paging();
    fx_write32(&fx, TSS + 4, 0x800000); /* ESP0 on an unmapped page */
    set_idt_gate(VEC_DF, fx_gate(CONFORM, HANDLER(VEC_DF), 0x8e, 0)); /* on the ring 3 stack */
    cpu_set_flat(&fx.cpu, 3);
    RAISE(0xa1, 0x00, 0x00, 0x80, 0x00); /* mov eax, [0x800000]: #PF */
    assert_int_equal(cpu_deliver_exception(&fx.cpu), 0);
    assert_exc(VEC_DF, true, 0);
    assert_int_equal(fx.cpu.cr2, 0x800000 - 4); /* the second #PF, on the ring 0 stack */
    assert_int_equal(fx.cpu.cpl, 3);
    assert_int_equal(fx.cpu.eip, HANDLER(VEC_DF));
    assert_int_equal(fx.cpu.r[R_ESP], FX_STACK - 16);
    assert_int_equal(stack_slot(0), 0);
    assert_int_equal(stack_slot(1), FX_CODE);
}

static void test_fault_while_delivering_a_double_fault_is_a_triple_fault(void **state)
{
    (void)state;
    fx.cpu.idtr.limit = VEC_DF * 8 - 1; /* vectors 0..7 */
    fx.cpu.r[R_EAX] = 0x800;
    fx_write32(&fx, FX_STACK - 4, 0x55555555u);
    RAISE(0x8e, 0xd8);
    assert_int_equal(cpu_deliver_exception(&fx.cpu), -1);
    assert_exc(VEC_GP, true, VEC_DF * 8 + 3);
    assert_int_equal(fx.cpu.eip, FX_CODE);
    assert_int_equal(fx.cpu.r[R_ESP], FX_STACK);
    assert_int_equal(fx.cpu.cpl, 0);
    assert_int_equal(fx_read32(&fx, FX_STACK - 4), 0x55555555u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_int80_from_ring3_switches_to_the_tss_stack),
        T(test_iret_from_the_int80_handler_returns_to_ring3),
        T(test_int_to_a_dpl0_gate_from_ring3_raises_gp_at_the_int),
        T(test_external_interrupt_ignores_the_gate_dpl),
        T(test_page_fault_delivery_pushes_the_error_code),
        T(test_interrupt_gate_clears_if_and_trap_gate_does_not),
        T(test_16bit_gate_pushes_words),
        T(test_conforming_handler_runs_in_the_current_ring),
        T(test_not_present_gate_raises_np_with_the_idt_error_code),
        T(test_handler_code_segment_not_present_raises_np_with_ext),
        T(test_task_gate_raises_gp),
        T(test_vector_beyond_the_idt_limit_raises_gp),
        T(test_stack_fault_during_int_leaves_no_partial_frame),
        T(test_gp_with_its_gate_beyond_the_idt_limit_is_a_double_fault),
        T(test_page_fault_during_page_fault_delivery_is_a_double_fault),
        T(test_fault_while_delivering_a_double_fault_is_a_triple_fault),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

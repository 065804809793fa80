/* System registers (core/cpu/exec_sysreg.c): privilege, LGDT/SGDT and
 * friends, LLDT/LTR, SMSW/LMSW/CLTS, MOV CRn with paging and the TLB,
 * MOV DRn, CPUID, RDTSC and the MSRs. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "vlab/mmu.h"

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
    assert_true(fx->cpu.exc.has_error);
    assert_int_equal(fx->cpu.exc.error, error);
    assert_int_equal(fx->cpu.eip, FX_CODE);
}

static void assert_gp0(struct fixture *fx, enum cpu_exit why)
{
    assert_fault(fx, why, VEC_GP, 0);
}

/* ---- Privilege ---------------------------------------------------------- */

struct code {
    const char *name;
    uint8_t bytes[4];
    unsigned len;
};

static const struct code privileged[] = {
    { "lgdt [ebx]", { 0x0f, 0x01, 0x13 }, 3 },   { "lidt [ebx]", { 0x0f, 0x01, 0x1b }, 3 },
    { "lldt ax", { 0x0f, 0x00, 0xd0 }, 3 },      { "ltr ax", { 0x0f, 0x00, 0xd8 }, 3 },
    { "lmsw ax", { 0x0f, 0x01, 0xf0 }, 3 },      { "clts", { 0x0f, 0x06 }, 2 },
    { "invlpg [ebx]", { 0x0f, 0x01, 0x3b }, 3 }, { "mov cr0, eax", { 0x0f, 0x22, 0xc0 }, 3 },
    { "mov eax, cr0", { 0x0f, 0x20, 0xc0 }, 3 }, { "mov cr3, eax", { 0x0f, 0x22, 0xd8 }, 3 },
    { "mov eax, cr4", { 0x0f, 0x20, 0xe0 }, 3 }, { "mov dr0, eax", { 0x0f, 0x23, 0xc0 }, 3 },
    { "mov eax, dr6", { 0x0f, 0x21, 0xf0 }, 3 }, { "rdmsr", { 0x0f, 0x32 }, 2 },
    { "wrmsr", { 0x0f, 0x30 }, 2 },              { "hlt", { 0xf4 }, 1 },
    { "invd", { 0x0f, 0x08 }, 2 },               { "wbinvd", { 0x0f, 0x09 }, 2 },
};

static void test_privileged_instructions_outside_cpl0_raise_gp0(void **state)
{
    struct fixture *fx = *state;
    struct cpu *cpu = &fx->cpu;
    for (unsigned cpl = 1; cpl <= 3; cpl += 2) {
        for (unsigned k = 0; k < VLAB_ARRAY_SIZE(privileged); k++) {
            const struct code *c = &privileged[k];
            cpu_set_flat(cpu, cpl);
            cpu->r[R_EAX] = 0x12345678;
            cpu->r[R_EBX] = FX_DATA;
            cpu->r[R_ECX] = MSR_IA32_TSC;
            enum cpu_exit why = fx_run_code(fx, c->bytes, c->len);
            if (why != CPU_EXIT_EXCEPTION || cpu->exc.vector != VEC_GP || cpu->exc.error != 0 ||
                cpu->eip != FX_CODE || cpu->r[R_EAX] != 0x12345678)
                fail_msg("%s at CPL %u: exit %d vector %u error %u eip %#x", c->name, cpl, why,
                         cpu->exc.vector, cpu->exc.error, cpu->eip);
        }
    }
    assert_int_equal(cpu->cr0, CR0_PE | CR0_ET);
    assert_int_equal(cpu->gdtr.limit, 0xffff);
}

static void test_sgdt_sidt_smsw_sldt_str_are_not_privileged(void **state)
{
    struct fixture *fx = *state;
    struct cpu *cpu = &fx->cpu;
    cpu->gdtr = (struct dtr){ .base = 0x00c0ffee, .limit = 0x3ff };
    cpu->idtr = (struct dtr){ .base = 0x00badbed, .limit = 0x7ff };
    cpu->ldtr.sel = 0x20;
    cpu->tr.sel = 0x28;
    cpu_set_flat(cpu, 3);
    cpu->r[R_EBX] = FX_DATA;
    assert_int_equal(RUN(fx, 0x0f, 0x01, 0x03,           /* sgdt [ebx] */
                         0x0f, 0x01, 0x4b, 0x08,         /* sidt [ebx+8] */
                         0x0f, 0x01, 0xe0,               /* smsw eax */
                         0x0f, 0x00, 0xc1,               /* sldt ecx */
                         0x0f, 0x00, 0xca),              /* str edx */
                     CPU_EXIT_BUDGET);
    assert_int_equal(fx_read32(fx, FX_DATA) & 0xffff, 0x3ff);
    assert_int_equal(fx_read32(fx, FX_DATA + 2), 0x00c0ffee);
    assert_int_equal(fx_read32(fx, FX_DATA + 8) & 0xffff, 0x7ff);
    assert_int_equal(fx_read32(fx, FX_DATA + 10), 0x00badbed);
    assert_int_equal(cpu->r[R_EAX], CR0_PE | CR0_ET);
    assert_int_equal(cpu->r[R_ECX], 0x20);
    assert_int_equal(cpu->r[R_EDX], 0x28);
}

/* ---- GDTR and IDTR ------------------------------------------------------ */

static void test_lgdt_then_sgdt_round_trips(void **state)
{
    struct fixture *fx = *state;
    struct cpu *cpu = &fx->cpu;
    const uint8_t pseudo[6] = { 0x27, 0x00, 0x00, 0x10, 0x34, 0x12 }; /* limit 0x27, base 0x12341000 */
    fx_write(fx, FX_DATA, pseudo, 6);
    cpu->r[R_EBX] = FX_DATA;
    assert_int_equal(RUN(fx, 0x0f, 0x01, 0x13,        /* lgdt [ebx] */
                         0x0f, 0x01, 0x43, 0x10),     /* sgdt [ebx+16] */
                     CPU_EXIT_BUDGET);
    assert_int_equal(cpu->gdtr.limit, 0x27);
    assert_int_equal(cpu->gdtr.base, 0x12341000);
    uint8_t out[8];
    physmem_read(&fx->mem, FX_DATA + 16, out, 8);
    assert_memory_equal(out, pseudo, 6);
    assert_int_equal(out[6], 0); /* nothing past the 6 bytes */
    assert_int_equal(cpu->idtr.limit, 0xffff);
}

static void test_lidt_then_sidt_round_trips(void **state)
{
    struct fixture *fx = *state;
    struct cpu *cpu = &fx->cpu;
    const uint8_t pseudo[6] = { 0xff, 0x07, 0x00, 0x20, 0x00, 0x80 };
    fx_write(fx, FX_DATA, pseudo, 6);
    cpu->r[R_EBX] = FX_DATA;
    assert_int_equal(RUN(fx, 0x0f, 0x01, 0x1b, 0x0f, 0x01, 0x4b, 0x10), CPU_EXIT_BUDGET);
    assert_int_equal(cpu->idtr.limit, 0x7ff);
    assert_int_equal(cpu->idtr.base, 0x80002000);
    uint8_t out[6];
    physmem_read(&fx->mem, FX_DATA + 16, out, 6);
    assert_memory_equal(out, pseudo, 6);
}

static void test_lgdt_with_16bit_operand_size_loads_24_bits_of_base(void **state)
{
    struct fixture *fx = *state;
    const uint8_t pseudo[6] = { 0x17, 0x00, 0x56, 0x34, 0x12, 0xff };
    fx_write(fx, FX_DATA, pseudo, 6);
    fx->cpu.r[R_EBX] = FX_DATA;
    assert_int_equal(RUN(fx, 0x66, 0x0f, 0x01, 0x13), CPU_EXIT_BUDGET); /* lgdtw [ebx] */
    assert_int_equal(fx->cpu.gdtr.limit, 0x17);
    assert_int_equal(fx->cpu.gdtr.base, 0x00123456);
}

static void test_sgdt_with_16bit_operand_size_stores_the_whole_base(void **state)
{
    struct fixture *fx = *state;
    fx->cpu.gdtr = (struct dtr){ .base = 0xff123456, .limit = 0x17 };
    fx->cpu.r[R_EBX] = FX_DATA;
    assert_int_equal(RUN(fx, 0x66, 0x0f, 0x01, 0x03), CPU_EXIT_BUDGET); /* sgdtw [ebx] */
    assert_int_equal(fx_read32(fx, FX_DATA + 2), 0xff123456);
}

/* ---- LDTR and TR -------------------------------------------------------- */

#define GDT 0x20000u
#define LDT_BASE 0x50000u
#define TSS_BASE 0x30000u

static void install_gdt(struct fixture *fx)
{
    const uint64_t gdt[] = {
        0,
        fx_desc(0, 0xfffff, 0x9a, 0xc),          /* 0x08 code */
        fx_desc(0, 0xfffff, 0x92, 0xc),          /* 0x10 data */
        fx_desc(LDT_BASE, 0x1f, 0x02, 0),        /* 0x18 LDT, not present */
        fx_desc(LDT_BASE, 0x1f, 0x82, 0),        /* 0x20 LDT */
        fx_desc(TSS_BASE, 0x67, 0x89, 0),        /* 0x28 32-bit TSS, available */
        fx_desc(TSS_BASE + 0x100, 0x2b, 0x81, 0), /* 0x30 16-bit TSS, available */
        fx_desc(TSS_BASE, 0x67, 0x09, 0),        /* 0x38 32-bit TSS, not present */
    };
    fx_set_gdt(fx, GDT, gdt, VLAB_ARRAY_SIZE(gdt));
}

static void test_sldt_and_str_to_a_32bit_register_zero_extend(void **state)
{
    struct fixture *fx = *state;
    struct cpu *cpu = &fx->cpu;
    cpu->ldtr.sel = 0x20;
    cpu->tr.sel = 0x28;
    cpu->r[R_EAX] = cpu->r[R_ECX] = 0xdeadbeef;
    assert_int_equal(RUN(fx, 0x0f, 0x00, 0xc0, 0x0f, 0x00, 0xc9), CPU_EXIT_BUDGET);
    assert_int_equal(cpu->r[R_EAX], 0x20);
    assert_int_equal(cpu->r[R_ECX], 0x28);
}

static void test_sldt_and_str_with_16bit_operand_or_to_memory_write_16_bits(void **state)
{
    struct fixture *fx = *state;
    struct cpu *cpu = &fx->cpu;
    cpu->ldtr.sel = 0x20;
    cpu->tr.sel = 0x28;
    cpu->r[R_EAX] = 0xdeadbeef;
    cpu->r[R_EBX] = FX_DATA;
    fx_write32(fx, FX_DATA, 0xaaaaaaaa);
    fx_write32(fx, FX_DATA + 4, 0xbbbbbbbb);
    assert_int_equal(RUN(fx, 0x66, 0x0f, 0x00, 0xc0,     /* sldt ax */
                         0x0f, 0x00, 0x03,               /* sldt [ebx] */
                         0x66, 0x0f, 0x00, 0x4b, 0x04),  /* str [ebx+4] (66 changes nothing) */
                     CPU_EXIT_BUDGET);
    assert_int_equal(cpu->r[R_EAX], 0xdead0020);
    assert_int_equal(fx_read32(fx, FX_DATA), 0xaaaa0020);
    assert_int_equal(fx_read32(fx, FX_DATA + 4), 0xbbbb0028);
}

static void test_lldt_loads_ldtr_from_an_ldt_descriptor_in_the_gdt(void **state)
{
    struct fixture *fx = *state;
    struct cpu *cpu = &fx->cpu;
    install_gdt(fx);
    cpu->r[R_EAX] = 0x23; /* RPL does not matter */
    assert_int_equal(RUN(fx, 0x0f, 0x00, 0xd0), CPU_EXIT_BUDGET);
    assert_int_equal(cpu->ldtr.sel, 0x23);
    assert_int_equal(cpu->ldtr.base, LDT_BASE);
    assert_int_equal(cpu->ldtr.limit, 0x1f);
    assert_int_equal(cpu->ldtr.ar & (SEG_AR_UNUSABLE | SEG_AR_P | SEG_AR_S | SEG_AR_TYPE), SEG_AR_P | 0x2);
}

static void test_lldt_with_a_null_selector_makes_ldtr_unusable(void **state)
{
    struct fixture *fx = *state;
    struct cpu *cpu = &fx->cpu;
    install_gdt(fx);
    cpu->r[R_EAX] = 0x20;
    assert_int_equal(RUN(fx, 0x0f, 0x00, 0xd0), CPU_EXIT_BUDGET);
    cpu->r[R_EAX] = 0x0003;
    assert_int_equal(RUN(fx, 0x0f, 0x00, 0xd0), CPU_EXIT_BUDGET);
    assert_int_equal(cpu->ldtr.sel, 0x0003);
    assert_true(cpu->ldtr.ar & SEG_AR_UNUSABLE);
}

static void test_lldt_refuses_anything_but_a_gdt_ldt_descriptor_with_gp_sel(void **state)
{
    struct fixture *fx = *state;
    struct cpu *cpu = &fx->cpu;
    install_gdt(fx);
    const struct seg before = cpu->ldtr;
    const uint16_t bad[][2] = {
        { 0x13, 0x10 }, /* a data segment */
        { 0x28, 0x28 }, /* a TSS */
        { 0x24, 0x24 }, /* TI = 1: LDT entries cannot describe LDTs */
        { 0x40, 0x40 }, /* past the GDT limit */
    };
    for (unsigned k = 0; k < VLAB_ARRAY_SIZE(bad); k++) {
        cpu->r[R_EAX] = bad[k][0];
        assert_fault(fx, RUN(fx, 0x0f, 0x00, 0xd0), VEC_GP, bad[k][1]);
    }
    assert_memory_equal(&cpu->ldtr, &before, sizeof(before));
}

static void test_lldt_of_a_not_present_ldt_raises_np_sel(void **state)
{
    struct fixture *fx = *state;
    install_gdt(fx);
    fx->cpu.r[R_EAX] = 0x1b;
    assert_fault(fx, RUN(fx, 0x0f, 0x00, 0xd0), VEC_NP, 0x18);
}

static void test_ltr_loads_tr_and_sets_the_busy_bit_in_the_gdt(void **state)
{
    struct fixture *fx = *state;
    struct cpu *cpu = &fx->cpu;
    install_gdt(fx);
    cpu->r[R_EAX] = 0x28;
    assert_int_equal(RUN(fx, 0x0f, 0x00, 0xd8), CPU_EXIT_BUDGET);
    assert_int_equal(cpu->tr.sel, 0x28);
    assert_int_equal(cpu->tr.base, TSS_BASE);
    assert_int_equal(cpu->tr.limit, 0x67);
    assert_int_equal(cpu->tr.ar & (SEG_AR_P | SEG_AR_S | SEG_AR_TYPE), SEG_AR_P | 0xb);
    uint8_t access;
    physmem_read(&fx->mem, GDT + 0x28 + 5, &access, 1);
    assert_int_equal(access, 0x8b);
}

static void test_ltr_of_a_busy_tss_raises_gp_sel(void **state)
{
    struct fixture *fx = *state;
    install_gdt(fx);
    fx->cpu.r[R_EAX] = 0x28;
    assert_int_equal(RUN(fx, 0x0f, 0x00, 0xd8), CPU_EXIT_BUDGET);
    fx->cpu.r[R_EAX] = 0x2b;
    assert_fault(fx, RUN(fx, 0x0f, 0x00, 0xd8), VEC_GP, 0x28);
}

static void test_ltr_refuses_null_16bit_and_not_present_tss(void **state)
{
    struct fixture *fx = *state;
    struct cpu *cpu = &fx->cpu;
    install_gdt(fx);
    cpu->r[R_EAX] = 0x0002;
    assert_gp0(fx, RUN(fx, 0x0f, 0x00, 0xd8));
    cpu->r[R_EAX] = 0x30; /* this CPU has no 16-bit task state */
    assert_fault(fx, RUN(fx, 0x0f, 0x00, 0xd8), VEC_GP, 0x30);
    cpu->r[R_EAX] = 0x38;
    assert_fault(fx, RUN(fx, 0x0f, 0x00, 0xd8), VEC_NP, 0x38);
    assert_int_equal(cpu->tr.sel, 0);
}

/* ---- SMSW, LMSW, CLTS --------------------------------------------------- */

static void test_smsw_to_a_32bit_register_stores_all_of_cr0(void **state)
{
    struct fixture *fx = *state;
    fx->cpu.cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_WP;
    assert_int_equal(RUN(fx, 0x0f, 0x01, 0xe0), CPU_EXIT_BUDGET);
    assert_int_equal(fx->cpu.r[R_EAX], CR0_PE | CR0_ET | CR0_NE | CR0_WP);
}

static void test_smsw_16bit_and_to_memory_store_the_low_word(void **state)
{
    struct fixture *fx = *state;
    struct cpu *cpu = &fx->cpu;
    cpu->cr0 = CR0_PE | CR0_ET | CR0_TS | CR0_WP;
    cpu->r[R_EAX] = 0xdeadbeef;
    cpu->r[R_EBX] = FX_DATA;
    fx_write32(fx, FX_DATA, 0xaaaaaaaa);
    assert_int_equal(RUN(fx, 0x66, 0x0f, 0x01, 0xe0, 0x0f, 0x01, 0x23), CPU_EXIT_BUDGET);
    assert_int_equal(cpu->r[R_EAX], 0xdead0019);
    assert_int_equal(fx_read32(fx, FX_DATA), 0xaaaa0019);
}

static void test_lmsw_loads_mp_em_ts_and_cannot_clear_pe(void **state)
{
    struct fixture *fx = *state;
    struct cpu *cpu = &fx->cpu;
    cpu->cr0 = CR0_PE | CR0_ET | CR0_NE;
    cpu->r[R_EAX] = 0xffee; /* only the low 4 bits count; PE = 0 is ignored */
    assert_int_equal(RUN(fx, 0x0f, 0x01, 0xf0), CPU_EXIT_BUDGET);
    assert_int_equal(cpu->cr0, CR0_PE | CR0_ET | CR0_NE | CR0_MP | CR0_EM | CR0_TS);
    cpu->r[R_EAX] = 0;
    assert_int_equal(RUN(fx, 0x0f, 0x01, 0xf0), CPU_EXIT_BUDGET);
    assert_int_equal(cpu->cr0, CR0_PE | CR0_ET | CR0_NE);
}

static void test_clts_clears_ts_only(void **state)
{
    struct fixture *fx = *state;
    fx->cpu.cr0 = CR0_PE | CR0_ET | CR0_TS | CR0_MP;
    assert_int_equal(RUN(fx, 0x0f, 0x06), CPU_EXIT_BUDGET);
    assert_int_equal(fx->cpu.cr0, CR0_PE | CR0_ET | CR0_MP);
}

/* ---- MOV CRn ------------------------------------------------------------ */

#define MOV_CR0_EAX 0x0f, 0x22, 0xc0
#define MOV_EAX_CR0 0x0f, 0x20, 0xc0
#define MOV_CR3_EAX 0x0f, 0x22, 0xd8
#define MOV_CR4_EAX 0x0f, 0x22, 0xe0
#define MOV_EAX_CR4 0x0f, 0x20, 0xe0

static void test_mov_cr0_with_pg_but_not_pe_raises_gp0(void **state)
{
    struct fixture *fx = *state;
    fx->cpu.r[R_EAX] = CR0_PG | CR0_ET;
    assert_gp0(fx, RUN(fx, MOV_CR0_EAX));
    assert_int_equal(fx->cpu.cr0, CR0_PE | CR0_ET);
}

static void test_mov_cr0_with_nw_but_not_cd_raises_gp0(void **state)
{
    struct fixture *fx = *state;
    fx->cpu.r[R_EAX] = CR0_PE | CR0_NW;
    assert_gp0(fx, RUN(fx, MOV_CR0_EAX));
    fx->cpu.r[R_EAX] = CR0_PE | CR0_NW | CR0_CD;
    assert_int_equal(RUN(fx, MOV_CR0_EAX), CPU_EXIT_BUDGET);
    assert_int_equal(fx->cpu.cr0, CR0_PE | CR0_ET | CR0_NW | CR0_CD);
}

/* Real mode is not implemented yet: leaving protected mode is refused. */
static void test_mov_cr0_clearing_pe_raises_gp0(void **state)
{
    struct fixture *fx = *state;
    fx->cpu.r[R_EAX] = CR0_ET;
    assert_gp0(fx, RUN(fx, MOV_CR0_EAX));
    assert_int_equal(fx->cpu.cr0, CR0_PE | CR0_ET);
}

static void test_mov_cr0_keeps_et_set_and_ignores_reserved_bits(void **state)
{
    struct fixture *fx = *state;
    fx->cpu.r[R_EAX] = CR0_PE | CR0_NE | CR0_AM | 0x0000ff00u; /* ET clear, bits 15:8 reserved */
    assert_int_equal(RUN(fx, MOV_CR0_EAX, 0x0f, 0x20, 0xc1), CPU_EXIT_BUDGET); /* ...; mov ecx, cr0 */
    assert_int_equal(fx->cpu.r[R_ECX], CR0_PE | CR0_ET | CR0_NE | CR0_AM);
}

static void test_mov_cr4_with_an_unsupported_bit_raises_gp0(void **state)
{
    struct fixture *fx = *state;
    const uint32_t unsupported[] = { CR4_VME, CR4_PVI, CR4_DE, 0x20 /* PAE */, 0x200 /* OSFXSR */ };
    for (unsigned k = 0; k < VLAB_ARRAY_SIZE(unsupported); k++) {
        fx->cpu.r[R_EAX] = CR4_PSE | unsupported[k];
        assert_gp0(fx, RUN(fx, MOV_CR4_EAX));
        assert_int_equal(fx->cpu.cr4, 0);
    }
}

static void test_mov_cr4_supported_bits_round_trip(void **state)
{
    struct fixture *fx = *state;
    fx->cpu.r[R_EAX] = CR4_TSD | CR4_PSE | CR4_PGE;
    assert_int_equal(RUN(fx, MOV_CR4_EAX, 0x0f, 0x20, 0xe2), CPU_EXIT_BUDGET); /* ...; mov edx, cr4 */
    assert_int_equal(fx->cpu.r[R_EDX], CR4_TSD | CR4_PSE | CR4_PGE);
}

static void test_mov_cr2_and_cr3_keep_what_is_written(void **state)
{
    struct fixture *fx = *state;
    struct cpu *cpu = &fx->cpu;
    cpu->r[R_EAX] = 0xdeadbeef;
    cpu->r[R_ECX] = 0x00345018; /* PWT and PCD set */
    assert_int_equal(RUN(fx, 0x0f, 0x22, 0xd0,     /* mov cr2, eax */
                         0x0f, 0x22, 0xd9,         /* mov cr3, ecx */
                         0x0f, 0x20, 0xd6,         /* mov esi, cr2 */
                         0x0f, 0x20, 0xdf),        /* mov edi, cr3 */
                     CPU_EXIT_BUDGET);
    assert_int_equal(cpu->r[R_ESI], 0xdeadbeef);
    assert_int_equal(cpu->r[R_EDI], 0x00345018);
}

/* ---- Paging and the TLB ------------------------------------------------- */

/* Page tables in guest memory:
 *
 *   PD at 0x100000:  PDE 0 -> PT at 0x101000   linear 0..4 MiB in 4 KiB pages:
 *                                              identity, except 0x300000 not
 *                                              present and 0x301000 supervisor-only
 *                    PDE 1 -> 4 MiB page      linear 4..8 MiB -> physical 8..12 MiB
 */
#define PD 0x100000u
#define PT 0x101000u
#define NOT_PRESENT 0x300000u
#define SUPERVISOR 0x301000u
#define BIG_LIN 0x400000u
#define BIG_PHYS 0x800000u
#define BIG_PHYS2 0xc00000u

static void build_page_tables(struct fixture *fx)
{
    for (uint32_t i = 0; i < 1024; i++)
        fx_write32(fx, PT + 4 * i, (i << 12) | PTE_P | PTE_W | PTE_U);
    fx_write32(fx, PT + 4 * (NOT_PRESENT >> 12), NOT_PRESENT | PTE_W | PTE_U);
    fx_write32(fx, PT + 4 * (SUPERVISOR >> 12), SUPERVISOR | PTE_P | PTE_W);
    fx_write32(fx, PD, PT | PTE_P | PTE_W | PTE_U);
    fx_write32(fx, PD + 4, BIG_PHYS | PTE_P | PTE_W | PTE_U | PTE_PS);
}

static void enable_paging(struct fixture *fx)
{
    struct cpu *cpu = &fx->cpu;
    build_page_tables(fx);
    cpu->r[R_EAX] = PD;
    cpu->r[R_ECX] = CR4_PSE;
    cpu->r[R_EDX] = CR0_PE | CR0_ET | CR0_PG;
    assert_int_equal(RUN(fx, MOV_CR3_EAX,
                         0x0f, 0x22, 0xe1,         /* mov cr4, ecx */
                         0x0f, 0x22, 0xc2),        /* mov cr0, edx */
                     CPU_EXIT_BUDGET);
    assert_int_equal(cpu->cr0, CR0_PE | CR0_ET | CR0_PG);
}

/* mov eax, [ebx] with EBX = lin; returns the exit. */
static enum cpu_exit load_at(struct fixture *fx, gva_t lin)
{
    fx->cpu.r[R_EBX] = lin;
    return RUN(fx, 0x8b, 0x03);
}

static uint32_t load_ok(struct fixture *fx, gva_t lin)
{
    assert_int_equal(load_at(fx, lin), CPU_EXIT_BUDGET);
    return fx->cpu.r[R_EAX];
}

static void test_paging_translates_4k_and_4m_pages(void **state)
{
    struct fixture *fx = *state;
    fx_write32(fx, FX_DATA, 0x12345678);
    fx_write32(fx, BIG_PHYS + 0x1234, 0xfeedface);
    fx_write32(fx, BIG_LIN + 0x1234, 0x0badf00d); /* what paging off would read */
    enable_paging(fx);
    assert_int_equal(load_ok(fx, FX_DATA), 0x12345678);
    assert_int_equal(load_ok(fx, BIG_LIN + 0x1234), 0xfeedface);
    /* The walk set the accessed bits. */
    assert_true(fx_read32(fx, PD + 4) & PTE_A);
    assert_true(fx_read32(fx, PT + 4 * (FX_DATA >> 12)) & PTE_A);
}

static void test_not_present_page_raises_pf_with_cr2_and_error_code(void **state)
{
    struct fixture *fx = *state;
    struct cpu *cpu = &fx->cpu;
    enable_paging(fx);
    cpu->r[R_EAX] = 0x11111111;
    assert_fault(fx, load_at(fx, NOT_PRESENT + 0x10), VEC_PF, 0); /* read, supervisor, not present */
    assert_int_equal(cpu->cr2, NOT_PRESENT + 0x10);
    assert_int_equal(cpu->exc.cr2, NOT_PRESENT + 0x10);
    assert_int_equal(cpu->r[R_EAX], 0x11111111);

    cpu->r[R_EBX] = NOT_PRESENT + 0x20;
    assert_fault(fx, RUN(fx, 0x89, 0x03), VEC_PF, PF_W); /* mov [ebx], eax */
    assert_int_equal(cpu->cr2, NOT_PRESENT + 0x20);

    cpu_set_flat(cpu, 3);
    assert_fault(fx, load_at(fx, SUPERVISOR + 8), VEC_PF, PF_P | PF_U);
    assert_int_equal(cpu->cr2, SUPERVISOR + 8);
}

static void test_tlb_keeps_the_old_mapping_until_invlpg(void **state)
{
    struct fixture *fx = *state;
    const gva_t lin = 0x200000;
    fx_write32(fx, 0x200000, 0xaaaaaaaa);
    fx_write32(fx, 0x201000, 0xbbbbbbbb);
    enable_paging(fx);
    assert_int_equal(load_ok(fx, lin), 0xaaaaaaaa);

    fx_write32(fx, PT + 4 * (lin >> 12), 0x201000 | PTE_P | PTE_W | PTE_U);
    assert_int_equal(load_ok(fx, lin), 0xaaaaaaaa); /* the TLB still has the old one */

    fx->cpu.r[R_EBX] = lin;
    assert_int_equal(RUN(fx, 0x0f, 0x01, 0x3b), CPU_EXIT_BUDGET); /* invlpg [ebx] */
    assert_int_equal(load_ok(fx, lin), 0xbbbbbbbb);
}

static void test_invlpg_in_a_4m_page_forgets_the_whole_page(void **state)
{
    struct fixture *fx = *state;
    const uint32_t off = 0x5000; /* a TLB slot the code and stack do not use */
    fx_write32(fx, BIG_PHYS + off, 0xaaaaaaaa);
    fx_write32(fx, BIG_PHYS2 + off, 0xbbbbbbbb);
    enable_paging(fx);
    assert_int_equal(load_ok(fx, BIG_LIN + off), 0xaaaaaaaa);

    fx_write32(fx, PD + 4, BIG_PHYS2 | PTE_P | PTE_W | PTE_U | PTE_PS);
    assert_int_equal(load_ok(fx, BIG_LIN + off), 0xaaaaaaaa);

    fx->cpu.r[R_EBX] = BIG_LIN; /* another 4 KiB of the same 4 MiB page */
    assert_int_equal(RUN(fx, 0x0f, 0x01, 0x3b), CPU_EXIT_BUDGET); /* invlpg [ebx] */
    assert_int_equal(load_ok(fx, BIG_LIN + off), 0xbbbbbbbb);
}

static void test_mov_cr3_flushes_the_tlb(void **state)
{
    struct fixture *fx = *state;
    const gva_t lin = 0x200000;
    fx_write32(fx, 0x200000, 0xaaaaaaaa);
    fx_write32(fx, 0x201000, 0xbbbbbbbb);
    enable_paging(fx);
    assert_int_equal(load_ok(fx, lin), 0xaaaaaaaa);
    fx_write32(fx, PT + 4 * (lin >> 12), 0x201000 | PTE_P | PTE_W | PTE_U);
    fx->cpu.r[R_EAX] = PD;
    assert_int_equal(RUN(fx, MOV_CR3_EAX), CPU_EXIT_BUDGET);
    assert_int_equal(load_ok(fx, lin), 0xbbbbbbbb);
}

static void test_invlpg_never_faults(void **state)
{
    struct fixture *fx = *state;
    enable_paging(fx);
    fx->cpu.r[R_EBX] = NOT_PRESENT;
    assert_int_equal(RUN(fx, 0x0f, 0x01, 0x3b), CPU_EXIT_BUDGET);
    assert_int_equal(fx->cpu.eip, FX_CODE + 3);
}

static void test_sgdt_writes_nothing_when_its_base_half_faults(void **state)
{
    struct fixture *fx = *state;
    struct cpu *cpu = &fx->cpu;
    enable_paging(fx);
    cpu->gdtr = (struct dtr){ .base = 0xabcdef01, .limit = 0x1234 };
    fx_write32(fx, NOT_PRESENT - 4, 0x5a5a5a5a);
    cpu->r[R_EBX] = NOT_PRESENT - 2; /* the limit fits, the base crosses into the hole */
    assert_fault(fx, RUN(fx, 0x0f, 0x01, 0x03), VEC_PF, PF_W);
    assert_int_equal(cpu->cr2, NOT_PRESENT);
    assert_int_equal(fx_read32(fx, NOT_PRESENT - 4), 0x5a5a5a5a);
}

/* ---- MOV DRn ------------------------------------------------------------ */

static void test_mov_dr_stores_and_reads_back_with_dr4_dr5_aliasing_dr6_dr7(void **state)
{
    struct fixture *fx = *state;
    struct cpu *cpu = &fx->cpu;
    cpu->r[R_EAX] = 0x12345678;
    assert_int_equal(RUN(fx, 0x0f, 0x23, 0xc0,     /* mov dr0, eax */
                         0x0f, 0x21, 0xc1,         /* mov ecx, dr0 */
                         0x0f, 0x21, 0xe2,         /* mov edx, dr4: DR6 after reset */
                         0x0f, 0x21, 0xfe),        /* mov esi, dr7 */
                     CPU_EXIT_BUDGET);
    assert_int_equal(cpu->r[R_ECX], 0x12345678);
    assert_int_equal(cpu->r[R_EDX], 0xffff0ff0);
    assert_int_equal(cpu->r[R_ESI], 0x00000400);

    cpu->r[R_EAX] = 0x000f0003; /* L0, G0, R/W0 = LEN0 = 11b */
    assert_int_equal(RUN(fx, 0x0f, 0x23, 0xe8,     /* mov dr5, eax: that is DR7 */
                         0x0f, 0x21, 0xf9),        /* mov ecx, dr7 */
                     CPU_EXIT_BUDGET);
    assert_int_equal(cpu->r[R_ECX], 0x000f0403);
    assert_int_equal(cpu->dr[7], 0x000f0403);
}

/* ---- CPUID -------------------------------------------------------------- */

static void cpuid(struct fixture *fx, uint32_t leaf, uint32_t out[4])
{
    fx->cpu.r[R_EAX] = leaf;
    fx->cpu.r[R_ECX] = 0x5555;
    assert_int_equal(RUN(fx, 0x0f, 0xa2), CPU_EXIT_BUDGET);
    out[0] = fx->cpu.r[R_EAX];
    out[1] = fx->cpu.r[R_EBX];
    out[2] = fx->cpu.r[R_ECX];
    out[3] = fx->cpu.r[R_EDX];
}

static void test_cpuid_leaf0_reports_max_leaf_1_and_the_vendor(void **state)
{
    uint32_t r[4];
    cpuid(*state, 0, r);
    assert_int_equal(r[0], 1);
    char vendor[13] = { 0 };
    memcpy(vendor, &r[1], 4); /* EBX, EDX, ECX */
    memcpy(vendor + 4, &r[3], 4);
    memcpy(vendor + 8, &r[2], 4);
    assert_string_equal(vendor, "VlabVirtCPU!");
}

static void test_cpuid_leaf1_reports_only_implemented_features(void **state)
{
    uint32_t r[4];
    cpuid(*state, 1, r);
    assert_int_equal(r[0], 0x610); /* family 6, model 1, stepping 0 */
    assert_int_equal(r[1], 0);
    assert_int_equal(r[2], 0);
    /* PSE(3) TSC(4) MSR(5) CX8(8) PGE(13) CMOV(15); no FPU(0), DE(2), APIC(9), SEP(11), MMX(23) ... */
    assert_int_equal(r[3], (1u << 3) | (1u << 4) | (1u << 5) | (1u << 8) | (1u << 13) | (1u << 15));
}

static void test_cpuid_has_no_extended_leaves_and_unknown_leaves_return_leaf1(void **state)
{
    uint32_t r[4], leaf1[4];
    cpuid(*state, 0x80000000u, r);
    assert_int_equal(r[0], 0x80000000u);
    cpuid(*state, 1, leaf1);
    const uint32_t beyond[] = { 2, 0x0d, 0x40000000u, 0x80000001u, 0xffffffffu };
    for (unsigned k = 0; k < VLAB_ARRAY_SIZE(beyond); k++) {
        cpuid(*state, beyond[k], r);
        assert_memory_equal(r, leaf1, sizeof(r));
    }
}

/* ---- RDTSC and MSRs ----------------------------------------------------- */

static void test_rdtsc_counts_retired_instructions(void **state)
{
    struct fixture *fx = *state;
    struct cpu *cpu = &fx->cpu;
    const uint8_t code[] = { 0x0f, 0x31, 0x0f, 0x06, 0x0f, 0x06, 0x0f, 0x06, 0x0f, 0x31 };
    fx_write(fx, FX_CODE, code, sizeof(code));
    cpu->eip = FX_CODE;
    uint64_t icount = cpu->icount;
    assert_int_equal(cpu_step(cpu), CPU_EXIT_BUDGET);
    uint64_t first = ((uint64_t)cpu->r[R_EDX] << 32) | cpu->r[R_EAX];
    assert_int_equal(first, icount); /* TSC = icount with a zero offset */
    assert_int_equal(cpu_run(cpu, 4), CPU_EXIT_BUDGET);
    uint64_t second = ((uint64_t)cpu->r[R_EDX] << 32) | cpu->r[R_EAX];
    assert_int_equal(second - first, 4);
}

static void test_rdtsc_with_cr4_tsd_is_for_cpl0_only(void **state)
{
    struct fixture *fx = *state;
    fx->cpu.cr4 = CR4_TSD;
    assert_int_equal(RUN(fx, 0x0f, 0x31), CPU_EXIT_BUDGET);
    cpu_set_flat(&fx->cpu, 3);
    assert_gp0(fx, RUN(fx, 0x0f, 0x31));
    fx->cpu.cr4 = 0;
    assert_int_equal(RUN(fx, 0x0f, 0x31), CPU_EXIT_BUDGET);
}

static void test_wrmsr_tsc_sets_what_rdtsc_reads(void **state)
{
    struct fixture *fx = *state;
    struct cpu *cpu = &fx->cpu;
    cpu->r[R_ECX] = MSR_IA32_TSC;
    cpu->r[R_EDX] = 0x00000001;
    cpu->r[R_EAX] = 0x00000000;
    /* wrmsr; rdtsc: the counter moved on by the one instruction retired since. */
    assert_int_equal(RUN(fx, 0x0f, 0x30, 0x0f, 0x31), CPU_EXIT_BUDGET);
    assert_int_equal(cpu->r[R_EDX], 1);
    assert_int_equal(cpu->r[R_EAX], 1);
    assert_int_equal(RUN(fx, 0x0f, 0x32), CPU_EXIT_BUDGET); /* rdmsr */
    assert_int_equal(cpu->r[R_EDX], 1);
    assert_int_equal(cpu->r[R_EAX], 2);
}

static void test_rdmsr_and_wrmsr_of_an_unknown_msr_raise_gp0(void **state)
{
    struct fixture *fx = *state;
    struct cpu *cpu = &fx->cpu;
    cpu->r[R_ECX] = 0x1234;
    cpu->r[R_EAX] = 0xaaaaaaaa;
    cpu->r[R_EDX] = 0xbbbbbbbb;
    assert_gp0(fx, RUN(fx, 0x0f, 0x32));
    assert_gp0(fx, RUN(fx, 0x0f, 0x30));
    assert_int_equal(cpu->r[R_EAX], 0xaaaaaaaa);
    assert_int_equal(cpu->r[R_EDX], 0xbbbbbbbb);
}

static void test_sysenter_msrs_round_trip(void **state)
{
    struct fixture *fx = *state;
    struct cpu *cpu = &fx->cpu;
    const uint32_t msr[] = { MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP };
    for (unsigned k = 0; k < 3; k++) {
        cpu->r[R_ECX] = msr[k];
        cpu->r[R_EAX] = 0xc0000000u + k;
        cpu->r[R_EDX] = 0;
        assert_int_equal(RUN(fx, 0x0f, 0x30), CPU_EXIT_BUDGET);
    }
    assert_int_equal(cpu->sysenter_cs, 0xc0000000u);
    assert_int_equal(cpu->sysenter_esp, 0xc0000001u);
    assert_int_equal(cpu->sysenter_eip, 0xc0000002u);
    cpu->r[R_ECX] = MSR_IA32_SYSENTER_EIP;
    cpu->r[R_EDX] = 0xffffffff;
    assert_int_equal(RUN(fx, 0x0f, 0x32), CPU_EXIT_BUDGET);
    assert_int_equal(cpu->r[R_EAX], 0xc0000002u);
    assert_int_equal(cpu->r[R_EDX], 0);
}

static void test_apic_base_msr_has_its_reset_value_and_refuses_reserved_bits(void **state)
{
    struct fixture *fx = *state;
    struct cpu *cpu = &fx->cpu;
    cpu->r[R_ECX] = MSR_IA32_APIC_BASE;
    assert_int_equal(RUN(fx, 0x0f, 0x32), CPU_EXIT_BUDGET);
    assert_int_equal(cpu->r[R_EAX], 0xfee00900u); /* base, enabled, BSP */
    assert_int_equal(cpu->r[R_EDX], 0);

    cpu->r[R_EAX] = 0xfec00801u; /* bit 0 is reserved */
    assert_gp0(fx, RUN(fx, 0x0f, 0x30));
    cpu->r[R_EAX] = 0xfec00000u;
    cpu->r[R_EDX] = 1; /* so are bits 63:32 */
    assert_gp0(fx, RUN(fx, 0x0f, 0x30));
    assert_int_equal(cpu->apic_base, 0xfee00900u);

    cpu->r[R_EDX] = 0;
    assert_int_equal(RUN(fx, 0x0f, 0x30, 0x0f, 0x32), CPU_EXIT_BUDGET); /* disable, move; BSP stays */
    assert_int_equal(cpu->r[R_EAX], 0xfec00100u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_privileged_instructions_outside_cpl0_raise_gp0),
        T(test_sgdt_sidt_smsw_sldt_str_are_not_privileged),
        T(test_lgdt_then_sgdt_round_trips),
        T(test_lidt_then_sidt_round_trips),
        T(test_lgdt_with_16bit_operand_size_loads_24_bits_of_base),
        T(test_sgdt_with_16bit_operand_size_stores_the_whole_base),
        T(test_sldt_and_str_to_a_32bit_register_zero_extend),
        T(test_sldt_and_str_with_16bit_operand_or_to_memory_write_16_bits),
        T(test_lldt_loads_ldtr_from_an_ldt_descriptor_in_the_gdt),
        T(test_lldt_with_a_null_selector_makes_ldtr_unusable),
        T(test_lldt_refuses_anything_but_a_gdt_ldt_descriptor_with_gp_sel),
        T(test_lldt_of_a_not_present_ldt_raises_np_sel),
        T(test_ltr_loads_tr_and_sets_the_busy_bit_in_the_gdt),
        T(test_ltr_of_a_busy_tss_raises_gp_sel),
        T(test_ltr_refuses_null_16bit_and_not_present_tss),
        T(test_smsw_to_a_32bit_register_stores_all_of_cr0),
        T(test_smsw_16bit_and_to_memory_store_the_low_word),
        T(test_lmsw_loads_mp_em_ts_and_cannot_clear_pe),
        T(test_clts_clears_ts_only),
        T(test_mov_cr0_with_pg_but_not_pe_raises_gp0),
        T(test_mov_cr0_with_nw_but_not_cd_raises_gp0),
        T(test_mov_cr0_clearing_pe_raises_gp0),
        T(test_mov_cr0_keeps_et_set_and_ignores_reserved_bits),
        T(test_mov_cr4_with_an_unsupported_bit_raises_gp0),
        T(test_mov_cr4_supported_bits_round_trip),
        T(test_mov_cr2_and_cr3_keep_what_is_written),
        T(test_paging_translates_4k_and_4m_pages),
        T(test_not_present_page_raises_pf_with_cr2_and_error_code),
        T(test_tlb_keeps_the_old_mapping_until_invlpg),
        T(test_invlpg_in_a_4m_page_forgets_the_whole_page),
        T(test_mov_cr3_flushes_the_tlb),
        T(test_invlpg_never_faults),
        T(test_sgdt_writes_nothing_when_its_base_half_faults),
        T(test_mov_dr_stores_and_reads_back_with_dr4_dr5_aliasing_dr6_dr7),
        T(test_cpuid_leaf0_reports_max_leaf_1_and_the_vendor),
        T(test_cpuid_leaf1_reports_only_implemented_features),
        T(test_cpuid_has_no_extended_leaves_and_unknown_leaves_return_leaf1),
        T(test_rdtsc_counts_retired_instructions),
        T(test_rdtsc_with_cr4_tsd_is_for_cpl0_only),
        T(test_wrmsr_tsc_sets_what_rdtsc_reads),
        T(test_rdmsr_and_wrmsr_of_an_unknown_msr_raise_gp0),
        T(test_sysenter_msrs_round_trip),
        T(test_apic_base_msr_has_its_reset_value_and_refuses_reserved_bits),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

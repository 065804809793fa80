/* System registers: LDTR and TR, GDTR and IDTR, the machine status word,
 * CR0-CR4, DR0-DR7, CPUID, the time-stamp counter and the MSRs
 * (SDM Vol. 2 for each instruction; Vol. 3, 2.4-2.5 for the registers).
 *
 * Popek and Goldberg in one file: the loads (LGDT, LLDT, LTR, LMSW, MOV CRn,
 * WRMSR ...) are privileged and refused at CPL > 0 by the run loop (F_PRIV),
 * but the stores SGDT, SIDT, SLDT, STR and SMSW are not: any program can
 * read where the kernel keeps its tables, which a trap-and-emulate monitor
 * cannot hide (lab 2).
 *
 * Every load of CR0, CR3, CR4, GDTR, IDTR, LDTR or TR that succeeds is
 * reported to the trace (trace_sysreg(), kind `sysreg`), after the register
 * changed and before the TLB flush it may cause.
 */
#include <assert.h>

#include "cpu_internal.h"
#include "desc.h"
#include "vlab/trace.h"

#define SEL_TI 0x4u                  /* the selector names an LDT entry */
#define DESC_TSS_BUSY 0x0200u        /* type bit 1 of a TSS descriptor, in desc[1] */
#define SYS_LDT 0x2u                 /* system descriptor type of an LDT (desc.h has the rest) */

static void require_prot_mode(struct cpu *cpu)
{
    if (cpu->mode != CPU_MODE_PROT)
        cpu_ud(cpu);
}

/* SLDT, STR and SMSW: to memory they store 16 bits; to a register they write
 * the whole operand size (so a selector is zero-extended to 32 bits). */
static void store_sys_value(struct cpu *cpu, const struct insn *in, uint32_t v)
{
    if (in->o[0].kind == OK_MEM)
        mem_store(cpu, in->seg, ea_offset(cpu, in), 2, v);
    else
        reg_write(cpu, in->o[0].reg, in->o[0].size, v);
}

/* ---- LDTR and TR -------------------------------------------------------- */

/* Read the GDT descriptor that LLDT or LTR names and check it: #GP(sel) for
 * a selector into the LDT, beyond the GDT limit, or naming anything but a
 * system descriptor of `type`; #NP(sel) when it is not present. */
static void read_sys_desc(struct cpu *cpu, uint16_t sel, unsigned type, uint32_t desc[2])
{
    if ((sel & SEL_TI) || !seg_read_desc(cpu, sel, desc) || desc_is_seg(desc) || desc_type(desc) != type)
        cpu_fault(cpu, VEC_GP, sel_error(sel));
    if (!desc_present(desc))
        cpu_fault(cpu, VEC_NP, sel_error(sel));
}

static void sldt(struct cpu *cpu, const struct insn *in)
{
    store_sys_value(cpu, in, cpu->ldtr.sel);
}

static void str(struct cpu *cpu, const struct insn *in)
{
    store_sys_value(cpu, in, cpu->tr.sel);
}

/* LLDT: a null selector leaves LDTR unusable (every later reference to the
 * LDT faults); anything else must name an LDT descriptor in the GDT. */
static void lldt(struct cpu *cpu, const struct insn *in)
{
    uint16_t sel = (uint16_t)opnd_read(cpu, in, 0), old = cpu->ldtr.sel;
    if (sel_is_null(sel)) {
        seg_set_null(&cpu->ldtr, sel);
    } else {
        uint32_t desc[2];
        read_sys_desc(cpu, sel, SYS_LDT, desc);
        seg_from_desc(&cpu->ldtr, sel, desc);
    }
    trace_sysreg(cpu, TRACE_SYSREG_LDTR, old, sel, 0);
}

/* LTR: the selector must name an available 32-bit TSS (this CPU has no
 * 16-bit task state); LTR marks it busy in the GDT, so that the same TSS
 * cannot be loaded twice. */
static void ltr(struct cpu *cpu, const struct insn *in)
{
    uint16_t sel = (uint16_t)opnd_read(cpu, in, 0);
    if (sel_is_null(sel))
        cpu_gp0(cpu);
    uint32_t desc[2];
    read_sys_desc(cpu, sel, SYS_32BIT | SYS_TSS16, desc);
    desc[1] |= DESC_TSS_BUSY;
    sys_store(cpu, cpu->gdtr.base + (sel & ~7u) + 4, 4, desc[1]);
    uint16_t old = cpu->tr.sel;
    seg_from_desc(&cpu->tr, sel, desc);
    trace_sysreg(cpu, TRACE_SYSREG_TR, old, sel, 0);
}

/* 0F 00 /0../3, by row arg. */
void ex_LDT_TR(struct cpu *cpu, const struct insn *in)
{
    static exec_fn *const ops[] = { sldt, str, lldt, ltr };
    assert(in->d.arg < VLAB_ARRAY_SIZE(ops));
    require_prot_mode(cpu);
    ops[in->d.arg](cpu, in);
}

/* ---- GDTR and IDTR ------------------------------------------------------ */

/* The memory operand of SGDT/SIDT/LGDT/LIDT (a "pseudo-descriptor"):
 *
 *   offset 0      2                6
 *          limit | base (32 bits) |
 */

/* SGDT/SIDT store the full 32-bit base whatever the operand size. */
static void store_dtr(struct cpu *cpu, const struct insn *in, const struct dtr *t)
{
    uint32_t off = ea_offset(cpu, in);
    mem_probe_write(cpu, in->seg, off, 6);
    mem_store(cpu, in->seg, off, 2, t->limit);
    mem_store(cpu, in->seg, off + 2, 4, t->base);
}

/* LGDT/LIDT with a 16-bit operand size load only 24 bits of base (the
 * 80286's tables). */
static void load_dtr(struct cpu *cpu, const struct insn *in, struct dtr *t, enum trace_sysreg_reg reg)
{
    uint32_t off = ea_offset(cpu, in);
    uint16_t limit = (uint16_t)mem_load(cpu, in->seg, off, 2);
    uint32_t base = mem_load(cpu, in->seg, off + 2, 4), old = t->base;
    t->limit = limit;
    t->base = in->osize == 2 ? base & 0x00ffffffu : base;
    trace_sysreg(cpu, reg, old, t->base, limit);
}

/* 0F 01 /0../3: arg bit 0 picks the IDT, bit 1 a load. */
void ex_DESC_TABLE(struct cpu *cpu, const struct insn *in)
{
    bool idt = in->d.arg & 1;
    struct dtr *t = idt ? &cpu->idtr : &cpu->gdtr;
    if (in->d.arg & 2)
        load_dtr(cpu, in, t, idt ? TRACE_SYSREG_IDTR : TRACE_SYSREG_GDTR);
    else
        store_dtr(cpu, in, t);
}

/* ---- Control registers -------------------------------------------------- */

/* CR0 bits this CPU has; writes to the others are ignored, as the SDM says
 * of CR0's reserved bits 31:0 (Vol. 3, 2.5). ET is hardwired to 1. */
#define CR0_WRITABLE (CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_NE | CR0_WP | CR0_AM | \
                      CR0_NW | CR0_CD | CR0_PG)
/* Changes to these bits change how linear addresses translate or how
 * accesses are checked (AM: alignment checking, done on the TLB's slow path). */
#define CR0_PAGING_BITS (CR0_PE | CR0_PG | CR0_WP | CR0_AM)
#define CR4_PAGING_BITS (CR4_PSE | CR4_PGE)

static void write_cr0(struct cpu *cpu, uint32_t v)
{
    v = (v & CR0_WRITABLE) | CR0_ET;
    if ((v & CR0_PG) && !(v & CR0_PE))
        cpu_gp0(cpu);
    if ((v & CR0_NW) && !(v & CR0_CD))
        cpu_gp0(cpu);
    /* Clearing PE enters real mode, which this CPU does not implement yet:
     * refuse it with #GP(0) rather than run on in a mode it cannot emulate. */
    if (!(v & CR0_PE))
        cpu_gp0(cpu);
    uint32_t old = cpu->cr0, changed = old ^ v;
    cpu->cr0 = v;
    trace_sysreg(cpu, TRACE_SYSREG_CR0, old, v, 0);
    if (changed & CR0_PAGING_BITS)
        cpu_paging_changed(cpu);
}

static void write_cr2(struct cpu *cpu, uint32_t v)
{
    cpu->cr2 = v;
}

/* CR3: the page directory's address (bits 31:12) and PWT/PCD. With 32-bit
 * paging the other bits are ignored; they are kept as written. Every write
 * flushes the TLB, even of the same value: the classic full flush. */
static void write_cr3(struct cpu *cpu, uint32_t v)
{
    uint32_t old = cpu->cr3;
    cpu->cr3 = v;
    trace_sysreg(cpu, TRACE_SYSREG_CR3, old, v, 0);
    cpu_paging_changed(cpu);
}

static void write_cr4(struct cpu *cpu, uint32_t v)
{
    if (v & ~CR4_SUPPORTED)
        cpu_gp0(cpu);
    uint32_t old = cpu->cr4, changed = old ^ v;
    cpu->cr4 = v;
    trace_sysreg(cpu, TRACE_SYSREG_CR4, old, v, 0);
    if (changed & CR4_PAGING_BITS)
        cpu_paging_changed(cpu);
}

/* The decoder admits CR0, CR2, CR3 and CR4 only (others are #UD). */
static uint32_t read_cr(const struct cpu *cpu, unsigned n)
{
    const uint32_t values[5] = { cpu->cr0, 0, cpu->cr2, cpu->cr3, cpu->cr4 };
    assert(n < VLAB_ARRAY_SIZE(values) && n != 1);
    return values[n];
}

static void (*const cr_writers[5])(struct cpu *, uint32_t) = {
    write_cr0, NULL, write_cr2, write_cr3, write_cr4,
};

/* MOV r32, CRn (arg 0: o[0] register, o[1] CRn) and MOV CRn, r32 (arg 1:
 * o[0] CRn, o[1] register). */
void ex_MOVCR(struct cpu *cpu, const struct insn *in)
{
    if (in->d.arg == 0) {
        reg_write(cpu, in->o[0].reg, 4, read_cr(cpu, in->o[1].reg));
        return;
    }
    unsigned n = in->o[0].reg;
    assert(n < VLAB_ARRAY_SIZE(cr_writers) && cr_writers[n]);
    cr_writers[n](cpu, cpu->r[in->o[1].reg]);
}

/* SMSW (arg 0): CR0's low 16 bits to memory; to a register the operand size
 * of CR0 (with 32 bits the whole CR0, as processors since the Pentium Pro
 * store it). LMSW (arg 1): loads PE, MP, EM and TS from the low 4 bits but
 * cannot clear PE. */
void ex_MSW(struct cpu *cpu, const struct insn *in)
{
    if (in->d.arg == 0) {
        store_sys_value(cpu, in, cpu->cr0);
        return;
    }
    const uint32_t msw = CR0_PE | CR0_MP | CR0_EM | CR0_TS;
    uint32_t src = opnd_read(cpu, in, 0);
    write_cr0(cpu, (cpu->cr0 & ~(msw & ~CR0_PE)) | (src & msw));
}

/* CLTS: clear CR0.TS, which the kernel sets to find out lazily when a task
 * first uses the FPU. */
void ex_CLTS(struct cpu *cpu, const struct insn *in)
{
    (void)in;
    uint32_t old = cpu->cr0;
    cpu->cr0 &= ~CR0_TS;
    trace_sysreg(cpu, TRACE_SYSREG_CR0, old, cpu->cr0, 0);
}

/* INVLPG m: forget the translation of the page holding the operand's linear
 * address. It touches no memory and raises no fault, not even for a
 * segment limit or an unmapped address. */
void ex_INVLPG(struct cpu *cpu, const struct insn *in)
{
    cpu_tlb_flush_page(cpu, cpu->seg[in->seg].base + ea_offset(cpu, in));
}

/* ---- Debug registers ---------------------------------------------------- */

/* DR0-DR3 hold breakpoint addresses, DR6 the status, DR7 the control. They
 * are stored and read back, but breakpoints (and DR7.GD) are not
 * implemented yet. Without CR4.DE (not offered), DR4 and DR5 are aliases of
 * DR6 and DR7. Bits of DR6/DR7 that are fixed read as the SDM says (Vol. 3,
 * 17.2): DR6 = FFFF0FF0H and DR7 = 400H after reset. */
static const struct {
    uint32_t keep, ones;
} dr_bits[8] = {
    [0] = { 0xffffffffu, 0 }, [1] = { 0xffffffffu, 0 },
    [2] = { 0xffffffffu, 0 }, [3] = { 0xffffffffu, 0 },
    [6] = { 0x0000e00fu, 0xffff0ff0u }, [7] = { 0xffff23ffu, 0x00000400u },
};

static unsigned dr_index(unsigned n)
{
    return n == 4 || n == 5 ? n + 2 : n;
}

static uint32_t dr_fixed(unsigned idx, uint32_t v)
{
    return (v & dr_bits[idx].keep) | dr_bits[idx].ones;
}

/* MOV r32, DRn (arg 0) and MOV DRn, r32 (arg 1). */
void ex_MOVDR(struct cpu *cpu, const struct insn *in)
{
    if (in->d.arg == 0) {
        unsigned idx = dr_index(in->o[1].reg);
        reg_write(cpu, in->o[0].reg, 4, dr_fixed(idx, cpu->dr[idx]));
    } else {
        unsigned idx = dr_index(in->o[0].reg);
        cpu->dr[idx] = dr_fixed(idx, cpu->r[in->o[1].reg]);
    }
}

/* ---- CPUID -------------------------------------------------------------- */

/* CPUID reports what this CPU implements and nothing more (DESIGN.md): a
 * family 6 model 1 processor without an FPU, MMX, SSE or SYSENTER; the APIC
 * bit says whether the machine has a local APIC and IA32_APIC_BASE enables
 * it (SDM Vol. 3, 10.4.3). */
#define CPUID_PSE (1u << 3)
#define CPUID_TSC (1u << 4)
#define CPUID_MSR (1u << 5)
#define CPUID_CX8 (1u << 8)
#define CPUID_APIC (1u << 9)
#define CPUID_PGE (1u << 13)
#define CPUID_CMOV (1u << 15)
#define CPUID_SIGNATURE ((6u << 8) | (1u << 4) | 0u) /* family 6, model 1, stepping 0 */

struct cpuid_leaf {
    uint32_t leaf;
    uint32_t eax, ebx, ecx, edx;
};

/* Leaf 0 spells the vendor "VlabVirtCPU!" in EBX, EDX, ECX, little-endian. */
static const struct cpuid_leaf cpuid_leaves[] = {
    { 0x00000000u, 1, 0x62616c56u /* Vlab */, 0x21555043u /* CPU! */, 0x74726956u /* Virt */ },
    { 0x00000001u, CPUID_SIGNATURE, 0, 0,
      CPUID_PSE | CPUID_TSC | CPUID_MSR | CPUID_CX8 | CPUID_PGE | CPUID_CMOV },
    { 0x80000000u, 0x80000000u, 0, 0, 0 }, /* no extended leaves */
};
#define CPUID_HIGHEST_BASIC 1 /* index in cpuid_leaves of the highest basic leaf */

/* A leaf above the maximum (basic or extended) returns the data of the
 * highest basic leaf (SDM Vol. 2, CPUID). */
static const struct cpuid_leaf *cpuid_lookup(uint32_t leaf)
{
    for (unsigned k = 0; k < VLAB_ARRAY_SIZE(cpuid_leaves); k++)
        if (cpuid_leaves[k].leaf == leaf)
            return &cpuid_leaves[k];
    return &cpuid_leaves[CPUID_HIGHEST_BASIC];
}

void ex_CPUID(struct cpu *cpu, const struct insn *in)
{
    (void)in;
    const struct cpuid_leaf *l = cpuid_lookup(cpu->r[R_EAX]);
    cpu->r[R_EAX] = l->eax;
    cpu->r[R_EBX] = l->ebx;
    cpu->r[R_ECX] = l->ecx;
    cpu->r[R_EDX] = l->edx;
    if (l->leaf == 1 && cpu->apic_present && (cpu->apic_base & MSR_APIC_BASE_EN))
        cpu->r[R_EDX] |= CPUID_APIC;
}

/* ---- Time-stamp counter and MSRs ---------------------------------------- */

/* The TSC counts retired instructions (virtual time, so runs are
 * deterministic); tsc_offset lets software set it. */
static uint64_t tsc_now(const struct cpu *cpu)
{
    return cpu->tsc_offset + cpu->icount;
}

static void set_edx_eax(struct cpu *cpu, uint64_t v)
{
    cpu->r[R_EAX] = (uint32_t)v;
    cpu->r[R_EDX] = (uint32_t)(v >> 32);
}

/* RDTSC: CR4.TSD restricts it to CPL 0. */
void ex_RDTSC(struct cpu *cpu, const struct insn *in)
{
    (void)in;
    if ((cpu->cr4 & CR4_TSD) && cpu->cpl != 0)
        cpu_gp0(cpu);
    set_edx_eax(cpu, tsc_now(cpu));
}

static uint64_t tsc_read(const struct cpu *cpu) { return tsc_now(cpu); }

static bool tsc_write(struct cpu *cpu, uint64_t v)
{
    cpu->tsc_offset = v - cpu->icount;
    return true;
}

/* IA32_APIC_BASE (SDM Vol. 3, 11.4.4):
 *   63 .. 32 | 31 ...... 12 | 11     | 10 9 | 8   | 7 .. 0
 *   reserved | APIC base    | enable | res. | BSP | reserved
 * With 32-bit physical addresses bits 63:32 are reserved; the BSP flag is
 * set by the platform and ignored on writes. */
#define APIC_BASE_BSP 0x100u
#define APIC_BASE_WRITABLE 0xfffff800ull

static uint64_t apic_base_read(const struct cpu *cpu) { return cpu->apic_base; }

static bool apic_base_write(struct cpu *cpu, uint64_t v)
{
    if (v & ~(APIC_BASE_WRITABLE | APIC_BASE_BSP))
        return false;
    cpu->apic_base = (v & APIC_BASE_WRITABLE) | (cpu->apic_base & APIC_BASE_BSP);
    return true;
}

/* The SYSENTER MSRs are 32 bits wide on an IA-32 processor: EDX is ignored
 * on writes and reads as 0. They are stored for the kernel; SYSENTER itself
 * is not implemented (and not reported by CPUID). */
static uint64_t sysenter_cs_read(const struct cpu *cpu) { return cpu->sysenter_cs; }
static uint64_t sysenter_esp_read(const struct cpu *cpu) { return cpu->sysenter_esp; }
static uint64_t sysenter_eip_read(const struct cpu *cpu) { return cpu->sysenter_eip; }

static bool sysenter_cs_write(struct cpu *cpu, uint64_t v)
{
    cpu->sysenter_cs = (uint32_t)v;
    return true;
}

static bool sysenter_esp_write(struct cpu *cpu, uint64_t v)
{
    cpu->sysenter_esp = (uint32_t)v;
    return true;
}

static bool sysenter_eip_write(struct cpu *cpu, uint64_t v)
{
    cpu->sysenter_eip = (uint32_t)v;
    return true;
}

/* One row per MSR: its number, how to read it, how to write it (false: the
 * value sets a reserved bit, #GP(0)). */
struct msr_row {
    uint32_t index;
    uint64_t (*read)(const struct cpu *cpu);
    bool (*write)(struct cpu *cpu, uint64_t v);
};

static const struct msr_row msrs[] = {
    { MSR_IA32_TSC, tsc_read, tsc_write },
    { MSR_IA32_APIC_BASE, apic_base_read, apic_base_write },
    { MSR_IA32_SYSENTER_CS, sysenter_cs_read, sysenter_cs_write },
    { MSR_IA32_SYSENTER_ESP, sysenter_esp_read, sysenter_esp_write },
    { MSR_IA32_SYSENTER_EIP, sysenter_eip_read, sysenter_eip_write },
};

/* The row for the MSR in ECX; #GP(0) for an MSR this CPU does not have. */
static const struct msr_row *msr_lookup(struct cpu *cpu)
{
    for (unsigned k = 0; k < VLAB_ARRAY_SIZE(msrs); k++)
        if (msrs[k].index == cpu->r[R_ECX])
            return &msrs[k];
    cpu_gp0(cpu);
}

/* RDMSR: EDX:EAX = MSR[ECX]. */
void ex_RDMSR(struct cpu *cpu, const struct insn *in)
{
    (void)in;
    set_edx_eax(cpu, msr_lookup(cpu)->read(cpu));
}

/* WRMSR: MSR[ECX] = EDX:EAX. */
void ex_WRMSR(struct cpu *cpu, const struct insn *in)
{
    (void)in;
    uint64_t v = ((uint64_t)cpu->r[R_EDX] << 32) | cpu->r[R_EAX];
    if (!msr_lookup(cpu)->write(cpu, v))
        cpu_gp0(cpu);
}

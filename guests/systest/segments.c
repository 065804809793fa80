/* segments.c - loading segment registers, and using them.
 *
 * Part 1: MOV to DS/ES/FS/GS/SS at CPL 0 with every kind of selector. The
 * rules (MOV, SDM Vol. 2B, "Protected Mode Exceptions", and its
 * pseudocode; also Vol. 3A, 5.6 and 5.10):
 *
 *   DS, ES, FS, GS
 *     null selector (0..3)                       loads; using it faults later
 *     index beyond the GDT/LDT limit             #GP(selector)
 *     not a data or readable code segment        #GP(selector)
 *     data or non-conforming code segment
 *       with RPL > DPL or CPL > DPL              #GP(selector)
 *     not present                                #NP(selector)
 *   SS
 *     null selector                              #GP(0)
 *     beyond the limit, RPL != CPL, not a
 *       writable data segment, DPL != CPL        #GP(selector)
 *     not present                                #SS(selector)
 *
 * The checks come in this order, so a not-present segment that also fails
 * a privilege check gives #GP. The error code is the selector with the
 * RPL bits replaced by EXT and IDT, both 0 here (Vol. 3A, 6.13, Figure
 * 6-7): 0x3b gives #GP(0038).
 *
 * Part 2: memory accesses through segments with small limits, expand-down
 * segments, read-only and code segments, and null selectors (Vol. 3A, 5.3
 * Limit Checking, 5.5 Type Checking; MOV's "#GP(0) ... If a memory operand
 * effective address is outside the CS, DS, ES, FS, or GS segment limit ...
 * If the destination operand is located in a non-writable segment ... If
 * the DS, ES, FS, or GS register contains a NULL segment selector";
 * "#SS(0) If a memory operand effective address is outside the SS segment
 * limit").
 */
#include "systest.h"

enum sreg { DS, ES, FS, GS, SS };
static const char *const sreg_names[] = { "ds", "es", "fs", "gs", "ss" };

/* Load SEL into R as a probe. Return what R holds right after (SEL if the
 * load succeeded, else still SEL_KDATA); R is SEL_KDATA again on return. */
static uint16_t load_sreg(enum sreg r, uint16_t sel)
{
    uint32_t now = 0, s = sel, k = SEL_KDATA;
#define LOAD(reg)                                                                              \
    PROBE("", "mov %[s], %%" reg, "mov %%" reg ", %[now]\n\tmov %[k], %%" reg,                  \
          : [now] "=&r"(now) : [s] "r"(s), [k] "r"(k) : "memory")
    switch (r) {
    case DS: LOAD("ds"); break;
    case ES: LOAD("es"); break;
    case FS: LOAD("fs"); break;
    case GS: LOAD("gs"); break;
    case SS: LOAD("ss"); break;
    }
#undef LOAD
    return (uint16_t)now;
}

static const struct load_row {
    const char *name;
    enum sreg reg;
    uint16_t sel;
    const char *expect;
} load_rows[] = {
    { "movds_null", DS, 0x0000, "ok ds=0000" },
    { "movds_null_rpl3", DS, 0x0003, "ok ds=0003" },
    { "movds_beyond_gdt", DS, 0x0200, "#GP(0200)" },
    { "movds_beyond_gdt_rpl3", DS, 0x0203, "#GP(0200)" },
    { "movds_first_past_gdt_limit", DS, GDT_ENTRIES * 8, "#GP(00c8)" },
    { "movds_not_present", DS, SEL_NPDATA, "#NP(0038)" },
    { "movds_not_present_rpl3", DS, SEL_NPDATA | 3, "#GP(0038)" },
    { "movds_ldt_descriptor", DS, SEL_LDT, "#GP(0078)" },
    { "movds_tss_descriptor", DS, SEL_TSS, "#GP(0028)" },
    { "movds_call_gate", DS, SEL_GATE3, "#GP(0080)" },
    { "movds_reserved_system_type", DS, SEL_SYSRSVD, "#GP(00c0)" },
    { "movds_execute_only_code", DS, SEL_XOCODE, "#GP(0058)" },
    { "movds_readable_code", DS, SEL_KCODE, "ok ds=0008" },
    { "movds_readable_code_rpl3", DS, SEL_KCODE | 3, "#GP(0008)" },
    { "movds_conforming_code_rpl3", DS, SEL_CONFCODE | 3, "ok ds=0063" },
    { "movds_kdata_rpl3", DS, SEL_KDATA | 3, "#GP(0010)" },
    { "movds_udata_rpl3", DS, SEL_UDATA | 3, "ok ds=0023" },
    { "moves_dpl1_rpl0", ES, SEL_DATA_DPL1, "ok es=0068" },
    { "moves_dpl1_rpl1", ES, SEL_DATA_DPL1 | 1, "ok es=0069" },
    { "moves_dpl1_rpl2", ES, SEL_DATA_DPL1 | 2, "#GP(0068)" },
    { "moves_dpl2_rpl2", ES, SEL_DATA_DPL2 | 2, "ok es=0072" },
    { "moves_dpl2_rpl3", ES, SEL_DATA_DPL2 | 3, "#GP(0070)" },
    { "movfs_ldt_data", FS, LSEL_UDATA | 3, "ok fs=0007" },
    { "movfs_beyond_ldt", FS, LSEL_OUTSIDE, "#GP(0014)" },
    { "movfs_beyond_ldt_rpl3", FS, LSEL_OUTSIDE | 3, "#GP(0014)" },
    { "movfs_ldt_not_present", FS, LSEL_NPDATA | 3, "#NP(000c)" },
    { "movgs_read_only_data", GS, SEL_RODATA, "ok gs=0050" },
    { "movgs_expand_down", GS, SEL_EXPDOWN32, "ok gs=0040" },
    { "movgs_code_not_present", GS, SEL_NPCODE, "#NP(00a8)" },
    { "movss_null", SS, 0x0000, "#GP(0000)" },
    { "movss_null_rpl3", SS, 0x0003, "#GP(0000)" },
    { "movss_beyond_gdt", SS, 0x0200, "#GP(0200)" },
    { "movss_code", SS, SEL_KCODE, "#GP(0008)" },
    { "movss_read_only_data", SS, SEL_RODATA, "#GP(0050)" },
    { "movss_tss_descriptor", SS, SEL_TSS, "#GP(0028)" },
    { "movss_kdata_rpl3", SS, SEL_KDATA | 3, "#GP(0010)" },
    { "movss_udata_rpl3", SS, SEL_UDATA | 3, "#GP(0020)" },
    { "movss_dpl1_rpl0", SS, SEL_DATA_DPL1, "#GP(0068)" },
    { "movss_ldt_dpl3", SS, LSEL_UDATA | 3, "#GP(0004)" },
    { "movss_not_present", SS, SEL_NPDATA, "#SS(0038)" },
    { "movss_expand_down", SS, SEL_EXPDOWN32, "ok ss=0040" },
    { "movss_kdata", SS, SEL_KDATA, "ok ss=0010" },
};

/* The accessed bit (bit 0 of the type) is set by the CPU when it loads the
 * descriptor into a segment register (Vol. 3A, 3.4.5.1, "Accessed bit"),
 * in the GDT and in the LDT alike; a load that faults loads nothing. */
static void check_accessed_bits(void)
{
    struct desc *fresh = &gdt[SEL_FRESHDATA >> 3], *np = &gdt[SEL_NPDATA >> 3];
    struct desc *ldt_data = &ldt[LSEL_UDATA >> 3];
    uint8_t before = desc_access(fresh);
    load_sreg(FS, SEL_FRESHDATA);
    check_ok("accessed_bit_set_by_load", "ok access=92->93", "access=%02x->%02x", before, desc_access(fresh));

    before = desc_access(ldt_data);
    load_sreg(GS, LSEL_UDATA | 3);
    check_ok("accessed_bit_set_in_ldt", "ok access=f2->f3", "access=%02x->%02x", before, desc_access(ldt_data));

    load_sreg(ES, SEL_NPDATA);
    check("accessed_bit_not_set_by_failed_load", "access=12", "access=%02x", desc_access(np));
}

/* Memory accesses through FS (so that C code keeps its DS). */
enum access { READ1, READ4, WRITE4 };

static void access_via_fs(uint16_t sel, uint32_t offset, enum access a)
{
    uint32_t v = 0, s = sel, k = SEL_KDATA;
    switch (a) {
    case READ1:
        PROBE("mov %[s], %%fs", "movb %%fs:(%[o]), %b[v]", "mov %[k], %%fs",
              : [v] "+q"(v) : [s] "r"(s), [k] "r"(k), [o] "r"(offset) : "memory");
        break;
    case READ4:
        PROBE("mov %[s], %%fs", "movl %%fs:(%[o]), %[v]", "mov %[k], %%fs",
              : [v] "+r"(v) : [s] "r"(s), [k] "r"(k), [o] "r"(offset) : "memory");
        break;
    case WRITE4:
        PROBE("mov %[s], %%fs", "movl %[v], %%fs:(%[o])", "mov %[k], %%fs",
              : : [v] "r"(v), [s] "r"(s), [k] "r"(k), [o] "r"(offset) : "memory");
        break;
    }
}

/* A scratch word that the write checks may change. */
static volatile uint32_t scratch;

static void check_limits_and_types(void)
{
    const uint32_t s = (uint32_t)&scratch;
    const struct {
        const char *name;
        uint16_t sel;
        uint32_t offset;
        enum access access;
        const char *expect;
    } rows[] = {
        /* Limit 0xff, byte granular: offsets 0..0xff; every byte of the
         * access must be inside (5.3). */
        { "limit_last_dword", SEL_SMALLDATA, 0xfc, READ4, "ok" },
        { "limit_dword_crossing", SEL_SMALLDATA, 0xfd, READ4, "#GP(0000)" },
        { "limit_byte_past", SEL_SMALLDATA, 0x100, READ1, "#GP(0000)" },
        /* Expand-down, limit 0xfff: offsets from limit+1 up to 0xffffffff
         * (B = 1) or 0xffff (B = 0) (5.3, and 3.4.5.1 "E" flag). */
        { "expdown32_lowest_valid", SEL_EXPDOWN32, 0x1000, READ4, "ok" },
        { "expdown32_at_limit", SEL_EXPDOWN32, 0xfff, READ1, "#GP(0000)" },
        { "expdown32_dword_crossing", SEL_EXPDOWN32, 0xffe, READ4, "#GP(0000)" },
        { "expdown32_far_below", SEL_EXPDOWN32, 0x10, READ1, "#GP(0000)" },
        { "expdown16_top_dword", SEL_EXPDOWN16, 0xfffc, READ4, "ok" },
        { "expdown16_dword_crossing", SEL_EXPDOWN16, 0xfffe, READ4, "#GP(0000)" },
        { "expdown16_past_64k", SEL_EXPDOWN16, 0x10000, READ1, "#GP(0000)" },
        /* Type checks on use (5.5): read-only data, code segments. */
        { "readonly_data_read", SEL_RODATA, s, READ4, "ok" },
        { "readonly_data_write", SEL_RODATA, s, WRITE4, "#GP(0000)" },
        { "readable_code_read", SEL_KCODE, s, READ4, "ok" },
        { "code_segment_write", SEL_KCODE, s, WRITE4, "#GP(0000)" },
        /* A null selector loads, but any use faults with #GP(0). */
        { "null_fs_read", 0x0000, s, READ4, "#GP(0000)" },
        { "null_fs_write", 0x0003, s, WRITE4, "#GP(0000)" },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        access_via_fs(rows[i].sel, rows[i].offset, rows[i].access);
        check_fault(rows[i].name, rows[i].expect);
    }
}

/* The same through DS and SS, which the compiler's own code uses: both are
 * switched and restored inside the probe. */
static void check_ds_ss_use(void)
{
    uint32_t v = 0, z = 0, k = SEL_KDATA, e = SEL_EXPDOWN32;
    PROBE("mov %[z], %%ds", "movl (%[a]), %[v]", "mov %[k], %%ds",
          : [v] "+r"(v) : [z] "r"(z), [k] "r"(k), [a] "r"(&scratch) : "memory");
    check_fault("null_ds_read", "#GP(0000)");

    /* SS expand-down with limit 0xfff: the stack (above 1 MiB) is inside,
     * offset 0x800 is not: #SS(0), not #GP (MOV, "#SS(0)"). */
    PROBE("mov %[e], %%ss", "movl %%ss:0x800, %[v]", "mov %[k], %%ss",
          : [v] "+r"(v) : [e] "r"(e), [k] "r"(k) : "memory");
    check_fault("ss_expand_down_below_limit", "#SS(0000)");
    PROBE("mov %[e], %%ss", "movl %%ss:0x1000, %[v]", "mov %[k], %%ss",
          : [v] "+r"(v) : [e] "r"(e), [k] "r"(k) : "memory");
    check_fault("ss_expand_down_above_limit", "ok");
}

void check_segments(void)
{
    check_accessed_bits();
    for (size_t i = 0; i < sizeof load_rows / sizeof load_rows[0]; i++) {
        const struct load_row *r = &load_rows[i];
        uint16_t now = load_sreg(r->reg, r->sel);
        check_ok(r->name, r->expect, "%s=%04x", sreg_names[r->reg], now);
    }
    check_limits_and_types();
    check_ds_ss_use();
}

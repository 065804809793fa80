/* tables.c - the system table registers: GDTR, IDTR, LDTR and TR.
 *
 * SDM Vol. 3A, 2.4 (Memory-Management Registers) and the LGDT/LIDT, SGDT,
 * SIDT, LLDT, SLDT, LTR and STR pages of Vol. 2. At the start, desc_init()
 * has loaded GDTR and IDTR; LDTR and TR are whatever the loader left. */
#include "systest.h"

/* LGDT then SGDT: SGDT stores the 16-bit limit and, with a 16- or 32-bit
 * operand size, the whole 32-bit base (SGDT, Vol. 2B). The same for IDTR.
 * Nothing in between may fault: the tables loaded are not real ones. */
static void check_gdtr_idtr(void)
{
    struct pseudo_desc in = { 0x1234, 0x00abcdef }, out;
    __asm__ volatile("lgdt %1\n\tsgdt %0\n\tlgdt %2" : "=m"(out) : "m"(in), "m"(kernel_gdtr) : "memory");
    check("lgdt_sgdt", "limit=1234 base=00abcdef", "limit=%04x base=%08x", out.limit, out.base);

    __asm__ volatile("lidt %1\n\tsidt %0\n\tlidt %2" : "=m"(out) : "m"(in), "m"(kernel_idtr) : "memory");
    check("lidt_sidt", "limit=1234 base=00abcdef", "limit=%04x base=%08x", out.limit, out.base);

    /* With a 16-bit operand size, LGDT loads a 24-bit base and zeroes the
     * high byte (LGDT/LIDT, Vol. 2A). */
    in.base = 0xab123456;
    __asm__ volatile(".byte 0x66\n\tlgdt %1\n\tsgdt %0\n\tlgdt %2"
                 : "=m"(out)
                 : "m"(in), "m"(kernel_gdtr)
                 : "memory");
    check("lgdt_o16_base24", "limit=1234 base=00123456", "limit=%04x base=%08x", out.limit, out.base);

    __asm__ volatile("sgdt %0" : "=m"(out) : : "memory");
    check("sgdt_kernel", "limit=00c7 base=gdt", "limit=%04x base=%s", out.limit,
          out.base == (uint32_t)gdt ? "gdt" : "other");
}

/* LLDT (Vol. 2A): a null selector makes LDTR invalid, without a fault.
 * The selector must point into the GDT (TI = 0) at a present LDT
 * descriptor: else #GP(selector), or #NP(selector) if it is not present.
 * SLDT into a 32-bit register zeroes bits 31:16 on P6 and later (SLDT). */
static void check_ldtr(void)
{
    uint32_t ldtr = 0xffffffff;
    PROBE("", "lldt %w0", "", : : "r"(0) : "memory");
    __asm__ volatile("sldt %0" : "+r"(ldtr));
    check_ok("lldt_null", "ok ldtr=00000000", "ldtr=%08x", ldtr);

    /* With LDTR null, every selector with TI = 1 is outside the LDT
     * (MOV, Vol. 2B: "segment selector index is not within the
     * descriptor table limits" -> #GP(selector)). */
    PROBE("", "mov %0, %%fs", "mov %1, %%fs", : : "r"(LSEL_UDATA | 3), "r"(SEL_KDATA) : "memory");
    check_fault("movfs_ldt_while_ldtr_null", "#GP(0004)");

    static const struct {
        const char *name;
        uint16_t sel;
        const char *expect;
    } rows[] = {
        { "lldt_data_segment", SEL_KDATA, "#GP(0010)" },
        { "lldt_tss", SEL_TSS2, "#GP(0030)" },
        { "lldt_ti1", SEL_LDT | 4, "#GP(007c)" },
        { "lldt_beyond_gdt", 0x200, "#GP(0200)" },
        { "lldt_not_present", SEL_NPLDT, "#NP(00b8)" },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        PROBE("", "lldt %w0", "", : : "r"((uint32_t)rows[i].sel) : "memory");
        check_fault(rows[i].name, rows[i].expect);
    }

    ldtr = 0xffffffff;
    PROBE("", "lldt %w0", "", : : "r"(SEL_LDT) : "memory");
    __asm__ volatile("sldt %0" : "+r"(ldtr));
    check_ok("lldt", "ok ldtr=00000078", "ldtr=%08x", ldtr);
}

/* LTR (Vol. 2A): the selector must be non-null (#GP(0)), in the GDT, at
 * an available TSS (else #GP(selector)); LTR marks the TSS busy in its
 * descriptor (type 9 -> 11, access byte 0x89 -> 0x8b), so LTR of the same
 * TSS again finds it busy: #GP(selector). STR reads TR, zeroing bits
 * 31:16 of a 32-bit register (STR, Vol. 2B). */
static void check_tr(void)
{
    static const struct {
        const char *name;
        uint16_t sel;
        const char *expect;
    } rows[] = {
        { "ltr_null", 0x0000, "#GP(0000)" },
        { "ltr_data_segment", SEL_KDATA, "#GP(0010)" },
        { "ltr_ldt", SEL_LDT, "#GP(0078)" },
        { "ltr_ti1", SEL_TSS | 4, "#GP(002c)" },
        { "ltr_beyond_gdt", 0x200, "#GP(0200)" },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        PROBE("", "ltr %w0", "", : : "r"((uint32_t)rows[i].sel) : "memory");
        check_fault(rows[i].name, rows[i].expect);
    }

    uint8_t before = desc_access(&gdt[SEL_TSS >> 3]);
    uint32_t tr = 0xffffffff;
    PROBE("", "ltr %w0", "", : : "r"(SEL_TSS) : "memory");
    __asm__ volatile("str %0" : "+r"(tr));
    check_ok("ltr", "ok tr=00000028 access=89->8b", "tr=%08x access=%02x->%02x", tr, before,
             desc_access(&gdt[SEL_TSS >> 3]));

    PROBE("", "ltr %w0", "", : : "r"(SEL_TSS) : "memory");
    check_fault("ltr_busy", "#GP(0028)");
}

void check_tables(void)
{
    check_gdtr_idtr();
    check_ldtr();
    check_tr();
}

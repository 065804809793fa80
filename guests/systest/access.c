/* access.c - LAR, LSL, VERR, VERW and ARPL: the instructions that let any
 * privilege level ask about a descriptor without loading it.
 *
 * For each selector, one line: "lar=AR lsl=LIMIT verr=Z verw=Z", with "-"
 * where the instruction cleared ZF (and "-!" if it also changed its
 * destination, which it must not). What each accepts (Vol. 2A LAR and
 * LSL, Vol. 2B VERR/VERW):
 *
 *   LAR   code and data segments; system types 1, 2, 3, 9, 11 (TSSs and
 *         LDT) and gates 4, 5, 12; not interrupt or trap gates (14, 15)
 *         nor the reserved types. Result: the descriptor's second
 *         doubleword masked by 0x00fxff00 (bits 19:16 undefined: we print
 *         it masked by 0x00f0ff00). For a gate, bits 23:20 are offset bits
 *         23:20 of the gate: gate_target lies in the second MiB, so 1.
 *   LSL   code and data segments, TSSs and LDT (no gates); the limit in
 *         bytes (scaled by G).
 *   VERR  readable code and data segments; VERW writable data segments.
 *         Neither checks the present bit.
 *   All   except for conforming code segments, fail (ZF = 0) when
 *         DPL < CPL or DPL < RPL; null and out-of-table selectors fail
 *         without a fault.
 */
#include "systest.h"

#define UNCHANGED 0xdeadbeefu

static bool lar(uint16_t sel, uint32_t *ar)
{
    uint8_t zf;
    *ar = UNCHANGED;
    __asm__ volatile("lar %w2, %0\n\tsetz %1" : "+r"(*ar), "=q"(zf) : "r"((uint32_t)sel) : "cc");
    return zf;
}

static bool lsl(uint16_t sel, uint32_t *limit)
{
    uint8_t zf;
    *limit = UNCHANGED;
    __asm__ volatile("lsl %w2, %0\n\tsetz %1" : "+r"(*limit), "=q"(zf) : "r"((uint32_t)sel) : "cc");
    return zf;
}

static unsigned verr(uint16_t sel)
{
    uint8_t zf;
    __asm__ volatile("verr %w1\n\tsetz %0" : "=q"(zf) : "r"((uint32_t)sel) : "cc");
    return zf;
}

static unsigned verw(uint16_t sel)
{
    uint8_t zf;
    __asm__ volatile("verw %w1\n\tsetz %0" : "=q"(zf) : "r"((uint32_t)sel) : "cc");
    return zf;
}

/* "00c09300", or "-" for ZF = 0 ("-!" if the destination changed anyway). */
static void result(char *buf, size_t size, bool zf, uint32_t value, uint32_t mask)
{
    if (zf)
        fmt(buf, size, "%08x", value & mask);
    else
        fmt(buf, size, "%s", value == UNCHANGED ? "-" : "-!");
}

/* The whole line for SEL, as seen from the current CPL; user.c calls this
 * from ring 3 too. */
void describe_descriptor(uint16_t sel, char *buf, size_t size)
{
    uint32_t ar, limit;
    char ar_text[12], limit_text[12];
    bool lar_ok = lar(sel, &ar);
    bool lsl_ok = lsl(sel, &limit);
    result(ar_text, sizeof ar_text, lar_ok, ar, 0x00f0ff00);
    result(limit_text, sizeof limit_text, lsl_ok, limit, 0xffffffff);
    fmt(buf, size, "lar=%s lsl=%s verr=%u verw=%u", ar_text, limit_text, verr(sel), verw(sel));
}

/* At CPL 0, with the LDT and TR loaded (tables.c) and before any segment
 * but the flat kernel ones has been loaded: the accessed bit (type bit 0)
 * is set only in KCODE and KDATA, and in the busy TSS's type. */
static const struct desc_row {
    const char *name;
    uint16_t sel;
    const char *expect;
} desc_rows[] = {
    { "desc_null", 0x0000, "lar=- lsl=- verr=0 verw=0" },
    { "desc_beyond_gdt", 0x0200, "lar=- lsl=- verr=0 verw=0" },
    { "desc_kcode", SEL_KCODE, "lar=00c09b00 lsl=ffffffff verr=1 verw=0" },
    { "desc_kdata", SEL_KDATA, "lar=00c09300 lsl=ffffffff verr=1 verw=1" },
    { "desc_ucode_rpl3", SEL_UCODE | 3, "lar=00c0fa00 lsl=ffffffff verr=1 verw=0" },
    { "desc_udata_rpl3", SEL_UDATA | 3, "lar=00c0f200 lsl=ffffffff verr=1 verw=1" },
    { "desc_tss_busy", SEL_TSS, "lar=00008b00 lsl=000000e8 verr=0 verw=0" },
    { "desc_tss_available", SEL_TSS2, "lar=00008900 lsl=00000067 verr=0 verw=0" },
    { "desc_not_present", SEL_NPDATA, "lar=00c01200 lsl=ffffffff verr=1 verw=1" },
    { "desc_expdown32", SEL_EXPDOWN32, "lar=00409600 lsl=00000fff verr=1 verw=1" },
    { "desc_expdown16", SEL_EXPDOWN16, "lar=00009600 lsl=00000fff verr=1 verw=1" },
    { "desc_rodata", SEL_RODATA, "lar=00c09000 lsl=ffffffff verr=1 verw=0" },
    { "desc_xocode", SEL_XOCODE, "lar=00c09800 lsl=ffffffff verr=0 verw=0" },
    { "desc_confcode_rpl3", SEL_CONFCODE | 3, "lar=00c09e00 lsl=ffffffff verr=1 verw=0" },
    { "desc_dpl1_rpl1", SEL_DATA_DPL1 | 1, "lar=00c0b200 lsl=ffffffff verr=1 verw=1" },
    { "desc_dpl1_rpl2", SEL_DATA_DPL1 | 2, "lar=- lsl=- verr=0 verw=0" },
    { "desc_dpl2_rpl2", SEL_DATA_DPL2 | 2, "lar=00c0d200 lsl=ffffffff verr=1 verw=1" },
    { "desc_ldt", SEL_LDT, "lar=00008200 lsl=0000000f verr=0 verw=0" },
    { "desc_callgate_dpl3_rpl3", SEL_GATE3 | 3, "lar=0010ec00 lsl=- verr=0 verw=0" },
    { "desc_callgate_dpl0_rpl3", SEL_GATE0 | 3, "lar=- lsl=- verr=0 verw=0" },
    { "desc_smalldata", SEL_SMALLDATA, "lar=00409200 lsl=000000ff verr=1 verw=1" },
    { "desc_npcode", SEL_NPCODE, "lar=00c01a00 lsl=ffffffff verr=1 verw=0" },
    { "desc_intgate", SEL_INTGATE, "lar=- lsl=- verr=0 verw=0" },
    { "desc_reserved_type0", SEL_SYSRSVD, "lar=- lsl=- verr=0 verw=0" },
    { "desc_ldt_udata", LSEL_UDATA | 3, "lar=00c0f200 lsl=ffffffff verr=1 verw=1" },
    { "desc_ldt_not_present", LSEL_NPDATA | 3, "lar=00c07200 lsl=ffffffff verr=1 verw=1" },
    { "desc_beyond_ldt", LSEL_OUTSIDE, "lar=- lsl=- verr=0 verw=0" },
};

/* ARPL (Vol. 2A): if the destination's RPL is below the source's, raise it
 * to the source's and set ZF; else clear ZF and leave it alone. */
static void check_arpl(void)
{
    static const struct {
        const char *name;
        uint16_t dst, src;
        const char *expect;
    } rows[] = {
        { "arpl_raises", 0x0010, 0x0003, "dst=0013 zf=1" },
        { "arpl_keeps_higher", 0x0013, 0x0001, "dst=0013 zf=0" },
        { "arpl_keeps_equal", 0x0012, 0xfffe, "dst=0012 zf=0" },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        uint16_t dst = rows[i].dst;
        uint8_t zf;
        __asm__ volatile("arpl %w2, %w0\n\tsetz %1" : "+r"(dst), "=q"(zf) : "r"(rows[i].src) : "cc");
        check(rows[i].name, rows[i].expect, "dst=%04x zf=%u", dst, zf);
    }
}

void check_access(void)
{
    char got[96];
    for (size_t i = 0; i < sizeof desc_rows / sizeof desc_rows[0]; i++) {
        describe_descriptor(desc_rows[i].sel, got, sizeof got);
        check(desc_rows[i].name, desc_rows[i].expect, "%s", got);
    }
    check_arpl();
}

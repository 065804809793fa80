/* control.c - control registers, MSRs and the x87 "device not available"
 * checks.
 *
 * SDM Vol. 3A, 2.5 (Control Registers), MOV to/from CR in Vol. 2B, LMSW,
 * SMSW and CLTS in Vol. 2A/2B, RDMSR/WRMSR in Vol. 2B, Table 2-2 (EM, MP
 * and TS versus x87 instructions and WAIT). Between checks the guest runs
 * with CR0 = CR0_BASE (PE | ET). */
#include "systest.h"

/* Write V to CR0 as a probe; restore CR0_BASE after reading back. */
static uint32_t cr0_probe(uint32_t v)
{
    uint32_t now = 0;
    PROBE("", "mov %[v], %%cr0", "mov %%cr0, %[now]\n\tmov %[base], %%cr0",
          : [now] "=&r"(now) : [v] "r"(v), [base] "r"(CR0_BASE) : "memory");
    return now;
}

static void check_cr0(void)
{
    uint32_t now;

    /* ET is hardwired to 1 on P6-family and later processors (2.5, "ET"). */
    now = cr0_probe(CR0_PE);
    check_ok("cr0_et_hardwired", "ok cr0=00000011", "cr0=%08x", now);

    /* MP, EM, TS, NE, WP, AM are plain read/write flags. */
    now = cr0_probe(CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_ET | CR0_NE | CR0_WP | CR0_AM);
    check_ok("cr0_flags_stick", "ok cr0=0005003f", "cr0=%08x", now);

    /* CD and NW: NW = 1 with CD = 0 is an invalid combination -> #GP(0);
     * both set is valid (MOV CR, "Protected Mode Exceptions"). */
    now = cr0_probe(CR0_PE | CR0_ET | CR0_CD | CR0_NW);
    check_ok("cr0_cd_nw", "ok cr0=60000011", "cr0=%08x", now);
    now = cr0_probe(CR0_PE | CR0_ET | CR0_NW);
    check_ok("cr0_nw_without_cd", "#GP(0000)", "cr0=%08x", now);
    /* PG = 1 with PE = 0 is checked in paging.c, where CR3 is valid. */
}

/* LMSW loads only PE, MP, EM and TS from bits 3:0 of its operand and
 * cannot clear PE (LMSW, Vol. 2A). SMSW stores CR0 bits 15:0. CLTS clears
 * TS. */
static void check_msw(void)
{
    uint32_t after_set, after_clear;
    uint16_t msw;
    __asm__ volatile("lmsw %w2\n\t"
                     "mov %%cr0, %0\n\t"
                     "lmsw %w3\n\t"
                     "mov %%cr0, %1"
                     : "=&r"(after_set), "=&r"(after_clear)
                     : "r"(0xfffe), "r"(0x0000)
                     : "memory");
    check("lmsw_keeps_pe", "cr0=0000001f then 00000011", "cr0=%08x then %08x", after_set, after_clear);

    write_cr0(CR0_BASE | CR0_NE | CR0_TS);
    __asm__ volatile("smsw %0" : "=m"(msw) : : "memory");
    check("smsw_m16", "msw=0039", "msw=%04x", msw);
    __asm__ volatile("clts" : : : "memory");
    check("clts", "cr0=00000031", "cr0=%08x", read_cr0());
    write_cr0(CR0_BASE);
}

/* CR2 and CR3 hold what is written (with paging off nothing uses them;
 * CR3 bits 3 and 4 are PWT and PCD). */
static void check_cr2_cr3(void)
{
    write_cr2(0x89abcdef);
    check("cr2_roundtrip", "cr2=89abcdef", "cr2=%08x", read_cr2());
    write_cr3(0x00345018);
    check("cr3_roundtrip", "cr3=00345018", "cr3=%08x", read_cr3());
    write_cr3(0);
}

/*
 * CR4: a bit whose feature CPUID does not report is reserved, and setting a
 * reserved bit raises #GP(0) (MOV CR, "#GP(0) If an attempt is made to
 * write a 1 to any reserved bit in CR4"). CPUID's feature flags name the
 * CR4 bits they bring (CPUID, Vol. 2A, "Feature Information Returned in
 * the EDX Register": VME brings CR4.VME and CR4.PVI, TSC brings CR4.TSD,
 * FXSR "indicates that CR4.OSFXSR is available", ...; OSXMMEXCPT came
 * with SSE). QEMU and vlab report different features, so each line
 * says only whether the CPU did what its own CPUID promised: "ok" when a
 * reported feature's bit sticks and an absent one's raises #GP(0).
 *
 * Bits that are reserved on every CPU (15, 31) and those of VMX, SMX and
 * XSAVE are not tried: QEMU 7.2 does not raise #GP for them but takes a
 * bogus SVM exit and spins forever, which would end the whole run.
 */
#define LEAF1_EDX 3
static const struct cr4_row {
    const char *name;
    uint32_t bit;
    uint32_t feature; /* its flag in CPUID.01H:EDX */
} cr4_rows[] = {
    { "cr4_vme", 1u << 0, 1u << 1 },          /* VME */
    { "cr4_pvi", 1u << 1, 1u << 1 },          /* VME */
    { "cr4_tsd", 1u << 2, 1u << 4 },          /* TSC */
    { "cr4_de", 1u << 3, 1u << 2 },           /* DE */
    { "cr4_pse", 1u << 4, 1u << 3 },          /* PSE */
    { "cr4_pae", 1u << 5, 1u << 6 },          /* PAE */
    { "cr4_mce", 1u << 6, 1u << 7 },          /* MCE */
    { "cr4_pge", 1u << 7, 1u << 13 },         /* PGE */
    { "cr4_osfxsr", 1u << 9, 1u << 24 },      /* FXSR */
    { "cr4_osxmmexcpt", 1u << 10, 1u << 25 }, /* SSE */
};

static void check_cr4(void)
{
    uint32_t id[4];
    cpuid(1, id);
    for (size_t i = 0; i < sizeof cr4_rows / sizeof cr4_rows[0]; i++) {
        const struct cr4_row *r = &cr4_rows[i];
        bool present = (id[LEAF1_EDX] & r->feature) != 0;
        uint32_t now = 0, zero = 0;
        PROBE("", "mov %[v], %%cr4", "mov %%cr4, %[now]\n\tmov %[z], %%cr4",
              : [now] "=&r"(now) : [v] "r"(r->bit), [z] "r"(zero) : "memory");
        bool gp0 = fault.count == 1 && fault.vector == 13 && fault.error == 0;
        bool as_promised = present ? fault.count == 0 && now == r->bit : gp0 && now == 0;
        char what[48] = "no-fault";
        if (fault.count)
            fault_text(what, sizeof what);
        if (as_promised)
            check(r->name, "ok", "ok");
        else
            check(r->name, "ok", "cpuid=%u %s cr4=%08x", present, what, now);
    }
}

/* RDMSR/WRMSR of an MSR the CPU does not implement -> #GP(0) (RDMSR,
 * WRMSR, Vol. 2B). MSR 0x10 is the TSC, which both CPUs report. */
static void check_msrs(void)
{
    uint32_t lo = 0, hi = 0;
    PROBE("", "rdmsr", "", : "+a"(lo), "+d"(hi) : "c"(0x10) : "memory");
    check_fault("rdmsr_tsc", "ok");
    PROBE("", "rdmsr", "", : "+a"(lo), "+d"(hi) : "c"(0x12345678) : "memory");
    check_fault("rdmsr_unimplemented", "#GP(0000)");
    PROBE("", "wrmsr", "", : : "a"(0), "d"(0), "c"(0x12345678) : "memory");
    check_fault("wrmsr_unimplemented", "#GP(0000)");
}

/* Table 2-2 (Vol. 3A, "Action Taken By x87 FPU Instructions for Different
 * Combinations of EM, MP, and TS"): with EM = 1 every x87 instruction
 * raises #NM; WAIT/FWAIT raises #NM only when both MP and TS are 1, and
 * ignores EM. EM = 1 is what a CPU without an x87 FPU runs with (2.5,
 * "EM"), so these hold with or without one. */
static void check_device_not_available(void)
{
    write_cr0(CR0_BASE | CR0_EM);
    PROBE("", "fninit", "", : : : "memory");
    check_fault("x87_with_em", "#NM");
    PROBE("", "fwait", "", : : : "memory");
    check_fault("fwait_with_em_only", "ok");
    write_cr0(CR0_BASE | CR0_TS);
    PROBE("", "fwait", "", : : : "memory");
    check_fault("fwait_with_ts_only", "ok");
    write_cr0(CR0_BASE | CR0_MP | CR0_TS);
    PROBE("", "fwait", "", : : : "memory");
    check_fault("fwait_with_mp_ts", "#NM");

    /* TS = 1 with EM = 0 (the lazy FPU switch of an OS): #NM for an x87
     * instruction. Meaningful only with an FPU (CPUID.01H:EDX.FPU), since
     * without one EM must be 1; so the line says only "as promised". */
    uint32_t id[4];
    cpuid(1, id);
    bool fpu = (id[3] & 1u) != 0;
    write_cr0(CR0_BASE | CR0_TS);
    if (fpu) {
        PROBE("", "fnop", "", : : : "memory");
        char what[48];
        fault_text(what, sizeof what);
        check("x87_with_ts", "ok", "%s", strcmp(what, "#NM") == 0 ? "ok" : what);
    } else {
        check("x87_with_ts", "ok", "ok");
    }
    write_cr0(CR0_BASE);
}

void check_control(void)
{
    check_cr0();
    check_msw();
    check_cr2_cr3();
    check_cr4();
    check_msrs();
    check_device_not_available();
}

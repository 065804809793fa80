/* user.c - ring 3.
 *
 * run_user (entry.S) IRETs to a function at CPL 3; the function probes an
 * instruction, leaves results in user_out and returns to the kernel with
 * user_exit() (INT VEC_USER_EXIT, a DPL-3 gate). An exception in ring 3
 * arrives on the ring-0 stack named by TSS.SS0:ESP0 (SDM Vol. 3A, 6.12.1),
 * trap() records it and IRETs back to ring 3 at the probe's recovery
 * point. All memory is flat and, with paging on, user-accessible, so C code
 * runs in ring 3 unchanged; the kernel prints the results.
 */
#include "systest.h"

volatile uint32_t user_out[8];
const struct user_segs user_flat = { SEL_UDATA | 3, SEL_UDATA | 3, SEL_UDATA | 3, SEL_UDATA | 3 };

/* An argument for the ring-3 function, and text it formats. */
static volatile uint32_t user_arg;
static char user_text[96];

static void run(void (*fn)(void), uint32_t eflags)
{
    for (size_t i = 0; i < sizeof user_out / sizeof user_out[0]; i++)
        user_out[i] = 0;
    fault_reset();
    run_user(fn, eflags, &user_flat);
}

/* ---- instructions that fault (or not) in ring 3: one probe each ---- */

#define USER_PROBE(fn, setup, insn, after, ...)                                                    \
    static void fn(void)                                                                           \
    {                                                                                              \
        PROBE(setup, insn, after, __VA_ARGS__);                                                    \
        user_exit();                                                                               \
    }

USER_PROBE(u_cli, "", "cli", "", : : : "memory")
USER_PROBE(u_sti, "", "sti", "", : : : "memory")
USER_PROBE(u_in_uart, "", "inb %%dx, %%al", "", : : "d"(0x3fd) : "eax", "memory")
USER_PROBE(u_out_uart, "", "outb %%al, %%dx", "", : : "d"(0x3ff), "a"(0) : "memory")
USER_PROBE(u_in_allowed, "", "inb $0x80, %%al", "", : : : "eax", "memory")
USER_PROBE(u_out_allowed, "", "outb %%al, $0x80", "", : : "a"(0) : "memory")
USER_PROBE(u_out_denied, "", "outb %%al, $0x81", "", : : "a"(0) : "memory")
USER_PROBE(u_outw_partly_denied, "", "outw %%ax, $0x80", "", : : "a"(0) : "memory")
USER_PROBE(u_hlt, "", "hlt", "", : : : "memory")
USER_PROBE(u_read_cr0, "", "mov %%cr0, %%eax", "", : : : "eax", "memory")
USER_PROBE(u_write_cr4, "", "mov %%eax, %%cr4", "", : : "a"(0) : "memory")
USER_PROBE(u_read_dr7, "", "mov %%dr7, %%eax", "", : : : "eax", "memory")
USER_PROBE(u_lgdt, "", "lgdt %0", "", : : "m"(kernel_gdtr) : "memory")
USER_PROBE(u_lidt, "", "lidt %0", "", : : "m"(kernel_idtr) : "memory")
USER_PROBE(u_lldt, "", "lldt %w0", "", : : "r"(SEL_LDT) : "memory")
USER_PROBE(u_ltr, "", "ltr %w0", "", : : "r"(SEL_TSS) : "memory")
USER_PROBE(u_lmsw, "", "lmsw %w0", "", : : "r"(CR0_BASE) : "memory")
USER_PROBE(u_clts, "", "clts", "", : : : "memory")
USER_PROBE(u_invlpg, "", "invlpg (%0)", "", : : "r"(0) : "memory")
USER_PROBE(u_rdmsr, "", "rdmsr", "", : : "c"(0x10) : "eax", "edx", "memory")
USER_PROBE(u_wbinvd, "", "wbinvd", "", : : : "memory")
USER_PROBE(u_rdtsc, "", "rdtsc", "", : : : "eax", "edx", "memory")
USER_PROBE(u_int_dpl0, "", ".byte 0xcd, %c0", "", : : "i"(VEC_RING0_ONLY) : "memory")
USER_PROBE(u_int_pf_vector, "", "int $0x0e", "", : : : "memory")
USER_PROBE(u_int3, "", "int3", "", : : : "memory")
USER_PROBE(u_into, "movl $0x7fffffff, %%eax\n\taddl $1, %%eax", "into", "", : : : "eax", "memory")
USER_PROBE(u_ud2, "", "ud2", "", : : : "memory")
USER_PROBE(u_retf_to_ring0, "pushl %0\n\tpushl $0", "lret", "addl $8, %%esp", : : "i"(SEL_KCODE) : "memory")
USER_PROBE(u_iret_to_ring0, "pushfl\n\tpushl %0\n\tpushl $0", "iret", "addl $12, %%esp",
           : : "i"(SEL_KCODE) : "memory")
USER_PROBE(u_ljmp_to_ring0, "", "ljmp %0, $0", "", : : "i"(SEL_KCODE) : "memory")
USER_PROBE(u_lcall_dpl0_gate, "", "lcall %0, $0", "", : : "i"(SEL_GATE0 | 3) : "memory")

/* MOV to a segment register in ring 3; puts the flat selector back. */
#define USER_LOAD(fn, reg, sel)                                                                    \
    USER_PROBE(fn, "", "mov %0, %%" reg, "mov %1, %%" reg, : : "r"(sel), "r"(SEL_UDATA | 3) : "memory")

USER_LOAD(u_movds_kdata_rpl3, "ds", SEL_KDATA | 3)
USER_LOAD(u_movds_kdata_rpl0, "ds", SEL_KDATA)
USER_LOAD(u_movds_dpl2, "ds", SEL_DATA_DPL2 | 3)
USER_LOAD(u_movds_kcode, "ds", SEL_KCODE | 3)
USER_LOAD(u_movds_conforming, "ds", SEL_CONFCODE | 3)
USER_LOAD(u_movds_ldt_udata, "ds", LSEL_UDATA | 3)
USER_LOAD(u_movss_udata_rpl0, "ss", SEL_UDATA)
USER_LOAD(u_movss_kdata, "ss", SEL_KDATA | 3)
USER_LOAD(u_movss_udata, "ss", SEL_UDATA | 3)

static const struct user_row {
    const char *name;
    void (*fn)(void);
    uint32_t eflags;
    const char *expect;
} user_rows[] = {
    /* CLI and STI need CPL <= IOPL, else #GP(0) (CLI in Vol. 2A, STI in
     * Vol. 2B, protected-mode exceptions). */
    { "r3_cli_iopl0", u_cli, USER_IOPL0, "#GP(0000)" },
    { "r3_cli_iopl3", u_cli, USER_IOPL3, "ok" },
    { "r3_sti_iopl0", u_sti, USER_IOPL0, "#GP(0000)" },
    { "r3_sti_iopl3", u_sti, USER_IOPL3, "ok" },
    /* IN and OUT: allowed if CPL <= IOPL; otherwise only if the TSS I/O
     * bitmap clears the bit of every port accessed (Vol. 1, chapter
     * "Input/Output": "I/O Privilege Level", "I/O Permission Bit Map").
     * Ours allows port 0x80 only. */
    { "r3_in_iopl0", u_in_uart, USER_IOPL0, "#GP(0000)" },
    { "r3_out_iopl0", u_out_uart, USER_IOPL0, "#GP(0000)" },
    { "r3_in_iopl3", u_in_uart, USER_IOPL3, "ok" },
    { "r3_out_iopl3", u_out_uart, USER_IOPL3, "ok" },
    { "r3_in_bitmap_allowed", u_in_allowed, USER_IOPL0, "ok" },
    { "r3_out_bitmap_allowed", u_out_allowed, USER_IOPL0, "ok" },
    { "r3_out_bitmap_denied", u_out_denied, USER_IOPL0, "#GP(0000)" },
    { "r3_outw_bitmap_half_denied", u_outw_partly_denied, USER_IOPL0, "#GP(0000)" },
    /* Privileged instructions: CPL 0 only, whatever IOPL says -> #GP(0)
     * (Vol. 3A, 5.9 "Privileged Instructions"). */
    { "r3_hlt", u_hlt, USER_IOPL3, "#GP(0000)" },
    { "r3_mov_from_cr0", u_read_cr0, USER_IOPL3, "#GP(0000)" },
    { "r3_mov_to_cr4", u_write_cr4, USER_IOPL3, "#GP(0000)" },
    { "r3_mov_from_dr7", u_read_dr7, USER_IOPL3, "#GP(0000)" },
    { "r3_lgdt", u_lgdt, USER_IOPL3, "#GP(0000)" },
    { "r3_lidt", u_lidt, USER_IOPL3, "#GP(0000)" },
    { "r3_lldt", u_lldt, USER_IOPL3, "#GP(0000)" },
    { "r3_ltr", u_ltr, USER_IOPL3, "#GP(0000)" },
    { "r3_lmsw", u_lmsw, USER_IOPL3, "#GP(0000)" },
    { "r3_clts", u_clts, USER_IOPL3, "#GP(0000)" },
    { "r3_invlpg", u_invlpg, USER_IOPL3, "#GP(0000)" },
    { "r3_rdmsr", u_rdmsr, USER_IOPL3, "#GP(0000)" },
    { "r3_wbinvd", u_wbinvd, USER_IOPL3, "#GP(0000)" },
    /* RDTSC is allowed in ring 3 while CR4.TSD = 0 (RDTSC, Vol. 2B). */
    { "r3_rdtsc", u_rdtsc, USER_IOPL0, "ok" },
    /* INT n through a gate with DPL < CPL -> #GP(vector * 8 + 2) (6.12.1.1);
     * INT3 and INTO go through DPL-3 gates here, and are traps. */
    { "r3_int_dpl0_gate", u_int_dpl0, USER_IOPL0, "#GP(0202)" },
    { "r3_int_page_fault_vector", u_int_pf_vector, USER_IOPL0, "#GP(0072)" },
    { "r3_int3", u_int3, USER_IOPL0, "#BP eip=next" },
    { "r3_into", u_into, USER_IOPL0, "#OF eip=next" },
    /* Control transfers to ring 0 other than through a gate: RET and IRET
     * may only go outward (RPL < CPL -> #GP(selector)); JMP to a
     * non-conforming segment needs DPL = CPL; CALL through a gate needs
     * gate DPL >= CPL (RET, IRET, JMP, CALL in Vol. 2). */
    { "r3_retf_to_ring0", u_retf_to_ring0, USER_IOPL0, "#GP(0008)" },
    { "r3_iret_to_ring0", u_iret_to_ring0, USER_IOPL0, "#GP(0008)" },
    { "r3_ljmp_to_ring0_code", u_ljmp_to_ring0, USER_IOPL0, "#GP(0008)" },
    { "r3_lcall_dpl0_gate", u_lcall_dpl0_gate, USER_IOPL0, "#GP(0090)" },
    /* Segment loads at CPL 3 (the rules in segments.c). */
    { "r3_movds_kdata_rpl3", u_movds_kdata_rpl3, USER_IOPL0, "#GP(0010)" },
    { "r3_movds_kdata_rpl0", u_movds_kdata_rpl0, USER_IOPL0, "#GP(0010)" },
    { "r3_movds_dpl2", u_movds_dpl2, USER_IOPL0, "#GP(0070)" },
    { "r3_movds_ring0_code", u_movds_kcode, USER_IOPL0, "#GP(0008)" },
    { "r3_movds_conforming_code", u_movds_conforming, USER_IOPL0, "ok" },
    { "r3_movds_ldt_data", u_movds_ldt_udata, USER_IOPL0, "ok" },
    { "r3_movss_rpl0", u_movss_udata_rpl0, USER_IOPL0, "#GP(0020)" },
    { "r3_movss_kdata", u_movss_kdata, USER_IOPL0, "#GP(0010)" },
    { "r3_movss_udata", u_movss_udata, USER_IOPL0, "ok" },
};

/* ---- ring 3 functions that report more than a fault ---- */

static void u_where(void)
{
    uint32_t cs, ss;
    __asm__ volatile("mov %%cs, %0\n\tmov %%ss, %1" : "=r"(cs), "=r"(ss));
    user_out[0] = cs;
    user_out[1] = ss;
    user_exit();
}

/* Runs with the segment registers IRET left: DS may be null, so only SS
 * is used to store. Naked, and so basic asm only: no compiler code that
 * might use DS. */
#define STRINGIFY(x) #x
#define STR(x) STRINGIFY(x)
__attribute__((naked)) static void u_segments(void)
{
    __asm__ volatile("mov %ds, %eax\n\tmov %eax, %ss:user_out\n\t"
                     "mov %es, %eax\n\tmov %eax, %ss:user_out+4\n\t"
                     "mov %fs, %eax\n\tmov %eax, %ss:user_out+8\n\t"
                     "mov %gs, %eax\n\tmov %eax, %ss:user_out+12\n\t"
                     "int $" STR(VEC_USER_EXIT));
}

/* POPF user_arg, then PUSHF what came of it. */
static void u_popf(void)
{
    uint32_t flags;
    __asm__ volatile("pushl %1\n\tpopfl\n\tpushfl\n\tpopl %0\n\tpushl $2\n\tpopfl"
                     : "=&r"(flags)
                     : "r"(user_arg)
                     : "cc", "memory");
    user_out[0] = flags;
    user_exit();
}

static void u_syscall(void)
{
    uint32_t esp;
    PROBE("mov %%esp, %[e]", "int %[v]", "", : [e] "=&r"(esp) : [v] "i"(VEC_SYSCALL) : "memory");
    user_out[0] = esp;
    user_exit();
}

/* gate_target (entry.S) fills user_out[0..4]. */
static void u_callgate(void)
{
    uint32_t before, after, es;
    __asm__ volatile("mov %%esp, %0\n\t"
                     "lcall %[g], $0\n\t"
                     "mov %%esp, %1\n\t"
                     "mov %%es, %2"
                     : "=&r"(before), "=&r"(after), "=&r"(es)
                     : [g] "i"(SEL_GATE3 | 3)
                     : "memory");
    user_out[5] = before;
    user_out[6] = after;
    user_out[7] = es;
    user_exit();
}

/* gate_target_params fills user_out[0..2]. */
static void u_callgate_params(void)
{
    uint32_t before, after;
    __asm__ volatile("mov %%esp, %0\n\t"
                     "pushl $0x11111111\n\t"
                     "pushl $0x22222222\n\t"
                     "lcall %[g], $0\n\t"
                     "mov %%esp, %1"
                     : "=&r"(before), "=&r"(after)
                     : [g] "i"(SEL_GATE3P | 3)
                     : "memory");
    user_out[5] = before;
    user_out[6] = after;
    user_exit();
}

/* A far JMP to a conforming segment of DPL 0: allowed from CPL 3, and the
 * CPL stays 3 (CS.RPL becomes CPL; JMP, Vol. 2A, and 5.8.1.2). */
static void u_ljmp_conforming(void)
{
    uint32_t cs = 0;
    PROBE("", "ljmp %[c], $3f\n3:", "mov %%cs, %[cs]\n\tljmp %[u], $4f\n4:",
          : [cs] "=&r"(cs) : [c] "i"(SEL_CONFCODE | 3), [u] "i"(SEL_UCODE | 3) : "memory");
    user_out[0] = cs;
    user_exit();
}

static void u_describe(void)
{
    describe_descriptor((uint16_t)user_arg, user_text, sizeof user_text);
    user_exit();
}

/* SGDT, SIDT, SLDT, STR and SMSW are not privileged (without CR4.UMIP):
 * ring 3 reads the system registers (the Popek-Goldberg problem of x86). */
static void u_store_tables(void)
{
    struct pseudo_desc g, i;
    uint16_t ldtr = 0xffff, tr = 0xffff, msw = 0xffff;
    PROBE("", "sgdt %[g]", "sidt %[i]\n\tsldt %[l]\n\tstr %[t]\n\tsmsw %[m]",
          : [g] "=m"(g), [i] "=m"(i), [l] "+m"(ldtr), [t] "+m"(tr), [m] "+m"(msw) : : "memory");
    user_out[0] = g.limit;
    user_out[1] = g.base;
    user_out[2] = i.limit;
    user_out[3] = i.base;
    user_out[4] = ldtr;
    user_out[5] = tr;
    user_out[6] = msw;
    user_exit();
}

static void u_misaligned_read(void)
{
    static uint32_t words[2];
    uint32_t v = 0;
    PROBE("", "movl (%[p]), %[v]", "", : [v] "+r"(v) : [p] "r"((char *)words + 1) : "memory");
    user_exit();
}

static const char *same(uint32_t a, uint32_t b)
{
    return a == b ? "same" : "other";
}

static const char *at_esp0(uint32_t frame_top)
{
    return frame_top == (uint32_t)ring0_stack_top ? "esp0" : "other";
}

/* IRET to ring 3 loads CS and SS from the frame (setting CS's accessed
 * bit), and nulls each of DS, ES, FS, GS that holds a data or
 * non-conforming code segment with DPL < the new CPL (IRET, Vol. 2A,
 * RETURN-TO-OUTER-PRIVILEGE-LEVEL). */
static void check_ring_entry(void)
{
    struct desc *ucode = &gdt[SEL_UCODE >> 3];
    uint8_t before = desc_access(ucode);
    run(u_where, USER_IOPL0);
    check("r3_entered", "cs=001b ss=0023 access=fa->fb", "cs=%04x ss=%04x access=%02x->%02x",
          user_out[0] & 0xffff, user_out[1] & 0xffff, before, desc_access(ucode));

    static const struct user_segs odd = { SEL_KDATA, SEL_UDATA | 3, SEL_CONFCODE, SEL_DATA_DPL1 | 1 };
    fault_reset();
    run_user(u_segments, USER_IOPL0, &odd);
    check("r3_iret_nulls_segments", "ds=0000 es=0023 fs=0060 gs=0000", "ds=%04x es=%04x fs=%04x gs=%04x",
          user_out[0] & 0xffff, user_out[1] & 0xffff, user_out[2] & 0xffff, user_out[3] & 0xffff);
}

/* POPF in ring 3 (POPF, Vol. 2B): IOPL changes only at CPL 0, IF only
 * when CPL <= IOPL; neither faults. The other flags change: 0x002408d7 is
 * ID | AC | OF | SF | ZF | AF | PF | CF and the fixed bit 1 (ID can be
 * toggled because the CPU has CPUID; AC does nothing while CR0.AM = 0). */
static void check_popf(void)
{
    user_arg = 0x002408d7 | FL_IF | FL_IOPL3;
    run(u_popf, USER_IOPL0);
    check_ok("r3_popf_iopl0", "ok eflags=002408d7", "eflags=%08x", user_out[0]);
    user_arg = 0x000008d7 | FL_IF;
    run(u_popf, USER_IOPL3);
    check_ok("r3_popf_iopl3", "ok eflags=00003ad7", "eflags=%08x", user_out[0]);
}

/* INT 0x80 through a DPL-3 trap gate: the CPU switches to SS0:ESP0 from
 * the TSS and pushes the ring-3 SS, ESP, EFLAGS, CS, EIP (6.12.1,
 * Figure 6-4). An exception in ring 3 does the same. */
static void check_stack_switch(void)
{
    run(u_syscall, USER_IOPL0);
    char text[48];
    fault_text(text, sizeof text);
    check("r3_int80", "int80 eip=next cs=001b ss=0023 esp=same stack=esp0", "%s cs=%04x ss=%04x esp=%s stack=%s",
          text, fault.cs, fault.ss, same(fault.esp, user_out[0]), at_esp0(fault.frame_top));

    run(u_ud2, USER_IOPL0);
    fault_text(text, sizeof text);
    check("r3_ud2_frame", "#UD cs=001b ss=0023 stack=esp0", "%s cs=%04x ss=%04x stack=%s", text, fault.cs,
          fault.ss, at_esp0(fault.frame_top));
}

/* A far CALL through a call gate to ring 0, and RETF back (5.8.5, 5.8.6,
 * CALL and RET in Vol. 2). */
static void check_call_gates(void)
{
    run(u_callgate, USER_IOPL0);
    check_ok("r3_callgate",
             "ok cs=0008 caller=001b:0023 esp=same stack=esp0 back_esp=same back_es=0000",
             "cs=%04x caller=%04x:%04x esp=%s stack=%s back_esp=%s back_es=%04x", user_out[0] & 0xffff,
             user_out[1] & 0xffff, user_out[2] & 0xffff, same(user_out[3], user_out[5]),
             at_esp0(user_out[4] + 16), same(user_out[6], user_out[5]), user_out[7] & 0xffff);

    run(u_callgate_params, USER_IOPL0);
    check_ok("r3_callgate_params", "ok params=22222222,11111111 caller_ss=0023 back_esp=same",
             "params=%08x,%08x caller_ss=%04x back_esp=%s", user_out[0], user_out[1], user_out[2] & 0xffff,
             same(user_out[6], user_out[5]));

    run(u_ljmp_conforming, USER_IOPL0);
    check_ok("r3_ljmp_conforming", "ok cs=0063", "cs=%04x", user_out[0] & 0xffff);
}

static void check_descriptors_from_ring3(void)
{
    static const struct {
        const char *name;
        uint16_t sel;
        const char *expect;
    } rows[] = {
        { "r3_desc_kdata_rpl3", SEL_KDATA | 3, "lar=- lsl=- verr=0 verw=0" },
        { "r3_desc_kdata_rpl0", SEL_KDATA, "lar=- lsl=- verr=0 verw=0" },
        { "r3_desc_udata", SEL_UDATA | 3, "lar=00c0f300 lsl=ffffffff verr=1 verw=1" },
        { "r3_desc_ucode", SEL_UCODE | 3, "lar=00c0fb00 lsl=ffffffff verr=1 verw=0" },
        { "r3_desc_conforming_code", SEL_CONFCODE | 3, "lar=00c09f00 lsl=ffffffff verr=1 verw=0" },
        { "r3_desc_tss", SEL_TSS | 3, "lar=- lsl=- verr=0 verw=0" },
        { "r3_desc_callgate_dpl3", SEL_GATE3 | 3, "lar=0010ec00 lsl=- verr=0 verw=0" },
        { "r3_desc_ldt_data", LSEL_UDATA | 3, "lar=00c0f300 lsl=ffffffff verr=1 verw=1" },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        user_arg = rows[i].sel;
        run(u_describe, USER_IOPL0);
        check(rows[i].name, rows[i].expect, "%s", user_text);
    }
}

static void check_sensitive_reads(void)
{
    run(u_store_tables, USER_IOPL0);
    check_ok("r3_sgdt_sidt_sldt_str_smsw", "ok gdt=00c7:gdt idt=07ff:idt ldtr=0078 tr=0028 msw=0011",
             "gdt=%04x:%s idt=%04x:%s ldtr=%04x tr=%04x msw=%04x", user_out[0],
             user_out[1] == (uint32_t)gdt ? "gdt" : "other", user_out[2],
             user_out[3] == (uint32_t)idt ? "idt" : "other", user_out[4], user_out[5], user_out[6]);
}

/* CR4.TSD = 1 makes RDTSC privileged (RDTSC, Vol. 2B). CR0.AM = 1 with
 * EFLAGS.AC = 1 makes a misaligned access at CPL 3 raise #AC(0) (6.15,
 * "Interrupt 17"); at CPL 0, or with either flag clear, nothing happens. */
static void check_cr_controlled(void)
{
    write_cr4(CR4_TSD);
    run(u_rdtsc, USER_IOPL0);
    write_cr4(0);
    check_fault("r3_rdtsc_with_tsd", "#GP(0000)");

    write_cr0(CR0_BASE | CR0_AM);
    run(u_misaligned_read, USER_IOPL0 | FL_AC);
    check_fault("r3_misaligned_with_am_ac", "#AC(0000)");
    run(u_misaligned_read, USER_IOPL0);
    check_fault("r3_misaligned_with_am_only", "ok");
    static uint32_t words[2];
    uint32_t v = 0;
    PROBE("pushfl\n\torl %[ac], (%%esp)\n\tpopfl", "movl (%[p]), %[v]", "pushfl\n\tandl %[noac], (%%esp)\n\tpopfl",
          : [v] "+r"(v) : [p] "r"((char *)words + 1), [ac] "i"(FL_AC), [noac] "i"(~FL_AC) : "cc", "memory");
    check_fault("misaligned_at_cpl0_with_am_ac", "ok");
    write_cr0(CR0_BASE);
}

void check_user(void)
{
    check_ring_entry();
    for (size_t i = 0; i < sizeof user_rows / sizeof user_rows[0]; i++) {
        run(user_rows[i].fn, user_rows[i].eflags);
        check_fault(user_rows[i].name, user_rows[i].expect);
    }
    check_popf();
    check_stack_switch();
    check_call_gates();
    check_descriptors_from_ring3();
    check_sensitive_reads();
    check_cr_controlled();
}

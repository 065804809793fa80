/* exceptions.c - exception vectors, IDT gates, far transfers and the
 * double fault, all at CPL 0.
 *
 * SDM Vol. 3A, chapter 6 (Interrupt and Exception Handling): Table 6-1
 * lists the vectors, which are faults (EIP points at the instruction) and
 * which traps (EIP points after it), and which push an error code; 6.12
 * the gates; 6.13 the error code; 6.15 every exception's details. */
#include "systest.h"

/* Faults and traps raised by ordinary instructions. */
static void check_vectors(void)
{
    uint32_t a = 1, d = 0, zero = 0;
    PROBE("", "divl %[z]", "", : "+a"(a), "+d"(d) : [z] "r"(zero) : "memory");
    check_fault("div_by_zero", "#DE");

    /* IDIV: a quotient that does not fit (0x80000000 / -1) is #DE too. */
    a = 0x80000000, d = 0xffffffff;
    PROBE("", "idivl %[m1]", "", : "+a"(a), "+d"(d) : [m1] "r"(-1) : "memory");
    check_fault("idiv_overflow", "#DE");

    PROBE("", "ud2", "", : : : "memory");
    check_fault("ud2", "#UD");

    /* INT3 (0xcc) and INT 3 (0xcd 0x03) are traps: EIP after them. */
    PROBE("", "int3", "", : : : "memory");
    check_fault("int3", "#BP eip=next");
    PROBE("", ".byte 0xcd, 0x03", "", : : : "memory");
    check_fault("int_3", "#BP eip=next");

    /* INTO traps with #OF if OF = 1, else does nothing. */
    PROBE("movl $0x7fffffff, %%eax\n\taddl $1, %%eax", "into", "", : : : "eax", "memory");
    check_fault("into_with_of", "#OF eip=next");
    PROBE("xorl %%eax, %%eax", "into", "", : : : "eax", "memory");
    check_fault("into_without_of", "ok");

    /* BOUND: #BR, a fault, if the index is outside [lower, upper]. */
    static const int32_t bounds[2] = { 0, 10 };
    PROBE("", "boundl %[i], %[b]", "", : : [i] "r"(11), [b] "m"(bounds) : "memory");
    check_fault("bound_above", "#BR");
    PROBE("", "boundl %[i], %[b]", "", : : [i] "r"(-1), [b] "m"(bounds) : "memory");
    check_fault("bound_below", "#BR");
    PROBE("", "boundl %[i], %[b]", "", : : [i] "r"(10), [b] "m"(bounds) : "memory");
    check_fault("bound_inside", "ok");

    /* LOCK is allowed only on a read-modify-write to memory of a listed
     * instruction; otherwise #UD (LOCK, Vol. 2A). */
    PROBE("", ".byte 0xf0, 0x90", "", : : : "memory");
    check_fault("lock_nop", "#UD");
    PROBE("", ".byte 0xf0, 0x01, 0xc3", "", : : : "ebx", "memory");
    check_fault("lock_add_to_register", "#UD");
    static volatile uint32_t counter;
    PROBE("", "lock addl $1, %[c]", "", : [c] "+m"(counter) : : "memory");
    check_fault("lock_add_to_memory", "ok");

    /* MOV to CS is not an instruction (MOV, "#UD If attempt is made to
     * load the CS register"); nor is MOV with CR1 (MOV CR, #UD). */
    PROBE("", ".byte 0x8e, 0xc8", "", : : : "memory");
    check_fault("mov_to_cs", "#UD");
    PROBE("", ".byte 0x0f, 0x20, 0xc8", "", : : : "eax", "memory");
    check_fault("mov_from_cr1", "#UD");
}

/* What the IDT gates do. An interrupt gate clears IF on the way in, a
 * trap gate does not (6.12.1.3). INT n to a gate that is not present
 * raises #NP, to a gate of a type not allowed in the IDT #GP, beyond the
 * IDT limit #GP; the error code names the IDT entry: vector * 8 + 2 (the
 * IDT bit), plus 1 (EXT) when the event was not INT n but an exception
 * or interrupt (6.13, Figure 6-7). */
static void check_gates(void)
{
    PROBE("sti", ".byte 0xcd, %c[v]", "cli", : : [v] "i"(VEC_INTGATE) : "memory");
    check("intgate_clears_if", "int42 eip=next if=0", "int%02x eip=%s if=%u", fault.vector,
          fault.eip == fault.resume ? "next" : "other", (fault.handler_eflags & FL_IF) != 0);
    PROBE("sti", ".byte 0xcd, %c[v]", "cli", : : [v] "i"(VEC_TRAPGATE) : "memory");
    check("trapgate_keeps_if", "int43 eip=next if=1", "int%02x eip=%s if=%u", fault.vector,
          fault.eip == fault.resume ? "next" : "other", (fault.handler_eflags & FL_IF) != 0);

    PROBE("", ".byte 0xcd, %c[v]", "", : : [v] "i"(VEC_NOT_PRESENT) : "memory");
    check_fault("int_gate_not_present", "#NP(020a)");
    PROBE("", ".byte 0xcd, %c[v]", "", : : [v] "i"(VEC_BADTYPE) : "memory");
    check_fault("int_call_gate_in_idt", "#GP(0222)");

    /* IDTR limit cut down to vectors 0..0x4f for one INT 0x60. */
    struct pseudo_desc small = { 0x50 * 8 - 1, kernel_idtr.base };
    PROBE("lidt %[s]", "int $0x60", "lidt %[k]", : : [s] "m"(small), [k] "m"(kernel_idtr) : "memory");
    check_fault("int_beyond_idt_limit", "#GP(0302)");

    /* #UD (a benign exception) whose gate is not present: #NP with EXT,
     * delivered normally (Table 6-5: benign then contributory). */
    struct desc saved = idt[6];
    desc_set_access(&idt[6], desc_access(&idt[6]) & 0x7f);
    PROBE("", "ud2", "", : : : "memory");
    idt[6] = saved;
    check_fault("exception_gate_not_present", "#NP(0033)");

    /* #GP (contributory) whose gate is not present: the #NP raised while
     * delivering it is contributory too, so the CPU raises a double fault
     * instead, with error code 0 (6.15, "Interrupt 8", Table 6-5). */
    saved = idt[13];
    desc_set_access(&idt[13], desc_access(&idt[13]) & 0x7f);
    PROBE("", "mov %[s], %%ds", "", : : [s] "r"(0x200) : "memory");
    idt[13] = saved;
    check_fault("double_fault_gp_then_np", "#DF(0000)");
}

/* Far JMP checks its target like a segment load, for CS (JMP, Vol. 2A):
 * not a code segment (or gate/TSS) -> #GP(selector), null -> #GP(0), not
 * present -> #NP(selector). */
static void check_far_jumps(void)
{
    PROBE("", "ljmp %[s], $0", "", : : [s] "i"(SEL_KDATA) : "memory");
    check_fault("ljmp_to_data_segment", "#GP(0010)");
    PROBE("", "ljmp $0, $0", "", : : : "memory");
    check_fault("ljmp_to_null", "#GP(0000)");
    PROBE("", "ljmp %[s], $0", "", : : [s] "i"(SEL_NPCODE) : "memory");
    check_fault("ljmp_to_code_not_present", "#NP(00a8)");
    PROBE("", "ljmp %[s], $0", "", : : [s] "i"(SEL_INTGATE) : "memory");
    check_fault("ljmp_to_interrupt_gate", "#GP(00b0)");

    /* Loading CS sets the accessed bit like any segment load (3.4.5.1).
     * Clear it by hand, jump to the (flat, conforming) segment and back. */
    struct desc *conf = &gdt[SEL_CONFCODE >> 3];
    desc_set_access(conf, desc_access(conf) & 0xfe);
    uint8_t before = desc_access(conf);
    __asm__ volatile("ljmp %[c], $1f\n"
                     "1:\tljmp %[k], $2f\n"
                     "2:"
                     :
                     : [c] "i"(SEL_CONFCODE), [k] "i"(SEL_KCODE)
                     : "memory");
    check("accessed_bit_set_by_ljmp", "access=9e->9f", "access=%02x->%02x", before, desc_access(conf));
}

void check_exceptions(void)
{
    check_vectors();
    check_gates();
    check_far_jumps();
}

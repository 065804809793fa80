/* Far control transfers in protected mode: JMP, CALL, RET and IRET between
 * code segments (SDM Vol. 2, JMP, CALL, RET, IRET; Vol. 3, 5.8).
 *
 * A far JMP or CALL names a selector. If it is a code segment the transfer
 * stays in the current ring (a conforming segment is entered at the
 * caller's CPL). If it is a call gate, the gate supplies the code segment
 * and entry point; a CALL through a gate into a more privileged
 * non-conforming segment switches to that ring's stack from the TSS:
 *
 *   caller's stack          new stack (SSn:ESPn from the TSS)
 *   |  param 1   |          | caller SS  |
 *   |  ...       |          | caller ESP |
 *   |  param n   | <- ESP   |  param 1   |  the gate's count of params,
 *                           |  ...       |  copied in the gate's width
 *                           |  param n   |
 *                           | caller CS  |
 *                           | caller EIP | <- ESP
 *
 * RETF (and IRET) go back: to an outer ring they pop the caller's SS:ESP
 * too, and data segment registers the outer ring may not use are nulled.
 *
 * Not implemented (each raises the nearest architectural fault): task
 * switches (a TSS or task gate as JMP/CALL target: #GP(selector); IRET with
 * NT = 1: #GP(0)) and IRET to virtual-8086 mode (#GP(0)).
 *
 * Every check and memory access that may fault happens before the first
 * register changes (rule 2 of cpu_internal.h); frames are written only
 * after every slot was probed (desc.h).
 */
#include "desc.h"
#include "vlab/trace.h"

/* Where a transfer lands: a checked code segment, not yet loaded. */
struct target {
    uint16_t sel;     /* the code segment selector */
    uint32_t desc[2]; /* its descriptor */
    uint32_t eip;
    unsigned cpl;     /* CPL after the transfer: CS.RPL */
    unsigned size;    /* CALL's push size: the operand size or the gate's width */
    unsigned params;  /* a call gate's parameter count */
};

static void check_eip(struct cpu *cpu, const struct target *t)
{
    if (t->eip > desc_limit(t->desc))
        cpu_gp0(cpu);
}

/* Load CS:EIP from a checked target (the accessed bit is already set). */
static void enter(struct cpu *cpu, const struct target *t)
{
    seg_set_cs(cpu, t->sel, t->desc, t->cpl);
    cpu->eip = t->eip;
}

/* The far pointer a JMP or CALL names: ptr16:16/32 in the instruction, or
 * m16:16/32 in memory (offset first). */
static void far_pointer(struct cpu *cpu, const struct insn *in, uint32_t *off, uint16_t *sel)
{
    if (in->o[0].kind == OK_FARPTR) {
        *off = in->imm;
        *sel = in->imm2;
        return;
    }
    uint32_t ea = ea_offset(cpu, in);
    *off = mem_load(cpu, in->seg, ea, in->osize);
    *sel = (uint16_t)mem_load(cpu, in->seg, ea + in->osize, 2);
}

/* ---- Far JMP and CALL: finding the target -------------------------------- */

/* A code segment named directly: a conforming one may be more privileged
 * (CPL does not change), a non-conforming one must be of the current ring. */
static void direct_code(struct cpu *cpu, uint16_t sel, const uint32_t d[2], uint32_t off,
                        unsigned osize, struct target *t)
{
    unsigned dpl = desc_dpl(d);
    bool bad = desc_conforming(d) ? dpl > cpu->cpl : sel_rpl(sel) > cpu->cpl || dpl != cpu->cpl;
    if (bad)
        cpu_fault(cpu, VEC_GP, sel_error(sel));
    if (!desc_present(d))
        cpu_fault(cpu, VEC_NP, sel_error(sel));
    *t = (struct target){ .sel = sel, .eip = osize == 2 ? off & 0xffffu : off,
                          .cpl = cpu->cpl, .size = osize };
    memcpy(t->desc, d, sizeof(t->desc));
}

/* Through a call gate: the gate must be reachable (its DPL >= CPL and >= the
 * selector's RPL). CALL may enter any code segment with DPL <= CPL, and a
 * non-conforming one with DPL < CPL raises CPL to its DPL; JMP never
 * changes CPL, so it takes only conforming code or the current ring's. */
static void through_gate(struct cpu *cpu, uint16_t gsel, const uint32_t gate[2], bool jump,
                         struct target *t)
{
    if (desc_dpl(gate) < cpu->cpl || sel_rpl(gsel) > desc_dpl(gate))
        cpu_fault(cpu, VEC_GP, sel_error(gsel));
    if (!desc_present(gate))
        cpu_fault(cpu, VEC_NP, sel_error(gsel));
    uint16_t cs = gate_sel(gate);
    uint32_t d[2];
    if (sel_is_null(cs))
        cpu_gp0(cpu);
    if (!seg_read_desc(cpu, cs, d))
        cpu_fault(cpu, VEC_GP, sel_error(cs));
    unsigned dpl = desc_dpl(d);
    bool inner = desc_is_code(d) && !desc_conforming(d) && dpl < cpu->cpl;
    if (!desc_is_code(d) || dpl > cpu->cpl || (jump && inner))
        cpu_fault(cpu, VEC_GP, sel_error(cs));
    if (!desc_present(d))
        cpu_fault(cpu, VEC_NP, sel_error(cs));
    *t = (struct target){ .sel = cs, .eip = gate_offset(gate), .cpl = inner ? dpl : cpu->cpl,
                          .size = gate_is32(gate) ? 4 : 2, .params = gate_params(gate) };
    memcpy(t->desc, d, sizeof(t->desc));
}

/* The target of a far JMP (jump) or CALL to sel:off. A TSS or task gate
 * would switch tasks, which this CPU does not implement: they raise
 * #GP(selector) like any other descriptor that is not a code segment or a
 * call gate. */
static void resolve_far(struct cpu *cpu, uint16_t sel, uint32_t off, unsigned osize, bool jump,
                        struct target *t)
{
    uint32_t d[2];
    if (sel_is_null(sel))
        cpu_gp0(cpu);
    if (!seg_read_desc(cpu, sel, d))
        cpu_fault(cpu, VEC_GP, sel_error(sel));
    if (desc_is_code(d))
        direct_code(cpu, sel, d, off, osize, t);
    else if (desc_is_sys(d, SYS_CALL_GATE))
        through_gate(cpu, sel, d, jump, t);
    else
        cpu_fault(cpu, VEC_GP, sel_error(sel));
}

void ex_JMPF(struct cpu *cpu, const struct insn *in)
{
    uint32_t off;
    uint16_t sel;
    struct target t;
    far_pointer(cpu, in, &off, &sel);
    resolve_far(cpu, sel, off, in->osize, true, &t);
    check_eip(cpu, &t);
    seg_mark_accessed(cpu, t.sel, t.desc);
    enter(cpu, &t);
}

/* ---- Far CALL ------------------------------------------------------------ */

/* Same ring: push CS and EIP on the current stack. */
static void call_same(struct cpu *cpu, struct target *t)
{
    struct frame f = { .ss = &cpu->seg[S_SS], .esp = cpu->r[R_ESP], .size = t->size,
                       .user = cpu->cpl == 3, .ss_error = 0 };
    frame_push(&f, cpu->seg[S_CS].sel);
    frame_push(&f, cpu->eip);
    uint32_t esp = frame_place(cpu, &f);
    check_eip(cpu, t);
    seg_mark_accessed(cpu, t->sel, t->desc);
    frame_write(cpu, &f);
    cpu->r[R_ESP] = esp;
    enter(cpu, t);
}

/* The `size` bytes at `at` bytes above SS:eSP (SP wraps in a 16-bit stack). */
static uint32_t stack_read(struct cpu *cpu, uint32_t at, unsigned size)
{
    uint32_t off = sp_get(cpu) + at;
    return mem_load(cpu, S_SS, stack32(cpu) ? off : off & 0xffffu, size);
}

/* More privileged ring: switch to its stack from the TSS (the frame is
 * drawn at the top of this file) and copy the gate's parameters, deepest
 * first so they keep their order. */
static void call_inner(struct cpu *cpu, struct target *t)
{
    struct seg ss;
    uint32_t ss_desc[2], esp;
    seg_inner_stack(cpu, t->cpl, 0, &ss, ss_desc, &esp);
    struct frame f = { .ss = &ss, .esp = esp, .size = t->size, .user = false,
                       .ss_error = sel_error(ss.sel) };
    frame_push(&f, cpu->seg[S_SS].sel);
    frame_push(&f, cpu->r[R_ESP]);
    for (unsigned k = t->params; k-- > 0;)
        frame_push(&f, stack_read(cpu, k * t->size, t->size));
    frame_push(&f, cpu->seg[S_CS].sel);
    frame_push(&f, cpu->eip);
    uint32_t new_esp = frame_place(cpu, &f);
    check_eip(cpu, t);
    seg_mark_accessed(cpu, ss.sel, ss_desc);
    seg_mark_accessed(cpu, t->sel, t->desc);
    frame_write(cpu, &f);
    seg_from_desc_memo(cpu, &cpu->seg[S_SS], ss.sel, ss_desc);
    cpu->r[R_ESP] = new_esp;
    trace_ring(cpu, cpu->cpl, t->cpl, TRACE_RING_CALL);
    enter(cpu, t);
}

void ex_CALLF(struct cpu *cpu, const struct insn *in)
{
    uint32_t off;
    uint16_t sel;
    struct target t;
    far_pointer(cpu, in, &off, &sel);
    resolve_far(cpu, sel, off, in->osize, false, &t);
    if (t.cpl < cpu->cpl)
        call_inner(cpu, &t);
    else
        call_same(cpu, &t);
}

/* ---- RETF and IRET -------------------------------------------------------- */

/* The code segment RETF or IRET returns to: its RPL is the CPL after the
 * return, never more privileged than now. */
static void return_code(struct cpu *cpu, uint16_t cs, uint32_t eip, struct target *t)
{
    uint32_t d[2];
    if (sel_is_null(cs))
        cpu_gp0(cpu);
    if (!seg_read_desc(cpu, cs, d))
        cpu_fault(cpu, VEC_GP, sel_error(cs));
    unsigned rpl = sel_rpl(cs), dpl = desc_dpl(d);
    if (!desc_is_code(d) || rpl < cpu->cpl || (desc_conforming(d) ? dpl > rpl : dpl != rpl))
        cpu_fault(cpu, VEC_GP, sel_error(cs));
    if (!desc_present(d))
        cpu_fault(cpu, VEC_NP, sel_error(cs));
    *t = (struct target){ .sel = cs, .eip = eip, .cpl = rpl };
    memcpy(t->desc, d, sizeof(t->desc));
}

/* The stack segment of an outer ring being returned to: a writable data
 * segment with RPL = DPL = the new CPL. */
static void return_stack(struct cpu *cpu, uint16_t ss, unsigned cpl, uint32_t d[2])
{
    if (sel_is_null(ss))
        cpu_gp0(cpu);
    if (!seg_read_desc(cpu, ss, d))
        cpu_fault(cpu, VEC_GP, sel_error(ss));
    if (sel_rpl(ss) != cpl || desc_dpl(d) != cpl || !desc_is_writable_data(d))
        cpu_fault(cpu, VEC_GP, sel_error(ss));
    if (!desc_present(d))
        cpu_fault(cpu, VEC_SS, sel_error(ss));
}

/* After a return to an outer ring, DS ES FS GS must not keep segments the
 * new CPL could not load: a data or non-conforming code segment with
 * DPL < CPL (or a null selector) leaves a null selector behind. */
static void null_inner_data_segs(struct cpu *cpu)
{
    static const uint8_t sregs[] = { S_ES, S_FS, S_GS, S_DS };
    for (unsigned k = 0; k < VLAB_ARRAY_SIZE(sregs); k++) {
        struct seg *s = &cpu->seg[sregs[k]];
        unsigned type = s->ar & SEG_AR_TYPE;
        bool conforming_code = (type & 0xc) == 0xc;
        unsigned dpl = (s->ar & SEG_AR_DPL) >> SEG_AR_DPL_SHIFT;
        if ((s->ar & SEG_AR_UNUSABLE) || (dpl < cpu->cpl && !conforming_code))
            seg_set_null(s, 0);
    }
}

/* Read the outer ring's SS:ESP at `at` bytes above eSP and check them. */
static void outer_stack(struct cpu *cpu, uint32_t at, unsigned osize, const struct target *t,
                        uint16_t *ss, uint32_t ss_desc[2], uint32_t *esp)
{
    *esp = stack_read(cpu, at, osize);
    *ss = (uint16_t)stack_read(cpu, at + osize, osize);
    return_stack(cpu, *ss, t->cpl, ss_desc);
}

/* The slots a 32-bit IRET may pop (EIP, CS, EFLAGS, and ESP, SS for an
 * outer ring), read at once from a flat 32-bit stack when all five lie on
 * one page the read TLB maps: then none of the reads can fault, so reading
 * them together gives what stack_read() would give one by one. */
enum { IRET_SLOTS = 5 };

static bool iret_slots_fast(struct cpu *cpu, unsigned osize, uint32_t slot[IRET_SLOTS])
{
    uint32_t esp = cpu->r[R_ESP], bytes = IRET_SLOTS * 4;
    if (osize != 4 || !stack32(cpu) || !(cpu->seg[S_SS].flat & SEG_ACC_R) || esp + bytes < esp)
        return false;
    const struct tlb_entry *e = tlb_find(cpu->tlb_read, esp, bytes, cpu->cpl == 3);
    if (!e)
        return false;
    memcpy(slot, (const uint8_t *)(e->addend + esp), bytes);
    return true;
}

/* Commit a return to an outer ring: CS:EIP, then SS:ESP (SS.B says whether
 * all of ESP or only SP is loaded), then the data segment rule. */
static void enter_outer(struct cpu *cpu, struct target *t, uint16_t ss, uint32_t ss_desc[2],
                        uint32_t esp, enum trace_ring_cause cause)
{
    seg_mark_accessed(cpu, t->sel, t->desc);
    seg_mark_accessed(cpu, ss, ss_desc);
    trace_ring(cpu, cpu->cpl, t->cpl, cause);
    enter(cpu, t);
    seg_from_desc_memo(cpu, &cpu->seg[S_SS], ss, ss_desc);
    sp_set(cpu, esp);
    null_inner_data_segs(cpu);
}

/* RETF [imm16]: pops EIP and CS (and for an outer ring ESP and SS); imm16
 * bytes of parameters are released from both stacks. */
void ex_RETF(struct cpu *cpu, const struct insn *in)
{
    unsigned os = in->osize;
    uint32_t imm = in->o[0].kind == OK_IMM ? in->imm : 0;
    uint32_t eip = stack_read(cpu, 0, os);
    uint16_t cs = (uint16_t)stack_read(cpu, os, os);
    struct target t;
    return_code(cpu, cs, eip, &t);
    if (t.cpl == cpu->cpl) {
        check_eip(cpu, &t);
        seg_mark_accessed(cpu, t.sel, t.desc);
        enter(cpu, &t);
        sp_set(cpu, sp_get(cpu) + 2 * os + imm);
        return;
    }
    uint16_t ss;
    uint32_t ss_desc[2], esp;
    outer_stack(cpu, 2 * os + imm, os, &t, &ss, ss_desc, &esp);
    check_eip(cpu, &t);
    enter_outer(cpu, &t, ss, ss_desc, esp + imm, TRACE_RING_RETF);
}

/* EFLAGS after IRET (SDM Vol. 2, IRET): the status flags, TF, DF and NT
 * always; RF, AC and ID with a 32-bit operand; IF only when CPL <= IOPL;
 * IOPL only at CPL 0; all judged by the CPL and IOPL before the return.
 * (VM would be restored at CPL 0, but a VM = 1 image is the virtual-8086
 * return that ex_IRET refuses, so VM stays 0; VIF and VIP do not exist
 * on this CPU.) */
static uint32_t iret_eflags(struct cpu *cpu, uint32_t popped, unsigned osize)
{
    uint32_t mask = EFLAGS_ARITH | EFLAGS_TF | EFLAGS_DF | EFLAGS_NT;
    if (osize == 4)
        mask |= EFLAGS_RF | EFLAGS_AC | EFLAGS_ID;
    if (cpu->cpl <= cpu_iopl(cpu))
        mask |= EFLAGS_IF;
    if (cpu->cpl == 0)
        mask |= EFLAGS_IOPL;
    return (cpu_eflags(cpu) & ~mask) | (popped & mask);
}

/* IRET: pops EIP, CS and EFLAGS (and for an outer ring ESP and SS). */
void ex_IRET(struct cpu *cpu, const struct insn *in)
{
    unsigned os = in->osize;
    if (cpu->eflags & EFLAGS_NT)
        cpu_gp0(cpu); /* a return to the previous task: task switches are not implemented */
    uint32_t slot[IRET_SLOTS];
    bool fast = iret_slots_fast(cpu, os, slot);
    uint32_t eip = fast ? slot[0] : stack_read(cpu, 0, os);
    uint16_t cs = (uint16_t)(fast ? slot[1] : stack_read(cpu, os, os));
    uint32_t popped = fast ? slot[2] : stack_read(cpu, 2 * os, os);
    if (os == 4 && (popped & EFLAGS_VM) && cpu->cpl == 0)
        cpu_gp0(cpu); /* a return to virtual-8086 mode: not implemented */
    struct target t;
    return_code(cpu, cs, eip, &t);
    uint32_t eflags = iret_eflags(cpu, popped, os);
    if (t.cpl == cpu->cpl) {
        check_eip(cpu, &t);
        seg_mark_accessed(cpu, t.sel, t.desc);
        enter(cpu, &t);
        cpu_set_eflags(cpu, eflags);
        sp_set(cpu, sp_get(cpu) + 3 * os);
        return;
    }
    uint16_t ss;
    uint32_t ss_desc[2], esp;
    if (fast) {
        esp = slot[3];
        ss = (uint16_t)slot[4];
        return_stack(cpu, ss, t.cpl, ss_desc);
    } else {
        outer_stack(cpu, 3 * os, os, &t, &ss, ss_desc, &esp);
    }
    check_eip(cpu, &t);
    enter_outer(cpu, &t, ss, ss_desc, esp, TRACE_RING_IRET);
    cpu_set_eflags(cpu, eflags);
}

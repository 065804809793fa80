/* Delivering interrupts and exceptions through the IDT in protected mode
 * (SDM Vol. 3, 6.10-6.15; Vol. 2, INT n/INTO/INT3).
 *
 * Vector n's gate is the 8 bytes at IDTR.base + 8n (layout in desc.h): an
 * interrupt gate (which also clears IF) or a trap gate, naming the handler's
 * code segment and entry point. A handler in a more privileged
 * non-conforming segment runs on that ring's stack from the TSS; otherwise
 * the frame goes on the current stack:
 *
 *   into a more privileged ring        in the same ring
 *   (SSn:ESPn from the TSS)
 *   | old SS     |                     | EFLAGS     |
 *   | old ESP    |                     | CS         |
 *   | EFLAGS     |                     | EIP        |
 *   | CS         |                     | error code | <- ESP (if any)
 *   | EIP        |
 *   | error code | <- ESP (if any)
 *
 * A 32-bit gate pushes dwords (selectors zero-extended), a 16-bit gate words.
 *
 * Delivery may itself fault (a bad gate, a stack that does not fit, a page
 * fault). Nothing is changed until everything that may fault has been
 * checked and probed, so a failed delivery leaves the CPU as it was; then
 * SDM Table 6-5 decides whether the new fault is delivered instead or
 * becomes a double fault, and a fault while delivering #DF shuts the
 * processor down (a triple fault).
 *
 * Not implemented: task gates (a task switch), which raise
 * #GP(vector * 8 + 2 + EXT) as a gate of a bad type does; virtual-8086 mode.
 * Faults push EFLAGS as it is: RF is not set in the image, since this CPU
 * has no instruction breakpoints for RF to suppress.
 */
#include "desc.h"

/* ---- Which fault during delivery makes a double fault --------------------- */

/* Exception classes (SDM Vol. 3, Table 6-4). Interrupts, INT n and every
 * vector not listed are benign. */
enum exc_class { EXC_BENIGN, EXC_CONTRIBUTORY, EXC_PAGE_FAULT, EXC_CLASSES };

static const uint8_t exc_class_of[32] = {
    [VEC_DE] = EXC_CONTRIBUTORY, [VEC_TS] = EXC_CONTRIBUTORY, [VEC_NP] = EXC_CONTRIBUTORY,
    [VEC_SS] = EXC_CONTRIBUTORY, [VEC_GP] = EXC_CONTRIBUTORY, [VEC_PF] = EXC_PAGE_FAULT,
};

/* Table 6-5: [first][second] is true when the second exception, raised while
 * delivering the first, makes a double fault; otherwise the second is
 * delivered instead (the first is lost: the faulting instruction will run
 * again and raise it anew). */
static const bool makes_double_fault[EXC_CLASSES][EXC_CLASSES] = {
    [EXC_CONTRIBUTORY] = { [EXC_CONTRIBUTORY] = true },
    [EXC_PAGE_FAULT] = { [EXC_CONTRIBUTORY] = true, [EXC_PAGE_FAULT] = true },
};

static enum exc_class event_class(const struct cpu_exception *e)
{
    if (e->soft || e->vector >= VLAB_ARRAY_SIZE(exc_class_of))
        return EXC_BENIGN;
    return (enum exc_class)exc_class_of[e->vector];
}

static bool is_double_fault(const struct cpu_exception *e)
{
    return e->vector == VEC_DF && !e->soft;
}

/* ---- One delivery ---------------------------------------------------------- */

/* EXT for the error code of a fault raised while delivering `ev`: set unless
 * the program asked for the event (INT n, INT3, INTO). */
static uint32_t ext_of(const struct cpu_exception *ev)
{
    return ev->soft ? 0 : ERR_EXT;
}

static bool idt_gate_type_ok(unsigned type)
{
    static const bool ok[16] = {
        [SYS_TASK_GATE] = true, [SYS_INT_GATE] = true, [SYS_TRAP_GATE] = true,
        [SYS_INT_GATE | SYS_32BIT] = true, [SYS_TRAP_GATE | SYS_32BIT] = true,
    };
    return ok[type];
}

/* Read and check the gate of ev->vector. An INT n/INT3/INTO may use only
 * gates with DPL >= CPL (that is how a kernel says which vectors user code
 * may call). */
static void read_gate(struct cpu *cpu, const struct cpu_exception *ev, uint32_t gate[2])
{
    uint32_t at = ev->vector * 8u;
    uint32_t error = at | ERR_IDT | ext_of(ev);
    if (at + 7 > cpu->idtr.limit)
        cpu_fault(cpu, VEC_GP, error);
    gate[0] = sys_load(cpu, cpu->idtr.base + at, 4);
    gate[1] = sys_load(cpu, cpu->idtr.base + at + 4, 4);
    if (desc_is_seg(gate) || !idt_gate_type_ok(desc_type(gate)))
        cpu_fault(cpu, VEC_GP, error);
    if (ev->soft && desc_dpl(gate) < cpu->cpl)
        cpu_fault(cpu, VEC_GP, at | ERR_IDT);
    if (!desc_present(gate))
        cpu_fault(cpu, VEC_NP, error);
    if (desc_type(gate) == SYS_TASK_GATE)
        cpu_fault(cpu, VEC_GP, error); /* task switches are not implemented */
}

/* Read and check the handler's code segment: code, DPL <= CPL, present. */
static void read_handler_code(struct cpu *cpu, const uint32_t gate[2], uint32_t ext, uint32_t d[2])
{
    uint16_t cs = gate_sel(gate);
    if (sel_is_null(cs))
        cpu_fault(cpu, VEC_GP, ext);
    if (!seg_read_desc(cpu, cs, d))
        cpu_fault(cpu, VEC_GP, sel_error(cs) | ext);
    if (!desc_is_code(d) || desc_dpl(d) > cpu->cpl)
        cpu_fault(cpu, VEC_GP, sel_error(cs) | ext);
    if (!desc_present(d))
        cpu_fault(cpu, VEC_NP, sel_error(cs) | ext);
}

/* Clear what a handler must not inherit: TF, NT, RF, VM, and IF for an
 * interrupt gate. */
static void handler_eflags(struct cpu *cpu, const uint32_t gate[2])
{
    uint32_t clear = EFLAGS_TF | EFLAGS_NT | EFLAGS_RF | EFLAGS_VM;
    if ((desc_type(gate) & 7u) == SYS_INT_GATE)
        clear |= EFLAGS_IF;
    cpu_set_eflags(cpu, cpu_eflags(cpu) & ~clear);
}

/* Deliver `ev`: raise (unwinding to the caller's setjmp) the first fault
 * delivery meets, before anything has changed; else switch to the handler. */
static void deliver(struct cpu *cpu, const struct cpu_exception *ev)
{
    uint32_t ext = ext_of(ev);
    uint32_t gate[2], code[2], ss_desc[2];
    read_gate(cpu, ev, gate);
    read_handler_code(cpu, gate, ext, code);
    bool inner = !desc_conforming(code) && desc_dpl(code) < cpu->cpl;
    unsigned cpl = inner ? desc_dpl(code) : cpu->cpl;

    struct seg ss;
    struct frame f = { .ss = &cpu->seg[S_SS], .esp = cpu->r[R_ESP], .size = gate_is32(gate) ? 4 : 2,
                       .user = cpu->cpl == 3, .ss_error = ext };
    if (inner) {
        seg_inner_stack(cpu, cpl, ext, &ss, ss_desc, &f.esp);
        f.ss = &ss;
        f.user = false;
        f.ss_error = sel_error(ss.sel) | ext;
        frame_push(&f, cpu->seg[S_SS].sel);
        frame_push(&f, cpu->r[R_ESP]);
    }
    frame_push(&f, cpu_eflags(cpu));
    frame_push(&f, cpu->seg[S_CS].sel);
    frame_push(&f, cpu->eip);
    if (ev->has_error)
        frame_push(&f, ev->error);
    uint32_t esp = frame_place(cpu, &f);
    if (gate_offset(gate) > desc_limit(code))
        cpu_fault(cpu, VEC_GP, ext);
    if (inner)
        seg_mark_accessed(cpu, ss.sel, ss_desc);
    seg_mark_accessed(cpu, gate_sel(gate), code);
    frame_write(cpu, &f);

    if (inner)
        seg_from_desc(&cpu->seg[S_SS], ss.sel, ss_desc);
    cpu->r[R_ESP] = esp;
    seg_set_cs(cpu, gate_sel(gate), code, cpl);
    cpu->eip = gate_offset(gate);
    handler_eflags(cpu, gate);
}

/* ---- Public entry points ----------------------------------------------------- */

/* One attempt, with its own landing place for the faults delivery raises:
 * true when delivered, false with cpu->exc describing the fault. */
static bool try_deliver(struct cpu *cpu, const struct cpu_exception *ev)
{
    if (setjmp(cpu->fault_jmp))
        return false;
    deliver(cpu, ev);
    return true;
}

/* Deliver `ev`, following faults during delivery through Table 6-5.
 * cpu_fault() restores EIP and ESP from insn_eip/insn_esp: for a software
 * interrupt insn_eip still holds the INT instruction's address (left there
 * by cpu_run), so a fault in its delivery is reported at the INT, as on
 * hardware; for other events it is the current EIP. The caller's fault_jmp
 * is saved and restored around the attempts. */
static int deliver_event(struct cpu *cpu, struct cpu_exception ev)
{
    jmp_buf caller;
    int result = 0;
    memcpy(caller, cpu->fault_jmp, sizeof(jmp_buf));
    cpu->insn_esp = cpu->r[R_ESP];
    if (!ev.soft)
        cpu->insn_eip = cpu->eip;
    while (!try_deliver(cpu, &ev)) {
        if (is_double_fault(&ev)) {
            result = -1; /* shutdown; cpu->exc is the fault that caused it */
            break;
        }
        if (makes_double_fault[event_class(&ev)][event_class(&cpu->exc)])
            ev = (struct cpu_exception){ .vector = VEC_DF, .has_error = true, .error = 0 };
        else
            ev = cpu->exc;
    }
    if (result == 0) {
        cpu->exc = ev;
        cpu->intr_shadow = false;
    }
    memcpy(cpu->fault_jmp, caller, sizeof(jmp_buf));
    return result;
}

int cpu_deliver_exception(struct cpu *cpu)
{
    return deliver_event(cpu, cpu->exc);
}

int cpu_deliver_interrupt(struct cpu *cpu, uint8_t vector)
{
    return deliver_event(cpu, (struct cpu_exception){ .vector = vector });
}

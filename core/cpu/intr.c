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
#include "vlab/todo.h"
#include "vlab/trace.h"

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

/* ---- Lab 1: gate delivery with the stack switch ----------------------------
 *
 * Lab 1 (labs/01-emulation/README.md, part 3): you write deliver() and the
 * helpers it needs. Everything around it is given: the double-fault rules
 * above, and below the loop that retries a delivery that faulted.
 *
 * Helpers: yours to design. The reference reads and checks the gate
 * (read_gate), then the handler's code segment (read_handler_code), and
 * computes EXT and the handler's EFLAGS in two small functions. What the
 * machine gives you (core/cpu/desc.h, cpu_internal.h):
 *
 *   sys_load(cpu, lin, size)       read the IDT (a supervisor access; may #PF)
 *   desc_is_seg, desc_type, desc_dpl, desc_present, desc_is_code,
 *   desc_conforming, desc_limit    descriptor fields (SYS_INT_GATE,
 *                                  SYS_TRAP_GATE, SYS_TASK_GATE, SYS_32BIT)
 *   gate_sel, gate_offset, gate_is32   the gate's target and size
 *   sel_is_null, sel_error, ERR_IDT, ERR_EXT   selectors and error codes
 *   seg_read_desc(cpu, sel, d)     fetch a descriptor from the GDT/LDT
 *   seg_inner_stack(...)           SSn:ESPn from the TSS, checked
 *   struct frame, frame_push, frame_place, frame_write
 *                                  build a frame, check it fits, write it
 *   seg_mark_accessed, seg_from_desc, seg_set_cs   commit segment loads
 *   cpu_eflags, cpu_set_eflags     EFLAGS, whole (vlab/cpu.h)
 *   cpu_fault(cpu, vector, error)  raise a fault (unwinds; nothing after runs)
 */
/* BEGIN SOLUTION lab01 */

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
/* END SOLUTION */
/* STUB: */

/* deliver(cpu, ev): enter the handler of event `ev` (ev->vector; ev->soft
 * for INT n/INT3/INTO; ev->has_error and ev->error for exceptions that push
 * an error code) through the IDT, as the processor does in protected mode
 * (SDM Vol. 3, 6.12.1 "Exception- or Interrupt-Handler Procedures"; the
 * operation section of INT n in Vol. 2). Raise, with cpu_fault(), the first
 * fault that delivery meets -- before anything has changed; that is the
 * contract the caller's retry loop relies on.
 *
 * EXT (bit 0 of an error code) is 1 for events the program did not ask for
 * (exceptions, external interrupts), 0 for INT n/INT3/INTO.
 *
 *  1. The gate: 8 bytes at IDTR.base + 8 * vector. Beyond IDTR.limit:
 *     #GP(vector * 8 + 2 + EXT). Not an interrupt gate, a trap gate (16- or
 *     32-bit) or a task gate: #GP(same). For INT n/INT3/INTO only, gate DPL
 *     < CPL: #GP(vector * 8 + 2) -- this is what keeps user code from calling
 *     kernel vectors. Not present: #NP(vector * 8 + 2 + EXT). A task gate
 *     would switch tasks, which vlab does not implement: #GP(same).
 *  2. The handler's code segment (the gate's selector): null: #GP(EXT); not
 *     readable from the GDT/LDT, not a code segment, or DPL > CPL:
 *     #GP(selector + EXT); not present: #NP(selector + EXT).
 *  3. A non-conforming handler with DPL < CPL runs in its own ring, on the
 *     stack the TSS gives for that ring (seg_inner_stack(); it raises the
 *     #TS/#SS faults of 6.12.1). The old SS and ESP are pushed on the new
 *     stack. Otherwise the handler runs in the current ring on the current
 *     stack (see the picture at the top of this file).
 *  4. Push EFLAGS, CS, EIP, then the error code if ev->has_error: dwords for
 *     a 32-bit gate, words for a 16-bit gate (struct frame's `size`). The
 *     frame is written with the privilege of the ring it lands in: as
 *     supervisor on an inner stack, as the current CPL otherwise (`user`).
 *     A frame that does not fit the stack segment: #SS(EXT) on the current
 *     stack, #SS(new SS + EXT) on an inner one (frame_place(), through
 *     `ss_error`). The gate's offset beyond the code segment's limit:
 *     #GP(EXT).
 *  5. Commit: set the accessed bits of the new SS and CS descriptors, write
 *     the frame (frame_write() probes every page first), load SS:ESP, CS
 *     with its new CPL, EIP = the gate's offset; clear TF, NT, RF and VM,
 *     and IF too for an interrupt gate (a trap gate leaves IF alone).
 *
 * Tested by build/tests/test_intr (every numbered rule above, by name),
 * the systest guest's exception checks and the teaching kernel, whose
 * system calls, page faults and timer all come this way.
 *
 * Stub: delivery that is not written fails with #GP; the retry loop turns
 * that into a double fault and then a shutdown, so the machine stops with
 * "triple fault" after the not-implemented message.
 */
static void deliver(struct cpu *cpu, const struct cpu_exception *ev)
{
    /* BEGIN SOLUTION lab01 */
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
    /* END SOLUTION */
    /* STUB: vlab_todo("lab01: deliver", ev); cpu_fault(cpu, VEC_GP, 0); */
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
 * is saved and restored around the attempts. The trace hears of what was
 * delivered in the end: an external interrupt when `external` and no fault
 * took its place. */
static int deliver_event(struct cpu *cpu, struct cpu_exception ev, bool external)
{
    jmp_buf caller;
    int result = 0;
    unsigned cpl = cpu->cpl;
    memcpy(caller, cpu->fault_jmp, sizeof(jmp_buf));
    cpu->insn_esp = cpu->r[R_ESP];
    if (!ev.soft)
        cpu->insn_eip = cpu->eip;
    while (!try_deliver(cpu, &ev)) {
        external = false; /* what is delivered now is an exception */
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
        trace_delivered(cpu, &ev, external, cpl);
    }
    memcpy(cpu->fault_jmp, caller, sizeof(jmp_buf));
    return result;
}

int cpu_deliver_exception(struct cpu *cpu)
{
    return deliver_event(cpu, cpu->exc, false);
}

int cpu_deliver_interrupt(struct cpu *cpu, uint8_t vector)
{
    return deliver_event(cpu, (struct cpu_exception){ .vector = vector }, true);
}

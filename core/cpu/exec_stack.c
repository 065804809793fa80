/* The stack: PUSH, POP, PUSHA, POPA, PUSHF, POPF, ENTER, LEAVE.
 *
 * SS:eSP is the stack; SS.B says whether the pointer is ESP or SP (a 16-bit
 * stack wraps at 64 KiB). The operand size says how many bytes each push
 * or pop moves. cpu_push()/cpu_pop() (cpu_internal.h) move one item and
 * update eSP; a fault later in the instruction restores ESP (cpu_fault), so
 * a handler may pop first and check afterwards.
 *
 *   higher addresses
 *   |  ...          |
 *   |  item         | <- eSP before PUSH
 *   |  new item     | <- eSP after PUSH (eSP - operand size)
 *   lower addresses
 */
#include "cpu_internal.h"

/* The offset mask of the stack pointer: ESP or SP. */
static uint32_t sp_mask(const struct cpu *cpu)
{
    return stack32(cpu) ? 0xffffffffu : 0xffffu;
}

/* Raise now the fault that pushing `n` items of `size` bytes below stack
 * offset `sp` would raise, so that an instruction pushing several items
 * (PUSHA, ENTER) faults before it writes the first. The items are probed
 * in the order the pushes write them, from the top down, each at the
 * offset its push uses (a 16-bit stack wraps at 64 KiB): a fault then
 * reports in CR2 the item the pushes would have faulted on, as the
 * hardware does (tests/diff: PUSHA with SP just above an unmapped page). */
static void probe_stack(struct cpu *cpu, uint32_t sp, unsigned n, unsigned size)
{
    for (unsigned k = 1; k <= n; k++)
        mem_probe_write(cpu, S_SS, (sp - k * size) & sp_mask(cpu), size);
}

/* PUSH r/m, imm, Sreg (SDM Vol. 2, PUSH).
 *
 * The value is read before eSP moves, so PUSH ESP pushes the old ESP and
 * PUSH [ESP+n] addresses relative to the old ESP. An immediate was sign-
 * extended to the operand size by the decoder (6A ib).
 *
 * A segment register pushed with a 32-bit operand size: the SDM allows
 * either a zero-extended doubleword or a 16-bit write leaving the slot's
 * upper half alone (recent Intel cores do the latter). This CPU writes the
 * zero-extended doubleword, as the AMD processor that serves as our oracle
 * does (checked with tests/diff/native32: PUSH DS leaves 0x0000002b). */
void ex_PUSH(struct cpu *cpu, const struct insn *in)
{
    cpu_push(cpu, opnd_read(cpu, in, 0), in->osize);
}

/* POP r/m, Sreg (SDM Vol. 2, POP).
 *
 * eSP is incremented before the destination is written, and a memory
 * destination's effective address is computed with the incremented ESP
 * (POP [ESP+4] stores 4 bytes above where ESP points afterwards). POP ESP
 * therefore ends with ESP = the popped value. If the store faults,
 * cpu_fault() puts ESP back.
 *
 * POP Sreg loads through seg_load() with every protected-mode check; POP SS
 * blocks interrupts until after the next instruction, so that the MOV/POP
 * to ESP that follows runs with the new SS. There is no POP CS (0F is the
 * two-byte escape). */
void ex_POP(struct cpu *cpu, const struct insn *in)
{
    uint32_t v = cpu_pop(cpu, in->osize);
    if (in->o[0].kind != OK_SREG) {
        opnd_write(cpu, in, 0, v);
        return;
    }
    seg_load(cpu, in->o[0].reg, (uint16_t)v);
    if (in->o[0].reg == S_SS)
        cpu->intr_shadow = true;
}

/* PUSHA/PUSHAD: push eAX eCX eDX eBX, the eSP from before the instruction,
 * eBP eSI eDI. All eight slots are probed first so that a fault leaves
 * memory untouched. */
/* The host address of the `bytes` bytes below (`below`) or from ESP on a
 * flat 32-bit stack, when they lie on one page the TLB maps for the access
 * (write or read) without wrapping around 4 GiB; else NULL. Accesses there
 * cannot fault, touch no device and no decoded code. */
static uint8_t *stack_run(struct cpu *cpu, uint32_t bytes, bool below, bool write)
{
    uint32_t esp = cpu->r[R_ESP];
    uint32_t off = below ? esp - bytes : esp;
    if (!stack32(cpu) || !(cpu->seg[S_SS].flat & (write ? SEG_ACC_W : SEG_ACC_R)) ||
        (below ? esp < bytes : off + bytes < off))
        return NULL;
    const struct tlb_entry *e = tlb_find(write ? cpu->tlb_write : cpu->tlb_read, off, bytes,
                                         cpu->cpl == 3);
    return e ? (uint8_t *)(e->addend + off) : NULL;
}

void ex_PUSHA(struct cpu *cpu, const struct insn *in)
{
    unsigned size = in->osize;
    uint32_t old_esp = cpu->r[R_ESP];
    uint8_t *slots = stack_run(cpu, 8 * size, true, true);
    if (slots) { /* EAX goes highest, EDI at the new ESP */
        for (unsigned r = R_EAX; r <= R_EDI; r++) {
            uint32_t v = r == R_ESP ? old_esp : cpu->r[r];
            if (size == 4)
                store_le(slots + 4 * (7 - r), 4, v);
            else
                store_le(slots + 2 * (7 - r), 2, v);
        }
        cpu->r[R_ESP] = old_esp - 8 * size;
        return;
    }
    probe_stack(cpu, sp_get(cpu), 8, size);
    for (unsigned r = R_EAX; r <= R_EDI; r++)
        cpu_push(cpu, r == R_ESP ? old_esp : cpu->r[r], size);
}

/* POPA/POPAD: pop eDI eSI eBP, skip the saved eSP, eBX eDX eCX eAX. Every
 * load happens before the first register is written. */
void ex_POPA(struct cpu *cpu, const struct insn *in)
{
    unsigned size = in->osize;
    uint32_t v[8];
    const uint8_t *slots = stack_run(cpu, 8 * size, false, false);
    if (slots) { /* EDI is at ESP, EAX highest */
        for (unsigned r = R_EAX; r <= R_EDI; r++)
            v[r] = size == 4 ? load_le(slots + 4 * (7 - r), 4) : load_le(slots + 2 * (7 - r), 2);
        cpu->r[R_ESP] += 8 * size;
    } else {
        for (int r = R_EDI; r >= R_EAX; r--)
            v[r] = cpu_pop(cpu, size);
    }
    for (unsigned r = R_EAX; r <= R_EDI; r++)
        if (r != R_ESP)
            reg_write(cpu, r, size, v[r]);
}

/* PUSHF/PUSHFD: EFLAGS as it is, except VM and RF, which the image on the
 * stack always shows clear (SDM Vol. 2, PUSHF). With a 16-bit operand size
 * the low 16 bits. Not privileged: at CPL > 0 a deprivileged kernel sees
 * the real IF and IOPL here, one of the holes lab 2 demonstrates. */
void ex_PUSHF(struct cpu *cpu, const struct insn *in)
{
    cpu_push(cpu, cpu_eflags(cpu) & ~(EFLAGS_VM | EFLAGS_RF), in->osize);
}

/* POPF/POPFD outside virtual-8086 mode (SDM Vol. 2, POPF, Table 4-15):
 *
 *   CPL 0          every flag except VM, VIP, VIF (and RF, cleared by POPFD)
 *   CPL > 0        also IOPL is unchanged
 *   CPL > IOPL     also IF is unchanged -- silently, without a fault
 *   16-bit size    only EFLAGS[15:0] changes
 *
 * The silent IF rule is why POPF cannot be trapped: a kernel moved to ring
 * 1 that runs POPF to re-enable interrupts simply does not (lab 2). */
void ex_POPF(struct cpu *cpu, const struct insn *in)
{
    uint32_t v = cpu_pop(cpu, in->osize);
    uint32_t writable = ~(EFLAGS_VM | EFLAGS_VIP | EFLAGS_VIF | EFLAGS_RF);
    if (cpu->cpl > 0)
        writable &= ~EFLAGS_IOPL;
    if (cpu->cpl > cpu_iopl(cpu))
        writable &= ~EFLAGS_IF;
    if (in->osize == 2)
        writable &= 0xffffu;
    uint32_t old = cpu_eflags(cpu);
    if (in->osize == 4)
        old &= ~EFLAGS_RF;
    cpu_set_eflags(cpu, (old & ~writable) | (v & writable));
}

/* ENTER alloc, level (SDM Vol. 2, ENTER; Vol. 1, 6.5 "Procedure calls for
 * block-structured languages"): make a stack frame for a procedure nested
 * `level` (mod 32) deep.
 *
 *   push eBP                      ; the caller's frame pointer
 *   frame = eSP
 *   repeat level-1 times:         ; copy the caller's display:
 *       eBP -= size; push [SS:eBP] ;   one pointer per enclosing frame
 *   if level > 0: push frame      ; and this frame's own pointer
 *   eBP = frame; eSP -= alloc
 *
 * The pushes are probed before the first is written. The display reads
 * come in order between the pushes (they may read what was just pushed).
 * Last, as the SDM requires and the host CPU does, a write at the final
 * eSP must be possible: ENTER faults rather than leave a frame that the
 * procedure's first local store would fault on. */
void ex_ENTER(struct cpu *cpu, const struct insn *in)
{
    unsigned size = in->osize;
    uint32_t alloc = in->imm & 0xffff;
    unsigned level = in->imm2 & 31;
    uint32_t mask = sp_mask(cpu);
    uint32_t sp = sp_get(cpu);

    probe_stack(cpu, sp, level ? level + 1 : 1, size);
    sp = (sp - size) & mask;
    mem_store(cpu, S_SS, sp, size, cpu->r[R_EBP]);
    uint32_t frame = sp;
    uint32_t bp = cpu->r[R_EBP] & mask;
    for (unsigned k = 1; k < level; k++) {
        bp = (bp - size) & mask;
        uint32_t link = mem_load(cpu, S_SS, bp, size);
        sp = (sp - size) & mask;
        mem_store(cpu, S_SS, sp, size, link);
    }
    if (level) {
        sp = (sp - size) & mask;
        mem_store(cpu, S_SS, sp, size, frame);
    }
    uint32_t final_sp = (sp - alloc) & mask;
    if (alloc)
        mem_probe_write(cpu, S_SS, final_sp, size);
    reg_write(cpu, R_EBP, size, frame);
    sp_set(cpu, final_sp);
}

/* LEAVE: eSP = eBP, then pop eBP (the frame ENTER made, undone). The load
 * comes first, so a fault leaves both registers as they were. */
void ex_LEAVE(struct cpu *cpu, const struct insn *in)
{
    unsigned size = in->osize;
    uint32_t sp = cpu->r[R_EBP] & sp_mask(cpu);
    uint32_t v = mem_load(cpu, S_SS, sp, size);
    sp_set(cpu, sp + size);
    reg_write(cpu, R_EBP, size, v);
}

/* What the instruction handlers share: register and operand access, memory
 * access through segmentation and the software TLB, the stack, lazy flags,
 * exceptions and segment loads. Private to core/cpu.
 *
 * Rules every handler follows, so that exceptions stay precise:
 *
 *   1. On entry, cpu->eip already points past the instruction (a branch
 *      overwrites it) and cpu->insn_eip at its start.
 *   2. Do every memory access that may fault before changing a register or
 *      the flags. cpu_raise() restores EIP and ESP (so pushes and pops before
 *      a fault are undone) but nothing else.
 *   3. A handler that writes memory twice (PUSHA, ENTER, far CALL) probes
 *      the whole range with cpu_probe_write() before the first write.
 */
#ifndef VLAB_CPU_INTERNAL_H
#define VLAB_CPU_INTERNAL_H

#include <stddef.h>
#include <string.h>

#include "vlab/cpu.h"
#include "vlab/insn.h"
#include "vlab/mem.h"

/* ---- Handlers ----------------------------------------------------------- */

typedef void exec_fn(struct cpu *cpu, const struct insn *in);
#define X(name) exec_fn ex_##name;
EXEC_LIST(X)
#undef X

/* The handler the run loop calls for a decoded instruction: its fast form
 * if it has one, else exec_table's for its row, behind a CPL check for the
 * privileged (F_PRIV) rows. */
exec_fn *cpu_handler(const struct insn *in);

/* ---- Threaded code ------------------------------------------------------
 *
 * A block (cpu.c) holds its instructions in slots, one after the other,
 * and one more slot past the last, whose `run` ends the block's run. A
 * slot's `run` executes its instruction and then, as its last act, calls
 * the next slot's `run` (cpu_next): the instructions of a block follow one
 * another with no loop around them. While a block runs this way:
 *
 *   - cpu->insn_eip is the instruction's EIP and cpu->icount counts the
 *     instructions before it, as always;
 *   - cpu->eip is NOT kept up to date: a `run` that needs it (a general
 *     handler, a branch) sets it; a fault sets it from insn_eip;
 *   - cpu->insn_esp is ESP before the instruction, for a fault to put
 *     back: set at the start of the block and after each general handler.
 *     A fast form's `run` writes ESP only as the stack forms do (PUSH, POP,
 *     CALL, RET, exec_fast.c): after their last access that may fault, and
 *     then, inside the block, insn_esp along with it. Any other instruction
 *     that writes ESP gets the general `run` (writes_esp, cpu.c).
 */
struct block;

/* A link from a block to a block that ran after it (see cpu.c). */
struct link {
    uint64_t epoch;   /* cpu->code_epoch when it was made; 0: none */
    uint32_t eip;     /* where the successor starts */
    bool in_limit;    /* it lies within the CS limit (block_in_limit) */
    struct block *to;
};

struct slot {
    exec_fn *run;        /* execute, then run the next slot */
    exec_fn *fn;         /* execute only (cpu_handler): the careful loop's */
    struct block *block; /* the block it belongs to */
    uint32_t eip;        /* where the instruction starts */
    struct link exit;    /* to the block at its fixed successor, for a slot
                            that has one: a Jcc's or JMP rel's target, the
                            end slot's fall-through (cpu_chain_exit) */
    struct insn in;
};

static inline const struct slot *slot_of(const struct insn *in)
{
    return (const struct slot *)(const void *)((const char *)in - offsetof(struct slot, in));
}

/* The instruction `in` retired: go on to the next slot of its block. */
static inline void cpu_next(struct cpu *cpu, const struct insn *in)
{
    const struct slot *next = slot_of(in) + 1;
    cpu->icount++;
    cpu->insn_eip = next->eip;
    next->run(cpu, &next->in);
}

/* The run of the block holding `in` ended normally (at its end, or at a
 * branch), with EIP at the successor: go straight on into the successor
 * when the block links to it and it may run threaded (cpu.c), else return
 * to the run loop. */
void cpu_chain(struct cpu *cpu, const struct insn *in);

/* The same for a successor the slot of `in` knows without looking at EIP,
 * through its `exit` link: the taken target of a Jcc or JMP rel, the
 * fall-through of a block's end slot. */
void cpu_chain_exit(struct cpu *cpu, const struct insn *in);

/* A Jcc or JMP rel `in` with a 32-bit operand size is taken: check its
 * target against the CS limit, retire it and go on there, as
 * cpu_chain_exit does. */
void cpu_jump_exit(struct cpu *cpu, const struct insn *in);

/* The same after an instruction that may have taken a slow path, which may
 * ask to leave the block (a store to decoded code, cpu_exit_after): then
 * the block's run ends here, with EIP at the next instruction. */
static inline void cpu_next_checked(struct cpu *cpu, const struct insn *in)
{
    if (vlab_unlikely(cpu->leave_block)) {
        cpu->icount++;
        cpu->eip = slot_of(in)[1].eip;
        return;
    }
    cpu_next(cpu, in);
}

/* A fast form: `fn` runs the instruction alone, `run` runs it and the rest
 * of its block. FAST_FORM(name, next, body) defines both, as `name` and
 * `name##_run`, from one body; `next` is cpu_next or cpu_next_checked. */
struct fast_form {
    exec_fn *fn, *run;
};
#define FAST_FORM(name, next, ...)                                            \
    static inline void name##_body(struct cpu *cpu, const struct insn *in)    \
    {                                                                         \
        __VA_ARGS__                                                           \
    }                                                                         \
    static void name(struct cpu *cpu, const struct insn *in)                  \
    {                                                                         \
        name##_body(cpu, in);                                                 \
    }                                                                         \
    static void name##_run(struct cpu *cpu, const struct insn *in)            \
    {                                                                         \
        name##_body(cpu, in);                                                 \
        next(cpu, in);                                                        \
    }
#define FORM(name) ((struct fast_form){ name, name##_run })
#define NO_FORM ((struct fast_form){ NULL, NULL })

/* The handlers specialised for the instruction's operand form (exec_fast.c),
 * or NO_FORM; alu_fast_form() chooses for lab 1's ALU and INC/DEC rows
 * (exec_fast_alu.c). */
struct fast_form cpu_fast_form(const struct insn *in);
struct fast_form alu_fast_form(const struct insn *in);
/* Those of the shifts, MUL and IMUL rows (exec_fast_arith.c). */
struct fast_form shift_fast_form(const struct insn *in);
struct fast_form mul_fast_form(const struct insn *in);
struct fast_form imul_fast_form(const struct insn *in);

/* A compare (CMP, TEST, INC, DEC) followed in its block by a Jcc with a
 * 32-bit operand size on condition `cc`: a `run` that executes both, the
 * condition taken straight from the compare's operands, or NULL.
 * alu_fused_form() chooses for lab 1's rows. The Jcc is the next slot;
 * the fused `run` retires both and goes on as the Jcc's `run` would. */
exec_fn *cpu_fused_form(const struct insn *in, unsigned cc);
exec_fn *alu_fused_form(const struct insn *in, unsigned cc);

/* The second half of a fused `run`: the compare `in` retired, and the Jcc
 * in the next slot is taken or not. */
static inline void cpu_fused_jcc(struct cpu *cpu, const struct insn *in, bool taken)
{
    const struct insn *jcc = &slot_of(in)[1].in;
    cpu->icount++;
    if (taken)
        cpu_jump_exit(cpu, jcc);
    else
        cpu_next(cpu, jcc);
}

/* String instruction variants (the `arg` of EX_STRING rows). */
enum { STR_MOVS, STR_CMPS, STR_STOS, STR_LODS, STR_SCAS, STR_INS, STR_OUTS };
/* FLAGOP variants. */
enum { FL_CLC, FL_STC, FL_CMC, FL_CLD, FL_STD };
/* ALU variants, in encoding order (the `arg` of EX_ALU rows). */
enum { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP };
/* SHIFT variants, in encoding order (GRP2's ModRM.reg). */
enum { SH_ROL, SH_ROR, SH_RCL, SH_RCR, SH_SHL, SH_SHR, SH_SAL, SH_SAR };

/* ---- Exceptions --------------------------------------------------------- */

/* Raise a fault: record it in cpu->exc, restore EIP and ESP to their values
 * before the instruction, and unwind to cpu_run(). */
_Noreturn void cpu_fault(struct cpu *cpu, unsigned vector, uint32_t error);
_Noreturn void cpu_fault_noerr(struct cpu *cpu, unsigned vector);
/* #PF: also sets CR2. */
_Noreturn void cpu_page_fault(struct cpu *cpu, gva_t lin, uint32_t error);
/* INT n, INT3, INTO: a trap; EIP stays past the instruction. */
_Noreturn void cpu_soft_int(struct cpu *cpu, unsigned vector);

/* A conditional branch is taken: EIP = target, and the block being run ends
 * here (a block runs on past its conditional branches, see cpu.c). */
static inline void cpu_branch_taken(struct cpu *cpu, uint32_t target)
{
    cpu->eip = target;
    cpu->leave_block = true;
}

/* Leave cpu_run() with `why` after the current instruction. */
static inline void cpu_exit_after(struct cpu *cpu, enum cpu_exit why)
{
    cpu->exit_req = (uint8_t)(why + 1);
    cpu->leave_block = true;
}

/* EFLAGS was written: when IF is set and the caller of cpu_run waits for
 * that (cpu->stop_on_if), leave cpu_run after this instruction. Only
 * general handlers write IF (STI, POPF, IRET through cpu_set_eflags), and
 * they all end the block's run when leave_block is set. */
static inline void cpu_if_set(struct cpu *cpu)
{
    if (vlab_unlikely(cpu->eflags & cpu->stop_on_if))
        cpu_exit_after(cpu, CPU_EXIT_STOP);
}

#define cpu_gp0(cpu) cpu_fault((cpu), VEC_GP, 0)
#define cpu_ud(cpu) cpu_fault_noerr((cpu), VEC_UD)

/* ---- Registers ---------------------------------------------------------- */

static inline uint32_t size_mask(unsigned size)
{
    return size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
}

static inline uint32_t sign_bit(unsigned size) { return 1u << (size * 8 - 1); }

/* Sign-extend the low `size` bytes of v to 32 bits. */
static inline uint32_t sext(uint32_t v, unsigned size)
{
    return size == 4 ? v : size == 2 ? (uint32_t)(int32_t)(int16_t)v : (uint32_t)(int32_t)(int8_t)v;
}

/* General register `reg` of `size` bytes; for size 1, regs 4..7 are AH..BH. */
static inline uint32_t reg_read(const struct cpu *cpu, unsigned reg, unsigned size)
{
    if (size == 4)
        return cpu->r[reg];
    if (size == 2)
        return cpu->r[reg] & 0xffff;
    return reg < 4 ? cpu->r[reg] & 0xff : (cpu->r[reg - 4] >> 8) & 0xff;
}

static inline void reg_write(struct cpu *cpu, unsigned reg, unsigned size, uint32_t v)
{
    if (size == 4)
        cpu->r[reg] = v;
    else if (size == 2)
        cpu->r[reg] = (cpu->r[reg] & 0xffff0000u) | (v & 0xffff);
    else if (reg < 4)
        cpu->r[reg] = (cpu->r[reg] & 0xffffff00u) | (v & 0xff);
    else
        cpu->r[reg - 4] = (cpu->r[reg - 4] & 0xffff00ffu) | ((v & 0xff) << 8);
}

/* ---- Segmentation ------------------------------------------------------- */

/* Recompute seg->lo/hi/acc after base, limit or ar changed. */
void seg_cache_update(struct seg *s);

/* Load segment register `sreg` with `sel`, with every protected-mode check of
 * MOV Sreg/POP Sreg/LDS... (SDM Vol. 2, MOV; Vol. 3, 5.4-5.6): may raise
 * #GP(sel), #SS(sel), #NP(sel). Loading CS is not allowed here (far
 * transfers use seg_load_cs). */
void seg_load(struct cpu *cpu, unsigned sreg, uint16_t sel);

/* Read the 8-byte descriptor for `sel` from the GDT or LDT. Returns false
 * when the selector is outside the table's limit (the caller raises the
 * fault it needs). Reads are implicit supervisor accesses. */
bool seg_read_desc(struct cpu *cpu, uint16_t sel, uint32_t desc[2]);

/* Unpack a descriptor into a segment cache (base, limit scaled by G, ar). */
void seg_from_desc(struct seg *s, uint16_t sel, const uint32_t desc[2]);

/* The same, through the CPU's memo of descriptors unpacked lately: for the
 * segment loads of every system call and interrupt. The memo is
 * direct-mapped, by the descriptor's type, S and DPL bits (the kernel's and
 * the user's code and data of a flat system land apart) and the low bits
 * of its base; seg_memo_fill() (seg.c) unpacks a descriptor it misses. */
void seg_memo_fill(struct seg_memo *m, const uint32_t desc[2]);

static inline void seg_from_desc_memo(struct cpu *cpu, struct seg *s, uint16_t sel,
                                      const uint32_t desc[2])
{
    uint32_t h = (desc[1] >> 9) ^ (desc[1] >> 12) ^ desc[1] ^ (desc[1] >> 24) ^ (desc[0] >> 16);
    struct seg_memo *m = &cpu->seg_memo[h % CPU_SEG_MEMO];
    if (vlab_unlikely(!m->used || m->desc[0] != desc[0] || m->desc[1] != desc[1]))
        seg_memo_fill(m, desc);
    *s = m->seg;
    s->sel = sel;
}

/* Set CS from a checked descriptor, updating CPL. */
void seg_set_cs(struct cpu *cpu, uint16_t sel, const uint32_t desc[2], unsigned cpl);

/* CS or the CPL may have changed: make the code context in code_epoch's top
 * bits the one of CS and the CPL now (segload.c). The check is inline, for
 * cpu_run(); code_ctx_switch() finds or makes the new context. */
#define CODE_CTX_SHIFT 60
void code_ctx_switch(struct cpu *cpu);

static inline struct code_ctx code_ctx_now(const struct cpu *cpu)
{
    const struct seg *cs = &cpu->seg[S_CS];
    return (struct code_ctx){ .span = cs->base | (uint64_t)cs->limit << 32,
                              .mode = (cs->ar & SEG_AR_DB) | (cpu->cpl == 3) };
}

static inline void cpu_code_ctx_sync(struct cpu *cpu)
{
    unsigned id = (unsigned)(cpu->code_epoch >> CODE_CTX_SHIFT);
    const struct code_ctx *c = &cpu->code_ctx[(id - 1) % CPU_CODE_CTXS];
    struct code_ctx now = code_ctx_now(cpu);
    if (vlab_unlikely(id == 0 || c->span != now.span || c->mode != now.mode))
        code_ctx_switch(cpu);
}

/* Check that an access of `size` bytes at `off` in segment `sreg` is within
 * its limit and allowed (read or write); raise #GP(0) or #SS(0) if not. */
void seg_check_slow(struct cpu *cpu, unsigned sreg, uint32_t off, unsigned size, bool write);

static inline gva_t seg_lin(struct cpu *cpu, unsigned sreg, uint32_t off, unsigned size, bool write)
{
    const struct seg *s = &cpu->seg[sreg];
    uint32_t last = off + size - 1;
    if (vlab_unlikely(off < s->lo || last > s->hi || last < off ||
                      !(s->acc & (write ? SEG_ACC_W : SEG_ACC_R))))
        seg_check_slow(cpu, sreg, off, size, write);
    return s->base + off;
}

/* ---- Memory ------------------------------------------------------------- */

/* Translate a linear address for an access of kind MMU_* (vlab/mmu.h),
 * raising #PF: from the TLB when it holds the page, else by a page walk
 * (which goes into the trace); enters RAM pages in the TLB. *page is the
 * RAM page or NULL for device memory. */
gpa_t cpu_translate(struct cpu *cpu, gva_t lin, unsigned access, struct pm_page **page);

/* Drop every store translation to `page`: it now holds decoded code, so
 * stores to it must take the slow path (cpu.c). */
void cpu_tlb_drop_writes(struct cpu *cpu, const struct pm_page *page);

/* Slow paths: segment checks are done; these translate (page walk, #PF),
 * handle page-crossing and MMIO, and refill the TLB. `user` says whether
 * the access is checked as CPL 3 (false for implicit supervisor accesses). */
uint32_t mem_load_slow(struct cpu *cpu, gva_t lin, unsigned size, bool user);
void mem_store_slow(struct cpu *cpu, gva_t lin, unsigned size, uint32_t v, bool user);

static inline unsigned tlb_index(gva_t lin)
{
    return (lin >> VLAB_PAGE_SHIFT) & (TLB_SIZE - 1);
}

/* Does TLB entry `e` map the page of `lin` for an access at CPL 3 (`user`)
 * or at CPL 0-2? */
static inline bool tlb_match(const struct tlb_entry *e, gva_t lin, bool user)
{
    return e->tag[user] == (lin & ~VLAB_PAGE_MASK);
}

static inline uint32_t load_le(const uint8_t *p, unsigned size)
{
    uint32_t v = 0;
    memcpy(&v, p, size); /* the host is little-endian x86 */
    return v;
}

static inline void store_le(uint8_t *p, unsigned size, uint32_t v)
{
    memcpy(p, &v, size);
}

/* Load/store `size` (1, 2, 4) bytes at a linear address. */
static inline uint32_t lin_load(struct cpu *cpu, gva_t lin, unsigned size, bool user)
{
    const struct tlb_entry *e = &cpu->tlb_read[tlb_index(lin)];
    if (vlab_likely(tlb_match(e, lin, user) && (lin & VLAB_PAGE_MASK) <= VLAB_PAGE_SIZE - size))
        return load_le((const uint8_t *)(e->addend + lin), size);
    return mem_load_slow(cpu, lin, size, user);
}

static inline void lin_store(struct cpu *cpu, gva_t lin, unsigned size, uint32_t v, bool user)
{
    const struct tlb_entry *e = &cpu->tlb_write[tlb_index(lin)];
    if (vlab_likely(tlb_match(e, lin, user) && (lin & VLAB_PAGE_MASK) <= VLAB_PAGE_SIZE - size))
        store_le((uint8_t *)(e->addend + lin), size, v);
    else
        mem_store_slow(cpu, lin, size, v, user);
}

/* The TLB entry that maps `lin` for an access of `size` bytes that stays
 * within its page, or NULL. One comparison checks both: the entry for
 * lin's page holds the tag of the page of the access's last byte only when
 * that is the same page (the next page's entry is the next one). */
static inline const struct tlb_entry *tlb_find(const struct tlb_entry *tlb, gva_t lin,
                                               unsigned size, bool user)
{
    const struct tlb_entry *e = &tlb[tlb_index(lin)];
    if (vlab_likely(tlb_match(e, lin + size - 1, user)))
        return e;
    return NULL;
}

/* The general paths of mem_load(), mem_store() and mem_load_rmw(): the
 * segment checks, then the TLB or the slow paths (cpu_mem.c). */
uint32_t mem_load_seg(struct cpu *cpu, unsigned sreg, uint32_t off, unsigned size);
void mem_store_seg(struct cpu *cpu, unsigned sreg, uint32_t off, unsigned size, uint32_t v);
uint32_t mem_load_rmw_seg(struct cpu *cpu, unsigned sreg, uint32_t off, unsigned size);

/* Load/store through a segment, as the current CPL. The fast path is a
 * flat segment (seg->flat: base 0, every offset allowed, so the offset is
 * the linear address) and a TLB hit within one page; an access that wraps
 * around 4 GiB crosses a page, so it too takes the general path, whose
 * segment check faults on it. */
static inline uint32_t mem_load(struct cpu *cpu, unsigned sreg, uint32_t off, unsigned size)
{
    if (vlab_likely(cpu->seg[sreg].flat & SEG_ACC_R)) {
        const struct tlb_entry *e = tlb_find(cpu->tlb_read, off, size, cpu->cpl == 3);
        if (e)
            return load_le((const uint8_t *)(e->addend + off), size);
    }
    return mem_load_seg(cpu, sreg, off, size);
}

static inline void mem_store(struct cpu *cpu, unsigned sreg, uint32_t off, unsigned size, uint32_t v)
{
    if (vlab_likely(cpu->seg[sreg].flat & SEG_ACC_W)) {
        const struct tlb_entry *e = tlb_find(cpu->tlb_write, off, size, cpu->cpl == 3);
        if (e) {
            store_le((uint8_t *)(e->addend + off), size, v);
            return;
        }
    }
    mem_store_seg(cpu, sreg, off, size, v);
}

/* The read of a read-modify-write instruction's memory destination (ADD
 * [m], r; INC; shifts; XCHG; BTS ...). The CPU reads it with the intent to
 * write it: it is checked for writing before it is read, so an unwritable
 * destination faults on the read, as a write (#PF error code W=1), as the
 * host CPU reports it (tests/diff). A write-TLB hit is the fast path;
 * mem_load_rmw_slow() checks alignment, probes for writing, then loads. */
uint32_t mem_load_rmw_slow(struct cpu *cpu, gva_t lin, unsigned size, bool user);

static inline uint32_t mem_load_rmw(struct cpu *cpu, unsigned sreg, uint32_t off, unsigned size)
{
    if (vlab_likely(cpu->seg[sreg].flat & SEG_ACC_W)) {
        const struct tlb_entry *e = tlb_find(cpu->tlb_write, off, size, cpu->cpl == 3);
        if (e)
            return load_le((const uint8_t *)(e->addend + off), size);
    }
    return mem_load_rmw_seg(cpu, sreg, off, size);
}

/* Raise now whatever fault a store of `size` bytes (any size) at sreg:off
 * would raise, without storing. */
void mem_probe_write(struct cpu *cpu, unsigned sreg, uint32_t off, uint32_t size);

/* Implicit supervisor accesses to system structures (GDT, LDT, IDT, TSS). */
static inline uint32_t sys_load(struct cpu *cpu, gva_t lin, unsigned size)
{
    return lin_load(cpu, lin, size, false);
}
static inline void sys_store(struct cpu *cpu, gva_t lin, unsigned size, uint32_t v)
{
    lin_store(cpu, lin, size, v, false);
}

/* ---- Operands ----------------------------------------------------------- */

/* The offset of the instruction's memory operand within its segment. */
static inline uint32_t ea_offset(const struct cpu *cpu, const struct insn *in)
{
    uint32_t off = in->disp;
    if (in->ea_base != EA_NONE)
        off += cpu->r[in->ea_base];
    if (in->ea_index != EA_NONE)
        off += cpu->r[in->ea_index] << in->ea_scale;
    return in->asize == 2 ? off & 0xffff : off;
}

/* Read operand n (OK_REG, OK_MEM, OK_IMM, OK_SREG); the value is zero-
 * extended from the operand's size. The memory destination (operand 0) of
 * a lockable instruction is always read-modify-write: it is read for
 * writing (mem_load_rmw). */
static inline uint32_t opnd_read(struct cpu *cpu, const struct insn *in, unsigned n)
{
    const struct opnd *o = &in->o[n];
    switch (o->kind) {
    case OK_REG:
        return reg_read(cpu, o->reg, o->size);
    case OK_MEM:
        if (n == 0 && (in->d.flags & F_LOCK))
            return mem_load_rmw(cpu, in->seg, ea_offset(cpu, in), o->size);
        return mem_load(cpu, in->seg, ea_offset(cpu, in), o->size);
    case OK_SREG:
        return cpu->seg[o->reg].sel;
    default:
        return in->imm & size_mask(o->size);
    }
}

/* Write operand n (OK_REG or OK_MEM). */
static inline void opnd_write(struct cpu *cpu, const struct insn *in, unsigned n, uint32_t v)
{
    const struct opnd *o = &in->o[n];
    if (o->kind == OK_REG)
        reg_write(cpu, o->reg, o->size, v);
    else
        mem_store(cpu, in->seg, ea_offset(cpu, in), o->size, v);
}

/* Read operand n as the destination of a read-modify-write instruction
 * that cannot be locked (the shifts): a memory operand is read for
 * writing, as opnd_read() does for the lockable ones. */
static inline uint32_t opnd_read_rmw(struct cpu *cpu, const struct insn *in, unsigned n)
{
    const struct opnd *o = &in->o[n];
    if (o->kind == OK_MEM)
        return mem_load_rmw(cpu, in->seg, ea_offset(cpu, in), o->size);
    return opnd_read(cpu, in, n);
}

/* ---- Stack -------------------------------------------------------------- */

/* SS.B decides whether the stack pointer is ESP or SP. */
static inline bool stack32(const struct cpu *cpu) { return (cpu->seg[S_SS].ar & SEG_AR_DB) != 0; }

static inline uint32_t sp_get(const struct cpu *cpu)
{
    return stack32(cpu) ? cpu->r[R_ESP] : cpu->r[R_ESP] & 0xffff;
}

static inline void sp_set(struct cpu *cpu, uint32_t v)
{
    if (stack32(cpu))
        cpu->r[R_ESP] = v;
    else
        cpu->r[R_ESP] = (cpu->r[R_ESP] & 0xffff0000u) | (v & 0xffff);
}

/* Push/pop `size` (2 or 4) bytes on SS:eSP. */
static inline void cpu_push(struct cpu *cpu, uint32_t v, unsigned size)
{
    uint32_t sp = sp_get(cpu) - size;
    if (!stack32(cpu))
        sp &= 0xffff;
    mem_store(cpu, S_SS, sp, size, v);
    sp_set(cpu, sp);
}

static inline uint32_t cpu_pop(struct cpu *cpu, unsigned size)
{
    uint32_t sp = sp_get(cpu);
    uint32_t v = mem_load(cpu, S_SS, sp, size);
    sp_set(cpu, sp + size);
    return v;
}

/* ---- Flags (lazy; see flags.c) ------------------------------------------ */

enum lf_op {
    LF_NONE,  /* arithmetic flags are in cpu->eflags */
    LF_ADD,   /* ADD and ADC: res = dst + src (+ carry) */
    LF_SUB,   /* SUB, SBB, CMP, NEG: res = dst - src (- borrow) */
    LF_LOGIC, /* AND OR XOR TEST: CF = OF = 0, AF = 0 */
    LF_INC,   /* like ADD with src = 1, CF kept in cpu->eflags */
    LF_DEC,   /* like SUB with src = 1, CF kept in cpu->eflags */
    /* 32-bit INC and DEC right after a 32-bit compare (a SUB record with
     * res == dst - src), or after one of these (exec_fast_alu.c): res is
     * theirs, their operand res - 1 or res + 1; dst and src are still the
     * compare's, and CF is its borrow, dst < src. */
    LF_INC_CMP,
    LF_DEC_CMP,
};

static inline void flags_lazy(struct cpu *cpu, enum lf_op op, unsigned size, uint32_t dst,
                              uint32_t src, uint32_t res)
{
    cpu->lf.op = (uint8_t)op;
    cpu->lf.size = (uint8_t)size;
    cpu->lf.dst = dst;
    cpu->lf.src = src;
    cpu->lf.res = res;
}

/* The six arithmetic flags now (EFLAGS_ARITH bits). */
uint32_t flags_arith(const struct cpu *cpu);

/* Store arithmetic flags computed eagerly (shifts, MUL, BCD ...): the bits of
 * `mask` take their values from `value`, the rest of EFLAGS_ARITH keep the
 * values they have now. */
void flags_set(struct cpu *cpu, uint32_t mask, uint32_t value);

static inline bool flag_cf(const struct cpu *cpu) { return (flags_arith(cpu) & EFLAGS_CF) != 0; }

/* Evaluate condition `cc` (enum cond). */
bool cond_true(const struct cpu *cpu, unsigned cc);

/* PF: set when the low byte of the result has an even number of 1 bits. */
static inline uint32_t parity_flag(uint32_t res)
{
    return __builtin_parity(res & 0xff) ? 0 : EFLAGS_PF;
}

/* ---- I/O and privilege -------------------------------------------------- */

static inline unsigned cpu_iopl(const struct cpu *cpu)
{
    return (cpu->eflags & EFLAGS_IOPL) >> EFLAGS_IOPL_SHIFT;
}

/* IN/OUT/INS/OUTS permission: allowed when CPL <= IOPL, else by the TSS I/O
 * permission bitmap (SDM Vol. 1, 19.5); raises #GP(0) otherwise. */
void io_check(struct cpu *cpu, uint16_t port, unsigned size);

/* A port access (after io_check): through the bus, and into the trace. */
uint32_t cpu_port_in(struct cpu *cpu, uint16_t port, unsigned size);
void cpu_port_out(struct cpu *cpu, uint16_t port, unsigned size, uint32_t value);

/* CR0/CR3/CR4 changed: recompute what depends on them, flush the TLB when
 * translation changed. */
void cpu_paging_changed(struct cpu *cpu);

#endif

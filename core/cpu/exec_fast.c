/* Fast forms: handlers specialised for the operand forms that dominate
 * compiled code, chosen once per instruction when its block is decoded
 * (cpu_handler in cpu.c asks cpu_fast_form).
 *
 * The general handlers read their operands through opnd_read() and
 * opnd_write(), which look at each operand's kind and size on every
 * execution. A fast form knows them: MOV r32, [mem] is one load into a
 * register. Each fast form does exactly what the general handler does for
 * its form -- the same accesses in the same order, the same faults, the
 * same flag records -- and nothing else; any form not listed here runs the
 * general handler. The ALU forms of lab 1 are chosen by alu_fast_form()
 * (exec_fast_alu.c), so that a lab 1 handout runs the student's handlers.
 *
 * Each fast form comes in two versions (FAST_FORM, cpu_internal.h): one
 * that runs the instruction alone, for the careful loop, and one that then
 * runs the next instruction of its block (threaded code). The threaded
 * version of a branch goes on into the next block (cpu_chain_exit,
 * cpu_jump_exit, cpu_chain); a compare followed by a Jcc runs as one
 * fused form (cpu_fused_form). Their slow paths are out of line, so that
 * the fast paths need no stack frame and end in a jump.
 *
 * Every fast form here assumes a 32-bit address size and, where it
 * matters, a 32-bit operand size: cpu_fast_form checks both.
 */
#include "cpu_internal.h"

/* The offset of the memory operand with a 32-bit address size: any form
 * (ea_any), and each form on its own, chosen when the block is decoded:
 * [disp], [base + disp], [index * scale + disp], [base + index * scale +
 * disp]. A missing displacement is a displacement of 0. */
static inline uint32_t ea_any(const struct cpu *cpu, const struct insn *in)
{
    uint32_t off = in->disp;
    if (in->ea_base != EA_NONE)
        off += cpu->r[in->ea_base];
    if (in->ea_index != EA_NONE)
        off += cpu->r[in->ea_index] << in->ea_scale;
    return off;
}

static inline uint32_t ea_d(const struct cpu *cpu, const struct insn *in)
{
    (void)cpu;
    return in->disp;
}

static inline uint32_t ea_bd(const struct cpu *cpu, const struct insn *in)
{
    return in->disp + cpu->r[in->ea_base];
}

static inline uint32_t ea_isd(const struct cpu *cpu, const struct insn *in)
{
    return in->disp + (cpu->r[in->ea_index] << in->ea_scale);
}

static inline uint32_t ea_bisd(const struct cpu *cpu, const struct insn *in)
{
    return in->disp + cpu->r[in->ea_base] + (cpu->r[in->ea_index] << in->ea_scale);
}

/* ---- MOV, MOVZX, LEA -------------------------------------------------------- */

FAST_FORM(mov_r32_r32, cpu_next, cpu->r[in->o[0].reg] = cpu->r[in->o[1].reg];)
FAST_FORM(mov_r32_imm, cpu_next, cpu->r[in->o[0].reg] = in->imm;)
FAST_FORM(mov_r8_r8, cpu_next, reg_write(cpu, in->o[0].reg, 1, reg_read(cpu, in->o[1].reg, 1));)
FAST_FORM(movzx_r32_r8, cpu_next, cpu->r[in->o[0].reg] = reg_read(cpu, in->o[1].reg, 1);)
FAST_FORM(movzx_r32_r16, cpu_next, cpu->r[in->o[0].reg] = cpu->r[in->o[1].reg] & 0xffff;)
FAST_FORM(lea_r32, cpu_next, cpu->r[in->o[0].reg] = ea_any(cpu, in);)

/* A load or store through a flat segment that hits the TLB, within one
 * page: what mem_load() and mem_store() do first. False: the access must
 * take the general path (mem_load_seg, mem_store_seg). */
static inline bool load_fast(const struct cpu *cpu, unsigned sreg, uint32_t off, unsigned size,
                             uint32_t *v)
{
    if (vlab_likely(cpu->seg[sreg].flat & SEG_ACC_R)) {
        const struct tlb_entry *e = tlb_find(cpu->tlb_read, off, size, cpu->cpl == 3);
        if (vlab_likely(e != NULL)) {
            *v = load_le((const uint8_t *)(e->addend + off), size);
            return true;
        }
    }
    return false;
}

static inline bool store_fast(struct cpu *cpu, unsigned sreg, uint32_t off, unsigned size,
                              uint32_t v)
{
    if (vlab_likely(cpu->seg[sreg].flat & SEG_ACC_W)) {
        const struct tlb_entry *e = tlb_find(cpu->tlb_write, off, size, cpu->cpl == 3);
        if (vlab_likely(e != NULL)) {
            store_le((uint8_t *)(e->addend + off), size, v);
            return true;
        }
    }
    return false;
}

/* A threaded store that missed the fast path; out of line, so that the
 * fast paths need no stack frame. Only a slow path can ask to leave the
 * block, so only these check. */
static __attribute__((noinline)) void store_slow_run(struct cpu *cpu, const struct insn *in,
                                                     uint32_t off, unsigned size, uint32_t v)
{
    mem_store_seg(cpu, in->seg, off, size, v);
    cpu_next_checked(cpu, in);
}

/* The loads: `size` bytes at the operand's address into `v`, which `put`
 * writes to the destination register. */
#define LOAD_FORMS(X)                                              \
    X(mov_r32_m32, 4, cpu->r[in->o[0].reg] = v)                    \
    X(movzx_r32_m8, 1, cpu->r[in->o[0].reg] = v)                   \
    X(mov_r8_m8, 1, reg_write(cpu, in->o[0].reg, 1, v))

/* The stores: `val` into `size` bytes at the operand's address. */
#define STORE_FORMS(X)                                             \
    X(mov_m32_r32, 4, cpu->r[in->o[1].reg])                        \
    X(mov_m32_imm, 4, in->imm)                                     \
    X(mov_m8_r8, 1, reg_read(cpu, in->o[1].reg, 1))

/* Each load and store for each form of the address (ea_d ... ea_bisd):
 * `name_am` alone, `name_am_run` threaded. */
#define LOAD_FORM(name, am, size, put)                                              \
    static void name##_##am(struct cpu *cpu, const struct insn *in)                 \
    {                                                                               \
        uint32_t off = ea_##am(cpu, in), v;                                         \
        if (!load_fast(cpu, in->seg, off, size, &v))                                \
            v = mem_load_seg(cpu, in->seg, off, size);                              \
        put;                                                                        \
    }                                                                               \
    static void name##_##am##_run(struct cpu *cpu, const struct insn *in)           \
    {                                                                               \
        uint32_t off = ea_##am(cpu, in), v;                                         \
        if (vlab_unlikely(!load_fast(cpu, in->seg, off, size, &v))) {               \
            name##_slow_run(cpu, in, off);                                          \
            return;                                                                 \
        }                                                                           \
        put;                                                                        \
        cpu_next(cpu, in);                                                          \
    }
#define STORE_FORM(name, am, size, val)                                             \
    static void name##_##am(struct cpu *cpu, const struct insn *in)                 \
    {                                                                               \
        uint32_t off = ea_##am(cpu, in), v = val;                                   \
        if (!store_fast(cpu, in->seg, off, size, v))                                \
            mem_store_seg(cpu, in->seg, off, size, v);                              \
    }                                                                               \
    static void name##_##am##_run(struct cpu *cpu, const struct insn *in)           \
    {                                                                               \
        uint32_t off = ea_##am(cpu, in), v = val;                                   \
        if (vlab_unlikely(!store_fast(cpu, in->seg, off, size, v))) {               \
            store_slow_run(cpu, in, off, size, v);                                  \
            return;                                                                 \
        }                                                                           \
        cpu_next(cpu, in);                                                          \
    }

#define X(name, size, put)                                                          \
    static __attribute__((noinline)) void name##_slow_run(struct cpu *cpu,          \
                                                          const struct insn *in,    \
                                                          uint32_t off)             \
    {                                                                               \
        uint32_t v = mem_load_seg(cpu, in->seg, off, size);                         \
        put;                                                                        \
        cpu_next_checked(cpu, in);                                                  \
    }                                                                               \
    LOAD_FORM(name, d, size, put) LOAD_FORM(name, bd, size, put)                    \
    LOAD_FORM(name, isd, size, put) LOAD_FORM(name, bisd, size, put)
LOAD_FORMS(X)
#undef X
#define X(name, size, val)                                                          \
    STORE_FORM(name, d, size, val) STORE_FORM(name, bd, size, val)                  \
    STORE_FORM(name, isd, size, val) STORE_FORM(name, bisd, size, val)
STORE_FORMS(X)
#undef X

/* The variant of memory form `name` for the instruction's address. */
#define MEM_FORM(in, name)                                                            \
    ((in)->ea_base == EA_NONE                                                         \
         ? ((in)->ea_index == EA_NONE ? FORM(name##_d) : FORM(name##_isd))            \
         : ((in)->ea_index == EA_NONE ? FORM(name##_bd) : FORM(name##_bisd)))

static struct fast_form mov_form(const struct insn *in)
{
    const struct opnd *d = &in->o[0], *s = &in->o[1];
    if (d->size == 4 && d->kind == OK_REG) {
        if (s->kind == OK_REG)
            return FORM(mov_r32_r32);
        if (s->kind == OK_IMM)
            return FORM(mov_r32_imm);
        if (s->kind == OK_MEM)
            return MEM_FORM(in, mov_r32_m32);
    }
    if (d->size == 4 && d->kind == OK_MEM) {
        if (s->kind == OK_REG)
            return MEM_FORM(in, mov_m32_r32);
        if (s->kind == OK_IMM)
            return MEM_FORM(in, mov_m32_imm);
    }
    if (d->size == 1 && d->kind == OK_REG && s->kind == OK_REG)
        return FORM(mov_r8_r8);
    if (d->size == 1 && d->kind == OK_REG && s->kind == OK_MEM)
        return MEM_FORM(in, mov_r8_m8);
    if (d->size == 1 && d->kind == OK_MEM && s->kind == OK_REG)
        return MEM_FORM(in, mov_m8_r8);
    return NO_FORM;
}

static struct fast_form movzx_form(const struct insn *in)
{
    if (in->o[0].size != 4)
        return NO_FORM;
    if (in->o[1].size == 2)
        return in->o[1].kind == OK_REG ? FORM(movzx_r32_r16) : NO_FORM;
    return in->o[1].kind == OK_MEM ? MEM_FORM(in, movzx_r32_m8) : FORM(movzx_r32_r8);
}

/* ---- TEST ------------------------------------------------------------------- */

FAST_FORM(test_r32_r32, cpu_next,
    uint32_t d = cpu->r[in->o[0].reg], s = cpu->r[in->o[1].reg];
    flags_lazy(cpu, LF_LOGIC, 4, d, s, d & s);)

FAST_FORM(test_r8_r8, cpu_next,
    uint32_t d = reg_read(cpu, in->o[0].reg, 1), s = reg_read(cpu, in->o[1].reg, 1);
    flags_lazy(cpu, LF_LOGIC, 1, d, s, d & s);)

FAST_FORM(test_r32_imm, cpu_next,
    uint32_t d = cpu->r[in->o[0].reg], s = in->imm;
    flags_lazy(cpu, LF_LOGIC, 4, d, s, d & s);)

FAST_FORM(test_r8_imm, cpu_next,
    uint32_t d = reg_read(cpu, in->o[0].reg, 1), s = in->imm & 0xff;
    flags_lazy(cpu, LF_LOGIC, 1, d, s, d & s);)

/* TEST reg, reg and TEST reg, imm with 32- and 8-bit operands. */
static bool test_fast_operands(const struct insn *in)
{
    const struct opnd *d = &in->o[0], *s = &in->o[1];
    return d->kind == OK_REG && (s->kind == OK_REG || s->kind == OK_IMM) && s->size == d->size &&
           (d->size == 4 || d->size == 1);
}

static struct fast_form test_form(const struct insn *in)
{
    if (!test_fast_operands(in))
        return NO_FORM;
    if (in->o[1].kind == OK_IMM)
        return in->o[0].size == 4 ? FORM(test_r32_imm) : FORM(test_r8_imm);
    return in->o[0].size == 4 ? FORM(test_r32_r32) : FORM(test_r8_r8);
}

/* ---- Near branches ------------------------------------------------------- */

/* The target of JMP rel or Jcc rel after the instruction that ends at
 * `next`, checked against the CS limit (32-bit operand size: no
 * truncation). */
static inline uint32_t rel_target(struct cpu *cpu, const struct insn *in, uint32_t next)
{
    uint32_t target = next + in->imm;
    if (target > cpu->seg[S_CS].limit)
        cpu_gp0(cpu);
    return target;
}

/* JMP rel ends its block: its `run` sets EIP and goes on to the successor. */
static void jmp_rel(struct cpu *cpu, const struct insn *in)
{
    cpu->eip = rel_target(cpu, in, cpu->eip);
}

static void jmp_rel_run(struct cpu *cpu, const struct insn *in)
{
    cpu_jump_exit(cpu, in);
}

/* JMP r32 and JMP [mem]: to the absolute offset there, checked against
 * the CS limit; the run goes on at the target through the block's links
 * (cpu_chain). */
static inline void jmp_to(struct cpu *cpu, uint32_t target)
{
    if (target > cpu->seg[S_CS].limit)
        cpu_gp0(cpu);
    cpu->eip = target;
}

static inline uint32_t load32(struct cpu *cpu, const struct insn *in)
{
    uint32_t off = ea_any(cpu, in), v;
    if (!load_fast(cpu, in->seg, off, 4, &v))
        v = mem_load_seg(cpu, in->seg, off, 4);
    return v;
}

static void jmp_r32(struct cpu *cpu, const struct insn *in)
{
    jmp_to(cpu, cpu->r[in->o[0].reg]);
}

static void jmp_r32_run(struct cpu *cpu, const struct insn *in)
{
    jmp_to(cpu, cpu->r[in->o[0].reg]);
    cpu->icount++;
    cpu_chain(cpu, in);
}

static void jmp_m32(struct cpu *cpu, const struct insn *in)
{
    jmp_to(cpu, load32(cpu, in));
}

static void jmp_m32_run(struct cpu *cpu, const struct insn *in)
{
    jmp_to(cpu, load32(cpu, in));
    cpu->icount++;
    cpu_chain(cpu, in);
}

static struct fast_form jmp_form(const struct insn *in)
{
    if (in->osize != 4)
        return NO_FORM;
    switch (in->o[0].kind) {
    case OK_IMM: return FORM(jmp_rel);
    case OK_REG: return FORM(jmp_r32);
    case OK_MEM: return FORM(jmp_m32);
    default: return NO_FORM;
    }
}

/* Condition `cc` (a constant in each Jcc form) from the lazy flags when the
 * last flag-setting operation was 32 bits wide and the answer is in its
 * record without computing EFLAGS, as cond_true() (flags.c) does in general:
 * ZF and SF from the result; the unsigned and signed orders of a compare (a
 * SUB record whose result is dst - src, so no borrow came in); a logic
 * operation's CF = OF = 0. Returns 1 or 0, or -1: ask cond_true(). */
static inline int cond_fast(const struct cpu *cpu, unsigned cc)
{
    const struct lazy_flags *lf = &cpu->lf;
    bool neg = cc & 1;
    if (lf->size == 4 && lf->op != LF_NONE) {
        uint32_t d = lf->dst, s = lf->src, r = lf->res;
        bool compare = lf->op == LF_SUB && r == d - s;
        bool logic = lf->op == LF_LOGIC;
        switch (cc >> 1) {
        case CC_E >> 1: return (r == 0) != neg;
        case CC_S >> 1: return ((int32_t)r < 0) != neg;
        case CC_B >> 1:
            if (compare || logic)
                return (compare && d < s) != neg;
            break;
        case CC_BE >> 1:
            if (compare || logic)
                return (compare ? d <= s : r == 0) != neg;
            break;
        case CC_L >> 1:
            if (compare || logic)
                return (compare ? (int32_t)d < (int32_t)s : (int32_t)r < 0) != neg;
            break;
        case CC_LE >> 1:
            if (compare || logic)
                return (compare ? (int32_t)d <= (int32_t)s : (int32_t)r <= 0) != neg;
            break;
        default:
            break;
        }
    }
    return -1;
}

/* The conditions cond_fast() cannot answer; out of line, so that the fast
 * paths need no stack frame. */
static __attribute__((noinline)) void jcc_slow(struct cpu *cpu, const struct insn *in, unsigned cc)
{
    if (cond_true(cpu, cc))
        cpu_branch_taken(cpu, rel_target(cpu, in, cpu->eip));
}

static __attribute__((noinline)) void jcc_run_slow(struct cpu *cpu, const struct insn *in,
                                                   unsigned cc)
{
    if (cond_true(cpu, cc)) {
        cpu_jump_exit(cpu, in);
        return;
    }
    cpu_next(cpu, in);
}

/* A Jcc inside a block: when taken, it ends the run of its block there
 * (alone, through cpu_branch_taken; threaded, by going on to the successor
 * instead of the next slot). */
#define JCC_FORM(cc)                                                      \
    static void jcc_##cc(struct cpu *cpu, const struct insn *in)          \
    {                                                                     \
        int taken = cond_fast(cpu, cc);                                   \
        if (taken > 0)                                                    \
            cpu_branch_taken(cpu, rel_target(cpu, in, cpu->eip));         \
        else if (taken < 0)                                               \
            jcc_slow(cpu, in, cc);                                        \
    }                                                                     \
    static void jcc_##cc##_run(struct cpu *cpu, const struct insn *in)    \
    {                                                                     \
        int taken = cond_fast(cpu, cc);                                   \
        if (taken < 0) {                                                  \
            jcc_run_slow(cpu, in, cc);                                    \
        } else if (taken) {                                               \
            cpu_jump_exit(cpu, in);                                       \
        } else {                                                          \
            cpu_next(cpu, in);                                            \
        }                                                                 \
    }
JCC_FORM(CC_O) JCC_FORM(CC_NO) JCC_FORM(CC_B) JCC_FORM(CC_AE)
JCC_FORM(CC_E) JCC_FORM(CC_NE) JCC_FORM(CC_BE) JCC_FORM(CC_A)
JCC_FORM(CC_S) JCC_FORM(CC_NS) JCC_FORM(CC_P) JCC_FORM(CC_NP)
JCC_FORM(CC_L) JCC_FORM(CC_GE) JCC_FORM(CC_LE) JCC_FORM(CC_G)
#undef JCC_FORM

static const struct fast_form jcc_forms[16] = {
    FORM(jcc_CC_O), FORM(jcc_CC_NO), FORM(jcc_CC_B), FORM(jcc_CC_AE),
    FORM(jcc_CC_E), FORM(jcc_CC_NE), FORM(jcc_CC_BE), FORM(jcc_CC_A),
    FORM(jcc_CC_S), FORM(jcc_CC_NS), FORM(jcc_CC_P), FORM(jcc_CC_NP),
    FORM(jcc_CC_L), FORM(jcc_CC_GE), FORM(jcc_CC_LE), FORM(jcc_CC_G),
};

/* ---- The stack: PUSH, POP, CALL rel, RET --------------------------------- */

/* On a flat 32-bit stack, a push or pop of a doubleword whose slot the TLB
 * maps within one page cannot fault: the fast forms below move ESP only
 * then, after the access, and set insn_esp to the new ESP along with it,
 * so that a fault later in the block puts back the ESP from before the
 * instruction that faults (cpu_internal.h). Any other stack takes the
 * general handler, out of line, which may fault with ESP untouched. */
static inline bool flat_stack32(const struct cpu *cpu, unsigned acc)
{
    return stack32(cpu) && (cpu->seg[S_SS].flat & acc);
}

static inline bool push_fast(struct cpu *cpu, uint32_t sp, uint32_t v)
{
    return flat_stack32(cpu, SEG_ACC_W) && store_fast(cpu, S_SS, sp, 4, v);
}

static inline bool pop_fast(const struct cpu *cpu, uint32_t sp, uint32_t *v)
{
    return flat_stack32(cpu, SEG_ACC_R) && load_fast(cpu, S_SS, sp, 4, v);
}

/* A threaded stack instruction inside its block that missed the fast path:
 * its general handler, as run_general (cpu.c) runs it. */
static __attribute__((noinline)) void stack_slow_run(struct cpu *cpu, const struct insn *in,
                                                     exec_fn *general)
{
    cpu->eip = slot_of(in)[1].eip;
    general(cpu, in);
    cpu->insn_esp = cpu->r[R_ESP];
    cpu_next_checked(cpu, in);
}

/* The same for one that ends its block (CALL, RET), as run_last runs it. */
static __attribute__((noinline)) void branch_slow_run(struct cpu *cpu, const struct insn *in,
                                                      exec_fn *general)
{
    cpu->eip = slot_of(in)[1].eip;
    general(cpu, in);
    cpu->icount++;
    cpu_chain(cpu, in);
}

/* PUSH r32 and PUSH imm: `val` is the doubleword pushed. PUSH ESP, which
 * pushes the ESP from before, takes the general path (see writes_esp in
 * cpu.c), though it would work here too. */
#define PUSH_FORM(name, val)                                                  \
    static void name(struct cpu *cpu, const struct insn *in)                  \
    {                                                                         \
        uint32_t sp = cpu->r[R_ESP] - 4;                                      \
        if (push_fast(cpu, sp, val))                                          \
            cpu->r[R_ESP] = sp;                                               \
        else                                                                  \
            ex_PUSH(cpu, in);                                                 \
    }                                                                         \
    static void name##_run(struct cpu *cpu, const struct insn *in)            \
    {                                                                         \
        uint32_t sp = cpu->r[R_ESP] - 4;                                      \
        if (vlab_unlikely(!push_fast(cpu, sp, val))) {                        \
            stack_slow_run(cpu, in, ex_PUSH);                                 \
            return;                                                           \
        }                                                                     \
        cpu->r[R_ESP] = sp;                                                   \
        cpu->insn_esp = sp;                                                   \
        cpu_next(cpu, in);                                                    \
    }
PUSH_FORM(push_r32, cpu->r[in->o[0].reg])
PUSH_FORM(push_imm, in->imm)
#undef PUSH_FORM

/* POP r32 but POP ESP (general: see writes_esp). */
static void pop_r32(struct cpu *cpu, const struct insn *in)
{
    uint32_t sp = cpu->r[R_ESP], v;
    if (!pop_fast(cpu, sp, &v)) {
        ex_POP(cpu, in);
        return;
    }
    cpu->r[R_ESP] = sp + 4;
    cpu->r[in->o[0].reg] = v;
}

static void pop_r32_run(struct cpu *cpu, const struct insn *in)
{
    uint32_t sp = cpu->r[R_ESP], v;
    if (vlab_unlikely(!pop_fast(cpu, sp, &v))) {
        stack_slow_run(cpu, in, ex_POP);
        return;
    }
    cpu->r[R_ESP] = sp + 4;
    cpu->insn_esp = sp + 4;
    cpu->r[in->o[0].reg] = v;
    cpu_next(cpu, in);
}

/* CALL rel32: the target is checked before the return address is pushed,
 * as ex_CALL does. The threaded form ends its block's run as JMP rel does
 * (cpu_jump_exit, which leaves insn_esp to the block it enters or to the
 * run loop). */
static void call_rel(struct cpu *cpu, const struct insn *in)
{
    uint32_t target = rel_target(cpu, in, cpu->eip), sp = cpu->r[R_ESP] - 4;
    if (!push_fast(cpu, sp, cpu->eip)) {
        ex_CALL(cpu, in);
        return;
    }
    cpu->r[R_ESP] = sp;
    cpu->eip = target;
}

static void call_rel_run(struct cpu *cpu, const struct insn *in)
{
    uint32_t next = slot_of(in)[1].eip, sp = cpu->r[R_ESP] - 4;
    if (vlab_unlikely(next + in->imm > cpu->seg[S_CS].limit || !push_fast(cpu, sp, next))) {
        branch_slow_run(cpu, in, ex_CALL);
        return;
    }
    cpu->r[R_ESP] = sp;
    cpu_jump_exit(cpu, in);
}

/* RET and RET imm16: the return address is checked before ESP moves. */
static inline uint32_t ret_release(const struct insn *in)
{
    return 4 + (in->o[0].kind == OK_IMM ? in->imm & 0xffff : 0);
}

static void ret_near(struct cpu *cpu, const struct insn *in)
{
    uint32_t sp = cpu->r[R_ESP], target;
    if (!pop_fast(cpu, sp, &target) || target > cpu->seg[S_CS].limit) {
        ex_RET(cpu, in);
        return;
    }
    cpu->r[R_ESP] = sp + ret_release(in);
    cpu->eip = target;
}

static void ret_near_run(struct cpu *cpu, const struct insn *in)
{
    uint32_t sp = cpu->r[R_ESP], target;
    if (vlab_unlikely(!pop_fast(cpu, sp, &target) || target > cpu->seg[S_CS].limit)) {
        branch_slow_run(cpu, in, ex_RET);
        return;
    }
    cpu->r[R_ESP] = sp + ret_release(in);
    cpu->eip = target;
    cpu->icount++;
    cpu_chain(cpu, in);
}

static struct fast_form push_form(const struct insn *in)
{
    if (in->osize != 4)
        return NO_FORM;
    if (in->o[0].kind == OK_REG)
        return FORM(push_r32);
    return in->o[0].kind == OK_IMM ? FORM(push_imm) : NO_FORM;
}

static struct fast_form pop_form(const struct insn *in)
{
    return in->osize == 4 && in->o[0].kind == OK_REG ? FORM(pop_r32) : NO_FORM;
}

static struct fast_form call_form(const struct insn *in)
{
    return in->osize == 4 && in->o[0].kind == OK_IMM ? FORM(call_rel) : NO_FORM;
}

/* ---- A compare and the Jcc after it ----------------------------------------- */

/* TEST reg, reg and TEST reg, imm fused with the Jcc that follows (see
 * cpu_fused_form): the condition after a logic operation (CF = OF = 0)
 * from its result, or -1 for P and NP (not fused). */
static inline int logic_cond(unsigned cc, uint32_t r)
{
    bool t;
    switch (cc >> 1) {
    case CC_O >> 1:
    case CC_B >> 1: t = false; break;
    case CC_E >> 1:
    case CC_BE >> 1: t = r == 0; break;
    case CC_S >> 1:
    case CC_L >> 1: t = (int32_t)r < 0; break;
    case CC_LE >> 1: t = (int32_t)r <= 0; break;
    default: return -1;
    }
    return t != (cc & 1);
}

/* Each form: its size, its operands `d` and `s`. An 8-bit result goes to
 * logic_cond sign-extended, which keeps its zero and its sign. */
#define TEST_FUSED_FORMS(X)                                                                 \
    X(test_r32_r32, 4, cpu->r[in->o[0].reg], cpu->r[in->o[1].reg])                          \
    X(test_r32_imm, 4, cpu->r[in->o[0].reg], in->imm)                                       \
    X(test_r8_r8, 1, reg_read(cpu, in->o[0].reg, 1), reg_read(cpu, in->o[1].reg, 1))        \
    X(test_r8_imm, 1, reg_read(cpu, in->o[0].reg, 1), in->imm & 0xff)

#define TEST_FUSED(name, size, dv, sv, cc)                                                  \
    static void name##_##cc(struct cpu *cpu, const struct insn *in)                         \
    {                                                                                       \
        uint32_t d = dv, s = sv, r = d & s;                                                 \
        flags_lazy(cpu, LF_LOGIC, size, d, s, r);                                           \
        cpu_fused_jcc(cpu, in, logic_cond(cc, size == 4 ? r : (uint32_t)(int8_t)r) > 0);    \
    }
#define X(name, size, dv, sv)                                                                \
    TEST_FUSED(name, size, dv, sv, CC_O) TEST_FUSED(name, size, dv, sv, CC_NO)               \
    TEST_FUSED(name, size, dv, sv, CC_B) TEST_FUSED(name, size, dv, sv, CC_AE)               \
    TEST_FUSED(name, size, dv, sv, CC_E) TEST_FUSED(name, size, dv, sv, CC_NE)               \
    TEST_FUSED(name, size, dv, sv, CC_BE) TEST_FUSED(name, size, dv, sv, CC_A)               \
    TEST_FUSED(name, size, dv, sv, CC_S) TEST_FUSED(name, size, dv, sv, CC_NS)               \
    TEST_FUSED(name, size, dv, sv, CC_L) TEST_FUSED(name, size, dv, sv, CC_GE)               \
    TEST_FUSED(name, size, dv, sv, CC_LE) TEST_FUSED(name, size, dv, sv, CC_G)               \
    static exec_fn *const name##_fused[16] = {                                               \
        [CC_O] = name##_CC_O, [CC_NO] = name##_CC_NO, [CC_B] = name##_CC_B,                  \
        [CC_AE] = name##_CC_AE, [CC_E] = name##_CC_E, [CC_NE] = name##_CC_NE,                \
        [CC_BE] = name##_CC_BE, [CC_A] = name##_CC_A, [CC_S] = name##_CC_S,                  \
        [CC_NS] = name##_CC_NS, [CC_L] = name##_CC_L, [CC_GE] = name##_CC_GE,                \
        [CC_LE] = name##_CC_LE, [CC_G] = name##_CC_G,                                        \
    };
TEST_FUSED_FORMS(X)
#undef X
#undef TEST_FUSED

/* The fused TEST for `in` (test_fast_operands) and condition `cc`. */
static exec_fn *test_fused_form(const struct insn *in, unsigned cc)
{
    if (!test_fast_operands(in))
        return NULL;
    if (in->o[1].kind == OK_IMM)
        return (in->o[0].size == 4 ? test_r32_imm_fused : test_r8_imm_fused)[cc];
    return (in->o[0].size == 4 ? test_r32_r32_fused : test_r8_r8_fused)[cc];
}

exec_fn *cpu_fused_form(const struct insn *in, unsigned cc)
{
    if (in->asize != 4 || cc > 15)
        return NULL;
    switch (in->d.exec) {
    case EX_TEST: return test_fused_form(in, cc);
    case EX_ALU:
    case EX_INCDEC: return alu_fused_form(in, cc);
    default: return NULL;
    }
}

/* ---- The choice ---------------------------------------------------------- */

struct fast_form cpu_fast_form(const struct insn *in)
{
    if (in->asize != 4)
        return NO_FORM;
    switch (in->d.exec) {
    case EX_MOV: return mov_form(in);
    case EX_MOVZX: return movzx_form(in);
    case EX_LEA: return in->o[0].size == 4 ? FORM(lea_r32) : NO_FORM;
    case EX_TEST: return test_form(in);
    case EX_SHIFT: return shift_fast_form(in);
    case EX_JMP: return jmp_form(in);
    case EX_PUSH: return push_form(in);
    case EX_POP: return pop_form(in);
    case EX_CALL: return call_form(in);
    case EX_RET: return in->osize == 4 ? FORM(ret_near) : NO_FORM;
    case EX_MUL: return mul_fast_form(in);
    case EX_IMUL: return imul_fast_form(in);
    case EX_JCC: return in->osize == 4 ? jcc_forms[in->d.arg & 15] : NO_FORM;
    case EX_ALU:
    case EX_INCDEC: return alu_fast_form(in);
    default: return NO_FORM;
    }
}

/* The CPU's run loop: fetch (through the cache of decoded blocks), check,
 * dispatch, retire; and the one path every exception leaves by.
 *
 * Instructions are decoded a block at a time: a straight run of up to
 * BLOCK_MAX instructions that ends at the first one that may branch, or
 * before one that could reach the end of its page. Blocks are cached by the
 * physical address of their first byte, so running a block costs one
 * lookup, and then its instructions follow one another in an array.
 *
 * A block is valid while the generation number of its RAM page is the one
 * it was decoded at. Stores to a page holding decoded code bump that number
 * (cpu_mem.c), so self-modifying code is re-decoded — even within a block:
 * after each instruction the loop checks the generation, and leaves the
 * block when it changed. An instruction that crosses a page boundary, or
 * runs from device memory, is decoded every time.
 *
 * What makes it fast: each instruction's handler is chosen when the block
 * is decoded (cpu_handler), in two forms, one of which runs the next
 * instruction itself: a block runs as threaded code (cpu_internal.h),
 * without a loop around its instructions. The checks that hold for a whole
 * block (the CS limit, the budget) are made once before it runs. A block
 * links to the blocks that ran after it (struct link), and a branch with a
 * fixed target links from its own slot, so that going from one block to
 * the next usually costs neither a TLB lookup nor a cache lookup: the end
 * of a block goes straight on into the next (cpu_chain, cpu_chain_exit).
 */
#include <errno.h>
#include <stdlib.h>

#include "cpu_internal.h"
#include "vlab/mmu.h"

#define ICACHE_BITS 12
#define ICACHE_SIZE (1u << ICACHE_BITS) /* blocks in the cache */
#define BLOCK_MAX 16                    /* instructions in a block, at most */
#define LINKS 4                         /* successors a block remembers */

struct block;

/* A block remembers the blocks that ran after it (block chaining): the next
 * time, the run loop goes straight there instead of translating EIP and
 * looking the successor up. A link holds while nothing that fetch() depends
 * on has changed since it was made: cpu->code_epoch counts those changes
 * (a TLB refill or flush, a block decoded, a store to a page holding
 * decoded code, a new cpu_run: the caller may have written guest memory) and
 * names in its top bits the code context, CS and the CPL, the links were
 * made under (segload.c), so that links survive a system call's trip to the
 * kernel and back. */
/* struct link is in cpu_internal.h: a slot holds one too. */

struct block {
    uint32_t phys;  /* physical address of the first instruction */
    uint32_t eip;   /* and its EIP: a block is decoded for one EIP */
    uint32_t gen;   /* the generation of its page when it was decoded */
    bool valid;
    bool code32;    /* decoded with 32-bit default operand and address size */
    uint8_t n;      /* instructions */
    uint16_t bytes; /* their total length */
    struct link link[LINKS]; /* by link_slot() of the successor's EIP */
    /* The instructions, then one slot that ends the block's run (its EIP
     * is where the block ends): see "Threaded code" in cpu_internal.h. */
    struct slot slot[BLOCK_MAX + 1];
};

struct icache {
    struct block b[ICACHE_SIZE];
    struct insn scratch; /* for an instruction that is not cached */
    struct block *last;  /* the block whose link failed, for run_block */
    struct slot *exit;   /* the slot whose exit link failed, for run_block */
    uint64_t chain_end;  /* cpu_chain enters only blocks that end by this icount */
};

/* The blocks cpu_chain enters in a row end at most this many instructions
 * after the first began: then it returns to the run loop. The C stack
 * grows with each instruction where the compiler does not turn the calls
 * from one to the next into jumps (-O0), so this bounds its depth. */
#define CHAIN_INSNS 256

static exec_fn *const exec_table[EX_COUNT] = {
#define X(name) [EX_##name] = ex_##name,
    EXEC_LIST(X)
#undef X
};

const char *const cpu_reg_names[8] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };
const char *const cpu_sreg_names[6] = { "es", "cs", "ss", "ds", "fs", "gs" };

static const char *const vector_names[] = {
    [VEC_DE] = "#DE divide error", [VEC_DB] = "#DB debug", [VEC_NMI] = "NMI",
    [VEC_BP] = "#BP breakpoint", [VEC_OF] = "#OF overflow", [VEC_BR] = "#BR bound range",
    [VEC_UD] = "#UD invalid opcode", [VEC_NM] = "#NM device not available",
    [VEC_DF] = "#DF double fault", [VEC_TS] = "#TS invalid TSS",
    [VEC_NP] = "#NP segment not present", [VEC_SS] = "#SS stack fault",
    [VEC_GP] = "#GP general protection", [VEC_PF] = "#PF page fault",
    [VEC_MF] = "#MF x87 error", [VEC_AC] = "#AC alignment check", [VEC_MC] = "#MC machine check",
};

const char *cpu_vector_name(unsigned vector)
{
    if (vector < VLAB_ARRAY_SIZE(vector_names) && vector_names[vector])
        return vector_names[vector];
    return vector < 32 ? "reserved exception" : "interrupt";
}

/* ---- State -------------------------------------------------------------- */

static void set_system_seg(struct seg *s, uint32_t ar)
{
    *s = (struct seg){ .sel = 0, .base = 0, .limit = 0xffff, .ar = ar };
}

static void set_flat_seg(struct seg *s, uint16_t sel, unsigned type, unsigned dpl)
{
    s->sel = sel;
    s->base = 0;
    s->limit = 0xffffffffu;
    s->ar = type | SEG_AR_S | (dpl << SEG_AR_DPL_SHIFT) | SEG_AR_P | SEG_AR_DB | SEG_AR_G;
    seg_cache_update(s);
}

void cpu_set_flat(struct cpu *cpu, unsigned cpl)
{
    uint16_t cs = cpl ? (uint16_t)(0x18 | cpl) : 0x08;
    uint16_t ds = cpl ? (uint16_t)(0x20 | cpl) : 0x10;
    cpu->mode = CPU_MODE_PROT;
    cpu->cpl = cpl;
    set_flat_seg(&cpu->seg[S_CS], cs, 0xb, cpl);
    for (unsigned s = 0; s < 6; s++)
        if (s != S_CS)
            set_flat_seg(&cpu->seg[s], ds, 0x3, cpl);
    cpu_set_eflags(cpu, EFLAGS_FIXED1);
}

int cpu_init(struct cpu *cpu, struct physmem *mem, struct bus *bus)
{
    memset(cpu, 0, sizeof(*cpu));
    cpu->icache = calloc(1, sizeof(*cpu->icache));
    if (!cpu->icache)
        return -ENOMEM;
    cpu->mem = mem;
    cpu->bus = bus;
    cpu->cr0 = CR0_PE | CR0_ET;
    cpu->gdtr.limit = cpu->idtr.limit = 0xffff;
    set_system_seg(&cpu->ldtr, 0x82 | SEG_AR_P);
    set_system_seg(&cpu->tr, 0x8b | SEG_AR_P);
    cpu->apic_base = 0xfee00000u | 0x900; /* enabled, BSP */
    cpu_set_flat(cpu, 0);
    cpu_tlb_flush(cpu);
    return 0;
}

void cpu_destroy(struct cpu *cpu)
{
    free(cpu->icache);
    cpu->icache = NULL;
}

void cpu_stop(struct cpu *cpu)
{
    cpu_exit_after(cpu, CPU_EXIT_STOP);
}

void cpu_icache_flush(struct cpu *cpu)
{
    cpu->code_epoch++;
    for (unsigned k = 0; k < ICACHE_SIZE; k++)
        cpu->icache->b[k].valid = false;
}

/* ---- Exceptions --------------------------------------------------------- */

static bool vector_has_error(unsigned vector)
{
    return vector == VEC_DF || (vector >= VEC_TS && vector <= VEC_PF) || vector == VEC_AC;
}

_Noreturn void cpu_fault(struct cpu *cpu, unsigned vector, uint32_t error)
{
    cpu->exc = (struct cpu_exception){
        .vector = (uint8_t)vector,
        .has_error = vector_has_error(vector),
        .error = vector_has_error(vector) ? error : 0,
    };
    cpu->eip = cpu->insn_eip;
    cpu->r[R_ESP] = cpu->insn_esp;
    longjmp(cpu->fault_jmp, 1);
}

_Noreturn void cpu_fault_noerr(struct cpu *cpu, unsigned vector)
{
    cpu_fault(cpu, vector, 0);
}

_Noreturn void cpu_page_fault(struct cpu *cpu, gva_t lin, uint32_t error)
{
    cpu->cr2 = lin;
    cpu->exc = (struct cpu_exception){ .vector = VEC_PF, .has_error = true, .error = error, .cr2 = lin };
    cpu->eip = cpu->insn_eip;
    cpu->r[R_ESP] = cpu->insn_esp;
    longjmp(cpu->fault_jmp, 1);
}

_Noreturn void cpu_soft_int(struct cpu *cpu, unsigned vector)
{
    cpu->exc = (struct cpu_exception){ .vector = (uint8_t)vector, .soft = true };
    longjmp(cpu->fault_jmp, 2);
}

/* ---- Fetch -------------------------------------------------------------- */

static bool code32(const struct cpu *cpu)
{
    return (cpu->seg[S_CS].ar & SEG_AR_DB) != 0;
}

/* An instruction that did not decode. This CPU has no x87: its escape
 * opcodes D8..DF raise #NM when CR0.EM or CR0.TS says an operating system
 * emulates the FPU (SDM Vol. 3, Table 2-2), and #UD otherwise. */
static void raise_decode_error(struct cpu *cpu, const struct insn *in, int status)
{
    if (status == DECODE_TOO_LONG)
        cpu_gp0(cpu);
    if (!in->two_byte && (in->opcode & 0xf8) == 0xd8 && (cpu->cr0 & (CR0_EM | CR0_TS)))
        cpu_fault_noerr(cpu, VEC_NM);
    cpu_ud(cpu);
}

/* Decode byte by byte through the slow path: for instructions crossing a
 * page or in device memory. Bytes are fetched only as far as the decoder
 * needs them, so a fault on the next page is raised only when the
 * instruction really extends into it. */
static const struct insn *fetch_slow(struct cpu *cpu, gva_t lin, bool user)
{
    uint8_t buf[16];
    struct insn *in = &cpu->icache->scratch;
    size_t n = 0;
    int status;
    do {
        buf[n] = (uint8_t)mem_load_slow(cpu, lin + (uint32_t)n, 1, user);
        n++;
        status = insn_decode(in, buf, n, code32(cpu));
    } while (status == DECODE_SHORT && n < 15);
    if (status != DECODE_OK)
        raise_decode_error(cpu, in, status == DECODE_SHORT ? DECODE_TOO_LONG : status);
    return in;
}

/* From now on every store to `page` must take the slow path, which keeps
 * its generation number. */
static void mark_code_page(struct cpu *cpu, struct pm_page *page)
{
    if (page->code)
        return;
    page->code = true;
    cpu_tlb_drop_writes(cpu, page);
}

/* STI and the loads of a segment register (MOV SS and POP SS among them)
 * may set the interrupt shadow, which the next instruction clears. */
static bool sets_shadow(const struct insn *in)
{
    return in->d.exec == EX_STI || in->o[0].kind == OK_SREG;
}

/* An instruction after which the block's next one may not be the one that
 * follows in memory: a branch, or a REP string instruction (which sets EIP
 * back to itself to continue, see exec_string.c). Every other instruction
 * of a block falls through to the next, so the run loop need not check.
 * A Jcc does not end its block: when taken, it ends the run of the block
 * there (cpu_branch_taken), else the block goes on. A block also ends
 * after an instruction that may set the interrupt shadow: so the shadow is
 * clear for every instruction of a block but the first, which is the one
 * that clears it. */
static bool ends_block(const struct insn *in)
{
    return ((in->d.flags & F_BRANCH) && in->d.exec != EX_JCC) ||
           ((in->d.flags & F_REP) && (in->prefix & (P_REP | P_REPNE))) ||
           sets_shadow(in);
}

static exec_fn run_general, run_last, run_end;

/* Does the instruction write ESP as a register operand (POP ESP, MOV ESP,
 * ADD ESP ...; also PUSH ESP, which does not)? Its fast form must not run
 * threaded (see cpu_internal.h): only the stack forms keep insn_esp. */
static bool writes_esp(const struct insn *in)
{
    return in->o[0].kind == OK_REG && in->o[0].size != 1 && in->o[0].reg == R_ESP;
}

/* Choose the slot's handlers: the fast form's, else the general ones. */
static void set_handlers(struct slot *s)
{
    const struct insn *in = &s->in;
    struct fast_form f = (in->d.flags & F_PRIV) ? NO_FORM : cpu_fast_form(in);
    s->fn = cpu_handler(in);
    if (f.run && !writes_esp(in))
        s->run = f.run;
    else
        s->run = ends_block(in) ? run_last : run_general;
}

/* Fuse each compare followed by a Jcc into one `run` (cpu_fused_form), when
 * both run threaded as fast forms. */
static void fuse(struct block *b)
{
    for (unsigned k = 0; k + 1 < b->n; k++) {
        struct slot *s = &b->slot[k], *j = &b->slot[k + 1];
        if (j->in.d.exec != EX_JCC || j->in.osize != 4 || j->run == run_general ||
            s->run == run_general || s->run == run_last)
            continue;
        exec_fn *fused = cpu_fused_form(&s->in, j->in.d.arg & 15);
        if (fused)
            s->run = fused;
    }
}

/* Decode the block at `eip`, host address `code` (page offset `off`), into
 * `b`. The first instruction must decode (else its fault is raised); the
 * block ends after a branch, before an undecodable instruction, or where the
 * next instruction could cross the page end. */
static void decode_block(struct cpu *cpu, struct block *b, uint32_t eip, const uint8_t *code,
                         unsigned off)
{
    unsigned n = 0, pos = 0;
    b->valid = false;
    cpu->code_epoch++; /* links to the block that was here are void */
    for (unsigned k = 0; k < LINKS; k++)
        b->link[k].epoch = 0;
    while (n < BLOCK_MAX && off + pos <= VLAB_PAGE_SIZE - 15) {
        struct slot *s = &b->slot[n];
        int status = insn_decode(&s->in, code + pos, 15, code32(cpu));
        if (status != DECODE_OK) {
            if (n == 0)
                raise_decode_error(cpu, &s->in, status);
            break;
        }
        s->eip = eip + pos;
        s->block = b;
        s->exit.epoch = 0;
        set_handlers(s);
        n++;
        pos += s->in.len;
        if (ends_block(&s->in))
            break;
    }
    b->slot[n] = (struct slot){ .run = run_end, .fn = run_end, .block = b, .eip = eip + pos };
    b->slot[n].exit.epoch = 0;
    b->eip = eip;
    b->n = (uint8_t)n;
    b->bytes = (uint16_t)pos;
    fuse(b);
}

/* What fetch() found at EIP: a cached block, or one instruction decoded on
 * its own (near a page end, across pages, from device memory). */
struct fetched {
    struct block *block;
    const struct insn *single;
};

static struct fetched fetch(struct cpu *cpu)
{
    const struct seg *cs = &cpu->seg[S_CS];
    uint32_t eip = cpu->eip;
    if (vlab_unlikely(eip > cs->limit))
        cpu_gp0(cpu);
    gva_t lin = cs->base + eip;
    bool user = cpu->cpl == 3;
    unsigned off = lin & VLAB_PAGE_MASK;
    struct tlb_entry *t = &cpu->tlb_read[tlb_index(lin)];
    if (vlab_unlikely(!tlb_match(t, lin, user))) {
        struct pm_page *p;
        cpu_translate(cpu, lin, user ? MMU_USER | MMU_FETCH : MMU_FETCH, &p);
        if (!p || !tlb_match(t, lin, user))
            return (struct fetched){ .single = fetch_slow(cpu, lin, user) };
    }
    if (vlab_unlikely(off > VLAB_PAGE_SIZE - 15)) {
        /* Near the page end: decode in place if the instruction fits. */
        struct insn *in = &cpu->icache->scratch;
        int status = insn_decode(in, (const uint8_t *)(t->addend + lin), VLAB_PAGE_SIZE - off, code32(cpu));
        if (status == DECODE_SHORT)
            return (struct fetched){ .single = fetch_slow(cpu, lin, user) };
        if (status != DECODE_OK)
            raise_decode_error(cpu, in, status);
        return (struct fetched){ .single = in };
    }

    uint32_t phys = t->phys | off;
    struct pm_page *page = t->page;
    struct block *b = &cpu->icache->b[(phys ^ (phys >> ICACHE_BITS)) & (ICACHE_SIZE - 1)];
    if (vlab_unlikely(!b->valid || b->phys != phys || b->eip != eip || b->gen != page->gen ||
                      b->code32 != code32(cpu))) {
        decode_block(cpu, b, eip, (const uint8_t *)(t->addend + lin), off);
        mark_code_page(cpu, page);
        b->phys = phys;
        b->gen = page->gen;
        b->code32 = code32(cpu);
        b->valid = true;
    }
    return (struct fetched){ .block = b };
}

/* ---- The loop ----------------------------------------------------------- */

/* A privileged instruction (F_PRIV): #GP(0) unless CPL 0, then its handler. */
static void ex_privileged(struct cpu *cpu, const struct insn *in)
{
    if (cpu->cpl != 0)
        cpu_gp0(cpu);
    exec_table[in->d.exec](cpu, in);
}

exec_fn *cpu_handler(const struct insn *in)
{
    if (in->d.flags & F_PRIV)
        return ex_privileged;
    exec_fn *fast = cpu_fast_form(in).fn;
    return fast ? fast : exec_table[in->d.exec];
}

/* The `run` of an instruction without a threaded fast form: its handler
 * alone, with what the general handlers expect (EIP past the instruction),
 * then the next slot, unless it asked to leave the block (cpu_branch_taken,
 * cpu_exit_after, a store to decoded code). Afterwards insn_esp is ESP
 * again, for the instructions that follow. */
static void run_general(struct cpu *cpu, const struct insn *in)
{
    const struct slot *s = slot_of(in);
    cpu->eip = s[1].eip;
    s->fn(cpu, in);
    cpu->insn_esp = cpu->r[R_ESP];
    if (vlab_unlikely(cpu->leave_block)) {
        cpu->icount++;
        return;
    }
    cpu_next(cpu, in);
}

/* The `run` of a block's last instruction when it ends the block (a
 * branch, REP, a write to the interrupt shadow): then the successor. */
static void run_last(struct cpu *cpu, const struct insn *in)
{
    const struct slot *s = slot_of(in);
    cpu->eip = s[1].eip;
    s->fn(cpu, in);
    cpu->icount++;
    cpu_chain(cpu, in);
}

/* The `run` of the slot past a block's last instruction. */
static void run_end(struct cpu *cpu, const struct insn *in)
{
    cpu_chain_exit(cpu, in);
}

/* Execute `in`, the instruction at cpu->eip, with every check, and retire it. */
static void execute(struct cpu *cpu, const struct insn *in, exec_fn *fn)
{
    uint32_t next = cpu->eip + in->len;
    if (vlab_unlikely(next - 1 > cpu->seg[S_CS].limit))
        cpu_gp0(cpu);
    cpu->eip = code32(cpu) ? next : next & 0xffff;
    cpu->intr_shadow = false;
    fn(cpu, in);
    cpu->icount++;
}

static void begin_insn(struct cpu *cpu)
{
    cpu->insn_eip = cpu->eip;
    cpu->insn_esp = cpu->r[R_ESP];
}

/* Does block `b`, at EIP, lie within the CS limit (and, in 16-bit code,
 * below 64 KiB, so that EIP needs no wrapping)? Then none of its
 * instructions can fail execute()'s check. */
static bool block_in_limit(const struct cpu *cpu, const struct block *b)
{
    uint32_t end = cpu->eip + b->bytes; /* one past the last byte */
    uint32_t limit = cpu->seg[S_CS].limit;
    uint32_t top = code32(cpu) || limit < 0xffff ? limit : 0xffff;
    return end > cpu->eip && end - 1 <= top;
}

/* Where a block keeps its link to the successor at `eip`: a block has a
 * handful of successors (its Jcc taken, the fall-through, a few targets of
 * an indirect jump), which this spreads over its LINKS slots. */
static unsigned link_slot(uint32_t eip)
{
    return (eip ^ (eip >> 4)) & (LINKS - 1);
}

/* The link of `prev` to the block at EIP, or NULL. */
static const struct link *find_link(const struct cpu *cpu, const struct block *prev)
{
    const struct link *l = &prev->link[link_slot(cpu->eip)];
    if (l->eip == cpu->eip && l->epoch == cpu->code_epoch)
        return l;
    return NULL;
}

/* May block `b`, reached through link `l`, run threaded now? When it lies
 * within the CS limit and fits in the budget (else run_careful runs it). */
static bool runs_threaded(const struct cpu *cpu, const struct block *b, bool in_limit)
{
    return in_limit && cpu->budget_end - cpu->icount >= b->n;
}

/* Enter block `b` at its first slot, to run it threaded. The caller clears
 * the interrupt shadow when the block before may have set it: only the
 * last instruction of a block may set it, and no instruction of a fixed
 * successor (cpu_chain_exit) does (see ends_block). */
static void enter_block(struct cpu *cpu, struct block *b, uint32_t eip)
{
    cpu->insn_eip = eip; /* cpu->eip may lag behind while blocks run threaded */
    cpu->insn_esp = cpu->r[R_ESP];
    b->slot[0].run(cpu, &b->slot[0].in);
}

/* May cpu_chain enter `b` after `retire` (0 or 1) more instructions retire? */
static bool chain_room(const struct cpu *cpu, const struct block *b, unsigned retire)
{
    return cpu->icount + retire + b->n <= cpu->icache->chain_end;
}

void cpu_chain(struct cpu *cpu, const struct insn *in)
{
    struct block *from = slot_of(in)->block;
    const struct link *l = find_link(cpu, from);
    if (vlab_unlikely(cpu->leave_block) || !l || !l->in_limit || !chain_room(cpu, l->to, 0)) {
        cpu->icache->last = from; /* run_block makes the link */
        return;
    }
    cpu->intr_shadow = false;
    enter_block(cpu, l->to, cpu->eip);
}

/* May the run go on through the exit link of slot `s`? */
static bool exit_open(const struct cpu *cpu, const struct slot *s, unsigned retire)
{
    return s->exit.epoch == cpu->code_epoch && chain_room(cpu, s->exit.to, retire);
}

void cpu_chain_exit(struct cpu *cpu, const struct insn *in)
{
    struct slot *s = (struct slot *)(uintptr_t)slot_of(in); /* blocks are not const */
    if (exit_open(cpu, s, 0)) {
        enter_block(cpu, s->exit.to, s->exit.eip);
        return;
    }
    cpu->eip = s->eip;
    cpu->icache->exit = s; /* run_block makes the link */
}

void cpu_jump_exit(struct cpu *cpu, const struct insn *in)
{
    struct slot *s = (struct slot *)(uintptr_t)slot_of(in);
    if (exit_open(cpu, s, 1)) {
        /* The link's successor lies within the CS limit: so does target. */
        cpu->icount++;
        enter_block(cpu, s->exit.to, s->exit.eip);
        return;
    }
    uint32_t target = s[1].eip + in->imm; /* 32-bit operand size: no wrapping */
    cpu->insn_eip = s->eip; /* not yet set when the Jcc ran fused (cpu_fused_jcc) */
    if (target > cpu->seg[S_CS].limit)
        cpu_gp0(cpu);
    cpu->icount++;
    cpu->eip = target;
    cpu->icache->exit = s;
}

/* Link to the block at EIP: from the slot whose exit link failed when
 * there is one (only to a block within the CS limit: an exit link is
 * valid by its epoch alone), else from `prev`. */
static void make_link(struct cpu *cpu, struct block *prev, struct fetched f, bool in_limit)
{
    struct slot *s = cpu->icache->exit;
    struct link l = { .epoch = cpu->code_epoch, .eip = cpu->eip, .in_limit = in_limit,
                      .to = f.block };
    if (s) {
        if (in_limit)
            s->exit = l;
    } else if (prev) {
        prev->link[link_slot(cpu->eip)] = l;
    }
}

/* Run block `b` instruction by instruction with every check of execute(),
 * as far as the budget allows. */
static void run_careful(struct cpu *cpu, const struct block *b)
{
    for (unsigned k = 0;;) {
        execute(cpu, &b->slot[k].in, b->slot[k].fn);
        if (++k == b->n || cpu->leave_block || cpu->icount >= cpu->budget_end)
            return;
        begin_insn(cpu);
    }
}

/* Run the block at EIP, or the single instruction there, and the blocks
 * cpu_chain goes on to; `prev` is the block that ran just before (NULL:
 * none or unknown). Returns the block that ran last, or NULL.
 *
 * A block whose instructions all lie within the CS limit and fit in the
 * budget runs as threaded code: its first slot's `run` runs the others in
 * turn (cpu_internal.h), each doing per instruction only what it needs.
 * Only a block's last instruction may branch or set the interrupt shadow
 * (ends_block), but for a Jcc inside the block, which ends the run when
 * taken. The block also ends early when cpu->leave_block says so: an exit
 * was asked for, or a store wrote to a page holding decoded code (perhaps
 * this block's). */
static struct block *run_block(struct cpu *cpu, struct block *prev)
{
    begin_insn(cpu);
    const struct link *l = prev ? find_link(cpu, prev) : NULL;
    struct block *b;
    bool in_limit;
    if (l) {
        b = l->to;
        in_limit = l->in_limit;
    } else {
        struct fetched f = fetch(cpu);
        if (f.single) {
            cpu->icache->exit = NULL;
            execute(cpu, f.single, cpu_handler(f.single));
            return NULL;
        }
        b = f.block;
        in_limit = block_in_limit(cpu, b);
        make_link(cpu, prev, f, in_limit);
    }
    cpu->icache->exit = NULL;
    if (vlab_unlikely(!runs_threaded(cpu, b, in_limit))) {
        run_careful(cpu, b);
        return b;
    }
    uint64_t room = cpu->budget_end - cpu->icount;
    cpu->icache->chain_end = cpu->icount + (room < CHAIN_INSNS ? room : CHAIN_INSNS);
    cpu->icache->last = b;
    cpu->intr_shadow = false;
    enter_block(cpu, b, cpu->eip);
    return cpu->icache->last;
}

/* Run blocks until the budget is used up or an instruction asks to exit. */
static enum cpu_exit run_blocks(struct cpu *cpu)
{
    struct block *prev = NULL;
    while (cpu->icount < cpu->budget_end) {
        prev = run_block(cpu, prev);
        if (vlab_unlikely(cpu->leave_block)) {
            cpu->leave_block = false;
            if (cpu->exit_req) {
                enum cpu_exit why = (enum cpu_exit)(cpu->exit_req - 1);
                cpu->exit_req = 0;
                return why;
            }
        }
    }
    return CPU_EXIT_BUDGET;
}

enum cpu_exit cpu_run(struct cpu *cpu, uint64_t max_insns)
{
    cpu->budget_end = cpu->icount + max_insns;
    cpu->code_epoch++;      /* the caller may have written guest memory */
    cpu->icache->exit = NULL;
    cpu_code_ctx_sync(cpu); /* ... or loaded CS or changed the CPL */
    cpu->leave_block = cpu->exit_req != 0;
    if (setjmp(cpu->fault_jmp)) {
        /* An instruction that set IF and then faulted did not retire:
         * the stop it asked for (cpu_if_set) is void. */
        if (cpu->stop_on_if)
            cpu->exit_req = 0;
        if (cpu->exc.soft)
            cpu->icount++; /* INT n retired; its trap is now the caller's */
        return CPU_EXIT_EXCEPTION;
    }
    return run_blocks(cpu);
}

enum cpu_exit cpu_step(struct cpu *cpu)
{
    return cpu_run(cpu, 1);
}

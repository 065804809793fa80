/*
 * vside.c -- run a sequence on vlab's CPU in the layout native32 uses on
 * the host, and describe the outcome the way the host reports it.
 */
#include "vside.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include "gen.h"
#include "vlab/mmu.h"

#define VSIDE_RAM (2u << 20)
#define PHYS_PD 0x1000u       /* page directory */
#define PHYS_PT_ARENA 0x2000u /* page table for N32_ARENA_BASE's 4 MiB */
#define PHYS_PT_CODE 0x3000u  /* page table for N32_CODE_BASE's 4 MiB */
#define PHYS_TSS 0x4000u
#define PHYS_ARENA 0x10000u
#define PHYS_CODE 0x20000u    /* GEN_CODE_PAGES pages */

/* The TSS sits in the code's page table, far from the code, supervisor
 * only. Its I/O bitmap offset points past its limit: every port is
 * refused at CPL 3, as for a Linux process that never called ioperm(). */
#define VSIDE_TSS (N32_CODE_BASE + 0x3ff000u)
#define TSS_LIMIT 0x67u
#define TSS_IOMAP 0x66u

/* CR0 as Linux sets it: PG AM WP NE ET MP PE. */
#define HOST_CR0 0x80050033u

/* A run stops after this many instructions (a REP string counts as one). */
#define STEP_LIMIT 100000u

static uint8_t *host_page(struct vside *v, gpa_t gpa)
{
    struct pm_page *p = physmem_page(&v->mem, gpa);
    return p ? p->host : NULL;
}

static uint32_t arena_pte(unsigned page)
{
    return (PHYS_ARENA + page * VLAB_PAGE_SIZE) | PTE_P | PTE_W | PTE_U;
}

static unsigned pt_index(uint32_t lin)
{
    return (lin >> VLAB_PAGE_SHIFT) & 0x3ff;
}

/* Page directory, the two page tables, the TSS; pointers to the arena. */
static int build_memory(struct vside *v)
{
    uint32_t *pd = (uint32_t *)(void *)host_page(v, PHYS_PD);
    uint32_t *pta = (uint32_t *)(void *)host_page(v, PHYS_PT_ARENA);
    uint32_t *ptc = (uint32_t *)(void *)host_page(v, PHYS_PT_CODE);
    uint8_t *tss = host_page(v, PHYS_TSS);
    if (!pd || !pta || !ptc || !tss)
        return -ENOMEM;

    pd[N32_ARENA_BASE >> 22] = PHYS_PT_ARENA | PTE_P | PTE_W | PTE_U;
    pd[N32_CODE_BASE >> 22] = PHYS_PT_CODE | PTE_P | PTE_W | PTE_U;
    v->arena_pte = &pta[pt_index(N32_ARENA_BASE)];
    for (unsigned i = 0; i < VSIDE_ARENA_PAGES; i++) {
        v->arena[i] = host_page(v, PHYS_ARENA + i * VLAB_PAGE_SIZE);
        if (!v->arena[i])
            return -ENOMEM;
        v->arena_pte[i] = arena_pte(i);
    }
    for (unsigned i = 0; i < GEN_CODE_PAGES; i++) {
        if (!host_page(v, PHYS_CODE + i * VLAB_PAGE_SIZE))
            return -ENOMEM;
        ptc[pt_index(N32_CODE_BASE) + i] = (PHYS_CODE + i * VLAB_PAGE_SIZE) | PTE_P | PTE_W | PTE_U;
    }
    ptc[pt_index(VSIDE_TSS)] = PHYS_TSS | PTE_P | PTE_W;

    uint16_t iomap = TSS_LIMIT + 1;
    memcpy(tss + TSS_IOMAP, &iomap, sizeof iomap);
    return 0;
}

int vside_init(struct vside *v)
{
    memset(v, 0, sizeof(*v));
    int err = physmem_init(&v->mem, VSIDE_RAM);
    if (err)
        return err;
    bus_init(&v->bus);
    err = cpu_init(&v->cpu, &v->mem, &v->bus);
    if (err)
        goto err_mem;
    err = build_memory(v);
    if (err)
        goto err_cpu;
    return 0;

err_cpu:
    cpu_destroy(&v->cpu);
err_mem:
    physmem_destroy(&v->mem);
    return err;
}

void vside_fini(struct vside *v)
{
    cpu_destroy(&v->cpu);
    physmem_destroy(&v->mem);
}

/* The state native32 starts its code in: CPL 3, flat segments, paging on,
 * IF=1 and IOPL=0, the arithmetic flags and DF from the caller. */
static void reset_cpu(struct vside *v, const uint32_t r[8], uint32_t eflags)
{
    struct cpu *c = &v->cpu;
    cpu_set_flat(c, 3);
    memcpy(c->r, r, sizeof c->r);
    cpu_set_eflags(c, 0x202u | (eflags & N32_EFLAGS_IN_MASK));
    c->eip = N32_CODE_BASE;
    c->cr0 = HOST_CR0;
    c->cr3 = PHYS_PD;
    c->cr4 = 0;
    c->tr.base = VSIDE_TSS;
    c->tr.limit = TSS_LIMIT;
    c->tr.ar = 0x8b | SEG_AR_P; /* busy 32-bit TSS */
    cpu_tlb_flush(c);
}

/* Write the code and int3 (0xcc) over what the last run left after it, as
 * native32 does; physmem_write() invalidates the decoded instructions. */
static void load_code(struct vside *v, const uint8_t *code, size_t len)
{
    static uint8_t buf[GEN_CODE_PAGES * VLAB_PAGE_SIZE];
    size_t end = len + 16 > v->code_used ? len + 16 : v->code_used;
    if (end > sizeof buf)
        end = sizeof buf;
    memcpy(buf, code, len);
    memset(buf + len, 0xcc, end - len);
    physmem_write(&v->mem, PHYS_CODE, buf, end);
    v->code_used = len + 16;
}

/*
 * How Linux reports an exception raised at CPL 3 (arch/x86/kernel/traps.c
 * and mm/fault.c): the signal for each vector. native32 gives si_addr only
 * for SIGSEGV/SIGBUS, and it is nonzero only for #PF (CR2).
 */
static const int linux_signal[32] = {
    [VEC_DE] = SIGFPE,  [VEC_DB] = SIGTRAP, [VEC_BP] = SIGTRAP, [VEC_OF] = SIGSEGV,
    [VEC_BR] = SIGSEGV, [VEC_UD] = SIGILL,  [VEC_NM] = SIGSEGV, [VEC_TS] = SIGSEGV,
    [VEC_NP] = SIGBUS,  [VEC_SS] = SIGBUS,  [VEC_GP] = SIGSEGV, [VEC_PF] = SIGSEGV,
    [VEC_MF] = SIGFPE,  [VEC_AC] = SIGBUS,
};

/*
 * vlab reports INT n / INT3 / INTO before IDT delivery; the host delivers
 * them through Linux's IDT, where only gates 3 (#BP), 4 (#OF) and 0x80
 * (the system call, never generated) have DPL 3. INT n through any other
 * gate fails the gate's DPL check at CPL 3: #GP(n*8+2), a fault, reported
 * at the INT instruction (SDM Vol. 3, 6.12.1.1).
 */
static const bool linux_user_gate[256] = { [VEC_BP] = true, [VEC_OF] = true, [0x80] = true };

static void describe_exception(const struct cpu *c, struct outcome *out)
{
    unsigned vec = c->exc.vector;
    uint32_t err = c->exc.has_error ? c->exc.error : 0;
    if (c->exc.soft && !linux_user_gate[vec]) {
        err = vec * 8 + 2;
        vec = VEC_GP;
        out->eip = c->insn_eip;
    }
    out->signo = vec < 32 && linux_signal[vec] ? linux_signal[vec] : SIGSEGV;
    out->trapno = (int)vec;
    out->err = err;
    out->addr = vec == VEC_PF ? c->cr2 : 0;
}

void vside_run(struct vside *v, const uint8_t *code, size_t len, const uint32_t r[8],
               uint32_t eflags, struct outcome *out)
{
    struct cpu *c = &v->cpu;
    uint32_t end = N32_CODE_BASE + (uint32_t)len;
    enum cpu_exit why = CPU_EXIT_BUDGET;
    unsigned steps = 0;

    reset_cpu(v, r, eflags);
    load_code(v, code, len);
    memset(out, 0, sizeof(*out));
    while (c->eip != end && why == CPU_EXIT_BUDGET) {
        if (c->eip < N32_CODE_BASE || c->eip > end) {
            out->stop = "left the sequence";
            break;
        }
        if (steps++ == STEP_LIMIT) {
            out->stop = "step limit";
            break;
        }
        why = cpu_step(c);
    }
    if (why == CPU_EXIT_HLT || why == CPU_EXIT_STOP)
        out->stop = why == CPU_EXIT_HLT ? "hlt exit" : "stop exit";

    memcpy(out->r, c->r, sizeof out->r);
    out->eflags = cpu_eflags(c);
    out->eip = c->eip;
    if (why == CPU_EXIT_EXCEPTION)
        describe_exception(c, out);
}

uint32_t vside_dirty_pages(struct vside *v)
{
    uint32_t dirty = 0;
    for (unsigned i = 0; i < VSIDE_ARENA_PAGES; i++) {
        if (v->arena_pte[i] & PTE_D)
            dirty |= 1u << i;
        v->arena_pte[i] = arena_pte(i);
    }
    return dirty;
}

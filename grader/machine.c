/* The `vlab` Lua module: machines booted from images, and unit-level calls
 * into the MMU, the decoder and the CPU.
 *
 * A machine is a full userdata owning a struct vm (freed by __gc), its
 * console captured in memory (open_memstream), and a trace subscriber that
 * keeps, for every kind, a count, the first and the last event, per-vector
 * counts and last events for exceptions and interrupts, and a ring of the
 * five most recent events for failure messages. */
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "vlab/insn.h"
#include "vlab/mem.h"
#include "vlab/mmu.h"
#include "vlab/trace.h"
#include "vlab/vm.h"

#include "grader.h"

#define MACHINE_MT "vlab.machine"
#define VIEW_MT "vlab.machine_view"
#define RECENT 5

struct machine {
    struct vm *vm;
    FILE *console;
    char *console_buf;
    size_t console_len;
    uint64_t count[TRACE_KIND_COUNT];
    uint64_t vec_count[2][256];            /* [0] exceptions, [1] interrupts */
    struct trace_event first[TRACE_KIND_COUNT], last[TRACE_KIND_COUNT];
    struct trace_event vec_first[2][256], vec_last[2][256];
    struct trace_event recent[RECENT];
    uint64_t nrecent;
    /* run_until's event condition: kind, vector (-1: any). */
    int want_kind, want_vector;
    bool seen;
    bool console_dirty;      /* COM1 was written since run_until last looked */
    size_t console_checked;  /* console bytes run_until has searched already */
};

static uint64_t insn_cap; /* limits.insns of the running test; 0: none */

void vlab_set_insn_cap(uint64_t cap)
{
    insn_cap = cap;
}

/* ---- Small helpers ---------------------------------------------------------- */

static uint64_t capped(uint64_t n)
{
    return insn_cap && (n == 0 || n > insn_cap) ? insn_cap : n;
}

/* The vector of an exception or interrupt event; -1 for other kinds. */
static int event_vector(const struct trace_event *ev)
{
    if (ev->kind == TRACE_EXCEPTION)
        return ev->u.exception.vector;
    if (ev->kind == TRACE_INTERRUPT)
        return ev->u.interrupt.vector;
    return -1;
}

static int kind_of(lua_State *L, int idx, const char *field)
{
    lua_getfield(L, idx, field);
    const char *name = lua_tostring(L, -1);
    lua_pop(L, 1);
    if (!name)
        return -1;
    for (unsigned k = 0; k < TRACE_KIND_COUNT; k++)
        if (!strcmp(trace_kind_name(k), name))
            return (int)k;
    return luaL_error(L, "unknown event kind '%s'", name);
}

static lua_Integer opt_int_field(lua_State *L, int idx, const char *field, lua_Integer dflt)
{
    lua_getfield(L, idx, field);
    lua_Integer v = lua_isnil(L, -1) ? dflt : luaL_checkinteger(L, -1);
    lua_pop(L, 1);
    return v;
}

static void set_int(lua_State *L, const char *k, lua_Integer v)
{
    lua_pushinteger(L, v);
    lua_setfield(L, -2, k);
}

static void set_bool(lua_State *L, const char *k, bool v)
{
    lua_pushboolean(L, v);
    lua_setfield(L, -2, k);
}

static void set_str(lua_State *L, const char *k, const char *v)
{
    lua_pushstring(L, v);
    lua_setfield(L, -2, k);
}

/* ---- The trace subscriber --------------------------------------------------- */

static void on_event(void *ctx, const struct trace_event *ev)
{
    struct machine *m = ctx;
    unsigned k = ev->kind;
    if (!m->count[k]++)
        m->first[k] = *ev;
    m->last[k] = *ev;
    int vec = event_vector(ev);
    if (vec >= 0) {
        int which = k == TRACE_INTERRUPT;
        if (!m->vec_count[which][vec]++)
            m->vec_first[which][vec] = *ev;
        m->vec_last[which][vec] = *ev;
    }
    m->recent[m->nrecent++ % RECENT] = *ev;
    if (m->want_kind == (int)k && (m->want_vector < 0 || m->want_vector == vec))
        m->seen = true;
    if (k == TRACE_PIO && ev->u.io.write && trace_pio_range_of((uint16_t)ev->u.io.addr) == TRACE_PIO_COM1)
        m->console_dirty = true;
}

/* ---- Events as Lua tables ---------------------------------------------------- */

static void push_walk(lua_State *L, const struct mmu_walk *w)
{
    lua_createtable(L, 0, 10);
    set_int(L, "lin", w->lin);
    set_int(L, "access", w->access);
    set_bool(L, "fault", w->fault);
    set_int(L, "error", w->error);
    set_int(L, "pa", w->pa);
    set_bool(L, "large", w->large);
    set_bool(L, "writable", w->writable);
    set_bool(L, "global", w->global);
    lua_createtable(L, (int)w->nsteps, 0);
    for (unsigned k = 0; k < w->nsteps && k < 2; k++) {
        lua_createtable(L, 0, 3);
        set_int(L, "table", w->step[k].table);
        set_int(L, "index", w->step[k].index);
        set_int(L, "entry", w->step[k].entry);
        lua_rawseti(L, -2, k + 1);
    }
    lua_setfield(L, -2, "steps");
}

void vlab_push_event(lua_State *L, const struct trace_event *ev)
{
    char text[512];
    trace_format_text(ev, text, sizeof(text));
    if (ev->kind == TRACE_WALK)
        push_walk(L, &ev->u.walk);
    else
        lua_createtable(L, 0, 10);
    set_str(L, "kind", trace_kind_name(ev->kind));
    set_int(L, "seq", (lua_Integer)ev->seq);
    set_int(L, "icount", (lua_Integer)ev->icount);
    set_int(L, "cycles", (lua_Integer)ev->cycles);
    set_str(L, "text", text);
    switch (ev->kind) {
    case TRACE_RING:
        set_int(L, "from", ev->u.ring.from);
        set_int(L, "to", ev->u.ring.to);
        set_str(L, "cause", trace_ring_cause_name(ev->u.ring.cause));
        set_int(L, "eip", ev->u.ring.eip);
        break;
    case TRACE_EXCEPTION:
        set_int(L, "vector", ev->u.exception.vector);
        set_bool(L, "soft", ev->u.exception.soft);
        set_bool(L, "has_error", ev->u.exception.has_error);
        set_int(L, "error", ev->u.exception.error);
        set_int(L, "eip", ev->u.exception.eip);
        set_int(L, "cpl", ev->u.exception.cpl);
        set_int(L, "cr2", ev->u.exception.cr2);
        break;
    case TRACE_INTERRUPT:
        set_int(L, "vector", ev->u.interrupt.vector);
        set_int(L, "eip", ev->u.interrupt.eip);
        set_int(L, "cpl", ev->u.interrupt.cpl);
        break;
    case TRACE_TLB_FLUSH:
        set_bool(L, "page", ev->u.tlb_flush.page);
        set_int(L, "lin", ev->u.tlb_flush.lin);
        break;
    case TRACE_PIO:
    case TRACE_MMIO:
        set_int(L, "addr", (lua_Integer)ev->u.io.addr);
        set_int(L, "value", ev->u.io.value);
        set_int(L, "size", ev->u.io.size);
        set_bool(L, "write", ev->u.io.write);
        break;
    case TRACE_SYSREG:
        set_str(L, "reg", trace_sysreg_name(ev->u.sysreg.reg));
        set_int(L, "old", ev->u.sysreg.old_value);
        set_int(L, "new", ev->u.sysreg.new_value);
        set_int(L, "limit", ev->u.sysreg.limit); /* 0 but for gdtr and idtr */
        set_int(L, "eip", ev->u.sysreg.eip);
        break;
    default:
        break;
    }
}

/* ---- vlab.boot and the machine's methods --------------------------------------- */

static struct machine *check_machine(lua_State *L, int idx)
{
    struct machine *m = luaL_checkudata(L, idx, MACHINE_MT);
    if (!m->vm)
        luaL_error(L, "the machine was destroyed");
    return m;
}

/* The machine a method was called on: a machine of vlab.boot, or a view of
 * one (vlab_push_machine_view); *view says which. */
static struct vm *check_vm(lua_State *L, int idx, bool *view)
{
    struct vm **slot = luaL_testudata(L, idx, VIEW_MT);
    *view = slot != NULL;
    if (!slot)
        return check_machine(L, idx)->vm;
    if (!*slot)
        luaL_error(L, "the machine view is not attached to a machine (used outside its call?)");
    return *slot;
}

static struct cpu *check_cpu(lua_State *L, int idx)
{
    bool view;
    return &check_vm(L, idx, &view)->cpu;
}

static int machine_gc(lua_State *L)
{
    struct machine *m = luaL_checkudata(L, 1, MACHINE_MT);
    if (m->vm) {
        vm_destroy(m->vm);
        free(m->vm);
        m->vm = NULL;
    }
    if (m->console) {
        fclose(m->console);
        m->console = NULL;
    }
    free(m->console_buf);
    m->console_buf = NULL;
    return 0;
}

/* A path relative to the repository root (see grade_root()). A path in
 * build/ names the build folder in use: $VLAB_BUILD when set (the suite
 * under the sanitizers builds into build-san/), so that tests can say
 * "build/guests/kernel.elf" whatever the build. */
static void push_rooted(lua_State *L, const char *path)
{
    const char *build = getenv("VLAB_BUILD");
    if (path[0] == '/')
        lua_pushstring(L, path);
    else if (build && *build && strncmp(path, "build/", 6) == 0)
        lua_pushfstring(L, "%s/%s/%s", grade_root(), build, path + 6);
    else
        lua_pushfstring(L, "%s/%s", grade_root(), path);
}

/* vlab.boot{image=, mem="32M", cmdline=, modules={"FILE ARGS", ...}, input=} */
static int l_boot(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_getfield(L, 1, "image");
    const char *image = luaL_checkstring(L, -1);
    push_rooted(L, image);
    const char *path = lua_tostring(L, -1);
    lua_getfield(L, 1, "mem");
    uint64_t ram = 32u << 20;
    if (!lua_isnil(L, -1)) {
        const char *s = luaL_checkstring(L, -1);
        char *end;
        unsigned long long v = strtoull(s, &end, 0);
        unsigned shift = *end == 'K' ? 10 : *end == 'M' ? 20 : *end == 'G' ? 30 : 0;
        if (shift)
            end++;
        if (*end || v == 0)
            return luaL_error(L, "vlab.boot: mem wants a size like \"32M\", not '%s'", s);
        ram = (uint64_t)v << shift;
    }
    lua_pop(L, 1);
    lua_getfield(L, 1, "cmdline");
    const char *cmdline = lua_tostring(L, -1);
    const char *modules[VM_MAX_MODULES];
    unsigned nmodules = 0;
    lua_getfield(L, 1, "modules");
    if (lua_istable(L, -1)) {
        int mods = lua_gettop(L);
        for (lua_Integer k = 1; k <= (lua_Integer)luaL_len(L, mods); k++) {
            if (nmodules == VM_MAX_MODULES)
                return luaL_error(L, "vlab.boot: at most %d modules", VM_MAX_MODULES);
            lua_geti(L, mods, k);
            push_rooted(L, luaL_checkstring(L, -1));
            modules[nmodules++] = lua_tostring(L, -1); /* kept alive on the stack */
        }
    }

    struct machine *m = lua_newuserdatauv(L, sizeof(*m), 0);
    memset(m, 0, sizeof(*m));
    m->want_kind = -1;
    luaL_setmetatable(L, MACHINE_MT);
    m->console = open_memstream(&m->console_buf, &m->console_len);
    m->vm = calloc(1, sizeof(*m->vm));
    if (!m->console || !m->vm || vm_init(m->vm, ram, m->console) != 0) {
        free(m->vm);
        m->vm = NULL;
        return luaL_error(L, "vlab.boot: cannot create a machine with %d MiB of RAM", (int)(ram >> 20));
    }
    char err[512];
    if (vm_load_file(m->vm, path, cmdline, modules, nmodules, err, sizeof(err)) != 0)
        return luaL_error(L, "vlab.boot: %s", err);
    trace_subscribe(&m->vm->trace, TRACE_ALL, on_event, m);
    return 1;
}

static const char *const stop_names[] = {
    [VM_STOP_EXIT] = "exit",
    [VM_STOP_BUDGET] = "budget",
    [VM_STOP_HALTED] = "halted",
    [VM_STOP_TRIPLE_FAULT] = "triple_fault",
};

/* m:run{insns=N} -> "exit" | "budget" | "halted" | "triple_fault" */
static int m_run(lua_State *L)
{
    struct machine *m = check_machine(L, 1);
    uint64_t n = lua_istable(L, 2) ? (uint64_t)opt_int_field(L, 2, "insns", 0) : 0;
    n = capped(n ? n : 1000000000ull);
    lua_pushstring(L, stop_names[vm_run(m->vm, n)]);
    return 1;
}

static const char *console_text(struct machine *m)
{
    fflush(m->console);
    return m->console_buf ? m->console_buf : "";
}

/* Has `text` appeared in the console since run_until started looking? */
static bool console_shows(struct machine *m, const char *text)
{
    if (!m->console_dirty)
        return false;
    m->console_dirty = false;
    const char *all = console_text(m);
    size_t tail = strlen(text) - 1; /* a match may straddle what was checked */
    size_t from = m->console_checked > tail ? m->console_checked - tail : 0;
    m->console_checked = m->console_len;
    return strstr(all + from, text) != NULL;
}

/* m:run_until{event={kind=, vector=}, console="text", halt=true, insns=N}
 *   -> "event" | "console" | "halt" | "exit" | "budget" | "halted" | "triple_fault"
 * One instruction at a time, so the machine stops right after the
 * instruction (or the delivery) that produced the event or the text;
 * halt=true stops after the first HLT (once an interrupt woke the CPU, if
 * one did: vm_run() waits inside the call). */
static int m_run_until(lua_State *L)
{
    struct machine *m = check_machine(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    uint64_t budget = capped((uint64_t)opt_int_field(L, 2, "insns", 0));
    if (!budget)
        budget = 1000000000ull;
    m->want_kind = -1;
    lua_getfield(L, 2, "event");
    if (lua_istable(L, -1)) {
        m->want_kind = kind_of(L, lua_gettop(L), "kind");
        m->want_vector = (int)opt_int_field(L, lua_gettop(L), "vector", -1);
    }
    lua_getfield(L, 2, "console");
    const char *text = lua_tostring(L, -1);
    if (text && !*text)
        text = NULL;
    lua_getfield(L, 2, "halt");
    bool halt = lua_toboolean(L, -1);
    m->seen = false;
    m->console_dirty = true;
    m->console_checked = 0;
    const char *why = NULL;
    uint64_t start = m->vm->cpu.icount;
    bool watch = m->want_kind >= 0 || text || halt;
    while (!why) {
        uint64_t left = budget - (m->vm->cpu.icount - start), idle = m->vm->idle_ns;
        enum vm_stop s = vm_run(m->vm, watch ? 1 : left);
        if (m->seen)
            why = "event";
        else if (text && console_shows(m, text))
            why = "console";
        else if (halt && (s == VM_STOP_HALTED || m->vm->halted || m->vm->idle_ns != idle))
            why = "halt";
        else if (s != VM_STOP_BUDGET || m->vm->cpu.icount - start >= budget)
            why = stop_names[s];
    }
    m->want_kind = -1;
    lua_pushstring(L, why);
    return 1;
}

struct reg_name {
    const char *name;
    uint32_t *(*at)(struct cpu *cpu, unsigned arg);
    unsigned arg;
};

static uint32_t *gpr_at(struct cpu *cpu, unsigned r) { return &cpu->r[r]; }
static uint32_t *eip_at(struct cpu *cpu, unsigned r) { (void)r; return &cpu->eip; }

static const struct reg_name reg_names[] = {
    { "eax", gpr_at, R_EAX }, { "ecx", gpr_at, R_ECX }, { "edx", gpr_at, R_EDX },
    { "ebx", gpr_at, R_EBX }, { "esp", gpr_at, R_ESP }, { "ebp", gpr_at, R_EBP },
    { "esi", gpr_at, R_ESI }, { "edi", gpr_at, R_EDI }, { "eip", eip_at, 0 },
};

static uint32_t *find_reg(lua_State *L, struct cpu *cpu, const char *name)
{
    for (size_t k = 0; k < VLAB_ARRAY_SIZE(reg_names); k++)
        if (!strcmp(reg_names[k].name, name))
            return reg_names[k].at(cpu, reg_names[k].arg);
    luaL_error(L, "unknown register '%s' (eax ... edi, eip; segments: cs ... gs)", name);
    return NULL;
}

/* The selector of a segment register, or -1. */
static int find_sreg(struct cpu *cpu, const char *name)
{
    for (unsigned k = 0; k < 6; k++)
        if (!strcmp(cpu_sreg_names[k], name))
            return cpu->seg[k].sel;
    return -1;
}

static void push_reg(lua_State *L, struct cpu *cpu, const char *name)
{
    int sel = find_sreg(cpu, name);
    if (sel >= 0)
        lua_pushinteger(L, sel);
    else
        lua_pushinteger(L, *find_reg(L, cpu, name));
}

static int m_reg(lua_State *L)
{
    push_reg(L, check_cpu(L, 1), luaL_checkstring(L, 2));
    return 1;
}

static int m_set_reg(lua_State *L)
{
    struct machine *m = check_machine(L, 1);
    *find_reg(L, &m->vm->cpu, luaL_checkstring(L, 2)) = (uint32_t)luaL_checkinteger(L, 3);
    return 0;
}

static int m_eflags(lua_State *L)
{
    lua_pushinteger(L, cpu_eflags(check_cpu(L, 1)));
    return 1;
}

static int m_cr(lua_State *L)
{
    struct cpu *cpu = check_cpu(L, 1);
    lua_Integer n = luaL_checkinteger(L, 2);
    const uint32_t crs[5] = { cpu->cr0, 0, cpu->cr2, cpu->cr3, cpu->cr4 };
    luaL_argcheck(L, n >= 0 && n <= 4 && n != 1, 2, "CR0, CR2, CR3 or CR4");
    lua_pushinteger(L, crs[n]);
    return 1;
}

static int m_cpl(lua_State *L)
{
    lua_pushinteger(L, check_cpu(L, 1)->cpl);
    return 1;
}

/* The physical address of `addr` in space "phys" or "lin" (translated with
 * the CPU's paging state, setting accessed and dirty bits as the hardware
 * would; CPL 0 rights); raises a Lua error when it does not translate.
 * Through a view (`quiet`) the translation leaves no trace: the entries the
 * walk read are written back as they were, so that looking at a machine
 * does not change how it runs. */
static gpa_t to_phys(lua_State *L, struct vm *vm, uint32_t addr, const char *space, bool write,
                     bool quiet)
{
    if (!strcmp(space, "phys"))
        return addr;
    if (strcmp(space, "lin") != 0)
        luaL_error(L, "address space '%s': \"phys\" or \"lin\"", space);
    struct cpu *cpu = &vm->cpu;
    if (!(cpu->cr0 & CR0_PG))
        return addr;
    struct mmu_walk w;
    bool ok = mmu_walk(&vm->mem, cpu->cr0, cpu->cr3, cpu->cr4, addr, write ? MMU_WRITE : 0, &w);
    for (unsigned k = 0; quiet && k < w.nsteps && k < 2; k++)
        physmem_write(&vm->mem, w.step[k].table + w.step[k].index * 4, &w.step[k].entry, 4);
    if (!ok)
        luaL_error(L, "linear address 0x%08x is not mapped (#PF error 0x%x)", (unsigned)addr,
                   (unsigned)w.error);
    return w.pa;
}

/* Copy guest memory byte by byte page-wise (a linear range may cross pages). */
static int m_read(lua_State *L)
{
    bool view;
    struct vm *vm = check_vm(L, 1, &view);
    uint32_t addr = (uint32_t)luaL_checkinteger(L, 2);
    lua_Integer len = luaL_checkinteger(L, 3);
    const char *space = luaL_optstring(L, 4, "phys");
    luaL_argcheck(L, len >= 0 && len <= (64 << 20), 3, "a length up to 64 MiB");
    luaL_Buffer b;
    char *out = luaL_buffinitsize(L, &b, (size_t)len);
    for (lua_Integer done = 0; done < len;) {
        uint32_t a = addr + (uint32_t)done;
        size_t chunk = 4096 - (a & 4095);
        if (chunk > (size_t)(len - done))
            chunk = (size_t)(len - done);
        if (physmem_read(&vm->mem, to_phys(L, vm, a, space, false, view), out + done, chunk) != 0)
            return luaL_error(L, "address 0x%08x is not RAM", (unsigned)a);
        done += (lua_Integer)chunk;
    }
    luaL_pushresultsize(&b, (size_t)len);
    return 1;
}

static int m_write(lua_State *L)
{
    struct machine *m = check_machine(L, 1);
    uint32_t addr = (uint32_t)luaL_checkinteger(L, 2);
    size_t len;
    const char *data = luaL_checklstring(L, 3, &len);
    const char *space = luaL_optstring(L, 4, "phys");
    for (size_t done = 0; done < len;) {
        uint32_t a = addr + (uint32_t)done;
        size_t chunk = 4096 - (a & 4095);
        if (chunk > len - done)
            chunk = len - done;
        if (physmem_write(&m->vm->mem, to_phys(L, m->vm, a, space, true, false), data + done, chunk) != 0)
            return luaL_error(L, "address 0x%08x is not RAM", (unsigned)a);
        done += chunk;
    }
    return 0;
}

static int m_read32(lua_State *L)
{
    lua_settop(L, 3);
    lua_pushinteger(L, 4);
    lua_insert(L, 3);
    m_read(L);
    const uint8_t *p = (const uint8_t *)lua_tostring(L, -1);
    lua_pushinteger(L, p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24);
    return 1;
}

static int m_console(lua_State *L)
{
    struct machine *m = check_machine(L, 1);
    const char *text = console_text(m);
    lua_pushlstring(L, text, m->console_len);
    return 1;
}

static int m_exit_status(lua_State *L)
{
    lua_pushinteger(L, check_machine(L, 1)->vm->exit_status);
    return 1;
}

/* Arguments of trace_count/first/last: {kind=, vector=}. */
static void event_filter(lua_State *L, int *kind, int *which, int *vector)
{
    luaL_checktype(L, 2, LUA_TTABLE);
    *kind = kind_of(L, 2, "kind");
    if (*kind < 0)
        luaL_error(L, "a kind is needed: {kind=\"exception\", vector=14}");
    *vector = (int)opt_int_field(L, 2, "vector", -1);
    *which = *kind == TRACE_INTERRUPT;
    if (*vector >= 0 && *kind != TRACE_EXCEPTION && *kind != TRACE_INTERRUPT)
        luaL_error(L, "only exception and interrupt events have a vector");
    if (*vector > 255)
        luaL_error(L, "vector %d is out of range", *vector);
}

static int m_trace_count(lua_State *L)
{
    struct machine *m = check_machine(L, 1);
    int kind, which, vector;
    event_filter(L, &kind, &which, &vector);
    lua_pushinteger(L, (lua_Integer)(vector >= 0 ? m->vec_count[which][vector] : m->count[kind]));
    return 1;
}

static int trace_pick(lua_State *L, bool last)
{
    struct machine *m = check_machine(L, 1);
    int kind, which, vector;
    event_filter(L, &kind, &which, &vector);
    uint64_t n = vector >= 0 ? m->vec_count[which][vector] : m->count[kind];
    if (!n) {
        lua_pushnil(L);
        return 1;
    }
    if (vector >= 0)
        vlab_push_event(L, last ? &m->vec_last[which][vector] : &m->vec_first[which][vector]);
    else
        vlab_push_event(L, last ? &m->last[kind] : &m->first[kind]);
    return 1;
}

static int m_trace_last(lua_State *L) { return trace_pick(L, true); }
static int m_trace_first(lua_State *L) { return trace_pick(L, false); }

/* m:recent() -> the last (up to 5) events as lines of text, oldest first. */
static int m_recent(lua_State *L)
{
    struct machine *m = check_machine(L, 1);
    uint64_t n = m->nrecent < RECENT ? m->nrecent : RECENT;
    lua_createtable(L, (int)n, 0);
    for (uint64_t k = 0; k < n; k++) {
        char text[512];
        trace_format_text(&m->recent[(m->nrecent - n + k) % RECENT], text, sizeof(text));
        lua_pushstring(L, text);
        lua_rawseti(L, -2, (lua_Integer)k + 1);
    }
    return 1;
}

static void set_vector_counts(lua_State *L, const char *field, const uint64_t *v, unsigned n)
{
    lua_createtable(L, 0, 4);
    for (unsigned k = 0; k < n; k++)
        if (v[k]) {
            lua_pushinteger(L, (lua_Integer)v[k]);
            lua_rawseti(L, -2, k);
        }
    lua_setfield(L, -2, field);
}

static int m_stats(lua_State *L)
{
    bool view;
    struct vm *vm = check_vm(L, 1, &view);
    const struct trace_stats *s = &vm->trace.stats;
    lua_createtable(L, 0, 21);
    set_int(L, "insns", (lua_Integer)vm->cpu.icount);
    set_int(L, "cycles", (lua_Integer)trace_cycles(&vm->cpu));
    set_int(L, "now_ns", (lua_Integer)vm_now_ns(vm));
    lua_createtable(L, 0, TRACE_KIND_COUNT);
    for (unsigned k = 0; k < TRACE_KIND_COUNT; k++)
        set_int(L, trace_kind_name(k), (lua_Integer)s->events[k]);
    lua_setfield(L, -2, "events");
    set_vector_counts(L, "exceptions", s->exceptions, 32);
    set_vector_counts(L, "soft_ints", s->soft_ints, 256);
    set_vector_counts(L, "interrupts", s->interrupts, 256);
    set_int(L, "walks_ok", (lua_Integer)(s->walks[TRACE_WALK_OK][0] + s->walks[TRACE_WALK_OK][1] +
                                         s->walks[TRACE_WALK_OK][2]));
    set_int(L, "walks_fault", (lua_Integer)(s->walks[TRACE_WALK_FAULT][0] + s->walks[TRACE_WALK_FAULT][1] +
                                            s->walks[TRACE_WALK_FAULT][2]));
    set_int(L, "walk_steps", (lua_Integer)s->walk_steps);
    set_int(L, "tlb_flushes_full", (lua_Integer)s->tlb_flushes_full);
    set_int(L, "tlb_flushes_page", (lua_Integer)s->tlb_flushes_page);
    set_int(L, "mmio_reads", (lua_Integer)s->mmio_reads);
    set_int(L, "mmio_writes", (lua_Integer)s->mmio_writes);
    lua_createtable(L, 0, 4);
    for (unsigned f = 0; f < 4; f++)
        for (unsigned t = 0; t < 4; t++)
            if (s->rings[f][t]) {
                char key[8];
                snprintf(key, sizeof(key), "%u->%u", f, t);
                set_int(L, key, (lua_Integer)s->rings[f][t]);
            }
    lua_setfield(L, -2, "rings");
    lua_createtable(L, 0, TRACE_PIO_RANGE_COUNT);
    for (unsigned k = 0; k < TRACE_PIO_RANGE_COUNT; k++)
        set_int(L, trace_pio_range_name(k) ? trace_pio_range_name(k) : "other", (lua_Integer)s->pio[k]);
    lua_setfield(L, -2, "pio");
    lua_createtable(L, 0, TRACE_SYSREG_COUNT);
    for (unsigned k = 0; k < TRACE_SYSREG_COUNT; k++)
        set_int(L, trace_sysreg_name(k), (lua_Integer)s->sysregs[k]);
    lua_setfield(L, -2, "sysregs");
    return 1;
}

static const luaL_Reg machine_methods[] = {
    { "run", m_run }, { "run_until", m_run_until }, { "reg", m_reg }, { "set_reg", m_set_reg },
    { "eflags", m_eflags }, { "cr", m_cr }, { "cpl", m_cpl }, { "read", m_read },
    { "write", m_write }, { "read32", m_read32 }, { "console", m_console },
    { "exit_status", m_exit_status }, { "trace_count", m_trace_count },
    { "trace_last", m_trace_last }, { "trace_first", m_trace_first }, { "recent", m_recent },
    { "stats", m_stats }, { NULL, NULL },
};

/* What a view offers: looking, never changing or running. */
static const luaL_Reg view_methods[] = {
    { "reg", m_reg }, { "eflags", m_eflags }, { "cr", m_cr }, { "cpl", m_cpl },
    { "read", m_read }, { "read32", m_read32 }, { "stats", m_stats }, { NULL, NULL },
};

struct vm **vlab_push_machine_view(lua_State *L)
{
    struct vm **slot = lua_newuserdatauv(L, sizeof(*slot), 0);
    *slot = NULL;
    if (luaL_newmetatable(L, VIEW_MT)) {
        luaL_newlib(L, view_methods);
        lua_setfield(L, -2, "__index");
        lua_pushliteral(L, "the machine view is read-only");
        lua_setfield(L, -2, "__metatable");
    }
    lua_setmetatable(L, -2);
    return slot;
}

/* ---- Unit-level calls ----------------------------------------------------------- */

/* Access words: "read", "write", "user", "fetch", combinable as "user,write". */
static unsigned parse_access(lua_State *L, const char *s)
{
    unsigned a = 0;
    if (strstr(s, "write"))
        a |= MMU_WRITE;
    if (strstr(s, "user"))
        a |= MMU_USER;
    if (strstr(s, "fetch"))
        a |= MMU_FETCH;
    if (!a && !strstr(s, "read"))
        luaL_error(L, "access '%s': read, write, user, fetch (e.g. \"user,write\")", s);
    return a;
}

/* vlab.walk{cr3=, cr0=, cr4=, lin=, access=, memory=machine | {[pa]=word, ...}} */
static int l_walk(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    uint32_t cr0 = (uint32_t)opt_int_field(L, 1, "cr0", CR0_PE | CR0_PG);
    uint32_t cr3 = (uint32_t)opt_int_field(L, 1, "cr3", 0);
    uint32_t cr4 = (uint32_t)opt_int_field(L, 1, "cr4", 0);
    uint32_t lin = (uint32_t)opt_int_field(L, 1, "lin", 0);
    lua_getfield(L, 1, "access");
    unsigned access = parse_access(L, luaL_optstring(L, -1, "read"));
    lua_getfield(L, 1, "memory");
    struct machine *m = luaL_testudata(L, -1, MACHINE_MT);
    struct mmu_walk w;
    if (m && m->vm) {
        mmu_walk(&m->vm->mem, cr0, cr3, cr4, lin, access, &w);
    } else {
        luaL_checktype(L, -1, LUA_TTABLE);
        struct physmem pm;
        if (physmem_init(&pm, 16u << 20) != 0)
            return luaL_error(L, "vlab.walk: out of memory");
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            uint32_t pa = (uint32_t)lua_tointeger(L, -2), v = (uint32_t)lua_tointeger(L, -1);
            if (physmem_write(&pm, pa, &v, 4) != 0) {
                physmem_destroy(&pm);
                return luaL_error(L, "vlab.walk: 0x%08x is outside the 16 MiB of RAM", (unsigned)pa);
            }
            lua_pop(L, 1);
        }
        mmu_walk(&pm, cr0, cr3, cr4, lin, access, &w);
        physmem_destroy(&pm);
    }
    push_walk(L, &w);
    return 1;
}

/* vlab.decode(bytes) -> {len=, mnemonic=, text=} or nil, "ud" | "too_long" | "short" */
static int l_decode(lua_State *L)
{
    size_t len;
    const char *bytes = luaL_checklstring(L, 1, &len);
    uint32_t eip = (uint32_t)luaL_optinteger(L, 2, 0);
    struct insn in;
    int st = insn_decode(&in, (const uint8_t *)bytes, len, true);
    if (st != DECODE_OK) {
        lua_pushnil(L);
        lua_pushstring(L, st == DECODE_UD ? "ud" : st == DECODE_TOO_LONG ? "too_long" : "short");
        return 2;
    }
    char text[128];
    insn_disasm(&in, eip, text, sizeof(text));
    lua_createtable(L, 0, 4);
    set_int(L, "len", in.len);
    set_str(L, "mnemonic", mnem_names[in.d.mnem]);
    set_str(L, "text", text);
    set_int(L, "osize", in.osize);
    return 1;
}

/* vlab.disasm(bytes [, eip]) -> the text of every instruction, one a line */
static int l_disasm(lua_State *L)
{
    size_t len;
    const uint8_t *bytes = (const uint8_t *)luaL_checklstring(L, 1, &len);
    uint32_t eip = (uint32_t)luaL_optinteger(L, 2, 0);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (size_t at = 0; at < len;) {
        struct insn in;
        char text[128];
        if (insn_decode(&in, bytes + at, len - at, true) != DECODE_OK) {
            luaL_addstring(&b, "(bad)\n");
            break;
        }
        insn_disasm(&in, eip + (uint32_t)at, text, sizeof(text));
        luaL_addstring(&b, text);
        luaL_addchar(&b, '\n');
        at += in.len;
    }
    luaL_pushresult(&b);
    return 1;
}

#define EXEC_RAM (4u << 20)
#define EXEC_CODE 0x1000u
#define EXEC_STACK 0x9000u

static void push_cpu_state(lua_State *L, struct cpu *cpu, enum cpu_exit why)
{
    lua_createtable(L, 0, 16);
    for (size_t k = 0; k < VLAB_ARRAY_SIZE(reg_names); k++)
        set_int(L, reg_names[k].name, *reg_names[k].at(cpu, reg_names[k].arg));
    set_int(L, "eflags", cpu_eflags(cpu));
    set_int(L, "cpl", cpu->cpl);
    set_str(L, "exit", why == CPU_EXIT_EXCEPTION ? "exception" : why == CPU_EXIT_HLT ? "hlt" : "done");
    if (why == CPU_EXIT_EXCEPTION) {
        lua_createtable(L, 0, 4);
        set_int(L, "vector", cpu->exc.vector);
        set_bool(L, "has_error", cpu->exc.has_error);
        set_int(L, "error", cpu->exc.error);
        set_int(L, "cr2", cpu->exc.cr2);
        lua_setfield(L, -2, "exception");
    }
}

/* Set the registers named in the table at `idx`. */
static void set_regs(lua_State *L, int idx, struct cpu *cpu)
{
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        const char *name = luaL_checkstring(L, -2);
        uint32_t v = (uint32_t)luaL_checkinteger(L, -1);
        if (!strcmp(name, "eflags"))
            cpu_set_eflags(cpu, v);
        else
            *find_reg(L, cpu, name) = v;
        lua_pop(L, 1);
    }
}

struct exec_machine {
    struct physmem mem;
    struct bus bus;
    struct cpu cpu;
};

static int exec_gc(lua_State *L)
{
    struct exec_machine *x = lua_touserdata(L, 1);
    if (x->mem.chunks) {
        cpu_destroy(&x->cpu);
        physmem_destroy(&x->mem);
        x->mem.chunks = NULL;
    }
    return 0;
}

/* vlab.exec{code=bytes, regs={...}, cpl=0|3, insns=N}: run the bytes at
 * 0x1000 (ESP 0x9000, paging off, flat segments) until EIP leaves them, an
 * exception or HLT. */
static int l_exec(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_getfield(L, 1, "code");
    size_t len;
    const char *code = luaL_checklstring(L, -1, &len);
    unsigned cpl = (unsigned)opt_int_field(L, 1, "cpl", 0);
    uint64_t max = capped((uint64_t)opt_int_field(L, 1, "insns", 100000));
    luaL_argcheck(L, cpl == 0 || cpl == 3, 1, "cpl is 0 or 3");
    luaL_argcheck(L, len > 0 && len < EXEC_STACK - EXEC_CODE, 1, "code of 1 to 32 KiB");

    struct exec_machine *x = lua_newuserdatauv(L, sizeof(*x), 0);
    memset(x, 0, sizeof(*x));
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, exec_gc);
    lua_setfield(L, -2, "__gc");
    lua_setmetatable(L, -2);
    if (physmem_init(&x->mem, EXEC_RAM) != 0)
        return luaL_error(L, "vlab.exec: out of memory");
    bus_init(&x->bus);
    if (cpu_init(&x->cpu, &x->mem, &x->bus) != 0) {
        physmem_destroy(&x->mem);
        x->mem.chunks = NULL;
        return luaL_error(L, "vlab.exec: out of memory");
    }
    struct cpu *cpu = &x->cpu;
    cpu_set_flat(cpu, cpl);
    cpu->r[R_ESP] = EXEC_STACK;
    cpu->eip = EXEC_CODE;
    physmem_write(&x->mem, EXEC_CODE, code, len);
    lua_getfield(L, 1, "regs");
    if (lua_istable(L, -1))
        set_regs(L, lua_gettop(L), cpu);
    enum cpu_exit why = CPU_EXIT_BUDGET;
    for (uint64_t k = 0; k < max && cpu->eip >= EXEC_CODE && cpu->eip < EXEC_CODE + len; k++) {
        why = cpu_step(cpu);
        if (why != CPU_EXIT_BUDGET)
            break;
    }
    push_cpu_state(L, cpu, why);
    return 1;
}

static const luaL_Reg vlab_functions[] = {
    { "boot", l_boot }, { "walk", l_walk }, { "decode", l_decode }, { "disasm", l_disasm },
    { "exec", l_exec }, { NULL, NULL },
};

int vlab_open(lua_State *L)
{
    luaL_newmetatable(L, MACHINE_MT);
    lua_pushcfunction(L, machine_gc);
    lua_setfield(L, -2, "__gc");
    luaL_newlib(L, machine_methods);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
    luaL_newlib(L, vlab_functions);
    lua_pushvalue(L, -1);
    lua_setglobal(L, "vlab");
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_pushvalue(L, -2);
    lua_setfield(L, -2, "vlab");
    lua_pop(L, 2);
    return 0;
}

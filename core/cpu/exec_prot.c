/* Protection checks software can ask for: LAR, LSL, VERR, VERW and ARPL
 * (SDM Vol. 2, one page each; Vol. 3, 5.10.3 "Checking Caller Access
 * Privileges").
 *
 * A kernel receives selectors from less privileged code (a pointer argument
 * of a system call, say) and must not use them with its own privilege.
 * These instructions let it check first: they report in ZF and never fault
 * on a bad selector. None of them is privileged, so all of them work at
 * CPL 3, and all of them are sensitive: they reveal the real CPL and the
 * descriptor tables (lab 2).
 */
#include <assert.h>

#include "cpu_internal.h"
#include "desc.h"

static void require_prot_mode(struct cpu *cpu)
{
    if (cpu->mode != CPU_MODE_PROT)
        cpu_ud(cpu);
}

static void set_zf(struct cpu *cpu, bool zf)
{
    flags_set(cpu, EFLAGS_ZF, zf ? EFLAGS_ZF : 0);
}

/* Read the descriptor `sel` names: false for a null selector or one outside
 * its table (which these instructions report with ZF = 0 instead of a
 * fault). Reading the table may still page-fault. */
static bool fetch_desc(struct cpu *cpu, uint16_t sel, uint32_t desc[2])
{
    return !sel_is_null(sel) && seg_read_desc(cpu, sel, desc);
}

/* May code at CPL, holding a selector with this RPL, see the descriptor?
 * DPL >= CPL and DPL >= RPL, except that conforming code is visible from
 * every level. */
static bool visible(const struct cpu *cpu, uint16_t sel, const uint32_t desc[2])
{
    if (desc_is_code(desc) && desc_conforming(desc))
        return true;
    return desc_dpl(desc) >= cpu->cpl && desc_dpl(desc) >= sel_rpl(sel);
}

/* System descriptor types (S = 0) LAR and LSL accept, one bit per type
 * (SDM Vol. 2, the tables under LAR and LSL); every code and data
 * descriptor is accepted by both.
 *   LAR: 16-bit TSS (1, 3), LDT (2), call gates (4, C), task gate (5), 32-bit TSS (9, B)
 *   LSL: the descriptors that have a limit: TSS (1, 3, 9, B) and LDT (2) */
#define T(n) (1u << (n))
static const uint16_t sys_types_ok[2] = {
    [0] = T(1) | T(2) | T(3) | T(4) | T(5) | T(9) | T(0xb) | T(0xc),
    [1] = T(1) | T(2) | T(3) | T(9) | T(0xb),
};
#undef T

static bool larlsl_type_ok(unsigned arg, const uint32_t desc[2])
{
    return desc_is_seg(desc) || ((sys_types_ok[arg] >> desc_type(desc)) & 1);
}

/* LAR masks the descriptor's high dword with 00FxFF00H: type, S, DPL, P,
 * limit 19:16 ("x": the SDM leaves them undefined; processors return them),
 * AVL, D/B, G. With a 16-bit operand only the FF00H part. */
static uint32_t lar_value(const uint32_t desc[2], unsigned size)
{
    return desc[1] & (size == 2 ? 0x0000ff00u : 0x00ffff00u);
}

/* LSL: the limit in bytes (scaled by G), as a segment cache holds it. */
static uint32_t lsl_value(uint16_t sel, const uint32_t desc[2])
{
    struct seg s;
    seg_from_desc(&s, sel, desc);
    return s.limit;
}

/* LAR r, r/m16 (arg 0) and LSL r, r/m16 (arg 1): ZF = 1 and the register
 * written with the access rights or the byte-granular limit when the
 * descriptor is of an accepted type and visible; otherwise ZF = 0 and the
 * register unchanged. The present bit is not checked. */
void ex_LARLSL(struct cpu *cpu, const struct insn *in)
{
    assert(in->d.arg < VLAB_ARRAY_SIZE(sys_types_ok));
    require_prot_mode(cpu);
    uint16_t sel = (uint16_t)opnd_read(cpu, in, 1);
    uint32_t desc[2];
    bool ok = fetch_desc(cpu, sel, desc) && visible(cpu, sel, desc) && larlsl_type_ok(in->d.arg, desc);
    if (ok) {
        uint32_t v = in->d.arg == 0 ? lar_value(desc, in->o[0].size) : lsl_value(sel, desc);
        reg_write(cpu, in->o[0].reg, in->o[0].size, v);
    }
    set_zf(cpu, ok);
}

/* Could the segment be read (VERR) or written (VERW) through a data
 * segment register? Readable: any data segment and readable code;
 * writable: writable data. */
static bool verr_type_ok(const uint32_t desc[2])
{
    return desc_is_seg(desc) && (!desc_is_code(desc) || (desc_type(desc) & 2));
}

static bool verw_type_ok(const uint32_t desc[2])
{
    return desc_is_writable_data(desc);
}

/* VERR r/m16 (arg 0) and VERW r/m16 (arg 1): ZF = 1 when the segment is
 * readable/writable at CPL with the selector's RPL. Like LAR, the present
 * bit is not checked. */
void ex_VERRW(struct cpu *cpu, const struct insn *in)
{
    static bool (*const type_ok[2])(const uint32_t desc[2]) = { verr_type_ok, verw_type_ok };
    assert(in->d.arg < VLAB_ARRAY_SIZE(type_ok));
    require_prot_mode(cpu);
    uint16_t sel = (uint16_t)opnd_read(cpu, in, 0);
    uint32_t desc[2];
    set_zf(cpu, fetch_desc(cpu, sel, desc) && visible(cpu, sel, desc) && type_ok[in->d.arg](desc));
}

/* ARPL r/m16, r16 (63 /r): raise the destination selector's RPL to the
 * source's when it is lower (ZF = 1), else leave it (ZF = 0). A kernel uses
 * it on a selector it was given, with the caller's CS as the source, so the
 * selector cannot carry more privilege than its caller had. */
void ex_ARPL(struct cpu *cpu, const struct insn *in)
{
    require_prot_mode(cpu);
    uint32_t dst = opnd_read(cpu, in, 0);
    uint32_t src = opnd_read(cpu, in, 1);
    bool raise = (dst & 3u) < (src & 3u);
    if (raise)
        opnd_write(cpu, in, 0, (dst & ~3u) | (src & 3u));
    set_zf(cpu, raise);
}

/* Shifts and rotates: ROL ROR RCL RCR SHL/SAL SHR SAR (group 2) and the
 * double-precision shifts SHLD SHRD (SDM Vol. 2, "RCL/RCR/ROL/ROR",
 * "SAL/SAR/SHL/SHR", "SHLD", "SHRD").
 *
 * The count is masked to 5 bits. A masked count of 0 changes nothing, not
 * even the flags; a memory operand is still accessed for writing, as on
 * real hardware, which raises #PF on a read-only page whatever the count.
 * RCL and RCR rotate through CF, so on bytes and words they rotate a 9- or
 * 17-bit quantity and the count is taken modulo 9 or 17; ROL and ROR take
 * it modulo 8 or 16 (and still set CF and OF when that leaves 0).
 *
 * Flags are computed eagerly. The SDM defines OF only for a count of 1 and
 * CF only while the count is below the operand width; vlab applies the
 * SDM's count-1 formulas and its pseudo-code to every count instead of
 * leaving the values to chance:
 *
 *   ROL  CF = LSB(res)   OF = MSB(res) ^ CF
 *   ROR  CF = MSB(res)   OF = MSB(res) ^ MSB-1(res)
 *   RCL  CF = bit out    OF = MSB(res) ^ CF
 *   RCR  CF = bit out    OF = MSB(dst) ^ CF before the rotate
 *   SHL  CF = bit out    OF = MSB(res) ^ CF     (CF = 0 once count > width)
 *   SHR  CF = bit out    OF = MSB(dst)          (CF = 0 once count > width)
 *   SAR  CF = bit out    OF = 0                 (CF = sign once count >= width)
 *   SHLD/SHRD            OF = MSB(res) ^ MSB(dst): "the sign changed"
 *
 * Rotates touch only CF and OF. Shifts also set SF, ZF, PF from the result
 * and clear AF (undefined in the SDM).
 */
#include "cpu_internal.h"

/* One shift or rotate, with its operand zero-extended and a count of 1..31. */
struct shift {
    uint32_t dst;
    unsigned count;
    unsigned bits; /* operand width: 8, 16, 32 */
    uint32_t cf;   /* CF before the instruction, 0 or 1 (read for RCL, RCR) */
};

/* Computes the result; stores CF and OF (EFLAGS_* bits) in *f. */
typedef uint32_t shift_fn(const struct shift *s, uint32_t *f);

static uint32_t msb(uint32_t v, unsigned bits) { return (v >> (bits - 1)) & 1; }

static uint32_t of_if(uint32_t bit) { return bit ? EFLAGS_OF : 0; }

static uint32_t width_mask(unsigned bits) { return bits == 32 ? 0xffffffffu : (1u << bits) - 1; }

static uint32_t sh_rol(const struct shift *s, uint32_t *f)
{
    unsigned n = s->count & (s->bits - 1);
    uint32_t res = s->dst;
    if (n)
        res = ((s->dst << n) | (s->dst >> (s->bits - n))) & width_mask(s->bits);
    uint32_t cf = res & 1;
    *f = cf | of_if(msb(res, s->bits) ^ cf);
    return res;
}

static uint32_t sh_ror(const struct shift *s, uint32_t *f)
{
    unsigned n = s->count & (s->bits - 1);
    uint32_t res = s->dst;
    if (n)
        res = ((s->dst >> n) | (s->dst << (s->bits - n))) & width_mask(s->bits);
    *f = msb(res, s->bits) | of_if(msb(res, s->bits) ^ msb(res, s->bits - 1));
    return res;
}

/* RCL/RCR rotate the (bits + 1)-bit quantity CF:dst. */
static uint32_t rotate_through_carry(const struct shift *s, unsigned left_by, uint32_t *cf)
{
    unsigned width = s->bits + 1;
    uint64_t v = ((uint64_t)s->cf << s->bits) | s->dst;
    uint64_t r = ((v << left_by) | (v >> (width - left_by))) & ((1ull << width) - 1);
    *cf = (uint32_t)(r >> s->bits) & 1;
    return (uint32_t)r & width_mask(s->bits);
}

static uint32_t sh_rcl(const struct shift *s, uint32_t *f)
{
    uint32_t cf;
    uint32_t res = rotate_through_carry(s, s->count % (s->bits + 1), &cf);
    *f = cf | of_if(msb(res, s->bits) ^ cf);
    return res;
}

static uint32_t sh_rcr(const struct shift *s, uint32_t *f)
{
    unsigned width = s->bits + 1;
    uint32_t cf;
    uint32_t res = rotate_through_carry(s, (width - s->count % width) % width, &cf);
    *f = cf | of_if(msb(s->dst, s->bits) ^ s->cf);
    return res;
}

static uint32_t sh_shl(const struct shift *s, uint32_t *f)
{
    uint64_t wide = (uint64_t)s->dst << s->count;
    uint32_t res = (uint32_t)wide & width_mask(s->bits);
    uint32_t cf = (uint32_t)(wide >> s->bits) & 1;
    *f = cf | of_if(msb(res, s->bits) ^ cf);
    return res;
}

static uint32_t sh_shr(const struct shift *s, uint32_t *f)
{
    *f = ((s->dst >> (s->count - 1)) & 1) | of_if(msb(s->dst, s->bits));
    return s->dst >> s->count;
}

static uint32_t sh_sar(const struct shift *s, uint32_t *f)
{
    int32_t v = (int32_t)sext(s->dst, s->bits / 8);
    *f = (uint32_t)(v >> (s->count - 1)) & 1;
    return (uint32_t)(v >> s->count) & width_mask(s->bits);
}

/* Group 2, indexed by ModRM.reg (SH_*): the operation, the flags it
 * writes, and whether it reads CF. */
static const struct shift_op {
    shift_fn *fn;
    uint32_t flags;
    bool reads_cf;
} shift_ops[8] = {
    [SH_ROL] = { sh_rol, EFLAGS_CF | EFLAGS_OF, false },
    [SH_ROR] = { sh_ror, EFLAGS_CF | EFLAGS_OF, false },
    [SH_RCL] = { sh_rcl, EFLAGS_CF | EFLAGS_OF, true },
    [SH_RCR] = { sh_rcr, EFLAGS_CF | EFLAGS_OF, true },
    [SH_SHL] = { sh_shl, EFLAGS_ARITH, false },
    [SH_SHR] = { sh_shr, EFLAGS_ARITH, false },
    [SH_SAL] = { sh_shl, EFLAGS_ARITH, false },
    [SH_SAR] = { sh_sar, EFLAGS_ARITH, false },
};

/* SF, ZF and PF of a shift's result (AF = 0). */
static uint32_t szp(uint32_t res, unsigned bits)
{
    return parity_flag(res) | (res ? 0 : EFLAGS_ZF) | (msb(res, bits) ? EFLAGS_SF : 0);
}

/* Group 2: ROL ROR RCL RCR SHL SHR SAL SAR Eb/Ev by 1, CL or Ib. */
void ex_SHIFT(struct cpu *cpu, const struct insn *in)
{
    unsigned count = opnd_read(cpu, in, 1) & 0x1f;
    uint32_t dst = opnd_read_rmw(cpu, in, 0);
    if (count == 0)
        return; /* nothing written, but the destination was checked as for a write */
    const struct shift_op *op = &shift_ops[in->d.arg];
    struct shift s = { dst, count, in->o[0].size * 8u, op->reads_cf ? flag_cf(cpu) : 0 };
    uint32_t f;
    uint32_t res = op->fn(&s, &f);
    opnd_write(cpu, in, 0, res);
    if (op->flags == EFLAGS_ARITH)
        f |= szp(res, s.bits);
    flags_set(cpu, op->flags, f);
}

/* SHLD on 16 bits. Counts of 17..31 are undefined in the SDM; vlab does
 * what the AMD processors it is checked against do: bits keep coming in
 * from src, as if shifting the 48-bit dst:src:src. CF is the last bit out. */
static uint32_t shld16(uint32_t dst, uint32_t src, unsigned n, uint32_t *cf)
{
    uint64_t v = ((uint64_t)dst << 32) | (src << 16) | src;
    *cf = (uint32_t)(v >> (48 - n)) & 1;
    return (uint32_t)(v >> (32 - n)) & 0xffff;
}

/* SHRD on 16 bits, likewise shifting src:src:dst right for counts > 16. */
static uint32_t shrd16(uint32_t dst, uint32_t src, unsigned n, uint32_t *cf)
{
    uint64_t v = ((uint64_t)src << 32) | (src << 16) | dst;
    *cf = (uint32_t)(v >> (n - 1)) & 1;
    return (uint32_t)(v >> n) & 0xffff;
}

static uint32_t shld32(uint32_t dst, uint32_t src, unsigned n, uint32_t *cf)
{
    *cf = (dst >> (32 - n)) & 1;
    return (dst << n) | (src >> (32 - n));
}

static uint32_t shrd32(uint32_t dst, uint32_t src, unsigned n, uint32_t *cf)
{
    *cf = (dst >> (n - 1)) & 1;
    return (dst >> n) | (src << (32 - n));
}

/* Indexed by [SHRD?][32-bit?]. */
typedef uint32_t shxd_fn(uint32_t dst, uint32_t src, unsigned n, uint32_t *cf);
static shxd_fn *const shxd_ops[2][2] = { { shld16, shld32 }, { shrd16, shrd32 } };

/* SHLD (arg 0) and SHRD (arg 1) Ev, Gv, Ib/CL: shift dst, filling the
 * vacated bits from src (which is not changed). */
void ex_SHXD(struct cpu *cpu, const struct insn *in)
{
    unsigned count = opnd_read(cpu, in, 2) & 0x1f;
    uint32_t dst = opnd_read_rmw(cpu, in, 0);
    uint32_t src = opnd_read(cpu, in, 1);
    if (count == 0)
        return; /* nothing written, but the destination was checked as for a write */
    unsigned bits = in->o[0].size * 8u;
    uint32_t cf;
    uint32_t res = shxd_ops[in->d.arg][bits == 32](dst, src, count, &cf);
    opnd_write(cpu, in, 0, res);
    flags_set(cpu, EFLAGS_ARITH, cf | of_if(msb(res ^ dst, bits)) | szp(res, bits));
}

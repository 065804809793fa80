/* The disassembler: a decoded instruction -> the text `objdump -d -M intel`
 * (GNU binutils 2.40) prints for it, without the address and byte columns.
 *
 * It reads only struct insn; the decoder ran once. The mnemonic and the
 * operands come from the table row and the decoded operands. What is left
 * are objdump's conventions, each kept in a small table or a short rule:
 *
 *   - spellings: jcc/setcc/cmovcc take their condition name (je, setb);
 *     cbw/cwde, cwd/cdq and jcxz/jecxz depend on the operand or address
 *     size; instructions whose operand size shows in no operand take a w/d
 *     suffix when a 66 prefix changes it (pushfw, retw, pushw 0x1), and
 *     LGDT and friends always do (lgdtd);
 *   - prefixes: objdump prints each prefix byte the instruction does not
 *     "use" as a word before the mnemonic (data16, addr16, cs, repz, lock).
 *     An operand that shows the operand size uses 66, one that shows an
 *     address uses 67, one that shows the segment uses the override; of
 *     several prefixes of a kind only the last one can be used. Some
 *     prefixes are renamed: rep (string moves), bnd (near branches),
 *     notrack (3E on indirect branches), xacquire/xrelease (F2/F3 on locked
 *     memory operations);
 *   - layout: the prefix words and the mnemonic are padded to 6 columns and
 *     a space, then the operands, separated by commas.
 */
#include <assert.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>

#include "cpu_internal.h"

/* ---- Text output with snprintf semantics ------------------------------- */

struct text {
    char *buf;
    size_t size;
    size_t len; /* length of the whole text, even the part that did not fit */
};

__attribute__((format(printf, 2, 3)))
static void put(struct text *t, const char *fmt, ...)
{
    bool room = t->len < t->size;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(room ? t->buf + t->len : NULL, room ? t->size - t->len : 0, fmt, ap);
    va_end(ap);
    if (n > 0)
        t->len += (size_t)n;
}

/* ---- Names --------------------------------------------------------------- */

static const char *const reg_names[3][8] = {
    { "al", "cl", "dl", "bl", "ah", "ch", "dh", "bh" },
    { "ax", "cx", "dx", "bx", "sp", "bp", "si", "di" },
    { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" },
};
static const char *const sreg_names[8] = { "es", "cs", "ss", "ds", "fs", "gs", "?", "?" };
static const char *const cond_names[16] = { "o", "no", "b", "ae", "e", "ne", "be", "a",
                                            "s", "ns", "p", "np", "l", "ge", "le", "g" };
static const char *const ea16_names[8] = { "bx+si", "bx+di", "bp+si", "bp+di", "si", "di", "bp", "bx" };
static const char *const size_keywords[9] = {
    [1] = "BYTE PTR ", [2] = "WORD PTR ", [4] = "DWORD PTR ", [6] = "FWORD PTR ", [8] = "QWORD PTR ",
};
static const char *const prefix_names[256] = {
    [0x26] = "es", [0x2e] = "cs", [0x36] = "ss", [0x3e] = "ds", [0x64] = "fs", [0x65] = "gs",
    [0xf0] = "lock", [0xf2] = "repnz", [0xf3] = "repz",
};

/* 66 and 67 are named for the size they switch to. */
static const char *prefix_name(uint8_t b, bool code32)
{
    if (b == 0x66)
        return code32 ? "data16" : "data32";
    if (b == 0x67)
        return code32 ? "addr16" : "addr32";
    return prefix_names[b];
}

static const char *reg_name(unsigned size, unsigned reg)
{
    return reg_names[size == 1 ? 0 : size == 2 ? 1 : 2][reg & 7];
}

/* ---- How objdump spells each mnemonic ----------------------------------- */

enum {
    MA_COND = 1 << 0,     /* `name` is a stem; the row's arg is the condition */
    MA_OSIZE = 1 << 1,    /* `name` at operand size 2, `name32` at 4 */
    MA_ASIZE = 1 << 2,    /* `name` at address size 2, `name32` at 4 */
    MA_SFX66 = 1 << 3,    /* w/d suffix when a 66 prefix is present: pushfw, retw */
    MA_SFX66_IMM = 1 << 4,/* the same, with an immediate, relative or segment operand */
    MA_SFX = 1 << 5,      /* w/d suffix always: lgdtd */
    MA_SV = 1 << 6,       /* the E operand is objdump's Sv: full-size register, WORD memory */
    MA_REP = 1 << 7,      /* F3 is printed as "rep" rather than "repz" */
    MA_BND = 1 << 8,      /* F2 is printed as "bnd" */
    MA_NOTRACK = 1 << 9,  /* 3E is printed as "notrack" with a register/memory target */
    MA_HLE_XCHG = 1 << 10,/* F2/F3 are xacquire/xrelease on memory, LOCK or not */
    MA_HLE_MOV = 1 << 11, /* F3 is xrelease on a memory destination (MOV) */
};

struct spelling {
    const char *name;   /* NULL: the table's name in lower case */
    const char *name32; /* with MA_OSIZE/MA_ASIZE */
    uint16_t attr;      /* MA_* */
    uint8_t mem_size;   /* size keyword of the memory operand, when not the decoded one */
};

static const struct spelling spellings[M_COUNT] = {
    [M_JCC] = { .name = "j", .attr = MA_COND | MA_BND },
    [M_SETCC] = { .name = "set", .attr = MA_COND },
    [M_CMOVCC] = { .name = "cmov", .attr = MA_COND },
    [M_CBW] = { .name = "cbw", .name32 = "cwde", .attr = MA_OSIZE },
    [M_CWD] = { .name = "cwd", .name32 = "cdq", .attr = MA_OSIZE },
    [M_JECXZ] = { .name = "jcxz", .name32 = "jecxz", .attr = MA_ASIZE },
    [M_JMPF] = { .name = "jmp" },
    [M_CALLF] = { .name = "call" },
    [M_JMP] = { .attr = MA_SFX66_IMM | MA_BND | MA_NOTRACK },
    [M_CALL] = { .attr = MA_SFX66_IMM | MA_BND | MA_NOTRACK },
    [M_RET] = { .attr = MA_SFX66 | MA_BND },
    [M_PUSH] = { .attr = MA_SFX66_IMM },
    [M_POP] = { .attr = MA_SFX66_IMM },
    [M_PUSHA] = { .attr = MA_SFX66 },
    [M_POPA] = { .attr = MA_SFX66 },
    [M_PUSHF] = { .attr = MA_SFX66 },
    [M_POPF] = { .attr = MA_SFX66 },
    [M_ENTER] = { .attr = MA_SFX66 },
    [M_LEAVE] = { .attr = MA_SFX66 },
    [M_RETF] = { .attr = MA_SFX66 },
    [M_IRET] = { .attr = MA_SFX66 },
    [M_SGDT] = { .attr = MA_SFX },
    [M_SIDT] = { .attr = MA_SFX },
    [M_LGDT] = { .attr = MA_SFX },
    [M_LIDT] = { .attr = MA_SFX },
    [M_SLDT] = { .attr = MA_SV },
    [M_STR] = { .attr = MA_SV },
    [M_SMSW] = { .attr = MA_SV },
    [M_LAR] = { .attr = MA_SV },
    [M_LSL] = { .attr = MA_SV },
    [M_INVLPG] = { .mem_size = 1 },
    [M_MOVS] = { .attr = MA_REP },
    [M_LODS] = { .attr = MA_REP },
    [M_STOS] = { .attr = MA_REP },
    [M_INS] = { .attr = MA_REP },
    [M_OUTS] = { .attr = MA_REP },
    [M_XCHG] = { .attr = MA_HLE_XCHG },
    [M_MOV] = { .attr = MA_HLE_MOV },
};

/* Opcodes that objdump names differently when F3 is the last of F2/F3 (its
 * "prefix tables"); the F3 is then part of the name. PAUSE is NOP to this
 * CPU, and like a 686 it executes TZCNT/LZCNT as BSF/BSR, WBNOINVD as WBINVD:
 * the text says which instruction newer CPUs see in these bytes. */
static const struct {
    uint8_t two_byte, opcode;
    const char *f3_name;
} f3_names[] = {
    { 0, 0x90, "pause" },
    { 1, 0xbc, "tzcnt" },
    { 1, 0xbd, "lzcnt" },
    { 1, 0x09, "wbnoinvd" },
};

/* Operand forms whose text shows the operand size: they use a 66 prefix. */
static const bool shows_osize[OF_COUNT] = {
    [OF_Ev] = true, [OF_Gv] = true, [OF_Iz] = true, [OF_Ibs] = true, [OF_Jz] = true,
    [OF_Ap] = true, [OF_Mp] = true, [OF_Ma] = true, [OF_Zv] = true, [OF_eAX] = true,
    [OF_Xv] = true, [OF_Yv] = true,
};

/* ---- One disassembly ---------------------------------------------------- */

struct dis {
    const struct insn *in;
    uint32_t eip;
    uint16_t attr;       /* MA_* of the mnemonic */
    bool code32;         /* the code segment's default size (CS.D) */
    bool notrack;        /* 3E is shown as notrack: no segment in the operand */
    bool used66, used67, used_seg, used_f3;
    unsigned nimm;       /* immediates printed so far (ENTER has two) */
};

static bool has_prefix(const struct insn *in, uint8_t b)
{
    return memchr(in->pfx, b, in->npfx) != NULL;
}

/* The segment of a memory operand: an override, or `dflt` if the operand
 * always shows one (string source, moffs), or nothing. */
static void put_seg(struct dis *d, struct text *t, const char *dflt)
{
    if ((d->in->prefix & P_SEG) && !d->notrack) {
        put(t, "%s:", sreg_names[d->in->seg]);
        d->used_seg = true;
    } else if (dflt) {
        put(t, "%s:", dflt);
    }
}

static void put_disp(struct text *t, uint32_t disp)
{
    if ((int32_t)disp >= 0)
        put(t, "+0x%x", disp);
    else
        put(t, "-0x%x", -disp);
}

/* [base+index*scale+disp] in objdump's words. An address without base or
 * index is ds:0x1234; in 32-bit code an SIB byte without them is written
 * [eiz*1+0x1234] to tell it from that form. objdump counts 67 as used only
 * when a register shows. */
static void put_ea32(struct dis *d, struct text *t)
{
    const struct insn *in = d->in;
    bool base = in->ea_base != EA_NONE, index = in->ea_index != EA_NONE;
    bool eiz = in->has_sib && !base && !index && d->code32;
    d->used67 |= base || index || eiz;
    if (!base && !index && !eiz && !(in->has_sib && in->ea_scale)) {
        put_seg(d, t, "ds");
        put(t, "0x%x", in->disp);
        return;
    }
    put_seg(d, t, NULL);
    put(t, "[%s", base ? reg_names[2][in->ea_base] : "");
    if (in->has_sib && (in->ea_scale || !base || index || in->ea_base != R_ESP))
        put(t, "%s%s*%u", base ? "+" : "", index ? reg_names[2][in->ea_index] : "eiz", 1u << in->ea_scale);
    if (in->disp || insn_mod(in) != 0 || !base)
        put_disp(t, in->disp);
    put(t, "]");
}

static void put_ea16(struct dis *d, struct text *t)
{
    const struct insn *in = d->in;
    d->used67 = true;
    if (in->ea_base == EA_NONE && in->ea_index == EA_NONE) {
        put_seg(d, t, "ds");
        put(t, "0x%x", in->disp & 0xffff);
        return;
    }
    put_seg(d, t, NULL);
    put(t, "[%s", ea16_names[insn_rm(in)]);
    if (in->disp || insn_mod(in) != 0)
        put_disp(t, in->disp);
    put(t, "]");
}

/* Is operand n printed as objdump's Sv (MOV Sreg, SLDT, LAR ...)? */
static bool is_sv(const struct dis *d, unsigned n)
{
    unsigned f = d->in->d.opnd[n];
    if (f != OF_Ev && f != OF_Ew)
        return false;
    return (d->attr & MA_SV) || d->in->d.opnd[n ^ 1] == OF_Sw;
}

/* Operand size that a 66 prefix selects, whether or not the row obeys it. */
static unsigned prefix_osize(const struct dis *d)
{
    return d->code32 != ((d->in->prefix & P_OSIZE) != 0) ? 4 : 2;
}

static void put_memory(struct dis *d, struct text *t, unsigned n)
{
    const struct insn *in = d->in;
    unsigned f = in->d.opnd[n];
    if (f == OF_Ob || f == OF_Ov) { /* moffs: no size keyword */
        put_seg(d, t, "ds");
        put(t, "0x%x", in->disp);
        return;
    }
    unsigned size = in->o[n].size;
    if (is_sv(d, n))
        size = 2;
    else if (spellings[in->d.mnem].mem_size)
        size = spellings[in->d.mnem].mem_size;
    else if (f == OF_Ms)
        size = 0; /* the mnemonic says it: lgdtd */
    put(t, "%s", size_keywords[size] ? size_keywords[size] : "");
    if (in->asize == 2)
        put_ea16(d, t);
    else
        put_ea32(d, t);
}

/* String operand: source DS(or override):[eSI], destination ES:[eDI]. */
static void put_string(struct dis *d, struct text *t, unsigned n)
{
    const struct insn *in = d->in;
    bool dst = in->o[n].reg == 1;
    d->used67 = true;
    put(t, "%s", size_keywords[in->o[n].size]);
    if (dst)
        put(t, "es:");
    else
        put_seg(d, t, "ds");
    put(t, "[%s]", reg_name(in->asize, dst ? R_EDI : R_ESI));
}

static void put_branch(struct dis *d, struct text *t)
{
    const struct insn *in = d->in;
    uint32_t next = d->eip + in->len;
    uint32_t target = next + in->imm;
    /* objdump wraps only rel16 targets to 16 bits (as the CPU does with a
     * 16-bit operand size); it leaves rel8 targets unwrapped. */
    if (in->d.opnd[0] == OF_Jz && in->osize == 2)
        target = (target & 0xffff) | ((in->prefix & P_OSIZE) ? 0 : next & 0xffff0000u);
    put(t, "0x%x", target);
}

static void put_immediate(struct dis *d, struct text *t, unsigned n)
{
    const struct insn *in = d->in;
    unsigned f = in->d.opnd[n];
    if (f == OF_Jb || f == OF_Jz) {
        put_branch(d, t);
    } else if (f == OF_ONE) {
        put(t, "1");
    } else {
        uint32_t v = d->nimm++ == 0 ? in->imm : in->imm2;
        unsigned size = f == OF_Ib ? 1 : f == OF_Iw ? 2 : in->o[n].size;
        put(t, "0x%x", v & size_mask(size));
    }
}

static void put_operand(struct dis *d, struct text *t, unsigned n)
{
    const struct insn *in = d->in;
    const struct opnd *o = &in->o[n];
    if (shows_osize[in->d.opnd[n]] && !(o->kind == OK_MEM && is_sv(d, n)))
        d->used66 = true;
    switch (o->kind) {
    case OK_REG:
        if (is_sv(d, n)) {
            put(t, "%s", reg_name(prefix_osize(d), o->reg));
            d->used66 = true;
        } else {
            put(t, "%s", reg_name(o->size, o->reg));
        }
        break;
    case OK_MEM: put_memory(d, t, n); break;
    case OK_IMM: put_immediate(d, t, n); break;
    case OK_SREG: put(t, "%s", sreg_names[o->reg]); break;
    case OK_CREG: put(t, "cr%u", o->reg); break;
    case OK_DREG: put(t, "dr%u", o->reg); break;
    case OK_FARPTR: put(t, "0x%x:0x%x", in->imm2, in->imm); break;
    case OK_STR: put_string(d, t, n); break;
    default: break;
    }
}

/* 66 90 is XCHG AX,AX to objdump (unless F3 makes it PAUSE). */
static bool nop_as_xchg(const struct insn *in)
{
    return in->d.mnem == M_NOP && !in->two_byte && (in->prefix & P_OSIZE) && !(in->prefix & P_REP);
}

/* The operands, comma-separated; XLAT's implicit one is shown. */
static void put_operands(struct dis *d, struct text *t)
{
    const struct insn *in = d->in;
    if (in->d.mnem == M_XLAT) {
        d->used67 = true;
        put(t, "BYTE PTR ");
        put_seg(d, t, "ds");
        put(t, "[%s]", reg_name(in->asize, R_EBX));
        return;
    }
    if (nop_as_xchg(in)) {
        d->used66 = true;
        put(t, "%s,%s", reg_name(in->osize, R_EAX), reg_name(in->osize, R_EAX));
        return;
    }
    for (unsigned n = 0; n < 3 && in->o[n].kind != OK_NONE; n++) {
        if (n)
            put(t, ",");
        put_operand(d, t, n);
    }
}

/* Does the w/d suffix apply (pushw, retfw, lgdtd)? */
static bool size_suffix(const struct dis *d)
{
    const struct insn *in = d->in;
    unsigned f = in->d.opnd[0];
    if (d->attr & MA_SFX)
        return true;
    if (!(in->prefix & P_OSIZE))
        return false;
    if (d->attr & MA_SFX66)
        return true;
    return (d->attr & MA_SFX66_IMM) &&
           (f == OF_Iz || f == OF_Ibs || f == OF_Jz || (f >= OF_ES && f <= OF_GS));
}

static void put_mnemonic(struct dis *d, struct text *t)
{
    const struct insn *in = d->in;
    const struct spelling *s = &spellings[in->d.mnem];
    for (size_t k = 0; k < sizeof(f3_names) / sizeof(f3_names[0]); k++) {
        if (f3_names[k].two_byte == in->two_byte && f3_names[k].opcode == in->opcode &&
            (in->prefix & P_REP)) {
            d->used_f3 = true;
            put(t, "%s", f3_names[k].f3_name);
            return;
        }
    }
    if (nop_as_xchg(in)) {
        put(t, "xchg");
        return;
    }
    if (s->attr & MA_COND) {
        put(t, "%s%s", s->name, cond_names[in->d.arg & 15]);
    } else if (s->attr & (MA_OSIZE | MA_ASIZE)) {
        unsigned size = (s->attr & MA_OSIZE) ? in->osize : in->asize;
        put(t, "%s", size == 4 ? s->name32 : s->name);
        d->used66 |= (s->attr & MA_OSIZE) != 0;
        d->used67 |= (s->attr & MA_ASIZE) != 0;
    } else if (s->name) {
        put(t, "%s", s->name);
    } else {
        for (const char *p = mnem_names[in->d.mnem]; *p; p++)
            put(t, "%c", tolower((unsigned char)*p));
    }
    if (size_suffix(d)) {
        put(t, "%c", in->osize == 4 ? 'd' : 'w');
        d->used66 = true;
    }
}

/* ---- Prefix words --------------------------------------------------------- */

struct last_prefixes {
    int seg, data, addr, repne, rep; /* index in insn->pfx of the last one, or -1 */
};

static struct last_prefixes find_last(const struct insn *in)
{
    struct last_prefixes l = { -1, -1, -1, -1, -1 };
    for (int k = 0; k < in->npfx; k++) {
        uint8_t b = in->pfx[k];
        if (b == 0x66)
            l.data = k;
        else if (b == 0x67)
            l.addr = k;
        else if (b == 0xf2)
            l.repne = k;
        else if (b == 0xf3)
            l.rep = k;
        else if (b != 0xf0)
            l.seg = k;
    }
    return l;
}

static void rename_at(const char **words, int k, const char *name)
{
    if (k >= 0)
        words[k] = name;
}

/* F2/F3 on a memory operation that can be elided under hardware lock
 * elision (objdump shows HLE hints even on CPUs without it). */
static void rename_hle(const struct dis *d, const char **words, const struct last_prefixes *l)
{
    const struct insn *in = d->in;
    bool mem = in->o[0].kind == OK_MEM;
    bool modrm_dest = in->d.opnd[0] == OF_Eb || in->d.opnd[0] == OF_Ev; /* not moffs */
    if ((in->prefix & P_LOCK) || ((d->attr & MA_HLE_XCHG) && mem)) {
        rename_at(words, l->rep, "xrelease");
        rename_at(words, l->repne, "xacquire");
    } else if ((d->attr & MA_HLE_MOV) && mem && modrm_dest && in->d.opnd[1] != OF_Sw &&
               l->rep > l->repne) {
        rename_at(words, l->rep, "xrelease");
    }
}

/* Print every prefix byte the text has not used, by objdump's name. */
static void put_prefixes(const struct dis *d, struct text *t)
{
    const struct insn *in = d->in;
    const char *words[sizeof(in->pfx)];
    struct last_prefixes l = find_last(in);

    for (int k = 0; k < in->npfx; k++)
        words[k] = prefix_name(in->pfx[k], d->code32);
    if (d->notrack)
        rename_at(words, l.seg, "notrack");
    if (d->attr & MA_REP)
        rename_at(words, l.rep, "rep");
    if (d->attr & MA_BND)
        rename_at(words, l.repne, "bnd");
    rename_hle(d, words, &l);
    if (d->used_seg)
        rename_at(words, l.seg, NULL);
    if (d->used66)
        rename_at(words, l.data, NULL);
    if (d->used67)
        rename_at(words, l.addr, NULL);
    if (d->used_f3)
        rename_at(words, l.rep, NULL);
    for (int k = 0; k < in->npfx; k++)
        if (words[k])
            put(t, "%s ", words[k]);
}

/* ---- Entry point ---------------------------------------------------------- */

int insn_disasm(const struct insn *in, uint32_t eip, char *buf, size_t size)
{
    struct dis d = {
        .in = in,
        .eip = eip,
        .attr = spellings[in->d.mnem].attr,
        .code32 = (in->asize == 4) != ((in->prefix & P_ASIZE) != 0),
    };
    d.notrack = (d.attr & MA_NOTRACK) && in->d.opnd[0] == OF_Ev && has_prefix(in, 0x3e);

    char mnem[16], ops[160];
    struct text tm = { mnem, sizeof(mnem), 0 }, to = { ops, sizeof(ops), 0 };
    put_mnemonic(&d, &tm);
    put_operands(&d, &to);
    assert(tm.len < sizeof(mnem) && to.len < sizeof(ops));

    struct text t = { buf, size, 0 };
    if (size)
        buf[0] = '\0';
    put_prefixes(&d, &t);
    put(&t, "%s", mnem);
    if (to.len) /* mnemonic column of 6, then a space */
        put(&t, "%*s%s", t.len < 7 ? (int)(7 - t.len) : 1, "", ops);
    return (int)t.len;
}

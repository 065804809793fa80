/* Protection: selectors, descriptors and gates, and what far transfers
 * (exec_far.c) and interrupt delivery (intr.c) share: the stack switch
 * through the TSS and stack frames that are checked before they are written.
 * Private to core/cpu; segment descriptors are drawn in seg.c.
 *
 * Selector (SDM Vol. 3, 3.4.2), and the error code that names one (6.13):
 *
 *   selector:    15 ............ 3 | 2  | 1 0        error code:  15 ..... 3 | 2  | 1   | 0
 *                index             | TI | RPL                      index      | TI | IDT | EXT
 *
 * TI picks the LDT; IDT says the index is an IDT vector; EXT says the fault
 * happened while delivering an event external to the program (an interrupt
 * or an earlier exception).
 *
 * Gate descriptor (call, interrupt and trap gates; SDM Vol. 3, 5.8.3, 6.11):
 *
 *   desc[1]: 31 ........... 16 | 15 | 14 13 | 12 | 11..8 | 7 6 5 | 4 ........ 0
 *            offset 31:16      | P  | DPL   | 0  | type  | 0 0 0 | param count (call gates)
 *   desc[0]: 31 ........... 16 | 15 ........... 0
 *            selector          | offset 15:0
 *
 * System descriptor types (S = 0), bit 3 set for the 32-bit forms:
 *   1/9 TSS available, 2 LDT, 3/B TSS busy, 4/C call gate, 5 task gate,
 *   6/E interrupt gate, 7/F trap gate.
 */
#ifndef VLAB_CPU_DESC_H
#define VLAB_CPU_DESC_H

#include "cpu_internal.h"

#define ERR_IDT 0x2u /* error code bit: the index is an IDT vector */
#define ERR_EXT 0x1u /* error code bit: fault while delivering an external event */

static inline bool sel_is_null(uint16_t sel) { return (sel & ~3u) == 0; }
static inline unsigned sel_rpl(uint16_t sel) { return sel & 3u; }
/* The error code naming `sel` (RPL replaced by IDT = 0, EXT = 0). */
static inline uint32_t sel_error(uint16_t sel) { return sel & 0xfffcu; }

/* ---- Descriptor fields -------------------------------------------------- */

enum {
    SYS_TSS16 = 0x1, SYS_TSS16_BUSY = 0x3, SYS_CALL_GATE = 0x4, SYS_TASK_GATE = 0x5,
    SYS_INT_GATE = 0x6, SYS_TRAP_GATE = 0x7, SYS_32BIT = 0x8,
};

#define DESC_TYPE_ACCESSED 0x100u /* type bit 0, in desc[1] */

static inline unsigned desc_type(const uint32_t d[2]) { return (d[1] >> 8) & 0xfu; }
static inline bool desc_is_seg(const uint32_t d[2]) { return (d[1] & 0x1000u) != 0; }
static inline unsigned desc_dpl(const uint32_t d[2]) { return (d[1] >> 13) & 3u; }
static inline bool desc_present(const uint32_t d[2]) { return (d[1] & 0x8000u) != 0; }

static inline bool desc_is_code(const uint32_t d[2])
{
    return desc_is_seg(d) && (desc_type(d) & 8);
}
/* The byte-granular limit (scaled by G). */
static inline uint32_t desc_limit(const uint32_t d[2])
{
    uint32_t limit = (d[0] & 0xffffu) | (d[1] & 0x000f0000u);
    return (d[1] & 0x00800000u) ? (limit << 12) | 0xfffu : limit;
}

/* Only meaningful for a code segment. */
static inline bool desc_conforming(const uint32_t d[2]) { return (desc_type(d) & 4) != 0; }

static inline bool desc_is_writable_data(const uint32_t d[2])
{
    return desc_is_seg(d) && (desc_type(d) & 0xau) == 0x2u;
}

/* A system descriptor of `kind` (SYS_*, without SYS_32BIT) in either width. */
static inline bool desc_is_sys(const uint32_t d[2], unsigned kind)
{
    return !desc_is_seg(d) && (desc_type(d) & 7u) == kind;
}

static inline bool gate_is32(const uint32_t d[2]) { return (desc_type(d) & SYS_32BIT) != 0; }
static inline uint16_t gate_sel(const uint32_t d[2]) { return (uint16_t)(d[0] >> 16); }
static inline unsigned gate_params(const uint32_t d[2]) { return d[1] & 0x1fu; }

static inline uint32_t gate_offset(const uint32_t d[2])
{
    uint32_t low = d[0] & 0xffffu;
    return gate_is32(d) ? (d[1] & 0xffff0000u) | low : low;
}

/* ---- Segment loads (segload.c) ------------------------------------------ */

/* Set the accessed bit of the descriptor for `sel`, in memory and in `desc`,
 * as the processor does when it loads a segment register. An implicit
 * supervisor write to the GDT/LDT: may raise #PF. */
void seg_mark_accessed(struct cpu *cpu, uint16_t sel, uint32_t desc[2]);

/* Make `s` hold a null selector: unusable, every access raises #GP(0). */
void seg_set_null(struct seg *s, uint16_t sel);

/* The stack for a call or interrupt into more privileged ring `dpl`: read
 * SSn:ESPn from the current TSS and check the stack segment (SDM Vol. 2,
 * CALL and INT n). Raises #TS(TSS selector | ext) when the TSS is too short,
 * #TS(SS | ext) for a bad selector or descriptor, #SS(SS | ext) when not
 * present. Fills *ss (for placing a frame on it; ss->sel is the selector),
 * ss_desc and *esp; loading SS is the caller's, when it commits. */
void seg_inner_stack(struct cpu *cpu, unsigned dpl, uint32_t ext, struct seg *ss,
                     uint32_t ss_desc[2], uint32_t *esp);

/* ---- Stack frames (segload.c) ------------------------------------------- */

#define FRAME_MAX 40 /* a call gate's frame: SS ESP, 31 parameters, CS EIP */

/* A stack frame assembled before anything is written: frame_place() checks
 * the limits, frame_write() probes every page and only then writes, so a
 * fault leaves no half-pushed frame. */
struct frame {
    const struct seg *ss; /* the stack segment it goes on */
    uint32_t esp;         /* ESP before the pushes (SS.B = 0: only SP moves) */
    unsigned size;        /* bytes per slot: 2 or 4 */
    bool user;            /* accesses are checked as CPL 3 */
    uint32_t ss_error;    /* the #SS error code when the frame does not fit */
    unsigned n;
    uint32_t v[FRAME_MAX]; /* values in push order */
};

static inline void frame_push(struct frame *f, uint32_t v)
{
    f->v[f->n++] = v;
}

/* Check every slot against the stack segment's limit, raising
 * #SS(f->ss_error); return the ESP value after the pushes. */
uint32_t frame_place(struct cpu *cpu, const struct frame *f);

/* Probe every slot for writing (may raise #PF), then write the frame. */
void frame_write(struct cpu *cpu, const struct frame *f);

#endif

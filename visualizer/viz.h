/* vlab viz: the model behind the visualizer.
 *
 * The model owns a machine and listens to its trace (vlab/trace.h). From
 * the events it keeps what the panes show: a log of recent events (each
 * page walk with its record, each #PF with the walk that faulted), the
 * history of ring switches, the last page walk, the console's text. It
 * runs the machine toward a goal — one instruction, the next event of some
 * kinds, an address, a string on the console — in bounded slices, so that
 * a front end (ncurses or the headless key player) stays in control
 * whatever the guest does.
 *
 *   struct vm --trace--> viz sink --> log, rings, last walk, hook (walkthrough)
 *       ^                                          |
 *       +---- viz_run(goal, slice) <--- front end -+--> panes (viz_panes.c)
 *
 * Nothing here draws: the panes render the model into a character grid
 * (viz_grid.h). Nothing here reaches into the engine beyond the public
 * headers: registers are read from struct cpu, memory through physmem and
 * a page walk of our own that never changes the guest (viz_decode.c).
 */
#ifndef VLAB_VIZ_H
#define VLAB_VIZ_H

#include <stdio.h>

#include "vlab/trace.h"
#include "vlab/vm.h"

/* ---- The log --------------------------------------------------------------- */

#define VIZ_LOG_MAX 8192   /* events kept; the oldest are forgotten */
#define VIZ_RING_MAX 64    /* ring switches kept for the timeline */

struct viz_logged {
    struct trace_event ev;
    bool has_walk;         /* a walk event, or a #PF with the walk that faulted */
    uint64_t walk_seq;     /* the walk's own event */
    struct mmu_walk walk;
};

/* ---- Goals: where a run stops ------------------------------------------------ */

enum viz_goal_kind {
    VIZ_GOAL_STEP,    /* one instruction (or one delivery) */
    VIZ_GOAL_EVENT,   /* the next event of `kinds`, matching `arg` if has_arg */
    VIZ_GOAL_EIP,     /* EIP equals `eip` */
    VIZ_GOAL_CONSOLE, /* `text` appears in new console output */
    VIZ_GOAL_FREE,    /* no goal: run until paused or the guest stops */
};

#define VIZ_TEXT_MAX 64

struct viz_goal {
    enum viz_goal_kind kind;
    uint32_t kinds;          /* VIZ_GOAL_EVENT: TRACE_BIT mask */
    bool has_arg;            /* VIZ_GOAL_EVENT with one kind: the argument to match */
    uint32_t arg;            /* vector, CPL, port, address (see viz_event_matches) */
    uint32_t eip;
    char text[VIZ_TEXT_MAX];
};

enum viz_outcome {
    VIZ_REACHED,   /* the goal was reached */
    VIZ_SLICE,     /* the slice ran out first: call again to go on */
    VIZ_HOOK,      /* the hook (a walkthrough stop) asked to pause */
    VIZ_ENDED,     /* the guest stopped: see viz->stop */
};

/* Called after every instruction (step) for each event of `hook_kinds`
 * that happened during it, with the machine as the instruction left it.
 * Returns true to pause the run (VIZ_HOOK). */
typedef bool viz_hook_fn(void *ctx, const struct trace_event *ev);

#define VIZ_PENDING_MAX 1024 /* events held for the hook during one step; more are dropped */

struct viz {
    struct vm *vm;
    FILE *console;           /* open_memstream over console_buf */
    char *console_buf;
    size_t console_len;
    bool ended;              /* the guest stopped; `stop` says how */
    enum vm_stop stop;

    struct viz_logged *log;  /* ring buffer of VIZ_LOG_MAX */
    uint64_t nlog;           /* events logged so far; log[k % VIZ_LOG_MAX] */
    uint32_t log_kinds;      /* what the log keeps and `n` stops at */

    struct trace_ring rings[VIZ_RING_MAX];
    uint64_t ring_seq[VIZ_RING_MAX];
    uint64_t nrings;

    struct mmu_walk last_walk; /* the newest walk (nwalks > 0) */
    uint64_t last_walk_seq, last_walk_icount, nwalks;

    /* The current run's goal, seen by the sink. */
    const struct viz_goal *goal;
    bool goal_seen;
    struct trace_event goal_event; /* the event that reached an event goal */
    bool console_dirty;      /* COM1 written since the goal looked */

    viz_hook_fn *hook;
    void *hook_ctx;
    uint32_t hook_kinds;
    struct trace_event pending[VIZ_PENDING_MAX];
    unsigned npending;
};

/* Boot IMAGE (with `cmdline`, `modules` as vm_load_file takes them) on a
 * machine of `ram` bytes whose console is kept in memory. Returns 0; or a
 * negative errno with one sentence in `err`. */
int viz_open(struct viz *v, uint64_t ram, const char *image, const char *cmdline,
             const char *const *modules, unsigned nmodules, char *err, size_t errlen);
void viz_close(struct viz *v);

/* Run toward `goal` for at most `slice` instructions. */
enum viz_outcome viz_run(struct viz *v, const struct viz_goal *goal, uint64_t slice);

/* The console's text so far (NUL-terminated) and its length. */
const char *viz_console(struct viz *v, size_t *len);

/* The k-th newest logged event (0: the newest), or NULL. */
const struct viz_logged *viz_log_at(const struct viz *v, uint64_t k);
/* Events the log still holds. */
uint64_t viz_log_count(const struct viz *v);

/* Does `ev` match a goal's argument? ring: the CPL it goes to; exception,
 * interrupt: the vector; walk, tlb_flush: the page of the address; pio,
 * mmio: the port or address. Kinds without an argument never match one. */
bool viz_event_matches(const struct trace_event *ev, uint32_t arg);

/* ---- Decoding for display (viz_decode.c) -------------------------------------- */

/* The parts of a 32-bit linear address for the two-level walk. */
struct viz_split {
    unsigned dir, table, offset;     /* 10 | 10 | 12 bits */
    uint32_t offset4m;               /* the 22-bit offset in a 4 MiB page */
};
struct viz_split viz_split_lin(gva_t lin);

/* `lin` in binary, grouped "dddddddddd tttttttttt oooooooooooo" (34
 * characters and a NUL). */
void viz_lin_bits(gva_t lin, char out[35]);

/* A page-table entry's flags in fixed columns, "P R/W U/S PWT PCD A D PS G",
 * each clear flag shown as dashes of its width; bit 7 is PS in a directory
 * entry and PAT in a table entry. Returns `out`. */
char *viz_pte_flags(uint32_t entry, bool pde, char *out, size_t len);

/* The set EFLAGS bits by name ("PF ZF IF"), and IOPL; "-" when none. */
char *viz_eflags_text(uint32_t eflags, char *out, size_t len);

/* The set bits of CR0 / CR4 by name ("PE ET PG"). */
char *viz_cr0_text(uint32_t cr0, char *out, size_t len);
char *viz_cr4_text(uint32_t cr4, char *out, size_t len);

/* A #PF error code in words: "not present, read, user". */
char *viz_pf_error_text(uint32_t error, char *out, size_t len);

/* A segment register's cached descriptor in one line:
 * "base 00000000 limit ffffffff code r-x    DPL 0" (" 16-bit" added for a
 * 16-bit segment) or "unusable (null selector)". */
char *viz_seg_text(const struct seg *s, char *out, size_t len);

/* Read `len` bytes at linear address `lin` as the CPU would see them,
 * through the paging structures when paging is on, without setting
 * accessed or dirty bits and without faulting: ok[k] says whether byte k
 * could be read. Returns the number of readable bytes. */
size_t viz_read_lin(struct vm *vm, gva_t lin, uint8_t *buf, bool *ok, size_t len);

/* One line of disassembly. */
struct viz_insn_line {
    uint32_t eip;
    uint8_t len;              /* bytes shown (up to 8); 0 for an unreadable address */
    uint8_t bytes[15];
    bool readable;
    char text[96];            /* the instruction, "??" when its bytes cannot be read */
};

/* Disassemble around the CPU's EIP: up to `before` instructions leading to
 * it (found by decoding forward from a little earlier until the chain
 * lands exactly on EIP; fewer when none does) and then EIP and the ones
 * after it, `total` lines in all. Returns the number of lines and, in
 * *at, the index of EIP's line. */
unsigned viz_disasm_around(struct vm *vm, unsigned before, unsigned total, struct viz_insn_line *out,
                           unsigned *at);

/* A log line for an event, without its sequence number:
 * "exception 14 #PF err=4 at 40000cd3 cr2=40004000" (numbers in hex). */
void viz_event_text(const struct trace_event *ev, char *out, size_t len);

/* The short name of a ring cause for the timeline ("iret", "int", "exc"). */
const char *viz_cause_short(unsigned cause);

#endif

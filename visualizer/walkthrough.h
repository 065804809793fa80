/* Walkthroughs: a lab's guided tour of a boot, as `vlab viz --walkthrough`
 * plays it.
 *
 * A walkthrough is a Lua 5.4 file (labs/NN-name/walkthrough.lua; the
 * format is described in visualizer/README.md) that lists stops in order.
 * Each stop has a title, a paragraph of explanation, the pane to bring
 * forward, and a predicate over trace events — never a hard-coded address —
 * that says when the run has reached it. The player runs the machine,
 * hands every trace event to walkthrough_match() for the current stop,
 * and pauses when it says yes.
 *
 * This module owns the Lua state; the visualizer sees only the C view
 * below.
 */
#ifndef VLAB_WALKTHROUGH_H
#define VLAB_WALKTHROUGH_H

#include <stdbool.h>
#include <stddef.h>

#include "vlab/trace.h"
#include "vlab/vm.h"

/* The pane a stop brings forward. */
#define WALK_PANE_LIST(X)                                               \
    X(RINGS, rings)     /* CPL over time, transitions and causes */     \
    X(WALK, walk)       /* the page walk of the event, step by step */  \
    X(LOG, log)         /* traps, exceptions, interrupts */             \
    X(REGS, regs)       /* registers, segments, disassembly */          \
    X(CONSOLE, console) /* the guest's serial console */

enum walk_pane {
#define X(upper, lower) WALK_PANE_##upper,
    WALK_PANE_LIST(X)
#undef X
    WALK_PANE_COUNT
};

struct walkthrough_stop {
    const char *title;  /* one line: "The first system call" */
    const char *text;   /* a paragraph or a few; newlines separate paragraphs */
    enum walk_pane pane;
    uint32_t kinds;     /* TRACE_BIT mask of the kinds its predicate looks at */
};

struct walkthrough;

/* Load and check a walkthrough file. Returns NULL with one sentence in
 * `err` (file, line where Lua gives one, and the problem) when it does not
 * load or a stop is malformed. */
struct walkthrough *walkthrough_load(const char *path, char *err, size_t errlen);
void walkthrough_free(struct walkthrough *w);

/* Its title, the image it is written for (written repository-relative, as
 * the grader's paths: "build/guests/kernel.elf"; returned resolved as the
 * grader resolves them — against grade_root(), build/ meaning $VLAB_BUILD
 * when set — so ready to open; NULL when it names none), and its memory
 * size in bytes (0: the caller's default). */
const char *walkthrough_title(const struct walkthrough *w);
const char *walkthrough_image(const struct walkthrough *w);
uint64_t walkthrough_mem(const struct walkthrough *w);

size_t walkthrough_count(const struct walkthrough *w);
const struct walkthrough_stop *walkthrough_stop(const struct walkthrough *w, size_t i);

/* The union of every stop's kinds: what the player subscribes to. */
uint32_t walkthrough_kinds(const struct walkthrough *w);

/* Has the run reached stop `i` with event `ev`? `vm` is the machine after
 * the event (its registers and memory may be read by the predicate).
 * Returns 1 for yes, 0 for no, or -1 with one sentence in `err` when the
 * predicate raised an error (the player shows it and stops playing). */
int walkthrough_match(struct walkthrough *w, size_t i, const struct trace_event *ev,
                      struct vm *vm, char *err, size_t errlen);

#endif

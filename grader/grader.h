/* The grader: a Lua 5.4 host that runs a lab's grade.lua.
 *
 *   grade.lua --test{...}--> registry list --runner--> one forked child per test
 *                                                     (rlimits, wall-clock kill)
 *   child --result record over a pipe--> parent --> reporters (text, JSON, XML)
 *
 * grader/machine.c is the `vlab` Lua module, grader/prelude.c the Lua side
 * (test{}, expect), grader/runner.c the sandboxed runner and grader/report.c
 * the report formats. cli/grade.c is the command line. */
#ifndef VLAB_GRADER_H
#define VLAB_GRADER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <lua.h>

/* What happened to one test. */
enum grade_status { GRADE_PASSED, GRADE_FAILED, GRADE_SKIPPED };

/* One declared test and, after the run, its result. */
struct grade_test {
    char *name, *part, *parent, *visibility;
    double points;
    uint64_t insns;         /* limits.insns: the cap on every run call */
    double cpu_seconds;     /* limits.cpu_seconds */
    double wall_seconds;    /* limits.wall_seconds (default: 2 * cpu + 5) */
    uint64_t memory;        /* limits.memory, bytes of address space */
    int lua_index;          /* position in the Lua list of declarations */
    /* Result. */
    enum grade_status status;
    double score;
    double seconds;         /* wall-clock time it took */
    char *output;           /* the failure message and what the test printed */
};

struct grade_suite {
    struct grade_test *tests;
    size_t ntests;
    double seconds;
};

/* ---- The Lua side --------------------------------------------------------- */

/* Open the `vlab` module as a global (and package.loaded.vlab). */
int vlab_open(lua_State *L);

/* Set the instruction cap every run call of this process obeys (0: none). */
void vlab_set_insn_cap(uint64_t cap);

/* Push `ev` as the Lua table the grader's m:trace_first/last return (kind,
 * seq, icount, cycles, text and the kind's fields; grader/README.md). */
struct trace_event;
void vlab_push_event(lua_State *L, const struct trace_event *ev);

/* Push a read-only view of a machine the caller owns: methods reg, eflags,
 * cr, cpl, read, read32 and stats of a vlab.boot machine, nothing that runs
 * or changes it (reading a linear address leaves the accessed bits as they
 * were). Returns the view's slot: the caller points it at a struct vm while
 * Lua may use the view and back to NULL after (a detached view raises an
 * error). Works in any Lua state, with or without vlab_open(). */
struct vm;
struct vm **vlab_push_machine_view(lua_State *L);

/* Run the prelude: test{}, expect, print capture. Returns 0 or -1 with the
 * message on the Lua stack. */
int grade_prelude(lua_State *L);

/* The repository root that image paths are relative to: $VLAB_ROOT, else
 * the nearest directory above the current one holding core/include/vlab,
 * else ".". */
const char *grade_root(void);

/* ---- The runner ------------------------------------------------------------ */

/* Load DIR/grade.lua and, where present, DIR/hidden/ *.lua (required with
 * `require_hidden`) into `L` and fill `suite` with the declarations.
 * Returns 0, or -1 after printing why. */
int grade_load(lua_State *L, const char *dir, bool require_hidden, struct grade_suite *suite);

/* Run every test, `jobs` at a time, each in its own process. `progress`:
 * where to show a progress line (NULL: nowhere). */
void grade_run(lua_State *L, struct grade_suite *suite, unsigned jobs, FILE *progress);

void grade_free(struct grade_suite *suite);

/* ---- Reports ---------------------------------------------------------------- */

enum grade_format { FMT_TEXT, FMT_GRADESCOPE, FMT_PRAIRIELEARN, FMT_AUTOLAB, FMT_JUNIT };

/* "text" ... "junit" -> the format; false when unknown. */
bool grade_parse_format(const char *name, enum grade_format *out);
void grade_report(const struct grade_suite *suite, enum grade_format fmt, FILE *out);

/* Points earned and possible over all tests. */
void grade_totals(const struct grade_suite *suite, double *score, double *max);

#endif

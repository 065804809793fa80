/* The visualizer's model (viz.h): a machine, what its trace said, and runs
 * toward a goal in bounded slices. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "viz.h"

/* ---- The trace sink ------------------------------------------------------------ */

static bool is_com1_write(const struct trace_event *ev)
{
    return ev->kind == TRACE_PIO && ev->u.io.write &&
           trace_pio_range_of((uint16_t)ev->u.io.addr) == TRACE_PIO_COM1;
}

static void keep_ring(struct viz *v, const struct trace_event *ev)
{
    unsigned slot = v->nrings++ % VIZ_RING_MAX;
    v->rings[slot] = ev->u.ring;
    v->ring_seq[slot] = ev->seq;
}

static void keep_walk(struct viz *v, const struct trace_event *ev)
{
    v->last_walk = ev->u.walk;
    v->last_walk_seq = ev->seq;
    v->last_walk_icount = ev->icount;
    v->nwalks++;
}

/* Log `ev`. A #PF takes along the walk that faulted: the CPU reports the
 * walk first, then delivers the fault for the same linear address. */
static void log_event(struct viz *v, const struct trace_event *ev)
{
    struct viz_logged *l = &v->log[v->nlog++ % VIZ_LOG_MAX];
    l->ev = *ev;
    l->has_walk = false;
    if (ev->kind == TRACE_WALK) {
        l->has_walk = true;
        l->walk_seq = ev->seq;
        l->walk = ev->u.walk;
    } else if (ev->kind == TRACE_EXCEPTION && ev->u.exception.vector == VEC_PF && v->nwalks &&
               v->last_walk.fault && v->last_walk.lin == ev->u.exception.cr2) {
        l->has_walk = true;
        l->walk_seq = v->last_walk_seq;
        l->walk = v->last_walk;
    }
}

bool viz_event_matches(const struct trace_event *ev, uint32_t arg)
{
    switch (ev->kind) {
    case TRACE_RING: return ev->u.ring.to == arg;
    case TRACE_EXCEPTION: return ev->u.exception.vector == arg;
    case TRACE_INTERRUPT: return ev->u.interrupt.vector == arg;
    case TRACE_WALK: return ((ev->u.walk.lin ^ arg) & ~VLAB_PAGE_MASK) == 0;
    case TRACE_TLB_FLUSH: return ev->u.tlb_flush.page && ((ev->u.tlb_flush.lin ^ arg) & ~VLAB_PAGE_MASK) == 0;
    case TRACE_PIO:
    case TRACE_MMIO: return ev->u.io.addr == arg;
    default: return false;
    }
}

static void sink(void *ctx, const struct trace_event *ev)
{
    struct viz *v = ctx;
    uint32_t bit = TRACE_BIT(ev->kind);
    if (ev->kind == TRACE_RING)
        keep_ring(v, ev);
    if (v->log_kinds & bit)
        log_event(v, ev);
    if (ev->kind == TRACE_WALK)
        keep_walk(v, ev);
    if (is_com1_write(ev))
        v->console_dirty = true;
    const struct viz_goal *g = v->goal;
    if (g && g->kind == VIZ_GOAL_EVENT && !v->goal_seen && (g->kinds & bit) &&
        (!g->has_arg || viz_event_matches(ev, g->arg))) {
        v->goal_seen = true;
        v->goal_event = *ev;
    }
    if ((v->hook_kinds & bit) && v->npending < VIZ_PENDING_MAX)
        v->pending[v->npending++] = *ev;
}

/* ---- Opening and closing --------------------------------------------------------- */

int viz_open(struct viz *v, uint64_t ram, const char *image, const char *cmdline,
             const char *const *modules, unsigned nmodules, char *err, size_t errlen)
{
    memset(v, 0, sizeof(*v));
    v->log_kinds = TRACE_ALL & ~(TRACE_BIT(TRACE_PIO) | TRACE_BIT(TRACE_MMIO));
    v->log = calloc(VIZ_LOG_MAX, sizeof(*v->log));
    v->vm = calloc(1, sizeof(*v->vm));
    v->console = open_memstream(&v->console_buf, &v->console_len);
    int rc = -ENOMEM;
    if (!v->log || !v->vm || !v->console)
        goto fail;
    rc = vm_init(v->vm, ram, v->console);
    if (rc != 0) {
        free(v->vm);
        v->vm = NULL;
        goto fail;
    }
    rc = vm_load_file(v->vm, image, cmdline, modules, nmodules, err, errlen);
    if (rc != 0)
        goto fail_loaded;
    trace_subscribe(&v->vm->trace, TRACE_ALL, sink, v);
    return 0;
fail:
    snprintf(err, errlen, "cannot create a machine with %" PRIu64 " MiB of RAM", ram >> 20);
fail_loaded:
    viz_close(v);
    return rc;
}

void viz_close(struct viz *v)
{
    if (v->vm) {
        vm_destroy(v->vm);
        free(v->vm);
    }
    if (v->console)
        fclose(v->console);
    free(v->console_buf);
    free(v->log);
    memset(v, 0, sizeof(*v));
}

const char *viz_console(struct viz *v, size_t *len)
{
    fflush(v->console);
    if (len)
        *len = v->console_len;
    return v->console_buf ? v->console_buf : "";
}

const struct viz_logged *viz_log_at(const struct viz *v, uint64_t k)
{
    if (k >= viz_log_count(v))
        return NULL;
    return &v->log[(v->nlog - 1 - k) % VIZ_LOG_MAX];
}

uint64_t viz_log_count(const struct viz *v)
{
    return v->nlog < VIZ_LOG_MAX ? v->nlog : VIZ_LOG_MAX;
}

/* ---- Runs ------------------------------------------------------------------------ */

/* Hand the events held since the last step to the hook, oldest first.
 * Returns true when the hook asked to pause; the events after the one that
 * did stay held for the next run (a later stop may be the very next event
 * of the same instruction). */
static bool drain_pending(struct viz *v)
{
    unsigned k = 0;
    bool pause = false;
    while (k < v->npending && !pause)
        pause = v->hook(v->hook_ctx, &v->pending[k++]);
    memmove(v->pending, v->pending + k, (v->npending - k) * sizeof(v->pending[0]));
    v->npending -= k;
    return pause;
}

/* Has new console output (since `*checked`) brought `text`? */
static bool console_shows(struct viz *v, const char *text, size_t *checked)
{
    if (!v->console_dirty)
        return false;
    v->console_dirty = false;
    size_t len;
    const char *all = viz_console(v, &len);
    size_t overlap = strlen(text) - 1; /* a match may straddle what was checked */
    size_t from = *checked > overlap ? *checked - overlap : 0;
    *checked = len;
    return strstr(all + from, text) != NULL;
}

static bool reached(struct viz *v, const struct viz_goal *g, size_t *checked)
{
    switch (g->kind) {
    case VIZ_GOAL_STEP: return true;
    case VIZ_GOAL_EVENT: return v->goal_seen;
    case VIZ_GOAL_EIP: return v->vm->cpu.eip == g->eip;
    case VIZ_GOAL_CONSOLE: return g->text[0] && console_shows(v, g->text, checked);
    case VIZ_GOAL_FREE: return false;
    }
    return false;
}

/* No goal and nobody to pause for: run at full speed. */
static enum viz_outcome run_free(struct viz *v, uint64_t slice)
{
    enum vm_stop s = vm_run(v->vm, slice);
    if (s == VM_STOP_BUDGET)
        return VIZ_SLICE;
    v->ended = true;
    v->stop = s;
    return VIZ_ENDED;
}

/* One instruction at a time, so that the run stops right after the one
 * (or the delivery) that reached the goal. */
enum viz_outcome viz_run(struct viz *v, const struct viz_goal *goal, uint64_t slice)
{
    if (v->ended)
        return VIZ_ENDED;
    if (v->hook && drain_pending(v))
        return VIZ_HOOK;
    if (goal->kind == VIZ_GOAL_FREE && !v->hook)
        return run_free(v, slice);
    size_t checked;
    viz_console(v, &checked);
    v->goal = goal;
    v->goal_seen = false;
    v->console_dirty = false;
    enum viz_outcome out = VIZ_SLICE;
    for (uint64_t n = 0; n < slice && out == VIZ_SLICE; n++) {
        enum vm_stop s = vm_run(v->vm, 1);
        if (s != VM_STOP_BUDGET) {
            v->ended = true;
            v->stop = s;
            out = VIZ_ENDED;
        } else if (reached(v, goal, &checked)) {
            out = VIZ_REACHED;
        }
        if (v->hook && drain_pending(v))
            out = VIZ_HOOK;
    }
    v->goal = NULL;
    return out;
}

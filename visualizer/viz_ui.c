/* The visualizer's user interface (viz_ui.h): keys, prompts, runs in
 * slices, the layout of the panes and the status lines. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "viz_ui.h"

void viz_ui_init(struct viz_ui *ui, struct viz *v, const char *image)
{
    memset(ui, 0, sizeof(*ui));
    ui->v = v;
    ui->image = image;
    ui->selected = VIZ_PANE_LOG;
    ui->log_follow = true;
}

bool viz_ui_running(const struct viz_ui *ui)
{
    return ui->running;
}

static void say(struct viz_ui *ui, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct viz_ui *ui, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ui->message, sizeof(ui->message), fmt, ap);
    va_end(ap);
}

/* ---- Runs --------------------------------------------------------------------------- */

static void start(struct viz_ui *ui, const struct viz_goal *goal, const char *what)
{
    if (ui->v->ended) {
        say(ui, "the guest has stopped (%s): nothing more to run", vm_stop_name(ui->v->stop));
        return;
    }
    ui->goal = *goal;
    ui->running = true;
    ui->tour_run = false;
    snprintf(ui->goal_text, sizeof(ui->goal_text), "%s", what);
}

static void run_event(struct viz_ui *ui, uint32_t kinds, bool has_arg, uint32_t arg, const char *what)
{
    struct viz_goal g = { .kind = VIZ_GOAL_EVENT, .kinds = kinds, .has_arg = has_arg, .arg = arg };
    start(ui, &g, what);
}

void viz_ui_next_stop(struct viz_ui *ui)
{
    if (ui->tour.finished || ui->tour.error[0]) {
        say(ui, "%s", ui->tour.finished ? "the walkthrough is over: every stop has been reached"
                                        : "the walkthrough stopped on an error");
        return;
    }
    struct viz_goal g = { .kind = VIZ_GOAL_FREE };
    start(ui, &g, "running to the next stop of the walkthrough");
    ui->tour_run = ui->running;
}

/* Where the run paused: the message, and the panes that show why. */
static void arrived(struct viz_ui *ui, enum viz_outcome out)
{
    struct viz *v = ui->v;
    ui->running = false;
    ui->walk_pinned = false;
    ui->log_follow = true;
    switch (out) {
    case VIZ_REACHED:
        if (ui->goal.kind == VIZ_GOAL_EVENT) {
            char text[160];
            viz_event_text(&v->goal_event, text, sizeof(text));
            say(ui, "stopped at #%" PRIu64 ": %s", v->goal_event.seq, text);
        } else if (ui->goal.kind != VIZ_GOAL_STEP) {
            say(ui, "stopped: %s", ui->goal_text + strlen("running to "));
        }
        break;
    case VIZ_HOOK:
        ui->tour_scroll = 0;
        if (ui->tour.error[0])
            say(ui, "walkthrough error: %s", ui->tour.error);
        else
            say(ui, "stop %zu of %zu: %s", ui->tour.shown, ui->tour.count, ui->tour.title);
        break;
    case VIZ_ENDED:
        say(ui, "the guest stopped: %s%s", vm_stop_name(v->stop),
            v->stop == VM_STOP_EXIT ? (v->vm->exit_status == 1 ? " (status 1: success)" : " (a failure status)") : "");
        break;
    case VIZ_SLICE:
        break;
    }
}

void viz_ui_tick(struct viz_ui *ui)
{
    if (!ui->running)
        return;
    uint64_t done = ui->v->vm->cpu.icount;
    if (ui->max_insns && done >= ui->max_insns) {
        ui->running = false;
        say(ui, "stopped: the limit of %" PRIu64 " instructions (--max-insns) is reached", ui->max_insns);
        return;
    }
    bool free_run = ui->goal.kind == VIZ_GOAL_FREE && !ui->v->hook;
    uint64_t slice = free_run ? VIZ_SLICE_FREE : VIZ_SLICE_STEPS;
    if (ui->max_insns && ui->max_insns - done < slice)
        slice = ui->max_insns - done;
    enum viz_outcome out = viz_run(ui->v, &ui->goal, slice);
    if (out != VIZ_SLICE)
        arrived(ui, out);
}

static void pause_run(struct viz_ui *ui)
{
    ui->running = false;
    say(ui, "paused after %" PRIu64 " instructions", ui->v->vm->cpu.icount);
}

/* ---- Prompts ------------------------------------------------------------------------ */

static const char *const prompt_text[] = {
    [PROMPT_ADDR] = "run to address (hex): ",
    [PROMPT_TEXT] = "run until the console shows: ",
    [PROMPT_KIND] = "run to the next event of kind (e.g. exception:14, walk, ring:3): ",
};

/* "KIND[:ARG]" with KIND any unique prefix of a kind's name. */
static void submit_kind(struct viz_ui *ui, const char *in)
{
    char name[VIZ_TEXT_MAX];
    snprintf(name, sizeof(name), "%s", in);
    char *colon = strchr(name, ':');
    uint32_t arg = 0;
    if (colon) {
        char *end;
        errno = 0;
        unsigned long v = strtoul(colon + 1, &end, 0);
        if (errno || end == colon + 1 || *end || v > UINT32_MAX) {
            say(ui, "'%s' is not a number (decimal, or hex with 0x)", colon + 1);
            return;
        }
        *colon = '\0';
        arg = (uint32_t)v;
    }
    int found = -1;
    for (unsigned k = 0; k < TRACE_KIND_COUNT && *name; k++) {
        if (strncmp(trace_kind_name(k), name, strlen(name)) != 0)
            continue;
        if (found >= 0 && strcmp(trace_kind_name(k), name) != 0) {
            say(ui, "'%s' could be %s or %s: type more of it", name, trace_kind_name((unsigned)found),
                trace_kind_name(k));
            return;
        }
        if (found < 0 || !strcmp(trace_kind_name(k), name))
            found = (int)k;
    }
    if (found < 0) {
        say(ui, "no event kind starts with '%s' (ring, exception, interrupt, walk, tlb_flush, pio ...)", name);
        return;
    }
    char what[96];
    snprintf(what, sizeof(what), "running to the next %s%s%s", trace_kind_name((unsigned)found), colon ? ":" : "",
             colon ? colon + 1 : "");
    run_event(ui, TRACE_BIT(found), colon != NULL, arg, what);
}

static void submit(struct viz_ui *ui)
{
    enum viz_prompt p = ui->prompt;
    ui->prompt = PROMPT_NONE;
    const char *in = ui->input;
    char what[96];
    if (p == PROMPT_ADDR) {
        char *end;
        errno = 0;
        unsigned long a = strtoul(in, &end, 16);
        if (!*in || errno || *end || a > UINT32_MAX) {
            say(ui, "'%s' is not a hexadecimal address", in);
            return;
        }
        struct viz_goal g = { .kind = VIZ_GOAL_EIP, .eip = (uint32_t)a };
        snprintf(what, sizeof(what), "running to EIP = %08lx", a);
        start(ui, &g, what);
    } else if (p == PROMPT_TEXT) {
        if (!*in) {
            say(ui, "nothing to look for");
            return;
        }
        struct viz_goal g = { .kind = VIZ_GOAL_CONSOLE };
        snprintf(g.text, sizeof(g.text), "%s", in);
        snprintf(what, sizeof(what), "running to \"%s\" on the console", in);
        start(ui, &g, what);
    } else if (p == PROMPT_KIND) {
        submit_kind(ui, in);
    }
}

static void prompt_key(struct viz_ui *ui, int key)
{
    size_t len = strlen(ui->input);
    if (key == VK_ENTER)
        submit(ui);
    else if (key == VK_ESC)
        ui->prompt = PROMPT_NONE;
    else if (key == VK_BACKSPACE && len)
        ui->input[len - 1] = '\0';
    else if (key >= 0x20 && key < 0x7f && len + 1 < sizeof(ui->input))
        ui->input[len] = (char)key, ui->input[len + 1] = '\0';
}

static void ask(struct viz_ui *ui, enum viz_prompt p)
{
    ui->prompt = p;
    ui->input[0] = '\0';
}

/* ---- Panes: selection and scrolling ----------------------------------------------- */

static void move_log(struct viz_ui *ui, int64_t delta)
{
    struct viz *v = ui->v;
    uint64_t count = viz_log_count(v);
    if (!count)
        return;
    uint64_t oldest = v->nlog - count, newest = v->nlog - 1;
    uint64_t at = ui->log_follow || ui->log_cursor < oldest ? newest : ui->log_cursor;
    int64_t to = (int64_t)at + delta;
    at = to < (int64_t)oldest ? oldest : to > (int64_t)newest ? newest : (uint64_t)to;
    ui->log_cursor = at;
    ui->log_follow = at == newest;
}

/* Enter in the log: show the selected event's page walk. */
static void choose_walk(struct viz_ui *ui)
{
    struct viz *v = ui->v;
    if (!viz_log_count(v))
        return;
    uint64_t at = ui->log_follow ? v->nlog - 1 : ui->log_cursor;
    const struct viz_logged *l = viz_log_at(v, v->nlog - 1 - at);
    if (!l || !l->has_walk) {
        say(ui, "event #%" PRIu64 " has no page walk (walks and #PF exceptions have one)", l ? l->ev.seq : 0);
        return;
    }
    ui->walk_pinned = true;
    ui->pinned = l->walk;
    ui->pinned_seq = l->walk_seq;
    say(ui, "the page walk of event #%" PRIu64 " is in the walk pane (Esc there: back to the latest)", l->ev.seq);
}

static void scroll(struct viz_ui *ui, int key)
{
    int64_t step = key == VK_UP ? -1 : key == VK_DOWN ? 1 : key == VK_PGUP ? -10 : key == VK_PGDN ? 10
                 : key == VK_HOME ? INT32_MIN : INT32_MAX;
    if (ui->selected == VIZ_PANE_LOG)
        move_log(ui, step);
    else if (ui->selected == VIZ_PANE_CONSOLE) {
        int64_t s = ui->console_scroll - step;
        ui->console_scroll = s < 0 ? 0 : s > 1 << 20 ? 1 << 20 : (int)s;
    } else if (ui->tour.active) { /* the panes that do not scroll leave the keys to the text */
        int64_t s = ui->tour_scroll + step;
        ui->tour_scroll = s < 0 ? 0 : s > 1 << 20 ? 1 << 20 : (int)s; /* the pane clamps it */
    }
}

static void select_pane(struct viz_ui *ui, int delta)
{
    int n = VIZ_PANE_COUNT;
    ui->selected = (enum viz_pane)(((int)ui->selected + delta + n) % n);
}

/* ---- Keys ------------------------------------------------------------------------- */

/* Keys that start a run, by the kind they run to. */
static const struct {
    int key;
    enum trace_kind kind;
} kind_keys[] = {
    { 'e', TRACE_EXCEPTION }, { 'i', TRACE_INTERRUPT }, { 'r', TRACE_RING }, { 'w', TRACE_WALK },
    { 't', TRACE_TLB_FLUSH },
};

static bool run_key(struct viz_ui *ui, int key)
{
    char what[64];
    for (size_t k = 0; k < VLAB_ARRAY_SIZE(kind_keys); k++) {
        if (kind_keys[k].key == key) {
            snprintf(what, sizeof(what), "running to the next %s", trace_kind_name(kind_keys[k].kind));
            run_event(ui, TRACE_BIT(kind_keys[k].kind), false, 0, what);
            return true;
        }
    }
    struct viz_goal g = { .kind = key == 's' ? VIZ_GOAL_STEP : VIZ_GOAL_FREE };
    switch (key) {
    case 's': start(ui, &g, "stepping"); return true;
    case 'c': start(ui, &g, "running (p or space pauses)"); return true;
    case 'n':
    case ' ':
        if (ui->tour.active)
            viz_ui_next_stop(ui);
        else if (key == 'n')
            run_event(ui, ui->v->log_kinds, false, 0, "running to the next event");
        return true;
    case 'N': ask(ui, PROMPT_KIND); return true;
    case 'g': ask(ui, PROMPT_ADDR); return true;
    case '/': ask(ui, PROMPT_TEXT); return true;
    default: return false;
    }
}

static void idle_key(struct viz_ui *ui, int key)
{
    if (run_key(ui, key))
        return;
    switch (key) {
    case 'q': ui->quit = true; break;
    case '?': ui->help = true; break;
    case 'z': ui->zoom = !ui->zoom; break;
    case 'p': say(ui, "already paused: c runs, s steps"); break;
    case VK_TAB: case VK_RIGHT: select_pane(ui, 1); break;
    case VK_BTAB: case VK_LEFT: select_pane(ui, -1); break;
    case VK_ENTER:
        if (ui->selected == VIZ_PANE_LOG)
            choose_walk(ui);
        break;
    case VK_ESC: ui->walk_pinned = false; ui->zoom = false; break;
    case VK_UP: case VK_DOWN: case VK_PGUP: case VK_PGDN: case VK_HOME: case VK_END: scroll(ui, key); break;
    case VK_RESIZE: break;
    default:
        if (key >= '1' && key < '1' + VIZ_PANE_COUNT)
            ui->selected = (enum viz_pane)(key - '1');
        else
            say(ui, "no such key; ? shows the keys");
        break;
    }
}

void viz_ui_key(struct viz_ui *ui, int key)
{
    if (key == VK_RESIZE)
        return;
    if (ui->prompt != PROMPT_NONE) {
        prompt_key(ui, key);
        return;
    }
    ui->message[0] = '\0';
    if (ui->help) {
        ui->help = false;
        if (key != 'q')
            return;
    }
    if (ui->running) {
        if (key == 'q')
            ui->quit = true;
        else if (key == 'p' || key == ' ' || key == VK_ESC)
            pause_run(ui);
        return;
    }
    idle_key(ui, key);
}

/* ---- Layout ------------------------------------------------------------------------- */

struct rect {
    int x, y, w, h;
};

#define WIDE_COLS 100 /* below this, or WIDE_ROWS, one pane at a time */
#define WIDE_ROWS 30

/* Where each pane goes in a body of cols x rows; h == 0: not shown.
 *
 *   +-------------------------+------------------------+
 *   | 4 registers             | 1 rings                |
 *   |                         +------------------------+
 *   |                         | 2 page walk            |
 *   +-------------------------+------------------------+
 *   | 5 console               | 3 event log            |
 *   |                         |                        |
 *   +-------------------------+------------------------+
 *
 * With a walkthrough, its text (6) takes the console's place and the
 * console goes under the log.
 */
static void layout(const struct viz_ui *ui, int cols, int rows, struct rect r[VIZ_PANE_COUNT])
{
    memset(r, 0, sizeof(struct rect) * VIZ_PANE_COUNT);
    if (ui->zoom || cols < WIDE_COLS || rows < WIDE_ROWS) {
        r[ui->selected] = (struct rect){ 0, 0, cols, rows };
        return;
    }
    int left = cols / 2, right = cols - left;
    int regs = rows - 5 < 23 ? rows - 5 : 23;
    int rings = 9, walk = 11;
    r[VIZ_PANE_REGS] = (struct rect){ 0, 0, left, regs };
    int below = rows - regs, log = rows - rings - walk;
    r[VIZ_PANE_RINGS] = (struct rect){ left, 0, right, rings };
    r[VIZ_PANE_WALK] = (struct rect){ left, rings, right, walk };
    if (ui->tour.active) { /* the walkthrough's text below the registers, the console under the log */
        int console = log / 3;
        r[VIZ_PANE_TOUR] = (struct rect){ 0, regs, left, below };
        r[VIZ_PANE_LOG] = (struct rect){ left, rings + walk, right, log - console };
        r[VIZ_PANE_CONSOLE] = (struct rect){ left, rows - console, right, console };
    } else {
        r[VIZ_PANE_CONSOLE] = (struct rect){ 0, regs, left, below };
        r[VIZ_PANE_LOG] = (struct rect){ left, rings + walk, right, log };
    }
}

/* ---- Rendering ---------------------------------------------------------------------- */

static void render_status(struct viz_ui *ui, const struct viz_surf *s)
{
    const struct viz *v = ui->v;
    const struct cpu *cpu = &v->vm->cpu;
    viz_fill(s, VA_REVERSE);
    const char *name = strrchr(ui->image, '/') ? strrchr(ui->image, '/') + 1 : ui->image;
    const char *state = ui->running ? ui->goal_text : v->ended ? "stopped" : "paused";
    viz_printf(s, 0, 0, VA_REVERSE | VA_BOLD, " vlab viz  %s  insn %" PRIu64 "  cycles %" PRIu64
               "  CPL %u  EIP %08" PRIx32 "  [%s]", name, cpu->icount, trace_cycles(cpu), cpu->cpl, cpu->eip, state);
}

static const char hints[] = "s step  n next event  e/i/r/w next exc/irq/ring/walk  c run  p pause  "
                            "g addr  / text  Tab pane  ? help  q quit";
static const char tour_hints[] = "space/n next stop  s step  e/i/r/w next exc/irq/ring/walk  c run  p pause  "
                                 "Tab pane  ? help  q quit";

static void render_bottom(struct viz_ui *ui, const struct viz_surf *s)
{
    if (ui->prompt != PROMPT_NONE) {
        int x = viz_put(s, 0, 0, VA_BOLD, prompt_text[ui->prompt]);
        x = viz_put(s, x, 0, 0, ui->input);
        viz_put(s, x, 0, VA_REVERSE, " ");
    } else if (ui->message[0]) {
        viz_put(s, 0, 0, VA_BOLD, ui->message);
    } else {
        viz_put(s, 0, 0, VA_DIM, ui->tour.active ? tour_hints : hints);
    }
}

const char *const viz_help_lines[] = {
    "s          step one instruction (or one delivery)",
    "n          run to the next event the log shows",
    "e i r w t  run to the next exception / interrupt / ring",
    "           switch / page walk / TLB flush",
    "N          run to the next event of a kind you type:",
    "           exception:14 (#PF), ring:3, walk:0x40000000 ...",
    "c          run; p, space or Esc pauses",
    "g          run until EIP is an address (hex)",
    "/          run until the console shows some text",
    "space, n   with a walkthrough: run to its next stop",
    "Tab, 1-6   choose a pane (also Shift-Tab, Left, Right);",
    "           z zooms it, Esc unzooms",
    "Up/Down    PgUp/PgDn Home/End: scroll the log or the console",
    "           when selected, else the walkthrough's text",
    "Enter      in the log: show that event's page walk",
    "           (walks and #PF faults; Esc: latest walk)",
    "q          quit            ? or any key: close help",
    NULL,
};

static void render_help(const struct viz_surf *s)
{
    int n = 0, w = 0;
    for (; viz_help_lines[n]; n++)
        w = (int)strlen(viz_help_lines[n]) > w ? (int)strlen(viz_help_lines[n]) : w;
    struct viz_surf box = viz_surf_sub(s, (s->w - w - 4) / 2, (s->h - n - 2) / 2, w + 4, n + 2);
    viz_fill(&box, 0);
    viz_box(&box, VA_BOLD | VA_COLOR(VC_CYAN), '-', "help: keys");
    for (int k = 0; k < n; k++)
        viz_put(&box, 2, 1 + k, 0, viz_help_lines[k]);
}

void viz_ui_render(struct viz_ui *ui, struct viz_grid *g)
{
    viz_grid_clear(g);
    struct viz_surf all = viz_surf_of(g);
    struct viz_surf top = viz_surf_sub(&all, 0, 0, g->cols, 1);
    struct viz_surf body = viz_surf_sub(&all, 0, 1, g->cols, g->rows - 2);
    struct viz_surf bottom = viz_surf_sub(&all, 0, g->rows - 1, g->cols, 1);
    render_status(ui, &top);
    struct rect r[VIZ_PANE_COUNT];
    layout(ui, body.w, body.h, r);
    for (int p = 0; p < VIZ_PANE_COUNT; p++) {
        if (r[p].h <= 0)
            continue;
        struct viz_surf s = viz_surf_sub(&body, r[p].x, r[p].y, r[p].w, r[p].h);
        viz_pane_draw(ui, (enum viz_pane)p, &s);
    }
    render_bottom(ui, &bottom);
    if (ui->help)
        render_help(&all);
}

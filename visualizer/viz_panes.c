/* The panes: each draws one view of the model into a rectangle of the grid.
 * The registers pane is in viz_pane_regs.c. */
#include <inttypes.h>
#include <string.h>

#include "viz_ui.h"

#define A_DIR VA_COLOR(VC_YELLOW)
#define A_TABLE VA_COLOR(VC_CYAN)
#define A_OFFSET VA_COLOR(VC_GREEN)
#define A_FAULT (VA_BOLD | VA_COLOR(VC_RED))
#define A_HEAD VA_BOLD
#define A_NOTE VA_DIM

/* Draw `text` word-wrapped into lines of `s` from row `y`; newlines start
 * paragraphs, separated by a blank line. Returns the row after it. */
static int draw_wrapped(const struct viz_surf *s, int y, unsigned attr, const char *text)
{
    int width = s->w > 1 ? s->w : 1;
    while (*text) {
        size_t para = strcspn(text, "\n");
        const char *p = text, *end = text + para;
        while (p < end) {
            while (p < end && *p == ' ')
                p++;
            size_t n = (size_t)(end - p) < (size_t)width ? (size_t)(end - p) : (size_t)width;
            if (p + n < end) { /* break at the last blank that fits, if any */
                size_t b = n;
                while (b > 0 && p[b] != ' ')
                    b--;
                n = b ? b : n;
            }
            viz_printf(s, 0, y++, attr, "%.*s", (int)n, p);
            p += n;
        }
        text = *end ? end + 1 : end;
        if (*text)
            y++;
    }
    return y;
}

/* ---- Rings: the CPL over time ----------------------------------------------------- */

#define RING_SEG 6 /* columns per transition on the strip */

static const char *const ring_names[4] = { "kernel", "ring 1", "ring 2", "user" };

/* The strip: one row per ring, the level drawn with '-', a switch as a
 * vertical line with its cause written under it. */
static void draw_strip(const struct viz *v, const struct viz_surf *s, int y0)
{
    int x0 = 3, width = s->w - x0;
    for (unsigned r = 0; r < 4; r++)
        viz_printf(s, 0, y0 + (int)r, A_HEAD, "r%u", r);
    uint64_t visible = (uint64_t)(width - 2) / RING_SEG;
    uint64_t n = v->nrings < visible ? v->nrings : visible;
    n = n < VIZ_RING_MAX ? n : VIZ_RING_MAX;
    uint64_t first = v->nrings - n;
    unsigned level = n ? v->rings[first % VIZ_RING_MAX].from : v->vm->cpu.cpl;
    int x = x0;
    for (uint64_t k = first; k < v->nrings; k++) {
        const struct trace_ring *t = &v->rings[k % VIZ_RING_MAX];
        int at = x0 + 1 + (int)(k - first) * RING_SEG + RING_SEG - 2;
        for (; x < at; x++)
            viz_put(s, x, y0 + (int)level, level == 3 ? VA_COLOR(VC_GREEN) : VA_COLOR(VC_MAGENTA), "-");
        unsigned lo = t->from < t->to ? t->from : t->to, hi = t->from < t->to ? t->to : t->from;
        for (unsigned r = lo; r <= hi; r++)
            viz_put(s, at, y0 + (int)r, 0, r == lo || r == hi ? "+" : "|");
        bool newest = k + 1 == v->nrings;
        viz_put(s, at - 1, y0 + 4, newest ? VA_BOLD : 0, viz_cause_short(t->cause));
        level = t->to;
        x = at + 1;
    }
    for (; x < s->w; x++)
        viz_put(s, x, y0 + (int)level, level == 3 ? VA_COLOR(VC_GREEN) : VA_COLOR(VC_MAGENTA), "-");
}

static void render_rings(struct viz_ui *ui, const struct viz_surf *s)
{
    const struct viz *v = ui->v;
    const struct trace_stats *st = &v->vm->trace.stats;
    unsigned cpl = v->vm->cpu.cpl;
    int x = viz_printf(s, 0, 0, A_HEAD, "CPL %u (%s)", cpl, ring_names[cpl]);
    x = viz_put(s, x + 2, 0, 0, "switches:");
    for (unsigned f = 0; f < 4; f++)
        for (unsigned t = 0; t < 4; t++)
            if (st->rings[f][t])
                x = viz_printf(s, x + 1, 0, 0, "%u->%u %" PRIu64, f, t, st->rings[f][t]);
    if (!v->nrings)
        viz_put(s, x + 1, 0, A_NOTE, "none yet");
    draw_strip(v, s, 1);
    if (v->nrings) {
        unsigned k = (unsigned)((v->nrings - 1) % VIZ_RING_MAX);
        const struct trace_ring *t = &v->rings[k];
        viz_printf(s, 0, 6, 0, "last: #%" PRIu64 " %u->%u by %s at %08" PRIx32, v->ring_seq[k], t->from, t->to,
                   trace_ring_cause_name(t->cause), t->eip);
    }
}

/* ---- The page walk ------------------------------------------------------------------ */

static void draw_split(const struct viz_surf *s, int y, const struct mmu_walk *w)
{
    char bits[35];
    viz_lin_bits(w->lin, bits);
    struct viz_split sp = viz_split_lin(w->lin);
    int x = viz_printf(s, 0, y, A_HEAD, "linear %08" PRIx32 " = ", w->lin);
    viz_put(s, x, y, A_DIR, bits);
    viz_paint(s, x + 11, y, 10, w->large ? A_OFFSET : A_TABLE);
    viz_paint(s, x + 22, y, 12, A_OFFSET);
    viz_printf(s, x, y + 1, A_DIR, "dir %u", sp.dir);
    if (w->large) {
        viz_printf(s, x + 11, y + 1, A_OFFSET, "offset 0x%06" PRIx32 " (4 MiB page)", sp.offset4m);
        return;
    }
    viz_printf(s, x + 11, y + 1, A_TABLE, "table %u", sp.table);
    viz_printf(s, x + 22, y + 1, A_OFFSET, "offset 0x%03x", sp.offset);
}

/* "PDE[ 256] 0011e027 P R/W U/S --- --- A - PS G": the line after says where it points. */
static void draw_entry(const struct viz_surf *s, int y, const struct mmu_walk *w, unsigned level)
{
    const struct mmu_step *st = &w->step[level];
    bool pde = level == 0;
    char flags[48];
    viz_pte_flags(st->entry, pde, flags, sizeof(flags));
    int x = viz_printf(s, 0, y, pde ? A_DIR : A_TABLE, "%s[%4u]", pde ? "PDE" : "PTE", st->index);
    x = viz_printf(s, x + 1, y, VA_BOLD, "%08" PRIx32, st->entry);
    x = viz_put(s, x + 1, y, 0, flags);
    if (!(st->entry & PTE_P))
        viz_put(s, x + 1, y, A_FAULT, "not present");
}

static void draw_walk(const struct viz_surf *s, const struct mmu_walk *w, uint32_t cr3)
{
    char text[96];
    draw_split(s, 1, w);
    const struct mmu_step *d = &w->step[0];
    viz_printf(s, 0, 3, 0, "CR3 %08" PRIx32 "   PDE at %08" PRIx64 " + 4*%u = %08" PRIx64,
               cr3 & ~VLAB_PAGE_MASK, d->table, d->index, d->table + 4u * d->index);
    draw_entry(s, 4, w, 0);
    int y = 5;
    if (w->nsteps == 2) {
        const struct mmu_step *t = &w->step[1];
        viz_printf(s, 0, y++, 0, "         PTE at %08" PRIx64 " + 4*%u = %08" PRIx64, t->table, t->index,
                   t->table + 4u * t->index);
        draw_entry(s, y++, w, 1);
    }
    if (w->fault) {
        viz_printf(s, 0, y++, A_FAULT, "#PF error 0x%" PRIx32 ": %s", w->error,
                   viz_pf_error_text(w->error, text, sizeof(text)));
    } else {
        uint32_t mask = w->large ? 0x3fffffu : VLAB_PAGE_MASK;
        viz_printf(s, 0, y++, A_OFFSET, "frame %08" PRIx64 " + offset 0x%" PRIx32 " = physical %08" PRIx64,
                   w->pa & ~(gpa_t)mask, w->lin & mask, w->pa);
    }
    viz_put(s, 0, y, A_NOTE, "(a walk happens on a TLB miss only; hits are not shown)");
}

static const char *access_words(unsigned access)
{
    static const char *const words[8] = {
        [0] = "read by the kernel", [MMU_WRITE] = "write by the kernel", [MMU_USER] = "read by user code",
        [MMU_USER | MMU_WRITE] = "write by user code", [MMU_FETCH] = "fetch by the kernel",
        [MMU_FETCH | MMU_USER] = "fetch by user code",
    };
    const char *w = words[access & 7];
    return w ? w : "access";
}

static void render_walk(struct viz_ui *ui, const struct viz_surf *s)
{
    const struct viz *v = ui->v;
    const struct cpu *cpu = &v->vm->cpu;
    if (!ui->walk_pinned && !v->nwalks) {
        viz_put(s, 0, 0, A_NOTE, cpu->cr0 & CR0_PG ? "no page walk yet (each TLB miss makes one)"
                                                   : "no page walk yet: paging is off (CR0.PG = 0)");
        return;
    }
    const struct mmu_walk *w = ui->walk_pinned ? &ui->pinned : &v->last_walk;
    uint64_t seq = ui->walk_pinned ? ui->pinned_seq : v->last_walk_seq;
    int x = viz_printf(s, 0, 0, A_HEAD, "walk of event #%" PRIu64 ": %s", seq, access_words(w->access));
    viz_put(s, x + 2, 0, A_NOTE, ui->walk_pinned ? "(from the log)" : "(the latest)");
    /* The walk's own CR3 is its directory; the CPU's may have changed since. */
    draw_walk(s, w, (uint32_t)w->step[0].table);
}

/* ---- The event log ----------------------------------------------------------------- */

static unsigned kind_attr(const struct viz_logged *l)
{
    switch (l->ev.kind) {
    case TRACE_EXCEPTION: return l->ev.u.exception.soft ? VA_COLOR(VC_BLUE) : VA_COLOR(VC_RED);
    case TRACE_INTERRUPT: return VA_COLOR(VC_YELLOW);
    case TRACE_RING: return VA_COLOR(VC_MAGENTA);
    case TRACE_WALK: return l->walk.fault ? VA_COLOR(VC_RED) : VA_COLOR(VC_CYAN);
    default: return 0;
    }
}

/* Write `text` at *x of row *y, on the next row (indented by 2) when it
 * does not fit. */
static void flow(const struct viz_surf *s, int *x, int *y, unsigned attr, const char *text)
{
    int len = (int)strlen(text);
    if (*x > 0 && *x + 1 + len > s->w) {
        (*y)++;
        *x = 2;
    } else if (*x > 0) {
        (*x)++;
    }
    *x = viz_put(s, *x, *y, attr, text);
}

/* "counts: ring 8 exception 3 walk 310 ..." and, by vector, "vectors: #PF 1
 * int 0x80 4 irq 0x20 1", wrapped; then the legend. Returns the row after. */
static int draw_counts(const struct viz *v, const struct viz_surf *s)
{
    const struct trace_stats *st = &v->vm->trace.stats;
    char word[48];
    int y = 0, x = viz_put(s, 0, y, A_HEAD, "counts:");
    for (unsigned k = 0; k < TRACE_KIND_COUNT; k++) {
        if (!st->events[k])
            continue;
        snprintf(word, sizeof(word), "%s %" PRIu64, trace_kind_name(k), st->events[k]);
        flow(s, &x, &y, 0, word);
    }
    x = viz_put(s, 0, ++y, A_HEAD, "vectors:");
    if (!trace_stats_exceptions(st) && !trace_stats_soft_ints(st) && !trace_stats_interrupts(st))
        flow(s, &x, &y, A_NOTE, "no exception or interrupt yet");
    for (unsigned k = 0; k < 32; k++) {
        snprintf(word, sizeof(word), "%.3s %" PRIu64, cpu_vector_name(k), st->exceptions[k]);
        if (st->exceptions[k])
            flow(s, &x, &y, VA_COLOR(VC_RED), word);
    }
    for (unsigned k = 0; k < 256; k++) {
        snprintf(word, sizeof(word), "int 0x%02x %" PRIu64, k, st->soft_ints[k]);
        if (st->soft_ints[k])
            flow(s, &x, &y, VA_COLOR(VC_BLUE), word);
    }
    for (unsigned k = 0; k < 256; k++) {
        snprintf(word, sizeof(word), "irq 0x%02x %" PRIu64, k, st->interrupts[k]);
        if (st->interrupts[k])
            flow(s, &x, &y, VA_COLOR(VC_YELLOW), word);
    }
    viz_put(s, 0, ++y, A_NOTE, "* has a page walk: select it, Enter shows it");
    return y + 1;
}

static void render_log(struct viz_ui *ui, const struct viz_surf *s)
{
    const struct viz *v = ui->v;
    int top = draw_counts(v, s);
    uint64_t count = viz_log_count(v), oldest = v->nlog - count;
    int rows = s->h - top;
    if (!count) {
        viz_put(s, 0, top, A_NOTE, "no events yet: s steps, n runs to the next one");
        return;
    }
    if (rows <= 0)
        return;
    uint64_t cursor = ui->log_follow || ui->log_cursor < oldest ? v->nlog - 1 : ui->log_cursor;
    uint64_t last = cursor;
    if (last < oldest + (uint64_t)rows - 1)
        last = oldest + (uint64_t)rows - 1 < v->nlog - 1 ? oldest + (uint64_t)rows - 1 : v->nlog - 1;
    uint64_t first = last + 1 >= oldest + (uint64_t)rows ? last + 1 - (uint64_t)rows : oldest;
    for (uint64_t a = first; a <= last; a++) {
        const struct viz_logged *l = viz_log_at(v, v->nlog - 1 - a);
        char text[200];
        viz_event_text(&l->ev, text, sizeof(text));
        int y = top + (int)(a - first);
        bool sel = a == cursor && ui->selected == VIZ_PANE_LOG;
        unsigned attr = sel ? VA_REVERSE : kind_attr(l);
        if (sel)
            viz_paint(s, 0, y, s->w, VA_REVERSE);
        viz_printf(s, 0, y, attr, "%c#%-6" PRIu64 " %s", l->has_walk ? '*' : ' ', l->ev.seq, text);
    }
}

/* ---- The console ------------------------------------------------------------------- */

/* The start of each displayed line (long lines wrapped at `width`) of
 * `text`; returns how many, at most `max` (the last ones kept). */
static size_t console_lines(const char *text, size_t len, int width, size_t *starts, size_t max)
{
    size_t n = 0, col = 0;
    for (size_t k = 0; k < len; k++) {
        if (col == 0)
            starts[n++ % max] = k;
        col = text[k] == '\n' || (int)col + 1 >= width ? 0 : col + 1;
    }
    return n;
}

#define CONSOLE_KEEP 512 /* wrapped lines the console pane can scroll back over */

static void render_console(struct viz_ui *ui, const struct viz_surf *s)
{
    size_t len;
    const char *text = viz_console(ui->v, &len);
    if (!len) {
        viz_put(s, 0, 0, A_NOTE, "(the guest has written nothing to COM1 yet)");
        return;
    }
    size_t starts[CONSOLE_KEEP];
    size_t n = console_lines(text, len, s->w, starts, CONSOLE_KEEP);
    size_t avail = n < CONSOLE_KEEP ? n : CONSOLE_KEEP;
    size_t scroll = ui->console_scroll > 0 ? (size_t)ui->console_scroll : 0;
    if (scroll + (size_t)s->h > avail)
        scroll = avail > (size_t)s->h ? avail - (size_t)s->h : 0;
    ui->console_scroll = (int)scroll;
    size_t shown = avail - scroll < (size_t)s->h ? avail - scroll : (size_t)s->h;
    for (size_t k = 0; k < shown; k++) {
        size_t line = n - scroll - shown + k, from = starts[line % CONSOLE_KEEP];
        size_t to = line + 1 < n ? starts[(line + 1) % CONSOLE_KEEP] : len;
        size_t cut = to > from && text[to - 1] == '\n' ? to - 1 : to;
        viz_printf(s, 0, (int)k, 0, "%.*s", (int)(cut - from), text + from);
    }
}

/* ---- The walkthrough's text -------------------------------------------------------- */

/* The stop's text from line `skip` on; returns whether more is below. */
static bool draw_scrolled(struct viz_ui *ui, const struct viz_surf *s, int y, const char *text)
{
    struct viz_grid tall;
    if (viz_grid_init(&tall, s->w > 1 ? s->w : 1, 400) != 0)
        return false;
    struct viz_surf all = viz_surf_of(&tall);
    int lines = draw_wrapped(&all, 0, 0, text);
    int room = s->h - y;
    int max = lines > room ? lines - room : 0;
    ui->tour_scroll = ui->tour_scroll > max ? max : ui->tour_scroll;
    for (int k = 0; k < room && ui->tour_scroll + k < lines; k++)
        for (int x = 0; x < s->w && x < tall.cols; x++) {
            struct viz_cell c = tall.cell[(ui->tour_scroll + k) * tall.cols + x];
            s->g->cell[(s->y + y + k) * s->g->cols + s->x + x] = c;
        }
    viz_grid_free(&tall);
    return ui->tour_scroll < max;
}

static void render_tour(struct viz_ui *ui, const struct viz_surf *s)
{
    const struct viz_tour_view *t = &ui->tour;
    if (!t->active) {
        draw_wrapped(s, 0, A_NOTE, "No walkthrough is playing. Start one with\n"
                                   "vlab viz --walkthrough labs/01-emulation/walkthrough.lua");
        return;
    }
    int x = viz_printf(s, 0, 0, A_HEAD, "%s", t->name);
    viz_printf(s, x + 2, 0, 0, "stop %zu of %zu", t->shown, t->count);
    const char *footer = t->error[0] ? NULL
                       : t->finished ? "The end: every stop has been reached."
                       : t->title ? "space or n: on to the next stop" : "space or n: run to the first stop";
    struct viz_surf body = viz_surf_sub(s, 0, 0, s->w, s->h - 1);
    bool more = false;
    if (t->title) {
        viz_printf(s, 0, 1, VA_BOLD | VA_UNDERLINE, "%zu. %s", t->shown, t->title);
        more = draw_scrolled(ui, &body, 2, t->text ? t->text : "");
    }
    if (t->error[0])
        draw_wrapped(&body, 2, A_FAULT, t->error);
    x = footer ? viz_put(s, 0, s->h - 1, A_NOTE, footer) : 0;
    if (more)
        viz_put(s, x + 2, s->h - 1, VA_BOLD, "[more: PgDn]");
}

/* ---- The table ---------------------------------------------------------------------- */

const struct viz_pane_desc viz_panes[VIZ_PANE_COUNT] = {
    [VIZ_PANE_RINGS] = { "rings", "rings", render_rings },
    [VIZ_PANE_WALK] = { "walk", "page walk", render_walk },
    [VIZ_PANE_LOG] = { "log", "event log", render_log },
    [VIZ_PANE_REGS] = { "regs", "registers", viz_render_regs },
    [VIZ_PANE_CONSOLE] = { "console", "console (COM1)", render_console },
    [VIZ_PANE_TOUR] = { "tour", "walkthrough", render_tour },
};

int viz_pane_by_name(const char *name)
{
    for (int k = 0; k < VIZ_PANE_COUNT; k++)
        if (!strcmp(viz_panes[k].name, name))
            return k;
    return -1;
}

void viz_pane_draw(struct viz_ui *ui, enum viz_pane p, const struct viz_surf *s)
{
    bool sel = ui->selected == p;
    char title[64];
    snprintf(title, sizeof(title), sel ? "[%d %s]" : "%d %s", (int)p + 1, viz_panes[p].title);
    viz_fill(s, 0);
    viz_box(s, sel ? VA_BOLD | VA_COLOR(VC_YELLOW) : VA_DIM, sel ? '=' : '-', title);
    struct viz_surf inner = viz_surf_sub(s, 1, 1, s->w - 2, s->h - 2);
    viz_panes[p].render(ui, &inner);
}

/* The walkthrough player: a lab's walkthrough (walkthrough.h) played in
 * the visualizer. The model hands every event of the kinds the stops look
 * at to reached_stop(), after the instruction that caused it; the current
 * stop's predicate says whether the run has arrived, and if so the run
 * pauses, the tour pane shows the stop's title and text, and the stop's
 * pane is brought forward. */
#include <stdlib.h>

#include "viz_ui.h"
#include "walkthrough.h"

struct viz_tour {
    struct walkthrough *w;
    struct viz_ui *ui;
    size_t next; /* the stop the run is looking for */
};

struct viz_tour *viz_tour_load(const char *path, char *err, size_t errlen)
{
    struct viz_tour *t = calloc(1, sizeof(*t));
    if (!t) {
        snprintf(err, errlen, "out of memory loading %s", path);
        return NULL;
    }
    t->w = walkthrough_load(path, err, errlen);
    if (!t->w) {
        free(t);
        return NULL;
    }
    return t;
}

const char *viz_tour_image(const struct viz_tour *t)
{
    return walkthrough_image(t->w);
}

uint64_t viz_tour_mem(const struct viz_tour *t)
{
    return walkthrough_mem(t->w);
}

static void show(struct viz_tour *t, const struct walkthrough_stop *stop)
{
    struct viz_tour_view *view = &t->ui->tour;
    view->shown = ++t->next;
    view->title = stop->title;
    view->text = stop->text;
    view->finished = t->next == view->count;
    t->ui->selected = (enum viz_pane)stop->pane;
}

/* The model's hook: has the run reached the next stop with `ev`? */
static bool reached_stop(void *ctx, const struct trace_event *ev)
{
    struct viz_tour *t = ctx;
    struct viz_tour_view *view = &t->ui->tour;
    if (t->next >= view->count || view->error[0])
        return false;
    const struct walkthrough_stop *stop = walkthrough_stop(t->w, t->next);
    if (!(stop->kinds & TRACE_BIT(ev->kind)))
        return false;
    int r = walkthrough_match(t->w, t->next, ev, t->ui->v->vm, view->error, sizeof(view->error));
    if (r < 0)
        return true;
    if (r > 0)
        show(t, stop);
    return r > 0;
}

void viz_tour_attach(struct viz_tour *t, struct viz_ui *ui)
{
    t->ui = ui;
    t->next = 0;
    ui->tour = (struct viz_tour_view){ .active = true, .name = walkthrough_title(t->w),
                                       .count = walkthrough_count(t->w) };
    ui->selected = VIZ_PANE_TOUR;
    struct viz *v = ui->v;
    v->hook = reached_stop;
    v->hook_ctx = t;
    v->hook_kinds = walkthrough_kinds(t->w);
}

void viz_tour_free(struct viz_tour *t)
{
    if (!t)
        return;
    walkthrough_free(t->w);
    free(t);
}

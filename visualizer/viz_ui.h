/* The visualizer's user interface, independent of the terminal: panes and
 * their layout, keys and what they do, prompts, the run in slices.
 *
 * A front end (viz_term.c with ncurses, viz_headless.c from a key script)
 * owns a grid and a loop:
 *
 *     viz_ui_key(ui, key)        for each key (VK_* or a character)
 *     while (viz_ui_running(ui))  viz_ui_tick(ui)  — one bounded slice;
 *                                 check for a key in between (p pauses)
 *     viz_ui_render(ui, grid)    draw everything at the grid's size
 *
 * Panes are a table (viz_panes.c): a name, a title and a render function
 * drawing the model into a rectangle of the grid. Later labs add panes by
 * adding rows (lab 4: VMX root/non-root and the two-dimensional EPT walk;
 * lab 2: shadow page-table syncs); the layout places the ones it knows and
 * the rest are reached with Tab and zoom.
 */
#ifndef VLAB_VIZ_UI_H
#define VLAB_VIZ_UI_H

#include "viz.h"
#include "viz_grid.h"
#include "walkthrough.h"

/* The panes: the five a walkthrough stop can bring forward (walkthrough.h's
 * list, in its order, so a stop's pane is one of ours), then our own. */
enum viz_pane {
#define X(upper, lower) VIZ_PANE_##upper,
    WALK_PANE_LIST(X)
#undef X
    VIZ_PANE_TOUR, /* the walkthrough's text */
    VIZ_PANE_COUNT
};

/* Keys beyond characters. */
enum viz_key {
    VK_ENTER = 0x100, VK_TAB, VK_BTAB, VK_UP, VK_DOWN, VK_LEFT, VK_RIGHT, VK_PGUP, VK_PGDN,
    VK_HOME, VK_END, VK_ESC, VK_BACKSPACE, VK_RESIZE,
};

enum viz_prompt { PROMPT_NONE, PROMPT_ADDR, PROMPT_TEXT, PROMPT_KIND };

/* What the walkthrough player (viz_walk.c) shows in the tour pane. */
struct viz_tour_view {
    bool active;          /* a walkthrough is loaded */
    const char *name;     /* its title */
    size_t count;         /* stops */
    size_t shown;         /* stops reached so far; the one shown is shown - 1 */
    const char *title;    /* the stop shown, NULL before the first */
    const char *text;
    bool finished;        /* every stop reached */
    char error[256];      /* a predicate's error: playing stopped */
};

struct viz_ui {
    struct viz *v;
    const char *image;          /* for the status bar */
    enum viz_pane selected;
    bool zoom, help, quit;

    uint64_t log_cursor;        /* absolute index of the selected log event */
    bool log_follow;            /* the cursor stays on the newest event */
    int console_scroll;         /* lines up from the newest */
    int tour_scroll;            /* lines of the stop's text scrolled away */

    bool walk_pinned;           /* the walk pane shows `pinned`, not the last walk */
    struct mmu_walk pinned;
    uint64_t pinned_seq;

    enum viz_prompt prompt;
    char input[VIZ_TEXT_MAX];

    bool running;
    bool tour_run;              /* running to the next walkthrough stop */
    struct viz_goal goal;
    char goal_text[96];         /* "running to the next walk" */
    char message[200];          /* one line for the user, until the next key */

    struct viz_tour_view tour;
    uint64_t max_insns;         /* no run goes past this many instructions */
};

/* Instructions per slice: one at a time toward a goal, at full speed
 * without one. Between slices the front end looks for a key. */
#define VIZ_SLICE_STEPS 20000u
#define VIZ_SLICE_FREE 200000u

void viz_ui_init(struct viz_ui *ui, struct viz *v, const char *image);
void viz_ui_key(struct viz_ui *ui, int key);
bool viz_ui_running(const struct viz_ui *ui);
void viz_ui_tick(struct viz_ui *ui);
void viz_ui_render(struct viz_ui *ui, struct viz_grid *g);

/* Run to the next walkthrough stop (what space and n do while one plays). */
void viz_ui_next_stop(struct viz_ui *ui);

/* Panes (viz_panes.c). */
typedef void viz_render_fn(struct viz_ui *ui, const struct viz_surf *s);

struct viz_pane_desc {
    const char *name;     /* as --pane and walkthrough files spell it */
    const char *title;
    viz_render_fn *render;
};

extern const struct viz_pane_desc viz_panes[VIZ_PANE_COUNT];

/* The pane named `name`, or -1. */
int viz_pane_by_name(const char *name);

/* Draw pane `p` into `s`, framed (the selected one highlighted). */
void viz_pane_draw(struct viz_ui *ui, enum viz_pane p, const struct viz_surf *s);

/* The registers pane (viz_pane_regs.c). */
void viz_render_regs(struct viz_ui *ui, const struct viz_surf *s);

/* The help overlay's lines, NULL-terminated. */
extern const char *const viz_help_lines[];

/* ---- Front ends ------------------------------------------------------------------- */

/* The keys of a --keys script: characters as they are, and <name> for
 * enter tab btab up down left right pgup pgdn home end esc bs space lt (a
 * '<') resize, and dump (write the screen there). Returns the number of
 * keys, or -1 with one sentence in `err`. */
#define VK_DUMP 0x1ff /* not a key: write the screen */
int viz_parse_keys(const char *spec, int *keys, size_t max, char *err, size_t errlen);

struct viz_headless {
    const char *keys;      /* the script (--keys) */
    const char *dump;      /* where the screens go ("-": standard output) */
    int cols, rows;
    int pane;              /* a pane alone at full size, or -1: the whole screen */
    bool dump_each;        /* a screen after every key */
};

/* Play the key script without a terminal. Returns 0; or -1 with one
 * sentence in `err`. */
int viz_headless_main(struct viz_ui *ui, const struct viz_headless *h, char *err, size_t errlen);

/* The walkthrough player (viz_walk.c): load a walkthrough file (NULL with
 * one sentence in `err` when it does not load), the image and memory it
 * names, and attach it to a UI whose model is open: from then on every run
 * pauses at the next stop, whose text the tour pane shows. */
struct viz_tour;
struct viz_tour *viz_tour_load(const char *path, char *err, size_t errlen);
const char *viz_tour_image(const struct viz_tour *t);
uint64_t viz_tour_mem(const struct viz_tour *t);
void viz_tour_attach(struct viz_tour *t, struct viz_ui *ui);
void viz_tour_free(struct viz_tour *t);

/* The interactive program under ncurses. Returns 0; or -1 with one
 * sentence in `err` (no terminal). */
int viz_term_main(struct viz_ui *ui, char *err, size_t errlen);

#endif

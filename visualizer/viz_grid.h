/* A grid of characters with attributes: what every pane draws into.
 *
 * The panes never call ncurses. They draw into a `struct viz_grid` through
 * a `struct viz_surf` — a clipping rectangle of it — and the front ends
 * copy the grid out: viz_term.c to the terminal with colours or
 * bold/reverse/underline, viz_headless.c to a text file. So the same
 * drawing code is seen on screen and checked by the tests.
 *
 *   attribute byte:  7 .... 4 | 3   | 2         | 1       | 0
 *                    colour   | dim | underline | reverse | bold
 */
#ifndef VLAB_VIZ_GRID_H
#define VLAB_VIZ_GRID_H

#include <stdint.h>
#include <stdio.h>

#define VA_BOLD 0x01u
#define VA_REVERSE 0x02u
#define VA_UNDERLINE 0x04u
#define VA_DIM 0x08u
#define VA_COLOR(c) ((unsigned)(c) << 4)
#define VA_COLOR_OF(a) (((a) >> 4) & 0xfu)

/* Colours, by what they mean on screen. */
enum viz_color {
    VC_NONE,
    VC_RED,     /* faults, not present */
    VC_GREEN,   /* the offset part of an address; user mode */
    VC_YELLOW,  /* the directory index; the selected pane */
    VC_BLUE,
    VC_MAGENTA, /* kernel mode */
    VC_CYAN,    /* the table index; titles */
    VC_COUNT
};

struct viz_cell {
    char ch;
    uint8_t attr;
};

struct viz_grid {
    int cols, rows;
    struct viz_cell *cell;
};

/* A rectangle of a grid; drawing outside it is clipped. */
struct viz_surf {
    struct viz_grid *g;
    int x, y, w, h;
};

/* Returns 0 or -ENOMEM. */
int viz_grid_init(struct viz_grid *g, int cols, int rows);
void viz_grid_free(struct viz_grid *g);
void viz_grid_clear(struct viz_grid *g);

/* The whole grid, and a rectangle inside `s` (clipped to it). */
struct viz_surf viz_surf_of(struct viz_grid *g);
struct viz_surf viz_surf_sub(const struct viz_surf *s, int x, int y, int w, int h);

/* Draw text at (x, y) of `s`; returns the column after it. Control
 * characters are shown as '.'. */
int viz_put(const struct viz_surf *s, int x, int y, unsigned attr, const char *text);
int viz_printf(const struct viz_surf *s, int x, int y, unsigned attr, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Set the attribute of `n` cells from (x, y), keeping their characters. */
void viz_paint(const struct viz_surf *s, int x, int y, int n, unsigned attr);
/* Fill the whole of `s` with blanks of `attr`. */
void viz_fill(const struct viz_surf *s, unsigned attr);
/* A frame around `s` with `title` in its top edge; the top and bottom edges
 * are drawn with `edge` ('-', or '=' for the selected pane). */
void viz_box(const struct viz_surf *s, unsigned attr, char edge, const char *title);

/* The grid as text: one line per row, trailing blanks removed. */
void viz_grid_dump(const struct viz_grid *g, FILE *f);

#endif

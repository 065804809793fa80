/* The character grid the panes draw into (viz_grid.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "viz_grid.h"

int viz_grid_init(struct viz_grid *g, int cols, int rows)
{
    g->cell = calloc((size_t)cols * (size_t)rows, sizeof(*g->cell));
    if (!g->cell)
        return -ENOMEM;
    g->cols = cols;
    g->rows = rows;
    viz_grid_clear(g);
    return 0;
}

void viz_grid_free(struct viz_grid *g)
{
    free(g->cell);
    g->cell = NULL;
    g->cols = g->rows = 0;
}

void viz_grid_clear(struct viz_grid *g)
{
    for (int k = 0; k < g->cols * g->rows; k++)
        g->cell[k] = (struct viz_cell){ ' ', 0 };
}

struct viz_surf viz_surf_of(struct viz_grid *g)
{
    return (struct viz_surf){ g, 0, 0, g->cols, g->rows };
}

static int clamp(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

struct viz_surf viz_surf_sub(const struct viz_surf *s, int x, int y, int w, int h)
{
    int x0 = clamp(x, 0, s->w), y0 = clamp(y, 0, s->h);
    int x1 = clamp(x + w, x0, s->w), y1 = clamp(y + h, y0, s->h);
    return (struct viz_surf){ s->g, s->x + x0, s->y + y0, x1 - x0, y1 - y0 };
}

static struct viz_cell *cell_at(const struct viz_surf *s, int x, int y)
{
    if (x < 0 || y < 0 || x >= s->w || y >= s->h)
        return NULL;
    return &s->g->cell[(s->y + y) * s->g->cols + s->x + x];
}

int viz_put(const struct viz_surf *s, int x, int y, unsigned attr, const char *text)
{
    for (; *text; text++, x++) {
        struct viz_cell *c = cell_at(s, x, y);
        unsigned char ch = (unsigned char)*text;
        if (c)
            *c = (struct viz_cell){ (char)(ch < 0x20 || ch >= 0x7f ? '.' : ch), (uint8_t)attr };
    }
    return x;
}

int viz_printf(const struct viz_surf *s, int x, int y, unsigned attr, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return viz_put(s, x, y, attr, buf);
}

void viz_paint(const struct viz_surf *s, int x, int y, int n, unsigned attr)
{
    for (int k = 0; k < n; k++) {
        struct viz_cell *c = cell_at(s, x + k, y);
        if (c)
            c->attr = (uint8_t)attr;
    }
}

void viz_fill(const struct viz_surf *s, unsigned attr)
{
    for (int y = 0; y < s->h; y++)
        for (int x = 0; x < s->w; x++)
            *cell_at(s, x, y) = (struct viz_cell){ ' ', (uint8_t)attr };
}

void viz_box(const struct viz_surf *s, unsigned attr, char edge, const char *title)
{
    if (s->w < 2 || s->h < 2)
        return;
    for (int x = 1; x < s->w - 1; x++) {
        *cell_at(s, x, 0) = (struct viz_cell){ edge, (uint8_t)attr };
        *cell_at(s, x, s->h - 1) = (struct viz_cell){ edge, (uint8_t)attr };
    }
    for (int y = 1; y < s->h - 1; y++) {
        *cell_at(s, 0, y) = (struct viz_cell){ '|', (uint8_t)attr };
        *cell_at(s, s->w - 1, y) = (struct viz_cell){ '|', (uint8_t)attr };
    }
    int corners[4][2] = { { 0, 0 }, { s->w - 1, 0 }, { 0, s->h - 1 }, { s->w - 1, s->h - 1 } };
    for (int k = 0; k < 4; k++)
        *cell_at(s, corners[k][0], corners[k][1]) = (struct viz_cell){ '+', (uint8_t)attr };
    if (title && *title) {
        struct viz_surf top = viz_surf_sub(s, 2, 0, s->w - 4, 1);
        viz_printf(&top, 0, 0, attr, " %s ", title);
    }
}

void viz_grid_dump(const struct viz_grid *g, FILE *f)
{
    for (int y = 0; y < g->rows; y++) {
        const struct viz_cell *row = &g->cell[y * g->cols];
        int end = g->cols;
        while (end > 0 && row[end - 1].ch == ' ')
            end--;
        for (int x = 0; x < end; x++)
            fputc(row[x].ch, f);
        fputc('\n', f);
    }
}

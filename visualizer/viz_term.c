/* vlab viz in a terminal: the grid drawn with ncurses, keys read with
 * getch. While a run goes on, keys are read without waiting between
 * slices, so p pauses and q quits whatever the guest does. */
#include <curses.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "viz_ui.h"

/* Colour pairs are numbered by enum viz_color. */
static const short curses_colors[VC_COUNT] = {
    [VC_RED] = COLOR_RED, [VC_GREEN] = COLOR_GREEN, [VC_YELLOW] = COLOR_YELLOW,
    [VC_BLUE] = COLOR_BLUE, [VC_MAGENTA] = COLOR_MAGENTA, [VC_CYAN] = COLOR_CYAN,
};

/* Without colours, each colour becomes an attribute that still sets the
 * text apart: faults stand out most. */
static const attr_t mono_attrs[VC_COUNT] = {
    [VC_RED] = A_BOLD | A_UNDERLINE, [VC_YELLOW] = A_UNDERLINE, [VC_CYAN] = A_BOLD,
};

static bool colors;

static void setup_colors(void)
{
    colors = has_colors();
    if (!colors)
        return;
    start_color();
    use_default_colors();
    for (short c = 1; c < VC_COUNT; c++)
        init_pair(c, curses_colors[c], -1);
}

static attr_t curses_attr(unsigned a)
{
    attr_t out = A_NORMAL;
    if (a & VA_BOLD)
        out |= A_BOLD;
    if (a & VA_REVERSE)
        out |= A_REVERSE;
    if (a & VA_UNDERLINE)
        out |= A_UNDERLINE;
    if (a & VA_DIM)
        out |= A_DIM;
    unsigned c = VA_COLOR_OF(a);
    if (c && c < VC_COUNT)
        out |= colors ? COLOR_PAIR(c) : mono_attrs[c];
    return out;
}

static void blit(const struct viz_grid *g)
{
    for (int y = 0; y < g->rows && y < LINES; y++) {
        move(y, 0);
        for (int x = 0; x < g->cols && x < COLS; x++) {
            const struct viz_cell *c = &g->cell[y * g->cols + x];
            /* Writing the bottom-right cell scrolls some terminals: skip it. */
            if (y == LINES - 1 && x == COLS - 1)
                break;
            addch((chtype)(unsigned char)c->ch | curses_attr(c->attr));
        }
    }
    refresh();
}

static const struct {
    int curses;
    int key;
} key_map[] = {
    { KEY_ENTER, VK_ENTER }, { '\n', VK_ENTER }, { '\r', VK_ENTER }, { '\t', VK_TAB },
    { KEY_BTAB, VK_BTAB }, { KEY_UP, VK_UP }, { KEY_DOWN, VK_DOWN }, { KEY_LEFT, VK_LEFT },
    { KEY_RIGHT, VK_RIGHT }, { KEY_PPAGE, VK_PGUP }, { KEY_NPAGE, VK_PGDN }, { KEY_HOME, VK_HOME },
    { KEY_END, VK_END }, { 27, VK_ESC }, { KEY_BACKSPACE, VK_BACKSPACE }, { 127, VK_BACKSPACE },
    { 8, VK_BACKSPACE }, { KEY_RESIZE, VK_RESIZE },
};

/* A curses key as ours; -1 for one we do not use. */
static int map_key(int ch)
{
    for (size_t k = 0; k < VLAB_ARRAY_SIZE(key_map); k++)
        if (key_map[k].curses == ch)
            return key_map[k].key;
    return ch >= 0x20 && ch < 0x7f ? ch : -1;
}

/* Keep the grid the size of the terminal. */
static int fit(struct viz_grid *g)
{
    if (g->cell && g->cols == COLS && g->rows == LINES)
        return 0;
    viz_grid_free(g);
    return viz_grid_init(g, COLS > 1 ? COLS : 1, LINES > 1 ? LINES : 1);
}

int viz_term_main(struct viz_ui *ui, char *err, size_t errlen)
{
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        snprintf(err, errlen, "the visualizer needs a terminal (or use --headless with --keys)");
        return -1;
    }
    if (!getenv("ESCDELAY"))
        set_escdelay(25);
    if (!initscr()) {
        snprintf(err, errlen, "cannot set up the terminal (is TERM right?)");
        return -1;
    }
    cbreak();
    noecho();
    keypad(stdscr, TRUE);
    curs_set(0);
    setup_colors();
    struct viz_grid g = { 0 };
    int rc = 0;
    while (!ui->quit) {
        if (fit(&g) != 0) {
            snprintf(err, errlen, "no memory for a %dx%d screen", COLS, LINES);
            rc = -1;
            break;
        }
        viz_ui_render(ui, &g);
        blit(&g);
        nodelay(stdscr, viz_ui_running(ui));
        int ch = getch();
        if (ch != ERR) {
            int key = map_key(ch);
            if (key >= 0)
                viz_ui_key(ui, key);
        } else if (viz_ui_running(ui)) {
            viz_ui_tick(ui);
        }
    }
    endwin();
    viz_grid_free(&g);
    return rc;
}

/* vlab viz --headless: the same keys and screens without a terminal. A key
 * script (--keys) is played through viz_ui_key(), and the screens are
 * written as plain text, for the tests and for anyone who wants to see a
 * screen in a file.
 *
 * Runs behave as in the terminal, where a key is looked for between
 * slices: a run toward a goal (s, n, e, g ...) goes on until it gets
 * there, whatever keys follow; only c, which has no goal, looks at the
 * next key of the script — when it pauses (p, space, Esc) c runs one
 * slice (VIZ_SLICE_FREE instructions) and pauses, else it runs until the
 * guest stops. So a script gives the same screens every time. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "viz_ui.h"

static const struct {
    const char *name;
    int key;
} key_names[] = {
    { "enter", VK_ENTER }, { "tab", VK_TAB }, { "btab", VK_BTAB }, { "up", VK_UP }, { "down", VK_DOWN },
    { "left", VK_LEFT }, { "right", VK_RIGHT }, { "pgup", VK_PGUP }, { "pgdn", VK_PGDN },
    { "home", VK_HOME }, { "end", VK_END }, { "esc", VK_ESC }, { "bs", VK_BACKSPACE },
    { "space", ' ' }, { "lt", '<' }, { "resize", VK_RESIZE }, { "dump", VK_DUMP },
};

static int key_by_name(const char *name, size_t len)
{
    for (size_t k = 0; k < VLAB_ARRAY_SIZE(key_names); k++)
        if (strlen(key_names[k].name) == len && !strncmp(key_names[k].name, name, len))
            return key_names[k].key;
    return -1;
}

int viz_parse_keys(const char *spec, int *keys, size_t max, char *err, size_t errlen)
{
    size_t n = 0;
    for (const char *p = spec; *p; p++) {
        int key = (unsigned char)*p;
        if (*p == '<') {
            const char *end = strchr(p, '>');
            if (!end) {
                snprintf(err, errlen, "--keys: '<' at \"%.20s\" has no closing '>' (write <lt> for a '<')", p);
                return -1;
            }
            key = key_by_name(p + 1, (size_t)(end - p - 1));
            if (key < 0) {
                snprintf(err, errlen, "--keys: unknown key <%.*s> (known: enter tab btab up down left right "
                         "pgup pgdn home end esc bs space lt resize dump)", (int)(end - p - 1), p + 1);
                return -1;
            }
            p = end;
        } else if (key < 0x20 || key >= 0x7f) {
            snprintf(err, errlen, "--keys: character 0x%02x is not a key; name keys like <enter>", key);
            return -1;
        }
        if (n == max) {
            snprintf(err, errlen, "--keys: more than %zu keys", max);
            return -1;
        }
        keys[n++] = key;
    }
    return (int)n;
}

static bool pauses(int key)
{
    return key == 'p' || key == ' ' || key == VK_ESC;
}

/* Run as the terminal would, looking at `next` (the script's next key, or
 * -1) only for c. */
static void run(struct viz_ui *ui, int next)
{
    if (ui->goal.kind == VIZ_GOAL_FREE && !ui->tour_run && pauses(next)) {
        viz_ui_tick(ui);
        return;
    }
    while (viz_ui_running(ui))
        viz_ui_tick(ui);
}

struct screens {
    FILE *f;
    struct viz_grid g;
    int pane;
    unsigned n;
};

static void dump(struct viz_ui *ui, struct screens *s)
{
    if (s->pane >= 0) {
        viz_grid_clear(&s->g);
        struct viz_surf all = viz_surf_of(&s->g);
        viz_pane_draw(ui, (enum viz_pane)s->pane, &all);
    } else {
        viz_ui_render(ui, &s->g);
    }
    fprintf(s->f, "=== screen %u ===\n", ++s->n);
    viz_grid_dump(&s->g, s->f);
}

#define KEYS_MAX 4096

int viz_headless_main(struct viz_ui *ui, const struct viz_headless *h, char *err, size_t errlen)
{
    int *keys = malloc(KEYS_MAX * sizeof(*keys));
    struct screens s = { .pane = h->pane };
    int n = keys ? viz_parse_keys(h->keys ? h->keys : "", keys, KEYS_MAX, err, errlen) : -1;
    int rc = -1;
    if (n < 0)
        goto out;
    if (viz_grid_init(&s.g, h->cols, h->rows) != 0) {
        snprintf(err, errlen, "no memory for a %dx%d screen", h->cols, h->rows);
        goto out;
    }
    s.f = strcmp(h->dump, "-") ? fopen(h->dump, "w") : stdout;
    if (!s.f) {
        snprintf(err, errlen, "cannot write the screens to %s: %s", h->dump, strerror(errno));
        goto out;
    }
    for (int k = 0; k < n && !ui->quit; k++) {
        if (keys[k] == VK_DUMP) {
            dump(ui, &s);
            continue;
        }
        viz_ui_key(ui, keys[k]);
        run(ui, k + 1 < n ? keys[k + 1] : -1);
        if (h->dump_each)
            dump(ui, &s);
    }
    if (!h->dump_each)
        dump(ui, &s);
    rc = 0;
    if ((s.f != stdout && fclose(s.f) != 0) || (s.f == stdout && fflush(stdout) != 0)) {
        snprintf(err, errlen, "cannot write the screens to %s", h->dump);
        rc = -1;
    }
out:
    viz_grid_free(&s.g);
    free(keys);
    return rc;
}

/* vlab viz: boot a kernel and watch it run, in a terminal (ncurses) or,
 * with --headless, from a key script with the screens written as text.
 * The model, the panes and the keys are in visualizer/viz*.c. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "viz_ui.h"

static const char viz_usage[] =
    "usage: vlab viz [--engine emu] [--mem SIZE] [--cmdline TEXT] [--module 'FILE ARGS']\n"
    "                [--max-insns N] [--headless --keys KEYS [--screen-dump FILE] [--size COLSxROWS]\n"
    "                [--dump-each] [--pane NAME]] [--walkthrough FILE] IMAGE\n"
    "  Boot the Multiboot ELF kernel IMAGE paused at its first instruction and show\n"
    "  the machine: the CPL over time (rings), the last page walk, a log of events,\n"
    "  registers with the code at EIP, and the guest's console. Press ? for the keys:\n"
    "  s steps, n runs to the next event, c runs, p pauses, q quits.\n"
    "  --engine emu     how the guest runs (emu: full emulation; the only engine yet)\n"
    CLI_MEM_HELP
    "  --cmdline TEXT   the kernel command line (default: the image path)\n"
    "  --module 'FILE ARGS'  a Multiboot module (repeatable, at most 16)\n"
    "  --max-insns N    no run goes past N instructions (default 10000000000)\n"
    "  --walkthrough FILE  play a lab's walkthrough (labs/NN-name/walkthrough.lua):\n"
    "                   space or n runs to its next stop and explains it; IMAGE and\n"
    "                   --mem default to the ones the walkthrough names\n"
    "  --headless       no terminal: play the keys of --keys, then write the screen\n"
    "  --keys KEYS      the keys, as typed: 's', 'n', 'g0x100000<enter>' ...; named keys\n"
    "                   <enter> <tab> <btab> <up> <down> <left> <right> <pgup> <pgdn>\n"
    "                   <home> <end> <esc> <bs> <space> <lt> (a '<'), and <dump> to\n"
    "                   write the screen at that point\n"
    "  --screen-dump FILE  where the screens go as text (default '-': standard output),\n"
    "                   each after a line '=== screen N ==='\n"
    "  --size COLSxROWS the headless screen (default 120x40)\n"
    "  --dump-each      a screen after every key\n"
    "  --pane NAME      only this pane, at the whole screen's size: rings, walk, log,\n"
    "                   regs, console, tour\n"
    "  Exit status: 0; 2 for bad options, an image that does not load or no terminal.\n";

struct viz_opts {
    uint64_t ram, max;
    const char *cmdline, *image;
    const char *modules[VM_MAX_MODULES];
    unsigned nmodules;
    bool headless;
    struct viz_headless h;
    bool headless_only; /* an option that needs --headless was given */
    bool mem_given;
    const char *walkthrough;
};

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "vlab viz: ");
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    return EXIT_USAGE;
}

static bool parse_size(const char *s, int *cols, int *rows)
{
    char x;
    int c, r, used = 0;
    if (sscanf(s, "%d%c%d%n", &c, &x, &r, &used) != 3 || (size_t)used != strlen(s) || x != 'x')
        return false;
    if (c < 20 || c > 1000 || r < 5 || r > 500)
        return false;
    *cols = c;
    *rows = r;
    return true;
}

/* One option into *o. Returns -1 when it is good, else the exit status. */
static int option(int c, struct viz_opts *o)
{
    switch (c) {
    case 'e':
        if (strcmp(optarg, "emu") != 0)
            return usage_error("unknown engine '%s' (available: emu)", optarg);
        break;
    case 'm':
        if (!cli_parse_mem("viz", optarg, &o->ram))
            return EXIT_USAGE;
        o->mem_given = true;
        break;
    case 'n':
        if (!cli_parse_size(optarg, &o->max) || o->max == 0)
            return usage_error("--max-insns wants a positive count, not '%s'", optarg);
        break;
    case 'c': o->cmdline = optarg; break;
    case 'M':
        if (o->nmodules == VM_MAX_MODULES)
            return usage_error("at most %s modules can be passed", "16");
        o->modules[o->nmodules++] = optarg;
        break;
    case 'H': o->headless = true; break;
    case 'w': o->walkthrough = optarg; break;
    case 'k': o->h.keys = optarg; o->headless_only = true; break;
    case 'd': o->h.dump = optarg; o->headless_only = true; break;
    case 'E': o->h.dump_each = true; o->headless_only = true; break;
    case 's':
        o->headless_only = true;
        if (!parse_size(optarg, &o->h.cols, &o->h.rows))
            return usage_error("--size wants COLSxROWS, from 20x5 to 1000x500, like 120x40, not '%s'", optarg);
        break;
    case 'p':
        o->headless_only = true;
        o->h.pane = viz_pane_by_name(optarg);
        if (o->h.pane < 0)
            return usage_error("--pane: no pane '%s' (rings, walk, log, regs, console, tour)", optarg);
        break;
    case 'h': fputs(viz_usage, stdout); return 0;
    default: fputs(viz_usage, stderr); return EXIT_USAGE;
    }
    return -1;
}

/* Parse the options into *o. Returns -1 when they are good, else the exit
 * status to leave with (0 after --help). */
static int parse(int argc, char **argv, struct viz_opts *o)
{
    static const struct option opts[] = {
        { "engine", required_argument, NULL, 'e' }, { "mem", required_argument, NULL, 'm' },
        { "max-insns", required_argument, NULL, 'n' }, { "cmdline", required_argument, NULL, 'c' },
        { "module", required_argument, NULL, 'M' }, { "headless", no_argument, NULL, 'H' },
        { "keys", required_argument, NULL, 'k' }, { "screen-dump", required_argument, NULL, 'd' },
        { "size", required_argument, NULL, 's' }, { "dump-each", no_argument, NULL, 'E' },
        { "pane", required_argument, NULL, 'p' }, { "walkthrough", required_argument, NULL, 'w' },
        { "help", no_argument, NULL, 'h' },
        { 0, 0, 0, 0 },
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        int status = option(c, o);
        if (status >= 0)
            return status;
    }
    if (o->walkthrough && optind == argc)
        return -1; /* the walkthrough names the image */
    if (optind != argc - 1) {
        if (optind == argc)
            fprintf(stderr, "vlab viz: which kernel? Name the IMAGE to boot (see vlab viz --help)\n");
        else
            fprintf(stderr, "vlab viz: one IMAGE only, not '%s' and more (see vlab viz --help)\n", argv[optind]);
        return EXIT_USAGE;
    }
    o->image = argv[optind];
    return -1;
}

/* --walkthrough: load it, and take the image and memory it names unless
 * given. Returns 0 or EXIT_USAGE after saying why. */
static int load_tour(struct viz_opts *o, struct viz_tour **tour)
{
    char err[512];
    *tour = viz_tour_load(o->walkthrough, err, sizeof(err));
    if (!*tour) {
        fprintf(stderr, "vlab viz: %s\n", err);
        return EXIT_USAGE;
    }
    if (!o->image)
        o->image = viz_tour_image(*tour);
    if (!o->image) {
        fprintf(stderr, "vlab viz: %s names no image: name the IMAGE to boot\n", o->walkthrough);
        return EXIT_USAGE;
    }
    if (!o->mem_given && viz_tour_mem(*tour))
        o->ram = viz_tour_mem(*tour);
    return 0;
}

int cmd_viz(int argc, char **argv)
{
    struct viz_opts o = { .ram = 64u << 20, .max = 10000000000ull,
                          .h = { .dump = "-", .cols = 120, .rows = 40, .pane = -1 } };
    int status = parse(argc, argv, &o);
    if (status >= 0)
        return status;
    if (o.headless_only && !o.headless)
        return usage_error("%s", "--keys, --screen-dump, --size, --dump-each and --pane go with --headless");

    char err[512];
    struct viz_tour *tour = NULL;
    struct viz *v = malloc(sizeof(*v));
    struct viz_ui *ui = malloc(sizeof(*ui));
    status = EXIT_USAGE;
    if (o.walkthrough && load_tour(&o, &tour) != 0)
        goto out;
    if (!v || !ui) {
        fprintf(stderr, "vlab viz: out of memory\n");
        goto out;
    }
    if (viz_open(v, o.ram, o.image, o.cmdline, o.modules, o.nmodules, err, sizeof(err)) != 0) {
        fprintf(stderr, "vlab viz: %s\n", err);
        goto out;
    }
    viz_ui_init(ui, v, o.image);
    ui->max_insns = o.max;
    if (tour)
        viz_tour_attach(tour, ui);
    int rc = o.headless ? viz_headless_main(ui, &o.h, err, sizeof(err)) : viz_term_main(ui, err, sizeof(err));
    if (rc != 0)
        fprintf(stderr, "vlab viz: %s\n", err);
    else
        status = 0;
    viz_close(v);
out:
    viz_tour_free(tour);
    free(v);
    free(ui);
    return status;
}

/* vlab pt: boot a kernel, stop at a chosen point of the run and draw the
 * guest's page tables there (visualizer/pt.h) as DOT, SVG or PNG.
 *
 * The point is an instruction count or the Nth event of a kind from the
 * trace (vlab/trace.h). An event's point is caught inside the trace sink,
 * so the snapshot shows memory and CR3 exactly as they were when the event
 * happened; the run stops soon after. The same sink keeps the last page
 * walk through each page directory, so the picture can show the walk. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vlab/trace.h"
#include "vlab/vm.h"

#include "cli.h"
#include "pt.h"

static const char pt_usage[] =
    "usage: vlab pt [--at POINT] -o FILE [--max-insns N] [--mem SIZE] [--cmdline TEXT] IMAGE\n"
    "  Boot the Multiboot ELF kernel IMAGE as 'vlab run' does, stop at POINT and draw\n"
    "  the page tables CR3 points to there: page directory -> page tables -> frames,\n"
    "  runs of like entries collapsed into one row, supervisor/user and read-only/\n"
    "  read-write shown, the last page walk through that directory in red.\n"
    "  -o, --output FILE  the picture; its extension picks the format: .dot (Graphviz\n"
    "                     source, not laid out), .svg or .png\n"
    "  --at POINT         where in the run (default: the end of the run):\n"
    "                       insns=N            after N instructions\n"
    "                       event=KIND[:ARG][#N]  when the Nth (default 1st) event of\n"
    "                                          KIND matching ARG happens:\n"
    "                         ring[:CPL]         a switch to ring CPL (event=ring:3#2)\n"
    "                         exception[:VEC]    an exception or INT n (event=exception:14)\n"
    "                         interrupt[:VEC]    an external interrupt\n"
    "                         walk[:ADDR]        a page walk (of the page holding ADDR)\n"
    "                         tlb_flush[:ADDR]   a TLB flush (INVLPG of ADDR's page)\n"
    "                         pio[:PORT]         a port access\n"
    "                         mmio[:ADDR]        an MMIO access\n"
    "                       numbers in decimal or 0x hex\n"
    "  --max-insns N      give up after N instructions (default 10000000000)\n"
    "  --mem SIZE         guest RAM, e.g. 64M (default 64M, at most 4G)\n"
    "  --cmdline TEXT     the kernel command line (default: the image path)\n"
    "  Exit status: 0 when the picture is written; 2 for bad options, an image that\n"
    "  does not load, a point the run never reaches, paging off at the point (there\n"
    "  are no page tables to draw) or a file that cannot be written.\n";

/* ---- Points: which event, matched how -------------------------------------------- */

typedef bool point_match_fn(const struct trace_event *ev, uint32_t arg);

static bool match_ring(const struct trace_event *ev, uint32_t cpl) { return ev->u.ring.to == cpl; }
static bool match_exception(const struct trace_event *ev, uint32_t v) { return ev->u.exception.vector == v; }
static bool match_interrupt(const struct trace_event *ev, uint32_t v) { return ev->u.interrupt.vector == v; }
static bool match_walk(const struct trace_event *ev, uint32_t a) { return (ev->u.walk.lin ^ a) < 0x1000u; }
static bool match_io(const struct trace_event *ev, uint32_t a) { return ev->u.io.addr == a; }

static bool match_flush(const struct trace_event *ev, uint32_t a)
{
    return ev->u.tlb_flush.page && (ev->u.tlb_flush.lin ^ a) < 0x1000u;
}

static const struct point_kind {
    const char *name;
    enum trace_kind kind;
    point_match_fn *match;
} point_kinds[] = {
    { "ring", TRACE_RING, match_ring },          { "exception", TRACE_EXCEPTION, match_exception },
    { "interrupt", TRACE_INTERRUPT, match_interrupt }, { "walk", TRACE_WALK, match_walk },
    { "tlb_flush", TRACE_TLB_FLUSH, match_flush }, { "pio", TRACE_PIO, match_io },
    { "mmio", TRACE_MMIO, match_io },
};

struct point {
    enum { AT_END, AT_INSNS, AT_EVENT } how;
    uint64_t insns;
    const struct point_kind *kind;
    bool has_arg;
    uint32_t arg;
    uint64_t nth; /* 1, 2, ... */
};

static bool parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s || *end || *s == '-')
        return false;
    *out = v;
    return true;
}

/* "KIND[:ARG][#N]" into *p. */
static bool parse_event(char *spec, struct point *p)
{
    uint64_t v;
    char *hash = strchr(spec, '#'), *colon = strchr(spec, ':');
    if (hash) {
        *hash = '\0';
        if (!parse_u64(hash + 1, &p->nth) || p->nth == 0)
            return false;
    }
    if (colon) {
        *colon = '\0';
        if (!parse_u64(colon + 1, &v) || v > UINT32_MAX)
            return false;
        p->has_arg = true;
        p->arg = (uint32_t)v;
    }
    for (size_t k = 0; k < VLAB_ARRAY_SIZE(point_kinds); k++)
        if (!strcmp(spec, point_kinds[k].name))
            p->kind = &point_kinds[k];
    return p->kind != NULL;
}

/* "insns=N", "event=SPEC" or "end" into *p. */
static bool parse_point(const char *text, struct point *p)
{
    char spec[128];
    *p = (struct point){ .how = AT_END, .nth = 1 };
    if (!strcmp(text, "end"))
        return true;
    if (!strncmp(text, "insns=", 6)) {
        p->how = AT_INSNS;
        return parse_u64(text + 6, &p->insns) && p->insns > 0;
    }
    if (strncmp(text, "event=", 6) || strlen(text + 6) >= sizeof(spec))
        return false;
    p->how = AT_EVENT;
    strcpy(spec, text + 6);
    return parse_event(spec, p);
}

/* ---- Options ------------------------------------------------------------------------ */

struct pt_opts {
    struct point at;
    const char *at_text, *output, *cmdline, *image;
    uint64_t max, ram;
};

static int usage_error(const char *what, const char *arg)
{
    fprintf(stderr, "vlab pt: %s%s%s\n", what, arg ? arg : "", arg ? "'" : "");
    return EXIT_USAGE;
}

/* Parse the options into *o. Returns -1 when they are good, else the exit
 * status to leave with (0 after --help). */
static int parse(int argc, char **argv, struct pt_opts *o)
{
    static const struct option opts[] = {
        { "at", required_argument, NULL, 'a' }, { "output", required_argument, NULL, 'o' },
        { "max-insns", required_argument, NULL, 'n' }, { "mem", required_argument, NULL, 'm' },
        { "cmdline", required_argument, NULL, 'c' }, { "help", no_argument, NULL, 'h' },
        { 0, 0, 0, 0 },
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
        switch (c) {
        case 'a':
            o->at_text = optarg;
            if (!parse_point(optarg, &o->at))
                return usage_error("--at wants insns=N, event=KIND[:ARG][#N] or end (see --help), not '", optarg);
            break;
        case 'o': o->output = optarg; break;
        case 'n':
            if (!cli_parse_size(optarg, &o->max) || o->max == 0)
                return usage_error("--max-insns wants a positive count, not '", optarg);
            break;
        case 'm':
            if (!cli_parse_size(optarg, &o->ram) || o->ram < (2u << 20) || o->ram > (4ull << 30))
                return usage_error("--mem wants a size between 2M and 4G, not '", optarg);
            break;
        case 'c': o->cmdline = optarg; break;
        case 'h': fputs(pt_usage, stdout); return 0;
        default: fputs(pt_usage, stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fputs(pt_usage, stderr);
        return EXIT_USAGE;
    }
    if (!o->output)
        return usage_error("which file? Name it with -o FILE.dot, .svg or .png", NULL);
    if (!pt_format_known(o->output))
        return usage_error("cannot tell the format of the output file: name it .dot, .svg or .png, not '",
                           o->output);
    o->image = argv[optind];
    return -1;
}

/* ---- The run ------------------------------------------------------------------------ */

#define WALK_DIRS 32 /* page directories whose last walk is kept */

struct catcher {
    struct vm *vm;
    const struct point *at;
    const char *at_text;       /* the point as the user wrote it */
    uint64_t seen;             /* matching events so far */
    bool taken;                /* the snapshot is in `snap` */
    int error;                 /* pt_snapshot_take() failed */
    struct pt_snapshot *snap;
    struct { uint32_t pd; uint64_t seq; struct mmu_walk w; } walks[WALK_DIRS];
    uint64_t last_walk_seq;
};

static void keep_walk(struct catcher *c, const struct trace_event *ev)
{
    uint32_t pd = (uint32_t)ev->u.walk.step[0].table;
    unsigned slot = 0;
    for (unsigned k = 0; k < WALK_DIRS; k++) {
        if (c->walks[k].seq && c->walks[k].pd == pd) {
            slot = k;
            break;
        }
        if (c->walks[k].seq < c->walks[slot].seq)
            slot = k;
    }
    c->walks[slot].pd = pd;
    c->walks[slot].seq = ev->seq;
    c->walks[slot].w = ev->u.walk;
    c->last_walk_seq = ev->seq;
}

/* Fill in the snapshot's walk (the last one through its directory) and
 * its point, described by `where`. */
static void finish_snapshot(struct catcher *c, const char *where)
{
    struct pt_snapshot *s = c->snap;
    uint32_t pd = s->cr3 & ~0xfffu;
    for (unsigned k = 0; k < WALK_DIRS; k++) {
        if (c->walks[k].seq && c->walks[k].pd == pd) {
            s->has_walk = true;
            s->walk = c->walks[k].w;
            s->walk_is_latest = c->walks[k].seq == c->last_walk_seq;
        }
    }
    snprintf(s->point, sizeof(s->point), "%s, after %" PRIu64 " instructions", where, s->icount);
}

static void take(struct catcher *c, const char *where)
{
    c->taken = true;
    c->error = pt_snapshot_take(c->snap, &c->vm->mem, &c->vm->cpu);
    finish_snapshot(c, where);
}

/* "at event=ring:3 (ring from=0 to=3 cause=iret eip=0x0010208d)": the
 * point as asked for, and the event's own text without its stamp (the
 * sequence number, vcpu and counts before the kind's name). */
static void describe(const struct trace_event *ev, const char *at_text, char *where, size_t len)
{
    char line[160];
    trace_format_text(ev, line, sizeof(line));
    const char *kind = strstr(line, trace_kind_name(ev->kind));
    kind = kind ? kind : line;
    int cut = strlen(kind) > 90 ? 87 : 90; /* a walk's steps are in the picture already */
    snprintf(where, len, "at %s (%.*s%s)", at_text, cut, kind, cut < 90 ? "..." : "");
}

static void sink(void *ctx, const struct trace_event *ev)
{
    struct catcher *c = ctx;
    if (ev->kind == TRACE_WALK)
        keep_walk(c, ev);
    const struct point *at = c->at;
    if (c->taken || at->how != AT_EVENT || ev->kind != at->kind->kind)
        return;
    if (at->has_arg && !at->kind->match(ev, at->arg))
        return;
    if (++c->seen < at->nth)
        return;
    char where[200];
    describe(ev, c->at_text, where, sizeof(where));
    take(c, where);
}

#define SLICE 1000000u /* instructions per vm_run() while waiting for an event */

/* Run to the point. Returns 0 with the snapshot taken, or EXIT_USAGE
 * after saying why not. */
static int run_to(struct catcher *c, const struct pt_opts *o)
{
    struct vm *vm = c->vm;
    const struct point *at = &o->at;
    uint64_t budget = at->how == AT_INSNS ? at->insns : o->max;
    enum vm_stop why = VM_STOP_BUDGET;
    while (!c->taken && vm->cpu.icount < budget) {
        uint64_t left = budget - vm->cpu.icount;
        why = vm_run(vm, at->how == AT_EVENT && left > SLICE ? SLICE : left);
        if (why != VM_STOP_BUDGET)
            break;
    }
    if (!c->taken && at->how == AT_INSNS && vm->cpu.icount < at->insns) {
        fprintf(stderr, "vlab pt: the run ended (%s) after %" PRIu64 " instructions, before %s\n",
                vm_stop_name(why), vm->cpu.icount, o->at_text);
        return EXIT_USAGE;
    }
    if (!c->taken && at->how == AT_EVENT) {
        fprintf(stderr, "vlab pt: the run ended (%s) after %" PRIu64 " instructions and %" PRIu64
                " matching events, before %s\n", vm_stop_name(why), vm->cpu.icount, c->seen, o->at_text);
        return EXIT_USAGE;
    }
    if (!c->taken) {
        char where[160];
        snprintf(where, sizeof(where), "at %s", at->how == AT_INSNS ? o->at_text : "the end of the run");
        take(c, where);
    }
    if (c->error) {
        fprintf(stderr, "vlab pt: out of memory copying the page tables\n");
        return EXIT_USAGE;
    }
    if (!(c->snap->cr0 & CR0_PG)) {
        fprintf(stderr, "vlab pt: paging is off there (CR0.PG = 0), so there are no page tables to draw "
                "(%s)\n", c->snap->point);
        return EXIT_USAGE;
    }
    return 0;
}

/* Boot the image, run to the point, draw. */
static int draw(const struct pt_opts *o, struct vm *vm, struct catcher *c)
{
    char err[512];
    if (vm_load_file(vm, o->image, o->cmdline, NULL, 0, err, sizeof(err)) != 0) {
        fprintf(stderr, "vlab pt: %s\n", err);
        return EXIT_USAGE;
    }
    uint32_t kinds = TRACE_BIT(TRACE_WALK) | (o->at.how == AT_EVENT ? TRACE_BIT(o->at.kind->kind) : 0);
    trace_subscribe(&vm->trace, kinds, sink, c);
    int status = run_to(c, o);
    if (status)
        return status;
    if (pt_write(c->snap, o->output, err, sizeof(err)) != 0) {
        fprintf(stderr, "vlab pt: %s\n", err);
        return EXIT_USAGE;
    }
    fprintf(stderr, "vlab pt: wrote %s: the page tables %s\n", o->output, c->snap->point);
    return 0;
}

int cmd_pt(int argc, char **argv)
{
    struct pt_opts o = { .at = { .how = AT_END, .nth = 1 }, .at_text = "end", .max = 10000000000ull,
                         .ram = 64u << 20 };
    int status = parse(argc, argv, &o);
    if (status >= 0)
        return status;

    struct vm *vm = malloc(sizeof(*vm));
    struct catcher *c = calloc(1, sizeof(*c));
    struct pt_snapshot *snap = calloc(1, sizeof(*snap));
    if (!vm || !c || !snap || vm_init(vm, o.ram, NULL) != 0) {
        fprintf(stderr, "vlab pt: cannot create a machine with %" PRIu64 " MiB of RAM\n", o.ram >> 20);
        free(vm);
        free(c);
        free(snap);
        return EXIT_USAGE;
    }
    *c = (struct catcher){ .vm = vm, .at = &o.at, .at_text = o.at_text, .snap = snap };
    status = draw(&o, vm, c);
    pt_snapshot_free(snap);
    vm_destroy(vm);
    free(vm);
    free(c);
    free(snap);
    return status;
}

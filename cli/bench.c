/* vlab bench: run the benchmark workloads on vlab's engines, check every
 * checksum against the host's, and compare with other emulators.
 *
 * The plan, in order:
 *   1. the checksum of each workload compiled for and run on the host;
 *   2. start-up: the empty guest (guests/empty) in this process on each
 *      engine, `vlab run` of it as a process (with the time of its first
 *      guest instruction), and the empty guest on each compared emulator;
 *   3. memory: the peak RSS of `vlab run` with a 64 MiB guest;
 *   4. each workload, N runs; in each run every engine, then every
 *      compared emulator, in turn, so that a slow phase of the machine
 *      does not fall on one of them alone. The medians go in the report.
 * Every run must end with exit status 1 and the host's checksum: a wrong
 * answer stops the benchmark with exit status 1.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "cli.h"

static const char bench_usage[] =
    "usage: vlab bench [--engine E]... [--workload W]... [--runs N] [--size S] [--mem SIZE]\n"
    "                  [--json FILE] [--compare qemu|bochs|kvm]... [--guests DIR]\n"
    "  Run the benchmark workloads on vlab and report, per engine and workload, the guest\n"
    "  instructions retired, host seconds (the median of the runs), guest MIPS, simulated\n"
    "  cycles, traps by kind and host ns per trap; with start-up time and peak memory.\n"
    "  Every run's checksum must equal the one the same workload gives compiled for\n"
    "  and run on the host.\n"
    "  --engine E       an engine to measure (repeatable or E1,E2; default all): emu\n"
    "  --workload W     a workload (repeatable or W1,W2; default all):\n"
    "                     compute    integer mix (a bare Multiboot guest, the same bytes everywhere)\n"
    "                     syscall    getpid() system calls of the teaching kernel\n"
    "                     pagefault  demand-zero and copy-on-write page faults\n"
    "                     io         port writes and reads of a device register\n"
    "                     switch     context switches between two processes\n"
    "  --runs N         runs of each (default 3; 1 to 99)\n"
    "  --size S         the work, as a fraction of the full size (default 1; e.g. 0.01)\n"
    CLI_MEM_HELP
    "  --json FILE      also write the report as JSON to FILE (docs/benchmarks.md: fields)\n"
    "  --compare T      also run each workload on T, alternating with vlab, and report\n"
    "                   vlab's time as a ratio of T's, raw and with each side's start-up\n"
    "                   (the empty guest) subtracted (repeatable or T1,T2):\n"
    "                     qemu   qemu-system-i386 -accel tcg\n"
    "                     bochs  Bochs, from a boot floppy made for it\n"
    "                     kvm    qemu-system-i386 -accel kvm (VT-x or AMD-V only)\n"
    "                   one that cannot run here is reported as SKIPPED, with the reason\n"
    "  --guests DIR     the built guests (default: $VLAB_BUILD/guests, else the folder\n"
    "                   'guests' next to this program)\n"
    "  Exit status: 0; 1 when a run failed or printed a wrong checksum; 2 for bad options.\n";

/* ---- progress, on a terminal only ------------------------------------------ */

static bool progress_on;

static void progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void progress(const char *fmt, ...)
{
    if (!progress_on)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("\r\033[Kvlab bench: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

static void progress_done(void)
{
    if (progress_on)
        fputs("\r\033[K", stderr);
}

/* ---- options --------------------------------------------------------------- */

struct options {
    const struct bench_engine *engines[BENCH_MAX_ENGINES];
    size_t nengines;
    const struct bench_workload *workloads[16];
    size_t nworkloads;
    const struct bench_target *targets[BENCH_MAX_TARGETS];
    size_t ntargets;
    unsigned runs;
    double size;
    uint64_t ram;
    const char *json;
    char guests[4096];
};

/* Add each name of the comma-separated LIST, looked up in a table of
 * NITEMS rows of STRIDE bytes whose first member is the name, to OUT
 * (no duplicates). False, after saying why, for an unknown name. */
static bool add_names(const char *option, const char *list, const void *table, size_t nitems, size_t stride,
                      const void **out, size_t *nout, size_t max)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save, *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
        const void *found = NULL;
        for (size_t k = 0; k < nitems && !found; k++) {
            const void *row = (const char *)table + k * stride;
            if (!strcmp(*(const char *const *)row, w))
                found = row;
        }
        if (!found) {
            fprintf(stderr, "vlab bench: unknown %s '%s' (available:", option, w);
            for (size_t k = 0; k < nitems; k++)
                fprintf(stderr, " %s", *(const char *const *)((const char *)table + k * stride));
            fprintf(stderr, ")\n");
            return false;
        }
        bool dup = false;
        for (size_t k = 0; k < *nout; k++)
            dup |= out[k] == found;
        if (!dup && *nout < max)
            out[(*nout)++] = found;
    }
    return true;
}

/* Where the guests are: $VLAB_BUILD/guests, else next to this program. */
static void default_guests(char *dir, size_t len)
{
    const char *build = getenv("VLAB_BUILD");
    if (build && *build) {
        snprintf(dir, len, "%.3900s/guests", build);
        return;
    }
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = '\0';
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = '\0';
    snprintf(dir, len, "%.3900s/guests", n > 0 ? self : "build");
}

/* Parse the options into *o; 0, or the exit status to leave with. */
static int parse_options(int argc, char **argv, struct options *o)
{
    static const struct option opts[] = {
        { "engine", required_argument, NULL, 'e' }, { "workload", required_argument, NULL, 'w' },
        { "runs", required_argument, NULL, 'r' }, { "size", required_argument, NULL, 's' },
        { "mem", required_argument, NULL, 'm' }, { "json", required_argument, NULL, 'j' },
        { "compare", required_argument, NULL, 'c' }, { "guests", required_argument, NULL, 'g' },
        { "help", no_argument, NULL, 'h' }, { 0, 0, 0, 0 },
    };
    memset(o, 0, sizeof *o);
    o->runs = 3;
    o->size = 1;
    o->ram = 64u << 20;
    default_guests(o->guests, sizeof o->guests);
    char *end;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'e':
            if (!add_names("engine", optarg, bench_engines, bench_nengines, sizeof bench_engines[0],
                           (const void **)o->engines, &o->nengines, BENCH_MAX_ENGINES))
                return EXIT_USAGE;
            break;
        case 'w':
            if (!add_names("workload", optarg, bench_workloads, bench_nworkloads, sizeof bench_workloads[0],
                           (const void **)o->workloads, &o->nworkloads, 16))
                return EXIT_USAGE;
            break;
        case 'c':
            if (!add_names("emulator to compare with", optarg, bench_targets, bench_ntargets,
                           sizeof bench_targets[0], (const void **)o->targets, &o->ntargets, BENCH_MAX_TARGETS))
                return EXIT_USAGE;
            break;
        case 'r': {
            errno = 0;
            unsigned long v = strtoul(optarg, &end, 10);
            if (errno || end == optarg || *end || *optarg == '-' || v < 1 || v > BENCH_MAX_RUNS) {
                fprintf(stderr, "vlab bench: --runs wants a count from 1 to %d, not '%s'\n", BENCH_MAX_RUNS, optarg);
                return EXIT_USAGE;
            }
            o->runs = (unsigned)v;
            break;
        }
        case 's':
            errno = 0;
            o->size = strtod(optarg, &end);
            if (errno || end == optarg || *end || !(o->size > 0 && o->size <= 100)) {
                fprintf(stderr, "vlab bench: --size wants a fraction of the full size above 0 and at most 100, "
                        "not '%s'\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'm':
            if (!cli_parse_mem("bench", optarg, &o->ram))
                return EXIT_USAGE;
            break;
        case 'j': o->json = optarg; break;
        case 'g': snprintf(o->guests, sizeof o->guests, "%s", optarg); break;
        case 'h': fputs(bench_usage, stdout); return 0;
        default: fputs(bench_usage, stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "vlab bench: unexpected argument '%s' (try 'vlab bench --help')\n", argv[optind]);
        return EXIT_USAGE;
    }
    for (size_t k = 0; !o->nengines && k < bench_nengines; k++)
        o->engines[k] = &bench_engines[k];
    o->nengines = o->nengines ? o->nengines : bench_nengines;
    for (size_t k = 0; !o->nworkloads && k < bench_nworkloads; k++)
        o->workloads[k] = &bench_workloads[k];
    o->nworkloads = o->nworkloads ? o->nworkloads : bench_nworkloads;
    return -1;
}

/* ---- the runs ---------------------------------------------------------------- */

static double median(const double *v, unsigned n)
{
    double s[BENCH_MAX_RUNS];
    memcpy(s, v, n * sizeof *v);
    for (unsigned i = 1; i < n; i++)
        for (unsigned j = i; j > 0 && s[j - 1] > s[j]; j--) {
            double t = s[j];
            s[j] = s[j - 1];
            s[j - 1] = t;
        }
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* Iterations of workload W at size S: at least one. */
static uint32_t iterations(const struct bench_workload *w, double size)
{
    double n = round(w->full * size);
    return n < 1 ? 1 : n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

/* The guest for IMAGE with command line CMDLINE; budget for N iterations
 * of PER instructions each. */
static void make_guest(struct bench_guest *g, const struct options *o, const char *image, const char *cmdline,
                       uint64_t n, uint64_t per)
{
    memset(g, 0, sizeof *g);
    g->guests = o->guests;
    snprintf(g->image, sizeof g->image, "%.3900s/%.100s", o->guests, image);
    snprintf(g->cmdline, sizeof g->cmdline, "%s", cmdline);
    g->ram = o->ram;
    g->max_insns = 100000000ull + n * per;
    g->timeout = 120 + (double)g->max_insns / 20e6; /* at 20 guest MIPS at least */
}

/* Check one sample: it must have exited with status 1 and printed `want`.
 * False after saying what went wrong. */
static bool check(const char *who, const char *workload, const struct bench_sample *s, uint32_t want)
{
    progress_done();
    if (s->status != 1) {
        fprintf(stderr, "vlab bench: %s, %s: the guest ended with status %d, not 1 (%s)\n", who, workload,
                s->status, s->status == -1 ? "it did not finish: budget or timeout" : "see its console");
        return false;
    }
    if (!s->have_checksum) {
        fprintf(stderr, "vlab bench: %s, %s: the guest printed no checksum\n", who, workload);
        return false;
    }
    if (s->checksum != want) {
        fprintf(stderr, "vlab bench: %s, %s: CHECKSUM MISMATCH: the guest printed %08" PRIx32
                ", the same code on the host computed %08" PRIx32 "\n", who, workload, s->checksum, want);
        return false;
    }
    return true;
}

/* Record sample S as run R of result RES. */
static void record(struct bench_result *res, unsigned r, const struct bench_sample *s, uint32_t n,
                   double *run_seconds)
{
    res->done = true;
    res->iterations = n;
    res->checksum = s->checksum;
    res->seconds[r] = s->seconds;
    res->nruns = r + 1;
    res->median = median(res->seconds, res->nruns);
    if (run_seconds) {
        run_seconds[r] = s->run_seconds;
        res->run_median = median(run_seconds, res->nruns);
    }
    res->last = *s;
}

/* Run an engine (E) or a target (T) once; false after saying why not. */
static bool run_one(const struct bench_engine *e, const struct bench_target *t, const struct bench_guest *g,
                    struct bench_sample *s)
{
    char err[512];
    int rc = e ? e->run(g, s, err, sizeof err) : t->run(g, s, err, sizeof err);
    if (rc != 0) {
        progress_done();
        fprintf(stderr, "vlab bench: %s: %s\n", e ? e->name : t->name, err);
        return false;
    }
    return true;
}

/* The host checksums of every workload. */
static bool native_sums(const struct options *o, struct bench_report *r)
{
    for (size_t w = 0; w < o->nworkloads; w++) {
        char err[256];
        progress("%s on the host", o->workloads[w]->name);
        if (bench_native(o->workloads[w], iterations(o->workloads[w], o->size), &r->native_sum[w],
                         &r->native_seconds[w], err, sizeof err) != 0) {
            progress_done();
            fprintf(stderr, "vlab bench: %s\n", err);
            return false;
        }
    }
    return true;
}

/* `vlab run` of the guest G as a process: its time, peak RSS and, from
 * --report-start, when its first guest instruction ran. */
static bool vlab_process(const struct bench_guest *g, struct bench_sample *s, double *first)
{
    char self[4096], mem[32], err[512];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = '\0';
    snprintf(mem, sizeof mem, "%" PRIu64 "M", g->ram >> 20);
    char *argv[] = { self, "run", "--quiet", "--report-start", "--mem", mem, "--cmdline", (char *)g->cmdline,
                     (char *)g->image, NULL };
    char *out;
    double t0 = bench_now();
    if (bench_spawn(argv, NULL, g->timeout, s, &out, err, sizeof err) != 0) {
        fprintf(stderr, "vlab bench: %s\n", err);
        return false;
    }
    const char *at = strstr(out, "first guest instruction at ");
    *first = at ? strtod(at + 27, NULL) - t0 : 0;
    s->have_checksum = bench_find_checksum(out, &s->checksum);
    free(out);
    return at != NULL;
}

/* Start-up: the empty guest, in-process on each engine, as a `vlab run`
 * process, and on each target. */
static bool startup(const struct options *o, struct bench_report *r)
{
    struct bench_guest g;
    struct bench_sample s;
    double v[BENCH_MAX_RUNS], first[BENCH_MAX_RUNS];
    make_guest(&g, o, "empty.elf", "", 1, 0);
    for (size_t e = 0; e < o->nengines; e++) {
        for (unsigned k = 0; k < o->runs; k++) {
            progress("start-up: the empty guest on %s, run %u/%u", o->engines[e]->name, k + 1, o->runs);
            if (!run_one(o->engines[e], NULL, &g, &s) || !check(o->engines[e]->name, "empty", &s, 0))
                return false;
            v[k] = s.seconds;
        }
        r->empty_inprocess[e] = median(v, o->runs);
    }
    for (unsigned k = 0; k < o->runs; k++) {
        progress("start-up: vlab run of the empty guest, run %u/%u", k + 1, o->runs);
        if (!vlab_process(&g, &s, &first[k]) || !check("vlab run", "empty", &s, 0))
            return false;
        v[k] = s.seconds;
    }
    r->first_insn = median(first, o->runs);
    r->empty_process = median(v, o->runs);
    for (size_t t = 0; t < r->ntargets; t++) {
        if (r->targets[t].skipped)
            continue;
        for (unsigned k = 0; k < o->runs; k++) {
            progress("start-up: the empty guest on %s, run %u/%u", r->targets[t].t->name, k + 1, o->runs);
            if (!run_one(NULL, r->targets[t].t, &g, &s) || !check(r->targets[t].t->name, "empty", &s, 0))
                return false;
            v[k] = s.seconds;
        }
        r->targets[t].empty = median(v, o->runs);
    }
    return true;
}

/* Memory: the peak RSS of `vlab run` (and of each target) running the
 * pagefault workload a little in a 64 MiB guest. */
static bool memory(const struct options *o, struct bench_report *r)
{
    static const char probe[] = "init=bench bench=pagefault iterations=20";
    const struct bench_workload *pf = bench_workload_named("pagefault");
    struct options copy = *o;
    copy.ram = 64u << 20;
    struct bench_guest g;
    struct bench_sample s;
    uint32_t want;
    double secs, first;
    char err[256];
    if (bench_native(pf, 20, &want, &secs, err, sizeof err) != 0) {
        fprintf(stderr, "vlab bench: %s\n", err);
        return false;
    }
    make_guest(&g, &copy, "kernel.elf", probe, 20, pf->insns_per_iter);
    progress("memory: vlab run with a 64 MiB guest");
    if (!vlab_process(&g, &s, &first) || !check("vlab run", "memory probe", &s, want))
        return false;
    r->maxrss_kib = s.maxrss_kib;
    r->rss_probe = probe;
    for (size_t t = 0; t < r->ntargets; t++) {
        if (r->targets[t].skipped)
            continue;
        progress("memory: %s with a 64 MiB guest", r->targets[t].t->name);
        if (!run_one(NULL, r->targets[t].t, &g, &s) || !check(r->targets[t].t->name, "memory probe", &s, want))
            return false;
        r->targets[t].maxrss_kib = s.maxrss_kib;
    }
    return true;
}

/* Every workload, run after run, each engine then each target. */
static bool workloads(const struct options *o, struct bench_report *r)
{
    static double run_seconds[BENCH_MAX_ENGINES][16][BENCH_MAX_RUNS];
    for (size_t w = 0; w < o->nworkloads; w++) {
        const struct bench_workload *wl = o->workloads[w];
        uint32_t n = iterations(wl, o->size);
        char cmdline[160];
        snprintf(cmdline, sizeof cmdline, wl->cmdline, n);
        struct bench_guest g;
        make_guest(&g, o, wl->image, cmdline, n, wl->insns_per_iter);
        for (unsigned k = 0; k < o->runs; k++) {
            struct bench_sample s;
            for (size_t e = 0; e < o->nengines; e++) {
                progress("%s, %u iterations: %s, run %u/%u", wl->name, n, o->engines[e]->name, k + 1, o->runs);
                if (!run_one(o->engines[e], NULL, &g, &s) || !check(o->engines[e]->name, wl->name, &s, r->native_sum[w]))
                    return false;
                record(&r->res[e][w], k, &s, n, run_seconds[e][w]);
            }
            for (size_t t = 0; t < r->ntargets; t++) {
                if (r->targets[t].skipped)
                    continue;
                progress("%s, %u iterations: %s, run %u/%u", wl->name, n, r->targets[t].t->name, k + 1, o->runs);
                if (!run_one(NULL, r->targets[t].t, &g, &s) ||
                    !check(r->targets[t].t->name, wl->name, &s, r->native_sum[w]))
                    return false;
                record(&r->targets[t].res[w], k, &s, n, NULL);
            }
        }
    }
    return true;
}

/* ---- the machine ------------------------------------------------------------ */

static void describe_machine(struct bench_report *r)
{
    r->nproc = sysconf(_SC_NPROCESSORS_ONLN);
    snprintf(r->cpu, sizeof r->cpu, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (!strncmp(line, "model name", 10) && colon) {
            colon += 1 + strspn(colon + 1, " \t");
            snprintf(r->cpu, sizeof r->cpu, "%.*s", (int)strcspn(colon, "\n"), colon);
            break;
        }
    }
    if (f)
        fclose(f);
}

/* Each target: can it run here? Those that cannot are reported SKIPPED. */
static void probe_targets(const struct options *o, struct bench_report *r)
{
    for (size_t t = 0; t < o->ntargets; t++) {
        r->targets[t].t = o->targets[t];
        r->targets[t].skipped = o->targets[t]->unavailable(r->targets[t].why, sizeof r->targets[t].why);
        if (r->targets[t].skipped)
            printf("%s: SKIPPED (%s)\n", o->targets[t]->name, r->targets[t].skipped);
        else
            o->targets[t]->version(r->targets[t].version, sizeof r->targets[t].version);
    }
    r->ntargets = o->ntargets;
    fflush(stdout);
}

/* The images every run needs must be there before anything runs. */
static bool images_present(const struct options *o, const struct bench_report *r)
{
    const char *need[20];
    size_t n = 0;
    need[n++] = "empty.elf";
    need[n++] = "kernel.elf";
    for (size_t w = 0; w < o->nworkloads; w++)
        need[n++] = o->workloads[w]->image;
    for (size_t t = 0; t < r->ntargets; t++)
        if (!r->targets[t].skipped && !strcmp(r->targets[t].t->name, "bochs"))
            need[n++] = "bootsector.elf";
    for (size_t k = 0; k < n; k++) {
        char path[4200];
        snprintf(path, sizeof path, "%.3900s/%.100s", o->guests, need[k]);
        if (access(path, R_OK) != 0) {
            fprintf(stderr, "vlab bench: the guest %s is missing: %s ('make all' builds the guests; "
                    "--guests DIR says where they are)\n", path, strerror(errno));
            return false;
        }
    }
    return true;
}

int cmd_bench(int argc, char **argv)
{
    struct options o;
    int status = parse_options(argc, argv, &o);
    if (status >= 0)
        return status;
    static struct bench_report r;
    memset(&r, 0, sizeof r);
    r.size = o.size;
    r.runs = o.runs;
    r.ram = o.ram;
    for (size_t e = 0; e < o.nengines; e++)
        r.engines[r.nengines++] = o.engines[e]->name;
    for (size_t w = 0; w < o.nworkloads; w++)
        r.workloads[r.nworkloads++] = o.workloads[w];
    describe_machine(&r);
    probe_targets(&o, &r);
    if (!images_present(&o, &r))
        return EXIT_USAGE;
    progress_on = isatty(2);
    if (!native_sums(&o, &r) || !startup(&o, &r) || !memory(&o, &r) || !workloads(&o, &r)) {
        progress_done();
        return 1;
    }
    progress_done();
    bench_print_table(&r, stdout);
    if (o.json && !bench_write_json(&r, o.json))
        return 1;
    return 0;
}

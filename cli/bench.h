/* vlab bench: the parts of the benchmark command and what they share.
 *
 *   bench.c          options, the plan of runs, medians, the exit status
 *   bench_guest.c    the workloads, their checksums on the host, and the
 *                    engines that run a guest inside this process (`emu`)
 *   bench_target.c   what vlab is compared with, each run as a process of
 *                    its own: QEMU's TCG, QEMU on KVM, Bochs
 *   bench_report.c   the table and the JSON report
 *
 * Every run of a guest is checked: it must exit with status 1 and print
 * the checksum the same workload gives when compiled for and run on the
 * host. A benchmark that computes the wrong answer measures nothing.
 */
#ifndef VLAB_BENCH_H
#define VLAB_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vlab/trace.h"

#define BENCH_MAX_RUNS 99
#define BENCH_MAX_ENGINES 4
#define BENCH_MAX_TARGETS 3

/* A workload: a guest image, the command line that sizes it, and its
 * checksum computed on the host. */
struct bench_workload {
    const char *name;
    const char *image;       /* file name in the guests folder */
    const char *cmdline;     /* a printf format with one %u: the iterations */
    uint32_t full;           /* iterations at --size 1 */
    uint64_t insns_per_iter; /* a generous bound, for the instruction budget */
    bool traps;              /* trap-heavy: report host ns per trap */
    const char *what;        /* one iteration, for --help and the report */
    /* The same workload compiled for the host: its checksum. bench_native
     * calls it in a child process (the kernel workloads fork and move the
     * heap). */
    uint32_t (*native)(uint32_t iterations);
};

extern const struct bench_workload bench_workloads[];
extern const size_t bench_nworkloads;

/* The workload called NAME (it must exist). */
const struct bench_workload *bench_workload_named(const char *name);

/* What to boot: an image, its command line, the guest's RAM. */
struct bench_guest {
    const char *guests;  /* the folder of the built guests */
    char image[4096];
    char cmdline[160];
    uint64_t ram;
    uint64_t max_insns;  /* the budget: a guest that runs past it failed */
    double timeout;      /* seconds, for guests run as processes */
};

/* What one run gave. Engines fill every field; targets (other programs)
 * only seconds, status, checksum and maxrss_kib. */
struct bench_sample {
    double seconds;      /* the guest's whole life: machine built, run, freed */
    double run_seconds;  /* engines: vm_run alone */
    int status;          /* the guest's exit status (1: success) */
    bool have_checksum;
    uint32_t checksum;
    uint64_t insns, cycles;
    struct trace_stats stats;
    long maxrss_kib;     /* processes: their peak resident set */
};

/* ---- engines: vlab's ways of running a guest, in this process ---------- */

struct bench_engine {
    const char *name;
    const char *what;
    /* Run the guest once. Returns 0 (the sample says how the guest
     * ended), or -1 with one sentence in err when it could not start. */
    int (*run)(const struct bench_guest *g, struct bench_sample *s, char *err, size_t errlen);
};

extern const struct bench_engine bench_engines[];
extern const size_t bench_nengines;

/* The checksum of workload W at N iterations on the host, and how long the
 * host took. Returns 0, or -1 with one sentence in err. */
int bench_native(const struct bench_workload *w, uint32_t n, uint32_t *sum, double *seconds,
                 char *err, size_t errlen);

/* The "checksum=XXXXXXXX" in a console's output. */
bool bench_find_checksum(const char *out, uint32_t *sum);

/* ---- targets: other emulators, each run as a process ----------------- */

struct bench_target {
    const char *name;
    const char *what;
    /* NULL when the target can run here; else why not, in `why`. */
    const char *(*unavailable)(char *why, size_t len);
    /* Its version, one line, into buf (empty if unknown). */
    void (*version)(char *buf, size_t len);
    int (*run)(const struct bench_guest *g, struct bench_sample *s, char *err, size_t errlen);
};

extern const struct bench_target bench_targets[];
extern const size_t bench_ntargets;

/* Run argv as a child process with its standard output and error into
 * *out (NUL-terminated, malloc'd: the caller frees it), killed after
 * `timeout` seconds, or as soon as its output shows the text `until` (if
 * not NULL) and the end of that line: for emulators a guest cannot power
 * off. Fills s->seconds (fork to exit, or to that line), s->status (the
 * exit status; 128 + signal; -1 after the timeout; 1 when `until` was
 * seen) and s->maxrss_kib. Returns 0, or -1 with one sentence in err when
 * the program could not be run. */
int bench_spawn(char *const argv[], const char *until, double timeout, struct bench_sample *s,
                char **out, char *err, size_t errlen);

/* Is PROGRAM an executable on the PATH? */
bool bench_on_path(const char *program);

/* Run PROGRAM OPTION and copy into buf the rest of the first line of its
 * output that contains MATCH (NULL: the first line); empty if none. */
void bench_first_line(const char *program, const char *option, const char *match, char *buf, size_t len);

/* Bochs (bench_bochs.c). */
const char *bench_bochs_unavailable(char *why, size_t len);
void bench_bochs_version(char *buf, size_t len);
int bench_bochs_run(const struct bench_guest *g, struct bench_sample *s, char *err, size_t errlen);

/* CLOCK_MONOTONIC now, in seconds. */
double bench_now(void);

/* ---- the report ------------------------------------------------------- */

/* The medians of a workload's runs on one engine or target. */
struct bench_result {
    bool done;
    uint32_t iterations;
    uint32_t checksum;
    unsigned nruns;
    double seconds[BENCH_MAX_RUNS];
    double median;        /* of seconds */
    double run_median;    /* engines: of vm_run's seconds */
    struct bench_sample last; /* counts (the same every run: runs are deterministic) */
};

struct bench_report {
    double size;
    unsigned runs;
    uint64_t ram;
    const char *engines[BENCH_MAX_ENGINES];
    size_t nengines;
    const struct bench_workload *workloads[16];
    size_t nworkloads;
    struct {
        const struct bench_target *t;
        const char *skipped; /* why, or NULL: it ran */
        char why[256];
        char version[128];
        double empty;        /* median seconds of the empty guest */
        long maxrss_kib;     /* running the memory probe */
        struct bench_result res[16];
    } targets[BENCH_MAX_TARGETS];
    size_t ntargets;
    struct bench_result res[BENCH_MAX_ENGINES][16];
    double native_seconds[16]; /* the host running the same workload natively */
    uint32_t native_sum[16];
    /* Start-up and memory of vlab itself. */
    double first_insn;        /* process start to the first guest instruction */
    double empty_process;     /* the empty guest as a whole process */
    double empty_inprocess[BENCH_MAX_ENGINES]; /* the empty guest, in-process */
    long maxrss_kib;          /* `vlab run` of the memory probe */
    const char *rss_probe;    /* what the memory probe ran */
    /* The machine. */
    long nproc;
    char cpu[128];
};

void bench_print_table(const struct bench_report *r, FILE *f);
/* Write the report as JSON; false (after saying why) if writing failed. */
bool bench_write_json(const struct bench_report *r, const char *path);

#endif

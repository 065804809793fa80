/* vlab run: boot a kernel, show its console, report how the run went. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vlab/trace.h"
#include "vlab/vm.h"

#include "cli.h"

static const char run_usage[] =
    "usage: vlab run [--engine emu] [--mem SIZE] [--max-insns N] [--cmdline TEXT] [--module 'FILE ARGS']\n"
    "                [--input FILE] [--trace FILE] [--quiet] [--report-start] IMAGE\n"
    "  Boot the Multiboot ELF kernel IMAGE. The guest's serial console (COM1) is\n"
    "  printed on standard output; a summary follows on standard error.\n"
    "  --engine emu     how the guest runs (emu: full emulation; the only engine yet)\n"
    CLI_MEM_HELP
    "  --max-insns N    stop after N instructions (default 10000000000)\n"
    "  --cmdline TEXT   the kernel command line (default: the image path)\n"
    "  --module 'FILE ARGS'  a Multiboot module: FILE's bytes, with 'FILE ARGS' as its\n"
    "                   command line (repeatable, at most 16)\n"
    "  --input FILE     what the guest receives on COM1, read whole before the run\n"
    "                   ('-': standard input; default: nothing)\n"
    "  --trace FILE     write every event to FILE as JSON lines (see 'vlab trace')\n"
    "  --quiet          no summary\n"
    "  --report-start   say on standard error, just before the first guest instruction,\n"
    "                   the time on CLOCK_MONOTONIC (how vlab bench measures start-up)\n"
    "  Exit status: the guest's own (written to isa-debug-exit port 0xf4: (value << 1) | 1),\n"
    "  2 for bad options or a bad image, 3 when the guest did not exit (budget, halt,\n"
    "  triple fault).\n";

bool cli_parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s || *s == '-')
        return false;
    unsigned shift = 0;
    if (*end == 'K' || *end == 'k')
        shift = 10;
    else if (*end == 'M' || *end == 'm')
        shift = 20;
    else if (*end == 'G' || *end == 'g')
        shift = 30;
    if (shift)
        end++;
    if (*end || v > (UINT64_MAX >> shift))
        return false;
    *out = (uint64_t)v << shift;
    return true;
}

bool cli_parse_mem(const char *cmd, const char *arg, uint64_t *ram)
{
    if (cli_parse_size(arg, ram) && *ram >= CLI_MEM_MIN && *ram <= CLI_MEM_MAX)
        return true;
    fprintf(stderr, "vlab %s: --mem wants a size between 2M and 3G, not '%s'\n", cmd, arg);
    return false;
}

static void print_summary(const struct vm *vm, enum vm_stop why, double seconds)
{
    const struct cpu *cpu = &vm->cpu;
    double mips = seconds > 0 ? (double)cpu->icount / seconds / 1e6 : 0;
    fprintf(stderr, "vlab: %s", vm_stop_name(why));
    if (why == VM_STOP_EXIT)
        fprintf(stderr, " (status %d)", vm->exit_status);
    fprintf(stderr, "\nvlab: %" PRIu64 " instructions in %.3f s (%.1f guest MIPS), %" PRIu64
            " simulated cycles\n", cpu->icount, seconds, mips, trace_cycles(cpu));
    trace_stats_print(&vm->trace.stats, stderr, "vlab: ");
}

/* --trace FILE: every event, as JSON lines. Returns the open file, or NULL
 * after saying why. */
static FILE *open_trace(struct vm *vm, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "vlab run: cannot write the trace to %s: %s\n", path, strerror(errno));
        return NULL;
    }
    trace_subscribe(&vm->trace, TRACE_ALL, trace_sink_json, f);
    return f;
}

/* Close the --trace file; false (after saying why) if writing it failed. */
static bool close_trace(FILE *f, const char *path)
{
    bool failed = ferror(f) != 0;
    failed |= fclose(f) != 0;
    if (failed)
        fprintf(stderr, "vlab run: cannot write the trace to %s\n", path);
    return !failed;
}

int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        { "engine", required_argument, NULL, 'e' }, { "mem", required_argument, NULL, 'm' },
        { "max-insns", required_argument, NULL, 'n' }, { "cmdline", required_argument, NULL, 'c' },
        { "module", required_argument, NULL, 'M' }, { "input", required_argument, NULL, 'i' },
        { "trace", required_argument, NULL, 't' }, { "quiet", no_argument, NULL, 'q' },
        { "report-start", no_argument, NULL, 'S' }, { "help", no_argument, NULL, 'h' }, { 0, 0, 0, 0 },
    };
    uint64_t ram = 64u << 20, max = 10000000000ull;
    const char *cmdline = NULL, *input = NULL, *trace_path = NULL;
    FILE *trace_file = NULL;
    const char *modules[VM_MAX_MODULES];
    unsigned nmodules = 0;
    bool quiet = false, report_start = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'e':
            if (strcmp(optarg, "emu") != 0) {
                fprintf(stderr, "vlab run: unknown engine '%s' (available: emu)\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'm':
            if (!cli_parse_mem("run", optarg, &ram))
                return EXIT_USAGE;
            break;
        case 'n':
            if (!cli_parse_size(optarg, &max) || max == 0) {
                fprintf(stderr, "vlab run: --max-insns wants a positive count, not '%s'\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'c': cmdline = optarg; break;
        case 'M':
            if (nmodules == VM_MAX_MODULES) {
                fprintf(stderr, "vlab run: at most %u modules can be passed\n", VM_MAX_MODULES);
                return EXIT_USAGE;
            }
            modules[nmodules++] = optarg;
            break;
        case 'i': input = optarg; break;
        case 't': trace_path = optarg; break;
        case 'q': quiet = true; break;
        case 'S': report_start = true; break;
        case 'h': fputs(run_usage, stdout); return 0;
        default: fputs(run_usage, stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fputs(run_usage, stderr);
        return EXIT_USAGE;
    }

    struct vm *vm = malloc(sizeof(*vm));
    if (!vm || vm_init(vm, ram, stdout) != 0) {
        fprintf(stderr, "vlab run: cannot create a machine with %" PRIu64 " MiB of RAM\n", ram >> 20);
        free(vm);
        return EXIT_USAGE;
    }
    char err[512];
    if (vm_load_file(vm, argv[optind], cmdline, modules, nmodules, err, sizeof(err)) != 0 ||
        (input && vm_load_input(vm, strcmp(input, "-") ? input : "/dev/stdin", err, sizeof(err)) != 0)) {
        fprintf(stderr, "vlab run: %s\n", err);
        vm_destroy(vm);
        free(vm);
        return EXIT_USAGE;
    }
    if (trace_path && !(trace_file = open_trace(vm, trace_path))) {
        vm_destroy(vm);
        free(vm);
        return EXIT_USAGE;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (report_start)
        fprintf(stderr, "vlab: first guest instruction at %lld.%09ld s (CLOCK_MONOTONIC)\n", (long long)t0.tv_sec,
                t0.tv_nsec);
    enum vm_stop why = vm_run(vm, max);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    fflush(stdout);
    if (!quiet)
        print_summary(vm, why, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    int status = why == VM_STOP_EXIT ? vm->exit_status & 0xff : EXIT_GUEST_STUCK;
    if (trace_file && !close_trace(trace_file, trace_path))
        status = EXIT_USAGE;
    vm_destroy(vm);
    free(vm);
    return status;
}

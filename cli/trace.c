/* vlab trace: boot a kernel and print the machine's events (vlab/trace.h),
 * one per line, as text or JSON lines. The events go to standard output;
 * the guest's console goes to standard error, so that the two never mix
 * and `vlab trace --json IMAGE | jq` just works. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vlab/trace.h"
#include "vlab/vm.h"

#include "cli.h"

static const char trace_usage[] =
    "usage: vlab trace [--kinds LIST] [--json] [--max-insns N] [--mem SIZE] [--cmdline TEXT] IMAGE\n"
    "  Boot the Multiboot ELF kernel IMAGE as 'vlab run' does and print its events on\n"
    "  standard output, one per line. The guest's console goes to standard error; a\n"
    "  summary follows it there.\n"
    "  --kinds LIST     which events, comma-separated (default: all): ring, exception,\n"
    "                   interrupt, walk, tlb_flush, pio, mmio, sysreg\n"
    "  --json           JSON lines instead of text\n"
    "  --max-insns N    stop after N instructions (default 10000000000)\n"
    CLI_MEM_HELP
    "  --cmdline TEXT   the kernel command line (default: the image path)\n"
    "  The same image and options give the same events, byte for byte.\n"
    "  Exit status: as 'vlab run'; 2 also when the events cannot be written.\n";

struct trace_opts {
    uint32_t kinds;
    bool json;
    uint64_t max, ram;
    const char *cmdline, *image;
};

/* Parse the options into *o. Returns -1 when they are good, else the exit
 * status to leave with (0 after --help). */
static int parse(int argc, char **argv, struct trace_opts *o)
{
    static const struct option opts[] = {
        { "kinds", required_argument, NULL, 'k' }, { "json", no_argument, NULL, 'j' },
        { "max-insns", required_argument, NULL, 'n' }, { "mem", required_argument, NULL, 'm' },
        { "cmdline", required_argument, NULL, 'c' }, { "help", no_argument, NULL, 'h' },
        { 0, 0, 0, 0 },
    };
    char err[256];
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'k':
            if (trace_parse_kinds(optarg, &o->kinds, err, sizeof(err)) != 0) {
                fprintf(stderr, "vlab trace: --kinds: %s\n", err);
                return EXIT_USAGE;
            }
            break;
        case 'j': o->json = true; break;
        case 'n':
            if (!cli_parse_size(optarg, &o->max) || o->max == 0) {
                fprintf(stderr, "vlab trace: --max-insns wants a positive count, not '%s'\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'm':
            if (!cli_parse_mem("trace", optarg, &o->ram))
                return EXIT_USAGE;
            break;
        case 'c': o->cmdline = optarg; break;
        case 'h': fputs(trace_usage, stdout); return 0;
        default: fputs(trace_usage, stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fputs(trace_usage, stderr);
        return EXIT_USAGE;
    }
    o->image = argv[optind];
    return -1;
}

int cmd_trace(int argc, char **argv)
{
    struct trace_opts o = { .kinds = TRACE_ALL, .max = 10000000000ull, .ram = 64u << 20 };
    int status = parse(argc, argv, &o);
    if (status >= 0)
        return status;

    struct vm *vm = malloc(sizeof(*vm));
    if (!vm || vm_init(vm, o.ram, stderr) != 0) {
        fprintf(stderr, "vlab trace: cannot create a machine with %" PRIu64 " MiB of RAM\n", o.ram >> 20);
        free(vm);
        return EXIT_USAGE;
    }
    char err[512];
    if (vm_load_file(vm, o.image, o.cmdline, NULL, 0, err, sizeof(err)) != 0) {
        fprintf(stderr, "vlab trace: %s\n", err);
        vm_destroy(vm);
        free(vm);
        return EXIT_USAGE;
    }
    trace_subscribe(&vm->trace, o.kinds, o.json ? trace_sink_json : trace_sink_text, stdout);
    enum vm_stop why = vm_run(vm, o.max);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "vlab trace: cannot write the events: %s\n", strerror(errno));
        status = EXIT_USAGE;
    } else {
        status = why == VM_STOP_EXIT ? vm->exit_status & 0xff : EXIT_GUEST_STUCK;
    }
    fprintf(stderr, "vlab trace: %s; %" PRIu64 " instructions, %" PRIu64 " events, %" PRIu64
            " simulated cycles\n", vm_stop_name(why), vm->cpu.icount, vm->trace.seq, trace_cycles(&vm->cpu));
    trace_stats_print(&vm->trace.stats, stderr, "vlab trace: ");
    vm_destroy(vm);
    free(vm);
    return status;
}

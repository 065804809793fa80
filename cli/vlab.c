/* vlab: the command-line program. One table of subcommands; each is a
 * function taking its own arguments. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vlab/vm.h"

#include "cli.h"

static const struct command commands[] = {
    { "run", cmd_run, "boot a Multiboot kernel image on the simulated PC" },
    { "trace", cmd_trace, "boot a kernel and print its events (ring switches, page walks, I/O ...)" },
    { "viz", cmd_viz, "watch a kernel run: rings, page walks, events, registers, console (ncurses)" },
    { "pt", cmd_pt, "draw the guest's page tables at a point of the run (DOT, SVG or PNG)" },
    { "grade", cmd_grade, "run a lab's Lua tests, each in its own process, and report the score" },
    { "bench", cmd_bench, "run the benchmark workloads, check their checksums, compare with QEMU or Bochs" },
    { "disasm", cmd_disasm, "disassemble the code of an ELF image (objdump -d -M intel style)" },
    { "help", cmd_help, "show this help" },
};

int cmd_help(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("usage: vlab COMMAND [OPTIONS] ...\n\ncommands:\n");
    for (size_t k = 0; k < VLAB_ARRAY_SIZE(commands); k++)
        printf("  %-8s %s\n", commands[k].name, commands[k].help);
    printf("\n'vlab COMMAND --help' describes a command's options.\n");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        cmd_help(0, NULL);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
        return cmd_help(0, NULL);
    for (size_t k = 0; k < VLAB_ARRAY_SIZE(commands); k++)
        if (!strcmp(argv[1], commands[k].name))
            return commands[k].fn(argc - 1, argv + 1);
    fprintf(stderr, "vlab: unknown command '%s' (try 'vlab help')\n", argv[1]);
    return 2;
}

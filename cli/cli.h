/* The subcommands of the vlab program. */
#ifndef VLAB_CLI_H
#define VLAB_CLI_H

#include <stdbool.h>
#include <stdint.h>

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
};

int cmd_run(int argc, char **argv);
int cmd_disasm(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_grade(int argc, char **argv);
int cmd_pt(int argc, char **argv);
int cmd_viz(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_help(int argc, char **argv);

/* Guest RAM limits: the top GiB of the 4 GiB physical space holds device
 * memory (the local APIC at 0xFEE00000). */
#define CLI_MEM_MIN (2ull << 20)
#define CLI_MEM_MAX (3ull << 30)
#define CLI_MEM_HELP "  --mem SIZE       guest RAM, e.g. 64M (default 64M; 2M to 3G)\n"

/* Parse the argument of --mem for command `cmd` into *ram; on a bad value,
 * say so on stderr and return false. */
bool cli_parse_mem(const char *cmd, const char *arg, uint64_t *ram);

/* Parse a size like "64M", "1G", "65536" into bytes; false if malformed. */
bool cli_parse_size(const char *s, uint64_t *out);

/* Exit statuses of vlab itself (a guest's own status is passed through). */
#define EXIT_USAGE 2      /* bad options or a bad image */
#define EXIT_GUEST_STUCK 3 /* budget exhausted, halted forever or triple fault */

#endif

/* The subcommands of the vlab program. */
#ifndef VLAB_CLI_H
#define VLAB_CLI_H

#include <stdint.h>

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
};

int cmd_run(int argc, char **argv);
int cmd_disasm(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_help(int argc, char **argv);

/* Parse a size like "64M", "1G", "65536" into bytes; false if malformed. */
bool cli_parse_size(const char *s, uint64_t *out);

/* Exit statuses of vlab itself (a guest's own status is passed through). */
#define EXIT_USAGE 2      /* bad options or a bad image */
#define EXIT_GUEST_STUCK 3 /* budget exhausted, halted forever or triple fault */

#endif

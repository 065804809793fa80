/* cmdline.c - the kernel command line: the words the boot loader passes
 * (GRUB's `kernel` line, QEMU's -append, `vlab run --cmdline`).
 *
 * The kernel understands one option:
 *
 *   init=PROGRAM   run PROGRAM (a name of exec.c's table) as process 1
 *                  instead of `init`, e.g. init=bench for the benchmark
 *                  workloads (user_workload.c)
 *
 * Options are words "KEY=VALUE" separated by spaces; other words are left
 * for the programs, which read the whole line with the system call
 * cmdline() (as Linux's /proc/cmdline). QEMU puts the image's file name
 * first: a word without '=' that no option matches. */
#include "kernel.h"

static char line[CMDLINE_MAX];

/* Copy the command line out of the boot information: kmem_init is about
 * to hand the pages it lives in out as free memory. Longer lines are cut
 * to CMDLINE_MAX - 1 bytes. */
void cmdline_init(const struct multiboot_info *mbi)
{
    if (mbi->flags & MBI_CMDLINE)
        strlcpy(line, P2V(mbi->cmdline), sizeof line);
}

const char *cmdline_get(void)
{
    return line;
}

/* Does word W (ending at a space or NUL) start with KEY followed by '='?
 * Returns the value's first character, or NULL. */
static const char *match(const char *w, const char *key)
{
    while (*key && *w == *key)
        w++, key++;
    return *key == '\0' && *w == '=' ? w + 1 : NULL;
}

/* The value of option KEY copied into VALUE (SIZE bytes, NUL-terminated,
 * cut short if need be): true if the line has a word KEY=...; the last
 * such word wins. */
bool cmdline_option(const char *key, char *value, size_t size)
{
    bool found = false;
    for (const char *w = line; *w;) {
        const char *v = match(w, key);
        if (v) {
            size_t n = 0;
            for (; v[n] && v[n] != ' ' && n + 1 < size; n++)
                value[n] = v[n];
            value[n] = '\0';
            found = true;
        }
        while (*w && *w != ' ')
            w++;
        while (*w == ' ')
            w++;
    }
    return found;
}

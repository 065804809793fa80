/* compute: the integer workload as a bare Multiboot guest. The kernel command
 * line may say "iterations=N" (default 20). Prints the checksum on COM1 and
 * exits through isa-debug-exit with status 1. */
#include "../lib/guest.h"
#include "workload.h"

/* The value of "iterations=" in the command line, or `dflt`. */
static uint32_t iterations_from(const char *cmd, uint32_t dflt)
{
    static const char key[] = "iterations=";
    for (; cmd && *cmd; cmd++) {
        unsigned k = 0;
        while (key[k] && cmd[k] == key[k])
            k++;
        if (key[k])
            continue;
        uint32_t v = 0;
        for (cmd += k; *cmd >= '0' && *cmd <= '9'; cmd++)
            v = v * 10 + (uint32_t)(*cmd - '0');
        return v;
    }
    return dflt;
}

void guest_main(uint32_t magic, const struct multiboot_info *mbi)
{
    const char *cmd = (magic == MULTIBOOT_BOOTLOADER_MAGIC && (mbi->flags & MBI_CMDLINE)) ? (const char *)mbi->cmdline : 0;
    uint32_t n = iterations_from(cmd, 20);
    uint32_t sum = compute_run(n);
    put_str("compute: iterations=");
    put_dec(n);
    put_str(" checksum=");
    put_hex(sum);
    put_str("\n");
    guest_exit(0);
}

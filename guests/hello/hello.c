/* hello: print a greeting on COM1 and exit through isa-debug-exit. It runs
 * the same on vlab and on qemu-system-i386 -kernel. */
#include "../lib/guest.h"

void guest_main(uint32_t magic, const struct multiboot_info *mbi)
{
    put_str("Hello from a vlab guest!\n");
    if (magic == MULTIBOOT_BOOTLOADER_MAGIC && (mbi->flags & 1)) {
        put_str("Memory above 1 MiB: ");
        put_dec(mbi->mem_upper / 1024);
        put_str(" MiB\n");
    }
    guest_exit(0); /* exit status (0 << 1) | 1 = 1 */
}

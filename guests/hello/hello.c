/* hello: print a greeting on COM1 and exit through isa-debug-exit. It runs
 * the same on vlab and on qemu-system-i386 -kernel. */
#include "../lib/guest.h"

void guest_main(uint32_t magic, const struct multiboot_info *mbi)
{
    put_str("Hello from a vlab guest!\n");
    if (magic != MULTIBOOT_BOOTLOADER_MAGIC)
        put_str("Not loaded by a Multiboot boot loader\n");
    if (magic == MULTIBOOT_BOOTLOADER_MAGIC && (mbi->flags & MBI_MEMORY)) {
        put_str("Memory above 1 MiB: ");
        put_dec(mbi->mem_upper / 1024);
        put_str(" MiB\n");
    }
    if (magic == MULTIBOOT_BOOTLOADER_MAGIC && (mbi->flags & MBI_MODS)) {
        const struct multiboot_module *m = (const struct multiboot_module *)mbi->mods_addr;
        for (uint32_t k = 0; k < mbi->mods_count; k++) {
            put_str("Module ");
            put_dec(k);
            put_str(": '");
            put_str((const char *)m[k].string);
            put_str("', ");
            put_dec(m[k].mod_end - m[k].mod_start);
            put_str(" bytes\n");
        }
    }
    guest_exit(0); /* exit status (0 << 1) | 1 = 1 */
}

/* empty: the smallest run a benchmark can time. It prints the line every
 * workload prints, with nothing computed, and exits, so that `vlab bench`
 * can measure what each emulator spends before and after a guest's work
 * (start-up, BIOS, loading, exit) and subtract it. */
#include "../lib/guest.h"

void guest_main(uint32_t magic, const struct multiboot_info *mbi)
{
    (void)magic;
    (void)mbi;
    put_str("empty: checksum=00000000\n");
    guest_exit(0);
}

/* main.c - the systest guest: check the CPU's system-level behaviour
 * against the Intel SDM, one line per check.
 *
 * Output: "systest: start", then one "name: result" line per check (with
 * "   [SDM: expected]" appended where the result is not what the SDM
 * predicts), then "systest: end, N checks, M unlike the SDM". The guest
 * leaves through port 0xf4 (QEMU's isa-debug-exit: exit status 1). */
#include "systest.h"

void kmain(void);

/* The 8259 PICs may hold whatever the firmware left there, with the timer
 * on vectors that are exceptions in protected mode. Mask every line; the
 * guest runs with IF = 0 except inside a few checks. */
static void pic_mask_all(void)
{
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
}

void kmain(void)
{
    con_init();
    pic_mask_all();
    con_puts("systest: start\n");
    desc_init();
    write_cr0(CR0_BASE);
    check_tables();
    check_access();
    check_segments();
    check_control();
    check_exceptions();
    check_user();
    check_paging();
    finish();
}

/* pit.c - the 8254 programmable interval timer, channel 0, the clock of
 * preemptive scheduling. Its input runs at 1.193182 MHz; in mode 2 (rate
 * generator) it divides that by a 16-bit count and raises IRQ 0 once per
 * period, for ever (Intel 8254 data sheet). */
#include "kernel.h"

#define PIT_CH0 0x40
#define PIT_CMD 0x43
#define PIT_HZ 1193182u
/* Control word: channel 0, access low byte then high byte, mode 2, binary. */
#define PIT_CH0_LOHI_MODE2 0x34

/* Interrupt HZ times a second, and let IRQ 0 through the PIC. */
void pit_init(unsigned hz)
{
    uint32_t count = (PIT_HZ + hz / 2) / hz;
    arch->outb(PIT_CMD, PIT_CH0_LOHI_MODE2);
    arch->outb(PIT_CH0, (uint8_t)count);
    arch->outb(PIT_CH0, (uint8_t)(count >> 8));
    pic_enable(0);
}

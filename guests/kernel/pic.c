/* pic.c - the two 8259A programmable interrupt controllers of the PC.
 *
 * The master PIC takes IRQ 0-7, the slave IRQ 8-15 and is wired to the
 * master's IRQ 2. After reset they would deliver IRQ 0-7 on vectors 8-15,
 * where the CPU's own exceptions are (#DF is 8, #GP 13, #PF 14), so the
 * kernel remaps them to vectors 32-47 (T_IRQ0 + irq). Every IRQ starts
 * masked; pic_enable unmasks one. (Intel 8259A data sheet: ICW1-ICW4, OCW1,
 * OCW2.) */
#include "kernel.h"

#define MASTER_CMD 0x20
#define MASTER_DATA 0x21
#define SLAVE_CMD 0xa0
#define SLAVE_DATA 0xa1
#define CASCADE_IRQ 2

#define ICW1_INIT 0x11 /* initialise: edge-triggered, cascaded, ICW4 follows */
#define ICW4_8086 0x01 /* 8086 mode, normal (not automatic) end of interrupt */
#define OCW2_EOI 0x20  /* non-specific end of interrupt */

static uint16_t irq_mask = 0xffff & ~(1u << CASCADE_IRQ); /* bit set: masked */

static void write_masks(void)
{
    arch->outb(MASTER_DATA, (uint8_t)irq_mask);
    arch->outb(SLAVE_DATA, (uint8_t)(irq_mask >> 8));
}

/* Initialise both PICs: vector bases 32 and 40, the slave on IRQ 2. */
void pic_init(void)
{
    arch->outb(MASTER_CMD, ICW1_INIT);
    arch->outb(SLAVE_CMD, ICW1_INIT);
    arch->outb(MASTER_DATA, T_IRQ0);           /* ICW2: vector of IRQ 0 */
    arch->outb(SLAVE_DATA, T_IRQ0 + 8);        /* ICW2: vector of IRQ 8 */
    arch->outb(MASTER_DATA, 1u << CASCADE_IRQ); /* ICW3: a slave on IRQ 2 */
    arch->outb(SLAVE_DATA, CASCADE_IRQ);       /* ICW3: I am the one on IRQ 2 */
    arch->outb(MASTER_DATA, ICW4_8086);
    arch->outb(SLAVE_DATA, ICW4_8086);
    write_masks();
}

void pic_enable(unsigned irq)
{
    irq_mask &= (uint16_t)~(1u << irq);
    write_masks();
}

/* Tell the PIC(s) that the interrupt IRQ was handled, so that they deliver
 * the next one: the slave's IRQs need an EOI at both. */
void pic_eoi(unsigned irq)
{
    if (irq >= 8)
        arch->outb(SLAVE_CMD, OCW2_EOI);
    arch->outb(MASTER_CMD, OCW2_EOI);
}

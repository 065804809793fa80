/* The PC's pair of 8259A programmable interrupt controllers (Intel 8259A
 * datasheet, order number 231468).
 *
 * Sixteen interrupt lines reach the CPU through two chips. The slave's INT
 * output drives the master's input 2, so IRQ 8-15 arrive as IRQ 2 at the
 * master, which lets the slave supply the vector:
 *
 *   IRQ 0 (PIT) ----> +--------+
 *   IRQ 1 ----------> | master | INT ---> CPU (through LINT0 of the local APIC)
 *          +--------> | 0x20   |
 *          |  ...     +--------+
 *          |
 *          | INT  +--------+ <---- IRQ 8 (RTC)
 *          +----- | slave  | <---- ...
 *                 | 0xa0   | <---- IRQ 15
 *                 +--------+
 *
 * Per chip: IRR holds requests, IMR masks them, ISR holds the ones the CPU
 * acknowledged and has not yet ended with an EOI. A request raises INT when
 * it is unmasked and has a higher priority than everything in service.
 * Priorities rotate: the input after `lowest` is the highest.
 *
 * Programming (datasheet, "Programming the 8259A"):
 *   command port, bit 4 = 1        ICW1, starts initialization; ICW2 (vector
 *                                  base), ICW3 (cascade), ICW4 (mode) follow
 *                                  on the data port
 *   data port after initialization OCW1: the mask
 *   command port, bits 4:3 = 00    OCW2: EOI and priority commands
 *   command port, bits 4:3 = 01    OCW3: read IRR/ISR, poll, special mask
 *
 * Inputs are edge-triggered unless ICW1 asked for level triggering. As the
 * datasheet requires in both modes, an input must stay high until the CPU
 * acknowledges it: a request whose line fell before INTA is withdrawn, and
 * an acknowledge that finds no request answers with the spurious vector of
 * IR7 (IR15 on the slave, the master's IR2 then being in service).
 * Not modelled: 8080/8085 mode, buffered mode, the PCI edge/level control
 * registers (ELCR).
 */
#include "vlab/dev.h"
#include "vlab/mem.h"
#include "vlab/todo.h"

#define ICW1_IC4 0x01u    /* ICW4 follows */
#define ICW1_SNGL 0x02u   /* single chip: no ICW3 */
#define ICW1_LTIM 0x08u   /* level-triggered inputs */
#define ICW1_INIT 0x10u
#define ICW4_AEOI 0x02u   /* automatic EOI at INTA */
#define ICW4_SFNM 0x10u   /* special fully nested mode */
#define OCW3_SEL 0x08u    /* with bit 4 clear: OCW3, else OCW2 */
#define OCW3_RIS 0x01u    /* read ISR (with RR) */
#define OCW3_RR 0x02u     /* change the register read */
#define OCW3_POLL 0x04u
#define OCW3_SMM 0x20u    /* special mask mode on (with ESMM) */
#define OCW3_ESMM 0x40u
#define POLL_INT 0x80u    /* a poll found a request */

/* ---- One chip ------------------------------------------------------------- */

/* BEGIN SOLUTION lab01 */
/* How far below the highest priority input `irq` is: 0 is the highest. */
static unsigned priority_of(const struct pic_chip *c, unsigned irq)
{
    return (irq - c->lowest - 1) & 7u;
}
/* END SOLUTION */
/* STUB: */

/* The input of highest priority among the bits of `mask`, or -1. */
static int highest(const struct pic_chip *c, uint8_t mask)
{
    for (unsigned k = 0; k < 8; k++) {
        unsigned irq = (c->lowest + 1 + k) & 7u;
        if (mask & (1u << irq))
            return (int)irq;
    }
    return -1;
}

/* The request that would interrupt now, or -1: the highest unmasked one, if
 * it beats everything in service. In special mask mode masked in-service
 * inputs do not count; in special fully nested mode the master lets a
 * slave interrupt another of the same slave. */
static int chip_request(const struct pic_chip *c, bool master)
{
    /* BEGIN SOLUTION lab01 */
    int irq = highest(c, c->irr & (uint8_t)~c->imr);
    if (irq < 0)
        return -1;
    uint8_t in_service = c->isr;
    if (c->special_mask)
        in_service &= (uint8_t)~c->imr;
    if (master && c->sfnm)
        in_service &= (uint8_t)~c->icw3;
    int cur = highest(c, in_service);
    if (cur >= 0 && priority_of(c, (unsigned)irq) >= priority_of(c, (unsigned)cur))
        return -1;
    return irq;
    /* END SOLUTION */
    /* STUB: return vlab_todo("lab01: chip_request", c, master); */
}

/* An input changes level. Edge mode latches a rising edge; level mode
 * follows the line; in both a falling line withdraws the request. */
static void chip_set_line(struct pic_chip *c, unsigned irq, bool level)
{
    /* BEGIN SOLUTION lab01 */
    uint8_t bit = (uint8_t)(1u << irq);
    if (!level)
        c->irr &= (uint8_t)~bit;
    else if (c->level_mode || !(c->lines & bit))
        c->irr |= bit;
    c->lines = level ? (c->lines | bit) : (c->lines & (uint8_t)~bit);
    /* END SOLUTION */
    /* STUB: vlab_todo("lab01: chip_set_line", c, irq, level); */
}

/* The CPU acknowledges `irq`: it goes in service (unless auto-EOI). An edge
 * request is consumed; a level request stays while its line is high. */
static void chip_ack(struct pic_chip *c, unsigned irq)
{
    /* BEGIN SOLUTION lab01 */
    uint8_t bit = (uint8_t)(1u << irq);
    if (!c->level_mode)
        c->irr &= (uint8_t)~bit;
    if (!c->auto_eoi)
        c->isr |= bit;
    else if (c->rotate_aeoi)
        c->lowest = (uint8_t)irq;
    /* END SOLUTION */
    /* STUB: vlab_todo("lab01: chip_ack", c, irq); */
}

/* ---- OCW2: end of interrupt and priority rotation --------------------------- */

static void eoi_nonspecific(struct pic_chip *c, unsigned level)
{
    (void)level;
    int irq = highest(c, c->isr);
    if (irq >= 0)
        c->isr &= (uint8_t)~(1u << irq);
}

static void eoi_specific(struct pic_chip *c, unsigned level)
{
    c->isr &= (uint8_t)~(1u << level);
}

static void rotate_nonspecific(struct pic_chip *c, unsigned level)
{
    (void)level;
    int irq = highest(c, c->isr);
    if (irq >= 0) {
        c->isr &= (uint8_t)~(1u << irq);
        c->lowest = (uint8_t)irq;
    }
}

static void rotate_specific(struct pic_chip *c, unsigned level)
{
    c->isr &= (uint8_t)~(1u << level);
    c->lowest = (uint8_t)level;
}

static void set_priority(struct pic_chip *c, unsigned level)
{
    c->lowest = (uint8_t)level;
}

static void aeoi_rotate_on(struct pic_chip *c, unsigned level)
{
    (void)level;
    c->rotate_aeoi = true;
}

static void aeoi_rotate_off(struct pic_chip *c, unsigned level)
{
    (void)level;
    c->rotate_aeoi = false;
}

static void ocw2_nop(struct pic_chip *c, unsigned level)
{
    (void)c;
    (void)level;
}

/* OCW2 bits 7:5 (R, SL, EOI) pick the command; bits 2:0 name a level. */
static void (*const ocw2_commands[8])(struct pic_chip *c, unsigned level) = {
    [0] = aeoi_rotate_off,    /* 000 clear rotate in automatic EOI mode */
    [1] = eoi_nonspecific,    /* 001 non-specific EOI */
    [2] = ocw2_nop,           /* 010 no operation */
    [3] = eoi_specific,       /* 011 specific EOI */
    [4] = aeoi_rotate_on,     /* 100 set rotate in automatic EOI mode */
    [5] = rotate_nonspecific, /* 101 rotate on non-specific EOI */
    [6] = set_priority,       /* 110 set priority: `level` becomes the lowest */
    [7] = rotate_specific,    /* 111 rotate on specific EOI */
};

/* ---- Port writes ------------------------------------------------------------ */

/* ICW1 restarts the chip: masks and in-service bits cleared, IR0 highest,
 * IRR read, and every input must rise again to request. */
static void write_icw1(struct pic_chip *c, uint8_t v)
{
    c->level_mode = v & ICW1_LTIM;
    c->need_icw4 = v & ICW1_IC4;
    c->single = v & ICW1_SNGL;
    c->irr = c->level_mode ? c->lines : 0;
    c->imr = c->isr = 0;
    c->lowest = 7;
    c->auto_eoi = c->rotate_aeoi = c->sfnm = false;
    c->read_isr = c->special_mask = c->poll = false;
    c->init_step = 2;
}

static void write_command(struct pic_chip *c, uint8_t v)
{
    if (v & ICW1_INIT) {
        write_icw1(c, v);
    } else if (v & OCW3_SEL) {
        if (v & OCW3_POLL)
            c->poll = true;
        if (v & OCW3_RR)
            c->read_isr = v & OCW3_RIS;
        if (v & OCW3_ESMM)
            c->special_mask = v & OCW3_SMM;
    } else {
        ocw2_commands[v >> 5](c, v & 7u);
    }
}

/* The data port takes ICW2-ICW4 while initializing, then OCW1. */
static void write_data(struct pic_chip *c, uint8_t v)
{
    switch (c->init_step) {
    case 2:
        c->base = v & 0xf8u;
        c->init_step = c->single ? (c->need_icw4 ? 4 : 0) : 3;
        break;
    case 3:
        c->icw3 = v;
        c->init_step = c->need_icw4 ? 4 : 0;
        break;
    case 4:
        c->auto_eoi = v & ICW4_AEOI;
        c->sfnm = v & ICW4_SFNM;
        c->init_step = 0;
        break;
    default:
        c->imr = v;
        break;
    }
}

/* ---- The pair --------------------------------------------------------------- */

/* Carry the slave's INT to the master's input 2 and tell the machine when
 * the master's INT is asserted. Called after every change. */
static void update(struct pic8259 *p)
{
    bool slave_int = chip_request(&p->chip[1], false) >= 0;
    chip_set_line(&p->chip[0], PIC_CASCADE_IRQ, slave_int);
    if (pic_output(p))
        dev_kick(&p->kick);
}

bool pic_output(const struct pic8259 *p)
{
    return chip_request(&p->chip[0], true) >= 0;
}

void pic_set_irq(void *ctx, unsigned irq, bool level)
{
    struct pic8259 *p = ctx;
    chip_set_line(&p->chip[(irq >> 3) & 1u], irq & 7u, level);
    update(p);
}

/* The acknowledge for the slave, once the master named its cascade input. */
static uint8_t slave_inta(struct pic_chip *s)
{
    int irq = chip_request(s, false);
    if (irq < 0)
        return s->base | 7u;
    chip_ack(s, (unsigned)irq);
    return (uint8_t)(s->base + irq);
}

uint8_t pic_inta(struct pic8259 *p)
{
    struct pic_chip *m = &p->chip[0];
    int irq = chip_request(m, true);
    uint8_t vector;
    if (irq < 0) {
        vector = m->base | 7u;
    } else {
        chip_ack(m, (unsigned)irq);
        if (!m->single && (m->icw3 & (1u << irq)))
            vector = slave_inta(&p->chip[1]);
        else
            vector = (uint8_t)(m->base + irq);
    }
    update(p);
    return vector;
}

bool pic_line_can_interrupt(const struct pic8259 *p, unsigned irq)
{
    struct pic8259 trial = *p;
    trial.kick = (struct dev_kick){ NULL, NULL };
    chip_set_line(&trial.chip[(irq >> 3) & 1u], irq & 7u, false);
    pic_set_irq(&trial, irq, true);
    return pic_output(&trial);
}

/* A read in poll mode: the highest request, acknowledged, as 0x80 | level;
 * 0 when there is none. */
static uint8_t poll_read(struct pic8259 *p, struct pic_chip *c, bool master)
{
    c->poll = false;
    int irq = chip_request(c, master);
    if (irq < 0)
        return 0;
    chip_ack(c, (unsigned)irq);
    update(p);
    return (uint8_t)(POLL_INT | irq);
}

static uint32_t chip_read(struct pic8259 *p, unsigned which, uint64_t off)
{
    struct pic_chip *c = &p->chip[which];
    if (c->poll)
        return poll_read(p, c, which == 0);
    if (off == 1)
        return c->imr;
    return c->read_isr ? c->isr : c->irr;
}

static void chip_write(struct pic8259 *p, unsigned which, uint64_t off, uint32_t v)
{
    struct pic_chip *c = &p->chip[which];
    if (off == 0)
        write_command(c, (uint8_t)v);
    else
        write_data(c, (uint8_t)v);
    update(p);
}

static uint32_t master_read(void *opaque, uint64_t off, unsigned size)
{
    (void)size;
    return chip_read(opaque, 0, off);
}

static void master_write(void *opaque, uint64_t off, unsigned size, uint32_t v)
{
    (void)size;
    chip_write(opaque, 0, off, v);
}

static uint32_t slave_read(void *opaque, uint64_t off, unsigned size)
{
    (void)size;
    return chip_read(opaque, 1, off);
}

static void slave_write(void *opaque, uint64_t off, unsigned size, uint32_t v)
{
    (void)size;
    chip_write(opaque, 1, off, v);
}

static const struct bus_ops master_ops = { master_read, master_write };
static const struct bus_ops slave_ops = { slave_read, slave_write };

int pic_register(struct pic8259 *p, struct bus *bus, struct dev_kick kick)
{
    *p = (struct pic8259){ .kick = kick };
    p->chip[0].lowest = p->chip[1].lowest = 7;
    int err = bus_add_pio(bus, PIC_MASTER, 2, &master_ops, p, "pic8259-master");
    if (err)
        return err;
    return bus_add_pio(bus, PIC_SLAVE, 2, &slave_ops, p, "pic8259-slave");
}

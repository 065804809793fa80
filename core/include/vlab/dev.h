/* Platform devices. Each lives in its own file under core/dev/, keeps its
 * state in a struct declared here, and has one public registration function
 * that claims its ports or MMIO range on the bus. */
#ifndef VLAB_DEV_H
#define VLAB_DEV_H

#include "vlab/types.h"

struct bus;
struct cpu;

/* ---- Virtual time and interrupt wiring (shared by the devices) ----------
 *
 * Devices never read the host clock. The machine gives each timed device a
 * clock reading virtual nanoseconds (see vm.h: instructions retired times
 * VLAB_NS_PER_INSN, plus the time the CPU spent halted), so the same guest
 * gives the same run, byte for byte.
 *
 * Interrupts travel on wires: a device drives an `irq_line` (the PIT's OUT0
 * into PIC input 0, the UART's INTR into input 4), high or low. The
 * controllers that feed the CPU (the PIC pair, the local APIC) call their
 * `dev_kick` when an interrupt may now be waiting, and the timers (PIT,
 * RTC, APIC timer) when the guest moved a deadline, so that the machine's
 * run loop looks again before the next instruction. Timers never tick on
 * their own: the machine calls their *_advance() at the deadlines they
 * return.
 */

#define VTIME_NEVER UINT64_MAX /* a deadline that never comes */

typedef uint64_t vclock_fn(void *ctx);

struct vclock {
    vclock_fn *now; /* virtual nanoseconds since the machine was built */
    void *ctx;
};

static inline uint64_t vclock_now(const struct vclock *c)
{
    return c->now(c->ctx);
}

typedef void irq_set_fn(void *ctx, unsigned line, bool level);

struct irq_line {
    irq_set_fn *set; /* NULL: the output goes nowhere */
    void *ctx;
    unsigned line;
};

static inline void irq_line_set(const struct irq_line *l, bool level)
{
    if (l->set)
        l->set(l->ctx, l->line, level);
}

typedef void dev_kick_fn(void *ctx);

struct dev_kick {
    dev_kick_fn *fn; /* NULL: nobody listens */
    void *ctx;
};

static inline void dev_kick(const struct dev_kick *k)
{
    if (k->fn)
        k->fn(k->ctx);
}

/* ---- 8259A PIC pair (core/dev/pic8259.c) --------------------------------- */

#define PIC_MASTER 0x20u
#define PIC_SLAVE 0xa0u
#define PIC_CASCADE_IRQ 2u /* the master input the slave's INT drives */

/* One 8259A. Bit n of each mask is input IRn. */
struct pic_chip {
    uint8_t irr;          /* interrupt request register: requests waiting */
    uint8_t isr;          /* in-service register: acknowledged, not yet EOI'd */
    uint8_t imr;          /* interrupt mask register (OCW1) */
    uint8_t lines;        /* the level of each input now (for edge detection) */
    uint8_t base;         /* ICW2: vector of IR0 (low 3 bits zero) */
    uint8_t icw3;         /* master: inputs with a slave; slave: its cascade id */
    uint8_t lowest;       /* the input with the lowest priority (rotation) */
    uint8_t init_step;    /* 0: initialized; 2, 3, 4: the ICW expected next */
    bool need_icw4, single, level_mode, auto_eoi, rotate_aeoi, sfnm;
    bool read_isr;        /* OCW3: the command port reads ISR (else IRR) */
    bool special_mask;    /* OCW3: special mask mode */
    bool poll;            /* OCW3: the next read is a poll */
};

struct pic8259 {
    struct pic_chip chip[2]; /* [0] master at 0x20, [1] slave at 0xa0 */
    struct dev_kick kick;    /* called when INT is asserted after a change */
};

/* Claim ports 0x20-0x21 and 0xa0-0xa1. The chips start as after power-up:
 * uninitialized, every input unmasked, vector base 0. Returns 0 or a bus
 * error. */
int pic_register(struct pic8259 *p, struct bus *bus, struct dev_kick kick);

/* Drive input `irq` (0-15; 8-15 are the slave's) to `level`. Has the
 * signature of irq_set_fn, `ctx` being the pic8259. */
void pic_set_irq(void *ctx, unsigned irq, bool level);

/* Is the master's INT output asserted (a request that may interrupt)? */
bool pic_output(const struct pic8259 *p);

/* The interrupt-acknowledge cycle: the vector of the highest-priority
 * request, now in service. With no request left (it went away since INT
 * was raised), the spurious vector of IR7 (or IR15 from the slave). */
uint8_t pic_inta(struct pic8259 *p);

/* Would a rising edge on input `irq` assert INT, given the masks and what
 * is in service now? (The machine asks this before letting a halted CPU
 * wait for a timer.) */
bool pic_line_can_interrupt(const struct pic8259 *p, unsigned irq);

/* ---- 8254 PIT (core/dev/pit8254.c) --------------------------------------- */

#define PIT_BASE 0x40u
#define PIT_PORT_B 0x61u      /* system control port B: channel 2's gate and OUT */
#define PIT_HZ 1193182u       /* the input clock, 1.193182 MHz */

struct pit_channel {
    uint32_t reload;      /* the count in use, 1..65536 (a written 0 means 65536) */
    uint32_t next_reload; /* a count written while counting in mode 2 or 3 */
    uint64_t start;       /* PIT tick at which the count was loaded */
    uint64_t next_at;     /* the tick at which next_reload takes over */
    uint64_t frozen;      /* ticks counted when the gate went low */
    uint16_t latch;       /* a latched count */
    uint8_t mode;         /* 0-5 */
    uint8_t access;       /* 1 low byte, 2 high byte, 3 low then high */
    uint8_t status;       /* a latched read-back status */
    uint8_t write_lo;     /* the low byte of a count being written */
    bool bcd;
    bool has_count;       /* a count arrived since the control word */
    bool counting;        /* the counter runs (modes 1 and 5: once triggered) */
    bool pending_reload;  /* next_reload waits for the end of the period */
    bool gate;
    bool latched, status_latched, read_hi_next, write_hi_next;
};

struct pit8254 {
    struct pit_channel ch[3];
    uint8_t port_b;          /* bits 0-3 of port 0x61 as written */
    uint64_t last_tick;      /* when pit_advance() last ran */
    bool out0;               /* the level OUT0 drives on IRQ 0 */
    struct vclock clock;
    struct irq_line irq0;
    struct dev_kick kick;    /* called when channel 0's deadline may have moved */
};

/* Claim ports 0x40-0x43 and 0x61. Every channel starts idle, in mode 0
 * waiting for a count; the gate of channel 2 is low. Returns 0 or a bus
 * error. */
int pit_register(struct pit8254 *p, struct bus *bus, struct vclock clock, struct irq_line irq0,
                 struct dev_kick kick);

/* Bring OUT0 (IRQ 0) up to virtual time `now_ns`. Returns the time of the
 * next change of OUT0, or VTIME_NEVER. */
uint64_t pit_advance(struct pit8254 *p, uint64_t now_ns);

/* ---- Local APIC (core/dev/lapic.c) --------------------------------------- */

#define LAPIC_BASE 0xfee00000u
#define LAPIC_BUS_NS 10u   /* the timer's bus clock: a nominal 100 MHz */
#define LAPIC_LVT_COUNT 6  /* timer, thermal, performance, LINT0, LINT1, error */

struct lapic {
    const struct cpu *cpu; /* IA32_APIC_BASE lives in cpu->apic_base */
    uint32_t id, tpr, ldr, dfr, svr, esr, esr_pending, icr_lo, icr_hi;
    uint32_t lvt[LAPIC_LVT_COUNT];
    uint32_t irr[8], isr[8], tmr[8]; /* 256 bits each: bit v is vector v */
    uint32_t timer_initial, timer_dcr;
    uint64_t timer_start;  /* ns when the count was loaded (moved when the divisor changes) */
    uint64_t timer_next;   /* ns of the next expiry; VTIME_NEVER when stopped */
    struct vclock clock;
    struct dev_kick kick;  /* called after every register write */
};

/* Claim the 4 KiB at LAPIC_BASE. The APIC answers there only while
 * IA32_APIC_BASE has the global enable bit set and still points there.
 * Registers start as after RESET. Returns 0 or a bus error. */
int lapic_register(struct lapic *l, struct bus *bus, const struct cpu *cpu, struct vclock clock,
                   struct dev_kick kick);

/* Run the timer up to `now_ns`. Returns the next expiry or VTIME_NEVER. */
uint64_t lapic_advance(struct lapic *l, uint64_t now_ns);

/* Is a fixed interrupt waiting whose priority beats the processor's? */
bool lapic_pending(const struct lapic *l);

/* Acknowledge it: its IRR bit moves to ISR. Returns the vector or -1. */
int lapic_ack(struct lapic *l);

/* Does the 8259's INT reach the CPU through LINT0 (virtual-wire mode)? */
bool lapic_lint0_open(const struct lapic *l);

/* Could the timer, as programmed, still interrupt the CPU? */
bool lapic_timer_can_interrupt(const struct lapic *l);

/* ---- MC146818 CMOS and real-time clock (core/dev/cmos.c) ----------------- */

#define CMOS_PORT 0x70u
#define CMOS_IRQ 8u
#define CMOS_EPOCH 1767225600u /* 2026-01-01 00:00:00 UTC: the virtual date at power-on */

struct cmos {
    uint8_t ram[128];       /* the registers and the NVRAM, as stored */
    uint8_t index;
    int64_t offset;         /* seconds the guest moved the clock by */
    unsigned held[7];       /* while SET is on, the calendar as set: second,
                             * minute, hour, weekday, day, month, full year */
    uint64_t c_read_at;     /* ns of the last read of register C (it clears the flags) */
    bool line;              /* the level of IRQ 8 */
    struct vclock clock;
    struct irq_line irq;
    struct dev_kick kick;   /* called when a deadline may have moved */
};

/* Claim ports 0x70-0x71. Returns 0 or a bus error. */
int cmos_register(struct cmos *c, struct bus *bus, struct vclock clock, struct irq_line irq,
                  struct dev_kick kick);

/* Bring IRQ 8 up to `now_ns`. Returns when it may next rise, or VTIME_NEVER. */
uint64_t cmos_advance(struct cmos *c, uint64_t now_ns);

/* ---- 16550 UART (core/dev/uart16550.c) ---------------------------------- */

#define UART_COM1 0x3f8u
#define UART_COM1_IRQ 4u

/* Where transmitted bytes go. */
typedef void uart_out_fn(void *ctx, uint8_t byte);

struct uart16550 {
    uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
    uint8_t loop_byte;      /* a byte sent to itself in loopback mode */
    bool loop_full;
    bool thre_pending;      /* the "transmitter empty" interrupt is waiting */
    bool irq_level;         /* the level driven on `irq` */
    const uint8_t *rx;      /* bytes the guest will receive, in order */
    size_t rx_len, rx_pos;
    uart_out_fn *out;
    void *out_ctx;
    struct irq_line irq;
    uint64_t tx_count;      /* bytes transmitted */
};

/* Claim the 8 ports at `base`. `out` receives every transmitted byte; `rx`
 * (may be NULL) is the input the guest reads; `irq` is the INTR wire.
 * Returns 0 or a bus error. */
int uart16550_register(struct uart16550 *u, struct bus *bus, uint16_t base, uart_out_fn *out,
                       void *out_ctx, const uint8_t *rx, size_t rx_len, struct irq_line irq);

/* Replace the input (before the guest reads any). */
void uart16550_set_input(struct uart16550 *u, const uint8_t *rx, size_t rx_len);

/* ---- isa-debug-exit (core/dev/debug_exit.c) ----------------------------- */

#define DEBUG_EXIT_PORT 0xf4u

/* QEMU's isa-debug-exit: a write of `value` ends the run with exit status
 * (value << 1) | 1. */
struct debug_exit {
    struct cpu *cpu;   /* stopped on a write */
    bool written;
    int status;
};

int debug_exit_register(struct debug_exit *d, struct bus *bus, struct cpu *cpu);

#endif

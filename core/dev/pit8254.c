/* The 8254 programmable interval timer (Intel 8254 datasheet, order number
 * 231164), and system control port B at 0x61, which wires channel 2.
 *
 * Three 16-bit down-counters share a 1.193182 MHz clock. On the PC channel
 * 0's OUT drives IRQ 0, channel 1 once refreshed DRAM, and channel 2 feeds
 * the speaker, its gate and output reachable through port 0x61:
 *
 *   port  write                           read
 *   0x40  channel 0 count                 channel 0 count or status
 *   0x41  channel 1 count                 channel 1 count or status
 *   0x42  channel 2 count                 channel 2 count or status
 *   0x43  control word                    -
 *   0x61  bit 0 gate 2, bit 1 speaker     bits 0-3 as written, bit 4 refresh
 *                                         toggle, bit 5 OUT2
 *
 *   control word:  7 6 | 5 4 | 3 2 1 | 0
 *                  SC  | RW  | mode  | BCD    SC 3: read-back command
 *                                              RW 0: counter latch command
 *
 * Nothing here ticks. Time is virtual: the counter value and the level of
 * OUT follow from the PIT clock's tick now, tick(now_ns), and the tick at
 * which the count was loaded. Channel 0's OUT is carried to IRQ 0 only when
 * the machine calls pit_advance() at the deadlines it returns, which are
 * exactly the ticks at which OUT0 changes, so IRQ 0 sees every edge at its
 * time. A count of n behaves per mode, e counting ticks since the load:
 *
 *   mode 0  one-shot          OUT low, high once e >= n (terminal count)
 *   mode 1  gated one-shot    as mode 0, started by a rising gate
 *   mode 2  rate generator    OUT high, low for the one tick when the counter
 *                             is 1: a rising edge every n ticks
 *   mode 3  square wave       OUT high for ceil(n/2) ticks, low for the rest
 *   mode 4  software strobe   OUT low for the one tick e = n
 *   mode 5  gated strobe      as mode 4, started by a rising gate
 *
 * Simplifications: a count is loaded at the tick it is written (the chip
 * waits for the next clock edge); in mode 3 an odd count reads back as the
 * next lower even count.
 */
#include "vlab/dev.h"
#include "vlab/mem.h"

#define NS_PER_S 1000000000ull
#define CW_BCD 0x01u
#define CW_SC_READBACK 3u
#define RB_NO_COUNT 0x20u   /* read-back: do not latch the counts */
#define RB_NO_STATUS 0x10u  /* read-back: do not latch the status */
#define STATUS_OUT 0x80u
#define STATUS_NULL 0x40u
#define PORT_B_GATE2 0x01u
#define PORT_B_WRITABLE 0x0fu
#define PORT_B_REFRESH 0x10u
#define PORT_B_OUT2 0x20u
#define REFRESH_TICKS 18u   /* the PC/AT's refresh period: 18 ticks, 15.1 us */
#define ACCESS_LO 1u
#define ACCESS_HI 2u
#define ACCESS_WORD 3u

/* ---- Virtual time ----------------------------------------------------------- */

/* The PIT clock's tick at `ns`, exactly, without overflow. */
static uint64_t tick_of(uint64_t ns)
{
    return ns / NS_PER_S * PIT_HZ + ns % NS_PER_S * PIT_HZ / NS_PER_S;
}

/* The first nanosecond at which tick_of() reaches `t`. */
static uint64_t ns_of_tick(uint64_t t)
{
    uint64_t r = t % PIT_HZ;
    return t / PIT_HZ * NS_PER_S + (r * NS_PER_S + PIT_HZ - 1) / PIT_HZ;
}

/* ---- The modes -------------------------------------------------------------- */

/* One row per mode, for a counter loaded with n (1..65536) that has counted
 * e ticks: the level of OUT, the counter's value (modulo `m`: 65536, or
 * 10000 in BCD), the e of OUT's next change after e, and whether OUT rose
 * somewhere in (e0, e1]. */
struct pit_mode {
    bool (*out)(uint64_t e, uint64_t n);
    uint64_t (*count)(uint64_t e, uint64_t n, uint64_t m);
    uint64_t (*next_change)(uint64_t e, uint64_t n);
    bool (*rose)(uint64_t e0, uint64_t e1, uint64_t n);
    bool gate_starts;    /* a rising gate (re)starts the count: modes 1, 2, 3, 5 */
    bool gate_pauses;    /* a low gate stops the count: modes 0, 2, 3, 4 */
};

static bool out_terminal(uint64_t e, uint64_t n) { return e >= n; }
static bool out_rate(uint64_t e, uint64_t n) { return e % n != n - 1; }
static bool out_square(uint64_t e, uint64_t n) { return e % n < (n + 1) / 2; }
static bool out_strobe(uint64_t e, uint64_t n) { return e != n; }

/* Modes 0, 1, 4, 5 count down through zero and on, wrapping. */
static uint64_t count_down(uint64_t e, uint64_t n, uint64_t m)
{
    return (n + m - e % m) % m;
}

static uint64_t count_rate(uint64_t e, uint64_t n, uint64_t m)
{
    return (n - e % n) % m;
}

/* Mode 3 counts down by two, twice per period. */
static uint64_t count_square(uint64_t e, uint64_t n, uint64_t m)
{
    uint64_t half = n / 2 ? n / 2 : 1;
    return ((n & ~1ull) - 2 * (e % n % half)) % m;
}

static uint64_t next_terminal(uint64_t e, uint64_t n) { return e < n ? n : VTIME_NEVER; }

static uint64_t next_rate(uint64_t e, uint64_t n)
{
    uint64_t p = e % n;
    return p < n - 1 ? e + (n - 1 - p) : e + 1;
}

static uint64_t next_square(uint64_t e, uint64_t n)
{
    uint64_t p = e % n, high = (n + 1) / 2;
    return p < high ? e + (high - p) : e + (n - p);
}

static uint64_t next_strobe(uint64_t e, uint64_t n)
{
    if (e < n)
        return n;
    return e == n ? n + 1 : VTIME_NEVER;
}

static bool rose_terminal(uint64_t e0, uint64_t e1, uint64_t n) { return e0 < n && n <= e1; }
static bool rose_periodic(uint64_t e0, uint64_t e1, uint64_t n) { return e1 / n > e0 / n; }
static bool rose_strobe(uint64_t e0, uint64_t e1, uint64_t n) { return e0 <= n && n < e1; }

static const struct pit_mode modes[6] = {
    [0] = { out_terminal, count_down, next_terminal, rose_terminal, false, true },
    [1] = { out_terminal, count_down, next_terminal, rose_terminal, true, false },
    [2] = { out_rate, count_rate, next_rate, rose_periodic, true, true },
    [3] = { out_square, count_square, next_square, rose_periodic, true, true },
    [4] = { out_strobe, count_down, next_strobe, rose_strobe, false, true },
    [5] = { out_strobe, count_down, next_strobe, rose_strobe, true, false },
};

/* ---- One channel ----------------------------------------------------------- */

static uint64_t modulus(const struct pit_channel *c)
{
    return c->bcd ? 10000 : 65536;
}

/* A count written during a mode 2 or 3 period takes over when the period
 * ends: at tick `t`, make it current if its time has come. */
static void take_next_reload(struct pit_channel *c, uint64_t t)
{
    if (c->pending_reload && t >= c->next_at) {
        c->reload = c->next_reload;
        c->start = c->next_at;
        c->pending_reload = false;
    }
}

/* Ticks counted at tick `t` (frozen while a low gate pauses the count). */
static uint64_t elapsed(const struct pit_channel *c, uint64_t t)
{
    if (!c->gate && modes[c->mode].gate_pauses)
        return c->frozen;
    return t - c->start;
}

static bool out_at(const struct pit_channel *c, uint64_t t)
{
    if (!c->counting)
        return c->mode != 0;  /* mode 0 drives OUT low from the control word on */
    if (!c->gate && (c->mode == 2 || c->mode == 3))
        return true;
    return modes[c->mode].out(elapsed(c, t), c->reload);
}

static uint16_t count_at(const struct pit_channel *c, uint64_t t)
{
    uint64_t v = c->counting ? modes[c->mode].count(elapsed(c, t), c->reload, modulus(c))
                             : c->reload % modulus(c);
    if (!c->bcd)
        return (uint16_t)v;
    return (uint16_t)((v / 1000 << 12) | (v / 100 % 10 << 8) | (v / 10 % 10 << 4) | (v % 10));
}

static uint8_t status_at(const struct pit_channel *c, uint64_t t)
{
    return (uint8_t)((out_at(c, t) ? STATUS_OUT : 0) |
                     (!c->counting || c->pending_reload ? STATUS_NULL : 0) |
                     (c->access << 4) | (c->mode << 1) | (c->bcd ? CW_BCD : 0));
}

/* A complete count arrives (0 means the largest: 65536, or 10000 in BCD). */
static void load_count(struct pit_channel *c, uint16_t raw, uint64_t t)
{
    uint64_t v = raw;
    if (c->bcd)
        v = (raw >> 12 & 15) * 1000 + (raw >> 8 & 15) * 100 + (raw >> 4 & 15) * 10 + (raw & 15);
    uint32_t n = (uint32_t)(v ? v : modulus(c));
    if (c->counting && (c->mode == 2 || c->mode == 3)) {
        uint64_t e = elapsed(c, t);
        c->next_reload = n;
        c->next_at = c->start + (e / c->reload + 1) * c->reload;
        c->pending_reload = true;
        return;
    }
    c->reload = n;
    c->start = t;
    c->frozen = 0;
    c->has_count = true;
    c->counting = c->mode != 1 && c->mode != 5;  /* those wait for a rising gate */
}

static void write_count(struct pit_channel *c, uint8_t v, uint64_t t)
{
    take_next_reload(c, t);
    switch (c->access) {
    case ACCESS_LO:
        load_count(c, v, t);
        break;
    case ACCESS_HI:
        load_count(c, (uint16_t)(v << 8), t);
        break;
    default:
        if (!c->write_hi_next) {
            c->write_lo = v;
            c->write_hi_next = true;
            if (c->mode == 0)
                c->counting = false;  /* the first byte stops the count */
        } else {
            c->write_hi_next = false;
            load_count(c, (uint16_t)(c->write_lo | v << 8), t);
        }
        break;
    }
}

/* The next byte of a 16-bit value read in the channel's access mode. */
static uint8_t read_part(struct pit_channel *c, uint16_t v, bool *done)
{
    bool hi = c->access == ACCESS_HI || (c->access == ACCESS_WORD && c->read_hi_next);
    *done = c->access != ACCESS_WORD || c->read_hi_next;
    if (c->access == ACCESS_WORD)
        c->read_hi_next = !c->read_hi_next;
    return (uint8_t)(hi ? v >> 8 : v);
}

static uint8_t read_channel(struct pit_channel *c, uint64_t t)
{
    bool done;
    take_next_reload(c, t);
    if (c->status_latched) {
        c->status_latched = false;
        return c->status;
    }
    if (c->latched) {
        uint8_t b = read_part(c, c->latch, &done);
        c->latched = !done;
        return b;
    }
    return read_part(c, count_at(c, t), &done);
}

static void latch_count(struct pit_channel *c, uint64_t t)
{
    if (!c->latched) {
        take_next_reload(c, t);
        c->latch = count_at(c, t);
        c->latched = true;
    }
}

static void latch_status(struct pit_channel *c, uint64_t t)
{
    if (!c->status_latched) {
        take_next_reload(c, t);
        c->status = status_at(c, t);
        c->status_latched = true;
    }
}

/* Gate changes: a low gate pauses modes 0, 2, 3, 4; a rising gate restarts
 * modes 1, 2, 3, 5 (only channel 2's gate can move, through port 0x61). */
static void set_gate(struct pit_channel *c, bool level, uint64_t t)
{
    if (level == c->gate)
        return;
    take_next_reload(c, t);
    if (!level) {
        c->frozen = t - c->start;
    } else if (modes[c->mode].gate_starts && c->has_count) {
        if (c->pending_reload)
            c->reload = c->next_reload;  /* the restart loads the newest count */
        c->pending_reload = false;
        c->start = t;
        c->counting = true;
    } else {
        c->start = t - c->frozen;
    }
    c->gate = level;
}

/* A control word: program a channel, or latch counts and status. */
static void write_control(struct pit8254 *p, uint8_t v, uint64_t t)
{
    unsigned sc = v >> 6, rw = (v >> 4) & 3u;
    if (sc == CW_SC_READBACK) {
        for (unsigned k = 0; k < 3; k++) {
            if (!(v & (2u << k)))
                continue;
            if (!(v & RB_NO_COUNT))
                latch_count(&p->ch[k], t);
            if (!(v & RB_NO_STATUS))
                latch_status(&p->ch[k], t);
        }
        return;
    }
    struct pit_channel *c = &p->ch[sc];
    if (rw == 0) {
        latch_count(c, t);
        return;
    }
    unsigned mode = (v >> 1) & 7u;
    c->mode = (uint8_t)(mode >= 6 ? mode - 4 : mode);  /* 6 and 7 are 2 and 3 */
    c->access = (uint8_t)rw;
    c->bcd = v & CW_BCD;
    c->has_count = c->counting = c->pending_reload = false;
    c->latched = c->status_latched = false;
    c->read_hi_next = c->write_hi_next = false;
}

/* ---- IRQ 0 ------------------------------------------------------------------ */

static void drive_irq0(struct pit8254 *p, bool level)
{
    if (level != p->out0) {
        p->out0 = level;
        irq_line_set(&p->irq0, level);
    }
}

uint64_t pit_advance(struct pit8254 *p, uint64_t now_ns)
{
    struct pit_channel *c = &p->ch[0];
    uint64_t t = tick_of(now_ns);
    bool rose = false;
    if (c->pending_reload && c->next_at <= t) {
        rose = p->last_tick < c->next_at;  /* the old period ended with a rise */
        take_next_reload(c, t);
    }
    if (c->counting && t > p->last_tick) {
        uint64_t from = p->last_tick > c->start ? p->last_tick : c->start;
        rose |= modes[c->mode].rose(elapsed(c, from), elapsed(c, t), c->reload);
    }
    p->last_tick = t;
    if (rose) {
        drive_irq0(p, false);
        drive_irq0(p, true);
    }
    drive_irq0(p, out_at(c, t));
    if (!c->counting)
        return VTIME_NEVER;
    uint64_t next = modes[c->mode].next_change(elapsed(c, t), c->reload);
    return next == VTIME_NEVER ? VTIME_NEVER : ns_of_tick(c->start + next);
}

/* ---- Ports ------------------------------------------------------------------- */

/* Every access first brings IRQ 0 up to now, so that channel 0's history
 * (a period that ended, a new count taking over) is seen before it changes.
 * Returns the tick now. */
static uint64_t catch_up(struct pit8254 *p)
{
    uint64_t now = vclock_now(&p->clock);
    pit_advance(p, now);
    return tick_of(now);
}

/* Does this write change when OUT0 next moves (a count or a mode for
 * channel 0, not a latch command)? */
static bool reprograms_channel0(uint64_t off, uint8_t v)
{
    return off == 0 || (off == 3 && (v >> 6) == 0 && (v & 0x30u));
}

static uint32_t pit_read(void *opaque, uint64_t off, unsigned size)
{
    struct pit8254 *p = opaque;
    (void)size;
    uint64_t t = catch_up(p);
    if (off == 3)
        return 0xff;  /* the control register cannot be read */
    return read_channel(&p->ch[off], t);
}

static void pit_write(void *opaque, uint64_t off, unsigned size, uint32_t v)
{
    struct pit8254 *p = opaque;
    (void)size;
    uint64_t t = catch_up(p);
    if (off == 3)
        write_control(p, (uint8_t)v, t);
    else
        write_count(&p->ch[off], (uint8_t)v, t);
    drive_irq0(p, out_at(&p->ch[0], t));
    if (reprograms_channel0(off, (uint8_t)v))
        dev_kick(&p->kick);
}

static uint32_t port_b_read(void *opaque, uint64_t off, unsigned size)
{
    struct pit8254 *p = opaque;
    (void)off;
    (void)size;
    uint64_t t = catch_up(p);
    struct pit_channel *c2 = &p->ch[2];
    take_next_reload(c2, t);
    return p->port_b | ((t / REFRESH_TICKS) & 1 ? PORT_B_REFRESH : 0) | (out_at(c2, t) ? PORT_B_OUT2 : 0);
}

static void port_b_write(void *opaque, uint64_t off, unsigned size, uint32_t v)
{
    struct pit8254 *p = opaque;
    (void)off;
    (void)size;
    p->port_b = v & PORT_B_WRITABLE;
    set_gate(&p->ch[2], v & PORT_B_GATE2, catch_up(p));
}

static const struct bus_ops pit_ops = { pit_read, pit_write };
static const struct bus_ops port_b_ops = { port_b_read, port_b_write };

int pit_register(struct pit8254 *p, struct bus *bus, struct vclock clock, struct irq_line irq0,
                 struct dev_kick kick)
{
    *p = (struct pit8254){ .clock = clock, .irq0 = irq0, .kick = kick };
    for (unsigned k = 0; k < 3; k++)
        p->ch[k] = (struct pit_channel){ .access = ACCESS_WORD, .gate = k < 2 };
    p->last_tick = tick_of(vclock_now(&clock));
    int err = bus_add_pio(bus, PIT_BASE, 4, &pit_ops, p, "pit8254");
    if (err)
        return err;
    return bus_add_pio(bus, PIT_PORT_B, 1, &port_b_ops, p, "port-b");
}

/* The MC146818 real-time clock and CMOS RAM of the PC (Motorola MC146818A
 * data sheet; the PC's wiring: index port 0x70, data port 0x71, IRQ 8).
 *
 *   port 0x70  write: bit 7 NMI mask (ignored: there is no NMI source),
 *              bits 6:0 the register the data port reaches
 *   port 0x71  that register
 *
 *   reg   content                       reg   content
 *   0x00  seconds                       0x0a  status A: 7 UIP, 6:4 divider,
 *   0x01  seconds alarm                             3:0 periodic rate
 *   0x02  minutes                       0x0b  status B: 7 SET, 6 PIE, 5 AIE,
 *   0x03  minutes alarm                       4 UIE, 3 SQWE, 2 DM (binary),
 *   0x04  hours (bit 7 PM in 12 h mode)       1 24-hour, 0 DSE
 *   0x05  hours alarm                   0x0c  status C (read clears): 7 IRQF,
 *   0x06  day of week (1 = Sunday)            6 PF, 5 AF, 4 UF
 *   0x07  day of month                  0x0d  status D: 7 VRT (battery good)
 *   0x08  month                         0x0e-0x7f  battery-backed RAM
 *   0x09  year (00-99)                  0x32  century (the IBM convention)
 *
 * Time is virtual and deterministic: the clock reads CMOS_EPOCH (2026-01-01
 * 00:00:00) plus the virtual seconds since the machine was built, plus
 * whatever the guest set. Values are BCD or binary as DM says, hours 24-hour
 * or 12-hour as bit 1 says. While SET is on the clock stands still and the
 * time registers can be written; clearing SET restarts it.
 *
 * UIP reads 1 during the last 244 us before each second begins. The
 * periodic flag PF rises at the rate status A selects, the update flag UF
 * each second; reading C returns and clears them. IRQ 8 is high while a
 * flag whose interrupt is enabled (PIE, UIE) is set, that is until the
 * guest reads C, as on the real chip. Not modelled: the alarm (AF never
 * rises; the alarm registers only store), the divider bits (the clock
 * always runs), daylight saving, the square-wave output. Years run from
 * 2000 to 2099; the day of the week follows from the date and ignores
 * writes; a date past the end of its month (February 30th) runs on into
 * the next month when SET is cleared.
 */
#include "vlab/dev.h"
#include "vlab/mem.h"

#define NS_PER_S 1000000000ull
#define OSC_HZ 32768u                 /* the time base: a 32.768 kHz crystal */
#define UIP_NS 244000u                /* UIP is set this long before an update */
#define REG_A 0x0au
#define REG_B 0x0bu
#define REG_C 0x0cu
#define REG_D 0x0du
#define REG_CENTURY 0x32u
#define A_UIP 0x80u
#define A_RATE 0x0fu
#define B_SET 0x80u
#define B_PIE 0x40u
#define B_UIE 0x10u
#define B_DM 0x04u
#define B_24H 0x02u
#define C_IRQF 0x80u
#define C_PF 0x40u
#define C_UF 0x10u
#define D_VRT 0x80u

/* ---- The calendar ------------------------------------------------------------ */

enum field { F_SEC, F_MIN, F_HOUR, F_DOW, F_DAY, F_MONTH, F_YEAR, F_COUNT };

struct rtc_time {
    unsigned f[F_COUNT]; /* F_DOW: 1 = Sunday; F_YEAR: the full year */
};
_Static_assert(F_COUNT == VLAB_ARRAY_SIZE(((struct cmos *)0)->held), "cmos->held holds the fields");

static bool leap(unsigned y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned month_days(unsigned y, unsigned m)
{
    static const uint8_t days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return days[m - 1] + (m == 2 && leap(y));
}

/* Seconds since 1970-01-01 00:00:00 to the calendar. */
static struct rtc_time time_of(uint64_t secs)
{
    struct rtc_time t;
    uint64_t days = secs / 86400;
    unsigned s = (unsigned)(secs % 86400);
    t.f[F_SEC] = s % 60;
    t.f[F_MIN] = s / 60 % 60;
    t.f[F_HOUR] = s / 3600;
    t.f[F_DOW] = (unsigned)((days + 4) % 7) + 1;  /* 1970-01-01 was a Thursday */
    unsigned y = 1970, m = 1;
    while (days >= 365u + leap(y))
        days -= 365u + leap(y++);
    while (days >= month_days(y, m))
        days -= month_days(y, m++);
    t.f[F_DAY] = (unsigned)days + 1;
    t.f[F_MONTH] = m;
    t.f[F_YEAR] = y;
    return t;
}

/* The calendar to seconds since 1970. The day of the week is ignored; a
 * day past the end of its month runs on into the next. */
static uint64_t secs_of(const struct rtc_time *t)
{
    uint64_t days = t->f[F_DAY] - 1;
    for (unsigned y = 1970; y < t->f[F_YEAR]; y++)
        days += 365u + leap(y);
    for (unsigned m = 1; m < t->f[F_MONTH]; m++)
        days += month_days(t->f[F_YEAR], m);
    return days * 86400 + t->f[F_HOUR] * 3600u + t->f[F_MIN] * 60u + t->f[F_SEC];
}

/* ---- Clock state --------------------------------------------------------------- */

static uint64_t running_secs(const struct cmos *c, uint64_t now_ns)
{
    return (uint64_t)((int64_t)(CMOS_EPOCH + now_ns / NS_PER_S) + c->offset);
}

/* The calendar now: the held fields while SET is on. */
static struct rtc_time current(const struct cmos *c, uint64_t now_ns)
{
    struct rtc_time t;
    if (!(c->ram[REG_B] & B_SET))
        return time_of(running_secs(c, now_ns));
    for (unsigned k = 0; k < F_COUNT; k++)
        t.f[k] = c->held[k];
    return t;
}

/* The 32.768 kHz tick at `ns`, exactly. */
static uint64_t osc_of(uint64_t ns)
{
    return ns / NS_PER_S * OSC_HZ + ns % NS_PER_S * OSC_HZ / NS_PER_S;
}

static uint64_t ns_of_osc(uint64_t t)
{
    return t / OSC_HZ * NS_PER_S + (t % OSC_HZ * NS_PER_S + OSC_HZ - 1) / OSC_HZ;
}

/* Oscillator ticks per periodic interrupt for rate select RS (0: none):
 * 1 and 2 give 256 and 128 Hz, 3-15 give 8192 Hz down to 2 Hz. */
static uint64_t periodic_ticks(const struct cmos *c)
{
    unsigned rs = c->ram[REG_A] & A_RATE;
    if (rs == 0)
        return 0;
    return rs <= 2 ? 64u << rs : 1u << (rs - 1);
}

/* The flags of status C at `now`: events since C was last read. */
static uint8_t flags_at(const struct cmos *c, uint64_t now)
{
    uint8_t f = 0;
    uint64_t p = periodic_ticks(c);
    if (p && osc_of(now) / p > osc_of(c->c_read_at) / p)
        f |= C_PF;
    if (!(c->ram[REG_B] & B_SET) && now / NS_PER_S > c->c_read_at / NS_PER_S)
        f |= C_UF;
    uint8_t b = c->ram[REG_B];
    if (((f & C_PF) && (b & B_PIE)) || ((f & C_UF) && (b & B_UIE)))
        f |= C_IRQF;
    return f;
}

static void drive_irq(struct cmos *c, bool level)
{
    if (level != c->line) {
        c->line = level;
        irq_line_set(&c->irq, level);
    }
}

uint64_t cmos_advance(struct cmos *c, uint64_t now_ns)
{
    drive_irq(c, flags_at(c, now_ns) & C_IRQF);
    if (c->line)
        return VTIME_NEVER;  /* it stays high until the guest reads C */
    uint64_t next = VTIME_NEVER, p = periodic_ticks(c);
    uint8_t b = c->ram[REG_B];
    if ((b & B_PIE) && p)
        next = ns_of_osc((osc_of(now_ns) / p + 1) * p);
    if ((b & B_UIE) && !(b & B_SET)) {
        uint64_t second = (now_ns / NS_PER_S + 1) * NS_PER_S;
        next = second < next ? second : next;
    }
    return next;
}

/* ---- Registers -------------------------------------------------------------------- */

static uint8_t encode(const struct cmos *c, unsigned v)
{
    return (uint8_t)((c->ram[REG_B] & B_DM) ? v : (v / 10) << 4 | v % 10);
}

static unsigned decode(const struct cmos *c, uint8_t v)
{
    return (c->ram[REG_B] & B_DM) ? v : (v >> 4) * 10u + (v & 15u);
}

static uint8_t encode_hour(const struct cmos *c, unsigned h)
{
    if (c->ram[REG_B] & B_24H)
        return encode(c, h);
    return (uint8_t)(encode(c, h % 12 ? h % 12 : 12) | (h >= 12 ? 0x80 : 0));
}

static unsigned decode_hour(const struct cmos *c, uint8_t v)
{
    if (c->ram[REG_B] & B_24H)
        return decode(c, v);
    return decode(c, v & 0x7fu) % 12 + ((v & 0x80u) ? 12 : 0);
}

/* One row per register with a meaning of its own; the others are RAM. */
struct cmos_reg {
    uint8_t (*read)(struct cmos *c, unsigned reg, uint64_t now);
    void (*write)(struct cmos *c, unsigned reg, uint8_t v, uint64_t now);
    enum field field;  /* for the time registers */
};

static const struct cmos_reg regs[0x0e];

static uint8_t rd_time(struct cmos *c, unsigned reg, uint64_t now)
{
    struct rtc_time t = current(c, now);
    enum field f = regs[reg].field;
    if (f == F_HOUR)
        return encode_hour(c, t.f[F_HOUR]);
    return encode(c, f == F_YEAR ? t.f[F_YEAR] % 100 : t.f[f]);
}

/* Set one field of the calendar. While SET is on the field is held; else
 * the clock jumps by the difference. A value out of the field's range is
 * ignored. */
static void wr_time(struct cmos *c, unsigned reg, uint8_t v, uint64_t now)
{
    static const unsigned lo[F_COUNT] = { [F_DAY] = 1, [F_MONTH] = 1 };
    static const unsigned hi[F_COUNT] = { 59, 59, 23, 7, 31, 12, 99 };
    enum field f = regs[reg].field;
    unsigned x = f == F_HOUR ? decode_hour(c, v) : decode(c, v);
    if (f == F_DOW || x < lo[f] || x > hi[f])
        return;
    x = f == F_YEAR ? 2000 + x : x;
    if (c->ram[REG_B] & B_SET) {
        c->held[f] = x;
        return;
    }
    struct rtc_time t = current(c, now);
    t.f[f] = x;
    c->offset += (int64_t)secs_of(&t) - (int64_t)running_secs(c, now);
}

static uint8_t rd_ram(struct cmos *c, unsigned reg, uint64_t now)
{
    (void)now;
    return c->ram[reg];
}

static void wr_ram(struct cmos *c, unsigned reg, uint8_t v, uint64_t now)
{
    (void)now;
    c->ram[reg] = v;
}

static uint8_t rd_a(struct cmos *c, unsigned reg, uint64_t now)
{
    (void)reg;
    bool uip = !(c->ram[REG_B] & B_SET) && now % NS_PER_S >= NS_PER_S - UIP_NS;
    return c->ram[REG_A] | (uip ? A_UIP : 0);
}

static void wr_a(struct cmos *c, unsigned reg, uint8_t v, uint64_t now)
{
    (void)reg;
    c->ram[REG_A] = v & (uint8_t)~A_UIP;
    cmos_advance(c, now);
}

/* Turning SET on stops the clock (and the update interrupt); turning it off
 * restarts it from the time set. */
static void wr_b(struct cmos *c, unsigned reg, uint8_t v, uint64_t now)
{
    (void)reg;
    bool was_set = c->ram[REG_B] & B_SET;
    if ((v & B_SET) && !was_set) {
        struct rtc_time t = current(c, now);
        for (unsigned k = 0; k < F_COUNT; k++)
            c->held[k] = t.f[k];
        v &= (uint8_t)~B_UIE;
    }
    if (was_set && !(v & B_SET)) {
        struct rtc_time t = current(c, now);
        c->offset = (int64_t)secs_of(&t) - (int64_t)(CMOS_EPOCH + now / NS_PER_S);
    }
    c->ram[REG_B] = v;
    cmos_advance(c, now);
}

static uint8_t rd_c(struct cmos *c, unsigned reg, uint64_t now)
{
    (void)reg;
    uint8_t f = flags_at(c, now);
    c->c_read_at = now;
    drive_irq(c, false);
    dev_kick(&c->kick);  /* IRQ 8 may rise again: a new deadline */
    return f;
}

static uint8_t rd_d(struct cmos *c, unsigned reg, uint64_t now)
{
    (void)c, (void)reg, (void)now;
    return D_VRT;
}

static const struct cmos_reg regs[0x0e] = {
    [0x00] = { rd_time, wr_time, F_SEC },  [0x01] = { rd_ram, wr_ram, F_COUNT },
    [0x02] = { rd_time, wr_time, F_MIN },  [0x03] = { rd_ram, wr_ram, F_COUNT },
    [0x04] = { rd_time, wr_time, F_HOUR }, [0x05] = { rd_ram, wr_ram, F_COUNT },
    [0x06] = { rd_time, wr_time, F_DOW },  [0x07] = { rd_time, wr_time, F_DAY },
    [0x08] = { rd_time, wr_time, F_MONTH }, [0x09] = { rd_time, wr_time, F_YEAR },
    [REG_A] = { rd_a, wr_a, F_COUNT },     [REG_B] = { rd_ram, wr_b, F_COUNT },
    [REG_C] = { rd_c, NULL, F_COUNT },     [REG_D] = { rd_d, NULL, F_COUNT },
};

static uint8_t read_reg(struct cmos *c, unsigned reg, uint64_t now)
{
    if (reg == REG_CENTURY)
        return encode(c, current(c, now).f[F_YEAR] / 100);
    return reg < VLAB_ARRAY_SIZE(regs) ? regs[reg].read(c, reg, now) : c->ram[reg];
}

static uint32_t cmos_read(void *opaque, uint64_t off, unsigned size)
{
    struct cmos *c = opaque;
    (void)size;
    if (off == 0)
        return 0xff;  /* the index register cannot be read */
    return read_reg(c, c->index, vclock_now(&c->clock));
}

static void cmos_write(void *opaque, uint64_t off, unsigned size, uint32_t v)
{
    struct cmos *c = opaque;
    (void)size;
    if (off == 0) {
        c->index = v & 0x7fu;
        return;
    }
    unsigned reg = c->index;
    if (reg >= VLAB_ARRAY_SIZE(regs))
        c->ram[reg] = (uint8_t)v;
    else if (regs[reg].write)
        regs[reg].write(c, reg, (uint8_t)v, vclock_now(&c->clock));
    dev_kick(&c->kick);
}

static const struct bus_ops cmos_ops = { cmos_read, cmos_write };

int cmos_register(struct cmos *c, struct bus *bus, struct vclock clock, struct irq_line irq,
                  struct dev_kick kick)
{
    *c = (struct cmos){ .clock = clock, .irq = irq, .kick = kick };
    c->ram[REG_A] = 0x26;             /* 32.768 kHz time base, 1024 Hz periodic rate */
    c->ram[REG_B] = B_24H;            /* BCD, 24-hour */
    c->c_read_at = vclock_now(&clock);
    return bus_add_pio(bus, CMOS_PORT, 2, &cmos_ops, c, "cmos");
}

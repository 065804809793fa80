/* The local APIC in xAPIC mode, as kernels since the Pentium 4 meet it
 * (SDM Vol. 3, chapter 10 "Advanced Programmable Interrupt Controller").
 *
 * 4 KiB of registers at the physical address in IA32_APIC_BASE (0xFEE00000
 * after reset), each 32 bits wide on a 16-byte boundary:
 *
 *   0x020 ID          0x0b0 EOI (write)     0x200-0x270 IRR (256 bits)
 *   0x030 version     0x0d0 LDR             0x280 ESR
 *   0x080 TPR         0x0e0 DFR             0x300/0x310 ICR low/high
 *   0x090 APR         0x0f0 SVR             0x320-0x370 LVT: timer, thermal,
 *   0x0a0 PPR         0x100-0x170 ISR             perf, LINT0, LINT1, error
 *                     0x180-0x1f0 TMR       0x380 timer initial count
 *                                           0x390 timer current count
 *                                           0x3e0 timer divide configuration
 *
 * Interrupts wait in IRR; the CPU takes the highest one whose priority class
 * (vector >> 4) beats the processor priority PPR = max(TPR, the highest
 * vector in service), moving it to ISR; an EOI write ends the highest in
 * service (10.8).
 *
 * Enabling: IA32_APIC_BASE bit 11 enables the APIC globally; while clear the
 * registers are gone (reads give all ones) and nothing is delivered. The
 * registers keep their values (the SDM allows either). The APIC answers only
 * at 0xFEE00000: moving it elsewhere through the MSR is not supported; and
 * RAM comes first on this machine's bus, so with 4 GiB of RAM the APIC is
 * hidden behind it. Bit 8
 * of SVR enables it in software; after RESET it is clear, every LVT entry is
 * masked and can be unmasked only once SVR enables the APIC (10.4.7.2).
 * While software-disabled, interrupts already in IRR are held.
 *
 * The 8259 reaches the CPU through LINT0, as on a PC in virtual-wire mode:
 * unless software enabled the APIC and masked LINT0, the PIC's INT goes to
 * the CPU, its vector coming from the PIC's INTA, whatever LINT0's delivery
 * mode says (a PC programs ExtINT there).
 *
 * The version register reads 0x00050014: version 0x14, an integrated xAPIC
 * (0x1X; an external 82489DX would be 0x0X, which Linux treats as a
 * different device), with a maximum LVT entry of 5, that is six LVT
 * entries including thermal. These are the values of the Pentium 4/Xeon
 * class and the value QEMU's APIC reports, so a guest that runs on both
 * sees the same APIC.
 *
 * The timer counts down at the bus clock (a nominal 100 MHz) divided by
 * 1-128, one-shot or periodic; TSC-deadline mode is not offered (CPUID does
 * not report it). Interrupts between processors: there is one processor, so
 * an ICR write delivers a fixed interrupt only when it is addressed to this
 * APIC (self, all including self, its physical ID or a logical match) and
 * ignores every other delivery mode (INIT, SIPI, NMI, SMI). Not modelled:
 * the error interrupt (ESR records an illegal vector, no interrupt follows),
 * thermal and performance interrupts, level-triggered interrupts (TMR stays
 * zero), x2APIC.
 */
#include "vlab/cpu.h"
#include "vlab/dev.h"
#include "vlab/mem.h"

#define APIC_BASE_ADDR 0xfffff000ull
#define LAPIC_SIZE 0x1000u
#define LAPIC_VERSION 0x00050014u
#define SVR_ENABLE 0x100u
#define SVR_WRITABLE 0x3ffu      /* vector, enable, focus checking */
#define LVT_MASKED 0x10000u
#define LVT_PERIODIC 0x20000u
#define ESR_RECEIVE_ILLEGAL 0x40u
#define ICR_DELIVERY_MODE 0x700u /* 000: fixed */
#define ICR_LOGICAL 0x800u
#define ICR_SHORTHAND_SHIFT 18

enum lvt_entry { LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR };

/* Writable bits of each LVT entry (10.5.1): vector, delivery mode, pin
 * polarity, trigger mode, mask, and for the timer its periodic bit. */
static const uint32_t lvt_writable[LAPIC_LVT_COUNT] = {
    [LVT_TIMER] = 0x000300ffu, [LVT_THERMAL] = 0x000107ffu, [LVT_PERF] = 0x000107ffu,
    [LVT_LINT0] = 0x0001a7ffu, [LVT_LINT1] = 0x0001a7ffu, [LVT_ERROR] = 0x000100ffu,
};

/* ---- State -------------------------------------------------------------------- */

static bool present(const struct lapic *l)
{
    uint64_t b = l->cpu->apic_base;
    return (b & MSR_APIC_BASE_EN) && (b & APIC_BASE_ADDR) == LAPIC_BASE;
}

static bool enabled(const struct lapic *l)
{
    return present(l) && (l->svr & SVR_ENABLE);
}

/* The state after RESET (10.4.7.1). */
static void reset(struct lapic *l)
{
    l->id = l->tpr = l->ldr = l->esr = l->esr_pending = l->icr_lo = l->icr_hi = 0;
    l->dfr = 0xffffffffu;
    l->svr = 0xff;
    for (unsigned k = 0; k < LAPIC_LVT_COUNT; k++)
        l->lvt[k] = LVT_MASKED;
    for (unsigned k = 0; k < 8; k++)
        l->irr[k] = l->isr[k] = l->tmr[k] = 0;
    l->timer_initial = l->timer_dcr = 0;
    l->timer_start = 0;
    l->timer_next = VTIME_NEVER;
}

/* The highest vector set in a 256-bit register, or -1. */
static int highest(const uint32_t r[8])
{
    for (int k = 7; k >= 0; k--)
        if (r[k])
            return k * 32 + 31 - __builtin_clz(r[k]);
    return -1;
}

static void set_bit(uint32_t r[8], unsigned v) { r[v / 32] |= 1u << (v % 32); }
static void clear_bit(uint32_t r[8], unsigned v) { r[v / 32] &= ~(1u << (v % 32)); }

/* Processor priority (10.8.3.1): the TPR, or the class of the highest
 * vector in service when that is higher. */
static uint32_t ppr(const struct lapic *l)
{
    int isrv = highest(l->isr);
    uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0u;
    return (l->tpr & 0xf0u) >= isr_class ? l->tpr : isr_class;
}

/* Accept a fixed interrupt into IRR. Vectors 0-15 are illegal (10.5.3). */
static void accept(struct lapic *l, unsigned vector)
{
    if (vector < 16)
        l->esr_pending |= ESR_RECEIVE_ILLEGAL;
    else
        set_bit(l->irr, vector);
}

/* ---- The timer (10.5.4) ---------------------------------------------------------- */

/* Nanoseconds per count: the bus clock divided as DCR bits 3, 1:0 say
 * (000: 2, 001: 4, ... 110: 128, 111: 1). */
static uint64_t tick_ns(const struct lapic *l)
{
    unsigned code = (l->timer_dcr & 3u) | ((l->timer_dcr & 8u) >> 1);
    return (uint64_t)LAPIC_BUS_NS << ((code + 1) & 7u);
}

static bool periodic(const struct lapic *l)
{
    return l->lvt[LVT_TIMER] & LVT_PERIODIC;
}

/* Counts done since the timer started, at `now`. */
static uint64_t counts_done(const struct lapic *l, uint64_t now)
{
    return (now - l->timer_start) / tick_ns(l);
}

static uint32_t current_count(const struct lapic *l, uint64_t now)
{
    if (l->timer_next == VTIME_NEVER)
        return 0;
    uint64_t done = counts_done(l, now);
    if (periodic(l))
        return l->timer_initial - (uint32_t)(done % l->timer_initial);
    return done >= l->timer_initial ? 0 : l->timer_initial - (uint32_t)done;
}

/* The first expiry after `now`: the end of the period running then. */
static uint64_t next_expiry(const struct lapic *l, uint64_t now)
{
    uint64_t period = (uint64_t)l->timer_initial * tick_ns(l);
    return l->timer_start + ((now - l->timer_start) / period + 1) * period;
}

uint64_t lapic_advance(struct lapic *l, uint64_t now_ns)
{
    if (l->timer_next > now_ns)
        return l->timer_next;
    if (enabled(l) && !(l->lvt[LVT_TIMER] & LVT_MASKED))
        accept(l, l->lvt[LVT_TIMER] & 0xffu);
    l->timer_next = periodic(l) ? next_expiry(l, now_ns) : VTIME_NEVER;
    return l->timer_next;
}

static void start_timer(struct lapic *l, uint32_t count, uint64_t now)
{
    l->timer_initial = count;
    l->timer_start = now;
    l->timer_next = count ? now + (uint64_t)count * tick_ns(l) : VTIME_NEVER;
}

/* A new divisor applies to the counts still to go. */
static void set_divide(struct lapic *l, uint32_t dcr, uint64_t now)
{
    if (l->timer_next == VTIME_NEVER) {
        l->timer_dcr = dcr;
        return;
    }
    uint64_t left = current_count(l, now);
    uint64_t done = l->timer_initial - left;
    l->timer_dcr = dcr;
    l->timer_start = now - done * tick_ns(l);
    l->timer_next = now + left * tick_ns(l);
}

/* ---- Interrupt command register: this APIC is alone on its bus --------------- */

static bool addressed_to_me(const struct lapic *l)
{
    unsigned shorthand = (l->icr_lo >> ICR_SHORTHAND_SHIFT) & 3u;
    uint32_t dest = l->icr_hi >> 24;
    if (shorthand == 1 || shorthand == 2)  /* self; all including self */
        return true;
    if (shorthand == 3)                    /* all excluding self */
        return false;
    if (l->icr_lo & ICR_LOGICAL)
        return (dest & (l->ldr >> 24)) != 0;
    return dest == 0xff || dest == l->id >> 24;
}

static void send_ipi(struct lapic *l)
{
    if ((l->icr_lo & ICR_DELIVERY_MODE) == 0 && addressed_to_me(l))
        accept(l, l->icr_lo & 0xffu);
}

/* ---- Registers ------------------------------------------------------------------- */

/* Each row reads or writes the register at offset reg << 4; NULL reads as
 * 0, NULL writes are ignored. */
struct lapic_reg {
    uint32_t (*read)(const struct lapic *l, unsigned reg, uint64_t now);
    void (*write)(struct lapic *l, unsigned reg, uint32_t v, uint64_t now);
};

static uint32_t rd_id(const struct lapic *l, unsigned r, uint64_t t) { (void)r, (void)t; return l->id; }
static uint32_t rd_version(const struct lapic *l, unsigned r, uint64_t t) { (void)l, (void)r, (void)t; return LAPIC_VERSION; }
static uint32_t rd_tpr(const struct lapic *l, unsigned r, uint64_t t) { (void)r, (void)t; return l->tpr; }
static uint32_t rd_ppr(const struct lapic *l, unsigned r, uint64_t t) { (void)r, (void)t; return ppr(l); }
static uint32_t rd_ldr(const struct lapic *l, unsigned r, uint64_t t) { (void)r, (void)t; return l->ldr; }
static uint32_t rd_dfr(const struct lapic *l, unsigned r, uint64_t t) { (void)r, (void)t; return l->dfr; }
static uint32_t rd_svr(const struct lapic *l, unsigned r, uint64_t t) { (void)r, (void)t; return l->svr; }
static uint32_t rd_isr(const struct lapic *l, unsigned r, uint64_t t) { (void)t; return l->isr[r - 0x10]; }
static uint32_t rd_tmr(const struct lapic *l, unsigned r, uint64_t t) { (void)t; return l->tmr[r - 0x18]; }
static uint32_t rd_irr(const struct lapic *l, unsigned r, uint64_t t) { (void)t; return l->irr[r - 0x20]; }
static uint32_t rd_esr(const struct lapic *l, unsigned r, uint64_t t) { (void)r, (void)t; return l->esr; }
static uint32_t rd_icr_lo(const struct lapic *l, unsigned r, uint64_t t) { (void)r, (void)t; return l->icr_lo; }
static uint32_t rd_icr_hi(const struct lapic *l, unsigned r, uint64_t t) { (void)r, (void)t; return l->icr_hi; }
static uint32_t rd_lvt(const struct lapic *l, unsigned r, uint64_t t) { (void)t; return l->lvt[r - 0x32]; }
static uint32_t rd_initial(const struct lapic *l, unsigned r, uint64_t t) { (void)r, (void)t; return l->timer_initial; }
static uint32_t rd_current(const struct lapic *l, unsigned r, uint64_t t) { (void)r; return current_count(l, t); }
static uint32_t rd_dcr(const struct lapic *l, unsigned r, uint64_t t) { (void)r, (void)t; return l->timer_dcr; }

/* Arbitration priority (10.8.3.1, Figure 10-15). */
static uint32_t rd_apr(const struct lapic *l, unsigned r, uint64_t t)
{
    (void)r, (void)t;
    int irrv = highest(l->irr), isrv = highest(l->isr);
    uint32_t tpr_class = l->tpr & 0xf0u;
    uint32_t irr_class = irrv < 0 ? 0 : (uint32_t)irrv & 0xf0u;
    uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0u;
    if (tpr_class >= irr_class && tpr_class > isr_class)
        return l->tpr;
    uint32_t m = tpr_class > isr_class ? tpr_class : isr_class;
    return m > irr_class ? m : irr_class;
}

static void wr_id(struct lapic *l, unsigned r, uint32_t v, uint64_t t) { (void)r, (void)t; l->id = v & 0xff000000u; }
static void wr_tpr(struct lapic *l, unsigned r, uint32_t v, uint64_t t) { (void)r, (void)t; l->tpr = v & 0xffu; }
static void wr_ldr(struct lapic *l, unsigned r, uint32_t v, uint64_t t) { (void)r, (void)t; l->ldr = v & 0xff000000u; }
static void wr_dfr(struct lapic *l, unsigned r, uint32_t v, uint64_t t) { (void)r, (void)t; l->dfr = v | 0x0fffffffu; }
static void wr_icr_hi(struct lapic *l, unsigned r, uint32_t v, uint64_t t) { (void)r, (void)t; l->icr_hi = v & 0xff000000u; }
static void wr_dcr(struct lapic *l, unsigned r, uint32_t v, uint64_t t) { (void)r; set_divide(l, v & 0xbu, t); }
static void wr_initial(struct lapic *l, unsigned r, uint32_t v, uint64_t t) { (void)r; start_timer(l, v, t); }

/* EOI: the highest vector in service is done (the value written is ignored). */
static void wr_eoi(struct lapic *l, unsigned r, uint32_t v, uint64_t t)
{
    (void)r, (void)v, (void)t;
    int vector = highest(l->isr);
    if (vector >= 0)
        clear_bit(l->isr, (unsigned)vector);
}

/* Software disable masks every LVT entry (10.4.7.2). */
static void wr_svr(struct lapic *l, unsigned r, uint32_t v, uint64_t t)
{
    (void)r, (void)t;
    l->svr = v & SVR_WRITABLE;
    if (!(l->svr & SVR_ENABLE))
        for (unsigned k = 0; k < LAPIC_LVT_COUNT; k++)
            l->lvt[k] |= LVT_MASKED;
}

/* A write to ESR makes the errors seen since the last write readable. */
static void wr_esr(struct lapic *l, unsigned r, uint32_t v, uint64_t t)
{
    (void)r, (void)v, (void)t;
    l->esr = l->esr_pending;
    l->esr_pending = 0;
}

static void wr_icr_lo(struct lapic *l, unsigned r, uint32_t v, uint64_t t)
{
    (void)r, (void)t;
    l->icr_lo = v & ~0x1000u;  /* delivery status: always idle */
    send_ipi(l);
}

/* While software-disabled the mask bit cannot be cleared. */
static void wr_lvt(struct lapic *l, unsigned r, uint32_t v, uint64_t t)
{
    (void)t;
    unsigned k = r - 0x32;
    l->lvt[k] = v & lvt_writable[k];
    if (!(l->svr & SVR_ENABLE))
        l->lvt[k] |= LVT_MASKED;
}

#define RO(fn) { fn, NULL }
#define RW(rd, wr) { rd, wr }
#define RO8(fn) RO(fn), RO(fn), RO(fn), RO(fn), RO(fn), RO(fn), RO(fn), RO(fn)

static const struct lapic_reg regs[LAPIC_SIZE / 16 / 4] = {
    [0x02] = RW(rd_id, wr_id),        [0x03] = RO(rd_version),
    [0x08] = RW(rd_tpr, wr_tpr),      [0x09] = RO(rd_apr),
    [0x0a] = RO(rd_ppr),              [0x0b] = { NULL, wr_eoi },
    [0x0d] = RW(rd_ldr, wr_ldr),      [0x0e] = RW(rd_dfr, wr_dfr),
    [0x0f] = RW(rd_svr, wr_svr),
    [0x10] = RO8(rd_isr),             [0x18] = RO8(rd_tmr),
    [0x20] = RO8(rd_irr),
    [0x28] = RW(rd_esr, wr_esr),
    [0x30] = RW(rd_icr_lo, wr_icr_lo), [0x31] = RW(rd_icr_hi, wr_icr_hi),
    [0x32] = RW(rd_lvt, wr_lvt),      [0x33] = RW(rd_lvt, wr_lvt),
    [0x34] = RW(rd_lvt, wr_lvt),      [0x35] = RW(rd_lvt, wr_lvt),
    [0x36] = RW(rd_lvt, wr_lvt),      [0x37] = RW(rd_lvt, wr_lvt),
    [0x38] = RW(rd_initial, wr_initial), [0x39] = RO(rd_current),
    [0x3e] = RW(rd_dcr, wr_dcr),
};

/* Registers are meant to be read and written as aligned dwords (10.4.1). A
 * narrower read returns the bytes it covers; other writes are ignored. */
static uint32_t lapic_read(void *opaque, uint64_t off, unsigned size)
{
    const struct lapic *l = opaque;
    if (!present(l))
        return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
    unsigned reg = (unsigned)(off >> 4);
    if (reg >= VLAB_ARRAY_SIZE(regs) || (off & 0xc) || !regs[reg].read)
        return 0;
    uint32_t v = regs[reg].read(l, reg, vclock_now(&l->clock)) >> (8 * (off & 3));
    return size == 4 ? v : v & ((1u << (8 * size)) - 1);
}

static void lapic_write(void *opaque, uint64_t off, unsigned size, uint32_t v)
{
    struct lapic *l = opaque;
    unsigned reg = (unsigned)(off >> 4);
    if (!present(l) || size != 4 || (off & 0xf) || reg >= VLAB_ARRAY_SIZE(regs) || !regs[reg].write)
        return;
    regs[reg].write(l, reg, v, vclock_now(&l->clock));
    dev_kick(&l->kick);
}

static const struct bus_ops lapic_ops = { lapic_read, lapic_write };

/* ---- The machine's side ------------------------------------------------------------ */

bool lapic_pending(const struct lapic *l)
{
    int v = highest(l->irr);
    return enabled(l) && v >= 0 && ((uint32_t)v & 0xf0u) > (ppr(l) & 0xf0u);
}

int lapic_ack(struct lapic *l)
{
    if (!lapic_pending(l))
        return -1;
    unsigned v = (unsigned)highest(l->irr);
    clear_bit(l->irr, v);
    set_bit(l->isr, v);
    return (int)v;
}

bool lapic_lint0_open(const struct lapic *l)
{
    return !enabled(l) || !(l->lvt[LVT_LINT0] & LVT_MASKED);
}

bool lapic_timer_can_interrupt(const struct lapic *l)
{
    uint32_t lvt = l->lvt[LVT_TIMER];
    uint32_t vector = lvt & 0xffu;
    return enabled(l) && !(lvt & LVT_MASKED) && l->timer_next != VTIME_NEVER && vector >= 16 &&
           (vector & 0xf0u) > (ppr(l) & 0xf0u);
}

int lapic_register(struct lapic *l, struct bus *bus, const struct cpu *cpu, struct vclock clock,
                   struct dev_kick kick)
{
    *l = (struct lapic){ .cpu = cpu, .clock = clock, .kick = kick };
    reset(l);
    return bus_add_mmio(bus, LAPIC_BASE, LAPIC_SIZE, &lapic_ops, l, "lapic");
}

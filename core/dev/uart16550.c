/* A 16550 UART (National Semiconductor PC16550D data sheet), wired as a PC
 * wires COM1: ports 0x3f8-0x3ff, IRQ 4.
 *
 * Registers (DLAB = LCR bit 7 selects the divisor latch at offsets 0 and 1):
 *
 *   offset  read                  write
 *   0       RBR receive buffer    THR transmit holding  (DLAB: DLL)
 *   1       IER                   IER                   (DLAB: DLM)
 *   2       IIR interrupt ident   FCR FIFO control
 *   3       LCR line control      LCR
 *   4       MCR modem control     MCR
 *   5       LSR line status       -
 *   6       MSR modem status      -
 *   7       SCR scratch           SCR
 *
 * Transmission is instantaneous: THR is always empty (LSR.THRE and TEMT
 * set), so a guest that polls LSR never waits. Input comes from a byte
 * buffer the machine supplies (a file, for `vlab run --input`): each byte is
 * there to read at once, as if it had just arrived.
 *
 * Interrupts (IER enables them; IIR names the most important one waiting):
 *
 *   IIR   source                          cleared by
 *   0x04  received data available         reading RBR until no data is left
 *   0x02  transmitter holding register    reading IIR (when it says 0x02), or
 *         empty                           writing THR
 *   0x01  none
 *
 * As every PC does, the chip's INTR output reaches IRQ 4 only while MCR's
 * OUT2 bit is set (it enables the board's interrupt driver). Writing THR
 * empties the register again at once, so with THR-empty interrupts enabled
 * each byte written drops INTR and raises it again: a new edge for the PIC.
 *
 * Loopback (MCR bit 4): a byte written comes back as received data, MSR
 * reflects MCR's outputs, the outside input and IRQ 4 are disconnected.
 * Not modelled: line status and modem status interrupts (there are no line
 * errors and no modem), the character timeout, FIFO trigger levels, the
 * baud rate (bytes move instantly whatever the divisor).
 */
#include "vlab/dev.h"
#include "vlab/mem.h"

#define LCR_DLAB 0x80u
#define LSR_DR 0x01u
#define LSR_THRE 0x20u
#define LSR_TEMT 0x40u
#define IER_RDA 0x01u
#define IER_THRE 0x02u
#define IER_WRITABLE 0x0fu
#define IIR_NONE 0x01u
#define IIR_THRE 0x02u
#define IIR_RDA 0x04u
#define IIR_FIFO 0xc0u
#define FCR_ENABLE 0x01u
#define MCR_OUT2 0x08u
#define MCR_LOOP 0x10u
#define MCR_WRITABLE 0x1fu
#define MSR_CONNECTED 0xb0u  /* CTS, DSR, DCD: a terminal is attached */

/* ---- Interrupts ---------------------------------------------------------- */

static bool loopback(const struct uart16550 *u)
{
    return u->mcr & MCR_LOOP;
}

static bool rx_ready(const struct uart16550 *u)
{
    return u->loop_full || (!loopback(u) && u->rx_pos < u->rx_len);
}

static bool thre_ready(const struct uart16550 *u)
{
    return u->thre_pending;
}

/* Interrupt sources, most important first. */
static const struct {
    uint8_t ier_bit;
    bool (*active)(const struct uart16550 *u);
    uint8_t iir;
} sources[] = {
    { IER_RDA, rx_ready, IIR_RDA },
    { IER_THRE, thre_ready, IIR_THRE },
};

/* IIR bits 3:0: the interrupt waiting, or IIR_NONE. */
static uint8_t pending(const struct uart16550 *u)
{
    for (unsigned k = 0; k < VLAB_ARRAY_SIZE(sources); k++)
        if ((u->ier & sources[k].ier_bit) && sources[k].active(u))
            return sources[k].iir;
    return IIR_NONE;
}

/* INTR through the OUT2 gate to IRQ 4. */
static void update_irq(struct uart16550 *u)
{
    bool level = (u->mcr & MCR_OUT2) && !loopback(u) && pending(u) != IIR_NONE;
    if (level != u->irq_level) {
        u->irq_level = level;
        irq_line_set(&u->irq, level);
    }
}

/* ---- Registers ------------------------------------------------------------- */

static uint8_t read_rbr(struct uart16550 *u)
{
    uint8_t b = 0;
    if (u->loop_full) {
        b = u->loop_byte;
        u->loop_full = false;
    } else if (rx_ready(u)) {
        b = u->rx[u->rx_pos++];
    }
    update_irq(u);
    return b;
}

static uint8_t read_iir(struct uart16550 *u)
{
    uint8_t id = pending(u);
    if (id == IIR_THRE) {
        u->thre_pending = false;
        update_irq(u);
    }
    return id | ((u->fcr & FCR_ENABLE) ? IIR_FIFO : 0);
}

/* In loopback the four modem inputs follow the outputs DTR, RTS, OUT1, OUT2. */
static uint8_t read_msr(const struct uart16550 *u)
{
    if (!loopback(u))
        return MSR_CONNECTED;
    return (uint8_t)(((u->mcr & 0x02u) << 3) | ((u->mcr & 0x01u) << 5) | ((u->mcr & 0x0cu) << 4));
}

/* THR: the byte leaves (or loops back) at once and THR is empty again. */
static void write_thr(struct uart16550 *u, uint8_t v)
{
    u->thre_pending = false;
    update_irq(u);
    if (loopback(u)) {
        u->loop_byte = v;
        u->loop_full = true;
    } else {
        u->tx_count++;
        if (u->out)
            u->out(u->out_ctx, v);
    }
    u->thre_pending = true;
    update_irq(u);
}

/* Enabling the THR-empty interrupt while THR is empty raises it. */
static void write_ier(struct uart16550 *u, uint8_t v)
{
    uint8_t old = u->ier;
    u->ier = v & IER_WRITABLE;
    if (!(old & IER_THRE) && (u->ier & IER_THRE))
        u->thre_pending = true;
    update_irq(u);
}

static uint32_t uart_read(void *opaque, uint64_t off, unsigned size)
{
    struct uart16550 *u = opaque;
    bool dlab = u->lcr & LCR_DLAB;
    (void)size;
    switch (off) {
    case 0: return dlab ? u->dll : read_rbr(u);
    case 1: return dlab ? u->dlm : u->ier;
    case 2: return read_iir(u);
    case 3: return u->lcr;
    case 4: return u->mcr;
    case 5: return LSR_THRE | LSR_TEMT | (rx_ready(u) ? LSR_DR : 0);
    case 6: return read_msr(u);
    default: return u->scr;
    }
}

static void uart_write(void *opaque, uint64_t off, unsigned size, uint32_t v)
{
    struct uart16550 *u = opaque;
    bool dlab = u->lcr & LCR_DLAB;
    (void)size;
    switch (off) {
    case 0:
        if (dlab)
            u->dll = (uint8_t)v;
        else
            write_thr(u, (uint8_t)v);
        break;
    case 1:
        if (dlab)
            u->dlm = (uint8_t)v;
        else
            write_ier(u, (uint8_t)v);
        break;
    case 2: u->fcr = (uint8_t)v; update_irq(u); break;
    case 3: u->lcr = (uint8_t)v; break;
    case 4: u->mcr = v & MCR_WRITABLE; update_irq(u); break;
    case 7: u->scr = (uint8_t)v; break;
    default: break;
    }
}

static const struct bus_ops uart_ops = { uart_read, uart_write };

void uart16550_set_input(struct uart16550 *u, const uint8_t *rx, size_t rx_len)
{
    u->rx = rx;
    u->rx_len = rx ? rx_len : 0;
    u->rx_pos = 0;
    update_irq(u);
}

int uart16550_register(struct uart16550 *u, struct bus *bus, uint16_t base, uart_out_fn *out,
                       void *out_ctx, const uint8_t *rx, size_t rx_len, struct irq_line irq)
{
    *u = (struct uart16550){ .out = out, .out_ctx = out_ctx, .irq = irq, .lcr = 0x03 };
    uart16550_set_input(u, rx, rx_len);
    return bus_add_pio(bus, base, 8, &uart_ops, u, "uart16550");
}

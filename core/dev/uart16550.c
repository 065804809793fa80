/* A 16550 UART: enough of the chip for a polled console.
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
 * Transmission is instantaneous (THR is always empty: LSR.THRE and TEMT set),
 * so a guest that polls LSR never waits. Interrupts (IRQ 4) and loopback
 * mode are not modelled yet: IIR always reads "no interrupt pending".
 */
#include "vlab/dev.h"
#include "vlab/mem.h"

#define LCR_DLAB 0x80u
#define LSR_DR 0x01u
#define LSR_THRE 0x20u
#define LSR_TEMT 0x40u
#define IIR_NONE 0x01u
#define IIR_FIFO 0xc0u

static uint32_t uart_read(void *opaque, uint64_t off, unsigned size)
{
    struct uart16550 *u = opaque;
    bool dlab = u->lcr & LCR_DLAB;
    (void)size;
    switch (off) {
    case 0:
        if (dlab)
            return u->dll;
        return u->rx_pos < u->rx_len ? u->rx[u->rx_pos++] : 0;
    case 1: return dlab ? u->dlm : u->ier;
    case 2: return IIR_NONE | ((u->fcr & 1) ? IIR_FIFO : 0);
    case 3: return u->lcr;
    case 4: return u->mcr;
    case 5: return LSR_THRE | LSR_TEMT | (u->rx_pos < u->rx_len ? LSR_DR : 0);
    case 6: return 0xb0; /* CTS, DSR, DCD asserted */
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
        if (dlab) {
            u->dll = (uint8_t)v;
        } else {
            u->tx_count++;
            if (u->out)
                u->out(u->out_ctx, (uint8_t)v);
        }
        break;
    case 1:
        if (dlab)
            u->dlm = (uint8_t)v;
        else
            u->ier = v & 0x0f;
        break;
    case 2: u->fcr = (uint8_t)v; break;
    case 3: u->lcr = (uint8_t)v; break;
    case 4: u->mcr = v & 0x1f; break;
    case 7: u->scr = (uint8_t)v; break;
    default: break;
    }
}

static const struct bus_ops uart_ops = { uart_read, uart_write };

int uart16550_register(struct uart16550 *u, struct bus *bus, uint16_t base, uart_out_fn *out,
                       void *out_ctx, const uint8_t *rx, size_t rx_len)
{
    *u = (struct uart16550){ .out = out, .out_ctx = out_ctx, .rx = rx, .rx_len = rx_len, .lcr = 0x03 };
    return bus_add_pio(bus, base, 8, &uart_ops, u, "uart16550");
}

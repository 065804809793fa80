/* Platform devices. Each lives in its own file under core/dev/, keeps its
 * state in a struct declared here, and has one public registration function
 * that claims its ports or MMIO range on the bus. */
#ifndef VLAB_DEV_H
#define VLAB_DEV_H

#include "vlab/types.h"

struct bus;
struct cpu;

/* ---- 16550 UART (core/dev/uart16550.c) ---------------------------------- */

#define UART_COM1 0x3f8u

/* Where transmitted bytes go. */
typedef void uart_out_fn(void *ctx, uint8_t byte);

struct uart16550 {
    uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
    const uint8_t *rx;      /* bytes the guest will receive, in order */
    size_t rx_len, rx_pos;
    uart_out_fn *out;
    void *out_ctx;
    uint64_t tx_count;      /* bytes transmitted */
};

/* Claim the 8 ports at `base`. `out` receives every transmitted byte; `rx`
 * (may be NULL) is the input the guest reads. Returns 0 or a bus error. */
int uart16550_register(struct uart16550 *u, struct bus *bus, uint16_t base, uart_out_fn *out,
                       void *out_ctx, const uint8_t *rx, size_t rx_len);

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

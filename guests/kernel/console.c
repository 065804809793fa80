/* console.c - the console (the COM1 16550 UART, polled), kprintf, panic and
 * shutdown. */
#include "kernel.h"

#include "format.h"

/* 16550 registers, as offsets from the base port (PC16550D data sheet). */
#define COM1 0x3f8
#define UART_DATA 0 /* transmit holding register; divisor low byte when DLAB = 1 */
#define UART_IER 1  /* interrupt enable; divisor high byte when DLAB = 1 */
#define UART_FCR 2  /* FIFO control */
#define UART_LCR 3  /* line control: bit 7 is DLAB */
#define UART_MCR 4  /* modem control */
#define UART_LSR 5  /* line status */
#define LSR_THRE 0x20 /* the transmit holding register is empty */

#define DEBUG_EXIT_PORT 0xf4 /* QEMU's isa-debug-exit, and vlab's */

/* 115200 baud (divisor 1), 8 data bits, no parity, one stop bit, FIFOs on,
 * no interrupts: the kernel polls. */
void console_init(void)
{
    arch->outb(COM1 + UART_IER, 0x00);
    arch->outb(COM1 + UART_LCR, 0x80);
    arch->outb(COM1 + UART_DATA, 0x01);
    arch->outb(COM1 + UART_IER, 0x00);
    arch->outb(COM1 + UART_LCR, 0x03);
    arch->outb(COM1 + UART_FCR, 0x07);
    arch->outb(COM1 + UART_MCR, 0x03);
}

/* Send one character, once the UART can take it. */
void console_putc(char c)
{
    while (!(arch->inb(COM1 + UART_LSR) & LSR_THRE))
        ;
    arch->outb(COM1 + UART_DATA, (uint8_t)c);
}

static void putc_out(char c, void *ctx)
{
    (void)ctx;
    console_putc(c);
}

/* printf to the console; the conversions are those of format.h. */
void kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    format(putc_out, NULL, fmt, ap);
    va_end(ap);
}

_Noreturn void shutdown(uint8_t code)
{
    arch->outb(DEBUG_EXIT_PORT, code);
    arch->irq_disable(); /* no exit port (a real PC): stop here */
    for (;;)
        arch->halt();
}

/* Something the kernel believed impossible happened: say what, and stop
 * the machine with exit code PANIC_EXIT_CODE. */
_Noreturn void panic(const char *fmt, ...)
{
    va_list ap;
    kprintf("panic: ");
    va_start(ap, fmt);
    format(putc_out, NULL, fmt, ap);
    va_end(ap);
    kprintf("\n");
    shutdown(PANIC_EXIT_CODE);
}

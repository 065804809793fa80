/* console.c - output through the COM1 16550 UART, a small formatter, and
 * the few C library functions a freestanding program still needs. */
#include "systest.h"

/* 16550 registers, as offsets from the base port (PC16550D data sheet). */
#define COM1 0x3f8
#define UART_THR 0 /* transmit holding register (write); divisor low with DLAB */
#define UART_IER 1 /* interrupt enable; divisor high with DLAB */
#define UART_FCR 2 /* FIFO control */
#define UART_LCR 3 /* line control; bit 7 = DLAB */
#define UART_MCR 4 /* modem control */
#define UART_LSR 5 /* line status; bit 5 = THR empty */
#define LSR_THRE 0x20

/* 115200 baud (divisor 1), 8 data bits, no parity, 1 stop bit, no
 * interrupts: we poll. */
void con_init(void)
{
    outb(COM1 + UART_IER, 0x00);
    outb(COM1 + UART_LCR, 0x80);
    outb(COM1 + UART_THR, 0x01);
    outb(COM1 + UART_IER, 0x00);
    outb(COM1 + UART_LCR, 0x03);
    outb(COM1 + UART_FCR, 0x07);
    outb(COM1 + UART_MCR, 0x03);
}

static void con_putc(char c)
{
    while (!(inb(COM1 + UART_LSR) & LSR_THRE))
        ;
    outb(COM1 + UART_THR, (uint8_t)c);
}

void con_puts(const char *s)
{
    for (; *s; s++)
        con_putc(*s);
}

/* An output buffer that never overflows and stays NUL-terminated. */
struct out {
    char *p, *end;
};

static void out_c(struct out *o, char c)
{
    if (o->p < o->end)
        *o->p++ = c;
}

static void out_num(struct out *o, uint32_t v, unsigned base, unsigned width, char pad)
{
    char digits[12];
    unsigned n = 0;
    do {
        digits[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    while (width > n) {
        out_c(o, pad);
        width--;
    }
    while (n)
        out_c(o, digits[--n]);
}

void vfmt(char *buf, size_t size, const char *f, va_list ap)
{
    struct out o = { buf, buf + size - 1 };
    for (; *f; f++) {
        if (*f != '%') {
            out_c(&o, *f);
            continue;
        }
        f++;
        char pad = ' ';
        unsigned width = 0;
        if (*f == '0')
            pad = '0', f++;
        while (*f >= '0' && *f <= '9')
            width = width * 10 + (unsigned)(*f++ - '0');
        switch (*f) {
        case 's':
            for (const char *s = va_arg(ap, const char *); *s; s++)
                out_c(&o, *s);
            break;
        case 'c':
            out_c(&o, (char)va_arg(ap, int));
            break;
        case 'u':
            out_num(&o, va_arg(ap, unsigned), 10, width, pad);
            break;
        case 'x':
            out_num(&o, va_arg(ap, unsigned), 16, width, pad);
            break;
        default:
            out_c(&o, *f);
            break;
        }
    }
    *o.p = '\0';
}

void fmt(char *buf, size_t size, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    vfmt(buf, size, f, ap);
    va_end(ap);
}

void kprintf(const char *f, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, f);
    vfmt(buf, sizeof buf, f, ap);
    va_end(ap);
    con_puts(buf);
}

/* GCC may emit calls to memset and memcpy even in freestanding code; the
 * string instructions keep it from turning these into calls to themselves. */
void *memset(void *dst, int c, size_t n)
{
    void *d = dst;
    __asm__ volatile("cld; rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
    return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
    void *d = dst;
    __asm__ volatile("cld; rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
    return dst;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}

void guest_exit(uint8_t code)
{
    outb(0xf4, code);
    for (;;)
        __asm__ volatile("cli; hlt");
}

/* format.h - a small printf-style formatter, compiled twice: into the
 * kernel (console.c) and into the user image (user_lib.c). User code cannot
 * call the kernel's functions (their pages are ring 0 only), so each side
 * includes its own copy of this one definition.
 *
 * Conversions: %d %u %x %s %c and %%, with an optional 0 flag and width
 * (%08x). No pointers: the output must not depend on where things are. */
#ifndef FORMAT_H
#define FORMAT_H

#include <stdarg.h>
#include <stdint.h>

/* Where the characters go: out(c, ctx) for each. */
typedef void format_out(char c, void *ctx);

static void format_number(format_out *out, void *ctx, uint32_t v, unsigned base, unsigned width, char pad)
{
    char digits[10];
    unsigned n = 0;
    do {
        digits[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    for (; width > n; width--)
        out(pad, ctx);
    while (n)
        out(digits[--n], ctx);
}

/* Format FMT with the arguments AP, handing each character to OUT. */
static void format(format_out *out, void *ctx, const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            out(*fmt, ctx);
            continue;
        }
        char pad = ' ';
        unsigned width = 0;
        if (*++fmt == '0')
            pad = '0', fmt++;
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (unsigned)(*fmt++ - '0');
        switch (*fmt) {
        case 'd': {
            int v = va_arg(ap, int);
            if (v < 0) {
                out('-', ctx);
                format_number(out, ctx, 0u - (uint32_t)v, 10, width ? width - 1 : 0, pad);
            } else {
                format_number(out, ctx, (uint32_t)v, 10, width, pad);
            }
            break;
        }
        case 'u':
            format_number(out, ctx, va_arg(ap, unsigned), 10, width, pad);
            break;
        case 'x':
            format_number(out, ctx, va_arg(ap, unsigned), 16, width, pad);
            break;
        case 's':
            for (const char *s = va_arg(ap, const char *); *s; s++)
                out(*s, ctx);
            break;
        case 'c':
            out((char)va_arg(ap, int), ctx);
            break;
        case '\0':
            return;
        default:
            out(*fmt, ctx);
            break;
        }
    }
}

#endif

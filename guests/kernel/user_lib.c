/* user_lib.c - the user programs' library: where every program starts,
 * and formatted output. */
#include "user.h"

#include "format.h"

/* Every program starts here: exec (exec.c) leaves the stack as if
 * ustart(main) had just been called. */
_Noreturn void ustart(int (*main)(void));
_Noreturn void ustart(int (*main)(void))
{
    exit(main());
}

/* A buffer that format() fills; what does not fit is dropped. */
struct buffer {
    char *p;
    size_t len, size;
};

static void buffer_out(char c, void *ctx)
{
    struct buffer *b = ctx;
    if (b->len + 1 < b->size)
        b->p[b->len++] = c;
}

void vsformat(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct buffer b = { buf, 0, size };
    format(buffer_out, &b, fmt, ap);
    buf[b.len] = '\0';
}

/* One write() per call, so that a line is never cut by another process's
 * output (the kernel does each write whole). */
void printf(const char *fmt, ...)
{
    char line[160];
    va_list ap;
    va_start(ap, fmt);
    vsformat(line, sizeof line, fmt, ap);
    va_end(ap);
    uint32_t n = 0;
    while (line[n])
        n++;
    write(1, line, n);
}

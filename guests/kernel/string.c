/* string.c - the few C library functions the kernel needs. GCC may also
 * call memset and memcpy on its own (to clear or copy a structure), so they
 * must exist under these names. The string instructions keep GCC from
 * turning their loops back into calls to themselves. */
#include "kernel.h"

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

/* Copy the string SRC into DST of SIZE bytes, cutting it short if need be;
 * DST always ends with a NUL. */
void strlcpy(char *dst, const char *src, size_t size)
{
    size_t i = 0;
    for (; i + 1 < size && src[i]; i++)
        dst[i] = src[i];
    dst[i] = '\0';
}

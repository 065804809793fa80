/* user_benchrun.c - the program `bench`: runs one benchmark workload
 * (user_workload.c) as process 1, prints its checksum and powers off.
 * The kernel starts it instead of init when booted with
 *
 *     init=bench bench=NAME iterations=N
 *
 * (NAME: syscall, pagefault, io or switch). It prints one line,
 *
 *     bench NAME: N iterations checksum=XXXXXXXX
 *
 * and shuts down with code 0 (exit status 1); with an unknown NAME or a
 * workload that failed, it says so and shuts down with code 1. `vlab
 * bench` boots it on vlab and on QEMU and compares the checksum with the
 * one the same workload gives on the host. */
#include "user.h"
#include "workloads.h"

int bench_main(void);

static const struct workload {
    const char *name;
    uint32_t (*run)(uint32_t iterations);
} workloads[] = {
    { "syscall", wl_syscall },
    { "pagefault", wl_pagefault },
    { "io", wl_io },
    { "switch", wl_switch },
};

#define DEFAULT_ITERATIONS 1000

static int streq(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

/* The value of the word KEY=VALUE of LINE, copied into VALUE (SIZE bytes);
 * 0 if there is none. */
static int option(const char *line, const char *key, char *value, uint32_t size)
{
    for (const char *w = line; *w;) {
        const char *k = key, *v = w;
        while (*k && *v == *k)
            v++, k++;
        if (*k == '\0' && *v == '=') {
            uint32_t n = 0;
            for (v++; *v && *v != ' ' && n + 1 < size; v++)
                value[n++] = *v;
            value[n] = '\0';
            return 1;
        }
        while (*w && *w != ' ')
            w++;
        while (*w == ' ')
            w++;
    }
    return 0;
}

/* A decimal number, or 0 if S is not one (or is too big). */
static uint32_t parse_count(const char *s)
{
    uint32_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (0xffffffffu - 9) / 10)
            return 0;
        v = v * 10 + (uint32_t)(*s - '0');
    }
    return v;
}

/* Say WHY, and power off with code 1 (exit status 3). */
static int fail(const char *why, const char *what)
{
    printf("bench: %s '%s'\n", why, what);
    shutdown(1);
    return 1; /* not process 1: shutdown refused */
}

int bench_main(void)
{
    static char line[256];
    char name[16] = "", count[16] = "";
    cmdline(line, sizeof line);
    if (!option(line, "bench", name, sizeof name))
        return fail("no workload named: boot with bench=NAME, not", line);
    uint32_t n = DEFAULT_ITERATIONS;
    if (option(line, "iterations", count, sizeof count) && (n = parse_count(count)) == 0)
        return fail("iterations= wants a positive number, not", count);
    for (unsigned i = 0; i < ARRAY_SIZE(workloads); i++) {
        if (!streq(workloads[i].name, name))
            continue;
        uint32_t sum = workloads[i].run(n);
        if (sum == 0)
            return fail("the workload failed:", name);
        printf("bench %s: %u iterations checksum=%08x\n", name, n, sum);
        shutdown(0);
        return 0;
    }
    return fail("unknown workload (syscall, pagefault, io, switch):", name);
}

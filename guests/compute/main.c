/* compute: the integer workload as a bare Multiboot guest. The kernel command
 * line may say "iterations=N" (default 20). Prints the checksum on COM1 and
 * exits through isa-debug-exit with status 1. */
#include <stdint.h>

#include "workload.h"

#define COM1 0x3f8
#define DEBUG_EXIT 0xf4

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static void put(const char *s)
{
    for (; *s; s++) {
        while (!(inb(COM1 + 5) & 0x20))
            ;
        outb(COM1, (uint8_t)*s);
    }
}

static void put_hex(uint32_t v)
{
    char b[9];
    for (int i = 7; i >= 0; i--, v >>= 4)
        b[i] = "0123456789abcdef"[v & 15];
    b[8] = 0;
    put(b);
}

static void put_dec(uint32_t v)
{
    char b[11];
    int n = 10;
    b[n] = 0;
    do {
        b[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put(b + n);
}

/* The value of "iterations=" in the command line, or `dflt`. */
static uint32_t iterations_from(const char *cmd, uint32_t dflt)
{
    static const char key[] = "iterations=";
    for (; cmd && *cmd; cmd++) {
        unsigned k = 0;
        while (key[k] && cmd[k] == key[k])
            k++;
        if (key[k])
            continue;
        uint32_t v = 0;
        for (cmd += k; *cmd >= '0' && *cmd <= '9'; cmd++)
            v = v * 10 + (uint32_t)(*cmd - '0');
        return v;
    }
    return dflt;
}

struct multiboot_info {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
};

void compute_main(uint32_t magic, const struct multiboot_info *mbi);

void compute_main(uint32_t magic, const struct multiboot_info *mbi)
{
    const char *cmd = (magic == 0x2BADB002 && (mbi->flags & 4)) ? (const char *)mbi->cmdline : 0;
    uint32_t n = iterations_from(cmd, 20);
    uint32_t sum = compute_run(n);
    put("compute: iterations=");
    put_dec(n);
    put(" checksum=");
    put_hex(sum);
    put("\n");
    outb(DEBUG_EXIT, 0);
}

/* What the small bare-metal guests share: port I/O, a polled COM1 console,
 * the start of the Multiboot information and the exit port. Header-only, so
 * each guest stays one directory the Makefile builds on its own. */
#ifndef GUEST_H
#define GUEST_H

#include <stdint.h>

#define COM1 0x3f8
#define LSR_THRE 0x20
#define DEBUG_EXIT 0xf4
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002u

/* The start of the Multiboot information (specification 0.6.96, 3.3). */
struct multiboot_info {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
};

struct multiboot_module {
    uint32_t mod_start, mod_end, string, reserved;
};

#define MBI_MEMORY 0x1u
#define MBI_CMDLINE 0x4u
#define MBI_MODS 0x8u

/* Called by entry.S with what the boot loader left in EAX and EBX. */
void guest_main(uint32_t magic, const struct multiboot_info *mbi);

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline void put_char(char c)
{
    while (!(inb(COM1 + 5) & LSR_THRE))
        ;
    outb(COM1, (uint8_t)c);
}

static inline void put_str(const char *s)
{
    while (*s)
        put_char(*s++);
}

static inline void put_dec(uint32_t v)
{
    char b[11];
    int n = 10;
    b[n] = 0;
    do {
        b[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put_str(b + n);
}

static inline void put_hex(uint32_t v)
{
    char b[9];
    for (int i = 7; i >= 0; i--, v >>= 4)
        b[i] = "0123456789abcdef"[v & 15];
    b[8] = 0;
    put_str(b);
}

/* End the run: exit status (code << 1) | 1 on vlab and on QEMU. */
static inline void guest_exit(uint8_t code) { outb(DEBUG_EXIT, code); }

#endif

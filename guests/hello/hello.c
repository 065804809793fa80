/* hello: print a greeting on COM1 and exit through isa-debug-exit. It runs
 * the same on vlab and on qemu-system-i386 -kernel. */
#include <stdint.h>

#define COM1 0x3f8
#define LSR_THRE 0x20
#define DEBUG_EXIT 0xf4

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static void putc_serial(char c)
{
    while (!(inb(COM1 + 5) & LSR_THRE))
        ;
    outb(COM1, (uint8_t)c);
}

static void puts_serial(const char *s)
{
    while (*s)
        putc_serial(*s++);
}

static void put_dec(uint32_t v)
{
    char buf[11];
    int n = 0;
    do {
        buf[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        putc_serial(buf[--n]);
}

struct multiboot_info {
    uint32_t flags, mem_lower, mem_upper;
};

void hello_main(uint32_t magic, const struct multiboot_info *mbi);

void hello_main(uint32_t magic, const struct multiboot_info *mbi)
{
    puts_serial("Hello from a vlab guest!\n");
    if (magic == 0x2BADB002 && (mbi->flags & 1)) {
        puts_serial("Memory above 1 MiB: ");
        put_dec(mbi->mem_upper / 1024);
        puts_serial(" MiB\n");
    }
    outb(DEBUG_EXIT, 0); /* exit status (0 << 1) | 1 = 1 */
}

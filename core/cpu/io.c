/* I/O permission: may the current code touch these ports? (SDM Vol. 1, 19.5)
 *
 * Code running at CPL <= IOPL may use every port. Less privileged code asks
 * the I/O permission bitmap in the current 32-bit TSS: one bit per port, 0
 * allowing it, 1 refusing it, all the bits of a multi-byte access having to
 * be 0. The bitmap starts at the 16-bit offset stored at TSS offset 0x66;
 * ports whose bits would lie past the TSS limit are refused.
 *
 *   TSS (32-bit):  0x00 ........ 0x64 | 0x66          | ... | base+off ...... limit
 *                  the task's state   | bitmap offset |     | I/O bitmap  (1 = refused)
 *
 * The processor reads the bitmap two bytes at a time, at the byte holding
 * the first port's bit; both bytes must lie within the limit. That is why
 * the SDM asks for a byte of all ones after the bitmap, and why an access
 * whose bits sit in the bitmap's last byte is refused without that byte.
 *
 * The accesses themselves (cpu_port_in/cpu_port_out, at the end) go to the
 * bus and into the trace.
 */
#include "cpu_internal.h"
#include "vlab/trace.h"

#define TSS_IOMAP_OFFSET 0x66u /* where the 16-bit bitmap offset lives */
#define TSS32_AVAIL 0x9u
#define TSS32_BUSY 0xbu

/* Is TR a usable 32-bit TSS that is large enough to hold the bitmap offset? */
static bool tss32_has_iomap_offset(const struct seg *tr)
{
    unsigned type = tr->ar & (SEG_AR_S | SEG_AR_TYPE); /* S must be 0: a system segment */
    if (tr->ar & SEG_AR_UNUSABLE)
        return false;
    if (type != TSS32_AVAIL && type != TSS32_BUSY)
        return false;
    return tr->limit >= TSS_IOMAP_OFFSET + 1;
}

/* Are all `size` ports from `port` cleared in the TSS bitmap? TSS reads are
 * implicit supervisor accesses: they may page-fault but ignore CPL. */
static bool iomap_allows(struct cpu *cpu, uint16_t port, unsigned size)
{
    const struct seg *tr = &cpu->tr;
    if (!tss32_has_iomap_offset(tr))
        return false;
    uint32_t byte = sys_load(cpu, tr->base + TSS_IOMAP_OFFSET, 2) + port / 8u;
    if (byte + 1 > tr->limit)
        return false;
    uint32_t bits = sys_load(cpu, tr->base + byte, 2);
    uint32_t want = ((1u << size) - 1) << (port % 8u);
    return (bits & want) == 0;
}

void io_check(struct cpu *cpu, uint16_t port, unsigned size)
{
    if (cpu->cpl <= cpu_iopl(cpu))
        return;
    if (!iomap_allows(cpu, port, size))
        cpu_gp0(cpu);
}

uint32_t cpu_port_in(struct cpu *cpu, uint16_t port, unsigned size)
{
    uint32_t v = bus_pio_read(cpu->bus, port, size);
    trace_io(cpu, TRACE_PIO, port, size, v, false);
    return v;
}

void cpu_port_out(struct cpu *cpu, uint16_t port, unsigned size, uint32_t value)
{
    trace_io(cpu, TRACE_PIO, port, size, value, true);
    bus_pio_write(cpu->bus, port, size, value);
}

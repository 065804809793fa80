/* isa-debug-exit: the port a guest writes to end the run with a status,
 * with QEMU's convention (value << 1) | 1 so that the same guest gives the
 * same exit status on both. */
#include "vlab/cpu.h"
#include "vlab/dev.h"
#include "vlab/mem.h"

static void debug_exit_write(void *opaque, uint64_t off, unsigned size, uint32_t v)
{
    struct debug_exit *d = opaque;
    (void)off;
    (void)size;
    if (d->written)
        return;
    d->written = true;
    d->status = (int)(((v & 0xff) << 1) | 1);
    cpu_stop(d->cpu);
}

static const struct bus_ops debug_exit_ops = { NULL, debug_exit_write };

int debug_exit_register(struct debug_exit *d, struct bus *bus, struct cpu *cpu)
{
    *d = (struct debug_exit){ .cpu = cpu };
    return bus_add_pio(bus, DEBUG_EXIT_PORT, 4, &debug_exit_ops, d, "isa-debug-exit");
}

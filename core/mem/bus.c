/* The bus: port I/O and MMIO ranges claimed by devices (see vlab/mem.h).
 * A port finds its range through the bus's table of all 64 Ki ports; the
 * handful of MMIO ranges are searched. Unclaimed reads return all ones, as
 * the floating data lines of a PC do. */
#include <errno.h>
#include <string.h>

#include "vlab/mem.h"

void bus_init(struct bus *bus)
{
    memset(bus, 0, sizeof(*bus));
}

static int add_range(struct bus_range *ranges, unsigned *n, uint64_t base, uint64_t len,
                     uint64_t space_end, const struct bus_ops *ops, void *opaque, const char *name)
{
    if (len == 0 || base >= space_end || len > space_end - base)
        return -EINVAL;
    for (unsigned k = 0; k < *n; k++)
        if (base < ranges[k].base + ranges[k].len && ranges[k].base < base + len)
            return -EBUSY;
    if (*n == BUS_MAX_RANGES)
        return -ENOSPC;
    ranges[(*n)++] = (struct bus_range){ base, len, ops, opaque, name };
    return 0;
}

int bus_add_pio(struct bus *bus, uint16_t base, uint32_t len, const struct bus_ops *ops,
                void *opaque, const char *name)
{
    int err = add_range(bus->pio, &bus->npio, base, len, 0x10000, ops, opaque, name);
    if (err)
        return err;
    memset(&bus->pio_at[base], (int)bus->npio, len); /* npio: the new range's index + 1 */
    return 0;
}

int bus_add_mmio(struct bus *bus, gpa_t base, uint64_t len, const struct bus_ops *ops,
                 void *opaque, const char *name)
{
    return add_range(bus->mmio, &bus->nmmio, base, len, 1ull << 32, ops, opaque, name);
}

static const struct bus_range *find(const struct bus_range *r, unsigned n, uint64_t addr)
{
    for (unsigned k = 0; k < n; k++)
        if (addr - r[k].base < r[k].len)
            return &r[k];
    return NULL;
}

/* The range claiming `port`, or NULL. */
static const struct bus_range *find_port(const struct bus *bus, uint16_t port)
{
    unsigned at = bus->pio_at[port];
    return at ? &bus->pio[at - 1] : NULL;
}

uint32_t bus_pio_read(struct bus *bus, uint16_t port, unsigned size)
{
    const struct bus_range *r = find_port(bus, port);
    if (!r || !r->ops->read)
        return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
    return r->ops->read(r->opaque, port - r->base, size);
}

void bus_pio_write(struct bus *bus, uint16_t port, unsigned size, uint32_t value)
{
    const struct bus_range *r = find_port(bus, port);
    if (r && r->ops->write)
        r->ops->write(r->opaque, port - r->base, size, value);
}

uint32_t bus_mmio_read(struct bus *bus, gpa_t addr, unsigned size)
{
    const struct bus_range *r = find(bus->mmio, bus->nmmio, addr);
    if (!r || !r->ops->read)
        return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
    return r->ops->read(r->opaque, addr - r->base, size);
}

void bus_mmio_write(struct bus *bus, gpa_t addr, unsigned size, uint32_t value)
{
    const struct bus_range *r = find(bus->mmio, bus->nmmio, addr);
    if (r && r->ops->write)
        r->ops->write(r->opaque, addr - r->base, size, value);
}

/* Guest physical memory and the bus for port I/O and MMIO.
 *
 * RAM is lazily backed: the guest sees `ram_size` bytes starting at physical
 * address 0, and host memory is allocated 4 MiB at a time when the guest (or
 * a loader) first touches a page there (the host kernel backs each page only
 * once it is used). Addresses outside RAM belong to the bus: a
 * device registered there answers, and an unclaimed address reads as all
 * ones and ignores writes, as on a PC.
 *
 * Each RAM page also records whether the CPU has decoded instructions from
 * it (`code`) and a generation number bumped whenever such a page is written
 * after decoding. The CPU's decoded-instruction cache compares generations,
 * which is how self-modifying code, code loaded by DMA and code patched by a
 * monitor are seen.
 */
#ifndef VLAB_MEM_H
#define VLAB_MEM_H

#include <assert.h>

#include "vlab/types.h"

struct pm_page {
    uint8_t *host;  /* NULL until first touched */
    uint32_t gen;   /* bumped on a write to a page holding decoded code */
    bool code;      /* the CPU decoded instructions from this page */
};

#define PM_CHUNK_PAGES 1024u /* one chunk of page records covers 4 MiB */

struct physmem {
    uint64_t ram_size;        /* bytes of RAM, a multiple of 4 KiB */
    struct pm_page **chunks;  /* ram_size / 4 MiB chunk pointers, each lazily allocated */
    uint8_t **chunk_mem;      /* each chunk's host memory, allocated with its records */
    size_t nchunks;
    size_t pages_backed;      /* host pages touched so far */
};

/* Set up `ram_size` bytes of RAM (rounded up to 4 KiB, at most 4 GiB).
 * Returns 0, -EINVAL for a bad size or -ENOMEM. */
int physmem_init(struct physmem *pm, uint64_t ram_size);
void physmem_destroy(struct physmem *pm);

/* The record of the RAM page holding `gpa`, allocating the host page on first
 * touch; NULL when `gpa` is outside RAM or the host is out of memory. */
struct pm_page *physmem_page(struct physmem *pm, gpa_t gpa);

/* Copy between guest RAM and a host buffer; every byte must be RAM.
 * Writes keep the decoded-code generations right. Return 0 or -EFAULT. */
int physmem_read(struct physmem *pm, gpa_t gpa, void *buf, size_t len);
int physmem_write(struct physmem *pm, gpa_t gpa, const void *buf, size_t len);

/* Note a write to a page that holds decoded code (called by the CPU's slow
 * store path and by physmem_write). */
static inline void physmem_code_written(struct pm_page *p)
{
    p->code = false;
    p->gen++;
}

/* ---- The bus ---------------------------------------------------------- */

/* One handler signature for port I/O and MMIO: `offset` is relative to the
 * start of the registered range, `size` is 1, 2 or 4 bytes. */
struct bus_ops {
    uint32_t (*read)(void *opaque, uint64_t offset, unsigned size);
    void (*write)(void *opaque, uint64_t offset, unsigned size, uint32_t value);
};

struct bus_range {
    uint64_t base, len;
    const struct bus_ops *ops;
    void *opaque;
    const char *name;
};

#define BUS_MAX_RANGES 64

/* Port accesses are frequent (a driver polls a status register), so a
 * port finds its range in one step: pio_at[port] is 1 + the index in pio[]
 * of the range claiming it, 0 when none does. MMIO ranges are few and
 * MMIO goes through the page walk first anyway: they are searched. */
struct bus {
    struct bus_range pio[BUS_MAX_RANGES];
    struct bus_range mmio[BUS_MAX_RANGES];
    unsigned npio, nmmio;
    uint8_t pio_at[0x10000];
};
static_assert(BUS_MAX_RANGES < 256, "pio_at holds a range's index + 1 in a byte");

void bus_init(struct bus *bus);

/* Claim ports [base, base+len) or physical addresses [base, base+len).
 * Returns 0, -EBUSY when the range overlaps one already claimed, -ENOSPC
 * when the bus is full, -EINVAL for an empty or wrapping range. */
int bus_add_pio(struct bus *bus, uint16_t base, uint32_t len, const struct bus_ops *ops,
                void *opaque, const char *name);
int bus_add_mmio(struct bus *bus, gpa_t base, uint64_t len, const struct bus_ops *ops,
                 void *opaque, const char *name);

/* Accesses; unclaimed reads return all ones, unclaimed writes are dropped. */
uint32_t bus_pio_read(struct bus *bus, uint16_t port, unsigned size);
void bus_pio_write(struct bus *bus, uint16_t port, unsigned size, uint32_t value);
uint32_t bus_mmio_read(struct bus *bus, gpa_t addr, unsigned size);
void bus_mmio_write(struct bus *bus, gpa_t addr, unsigned size, uint32_t value);

#endif

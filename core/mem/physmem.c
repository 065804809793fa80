/* Guest physical memory, lazily backed (see vlab/mem.h).
 *
 *   gpa:  31 ........ 22 | 21 ...... 12 | 11 ..... 0
 *         chunk index    | page in chunk | byte in page
 *
 * A chunk of 1024 page records (16 KiB of records covering 4 MiB of guest
 * memory) is allocated when one of its pages is first touched, together
 * with the chunk's host memory in one zeroed block. The C library takes a
 * block that large straight from the host kernel, whose pages are zero and
 * cost nothing until touched, so nobody clears 4 KiB pages one by one; a
 * page counts as backed (`host` set) from its first touch.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vlab/mem.h"

#define MAX_RAM (4ull << 30)

int physmem_init(struct physmem *pm, uint64_t ram_size)
{
    memset(pm, 0, sizeof(*pm));
    ram_size = (ram_size + VLAB_PAGE_MASK) & ~(uint64_t)VLAB_PAGE_MASK;
    if (ram_size == 0 || ram_size > MAX_RAM)
        return -EINVAL;
    uint64_t chunk_bytes = (uint64_t)PM_CHUNK_PAGES << VLAB_PAGE_SHIFT;
    pm->nchunks = (size_t)((ram_size + chunk_bytes - 1) / chunk_bytes);
    pm->chunks = calloc(pm->nchunks, sizeof(*pm->chunks));
    pm->chunk_mem = calloc(pm->nchunks, sizeof(*pm->chunk_mem));
    if (!pm->chunks || !pm->chunk_mem) {
        free(pm->chunks);
        free(pm->chunk_mem);
        return -ENOMEM;
    }
    pm->ram_size = ram_size;
    return 0;
}

void physmem_destroy(struct physmem *pm)
{
    for (size_t c = 0; c < pm->nchunks; c++) {
        free(pm->chunks[c]);
        free(pm->chunk_mem[c]);
    }
    free(pm->chunks);
    free(pm->chunk_mem);
    memset(pm, 0, sizeof(*pm));
}

/* Allocate chunk `c`: its page records and its host memory (the last
 * chunk only as far as RAM goes). Returns 0 or -ENOMEM. */
static int chunk_alloc(struct physmem *pm, size_t c)
{
    uint64_t start = (uint64_t)c * PM_CHUNK_PAGES << VLAB_PAGE_SHIFT;
    uint64_t bytes = (uint64_t)PM_CHUNK_PAGES << VLAB_PAGE_SHIFT;
    if (bytes > pm->ram_size - start)
        bytes = pm->ram_size - start;
    struct pm_page *pages = calloc(PM_CHUNK_PAGES, sizeof(*pages));
    uint8_t *mem = calloc(1, (size_t)bytes);
    if (!pages || !mem) {
        free(pages);
        free(mem);
        return -ENOMEM;
    }
    pm->chunks[c] = pages;
    pm->chunk_mem[c] = mem;
    return 0;
}

struct pm_page *physmem_page(struct physmem *pm, gpa_t gpa)
{
    if (gpa >= pm->ram_size)
        return NULL;
    uint64_t pfn = gpa >> VLAB_PAGE_SHIFT;
    size_t c = (size_t)(pfn / PM_CHUNK_PAGES);
    if (!pm->chunks[c] && chunk_alloc(pm, c) != 0)
        return NULL;
    unsigned k = (unsigned)(pfn % PM_CHUNK_PAGES);
    struct pm_page *p = &pm->chunks[c][k];
    if (!p->host) {
        p->host = pm->chunk_mem[c] + ((size_t)k << VLAB_PAGE_SHIFT);
        pm->pages_backed++;
    }
    return p;
}

/* Copy [gpa, gpa+len) page by page, to guest memory when `write`. */
static int for_each_piece(struct physmem *pm, gpa_t gpa, size_t len, bool write, uint8_t *buf)
{
    if (gpa > pm->ram_size || len > pm->ram_size - gpa)
        return -EFAULT;
    while (len) {
        struct pm_page *p = physmem_page(pm, gpa);
        if (!p)
            return -EFAULT;
        size_t off = gpa & VLAB_PAGE_MASK;
        size_t n = VLAB_PAGE_SIZE - off < len ? VLAB_PAGE_SIZE - off : len;
        if (write) {
            memcpy(p->host + off, buf, n);
            if (p->code)
                physmem_code_written(p);
        } else {
            memcpy(buf, p->host + off, n);
        }
        gpa += n;
        buf += n;
        len -= n;
    }
    return 0;
}

int physmem_read(struct physmem *pm, gpa_t gpa, void *buf, size_t len)
{
    return for_each_piece(pm, gpa, len, false, buf);
}

int physmem_write(struct physmem *pm, gpa_t gpa, const void *buf, size_t len)
{
    return for_each_piece(pm, gpa, len, true, (uint8_t *)(uintptr_t)buf);
}

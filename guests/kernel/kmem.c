/* kmem.c - physical memory: which RAM there is, a free list of 4 KiB pages,
 * and a reference count per page.
 *
 * Every page from kernel_end to mem_end is free at boot. A page handed out
 * has one reference; fork() adds one for each page parent and child then
 * share (copy-on-write, fault.c), and a page returns to the free list when
 * its last reference goes. Pages below kernel_end (the kernel image) are
 * never counted nor freed. */
#include "kernel.h"

/* One entry of the memory map; `size` does not count itself. */
struct mmap_entry {
    uint32_t size;
    uint64_t base, length;
    uint32_t type; /* 1: available RAM */
} __attribute__((packed));
#define MMAP_RAM 1

#define ONE_MIB 0x100000u

uint32_t mem_end; /* the first byte after the RAM the kernel uses */

struct free_page {
    struct free_page *next;
};
static struct free_page *free_list;
static uint8_t refcount[MAX_PHYS / PAGE_SIZE];

/* Where the RAM that starts at 1 MiB ends: from the memory map if the
 * loader gave one (the region of available RAM that contains 1 MiB), else
 * from mem_upper. */
static uint64_t ram_end(const struct multiboot_info *mbi)
{
    if (mbi->flags & MBI_MMAP) {
        for (uint32_t off = 0; off < mbi->mmap_length;) {
            const struct mmap_entry *e = P2V(mbi->mmap_addr + off);
            if (e->type == MMAP_RAM && e->base <= ONE_MIB && ONE_MIB < e->base + e->length)
                return e->base + e->length;
            off += e->size + sizeof e->size;
        }
    }
    if (mbi->flags & MBI_MEMORY)
        return ONE_MIB + (uint64_t)mbi->mem_upper * 1024;
    panic("the boot loader did not say how much memory there is");
}

static void free_push(uint32_t pa)
{
    struct free_page *p = P2V(pa);
    p->next = free_list;
    free_list = p;
}

/* Find the RAM and put every page after the kernel on the free list. The
 * boot information may lie in those pages (QEMU puts it right after the
 * kernel), so it is read first. */
void kmem_init(const struct multiboot_info *mbi)
{
    uint64_t end = ram_end(mbi);
    mem_end = end > MAX_PHYS ? MAX_PHYS : (uint32_t)end & ~(PAGE_SIZE - 1);
    uint32_t first = PG_ROUNDUP(kernel_end);
    if (mem_end < first + 64 * PAGE_SIZE)
        panic("too little memory: the kernel needs at least 256 KiB after itself");
    for (uint32_t pa = mem_end - PAGE_SIZE; pa >= first; pa -= PAGE_SIZE)
        free_push(pa);
}

/* Take a page off the free list: zeroed, with one reference. NULL if
 * memory is exhausted. */
void *page_alloc(void)
{
    struct free_page *p = free_list;
    if (!p)
        return NULL;
    free_list = p->next;
    refcount[V2P(p) / PAGE_SIZE] = 1;
    memset(p, 0, PAGE_SIZE);
    return p;
}

void page_incref(uint32_t pa)
{
    refcount[pa / PAGE_SIZE]++;
}

/* Drop one reference to the page at PA; the last one frees it. */
void page_decref(uint32_t pa)
{
    if (pa < V2P(kernel_end) || pa >= mem_end || refcount[pa / PAGE_SIZE] == 0)
        panic("page_decref: 0x%x is not an allocated page", pa);
    if (--refcount[pa / PAGE_SIZE] == 0)
        free_push(pa);
}

unsigned page_refcount(uint32_t pa)
{
    return refcount[pa / PAGE_SIZE];
}

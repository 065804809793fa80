/* The Multiboot (v1) ELF loader (see vlab/loader.h).
 *
 * Guest physical memory after loading:
 *
 *   0x00000000 +---------------------------+
 *              | (free)                    |
 *   0x00008000 +---------------------------+  BOOT_INFO
 *              | multiboot_info            |
 *              | memory map, module list   |
 *              | command lines, "vlab"     |
 *   0x00010000 +---------------------------+  BOOT_INFO_END
 *              | (free)                    |
 *   0x0009fc00 +---------------------------+  reserved (EBDA), 0xf0000..: BIOS
 *   0x00100000 +---------------------------+  the kernel's PT_LOAD segments
 *              | ...                       |  at their p_paddr, then modules,
 *              +---------------------------+  each page-aligned
 *
 * Sizes and offsets of the structures are those of the Multiboot
 * Specification version 0.6.96, section 3.3.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vlab/cpu.h"
#include "vlab/loader.h"
#include "vlab/mem.h"

#define BOOT_INFO 0x8000u
#define BOOT_INFO_END 0x10000u
#define MB_SEARCH 8192u

/* Multiboot header flags (section 3.1.2): bits 0..15 are requirements. */
#define MBH_PAGE_ALIGN 0x1u
#define MBH_MEMORY_INFO 0x2u
#define MBH_VIDEO_MODE 0x4u
#define MBH_AOUT_KLUDGE 0x10000u

/* multiboot_info.flags (section 3.3). */
#define MBI_MEMORY 0x1u
#define MBI_CMDLINE 0x4u
#define MBI_MODS 0x8u
#define MBI_MMAP 0x40u
#define MBI_LOADER_NAME 0x200u

#define ELF_HEADER_SIZE 52u
#define ELF_PHDR_SIZE 32u
#define PT_LOAD 1u
#define ET_EXEC 2u
#define EM_386 3u

struct segment {
    uint32_t offset, vaddr, paddr, filesz, memsz;
};

struct image {
    const uint8_t *b;
    size_t len;
    uint32_t entry;      /* physical entry point */
    struct segment seg[16];
    unsigned nseg;
    uint32_t load_end;   /* first byte after the highest segment */
};

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16; }

#define BAD(...) (snprintf(err, errlen, __VA_ARGS__), -EINVAL)

static int check_elf_header(const struct image *im, char *err, size_t errlen)
{
    const uint8_t *b = im->b;
    if (im->len < ELF_HEADER_SIZE)
        return BAD("the file is too short to be an ELF image (%zu bytes)", im->len);
    if (memcmp(b, "\177ELF", 4) != 0)
        return BAD("not an ELF file (bad magic number)");
    if (b[4] != 1)
        return BAD("wrong ELF class %u: vlab runs 32-bit (ELFCLASS32) kernels", b[4]);
    if (b[5] != 1)
        return BAD("wrong byte order: IA-32 kernels are little-endian (ELFDATA2LSB)");
    if (rd16(b + 16) != ET_EXEC)
        return BAD("not an executable ELF file (e_type %u)", rd16(b + 16));
    if (rd16(b + 18) != EM_386)
        return BAD("wrong machine %u: an IA-32 (EM_386) kernel is needed", rd16(b + 18));
    if (rd16(b + 42) != ELF_PHDR_SIZE)
        return BAD("unexpected program header size %u", rd16(b + 42));
    return 0;
}

/* Collect and check the PT_LOAD segments. */
static int read_segments(struct image *im, uint64_t ram, char *err, size_t errlen)
{
    uint32_t phoff = rd32(im->b + 28);
    unsigned phnum = rd16(im->b + 44);
    if ((uint64_t)phoff + (uint64_t)phnum * ELF_PHDR_SIZE > im->len)
        return BAD("the program headers lie outside the file (truncated image?)");
    for (unsigned k = 0; k < phnum; k++) {
        const uint8_t *ph = im->b + phoff + k * ELF_PHDR_SIZE;
        if (rd32(ph) != PT_LOAD)
            continue;
        struct segment s = { rd32(ph + 4), rd32(ph + 8), rd32(ph + 12), rd32(ph + 16), rd32(ph + 20) };
        if (im->nseg == VLAB_ARRAY_SIZE(im->seg))
            return BAD("too many loadable segments (more than %zu)", VLAB_ARRAY_SIZE(im->seg));
        if ((uint64_t)s.offset + s.filesz > im->len)
            return BAD("segment %u extends past the end of the file (truncated image?)", k);
        if (s.filesz > s.memsz)
            return BAD("segment %u has more file bytes (%u) than memory bytes (%u)", k, s.filesz, s.memsz);
        if ((uint64_t)s.paddr + s.memsz > ram)
            return BAD("segment %u (0x%x..0x%llx) lies outside the guest's %llu MiB of RAM", k, s.paddr,
                       (unsigned long long)s.paddr + s.memsz, (unsigned long long)(ram >> 20));
        if (s.paddr < BOOT_INFO_END && s.paddr + s.memsz > BOOT_INFO)
            return BAD("segment %u overlaps the boot information area 0x%x..0x%x", k, BOOT_INFO, BOOT_INFO_END);
        if (s.paddr + s.memsz > im->load_end)
            im->load_end = s.paddr + s.memsz;
        im->seg[im->nseg++] = s;
    }
    if (im->nseg == 0)
        return BAD("the image has no loadable (PT_LOAD) segment");
    return 0;
}

/* The entry point, translated from virtual to physical through the segment
 * that contains it (as GRUB does for higher-half kernels). */
static int find_entry(struct image *im, char *err, size_t errlen)
{
    uint32_t e = rd32(im->b + 24);
    for (unsigned k = 0; k < im->nseg; k++) {
        const struct segment *s = &im->seg[k];
        if (e - s->vaddr < s->memsz) {
            im->entry = s->paddr + (e - s->vaddr);
            return 0;
        }
    }
    return BAD("the entry point 0x%x is not inside any loaded segment", e);
}

static int check_multiboot_header(const struct image *im, char *err, size_t errlen)
{
    size_t end = im->len < MB_SEARCH ? im->len : MB_SEARCH;
    for (size_t off = 0; off + 12 <= end; off += 4) {
        const uint8_t *h = im->b + off;
        if (rd32(h) != MULTIBOOT_HEADER_MAGIC)
            continue;
        uint32_t flags = rd32(h + 4);
        if (rd32(h) + flags + rd32(h + 8) != 0)
            return BAD("the Multiboot header's checksum is wrong");
        if (flags & MBH_VIDEO_MODE)
            return BAD("the kernel requires a video mode, which vlab does not provide");
        if (flags & 0xfff8u)
            return BAD("the kernel requires Multiboot features vlab does not know (flags 0x%x)", flags);
        if (flags & MBH_AOUT_KLUDGE)
            return BAD("a.out-kludge Multiboot images are not supported: link an ELF kernel");
        return 0;
    }
    return BAD("no Multiboot header in the first %u bytes of the image", MB_SEARCH);
}

/* ---- Boot information -------------------------------------------------- */

struct info_writer {
    struct physmem *pm;
    uint32_t next; /* next free byte in the boot information area */
};

static uint32_t put(struct info_writer *w, const void *data, uint32_t len)
{
    uint32_t at = w->next;
    physmem_write(w->pm, at, data, len);
    w->next = (at + len + 3) & ~3u;
    return at;
}

static uint32_t put_string(struct info_writer *w, const char *s)
{
    return put(w, s, (uint32_t)strlen(s) + 1);
}

static uint32_t put_mmap(struct info_writer *w, uint64_t ram, uint32_t *len)
{
    static const struct { uint64_t base, end; uint32_t type; } map[] = {
        { 0, 0x9fc00, 1 }, { 0x9fc00, 0xa0000, 2 }, { 0xf0000, 0x100000, 2 }, { 0x100000, 0, 1 },
    };
    uint8_t buf[4 * 24];
    uint32_t n = 0;
    for (unsigned k = 0; k < 4; k++) {
        uint64_t end = map[k].end ? map[k].end : ram;
        uint8_t *e = buf + n;
        uint32_t size = 20;
        uint64_t length = end - map[k].base;
        memcpy(e, &size, 4);
        memcpy(e + 4, &map[k].base, 8);
        memcpy(e + 12, &length, 8);
        memcpy(e + 20, &map[k].type, 4);
        n += 24;
    }
    *len = n;
    return put(w, buf, n);
}

static int check_fits(const struct loader_args *a, const struct image *im, uint64_t ram,
                      char *err, size_t errlen)
{
    uint64_t end = ((uint64_t)im->load_end + VLAB_PAGE_MASK) & ~(uint64_t)VLAB_PAGE_MASK;
    size_t info = 256;
    for (unsigned k = 0; k < a->nmodules; k++) {
        end = (end + a->modules[k].len + VLAB_PAGE_MASK) & ~(uint64_t)VLAB_PAGE_MASK;
        info += 16 + (a->modules[k].cmdline ? strlen(a->modules[k].cmdline) + 4 : 4);
    }
    if (end > ram)
        return BAD("the kernel and its modules need %llu KiB, more than the guest's RAM",
                   (unsigned long long)(end >> 10));
    info += a->cmdline ? strlen(a->cmdline) + 4 : 0;
    if (info > BOOT_INFO_END - BOOT_INFO - 128)
        return BAD("the command lines are too long for the boot information area");
    return 0;
}

static void write_kernel(struct physmem *pm, const struct image *im)
{
    static const uint8_t zeros[VLAB_PAGE_SIZE];
    for (unsigned k = 0; k < im->nseg; k++) {
        const struct segment *s = &im->seg[k];
        physmem_write(pm, s->paddr, im->b + s->offset, s->filesz);
        for (uint32_t z = s->filesz; z < s->memsz;) {
            uint32_t n = s->memsz - z < VLAB_PAGE_SIZE ? s->memsz - z : VLAB_PAGE_SIZE;
            physmem_write(pm, s->paddr + z, zeros, n);
            z += n;
        }
    }
}

static uint32_t write_boot_info(struct physmem *pm, const struct loader_args *a, const struct image *im)
{
    struct info_writer w = { pm, BOOT_INFO + 128 };
    uint32_t mbi[22] = { 0 };
    uint64_t ram = pm->ram_size;

    mbi[0] = MBI_MEMORY | MBI_MMAP | MBI_LOADER_NAME;
    mbi[1] = 640;
    mbi[2] = (uint32_t)((ram - 0x100000) >> 10);
    mbi[12] = put_mmap(&w, ram, &mbi[11]);
    mbi[16] = put_string(&w, "vlab");
    if (a->cmdline) {
        mbi[0] |= MBI_CMDLINE;
        mbi[4] = put_string(&w, a->cmdline);
    }
    if (a->nmodules) {
        uint32_t list[4 * 16] = { 0 };
        uint32_t at = (im->load_end + VLAB_PAGE_MASK) & ~VLAB_PAGE_MASK;
        unsigned n = a->nmodules < 16 ? a->nmodules : 16;
        for (unsigned k = 0; k < n; k++) {
            const struct loader_module *m = &a->modules[k];
            physmem_write(pm, at, m->data, m->len);
            list[4 * k] = at;
            list[4 * k + 1] = at + (uint32_t)m->len;
            list[4 * k + 2] = put_string(&w, m->cmdline ? m->cmdline : "");
            at = (at + (uint32_t)m->len + VLAB_PAGE_MASK) & ~VLAB_PAGE_MASK;
        }
        mbi[0] |= MBI_MODS;
        mbi[5] = n;
        mbi[6] = put(&w, list, 16 * n);
    }
    physmem_write(pm, BOOT_INFO, mbi, sizeof(mbi));
    return BOOT_INFO;
}

int loader_multiboot(struct physmem *pm, struct cpu *cpu, const struct loader_args *args,
                     char *err, size_t errlen)
{
    struct image im = { .b = args->image, .len = args->image_len };
    int rc;
    if ((rc = check_elf_header(&im, err, errlen)) || (rc = read_segments(&im, pm->ram_size, err, errlen)) ||
        (rc = find_entry(&im, err, errlen)) || (rc = check_multiboot_header(&im, err, errlen)) ||
        (rc = check_fits(args, &im, pm->ram_size, err, errlen)))
        return rc;
    if (args->nmodules > 16)
        return BAD("at most 16 modules can be passed");

    write_kernel(pm, &im);
    uint32_t info = write_boot_info(pm, args, &im);

    /* The machine state of section 3.2: flat 32-bit segments, paging off,
     * interrupts off, EAX = the magic value, EBX = the information. */
    cpu_set_flat(cpu, 0);
    cpu->cr0 = CR0_PE | CR0_ET;
    cpu_tlb_flush(cpu);
    cpu->eip = im.entry;
    cpu->r[R_EAX] = MULTIBOOT_BOOTLOADER_MAGIC;
    cpu->r[R_EBX] = info;
    return 0;
}

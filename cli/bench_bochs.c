/* vlab bench: Bochs, for comparison.
 *
 * Bochs boots like a PC, from a disk through its BIOS; it has no Multiboot
 * loader (QEMU's -kernel). So each run gets a boot floppy made here: the
 * boot sector of guests/bootsector (which enters protected mode, puts the
 * kernel where it belongs and jumps to it as a Multiboot loader does), a
 * sector of parameters, and the kernel's bytes flattened from its ELF
 * program headers. Bochs runs exactly the bytes vlab and QEMU run.
 *
 * Bochs has no isa-debug-exit port: a guest's "power off" is a write to
 * nowhere and a HLT with interrupts disabled, where Bochs spins. The run
 * ends when the console shows the checksum line (bench_spawn's `until`).
 * Debian's Bochs is built with its debugger, which stops before the first
 * instruction: a command file says "continue". It has no headless display
 * either: the VNC one (rfb) is used, told not to wait for a viewer.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define BOCHS "bochs"
#define BOCHS_BIOS "/usr/share/bochs/BIOS-bochs-latest"
#define BOCHS_VGABIOS "/usr/share/bochs/VGABIOS-lgpl-latest"
#define FLOPPY_BYTES 1474560u /* 1.44 MB: 80 cylinders, 2 heads, 18 sectors */
#define SECTOR 512u
#define MAX_SECTORS 1151u     /* what the boot sector can load below 0xa0000 */
#define FLAT_MAX ((MAX_SECTORS - 1) * SECTOR)

const char *bench_bochs_unavailable(char *why, size_t len)
{
    if (!bench_on_path(BOCHS))
        snprintf(why, len, "bochs is not installed (apt-get install bochs bochsbios vgabios)");
    else if (access(BOCHS_BIOS, R_OK) != 0)
        snprintf(why, len, "Bochs' BIOS %s is missing (apt-get install bochsbios)", BOCHS_BIOS);
    else if (access(BOCHS_VGABIOS, R_OK) != 0)
        snprintf(why, len, "Bochs' VGA BIOS %s is missing (apt-get install vgabios)", BOCHS_VGABIOS);
    else
        return NULL;
    return why;
}

void bench_bochs_version(char *buf, size_t len)
{
    bench_first_line(BOCHS, "--help", "Bochs x86 Emulator", buf, len);
}

/* ---- reading an ELF image's loadable bytes ---------------------------------- */

/* A 32-bit little-endian ELF file, read whole. */
struct elf_image {
    uint8_t *data;
    size_t len;
};

static uint32_t le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* Read PATH; false (with err) unless it is an ELF32 i386 executable whose
 * program headers lie inside the file. */
static bool elf_read(const char *path, struct elf_image *e, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    e->data = NULL;
    e->len = 0;
    if (!f) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return false;
    }
    size_t cap = 0;
    for (;;) {
        if (e->len == cap) {
            uint8_t *n = realloc(e->data, cap = cap ? cap * 2 : 65536);
            if (!n)
                break;
            e->data = n;
        }
        size_t got = fread(e->data + e->len, 1, cap - e->len, f);
        if (got == 0)
            break;
        e->len += got;
    }
    fclose(f);
    const uint8_t *d = e->data;
    if (e->len < 52 || memcmp(d, "\177ELF\1\1", 6) != 0 || le16(d + 18) != 3 || le16(d + 42) != 32 ||
        le32(d + 28) + (uint64_t)le16(d + 44) * 32 > e->len) {
        snprintf(err, errlen, "%s is not a 32-bit x86 ELF image", path);
        free(e->data);
        e->data = NULL;
        return false;
    }
    return true;
}

/* Visit the PT_LOAD headers: fn(ctx, physical address, file offset,
 * bytes in the file, bytes in memory). False if one lies outside the file. */
static bool elf_segments(const struct elf_image *e, void (*fn)(void *, uint32_t, uint32_t, uint32_t, uint32_t),
                         void *ctx)
{
    const uint8_t *d = e->data;
    for (unsigned k = 0; k < le16(d + 44); k++) {
        const uint8_t *ph = d + le32(d + 28) + 32 * k;
        if (le32(ph) != 1) /* PT_LOAD */
            continue;
        uint32_t off = le32(ph + 4), pa = le32(ph + 12), filesz = le32(ph + 16), memsz = le32(ph + 20);
        if ((uint64_t)off + filesz > e->len || memsz < filesz)
            return false;
        fn(ctx, pa, off, filesz, memsz);
    }
    return true;
}

/* The extent of the loadable bytes: [lo, hi) from the file, zeros to end. */
struct extent {
    uint32_t lo, hi, end;
    uint8_t *flat;          /* when not NULL: hi - lo bytes to fill */
    const uint8_t *data;
};

static void measure(void *ctx, uint32_t pa, uint32_t off, uint32_t filesz, uint32_t memsz)
{
    struct extent *x = ctx;
    (void)off;
    if (pa < x->lo)
        x->lo = pa;
    if (pa + filesz > x->hi)
        x->hi = pa + filesz;
    if (pa + memsz > x->end)
        x->end = pa + memsz;
}

static void copy(void *ctx, uint32_t pa, uint32_t off, uint32_t filesz, uint32_t memsz)
{
    struct extent *x = ctx;
    (void)memsz;
    memcpy(x->flat + (pa - x->lo), x->data + off, filesz);
}

/* ---- the floppy ----------------------------------------------------------------- */

/* Write the boot floppy for guest G into PATH: boot sector, parameters,
 * the kernel's bytes (guests/bootsector/boot.S has the layout). */
static bool make_floppy(const struct bench_guest *g, const char *path, char *err, size_t errlen)
{
    char bootsector[4200];
    snprintf(bootsector, sizeof bootsector, "%s/bootsector.elf", g->guests);
    struct elf_image boot, kernel;
    if (!elf_read(bootsector, &boot, err, errlen))
        return false;
    if (!elf_read(g->image, &kernel, err, errlen)) {
        free(boot.data);
        return false;
    }
    bool ok = false;
    uint8_t *disk = calloc(1, FLOPPY_BYTES);
    struct extent bx = { UINT32_MAX, 0, 0, NULL, NULL }, kx = { UINT32_MAX, 0, 0, NULL, kernel.data };
    if (!disk || !elf_segments(&boot, measure, &bx) || bx.lo != 0x7c00 || bx.hi != 0x7c00 + SECTOR ||
        !elf_segments(&kernel, measure, &kx) || kx.hi <= kx.lo || kx.hi - kx.lo > FLAT_MAX) {
        snprintf(err, errlen, "cannot make a boot floppy of %s and %s (a 512-byte boot sector at 0x7c00 "
                 "and at most %u KiB of kernel)", bootsector, g->image, FLAT_MAX >> 10);
        goto out;
    }
    bx.flat = disk;
    bx.data = boot.data;
    elf_segments(&boot, copy, &bx);
    kx.flat = disk + 2 * SECTOR;
    elf_segments(&kernel, copy, &kx);
    uint32_t sectors = 1 + (kx.hi - kx.lo + SECTOR - 1) / SECTOR;
    disk[0x1fc] = (uint8_t)sectors;
    disk[0x1fd] = (uint8_t)(sectors >> 8);
    uint32_t params[5] = { kx.lo, kx.hi - kx.lo, kx.end, le32(kernel.data + 24),
                           (uint32_t)((g->ram >> 10) - 1024) };
    for (unsigned k = 0; k < 5; k++)
        for (unsigned b = 0; b < 4; b++)
            disk[SECTOR + 4 * k + b] = (uint8_t)(params[k] >> (8 * b));
    snprintf((char *)disk + SECTOR + 20, SECTOR - 20, "%s", g->cmdline);
    FILE *f = fopen(path, "wb");
    ok = f && fwrite(disk, 1, FLOPPY_BYTES, f) == FLOPPY_BYTES;
    ok &= f && fclose(f) == 0;
    if (!ok)
        snprintf(err, errlen, "cannot write the boot floppy %s", path);
out:
    free(disk);
    free(boot.data);
    free(kernel.data);
    return ok;
}

/* Write a small text file; false if it could not be written. */
static bool write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return false;
    bool ok = fputs(text, f) >= 0;
    return (fclose(f) == 0) & ok;
}

int bench_bochs_run(const struct bench_guest *g, struct bench_sample *s, char *err, size_t errlen)
{
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char dir[4096], floppy[4200], rc[4200], cmds[4200], config[8192];
    snprintf(dir, sizeof dir, "%s/vlab-bochs-XXXXXX", tmp);
    if (!mkdtemp(dir)) {
        snprintf(err, errlen, "cannot make a folder in %s: %s", tmp, strerror(errno));
        return -1;
    }
    snprintf(floppy, sizeof floppy, "%s/floppy.img", dir);
    snprintf(rc, sizeof rc, "%s/bochsrc", dir);
    snprintf(cmds, sizeof cmds, "%s/commands", dir);
    snprintf(config, sizeof config,
             "megs: %" PRIu64 "\n"
             "romimage: file=" BOCHS_BIOS "\n"
             "vgaromimage: file=" BOCHS_VGABIOS "\n"
             "floppya: 1_44=%s, status=inserted\n"
             "boot: floppy\n"
             "display_library: rfb, options=\"timeout=0\"\n"
             "log: /dev/null\n"
             "com1: enabled=1, mode=file, dev=/dev/stdout\n",
             g->ram >> 20, floppy);
    int rc_status = -1;
    if (!make_floppy(g, floppy, err, errlen))
        goto out;
    if (!write_text(rc, config) || !write_text(cmds, "continue\n")) {
        snprintf(err, errlen, "cannot write Bochs' configuration in %s", dir);
        goto out;
    }
    char *argv[] = { BOCHS, "-q", "-f", rc, "-rc", cmds, NULL };
    char *out;
    if (bench_spawn(argv, "checksum=", g->timeout, s, &out, err, errlen) == 0) {
        s->have_checksum = bench_find_checksum(out, &s->checksum);
        free(out);
        rc_status = 0;
    }
out:
    unlink(floppy);
    unlink(rc);
    unlink(cmds);
    rmdir(dir);
    return rc_status;
}

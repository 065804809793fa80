/* The Multiboot loader: a good image boots in the state the specification
 * requires; every kind of bad image is refused with a clear sentence and
 * leaves guest memory untouched. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "fixture.h"
#include "vlab/loader.h"

#define LOAD_ADDR 0x100000u
#define CODE_OFF 0x60u /* file offset of the segment: after the ELF and program headers */

struct img {
    uint8_t b[512];
    size_t len;
};

static void w16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void w32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

/* A minimal valid kernel: one PT_LOAD segment at 1 MiB holding the Multiboot
 * header and `hlt`, entry just after the header, 64 bytes of .bss. */
static void make_image(struct img *im)
{
    uint8_t *b = im->b;
    memset(im, 0, sizeof(*im));
    memcpy(b, "\177ELF", 4);
    b[4] = 1; /* ELFCLASS32 */
    b[5] = 1; /* little-endian */
    b[6] = 1;
    w16(b + 16, 2);  /* ET_EXEC */
    w16(b + 18, 3);  /* EM_386 */
    w32(b + 20, 1);
    w32(b + 24, LOAD_ADDR + 12); /* entry */
    w32(b + 28, 52); /* phoff */
    w16(b + 40, 52);
    w16(b + 42, 32);
    w16(b + 44, 1);
    uint8_t *ph = b + 52;
    w32(ph, 1);              /* PT_LOAD */
    w32(ph + 4, CODE_OFF);   /* offset */
    w32(ph + 8, LOAD_ADDR);  /* vaddr */
    w32(ph + 12, LOAD_ADDR); /* paddr */
    w32(ph + 16, 16);        /* filesz */
    w32(ph + 20, 16 + 64);   /* memsz */
    w32(ph + 24, 5);
    uint8_t *code = b + CODE_OFF;
    w32(code, MULTIBOOT_HEADER_MAGIC);
    w32(code + 4, 2);
    w32(code + 8, (uint32_t)-(MULTIBOOT_HEADER_MAGIC + 2));
    code[12] = 0xf4; /* hlt */
    im->len = CODE_OFF + 16;
}

static int setup(void **state)
{
    static struct fixture fx;
    assert_int_equal(fx_init(&fx), 0);
    *state = &fx;
    return 0;
}

static int teardown(void **state)
{
    fx_fini(*state);
    return 0;
}

static int load(struct fixture *fx, const struct img *im, char *err, size_t errlen)
{
    struct loader_args a = { .image = im->b, .image_len = im->len, .cmdline = "kernel quiet" };
    return loader_multiboot(&fx->mem, &fx->cpu, &a, err, errlen);
}

static void test_good_image_enters_with_multiboot_state(void **state)
{
    struct fixture *fx = *state;
    struct img im;
    char err[256] = "";
    make_image(&im);
    fx_write32(fx, LOAD_ADDR + 16, 0xdeadbeef); /* .bss must be cleared */
    assert_int_equal(load(fx, &im, err, sizeof(err)), 0);
    assert_int_equal(fx->cpu.eip, LOAD_ADDR + 12);
    assert_int_equal(fx->cpu.r[R_EAX], MULTIBOOT_BOOTLOADER_MAGIC);
    assert_int_equal(fx_read32(fx, LOAD_ADDR), MULTIBOOT_HEADER_MAGIC);
    assert_int_equal(fx_read32(fx, LOAD_ADDR + 16), 0);
    assert_int_equal(fx->cpu.cr0 & (CR0_PE | CR0_PG), CR0_PE);
    assert_int_equal(cpu_eflags(&fx->cpu) & EFLAGS_IF, 0);
    assert_int_equal(fx->cpu.cpl, 0);

    uint32_t mbi = fx->cpu.r[R_EBX];
    uint32_t flags = fx_read32(fx, mbi);
    assert_true(flags & 0x1);  /* mem_lower/mem_upper */
    assert_true(flags & 0x4);  /* cmdline */
    assert_true(flags & 0x40); /* mmap */
    assert_int_equal(fx_read32(fx, mbi + 4), 640);
    assert_int_equal(fx_read32(fx, mbi + 8), (FX_RAM - 0x100000) / 1024);
    char cmd[16] = "";
    physmem_read(&fx->mem, fx_read32(fx, mbi + 16), cmd, 13);
    assert_string_equal(cmd, "kernel quiet");
}

static void test_module_is_loaded_page_aligned_after_kernel(void **state)
{
    struct fixture *fx = *state;
    struct img im;
    char err[256] = "";
    static const uint8_t data[] = "module bytes";
    struct loader_module m = { data, sizeof(data), "initrd" };
    make_image(&im);
    struct loader_args a = { .image = im.b, .image_len = im.len, .modules = &m, .nmodules = 1 };
    assert_int_equal(loader_multiboot(&fx->mem, &fx->cpu, &a, err, sizeof(err)), 0);
    uint32_t mbi = fx->cpu.r[R_EBX];
    assert_true(fx_read32(fx, mbi) & 0x8);
    assert_int_equal(fx_read32(fx, mbi + 20), 1);
    uint32_t mod = fx_read32(fx, mbi + 24);
    uint32_t start = fx_read32(fx, mod), end = fx_read32(fx, mod + 4);
    assert_int_equal(start % 4096, 0);
    assert_true(start >= LOAD_ADDR + 80);
    assert_int_equal(end - start, sizeof(data));
    char got[sizeof(data)];
    physmem_read(&fx->mem, start, got, sizeof(got));
    assert_memory_equal(got, data, sizeof(data));
}

/* Each bad image: a mutation of the good one and a phrase the error must contain. */
struct bad_case {
    const char *why;
    void (*mutate)(struct img *im);
};

static void truncate_header(struct img *im) { im->len = 40; }
static void bad_magic(struct img *im) { im->b[1] = 'X'; }
static void class64(struct img *im) { im->b[4] = 2; }
static void big_endian(struct img *im) { im->b[5] = 2; }
static void machine_arm(struct img *im) { w16(im->b + 18, 40); }
static void relocatable(struct img *im) { w16(im->b + 16, 1); }
static void phdrs_outside(struct img *im) { w32(im->b + 28, 4000); }
static void segment_truncated(struct img *im) { im->len = CODE_OFF + 8; }
static void filesz_over_memsz(struct img *im) { w32(im->b + 52 + 20, 8); }
static void segment_outside_ram(struct img *im) { w32(im->b + 52 + 12, FX_RAM - 16); }
static void segment_wraps(struct img *im) { w32(im->b + 52 + 12, 0xfffffff0u); }
static void entry_outside(struct img *im) { w32(im->b + 24, 0x500000); }
static void no_multiboot(struct img *im) { w32(im->b + CODE_OFF, 0x12345678); }
static void bad_checksum(struct img *im) { w32(im->b + CODE_OFF + 8, 0); }
static void wants_video(struct img *im)
{
    w32(im->b + CODE_OFF + 4, 4);
    w32(im->b + CODE_OFF + 8, (uint32_t)-(MULTIBOOT_HEADER_MAGIC + 4));
}
static void no_load_segment(struct img *im) { w32(im->b + 52, 4); }
static void overlaps_boot_info(struct img *im)
{
    w32(im->b + 52 + 12, 0x8000);
    w32(im->b + 52 + 8, 0x8000);
    w32(im->b + 24, 0x8000 + 12);
}

static const struct bad_case bad_cases[] = {
    { "too short", truncate_header },
    { "bad magic", bad_magic },
    { "ELF class", class64 },
    { "little-endian", big_endian },
    { "wrong machine", machine_arm },
    { "not an executable", relocatable },
    { "program headers", phdrs_outside },
    { "past the end of the file", segment_truncated },
    { "more file bytes", filesz_over_memsz },
    { "outside the guest", segment_outside_ram },
    { "outside the guest", segment_wraps },
    { "entry point", entry_outside },
    { "no Multiboot header", no_multiboot },
    { "checksum", bad_checksum },
    { "video mode", wants_video },
    { "no loadable", no_load_segment },
    { "boot information", overlaps_boot_info },
};

static void test_bad_images_are_refused_with_a_reason_and_touch_nothing(void **state)
{
    struct fixture *fx = *state;
    for (size_t k = 0; k < VLAB_ARRAY_SIZE(bad_cases); k++) {
        struct img im;
        char err[256] = "";
        make_image(&im);
        bad_cases[k].mutate(&im);
        uint32_t eip = fx->cpu.eip;
        size_t backed = fx->mem.pages_backed;
        assert_int_equal(load(fx, &im, err, sizeof(err)), -EINVAL);
        if (!strstr(err, bad_cases[k].why))
            fail_msg("case %zu: expected \"%s\" in \"%s\"", k, bad_cases[k].why, err);
        assert_int_equal(fx->cpu.eip, eip);
        assert_int_equal(fx->mem.pages_backed, backed);
    }
}

/* Every truncation of a good image is refused or accepted, never a crash. */
static void test_every_truncation_is_handled(void **state)
{
    struct fixture *fx = *state;
    struct img im;
    make_image(&im);
    size_t full = im.len;
    for (size_t n = 0; n < full; n++) {
        char err[256] = "";
        im.len = n;
        assert_int_equal(load(fx, &im, err, sizeof(err)), -EINVAL);
        assert_true(err[0] != '\0');
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_good_image_enters_with_multiboot_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_module_is_loaded_page_aligned_after_kernel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_images_are_refused_with_a_reason_and_touch_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_truncation_is_handled, setup, teardown),
    };
    return cmocka_run_group_tests_name("loader", tests, NULL, NULL);
}

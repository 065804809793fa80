/* The Multiboot (v1) ELF loader.
 *
 * It validates an image strictly before writing anything to guest memory:
 * a truncated or malformed ELF file, a wrong class, byte order or machine,
 * a segment outside RAM or overlapping the loader's own structures, a
 * missing or corrupt Multiboot header, an entry point outside the loaded
 * segments — each is reported as one sentence naming the problem.
 * Then it copies the PT_LOAD segments, builds the Multiboot information
 * structure (memory sizes, the memory map, the command line, modules) and
 * puts the CPU in the state the Multiboot specification (3.2) requires.
 */
#ifndef VLAB_LOADER_H
#define VLAB_LOADER_H

#include "vlab/types.h"

struct physmem;
struct cpu;

struct loader_module {
    const uint8_t *data;
    size_t len;
    const char *cmdline;
};

struct loader_args {
    const uint8_t *image;       /* the kernel's ELF file */
    size_t image_len;
    const char *cmdline;        /* passed to the kernel; may be NULL */
    const struct loader_module *modules;
    unsigned nmodules;
};

/* Load and prepare to run. Returns 0, or -EINVAL (the image is bad: `err`
 * says why) or -ENOMEM; on error guest memory and the CPU are untouched. */
int loader_multiboot(struct physmem *pm, struct cpu *cpu, const struct loader_args *args,
                     char *err, size_t errlen);

#define MULTIBOOT_HEADER_MAGIC 0x1BADB002u
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002u

#endif

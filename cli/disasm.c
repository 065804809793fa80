/* vlab disasm: list the instructions of an ELF image's executable segments,
 * decoded by vlab's decoder, in the layout of `objdump -d -M intel`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vlab/insn.h"

#include "cli.h"

static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static void disasm_range(const uint8_t *code, uint32_t len, uint32_t addr)
{
    uint32_t off = 0;
    while (off < len) {
        struct insn in;
        char text[128];
        int st = insn_decode(&in, code + off, len - off, true);
        unsigned n = st == DECODE_OK ? in.len : 1;
        if (st == DECODE_OK)
            insn_disasm(&in, addr + off, text, sizeof(text));
        else
            snprintf(text, sizeof(text), "(bad)");
        printf("%8x:\t", addr + off);
        for (unsigned k = 0; k < 7; k++)
            printf(k < n ? "%02x " : "   ", k < n ? code[off + k] : 0);
        printf("\t%s\n", text);
        off += n;
    }
}

int cmd_disasm(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-') {
        fprintf(argc == 2 && !strcmp(argv[1], "--help") ? stdout : stderr,
                "usage: vlab disasm IMAGE\n  Disassemble the executable PT_LOAD segments of a 32-bit ELF file.\n");
        return argc == 2 && !strcmp(argv[1], "--help") ? 0 : EXIT_USAGE;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return EXIT_USAGE;
    }
    static uint8_t buf[16 << 20];
    size_t len = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    if (len < 52 || memcmp(buf, "\177ELF", 4) || buf[4] != 1 || rd16(buf + 42) != 32) {
        fprintf(stderr, "vlab disasm: %s: not a 32-bit ELF file\n", argv[1]);
        return EXIT_USAGE;
    }
    uint32_t phoff = rd32(buf + 28);
    unsigned phnum = rd16(buf + 44);
    if ((uint64_t)phoff + phnum * 32ull > len) {
        fprintf(stderr, "vlab disasm: %s: program headers outside the file\n", argv[1]);
        return EXIT_USAGE;
    }
    for (unsigned k = 0; k < phnum; k++) {
        const uint8_t *ph = buf + phoff + 32 * k;
        uint32_t off = rd32(ph + 4), vaddr = rd32(ph + 8), filesz = rd32(ph + 16), flags = rd32(ph + 24);
        if (rd32(ph) != 1 || !(flags & 1))
            continue;
        if ((uint64_t)off + filesz > len) {
            fprintf(stderr, "vlab disasm: %s: segment %u outside the file\n", argv[1], k);
            return EXIT_USAGE;
        }
        printf("segment %u at 0x%x (%u bytes):\n", k, vaddr, filesz);
        disasm_range(buf + off, filesz, vaddr);
    }
    return 0;
}

/* A fresh machine for each test: RAM, a bus and one CPU in flat 32-bit
 * protected mode, with helpers to run a few instruction bytes. */
#ifndef VLAB_TEST_FIXTURE_H
#define VLAB_TEST_FIXTURE_H

#include "vlab/cpu.h"
#include "vlab/dev.h"
#include "vlab/insn.h"
#include "vlab/mem.h"

#define FX_RAM (16u << 20)
#define FX_CODE 0x1000u   /* where fx_run_code() puts the code */
#define FX_STACK 0x9000u  /* initial ESP */
#define FX_DATA 0x10000u  /* a free data area for tests */

struct fixture {
    struct physmem mem;
    struct bus bus;
    struct cpu cpu;
};

/* A machine with FX_RAM of RAM, CPL 0, paging off, ESP = FX_STACK.
 * Returns 0 or a negative errno. */
int fx_init(struct fixture *fx);
void fx_fini(struct fixture *fx);

/* Copy `len` code bytes to FX_CODE and run them: instruction by instruction
 * until EIP leaves [FX_CODE, FX_CODE + len) or an exit other than the budget
 * (an exception, HLT). At most 100000 instructions. Returns the last exit. */
enum cpu_exit fx_run_code(struct fixture *fx, const void *code, size_t len);

/* Guest memory access for assertions. */
uint32_t fx_read32(struct fixture *fx, gpa_t gpa);
void fx_write32(struct fixture *fx, gpa_t gpa, uint32_t v);
void fx_write(struct fixture *fx, gpa_t gpa, const void *buf, size_t len);

/* Install a GDT at `gdt_base` with the entries given (desc pairs) and load
 * GDTR. Entry 0 should be zero. */
void fx_set_gdt(struct fixture *fx, gpa_t gdt_base, const uint64_t *entries, unsigned n);

/* Build a descriptor from its parts (base, byte or page limit, the access
 * byte P|DPL|S|type, and the flags nibble G|D/B|L|AVL). */
uint64_t fx_desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags);

/* Build a gate descriptor (call, interrupt, trap gate): target selector and
 * offset, the access byte P|DPL|0|type (0xEC: a present DPL 3 32-bit call
 * gate, 0x8E: a DPL 0 32-bit interrupt gate, 0xEF: a DPL 3 trap gate) and a
 * call gate's parameter count. */
uint64_t fx_gate(uint16_t sel, uint32_t offset, uint8_t access, uint8_t params);

/* For device tests: a virtual clock the test sets by hand, an interrupt
 * line that records what a device drives on it, and a kick counter. */
struct fx_clock {
    uint64_t ns;
};
struct vclock fx_vclock(struct fx_clock *c);

struct fx_irq {
    bool level;      /* the level driven now */
    unsigned rises;  /* low-to-high transitions so far */
    unsigned falls;
};
struct irq_line fx_irq_line(struct fx_irq *r);

struct dev_kick fx_kick(unsigned *count);

#endif

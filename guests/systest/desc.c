/* desc.c - the GDT, LDT, IDT and TSS that the checks work on.
 *
 * Each descriptor exists to be the subject of some check; selectors.h
 * names them. desc_init() builds the tables and loads GDTR and IDTR; it
 * loads neither LDTR nor TR, since LLDT and LTR are themselves checked
 * (tables.c). */
#include "systest.h"

struct desc gdt[GDT_ENTRIES] __attribute__((aligned(8)));
struct desc ldt[LDT_ENTRIES] __attribute__((aligned(8)));
struct desc idt[IDT_ENTRIES] __attribute__((aligned(8)));
struct tss tss __attribute__((aligned(128)));
static struct tss tss2 __attribute__((aligned(128)));

const struct pseudo_desc kernel_gdtr = { sizeof gdt - 1, (uint32_t)gdt };
const struct pseudo_desc kernel_idtr = { sizeof idt - 1, (uint32_t)idt };

/* The access byte: P | DPL << 5 | S | type (SDM Vol. 3A, 3.4.5; types in
 * Table 3-1 for code and data, Table 3-2 for system descriptors). */
#define P 0x80
#define DPL(n) ((n) << 5)
#define S 0x10 /* code or data; clear for system descriptors and gates */
#define T_DATA_RO 0x0
#define T_DATA_RW 0x2
#define T_DATA_RW_DOWN 0x6
#define T_CODE_X 0x8
#define T_CODE_XR 0xa
#define T_CODE_XR_CONFORMING 0xe
#define T_LDT 0x2
#define T_TSS32 0x9
#define T_CALLGATE32 0xc
#define T_INTGATE32 0xe
#define T_TRAPGATE32 0xf

/* The flags nibble: G (limit in 4 KiB units) and D/B (32-bit). */
#define PAGES32 0xc
#define BYTES32 0x4
#define BYTES16 0x0

/*
 * A segment descriptor (SDM Vol. 3A, 3.4.5, Figure 3-8):
 *
 *   31      24 23 22 21 20 19     16 15 14 13 12 11   8 7       0
 *  +----------+--+--+--+--+---------+--+-----+--+------+---------+
 *  |base 31:24|G |DB|L |AV|lim 19:16|P | DPL |S | type |base23:16| hi
 *  +----------+--+--+--+--+---------+--+-----+--+------+---------+
 *  |          base 15:0             |        limit 15:0          | lo
 *  +--------------------------------+----------------------------+
 */
static struct desc seg_desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
    struct desc d;
    d.lo = (base << 16) | (limit & 0xffff);
    d.hi = (base & 0xff000000) | (uint32_t)flags << 20 | (limit & 0x000f0000) | (uint32_t)access << 8 |
           ((base >> 16) & 0xff);
    return d;
}

/*
 * A gate: call gate (SDM Vol. 3A, 5.8.3, Figure 5-8), interrupt and trap
 * gates (6.11, Figure 6-2). Interrupt and trap gates have no parameters.
 *
 *   31               16 15 14 13 12    8 7    5 4      0
 *  +-------------------+--+-----+-------+------+--------+
 *  |   offset 31:16    |P | DPL |0 type |0 0 0 | params | hi
 *  +-------------------+--+-----+-------+------+--------+
 *  | segment selector  |        offset 15:0             | lo
 *  +-------------------+--------------------------------+
 */
static struct desc gate_desc(uint16_t sel, uint32_t offset, uint8_t access, uint8_t params)
{
    struct desc d;
    d.lo = (uint32_t)sel << 16 | (offset & 0xffff);
    d.hi = (offset & 0xffff0000) | (uint32_t)access << 8 | (params & 0x1f);
    return d;
}

uint8_t desc_access(const struct desc *d)
{
    return (uint8_t)(((volatile const struct desc *)d)->hi >> 8);
}

void desc_set_access(struct desc *d, uint8_t access)
{
    volatile struct desc *v = d;
    v->hi = (v->hi & ~0x0000ff00u) | (uint32_t)access << 8;
}

/* The code and data segments of the GDT. All have base 0. */
static const struct seg_row {
    uint16_t sel;
    uint32_t limit;
    uint8_t access, flags;
} seg_rows[] = {
    { SEL_KCODE, 0xfffff, P | DPL(0) | S | T_CODE_XR, PAGES32 },
    { SEL_KDATA, 0xfffff, P | DPL(0) | S | T_DATA_RW, PAGES32 },
    { SEL_UCODE, 0xfffff, P | DPL(3) | S | T_CODE_XR, PAGES32 },
    { SEL_UDATA, 0xfffff, P | DPL(3) | S | T_DATA_RW, PAGES32 },
    { SEL_NPDATA, 0xfffff, DPL(0) | S | T_DATA_RW, PAGES32 },
    { SEL_EXPDOWN32, 0x00fff, P | DPL(0) | S | T_DATA_RW_DOWN, BYTES32 },
    { SEL_EXPDOWN16, 0x00fff, P | DPL(0) | S | T_DATA_RW_DOWN, BYTES16 },
    { SEL_RODATA, 0xfffff, P | DPL(0) | S | T_DATA_RO, PAGES32 },
    { SEL_XOCODE, 0xfffff, P | DPL(0) | S | T_CODE_X, PAGES32 },
    { SEL_CONFCODE, 0xfffff, P | DPL(0) | S | T_CODE_XR_CONFORMING, PAGES32 },
    { SEL_DATA_DPL1, 0xfffff, P | DPL(1) | S | T_DATA_RW, PAGES32 },
    { SEL_DATA_DPL2, 0xfffff, P | DPL(2) | S | T_DATA_RW, PAGES32 },
    { SEL_SMALLDATA, 0x000ff, P | DPL(0) | S | T_DATA_RW, BYTES32 },
    { SEL_FRESHDATA, 0xfffff, P | DPL(0) | S | T_DATA_RW, PAGES32 },
    { SEL_NPCODE, 0xfffff, DPL(0) | S | T_CODE_XR, PAGES32 },
    { SEL_SYSRSVD, 0x0ffff, P | DPL(0) | 0x0, BYTES16 },
};

/* IDT gates that differ from the default, a present DPL-0 interrupt gate. */
static const struct gate_row {
    uint8_t vector, access;
} gate_rows[] = {
    { 3, P | DPL(3) | T_INTGATE32 },               /* INT3 may be used from ring 3 */
    { 4, P | DPL(3) | T_INTGATE32 },               /* and INTO */
    { VEC_NOT_PRESENT, DPL(0) | T_INTGATE32 },     /* P = 0 */
    { VEC_TRAPGATE, P | DPL(0) | T_TRAPGATE32 },   /* a trap gate keeps IF */
    { VEC_BADTYPE, P | DPL(0) | T_CALLGATE32 },    /* call gates are not allowed in the IDT */
    { VEC_SYSCALL, P | DPL(3) | T_TRAPGATE32 },    /* the system call of a classic kernel */
};

/* The rows entry.S emits, one per stub. */
struct trap_row {
    uint32_t vector, entry;
};
extern const struct trap_row trap_table[], trap_table_end[];
extern char user_exit_stub[];

static struct desc *gdt_at(uint16_t sel)
{
    return &gdt[sel >> 3];
}

static void gdt_build(void)
{
    for (size_t i = 0; i < sizeof seg_rows / sizeof seg_rows[0]; i++) {
        const struct seg_row *r = &seg_rows[i];
        *gdt_at(r->sel) = seg_desc(0, r->limit, r->access, r->flags);
    }
    *gdt_at(SEL_TSS) = seg_desc((uint32_t)&tss, sizeof tss - 1, P | DPL(0) | T_TSS32, BYTES16);
    *gdt_at(SEL_TSS2) = seg_desc((uint32_t)&tss2, 104 - 1, P | DPL(0) | T_TSS32, BYTES16);
    *gdt_at(SEL_LDT) = seg_desc((uint32_t)ldt, sizeof ldt - 1, P | DPL(0) | T_LDT, BYTES16);
    *gdt_at(SEL_NPLDT) = seg_desc((uint32_t)ldt, sizeof ldt - 1, DPL(0) | T_LDT, BYTES16);
    *gdt_at(SEL_GATE3) = gate_desc(SEL_KCODE, (uint32_t)gate_target, P | DPL(3) | T_CALLGATE32, 0);
    *gdt_at(SEL_GATE3P) = gate_desc(SEL_KCODE, (uint32_t)gate_target_params, P | DPL(3) | T_CALLGATE32, 2);
    *gdt_at(SEL_GATE0) = gate_desc(SEL_KCODE, (uint32_t)gate_target, P | DPL(0) | T_CALLGATE32, 0);
    *gdt_at(SEL_INTGATE) = gate_desc(SEL_KCODE, (uint32_t)gate_target, P | DPL(0) | T_INTGATE32, 0);

    ldt[LSEL_UDATA >> 3] = seg_desc(0, 0xfffff, P | DPL(3) | S | T_DATA_RW, PAGES32);
    ldt[LSEL_NPDATA >> 3] = seg_desc(0, 0xfffff, DPL(3) | S | T_DATA_RW, PAGES32);
}

static uint8_t gate_access(uint32_t vector)
{
    for (size_t i = 0; i < sizeof gate_rows / sizeof gate_rows[0]; i++)
        if (gate_rows[i].vector == vector)
            return gate_rows[i].access;
    return P | DPL(0) | T_INTGATE32;
}

static void idt_build(void)
{
    for (const struct trap_row *r = trap_table; r < trap_table_end; r++)
        idt[r->vector] = gate_desc(SEL_KCODE, r->entry, gate_access(r->vector), 0);
    idt[VEC_USER_EXIT] = gate_desc(SEL_KCODE, (uint32_t)user_exit_stub, P | DPL(3) | T_INTGATE32, 0);
}

/* The TSS matters here only for the ring-0 stack (SS0:ESP0) that ring 3
 * enters on, and for the I/O permission bitmap, which denies ring 3 every
 * port but IO_ALLOWED_PORT (SDM Vol. 1, "I/O Permission Bit Map"). */
static void tss_build(void)
{
    tss.ss0 = SEL_KDATA;
    tss.esp0 = (uint32_t)ring0_stack_top;
    tss.iomap_base = offsetof(struct tss, iomap);
    memset(tss.iomap, 0xff, sizeof tss.iomap);
    tss.iomap[IO_ALLOWED_PORT / 8] &= (uint8_t)~(1u << (IO_ALLOWED_PORT % 8));
    tss2.iomap_base = sizeof tss2;
}

/* Build everything, load GDTR and IDTR, and reload every segment register
 * from the new GDT (a far jump for CS). */
void desc_init(void)
{
    gdt_build();
    idt_build();
    tss_build();
    __asm__ volatile("lgdt %0\n\t"
                 "lidt %1\n\t"
                 "ljmp %2, $1f\n"
                 "1:\tmov %3, %%ds\n\t"
                 "mov %3, %%es\n\t"
                 "mov %3, %%fs\n\t"
                 "mov %3, %%gs\n\t"
                 "mov %3, %%ss"
                 :
                 : "m"(kernel_gdtr), "m"(kernel_idtr), "i"(SEL_KCODE), "r"((uint32_t)SEL_KDATA)
                 : "memory");
}

/* desc.c - the descriptor tables: the GDT (segments), the TSS (the kernel
 * stack for traps from ring 3) and the IDT (where each trap goes).
 *
 * Segmentation is flat: every segment starts at 0 and spans 4 GiB, so a
 * segment only says which ring the code runs in. Protection comes from
 * paging (vm.c). */
#include "kernel.h"
#include "syscall.h"

struct tss kernel_tss;
static uint64_t gdt[GDT_ENTRIES];
static uint64_t idt[256];

/*
 * A segment descriptor (SDM Vol. 3A, 3.4.5, Figure 3-8):
 *
 *    63      56 55 54 53 52 51   48 47 46 45 44 43    40 39      32
 *   +----------+--+--+--+--+-------+--+-----+--+--------+----------+
 *   |base 31:24|G |DB|L |AV|lim 19:16|P| DPL |S |  type  |base 23:16|
 *   +----------+--+--+--+--+-------+--+-----+--+--------+----------+
 *    31                          16 15                            0
 *   +------------------------------+-------------------------------+
 *   |          base 15:0           |          limit 15:0           |
 *   +------------------------------+-------------------------------+
 *
 * ACCESS is bits 47..40 (P, DPL, S, type), FLAGS bits 55..52 (G, DB).
 */
#define ACC_P 0x80u
#define ACC_DPL(d) ((uint32_t)(d) << 5)
#define ACC_S 0x10u          /* a code or data segment (not a system one) */
#define ACC_CODE 0x0au       /* type: execute/read */
#define ACC_DATA 0x02u       /* type: read/write */
#define ACC_TSS 0x09u        /* system type: 32-bit TSS, available */
#define FLAGS_4K_32 0xcu     /* G: limit in 4 KiB units; DB: 32-bit */

static uint64_t seg_desc(uint32_t base, uint32_t limit, uint32_t access, uint32_t flags)
{
    return (uint64_t)(limit & 0xffffu) | (uint64_t)(base & 0xffffffu) << 16 | (uint64_t)access << 40 |
           (uint64_t)((limit >> 16) & 0xfu) << 48 | (uint64_t)flags << 52 | (uint64_t)(base >> 24) << 56;
}

/*
 * A 32-bit interrupt gate (6.11, Figure 6-2):
 *
 *    63                     48 47 46 45 44       40 39          32
 *   +-------------------------+--+-----+-----------+--------------+
 *   |      offset 31:16       |P | DPL | 0 1 1 1 0 |   (zero)     |
 *   +-------------------------+--+-----+-----------+--------------+
 *    31                     16 15                               0
 *   +-------------------------+-----------------------------------+
 *   |   segment selector      |           offset 15:0             |
 *   +-------------------------+-----------------------------------+
 *
 * An interrupt gate (type 0xe) clears IF on the way in. DPL is the ring
 * that may use the gate with INT n: 3 for the system call, 0 for the
 * rest, so that a user program's INT 14 is a #GP, not a page fault.
 */
#define GATE_INT32 0x0eu

static uint64_t gate_desc(uint32_t offset, uint16_t selector, unsigned dpl)
{
    uint32_t access = ACC_P | ACC_DPL(dpl) | GATE_INT32;
    return (uint64_t)(offset & 0xffffu) | (uint64_t)selector << 16 | (uint64_t)access << 40 |
           (uint64_t)(offset >> 16) << 48;
}

/* The rows trapasm.S emits: a vector and its stub. */
struct trap_entry {
    uint32_t vector;
    void (*stub)(void);
};
extern const struct trap_entry trap_table[], trap_table_end[];

static void gdt_init(void)
{
    gdt[KERNEL_CS >> 3] = seg_desc(0, 0xfffff, ACC_P | ACC_DPL(0) | ACC_S | ACC_CODE, FLAGS_4K_32);
    gdt[KERNEL_DS >> 3] = seg_desc(0, 0xfffff, ACC_P | ACC_DPL(0) | ACC_S | ACC_DATA, FLAGS_4K_32);
    gdt[USER_CS >> 3] = seg_desc(0, 0xfffff, ACC_P | ACC_DPL(3) | ACC_S | ACC_CODE, FLAGS_4K_32);
    gdt[USER_DS >> 3] = seg_desc(0, 0xfffff, ACC_P | ACC_DPL(3) | ACC_S | ACC_DATA, FLAGS_4K_32);
    gdt[TSS_SEL >> 3] = seg_desc(V2P(&kernel_tss), sizeof kernel_tss - 1, ACC_P | ACC_TSS, 0);
}

/* The TSS: SS0 is the kernel's data segment (ESP0 changes with each
 * process: proc.c). The I/O map base lies past the TSS limit, so there is
 * no I/O bitmap and ring 3, with IOPL 0, may use no port at all (Vol. 1,
 * 19.5.2). */
static void tss_init(void)
{
    kernel_tss.ss0 = KERNEL_DS;
    kernel_tss.iomap_base = sizeof kernel_tss;
}

static void idt_init(void)
{
    for (const struct trap_entry *e = trap_table; e < trap_table_end; e++)
        idt[e->vector] = gate_desc((uint32_t)e->stub, KERNEL_CS, e->vector == T_SYSCALL ? DPL_USER : 0);
}

/* Build the three tables and load them: GDTR, TR, IDTR. */
void desc_init(void)
{
    gdt_init();
    tss_init();
    idt_init();
    struct pseudo_desc gdtr = { sizeof gdt - 1, V2P(gdt) };
    struct pseudo_desc idtr = { sizeof idt - 1, V2P(idt) };
    arch->load_gdt(&gdtr);
    arch->load_tr(TSS_SEL);
    arch->load_idt(&idtr);
}

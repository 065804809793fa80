/* arch_native.c - the native arch-ops table: each operation is the
 * privileged instruction itself. This is the only file of the kernel with
 * such instructions (see arch.h). */
#include "kernel.h"

const struct arch_ops *arch;

/* LGDT, then reload every segment register so that none keeps a
 * descriptor cached from the boot loader's GDT (3.4.3): CS with a far jump,
 * the others with MOVs. */
static void native_load_gdt(const struct pseudo_desc *gdtr)
{
    __asm__ volatile("lgdt %0\n\t"
                     "ljmp %1, $1f\n"
                     "1:\tmovl %2, %%eax\n\t"
                     "movl %%eax, %%ds\n\t"
                     "movl %%eax, %%es\n\t"
                     "movl %%eax, %%fs\n\t"
                     "movl %%eax, %%gs\n\t"
                     "movl %%eax, %%ss"
                     :
                     : "m"(*gdtr), "i"(KERNEL_CS), "i"(KERNEL_DS)
                     : "eax", "memory");
}

static void native_load_idt(const struct pseudo_desc *idtr)
{
    __asm__ volatile("lidt %0" : : "m"(*idtr) : "memory");
}

static void native_load_tr(uint16_t selector)
{
    __asm__ volatile("ltr %0" : : "r"(selector) : "memory");
}

/* The TSS is ordinary memory: the CPU reads ESP0 at each trap from ring 3. */
static void native_set_kernel_stack(uint32_t esp0)
{
    kernel_tss.esp0 = esp0;
}

static void native_irq_disable(void)
{
    __asm__ volatile("cli" : : : "memory");
}

/* STI delays interrupts until after the next instruction (STI, Vol. 2B),
 * so an interrupt cannot arrive between STI and HLT and leave the CPU
 * asleep waiting for the one after. */
static void native_safe_halt(void)
{
    __asm__ volatile("sti\n\thlt" : : : "memory");
}

static void native_halt(void)
{
    __asm__ volatile("hlt" : : : "memory");
}

static uint32_t native_read_cr0(void)
{
    uint32_t v;
    __asm__ volatile("movl %%cr0, %0" : "=r"(v));
    return v;
}

static void native_write_cr0(uint32_t v)
{
    __asm__ volatile("movl %0, %%cr0" : : "r"(v) : "memory");
}

static uint32_t native_read_cr4(void)
{
    uint32_t v;
    __asm__ volatile("movl %%cr4, %0" : "=r"(v));
    return v;
}

static void native_write_cr4(uint32_t v)
{
    __asm__ volatile("movl %0, %%cr4" : : "r"(v) : "memory");
}

static uint32_t native_read_cr2(void)
{
    uint32_t v;
    __asm__ volatile("movl %%cr2, %0" : "=r"(v));
    return v;
}

static void native_load_cr3(uint32_t pgdir_pa)
{
    __asm__ volatile("movl %0, %%cr3" : : "r"(pgdir_pa) : "memory");
}

static void native_invlpg(uint32_t va)
{
    __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

/* A page-table entry is a 32-bit word: one aligned store writes it
 * atomically as far as the page walker is concerned. */
static void native_set_pte(pte_t *entry, pte_t value)
{
    *(volatile pte_t *)entry = value;
}

static uint8_t native_inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static void native_outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static void native_cpuid(uint32_t leaf, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(0));
}

const struct arch_ops arch_native = {
    .name = "native",
    .load_gdt = native_load_gdt,
    .load_idt = native_load_idt,
    .load_tr = native_load_tr,
    .set_kernel_stack = native_set_kernel_stack,
    .irq_disable = native_irq_disable,
    .safe_halt = native_safe_halt,
    .halt = native_halt,
    .read_cr0 = native_read_cr0,
    .write_cr0 = native_write_cr0,
    .read_cr4 = native_read_cr4,
    .write_cr4 = native_write_cr4,
    .read_cr2 = native_read_cr2,
    .load_cr3 = native_load_cr3,
    .invlpg = native_invlpg,
    .set_pte = native_set_pte,
    .inb = native_inb,
    .outb = native_outb,
    .cpuid = native_cpuid,
};

#include "fixture.h"

#include <string.h>

int fx_init(struct fixture *fx)
{
    memset(fx, 0, sizeof(*fx));
    int err = physmem_init(&fx->mem, FX_RAM);
    if (err)
        return err;
    bus_init(&fx->bus);
    err = cpu_init(&fx->cpu, &fx->mem, &fx->bus);
    if (err) {
        physmem_destroy(&fx->mem);
        return err;
    }
    fx->cpu.r[R_ESP] = FX_STACK;
    return 0;
}

void fx_fini(struct fixture *fx)
{
    cpu_destroy(&fx->cpu);
    physmem_destroy(&fx->mem);
}

enum cpu_exit fx_run_code(struct fixture *fx, const void *code, size_t len)
{
    fx_write(fx, FX_CODE, code, len);
    struct cpu *cpu = &fx->cpu;
    cpu->eip = FX_CODE;
    enum cpu_exit why = CPU_EXIT_BUDGET;
    for (unsigned n = 0; n < 100000; n++) {
        if (cpu->eip < FX_CODE || cpu->eip >= FX_CODE + len)
            break;
        why = cpu_step(cpu);
        if (why != CPU_EXIT_BUDGET)
            break;
    }
    return why;
}

uint32_t fx_read32(struct fixture *fx, gpa_t gpa)
{
    uint32_t v = 0;
    physmem_read(&fx->mem, gpa, &v, 4);
    return v;
}

void fx_write32(struct fixture *fx, gpa_t gpa, uint32_t v)
{
    physmem_write(&fx->mem, gpa, &v, 4);
}

void fx_write(struct fixture *fx, gpa_t gpa, const void *buf, size_t len)
{
    physmem_write(&fx->mem, gpa, buf, len);
}

uint64_t fx_desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
    uint64_t d = (limit & 0xffffu) | ((uint64_t)(base & 0xffffffu) << 16);
    d |= (uint64_t)access << 40;
    d |= (uint64_t)((limit >> 16) & 0xf) << 48;
    d |= (uint64_t)(flags & 0xf) << 52;
    d |= (uint64_t)(base >> 24) << 56;
    return d;
}

void fx_set_gdt(struct fixture *fx, gpa_t gdt_base, const uint64_t *entries, unsigned n)
{
    fx_write(fx, gdt_base, entries, n * sizeof(uint64_t));
    fx->cpu.gdtr.base = (uint32_t)gdt_base;
    fx->cpu.gdtr.limit = (uint16_t)(n * 8 - 1);
}

uint64_t fx_gate(uint16_t sel, uint32_t offset, uint8_t access, uint8_t params)
{
    uint64_t d = (offset & 0xffffu) | ((uint64_t)sel << 16);
    d |= (uint64_t)(params & 0x1f) << 32;
    d |= (uint64_t)access << 40;
    d |= (uint64_t)(offset >> 16) << 48;
    return d;
}

static uint64_t fx_clock_now(void *ctx)
{
    return ((struct fx_clock *)ctx)->ns;
}

struct vclock fx_vclock(struct fx_clock *c)
{
    return (struct vclock){ fx_clock_now, c };
}

static void fx_irq_set(void *ctx, unsigned line, bool level)
{
    struct fx_irq *r = ctx;
    (void)line;
    if (level && !r->level)
        r->rises++;
    if (!level && r->level)
        r->falls++;
    r->level = level;
}

struct irq_line fx_irq_line(struct fx_irq *r)
{
    return (struct irq_line){ fx_irq_set, r, 0 };
}

static void fx_count_kick(void *ctx)
{
    (*(unsigned *)ctx)++;
}

struct dev_kick fx_kick(unsigned *count)
{
    return (struct dev_kick){ fx_count_kick, count };
}

/* The machine and its run loop for the `emu` engine (see vlab/vm.h).
 *
 * The loop runs the CPU in slices that end at the next device deadline,
 * then brings the timed devices up to the present and lets an interrupt in
 * when one waits and the CPU accepts it (EFLAGS.IF set, no STI/MOV SS
 * shadow). Devices change interrupt lines in the middle of a slice too (a
 * port write that unmasks a line, an EOI that uncovers another request):
 * they call kick(), which ends the slice after the current instruction.
 *
 *   +--> sync_devices: advance PIT, RTC, APIC timer if a deadline passed
 *   |    take_interrupt: INTA (local APIC first, then the 8259 via LINT0)
 *   |    halted? let time jump to the next deadline, or stop
 *   |    cpu_run(slice): up to the next deadline; while an interrupt waits,
 *   |                    until IF is set, or one instruction in the shadow
 *   +--- CPU exit: budget, kick or isa-debug-exit, HLT, exception
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vlab/loader.h"
#include "vlab/vm.h"

static void console_out(void *ctx, uint8_t byte)
{
    struct vm *vm = ctx;
    if (vm->console) {
        fputc(byte, vm->console);
        if (byte == '\n')
            fflush(vm->console);
    }
}

/* ---- Virtual time and the wiring -------------------------------------------- */

uint64_t vm_now_ns(const struct vm *vm)
{
    return vm->cpu.icount * VLAB_NS_PER_INSN + vm->idle_ns;
}

static uint64_t clock_now(void *ctx)
{
    return vm_now_ns(ctx);
}

/* A device moved a deadline or its controller raised INT: look again before
 * the next instruction. */
static void kick(void *ctx)
{
    struct vm *vm = ctx;
    vm->dirty = true;
    if (vm->in_cpu)
        cpu_stop(&vm->cpu);
}

/* vlab has no firmware. Leave the interrupt hardware as a PC BIOS leaves it
 * for the kernel it boots: the PICs initialized on vectors 0x08-0x0f and
 * 0x70-0x77, every line masked but the cascade, and the PIT's channel 0 at
 * 18.2 Hz (mode 2, count 65536). At a Multiboot entry IF is clear, so no
 * interrupt reaches a kernel that did not ask for it. */
static void firmware_setup(struct vm *vm)
{
    static const struct { uint16_t port; uint8_t value; } writes[] = {
        { 0x20, 0x11 }, { 0x21, 0x08 }, { 0x21, 0x04 }, { 0x21, 0x01 }, /* master: ICW1-ICW4 */
        { 0xa0, 0x11 }, { 0xa1, 0x70 }, { 0xa1, 0x02 }, { 0xa1, 0x01 }, /* slave: ICW1-ICW4 */
        { 0x21, 0xfb }, { 0xa1, 0xff },                                  /* OCW1: masks */
        { 0x43, 0x34 }, { 0x40, 0x00 }, { 0x40, 0x00 },                  /* PIT channel 0 */
    };
    for (unsigned k = 0; k < VLAB_ARRAY_SIZE(writes); k++)
        bus_pio_write(&vm->bus, writes[k].port, 1, writes[k].value);
}

/* Claim the devices' ports and addresses and wire their interrupt lines. */
static int add_devices(struct vm *vm)
{
    struct vclock clock = { clock_now, vm };
    struct dev_kick k = { kick, vm };
    int err = pic_register(&vm->pic, &vm->bus, k);
    if (!err)
        err = pit_register(&vm->pit, &vm->bus, clock, (struct irq_line){ pic_set_irq, &vm->pic, 0 }, k);
    if (!err)
        err = cmos_register(&vm->cmos, &vm->bus, clock, (struct irq_line){ pic_set_irq, &vm->pic, CMOS_IRQ }, k);
    if (!err)
        err = lapic_register(&vm->lapic, &vm->bus, &vm->cpu, clock, k);
    vm->cpu.apic_present = !err;
    if (!err)
        err = uart16550_register(&vm->com1, &vm->bus, UART_COM1, console_out, vm, NULL, 0,
                                 (struct irq_line){ pic_set_irq, &vm->pic, UART_COM1_IRQ });
    if (!err)
        err = debug_exit_register(&vm->exit_port, &vm->bus, &vm->cpu);
    return err;
}

int vm_init(struct vm *vm, uint64_t ram, FILE *console)
{
    memset(vm, 0, sizeof(*vm));
    vm->console = console;
    vm->dirty = true;
    int err = physmem_init(&vm->mem, ram);
    if (err)
        return err;
    bus_init(&vm->bus);
    err = cpu_init(&vm->cpu, &vm->mem, &vm->bus);
    if (err)
        goto fail_mem;
    trace_init(&vm->trace);
    vm->cpu.trace = &vm->trace;
    err = add_devices(vm);
    if (err)
        goto fail_cpu;
    firmware_setup(vm);
    return 0;

fail_cpu:
    cpu_destroy(&vm->cpu);
fail_mem:
    physmem_destroy(&vm->mem);
    return err;
}

void vm_destroy(struct vm *vm)
{
    cpu_destroy(&vm->cpu);
    physmem_destroy(&vm->mem);
    free(vm->input);
    vm->input = NULL;
}

/* Read a whole file; *len gets its size. Returns NULL and sets errno. */
static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            uint8_t *nb = realloc(buf, ncap);
            if (!nb) {
                free(buf);
                fclose(f);
                errno = ENOMEM;
                return NULL;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        free(buf);
        errno = EIO;
        return NULL;
    }
    *len = n;
    return buf;
}

/* Read each module's file: the path is its string up to the first space. */
static int read_modules(const char *const *specs, unsigned n, struct loader_module *mods, char *err,
                        size_t errlen)
{
    for (unsigned k = 0; k < n; k++) {
        char path[4096];
        size_t plen = strcspn(specs[k], " ");
        if (plen == 0 || plen >= sizeof(path)) {
            snprintf(err, errlen, "module '%s': no file name", specs[k]);
            return -EINVAL;
        }
        memcpy(path, specs[k], plen);
        path[plen] = 0;
        uint8_t *data = read_file(path, &mods[k].len);
        if (!data) {
            int e = errno;
            snprintf(err, errlen, "%s: cannot read the module: %s", path, strerror(e));
            return -e;
        }
        mods[k].data = data;
        mods[k].cmdline = specs[k];
    }
    return 0;
}

int vm_load_file(struct vm *vm, const char *path, const char *cmdline, const char *const *modules,
                 unsigned nmodules, char *err, size_t errlen)
{
    struct loader_module mods[VM_MAX_MODULES] = { 0 };
    if (nmodules > VM_MAX_MODULES) {
        snprintf(err, errlen, "%s: at most %u modules can be passed", path, VM_MAX_MODULES);
        return -EINVAL;
    }
    size_t len = 0;
    uint8_t *image = read_file(path, &len);
    if (!image) {
        int e = errno;
        snprintf(err, errlen, "%s: cannot read the image: %s", path, strerror(e));
        return -e;
    }
    int rc = read_modules(modules, nmodules, mods, err, errlen);
    if (rc == 0) {
        char why[256];
        struct loader_args args = { .image = image, .image_len = len, .cmdline = cmdline ? cmdline : path,
                                    .modules = mods, .nmodules = nmodules };
        vm->cpu.trace = NULL; /* loading is the host's doing, not an event of the run */
        rc = loader_multiboot(&vm->mem, &vm->cpu, &args, why, sizeof(why));
        vm->cpu.trace = &vm->trace;
        if (rc)
            snprintf(err, errlen, "%s: %s", path, why);
    }
    for (unsigned k = 0; k < nmodules; k++)
        free((void *)(uintptr_t)mods[k].data);
    free(image);
    return rc;
}

int vm_load_input(struct vm *vm, const char *path, char *err, size_t errlen)
{
    size_t len = 0;
    uint8_t *input = read_file(path, &len);
    if (!input) {
        int e = errno;
        snprintf(err, errlen, "%s: cannot read the input: %s", path, strerror(e));
        return -e;
    }
    free(vm->input);
    vm->input = input;
    uart16550_set_input(&vm->com1, input, len);
    return 0;
}

void vm_set_input(struct vm *vm, const uint8_t *input, size_t len)
{
    uart16550_set_input(&vm->com1, input, len);
}

/* ---- The run loop ------------------------------------------------------------ */

static uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

/* When a deadline has passed or a device kicked, bring the timed devices up
 * to now (their interrupt lines change here) and note the next deadlines. */
static void sync_devices(struct vm *vm)
{
    uint64_t now = vm_now_ns(vm);
    if (!vm->dirty && now < vm->next_deadline)
        return;
    vm->deadline[VM_TIMER_PIT] = pit_advance(&vm->pit, now);
    vm->deadline[VM_TIMER_CMOS] = cmos_advance(&vm->cmos, now);
    vm->deadline[VM_TIMER_LAPIC] = lapic_advance(&vm->lapic, now);
    vm->next_deadline = VTIME_NEVER;
    for (unsigned k = 0; k < VM_TIMERS; k++)
        vm->next_deadline = min_u64(vm->next_deadline, vm->deadline[k]);
    vm->dirty = false;
}

/* Is an interrupt waiting that the CPU would take if it accepted interrupts? */
static bool irq_waiting(const struct vm *vm)
{
    return lapic_pending(&vm->lapic) || (lapic_lint0_open(&vm->lapic) && pic_output(&vm->pic));
}

/* The interrupt-acknowledge cycle: the local APIC's own interrupt first,
 * else the 8259's through LINT0. Returns the vector, or -1. */
static int acknowledge(struct vm *vm)
{
    int vector = lapic_ack(&vm->lapic);
    if (vector >= 0)
        return vector;
    if (lapic_lint0_open(&vm->lapic) && pic_output(&vm->pic))
        return pic_inta(&vm->pic);
    return -1;
}

static bool accepts_interrupts(const struct cpu *cpu)
{
    return (cpu->eflags & EFLAGS_IF) && !cpu->intr_shadow;
}

/* Deliver a waiting interrupt if the CPU accepts one now; it ends a HLT.
 * Returns -1 on a triple fault, else 0. */
static int take_interrupt(struct vm *vm)
{
    if (!accepts_interrupts(&vm->cpu))
        return 0;
    int vector = acknowledge(vm);
    if (vector < 0)
        return 0;
    vm->halted = false;
    return cpu_deliver_interrupt(&vm->cpu, (uint8_t)vector);
}

/* Could a device, as programmed now, interrupt a halted CPU later on? A
 * timer counts only if its interrupt can get through every mask and every
 * priority in service on its way. */
static bool wake_possible(const struct vm *vm)
{
    bool lint0 = lapic_lint0_open(&vm->lapic);
    if (vm->deadline[VM_TIMER_LAPIC] != VTIME_NEVER && lapic_timer_can_interrupt(&vm->lapic))
        return true;
    if (vm->deadline[VM_TIMER_PIT] != VTIME_NEVER && lint0 && pic_line_can_interrupt(&vm->pic, 0))
        return true;
    return vm->deadline[VM_TIMER_CMOS] != VTIME_NEVER && lint0 && pic_line_can_interrupt(&vm->pic, CMOS_IRQ);
}

/* The CPU waits in HLT and nothing is there to take: let virtual time jump
 * to the next deadline, in whole instruction times so that the TSC keeps
 * step. Returns false when nothing can ever wake the CPU (IF clear, no
 * timer that could interrupt). */
static bool idle(struct vm *vm)
{
    struct cpu *cpu = &vm->cpu;
    if (!(cpu->eflags & EFLAGS_IF) || vm->next_deadline == VTIME_NEVER || !wake_possible(vm))
        return false;
    uint64_t now = vm_now_ns(vm);
    uint64_t ns = vm->next_deadline > now ? vm->next_deadline - now : 1;
    uint64_t insns = (ns + VLAB_NS_PER_INSN - 1) / VLAB_NS_PER_INSN;
    vm->idle_ns += insns * VLAB_NS_PER_INSN;
    cpu->tsc_offset += insns;
    return true;
}

/* How many instructions to run before looking again: up to the next
 * deadline. While an interrupt waits, it must be taken at the first
 * instruction boundary that allows it (after the instruction following
 * STI, right after POPF or IRET): while IF is clear, the CPU stops right
 * after an instruction that sets it (cpu->stop_on_if); in the interrupt
 * shadow, or when IF is set and the interrupt still cannot come in, one
 * instruction at a time. */
static uint64_t slice(struct vm *vm, uint64_t end)
{
    vm->cpu.stop_on_if = 0;
    if (irq_waiting(vm)) {
        if ((vm->cpu.eflags & EFLAGS_IF) || vm->cpu.intr_shadow)
            return 1;
        vm->cpu.stop_on_if = EFLAGS_IF;
    }
    uint64_t n = end - vm->cpu.icount;
    if (vm->next_deadline == VTIME_NEVER)
        return n;
    uint64_t now = vm_now_ns(vm);
    uint64_t until = vm->next_deadline > now ? vm->next_deadline - now : 1;
    return min_u64(n, (until + VLAB_NS_PER_INSN - 1) / VLAB_NS_PER_INSN);
}

/* Act on why cpu_run() returned. Returns true with *stop set when the run
 * is over. */
static bool cpu_exited(struct vm *vm, enum cpu_exit why, enum vm_stop *stop)
{
    struct cpu *cpu = &vm->cpu;
    switch (why) {
    case CPU_EXIT_BUDGET:
        return false;
    case CPU_EXIT_STOP: /* isa-debug-exit, or a device's kick */
        if (!vm->exit_port.written)
            return false;
        vm->exit_status = vm->exit_port.status;
        *stop = VM_STOP_EXIT;
        return true;
    case CPU_EXIT_HLT:
        vm->halted = true;
        return false;
    case CPU_EXIT_EXCEPTION:
        if (cpu_deliver_exception(cpu) < 0) {
            *stop = VM_STOP_TRIPLE_FAULT;
            return true;
        }
        return false;
    }
    return false;
}

enum vm_stop vm_run(struct vm *vm, uint64_t max_insns)
{
    struct cpu *cpu = &vm->cpu;
    uint64_t end = cpu->icount + max_insns;
    enum vm_stop stop;
    for (;;) {
        sync_devices(vm);
        if (take_interrupt(vm) < 0)
            return VM_STOP_TRIPLE_FAULT;
        if (vm->halted) {
            if (!idle(vm))
                return VM_STOP_HALTED;
            continue;
        }
        if (cpu->icount >= end)
            return VM_STOP_BUDGET;
        vm->in_cpu = true;
        enum cpu_exit why = cpu_run(cpu, slice(vm, end));
        vm->in_cpu = false;
        cpu->stop_on_if = 0;
        if (cpu_exited(vm, why, &stop))
            return stop;
    }
}

uint64_t vm_interrupt_count(const struct vm *vm)
{
    return trace_stats_interrupts(&vm->trace.stats);
}

const char *vm_stop_name(enum vm_stop why)
{
    static const char *const names[] = {
        [VM_STOP_EXIT] = "the guest exited through isa-debug-exit",
        [VM_STOP_BUDGET] = "the instruction budget ran out",
        [VM_STOP_HALTED] = "the CPU halted with nothing to wake it",
        [VM_STOP_TRIPLE_FAULT] = "triple fault (an exception while delivering a double fault)",
    };
    return why < VLAB_ARRAY_SIZE(names) ? names[why] : "unknown";
}

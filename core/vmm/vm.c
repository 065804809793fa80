/* The machine and its run loop for the `emu` engine (see vlab/vm.h). */
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

int vm_init(struct vm *vm, uint64_t ram, FILE *console)
{
    memset(vm, 0, sizeof(*vm));
    vm->console = console;
    int err = physmem_init(&vm->mem, ram);
    if (err)
        return err;
    bus_init(&vm->bus);
    err = cpu_init(&vm->cpu, &vm->mem, &vm->bus);
    if (err)
        goto fail_mem;
    err = uart16550_register(&vm->com1, &vm->bus, UART_COM1, console_out, vm, NULL, 0);
    if (err)
        goto fail_cpu;
    err = debug_exit_register(&vm->exit_port, &vm->bus, &vm->cpu);
    if (err)
        goto fail_cpu;
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

int vm_load_file(struct vm *vm, const char *path, const char *cmdline, char *err, size_t errlen)
{
    size_t len = 0;
    uint8_t *image = read_file(path, &len);
    if (!image) {
        int e = errno;
        snprintf(err, errlen, "%s: cannot read the image: %s", path, strerror(e));
        return -e;
    }
    char why[256];
    struct loader_args args = { .image = image, .image_len = len, .cmdline = cmdline ? cmdline : path };
    int rc = loader_multiboot(&vm->mem, &vm->cpu, &args, why, sizeof(why));
    if (rc)
        snprintf(err, errlen, "%s: %s", path, why);
    free(image);
    return rc;
}

enum vm_stop vm_run(struct vm *vm, uint64_t max_insns)
{
    struct cpu *cpu = &vm->cpu;
    uint64_t end = cpu->icount + max_insns;
    while (cpu->icount < end) {
        enum cpu_exit why = cpu_run(cpu, end - cpu->icount);
        switch (why) {
        case CPU_EXIT_BUDGET:
            break;
        case CPU_EXIT_STOP:
            vm->exit_status = vm->exit_port.status;
            return VM_STOP_EXIT;
        case CPU_EXIT_HLT:
            /* No device of this machine raises interrupts yet, so nothing
             * can wake the CPU, whatever EFLAGS.IF says. */
            return VM_STOP_HALTED;
        case CPU_EXIT_EXCEPTION:
            if (cpu->exc.soft)
                vm->stats.soft_ints++;
            else if (cpu->exc.vector < 32)
                vm->stats.exceptions[cpu->exc.vector]++;
            if (cpu_deliver_exception(cpu) < 0)
                return VM_STOP_TRIPLE_FAULT;
            break;
        }
    }
    return VM_STOP_BUDGET;
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

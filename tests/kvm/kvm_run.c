/* kvm_run: boot a Multiboot image on the real CPU through /dev/kvm, so that
 * its console can be compared with vlab's (tests/kvm.sh). The seed of lab
 * 4's `kvm` engine: the same loader, the same devices, the CPU replaced by
 * hardware virtualization.
 *
 *   vlab's loader ---> struct physmem ---- copy touched pages ----> KVM slot 0
 *                 \--> struct cpu: flat protected mode, EIP, EAX = magic,
 *                      EBX = info ---- KVM_SET_SREGS / KVM_SET_REGS -> vcpu 0
 *
 *   KVM_RUN, then by exit reason:
 *     IO        vlab's bus: the 16550 UART on COM1 (its output is our
 *               stdout), isa-debug-exit on 0xf4 (ends the run with
 *               (value << 1) | 1); unclaimed ports read all ones
 *     MMIO      vlab's bus: unclaimed, all ones
 *     HLT       only without an in-kernel interrupt controller: a halt
 *               nothing can end
 *     SHUTDOWN  a triple fault
 *     FAIL_ENTRY, INTERNAL_ERROR   KVM could not run the guest: say why
 *
 * The 8259 PICs, the 8254 PIT and the local APIC are KVM's own in-kernel
 * models (KVM_CREATE_IRQCHIP, KVM_CREATE_PIT2) when KVM offers them; the
 * local APIC is left as a PC BIOS leaves it, in virtual-wire mode (LINT0
 * delivers the 8259's ExtINT), which is how vlab's machine passes the
 * 8259's interrupts too. Unlike vlab's firmware, nothing programs the PICs
 * or the PIT before the guest starts: every guest run here programs them
 * itself before it enables interrupts. Time is the host's (DESIGN.md:
 * the kvm engine is not deterministic).
 *
 * usage: kvm_run [--mem SIZE] [--cmdline TEXT] [--timeout SECONDS] IMAGE
 * Exit status: the guest's own, as for `vlab run`; 2 bad options or image;
 * 3 the guest stopped without exiting (halt, triple fault, timeout); 4 KVM
 * is missing or could not run the guest (the reason on stderr).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vlab/cpu.h"
#include "vlab/dev.h"
#include "vlab/loader.h"
#include "vlab/mem.h"

#define EXIT_USAGE 2
#define EXIT_GUEST_STUCK 3
#define EXIT_NO_KVM 4
#define TSS_ADDR 0xfffbd000u /* three pages VT-x wants for real-mode emulation, as QEMU places them */
#define CPUID_MAX_ENTRIES 128
#define APIC_SVR 0xf0u
#define APIC_LVT0 0x350u
#define APIC_LVT1 0x360u

struct machine {
    int kvm, vm, vcpu;
    uint8_t *ram;
    uint64_t ram_size;
    struct kvm_run *run;
    size_t run_size;
    bool irqchip;          /* KVM's in-kernel PIC, PIT and local APIC */
    /* vlab's side: the image is loaded here, the ports are served here. */
    struct physmem pm;
    struct cpu cpu;
    struct bus bus;
    struct uart16550 com1;
    struct debug_exit exit_port;
};

/* How a run ends. */
enum outcome { RUN_ON, RUN_GUEST_EXIT, RUN_STUCK, RUN_KVM_FAILED };

static volatile sig_atomic_t timed_out;

static void on_alarm(int sig)
{
    (void)sig;
    timed_out = 1;
}

/* ---- Loading, with vlab's loader ----------------------------------------------- */

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0, got;
    do {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            uint8_t *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                errno = ENOMEM;
                return NULL;
            }
            buf = nb;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
    } while (got > 0);
    bool failed = ferror(f);
    fclose(f);
    if (failed) {
        free(buf);
        errno = EIO;
        return NULL;
    }
    *len = n;
    return buf;
}

static void console_out(void *ctx, uint8_t byte)
{
    (void)ctx;
    putchar(byte);
    if (byte == '\n')
        fflush(stdout);
}

/* Load `path` into m->pm and m->cpu as `vlab run` would, and wire the ports
 * KVM leaves to us. Returns 0, or -errno with a sentence on stderr. */
static int load(struct machine *m, const char *path, const char *cmdline)
{
    size_t len = 0;
    uint8_t *image = read_file(path, &len);
    if (!image) {
        int e = errno;
        fprintf(stderr, "kvm_run: %s: cannot read the image: %s\n", path, strerror(e));
        return -e;
    }
    char why[256] = "";
    struct loader_args args = { .image = image, .image_len = len, .cmdline = cmdline ? cmdline : path };
    int err = physmem_init(&m->pm, m->ram_size);
    bus_init(&m->bus);
    if (!err)
        err = cpu_init(&m->cpu, &m->pm, &m->bus);
    if (!err)
        err = loader_multiboot(&m->pm, &m->cpu, &args, why, sizeof(why));
    if (!err)
        err = uart16550_register(&m->com1, &m->bus, UART_COM1, console_out, m, NULL, 0,
                                 (struct irq_line){ NULL, NULL, 0 });
    if (!err)
        err = debug_exit_register(&m->exit_port, &m->bus, &m->cpu);
    if (err)
        fprintf(stderr, "kvm_run: %s: %s\n", path, why[0] ? why : strerror(-err));
    free(image);
    return err;
}

/* Copy every page the loader touched into KVM's memory. */
static void copy_ram(struct machine *m)
{
    for (size_t c = 0; c < m->pm.nchunks; c++) {
        if (!m->pm.chunks[c])
            continue;
        for (unsigned p = 0; p < PM_CHUNK_PAGES; p++) {
            const struct pm_page *pg = &m->pm.chunks[c][p];
            if (pg->host)
                memcpy(m->ram + (((uint64_t)c * PM_CHUNK_PAGES + p) << VLAB_PAGE_SHIFT), pg->host, VLAB_PAGE_SIZE);
        }
    }
}

/* ---- The VM and its vcpu ----------------------------------------------------------- */

/* One ioctl; on failure a sentence naming it, and -errno. */
static int kvm_call(int fd, unsigned long req, void *arg, const char *what)
{
    if (ioctl(fd, req, arg) >= 0)
        return 0;
    int e = errno;
    fprintf(stderr, "kvm_run: %s failed: %s\n", what, strerror(e));
    return -e;
}

static int open_kvm(struct machine *m)
{
    m->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (m->kvm < 0) {
        int e = errno;
        fprintf(stderr, "kvm_run: cannot open /dev/kvm: %s\n", strerror(e));
        return -e;
    }
    int version = ioctl(m->kvm, KVM_GET_API_VERSION, 0);
    if (version != KVM_API_VERSION) {
        fprintf(stderr, "kvm_run: /dev/kvm speaks API version %d, not %d\n", version, KVM_API_VERSION);
        return -ENOTSUP;
    }
    return 0;
}

/* The VM: RAM at guest-physical 0 and, if KVM has them, the in-kernel
 * interrupt controllers and timer. */
static int create_vm(struct machine *m)
{
    m->vm = ioctl(m->kvm, KVM_CREATE_VM, 0);
    if (m->vm < 0) {
        int e = errno;
        fprintf(stderr, "kvm_run: KVM_CREATE_VM failed: %s\n", strerror(e));
        return -e;
    }
    m->ram = mmap(NULL, m->ram_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m->ram == MAP_FAILED) {
        m->ram = NULL;
        fprintf(stderr, "kvm_run: cannot map %" PRIu64 " MiB for guest RAM\n", m->ram_size >> 20);
        return -ENOMEM;
    }
    copy_ram(m);
    struct kvm_userspace_memory_region slot = {
        .slot = 0, .guest_phys_addr = 0, .memory_size = m->ram_size, .userspace_addr = (uintptr_t)m->ram,
    };
    int err = kvm_call(m->vm, KVM_SET_USER_MEMORY_REGION, &slot, "KVM_SET_USER_MEMORY_REGION");
    if (!err)
        err = kvm_call(m->vm, KVM_SET_TSS_ADDR, (void *)(uintptr_t)TSS_ADDR, "KVM_SET_TSS_ADDR");
    if (err)
        return err;
    m->irqchip = ioctl(m->kvm, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP) > 0 &&
                 ioctl(m->kvm, KVM_CHECK_EXTENSION, KVM_CAP_PIT2) > 0;
    if (!m->irqchip) {
        fprintf(stderr, "kvm_run: no in-kernel PIC and PIT here: a guest that needs the timer will not run\n");
        return 0;
    }
    struct kvm_pit_config pit = { .flags = 0 };
    err = kvm_call(m->vm, KVM_CREATE_IRQCHIP, NULL, "KVM_CREATE_IRQCHIP");
    return err ? err : kvm_call(m->vm, KVM_CREATE_PIT2, &pit, "KVM_CREATE_PIT2");
}

/* CPUID: what KVM supports on this CPU (the guests ask for PSE and PGE). */
static int set_cpuid(struct machine *m)
{
    struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + CPUID_MAX_ENTRIES * sizeof(c->entries[0]));
    if (!c)
        return -ENOMEM;
    c->nent = CPUID_MAX_ENTRIES;
    int err = kvm_call(m->kvm, KVM_GET_SUPPORTED_CPUID, c, "KVM_GET_SUPPORTED_CPUID");
    if (!err)
        err = kvm_call(m->vcpu, KVM_SET_CPUID2, c, "KVM_SET_CPUID2");
    free(c);
    return err;
}

/* vlab keeps a segment's attributes in the VMCS access-rights layout (see
 * struct seg in vlab/cpu.h); KVM wants them field by field. */
static struct kvm_segment kvm_seg(const struct seg *s)
{
    return (struct kvm_segment){
        .base = s->base,
        .limit = s->limit,
        .selector = s->sel,
        .type = s->ar & SEG_AR_TYPE,
        .present = (s->ar & SEG_AR_P) != 0,
        .dpl = (s->ar & SEG_AR_DPL) >> SEG_AR_DPL_SHIFT,
        .db = (s->ar & SEG_AR_DB) != 0,
        .s = (s->ar & SEG_AR_S) != 0,
        .g = (s->ar & SEG_AR_G) != 0,
        .avl = (s->ar & SEG_AR_AVL) != 0,
        .unusable = (s->ar & SEG_AR_UNUSABLE) != 0,
    };
}

/* The vcpu in the state the loader left vlab's CPU in: flat 32-bit
 * protected mode at CPL 0, paging off (Multiboot, 3.2). */
static int set_cpu_state(struct machine *m)
{
    const struct cpu *cpu = &m->cpu;
    struct kvm_sregs sregs;
    int err = kvm_call(m->vcpu, KVM_GET_SREGS, &sregs, "KVM_GET_SREGS");
    if (err)
        return err;
    struct kvm_segment *segs[6] = { &sregs.es, &sregs.cs, &sregs.ss, &sregs.ds, &sregs.fs, &sregs.gs };
    for (unsigned s = 0; s < 6; s++)
        *segs[s] = kvm_seg(&cpu->seg[s]);
    sregs.tr = kvm_seg(&cpu->tr);
    sregs.ldt = kvm_seg(&cpu->ldtr);
    sregs.gdt = (struct kvm_dtable){ .base = cpu->gdtr.base, .limit = cpu->gdtr.limit };
    sregs.idt = (struct kvm_dtable){ .base = cpu->idtr.base, .limit = cpu->idtr.limit };
    sregs.cr0 = cpu->cr0;
    sregs.cr3 = cpu->cr3;
    sregs.cr4 = cpu->cr4;
    sregs.efer = 0;
    err = kvm_call(m->vcpu, KVM_SET_SREGS, &sregs, "KVM_SET_SREGS");
    if (err)
        return err;
    struct kvm_regs regs = {
        .rax = cpu->r[R_EAX], .rcx = cpu->r[R_ECX], .rdx = cpu->r[R_EDX], .rbx = cpu->r[R_EBX],
        .rsp = cpu->r[R_ESP], .rbp = cpu->r[R_EBP], .rsi = cpu->r[R_ESI], .rdi = cpu->r[R_EDI],
        .rip = cpu->eip, .rflags = cpu->eflags,
    };
    return kvm_call(m->vcpu, KVM_SET_REGS, &regs, "KVM_SET_REGS");
}

static void lapic_set(struct kvm_lapic_state *l, unsigned reg, uint32_t v)
{
    memcpy(&l->regs[reg], &v, 4);
}

/* The local APIC as a BIOS leaves it: enabled, LINT0 passing the 8259's
 * interrupts (ExtINT), LINT1 the NMI. */
static int set_virtual_wire(struct machine *m)
{
    struct kvm_lapic_state l;
    int err = kvm_call(m->vcpu, KVM_GET_LAPIC, &l, "KVM_GET_LAPIC");
    if (err)
        return err;
    lapic_set(&l, APIC_SVR, 0x1ff);
    lapic_set(&l, APIC_LVT0, 0x700);
    lapic_set(&l, APIC_LVT1, 0x400);
    return kvm_call(m->vcpu, KVM_SET_LAPIC, &l, "KVM_SET_LAPIC");
}

static int create_vcpu(struct machine *m)
{
    m->vcpu = ioctl(m->vm, KVM_CREATE_VCPU, 0);
    if (m->vcpu < 0) {
        int e = errno;
        fprintf(stderr, "kvm_run: KVM_CREATE_VCPU failed: %s\n", strerror(e));
        return -e;
    }
    int size = ioctl(m->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (size < (int)sizeof(struct kvm_run)) {
        fprintf(stderr, "kvm_run: KVM_GET_VCPU_MMAP_SIZE gave %d\n", size);
        return -EINVAL;
    }
    m->run_size = (size_t)size;
    m->run = mmap(NULL, m->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, m->vcpu, 0);
    if (m->run == MAP_FAILED) {
        m->run = NULL;
        fprintf(stderr, "kvm_run: cannot map the vcpu's kvm_run area\n");
        return -ENOMEM;
    }
    int err = set_cpuid(m);
    if (!err)
        err = set_cpu_state(m);
    if (!err && m->irqchip)
        err = set_virtual_wire(m);
    return err;
}

/* ---- Exits --------------------------------------------------------------------------- */

static enum outcome exit_io(struct machine *m)
{
    struct kvm_run *r = m->run;
    uint8_t *data = (uint8_t *)r + r->io.data_offset;
    for (uint32_t k = 0; k < r->io.count; k++, data += r->io.size) {
        uint32_t v = 0;
        if (r->io.direction == KVM_EXIT_IO_OUT) {
            memcpy(&v, data, r->io.size);
            bus_pio_write(&m->bus, r->io.port, r->io.size, v);
        } else {
            v = bus_pio_read(&m->bus, r->io.port, r->io.size);
            memcpy(data, &v, r->io.size);
        }
    }
    return m->exit_port.written ? RUN_GUEST_EXIT : RUN_ON;
}

/* MMIO outside RAM and the in-kernel devices: vlab's bus (all ones). */
static enum outcome exit_mmio(struct machine *m)
{
    struct kvm_run *r = m->run;
    for (unsigned at = 0; at < r->mmio.len; at += 4) {
        unsigned size = r->mmio.len - at < 4 ? r->mmio.len - at : 4;
        uint32_t v = 0;
        if (r->mmio.is_write) {
            memcpy(&v, r->mmio.data + at, size);
            bus_mmio_write(&m->bus, r->mmio.phys_addr + at, size, v);
        } else {
            v = bus_mmio_read(&m->bus, r->mmio.phys_addr + at, size);
            memcpy(r->mmio.data + at, &v, size);
        }
    }
    return RUN_ON;
}

static enum outcome exit_hlt(struct machine *m)
{
    (void)m;
    fprintf(stderr, "kvm_run: the CPU halted, and without an interrupt controller nothing can wake it\n");
    return RUN_STUCK;
}

static enum outcome exit_shutdown(struct machine *m)
{
    (void)m;
    fprintf(stderr, "kvm_run: shutdown (a triple fault)\n");
    return RUN_STUCK;
}

static enum outcome exit_fail_entry(struct machine *m)
{
    fprintf(stderr, "kvm_run: KVM could not enter the guest (hardware entry failure reason 0x%llx)\n",
            (unsigned long long)m->run->fail_entry.hardware_entry_failure_reason);
    return RUN_KVM_FAILED;
}

static enum outcome exit_internal_error(struct machine *m)
{
    static const char *const suberrors[] = {
        [KVM_INTERNAL_ERROR_EMULATION] = "an instruction KVM had to emulate and could not",
        [KVM_INTERNAL_ERROR_SIMUL_EX] = "an exception while delivering another",
        [KVM_INTERNAL_ERROR_DELIVERY_EV] = "an event it could not deliver",
        [KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON] = "an exit it did not expect",
    };
    uint32_t sub = m->run->internal.suberror;
    const char *what = sub < VLAB_ARRAY_SIZE(suberrors) && suberrors[sub] ? suberrors[sub] : "an unknown problem";
    fprintf(stderr, "kvm_run: KVM internal error %u: %s", sub, what);
    for (uint32_t k = 0; k < m->run->internal.ndata && k < 4; k++)
        fprintf(stderr, "%s0x%llx", k ? " " : " (data ", (unsigned long long)m->run->internal.data[k]);
    fprintf(stderr, "%s\n", m->run->internal.ndata ? ")" : "");
    return RUN_KVM_FAILED;
}

/* A signal ended KVM_RUN: the timeout, or nothing to act on. */
static enum outcome exit_intr(struct machine *m)
{
    (void)m;
    if (!timed_out)
        return RUN_ON;
    fprintf(stderr, "kvm_run: the guest did not exit in time\n");
    return RUN_STUCK;
}

typedef enum outcome exit_fn(struct machine *m);

static exit_fn *const exit_handlers[] = {
    [KVM_EXIT_IO] = exit_io,
    [KVM_EXIT_MMIO] = exit_mmio,
    [KVM_EXIT_HLT] = exit_hlt,
    [KVM_EXIT_SHUTDOWN] = exit_shutdown,
    [KVM_EXIT_FAIL_ENTRY] = exit_fail_entry,
    [KVM_EXIT_INTERNAL_ERROR] = exit_internal_error,
    [KVM_EXIT_INTR] = exit_intr,
};

/* Where the guest was, for a run that ended badly. */
static void print_where(struct machine *m)
{
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    if (ioctl(m->vcpu, KVM_GET_REGS, &regs) < 0 || ioctl(m->vcpu, KVM_GET_SREGS, &sregs) < 0)
        return;
    fprintf(stderr, "kvm_run: at cs:eip %04x:%08llx, cr0 %08llx, eflags %08llx, esp %08llx\n", sregs.cs.selector,
            (unsigned long long)regs.rip, (unsigned long long)sregs.cr0, (unsigned long long)regs.rflags,
            (unsigned long long)regs.rsp);
}

static enum outcome run_loop(struct machine *m)
{
    for (;;) {
        if (ioctl(m->vcpu, KVM_RUN, 0) < 0 && errno != EINTR) {
            fprintf(stderr, "kvm_run: KVM_RUN failed: %s\n", strerror(errno));
            return RUN_KVM_FAILED;
        }
        unsigned reason = m->run->exit_reason;
        if (timed_out)
            reason = KVM_EXIT_INTR;
        if (reason >= VLAB_ARRAY_SIZE(exit_handlers) || !exit_handlers[reason]) {
            fprintf(stderr, "kvm_run: unexpected exit reason %u\n", reason);
            return RUN_KVM_FAILED;
        }
        enum outcome o = exit_handlers[reason](m);
        if (o != RUN_ON)
            return o;
    }
}

/* ---- The program ------------------------------------------------------------------- */

static void machine_destroy(struct machine *m)
{
    if (m->run)
        munmap(m->run, m->run_size);
    if (m->ram)
        munmap(m->ram, m->ram_size);
    if (m->vcpu >= 0)
        close(m->vcpu);
    if (m->vm >= 0)
        close(m->vm);
    if (m->kvm >= 0)
        close(m->kvm);
    cpu_destroy(&m->cpu);
    physmem_destroy(&m->pm);
}

static const char usage[] =
    "usage: kvm_run [--mem SIZE_MIB] [--cmdline TEXT] [--timeout SECONDS] IMAGE\n"
    "  Boot the Multiboot ELF kernel IMAGE on this CPU through /dev/kvm. The guest's\n"
    "  COM1 output goes to standard output. Default: 32 MiB, 60 s.\n"
    "  Exit status: the guest's (isa-debug-exit: (value << 1) | 1); 2 bad options or\n"
    "  image; 3 the guest did not exit (halt, triple fault, timeout); 4 KVM is missing\n"
    "  or could not run the guest.\n";

static bool parse_args(int argc, char **argv, struct machine *m, const char **cmdline, unsigned *timeout)
{
    static const struct option opts[] = {
        { "mem", required_argument, NULL, 'm' }, { "cmdline", required_argument, NULL, 'c' },
        { "timeout", required_argument, NULL, 't' }, { 0, 0, 0, 0 },
    };
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        char *end;
        unsigned long v;
        switch (c) {
        case 'm':
            v = strtoul(optarg, &end, 10);
            if (*end || v < 2 || v > 3072)
                return false;
            m->ram_size = (uint64_t)v << 20;
            break;
        case 'c': *cmdline = optarg; break;
        case 't':
            v = strtoul(optarg, &end, 10);
            if (*end || v == 0 || v > 3600)
                return false;
            *timeout = (unsigned)v;
            break;
        default: return false;
        }
    }
    return optind == argc - 1;
}

int main(int argc, char **argv)
{
    struct machine m = { .kvm = -1, .vm = -1, .vcpu = -1, .ram_size = 32u << 20 };
    const char *cmdline = NULL;
    unsigned timeout = 60;
    if (!parse_args(argc, argv, &m, &cmdline, &timeout)) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    if (load(&m, argv[optind], cmdline) != 0) {
        machine_destroy(&m);
        return EXIT_USAGE;
    }
    if (open_kvm(&m) || create_vm(&m) || create_vcpu(&m)) {
        machine_destroy(&m);
        return EXIT_NO_KVM;
    }
    struct sigaction sa = { .sa_handler = on_alarm };
    sigaction(SIGALRM, &sa, NULL);
    alarm(timeout);
    enum outcome o = run_loop(&m);
    alarm(0);
    fflush(stdout);
    int status = EXIT_GUEST_STUCK;
    if (o == RUN_GUEST_EXIT) {
        status = m.exit_port.status & 0xff; /* as `vlab run` passes it on */
        fprintf(stderr, "kvm_run: the guest exited through isa-debug-exit (status %d)\n", m.exit_port.status);
    } else {
        print_where(&m);
        if (o == RUN_KVM_FAILED)
            status = EXIT_NO_KVM;
    }
    machine_destroy(&m);
    return status;
}

/* The machine's run loop with interrupts and virtual time: small guests in
 * machine code (each listed next to its bytes) run on a whole struct vm
 * with its PIC, PIT, local APIC and UART (core/vmm/vm.c).
 *
 * Memory of every guest here:
 *
 *   0x000800  GDT: null, flat code 0x08, flat data 0x10
 *   0x001000  IDT: 256 gates, all absent but the one a test installs
 *   0x005000  the guest's variables (tick counter, recorded registers)
 *   0x090000  initial ESP
 *   0x100000  main code (1 MiB)
 *   0x100400  interrupt handler
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "vlab/vm.h"

#define GDT 0x800u
#define IDT 0x1000u
#define VARS 0x5000u
#define STACK 0x90000u
#define CODE 0x100000u
#define HANDLER 0x100400u

/* ---- The guests ------------------------------------------------------------ */

/* Remap the PICs to 0x20/0x28, unmask IRQ 0 only, run PIT channel 0 at
 * 100 Hz (mode 2, count 11932), then `sti; hlt` until the handler counted
 * 10 ticks; the TSC is kept at 0x5010 before and 0x5014 after. */
static const uint8_t pit_main[] = {
    0x0f, 0x31,                              /* 00: rdtsc */
    0xa3, 0x10, 0x50, 0x00, 0x00,            /* 02: mov ds:0x5010,eax */
    0xb0, 0x11,                              /* 07: mov al,0x11 */
    0xe6, 0x20,                              /* 09: out 0x20,al */
    0xe6, 0xa0,                              /* 0b: out 0xa0,al */
    0xb0, 0x20,                              /* 0d: mov al,0x20 */
    0xe6, 0x21,                              /* 0f: out 0x21,al */
    0xb0, 0x28,                              /* 11: mov al,0x28 */
    0xe6, 0xa1,                              /* 13: out 0xa1,al */
    0xb0, 0x04,                              /* 15: mov al,0x4 */
    0xe6, 0x21,                              /* 17: out 0x21,al */
    0xb0, 0x02,                              /* 19: mov al,0x2 */
    0xe6, 0xa1,                              /* 1b: out 0xa1,al */
    0xb0, 0x01,                              /* 1d: mov al,0x1 */
    0xe6, 0x21,                              /* 1f: out 0x21,al */
    0xe6, 0xa1,                              /* 21: out 0xa1,al */
    0xb0, 0xfe,                              /* 23: mov al,0xfe */
    0xe6, 0x21,                              /* 25: out 0x21,al */
    0xb0, 0xff,                              /* 27: mov al,0xff */
    0xe6, 0xa1,                              /* 29: out 0xa1,al */
    0xb0, 0x34,                              /* 2b: mov al,0x34 */
    0xe6, 0x43,                              /* 2d: out 0x43,al */
    0xb0, 0x9c,                              /* 2f: mov al,0x9c */
    0xe6, 0x40,                              /* 31: out 0x40,al */
    0xb0, 0x2e,                              /* 33: mov al,0x2e */
    0xe6, 0x40,                              /* 35: out 0x40,al */
    0xfb,                                    /* 37: sti */
    0xf4,                                    /* 38: hlt */
    0xfa,                                    /* 39: cli */
    0x83, 0x3d, 0x00, 0x50, 0x00, 0x00, 0x0a, /* 3a: cmp DWORD PTR ds:0x5000,0xa */
    0x72, 0xf4,                              /* 41: jb 0x37 */
    0x0f, 0x31,                              /* 43: rdtsc */
    0xa3, 0x14, 0x50, 0x00, 0x00,            /* 45: mov ds:0x5014,eax */
    0xb0, 0x00,                              /* 4a: mov al,0x0 */
    0xe6, 0xf4,                              /* 4c: out 0xf4,al */
};

/* Vector 0x20: count the tick, EOI to the master PIC. */
static const uint8_t pit_handler[] = {
    0xff, 0x05, 0x00, 0x50, 0x00, 0x00,      /* 00: inc DWORD PTR ds:0x5000 */
    0x50,                                    /* 06: push eax */
    0xb0, 0x20,                              /* 07: mov al,0x20 */
    0xe6, 0x20,                              /* 09: out 0x20,al */
    0x58,                                    /* 0b: pop eax */
    0xcf,                                    /* 0c: iret */
};

/* Enable the local APIC (SVR), timer divide by 16, periodic on vector
 * 0x40 with count 6250 (1 ms), then wait for 5 ticks and stop the timer. */
static const uint8_t lapic_main[] = {
    0xc7, 0x05, 0xf0, 0x00, 0xe0, 0xfe, 0xff, 0x01, 0x00, 0x00, /* 00: mov DWORD PTR ds:0xfee000f0,0x1ff */
    0xc7, 0x05, 0xe0, 0x03, 0xe0, 0xfe, 0x03, 0x00, 0x00, 0x00, /* 0a: mov DWORD PTR ds:0xfee003e0,0x3 */
    0xc7, 0x05, 0x20, 0x03, 0xe0, 0xfe, 0x40, 0x00, 0x02, 0x00, /* 14: mov DWORD PTR ds:0xfee00320,0x20040 */
    0xc7, 0x05, 0x80, 0x03, 0xe0, 0xfe, 0x6a, 0x18, 0x00, 0x00, /* 1e: mov DWORD PTR ds:0xfee00380,0x186a */
    0xfb,                                    /* 28: sti */
    0xf4,                                    /* 29: hlt */
    0xfa,                                    /* 2a: cli */
    0x83, 0x3d, 0x00, 0x50, 0x00, 0x00, 0x05, /* 2b: cmp DWORD PTR ds:0x5000,0x5 */
    0x72, 0xf4,                              /* 32: jb 0x28 */
    0xc7, 0x05, 0x80, 0x03, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00, /* 34: mov DWORD PTR ds:0xfee00380,0x0 */
    0xb0, 0x00,                              /* 3e: mov al,0x0 */
    0xe6, 0xf4,                              /* 40: out 0xf4,al */
};

/* Vector 0x40: count the tick, EOI to the local APIC. */
static const uint8_t lapic_handler[] = {
    0xff, 0x05, 0x00, 0x50, 0x00, 0x00,      /* 00: inc DWORD PTR ds:0x5000 */
    0xc7, 0x05, 0xb0, 0x00, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00, /* 06: mov DWORD PTR ds:0xfee000b0,0x0 */
    0xcf,                                    /* 10: iret */
};

/* An interrupt is already waiting: STI opens the gate only after the next
 * instruction, so the handler must see EAX = 1 and EBX = 0. */
static const uint8_t shadow_main[] = {
    0xfb,                                    /* 00: sti */
    0x40,                                    /* 01: inc eax */
    0x43,                                    /* 02: inc ebx */
    0xf4,                                    /* 03: hlt */
};

/* POPF sets IF without a shadow: the handler must see EAX = 0. */
static const uint8_t popf_main[] = {
    0x9c,                                    /* 00: pushf */
    0x81, 0x0c, 0x24, 0x00, 0x02, 0x00, 0x00, /* 01: or DWORD PTR [esp],0x200 */
    0x9d,                                    /* 08: popf */
    0x40,                                    /* 09: inc eax */
    0x43,                                    /* 0a: inc ebx */
    0xf4,                                    /* 0b: hlt */
};

/* Keep EAX and EBX at 0x5000 and 0x5004, then exit. */
static const uint8_t record_handler[] = {
    0xa3, 0x00, 0x50, 0x00, 0x00,            /* 00: mov ds:0x5000,eax */
    0x89, 0x1d, 0x04, 0x50, 0x00, 0x00,      /* 05: mov DWORD PTR ds:0x5004,ebx */
    0xb0, 0x00,                              /* 0b: mov al,0x0 */
    0xe6, 0xf4,                              /* 0d: out 0xf4,al */
};

/* Unmask IRQ 4 (the PICs as the firmware left them: vector 0x0c), enable
 * the UART's received-data interrupt and OUT2, wait for 5 bytes. */
static const uint8_t echo_main[] = {
    0xb0, 0xeb,                              /* 00: mov al,0xeb */
    0xe6, 0x21,                              /* 02: out 0x21,al */
    0x66, 0xba, 0xf9, 0x03,                  /* 04: mov dx,0x3f9 */
    0xb0, 0x01,                              /* 08: mov al,0x1 */
    0xee,                                    /* 0a: out dx,al */
    0x66, 0xba, 0xfc, 0x03,                  /* 0b: mov dx,0x3fc */
    0xb0, 0x08,                              /* 0f: mov al,0x8 */
    0xee,                                    /* 11: out dx,al */
    0xfb,                                    /* 12: sti */
    0xf4,                                    /* 13: hlt */
    0xfa,                                    /* 14: cli */
    0x83, 0x3d, 0x00, 0x50, 0x00, 0x00, 0x05, /* 15: cmp DWORD PTR ds:0x5000,0x5 */
    0x72, 0xf4,                              /* 1c: jb 0x12 */
    0xb0, 0x00,                              /* 1e: mov al,0x0 */
    0xe6, 0xf4,                              /* 20: out 0xf4,al */
};

/* Vector 0x0c: while LSR says data is ready, read a byte, send it back in
 * upper case and count it; then EOI. (The PIC is edge-triggered: a handler
 * that left bytes behind would never be called again.) */
static const uint8_t echo_handler[] = {
    0x50,                                    /* 00: push eax */
    0x52,                                    /* 01: push edx */
    0x66, 0xba, 0xfd, 0x03,                  /* 02: mov dx,0x3fd */
    0xec,                                    /* 06: in al,dx */
    0xa8, 0x01,                              /* 07: test al,0x1 */
    0x74, 0x18,                              /* 09: je 0x23 */
    0x66, 0xba, 0xf8, 0x03,                  /* 0b: mov dx,0x3f8 */
    0xec,                                    /* 0f: in al,dx */
    0x3c, 0x61,                              /* 10: cmp al,0x61 */
    0x72, 0x06,                              /* 12: jb 0x1a */
    0x3c, 0x7a,                              /* 14: cmp al,0x7a */
    0x77, 0x02,                              /* 16: ja 0x1a */
    0x2c, 0x20,                              /* 18: sub al,0x20 */
    0xee,                                    /* 1a: out dx,al */
    0xff, 0x05, 0x00, 0x50, 0x00, 0x00,      /* 1b: inc DWORD PTR ds:0x5000 */
    0xeb, 0xdf,                              /* 21: jmp 0x2 */
    0xb0, 0x20,                              /* 23: mov al,0x20 */
    0xe6, 0x20,                              /* 25: out 0x20,al */
    0x5a,                                    /* 27: pop edx */
    0x58,                                    /* 28: pop eax */
    0xcf,                                    /* 29: iret */
};

/* Unmask IRQ 8 at the slave (the firmware left the cascade open), turn on
 * the RTC's periodic interrupt (1024 Hz after reset), wait for 3 of them. */
static const uint8_t rtc_main[] = {
    0xb0, 0xfe,                              /* 00: mov al,0xfe */
    0xe6, 0xa1,                              /* 02: out 0xa1,al */
    0xb0, 0x0b,                              /* 04: mov al,0xb */
    0xe6, 0x70,                              /* 06: out 0x70,al */
    0xb0, 0x42,                              /* 08: mov al,0x42 */
    0xe6, 0x71,                              /* 0a: out 0x71,al */
    0xfb,                                    /* 0c: sti */
    0xf4,                                    /* 0d: hlt */
    0xfa,                                    /* 0e: cli */
    0x83, 0x3d, 0x00, 0x50, 0x00, 0x00, 0x03, /* 0f: cmp DWORD PTR ds:0x5000,0x3 */
    0x72, 0xf4,                              /* 16: jb 0xc */
    0xb0, 0x00,                              /* 18: mov al,0x0 */
    0xe6, 0xf4,                              /* 1a: out 0xf4,al */
};

/* Vector 0x70: count, read RTC register C (else IRQ 8 stays high and never
 * rises again), EOI to the slave and then to the master. */
static const uint8_t rtc_handler[] = {
    0x50,                                    /* 00: push eax */
    0xff, 0x05, 0x00, 0x50, 0x00, 0x00,      /* 01: inc DWORD PTR ds:0x5000 */
    0xb0, 0x0c,                              /* 07: mov al,0xc */
    0xe6, 0x70,                              /* 09: out 0x70,al */
    0xe4, 0x71,                              /* 0b: in al,0x71 */
    0xb0, 0x20,                              /* 0d: mov al,0x20 */
    0xe6, 0xa0,                              /* 0f: out 0xa0,al */
    0xe6, 0x20,                              /* 11: out 0x20,al */
    0x58,                                    /* 13: pop eax */
    0xcf,                                    /* 14: iret */
};

static const uint8_t hlt_only[] = {
    0xf4,                                    /* 00: hlt */
};

static const uint8_t sti_hlt[] = {
    0xfb,                                    /* 00: sti */
    0xf4,                                    /* 01: hlt */
};

static const uint8_t sti_nop[] = {
    0xfb,                                    /* 00: sti */
    0x90,                                    /* 01: nop */
    0x90,                                    /* 02: nop */
};

/* ---- Building a machine ------------------------------------------------------- */

static int setup(void **state)
{
    struct vm *vm = malloc(sizeof(*vm));
    if (!vm || vm_init(vm, 16u << 20, NULL) != 0) {
        free(vm);
        return -1;
    }
    *state = vm;
    return 0;
}

static int teardown(void **state)
{
    struct vm *vm = *state;
    vm_destroy(vm);
    free(vm);
    return 0;
}

static void put(struct vm *vm, gpa_t at, const void *bytes, size_t len)
{
    assert_int_equal(physmem_write(&vm->mem, at, bytes, len), 0);
}

static uint32_t get32(struct vm *vm, gpa_t at)
{
    uint32_t v = 0;
    assert_int_equal(physmem_read(&vm->mem, at, &v, 4), 0);
    return v;
}

/* The GDT and an empty IDT, `main` at CODE and `handler` at HANDLER behind
 * an interrupt gate for `vector`. */
static void load_guest(struct vm *vm, const uint8_t *main, size_t main_len, unsigned vector,
                       const uint8_t *handler, size_t handler_len)
{
    const uint64_t gdt[3] = { 0, fx_desc(0, 0xfffff, 0x9a, 0xc), fx_desc(0, 0xfffff, 0x92, 0xc) };
    put(vm, GDT, gdt, sizeof(gdt));
    vm->cpu.gdtr = (struct dtr){ GDT, sizeof(gdt) - 1 };
    vm->cpu.idtr = (struct dtr){ IDT, 256 * 8 - 1 };
    put(vm, CODE, main, main_len);
    if (handler) {
        uint64_t gate = fx_gate(0x08, HANDLER, 0x8e, 0);
        put(vm, IDT + vector * 8, &gate, sizeof(gate));
        put(vm, HANDLER, handler, handler_len);
    }
    vm->cpu.eip = CODE;
    vm->cpu.r[R_ESP] = STACK;
}

/* An interrupt waiting on IRQ 4 (vector 0x0c) before the guest starts. */
static void raise_uart_interrupt(struct vm *vm, const uint8_t *input, size_t len)
{
    vm_set_input(vm, input, len);
    bus_pio_write(&vm->bus, 0x3f9, 1, 0x01);
    bus_pio_write(&vm->bus, 0x3fc, 1, 0x08);
    bus_pio_write(&vm->bus, 0x21, 1, 0xeb);
}

/* ---- Tests ---------------------------------------------------------------------- */

static void test_pit_ticks_wake_a_halted_guest_until_it_exits(void **state)
{
    struct vm *vm = *state;
    load_guest(vm, pit_main, sizeof(pit_main), 0x20, pit_handler, sizeof(pit_handler));
    assert_int_equal(vm_run(vm, 1000000), VM_STOP_EXIT);
    assert_int_equal(vm->exit_status, 1);
    assert_int_equal(get32(vm, VARS), 10);
    assert_int_equal(vm->trace.stats.interrupts[0x20], 10);
    assert_int_equal(vm_interrupt_count(vm), 10);
    /* Ten periods of 11932 PIT ticks: 100.0015 ms of virtual time, nearly
     * all of it in HLT, which the TSC (one count per 10 ns) saw pass. */
    uint64_t now = vm_now_ns(vm);
    assert_in_range(now, 100001500, 100001500 + 2000);
    assert_true(vm->cpu.icount < 300);
    assert_true(vm->idle_ns > 100000000 - 3000);
    uint32_t tsc = get32(vm, VARS + 0x14) - get32(vm, VARS + 0x10);
    assert_in_range(tsc, 10000100, 10000300);
}

static void test_same_guest_gives_the_same_run_twice(void **state)
{
    struct vm *vm = *state;
    struct vm *again = malloc(sizeof(*again));
    assert_non_null(again);
    assert_int_equal(vm_init(again, 16u << 20, NULL), 0);
    load_guest(vm, pit_main, sizeof(pit_main), 0x20, pit_handler, sizeof(pit_handler));
    load_guest(again, pit_main, sizeof(pit_main), 0x20, pit_handler, sizeof(pit_handler));
    assert_int_equal(vm_run(vm, 1000000), VM_STOP_EXIT);
    assert_int_equal(vm_run(again, 1000000), VM_STOP_EXIT);
    assert_int_equal(vm->cpu.icount, again->cpu.icount);
    assert_int_equal(vm->idle_ns, again->idle_ns);
    assert_int_equal(get32(vm, VARS + 0x14), get32(again, VARS + 0x14));
    assert_memory_equal(&vm->trace.stats, &again->trace.stats, sizeof(vm->trace.stats));
    vm_destroy(again);
    free(again);
}

static void test_run_in_small_pieces_matches_one_run(void **state)
{
    struct vm *vm = *state;
    struct vm *whole = malloc(sizeof(*whole));
    assert_non_null(whole);
    assert_int_equal(vm_init(whole, 16u << 20, NULL), 0);
    load_guest(vm, pit_main, sizeof(pit_main), 0x20, pit_handler, sizeof(pit_handler));
    load_guest(whole, pit_main, sizeof(pit_main), 0x20, pit_handler, sizeof(pit_handler));
    assert_int_equal(vm_run(whole, 1000000), VM_STOP_EXIT);
    enum vm_stop why;
    uint64_t before = vm->cpu.icount;
    assert_int_equal(vm_run(vm, 7), VM_STOP_BUDGET);
    assert_int_equal(vm->cpu.icount, before + 7);
    while ((why = vm_run(vm, 7)) == VM_STOP_BUDGET)
        ;
    assert_int_equal(why, VM_STOP_EXIT);
    assert_int_equal(vm->cpu.icount, whole->cpu.icount);
    assert_int_equal(vm_now_ns(vm), vm_now_ns(whole));
    vm_destroy(whole);
    free(whole);
}

static void test_lapic_timer_interrupts_a_halted_guest(void **state)
{
    struct vm *vm = *state;
    load_guest(vm, lapic_main, sizeof(lapic_main), 0x40, lapic_handler, sizeof(lapic_handler));
    assert_int_equal(vm_run(vm, 1000000), VM_STOP_EXIT);
    assert_int_equal(get32(vm, VARS), 5);
    assert_int_equal(vm->trace.stats.interrupts[0x40], 5);
    assert_in_range(vm_now_ns(vm), 5000000, 5000000 + 1000);
}

static void test_rtc_interrupt_arrives_through_the_slave_pic(void **state)
{
    struct vm *vm = *state;
    load_guest(vm, rtc_main, sizeof(rtc_main), 0x70, rtc_handler, sizeof(rtc_handler));
    assert_int_equal(vm_run(vm, 100000), VM_STOP_EXIT);
    assert_int_equal(get32(vm, VARS), 3);
    assert_int_equal(vm->trace.stats.interrupts[0x70], 3);
    /* The third period ends at 96 ticks of 32.768 kHz: 2929687.5 ns. */
    assert_in_range(vm_now_ns(vm), 2929688, 2929688 + 1000);
}

static void test_interrupt_waits_for_the_instruction_after_sti(void **state)
{
    struct vm *vm = *state;
    static const uint8_t input[] = "x";
    load_guest(vm, shadow_main, sizeof(shadow_main), 0x0c, record_handler, sizeof(record_handler));
    raise_uart_interrupt(vm, input, 1);
    assert_int_equal(vm_run(vm, 1000), VM_STOP_EXIT);
    assert_int_equal(get32(vm, VARS), 1);
    assert_int_equal(get32(vm, VARS + 4), 0);
    assert_int_equal(vm->trace.stats.interrupts[0x0c], 1);
}

static void test_interrupt_is_taken_right_after_popf_sets_if(void **state)
{
    struct vm *vm = *state;
    static const uint8_t input[] = "x";
    load_guest(vm, popf_main, sizeof(popf_main), 0x0c, record_handler, sizeof(record_handler));
    raise_uart_interrupt(vm, input, 1);
    assert_int_equal(vm_run(vm, 1000), VM_STOP_EXIT);
    assert_int_equal(get32(vm, VARS), 0);
    assert_int_equal(get32(vm, VARS + 4), 0);
}

static void test_uart_input_is_received_by_interrupt_and_echoed(void **state)
{
    struct vm *vm = *state;
    static const uint8_t input[] = "hello";
    char *text = NULL;
    size_t len = 0;
    vm->console = open_memstream(&text, &len);
    assert_non_null(vm->console);
    load_guest(vm, echo_main, sizeof(echo_main), 0x0c, echo_handler, sizeof(echo_handler));
    vm_set_input(vm, input, 5);
    assert_int_equal(vm_run(vm, 100000), VM_STOP_EXIT);
    fclose(vm->console);
    vm->console = NULL;
    assert_int_equal(len, 5);
    assert_memory_equal(text, "HELLO", 5);
    assert_int_equal(vm->trace.stats.interrupts[0x0c], 1);
    free(text);
}

static void test_hlt_with_interrupts_disabled_stops_the_machine(void **state)
{
    struct vm *vm = *state;
    load_guest(vm, hlt_only, sizeof(hlt_only), 0, NULL, 0);
    assert_int_equal(vm_run(vm, 1000), VM_STOP_HALTED);
    assert_int_equal(vm->cpu.eip, CODE + 1);
}

/* The firmware's PIT keeps ticking, but IRQ 0 is masked: nothing can wake
 * the CPU, and the machine says so at once instead of idling forever. */
static void test_hlt_with_only_masked_timers_stops_the_machine(void **state)
{
    struct vm *vm = *state;
    load_guest(vm, sti_hlt, sizeof(sti_hlt), 0, NULL, 0);
    assert_int_equal(vm_run(vm, 1000), VM_STOP_HALTED);
    assert_int_equal(vm->idle_ns, 0);
}

/* With the local APIC enabled in software, LINT0 is masked (its reset
 * state): the 8259 no longer reaches the CPU. */
static void test_masked_lint0_cuts_the_pic_off(void **state)
{
    struct vm *vm = *state;
    bus_mmio_write(&vm->bus, LAPIC_BASE + 0xf0, 4, 0x1ff);
    load_guest(vm, pit_main, sizeof(pit_main), 0x20, pit_handler, sizeof(pit_handler));
    assert_int_equal(vm_run(vm, 1000000), VM_STOP_HALTED);
    assert_int_equal(get32(vm, VARS), 0);
    bus_mmio_write(&vm->bus, LAPIC_BASE + 0x350, 4, 0x700); /* LINT0: ExtINT */
    assert_int_equal(vm_run(vm, 1000000), VM_STOP_EXIT);
    assert_int_equal(get32(vm, VARS), 10);
}

static void test_interrupt_through_an_absent_idt_triple_faults(void **state)
{
    struct vm *vm = *state;
    static const uint8_t input[] = "x";
    load_guest(vm, sti_nop, sizeof(sti_nop), 0, NULL, 0);
    vm->cpu.idtr.limit = 0;
    raise_uart_interrupt(vm, input, 1);
    assert_int_equal(vm_run(vm, 1000), VM_STOP_TRIPLE_FAULT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pit_ticks_wake_a_halted_guest_until_it_exits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_same_guest_gives_the_same_run_twice, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_in_small_pieces_matches_one_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lapic_timer_interrupts_a_halted_guest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rtc_interrupt_arrives_through_the_slave_pic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interrupt_waits_for_the_instruction_after_sti, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interrupt_is_taken_right_after_popf_sets_if, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uart_input_is_received_by_interrupt_and_echoed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hlt_with_interrupts_disabled_stops_the_machine, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hlt_with_only_masked_timers_stops_the_machine, setup, teardown),
        cmocka_unit_test_setup_teardown(test_masked_lint0_cuts_the_pic_off, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interrupt_through_an_absent_idt_triple_faults, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

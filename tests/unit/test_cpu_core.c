/* The run loop: decoded-instruction cache and self-modifying code, fetch
 * across pages, the instruction budget, precise faults. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cpu_internal.h"
#include "fixture.h"
#include "vlab/mmu.h"

static int setup(void **state)
{
    static struct fixture fx;
    assert_int_equal(fx_init(&fx), 0);
    *state = &fx;
    return 0;
}

static int teardown(void **state)
{
    fx_fini(*state);
    return 0;
}

/* A loop that patches the immediate of its own `mov eax, imm32` each time
 * round: the store must invalidate the cached decode of that instruction.
 *
 *   1000: mov ecx, 3
 *   1005: mov eax, 0x11111111      ; imm32 at 0x1006
 *   100a: add ebx, eax
 *   100c: inc dword [0x1006]       ; patch the immediate
 *   1012: dec ecx
 *   1013: jnz 1005
 */
static void test_store_into_cached_code_is_seen_next_time(void **state)
{
    struct fixture *fx = *state;
    static const uint8_t code[] = {
        0xb9, 0x03, 0x00, 0x00, 0x00,
        0xb8, 0x11, 0x11, 0x11, 0x11,
        0x01, 0xc3,
        0xff, 0x05, 0x06, 0x10, 0x00, 0x00,
        0x49,
        0x75, 0xf0,
    };
    fx->cpu.r[R_EBX] = 0;
    assert_int_equal(fx_run_code(fx, code, sizeof(code)), CPU_EXIT_BUDGET);
    assert_int_equal(fx->cpu.r[R_EBX], 0x11111111u + 0x11111112u + 0x11111113u);
    assert_int_equal(fx_read32(fx, 0x1006), 0x11111114u);
}

/* The next instruction is overwritten (from NOP to INC EAX) by the one
 * before it, within one straight run: x86 executes the new bytes. */
static void test_store_to_the_next_instruction_executes_the_new_bytes(void **state)
{
    struct fixture *fx = *state;
    static const uint8_t code[] = {
        0xc6, 0x05, 0x07, 0x10, 0x00, 0x00, 0x40, /* mov byte [0x1007], 0x40 (inc eax) */
        0x90,                                     /* nop, becomes inc eax */
    };
    /* Decode both once, as a first pass, with the store disabled: run the
     * NOP alone so it is in the cache. */
    fx_write(fx, FX_CODE, code, sizeof(code));
    fx->cpu.eip = FX_CODE + 7;
    assert_int_equal(cpu_step(&fx->cpu), CPU_EXIT_BUDGET);
    fx->cpu.r[R_EAX] = 5;
    assert_int_equal(fx_run_code(fx, code, sizeof(code)), CPU_EXIT_BUDGET);
    assert_int_equal(fx->cpu.r[R_EAX], 6);
}

/* Code written behind the CPU's back with physmem_write (a loader, DMA) is
 * also seen. */
static void test_physmem_write_invalidates_decoded_code(void **state)
{
    struct fixture *fx = *state;
    static const uint8_t inc[] = { 0x40 }, dec[] = { 0x48 };
    fx_write(fx, FX_CODE, inc, 1);
    fx->cpu.eip = FX_CODE;
    cpu_step(&fx->cpu);
    fx_write(fx, FX_CODE, dec, 1);
    fx->cpu.eip = FX_CODE;
    cpu_step(&fx->cpu);
    assert_int_equal(fx->cpu.r[R_EAX], 0);
}

static void test_budget_counts_retired_instructions(void **state)
{
    struct fixture *fx = *state;
    static const uint8_t loop[] = { 0x40, 0xeb, 0xfd }; /* inc eax; jmp back */
    fx_write(fx, FX_CODE, loop, sizeof(loop));
    fx->cpu.eip = FX_CODE;
    assert_int_equal(cpu_run(&fx->cpu, 1001), CPU_EXIT_BUDGET);
    assert_int_equal(fx->cpu.icount, 1001);
    assert_int_equal(fx->cpu.r[R_EAX], 501);
}

/* Identity-map the first 4 MiB with 4 KiB pages except `hole`, turn paging on. */
static void map_all_but(struct fixture *fx, uint32_t hole)
{
    const uint32_t pd = 0x200000, pt = 0x201000;
    fx_write32(fx, pd, pt | PTE_P | PTE_W | PTE_U);
    for (uint32_t k = 0; k < 1024; k++)
        fx_write32(fx, pt + 4 * k, k * 4096 == hole ? 0 : (k * 4096) | PTE_P | PTE_W | PTE_U);
    fx->cpu.cr3 = pd;
    fx->cpu.cr0 |= CR0_PG;
    cpu_tlb_flush(&fx->cpu);
}

/* An instruction that starts 2 bytes before a not-present page faults with
 * CR2 = the first byte on that page, and EIP at the instruction. */
static void test_fetch_across_into_missing_page_faults_precisely(void **state)
{
    struct fixture *fx = *state;
    map_all_but(fx, 0x3000);
    static const uint8_t mov[] = { 0xb8, 0x78 }; /* mov eax, imm32: 3 bytes on the next page */
    fx_write(fx, 0x2ffe, mov, 2);
    fx->cpu.eip = 0x2ffe;
    fx->cpu.r[R_EAX] = 7;
    assert_int_equal(cpu_step(&fx->cpu), CPU_EXIT_EXCEPTION);
    assert_int_equal(fx->cpu.exc.vector, VEC_PF);
    assert_int_equal(fx->cpu.exc.error, 0); /* not present, read, supervisor */
    assert_int_equal(fx->cpu.cr2, 0x3000);
    assert_int_equal(fx->cpu.eip, 0x2ffe);
    assert_int_equal(fx->cpu.r[R_EAX], 7);
}

/* A 2-byte instruction ending exactly at the page end runs without touching
 * the missing next page. */
static void test_instruction_ending_at_page_end_does_not_touch_next_page(void **state)
{
    struct fixture *fx = *state;
    map_all_but(fx, 0x3000);
    static const uint8_t add[] = { 0x01, 0xd8 }; /* add eax, ebx */
    fx_write(fx, 0x2ffe, add, 2);
    fx->cpu.eip = 0x2ffe;
    fx->cpu.r[R_EAX] = 2;
    fx->cpu.r[R_EBX] = 3;
    assert_int_equal(cpu_step(&fx->cpu), CPU_EXIT_BUDGET);
    assert_int_equal(fx->cpu.r[R_EAX], 5);
    assert_int_equal(fx->cpu.eip, 0x3000);
}

/* A store that faults leaves memory, registers and ESP as they were: PUSH
 * onto a missing page. */
static void test_faulting_push_changes_nothing(void **state)
{
    struct fixture *fx = *state;
    map_all_but(fx, 0x3000);
    static const uint8_t push[] = { 0x50 };
    fx->cpu.r[R_ESP] = 0x3004; /* the push writes 0x3000..0x3003 */
    assert_int_equal(fx_run_code(fx, push, 1), CPU_EXIT_EXCEPTION);
    assert_int_equal(fx->cpu.exc.vector, VEC_PF);
    assert_int_equal(fx->cpu.exc.error, PF_W);
    assert_int_equal(fx->cpu.r[R_ESP], 0x3004);
    assert_int_equal(fx->cpu.eip, FX_CODE);
}

/* A dword store straddling two pages whose second is missing writes nothing. */
static void test_straddling_store_is_all_or_nothing(void **state)
{
    struct fixture *fx = *state;
    map_all_but(fx, 0x3000);
    fx_write32(fx, 0x2ffc, 0xaaaaaaaa);
    static const uint8_t mov[] = { 0xa3, 0xfe, 0x2f, 0x00, 0x00 }; /* mov [0x2ffe], eax */
    fx->cpu.r[R_EAX] = 0x12345678;
    assert_int_equal(fx_run_code(fx, mov, sizeof(mov)), CPU_EXIT_EXCEPTION);
    assert_int_equal(fx->cpu.cr2, 0x3000);
    assert_int_equal(fx_read32(fx, 0x2ffc), 0xaaaaaaaa);
}

/* Prefixes that make an instruction longer than 15 bytes: #GP(0). */
static void test_instruction_longer_than_15_bytes_raises_gp(void **state)
{
    struct fixture *fx = *state;
    uint8_t code[16];
    for (int k = 0; k < 15; k++)
        code[k] = 0x66;
    code[15] = 0x90;
    assert_int_equal(fx_run_code(fx, code, sizeof(code)), CPU_EXIT_EXCEPTION);
    assert_int_equal(fx->cpu.exc.vector, VEC_GP);
    assert_int_equal(fx->cpu.exc.error, 0);
    assert_int_equal(fx->cpu.eip, FX_CODE);
}

static void test_privileged_instruction_at_cpl3_raises_gp0_before_executing(void **state)
{
    struct fixture *fx = *state;
    static const uint8_t mov_cr3[] = { 0x0f, 0x22, 0xd8 }; /* mov cr3, eax */
    cpu_set_flat(&fx->cpu, 3);
    fx->cpu.r[R_EAX] = 0x5000;
    assert_int_equal(fx_run_code(fx, mov_cr3, sizeof(mov_cr3)), CPU_EXIT_EXCEPTION);
    assert_int_equal(fx->cpu.exc.vector, VEC_GP);
    assert_int_equal(fx->cpu.exc.error, 0);
    assert_int_equal(fx->cpu.cr3, 0);
}

static void test_undefined_opcode_raises_ud(void **state)
{
    struct fixture *fx = *state;
    static const uint8_t bad[] = { 0x0f, 0xff };
    assert_int_equal(fx_run_code(fx, bad, sizeof(bad)), CPU_EXIT_EXCEPTION);
    assert_int_equal(fx->cpu.exc.vector, VEC_UD);
    assert_false(fx->cpu.exc.has_error);
}

/* No x87 here: an escape opcode raises #NM when CR0.EM says the operating
 * system emulates one, #UD otherwise. */
static void test_x87_escape_raises_nm_with_em_and_ud_without(void **state)
{
    struct fixture *fx = *state;
    static const uint8_t fld1[] = { 0xd9, 0xe8 };
    fx->cpu.cr0 |= CR0_EM;
    assert_int_equal(fx_run_code(fx, fld1, sizeof(fld1)), CPU_EXIT_EXCEPTION);
    assert_int_equal(fx->cpu.exc.vector, VEC_NM);
    fx->cpu.cr0 &= ~CR0_EM;
    assert_int_equal(fx_run_code(fx, fld1, sizeof(fld1)), CPU_EXIT_EXCEPTION);
    assert_int_equal(fx->cpu.exc.vector, VEC_UD);
}

/* CR0.AM and EFLAGS.AC at CPL 3: a misaligned load raises #AC(0); aligned
 * ones and CPL 0 ones do not. */
/* Block links (cpu.c) must not outlive the translation they were made
 * under. Block J (`jmp 0x3000`) links to the block at 0x3000 (`inc ecx;
 * jmp 0x1000`); the second time round the links are made again after
 * every decode and TLB refill is done; the third time the code remaps
 * 0x3000 to the frame at 0x4000 (`mov eax, 0x1234; hlt`) and INVLPGs it,
 * and the jump from J must run the new frame's code, with ECX = 2. The
 * first store, of the PTE as it is, keeps its page in the TLB, so that
 * only the INVLPG can tell the links apart.
 *
 *   1000: mov [pte of 0x3000], edx     ; edx = the PTE as it is
 *   1006: cmp ecx, 2
 *   1009: jne J
 *   100b: mov dword [pte of 0x3000], 0x4003
 *   1015: invlpg [0x3000]
 *   101c: jmp J
 *   101e: J: jmp 0x3000
 */
static void run_remap_after_link(struct fixture *fx, uint32_t cr4)
{
    static const uint8_t code[] = {
        0x89, 0x15, 0x0c, 0x10, 0x20, 0x00,
        0x83, 0xf9, 0x02,
        0x75, 0x13,
        0xc7, 0x05, 0x0c, 0x10, 0x20, 0x00, 0x03, 0x40, 0x00, 0x00,
        0x0f, 0x01, 0x3d, 0x00, 0x30, 0x00, 0x00,
        0xeb, 0x00,
        0xe9, 0xdd, 0x1f, 0x00, 0x00,
    };
    static const uint8_t old_page[] = { 0x41, 0xe9, 0xfa, 0xdf, 0xff, 0xff }; /* inc ecx; jmp 0x1000 */
    static const uint8_t new_page[] = { 0xb8, 0x34, 0x12, 0x00, 0x00, 0xf4 }; /* mov eax, 0x1234; hlt */
    map_all_but(fx, 0xffffffffu);
    fx->cpu.cr4 = cr4;
    fx_write(fx, FX_CODE, code, sizeof(code));
    fx_write(fx, 0x3000, old_page, sizeof(old_page));
    fx_write(fx, 0x4000, new_page, sizeof(new_page));
    fx->cpu.eip = FX_CODE;
    fx->cpu.r[R_ECX] = 0;
    fx->cpu.r[R_EDX] = fx_read32(fx, 0x20100c);
    assert_int_equal(cpu_run(&fx->cpu, 1000), CPU_EXIT_HLT);
    assert_int_equal(fx->cpu.r[R_EAX], 0x1234);
    assert_int_equal(fx->cpu.r[R_ECX], 2);
}

/* Block links survive a CS load (segload.c: the code context), but must not
 * be followed in a context where fetch would find something else. Block A,
 * sixteen INC EAX (a full block), falls through to X, which jumps back to
 * A. Between runs CS's limit is set directly, now taking in X, now ending
 * right after A, through more distinct limits than the CPU remembers
 * contexts: where X lies beyond the limit, fetching it must raise #GP(0)
 * instead of following A's link.
 *
 *   1000: A: inc eax (16 times)
 *   1010: X: inc ecx; jmp A
 */
static void test_link_is_not_followed_after_cs_limit_changed_between_runs(void **state)
{
    struct fixture *fx = *state;
    static const uint8_t x[] = { 0x41, 0xeb, 0xed };
    uint8_t a[16];
    memset(a, 0x40, sizeof(a));
    fx_write(fx, FX_CODE, a, sizeof(a));
    fx_write(fx, FX_CODE + sizeof(a), x, sizeof(x));
    fx->cpu.eip = FX_CODE;
    for (unsigned k = 0; k < 3 * CPU_CODE_CTXS; k++) {
        bool x_outside = k % 2;
        fx->cpu.seg[S_CS].limit = x_outside ? FX_CODE + 0xf : FX_CODE + 0x1000 + k;
        seg_cache_update(&fx->cpu.seg[S_CS]);
        fx->cpu.r[R_EAX] = fx->cpu.r[R_ECX] = 0;
        enum cpu_exit why = cpu_run(&fx->cpu, 2 * (16 + 2));
        if (x_outside) {
            assert_int_equal(why, CPU_EXIT_EXCEPTION);
            assert_int_equal(fx->cpu.exc.vector, VEC_GP);
            assert_int_equal(fx->cpu.eip, FX_CODE + 0x10);
            assert_int_equal(fx->cpu.r[R_EAX], 16);
            assert_int_equal(fx->cpu.r[R_ECX], 0);
            fx->cpu.eip = FX_CODE;
        } else {
            assert_int_equal(why, CPU_EXIT_BUDGET);
            assert_int_equal(fx->cpu.eip, FX_CODE);
            assert_int_equal(fx->cpu.r[R_EAX], 32);
            assert_int_equal(fx->cpu.r[R_ECX], 2);
        }
    }
}

static void test_invlpg_of_linked_code_fetches_through_the_new_mapping(void **state)
{
    run_remap_after_link(*state, 0);
}

static void test_invlpg_with_pse_of_linked_code_fetches_through_the_new_mapping(void **state)
{
    run_remap_after_link(*state, CR4_PSE);
}

/* A taken Jcc in the middle of a block leaves it; one not taken goes on
 * with the next instruction of the block. Counted over a loop run as
 * blocks (cpu_run), not one instruction at a time.
 *
 *   1000: inc eax
 *   1001: test al, 1
 *   1003: jz 1008          ; taken for even eax
 *   1005: inc ebx          ; odd eax only
 *   1006: jmp 1000
 *   1008: inc edx          ; even eax only
 *   1009: jmp 1000
 */
static void test_jcc_inside_a_block_branches_or_falls_through(void **state)
{
    struct fixture *fx = *state;
    static const uint8_t code[] = { 0x40, 0xa8, 0x01, 0x74, 0x03, 0x43, 0xeb, 0xf8, 0x42, 0xeb, 0xf5 };
    fx_write(fx, FX_CODE, code, sizeof(code));
    fx->cpu.eip = FX_CODE;
    assert_int_equal(cpu_run(&fx->cpu, 5 * 100), CPU_EXIT_BUDGET);
    assert_int_equal(fx->cpu.icount, 500);
    assert_int_equal(fx->cpu.r[R_EAX], 100);
    assert_int_equal(fx->cpu.r[R_EBX], 50);
    assert_int_equal(fx->cpu.r[R_EDX], 50);
    assert_int_equal(fx->cpu.eip, FX_CODE);
}

/* A flat segment takes the fast path, but an access that wraps past 4 GiB
 * is still a #GP(0). */
static void test_load_wrapping_past_4g_in_a_flat_segment_raises_gp(void **state)
{
    struct fixture *fx = *state;
    static const uint8_t code[] = { 0x8b, 0x43, 0x00 }; /* mov eax, [ebx] */
    fx->cpu.r[R_EBX] = 0xfffffffeu;
    assert_int_equal(fx_run_code(fx, code, sizeof(code)), CPU_EXIT_EXCEPTION);
    assert_int_equal(fx->cpu.exc.vector, VEC_GP);
    assert_int_equal(fx->cpu.exc.error, 0);
    assert_int_equal(fx->cpu.eip, FX_CODE);
}

/* REP STOSD across a page boundary and REP MOVSB with overlapping source
 * and destination (each byte is copied after the one before it, so the
 * first byte repeats), as blocks of elements at a time must give. */
static void test_rep_stos_and_overlapping_rep_movs_move_element_by_element(void **state)
{
    struct fixture *fx = *state;
    static const uint8_t code[] = {
        0xf3, 0xab,       /* rep stosd */
        0x89, 0xf7, 0x47, /* mov edi, esi; inc edi */
        0xb9, 0x10, 0x00, 0x00, 0x00, /* mov ecx, 16 */
        0xf3, 0xa4,       /* rep movsb */
    };
    fx->cpu.r[R_EAX] = 0x5a5a5a5au;
    fx->cpu.r[R_EDI] = 0x20ff8;
    fx->cpu.r[R_ECX] = 4;          /* 0x20ff8 .. 0x21007: two pages */
    fx->cpu.r[R_ESI] = 0x30000;
    fx_write32(fx, 0x30000, 0x44332211u);
    assert_int_equal(fx_run_code(fx, code, sizeof(code)), CPU_EXIT_BUDGET);
    for (uint32_t a = 0x20ff8; a < 0x21008; a += 4)
        assert_int_equal(fx_read32(fx, a), 0x5a5a5a5au);
    for (uint32_t a = 0x30000; a < 0x30010; a += 4)
        assert_int_equal(fx_read32(fx, a), 0x11111111u);
    assert_int_equal(fx_read32(fx, 0x30010), 0x11u);
    assert_int_equal(fx->cpu.r[R_ECX], 0);
    assert_int_equal(fx->cpu.r[R_ESI], 0x30010);
    assert_int_equal(fx->cpu.r[R_EDI], 0x30011);
}

static void test_misaligned_cpl3_load_with_am_and_ac_raises_ac(void **state)
{
    struct fixture *fx = *state;
    static const uint8_t loads[] = {
        0x8b, 0x05, 0x00, 0x00, 0x01, 0x00, /* mov eax, [0x10000] */
        0x8b, 0x05, 0x02, 0x00, 0x01, 0x00, /* mov eax, [0x10002] */
    };
    fx->cpu.cr0 |= CR0_AM;
    cpu_set_flat(&fx->cpu, 3);
    cpu_set_eflags(&fx->cpu, EFLAGS_FIXED1 | EFLAGS_AC);
    assert_int_equal(fx_run_code(fx, loads, sizeof(loads)), CPU_EXIT_EXCEPTION);
    assert_int_equal(fx->cpu.exc.vector, VEC_AC);
    assert_int_equal(fx->cpu.exc.error, 0);
    assert_int_equal(fx->cpu.eip, FX_CODE + 6);

    cpu_set_eflags(&fx->cpu, EFLAGS_FIXED1);
    assert_int_equal(fx_run_code(fx, loads, sizeof(loads)), CPU_EXIT_BUDGET);
}

/* TEST with an immediate fused with the Jcc after it: an 8-bit result's
 * sign is its bit 7, and a 32-bit TEST sees the whole register.
 *
 *   1000: inc eax
 *   1001: test al, 0x80
 *   1003: js 100c              ; al >= 0x80
 *   1005: test eax, 0x100
 *   100a: jz 1000
 *   100c: inc ebx              ; al >= 0x80 or eax >= 0x100
 *   100d: jmp 1000
 */
static void test_test_with_an_immediate_and_jcc_use_the_operand_size(void **state)
{
    struct fixture *fx = *state;
    static const uint8_t code[] = { 0x40, 0xa8, 0x80, 0x78, 0x07, 0xa9, 0x00, 0x01, 0x00, 0x00,
                                    0x74, 0xf4, 0x43, 0xeb, 0xf1 };
    fx_write(fx, FX_CODE, code, sizeof(code));
    fx->cpu.eip = FX_CODE;
    /* eax 1..0x7f: 5 instructions round (through the jz); 0x80..0xff: 5
     * (through the js); 0x100..0x17f: 7 (neither taken). */
    assert_int_equal(cpu_run(&fx->cpu, 0x7f * 5 + 0x80 * 5 + 0x80 * 7), CPU_EXIT_BUDGET);
    assert_int_equal(fx->cpu.r[R_EAX], 0x17f);
    assert_int_equal(fx->cpu.r[R_EBX], 0x100);
    assert_int_equal(fx->cpu.eip, FX_CODE);
}

/* The stack fast forms inside a threaded block move ESP only after their
 * access, and a fault later in the block puts back the ESP from before
 * the instruction that faults, not the one from the start of the block.
 * The first push misses the TLB (its general path), the others hit it.
 *
 *   1000: push eax
 *   1001: push ebx
 *   1002: pop ecx
 *   1003: push 7
 *   1005: mov edx, [0x3000]    ; not present
 */
static void test_fault_after_pushes_in_a_block_restores_esp_before_it(void **state)
{
    struct fixture *fx = *state;
    map_all_but(fx, 0x3000);
    static const uint8_t code[] = { 0x50, 0x53, 0x59, 0x6a, 0x07, 0x8b, 0x15, 0x00, 0x30, 0x00, 0x00 };
    fx_write(fx, FX_CODE, code, sizeof(code));
    fx->cpu.eip = FX_CODE;
    fx->cpu.r[R_EAX] = 0xaaaa0001;
    fx->cpu.r[R_EBX] = 0xbbbb0002;
    assert_int_equal(cpu_run(&fx->cpu, 1000), CPU_EXIT_EXCEPTION);
    assert_int_equal(fx->cpu.exc.vector, VEC_PF);
    assert_int_equal(fx->cpu.cr2, 0x3000);
    assert_int_equal(fx->cpu.eip, FX_CODE + 5);
    assert_int_equal(fx->cpu.icount, 4);
    assert_int_equal(fx->cpu.r[R_ESP], FX_STACK - 8);
    assert_int_equal(fx->cpu.r[R_ECX], 0xbbbb0002);
    assert_int_equal(fx_read32(fx, FX_STACK - 4), 0xaaaa0001);
    assert_int_equal(fx_read32(fx, FX_STACK - 8), 7);
}

/* CALL rel32 and RET run as blocks: the return address is pushed, ESP is
 * back where it was after the RET.
 *
 *   1000: call 100a
 *   1005: hlt
 *   100a: inc eax
 *   100b: ret
 */
static void test_call_and_ret_in_blocks(void **state)
{
    struct fixture *fx = *state;
    static const uint8_t code[] = { 0xe8, 0x05, 0x00, 0x00, 0x00, 0xf4, 0x90, 0x90, 0x90, 0x90,
                                    0x40, 0xc3 };
    fx_write(fx, FX_CODE, code, sizeof(code));
    fx->cpu.eip = FX_CODE;
    fx->cpu.r[R_EAX] = 41;
    assert_int_equal(cpu_run(&fx->cpu, 1000), CPU_EXIT_HLT);
    assert_int_equal(fx->cpu.r[R_EAX], 42);
    assert_int_equal(fx->cpu.r[R_ESP], FX_STACK);
    assert_int_equal(fx_read32(fx, FX_STACK - 4), FX_CODE + 5);
    assert_int_equal(fx->cpu.eip, FX_CODE + 6);
    assert_int_equal(fx->cpu.icount, 4);
}

/* With stop_on_if set, cpu_run returns right after the instruction that
 * sets IF: POPF in the middle of a block, and STI (which also opens the
 * interrupt shadow).
 *
 *   1000: nop
 *   1001: popf                 ; IF = 1
 *   1002: nop
 *   1003: cli
 *   1004: nop
 *   1005: sti
 *   1006: nop
 */
static void test_stop_on_if_returns_after_the_instruction_setting_if(void **state)
{
    struct fixture *fx = *state;
    static const uint8_t code[] = { 0x90, 0x9d, 0x90, 0xfa, 0x90, 0xfb, 0x90 };
    fx_write(fx, FX_CODE, code, sizeof(code));
    fx_write32(fx, FX_STACK - 4, EFLAGS_FIXED1 | EFLAGS_IF);
    fx->cpu.r[R_ESP] = FX_STACK - 4;
    fx->cpu.eip = FX_CODE;
    fx->cpu.stop_on_if = EFLAGS_IF;
    assert_int_equal(cpu_run(&fx->cpu, 1000), CPU_EXIT_STOP);
    assert_int_equal(fx->cpu.eip, FX_CODE + 2);
    assert_int_equal(fx->cpu.icount, 2);
    fx->cpu.stop_on_if = 0;
    assert_int_equal(cpu_run(&fx->cpu, 2), CPU_EXIT_BUDGET); /* nop, cli */
    assert_false(fx->cpu.eflags & EFLAGS_IF);
    fx->cpu.stop_on_if = EFLAGS_IF;
    assert_int_equal(cpu_run(&fx->cpu, 1000), CPU_EXIT_STOP);
    assert_int_equal(fx->cpu.eip, FX_CODE + 6);
    assert_int_equal(fx->cpu.icount, 6);
    assert_true(fx->cpu.intr_shadow);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_store_into_cached_code_is_seen_next_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_to_the_next_instruction_executes_the_new_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_physmem_write_invalidates_decoded_code, setup, teardown),
        cmocka_unit_test_setup_teardown(test_budget_counts_retired_instructions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_across_into_missing_page_faults_precisely, setup, teardown),
        cmocka_unit_test_setup_teardown(test_instruction_ending_at_page_end_does_not_touch_next_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_faulting_push_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_straddling_store_is_all_or_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_instruction_longer_than_15_bytes_raises_gp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_privileged_instruction_at_cpl3_raises_gp0_before_executing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_undefined_opcode_raises_ud, setup, teardown),
        cmocka_unit_test_setup_teardown(test_x87_escape_raises_nm_with_em_and_ud_without, setup, teardown),
        cmocka_unit_test_setup_teardown(test_link_is_not_followed_after_cs_limit_changed_between_runs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invlpg_of_linked_code_fetches_through_the_new_mapping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invlpg_with_pse_of_linked_code_fetches_through_the_new_mapping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_jcc_inside_a_block_branches_or_falls_through, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fault_after_pushes_in_a_block_restores_esp_before_it, setup, teardown),
        cmocka_unit_test_setup_teardown(test_call_and_ret_in_blocks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_test_with_an_immediate_and_jcc_use_the_operand_size, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_on_if_returns_after_the_instruction_setting_if, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_wrapping_past_4g_in_a_flat_segment_raises_gp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rep_stos_and_overlapping_rep_movs_move_element_by_element, setup, teardown),
        cmocka_unit_test_setup_teardown(test_misaligned_cpl3_load_with_am_and_ac_raises_ac, setup, teardown),
    };
    return cmocka_run_group_tests_name("cpu core", tests, NULL, NULL);
}

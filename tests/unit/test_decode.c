/* The decoder (core/cpu/decode.c) and the disassembler (core/cpu/disasm.c):
 * lengths and decoded fields of representative encodings, what is #UD,
 * #GP (too long) or needs more bytes, and a few objdump texts. The
 * disassembler is checked against objdump wholesale by
 * tests/disasm/objdump_compare.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "cpu_internal.h"
#include "fixture.h"

/* A byte array argument and its size: decode32(BYTES(0x90)). */
#define BYTES(...) (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })

static struct insn in;

static int decode32(const uint8_t *b, size_t n) { return insn_decode(&in, b, n, true); }
static int decode16(const uint8_t *b, size_t n) { return insn_decode(&in, b, n, false); }

/* Decode b as 32-bit code at `eip` and return its text. */
static const char *text_at(uint32_t eip, const uint8_t *b, size_t n)
{
    static char buf[128];
    assert_int_equal(insn_decode(&in, b, n, true), DECODE_OK);
    int len = insn_disasm(&in, eip, buf, sizeof(buf));
    assert_int_equal(len, strlen(buf));
    return buf;
}
#define TEXT(...) text_at(0, BYTES(__VA_ARGS__))

/* ---- ModRM, SIB, displacement ---------------------------------------------- */

static void test_register_form_has_no_address(void **state)
{
    (void)state;
    assert_int_equal(decode32(BYTES(0x01, 0xd8)), DECODE_OK); /* add eax,ebx */
    assert_int_equal(in.len, 2);
    assert_int_equal(in.d.mnem, M_ADD);
    assert_int_equal(in.o[0].kind, OK_REG);
    assert_int_equal(in.o[0].reg, R_EAX);
    assert_int_equal(in.o[0].size, 4);
    assert_int_equal(in.o[1].kind, OK_REG);
    assert_int_equal(in.o[1].reg, R_EBX);
    assert_int_equal(in.ea_base, EA_NONE);
    assert_int_equal(in.disp_size, 0);
}

static void test_disp8_is_sign_extended(void **state)
{
    (void)state;
    assert_int_equal(decode32(BYTES(0x8b, 0x43, 0xfc)), DECODE_OK); /* mov eax,[ebx-4] */
    assert_int_equal(in.len, 3);
    assert_int_equal(in.o[1].kind, OK_MEM);
    assert_int_equal(in.o[1].size, 4);
    assert_int_equal(in.ea_base, R_EBX);
    assert_int_equal(in.ea_index, EA_NONE);
    assert_int_equal(in.disp_size, 1);
    assert_int_equal(in.disp, 0xfffffffc);
    assert_int_equal(in.seg, S_DS);
}

static void test_mod0_rm5_is_disp32_without_base(void **state)
{
    (void)state;
    assert_int_equal(decode32(BYTES(0x8b, 0x05, 0x78, 0x56, 0x34, 0x12)), DECODE_OK);
    assert_int_equal(in.len, 6);
    assert_int_equal(in.ea_base, EA_NONE);
    assert_int_equal(in.ea_index, EA_NONE);
    assert_int_equal(in.disp, 0x12345678);
}

static void test_sib_gives_base_index_and_scale(void **state)
{
    (void)state;
    assert_int_equal(decode32(BYTES(0x8b, 0x44, 0xb3, 0x10)), DECODE_OK); /* [ebx+esi*4+0x10] */
    assert_int_equal(in.len, 4);
    assert_true(in.has_sib);
    assert_int_equal(in.ea_base, R_EBX);
    assert_int_equal(in.ea_index, R_ESI);
    assert_int_equal(in.ea_scale, 2);
    assert_int_equal(in.disp, 0x10);
}

static void test_sib_without_base_and_index_is_disp32(void **state)
{
    (void)state;
    assert_int_equal(decode32(BYTES(0x8b, 0x04, 0x25, 0x78, 0x56, 0x34, 0x12)), DECODE_OK);
    assert_int_equal(in.len, 7);
    assert_int_equal(in.ea_base, EA_NONE);
    assert_int_equal(in.ea_index, EA_NONE);
    assert_int_equal(in.disp, 0x12345678);
}

static void test_esp_and_ebp_bases_default_to_ss(void **state)
{
    (void)state;
    assert_int_equal(decode32(BYTES(0x8b, 0x04, 0x24)), DECODE_OK); /* [esp] */
    assert_int_equal(in.ea_base, R_ESP);
    assert_int_equal(in.ea_index, EA_NONE);
    assert_int_equal(in.seg, S_SS);
    assert_int_equal(decode32(BYTES(0x8b, 0x45, 0x00)), DECODE_OK); /* [ebp+0] */
    assert_int_equal(in.len, 3);
    assert_int_equal(in.seg, S_SS);
}

static void test_addr16_uses_the_16_bit_table(void **state)
{
    (void)state;
    assert_int_equal(decode32(BYTES(0x67, 0x8b, 0x42, 0x7f)), DECODE_OK); /* [bp+si+0x7f] */
    assert_int_equal(in.len, 4);
    assert_int_equal(in.asize, 2);
    assert_int_equal(in.ea_base, R_EBP);
    assert_int_equal(in.ea_index, R_ESI);
    assert_int_equal(in.seg, S_SS);
    assert_int_equal(in.disp, 0x7f);
    assert_int_equal(decode16(BYTES(0x8b, 0x06, 0x34, 0x12)), DECODE_OK); /* [0x1234] */
    assert_int_equal(in.len, 4);
    assert_int_equal(in.ea_base, EA_NONE);
    assert_int_equal(in.disp, 0x1234);
    assert_int_equal(decode16(BYTES(0x8b, 0x87, 0x00, 0x80)), DECODE_OK); /* [bx-0x8000] */
    assert_int_equal(in.disp, 0xffff8000);
}

static void test_segment_override_last_one_wins(void **state)
{
    (void)state;
    assert_int_equal(decode32(BYTES(0x26, 0x2e, 0x8b, 0x45, 0x00)), DECODE_OK);
    assert_int_equal(in.seg, S_CS);
    assert_true(in.prefix & P_SEG);
    assert_int_equal(in.npfx, 2);
    assert_int_equal(in.pfx[0], 0x26);
    assert_int_equal(in.pfx[1], 0x2e);
}

static void test_mov_cr_ignores_modrm_mod(void **state)
{
    (void)state;
    /* mod = 0, rm = 5 would mean disp32 elsewhere; MOV CR reads a register. */
    assert_int_equal(decode32(BYTES(0x0f, 0x20, 0x05)), DECODE_OK);
    assert_int_equal(in.len, 3);
    assert_int_equal(in.o[0].kind, OK_REG);
    assert_int_equal(in.o[0].reg, R_EBP);
    assert_int_equal(in.o[1].kind, OK_CREG);
    assert_int_equal(decode32(BYTES(0x0f, 0x23, 0x04)), DECODE_OK); /* mov dr0,esp */
    assert_int_equal(in.len, 3);
}

/* ---- Operand size and immediates -------------------------------------------- */

static void test_operand_size_prefix_shortens_immediate(void **state)
{
    (void)state;
    assert_int_equal(decode32(BYTES(0x66, 0xb8, 0x34, 0x12)), DECODE_OK); /* mov ax,0x1234 */
    assert_int_equal(in.len, 4);
    assert_int_equal(in.osize, 2);
    assert_int_equal(in.o[0].size, 2);
    assert_int_equal(in.imm, 0x1234);
    assert_int_equal(decode16(BYTES(0x66, 0xb8, 0x78, 0x56, 0x34, 0x12)), DECODE_OK);
    assert_int_equal(in.len, 6);
    assert_int_equal(in.osize, 4);
    assert_int_equal(in.imm, 0x12345678);
}

static void test_immediates_of_each_form(void **state)
{
    (void)state;
    assert_int_equal(decode32(BYTES(0x83, 0xc0, 0xff)), DECODE_OK); /* Ibs */
    assert_int_equal(in.imm, 0xffffffff);
    assert_int_equal(in.o[1].size, 4);
    assert_int_equal(decode32(BYTES(0x80, 0xc0, 0xff)), DECODE_OK); /* Ib */
    assert_int_equal(in.imm, 0xff);
    assert_int_equal(decode32(BYTES(0xc2, 0x04, 0x80)), DECODE_OK); /* Iw */
    assert_int_equal(in.imm, 0x8004);
    assert_int_equal(decode32(BYTES(0xc8, 0x10, 0x00, 0x01)), DECODE_OK); /* enter Iw,Ib */
    assert_int_equal(in.len, 4);
    assert_int_equal(in.imm, 0x10);
    assert_int_equal(in.imm2, 1);
    assert_int_equal(decode32(BYTES(0xea, 0x34, 0x12, 0x00, 0x00, 0x10, 0x00)), DECODE_OK); /* Ap */
    assert_int_equal(in.o[0].kind, OK_FARPTR);
    assert_int_equal(in.imm, 0x1234);
    assert_int_equal(in.imm2, 0x10);
    assert_int_equal(decode32(BYTES(0xeb, 0xfe)), DECODE_OK); /* Jb */
    assert_int_equal(in.imm, 0xfffffffe);
    assert_int_equal(decode32(BYTES(0xa1, 0x78, 0x56, 0x34, 0x12)), DECODE_OK); /* moffs */
    assert_int_equal(in.disp, 0x12345678);
    assert_int_equal(decode32(BYTES(0x67, 0xa1, 0x34, 0x12)), DECODE_OK);
    assert_int_equal(in.len, 4);
    assert_int_equal(decode32(BYTES(0xc7, 0x84, 0x24, 0x00, 0x01, 0x00, 0x00, 0x78, 0x56, 0x34, 0x12)),
                     DECODE_OK); /* SIB, disp32 and imm32 */
    assert_int_equal(in.len, 11);
    assert_int_equal(in.disp, 0x100);
    assert_int_equal(in.imm, 0x12345678);
}

/* ---- Groups and undefined encodings ---------------------------------------- */

static void test_group_row_chosen_by_modrm_reg(void **state)
{
    (void)state;
    assert_int_equal(decode32(BYTES(0xf7, 0xd8)), DECODE_OK);
    assert_int_equal(in.d.mnem, M_NEG);
    assert_int_equal(decode32(BYTES(0xf7, 0xc0, 0x01, 0x00, 0x00, 0x00)), DECODE_OK);
    assert_int_equal(in.d.mnem, M_TEST);
    assert_int_equal(in.len, 6);
    assert_int_equal(decode32(BYTES(0xff, 0x18)), DECODE_OK); /* call far [eax] */
    assert_int_equal(in.d.mnem, M_CALLF);
    assert_int_equal(in.o[0].size, 6);
    assert_int_equal(decode32(BYTES(0xc1, 0xe0, 0x04)), DECODE_OK);
    assert_int_equal(in.d.mnem, M_SHL);
    assert_int_equal(in.imm, 4);
}

static void test_group_holes_are_ud(void **state)
{
    (void)state;
    assert_int_equal(decode32(BYTES(0xff, 0xf8)), DECODE_UD);       /* FF /7 */
    assert_int_equal(decode32(BYTES(0x0f, 0xba, 0xc0, 0x01)), DECODE_UD); /* 0F BA /0 */
    assert_int_equal(decode32(BYTES(0xc6, 0xc8, 0x00)), DECODE_UD); /* C6 /1 */
    assert_int_equal(decode32(BYTES(0x0f, 0x01, 0x28)), DECODE_UD); /* 0F 01 /5 */
}

static void test_lock_needs_lockable_memory_destination(void **state)
{
    (void)state;
    assert_int_equal(decode32(BYTES(0xf0, 0x01, 0x03)), DECODE_OK);  /* lock add [ebx],eax */
    assert_int_equal(decode32(BYTES(0xf0, 0x01, 0xd8)), DECODE_UD);  /* register destination */
    assert_int_equal(decode32(BYTES(0xf0, 0x39, 0x03)), DECODE_UD);  /* CMP is not lockable */
    assert_int_equal(decode32(BYTES(0xf0, 0x8b, 0x03)), DECODE_UD);  /* MOV is not lockable */
    assert_int_equal(decode32(BYTES(0xf0, 0x0f, 0xc7, 0x08)), DECODE_OK); /* cmpxchg8b */
    assert_int_equal(decode32(BYTES(0xf0, 0x0f, 0xba, 0x28, 0x01)), DECODE_OK); /* bts [eax],1 */
    assert_int_equal(decode32(BYTES(0xf0, 0x0f, 0xba, 0x20, 0x01)), DECODE_UD); /* bt */
}

static void test_memory_only_forms_with_register_are_ud(void **state)
{
    (void)state;
    assert_int_equal(decode32(BYTES(0x8d, 0xc0)), DECODE_UD);       /* lea eax,eax */
    assert_int_equal(decode32(BYTES(0xc4, 0xc0)), DECODE_UD);       /* les */
    assert_int_equal(decode32(BYTES(0x62, 0xc0)), DECODE_UD);       /* bound */
    assert_int_equal(decode32(BYTES(0x0f, 0x01, 0xd0)), DECODE_UD); /* lgdt */
    assert_int_equal(decode32(BYTES(0xff, 0xd8)), DECODE_UD);       /* call far */
    assert_int_equal(decode32(BYTES(0x0f, 0xc7, 0xc8)), DECODE_UD); /* cmpxchg8b */
}

static void test_prefixes_naming_newer_instructions_are_ud(void **state)
{
    (void)state;
    assert_int_equal(decode32(BYTES(0xf2, 0x0f, 0xbc, 0xc0)), DECODE_UD);
    assert_int_equal(decode32(BYTES(0xf3, 0xf2, 0x0f, 0xbd, 0xc0)), DECODE_UD);
    assert_int_equal(decode32(BYTES(0x66, 0x0f, 0xbc, 0xc0)), DECODE_OK); /* bsf ax,ax */
    assert_int_equal(decode32(BYTES(0xf3, 0x0f, 0xbc, 0xc0)), DECODE_OK); /* tzcnt: BSF here */
    assert_int_equal(decode32(BYTES(0x66, 0x0f, 0x09)), DECODE_UD);
    assert_int_equal(decode32(BYTES(0xf2, 0x0f, 0x09)), DECODE_UD);
    assert_int_equal(decode32(BYTES(0xf3, 0x66, 0x0f, 0x09)), DECODE_OK); /* wbnoinvd */
}

static void test_fifteen_bytes_is_the_limit(void **state)
{
    (void)state;
    uint8_t b[16];
    memset(b, 0x3e, sizeof(b));
    b[14] = 0x90; /* 14 prefixes and NOP: 15 bytes */
    assert_int_equal(decode32(b, 15), DECODE_OK);
    assert_int_equal(in.len, 15);
    b[14] = 0x3e;
    b[15] = 0x90;
    assert_int_equal(decode32(b, 16), DECODE_TOO_LONG);
    assert_int_equal(decode32(BYTES(0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0xc7, 0x84, 0x24, 0x00, 0x01, 0x00,
                                    0x00, 0x78, 0x56, 0x34, 0x12)),
                     DECODE_TOO_LONG); /* 11 bytes of MOV behind 5 prefixes */
}

static void test_truncated_buffer_is_short(void **state)
{
    (void)state;
    assert_int_equal(decode32(BYTES(0x8b, 0x43)), DECODE_SHORT);
    assert_int_equal(decode32(BYTES(0xb8, 0x34, 0x12)), DECODE_SHORT);
    assert_int_equal(decode32(BYTES(0x0f)), DECODE_SHORT);
    assert_int_equal(decode32(BYTES(0x66)), DECODE_SHORT);
    assert_int_equal(insn_decode(&in, NULL, 0, true), DECODE_SHORT);
    uint8_t b[14];
    memset(b, 0x3e, sizeof(b)); /* 14 prefixes: the opcode could still follow */
    assert_int_equal(decode32(b, sizeof(b)), DECODE_SHORT);
}

/* ---- The same through the CPU ----------------------------------------------- */

static struct fixture fx;

static int setup(void **state)
{
    (void)state;
    return fx_init(&fx);
}

static int teardown(void **state)
{
    (void)state;
    fx_fini(&fx);
    return 0;
}

static void test_fifteen_byte_insn_across_a_page_runs(void **state)
{
    (void)state;
    uint8_t code[15];
    memset(code, 0x3e, sizeof(code));
    code[14] = 0x90;
    fx_write(&fx, 0x1ff8, code, sizeof(code)); /* crosses into the page at 0x2000 */
    fx.cpu.eip = 0x1ff8;
    assert_int_equal(cpu_step(&fx.cpu), CPU_EXIT_BUDGET);
    assert_int_equal(fx.cpu.eip, 0x1ff8 + 15);
}

static void test_sixteen_byte_insn_raises_gp(void **state)
{
    (void)state;
    uint8_t code[16];
    memset(code, 0x3e, sizeof(code));
    code[15] = 0x90;
    assert_int_equal(fx_run_code(&fx, code, sizeof(code)), CPU_EXIT_EXCEPTION);
    assert_int_equal(fx.cpu.exc.vector, VEC_GP);
    assert_int_equal(fx.cpu.exc.error, 0);
    assert_int_equal(fx.cpu.eip, FX_CODE);
}

static void test_lock_on_register_raises_ud(void **state)
{
    (void)state;
    static const uint8_t code[] = { 0xf0, 0x01, 0xd8 };
    assert_int_equal(fx_run_code(&fx, code, sizeof(code)), CPU_EXIT_EXCEPTION);
    assert_int_equal(fx.cpu.exc.vector, VEC_UD);
    assert_int_equal(fx.cpu.eip, FX_CODE);
}

/* ---- Disassembly ---------------------------------------------------------------- */

static void test_disasm_memory_operands(void **state)
{
    (void)state;
    assert_string_equal(TEXT(0x8b, 0x43, 0x04), "mov    eax,DWORD PTR [ebx+0x4]");
    assert_string_equal(TEXT(0x8b, 0x44, 0x24, 0xfc), "mov    eax,DWORD PTR [esp-0x4]");
    assert_string_equal(TEXT(0x8d, 0xb4, 0x26, 0x00, 0x00, 0x00, 0x00), "lea    esi,[esi+eiz*1+0x0]");
    assert_string_equal(TEXT(0x8b, 0x05, 0xfc, 0xff, 0xff, 0xff), "mov    eax,DWORD PTR ds:0xfffffffc");
    assert_string_equal(TEXT(0x26, 0x88, 0x07), "mov    BYTE PTR es:[edi],al");
    assert_string_equal(TEXT(0x67, 0x66, 0x8b, 0x42, 0xfe), "mov    ax,WORD PTR [bp+si-0x2]");
    assert_string_equal(TEXT(0x0f, 0x01, 0x10), "lgdtd  [eax]");
    assert_string_equal(TEXT(0xff, 0x28), "jmp    FWORD PTR [eax]");
}

static void test_disasm_prefix_words(void **state)
{
    (void)state;
    assert_string_equal(TEXT(0xf0, 0x01, 0x03), "lock add DWORD PTR [ebx],eax");
    assert_string_equal(TEXT(0xf3, 0xa5), "rep movs DWORD PTR es:[edi],DWORD PTR ds:[esi]");
    assert_string_equal(TEXT(0xf3, 0xa6), "repz cmps BYTE PTR ds:[esi],BYTE PTR es:[edi]");
    assert_string_equal(TEXT(0x66, 0x66, 0x90), "data16 xchg ax,ax");
    assert_string_equal(TEXT(0xf3, 0x90), "pause");
    assert_string_equal(TEXT(0x2e, 0x74, 0x00), "cs je  0x3");
    assert_string_equal(TEXT(0xf2, 0xc3), "bnd ret");
    assert_string_equal(TEXT(0x3e, 0xff, 0xd0), "notrack call eax");
    assert_string_equal(TEXT(0xf2, 0xf0, 0x01, 0x03), "xacquire lock add DWORD PTR [ebx],eax");
}

static void test_disasm_size_dependent_mnemonics(void **state)
{
    (void)state;
    assert_string_equal(TEXT(0x98), "cwde");
    assert_string_equal(TEXT(0x66, 0x98), "cbw");
    assert_string_equal(TEXT(0x66, 0x9c), "pushfw");
    assert_string_equal(TEXT(0x66, 0x6a, 0xff), "pushw  0xffff");
    assert_string_equal(TEXT(0x67, 0xe3, 0x00), "jcxz   0x3");
    assert_string_equal(TEXT(0x67, 0xe2, 0x00), "addr16 loop 0x3");
    assert_string_equal(TEXT(0x66, 0xcc), "data16 int3");
}

static void test_disasm_branch_targets(void **state)
{
    (void)state;
    assert_string_equal(text_at(0x1000, BYTES(0xe8, 0xfb, 0xff, 0xff, 0xff)), "call   0x1000");
    assert_string_equal(text_at(0x12340, BYTES(0x66, 0xe9, 0x00, 0x00)), "jmpw   0x2344");
    assert_string_equal(text_at(0x1000, BYTES(0x74, 0x80)), "je     0xf82");
    assert_string_equal(TEXT(0xea, 0x34, 0x12, 0x00, 0x00, 0x10, 0x00), "jmp    0x10:0x1234");
}

static void test_disasm_cuts_text_like_snprintf(void **state)
{
    (void)state;
    char small[8];
    assert_int_equal(decode32(BYTES(0x8b, 0x43, 0x04)), DECODE_OK);
    assert_int_equal(insn_disasm(&in, 0, small, sizeof(small)), 30);
    assert_string_equal(small, "mov    ");
    assert_int_equal(insn_disasm(&in, 0, NULL, 0), 30);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_register_form_has_no_address),
        cmocka_unit_test(test_disp8_is_sign_extended),
        cmocka_unit_test(test_mod0_rm5_is_disp32_without_base),
        cmocka_unit_test(test_sib_gives_base_index_and_scale),
        cmocka_unit_test(test_sib_without_base_and_index_is_disp32),
        cmocka_unit_test(test_esp_and_ebp_bases_default_to_ss),
        cmocka_unit_test(test_addr16_uses_the_16_bit_table),
        cmocka_unit_test(test_segment_override_last_one_wins),
        cmocka_unit_test(test_mov_cr_ignores_modrm_mod),
        cmocka_unit_test(test_operand_size_prefix_shortens_immediate),
        cmocka_unit_test(test_immediates_of_each_form),
        cmocka_unit_test(test_group_row_chosen_by_modrm_reg),
        cmocka_unit_test(test_group_holes_are_ud),
        cmocka_unit_test(test_lock_needs_lockable_memory_destination),
        cmocka_unit_test(test_memory_only_forms_with_register_are_ud),
        cmocka_unit_test(test_prefixes_naming_newer_instructions_are_ud),
        cmocka_unit_test(test_fifteen_bytes_is_the_limit),
        cmocka_unit_test(test_truncated_buffer_is_short),
        cmocka_unit_test_setup_teardown(test_fifteen_byte_insn_across_a_page_runs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sixteen_byte_insn_raises_gp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_on_register_raises_ud, setup, teardown),
        cmocka_unit_test(test_disasm_memory_operands),
        cmocka_unit_test(test_disasm_prefix_words),
        cmocka_unit_test(test_disasm_size_dependent_mnemonics),
        cmocka_unit_test(test_disasm_branch_targets),
        cmocka_unit_test(test_disasm_cuts_text_like_snprintf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The visualizer's decoding and drawing (visualizer/viz_decode.c,
 * viz_grid.c, viz_headless.c's key scripts): what the panes say about
 * addresses, page-table entries, flags and segments, how guest memory is
 * read for display without side effects, and the character grid. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "vlab/mem.h"
#include "vlab/vm.h"

#include "viz_ui.h"

/* ---- Addresses and entries ------------------------------------------------------- */

static void test_split_gives_directory_table_and_offset(void **state)
{
    (void)state;
    struct viz_split s = viz_split_lin(0x40004abcu);
    assert_int_equal(s.dir, 256);
    assert_int_equal(s.table, 4);
    assert_int_equal(s.offset, 0xabc);
    assert_int_equal(s.offset4m, 0x4abc);
    s = viz_split_lin(0xffffffffu);
    assert_int_equal(s.dir, 1023);
    assert_int_equal(s.table, 1023);
    assert_int_equal(s.offset, 0xfff);
}

static void test_lin_bits_are_grouped_10_10_12(void **state)
{
    (void)state;
    char bits[35];
    viz_lin_bits(0x40004abcu, bits);
    assert_string_equal(bits, "0100000000 0000000100 101010111100");
    viz_lin_bits(0x00400000u, bits); /* dir 1: the lowest bit of the first group */
    assert_string_equal(bits, "0000000001 0000000000 000000000000");
}

static void test_pte_flags_keep_their_columns(void **state)
{
    (void)state;
    char f[48];
    assert_string_equal(viz_pte_flags(0x0011e027u, true, f, sizeof(f)), "P R/W U/S --- --- A - -- -");
    assert_string_equal(viz_pte_flags(0x000001e3u, true, f, sizeof(f)), "P R/W --- --- --- A D PS G");
    assert_string_equal(viz_pte_flags(0x00000080u, false, f, sizeof(f)), "- --- --- --- --- - - PAT -");
    assert_string_equal(viz_pte_flags(0x0000001fu, false, f, sizeof(f)), "P R/W U/S PWT PCD - - --- -");
    assert_string_equal(viz_pte_flags(0, true, f, sizeof(f)), "- --- --- --- --- - - -- -");
}

static void test_eflags_text_names_the_set_flags_and_iopl(void **state)
{
    (void)state;
    char t[64];
    assert_string_equal(viz_eflags_text(0x246u, t, sizeof(t)), "PF ZF IF IOPL=0");
    assert_string_equal(viz_eflags_text(0x3002u, t, sizeof(t)), "- IOPL=3");
    assert_string_equal(viz_eflags_text(EFLAGS_CF | EFLAGS_OF | EFLAGS_DF | EFLAGS_TF | EFLAGS_SF | EFLAGS_AF, t,
                                        sizeof(t)), "CF AF SF TF DF OF IOPL=0");
}

static void test_control_registers_name_their_bits(void **state)
{
    (void)state;
    char t[64];
    assert_string_equal(viz_cr0_text(0x80010011u, t, sizeof(t)), "PE ET WP PG");
    assert_string_equal(viz_cr4_text(0x90u, t, sizeof(t)), "PSE PGE");
    assert_string_equal(viz_cr4_text(0, t, sizeof(t)), "-");
}

static void test_pf_error_in_words(void **state)
{
    (void)state;
    char t[96];
    assert_string_equal(viz_pf_error_text(0x4, t, sizeof(t)), "not present, read, user");
    assert_string_equal(viz_pf_error_text(0x7, t, sizeof(t)), "protection violation, write, user");
    assert_string_equal(viz_pf_error_text(0x2, t, sizeof(t)), "not present, write, supervisor");
}

static void test_segment_text_shows_the_cached_descriptor(void **state)
{
    (void)state;
    char t[96];
    struct seg code = { .sel = 0x1b, .base = 0, .limit = 0xffffffffu,
                        .ar = 0xb | SEG_AR_S | (3 << SEG_AR_DPL_SHIFT) | SEG_AR_P | SEG_AR_DB | SEG_AR_G };
    assert_string_equal(viz_seg_text(&code, t, sizeof(t)), "base 00000000 limit ffffffff code r-x   DPL 3");
    struct seg data16 = { .base = 0x1000, .limit = 0xffff, .ar = 0x3 | SEG_AR_S | SEG_AR_P };
    assert_string_equal(viz_seg_text(&data16, t, sizeof(t)), "base 00001000 limit 0000ffff data rw-   DPL 0 16-bit");
    struct seg null = { .ar = SEG_AR_UNUSABLE };
    assert_string_equal(viz_seg_text(&null, t, sizeof(t)), "unusable (null selector)");
}

/* ---- Guest memory for display ----------------------------------------------------- */

#define PD 0x10000u
#define PT 0x11000u
#define FRAME 0x20000u

/* A machine with paging on: linear 0x00400000 -> FRAME (present), 0x00401000
 * not present. */
static struct vm *paged_vm(void)
{
    struct vm *vm = calloc(1, sizeof(*vm));
    assert_non_null(vm);
    assert_int_equal(vm_init(vm, 4u << 20, NULL), 0);
    uint32_t pde = PT | PTE_P | PTE_W, pte = FRAME | PTE_P | PTE_W, zero = 0;
    physmem_write(&vm->mem, PD + 1 * 4, &pde, 4);
    physmem_write(&vm->mem, PT + 0 * 4, &pte, 4);
    physmem_write(&vm->mem, PT + 1 * 4, &zero, 4);
    physmem_write(&vm->mem, FRAME + 0xffe, "\x90\xc3", 2);
    vm->cpu.cr3 = PD;
    vm->cpu.cr0 |= CR0_PG;
    return vm;
}

static void free_vm(struct vm *vm)
{
    vm_destroy(vm);
    free(vm);
}

static void test_read_lin_translates_and_marks_unmapped_bytes(void **state)
{
    (void)state;
    struct vm *vm = paged_vm();
    uint8_t buf[4];
    bool ok[4];
    assert_int_equal(viz_read_lin(vm, 0x00400ffeu, buf, ok, 4), 2); /* crosses into the absent page */
    assert_true(ok[0] && ok[1]);
    assert_false(ok[2] || ok[3]);
    assert_int_equal(buf[0], 0x90);
    assert_int_equal(buf[1], 0xc3);
    free_vm(vm);
}

static void test_read_lin_sets_no_accessed_bits(void **state)
{
    (void)state;
    struct vm *vm = paged_vm();
    uint8_t b;
    bool ok;
    viz_read_lin(vm, 0x00400000u, &b, &ok, 1);
    assert_true(ok);
    uint32_t pde, pte;
    physmem_read(&vm->mem, PD + 4, &pde, 4);
    physmem_read(&vm->mem, PT, &pte, 4);
    assert_int_equal(pde & PTE_A, 0);
    assert_int_equal(pte & PTE_A, 0);
    free_vm(vm);
}

static void test_disasm_shows_question_marks_where_nothing_is_mapped(void **state)
{
    (void)state;
    struct vm *vm = paged_vm();
    vm->cpu.eip = 0x00400ffeu; /* nop; ret; then the absent page */
    struct viz_insn_line lines[4];
    unsigned at;
    unsigned n = viz_disasm_around(vm, 0, 3, lines, &at);
    assert_int_equal(n, 3);
    assert_int_equal(at, 0);
    assert_string_equal(lines[0].text, "nop");
    assert_string_equal(lines[1].text, "ret");
    assert_int_equal(lines[2].eip, 0x00401000u);
    assert_false(lines[2].readable);
    assert_string_equal(lines[2].text, "??");
    free_vm(vm);
}

static void test_disasm_finds_the_instructions_before_eip(void **state)
{
    (void)state;
    struct vm *vm = paged_vm();
    /* mov eax,1 (5 bytes); inc eax; then EIP */
    physmem_write(&vm->mem, FRAME + 0x100, "\xb8\x01\x00\x00\x00\x40\x90", 7);
    vm->cpu.eip = 0x00400106u;
    struct viz_insn_line lines[5];
    unsigned at;
    viz_disasm_around(vm, 2, 4, lines, &at);
    assert_int_equal(at, 2);
    assert_int_equal(lines[0].eip, 0x00400100u);
    assert_string_equal(lines[0].text, "mov    eax,0x1");
    assert_string_equal(lines[1].text, "inc    eax");
    assert_int_equal(lines[2].eip, 0x00400106u);
    assert_string_equal(lines[2].text, "nop");
    free_vm(vm);
}

/* ---- The grid and key scripts ---------------------------------------------------- */

static void test_grid_clips_to_its_rectangle(void **state)
{
    (void)state;
    struct viz_grid g;
    assert_int_equal(viz_grid_init(&g, 10, 3), 0);
    struct viz_surf all = viz_surf_of(&g);
    struct viz_surf box = viz_surf_sub(&all, 2, 1, 4, 2);
    viz_put(&box, 0, 0, 0, "abcdefgh");  /* only "abcd" fits */
    viz_put(&box, -1, 1, 0, "xyz");      /* starts left of the box: "yz" */
    viz_put(&box, 0, 5, 0, "never");     /* below it */
    assert_memory_equal(&g.cell[1 * 10 + 2].ch, "a", 1);
    char line[11];
    for (int x = 0; x < 10; x++)
        line[x] = g.cell[10 + x].ch;
    line[10] = '\0';
    assert_string_equal(line, "  abcd    ");
    for (int x = 0; x < 10; x++)
        line[x] = g.cell[20 + x].ch;
    assert_string_equal(line, "  yz      ");
    viz_grid_free(&g);
}

static void test_grid_dump_trims_trailing_blanks(void **state)
{
    (void)state;
    struct viz_grid g;
    assert_int_equal(viz_grid_init(&g, 8, 3), 0);
    struct viz_surf all = viz_surf_of(&g);
    viz_box(&all, 0, '-', "t");
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    viz_grid_dump(&g, f);
    fclose(f);
    assert_string_equal(text, "+- t --+\n|      |\n+------+\n");
    free(text);
    viz_grid_free(&g);
}

static void test_key_script_names_and_characters(void **state)
{
    (void)state;
    int keys[16];
    char err[200];
    int n = viz_parse_keys("g1<enter><lt><space><dump>", keys, 16, err, sizeof(err));
    assert_int_equal(n, 6);
    assert_int_equal(keys[0], 'g');
    assert_int_equal(keys[1], '1');
    assert_int_equal(keys[2], VK_ENTER);
    assert_int_equal(keys[3], '<');
    assert_int_equal(keys[4], ' ');
    assert_int_equal(keys[5], VK_DUMP);
}

static void test_key_script_errors_say_what(void **state)
{
    (void)state;
    int keys[4];
    char err[200];
    assert_int_equal(viz_parse_keys("<foo>", keys, 4, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "unknown key <foo>"));
    assert_int_equal(viz_parse_keys("s<enter", keys, 4, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "no closing '>'"));
    assert_int_equal(viz_parse_keys("sssss", keys, 4, err, sizeof(err)), -1);
}

static void test_panes_are_found_by_name(void **state)
{
    (void)state;
    assert_int_equal(viz_pane_by_name("walk"), VIZ_PANE_WALK);
    assert_int_equal(viz_pane_by_name("tour"), VIZ_PANE_TOUR);
    assert_int_equal(viz_pane_by_name("nope"), -1);
    /* The walkthrough's pane numbers are ours. */
    assert_int_equal((int)WALK_PANE_CONSOLE, (int)VIZ_PANE_CONSOLE);
    assert_string_equal(viz_panes[WALK_PANE_REGS].name, "regs");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_gives_directory_table_and_offset),
        cmocka_unit_test(test_lin_bits_are_grouped_10_10_12),
        cmocka_unit_test(test_pte_flags_keep_their_columns),
        cmocka_unit_test(test_eflags_text_names_the_set_flags_and_iopl),
        cmocka_unit_test(test_control_registers_name_their_bits),
        cmocka_unit_test(test_pf_error_in_words),
        cmocka_unit_test(test_segment_text_shows_the_cached_descriptor),
        cmocka_unit_test(test_read_lin_translates_and_marks_unmapped_bytes),
        cmocka_unit_test(test_read_lin_sets_no_accessed_bits),
        cmocka_unit_test(test_disasm_shows_question_marks_where_nothing_is_mapped),
        cmocka_unit_test(test_disasm_finds_the_instructions_before_eip),
        cmocka_unit_test(test_grid_clips_to_its_rectangle),
        cmocka_unit_test(test_grid_dump_trims_trailing_blanks),
        cmocka_unit_test(test_key_script_names_and_characters),
        cmocka_unit_test(test_key_script_errors_say_what),
        cmocka_unit_test(test_panes_are_found_by_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

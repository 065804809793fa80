/* The page walk of 32-bit paging (core/mmu/walk.c, SDM Vol. 3, 4.3-4.8),
 * called directly: the walk record, accessed and dirty bits, permissions
 * with CR0.WP, 4 MiB pages with CR4.PSE, global pages with CR4.PGE, and
 * the #PF error codes. Lab 1, part 2. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>

#include "vlab/cpu.h"
#include "vlab/mem.h"
#include "vlab/mmu.h"

#define RAM (8u << 20)
#define PD 0x10000u       /* the page directory (CR3) */
#define PT 0x11000u       /* the page table of PDE 1 (linear 0x00400000-0x007fffff) */
#define LIN 0x00405123u   /* PDE 1, PTE 5, offset 0x123 */
#define FRAME 0x00300000u /* where LIN's page is */
#define BIG_LIN 0x00c01234u   /* PDE 3: a 4 MiB page */
#define BIG_FRAME 0x00400000u
#define CR0_PAGING (CR0_PE | CR0_PG)

static int setup(void **state)
{
    struct physmem *pm = malloc(sizeof(*pm));
    if (!pm || physmem_init(pm, RAM) != 0) {
        free(pm);
        return -1;
    }
    *state = pm;
    return 0;
}

static int teardown(void **state)
{
    physmem_destroy(*state);
    free(*state);
    return 0;
}

static uint32_t rd(struct physmem *pm, gpa_t at)
{
    uint32_t v = 0;
    assert_int_equal(physmem_read(pm, at, &v, 4), 0);
    return v;
}

static void wr(struct physmem *pm, gpa_t at, uint32_t v)
{
    assert_int_equal(physmem_write(pm, at, &v, 4), 0);
}

static gpa_t pde_at(gva_t lin) { return PD + 4 * (lin >> 22); }
static gpa_t pte_at(gva_t lin) { return PT + 4 * ((lin >> 12) & 0x3ff); }

/* LIN mapped through PT with the given PDE and PTE permission bits. */
static void map_4k(struct physmem *pm, uint32_t pde_bits, uint32_t pte_bits)
{
    wr(pm, pde_at(LIN), PT | PTE_P | pde_bits);
    wr(pm, pte_at(LIN), FRAME | PTE_P | pte_bits);
}

static bool walk(struct physmem *pm, uint32_t cr0, uint32_t cr4, gva_t lin, unsigned access,
                 struct mmu_walk *w)
{
    return mmu_walk(pm, cr0, PD, cr4, lin, access, w);
}

static void assert_fault(const struct mmu_walk *w, uint32_t error)
{
    assert_true(w->fault);
    assert_int_equal(w->error, error);
}

static void test_walk_4k_page_translates_and_records_both_steps(void **state)
{
    struct physmem *pm = *state;
    map_4k(pm, PTE_W | PTE_U, PTE_W | PTE_U);
    struct mmu_walk w;
    assert_true(walk(pm, CR0_PAGING, 0, LIN, 0, &w));
    assert_false(w.fault);
    assert_int_equal(w.pa, FRAME | 0x123);
    assert_false(w.large);
    assert_int_equal(w.lin, LIN);
    assert_int_equal(w.nsteps, 2);
    assert_int_equal(w.step[0].table, PD);
    assert_int_equal(w.step[0].index, 1);
    assert_int_equal(w.step[0].entry, PT | PTE_P | PTE_W | PTE_U);
    assert_int_equal(w.step[1].table, PT);
    assert_int_equal(w.step[1].index, 5);
    assert_int_equal(w.step[1].entry, FRAME | PTE_P | PTE_W | PTE_U);
}

static void test_walk_read_sets_accessed_bits_but_not_dirty(void **state)
{
    struct physmem *pm = *state;
    map_4k(pm, PTE_W, PTE_W);
    struct mmu_walk w;
    assert_true(walk(pm, CR0_PAGING, 0, LIN, 0, &w));
    assert_int_equal(rd(pm, pde_at(LIN)), PT | PTE_P | PTE_W | PTE_A);
    assert_int_equal(rd(pm, pte_at(LIN)), FRAME | PTE_P | PTE_W | PTE_A);
}

static void test_walk_write_sets_dirty_in_the_pte_only(void **state)
{
    struct physmem *pm = *state;
    map_4k(pm, PTE_W, PTE_W);
    struct mmu_walk w;
    assert_true(walk(pm, CR0_PAGING, 0, LIN, MMU_WRITE, &w));
    assert_int_equal(rd(pm, pde_at(LIN)), PT | PTE_P | PTE_W | PTE_A);
    assert_int_equal(rd(pm, pte_at(LIN)), FRAME | PTE_P | PTE_W | PTE_A | PTE_D);
}

static void test_walk_step_records_the_entry_before_the_accessed_bit(void **state)
{
    struct physmem *pm = *state;
    map_4k(pm, PTE_W, PTE_W);
    struct mmu_walk w;
    assert_true(walk(pm, CR0_PAGING, 0, LIN, MMU_WRITE, &w));
    assert_int_equal(w.step[0].entry & (PTE_A | PTE_D), 0);
    assert_int_equal(w.step[1].entry & (PTE_A | PTE_D), 0);
}

static void test_walk_not_present_pde_faults_after_one_step(void **state)
{
    struct physmem *pm = *state;
    struct mmu_walk w;
    assert_false(walk(pm, CR0_PAGING, 0, LIN, 0, &w));
    assert_fault(&w, 0);
    assert_int_equal(w.nsteps, 1);
    assert_int_equal(w.step[0].table, PD);
    assert_int_equal(w.step[0].index, 1);
}

static void test_walk_not_present_pte_reports_write_and_user_in_the_error(void **state)
{
    struct physmem *pm = *state;
    wr(pm, pde_at(LIN), PT | PTE_P | PTE_W | PTE_U);
    struct mmu_walk w;
    assert_false(walk(pm, CR0_PAGING, 0, LIN, MMU_WRITE | MMU_USER, &w));
    assert_fault(&w, PF_W | PF_U);
    assert_int_equal(w.nsteps, 2);
    assert_int_equal(w.step[1].index, 5);
}

static void test_walk_user_read_of_a_supervisor_page_is_a_protection_fault(void **state)
{
    struct physmem *pm = *state;
    map_4k(pm, PTE_W | PTE_U, PTE_W);
    struct mmu_walk w;
    assert_false(walk(pm, CR0_PAGING, 0, LIN, MMU_USER, &w));
    assert_fault(&w, PF_P | PF_U);
}

static void test_walk_user_bit_must_be_set_at_both_levels(void **state)
{
    struct physmem *pm = *state;
    map_4k(pm, PTE_W, PTE_W | PTE_U);
    struct mmu_walk w;
    assert_false(walk(pm, CR0_PAGING, 0, LIN, MMU_USER, &w));
    assert_fault(&w, PF_P | PF_U);
}

static void test_walk_user_write_needs_rw_at_both_levels(void **state)
{
    struct physmem *pm = *state;
    map_4k(pm, PTE_U, PTE_W | PTE_U);
    struct mmu_walk w;
    assert_true(walk(pm, CR0_PAGING, 0, LIN, MMU_USER, &w));
    assert_false(w.writable);
    assert_false(walk(pm, CR0_PAGING, 0, LIN, MMU_USER | MMU_WRITE, &w));
    assert_fault(&w, PF_P | PF_W | PF_U);
}

static void test_walk_supervisor_write_to_read_only_page_faults_only_with_cr0_wp(void **state)
{
    struct physmem *pm = *state;
    map_4k(pm, PTE_W, 0);
    struct mmu_walk w;
    assert_true(walk(pm, CR0_PAGING, 0, LIN, MMU_WRITE, &w));
    assert_true(w.writable);
    map_4k(pm, PTE_W, 0);
    assert_false(walk(pm, CR0_PAGING | CR0_WP, 0, LIN, MMU_WRITE, &w));
    assert_fault(&w, PF_P | PF_W);
}

static void test_walk_faulting_walk_sets_no_accessed_or_dirty_bit(void **state)
{
    struct physmem *pm = *state;
    map_4k(pm, PTE_U, PTE_U);
    struct mmu_walk w;
    assert_false(walk(pm, CR0_PAGING, 0, LIN, MMU_USER | MMU_WRITE, &w));
    assert_int_equal(rd(pm, pde_at(LIN)), PT | PTE_P | PTE_U);
    assert_int_equal(rd(pm, pte_at(LIN)), FRAME | PTE_P | PTE_U);
}

static void test_walk_fetch_is_checked_as_a_read(void **state)
{
    struct physmem *pm = *state;
    map_4k(pm, PTE_U, PTE_U);
    struct mmu_walk w;
    assert_true(walk(pm, CR0_PAGING | CR0_WP, 0, LIN, MMU_FETCH | MMU_USER, &w));
    assert_int_equal(w.pa, FRAME | 0x123);
}

static void test_walk_4m_page_with_pse_takes_one_step_and_sets_dirty_in_the_pde(void **state)
{
    struct physmem *pm = *state;
    wr(pm, pde_at(BIG_LIN), BIG_FRAME | PTE_P | PTE_W | PTE_PS);
    struct mmu_walk w;
    assert_true(walk(pm, CR0_PAGING, CR4_PSE, BIG_LIN, MMU_WRITE, &w));
    assert_true(w.large);
    assert_int_equal(w.nsteps, 1);
    assert_int_equal(w.pa, BIG_FRAME | 0x1234);
    assert_int_equal(rd(pm, pde_at(BIG_LIN)), BIG_FRAME | PTE_P | PTE_W | PTE_PS | PTE_A | PTE_D);
}

static void test_walk_4m_page_offset_takes_22_bits(void **state)
{
    struct physmem *pm = *state;
    wr(pm, pde_at(BIG_LIN), BIG_FRAME | PTE_P | PTE_PS);
    struct mmu_walk w;
    assert_true(walk(pm, CR0_PAGING, CR4_PSE, (BIG_LIN & 0xffc00000u) | 0x3ffffcu, 0, &w));
    assert_int_equal(w.pa, BIG_FRAME | 0x3ffffcu);
}

static void test_walk_ps_bit_is_ignored_without_cr4_pse(void **state)
{
    struct physmem *pm = *state;
    /* Without PSE the PDE's frame is a page table: PT, whose entry 5 maps FRAME. */
    wr(pm, pde_at(LIN), PT | PTE_P | PTE_PS);
    wr(pm, pte_at(LIN), FRAME | PTE_P);
    struct mmu_walk w;
    assert_true(walk(pm, CR0_PAGING, 0, LIN, 0, &w));
    assert_false(w.large);
    assert_int_equal(w.nsteps, 2);
    assert_int_equal(w.pa, FRAME | 0x123);
}

static void test_walk_user_access_to_supervisor_4m_page_faults(void **state)
{
    struct physmem *pm = *state;
    wr(pm, pde_at(BIG_LIN), BIG_FRAME | PTE_P | PTE_W | PTE_PS);
    struct mmu_walk w;
    assert_false(walk(pm, CR0_PAGING, CR4_PSE, BIG_LIN, MMU_USER, &w));
    assert_fault(&w, PF_P | PF_U);
    assert_int_equal(w.nsteps, 1);
}

static void test_walk_global_needs_the_g_bit_and_cr4_pge(void **state)
{
    struct physmem *pm = *state;
    map_4k(pm, 0, PTE_G);
    struct mmu_walk w;
    assert_true(walk(pm, CR0_PAGING, 0, LIN, 0, &w));
    assert_false(w.global);
    assert_true(walk(pm, CR0_PAGING, CR4_PGE, LIN, 0, &w));
    assert_true(w.global);
    map_4k(pm, PTE_G, 0); /* G in a PDE that points to a page table does not count */
    assert_true(walk(pm, CR0_PAGING, CR4_PGE, LIN, 0, &w));
    assert_false(w.global);
}

static void test_walk_page_table_outside_ram_is_not_present(void **state)
{
    struct physmem *pm = *state;
    wr(pm, pde_at(LIN), 0xf0000000u | PTE_P | PTE_W);
    struct mmu_walk w;
    assert_false(walk(pm, CR0_PAGING, 0, LIN, MMU_WRITE, &w));
    assert_fault(&w, PF_W);
    assert_int_equal(w.nsteps, 2);
    assert_int_equal(w.step[1].entry, 0);
}

static void test_walk_directory_outside_ram_is_not_present(void **state)
{
    struct physmem *pm = *state;
    struct mmu_walk w;
    assert_false(mmu_walk(pm, CR0_PAGING, 0xf0000000u, 0, LIN, 0, &w));
    assert_fault(&w, 0);
    assert_int_equal(w.nsteps, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_walk_4k_page_translates_and_records_both_steps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_walk_read_sets_accessed_bits_but_not_dirty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_walk_write_sets_dirty_in_the_pte_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_walk_step_records_the_entry_before_the_accessed_bit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_walk_not_present_pde_faults_after_one_step, setup, teardown),
        cmocka_unit_test_setup_teardown(test_walk_not_present_pte_reports_write_and_user_in_the_error, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_walk_user_read_of_a_supervisor_page_is_a_protection_fault, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_walk_user_bit_must_be_set_at_both_levels, setup, teardown),
        cmocka_unit_test_setup_teardown(test_walk_user_write_needs_rw_at_both_levels, setup, teardown),
        cmocka_unit_test_setup_teardown(test_walk_supervisor_write_to_read_only_page_faults_only_with_cr0_wp, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_walk_faulting_walk_sets_no_accessed_or_dirty_bit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_walk_fetch_is_checked_as_a_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_walk_4m_page_with_pse_takes_one_step_and_sets_dirty_in_the_pde, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_walk_4m_page_offset_takes_22_bits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_walk_ps_bit_is_ignored_without_cr4_pse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_walk_user_access_to_supervisor_4m_page_faults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_walk_global_needs_the_g_bit_and_cr4_pge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_walk_page_table_outside_ram_is_not_present, setup, teardown),
        cmocka_unit_test_setup_teardown(test_walk_directory_outside_ram_is_not_present, setup, teardown),
    };
    return cmocka_run_group_tests_name("mmu", tests, NULL, NULL);
}

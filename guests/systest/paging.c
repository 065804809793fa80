/* paging.c - 32-bit paging: page faults and their error codes, CR0.WP,
 * the accessed and dirty bits, INVLPG, CR3 reloads and 4 MiB pages.
 *
 * SDM Vol. 3A, chapter 4: 4.3 (32-bit paging, Figure 4-4 for the entry
 * formats), 4.6 (access rights: U/S, R/W, CR0.WP), 4.7 (the page-fault
 * error code, Figure 4-12), 4.8 (accessed and dirty flags), 4.10.4
 * (INVLPG and CR3 loads invalidate TLB entries).
 *
 * The address space (linear = physical wherever mapped):
 *
 *   0x00000000 - 0x003fffff  identity, 4 KiB pages, user, writable
 *   0x00400000 - 0x00405fff  one test page each, see enum test_page
 *   0x00800000               PDE not present
 *   0x00c00000 - 0x00ffffff  one 4 MiB page (PSE) onto physical 0
 *   0x01000000               PDE supervisor, PTE user   -> page A
 *   0x01400000               PDE read-only, PTE writable -> page A
 *
 * A 32-bit page-directory or page-table entry (Figure 4-4):
 *
 *   31                  12 11  9 8 7   6 5 4   3   2   1   0
 *  +----------------------+-----+-+---+-+-+---+---+---+---+-+
 *  |  page frame address  | AVL |G|PS |D|A|PCD|PWT|U/S|R/W|P|
 *  +----------------------+-----+-+---+-+-+---+---+---+---+-+
 *   (PS in a PDE: a 4 MiB page; in a PTE bit 7 is PAT.)
 *
 * The page-fault error code (Figure 4-12): bit 0 P (1: protection
 * violation, 0: not present), bit 1 W/R (write), bit 2 U/S (CPL 3). CR2
 * holds the linear address.
 */
#include "systest.h"

#define PG_P 0x001
#define PG_W 0x002
#define PG_U 0x004
#define PG_A 0x020
#define PG_D 0x040
#define PG_PS 0x080
#define PAGE 4096u

static volatile uint32_t page_dir[1024] __attribute__((aligned(PAGE)));
static volatile uint32_t pt_identity[1024] __attribute__((aligned(PAGE)));
static volatile uint32_t pt_test[1024] __attribute__((aligned(PAGE)));
static volatile uint32_t pt_user[1024] __attribute__((aligned(PAGE)));
static volatile uint32_t page_a[1024] __attribute__((aligned(PAGE)));
static volatile uint32_t page_b[1024] __attribute__((aligned(PAGE)));

#define MARK_A 0xaaaa0001u
#define MARK_B 0xbbbb0002u

#define VA_TEST 0x00400000u
enum test_page {
    T_NOT_PRESENT, /* PTE not present */
    T_RO_SUPER,    /* read-only, supervisor -> page A */
    T_AD,          /* writable, user, A = D = 0 -> page B */
    T_RW_SUPER,    /* writable, supervisor -> page B */
    T_RO_USER,     /* read-only, user -> page A */
    T_REMAP,       /* writable, user; INVLPG checks change it */
};
#define VA(t) (VA_TEST + (uint32_t)(t) * PAGE)
#define VA_NO_PDE 0x00800000u
#define VA_BIG 0x00c00000u
#define VA_SUPER_PDE 0x01000000u
#define VA_RO_PDE 0x01400000u

static uint32_t phys(const volatile void *p)
{
    return (uint32_t)p;
}

static void build_tables(void)
{
    for (uint32_t i = 0; i < 1024; i++) {
        pt_identity[i] = i * PAGE | PG_U | PG_W | PG_P;
        pt_test[i] = 0;
        pt_user[i] = 0;
        page_dir[i] = 0;
    }
    pt_test[T_RO_SUPER] = phys(page_a) | PG_P;
    pt_test[T_AD] = phys(page_b) | PG_U | PG_W | PG_P;
    pt_test[T_RW_SUPER] = phys(page_b) | PG_W | PG_P;
    pt_test[T_RO_USER] = phys(page_a) | PG_U | PG_P;
    pt_test[T_REMAP] = phys(page_a) | PG_U | PG_W | PG_P;
    pt_user[0] = phys(page_a) | PG_U | PG_W | PG_P;

    page_dir[0] = phys(pt_identity) | PG_U | PG_W | PG_P;
    page_dir[VA_TEST >> 22] = phys(pt_test) | PG_U | PG_W | PG_P;
    page_dir[VA_BIG >> 22] = 0x00000000 | PG_PS | PG_U | PG_W | PG_P;
    page_dir[VA_SUPER_PDE >> 22] = phys(pt_user) | PG_W | PG_P;
    page_dir[VA_RO_PDE >> 22] = phys(pt_user) | PG_U | PG_P;
    page_a[0] = MARK_A;
    page_b[0] = MARK_B;
}

static void probe_read(uint32_t va)
{
    uint32_t v = 0;
    PROBE("", "movl (%[a]), %[v]", "", : [v] "+r"(v) : [a] "r"(va) : "memory");
}

static void probe_write(uint32_t va)
{
    PROBE("", "movl %[v], (%[a])", "", : : [v] "r"(0x5a5a5a5a), [a] "r"(va) : "memory");
}

static uint32_t read_va(uint32_t va)
{
    return *(volatile uint32_t *)va;
}

/* MOV to CR0 with PG = 1 and PE = 0 -> #GP(0) (MOV CR, Vol. 2B). Tried
 * here, with CR3 pointing at a valid identity map and paging still off: a
 * CPU that wrongly accepts the write (QEMU 7.2 does) is then in real mode
 * with paging on but goes on through the same identity-mapped code until
 * the probe restores CR0, instead of running off through garbage tables. */
static void check_pg_without_pe(void)
{
    uint32_t now = 0;
    PROBE("", "mov %[v], %%cr0", "mov %%cr0, %[now]\n\tmov %[base], %%cr0",
          : [now] "=&r"(now) : [v] "r"(CR0_PG | CR0_ET), [base] "r"(CR0_BASE) : "memory");
    check_ok("cr0_pg_without_pe", "#GP(0000)", "cr0=%08x", now);
}

static void enable_paging(void)
{
    write_cr3(phys(page_dir));
    check_pg_without_pe();
    write_cr4(CR4_PSE);
    write_cr0(CR0_BASE | CR0_PG);
    check("paging_on", "cr0=80000011 cr3=pd", "cr0=%08x cr3=%s", read_cr0(),
          read_cr3() == phys(page_dir) ? "pd" : "other");
}

/* Page faults at CPL 0. A fetch from a not-present page faults with EIP
 * and CR2 both at the page (no I/D bit in the error code without PAE+NX
 * or SMEP, 4.7). */
static void check_kernel_faults(void)
{
    probe_read(VA(T_NOT_PRESENT) + 0x10);
    check_fault("pf_read_not_present", "#PF(0000) cr2=00400010");
    probe_write(VA(T_NOT_PRESENT) + 0x20);
    check_fault("pf_write_not_present", "#PF(0002) cr2=00400020");
    probe_read(VA_NO_PDE + 0x30);
    check_fault("pf_read_pde_not_present", "#PF(0000) cr2=00800030");

    PROBE("", "jmp *%[t]", "", : : [t] "r"(VA(T_NOT_PRESENT)) : "memory");
    check("pf_fetch_not_present", "#PF(0000) cr2=00400000 eip=00400000", "#PF(%04x) cr2=%08x eip=%08x",
          fault.error, fault.cr2, fault.eip);

    probe_read(VA(T_RO_SUPER) + 4);
    check_fault("pf_read_read_only", "ok");
}

/* CR0.WP (2.5 and 4.6): with WP = 0, supervisor writes ignore R/W; with
 * WP = 1 a supervisor write to a read-only page faults with P and W set. */
static void check_write_protect(void)
{
    probe_write(VA(T_RO_SUPER) + 8);
    check_ok("wp0_write_read_only_page", "ok landed=yes", "landed=%s", page_a[2] == 0x5a5a5a5a ? "yes" : "no");
    probe_write(VA_RO_PDE + 8);
    check_fault("wp0_write_read_only_pde", "ok");

    write_cr0(CR0_BASE | CR0_PG | CR0_WP);
    probe_write(VA(T_RO_SUPER) + 0xc);
    check_fault("wp1_write_read_only_page", "#PF(0003) cr2=0040100c");
    probe_write(VA_RO_PDE + 0xc);
    check_fault("wp1_write_read_only_pde", "#PF(0003) cr2=0140000c");
    probe_write(VA(T_RW_SUPER) + 0xc);
    check_fault("wp1_write_writable_page", "ok");
    write_cr0(CR0_BASE | CR0_PG);
}

/* The CPU sets A in the PDE and PTE it uses, and D in the PTE (or the
 * 4 MiB PDE) of a page it writes (4.8). */
static void check_accessed_dirty(void)
{
    volatile uint32_t *pte = &pt_test[T_AD];
    check("pte_before_access", "a=0 d=0", "a=%u d=%u", (*pte & PG_A) != 0, (*pte & PG_D) != 0);
    probe_read(VA(T_AD));
    check_ok("pte_after_read", "ok a=1 d=0", "a=%u d=%u", (*pte & PG_A) != 0, (*pte & PG_D) != 0);
    probe_write(VA(T_AD) + 4);
    check_ok("pte_after_write", "ok a=1 d=1", "a=%u d=%u", (*pte & PG_A) != 0, (*pte & PG_D) != 0);
    check("pde_after_use", "a=1", "a=%u", (page_dir[VA_TEST >> 22] & PG_A) != 0);

    /* A 4 MiB page (CR4.PSE = 1, PS = 1 in the PDE): the PDE maps it
     * directly and gets A and D itself (4.3, Table 4-4). */
    volatile uint32_t *big = &page_dir[VA_BIG >> 22];
    uint32_t v = read_va(VA_BIG + phys(page_b));
    check("pse_4m_page_read", "val=bbbb0002 a=1 d=0", "val=%08x a=%u d=%u", v, (*big & PG_A) != 0,
          (*big & PG_D) != 0);
    *(volatile uint32_t *)(VA_BIG + phys(page_b) + 0x10) = 1;
    check("pse_4m_page_write", "a=1 d=1", "a=%u d=%u", (*big & PG_A) != 0, (*big & PG_D) != 0);
}

/* The TLB may keep a stale translation after a PTE changes; INVLPG of the
 * page, or a CR3 load (for non-global pages), drops it (4.10.4.1). Only
 * the state after the invalidation is architectural, so only it is
 * printed. */
static void check_tlb(void)
{
    volatile uint32_t *pte = &pt_test[T_REMAP];
    check("tlb_before_remap", "val=aaaa0001", "val=%08x", read_va(VA(T_REMAP)));
    *pte = phys(page_b) | PG_U | PG_W | PG_P;
    __asm__ volatile("invlpg (%0)" : : "r"(VA(T_REMAP)) : "memory");
    check("invlpg_sees_new_frame", "val=bbbb0002", "val=%08x", read_va(VA(T_REMAP)));

    *pte = 0;
    __asm__ volatile("invlpg (%0)" : : "r"(VA(T_REMAP)) : "memory");
    probe_read(VA(T_REMAP));
    check_fault("invlpg_sees_unmap", "#PF(0000) cr2=00405000");

    *pte = phys(page_a) | PG_U | PG_W | PG_P;
    write_cr3(read_cr3());
    check("cr3_reload_sees_new_frame", "val=aaaa0001", "val=%08x", read_va(VA(T_REMAP)));
}

/* A #PF whose gate is not present: #NP while delivering a page fault is a
 * contributory exception after a page fault, so: double fault (Table 6-5). */
static void check_pf_double_fault(void)
{
    struct desc saved = idt[14];
    desc_set_access(&idt[14], desc_access(&idt[14]) & 0x7f);
    probe_read(VA_NO_PDE);
    idt[14] = saved;
    check_fault("double_fault_pf_then_np", "#DF(0000)");
}

/* ---- ring 3 (user.c explains run_user) ---- */

static volatile uint32_t user_va;

static void u_read(void)
{
    probe_read(user_va);
    user_exit();
}

static void u_write(void)
{
    probe_write(user_va);
    user_exit();
}

static void check_user_faults(void)
{
    static const struct {
        const char *name;
        void (*fn)(void);
        uint32_t va;
        const char *expect;
    } rows[] = {
        { "r3_pf_read_not_present", u_read, VA(T_NOT_PRESENT), "#PF(0004) cr2=00400000" },
        { "r3_pf_write_not_present", u_write, VA(T_NOT_PRESENT) + 8, "#PF(0006) cr2=00400008" },
        { "r3_pf_read_supervisor_page", u_read, VA(T_RW_SUPER), "#PF(0005) cr2=00403000" },
        { "r3_pf_write_supervisor_page", u_write, VA(T_RW_SUPER) + 4, "#PF(0007) cr2=00403004" },
        { "r3_read_user_read_only", u_read, VA(T_RO_USER), "ok" },
        { "r3_pf_write_user_read_only", u_write, VA(T_RO_USER) + 4, "#PF(0007) cr2=00404004" },
        { "r3_pf_read_supervisor_pde", u_read, VA_SUPER_PDE, "#PF(0005) cr2=01000000" },
        { "r3_pf_write_read_only_pde", u_write, VA_RO_PDE + 4, "#PF(0007) cr2=01400004" },
        { "r3_read_read_only_pde", u_read, VA_RO_PDE, "ok" },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        user_va = rows[i].va;
        fault_reset();
        run_user(rows[i].fn, USER_IOPL0, &user_flat);
        check_fault(rows[i].name, rows[i].expect);
    }
}

void check_paging(void)
{
    build_tables();
    enable_paging();
    check_kernel_faults();
    check_write_protect();
    check_accessed_dirty();
    check_tlb();
    check_pf_double_fault();
    check_user_faults();
}

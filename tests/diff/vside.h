/*
 * vside -- the vlab half of the differential tester: one machine whose CPU
 * runs sequences at CPL 3 in the same linear layout native32 gives them on
 * the host, and reports the result in the host's terms (the signal Linux
 * would deliver) so that both sides compare field by field.
 *
 *   linear                          guest physical   PTE
 *   N32_ARENA_BASE + 0x0000 .. 0xefff   0x10000 ..      user, writable
 *   N32_ARENA_BASE + 0xf000 (page 15)   -               not present
 *   N32_CODE_BASE  (GEN_CODE_PAGES)     0x20000 ..      user, writable (self-
 *                                                       modifying code)
 *   VSIDE_TSS                           0x04000         supervisor (the TSS)
 */
#ifndef VLAB_TESTS_DIFF_VSIDE_H
#define VLAB_TESTS_DIFF_VSIDE_H

#include <stdbool.h>
#include <stdint.h>

#include "native32.h"
#include "vlab/cpu.h"
#include "vlab/mem.h"

#define VSIDE_ARENA_PAGES (N32_ARENA_PAGES - 1) /* the last one stays unmapped */

/* What a run left, in the host's terms; both sides fill one. */
struct outcome {
    uint32_t r[8];      /* N32_EAX .. N32_EDI */
    uint32_t eflags;
    uint32_t eip;
    int signo, trapno;  /* 0, 0 when the sequence ran to its end */
    uint32_t err, addr; /* as struct n32_fault */
    const char *stop;   /* vlab only: why it stopped elsewhere ("left the
                           sequence", "step limit", "hlt"), else NULL */
};

struct vside {
    struct physmem mem;
    struct bus bus;
    struct cpu cpu;
    uint8_t *arena[VSIDE_ARENA_PAGES]; /* host pointers to the arena's pages */
    uint32_t *arena_pte;               /* their page-table entries */
    size_t code_used;                  /* bytes of the code page written last run */
};

/* Build the machine. Returns 0 or a negative errno. */
int vside_init(struct vside *v);
void vside_fini(struct vside *v);

/* Run `len` bytes of code at N32_CODE_BASE from registers r[] and EFLAGS
 * 0x202 | (eflags & N32_EFLAGS_IN_MASK), at CPL 3, instruction by
 * instruction until EIP reaches the end, an exception, or the step limit.
 * The arena is whatever the caller left in v->arena[]. */
void vside_run(struct vside *v, const uint8_t *code, size_t len, const uint32_t r[8],
               uint32_t eflags, struct outcome *out);

/* The arena pages the last run wrote to (their PTE dirty bits), as a bit
 * mask; clears the bits for the next run. */
uint32_t vside_dirty_pages(struct vside *v);

#endif /* VLAB_TESTS_DIFF_VSIDE_H */

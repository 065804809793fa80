/*
 * gen -- the differential tester's sequence generator.
 *
 * A sequence is a few IA-32 instructions plus the state they start from:
 * registers, arithmetic flags and DF, and a few arena bytes. The same
 * sequence runs natively (native32) and on vlab's CPU (vside), and
 * difftest compares what is left.
 *
 * Sequences are drawn from a table of templates, one row per instruction
 * form ("adc r/m8, imm8", "shld r/m32, r32, cl", "rep cmpsd" ...). A row
 * knows how to emit one random instance of its form and which EFLAGS bits
 * the SDM leaves undefined after it (they are not compared). A directed
 * sequence is one instance of one template; a mixed sequence draws 1..8
 * templates at random and chains them.
 *
 * Every memory access a sequence makes lands in the arena (or, for the
 * templates that test page faults, in its unmapped last page): the
 * registers an address is built from are given their values by the
 * sequence's initial state (directed) or by a `mov reg, imm32` placed just
 * before the instruction (mixed). ESP always points into the arena.
 *
 * One sequence in ten starts with a jmp to just before offset 4096 (int3
 * in between), so that its instructions straddle the boundary between the
 * code's first and second pages.
 */
#ifndef VLAB_TESTS_DIFF_GEN_H
#define VLAB_TESTS_DIFF_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "native32.h"

/*
 * The arena as both sides see it (linear addresses):
 *
 *   N32_ARENA_BASE            +0x0000 .. +0xefff   15 pages, user, read/write
 *   GEN_STACK                 +0x8000              initial ESP, about
 *   GEN_GUARD                 +0xf000 .. +0xffff   not present: #PF tests
 */
#define GEN_GUARD (N32_ARENA_BASE + (N32_ARENA_PAGES - 1) * 4096u)
#define GEN_MAPPED_SIZE (GEN_GUARD - N32_ARENA_BASE)
#define GEN_STACK (N32_ARENA_BASE + 0x8000u)

#define GEN_CODE_PAGES 2   /* the code may cross into a second page */
#define GEN_CODE_MAX 5120  /* bytes of code in one sequence */
#define GEN_PATCH_MAX 24   /* arena values set before a directed run */
#define GEN_MIX_MAX 8      /* templates drawn for one mixed sequence */

/* One value written into the arena before the run. */
struct gen_patch {
    uint32_t addr;   /* linear address in the arena */
    uint32_t value;  /* little-endian, `size` bytes of it */
    uint8_t size;    /* 1, 2 or 4 */
};

struct seq {
    uint8_t code[GEN_CODE_MAX];
    size_t len;
    uint32_t r[8];        /* initial registers, N32_EAX .. N32_EDI */
    uint32_t eflags;      /* initial CF PF AF ZF SF OF and DF */
    uint32_t undef;       /* EFLAGS bits undefined at the end: not compared */
    struct gen_patch patch[GEN_PATCH_MAX];
    unsigned npatch;
    uint16_t tmpl[GEN_MIX_MAX]; /* the templates it was drawn from, in order */
    unsigned ntmpl;
    bool mixed;
};

/* The template table. */
unsigned gen_count(void);
const char *gen_name(unsigned t);
uint32_t gen_undef(unsigned t);   /* the row's undefined-flags mask */
const char *gen_kind(unsigned t); /* "", "fault", "directed" -- for --list */

/* Fill *s with one instance of template t (a directed sequence), or with a
 * mixed sequence, both determined by `seed`. */
void gen_directed(struct seq *s, unsigned t, uint64_t seed);
void gen_mixed(struct seq *s, uint64_t seed);

#endif /* VLAB_TESTS_DIFF_GEN_H */

/* vlab pt: the guest's page tables as a picture.
 *
 * A snapshot copies what a 32-bit paging walk can reach from CR3 (the page
 * directory and every page table a present 4 KiB directory entry points
 * to) out of guest physical memory at one moment of a run. pt_write() then
 * builds a graph of it with libcgraph,
 *
 *   CR3 -> page directory -> page tables -> frames
 *
 * collapsing long runs of similar entries into one row each, and writes it
 * as DOT, or lays it out with libgvc's `dot` engine and renders SVG or PNG.
 */
#ifndef VLAB_PT_H
#define VLAB_PT_H

#include <stddef.h>

#include "vlab/cpu.h"
#include "vlab/mem.h"
#include "vlab/mmu.h"

#define PT_ENTRIES 1024u

struct pt_snapshot {
    uint32_t cr0, cr3, cr4;
    uint64_t icount;              /* instructions retired at the snapshot */
    uint32_t pde[PT_ENTRIES];     /* the page directory (all zero when outside RAM) */
    uint32_t *pte[PT_ENTRIES];    /* the page table of each present 4 KiB PDE; NULL: none */
    bool pd_outside_ram;          /* CR3 points past the end of RAM */
    bool has_walk;                /* `walk` holds the last walk through this directory */
    bool walk_is_latest;          /* ... and no walk through another directory came later */
    struct mmu_walk walk;
    char point[160];              /* where in the run, one line for the title */
};

/* Copy the paging structures reachable from cpu->cr3 out of `pm`. A table
 * outside RAM reads as not present, as the MMU treats it. The walk and the
 * point are the caller's to fill in. Returns 0 or -ENOMEM (then
 * pt_snapshot_free() is still safe). */
int pt_snapshot_take(struct pt_snapshot *s, struct physmem *pm, const struct cpu *cpu);
void pt_snapshot_free(struct pt_snapshot *s);

/* Is the output format of `path` one pt_write() knows (by its extension:
 * .dot, .svg or .png)? */
bool pt_format_known(const char *path);

/* Draw the snapshot into the file `path`, the format chosen by its
 * extension. Returns 0; or a negative errno with one sentence in `err`
 * (-EINVAL: an unknown extension; -EIO: Graphviz could not write it). */
int pt_write(const struct pt_snapshot *s, const char *path, char *err, size_t errlen);

#endif

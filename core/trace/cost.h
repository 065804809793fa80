/* The cost model: simulated cycles charged for events.
 *
 * Simulated time is retired instructions (one cycle each) plus, for each
 * event below, its row of cost.c. It is a model, not a measurement: the
 * rows are rough magnitudes for a CPU of the 2000s, chosen so the labs can
 * reproduce, on one page, the comparisons of the literature (Adams & Agesen
 * 2006; Barham et al. 2003): which technique takes more traps, exits and
 * walks, and roughly what they cost. The later labs add rows for traps to
 * the monitor, VM exits, hypercalls and callouts.
 *
 * A system register load (a `sysreg` event) has no row: its cost is in what
 * it causes, the TLB flush and the walks after it, which are charged.
 */
#ifndef VLAB_TRACE_COST_H
#define VLAB_TRACE_COST_H

#include <stdint.h>

enum cost_item {
    COST_EXCEPTION,      /* an exception or INT n delivered through the IDT */
    COST_INTERRUPT,      /* an external interrupt acknowledged and delivered */
    COST_WALK_STEP,      /* one paging-structure entry read by a page walk */
    COST_TLB_FLUSH,      /* the whole TLB flushed (MOV CR3, CR0.PG/CR4 changes) */
    COST_TLB_FLUSH_PAGE, /* one page flushed (INVLPG) */
    COST_ITEMS
};

extern const uint32_t cost_cycles[COST_ITEMS];

#endif

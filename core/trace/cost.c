/* The cost model's table (see cost.h): a model, not a measurement. */
#include "cost.h"

const uint32_t cost_cycles[COST_ITEMS] = {
    /* Gate delivery: read the IDT and GDT entries, check, maybe switch to
     * the TSS stack, push a frame. A few hundred cycles on Pentium 4-class
     * cores, around a hundred on recent ones. */
    [COST_EXCEPTION] = 200,
    /* The same, plus the interrupt-acknowledge cycle with the controller. */
    [COST_INTERRUPT] = 250,
    /* One memory reference of the walker: tens of cycles when the entry is
     * in the data cache, a couple of hundred when it comes from DRAM. */
    [COST_WALK_STEP] = 30,
    /* The flush itself; the TLB misses that follow are charged as walks. */
    [COST_TLB_FLUSH] = 100,
    /* INVLPG: on the order of a hundred cycles. */
    [COST_TLB_FLUSH_PAGE] = 100,
};

/*
 * The template functions (tmpl_fn) of gen_forms.c and gen_flow.c, named
 * after the operand form they emit or the instruction kind they know.
 */
#ifndef VLAB_TESTS_DIFF_GEN_FORMS_H
#define VLAB_TESTS_DIFF_GEN_FORMS_H

#include "gen_internal.h"

/* Give the `size`-byte register `reg` (for size 1: AL..BH) the value v,
 * the rest of its 32-bit register random. */
void need_part(struct gen *g, unsigned reg, unsigned size, uint32_t v);

/* Generic operand forms (gen_forms.c): E = ModRM r/m, G = ModRM reg,
 * I = immediate of the operand size, Ib = sign-extended imm8, Z =
 * register in the opcode, A = accumulator. */
tmpl_fn gen_none, gen_eg, gen_ge, gen_ai, gen_e, gen_ei, gen_eib, gen_gei, gen_geib;
tmpl_fn gen_z, gen_zi, gen_moffs, gen_lea, gen_lea16, gen_nopl, gen_pause;
/* Instructions that need particular operands (gen_forms.c). */
tmpl_fn gen_setcc, gen_cmov, gen_shift, gen_shxd, gen_div, gen_bt, gen_bsf, gen_aam;
tmpl_fn gen_cmpxchg, gen_cmpxchg8b, gen_xlat;
/* Stack, branches, strings (gen_flow.c). */
tmpl_fn gen_pop_z, gen_push_rm, gen_pop_rm, gen_push_imm, gen_popf, gen_enter, gen_leave;
tmpl_fn gen_jmp_rel, gen_jcc, gen_branch_ind, gen_call_rel, gen_ret, gen_loop, gen_jecxz;
tmpl_fn gen_string, gen_string_pf, gen_string_a16, gen_smc_next, gen_smc_loop;
/* Faults (gen_flow.c). */
tmpl_fn gen_movcr, gen_io_imm, gen_int, gen_bound, gen_undefined, gen_lock_reg, gen_lock_bad;
tmpl_fn gen_pf_access, gen_pf_push, gen_pf_pop, gen_cs_store, gen_long_insn;
tmpl_fn gen_ac;

#endif /* VLAB_TESTS_DIFF_GEN_FORMS_H */

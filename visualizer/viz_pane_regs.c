/* The registers pane: general registers, EFLAGS decoded, the segment
 * registers with their cached descriptors, the descriptor-table and
 * control registers, and the code around EIP.
 *
 *   EAX 00000000  EBX 00000000  ECX 00000000  EDX 00000000
 *   ESI 00000000  EDI 00000000  EBP 00000000  ESP 0010bfd8
 *   EIP 0010208d  EFLAGS 00000246  PF ZF IF IOPL=0
 *   CS 0008 base 00000000 limit ffffffff code r-x    DPL 0
 *   ...
 *   > 0010208d  cf                    iret
 */
#include <inttypes.h>
#include <string.h>

#include "viz_ui.h"

static void draw_gprs(const struct cpu *cpu, const struct viz_surf *s)
{
    static const enum cpu_reg order[8] = { R_EAX, R_EBX, R_ECX, R_EDX, R_ESI, R_EDI, R_EBP, R_ESP };
    for (unsigned k = 0; k < 8; k++) {
        int x = (int)(k % 4) * 14, y = (int)(k / 4);
        x = viz_printf(s, x, y, VA_BOLD, "%c%c%c", cpu_reg_names[order[k]][0] & ~0x20,
                       cpu_reg_names[order[k]][1] & ~0x20, cpu_reg_names[order[k]][2] & ~0x20);
        viz_printf(s, x + 1, y, 0, "%08" PRIx32, cpu->r[order[k]]);
    }
}

static void draw_segs(const struct cpu *cpu, const struct viz_surf *s, int y)
{
    static const enum cpu_sreg order[6] = { S_CS, S_SS, S_DS, S_ES, S_FS, S_GS };
    char text[96];
    for (unsigned k = 0; k < 6; k++) {
        const struct seg *sg = &cpu->seg[order[k]];
        char name[3] = { (char)(cpu_sreg_names[order[k]][0] & ~0x20), (char)(cpu_sreg_names[order[k]][1] & ~0x20) };
        int x = viz_printf(s, 0, y + (int)k, VA_BOLD, "%-4s", name);
        x = viz_printf(s, x, y + (int)k, 0, "%04x ", sg->sel);
        viz_put(s, x, y + (int)k, 0, viz_seg_text(sg, text, sizeof(text)));
    }
    int x = viz_put(s, 0, y + 6, VA_BOLD, "TR  ");
    x = viz_printf(s, x, y + 6, 0, "%04x ", cpu->tr.sel);
    viz_put(s, x, y + 6, 0, viz_seg_text(&cpu->tr, text, sizeof(text)));
    x = viz_put(s, 0, y + 7, VA_BOLD, "GDTR");
    x = viz_printf(s, x + 1, y + 7, 0, "%08" PRIx32 "/%04x", cpu->gdtr.base, cpu->gdtr.limit);
    x = viz_put(s, x + 2, y + 7, VA_BOLD, "IDTR");
    x = viz_printf(s, x + 1, y + 7, 0, "%08" PRIx32 "/%04x", cpu->idtr.base, cpu->idtr.limit);
    x = viz_put(s, x + 2, y + 7, VA_BOLD, "LDTR");
    viz_printf(s, x + 1, y + 7, 0, "%04x", cpu->ldtr.sel);
}

static void draw_crs(const struct cpu *cpu, const struct viz_surf *s, int y)
{
    char text[64];
    int x = viz_put(s, 0, y, VA_BOLD, "CR0");
    x = viz_printf(s, x + 1, y, 0, "%08" PRIx32 " %s", cpu->cr0, viz_cr0_text(cpu->cr0, text, sizeof(text)));
    x = viz_put(s, x < 28 ? 28 : x + 2, y, VA_BOLD, "CR2");
    viz_printf(s, x + 1, y, 0, "%08" PRIx32, cpu->cr2);
    x = viz_put(s, 0, y + 1, VA_BOLD, "CR3");
    x = viz_printf(s, x + 1, y + 1, 0, "%08" PRIx32, cpu->cr3);
    x = viz_put(s, 28, y + 1, VA_BOLD, "CR4");
    viz_printf(s, x + 1, y + 1, 0, "%08" PRIx32 " %s", cpu->cr4, viz_cr4_text(cpu->cr4, text, sizeof(text)));
}

#define DISASM_MAX 64

static void draw_code(struct vm *vm, const struct viz_surf *s, int y)
{
    int rows = s->h - y - 1;
    if (rows <= 0)
        return;
    viz_printf(s, 0, y, VA_DIM, "code at CS:EIP (linear %08" PRIx32 ")", vm->cpu.seg[S_CS].base + vm->cpu.eip);
    struct viz_insn_line lines[DISASM_MAX];
    unsigned at, n = viz_disasm_around(vm, rows > 3 ? 2 : 0, rows < DISASM_MAX ? (unsigned)rows : DISASM_MAX,
                                       lines, &at);
    /* The instructions' text comes first: the bytes get the columns the
     * longest text leaves (at most 6 bytes, '+' when some are not shown). */
    int longest = 0;
    for (unsigned k = 0; k < n; k++)
        if ((int)strlen(lines[k].text) > longest)
            longest = (int)strlen(lines[k].text);
    int room = s->w - 12 - longest - 1, shown = room >= 19 ? 6 : room / 3 - 1;
    for (unsigned k = 0; k < n; k++) {
        const struct viz_insn_line *l = &lines[k];
        char bytes[32] = "";
        for (int b = 0; b < (int)l->len && b < shown; b++)
            snprintf(bytes + 3 * b, sizeof(bytes) - 3 * (size_t)b, "%02x ", l->bytes[b]);
        if (shown >= 0 && (int)l->len > shown)
            strcpy(bytes + 3 * shown - (shown == 6), "+");
        int width = room >= 19 ? 18 : shown >= 0 ? 3 * shown + 1 : 0;
        int row = y + 1 + (int)k;
        unsigned attr = k == at ? VA_BOLD | VA_REVERSE : 0;
        if (k == at)
            viz_paint(s, 0, row, s->w, attr);
        viz_printf(s, 0, row, attr, "%s %08" PRIx32 "  %-*s %s", k == at ? ">" : " ", l->eip, width,
                   l->readable ? bytes : "??", l->text);
    }
}

void viz_render_regs(struct viz_ui *ui, const struct viz_surf *s)
{
    struct cpu *cpu = &ui->v->vm->cpu;
    char text[96];
    draw_gprs(cpu, s);
    int x = viz_put(s, 0, 2, VA_BOLD, "EIP");
    x = viz_printf(s, x + 1, 2, VA_BOLD, "%08" PRIx32, cpu->eip);
    x = viz_put(s, x + 2, 2, VA_BOLD, "EFLAGS");
    uint32_t fl = cpu_eflags(cpu);
    viz_printf(s, x + 1, 2, 0, "%08" PRIx32 "  %s", fl, viz_eflags_text(fl, text, sizeof(text)));
    draw_segs(cpu, s, 3);
    draw_crs(cpu, s, 11);
    draw_code(ui->v->vm, s, 13);
}

/* vlab pt: the page tables of a snapshot as a Graphviz graph (see pt.h).
 *
 * The picture, left to right:
 *
 *   CR3 --> page directory --> page table --> frames
 *           (one row per run    (one row per run
 *            of entries)         of entries)
 *
 * A real address space has thousands of entries, so each table is drawn as
 * rows, each row a run of consecutive entries that are alike:
 *   - not present, whatever else their bits say;
 *   - present with the same permission bits (R/W, U/S, G, PCD, PWT) and
 *     frames that follow each other, so an identity map is one row; the
 *     accessed and dirty bits are left out, since they differ page by page;
 *   - directory entries whose page tables are each one such run, and
 *     continue each other: the kernel map in 4 KiB pages is one row too.
 * A page table that still has more than ROW_LIMIT rows (a process with
 * pages all over RAM) also merges neighbouring rows of the same
 * permissions into "scattered" rows.
 *
 * Colour says who may use an entry (supervisor blue, user green, not
 * present grey), a dashed edge a read-only one; the last page walk through
 * this directory is drawn in bold red with the entries it read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

#include "pt.h"

#define ROW_LIMIT 24u
#define PAGE_4K 0x1000u
#define PAGE_4M 0x400000u
#define FLAG_KEY (PTE_W | PTE_U | PTE_G | PTE_PCD | PTE_PWT) /* what makes entries alike */

#define COLOR_SUPER "#d6e4ff"
#define COLOR_USER "#d4f0d0"
#define COLOR_ABSENT "#eeeeee"
#define EDGE_SUPER "#1f4e9e"
#define EDGE_USER "#2e7d32"
#define COLOR_WALK "#e00000"

/* ---- The snapshot ----------------------------------------------------------- */

static bool read_table(struct physmem *pm, uint32_t pa, uint32_t *out)
{
    return physmem_read(pm, pa, out, PT_ENTRIES * sizeof(uint32_t)) == 0;
}

int pt_snapshot_take(struct pt_snapshot *s, struct physmem *pm, const struct cpu *cpu)
{
    s->cr0 = cpu->cr0;
    s->cr3 = cpu->cr3;
    s->cr4 = cpu->cr4;
    s->icount = cpu->icount;
    s->pd_outside_ram = !read_table(pm, cpu->cr3 & ~0xfffu, s->pde);
    if (s->pd_outside_ram)
        memset(s->pde, 0, sizeof(s->pde));
    for (unsigned d = 0; d < PT_ENTRIES; d++) {
        uint32_t e = s->pde[d];
        s->pte[d] = NULL;
        if (!(e & PTE_P) || ((e & PTE_PS) && (s->cr4 & CR4_PSE)))
            continue;
        s->pte[d] = malloc(PT_ENTRIES * sizeof(uint32_t));
        if (!s->pte[d])
            return -ENOMEM;
        if (!read_table(pm, e & ~0xfffu, s->pte[d])) {
            free(s->pte[d]);
            s->pte[d] = NULL;
        }
    }
    return 0;
}

void pt_snapshot_free(struct pt_snapshot *s)
{
    for (unsigned d = 0; d < PT_ENTRIES; d++) {
        free(s->pte[d]);
        s->pte[d] = NULL;
    }
}

/* ---- Runs of entries into rows ---------------------------------------------- */

enum row_kind {
    ROW_ABSENT,    /* not present */
    ROW_FRAMES,    /* present, mapping contiguous frames */
    ROW_SCATTERED, /* present, frames anywhere (merged to keep a table short) */
    ROW_TABLE,     /* a directory entry pointing to a page table */
    ROW_TABLES,    /* directory entries whose tables each map one contiguous run */
};

struct row {
    unsigned first, last; /* entry indices */
    enum row_kind kind;
    uint32_t flags;       /* the entries' FLAG_KEY bits */
    uint32_t lo, hi;      /* first and last frame (ROW_TABLE: the table's address) */
    uint32_t inner;       /* ROW_TABLES: the FLAG_KEY bits of the PTEs */
    unsigned present;     /* how many of the entries are present */
};

struct rows {
    unsigned n;
    struct row r[PT_ENTRIES];
};

/* Can row `b` (the next entry) extend row `a`? `page`: the size one entry maps. */
static bool continues(const struct row *a, const struct row *b, uint32_t page)
{
    if (a->kind != b->kind || a->last + 1 != b->first)
        return false;
    if (a->kind == ROW_ABSENT)
        return true;
    if (a->flags != b->flags || a->inner != b->inner)
        return false;
    if (a->kind == ROW_FRAMES)
        return b->lo == a->hi + page;
    return a->kind == ROW_TABLES && b->lo == a->hi + PAGE_4K;
}

static void add_row(struct rows *rs, const struct row *r, uint32_t page)
{
    struct row *prev = rs->n ? &rs->r[rs->n - 1] : NULL;
    if (prev && continues(prev, r, page)) {
        prev->last = r->last;
        prev->hi = r->hi;
        prev->present += r->present;
        return;
    }
    rs->r[rs->n++] = *r;
}

/* Merge present rows of the same permissions that follow each other into
 * "scattered" ones; with `gaps`, also across the not-present rows between
 * them. */
static void squeeze(struct rows *rs, bool gaps)
{
    unsigned n = 0;
    for (unsigned k = 0; k < rs->n; k++) {
        struct row *r = &rs->r[k], *prev = n ? &rs->r[n - 1] : NULL;
        struct row *gap = gaps && n >= 2 && prev->kind == ROW_ABSENT ? prev : NULL;
        if (gap)
            prev = &rs->r[n - 2];
        bool mergeable = prev && r->kind != ROW_ABSENT && prev->kind != ROW_ABSENT && prev->flags == r->flags;
        if (!mergeable) {
            rs->r[n++] = *r;
            continue;
        }
        if (gap)
            n--;
        prev->kind = ROW_SCATTERED;
        prev->last = r->last;
        prev->present += r->present;
        prev->lo = r->lo < prev->lo ? r->lo : prev->lo;
        prev->hi = r->hi > prev->hi ? r->hi : prev->hi;
    }
    rs->n = n;
}

static void table_rows(const uint32_t *pte, struct rows *rs)
{
    rs->n = 0;
    for (unsigned t = 0; t < PT_ENTRIES; t++) {
        uint32_t e = pte[t];
        struct row r = { .first = t, .last = t, .kind = ROW_ABSENT };
        if (e & PTE_P)
            r = (struct row){ .first = t, .last = t, .kind = ROW_FRAMES, .flags = e & FLAG_KEY,
                              .lo = e & ~0xfffu, .hi = e & ~0xfffu, .present = 1 };
        add_row(rs, &r, PAGE_4K);
    }
    if (rs->n > ROW_LIMIT)
        squeeze(rs, false);
    if (rs->n > ROW_LIMIT)
        squeeze(rs, true);
}

/* The row of one directory entry, before merging. */
static struct row dir_entry_row(const struct pt_snapshot *s, unsigned d, struct rows *scratch)
{
    uint32_t e = s->pde[d];
    struct row r = { .first = d, .last = d, .kind = ROW_ABSENT };
    if (!(e & PTE_P))
        return r;
    r.present = 1;
    r.flags = e & FLAG_KEY;
    r.lo = r.hi = e & ~0xfffu;
    if (!s->pte[d]) {
        r.kind = (e & PTE_PS) && (s->cr4 & CR4_PSE) ? ROW_FRAMES : ROW_TABLE;
        r.lo = r.hi = r.kind == ROW_FRAMES ? e & 0xffc00000u : r.lo;
        return r;
    }
    table_rows(s->pte[d], scratch);
    r.kind = ROW_TABLE;
    if (scratch->n == 1 && scratch->r[0].kind == ROW_FRAMES) {
        r.kind = ROW_TABLES;
        r.lo = scratch->r[0].lo;
        r.hi = scratch->r[0].hi;
        r.inner = scratch->r[0].flags;
    }
    return r;
}

static void dir_rows(const struct pt_snapshot *s, struct rows *rs, struct rows *scratch)
{
    rs->n = 0;
    for (unsigned d = 0; d < PT_ENTRIES; d++) {
        struct row r = dir_entry_row(s, d, scratch);
        add_row(rs, &r, PAGE_4M);
    }
}

/* ---- Text --------------------------------------------------------------------- */

static const char *perm_text(uint32_t flags)
{
    static const char *const names[4] = { "RO S", "RW S", "RO U", "RW U" };
    return names[((flags & PTE_U) ? 2 : 0) | ((flags & PTE_W) ? 1 : 0)];
}

/* The flags column: permissions, then G / PCD / PWT when set. */
static void flags_text(uint32_t flags, char *buf, size_t len)
{
    snprintf(buf, len, "%s%s%s%s", perm_text(flags), (flags & PTE_G) ? " G" : "",
             (flags & PTE_PCD) ? " PCD" : "", (flags & PTE_PWT) ? " PWT" : "");
}

/* What a row maps, for its "maps" column. */
static void maps_text(const struct row *r, bool dir, char *buf, size_t len)
{
    unsigned n = r->last - r->first + 1;
    uint32_t page = dir ? PAGE_4M : PAGE_4K;
    switch (r->kind) {
    case ROW_ABSENT: snprintf(buf, len, "not present"); break;
    case ROW_FRAMES:
        snprintf(buf, len, "%s 0x%08x-0x%08x", dir ? "4 MiB pages" : "frames", r->lo, r->hi + page - 1);
        break;
    case ROW_SCATTERED:
        if (r->present < n)
            snprintf(buf, len, "%u frames (%u entries not present) in 0x%08x-0x%08x", r->present, n - r->present,
                     r->lo, r->hi + page - 1);
        else
            snprintf(buf, len, "%u frames in 0x%08x-0x%08x", r->present, r->lo, r->hi + page - 1);
        break;
    case ROW_TABLE: snprintf(buf, len, "page table @ 0x%08x", r->lo); break;
    case ROW_TABLES: snprintf(buf, len, "%u page tables, one run", n); break;
    }
}

static const char *row_color(const struct row *r)
{
    return r->kind == ROW_ABSENT ? COLOR_ABSENT : (r->flags & PTE_U) ? COLOR_USER : COLOR_SUPER;
}

/* ---- The graph ------------------------------------------------------------------ */

struct draw {
    Agraph_t *g;
    const struct pt_snapshot *s;
    const struct mmu_walk *walk; /* NULL: no walk to highlight */
    struct rows dir, tab, scratch;
    unsigned nframes;
};

static void set(void *obj, const char *name, const char *value)
{
    agsafeset(obj, (char *)name, (char *)value, "");
}

static void set_html(Agraph_t *g, void *obj, const char *html)
{
    char *h = agstrdup_html(g, (char *)html);
    set(obj, "label", h);
    agstrfree(g, h);
}

static Agnode_t *node(Agraph_t *g, const char *name)
{
    return agnode(g, (char *)name, 1);
}

/* An edge from `tail` (row `port` of a table node, or none) to `head`, styled
 * by the entry's permissions, or in the walk's red with `walk_label`. */
static Agedge_t *edge(Agraph_t *g, Agnode_t *tail, const char *port, Agnode_t *head,
                      const struct row *r, const char *walk_label)
{
    Agedge_t *e = agedge(g, tail, head, NULL, 1);
    if (port)
        set(e, "tailport", port);
    set(e, "color", (r->flags & PTE_U) ? EDGE_USER : EDGE_SUPER);
    if (!(r->flags & PTE_W))
        set(e, "style", "dashed");
    if (walk_label) {
        set(e, "color", COLOR_WALK);
        set(e, "penwidth", "3");
        set(e, "fontcolor", COLOR_WALK);
        set(e, "label", walk_label);
    }
    return e;
}

/* One row of a table node: entries, linear addresses, what they map and
 * their flags, the last cell the port "rK" its edge leaves from; outlined
 * in red when `lit` (the walk read one of its entries). A page table's
 * rows start at the linear address of directory entry `base_pde`; a row
 * standing for `tables` like tables covers all of their addresses. */
static void print_row(FILE *f, const struct row *r, unsigned k, bool dir, unsigned base_pde, unsigned tables,
                      bool lit)
{
    uint32_t span = dir ? PAGE_4M : PAGE_4K, base = dir ? 0 : base_pde * PAGE_4M;
    char index[16], maps[96], flags[32], cell[96];
    if (r->first == r->last)
        snprintf(index, sizeof(index), "0x%03x", r->first);
    else
        snprintf(index, sizeof(index), "0x%03x-0x%03x", r->first, r->last);
    maps_text(r, dir, maps, sizeof(maps));
    flags_text(r->flags, flags, sizeof(flags));
    snprintf(cell, sizeof(cell), "BGCOLOR=\"%s\"%s", row_color(r),
             lit ? " BORDER=\"2\" COLOR=\"" COLOR_WALK "\"" : "");
    fprintf(f, "<TR><TD %s>%s</TD><TD %s>0x%08x-0x%08x</TD><TD %s>%s</TD><TD %s PORT=\"r%u\">%s</TD></TR>",
            cell, index, cell, base + r->first * span, base + (r->last + 1) * span * tables - 1, cell, maps, cell, k,
            r->kind == ROW_ABSENT ? "" : flags);
}

/* A table node: a header, a column header, then one row per run; the row
 * holding entry `hl` (or none: PT_ENTRIES) outlined in red. */
static void table_node(struct draw *dr, Agnode_t *n, const char *title, const struct rows *rs,
                       bool dir, unsigned base_pde, unsigned tables, unsigned hl)
{
    char *html = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&html, &len);
    if (!f)
        return;
    fprintf(f, "<TABLE BORDER=\"0\" CELLBORDER=\"1\" CELLSPACING=\"0\" CELLPADDING=\"3\">"
               "<TR><TD COLSPAN=\"4\" BGCOLOR=\"#404040\"><FONT COLOR=\"white\"><B>%s</B></FONT></TD></TR>"
               "<TR><TD><I>%s</I></TD><TD><I>linear addresses</I></TD><TD><I>maps</I></TD>"
               "<TD><I>flags</I></TD></TR>", title, dir ? "PDE" : "PTE");
    for (unsigned k = 0; k < rs->n; k++) {
        const struct row *r = &rs->r[k];
        print_row(f, r, k, dir, base_pde, tables, hl >= r->first && hl <= r->last);
    }
    fprintf(f, "</TABLE>");
    fclose(f);
    set(n, "shape", "plaintext");
    set_html(dr->g, n, html);
    free(html);
}

/* "4 KiB", "32 MiB": a size for a label. */
static void size_text(uint64_t bytes, char *buf, size_t len)
{
    bool mib = bytes >= (1u << 20) && !(bytes & 0xfffff);
    snprintf(buf, len, "%llu %s", (unsigned long long)(mib ? bytes >> 20 : bytes >> 10), mib ? "MiB" : "KiB");
}

/* The node for the frames of row `r` (each entry mapping `page` bytes):
 * "frame" for one, "256 frames, 1 MiB" for a run, with their addresses. */
static Agnode_t *frames_node(struct draw *dr, const struct row *r, uint32_t page, bool lit)
{
    char name[32], size[32], label[128];
    snprintf(name, sizeof(name), "frames%u", dr->nframes++);
    uint64_t pages = ((uint64_t)r->hi - r->lo) / page + 1;
    if (r->kind == ROW_SCATTERED)
        pages = r->present;
    size_text(pages * page, size, sizeof(size));
    const char *of = page == PAGE_4M ? " of 4 MiB" : "";
    if (pages == 1)
        snprintf(label, sizeof(label), "frame%s\n0x%08x-0x%08x", of, r->lo, r->hi + page - 1);
    else
        snprintf(label, sizeof(label), "%llu frames%s, %s%s\n0x%08x-0x%08x", (unsigned long long)pages, of, size,
                 r->kind == ROW_SCATTERED ? ", scattered in" : "", r->lo, r->hi + page - 1);
    Agnode_t *f = node(dr->g, name);
    set(f, "shape", "box3d");
    set(f, "style", "filled");
    set(f, "fillcolor", (r->flags & PTE_U) ? COLOR_USER : COLOR_SUPER);
    set(f, "label", label);
    if (lit) {
        set(f, "color", COLOR_WALK);
        set(f, "penwidth", "3");
    }
    return f;
}

/* A red note for a walk that ended in a page fault, hanging off `tail`. */
static void fault_node(struct draw *dr, Agnode_t *tail, const char *port, const struct row *r,
                       const char *edge_label)
{
    char label[128];
    uint32_t ec = dr->walk->error;
    snprintf(label, sizeof(label), "#PF, error code 0x%x:\n%s, %s, CPL %s%s", ec,
             (ec & PF_P) ? "protection" : "not present", (ec & PF_W) ? "write" : "read", (ec & PF_U) ? "3" : "0-2",
             (ec & PF_RSVD) ? ", reserved bit" : "");
    Agnode_t *n = node(dr->g, "fault");
    set(n, "shape", "octagon");
    set(n, "color", COLOR_WALK);
    set(n, "fontcolor", COLOR_WALK);
    set(n, "label", label);
    set(edge(dr->g, tail, port, n, r, edge_label), "style", "bold");
}

/* The walk's label for the entry it read at `level` (0: PDE, 1: PTE),
 * with the physical address on the last step of a walk that succeeded. */
static void walk_label(const struct draw *dr, unsigned level, char *buf, size_t len)
{
    const struct mmu_walk *w = dr->walk;
    const struct mmu_step *st = &w->step[level];
    int n = snprintf(buf, len, "%s[0x%03x] = 0x%08x", level ? "PTE" : "PDE", st->index, st->entry);
    if (!w->fault && level + 1 == w->nsteps && n > 0 && (size_t)n < len)
        snprintf(buf + n, len - (size_t)n, "\npa 0x%08llx", (unsigned long long)w->pa);
}

/* Is entry `index` of the walk's table at `level` the one the walk read? */
static bool walk_reads(const struct draw *dr, unsigned level, const struct row *r)
{
    if (!dr->walk || dr->walk->nsteps <= level)
        return false;
    unsigned i = dr->walk->step[level].index;
    return i >= r->first && i <= r->last;
}

static void row_target(struct draw *dr, Agnode_t *tail, const char *port, const struct row *r,
                       unsigned level, unsigned pde, bool on_path);

/* The page table of directory row `r` (entry `pde`), or the run of like
 * tables a ROW_TABLES row stands for, and what its rows map. */
static void table_target(struct draw *dr, Agnode_t *t, const struct row *r, unsigned pde, bool lit)
{
    char title[128], port[16];
    unsigned hl = lit && dr->walk->nsteps == 2 ? dr->walk->step[1].index : PT_ENTRIES;
    if (r->kind == ROW_TABLES) {
        snprintf(title, sizeof(title), "%u page tables (PDE 0x%03x-0x%03x), each mapping:",
                 r->last - r->first + 1, r->first, r->last);
        struct rows *one = &dr->tab;
        one->n = 1;
        one->r[0] = (struct row){ .first = 0, .last = PT_ENTRIES - 1, .kind = ROW_FRAMES, .flags = r->inner,
                                  .lo = r->lo, .hi = r->hi, .present = PT_ENTRIES };
        table_node(dr, t, title, one, false, r->first, r->last - r->first + 1, hl);
        struct row all = one->r[0];
        row_target(dr, t, "r0", &all, 1, pde, lit);
        return;
    }
    if (!dr->s->pte[pde]) {
        set(t, "label", "page table outside RAM");
        return;
    }
    snprintf(title, sizeof(title), "page table @ 0x%08x (PDE 0x%03x)", r->lo, pde);
    table_rows(dr->s->pte[pde], &dr->tab);
    table_node(dr, t, title, &dr->tab, false, pde, 1, hl);
    for (unsigned k = 0; k < dr->tab.n; k++) { /* rows of frames: row_target() leaves dr->tab alone */
        snprintf(port, sizeof(port), "r%u", k);
        row_target(dr, t, port, &dr->tab.r[k], 1, pde, lit);
    }
}

/* The edge out of row `r` (at `port` of `tail`) at `level` to what it maps;
 * `on_path`: the walk went through the table holding the row. */
static void row_target(struct draw *dr, Agnode_t *tail, const char *port, const struct row *r,
                       unsigned level, unsigned pde, bool on_path)
{
    char label[96], name[32];
    bool lit = on_path && walk_reads(dr, level, r);
    if (lit)
        walk_label(dr, level, label, sizeof(label));
    bool faulted = lit && dr->walk->fault && dr->walk->nsteps == level + 1;
    if (faulted)
        fault_node(dr, tail, port, r, label);
    if (r->kind == ROW_ABSENT)
        return;
    bool edge_lit = lit && !faulted;
    if (r->kind != ROW_TABLE && r->kind != ROW_TABLES) {
        Agnode_t *f = frames_node(dr, r, level ? PAGE_4K : PAGE_4M, edge_lit);
        edge(dr->g, tail, port, f, r, edge_lit ? label : NULL);
        return;
    }
    snprintf(name, sizeof(name), "pt%u", r->first);
    Agnode_t *t = node(dr->g, name);
    edge(dr->g, tail, port, t, r, edge_lit ? label : NULL);
    table_target(dr, t, r, r->kind == ROW_TABLES ? r->first : pde, edge_lit);
}

/* ---- The whole picture ---------------------------------------------------------- */

static void legend(Agraph_t *g)
{
    Agnode_t *n = node(g, "legend");
    set(n, "shape", "plaintext");
    set_html(g, n,
             "<TABLE BORDER=\"1\" CELLBORDER=\"0\" CELLSPACING=\"2\" CELLPADDING=\"3\">"
             "<TR><TD COLSPAN=\"2\"><B>legend</B></TD></TR>"
             "<TR><TD BGCOLOR=\"" COLOR_SUPER "\">   S   </TD><TD ALIGN=\"LEFT\">supervisor (U/S = 0): CPL 0-2 only</TD></TR>"
             "<TR><TD BGCOLOR=\"" COLOR_USER "\">   U   </TD><TD ALIGN=\"LEFT\">user (U/S = 1): CPL 3 too</TD></TR>"
             "<TR><TD BGCOLOR=\"" COLOR_ABSENT "\">       </TD><TD ALIGN=\"LEFT\">not present (P = 0)</TD></TR>"
             "<TR><TD>RW / RO</TD><TD ALIGN=\"LEFT\">writable, solid edge / read-only, dashed edge</TD></TR>"
             "<TR><TD>G</TD><TD ALIGN=\"LEFT\">global: kept in the TLB across CR3 loads</TD></TR>"
             "<TR><TD><FONT COLOR=\"" COLOR_WALK "\"><B>red</B></FONT></TD>"
             "<TD ALIGN=\"LEFT\">the last page walk: the entries it read</TD></TR>"
             "<TR><TD COLSPAN=\"2\" ALIGN=\"LEFT\"><I>a row is a run of like entries: same flags, frames in a row"
             "<BR ALIGN=\"LEFT\"/>(the accessed and dirty bits are not compared)</I></TD></TR>"
             "</TABLE>");
}

/* The title: where in the run, CR3, the walk highlighted. */
static void title(Agraph_t *g, const struct pt_snapshot *s, const struct mmu_walk *w)
{
    static const char *const access[8] = {
        "read", "write", "user read", "user write", "fetch", "fetch", "user fetch", "user fetch",
    };
    char text[512], walk[192] = "no page walk through this directory yet";
    if (w)
        snprintf(walk, sizeof(walk), "%s page walk: %s of 0x%08x%s%s", s->walk_is_latest ? "the last" :
                 "the last through this directory", access[w->access & 7], w->lin,
                 w->fault ? ", a page fault" : "", w->large ? ", a 4 MiB page" : "");
    snprintf(text, sizeof(text), "Page tables %s\nCR3 = 0x%08x, CR4.PSE = %u (4 MiB pages %s), %s",
             s->point, s->cr3, (s->cr4 & CR4_PSE) ? 1 : 0, (s->cr4 & CR4_PSE) ? "allowed" : "off", walk);
    set(g, "label", text);
    set(g, "labelloc", "t");
    set(g, "fontsize", "16");
}

static Agraph_t *build(const struct pt_snapshot *s, struct draw *dr)
{
    Agraph_t *g = agopen("page_tables", Agdirected, NULL);
    dr->g = g;
    dr->s = s;
    dr->walk = s->has_walk ? &s->walk : NULL;
    set(g, "rankdir", "LR");
    set(g, "ranksep", "0.5");
    set(g, "nodesep", "0.12");
    set(g, "fontname", "Helvetica");
    agattr(g, AGNODE, "fontname", "Helvetica");
    agattr(g, AGNODE, "fontsize", "10");
    agattr(g, AGEDGE, "fontname", "Helvetica");
    agattr(g, AGEDGE, "fontsize", "10");
    title(g, s, dr->walk);

    char label[64];
    Agnode_t *cr3 = node(g, "cr3"), *pd = node(g, "pd");
    snprintf(label, sizeof(label), "CR3\n0x%08x", s->cr3);
    set(cr3, "shape", "box");
    set(cr3, "style", "bold");
    set(cr3, "label", label);
    struct row all = { .kind = ROW_TABLE, .flags = PTE_W };
    if (dr->walk) {
        snprintf(label, sizeof(label), "lin 0x%08x", dr->walk->lin);
        edge(g, cr3, NULL, pd, &all, label);
    } else {
        edge(g, cr3, NULL, pd, &all, NULL);
    }
    dir_rows(s, &dr->dir, &dr->scratch);
    snprintf(label, sizeof(label), "page directory @ 0x%08x%s", s->cr3 & ~0xfffu,
             s->pd_outside_ram ? " (outside RAM)" : "");
    table_node(dr, pd, label, &dr->dir, true, 0, 1, dr->walk ? dr->walk->step[0].index : PT_ENTRIES);
    for (unsigned k = 0; k < dr->dir.n; k++) {
        char port[16];
        snprintf(port, sizeof(port), "r%u", k);
        row_target(dr, pd, port, &dr->dir.r[k], 0, dr->dir.r[k].first, true);
    }
    legend(g);
    return g;
}

/* ---- Writing it ---------------------------------------------------------------- */

static const char *format_of(const char *path)
{
    static const char *const formats[] = { "dot", "svg", "png" };
    const char *dot = strrchr(path, '.');
    for (unsigned k = 0; dot && k < sizeof(formats) / sizeof(formats[0]); k++)
        if (!strcmp(dot + 1, formats[k]))
            return formats[k];
    return NULL;
}

bool pt_format_known(const char *path)
{
    return format_of(path) != NULL;
}

/* DOT straight from libcgraph: the graph as built, without a layout. */
static int write_dot(Agraph_t *g, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -errno;
    int bad = agwrite(g, f) != 0;
    bad |= fclose(f) != 0;
    return bad ? -EIO : 0;
}

static int render(Agraph_t *g, const char *format, const char *path)
{
    GVC_t *gvc = gvContext();
    if (!gvc)
        return -ENOMEM;
    int rc = gvLayout(gvc, g, "dot") != 0 ? -EIO : 0;
    if (rc == 0) {
        rc = gvRenderFilename(gvc, g, format, path) != 0 ? -EIO : 0;
        gvFreeLayout(gvc, g);
    }
    gvFreeContext(gvc);
    return rc;
}

int pt_write(const struct pt_snapshot *s, const char *path, char *err, size_t errlen)
{
    const char *format = format_of(path);
    if (!format) {
        snprintf(err, errlen, "cannot tell the format of '%s': name it .dot, .svg or .png", path);
        return -EINVAL;
    }
    struct draw *dr = calloc(1, sizeof(*dr));
    if (!dr) {
        snprintf(err, errlen, "out of memory drawing the page tables");
        return -ENOMEM;
    }
    Agraph_t *g = build(s, dr);
    int rc = !strcmp(format, "dot") ? write_dot(g, path) : render(g, format, path);
    if (rc < 0)
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(-rc));
    agclose(g);
    free(dr);
    return rc;
}

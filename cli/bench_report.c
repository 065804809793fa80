/* vlab bench: the report, as a table and as JSON (the fields are listed in
 * docs/benchmarks.md). Times are the medians of the runs. Ratios are the
 * first engine's time over the compared emulator's: above 1, vlab is
 * slower. "Corrected" figures subtract each side's start-up, measured with
 * the empty guest: vlab's in this process, the other's as a process. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

/* Traps: exceptions, INT n and external interrupts delivered through the IDT. */
static uint64_t traps(const struct trace_stats *s)
{
    return trace_stats_exceptions(s) + trace_stats_soft_ints(s) + trace_stats_interrupts(s);
}

static uint64_t ring_switches(const struct trace_stats *s)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < 4; i++)
        for (unsigned j = 0; j < 4; j++)
            n += s->rings[i][j];
    return n;
}

static uint64_t port_accesses(const struct trace_stats *s)
{
    uint64_t n = 0;
    for (unsigned k = 0; k < TRACE_PIO_RANGE_COUNT; k++)
        n += s->pio[k];
    return n;
}

static double mips(uint64_t insns, double seconds)
{
    return seconds > 0 ? (double)insns / seconds / 1e6 : 0;
}

/* Seconds minus start-up; 0 when start-up is all there was. */
static double corrected(double seconds, double startup)
{
    return seconds > startup ? seconds - startup : 0;
}

/* ---- the table ----------------------------------------------------------------- */

/* "int 0x80 2000004, #PF 26000, irq 0x20 27": the nonzero trap counts. */
static void print_trap_kinds(const struct trace_stats *s, FILE *f)
{
    static const char *const names[32] = { "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
                                           "#DF", "#09", "#TS", "#NP", "#SS", "#GP", "#PF", "#15",
                                           "#MF", "#AC", "#MC", "#XM" };
    const char *sep = "";
    for (unsigned v = 0; v < 256; v++)
        if (s->soft_ints[v])
            fprintf(f, "%sint 0x%02x %" PRIu64, sep, v, s->soft_ints[v]), sep = ", ";
    for (unsigned v = 0; v < 32; v++)
        if (s->exceptions[v])
            fprintf(f, "%s%s %" PRIu64, sep, names[v] ? names[v] : "#??", s->exceptions[v]), sep = ", ";
    for (unsigned v = 0; v < 256; v++)
        if (s->interrupts[v])
            fprintf(f, "%sirq 0x%02x %" PRIu64, sep, v, s->interrupts[v]), sep = ", ";
    uint64_t walks = 0;
    for (unsigned o = 0; o < TRACE_WALK_OUTCOMES; o++)
        for (unsigned z = 0; z < TRACE_WALK_SIZES; z++)
            walks += s->walks[o][z];
    fprintf(f, "%s%" PRIu64 " page walks, %" PRIu64 " TLB flushes, %" PRIu64 " port accesses\n",
            sep, walks, s->tlb_flushes_full + s->tlb_flushes_page, port_accesses(s));
}

static void print_engines(const struct bench_report *r, FILE *f)
{
    fprintf(f, "%-10s %10s %-6s %13s %9s %7s %13s %9s %8s %9s\n", "workload", "iterations", "engine",
            "instructions", "seconds", "MIPS", "cycles", "traps", "ns/trap", "native s");
    for (size_t w = 0; w < r->nworkloads; w++)
        for (size_t e = 0; e < r->nengines; e++) {
            const struct bench_result *x = &r->res[e][w];
            uint64_t t = traps(&x->last.stats);
            fprintf(f, "%-10s %10" PRIu32 " %-6s %13" PRIu64 " %9.3f %7.1f %13" PRIu64 " %9" PRIu64, r->workloads[w]->name,
                    x->iterations, r->engines[e], x->last.insns, x->median, mips(x->last.insns, x->run_median),
                    x->last.cycles, t);
            if (r->workloads[w]->traps && t)
                fprintf(f, " %8.0f", x->run_median * 1e9 / (double)t);
            else
                fprintf(f, " %8s", "-");
            fprintf(f, " %9.3f\n", r->native_seconds[w]);
        }
    fprintf(f, "\ntraps and other events (%s):\n", r->engines[0]);
    for (size_t w = 0; w < r->nworkloads; w++) {
        fprintf(f, "  %-10s ", r->workloads[w]->name);
        print_trap_kinds(&r->res[0][w].last.stats, f);
    }
}

static void print_target(const struct bench_report *r, size_t t, FILE *f)
{
    const char *name = r->targets[t].t->name;
    fprintf(f, "\ncompared with %s (%s%s%s), %s as a process, start-up %.1f ms:\n", name, r->targets[t].t->what,
            r->targets[t].version[0] ? "; " : "", r->targets[t].version, name, r->targets[t].empty * 1e3);
    fprintf(f, "%-10s %9s %9s %9s %9s %10s %9s %10s %10s\n", "workload", "vlab s", "other s", "vlab MIPS",
            "othr MIPS", "vlab/other", "corrected", "vlab ns/it", "othr ns/it");
    for (size_t w = 0; w < r->nworkloads; w++) {
        const struct bench_result *v = &r->res[0][w], *o = &r->targets[t].res[w];
        double vc = corrected(v->median, r->empty_inprocess[0]), oc = corrected(o->median, r->targets[t].empty);
        fprintf(f, "%-10s %9.3f %9.3f %9.1f %9.1f %10.3f", r->workloads[w]->name, v->median, o->median,
                mips(v->last.insns, v->run_median), mips(v->last.insns, oc), v->median / o->median);
        if (oc > 0)
            fprintf(f, " %9.3f", vc / oc);
        else
            fprintf(f, " %9s", "-");
        fprintf(f, " %10.0f %10.0f\n", vc * 1e9 / v->iterations, oc * 1e9 / v->iterations);
    }
}

void bench_print_table(const struct bench_report *r, FILE *f)
{
    fprintf(f, "vlab bench: size %g, %u run%s each (the median), %" PRIu64 " MiB guests; host: %s, %ld CPUs\n\n",
            r->size, r->runs, r->runs == 1 ? "" : "s", r->ram >> 20, r->cpu, r->nproc);
    print_engines(r, f);
    fprintf(f, "\nstart-up: vlab: %.1f ms from fork to the first guest instruction, %.1f ms for a whole "
            "`vlab run` of the empty guest", r->first_insn * 1e3, r->empty_process * 1e3);
    for (size_t e = 0; e < r->nengines; e++)
        fprintf(f, ", %.2f ms in-process (%s)", r->empty_inprocess[e] * 1e3, r->engines[e]);
    for (size_t t = 0; t < r->ntargets; t++)
        if (!r->targets[t].skipped)
            fprintf(f, "; %s: %.1f ms for the empty guest", r->targets[t].t->name, r->targets[t].empty * 1e3);
    fprintf(f, "\nmemory: vlab: peak RSS %.1f MiB running a 64 MiB guest (%s)", r->maxrss_kib / 1024.0, r->rss_probe);
    for (size_t t = 0; t < r->ntargets; t++)
        if (!r->targets[t].skipped)
            fprintf(f, "; %s: %.1f MiB", r->targets[t].t->name, r->targets[t].maxrss_kib / 1024.0);
    fprintf(f, "\n");
    for (size_t t = 0; t < r->ntargets; t++) {
        if (r->targets[t].skipped)
            fprintf(f, "\n%s: SKIPPED (%s)\n", r->targets[t].t->name, r->targets[t].skipped);
        else
            print_target(r, t, f);
    }
}

/* ---- JSON ------------------------------------------------------------------- */

/* S as a JSON string. */
static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

/* A number, or null when it means nothing. */
static void json_num(FILE *f, double v, bool meaningful)
{
    if (meaningful)
        fprintf(f, "%.9g", v);
    else
        fputs("null", f);
}

/* {"14": 26000, ...}: the nonzero counts of N vectors. */
static void json_vectors(FILE *f, const uint64_t *v, unsigned n)
{
    const char *sep = "";
    fputc('{', f);
    for (unsigned k = 0; k < n; k++)
        if (v[k])
            fprintf(f, "%s\"%u\": %" PRIu64, sep, k, v[k]), sep = ", ";
    fputc('}', f);
}

static void json_runs(FILE *f, const struct bench_result *x)
{
    fputc('[', f);
    for (unsigned k = 0; k < x->nruns; k++)
        fprintf(f, "%s%.9g", k ? ", " : "", x->seconds[k]);
    fputc(']', f);
}

static void json_engine_result(FILE *f, const struct bench_report *r, size_t e, size_t w)
{
    const struct bench_result *x = &r->res[e][w];
    const struct trace_stats *s = &x->last.stats;
    uint64_t t = traps(s);
    fprintf(f, "    {\"engine\": ");
    json_str(f, r->engines[e]);
    fprintf(f, ", \"workload\": ");
    json_str(f, r->workloads[w]->name);
    fprintf(f, ", \"iterations\": %" PRIu32 ", \"checksum\": \"%08" PRIx32 "\", \"native_checksum\": \"%08" PRIx32
            "\",\n     \"native_seconds\": %.9g, \"instructions\": %" PRIu64 ", \"cycles\": %" PRIu64
            ", \"seconds\": %.9g, \"run_seconds\": %.9g, \"runs\": ",
            x->iterations, x->checksum, r->native_sum[w], r->native_seconds[w], x->last.insns, x->last.cycles,
            x->median, x->run_median);
    json_runs(f, x);
    fprintf(f, ",\n     \"mips\": ");
    json_num(f, mips(x->last.insns, x->run_median), x->run_median > 0);
    fprintf(f, ", \"traps\": %" PRIu64 ", \"ns_per_trap\": ", t);
    json_num(f, x->run_median * 1e9 / (double)t, r->workloads[w]->traps && t);
    fprintf(f, ", \"ns_per_iteration\": %.9g,\n     \"exceptions\": ", x->run_median * 1e9 / x->iterations);
    json_vectors(f, s->exceptions, 32);
    fprintf(f, ", \"soft_ints\": ");
    json_vectors(f, s->soft_ints, 256);
    fprintf(f, ", \"interrupts\": ");
    json_vectors(f, s->interrupts, 256);
    fprintf(f, ",\n     \"page_walks\": {\"ok_4k\": %" PRIu64 ", \"ok_4m\": %" PRIu64 ", \"faulted\": %" PRIu64
            ", \"steps\": %" PRIu64 "}, \"tlb_flushes\": {\"full\": %" PRIu64 ", \"page\": %" PRIu64
            "}, \"ring_switches\": %" PRIu64 ", \"port_accesses\": %" PRIu64 ", \"mmio_accesses\": %" PRIu64 "}",
            s->walks[TRACE_WALK_OK][TRACE_WALK_4K], s->walks[TRACE_WALK_OK][TRACE_WALK_4M],
            s->walks[TRACE_WALK_FAULT][TRACE_WALK_4K] + s->walks[TRACE_WALK_FAULT][TRACE_WALK_4M] +
                s->walks[TRACE_WALK_FAULT][TRACE_WALK_NO_TABLE],
            s->walk_steps, s->tlb_flushes_full, s->tlb_flushes_page, ring_switches(s), port_accesses(s),
            s->mmio_reads + s->mmio_writes);
}

static void json_target(FILE *f, const struct bench_report *r, size_t t)
{
    fprintf(f, "    {\"target\": ");
    json_str(f, r->targets[t].t->name);
    if (r->targets[t].skipped) {
        fprintf(f, ", \"status\": \"skipped\", \"reason\": ");
        json_str(f, r->targets[t].skipped);
        fprintf(f, "}");
        return;
    }
    fprintf(f, ", \"status\": \"ok\", \"version\": ");
    json_str(f, r->targets[t].version);
    fprintf(f, ", \"engine\": ");
    json_str(f, r->engines[0]);
    fprintf(f, ", \"empty_seconds\": %.9g, \"maxrss_kib\": %ld, \"results\": [\n", r->targets[t].empty,
            r->targets[t].maxrss_kib);
    for (size_t w = 0; w < r->nworkloads; w++) {
        const struct bench_result *v = &r->res[0][w], *o = &r->targets[t].res[w];
        double vc = corrected(v->median, r->empty_inprocess[0]), oc = corrected(o->median, r->targets[t].empty);
        fprintf(f, "      {\"workload\": ");
        json_str(f, r->workloads[w]->name);
        fprintf(f, ", \"checksum\": \"%08" PRIx32 "\", \"seconds\": %.9g, \"runs\": ", o->checksum, o->median);
        json_runs(f, o);
        fprintf(f, ", \"seconds_corrected\": %.9g, \"mips\": ", oc);
        json_num(f, mips(v->last.insns, oc), oc > 0);
        fprintf(f, ", \"ratio_raw\": %.9g, \"ratio_corrected\": ", v->median / o->median);
        json_num(f, vc / oc, oc > 0);
        fprintf(f, "}%s\n", w + 1 < r->nworkloads ? "," : "");
    }
    fprintf(f, "    ]}");
}

bool bench_write_json(const struct bench_report *r, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "vlab bench: cannot write %s\n", path);
        return false;
    }
    fprintf(f, "{\"vlab_bench\": 1, \"machine\": {\"nproc\": %ld, \"cpu\": ", r->nproc);
    json_str(f, r->cpu);
    fprintf(f, "}, \"size\": %.9g, \"runs\": %u, \"mem_mib\": %" PRIu64 ",\n", r->size, r->runs, r->ram >> 20);
    fprintf(f, "  \"startup\": {\"first_instruction_seconds\": %.9g, \"empty_process_seconds\": %.9g, "
            "\"empty_inprocess_seconds\": {", r->first_insn, r->empty_process);
    for (size_t e = 0; e < r->nengines; e++) {
        fprintf(f, "%s", e ? ", " : "");
        json_str(f, r->engines[e]);
        fprintf(f, ": %.9g", r->empty_inprocess[e]);
    }
    fprintf(f, "}},\n  \"memory\": {\"maxrss_kib\": %ld, \"guest_mib\": 64, \"probe\": ", r->maxrss_kib);
    json_str(f, r->rss_probe);
    fprintf(f, "},\n  \"results\": [\n");
    for (size_t w = 0, first = 1; w < r->nworkloads; w++)
        for (size_t e = 0; e < r->nengines; e++, first = 0) {
            fprintf(f, "%s", first ? "" : ",\n");
            json_engine_result(f, r, e, w);
        }
    fprintf(f, "\n  ],\n  \"compare\": [\n");
    for (size_t t = 0; t < r->ntargets; t++) {
        json_target(f, r, t);
        fprintf(f, "%s\n", t + 1 < r->ntargets ? "," : "");
    }
    fprintf(f, "  ]\n}\n");
    bool ok = !ferror(f);
    ok &= fclose(f) == 0;
    if (!ok)
        fprintf(stderr, "vlab bench: cannot write %s\n", path);
    return ok;
}

/* The reports: a text table, Gradescope and PrairieLearn results.json,
 * Autolab's scores line and JUnit XML. */
#include <string.h>

#include "vlab/types.h"

#include "grader.h"

static const char *const status_names[] = {
    [GRADE_PASSED] = "passed", [GRADE_FAILED] = "failed", [GRADE_SKIPPED] = "skipped",
};

static const char *const format_names[] = {
    [FMT_TEXT] = "text", [FMT_GRADESCOPE] = "gradescope", [FMT_PRAIRIELEARN] = "prairielearn",
    [FMT_AUTOLAB] = "autolab", [FMT_JUNIT] = "junit",
};

bool grade_parse_format(const char *name, enum grade_format *out)
{
    for (size_t k = 0; k < VLAB_ARRAY_SIZE(format_names); k++)
        if (!strcmp(format_names[k], name)) {
            *out = (enum grade_format)k;
            return true;
        }
    return false;
}

void grade_totals(const struct grade_suite *suite, double *score, double *max)
{
    *score = *max = 0;
    for (size_t k = 0; k < suite->ntests; k++) {
        *score += suite->tests[k].score;
        *max += suite->tests[k].points;
    }
}

static const char *part_of(const struct grade_test *t)
{
    return t->part ? t->part : "tests";
}

/* ---- Escaping ---------------------------------------------------------------- */

/* The length of the valid UTF-8 sequence of 2 to 4 bytes at `p`, or 0. */
static size_t utf8_len(const unsigned char *p)
{
    size_t n = (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 : (*p & 0xf8) == 0xf0 ? 4 : 0;
    for (size_t k = 1; k < n; k++)
        if ((p[k] & 0xc0) != 0x80)
            return 0;
    return n;
}

/* Copy the multibyte character at *p (advancing past it), or a '?' for a
 * byte that does not start valid UTF-8. */
static void put_multibyte(FILE *f, const unsigned char **p)
{
    size_t n = utf8_len(*p);
    if (!n) {
        fputc('?', f);
        return;
    }
    fwrite(*p, 1, n, f);
    *p += n - 1;
}

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p == '\t')
            fputs("\\t", f);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(f, "\\u%04x", *p);
        else if (*p >= 0x80)
            put_multibyte(f, &p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

/* Text for XML 1.0: markup escaped; control characters and bytes that are
 * not valid UTF-8 shown as '?'. */
static void xml_text(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        switch (*p) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        default:
            if (*p >= 0x80)
                put_multibyte(f, &p);
            else
                fputc(*p < 0x20 && *p != '\n' && *p != '\t' ? '?' : *p, f);
        }
    }
}

/* ---- Parts: the distinct part names in declaration order ----------------------- */

static size_t parts_of(const struct grade_suite *suite, const char **parts)
{
    size_t n = 0;
    for (size_t k = 0; k < suite->ntests; k++) {
        const char *p = part_of(&suite->tests[k]);
        size_t j = 0;
        while (j < n && strcmp(parts[j], p))
            j++;
        if (j == n)
            parts[n++] = p;
    }
    return n;
}

static void part_totals(const struct grade_suite *suite, const char *part, double *score, double *max)
{
    *score = *max = 0;
    for (size_t k = 0; k < suite->ntests; k++)
        if (!strcmp(part_of(&suite->tests[k]), part)) {
            *score += suite->tests[k].score;
            *max += suite->tests[k].points;
        }
}

/* ---- Formats -------------------------------------------------------------------- */

static void indent(FILE *f, const char *text)
{
    fputs("      ", f);
    for (const char *p = text; *p; p++) {
        fputc(*p, f);
        if (*p == '\n' && p[1])
            fputs("      ", f);
    }
    fputc('\n', f);
}

/* The width of the name column: the longest name, within reason. */
static int name_width(const struct grade_suite *suite)
{
    size_t w = 4;
    for (size_t k = 0; k < suite->ntests; k++)
        if (strlen(suite->tests[k].name) > w)
            w = strlen(suite->tests[k].name);
    return (int)(w < 72 ? w : 72);
}

static void report_text(const struct grade_suite *suite, FILE *f)
{
    int w = name_width(suite);
    fprintf(f, "%-4s %-*s %-8s %-9s %-8s %s\n", "#", w, "test", "part", "points", "status", "time");
    for (size_t k = 0; k < suite->ntests; k++) {
        const struct grade_test *t = &suite->tests[k];
        char pts[32];
        snprintf(pts, sizeof(pts), "%g/%g", t->score, t->points);
        fprintf(f, "%-4zu %-*.*s %-8s %-9s %-8s %.2fs%s\n", k + 1, w, w, t->name, part_of(t), pts,
                status_names[t->status], t->seconds,
                strcmp(t->visibility, "visible") ? "  (hidden)" : "");
        if (t->status != GRADE_PASSED && t->output && *t->output)
            indent(f, t->output);
    }
    const char *parts[suite->ntests + 1];
    size_t nparts = parts_of(suite, parts);
    fputc('\n', f);
    for (size_t k = 0; nparts > 1 && k < nparts; k++) {
        double s, m;
        part_totals(suite, parts[k], &s, &m);
        fprintf(f, "part %-20s %g/%g\n", parts[k], s, m);
    }
    double s, m;
    grade_totals(suite, &s, &m);
    size_t passed = 0;
    for (size_t k = 0; k < suite->ntests; k++)
        passed += suite->tests[k].status == GRADE_PASSED;
    fprintf(f, "total: %g/%g points, %zu of %zu tests passed, %.2f s\n", s, m, passed,
            suite->ntests, suite->seconds);
}

static void report_gradescope(const struct grade_suite *suite, FILE *f)
{
    double s, m;
    grade_totals(suite, &s, &m);
    fprintf(f, "{\"score\": %g, \"max_score\": %g, \"execution_time\": %.3f, \"tests\": [", s, m,
            suite->seconds);
    for (size_t k = 0; k < suite->ntests; k++) {
        const struct grade_test *t = &suite->tests[k];
        fprintf(f, "%s\n  {\"name\": ", k ? "," : "");
        json_string(f, t->name);
        fprintf(f, ", \"score\": %g, \"max_score\": %g, \"status\": \"%s\", \"output\": ", t->score,
                t->points, t->status == GRADE_PASSED ? "passed" : "failed");
        json_string(f, t->output);
        fputs(", \"visibility\": ", f);
        json_string(f, t->visibility);
        if (t->part) {
            fputs(", \"tags\": [", f);
            json_string(f, t->part);
            fputc(']', f);
        }
        fputc('}', f);
    }
    fputs("\n]}\n", f);
}

static void report_prairielearn(const struct grade_suite *suite, FILE *f)
{
    double s, m;
    grade_totals(suite, &s, &m);
    fprintf(f, "{\"gradable\": true, \"score\": %.6f, \"tests\": [", m > 0 ? s / m : 1.0);
    for (size_t k = 0; k < suite->ntests; k++) {
        const struct grade_test *t = &suite->tests[k];
        fprintf(f, "%s\n  {\"name\": ", k ? "," : "");
        json_string(f, t->name);
        fprintf(f, ", \"points\": %g, \"max_points\": %g, \"message\": \"%s\", \"output\": ", t->score,
                t->points, status_names[t->status]);
        json_string(f, t->output);
        fputc('}', f);
    }
    fputs("\n]}\n", f);
}

/* Autolab reads the last line of the output: the text report, then it. */
static void report_autolab(const struct grade_suite *suite, FILE *f)
{
    report_text(suite, f);
    const char *parts[suite->ntests + 1];
    size_t nparts = parts_of(suite, parts);
    fputs("{\"scores\": {", f);
    for (size_t k = 0; k < nparts; k++) {
        double s, m;
        part_totals(suite, parts[k], &s, &m);
        fputs(k ? ", " : "", f);
        json_string(f, parts[k]);
        fprintf(f, ": %g", s);
    }
    fputs("}}\n", f);
}

static void report_junit(const struct grade_suite *suite, FILE *f)
{
    size_t failed = 0, skipped = 0;
    for (size_t k = 0; k < suite->ntests; k++) {
        failed += suite->tests[k].status == GRADE_FAILED;
        skipped += suite->tests[k].status == GRADE_SKIPPED;
    }
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n"
               "<testsuite name=\"vlab grade\" tests=\"%zu\" failures=\"%zu\" skipped=\"%zu\" "
               "errors=\"0\" time=\"%.3f\">\n", suite->ntests, failed, skipped, suite->seconds);
    for (size_t k = 0; k < suite->ntests; k++) {
        const struct grade_test *t = &suite->tests[k];
        fputs("  <testcase classname=\"", f);
        xml_text(f, part_of(t));
        fputs("\" name=\"", f);
        xml_text(f, t->name);
        fprintf(f, "\" time=\"%.3f\">", t->seconds);
        const char *first_line_end = t->output ? strchr(t->output, '\n') : NULL;
        if (t->status != GRADE_PASSED) {
            fprintf(f, "\n    <%s message=\"", t->status == GRADE_FAILED ? "failure" : "skipped");
            char line[256];
            snprintf(line, sizeof(line), "%.*s",
                     first_line_end ? (int)(first_line_end - t->output) : 255, t->output ? t->output : "");
            xml_text(f, line);
            fputs("\">", f);
            xml_text(f, t->output);
            fprintf(f, "</%s>\n  ", t->status == GRADE_FAILED ? "failure" : "skipped");
        } else if (t->output && *t->output) {
            fputs("\n    <system-out>", f);
            xml_text(f, t->output);
            fputs("</system-out>\n  ", f);
        }
        fputs("</testcase>\n", f);
    }
    fputs("</testsuite>\n</testsuites>\n", f);
}

static void (*const reporters[])(const struct grade_suite *, FILE *) = {
    [FMT_TEXT] = report_text, [FMT_GRADESCOPE] = report_gradescope,
    [FMT_PRAIRIELEARN] = report_prairielearn, [FMT_AUTOLAB] = report_autolab,
    [FMT_JUNIT] = report_junit,
};

void grade_report(const struct grade_suite *suite, enum grade_format fmt, FILE *out)
{
    reporters[fmt](suite, out);
}

/* vlab grade: run a lab's Lua tests, each in its own process, and report. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lualib.h>

#include "../grader/grader.h"
#include "cli.h"

static const char grade_usage[] =
    "usage: vlab grade [-j N] [--format FORMAT] [--output FILE] [--hidden] [--min-score X] DIR\n"
    "  Run the tests DIR/grade.lua declares, each in its own process under its CPU,\n"
    "  memory and wall-clock limits, and report the results. Image paths in the tests\n"
    "  are relative to the repository root ($VLAB_ROOT, else the nearest directory\n"
    "  above this one holding core/include/vlab).\n"
    "  -j N, --jobs N   run N tests at a time (default 1)\n"
    "  --format FORMAT  text (default), gradescope or prairielearn (results.json),\n"
    "                   autolab (the text, then a {\"scores\": ...} line) or junit (XML)\n"
    "  --output FILE    write the report to FILE (default: standard output)\n"
    "  --hidden         require DIR/hidden/*.lua (they are loaded whenever present;\n"
    "                   with --hidden their absence is an error, for instructors' CI)\n"
    "  --min-score X    succeed when the score reaches X points\n"
    "  Exit status: 0 when every visible test passed (or the score reached --min-score),\n"
    "  1 otherwise, 2 for bad options or a grade.lua that does not load.\n"
    "  See grader/README.md for writing tests.\n";

/* 0: every visible test passed, or the score reached the minimum. */
static int exit_status(const struct grade_suite *suite, bool have_min, double min_score)
{
    double score, max;
    grade_totals(suite, &score, &max);
    if (have_min)
        return score + 1e-9 >= min_score ? 0 : 1;
    for (size_t k = 0; k < suite->ntests; k++)
        if (!strcmp(suite->tests[k].visibility, "visible") && suite->tests[k].status != GRADE_PASSED)
            return 1;
    return 0;
}

int cmd_grade(int argc, char **argv)
{
    static const struct option opts[] = {
        { "jobs", required_argument, NULL, 'j' }, { "format", required_argument, NULL, 'f' },
        { "output", required_argument, NULL, 'o' }, { "hidden", no_argument, NULL, 'H' },
        { "min-score", required_argument, NULL, 'm' }, { "help", no_argument, NULL, 'h' },
        { 0, 0, 0, 0 },
    };
    unsigned jobs = 1;
    enum grade_format fmt = FMT_TEXT;
    const char *output = NULL;
    bool hidden = false, have_min = false;
    double min_score = 0;
    char *end;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "j:", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            jobs = (unsigned)strtoul(optarg, &end, 10);
            if (*end || jobs < 1 || jobs > 64) {
                fprintf(stderr, "vlab grade: -j wants a number of jobs from 1 to 64, not '%s'\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'f':
            if (!grade_parse_format(optarg, &fmt)) {
                fprintf(stderr, "vlab grade: unknown format '%s' (text, gradescope, prairielearn, "
                                "autolab, junit)\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'o': output = optarg; break;
        case 'H': hidden = true; break;
        case 'm':
            min_score = strtod(optarg, &end);
            if (*end || end == optarg) {
                fprintf(stderr, "vlab grade: --min-score wants a number, not '%s'\n", optarg);
                return EXIT_USAGE;
            }
            have_min = true;
            break;
        case 'h': fputs(grade_usage, stdout); return 0;
        default: fputs(grade_usage, stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fputs(grade_usage, stderr);
        return EXIT_USAGE;
    }

    lua_State *L = luaL_newstate();
    if (!L) {
        fprintf(stderr, "vlab grade: cannot create a Lua state\n");
        return EXIT_USAGE;
    }
    struct grade_suite suite;
    if (grade_load(L, argv[optind], hidden, &suite) != 0) {
        grade_free(&suite);
        lua_close(L);
        return EXIT_USAGE;
    }
    FILE *out = stdout;
    if (output && !(out = fopen(output, "w"))) {
        fprintf(stderr, "vlab grade: cannot write %s: %s\n", output, strerror(errno));
        grade_free(&suite);
        lua_close(L);
        return EXIT_USAGE;
    }
    grade_run(L, &suite, jobs, isatty(STDERR_FILENO) ? stderr : NULL);
    grade_report(&suite, fmt, out);
    int status = exit_status(&suite, have_min, min_score);
    if (out != stdout && fclose(out) != 0) {
        fprintf(stderr, "vlab grade: cannot write %s\n", output);
        status = EXIT_USAGE;
    }
    grade_free(&suite);
    lua_close(L);
    return status;
}

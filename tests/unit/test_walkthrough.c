/* Walkthroughs (visualizer/walkthrough.c): lab 1's tour reaches every stop,
 * in order, on the teaching kernel; malformed files are refused with the
 * sentence that says why; predicates that loop forever or raise are errors,
 * not hangs. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vlab/trace.h"
#include "vlab/vm.h"
#include "walkthrough.h"

#define LAB01 "labs/01-emulation/walkthrough.lua"

static char dir[] = "/tmp/vlab-walk-XXXXXX";

/* Write `text` to a file of the test folder and return its path. */
static const char *file_with(const char *name, const char *text)
{
    static char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

/* ---- Lab 1's tour on the teaching kernel ---------------------------------------- */

struct player {
    struct walkthrough *w;
    struct vm *vm;
    size_t next;                      /* the stop being waited for */
    struct trace_event reached[16];   /* the event that reached each stop */
    char err[512];
    int failed;
};

static void play(void *ctx, const struct trace_event *ev)
{
    struct player *p = ctx;
    if (p->failed || p->next == walkthrough_count(p->w))
        return;
    int r = walkthrough_match(p->w, p->next, ev, p->vm, p->err, sizeof(p->err));
    if (r < 0)
        p->failed = 1;
    else if (r == 1)
        p->reached[p->next++] = *ev;
}

static void test_lab01_tour_reaches_every_stop_in_order(void **state)
{
    (void)state;
    char err[512] = "";
    struct walkthrough *w = walkthrough_load(LAB01, err, sizeof(err));
    if (!w)
        fail_msg("%s", err);
    assert_int_equal(walkthrough_count(w), 8);
    assert_int_equal(walkthrough_mem(w), 32u << 20);
    const char *image = walkthrough_image(w);
    assert_non_null(image);
    if (access(image, R_OK) != 0) {
        walkthrough_free(w);
        fail_msg("%s is missing (make all builds it)", image);
    }
    uint32_t kinds = walkthrough_kinds(w);
    assert_int_equal(kinds, TRACE_BIT(TRACE_SYSREG) | TRACE_BIT(TRACE_RING) |
                            TRACE_BIT(TRACE_EXCEPTION) | TRACE_BIT(TRACE_INTERRUPT));

    FILE *console = fopen("/dev/null", "w");
    struct vm *vm = calloc(1, sizeof(*vm));
    assert_non_null(vm);
    assert_int_equal(vm_init(vm, walkthrough_mem(w), console), 0);
    assert_int_equal(vm_load_file(vm, image, NULL, NULL, 0, err, sizeof(err)), 0);
    struct player p = { .w = w, .vm = vm };
    assert_true(trace_subscribe(&vm->trace, kinds, play, &p) >= 0);
    for (int chunk = 0; chunk < 100 && p.next < walkthrough_count(w) && !p.failed; chunk++)
        if (vm_run(vm, 100000) != VM_STOP_BUDGET)
            break;
    if (p.failed)
        fail_msg("%s", p.err);
    for (size_t i = 0; i < p.next; i++)
        print_message("stop %zu reached at icount %llu: %s\n", i + 1,
                      (unsigned long long)p.reached[i].icount, walkthrough_stop(w, i)->title);
    assert_int_equal(p.next, walkthrough_count(w));

    const struct trace_event *ev = p.reached;
    assert_int_equal(ev[0].kind, TRACE_SYSREG);
    assert_int_equal(ev[0].u.sysreg.reg, TRACE_SYSREG_GDTR);
    assert_int_equal(ev[1].kind, TRACE_SYSREG);
    assert_int_equal(ev[1].u.sysreg.reg, TRACE_SYSREG_IDTR);
    assert_int_equal(ev[1].u.sysreg.limit, 256 * 8 - 1);
    assert_int_equal(ev[2].kind, TRACE_SYSREG);
    assert_int_equal(ev[2].u.sysreg.reg, TRACE_SYSREG_CR0);
    assert_false(ev[2].u.sysreg.old_value & CR0_PG);
    assert_true(ev[2].u.sysreg.new_value & CR0_PG);
    assert_int_equal(ev[3].kind, TRACE_RING);
    assert_int_equal(ev[3].u.ring.from, 0);
    assert_int_equal(ev[3].u.ring.to, 3);
    assert_int_equal(ev[3].u.ring.cause, TRACE_RING_IRET);
    assert_int_equal(ev[4].kind, TRACE_EXCEPTION);
    assert_int_equal(ev[4].u.exception.vector, 0x80);
    assert_int_equal(ev[4].u.exception.cpl, 3);
    assert_int_equal(ev[5].kind, TRACE_EXCEPTION);
    assert_int_equal(ev[5].u.exception.vector, VEC_PF);
    assert_int_equal(ev[6].kind, TRACE_EXCEPTION);
    assert_int_equal(ev[6].u.exception.vector, VEC_PF);
    assert_int_equal(ev[6].u.exception.error & (PF_P | PF_W), PF_P | PF_W);
    assert_int_equal(ev[7].kind, TRACE_INTERRUPT);
    assert_int_equal(ev[7].u.interrupt.vector, 32);
    for (size_t i = 1; i < p.next; i++)
        assert_true(ev[i].seq > ev[i - 1].seq);

    /* Looking through the predicates' view changed nothing: the kernel
     * still passes every one of its tests. */
    enum vm_stop stop = vm_run(vm, 200000000);
    assert_int_equal(stop, VM_STOP_EXIT);
    assert_int_equal(vm->exit_status, 1);
    vm_destroy(vm);
    free(vm);
    fclose(console);
    walkthrough_free(w);
}

/* ---- Malformed files -------------------------------------------------------------- */

static const struct {
    const char *name, *text, *error;
} malformed[] = {
    { "not_table.lua", "return 42", "must return a table" },
    { "no_title.lua", "return { stops = { } }", "has no title" },
    { "no_stops.lua", "return { title = 't', stops = { } }", "has no stops" },
    { "stop_not_table.lua", "return { title = 't', stops = { 'x' } }", "stop 1 is a string, not a table" },
    { "stop_no_title.lua", "return { title = 't', stops = { { text = 'x', when = { kind = 'ring' } } } }",
      "stop 1 has no title" },
    { "stop_no_when.lua", "return { title = 't', stops = { { title = 'a', text = 'x' } } }",
      "stop 1 (\"a\") has no `when`" },
    { "when_number.lua", "return { title = 't', stops = { { title = 'a', text = 'x', when = 5 } } }",
      "`when` must be a table or a function, not a number" },
    { "bad_pane.lua",
      "return { title = 't', stops = { { title = 'a', text = 'x', pane = 'disk', when = { kind = 'ring' } } } }",
      "unknown pane 'disk'" },
    { "fn_no_kinds.lua",
      "return { title = 't', stops = { { title = 'a', text = 'x', when = function() return true end } } }",
      "a function `when` needs kinds" },
    { "bad_kind.lua", "return { title = 't', stops = { { title = 'a', text = 'x', when = { kind = 'bogus' } } } }",
      "unknown event kind 'bogus' in `when`" },
    { "bad_kinds.lua",
      "return { title = 't', stops = { { title = 'a', text = 'x', kinds = { 'nope' }, when = function() end } } }",
      "unknown event kind 'nope' in kinds" },
    { "bad_field.lua",
      "return { title = 't', stops = { { title = 'a', text = 'x', when = { kind = 'exception', vectr = 14 } } } }",
      "exception events have no field 'vectr'" },
    { "bad_mem.lua", "return { title = 't', mem = 'lots', stops = { } }", "mem wants a size like \"32M\"" },
    { "syntax.lua", "return {\n  title = 't',\n  stops = {{ title = }}\n}", "syntax.lua:3:" },
    { "uses_io.lua", "local f = io.open('/etc/passwd')\nreturn {}", "uses_io.lua:1: attempt to index a nil value (global 'io')" },
    { "uses_require.lua", "require('os')\nreturn {}", "uses_require.lua:1: attempt to call a nil value (global 'require')" },
    { "loops.lua", "while true do end", "loops.lua:1: ran for more than" },
};

static void test_malformed_files_are_refused_with_the_reason(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof(malformed) / sizeof(malformed[0]); k++) {
        char err[512] = "";
        const char *path = file_with(malformed[k].name, malformed[k].text);
        struct walkthrough *w = walkthrough_load(path, err, sizeof(err));
        if (w || !strstr(err, malformed[k].error) || !strstr(err, malformed[k].name))
            fail_msg("%s: expected an error with '%s', got '%s'", malformed[k].name, malformed[k].error,
                     w ? "(loaded)" : err);
    }
}

static void test_a_missing_file_is_named(void **state)
{
    (void)state;
    char err[512] = "";
    assert_null(walkthrough_load("/nonexistent/walk.lua", err, sizeof(err)));
    assert_non_null(strstr(err, "cannot open /nonexistent/walk.lua"));
}

/* ---- Predicates ----------------------------------------------------------------- */

static struct trace_event exception_event(unsigned vector)
{
    struct trace_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.kind = TRACE_EXCEPTION;
    ev.u.exception.vector = (uint8_t)vector;
    return ev;
}

static struct walkthrough *load_one(const char *name, const char *stop)
{
    char text[1024], err[512] = "";
    snprintf(text, sizeof(text), "return { title = 't', stops = { %s } }", stop);
    struct walkthrough *w = walkthrough_load(file_with(name, text), err, sizeof(err));
    if (!w)
        fail_msg("%s", err);
    return w;
}

static void test_table_predicate_compares_fields_and_calls_function_fields(void **state)
{
    (void)state;
    struct walkthrough *w = load_one("fields.lua",
        "{ title = 'a', text = 'x', pane = 'walk', when = { kind = 'exception', "
        "  vector = function(v) return v == 14 or v == 13 end, soft = false } }");
    assert_int_equal(walkthrough_kinds(w), TRACE_BIT(TRACE_EXCEPTION));
    assert_int_equal(walkthrough_stop(w, 0)->pane, WALK_PANE_WALK);
    assert_null(walkthrough_image(w));
    assert_int_equal(walkthrough_mem(w), 0);
    char err[256];
    struct trace_event ev = exception_event(14);
    assert_int_equal(walkthrough_match(w, 0, &ev, NULL, err, sizeof(err)), 1);
    ev.u.exception.soft = true;
    assert_int_equal(walkthrough_match(w, 0, &ev, NULL, err, sizeof(err)), 0);
    ev = exception_event(6);
    assert_int_equal(walkthrough_match(w, 0, &ev, NULL, err, sizeof(err)), 0);
    ev.kind = TRACE_INTERRUPT; /* not a kind the stop looks at */
    assert_int_equal(walkthrough_match(w, 0, &ev, NULL, err, sizeof(err)), 0);
    walkthrough_free(w);
}

static void test_endless_predicate_is_an_error_not_a_hang(void **state)
{
    (void)state;
    struct walkthrough *w = load_one("endless.lua",
        "{ title = 'spin', text = 'x', kinds = { 'exception' },\n"
        "  when = function(ev)\n    while true do end\n  end }");
    char err[512] = "";
    struct trace_event ev = exception_event(14);
    assert_int_equal(walkthrough_match(w, 0, &ev, NULL, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "endless.lua:3: ran for more than"));
    assert_non_null(strstr(err, "stop 1, \"spin\""));
    /* The state is still usable afterwards. */
    assert_int_equal(walkthrough_match(w, 0, &ev, NULL, err, sizeof(err)), -1);
    walkthrough_free(w);
}

static void test_predicate_error_is_reported_with_its_line(void **state)
{
    (void)state;
    struct walkthrough *w = load_one("raises.lua",
        "{ title = 'boom', text = 'x', kinds = { 'exception' },\n"
        "  when = function(ev) error('no such luck') end },\n"
        "{ title = 'os', text = 'x', kinds = { 'exception' }, when = function(ev) os.exit(1) end },\n"
        "{ title = 'machine', text = 'x', kinds = { 'exception' }, when = function(ev, m) return m:cpl() end },\n"
        "{ title = 'run', text = 'x', kinds = { 'exception' }, when = function(ev, m) return m:run() end }");
    char err[512] = "";
    struct trace_event ev = exception_event(14);
    assert_int_equal(walkthrough_match(w, 0, &ev, NULL, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "raises.lua:2: no such luck"));
    assert_int_equal(walkthrough_match(w, 1, &ev, NULL, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "global 'os'"));
    /* Without a machine the view says so. */
    assert_int_equal(walkthrough_match(w, 2, &ev, NULL, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not attached to a machine"));
    /* With one, it reads, but offers nothing that runs or writes. */
    struct vm *vm = calloc(1, sizeof(*vm));
    assert_non_null(vm);
    FILE *console = fopen("/dev/null", "w");
    assert_int_equal(vm_init(vm, 4u << 20, console), 0);
    vm->cpu.cpl = 3;
    assert_int_equal(walkthrough_match(w, 2, &ev, vm, err, sizeof(err)), 1);
    assert_int_equal(walkthrough_match(w, 3, &ev, vm, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "method 'run'"));
    vm_destroy(vm);
    free(vm);
    fclose(console);
    walkthrough_free(w);
}

static int make_dir(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lab01_tour_reaches_every_stop_in_order),
        cmocka_unit_test(test_malformed_files_are_refused_with_the_reason),
        cmocka_unit_test(test_a_missing_file_is_named),
        cmocka_unit_test(test_table_predicate_compares_fields_and_calls_function_fields),
        cmocka_unit_test(test_endless_predicate_is_an_error_not_a_hang),
        cmocka_unit_test(test_predicate_error_is_reported_with_its_line),
    };
    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}

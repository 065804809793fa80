/* vlab_todo(): what the stubs of a lab handout call (core/vmm/todo.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vlab/todo.h"

/* Run vlab_todo(what) with stderr going to a file; return what it printed
 * (a static buffer). */
static const char *todo_output(const char *what, int *ret)
{
    static char buf[256];
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    assert_true(saved >= 0);
    assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
    *ret = vlab_todo(what, 1, "ignored", (void *)tmp);
    fflush(stderr);
    assert_true(dup2(saved, STDERR_FILENO) >= 0);
    close(saved);
    rewind(tmp);
    size_t n = fread(buf, 1, sizeof(buf) - 1, tmp);
    buf[n] = 0;
    fclose(tmp);
    return buf;
}

static void test_todo_prints_not_implemented_and_returns_enosys(void **state)
{
    (void)state;
    int ret = 0;
    assert_string_equal(todo_output("lab99: first_function", &ret), "vlab: not implemented: lab99: first_function\n");
    assert_int_equal(ret, -ENOSYS);
}

static void test_todo_prints_each_name_only_once(void **state)
{
    (void)state;
    int ret = 0;
    char name[] = "lab99: twice"; /* a different pointer with the same text */
    todo_output("lab99: twice", &ret);
    assert_string_equal(todo_output(name, &ret), "");
    assert_int_equal(ret, -ENOSYS);
    assert_string_equal(todo_output("lab99: another", &ret), "vlab: not implemented: lab99: another\n");
}

static void test_todo_counts_every_call_and_remembers_the_last(void **state)
{
    (void)state;
    int ret = 0;
    unsigned long before = vlab_todo_calls();
    todo_output("lab99: counted", &ret);
    todo_output("lab99: counted", &ret);
    assert_int_equal(vlab_todo_calls(), before + 2);
    assert_string_equal(vlab_todo_last(), "lab99: counted");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_todo_prints_not_implemented_and_returns_enosys),
        cmocka_unit_test(test_todo_prints_each_name_only_once),
        cmocka_unit_test(test_todo_counts_every_call_and_remembers_the_last),
    };
    return cmocka_run_group_tests_name("todo", tests, NULL, NULL);
}

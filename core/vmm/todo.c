/* "Not implemented yet" for lab stubs (see vlab/todo.h).
 *
 * The call count is atomic, so that a run loop may read it after every
 * slice without taking the lock. The names already reported are kept in a
 * small table, under the lock, and compared by content, not by pointer:
 * each stub passes its own string literal. Past TODO_NAMES distinct names
 * every call prints: a handout has far fewer stubs than that, and printing
 * too much is the harmless way to fail.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "vlab/todo.h"

#define TODO_NAMES 128

static pthread_mutex_t todo_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *reported[TODO_NAMES];
static unsigned nreported;
static atomic_ulong calls;
static const char *last;

/* Has `what` been reported? If not, remember it. Called with todo_lock held. */
static bool seen_before(const char *what)
{
    for (unsigned k = 0; k < nreported; k++)
        if (strcmp(reported[k], what) == 0)
            return true;
    if (nreported < TODO_NAMES)
        reported[nreported++] = what;
    return false;
}

int vlab_todo(const char *what, ...)
{
    atomic_fetch_add(&calls, 1);
    pthread_mutex_lock(&todo_lock);
    last = what;
    bool quiet = seen_before(what);
    pthread_mutex_unlock(&todo_lock);
    if (!quiet)
        fprintf(stderr, "vlab: not implemented: %s\n", what);
    return -ENOSYS;
}

unsigned long vlab_todo_calls(void)
{
    return atomic_load(&calls);
}

const char *vlab_todo_last(void)
{
    pthread_mutex_lock(&todo_lock);
    const char *what = last;
    pthread_mutex_unlock(&todo_lock);
    return what;
}

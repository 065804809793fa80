/* The runner: load a lab's tests, then run each in its own forked process.
 *
 *   parent                                    child (one per test)
 *   ------                                    -----
 *   pipe, fork ------------------------------> setpgid, rlimits (CPU, AS, core)
 *   poll the pipes, 10 ms at a time  <-------- output as printed, then
 *                                              NUL, 'P' or 'F', the message
 *   wall-clock deadline passed: SIGKILL the child's process group
 *   EOF: waitpid, and the exit status says what happened when the record
 *   is missing (a signal: crashed, CPU time, killed)
 *
 * A child starts only when its parent test has passed; when the parent
 * failed it is skipped. SIGINT/SIGTERM kill every running child's group. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lualib.h>

#include "vlab/types.h"

#include "grader.h"

#define MAX_OUTPUT (64u << 10) /* bytes of a test's output kept */
#define MAX_JOBS 64

#define DEFAULT_CPU_SECONDS 10.0
#define DEFAULT_MEMORY (1ull << 30)
#define DEFAULT_INSNS 2000000000ull

/* ---- The repository root ---------------------------------------------------- */

const char *grade_root(void)
{
    static char root[4096];
    if (root[0])
        return root;
    const char *env = getenv("VLAB_ROOT");
    if (env && *env) {
        snprintf(root, sizeof(root), "%s", env);
        return root;
    }
    char dir[4000];
    if (getcwd(dir, sizeof(dir))) {
        for (;;) {
            char probe[4096];
            struct stat st;
            snprintf(probe, sizeof(probe), "%s/core/include/vlab", dir);
            if (stat(probe, &st) == 0 && S_ISDIR(st.st_mode)) {
                snprintf(root, sizeof(root), "%s", dir);
                return root;
            }
            char *slash = strrchr(dir, '/');
            if (!slash || slash == dir)
                break;
            *slash = 0;
        }
    }
    snprintf(root, sizeof(root), ".");
    return root;
}

/* vlab._selftest_crash("segv" | "abort"): kill this process with a signal.
 * For the grader's own tests (tests/grader/) only. */
static int l_selftest_crash(lua_State *L)
{
    const char *how = luaL_checkstring(L, 1);
    if (!strcmp(how, "abort"))
        abort();
    raise(SIGSEGV);
    return 0;
}

/* ---- Loading ------------------------------------------------------------------- */

static int load_file(lua_State *L, const char *path)
{
    if (luaL_dofile(L, path) != LUA_OK) {
        fprintf(stderr, "vlab grade: %s\n", lua_tostring(L, -1));
        lua_pop(L, 1);
        return -1;
    }
    return 0;
}

static char *field_string(lua_State *L, int idx, const char *field)
{
    lua_getfield(L, idx, field);
    const char *s = lua_tostring(L, -1);
    char *copy = s ? strdup(s) : NULL;
    lua_pop(L, 1);
    return copy;
}

static double field_number(lua_State *L, int idx, const char *field, double dflt)
{
    lua_getfield(L, idx, field);
    double v = lua_isnumber(L, -1) ? lua_tonumber(L, -1) : dflt;
    lua_pop(L, 1);
    return v;
}

/* limits.memory: a number of bytes or a string like "256M". */
static uint64_t field_size(lua_State *L, int idx, const char *field, uint64_t dflt)
{
    lua_getfield(L, idx, field);
    uint64_t v = dflt;
    if (lua_type(L, -1) == LUA_TNUMBER) {
        v = (uint64_t)lua_tonumber(L, -1);
    } else if (lua_type(L, -1) == LUA_TSTRING) {
        char *end;
        v = strtoull(lua_tostring(L, -1), &end, 0);
        v <<= *end == 'K' ? 10 : *end == 'M' ? 20 : *end == 'G' ? 30 : 0;
    }
    lua_pop(L, 1);
    return v ? v : dflt;
}

/* Read one declaration (a table on top of the stack). */
static void read_decl(lua_State *L, struct grade_test *t, int index)
{
    int decl = lua_gettop(L);
    memset(t, 0, sizeof(*t));
    t->lua_index = index;
    t->name = field_string(L, decl, "name");
    t->part = field_string(L, decl, "part");
    t->parent = field_string(L, decl, "parent");
    t->visibility = field_string(L, decl, "visibility");
    t->points = field_number(L, decl, "points", 0);
    lua_getfield(L, decl, "limits");
    int limits = lua_gettop(L);
    t->insns = (uint64_t)field_number(L, limits, "insns", (double)DEFAULT_INSNS);
    t->cpu_seconds = field_number(L, limits, "cpu_seconds", DEFAULT_CPU_SECONDS);
    t->wall_seconds = field_number(L, limits, "wall_seconds", 2 * t->cpu_seconds + 5);
    t->memory = field_size(L, limits, "memory", DEFAULT_MEMORY);
    lua_pop(L, 1);
    t->status = GRADE_FAILED; /* until it runs */
}

int grade_load(lua_State *L, const char *dir, bool require_hidden, struct grade_suite *suite)
{
    memset(suite, 0, sizeof(*suite));
    luaL_openlibs(L);
    vlab_open(L);
    lua_getglobal(L, "vlab");
    lua_pushcfunction(L, l_selftest_crash);
    lua_setfield(L, -2, "_selftest_crash");
    lua_pop(L, 1);
    if (grade_prelude(L) != 0) {
        fprintf(stderr, "vlab grade: the prelude failed: %s\n", lua_tostring(L, -1));
        return -1;
    }
    char path[4096];
    snprintf(path, sizeof(path), "%s/grade.lua", dir);
    if (load_file(L, path) != 0)
        return -1;
    /* The hidden tests, where present: a handout has none. */
    glob_t g;
    snprintf(path, sizeof(path), "%s/hidden/*.lua", dir);
    int st = glob(path, 0, NULL, &g);
    if (st != 0 && require_hidden) {
        fprintf(stderr, "vlab grade: --hidden: there are no hidden tests in %s/hidden/\n", dir);
        return -1;
    }
    for (size_t k = 0; st == 0 && k < g.gl_pathc; k++)
        if (load_file(L, g.gl_pathv[k]) != 0) {
            globfree(&g);
            return -1;
        }
    if (st == 0)
        globfree(&g);
    lua_getglobal(L, "__grade_tests");
    size_t n = (size_t)luaL_len(L, -1);
    suite->tests = calloc(n ? n : 1, sizeof(*suite->tests));
    if (!suite->tests) {
        fprintf(stderr, "vlab grade: out of memory\n");
        return -1;
    }
    for (size_t k = 0; k < n; k++) {
        lua_geti(L, -1, (lua_Integer)k + 1);
        read_decl(L, &suite->tests[k], (int)k + 1);
        lua_pop(L, 1);
    }
    suite->ntests = n;
    lua_pop(L, 1);
    return 0;
}

void grade_free(struct grade_suite *suite)
{
    for (size_t k = 0; k < suite->ntests; k++) {
        struct grade_test *t = &suite->tests[k];
        free(t->name);
        free(t->part);
        free(t->parent);
        free(t->visibility);
        free(t->output);
    }
    free(suite->tests);
    suite->tests = NULL;
}

/* ---- The child --------------------------------------------------------------- */

static int child_fd;

static void write_all(int fd, const char *p, size_t len)
{
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        p += n;
        len -= (size_t)n;
    }
}

/* out(text): the test's output, straight to the parent; NULs would end it. */
static int l_out(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    const char *nul = memchr(s, 0, len);
    write_all(child_fd, s, nul ? (size_t)(nul - s) : len);
    return 0;
}

/* limits.cpu_seconds rounded up to whole seconds, at least 1: RLIMIT_CPU's unit. */
static rlim_t cpu_limit(const struct grade_test *t)
{
    rlim_t cpu = (rlim_t)t->cpu_seconds;
    if ((double)cpu < t->cpu_seconds)
        cpu++;
    return cpu ? cpu : 1;
}

static void set_limit(int resource, rlim_t soft, rlim_t hard)
{
    struct rlimit r = { soft, hard };
    setrlimit(resource, &r);
}

/* Run test `t` and exit: never returns. */
static _Noreturn void child_main(lua_State *L, const struct grade_test *t, int fd)
{
    child_fd = fd;
    setpgid(0, 0);
    /* io.write, a student's printf and vlab's own messages on stderr (such as
     * "vlab: not implemented: lab01: ...") join the test's output. */
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    set_limit(RLIMIT_CPU, cpu_limit(t), cpu_limit(t) + 1);
#ifndef __SANITIZE_ADDRESS__ /* ASan reserves terabytes of shadow: no address-space limit */
    set_limit(RLIMIT_AS, t->memory, t->memory);
#endif
    set_limit(RLIMIT_CORE, 0, 0);
    vlab_set_insn_cap(t->insns);

    lua_getglobal(L, "__grade_run");
    lua_pushinteger(L, t->lua_index);
    lua_pushcfunction(L, l_out);
    int st = lua_pcall(L, 2, 2, 0);
    const char *status = st == LUA_OK ? lua_tostring(L, -2) : "failed";
    const char *msg = lua_tostring(L, -1);
    if (st == LUA_ERRMEM || (msg && !strcmp(msg, "Lua error: not enough memory")))
        msg = NULL;
    fflush(stdout);
    char rec[64];
    int n = snprintf(rec, sizeof(rec), "%c%c", 0, status && !strcmp(status, "passed") ? 'P' : 'F');
    write_all(fd, rec, (size_t)n);
    if (msg)
        write_all(fd, msg, strlen(msg));
    else
        dprintf(fd, "out of memory (the test may use %llu MiB of address space)",
                (unsigned long long)(t->memory >> 20));
    _exit(0);
}

/* ---- The parent ------------------------------------------------------------------- */

struct slot {
    pid_t pid;             /* 0: free */
    int fd;
    size_t test;
    double start, deadline;
    bool timed_out;
    char *buf;
    size_t len;
};

static struct slot slots[MAX_JOBS];
static volatile sig_atomic_t running_pids[MAX_JOBS];

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* SIGINT/SIGTERM: leave no child behind (kill and waitpid are
 * async-signal-safe). */
static void on_signal(int sig)
{
    for (unsigned k = 0; k < MAX_JOBS; k++)
        if (running_pids[k] > 0)
            kill(-(pid_t)running_pids[k], SIGKILL);
    for (unsigned k = 0; k < MAX_JOBS; k++)
        if (running_pids[k] > 0)
            waitpid((pid_t)running_pids[k], NULL, 0);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void append(struct slot *s, const char *p, size_t n)
{
    if (s->len + n > MAX_OUTPUT)
        n = s->len < MAX_OUTPUT ? MAX_OUTPUT - s->len : 0;
    char *b = realloc(s->buf, s->len + n + 1);
    if (!b)
        return;
    memcpy(b + s->len, p, n);
    s->len += n;
    b[s->len] = 0;
    s->buf = b;
}

static bool start(lua_State *L, struct grade_suite *suite, size_t i, struct slot *s, unsigned k)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return false;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return false;
    }
    if (pid == 0) {
        close(fds[0]);
        child_main(L, &suite->tests[i], fds[1]);
    }
    setpgid(pid, pid); /* also here: no race with a kill before the child ran */
    close(fds[1]);
    *s = (struct slot){ .pid = pid, .fd = fds[0], .test = i, .start = now() };
    s->deadline = s->start + suite->tests[i].wall_seconds;
    running_pids[k] = pid;
    return true;
}

static char *dupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A formatted string on the heap (NULL when out of memory). */
static char *dupf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s;
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    return s;
}

/* The child closed its pipe: reap it and record the result. */
static void finish(struct grade_suite *suite, struct slot *s, unsigned k)
{
    int status = 0;
    while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR)
        ;
    kill(-s->pid, SIGKILL); /* anything it left in its group */
    running_pids[k] = 0;
    close(s->fd);
    struct grade_test *t = &suite->tests[s->test];
    t->seconds = now() - s->start;
    const char *text = s->buf ? s->buf : "";
    size_t outlen = strnlen(text, s->len);
    bool record = outlen + 1 < s->len;
    char *reason = NULL;
    if (s->timed_out) {
        reason = dupf("exceeded %g s of wall-clock time (killed)", t->wall_seconds);
    } else if (WIFSIGNALED(status) && (WTERMSIG(status) == SIGXCPU || WTERMSIG(status) == SIGKILL)) {
        reason = dupf("exceeded %llu s of CPU time", (unsigned long long)cpu_limit(t));
    } else if (WIFSIGNALED(status)) {
        const char *abbrev = sigabbrev_np(WTERMSIG(status));
        reason = dupf("crashed with SIG%s", abbrev ? abbrev : "?");
    } else if (!record) {
        reason = dupf("the test process exited with status %d before reporting",
                      WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
    bool passed = !reason && record && text[outlen + 1] == 'P';
    const char *msg = reason ? reason : record ? text + outlen + 2 : "the grader ran out of memory";
    size_t size = strlen(msg) + outlen + 4;
    t->output = malloc(size);
    if (t->output)
        snprintf(t->output, size, "%s%s%s", msg, *msg && outlen ? "\n" : "", text);
    t->status = passed ? GRADE_PASSED : GRADE_FAILED;
    t->score = passed ? t->points : 0;
    free(reason);
    free(s->buf);
    *s = (struct slot){ 0 };
}

static void fail_to_start(struct grade_test *t)
{
    t->status = GRADE_FAILED;
    t->output = strdup("the grader could not start a process for this test");
}

/* Per test: 0 waiting, 1 running, 2 done. */
static int parent_state(const struct grade_suite *suite, const unsigned char *state, size_t i,
                        const struct grade_test **parent)
{
    const struct grade_test *t = &suite->tests[i];
    *parent = NULL;
    if (!t->parent)
        return 2;
    for (size_t k = 0; k < i; k++)
        if (!strcmp(suite->tests[k].name, t->parent)) {
            *parent = &suite->tests[k];
            return state[k];
        }
    return 2;
}

/* The next test that can start, marking those whose parent failed as
 * skipped; returns ntests when none can start now. */
static size_t next_ready(struct grade_suite *suite, unsigned char *state)
{
    for (size_t i = 0; i < suite->ntests; i++) {
        if (state[i] != 0)
            continue;
        const struct grade_test *parent;
        if (parent_state(suite, state, i, &parent) != 2)
            continue;
        if (parent && parent->status != GRADE_PASSED) {
            struct grade_test *t = &suite->tests[i];
            t->status = GRADE_SKIPPED;
            t->output = dupf("skipped: the parent test '%s' did not pass", parent->name);
            state[i] = 2;
            continue;
        }
        return i;
    }
    return suite->ntests;
}

static void show_progress(FILE *f, const struct grade_suite *suite, size_t done)
{
    if (!f)
        return;
    fprintf(f, "\r\033[K[%zu/%zu] running:", done, suite->ntests);
    for (unsigned k = 0; k < MAX_JOBS; k++)
        if (slots[k].pid)
            fprintf(f, " %s", suite->tests[slots[k].test].name);
    fflush(f);
}

/* Wait up to 10 ms for output; read it; finish children at EOF; kill the
 * ones past their deadline. Returns how many finished. */
static size_t poll_children(struct grade_suite *suite, unsigned jobs, unsigned char *state)
{
    struct pollfd pfd[MAX_JOBS];
    unsigned which[MAX_JOBS], n = 0;
    for (unsigned k = 0; k < jobs; k++)
        if (slots[k].pid) {
            pfd[n] = (struct pollfd){ .fd = slots[k].fd, .events = POLLIN };
            which[n++] = k;
        }
    size_t finished = 0;
    if (poll(pfd, n, 10) < 0)
        return 0;
    for (unsigned j = 0; j < n; j++) {
        struct slot *s = &slots[which[j]];
        if (pfd[j].revents) {
            char buf[8192];
            ssize_t got = read(s->fd, buf, sizeof(buf));
            if (got > 0) {
                append(s, buf, (size_t)got);
            } else if (got == 0 || errno != EINTR) {
                state[s->test] = 2;
                finish(suite, s, which[j]);
                finished++;
                continue;
            }
        }
        if (!s->timed_out && now() > s->deadline) {
            s->timed_out = true;
            kill(-s->pid, SIGKILL);
        }
    }
    return finished;
}

void grade_run(lua_State *L, struct grade_suite *suite, unsigned jobs, FILE *progress)
{
    if (jobs < 1)
        jobs = 1;
    if (jobs > MAX_JOBS)
        jobs = MAX_JOBS;
    struct sigaction sa = { .sa_handler = on_signal };
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    unsigned char *state = calloc(suite->ntests ? suite->ntests : 1, 1);
    if (!state)
        return;
    double t0 = now();
    size_t done = 0, running = 0;
    for (;;) {
        for (unsigned k = 0; k < jobs; k++) {
            if (slots[k].pid)
                continue;
            size_t i = next_ready(suite, state);
            if (i == suite->ntests)
                break;
            state[i] = 1;
            if (start(L, suite, i, &slots[k], k)) {
                running++;
            } else {
                fail_to_start(&suite->tests[i]);
                state[i] = 2;
            }
        }
        done = 0;
        for (size_t i = 0; i < suite->ntests; i++)
            done += state[i] == 2;
        show_progress(progress, suite, done);
        if (done == suite->ntests)
            break;
        running -= poll_children(suite, jobs, state);
    }
    if (progress)
        fprintf(progress, "\r\033[K");
    suite->seconds = now() - t0;
    free(state);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
}

/* Walkthroughs: loading a lab's walkthrough.lua and asking its stops'
 * predicates whether the run has reached them (walkthrough.h; the file
 * format is in visualizer/README.md).
 *
 * Each walkthrough has a Lua state of its own, in which the file runs in a
 * sandbox:
 *
 *   - its globals are a fresh table with the harmless part of the standard
 *     library (no io, os, require, load, dofile, print, pcall, coroutines,
 *     metatables or debug);
 *   - every call into it (running the file, each predicate) may execute at
 *     most LUA_BUDGET virtual-machine instructions: a count hook raises an
 *     error past that, so an endless loop in a predicate is an error, not a
 *     hang (without pcall or coroutines nothing can catch it);
 *   - it may allocate at most LUA_MEMORY bytes.
 *
 * Predicates see the event as the grader's Lua table (vlab_push_event) and
 * the machine through the grader's read-only view (vlab_push_machine_view).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "grader.h"
#include "walkthrough.h"

#define LUA_BUDGET 1000000u     /* VM instructions per call into the file */
#define LUA_HOOK_EVERY 1000     /* the count hook runs every this many */
#define LUA_MEMORY (64u << 20)  /* bytes the state may hold */

struct walkthrough {
    lua_State *L;
    char *path;
    char *title, *image;
    uint64_t mem;
    struct walkthrough_stop *stops;
    size_t nstops;
    uint32_t kinds;
    int preds_ref;          /* registry: the list of the stops' `when`s */
    int view_ref;           /* registry: the machine view predicates get */
    struct vm **view;       /* the view's slot */
    uint64_t hook_calls;    /* count hook calls in the current call */
    size_t allocated;       /* bytes the Lua state holds */
};

static const char *const pane_names[] = {
#define X(upper, lower) [WALK_PANE_##upper] = #lower,
    WALK_PANE_LIST(X)
#undef X
};
static_assert(VLAB_ARRAY_SIZE(pane_names) == WALK_PANE_COUNT, "one name per pane");

/* ---- The sandbox ------------------------------------------------------------------ */

static void *limited_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    struct walkthrough *w = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        w->allocated -= old;
        return NULL;
    }
    if (nsize > old && w->allocated + (nsize - old) > LUA_MEMORY)
        return NULL; /* Lua raises "not enough memory" */
    void *p = realloc(ptr, nsize);
    if (p)
        w->allocated = w->allocated - old + nsize;
    return p;
}

static struct walkthrough *owner(lua_State *L)
{
    return *(struct walkthrough **)lua_getextraspace(L);
}

/* The count hook: past the budget, every call raises an error naming the
 * line the code had reached. */
static void budget_hook(lua_State *L, lua_Debug *ar)
{
    struct walkthrough *w = owner(L);
    if (++w->hook_calls * LUA_HOOK_EVERY <= LUA_BUDGET)
        return;
    lua_getinfo(L, "Sl", ar);
    lua_pushfstring(L, "%s:%d: ran for more than %d Lua instructions (an endless loop?)", ar->short_src,
                    ar->currentline, (int)LUA_BUDGET);
    lua_error(L);
}

/* Call the function below its `nargs` arguments with a fresh budget, like
 * lua_pcall with one result. */
static int call_limited(struct walkthrough *w, int nargs)
{
    w->hook_calls = 0;
    lua_sethook(w->L, budget_hook, LUA_MASKCOUNT, LUA_HOOK_EVERY);
    int st = lua_pcall(w->L, nargs, 1, 0);
    lua_sethook(w->L, NULL, 0, 0);
    return st;
}

/* The globals a walkthrough file gets: a new table, with copies of the
 * harmless libraries. */
static void push_sandbox_env(lua_State *L)
{
    static const char *const base[] = {
        "assert", "error", "ipairs", "next", "pairs", "rawequal", "rawget", "rawlen",
        "select", "tonumber", "tostring", "type",
    };
    static const char *const libs[] = { "math", "string", "table", "utf8" };
    lua_newtable(L);
    lua_pushglobaltable(L);
    for (size_t k = 0; k < VLAB_ARRAY_SIZE(base); k++) {
        lua_getfield(L, -1, base[k]);
        lua_setfield(L, -3, base[k]);
    }
    for (size_t k = 0; k < VLAB_ARRAY_SIZE(libs); k++) {
        lua_newtable(L);
        lua_getfield(L, -2, libs[k]);
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_settable(L, -5);
        }
        lua_pop(L, 1);
        lua_setfield(L, -3, libs[k]);
    }
    lua_pop(L, 1);
    lua_pushliteral(L, "_G");
    lua_pushvalue(L, -2);
    lua_settable(L, -3);
}

static lua_State *new_state(struct walkthrough *w)
{
    lua_State *L = lua_newstate(limited_alloc, w);
    if (!L)
        return NULL;
    *(struct walkthrough **)lua_getextraspace(L) = w;
    static const luaL_Reg libs[] = {
        { LUA_GNAME, luaopen_base }, { LUA_MATHLIBNAME, luaopen_math },
        { LUA_STRLIBNAME, luaopen_string }, { LUA_TABLIBNAME, luaopen_table },
        { LUA_UTF8LIBNAME, luaopen_utf8 },
    };
    for (size_t k = 0; k < VLAB_ARRAY_SIZE(libs); k++) {
        luaL_requiref(L, libs[k].name, libs[k].func, 1);
        lua_pop(L, 1);
    }
    return L;
}

/* ---- Checking the file ------------------------------------------------------------- */

/* Raise "PATH: WHAT" as the load error (from a function run by lua_pcall). */
static int bad(lua_State *L, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lua_pushfstring(L, "%s: ", owner(L)->path);
    lua_pushvfstring(L, fmt, ap);
    va_end(ap);
    lua_concat(L, 2);
    return lua_error(L);
}

static int kind_named(const char *name)
{
    for (unsigned k = 0; k < TRACE_KIND_COUNT; k++)
        if (!strcmp(trace_kind_name(k), name))
            return (int)k;
    return -1;
}

/* A string field of the table at `idx`, copied; NULL when absent. */
static char *opt_string(lua_State *L, int idx, const char *field, const char *what)
{
    int t = lua_getfield(L, idx, field);
    char *s = NULL;
    if (t == LUA_TSTRING)
        s = strdup(lua_tostring(L, -1));
    else if (t != LUA_TNIL)
        bad(L, "%s must be a string, not a %s", what, lua_typename(L, t));
    lua_pop(L, 1);
    return s;
}

/* A table predicate: `kind` names the kind; every other key must be a field
 * that events of that kind have (checked on an event of that kind pushed
 * as the predicates will see it). */
static uint32_t table_kinds(lua_State *L, int when, size_t i)
{
    if (lua_getfield(L, when, "kind") != LUA_TSTRING)
        bad(L, "stop %d: a table `when` needs kind = \"...\" (an event kind)", (int)i);
    int kind = kind_named(lua_tostring(L, -1));
    if (kind < 0)
        bad(L, "stop %d: unknown event kind '%s' in `when`", (int)i, lua_tostring(L, -1));
    lua_pop(L, 1);
    struct trace_event probe;
    memset(&probe, 0, sizeof(probe));
    probe.kind = (uint8_t)kind;
    vlab_push_event(L, &probe);
    lua_pushnil(L);
    while (lua_next(L, when)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING)
            bad(L, "stop %d: the keys of `when` are event field names", (int)i);
        if (lua_getfield(L, -2, lua_tostring(L, -1)) == LUA_TNIL)
            bad(L, "stop %d: %s events have no field '%s' (see grader/README.md)", (int)i,
                trace_kind_name((unsigned)kind), lua_tostring(L, -2));
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return TRACE_BIT(kind);
}

/* A function predicate's `kinds`: a list of kind names. */
static uint32_t listed_kinds(lua_State *L, int stop, size_t i)
{
    if (lua_getfield(L, stop, "kinds") != LUA_TTABLE)
        bad(L, "stop %d: a function `when` needs kinds = { \"kind\", ... }: the events it looks at",
            (int)i);
    uint32_t kinds = 0;
    lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
    for (lua_Integer k = 1; k <= n; k++) {
        lua_rawgeti(L, -1, k);
        const char *name = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "";
        int kind = kind_named(name);
        if (kind < 0)
            bad(L, "stop %d: unknown event kind '%s' in kinds", (int)i, name);
        kinds |= TRACE_BIT(kind);
        lua_pop(L, 1);
    }
    if (!kinds)
        bad(L, "stop %d: kinds is empty", (int)i);
    lua_pop(L, 1);
    return kinds;
}

static enum walk_pane pane_of(lua_State *L, int stop, size_t i)
{
    int t = lua_getfield(L, stop, "pane");
    if (t == LUA_TNIL) {
        lua_pop(L, 1);
        return WALK_PANE_LOG;
    }
    const char *name = t == LUA_TSTRING ? lua_tostring(L, -1) : "";
    for (unsigned p = 0; p < WALK_PANE_COUNT; p++)
        if (!strcmp(pane_names[p], name)) {
            lua_pop(L, 1);
            return (enum walk_pane)p;
        }
    return bad(L, "stop %d: unknown pane '%s' (rings, walk, log, regs or console)", (int)i, name);
}

/* Check stop `i` (the table on top of the stack), fill w->stops[i - 1] and
 * append its `when` to the list at `preds`. */
static void check_stop(lua_State *L, struct walkthrough *w, size_t i, int preds)
{
    int stop = lua_gettop(L);
    if (!lua_istable(L, stop))
        bad(L, "stop %d is a %s, not a table", (int)i, luaL_typename(L, stop));
    struct walkthrough_stop *s = &w->stops[i - 1];
    s->title = opt_string(L, stop, "title", "a stop's title");
    if (!s->title || !*s->title)
        bad(L, "stop %d has no title", (int)i);
    s->text = opt_string(L, stop, "text", "a stop's text");
    if (!s->text)
        bad(L, "stop %d (\"%s\") has no text", (int)i, s->title);
    s->pane = pane_of(L, stop, i);
    int t = lua_getfield(L, stop, "when");
    if (t == LUA_TTABLE)
        s->kinds = table_kinds(L, lua_gettop(L), i);
    else if (t == LUA_TFUNCTION)
        s->kinds = listed_kinds(L, stop, i);
    else if (t == LUA_TNIL)
        bad(L, "stop %d (\"%s\") has no `when`", (int)i, s->title);
    else
        bad(L, "stop %d (\"%s\"): `when` must be a table or a function, not a %s", (int)i, s->title,
            lua_typename(L, t));
    lua_rawseti(L, preds, (lua_Integer)i);
    w->kinds |= s->kinds;
}

/* "32M", "512K", a number of bytes. */
static uint64_t mem_size(lua_State *L, int idx)
{
    if (lua_isinteger(L, idx) && lua_tointeger(L, idx) > 0)
        return (uint64_t)lua_tointeger(L, idx);
    const char *s = lua_type(L, idx) == LUA_TSTRING ? lua_tostring(L, idx) : "";
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    unsigned shift = *end == 'K' ? 10 : *end == 'M' ? 20 : *end == 'G' ? 30 : 0;
    if (shift)
        end++;
    if (*end || v == 0 || end == s)
        bad(L, "mem wants a size like \"32M\"");
    return (uint64_t)v << shift;
}

/* The image's path as the grader resolves it: absolute, or relative to the
 * repository root, with build/ meaning $VLAB_BUILD when set. */
static char *resolve_image(const char *image)
{
    const char *build = getenv("VLAB_BUILD");
    char *path;
    int n;
    if (image[0] == '/')
        n = asprintf(&path, "%s", image);
    else if (build && *build && !strncmp(image, "build/", 6))
        n = asprintf(&path, "%s/%s/%s", grade_root(), build, image + 6);
    else
        n = asprintf(&path, "%s/%s", grade_root(), image);
    return n < 0 ? NULL : path;
}

/* Run under lua_pcall with the file's value on the stack: check it all. */
static int check_walkthrough(lua_State *L)
{
    struct walkthrough *w = owner(L);
    if (!lua_istable(L, 1))
        return bad(L, "the file must return a table (return { title = ..., stops = { ... } })");
    w->title = opt_string(L, 1, "title", "title");
    if (!w->title)
        return bad(L, "the walkthrough has no title");
    char *image = opt_string(L, 1, "image", "image");
    if (image) {
        w->image = resolve_image(image);
        free(image);
    }
    if (lua_getfield(L, 1, "mem") != LUA_TNIL)
        w->mem = mem_size(L, -1);
    if (lua_getfield(L, 1, "stops") != LUA_TTABLE || lua_rawlen(L, -1) == 0)
        return bad(L, "the walkthrough has no stops (stops = { { title = ..., when = ..., text = ... }, ... })");
    int stops = lua_gettop(L);
    size_t n = lua_rawlen(L, stops);
    w->stops = calloc(n, sizeof(*w->stops));
    if (!w->stops)
        return bad(L, "out of memory");
    w->nstops = n;
    lua_createtable(L, (int)n, 0);
    int preds = lua_gettop(L);
    for (size_t i = 1; i <= n; i++) {
        lua_rawgeti(L, stops, (lua_Integer)i);
        check_stop(L, w, i, preds);
        lua_settop(L, preds);
    }
    w->preds_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    vlab_push_machine_view(L);
    w->view = lua_touserdata(L, -1);
    w->view_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
}

/* ---- Loading --------------------------------------------------------------------- */

struct walkthrough *walkthrough_load(const char *path, char *err, size_t errlen)
{
    struct walkthrough *w = calloc(1, sizeof(*w));
    if (!w || !(w->path = strdup(path)) || !(w->L = new_state(w))) {
        snprintf(err, errlen, "%s: out of memory", path);
        walkthrough_free(w);
        return NULL;
    }
    lua_State *L = w->L;
    int st = luaL_loadfilex(L, path, "t");
    if (st == LUA_OK) {
        push_sandbox_env(L);
        lua_setupvalue(L, -2, 1); /* the chunk's _ENV */
        st = call_limited(w, 0);
    }
    if (st == LUA_OK) {
        lua_pushcfunction(L, check_walkthrough);
        lua_insert(L, -2);
        st = lua_pcall(L, 1, 0, 0);
    }
    if (st != LUA_OK) {
        snprintf(err, errlen, "%s", lua_tostring(L, -1) ? lua_tostring(L, -1) : "error loading the walkthrough");
        walkthrough_free(w);
        return NULL;
    }
    lua_settop(L, 0);
    return w;
}

void walkthrough_free(struct walkthrough *w)
{
    if (!w)
        return;
    if (w->L)
        lua_close(w->L);
    for (size_t i = 0; i < w->nstops; i++) {
        free((char *)w->stops[i].title);
        free((char *)w->stops[i].text);
    }
    free(w->stops);
    free(w->title);
    free(w->image);
    free(w->path);
    free(w);
}

/* ---- What the player asks ------------------------------------------------------------- */

const char *walkthrough_title(const struct walkthrough *w) { return w->title; }
const char *walkthrough_image(const struct walkthrough *w) { return w->image; }
uint64_t walkthrough_mem(const struct walkthrough *w) { return w->mem; }
size_t walkthrough_count(const struct walkthrough *w) { return w->nstops; }
uint32_t walkthrough_kinds(const struct walkthrough *w) { return w->kinds; }

const struct walkthrough_stop *walkthrough_stop(const struct walkthrough *w, size_t i)
{
    return i < w->nstops ? &w->stops[i] : NULL;
}

/* match(when, ev, m) -> boolean, run under lua_pcall: call a function
 * predicate; compare a table's fields with the event's (a function value
 * is called with the event's field). */
static int l_match(lua_State *L)
{
    if (lua_isfunction(L, 1)) {
        lua_call(L, 2, 1);
        lua_pushboolean(L, lua_toboolean(L, -1));
        return 1;
    }
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        lua_getfield(L, 2, lua_tostring(L, -2)); /* the keys are names: checked at load */
        bool ok;
        if (lua_isfunction(L, -2)) {
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_call(L, 1, 1);
            ok = lua_toboolean(L, -1);
        } else {
            ok = lua_rawequal(L, -1, -2);
        }
        lua_pop(L, 2);
        if (!ok) {
            lua_pushboolean(L, false);
            return 1;
        }
    }
    lua_pushboolean(L, true);
    return 1;
}

int walkthrough_match(struct walkthrough *w, size_t i, const struct trace_event *ev,
                      struct vm *vm, char *err, size_t errlen)
{
    assert(i < w->nstops);
    if (!(w->stops[i].kinds & TRACE_BIT(ev->kind)))
        return 0;
    lua_State *L = w->L;
    lua_pushcfunction(L, l_match);
    lua_rawgeti(L, LUA_REGISTRYINDEX, w->preds_ref);
    lua_rawgeti(L, -1, (lua_Integer)i + 1);
    lua_remove(L, -2);
    vlab_push_event(L, ev);
    lua_rawgeti(L, LUA_REGISTRYINDEX, w->view_ref);
    *w->view = vm;
    int st = call_limited(w, 3);
    *w->view = NULL;
    int yes = st == LUA_OK && lua_toboolean(L, -1);
    if (st != LUA_OK)
        snprintf(err, errlen, "%s (in the predicate of stop %zu, \"%s\")",
                 lua_tostring(L, -1) ? lua_tostring(L, -1) : "error", i + 1, w->stops[i].title);
    lua_settop(L, 0);
    return st == LUA_OK ? yes : -1;
}

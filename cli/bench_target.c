/* vlab bench: what vlab is compared with. Each is another program, run as
 * a process of its own on the same image and command line; its console
 * must show the same checksum as vlab's.
 *
 *   qemu   qemu-system-i386 with TCG, its dynamic binary translator
 *   kvm    qemu-system-i386 on /dev/kvm: the real CPU (VT-x or AMD-V)
 *   bochs  Bochs, an interpreter like vlab's (bench_bochs.c)
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

/* ---- running a program ---------------------------------------------------- */

/* Append what fd has to *buf (grown as needed). Returns false at end of
 * file or on an error. */
static bool drain(int fd, char **buf, size_t *len, size_t *cap)
{
    if (*cap - *len < 4096) {
        size_t ncap = *cap ? *cap * 2 : 16384;
        char *nbuf = realloc(*buf, ncap);
        if (!nbuf)
            return false;
        *buf = nbuf;
        *cap = ncap;
    }
    ssize_t n = read(fd, *buf + *len, *cap - *len - 1);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return true;
    if (n <= 0)
        return false;
    *len += (size_t)n;
    (*buf)[*len] = '\0';
    return true;
}

/* The child's side: stdin from /dev/null, stdout and stderr into the pipe. */
static _Noreturn void exec_child(char *const argv[], int out)
{
    int null = open("/dev/null", O_RDONLY);
    if (null >= 0)
        dup2(null, 0);
    dup2(out, 1);
    dup2(out, 2);
    execvp(argv[0], argv);
    fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

/* Has the output shown UNTIL and the end of its line? */
static bool reached(const char *buf, const char *until)
{
    const char *p = until && buf ? strstr(buf, until) : NULL;
    return p && strchr(p, '\n');
}

int bench_spawn(char *const argv[], const char *until, double timeout, struct bench_sample *s,
                char **out, char *err, size_t errlen)
{
    int fd[2];
    memset(s, 0, sizeof *s);
    *out = NULL;
    if (pipe(fd) != 0) {
        snprintf(err, errlen, "cannot create a pipe: %s", strerror(errno));
        return -1;
    }
    fflush(NULL);
    double t0 = bench_now();
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "cannot fork to run %s: %s", argv[0], strerror(errno));
        close(fd[0]);
        close(fd[1]);
        return -1;
    }
    if (pid == 0) {
        close(fd[0]);
        exec_child(argv, fd[1]);
    }
    close(fd[1]);
    char *buf = NULL;
    size_t len = 0, cap = 0;
    bool timed_out = false, done = false;
    for (;;) {
        double left = t0 + timeout - bench_now();
        if (left <= 0) {
            kill(pid, SIGKILL);
            timed_out = true;
            break;
        }
        struct pollfd p = { .fd = fd[0], .events = POLLIN };
        int r = poll(&p, 1, left > 1 ? 1000 : (int)(left * 1000) + 1);
        if (r > 0 && !drain(fd[0], &buf, &len, &cap))
            break;
        if (reached(buf, until)) {
            s->seconds = bench_now() - t0;
            kill(pid, SIGKILL);
            done = true;
            break;
        }
    }
    close(fd[0]);
    int st;
    struct rusage ru;
    while (wait4(pid, &st, 0, &ru) < 0 && errno == EINTR)
        ;
    if (!done)
        s->seconds = bench_now() - t0;
    s->maxrss_kib = ru.ru_maxrss;
    /* A guest that printed its last line counts as having exited with
     * status 1 (it wrote 0 to an exit port the program lacks). */
    s->status = done ? 1 : timed_out ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    *out = buf ? buf : calloc(1, 1);
    if (s->status == 127 && strstr(*out, "cannot run ")) {
        snprintf(err, errlen, "%s", strstr(*out, "cannot run "));
        err[strcspn(err, "\n")] = '\0';
        return -1;
    }
    return 0;
}

bool bench_on_path(const char *program)
{
    const char *path = getenv("PATH");
    char file[4096];
    while (path && *path) {
        size_t n = strcspn(path, ":");
        if (snprintf(file, sizeof file, "%.*s/%s", (int)n, path, program) < (int)sizeof file &&
            access(file, X_OK) == 0)
            return true;
        path += n + (path[n] == ':');
    }
    return false;
}

void bench_first_line(const char *program, const char *option, const char *match, char *buf, size_t len)
{
    char *argv[] = { (char *)program, (char *)option, NULL };
    struct bench_sample s;
    char *out, err[256];
    buf[0] = '\0';
    if (bench_spawn(argv, NULL, 10, &s, &out, err, sizeof err) != 0)
        return;
    const char *line = match ? strstr(out, match) : out;
    if (line) {
        line += strspn(line, " \t");
        snprintf(buf, len, "%.*s", (int)strcspn(line, "\r\n"), line);
    }
    free(out);
}

/* ---- QEMU ------------------------------------------------------------------ */

#define QEMU "qemu-system-i386"

static const char *qemu_unavailable(char *why, size_t len)
{
    if (bench_on_path(QEMU))
        return NULL;
    snprintf(why, len, QEMU " is not installed (make deps installs it)");
    return why;
}

static void qemu_version(char *buf, size_t len)
{
    bench_first_line(QEMU, "--version", NULL, buf, len);
}

/* Boot the guest under QEMU with ACCEL, as guests/kernel/README.md does,
 * and read the checksum off its console. */
static int qemu_run_with(const char *accel, const struct bench_guest *g, struct bench_sample *s,
                         char *err, size_t errlen)
{
    char mem[32];
    snprintf(mem, sizeof mem, "%" PRIu64, g->ram >> 20);
    char *argv[] = {
        QEMU, "-kernel", (char *)g->image, "-append", (char *)g->cmdline, "-nographic",
        "-monitor", "none", "-serial", "stdio", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
        "-no-reboot", "-m", mem, "-cpu", "pentium2", "-accel", (char *)accel, NULL,
    };
    char *out;
    if (bench_spawn(argv, NULL, g->timeout, s, &out, err, errlen) != 0)
        return -1;
    s->have_checksum = bench_find_checksum(out, &s->checksum);
    free(out);
    return 0;
}

static int qemu_run(const struct bench_guest *g, struct bench_sample *s, char *err, size_t errlen)
{
    return qemu_run_with("tcg", g, s, err, errlen);
}

/* ---- KVM -------------------------------------------------------------------- */

/* The module behind /dev/kvm, as tests/kvm.sh finds it. */
static const char *kvm_module(void)
{
    static const char *const modules[] = { "kvm_intel", "kvm_amd", "kvm_pvm" };
    for (size_t k = 0; k < VLAB_ARRAY_SIZE(modules); k++) {
        char dir[64];
        struct stat st;
        snprintf(dir, sizeof dir, "/sys/module/%s", modules[k]);
        if (stat(dir, &st) == 0)
            return modules[k];
    }
    return NULL;
}

static const char *kvm_unavailable(char *why, size_t len)
{
    static const char pvm[] = "kvm_pvm, which cannot run 32-bit protected-mode guests "
                              "(it fails on IRET and on turning paging on; see tests/kvm.sh)";
    const char *module = kvm_module();
    bool is_pvm = module && !strcmp(module, "kvm_pvm");
    if (access("/dev/kvm", F_OK) != 0)
        snprintf(why, len, "/dev/kvm does not exist%s%s", is_pvm ? "; the module loaded here is " : "",
                 is_pvm ? pvm : "");
    else if (is_pvm)
        snprintf(why, len, "/dev/kvm is backed by %s", pvm);
    else if (access("/dev/kvm", R_OK | W_OK) != 0)
        snprintf(why, len, "/dev/kvm cannot be opened for reading and writing: %s", strerror(errno));
    else if (!module)
        snprintf(why, len, "cannot tell which module backs /dev/kvm (none of kvm_intel, kvm_amd, kvm_pvm)");
    else
        return qemu_unavailable(why, len);
    return why;
}

static int kvm_run(const struct bench_guest *g, struct bench_sample *s, char *err, size_t errlen)
{
    return qemu_run_with("kvm", g, s, err, errlen);
}

const struct bench_target bench_targets[] = {
    { "qemu", "QEMU's TCG: a dynamic binary translator", qemu_unavailable, qemu_version, qemu_run },
    { "bochs", "Bochs: an interpreter", bench_bochs_unavailable, bench_bochs_version, bench_bochs_run },
    { "kvm", "QEMU on /dev/kvm: the host CPU's VT-x or AMD-V", kvm_unavailable, qemu_version, kvm_run },
};
const size_t bench_ntargets = VLAB_ARRAY_SIZE(bench_targets);

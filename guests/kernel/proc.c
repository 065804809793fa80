/* proc.c - processes and the scheduler.
 *
 * A process is a slot of procs[]: an address space (vm.c), a kernel stack,
 * and a state:
 *
 *     proc_alloc     fork/exec         scheduler         exit
 *   UNUSED ---> EMBRYO ---> RUNNABLE <---------> RUNNING ---> ZOMBIE
 *      ^                       ^      yield, timer    |          |
 *      |                       |                 wait |          |
 *      |                       +---- SLEEPING <-------+          |
 *      |                     wakeup                              |
 *      +-------------------------- wait (the parent) ------------+
 *
 * The scheduler runs on the boot stack with the kernel map as address
 * space. To run a process it switches to the process's kernel stack with
 * swtch(); the process returns the CPU by switching back (sched()), when it
 * yields, sleeps or exits. Round robin: the scheduler takes the next
 * runnable slot after the one it ran last, so every runnable process gets
 * its turn. Preemption is the timer interrupt calling yield() (trap.c).
 *
 * There are no locks: there is one CPU, and the kernel runs with
 * interrupts disabled, so nothing else runs while kernel code does.
 */
#include "kernel.h"

struct proc *current;
static struct proc procs[NPROC];
static struct proc *initproc;
static struct context *scheduler_context;
static int next_pid = 1;

/*
 * Take an unused slot and give it a pid and a kernel stack, prepared so
 * that when the scheduler first switches to it, it "returns" to user mode
 * with the registers in p->tf, which the caller fills in:
 *
 *   kstack + KSTACK_SIZE -> +-------------------+  (TSS.ESP0 while it runs)
 *                           | struct trapframe  |  p->tf
 *                           +-------------------+
 *                           | struct context    |  p->context, eip = trapret
 *                           +-------------------+
 *                           | (free)            |
 *   kstack ---------------> +-------------------+
 *
 * Returns the slot, in state EMBRYO, or NULL if there is none or no memory.
 */
struct proc *proc_alloc(void)
{
    struct proc *p = procs;
    while (p < procs + NPROC && p->state != UNUSED)
        p++;
    if (p == procs + NPROC || !(p->kstack = page_alloc()))
        return NULL;
    p->state = EMBRYO;
    p->pid = next_pid++;
    p->tf = (struct trapframe *)(p->kstack + KSTACK_SIZE) - 1;
    p->context = (struct context *)p->tf - 1;
    p->context->eip = (uint32_t)trapret;
    return p;
}

/* Give back everything P holds and mark its slot unused. */
static void proc_free(struct proc *p)
{
    if (p->pgdir)
        vm_free(p->pgdir);
    page_decref(V2P(p->kstack));
    memset(p, 0, sizeof *p);
}

/* Create the first process, running the program "init", or the one the
 * command line names with init=PROGRAM (cmdline.c). */
void proc_start_init(void)
{
    char program[16] = "init";
    cmdline_option("init", program, sizeof program);
    struct proc *p = proc_alloc();
    if (!p || exec(p, program) < 0)
        panic("cannot create the init process (program '%s')", program);
    initproc = p;
    p->state = RUNNABLE;
}

/* The next RUNNABLE process after slot *last (round robin), or NULL. */
static struct proc *pick_next(unsigned *last)
{
    for (unsigned i = 1; i <= NPROC; i++) {
        unsigned k = (*last + i) % NPROC;
        if (procs[k].state == RUNNABLE) {
            *last = k;
            return &procs[k];
        }
    }
    return NULL;
}

/* Run processes, for ever. With nothing to run, wait for an interrupt
 * (which may make something runnable) with interrupts enabled for once. */
_Noreturn void scheduler(void)
{
    unsigned last = NPROC - 1;
    for (;;) {
        struct proc *p = pick_next(&last);
        if (!p) {
            arch->safe_halt();
            arch->irq_disable();
            continue;
        }
        p->state = RUNNING;
        current = p;
        vm_switch(p);
        swtch(&scheduler_context, p->context);
        /* p gave the CPU back: it is RUNNABLE, SLEEPING or a ZOMBIE. */
        vm_switch_kernel();
        current = NULL;
    }
}

/* Switch from the current process back to the scheduler; return when the
 * scheduler picks the process again. The caller has changed its state. */
static void sched(void)
{
    swtch(&current->context, scheduler_context);
}

/* Give up the CPU for one round. */
void yield(void)
{
    current->state = RUNNABLE;
    sched();
}

/* Wait until wakeup(CHAN). */
void sleep(const void *chan)
{
    current->chan = chan;
    current->state = SLEEPING;
    sched();
    current->chan = NULL;
}

void wakeup(const void *chan)
{
    for (struct proc *p = procs; p < procs + NPROC; p++)
        if (p->state == SLEEPING && p->chan == chan)
            p->state = RUNNABLE;
}

/* A copy of the current process that returns 0 from this system call
 * (EAX = 0 in its trap frame). Returns the child's pid, or -1. */
int fork(void)
{
    struct proc *np = proc_alloc();
    if (!np)
        return -1;
    if (!(np->pgdir = vm_fork(current->pgdir))) {
        proc_free(np);
        return -1;
    }
    arch->load_cr3(V2P(current->pgdir)); /* our writable pages became read-only: flush the TLB */
    *np->tf = *current->tf;
    np->tf->eax = 0;
    np->brk = current->brk;
    np->onfault = current->onfault;
    strlcpy(np->name, current->name, sizeof np->name);
    np->parent = current;
    np->state = RUNNABLE;
    return np->pid;
}

/* End the current process with STATUS. Its children go to init; its
 * memory stays until the parent collects the status with wait(). */
_Noreturn void exit(int status)
{
    if (current == initproc)
        panic("init exited (status %d)", status);
    for (struct proc *p = procs; p < procs + NPROC; p++) {
        if (p->parent == current) {
            p->parent = initproc;
            if (p->state == ZOMBIE)
                wakeup(initproc);
        }
    }
    current->xstatus = status;
    current->state = ZOMBIE;
    wakeup(current->parent);
    sched();
    panic("a zombie was scheduled");
}

/* Wait for a child to exit, free it, and return its pid with its exit
 * status in *status. Returns -1 if the current process has no children
 * (or was killed while waiting). */
int wait(int *status)
{
    for (;;) {
        bool children = false;
        for (struct proc *p = procs; p < procs + NPROC; p++) {
            if (p->parent != current)
                continue;
            children = true;
            if (p->state == ZOMBIE) {
                int pid = p->pid;
                *status = p->xstatus;
                proc_free(p);
                return pid;
            }
        }
        if (!children || current->killed)
            return -1;
        sleep(current); /* exit() wakes the parent */
    }
}

/* Make process PID exit with status -1, as soon as it next leaves the
 * kernel (trap.c). Returns 0, or -1 if there is no such live process or it
 * is init, which must not die. */
int kill(int pid)
{
    for (struct proc *p = procs; p < procs + NPROC; p++) {
        if (p->pid != pid || p == initproc || p->state == UNUSED || p->state == EMBRYO || p->state == ZOMBIE)
            continue;
        p->killed = true;
        if (p->state == SLEEPING)
            p->state = RUNNABLE;
        return 0;
    }
    return -1;
}

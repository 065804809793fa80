/* "Not implemented yet": what a lab handout's stubs call.
 *
 * In the reference tree every function a student writes holds the
 * reference code between solution markers, and under them a one-line stub
 * (DESIGN.md, "Lab folders"). A handout keeps only the stub, for example
 *
 *     bool mmu_walk(...)
 *     {
 *         *w = (struct mmu_walk){ .lin = lin, .access = access };
 *         vlab_todo("lab01: mmu_walk", pm, cr0, cr3, cr4);
 *         w->fault = true;
 *         return false;
 *     }
 *
 * so that a handout builds, runs, and says what is missing instead of
 * crashing. The first call for each name prints one line on standard error,
 *
 *     vlab: not implemented: lab01: mmu_walk
 *
 * and every call is counted, so that the machine (or a grader) can stop a
 * run that reached unwritten code.
 *
 * The arguments after `what` are the stubbed function's parameters, passed
 * only to mark them used: a stub that replaces a whole function body then
 * compiles under -Wall -Wextra -Werror (-Wunused-parameter). vlab_todo
 * never reads them.
 *
 * What a stub returns is chosen per function so that the rest of vlab
 * copes (the function's contract comment says which): an instruction
 * handler raises #UD, as a CPU lacking the instruction would; a page walk
 * faults; a function returning a negative errno returns vlab_todo()'s
 * -ENOSYS; a lookup returning "none" as a negative number returns it too.
 */
#ifndef VLAB_TODO_H
#define VLAB_TODO_H

/* Note that the lab function `what` ("labNN: name") was called but is not
 * written yet: print "vlab: not implemented: <what>" on stderr the first
 * time this name is seen, and count the call. Returns -ENOSYS. Safe to call
 * from several threads. */
int vlab_todo(const char *what, ...);

/* How many times vlab_todo() has been called in this process. A run loop
 * compares it before and after running guest code. */
unsigned long vlab_todo_calls(void);

/* The `what` of the latest call, or NULL if there was none. */
const char *vlab_todo_last(void);

#endif

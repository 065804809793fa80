/* user_hello.c - the smallest program. */
#include "user.h"

int hello_main(void);

int hello_main(void)
{
    printf("hello: hello, world, from user mode (pid %d)\n", getpid());
    return 0;
}

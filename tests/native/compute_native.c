/* The compute workload compiled for the host: prints the same line as the
 * guest (guests/compute), so tests/compute.sh can compare checksums. */
#include <stdio.h>
#include <stdlib.h>

#include "workload.h"

int main(int argc, char **argv)
{
    unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 20;
    printf("compute: iterations=%u checksum=%08x\n", n, compute_run(n));
    return 0;
}

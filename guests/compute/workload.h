#ifndef COMPUTE_WORKLOAD_H
#define COMPUTE_WORKLOAD_H

#include <stdint.h>

/* Run the integer mix `iterations` times; returns the checksum. */
uint32_t compute_run(uint32_t iterations);

#endif

/* libFuzzer target for the Multiboot loader: any file, however malformed,
 * is either loaded or refused with a message; never a crash, a hang or an
 * access outside the buffer or guest RAM. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vlab/cpu.h"
#include "vlab/loader.h"
#include "vlab/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct physmem pm;
    static struct bus bus;
    static struct cpu cpu;
    static bool ready;
    if (!ready) {
        if (physmem_init(&pm, 8u << 20) || cpu_init(&cpu, &pm, &bus))
            abort();
        bus_init(&bus);
        ready = true;
    }
    char err[256];
    err[0] = 0;
    struct loader_args a = { .image = data, .image_len = size, .cmdline = "fuzz" };
    int rc = loader_multiboot(&pm, &cpu, &a, err, sizeof(err));
    if (rc != 0 && (err[0] == 0 || memchr(err, 0, sizeof(err)) == NULL))
        abort(); /* a refusal must say why */
    return 0;
}

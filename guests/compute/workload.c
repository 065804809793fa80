/* The compute workload: a deterministic integer mix — arithmetic, a sort,
 * CRC32, a small bytecode interpreter and string instructions — that returns
 * a checksum. The same file is compiled for the guest (and run on vlab, on
 * QEMU, on the real CPU through KVM) and for the host (tests/compute.sh), so
 * the checksums must be equal: a test of the CPU on real compiler output. */
#include "workload.h"

#define N_SORT 512
#define N_BUF 2048

static uint32_t rng_state;

static uint32_t xorshift32(void)
{
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return rng_state = x;
}

/* Arithmetic: multiplies, divides, shifts, rotates and flags-heavy compares. */
static uint32_t arith(uint32_t seed)
{
    uint32_t a = seed | 1, b = 0x9e3779b9u, acc = 0;
    for (int i = 0; i < 2000; i++) {
        a = a * 1664525u + 1013904223u;
        b ^= (a >> 7) | (a << 25);
        uint32_t d = (b & 0xffff) | 1;
        acc += a / d + a % d;
        acc ^= (uint32_t)((int32_t)b >> 3);
        if ((int32_t)acc < (int32_t)a)
            acc = (acc << 1) | (acc >> 31);
        uint64_t m = (uint64_t)a * b;
        acc += (uint32_t)(m >> 32) ^ (uint32_t)m;
    }
    return acc;
}

/* Insertion sort of pseudo-random words, then a checksum of the order. */
static uint32_t sort(void)
{
    static uint32_t v[N_SORT];
    for (int i = 0; i < N_SORT; i++)
        v[i] = xorshift32();
    for (int i = 1; i < N_SORT; i++) {
        uint32_t x = v[i];
        int j = i - 1;
        while (j >= 0 && v[j] > x) {
            v[j + 1] = v[j];
            j--;
        }
        v[j + 1] = x;
    }
    uint32_t h = 0;
    for (int i = 0; i < N_SORT; i++)
        h = h * 31 + v[i];
    return h;
}

/* CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320) with a table. */
static uint32_t crc32(const uint8_t *p, uint32_t n)
{
    static uint32_t table[256];
    if (!table[1]) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
    }
    uint32_t c = 0xffffffffu;
    while (n--)
        c = table[(c ^ *p++) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

/* A tiny stack machine: computes the sum of (i*i) mod 7 for i < 200.
 * Instructions are (opcode, argument) pairs; jump targets are byte offsets. */
enum { OP_PUSH, OP_LOAD, OP_STORE, OP_ADD, OP_MUL, OP_MOD, OP_LT, OP_JZ, OP_JMP, OP_HALT };

static uint32_t interp(void)
{
    static const uint8_t prog[] = {
        OP_PUSH, 0, OP_STORE, 0,            /* i = 0 */
        OP_PUSH, 0, OP_STORE, 1,            /* s = 0 */
        OP_LOAD, 0, OP_PUSH, 200, OP_LT, 0, /* 8: i < 200 ? */
        OP_JZ, 42,
        OP_LOAD, 1, OP_LOAD, 0, OP_LOAD, 0, OP_MUL, 0, OP_PUSH, 7, OP_MOD, 0, OP_ADD, 0,
        OP_STORE, 1,                        /* s = s + (i*i) % 7 */
        OP_LOAD, 0, OP_PUSH, 1, OP_ADD, 0, OP_STORE, 0,  /* i = i + 1 */
        OP_JMP, 8,
        OP_HALT, 0,                         /* 42 */
    };
    uint32_t stack[16], vars[2] = { 0, 0 };
    int sp = 0, pc = 0;
    for (;;) {
        uint8_t op = prog[pc], arg = prog[pc + 1];
        pc += 2;
        switch (op) {
        case OP_PUSH: stack[sp++] = arg; break;
        case OP_LOAD: stack[sp++] = vars[arg]; break;
        case OP_STORE: vars[arg] = stack[--sp]; break;
        case OP_ADD: sp--; stack[sp - 1] += stack[sp]; break;
        case OP_MUL: sp--; stack[sp - 1] *= stack[sp]; break;
        case OP_MOD: sp--; stack[sp - 1] %= stack[sp]; break;
        case OP_LT: sp--; stack[sp - 1] = stack[sp - 1] < stack[sp]; break;
        case OP_JZ: if (!stack[--sp]) pc = arg; break;
        case OP_JMP: pc = arg; break;
        default: return vars[1];
        }
    }
}

/* String instructions: REP MOVSB, REP STOSD and REPNE SCASB. */
static uint32_t strings(uint8_t *buf, uint8_t *copy)
{
    uint32_t n = N_BUF;
    for (uint32_t i = 0; i < n; i++)
        buf[i] = (uint8_t)xorshift32() | 1;
    buf[n - 1] = 0;
    void *d = copy, *s = buf;
    uint32_t c = n;
    __asm__ volatile("cld; rep movsb" : "+D"(d), "+S"(s), "+c"(c) : : "memory");
    uint32_t len;
    const void *p = copy;
    c = 0xffffffffu;
    __asm__ volatile("repne scasb" : "+D"(p), "+c"(c) : "a"(0) : "memory", "cc");
    len = ~c - 1;
    uint32_t h = crc32(copy, n);
    d = copy;
    c = n / 4;
    __asm__ volatile("rep stosl" : "+D"(d), "+c"(c) : "a"(0x5a5a5a5au) : "memory");
    return h ^ len ^ crc32(copy, 64);
}

uint32_t compute_run(uint32_t iterations)
{
    static uint8_t buf[N_BUF], copy[N_BUF];
    uint32_t sum = 0;
    rng_state = 2463534242u;
    for (uint32_t it = 0; it < iterations; it++) {
        sum = sum * 33 + arith(sum + it);
        sum = sum * 33 + sort();
        sum = sum * 33 + interp();
        sum = sum * 33 + strings(buf, copy);
    }
    return sum;
}

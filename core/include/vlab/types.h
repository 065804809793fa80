/* Basic types shared by every part of vlab.
 *
 * Addresses carry their space in their type, because mixing them is the
 * classic hypervisor bug:
 *
 *   gva_t  guest-virtual (for IA-32: a linear address, after segmentation)
 *   gpa_t  guest-physical (what the guest's page tables point at)
 *   hpa_t  host-physical (what an EPT or IOMMU walk ends in)
 *
 * Host pointers into guest memory are plain `uint8_t *`.
 */
#ifndef VLAB_TYPES_H
#define VLAB_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint32_t gva_t;
typedef uint64_t gpa_t;
typedef uint64_t hpa_t;

#define VLAB_PAGE_SHIFT 12
#define VLAB_PAGE_SIZE (1u << VLAB_PAGE_SHIFT)
#define VLAB_PAGE_MASK (VLAB_PAGE_SIZE - 1)

#define VLAB_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__GNUC__)
#define vlab_likely(x) __builtin_expect(!!(x), 1)
#define vlab_unlikely(x) __builtin_expect(!!(x), 0)
#else
#define vlab_likely(x) (x)
#define vlab_unlikely(x) (x)
#endif

#endif

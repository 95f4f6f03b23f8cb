/*
 * lib/types.h - fixed-width types and bit helpers shared by the hypervisor,
 * the guests and the host unit tests.  Freestanding: only compiler headers.
 */
#ifndef LIB_TYPES_H
#define LIB_TYPES_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

#define BIT(n)          (1ULL << (n))
/* Bits hi..lo set, inclusive: GENMASK(7, 4) == 0xf0. */
#define GENMASK(hi, lo) (((~0ULL) >> (63 - (hi))) & ~((1ULL << (lo)) - 1))

#define ARRAY_SIZE(a)   (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a)  (((x) + ((a) - 1)) & ~((u64)(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((u64)(a) - 1))
#define MIN(a, b)       ((a) < (b) ? (a) : (b))
#define MAX(a, b)       ((a) > (b) ? (a) : (b))
/* A branch the ordinary path does not take (the code is laid out for the other one). */
#define unlikely(x)     __builtin_expect(!!(x), 0)

#define PAGE_SIZE       4096ULL
#define PAGE_SHIFT      12

#define __packed        __attribute__((packed))
#define __aligned(x)    __attribute__((aligned(x)))
#define __noreturn      __attribute__((noreturn))
#define __printf(a, b)  __attribute__((format(printf, a, b)))
#define __unused        __attribute__((unused))

#endif

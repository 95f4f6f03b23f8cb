/*
 * tests/fuzz/fz_in.h - reading a libFuzzer input as a byte stream: values
 * little-endian, and zero bytes once the input is used up, so that every
 * input, however short, decodes to something.  Shared by the targets that
 * read their input as a program (fuzz_vapic, fuzz_avic, fuzz_irqchip,
 * fuzz_guest_walk); the committed seeds rely on this encoding.
 */
#ifndef TESTS_FUZZ_FZ_IN_H
#define TESTS_FUZZ_FZ_IN_H

#include <stddef.h>
#include "lib/types.h"

struct fz_in {
	const u8 *p;
	size_t n;
};

static inline u8 in_u8(struct fz_in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static inline u16 in_u16(struct fz_in *in)
{
	u16 lo = in_u8(in);

	return lo | (u16)(in_u8(in) << 8);
}

static inline u32 in_u32(struct fz_in *in)
{
	u32 lo = in_u16(in);

	return lo | (u32)in_u16(in) << 16;
}

static inline u64 in_u64(struct fz_in *in)
{
	u64 lo = in_u32(in);

	return lo | (u64)in_u32(in) << 32;
}

#endif

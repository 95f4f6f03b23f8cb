/*
 * svm/msrpm.c - MSR permission map encoder.
 *
 * APM Vol 2 §15.11 "MSR Intercepts" (Table 15-8): the map has four
 * 2 KiB parts; the first three cover MSRs 0000_0000-0000_1FFF,
 * C000_0000-C000_1FFF and C001_0000-C001_1FFF, the fourth is reserved and
 * kept all ones.  For MSR m at index i in range r, the RDMSR bit is bit
 * 2*(i mod 4) of byte r*0x800 + i/4 and the WRMSR bit is the next one.
 */
#include "svm/msrpm.h"
#include "lib/string.h"

static const u32 msrpm_range_base[] = {
	0x00000000,
	0xc0000000,
	0xc0010000,
};

bool msrpm_locate(u32 msr, u32 *byte, u32 *read_bit)
{
	unsigned r;

	for (r = 0; r < ARRAY_SIZE(msrpm_range_base); r++) {
		u32 idx = msr - msrpm_range_base[r];  /* wraps to huge when below */

		if (idx < MSRPM_MSRS_PER_RANGE) {
			*byte = r * MSRPM_RANGE_BYTES + idx / 4;
			*read_bit = 2 * (idx % 4);
			return true;
		}
	}
	return false;
}

void msrpm_init(u8 *msrpm)
{
	memset(msrpm, 0xff, MSRPM_SIZE);
}

bool msrpm_set(u8 *msrpm, u32 msr, bool intercept_read, bool intercept_write)
{
	u32 byte, bit;
	u8 v;

	if (!msrpm_locate(msr, &byte, &bit))
		return false;
	v = msrpm[byte] & (u8)~(3u << bit);
	if (intercept_read)
		v |= (u8)(1u << bit);
	if (intercept_write)
		v |= (u8)(2u << bit);
	msrpm[byte] = v;
	return true;
}

bool msrpm_intercepted(const u8 *msrpm, u32 msr, bool write)
{
	u32 byte, bit;

	if (!msrpm_locate(msr, &byte, &bit))
		return true;  /* §15.11: MSRs outside the map always exit */
	return (msrpm[byte] >> (bit + (write ? 1 : 0))) & 1;
}

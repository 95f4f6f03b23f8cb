/*
 * svm/msrpm.h - the MSR permission map (MSRPM), APM Vol 2 §15.11
 * "MSR Intercepts".
 *
 * 8 KiB, two bits per MSR (low bit RDMSR, high bit WRMSR; 1 = intercept),
 * covering three 8K-MSR ranges.  The map is consulted only while intercept
 * vector 3 bit 28 (INTERCEPT_MSR_PROT) is set; an MSR outside the ranges is
 * then always intercepted.
 */
#ifndef SVM_MSRPM_H
#define SVM_MSRPM_H

#include "lib/types.h"

#define MSRPM_SIZE              0x2000  /* two 4 KiB pages, physically contiguous */
#define MSRPM_RANGE_BYTES       0x800   /* bytes of map per MSR range */
#define MSRPM_MSRS_PER_RANGE    0x2000  /* 8192 MSRs, 4 per byte */

/* Fills the map with ones: every mapped MSR is intercepted for read and write. */
void msrpm_init(u8 *msrpm);

/*
 * Sets both intercept bits of one MSR.  Returns false (and changes nothing)
 * for an MSR outside the three mapped ranges: hardware always intercepts it.
 */
bool msrpm_set(u8 *msrpm, u32 msr, bool intercept_read, bool intercept_write);

/* Whether an access (RDMSR if !write, WRMSR if write) exits; true outside the ranges. */
bool msrpm_intercepted(const u8 *msrpm, u32 msr, bool write);

/*
 * Where an MSR's bits are: *byte is the offset in the map, *read_bit the bit
 * (0, 2, 4 or 6) of the RDMSR intercept; the WRMSR bit is *read_bit + 1.
 * False for an MSR outside the mapped ranges.
 */
bool msrpm_locate(u32 msr, u32 *byte, u32 *read_bit);

#endif

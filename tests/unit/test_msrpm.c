/*
 * tests/unit/test_msrpm.c - MSR permission map encoding.
 *
 * APM Vol 2 §15.11 "MSR Intercepts" (Table 15-8): 2 bits per MSR, read
 * bit low, write bit high, three 8K-MSR ranges at bytes 0x0, 0x800, 0x1000;
 * 0x1800-0x1fff reserved.  A failure means a guest MSR access would be passed
 * through when it should exit (or the reverse) on real hardware.
 */
#include <stdlib.h>
#include <string.h>

#include "tests/unit/unit.h"
#include "svm/msrpm.h"

static u8 map[MSRPM_SIZE];

static void check_locate_at(int line, u32 msr, u32 byte, u32 bit)
{
	u32 b = ~0u, r = ~0u;

	unit_check_eq(1, msrpm_locate(msr, &b, &r), "msrpm_locate", __FILE__, line);
	unit_check_eq(byte, b, "byte", __FILE__, line);
	unit_check_eq(bit, r, "read bit", __FILE__, line);
}
#define check_locate(...) check_locate_at(__LINE__, __VA_ARGS__)

TEST(msrpm_init_all_ones)
{
	unsigned i;

	memset(map, 0, sizeof(map));
	msrpm_init(map);
	for (i = 0; i < MSRPM_SIZE; i++)
		CHECK_EQ(0xff, map[i]);
	CHECK(msrpm_intercepted(map, 0x10, false));
	CHECK(msrpm_intercepted(map, 0xc0000080, true));
}

TEST(msrpm_locate_ranges)
{
	/* Range 0: 0000_0000-0000_1FFF at byte 0x000. */
	check_locate(0x00000000, 0x000, 0);
	check_locate(0x00000001, 0x000, 2);
	check_locate(0x00000003, 0x000, 6);
	check_locate(0x00000010, 0x004, 0);     /* TSC */
	check_locate(0x0000001b, 0x006, 6);     /* APIC_BASE */
	check_locate(0x00001fff, 0x7ff, 6);
	/* Range 1: C000_0000-C000_1FFF at byte 0x800. */
	check_locate(0xc0000000, 0x800, 0);
	check_locate(0xc0000080, 0x820, 0);     /* EFER */
	check_locate(0xc0000103, 0x840, 6);     /* TSC_AUX */
	check_locate(0xc0001fff, 0xfff, 6);
	/* Range 2: C001_0000-C001_1FFF at byte 0x1000. */
	check_locate(0xc0010000, 0x1000, 0);
	check_locate(0xc0010117, 0x1045, 6);    /* VM_HSAVE_PA */
	check_locate(0xc0011fff, 0x17ff, 6);
}

TEST(msrpm_read_write_bits)
{
	static const u32 msrs[] = { 0x0, 0x1fff, 0x174, 0xc0000000, 0xc0000082, 0xc0001fff,
				    0xc0010000, 0xc0010114, 0xc0011fff };
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(msrs); i++) {
		u32 byte, bit;

		msrpm_init(map);
		CHECK(msrpm_locate(msrs[i], &byte, &bit));

		CHECK(msrpm_set(map, msrs[i], false, true));  /* reads pass, writes exit */
		CHECK_EQ(0xff & ~(1u << bit), map[byte]);
		CHECK(!msrpm_intercepted(map, msrs[i], false));
		CHECK(msrpm_intercepted(map, msrs[i], true));

		CHECK(msrpm_set(map, msrs[i], true, false));  /* reads exit, writes pass */
		CHECK_EQ(0xff & ~(2u << bit), map[byte]);
		CHECK(msrpm_intercepted(map, msrs[i], false));
		CHECK(!msrpm_intercepted(map, msrs[i], true));

		CHECK(msrpm_set(map, msrs[i], false, false));
		CHECK_EQ(0xff & ~(3u << bit), map[byte]);

		CHECK(msrpm_set(map, msrs[i], true, true));
		CHECK_EQ(0xff, map[byte]);
	}
}

/* Setting one MSR leaves its neighbours in the same byte alone. */
TEST(msrpm_neighbours_untouched)
{
	memset(map, 0, sizeof(map));
	CHECK(msrpm_set(map, 0xc0000081, true, true));
	CHECK_EQ(0x0c, map[0x820]);
	CHECK(!msrpm_intercepted(map, 0xc0000080, false));
	CHECK(!msrpm_intercepted(map, 0xc0000082, true));
	CHECK(msrpm_intercepted(map, 0xc0000081, true));
}

/* APM Vol 2 §15.11, Table 15-8: the x2APIC MSRs 0x800-0x8FF are bytes 0x200-0x23F. */
TEST(msrpm_x2apic_bytes)
{
	u32 msr;
	unsigned i;

	msrpm_init(map);
	for (msr = 0x800; msr <= 0x8ff; msr++)
		CHECK(msrpm_set(map, msr, false, false));
	for (i = 0; i < MSRPM_SIZE; i++)
		CHECK_EQ(i >= 0x200 && i <= 0x23f ? 0x00 : 0xff, map[i]);
}

TEST(msrpm_out_of_range)
{
	static const u32 msrs[] = { 0x2000, 0x3fff, 0x40000000, 0xbfffffff, 0xc0002000,
				    0xc000ffff, 0xc0012000, 0xc0020000, 0xffffffff };
	static u8 before[MSRPM_SIZE];
	unsigned i;

	memset(map, 0, sizeof(map));    /* even an all-zero map cannot pass these */
	memcpy(before, map, sizeof(map));
	for (i = 0; i < ARRAY_SIZE(msrs); i++) {
		u32 byte = 0, bit = 0;

		CHECK(!msrpm_locate(msrs[i], &byte, &bit));
		CHECK(!msrpm_set(map, msrs[i], false, false));
		CHECK(msrpm_intercepted(map, msrs[i], false));
		CHECK(msrpm_intercepted(map, msrs[i], true));
	}
	CHECK(!memcmp(before, map, sizeof(map)));
}

/* Opening every mapped MSR never touches the reserved fourth part. */
TEST(msrpm_reserved_range_stays_ones)
{
	static const u32 bases[] = { 0x0, 0xc0000000, 0xc0010000 };
	unsigned r, i;
	u32 k;

	msrpm_init(map);
	for (r = 0; r < ARRAY_SIZE(bases); r++)
		for (k = 0; k < MSRPM_MSRS_PER_RANGE; k++)
			CHECK(msrpm_set(map, bases[r] + k, false, false));
	for (i = 0; i < 0x1800; i++)
		CHECK_EQ(0x00, map[i]);
	for (i = 0x1800; i < MSRPM_SIZE; i++)
		CHECK_EQ(0xff, map[i]);
}

/*
 * tests/unit/test_iopm.c - I/O permission map encoding.
 *
 * APM Vol 2 §15.10.1 "I/O Permissions Map": bit p of the
 * 12 KiB map is port p; an access of s bytes checks ports p..p+s-1, reaching
 * into the third page for ports near 0xFFFF.  A failure means a guest port
 * access would exit when it should not, or (worse) reach real hardware.
 */
#include <string.h>

#include "tests/unit/unit.h"
#include "svm/iopm.h"

static u8 map[IOPM_SIZE];

TEST(iopm_init_all_ones)
{
	unsigned i;

	memset(map, 0, sizeof(map));
	iopm_init(map);
	for (i = 0; i < IOPM_SIZE; i++)
		CHECK_EQ(0xff, map[i]);
	CHECK(iopm_intercepted(map, 0, 1));
	CHECK(iopm_intercepted(map, 0xffff, 1));
}

TEST(iopm_bit_placement)
{
	iopm_init(map);
	iopm_set(map, 0x3f8, false);
	CHECK_EQ(0xfe, map[0x7f]);
	iopm_set(map, 0x1f, false);
	CHECK_EQ(0x7f, map[0x3]);
	iopm_set(map, 0x80, false);
	CHECK_EQ(0xfe, map[0x10]);
	iopm_set(map, 0xffff, false);
	CHECK_EQ(0x7f, map[0x1fff]);
	CHECK_EQ(0xff, map[0x2000]);    /* the spill byte stays set */

	CHECK(!iopm_intercepted(map, 0x3f8, 1));
	CHECK(iopm_intercepted(map, 0x3f9, 1));
	iopm_set(map, 0x3f8, true);
	CHECK_EQ(0xff, map[0x7f]);
	CHECK(iopm_intercepted(map, 0x3f8, 1));

	memset(map, 0, sizeof(map));
	iopm_set(map, 0x61, true);
	CHECK_EQ(0x02, map[0xc]);
	CHECK(iopm_intercepted(map, 0x61, 1));
	CHECK(!iopm_intercepted(map, 0x60, 1));
	CHECK(!iopm_intercepted(map, 0x62, 1));
}

/* A 2- or 4-byte access exits if any of its ports is intercepted. */
TEST(iopm_multibyte_straddle)
{
	u16 p;

	iopm_init(map);
	for (p = 0x3f8; p <= 0x3ff; p++)
		iopm_set(map, p, false);
	CHECK(!iopm_intercepted(map, 0x3f8, 4));
	CHECK(!iopm_intercepted(map, 0x3fc, 4));
	CHECK(!iopm_intercepted(map, 0x3fe, 2));
	CHECK(iopm_intercepted(map, 0x3fe, 4));     /* 0x400, 0x401 */
	CHECK(iopm_intercepted(map, 0x3ff, 2));     /* 0x400 */
	CHECK(iopm_intercepted(map, 0x3f7, 2));     /* 0x3f7 */
	CHECK(!iopm_intercepted(map, 0x3ff, 1));

	/* Across a byte boundary of the map: ports 0x7 and 0x8. */
	memset(map, 0, sizeof(map));
	iopm_set(map, 0x8, true);
	CHECK(!iopm_intercepted(map, 0x6, 2));
	CHECK(iopm_intercepted(map, 0x7, 2));
	CHECK(iopm_intercepted(map, 0x5, 4));
	CHECK(!iopm_intercepted(map, 0x4, 4));
}

/* Port 0xFFFF with size 2 or 4 reads bits 0x10000.. in the third page. */
TEST(iopm_third_page_spill)
{
	u16 p;

	iopm_init(map);
	for (p = 0xfffc; p != 0; p++)           /* 0xfffc..0xffff */
		iopm_set(map, p, false);
	CHECK(!iopm_intercepted(map, 0xffff, 1));
	CHECK(!iopm_intercepted(map, 0xfffc, 4));
	CHECK(iopm_intercepted(map, 0xffff, 2));
	CHECK(iopm_intercepted(map, 0xffff, 4));
	CHECK(iopm_intercepted(map, 0xfffe, 4));

	/* Clear the spill bits by hand: now the same accesses must pass. */
	map[0x2000] &= (u8)~0x07;
	CHECK(!iopm_intercepted(map, 0xffff, 2));
	CHECK(!iopm_intercepted(map, 0xffff, 4));
	CHECK(!iopm_intercepted(map, 0xfffe, 4));
	map[0x2000] |= 0x04;                    /* bit 0x10002: only a 4-byte access at 0xffff reaches it */
	CHECK(!iopm_intercepted(map, 0xffff, 2));
	CHECK(!iopm_intercepted(map, 0xfffe, 4));
	CHECK(iopm_intercepted(map, 0xffff, 4));
}

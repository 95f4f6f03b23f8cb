/*
 * svm/iopm.c - I/O permission map encoder.
 *
 * APM Vol 2 §15.10.1 "I/O Permissions Map": bit p of the
 * map is bit (p mod 8) of byte p/8.  Ports 0-0xFFFF fill the first 8 KiB;
 * the hardware checks one bit per byte of the access, so a multi-byte access
 * near 0xFFFF reads bits 0x10000-0x10002 in the third page.  Those bits stay
 * as iopm_init left them (set), so such accesses always exit.
 */
#include "svm/iopm.h"
#include "lib/string.h"

void iopm_init(u8 *iopm)
{
	memset(iopm, 0xff, IOPM_SIZE);
}

void iopm_set(u8 *iopm, u16 port, bool intercept)
{
	u8 mask = (u8)(1u << (port % 8));

	if (intercept)
		iopm[port / 8] |= mask;
	else
		iopm[port / 8] &= (u8)~mask;
}

bool iopm_intercepted(const u8 *iopm, u16 port, unsigned size_bytes)
{
	u32 p, end;

	if (size_bytes == 0)
		size_bytes = 1;
	if (size_bytes > 4)
		size_bytes = 4;  /* IN/OUT move at most 4 bytes */
	end = (u32)port + size_bytes;
	for (p = port; p < end; p++)
		if ((iopm[p / 8] >> (p % 8)) & 1)
			return true;
	return false;
}

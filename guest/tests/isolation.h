/*
 * guest/tests/isolation.h - shared by isolation_read.c and isolation_write.c:
 * where the hypervisor's image is, as a guest-physical address to touch.
 */
#ifndef GUEST_TESTS_ISOLATION_H
#define GUEST_TESTS_ISOLATION_H

#include "guest/lib/guest.h"

/*
 * The page-aligned GPA equal to hv_phys_base, mapped in the guest's own page
 * tables (so that touching it reaches the nested page tables), or 0 after a
 * SKIP or FAIL report.
 */
static inline u64 isolation_target(void)
{
	u64 base = boot_info->hv_phys_base;
	u64 target = ALIGN_DOWN(base, PAGE_SIZE);

	if (!base) {
		report_fail("boot info has no hv_phys_base");
		return 0;
	}
	if (target < boot_info->ram_size) {
		report_fail("hv_phys_base 0x%lx is inside guest RAM [0, 0x%lx)",
			    (unsigned long)base, (unsigned long)boot_info->ram_size);
		return 0;
	}
	if (target >= BIT(32) && guest_map_2m(target)) {
		report_skip("cannot map hv_phys_base 0x%lx in the guest page tables "
			    "(beyond the physical address width or the lower half)",
			    (unsigned long)base);
		return 0;
	}
	return target;
}

#endif

/*
 * guest/tests/isolation_write.c - a guest cannot write hypervisor memory.
 *
 * Behaviour: as isolation_read.c, for a write: the GPA equal to the
 * hypervisor's host-physical address (hv_phys_base) is not in the nested
 * page tables (APM Vol 2 §15.25 "Nested Paging"), the write is a nested
 * page fault, and the hypervisor stops the vCPU, which the guest announced
 * with HC_EXPECT_STOP(HV_STOP_NPF, gpa).
 *
 * A failure (this code reaching its report) means the write completed: a
 * guest could corrupt the hypervisor (and the hypervisor may already be
 * damaged by it).
 */
#include "isolation.h"

/* Written to the hypervisor image if isolation is broken: easy to spot in a dump. */
#define POISON  0x5a5a5a5a5a5a5a5aULL

GUEST_TEST(isolation_write)
{
	u64 target = isolation_target();

	if (!target)
		return;
	hc_expect_stop(HV_STOP_NPF, target);
	*(volatile u64 *)(uintptr_t)target = POISON;
	report_fail("write to hypervisor memory at 0x%lx did not stop the guest",
		    (unsigned long)target);
}

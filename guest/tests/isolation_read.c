/*
 * guest/tests/isolation_read.c - a guest cannot read hypervisor memory.
 *
 * Behaviour: the nested page tables map guest RAM only (APM Vol 2 §15.25
 * "Nested Paging"), so a guest read of the GPA equal to the hypervisor's
 * host-physical address (hv_phys_base) is a nested page fault (#VMEXIT NPF,
 * EXITINFO2 = that GPA).  The hypervisor stops the vCPU; announced with
 * HC_EXPECT_STOP(HV_STOP_NPF, gpa), that stop is the PASS.
 *
 * A failure (this code reaching its report) means the read completed: the
 * NPT maps host memory outside guest RAM, and a guest could read the
 * hypervisor.  A stop of another kind or at another GPA is a FAIL of the
 * hypervisor's stop check.
 */
#include "isolation.h"

GUEST_TEST(isolation_read)
{
	u64 target = isolation_target();
	u64 val;

	if (!target)
		return;
	hc_expect_stop(HV_STOP_NPF, target);
	val = *(volatile u64 *)(uintptr_t)target;
	report_fail("read of hypervisor memory at 0x%lx did not stop the guest (read 0x%lx)",
		    (unsigned long)target, (unsigned long)val);
}

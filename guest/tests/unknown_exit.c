/*
 * guest/tests/unknown_exit.c - an exit without a handler stops only this guest.
 *
 * Behaviour: for this test the hypervisor turns on the RDTSC intercept
 * (hv_prepare_unknown_exit in hv/tests.def; APM Vol 2 §15.9 "Instruction
 * Intercepts", exit code 0x6E) but has no handler for that exit.  The
 * guest's RDTSC exits, the hypervisor dumps the VMCB, stops this vCPU and
 * reports the unknown exit, which is what this test expects (the
 * hypervisor knows that; there is no HV_STOP_* kind for it).
 *
 * A failure: execution continued after RDTSC, so the intercept was not set
 * or the unknown exit was resumed instead of stopping the guest.
 */
#include "guest/lib/guest.h"

GUEST_TEST(unknown_exit)
{
	u64 tsc = rdtsc();

	report_fail("rdtsc exit did not stop the guest (RDTSC returned 0x%lx)",
		    (unsigned long)tsc);
}

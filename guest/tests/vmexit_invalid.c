/*
 * guest/tests/vmexit_invalid.c - VMRUN with an illegal guest state.
 *
 * Behaviour: for this test the hypervisor makes the VMCB's guest state
 * illegal before the first VMRUN (hv_prepare_invalid_state in
 * hv/tests.def), so VMRUN fails its consistency checks and returns at once
 * with exit code VMEXIT_INVALID (-1) (APM Vol 2 §15.5.1 "Basic Operation",
 * "Canonicalization and Consistency Checks").  The hypervisor decodes that
 * and stops the VM.  The guest never runs.
 *
 * A failure: the code below ran, so VMRUN accepted the state (the
 * corruption did not happen, or the CPU does not check what it was meant
 * to check).
 */
#include "guest/lib/guest.h"

GUEST_TEST(vmexit_invalid)
{
	report_fail("guest ran although its VMCB state was illegal");
}

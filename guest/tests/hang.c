/*
 * guest/tests/hang.c - hangs on purpose, for the watchdog (hv/vcpu.c).
 *
 * Behaviour: none of the architecture's.  These tests check that the
 * hypervisor's watchdog stops a guest that hangs without saying so, and
 * that it tells a hang from slowness by progress (lib/hv_abi.h,
 * HV_PROGRESS_GPA), not by time alone.  Neither is in the default set
 * (flags 0 in hv/tests.def); integration scenario 10 runs both.
 *  - hang: every vCPU passes one barrier (a step), reports, then spins with
 *    IF=0 for ever, announcing nothing.  The watchdog must stop each vCPU
 *    one window (test_timeout) after the VM's last progress, give or take
 *    an eighth of one: FAIL "watchdog: no progress in the VM ...".
 *  - hang_stepping: every vCPU steps its progress counter for ever.  That
 *    is progress as far as the watchdog can see, so only its hard limit
 *    (HV_WATCHDOG_CAP windows) may stop it: FAIL "... the hard limit ...".
 *
 * A failure is the expected outcome; a run that never ends (the runner's
 * own timeout) means the watchdog lost a hang.
 */
#include "guest/lib/guest.h"
#include "guest/lib/irq.h"

GUEST_TEST(hang)
{
	if (!vcpu_barrier("hang: start"))
		return;
	printf("hang: vcpu%u spins with IF=0 from now on, on purpose\n", this_vcpu());
	__asm__ volatile("cli\n"
			 "1:\tjmp 1b" ::: "memory");
	report_fail("endless loop ended");
}

GUEST_TEST(hang_stepping)
{
	printf("hang_stepping: vcpu%u steps its progress counter for ever, on purpose\n", this_vcpu());
	cli();
	for (;;)
		progress();
}

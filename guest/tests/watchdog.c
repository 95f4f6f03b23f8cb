/*
 * guest/tests/watchdog.c - an endless loop with interrupts off is stopped.
 *
 * Behaviour: the guest announces HC_EXPECT_STOP(HV_STOP_WATCHDOG, 300 ms)
 * and spins with IF = 0 on a plain JMP (no PAUSE, no HLT, nothing that
 * exits).  The hypervisor still gets control back, since physical
 * interrupts exit whatever the guest's IF (APM Vol 2 §15.13 "Interrupt
 * Intercepts", INTR intercept with V_INTR_MASKING), and its per-vCPU
 * watchdog stops this vCPU once the limit has passed.
 *
 * A failure is a hang (the runner's own timeout then fails the run) or a
 * stop of another kind; the report below is reached only if the loop ends,
 * which it cannot.
 */
#include "guest/lib/guest.h"

#define WATCHDOG_MS     300

GUEST_TEST(watchdog)
{
	hc_expect_stop(HV_STOP_WATCHDOG, WATCHDOG_MS);
	__asm__ volatile("cli\n"
			 "1:\tjmp 1b" ::: "memory");
	report_fail("endless loop ended");
}

/*
 * guest/tests/fail_on_purpose.c - a FAIL on purpose.
 *
 * Behaviour: none of the hypervisor's; this test exists so that the runner
 * (run.sh, tests/) can be checked to see a FAIL, print it, and give the run
 * a failing verdict.  It is not in the default set (flags 0 in
 * hv/tests.def).
 *
 * A failure is the expected outcome.  A PASS, or no FAIL line, means the
 * report path or the runner loses failures.
 */
#include "guest/lib/guest.h"

GUEST_TEST(fail_on_purpose)
{
	/* volatile: computed at run time, like any other checked value. */
	volatile u64 one = 1;

	printf("fail_on_purpose: the FAIL below is deliberate (boot flags 0x%x)\n",
	       boot_info->flags);
	report_eq(3, one + one, "1 + 1");
}

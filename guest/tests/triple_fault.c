/*
 * guest/tests/triple_fault.c - a triple fault stops only this guest.
 *
 * Behaviour: with an IDT of limit 0, #UD cannot be delivered (#GP), that #GP
 * cannot be delivered either (#DF), and neither can the #DF: the CPU enters
 * shutdown (APM Vol 2 §8.2.9 "Double-Fault Exception (#DF)").  In a guest the
 * hypervisor's SHUTDOWN intercept turns that into a #VMEXIT (APM Vol 2
 * §15.14 "Miscellaneous Intercepts", shutdown intercept, exit code 0x7F);
 * the hypervisor stops this vCPU, announced with
 * HC_EXPECT_STOP(HV_STOP_SHUTDOWN), and goes on.
 *
 * A failure: reaching the report below means the #UD was delivered
 * somewhere (the IDTR load did not take) or the fault was skipped.  Without
 * the SHUTDOWN intercept the physical CPU itself would shut down, and the
 * run would end with no verdict at all.
 */
#include "guest/lib/guest.h"

GUEST_TEST(triple_fault)
{
	struct {
		u16 limit;
		u64 base;
	} __packed empty_idt = { 0, 0 };

	hc_expect_stop(HV_STOP_SHUTDOWN, 0);
	__asm__ volatile("lidt %0\n\t"
			 "ud2"
			 :
			 : "m"(empty_idt)
			 : "memory");
	report_fail("UD2 with an empty IDT did not stop the guest");
}

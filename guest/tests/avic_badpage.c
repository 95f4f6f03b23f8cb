/*
 * avic_badpage: AVIC_INCOMPLETE_IPI cause 3, "invalid backing page", is a
 * hypervisor bug (the tables are the hypervisor's), reported loudly
 * (APM Vol 2 §15.29.9.1 "AVIC IPI Delivery Not Completed", Table 15-27; KVM
 * WARNs too).
 *
 * The prepare hook hv_prepare_avic_badpage (hv/tests.c) plants an illegal
 * backing-page address in vCPU 1's physical APIC ID table entry and tells
 * the hypervisor to expect vCPU 0 to be stopped as a hypervisor bug.  vCPU 0
 * then sends vCPU 1 a fixed IPI: AVIC (or its model) cannot set the IRR in
 * that page, takes the 0x401 exit with cause 3, and the handler stops vCPU 0
 * with "hypervisor bug"; the run reports that expected stop as PASS.  vCPU 1
 * (and every other vCPU) must see nothing.  Without the AVIC backend there are no tables: SKIP.
 */
#include "guest/tests/apic_smp.h"

#define VEC_BAD         0x61

static u32 got[SMP_MAX_VCPUS];

static void on_ipi(struct ex_regs *regs)
{
	(void)regs;
	smp_inc(&got[this_vcpu()]);
	apic_eoi();
}

GUEST_TEST(avic_badpage)
{
	u32 me = this_vcpu();

	if (!smp_need_vcpus(2))
		return;
	if (!hv_avic_active()) {
		report_skip("needs the AVIC backend (apic=avic or apic=avic-emu): "
			    "the bad pointer lives in the AVIC physical APIC ID table");
		return;
	}
	irq_set_handler(VEC_BAD, on_ipi);
	apic_quiesce();                 /* software-enabled: vCPU 1's entry is valid */
	if (!vcpu_barrier("badpage: ready"))
		return;
	if (me == 0) {
		/* The hypervisor stops this vCPU in the middle of this write. */
		smp_ipi_fixed(1, VEC_BAD);
		/* Still here: nothing was planted (a 52-bit CPU) and vCPU 1 gets it, or a bug. */
		if (smp_wait_ms(smp_load(&got[1]), 1000))
			report_skip("the CPU has 52 physical address bits: no illegal backing page to plant");
		else
			report(false, "the IPI through the bad backing page did not stop this vCPU");
		return;
	}
	sti();
	tsc_delay(SMP_SETTLE_TICKS * 20);
	cli();
	if (me == 1 && smp_load(&got[me]))
		report_skip("the IPI arrived: no bad backing page was planted (52-bit CPU)");
	else
		report_eq(0, smp_load(&got[me]), "nothing was delivered through the bad backing page");
}

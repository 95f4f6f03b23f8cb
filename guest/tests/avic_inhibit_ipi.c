/*
 * avic_inhibit_ipi: an IPI sent by a vCPU that still runs with AVIC to a
 * vCPU that already runs without it (an inhibit was just set) arrives at
 * once, not at some later unrelated exit.
 *
 * Under AVIC an IPI sets the target's IRR and, if the target's physical
 * APIC ID table entry says IsRunning, rings its core's doorbell; a doorbell
 * makes a core in AVIC guest mode re-read its backing page and does nothing
 * else, no #VMEXIT (APM Vol 2 §15.29.6.1 "Interprocessor Interrupts",
 * §15.29.8.2 "Doorbell Mechanism").  A target running without AVIC must
 * therefore have IsRunning = 0, so that the sender takes
 * #VMEXIT(AVIC_INCOMPLETE_IPI) "target not running" and the hypervisor
 * kicks it (APM Vol 2 §15.29.9.1 "AVIC IPI Delivery Not Completed").
 *
 * An inhibit is VM-wide but reaches each vCPU at its next entry: a sender
 * whose kick has not landed yet still runs with AVIC.  The prepare hook
 * (hv_prepare_avic_late_kick) keeps vCPU 0's kick from landing, so the
 * order is fixed, not raced:
 *   vCPU 2 (xAPIC) moves its APIC ID: APIC_ID_MODIFIED set, vCPU 1 kicked;
 *   vCPU 1 (x2APIC) exits once more, so it surely runs without AVIC, and
 *     says it is ready, IF=1, spinning without exits;
 *   vCPU 0 (x2APIC) has not exited since: its one WRMSR to the ICR is what
 *     a CPU still in AVIC mode does with it; a fixed IPI to vCPU 1;
 *   vCPU 1 must take it within SPIN_BOUND of its own loop passes after it
 *     saw "sent" (the kick is on its way before the sender's WRMSR
 *     completes); then vCPU 2 moves its ID back (inhibit cleared).
 * ROUNDS rounds.  A round in which the sender happened to exit anyway (a
 * host timer tick) sends from the soft APIC and proves less; most do not.
 * Without the AVIC backend the same IPIs must arrive just the same.
 *
 * A failure means a target left with IsRunning = 1 while it runs without
 * AVIC (its IPI then waits for the next host timer tick, about 10 ms), or
 * an IPI lost or duplicated across an inhibit switch.
 */
#include "guest/tests/apic_smp.h"

#define SENDER          0
#define RECEIVER        1
#define FLIPPER         2
#define MOVED_ID        0x0eu   /* an xAPIC ID nobody has (see apic_avic.c) */
#define ROUNDS          64
#define VEC_IPI         0x66
/*
 * Loop passes of the receiver after it saw "sent": with the kick already
 * raised that is a few passes; a missing kick waits for the host timer.
 */
#define SPIN_BOUND      (1u << 8)

static u32 got;                 /* IPIs vCPU 1 took */
static u32 stray[SMP_MAX_VCPUS];        /* IPIs any other vCPU took */
static u32 inhibited, ready, sent, restored;    /* round + 1, once each step is done */
static u32 max_spins;           /* the most passes any taken IPI needed after "sent" */

static void on_ipi(struct ex_regs *regs)
{
	(void)regs;
	apic_eoi();
	smp_inc(this_vcpu() == RECEIVER ? &got : &stray[this_vcpu()]);
}

/* vCPU 1: one round; false if the IPI did not come within the bound. */
static bool receive(u32 r, u32 *late)
{
	u32 spins = 0;

	if (!wait_for(smp_load(&inhibited) == r + 1, WAIT_LONG))
		return false;
	(void)hc_vcpu_state(this_vcpu());       /* an exit: the next entry runs without AVIC */
	sti();
	smp_store(&ready, r + 1);
	while (smp_load(&got) < r + 1) {
		if (smp_load(&sent) == r + 1 && ++spins > SPIN_BOUND)
			break;
		cpu_relax();
	}
	cli();
	if (smp_load(&got) >= r + 1) {
		max_spins = MAX(max_spins, spins);
		return true;
	}
	/* Not within the bound: does it come at all (a later exit)?  For the message. */
	sti();
	for (u32 i = 0; i < 64 && smp_load(&got) < r + 1; i++)
		(void)hc_vcpu_state(this_vcpu());
	cli();
	*late = smp_load(&got) >= r + 1;
	return false;
}

GUEST_TEST(avic_inhibit_ipi)
{
	u32 me = this_vcpu(), failed = 0, late = 0;

	if (!smp_need_vcpus(3))
		return;
	if (nr_vcpus() > MOVED_ID) {
		report_skip("needs a free 4-bit xAPIC ID, this VM has %u vCPUs", nr_vcpus());
		return;
	}
	if (me != FLIPPER && !apic_x2apic_supported()) {
		report_skip("needs x2APIC: the sender's IPI must be one access (WRMSR)");
		return;
	}
	irq_set_handler(VEC_IPI, on_ipi);
	if (apic_set_mode(me == FLIPPER || me > FLIPPER ? APIC_MODE_XAPIC : APIC_MODE_X2APIC) != EXC_NONE) {
		report_fail("cannot enter the APIC mode");
		return;
	}
	apic_quiesce();
	if (!vcpu_barrier("inhibit_ipi: modes set"))
		return;
	for (u32 r = 0; r < ROUNDS; r++) {
		switch (me) {
		case FLIPPER:
			apic_write(APIC_REG_ID, MOVED_ID << 24);
			smp_store(&inhibited, r + 1);
			if (!wait_for(smp_load(&got) >= r + 1 || smp_load(&restored) == r + 1, WAIT_LONG))
				report_fail("round %u: the receiver never took its IPI", r);
			apic_write(APIC_REG_ID, me << 24);
			break;
		case SENDER:
			/* Only memory until the WRMSR: no exit, so the AVIC mode of the last entry holds. */
			if (!wait_for(smp_load(&ready) == r + 1, WAIT_LONG)) {
				report_fail("round %u: the receiver never got ready", r);
				break;
			}
			smp_ipi_fixed(RECEIVER, VEC_IPI);
			smp_store(&sent, r + 1);
			break;
		case RECEIVER:
			if (!receive(r, &late)) {
				failed++;
				smp_store(&restored, r + 1);    /* let the flipper go on */
			}
			break;
		default:
			break;
		}
		progress();
		if (!vcpu_barrier("inhibit_ipi: round"))
			return;
		/* The sender exits once with the inhibit clear: its next entry runs with AVIC again. */
		if (me == SENDER)
			(void)hc_vcpu_state(me);
		if (!vcpu_barrier("inhibit_ipi: armed"))
			return;
	}
	if (me == RECEIVER) {
		report(!failed, "%u IPIs sent while another vCPU set and cleared an inhibit: each taken within %u "
		       "passes of the receiver's loop (at most %u; %u missed%s)", ROUNDS, SPIN_BOUND, max_spins, failed,
		       !failed ? "" : late ? ", they came at a later exit" : ", not even at later exits");
		report_eq(ROUNDS, smp_load(&got), "the receiver took exactly %u IPIs", ROUNDS);
	}
	if (me == FLIPPER)
		report_eq(me << 24, apic_read(APIC_REG_ID), "the flipper's APIC ID is back");
	if (me != RECEIVER)
		report_eq(0, smp_load(&stray[me]), "no IPI arrived here");
	cli();
	apic_quiesce();
	(void)apic_set_mode(APIC_MODE_XAPIC);
}

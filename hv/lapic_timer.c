/*
 * hv/lapic_timer.c - the local APIC timer of each vCPU: one-shot, periodic
 * and TSC-deadline, with deadlines in host TSC; the virtual APIC bus clock
 * is the TSC itself (1 bus tick = 1 TSC tick), so TMCCT and the deadline
 * are exact under QEMU -icount.  The run loop arms the host timer for
 * vcpu->timer.deadline (lapic_before_entry, lapic_block).
 */
#include "hv/lapic_internal.h"
#include "lib/x86.h"

/* ---- the timer ----------------------------------------------------------------- */

/*
 * Re-arms the timer after a write to LVT timer, TMICT or TDCR (APM Vol 2
 * §16.4.1 "APIC Timer Interrupt").  Counting starts at the TMICT write;
 * changing only the divisor or the mode keeps the start time.  A one-shot
 * count that reached 0 stays at 0 whatever the LVT says afterwards, also
 * in periodic mode: only a TMICT write starts a count (APM §16.4.1; Intel SDM
 * Vol 3 §11.5.4 "APIC Timer").  With apic_lock held.
 */
void lapic_timer_update(struct vcpu *vcpu)
{
	struct vapic *a = &vcpu->apic;
	u32 lvt = vapic_get_reg(a, VAPIC_REG_LVT_TIMER);
	u32 tmict = vapic_get_reg(a, VAPIC_REG_TMICT);
	u32 div = vapic_timer_divisor(vapic_get_reg(a, VAPIC_REG_TDCR));
	u64 now = rdtsc();

	if (LVT_TIMER_MODE(lvt) == LVT_TIMER_TSC_DEADLINE) {
		/*
		 * TMICT is ignored in TSC-deadline mode; the MSR arms it, in
		 * guest TSC (host TSC + TSC_OFFSET).  A deadline already past
		 * fires at once (Intel SDM Vol 3 §11.5.4.1 "TSC-Deadline Mode").
		 */
		u64 guest_now = now + ctl(vcpu)->tsc_offset;

		vcpu->timer.period = 0;
		if (!vcpu->timer.tsc_deadline)
			vcpu->timer.deadline = 0;
		else if (vcpu->timer.tsc_deadline <= guest_now)
			vcpu->timer.deadline = now;
		else
			vcpu->timer.deadline = now + (vcpu->timer.tsc_deadline - guest_now);
		vapic_set_reg(a, VAPIC_REG_TMCCT, 0);
		return;
	}
	vcpu->timer.tsc_deadline = 0;
	if (!tmict || vcpu->timer.ended) {
		vcpu->timer.deadline = 0;
		vcpu->timer.period = 0;
		return;
	}
	if (vcpu->timer.divisor != div || !vcpu->timer.start)
		vcpu->timer.start = now;
	vcpu->timer.divisor = div;
	vcpu->timer.period = (u64)tmict * div;
	if (vcpu->timer.start > now)
		vcpu->timer.start = now;
	vcpu->timer.deadline = vcpu->timer.start + vcpu->timer.period;
	/*
	 * Still ahead, or passed since the last lapic_timer_check (the host
	 * held this CPU between the TMICT write's TSC read and ours, or the
	 * write moved the end into that gap): the next check fires it.  Only
	 * an end that a check has already seen pass was fired (or masked)
	 * there and must not fire again.
	 */
	if (vcpu->timer.deadline > now || vcpu->timer.deadline > vcpu->timer.checked)
		return;
	if (LVT_TIMER_MODE(lvt) == LVT_TIMER_PERIODIC)
		vcpu->timer.deadline += ((now - vcpu->timer.deadline) / vcpu->timer.period + 1) *
					vcpu->timer.period;
	else {
		vcpu->timer.deadline = 0;       /* a one-shot count that ended (masked or not) fired already */
		vcpu->timer.ended = true;
	}
}

/* TMICT write: a fresh count from now. */
void lapic_timer_restart(struct vcpu *vcpu)
{
	vcpu->timer.ended = false;
	vcpu->timer.start = rdtsc();
	vcpu->timer.divisor = vapic_timer_divisor(vapic_get_reg(&vcpu->apic, VAPIC_REG_TDCR));
	lapic_timer_update(vcpu);
}

/* TMCCT on a read: computed from the TSC (with apic_lock held). */
void lapic_timer_tmcct(struct vcpu *vcpu)
{
	struct vapic *a = &vcpu->apic;
	u32 lvt = vapic_get_reg(a, VAPIC_REG_LVT_TIMER);
	u32 tmict = vapic_get_reg(a, VAPIC_REG_TMICT), v = 0;

	if (LVT_TIMER_MODE(lvt) != LVT_TIMER_TSC_DEADLINE && tmict && vcpu->timer.start && !vcpu->timer.ended)
		v = vapic_tmcct(tmict, vcpu->timer.divisor, rdtsc() - vcpu->timer.start,
				LVT_TIMER_MODE(lvt) == LVT_TIMER_PERIODIC);
	vapic_set_reg(a, VAPIC_REG_TMCCT, v);
}

/* Fires an expired timer into IRR (with apic_lock held). */
void lapic_timer_check(struct vcpu *vcpu, u64 now)
{
	struct vapic *a = &vcpu->apic;
	u32 lvt;

	if (now > vcpu->timer.checked)
		vcpu->timer.checked = now;
	if (!vcpu->timer.deadline || now < vcpu->timer.deadline)
		return;
	lvt = vapic_get_reg(a, VAPIC_REG_LVT_TIMER);
	if (!(lvt & VAPIC_LVT_M))
		vapic_accept(a, (u8)lvt, false);
	if (LVT_TIMER_MODE(lvt) == LVT_TIMER_PERIODIC && vcpu->timer.period) {
		/* Missed periods are merged into one interrupt, as IRR would. */
		u64 behind = (now - vcpu->timer.deadline) / vcpu->timer.period + 1;

		vcpu->timer.deadline += behind * vcpu->timer.period;
	} else {
		vcpu->timer.deadline = 0;
		if (LVT_TIMER_MODE(lvt) == LVT_TIMER_TSC_DEADLINE)
			vcpu->timer.tsc_deadline = 0;         /* the MSR reads 0 once it fired (Intel SDM Vol 3 §11.5.4.1) */
		else
			vcpu->timer.ended = true;       /* the one-shot count is at 0 (lapic_timer_update) */
	}
}

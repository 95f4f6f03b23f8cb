/*
 * hv/lapic_block.c - the two ways a vCPU sleeps on its physical CPU: HLT
 * until something wakes it (lapic_wake_pending), and INIT's wait for a
 * STARTUP, which starts it in real mode at vector << 12 (APM Vol 2 §16.5
 * "Interprocessor Interrupts (IPI)").
 * Kicks (HOST_VEC_KICK, hv/lapic.c) and the host timer wake it; the
 * backend's block hook (vm->lapic_ops) runs around each sleep.
 */
#include "hv/lapic_internal.h"
#include "hv/host_apic.h"
#include "lib/string.h"
#include "lib/x86.h"

/* Something that ends HLT: an interrupt the guest takes now, NMI, INIT, SIPI. */
static bool lapic_wake_pending(struct vcpu *vcpu)
{
	bool intr;

	if (vcpu->nmi.pending || vcpu->mp.pending_init || vcpu->mp.pending_sipi)
		return true;
	if (!lapic_guest_if(vcpu))
		return false;
	if (lapic_extint_waiting(vcpu))
		return true;
	spin_lock(&vcpu->apic_lock);
	lapic_timer_check(vcpu, rdtsc());
	intr = vapic_pending_vector(&vcpu->apic) >= 0;
	spin_unlock(&vcpu->apic_lock);
	return intr;
}

/* The watchdog stops a vCPU halted for good too (it does not run while one waits for a SIPI). */
static bool lapic_must_leave(struct vcpu *vcpu)
{
	return vcpu->vm->abort || vcpu->end != END_NONE || vcpu_watchdog_expired(vcpu);
}

/*
 * Sleeps on this physical CPU until cond(vcpu) or a reason to leave.  The
 * host timer is armed for the vCPU's APIC timer deadline, kicks wake us.
 */
static void lapic_block(struct vcpu *vcpu, bool (*cond)(struct vcpu *))
{
	const struct lapic_ops *ops = vcpu->vm->lapic_ops;

	/* The backend first (AVIC: IsRunning cleared before cond() looks at IRR). */
	if (ops && ops->block)
		ops->block(vcpu, true);
	__atomic_store_n(&vcpu->halted, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		cli();
		if (cond(vcpu) || lapic_must_leave(vcpu)) {
			sti();
			break;
		}
		host_timer_wake_at(vcpu->timer.deadline);
		safe_halt();
	}
	__atomic_store_n(&vcpu->halted, 0, __ATOMIC_SEQ_CST);
	if (ops && ops->block)
		ops->block(vcpu, false);
}

enum exit_action lapic_handle_hlt(struct vcpu *vcpu)
{
	if (vcpu_skip_insn(vcpu))
		return EXIT_STOP;
	lapic_block(vcpu, lapic_wake_pending);
	return EXIT_RESUME;
}

/* ---- INIT and STARTUP ---------------------------------------------------------------- */

static bool lapic_sipi_or_init(struct vcpu *vcpu)
{
	return vcpu->mp.pending_sipi || vcpu->mp.pending_init || vcpu->vm->primary_done;
}

/* The state a STARTUP gives (APM Vol 2 §14.1.3 "Processor Initialization State"). */
static void lapic_start_real_mode(struct vcpu *vcpu, u8 vector)
{
	struct vmcb_save *s = save(vcpu);
	struct vmcb_seg data = { .selector = 0, .attrib = 0x93, .limit = 0xffff, .base = 0 };

	memset(&vcpu->regs, 0, sizeof(vcpu->regs));
	vmcb_save_set_segments(s, (struct vmcb_seg){ .selector = (u16)(vector << 8), .attrib = 0x9b,
						     .limit = 0xffff, .base = (u64)vector << 12 }, data);
	s->cpl = 0;
	s->efer = EFER_SVME;
	s->cr0 = CR0_ET | BIT(29) | BIT(30);    /* NW, CD as after INIT */
	s->cr2 = 0;
	s->cr3 = 0;
	s->cr4 = 0;
	s->dr6 = 0xffff0ff0;
	s->dr7 = 0x400;
	s->rflags = 0x2;
	s->rip = 0;
	s->rsp = 0;
	s->rax = 0;
	ctl(vcpu)->event_inj = 0;
	ctl(vcpu)->int_state = 0;
	ctl(vcpu)->int_ctl &= ~(V_IRQ_MASK | V_IGN_TPR_MASK | V_INTR_PRIO_MASK | V_TPR_MASK);
	vcpu->virq.posted = false;      /* INIT cleared ISR and IRR anyway */
	ctl(vcpu)->intercept_misc1 &= ~(INTERCEPT_VINTR | INTERCEPT_IRET);
	ctl(vcpu)->intercept_cr &= ~INTERCEPT_CR8_WRITE;
	ctl(vcpu)->tlb_control = TLB_CONTROL_FLUSH_ALL;
	/* Every group above, CRs and segments included (APM Vol 2 §15.15.3 "VMCB Clean Field"). */
	ctl(vcpu)->clean = 0;
	vcpu->nmi.masked = false;
	vcpu->nmi.iret_pending = false;
	vcpu->nmi.singlestep = false;
	ctl(vcpu)->intercept_exceptions &= ~BIT(X86_DB);
	vcpu->nmi.pending = 0;
}

/*
 * INIT: the APIC goes to its INIT state (registers reset, ID and base
 * kept) and the vCPU waits for a STARTUP (APM Vol 2 §16.5 "Interprocessor
 * Interrupts (IPI)").
 * Called by the run loop with interrupts on (it may sleep).  Returns
 * false when the vCPU ended while waiting (parked, never started).
 */
bool lapic_init_sipi(struct vcpu *vcpu)
{
	u64 wait_start = rdtsc();

	for (;;) {
		/*
		 * INIT first, under apic_lock: its delivery dropped any STARTUP
		 * sent before it (lapic_deliver_one), so a pending STARTUP now
		 * came after it and is kept for the wait that follows.
		 */
		bool was_init = false;

		spin_lock(&vcpu->apic_lock);
		if (vcpu->mp.pending_init) {
			was_init = true;
			__atomic_store_n(&vcpu->mp.pending_init, 0, __ATOMIC_SEQ_CST);
			vapic_init_signal(&vcpu->apic);
			memset(vcpu->level_vectors, 0, sizeof(vcpu->level_vectors));
			vcpu->timer.deadline = 0;
			vcpu->timer.tsc_deadline = 0;
			vcpu->mp.state = VCPU_MP_WAIT_SIPI;
		}
		spin_unlock(&vcpu->apic_lock);
		if (was_init)
			vcpu->apic_changed = true;      /* LDR, DFR and SVR are reset */
		if (vcpu->mp.state != VCPU_MP_WAIT_SIPI)
			return true;
		if (__atomic_exchange_n(&vcpu->mp.pending_sipi, 0, __ATOMIC_SEQ_CST)) {
			vcpu->mp.state = VCPU_MP_RUNNABLE;
			lapic_start_real_mode(vcpu, vcpu->mp.sipi_vector);
			/* The watchdog counts running time: the wait does not use it up. */
			vcpu_watchdog_resume(vcpu, rdtsc() - wait_start);
			return true;
		}
		if (vcpu->vm->primary_done) {
			vcpu->end = END_DONE;
			vcpu->end_status = HV_END_OK;
			vcpu->mp.parked = true;
			return false;
		}
		if (lapic_must_leave(vcpu))
			return true;    /* the run loop reports why */
		lapic_block(vcpu, lapic_sipi_or_init);
	}
}

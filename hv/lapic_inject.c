/*
 * hv/lapic_inject.c - getting the soft APIC's interrupts into the guest,
 * around each VMRUN: NMI (one pending plus one in service, the IRET
 * intercept, single-step over an interrupt shadow or the IRET), ExtINT
 * from the 8259A pair (EVENTINJ after the INTA), fixed interrupts posted in
 * V_IRQ or a VINTR window (APM Vol 2 §15.21.4 "Injecting Virtual (INTR)
 * Interrupts"), the CR8 intercept and V_TPR; after the exit, a V_IRQ the
 * guest did not take goes back to IRR.
 */
#include "hv/lapic_internal.h"
#include "hv/host_apic.h"
#include "lib/x86.h"

/* ---- VINTR and IRET ------------------------------------------------------------------ */

/* The interrupt window opened: injection happens on this very entry. */
enum exit_action lapic_handle_vintr(struct vcpu *vcpu)
{
	/* lapic_before_entry clears the window (or re-arms it) on every entry. */
	(void)vcpu;
	return EXIT_RESUME;
}

/*
 * The NMI handler's IRET: NMIs stay blocked until it has executed, so we
 * remember where it is and unblock once RIP has moved on (APM Vol 2
 * §15.21.10 "NMI Virtualization": without vNMI the hypervisor tracks NMI
 * blocking itself).
 */
enum exit_action lapic_handle_iret(struct vcpu *vcpu)
{
	vcpu->nmi.iret_pending = true;
	vcpu->nmi.iret_rip = save(vcpu)->rip;
	ctl(vcpu)->intercept_misc1 &= ~INTERCEPT_IRET;
	return EXIT_RESUME;
}

/* While NMIs are blocked only one can be latched: the count drops to one. */
static void lapic_nmi_collapse(struct vcpu *vcpu)
{
	u32 n = __atomic_load_n(&vcpu->nmi.pending, __ATOMIC_SEQ_CST);

	while (n > 1 &&
	       !__atomic_compare_exchange_n(&vcpu->nmi.pending, &n, 1, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
	}
}

/* ---- NMI single-step ------------------------------------------------------------------------ */

/*
 * An NMI that waits for the end of an interrupt shadow or for its
 * handler's IRET to complete cannot rely on a VINTR window: with IF=0 it
 * never opens.  As KVM does, we single-step the guest over that one
 * instruction (RFLAGS.TF, #DB intercepted) and inject after the trap.  The
 * guest's own TF and RF are kept aside and restored (APM Vol 2 §13.1.2.2
 * "Single Stepping": the trap follows an instruction that began with TF=1,
 * IRET included).
 */
static void nmi_singlestep_on(struct vcpu *vcpu)
{
	struct vmcb_save *s = save(vcpu);

	if (vcpu->nmi.singlestep)
		return;
	vcpu->nmi.singlestep = true;
	vcpu->nmi.ss_saved_flags = s->rflags & (RFLAGS_TF | RFLAGS_RF);
	s->rflags |= RFLAGS_TF | RFLAGS_RF;
	ctl(vcpu)->intercept_exceptions |= BIT(X86_DB);
}

static void nmi_singlestep_off(struct vcpu *vcpu)
{
	struct vmcb_save *s = save(vcpu);

	if (!vcpu->nmi.singlestep)
		return;
	vcpu->nmi.singlestep = false;
	s->rflags = (s->rflags & ~(RFLAGS_TF | RFLAGS_RF)) | vcpu->nmi.ss_saved_flags;
	ctl(vcpu)->intercept_exceptions &= ~BIT(X86_DB);
}

/* #DB exit: ours (the step is done) or, with no step of ours, the guest's. */
enum exit_action lapic_handle_db(struct vcpu *vcpu)
{
	bool guest_tf = vcpu->nmi.ss_saved_flags & RFLAGS_TF;

	if (!vcpu->nmi.singlestep) {
		vcpu_inject_exception(vcpu, X86_DB, false, 0);
		return EXIT_RESUME;
	}
	nmi_singlestep_off(vcpu);
	/* DR6.BS reports our step; the guest sees it only if it was stepping itself. */
	if (guest_tf)
		vcpu_inject_exception(vcpu, X86_DB, false, 0);
	else
		save(vcpu)->dr6 &= ~BIT(14);
	return EXIT_RESUME;
}

/* ---- injection -------------------------------------------------------------------------- */

/*
 * V_IRQ (APM Vol 2 §15.21.4 "Injecting Virtual (INTR) Interrupts") serves
 * two purposes here, never both on one entry:
 *   - the window (lapic_want_window): a dummy V_IRQ that ignores V_TPR,
 *     with VINTR intercepted, so the guest exits as soon as IF=1 and no
 *     shadow instead of taking it (KVM's svm_set_vintr does the same);
 *   - a fixed interrupt of the soft APIC (lapic_post_fixed): the vector
 *     in V_INTR_VECTOR, its class in V_INTR_PRIO, no VINTR intercept;
 *     the guest takes it through its IDT and the CPU clears V_IRQ.
 * Fixed interrupts go through V_IRQ rather than EVENTINJ because QEMU TCG
 * (7.2 and 10.0) can deliver an EVENTINJ interrupt a second time and
 * takes a V_IRQ once: docs/ARCHITECTURE.md "Interrupt injection and QEMU's
 * re-delivery" has the whole story.  A CPU takes either once; one path for
 * both, so the one CI runs is the one silicon runs.
 */
static void lapic_want_window(struct vcpu *vcpu)
{
	ctl(vcpu)->int_ctl |= V_IRQ_MASK | V_IGN_TPR_MASK | (0xfu << V_INTR_PRIO_SHIFT);
	ctl(vcpu)->int_vector = 0;
	ctl(vcpu)->intercept_misc1 |= INTERCEPT_VINTR;
}

static void lapic_no_window(struct vcpu *vcpu)
{
	ctl(vcpu)->int_ctl &= ~(V_IRQ_MASK | V_IGN_TPR_MASK | V_INTR_PRIO_MASK);
	ctl(vcpu)->intercept_misc1 &= ~INTERCEPT_VINTR;
}

/*
 * Under apic_lock.  The acknowledge (IRR -> ISR) happens now, as for
 * EVENTINJ, and lapic_after_exit undoes it if the guest did not take the
 * interrupt: so ISR holds the vector from the moment the guest may run its
 * handler, and a second request of the vector that comes meanwhile sets
 * IRR again, as on an APIC that has dispatched the first.  (Acknowledging
 * only at the exit would merge that second request into the IRR bit still
 * set, and lose it.)  With V_TPR = TPR[7:4] set by the caller and the
 * vector's class above PPR, the CPU's test of V_INTR_PRIO against V_TPR
 * agrees with ours, so V_IGN_TPR stays clear.
 */
static void lapic_post_fixed(struct vcpu *vcpu, u8 vec)
{
	struct vmcb_control *c = ctl(vcpu);

	vapic_ack(&vcpu->apic, vec);
	vcpu->virq.posted = true;
	vcpu->virq.vector = vec;
	c->int_vector = vec;
	c->int_ctl = (c->int_ctl & ~(V_IGN_TPR_MASK | V_INTR_PRIO_MASK)) | V_IRQ_MASK |
		     ((u32)(vec >> 4) << V_INTR_PRIO_SHIFT);
	c->intercept_misc1 &= ~INTERCEPT_VINTR;
}

/*
 * The soft APIC's fixed interrupts, under apic_lock: the highest pending
 * vector is posted in V_IRQ when the guest takes it at the first
 * instruction boundary (can_inject: no event in EVENTINJ, no interrupt
 * shadow, IF=1, no window wanted for an NMI or ExtINT); returns true if
 * one waits for a window.  Then the CR8 intercept and V_TPR.
 *
 * Not posted with IF=0, on purpose, although the CPU would hold V_IRQ
 * back by itself: the vector would be in ISR, for other vCPUs' lowest
 * priority arbitration, for as long as the guest runs with IF=0; and the
 * guest's CR8 writes meanwhile (no exit) would be left to the CPU's test
 * of V_INTR_PRIO against V_TPR, which QEMU makes ">=" (ctl_has_irq), so
 * that a CR8 write of the vector's own class would not hold it back as
 * the APIC must (APM Vol 2 §16.6.4 "Selecting and Handling Interrupts": only a class above
 * PPR's is delivered).  The window exit, then the post, keeps acknowledge
 * and delivery at one instruction boundary, and the exits as they were.
 */
static bool lapic_inject_fixed(struct vcpu *vcpu, bool can_inject)
{
	struct vmcb_control *c = ctl(vcpu);
	/* IRR is scanned once; mostly it is empty and nothing else is asked. */
	int irr = vapic_highest_irr(&vcpu->apic);
	int vec = vapic_pending_vector_of(&vcpu->apic, irr);
	bool wait = false;
	u32 tpr;

	if (vec >= 0) {
		if (can_inject) {
			lapic_post_fixed(vcpu, (u8)vec);
			irr = vapic_highest_irr(&vcpu->apic);   /* the post moved vec to ISR */
		} else {
			wait = true;
		}
	}
	/*
	 * CR8 writes exit only when the exit matters: while TPR is what holds
	 * a vector back (the highest IRR class is above the ISR class but not
	 * above TPR; KVM's update_cr8_intercept does the same), and while TPR
	 * has a sub-class, which a CR8 write clears even when the class stays
	 * (APM Vol 2 §16.6.4 "Selecting and Handling Interrupts") and V_TPR
	 * alone would not show.
	 */
	tpr = vapic_get_reg(&vcpu->apic, VAPIC_REG_TPR);
	if ((tpr & 0xf) ||
	    (irr >= 0 && ((u32)irr & 0xf0) <= (tpr & 0xf0) &&
	     ((u32)irr & 0xf0) > ((u32)MAX(vapic_highest_isr(&vcpu->apic), 0) & 0xf0)))
		c->intercept_cr |= INTERCEPT_CR8_WRITE;
	else
		c->intercept_cr &= ~INTERCEPT_CR8_WRITE;
	c->int_ctl = (c->int_ctl & ~V_TPR_MASK) | ((tpr >> 4) & V_TPR_MASK);
	return wait;
}

/*
 * Called by the run loop with GIF=0 and in_guest already set, right before
 * VMRUN.  Never blocks (host interrupts are held off by GIF=0).
 */
bool lapic_before_entry(struct vcpu *vcpu, bool extint, bool hw)
{
	struct vmcb_control *c = ctl(vcpu);
	bool shadow = c->int_state & SVM_INTERRUPT_SHADOW;
	bool busy = c->event_inj & SVM_EVTINJ_VALID;
	bool want_window = false, extint_gone = false;

	/* NMI (APM Vol 2 §8.5 "NMI": blocked from delivery until the handler's IRET). */
	if (vcpu->nmi.iret_pending && save(vcpu)->rip != vcpu->nmi.iret_rip) {
		vcpu->nmi.iret_pending = false;
		vcpu->nmi.masked = false;
	}
	if (vcpu->nmi.masked)
		lapic_nmi_collapse(vcpu);
	if (vcpu->nmi.pending) {
		if (!vcpu->nmi.masked && !shadow && !busy) {
			nmi_singlestep_off(vcpu);
			/* One goes in; a second one stays latched (lapic_nmi_post). */
			__atomic_sub_fetch(&vcpu->nmi.pending, 1, __ATOMIC_SEQ_CST);
			c->event_inj = X86_NMI | SVM_EVTINJ_TYPE_NMI | SVM_EVTINJ_VALID;
			vcpu->nmi.masked = true;
			c->intercept_misc1 |= INTERCEPT_IRET;
			busy = true;
		} else if (!busy && (vcpu->nmi.iret_pending || (shadow && !vcpu->nmi.masked))) {
			/* One instruction (the IRET, or the one in the shadow), then inject. */
			nmi_singlestep_on(vcpu);
		} else if (!vcpu->nmi.masked) {
			/*
			 * An event goes in first: the next window brings us
			 * back; under AVIC, where V_IRQ is ignored (APM Vol 2
			 * §15.29.4.1 "VMCB Virtual Interrupt Control Word"), one
			 * step does.
			 */
			if (hw)
				nmi_singlestep_on(vcpu);
			else
				want_window = true;
		}
		/* Masked with its IRET not reached yet: the IRET intercept brings us back. */
	} else {
		nmi_singlestep_off(vcpu);
	}

	/*
	 * ExtINT, before the APIC's fixed interrupts (KVM's order too): an
	 * external interrupt of type INTR whose vector the INTA gives now
	 * (APM Vol 2 §15.20 "Event Injection"), held back like any INTR by
	 * IF=0, an interrupt shadow or an event already in EVENTINJ - then the
	 * VINTR window, which works since IRQWIN keeps AVIC off.
	 */
	if (extint) {
		if (!busy && !shadow && lapic_guest_if(vcpu)) {
			bool more;
			int v = lapic_pic_ack(vcpu->vm, &more);

			if (v >= 0) {
				c->event_inj = (u8)v | SVM_EVTINJ_TYPE_INTR | SVM_EVTINJ_VALID;
				busy = true;
			} else {
				extint_gone = true;     /* another vCPU took it */
			}
			if (more)
				want_window = true;
		} else {
			want_window = true;
		}
	}

	spin_lock(&vcpu->apic_lock);
	lapic_timer_check(vcpu, rdtsc());
	/*
	 * Under AVIC the CPU delivers from IRR and keeps TPR/V_TPR itself (APM
	 * Vol 2 §15.29.4.1 "VMCB Virtual Interrupt Control Word", §15.29.3.1
	 * "Virtual APIC Register Accesses").
	 */
	if (!hw && lapic_inject_fixed(vcpu, !busy && !shadow && !want_window && lapic_guest_if(vcpu)))
		want_window = true;
	spin_unlock(&vcpu->apic_lock);

	/* V_IRQ holds the posted vector, or the window, or nothing. */
	if (want_window)
		lapic_want_window(vcpu);
	else if (!vcpu->virq.posted)
		lapic_no_window(vcpu);
	host_timer_wake_at(vcpu->timer.deadline);
	return extint_gone;
}

/*
 * One line of a vCPU's interrupt state, for a guest that stopped making
 * progress (the watchdog): what is pending, in service, and where it is.
 */
void lapic_dump(struct vcpu *vcpu, u8 backend_mode, u64 backend_entry)
{
	struct vapic *a = &vcpu->apic;

	hv_info("apic", "%s/%u: IRR top %d ISR top %d TPR 0x%x PPR 0x%x SVR 0x%x IF %u in_guest %u halted %u "
		"avic mode %u entry 0x%llx nmi %u/%u event_inj 0x%llx v_irq %d RIP 0x%llx",
		vcpu->vm->test->name, vcpu->index, vapic_highest_irr(a), vapic_highest_isr(a),
		vapic_get_reg(a, VAPIC_REG_TPR), vapic_ppr(a), vapic_get_reg(a, VAPIC_REG_SVR),
		lapic_guest_if(vcpu), vcpu->in_guest, vcpu->halted, backend_mode,
		(unsigned long long)backend_entry, vcpu->nmi.pending, vcpu->nmi.masked,
		(unsigned long long)ctl(vcpu)->event_inj, vcpu->virq.posted ? vcpu->virq.vector : -1,
		(unsigned long long)save(vcpu)->rip);
}

/*
 * Whether the guest took the V_IRQ posted at entry.  The CPU clears V_IRQ
 * when it takes the interrupt and writes int_ctl back at #VMEXIT (APM Vol 2
 * §15.21.4); an exit in the middle of the delivery leaves the interrupt in
 * EXITINTINFO (APM Vol 2 §15.7.2 "Intercepts During IDT Interrupt
 * Delivery"), and the run loop re-injects it from there: taken too, even
 * with V_IRQ still set (QEMU clears it only once the delivery is through,
 * x86_cpu_exec_interrupt).  EVENTINJ was empty at entry (can_inject), so
 * an INTR in EXITINTINFO is this one.
 */
static bool lapic_virq_taken(const struct vcpu *vcpu)
{
	const struct vmcb_control *c = &vcpu->vmcb->control;
	u64 want = vcpu->virq.vector | SVM_EVTINJ_TYPE_INTR | SVM_EVTINJ_VALID;

	return !(c->int_ctl & V_IRQ_MASK) ||
	       (c->exit_int_info & (SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_MASK | SVM_EVTINJ_VEC_MASK)) == want;
}

/*
 * After each exit, before its handler, so that an APIC access there (the
 * handler's EOI, an ISR read) finds ISR as the guest left it: a posted
 * V_IRQ the guest did not take goes back to IRR (the next entry posts the
 * highest pending vector again, which may be a newer one); one it took
 * stays in service.  Then V_TPR: the guest may have written CR8 without
 * exiting.
 */
void lapic_after_exit(struct vcpu *vcpu)
{
	struct vmcb_control *c = ctl(vcpu);
	u32 vtpr = c->int_ctl & V_TPR_MASK;
	bool withdraw = vcpu->virq.posted && !lapic_virq_taken(vcpu);

	if (vcpu->virq.posted) {
		vcpu->virq.posted = false;
		c->int_ctl &= ~(V_IRQ_MASK | V_INTR_PRIO_MASK);
	}
	if (withdraw || (vapic_get_reg(&vcpu->apic, VAPIC_REG_TPR) >> 4) != vtpr) {
		spin_lock(&vcpu->apic_lock);
		if (withdraw)
			vapic_unack(&vcpu->apic, vcpu->virq.vector);
		if ((vapic_get_reg(&vcpu->apic, VAPIC_REG_TPR) >> 4) != vtpr)
			vapic_set_tpr(&vcpu->apic, vtpr << 4);
		spin_unlock(&vcpu->apic_lock);
	}
}

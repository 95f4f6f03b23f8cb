/*
 * hv/lapic.c - the software virtual local APIC of each vCPU, and the
 * virtual IOAPIC of each VM, wired into the exits and the run loop.
 *
 * Register semantics are avic/vapic.c's (one 4 KiB page per vCPU, in the
 * AVIC backing-page layout); the soft APIC's files decide *when* things
 * happen: this one the register accesses, delivery and kicks;
 * hv/lapic_irqchip.c the IOAPIC, the 8259A pair and the interrupt test
 * device; hv/lapic_inject.c injection around VMRUN (NMI, ExtINT, V_IRQ,
 * the windows, TPR); hv/lapic_timer.c the timer; hv/lapic_block.c HLT and
 * INIT/SIPI.  What they share is in hv/lapic_internal.h.
 *
 *   guest access     x2APIC MSRs 0x800-0x8FF (MSRPM intercept, handle_msr),
 *                    xAPIC MMIO (the page is not in the NPT: NPF, then the
 *                    instruction is decoded and emulated, hv/mmio.c)
 *   delivery         an ICR write or an IOAPIC message sets IRR in the
 *                    target page under the target's apic_lock, then kicks
 *                    the target's physical CPU with HOST_VEC_KICK when the
 *                    target is in its guest or halted
 *   injection        right before VMRUN (GIF=0): the highest deliverable
 *                    vector goes IRR -> ISR and into V_IRQ when the guest
 *                    can take it at once, back to IRR at the exit if it did
 *                    not; otherwise a VINTR window is armed (APM Vol 2
 *                    §15.21.4 "Injecting Virtual (INTR) Interrupts")
 *   TPR              V_TPR mirrors TPR[7:4]; CR8 writes are intercepted only
 *                    while TPR alone holds back a pending vector
 *   NMI              one pending plus one in service; IRET is intercepted to
 *                    see the handler end (APM Vol 2 §15.21.10 "NMI
 *                    Virtualization")
 *   timer            deadlines in host TSC; the virtual APIC bus clock is
 *                    the TSC itself (1 bus tick = 1 TSC tick), so TMCCT and
 *                    the deadline are exact under QEMU -icount
 *   INIT/SIPI        INIT parks the vCPU in wait-for-SIPI, SIPI starts it in
 *                    real mode at vector << 12 (APM Vol 2 §16.5
 *                    "Interprocessor Interrupts (IPI)")
 *   ExtINT           the 8259A pair (avic/vpic.c) drives LINT0 of every
 *                    vCPU; one whose LINT0 is in ExtINT mode takes it on
 *                    its next entry with an INTA, past IRR/ISR/TPR, and the
 *                    VM runs without AVIC meanwhile (IRQWIN: AVIC ignores
 *                    V_IRQ, APM Vol 2 §15.29.8.3 "Additional VMRUN Handling")
 *
 * Locks: vm->ioapic_lock, vm->pic_lock and each vcpu->apic_lock are never
 * held together; cross-vCPU work drops the own lock first (lapic_effect).
 */
#include "hv/lapic_internal.h"
#include "hv/mmio.h"
#include "hv/host_apic.h"
#include "hv/percpu.h"
#include "hv/mem.h"
#include "lib/string.h"
#include "lib/x86.h"


/* ---- set-up ---------------------------------------------------------------- */

void lapic_vm_init(struct vm *vm)
{
	vioapic_reset(&vm->ioapic);
	vm->ioapic_lock.locked = 0;
	vpic_reset(&vm->pic);
	vm->pic_lock.locked = 0;
}

void lapic_vcpu_init(struct vcpu *vcpu)
{
	vcpu->apic.page = pool_alloc_page();
	vapic_reset(&vcpu->apic, vcpu->index, vcpu->index == 0);
	vcpu->apic.tsc_deadline_supported = true;       /* CPUID 1 ECX[24], hv/exits.c */
	vcpu->apic_lock.locked = 0;
	/* V_TPR mirrors TPR: (TPR >> 4) == V_TPR (APM Vol 2 §15.21.2 "Virtualizing APIC.TPR"). */
	ctl(vcpu)->int_ctl &= ~V_TPR_MASK;
}

/* ---- kicks and delivery ---------------------------------------------------- */

/*
 * Makes the target notice new work: a target in its guest gets
 * #VMEXIT(INTR) from the kick, a halted one wakes up.  The target sets
 * in_guest/halted before it looks at its pending state (with a full
 * barrier), and we set the pending state before looking at those flags,
 * so one of the two always sees the other.
 */
void lapic_kick(struct vcpu *target)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (target->cpu == this_cpu()->index)
		return;
	if (target->in_guest || target->halted)
		host_apic_send_ipi(percpu_array[target->cpu].apic_id, HOST_VEC_KICK);
}

/*
 * The one loop over a VM's vCPUs that kicks some of them: the 8259A pair's
 * INT to the vCPUs that take it, an AVIC inhibit change to the running
 * ones, an incomplete IPI's wake-ups to its targets.
 */
void lapic_kick_each(struct vm *vm, bool (*pick)(const struct vcpu *t, const void *ctx), const void *ctx,
		     void (*kick)(struct vcpu *t))
{
	for (u32 i = 0; i < vm->nr_vcpus; i++)
		if (pick(&vm->vcpus[i], ctx))
			kick(&vm->vcpus[i]);
}

/*
 * An IRR bit is set in target's page: a kick, unless the backend above
 * has its own way (the AVIC backend: a doorbell if the target runs with
 * AVIC, APM Vol 2 §15.29.8.2 "Doorbell Mechanism").
 */
static void lapic_notify(struct vcpu *target)
{
	const struct lapic_ops *ops = target->vm->lapic_ops;

	if (ops && ops->notify)
		ops->notify(target);
	else
		lapic_kick(target);
}

/*
 * Fixed / lowest priority / ExtINT-less acceptance into IRR.  A level
 * vector is also recorded in level_vectors, the hypervisor's own list for
 * the EOI (the AVIC level-EOI exit, APM Vol 2 §15.29.9.2 "AVIC Access to
 * Un-accelerated vAPIC register").  Under AVIC the IRR bit is all it
 * takes: the doorbell, or the next VMRUN, makes the CPU deliver it (APM
 * Vol 2 §15.29.6.2 "Device Interrupts", §15.29.8.3 "Additional VMRUN
 * Handling").
 */
static void lapic_accept(struct vcpu *t, u8 vector, bool level)
{
	spin_lock(&t->apic_lock);
	if (vapic_accept(&t->apic, vector, level) && level)
		t->level_vectors[vector >> 5] |= 1u << (vector & 31);
	spin_unlock(&t->apic_lock);
	lapic_notify(t);
}

/*
 * NMIs a vCPU holds, not yet injected: at most two while no NMI handler
 * runs, at most one while one does (nmi.masked).  A real CPU takes an NMI
 * as it arrives, unless NMIs are blocked (a handler runs, until its IRET):
 * then it latches one, and further ones are lost (APM Vol 2 §8.5 "NMI"
 * and §15.21.10 "NMI Virtualization"; Intel SDM Vol 3 §6.7.1 "Handling
 * Multiple NMIs").  A virtual NMI arrives at the target only at its next
 * VMRUN, however long after the send: two NMIs sent close together to an
 * unblocked vCPU would both wait for that VMRUN, where a real CPU would
 * have taken the first already and latched the second.  So both count:
 * the first goes in, the second stays latched until its IRET.  While the
 * handler runs, lapic_before_entry cuts the count to one - the one latch.
 * The sender only adds (up to 2); the target alone takes away.
 */
#define NMI_PENDING_MAX 2

static void lapic_nmi_post(struct vcpu *t)
{
	u32 n = __atomic_load_n(&t->nmi.pending, __ATOMIC_SEQ_CST);

	while (n < NMI_PENDING_MAX &&
	       !__atomic_compare_exchange_n(&t->nmi.pending, &n, n + 1, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
	}
	lapic_kick(t);
}

static void lapic_deliver_one(struct vcpu *t, const struct vapic_icr *m)
{
	switch (m->delivery_mode) {
	case VAPIC_MT_FIXED:
	case VAPIC_MT_LOWEST:
		lapic_accept(t, m->vector, m->trigger_level);
		break;
	case VAPIC_MT_NMI:
		lapic_nmi_post(t);
		break;
	case VAPIC_MT_INIT:
		/* A STARTUP sent before this INIT counts for nothing (APM Vol 2 §16.5 "Interprocessor Interrupts (IPI)"). */
		spin_lock(&t->apic_lock);
		__atomic_store_n(&t->mp.pending_sipi, 0, __ATOMIC_SEQ_CST);
		__atomic_store_n(&t->mp.pending_init, 1, __ATOMIC_SEQ_CST);
		spin_unlock(&t->apic_lock);
		lapic_kick(t);
		break;
	case VAPIC_MT_STARTUP:
		/* A STARTUP only counts while the target waits for one (APM Vol 2 §16.5 "Interprocessor Interrupts (IPI)"). */
		spin_lock(&t->apic_lock);
		if (t->mp.state == VCPU_MP_WAIT_SIPI || t->mp.pending_init) {
			t->mp.sipi_vector = m->vector;
			__atomic_store_n(&t->mp.pending_sipi, 1, __ATOMIC_SEQ_CST);
		}
		spin_unlock(&t->apic_lock);
		lapic_kick(t);
		break;
	default:
		/*
		 * SMI, remote read, ExtINT as a message: no such source in this
		 * platform (its ExtINT is the 8259A pair's, on LINT0).
		 */
		break;
	}
}

static bool lapic_matches(struct vcpu *t, const struct vapic_icr *m, u32 source_id)
{
	bool hit;

	if (!t->apic.enabled)
		return false;
	spin_lock(&t->apic_lock);
	hit = vapic_match_dest(&t->apic, m, source_id);
	spin_unlock(&t->apic_lock);
	return hit;
}

static bool lapic_vector_busy(const struct vcpu *t, u8 vector)
{
	u32 off = (vector >> 5) << 4, bit = 1u << (vector & 31);

	return (vapic_get_reg(&t->apic, VAPIC_REG_ISR + off) & bit) ||
	       (vapic_get_reg(&t->apic, VAPIC_REG_IRR + off) & bit);
}

/*
 * Routes one message to every matching vCPU (APM Vol 2 §16.6.1 "Receiving
 * System and IPI Interrupts").  Lowest priority goes to one matching vCPU
 * (APM Vol 2 §16.6.2 "Lowest Priority
 * Messages and Arbitration"): the focus processor, a target that already
 * has the vector in service or pending and focus checking on (SVR[9] = 0),
 * else the lowest APR, ties to the lowest index.  A physical or logical
 * destination that no APIC accepts sets the sender's ESR "send accept
 * error" (bit 2, APM Vol 2 §16.4.6 "APIC Error Interrupts"; xAPIC only:
 * KVM sets no such bit in x2APIC mode, and neither do we).
 */
void lapic_send(struct vm *vm, struct vcpu *source, const struct vapic_icr *m)
{
	u32 src = source ? source->apic.apic_id : ~0u;
	struct vcpu *best = NULL, *focus = NULL;
	u32 best_apr = ~0u, hits = 0;
	bool lowest = m->delivery_mode == VAPIC_MT_LOWEST && m->shorthand == VAPIC_DSH_NONE;

	for (u32 i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *t = &vm->vcpus[i];

		if (!lapic_matches(t, m, src))
			continue;
		hits++;
		if (lowest) {
			u32 apr = vapic_apr(&t->apic);

			if (!focus && !(vapic_get_reg(&t->apic, VAPIC_REG_SVR) & VAPIC_SVR_FDIS) &&
			    lapic_vector_busy(t, m->vector))
				focus = t;
			if (apr < best_apr) {
				best = t;
				best_apr = apr;
			}
			continue;
		}
		lapic_deliver_one(t, m);
	}
	if (focus)
		best = focus;
	if (best)
		lapic_deliver_one(best, m);
	if (!hits && source && !source->apic.x2apic && m->shorthand == VAPIC_DSH_NONE) {
		spin_lock(&source->apic_lock);
		vapic_set_error(&source->apic, VAPIC_ESR_SAE);
		spin_unlock(&source->apic_lock);
	}
}

/* ---- effects of register writes ------------------------------------------------ */

/*
 * The end of a level-triggered vector: out of the hypervisor's record
 * (level_vectors), and the EOI to the IOAPIC.  With apic_lock held;
 * dropped for the IOAPIC.
 */
static void lapic_level_ended(struct vcpu *vcpu, u8 vector)
{
	vcpu->level_vectors[vector >> 5] &= ~(1u << (vector & 31));
	spin_unlock(&vcpu->apic_lock);
	lapic_ioapic_eoi(vcpu->vm, vector);
	spin_lock(&vcpu->apic_lock);
}

bool lapic_level_accepted(const struct vcpu *vcpu, u8 vector)
{
	return vcpu->level_vectors[vector >> 5] & (1u << (vector & 31));
}

void lapic_level_eoi_done(struct vcpu *vcpu, u8 vector)
{
	spin_lock(&vcpu->apic_lock);
	if (lapic_level_accepted(vcpu, vector))
		lapic_level_ended(vcpu, vector);
	spin_unlock(&vcpu->apic_lock);
}

/* Called with apic_lock held; drops it for cross-vCPU work. */
static void lapic_effect(struct vcpu *vcpu, const struct vapic_effect *eff)
{
	switch (eff->kind) {
	case VAPIC_EFFECT_EOI:
		if (eff->eoi_level)
			lapic_level_ended(vcpu, eff->eoi_vector);
		break;
	case VAPIC_EFFECT_ICR:
		/* An IPI is edge at the receiver unless it is level (APM Vol 2 §16.5 "Interprocessor Interrupts (IPI)"). */
		spin_unlock(&vcpu->apic_lock);
		lapic_send(vcpu->vm, vcpu, &eff->icr);
		spin_lock(&vcpu->apic_lock);
		break;
	case VAPIC_EFFECT_TIMER:
		lapic_timer_update(vcpu);
		break;
	case VAPIC_EFFECT_ID_CHANGED:
	case VAPIC_EFFECT_LDR_CHANGED:
	case VAPIC_EFFECT_SVR_CHANGED:
		/* Left for the caller: the AVIC tables and inhibits follow IDs, logical IDs and SVR. */
		vcpu->apic_changed = true;
		break;
	default:
		break;
	}
}

bool lapic_take_changes(struct vcpu *vcpu)
{
	bool changed = vcpu->apic_changed;

	vcpu->apic_changed = false;
	return changed;
}

/* ---- x2APIC MSRs and IA32_APIC_BASE ---------------------------------------------- */

bool lapic_msr_is_ours(u32 msr)
{
	return msr == MSR_IA32_APIC_BASE || msr == MSR_IA32_TSC_DEADLINE ||
	       (msr >= VAPIC_X2APIC_MSR_BASE && msr <= VAPIC_X2APIC_MSR_LAST);
}

int lapic_rdmsr(struct vcpu *vcpu, u32 msr, u64 *val)
{
	int r = 0;

	spin_lock(&vcpu->apic_lock);
	vcpu->apic_accesses++;
	if (msr == MSR_IA32_APIC_BASE) {
		*val = vcpu->apic.apic_base;
	} else if (msr == MSR_IA32_TSC_DEADLINE) {
		/* Reads 0 unless the LVT is in TSC-deadline mode (Intel SDM Vol 3 §11.5.4.1 "TSC-Deadline Mode"). */
		*val = LVT_TIMER_MODE(vapic_get_reg(&vcpu->apic, VAPIC_REG_LVT_TIMER)) == LVT_TIMER_TSC_DEADLINE
			? vcpu->timer.tsc_deadline : 0;
	} else {
		if (msr == VAPIC_MSR_TMCCT)
			lapic_timer_tmcct(vcpu);
		r = vapic_x2apic_msr_read(&vcpu->apic, msr, val);
	}
	if (r)
		vcpu->apic_bad_accesses++;
	spin_unlock(&vcpu->apic_lock);
	return r;
}

int lapic_wrmsr(struct vcpu *vcpu, u32 msr, u64 val)
{
	struct vapic_effect eff = { .kind = VAPIC_EFFECT_NONE };
	bool was_enabled;
	int r = 0;

	spin_lock(&vcpu->apic_lock);
	vcpu->apic_accesses++;
	if (msr == MSR_IA32_APIC_BASE) {
		was_enabled = vcpu->apic.enabled;
		r = vapic_set_apic_base(&vcpu->apic, val, svm_caps.max_phys_bits);
		if (!r && was_enabled && !vcpu->apic.enabled) {
			/* Disabling resets the APIC: the timer stops with it. */
			vcpu->timer.deadline = 0;
			vcpu->timer.tsc_deadline = 0;
			memset(vcpu->level_vectors, 0, sizeof(vcpu->level_vectors));
		}
		if (!r)
			vcpu->apic_changed = true;      /* base and mode: the AVIC mode (x2AVIC) and the APIC_BASE inhibit */
	} else if (msr == MSR_IA32_TSC_DEADLINE) {
		if (LVT_TIMER_MODE(vapic_get_reg(&vcpu->apic, VAPIC_REG_LVT_TIMER)) == LVT_TIMER_TSC_DEADLINE) {
			vcpu->timer.tsc_deadline = val;
			lapic_timer_update(vcpu);
		}
	} else {
		/* An expiry due before this write happens with the old LVT. */
		lapic_timer_check(vcpu, rdtsc());
		r = vapic_x2apic_msr_write(&vcpu->apic, msr, val, &eff);
		if (!r && msr == VAPIC_MSR_TMICT)
			lapic_timer_restart(vcpu);
		else if (!r)
			lapic_effect(vcpu, &eff);
	}
	if (r)
		vcpu->apic_bad_accesses++;
	spin_unlock(&vcpu->apic_lock);
	return r;
}

/* ---- xAPIC MMIO ------------------------------------------------------------------- */

int lapic_mmio_access(void *ctx, u64 gpa, unsigned size, bool write, u64 *val)
{
	struct vcpu *vcpu = ctx;
	struct vapic *a = &vcpu->apic;
	struct vapic_effect eff = { .kind = VAPIC_EFFECT_NONE };
	u64 base = a->apic_base & VAPIC_BASE_ABA;
	u32 off = (u32)(gpa & (PAGE_SIZE - 1)), v32;
	int r;

	spin_lock(&vcpu->apic_lock);
	vcpu->apic_accesses++;
	/*
	 * Only aligned 32-bit accesses are defined (APM Vol 2 §16.3.2 "APIC
	 * Registers"); others read 0 and are ignored, like vapic.c's unknown
	 * offsets.  A page that is not decoded (APIC disabled, x2APIC mode,
	 * where the registers are MSRs: APM Vol 2 §16.11 "Accessing x2APIC
	 * Register", or not the current base) behaves as unclaimed MMIO: all
	 * ones, writes dropped.
	 */
	if (ALIGN_DOWN(gpa, PAGE_SIZE) != base || !a->enabled || a->x2apic) {
		vcpu->apic_bad_accesses++;
		if (!write)
			*val = ~0ULL;
		spin_unlock(&vcpu->apic_lock);
		return 0;
	}
	if (size != 4 || (off & 3)) {
		vcpu->apic_bad_accesses++;
		if (!write)
			*val = 0;
		spin_unlock(&vcpu->apic_lock);
		return 0;
	}
	if (write) {
		lapic_timer_check(vcpu, rdtsc());
		r = vapic_mmio_write(a, off, (u32)*val, &eff);
		if (!r && off == VAPIC_REG_TMICT)
			lapic_timer_restart(vcpu);
		else if (!r)
			lapic_effect(vcpu, &eff);
	} else {
		if (off == VAPIC_REG_TMCCT)
			lapic_timer_tmcct(vcpu);
		r = vapic_mmio_read(a, off, &v32);
		*val = v32;
	}
	spin_unlock(&vcpu->apic_lock);
	return r ? -1 : 0;
}

/*
 * Sends an ICR value without writing the ICR register (the AVIC exits: the
 * CPU stored the write already, or it came from SELF_IPI).  x2apic: lo | hi
 * << 32 is the 64-bit ICR; else hi is ICRH.  Bit 12 (delivery status) is
 * ignored: the CPU may report it set (APM Vol 2 §15.29.9.1 "AVIC IPI
 * Delivery Not Completed").
 */
void lapic_send_icr(struct vcpu *vcpu, u32 lo, u32 hi, bool x2apic)
{
	struct vapic_effect eff = { .kind = VAPIC_EFFECT_NONE };
	struct vapic_icr icr;

	lo &= ~VAPIC_ICR_DS;
	if (x2apic)
		vapic_icr_decode_x2apic(((u64)hi << 32) | lo, &icr);
	else
		vapic_icr_decode_xapic(lo, hi, &icr);
	spin_lock(&vcpu->apic_lock);
	vapic_send_icr(&vcpu->apic, &icr, &eff);
	lapic_effect(vcpu, &eff);
	spin_unlock(&vcpu->apic_lock);
}

/* A 32-bit register write at the current base, as if by the guest (AVIC trap / ICR paths). */
void lapic_xapic_write(struct vcpu *vcpu, u32 offset, u32 val)
{
	u64 v = val;

	lapic_mmio_access(vcpu, (vcpu->apic.apic_base & VAPIC_BASE_ABA) + offset, 4, true, &v);
}

/*
 * NPF on an MMIO page we emulate: the local APIC page (the current base,
 * or the default one, which reads as all ones when the APIC is elsewhere)
 * and the IOAPIC page.  *handled = false leaves the NPF to the caller.
 */
enum exit_action lapic_handle_npf(struct vcpu *vcpu, u64 gpa, bool *handled)
{
	u64 page = ALIGN_DOWN(gpa, PAGE_SIZE);
	u64 base = vcpu->apic.apic_base & VAPIC_BASE_ABA;

	*handled = true;
	if (page == base || page == VAPIC_BASE_DEFAULT)
		return mmio_emulate(vcpu, gpa, lapic_mmio_access, vcpu);
	if (page == HV_IOAPIC_BASE)
		return mmio_emulate(vcpu, gpa, lapic_ioapic_mmio, vcpu);
	*handled = false;
	return EXIT_RESUME;
}

/* ---- CR8 ----------------------------------------------------------------------------- */

/*
 * MOV to CR8 (intercepted only while TPR holds back a pending vector):
 * TPR = CR8 << 4, sub-class zero (APM Vol 2 §16.6.4 "Selecting and
 * Handling Interrupts").
 * Bits 63:4 set: #GP (APM Vol 2 §3.1.5 "CR8").
 */
enum exit_action lapic_handle_cr8_write(struct vcpu *vcpu)
{
	u64 val;
	u8 len;

	if (mmio_decode_cr_write(vcpu, 8, &val, &len))
		return EXIT_STOP;
	if (val >> 4) {
		vcpu_inject_exception(vcpu, X86_GP, true, 0);
		return EXIT_RESUME;
	}
	spin_lock(&vcpu->apic_lock);
	vcpu->apic_accesses++;
	vapic_set_tpr(&vcpu->apic, (u32)val << 4);
	spin_unlock(&vcpu->apic_lock);
	ctl(vcpu)->int_ctl = (ctl(vcpu)->int_ctl & ~V_TPR_MASK) | (u32)val;
	mmio_advance(vcpu, len);
	return EXIT_RESUME;
}

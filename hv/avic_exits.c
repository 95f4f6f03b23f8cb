/*
 * hv/avic_exits.c - the two AVIC exits, #VMEXIT 0x401 AVIC_INCOMPLETE_IPI
 * and 0x402 AVIC_NOACCEL: the CPU's (apic=avic, from the exit table
 * through the front door) and the model's (apic=avic-emu,
 * hv/avic_emu_glue.c), handled the same way, with the soft APIC as the
 * library that sends, writes and ends what the CPU left undone.
 */
#include "hv/avic_internal.h"
#include "hv/lapic.h"
#include "hv/mmio.h"
#include "lib/x86.h"

/* ---- #VMEXIT 0x401 AVIC_INCOMPLETE_IPI (APM Vol 2 §15.29.9.1 "AVIC IPI Delivery Not Completed") ---- */

/*
 * ICR bit 12, delivery status: the CPU may leave it set in the backing page
 * when it gives up on an IPI (APM Vol 2 §15.29.9.1 "AVIC IPI Delivery Not
 * Completed"; KVM re-writes the ICR to clear it), in x2APIC mode too, where
 * the bit is reserved and must read 0 (APM Vol 2 §16.13 "x2APIC Interrupt
 * Command Register (ICR) Operations").  Once a handler returns, the IPI is
 * done: the guest sees the ICR idle.
 */
static void avic_icr_idle(struct vcpu *vcpu)
{
	struct vapic *a = &vcpu->apic;

	spin_lock(&vcpu->apic_lock);
	if (vapic_get_reg(a, VAPIC_REG_ICR_LO) & VAPIC_ICR_DS) {
		__atomic_fetch_add(&avic_cov.icr_busy, 1, __ATOMIC_RELAXED);
		vapic_set_reg(a, VAPIC_REG_ICR_LO, vapic_get_reg(a, VAPIC_REG_ICR_LO) & ~VAPIC_ICR_DS);
	}
	spin_unlock(&vcpu->apic_lock);
}

/*
 * An ICR write that the CPU trapped to the hypervisor (0x402 at 0x300,
 * APM Vol 2 §15.29.3.1 "Virtual APIC Register Accesses"): the page holds
 * it, 0x300 | 0x310 << 32 in x2APIC mode (APM Vol 2 §15.29.10 "x2AVIC").
 * Sent through the soft APIC's send path, never through
 * lapic_wrmsr or RDMSR (a BUSY bit the CPU left would be refused there).
 */
static void avic_send_icr_from_page(struct vcpu *vcpu)
{
	u32 lo = vapic_get_reg(&vcpu->apic, VAPIC_REG_ICR_LO), hi = vapic_get_reg(&vcpu->apic, VAPIC_REG_ICR_HI);

	avic_icr_idle(vcpu);
	lapic_send_icr(vcpu, lo, hi, vcpu->apic.x2apic);
}

/* Cause 1's targets: every vCPU but the sender that the IPI's destination names. */
struct ipi_dest {
	const struct vapic_icr *icr;
	const struct vcpu *source;
};

static bool avic_pick_ipi_target(const struct vcpu *t, const void *ctx)
{
	const struct ipi_dest *d = ctx;

	return t != d->source && vapic_match_dest(&t->apic, d->icr, d->source->apic.apic_id);
}

/*
 * Per cause (APM Vol 2 §15.29.9.1 "AVIC IPI Delivery Not Completed",
 * Table 15-27), with
 * the value sent taken from EXITINFO1, the ICR as the guest wrote it
 * (Table 15-25), not from the backing page:
 *   0 invalid type, 2 invalid target, 5 unaccelerated (Secure AVIC): the
 *     CPU sent nothing; the soft APIC sends the whole IPI (ESR, INIT, NMI,
 *     lowest priority, invalid destinations as architected).
 *   1 not running: the IRR bits are set; wake or kick the targets only.
 *   3 invalid backing page: the tables are ours, a hypervisor bug.
 *   4 invalid vector: nothing sent; the soft send path sets ESR "send
 *     illegal vector" (APM Vol 2 §16.4.6 "APIC Error Interrupts") and sends nothing.  A SELF_IPI
 *     with a vector below 16 exits here too (x2AVIC), and ICR (0x300) then
 *     holds an older IPI: re-sending the page's ICR would send that again.
 *   above 5 (not in the APM): logged once, counted, sent as for cause 0; a
 *     fixed IPI that reached IRR already is not delivered twice (IRR is a
 *     bit), anything else has not been sent.
 * KVM sends from EXITINFO1 too, and from the page only to clear BUSY; here
 * BUSY is cleared in the page directly (avic_icr_idle), in both modes.
 */
enum exit_action avic_incomplete_ipi(struct vcpu *vcpu, u64 info1, u64 info2)
{
	struct vm *vm = vcpu->vm;
	struct avic_incomplete_ipi ipi;
	struct vapic_icr icr;
	bool x2 = vcpu->apic.x2apic;

	if (unlikely(vm->avic_probe))
		avic_probe_note(vcpu, SVM_EXIT_AVIC_INCOMPLETE_IPI, info1, info2);
	if (!avic_incomplete_ipi_decode(info1, info2, &ipi)) {
		if (info2 & AVIC_INCOMPLETE_IPI_RSVD_MASK)
			avic_departure(vcpu, DEP_IPI_RSVD, info1, info2, "AVIC_INCOMPLETE_IPI with EXITINFO2[31:12] set");
		if (ipi.cause >= AVIC_IPI_FAILURE_COUNT)
			avic_departure(vcpu, DEP_IPI_CAUSE, info1, info2,
				       "AVIC_INCOMPLETE_IPI with a cause above 5, sent as cause 0");
	}
	if (ipi.cause < AVIC_IPI_FAILURE_COUNT) {
		vcpu->avic.ipi[ipi.cause]++;
		__atomic_fetch_add(&avic_cov.ipi[ipi.cause], 1, __ATOMIC_RELAXED);
	}
	avic_icr_idle(vcpu);

	switch (ipi.cause) {
	case AVIC_IPI_FAILURE_TARGET_NOT_RUNNING:
		/*
		 * The IRR bits are set; the targets that were not running need
		 * waking (and, without IPI virtualization, the running ones a
		 * doorbell).  The index names only one target: match them all.
		 */
		if (x2)
			vapic_icr_decode_x2apic(info1 & ~(u64)VAPIC_ICR_DS, &icr);
		else
			vapic_icr_decode_xapic(ipi.icr_low, ipi.icr_high, &icr);
		lapic_kick_each(vm, avic_pick_ipi_target, &(struct ipi_dest){ .icr = &icr, .source = vcpu },
				avic_notify);
		return EXIT_RESUME;
	case AVIC_IPI_FAILURE_INVALID_BACKING_PAGE: {
		u32 idx = ipi.index & AVIC_INCOMPLETE_IPI_INDEX_MASK;

		/* The tables are ours: a bad pointer in them is a hypervisor bug. */
		hv_err("avic", "HYPERVISOR BUG: %s/%u: AVIC reports an invalid backing page for table index %u "
		       "(physical entry 0x%llx), ICR 0x%08x:%08x", vm->test->name, vcpu->index, idx,
		       idx <= vm->avic_max_index ? (unsigned long long)vm->avic_phys[idx] : 0ULL,
		       ipi.icr_high, ipi.icr_low);
		vcpu_stop(vcpu, STOP_HV_BUG, "hypervisor bug: AVIC found an invalid backing page "
			  "(table index %u)", idx);
		return EXIT_STOP;
	}
	default:
		lapic_send_icr(vcpu, ipi.icr_low, ipi.icr_high, x2);
		return EXIT_RESUME;
	}
}

enum exit_action avic_handle_incomplete_ipi(struct vcpu *vcpu)
{
	return avic_incomplete_ipi(vcpu, ctl(vcpu)->exit_info_1, ctl(vcpu)->exit_info_2);
}

/* ---- #VMEXIT 0x402 AVIC_NOACCEL (APM Vol 2 §15.29.9.2 "AVIC Access to Un-accelerated vAPIC register") ---- */

/*
 * A trap-like write: the page already holds the value and RIP is past the
 * instruction.  The value is put back behind the register's previous one
 * and fed to the soft APIC's write path, which applies it (masks, side
 * effects: timer, SVR, ID/LDR/DFR -> tables and inhibits).
 */
static void avic_trap_write(struct vcpu *vcpu, u32 off)
{
	struct vapic *a = &vcpu->apic;
	u32 val = vapic_get_reg(a, off);

	if ((off >> 4) < ARRAY_SIZE(vcpu->avic.trap_shadow))
		vapic_set_reg(a, off, vcpu->avic.trap_shadow[off >> 4]);
	if (a->x2apic) {
		if (lapic_wrmsr(vcpu, VAPIC_X2APIC_MSR(off), val))
			hv_err("avic", "%s/%u: x2APIC trap write 0x%x to MSR 0x%x refused by the soft path",
			       vcpu->vm->test->name, vcpu->index, val, VAPIC_X2APIC_MSR(off));
	} else {
		lapic_xapic_write(vcpu, off, val);
	}
}

/*
 * EOI of a level-triggered vector (APM Vol 2 §15.29.9.2 "AVIC Access to
 * Un-accelerated vAPIC register", EXITINFO2 the vector, Table 15-29; the
 * EOI paragraph of §15.29.3.1 "Virtual APIC Register Accesses").  An EOI
 * ends the highest in-service vector (APM Vol 2 §16.6.4 "Selecting and
 * Handling Interrupts"), so that is the one ended here, whatever EXITINFO2
 * says: the trap goes through the soft APIC's register write, as any
 * trapped write does, and that path ends the vector and gives the IOAPIC
 * its EOI.  Whether the CPU cleared ISR before the exit is not specified
 * by the APM: if EXITINFO2's vector is no longer in service but was
 * accepted as level (the hypervisor's own record, not the guest's TMR,
 * which Secure AVIC hides: APM Vol 2 §15.36.21 "Secure AVIC"), the CPU
 * ended it, and only the IOAPIC's EOI is left.  A vector
 * that is neither - not in service, or not the highest - is a departure,
 * counted.
 */
static bool vapic_isr_test(const struct vapic *a, u8 vector)
{
	return vapic_get_reg(a, VAPIC_REG_ISR + (u32)(vector >> 5) * 0x10) & (1u << (vector & 31));
}

static void avic_level_eoi(struct vcpu *vcpu, u64 info1, u64 info2, u8 reported)
{
	struct vapic *a = &vcpu->apic;
	bool ended_by_cpu;
	int top;

	__atomic_fetch_add(&avic_cov.level_eoi, 1, __ATOMIC_RELAXED);
	spin_lock(&vcpu->apic_lock);
	top = vapic_highest_isr(a);
	ended_by_cpu = top != reported && !vapic_isr_test(a, reported) && lapic_level_accepted(vcpu, reported);
	spin_unlock(&vcpu->apic_lock);
	if (ended_by_cpu) {
		lapic_level_eoi_done(vcpu, reported);
		return;
	}
	if (top != reported) {
		avic_departure(vcpu, DEP_EOI_VECTOR, info1, info2,
			       "level EOI exit for a vector that is not the highest in service");
		if (top < 0)
			return;         /* nothing in service: an EOI with no effect */
	}
	/* The register write of an EOI (0: an x2APIC EOI of any other value is #GP). */
	if (a->x2apic)
		lapic_wrmsr(vcpu, VAPIC_MSR_EOI, 0);
	else
		lapic_xapic_write(vcpu, VAPIC_REG_EOI, 0);
}

/*
 * RDMSR (0F 32) or WRMSR (0F 30) at RIP: the fault-like x2AVIC exit
 * emulates it (APM Vol 2 §15.29.9.2 "AVIC Access to Un-accelerated vAPIC
 * register", §15.29.10 "x2AVIC").
 */
static enum exit_action avic_fault_msr(struct vcpu *vcpu, bool write)
{
	struct vmcb_save *s = &vcpu->vmcb->save;
	u32 msr = (u32)vcpu->regs.rcx;
	u64 val = vcpu_edx_eax(vcpu);
	u8 b[2];
	int r;

	if (vcpu_fetch_insn(vcpu, b, 2) != 2 || b[0] != 0x0f || b[1] != (write ? 0x30 : 0x32)) {
		vcpu_stop(vcpu, STOP_UNSUPPORTED, "AVIC_NOACCEL fault in x2APIC mode, but no %s at RIP 0x%llx",
			  write ? "WRMSR" : "RDMSR", (unsigned long long)s->rip);
		return EXIT_STOP;
	}
	r = write ? lapic_wrmsr(vcpu, msr, val) : lapic_rdmsr(vcpu, msr, &val);
	if (r) {
		vcpu_inject_exception(vcpu, X86_GP, true, 0);
		return EXIT_RESUME;
	}
	if (!write)
		vcpu_set_edx_eax(vcpu, val);
	mmio_advance(vcpu, 2);
	return EXIT_RESUME;
}

enum exit_action avic_noaccel(struct vcpu *vcpu, u64 info1, u64 info2)
{
	struct avic_noaccel n;
	bool x2 = vcpu->avic.mode == AVIC_VCPU_X2AVIC;

	/* The fields are taken as masked (offset 11:4, write bit 32), as KVM does. */
	if (!avic_noaccel_decode(info1, info2, avic_extlvt(vcpu), &n))
		avic_departure(vcpu, DEP_NOACCEL_RSVD, info1, info2,
			       "AVIC_NOACCEL with EXITINFO1 bits outside 32 and 11:4");
	if (n.kind == AVIC_ACCEL) {
		/*
		 * An exit where Table 15-22 says the CPU accelerates: KVM's
		 * rule decides (avic_noaccel_kind_fallback): a write to a
		 * register whose writes can trap is a trap, anything else a
		 * fault, emulated from the instruction.  The probe, which
		 * knows its RIP, measures it instead (below).
		 */
		avic_departure(vcpu, DEP_NOACCEL_ACCEL, info1, info2,
			       "AVIC_NOACCEL for an access Table 15-22 accelerates");
		n.kind = (u8)avic_noaccel_kind_fallback(n.offset, n.write);
	}
	__atomic_fetch_add(&avic_cov.noaccel[n.write][n.offset >> 4], 1, __ATOMIC_RELAXED);
	/* The probe's VM: the probe notes the exit and may decide its kind (avic_probe_noaccel). */
	if (unlikely(vcpu->vm->avic_probe) && avic_probe_noaccel(vcpu, info1, info2, &n))
		return EXIT_RESUME;
	if (n.kind == AVIC_TRAP) {
		vcpu->avic.noaccel_trap++;
		if (n.offset == VAPIC_REG_EOI)
			avic_level_eoi(vcpu, info1, info2, n.vector);
		else if (n.offset == VAPIC_REG_ICR_LO)
			/* An ICR the CPU left to us (APM Vol 2 §15.29.3.1), not a 0x401: not counted as one. */
			avic_send_icr_from_page(vcpu);
		else
			avic_trap_write(vcpu, n.offset);
		return EXIT_RESUME;
	}
	/* Fault-like: nothing happened and RIP is at the instruction; emulate it. */
	vcpu->avic.noaccel_fault++;
	if (x2)
		return avic_fault_msr(vcpu, n.write);
	return mmio_emulate(vcpu, (vcpu->apic.apic_base & VAPIC_BASE_ABA) + n.offset, lapic_mmio_access, vcpu);
}

enum exit_action avic_handle_noaccel(struct vcpu *vcpu)
{
	return avic_noaccel(vcpu, ctl(vcpu)->exit_info_1, ctl(vcpu)->exit_info_2);
}

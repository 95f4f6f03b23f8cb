/*
 * hv/tests.c - the test table (from hv/tests.def) and the hypervisor-side
 * preparation of tests that need a particular VMCB.
 */
#include "hv/hv.h"
#include "hv/avic.h"
#include "avic/avic_hw.h"
#include "lib/x86.h"

const struct hv_test hv_tests[] = {
#define TEST(name, min_vcpus, flags, timeout_ms, prepare, what) \
	{ #name, min_vcpus, flags, timeout_ms, prepare, what },
#include "hv/tests.def"
#undef TEST
};
const unsigned hv_tests_count = ARRAY_SIZE(hv_tests);

/*
 * vmexit_invalid: CS.L and CS.D both set with long mode active is an
 * illegal state (APM Vol 2 §15.5.1 "Basic Operation", "Canonicalization and
 * Consistency Checks"): VMRUN must fail with
 * VMEXIT_INVALID and the checker must name the field.
 */
void hv_prepare_invalid_state(struct vcpu *vcpu)
{
	struct vmcb_save *s = &vcpu->vmcb->save;

	s->efer |= EFER_LME | EFER_LMA;
	s->cr4 |= CR4_PAE;
	s->cr0 |= CR0_PG;
	s->cs.attrib |= SEG_ATTR_L | SEG_ATTR_DB;
	vcpu->expect_kind = STOP_INVALID;
}

/*
 * unknown_exit: intercept RDTSC, for which there is no handler: the exit
 * must be reported with a VMCB dump and stop only this guest.
 */
void hv_prepare_unknown_exit(struct vcpu *vcpu)
{
	vcpu->vmcb->control.intercept_misc1 |= INTERCEPT_RDTSC;
	vcpu->expect_kind = STOP_UNHANDLED;
}

/*
 * avic_badpage: vCPU 1's physical APIC ID table entry gets a backing-page
 * address no CPU can use, above its physical address width (a pointer to
 * ordinary RAM would be written by a real CPU, not refused), and vCPU 0 is
 * expected to be stopped as a hypervisor bug when its IPI meets it
 * (AVIC_INCOMPLETE_IPI cause 3, hv/avic_exits.c).  Without AVIC, or on a CPU
 * with 52 address bits, nothing is planted and the guest says why.
 */
void hv_prepare_avic_badpage(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	u64 *entry;

	if (!avic_vm(vm) || svm_caps.max_phys_bits >= 52 || vm->nr_vcpus < 2)
		return;
	if (vcpu->index == 0) {
		vcpu->expect_kind = STOP_HV_BUG;
		return;
	}
	if (vcpu->index != 1)
		return;
	entry = &vm->avic_phys[vcpu->apic.apic_id];
	*entry = (*entry & ~AVIC_PHYSICAL_ID_ENTRY_BACKING_PAGE_MASK) |
		 (1ULL << svm_caps.max_phys_bits);
}

/*
 * avic_inhibit_ipi: vCPU 0, the sender, is not kicked when an inhibit
 * changes (hv/avic.c avic_inhibit_change), as if its kick were slow to
 * land: it keeps the AVIC mode it entered with until its next exit.  Its
 * next IPI - under avic-emu an exit too, but one the model answers as the
 * CPU would have done before the kick arrived - then meets a target that
 * already runs without AVIC.  That target must have IsRunning = 0 (APM Vol
 * 2 §15.29.8.2: a doorbell does nothing to a core not in AVIC guest mode).
 */
void hv_prepare_avic_late_kick(struct vcpu *vcpu)
{
	if (avic_vm(vcpu->vm) && vcpu->index == 0)
		vcpu->vm->avic_late_kick = 1;
}

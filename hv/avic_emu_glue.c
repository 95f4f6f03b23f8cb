/*
 * hv/avic_emu_glue.c - apic=avic-emu's side of the AVIC backend: the
 * intercepted x2APIC MSR and xAPIC MMIO accesses given to the model of the
 * hardware (avic/avic_emu.c), which accelerates them on the backing page
 * or builds the #VMEXIT the CPU would take, handled by the very same
 * 0x401/0x402 handlers; and at each mode switch the check of the VMCB
 * that apic=avic would run, so the CPU backend's VMCB code runs in CI too.
 */
#include "hv/avic_internal.h"
#include "hv/lapic.h"
#include "hv/mmio.h"
#include "hv/percpu.h"
#include "svm/msrpm.h"
#include "svm/npt.h"
#include "svm/vmcb_check.h"
#include "lib/string.h"
#include "lib/x86.h"

/* ---- the VMCB the CPU backend would run ---- */

/* One problem in the VMCB the CPU backend would run: a hypervisor bug. */
static void avic_hw_problem(void *ctx, const char *field, const char *problem)
{
	struct vcpu *vcpu = ctx;

	vcpu->avic.hw_problems++;
	__atomic_fetch_add(&avic_cov.hw_problems, 1, __ATOMIC_RELAXED);
	hv_err("avic", "HYPERVISOR BUG: %s/%u: the VMCB apic=avic would run (AVIC mode %u): %s: %s",
	       vcpu->vm->test->name, vcpu->index, vcpu->avic.mode, field, problem);
}

/*
 * avic-emu, at each AVIC mode switch: the VMCB the CPU backend would run
 * now - this VMCB with the CPU backend's fields (avic_vmcb_fields) and its
 * mode switch (avic_vmcb_mode) applied - must pass VMRUN's consistency
 * checks (svm/vmcb_check.c, with the AVIC ones of APM Vol 2 §15.29.4.3
 * "Physical Address Pointer Restrictions") and say what the mode means
 * (APM Vol 2 §15.29.4.1 "VMCB Virtual Interrupt Control Word", §15.29.4.2
 * "AVIC VMCB Fields", §15.29.10 "x2AVIC"): int_ctl bits 31/30, the x2APIC
 * MSRs open exactly as the policy says and only under x2AVIC (all of them
 * in the probe's VM), the nested root with the APIC page only in xAVIC
 * mode, no CR8 write intercept under AVIC, a TLB flush and the AVIC clean
 * bit cleared, the physical table where the model reads it, with MAX_INDEX
 * covering every vCPU.  So the CPU backend's VMCB code runs in CI too, and
 * the model takes its x2APIC pass-through from that MSRPM.  A problem
 * stops the vCPU as a hypervisor bug.  The table's entries are not the
 * VMCB's and VMRUN does not look at them: a bad one is what the model's
 * 0x401 cause 3 reports (test avic_badpage plants one).
 */
void avic_hw_vmcb_check(struct vcpu *vcpu, u8 mode)
{
	struct vm *vm = vcpu->vm;
	struct vmcb *w = vcpu->avic.hw_vmcb;
	struct vmcb_control *c = &w->control;
	bool x2 = mode == AVIC_VCPU_X2AVIC;
	u64 before = vcpu->avic.hw_problems, hpa;
	u32 max_index;
	char why[96];

	memcpy(w, vcpu->vmcb, sizeof(*w));
	__atomic_fetch_add(&avic_cov.hw_vmcb[mode], 1, __ATOMIC_RELAXED);
	if (avic_vmcb_fields(vcpu, c)) {
		avic_hw_problem(vcpu, "control.avic_*", "a table or page address the fields cannot hold");
	} else {
		avic_vmcb_mode(vcpu, c, mode);
		vmcb_check_state(w, svm_caps.max_phys_bits, avic_hw_problem, vcpu);
	}
	if (!!(c->int_ctl & AVIC_ENABLE_MASK) != (mode != AVIC_VCPU_OFF) || !!(c->int_ctl & X2APIC_MODE_MASK) != x2)
		avic_hw_problem(vcpu, "control.int_ctl", "bits 31/30 (AVIC, x2AVIC) do not match the mode");
	if (unlikely(vm->avic_probe) && x2) {
		if (!avic_probe_msrpm_is_open(vcpu->avic.msrpm))
			avic_hw_problem(vcpu, "msrpm", "the probe's VM intercepts an x2APIC MSR under x2AVIC");
	} else if (avic_x2_msrpm_check(vcpu->avic.msrpm, x2, why, sizeof(why))) {
		avic_hw_problem(vcpu, "msrpm", why);
	}
	if (c->n_cr3 != npt_root(mode == AVIC_VCPU_XAVIC ? &vm->avic_npt : &vm->npt))
		avic_hw_problem(vcpu, "control.n_cr3", "the APIC page is mapped iff the vCPU runs xAVIC");
	if (mode != AVIC_VCPU_OFF && (c->intercept_cr & INTERCEPT_CR8_WRITE))
		avic_hw_problem(vcpu, "control.intercept_cr", "CR8 writes intercepted under AVIC");
	if (c->tlb_control == TLB_CONTROL_DO_NOTHING || (c->clean & VMCB_CLEAN_AVIC))
		avic_hw_problem(vcpu, "control.tlb_control/clean", "no TLB flush, or the AVIC fields marked clean");
	if (!avic_vmcb_physical_table_decode(c->avic_physical_id, &hpa, &max_index) ||
	    hpa != page_pa(vm->avic_phys) || max_index < vm->nr_vcpus - 1)
		avic_hw_problem(vcpu, "control.avic_physical_id", "not the model's table, or MAX_INDEX misses a vCPU");
	if (vcpu->avic.hw_problems != before)
		vcpu_stop(vcpu, STOP_HV_BUG, "hypervisor bug: the VMCB apic=avic would run breaks %llu rule%s",
			  (unsigned long long)(vcpu->avic.hw_problems - before),
			  vcpu->avic.hw_problems - before == 1 ? "" : "s");
}

/* ---- avic-emu: intercepted accesses through the model (avic/avic_emu.h) ---- */

static void emu_doorbell(void *opaque, u32 host_apic_id)
{
	struct vcpu *vcpu = opaque;

	avic_ring(vcpu->vm, vcpu, host_apic_id);
}

/* Only this VM's backing pages are backing pages: anything else is "invalid". */
static u8 *emu_page_of(void *opaque, u64 hpa)
{
	struct vm *vm = ((struct vcpu *)opaque)->vm;

	for (u32 i = 0; i < vm->nr_vcpus; i++)
		if (page_pa(vm->vcpus[i].apic.page) == hpa)
			return vm->vcpus[i].apic.page;
	return NULL;
}

static void emu_ctx(struct vcpu *vcpu, struct avic_emu_ctx *c)
{
	struct vm *vm = vcpu->vm;

	*c = (struct avic_emu_ctx){
		.phys_table = vm->avic_phys,
		.max_phys_index = vm->avic_max_index,
		.log_table = vm->avic_log,
		.x2avic = vcpu->avic.mode == AVIC_VCPU_X2AVIC,
		.self_host_apic_id = this_cpu()->apic_id,
		.doorbell = emu_doorbell,
		.opaque = vcpu,
		.page_of = emu_page_of,
		.ext_lvt = false,
		/* The CPU backend's MSRPM for this vCPU (avic_hw_vmcb_check). */
		.x2avic_msrpm = vcpu->avic.msrpm,
		.quirks = vm->avic_qs ? vm->avic_quirks : 0,
		.qs = vm->avic_qs,
	};
}

/* Trap-like exits have RIP past the instruction, as the CPU leaves it. */
static bool emu_exit_is_trap(const struct avic_emu_exit *ex)
{
	struct avic_noaccel n;

	if (ex->code == SVM_EXIT_AVIC_INCOMPLETE_IPI)
		return true;
	avic_noaccel_decode(ex->info1, ex->info2, false, &n);
	return n.kind == AVIC_TRAP;
}

static enum exit_action emu_take_exit(struct vcpu *vcpu, const struct avic_emu_exit *ex)
{
	if (ex->code == SVM_EXIT_AVIC_INCOMPLETE_IPI)
		return avic_incomplete_ipi(vcpu, ex->info1, ex->info2);
	return avic_noaccel(vcpu, ex->info1, ex->info2);
}

enum exit_action avic_emu_msr_exit(struct vcpu *vcpu, u32 msr, bool write, bool *done)
{
	struct avic_emu_ctx c;
	struct avic_emu_exit ex;
	enum avic_emu_result r;
	u64 val = vcpu_edx_eax(vcpu);

	*done = false;
	if (!avic_emu_active(vcpu))
		return EXIT_RESUME;
	emu_ctx(vcpu, &c);
	spin_lock(&vcpu->apic_lock);
	r = avic_emu_msr(&c, vcpu->apic.page, vcpu->apic.apic_id, msr, write, &val, &ex);
	spin_unlock(&vcpu->apic_lock);
	switch (r) {
	case AVIC_EMU_INTERCEPTED:
		avic_probe_count_intercept(vcpu);
		return EXIT_RESUME;
	case AVIC_EMU_ACCELERATED:
		*done = true;
		vcpu->avic.emu_only++;
		vcpu->avic.accel++;
		if (!write)
			vcpu_set_edx_eax(vcpu, val);
		return vcpu_skip_insn(vcpu) ? EXIT_STOP : EXIT_RESUME;
	case AVIC_EMU_GP:
		*done = true;
		vcpu->avic.emu_only++;
		vcpu_inject_exception(vcpu, X86_GP, true, 0);
		return EXIT_RESUME;
	case AVIC_EMU_EXIT:
		break;
	}
	*done = true;
	if (emu_exit_is_trap(&ex) && vcpu_skip_insn(vcpu))
		return EXIT_STOP;
	return emu_take_exit(vcpu, &ex);
}

struct emu_mmio {
	struct vcpu *vcpu;
	enum avic_emu_result r;
	struct avic_emu_exit ex;
};

static int emu_mmio_fn(void *ctx, u64 gpa, unsigned size, bool write, u64 *val)
{
	struct emu_mmio *m = ctx;
	struct vcpu *vcpu = m->vcpu;
	struct avic_emu_ctx c;
	u32 off = (u32)(gpa & (PAGE_SIZE - 1)), v32 = (u32)*val;

	m->r = AVIC_EMU_INTERCEPTED;
	if (size == 4) {
		emu_ctx(vcpu, &c);
		spin_lock(&vcpu->apic_lock);
		m->r = avic_emu_mmio(&c, vcpu->apic.page, vcpu->apic.apic_id, off, write, &v32, &m->ex);
		spin_unlock(&vcpu->apic_lock);
	}
	switch (m->r) {
	case AVIC_EMU_INTERCEPTED:
		return lapic_mmio_access(vcpu, gpa, size, write, val);
	case AVIC_EMU_ACCELERATED:
		if (!write)
			*val = v32;
		return 0;
	case AVIC_EMU_EXIT:
		/* A fault-like exit: the access does not happen, RIP stays. */
		return emu_exit_is_trap(&m->ex) ? 0 : MMIO_NOT_DONE;
	case AVIC_EMU_GP:
		break;
	}
	return -1;
}

enum exit_action avic_emu_npf(struct vcpu *vcpu, u64 gpa, bool *done)
{
	struct emu_mmio m = { .vcpu = vcpu };
	enum exit_action act;

	*done = false;
	if (vcpu->avic.mode != AVIC_VCPU_XAVIC || !avic_emu_active(vcpu) ||
	    ALIGN_DOWN(gpa, PAGE_SIZE) != VAPIC_BASE_DEFAULT) {
		avic_probe_count_intercept(vcpu);
		return EXIT_RESUME;
	}
	*done = true;
	act = mmio_emulate(vcpu, gpa, emu_mmio_fn, &m);
	if (m.r == AVIC_EMU_INTERCEPTED)
		avic_probe_count_intercept(vcpu);
	if (act != EXIT_RESUME)
		return act;
	switch (m.r) {
	case AVIC_EMU_ACCELERATED:
		vcpu->avic.emu_only++;
		vcpu->avic.accel++;
		return EXIT_RESUME;
	case AVIC_EMU_EXIT:
		return emu_take_exit(vcpu, &m.ex);
	default:
		return EXIT_RESUME;
	}
}

/*
 * hv/vapic_door.c - the front door of the virtual local APIC (see
 * hv/vapic_door.h): every intercept, entry and exit of the virtual APIC
 * comes through here once.  Under apic=avic-emu the model (avic/avic_emu.c,
 * driven from hv/avic_emu_glue.c) decides first, as the CPU would, and the
 * soft APIC handles what the model leaves; the effects the AVIC tables and
 * inhibits follow are forwarded after each access.
 */
#include "hv/vapic_door.h"
#include "hv/lapic.h"
#include "hv/avic.h"
#include "lib/x86.h"

/* The soft APIC's register effects that the AVIC backend follows. */
static void door_forward(struct vcpu *vcpu)
{
	if (lapic_take_changes(vcpu))
		avic_apic_changed(vcpu);
}

bool vapic_door_msr_is_ours(u32 msr)
{
	return lapic_msr_is_ours(msr);
}

enum exit_action vapic_door_msr(struct vcpu *vcpu, u32 msr, bool write)
{
	u64 val = vcpu_edx_eax(vcpu);
	bool done = false;
	enum exit_action act = EXIT_RESUME;
	int r;

	/* avic-emu: the model decides first, as the CPU would (nothing to ask otherwise). */
	if (avic_emu_active(vcpu))
		act = avic_emu_msr_exit(vcpu, msr, write, &done);

	if (done) {
		door_forward(vcpu);
		return act;
	}
	r = write ? lapic_wrmsr(vcpu, msr, val) : lapic_rdmsr(vcpu, msr, &val);
	door_forward(vcpu);
	if (r) {
		vcpu_inject_exception(vcpu, X86_GP, true, 0);
		return EXIT_RESUME;
	}
	if (!write)
		vcpu_set_edx_eax(vcpu, val);
	return vcpu_skip_insn(vcpu) ? EXIT_STOP : EXIT_RESUME;
}

enum exit_action vapic_door_npf(struct vcpu *vcpu, u64 gpa, bool *handled)
{
	/* avic-emu: the model decides first, as the CPU would. */
	enum exit_action act = avic_emu_npf(vcpu, gpa, handled);

	if (!*handled)
		act = lapic_handle_npf(vcpu, gpa, handled);
	door_forward(vcpu);
	return act;
}

/*
 * Under AVIC the CPU takes CR8 writes itself (APM Vol 2 §15.29.4.1 "VMCB Virtual
 * Interrupt Control Word"): an exit only the model takes.
 */
enum exit_action vapic_door_cr8_write(struct vcpu *vcpu)
{
	avic_count_emu_only(vcpu);
	return lapic_handle_cr8_write(vcpu);
}

/* Under AVIC the CPU delivers from IRR when IF opens, with no exit. */
enum exit_action vapic_door_vintr(struct vcpu *vcpu)
{
	avic_count_emu_only(vcpu);
	return lapic_handle_vintr(vcpu);
}

enum exit_action vapic_door_avic_incomplete_ipi(struct vcpu *vcpu)
{
	enum exit_action act = avic_handle_incomplete_ipi(vcpu);

	door_forward(vcpu);
	return act;
}

enum exit_action vapic_door_avic_noaccel(struct vcpu *vcpu)
{
	enum exit_action act = avic_handle_noaccel(vcpu);

	door_forward(vcpu);
	return act;
}

void vapic_door_load(struct vcpu *vcpu)
{
	/* IsRunning, this CPU's APIC ID: APM Vol 2 §15.29.5.2 "Physical APIC ID Table" */
	avic_vcpu_load(vcpu);
}

void vapic_door_put(struct vcpu *vcpu)
{
	avic_vcpu_put(vcpu);
}

bool vapic_door_init_sipi(struct vcpu *vcpu)
{
	bool run = lapic_init_sipi(vcpu);

	door_forward(vcpu);             /* an INIT reset LDR, DFR and SVR */
	return run;
}

void vapic_door_before_entry(struct vcpu *vcpu)
{
	bool extint = lapic_extint_waiting(vcpu);

	if (!avic_vm(vcpu->vm)) {       /* the soft APIC alone: nothing of AVIC's to do */
		lapic_before_entry(vcpu, extint, false);
		return;
	}
	/*
	 * IRQWIN (KVM's name): an ExtINT may need a VINTR window, and AVIC
	 * ignores V_IRQ (APM Vol 2 §15.29.8.3 "Additional VMRUN Handling"),
	 * so the VM runs without AVIC while a vCPU has
	 * one waiting.  Asked before the mode is chosen, so that this entry is
	 * already a soft one; the first entry after the ExtINT was taken ends
	 * the request, as does another vCPU taking it.
	 */
	avic_irqwin_request(vcpu, extint);
	avic_before_entry(vcpu);
	if (lapic_before_entry(vcpu, extint, avic_hw_active(vcpu)))
		avic_irqwin_request(vcpu, false);
}

void vapic_door_after_exit(struct vcpu *vcpu)
{
	lapic_after_exit(vcpu);
}

void vapic_door_dump(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;

	lapic_dump(vcpu, vcpu->avic.mode, avic_vm(vm) ? vm->avic_phys[vcpu->apic.apic_id] : 0);
}

/*
 * hv/bench.c - the bare world switch for `run.sh --bench` (hv/bench.h).
 *
 * The floor every exit path is measured against: guest VMMCALL, #VMEXIT,
 * svm_vmrun's register save and restore (svm/vmrun.asm), RIP past the
 * VMMCALL, VMRUN.  Nothing else: no exit counting, no EXITINTINFO, no
 * interrupt look on entry, no handler table.  That is safe only because
 * the loop is left at the first exit that is not an armed step:
 *   - GIF stays 0 and in_guest 1 for the whole loop, so a sender that sets
 *     this vCPU's IRR kicks it, the kick waits in GIF=0 and the next VMRUN
 *     exits with INTR at once (APM Vol 2 §15.17 "Global Interrupt Flag,
 *     STGI and CLGI Instructions"): that exit ends the loop and the run loop delivers
 *     the interrupt as usual.  A host interrupt ends it the same way.
 *   - A guest can stay in the loop only by calling HC_BENCH_STEP, at most
 *     HC_BENCH_STEPS_MAX times per arming: the watchdog and the abort flag
 *     are looked at again after at most that many round trips.
 * Steps are not counted in HC_EXIT_COUNT.
 */
#include "hv/bench.h"
#include "svm/svm.h"
#include "svm/vmcb.h"

u64 bench_world_switch_arm(struct vcpu *vcpu, u64 steps)
{
	struct percpu *pc = this_cpu();

	if (steps == 0 || steps > HC_BENCH_STEPS_MAX)
		return HV_EINVAL;
	pc->bench_vcpu = vcpu;
	pc->bench_steps = (u32)steps;
	return 0;
}

bool bench_ws_step(struct vcpu *vcpu, struct percpu *pc)
{
	struct vmcb *v = vcpu->vmcb;

	if (pc->bench_vcpu != vcpu || v->control.exit_code != SVM_EXIT_VMMCALL || v->save.rax != HC_BENCH_STEP) {
		pc->bench_steps = 0;
		return false;
	}
	pc->bench_steps--;
	/*
	 * nRIP where the CPU gives it (APM Vol 2 §15.7.1 "State Saved on
	 * Exit"); else VMMCALL's 3 bytes, 0F 01 D9 (APM Vol 3 "VMMCALL"): a
	 * guest that prefixes it resumes inside its own instruction, which it
	 * could jump to anyway.
	 */
	if (svm_has(CPUID_8000000A_EDX_NRIPS) && v->control.next_rip)
		v->save.rip = v->control.next_rip;
	else
		v->save.rip += 3;
	v->control.int_state &= ~SVM_INTERRUPT_SHADOW;
	return true;
}

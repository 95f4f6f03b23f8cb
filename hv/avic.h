/*
 * hv/avic.h - the AVIC backend of the virtual local APIC: the per-VM
 * physical and logical APIC ID tables, IsRunning and the doorbell, the
 * AVIC exits (0x401 AVIC_INCOMPLETE_IPI, 0x402 AVIC_NOACCEL), the inhibits,
 * and - for apic=avic-emu - the dispatch of intercepted accesses into the
 * model of the hardware (avic/avic_emu.c).
 *
 * One backend, two drivers:
 *   apic=avic      the CPU accelerates; the VMCB runs with int_ctl bit 31
 *                  (and 30 for x2APIC guests) and the exits below arrive as
 *                  real #VMEXITs;
 *   apic=avic-emu  every APIC access is intercepted as in the soft mode and
 *                  given to the model, which either does it on the backing
 *                  page as the CPU would ("accelerated", an exit only the
 *                  emulation takes) or builds the #VMEXIT the CPU would take
 *                  and calls the very same handlers.
 * The APIC state is always hv/lapic.c's page (struct vapic), which is the
 * backing page.  See docs/ARCHITECTURE.md "AVIC".
 */
#ifndef HV_AVIC_H
#define HV_AVIC_H

#include "hv/hv.h"

/* What a vCPU's VMCB runs with (or, for avic-emu, what the model plays). */
#define AVIC_VCPU_OFF           0       /* soft APIC: every access intercepted */
#define AVIC_VCPU_XAVIC         1       /* AVIC, guest in xAPIC mode */
#define AVIC_VCPU_X2AVIC        2       /* AVIC + x2AVIC, guest in x2APIC mode */

/*
 * VM-wide reasons to run without AVIC (named after KVM's inhibits): while
 * any is set every vCPU runs the soft APIC (all accesses intercepted,
 * injection by V_IRQ / EVENTINJ / VINTR window).
 */
enum avic_inhibit {
	AVIC_INHIBIT_IRQWIN,            /* an interrupt window is needed (ExtINT): counted per vCPU */
	AVIC_INHIBIT_X2APIC,            /* a vCPU is in x2APIC mode and x2AVIC is absent */
	AVIC_INHIBIT_APIC_ID,           /* a vCPU changed its xAPIC ID */
	AVIC_INHIBIT_APIC_BASE,         /* a vCPU moved its APIC base off 0xFEE00000 */
	AVIC_INHIBIT_LOGICAL_ALIAS,     /* two vCPUs claim one logical table entry */
	AVIC_INHIBIT_LOGICAL_MIXED,     /* xAPIC vCPUs with logical IDs use both flat and cluster models */
	AVIC_INHIBIT_COUNT,
};

const char *avic_inhibit_name(unsigned reason);

/* Set-up (hv/vm.c), after lapic_vcpu_init for every vCPU. */
int avic_vm_init(struct vm *vm);
/* The VM runs the AVIC backend (avic or avic-emu).  Inline: every entry and exit asks. */
static inline bool avic_vm(const struct vm *vm)
{
	return vm->apic_backend != APIC_BACKEND_SOFT;
}

/* ... and it is the model. */
static inline bool avic_vm_emulated(const struct vm *vm)
{
	return vm->apic_backend == APIC_BACKEND_AVIC_EMU;
}

/* The run loop. */
void avic_vcpu_load(struct vcpu *vcpu);         /* IsRunning = 1 on this CPU */
void avic_vcpu_put(struct vcpu *vcpu);          /* IsRunning = 0 (blocking, ending) */
void avic_before_entry(struct vcpu *vcpu);      /* GIF=0: mode switches, shadows */
/* The CPU delivers from the page this VMRUN. */
static inline bool avic_hw_active(const struct vcpu *vcpu)
{
	return vcpu->vm->apic_backend == APIC_BACKEND_AVIC && vcpu->avic.mode != AVIC_VCPU_OFF;
}

/* The model plays AVIC for this vCPU's last run. */
static inline bool avic_emu_active(const struct vcpu *vcpu)
{
	return vcpu->vm->apic_backend == APIC_BACKEND_AVIC_EMU && vcpu->avic.mode != AVIC_VCPU_OFF;
}

/*
 * After the hypervisor set an IRR bit in target's page: the doorbell if the
 * target runs in its guest on another CPU, a wake-up if it is halted, a kick
 * if it runs without AVIC (APM Vol 2 §15.29.8.2 "Doorbell Mechanism").
 */
void avic_notify(struct vcpu *target);

/* The guest changed something the tables or the inhibits depend on (ID, LDR, DFR, base, mode). */
void avic_apic_changed(struct vcpu *vcpu);

/* Exits: the real ones (exit table) and, in avic-emu, the intercepted accesses. */
enum exit_action avic_handle_incomplete_ipi(struct vcpu *vcpu);
enum exit_action avic_handle_noaccel(struct vcpu *vcpu);
/* An x2APIC MSR exit under avic-emu; *done = false: not AVIC's, handle it as the soft mode does. */
enum exit_action avic_emu_msr_exit(struct vcpu *vcpu, u32 msr, bool write, bool *done);
/* An NPF on the APIC page under avic-emu (xAVIC), the same way. */
enum exit_action avic_emu_npf(struct vcpu *vcpu, u64 gpa, bool *done);

/*
 * A vCPU needs (want) or no longer needs an interrupt window for an ExtINT:
 * counted VM-wide, the IRQWIN inhibit is on while any vCPU asks.
 */
void avic_irqwin_request(struct vcpu *vcpu, bool want);

/*
 * HC_AVIC_PROBE (lib/hv_abi.h): op = RBX, arg = RCX, val = RDX; returns RAX
 * and sets *rbx / *rcx.  HV_EINVAL outside the probe's VM.
 */
u64 avic_probe_hypercall(struct vcpu *vcpu, u64 op, u64 arg, u64 val, u64 *rbx, u64 *rcx);

/* Emulation-only exits (VINTR, CR8) the lapic handlers take under avic-emu. */
void avic_count_emu_only(struct vcpu *vcpu);

/* Results: the per-test line, and the run's coverage of exit causes and registers. */
void avic_print_vm(const struct vm *vm);
void avic_print_coverage(void);

#endif

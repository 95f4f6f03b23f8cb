/*
 * hv/avic_internal.h - what the files of the AVIC backend share among
 * themselves (hv/avic.c, hv/avic_exits.c, hv/avic_emu_glue.c,
 * hv/avic_probe.c, hv/avic_report.c); nothing outside them includes it.
 */
#ifndef HV_AVIC_INTERNAL_H
#define HV_AVIC_INTERNAL_H

#include "hv/avic.h"
#include "avic/avic_hw.h"
#include "avic/avic_emu.h"

static inline struct vmcb_control *ctl(struct vcpu *v) { return &v->vmcb->control; }

static inline u64 page_pa(const void *p)
{
	return (u64)(uintptr_t)p;      /* the hypervisor runs identity-mapped */
}

/* hv/avic.c: the CPU backend's VMCB fields and mode switch, the doorbell (by: the vCPU that rings, or NULL). */
int avic_vmcb_fields(struct vcpu *v, struct vmcb_control *c);
void avic_vmcb_mode(struct vcpu *vcpu, struct vmcb_control *c, u8 mode);
void avic_ring(struct vm *vm, struct vcpu *by, u32 host_apic_id);

/* hv/avic_exits.c: the two AVIC exits from their EXITINFO, the CPU's or the model's. */
enum exit_action avic_incomplete_ipi(struct vcpu *vcpu, u64 info1, u64 info2);
enum exit_action avic_noaccel(struct vcpu *vcpu, u64 info1, u64 info2);

/* hv/avic_emu_glue.c: avic-emu's check of the VMCB the CPU backend would run, at each mode switch. */
void avic_hw_vmcb_check(struct vcpu *vcpu, u8 mode);

/*
 * What the run has hit, over all tests, for the coverage line that the
 * integration tests read: 0x401 causes, 0x402 registers (offset >> 4, by
 * write), inhibit reasons set and cleared (hv/avic_report.c prints it).
 */
enum avic_departure {
	DEP_IPI_RSVD,           /* 0x401 EXITINFO2[31:12] set */
	DEP_IPI_CAUSE,          /* 0x401 cause above 5 */
	DEP_NOACCEL_RSVD,       /* 0x402 EXITINFO1 bits outside 32 and 11:4 */
	DEP_NOACCEL_ACCEL,      /* 0x402 for an access Table 15-22 accelerates */
	DEP_EOI_VECTOR,         /* level EOI: EXITINFO2 is not the highest in-service vector */
	DEP_COUNT,
};

struct avic_coverage {
	u64 ipi[AVIC_IPI_FAILURE_COUNT];
	u32 noaccel[2][256];
	u64 inhibit_set[AVIC_INHIBIT_COUNT], inhibit_clear[AVIC_INHIBIT_COUNT];
	u64 icr_busy, level_eoi, mode_switch_x2, mode_switch_x;
	u64 hw_vmcb[3], hw_problems;    /* avic_hw_vmcb_check: by AVIC_VCPU_* mode */
	u64 quirks[AVIC_EMU_QUIRK_COUNT], late_lookups, doorbells_lost;
	u64 departures[DEP_COUNT];
};
extern struct avic_coverage avic_cov;

/*
 * What silicon may do that the APM does not describe, handled anyway
 * (reserved EXITINFO bits, unknown 0x401 causes, a 0x402 where Table 15-22
 * accelerates, a level EOI for a vector not the highest in service): each
 * kind logged the first time in the run, all counted (the AVIC line, the
 * coverage line; the probe table shows the register).
 */
void avic_departure(struct vcpu *vcpu, enum avic_departure d, u64 info1, u64 info2, const char *what);

/*
 * CPUID 8000_000A EDX[27]: Table 15-22 accelerates the extended LVTs.  The
 * model plays a CPU without it (emu_ctx), whatever this CPU has.
 */
static inline bool avic_extlvt(const struct vcpu *vcpu)
{
	return svm_has(CPUID_8000000A_EDX_EXTLVT_AVIC) && !avic_vm_emulated(vcpu->vm);
}

/*
 * hv/avic_probe.c: the bring-up probe (HC_AVIC_PROBE).  Only its VM
 * (vm->avic_probe) calls these: each caller tests that flag first, once,
 * so the other VMs' exits carry nothing of the probe.
 */
void avic_probe_note(struct vcpu *vcpu, u64 code, u64 info1, u64 info2);       /* an AVIC exit */
/* A 0x402 (decoded in *n): noted, and its kind measured; true: measured only, not to be acted on. */
bool avic_probe_noaccel(struct vcpu *vcpu, u64 info1, u64 info2, struct avic_noaccel *n);
void avic_probe_msrpm_open(u8 *msrpm);          /* x2AVIC: every x2APIC MSR to the CPU */
bool avic_probe_msrpm_is_open(const u8 *msrpm); /* ... and that it is so */
void avic_print_probe(const struct vm *vm);     /* the measured table of the probe's VM */

/* avic-emu: an access the model left to the soft APIC (a plain intercept), for the probe. */
static inline void avic_probe_count_intercept(struct vcpu *vcpu)
{
	if (unlikely(vcpu->vm->avic_probe))
		vcpu->probe.intercepts++;
}

#endif

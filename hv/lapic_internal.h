/*
 * hv/lapic_internal.h - what the files of the software APIC share among
 * themselves (hv/lapic.c, hv/lapic_irqchip.c, hv/lapic_timer.c,
 * hv/lapic_block.c, hv/lapic_inject.c); nothing outside them includes it.
 */
#ifndef HV_LAPIC_INTERNAL_H
#define HV_LAPIC_INTERNAL_H

#include "hv/lapic.h"
#include "lib/x86.h"

/* The vCPU's page is its apic.page; these are short names for the run loop. */
static inline struct vmcb_control *ctl(struct vcpu *v) { return &v->vmcb->control; }
static inline struct vmcb_save *save(struct vcpu *v) { return &v->vmcb->save; }

static inline bool lapic_guest_if(struct vcpu *vcpu)
{
	return (save(vcpu)->rflags & RFLAGS_IF) != 0;
}

/*
 * LVT timer mode, bits 18:17 (APM Vol 2 §16.4.1 "APIC Timer Interrupt";
 * TSC-deadline: Intel SDM Vol 3 §11.5.4.1 "TSC-Deadline Mode").
 */
#define LVT_TIMER_MODE(lvt)     (((lvt) >> 17) & 3)
#define LVT_TIMER_ONESHOT       0
#define LVT_TIMER_PERIODIC      1
#define LVT_TIMER_TSC_DEADLINE  2

/* hv/lapic_irqchip.c: the IOAPIC page (an mmio_fn; ctx = vcpu), the 8259A pair's INTA. */
int lapic_ioapic_mmio(void *ctx, u64 gpa, unsigned size, bool write, u64 *val);
int lapic_pic_ack(struct vm *vm, bool *more);

/* hv/lapic_timer.c, each with apic_lock held. */
void lapic_timer_update(struct vcpu *vcpu);     /* LVT timer, TDCR or the deadline MSR written */
void lapic_timer_restart(struct vcpu *vcpu);    /* TMICT written: a fresh count from now */
void lapic_timer_tmcct(struct vcpu *vcpu);      /* TMCCT computed for a read */
void lapic_timer_check(struct vcpu *vcpu, u64 now);     /* an expired timer into IRR */

#endif

/*
 * hv/lapic_internal.h - what the files of the software APIC share among
 * themselves (hv/lapic.c, hv/lapic_irqchip.c, hv/lapic_timer.c,
 * hv/lapic_block.c, hv/lapic_inject.c); nothing outside them includes it.
 */
#ifndef HV_LAPIC_INTERNAL_H
#define HV_LAPIC_INTERNAL_H

#include "hv/lapic.h"

/* The vCPU's page is its apic.page; these are short names for the run loop. */
static inline struct vmcb_control *ctl(struct vcpu *v) { return &v->vmcb->control; }
static inline struct vmcb_save *save(struct vcpu *v) { return &v->vmcb->save; }

/* hv/lapic_irqchip.c: the IOAPIC page (an mmio_fn; ctx = vcpu), the 8259A pair's INTA. */
int lapic_ioapic_mmio(void *ctx, u64 gpa, unsigned size, bool write, u64 *val);
int lapic_pic_ack(struct vm *vm, bool *more);

#endif

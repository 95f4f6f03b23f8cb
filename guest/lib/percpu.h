/*
 * guest/lib/percpu.h - per-vCPU runtime state, found through GS base
 * (MSR_GS_BASE is passed through by the hypervisor, so setting it is cheap).
 * Runtime-internal: tests use this_vcpu() and last_exception().
 */
#ifndef GUEST_LIB_PERCPU_H
#define GUEST_LIB_PERCPU_H

#include "guest/lib/guest.h"

struct guest_percpu {
	struct guest_percpu *self;      /* must be first: read as %gs:0 */
	u32 vcpu;
	u32 exception_depth;            /* nesting of guest_exception() */
	u64 catch_rsp;                  /* RSP to resume at, 0: no catch_exception() active */
	struct exception_info last;     /* what catch_exception() caught last */
	/*
	 * Per vector, deliveries between irq_common's mark before guest_irq()
	 * and its unmark after (guest/isr.asm): how guest_irq() tells QEMU's
	 * re-delivery of an interrupt still being handled (guest/lib/irq.h).
	 */
	u8 irq_active[256];
};

_Static_assert(offsetof(struct guest_percpu, self) == 0, "this_cpu() reads %gs:0");

static inline struct guest_percpu *this_cpu(void)
{
	struct guest_percpu *p;

	__asm__ volatile("mov %%gs:0, %0" : "=r"(p));
	return p;
}

void percpu_init(u32 vcpu);

#endif

/*
 * hv/irq.c - the host's interrupt and exception handlers.
 *
 * Exceptions in the hypervisor are hypervisor bugs: dump and stop the
 * machine.  Interrupts: the periodic tick (drives the watchdog and wakes
 * halted CPUs), the kick IPI (new work in the mailbox), spurious vectors.
 */
#include "hv/console.h"
#include "hv/host_apic.h"
#include "hv/irq.h"
#include "hv/percpu.h"
#include "lib/x86.h"

void hv_irq_dispatch(struct irq_frame *f)
{
	struct percpu *pc = this_cpu();

	if (f->vector == X86_NMI)
		return;
	if (f->vector < 32) {
		hv_panic(__FILE__, __LINE__,
			 "exception %s (vector %llu) in the hypervisor: error 0x%llx RIP 0x%llx "
			 "RSP 0x%llx RFLAGS 0x%llx CR2 0x%llx RAX 0x%llx RBX 0x%llx RCX 0x%llx "
			 "RDX 0x%llx RSI 0x%llx RDI 0x%llx",
			 x86_exception_name((unsigned int)f->vector), (unsigned long long)f->vector,
			 (unsigned long long)f->error_code, (unsigned long long)f->rip,
			 (unsigned long long)f->rsp, (unsigned long long)f->rflags,
			 (unsigned long long)read_cr2(), (unsigned long long)f->rax,
			 (unsigned long long)f->rbx, (unsigned long long)f->rcx,
			 (unsigned long long)f->rdx, (unsigned long long)f->rsi,
			 (unsigned long long)f->rdi);
	}
	switch (f->vector) {
	case HOST_VEC_TIMER:
		pc->timer_ticks++;
		host_timer_tick();
		break;
	case HOST_VEC_KICK:
		break;
	case HOST_VEC_SPURIOUS:
		pc->spurious_irqs++;
		return;                 /* no EOI for the spurious vector (APM Vol 2 §16.4.7) */
	default:
		pc->spurious_irqs++;
		break;
	}
	host_apic_eoi();
}

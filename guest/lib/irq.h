/*
 * guest/lib/irq.h - interrupts in the test guests: handlers for vectors
 * 32-255, per-vCPU counters, bounded waits and a barrier for the vCPUs of
 * a test.
 *
 * Interrupts arrive through the shared IDT (guest/lib/exception.c) as
 * interrupt gates, so a handler runs with IF clear; it may set IF itself
 * (sti()) to let a higher-priority interrupt nest.  guest_irq() counts the
 * interrupt on this vCPU, logs it, and calls the handler registered for the
 * vector; without one, irq_default_handler() counts it as unexpected.
 *
 * A handler decides about EOI itself: a test of priorities may want to
 * EOI late or not at all.  The IDT and the stubs are shared by all vCPUs;
 * the handler table, the counters and the log are per vCPU, so every vCPU
 * registers its own handlers (the vCPUs of a test run the same code but
 * not in lockstep: one vCPU must not unregister a handler another is still
 * using).  A handler that runs on several vCPUs at once needs no lock as
 * long as it keeps its own state per vCPU (this_vcpu()).
 *
 * Typical use:
 *
 *	static void on_tick(struct ex_regs *regs) { apic_eoi(); }
 *
 *	irq_set_handler(0x40, on_tick);
 *	irq_reset();
 *	... make the APIC send 0x40 ...
 *	sti();
 *	report(wait_for(irq_count(0x40) == 1, WAIT_SHORT), "...");
 *	cli();
 *	report_irq_unexpected("xapic");
 */
#ifndef GUEST_LIB_IRQ_H
#define GUEST_LIB_IRQ_H

#include "guest/lib/guest.h"

typedef void (*irq_handler_fn)(struct ex_regs *regs);

/* fn for vector (32-255) on this vCPU; NULL restores the default handler. */
void irq_set_handler(u8 vector, irq_handler_fn fn);

/*
 * Counts the interrupt as unexpected and EOIs it if the APIC has it in
 * service (a spurious-vector interrupt is not: APM Vol 2 §16.4.7), so that
 * one stray interrupt does not block every lower priority afterwards.
 */
void irq_default_handler(struct ex_regs *regs);

/* This vCPU: counters and log back to zero (the handlers stay). */
void irq_reset(void);
/* Interrupts taken on this vCPU with vector (handled or not) since irq_reset(). */
u32 irq_count(u8 vector);
/* Interrupts that reached irq_default_handler(), and the last such vector. */
u32 irq_unexpected(void);
/*
 * Interrupts (vectors 32-255) delivered into a context that had IF=0: not
 * possible on a CPU (no guest here raises INT n on them), so a sign of a
 * double delivery (QEMU TCG's: docs/ARCHITECTURE.md "Interrupt injection
 * and QEMU's re-delivery").  Since this vCPU started.
 */
u32 irq_if_off(void);
/*
 * Of those, deliveries of a vector that this vCPU is still handling - the
 * interrupted RIP in an IRQ entry stub or irq_common (guest/isr.asm), or
 * the vector counted in irq_common's irq_active, which covers guest_irq()
 * and the handler: the interrupt was delivered, and before the handler's
 * first exit to the hypervisor it was delivered again (QEMU TCG's double
 * delivery: docs/ARCHITECTURE.md "Interrupt injection and QEMU's
 * re-delivery").  A CPU cannot: all of that runs with IF=0.  guest_irq()
 * ignores such a delivery (the first one is handled) and counts it here;
 * tests that count interrupts print the figure.
 */
u32 irq_redelivered(void);
u8 irq_last_unexpected(void);
/* Handler nesting right now (1 inside a handler), and the deepest seen. */
u32 irq_depth(void);
u32 irq_max_depth(void);

/*
 * The order interrupts came in on this vCPU: entry i is the vector of the
 * i-th interrupt and the nesting depth it ran at (1 = not nested).  Only
 * the first IRQ_LOG_SIZE are kept; irq_log_len() counts them all.
 */
#define IRQ_LOG_SIZE    64
struct irq_log_entry {
	u8 vector;
	u8 depth;
};
u32 irq_log_len(void);
struct irq_log_entry irq_log(u32 i);

/* FAIL "<prefix>: N unexpected interrupt(s), last vector 0x.." unless none; returns true if none. */
bool report_irq_unexpected(const char *prefix);

/*
 * IF.  lib/x86.h has cli(), sti() and safe_halt() ("sti; hlt").  After
 * sti() one more instruction runs before an interrupt can be taken (the
 * STI shadow, APM Vol 2 §8.3 "Interrupt Shadow"); sti_nop() lets a pending
 * interrupt in right there.
 */
static inline void sti_nop(void)
{
	__asm__ volatile("sti; nop" ::: "memory");
}

static inline void hlt(void)
{
	__asm__ volatile("hlt" ::: "memory");
}

static inline bool irqs_enabled(void)
{
	return (read_rflags() & RFLAGS_IF) != 0;
}

/*
 * Bounded waiting: evaluates cond until it holds or spins PAUSE iterations
 * have passed; the value is cond's last value.  Never wait unbounded: a
 * hang is a FAIL with a message, the hypervisor's watchdog only the last
 * resort.  Under QEMU TCG a PAUSE iteration is some tens of nanoseconds, so
 * WAIT_SHORT is milliseconds and WAIT_LONG seconds; on hardware less.
 */
#define WAIT_SHORT      (1ULL << 18)
#define WAIT_LONG       (1ULL << 27)
#define wait_for(cond, spins)                                   \
	({                                                      \
		u64 __wait_left = (spins);                      \
		bool __wait_ok;                                 \
		while (!(__wait_ok = (cond)) && __wait_left--)  \
			cpu_relax();                            \
		if (__wait_ok)                                  \
			progress();                             \
		__wait_ok;                                      \
	})

/*
 * The same, bounded by the TSC advancing by ticks instead of a spin count.
 * Only for what this vCPU waits on by itself (its own APIC timer): the TSC
 * runs in wall time, and under QEMU TCG another vCPU may get no host CPU
 * for long, so a wait on another vCPU is bounded by spins (the waiter's
 * own progress), never by the TSC.
 */
#define wait_for_tsc(cond, ticks)                                       \
	({                                                              \
		u64 __wait_start = rdtsc(), __wait_ticks = (ticks);     \
		bool __wait_ok;                                         \
		while (!(__wait_ok = (cond)) &&                         \
		       rdtsc() - __wait_start < __wait_ticks)           \
			cpu_relax();                                    \
		if (__wait_ok)                                          \
			progress();                                     \
		__wait_ok;                                              \
	})

/* Spins until the TSC has advanced by ticks (no exits unless RDTSC is intercepted). */
void tsc_delay(u64 ticks);

/*
 * Waits until every vCPU of the VM has called vcpu_barrier() the same
 * number of times; true then.  After WAIT_LONG spins it reports FAIL
 * "barrier <name>: ..." and returns false; the barrier is then broken and
 * the test should end on this vCPU.
 */
bool vcpu_barrier(const char *name);

#endif

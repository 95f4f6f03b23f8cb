/*
 * guest/lib/irq.c - interrupt dispatch, per-vCPU counters, bounded waits,
 * the vCPU barrier.  See guest/lib/irq.h.
 */
#include "guest/lib/irq.h"
#include "guest/lib/apic.h"
#include "guest/lib/percpu.h"

struct irq_cpu {
	irq_handler_fn handler[NR_VECTORS];
	u32 count[NR_VECTORS];
	u32 unexpected;
	u32 if_off;                     /* deliveries into a context with IF=0 (see irq.h) */
	u32 redelivered;                /* of which into an IRQ entry stub: ignored (see irq.h) */
	u8 last_unexpected;
	u32 depth;
	u32 max_depth;
	u32 log_len;
	struct irq_log_entry log[IRQ_LOG_SIZE];
};

static struct irq_cpu irq_cpu[GUEST_MAX_VCPUS];
extern char irq_stubs_start[], irq_common_end[];      /* guest/isr.asm */

static struct irq_cpu *me(void)
{
	return &irq_cpu[this_vcpu()];
}

void irq_set_handler(u8 vector, irq_handler_fn fn)
{
	/* A single store: an interrupt sees the old or the new handler. */
	__atomic_store_n(&me()->handler[vector], fn, __ATOMIC_RELAXED);
}

void irq_default_handler(struct ex_regs *regs)
{
	struct irq_cpu *c = me();
	u8 vector = (u8)regs->vector;

	c->unexpected++;
	c->last_unexpected = vector;
	/* Only an interrupt the APIC has in service wants an EOI. */
	if (apic_mode() != APIC_MODE_DISABLED && apic_isr(vector))
		apic_eoi();
}

/*
 * From guest/isr.asm irq_common, IF clear.  Everything it updates is this
 * vCPU's and is only ever changed here or with interrupts off, and a nested
 * interrupt finishes before the outer one goes on, so no locking.
 */
void guest_irq(struct ex_regs *regs)
{
	struct irq_cpu *c = me();
	u8 vector = (u8)regs->vector;
	irq_handler_fn fn = c->handler[vector];

	if (!(regs->rflags & RFLAGS_IF)) {
		c->if_off++;
		/*
		 * Into this vCPU's interrupt path - the stubs and irq_common
		 * by RIP, guest_irq() and the handler by the count irq_common
		 * keeps - while the same vector is being handled there: the
		 * same interrupt a second time (QEMU TCG, see irq.h).  A CPU
		 * delivers no interrupt with IF=0.  Its first delivery is the
		 * frame below ours; returning lets that one go on, once.
		 */
		if ((regs->rip >= (u64)(uintptr_t)irq_stubs_start && regs->rip < (u64)(uintptr_t)irq_common_end) ||
		    this_cpu()->irq_active[vector] > 1) {
			c->redelivered++;
			return;
		}
	}
	c->depth++;
	if (c->depth > c->max_depth)
		c->max_depth = c->depth;
	if (c->log_len < IRQ_LOG_SIZE)
		c->log[c->log_len] = (struct irq_log_entry){ .vector = vector, .depth = (u8)c->depth };
	c->log_len++;
	c->count[vector]++;

	if (fn)
		fn(regs);
	else
		irq_default_handler(regs);

	/* A handler that set IF must not be interrupted while it unwinds the count. */
	cli();
	c->depth--;
}

u32 irq_if_off(void)
{
	return me()->if_off;
}

u32 irq_redelivered(void)
{
	return me()->redelivered;
}

void irq_reset(void)
{
	struct irq_cpu *c = me();
	u64 rflags = read_rflags();

	cli();
	memset(c->count, 0, sizeof(c->count));
	c->unexpected = 0;
	c->last_unexpected = 0;
	c->max_depth = c->depth;
	c->log_len = 0;
	if (rflags & RFLAGS_IF)
		sti();
}

u32 irq_count(u8 vector)
{
	return __atomic_load_n(&me()->count[vector], __ATOMIC_RELAXED);
}

u32 irq_unexpected(void)
{
	return __atomic_load_n(&me()->unexpected, __ATOMIC_RELAXED);
}

u8 irq_last_unexpected(void)
{
	return me()->last_unexpected;
}

u32 irq_depth(void)
{
	return me()->depth;
}

u32 irq_max_depth(void)
{
	return me()->max_depth;
}

u32 irq_log_len(void)
{
	return __atomic_load_n(&me()->log_len, __ATOMIC_RELAXED);
}

struct irq_log_entry irq_log(u32 i)
{
	if (i >= IRQ_LOG_SIZE)
		return (struct irq_log_entry){ 0 };
	return me()->log[i];
}

bool report_irq_unexpected(const char *prefix)
{
	u32 n = irq_unexpected();

	if (!n)
		return true;
	report_fail("%s: %u unexpected interrupt(s), the last with vector 0x%x",
		    prefix, n, irq_last_unexpected());
	return false;
}

void tsc_delay(u64 ticks)
{
	u64 start = rdtsc();

	while (rdtsc() - start < ticks)
		cpu_relax();
}

/*
 * Sense by generation: a vCPU notes the generation, arrives; the last to
 * arrive resets the count and starts the next generation, which releases
 * the others.  The count is reset before the generation moves, so a vCPU
 * that runs ahead into the next barrier counts from zero.
 */
static u32 barrier_arrived;
static u32 barrier_generation;

bool vcpu_barrier(const char *name)
{
	u32 n = nr_vcpus();
	u32 gen = __atomic_load_n(&barrier_generation, __ATOMIC_ACQUIRE);
	u32 arrived = __atomic_add_fetch(&barrier_arrived, 1, __ATOMIC_ACQ_REL);

	if (arrived == n) {
		__atomic_store_n(&barrier_arrived, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&barrier_generation, gen + 1, __ATOMIC_RELEASE);
		progress();
		return true;
	}
	if (wait_for(__atomic_load_n(&barrier_generation, __ATOMIC_ACQUIRE) != gen, WAIT_LONG))
		return true;
	report_fail("barrier %s: %u of %u vCPUs arrived", name,
		    __atomic_load_n(&barrier_arrived, __ATOMIC_RELAXED), n);
	return false;
}

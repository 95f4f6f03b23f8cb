/*
 * guest/tests/apic_inservice.c - IPIs into a handler that runs without an
 * exit.
 *
 * Behaviour (APM Vol 2 §16.6.3 "Accepting System and IPI Interrupts" and
 * §16.6.4 "Selecting and Handling Interrupts" with the EOI: one IRR and one
 * ISR bit per vector, so a vector
 * can be pending once while it is in service; a vector is delivered only
 * when its class is above PPR's), in xAPIC and x2APIC mode, vCPU 0
 * sending to vCPU 1 while vCPU 1 is inside a handler that touches only
 * memory (no exit to the hypervisor):
 *  - the same vector sent again is pending in IRR while the first is in
 *    ISR, and is delivered once more after the EOI, not merged and not
 *    lost;
 *  - a vector of a higher class nests at once when the handler has set
 *    IF (depth 2, inside the first handler).
 * Each send waits for the receiver to be in its handler, and the receiver
 * waits, in the handler, for the send to be done (the ICR write has
 * exited and set IRR before the sender goes on): no timing.
 *
 * Why it matters to the hypervisor: the software APIC lets the guest take
 * a fixed interrupt through V_IRQ and learns only at the next exit that it
 * was taken (hv/lapic_inject.c, docs/ARCHITECTURE.md "Interrupt injection and
 * QEMU's re-delivery").  An IPI from another vCPU can reach the receiver
 * in between, with no exit of its own first; if the first vector were not
 * in ISR by then, the second would merge into its IRR bit and be lost.
 *
 * METRIC exits_per_op: exits of sender and receiver per IPI (x2APIC),
 * xapic_exits_per_op in xAPIC mode.
 *
 * A failure means the second IPI of a vector lost or merged, a higher
 * class that does not nest, or ISR/IRR that differ from the architecture
 * while a handler runs.
 */
#include "guest/tests/apic_smp.h"

#define SENDER          0
#define RECEIVER        1

#define VEC_SAME        0x61    /* sent twice: the second while the first is in service */
#define VEC_LOW         0x62    /* its handler sets IF and waits for VEC_HIGH */
#define VEC_HIGH        0x91    /* a higher class: nests */
#define NR_IPIS         4       /* per mode */

static u32 got_same, got_low, got_high;
static u32 in_handler;          /* the receiver is in the first VEC_SAME / VEC_LOW handler */
static u32 sent;                /* the sender's second IPI has been sent */

/* What the receiver saw in its handlers. */
static struct {
	bool waited_same, isr, irr;     /* in the first VEC_SAME handler, after the second send */
	bool waited_high;
	u32 high_depth;                 /* irq_depth() in the VEC_HIGH handler */
} seen;
static struct exit_snapshot receiver_exits;

static void on_same(struct ex_regs *regs)
{
	(void)regs;
	if (smp_load(&got_same) == 0) {
		smp_store(&in_handler, 1);
		/* Memory and RDTSC only until the second send: no exit. */
		seen.waited_same = smp_wait_ms(smp_load(&sent), 4000);
		seen.isr = apic_isr(VEC_SAME);
		seen.irr = apic_irr(VEC_SAME);
	}
	apic_eoi();
	smp_inc(&got_same);
}

static void on_low(struct ex_regs *regs)
{
	(void)regs;
	smp_store(&in_handler, 1);
	sti();
	seen.waited_high = smp_wait_ms(smp_load(&got_high) == 1, 4000);
	cli();
	apic_eoi();
	smp_inc(&got_low);
}

static void on_high(struct ex_regs *regs)
{
	(void)regs;
	seen.high_depth = irq_depth();
	apic_eoi();
	smp_inc(&got_high);
}

/* Sender: vector, then, once the receiver is in its handler, again_vector. */
static void send_pair(const char *m, u8 vector, u8 again_vector)
{
	bool entered;

	smp_ipi_fixed(RECEIVER, vector);
	entered = wait_for(smp_load(&in_handler), WAIT_LONG);
	report(entered, "%s: sender: vcpu%u entered the handler of 0x%x, then 0x%x was sent", m, RECEIVER, vector,
	       again_vector);
	if (!entered)
		return;
	smp_ipi_fixed(RECEIVER, again_vector);
	smp_store(&sent, 1);
}

static void check_mode(void)
{
	const char *m = apic_mode_name(apic_mode());
	u32 me = this_vcpu();
	struct exit_snapshot then, d = { 0 };

	smp_store(&got_same, 0);
	smp_store(&got_low, 0);
	smp_store(&got_high, 0);
	smp_store(&in_handler, 0);
	smp_store(&sent, 0);
	seen.waited_same = seen.isr = seen.irr = seen.waited_high = false;
	seen.high_depth = 0;
	irq_set_handler(VEC_SAME, on_same);
	irq_set_handler(VEC_LOW, on_low);
	irq_set_handler(VEC_HIGH, on_high);
	exit_snapshot_take(&then);
	sti();
	if (!vcpu_barrier("same: start"))
		return;
	if (me == SENDER)
		send_pair(m, VEC_SAME, VEC_SAME);
	else if (me == RECEIVER)
		wait_for(smp_load(&got_same) >= 2, WAIT_LONG);
	smp_settle();
	if (!vcpu_barrier("same: sent"))
		return;
	if (me == RECEIVER) {
		report(seen.waited_same, "%s: the second IPI of 0x%x was sent while the first one's handler ran", m,
		       VEC_SAME);
		report(seen.isr && seen.irr, "%s: then 0x%x is in service and pending again (ISR %u, IRR %u)", m,
		       VEC_SAME, seen.isr, seen.irr);
		report_eq(2, smp_load(&got_same), "%s: 0x%x sent again while in service: delivered once more after the EOI",
			  m, VEC_SAME);
	}

	smp_store(&in_handler, 0);
	smp_store(&sent, 0);
	sti();
	if (!vcpu_barrier("nest: start"))
		return;
	if (me == SENDER)
		send_pair(m, VEC_LOW, VEC_HIGH);
	else if (me == RECEIVER)
		wait_for(smp_load(&got_low) >= 1, WAIT_LONG);
	smp_settle();
	if (me == RECEIVER)
		receiver_exits = exits_since(&then);
	else if (me == SENDER)
		d = exits_since(&then);
	if (!vcpu_barrier("nest: sent"))
		return;
	if (me == RECEIVER) {
		report(seen.waited_high && seen.high_depth == 2,
		       "%s: 0x%x sent while the handler of 0x%x runs with IF=1 nests at once (depth %u)", m, VEC_HIGH,
		       VEC_LOW, seen.high_depth);
		report(smp_load(&got_low) == 1 && smp_load(&got_high) == 1, "%s: 0x%x and 0x%x each delivered once", m,
		       VEC_LOW, VEC_HIGH);
	}
	if (me != RECEIVER)
		report(!irq_count(VEC_SAME) && !irq_count(VEC_LOW) && !irq_count(VEC_HIGH),
		       "%s: none of the IPIs to vcpu%u arrived here", m, RECEIVER);
	if (me == SENDER)
		apic_metric_exits("exits_per_op", d.total + receiver_exits.total,
				  exit_snapshot_avic(&d) + exit_snapshot_avic(&receiver_exits), NR_IPIS);
	vcpu_barrier("mode: end");
	report_irq_unexpected(m);
}

GUEST_TEST(apic_inservice)
{
	if (!smp_need_vcpus(2))
		return;
	apic_for_each_mode(check_mode);
	irq_set_handler(VEC_SAME, NULL);
	irq_set_handler(VEC_LOW, NULL);
	irq_set_handler(VEC_HIGH, NULL);
}
